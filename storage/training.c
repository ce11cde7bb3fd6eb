/*  training.c - what the projection table cannot say about training:
    batch counters, attendance hours and %, corrections of attendance. */
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

int jk_proj_session_scheduled_after (jk_projections_t *self,
                                     const jk_event_t *ev,
                                     const jk_applied_t *ap)
{
    (void)ap;
    jk_str_t batch = jk_proj_text (ev, "batch");
    CHECK (jk_proj_batch_counters (self, batch, 0, 0, 1,
                                   jk_proj_number (ev, "jp", 0)));
    return jk_proj_enrollment_pct (self, batch, (jk_str_t){NULL, 0});
}

int jk_proj_participant_enrolled_after (jk_projections_t *self,
                                        const jk_event_t *ev,
                                        const jk_applied_t *ap)
{
    (void)ap;
    jk_str_t batch = jk_proj_text (ev, "batch");
    jk_str_t nik = jk_proj_text (ev, "nik");
    CHECK (jk_proj_enrollment_pct (self, batch, nik));
    CHECK (jk_proj_batch_counters (self, batch, 1, 0, 0, 0));
    return jk_proj_person_counters (self, nik, 1, 0, 0, 0);
}

int jk_proj_participant_withdrawn_after (jk_projections_t *self,
                                         const jk_event_t *ev,
                                         const jk_applied_t *ap)
{
    (void)ap;
    jk_str_t batch = jk_proj_text (ev, "batch");
    CHECK (jk_proj_batch_counters (self, batch, -1, 1, 0, 0));
    return jk_proj_person_counters (self, jk_proj_text (ev, "nik"), -1, 0, 0,
                                    0);
}

int jk_proj_derive_attendance_jp (jk_projections_t *self, const jk_event_t *ev,
                                  int field, sqlite3_stmt *st, int index)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    int64_t session_no = jk_proj_number (ev, "session_no", 0);
    int64_t jp;
    if (self->memo_set && memcmp (self->memo_id, ev->id, 16) == 0)
        jp = self->memo_jp; /* decide just read it */
    else
        CHECK (jk_proj_session_jp (self, batch, session_no, &jp));
    self->memo_set = false;
    jk_str_t status = ev->body[field].s;
    self->scratch_present = jk_proj_present_str (status);
    self->scratch_jp = self->scratch_present ? jp : 0;
    sqlite3_bind_int64 (st, index, self->scratch_jp);
    return JK_OK;
}

int jk_proj_attendance_recorded_after (jk_projections_t *self,
                                       const jk_event_t *ev,
                                       const jk_applied_t *ap)
{
    (void)ap;
    return jk_proj_attendance_effects (
        self, jk_proj_text (ev, "batch"), jk_proj_number (ev, "session_no", 0),
        jk_proj_text (ev, "nik"), self->scratch_jp, 1, self->scratch_present);
}

int jk_proj_attendance_corrected (jk_projections_t *self, const jk_event_t *ev,
                                  const jk_applied_t *ap)
{
    sqlite3_stmt *st = STMT (Q_ATTENDANCE_BY_ID);
    sqlite3_bind_blob (st, 1, ev->corrects, 16, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_ATTENDANCE_BY_ID);
    if (rc < 0)
        return JK_IO;
    if (rc == SQLITE_DONE)
        return JK_OK;
    char batch_text[64], nik_text[24], old_status[16], old_in[8], old_out[8];
    jk_proj_column_text (st, 0, batch_text, sizeof batch_text);
    int64_t session_no = sqlite3_column_int64 (st, 1);
    jk_proj_column_text (st, 2, nik_text, sizeof nik_text);
    jk_proj_column_text (st, 3, old_status, sizeof old_status);
    int64_t old_jp = sqlite3_column_int64 (st, 4);
    jk_proj_column_text (st, 5, old_in, sizeof old_in);
    jk_proj_column_text (st, 6, old_out, sizeof old_out);
    sqlite3_reset (st);
    jk_str_t batch = jk_str_of (batch_text), nik = jk_str_of (nik_text);
    int64_t jp;
    CHECK (jk_proj_session_jp (self, batch, session_no, &jp));
    char status[16];
    jk_event_text (ev, "status", status, sizeof status);
    bool present = jk_proj_present (status);
    int64_t new_jp = present ? jp : 0;

    /* Times the correction leaves out are kept while the person stays
       present, and dropped when the new status is an absence. */
    st = STMT (W_ATTENDANCE_CORRECT);
    sqlite3_bind_blob (st, 1, ev->corrects, 16, SQLITE_STATIC);
    jk_proj_bind_field (st, 2, ev, "status");
    jk_str_t in = jk_proj_text (ev, "check_in");
    jk_str_t out = jk_proj_text (ev, "check_out");
    if (in.ptr)
        sqlite3_bind_text (st, 3, in.ptr, (int)in.len, SQLITE_STATIC);
    else if (present && old_in[0])
        sqlite3_bind_text (st, 3, old_in, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (st, 3);
    /* A kept check-out before the new check-in would break the row's
       rule (check_out not before check_in): it is dropped. Both are
       HH:MM, so they compare as text. */
    char new_in[8];
    snprintf (new_in, sizeof new_in, "%.*s", in.ptr ? (int)in.len : 7,
              in.ptr ? in.ptr : old_in);
    if (out.ptr)
        sqlite3_bind_text (st, 4, out.ptr, (int)out.len, SQLITE_STATIC);
    else if (present && old_out[0] && strcmp (old_out, new_in) >= 0)
        sqlite3_bind_text (st, 4, old_out, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (st, 4);
    sqlite3_bind_int64 (st, 5, new_jp);
    sqlite3_bind_int64 (st, 6, (int64_t)ap->pos);
    jk_proj_bind_field (st, 7, ev, "reason");
    CHECK (jk_proj_exec (self, W_ATTENDANCE_CORRECT));
    return jk_proj_attendance_effects (
        self, batch, session_no, nik, new_jp - old_jp, 0,
        (int)present - (int)jk_proj_present (old_status));
}
