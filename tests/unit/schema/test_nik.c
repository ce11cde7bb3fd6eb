/*  test_nik.c - NIK validation exactly as SPEC 3.3: the hard rules
    (16 digits, day 01-31 or 41-71, month, real date, serial), the warnings
    that never reject (sex, province, birth date) and masking. */
#include "testsupport.h"
#include "samples.h"

static void s_nik_error (const char *nik, const char *code)
{
    jk_report_t report = {0};
    jk_report_reset (&report);
    jk_nik_t out;
    if (jk_nik_parse (nik, strlen (nik), &out, "body.nik", &report) != -1)
        fail_msg ("NIK %s was accepted, expected %s", nik, code);
    assert_string_equal (report.error.code, code);
    assert_string_equal (report.error.field, "body.nik");
    assert_non_null (strstr (report.error.message, "body.nik"));
    /* The same through a whole event. */
    jk_event_t *ev = jk_sample_by_name ("person.registered");
    jk_event_set (ev, "nik", nik, &report);
    jk_context_t ctx = {JK_SAMPLE_NOW_MS, jk_region_default ()};
    assert_int_equal (jk_event_validate (ev, &ctx, &report), -1);
    assert_string_equal (report.error.field, "body.nik");
    /* A 15-character NIK fails the length rule before the NIK rules. */
    assert_string_equal (report.error.code,
                         strlen (nik) == 16 ? code : "E_FIELD_LENGTH");
    jk_event_destroy (&ev);
}

static void test_valid_male_and_female (void **state)
{
    (void)state;
    jk_nik_t nik;
    jk_report_t report = {0};
    jk_report_reset (&report);
    assert_int_equal (
        jk_nik_parse ("3203012503850002", 16, &nik, "nik", &report), 0);
    assert_int_equal (nik.province, 32);
    assert_int_equal (nik.regency, 3);
    assert_int_equal (nik.kecamatan, 1);
    assert_int_equal (nik.day, 25);
    assert_int_equal (nik.month, 3);
    assert_int_equal (nik.year, 85);
    assert_false (nik.female);
    assert_int_equal (nik.serial, 2);

    assert_int_equal (jk_nik_parse (JK_SAMPLE_NIK, 16, &nik, "nik", &report),
                      0);
    assert_true (nik.female);
    assert_int_equal (nik.day, 1); /* 41 - 40 */
    assert_int_equal (nik.month, 7);
    assert_int_equal (nik.serial, 1);
    /* Edges: day 31 and 71, 29 February of 2000, serial 9999. */
    assert_int_equal (
        jk_nik_parse ("3203013101859999", 16, &nik, "nik", &report), 0);
    assert_int_equal (
        jk_nik_parse ("3203017112850001", 16, &nik, "nik", &report), 0);
    assert_true (nik.female);
    assert_int_equal (nik.day, 31);
    assert_int_equal (
        jk_nik_parse ("3203012902000001", 16, &nik, "nik", &report), 0);
    assert_int_equal (
        jk_nik_parse ("3203016902000001", 16, &nik, "nik", &report), 0);
    assert_false (report.failed);
}

static void test_hard_rules (void **state)
{
    (void)state;
    s_nik_error ("3203014007850001", "E_NIK_DAY");   /* day 40 */
    s_nik_error ("3203017207850001", "E_NIK_DAY");   /* day 72 */
    s_nik_error ("3203010007850001", "E_NIK_DAY");   /* day 00 */
    s_nik_error ("3203013207850001", "E_NIK_DAY");   /* day 32 */
    s_nik_error ("3203013002850001", "E_NIK_DATE");  /* 30 February */
    s_nik_error ("3203017002850001", "E_NIK_DATE");  /* 30 Feb, women */
    s_nik_error ("3203012902010001", "E_NIK_DATE");  /* 29 Feb 1901/2001 */
    s_nik_error ("3203013104850001", "E_NIK_DATE");  /* 31 April */
    s_nik_error ("3203012513850001", "E_NIK_MONTH"); /* month 13 */
    s_nik_error ("3203012500850001", "E_NIK_MONTH"); /* month 00 */
    s_nik_error ("3203012503850000", "E_NIK_SERIAL");
    s_nik_error ("320301250385000", "E_NIK_FORMAT"); /* 15 digits */
    s_nik_error ("32030125038500A1", "E_NIK_FORMAT");
    s_nik_error ("3203-12503850001", "E_NIK_FORMAT");
    s_nik_error ("3203 12503850001", "E_NIK_FORMAT");
}

/* nik is rejected E_NIK_FORMAT saying exactly message, by jk_nik_parse
   and, when it is 16 characters (the length rule passes), through a
   whole person.registered. */
static void s_nik_says (const char *nik, bool sixteen, const char *message)
{
    jk_report_t report = {0};
    jk_report_reset (&report);
    assert_int_equal (
        jk_nik_parse (nik, strlen (nik), NULL, "body.nik", &report), -1);
    assert_string_equal (report.error.code, "E_NIK_FORMAT");
    assert_string_equal (report.error.message, message);
    if (!sixteen)
        return;
    jk_event_t *ev = jk_sample_by_name ("person.registered");
    assert_int_equal (jk_event_set (ev, "nik", nik, &report), 0);
    jk_context_t ctx = {JK_SAMPLE_NOW_MS, jk_region_default ()};
    assert_int_equal (jk_event_validate (ev, &ctx, &report), -1);
    assert_string_equal (report.error.code, "E_NIK_FORMAT");
    assert_string_equal (report.error.field, "body.nik");
    assert_string_equal (report.error.message, message);
    jk_event_destroy (&ev);
}

/* Lengths are counted in characters, as the user typed them, not in
   bytes; a character that is not 0-9 is quoted whole. */
static void test_counts_characters (void **state)
{
    (void)state;
    /* 15 digits and ARABIC-INDIC DIGIT THREE (U+0663, 2 bytes). */
    s_nik_says ("320310150885000\xd9\xa3", true,
                "body.nik must be 16 digits, found '\xd9\xa3'");
    /* 16 FULLWIDTH digits (U+FF10.., 3 bytes each). */
    s_nik_says ("\xef\xbc\x93\xef\xbc\x92\xef\xbc\x90\xef\xbc\x93"
                "\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x95"
                "\xef\xbc\x90\xef\xbc\x98\xef\xbc\x98\xef\xbc\x95"
                "\xef\xbc\x90\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91",
                true, "body.nik must be 16 digits, found '\xef\xbc\x93'");
    /* 17 characters (18 bytes), 15 of them. */
    s_nik_says ("3203101508850001\xd9\xa3", false,
                "body.nik must be 16 digits, got 17 characters");
    s_nik_says ("320310150885000", false,
                "body.nik must be 16 digits, got 15 characters");
    s_nik_says ("32030125038500A1", true,
                "body.nik must be 16 digits, found 'A'");
}

/* Validates person.registered with nik and sex/birth date; expects
   acceptance with exactly the warnings listed. */
static void s_person_warns (const char *nik, const char *sex, const char *birth,
                            const char *warning)
{
    jk_event_t *ev = jk_sample_by_name ("person.registered");
    jk_report_t report = {0};
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "nik", nik, &report), 0);
    assert_int_equal (jk_event_set (ev, "sex", sex, &report), 0);
    assert_int_equal (jk_event_set (ev, "birth_date", birth, &report), 0);
    jk_context_t ctx = {JK_SAMPLE_NOW_MS, jk_region_default ()};
    if (jk_event_validate (ev, &ctx, &report) != 0)
        fail_msg ("rejected: %s", report.error.message);
    if (warning) {
        assert_int_equal (report.warning_count, 1);
        assert_string_equal (report.warnings[0].code, warning);
        assert_string_equal (report.warnings[0].field, "body.nik");
        assert_non_null (strstr (report.warnings[0].message, "body.nik"));
    } else
        assert_int_equal (report.warning_count, 0);
    jk_event_destroy (&ev);
}

static void test_warnings (void **state)
{
    (void)state;
    s_person_warns (JK_SAMPLE_NIK, "P", "1985-07-01", NULL);
    s_person_warns ("3203010107850001", "L", "1985-07-01", NULL);
    /* Sex mismatch: a warning only. */
    s_person_warns (JK_SAMPLE_NIK, "L", "1985-07-01", "W_NIK_SEX");
    s_person_warns ("3203010107850001", "P", "1985-07-01", "W_NIK_SEX");
    /* Unknown province 99; 32 (Jawa Barat) and 11 (Aceh) are known. */
    s_person_warns ("9903014107850001", "P", "1985-07-01", "W_NIK_PROVINCE");
    s_person_warns ("1101014107850001", "P", "1985-07-01", NULL);
    /* Birth date that disagrees with the NIK's. */
    s_person_warns (JK_SAMPLE_NIK, "P", "1985-07-02", "W_NIK_BIRTH_DATE");
    s_person_warns (JK_SAMPLE_NIK, "P", "1986-07-01", "W_NIK_BIRTH_DATE");
    s_person_warns (JK_SAMPLE_NIK, "P", "1975-07-01", "W_NIK_BIRTH_DATE");
    /* 2000s births: 29 Feb 2000 */
    s_person_warns ("3203016902000001", "P", "2000-02-29", NULL);

    /* All three at once, in field order. */
    jk_event_t *ev = jk_sample_by_name ("person.registered");
    jk_sample_set (ev, "nik=9903010107850001");
    jk_sample_set (ev, "birth_date=1990-01-01");
    jk_context_t ctx = {JK_SAMPLE_NOW_MS, jk_region_default ()};
    jk_report_t report = {0};
    assert_int_equal (jk_event_validate (ev, &ctx, &report), 0);
    assert_int_equal (report.warning_count, 3);
    assert_string_equal (report.warnings[0].code, "W_NIK_PROVINCE");
    assert_string_equal (report.warnings[1].code, "W_NIK_SEX");
    assert_string_equal (report.warnings[2].code, "W_NIK_BIRTH_DATE");
    jk_event_destroy (&ev);

    /* Types without sex and birth date check only the NIK itself. */
    ev = jk_sample_by_name ("training.participant_enrolled");
    jk_sample_set (ev, "nik=3203014007850001");
    assert_int_equal (jk_event_validate (ev, &ctx, &report), -1);
    assert_string_equal (report.error.code, "E_NIK_DAY");
    jk_event_destroy (&ev);
}

static void test_masking (void **state)
{
    (void)state;
    char out[17];
    jk_nik_mask (JK_SAMPLE_NIK, 16, out);
    assert_string_equal (out, "3203********0001");
    jk_nik_mask ("3203012503850002", 16, out);
    assert_string_equal (out, "3203********0002");
    jk_nik_mask ("320301", 6, out);
    assert_string_equal (out, "****");
    jk_nik_mask ("", 0, out);
    assert_string_equal (out, "****");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_valid_male_and_female),
        cmocka_unit_test (test_hard_rules),
        cmocka_unit_test (test_counts_characters),
        cmocka_unit_test (test_warnings),
        cmocka_unit_test (test_masking),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
