/*  jejak_broker.c - jejak-broker: the broker actor alone, for a store that
    runs as its own process (jejak-store --backend EP). Parses options,
    starts the actor, waits for SIGINT/SIGTERM, stops it. */
#include "jk_broker.h"
#include "jk_opts.h"
#include "jk_wire.h"

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
};

static void s_usage (jk_opts_t *opts)
{
    printf ("usage: jejak-broker [options]\n"
            "Routes agents' submissions to the store, the store's answers "
            "back,\nand publishes committed events on the feed. Wire "
            "protocol: docs/PROTOCOL.md.\n\n"
            "Each option comes from its flag, else its environment "
            "variable, else\nthe ZPL config file (--config PATH or "
            "JEJAK_CONFIG; key = option name),\nelse the default.\n\n");
    jk_opts_print (opts, stdout);
    printf ("\nExit status: 0 after SIGINT/SIGTERM, 1 when an endpoint "
            "cannot be bound,\n2 on usage errors.\n");
}

int main (int argc, char **argv)
{
    jk_opts_t *opts = jk_opts_new ("jejak-broker", s_options,
                                   sizeof s_options / sizeof s_options[0]);
    char err[256];
    int status = 0;
    zactor_t *broker = NULL;
    if (jk_opts_parse (opts, argc, argv, err, sizeof err)) {
        fprintf (stderr, "jejak-broker: %s\n", err);
        status = 2;
        goto cleanup;
    }
    if (jk_opts_help (opts)) {
        s_usage (opts);
        goto cleanup;
    }
    if (jk_opts_argc (opts) > 0) {
        fprintf (stderr,
                 "jejak-broker: unexpected argument \"%s\" (see --help)\n",
                 jk_opts_arg (opts, 0));
        status = 2;
        goto cleanup;
    }
    uint64_t hwm;
    if (jk_parse_u64 (jk_opts_get (opts, "feed-hwm"), &hwm) || hwm == 0 ||
        hwm > 100000000) {
        fprintf (stderr,
                 "jejak-broker: --feed-hwm must be a whole number from 1 to "
                 "100000000\n");
        status = 2;
        goto cleanup;
    }
    jk_broker_config_t config = {jk_opts_get (opts, "ingest"),
                                 jk_opts_get (opts, "feed"),
                                 jk_opts_get (opts, "backend"),
                                 (int)hwm,
                                 NULL,
                                 NULL};
    broker = jk_broker_start (&config);
    if (!broker) {
        fprintf (stderr, "jejak-broker: cannot start (see the log above)\n");
        status = 1;
        goto cleanup;
    }
    printf ("jejak-broker ingest=%s feed=%s backend=%s\n", config.ingest,
            config.feed, config.backend);
    fflush (stdout);
    /* CZMQ turns SIGINT and SIGTERM into zsys_interrupted. The signal may
       land on any thread, so wake up now and then to look. */
    zpoller_t *poller = zpoller_new (broker, NULL);
    while (!zsys_interrupted) {
        if (zpoller_wait (poller, 250) == broker) {
            char *line = zstr_recv (broker);
            zstr_free (&line);
        }
    }
    zpoller_destroy (&poller);

cleanup:
    zactor_destroy (&broker);
    jk_opts_destroy (&opts);
    return status;
}
