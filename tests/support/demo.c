/*  demo.c - a hub database filled with the sample data (demo.h). */
#include "demo.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_MAX_STAGE 64

jk_test_demo_t *jk_test_demo_new (const char *tag)
{
    jk_test_demo_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir (tag);
    fx->sample = jk_sprintf ("%s/sample", fx->dir);
    fx->ingest = jk_test_endpoint (fx->dir, "ingest");
    fx->feed = jk_test_endpoint (fx->dir, "feed");
    fx->query = jk_test_endpoint (fx->dir, "query");
    fx->db = jk_sprintf ("%s/events.db", fx->dir);
    fx->logs = jk_sprintf ("%s/logs", fx->dir);
    return fx;
}

void jk_test_demo_destroy (jk_test_demo_t **self_p)
{
    jk_test_demo_t *fx = *self_p;
    if (!fx)
        return;
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
    *self_p = NULL;
}

long jk_test_demo_expect (jk_test_demo_t *fx, const char *key)
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

/* Waits up to timeout_ms for pid; returns its exit code, or -1 when it was
   killed by a signal or did not end (it is then killed). */
static int s_wait_exit (pid_t pid, int timeout_ms)
{
    int status = 0;
    if (!jk_test_wait_exit (pid, &status, timeout_ms)) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        return -1;
    }
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

int jk_test_demo_run (char *const argv[], char **out)
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

void jk_test_demo_sample (jk_test_demo_t *fx, int cooperatives, int active)
{
    char *mk[] = {"/bin/mkdir", "-p", fx->logs, NULL};
    assert_int_equal (jk_test_demo_run (mk, NULL), 0);
    char coops[16], act[16];
    snprintf (coops, sizeof coops, "%d", cooperatives);
    snprintf (act, sizeof act, "%d", active);
    char *sample[] = {"jejak-sample",
                      "--out",
                      fx->sample,
                      "--seed",
                      "1",
                      "--cooperatives",
                      coops,
                      "--active",
                      act,
                      "--with-bad-rows",
                      NULL};
    assert_int_equal (jk_test_demo_run (sample, NULL), 0);
    char *tsv = jk_sprintf ("%s/expected.tsv", fx->sample);
    fx->expected = jk_test_slurp (tsv, NULL);
    free (tsv);
    assert_non_null (fx->expected);
}

void jk_test_demo_start_hub (jk_test_demo_t *fx)
{
    char *log = jk_sprintf ("%s/hub.log", fx->logs);
    size_t before = jk_test_file_size (log);
    fx->hub =
        jk_test_hub_spawn (fx->db, fx->ingest, fx->feed, fx->query, NULL, log);
    /* Ready when it printed its start line (after its broker heard its
       store, whose query endpoint is open by then; OPERATIONS.md), and
       the store answers a snapshot: one ask with a deadline, not a count
       of 1-second tries that a slow start could use up. */
    if (!JK_WAIT_FOR (jk_test_file_has_after (log, before, "jejak-hub ingest="),
                      60000))
        fail_msg ("jejak-hub did not start in 60 s (see %s)", log);
    free (log);
    char *st[] = {"jejak-status", "--feed",    fx->feed, "--query", fx->query,
                  "--once",       "--timeout", "30",     "--json",  NULL};
    assert_int_equal (jk_test_demo_run (st, NULL), 0);
}

void jk_test_demo_stop_hub (jk_test_demo_t *fx)
{
    int status = jk_test_stop (fx->hub, SIGTERM, 60000);
    fx->hub = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

/* One line of plan.txt. */
typedef struct {
    char domain[32], source[64], type[64], file[160];
} s_step_t;

/* Runs `jejak-DOMAIN --source S --outbox ... ARGS` for every step of a
   stage in parallel and returns, per step, the exit codes in rcs. */
static void s_run_stage (jk_test_demo_t *fx, s_step_t *steps, int count,
                         bool sync, int *rcs)
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
int jk_test_demo_import (jk_test_demo_t *fx)
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

long jk_test_demo_sql (jk_test_demo_t *fx, const char *sql)
{
    long value = -1;
    sqlite3 *db = jk_test_projections (fx->db);
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

void jk_test_demo_build (jk_test_demo_t *fx, int cooperatives, int active)
{
    jk_test_demo_sample (fx, cooperatives, active);
    jk_test_demo_start_hub (fx);
    assert_int_equal (jk_test_demo_import (fx), 1);
    jk_test_demo_stop_hub (fx);
}
