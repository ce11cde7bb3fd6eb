/*  test_projections.c - the values the read models hold after scripted
    sequences: attendance % (HADIR/TERLAMBAT count, IZIN does not, a
    correction changes it), RAT on time or late by the configured deadline,
    RAT streaks, the latest unit attempt, "active" as of a date,
    warnings in data_quality, kecamatan counters, the canonical dump and
    the status snapshot. */
#include "projections_harness.h"

#include <msgpack.h>

#define COOP  "AHU-0000123.AH.01.26"
#define BATCH "PK2UMK-2023-01"
#define EXAM  "UK-2023-01"

static void s_cooperative (harness_t *h, const char *legal, const char *desa)
{
    H_OK (h, h_event (h, "cooperative.registered", "legal_number", legal,
                      "legal_date", "2001-05-01", "name", "Koperasi Maju",
                      "form", "PRIMER", "kind", "SIMPAN_PINJAM", "pattern",
                      "KONVENSIONAL", "desa_code", desa, "members_male", "10",
                      "members_female", "12", NULL));
}

static void s_rat (harness_t *h, const char *legal, const char *year,
                   const char *held)
{
    H_OK (h, h_event (h, "cooperative.rat_held", "legal_number", legal,
                      "book_year", year, "held_on", held, "members_present",
                      "15", "quorum_met", "true", NULL));
}

static void s_person (harness_t *h, int n)
{
    H_OK (h, h_event (h, "person.registered", "nik", h_nik (n), "name",
                      "Asep Sunandar", "sex", "L", "birth_date", "1990-01-01",
                      "desa_code", "32.03.10.2001", "cooperative", COOP, "role",
                      "ANGGOTA", NULL));
}

/* BATCH scheduled with its session 1 (4 JP) and, when second, session 2
   (2 JP). */
static void s_batch (harness_t *h, bool second)
{
    H_OK (h, h_event (h, "training.batch_scheduled", "batch", BATCH, "title",
                      "Pelatihan Manajer", "funding", "DAK_NF_PK2UMK",
                      "budget_year", "2023", "venue", "Aula Pacet",
                      "venue_desa_code", "32.03.10.2001", "start_date",
                      "2023-05-08", "end_date", "2023-05-10",
                      "min_attendance_pct", "75", NULL));
    H_OK (h,
          h_event (h, "training.session_scheduled", "batch", BATCH,
                   "session_no", "1", "date", "2023-05-08", "starts", "08:00",
                   "ends", "11:00", "jp", "4", "topic", "Modul", NULL));
    if (second)
        H_OK (h, h_event (h, "training.session_scheduled", "batch", BATCH,
                          "session_no", "2", "date", "2023-05-09", "starts",
                          "08:00", "ends", "09:30", "jp", "2", "topic", "Modul",
                          NULL));
}

/* A cooperative, people 1-3, a batch of two sessions (4 + 2 JP) with
   people 1-3 enrolled. */
static void s_world (harness_t *h)
{
    s_cooperative (h, COOP, "32.03.10.2001");
    for (int n = 1; n <= 3; n++)
        s_person (h, n);
    s_batch (h, true);
    for (int n = 1; n <= 3; n++)
        H_OK (h, h_event (h, "training.participant_enrolled", "batch", BATCH,
                          "nik", h_nik (n), "cooperative", COOP, NULL));
}

static jk_event_t *s_attendance (harness_t *h, int n, const char *session,
                                 const char *status, const char *check_in)
{
    return h_event (h, "attendance.recorded", "batch", BATCH, "session_no",
                    session, "nik", h_nik (n), "status", status, "method",
                    "PAPER", check_in ? "check_in" : NULL, check_in, NULL);
}

static double s_pct (harness_t *h, int n)
{
    char sql[160];
    snprintf (sql, sizeof sql,
              "SELECT attendance_pct FROM enrollments WHERE nik = '%s'",
              h_nik (n));
    return h_real (h, sql);
}

static int64_t s_eligible (harness_t *h, int n)
{
    char sql[160];
    snprintf (sql, sizeof sql,
              "SELECT eligible FROM enrollments WHERE nik = '%s'", h_nik (n));
    return h_int (h, sql);
}

static void test_attendance_percent (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "attendance", NULL);
    s_world (&h);
    /* 1: HADIR 4 + IZIN 0 = 4/6; 2: TERLAMBAT 4 + HADIR 2 = 6/6;
       3: IZIN, later corrected to HADIR, + SAKIT. */
    H_OK (&h, s_attendance (&h, 1, "1", "HADIR", "07:55"));
    H_OK (&h, s_attendance (&h, 1, "2", "IZIN", NULL));
    H_OK (&h, s_attendance (&h, 2, "1", "TERLAMBAT", "08:40"));
    H_OK (&h, s_attendance (&h, 2, "2", "HADIR", "08:00"));
    jk_event_t *wrong = s_attendance (&h, 3, "1", "IZIN", NULL);
    uint8_t wrong_id[16];
    memcpy (wrong_id, wrong->id, 16);
    H_OK (&h, wrong);
    H_OK (&h, s_attendance (&h, 3, "2", "SAKIT", NULL));
    JK_ASSERT_DOUBLE_EQUAL (s_pct (&h, 1), 66.67);
    assert_int_equal (s_eligible (&h, 1), 0); /* 66.67 < 75 */
    JK_ASSERT_DOUBLE_EQUAL (s_pct (&h, 2), 100.0);
    assert_int_equal (s_eligible (&h, 2), 1);
    JK_ASSERT_DOUBLE_EQUAL (s_pct (&h, 3), 0.0);
    assert_int_equal (h_int (&h,
                             "SELECT jp_attended FROM enrollments WHERE nik = '"
                             "320310010190"
                             "0001'"),
                      4);

    jk_event_t *fix =
        h_event (&h, "attendance.corrected", "status", "HADIR", "check_in",
                 "08:05", "reason", "salah centang", NULL);
    fix->has_corrects = true;
    memcpy (fix->corrects, wrong_id, 16);
    H_OK (&h, fix);
    JK_ASSERT_DOUBLE_EQUAL (s_pct (&h, 3), 66.67);
    assert_int_equal (h_int (&h,
                             "SELECT corrections FROM attendance WHERE nik ="
                             " '3203100101900003' AND session_no = 1"),
                      1);
    assert_string_equal (h_text (&h, "SELECT status || ' ' || check_in FROM"
                                     " attendance WHERE nik ="
                                     " '3203100101900003' AND session_no = 1"),
                         "HADIR 08:05");
    assert_int_equal (h_int (&h, "SELECT present FROM sessions WHERE"
                                 " session_no = 1"),
                      3);
    /* A third session lowers everyone's %: 4/8 = 50, 6/8 = 75. */
    H_OK (&h,
          h_event (&h, "training.session_scheduled", "batch", BATCH,
                   "session_no", "3", "date", "2023-05-10", "starts", "08:00",
                   "ends", "09:30", "jp", "2", "topic", "Modul", NULL));
    JK_ASSERT_DOUBLE_EQUAL (s_pct (&h, 1), 50.0);
    JK_ASSERT_DOUBLE_EQUAL (s_pct (&h, 2), 75.0);
    assert_int_equal (s_eligible (&h, 2), 1); /* 75 >= 75: boundary */
    /* Withdrawn participants are never eligible. */
    H_OK (&h, h_event (&h, "training.participant_withdrawn", "batch", BATCH,
                       "nik", h_nik (2), "reason", "pindah tugas", NULL));
    assert_int_equal (s_eligible (&h, 2), 0);
    assert_int_equal (h_int (&h, "SELECT enrolled * 100 + withdrawn FROM"
                                 " batches"),
                      201);
    h_close (&h);
}

/* A correction to a presence gives check_in again and keeps the
   check_out it leaves out, unless that is before the new check_in; a
   correction to an absence drops the times it leaves out (PROJECTIONS.md,
   attendance). */
static void test_attendance_correction_times (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "attendance-times", NULL);
    s_world (&h);
    jk_event_t *late = s_attendance (&h, 1, "1", "TERLAMBAT", "08:40");
    jk_event_set (late, "check_out", "09:30", NULL);
    uint8_t id[16];
    memcpy (id, late->id, 16);
    H_OK (&h, late);
    const char *row = "SELECT status || ' ' || coalesce (check_in, '-') || ' '"
                      " || coalesce (check_out, '-') || ' ' || jp || ' '"
                      " || corrections FROM attendance WHERE session_no = 1";
    assert_string_equal (h_text (&h, row), "TERLAMBAT 08:40 09:30 4 0");

    jk_event_t *fix =
        h_event (&h, "attendance.corrected", "status", "HADIR", "check_in",
                 "08:00", "reason", "jam salah", NULL);
    fix->has_corrects = true;
    memcpy (fix->corrects, id, 16);
    H_OK (&h, fix);
    assert_string_equal (h_text (&h, row), "HADIR 08:00 09:30 4 1");

    /* A kept check-out before the new check-in is dropped. */
    fix = h_event (&h, "attendance.corrected", "status", "TERLAMBAT",
                   "check_in", "10:00", "reason", "datang siang", NULL);
    fix->has_corrects = true;
    memcpy (fix->corrects, id, 16);
    H_OK (&h, fix);
    assert_string_equal (h_text (&h, row), "TERLAMBAT 10:00 - 4 2");

    fix = h_event (&h, "attendance.corrected", "status", "IZIN", "reason",
                   "ternyata izin", NULL);
    fix->has_corrects = true;
    memcpy (fix->corrects, id, 16);
    H_OK (&h, fix);
    assert_string_equal (h_text (&h, row), "IZIN - - 0 3");
    assert_int_equal (h_int (&h, "SELECT present FROM sessions WHERE"
                                 " session_no = 1"),
                      0);
    h_close (&h);
}

static void test_rat_deadline_and_streak (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "rat", NULL);
    s_cooperative (&h, COOP, "32.03.10.2001");
    s_rat (&h, COOP, "2021", "2022-06-30"); /* on the deadline: on time */
    s_rat (&h, COOP, "2020", "2021-07-01"); /* one day late */
    s_rat (&h, COOP, "2022", "2023-01-15");
    assert_string_equal (
        h_text (&h, "SELECT group_concat (book_year || ':' || deadline || ':'"
                    " || late || ':' || days_late, ' ') FROM (SELECT * FROM"
                    " rat_meetings ORDER BY book_year)"),
        "2020:2021-06-30:1:1 2021:2022-06-30:0:0 2022:2023-06-30:0:0");
    assert_string_equal (h_text (&h, "SELECT last_rat_year || '/' ||"
                                     " rat_streak || '/' || rat_count FROM"
                                     " cooperatives"),
                         "2022/3/3");
    /* A gap breaks the streak. */
    s_cooperative (&h, "12/BH/XII/1998", "32.03.02.2002");
    s_rat (&h, "12/BH/XII/1998", "2019", "2020-02-01");
    s_rat (&h, "12/BH/XII/1998", "2021", "2022-02-01");
    assert_string_equal (
        h_text (&h, "SELECT legal_class || '/' || last_rat_year || '/' ||"
                    " rat_streak FROM cooperatives WHERE legal_number_norm ="
                    " '12/BH/XII/1998'"),
        "LEGACY_BH/2021/1");
    h_close (&h);

    /* With a 12-month deadline the same meeting is on time. */
    jk_projections_config_t config = {.rat_deadline_months = 12};
    h_open (&h, "rat12", &config);
    s_cooperative (&h, COOP, "32.03.10.2001");
    s_rat (&h, COOP, "2020", "2021-07-01");
    assert_string_equal (h_text (&h, "SELECT deadline || ':' || late FROM"
                                     " rat_meetings"),
                         "2021-12-31:0");
    h_close (&h);
}

static void test_active_as_of (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "active", NULL);
    s_cooperative (&h, COOP, "32.03.10.2001");
    s_cooperative (&h, "AHU-0000456.AH.01.26", "32.03.02.2002");
    s_rat (&h, COOP, "2022", "2023-03-01");
    s_rat (&h, "AHU-0000456.AH.01.26", "2021", "2022-03-01");
    /* The default rule (docs/PROJECTIONS.md): on 1 June 2023 book year
       2022's RAT is not yet overdue, so 2021 and 2022 both count. */
    int32_t june = jk_days_from_civil (2023, 6, 1);
    assert_int_equal (jk_projections_active (h.db, june, NULL), 2);
    assert_int_equal (jk_projections_active (h.db, june, "32.03.10"), 1);
    assert_int_equal (jk_projections_active (h.db, june, "32.03.02"), 1);
    /* Before COOP's meeting was held only the 2021 RAT counts. */
    assert_int_equal (
        jk_projections_active (h.db, jk_days_from_civil (2023, 2, 1), NULL), 1);
    /* In 2022 the book year 2021 counts. */
    assert_int_equal (
        jk_projections_active (h.db, jk_days_from_civil (2022, 6, 1), NULL), 1);
    /* In January 2024 book year 2022 is overdue: only COOP's counts. */
    assert_int_equal (
        jk_projections_active (h.db, jk_days_from_civil (2024, 1, 10), NULL),
        1);
    /* Frozen from 1 May 2023: active before, not after. */
    H_OK (&h, h_event (&h, "cooperative.status_declared", "legal_number", COOP,
                       "status", "DIBEKUKAN", "basis", "SK/12/2023", "on",
                       "2023-05-01", NULL));
    assert_int_equal (jk_projections_active (h.db, june, NULL), 1);
    assert_int_equal (jk_projections_active (h.db, june, "32.03.10"), 0);
    assert_int_equal (
        jk_projections_active (h.db, jk_days_from_civil (2023, 4, 15), NULL),
        2);
    assert_string_equal (h_text (&h, "SELECT status || ' ' || status_basis"
                                     " FROM cooperatives WHERE"
                                     " legal_number_norm = '" COOP "'"),
                         "DIBEKUKAN SK/12/2023");
    h_close (&h);
}

static void test_units_and_certificates (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "units", NULL);
    s_world (&h);
    H_OK (&h, s_attendance (&h, 2, "1", "HADIR", "08:00"));
    H_OK (&h, s_attendance (&h, 2, "2", "HADIR", "08:00"));
    H_OK (&h,
          h_event (&h, "assessment.scheduled", "assessment", EXAM,
                   "scheme_code", "SKM-1", "scheme_title", "Manajer", "units",
                   "U1=Satu|U2=Dua", "date", "2023-05-11", "batch", BATCH,
                   "lsp", "LSP Koperasi", "assessors", "ASR-1", NULL));
    const char *verdicts[] = {"BK", "K"};
    for (int i = 0; i < 2; i++)
        H_OK (&h, h_event (&h, "assessment.unit_assessed", "assessment", EXAM,
                           "nik", h_nik (2), "unit", "U1", "methods", "WRITTEN",
                           "verdict", verdicts[i], "score", i ? "80" : "40",
                           "assessor", "ASR-1", NULL));
    H_OK (&h,
          h_event (&h, "assessment.unit_assessed", "assessment", EXAM, "nik",
                   h_nik (2), "unit", "U2", "methods", "OBSERVATION,WRITTEN",
                   "verdict", "K", "assessor", "ASR-1", NULL));
    assert_string_equal (h_text (&h, "SELECT verdict || '/' || score || '/' ||"
                                     " attempts FROM unit_results WHERE"
                                     " unit = 'U1'"),
                         "K/80/2");
    assert_string_equal (h_text (&h, "SELECT methods FROM unit_results WHERE"
                                     " unit = 'U2'"),
                         "WRITTEN,OBSERVATION");
    H_OK (&h, h_event (&h, "assessment.decided", "assessment", EXAM, "nik",
                       h_nik (2), "verdict", "K", NULL));
    H_OK (&h,
          h_event (&h, "certificate.issued", "number", "C-1", "nik", h_nik (2),
                   "assessment", EXAM, "issued_on", "2024-02-29", NULL));
    assert_string_equal (h_text (&h, "SELECT valid_until FROM certificates"),
                         "2027-02-28");
    assert_string_equal (
        h_text (&h, "SELECT people || enrolled || assessed || competent ||"
                    " certificates FROM kecamatan_summary WHERE"
                    " kecamatan_code = '32.03.10'"),
        "33111");
    H_OK (&h, h_event (&h, "certificate.revoked", "number", "C-1", "reason",
                       "dokumen palsu", NULL));
    assert_int_equal (h_int (&h, "SELECT certificates FROM kecamatan_summary"
                                 " WHERE kecamatan_code = '32.03.10'"),
                      0);
    /* Moving house moves the person's counts. */
    H_OK (&h, h_event (&h, "person.corrected", "nik", h_nik (2), "desa_code",
                       "32.03.02.2002", "reason", "pindah rumah", NULL));
    assert_string_equal (
        h_text (&h, "SELECT group_concat (kecamatan_code || '=' || people ||"
                    " enrolled || assessed || competent, ' ') FROM"
                    " kecamatan_summary WHERE people > 0"),
        "32.03.02=1111 32.03.10=2200");
    assert_string_equal (h_text (&h, "SELECT nik_masked FROM people_masked"
                                     " WHERE name = 'Asep Sunandar' LIMIT 1"),
                         "3203********0001");
    h_close (&h);
}

static void test_warnings_in_data_quality (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "quality", NULL);
    /* A man's NIK (day 01) registered as P: a warning, not a rejection. */
    H_OK (&h, h_event (&h, "person.registered", "nik", h_nik (7), "name",
                       "Euis", "sex", "P", "birth_date", "1990-01-01",
                       "desa_code", "32.03.10.2001", NULL));
    assert_string_equal (h_text (&h, "SELECT entity || '|' || code || '|' ||"
                                     " field FROM data_quality"),
                         "person 3203********0007|W_NIK_SEX|body.nik");
    s_cooperative (&h, "KOP-77/2020", "32.03.10.2001");
    assert_string_equal (h_text (&h, "SELECT legal_class FROM cooperatives"),
                         "UNKNOWN");
    assert_int_equal (h_int (&h, "SELECT count(*) FROM data_quality WHERE"
                                 " code = 'W_LEGAL_NUMBER_FORMAT' AND pos = 2"),
                      1);
    h_close (&h);
}

/* Open and resolved warnings as "pos:code:resolved_pos:resolved_by" in
   log order, comma-separated. */
static const char *s_quality (harness_t *h)
{
    return h_text (h, "SELECT group_concat (pos || ':' || code || ':' ||"
                      " coalesce (resolved_pos, '-') || ':' ||"
                      " coalesce (resolved_by, '-'), ',') FROM (SELECT *"
                      " FROM data_quality ORDER BY pos, item)");
}

/* A correction that removes a warning's cause resolves it, on the same
   subject only, and the warning stays as history. */
static void test_warnings_resolved_by_correction (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "resolved", NULL);
    /* 1: a man's NIK (day 01) registered as P. */
    H_OK (&h, h_event (&h, "person.registered", "nik", h_nik (7), "name",
                       "Euis", "sex", "P", "birth_date", "1990-01-01",
                       "desa_code", "32.03.10.2001", NULL));
    /* 2: both sex and birth date disagree with the NIK. */
    H_OK (&h, h_event (&h, "person.registered", "nik", h_nik (8), "name", "Iis",
                       "sex", "P", "birth_date", "1991-02-02", "desa_code",
                       "32.03.10.2001", NULL));
    assert_string_equal (s_quality (&h), "1:W_NIK_SEX:-:-,2:W_NIK_SEX:-:-,"
                                         "2:W_NIK_BIRTH_DATE:-:-");
    assert_string_equal (h_text (&h, "SELECT nik FROM data_quality"
                                     " WHERE pos = 1"),
                         h_nik (7));
    /* 3: a correction of something else resolves nothing. */
    H_OK (&h, h_event (&h, "person.corrected", "nik", h_nik (7), "phone",
                       "081234567890", "reason", "nomor baru", NULL));
    /* 4: the sex corrected: person 7's warning is resolved, not 8's. */
    H_OK (&h, h_event (&h, "person.corrected", "nik", h_nik (7), "sex", "L",
                       "reason", "sesuai KTP", NULL));
    assert_string_equal (s_quality (&h), "1:W_NIK_SEX:4:tester,"
                                         "2:W_NIK_SEX:-:-,"
                                         "2:W_NIK_BIRTH_DATE:-:-");
    /* 5: person 8's birth date: only that warning. */
    H_OK (&h, h_event (&h, "person.corrected", "nik", h_nik (8), "birth_date",
                       "1990-01-01", "reason", "sesuai KTP", NULL));
    /* 6: a "correction" that keeps the wrong sex raises the warning again
       and resolves nothing; the open one stands, no second row. */
    H_OK (&h, h_event (&h, "person.corrected", "nik", h_nik (8), "sex", "P",
                       "reason", "salah ketik", NULL));
    assert_string_equal (s_quality (&h), "1:W_NIK_SEX:4:tester,"
                                         "2:W_NIK_SEX:-:-,"
                                         "2:W_NIK_BIRTH_DATE:5:tester");
    /* 7: the right sex, by another operator, resolves it. */
    jk_event_t *ev = h_event (&h, "person.corrected", "nik", h_nik (8), "sex",
                              "L", "reason", "sesuai KTP", NULL);
    jk_event_set_actor (ev, "Siti Aminah");
    H_OK (&h, ev);
    assert_string_equal (s_quality (&h), "1:W_NIK_SEX:4:tester,"
                                         "2:W_NIK_SEX:7:Siti Aminah,"
                                         "2:W_NIK_BIRTH_DATE:5:tester");
    assert_int_equal (h_int (&h, "SELECT count(*) FROM data_quality"
                                 " WHERE resolved_pos IS NULL"),
                      0);
    /* 8, 9: a cooperative whose nik_koperasi is outside Cianjur; an update
       with a Cianjur one resolves it (subject: the normalised number). */
    H_OK (&h, h_event (&h, "cooperative.registered", "legal_number",
                       "AHU-0001234.AH.01.26", "legal_date", "2001-05-01",
                       "name", "Koperasi Maju", "form", "PRIMER", "kind",
                       "SIMPAN_PINJAM", "pattern", "KONVENSIONAL", "desa_code",
                       "32.03.10.2001", "members_male", "10", "members_female",
                       "12", "nik_koperasi", "3201010000001", NULL));
    assert_string_equal (h_text (&h, "SELECT code || ' ' || legal_number_norm"
                                     " FROM data_quality WHERE pos = 8"),
                         "W_NIK_KOPERASI_PREFIX AHU-0001234.AH.01.26");
    H_OK (&h, h_event (&h, "cooperative.updated", "legal_number",
                       "ahu-0001234.ah.01.26", "nik_koperasi", "3203010000001",
                       NULL));
    assert_string_equal (h_text (&h, "SELECT resolved_pos FROM data_quality"
                                     " WHERE pos = 8"),
                         "9");
    assert_int_equal (h_int (&h, "SELECT count(*) FROM data_quality"), 4);
    h_close (&h);
}

/* A NIK whose province (99) is not in the reference data; the man born
   1985-08-15 it names. */
#define NIK_99 "9903101508850057"

/* The warnings of the script below, W_NIK_PROVINCE on NIK_99 and
   W_NIK_SEX on h_nik (7) as the old rows, and the cooperative's
   W_NIK_KOPERASI_PREFIX: at most one open per code and subject. */
static void s_one_open_script (harness_t *h)
{
    /* 1-3: a cooperative outside Cianjur's nik_koperasi; an update that
       keeps it wrong. */
    H_OK (h, h_event (h, "cooperative.registered", "legal_number", COOP,
                      "legal_date", "2001-05-01", "name", "Koperasi Maju",
                      "form", "PRIMER", "kind", "SIMPAN_PINJAM", "pattern",
                      "KONVENSIONAL", "desa_code", "32.03.10.2001",
                      "members_male", "10", "members_female", "12",
                      "nik_koperasi", "3201010000001", NULL));
    H_OK (h, h_event (h, "cooperative.updated", "legal_number", COOP,
                      "nik_koperasi", "3201010000002", NULL));
    H_OK (h, h_event (h, "person.registered", "nik", NIK_99, "name",
                      "Dedi Mulyadi", "sex", "L", "birth_date", "1985-08-15",
                      "desa_code", "32.03.10.2001", NULL));
    /* 4-6: corrected three times, by name only. */
    const char *names[] = {"Dedi Mulyana", "Dede Mulyadi", "Dedi Muliadi"};
    for (int i = 0; i < 3; i++)
        H_OK (h, h_event (h, "person.corrected", "nik", NIK_99, "name",
                          names[i], "reason", "sesuai KTP", NULL));
    /* 7-10: a batch, a session, the person enrolled and present. */
    s_batch (h, false);
    H_OK (h, h_event (h, "training.participant_enrolled", "batch", BATCH, "nik",
                      NIK_99, "cooperative", COOP, NULL));
    H_OK (h, h_event (h, "attendance.recorded", "batch", BATCH, "session_no",
                      "1", "nik", NIK_99, "status", "HADIR", "method", "PAPER",
                      "check_in", "07:55", NULL));
    /* 11: a man's NIK (day 01) registered as P. */
    H_OK (h, h_event (h, "person.registered", "nik", h_nik (7), "name", "Euis",
                      "sex", "P", "birth_date", "1990-01-01", "desa_code",
                      "32.03.10.2001", NULL));
    /* 12: corrected, still P; 13: corrected to L (resolves); 14: back to
       P (a new warning). */
    const char *sexes[] = {"P", "L", "P"};
    for (int i = 0; i < 3; i++)
        H_OK (h, h_event (h, "person.corrected", "nik", h_nik (7), "sex",
                          sexes[i], "reason", "sesuai KTP", NULL));
}

/* An event that raises a warning whose code is still open on the same
   person or cooperative adds no row: three corrections of a name, an
   enrolment and an attendance of a person whose NIK's province is
   unknown leave one W_NIK_PROVINCE; a correction that keeps a wrong sex
   leaves the one W_NIK_SEX, resolved by the right sex, and a wrong one
   after that opens a new one. */
static void test_warnings_one_open_per_subject (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "one-open", NULL);
    s_one_open_script (&h);
    assert_string_equal (s_quality (&h), "1:W_NIK_KOPERASI_PREFIX:-:-,"
                                         "3:W_NIK_PROVINCE:-:-,"
                                         "11:W_NIK_SEX:13:tester,"
                                         "14:W_NIK_SEX:-:-");
    assert_int_equal (h_int (&h, "SELECT count(*) FROM data_quality WHERE"
                                 " code = 'W_NIK_PROVINCE' AND nik = '" NIK_99
                                 "' AND resolved_pos IS NULL"),
                      1);
    assert_int_equal (h_int (&h, "SELECT count(*) FROM data_quality"
                                 " WHERE resolved_pos IS NULL"),
                      3);
    h_close (&h);
}

/* Migration 3 on a database whose data_quality holds the rows an apply
   without the rule wrote for the script (every warning of every event,
   each resolved with the others of its code and subject) leaves exactly
   the rows of an apply with the rule: the same dump. */
static void test_migration_3_drops_repeated_warnings (void **state)
{
    (void)state;
    harness_t now, old;
    h_open (&now, "migrate", NULL);
    s_one_open_script (&now);
    /* A copy at schema_version 2 with the repeats, copied from the row
       each repeats: the cooperative's at 2, the province's at 4-6, 9 and
       10, W_NIK_SEX at 12 (resolved at 13 with 11's). */
    char *path = jk_sprintf ("%s/old.db", now.dir);
    char *sql = jk_sprintf ("VACUUM INTO '%s'", path);
    assert_int_equal (sqlite3_exec (now.db, sql, NULL, NULL, NULL), SQLITE_OK);
    free (sql);
    memset (&old, 0, sizeof old);
    assert_int_equal (sqlite3_open (path, &old.db), SQLITE_OK);
    free (path);
    int rc = sqlite3_exec (
        old.db,
        "INSERT INTO data_quality SELECT 2, 1, id, entity, code, field,"
        " message, nik, legal_number_norm, NULL, NULL FROM data_quality"
        " WHERE pos = 1;"
        "INSERT INTO data_quality SELECT p.value, 1, id, entity, code, field,"
        " message, nik, legal_number_norm, NULL, NULL FROM data_quality,"
        " (SELECT 4 AS value UNION SELECT 5 UNION SELECT 6 UNION SELECT 9"
        " UNION SELECT 10) p WHERE pos = 3;"
        "INSERT INTO data_quality SELECT 12, 1, id, entity, code, field,"
        " message, nik, legal_number_norm, 13, 'tester' FROM data_quality"
        " WHERE pos = 11;"
        "UPDATE projection_meta SET value = 2 WHERE key = 'schema_version';",
        NULL, NULL, NULL);
    assert_int_equal (rc, SQLITE_OK);
    assert_int_equal (h_int (&old, "SELECT count(*) FROM data_quality"), 11);
    assert_int_equal (h_int (&old, "SELECT count(*) FROM data_quality"
                                   " WHERE resolved_pos IS NULL"),
                      9);
    char err[256] = "";
    if (jk_projections_migrate (old.db, err, sizeof err))
        fail_msg ("migrate: %s", err);
    assert_int_equal (h_int (&old, "SELECT value FROM projection_meta"
                                   " WHERE key = 'schema_version'"),
                      3);
    assert_string_equal (s_quality (&old), "1:W_NIK_KOPERASI_PREFIX:-:-,"
                                           "3:W_NIK_PROVINCE:-:-,"
                                           "11:W_NIK_SEX:13:tester,"
                                           "14:W_NIK_SEX:-:-");
    char *a = h_dump (&now), *b = h_dump (&old);
    assert_string_equal (a, b);
    free (a);
    free (b);
    assert_int_equal (sqlite3_close (old.db), SQLITE_OK);
    h_close (&now);
}

static void test_dump_equal_and_different (void **state)
{
    (void)state;
    harness_t a, b;
    h_open (&a, "dump-a", NULL);
    h_open (&b, "dump-b", NULL);
    s_world (&a);
    s_world (&b);
    char *da = h_dump (&a), *db = h_dump (&b);
    assert_string_equal (da, db);
    /* NIKs appear masked with a digest, never in clear. */
    assert_null (strstr (da, h_nik (1)));
    assert_non_null (strstr (da, "\"3203********0001~"));
    assert_non_null (strstr (da, "# people (nik, name,"));
    free (db);
    /* One differing value changes the dump. */
    H_OK (&b, s_attendance (&b, 1, "1", "HADIR", "07:55"));
    H_OK (&a, s_attendance (&a, 1, "1", "HADIR", "07:56"));
    free (da);
    da = h_dump (&a);
    db = h_dump (&b);
    assert_string_not_equal (da, db);
    free (da);
    free (db);
    h_close (&a);
    h_close (&b);
}

/* Finds key in a MessagePack map. */
static const msgpack_object *s_get (const msgpack_object *map, const char *key)
{
    assert_int_equal (map->type, MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR &&
            kv->key.via.str.size == strlen (key) &&
            memcmp (kv->key.via.str.ptr, key, strlen (key)) == 0)
            return &kv->val;
    }
    fail_msg ("no key %s", key);
    return NULL;
}

static void test_snapshot (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "snapshot", NULL);
    s_world (&h);
    s_rat (&h, COOP, "2022", "2023-03-01");
    H_OK (&h, s_attendance (&h, 1, "1", "HADIR", "07:55"));
    H_OK (&h, s_attendance (&h, 2, "1", "TERLAMBAT", "08:30"));
    H_OK (&h, s_attendance (&h, 3, "1", "IZIN", NULL));
    H_REJECT (&h, h_event (&h, "training.batch_closed", "batch", "NOPE", NULL),
              "E_UNKNOWN_BATCH");
    size_t size = 0;
    uint8_t *bytes =
        jk_projections_snapshot (h.db, jk_days_from_civil (2023, 5, 8), &size);
    assert_non_null (bytes);
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    assert_int_equal (
        msgpack_unpack_next (&result, (const char *)bytes, size, NULL),
        MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *root = &result.data;
    const msgpack_object *as_of = s_get (root, "as_of");
    assert_memory_equal (as_of->via.str.ptr, "2023-05-08", 10);
    assert_int_equal (s_get (root, "pos")->via.u64, h.pos);
    const msgpack_object *kec = s_get (root, "kecamatan");
    assert_int_equal (kec->via.array.size, 32);
    const msgpack_object *pacet = &kec->via.array.ptr[9];
    assert_memory_equal (s_get (pacet, "code")->via.str.ptr, "32.03.10", 8);
    assert_int_equal (s_get (pacet, "cooperatives")->via.u64, 1);
    assert_int_equal (s_get (pacet, "active")->via.u64, 1);
    assert_int_equal (s_get (pacet, "people")->via.u64, 3);
    assert_int_equal (s_get (pacet, "enrolled")->via.u64, 3);
    const msgpack_object *batches = s_get (root, "batches");
    assert_int_equal (batches->via.array.size, 1);
    const msgpack_object *batch = &batches->via.array.ptr[0];
    assert_int_equal (s_get (batch, "present_today")->via.u64, 2);
    assert_int_equal (s_get (batch, "jp_total")->via.u64, 6);
    /* 8 JP attended of 6 x 3 scheduled. */
    JK_ASSERT_DOUBLE_EQUAL (s_get (batch, "attendance_pct")->via.f64, 44.44);
    const msgpack_object *totals = s_get (root, "totals");
    assert_int_equal (s_get (totals, "rejections")->via.u64, 1);
    assert_int_equal (s_get (totals, "active")->via.u64, 1);
    const msgpack_object *sources = s_get (root, "sources");
    assert_int_equal (sources->via.array.size, 1);
    assert_int_equal (s_get (&sources->via.array.ptr[0], "next_seq")->via.u64,
                      h.seq + 1);
    msgpack_unpacked_destroy (&result);
    free (bytes);

    /* A closed batch stays in the snapshot for 90 days after its end
       (2023-05-10 + 90 = 2023-08-08), then leaves it. */
    H_OK (&h, h_event (&h, "training.batch_closed", "batch", BATCH, NULL));
    static const struct {
        int month, day;
        uint32_t batches;
    } days[] = {{8, 8, 1}, {8, 9, 0}};
    for (size_t i = 0; i < 2; i++) {
        bytes = jk_projections_snapshot (
            h.db, jk_days_from_civil (2023, days[i].month, days[i].day), &size);
        assert_non_null (bytes);
        msgpack_unpacked_init (&result);
        assert_int_equal (
            msgpack_unpack_next (&result, (const char *)bytes, size, NULL),
            MSGPACK_UNPACK_SUCCESS);
        assert_int_equal (s_get (&result.data, "batches")->via.array.size,
                          days[i].batches);
        msgpack_unpacked_destroy (&result);
        free (bytes);
    }
    h_close (&h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_attendance_percent),
        cmocka_unit_test (test_attendance_correction_times),
        cmocka_unit_test (test_rat_deadline_and_streak),
        cmocka_unit_test (test_active_as_of),
        cmocka_unit_test (test_units_and_certificates),
        cmocka_unit_test (test_warnings_in_data_quality),
        cmocka_unit_test (test_warnings_resolved_by_correction),
        cmocka_unit_test (test_warnings_one_open_per_subject),
        cmocka_unit_test (test_migration_3_drops_repeated_warnings),
        cmocka_unit_test (test_dump_equal_and_different),
        cmocka_unit_test (test_snapshot),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
