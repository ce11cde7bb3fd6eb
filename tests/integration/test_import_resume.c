/*  test_import_resume.c - re-running an import is safe: for every event
    type, a CSV of realistic rows (from the workload generator) is imported
    into a real jejak-hub by the real program, killed with SIGKILL at
    random points (while queueing or while delivering) and run again until
    it finishes. Every distinct row is then in the outbox once and in the
    log once, and the source's seqs have no gap. The random points come
    from a seed printed at the start (JEJAK_TEST_SEED to repeat a run). */
#include "jk_agent.h"
#include "testsupport.h"
#include "workload.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/pacet-1"
#define S_EVENTS                                                               \
    6000 /* workload events turned into CSV rows: more than 1,000 rows (one    \
            import transaction) of the largest types */

typedef jk_test_hub_t s_fix_t;

static int s_setup (void **state)
{
    *state = jk_test_hub_new ("import-resume");
    return 0;
}

static int s_teardown (void **state)
{
    jk_test_hub_destroy ((s_fix_t **)state);
    return 0;
}

/* Writes one CSV cell (',' separated, quoted when needed). */
static void s_cell (char **line, const char *text, size_t len, bool first)
{
    bool quote = false;
    for (size_t i = 0; i < len; i++)
        quote |= text[i] == ',' || text[i] == ';' || text[i] == '"' ||
                 text[i] == '\n' || text[i] == '\r';
    char *cell = jk_calloc (1, 2 * len + 3);
    size_t n = 0;
    if (quote)
        cell[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"')
            cell[n++] = '"';
        cell[n++] = text[i];
    }
    if (quote)
        cell[n++] = '"';
    char *joined = jk_sprintf ("%s%s%s", *line, first ? "" : ",", cell);
    free (*line);
    free (cell);
    *line = joined;
}

/* The event's body (and corrects) as one CSV line in the import's forms. */
static char *s_row (const jk_event_t *ev)
{
    const jk_type_t *t = ev->type;
    char *line = jk_strdup ("");
    for (size_t f = 0; f < t->field_count; f++) {
        const jk_field_t *fd = &t->fields[f];
        const jk_value_t *v = &ev->body[f];
        char *text = NULL;
        if (!v->present)
            text = jk_strdup ("");
        else if (fd->kind == JK_KIND_UINT)
            text = jk_sprintf ("%lld", (long long)v->n);
        else if (fd->kind == JK_KIND_BOOL)
            text = jk_strdup (v->n ? "true" : "false");
        else if (fd->kind == JK_KIND_LIST || fd->kind == JK_KIND_SET ||
                 fd->kind == JK_KIND_UNITS) {
            bool units = fd->kind == JK_KIND_UNITS;
            text = jk_strdup ("");
            for (uint32_t k = 0; k < v->count; k++) {
                const jk_str_t *item = &v->items[units ? 2 * k : k];
                char *more =
                    units ? jk_sprintf ("%s%s%.*s=%.*s", text, k ? "|" : "",
                                        (int)item->len, item->ptr,
                                        (int)item[1].len, item[1].ptr)
                          : jk_sprintf ("%s%s%.*s", text, k ? "," : "",
                                        (int)item->len, item->ptr);
                free (text);
                text = more;
            }
        } else
            text = jk_sprintf ("%.*s", (int)v->s.len, v->s.ptr);
        s_cell (&line, text, strlen (text), f == 0);
        free (text);
    }
    if (t->needs_corrects) {
        char id[37] = "";
        if (ev->has_corrects)
            jk_uuid_format (ev->corrects, id);
        s_cell (&line, id, strlen (id), false);
    }
    return line;
}

typedef struct {
    FILE *file;
    zhash_t *seen; /* distinct lines */
    size_t rows;
} s_csv_t;

/* Writes one CSV per event type from the workload; returns the number of
   types with rows. */
static size_t s_write_csvs (s_fix_t *fx, s_csv_t *csv)
{
    jk_workload_config_t config = {.events = S_EVENTS};
    jk_workload_t *wl = jk_workload_new (7, &config);
    jk_event_t *ev;
    while ((ev = jk_workload_next (wl)) != NULL) {
        const jk_type_t *t = ev->type;
        size_t i = 0;
        while (jk_vocabulary_at (i) != t)
            i++;
        s_csv_t *c = &csv[i];
        if (!c->file) {
            char *path = jk_sprintf ("%s/%s.csv", fx->dir, t->name);
            c->file = fopen (path, "w");
            assert_non_null (c->file);
            free (path);
            c->seen = zhash_new ();
            for (size_t f = 0; f < t->field_count; f++)
                fprintf (c->file, "%s%s", f ? "," : "", t->fields[f].name);
            fprintf (c->file, "%s\n", t->needs_corrects ? ",corrects" : "");
        }
        char *line = s_row (ev);
        if (zhash_insert (c->seen, line, (void *)1) == 0) {
            fprintf (c->file, "%s\n", line);
            c->rows++;
        }
        free (line);
        jk_event_destroy (&ev);
    }
    jk_workload_destroy (&wl);
    size_t types = 0;
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        if (csv[i].file) {
            fclose (csv[i].file);
            zhash_destroy (&csv[i].seen);
            types++;
        }
    return types;
}

static bool s_exited (pid_t pid, int *status)
{
    return waitpid (pid, status, WNOHANG) == pid;
}

/* Whether a run's kill point is reached: in phase 0 once at rows of the
   file are queued, in phase 1 once at are in the log, in phase 2 never. */
static bool s_kill_point (s_fix_t *fx, int phase, int64_t at,
                          const char *queued_sql, const char *logged_sql)
{
    if (phase == 0)
        return jk_test_db_int64 (fx->outbox, queued_sql) >= at;
    if (phase == 1)
        return jk_test_db_int64 (fx->db, logged_sql) >= at;
    return false;
}

/* Imports the type's CSV, killing the program at random points, until a
   run finishes. Returns the number of kills. */
static int s_import_until_done (s_fix_t *fx, const jk_type_t *t, size_t rows,
                                unsigned *seed)
{
    char *csv = jk_sprintf ("%s/%s.csv", fx->dir, t->name);
    char program[40];
    snprintf (program, sizeof program, "jejak-%s", jk_domain_name (t->domain));
    char *argv[] = {
        program,    "--source", S_SOURCE,        "--outbox", fx->outbox,
        "--broker", fx->ingest, "--wait",        "30",       "import",
        csv,        "--type",   (char *)t->name, NULL};
    char *queued_sql = jk_sprintf (
        "SELECT count(*) FROM events WHERE origin LIKE '%s.csv:%%'", t->name);
    char *logged_sql =
        jk_sprintf ("SELECT count(*) FROM log WHERE type = '%s'", t->name);
    int kills = 0;
    while (true) {
        /* Where to kill this run: once a random number of this file's
           rows are queued, or are in the log, or not at all; after three
           kills the run is left to finish. */
        int phase = kills >= 3 ? 2 : (int)(rand_r (seed) % 3);
        int64_t at = (int64_t)(rand_r (seed) % (rows + 1));
        pid_t pid = jk_test_spawn (argv, fx->log);
        int status = 0;
        bool done = false;
        assert_true (JK_WAIT_FOR (
            (done = s_exited (pid, &status)) ||
                s_kill_point (fx, phase, at, queued_sql, logged_sql),
            120000));
        if (done) {
            /* Finished: every row stored or rejected by the store. */
            assert_true (WIFEXITED (status));
            int rc = WEXITSTATUS (status);
            if (rc != JK_EXIT_OK && rc != JK_EXIT_REJECTED)
                fprintf (stderr, "%s: exit %d (see %s)\n", t->name, rc,
                         fx->log);
            assert_true (rc == JK_EXIT_OK || rc == JK_EXIT_REJECTED);
            break;
        }
        kill (pid, SIGKILL);
        jk_test_stop (pid, SIGKILL, 10000);
        kills++;
    }
    free (queued_sql);
    free (logged_sql);
    free (csv);
    return kills;
}

static void test_import_killed_and_rerun (void **state)
{
    s_fix_t *fx = *state;
    const char *given = getenv ("JEJAK_TEST_SEED");
    unsigned seed = given ? (unsigned)strtoul (given, NULL, 10)
                          : (unsigned)jk_clock_now_ms ();
    fprintf (stderr, "JEJAK_TEST_SEED=%u\n", seed);
    s_csv_t *csv = jk_calloc (jk_vocabulary_count (), sizeof *csv);
    size_t types = s_write_csvs (fx, csv);
    /* The workload covers every importable type: each is tested. */
    assert_int_equal (types, jk_vocabulary_count ());
    jk_test_hub_start (fx);
    size_t total = 0;
    int kills = 0;
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        kills += s_import_until_done (fx, t, csv[i].rows, &seed);
        total += csv[i].rows;
        char *sql =
            jk_sprintf ("SELECT count(*) FROM log WHERE type = '%s'", t->name);
        int64_t logged = jk_test_db_int64 (fx->db, sql);
        free (sql);
        sql = jk_sprintf ("SELECT count(DISTINCT content) FROM events "
                          "WHERE type = '%s'",
                          t->name);
        int64_t distinct = jk_test_db_int64 (fx->outbox, sql);
        free (sql);
        sql = jk_sprintf ("SELECT count(*) FROM events WHERE type = '%s'",
                          t->name);
        int64_t queued = jk_test_db_int64 (fx->outbox, sql);
        free (sql);
        fprintf (stderr, "%-32s rows %4zu queued %4lld logged %4lld\n", t->name,
                 csv[i].rows, (long long)queued, (long long)logged);
        assert_int_equal (queued, (int64_t)csv[i].rows);
        assert_int_equal (distinct, (int64_t)csv[i].rows);
        assert_int_equal (logged, (int64_t)csv[i].rows);
    }
    fprintf (stderr, "%d kills, %zu rows of %zu types\n", kills, total, types);
    assert_true (kills > 0);
    char *where = jk_sprintf ("FROM log WHERE source = '%s'", S_SOURCE);
    char *sql = jk_sprintf ("SELECT count(*) %s", where);
    assert_int_equal (jk_test_db_int64 (fx->db, sql), (int64_t)total);
    free (sql);
    sql = jk_sprintf ("SELECT count(DISTINCT id) %s", where);
    assert_int_equal (jk_test_db_int64 (fx->db, sql), (int64_t)total);
    free (sql);
    sql = jk_sprintf ("SELECT max(seq) %s", where);
    assert_int_equal (jk_test_db_int64 (fx->db, sql), (int64_t)total);
    free (sql);
    free (where);
    assert_int_equal (jk_test_db_int64 (fx->outbox,
                                        "SELECT count(*) FROM events "
                                        "WHERE state < 2"),
                      0);
    free (csv);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_import_killed_and_rerun, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
