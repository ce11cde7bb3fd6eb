/*  store_aside.c - the store actor (jk_store.h, store_internal.h): the
    plan thread, beside the writer. It runs one job at a time for it: the
    next batch's plan while the writer commits the batch before
    (docs/ARCHITECTURE.md, "The writer's pipeline"). What the job uses
    (the model, the log's plan, the decode stage's pipe) the writer
    leaves alone from jk_store_aside_run to jk_store_aside_wait. Messages
    on its pipe: [RUN][job] in, [done] back. */
#include "store_internal.h"

static void s_aside_actor (zsock_t *pipe, void *args)
{
    (void)args;
    jk_thread_enter ("jejak-plan");
    zsock_signal (pipe, 0);
    while (true) {
        char *command = NULL;
        void *ptr = NULL;
        int rc = zsock_recv (pipe, "sp", &command, &ptr);
        if (rc != 0 && zmq_errno () == EINTR) {
            /* The thread blocks the signals the programs take
               (jk_thread_enter); should another one with a handler
               interrupt the wait, it goes on, so that a job the writer
               hands it while the store stops (the batches taken are
               decided first) finds it; a thread gone would leave the
               writer waiting. */
            free (command);
            continue;
        }
        if (rc != 0 || !command || streq (command, "$TERM") || !ptr) {
            free (command);
            break;
        }
        free (command);
        jk_store_job_t *job = ptr;
        job->run (job->arg);
        zsock_send (pipe, "i", 0);
    }
    /* This thread's OpenSSL state goes with it. */
    OPENSSL_thread_stop ();
}

zactor_t *jk_store_aside_start (void)
{
    return zactor_new (s_aside_actor, NULL);
}

void jk_store_aside_run (jk_store_t *self, jk_store_job_fn *run, void *arg)
{
    self->job.run = run;
    self->job.arg = arg;
    zsock_send (self->aside, "sp", "RUN", &self->job);
}

void jk_store_aside_wait (jk_store_t *self)
{
    int done = 0;
    /* A signal interrupts the wait, not the job: its end still comes. */
    while (zsock_recv (self->aside, "i", &done) != 0)
        if (zmq_errno () != EINTR)
            return;
}
