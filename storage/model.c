/*  model.c - the decision model (jk_model.h): the object, its maps, and
    what it tells of its size. The state it keeps and applies is in
    model_state.c, the people in model_people.c, loading in model_load.c,
    the rules in model_decide.c. */
#include "model_internal.h"

static const struct {
    const char *type;
    jk_model_kind_t kind;
} s_kinds[] = {
    {"cooperative.registered", K_COOPERATIVE},
    {"cooperative.rat_held", K_RAT},
    {"person.registered", K_PERSON},
    {"training.batch_scheduled", K_BATCH},
    {"training.session_scheduled", K_SESSION},
    {"training.participant_enrolled", K_ENROLLED},
    {"training.participant_withdrawn", K_WITHDRAWN},
    {"attendance.recorded", K_ATTENDANCE},
    {"attendance.corrected", K_CORRECTED},
    {"training.batch_closed", K_CLOSED},
    {"assessment.scheduled", K_ASSESSMENT},
    {"assessment.unit_assessed", K_UNIT},
    {"assessment.decided", K_DECIDED},
    {"certificate.issued", K_CERTIFICATE},
    {"certificate.revoked", K_REVOKED},
};

const char *const jk_model_field_names[F_COUNT] = {
    [F_ASSESSMENT] = "assessment",
    [F_ASSESSOR] = "assessor",
    [F_ASSESSORS] = "assessors",
    [F_BATCH] = "batch",
    [F_BOOK_YEAR] = "book_year",
    [F_CHECK_IN] = "check_in",
    [F_CHECK_OUT] = "check_out",
    [F_CLASS_SIZE_MAX] = "class_size_max",
    [F_COOPERATIVE] = "cooperative",
    [F_DATE] = "date",
    [F_END_DATE] = "end_date",
    [F_ENDS] = "ends",
    [F_HELD_ON] = "held_on",
    [F_ISSUED_ON] = "issued_on",
    [F_JP] = "jp",
    [F_LEGAL_NUMBER] = "legal_number",
    [F_MIN_ATTENDANCE_PCT] = "min_attendance_pct",
    [F_NIK] = "nik",
    [F_NUMBER] = "number",
    [F_SESSION_NO] = "session_no",
    [F_START_DATE] = "start_date",
    [F_STARTS] = "starts",
    [F_STATUS] = "status",
    [F_UNIT] = "unit",
    [F_UNITS] = "units",
    [F_VERDICT] = "verdict",
};

/* Index of field f in type, or -1. */
static int8_t s_slot (const jk_type_t *type, jk_model_field_t f)
{
    const char *name = jk_model_field_names[f];
    return (int8_t)jk_type_field (type, name, strlen (name));
}

/* ---- the object ------------------------------------------------------------
 */

jk_model_t *jk_model_new (bool evict)
{
    jk_model_t *self = jk_calloc (1, sizeof *self);
    self->evict = evict;
    self->bound = evict;
    self->cooperatives = jk_model_map_inline (s_free);
    self->rats = jk_model_map_inline (s_free);
    self->people.max = JK_MODEL_PEOPLE_MAX;
    self->people.odd = s_map (NULL);
    self->closing = zlistx_new ();
    zlistx_set_destructor (self->closing, (zlistx_destructor_fn *)zstr_free);
    self->batches = s_map (jk_model_batch_free);
    self->sessions = jk_model_map_inline (s_free);
    self->enrollments = jk_model_map_inline (s_free);
    self->attendance_id = jk_model_map_borrowing (NULL);
    self->orphans = jk_model_map_borrowing (s_free);
    self->assessments = s_map (jk_model_assessment_free);
    self->unit_results = jk_model_map_inline (s_free);
    self->results = jk_model_map_inline (s_free);
    self->certificates = jk_model_map_inline (s_free);
    self->holders = jk_model_map_inline (jk_model_holder_free);
    self->kind = jk_calloc (jk_vocabulary_count () + 1, sizeof *self->kind);
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        for (size_t k = 0; k < sizeof s_kinds / sizeof s_kinds[0]; k++)
            if (strcmp (jk_vocabulary_at (i)->name, s_kinds[k].type) == 0)
                self->kind[i] = s_kinds[k].kind;
    /* One row more, of no field, for self->field before the first event. */
    size_t types = jk_vocabulary_count ();
    self->slots = jk_malloc ((types + 1) * F_COUNT);
    memset (self->slots, -1, (types + 1) * F_COUNT);
    for (size_t i = 0; i < types; i++)
        for (int f = 0; f < F_COUNT; f++)
            self->slots[i * F_COUNT + (size_t)f] =
                s_slot (jk_vocabulary_at (i), (jk_model_field_t)f);
    self->field = self->slots + types * F_COUNT;
    return self;
}

void jk_model_destroy (jk_model_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_model_t *self = *self_p;
    sqlite3_finalize (self->by_id);
    jk_model_map_destroy (&self->attendance_id);
    jk_model_map_destroy (&self->cooperatives);
    jk_model_map_destroy (&self->rats);
    sqlite3_finalize (self->person_st);
    sqlite3_finalize (self->enrol_st);
    jk_model_niks_clear (&self->people.young);
    jk_model_niks_clear (&self->people.old);
    jk_model_map_destroy (&self->people.odd);
    zlistx_destroy (&self->closing);
    jk_model_map_destroy (&self->batches);
    jk_model_map_destroy (&self->sessions);
    jk_model_map_destroy (&self->enrollments);
    jk_model_map_destroy (&self->orphans);
    jk_model_map_destroy (&self->assessments);
    jk_model_map_destroy (&self->unit_results);
    jk_model_map_destroy (&self->results);
    jk_model_map_destroy (&self->certificates);
    jk_model_map_destroy (&self->holders);
    free (self->kind);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

void jk_model_set_people_max (jk_model_t *self, size_t max)
{
    jk_model_forget (self);
    self->people.max = max ? max : 1;
}

void jk_model_written (jk_model_t *self, uint64_t pos)
{
    jk_model_forget (self);
    if (pos > self->people.written)
        self->people.written = pos;
    /* Closed batches whose close the tables now hold. */
    for (char *code = zlistx_first (self->closing); code;) {
        jk_model_batch_t *b = jk_model_map_lookup (self->batches, code);
        if (b && b->closed_pos > self->people.written) {
            code = zlistx_next (self->closing);
            continue;
        }
        if (b) {
            jk_model_evict (self, b);
            jk_model_evict_enrollments (self, jk_str_of (code), b);
        }
        zlistx_delete (self->closing, zlistx_cursor (self->closing));
        code = zlistx_first (self->closing);
    }
}

void jk_model_size (jk_model_t *self, jk_model_size_t *size)
{
    size->people = self->people.young.count + self->people.old.count +
                   jk_model_map_size (self->people.odd);
    size->people_left = self->people.dropped;
    size->enrollments_left = self->enrol_evicted;
    size->bytes = ((self->people.young.slot ? self->people.young.mask + 1 : 0) +
                   (self->people.old.slot ? self->people.old.mask + 1 : 0)) *
                  sizeof (uint64_t);
    size->attendance = self->attendance_count;
    size->evicted = self->evicted;
    size->entries =
        jk_model_map_size (self->cooperatives) +
        jk_model_map_size (self->rats) + self->people.young.count +
        self->people.old.count + jk_model_map_size (self->people.odd) +
        jk_model_map_size (self->batches) + jk_model_map_size (self->sessions) +
        jk_model_map_size (self->enrollments) + self->attendance_count +
        jk_model_map_size (self->assessments) +
        jk_model_map_size (self->unit_results) +
        jk_model_map_size (self->results) +
        jk_model_map_size (self->certificates) +
        jk_model_map_size (self->holders);
}
