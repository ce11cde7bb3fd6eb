/*  test_forms.c - what jejak-office makes of a posted form's values
    (jk_office_posted): a list's lines trimmed and joined whatever their
    length, and values whose wire text would not fit in an event refused
    with E_FIELD_LENGTH naming the field (they were written past the end
    of the buffer). */
#include "office_internal.h"
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

static const jk_field_t *s_field (const char *type, const char *name)
{
    const jk_type_t *t = jk_vocabulary_find (type, strlen (type));
    assert_non_null (t);
    int i = jk_type_field (t, name, strlen (name));
    assert_true (i >= 0);
    return &t->fields[i];
}

/* The wire text of field f from the form's count names and values. */
static bool s_posted (const jk_field_t *f, jk_kv_t *form, size_t count,
                      char *out, jk_report_t *report)
{
    jk_http_t h;
    memset (&h, 0, sizeof h);
    h.form = form;
    h.form_count = count;
    jk_report_reset (report);
    return jk_office_posted (&h, f, out, JK_EVENT_MAX_BYTES, report);
}

static void s_expect_too_long (const jk_report_t *report, const char *path)
{
    char want[128];
    assert_true (report->failed);
    assert_string_equal (report->error.code, "E_FIELD_LENGTH");
    snprintf (want, sizeof want, "%s is longer than %d bytes", path,
              JK_EVENT_MAX_BYTES - 1);
    assert_string_equal (report->error.message, want);
}

static void test_list_lines (void **state)
{
    (void)state;
    const jk_field_t *f = s_field ("assessment.scheduled", "assessors");
    char *out = malloc (JK_EVENT_MAX_BYTES);
    jk_report_t report;
    /* A line longer than 255 bytes comes whole (it was cut there). */
    char *long_line = malloc (400);
    memset (long_line, 'B', 300);
    strcpy (long_line + 300, "\n");
    char *value = jk_sprintf (" A-01 \r\nA-02\n\n%s A-03", long_line);
    jk_kv_t form[] = {{"f.assessors", value, strlen (value), NULL}};
    assert_true (s_posted (f, form, 1, out, &report));
    assert_false (report.failed);
    char *want = jk_sprintf ("A-01,A-02,%.300s,A-03", long_line);
    assert_string_equal (out, want);
    free (want);
    free (value);
    free (long_line);

    /* 12,000 lines: more than an event holds. */
    size_t lines = 12000;
    value = malloc (lines * 7 + 1);
    for (size_t i = 0; i < lines; i++)
        memcpy (value + 7 * i, "A-0001\n", 7);
    value[lines * 7] = 0;
    form[0].value = value;
    form[0].len = lines * 7;
    assert_true (s_posted (f, form, 1, out, &report));
    s_expect_too_long (&report, "body.assessors");
    free (value);
    free (out);
}

static void test_set_and_units_too_long (void **state)
{
    (void)state;
    char *out = malloc (JK_EVENT_MAX_BYTES);
    jk_report_t report;
    char *big = malloc (3001);
    memset (big, 'x', 3000);
    big[3000] = 0;
    /* 32 values of a set, 3000 bytes each. */
    jk_kv_t form[2 * (JK_LIST_MAX + 1)];
    for (size_t i = 0; i < 32; i++)
        form[i] = (jk_kv_t){"f.methods", big, 3000, NULL};
    assert_true (s_posted (s_field ("assessment.unit_assessed", "methods"),
                           form, 32, out, &report));
    s_expect_too_long (&report, "body.methods");
    /* 51 rows of units, code and title 3000 bytes each. */
    for (size_t i = 0; i < JK_LIST_MAX + 1; i++) {
        form[2 * i] = (jk_kv_t){"f.units.code", big, 3000, NULL};
        form[2 * i + 1] = (jk_kv_t){"f.units.title", big, 3000, NULL};
    }
    assert_true (s_posted (s_field ("assessment.scheduled", "units"), form,
                           2 * (JK_LIST_MAX + 1), out, &report));
    s_expect_too_long (&report, "body.units");
    /* Two rows that fit. */
    form[0] = (jk_kv_t){"f.units.code", "U1", 2, NULL};
    form[1] = (jk_kv_t){"f.units.title", "Toko", 4, NULL};
    form[2] = (jk_kv_t){"f.units.code", "U2", 2, NULL};
    form[3] = (jk_kv_t){"f.units.title", "Simpan pinjam", 13, NULL};
    assert_true (s_posted (s_field ("assessment.scheduled", "units"), form, 4,
                           out, &report));
    assert_false (report.failed);
    assert_string_equal (out, "U1=Toko|U2=Simpan pinjam");
    free (big);
    free (out);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_list_lines),
        cmocka_unit_test (test_set_and_units_too_long),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
