/*  test_asof.c - figures as of a date: "active" under the default rule
    and under settings (book years, grace, quorum), RAT on time for the
    current book year, certificates valid only from their issue date, and
    "present today" counting people, not person-sessions. */
#include "jk_active.h"
#include "projections_harness.h"

#include <msgpack.h>

#define COOP_A "AHU-0000123.AH.01.26"
#define COOP_B "AHU-0000456.AH.01.26"
#define BATCH  "PK2UMK-2023-01"
#define EXAM   "UK-2023-01"

static void s_cooperative (harness_t *h, const char *legal)
{
    H_OK (h, h_event (h, "cooperative.registered", "legal_number", legal,
                      "legal_date", "2001-05-01", "name", "Koperasi Maju",
                      "form", "PRIMER", "kind", "SIMPAN_PINJAM", "pattern",
                      "KONVENSIONAL", "desa_code", "32.03.10.2001",
                      "members_male", "10", "members_female", "12", NULL));
}

static void s_rat (harness_t *h, const char *legal, const char *year,
                   const char *held, const char *quorum)
{
    H_OK (h, h_event (h, "cooperative.rat_held", "legal_number", legal,
                      "book_year", year, "held_on", held, "members_present",
                      "15", "quorum_met", quorum, NULL));
}

static int64_t s_active (harness_t *h, int y, int m, int d, const char *rule)
{
    jk_active_rule_t r;
    char err[256];
    assert_int_equal (jk_active_rule_parse (rule, &r, err, sizeof err), 0);
    return jk_projections_active_rule (h->db, jk_days_from_civil (y, m, d), &r,
                                       NULL);
}

/* The old rule counted only book year year(D) - 1 and fell to 0 on every
   1 January; the default counts the last overdue book year and the one
   whose RAT season is running. */
static void test_active_every_day (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "asof-active", NULL);
    s_cooperative (&h, COOP_A);
    s_cooperative (&h, COOP_B);
    s_rat (&h, COOP_A, "2021", "2022-03-01", "true");
    assert_int_equal (s_active (&h, 2022, 12, 31, NULL), 1);
    assert_int_equal (s_active (&h, 2023, 1, 1, NULL), 1);
    assert_int_equal (s_active (&h, 2023, 6, 30, NULL), 1);
    /* 1 July: book year 2022 is overdue and A has not met. */
    assert_int_equal (s_active (&h, 2023, 7, 1, NULL), 0);
    /* Thirty days' grace keeps 2021 counting until 30 July. */
    assert_int_equal (s_active (&h, 2023, 7, 30, "grace-days=30"), 1);
    assert_int_equal (s_active (&h, 2023, 7, 31, "grace-days=30"), 0);
    /* Two book years: 2021 still counts in the second half of 2023. */
    assert_int_equal (s_active (&h, 2023, 12, 31, "years=2"), 1);
    assert_int_equal (s_active (&h, 2024, 7, 1, "years=2"), 0);
    /* A 12-month deadline: book year 2022 due by 31 December 2023. */
    assert_int_equal (s_active (&h, 2023, 12, 31, "deadline-months=12"), 1);
    assert_int_equal (s_active (&h, 2024, 1, 1, "deadline-months=12"), 0);

    /* B meets for 2022 without a quorum: counts unless quorum=required. */
    s_rat (&h, COOP_B, "2022", "2023-04-10", "false");
    assert_int_equal (s_active (&h, 2023, 4, 9, NULL), 1);
    assert_int_equal (s_active (&h, 2023, 4, 10, NULL), 2);
    assert_int_equal (s_active (&h, 2023, 4, 10, "quorum=required"), 1);
    assert_int_equal (s_active (&h, 2023, 8, 1, NULL), 1);
    assert_int_equal (s_active (&h, 2023, 8, 1, "quorum=required"), 0);
    h_close (&h);
}

static void test_rule_setting (void **state)
{
    (void)state;
    jk_active_rule_t rule;
    char err[256], text[512];
    assert_int_equal (jk_active_rule_parse (NULL, &rule, err, sizeof err), 0);
    jk_active_rule_spec (&rule, text, sizeof text);
    assert_string_equal (text,
                         "years=1,deadline-months=6,grace-days=0,quorum=any");
    assert_int_equal (jk_active_rule_parse ("quorum=required,years=2,grace-"
                                            "days=15,deadline-months=12",
                                            &rule, err, sizeof err),
                      0);
    jk_active_rule_spec (&rule, text, sizeof text);
    assert_string_equal (
        text, "years=2,deadline-months=12,grace-days=15,quorum=required");

    static const struct {
        const char *text, *message;
    } bad[] = {
        {"years=0", "active rule: years must be a whole number 1..10, not "
                    "'0'"},
        {"grace-days=-1", "active rule: grace-days must be a whole number "
                          "0..366, not '-1'"},
        {"deadline-months=25", "active rule: deadline-months must be a whole "
                               "number 1..24, not '25'"},
        {"quorum=maybe", "active rule: quorum must be 'any' or 'required', "
                         "not 'maybe'"},
        {"tahun=1", "active rule: unknown key 'tahun' (keys: years, "
                    "deadline-months, grace-days, quorum)"},
        {"years", "active rule: 'years' is not KEY=VALUE (keys: years, "
                  "deadline-months, grace-days, quorum)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jk_active_rule_default (&rule);
        assert_int_equal (
            jk_active_rule_parse (bad[i].text, &rule, err, sizeof err), -1);
        assert_string_equal (err, bad[i].message);
        assert_int_equal (rule.years, 1); /* untouched */
    }

    /* The wording printed beside every figure that depends on it. */
    jk_active_rule_default (&rule);
    jk_active_rule_describe (&rule, jk_days_from_civil (2023, 1, 1), text,
                             sizeof text);
    assert_string_equal (text, "aktif = RAT tahun buku 2021-2022 diadakan "
                               "s.d. 01/01/2023 (batas RAT 30/06 tahun "
                               "berikutnya + 0 hari tenggang; RAT tanpa "
                               "kuorum dihitung), status bukan "
                               "TIDAK_AKTIF/DIBEKUKAN/DIBUBARKAN");
    jk_active_years_t y =
        jk_active_years (&rule, jk_days_from_civil (2023, 7, 1));
    assert_int_equal (y.from_year, 2022);
    assert_int_equal (y.to_year, 2022);
    assert_int_equal (y.due_year, 2022);
}

static const msgpack_object *s_get (const msgpack_object *map, const char *key)
{
    size_t n = strlen (key);
    for (uint32_t i = 0;
         map->type == MSGPACK_OBJECT_MAP && i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp (k->via.str.ptr, key, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    fail_msg ("snapshot has no %s", key);
    return NULL;
}

/* The snapshot as of a day, unpacked into result (which points into
   the bytes kept in *bytes: free both). */
static const msgpack_object *s_snapshot (harness_t *h, int y, int m, int d,
                                         msgpack_unpacked *result,
                                         uint8_t **bytes)
{
    size_t size = 0;
    *bytes =
        jk_projections_snapshot (h->db, jk_days_from_civil (y, m, d), &size);
    assert_non_null (*bytes);
    msgpack_unpacked_init (result);
    assert_int_equal (
        msgpack_unpack_next (result, (const char *)*bytes, size, NULL),
        MSGPACK_UNPACK_SUCCESS);
    return &result->data;
}

/* The deadline over the whole range the store and the rule share: the
   last day of the month that ends N months after 31 December. */
static void test_deadline_range (void **state)
{
    (void)state;
    static const struct {
        int months, year, month, day;
    } want[] = {{1, 2023, 1, 31},   {2, 2023, 2, 28},   {6, 2023, 6, 30},
                {11, 2023, 11, 30}, {12, 2023, 12, 31}, {13, 2024, 1, 31},
                {14, 2024, 2, 29},  {24, 2024, 12, 31}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        jk_active_rule_t rule = {.deadline_months = want[i].months};
        assert_int_equal (
            jk_active_deadline (&rule, 2022),
            jk_days_from_civil (want[i].year, want[i].month, want[i].day));
    }
    jk_active_rule_t rule;
    char err[256];
    assert_int_equal (
        jk_active_rule_parse ("deadline-months=24", &rule, err, sizeof err), 0);
    assert_int_equal (rule.deadline_months, JK_RAT_DEADLINE_MONTHS_MAX);
}

static void test_rat_on_time_and_rule_in_snapshot (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "asof-rat", NULL);
    s_cooperative (&h, COOP_A);
    s_cooperative (&h, COOP_B);
    s_rat (&h, COOP_A, "2022", "2023-03-01", "true");
    s_rat (&h, COOP_B, "2022", "2023-08-01", "true"); /* late */
    msgpack_unpacked result;
    uint8_t *bytes = NULL;
    const msgpack_object *snap = s_snapshot (&h, 2023, 9, 1, &result, &bytes);
    const msgpack_object *totals = s_get (snap, "totals");
    assert_int_equal (s_get (totals, "rat_book_year")->via.u64, 2022);
    assert_int_equal (s_get (totals, "rat_held")->via.u64, 2);
    assert_int_equal (s_get (totals, "rat_on_time")->via.u64, 1);
    assert_int_equal (s_get (totals, "active")->via.u64, 2);
    const msgpack_object *rule = s_get (snap, "active_rule");
    const msgpack_object *spec = s_get (rule, "spec");
    assert_int_equal (spec->via.str.size, 49);
    assert_memory_equal (spec->via.str.ptr,
                         "years=1,deadline-months=6,grace-days=0,quorum=any",
                         49);
    assert_int_equal (s_get (rule, "from_year")->via.u64, 2022);
    assert_int_equal (s_get (rule, "to_year")->via.u64, 2022);
    msgpack_unpacked_destroy (&result);
    free (bytes);
    /* In March only A had met, on time. */
    snap = s_snapshot (&h, 2023, 3, 15, &result, &bytes);
    totals = s_get (snap, "totals");
    assert_int_equal (s_get (totals, "rat_held")->via.u64, 1);
    assert_int_equal (s_get (totals, "rat_on_time")->via.u64, 1);
    msgpack_unpacked_destroy (&result);
    free (bytes);
    h_close (&h);
}

/* A batch with three sessions, two of them on 8 May; people 1-2. */
static void s_batch (harness_t *h)
{
    s_cooperative (h, COOP_A);
    for (int n = 1; n <= 2; n++)
        H_OK (h, h_event (h, "person.registered", "nik", h_nik (n), "name",
                          "Asep Sunandar", "sex", "L", "birth_date",
                          "1990-01-01", "desa_code", "32.03.10.2001",
                          "cooperative", COOP_A, "role", "ANGGOTA", NULL));
    H_OK (h, h_event (h, "training.batch_scheduled", "batch", BATCH, "title",
                      "Pelatihan Manajer", "funding", "DAK_NF_PK2UMK",
                      "budget_year", "2023", "venue", "Aula Pacet",
                      "venue_desa_code", "32.03.10.2001", "start_date",
                      "2023-05-08", "end_date", "2023-05-10", NULL));
    const char *sessions[][4] = {{"1", "2023-05-08", "08:00", "10:00"},
                                 {"2", "2023-05-08", "13:00", "15:00"},
                                 {"3", "2023-05-09", "08:00", "10:00"}};
    for (int i = 0; i < 3; i++)
        H_OK (h, h_event (h, "training.session_scheduled", "batch", BATCH,
                          "session_no", sessions[i][0], "date", sessions[i][1],
                          "starts", sessions[i][2], "ends", sessions[i][3],
                          "jp", "2", "topic", "Modul", NULL));
    for (int n = 1; n <= 2; n++)
        H_OK (h, h_event (h, "training.participant_enrolled", "batch", BATCH,
                          "nik", h_nik (n), "cooperative", COOP_A, NULL));
}

static void s_present (harness_t *h, int n, const char *session,
                       const char *status, const char *check_in)
{
    H_OK (h, h_event (h, "attendance.recorded", "batch", BATCH, "session_no",
                      session, "nik", h_nik (n), "status", status, "method",
                      "PAPER", check_in ? "check_in" : NULL, check_in, NULL));
}

static void test_present_today_counts_people (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "asof-present", NULL);
    s_batch (&h);
    /* Person 1 in both sessions of 8 May, person 2 in the morning late
       and away in the afternoon: 2 people, 3 person-sessions. */
    s_present (&h, 1, "1", "HADIR", "08:00");
    s_present (&h, 1, "2", "HADIR", "13:00");
    s_present (&h, 2, "1", "TERLAMBAT", "08:30");
    s_present (&h, 2, "2", "IZIN", NULL);
    msgpack_unpacked result;
    uint8_t *bytes = NULL;
    const msgpack_object *snap = s_snapshot (&h, 2023, 5, 8, &result, &bytes);
    const msgpack_object *batch = &s_get (snap, "batches")->via.array.ptr[0];
    assert_int_equal (s_get (batch, "present_today")->via.u64, 2);
    msgpack_unpacked_destroy (&result);
    free (bytes);
    snap = s_snapshot (&h, 2023, 5, 9, &result, &bytes);
    batch = &s_get (snap, "batches")->via.array.ptr[0];
    assert_int_equal (s_get (batch, "present_today")->via.u64, 0);
    msgpack_unpacked_destroy (&result);
    free (bytes);
    h_close (&h);
}

static void test_certificate_valid_from_issue (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "asof-cert", NULL);
    s_batch (&h);
    s_present (&h, 1, "1", "HADIR", "08:00");
    s_present (&h, 1, "2", "HADIR", "13:00");
    s_present (&h, 1, "3", "HADIR", "08:00");
    H_OK (&h, h_event (&h, "assessment.scheduled", "assessment", EXAM,
                       "scheme_code", "SKM-1", "scheme_title", "Manajer",
                       "units", "U1=Satu", "date", "2023-05-16", "batch", BATCH,
                       "lsp", "LSP Koperasi", "assessors", "ASR-1", NULL));
    H_OK (&h, h_event (&h, "assessment.unit_assessed", "assessment", EXAM,
                       "nik", h_nik (1), "unit", "U1", "methods", "WRITTEN",
                       "verdict", "K", "assessor", "ASR-1", NULL));
    H_OK (&h, h_event (&h, "assessment.decided", "assessment", EXAM, "nik",
                       h_nik (1), "verdict", "K", NULL));
    H_OK (&h,
          h_event (&h, "certificate.issued", "number", "C-1", "nik", h_nik (1),
                   "assessment", EXAM, "issued_on", "2023-06-05", NULL));
    static const struct {
        int m, d;
        uint64_t valid;
    } days[] = {{5, 20, 0}, {6, 4, 0}, {6, 5, 1}, {11, 30, 1}};
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        msgpack_unpacked result;
        uint8_t *bytes = NULL;
        const msgpack_object *snap =
            s_snapshot (&h, 2023, days[i].m, days[i].d, &result, &bytes);
        assert_int_equal (
            s_get (s_get (snap, "totals"), "certificates_valid")->via.u64,
            days[i].valid);
        msgpack_unpacked_destroy (&result);
        free (bytes);
    }
    h_close (&h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_active_every_day),
        cmocka_unit_test (test_rule_setting),
        cmocka_unit_test (test_deadline_range),
        cmocka_unit_test (test_rat_on_time_and_rule_in_snapshot),
        cmocka_unit_test (test_present_today_counts_people),
        cmocka_unit_test (test_certificate_valid_from_issue),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
