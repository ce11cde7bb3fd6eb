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

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

static void s_stop_signals (sigset_t *set)
{
    sigemptyset (set);
    sigaddset (set, SIGINT);
    sigaddset (set, SIGTERM);
    sigaddset (set, SIGHUP);
}

void jk_thread_enter (const char *name)
{
    sigset_t set;
    s_stop_signals (&set);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
    if (name)
        pthread_setname_np (pthread_self (), name);
}

int jk_thread_nicer (int steps)
{
    id_t tid = (id_t)gettid ();
    errno = 0;
    int nice = getpriority (PRIO_PROCESS, tid);
    if (errno != 0)
        return JK_IO;
    int lower = nice + steps > 19 ? 19 : nice + steps;
    return setpriority (PRIO_PROCESS, tid, lower) == 0 ? JK_OK : JK_IO;
}

void jk_thread_unblock (void)
{
    sigset_t set;
    s_stop_signals (&set);
    pthread_sigmask (SIG_UNBLOCK, &set, NULL);
}

/* A SIGHUP came since the last jk_hangup_take. */
static volatile sig_atomic_t s_hangup;

static void s_on_hangup (int signal_number)
{
    (void)signal_number;
    s_hangup = 1;
}

void jk_hangup_catch (void)
{
    /* No SA_RESTART: the main thread's wait ends at once (EINTR) and its
       loop takes the flag. */
    struct sigaction action = {0};
    action.sa_handler = s_on_hangup;
    sigemptyset (&action.sa_mask);
    sigaction (SIGHUP, &action, NULL);
}

bool jk_hangup_take (void)
{
    if (!s_hangup)
        return false;
    s_hangup = 0;
    return true;
}
