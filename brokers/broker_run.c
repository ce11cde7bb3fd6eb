/*  broker_run.c - what jejak-broker and jejak-hub share around the broker
    actor: the plain-mode refusal for public endpoints, and the run loop
    (signals, key reloads, the store's fatal errors). */
#include "jk_broker.h"
#include "jk_base.h"
#include "jk_opts.h"

#include <stdio.h>

bool jk_broker_plain_allowed (const char *program, const char *keys,
                              const char *const *endpoints, size_t count)
{
    if (keys)
        return true;
    for (size_t i = 0; i < count; i++)
        if (endpoints[i] && !jk_endpoint_is_local (endpoints[i])) {
            fprintf (stderr,
                     "%s: refusing to bind %s without --keys: plain "
                     "(unencrypted) mode is only for loopback (127.0.0.1, "
                     "localhost, [::1]) and ipc endpoints; make keys with "
                     "jejak-keys init and start with --keys DIR "
                     "(docs/SECURITY.md)\n",
                     program, endpoints[i]);
            return false;
        }
    return true;
}

int jk_broker_run (const char *program, zactor_t *broker, zactor_t *store)
{
    int status = 0;
    /* SIGHUP asks for the enrolled keys to be reloaded now (the program
       may have caught it since its start already). */
    jk_hangup_catch ();
    /* CZMQ turns SIGINT and SIGTERM into zsys_interrupted. Every other
       thread blocks them (jk_thread_enter), so the signal lands here and
       cuts the wait short; the timeout covers a signal that came before
       the wait. */
    zpoller_t *poller = zpoller_new (broker, store, NULL);
    while (!zsys_interrupted) {
        if (jk_hangup_take ())
            zstr_send (broker, "RELOAD");
        void *which = zpoller_wait (poller, 250);
        if (!which)
            continue;
        char *line = zstr_recv (which);
        /* The store gives up on a database it can no longer trust
           (corrupt, unwritable): stop rather than accept submissions that
           can never be stored. */
        bool fatal = store && which == store && line && streq (line, "FATAL");
        zstr_free (&line);
        if (fatal) {
            fprintf (stderr,
                     "%s: the store stopped on a fatal database error (see "
                     "the log above)\n",
                     program);
            status = 1;
            break;
        }
    }
    zpoller_destroy (&poller);
    /* The caller stops the actors next: a second signal must not cut
       their $TERM's wait short (it stays pending until the exit). */
    jk_thread_enter (NULL);
    return status;
}
