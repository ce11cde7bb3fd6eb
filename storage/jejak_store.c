/*  jejak_store.c - jejak-store: the store alone, connected to a broker's
    backend. Parses options, starts the store actor, waits for SIGINT or
    SIGTERM (SIGHUP reloads the enrolled keys of a CURVE query endpoint),
    stops it. Exit codes: 0 clean stop, 1 runtime failure, 2 usage. */
#include "jk_active.h"
#include "jk_checkpoints.h"
#include "jk_opts.h"
#include "jk_projection_table.h"
#include "jk_store.h"

#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

static const jk_opt_t s_options[] = {
    {"db", "JEJAK_DB", "./jejak-data/events.db",
     "SQLite file of the event log (created 0600); the projections sit "
     "beside it in FILE-projections",
     false},
    {"backend", "JEJAK_BACKEND", "tcp://127.0.0.1:7453",
     "the broker's backend endpoint to connect to", false},
    {"query", "JEJAK_QUERY", "tcp://127.0.0.1:7452",
     "query endpoint to bind (catch-up, snapshot, head, gaps)", false},
    {"batch-max", "JEJAK_BATCH_MAX", "1000",
     "most events committed in one transaction", false},
    {"rat-deadline-months", "JEJAK_RAT_DEADLINE_MONTHS", "6",
     "a RAT is late this many months after its book year ends", false},
    {"projection-lag-max", "JEJAK_PROJECTION_LAG_MAX", "50000",
     "answer E_BUSY while the projections are this many records behind "
     "the log",
     false},
    {"query-cert", "JEJAK_QUERY_CERT", NULL,
     "secret certificate for a CURVE query endpoint (plain if unset)", false},
    {"keys", "JEJAK_KEYS", NULL,
     "keys directory of jejak-keys: a non-loopback --query speaks CURVE "
     "admitting the enrolled keys (required for one); a loopback or ipc "
     "--query stays plain",
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
     "the store's area: a kabupaten code (32.03) or a province code (32); "
     "default: Kabupaten Cianjur",
     false},
    {"no-tree", NULL, NULL,
     "bench and diagnostic switch: run without the Merkle tree (no tiles, "
     "no checkpoints, no proofs for new records; docs/OPERATIONS.md)",
     true},
    {"projections-doc", NULL, NULL,
     "print the projection tables' section of docs/PROJECTIONS.md "
     "(generated from the projection table) and exit",
     true},
};

/* Parses a positive integer option; -1 with a message when invalid. */
static int s_positive (jk_opts_t *opts, const char *name, int max)
{
    uint64_t value;
    const char *text = jk_opts_get (opts, name);
    if (!text || jk_parse_u64 (text, &value) != 0 || value == 0 ||
        value > (uint64_t)max) {
        fprintf (stderr,
                 "jejak-store: --%s must be a whole number from 1 to %d, "
                 "not '%s' (see --help)\n",
                 name, max, text ? text : "");
        return -1;
    }
    return (int)value;
}

/* Creates the directory holding path, one level, mode 0700. */
static int s_make_parent (const char *path)
{
    char *copy = jk_strdup (path);
    const char *dir = dirname (copy);
    int rc = 0;
    struct stat st;
    if (stat (dir, &st) != 0 && mkdir (dir, 0700) != 0 && errno != EEXIST) {
        fprintf (stderr, "jejak-store: cannot create directory %s: %s\n", dir,
                 strerror (errno));
        rc = -1;
    }
    free (copy);
    return rc;
}

static void s_usage (jk_opts_t *opts, FILE *out)
{
    fprintf (out,
             "Usage: jejak-store [--db PATH] [--backend EP] [--query EP] "
             "[--batch-max N]\n"
             "                   [--rat-deadline-months N] [--checkpoint-key "
             "FILE]\n"
             "                   [--data-dir DIR] [--region CODE]\n"
             "The single writer of the event log: decides each event the "
             "broker forwards,\nappends it to the hash-chained log, "
             "updates the projections, acknowledges.\n"
             "Runs until SIGINT or SIGTERM; SIGHUP reloads the enrolled keys "
             "of a CURVE\nquery endpoint. Exit codes: 0 stopped, 1 failure, "
             "2 usage.\n\n");
    jk_opts_print (opts, out);
}

/* What the program allocates for the store's configuration. */
typedef struct {
    jk_store_config_t config;
    char *keys_cert, *log_key, *witnesses;
} s_prog_t;

/* The region and the numeric options: 0, or the exit code. */
static int s_check_numbers (jk_opts_t *opts, jk_store_config_t *config)
{
    if (jk_opts_get (opts, "data-dir"))
        jk_region_set_default_dir (jk_opts_get (opts, "data-dir"));
    if (jk_opts_get (opts, "region"))
        jk_region_set_default_area (jk_opts_get (opts, "region"));
    (void)jk_region_default (); /* a bad --region or data dir: exit 2 */
    int batch_max = s_positive (opts, "batch-max", 100000);
    int months =
        s_positive (opts, "rat-deadline-months", JK_RAT_DEADLINE_MONTHS_MAX);
    int every = s_positive (opts, "checkpoint-every", 3600);
    int lag_max = s_positive (opts, "projection-lag-max", 100000000);
    if (batch_max < 0 || months < 0 || every < 0 || lag_max < 0)
        return 2;
    config->batch_max = batch_max;
    config->projection_lag_max = lag_max;
    config->projections.rat_deadline_months = months;
    config->checkpoint_ms = every * 1000;
    return 0;
}

/* The store's configuration from the options: 0, or the exit code. */
static int s_configure (jk_opts_t *opts, s_prog_t *prog)
{
    jk_store_config_t *config = &prog->config;
    memset (config, 0, sizeof *config);
    /* Settings the store refuses together, before any start work. */
    const char *keys = jk_opts_get (opts, "keys");
    prog->log_key =
        jk_log_key_path (keys, jk_opts_get (opts, "checkpoint-key"));
    config->log_key_path = prog->log_key;
    config->no_tree = jk_opts_on (opts, "no-tree");
    const char *refusal =
        jk_store_config_refusal (config->no_tree, config->log_key_path);
    if (refusal) {
        fprintf (stderr, "jejak-store: %s (see --help)\n", refusal);
        return 2;
    }
    int status = s_check_numbers (opts, config);
    if (status)
        return status;
    config->db_path = jk_opts_get (opts, "db");
    config->backend = jk_opts_get (opts, "backend");
    config->query = jk_opts_get (opts, "query");
    config->query_cert_path = jk_opts_get (opts, "query-cert");
    if (!config->db_path[0] || !config->backend[0]) {
        fprintf (stderr, "jejak-store: --db and --backend must not be "
                         "empty (see --help)\n");
        return 2;
    }
    if (jk_endpoint_options ("jejak-store", opts, "backend",
                             JK_ENDPOINT_CONNECT) ||
        (config->query && config->query[0] &&
         jk_endpoint_option ("jejak-store", "query", config->query,
                             JK_ENDPOINT_BIND)))
        return 2;
    /* docs/SECURITY.md: the broker's backend is never encrypted. */
    if (!jk_endpoint_is_local (config->backend)) {
        fprintf (stderr,
                 "jejak-store: --backend %s is not loopback or ipc: the "
                 "link to the broker is never encrypted, so run jejak-store "
                 "on the broker's machine (docs/SECURITY.md)\n",
                 config->backend);
        return 2;
    }
    if (config->query && !config->query[0])
        config->query = NULL;
    /* Plain mode only on this machine: with --keys a query endpoint
       that leaves it speaks CURVE and zauth admits the enrolled
       certificates; a loopback or ipc one stays plain, as jejak-hub's
       (docs/SECURITY.md). */
    if (keys && !config->query_cert_path && config->query &&
        !jk_endpoint_is_local (config->query)) {
        prog->keys_cert = jk_sprintf ("%s/broker.key", keys);
        config->query_cert_path = prog->keys_cert;
    }
    char err[256];
    int wrc = jk_witnesses_read (jk_opts_get (opts, "witnesses"),
                                 &prog->witnesses, err, sizeof err);
    if (wrc != JK_OK) {
        /* Only a key that does not parse is a usage error. */
        fprintf (stderr, "jejak-store: %s%s\n", err,
                 wrc == JK_INVALID ? " (see --help)" : "");
        return wrc == JK_INVALID ? 2 : 1;
    }
    config->witnesses = prog->witnesses;
    /* A CURVE endpoint without --keys would have no zauth behind it and
       admit any client key: only the enrolled keys may read the log. */
    if (config->query && !jk_endpoint_is_local (config->query) && !keys &&
        config->query_cert_path) {
        fprintf (stderr,
                 "jejak-store: refusing to bind %s with --query-cert but "
                 "without --keys: the CURVE query endpoint would admit any "
                 "client key; give --keys, the directory whose enrolled keys "
                 "it admits (docs/SECURITY.md)\n",
                 config->query);
        return 2;
    }
    if (config->query && !jk_endpoint_is_local (config->query) &&
        !config->query_cert_path) {
        fprintf (stderr,
                 "jejak-store: refusing to bind %s without --keys: plain "
                 "(unencrypted) mode is only for loopback (127.0.0.1, "
                 "localhost, [::1]) and ipc endpoints (docs/SECURITY.md)\n",
                 config->query);
        return 2;
    }
    return 0;
}

/* SIGHUP: zauth reloads the enrolled keys the CURVE query endpoint
   admits (auth NULL: there are none). */
static void s_reload (zactor_t *auth, const char *offices)
{
    if (!auth) {
        jk_info ("store", "SIGHUP: nothing to reload (the query endpoint "
                          "admits no enrolled keys)");
        return;
    }
    /* The signals wait meanwhile: none cuts zauth's answer short. */
    jk_thread_enter (NULL);
    zstr_sendx (auth, "CURVE", offices, NULL);
    zsock_wait (auth);
    jk_thread_unblock ();
    jk_info ("store", "SIGHUP: enrolled keys reloaded dir=%s", offices);
}

/* Runs the store until a signal or a FATAL from it: the exit code.
   main blocks the stop signals before this starts any thread. */
static int s_run (jk_opts_t *opts, s_prog_t *prog)
{
    const char *keys = jk_opts_get (opts, "keys");
    /* zauth admits the enrolled keys on a CURVE query endpoint. */
    char *offices = NULL;
    zactor_t *auth = NULL;
    if (keys && prog->config.query && prog->config.query_cert_path) {
        offices = jk_sprintf ("%s/offices", keys);
        auth = zactor_new (zauth, NULL);
        zstr_sendx (auth, "CURVE", offices, NULL);
        zsock_wait (auth);
    }
    int status = 0;
    zactor_t *store = NULL;
    if (s_make_parent (prog->config.db_path) != 0)
        status = 1;
    else
        store = jk_store_begin (&prog->config);
    jk_thread_unblock ();
    if (!store) {
        if (!status)
            fprintf (stderr, "jejak-store: " JK_STORE_CANNOT_START "\n");
        zactor_destroy (&auth);
        free (offices);
        return 1;
    }
    /* The store opens on its own thread; a signal meanwhile stops it at
       its next step. */
    bool opened = false;
    zpoller_t *poller = zpoller_new (store, NULL);
    while (!zsys_interrupted) {
        if (jk_hangup_take ())
            s_reload (auth, offices);
        if (zpoller_wait (poller, 1000) != store)
            continue;
        char *message = zstr_recv (store);
        if (!message)
            continue;
        bool ready = streq (message, "READY");
        bool fatal = streq (message, opened ? "FATAL" : "FAILED");
        free (message);
        if (fatal) {
            fprintf (stderr, opened ? "jejak-store: the database became "
                                      "unusable; stopping\n"
                                    : "jejak-store: " JK_STORE_CANNOT_START
                                      " (see the log above)\n");
            status = 1;
            break;
        }
        opened = opened || ready;
    }
    zpoller_destroy (&poller);
    /* A second signal must not cut the stop's waits short. */
    jk_thread_enter (NULL);
    zactor_destroy (&store);
    zactor_destroy (&auth);
    free (offices);
    return status;
}

int main (int argc, char **argv)
{
    int status = 0;
    /* From the start: SIGHUP reloads (never ends the store), and every
       thread (zauth's too) is born with the stop signals blocked. */
    jk_hangup_catch ();
    jk_thread_enter (NULL);
    jk_opts_t *opts = jk_opts_start_flags (
        "jejak-store", s_options, sizeof s_options / sizeof s_options[0], argc,
        argv, s_usage, &status);
    if (!opts)
        return status;
    s_prog_t prog = {0};
    if (jk_opts_on (opts, "projections-doc"))
        jk_ptable_markdown (stdout);
    else if ((status = s_configure (opts, &prog)) == 0)
        status = s_run (opts, &prog);
    free (prog.keys_cert);
    free (prog.log_key);
    free (prog.witnesses);
    jk_opts_destroy (&opts);
    return status;
}
