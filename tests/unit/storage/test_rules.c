/*  test_rules.c - every domain rule of SPEC 3.2 decided by the
    projections: each rejected with its exact code, with the passing
    boundary case beside it (the 30th participant enrols, the 31st does
    not). Rejected events leave the tables untouched. Evicting a closed
    batch's attendance from the in-memory model changes no decision. */
#include "model_internal.h"
#include "projections_internal.h"
#include "projections_harness.h"

#define COOP     "AHU-0000123.AH.01.26"
#define BATCH    "PK2UMK-2023-01"
#define EXAM     "UK-2023-01"
#define UNIT_ONE "K.649900.001.01"
#define UNIT_TWO "K.649900.002.01"

static void s_person (harness_t *h, int n)
{
    H_OK (h, h_event (h, "person.registered", "nik", h_nik (n), "name",
                      "Asep Sunandar", "sex", "L", "birth_date", "1990-01-01",
                      "desa_code", "32.03.10.2001", "cooperative", COOP, "role",
                      "ANGGOTA", NULL));
}

static void s_enroll (harness_t *h, int n)
{
    H_OK (h, h_event (h, "training.participant_enrolled", "batch", BATCH, "nik",
                      h_nik (n), "cooperative", COOP, NULL));
}

static jk_event_t *s_attendance (harness_t *h, int n, const char *session,
                                 const char *status, const char *check_in)
{
    return h_event (h, "attendance.recorded", "batch", BATCH, "session_no",
                    session, "nik", h_nik (n), "status", status, "method",
                    "PAPER", check_in ? "check_in" : NULL, check_in, NULL);
}

static jk_event_t *s_unit (harness_t *h, int n, const char *unit,
                           const char *verdict, const char *assessor)
{
    return h_event (h, "assessment.unit_assessed", "assessment", EXAM, "nik",
                    h_nik (n), "unit", unit, "methods", "WRITTEN,OBSERVATION",
                    "verdict", verdict, "assessor", assessor, NULL);
}

/* A cooperative, 32 people, a batch of two 4-JP sessions with people 1-3
   enrolled, and an assessment of two units linked to the batch. */
static int s_setup (void **state)
{
    harness_t *h = jk_calloc (1, sizeof *h);
    h_open (h, "rules", NULL);
    H_OK (h, h_event (h, "cooperative.registered", "legal_number", COOP,
                      "legal_date", "2001-05-01", "name", "Koperasi Maju",
                      "form", "PRIMER", "kind", "SIMPAN_PINJAM", "pattern",
                      "KONVENSIONAL", "desa_code", "32.03.10.2001",
                      "members_male", "10", "members_female", "12", NULL));
    for (int n = 1; n <= 32; n++)
        s_person (h, n);
    H_OK (h, h_event (h, "training.batch_scheduled", "batch", BATCH, "title",
                      "Pelatihan Manajer", "funding", "DAK_NF_PK2UMK",
                      "budget_year", "2023", "venue", "Aula Pacet",
                      "venue_desa_code", "32.03.10.2001", "start_date",
                      "2023-05-08", "end_date", "2023-05-10", NULL));
    for (int s = 1; s <= 2; s++) {
        char no[4];
        snprintf (no, sizeof no, "%d", s);
        H_OK (h,
              h_event (h, "training.session_scheduled", "batch", BATCH,
                       "session_no", no, "date",
                       s == 1 ? "2023-05-08" : "2023-05-09", "starts", "08:00",
                       "ends", "11:00", "jp", "4", "topic", "Modul", NULL));
    }
    for (int n = 1; n <= 3; n++)
        s_enroll (h, n);
    H_OK (h,
          h_event (h, "assessment.scheduled", "assessment", EXAM, "scheme_code",
                   "SKM-1", "scheme_title", "Manajer Koperasi", "units",
                   UNIT_ONE "=Rencana kerja|" UNIT_TWO "=Keuangan", "date",
                   "2023-05-11", "batch", BATCH, "lsp", "LSP Koperasi",
                   "assessors", "ASR-1,ASR-2", NULL));
    *state = h;
    return 0;
}

static int s_teardown (void **state)
{
    harness_t *h = *state;
    h_close (h);
    free (h);
    return 0;
}

static void test_cooperative_rules (void **state)
{
    harness_t *h = *state;
    /* The normalised legal number decides: case and spaces do not. */
    H_REJECT (h,
              h_event (h, "cooperative.registered", "legal_number",
                       " ahu-0000123.ah.01.26 ", "legal_date", "2001-05-01",
                       "name", "Koperasi Lain", "form", "PRIMER", "kind",
                       "JASA", "pattern", "SYARIAH", "desa_code",
                       "32.03.10.2001", "members_male", "1", "members_female",
                       "1", NULL),
              "E_DUPLICATE_COOPERATIVE");
    assert_non_null (strstr (h->message, "body.legal_number"));
    H_REJECT (h,
              h_event (h, "cooperative.updated", "legal_number",
                       "AHU-0000999.AH.01.26", "name", "Koperasi Baru", NULL),
              "E_UNKNOWN_COOPERATIVE");
    H_REJECT (h,
              h_event (h, "cooperative.status_declared", "legal_number",
                       "AHU-0000999.AH.01.26", "status", "AKTIF", "on",
                       "2023-01-01", NULL),
              "E_UNKNOWN_COOPERATIVE");
    H_OK (h, h_event (h, "cooperative.rat_held", "legal_number", COOP,
                      "book_year", "2022", "held_on", "2023-03-01",
                      "members_present", "15", "quorum_met", "true", NULL));
    H_REJECT (h,
              h_event (h, "cooperative.rat_held", "legal_number", COOP,
                       "book_year", "2022", "held_on", "2023-04-01",
                       "members_present", "15", "quorum_met", "true", NULL),
              "E_DUPLICATE_RAT");
    assert_non_null (strstr (h->message, "book year 2022"));
    H_OK (h, h_event (h, "cooperative.rat_held", "legal_number", COOP,
                      "book_year", "2021", "held_on", "2022-03-01",
                      "members_present", "15", "quorum_met", "true", NULL));
    H_REJECT (h,
              h_event (h, "cooperative.rat_held", "legal_number",
                       "AHU-0000999.AH.01.26", "book_year", "2022", "held_on",
                       "2023-03-01", "members_present", "15", "quorum_met",
                       "true", NULL),
              "E_UNKNOWN_COOPERATIVE");
    assert_int_equal (h_int (h, "SELECT count(*) FROM rat_meetings"), 2);
    assert_int_equal (h_int (h, "SELECT count(*) FROM cooperatives"), 1);
    assert_int_equal (h_int (h, "SELECT count(*) FROM rejections"), 5);
}

static void test_person_rules (void **state)
{
    harness_t *h = *state;
    H_REJECT (h,
              h_event (h, "person.registered", "nik", h_nik (1), "name",
                       "Dua Kali", "sex", "L", "birth_date", "1990-01-01",
                       "desa_code", "32.03.10.2001", NULL),
              "E_DUPLICATE_PERSON");
    /* The message shows the NIK masked. */
    assert_non_null (strstr (h->message, "3203********0001"));
    assert_null (strstr (h->message, h_nik (1)));
    H_REJECT (h,
              h_event (h, "person.corrected", "nik", h_nik (99), "name",
                       "Siapa", "reason", "salah ketik", NULL),
              "E_UNKNOWN_PERSON");
    H_REJECT (h,
              h_event (h, "person.registered", "nik", h_nik (40), "name",
                       "Baru", "sex", "L", "birth_date", "1990-01-01",
                       "desa_code", "32.03.10.2001", "cooperative",
                       "AHU-0000999.AH.01.26", "role", "KETUA", NULL),
              "E_UNKNOWN_COOPERATIVE");
    H_REJECT (h,
              h_event (h, "person.corrected", "nik", h_nik (1), "cooperative",
                       "AHU-0000999.AH.01.26", "role", "KETUA", "reason",
                       "pindah koperasi", NULL),
              "E_UNKNOWN_COOPERATIVE");
    H_OK (h, h_event (h, "person.corrected", "nik", h_nik (1), "name",
                      "Asep Saepudin", "reason", "salah ketik", NULL));
}

static void test_batch_and_session_rules (void **state)
{
    harness_t *h = *state;
    H_REJECT (h,
              h_event (h, "training.batch_scheduled", "batch", BATCH, "title",
                       "Lagi", "funding", "APBD_KAB", "budget_year", "2023",
                       "venue", "Aula", "venue_desa_code", "32.03.10.2001",
                       "start_date", "2023-06-01", "end_date", "2023-06-02",
                       NULL),
              "E_DUPLICATE_BATCH");
    H_REJECT (h,
              h_event (h, "training.session_scheduled", "batch", "NOPE-1",
                       "session_no", "1", "date", "2023-05-08", "starts",
                       "08:00", "ends", "11:00", "jp", "4", "topic", "Modul",
                       NULL),
              "E_UNKNOWN_BATCH");
    H_REJECT (h,
              h_event (h, "training.session_scheduled", "batch", BATCH,
                       "session_no", "3", "date", "2023-05-11", "starts",
                       "08:00", "ends", "11:00", "jp", "4", "topic", "Modul",
                       NULL),
              "E_SESSION_DATE");
    H_REJECT (h,
              h_event (h, "training.session_scheduled", "batch", BATCH,
                       "session_no", "3", "date", "2023-05-07", "starts",
                       "08:00", "ends", "11:00", "jp", "4", "topic", "Modul",
                       NULL),
              "E_SESSION_DATE");
    /* The batch's last day is within it. */
    H_OK (h,
          h_event (h, "training.session_scheduled", "batch", BATCH,
                   "session_no", "3", "date", "2023-05-10", "starts", "08:00",
                   "ends", "11:00", "jp", "2", "topic", "Modul", NULL));
    H_REJECT (h,
              h_event (h, "training.session_scheduled", "batch", BATCH,
                       "session_no", "3", "date", "2023-05-10", "starts",
                       "13:00", "ends", "15:00", "jp", "2", "topic", "Modul",
                       NULL),
              "E_DUPLICATE_SESSION");
    assert_int_equal (
        h_int (h, "SELECT jp_total FROM batches WHERE batch = '" BATCH "'"),
        10);
}

static void test_batch_full_at_31 (void **state)
{
    harness_t *h = *state;
    for (int n = 4; n <= 30; n++)
        s_enroll (h, n);
    assert_int_equal (
        h_int (h, "SELECT enrolled FROM batches WHERE batch = '" BATCH "'"),
        30);
    H_REJECT (h,
              h_event (h, "training.participant_enrolled", "batch", BATCH,
                       "nik", h_nik (31), "cooperative", COOP, NULL),
              "E_BATCH_FULL");
    assert_string_equal (h->message, "batch " BATCH " already has 30 "
                                     "participants (class_size_max)");
    H_REJECT (h,
              h_event (h, "training.participant_enrolled", "batch", BATCH,
                       "nik", h_nik (1), "cooperative", COOP, NULL),
              "E_ALREADY_ENROLLED");
    /* A withdrawal frees a place. */
    H_OK (h, h_event (h, "training.participant_withdrawn", "batch", BATCH,
                      "nik", h_nik (30), "reason", "pindah tugas", NULL));
    s_enroll (h, 31);
    H_REJECT (h,
              h_event (h, "training.participant_withdrawn", "batch", BATCH,
                       "nik", h_nik (30), "reason", "pindah tugas", NULL),
              "E_NOT_ENROLLED");
    H_REJECT (h,
              h_event (h, "training.participant_enrolled", "batch", BATCH,
                       "nik", h_nik (99), "cooperative", COOP, NULL),
              "E_UNKNOWN_PERSON");
    H_REJECT (h,
              h_event (h, "training.participant_enrolled", "batch", "NOPE-2",
                       "nik", h_nik (32), "cooperative", COOP, NULL),
              "E_UNKNOWN_BATCH");
    assert_int_equal (
        h_int (h, "SELECT enrolled FROM batches WHERE batch = '" BATCH "'"),
        30);
}

static void test_attendance_rules (void **state)
{
    harness_t *h = *state;
    H_REJECT (h, s_attendance (h, 10, "1", "HADIR", "08:00"), "E_NOT_ENROLLED");
    H_REJECT (h, s_attendance (h, 1, "9", "HADIR", "08:00"),
              "E_UNKNOWN_SESSION");
    /* Check-in between 120 minutes before the start and the end. */
    H_REJECT (h, s_attendance (h, 1, "1", "HADIR", "11:01"),
              "E_ATTENDANCE_TIME");
    H_REJECT (h, s_attendance (h, 1, "1", "HADIR", "05:59"),
              "E_ATTENDANCE_TIME");
    H_OK (h, s_attendance (h, 1, "1", "TERLAMBAT", "11:00"));
    H_OK (h, s_attendance (h, 2, "1", "HADIR", "06:00"));
    H_REJECT (h, s_attendance (h, 1, "1", "HADIR", "08:00"),
              "E_DUPLICATE_ATTENDANCE");
    H_REJECT (h,
              h_event (h, "attendance.recorded", "batch", BATCH, "session_no",
                       "2", "nik", h_nik (3), "status", "HADIR", "check_in",
                       "06:30", "check_out", "07:30", "method", "QR", NULL),
              "E_ATTENDANCE_TIME");
    jk_event_t *fix =
        h_event (h, "attendance.corrected", "status", "HADIR", "check_in",
                 "08:00", "reason", "salah centang", NULL);
    fix->has_corrects = true;
    memset (fix->corrects, 0x77, 16);
    H_REJECT (h, fix, "E_UNKNOWN_ATTENDANCE");
    H_OK (h, h_event (h, "training.batch_closed", "batch", BATCH, NULL));
    H_REJECT (h, s_attendance (h, 3, "2", "HADIR", "08:00"), "E_BATCH_CLOSED");
    H_REJECT (h,
              h_event (h, "training.participant_enrolled", "batch", BATCH,
                       "nik", h_nik (20), "cooperative", COOP, NULL),
              "E_BATCH_CLOSED");
    H_REJECT (h, h_event (h, "training.batch_closed", "batch", BATCH, NULL),
              "E_BATCH_CLOSED");
    H_REJECT (h, h_event (h, "training.batch_closed", "batch", "NOPE-3", NULL),
              "E_UNKNOWN_BATCH");
    assert_int_equal (h_int (h, "SELECT count(*) FROM attendance"), 2);
}

static void test_correction_after_close (void **state)
{
    harness_t *h = *state;
    jk_event_t *rec = s_attendance (h, 1, "1", "IZIN", NULL);
    uint8_t id[16];
    memcpy (id, rec->id, 16);
    H_OK (h, rec);
    H_OK (h, h_event (h, "training.batch_closed", "batch", BATCH, NULL));
    jk_event_t *fix =
        h_event (h, "attendance.corrected", "status", "HADIR", "check_in",
                 "08:00", "reason", "salah centang", NULL);
    fix->has_corrects = true;
    memcpy (fix->corrects, id, 16);
    H_REJECT (h, fix, "E_BATCH_CLOSED");
}

/* Decides ev with the store's model (evicting) and with a model loaded
   from the same tables that never evicts: both give the same code and
   message. Consumes ev; returns the code ("" accepted). */
static const char *s_both (harness_t *h, jk_event_t *ev)
{
    static char code[JK_CODE_MAX];
    jk_model_t *keep = jk_model_new (false);
    char err[256] = "";
    if (jk_model_load (keep, h->db, err, sizeof err))
        fail_msg ("load: %s", err);
    jk_report_t a, b;
    jk_report_reset (&a);
    jk_report_reset (&b);
    int rc_a = jk_projections_decide (h->proj, ev, &a);
    int rc_b = jk_model_decide (keep, ev, &b);
    assert_int_equal (rc_a, rc_b);
    assert_string_equal (a.error.code, b.error.code);
    assert_string_equal (a.error.message, b.error.message);
    snprintf (code, sizeof code, "%s", a.error.code);
    jk_model_destroy (&keep);
    jk_event_destroy (&ev);
    return code;
}

static jk_event_t *s_fix (harness_t *h, const uint8_t id[16])
{
    jk_event_t *fix =
        h_event (h, "attendance.corrected", "status", "HADIR", "check_in",
                 "08:00", "reason", "salah centang", NULL);
    fix->has_corrects = true;
    memcpy (fix->corrects, id, 16);
    return fix;
}

static void test_eviction_keeps_codes (void **state)
{
    harness_t *h = *state;
    jk_event_t *rec = s_attendance (h, 1, "1", "HADIR", "08:00");
    uint8_t id[16], unknown[16];
    memcpy (id, rec->id, 16);
    memset (unknown, 0x77, 16);
    H_OK (h, rec);
    H_OK (h, s_attendance (h, 2, "2", "IZIN", NULL));
    jk_model_size_t size;
    jk_model_size (h->proj->model, &size);
    assert_int_equal (size.attendance, 2);
    assert_int_equal (size.evicted, 0);
    /* Open batch: both models agree on every attendance decision. */
    assert_string_equal (s_both (h, s_attendance (h, 1, "1", "HADIR", "08:00")),
                         "E_DUPLICATE_ATTENDANCE");
    assert_string_equal (s_both (h, s_fix (h, unknown)),
                         "E_UNKNOWN_ATTENDANCE");
    assert_string_equal (s_both (h, s_fix (h, id)), "");

    H_OK (h, h_event (h, "training.batch_closed", "batch", BATCH, NULL));
    jk_model_size (h->proj->model, &size);
    assert_int_equal (size.attendance, 0);
    assert_int_equal (size.evicted, 2);
    /* Closed batch: its rows left memory, the codes stay. */
    assert_string_equal (s_both (h, s_attendance (h, 1, "1", "HADIR", "08:00")),
                         "E_BATCH_CLOSED");
    assert_string_equal (s_both (h, s_fix (h, id)), "E_BATCH_CLOSED");
    assert_string_equal (s_both (h, s_fix (h, unknown)),
                         "E_UNKNOWN_ATTENDANCE");
    assert_string_equal (
        s_both (h, h_event (h, "training.batch_closed", "batch", BATCH, NULL)),
        "E_BATCH_CLOSED");

    /* A store restarting loads the model from the tables: the closed
       batch's rows are not loaded, the decisions are the same. */
    jk_projections_destroy (&h->proj);
    char err[256] = "";
    h->proj = jk_projections_new (h->db, NULL, err, sizeof err);
    assert_non_null (h->proj);
    assert_string_equal (s_both (h, s_fix (h, id)), "E_BATCH_CLOSED");
    jk_model_size (h->proj->model, &size);
    assert_int_equal (size.attendance, 0);
    assert_int_equal (size.evicted, 2);
    assert_string_equal (s_both (h, s_fix (h, unknown)),
                         "E_UNKNOWN_ATTENDANCE");
}

static jk_event_t *s_withdraw (harness_t *h, int n)
{
    return h_event (h, "training.participant_withdrawn", "batch", BATCH, "nik",
                    h_nik (n), "reason", "pindah tugas", NULL);
}

static jk_event_t *s_enrolment (harness_t *h, int n)
{
    return h_event (h, "training.participant_enrolled", "batch", BATCH, "nik",
                    h_nik (n), "cooperative", COOP, NULL);
}

/* A closed batch's enrolments leave memory with it; the rules that still
   read them (a withdrawal or enrolment naming the closed batch, a unit
   assessed on an assessment linked to it) read them back from the
   enrollments table and decide exactly as a model that kept them. */
static void test_eviction_of_enrolments (void **state)
{
    harness_t *h = *state;
    /* Person 1 attends all 8 JP, person 2 half; person 3 withdraws. */
    H_OK (h, s_attendance (h, 1, "1", "HADIR", "08:00"));
    H_OK (h, s_attendance (h, 1, "2", "HADIR", "08:00"));
    H_OK (h, s_attendance (h, 2, "1", "HADIR", "08:00"));
    H_OK (h, s_withdraw (h, 3));
    H_OK (h, h_event (h, "training.batch_closed", "batch", BATCH, NULL));
    jk_model_size_t size;
    jk_model_size (h->proj->model, &size);
    assert_int_equal (size.enrollments_left, 3);
    assert_string_equal (s_both (h, s_withdraw (h, 1)), "E_BATCH_CLOSED");
    assert_string_equal (s_both (h, s_withdraw (h, 3)), "E_NOT_ENROLLED");
    assert_string_equal (s_both (h, s_withdraw (h, 9)), "E_NOT_ENROLLED");
    assert_string_equal (s_both (h, s_enrolment (h, 1)), "E_ALREADY_ENROLLED");
    assert_string_equal (s_both (h, s_enrolment (h, 3)), "E_BATCH_CLOSED");
    assert_string_equal (s_both (h, s_unit (h, 1, UNIT_ONE, "K", "ASR-1")), "");
    assert_string_equal (s_both (h, s_unit (h, 2, UNIT_ONE, "K", "ASR-1")),
                         "E_ATTENDANCE_BELOW_MIN");
    assert_string_equal (s_both (h, s_unit (h, 3, UNIT_ONE, "K", "ASR-1")),
                         "E_ATTENDANCE_BELOW_MIN");
    assert_string_equal (s_both (h, s_unit (h, 4, UNIT_ONE, "K", "ASR-1")),
                         "E_ATTENDANCE_BELOW_MIN");
    /* The same after a restart: the closed batch's enrolments are not
       loaded. */
    jk_projections_destroy (&h->proj);
    char err[256] = "";
    h->proj = jk_projections_new (h->db, NULL, err, sizeof err);
    assert_non_null (h->proj);
    assert_string_equal (s_both (h, s_withdraw (h, 1)), "E_BATCH_CLOSED");
    jk_model_size (h->proj->model, &size);
    assert_int_equal (size.enrollments_left, 3);
    assert_string_equal (s_both (h, s_withdraw (h, 3)), "E_NOT_ENROLLED");
    assert_string_equal (s_both (h, s_unit (h, 2, UNIT_ONE, "K", "ASR-1")),
                         "E_ATTENDANCE_BELOW_MIN");
    assert_string_equal (s_both (h, s_unit (h, 1, UNIT_ONE, "K", "ASR-1")), "");
}

/* The enrolments that leave with a closed batch are the ones noted under
   it; an enrolment whose batch the model does not hold (made here behind
   the rules' back) makes eviction walk every enrolment instead, and the
   same 3 leave, no more. */
static void test_eviction_of_enrolments_walk (void **state)
{
    harness_t *h = *state;
    jk_model_t *model = h->proj->model;
    jk_model_size_t before, after;
    for (int walk = 0; walk < 2; walk++) {
        if (walk) {
            /* A second batch, closed the same way, after an enrolment of
               a batch the model does not hold. */
            jk_event_t *loose = h_event (h, "training.participant_enrolled",
                                         "batch", "LAIN-2023-09", "nik",
                                         h_nik (7), "cooperative", COOP, NULL);
            jk_model_apply (model, loose, h->pos);
            jk_event_destroy (&loose);
            H_OK (h, h_event (h, "training.batch_scheduled", "batch",
                              "PK2UMK-2023-02", "title", "Pelatihan Manajer",
                              "funding", "DAK_NF_PK2UMK", "budget_year", "2023",
                              "venue", "Aula Pacet", "venue_desa_code",
                              "32.03.10.2001", "start_date", "2023-05-08",
                              "end_date", "2023-05-10", NULL));
            for (int n = 4; n <= 6; n++)
                H_OK (h, h_event (h, "training.participant_enrolled", "batch",
                                  "PK2UMK-2023-02", "nik", h_nik (n),
                                  "cooperative", COOP, NULL));
        }
        jk_model_size (model, &before);
        H_OK (h, h_event (h, "training.batch_closed", "batch",
                          walk ? "PK2UMK-2023-02" : BATCH, NULL));
        jk_model_size (model, &after);
        assert_int_equal (after.enrollments_left, 3 * (walk + 1));
        assert_int_equal (before.entries - after.entries, 3);
    }
    assert_string_equal (s_both (h, s_withdraw (h, 1)), "E_BATCH_CLOSED");
    assert_string_equal (
        s_both (h, h_event (h, "training.participant_withdrawn", "batch",
                            "PK2UMK-2023-02", "nik", h_nik (5), "reason",
                            "pindah tugas", NULL)),
        "E_BATCH_CLOSED");
    assert_string_equal (
        s_both (h, h_event (h, "training.participant_enrolled", "batch",
                            "PK2UMK-2023-02", "nik", h_nik (4), "cooperative",
                            COOP, NULL)),
        "E_ALREADY_ENROLLED");
}

/* An attendance row put again for the same batch, session and NIK
   (which the rules refuse: applied here behind their back) replaces the
   first whole: one row counted, the first id no longer known to a
   correction, the second one is. */
static void test_attendance_replaced (void **state)
{
    harness_t *h = *state;
    jk_model_t *model = h->proj->model;
    jk_event_t *first = s_attendance (h, 1, "1", "IZIN", NULL);
    uint8_t first_id[16], second_id[16];
    memcpy (first_id, first->id, 16);
    H_OK (h, first);
    jk_event_t *again = s_attendance (h, 1, "1", "HADIR", "08:00");
    memcpy (second_id, again->id, 16);
    jk_model_apply (model, again, h->pos + 1);
    jk_event_destroy (&again);
    jk_model_size_t size;
    jk_model_size (model, &size);
    assert_int_equal (size.attendance, 1);
    jk_report_t report;
    jk_event_t *fix = s_fix (h, first_id);
    jk_report_reset (&report);
    assert_int_not_equal (jk_model_decide (model, fix, &report), 0);
    assert_string_equal (report.error.code, "E_UNKNOWN_ATTENDANCE");
    jk_event_destroy (&fix);
    fix = s_fix (h, second_id);
    jk_report_reset (&report);
    assert_int_equal (jk_model_decide (model, fix, &report), 0);
    jk_event_destroy (&fix);
    /* Closing the batch evicts the one row. */
    H_OK (h, h_event (h, "training.batch_closed", "batch", BATCH, NULL));
    jk_model_size (model, &size);
    assert_int_equal (size.attendance, 0);
    assert_int_equal (size.evicted, 1);
}

/* The hours of nik's enrolment in BATCH in model, -1 when it has none. */
static int64_t s_jp_attended (jk_model_t *model, int n)
{
    char key[KEY_MAX];
    jk_model_enrollment_t *e = jk_model_map_lookup (
        model->enrollments,
        s_key (key, jk_str_of (BATCH), jk_str_of (h_nik (n)), NONE));
    return e ? e->jp_attended : -1;
}

/* The hours of nik's attendance row at a session of BATCH, -1 when none. */
static int64_t s_row_jp (jk_model_t *model, int64_t session_no, int n)
{
    jk_str_t batch = jk_str_of (BATCH);
    jk_model_attendance_t *a =
        jk_model_attendance_in (model, jk_model_batch (model, batch), batch,
                                session_no, jk_str_of (h_nik (n)));
    return a ? a->jp : -1;
}

/* An attendance.recorded applied right after its decide (which hands
   the apply the batch, session and enrolment it found) changes the
   model exactly as one applied alone (as load, rebuild and the board's
   replica apply it); an event changed between its decide and its apply
   (another id and NIK in the same object) is applied as what it is. */
static void test_attendance_apply_after_decide (void **state)
{
    harness_t *h = *state;
    char err[256] = "";
    jk_model_t *decided = jk_model_new (true), *alone = jk_model_new (true);
    assert_int_equal (jk_model_load (decided, h->db, err, sizeof err), 0);
    assert_int_equal (jk_model_load (alone, h->db, err, sizeof err), 0);
    jk_event_t *ev[2] = {s_attendance (h, 1, "1", "HADIR", "08:00"),
                         s_attendance (h, 2, "2", "IZIN", NULL)};
    for (int i = 0; i < 2; i++) {
        jk_report_t report;
        jk_report_reset (&report);
        assert_int_equal (jk_model_decide (decided, ev[i], &report), 0);
        jk_model_apply (decided, ev[i], 100 + (uint64_t)i);
        jk_model_apply (alone, ev[i], 100 + (uint64_t)i);
        jk_event_destroy (&ev[i]);
    }
    for (int k = 0; k < 2; k++) {
        jk_model_t *m = k ? alone : decided;
        assert_int_equal (s_row_jp (m, 1, 1), 4);
        assert_int_equal (s_row_jp (m, 2, 2), 0);
        assert_int_equal (s_jp_attended (m, 1), 4);
        assert_int_equal (s_jp_attended (m, 2), 0);
        assert_int_equal (s_jp_attended (m, 3), 0);
    }
    /* Decided for NIK 3, applied as a new event for NIK 2. */
    jk_event_t *moved = s_attendance (h, 3, "1", "HADIR", "08:00");
    jk_report_t report;
    jk_report_reset (&report);
    assert_int_equal (jk_model_decide (decided, moved, &report), 0);
    jk_uuid_v7 (moved->id);
    assert_int_equal (jk_event_set (moved, "nik", h_nik (2), &report), 0);
    jk_model_apply (decided, moved, 102);
    jk_event_destroy (&moved);
    assert_int_equal (s_row_jp (decided, 1, 2), 4);
    assert_int_equal (s_row_jp (decided, 1, 3), -1);
    assert_int_equal (s_jp_attended (decided, 2), 4);
    assert_int_equal (s_jp_attended (decided, 3), 0);
    jk_model_size_t size;
    jk_model_size (decided, &size);
    assert_int_equal (size.attendance, 3);
    jk_model_destroy (&decided);
    jk_model_destroy (&alone);
}

/* People beyond the bound leave memory oldest first and are looked up in
   the people table: every person rule decides as before. */
static void test_eviction_of_people (void **state)
{
    harness_t *h = *state;
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_t *probe = s_withdraw (h, 1); /* loads the model */
    assert_int_equal (jk_projections_decide (h->proj, probe, &report), 0);
    jk_event_destroy (&probe);
    jk_model_set_people_max (h->proj->model, 4);
    for (int n = 40; n < 60; n++)
        s_person (h, n);
    jk_model_size_t size;
    jk_model_size (h->proj->model, &size);
    /* 32 + 20 registered, at most two generations of 4 in memory. */
    assert_true (size.people <= 8);
    assert_int_equal (size.people + size.people_left, 52);
    for (int n = 1; n < 60; n += 3) {
        bool known = n <= 32 || n >= 40;
        jk_event_t *again =
            h_event (h, "person.registered", "nik", h_nik (n), "name", "Lagi",
                     "sex", "L", "birth_date", "1990-01-01", "desa_code",
                     "32.03.10.2001", NULL);
        assert_string_equal (s_both (h, again),
                             known ? "E_DUPLICATE_PERSON" : "");
        jk_event_t *fix =
            h_event (h, "person.corrected", "nik", h_nik (n), "name", "Baru",
                     "reason", "salah ketik", NULL);
        assert_string_equal (s_both (h, fix), known ? "" : "E_UNKNOWN_PERSON");
    }
    /* A duplicate of a person dropped from memory is still rejected, and
       logged with its code. */
    H_REJECT (h,
              h_event (h, "person.registered", "nik", h_nik (41), "name",
                       "Dua Kali", "sex", "L", "birth_date", "1990-01-01",
                       "desa_code", "32.03.10.2001", NULL),
              "E_DUPLICATE_PERSON");
    /* A model whose tables lag behind it (a projector that has written
       up to an earlier position): nobody it applied after that position
       leaves memory, so people not yet in the table are still known. */
    jk_model_t *ahead = jk_model_new (true);
    char err[256] = "";
    if (jk_model_load (ahead, h->db, err, sizeof err))
        fail_msg ("load: %s", err);
    jk_model_set_people_max (ahead, 4);
    jk_model_written (ahead, h->pos);
    for (int n = 60; n < 72; n++) {
        jk_event_t *ev =
            h_event (h, "person.registered", "nik", h_nik (n), "name", "Baru",
                     "sex", "L", "birth_date", "1990-01-01", "desa_code",
                     "32.03.10.2001", NULL);
        jk_model_apply (ahead, ev, h->pos + (uint64_t)n);
        jk_event_destroy (&ev);
    }
    jk_model_size (ahead, &size);
    assert_true (size.people >= 12);
    assert_int_equal (size.people + size.people_left, 52 + 12);
    for (int n = 40; n < 72; n++) {
        jk_event_t *again =
            h_event (h, "person.registered", "nik", h_nik (n), "name", "Lagi",
                     "sex", "L", "birth_date", "1990-01-01", "desa_code",
                     "32.03.10.2001", NULL);
        jk_report_reset (&report);
        assert_int_equal (jk_model_decide (ahead, again, &report), -1);
        assert_string_equal (report.error.code, "E_DUPLICATE_PERSON");
        jk_event_destroy (&again);
    }
    jk_model_destroy (&ahead);
}

/* The decision of ev by model: its code ("" when accepted). */
static const char *s_decide (jk_model_t *model, jk_event_t *ev)
{
    static char code[JK_CODE_MAX];
    jk_report_t report;
    jk_report_reset (&report);
    int rc = jk_model_decide (model, ev, &report);
    snprintf (code, sizeof code, "%s", rc == 0 ? "" : report.error.code);
    jk_event_destroy (&ev);
    return code;
}

/* A model loaded from tables holding more people than one generation
   reads one generation only (the start's time is the bound's, not the
   table's); the people left in the table, a NIK of another shape among
   them, are found there: every person rule decides as with all loaded. */
static void test_bounded_load (void **state)
{
    harness_t *h = *state;
    for (int n = 40; n < 60; n++)
        s_person (h, n);
    /* A row no event could write (15 digits), as an old table may hold. */
    assert_int_equal (sqlite3_exec (h->db,
                                    "INSERT INTO people (nik, name, sex,"
                                    " birth_date, desa_code, registered_pos,"
                                    " updated_pos) VALUES ('999999999999999',"
                                    " 'Lama', 'L', '1990-01-01',"
                                    " '32.03.10.2001', 1, 1)",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    jk_model_t *model = jk_model_new (true);
    jk_model_set_people_max (model, 4);
    char err[256] = "";
    if (jk_model_load (model, h->db, err, sizeof err))
        fail_msg ("load: %s", err);
    jk_model_written (model, h->pos);
    jk_model_size_t size;
    jk_model_size (model, &size);
    assert_int_equal (size.people, 4);
    for (int n = 1; n < 64; n++) {
        bool known = n <= 32 || (n >= 40 && n < 60);
        jk_event_t *again =
            h_event (h, "person.registered", "nik", h_nik (n), "name", "Lagi",
                     "sex", "L", "birth_date", "1990-01-01", "desa_code",
                     "32.03.10.2001", NULL);
        assert_string_equal (s_decide (model, again),
                             known ? "E_DUPLICATE_PERSON" : "");
        jk_event_t *fix =
            h_event (h, "person.corrected", "nik", h_nik (n), "name", "Baru",
                     "reason", "salah ketik", NULL);
        assert_string_equal (s_decide (model, fix),
                             known ? "" : "E_UNKNOWN_PERSON");
    }
    jk_event_t *odd = h_event (h, "person.corrected", "nik", "999999999999999",
                               "name", "Baru", "reason", "salah ketik", NULL);
    assert_string_equal (s_decide (model, odd), "");
    jk_model_destroy (&model);
}

static void test_assessment_rules (void **state)
{
    harness_t *h = *state;
    H_REJECT (h,
              h_event (h, "assessment.scheduled", "assessment", EXAM,
                       "scheme_code", "SKM-1", "scheme_title", "Lagi", "units",
                       "U=Unit", "date", "2023-05-11", "lsp", "LSP",
                       "assessors", "ASR-1", NULL),
              "E_DUPLICATE_ASSESSMENT");
    H_REJECT (h,
              h_event (h, "assessment.scheduled", "assessment", "UK-X",
                       "scheme_code", "SKM-1", "scheme_title", "Lagi", "units",
                       "U=Unit", "date", "2023-05-11", "batch", "NOPE-4", "lsp",
                       "LSP", "assessors", "ASR-1", NULL),
              "E_UNKNOWN_BATCH");
    H_REJECT (h,
              h_event (h, "assessment.unit_assessed", "assessment", "UK-NOPE",
                       "nik", h_nik (1), "unit", UNIT_ONE, "methods", "WRITTEN",
                       "verdict", "K", "assessor", "ASR-1", NULL),
              "E_UNKNOWN_ASSESSMENT");
    /* Person 1 attends 4 of 8 JP (50%), person 2 all 8. */
    H_OK (h, s_attendance (h, 1, "1", "HADIR", "08:00"));
    H_OK (h, s_attendance (h, 1, "2", "IZIN", NULL));
    H_OK (h, s_attendance (h, 2, "1", "HADIR", "08:00"));
    H_OK (h, s_attendance (h, 2, "2", "TERLAMBAT", "08:30"));
    H_REJECT (h, s_unit (h, 2, "K.000", "K", "ASR-1"), "E_UNKNOWN_UNIT");
    H_REJECT (h, s_unit (h, 2, UNIT_ONE, "K", "ASR-9"), "E_UNKNOWN_ASSESSOR");
    H_REJECT (h, s_unit (h, 99, UNIT_ONE, "K", "ASR-1"), "E_UNKNOWN_PERSON");
    H_REJECT (h, s_unit (h, 1, UNIT_ONE, "K", "ASR-1"),
              "E_ATTENDANCE_BELOW_MIN");
    assert_non_null (strstr (h->message, "50.00%"));
    H_REJECT (h, s_unit (h, 10, UNIT_ONE, "K", "ASR-1"),
              "E_ATTENDANCE_BELOW_MIN");
    H_OK (h, s_unit (h, 2, UNIT_ONE, "K", "ASR-1"));

    /* K needs every unit's latest verdict K. */
    H_REJECT (h,
              h_event (h, "assessment.decided", "assessment", EXAM, "nik",
                       h_nik (2), "verdict", "K", NULL),
              "E_VERDICT_UNITS");
    assert_non_null (strstr (h->message, "not assessed"));
    H_OK (h, s_unit (h, 2, UNIT_TWO, "BK", "ASR-2"));
    H_REJECT (h,
              h_event (h, "assessment.decided", "assessment", EXAM, "nik",
                       h_nik (2), "verdict", "K", NULL),
              "E_VERDICT_UNITS");
    assert_non_null (strstr (h->message, "latest verdict is BK"));
    H_REJECT (h,
              h_event (h, "certificate.issued", "number", "C-1", "nik",
                       h_nik (2), "assessment", EXAM, "issued_on", "2023-05-20",
                       NULL),
              "E_NOT_COMPETENT");
    H_OK (h, s_unit (h, 2, UNIT_TWO, "K", "ASR-2"));
    H_OK (h, h_event (h, "assessment.decided", "assessment", EXAM, "nik",
                      h_nik (2), "verdict", "K", NULL));

    H_REJECT (h,
              h_event (h, "certificate.issued", "number", "C-1", "nik",
                       h_nik (2), "assessment", EXAM, "issued_on", "2023-05-10",
                       NULL),
              "E_CERTIFICATE_DATE");
    H_OK (h,
          h_event (h, "certificate.issued", "number", "C-1", "nik", h_nik (2),
                   "assessment", EXAM, "issued_on", "2023-05-20", NULL));
    H_REJECT (h,
              h_event (h, "certificate.issued", "number", "C-1", "nik",
                       h_nik (2), "assessment", EXAM, "issued_on", "2023-05-20",
                       NULL),
              "E_DUPLICATE_CERTIFICATE");
    H_REJECT (h,
              h_event (h, "certificate.issued", "number", "C-2", "nik",
                       h_nik (2), "assessment", EXAM, "issued_on", "2023-05-20",
                       NULL),
              "E_DUPLICATE_CERTIFICATE");
    H_REJECT (h,
              h_event (h, "certificate.revoked", "number", "C-404", "reason",
                       "tidak ada", NULL),
              "E_UNKNOWN_CERTIFICATE");
    H_OK (h, h_event (h, "certificate.revoked", "number", "C-1", "reason",
                      "dokumen palsu", NULL));
    H_REJECT (h,
              h_event (h, "certificate.revoked", "number", "C-1", "reason",
                       "dokumen palsu", NULL),
              "E_ALREADY_REVOKED");
    /* After revocation a new certificate may be issued. */
    H_OK (h,
          h_event (h, "certificate.issued", "number", "C-2", "nik", h_nik (2),
                   "assessment", EXAM, "issued_on", "2023-06-20", NULL));
}

static void test_rejections_recorded (void **state)
{
    harness_t *h = *state;
    uint64_t before = h->pos;
    H_REJECT (h, h_event (h, "training.batch_closed", "batch", "NOPE-5", NULL),
              "E_UNKNOWN_BATCH");
    char sql[200];
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM rejections WHERE pos = %llu AND code ="
              " 'E_UNKNOWN_BATCH' AND type = 'training.batch_closed' AND"
              " source = '32.03.10/test-1' AND seq = %llu AND length (bytes)"
              " > 20",
              (unsigned long long)before + 1, (unsigned long long)h->seq);
    assert_int_equal (h_int (h, sql), 1);
    /* The rejection used up its seq: the source's next seq moves on. */
    assert_int_equal (h_int (h, "SELECT next_seq FROM sources"),
                      (int64_t)h->seq + 1);
    assert_int_equal (h_int (h, "SELECT rejected FROM sources"), 1);
    assert_int_equal (h_int (h, "SELECT accepted FROM sources"),
                      (int64_t)h->seq - 1);
    assert_int_equal (jk_projections_last_pos (h->db), (int64_t)h->pos);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_cooperative_rules, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_person_rules, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_and_session_rules, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_full_at_31, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_attendance_rules, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_correction_after_close, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_eviction_keeps_codes, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_eviction_of_enrolments, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_eviction_of_enrolments_walk,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_attendance_replaced, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_attendance_apply_after_decide,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bounded_load, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_eviction_of_people, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_assessment_rules, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_rejections_recorded, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
