/*  test_i18n.c - a problem's sentence for a clerk is chosen by its code
    and rule, never by the words of the library's English message: each
    rule that has its own sentence gets it, the same code without the rule
    gets the code's sentence, and a message that happens to hold a rule's
    words does not change the sentence. */
#include "jk_office.h"
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

#define S_SOURCE "32.03.10/pacet-1"

static const jk_type_t *s_type (const char *name)
{
    const jk_type_t *t = jk_vocabulary_find (name, strlen (name));
    assert_non_null (t);
    return t;
}

static const jk_field_t *s_field (const jk_type_t *t, const char *name)
{
    int i = jk_type_field (t, name, strlen (name));
    assert_true (i >= 0);
    return &t->fields[i];
}

/* The first problem of a one-row import, as the clerk reads it. */
static void s_import_problem (const char *type, const char *csv,
                              const char *code, const char *text)
{
    jk_import_t *im = jk_import_new (s_type (type), S_SOURCE, "siti", false);
    assert_int_equal (jk_import_read (im, csv, strlen (csv)), JK_OK);
    assert_int_equal (im->bad, 1);
    assert_true (im->problem_count >= 1);
    assert_string_equal (im->problems[0].code, code);
    assert_string_equal (im->problems[0].text, text);
    jk_import_destroy (&im);
}

/* A date typed as a day that is not in the calendar, and a date typed
   as words that say so: the first is the calendar rule, the second only
   the date's form. */
static void test_real_date (void **state)
{
    (void)state;
    const jk_field_t *f =
        s_field (s_type ("cooperative.registered"), "legal_date");
    char out[64], text[512];
    jk_report_t report;
    jk_report_reset (&report);
    assert_int_equal (
        jk_office_wire_value (f, "31/02/2019", out, sizeof out, &report),
        JK_INVALID);
    assert_string_equal (report.error.code, "E_FIELD_FORMAT");
    assert_int_equal (report.error.rule, JK_RULE_REAL_DATE);
    jk_office_problem_text (report.error.code, report.error.rule,
                            report.error.message, f, false, text, sizeof text);
    assert_string_equal (text, "Tanggal itu tidak ada di kalender (mis. "
                               "31/02). (E_FIELD_FORMAT)");
    jk_office_problem_text (report.error.code, report.error.rule,
                            report.error.message, f, true, text, sizeof text);
    assert_string_equal (text, "body.legal_date must be a date dd/mm/yyyy, "
                               "dd-mm-yyyy or dd.mm.yyyy (day and month of 1 "
                               "or 2 digits, a 4-digit year) or yyyy-mm-dd, "
                               "got '31/02/2019' (E_FIELD_FORMAT)");
    static const char *const not_in_calendar[] = {"2019-02-30", "15/13/2022",
                                                  "0.1.2022"};
    for (size_t i = 0; i < 3; i++) {
        jk_report_reset (&report);
        assert_int_equal (jk_office_wire_value (f, not_in_calendar[i], out,
                                                sizeof out, &report),
                          JK_INVALID);
        assert_string_equal (report.error.code, "E_FIELD_FORMAT");
        assert_int_equal (report.error.rule, JK_RULE_REAL_DATE);
    }

    jk_report_reset (&report);
    assert_int_equal (
        jk_office_wire_value (f, "not a real date", out, sizeof out, &report),
        JK_INVALID);
    assert_string_equal (report.error.code, "E_FIELD_FORMAT");
    assert_int_equal (report.error.rule, JK_RULE_ANY);
    assert_non_null (strstr (report.error.message, "not a real date"));
    jk_office_problem_text (report.error.code, report.error.rule,
                            report.error.message, f, false, text, sizeof text);
    assert_string_equal (text, "Tanggal harus hh/bb/tttt, mis. 31/12/2022. "
                               "(E_FIELD_FORMAT)");
}

/* A date as the office takes it is a date as the agents take it
   (jk_date_parse_day, spaces around ignored), refused with their code
   and message. */
static void test_date_forms (void **state)
{
    (void)state;
    const jk_field_t *f =
        s_field (s_type ("cooperative.registered"), "legal_date");
    static const struct {
        const char *typed, *wire;
    } good[] = {
        {"6/10/2022", "2022-10-06"},   {"06/10/2022", "2022-10-06"},
        {"6-10-2022", "2022-10-06"},   {"6.10.2022", "2022-10-06"},
        {" 6-10-2022 ", "2022-10-06"}, {"2022-10-06", "2022-10-06"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char out[64];
        jk_report_t report;
        jk_report_reset (&report);
        if (jk_office_wire_value (f, good[i].typed, out, sizeof out, &report) !=
                0 ||
            strcmp (out, good[i].wire) != 0)
            fail_msg ("'%s': %s", good[i].typed, report.error.message);
    }
    static const char *const bad[] = {"1/1/20",     "2022-1-6",  "+6/10/2022",
                                      "6/10/ 2022", "6/10-2022", "2022/10/06",
                                      "6/10/0999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[64], want[JK_MESSAGE_MAX];
        jk_report_t report;
        jk_report_reset (&report);
        if (jk_office_wire_value (f, bad[i], out, sizeof out, &report) !=
            JK_INVALID)
            fail_msg ("'%s' taken as %s", bad[i], out);
        assert_string_equal (report.error.code, "E_FIELD_FORMAT");
        assert_int_equal (report.error.rule, JK_RULE_ANY);
        snprintf (want, sizeof want,
                  "body.legal_date must be a date dd/mm/yyyy, dd-mm-yyyy or "
                  "dd.mm.yyyy (day and month of 1 or 2 digits, a 4-digit "
                  "year) or yyyy-mm-dd, got '%s'",
                  bad[i]);
        assert_string_equal (report.error.message, want);
        /* The agents' words for the same text. */
        jk_event_t *ev = jk_event_new (s_type ("cooperative.registered"));
        jk_report_reset (&report);
        assert_int_equal (jk_event_set (ev, "legal_date", bad[i], &report),
                          JK_INVALID);
        assert_string_equal (report.error.code, "E_FIELD_FORMAT");
        assert_string_equal (report.error.message, want);
        jk_event_destroy (&ev);
    }
}

/* A field asked for by another field's value, and one asked for by the
   mere presence of another: two sentences for one code. */
static void test_required_when (void **state)
{
    (void)state;
    s_import_problem ("cooperative.status_declared",
                      "legal_number;status;basis;on\n"
                      "AHU-0000101.AH.01.26.TAHUN 2019;DIBEKUKAN;;"
                      "01/02/2020\n",
                      "E_FIELD_MISSING",
                      "Wajib diisi untuk pilihan itu. (E_FIELD_MISSING)");
    s_import_problem ("person.registered",
                      "nik;name;sex;birth_date;desa_code;cooperative\n"
                      "3203014506900001;Siti;P;05/06/1990;32.03.10.2001;"
                      "AHU-0000101.AH.01.26.TAHUN 2019\n",
                      "E_FIELD_MISSING", "Wajib diisi. (E_FIELD_MISSING)");
}

/* A date after today, found here: its sentence. The same code from the
   store's rejection carries no rule over the wire: the code's general
   sentence with the store's message. */
static void test_not_future (void **state)
{
    (void)state;
    jk_clock_set (jk_days_from_civil (2026, 12, 5) * 86400000LL);
    s_import_problem ("cooperative.registered",
                      "legal_number;legal_date;name;form;kind;pattern;"
                      "desa_code;members_male;members_female\n"
                      "AHU-0000101.AH.01.26.TAHUN 2019;06/12/2026;Koperasi "
                      "Mekar;PRIMER;KONSUMEN;KONVENSIONAL;32.03.10.2001;"
                      "10;12\n",
                      "E_FIELD_RANGE",
                      "Tanggal tidak boleh sesudah hari ini. (E_FIELD_RANGE)");
    jk_clock_set (0);
    char text[512];
    jk_office_problem_text ("E_FIELD_RANGE", JK_RULE_ANY,
                            "body.legal_date 2026-12-06 is in the future "
                            "(today is 2026-12-05)",
                            NULL, false, text, sizeof text);
    assert_string_equal (text,
                         "Nilai di luar batas yang diizinkan (mis. tanggal "
                         "sesudah hari ini menurut jam dinas). Rincian: "
                         "body.legal_date 2026-12-06 is in the future (today "
                         "is 2026-12-05) (E_FIELD_RANGE)");
    /* A code with no general sentence keeps the plain form. */
    jk_office_problem_text ("E_SOMETHING_NEW", JK_RULE_ANY, "a new rule", NULL,
                            false, text, sizeof text);
    assert_string_equal (text,
                         "Tidak memenuhi aturan: a new rule (E_SOMETHING_NEW)");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_real_date),
        cmocka_unit_test (test_date_forms),
        cmocka_unit_test (test_required_when),
        cmocka_unit_test (test_not_future),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
