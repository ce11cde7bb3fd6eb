/* Whole at ~660 lines: the domain rules, one function per event type. */
/*  model_decide.c - the domain rules of SPEC 3.2 decided from the model's state
    (jk_model_decide): their order, codes and messages are
    docs/PROJECTIONS.md's; personal numbers appear masked. */
#include "model_internal.h"

/* ---- decide ----------------------------------------------------------------
   Each rule as docs/PROJECTIONS.md lists it, in that order. */

static int s_need_cooperative (jk_model_t *self, const jk_event_t *ev,
                               jk_model_field_t field, jk_report_t *report)
{
    if (!s_present (self, ev, field))
        return GO;
    char norm[LEGAL_MAX], path[48];
    s_norm (self, ev, field, norm);
    if (jk_model_map_lookup (self->cooperatives, norm))
        return GO;
    snprintf (path, sizeof path, "body.%s", jk_model_field_names[field]);
    jk_report_error (report, "E_UNKNOWN_COOPERATIVE", path,
                     "%s %s is not a registered cooperative (register it "
                     "first with cooperative.registered)",
                     path, norm);
    return REJECT;
}

static int s_need_person (jk_model_t *self, const jk_event_t *ev,
                          jk_report_t *report)
{
    jk_str_t nik = s_text (self, ev, F_NIK);
    bool found;
    RUN (jk_model_people_has (self, nik, &found));
    if (found)
        return GO;
    char masked[17];
    s_mask (nik, masked);
    jk_report_error (report, "E_UNKNOWN_PERSON", "body.nik",
                     "body.nik %s is not a registered person (register it "
                     "first with person.registered)",
                     masked);
    return REJECT;
}

static int s_need_batch (jk_model_t *self, jk_str_t batch,
                         jk_model_batch_t **row, jk_report_t *report)
{
    *row = jk_model_batch (self, batch);
    if (*row)
        return GO;
    jk_report_error (report, "E_UNKNOWN_BATCH", "body.batch",
                     "body.batch %.*s is not a scheduled batch (schedule it "
                     "first with training.batch_scheduled)",
                     (int)batch.len, batch.ptr);
    return REJECT;
}

static int s_open_batch (jk_str_t batch, const jk_model_batch_t *row,
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

/* The enrolment of nik in batch, or NULL: from memory, or for a closed
   batch whose enrolments left it, from the enrollments table (then *e is
   the model's one scratch copy). GO or FAILED. */
static int s_enrollment (jk_model_t *self, jk_str_t batch, jk_str_t nik,
                         jk_model_enrollment_t **e)
{
    char key[KEY_MAX];
    *e = jk_model_map_lookup (self->enrollments, s_key (key, batch, nik, NONE));
    jk_model_batch_t *b = *e ? NULL : jk_model_batch (self, batch);
    if (!b || !b->gone)
        return GO;
    sqlite3_bind_text (self->enrol_st, 1, batch.ptr, (int)batch.len,
                       SQLITE_STATIC);
    sqlite3_bind_text (self->enrol_st, 2, nik.ptr, (int)nik.len, SQLITE_STATIC);
    int rc = sqlite3_step (self->enrol_st);
    if (rc == SQLITE_ROW) {
        self->fetched.withdrawn = sqlite3_column_int (self->enrol_st, 0) != 0;
        self->fetched.jp_attended = sqlite3_column_int64 (self->enrol_st, 1);
        *e = &self->fetched;
    }
    sqlite3_reset (self->enrol_st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? GO : FAILED;
}

/* GO when nik is enrolled in batch (its enrolment in *found when found
   is not NULL), REJECT or FAILED. */
static int s_need_enrolled (jk_model_t *self, jk_str_t batch, jk_str_t nik,
                            jk_model_enrollment_t **found, jk_report_t *report)
{
    jk_model_enrollment_t *e;
    RUN (s_enrollment (self, batch, nik, &e));
    if (found)
        *found = e;
    if (e && !e->withdrawn)
        return GO;
    char masked[17];
    s_mask (nik, masked);
    jk_report_error (report, "E_NOT_ENROLLED", "body.nik",
                     "body.nik %s is not enrolled in batch %.*s%s", masked,
                     (int)batch.len, batch.ptr, e ? " (withdrawn)" : "");
    return REJECT;
}

static jk_model_session_t *s_session (jk_model_t *self, jk_str_t batch,
                                      int64_t no)
{
    char key[KEY_MAX], text[24];
    return jk_model_map_lookup (self->sessions,
                                s_key (key, batch, s_int_str (text, no), NONE));
}

/* Check-in may be at most CHECK_IN_EARLY_MIN minutes before the session
   starts and not after it ends; check-out not before it starts. */
static int s_times (const jk_model_t *self, const jk_event_t *ev,
                    const char *starts, const char *ends, jk_str_t batch,
                    int64_t session_no, jk_report_t *report)
{
    int start = s_minutes (starts), end = s_minutes (ends);
    const jk_value_t *in = s_get (self, ev, F_CHECK_IN);
    const jk_value_t *out = s_get (self, ev, F_CHECK_OUT);
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

static int s_cooperative_registered (jk_model_t *self, const jk_event_t *ev,
                                     jk_report_t *report)
{
    char norm[LEGAL_MAX];
    s_norm (self, ev, F_LEGAL_NUMBER, norm);
    jk_model_cooperative_t *c = jk_model_map_lookup (self->cooperatives, norm);
    if (!c)
        return GO;
    jk_report_error (report, "E_DUPLICATE_COOPERATIVE", "body.legal_number",
                     "body.legal_number %s is already registered (position "
                     "%lld); a legal number is registered once",
                     norm, (long long)c->registered_pos);
    return REJECT;
}

static int s_cooperative_known (jk_model_t *self, const jk_event_t *ev,
                                jk_report_t *report)
{
    return s_need_cooperative (self, ev, F_LEGAL_NUMBER, report);
}

static int s_rat_held (jk_model_t *self, const jk_event_t *ev,
                       jk_report_t *report)
{
    RUN (s_need_cooperative (self, ev, F_LEGAL_NUMBER, report));
    char norm[LEGAL_MAX], key[KEY_MAX], text[24];
    s_norm (self, ev, F_LEGAL_NUMBER, norm);
    int64_t year = s_number (self, ev, F_BOOK_YEAR, 0);
    jk_model_rat_t *r =
        jk_model_map_lookup (self->rats, s_key (key, jk_str_of (norm),
                                                s_int_str (text, year), NONE));
    if (!r)
        return GO;
    jk_report_error (report, "E_DUPLICATE_RAT", "body.book_year",
                     "cooperative %s already held its RAT for book year %lld "
                     "(on %s); one RAT per cooperative and book year",
                     norm, (long long)year, r->held_on);
    return REJECT;
}

static int s_person_registered (jk_model_t *self, const jk_event_t *ev,
                                jk_report_t *report)
{
    jk_str_t nik = s_text (self, ev, F_NIK);
    bool found;
    RUN (jk_model_people_has (self, nik, &found));
    if (found) {
        char masked[17];
        s_mask (nik, masked);
        jk_report_error (report, "E_DUPLICATE_PERSON", "body.nik",
                         "body.nik %s is already registered; correct it with "
                         "person.corrected",
                         masked);
        return REJECT;
    }
    return s_need_cooperative (self, ev, F_COOPERATIVE, report);
}

static int s_person_corrected (jk_model_t *self, const jk_event_t *ev,
                               jk_report_t *report)
{
    RUN (s_need_person (self, ev, report));
    return s_need_cooperative (self, ev, F_COOPERATIVE, report);
}

static int s_batch_scheduled (jk_model_t *self, const jk_event_t *ev,
                              jk_report_t *report)
{
    jk_str_t batch = s_text (self, ev, F_BATCH);
    jk_model_batch_t *row = jk_model_batch (self, batch);
    if (!row)
        return GO;
    jk_report_error (report, "E_DUPLICATE_BATCH", "body.batch",
                     "body.batch %.*s is already scheduled (%s..%s); a batch "
                     "code is used once",
                     (int)batch.len, batch.ptr, row->start, row->end);
    return REJECT;
}

static int s_session_scheduled (jk_model_t *self, const jk_event_t *ev,
                                jk_report_t *report)
{
    jk_str_t batch = s_text (self, ev, F_BATCH);
    jk_model_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_open_batch (batch, row, "sessions", report));
    jk_str_t date = s_text (self, ev, F_DATE);
    if (strncmp (date.ptr, row->start, 10) < 0 ||
        strncmp (date.ptr, row->end, 10) > 0) {
        jk_report_error (report, "E_SESSION_DATE", "body.date",
                         "body.date %.*s is outside batch %.*s (%s..%s); a "
                         "session falls on one of the batch's days",
                         (int)date.len, date.ptr, (int)batch.len, batch.ptr,
                         row->start, row->end);
        return REJECT;
    }
    int64_t no = s_number (self, ev, F_SESSION_NO, 0);
    jk_model_session_t *s = s_session (self, batch, no);
    if (!s)
        return GO;
    jk_report_error (report, "E_DUPLICATE_SESSION", "body.session_no",
                     "session %lld of batch %.*s is already scheduled (on "
                     "%s); session numbers are used once per batch",
                     (long long)no, (int)batch.len, batch.ptr, s->date);
    return REJECT;
}

static int s_participant_enrolled (jk_model_t *self, const jk_event_t *ev,
                                   jk_report_t *report)
{
    jk_str_t batch = s_text (self, ev, F_BATCH);
    jk_str_t nik = s_text (self, ev, F_NIK);
    jk_model_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_need_person (self, ev, report));
    RUN (s_need_cooperative (self, ev, F_COOPERATIVE, report));
    jk_model_enrollment_t *e;
    RUN (s_enrollment (self, batch, nik, &e));
    if (e && !e->withdrawn) {
        char masked[17];
        s_mask (nik, masked);
        jk_report_error (report, "E_ALREADY_ENROLLED", "body.nik",
                         "body.nik %s is already enrolled in batch %.*s",
                         masked, (int)batch.len, batch.ptr);
        return REJECT;
    }
    RUN (s_open_batch (batch, row, "enrolments", report));
    if (row->enrolled >= row->class_size_max) {
        jk_report_error (report, "E_BATCH_FULL", "body.batch",
                         "batch %.*s already has %lld participants "
                         "(class_size_max)",
                         (int)batch.len, batch.ptr, (long long)row->enrolled);
        return REJECT;
    }
    return GO;
}

static int s_participant_withdrawn (jk_model_t *self, const jk_event_t *ev,
                                    jk_report_t *report)
{
    jk_str_t batch = s_text (self, ev, F_BATCH);
    jk_model_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_need_enrolled (self, batch, s_text (self, ev, F_NIK), NULL, report));
    return s_open_batch (batch, row, "withdrawals", report);
}

static int s_attendance_recorded (jk_model_t *self, const jk_event_t *ev,
                                  jk_report_t *report)
{
    jk_str_t batch = s_text (self, ev, F_BATCH);
    jk_str_t nik = s_text (self, ev, F_NIK);
    int64_t no = s_number (self, ev, F_SESSION_NO, 0);
    jk_model_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    jk_model_session_t *s = s_session (self, batch, no);
    if (!s) {
        jk_report_error (report, "E_UNKNOWN_SESSION", "body.session_no",
                         "session %lld of batch %.*s is not scheduled "
                         "(training.session_scheduled)",
                         (long long)no, (int)batch.len, batch.ptr);
        return REJECT;
    }
    RUN (s_open_batch (batch, row, "attendance", report));
    jk_model_enrollment_t *e;
    RUN (s_need_enrolled (self, batch, nik, &e, report));
    jk_model_attendance_t *a =
        jk_model_attendance_in (self, row, batch, no, nik);
    if (a) {
        char masked[17];
        s_mask (nik, masked);
        jk_report_error (report, "E_DUPLICATE_ATTENDANCE", "body.nik",
                         "attendance of %s at session %lld of batch %.*s is "
                         "already recorded (position %lld); correct it with "
                         "attendance.corrected",
                         masked, (long long)no, (int)batch.len, batch.ptr,
                         (long long)a->recorded_pos);
        return REJECT;
    }
    RUN (s_times (self, ev, s->starts, s->ends, batch, no, report));
    /* For the apply of this event: an enrolment read back from the
       table (the scratch copy) is not the model's, as apply's lookup
       would not find it either. */
    self->decided.event = ev;
    memcpy (self->decided.id, ev->id, 16);
    self->decided.batch = row;
    self->decided.session = s;
    self->decided.enrollment = e == &self->fetched ? NULL : e;
    return GO;
}

/* The batch and session of the attendance row an id names: from memory,
   or for a row evicted with its closed batch, from the attendance table.
   GO with found false when no row has that id. */
static int s_attendance_by_id (jk_model_t *self, const uint8_t id[16],
                               char batch[64], int64_t *no, bool *found)
{
    char hex[33];
    s_id_key (id, hex);
    jk_model_attendance_t *a = jk_model_map_lookup (self->attendance_id, hex);
    *found = a != NULL;
    if (a) {
        memcpy (batch, a->batch, 64);
        *no = a->session_no;
        return GO;
    }
    if (!self->by_id || self->evicted == 0)
        return GO;
    sqlite3_bind_blob (self->by_id, 1, id, 16, SQLITE_TRANSIENT);
    int rc = sqlite3_step (self->by_id);
    if (rc == SQLITE_ROW) {
        *found = true;
        s_copy (batch, 64, s_col (self->by_id, 0));
        *no = sqlite3_column_int64 (self->by_id, 1);
    }
    sqlite3_reset (self->by_id);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? GO : FAILED;
}

static int s_attendance_corrected (jk_model_t *self, const jk_event_t *ev,
                                   jk_report_t *report)
{
    char batch_text[64];
    int64_t no = 0;
    bool found;
    RUN (s_attendance_by_id (self, ev->corrects, batch_text, &no, &found));
    if (!found) {
        char id[37];
        jk_uuid_format (ev->corrects, id);
        jk_report_error (report, "E_UNKNOWN_ATTENDANCE", "corrects",
                         "corrects %s names no attendance.recorded event", id);
        return REJECT;
    }
    jk_str_t batch = jk_str_of (batch_text);
    jk_model_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_open_batch (batch, row, "attendance corrections", report));
    jk_model_session_t *s = s_session (self, batch, no);
    if (!s)
        return GO;
    return s_times (self, ev, s->starts, s->ends, batch, no, report);
}

static int s_batch_closed (jk_model_t *self, const jk_event_t *ev,
                           jk_report_t *report)
{
    jk_str_t batch = s_text (self, ev, F_BATCH);
    jk_model_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    if (!row->closed)
        return GO;
    jk_report_error (report, "E_BATCH_CLOSED", "body.batch",
                     "batch %.*s is already closed", (int)batch.len, batch.ptr);
    return REJECT;
}

static int s_need_assessment (jk_model_t *self, const jk_event_t *ev,
                              jk_model_assessment_t **row, jk_report_t *report)
{
    jk_str_t code = s_text (self, ev, F_ASSESSMENT);
    char key[KEY_MAX];
    *row =
        jk_model_map_lookup (self->assessments, s_key (key, code, NONE, NONE));
    if (*row)
        return GO;
    jk_report_error (report, "E_UNKNOWN_ASSESSMENT", "body.assessment",
                     "body.assessment %.*s is not a scheduled assessment "
                     "(assessment.scheduled)",
                     (int)code.len, code.ptr);
    return REJECT;
}

static int s_assessment_scheduled (jk_model_t *self, const jk_event_t *ev,
                                   jk_report_t *report)
{
    jk_str_t code = s_text (self, ev, F_ASSESSMENT);
    char key[KEY_MAX];
    if (jk_model_map_lookup (self->assessments,
                             s_key (key, code, NONE, NONE))) {
        jk_report_error (report, "E_DUPLICATE_ASSESSMENT", "body.assessment",
                         "body.assessment %.*s is already scheduled; an "
                         "assessment code is used once",
                         (int)code.len, code.ptr);
        return REJECT;
    }
    if (!s_present (self, ev, F_BATCH))
        return GO;
    jk_model_batch_t *row;
    return s_need_batch (self, s_text (self, ev, F_BATCH), &row, report);
}

/* Attendance % as the enrollments table holds it: SQLite's round (100.0 *
   jp_attended / jp_total, 2), 0 when nothing is scheduled. */
static double s_pct (int64_t jp_attended, int64_t jp_total)
{
    if (jp_total <= 0)
        return 0.0;
    char *text = sqlite3_mprintf ("%!.2f", 100.0 * (double)jp_attended /
                                               (double)jp_total);
    double pct = text ? strtod (text, NULL) : 0.0;
    sqlite3_free (text);
    return pct;
}

static int s_unit_assessed (jk_model_t *self, const jk_event_t *ev,
                            jk_report_t *report)
{
    jk_model_assessment_t *a;
    RUN (s_need_assessment (self, ev, &a, report));
    RUN (s_need_person (self, ev, report));
    jk_str_t code = s_text (self, ev, F_ASSESSMENT);
    jk_str_t unit = s_text (self, ev, F_UNIT);
    char key[KEY_MAX];
    if (!jk_model_map_lookup (a->unit_set, s_key (key, unit, NONE, NONE))) {
        jk_report_error (report, "E_UNKNOWN_UNIT", "body.unit",
                         "body.unit %.*s is not one of assessment %.*s's "
                         "units",
                         (int)unit.len, unit.ptr, (int)code.len, code.ptr);
        return REJECT;
    }
    jk_str_t assessor = s_text (self, ev, F_ASSESSOR);
    if (!jk_model_map_lookup (a->assessors,
                              s_key (key, assessor, NONE, NONE))) {
        jk_report_error (report, "E_UNKNOWN_ASSESSOR", "body.assessor",
                         "body.assessor %.*s is not one of assessment %.*s's "
                         "assessors",
                         (int)assessor.len, assessor.ptr, (int)code.len,
                         code.ptr);
        return REJECT;
    }
    if (!a->batch[0])
        return GO;
    /* A linked batch admits only enrolled participants who reached its
       minimum attendance. */
    jk_str_t nik = s_text (self, ev, F_NIK);
    jk_str_t linked = jk_str_of (a->batch);
    jk_model_enrollment_t *e;
    RUN (s_enrollment (self, linked, nik, &e));
    jk_model_batch_t *b = jk_model_batch (self, linked);
    int64_t jp_total = b ? b->jp_total : 0, min_pct = b ? b->min_pct : 0;
    bool eligible = e && !e->withdrawn && b && (jp_total > 0 || min_pct == 0) &&
                    e->jp_attended * 100 >= min_pct * jp_total;
    if (eligible)
        return GO;
    char masked[17];
    s_mask (nik, masked);
    if (!e || e->withdrawn) {
        jk_report_error (report, "E_ATTENDANCE_BELOW_MIN", "body.nik",
                         "body.nik %s is not enrolled in batch %s, which "
                         "assessment %.*s is linked to",
                         masked, a->batch, (int)code.len, code.ptr);
        return REJECT;
    }
    jk_report_error (report, "E_ATTENDANCE_BELOW_MIN", "body.nik",
                     "body.nik %s attended %.2f%% of batch %s, below its "
                     "min_attendance_pct %lld",
                     masked, b ? s_pct (e->jp_attended, jp_total) : 0.0,
                     a->batch, (long long)min_pct);
    return REJECT;
}

static int s_decided (jk_model_t *self, const jk_event_t *ev,
                      jk_report_t *report)
{
    jk_model_assessment_t *a;
    RUN (s_need_assessment (self, ev, &a, report));
    RUN (s_need_person (self, ev, report));
    if (!jk_str_eq (s_text (self, ev, F_VERDICT), "K"))
        return GO;
    jk_str_t code = s_text (self, ev, F_ASSESSMENT);
    jk_str_t nik = s_text (self, ev, F_NIK);
    char key[KEY_MAX];
    for (size_t i = 0; i < a->unit_count; i++) {
        jk_model_verdict_t *v = jk_model_map_lookup (
            self->unit_results, s_key (key, code, nik, jk_str_of (a->unit[i])));
        if (v && strcmp (v->verdict, "K") == 0)
            continue;
        char unit[64];
        s_copy (unit, sizeof unit, jk_str_of (a->unit[i]));
        char masked[17];
        s_mask (nik, masked);
        if (v && v->verdict[0])
            jk_report_error (report, "E_VERDICT_UNITS", "body.verdict",
                             "body.verdict K for %s needs every unit K, but "
                             "unit %s's latest verdict is %s",
                             masked, unit, v->verdict);
        else
            jk_report_error (report, "E_VERDICT_UNITS", "body.verdict",
                             "body.verdict K for %s needs every unit K, but "
                             "unit %s is not assessed",
                             masked, unit);
        return REJECT;
    }
    return GO;
}

static int s_certificate_issued (jk_model_t *self, const jk_event_t *ev,
                                 jk_report_t *report)
{
    jk_str_t number = s_text (self, ev, F_NUMBER);
    char key[KEY_MAX];
    if (jk_model_map_lookup (self->certificates,
                             s_key (key, number, NONE, NONE))) {
        jk_report_error (report, "E_DUPLICATE_CERTIFICATE", "body.number",
                         "certificate number %.*s is already issued; numbers "
                         "are unique",
                         (int)number.len, number.ptr);
        return REJECT;
    }
    RUN (s_need_person (self, ev, report));
    jk_model_assessment_t *a;
    RUN (s_need_assessment (self, ev, &a, report));
    jk_str_t code = s_text (self, ev, F_ASSESSMENT);
    jk_str_t nik = s_text (self, ev, F_NIK);
    char masked[17];
    s_mask (nik, masked);
    jk_model_verdict_t *v =
        jk_model_map_lookup (self->results, s_key (key, code, nik, NONE));
    const char *verdict = v ? v->verdict : "";
    if (strcmp (verdict, "K") != 0) {
        jk_report_error (report, "E_NOT_COMPETENT", "body.nik",
                         "body.nik %s is not decided K on assessment %.*s "
                         "(%s); a certificate needs assessment.decided K",
                         masked, (int)code.len, code.ptr,
                         verdict[0] ? "decided BK" : "not decided");
        return REJECT;
    }
    jk_str_t issued = s_text (self, ev, F_ISSUED_ON);
    if (strncmp (issued.ptr, a->date, 10) < 0) {
        jk_report_error (report, "E_CERTIFICATE_DATE", "body.issued_on",
                         "body.issued_on %.*s is before assessment %.*s's "
                         "date %s",
                         (int)issued.len, issued.ptr, (int)code.len, code.ptr,
                         a->date);
        return REJECT;
    }
    /* The lowest unrevoked number this person holds for the assessment. */
    jk_model_holder_t *h = jk_model_map_lookup (self->holders, key);
    const char *other = NULL;
    for (size_t i = 0; h && i < h->count; i++) {
        jk_model_certificate_t *c =
            jk_model_map_lookup (self->certificates, h->number[i]);
        if (c && !c->revoked && (!other || strcmp (h->number[i], other) < 0))
            other = h->number[i];
    }
    if (!other)
        return GO;
    char text[64];
    s_copy (text, sizeof text, jk_str_of (other));
    jk_report_error (report, "E_DUPLICATE_CERTIFICATE", "body.assessment",
                     "%s already holds certificate %s for assessment %.*s; "
                     "revoke it before issuing another",
                     masked, text, (int)code.len, code.ptr);
    return REJECT;
}

static int s_certificate_revoked (jk_model_t *self, const jk_event_t *ev,
                                  jk_report_t *report)
{
    jk_str_t number = s_text (self, ev, F_NUMBER);
    char key[KEY_MAX];
    jk_model_certificate_t *c = jk_model_map_lookup (
        self->certificates, s_key (key, number, NONE, NONE));
    if (!c) {
        jk_report_error (report, "E_UNKNOWN_CERTIFICATE", "body.number",
                         "certificate number %.*s was never issued",
                         (int)number.len, number.ptr);
        return REJECT;
    }
    if (!c->revoked)
        return GO;
    jk_report_error (report, "E_ALREADY_REVOKED", "body.number",
                     "certificate %.*s is already revoked (position %lld)",
                     (int)number.len, number.ptr, (long long)c->revoked_pos);
    return REJECT;
}

typedef int (s_decide_fn) (jk_model_t *, const jk_event_t *, jk_report_t *);

/* The rules per type, in vocabulary order (checked by
   jk_proj_rules_check). */
static const struct {
    const char *type;
    s_decide_fn *decide;
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

int jk_model_rules_check (char *err, size_t err_size)
{
    /* Every field the rules read by slot is a field of some type. */
    for (int f = 0; f < F_COUNT; f++) {
        const char *name = jk_model_field_names[f];
        size_t t = 0;
        while (t < jk_vocabulary_count () &&
               jk_type_field (jk_vocabulary_at (t), name, strlen (name)) < 0)
            t++;
        if (t == jk_vocabulary_count ()) {
            snprintf (err, err_size,
                      "projections: the domain rules read field %s, which "
                      "no event type has",
                      name);
            return -1;
        }
    }
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

int jk_model_decide (jk_model_t *self, const jk_event_t *event,
                     jk_report_t *report)
{
    assert (self && event && report);
    jk_model_forget (self);
    int index = jk_vocabulary_index (event->type);
    if (index >= 0 && (size_t)index < sizeof s_rules / sizeof s_rules[0]) {
        s_fields_of (self, index);
        int rc = s_rules[index].decide (self, event, report);
        return rc == GO ? 0 : rc == REJECT ? -1 : JK_IO;
    }
    jk_report_error (report, "E_TYPE", "type",
                     "type %s v%u has no domain rules in this store",
                     event->type->name, event->type->version);
    return -1;
}
