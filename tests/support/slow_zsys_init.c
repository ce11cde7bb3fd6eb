/*  slow_zsys_init.c - an injected fault for jejak-office's start
    (LD_PRELOAD): CZMQ's zsys_init calls zsys_set_thread_name_prefix after
    it marks itself done, and that call aborts the process when another
    thread has opened a socket meanwhile. Run by a thread other than the
    main one, this shim holds that call until another thread opened a
    socket (an event, with a 3 s deadline against a hang), so a start that
    lets two threads make CZMQ's global state fails every time, not once
    in a thousand. On the main thread it holds nothing: the program's own
    threads are started by the main thread, busy here, so none can race. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_opened = PTHREAD_COND_INITIALIZER;
static unsigned s_sockets; /* sockets opened by any thread */
static pthread_t s_holder; /* the thread held in the prefix call */
static bool s_holding;

void *zmq_socket (void *context, int type);
void zsys_set_thread_name_prefix (int prefix);

/* The next definition of name after this library's (POSIX: an object
   pointer that holds a function's address). */
static void *s_next (const char *name)
{
    return dlsym (RTLD_NEXT, name);
}

void *zmq_socket (void *context, int type)
{
    void *(*real) (void *, int);
    void *symbol = s_next ("zmq_socket");
    memcpy (&real, &symbol, sizeof real);
    void *socket = real (context, type);
    pthread_mutex_lock (&s_lock);
    if (!s_holding || !pthread_equal (s_holder, pthread_self ())) {
        s_sockets++;
        pthread_cond_broadcast (&s_opened);
    }
    pthread_mutex_unlock (&s_lock);
    return socket;
}

void zsys_set_thread_name_prefix (int prefix)
{
    void (*real) (int);
    void *symbol = s_next ("zsys_set_thread_name_prefix");
    memcpy (&real, &symbol, sizeof real);
    if (gettid () != getpid ()) {
        struct timespec deadline;
        clock_gettime (CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 3;
        pthread_mutex_lock (&s_lock);
        s_holder = pthread_self ();
        s_holding = true;
        unsigned before = s_sockets;
        while (s_sockets == before &&
               pthread_cond_timedwait (&s_opened, &s_lock, &deadline) == 0)
            ;
        s_holding = false;
        pthread_mutex_unlock (&s_lock);
    }
    real (prefix);
}
