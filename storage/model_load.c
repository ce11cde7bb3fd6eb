/*  model_load.c - the decision model filled from the projection tables
    (jk_model_load), for a store that starts on an existing log. */
#include "model_internal.h"

/* ---- loading from the projection tables ---------------------------------- */

/* Runs sql and calls row for each result row. 0 or -1. */
typedef void (s_row_fn) (jk_model_t *self, sqlite3_stmt *st);

static int s_each (jk_model_t *self, sqlite3 *db, const char *sql,
                   s_row_fn *row)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
        row (self, st);
    sqlite3_finalize (st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void s_load_cooperative (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    jk_model_cooperative_t *c = s_fresh (
        self->cooperatives, s_key (key, s_col (st, 0), NONE, NONE), sizeof *c);
    c->registered_pos = sqlite3_column_int64 (st, 1);
}

static void s_load_rat (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    jk_model_rat_t *r = s_fresh (
        self->rats, s_key (key, s_col (st, 0), s_col (st, 1), NONE), sizeof *r);
    s_copy (r->held_on, sizeof r->held_on, s_col (st, 2));
}

static void s_load_person (jk_model_t *self, sqlite3_stmt *st)
{
    jk_model_people_add (self, s_col (st, 0), 0);
}

/* The people: all of them, or for a bounded model at most one
   generation (the first people_max by NIK). The rest stay in the table,
   where the model looks for a person it does not hold (partial), as for
   people who left memory: loading takes the time of the bound, not of
   the table. 0 or -1. */
static int s_load_people (jk_model_t *self, sqlite3 *db)
{
    if (!self->bound)
        return s_each (self, db, "SELECT nik FROM people", s_load_person);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT nik FROM people ORDER BY nik LIMIT ?1",
                            -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)self->people.max);
    char *last = NULL;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        s_load_person (self, st);
        free (last);
        last = jk_strdup ((const char *)sqlite3_column_text (st, 0));
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE || !last) {
        free (last);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    /* Anyone after the last one loaded? */
    if (sqlite3_prepare_v2 (db, "SELECT 1 FROM people WHERE nik > ?1 LIMIT 1",
                            -1, &st, NULL) != SQLITE_OK) {
        free (last);
        return -1;
    }
    sqlite3_bind_text (st, 1, last, -1, SQLITE_STATIC);
    rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
        self->people.partial = true;
    sqlite3_finalize (st);
    free (last);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static void s_load_batch (jk_model_t *self, sqlite3_stmt *st)
{
    jk_model_batch_t *b = jk_calloc (1, sizeof *b);
    s_copy (b->start, sizeof b->start, s_col (st, 1));
    s_copy (b->end, sizeof b->end, s_col (st, 2));
    b->class_size_max = sqlite3_column_int64 (st, 3);
    b->min_pct = sqlite3_column_int64 (st, 4);
    b->enrolled = sqlite3_column_int64 (st, 5);
    b->closed = sqlite3_column_int (st, 6) != 0;
    b->jp_total = sqlite3_column_int64 (st, 7);
    b->gone = b->closed && self->bound;
    char key[KEY_MAX];
    jk_model_put_batch (self, s_key (key, s_col (st, 0), NONE, NONE), b);
}

static void s_load_session (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    jk_model_session_t *s =
        s_fresh (self->sessions,
                 s_key (key, s_col (st, 0), s_col (st, 1), NONE), sizeof *s);
    s_copy (s->date, sizeof s->date, s_col (st, 2));
    s_copy (s->starts, sizeof s->starts, s_col (st, 3));
    s_copy (s->ends, sizeof s->ends, s_col (st, 4));
    s->jp = sqlite3_column_int64 (st, 5);
}

static void s_load_enrollment (jk_model_t *self, sqlite3_stmt *st)
{
    jk_model_batch_t *b = jk_model_batch (self, s_col (st, 0));
    if (b && b->gone) {
        self->enrol_evicted++;
        return;
    }
    char key[KEY_MAX];
    s_key (key, s_col (st, 0), s_col (st, 1), NONE);
    bool made;
    jk_model_enrollment_t *e =
        s_entry (self->enrollments, key, sizeof *e, &made);
    if (made)
        jk_model_note_enrollment (self, b, key);
    else
        memset (e, 0, sizeof *e);
    e->withdrawn = sqlite3_column_int (st, 2) != 0;
    e->jp_attended = sqlite3_column_int64 (st, 3);
}

static void s_load_attendance (jk_model_t *self, sqlite3_stmt *st)
{
    if (sqlite3_column_int (st, 6)) { /* its batch is closed */
        self->evicted++;
        return;
    }
    uint8_t id[16] = {0};
    if (sqlite3_column_bytes (st, 3) == 16)
        memcpy (id, sqlite3_column_blob (st, 3), 16);
    jk_model_put_attendance (self, s_col (st, 0), sqlite3_column_int64 (st, 1),
                             s_col (st, 2), id, sqlite3_column_int64 (st, 4),
                             sqlite3_column_int64 (st, 5));
}

static void s_load_assessment (jk_model_t *self, sqlite3_stmt *st)
{
    jk_model_assessment_t *a = jk_calloc (1, sizeof *a);
    s_copy (a->batch, sizeof a->batch, s_col (st, 1));
    s_copy (a->date, sizeof a->date, s_col (st, 2));
    a->units = sqlite3_column_int64 (st, 3);
    a->unit_set = s_map (NULL);
    a->assessors = s_map (NULL);
    char key[KEY_MAX];
    s_update (self->assessments, s_key (key, s_col (st, 0), NONE, NONE), a);
}

static void s_load_unit (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    jk_model_assessment_t *a = jk_model_map_lookup (
        self->assessments, s_key (key, s_col (st, 0), NONE, NONE));
    if (a)
        jk_model_add_unit (a, s_col (st, 1));
}

static void s_load_assessor (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    jk_model_assessment_t *a = jk_model_map_lookup (
        self->assessments, s_key (key, s_col (st, 0), NONE, NONE));
    if (a)
        s_update (a->assessors, s_key (key, s_col (st, 1), NONE, NONE),
                  (void *)1);
}

static void s_load_unit_result (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    jk_model_set_verdict (
        self->unit_results,
        s_key (key, s_col (st, 0), s_col (st, 1), s_col (st, 2)),
        s_col (st, 3));
}

static void s_load_result (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    jk_model_set_verdict (self->results,
                          s_key (key, s_col (st, 0), s_col (st, 1), NONE),
                          s_col (st, 2));
}

static void s_load_certificate (jk_model_t *self, sqlite3_stmt *st)
{
    jk_model_add_certificate (self, s_col (st, 0), s_col (st, 2), s_col (st, 1),
                              sqlite3_column_int (st, 3) != 0,
                              sqlite3_column_int64 (st, 4));
}

int jk_model_load (jk_model_t *self, sqlite3 *db, char *err, size_t err_size)
{
    assert (self && db);
    jk_model_forget (self);
    static const struct {
        const char *sql;
        s_row_fn *row;
    } steps[] = {
        {"SELECT legal_number_norm, registered_pos FROM cooperatives",
         s_load_cooperative},
        {"SELECT legal_number_norm, book_year, held_on FROM rat_meetings",
         s_load_rat},
        {"SELECT batch, start_date, end_date, class_size_max,"
         " min_attendance_pct, enrolled, closed, jp_total FROM batches",
         s_load_batch},
        {"SELECT batch, session_no, date, starts, ends, jp FROM sessions",
         s_load_session},
        {"SELECT batch, nik, withdrawn, jp_attended FROM enrollments",
         s_load_enrollment},
        {"SELECT a.batch, a.session_no, a.nik, a.event_id, a.recorded_pos,"
         " a.jp, coalesce (b.closed, 0) FROM attendance a"
         " LEFT JOIN batches b ON b.batch = a.batch",
         s_load_attendance},
        {"SELECT assessment, batch, date, units FROM assessments",
         s_load_assessment},
        {"SELECT assessment, unit FROM assessment_units"
         " ORDER BY assessment, unit_index",
         s_load_unit},
        {"SELECT assessment, assessor FROM assessment_assessors",
         s_load_assessor},
        {"SELECT assessment, nik, unit, verdict FROM unit_results",
         s_load_unit_result},
        {"SELECT assessment, nik, verdict FROM assessment_results",
         s_load_result},
        {"SELECT number, nik, assessment, revoked, revoked_pos"
         " FROM certificates",
         s_load_certificate},
    };
    self->db = db;
    if (sqlite3_prepare_v3 (db,
                            "SELECT batch, session_no FROM attendance"
                            " WHERE event_id = ?1",
                            -1, SQLITE_PREPARE_PERSISTENT, &self->by_id,
                            NULL) != SQLITE_OK ||
        sqlite3_prepare_v3 (db, "SELECT 1 FROM people WHERE nik = ?1", -1,
                            SQLITE_PREPARE_PERSISTENT, &self->person_st,
                            NULL) != SQLITE_OK ||
        sqlite3_prepare_v3 (db,
                            "SELECT withdrawn, jp_attended FROM enrollments"
                            " WHERE batch = ?1 AND nik = ?2",
                            -1, SQLITE_PREPARE_PERSISTENT, &self->enrol_st,
                            NULL) != SQLITE_OK) {
        snprintf (err, err_size, "model: %s", sqlite3_errmsg (db));
        return -1;
    }
    if (s_load_people (self, db) != 0) {
        snprintf (err, err_size, "model: loading: %s", sqlite3_errmsg (db));
        return -1;
    }
    bool evict = self->evict;
    self->evict = true; /* closed batches' rows are skipped, not loaded */
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if ((!evict && steps[i].row == s_load_attendance
                 ? s_each (self, db,
                           "SELECT batch, session_no, nik, event_id,"
                           " recorded_pos, jp, 0 FROM attendance",
                           steps[i].row)
                 : s_each (self, db, steps[i].sql, steps[i].row)) != 0) {
            snprintf (err, err_size, "model: loading: %s", sqlite3_errmsg (db));
            self->evict = evict;
            return -1;
        }
    self->evict = evict;
    return 0;
}
