/*  federation_sim.h - the province simulation (docs/FEDERATION.md,
    "Measured"): regency hubs of Jawa Barat as real jejak-hub processes,
    each with --region set to its kabupaten and fed by its own kecamatan
    offices (one driver process per regency submitting the realistic
    workload for that regency's kecamatan and desa, resending until
    answered), each forwarding with jejak-link send over CURVE to one
    jejak-link receive. During the live phase one regency hub is killed -9
    and restarted and another's link is cut (its sender stopped) until the
    province sees it down; then every link is taken down while the offices
    go on (the outage), and brought back to measure the catch-up rate. At
    the end every regency's copy at the province verifies and equals the
    regency's own log. Prints lag p50/p99, catch-up rate and memory. Header
    only: every function is static. */
#ifndef FEDERATION_SIM_H
#define FEDERATION_SIM_H

#include "link_support.h"
#include "pgtest.h"
#include "workload.h"

#include "jk_projection_table.h"
#include "jk_projections.h"

#include <sys/wait.h>

typedef struct {
    int regencies; /* kabupaten of Jawa Barat, in code order; 1..27 */
    int live;      /* events per regency in the live phase */
    int outage;    /* events per regency during the outage */
    int batch;     /* events per SUBMIT */
} sim_config_t;

typedef struct {
    char code[8];
    int kecamatan;
    int months; /* its hub's --rat-deadline-months; 0: not given (6) */
    char *db, *ingest, *feed, *query, *log, *send_log, *stats, *key;
    pid_t hub, sender, driver;
} sim_regency_t;

/* Kabupaten of province 32 and their kecamatan counts, from data/. */
static int sim_regencies (sim_regency_t *out, int max)
{
    FILE *f = fopen (JEJAK_SOURCE_DIR "/data/indonesia_kabupaten.csv", "r");
    assert_non_null (f);
    char line[256];
    int n = 0;
    while (fgets (line, sizeof line, f) && n < max)
        if (strncmp (line, "32.", 3) == 0) {
            memset (&out[n], 0, sizeof out[n]);
            snprintf (out[n].code, sizeof out[n].code, "%.5s", line);
            n++;
        }
    fclose (f);
    f = fopen (JEJAK_SOURCE_DIR "/data/indonesia_kecamatan.csv", "r");
    assert_non_null (f);
    while (fgets (line, sizeof line, f)) {
        line[strcspn (line, "\r\n")] = 0;
        const char *kab = strrchr (line, ',');
        for (int i = 0; kab && i < n; i++)
            if (streq (kab + 1, out[i].code))
                out[i].kecamatan++;
    }
    fclose (f);
    return n;
}

static pid_t sim_hub (sim_regency_t *r)
{
    char months[16];
    snprintf (months, sizeof months, "%d", r->months);
    char *argv[] = {"jejak-hub", "--region", r->code,   "--db",
                    r->db,       "--ingest", r->ingest, "--feed",
                    r->feed,     "--query",  r->query,  "--rat-deadline-months",
                    months,      NULL};
    if (!r->months)
        argv[11] = NULL;
    return jk_test_spawn (argv, r->log);
}

/* The keys directory made by the real tool (init, and a link key per
   regency), and each regency's files and endpoints under dir. */
static void sim_regencies_prepare (const char *dir, const char *keys,
                                   sim_regency_t *r, int n)
{
    char *init[] = {"jejak-keys", "init", "--dir", (char *)keys, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (init, &out, &err, 30000), 0);
    free (out);
    free (err);
    for (int i = 0; i < n; i++) {
        char *link[] = {"jejak-keys", "link",    "--dir", (char *)keys,
                        "--area",     r[i].code, NULL};
        assert_int_equal (jk_test_run (link, &out, &err, 30000), 0);
        free (out);
        free (err);
        r[i].key = jk_sprintf ("%s/issued/link_%s.key", keys, r[i].code);
        r[i].db = jk_sprintf ("%s/%s.db", dir, r[i].code);
        char name[32];
        snprintf (name, sizeof name, "ingest-%d", i);
        r[i].ingest = jk_test_endpoint (dir, name);
        snprintf (name, sizeof name, "feed-%d", i);
        r[i].feed = jk_test_endpoint (dir, name);
        snprintf (name, sizeof name, "query-%d", i);
        r[i].query = jk_test_endpoint (dir, name);
        snprintf (name, sizeof name, "stats-%d", i);
        r[i].stats = jk_test_endpoint (dir, name);
        r[i].log = jk_sprintf ("%s/hub-%s.log", dir, r[i].code);
        r[i].send_log = jk_sprintf ("%s/send-%s.log", dir, r[i].code);
    }
}

/* Stops each regency's sender and hub and frees its strings. */
static void sim_regencies_stop (sim_regency_t *r, int n)
{
    for (int i = 0; i < n; i++) {
        jk_test_stop (r[i].sender, SIGTERM, 10000);
        jk_test_stop (r[i].hub, SIGTERM, 10000);
        free (r[i].key);
        free (r[i].db);
        free (r[i].ingest);
        free (r[i].feed);
        free (r[i].query);
        free (r[i].stats);
        free (r[i].log);
        free (r[i].send_log);
    }
}

static pid_t sim_sender (sim_regency_t *r, const char *listen,
                         const char *server)
{
    return lk_sender (r->db, r->code, listen, r->key, server, r->stats,
                      r->send_log);
}

/* One SUBMIT, resent (new socket) until answered: the hub may be killed
   and restarted meanwhile; the store answers a resent event DUPLICATE. */
static void sim_submit (zsock_t **sock, const char *ingest, zmsg_t *events)
{
    for (;;) {
        zmsg_t *msg = zmsg_dup (events);
        zmsg_send (&msg, *sock);
        zmsg_t *answer = jk_test_recv (*sock, 3000);
        char command[16];
        bool ok = answer && !jk_wire_open (answer, command, sizeof command) &&
                  streq (command, "ANSWER");
        bool retry = false;
        for (zframe_t *f = ok ? zmsg_first (answer) : NULL; f;
             f = zmsg_next (answer)) {
            jk_answer_t a;
            if (jk_answer_decode (zframe_data (f), zframe_size (f), &a) ||
                a.kind == JK_ANSWER_NACK)
                retry = true;
        }
        zmsg_destroy (&answer);
        if (ok && !retry)
            return;
        zsock_destroy (sock);
        *sock = jk_test_dealer (ingest);
    }
}

/* How long a driver waits for the outage phase before it gives up. */
#define SIM_PHASE_WAIT_MS (15 * 60 * 1000)

/* The offices of one regency (a child process), every event sent as
   soon as the one before is answered: the first half of the live phase;
   once the parent has killed a hub and cut a link (it creates
   disrupted), the second half, while that link is still cut; once
   phase_b exists, the outage's events. A driver whose parent never
   creates one (it failed) stops on its own. */
static void sim_driver (sim_regency_t *r, int seed, const sim_config_t *c,
                        const char *disrupted, const char *phase_b)
{
    setenv ("JEJAK_REGION", r->code, 1);
    jk_workload_config_t wc = {.events = (size_t)(c->live + c->outage),
                               .reject_share = 0.02,
                               .offices = r->kecamatan};
    jk_workload_t *w = jk_workload_new ((uint64_t)seed, &wc);
    zsock_t *sock = jk_test_dealer (r->ingest);
    int sent = 0;
    while (sent < c->live + c->outage) {
        if (sent == c->live / 2 &&
            !JK_WAIT_FOR (access (disrupted, F_OK) == 0, SIM_PHASE_WAIT_MS))
            _exit (3);
        if (sent == c->live &&
            !JK_WAIT_FOR (access (phase_b, F_OK) == 0, SIM_PHASE_WAIT_MS))
            _exit (3);
        /* A batch stops at the end of each phase. */
        int end = sent < c->live / 2 ? c->live / 2
                  : sent < c->live   ? c->live
                                     : c->live + c->outage;
        zmsg_t *events = zmsg_new ();
        int n = 0;
        while (n < c->batch && sent + n < end) {
            jk_event_t *e = jk_workload_next (w);
            size_t size = 0;
            uint8_t *bytes = jk_event_encode (e, &size);
            zmsg_addmem (events, bytes, size);
            free (bytes);
            jk_event_destroy (&e);
            n++;
        }
        zmsg_pushstr (events, "SUBMIT");
        zmsg_pushstr (events, "JEJAK/1");
        sim_submit (&sock, r->ingest, events);
        zmsg_destroy (&events);
        sent += n;
    }
    zsock_destroy (&sock);
    jk_workload_destroy (&w);
}

static int64_t sim_rss_kb (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen (path, "r");
    int64_t kb = -1;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kb = atoll (line + 6);
    if (f)
        fclose (f);
    return kb;
}

static int s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Office -> province lag (arrival time - the regency's recorded_at) of the
   arrivals with pos in (from, to]: p50 and p99 in ms. */
static void sim_lag (const char *copy, uint64_t from, uint64_t to, int64_t *p50,
                     int64_t *p99)
{
    sqlite3 *db;
    assert_int_equal (sqlite3_open_v2 (copy, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2 (db,
                        "SELECT a.received_at - c.recorded_at FROM arrival a "
                        "JOIN copy c ON c.origin = a.origin AND c.pos = "
                        "a.origin_pos WHERE a.pos > ?1 AND a.pos <= ?2",
                        -1, &st, NULL);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)from);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)to);
    size_t n = 0, cap = 1024;
    int64_t *v = jk_malloc (cap * sizeof *v);
    while (sqlite3_step (st) == SQLITE_ROW) {
        if (n == cap)
            v = jk_realloc (v, (cap *= 2) * sizeof *v);
        v[n++] = sqlite3_column_int64 (st, 0);
    }
    sqlite3_finalize (st);
    sqlite3_close (db);
    assert_true (n > 0);
    qsort (v, n, sizeof *v, s_cmp_i64);
    *p50 = v[n / 2];
    *p99 = v[(n * 99) / 100];
    free (v);
}

static int64_t sim_total_copied (const char *listen, const char *key,
                                 const char *server)
{
    return lk_stat (listen, key, server, "records");
}

/* The province summary's numbers, each as independent SQL on a regency's
   own database (pos on its log, the rest on its projections). */
static const struct {
    const char *name, *sql;
} sim_counts[] = {
    {"cooperatives", "SELECT count(*) FROM cooperatives"},
    {"people", "SELECT count(*) FROM people"},
    {"batches", "SELECT count(*) FROM batches"},
    {"enrolled", "SELECT count(*) FROM enrollments WHERE withdrawn = 0"},
    {"completed", "SELECT count(*) FROM enrollments WHERE eligible = 1"},
    {"assessed", "SELECT count(*) FROM people WHERE units_assessed > 0"},
    {"competent", "SELECT count(*) FROM people WHERE competent > 0"},
    {"certificates", "SELECT coalesce(sum(certificates), 0) FROM people"},
    {"pos", "SELECT max(pos) FROM log"},
};

/* The province's projections checked against each regency's own: every
   projection table of the regency equals the province's rows with its
   kabupaten_code (same row count, no row of one missing from the other,
   column by column), and the summary jejak-link prints equals counts
   taken from the regency's own database with independent SQL. */
static void sim_province_check (const char *province, const char *copy,
                                sim_regency_t *r, int n, int64_t *rows_out)
{
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (province, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    int64_t rows = 0;
    for (int i = 0; i < n; i++) {
        char *projections = jk_sprintf ("%s-projections", r[i].db);
        char *attach =
            jk_sprintf ("ATTACH 'file:%s?mode=ro' AS r", projections);
        char *errmsg = NULL;
        if (sqlite3_exec (db, attach, NULL, NULL, &errmsg) != SQLITE_OK)
            fail_msg ("%s: %s", attach, errmsg);
        for (size_t t = 0; t < jk_ptable_count (); t++) {
            const char *name = jk_ptable_at (t)->name;
            char *cols = jk_strdup ("");
            char *info = jk_sprintf ("PRAGMA r.table_info(%s)", name);
            sqlite3_stmt *st = NULL;
            assert_int_equal (sqlite3_prepare_v2 (db, info, -1, &st, NULL),
                              SQLITE_OK);
            while (sqlite3_step (st) == SQLITE_ROW) {
                char *next = jk_sprintf ("%s%s\"%s\"", cols, *cols ? ", " : "",
                                         sqlite3_column_text (st, 1));
                free (cols);
                cols = next;
            }
            sqlite3_finalize (st);
            char *sql[3] = {
                jk_sprintf ("SELECT count(*) FROM r.%s", name),
                jk_sprintf ("SELECT count(*) FROM main.%s WHERE "
                            "kabupaten_code = '%s'",
                            name, r[i].code),
                jk_sprintf ("SELECT count(*) FROM (SELECT %s FROM r.%s EXCEPT "
                            "SELECT %s FROM main.%s WHERE kabupaten_code = "
                            "'%s')",
                            cols, name, cols, name, r[i].code)};
            int64_t v[3];
            for (int q = 0; q < 3; q++) {
                assert_int_equal (
                    sqlite3_prepare_v2 (db, sql[q], -1, &st, NULL), SQLITE_OK);
                assert_int_equal (sqlite3_step (st), SQLITE_ROW);
                v[q] = sqlite3_column_int64 (st, 0);
                sqlite3_finalize (st);
                free (sql[q]);
            }
            if (v[0] != v[1] || v[2] != 0)
                fail_msg ("%s %s: the regency has %lld rows, the province "
                          "%lld; %lld of the regency's differ",
                          r[i].code, name, (long long)v[0], (long long)v[1],
                          (long long)v[2]);
            rows += v[0];
            free (info);
            free (cols);
        }
        assert_int_equal (sqlite3_exec (db, "DETACH r", NULL, NULL, NULL),
                          SQLITE_OK);
        free (attach);
        free (projections);
    }
    sqlite3_close (db);
    *rows_out = rows;

    /* The summary, per kabupaten, against the regency's own database. */
    char *argv[] = {"jejak-link", "summary",    "--db",
                    (char *)copy, "--province", (char *)province,
                    "--as-of",    "2023-01-01", NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, 60000), 0);
    int32_t day;
    assert_int_equal (jk_date_parse_day ("2023-01-01", &day), 0);
    for (int i = 0; i < n; i++) {
        char *line = strstr (out, r[i].code);
        if (!line)
            fail_msg ("no summary line for %s: %s", r[i].code, out);
        char *end = strchr (line, '\n');
        char *text = jk_sprintf ("%.*s", (int)(end - line), line);
        char *projections = jk_sprintf ("%s-projections", r[i].db);
        for (size_t k = 0; k < sizeof sim_counts / sizeof sim_counts[0]; k++) {
            int64_t expect = lk_sql_int (
                streq (sim_counts[k].name, "pos") ? r[i].db : projections,
                sim_counts[k].sql);
            if (lk_stat_in (text, sim_counts[k].name) != expect)
                fail_msg ("%s %s: the province says %lld, the regency %lld",
                          r[i].code, sim_counts[k].name,
                          (long long)lk_stat_in (text, sim_counts[k].name),
                          (long long)expect);
        }
        sqlite3 *reg = NULL;
        sqlite3_open_v2 (projections, &reg, SQLITE_OPEN_READONLY, NULL);
        int64_t active = jk_projections_active (reg, day, NULL);
        sqlite3_close (reg);
        assert_true (active >= 0);
        assert_int_equal (lk_stat_in (text, "active"), active);
        assert_true (lk_stat_in (text, "cooperatives") > 0);
        free (projections);
        free (text);
    }
    free (out);
    free (err);
}

/* PostgreSQL's province tables against each regency's own database:
   rows per table and kabupaten, and every province_summary column
   against independent SQL on the regency's projections. Returns the
   rows compared. */
static int64_t sim_pg_check (jk_test_pg_t *pg, sim_regency_t *r, int n)
{
    int64_t rows = 0;
    for (int i = 0; i < n; i++) {
        char *projections = jk_sprintf ("%s-projections", r[i].db);
        for (size_t t = 0; t < jk_ptable_count (); t++) {
            const char *name = jk_ptable_at (t)->name;
            char *mine = jk_sprintf ("SELECT count(*) FROM %s", name);
            char *theirs = jk_sprintf ("SELECT count(*) FROM %s WHERE "
                                       "kabupaten_code = '%s'",
                                       name, r[i].code);
            int64_t expect = lk_sql_int (projections, mine);
            if (jk_test_pg_int (pg, theirs) != expect)
                fail_msg ("PostgreSQL %s %s: %lld rows, the regency %lld",
                          r[i].code, name,
                          (long long)jk_test_pg_int (pg, theirs),
                          (long long)expect);
            rows += expect;
            free (mine);
            free (theirs);
        }
        for (size_t k = 0; k < sizeof sim_counts / sizeof sim_counts[0]; k++) {
            bool log = streq (sim_counts[k].name, "pos");
            char *sql =
                jk_sprintf ("SELECT %s FROM province_summary WHERE "
                            "kabupaten_code = '%s'",
                            log ? "log_pos" : sim_counts[k].name, r[i].code);
            int64_t expect =
                lk_sql_int (log ? r[i].db : projections, sim_counts[k].sql);
            if (jk_test_pg_int (pg, sql) != expect)
                fail_msg ("PostgreSQL province_summary %s %s: %lld, the "
                          "regency %lld",
                          r[i].code, sim_counts[k].name,
                          (long long)jk_test_pg_int (pg, sql),
                          (long long)expect);
            free (sql);
        }
        free (projections);
    }
    return rows;
}

/* The province of a test: a fresh folder, the keys directory with a
   link key per regency and the regencies' files (sim_regencies_prepare),
   and jejak-link receive on its copy database. */
typedef struct {
    char *dir, *keys, *server, *copy, *listen, *recv_log;
    pid_t recv;
} sim_province_t;

/* Makes the province for regencies r (tag names its folder) and starts
   its receiver, listening when this returns. */
static void sim_province_start (sim_province_t *p, const char *tag,
                                sim_regency_t *r, int n)
{
    p->dir = jk_test_tmpdir (tag);
    p->keys = jk_sprintf ("%s/keys", p->dir);
    p->server = jk_sprintf ("%s/broker.pub", p->keys);
    p->copy = jk_sprintf ("%s/province.db", p->dir);
    p->listen = jk_test_endpoint (p->dir, "province");
    p->recv_log = jk_sprintf ("%s/province.log", p->dir);
    /* Keys by the real tool (this process keeps no region loaded, so each
       driver child loads its own regency's). */
    sim_regencies_prepare (p->dir, p->keys, r, n);
    p->recv = lk_receiver (p->copy, p->listen, p->keys, p->recv_log);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has (p->recv_log, "jejak-link receive listen="), 60000));
}

/* Stops the regencies' senders and hubs and the receiver, and removes
   the folder. */
static void sim_province_stop (sim_province_t *p, sim_regency_t *r, int n)
{
    sim_regencies_stop (r, n);
    jk_test_stop (p->recv, SIGTERM, 10000);
    free (p->keys);
    free (p->server);
    free (p->copy);
    free (p->listen);
    free (p->recv_log);
    jk_test_rmdir (&p->dir);
}

static void sim_run (const sim_config_t *c)
{
    sim_regency_t r[27];
    int n = sim_regencies (r, c->regencies);
    assert_int_equal (n, c->regencies);
    sim_province_t p;
    sim_province_start (&p, "fedsim", r, n);
    char *dir = p.dir, *server = p.server, *copy = p.copy, *listen = p.listen;
    pid_t recv = p.recv;
    char *phase_b = jk_sprintf ("%s/phase-b", dir);
    char *disrupted = jk_sprintf ("%s/disrupted", dir);
    int offices = 0;
    for (int i = 0; i < n; i++)
        offices += r[i].kecamatan;
    printf ("# %d regency hubs, %d kecamatan offices, %d + %d events each\n", n,
            offices, c->live, c->outage);
    /* The province's projections follow the copy from the start. */
    char *province = jk_sprintf ("%s/province-projections.db", dir);
    char *project_log = jk_sprintf ("%s/project.log", dir);
    char *project[] = {"jejak-link", "project", "--db", copy,
                       "--province", province,  NULL};

    pid_t projector = jk_test_spawn (project, project_log);
    /* ... and a PostgreSQL sink follows the copy and those projections. */
    jk_test_pg_t *pg = jk_test_pg_start (dir);
    char *sink_shadow = jk_sprintf ("%s/pgsink-province.db", dir);
    char *sink_log = jk_sprintf ("%s/pgsink.log", dir);
    char *sink_argv[] = {"jejak-pgsink", "--copy", copy,         "--shadow",
                         sink_shadow,    "--pg",   pg->conninfo, NULL};
    pid_t sink = jk_test_spawn (sink_argv, sink_log);
    for (int i = 0; i < n; i++)
        r[i].hub = sim_hub (&r[i]);
    for (int i = 0; i < n; i++)
        assert_true (JK_WAIT_FOR (
            jk_test_file_has (r[i].log, "jejak-hub ingest="), 60000));
    for (int i = 0; i < n; i++)
        r[i].sender = sim_sender (&r[i], listen, server);
    for (int i = 0; i < n; i++) {
        r[i].driver = fork ();
        if (r[i].driver == 0) {
            sim_driver (&r[i], 100 + i, c, disrupted, phase_b);
            _exit (0);
        }
    }
    int64_t live_start = jk_clock_mono_ms ();

    /* A regency hub killed -9 and restarted; another's link cut until the
       province sees it down. */
    sim_regency_t *victim = &r[0], *cut = &r[n > 1 ? 1 : 0];
    assert_true (JK_WAIT_FOR (
        lk_sql_int (victim->db, "SELECT count(*) FROM log") > c->live / 3,
        120000));
    assert_int_not_equal (jk_test_stop (victim->hub, SIGKILL, 10000), -1);
    victim->hub = sim_hub (victim);
    printf ("# kill -9 hub %s, restarted\n", victim->code);
    char *up = jk_sprintf ("link.%s.up", cut->code);
    assert_true (
        JK_WAIT_FOR (lk_stat (listen, cut->key, server, up) == 1, 60000));
    kill (cut->sender, SIGSTOP);
    int64_t cut_at = jk_clock_mono_ms ();
    assert_true (
        JK_WAIT_FOR (lk_stat (listen, cut->key, server, up) == 0, 30000));
    /* The drivers send the rest of the live phase to the restarted hub
       and into the cut link. */
    FILE *mark = fopen (disrupted, "w");
    assert_non_null (mark);
    fclose (mark);
    kill (cut->sender, SIGCONT);
    printf ("# link %s cut for %lld ms (until the province showed it down)\n",
            cut->code, (long long)(jk_clock_mono_ms () - cut_at));

    /* The live phase ends when every hub holds its live events and the
       province holds every hub's log. */
    int64_t live_total = (int64_t)n * c->live;
    if (!JK_WAIT_FOR (sim_total_copied (listen, r[0].key, server) >= live_total,
                      600000))
        fail_msg ("province holds %lld of %lld live records",
                  (long long)sim_total_copied (listen, r[0].key, server),
                  (long long)live_total);
    int64_t live_ms = jk_clock_mono_ms () - live_start;
    uint64_t live_arrivals =
        (uint64_t)lk_sql_int (copy, "SELECT max(pos) FROM arrival");
    int64_t p50, p99;
    sim_lag (copy, 0, live_arrivals, &p50, &p99);
    printf ("# live: %lld records in %lld ms (%.0f records/s through the "
            "province); lag office -> province p50 %lld ms, p99 %lld ms\n",
            (long long)live_arrivals, (long long)live_ms,
            live_arrivals * 1000.0 / (double)(live_ms ? live_ms : 1),
            (long long)p50, (long long)p99);

    /* The projector killed -9 and started again: it resumes. */
    assert_int_not_equal (jk_test_stop (projector, SIGKILL, 10000), -1);
    projector = jk_test_spawn (project, project_log);
    assert_int_not_equal (jk_test_stop (sink, SIGKILL, 10000), -1);
    sink = jk_test_spawn (sink_argv, sink_log);
    printf ("# kill -9 the province's projector and its PostgreSQL sink, "
            "restarted\n");

    /* The outage: every link down while the offices go on. */
    for (int i = 0; i < n; i++)
        assert_int_equal (jk_test_stop (r[i].sender, SIGTERM, 10000), 0);
    FILE *flag = fopen (phase_b, "w");
    fclose (flag);
    for (int i = 0; i < n; i++) {
        int status = 0;
        assert_int_equal (waitpid (r[i].driver, &status, 0), r[i].driver);
        assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
    int64_t heads = 0;
    for (int i = 0; i < n; i++)
        heads += lk_sql_int (r[i].db, "SELECT max(pos) FROM log");
    int64_t before = sim_total_copied (listen, r[0].key, server);
    int64_t catch_start = jk_clock_mono_ms ();
    for (int i = 0; i < n; i++)
        r[i].sender = sim_sender (&r[i], listen, server);
    if (!JK_WAIT_FOR (sim_total_copied (listen, r[0].key, server) == heads,
                      900000))
        fail_msg ("province holds %lld of %lld records after the outage",
                  (long long)sim_total_copied (listen, r[0].key, server),
                  (long long)heads);
    int64_t catch_ms = jk_clock_mono_ms () - catch_start;
    printf ("# outage: %lld records caught up by %d links in %lld ms: %.0f "
            "records/s into the province\n",
            (long long)(heads - before), n, (long long)catch_ms,
            (heads - before) * 1000.0 / (double)(catch_ms ? catch_ms : 1));
    int64_t hub_kb = 0, hub_max = 0;
    for (int i = 0; i < n; i++) {
        int64_t kb = sim_rss_kb (r[i].hub);
        hub_kb += kb;
        hub_max = kb > hub_max ? kb : hub_max;
    }
    printf ("# memory: regency hub RSS mean %lld KiB, max %lld KiB; province "
            "receiver %lld KiB; a sender %lld KiB\n",
            (long long)(hub_kb / n), (long long)hub_max,
            (long long)sim_rss_kb (recv), (long long)sim_rss_kb (r[0].sender));

    /* Every regency's copy verifies and equals its own log. */
    for (int i = 0; i < n; i++) {
        jk_link_verify_t v;
        int rc = jk_link_verify (copy, r[i].code, NULL, r[i].db, &v);
        if (rc != JK_OK)
            fail_msg ("%s: %s", r[i].code, v.message);
    }
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM copy"), heads);
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fault"), 0);
    printf ("# every copy verifies and equals its regency's log (%lld "
            "records)\n",
            (long long)heads);

    /* The province's projections: caught up, equal to every regency's. */
    int64_t project_start = jk_clock_mono_ms ();
    if (!JK_WAIT_FOR (lk_sql_int (province, "SELECT arrival_pos FROM "
                                            "province_position") == heads,
                      600000))
        fail_msg ("the province's projections are at %lld of %lld",
                  (long long)lk_sql_int (province, "SELECT arrival_pos FROM "
                                                   "province_position"),
                  (long long)heads);
    int64_t project_ms = jk_clock_mono_ms () - project_start;
    assert_int_equal (jk_test_stop (projector, SIGTERM, 10000), 0);
    int64_t rows = 0;
    sim_province_check (province, copy, r, n, &rows);
    printf ("# province projections: %lld rows of %zu tables equal to the "
            "regencies' own, summary equal (%lld ms after the last arrival "
            "to catch up)\n",
            (long long)rows, jk_ptable_count (), (long long)project_ms);

    /* PostgreSQL: every record once, and the same projections. */
    int64_t sink_start = jk_clock_mono_ms ();
    if (!JK_WAIT_FOR (
            jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") == heads, 600000))
        fail_msg ("PostgreSQL at %lld of %lld",
                  (long long)jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"),
                  (long long)heads);
    int64_t sink_ms = jk_clock_mono_ms () - sink_start;
    assert_int_equal (jk_test_stop (sink, SIGTERM, 10000), 0);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM copy"), heads);
    assert_int_equal (
        jk_test_pg_int (pg, "SELECT count(DISTINCT arrival) FROM copy"), heads);
    int64_t pg_rows = sim_pg_check (pg, r, n);
    printf ("# PostgreSQL: %lld copied records, %lld projection rows equal in "
            "count to the regencies' own per table, province_summary equal "
            "(%lld ms after the projections to catch up)\n",
            (long long)heads, (long long)pg_rows, (long long)sink_ms);
    jk_test_pg_stop (&pg);
    free (sink_shadow);
    free (sink_log);
    free (province);
    free (project_log);

    free (up);
    free (phase_b);
    free (disrupted);
    sim_province_stop (&p, r, n);
}

#endif
