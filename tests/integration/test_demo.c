/*  test_demo.c - the demo's flow end to end at a small size, through the
    real programs: jejak-sample (200 cooperatives, bad rows), jejak-hub on
    ipc endpoints, the office agents importing plan.txt stage by stage (one
    outbox per source, a stage's sources in parallel, sync before the next
    stage), jejak-status --once --json as of 2022-12-31, jejak-replay
    verify, rebuild and diff. Every figure is checked against the
    generator's expected.tsv. */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_AS_OF "2022-12-31"

typedef jk_test_demo_t s_fix_t;

static int s_setup (void **state)
{
    *state = jk_test_demo_new ("demo");
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    jk_test_demo_destroy (&fx);
    return 0;
}

#define s_expect jk_test_demo_expect
#define s_run    jk_test_demo_run
#define s_sql    jk_test_demo_sql

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

static void test_demo_flow (void **state)
{
    s_fix_t *fx = *state;
    jk_test_demo_sample (fx, 200, 60);
    assert_int_equal (s_expect (fx, "cooperatives"), 200);
    assert_int_equal (s_expect (fx, "active"), 60);

    jk_test_demo_start_hub (fx);
    assert_int_equal (jk_test_demo_import (fx), 1);

    /* The board as of the end of 2022 shows the generator's figures. */
    char *board = NULL;
    char *st[] = {"jejak-status", "--feed",    fx->feed, "--query",
                  fx->query,      "--once",    "--json", "--as-of",
                  S_AS_OF,        "--timeout", "60",     NULL};
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

    /* On 1 January (typed as the agents accept dates) the book year 2022
       is not yet overdue: the same cooperatives stay active, and the
       board says which book years it counted. */
    char *jan[] = {"jejak-status", "--query", fx->query,    "--once",
                   "--json",       "--as-of", "01/01/2023", "--timeout",
                   "60",           NULL};
    assert_int_equal (s_run (jan, &board), 0);
    totals = strstr (board, "\"totals\":{");
    assert_non_null (totals);
    assert_int_equal (s_json_int (totals, strchr (totals, '}'), "active"),
                      s_expect (fx, "active"));
    assert_non_null (strstr (board, "\"as_of\":\"2023-01-01\""));
    assert_non_null (strstr (board, "RAT tahun buku 2021-2022 diadakan s.d. "
                                    "01/01/2023"));
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
    jk_test_demo_stop_hub (fx);

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
