/*  test_projections_deferred.c - deferred mode (write-behind counters,
    jk_projections_set_deferred/flush/discard) gives the same decisions and
    byte for byte the same dump as writing through, with flushes at odd
    batch boundaries and a rolled-back batch in the middle; and the same
    dump when the records are only applied, with the decisions given (as
    rebuild, the projector and the board's replica do: no model reads the
    tables, so enrolments' attendance hours wait for the flush too). */
#include "projections_harness.h"
#include "workload.h"

#include <sqlite3.h>

#define EVENTS 3000
#define BATCH  97 /* events per transaction in deferred mode */

/* One generated event's bytes. */
typedef struct {
    uint8_t *bytes;
    size_t size;
} record_t;

/* Applies r at pos on h (the same way in every mode). With decide, h
   decides it first and code gets the rejection code, or "" when
   accepted (and message the rejection's message when given); without,
   code and message are the decision already made, as a rebuild has it. */
static const char *s_record (harness_t *h, const record_t *r, uint64_t pos,
                             bool decide, char code[JK_CODE_MAX], char *message)
{
    jk_report_t report, decision;
    jk_report_reset (&decision);
    jk_event_t *ev = jk_event_decode (r->bytes, r->size, &report);
    assert_non_null (ev);
    if (jk_event_validate (ev, &h->context, &report) != 0)
        fail_msg ("%s: %s", report.error.code, report.error.message);
    jk_applied_t applied = {.pos = pos,
                            .recorded_at = h->context.now_ms,
                            .warnings = &report,
                            .bytes = r->bytes,
                            .size = r->size};
    if (decide) {
        int rc = jk_projections_decide (h->proj, ev, &decision);
        assert_true (rc == 0 || rc == -1);
        snprintf (code, JK_CODE_MAX, "%s", rc == -1 ? decision.error.code : "");
        if (message)
            snprintf (message, JK_MESSAGE_MAX, "%s", decision.error.message);
    }
    if (code[0])
        assert_int_equal (jk_projections_apply_rejection (
                              h->proj, NULL, ev, code,
                              decide ? decision.error.message : message,
                              &applied),
                          JK_OK);
    else
        assert_int_equal (jk_projections_apply (h->proj, ev, &applied), JK_OK);
    jk_event_destroy (&ev);
    return code;
}

/* Decides and applies r at pos on h; code gets the rejection code, or ""
   when accepted. */
static const char *s_step (harness_t *h, const record_t *r, uint64_t pos,
                           char code[JK_CODE_MAX])
{
    return s_record (h, r, pos, true, code, NULL);
}

/* The records applied in transactions of batch records, deferred, the
   third transaction rolled back and discarded once; returns the dump. */
static char *s_applied_dump (const record_t *records, size_t n,
                             char (*codes)[JK_CODE_MAX],
                             char (*messages)[JK_MESSAGE_MAX], int64_t now,
                             size_t batch, const char *tag)
{
    harness_t h;
    h_open (&h, tag, NULL);
    h.context.now_ms = now;
    jk_projections_set_deferred (h.proj, true);
    for (size_t from = 0; from < n; from += batch) {
        size_t to = from + batch < n ? from + batch : n;
        int tries = from / batch == 2 ? 2 : 1;
        for (int t = 0; t < tries; t++) {
            assert_int_equal (sqlite3_exec (h.db, "BEGIN", NULL, NULL, NULL),
                              SQLITE_OK);
            for (size_t i = from; i < to; i++)
                s_record (&h, &records[i], i + 1, false, codes[i], messages[i]);
            if (t + 1 < tries) {
                assert_int_equal (
                    sqlite3_exec (h.db, "ROLLBACK", NULL, NULL, NULL),
                    SQLITE_OK);
                jk_projections_discard (h.proj);
                continue;
            }
            assert_int_equal (jk_projections_flush (h.proj), JK_OK);
            assert_int_equal (sqlite3_exec (h.db, "COMMIT", NULL, NULL, NULL),
                              SQLITE_OK);
        }
    }
    char *dump = h_dump (&h);
    h_close (&h);
    return dump;
}

static void test_deferred_equals_write_through (void **state)
{
    (void)state;
    jk_workload_config_t config = {.events = EVENTS, .reject_share = 0.05};
    jk_workload_t *workload = jk_workload_new (1234, &config);
    int64_t now = jk_workload_end_ms (workload) + 1000;
    record_t *records = jk_calloc (EVENTS, sizeof *records);
    size_t n = 0;
    jk_event_t *ev;
    while ((ev = jk_workload_next (workload))) {
        records[n].bytes = jk_event_encode (ev, &records[n].size);
        jk_event_destroy (&ev);
        n++;
    }
    assert_int_equal (n, EVENTS);

    harness_t through, deferred;
    h_open (&through, "deferred-through", NULL);
    h_open (&deferred, "deferred-batched", NULL);
    through.context.now_ms = deferred.context.now_ms = now;
    jk_projections_set_deferred (deferred.proj, true);
    char (*codes)[JK_CODE_MAX] = jk_calloc (n, JK_CODE_MAX);
    char (*messages)[JK_MESSAGE_MAX] = jk_calloc (n, JK_MESSAGE_MAX);

    assert_int_equal (sqlite3_exec (through.db, "BEGIN", NULL, NULL, NULL),
                      SQLITE_OK);
    for (size_t i = 0; i < n; i++)
        s_record (&through, &records[i], i + 1, true, codes[i], messages[i]);
    assert_int_equal (sqlite3_exec (through.db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);

    size_t rolled_back = 0, rejected = 0;
    for (size_t from = 0; from < n; from += BATCH) {
        size_t to = from + BATCH < n ? from + BATCH : n;
        /* The fifth batch is applied once, rolled back and discarded,
           then applied again: nothing of the first try may remain. */
        int tries = from / BATCH == 4 ? 2 : 1;
        for (int t = 0; t < tries; t++) {
            assert_int_equal (
                sqlite3_exec (deferred.db, "BEGIN", NULL, NULL, NULL),
                SQLITE_OK);
            for (size_t i = from; i < to; i++) {
                char code[JK_CODE_MAX];
                s_step (&deferred, &records[i], i + 1, code);
                assert_string_equal (code, codes[i]);
                rejected += t + 1 == tries && code[0];
            }
            if (t + 1 < tries) {
                assert_int_equal (
                    sqlite3_exec (deferred.db, "ROLLBACK", NULL, NULL, NULL),
                    SQLITE_OK);
                jk_projections_discard (deferred.proj);
                rolled_back += to - from;
                continue;
            }
            assert_int_equal (jk_projections_flush (deferred.proj), JK_OK);
            assert_int_equal (
                sqlite3_exec (deferred.db, "COMMIT", NULL, NULL, NULL),
                SQLITE_OK);
        }
    }
    assert_int_equal (rolled_back, BATCH);
    assert_true (rejected > EVENTS / 50);
    /* Flushing with nothing pending writes nothing and succeeds. */
    assert_int_equal (jk_projections_flush (deferred.proj), JK_OK);
    assert_int_equal (h_int (&deferred, "SELECT sum (accepted + rejected)"
                                        " FROM sources"),
                      (int64_t)n);
    assert_int_equal (h_int (&deferred, "SELECT max (last_pos) FROM sources"),
                      (int64_t)n);

    char *a = h_dump (&through), *b = h_dump (&deferred);
    assert_true (strlen (a) > 10000);
    assert_string_equal (a, b);
    free (b);
    /* Applied only, in small and in large transactions (a person's hours
       of many sessions then wait as one). */
    size_t sizes[] = {BATCH, 1000};
    for (int k = 0; k < 2; k++) {
        b = s_applied_dump (records, n, codes, messages, now, sizes[k],
                            k ? "deferred-applied-1000" : "deferred-applied");
        assert_string_equal (a, b);
        free (b);
    }
    free (a);
    free (codes);
    free (messages);
    for (size_t i = 0; i < n; i++)
        free (records[i].bytes);
    free (records);
    h_close (&deferred);
    h_close (&through);
    jk_workload_destroy (&workload);
}

#define COOP "AHU-0000123.AH.01.26"

/* One event decided and applied inside the caller's transaction; returns
   the rejection code, or "" when accepted. */
static const char *s_one (harness_t *h, jk_event_t *ev, char code[JK_CODE_MAX])
{
    size_t size;
    record_t r;
    r.bytes = jk_event_encode (ev, &size);
    r.size = size;
    jk_event_destroy (&ev);
    s_step (h, &r, ++h->pos, code);
    free (r.bytes);
    return code;
}

/* Steps records [0, n) through `through` (each accepted: codes[i] ""),
   then opens `deferred` by name in deferred mode and applies the same
   records with the same outcomes in one open transaction, which the
   caller flushes and commits. */
static void s_defer_open (harness_t *through, harness_t *deferred,
                          const char *name, record_t *records, size_t n,
                          char (*codes)[JK_CODE_MAX],
                          char (*messages)[JK_MESSAGE_MAX])
{
    for (size_t i = 0; i < n; i++) {
        s_step (through, &records[i], i + 1, codes[i]);
        assert_string_equal (codes[i], "");
        messages[i][0] = 0;
    }
    h_open (deferred, name, NULL);
    deferred->context.now_ms = through->context.now_ms;
    jk_projections_set_deferred (deferred->proj, true);
    assert_int_equal (sqlite3_exec (deferred->db, "BEGIN", NULL, NULL, NULL),
                      SQLITE_OK);
    for (size_t i = 0; i < n; i++)
        s_record (deferred, &records[i], i + 1, false, codes[i], messages[i]);
}

static jk_event_t *s_person (harness_t *h, int n)
{
    return h_event (h, "person.registered", "nik", h_nik (n), "name",
                    "Asep Sunandar", "sex", "L", "birth_date", "1990-01-01",
                    "desa_code", "32.03.10.2001", "cooperative", COOP, "role",
                    "ANGGOTA", NULL);
}

/* A cooperative registered under legal (Koperasi Maju, 22 members). */
static jk_event_t *s_cooperative (harness_t *h, const char *legal)
{
    return h_event (h, "cooperative.registered", "legal_number", legal,
                    "legal_date", "2001-05-01", "name", "Koperasi Maju", "form",
                    "PRIMER", "kind", "SIMPAN_PINJAM", "pattern",
                    "KONVENSIONAL", "desa_code", "32.03.10.2001",
                    "members_male", "10", "members_female", "12", NULL);
}

/* Decide's cooperative cache: a cooperative registered and looked up in a
   transaction that is rolled back is unknown again after discard, and
   one committed stays known across flushes. */
static void test_deferred_cache_after_rollback (void **state)
{
    (void)state;
    harness_t h;
    h_open (&h, "deferred-rollback", NULL);
    jk_projections_set_deferred (h.proj, true);
    char code[JK_CODE_MAX];
    for (int round = 0; round < 2; round++) {
        assert_int_equal (sqlite3_exec (h.db, "BEGIN", NULL, NULL, NULL),
                          SQLITE_OK);
        assert_string_equal (s_one (&h, s_cooperative (&h, COOP), code), "");
        /* Served from the cache the second time. */
        assert_string_equal (s_one (&h, s_person (&h, 1), code), "");
        assert_string_equal (s_one (&h, s_person (&h, 2), code), "");
        if (round == 0) {
            assert_int_equal (sqlite3_exec (h.db, "ROLLBACK", NULL, NULL, NULL),
                              SQLITE_OK);
            jk_projections_discard (h.proj);
            h.pos -= 3;
            assert_int_equal (sqlite3_exec (h.db, "BEGIN", NULL, NULL, NULL),
                              SQLITE_OK);
            assert_string_equal (s_one (&h, s_person (&h, 3), code),
                                 "E_UNKNOWN_COOPERATIVE");
            assert_int_equal (sqlite3_exec (h.db, "ROLLBACK", NULL, NULL, NULL),
                              SQLITE_OK);
            jk_projections_discard (h.proj);
            h.pos -= 1;
            continue;
        }
        assert_int_equal (jk_projections_flush (h.proj), JK_OK);
        assert_int_equal (sqlite3_exec (h.db, "COMMIT", NULL, NULL, NULL),
                          SQLITE_OK);
    }
    assert_int_equal (sqlite3_exec (h.db, "BEGIN", NULL, NULL, NULL),
                      SQLITE_OK);
    assert_string_equal (s_one (&h, s_person (&h, 4), code), "");
    assert_string_equal (
        s_one (&h,
               h_event (&h, "cooperative.registered", "legal_number", COOP,
                        "legal_date", "2001-05-01", "name", "Lagi", "form",
                        "PRIMER", "kind", "SIMPAN_PINJAM", "pattern",
                        "KONVENSIONAL", "desa_code", "32.03.10.2001",
                        "members_male", "10", "members_female", "12", NULL),
               code),
        "E_DUPLICATE_COOPERATIVE");
    assert_int_equal (jk_projections_flush (h.proj), JK_OK);
    assert_int_equal (sqlite3_exec (h.db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (h_int (&h, "SELECT count(*) FROM people"), 3);
    assert_int_equal (h_int (&h, "SELECT count(*) FROM cooperatives"), 1);
    assert_int_equal (h_int (&h, "SELECT registered_pos FROM cooperatives"), 1);
    h_close (&h);
}

#define TRAINING "PK2UMK-2023-07"

/* Encodes ev into the next free slot of records (ev consumed). */
static void s_keep (record_t *records, size_t *n, jk_event_t *ev)
{
    records[*n].bytes = jk_event_encode (ev, &records[*n].size);
    jk_event_destroy (&ev);
    (*n)++;
}

static jk_event_t *s_session (harness_t *h, const char *no, const char *date,
                              const char *jp)
{
    return h_event (h, "training.session_scheduled", "batch", TRAINING,
                    "session_no", no, "date", date, "starts", "08:00", "ends",
                    "09:30", "jp", jp, "topic", "Modul", NULL);
}

static jk_event_t *s_present (harness_t *h, int n, const char *session)
{
    return h_event (h, "attendance.recorded", "batch", TRAINING, "session_no",
                    session, "nik", h_nik (n), "status", "HADIR", "method",
                    "PAPER", "check_in", "07:55", NULL);
}

/* A session scheduled after attendance (the batch's jp_total moves under
   hours still pending), then a withdrawal, then another session, all in
   one deferred transaction without decisions: every enrolment's % and
   eligibility, the batch's counters and the whole dump equal writing
   each event through. The batch's % is then recomputed once, at flush,
   with each row's pending hours. */
static void test_deferred_session_after_attendance (void **state)
{
    (void)state;
    harness_t through, deferred;
    h_open (&through, "deferred-session-through", NULL);
    record_t records[24];
    size_t n = 0;
    harness_t *h = &through; /* events are built with its seq */
    s_keep (records, &n, s_cooperative (h, COOP));
    for (int p = 1; p <= 3; p++)
        s_keep (records, &n, s_person (h, p));
    s_keep (records, &n,
            h_event (h, "training.batch_scheduled", "batch", TRAINING, "title",
                     "Pelatihan Manajer", "funding", "DAK_NF_PK2UMK",
                     "budget_year", "2023", "venue", "Aula Pacet",
                     "venue_desa_code", "32.03.10.2001", "start_date",
                     "2023-05-08", "end_date", "2023-05-12",
                     "min_attendance_pct", "75", NULL));
    s_keep (records, &n, s_session (h, "1", "2023-05-08", "4"));
    for (int p = 1; p <= 3; p++)
        s_keep (records, &n,
                h_event (h, "training.participant_enrolled", "batch", TRAINING,
                         "nik", h_nik (p), "cooperative", COOP, NULL));
    s_keep (records, &n, s_present (h, 1, "1"));
    s_keep (records, &n, s_present (h, 2, "1"));
    s_keep (records, &n, s_session (h, "2", "2023-05-09", "2"));
    s_keep (records, &n, s_present (h, 1, "2"));
    s_keep (records, &n,
            h_event (h, "training.participant_withdrawn", "batch", TRAINING,
                     "nik", h_nik (2), "reason", "pindah tugas", NULL));
    s_keep (records, &n, s_session (h, "3", "2023-05-10", "2"));

    char codes[24][JK_CODE_MAX], messages[24][JK_MESSAGE_MAX];
    s_defer_open (&through, &deferred, "deferred-session-applied", records, n,
                  codes, messages);
    /* Nothing of the batch is written before the flush. */
    assert_int_equal (h_int (&deferred, "SELECT enrolled * 1000 + sessions"
                                        " * 100 + jp_total FROM batches"),
                      0);
    assert_int_equal (jk_projections_flush (deferred.proj), JK_OK);
    assert_int_equal (sqlite3_exec (deferred.db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    /* 3 enrolled, 1 withdrawn, 3 sessions of 4 + 2 + 2 JP. */
    assert_int_equal (h_int (&deferred, "SELECT enrolled * 1000 + withdrawn"
                                        " * 100 + sessions * 10 + jp_total"
                                        " FROM batches"),
                      2 * 1000 + 100 + 30 + 8);
    /* Person 1: 6 of 8 JP, 75 %: eligible at the minimum; person 2: 4 of
       8, withdrawn; person 3: none. */
    char sql[200];
    int64_t expect[3][3] = {{6, 7500, 1}, {4, 5000, 0}, {0, 0, 0}};
    for (int p = 1; p <= 3; p++) {
        snprintf (sql, sizeof sql,
                  "SELECT jp_attended * 1000000 + CAST (attendance_pct * 100"
                  " AS INTEGER) * 10 + eligible FROM enrollments"
                  " WHERE nik = '%s'",
                  h_nik (p));
        assert_int_equal (h_int (&deferred, sql), expect[p - 1][0] * 1000000 +
                                                      expect[p - 1][1] * 10 +
                                                      expect[p - 1][2]);
    }
    char *a = h_dump (&through), *b = h_dump (&deferred);
    assert_string_equal (a, b);
    free (a);
    free (b);
    for (size_t i = 0; i < n; i++)
        free (records[i].bytes);
    h_close (&deferred);
    h_close (&through);
}

/* A person's registration held until the flush (deferred mode, applied
   only): a person registered and enrolled in the same transaction is
   written once, with the counter; one registered and then corrected is
   written before the correction; one registered only is written at the
   flush with its counters at 0. The dump equals writing through, and a
   NIK registered twice in one transaction fails as its second INSERT
   did. */
static void test_deferred_person_held (void **state)
{
    (void)state;
    harness_t through, deferred;
    h_open (&through, "deferred-held-through", NULL);
    record_t records[16];
    size_t n = 0;
    harness_t *h = &through;
    s_keep (records, &n, s_cooperative (h, COOP));
    for (int p = 1; p <= 3; p++)
        s_keep (records, &n, s_person (h, p));
    s_keep (records, &n,
            h_event (h, "person.corrected", "nik", h_nik (1), "desa_code",
                     "32.03.02.2002", "reason", "pindah rumah", NULL));
    s_keep (records, &n,
            h_event (h, "training.batch_scheduled", "batch", TRAINING, "title",
                     "Pelatihan Manajer", "funding", "DAK_NF_PK2UMK",
                     "budget_year", "2023", "venue", "Aula Pacet",
                     "venue_desa_code", "32.03.10.2001", "start_date",
                     "2023-05-08", "end_date", "2023-05-12", NULL));
    for (int p = 1; p <= 2; p++)
        s_keep (records, &n,
                h_event (h, "training.participant_enrolled", "batch", TRAINING,
                         "nik", h_nik (p), "cooperative", COOP, NULL));

    char codes[16][JK_CODE_MAX], messages[16][JK_MESSAGE_MAX];
    s_defer_open (&through, &deferred, "deferred-held-applied", records, n,
                  codes, messages);
    /* Only the corrected person is written before the flush. */
    assert_int_equal (h_int (&deferred, "SELECT count(*) FROM people"), 1);
    assert_int_equal (jk_projections_flush (deferred.proj), JK_OK);
    assert_int_equal (sqlite3_exec (deferred.db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    assert_string_equal (h_text (&deferred, "SELECT group_concat (enrollments"
                                            " || corrections, ',') FROM (SELECT"
                                            " * FROM people ORDER BY nik)"),
                         "11,10,00");
    char *a = h_dump (&through), *b = h_dump (&deferred);
    assert_string_equal (a, b);
    free (a);
    free (b);

    /* A NIK registered twice in one transaction: the second apply fails
       as its INSERT did, deferred or not. */
    record_t twice;
    jk_event_t *nine = s_person (&through, 9);
    twice.bytes = jk_event_encode (nine, &twice.size);
    jk_event_destroy (&nine);
    jk_report_t report;
    jk_event_t *ev = jk_event_decode (twice.bytes, twice.size, &report);
    assert_non_null (ev);
    assert_int_equal (jk_event_validate (ev, &deferred.context, &report), 0);
    harness_t *both[2] = {&through, &deferred};
    for (int k = 0; k < 2; k++) {
        assert_int_equal (sqlite3_exec (both[k]->db, "BEGIN", NULL, NULL, NULL),
                          SQLITE_OK);
        jk_applied_t applied = {.pos = n + 1,
                                .recorded_at = deferred.context.now_ms,
                                .warnings = &report,
                                .bytes = twice.bytes,
                                .size = twice.size};
        assert_int_equal (jk_projections_apply (both[k]->proj, ev, &applied),
                          JK_OK);
        applied.pos++;
        assert_int_equal (jk_projections_apply (both[k]->proj, ev, &applied),
                          JK_IO);
        assert_int_equal (
            sqlite3_exec (both[k]->db, "ROLLBACK", NULL, NULL, NULL),
            SQLITE_OK);
        jk_projections_discard (both[k]->proj);
    }
    jk_event_destroy (&ev);
    free (twice.bytes);
    for (size_t i = 0; i < n; i++)
        free (records[i].bytes);
    h_close (&deferred);
    h_close (&through);
}

static jk_event_t *s_rat (harness_t *h, const char *legal, const char *year,
                          const char *held)
{
    return h_event (h, "cooperative.rat_held", "legal_number", legal,
                    "book_year", year, "held_on", held, "members_present", "15",
                    "quorum_met", "true", NULL);
}

/* A cooperative's registration held until the flush: with its RATs of
   the transaction (out of order: the streak counts back from the
   latest) in one INSERT; written before a status declaration, before an
   update, and then the RATs after them by their UPDATE; registered only.
   The dump equals writing through. */
static void test_deferred_cooperative_held (void **state)
{
    (void)state;
    harness_t through, deferred;
    h_open (&through, "deferred-coop-through", NULL);
    record_t records[16];
    size_t n = 0;
    harness_t *h = &through;
    const char *a = "AHU-0000001.AH.01.26", *b = "AHU-0000002.AH.01.26",
               *c = "AHU-0000003.AH.01.26", *d = "AHU-0000004.AH.01.26";
    s_keep (records, &n, s_cooperative (h, a));
    s_keep (records, &n, s_rat (h, a, "2022", "2023-05-01"));
    s_keep (records, &n, s_rat (h, a, "2020", "2021-05-01"));
    s_keep (records, &n, s_rat (h, a, "2021", "2022-05-01"));
    s_keep (records, &n, s_cooperative (h, b));
    s_keep (records, &n, s_rat (h, b, "2022", "2023-08-01"));
    s_keep (records, &n,
            h_event (h, "cooperative.status_declared", "legal_number", b,
                     "status", "DIBEKUKAN", "basis", "SK/12/2023", "on",
                     "2023-09-01", NULL));
    s_keep (records, &n, s_rat (h, b, "2021", "2022-05-01"));
    s_keep (records, &n, s_cooperative (h, c));
    s_keep (records, &n, s_rat (h, c, "2022", "2023-05-01"));
    s_keep (records, &n,
            h_event (h, "cooperative.updated", "legal_number", c, "name",
                     "Koperasi Maju Jaya", "desa_code", "32.03.02.2002", NULL));
    s_keep (records, &n, s_cooperative (h, d));

    char codes[16][JK_CODE_MAX], messages[16][JK_MESSAGE_MAX];
    s_defer_open (&through, &deferred, "deferred-coop-applied", records, n,
                  codes, messages);
    /* Written before the flush: the two whose rows another event wrote. */
    assert_int_equal (h_int (&deferred, "SELECT count(*) FROM cooperatives"),
                      2);
    assert_int_equal (jk_projections_flush (deferred.proj), JK_OK);
    assert_int_equal (sqlite3_exec (deferred.db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    assert_string_equal (
        h_text (&deferred,
                "SELECT group_concat (coalesce (last_rat_year, '-') || '/'"
                " || rat_count || '/' || rat_streak || '/' || updated_pos,"
                " ',') FROM (SELECT * FROM cooperatives"
                " ORDER BY legal_number_norm)"),
        "2022/3/3/4,2022/2/2/8,2022/1/1/11,-/0/0/12");
    char *x = h_dump (&through), *y = h_dump (&deferred);
    assert_string_equal (x, y);
    free (x);
    free (y);
    for (size_t i = 0; i < n; i++)
        free (records[i].bytes);
    h_close (&deferred);
    h_close (&through);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_deferred_equals_write_through),
        cmocka_unit_test (test_deferred_cache_after_rollback),
        cmocka_unit_test (test_deferred_session_after_attendance),
        cmocka_unit_test (test_deferred_person_held),
        cmocka_unit_test (test_deferred_cooperative_held),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
