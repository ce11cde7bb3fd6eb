/*  rules.c - the domain rules of SPEC 3.2, decided by the store against
    the projections before an event is appended. Decide only reads. Each
    rejection has a stable code and a message naming the field and the
    rule; personal numbers appear masked. */
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define STMT(id) (self->stmt[id])

/* A decision helper's answer: keep checking, reject, or SQLite failed. */
enum { GO = 0, REJECT = -1, FAILED = JK_IO };

#define RUN(expr)                                                              \
    do {                                                                       \
        int _rc = (expr);                                                      \
        if (_rc != GO)                                                         \
            return _rc;                                                        \
    } while (0)

/* Minutes before a session starts that a check-in may be (document in
   docs/PROJECTIONS.md when changing). */
#define CHECK_IN_EARLY_MIN 120

static void s_mask (jk_str_t nik, char out[17])
{
    jk_nik_mask (nik.ptr ? nik.ptr : "", nik.ptr ? nik.len : 0, out);
}

static void s_bind_str (sqlite3_stmt *st, int index, jk_str_t s)
{
    sqlite3_bind_text (st, index, s.ptr ? s.ptr : "", (int)s.len,
                       SQLITE_STATIC);
}

/* Looks up a cooperative by the normalised legal number in field. */
static int s_cooperative (jk_projections_t *self, const jk_event_t *ev,
                          const char *field, bool *found, int64_t *pos)
{
    char norm[JK_PROJ_LEGAL_MAX];
    jk_proj_legal (ev, field, norm);
    int64_t *known = self->deferred && norm[0]
                         ? (int64_t *)zhashx_lookup (self->cooperatives, norm)
                         : NULL;
    if (known) {
        *found = true;
        if (pos)
            *pos = *known;
        return GO;
    }
    sqlite3_stmt *st = STMT (Q_COOPERATIVE);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_TRANSIENT);
    int rc = jk_proj_query (self, Q_COOPERATIVE);
    if (rc < 0)
        return FAILED;
    *found = rc == SQLITE_ROW;
    if (*found) {
        int64_t registered = sqlite3_column_int64 (st, 0);
        if (pos)
            *pos = registered;
        sqlite3_reset (st);
        if (self->deferred && norm[0]) {
            int64_t *item = jk_calloc (1, sizeof *item);
            *item = registered;
            zhashx_insert (self->cooperatives, norm, item);
        }
    }
    return GO;
}

static int s_need_cooperative (jk_projections_t *self, const jk_event_t *ev,
                               const char *field, jk_report_t *report)
{
    if (!jk_proj_text (ev, field).ptr)
        return GO;
    bool found;
    RUN (s_cooperative (self, ev, field, &found, NULL));
    if (found)
        return GO;
    char norm[JK_PROJ_LEGAL_MAX], path[48];
    jk_proj_legal (ev, field, norm);
    snprintf (path, sizeof path, "body.%s", field);
    jk_report_error (report, "E_UNKNOWN_COOPERATIVE", path,
                     "%s %s is not a registered cooperative (register it "
                     "first with cooperative.registered)",
                     path, norm);
    return REJECT;
}

static int s_need_person (jk_projections_t *self, const jk_event_t *ev,
                          jk_report_t *report)
{
    jk_str_t nik = jk_proj_text (ev, "nik");
    sqlite3_stmt *st = STMT (Q_PERSON);
    s_bind_str (st, 1, nik);
    int rc = jk_proj_query (self, Q_PERSON);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_ROW) {
        sqlite3_reset (st);
        return GO;
    }
    char masked[17];
    s_mask (nik, masked);
    jk_report_error (report, "E_UNKNOWN_PERSON", "body.nik",
                     "body.nik %s is not a registered person (register it "
                     "first with person.registered)",
                     masked);
    return REJECT;
}

/* What decide needs of a batch. */
typedef struct {
    char start[11], end[11];
    int64_t class_size_max, min_pct, enrolled, jp_total;
    bool closed;
} batch_row_t;

static int s_batch (jk_projections_t *self, jk_str_t batch, bool *found,
                    batch_row_t *row)
{
    sqlite3_stmt *st = STMT (Q_BATCH);
    s_bind_str (st, 1, batch);
    int rc = jk_proj_query (self, Q_BATCH);
    if (rc < 0)
        return FAILED;
    *found = rc == SQLITE_ROW;
    if (*found) {
        jk_proj_column_text (st, 0, row->start, sizeof row->start);
        jk_proj_column_text (st, 1, row->end, sizeof row->end);
        row->class_size_max = sqlite3_column_int64 (st, 2);
        row->min_pct = sqlite3_column_int64 (st, 3);
        row->enrolled = sqlite3_column_int64 (st, 4);
        row->closed = sqlite3_column_int (st, 5) != 0;
        row->jp_total = sqlite3_column_int64 (st, 6);
        sqlite3_reset (st);
    }
    return GO;
}

static int s_need_batch (jk_projections_t *self, jk_str_t batch,
                         batch_row_t *row, jk_report_t *report)
{
    bool found;
    RUN (s_batch (self, batch, &found, row));
    if (found)
        return GO;
    jk_report_error (report, "E_UNKNOWN_BATCH", "body.batch",
                     "body.batch %.*s is not a scheduled batch (schedule it "
                     "first with training.batch_scheduled)",
                     (int)batch.len, batch.ptr);
    return REJECT;
}

static int s_open_batch (jk_str_t batch, const batch_row_t *row,
                         const char *what, jk_report_t *report)
{
    if (!row->closed)
        return GO;
    jk_report_error (report, "E_BATCH_CLOSED", "body.batch",
                     "batch %.*s is closed (training.batch_closed): no more "
                     "%s",
                     (int)batch.len, batch.ptr, what);
    return REJECT;
}

/* An enrollment: exists, withdrawn, eligible, attendance %. */
typedef struct {
    bool found, withdrawn, eligible;
    double pct;
} enrollment_row_t;

static int s_enrollment (jk_projections_t *self, jk_str_t batch, jk_str_t nik,
                         enrollment_row_t *row)
{
    memset (row, 0, sizeof *row);
    sqlite3_stmt *st = STMT (Q_ENROLLMENT);
    s_bind_str (st, 1, batch);
    s_bind_str (st, 2, nik);
    int rc = jk_proj_query (self, Q_ENROLLMENT);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_ROW) {
        row->found = true;
        row->withdrawn = sqlite3_column_int (st, 0) != 0;
        row->pct = sqlite3_column_double (st, 2);
        row->eligible = sqlite3_column_int (st, 3) != 0;
        sqlite3_reset (st);
    }
    return GO;
}

static int s_need_enrolled (jk_projections_t *self, jk_str_t batch,
                            jk_str_t nik, jk_report_t *report)
{
    enrollment_row_t row;
    RUN (s_enrollment (self, batch, nik, &row));
    if (row.found && !row.withdrawn)
        return GO;
    char masked[17];
    s_mask (nik, masked);
    jk_report_error (report, "E_NOT_ENROLLED", "body.nik",
                     "body.nik %s is not enrolled in batch %.*s%s", masked,
                     (int)batch.len, batch.ptr,
                     row.found ? " (withdrawn)" : "");
    return REJECT;
}

/* Check-in may be at most CHECK_IN_EARLY_MIN minutes before the session
   starts and not after it ends; check-out not before it starts. */
static int s_times (const jk_event_t *ev, const char *starts, const char *ends,
                    jk_str_t batch, int64_t session_no, jk_report_t *report)
{
    int start = jk_proj_minutes (starts), end = jk_proj_minutes (ends);
    const jk_value_t *in = jk_event_get (ev, "check_in");
    const jk_value_t *out = jk_event_get (ev, "check_out");
    if (in->present && (in->n > end || in->n < start - CHECK_IN_EARLY_MIN)) {
        jk_report_error (report, "E_ATTENDANCE_TIME", "body.check_in",
                         "body.check_in %.*s is not plausible for session %lld "
                         "of batch %.*s (%s-%s): check-in must be between %d "
                         "minutes before the start and the end",
                         (int)in->s.len, in->s.ptr, (long long)session_no,
                         (int)batch.len, batch.ptr, starts, ends,
                         CHECK_IN_EARLY_MIN);
        return REJECT;
    }
    if (out->present && out->n < start) {
        jk_report_error (report, "E_ATTENDANCE_TIME", "body.check_out",
                         "body.check_out %.*s is before session %lld of "
                         "batch %.*s starts (%s)",
                         (int)out->s.len, out->s.ptr, (long long)session_no,
                         (int)batch.len, batch.ptr, starts);
        return REJECT;
    }
    return GO;
}

/* ---- per type ----------------------------------------------------------- */

static int s_cooperative_registered (jk_projections_t *self,
                                     const jk_event_t *ev, jk_report_t *report)
{
    bool found;
    int64_t pos = 0;
    RUN (s_cooperative (self, ev, "legal_number", &found, &pos));
    if (!found)
        return GO;
    char norm[JK_PROJ_LEGAL_MAX];
    jk_proj_legal (ev, "legal_number", norm);
    jk_report_error (report, "E_DUPLICATE_COOPERATIVE", "body.legal_number",
                     "body.legal_number %s is already registered (position "
                     "%lld); a legal number is registered once",
                     norm, (long long)pos);
    return REJECT;
}

static int s_cooperative_known (jk_projections_t *self, const jk_event_t *ev,
                                jk_report_t *report)
{
    return s_need_cooperative (self, ev, "legal_number", report);
}

static int s_rat_held (jk_projections_t *self, const jk_event_t *ev,
                       jk_report_t *report)
{
    RUN (s_need_cooperative (self, ev, "legal_number", report));
    char norm[JK_PROJ_LEGAL_MAX];
    jk_proj_legal (ev, "legal_number", norm);
    int64_t year = jk_proj_number (ev, "book_year", 0);
    sqlite3_stmt *st = STMT (Q_RAT);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (st, 2, year);
    int rc = jk_proj_query (self, Q_RAT);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE)
        return GO;
    char held[11];
    jk_proj_column_text (st, 1, held, sizeof held);
    sqlite3_reset (st);
    jk_report_error (report, "E_DUPLICATE_RAT", "body.book_year",
                     "cooperative %s already held its RAT for book year %lld "
                     "(on %s); one RAT per cooperative and book year",
                     norm, (long long)year, held);
    return REJECT;
}

static int s_person_registered (jk_projections_t *self, const jk_event_t *ev,
                                jk_report_t *report)
{
    jk_str_t nik = jk_proj_text (ev, "nik");
    sqlite3_stmt *st = STMT (Q_PERSON);
    s_bind_str (st, 1, nik);
    int rc = jk_proj_query (self, Q_PERSON);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_ROW) {
        sqlite3_reset (st);
        char masked[17];
        s_mask (nik, masked);
        jk_report_error (report, "E_DUPLICATE_PERSON", "body.nik",
                         "body.nik %s is already registered; correct it with "
                         "person.corrected",
                         masked);
        return REJECT;
    }
    return s_need_cooperative (self, ev, "cooperative", report);
}

static int s_person_corrected (jk_projections_t *self, const jk_event_t *ev,
                               jk_report_t *report)
{
    RUN (s_need_person (self, ev, report));
    return s_need_cooperative (self, ev, "cooperative", report);
}

static int s_batch_scheduled (jk_projections_t *self, const jk_event_t *ev,
                              jk_report_t *report)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    bool found;
    batch_row_t row;
    RUN (s_batch (self, batch, &found, &row));
    if (!found)
        return GO;
    jk_report_error (report, "E_DUPLICATE_BATCH", "body.batch",
                     "body.batch %.*s is already scheduled (%s..%s); a batch "
                     "code is used once",
                     (int)batch.len, batch.ptr, row.start, row.end);
    return REJECT;
}

static int s_session_scheduled (jk_projections_t *self, const jk_event_t *ev,
                                jk_report_t *report)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    batch_row_t row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_open_batch (batch, &row, "sessions", report));
    jk_str_t date = jk_proj_text (ev, "date");
    if (strncmp (date.ptr, row.start, 10) < 0 ||
        strncmp (date.ptr, row.end, 10) > 0) {
        jk_report_error (report, "E_SESSION_DATE", "body.date",
                         "body.date %.*s is outside batch %.*s (%s..%s); a "
                         "session falls on one of the batch's days",
                         (int)date.len, date.ptr, (int)batch.len, batch.ptr,
                         row.start, row.end);
        return REJECT;
    }
    int64_t no = jk_proj_number (ev, "session_no", 0);
    sqlite3_stmt *st = STMT (Q_SESSION);
    s_bind_str (st, 1, batch);
    sqlite3_bind_int64 (st, 2, no);
    int rc = jk_proj_query (self, Q_SESSION);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE)
        return GO;
    char when[11];
    jk_proj_column_text (st, 0, when, sizeof when);
    sqlite3_reset (st);
    jk_report_error (report, "E_DUPLICATE_SESSION", "body.session_no",
                     "session %lld of batch %.*s is already scheduled (on "
                     "%s); session numbers are used once per batch",
                     (long long)no, (int)batch.len, batch.ptr, when);
    return REJECT;
}

static int s_participant_enrolled (jk_projections_t *self, const jk_event_t *ev,
                                   jk_report_t *report)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    jk_str_t nik = jk_proj_text (ev, "nik");
    batch_row_t row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_need_person (self, ev, report));
    RUN (s_need_cooperative (self, ev, "cooperative", report));
    enrollment_row_t enrollment;
    RUN (s_enrollment (self, batch, nik, &enrollment));
    if (enrollment.found && !enrollment.withdrawn) {
        char masked[17];
        s_mask (nik, masked);
        jk_report_error (report, "E_ALREADY_ENROLLED", "body.nik",
                         "body.nik %s is already enrolled in batch %.*s",
                         masked, (int)batch.len, batch.ptr);
        return REJECT;
    }
    RUN (s_open_batch (batch, &row, "enrolments", report));
    if (row.enrolled >= row.class_size_max) {
        jk_report_error (report, "E_BATCH_FULL", "body.batch",
                         "batch %.*s already has %lld participants "
                         "(class_size_max)",
                         (int)batch.len, batch.ptr, (long long)row.enrolled);
        return REJECT;
    }
    return GO;
}

static int s_participant_withdrawn (jk_projections_t *self,
                                    const jk_event_t *ev, jk_report_t *report)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    batch_row_t row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_need_enrolled (self, batch, jk_proj_text (ev, "nik"), report));
    return s_open_batch (batch, &row, "withdrawals", report);
}

static int s_attendance_recorded (jk_projections_t *self, const jk_event_t *ev,
                                  jk_report_t *report)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    jk_str_t nik = jk_proj_text (ev, "nik");
    int64_t no = jk_proj_number (ev, "session_no", 0);
    batch_row_t row;
    RUN (s_need_batch (self, batch, &row, report));
    sqlite3_stmt *st = STMT (Q_SESSION);
    s_bind_str (st, 1, batch);
    sqlite3_bind_int64 (st, 2, no);
    int rc = jk_proj_query (self, Q_SESSION);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE) {
        jk_report_error (report, "E_UNKNOWN_SESSION", "body.session_no",
                         "session %lld of batch %.*s is not scheduled "
                         "(training.session_scheduled)",
                         (long long)no, (int)batch.len, batch.ptr);
        return REJECT;
    }
    char starts[8], ends[8];
    jk_proj_column_text (st, 1, starts, sizeof starts);
    jk_proj_column_text (st, 2, ends, sizeof ends);
    int64_t jp = sqlite3_column_int64 (st, 3);
    sqlite3_reset (st);
    RUN (s_open_batch (batch, &row, "attendance", report));
    RUN (s_need_enrolled (self, batch, nik, report));
    st = STMT (Q_ATTENDANCE);
    s_bind_str (st, 1, batch);
    sqlite3_bind_int64 (st, 2, no);
    s_bind_str (st, 3, nik);
    rc = jk_proj_query (self, Q_ATTENDANCE);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_ROW) {
        int64_t pos = sqlite3_column_int64 (st, 0);
        sqlite3_reset (st);
        char masked[17];
        s_mask (nik, masked);
        jk_report_error (report, "E_DUPLICATE_ATTENDANCE", "body.nik",
                         "attendance of %s at session %lld of batch %.*s is "
                         "already recorded (position %lld); correct it with "
                         "attendance.corrected",
                         masked, (long long)no, (int)batch.len, batch.ptr,
                         (long long)pos);
        return REJECT;
    }
    RUN (s_times (ev, starts, ends, batch, no, report));
    self->memo_set = true;
    memcpy (self->memo_id, ev->id, 16);
    self->memo_jp = jp;
    return GO;
}

static int s_attendance_corrected (jk_projections_t *self, const jk_event_t *ev,
                                   jk_report_t *report)
{
    sqlite3_stmt *st = STMT (Q_ATTENDANCE_BY_ID);
    sqlite3_bind_blob (st, 1, ev->corrects, 16, SQLITE_TRANSIENT);
    int rc = jk_proj_query (self, Q_ATTENDANCE_BY_ID);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE) {
        char id[37];
        jk_uuid_format (ev->corrects, id);
        jk_report_error (report, "E_UNKNOWN_ATTENDANCE", "corrects",
                         "corrects %s names no attendance.recorded event", id);
        return REJECT;
    }
    char batch_text[64];
    jk_proj_column_text (st, 0, batch_text, sizeof batch_text);
    int64_t no = sqlite3_column_int64 (st, 1);
    sqlite3_reset (st);
    jk_str_t batch = jk_str_of (batch_text);
    batch_row_t row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_open_batch (batch, &row, "attendance corrections", report));
    st = STMT (Q_SESSION);
    s_bind_str (st, 1, batch);
    sqlite3_bind_int64 (st, 2, no);
    rc = jk_proj_query (self, Q_SESSION);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE)
        return GO;
    char starts[8], ends[8];
    jk_proj_column_text (st, 1, starts, sizeof starts);
    jk_proj_column_text (st, 2, ends, sizeof ends);
    sqlite3_reset (st);
    return s_times (ev, starts, ends, batch, no, report);
}

static int s_batch_closed (jk_projections_t *self, const jk_event_t *ev,
                           jk_report_t *report)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    batch_row_t row;
    RUN (s_need_batch (self, batch, &row, report));
    if (!row.closed)
        return GO;
    jk_report_error (report, "E_BATCH_CLOSED", "body.batch",
                     "batch %.*s is already closed", (int)batch.len, batch.ptr);
    return REJECT;
}

/* An assessment's linked batch, unit count and date. */
typedef struct {
    char batch[64], date[11];
    int64_t units;
} assessment_row_t;

static int s_need_assessment (jk_projections_t *self, const jk_event_t *ev,
                              assessment_row_t *row, jk_report_t *report)
{
    jk_str_t code = jk_proj_text (ev, "assessment");
    sqlite3_stmt *st = STMT (Q_ASSESSMENT);
    s_bind_str (st, 1, code);
    int rc = jk_proj_query (self, Q_ASSESSMENT);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE) {
        jk_report_error (report, "E_UNKNOWN_ASSESSMENT", "body.assessment",
                         "body.assessment %.*s is not a scheduled assessment "
                         "(assessment.scheduled)",
                         (int)code.len, code.ptr);
        return REJECT;
    }
    jk_proj_column_text (st, 0, row->batch, sizeof row->batch);
    row->units = sqlite3_column_int64 (st, 1);
    jk_proj_column_text (st, 2, row->date, sizeof row->date);
    sqlite3_reset (st);
    return GO;
}

static int s_assessment_scheduled (jk_projections_t *self, const jk_event_t *ev,
                                   jk_report_t *report)
{
    jk_str_t code = jk_proj_text (ev, "assessment");
    sqlite3_stmt *st = STMT (Q_ASSESSMENT);
    s_bind_str (st, 1, code);
    int rc = jk_proj_query (self, Q_ASSESSMENT);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_ROW) {
        sqlite3_reset (st);
        jk_report_error (report, "E_DUPLICATE_ASSESSMENT", "body.assessment",
                         "body.assessment %.*s is already scheduled; an "
                         "assessment code is used once",
                         (int)code.len, code.ptr);
        return REJECT;
    }
    jk_str_t batch = jk_proj_text (ev, "batch");
    if (!batch.ptr)
        return GO;
    batch_row_t row;
    return s_need_batch (self, batch, &row, report);
}

static int s_unit_assessed (jk_projections_t *self, const jk_event_t *ev,
                            jk_report_t *report)
{
    assessment_row_t a;
    RUN (s_need_assessment (self, ev, &a, report));
    RUN (s_need_person (self, ev, report));
    jk_str_t code = jk_proj_text (ev, "assessment");
    jk_str_t unit = jk_proj_text (ev, "unit");
    sqlite3_stmt *st = STMT (Q_UNIT);
    s_bind_str (st, 1, code);
    s_bind_str (st, 2, unit);
    int rc = jk_proj_query (self, Q_UNIT);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE) {
        jk_report_error (report, "E_UNKNOWN_UNIT", "body.unit",
                         "body.unit %.*s is not one of assessment %.*s's "
                         "units",
                         (int)unit.len, unit.ptr, (int)code.len, code.ptr);
        return REJECT;
    }
    sqlite3_reset (st);
    jk_str_t assessor = jk_proj_text (ev, "assessor");
    st = STMT (Q_ASSESSOR);
    s_bind_str (st, 1, code);
    s_bind_str (st, 2, assessor);
    rc = jk_proj_query (self, Q_ASSESSOR);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE) {
        jk_report_error (report, "E_UNKNOWN_ASSESSOR", "body.assessor",
                         "body.assessor %.*s is not one of assessment %.*s's "
                         "assessors",
                         (int)assessor.len, assessor.ptr, (int)code.len,
                         code.ptr);
        return REJECT;
    }
    sqlite3_reset (st);
    if (!a.batch[0])
        return GO;
    /* A linked batch admits only enrolled participants who reached its
       minimum attendance. */
    jk_str_t nik = jk_proj_text (ev, "nik");
    enrollment_row_t e;
    RUN (s_enrollment (self, jk_str_of (a.batch), nik, &e));
    if (e.found && !e.withdrawn && e.eligible)
        return GO;
    char masked[17];
    s_mask (nik, masked);
    if (!e.found || e.withdrawn) {
        jk_report_error (report, "E_ATTENDANCE_BELOW_MIN", "body.nik",
                         "body.nik %s is not enrolled in batch %s, which "
                         "assessment %.*s is linked to",
                         masked, a.batch, (int)code.len, code.ptr);
        return REJECT;
    }
    bool found;
    batch_row_t b;
    RUN (s_batch (self, jk_str_of (a.batch), &found, &b));
    jk_report_error (report, "E_ATTENDANCE_BELOW_MIN", "body.nik",
                     "body.nik %s attended %.2f%% of batch %s, below its "
                     "min_attendance_pct %lld",
                     masked, e.pct, a.batch, (long long)b.min_pct);
    return REJECT;
}

static int s_decided (jk_projections_t *self, const jk_event_t *ev,
                      jk_report_t *report)
{
    assessment_row_t a;
    RUN (s_need_assessment (self, ev, &a, report));
    RUN (s_need_person (self, ev, report));
    if (!jk_str_eq (jk_proj_text (ev, "verdict"), "K"))
        return GO;
    jk_str_t code = jk_proj_text (ev, "assessment");
    jk_str_t nik = jk_proj_text (ev, "nik");
    sqlite3_stmt *st = STMT (Q_UNIT_NOT_K);
    s_bind_str (st, 1, code);
    s_bind_str (st, 2, nik);
    int rc = jk_proj_query (self, Q_UNIT_NOT_K);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE)
        return GO;
    char unit[64], verdict[4];
    jk_proj_column_text (st, 0, unit, sizeof unit);
    jk_proj_column_text (st, 1, verdict, sizeof verdict);
    sqlite3_reset (st);
    char masked[17];
    s_mask (nik, masked);
    if (verdict[0])
        jk_report_error (report, "E_VERDICT_UNITS", "body.verdict",
                         "body.verdict K for %s needs every unit K, but unit "
                         "%s's latest verdict is %s",
                         masked, unit, verdict);
    else
        jk_report_error (report, "E_VERDICT_UNITS", "body.verdict",
                         "body.verdict K for %s needs every unit K, but unit "
                         "%s is not assessed",
                         masked, unit);
    return REJECT;
}

static int s_certificate_issued (jk_projections_t *self, const jk_event_t *ev,
                                 jk_report_t *report)
{
    jk_str_t number = jk_proj_text (ev, "number");
    sqlite3_stmt *st = STMT (Q_CERTIFICATE);
    s_bind_str (st, 1, number);
    int rc = jk_proj_query (self, Q_CERTIFICATE);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_ROW) {
        sqlite3_reset (st);
        jk_report_error (report, "E_DUPLICATE_CERTIFICATE", "body.number",
                         "certificate number %.*s is already issued; numbers "
                         "are unique",
                         (int)number.len, number.ptr);
        return REJECT;
    }
    RUN (s_need_person (self, ev, report));
    assessment_row_t a;
    RUN (s_need_assessment (self, ev, &a, report));
    jk_str_t code = jk_proj_text (ev, "assessment");
    jk_str_t nik = jk_proj_text (ev, "nik");
    char masked[17];
    s_mask (nik, masked);
    st = STMT (Q_RESULT);
    s_bind_str (st, 1, code);
    s_bind_str (st, 2, nik);
    rc = jk_proj_query (self, Q_RESULT);
    if (rc < 0)
        return FAILED;
    char verdict[4] = "";
    if (rc == SQLITE_ROW) {
        jk_proj_column_text (st, 0, verdict, sizeof verdict);
        sqlite3_reset (st);
    }
    if (strcmp (verdict, "K") != 0) {
        jk_report_error (report, "E_NOT_COMPETENT", "body.nik",
                         "body.nik %s is not decided K on assessment %.*s "
                         "(%s); a certificate needs assessment.decided K",
                         masked, (int)code.len, code.ptr,
                         verdict[0] ? "decided BK" : "not decided");
        return REJECT;
    }
    jk_str_t issued = jk_proj_text (ev, "issued_on");
    if (strncmp (issued.ptr, a.date, 10) < 0) {
        jk_report_error (report, "E_CERTIFICATE_DATE", "body.issued_on",
                         "body.issued_on %.*s is before assessment %.*s's "
                         "date %s",
                         (int)issued.len, issued.ptr, (int)code.len, code.ptr,
                         a.date);
        return REJECT;
    }
    st = STMT (Q_CERTIFICATE_FOR);
    s_bind_str (st, 1, code);
    s_bind_str (st, 2, nik);
    rc = jk_proj_query (self, Q_CERTIFICATE_FOR);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE)
        return GO;
    char other[64];
    jk_proj_column_text (st, 0, other, sizeof other);
    sqlite3_reset (st);
    jk_report_error (report, "E_DUPLICATE_CERTIFICATE", "body.assessment",
                     "%s already holds certificate %s for assessment %.*s; "
                     "revoke it before issuing another",
                     masked, other, (int)code.len, code.ptr);
    return REJECT;
}

static int s_certificate_revoked (jk_projections_t *self, const jk_event_t *ev,
                                  jk_report_t *report)
{
    jk_str_t number = jk_proj_text (ev, "number");
    sqlite3_stmt *st = STMT (Q_CERTIFICATE);
    s_bind_str (st, 1, number);
    int rc = jk_proj_query (self, Q_CERTIFICATE);
    if (rc < 0)
        return FAILED;
    if (rc == SQLITE_DONE) {
        jk_report_error (report, "E_UNKNOWN_CERTIFICATE", "body.number",
                         "certificate number %.*s was never issued",
                         (int)number.len, number.ptr);
        return REJECT;
    }
    bool revoked = sqlite3_column_int (st, 1) != 0;
    int64_t pos = sqlite3_column_int64 (st, 2);
    sqlite3_reset (st);
    if (!revoked)
        return GO;
    jk_report_error (report, "E_ALREADY_REVOKED", "body.number",
                     "certificate %.*s is already revoked (position %lld)",
                     (int)number.len, number.ptr, (long long)pos);
    return REJECT;
}

typedef int (decide_fn) (jk_projections_t *, const jk_event_t *, jk_report_t *);

static const struct {
    const char *type;
    decide_fn *decide;
} s_rules[] = {
    {"cooperative.registered", s_cooperative_registered},
    {"cooperative.updated", s_cooperative_known},
    {"cooperative.rat_held", s_rat_held},
    {"cooperative.status_declared", s_cooperative_known},
    {"person.registered", s_person_registered},
    {"person.corrected", s_person_corrected},
    {"training.batch_scheduled", s_batch_scheduled},
    {"training.session_scheduled", s_session_scheduled},
    {"training.participant_enrolled", s_participant_enrolled},
    {"training.participant_withdrawn", s_participant_withdrawn},
    {"attendance.recorded", s_attendance_recorded},
    {"attendance.corrected", s_attendance_corrected},
    {"training.batch_closed", s_batch_closed},
    {"assessment.scheduled", s_assessment_scheduled},
    {"assessment.unit_assessed", s_unit_assessed},
    {"assessment.decided", s_decided},
    {"certificate.issued", s_certificate_issued},
    {"certificate.revoked", s_certificate_revoked},
};

int jk_proj_rules_check (char *err, size_t err_size)
{
    size_t n = sizeof s_rules / sizeof s_rules[0];
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        if (i >= n || strcmp (s_rules[i].type, jk_vocabulary_at (i)->name)) {
            snprintf (err, err_size,
                      "projections: no domain rules for %s at position %zu",
                      jk_vocabulary_at (i)->name, i);
            return -1;
        }
    return 0;
}

int jk_projections_decide (jk_projections_t *self, const jk_event_t *event,
                           jk_report_t *report)
{
    assert (self && event && report);
    int index = jk_vocabulary_index (event->type);
    if (index >= 0) {
        int rc = s_rules[index].decide (self, event, report);
        return rc == GO ? 0 : rc == REJECT ? -1 : JK_IO;
    }
    jk_report_error (report, "E_TYPE", "type",
                     "type %s v%u has no domain rules in this store",
                     event->type->name, event->type->version);
    return -1;
}
