/*  model_state.c - the decision model's state changes: accepted events applied
    (jk_model_apply), the entries that loading shares with it, and what
    leaves memory when a batch closes. */
#include "model_internal.h"

static void s_enrol_keys_clear (jk_model_batch_t *b)
{
    for (size_t i = 0; i < b->enrol_count; i++)
        free (b->enrol_keys[i]);
    free (b->enrol_keys);
    b->enrol_keys = NULL;
    b->enrol_count = b->enrol_cap = 0;
}

void jk_model_batch_free (void **item_p)
{
    jk_model_batch_t *b = *item_p;
    if (b) {
        jk_model_map_destroy (&b->attendance);
        s_enrol_keys_clear (b);
    }
    s_free (item_p);
}

void jk_model_assessment_free (void **item_p)
{
    jk_model_assessment_t *a = *item_p;
    if (a) {
        for (size_t i = 0; i < a->unit_count; i++)
            free (a->unit[i]);
        free (a->unit);
        jk_model_map_destroy (&a->unit_set);
        jk_model_map_destroy (&a->assessors);
    }
    s_free (item_p);
}

void jk_model_holder_free (void **item_p)
{
    jk_model_holder_t *h = *item_p;
    if (h) {
        for (size_t i = 0; i < h->count; i++)
            free (h->number[i]);
        free (h->number);
    }
    s_free (item_p);
}

/* ---- state changes (apply and load share them) ---------------------------
 */

void jk_model_put_batch (jk_model_t *self, const char *code,
                         jk_model_batch_t *b)
{
    /* The enrolments noted under the batch replaced are no longer known
       by batch. */
    jk_model_batch_t *old = jk_model_map_lookup (self->batches, code);
    if (old && old->enrol_count)
        self->enrol_unowned++;
    s_update (self->batches, code, b);
}

void jk_model_note_enrollment (jk_model_t *self, jk_model_batch_t *b,
                               const char *key)
{
    if (!b) {
        self->enrol_unowned++;
        return;
    }
    if (b->enrol_count == b->enrol_cap) {
        b->enrol_cap = b->enrol_cap ? 2 * b->enrol_cap : 8;
        b->enrol_keys =
            jk_realloc (b->enrol_keys, b->enrol_cap * sizeof *b->enrol_keys);
    }
    b->enrol_keys[b->enrol_count++] = jk_strdup (key);
}

jk_model_batch_t *jk_model_batch (jk_model_t *self, jk_str_t code)
{
    char key[KEY_MAX];
    return jk_model_map_lookup (self->batches, s_key (key, code, NONE, NONE));
}

void jk_model_put_attendance (jk_model_t *self, jk_str_t batch,
                              int64_t session_no, jk_str_t nik,
                              const uint8_t id[16], int64_t pos, int64_t jp)
{
    jk_model_put_attendance_in (self, jk_model_batch (self, batch), batch,
                                session_no, nik, id, pos, jp);
}

void jk_model_put_attendance_in (jk_model_t *self, jk_model_batch_t *b,
                                 jk_str_t batch, int64_t session_no,
                                 jk_str_t nik, const uint8_t id[16],
                                 int64_t pos, int64_t jp)
{
    char key[KEY_MAX], no[24];
    jk_model_map_t *map = self->orphans;
    if (b) {
        if (!b->attendance)
            b->attendance = jk_model_map_borrowing (s_free);
        map = b->attendance;
        s_key (key, s_int_str (no, session_no), nik, NONE);
    } else
        s_key (key, batch, s_int_str (no, session_no), nik);
    size_t len = strlen (key);
    /* One block holds the row and both its keys. */
    jk_model_attendance_t *a = jk_calloc (1, sizeof *a + len + 1);
    a->recorded_pos = pos;
    a->jp = jp;
    a->session_no = session_no;
    memcpy (a->id, id, 16);
    s_copy (a->nik, sizeof a->nik, nik);
    s_copy (a->batch, sizeof a->batch, batch);
    memcpy (a->key, key, len + 1);
    s_id_key (id, a->hex);
    bool made;
    void **slot = jk_model_map_put (map, a->key, &made);
    if (!made) {
        /* A row of the same batch, session and NIK (which the rules
           refuse) is replaced whole, its id's entry with it. */
        jk_model_attendance_t *old = *slot;
        jk_model_map_delete (self->attendance_id, old->hex);
        self->attendance_count--;
        free (old);
    }
    *slot = a;
    slot = jk_model_map_put (self->attendance_id, a->hex, &made);
    *slot = a;
    self->attendance_count++;
}

jk_model_attendance_t *jk_model_attendance_in (jk_model_t *self,
                                               jk_model_batch_t *b,
                                               jk_str_t batch,
                                               int64_t session_no, jk_str_t nik)
{
    char key[KEY_MAX], no[24];
    if (b) {
        s_key (key, s_int_str (no, session_no), nik, NONE);
        return b->attendance ? jk_model_map_lookup (b->attendance, key) : NULL;
    }
    s_key (key, batch, s_int_str (no, session_no), nik);
    return jk_model_map_lookup (self->orphans, key);
}

void jk_model_add_unit (jk_model_assessment_t *a, jk_str_t code)
{
    char key[KEY_MAX];
    s_key (key, code, NONE, NONE);
    a->unit = jk_realloc (a->unit, (a->unit_count + 1) * sizeof *a->unit);
    a->unit[a->unit_count++] = jk_strdup (key);
    s_update (a->unit_set, key, (void *)1);
}

void jk_model_add_certificate (jk_model_t *self, jk_str_t number,
                               jk_str_t assessment, jk_str_t nik, bool revoked,
                               int64_t revoked_pos)
{
    char key[KEY_MAX];
    jk_model_certificate_t *c = s_fresh (
        self->certificates, s_key (key, number, NONE, NONE), sizeof *c);
    s_copy (c->nik, sizeof c->nik, nik);
    c->revoked = revoked;
    c->revoked_pos = revoked_pos;
    s_key (key, assessment, nik, NONE);
    bool made;
    jk_model_holder_t *h = s_entry (self->holders, key, sizeof *h, &made);
    h->number = jk_realloc (h->number, (h->count + 1) * sizeof *h->number);
    char text[KEY_MAX];
    h->number[h->count++] = jk_strdup (s_key (text, number, NONE, NONE));
}

void jk_model_set_verdict (jk_model_map_t *map, const char *key,
                           jk_str_t verdict)
{
    bool made;
    jk_model_verdict_t *v = s_entry (map, key, sizeof *v, &made);
    s_copy (v->verdict, sizeof v->verdict, verdict);
}

/* Drops a closed batch's enrolments: a rule that asks for one reads it
   back from the enrollments table (s_enrollment). */
void jk_model_evict_enrollments (jk_model_t *self, jk_str_t batch,
                                 jk_model_batch_t *b)
{
    if (!self->bound || !self->db)
        return;
    b->gone = true;
    if (self->enrol_unowned == 0) {
        /* Every enrolment is noted under its batch: only b's are visited. */
        for (size_t i = 0; i < b->enrol_count; i++)
            if (jk_model_map_lookup (self->enrollments, b->enrol_keys[i])) {
                jk_model_map_delete (self->enrollments, b->enrol_keys[i]);
                self->enrol_evicted++;
            }
        s_enrol_keys_clear (b);
        return;
    }
    char prefix[KEY_MAX];
    s_key (prefix, batch, jk_str_of (""), NONE);
    size_t n = strlen (prefix);
    zlistx_t *gone = zlistx_new ();
    for (void *e = jk_model_map_first (self->enrollments); e;
         e = jk_model_map_next (self->enrollments)) {
        const char *key = jk_model_map_cursor (self->enrollments);
        if (strncmp (key, prefix, n) == 0)
            zlistx_add_end (gone, (void *)key);
    }
    for (const char *key = zlistx_first (gone); key; key = zlistx_next (gone)) {
        jk_model_map_delete (self->enrollments, key);
        self->enrol_evicted++;
    }
    zlistx_destroy (&gone);
    s_enrol_keys_clear (b);
}

/* Drops a closed batch's attendance rows. */
void jk_model_evict (jk_model_t *self, jk_model_batch_t *b)
{
    if (!self->evict || !b->attendance)
        return;
    for (jk_model_attendance_t *a = jk_model_map_first (b->attendance); a;
         a = jk_model_map_next (b->attendance)) {
        jk_model_map_delete (self->attendance_id, a->hex);
        self->attendance_count--;
        self->evicted++;
    }
    jk_model_map_destroy (&b->attendance);
}

/* ---- apply, one function per kind of change ------------------------------ */

typedef void (s_apply_fn) (jk_model_t *self, const jk_event_t *ev,
                           uint64_t pos);

static void s_cooperative (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    char norm[LEGAL_MAX];
    s_norm (self, ev, F_LEGAL_NUMBER, norm);
    bool made;
    jk_model_cooperative_t *c =
        s_entry (self->cooperatives, norm, sizeof *c, &made);
    if (made)
        c->registered_pos = (int64_t)pos;
}

static void s_rat (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX], norm[LEGAL_MAX], year[24];
    s_norm (self, ev, F_LEGAL_NUMBER, norm);
    s_key (key, jk_str_of (norm),
           s_int_str (year, s_number (self, ev, F_BOOK_YEAR, 0)), NONE);
    jk_model_rat_t *r = s_fresh (self->rats, key, sizeof *r);
    s_copy (r->held_on, sizeof r->held_on, s_text (self, ev, F_HELD_ON));
}

static void s_person (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    jk_model_people_add (self, s_text (self, ev, F_NIK), pos);
}

static void s_batch_scheduled (jk_model_t *self, const jk_event_t *ev,
                               uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX];
    jk_model_batch_t *b = jk_calloc (1, sizeof *b);
    s_copy (b->start, sizeof b->start, s_text (self, ev, F_START_DATE));
    s_copy (b->end, sizeof b->end, s_text (self, ev, F_END_DATE));
    b->class_size_max = s_number (self, ev, F_CLASS_SIZE_MAX, 30);
    b->min_pct = s_number (self, ev, F_MIN_ATTENDANCE_PCT, 80);
    jk_model_put_batch (self,
                        s_key (key, s_text (self, ev, F_BATCH), NONE, NONE), b);
}

static void s_session (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX], no_text[24];
    jk_str_t batch = s_text (self, ev, F_BATCH);
    int64_t no = s_number (self, ev, F_SESSION_NO, 0);
    jk_model_session_t *s =
        s_fresh (self->sessions,
                 s_key (key, batch, s_int_str (no_text, no), NONE), sizeof *s);
    s_copy (s->date, sizeof s->date, s_text (self, ev, F_DATE));
    s_copy (s->starts, sizeof s->starts, s_text (self, ev, F_STARTS));
    s_copy (s->ends, sizeof s->ends, s_text (self, ev, F_ENDS));
    s->jp = s_number (self, ev, F_JP, 0);
    jk_model_batch_t *b = jk_model_batch (self, batch);
    if (b)
        b->jp_total += s->jp;
}

static void s_enrolled (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX];
    jk_str_t batch = s_text (self, ev, F_BATCH);
    s_key (key, batch, s_text (self, ev, F_NIK), NONE);
    bool made;
    jk_model_enrollment_t *e =
        s_entry (self->enrollments, key, sizeof *e, &made);
    jk_model_batch_t *b = jk_model_batch (self, batch);
    if (made)
        jk_model_note_enrollment (self, b, key);
    e->withdrawn = false;
    if (b)
        b->enrolled++;
}

static void s_withdrawn (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX];
    jk_str_t batch = s_text (self, ev, F_BATCH);
    jk_model_enrollment_t *e = jk_model_map_lookup (
        self->enrollments, s_key (key, batch, s_text (self, ev, F_NIK), NONE));
    if (e)
        e->withdrawn = true;
    jk_model_batch_t *b = jk_model_batch (self, batch);
    if (b)
        b->enrolled--;
}

/* The hours a status credits for a session of batch (0 when absent or
   the session is unknown). */
static int64_t s_credited (jk_model_t *self, jk_str_t batch, int64_t no,
                           jk_str_t status)
{
    char key[KEY_MAX], no_text[24];
    jk_model_session_t *s = jk_model_map_lookup (
        self->sessions, s_key (key, batch, s_int_str (no_text, no), NONE));
    bool present =
        jk_str_eq (status, "HADIR") || jk_str_eq (status, "TERLAMBAT");
    return present && s ? s->jp : 0;
}

static void s_attended (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    char key[KEY_MAX];
    jk_str_t batch = s_text (self, ev, F_BATCH), nik = s_text (self, ev, F_NIK);
    int64_t no = s_number (self, ev, F_SESSION_NO, 0);
    if (self->decided.event == ev &&
        memcmp (self->decided.id, ev->id, 16) == 0) {
        /* Its decide found the batch, the session and the enrolment. */
        jk_str_t status = s_text (self, ev, F_STATUS);
        bool present =
            jk_str_eq (status, "HADIR") || jk_str_eq (status, "TERLAMBAT");
        int64_t jp = present ? self->decided.session->jp : 0;
        jk_model_put_attendance_in (self, self->decided.batch, batch, no, nik,
                                    ev->id, (int64_t)pos, jp);
        if (self->decided.enrollment)
            self->decided.enrollment->jp_attended += jp;
        return;
    }
    int64_t jp = s_credited (self, batch, no, s_text (self, ev, F_STATUS));
    jk_model_put_attendance (self, batch, no, nik, ev->id, (int64_t)pos, jp);
    jk_model_enrollment_t *e =
        jk_model_map_lookup (self->enrollments, s_key (key, batch, nik, NONE));
    if (e)
        e->jp_attended += jp;
}

static void s_corrected (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX], hex[33];
    s_id_key (ev->corrects, hex);
    jk_model_attendance_t *a = jk_model_map_lookup (self->attendance_id, hex);
    if (!a)
        return;
    jk_str_t batch = jk_str_of (a->batch);
    int64_t jp =
        s_credited (self, batch, a->session_no, s_text (self, ev, F_STATUS));
    jk_model_enrollment_t *e = jk_model_map_lookup (
        self->enrollments, s_key (key, batch, jk_str_of (a->nik), NONE));
    if (e)
        e->jp_attended += jp - a->jp;
    a->jp = jp;
}

static void s_closed (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    jk_model_batch_t *b = jk_model_batch (self, s_text (self, ev, F_BATCH));
    if (!b)
        return;
    b->closed = true;
    b->closed_pos = pos;
    /* Its attendance rows and enrolments leave once the tables hold them
       as they are now (jk_model_written): a projector behind the writer
       may not have written them yet. */
    if (self->bound && self->db) {
        char code[KEY_MAX];
        s_key (code, s_text (self, ev, F_BATCH), NONE, NONE);
        zlistx_add_end (self->closing, strdup (code));
    } else
        jk_model_evict (self, b);
}

static void s_assessment (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX];
    jk_model_assessment_t *a = jk_calloc (1, sizeof *a);
    s_copy (a->batch, sizeof a->batch, s_text (self, ev, F_BATCH));
    s_copy (a->date, sizeof a->date, s_text (self, ev, F_DATE));
    a->unit_set = s_map (NULL);
    a->assessors = s_map (NULL);
    const jk_value_t *units = s_get (self, ev, F_UNITS);
    const jk_value_t *assessors = s_get (self, ev, F_ASSESSORS);
    a->units = units->count;
    for (uint32_t i = 0; i < units->count; i++)
        jk_model_add_unit (a, units->items[2 * i]);
    for (uint32_t i = 0; i < assessors->count; i++)
        s_update (a->assessors, s_key (key, assessors->items[i], NONE, NONE),
                  (void *)1);
    s_update (self->assessments,
              s_key (key, s_text (self, ev, F_ASSESSMENT), NONE, NONE), a);
}

static void s_unit (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX];
    s_key (key, s_text (self, ev, F_ASSESSMENT), s_text (self, ev, F_NIK),
           s_text (self, ev, F_UNIT));
    jk_model_set_verdict (self->unit_results, key,
                          s_text (self, ev, F_VERDICT));
}

static void s_decided (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    char key[KEY_MAX];
    s_key (key, s_text (self, ev, F_ASSESSMENT), s_text (self, ev, F_NIK),
           NONE);
    jk_model_set_verdict (self->results, key, s_text (self, ev, F_VERDICT));
}

static void s_certificate (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    (void)pos;
    jk_model_add_certificate (self, s_text (self, ev, F_NUMBER),
                              s_text (self, ev, F_ASSESSMENT),
                              s_text (self, ev, F_NIK), false, 0);
}

static void s_revoked (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    char key[KEY_MAX];
    jk_model_certificate_t *c = jk_model_map_lookup (
        self->certificates,
        s_key (key, s_text (self, ev, F_NUMBER), NONE, NONE));
    if (c && !c->revoked) {
        c->revoked = true;
        c->revoked_pos = (int64_t)pos;
    }
}

/* Per kind of change (jk_model_kind_t), in its order. */
static s_apply_fn *const s_apply[] = {
    [K_NONE] = NULL,
    [K_COOPERATIVE] = s_cooperative,
    [K_RAT] = s_rat,
    [K_PERSON] = s_person,
    [K_BATCH] = s_batch_scheduled,
    [K_SESSION] = s_session,
    [K_ENROLLED] = s_enrolled,
    [K_WITHDRAWN] = s_withdrawn,
    [K_ATTENDANCE] = s_attended,
    [K_CORRECTED] = s_corrected,
    [K_CLOSED] = s_closed,
    [K_ASSESSMENT] = s_assessment,
    [K_UNIT] = s_unit,
    [K_DECIDED] = s_decided,
    [K_CERTIFICATE] = s_certificate,
    [K_REVOKED] = s_revoked,
};

void jk_model_apply (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    assert (self && ev);
    int index = jk_vocabulary_index (ev->type);
    jk_model_kind_t kind =
        index >= 0 ? (jk_model_kind_t)self->kind[index] : K_NONE;
    if (s_apply[kind]) {
        s_fields_of (self, index);
        s_apply[kind](self, ev, pos);
    }
    jk_model_forget (self);
}
