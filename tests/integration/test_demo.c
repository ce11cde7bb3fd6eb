/*  test_demo.c - the demo's flow end to end at a small size, through the
    real programs: jejak-sample (200 cooperatives, bad rows), jejak-hub on
    ipc endpoints, the office agents importing plan.txt stage by stage (one
    outbox per source, a stage's sources in parallel, sync before the next
    stage), jejak-status --once --json as of 2022-12-31, jejak-replay
    verify, rebuild and diff. Every figure is checked against the
    generator's expected.tsv. */
#include "testsupport.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_AS_OF     "2022-12-31"
#define S_MAX_STAGE 64

typedef struct {
    char *dir, *sample, *ingest, *feed, *query, *db, *logs;
    pid_t hub;
    char *expected; /* expected.tsv as read */
} s_fix_t;

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("demo");
    fx->sample = jk_sprintf ("%s/sample", fx->dir);
    fx->ingest = jk_test_endpoint (fx->dir, "ingest");
    fx->feed = jk_test_endpoint (fx->dir, "feed");
    fx->query = jk_test_endpoint (fx->dir, "query");
    fx->db = jk_sprintf ("%s/events.db", fx->dir);
    fx->logs = jk_sprintf ("%s/logs", fx->dir);
    *state = fx;
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    if (fx->hub > 0)
        jk_test_stop (fx->hub, SIGKILL, 10000);
    free (fx->sample);
    free (fx->ingest);
    free (fx->feed);
    free (fx->query);
    free (fx->db);
    free (fx->logs);
    free (fx->expected);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

/* The value of key in expected.tsv; fails the test when absent. */
static long s_expect (s_fix_t *fx, const char *key)
{
    size_t klen = strlen (key);
    const char *line = fx->expected;
    while (line && *line) {
        if (strncmp (line, key, klen) == 0 && line[klen] == '\t')
            return strtol (line + klen + 1, NULL, 10);
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    fail_msg ("expected.tsv has no %s", key);
    return -1;
}

/* The integer after "key": inside [from, to); -1 when absent. */
static long s_json_int (const char *from, const char *to, const char *key)
{
    char *pat = jk_sprintf ("\"%s\":", key);
    const char *p = strstr (from, pat);
    long value = -1;
    if (p && (!to || p < to))
        value = strtol (p + strlen (pat), NULL, 10);
    free (pat);
    return value;
}

/* Waits up to timeout_ms for pid; returns its exit code, or -1 when it was
   killed by a signal or did not end (it is then killed). */
static int s_wait_exit (pid_t pid, int timeout_ms)
{
    int status = 0;
    pid_t r = 0;
    bool done =
        JK_WAIT_FOR ((r = waitpid (pid, &status, WNOHANG)) == pid, timeout_ms);
    if (!done) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        return -1;
    }
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Runs a program; returns its exit code; stdout into *out when wanted. */
static int s_run (char **argv, char **out)
{
    char *o = NULL, *e = NULL;
    int rc = jk_test_run (argv, &o, &e, 60000);
    if (rc != 0 && e && *e)
        fprintf (stderr, "%s: %s", argv[0], e);
    free (e);
    if (out)
        *out = o;
    else
        free (o);
    return rc;
}

static void s_start_hub (s_fix_t *fx)
{
    char *log = jk_sprintf ("%s/hub.log", fx->logs);
    fx->hub =
        jk_test_hub_spawn (fx->db, fx->ingest, fx->feed, fx->query, NULL, log);
    free (log);
    /* Ready when the store answers a snapshot on the query endpoint. */
    char *st[] = {"jejak-status", "--feed",    fx->feed, "--query", fx->query,
                  "--once",       "--timeout", "1",      "--json",  NULL};
    int rc = -1;
    for (int i = 0; i < 20 && rc != 0; i++)
        rc = s_run (st, NULL);
    assert_int_equal (rc, 0);
}

/* One line of plan.txt. */
typedef struct {
    char domain[32], source[64], type[64], file[160];
} s_step_t;

/* Runs `jejak-DOMAIN --source S --outbox ... ARGS` for every step of a
   stage in parallel and returns, per step, the exit codes in rcs. */
static void s_run_stage (s_fix_t *fx, s_step_t *steps, int count, bool sync,
                         int *rcs)
{
    pid_t pids[S_MAX_STAGE];
    for (int i = 0; i < count; i++) {
        s_step_t *s = &steps[i];
        char *program = jk_sprintf ("jejak-%s", s->domain);
        char *name = jk_strdup (s->source);
        for (char *c = strchr (name, '/'); c; c = strchr (c, '/'))
            *c = '_';
        char *outbox = jk_sprintf ("%s/outbox-%s.db", fx->dir, name);
        free (name);
        char *file = jk_sprintf ("%s/%s", fx->sample, s->file);
        char *log = jk_sprintf ("%s/%s-%s.log", fx->logs,
                                sync ? "sync" : "import", s->type);
        char *argv[] = {program,
                        "--source",
                        s->source,
                        "--outbox",
                        outbox,
                        "--broker",
                        fx->ingest,
                        "--actor",
                        "test-demo",
                        "--wait",
                        "20",
                        sync ? "sync" : "import",
                        sync ? NULL : file,
                        "--type",
                        s->type,
                        NULL};
        pids[i] = jk_test_spawn (argv, log);
        assert_true (pids[i] > 0);
        free (program);
        free (outbox);
        free (file);
        free (log);
    }
    for (int i = 0; i < count; i++)
        rcs[i] = s_wait_exit (pids[i], 120000);
}

/* Imports the whole plan; returns how many imports exited 4 (bad rows). */
static int s_import_plan (s_fix_t *fx)
{
    char *path = jk_sprintf ("%s/plan.txt", fx->sample);
    FILE *plan = fopen (path, "r");
    assert_non_null (plan);
    free (path);
    s_step_t stage[S_MAX_STAGE];
    int count = 0, with_bad = 0, rcs[S_MAX_STAGE];
    bool more = true;
    while (more) {
        s_step_t step;
        more = fscanf (plan, "%31s %63s %63s %159s", step.domain, step.source,
                       step.type, step.file) == 4;
        if (count > 0 && (!more || strcmp (step.type, stage[0].type) != 0)) {
            s_run_stage (fx, stage, count, false, rcs);
            for (int i = 0; i < count; i++) {
                bool bad = strcmp (stage[i].file,
                                   "32.03.01/person.registered.csv") == 0;
                if (rcs[i] != (bad ? 4 : 0))
                    fail_msg ("import of %s exited %d", stage[i].file, rcs[i]);
                with_bad += rcs[i] == 4;
            }
            s_run_stage (fx, stage, count, true, rcs);
            for (int i = 0; i < count; i++)
                if (rcs[i] != 0)
                    fail_msg ("sync of %s exited %d", stage[i].source, rcs[i]);
            count = 0;
        }
        if (more) {
            assert_true (count < S_MAX_STAGE);
            stage[count++] = step;
        }
    }
    fclose (plan);
    return with_bad;
}

/* One value from the hub's database. */
static long s_sql (s_fix_t *fx, const char *sql)
{
    sqlite3 *db = NULL;
    long value = -1;
    assert_int_equal (sqlite3_open_v2 (fx->db, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        value = sqlite3_column_int64 (st, 0);
    else
        fail_msg ("%s: %s", sql, sqlite3_errmsg (db));
    sqlite3_finalize (st);
    sqlite3_close (db);
    return value;
}

static void test_demo_flow (void **state)
{
    s_fix_t *fx = *state;
    char *mk[] = {"/bin/mkdir", "-p", fx->logs, NULL};
    assert_int_equal (s_run (mk, NULL), 0);

    char *sample[] = {"jejak-sample",
                      "--out",
                      fx->sample,
                      "--seed",
                      "1",
                      "--cooperatives",
                      "200",
                      "--active",
                      "60",
                      "--with-bad-rows",
                      NULL};
    assert_int_equal (s_run (sample, NULL), 0);
    char *tsv = jk_sprintf ("%s/expected.tsv", fx->sample);
    fx->expected = jk_test_slurp (tsv, NULL);
    free (tsv);
    assert_non_null (fx->expected);
    assert_int_equal (s_expect (fx, "cooperatives"), 200);
    assert_int_equal (s_expect (fx, "active"), 60);

    s_start_hub (fx);
    assert_int_equal (s_import_plan (fx), 1);

    /* The board as of the end of 2022 shows the generator's figures. */
    char *board = NULL;
    char *st[] = {"jejak-status", "--feed",    fx->feed, "--query",
                  fx->query,      "--once",    "--json", "--as-of",
                  S_AS_OF,        "--timeout", "5",      NULL};
    assert_int_equal (s_run (st, &board), 0);
    const char *totals = strstr (board, "\"totals\":{");
    assert_non_null (totals);
    const char *end = strchr (totals, '}');
    const char *keys[] = {"cooperatives", "active",   "people",
                          "enrolled",     "assessed", "competent",
                          "certificates"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_int_equal (s_json_int (totals, end, keys[i]),
                          s_expect (fx, keys[i]));
    assert_int_equal (s_json_int (totals, end, "rejections"),
                      s_expect (fx, "bad_rows.store"));
    assert_int_equal (s_json_int (totals, end, "certificates_valid"),
                      s_expect (fx, "certificates"));

    /* Per kecamatan: registered and active, each of the 32. */
    int seen = 0;
    for (int k = 1; k <= 32; k++) {
        char *code = jk_sprintf ("\"code\":\"32.03.%02d\"", k);
        const char *row = strstr (board, code);
        assert_non_null (row);
        const char *row_end = strchr (row, '}');
        char *reg = jk_sprintf ("kecamatan.32.03.%02d.registered", k);
        char *act = jk_sprintf ("kecamatan.32.03.%02d.active", k);
        assert_int_equal (s_json_int (row, row_end, "cooperatives"),
                          s_expect (fx, reg));
        assert_int_equal (s_json_int (row, row_end, "active"),
                          s_expect (fx, act));
        seen++;
        free (code);
        free (reg);
        free (act);
    }
    assert_int_equal (seen, 32);
    free (board);

    /* The projections hold the rest of expected.tsv. */
    assert_int_equal (s_sql (fx, "SELECT count(*) FROM batches"),
                      s_expect (fx, "batches"));
    assert_int_equal (s_sql (fx, "SELECT count(*) FROM sessions"),
                      s_expect (fx, "sessions"));
    assert_int_equal (s_sql (fx, "SELECT count(*) FROM attendance"),
                      s_expect (fx, "attendance"));
    assert_int_equal (s_sql (fx, "SELECT sum(eligible) FROM enrollments"),
                      s_expect (fx, "eligible"));
    assert_int_equal (s_sql (fx, "SELECT count(*) FROM rat_meetings "
                                 "WHERE book_year = 2021"),
                      s_expect (fx, "rat_2021"));
    assert_int_equal (s_sql (fx, "SELECT count(*) FROM rat_meetings "
                                 "WHERE book_year = 2021 AND late = 1"),
                      s_expect (fx, "rat_2021_late"));
    assert_int_equal (s_sql (fx, "SELECT count(*) FROM rejections WHERE "
                                 "code = 'E_DUPLICATE_PERSON'"),
                      1);
    assert_int_equal (s_sql (fx, "SELECT count(*) FROM log WHERE outcome=1"),
                      s_expect (fx, "bad_rows.store"));
    for (int b = 1; b <= 6; b++) {
        char *key = jk_sprintf ("batch.PK2UMK-2022-%02d.eligible", b);
        char *sql = jk_sprintf ("SELECT sum(eligible) FROM enrollments "
                                "WHERE batch = 'PK2UMK-2022-%02d'",
                                b);
        assert_int_equal (s_sql (fx, sql), s_expect (fx, key));
        free (key);
        free (sql);
    }
    long records = s_sql (fx, "SELECT count(*) FROM log");
    assert_int_equal (s_sql (fx, "SELECT max(pos) FROM log"), records);

    /* The hub stops cleanly; the auditor's tools agree with it. */
    int status = jk_test_stop (fx->hub, SIGTERM, 20000);
    fx->hub = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);

    char *out = NULL;
    char *verify[] = {"jejak-replay", "verify", fx->db, NULL};
    assert_int_equal (s_run (verify, &out), 0);
    char *want = jk_sprintf ("pos=%ld ", records);
    assert_non_null (strstr (out, want));
    free (want);
    free (out);
    char *rebuilt = jk_sprintf ("%s/rebuilt.db", fx->dir);
    char *rebuild[] = {"jejak-replay", "rebuild", fx->db,
                       "--out",        rebuilt,   NULL};
    assert_int_equal (s_run (rebuild, NULL), 0);
    char *diff[] = {"jejak-replay", "diff", fx->db, rebuilt, NULL};
    assert_int_equal (s_run (diff, NULL), 0);
    free (rebuilt);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_demo_flow, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
