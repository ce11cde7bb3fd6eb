/*  assessments.c - what the projection table cannot say about
    assessments and certificates: units and assessors of a schedule,
    person counters of verdicts and certificates, validity, revocation. */
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

int jk_proj_assessment_scheduled_after (jk_projections_t *self,
                                        const jk_event_t *ev,
                                        const jk_applied_t *ap)
{
    (void)ap;
    const jk_value_t *units = jk_event_get (ev, "units");
    const jk_value_t *assessors = jk_event_get (ev, "assessors");
    sqlite3_stmt *st;
    for (uint32_t i = 0; i < units->count; i++) {
        st = STMT (W_UNIT_INSERT);
        jk_proj_bind_field (st, 1, ev, "assessment");
        jk_str_t code = units->items[2 * i], title = units->items[2 * i + 1];
        sqlite3_bind_text (st, 2, code.ptr, (int)code.len, SQLITE_STATIC);
        sqlite3_bind_text (st, 3, title.ptr, (int)title.len, SQLITE_STATIC);
        sqlite3_bind_int (st, 4, (int)i + 1);
        CHECK (jk_proj_exec (self, W_UNIT_INSERT));
    }
    for (uint32_t i = 0; i < assessors->count; i++) {
        st = STMT (W_ASSESSOR_INSERT);
        jk_proj_bind_field (st, 1, ev, "assessment");
        jk_str_t a = assessors->items[i];
        sqlite3_bind_text (st, 2, a.ptr, (int)a.len, SQLITE_STATIC);
        CHECK (jk_proj_exec (self, W_ASSESSOR_INSERT));
    }
    return JK_OK;
}

void jk_proj_derive_methods (const jk_event_t *ev, int field, sqlite3_stmt *st,
                             int index)
{
    /* Methods in vocabulary order, comma-separated: a stable text. */
    const jk_value_t *methods = &ev->body[field];
    const jk_field_t *f = &ev->type->fields[field];
    char text[160];
    size_t n = 0;
    for (int k = 0; f->values[k]; k++) {
        if (!(methods->n & ((int64_t)1 << k)))
            continue;
        size_t len = strlen (f->values[k]);
        if (n + (n > 0) + len >= sizeof text)
            break; /* never with the vocabulary's methods */
        if (n)
            text[n++] = ',';
        memcpy (text + n, f->values[k], len);
        n += len;
    }
    sqlite3_bind_text (st, index, text, (int)n, SQLITE_TRANSIENT);
}

int jk_proj_unit_assessed_after (jk_projections_t *self, const jk_event_t *ev,
                                 const jk_applied_t *ap)
{
    (void)ap;
    return jk_proj_person_counters (self, jk_proj_text (ev, "nik"), 0, 1, 0, 0);
}

int jk_proj_decided_before (jk_projections_t *self, const jk_event_t *ev,
                            const jk_applied_t *ap)
{
    (void)ap;
    jk_str_t assessment = jk_proj_text (ev, "assessment");
    jk_str_t nik = jk_proj_text (ev, "nik");
    sqlite3_stmt *st = STMT (Q_RESULT);
    sqlite3_bind_text (st, 1, assessment.ptr, (int)assessment.len,
                       SQLITE_STATIC);
    sqlite3_bind_text (st, 2, nik.ptr, (int)nik.len, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_RESULT);
    if (rc < 0)
        return JK_IO;
    self->scratch_was_k = false;
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text (st, 0);
        self->scratch_was_k = v && strcmp ((const char *)v, "K") == 0;
        sqlite3_reset (st);
    }
    return JK_OK;
}

int jk_proj_decided_after (jk_projections_t *self, const jk_event_t *ev,
                           const jk_applied_t *ap)
{
    (void)ap;
    bool is_k = jk_str_eq (jk_proj_text (ev, "verdict"), "K");
    if (is_k == self->scratch_was_k)
        return JK_OK;
    return jk_proj_person_counters (self, jk_proj_text (ev, "nik"), 0, 0,
                                    is_k ? 1 : -1, 0);
}

/* issued_on + years, 29 February falling back to 28 February. */
static int32_t s_add_years (int32_t day, int years)
{
    int y, m, d;
    jk_civil_from_days (day, &y, &m, &d);
    if (!jk_date_valid (y + years, m, d))
        d = 28;
    return jk_days_from_civil (y + years, m, d);
}

void jk_proj_derive_valid_until (const jk_event_t *ev, int field, int field2,
                                 sqlite3_stmt *st, int index)
{
    const jk_value_t *given = &ev->body[field];
    if (given->present) {
        sqlite3_bind_text (st, index, given->s.ptr, (int)given->s.len,
                           SQLITE_STATIC);
        return;
    }
    char until[11];
    jk_date_format (s_add_years ((int32_t)ev->body[field2].n, 3), until);
    sqlite3_bind_text (st, index, until, -1, SQLITE_TRANSIENT);
}

int jk_proj_certificate_issued_after (jk_projections_t *self,
                                      const jk_event_t *ev,
                                      const jk_applied_t *ap)
{
    (void)ap;
    return jk_proj_person_counters (self, jk_proj_text (ev, "nik"), 0, 0, 0, 1);
}

int jk_proj_certificate_revoked (jk_projections_t *self, const jk_event_t *ev,
                                 const jk_applied_t *ap)
{
    sqlite3_stmt *st = STMT (Q_CERTIFICATE);
    jk_proj_bind_field (st, 1, ev, "number");
    int rc = jk_proj_query (self, Q_CERTIFICATE);
    if (rc < 0)
        return JK_IO;
    if (rc == SQLITE_DONE)
        return JK_OK;
    char nik[24];
    jk_proj_column_text (st, 0, nik, sizeof nik);
    bool revoked = sqlite3_column_int (st, 1) != 0;
    sqlite3_reset (st);
    if (revoked)
        return JK_OK;
    st = STMT (W_CERTIFICATE_REVOKE);
    jk_proj_bind_field (st, 1, ev, "number");
    jk_proj_bind_field (st, 2, ev, "reason");
    sqlite3_bind_int64 (st, 3, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_CERTIFICATE_REVOKE));
    return jk_proj_person_counters (self, jk_str_of (nik), 0, 0, 0, -1);
}
