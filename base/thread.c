/*  thread.c - what every thread Jejak starts does first: its name (for
    top -H, ps -L and the per-thread CPU figures) and its signal mask.
    SIGINT, SIGTERM and SIGHUP are blocked on every thread but the
    program's main thread, so the kernel delivers a signal sent to the
    process to the main thread only (libzmq's own threads block every
    signal). The main thread notices zsys_interrupted (or the SIGHUP
    flag) within its poll's timeout and stops the actors with $TERM; no
    worker's wait (zsock_recv, zpoller_wait, zmq_poll) is cut short by
    EINTR, which would end the thread while its parent still waits for
    its answer. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "jk_base.h"

#include <pthread.h>
#include <signal.h>

void jk_thread_enter (const char *name)
{
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGTERM);
    sigaddset (&set, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
    if (name)
        pthread_setname_np (pthread_self (), name);
}
