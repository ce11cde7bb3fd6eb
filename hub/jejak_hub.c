/*  jejak_hub.c - jejak-hub: the broker and the store actors in one
    process, joined over inproc; the embedded default a new user starts
    first. Parses options, starts both, waits for SIGINT/SIGTERM, stops
    them (store first, so its last batch is committed and answered). */
#include "jk_broker.h"
#include "jk_checkpoints.h"
#include "jk_keys.h"
#include "jk_opts.h"
#include "jk_store.h"
#include "jk_wire.h"
#include "jk_version.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_BACKEND "inproc://jejak-hub-backend"

static const jk_opt_t s_options[] = {
    {"db", "JEJAK_DB", "./jejak-data/events.db",
     "event log database (SQLite; created with its directory); the "
     "projections sit beside it in FILE-projections",
     false},
    {"ingest", "JEJAK_INGEST", "tcp://127.0.0.1:7450",
     "endpoint agents submit to (ROUTER, bound)", false},
    {"feed", "JEJAK_FEED", "tcp://127.0.0.1:7451",
     "endpoint live subscribers connect to (XPUB, bound)", false},
    {"query", "JEJAK_QUERY", "tcp://127.0.0.1:7452",
     "store query endpoint: HEAD, SINCE, SNAPSHOT ... (ROUTER, bound)", false},
    {"feed-hwm", "JEJAK_FEED_HWM", "100000",
     "messages queued per feed subscriber before drops", false},
    {"keys", "JEJAK_KEYS", NULL,
     "secure mode: keys directory of jejak-keys (CURVE on ingest; required "
     "for any non-loopback endpoint)",
     false},
    {"checkpoint-key", "JEJAK_CHECKPOINT_KEY", NULL,
     "sign checkpoints of the log with this key file (jejak-keys log-key; "
     "default: KEYS/log.key when --keys holds one)",
     false},
    {"witnesses", "JEJAK_WITNESSES", NULL,
     "verifier keys of the witnesses whose cosignatures the hub keeps and "
     "serves (COSIGN), separated by commas, or a file of one per line",
     false},
    {"checkpoint-every", "JEJAK_CHECKPOINT_EVERY", "10",
     "seconds: a signed checkpoint at most this long after any commit", false},
    {"data-dir", "JEJAK_DATA_DIR", NULL,
     "region reference data directory (default: the installed copy)", false},
    {"region", "JEJAK_REGION", NULL,
     "the hub's area: a kabupaten code (32.03) or, for a province hub, a "
     "province code (32); default: Kabupaten Cianjur",
     false},
    {"rat-deadline-months", "JEJAK_RAT_DEADLINE_MONTHS", "6",
     "a RAT is late this many months after its book year", false},
    {"projection-lag-max", "JEJAK_PROJECTION_LAG_MAX", "50000",
     "answer E_BUSY while the projections are this many records behind "
     "the log",
     false},
    {"no-tree", NULL, NULL,
     "bench and diagnostic switch: run without the Merkle tree (no tiles, "
     "no checkpoints, no proofs for new records; docs/OPERATIONS.md)",
     true},
};

static void s_usage (jk_opts_t *opts)
{
    printf ("Usage: jejak-hub [options]\n"
            "Broker and event store in one process: agents submit on "
            "--ingest,\nsubscribers listen on --feed, late joiners catch up "
            "on --query.\nWire protocol: docs/PROTOCOL.md.\n\n"
            "Each option comes from its flag, else its environment "
            "variable, else\nthe ZPL config file (--config PATH or "
            "JEJAK_CONFIG; key = option name),\nelse the default.\n\n");
    jk_opts_print (opts, stdout);
    printf ("\nSecure mode (--keys DIR): agents must use CURVE with a key "
            "enrolled by\njejak-keys; the feed and query endpoints too when "
            "they are not loopback.\nSIGHUP reloads the keys at once (they "
            "are also re-read within a second\nof any change).\n");
    printf ("\nExit status: 0 after SIGINT/SIGTERM, 1 when an endpoint "
            "cannot be bound\nor the database cannot be opened, 2 on usage "
            "errors or a non-loopback\nendpoint without --keys.\n");
}

/* Creates the directory that will hold the database, if missing. */
static int s_make_parent (const char *path)
{
    char *dir = jk_strdup (path);
    char *slash = strrchr (dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = 0;
        if (mkdir (dir, 0700) && errno != EEXIST) {
            fprintf (stderr, "jejak-hub: cannot create directory %s: %s\n", dir,
                     strerror (errno));
            rc = -1;
        }
    }
    free (dir);
    return rc;
}

/* True when the broker reports the store as up. */
static bool s_store_up (zactor_t *broker)
{
    zstr_send (broker, "STATS");
    char *text = zstr_recv (broker);
    bool up = text && strstr (text, "store=up");
    zstr_free (&text);
    return up;
}

static int s_usage_error (const char *message)
{
    fprintf (stderr, "jejak-hub: %s (see --help)\n", message);
    return 2;
}

int main (int argc, char **argv)
{
    if (jk_version_asked (argc, argv)) {
        jk_version_print ("jejak-hub", stdout);
        return 0;
    }
    jk_opts_t *opts = jk_opts_new ("jejak-hub", s_options,
                                   sizeof s_options / sizeof s_options[0]);
    char err[256];
    int status = 0;
    zactor_t *broker = NULL, *store = NULL;
    char *cert_path = NULL, *keys_dir = NULL, *log_key = NULL;
    char *witnesses = NULL;
    uint64_t hwm, months, every, lag_max;
    if (jk_opts_parse (opts, argc, argv, err, sizeof err)) {
        status = s_usage_error (err);
        goto cleanup;
    }
    if (jk_opts_help (opts)) {
        s_usage (opts);
        goto cleanup;
    }
    if (jk_opts_argc (opts) > 0) {
        status = s_usage_error ("unexpected argument");
        goto cleanup;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "feed-hwm"), &hwm) || hwm == 0 ||
        hwm > 100000000) {
        status = s_usage_error ("--feed-hwm must be 1 to 100000000");
        goto cleanup;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "rat-deadline-months"), &months) ||
        months == 0 || months > 120) {
        status = s_usage_error ("--rat-deadline-months must be 1 to 120");
        goto cleanup;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "checkpoint-every"), &every) ||
        every == 0 || every > 3600) {
        status = s_usage_error ("--checkpoint-every must be 1 to 3600 seconds");
        goto cleanup;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "projection-lag-max"), &lag_max) ||
        lag_max == 0 || lag_max > 100000000) {
        status = s_usage_error ("--projection-lag-max must be 1 to 100000000");
        goto cleanup;
    }
    char werr[320];
    int wrc = jk_witnesses_read (jk_opts_get (opts, "witnesses"), &witnesses,
                                 werr, sizeof werr);
    if (wrc != JK_OK) {
        status = wrc == JK_INVALID ? s_usage_error (werr) : 1;
        if (wrc != JK_INVALID)
            fprintf (stderr, "jejak-hub: %s\n", werr);
        goto cleanup;
    }
    if (jk_opts_get (opts, "data-dir"))
        jk_region_set_default_dir (jk_opts_get (opts, "data-dir"));
    if (jk_opts_get (opts, "region"))
        jk_region_set_default_area (jk_opts_get (opts, "region"));
    (void)jk_region_default (); /* a bad --region stops here, exit 2 */
    const char *db = jk_opts_get (opts, "db");
    if (s_make_parent (db)) {
        status = 1;
        goto cleanup;
    }
    const char *keys = jk_opts_get (opts, "keys");
    const char *endpoints[] = {jk_opts_get (opts, "ingest"),
                               jk_opts_get (opts, "feed"),
                               jk_opts_get (opts, "query")};
    if (!jk_broker_plain_allowed ("jejak-hub", keys, endpoints, 3)) {
        status = 2;
        goto cleanup;
    }
    log_key = jk_log_key_path (keys, jk_opts_get (opts, "checkpoint-key"));
    if (jk_opts_on (opts, "no-tree") && log_key) {
        status = s_usage_error ("--no-tree leaves no tree to sign: it cannot "
                                "go with a checkpoint key (--checkpoint-key, "
                                "or log.key in --keys)");
        goto cleanup;
    }
    cert_path = keys ? jk_sprintf ("%s/%s", keys, JK_KEYS_BROKER_SECRET) : NULL;
    keys_dir = keys ? jk_sprintf ("%s/%s", keys, JK_KEYS_OFFICES) : NULL;
    jk_broker_config_t bconfig = {endpoints[0], endpoints[1], S_BACKEND,
                                  (int)hwm,     cert_path,    keys_dir};
    broker = jk_broker_start (&bconfig);
    if (!broker) {
        fprintf (stderr, "jejak-hub: cannot start the broker (see the log "
                         "above)\n");
        status = 1;
        goto cleanup;
    }
    jk_store_config_t sconfig;
    memset (&sconfig, 0, sizeof sconfig);
    sconfig.db_path = db;
    sconfig.backend = S_BACKEND;
    sconfig.query = jk_opts_get (opts, "query");
    sconfig.projections.rat_deadline_months = (int)months;
    sconfig.projection_lag_max = (int)lag_max;
    /* The query endpoint speaks CURVE when it leaves the machine; the
       broker's zauth (one per process) admits the enrolled keys. */
    if (keys && !jk_endpoint_is_local (sconfig.query))
        sconfig.query_cert_path = cert_path;
    sconfig.log_key_path = log_key;
    sconfig.no_tree = jk_opts_on (opts, "no-tree");
    sconfig.witnesses = witnesses;
    sconfig.checkpoint_ms = (int)every * 1000;
    store = jk_store_start (&sconfig);
    if (!store) {
        fprintf (stderr, "jejak-hub: cannot start the store (see the log "
                         "above)\n");
        status = 1;
        goto cleanup;
    }
    /* Ready means ready to acknowledge: wait (bounded) until the broker
       has heard the store's first PING. */
    int64_t deadline = jk_clock_mono_ms () + 5000;
    while (!zsys_interrupted && jk_clock_mono_ms () < deadline &&
           !s_store_up (broker))
        zclock_sleep (5);
    printf ("jejak-hub ingest=%s feed=%s query=%s db=%s%s\n", bconfig.ingest,
            bconfig.feed, sconfig.query, db, keys ? " secure=curve" : "");
    fflush (stdout);
    status = jk_broker_run ("jejak-hub", broker, store);

cleanup:
    zactor_destroy (&store);
    zactor_destroy (&broker);
    free (cert_path);
    free (keys_dir);
    free (log_key);
    free (witnesses);
    jk_opts_destroy (&opts);
    return status;
}
