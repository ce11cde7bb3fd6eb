/*  jejak_broker.c - jejak-broker: the broker actor alone, for a store that
    runs as its own process (jejak-store --backend EP). Parses options,
    starts the actor, waits for SIGINT/SIGTERM, stops it. */
#include "jk_broker.h"
#include "jk_keys.h"
#include "jk_opts.h"
#include "jk_wire.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static const jk_opt_t s_options[] = {
    {"ingest", "JEJAK_INGEST", "tcp://127.0.0.1:7450",
     "endpoint agents submit to (ROUTER, bound)", false},
    {"feed", "JEJAK_FEED", "tcp://127.0.0.1:7451",
     "endpoint live subscribers connect to (XPUB, bound)", false},
    {"backend", "JEJAK_BACKEND", "tcp://127.0.0.1:7453",
     "endpoint the store connects to (ROUTER, bound)", false},
    {"feed-hwm", "JEJAK_FEED_HWM", "100000",
     "messages queued per feed subscriber before drops", false},
    {"keys", "JEJAK_KEYS", NULL,
     "secure mode: keys directory of jejak-keys (CURVE on ingest; required "
     "for any non-loopback endpoint)",
     false},
};

static void s_usage (jk_opts_t *opts, FILE *out)
{
    fprintf (out,
             "Usage: jejak-broker [options]\n"
             "Routes agents' submissions to the store, the store's answers "
             "back,\nand publishes committed events on the feed. Wire "
             "protocol: docs/PROTOCOL.md.\n\n"
             "Each option comes from its flag, else its environment "
             "variable, else\nthe ZPL config file (--config PATH or "
             "JEJAK_CONFIG; key = option name),\nelse the default.\n\n");
    jk_opts_print (opts, out);
    fprintf (out,
             "\nSecure mode (--keys DIR): agents must use CURVE with a key "
             "enrolled by\njejak-keys; SIGHUP reloads the keys at once (they "
             "are also re-read within\na second of any change).\n");
    fprintf (out,
             "\nExit status: 0 after SIGINT/SIGTERM, 1 when an endpoint "
             "cannot be bound\nor a key file cannot be read, 2 on usage errors "
             "or a non-loopback\nendpoint without --keys.\n");
}

int main (int argc, char **argv)
{
    int status = 0;
    /* From the start: SIGHUP reloads the keys (never ends the program),
       and every thread is born with the stop signals blocked. */
    jk_hangup_catch ();
    jk_thread_enter (NULL);
    jk_opts_t *opts = jk_opts_start_flags (
        "jejak-broker", s_options, sizeof s_options / sizeof s_options[0], argc,
        argv, s_usage, &status);
    if (!opts)
        return status;
    zactor_t *broker = NULL;
    uint64_t hwm;
    if (jk_parse_u64 (jk_opts_get (opts, "feed-hwm"), &hwm) || hwm == 0 ||
        hwm > 100000000) {
        fprintf (stderr,
                 "jejak-broker: --feed-hwm must be a whole number from 1 to "
                 "100000000 (see --help)\n");
        status = 2;
        goto cleanup;
    }
    if (jk_endpoint_options ("jejak-broker", opts, "ingest feed backend",
                             JK_ENDPOINT_BIND)) {
        status = 2;
        goto cleanup;
    }
    const char *keys = jk_opts_get (opts, "keys");
    const char *endpoints[] = {jk_opts_get (opts, "ingest"),
                               jk_opts_get (opts, "feed"),
                               jk_opts_get (opts, "backend")};
    /* The backend carries plain traffic to the store, keys or not. */
    if (!jk_endpoint_is_local (endpoints[2])) {
        fprintf (stderr,
                 "jejak-broker: --backend %s is not loopback or ipc: the "
                 "store's link is never encrypted, so run jejak-store on "
                 "this machine (docs/SECURITY.md)\n",
                 endpoints[2]);
        status = 2;
        goto cleanup;
    }
    if (!jk_broker_plain_allowed ("jejak-broker", keys, endpoints, 3)) {
        status = 2;
        goto cleanup;
    }
    char *cert_path =
        keys ? jk_sprintf ("%s/%s", keys, JK_KEYS_BROKER_SECRET) : NULL;
    char *keys_dir = keys ? jk_sprintf ("%s/%s", keys, JK_KEYS_OFFICES) : NULL;
    jk_broker_config_t config = {endpoints[0], endpoints[1], endpoints[2],
                                 (int)hwm,     cert_path,    keys_dir};
    broker = jk_broker_start (&config);
    jk_thread_unblock ();
    free (cert_path);
    free (keys_dir);
    if (!broker) {
        fprintf (stderr, "jejak-broker: cannot start (see the log above)\n");
        status = 1;
        goto cleanup;
    }
    char *ingest = jk_broker_endpoint (broker, "ingest");
    char *feed = jk_broker_endpoint (broker, "feed");
    char *backend = jk_broker_endpoint (broker, "backend");
    printf ("jejak-broker ingest=%s feed=%s backend=%s%s\n", ingest, feed,
            backend, keys ? " secure=curve" : "");
    zstr_free (&ingest);
    zstr_free (&feed);
    zstr_free (&backend);
    fflush (stdout);
    status = jk_broker_run ("jejak-broker", broker, NULL);

cleanup:
    zactor_destroy (&broker);
    jk_opts_destroy (&opts);
    return status;
}
