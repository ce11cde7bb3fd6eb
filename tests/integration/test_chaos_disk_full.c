/*  test_chaos_disk_full.c - fault test: the store's disk fills up while
    an office syncs. jejak-store and jejak-broker run as processes; the
    harness lowers the store's file size limit (RLIMIT_FSIZE through
    prlimit(2), SIGXFSZ ignored, so a write past it fails with EFBIG as on
    a full disk) just above what its files hold, then an agent syncs
    thousands of events: sync cannot finish, every event the agent holds
    a receipt for is in the log at that position (no ack without a
    commit), nothing is lost; when the limit is raised again (space
    returns) the same agent finishes with no gap and no duplicate, the
    chain verifies and the projections equal a rebuild. If the store stops
    instead of waiting for space, it is restarted and the same checks hold.

    Size: JEJAK_CHAOS_SCALE multiplies the events. */
#define _GNU_SOURCE
#include "jk_agent.h"
#include "testsupport.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PREFILL 200  /* events stored before the disk fills */
#define S_EVENTS  4000 /* events synced into the full disk, at scale 1 */

typedef struct {
    char *dir, *ingest, *feed, *backend, *query, *db;
    char *store_log, *broker_log, *agent_log;
    pid_t store, broker;
    int scale;
} s_fix_t;

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("chaos-disk");
    fx->ingest = jk_test_endpoint (fx->dir, "ingest");
    fx->feed = jk_test_endpoint (fx->dir, "feed");
    fx->backend = jk_test_endpoint (fx->dir, "backend");
    fx->query = jk_test_endpoint (fx->dir, "query");
    fx->db = jk_sprintf ("%s/events.db", fx->dir);
    fx->store_log = jk_sprintf ("%s/store.log", fx->dir);
    fx->broker_log = jk_sprintf ("%s/broker.log", fx->dir);
    fx->agent_log = jk_sprintf ("%s/agent.log", fx->dir);
    const char *scale = getenv ("JEJAK_CHAOS_SCALE");
    fx->scale = scale && atoi (scale) > 0 ? atoi (scale) : 1;
    /* Inherited by the store: a write past RLIMIT_FSIZE then fails with
       EFBIG instead of killing the process. */
    signal (SIGXFSZ, SIG_IGN);
    *state = fx;
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    if (fx->store > 0)
        jk_test_stop (fx->store, SIGKILL, 10000);
    if (fx->broker > 0)
        jk_test_stop (fx->broker, SIGKILL, 10000);
    free (fx->ingest);
    free (fx->feed);
    free (fx->backend);
    free (fx->query);
    free (fx->db);
    free (fx->store_log);
    free (fx->broker_log);
    free (fx->agent_log);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
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
    char *argv[] = {"jejak-broker", "--ingest",  fx->ingest,  "--feed",
                    fx->feed,       "--backend", fx->backend, NULL};
    fx->broker = jk_test_spawn (argv, fx->broker_log);
    assert_true (fx->broker > 0);
}

/* Queues count valid person.registered events for source in outbox,
   NIK serials from first. */
static void s_queue (const char *outbox, const char *source, size_t first,
                     size_t count)
{
    const jk_type_t *type = jk_vocabulary_find ("person.registered", 17);
    char err[256];
    jk_outbox_t *ob = jk_outbox_open (outbox, source, err, sizeof err);
    if (!ob)
        fail_msg ("outbox: %s", err);
    assert_int_equal (jk_outbox_begin (ob), JK_OK);
    for (size_t i = first; i < first + count; i++) {
        char nik[48], name[48];
        snprintf (nik, sizeof nik, "32031001018%01zu%04zu", i / 9999 % 10,
                  i % 9999 + 1);
        assert_int_equal (strlen (nik), 16);
        snprintf (name, sizeof name, "Peserta Disk %zu", i);
        char birth[16];
        snprintf (birth, sizeof birth, "198%01zu-01-01", i / 9999 % 10);
        jk_event_t *ev = jk_event_new (type);
        jk_event_set_actor (ev, "chaos");
        jk_report_t rep;
        jk_report_reset (&rep);
        assert_int_equal (jk_event_set (ev, "nik", nik, &rep), 0);
        assert_int_equal (jk_event_set (ev, "name", name, &rep), 0);
        assert_int_equal (jk_event_set (ev, "sex", "L", &rep), 0);
        assert_int_equal (jk_event_set (ev, "birth_date", birth, &rep), 0);
        assert_int_equal (jk_event_set (ev, "desa_code", "32.03.10.2012", &rep),
                          0);
        uint64_t seq;
        assert_int_equal (jk_outbox_put (ob, ev, "", NULL, &seq), JK_OK);
        jk_event_destroy (&ev);
    }
    assert_int_equal (jk_outbox_commit (ob), JK_OK);
    jk_outbox_close (&ob);
}

static int s_sync (s_fix_t *fx, const char *outbox, const char *source,
                   const char *wait)
{
    char *argv[] = {"jejak-registration",
                    "--source",
                    (char *)source,
                    "--outbox",
                    (char *)outbox,
                    "--broker",
                    fx->ingest,
                    "--wait",
                    (char *)wait,
                    "sync",
                    NULL};
    pid_t pid = jk_test_spawn (argv, fx->agent_log);
    int status = 0;
    bool ended = jk_test_wait_exit (pid, &status, 120000);
    if (!ended) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        return -1;
    }
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static int64_t s_sql (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout (db, 5000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step (st) == SQLITE_ROW)
            v = sqlite3_column_int64 (st, 0);
        else
            fail_msg ("%s: %s", sql, sqlite3_errmsg (db));
        sqlite3_finalize (st);
    }
    sqlite3_close (db);
    return v;
}

/* Every receipt in the outbox (STORED, pos) names the same event at the
   same position in the log. Returns the number of receipts. */
static int64_t s_check_receipts (s_fix_t *fx, const char *outbox)
{
    sqlite3 *ob = NULL;
    char *attach =
        jk_sprintf ("ATTACH DATABASE 'file:%s?mode=ro' AS lg", fx->db);
    assert_int_equal (sqlite3_open_v2 (outbox, &ob,
                                       SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                                       NULL),
                      SQLITE_OK);
    sqlite3_busy_timeout (ob, 5000);
    assert_int_equal (sqlite3_exec (ob, attach, NULL, NULL, NULL), SQLITE_OK);
    free (attach);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (ob,
                                          "SELECT count(*), "
                                          "sum(l.pos IS NULL OR l.pos != "
                                          "e.pos OR l.id != e.id) "
                                          "FROM events e LEFT JOIN lg.log l "
                                          "ON l.pos = e.pos WHERE e.state = 2",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    int64_t receipts = sqlite3_column_int64 (st, 0);
    assert_int_equal (sqlite3_column_int64 (st, 1), 0);
    sqlite3_finalize (st);
    sqlite3_close (ob);
    return receipts;
}

static off_t s_size (const char *path)
{
    struct stat sb;
    return stat (path, &sb) == 0 ? sb.st_size : 0;
}

static void test_disk_full (void **state)
{
    s_fix_t *fx = *state;
    size_t events = (size_t)S_EVENTS * (size_t)fx->scale;
    char *outbox = jk_sprintf ("%s/outbox.db", fx->dir);
    const char *source = "32.03.10/disk-1";
    s_start_store (fx);
    s_start_broker (fx);

    /* Some events go in while there is room. */
    s_queue (outbox, source, 0, S_PREFILL);
    assert_int_equal (s_sync (fx, outbox, source, "20"), 0);
    assert_int_equal (s_sql (fx->db, "SELECT count(*) FROM log"), S_PREFILL);

    /* The disk is full: no file of the store may grow past its size now
       (plus a page or two). */
    char *wal = jk_sprintf ("%s-wal", fx->db);
    off_t biggest =
        s_size (fx->db) > s_size (wal) ? s_size (fx->db) : s_size (wal);
    struct rlimit old, full = {(rlim_t)biggest + 8192, RLIM_INFINITY};
    assert_int_equal (prlimit (fx->store, RLIMIT_FSIZE, NULL, &old), 0);
    full.rlim_max = old.rlim_max;
    assert_int_equal (prlimit (fx->store, RLIMIT_FSIZE, &full, NULL), 0);
    printf ("disk full: store files limited to %lld bytes\n",
            (long long)full.rlim_cur);

    s_queue (outbox, source, S_PREFILL, events);
    int rc = s_sync (fx, outbox, source, "3");
    assert_int_equal (rc, 3); /* queued, not all delivered */
    int64_t during = s_check_receipts (fx, outbox);
    int64_t logged = s_sql (fx->db, "SELECT count(*) FROM log");
    printf ("disk full: %lld receipts, %lld records in the log of %zu\n",
            (long long)during, (long long)logged, S_PREFILL + events);
    assert_true (during < (int64_t)(S_PREFILL + events));
    assert_true (logged >= during);

    /* Space returns. A store that stopped is started again. */
    int status;
    if (waitpid (fx->store, &status, WNOHANG) == fx->store) {
        printf ("disk full: the store stopped (status %d); restarting it\n",
                status);
        s_start_store (fx);
    } else {
        assert_int_equal (prlimit (fx->store, RLIMIT_FSIZE, &old, NULL), 0);
    }
    assert_int_equal (s_sync (fx, outbox, source, "20"), 0);

    /* Nothing lost, nothing twice, in order. */
    int64_t total = (int64_t)(S_PREFILL + events);
    assert_int_equal (s_check_receipts (fx, outbox), total);
    assert_int_equal (s_sql (fx->db, "SELECT count(*) FROM log"), total);
    assert_int_equal (s_sql (fx->db, "SELECT count(DISTINCT id) FROM log"),
                      total);
    assert_int_equal (s_sql (fx->db, "SELECT count(*) FROM log WHERE outcome"),
                      0);
    assert_int_equal (s_sql (fx->db, "SELECT count(*) FROM log WHERE seq != "
                                     "pos"),
                      0);
    sqlite3 *db = jk_test_projections (fx->db);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db, "SELECT count(*) FROM people", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int64 (st, 0), total);
    sqlite3_finalize (st);
    sqlite3_close (db);

    status = jk_test_stop (fx->broker, SIGTERM, 20000);
    fx->broker = 0;
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    status = jk_test_stop (fx->store, SIGTERM, 20000);
    fx->store = 0;
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

    char *out = NULL, *err = NULL;
    char *verify[] = {"jejak-replay", "verify", fx->db, NULL};
    assert_int_equal (jk_test_run (verify, &out, &err, 60000), 0);
    free (out);
    free (err);
    char *rebuilt = jk_sprintf ("%s/rebuilt.db", fx->dir);
    char *rebuild[] = {"jejak-replay", "rebuild", fx->db,
                       "--out",        rebuilt,   NULL};
    assert_int_equal (jk_test_run (rebuild, &out, &err, 60000), 0);
    free (out);
    free (err);
    char *diff[] = {"jejak-replay", "diff", fx->db, rebuilt, NULL};
    assert_int_equal (jk_test_run (diff, &out, &err, 60000), 0);
    free (out);
    free (err);
    free (rebuilt);
    free (wal);
    free (outbox);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_disk_full, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
