/*  slow_zsys_init.c - an injected fault for jejak-office's start
    (LD_PRELOAD): CZMQ's zsys_init calls zsys_set_thread_name_prefix after
    it marks itself done, and that call aborts the process when another
    thread has opened a socket meanwhile. This shim holds that call until
    another thread opened a socket, or 3 s passed, so a start that lets
    two threads make CZMQ's global state fails every time, not once in a
    thousand. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

static atomic_int s_sockets_elsewhere;
static _Thread_local bool s_in_prefix;

void *zmq_socket (void *context, int type);
void zsys_set_thread_name_prefix (int prefix);

void *zmq_socket (void *context, int type)
{
    void *(*real) (void *, int);
    void *symbol = dlsym (RTLD_NEXT, "zmq_socket");
    memcpy (&real, &symbol, sizeof real); /* POSIX: a function's address */
    void *socket = real (context, type);
    if (!s_in_prefix)
        atomic_fetch_add (&s_sockets_elsewhere, 1);
    return socket;
}

void zsys_set_thread_name_prefix (int prefix)
{
    void (*real) (int);
    void *symbol = dlsym (RTLD_NEXT, "zsys_set_thread_name_prefix");
    memcpy (&real, &symbol, sizeof real);
    s_in_prefix = true;
    int before = atomic_load (&s_sockets_elsewhere);
    for (int i = 0; i < 300 && atomic_load (&s_sockets_elsewhere) == before;
         i++) {
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep (&ten_ms, NULL);
    }
    s_in_prefix = false;
    real (prefix);
}
