/*  test_workload_regency.c - the workload generator for a regency with
    more kecamatan offices than Cianjur, as the province simulation drives
    it: Kabupaten Sukabumi (32.02, 47 kecamatan, the most in Jawa Barat)
    with every kecamatan an office, long enough for every office to run
    two rounds (95 sources: a registration and an attendance device per
    office and the certification body). Every event validates against the
    regency's reference data, each source's seq runs without a gap, every
    injected bad event gets its expected code and every other one is
    accepted by decide and applied. */
#include "projections_harness.h"
#include "workload.h"

#define REGENCY   "32.02"
#define KECAMATAN 47
#define EVENTS    15000

static void test_workload_all_offices (void **state)
{
    (void)state;
    jk_region_set_default_area (REGENCY);
    const jk_region_t *region = jk_region_default ();
    assert_string_equal (jk_region_regency (region), REGENCY);
    assert_int_equal (jk_region_kecamatan_count (region), KECAMATAN);
    jk_workload_config_t config = {
        .events = EVENTS, .reject_share = 0.02, .offices = KECAMATAN};
    jk_workload_t *w = jk_workload_new (101, &config);
    harness_t h;
    h_open (&h, "workload-regency", NULL);
    h.context.now_ms = jk_workload_end_ms (w) + 1000;
    enum { MAX = 2 * KECAMATAN + 1 };
    char names[MAX][JK_SOURCE_MAX + 1];
    uint64_t seqs[MAX];
    int count = 0;
    size_t n = 0, rejected = 0;
    assert_int_equal (sqlite3_exec (h.db, "BEGIN", NULL, NULL, NULL),
                      SQLITE_OK);
    jk_event_t *ev;
    while ((ev = jk_workload_next (w))) {
        int k;
        for (k = 0; k < count; k++)
            if (jk_str_eq (ev->source, names[k]))
                break;
        if (k == count) {
            if (count == MAX)
                fail_msg ("event %zu: source %.*s beyond the %d expected", n,
                          (int)ev->source.len, ev->source.ptr, MAX);
            snprintf (names[count], sizeof names[count], "%.*s",
                      (int)ev->source.len, ev->source.ptr);
            seqs[count++] = 0;
        }
        assert_int_equal (ev->seq, ++seqs[k]);
        jk_report_t report;
        if (jk_event_validate (ev, &h.context, &report))
            fail_msg ("event %zu (%s) invalid: %s", n, ev->type->name,
                      report.error.message);
        int rc = jk_projections_decide (h.proj, ev, &report);
        const char *expected = jk_workload_expected (w);
        size_t size = 0;
        uint8_t *bytes = jk_event_encode (ev, &size);
        jk_applied_t applied = {.pos = n + 1,
                                .recorded_at = h.context.now_ms,
                                .warnings = &report,
                                .bytes = bytes,
                                .size = size};
        if (expected) {
            if (rc != -1)
                fail_msg ("event %zu (%s) accepted, expected %s", n,
                          ev->type->name, expected);
            assert_string_equal (report.error.code, expected);
            char code[JK_CODE_MAX], message[JK_MESSAGE_MAX];
            snprintf (code, sizeof code, "%s", report.error.code);
            snprintf (message, sizeof message, "%s", report.error.message);
            assert_int_equal (jk_projections_apply_rejection (
                                  h.proj, NULL, ev, code, message, &applied),
                              JK_OK);
            rejected++;
        } else {
            if (rc != 0)
                fail_msg ("event %zu (%s) rejected: %s %s", n, ev->type->name,
                          report.error.code, report.error.message);
            assert_int_equal (jk_projections_apply (h.proj, ev, &applied),
                              JK_OK);
        }
        free (bytes);
        jk_event_destroy (&ev);
        n++;
    }
    assert_int_equal (sqlite3_exec (h.db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (n, EVENTS);
    assert_int_equal (count, MAX);
    assert_int_equal (h_int (&h, "SELECT count(*) FROM rejections"),
                      (int64_t)rejected);
    /* Every kecamatan of the regency registered people. */
    assert_int_equal (h_int (&h, "SELECT count(*) FROM kecamatan_summary"
                                 " WHERE people > 0"),
                      KECAMATAN);
    h_close (&h);
    jk_workload_destroy (&w);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_workload_all_offices),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
