/*  jejak_pgsink.c - jejak-pgsink: keeps a PostgreSQL database in step with
    a hub (docs/FEDERATION.md, "PostgreSQL sink"): the log records and
    every projection table, exactly once. It catches up from the hub's
    query endpoint (SINCE, credit-based) and then follows the feed.

    The projections are computed by the store's own apply code
    (jk_record_apply) on a local SQLite shadow with the store's schema;
    SQLite's session extension records what each batch changed, and those
    row changes are written to PostgreSQL in one transaction with the log
    rows and the sink's position. PostgreSQL commits first, the shadow
    second; a shadow found behind PostgreSQL at start (a crash between the
    two) is brought up to it by applying the missing records to the shadow
    only, so nothing is written twice and nothing is skipped. The hub's
    log must be the one the copy was made from (its hash at the copy's
    position, a head never below it, every record continuing the copy's
    chain): a hub with another log stops the sink with exit 1, the copy
    left as it was (pgsink_hub.c). */
#include "pgsink_internal.h"

#include "jk_endpoint.h"

#include <unistd.h>

static const jk_opt_t s_options[] = {
    {"pg", "JEJAK_PG", NULL,
     "PostgreSQL connection string (libpq: \"host=... port=... dbname=... "
     "user=...\")",
     false},
    {"query", "JEJAK_QUERY", "tcp://127.0.0.1:7452",
     "the hub's query endpoint (SINCE)", false},
    {"feed", "JEJAK_FEED", "tcp://127.0.0.1:7451", "the hub's feed endpoint",
     false},
    {"broker-key", "JEJAK_BROKER_KEY", NULL,
     "the hub's public certificate (CURVE, with --key)", false},
    {"key", "JEJAK_KEY", NULL,
     "a reader's secret certificate from jejak-keys reader (CURVE)", false},
    {"shadow", "JEJAK_PGSINK_SHADOW", "./jejak-pgsink.db",
     "the sink's local SQLite shadow of the projections", false},
    {"copy", "JEJAK_PGSINK_COPY", NULL,
     "follow a province's copy database (jejak-link receive) instead of a "
     "hub: the copied records and the province's projections",
     false},
    {"credit", NULL, "2000", "records the hub may stream ahead (SINCE credit)",
     false},
    {"once", NULL, NULL, "stop when caught up with the hub's head", true},
    {"timeout", "JEJAK_PGSINK_TIMEOUT", "30",
     "with --once (and rebuild): give up (exit 3) when the hub or "
     "PostgreSQL has not answered for this many seconds, 1 to 3600",
     false},
    {"data-dir", "JEJAK_DATA_DIR", NULL, "region reference data directory",
     false},
    {"region", "JEJAK_REGION", NULL,
     "apply with this area instead of the hub's (its STATS): a kabupaten "
     "code (32.03) or a province code (32), as the hub's --region",
     false},
    {"rat-deadline-months", "JEJAK_RAT_DEADLINE_MONTHS", NULL,
     "apply with this RAT deadline instead of the hub's (its STATS), 1 to 24",
     false},
};

static void s_msg_free (void **item)
{
    zmsg_destroy ((zmsg_t **)item);
}

static void s_usage (jk_opts_t *opts, FILE *out)
{
    fprintf (out, "Usage: jejak-pgsink [run|dump|rebuild] --pg CONNINFO "
                  "[options]\n"
                  "Keeps a PostgreSQL database in step with a hub: the log "
                  "and every\nprojection table, exactly once "
                  "(docs/FEDERATION.md).\n\n"
                  "  run       catch up from --query, then follow --feed "
                  "(default)\n"
                  "  dump      print PostgreSQL's projection tables in the "
                  "canonical dump form\n"
                  "  rebuild   drop the PostgreSQL tables and the shadow, "
                  "then run again from\n"
                  "            position 1 (with --once: until caught up)\n\n"
                  "Exit status: 0 done; 1 failed or refused (said on "
                  "stderr); 2 usage error;\n3 with --once or rebuild: the "
                  "hub or PostgreSQL did not answer within\n--timeout.\n\n"
                  "With --copy COPY.db it follows a province's copy database "
                  "instead of a hub:\nthe copied records (table copy) and "
                  "the province's projections.\n\n");
    jk_opts_print (opts, out);
}

/* --region and --rat-deadline-months: a hub's, checked as the hub checks
   them; false (told on stderr) when they are wrong. */
static bool s_check_settings (jk_opts_t *opts, jk_pgsink_t *self,
                              const char *command)
{
    const char *region = jk_opts_get (opts, "region");
    const char *months = jk_opts_get (opts, "rat-deadline-months");
    if (jk_opts_get (opts, "copy") || streq (command, "dump"))
        return true; /* not used: each regency of a copy applies with its
                        own reference data and RAT deadline (the copy's
                        origin_settings) */
    int number = 0;
    if (months && jk_rat_deadline_months_parse (months, &number) != 0) {
        fprintf (stderr, "jejak-pgsink: --rat-deadline-months must be 1 to "
                         "24 (see --help)\n");
        return false;
    }
    self->months_given = months != NULL;
    self->months_flag = number;
    self->region_given = region != NULL;
    if (region) {
        /* A bad one stops here, exit 2, as the hub's. */
        jk_region_set_default_area (region);
        (void)jk_region_default ();
    }
    return true;
}

/* The command and the options it needs; false (told on stderr) when
   they are wrong. */
static bool s_check_args (jk_opts_t *opts, jk_pgsink_t *self,
                          const char *command)
{
    if (jk_opts_argc (opts) > 1 ||
        !(streq (command, "run") || streq (command, "dump") ||
          streq (command, "rebuild"))) {
        fprintf (stderr, "jejak-pgsink: unknown command (run, dump or "
                         "rebuild; see --help)\n");
        return false;
    }
    self->conninfo = jk_opts_get (opts, "pg");
    if (!self->conninfo) {
        fprintf (stderr, "jejak-pgsink: --pg is required (see --help)\n");
        return false;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "credit"), &self->credit) ||
        self->credit < 2 || self->credit > 1000000) {
        fprintf (stderr,
                 "jejak-pgsink: --credit must be 2 to 1000000 (see --help)\n");
        return false;
    }
    uint64_t timeout = 0;
    if (jk_parse_u64 (jk_opts_get (opts, "timeout"), &timeout) || timeout < 1 ||
        timeout > 3600) {
        fprintf (stderr, "jejak-pgsink: --timeout must be 1 to 3600 seconds "
                         "(see --help)\n");
        return false;
    }
    self->timeout_ms = (int64_t)timeout * 1000;
    self->query_endpoint = jk_opts_get (opts, "query");
    self->feed_endpoint = jk_opts_get (opts, "feed");
    if (jk_opts_get (opts, "data-dir"))
        jk_region_set_default_dir (jk_opts_get (opts, "data-dir"));
    if (!s_check_settings (opts, self, command))
        return false;
    if (!streq (command, "dump") && !jk_opts_get (opts, "copy")) {
        const char *broker_key = jk_opts_get (opts, "broker-key");
        const char *key = jk_opts_get (opts, "key");
        char err[512];
        if (jk_endpoint_options ("jejak-pgsink", opts, "query feed",
                                 JK_ENDPOINT_CONNECT))
            return false;
        if (jk_curve_client_check ("query", jk_opts_get (opts, "query"),
                                   broker_key, key, err, sizeof err) ||
            jk_curve_client_check ("feed", jk_opts_get (opts, "feed"),
                                   broker_key, key, err, sizeof err)) {
            fprintf (stderr, "jejak-pgsink: %s (see --help)\n", err);
            return false;
        }
    }
    return true;
}

/* Connects PostgreSQL once (dump, rebuild); false (told) when it does
   not answer. */
static bool s_pg_open (jk_pgsink_t *self)
{
    self->pg = PQconnectdb (self->conninfo);
    if (PQstatus (self->pg) != CONNECTION_OK) {
        fprintf (stderr, "jejak-pgsink: %s", PQerrorMessage (self->pg));
        return false;
    }
    return true;
}

/* --copy: follows a province's copy database; exit status. */
static int s_run_copy (jk_pgsink_t *self, const char *shadow, const char *copy,
                       bool once, bool rebuild)
{
    if (rebuild && !(s_pg_open (self) && jk_pgsink_pg_drop (self, shadow)))
        return 1;
    char err[512];
    zsys_init (); /* SIGINT and SIGTERM stop the loop */
    self->province = jk_province_open (shadow, copy, err, sizeof err);
    if (!self->province) {
        fprintf (stderr, "jejak-pgsink: %s\n", err);
        return 1;
    }
    jk_pgsink_tables_load (self, jk_province_db (self->province), true);
    printf ("jejak-pgsink copy=%s shadow=%s\n", copy, shadow);
    fflush (stdout);
    return jk_pgsink_province_follow (self, once);
}

/* Follows a hub: the shadow, the query and feed sockets (CURVE with
   --key); exit status. rebuild drops PostgreSQL's tables and the shadow
   once the hub has answered, so a hub that does not leaves them as they
   were. */
static int s_run_hub (jk_pgsink_t *self, jk_opts_t *opts, const char *shadow,
                      bool once, bool rebuild)
{
    const char *broker_key = jk_opts_get (opts, "broker-key");
    const char *key = jk_opts_get (opts, "key");
    self->chain = jk_chain_new ();
    self->batch = zlistx_new ();
    zlistx_set_destructor (self->batch, s_msg_free);
    self->query = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->query, 0);
    zsock_set_sndtimeo (self->query, 0);
    self->feed = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (self->feed, "");
    self->secure = key != NULL;
    self->query_watch = jk_curve_watch_new (self->query);
    self->feed_watch = jk_curve_watch_new (self->feed);
    if (jk_curve_client (self->query, broker_key, key, S_COMPONENT) ||
        jk_curve_client (self->feed, broker_key, key, S_COMPONENT) ||
        jk_endpoint_connect (self->query, jk_opts_get (opts, "query")) ||
        jk_endpoint_connect (self->feed, jk_opts_get (opts, "feed"))) {
        fprintf (stderr, "jejak-pgsink: cannot connect --query/--feed\n");
        return 1;
    }
    printf ("jejak-pgsink query=%s feed=%s shadow=%s secure=%s\n",
            jk_opts_get (opts, "query"), jk_opts_get (opts, "feed"), shadow,
            key ? "curve" : "plain");
    fflush (stdout);
    /* PostgreSQL's tables first, as a new sink has them (position 0),
       whatever the hub answers (a failure is retried below; rebuild needs
       PostgreSQL now); then what the hub decides with; then the shadow
       and PostgreSQL's copy checked against it before the shadow records
       it (a refused start leaves nothing that refuses the next), and the
       shadow made and applied with it. */
    if (rebuild && !s_pg_open (self))
        return 1;
    if (!rebuild)
        (void)jk_pgsink_pg_connect (self);
    int status = jk_pgsink_hub_settings (self);
    if (status)
        return status;
    if (rebuild && !jk_pgsink_pg_drop (self, shadow))
        return 1;
    if (!jk_pgsink_shadow_open (self, shadow))
        return 1;
    if ((status = jk_pgsink_pg_wait (self)))
        return status;
    if (!jk_pgsink_shadow_migrate (self, shadow))
        return 1;
    jk_projections_set_deferred (self->projections, true);
    return jk_pgsink_follow (self, once);
}

static void s_sink_fini (jk_pgsink_t *self)
{
    zlistx_destroy (&self->batch);
    jk_curve_watch_destroy (&self->query_watch, self->query);
    jk_curve_watch_destroy (&self->feed_watch, self->feed);
    zsock_destroy (&self->query);
    zsock_destroy (&self->feed);
    jk_projections_destroy (&self->projections);
    sqlite3_close (self->shadow);
    jk_chain_destroy (&self->chain);
    for (size_t t = 0; t < self->ntables; t++)
        jk_table_info_fini (&self->tables[t]);
    free (self->tables);
    PQfinish (self->pg);
    jk_province_destroy (&self->province);
    jk_region_use (NULL);
    jk_region_destroy (&self->region);
}

int main (int argc, char **argv)
{
    int status;
    jk_opts_t *opts = jk_opts_start ("jejak-pgsink", s_options,
                                     sizeof s_options / sizeof s_options[0],
                                     argc, argv, s_usage, &status);
    if (!opts)
        return status;
    jk_pgsink_t self;
    memset (&self, 0, sizeof self);
    const char *command = jk_opts_argc (opts) ? jk_opts_arg (opts, 0) : "run";
    const char *shadow = jk_opts_get (opts, "shadow");
    const char *copy = jk_opts_get (opts, "copy");
    bool rebuild = streq (command, "rebuild");
    bool once = jk_opts_on (opts, "once") || rebuild;
    self.once = once;
    if (!s_check_args (opts, &self, command))
        status = 2;
    else if (streq (command, "dump"))
        status = s_pg_open (&self) ? jk_pgsink_dump (&self) : 1;
    else if (copy)
        status = s_run_copy (&self, shadow, copy, once, rebuild);
    else
        status = s_run_hub (&self, opts, shadow, once, rebuild);
    s_sink_fini (&self);
    jk_opts_destroy (&opts);
    return status;
}
