/*  jejak_link.c - jejak-link: the upstream link between hubs
    (docs/FEDERATION.md). `send` runs next to a regency (or province) hub
    and forwards its log; `receive` runs at the hub above and keeps the
    verifiable copy; `verify` is the auditor's check of a copy against the
    origin's head or log. */
#include "jk_base.h"
#include "jk_curve.h"
#include "jk_endpoint.h"
#include "jk_broker.h"
#include "jk_keys.h"
#include "jk_link.h"
#include "jk_note.h"
#include "jk_opts.h"
#include "jk_province.h"
#include "jk_replay.h"
#include "jk_schema.h"
#include "jk_wire.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const jk_opt_t s_options[] = {
    {"db", "JEJAK_LINK_DB", NULL,
     "send: the hub's log database (or a copy database to forward further "
     "up); receive, verify: the copy database",
     false},
    {"area", "JEJAK_REGION", NULL,
     "send: this hub's kabupaten code (32.03) or province code (32)", false},
    {"upstream", "JEJAK_UPSTREAM", NULL,
     "send: the receiving hub's link endpoint", false},
    {"key", "JEJAK_LINK_KEY", NULL,
     "send: the link's secret certificate (jejak-keys link at the hub above)",
     false},
    {"server-key", "JEJAK_UPSTREAM_KEY", NULL,
     "send: the hub above's public certificate (its broker.pub)", false},
    {"stats", "JEJAK_LINK_STATS", NULL,
     "send: endpoint answering [JEJAK/1][STATS] (ROUTER, bound)", false},
    {"batch", NULL, "500", "send: records per RECORDS message (1-1000)", false},
    {"query", "JEJAK_QUERY", NULL,
     "send: the hub's query endpoint, for its signed checkpoints (with "
     "--log-key)",
     false},
    {"log-key", "JEJAK_LOG_KEY", NULL,
     "send: the log's verifier key (log.vkey of jejak-keys log-key, or its "
     "text): check the hub's checkpoints by consistency proof, stop on a "
     "fork",
     false},
    {"state", "JEJAK_LINK_STATE", NULL,
     "send, clear-fork: the file keeping the last verified checkpoint and "
     "fork evidence (default: link-state.db beside --db)",
     false},
    {"listen", "JEJAK_LINK_LISTEN", "tcp://127.0.0.1:7460",
     "receive: endpoint senders connect to (ROUTER, bound)", false},
    {"keys", "JEJAK_KEYS", NULL,
     "receive: keys directory (CURVE; link keys in DIR/offices)", false},
    {"window", NULL, "2000", "receive: records in flight per link (credit)",
     false},
    {"log-keys", "JEJAK_LOG_KEYS", NULL,
     "receive: directory of the regencies' log verifier keys, one "
     "AREA.vkey each: check their relayed checkpoints against the copy",
     false},
    {"origin", NULL, NULL,
     "verify, clear-fork: the origin regency (32.03) in the copy", false},
    {"head", NULL, NULL,
     "verify: the origin's head POS:HASH (jejak-replay head at the regency)",
     false},
    {"source", NULL, NULL,
     "verify: the origin hub's log database, compared row by row", false},
    {"province", "JEJAK_PROVINCE_DB", NULL,
     "project, summary: the province's projections database", false},
    {"once", NULL, NULL, "project: stop when caught up with the copy", true},
    {"as-of", NULL, NULL,
     "summary: the date active is decided for, as the agents take "
     "it: " JK_DATE_FORMS " (default today in WIB)",
     false},
    {"data-dir", "JEJAK_DATA_DIR", NULL, "region reference data directory",
     false},
};

static void s_usage (jk_opts_t *opts, FILE *out)
{
    fprintf (out,
             "Usage: jejak-link COMMAND [options]\n"
             "The upstream link between hubs (docs/FEDERATION.md).\n\n"
             "  send --db LOG.db --area 32.03 --upstream EP [--key K "
             "--server-key P]\n"
             "       [--query EP --log-key VKEY [--state FILE]]\n"
             "        forward every record of this hub's log, in order, to "
             "the hub above;\n"
             "        with --log-key, only while the hub's signed "
             "checkpoints extend the\n"
             "        last one verified (consistency proof)\n"
             "  receive --db COPY.db --listen EP [--keys DIR] [--log-keys "
             "DIR]\n"
             "        keep a verifiable copy of every origin that links "
             "here; with\n"
             "        --log-keys, check each regency's relayed checkpoints "
             "against it\n"
             "  verify --db COPY.db --origin 32.03 [--head POS:HASH] "
             "[--source LOG.db]\n"
             "        recompute the origin's chain in the copy and compare "
             "it with the\n"
             "        origin's head or its log\n"
             "  project --db COPY.db --province PROV.db [--once]\n"
             "        keep the province's projections (every regency's "
             "tables side by\n"
             "        side, keyed by kabupaten_code) in step with the copy\n"
             "  summary --db COPY.db --province PROV.db [--as-of DATE]\n"
             "        print the province summary per kabupaten\n"
             "  clear-fork --state FILE | --db COPY.db --origin 32.03\n"
             "        after a fork alarm was investigated: move the sending "
             "end's fork\n"
             "        (and the checkpoint it held) or a copy's fork of one "
             "origin to\n"
             "        table fork_cleared, kept; see docs/OPERATIONS.md\n\n");
    jk_opts_print (opts, out);
    fprintf (out, "\nExit status: 0 done (verify: intact), 1 verify found a "
                  "problem, a\nfile or endpoint failed or clear-fork found "
                  "no fork, 2 usage error, "
                  "5 send stopped on a fork alarm\n(E_FORK: the hub's "
                  "checkpoints are not consistent, or the receiver found "
                  "one\nthat does not extend its copy; the notes kept).\n");
}

static const char *s_need (jk_opts_t *opts, const char *name,
                           const char *command)
{
    const char *value = jk_opts_get (opts, name);
    if (!value || !*value) {
        fprintf (stderr, "jejak-link: %s needs --%s (see --help)\n", command,
                 name);
        return NULL;
    }
    return value;
}

/* Logs the actor's STATS every 10 s and answers STATS on the optional
   endpoint, until SIGINT/SIGTERM. */
static int s_run (zactor_t *actor, zsock_t *stats)
{
    zpoller_t *poller = zpoller_new (actor, stats, NULL);
    int64_t next_log = jk_clock_mono_ms () + 10000;
    while (!zsys_interrupted) {
        void *which = zpoller_wait (poller, 250);
        if (stats && which == stats) {
            zmsg_t *msg = zmsg_recv (stats);
            zframe_t *rid = msg ? zmsg_pop (msg) : NULL;
            char command[16], why[96];
            bool open = rid && !jk_wire_open (msg, command, sizeof command);
            if (open && streq (command, "STATS") && zmsg_size (msg) == 0) {
                zstr_send (actor, "STATS");
                char *text = zstr_recv (actor);
                zmsg_t *answer = jk_wire_new ("STATS");
                zmsg_addstr (answer, text ? text : "");
                zmsg_prepend (answer, &rid);
                zmsg_send (&answer, stats);
                zstr_free (&text);
            } else if (rid) {
                /* As on the query endpoint (docs/PROTOCOL.md, section 6). */
                if (!open)
                    snprintf (why, sizeof why, "not a JEJAK/1 message");
                else if (streq (command, "STATS"))
                    snprintf (why, sizeof why,
                              "STATS takes no argument frames");
                else
                    snprintf (why, sizeof why,
                              "unknown command %s: only STATS is served",
                              command);
                zmsg_t *answer = jk_wire_error (
                    open && !streq (command, "STATS") ? "E_UNKNOWN_COMMAND"
                                                      : "E_PROTOCOL",
                    why);
                zmsg_prepend (answer, &rid);
                zmsg_send (&answer, stats);
            }
            zframe_destroy (&rid);
            zmsg_destroy (&msg);
        } else if (which && which == actor)
            break; /* the actor ended */
        if (jk_clock_mono_ms () >= next_log) {
            next_log += 10000;
            zstr_send (actor, "STATS");
            char *text = zstr_recv (actor);
            jk_info ("link", "%s", text ? text : "");
            zstr_free (&text);
        }
    }
    zpoller_destroy (&poller);
    return 0;
}

/* An area given with --FLAG (area, origin): 0 when it is a kabupaten or
   province code, else 2 with the rule said, the same for every command. */
static int s_area_check (const char *flag, const char *area)
{
    if (jk_link_area_valid (area))
        return 0;
    fprintf (stderr,
             "jejak-link: --%s %s must be a kabupaten code NN.NN (32.03) or "
             "a province code NN (32) (see --help)\n",
             flag, area);
    return 2;
}

/* send's area, key pair, upstream and batch checked: 0, or exit 2 (said). */
static int s_send_check (jk_opts_t *opts, const char *area,
                         const char *upstream, uint64_t *batch)
{
    const char *key = jk_opts_get (opts, "key");
    const char *server = jk_opts_get (opts, "server-key");
    if (s_area_check ("area", area) ||
        jk_endpoint_options ("jejak-link", opts, "upstream query",
                             JK_ENDPOINT_CONNECT) ||
        jk_endpoint_options ("jejak-link", opts, "stats", JK_ENDPOINT_BIND))
        return 2;
    if (!key != !server) {
        fprintf (stderr, "jejak-link: --key and --server-key go together "
                         "(both or neither) (see --help)\n");
        return 2;
    }
    /* Both files read before anything starts: a missing file, or a public
       certificate given as the secret one, is named here rather than met
       as a handshake that never succeeds. */
    static const jk_curve_pair_t pair = {
        "server-key", "key",
        "the receiver's public certificate and this link's secret one",
        "the broker.pub of the hub above",
        "the link_AREA.key that jejak-keys link issued at the hub above"};
    char why[1024];
    if (jk_curve_pair_check (&pair, server, key, why, sizeof why) != JK_OK) {
        fprintf (stderr, "jejak-link: %s (see --help)\n", why);
        return 2;
    }
    if (!key && !jk_endpoint_is_local (upstream)) {
        fprintf (stderr,
                 "jejak-link: --upstream %s leaves the machine: give --key "
                 "and --server-key (CURVE) (see --help)\n",
                 upstream);
        return 2;
    }
    /* The stats socket has no keys: it stays on this machine
       (docs/SECURITY.md), whatever the link's own keys. */
    const char *stats = jk_opts_get (opts, "stats");
    if (stats && !jk_endpoint_is_local (stats)) {
        fprintf (stderr,
                 "jejak-link: refusing to bind --stats %s: the stats endpoint "
                 "has no keys, so it binds only loopback (127.0.0.1, "
                 "localhost, [::1]) and ipc endpoints (docs/SECURITY.md) "
                 "(see --help)\n",
                 stats);
        return 2;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "batch"), batch) || *batch == 0 ||
        *batch > JK_LINK_BATCH_MAX) {
        fprintf (stderr,
                 "jejak-link: --batch must be 1 to 1000 (see --help)\n");
        return 2;
    }
    return 0;
}

/* send's --state, by default link-state.db beside db (heap). */
static char *s_state_path (jk_opts_t *opts, const char *db)
{
    if (jk_opts_get (opts, "state"))
        return jk_strdup (jk_opts_get (opts, "state"));
    const char *slash = strrchr (db, '/');
    return slash ? jk_sprintf ("%.*s/link-state.db", (int)(slash - db), db)
                 : jk_strdup ("link-state.db");
}

static int s_send_command (jk_opts_t *opts)
{
    const char *db = s_need (opts, "db", "send");
    const char *area = db ? s_need (opts, "area", "send") : NULL;
    const char *upstream = area ? s_need (opts, "upstream", "send") : NULL;
    uint64_t batch = 0;
    if (!upstream)
        return 2;
    if (s_send_check (opts, area, upstream, &batch) != 0)
        return 2;
    const char *key = jk_opts_get (opts, "key");
    const char *server = jk_opts_get (opts, "server-key");
    const char *query = jk_opts_get (opts, "query");
    char *log_key = jk_note_vkey_given (jk_opts_get (opts, "log-key"));
    if (!query != !log_key) {
        fprintf (stderr, "jejak-link: --query and --log-key go together "
                         "(both or neither) (see --help)\n");
        free (log_key);
        return 2;
    }
    char *state = log_key ? s_state_path (opts, db) : NULL;
    bool forked = false;
    jk_link_sender_config_t config = {db,      area,       upstream, key,
                                      server,  (int)batch, 0,        query,
                                      log_key, state,      &forked};
    zactor_t *actor = jk_link_sender_start (&config);
    if (!actor) {
        fprintf (stderr, "jejak-link: cannot start (see the log above)\n");
        free (log_key);
        free (state);
        return 1;
    }
    zsock_t *stats = NULL;
    const char *stats_ep = jk_opts_get (opts, "stats");
    if (stats_ep) {
        stats = zsock_new (ZMQ_ROUTER);
        char why[128];
        if (jk_endpoint_bind (stats, stats_ep, why, sizeof why) < 0) {
            fprintf (stderr, "jejak-link: cannot bind --stats %s: %s\n",
                     stats_ep, why);
            zsock_destroy (&stats);
            zactor_destroy (&actor);
            free (log_key);
            free (state);
            return 1;
        }
    }
    char stats_shown[JK_ENDPOINT_SHOWN_MAX] = "";
    if (stats)
        jk_endpoint_shown (stats, stats_ep, stats_shown, sizeof stats_shown);
    printf ("jejak-link send area=%s db=%s upstream=%s%s%s%s%s%s\n", area, db,
            upstream, key ? " secure=curve" : "", state ? " checkpoints=" : "",
            state ? state : "", stats ? " stats=" : "", stats_shown);
    fflush (stdout);
    int status = s_run (actor, stats);
    zactor_destroy (&actor);
    zsock_destroy (&stats);
    free (log_key);
    free (state);
    return forked ? 5 : status;
}

static int s_receive_command (jk_opts_t *opts)
{
    const char *db = s_need (opts, "db", "receive");
    if (!db)
        return 2;
    const char *listen = jk_opts_get (opts, "listen");
    const char *keys = jk_opts_get (opts, "keys");
    if (jk_endpoint_options ("jejak-link", opts, "listen", JK_ENDPOINT_BIND) ||
        !jk_broker_plain_allowed ("jejak-link", keys, &listen, 1))
        return 2;
    uint64_t window = 0;
    if (jk_parse_u64 (jk_opts_get (opts, "window"), &window) || window == 0 ||
        window > 1000000) {
        fprintf (stderr,
                 "jejak-link: --window must be 1 to 1000000 (see --help)\n");
        return 2;
    }
    /* The regencies' AREA.vkey files are read at each checkpoint; a
       directory that is not there would leave every checkpoint unchecked
       without a word beyond a warning. */
    const char *log_keys = jk_opts_get (opts, "log-keys");
    struct stat sb;
    int found = log_keys ? stat (log_keys, &sb) : 0;
    if (log_keys && (found != 0 || !S_ISDIR (sb.st_mode))) {
        fprintf (stderr,
                 "jejak-link: --log-keys %s: %s: it must be the directory of "
                 "the regencies' log verifier keys, one AREA.vkey each\n",
                 log_keys, found != 0 ? strerror (errno) : "not a directory");
        return 1;
    }
    char *cert =
        keys ? jk_sprintf ("%s/%s", keys, JK_KEYS_BROKER_SECRET) : NULL;
    char *offices = keys ? jk_sprintf ("%s/%s", keys, JK_KEYS_OFFICES) : NULL;
    char shown[JK_ENDPOINT_SHOWN_MAX] = "";
    jk_link_receiver_config_t config = {db,     listen,
                                        cert,   offices,
                                        window, jk_opts_get (opts, "log-keys"),
                                        shown,  sizeof shown};
    zactor_t *actor = jk_link_receiver_start (&config);
    int status = 1;
    if (actor) {
        printf ("jejak-link receive listen=%s db=%s%s\n", shown, db,
                keys ? " secure=curve" : "");
        fflush (stdout);
        status = s_run (actor, NULL);
        zactor_destroy (&actor);
    } else
        fprintf (stderr, "jejak-link: cannot start (see the log above)\n");
    free (cert);
    free (offices);
    return status;
}

static int s_verify_command (jk_opts_t *opts)
{
    const char *db = s_need (opts, "db", "verify");
    const char *origin = db ? s_need (opts, "origin", "verify") : NULL;
    if (!origin)
        return 2;
    if (s_area_check ("origin", origin))
        return 2;
    jk_head_t kept = {0};
    const char *head = jk_opts_get (opts, "head");
    if (head) {
        jk_replay_head_t parsed;
        char err[256];
        if (jk_replay_head_parse (head, &parsed, err, sizeof err)) {
            fprintf (stderr, "jejak-link: --head: %s (see --help)\n", err);
            return 2;
        }
        kept.pos = parsed.pos;
        memcpy (kept.hash, parsed.hash, JK_HASH_SIZE);
    }
    jk_link_verify_t result;
    int rc = jk_link_verify (db, origin, head ? &kept : NULL,
                             jk_opts_get (opts, "source"), &result);
    char hex[65];
    jk_hex_format (result.head.hash, JK_HASH_SIZE, hex);
    if (rc == JK_OK) {
        printf ("OK %s\ncopy head %s %llu:%s\n", result.message, origin,
                (unsigned long long)result.head.pos, hex);
        return 0;
    }
    printf ("FAILED %s\n", result.message);
    if (rc == JK_INVALID)
        printf ("copy intact up to %s %llu:%s\n", origin,
                (unsigned long long)result.head.pos, hex);
    return 1;
}

/* Opens the province's projections for project and summary; NULL with
 *status set. */
static jk_province_t *s_province (jk_opts_t *opts, const char *command,
                                  int *status)
{
    *status = 2;
    const char *db = s_need (opts, "db", command);
    const char *path = db ? s_need (opts, "province", command) : NULL;
    if (!path)
        return NULL;
    char err[512];
    jk_province_t *province = jk_province_open (path, db, err, sizeof err);
    *status = 1;
    if (!province)
        fprintf (stderr, "jejak-link: %s\n", err);
    return province;
}

static int s_project_command (jk_opts_t *opts)
{
    int status;
    jk_province_t *province = s_province (opts, "project", &status);
    if (!province)
        return status;
    zsys_init (); /* SIGINT and SIGTERM stop the loop below */
    bool once = jk_opts_on (opts, "once");
    printf ("jejak-link project province=%s db=%s pos=%llu\n",
            jk_opts_get (opts, "province"), jk_opts_get (opts, "db"),
            (unsigned long long)jk_province_position (province));
    fflush (stdout);
    status = 0;
    uint64_t applied = 0;
    int64_t next_log = jk_clock_mono_ms () + 10000;
    while (!zsys_interrupted) {
        char err[512];
        int64_t n =
            jk_province_step (province, 1000, 0, NULL, NULL, err, sizeof err);
        if (n < 0) {
            jk_error ("province", "%s", err);
            status = 1;
            break;
        }
        applied += (uint64_t)n;
        if (jk_clock_mono_ms () >= next_log) {
            next_log += 10000;
            jk_info ("province", "pos=%llu applied=%llu",
                     (unsigned long long)jk_province_position (province),
                     (unsigned long long)applied);
        }
        if (n == 0 && once)
            break;
        if (n == 0)
            zclock_sleep (100); /* the copy is polled: nothing new yet */
    }
    printf ("jejak-link project pos=%llu applied=%llu\n",
            (unsigned long long)jk_province_position (province),
            (unsigned long long)applied);
    jk_province_destroy (&province);
    return status;
}

static void s_summary_row (const jk_province_row_t *r, void *arg)
{
    (void)arg;
    printf ("%s pos=%llu cooperatives=%lld active=%lld people=%lld "
            "batches=%lld enrolled=%lld completed=%lld assessed=%lld "
            "competent=%lld certificates=%lld\n",
            r->kabupaten_code, (unsigned long long)r->log_pos,
            (long long)r->cooperatives, (long long)r->active,
            (long long)r->people, (long long)r->batches, (long long)r->enrolled,
            (long long)r->completed, (long long)r->assessed,
            (long long)r->competent, (long long)r->certificates);
}

static int s_summary_command (jk_opts_t *opts)
{
    int32_t day = jk_wib_day (jk_clock_now_ms ());
    const char *as_of = jk_opts_get (opts, "as-of");
    if (as_of && jk_date_parse_day (as_of, &day)) {
        fprintf (stderr,
                 "jejak-link: --as-of must be a date " JK_DATE_FORMS
                 ", got '%s'\n",
                 as_of);
        return 2;
    }
    int status;
    jk_province_t *province = s_province (opts, "summary", &status);
    if (!province)
        return status;
    char err[512], date[11];
    jk_date_format (day, date);
    printf ("province summary as of %s (active: the default rule)\n", date);
    status = jk_province_summary (province, day, s_summary_row, NULL, err,
                                  sizeof err)
                 ? 1
                 : 0;
    if (status)
        fprintf (stderr, "jejak-link: %s\n", err);
    jk_province_destroy (&province);
    return status;
}

/* clear-fork: the sending end's (--state, or --db's default) or, with
   --origin, the copy's (--db) fork alarm cleared (jk_link_clear_fork). */
static int s_clear_fork_command (jk_opts_t *opts)
{
    const char *origin = jk_opts_get (opts, "origin");
    const char *db = jk_opts_get (opts, "db");
    if (origin && s_area_check ("origin", origin))
        return 2;
    if (origin && !s_need (opts, "db", "clear-fork --origin"))
        return 2;
    if (!origin && !db && !jk_opts_get (opts, "state")) {
        fprintf (stderr, "jejak-link: clear-fork needs --state (the sending "
                         "end's) or --db with --origin (a copy's) (see "
                         "--help)\n");
        return 2;
    }
    char *path = origin ? jk_strdup (db) : s_state_path (opts, db ? db : "");
    char said[1024];
    int rc = jk_link_clear_fork (path, origin, said, sizeof said);
    free (path);
    if (rc != JK_OK) {
        fprintf (stderr, "jejak-link: clear-fork: %s\n", said);
        return 1;
    }
    printf ("jejak-link: %s\n", said);
    return 0;
}

int main (int argc, char **argv)
{
    int status;
    jk_opts_t *opts = jk_opts_start ("jejak-link", s_options,
                                     sizeof s_options / sizeof s_options[0],
                                     argc, argv, s_usage, &status);
    if (!opts)
        return status;
    status = 2;
    const char *command = jk_opts_arg (opts, 0);
    if (!command || jk_opts_argc (opts) != 1) {
        s_usage (opts, stderr);
        goto cleanup;
    }
    if (jk_opts_get (opts, "data-dir"))
        jk_region_set_default_dir (jk_opts_get (opts, "data-dir"));
    if (streq (command, "send"))
        status = s_send_command (opts);
    else if (streq (command, "receive"))
        status = s_receive_command (opts);
    else if (streq (command, "verify"))
        status = s_verify_command (opts);
    else if (streq (command, "project"))
        status = s_project_command (opts);
    else if (streq (command, "summary"))
        status = s_summary_command (opts);
    else if (streq (command, "clear-fork"))
        status = s_clear_fork_command (opts);
    else {
        fprintf (stderr, "jejak-link: unknown command %s (see --help)\n",
                 command);
    }
cleanup:
    jk_opts_destroy (&opts);
    return status;
}
