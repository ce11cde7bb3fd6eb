/* Whole at ~630 lines: the counters and the read caches kept in step. */
/*  counters.c - the projections' counters and read caches: per-source
    progress, kecamatan_summary, people's and sessions' counters (written
    behind in deferred mode), batches' counters, cooperatives' RAT
    columns (count and streak), batch terms and session hours, and the
    enrolment arithmetic of attendance %. Used by the entity files. */
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

void jk_proj_item_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

void jk_proj_person_delta_free (void **item_p)
{
    jk_proj_person_delta_t *d = *item_p;
    if (d)
        free (d->held);
    jk_proj_item_free (item_p);
}

/* ---- write-behind counters -------------------------------------------------
   In deferred mode these deltas wait in memory for jk_projections_flush.
   They are safe to defer because they are pure sums (or a latest value)
   that no decision and no apply step reads back inside the transaction:
   decide reads sessions' date, times and jp, never recorded/present; it
   never reads sources or kecamatan_summary (the log keeps its own next
   seq per source). Enrolments' attendance hours wait too, but only
   while no decisions' model reads the same database (s_enrollment_jp):
   % and eligibility are recomputed from the batch's terms at every write
   of a row, so the last write (the flush) leaves what one write per
   event would have left. */

/* sources: one writer transaction's records of one source. */
typedef struct {
    int64_t seq_max;           /* highest seq seen */
    int64_t accepted;          /* records accepted */
    int64_t rejected;          /* records rejected */
    int64_t first_recorded_at; /* of the first record: kept on insert only */
    int64_t last_recorded_at;  /* of the latest record */
    int64_t last_pos;          /* of the latest record */
} s_source_delta_t;

/* kecamatan_summary: cooperatives, people, enrolled, assessed, competent,
   certificates (W_KECAMATAN's ?2..?7). */
typedef struct {
    int64_t counts[6];
} s_kecamatan_delta_t;

/* enrollments: attendance hours added to one enrolment. */
typedef struct {
    int64_t jp;
    size_t batch_len, nik_len;
    char text[]; /* the batch code, then the NIK, each NUL-terminated */
} s_enrollment_delta_t;

/* batches: counters added to one batch (W_BATCH_COUNTERS' ?2..?5), and
   whether the % of all its enrolments is to be recomputed at flush (a
   session was scheduled: the batch's jp_total moved). */
typedef struct {
    int64_t counts[4]; /* enrolled, withdrawn, sessions, jp_total */
    bool recompute;
    bool swept; /* recomputed in this flush with its pending hours */
} s_batch_delta_t;

/* cooperatives: RATs of this transaction not written yet, and the
   cooperative's registration when it is in this transaction and not
   written yet (then the RATs go into its INSERT). */
typedef struct {
    int64_t count;    /* RATs held */
    int64_t last_pos; /* of the latest */
    jk_proj_held_t *held;
} jk_proj_rat_delta_t;

void jk_proj_rat_delta_free (void **item_p)
{
    jk_proj_rat_delta_t *d = *item_p;
    if (d)
        free (d->held);
    jk_proj_item_free (item_p);
}

/* sessions: recorded and present added to one session. */
typedef struct {
    int64_t session_no;
    int64_t recorded;
    int64_t present;
    char batch[]; /* the batch code, NUL-terminated */
} s_session_delta_t;

static int s_people_flush (jk_projections_t *self);
static size_t s_enrollment_key (jk_str_t batch, jk_str_t nik, char key[256]);
static int s_batches_flush (jk_projections_t *self);

void jk_projections_set_deferred (jk_projections_t *self, bool deferred)
{
    assert (self);
    self->deferred = deferred;
}

/* Forgets the pending counters (written, or rolled back). */
static void s_pending_purge (jk_projections_t *self)
{
    jk_model_map_clear (self->pending_sources);
    self->source_last = NULL;
    jk_model_map_clear (self->pending_kecamatan);
    jk_model_map_clear (self->pending_sessions);
    jk_model_map_clear (self->pending_people);
    jk_model_map_clear (self->pending_enrollments);
    jk_model_map_clear (self->pending_batches);
    jk_model_map_clear (self->pending_rats);
}

void jk_projections_discard (jk_projections_t *self)
{
    assert (self);
    s_pending_purge (self);
    free (self->held);
    self->held = NULL;
    /* The read caches may hold what the rolled-back transaction wrote. */
    jk_model_map_clear (self->batch_terms);
    jk_model_map_clear (self->session_jp);
    /* The model may hold what the rolled-back transaction decided. */
    jk_model_destroy (&self->model);
}

int jk_projections_flush (jk_projections_t *self)
{
    assert (self);
    int rc = JK_OK;
    for (s_source_delta_t *d = jk_model_map_first (self->pending_sources);
         d && rc == JK_OK; d = jk_model_map_next (self->pending_sources)) {
        const char *source = jk_model_map_cursor (self->pending_sources);
        sqlite3_stmt *st = STMT (W_SOURCE_FLUSH);
        sqlite3_bind_text (st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, d->seq_max);
        sqlite3_bind_int64 (st, 3, d->accepted);
        sqlite3_bind_int64 (st, 4, d->rejected);
        sqlite3_bind_int64 (st, 5, d->first_recorded_at);
        sqlite3_bind_int64 (st, 6, d->last_recorded_at);
        sqlite3_bind_int64 (st, 7, d->last_pos);
        rc = jk_proj_exec (self, W_SOURCE_FLUSH);
    }
    for (s_kecamatan_delta_t *d = jk_model_map_first (self->pending_kecamatan);
         d && rc == JK_OK; d = jk_model_map_next (self->pending_kecamatan)) {
        const char *code = jk_model_map_cursor (self->pending_kecamatan);
        sqlite3_stmt *st = STMT (W_KECAMATAN);
        sqlite3_bind_text (st, 1, code, -1, SQLITE_STATIC);
        for (int i = 0; i < 6; i++)
            sqlite3_bind_int64 (st, i + 2, d->counts[i]);
        rc = jk_proj_exec (self, W_KECAMATAN);
    }
    for (s_session_delta_t *d = jk_model_map_first (self->pending_sessions);
         d && rc == JK_OK; d = jk_model_map_next (self->pending_sessions)) {
        sqlite3_stmt *st = STMT (W_SESSION_COUNTERS);
        sqlite3_bind_text (st, 1, d->batch, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, d->session_no);
        sqlite3_bind_int64 (st, 3, d->recorded);
        sqlite3_bind_int64 (st, 4, d->present);
        rc = jk_proj_exec (self, W_SESSION_COUNTERS);
    }
    if (rc == JK_OK)
        rc = s_people_flush (self);
    if (rc == JK_OK)
        rc = jk_proj_enrollments_flush (self);
    if (rc == JK_OK)
        rc = s_batches_flush (self);
    if (rc == JK_OK)
        rc = jk_proj_rats_flush (self);
    /* The read caches stay: they hold what is now being committed. */
    if (rc == JK_OK)
        s_pending_purge (self);
    return rc;
}

/* Adds deltas to a kecamatan's counters (no-op for NULL or unknown). */
int jk_proj_kecamatan (jk_projections_t *self, const char *kecamatan,
                       int cooperatives, int people, int enrolled, int assessed,
                       int competent, int certificates)
{
    if (!kecamatan || !*kecamatan)
        return JK_OK;
    if (self->deferred) {
        bool made;
        s_kecamatan_delta_t *d = jk_model_map_entry (
            self->pending_kecamatan, kecamatan, sizeof *d, &made);
        d->counts[0] += cooperatives;
        d->counts[1] += people;
        d->counts[2] += enrolled;
        d->counts[3] += assessed;
        d->counts[4] += competent;
        d->counts[5] += certificates;
        return JK_OK;
    }
    sqlite3_stmt *st = STMT (W_KECAMATAN);
    sqlite3_bind_text (st, 1, kecamatan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int (st, 2, cooperatives);
    sqlite3_bind_int (st, 3, people);
    sqlite3_bind_int (st, 4, enrolled);
    sqlite3_bind_int (st, 5, assessed);
    sqlite3_bind_int (st, 6, competent);
    sqlite3_bind_int (st, 7, certificates);
    return jk_proj_exec (self, W_KECAMATAN);
}

/* The NUL-terminated key of a NIK for pending_people, or false when it
   cannot be one (then the person is written through). */
bool jk_proj_nik_key (jk_str_t nik, char key[32])
{
    if (!nik.ptr || nik.len == 0 || nik.len >= 32 ||
        memchr (nik.ptr, 0, nik.len))
        return false;
    memcpy (key, nik.ptr, nik.len);
    key[nik.len] = 0;
    return true;
}

static int s_people_flush (jk_projections_t *self)
{
    for (jk_proj_person_delta_t *d = jk_model_map_first (self->pending_people);
         d; d = jk_model_map_next (self->pending_people)) {
        if (d->held) {
            bool zero =
                !d->delta[0] && !d->delta[1] && !d->delta[2] && !d->delta[3];
            CHECK (
                jk_proj_held_write (self, &d->held, zero ? NULL : d->delta, 4));
            continue;
        }
        if (!d->delta[0] && !d->delta[1] && !d->delta[2] && !d->delta[3])
            continue;
        const char *nik = jk_model_map_cursor (self->pending_people);
        sqlite3_stmt *st = STMT (W_PERSON_COUNTERS);
        sqlite3_bind_text (st, 1, nik, -1, SQLITE_STATIC);
        for (int i = 0; i < 4; i++)
            sqlite3_bind_int64 (st, i + 2, d->delta[i]);
        CHECK (jk_proj_exec (self, W_PERSON_COUNTERS));
    }
    return JK_OK;
}

jk_proj_person_delta_t *jk_proj_person_pending (jk_projections_t *self,
                                                const char *key)
{
    return jk_model_map_lookup (self->pending_people, key);
}

jk_proj_person_delta_t *jk_proj_person_pending_make (jk_projections_t *self,
                                                     const char *key,
                                                     bool *made)
{
    return jk_model_map_entry (self->pending_people, key,
                               sizeof (jk_proj_person_delta_t), made);
}

int jk_proj_person_unhold (jk_projections_t *self, jk_str_t nik)
{
    char key[32];
    jk_proj_person_delta_t *d =
        self->deferred && jk_proj_nik_key (nik, key)
            ? jk_model_map_lookup (self->pending_people, key)
            : NULL;
    if (!d || !d->held)
        return JK_OK;
    /* The row is written with what was added to it; nothing waits. */
    int rc = jk_proj_held_write (self, &d->held, d->delta, 4);
    memset (d->delta, 0, sizeof d->delta);
    return rc;
}

int jk_proj_person_read (jk_projections_t *self, jk_str_t nik,
                         jk_proj_person_t *row)
{
    char key[32];
    jk_proj_person_delta_t *pending =
        self->deferred && jk_proj_nik_key (nik, key)
            ? jk_model_map_lookup (self->pending_people, key)
            : NULL;
    if (pending) {
        *row = pending->row;
        return JK_OK;
    }
    memset (row, 0, sizeof *row);
    sqlite3_stmt *st = STMT (Q_PERSON);
    sqlite3_bind_text (st, 1, nik.ptr, (int)nik.len, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_PERSON);
    if (rc < 0)
        return JK_IO;
    if (rc == SQLITE_ROW) {
        row->found = true;
        jk_proj_column_text (st, 0, row->kecamatan, sizeof row->kecamatan);
        row->enrollments = sqlite3_column_int64 (st, 1);
        row->units_assessed = sqlite3_column_int64 (st, 2);
        row->competent = sqlite3_column_int64 (st, 3);
        row->certificates = sqlite3_column_int64 (st, 4);
        sqlite3_reset (st);
    }
    return JK_OK;
}

/* 1 when a count crosses from zero to positive, -1 back, else 0. */
static int s_crossing (int64_t before, int64_t delta)
{
    return (before <= 0 && before + delta > 0)   ? 1
           : (before > 0 && before + delta <= 0) ? -1
                                                 : 0;
}

/* Changes a person's counters and the kecamatan_summary counts of people
   enrolled, assessed and competent (each person counted once) and of
   certificates. */
int jk_proj_person_counters (jk_projections_t *self, jk_str_t nik,
                             int enrollments, int units, int competent,
                             int certificates)
{
    jk_proj_person_t row;
    CHECK (jk_proj_person_read (self, nik, &row));
    if (!row.found)
        return JK_OK;
    char key[32];
    if (self->deferred && jk_proj_nik_key (nik, key)) {
        bool made;
        jk_proj_person_delta_t *d =
            jk_proj_person_pending_make (self, key, &made);
        if (made)
            d->row = row;
        int64_t add[4] = {enrollments, units, competent, certificates};
        for (int i = 0; i < 4; i++)
            d->delta[i] += add[i];
        d->row.enrollments += enrollments;
        d->row.units_assessed += units;
        d->row.competent += competent;
        d->row.certificates += certificates;
    } else {
        /* A read and a plain update: cheaper than UPDATE ... RETURNING,
           which materialises its rows. */
        sqlite3_stmt *st = STMT (W_PERSON_COUNTERS);
        sqlite3_bind_text (st, 1, nik.ptr, (int)nik.len, SQLITE_STATIC);
        sqlite3_bind_int (st, 2, enrollments);
        sqlite3_bind_int (st, 3, units);
        sqlite3_bind_int (st, 4, competent);
        sqlite3_bind_int (st, 5, certificates);
        CHECK (jk_proj_exec (self, W_PERSON_COUNTERS));
    }
    int enrolled = s_crossing (row.enrollments, enrollments);
    int assessed = s_crossing (row.units_assessed, units);
    int comp = s_crossing (row.competent, competent);
    if (enrolled || assessed || comp || certificates)
        return jk_proj_kecamatan (self, row.kecamatan, 0, 0, enrolled, assessed,
                                  comp, certificates);
    return JK_OK;
}

/* Kecamatan code of a desa from the reference data, or NULL. */
const char *jk_proj_kecamatan_of (jk_projections_t *self, jk_str_t desa)
{
    const char *kecamatan = NULL;
    if (desa.ptr &&
        jk_region_desa (self->region, desa.ptr, desa.len, &kecamatan))
        return kecamatan;
    return NULL;
}

/* A batch's terms for attendance %: its lesson hours so far and the
   minimum %. */
typedef struct {
    int64_t jp_total;
    int64_t min_pct;
} s_batch_terms_t;

/* A session's lesson hours (fixed when it is scheduled). */
typedef struct {
    int64_t jp;
} s_session_jp_t;

/* Caches stay small: past this many entries one is emptied and refilled
   from the tables. */
#define S_CACHE_MAX 100000

/* The NUL-terminated key of a batch code, or false (then no cache). */
static bool s_batch_key (jk_str_t batch, char key[JK_PROJ_LEGAL_MAX])
{
    if (!batch.ptr || batch.len >= JK_PROJ_LEGAL_MAX ||
        memchr (batch.ptr, 0, batch.len))
        return false;
    memcpy (key, batch.ptr, batch.len);
    key[batch.len] = 0;
    return true;
}

/* Inserts a cache entry, emptying the cache first when it is full. */
/* A new cache entry of size bytes under key (absent from the cache),
   the cache emptied first when it is full. */
static void *s_cache_put (jk_model_map_t *cache, const char *key, size_t size)
{
    if (jk_model_map_size (cache) >= S_CACHE_MAX)
        jk_model_map_clear (cache);
    bool made;
    return jk_model_map_entry (cache, key, size, &made);
}

/* Reads a batch's terms; found false when the batch is unknown. */
static int s_batch_terms (jk_projections_t *self, jk_str_t batch, bool *found,
                          s_batch_terms_t *terms)
{
    char key[JK_PROJ_LEGAL_MAX];
    bool cache = self->deferred && s_batch_key (batch, key);
    s_batch_terms_t *cached =
        cache ? jk_model_map_lookup (self->batch_terms, key) : NULL;
    if (cached) {
        *found = true;
        *terms = *cached;
        return JK_OK;
    }
    sqlite3_stmt *st = STMT (Q_BATCH);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_BATCH);
    if (rc < 0)
        return JK_IO;
    *found = rc == SQLITE_ROW;
    if (!*found)
        return JK_OK;
    terms->min_pct = sqlite3_column_int64 (st, 3);
    terms->jp_total = sqlite3_column_int64 (st, 6);
    sqlite3_reset (st);
    s_batch_delta_t *pending =
        cache ? jk_model_map_lookup (self->pending_batches, key) : NULL;
    if (pending) /* hours of sessions not written yet */
        terms->jp_total += pending->counts[3];
    if (cache) {
        cached = s_cache_put (self->batch_terms, key, sizeof *cached);
        *cached = *terms;
    }
    return JK_OK;
}

/* The pending entry of a batch, made when absent, in deferred mode
   without a decisions' model (which reads batches and enrolments from
   the tables); NULL when its writes go through. */
static s_batch_delta_t *s_batch_pending (jk_projections_t *self, jk_str_t batch)
{
    char key[JK_PROJ_LEGAL_MAX];
    if (!self->deferred || self->model || !s_batch_key (batch, key))
        return NULL;
    bool made;
    return jk_model_map_entry (self->pending_batches, key,
                               sizeof (s_batch_delta_t), &made);
}

/* Writes the pending batch counters. */
static int s_batches_flush (jk_projections_t *self)
{
    for (s_batch_delta_t *d = jk_model_map_first (self->pending_batches); d;
         d = jk_model_map_next (self->pending_batches)) {
        if (!d->counts[0] && !d->counts[1] && !d->counts[2] && !d->counts[3])
            continue;
        const char *batch = jk_model_map_cursor (self->pending_batches);
        sqlite3_stmt *st = STMT (W_BATCH_COUNTERS);
        sqlite3_bind_text (st, 1, batch, -1, SQLITE_STATIC);
        for (int i = 0; i < 4; i++)
            sqlite3_bind_int64 (st, i + 2, d->counts[i]);
        CHECK (jk_proj_exec (self, W_BATCH_COUNTERS));
    }
    jk_model_map_clear (self->pending_batches);
    return JK_OK;
}

int jk_proj_batch_counters (jk_projections_t *self, jk_str_t batch,
                            int enrolled, int withdrawn, int sessions,
                            int64_t jp)
{
    char key[JK_PROJ_LEGAL_MAX];
    s_batch_terms_t *cached = jp && self->deferred && s_batch_key (batch, key)
                                  ? jk_model_map_lookup (self->batch_terms, key)
                                  : NULL;
    if (cached) /* kept in step with the row */
        cached->jp_total += jp;
    s_batch_delta_t *d = s_batch_pending (self, batch);
    if (d) {
        int64_t add[4] = {enrolled, withdrawn, sessions, jp};
        for (int i = 0; i < 4; i++)
            d->counts[i] += add[i];
        return JK_OK;
    }
    sqlite3_stmt *st = STMT (W_BATCH_COUNTERS);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    sqlite3_bind_int (st, 2, enrolled);
    sqlite3_bind_int (st, 3, withdrawn);
    sqlite3_bind_int (st, 4, sessions);
    sqlite3_bind_int64 (st, 5, jp);
    return jk_proj_exec (self, W_BATCH_COUNTERS);
}

/* Adds jp_delta to one enrollment's hours (or every enrollment's of the
   batch when nik.ptr is NULL) and recomputes attendance % and
   eligibility from the batch's terms. An unknown batch takes the
   statements that look the terms up themselves (what they did before
   the terms were bound), so the outcome is the same either way. */
static int s_enrollment_write (jk_projections_t *self, jk_str_t batch,
                               jk_str_t nik, int64_t jp_delta)
{
    bool found;
    s_batch_terms_t terms;
    CHECK (s_batch_terms (self, batch, &found, &terms));
    jk_stmt_id_t id =
        nik.ptr ? (found ? W_ENROLLMENT_TERMS_ONE : W_ENROLLMENT_PCT_ONE)
                : (found ? W_ENROLLMENT_TERMS_BATCH : W_ENROLLMENT_PCT_BATCH);
    sqlite3_stmt *st = STMT (id);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    if (nik.ptr)
        sqlite3_bind_text (st, 2, nik.ptr, (int)nik.len, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 3, jp_delta);
    if (found) {
        sqlite3_bind_int64 (st, 4, terms.jp_total);
        sqlite3_bind_int64 (st, 5, terms.min_pct);
    }
    return jk_proj_exec (self, id);
}

void jk_proj_pending_jp_fn (sqlite3_context *context, int argc,
                            sqlite3_value **argv)
{
    assert (argc == 3);
    (void)argc;
    jk_projections_t *self = sqlite3_value_pointer (argv[0], "jk_projections");
    jk_str_t batch = {(const char *)sqlite3_value_text (argv[1]),
                      (size_t)sqlite3_value_bytes (argv[1])};
    jk_str_t nik = {(const char *)sqlite3_value_text (argv[2]),
                    (size_t)sqlite3_value_bytes (argv[2])};
    char key[256];
    s_enrollment_delta_t *d =
        self && s_enrollment_key (batch, nik, key)
            ? jk_model_map_lookup (self->pending_enrollments, key)
            : NULL;
    sqlite3_result_int64 (context, d ? d->jp : 0);
}

/* A batch whose terms moved (a session was scheduled): every enrolment's
   hours and % in one statement, from the terms now (those of the last
   session scheduled), what the last of one recomputation per session
   left. Its enrolments' pending hours are then written; swept false when
   the batch is unknown (its rows are written one by one). */
static int s_batch_sweep (jk_projections_t *self, const char *code, bool *swept)
{
    jk_str_t batch = jk_str_of (code);
    bool found;
    s_batch_terms_t terms;
    CHECK (s_batch_terms (self, batch, &found, &terms));
    *swept = found;
    if (!found)
        return s_enrollment_write (self, batch, (jk_str_t){NULL, 0}, 0);
    sqlite3_stmt *st = STMT (W_ENROLLMENT_TERMS_PENDING);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    sqlite3_bind_pointer (st, 2, self, "jk_projections", NULL);
    sqlite3_bind_int64 (st, 4, terms.jp_total);
    sqlite3_bind_int64 (st, 5, terms.min_pct);
    return jk_proj_exec (self, W_ENROLLMENT_TERMS_PENDING);
}

int jk_proj_enrollments_flush (jk_projections_t *self)
{
    /* First the batches to recompute, each with its rows' hours. */
    int rc = JK_OK;
    for (s_batch_delta_t *b = jk_model_map_first (self->pending_batches);
         b && rc == JK_OK; b = jk_model_map_next (self->pending_batches))
        if (b->recompute) {
            b->recompute = false;
            rc = s_batch_sweep (
                self, jk_model_map_cursor (self->pending_batches), &b->swept);
        }
    /* Then the hours of the other batches' rows, one row each. A batch
       with no row in batches (unknown: no terms to bind) was not swept
       above: its whole-batch recomputation took the statement that looks
       the terms up, without the hours, and its rows are written here one
       by one by the same kind of statement, each recomputing its own %
       with its hours, so every row ends as one write per event left it. */
    for (s_enrollment_delta_t *d =
             jk_model_map_first (self->pending_enrollments);
         d && rc == JK_OK; d = jk_model_map_next (self->pending_enrollments)) {
        s_batch_delta_t *b =
            jk_model_map_lookup (self->pending_batches, d->text);
        if (b && b->swept)
            continue;
        jk_str_t batch = {d->text, d->batch_len};
        jk_str_t nik = {d->text + d->batch_len + 1, d->nik_len};
        rc = s_enrollment_write (self, batch, nik, d->jp);
    }
    for (s_batch_delta_t *b = jk_model_map_first (self->pending_batches); b;
         b = jk_model_map_next (self->pending_batches))
        b->swept = false;
    if (rc == JK_OK)
        jk_model_map_clear (self->pending_enrollments);
    return rc;
}

/* The key "batch\x1fnik" of pending_enrollments; 0 when there is none
   (a NUL in either, a unit separator in the batch, or too long). */
static size_t s_enrollment_key (jk_str_t batch, jk_str_t nik, char key[256])
{
    size_t size = batch.len + nik.len + 2;
    if (!batch.ptr || !nik.ptr || size > 256 ||
        memchr (batch.ptr, 0, batch.len) || memchr (nik.ptr, 0, nik.len) ||
        memchr (batch.ptr, 0x1f, batch.len))
        return 0;
    memcpy (key, batch.ptr, batch.len);
    key[batch.len] = 0x1f;
    memcpy (key + batch.len + 1, nik.ptr, nik.len);
    key[size - 1] = 0;
    return size;
}

int jk_proj_enrollment_flush (jk_projections_t *self, jk_str_t batch,
                              jk_str_t nik)
{
    char key[256];
    if (!s_enrollment_key (batch, nik, key))
        return jk_proj_enrollments_flush (self);
    s_enrollment_delta_t *d =
        jk_model_map_lookup (self->pending_enrollments, key);
    if (!d)
        return JK_OK;
    int rc = s_enrollment_write (self, batch, nik, d->jp);
    jk_model_map_delete (self->pending_enrollments, key);
    return rc;
}

/* In deferred mode one enrolment's hours (and the recomputation of its %
   when it is made) wait in pending_enrollments: a person's attendance in
   every session of a transaction becomes one UPDATE. The % and
   eligibility then come from the batch's terms at the flush; they change
   only when a session is scheduled, which recomputes the whole batch
   after the pending hours are written, so the rows end as one UPDATE per
   event would leave them. An enrolment or withdrawal writes its row's
   pending hours first (jk_projections_apply), any recomputation of a
   whole batch all of them. Not while a decisions' model reads this
   database (it reads enrolments of closed batches from the table):
   rebuild, the projector and the board's replica have none. */
static int s_enrollment_jp (jk_projections_t *self, jk_str_t batch,
                            jk_str_t nik, int64_t jp_delta)
{
    if (!nik.ptr && jp_delta == 0) {
        /* A whole batch: once per transaction, at flush. */
        s_batch_delta_t *d = s_batch_pending (self, batch);
        if (d) {
            d->recompute = true;
            return JK_OK;
        }
    }
    char key[256];
    size_t size =
        self->deferred && !self->model ? s_enrollment_key (batch, nik, key) : 0;
    if (size) {
        bool made;
        s_enrollment_delta_t *d = jk_model_map_entry (
            self->pending_enrollments, key, sizeof *d + size, &made);
        if (made) {
            d->batch_len = batch.len;
            d->nik_len = nik.len;
            memcpy (d->text, key, size);
            d->text[batch.len] = 0;
        }
        d->jp += jp_delta;
        return JK_OK;
    }
    CHECK (jk_proj_enrollments_flush (self));
    return s_enrollment_write (self, batch, nik, jp_delta);
}

/* Recomputes attendance % and eligibility of one enrollment, or of every
   enrollment of the batch when nik.ptr is NULL. */
int jk_proj_enrollment_pct (jk_projections_t *self, jk_str_t batch,
                            jk_str_t nik)
{
    return s_enrollment_jp (self, batch, nik, 0);
}

/* A cooperative's latest book year with a RAT and its streak, recounted
   from its RATs. */
static int s_rat_recount (jk_projections_t *self, const char *norm,
                          int64_t *last, int64_t *streak)
{
    /* The streak counts consecutive book years back from the latest; RATs
       may arrive out of order, so it is recounted (a few rows). */
    sqlite3_stmt *st = STMT (Q_RAT_YEARS);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    int64_t expect = 0;
    *last = *streak = 0;
    int rc;
    while ((rc = jk_proj_query (self, Q_RAT_YEARS)) == SQLITE_ROW) {
        int64_t y = sqlite3_column_int64 (st, 0);
        if (!*last)
            *last = expect = y;
        if (y != expect)
            break;
        (*streak)++;
        expect--;
    }
    if (rc < 0)
        return JK_IO;
    sqlite3_reset (st);
    return JK_OK;
}

/* Writes a cooperative's RAT columns: count RATs more, the latest at
   pos, and the last year and streak recounted from its RATs. */
static int s_rat_write (jk_projections_t *self, const char *norm, int64_t count,
                        int64_t pos)
{
    int64_t last, streak;
    CHECK (s_rat_recount (self, norm, &last, &streak));
    sqlite3_stmt *st = STMT (W_COOPERATIVE_RAT);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, last);
    sqlite3_bind_int64 (st, 3, streak);
    sqlite3_bind_int64 (st, 4, pos);
    sqlite3_bind_int64 (st, 5, count);
    return jk_proj_exec (self, W_COOPERATIVE_RAT);
}

/* Writes a held registration with the RATs pending for it (the columns
   W_COOPERATIVE_RAT would have set after it), which then stop being
   pending. */
static int s_rat_held_write (jk_projections_t *self, const char *norm,
                             jk_proj_rat_delta_t *d)
{
    if (!d->count)
        return jk_proj_held_write (self, &d->held, NULL, 0);
    int64_t last, streak;
    CHECK (s_rat_recount (self, norm, &last, &streak));
    jk_proj_held_max (d->held, "updated_pos", d->last_pos);
    int64_t counters[3] = {last, d->count, streak};
    d->count = 0;
    return jk_proj_held_write (self, &d->held, counters, 3);
}

int jk_proj_cooperative_hold (jk_projections_t *self, const char *norm)
{
    bool made;
    jk_proj_rat_delta_t *d =
        jk_model_map_entry (self->pending_rats, norm, sizeof *d, &made);
    if (made) {
        d->held = self->held;
        self->held = NULL;
        return JK_OK;
    }
    /* RATs pending before the registration (their rows' UPDATEs come
       after it at flush, as before): the row is written through. And a
       registration held before: written first. */
    return d->held ? s_rat_held_write (self, norm, d) : JK_OK;
}

int jk_proj_cooperative_unhold (jk_projections_t *self, const char *norm)
{
    jk_proj_rat_delta_t *d =
        self->deferred ? jk_model_map_lookup (self->pending_rats, norm) : NULL;
    return d && d->held ? s_rat_held_write (self, norm, d) : JK_OK;
}

/* In deferred mode without a decisions' model, a RAT's row of
   cooperatives waits for the flush: nothing in the transaction reads
   its RAT columns back, so a cooperative with several RATs in one
   transaction is recounted and written once (in its INSERT when it was
   registered in the same transaction). */
int jk_proj_rat_counters (jk_projections_t *self, const char *norm, int64_t pos)
{
    if (!self->deferred || self->model)
        return s_rat_write (self, norm, 1, pos);
    bool made;
    jk_proj_rat_delta_t *d =
        jk_model_map_entry (self->pending_rats, norm, sizeof *d, &made);
    d->count++;
    d->last_pos = pos;
    return JK_OK;
}

int jk_proj_rats_flush (jk_projections_t *self)
{
    for (jk_proj_rat_delta_t *d = jk_model_map_first (self->pending_rats); d;
         d = jk_model_map_next (self->pending_rats)) {
        const char *norm = jk_model_map_cursor (self->pending_rats);
        if (d->held)
            CHECK (s_rat_held_write (self, norm, d));
        else if (d->count) /* 0: folded into a registration written */
            CHECK (s_rat_write (self, norm, d->count, d->last_pos));
    }
    jk_model_map_clear (self->pending_rats);
    return JK_OK;
}

/* HADIR and TERLAMBAT count as present (the presence enum's first two). */
bool jk_proj_present (const char *status)
{
    return strcmp (status, "HADIR") == 0 || strcmp (status, "TERLAMBAT") == 0;
}

bool jk_proj_present_str (jk_str_t status)
{
    return status.ptr &&
           ((status.len == 5 && memcmp (status.ptr, "HADIR", 5) == 0) ||
            (status.len == 9 && memcmp (status.ptr, "TERLAMBAT", 9) == 0));
}

/* The key "batch\nsession_no" of a session's caches (snprintf's "%.*s\n%lld",
   without its cost on every attendance); false when the batch holds a
   NUL or is too long. */
static bool s_session_key (jk_str_t batch, int64_t session_no,
                           char key[JK_PROJ_LEGAL_MAX + 24])
{
    if (batch.len >= JK_PROJ_LEGAL_MAX || (batch.len && !batch.ptr) ||
        memchr (batch.ptr, 0, batch.len))
        return false;
    if (batch.len)
        memcpy (key, batch.ptr, batch.len);
    char *at = key + batch.len;
    *at++ = '\n';
    uint64_t n = session_no < 0 ? -(uint64_t)session_no : (uint64_t)session_no;
    if (session_no < 0)
        *at++ = '-';
    char digits[24];
    int count = 0;
    do
        digits[count++] = (char)('0' + n % 10);
    while ((n /= 10) > 0);
    while (count > 0)
        *at++ = digits[--count];
    *at = 0;
    return true;
}

/* A session's lesson hours; 0 when it is unknown. */
int jk_proj_session_jp (jk_projections_t *self, jk_str_t batch,
                        int64_t session_no, int64_t *jp)
{
    char key[JK_PROJ_LEGAL_MAX + 24];
    bool cache = self->deferred && s_session_key (batch, session_no, key);
    if (cache) {
        s_session_jp_t *cached = jk_model_map_lookup (self->session_jp, key);
        if (cached) {
            *jp = cached->jp;
            return JK_OK;
        }
    }
    sqlite3_stmt *st = STMT (Q_SESSION);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, session_no);
    int rc = jk_proj_query (self, Q_SESSION);
    if (rc < 0)
        return JK_IO;
    *jp = 0;
    if (rc == SQLITE_ROW) {
        *jp = sqlite3_column_int64 (st, 3);
        sqlite3_reset (st);
        if (cache) {
            s_session_jp_t *cached =
                s_cache_put (self->session_jp, key, sizeof *cached);
            cached->jp = *jp;
        }
    }
    return JK_OK;
}

/* Adds jp to an enrollment and recomputes its %; counts the session. */
int jk_proj_attendance_effects (jk_projections_t *self, jk_str_t batch,
                                int64_t session_no, jk_str_t nik,
                                int64_t jp_delta, int recorded, int present)
{
    char key[JK_PROJ_LEGAL_MAX + 24];
    if (self->deferred && s_session_key (batch, session_no, key)) {
        bool made;
        s_session_delta_t *d = jk_model_map_entry (
            self->pending_sessions, key, sizeof *d + batch.len + 1, &made);
        if (made) {
            memcpy (d->batch, batch.ptr, batch.len);
            d->session_no = session_no;
        }
        d->recorded += recorded;
        d->present += present;
    } else {
        sqlite3_stmt *st = STMT (W_SESSION_COUNTERS);
        sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, session_no);
        sqlite3_bind_int (st, 3, recorded);
        sqlite3_bind_int (st, 4, present);
        CHECK (jk_proj_exec (self, W_SESSION_COUNTERS));
    }
    if (jp_delta == 0)
        return JK_OK;
    return s_enrollment_jp (self, batch, nik, jp_delta);
}

/* Per-source progress, for every record; sources.last_pos is also how the
   last applied position is kept (one statement per record, not two). */
int jk_proj_progress (jk_projections_t *self, const char *source,
                      int source_len, uint64_t seq, bool accepted,
                      const jk_applied_t *ap)
{
    char *key = self->source_last_key;
    if (self->deferred && source && source_len > 0 &&
        (size_t)source_len < sizeof self->source_last_key &&
        !memchr (source, 0, (size_t)source_len)) {
        s_source_delta_t *d = self->source_last;
        if (!d || self->source_last_len != (size_t)source_len ||
            memcmp (key, source, (size_t)source_len) != 0) {
            memcpy (key, source, (size_t)source_len);
            key[source_len] = 0;
            self->source_last_len = (size_t)source_len;
            bool made;
            d = jk_model_map_entry (self->pending_sources, key, sizeof *d,
                                    &made);
            if (made) {
                d->seq_max = (int64_t)seq;
                d->first_recorded_at = ap->recorded_at;
            }
            self->source_last = d;
        }
        if ((int64_t)seq > d->seq_max)
            d->seq_max = (int64_t)seq;
        d->accepted += accepted;
        d->rejected += !accepted;
        d->last_recorded_at = ap->recorded_at;
        d->last_pos = (int64_t)ap->pos;
        return JK_OK;
    }
    if (source && source_len > 0) {
        sqlite3_stmt *st = STMT (W_SOURCE);
        sqlite3_bind_text (st, 1, source, source_len, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, (int64_t)seq);
        sqlite3_bind_int (st, 3, accepted);
        sqlite3_bind_int (st, 4, !accepted);
        sqlite3_bind_int64 (st, 5, ap->recorded_at);
        sqlite3_bind_int64 (st, 6, (int64_t)ap->pos);
        return jk_proj_exec (self, W_SOURCE);
    }
    /* A record with no readable source: the position goes to
       projection_meta instead (jk_projections_last_pos takes the larger). */
    sqlite3_bind_int64 (STMT (W_META_POS), 1, (int64_t)ap->pos);
    return jk_proj_exec (self, W_META_POS);
}
