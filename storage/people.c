/*  people.c - what the projection table cannot say about people: the
    kecamatan counter of a registration, and corrections (a move moves
    the person's counts to the new kecamatan). */
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

/* Binds the person fields of a correction: ?2 name .. ?9 role, with the
   cooperative normalised. */
static void s_bind_person (jk_projections_t *self, sqlite3_stmt *st,
                           const jk_event_t *ev, char norm[JK_PROJ_LEGAL_MAX])
{
    jk_proj_bind_field (st, 2, ev, "name");
    jk_proj_bind_field (st, 3, ev, "sex");
    jk_proj_bind_field (st, 4, ev, "birth_date");
    jk_proj_bind_field (st, 5, ev, "desa_code");
    const char *kecamatan =
        jk_proj_kecamatan_of (self, jk_proj_text (ev, "desa_code"));
    if (kecamatan)
        sqlite3_bind_text (st, 6, kecamatan, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 6);
    jk_proj_bind_field (st, 7, ev, "phone");
    if (jk_proj_text (ev, "cooperative").ptr) {
        jk_proj_legal (ev, "cooperative", norm);
        sqlite3_bind_text (st, 8, norm, -1, SQLITE_STATIC);
    } else
        sqlite3_bind_null (st, 8);
    jk_proj_bind_field (st, 9, ev, "role");
}

/* Copies a kecamatan code ("" for NULL) into a person's row, cut to fit
   as snprintf's "%s" would, without its cost on every registration. */
static void s_kecamatan_copy (char out[16], const char *kecamatan)
{
    size_t len = kecamatan ? strnlen (kecamatan, 15) : 0;
    memcpy (out, kecamatan ? kecamatan : "", len);
    out[len] = 0;
}

int jk_proj_person_registered_after (jk_projections_t *self,
                                     const jk_event_t *ev,
                                     const jk_applied_t *ap)
{
    (void)ap;
    jk_str_t nik = jk_proj_text (ev, "nik");
    const char *kecamatan =
        jk_proj_kecamatan_of (self, jk_proj_text (ev, "desa_code"));
    char key[32];
    bool made = false;
    jk_proj_person_delta_t *d =
        self->deferred && jk_proj_nik_key (nik, key)
            ? jk_proj_person_pending_make (self, key, &made)
            : NULL;
    if (made) {
        /* The row just written (or held: then written at flush with the
           counters), with its counters at zero: the person's first
           enrolment in this transaction reads it from here. */
        d->row.found = true;
        s_kecamatan_copy (d->row.kecamatan, kecamatan);
        d->held = self->held;
        self->held = NULL;
    }
    /* A row held but not taken (the NIK registered before in this
       transaction): apply writes it after the earlier registration, as
       the INSERTs would have run. */
    if (self->held)
        CHECK (jk_proj_person_unhold (self, nik));
    return jk_proj_kecamatan (self, kecamatan, 0, 1, 0, 0, 0, 0);
}

int jk_proj_person_corrected (jk_projections_t *self, const jk_event_t *ev,
                              const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX];
    jk_str_t nik = jk_proj_text (ev, "nik");
    jk_proj_person_t row;
    CHECK (jk_proj_person_read (self, nik, &row));
    if (!row.found)
        return JK_OK;
    CHECK (jk_proj_person_unhold (self, nik));
    sqlite3_stmt *st = STMT (W_PERSON_UPDATE);
    jk_proj_bind_field (st, 1, ev, "nik");
    s_bind_person (self, st, ev, norm);
    sqlite3_bind_int64 (st, 10, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_PERSON_UPDATE));
    if (!jk_proj_text (ev, "desa_code").ptr)
        return JK_OK;
    /* Moving house moves the person's counts to the new kecamatan. */
    const char *after =
        jk_proj_kecamatan_of (self, jk_proj_text (ev, "desa_code"));
    char key[32];
    jk_proj_person_delta_t *pending =
        self->deferred && jk_proj_nik_key (nik, key)
            ? jk_proj_person_pending (self, key)
            : NULL;
    if (pending) /* the stored row moved: so does the pending copy */
        s_kecamatan_copy (pending->row.kecamatan, after);
    if ((after ? after : "")[0] == row.kecamatan[0] &&
        strcmp (after ? after : "", row.kecamatan) == 0)
        return JK_OK;
    int enrolled = row.enrollments > 0, assessed = row.units_assessed > 0,
        competent = row.competent > 0, certificates = (int)row.certificates;
    CHECK (jk_proj_kecamatan (self, row.kecamatan, 0, -1, -enrolled, -assessed,
                              -competent, -certificates));
    return jk_proj_kecamatan (self, after, 0, 1, enrolled, assessed, competent,
                              certificates);
}
