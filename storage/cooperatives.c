/*  cooperatives.c - what the projection table cannot say about
    cooperatives: the kecamatan counter of a registration, updates (a move
    moves the counter), the RAT deadline (the streak is counters.c's). */
#include "jk_active.h"
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

int jk_proj_cooperative_registered_after (jk_projections_t *self,
                                          const jk_event_t *ev,
                                          const jk_applied_t *ap)
{
    (void)ap;
    if (self->held) { /* the row, held: its RATs of the transaction join it */
        char norm[JK_PROJ_LEGAL_MAX];
        jk_proj_legal (ev, "legal_number", norm);
        CHECK (jk_proj_cooperative_hold (self, norm));
    }
    return jk_proj_kecamatan (
        self, jk_proj_kecamatan_of (self, jk_proj_text (ev, "desa_code")), 1, 0,
        0, 0, 0, 0);
}

/* Reads a cooperative's kecamatan; found false when unknown. */
static int s_cooperative_kecamatan (jk_projections_t *self, const char *norm,
                                    bool *found, char kecamatan[16])
{
    sqlite3_stmt *st = STMT (Q_COOPERATIVE);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_COOPERATIVE);
    if (rc < 0)
        return JK_IO;
    *found = rc == SQLITE_ROW;
    kecamatan[0] = 0;
    if (*found) {
        jk_proj_column_text (st, 1, kecamatan, 16);
        sqlite3_reset (st);
    }
    return JK_OK;
}

int jk_proj_cooperative_updated (jk_projections_t *self, const jk_event_t *ev,
                                 const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX], before[16];
    bool found;
    jk_proj_legal (ev, "legal_number", norm);
    CHECK (jk_proj_cooperative_unhold (self, norm));
    CHECK (s_cooperative_kecamatan (self, norm, &found, before));
    if (!found)
        return JK_OK;
    const char *after =
        jk_proj_kecamatan_of (self, jk_proj_text (ev, "desa_code"));
    sqlite3_stmt *st = STMT (W_COOPERATIVE_UPDATE);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    jk_proj_bind_field (st, 2, ev, "name");
    jk_proj_bind_field (st, 3, ev, "form");
    jk_proj_bind_field (st, 4, ev, "kind");
    jk_proj_bind_field (st, 5, ev, "pattern");
    jk_proj_bind_field (st, 6, ev, "desa_code");
    if (after)
        sqlite3_bind_text (st, 7, after, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 7);
    jk_proj_bind_field (st, 8, ev, "address");
    jk_proj_bind_field (st, 9, ev, "nik_koperasi");
    jk_proj_bind_field (st, 10, ev, "members_male");
    jk_proj_bind_field (st, 11, ev, "members_female");
    sqlite3_bind_int64 (st, 12, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_COOPERATIVE_UPDATE));
    if (after && strcmp (after, before) != 0) {
        CHECK (jk_proj_kecamatan (self, before, -1, 0, 0, 0, 0, 0));
        CHECK (jk_proj_kecamatan (self, after, 1, 0, 0, 0, 0, 0));
    }
    return JK_OK;
}

/* The status columns are written by the table's UPDATE: a registration
   held in this transaction is written first. */
int jk_proj_cooperative_status_before (jk_projections_t *self,
                                       const jk_event_t *ev,
                                       const jk_applied_t *ap)
{
    (void)ap;
    char norm[JK_PROJ_LEGAL_MAX];
    jk_proj_legal (ev, "legal_number", norm);
    return jk_proj_cooperative_unhold (self, norm);
}

/* Last day of the month that ends `months` after 31 December of
   book_year: the RAT deadline (6 months: 30 June of the next year). */
static int32_t s_rat_deadline (int64_t book_year, int months)
{
    jk_active_rule_t rule = {.deadline_months = months};
    return jk_active_deadline (&rule, (int)book_year);
}

void jk_proj_derive_rat (jk_projections_t *self, jk_pderive_t fn,
                         const jk_event_t *ev, int field, int field2,
                         sqlite3_stmt *st, int index)
{
    int year_field = fn == JK_PDERIVE_RAT_DEADLINE ? field : field2;
    int64_t year = ev->body[year_field].n;
    int32_t deadline = s_rat_deadline (year, self->config.rat_deadline_months);
    if (fn == JK_PDERIVE_RAT_DEADLINE) {
        char text[11];
        jk_date_format (deadline, text);
        sqlite3_bind_text (st, index, text, -1, SQLITE_TRANSIENT);
        return;
    }
    int64_t held = ev->body[field].n;
    if (fn == JK_PDERIVE_RAT_LATE)
        sqlite3_bind_int (st, index, held > deadline);
    else
        sqlite3_bind_int64 (st, index, held > deadline ? held - deadline : 0);
}

int jk_proj_rat_held_after (jk_projections_t *self, const jk_event_t *ev,
                            const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX];
    jk_proj_legal (ev, "legal_number", norm);
    return jk_proj_rat_counters (self, norm, (int64_t)ap->pos);
}
