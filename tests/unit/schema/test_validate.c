/*  test_validate.c - every validation rule of the vocabulary: a violating
    event is rejected with the expected code and field (and a message
    naming the field), and an event on the edge passes. The clock is
    pinned at 2024-06-01T00:00:00Z (07:00 WIB). */
#include "testsupport.h"

#include "samples.h"
#include <ctype.h>

static int s_setup (void **state)
{
    (void)state;
    jk_clock_set (JK_SAMPLE_NOW_MS);
    return 0;
}

static int s_teardown (void **state)
{
    (void)state;
    jk_clock_set (0);
    return 0;
}

/* Applies "name=value" (set) or "-name" (remove) items to ev. */
static void s_apply (jk_event_t *ev, const char *const *items)
{
    for (size_t i = 0; items[i]; i++) {
        if (items[i][0] == '-') {
            jk_value_t *v = (jk_value_t *)jk_event_get (ev, items[i] + 1);
            assert_non_null (v);
            v->present = false;
        } else
            jk_sample_set (ev, items[i]);
    }
}

/* The field name a message must mention: "body.jp" -> "jp". */
static const char *s_bare (const char *field)
{
    return strncmp (field, "body.", 5) == 0 ? field + 5 : field;
}

static void s_rejects (const jk_event_t *ev, const char *code,
                       const char *field)
{
    jk_context_t ctx = jk_context_default ();
    jk_report_t report = {0};
    int rc = jk_event_validate (ev, &ctx, &report);
    if (rc != -1)
        fail_msg ("%s: accepted, expected %s on %s", ev->type->name, code,
                  field);
    if (strcmp (report.error.code, code) != 0 ||
        strcmp (report.error.field, field) != 0)
        fail_msg ("%s: expected %s on %s, got %s on %s: %s", ev->type->name,
                  code, field, report.error.code, report.error.field,
                  report.error.message);
    if (!strstr (report.error.message, s_bare (field)))
        fail_msg ("message '%s' does not name %s", report.error.message, field);
}

/* s_rejects, and the message is exactly message. */
static void s_rejects_saying (const jk_event_t *ev, const char *code,
                              const char *field, const char *message)
{
    s_rejects (ev, code, field);
    jk_context_t ctx = jk_context_default ();
    jk_report_t report = {0};
    jk_event_validate (ev, &ctx, &report);
    assert_string_equal (report.error.message, message);
}

static void s_accepts (const jk_event_t *ev)
{
    jk_context_t ctx = jk_context_default ();
    jk_report_t report = {0};
    if (jk_event_validate (ev, &ctx, &report) != 0)
        fail_msg ("%s rejected: %s %s", ev->type->name, report.error.code,
                  report.error.message);
}

typedef struct {
    const char *type;
    const char *items[5]; /* changes to the sample, NULL-ended */
    const char *code;     /* expected error, or NULL: must pass */
    const char *field;
} s_case_t;

static void s_run_cases (const s_case_t *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        jk_event_t *ev = jk_sample_by_name (cases[i].type);
        s_apply (ev, cases[i].items);
        if (cases[i].code)
            s_rejects (ev, cases[i].code, cases[i].field);
        else
            s_accepts (ev);
        jk_event_destroy (&ev);
    }
}

#define CASES(...)                                                             \
    do {                                                                       \
        const s_case_t cases[] = {__VA_ARGS__};                                \
        s_run_cases (cases, sizeof cases / sizeof *cases);                     \
    } while (0)

/* ---- every sample passes
 * ----------------------------------------------------- */

static void test_samples_are_valid (void **state)
{
    (void)state;
    assert_int_equal (jk_context_default ().now_ms, JK_SAMPLE_NOW_MS);
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        jk_event_t *ev = jk_sample_event (&jk_samples[i]);
        jk_context_t ctx = jk_context_default ();
        jk_report_t report = {0};
        if (jk_event_validate (ev, &ctx, &report) != 0)
            fail_msg ("%s: %s", jk_samples[i].type, report.error.message);
        assert_int_equal (report.warning_count, 0);
        jk_event_destroy (&ev);
    }
}

/* ---- lengths
 * ----------------------------------------------------------------- */

/* A string of n copies of unit (one character, maybe multi-byte). */
static char *s_repeat (const char *unit, size_t n)
{
    size_t u = strlen (unit);
    char *out = jk_malloc (n * u + 1);
    for (size_t i = 0; i < n; i++)
        memcpy (out + i * u, unit, u);
    out[n * u] = 0;
    return out;
}

static void s_length_case (const char *type, const char *field,
                           const char *unit, size_t n, bool ok)
{
    jk_event_t *ev = jk_sample_by_name (type);
    char *text = s_repeat (unit, n);
    jk_report_t report = {0};
    assert_int_equal (jk_event_set (ev, field, text, &report), 0);
    char path[64];
    snprintf (path, sizeof path, "body.%s", field);
    if (ok)
        s_accepts (ev);
    else
        s_rejects (ev, "E_FIELD_LENGTH", path);
    free (text);
    jk_event_destroy (&ev);
}

static void test_lengths (void **state)
{
    (void)state;
    const char *t = "cooperative.registered";
    s_length_case (t, "name", "a", 2, false);
    s_length_case (t, "name", "a", 3, true);
    s_length_case (t, "name", "a", 150, true);
    s_length_case (t, "name", "a", 151, false);
    /* Characters, not bytes: "é" is two bytes, "語" three. */
    s_length_case (t, "name", "\xc3\xa9", 2, false);
    s_length_case (t, "name", "\xc3\xa9", 3, true);
    s_length_case (t, "name", "\xe8\xaa\x9e", 150, true);
    s_length_case (t, "name", "\xe8\xaa\x9e", 151, false);
    /* ... and the message counts them too: 151, not 453 bytes. */
    jk_event_t *wide = jk_sample_by_name (t);
    char *name = s_repeat ("\xe8\xaa\x9e", 151);
    jk_report_t set = {0};
    assert_int_equal (jk_event_set (wide, "name", name, &set), 0);
    s_rejects_saying (wide, "E_FIELD_LENGTH", "body.name",
                      "body.name must be 3..150 characters, got 151");
    free (name);
    jk_event_destroy (&wide);
    s_length_case (t, "address", "b", 250, true);
    s_length_case (t, "address", "b", 251, false);
    s_length_case (t, "legal_number", "1", 100, true);
    s_length_case (t, "legal_number", "1", 101, false);
    s_length_case ("person.registered", "name", "x", 1, false);
    s_length_case ("person.registered", "name", "x", 2, true);
    s_length_case ("person.registered", "name", "\xf0\x9f\x98\x80", 100, true);
    s_length_case ("person.registered", "name", "x", 101, false);
    s_length_case ("person.corrected", "reason", "x", 4, false);
    s_length_case ("person.corrected", "reason", "x", 5, true);
    s_length_case ("person.corrected", "reason", "x", 250, true);
    s_length_case ("person.corrected", "reason", "x", 251, false);
    s_length_case ("training.batch_closed", "batch", "A", 2, false);
    s_length_case ("training.batch_closed", "batch", "A", 3, true);
    s_length_case ("training.batch_closed", "batch", "A", 40, true);
    s_length_case ("training.batch_closed", "batch", "A", 41, false);
    /* A blank legal number is blank after trimming. */
    s_length_case (t, "legal_number", " ", 3, false);

    /* Bytes that are not UTF-8. */
    jk_event_t *ev = jk_sample_by_name (t);
    jk_report_t report = {0};
    assert_int_equal (jk_event_set (ev, "name", "Kop\xff\xfe", &report), 0);
    s_rejects (ev, "E_FIELD_FORMAT", "body.name");
    jk_event_destroy (&ev);
}

/* ---- the text helpers validation counts with ------------------------------
 */

/* Characters one sequence at a time (jk_utf8_sequence), or -1. */
static int64_t s_utf8_reference (const char *ptr, size_t size)
{
    int64_t count = 0;
    for (size_t i = 0; i < size; count++) {
        size_t n = jk_utf8_sequence (ptr + i, size - i);
        if (n == 0)
            return -1;
        i += n;
    }
    return count;
}

static void test_utf8_length_and_str_eq (void **state)
{
    (void)state;
    /* Every ASCII run length around the eight-byte steps, with a
       multi-byte character, a NUL, a bad byte or a cut sequence at every
       place. */
    const char *inserts[] = {"\xc3\xa9", "\xe8\xaa\x9e", "\xf0\x9f\x98\x80",
                             "\x00",     "\xff",         "\xe8\xaa",
                             "\x80"};
    const int64_t chars[] = {1, 1, 1, 1, -1, -1, -1};
    char buf[64];
    for (size_t len = 0; len <= 24; len++) {
        memset (buf, 'a', len);
        assert_int_equal (jk_utf8_length (buf, len), (int64_t)len);
        for (size_t k = 0; k < sizeof inserts / sizeof inserts[0]; k++) {
            size_t n = inserts[k][0] ? strlen (inserts[k]) : 1;
            for (size_t at = 0; at <= len; at++) {
                memset (buf, 'a', len);
                memmove (buf + at + n, buf + at, len - at);
                memcpy (buf + at, inserts[k], n);
                int64_t want = chars[k] < 0 ? -1 : (int64_t)len + 1;
                assert_int_equal (s_utf8_reference (buf, len + n), want);
                assert_int_equal (jk_utf8_length (buf, len + n), want);
            }
        }
    }
    assert_true (jk_str_eq ((jk_str_t){"nik", 3}, "nik"));
    assert_true (jk_str_eq ((jk_str_t){"", 0}, ""));
    assert_false (jk_str_eq ((jk_str_t){"ni", 2}, "nik"));
    assert_false (jk_str_eq ((jk_str_t){"nikx", 4}, "nik"));
    assert_false (jk_str_eq ((jk_str_t){"nix", 3}, "nik"));
    assert_false (jk_str_eq ((jk_str_t){"", 0}, "nik"));
    assert_false (jk_str_eq ((jk_str_t){"nik", 3}, ""));
    /* A NUL inside the bytes is not the end of the text. */
    assert_false (jk_str_eq ((jk_str_t){"ni\0k", 4}, "ni"));
    assert_false (jk_str_eq ((jk_str_t){"ni\0", 3}, "ni"));
    assert_true (jk_str_eq ((jk_str_t){"HADIR", 5}, "HADIR"));
    /* A file name's extension, any case, with a name before it. */
    assert_true (jk_str_ends_ieq ("k.csv", ".csv"));
    assert_true (jk_str_ends_ieq ("out/K.CSV", ".csv"));
    assert_true (jk_str_ends_ieq ("a.Htm", ".htm"));
    assert_false (jk_str_ends_ieq (".csv", ".csv"));
    assert_false (jk_str_ends_ieq ("k.csvx", ".csv"));
    assert_false (jk_str_ends_ieq ("kcsv", ".csv"));
    assert_false (jk_str_ends_ieq ("", ".csv"));
}

/* ---- unsigned ranges
 * --------------------------------------------------------- */

static void test_uint_ranges (void **state)
{
    (void)state;
    CASES (
        {"training.session_scheduled", {"jp=0"}, "E_FIELD_RANGE", "body.jp"},
        {"training.session_scheduled", {"jp=1"}, NULL, NULL},
        {"training.session_scheduled", {"jp=10"}, NULL, NULL},
        {"training.session_scheduled", {"jp=11"}, "E_FIELD_RANGE", "body.jp"},
        {"training.session_scheduled",
         {"session_no=0"},
         "E_FIELD_RANGE",
         "body.session_no"},
        {"assessment.unit_assessed", {"score=0"}, NULL, NULL},
        {"assessment.unit_assessed", {"score=100"}, NULL, NULL},
        {"assessment.unit_assessed",
         {"score=101"},
         "E_FIELD_RANGE",
         "body.score"},
        {"assessment.unit_assessed", {"-score"}, NULL, NULL},
        {"cooperative.rat_held",
         {"book_year=1989"},
         "E_FIELD_RANGE",
         "body.book_year"},
        {"cooperative.rat_held",
         {"book_year=1990", "held_on=1991-01-01"},
         NULL,
         NULL},
        /* The current year (2024) is the last book year allowed ... */
        {"cooperative.rat_held",
         {"book_year=2025", "held_on=2024-05-01"},
         "E_FIELD_RANGE",
         "body.book_year"},
        /* ... and its RAT cannot have been held yet. */
        {"cooperative.rat_held",
         {"book_year=2024", "held_on=2024-05-01"},
         "E_FIELD_RULE",
         "body.held_on"},
        {"training.batch_scheduled",
         {"budget_year=1999"},
         "E_FIELD_RANGE",
         "body.budget_year"},
        {"training.batch_scheduled", {"budget_year=2100"}, NULL, NULL},
        {"training.batch_scheduled",
         {"budget_year=2101"},
         "E_FIELD_RANGE",
         "body.budget_year"},
        {"training.batch_scheduled",
         {"class_size_max=0"},
         "E_FIELD_RANGE",
         "body.class_size_max"},
        {"training.batch_scheduled", {"min_attendance_pct=100"}, NULL, NULL},
        {"training.batch_scheduled",
         {"min_attendance_pct=101"},
         "E_FIELD_RANGE",
         "body.min_attendance_pct"},
        {"cooperative.registered", {"members_male=0"}, NULL, NULL},
        {"cooperative.registered",
         {"members_female=10000001"},
         "E_FIELD_RANGE",
         "body.members_female"}, );
}

/* ---- enums and sets ---------------------------------------------------------
 */

static void test_enums (void **state)
{
    (void)state;
    /* Text that is not a value is refused when set ... */
    jk_event_t *ev = jk_sample_by_name ("cooperative.registered");
    jk_report_t report = {0};
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "form", "TERSIER", &report), -1);
    assert_string_equal (report.error.code, "E_FIELD_ENUM");
    assert_string_equal (report.error.field, "body.form");
    assert_non_null (strstr (report.error.message, "PRIMER|SEKUNDER"));
    /* ... any case is accepted from operators, stored upper case ... */
    assert_int_equal (jk_event_set (ev, "form", "sekunder", &report), 0);
    assert_string_equal (jk_event_get (ev, "form")->s.ptr, "SEKUNDER");
    s_accepts (ev);
    /* ... and an event built in code with a stray value is rejected. */
    jk_value_t *form = (jk_value_t *)jk_event_get (ev, "form");
    form->s = JK_STR ("TERSIER");
    s_rejects (ev, "E_FIELD_ENUM", "body.form");
    form->s = JK_STR ("PRIMER");
    form->n = 7;
    s_rejects (ev, "E_FIELD_ENUM", "body.form");
    jk_event_destroy (&ev);

    CASES ({"assessment.unit_assessed", {"methods=WRITTEN"}, NULL, NULL},
           {"assessment.unit_assessed",
            {"methods=WRITTEN,ORAL,INTERVIEW,OBSERVATION,PORTFOLIO,"
             "CASE_STUDY"},
            NULL,
            NULL},
           {"assessment.unit_assessed",
            {"methods=WRITTEN,written"},
            "E_FIELD_ENUM",
            "body.methods"},
           {"assessment.unit_assessed",
            {"methods= , "},
            "E_FIELD_LENGTH",
            "body.methods"}, );
    ev = jk_sample_by_name ("assessment.unit_assessed");
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "methods", "WRITTEN,GUESSING", &report),
                      -1);
    assert_string_equal (report.error.code, "E_FIELD_ENUM");
    assert_string_equal (report.error.field, "body.methods");
    jk_event_destroy (&ev);
}

/* ---- lists and units
 * ----------------------------------------------------------- */

static void test_lists_and_units (void **state)
{
    (void)state;
    CASES (
        {"assessment.scheduled",
         {"units=M.01=A|M.01=B"},
         "E_FIELD_RULE",
         "body.units"},
        {"assessment.scheduled", {"units=M.01=Satu"}, NULL, NULL},
        {"assessment.scheduled", {"units= | "}, "E_FIELD_LENGTH", "body.units"},
        {"assessment.scheduled",
         {"units=M.01="},
         "E_FIELD_LENGTH",
         "body.units"},
        {"assessment.scheduled",
         {"assessors=,"},
         "E_FIELD_LENGTH",
         "body.assessors"}, );
    /* 1..50 units, 1..20 assessors. */
    for (int n = 49; n <= 51; n++) {
        char text[2048] = "";
        for (int i = 0; i < n; i++)
            snprintf (text + strlen (text), sizeof text - strlen (text),
                      "%sU%02d=Unit %d", i ? "|" : "", i, i);
        jk_event_t *ev = jk_sample_by_name ("assessment.scheduled");
        jk_report_t report = {0};
        assert_int_equal (jk_event_set (ev, "units", text, &report), 0);
        if (n <= 50)
            s_accepts (ev);
        else
            s_rejects (ev, "E_FIELD_LENGTH", "body.units");
        jk_event_destroy (&ev);
    }
    for (int n = 20; n <= 21; n++) {
        char text[512] = "";
        for (int i = 0; i < n; i++)
            snprintf (text + strlen (text), sizeof text - strlen (text),
                      "%sASR-%02d", i ? "," : "", i);
        jk_event_t *ev = jk_sample_by_name ("assessment.scheduled");
        jk_report_t report = {0};
        assert_int_equal (jk_event_set (ev, "assessors", text, &report), 0);
        if (n <= 20)
            s_accepts (ev);
        else
            s_rejects (ev, "E_FIELD_LENGTH", "body.assessors");
        jk_event_destroy (&ev);
    }
    /* Titles may hold commas. */
    jk_event_t *ev = jk_sample_by_name ("assessment.scheduled");
    const jk_value_t *units = jk_event_get (ev, "units");
    assert_int_equal (units->count, 2);
    assert_true (jk_str_eq (units->items[3], "Menyusun laporan, RAT"));
    jk_report_t report = {0};
    assert_int_equal (jk_event_set (ev, "units", "M.01 Tanpa kode", &report),
                      -1);
    assert_string_equal (report.error.code, "E_FIELD_FORMAT");
    assert_string_equal (report.error.field, "body.units");
    jk_event_destroy (&ev);
}

/* assessment.scheduled with field set to text: accepted (message NULL)
   or rejected E_FIELD_LENGTH on body.FIELD saying exactly message. */
static void s_items_case (const char *field, const char *text,
                          const char *message)
{
    jk_event_t *ev = jk_sample_by_name ("assessment.scheduled");
    jk_report_t report = {0};
    assert_int_equal (jk_event_set (ev, field, text, &report), 0);
    char path[64];
    snprintf (path, sizeof path, "body.%s", field);
    if (message)
        s_rejects_saying (ev, "E_FIELD_LENGTH", path, message);
    else
        s_accepts (ev);
    jk_event_destroy (&ev);
}

/* A unit code and an assessor id are 1..60 characters, as
   assessment.unit_assessed's unit and assessor that must name one of
   them; a unit title 1..200. Each item is named by its 0-based index. */
static void test_list_item_lengths (void **state)
{
    (void)state;
    char *c60 = s_repeat ("K", 60), *c61 = s_repeat ("K", 61);
    char *e60 = s_repeat ("\xc3\xa9", 60); /* 120 bytes */
    char *t200 = s_repeat ("t", 200), *t201 = s_repeat ("t", 201);
    const struct {
        const char *field, *before, *item, *after;
        const char *message; /* NULL: accepted */
    } cases[] = {
        {"units", "M.01=Satu|", c60, "=Dua", NULL},
        {"units", "M.01=Satu|", e60, "=Dua", NULL},
        {"units", "M.01=Satu|", c61, "=Dua",
         "body.units[1].code must be 1..60 characters, got 61"},
        {"units", "M.01=", t200, "", NULL},
        {"units", "M.01=Satu|M.02=", t201, "",
         "body.units[1].title must be 1..200 characters, got 201"},
        {"assessors", "ASR-01,", c60, "", NULL},
        {"assessors", "", e60, ",ASR-02", NULL},
        {"assessors", "ASR-01,ASR-02,", c61, "",
         "body.assessors[2] must be 1..60 characters, got 61"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[1024];
        snprintf (text, sizeof text, "%s%s%s", cases[i].before, cases[i].item,
                  cases[i].after);
        s_items_case (cases[i].field, text, cases[i].message);
    }
    free (c60);
    free (c61);
    free (e60);
    free (t200);
    free (t201);
    /* The limits are the ones unit_assessed checks its names against. */
    const jk_type_t *scheduled =
        jk_vocabulary_find ("assessment.scheduled", 20);
    const jk_type_t *assessed =
        jk_vocabulary_find ("assessment.unit_assessed", 24);
    const jk_field_t *f = scheduled->fields;
    const jk_field_t *g = assessed->fields;
    assert_int_equal (f[jk_type_field (scheduled, "units", 5)].item_max,
                      g[jk_type_field (assessed, "unit", 4)].max);
    assert_int_equal (f[jk_type_field (scheduled, "assessors", 9)].item_max,
                      g[jk_type_field (assessed, "assessor", 8)].max);
}

/* ---- dates and times
 * ------------------------------------------------------------- */

static void s_set_fails (const char *type, const char *field, const char *text,
                         const char *code)
{
    jk_event_t *ev = jk_sample_by_name (type);
    jk_report_t report = {0};
    jk_report_reset (&report);
    if (jk_event_set (ev, field, text, &report) != -1)
        fail_msg ("%s=%s was accepted", field, text);
    char path[64];
    snprintf (path, sizeof path, "body.%s", field);
    assert_string_equal (report.error.code, code);
    assert_string_equal (report.error.field, path);
    assert_non_null (strstr (report.error.message, field));
    jk_event_destroy (&ev);
}

/* jk_date_parse_day, the one parser of the dates operators type: an
   event's date fields (the agents) and the programs' --as-of take the
   same forms, and refuse the same. */
static void test_date_parse_day (void **state)
{
    (void)state;
    static const char *const same[] = {"2022-10-06", "06/10/2022", "6/10/2022",
                                       "6-10-2022",  "06-10-2022", "6.10.2022"};
    int32_t want = jk_days_from_civil (2022, 10, 6), days = 0;
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        days = 0;
        if (jk_date_parse_day (same[i], &days) != 0 || days != want)
            fail_msg ("'%s' is not 2022-10-06", same[i]);
    }
    assert_int_equal (jk_date_parse_day ("1/1/2020", &days), 0);
    assert_int_equal (days, jk_days_from_civil (2020, 1, 1));
    assert_int_equal (jk_date_parse_day ("0001-01-01", &days), 0);
    assert_int_equal (days, jk_days_from_civil (1, 1, 1));
    /* One of the forms with a day or month the calendar does not have is
       told apart from text that is no date form at all. */
    static const char *const unreal[] = {"31/02/2019", "15/13/2022",
                                         "2019-02-30", "00.05.2022"};
    bool outside = false;
    for (size_t i = 0; i < sizeof unreal / sizeof unreal[0]; i++)
        if (jk_date_parse_day_why (unreal[i], &days, &outside) != JK_INVALID ||
            !outside)
            fail_msg ("'%s' is not said to be outside the calendar", unreal[i]);
    static const char *const formless[] = {"1/1/20", "0000-01-01", "6/10-2022",
                                           "2022/10/06"};
    for (size_t i = 0; i < sizeof formless / sizeof formless[0]; i++)
        if (jk_date_parse_day_why (formless[i], &days, &outside) !=
                JK_INVALID ||
            outside)
            fail_msg ("'%s' is not said to be no date form", formless[i]);
    static const char *const refused[] = {
        "6/1O/2022",   "1/1/22",     "1/1/0999",   "6/10-2022",  "2022-1-6",
        " 6/10/2022",  "+6/10/2022", "6/10/2022 ", "31/02/2022", "2022-02-30",
        "006/10/2022", "6/10/20222", "6//10/2022", "",           "6 10 2022"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (jk_date_parse_day (refused[i], &days) != JK_INVALID)
            fail_msg ("'%s' taken for a date", refused[i]);
}

static void test_dates_and_times (void **state)
{
    (void)state;
    const char *t = "cooperative.registered";
    s_set_fails (t, "legal_date", "2023-02-29", "E_FIELD_FORMAT");
    s_set_fails (t, "legal_date", "2022-13-01", "E_FIELD_FORMAT");
    s_set_fails (t, "legal_date", "2022-04-31", "E_FIELD_FORMAT");
    s_set_fails (t, "legal_date", "kemarin", "E_FIELD_FORMAT");
    s_set_fails (t, "legal_date", "1/1/22", "E_FIELD_FORMAT");
    s_set_fails ("training.session_scheduled", "starts", "24:00",
                 "E_FIELD_FORMAT");
    s_set_fails ("training.session_scheduled", "starts", "08:60",
                 "E_FIELD_FORMAT");
    s_set_fails ("training.session_scheduled", "starts", "8", "E_FIELD_FORMAT");
    CASES ({t, {"legal_date=2024-02-29"}, NULL, NULL},
           {t, {"legal_date=29/02/2000"}, NULL, NULL},
           /* Today (WIB) is allowed; tomorrow, the future, is a rule of
              s_cross_rules. */
           {t, {"legal_date=2024-06-01"}, NULL, NULL},
           {"training.session_scheduled",
            {"starts=00:00", "ends=23:59"},
            NULL,
            NULL}, );
}

/* The dates an operator may type (agents' flags and CSV cells, through
   jk_event_set): exactly the forms JK_DATE_FORMS names, and its message
   for the others. */
static void test_dates_as_typed (void **state)
{
    (void)state;
    static const struct {
        const char *text, *iso;
    } good[] = {
        {"15/08/1985", "1985-08-15"},    {"15-08-1985", "1985-08-15"},
        {"15.08.1985", "1985-08-15"},    {"5/8/1985", "1985-08-05"},
        {"05.8.1985", "1985-08-05"},     {"15/8/1985", "1985-08-15"},
        {"  15/08/1985 ", "1985-08-15"}, {"1985-08-15", "1985-08-15"},
        {" 1985-08-15\t", "1985-08-15"}, {"29/02/2000", "2000-02-29"},
        {"1/1/1000", "1000-01-01"},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        jk_event_t *ev = jk_sample_by_name ("person.registered");
        jk_report_t report = {0};
        if (jk_event_set (ev, "birth_date", good[i].text, &report) != 0)
            fail_msg ("'%s' refused: %s", good[i].text, report.error.message);
        assert_true (
            jk_str_eq (jk_event_get (ev, "birth_date")->s, good[i].iso));
        jk_event_destroy (&ev);
    }
    static const char *const bad[] = {
        "15/08/85",                                /* two-digit year */
        "15/8/85",     "5-8-85",     "15/08/0985", /* day first, year before
                                                      1000 */
        "15/08/19850", "1985/08/15", /* year first only as yyyy-mm-dd */
        "1985-8-15",   "1985.08.15", "15/08-1985", /* mixed separators */
        "15 08 1985",  "15/ 8/1985", "+5/08/1985", "150/8/1985",
        "31/02/2020",  "2023-02-29", "15081985",   "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        jk_event_t *ev = jk_sample_by_name ("person.registered");
        jk_report_t report = {0};
        if (jk_event_set (ev, "birth_date", bad[i], &report) != -1)
            fail_msg ("'%s' was accepted", bad[i]);
        char message[256];
        snprintf (message, sizeof message,
                  "body.birth_date must be a date dd/mm/yyyy, dd-mm-yyyy or "
                  "dd.mm.yyyy (day and month of 1 or 2 digits, a 4-digit "
                  "year) or yyyy-mm-dd, got '%s'",
                  bad[i]);
        assert_string_equal (report.error.code, "E_FIELD_FORMAT");
        assert_string_equal (report.error.field, "body.birth_date");
        assert_string_equal (report.error.message, message);
        jk_event_destroy (&ev);
    }
}

/* ---- formats
 * ------------------------------------------------------------------------ */

static void test_phone (void **state)
{
    (void)state;
    const char *t = "person.registered";
    CASES ({t, {"phone=0812345678"}, NULL, NULL},     /* 0 8 + 8 digits */
           {t, {"phone=0812345678901"}, NULL, NULL},  /* 0 8 + 11 */
           {t, {"phone=+6281234567890"}, NULL, NULL}, /* +62 8 + 10 */
           {t, {"phone=62812345678"}, NULL, NULL},    /* 62 8 + 8 */
           {t, {"-phone"}, NULL, NULL},
           {t, {"phone=081234567"}, "E_FIELD_LENGTH", "body.phone"},
           {t, {"phone=08123456789012"}, "E_FIELD_FORMAT", "body.phone"},
           {t, {"phone=071234567890"}, "E_FIELD_FORMAT", "body.phone"},
           {t, {"phone=08123456789a"}, "E_FIELD_FORMAT", "body.phone"},
           {t, {"phone=+62 812345678"}, "E_FIELD_FORMAT", "body.phone"},
           {t, {"phone=6271234567890"}, "E_FIELD_FORMAT", "body.phone"}, );
}

static void test_desa_codes (void **state)
{
    (void)state;
    CASES ({"cooperative.registered", {"desa_code=32.03.10.2012"}, NULL, NULL},
           /* A cooperative's seat must be a Cianjur desa of the data. */
           {"cooperative.registered",
            {"desa_code=32.03.10.9999"},
            "E_REGION",
            "body.desa_code"},
           {"cooperative.registered",
            {"desa_code=32.73.01.1001"},
            "E_REGION",
            "body.desa_code"},
           {"cooperative.registered",
            {"desa_code=32-03-10-2012"},
            "E_FIELD_FORMAT",
            "body.desa_code"},
           {"cooperative.registered",
            {"desa_code=32.03.10.201"},
            "E_FIELD_LENGTH",
            "body.desa_code"},
           /* A person may live anywhere in Indonesia ... */
           {"person.registered", {"desa_code=32.73.01.1001"}, NULL, NULL},
           {"person.registered", {"desa_code=11.01.01.2001"}, NULL, NULL},
           /* ... but a Cianjur code must exist. */
           {"person.registered",
            {"desa_code=32.03.10.9999"},
            "E_REGION",
            "body.desa_code"},
           {"person.registered",
            {"desa_code=32.73.01.10a1"},
            "E_FIELD_FORMAT",
            "body.desa_code"},
           {"training.batch_scheduled",
            {"venue_desa_code=32.73.01.1001"},
            NULL,
            NULL}, );
}

static void test_codes (void **state)
{
    (void)state;
    CASES ({"training.batch_closed", {"batch=PK2UMK-2022/01_a.b"}, NULL, NULL},
           {"training.batch_closed",
            {"batch=PK2UMK 2022"},
            "E_FIELD_FORMAT",
            "body.batch"},
           {"assessment.decided",
            {"assessment=UK#1"},
            "E_FIELD_FORMAT",
            "body.assessment"}, );
}

static void s_expect_warning (const jk_event_t *ev, const char *code,
                              const char *field)
{
    jk_context_t ctx = jk_context_default ();
    jk_report_t report = {0};
    if (jk_event_validate (ev, &ctx, &report) != 0)
        fail_msg ("rejected: %s", report.error.message);
    assert_int_equal (report.warning_count, 1);
    assert_string_equal (report.warnings[0].code, code);
    assert_string_equal (report.warnings[0].field, field);
    assert_non_null (strstr (report.warnings[0].message, s_bare (field)));
}

static void test_legal_numbers (void **state)
{
    (void)state;
    char out[128];
    struct {
        const char *text, *norm;
        jk_legal_class_t cls;
    } cases[] = {
        {"AHU-0001234.AH.01.26", "AHU-0001234.AH.01.26", JK_LEGAL_AHU},
        {"AHU-123456.AH.01.26", "AHU-123456.AH.01.26", JK_LEGAL_AHU},
        {" ahu-0001234.ah.01.26.tahun   2019 ",
         "AHU-0001234.AH.01.26.TAHUN 2019", JK_LEGAL_AHU},
        {"AHU-12345.AH.01.26", "AHU-12345.AH.01.26", JK_LEGAL_UNKNOWN},
        {"AHU-12345678.AH.01.26", "AHU-12345678.AH.01.26", JK_LEGAL_UNKNOWN},
        {"AHU-0001234.AH.01.27", "AHU-0001234.AH.01.27", JK_LEGAL_UNKNOWN},
        {"AHU-0001234.AH.01.26.TAHUN 19", "AHU-0001234.AH.01.26.TAHUN 19",
         JK_LEGAL_UNKNOWN},
        {"518/BH/XIII/1996", "518/BH/XIII/1996", JK_LEGAL_LEGACY_BH},
        {"518/bh/xiii/1996", "518/BH/XIII/1996", JK_LEGAL_LEGACY_BH},
        {"Koperasi 12", "KOPERASI 12", JK_LEGAL_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        jk_legal_class_t cls = jk_legal_number_normalise (
            cases[i].text, strlen (cases[i].text), out, sizeof out);
        assert_string_equal (out, cases[i].norm);
        assert_int_equal (cls, cases[i].cls);
    }
    /* Every byte between two letters and at both ends, against the C
       locale's isspace and toupper: spaces of any kind fold to one
       inside and go at the ends, letters are upper-cased, the rest kept. */
    for (int c = 1; c < 256; c++) {
        char text[8] = {' ', 'a', (char)c, 'b', (char)c, 0};
        char want[8];
        size_t n = 0;
        want[n++] = 'A';
        if (isspace (c))
            want[n++] = ' ';
        else
            want[n++] = (char)toupper (c);
        want[n++] = 'B';
        if (!isspace (c))
            want[n++] = (char)toupper (c);
        want[n] = 0;
        jk_legal_number_normalise (text, 5, out, sizeof out);
        assert_string_equal (out, want);
    }
    assert_string_equal (jk_legal_class_name (JK_LEGAL_AHU), "AHU");
    assert_string_equal (jk_legal_class_name (JK_LEGAL_LEGACY_BH), "LEGACY_BH");
    assert_string_equal (jk_legal_class_name (JK_LEGAL_UNKNOWN), "UNKNOWN");

    /* UNKNOWN is a warning on registration, not a rejection. */
    jk_event_t *ev = jk_sample_by_name ("cooperative.registered");
    jk_sample_set (ev, "legal_number=518/BH/XIII/1996");
    s_accepts (ev);
    jk_sample_set (ev, "legal_number=Nomor 12 tahun 2001");
    s_expect_warning (ev, "W_LEGAL_NUMBER_FORMAT", "body.legal_number");
    jk_event_destroy (&ev);
    /* Other types refer to a registered number: no warning there. */
    ev = jk_sample_by_name ("cooperative.updated");
    jk_sample_set (ev, "legal_number=Nomor 12 tahun 2001");
    jk_context_t ctx = jk_context_default ();
    jk_report_t report = {0};
    assert_int_equal (jk_event_validate (ev, &ctx, &report), 0);
    assert_int_equal (report.warning_count, 0);
    jk_event_destroy (&ev);
}

static void test_nik_koperasi (void **state)
{
    (void)state;
    const char *t = "cooperative.registered";
    CASES ({t, {"nik_koperasi=3203000000001"}, NULL, NULL},
           {t, {"-nik_koperasi"}, NULL, NULL},
           {t,
            {"nik_koperasi=320300000000X"},
            "E_FIELD_FORMAT",
            "body.nik_koperasi"},
           {t,
            {"nik_koperasi=320300000000"},
            "E_FIELD_LENGTH",
            "body.nik_koperasi"}, );
    jk_event_t *ev = jk_sample_by_name (t);
    jk_sample_set (ev, "nik_koperasi=3273000000001");
    s_expect_warning (ev, "W_NIK_KOPERASI_PREFIX", "body.nik_koperasi");
    jk_event_destroy (&ev);
}

/* ---- cross-field rules
 * --------------------------------------------------------------- */

/* Each rule of cross_rules.c, broken and on its edge. */
static const s_case_t s_cross_rules[] = {
    /* batch: start <= end, at most 14 days */
    {"training.batch_scheduled",
     {"start_date=2022-10-03", "end_date=2022-10-02"},
     "E_FIELD_RULE",
     "body.end_date"},
    {"training.batch_scheduled",
     {"start_date=2022-10-03", "end_date=2022-10-03"},
     NULL,
     NULL},
    {"training.batch_scheduled",
     {"start_date=2022-10-03", "end_date=2022-10-16"},
     NULL,
     NULL},
    {"training.batch_scheduled",
     {"start_date=2022-10-03", "end_date=2022-10-17"},
     "E_FIELD_RULE",
     "body.end_date"},
    /* session: starts < ends */
    {"training.session_scheduled",
     {"starts=08:00", "ends=08:00"},
     "E_FIELD_RULE",
     "body.ends"},
    {"training.session_scheduled",
     {"starts=08:00", "ends=07:59"},
     "E_FIELD_RULE",
     "body.ends"},
    {"training.session_scheduled", {"starts=08:00", "ends=08:01"}, NULL, NULL},
    /* attendance: check_in for HADIR/TERLAMBAT, check_out >= in */
    {"attendance.recorded",
     {"-check_in", "-check_out"},
     "E_FIELD_MISSING",
     "body.check_in"},
    {"attendance.recorded",
     {"status=TERLAMBAT", "-check_in", "-check_out"},
     "E_FIELD_MISSING",
     "body.check_in"},
    {"attendance.recorded",
     {"status=IZIN", "-check_in", "-check_out"},
     NULL,
     NULL},
    {"attendance.recorded",
     {"status=ALPA", "-check_in"},
     "E_FIELD_RULE",
     "body.check_out"},
    {"attendance.recorded",
     {"check_in=08:05", "check_out=08:04"},
     "E_FIELD_RULE",
     "body.check_out"},
    {"attendance.recorded", {"check_in=08:05", "check_out=08:05"}, NULL, NULL},
    {"attendance.recorded", {"-check_out"}, NULL, NULL},
    {"attendance.corrected",
     {"-check_in", "-check_out"},
     "E_FIELD_MISSING",
     "body.check_in"},
    {"attendance.corrected",
     {"check_in=09:00", "check_out=08:00"},
     "E_FIELD_RULE",
     "body.check_out"},
    /* status: basis for DIBEKUKAN and DIBUBARKAN */
    {"cooperative.status_declared",
     {"-basis"},
     "E_FIELD_MISSING",
     "body.basis"},
    {"cooperative.status_declared",
     {"status=DIBUBARKAN", "-basis"},
     "E_FIELD_MISSING",
     "body.basis"},
    {"cooperative.status_declared", {"status=AKTIF", "-basis"}, NULL, NULL},
    {"cooperative.status_declared",
     {"status=TIDAK_AKTIF", "-basis"},
     NULL,
     NULL},
    /* certificate: valid 1 to 5 years */
    {"certificate.issued",
     {"issued_on=2022-11-01", "valid_until=2023-11-01"},
     NULL,
     NULL},
    {"certificate.issued",
     {"issued_on=2022-11-01", "valid_until=2023-10-31"},
     "E_FIELD_RANGE",
     "body.valid_until"},
    {"certificate.issued",
     {"issued_on=2022-11-01", "valid_until=2027-11-01"},
     NULL,
     NULL},
    {"certificate.issued",
     {"issued_on=2022-11-01", "valid_until=2027-11-02"},
     "E_FIELD_RANGE",
     "body.valid_until"},
    {"certificate.issued", {"-valid_until"}, NULL, NULL},
    /* 29 February: a year later is 28 February. */
    {"certificate.issued",
     {"issued_on=2020-02-29", "valid_until=2021-02-28"},
     NULL,
     NULL},
    {"certificate.issued",
     {"issued_on=2020-02-29", "valid_until=2021-02-27"},
     "E_FIELD_RANGE",
     "body.valid_until"},
    {"certificate.issued",
     {"issued_on=2020-02-29", "valid_until=2025-02-28"},
     NULL,
     NULL},
    {"certificate.issued",
     {"issued_on=2020-02-29", "valid_until=2025-03-01"},
     "E_FIELD_RANGE",
     "body.valid_until"},
    /* RAT: held after the book year, not in the future */
    {"cooperative.rat_held",
     {"book_year=2023", "held_on=2023-12-31"},
     "E_FIELD_RULE",
     "body.held_on"},
    {"cooperative.rat_held",
     {"book_year=2023", "held_on=2024-01-01"},
     NULL,
     NULL},
    {"cooperative.rat_held",
     {"book_year=2023", "held_on=2024-06-01"},
     NULL,
     NULL},
    {"cooperative.rat_held",
     {"book_year=2023", "held_on=2024-06-02"},
     "E_FIELD_RANGE",
     "body.held_on"},
    /* person: role only with a cooperative, and required with it */
    {"person.registered", {"-cooperative"}, "E_FIELD_RULE", "body.role"},
    {"person.registered", {"-role"}, "E_FIELD_MISSING", "body.role"},
    {"person.registered", {"-role", "-cooperative"}, NULL, NULL},
    {"person.corrected", {"role=ANGGOTA"}, "E_FIELD_RULE", "body.role"},
    {"person.corrected",
     {"role=ANGGOTA", "cooperative=518/BH/XIII/1996"},
     NULL,
     NULL},
    /* updates and corrections change at least one field */
    {"cooperative.updated",
     {"-name", "-members_female"},
     "E_FIELD_RULE",
     "body"},
    {"cooperative.updated", {"-name", "members_female=0"}, NULL, NULL},
    {"person.corrected", {"-name"}, "E_FIELD_RULE", "body"},
    {"person.corrected", {"-name", "sex=L"}, NULL, NULL},
    /* dates not in the future (today in WIB is 2024-06-01) */
    {"cooperative.registered",
     {"legal_date=2024-06-02"},
     "E_FIELD_RANGE",
     "body.legal_date"},
    {"person.registered",
     {"birth_date=2024-06-02"},
     "E_FIELD_RANGE",
     "body.birth_date"},
    {"person.registered", {"birth_date=2024-06-01"}, NULL, NULL},
    {"person.corrected",
     {"birth_date=2024-06-02"},
     "E_FIELD_RANGE",
     "body.birth_date"},
    {"cooperative.rat_held",
     {"book_year=2025"},
     "E_FIELD_RANGE",
     "body.book_year"},
    /* assessment: unit codes distinct */
    {"assessment.scheduled",
     {"units=M.01=A|M.01=B"},
     "E_FIELD_RULE",
     "body.units"},
};

static void test_cross_field_rules (void **state)
{
    (void)state;
    s_run_cases (s_cross_rules, sizeof s_cross_rules / sizeof *s_cross_rules);
}

/* Every rule of cross_rules.c is stated with its code where EVENTS.md
   shows it: the field's line in the vocabulary, or the type's paragraph
   for a rule on the whole body. attendance.corrected shares
   attendance.recorded's rules (jk_check_attendance); its own notes on the
   times are not checked here. */
static void test_rules_are_documented (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cross_rules / sizeof *s_cross_rules; i++) {
        const s_case_t *c = &s_cross_rules[i];
        if (!c->code || strcmp (c->type, "attendance.corrected") == 0)
            continue;
        const jk_type_t *t = jk_vocabulary_find (c->type, strlen (c->type));
        const char *doc = t->doc;
        if (strcmp (c->field, "body") != 0)
            doc = t->fields[jk_type_field (t, s_bare (c->field),
                                           strlen (s_bare (c->field)))]
                      .doc;
        char code[40];
        snprintf (code, sizeof code, "`%s`", c->code);
        if (!strstr (doc, code))
            fail_msg ("%s %s: '%s' does not state %s", c->type, c->field, doc,
                      code);
    }
}

/* ---- required fields
 * -------------------------------------------------------------------- */

static void test_required_fields (void **state)
{
    (void)state;
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        const jk_type_t *type = jk_vocabulary_at (i);
        for (size_t k = 0; k < type->field_count; k++) {
            if (!type->fields[k].required)
                continue;
            jk_event_t *ev = jk_sample_event (&jk_samples[i]);
            ev->body[k].present = false;
            char path[64];
            snprintf (path, sizeof path, "body.%s", type->fields[k].name);
            s_rejects (ev, "E_FIELD_MISSING", path);
            jk_event_destroy (&ev);
        }
    }
}

/* ---- envelope
 * ------------------------------------------------------------------------------
 */

static void test_envelope_id (void **state)
{
    (void)state;
    jk_event_t *ev = jk_sample_by_name ("training.batch_closed");
    ev->id[6] = 0x4a; /* version 4 */
    s_rejects (ev, "E_ENVELOPE_ID", "id");
    ev->id[6] = 0x7a;
    ev->id[8] = 0x1f; /* not the RFC variant */
    s_rejects (ev, "E_ENVELOPE_ID", "id");
    ev->id[8] = 0xbf;
    s_accepts (ev);
    /* Fresh ids are UUIDv7. */
    jk_uuid_v7 (ev->id);
    s_accepts (ev);
    jk_event_destroy (&ev);
}

static void s_source_case (const char *source, bool ok)
{
    jk_event_t *ev = jk_sample_by_name ("training.batch_closed");
    jk_event_set_source (ev, source);
    if (ok)
        s_accepts (ev);
    else
        s_rejects (ev, "E_ENVELOPE_SOURCE", "source");
    jk_event_destroy (&ev);
}

static void test_envelope_source (void **state)
{
    (void)state;
    s_source_case ("32.03.10/pacet-1", true);
    s_source_case ("32.03.01/a", true);
    s_source_case ("DINAS/server_2.b", true);
    s_source_case ("32.03.10/abcdefghijklmnopqrstuvwxyz012345", true);
    s_source_case ("32.03.10/abcdefghijklmnopqrstuvwxyz0123456", false);
    s_source_case ("32.03.10/", false);
    s_source_case ("32.03.10", false);
    s_source_case ("32.03.99/pacet-1", false);
    s_source_case ("32.73.01/bandung", false);
    s_source_case ("dinas/server", false);
    s_source_case ("32.03.10/pacet 1", false);
    s_source_case ("32.03.10/pacet/1", false);
    s_source_case ("/pacet-1", false);
}

static void test_envelope_seq_at_actor (void **state)
{
    (void)state;
    jk_event_t *ev = jk_sample_by_name ("training.batch_closed");
    ev->seq = 0;
    s_rejects (ev, "E_ENVELOPE_SEQ", "seq");
    ev->seq = 1;
    s_accepts (ev);
    ev->seq = UINT64_MAX;
    s_accepts (ev);
    /* at: more than 5 minutes ahead of the (pinned) clock is accepted
       with a warning, never rejected (a wrong clock costs no entry) */
    ev->at = JK_SAMPLE_NOW_MS + 5 * 60 * 1000;
    s_accepts (ev);
    ev->at = JK_SAMPLE_NOW_MS + 5 * 60 * 1000 + 1;
    s_expect_warning (ev, "W_AT_FUTURE", "at");
    ev->at = 4102444800000LL - 1; /* before 2100-01-01 */
    s_expect_warning (ev, "W_AT_FUTURE", "at");
    ev->at = 4102444800000LL;
    s_rejects (ev, "E_ENVELOPE_AT", "at");
    ev->at = 631152000000LL; /* 1990-01-01 */
    s_accepts (ev);
    ev->at = 631152000000LL - 1;
    s_rejects (ev, "E_ENVELOPE_AT", "at");
    ev->at = JK_SAMPLE_AT_MS;
    /* moving the clock moves the limit */
    jk_clock_set (JK_SAMPLE_NOW_MS - 3600 * 1000);
    ev->at = JK_SAMPLE_NOW_MS;
    s_expect_warning (ev, "W_AT_FUTURE", "at");
    jk_clock_set (JK_SAMPLE_NOW_MS);
    s_accepts (ev);
    /* actor: 1..100 characters */
    jk_event_set_actor (ev, "");
    s_rejects (ev, "E_FIELD_LENGTH", "actor");
    char *text = s_repeat ("a", 100);
    jk_event_set_actor (ev, text);
    s_accepts (ev);
    free (text);
    text = s_repeat ("\xc3\xa9", 100);
    jk_event_set_actor (ev, text);
    s_accepts (ev);
    free (text);
    text = s_repeat ("a", 101);
    jk_event_set_actor (ev, text);
    s_rejects (ev, "E_FIELD_LENGTH", "actor");
    free (text);
    jk_event_destroy (&ev);
}

static void test_envelope_corrects (void **state)
{
    (void)state;
    jk_event_t *ev = jk_sample_by_name ("attendance.corrected");
    s_accepts (ev);
    ev->has_corrects = false;
    s_rejects (ev, "E_ENVELOPE_MISSING", "corrects");
    jk_event_destroy (&ev);
    /* Other types may carry corrects. */
    ev = jk_sample_by_name ("person.corrected");
    ev->has_corrects = true;
    memcpy (ev->corrects, jk_sample_corrects, 16);
    s_accepts (ev);
    jk_event_destroy (&ev);
}

/* A validator without reference data still checks shapes. */
static void test_without_region (void **state)
{
    (void)state;
    jk_context_t ctx = {.now_ms = JK_SAMPLE_NOW_MS, .region = NULL};
    jk_event_t *ev = jk_sample_by_name ("cooperative.registered");
    jk_sample_set (ev, "desa_code=32.03.10.9999");
    jk_report_t report = {0};
    /* No region: the source office cannot be a kecamatan either. */
    assert_int_equal (jk_event_validate (ev, &ctx, &report), -1);
    assert_string_equal (report.error.code, "E_ENVELOPE_SOURCE");
    jk_event_set_source (ev, "DINAS/server");
    assert_int_equal (jk_event_validate (ev, &ctx, &report), 0);
    jk_sample_set (ev, "desa_code=32.03.10.99x9");
    assert_int_equal (jk_event_validate (ev, &ctx, &report), -1);
    assert_string_equal (report.error.code, "E_FIELD_FORMAT");
    jk_event_destroy (&ev);
}

static void test_report_keeps_first_error (void **state)
{
    (void)state;
    jk_report_t report = {0};
    jk_report_reset (&report);
    jk_report_error (&report, "E_ONE", "body.a", "first %d", 1);
    jk_report_error (&report, "E_TWO", "body.b", "second");
    assert_true (report.failed);
    assert_string_equal (report.error.code, "E_ONE");
    assert_string_equal (report.error.message, "first 1");
    for (int i = 0; i < JK_WARNINGS_MAX + 3; i++)
        jk_report_warn (&report, "W_X", "body.c", "warning %d", i);
    assert_int_equal (report.warning_count, JK_WARNINGS_MAX);
    jk_report_error (NULL, "E_X", "", "ignored");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_samples_are_valid),
        cmocka_unit_test (test_lengths),
        cmocka_unit_test (test_utf8_length_and_str_eq),
        cmocka_unit_test (test_uint_ranges),
        cmocka_unit_test (test_enums),
        cmocka_unit_test (test_lists_and_units),
        cmocka_unit_test (test_list_item_lengths),
        cmocka_unit_test (test_date_parse_day),
        cmocka_unit_test (test_dates_and_times),
        cmocka_unit_test (test_dates_as_typed),
        cmocka_unit_test (test_phone),
        cmocka_unit_test (test_desa_codes),
        cmocka_unit_test (test_codes),
        cmocka_unit_test (test_legal_numbers),
        cmocka_unit_test (test_nik_koperasi),
        cmocka_unit_test (test_cross_field_rules),
        cmocka_unit_test (test_rules_are_documented),
        cmocka_unit_test (test_required_fields),
        cmocka_unit_test (test_envelope_id),
        cmocka_unit_test (test_envelope_source),
        cmocka_unit_test (test_envelope_seq_at_actor),
        cmocka_unit_test (test_envelope_corrects),
        cmocka_unit_test (test_without_region),
        cmocka_unit_test (test_report_keeps_first_error),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
