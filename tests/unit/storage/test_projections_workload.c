/*  test_projections_workload.c - a generated workload of thousands of
    events across all 18 types through decide and apply: every event
    validates, every injected bad event gets its expected code, every valid
    one is accepted; a second database fed the same records (apply only, as
    a rebuild does) dumps byte for byte the same. */
#include "projections_harness.h"
#include "workload.h"

#include <sqlite3.h>

#define EVENTS 4000

/* One record of the run: the bytes and whether it was accepted, so the
   rebuild replays exactly what was decided. */
typedef struct {
    uint8_t *bytes;
    size_t size;
    bool accepted;
    char code[JK_CODE_MAX];
    char message[JK_MESSAGE_MAX];
} record_t;

static void test_workload_live_equals_rebuilt (void **state)
{
    (void)state;
    jk_workload_config_t config = {.events = EVENTS, .reject_share = 0.05};
    jk_workload_t *workload = jk_workload_new (42, &config);
    harness_t live;
    h_open (&live, "workload-live", NULL);
    live.context.now_ms = jk_workload_end_ms (workload) + 1000;
    record_t *records = jk_calloc (EVENTS, sizeof *records);
    size_t types[32] = {0}, rejected = 0, warned = 0;

    int64_t started = jk_clock_mono_ms ();
    assert_int_equal (sqlite3_exec (live.db, "BEGIN", NULL, NULL, NULL),
                      SQLITE_OK);
    jk_event_t *ev;
    size_t n = 0;
    while ((ev = jk_workload_next (workload))) {
        jk_report_t report;
        if (jk_event_validate (ev, &live.context, &report))
            fail_msg ("event %zu (%s) invalid: %s", n, ev->type->name,
                      report.error.message);
        warned += report.warning_count > 0;
        for (size_t t = 0; t < jk_vocabulary_count (); t++)
            if (jk_vocabulary_at (t) == ev->type)
                types[t]++;
        record_t *r = &records[n];
        r->bytes = jk_event_encode (ev, &r->size);
        int rc = jk_projections_decide (live.proj, ev, &report);
        const char *expected = jk_workload_expected (workload);
        jk_applied_t applied = {.pos = n + 1,
                                .recorded_at = live.context.now_ms,
                                .warnings = &report,
                                .bytes = r->bytes,
                                .size = r->size};
        if (expected) {
            if (rc != -1)
                fail_msg ("event %zu (%s) accepted, expected %s", n,
                          ev->type->name, expected);
            assert_string_equal (report.error.code, expected);
            snprintf (r->code, sizeof r->code, "%s", report.error.code);
            snprintf (r->message, sizeof r->message, "%s",
                      report.error.message);
            assert_int_equal (
                jk_projections_apply_rejection (live.proj, NULL, ev, r->code,
                                                r->message, &applied),
                JK_OK);
            rejected++;
        } else {
            if (rc != 0)
                fail_msg ("event %zu (%s) rejected: %s %s", n, ev->type->name,
                          report.error.code, report.error.message);
            r->accepted = true;
            assert_int_equal (jk_projections_apply (live.proj, ev, &applied),
                              JK_OK);
        }
        jk_event_destroy (&ev);
        n++;
    }
    assert_int_equal (sqlite3_exec (live.db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    int64_t elapsed = jk_clock_mono_ms () - started;
    print_message ("decide+apply %zu events in %lld ms\n", n,
                   (long long)elapsed);
    assert_int_equal (n, EVENTS);
    assert_int_equal (jk_workload_count (workload), EVENTS);
    for (size_t t = 0; t < jk_vocabulary_count (); t++)
        if (types[t] == 0)
            fail_msg ("no event of type %s", jk_vocabulary_at (t)->name);
    assert_true (rejected > EVENTS / 50 && rejected < EVENTS / 10);
    assert_true (warned > 0);
    assert_int_equal (h_int (&live, "SELECT count(*) FROM rejections"),
                      (int64_t)rejected);
    assert_true (h_int (&live, "SELECT count(*) FROM data_quality") > 0);
    assert_true (h_int (&live, "SELECT count(*) FROM certificates") > 0);
    assert_true (h_int (&live, "SELECT count(*) FROM certificates"
                               " WHERE revoked = 1") > 0);
    assert_true (h_int (&live, "SELECT count(*) FROM attendance"
                               " WHERE corrections > 0") > 0);
    assert_true (h_int (&live, "SELECT count(*) FROM unit_results"
                               " WHERE attempts > 1") > 0);
    /* Kecamatan counters add up to the base tables. */
    assert_int_equal (
        h_int (&live, "SELECT sum (people) FROM kecamatan_summary"),
        h_int (&live, "SELECT count(*) FROM people"));
    assert_int_equal (
        h_int (&live, "SELECT sum (cooperatives) FROM kecamatan_summary"),
        h_int (&live, "SELECT count(*) FROM cooperatives"));
    assert_int_equal (
        h_int (&live, "SELECT sum (certificates) FROM kecamatan_summary"),
        h_int (&live, "SELECT count(*) FROM certificates WHERE revoked = 0"));
    assert_int_equal (
        h_int (&live, "SELECT sum (enrolled) FROM kecamatan_summary"),
        h_int (&live, "SELECT count(*) FROM people WHERE enrollments > 0"));

    /* Rebuild: decode the stored bytes and apply, no decisions. */
    harness_t rebuilt;
    h_open (&rebuilt, "workload-rebuilt", NULL);
    rebuilt.context = live.context;
    started = jk_clock_mono_ms ();
    assert_int_equal (sqlite3_exec (rebuilt.db, "BEGIN", NULL, NULL, NULL),
                      SQLITE_OK);
    for (size_t i = 0; i < n; i++) {
        record_t *r = &records[i];
        jk_report_t report;
        jk_event_t *event = jk_event_decode (r->bytes, r->size, &report);
        assert_non_null (event);
        jk_event_validate (event, &rebuilt.context, &report);
        jk_applied_t applied = {.pos = i + 1,
                                .recorded_at = live.context.now_ms,
                                .warnings = &report,
                                .bytes = r->bytes,
                                .size = r->size};
        if (r->accepted)
            assert_int_equal (
                jk_projections_apply (rebuilt.proj, event, &applied), JK_OK);
        else
            assert_int_equal (
                jk_projections_apply_rejection (rebuilt.proj, NULL, event,
                                                r->code, r->message, &applied),
                JK_OK);
        jk_event_destroy (&event);
    }
    assert_int_equal (sqlite3_exec (rebuilt.db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    print_message ("rebuild (decode+apply) %zu events in %lld ms\n", n,
                   (long long)(jk_clock_mono_ms () - started));
    char *a = h_dump (&live), *b = h_dump (&rebuilt);
    assert_true (strlen (a) > 10000);
    assert_string_equal (a, b);
    free (a);
    free (b);

    for (size_t i = 0; i < n; i++)
        free (records[i].bytes);
    free (records);
    h_close (&rebuilt);
    h_close (&live);
    jk_workload_destroy (&workload);
}

/* The same seed gives the same bytes; another seed differs. */
static void test_workload_deterministic (void **state)
{
    (void)state;
    jk_workload_config_t config = {.events = 600, .reject_share = 0.1};
    jk_workload_t *a = jk_workload_new (7, &config);
    jk_workload_t *b = jk_workload_new (7, &config);
    jk_workload_t *c = jk_workload_new (8, &config);
    size_t differ = 0;
    for (int i = 0; i < 600; i++) {
        jk_event_t *x = jk_workload_next (a), *y = jk_workload_next (b),
                   *z = jk_workload_next (c);
        assert_non_null (x);
        size_t sx, sy, sz;
        uint8_t *bx = jk_event_encode (x, &sx), *by = jk_event_encode (y, &sy),
                *bz = jk_event_encode (z, &sz);
        assert_int_equal (sx, sy);
        assert_memory_equal (bx, by, sx);
        differ += sx != sz || memcmp (bx, bz, sx) != 0;
        free (bx);
        free (by);
        free (bz);
        jk_event_destroy (&x);
        jk_event_destroy (&y);
        jk_event_destroy (&z);
    }
    assert_true (differ > 500);
    assert_null (jk_workload_next (a));
    jk_workload_destroy (&a);
    jk_workload_destroy (&b);
    jk_workload_destroy (&c);
}

/* Each source's seq runs 1, 2, 3 ... with no gap; at is pinned. */
static void test_workload_sources (void **state)
{
    (void)state;
    jk_workload_config_t config = {.events = 2000,
                                   .offices = 3,
                                   .start_ms = 1651370400000LL,
                                   .step_ms = 1000};
    jk_workload_t *w = jk_workload_new (1, &config);
    char names[16][JK_SOURCE_MAX + 1];
    uint64_t seqs[16];
    int count = 0;
    jk_event_t *ev;
    int64_t i = 0;
    while ((ev = jk_workload_next (w))) {
        assert_int_equal (ev->at, 1651370400000LL + i * 1000);
        int k;
        for (k = 0; k < count; k++)
            if (jk_str_eq (ev->source, names[k]))
                break;
        if (k == count) {
            assert_true (count < 16);
            snprintf (names[count], sizeof names[count], "%.*s",
                      (int)ev->source.len, ev->source.ptr);
            seqs[count++] = 0;
        }
        assert_int_equal (ev->seq, ++seqs[k]);
        jk_event_destroy (&ev);
        i++;
    }
    /* Three offices with a registration and an attendance device each,
       and the certification body. */
    assert_int_equal (count, 7);
    assert_int_equal (jk_workload_end_ms (w), 1651370400000LL + 1999 * 1000);
    jk_workload_destroy (&w);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_workload_live_equals_rebuilt),
        cmocka_unit_test (test_workload_deterministic),
        cmocka_unit_test (test_workload_sources),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
