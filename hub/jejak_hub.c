/*  jejak_hub.c - jejak-hub: the broker and the store actors in one
    process, joined over inproc; the embedded default a new user starts
    first. Parses options, starts both, waits for SIGINT/SIGTERM, stops
    them (store first, so its last batch is committed and answered). */
#include "jk_active.h"
#include "jk_broker.h"
#include "jk_checkpoints.h"
#include "jk_endpoint.h"
#include "jk_keys.h"
#include "jk_opts.h"
#include "jk_store.h"
#include "jk_wire.h"

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

static void s_usage (jk_opts_t *opts, FILE *out)
{
    fprintf (out,
             "Usage: jejak-hub [options]\n"
             "Broker and event store in one process: agents submit on "
             "--ingest,\nsubscribers listen on --feed, late joiners catch up "
             "on --query.\nWire protocol: docs/PROTOCOL.md.\n\n"
             "Each option comes from its flag, else its environment "
             "variable, else\nthe ZPL config file (--config PATH or "
             "JEJAK_CONFIG; key = option name),\nelse the default.\n\n");
    jk_opts_print (opts, out);
    fprintf (out,
             "\nSecure mode (--keys DIR): agents must use CURVE with a key "
             "enrolled by\njejak-keys; the feed and query endpoints too when "
             "they are not loopback.\nSIGHUP reloads the keys at once (they "
             "are also re-read within a second\nof any change).\n");
    fprintf (out,
             "\nExit status: 0 after SIGINT/SIGTERM, 1 when an endpoint "
             "cannot be bound,\nthe database cannot be opened (or is damaged "
             "or in use) or a key file\ncannot be read, 2 on usage errors or a "
             "non-loopback endpoint without\n--keys.\n");
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

/* True when the broker reports the store as up. The signals wait
   meanwhile, so that none cuts the reply short and leaves it for the
   next question. */
static bool s_store_up (zactor_t *broker)
{
    jk_thread_enter (NULL);
    zstr_send (broker, "STATS");
    char *text = zstr_recv (broker);
    jk_thread_unblock ();
    bool up = text && strstr (text, "store=up");
    zstr_free (&text);
    return up;
}

static int s_usage_error (const char *message)
{
    fprintf (stderr, "jejak-hub: %s (see --help)\n", message);
    return 2;
}

/* What the options decide, checked before anything starts. */
typedef struct {
    uint64_t hwm, every, lag_max;
    int months;
    const char *db, *keys;
    const char *endpoints[3]; /* ingest, feed, query */
    char *cert_path, *keys_dir, *log_key, *witnesses;
} s_hub_t;

/* The numeric options within their ranges: 0, or the exit code. */
static int s_check_numbers (jk_opts_t *opts, s_hub_t *hub)
{
    if (jk_parse_u64 (jk_opts_get (opts, "feed-hwm"), &hub->hwm) ||
        hub->hwm == 0 || hub->hwm > 100000000)
        return s_usage_error ("--feed-hwm must be 1 to 100000000");
    if (jk_rat_deadline_months_parse (jk_opts_get (opts, "rat-deadline-months"),
                                      &hub->months) != 0)
        return s_usage_error ("--rat-deadline-months must be 1 to 24");
    if (jk_parse_u64 (jk_opts_get (opts, "checkpoint-every"), &hub->every) ||
        hub->every == 0 || hub->every > 3600)
        return s_usage_error ("--checkpoint-every must be 1 to 3600 seconds");
    if (jk_parse_u64 (jk_opts_get (opts, "projection-lag-max"),
                      &hub->lag_max) ||
        hub->lag_max == 0 || hub->lag_max > 100000000)
        return s_usage_error ("--projection-lag-max must be 1 to 100000000");
    return 0;
}

/* The rest of the options: witnesses, region, the database's folder,
   plain endpoints, the checkpoint key. 0, or the exit code. */
static int s_check (jk_opts_t *opts, s_hub_t *hub)
{
    /* Each endpoint's form first: a malformed one is not judged for
       loopback or keys. */
    if (jk_endpoint_options ("jejak-hub", opts, "ingest feed query",
                             JK_ENDPOINT_BIND))
        return 2;
    /* Settings the store refuses together, before any start work. */
    hub->keys = jk_opts_get (opts, "keys");
    hub->log_key =
        jk_log_key_path (hub->keys, jk_opts_get (opts, "checkpoint-key"));
    const char *refusal =
        jk_store_config_refusal (jk_opts_on (opts, "no-tree"), hub->log_key);
    if (refusal)
        return s_usage_error (refusal);
    int status = s_check_numbers (opts, hub);
    if (status)
        return status;
    char werr[320];
    int wrc = jk_witnesses_read (jk_opts_get (opts, "witnesses"),
                                 &hub->witnesses, werr, sizeof werr);
    if (wrc != JK_OK) {
        if (wrc == JK_INVALID)
            return s_usage_error (werr);
        fprintf (stderr, "jejak-hub: %s\n", werr);
        return 1;
    }
    if (jk_opts_get (opts, "data-dir"))
        jk_region_set_default_dir (jk_opts_get (opts, "data-dir"));
    if (jk_opts_get (opts, "region"))
        jk_region_set_default_area (jk_opts_get (opts, "region"));
    (void)jk_region_default (); /* a bad --region stops here, exit 2 */
    hub->db = jk_opts_get (opts, "db");
    /* SQLite would take "" for a temporary database of its own. */
    if (!hub->db[0])
        return s_usage_error ("--db must not be empty");
    if (s_make_parent (hub->db))
        return 1;
    hub->endpoints[0] = jk_opts_get (opts, "ingest");
    hub->endpoints[1] = jk_opts_get (opts, "feed");
    hub->endpoints[2] = jk_opts_get (opts, "query");
    if (!jk_broker_plain_allowed ("jejak-hub", hub->keys, hub->endpoints, 3))
        return 2;
    return 0;
}

/* The store's configuration from the checked options. */
static void s_store_config (jk_opts_t *opts, const s_hub_t *hub,
                            jk_store_config_t *sconfig)
{
    memset (sconfig, 0, sizeof *sconfig);
    sconfig->db_path = hub->db;
    sconfig->backend = S_BACKEND;
    sconfig->query = hub->endpoints[2];
    sconfig->projections.rat_deadline_months = hub->months;
    sconfig->projection_lag_max = (int)hub->lag_max;
    /* The query endpoint speaks CURVE when it leaves the machine; the
       broker's zauth (one per process) admits the enrolled keys. */
    if (hub->keys && !jk_endpoint_is_local (sconfig->query))
        sconfig->query_cert_path = hub->cert_path;
    sconfig->log_key_path = hub->log_key;
    sconfig->no_tree = jk_opts_on (opts, "no-tree");
    sconfig->witnesses = hub->witnesses;
    sconfig->checkpoint_ms = (int)hub->every * 1000;
}

/* How the wait for the store ended. */
typedef enum { S_STORE_UP, S_STORE_SIGNAL, S_STORE_FAILED } s_wait_t;

/* Waits until the store has opened its database (its verdict) and the
   broker has heard its first PING, however long that takes: the start
   line means ready to acknowledge, so it never comes before. Says on
   stderr every 5 s that it is still waiting, passes a SIGHUP on to the
   broker at once, and returns S_STORE_SIGNAL on SIGINT/SIGTERM (or when
   a message of the opened store, a FATAL read by the run loop, came
   first) and S_STORE_FAILED when the store could not open. */
static s_wait_t s_wait_store (zactor_t *broker, zactor_t *store)
{
    zpoller_t *poller = zpoller_new (store, NULL);
    int64_t started = jk_clock_mono_ms (), said = started;
    bool opened = false;
    s_wait_t result = S_STORE_SIGNAL;
    while (!zsys_interrupted) {
        if (jk_hangup_take ())
            zstr_send (broker, "RELOAD");
        if (opened && s_store_up (broker)) {
            result = S_STORE_UP;
            break;
        }
        if (zpoller_wait (poller, 5) == store) {
            if (opened)
                break;
            char *verdict = zstr_recv (store);
            opened = verdict && streq (verdict, "READY");
            bool failed = verdict && !opened;
            zstr_free (&verdict);
            if (failed) {
                result = S_STORE_FAILED;
                break;
            }
            continue;
        }
        int64_t now = jk_clock_mono_ms ();
        if (now - said >= 5000) {
            said = now;
            fprintf (stderr,
                     "jejak-hub: the broker has not heard the store after "
                     "%lld s; still waiting (the start line follows when "
                     "it has)\n",
                     (long long)((now - started) / 1000));
        }
    }
    zpoller_destroy (&poller);
    return result;
}

/* Starts the broker and the store, waits until the store has opened and
   the broker has heard its first PING (ready means ready to
   acknowledge), says so on stdout and runs until a signal. Returns the
   exit code. */
static int s_run (jk_opts_t *opts, s_hub_t *hub)
{
    hub->cert_path =
        hub->keys ? jk_sprintf ("%s/%s", hub->keys, JK_KEYS_BROKER_SECRET)
                  : NULL;
    hub->keys_dir =
        hub->keys ? jk_sprintf ("%s/%s", hub->keys, JK_KEYS_OFFICES) : NULL;
    jk_broker_config_t bconfig = {hub->endpoints[0], hub->endpoints[1],
                                  S_BACKEND,         (int)hub->hwm,
                                  hub->cert_path,    hub->keys_dir};
    zactor_t *broker = jk_broker_start (&bconfig);
    if (!broker) {
        fprintf (stderr, "jejak-hub: cannot start the broker (see the log "
                         "above)\n");
        return 1;
    }
    jk_store_config_t sconfig;
    s_store_config (opts, hub, &sconfig);
    /* The store opens on its own thread (a large log may take minutes to
       catch up): this thread reports meanwhile and takes the signals. */
    char query_shown[JK_ENDPOINT_SHOWN_MAX] = "";
    sconfig.query_shown = query_shown;
    sconfig.query_shown_size = sizeof query_shown;
    zactor_t *store = jk_store_begin (&sconfig);
    jk_thread_unblock ();
    if (!store) {
        fprintf (stderr, "jejak-hub: " JK_STORE_CANNOT_START "\n");
        zactor_destroy (&broker);
        return 1;
    }
    s_wait_t waited = s_wait_store (broker, store);
    int status = 1;
    if (waited == S_STORE_FAILED) {
        fprintf (stderr, "jejak-hub: " JK_STORE_CANNOT_START " (see the log "
                         "above)\n");
        jk_thread_enter (NULL);
    } else {
        if (waited == S_STORE_UP) {
            char *ingest = jk_broker_endpoint (broker, "ingest");
            char *feed = jk_broker_endpoint (broker, "feed");
            printf ("jejak-hub ingest=%s feed=%s query=%s db=%s%s\n", ingest,
                    feed, query_shown, hub->db,
                    hub->keys ? " secure=curve" : "");
            zstr_free (&ingest);
            zstr_free (&feed);
            fflush (stdout);
        }
        /* After a signal it returns at once; the store still opening
           stops at its next step when destroyed below. */
        status = jk_broker_run ("jejak-hub", broker, store);
    }
    zactor_destroy (&store);
    zactor_destroy (&broker);
    return status;
}

int main (int argc, char **argv)
{
    int status = 0;
    /* From the start: SIGHUP reloads the keys (never ends the hub, not
       even while its store opens), and every thread is born with the
       stop signals blocked (released once the store's thread runs). */
    jk_hangup_catch ();
    jk_thread_enter (NULL);
    jk_opts_t *opts = jk_opts_start_flags (
        "jejak-hub", s_options, sizeof s_options / sizeof s_options[0], argc,
        argv, s_usage, &status);
    if (!opts)
        return status;
    s_hub_t hub = {0};
    if ((status = s_check (opts, &hub)) == 0)
        status = s_run (opts, &hub);
    free (hub.cert_path);
    free (hub.keys_dir);
    free (hub.log_key);
    free (hub.witnesses);
    jk_opts_destroy (&opts);
    return status;
}
