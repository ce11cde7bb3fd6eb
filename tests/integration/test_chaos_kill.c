/*  test_chaos_kill.c - fault test: 32 office agents (jejak-registration
    processes) sync a known workload to jejak-broker + jejak-store (and, in
    a second test, to jejak-hub) while the harness kill -9s the store, the
    broker and agents at random moments and restarts them. One more agent
    stays offline for the whole run and syncs at the end. Then: every
    event queued is in the log exactly once, under its source and seq, each
    source's seqs are 1..N in the order of pos, the chain verifies, and the
    live projections equal a rebuild.

    Size: JEJAK_CHAOS_SCALE (default 1) multiplies the events per agent and
    the kills. JEJAK_CHAOS_SEED fixes the seed (printed either way). */
#include "jk_agent.h"
#include "testsupport.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_AGENTS      32  /* online agents, one per kecamatan */
#define S_EVENTS      800 /* events per agent at scale 1 */
#define S_KILLS       24  /* kills at scale 1 */
#define S_SYNC_WAIT   "2" /* seconds without progress before sync gives up */
#define S_DEADLINE_MS 240000

typedef struct {
    char source[64];
    char outbox[512];
    char log[512];
    pid_t pid;    /* running sync, or 0 */
    bool done;    /* a sync exited 0: everything stored */
    int restarts; /* syncs started */
} s_agent_t;

typedef struct {
    char *dir, *ingest, *feed, *backend, *query, *db;
    char *store_log, *broker_log;
    bool hub;            /* jejak-hub instead of broker + store */
    pid_t store, broker; /* (hub: broker holds the hub's pid) */
    int scale;
    uint64_t seed, rng;
    size_t per_agent;
    s_agent_t agents[S_AGENTS + 1]; /* the last one stays offline */
    uint8_t (*ids)[16];             /* every id queued, agent-major */
    size_t id_count;
    int kills_store, kills_broker, kills_agent;
} s_fix_t;

/* xorshift64*: the harness's only randomness, from the printed seed. */
static uint64_t s_rand (s_fix_t *fx)
{
    fx->rng ^= fx->rng >> 12;
    fx->rng ^= fx->rng << 25;
    fx->rng ^= fx->rng >> 27;
    return fx->rng * 2685821657736338717ULL;
}

static int s_between (s_fix_t *fx, int lo, int hi)
{
    return lo + (int)(s_rand (fx) % (uint64_t)(hi - lo + 1));
}

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("chaos");
    fx->ingest = jk_test_endpoint (fx->dir, "ingest");
    fx->feed = jk_test_endpoint (fx->dir, "feed");
    fx->backend = jk_test_endpoint (fx->dir, "backend");
    fx->query = jk_test_endpoint (fx->dir, "query");
    fx->db = jk_sprintf ("%s/events.db", fx->dir);
    fx->store_log = jk_sprintf ("%s/store.log", fx->dir);
    fx->broker_log = jk_sprintf ("%s/broker.log", fx->dir);
    const char *scale = getenv ("JEJAK_CHAOS_SCALE");
    fx->scale = scale ? atoi (scale) : 1;
    if (fx->scale < 1)
        fx->scale = 1;
    const char *seed = getenv ("JEJAK_CHAOS_SEED");
    fx->seed = seed ? strtoull (seed, NULL, 10)
                    : (uint64_t)time (NULL) ^ (uint64_t)getpid () << 20;
    fx->rng = fx->seed ? fx->seed : 1;
    fx->per_agent = (size_t)S_EVENTS * (size_t)fx->scale;
    *state = fx;
    return 0;
}

static void s_kill (pid_t *pid)
{
    if (*pid > 0)
        jk_test_stop (*pid, SIGKILL, 10000);
    *pid = 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    for (int i = 0; i <= S_AGENTS; i++)
        s_kill (&fx->agents[i].pid);
    s_kill (&fx->broker);
    s_kill (&fx->store);
    free (fx->ingest);
    free (fx->feed);
    free (fx->backend);
    free (fx->query);
    free (fx->db);
    free (fx->store_log);
    free (fx->broker_log);
    free (fx->ids);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

/* The first desa of kecamatan 32.03.NN in the reference data. */
static void s_desa (int kecamatan, char *desa, size_t size)
{
    const char *dir = getenv ("JEJAK_DATA_DIR");
    char *path = jk_sprintf ("%s/cianjur_desa.csv", dir ? dir : "data");
    char *csv = jk_test_slurp (path, NULL);
    assert_non_null (csv);
    char *prefix = jk_sprintf ("\n32.03.%02d.", kecamatan);
    const char *line = strstr (csv, prefix);
    assert_non_null (line);
    snprintf (desa, size, "%.13s", line + 1);
    free (prefix);
    free (csv);
    free (path);
}

/* Queues per_agent person.registered events in each agent's outbox (all
   valid, unique NIKs), remembering every id. */
static void s_queue_workload (s_fix_t *fx)
{
    const jk_type_t *type = jk_vocabulary_find ("person.registered", 17);
    assert_non_null (type);
    fx->ids = jk_calloc ((S_AGENTS + 1) * fx->per_agent, 16);
    for (int a = 0; a <= S_AGENTS; a++) {
        s_agent_t *ag = &fx->agents[a];
        int kec = a % S_AGENTS + 1;
        snprintf (ag->source, sizeof ag->source, "32.03.%02d/chaos-%d", kec, a);
        snprintf (ag->outbox, sizeof ag->outbox, "%s/outbox-%d.db", fx->dir, a);
        snprintf (ag->log, sizeof ag->log, "%s/agent-%d.log", fx->dir, a);
        char desa[16], err[256];
        s_desa (kec, desa, sizeof desa);
        jk_outbox_t *ob =
            jk_outbox_open (ag->outbox, ag->source, err, sizeof err);
        if (!ob)
            fail_msg ("outbox: %s", err);
        assert_int_equal (jk_outbox_begin (ob), JK_OK);
        for (size_t i = 0; i < fx->per_agent; i++) {
            /* NIK 32 03 KK DD MM YY SSSS: the agent picks the month
               (offline agent: a distinct year), i the day and serial. */
            char nik[48], birth[32], name[48];
            int day = (int)(i % 28) + 1;
            int month = a % 12 + 1;
            int year = a < S_AGENTS ? 80 + a / 12 : 70;
            snprintf (nik, sizeof nik, "3203%02d%02d%02d%02d%04zu", kec, day,
                      month, year, i / 28 + 1);
            assert_int_equal (strlen (nik), 16);
            snprintf (birth, sizeof birth, "19%02d-%02d-%02d", year, month,
                      day);
            snprintf (name, sizeof name, "Peserta %d-%zu", a, i);
            jk_event_t *ev = jk_event_new (type);
            jk_event_set_actor (ev, "chaos");
            jk_report_t report;
            jk_report_reset (&report);
            assert_int_equal (jk_event_set (ev, "nik", nik, &report), 0);
            assert_int_equal (jk_event_set (ev, "name", name, &report), 0);
            assert_int_equal (jk_event_set (ev, "sex", "L", &report), 0);
            assert_int_equal (jk_event_set (ev, "birth_date", birth, &report),
                              0);
            assert_int_equal (jk_event_set (ev, "desa_code", desa, &report), 0);
            uint64_t seq = 0;
            assert_int_equal (jk_outbox_put (ob, ev, "", NULL, &seq), JK_OK);
            assert_int_equal (seq, i + 1);
            memcpy (fx->ids[fx->id_count++], ev->id, 16);
            jk_event_destroy (&ev);
        }
        assert_int_equal (jk_outbox_commit (ob), JK_OK);
        jk_outbox_close (&ob);
    }
}

static void s_start_store (s_fix_t *fx)
{
    char *argv[] = {"jejak-store", "--db",    fx->db,    "--backend",
                    fx->backend,   "--query", fx->query, NULL};
    fx->store = jk_test_spawn (argv, fx->store_log);
    assert_true (fx->store > 0);
}

static void s_start_broker (s_fix_t *fx)
{
    if (fx->hub) {
        fx->broker = jk_test_hub_spawn (fx->db, fx->ingest, fx->feed, fx->query,
                                        NULL, fx->broker_log);
    } else {
        char *argv[] = {"jejak-broker", "--ingest",  fx->ingest,  "--feed",
                        fx->feed,       "--backend", fx->backend, NULL};
        fx->broker = jk_test_spawn (argv, fx->broker_log);
    }
    assert_true (fx->broker > 0);
}

static void s_start_sync (s_fix_t *fx, s_agent_t *ag)
{
    char *argv[] = {"jejak-registration", "--source", ag->source, "--outbox",
                    ag->outbox,           "--broker", fx->ingest, "--wait",
                    S_SYNC_WAIT,          "sync",     NULL};
    ag->pid = jk_test_spawn (argv, ag->log);
    assert_true (ag->pid > 0);
    ag->restarts++;
}

/* Reaps pid when it has ended: true with its exit code in *rc (-1 when
   killed by a signal). */
static bool s_reaped (pid_t pid, int *rc)
{
    int status = 0;
    if (pid <= 0 || waitpid (pid, &status, WNOHANG) != pid)
        return false;
    *rc = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    return true;
}

/* One row of the log database as an integer. */
static int64_t s_sql (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        v = sqlite3_column_int64 (st, 0);
    else
        fail_msg ("%s: %s", sql, sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return v;
}

static int s_run (char **argv)
{
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 120000);
    if (rc != 0)
        fprintf (stderr, "%s %s: exit %d\n%s%s", argv[0], argv[1], rc, out,
                 err);
    free (out);
    free (err);
    return rc;
}

/* The checks after the storm: exactly once, in order, chain, rebuild. */
static void s_check_log (s_fix_t *fx)
{
    size_t total = (S_AGENTS + 1) * fx->per_agent;
    /* A clean stop leaves the projections at the log's head. */
    sqlite3 *db = jk_test_projections (fx->db);
    assert_int_equal (s_sql (db, "SELECT count(*) FROM log"), (int64_t)total);
    assert_int_equal (s_sql (db, "SELECT count(DISTINCT id) FROM log"),
                      (int64_t)total);
    assert_int_equal (s_sql (db, "SELECT max(pos) FROM log"), (int64_t)total);
    assert_int_equal (s_sql (db, "SELECT count(*) FROM log WHERE outcome"), 0);
    assert_int_equal (s_sql (db, "SELECT count(DISTINCT source) FROM log"),
                      S_AGENTS + 1);
    /* Each source's seqs are 1..N in the order of pos. */
    assert_int_equal (s_sql (db, "SELECT count(*) FROM (SELECT seq, "
                                 "row_number() OVER (PARTITION BY source "
                                 "ORDER BY pos) AS rn FROM log) "
                                 "WHERE seq != rn"),
                      0);
    assert_int_equal (s_sql (db, "SELECT count(*) FROM people"),
                      (int64_t)total);
    /* Every id queued is there under its own source and seq. */
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT source, seq FROM log "
                                          "WHERE id = ?",
                                          -1, &st, NULL),
                      SQLITE_OK);
    for (size_t k = 0; k < fx->id_count; k++) {
        s_agent_t *ag = &fx->agents[k / fx->per_agent];
        sqlite3_bind_blob (st, 1, fx->ids[k], 16, SQLITE_STATIC);
        assert_int_equal (sqlite3_step (st), SQLITE_ROW);
        assert_string_equal ((const char *)sqlite3_column_text (st, 0),
                             ag->source);
        assert_int_equal (sqlite3_column_int64 (st, 1),
                          (int64_t)(k % fx->per_agent + 1));
        sqlite3_reset (st);
    }
    sqlite3_finalize (st);
    sqlite3_close (db);

    /* Every outbox holds only STORED events. */
    for (int a = 0; a <= S_AGENTS; a++) {
        char err[256];
        jk_outbox_t *ob = jk_outbox_open (
            fx->agents[a].outbox, fx->agents[a].source, err, sizeof err);
        assert_non_null (ob);
        jk_outbox_counts_t c;
        assert_int_equal (jk_outbox_counts (ob, &c), JK_OK);
        assert_int_equal (c.stored, fx->per_agent);
        assert_int_equal (c.pending, 0);
        assert_int_equal (c.rejected, 0);
        jk_outbox_close (&ob);
    }

    char *verify[] = {"jejak-replay", "verify", fx->db, NULL};
    assert_int_equal (s_run (verify), 0);
    char *rebuilt = jk_sprintf ("%s/rebuilt.db", fx->dir);
    char *rebuild[] = {"jejak-replay", "rebuild", fx->db,
                       "--out",        rebuilt,   NULL};
    assert_int_equal (s_run (rebuild), 0);
    char *diff[] = {"jejak-replay", "diff", fx->db, rebuilt, NULL};
    assert_int_equal (s_run (diff), 0);
    free (rebuilt);
}

/* Sleeps until the storm has something to do: one of its programs ended
   (woken by their pidfds), or the next kill or restart is due (0: none
   planned), or the storm's deadline. */
static void s_wait_next (s_fix_t *fx, int64_t start, int64_t next_kill,
                         int64_t restart_store, int64_t restart_broker)
{
    pid_t pids[S_AGENTS + 2];
    int n = 0;
    pids[n++] = fx->store;
    pids[n++] = fx->broker;
    for (int a = 0; a < S_AGENTS; a++)
        pids[n++] = fx->agents[a].pid;
    int64_t due = start + S_DEADLINE_MS + 1;
    int64_t planned[3] = {next_kill, restart_store, restart_broker};
    for (int i = 0; i < 3; i++)
        if (planned[i] && planned[i] < due)
            due = planned[i];
    jk_test_wait_any_exit (pids, n, (int)(due - jk_clock_mono_ms ()));
}

/* The storm: agents sync; kill -9 of store, broker or an agent every
   100-400 ms until the kills are done and every online agent is done. */
static void s_storm (s_fix_t *fx)
{
    int kills_target = S_KILLS * fx->scale;
    int kills = 0;
    int64_t start = jk_clock_mono_ms ();
    int64_t next_kill = start + s_between (fx, 100, 400);
    int64_t restart_store = 0, restart_broker = 0;
    if (!fx->hub)
        s_start_store (fx);
    s_start_broker (fx);
    for (int a = 0; a < S_AGENTS; a++)
        s_start_sync (fx, &fx->agents[a]);

    while (true) {
        int64_t now = jk_clock_mono_ms ();
        if (now - start > S_DEADLINE_MS)
            fail_msg ("chaos: not settled after %d ms (seed %llu)",
                      S_DEADLINE_MS, (unsigned long long)fx->seed);
        int rc;
        /* A component that died on its own is a failure of the test. */
        /* Its log is shown: the test's directory goes at teardown. */
        if (!fx->hub && s_reaped (fx->store, &rc)) {
            jk_test_show_file (fx->store_log);
            fail_msg ("jejak-store exited %d by itself (%s)", rc,
                      fx->store_log);
        }
        if (s_reaped (fx->broker, &rc)) {
            jk_test_show_file (fx->broker_log);
            fail_msg ("broker exited %d by itself (%s)", rc, fx->broker_log);
        }
        if (restart_store && now >= restart_store) {
            s_start_store (fx);
            restart_store = 0;
        }
        if (restart_broker && now >= restart_broker) {
            s_start_broker (fx);
            restart_broker = 0;
        }
        int open = 0;
        for (int a = 0; a < S_AGENTS; a++) {
            s_agent_t *ag = &fx->agents[a];
            if (ag->pid && s_reaped (ag->pid, &rc)) {
                ag->pid = 0;
                if (rc == 0)
                    ag->done = true;
                else if (rc != 3 && rc != -1)
                    fail_msg ("sync of %s exited %d (%s)", ag->source, rc,
                              ag->log);
            }
            if (!ag->done && !ag->pid)
                s_start_sync (fx, ag);
            open += !ag->done;
        }
        if (kills >= kills_target && open == 0 && !restart_store &&
            !restart_broker)
            break;
        if (kills < kills_target && now >= next_kill) {
            int dice = s_between (fx, 0, 9);
            if (dice < 3 && !fx->hub && fx->store && !restart_store) {
                s_kill (&fx->store);
                restart_store = now + s_between (fx, 20, 400);
                fx->kills_store++;
                kills++;
            } else if (dice < 6 && fx->broker && !restart_broker) {
                s_kill (&fx->broker);
                restart_broker = now + s_between (fx, 20, 400);
                fx->kills_broker++;
                kills++;
            } else {
                int a = s_between (fx, 0, S_AGENTS - 1);
                if (fx->agents[a].pid) {
                    s_kill (&fx->agents[a].pid);
                    fx->kills_agent++;
                    kills++;
                }
            }
            next_kill = now + s_between (fx, 100, 400);
        }
        s_wait_next (fx, start, kills < kills_target ? next_kill : 0,
                     restart_store, restart_broker);
    }
    /* The offline agent comes online last. */
    s_agent_t *off = &fx->agents[S_AGENTS];
    assert_int_equal (off->restarts, 0);
    char *argv[] = {"jejak-registration",
                    "--source",
                    off->source,
                    "--outbox",
                    off->outbox,
                    "--broker",
                    fx->ingest,
                    "--wait",
                    "20",
                    "sync",
                    NULL};
    assert_int_equal (s_run (argv), 0);

    printf ("chaos: seed %llu, %d kills (store %d, broker %d, agents %d), "
            "%zu events in %.1f s\n",
            (unsigned long long)fx->seed, kills, fx->kills_store,
            fx->kills_broker, fx->kills_agent, (S_AGENTS + 1) * fx->per_agent,
            (double)(jk_clock_mono_ms () - start) / 1000.0);
    assert_true (kills >= 10);

    /* Clean stop: SIGTERM ends each with 0. */
    int status = jk_test_stop (fx->broker, SIGTERM, 20000);
    fx->broker = 0;
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    if (!fx->hub) {
        status = jk_test_stop (fx->store, SIGTERM, 20000);
        fx->store = 0;
        assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
}

static void test_chaos_broker_store (void **state)
{
    s_fix_t *fx = *state;
    printf ("chaos: broker + store, seed %llu, scale %d\n",
            (unsigned long long)fx->seed, fx->scale);
    s_queue_workload (fx);
    s_storm (fx);
    s_check_log (fx);
}

static void test_chaos_hub (void **state)
{
    s_fix_t *fx = *state;
    fx->hub = true;
    printf ("chaos: hub, seed %llu, scale %d\n", (unsigned long long)fx->seed,
            fx->scale);
    s_queue_workload (fx);
    s_storm (fx);
    s_check_log (fx);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_chaos_broker_store, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_chaos_hub, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
