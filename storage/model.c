/*  model.c - the domain rules of SPEC 3.2 decided from memory, and the
    state they read kept by applying accepted events (jk_model.h). The
    rules and their order, codes and messages are docs/PROJECTIONS.md's;
    personal numbers appear masked. */
#include "jk_model.h"

#include <assert.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Minutes before a session starts that a check-in may be (document in
   docs/PROJECTIONS.md when changing). */
#define CHECK_IN_EARLY_MIN 120
#define LEGAL_MAX          128
#define KEY_MAX            512

enum { GO = 0, REJECT = -1, FAILED = JK_IO };

#define RUN(expr)                                                              \
    do {                                                                       \
        int _rc = (expr);                                                      \
        if (_rc != GO)                                                         \
            return _rc;                                                        \
    } while (0)

typedef struct {
    int64_t registered_pos;
} s_cooperative_t;

typedef struct {
    char held_on[11];
} s_rat_t;

typedef struct {
    char start[11], end[11];
    int64_t class_size_max, min_pct, enrolled, jp_total;
    bool closed;
    bool gone;            /* closed, and its enrolments left memory */
    uint64_t closed_pos;  /* position of its close (0: loaded closed) */
    zhashx_t *attendance; /* "session_no\x1fnik" -> s_attendance_t */
} s_batch_t;

typedef struct {
    char date[11], starts[8], ends[8];
    int64_t jp;
} s_session_t;

typedef struct {
    bool withdrawn;
    int64_t jp_attended;
} s_enrollment_t;

typedef struct {
    int64_t recorded_pos;
    int64_t jp; /* hours credited */
    int64_t session_no;
    uint8_t id[16];
    char nik[24];
    char batch[64];
} s_attendance_t;

typedef struct {
    char batch[64], date[11];
    int64_t units;
    size_t unit_count;
    char **unit; /* codes in unit_index order */
    zhashx_t *unit_set;
    zhashx_t *assessors;
} s_assessment_t;

typedef struct {
    char verdict[4];
} s_verdict_t;

typedef struct {
    char nik[24];
    bool revoked;
    int64_t revoked_pos;
} s_certificate_t;

/* A person's certificates of one assessment: numbers, for the lowest
   unrevoked one. */
typedef struct {
    size_t count;
    char **number;
} s_holder_t;

/* People: each registered NIK as an integer (16 digits, +1 so that 0
   marks an empty slot) in open-addressing sets of two generations. New
   NIKs go to the young one; when it holds people_max, the old one is
   dropped (its people stay in the people table) and the young one becomes
   old. A NIK in neither is then looked up in the table by its primary
   key. NIKs that are not 16 digits (none pass validation; a table could
   hold one) are kept apart, never dropped. */
typedef struct {
    uint64_t *slot;
    size_t mask; /* slots - 1 (a power of two), or 0 before the first */
    size_t count;
    uint64_t max_pos; /* latest position among its people */
} s_niks_t;

typedef struct {
    s_niks_t young, old;
    size_t max;       /* people per generation (JK_MODEL_PEOPLE_MAX) */
    bool partial;     /* some people are only in the table */
    uint64_t written; /* the tables hold every event up to here */
    zhashx_t *odd;    /* NIKs that are not 16 digits */
    size_t dropped;   /* people dropped from memory so far */
} s_people_t;

struct jk_model_s {
    bool evict;
    bool bound;              /* people and closed batches may leave memory */
    sqlite3 *db;             /* for evicted attendance, or NULL */
    sqlite3_stmt *by_id;     /* SELECT batch, session_no ... event_id */
    sqlite3_stmt *person_st; /* SELECT 1 FROM people WHERE nik */
    sqlite3_stmt *enrol_st;  /* SELECT withdrawn, jp_attended ... */
    s_enrollment_t fetched;  /* an evicted enrolment read back */
    zhashx_t *cooperatives;  /* norm -> s_cooperative_t */
    zhashx_t *rats;          /* norm\x1fyear -> s_rat_t */
    s_people_t people;       /* NIKs, bounded (s_people_*) */
    zhashx_t *batches;       /* batch -> s_batch_t */
    zhashx_t *sessions;      /* batch\x1fno -> s_session_t */
    zhashx_t *enrollments;   /* batch\x1fnik -> s_enrollment_t */
    zhashx_t *attendance_id; /* 32 hex -> s_attendance_t (owned by batch) */
    zhashx_t *orphans;       /* attendance of unknown batches */
    zhashx_t *assessments;   /* code -> s_assessment_t */
    zhashx_t *unit_results;  /* a\x1fnik\x1funit -> s_verdict_t */
    zhashx_t *results;       /* a\x1fnik -> s_verdict_t */
    zhashx_t *certificates;  /* number -> s_certificate_t */
    zhashx_t *holders;       /* a\x1fnik -> s_holder_t */
    size_t attendance_count, evicted, enrol_evicted;
    zlistx_t *closing; /* batch codes closed after the tables' position */
    int *kind;         /* per vocabulary index: what apply changes (s_kind_t) */
};

/* ---- keys and small helpers ----------------------------------------------
 */

static void s_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static void s_batch_free (void **item_p)
{
    s_batch_t *b = *item_p;
    if (b)
        zhashx_destroy (&b->attendance);
    s_free (item_p);
}

static void s_assessment_free (void **item_p)
{
    s_assessment_t *a = *item_p;
    if (a) {
        for (size_t i = 0; i < a->unit_count; i++)
            free (a->unit[i]);
        free (a->unit);
        zhashx_destroy (&a->unit_set);
        zhashx_destroy (&a->assessors);
    }
    s_free (item_p);
}

static void s_holder_free (void **item_p)
{
    s_holder_t *h = *item_p;
    if (h) {
        for (size_t i = 0; i < h->count; i++)
            free (h->number[i]);
        free (h->number);
    }
    s_free (item_p);
}

static zhashx_t *s_map (zhashx_destructor_fn *destructor)
{
    zhashx_t *map = zhashx_new ();
    if (destructor)
        zhashx_set_destructor (map, destructor);
    return map;
}

/* Text of a present field, or "" (length 0). */
static jk_str_t s_text (const jk_event_t *ev, const char *field)
{
    const jk_value_t *v = jk_event_get (ev, field);
    if (!v || !v->present || !v->s.ptr)
        return (jk_str_t){"", 0};
    return v->s;
}

static int64_t s_number (const jk_event_t *ev, const char *field,
                         int64_t fallback)
{
    const jk_value_t *v = jk_event_get (ev, field);
    return v && v->present ? v->n : fallback;
}

static bool s_present (const jk_event_t *ev, const char *field)
{
    const jk_value_t *v = jk_event_get (ev, field);
    return v && v->present;
}

/* Appends len bytes of text to key at *n, cut to fit KEY_MAX. */
static void s_put (char key[KEY_MAX], size_t *n, const char *text, size_t len)
{
    if (len > KEY_MAX - 1 - *n)
        len = KEY_MAX - 1 - *n;
    memcpy (key + *n, text, len);
    *n += len;
}

/* Joins up to three parts with \x1f into key (KEY_MAX, cut to fit). The
   keys of every lookup on the decide path: plain copies, no formatting. */
static const char *s_key (char key[KEY_MAX], jk_str_t a, jk_str_t b, jk_str_t c)
{
    size_t n = 0;
    s_put (key, &n, a.ptr, a.len);
    if (b.ptr) {
        s_put (key, &n, "\x1f", 1);
        s_put (key, &n, b.ptr, b.len);
    }
    if (c.ptr) {
        s_put (key, &n, "\x1f", 1);
        s_put (key, &n, c.ptr, c.len);
    }
    key[n] = 0;
    return key;
}

/* n in decimal into buf (24 bytes). */
static jk_str_t s_int_str (char buf[24], int64_t n)
{
    char digits[24];
    int len = 0;
    uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    do {
        digits[len++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int k = 0;
    if (n < 0)
        buf[k++] = '-';
    while (len)
        buf[k++] = digits[--len];
    buf[k] = 0;
    return (jk_str_t){buf, (size_t)k};
}

#define NONE ((jk_str_t){NULL, 0})

/* Copies text into out (size) as a SQLite text column read into a
   buffer of that size would be: up to the first NUL, cut to size - 1. */
static void s_copy (char *out, size_t size, jk_str_t text)
{
    size_t len = text.len < size - 1 ? text.len : size - 1;
    const char *nul = text.ptr ? memchr (text.ptr, 0, len) : NULL;
    if (nul)
        len = (size_t)(nul - text.ptr);
    if (len)
        memcpy (out, text.ptr, len);
    out[len] = 0;
}

static void s_norm (const jk_event_t *ev, const char *field,
                    char out[LEGAL_MAX])
{
    jk_str_t s = s_text (ev, field);
    jk_legal_number_normalise (s.ptr, s.len, out, LEGAL_MAX);
}

static void s_mask (jk_str_t nik, char out[17])
{
    jk_nik_mask (nik.ptr ? nik.ptr : "", nik.ptr ? nik.len : 0, out);
}

static void s_id_key (const uint8_t id[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[id[i] >> 4];
        out[2 * i + 1] = hex[id[i] & 15];
    }
    out[32] = 0;
}

/* Minutes after midnight of "HH:MM", or -1. */
static int s_minutes (const char *t)
{
    if (strlen (t) != 5 || t[2] != ':')
        return -1;
    return ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 +
           (t[4] - '0');
}

/* What an accepted event changes in the model, per type (the other types
   change nothing the rules read). */
typedef enum {
    K_NONE = 0,
    K_COOPERATIVE,
    K_RAT,
    K_PERSON,
    K_BATCH,
    K_SESSION,
    K_ENROLLED,
    K_WITHDRAWN,
    K_ATTENDANCE,
    K_CORRECTED,
    K_CLOSED,
    K_ASSESSMENT,
    K_UNIT,
    K_DECIDED,
    K_CERTIFICATE,
    K_REVOKED,
} s_kind_t;

static const struct {
    const char *type;
    s_kind_t kind;
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

static void s_evict_enrollments (jk_model_t *self, jk_str_t batch,
                                 s_batch_t *b);
static void s_evict (jk_model_t *self, s_batch_t *b);

/* ---- people: a bounded set of NIKs -----------------------------------------
 */

/* The NIK as its set key (value + 1), or 0 when it is not 16 digits. */
static uint64_t s_nik_key (jk_str_t nik)
{
    if (!nik.ptr || nik.len != 16)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < 16; i++) {
        if (nik.ptr[i] < '0' || nik.ptr[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(nik.ptr[i] - '0');
    }
    return v + 1;
}

static size_t s_niks_home (const s_niks_t *set, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & set->mask;
}

static bool s_niks_has (const s_niks_t *set, uint64_t key)
{
    if (!set->count)
        return false;
    for (size_t i = s_niks_home (set, key);; i = (i + 1) & set->mask) {
        if (set->slot[i] == key)
            return true;
        if (set->slot[i] == 0)
            return false;
    }
}

static void s_niks_put (s_niks_t *set, uint64_t key);

/* Doubles the slots (load stays at most one half). */
static void s_niks_grow (s_niks_t *set)
{
    s_niks_t bigger = {0};
    bigger.mask = set->mask ? 2 * set->mask + 1 : 1023;
    bigger.slot = jk_calloc (bigger.mask + 1, sizeof *bigger.slot);
    bigger.max_pos = set->max_pos;
    for (size_t i = 0; set->slot && i <= set->mask; i++)
        if (set->slot[i])
            s_niks_put (&bigger, set->slot[i]);
    free (set->slot);
    *set = bigger;
}

/* Adds key (not yet in set). */
static void s_niks_put (s_niks_t *set, uint64_t key)
{
    if (!set->slot || 2 * (set->count + 1) > set->mask + 1)
        s_niks_grow (set);
    size_t i = s_niks_home (set, key);
    while (set->slot[i])
        i = (i + 1) & set->mask;
    set->slot[i] = key;
    set->count++;
}

static void s_niks_clear (s_niks_t *set)
{
    free (set->slot);
    memset (set, 0, sizeof *set);
}

/* Whether the old generation may leave memory: the table holds all of
   its people. */
static bool s_people_can_drop (const s_people_t *people)
{
    return people->old.max_pos <= people->written;
}

/* Records a registered person (at pos; 0 when read from the table). */
static void s_people_add (jk_model_t *self, jk_str_t nik, uint64_t pos)
{
    s_people_t *people = &self->people;
    uint64_t key = s_nik_key (nik);
    if (!key) {
        char text[KEY_MAX];
        s_key (text, nik, NONE, NONE);
        zhashx_update (people->odd, text, (void *)1);
        return;
    }
    if (s_niks_has (&people->young, key) || s_niks_has (&people->old, key))
        return;
    /* Only a model that can read the table back drops anyone. */
    if (self->bound && self->db && people->young.count >= people->max &&
        s_people_can_drop (people)) {
        if (people->old.count)
            people->partial = true;
        people->dropped += people->old.count;
        s_niks_clear (&people->old);
        people->old = people->young;
        memset (&people->young, 0, sizeof people->young);
    }
    s_niks_put (&people->young, key);
    if (pos > people->young.max_pos)
        people->young.max_pos = pos;
}

/* Whether nik is a registered person: from memory, or when some people
   left it, from the people table. GO or FAILED. */
static int s_people_has (jk_model_t *self, jk_str_t nik, bool *found)
{
    s_people_t *people = &self->people;
    uint64_t key = s_nik_key (nik);
    if (!key) {
        char text[KEY_MAX];
        *found = zhashx_lookup (people->odd, s_key (text, nik, NONE, NONE));
        return GO;
    }
    *found = s_niks_has (&people->young, key) || s_niks_has (&people->old, key);
    if (*found || !people->partial)
        return GO;
    sqlite3_bind_text (self->person_st, 1, nik.ptr, (int)nik.len,
                       SQLITE_STATIC);
    int rc = sqlite3_step (self->person_st);
    sqlite3_reset (self->person_st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return FAILED;
    *found = rc == SQLITE_ROW;
    return GO;
}

/* ---- the object ------------------------------------------------------------
 */

jk_model_t *jk_model_new (bool evict)
{
    jk_model_t *self = jk_calloc (1, sizeof *self);
    self->evict = evict;
    self->bound = evict;
    self->cooperatives = s_map (s_free);
    self->rats = s_map (s_free);
    self->people.max = JK_MODEL_PEOPLE_MAX;
    self->people.odd = s_map (NULL);
    self->closing = zlistx_new ();
    zlistx_set_destructor (self->closing, (zlistx_destructor_fn *)zstr_free);
    self->batches = s_map (s_batch_free);
    self->sessions = s_map (s_free);
    self->enrollments = s_map (s_free);
    self->attendance_id = s_map (NULL);
    self->orphans = s_map (s_free);
    self->assessments = s_map (s_assessment_free);
    self->unit_results = s_map (s_free);
    self->results = s_map (s_free);
    self->certificates = s_map (s_free);
    self->holders = s_map (s_holder_free);
    self->kind = jk_calloc (jk_vocabulary_count () + 1, sizeof *self->kind);
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        for (size_t k = 0; k < sizeof s_kinds / sizeof s_kinds[0]; k++)
            if (strcmp (jk_vocabulary_at (i)->name, s_kinds[k].type) == 0)
                self->kind[i] = s_kinds[k].kind;
    return self;
}

void jk_model_destroy (jk_model_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_model_t *self = *self_p;
    sqlite3_finalize (self->by_id);
    zhashx_destroy (&self->attendance_id);
    zhashx_destroy (&self->cooperatives);
    zhashx_destroy (&self->rats);
    sqlite3_finalize (self->person_st);
    sqlite3_finalize (self->enrol_st);
    s_niks_clear (&self->people.young);
    s_niks_clear (&self->people.old);
    zhashx_destroy (&self->people.odd);
    zlistx_destroy (&self->closing);
    zhashx_destroy (&self->batches);
    zhashx_destroy (&self->sessions);
    zhashx_destroy (&self->enrollments);
    zhashx_destroy (&self->orphans);
    zhashx_destroy (&self->assessments);
    zhashx_destroy (&self->unit_results);
    zhashx_destroy (&self->results);
    zhashx_destroy (&self->certificates);
    zhashx_destroy (&self->holders);
    free (self->kind);
    free (self);
    *self_p = NULL;
}

void jk_model_set_people_max (jk_model_t *self, size_t max)
{
    self->people.max = max ? max : 1;
}

void jk_model_written (jk_model_t *self, uint64_t pos)
{
    if (pos > self->people.written)
        self->people.written = pos;
    /* Closed batches whose close the tables now hold. */
    for (char *code = zlistx_first (self->closing); code;) {
        s_batch_t *b = zhashx_lookup (self->batches, code);
        if (b && b->closed_pos > self->people.written) {
            code = zlistx_next (self->closing);
            continue;
        }
        if (b) {
            s_evict (self, b);
            s_evict_enrollments (self, jk_str_of (code), b);
        }
        zlistx_delete (self->closing, zlistx_cursor (self->closing));
        code = zlistx_first (self->closing);
    }
}

void jk_model_size (jk_model_t *self, jk_model_size_t *size)
{
    size->people = self->people.young.count + self->people.old.count +
                   zhashx_size (self->people.odd);
    size->people_left = self->people.dropped;
    size->enrollments_left = self->enrol_evicted;
    size->bytes = ((self->people.young.slot ? self->people.young.mask + 1 : 0) +
                   (self->people.old.slot ? self->people.old.mask + 1 : 0)) *
                  sizeof (uint64_t);
    size->attendance = self->attendance_count;
    size->evicted = self->evicted;
    size->entries =
        zhashx_size (self->cooperatives) + zhashx_size (self->rats) +
        self->people.young.count + self->people.old.count +
        zhashx_size (self->people.odd) + zhashx_size (self->batches) +
        zhashx_size (self->sessions) + zhashx_size (self->enrollments) +
        self->attendance_count + zhashx_size (self->assessments) +
        zhashx_size (self->unit_results) + zhashx_size (self->results) +
        zhashx_size (self->certificates) + zhashx_size (self->holders);
}

/* ---- state changes (apply and load share them) ---------------------------
 */

static s_batch_t *s_batch (jk_model_t *self, jk_str_t code)
{
    char key[KEY_MAX];
    return zhashx_lookup (self->batches, s_key (key, code, NONE, NONE));
}

static void s_put_attendance (jk_model_t *self, jk_str_t batch,
                              int64_t session_no, jk_str_t nik,
                              const uint8_t id[16], int64_t pos, int64_t jp)
{
    s_attendance_t *a = jk_calloc (1, sizeof *a);
    a->recorded_pos = pos;
    a->jp = jp;
    a->session_no = session_no;
    memcpy (a->id, id, 16);
    s_copy (a->nik, sizeof a->nik, nik);
    s_copy (a->batch, sizeof a->batch, batch);
    char key[KEY_MAX], no[24], hex[33];
    s_key (key, s_int_str (no, session_no), nik, NONE);
    s_batch_t *b = s_batch (self, batch);
    if (b) {
        if (!b->attendance)
            b->attendance = s_map (s_free);
        zhashx_update (b->attendance, key, a);
    } else {
        s_key (key, batch, s_int_str (no, session_no), nik);
        zhashx_update (self->orphans, key, a);
    }
    s_id_key (id, hex);
    zhashx_update (self->attendance_id, hex, a);
    self->attendance_count++;
}

static s_attendance_t *s_attendance (jk_model_t *self, jk_str_t batch,
                                     int64_t session_no, jk_str_t nik)
{
    char key[KEY_MAX], no[24];
    s_batch_t *b = s_batch (self, batch);
    if (b) {
        s_key (key, s_int_str (no, session_no), nik, NONE);
        return b->attendance ? zhashx_lookup (b->attendance, key) : NULL;
    }
    s_key (key, batch, s_int_str (no, session_no), nik);
    return zhashx_lookup (self->orphans, key);
}

static void s_add_unit (s_assessment_t *a, jk_str_t code)
{
    char key[KEY_MAX];
    s_key (key, code, NONE, NONE);
    a->unit = jk_realloc (a->unit, (a->unit_count + 1) * sizeof *a->unit);
    a->unit[a->unit_count++] = jk_strdup (key);
    zhashx_update (a->unit_set, key, (void *)1);
}

static void s_add_certificate (jk_model_t *self, jk_str_t number,
                               jk_str_t assessment, jk_str_t nik, bool revoked,
                               int64_t revoked_pos)
{
    char key[KEY_MAX];
    s_certificate_t *c = jk_calloc (1, sizeof *c);
    s_copy (c->nik, sizeof c->nik, nik);
    c->revoked = revoked;
    c->revoked_pos = revoked_pos;
    zhashx_update (self->certificates, s_key (key, number, NONE, NONE), c);
    s_key (key, assessment, nik, NONE);
    s_holder_t *h = zhashx_lookup (self->holders, key);
    if (!h) {
        h = jk_calloc (1, sizeof *h);
        zhashx_insert (self->holders, key, h);
    }
    h->number = jk_realloc (h->number, (h->count + 1) * sizeof *h->number);
    char text[KEY_MAX];
    h->number[h->count++] = jk_strdup (s_key (text, number, NONE, NONE));
}

static void s_set_verdict (zhashx_t *map, const char *key, jk_str_t verdict)
{
    s_verdict_t *v = zhashx_lookup (map, key);
    if (!v) {
        v = jk_calloc (1, sizeof *v);
        zhashx_insert (map, key, v);
    }
    s_copy (v->verdict, sizeof v->verdict, verdict);
}

/* Drops a closed batch's enrolments: a rule that asks for one reads it
   back from the enrollments table (s_enrollment). */
static void s_evict_enrollments (jk_model_t *self, jk_str_t batch, s_batch_t *b)
{
    if (!self->bound || !self->db)
        return;
    char prefix[KEY_MAX];
    s_key (prefix, batch, jk_str_of (""), NONE);
    size_t n = strlen (prefix);
    zlistx_t *gone = zlistx_new ();
    for (void *e = zhashx_first (self->enrollments); e;
         e = zhashx_next (self->enrollments)) {
        const char *key = zhashx_cursor (self->enrollments);
        if (strncmp (key, prefix, n) == 0)
            zlistx_add_end (gone, (void *)key);
    }
    for (const char *key = zlistx_first (gone); key; key = zlistx_next (gone)) {
        zhashx_delete (self->enrollments, key);
        self->enrol_evicted++;
    }
    zlistx_destroy (&gone);
    b->gone = true;
}

/* Drops a closed batch's attendance rows. */
static void s_evict (jk_model_t *self, s_batch_t *b)
{
    if (!self->evict || !b->attendance)
        return;
    char hex[33];
    for (s_attendance_t *a = zhashx_first (b->attendance); a;
         a = zhashx_next (b->attendance)) {
        s_id_key (a->id, hex);
        zhashx_delete (self->attendance_id, hex);
        self->attendance_count--;
        self->evicted++;
    }
    zhashx_destroy (&b->attendance);
}

void jk_model_apply (jk_model_t *self, const jk_event_t *ev, uint64_t pos)
{
    assert (self && ev);
    int index = jk_vocabulary_index (ev->type);
    s_kind_t kind = index >= 0 ? (s_kind_t)self->kind[index] : K_NONE;
    char key[KEY_MAX], norm[LEGAL_MAX], year[24];
    if (kind == K_COOPERATIVE) {
        s_norm (ev, "legal_number", norm);
        if (!zhashx_lookup (self->cooperatives, norm)) {
            s_cooperative_t *c = jk_calloc (1, sizeof *c);
            c->registered_pos = (int64_t)pos;
            zhashx_insert (self->cooperatives, norm, c);
        }
    } else if (kind == K_RAT) {
        s_norm (ev, "legal_number", norm);
        s_key (key, jk_str_of (norm),
               s_int_str (year, s_number (ev, "book_year", 0)), NONE);
        s_rat_t *r = jk_calloc (1, sizeof *r);
        s_copy (r->held_on, sizeof r->held_on, s_text (ev, "held_on"));
        zhashx_update (self->rats, key, r);
    } else if (kind == K_PERSON) {
        s_people_add (self, s_text (ev, "nik"), pos);
    } else if (kind == K_BATCH) {
        s_batch_t *b = jk_calloc (1, sizeof *b);
        s_copy (b->start, sizeof b->start, s_text (ev, "start_date"));
        s_copy (b->end, sizeof b->end, s_text (ev, "end_date"));
        b->class_size_max = s_number (ev, "class_size_max", 30);
        b->min_pct = s_number (ev, "min_attendance_pct", 80);
        zhashx_update (self->batches,
                       s_key (key, s_text (ev, "batch"), NONE, NONE), b);
    } else if (kind == K_SESSION) {
        jk_str_t batch = s_text (ev, "batch");
        int64_t no = s_number (ev, "session_no", 0);
        s_session_t *s = jk_calloc (1, sizeof *s);
        s_copy (s->date, sizeof s->date, s_text (ev, "date"));
        s_copy (s->starts, sizeof s->starts, s_text (ev, "starts"));
        s_copy (s->ends, sizeof s->ends, s_text (ev, "ends"));
        s->jp = s_number (ev, "jp", 0);
        zhashx_update (self->sessions,
                       s_key (key, batch, s_int_str (year, no), NONE), s);
        s_batch_t *b = s_batch (self, batch);
        if (b)
            b->jp_total += s->jp;
    } else if (kind == K_ENROLLED) {
        jk_str_t batch = s_text (ev, "batch");
        s_key (key, batch, s_text (ev, "nik"), NONE);
        s_enrollment_t *e = zhashx_lookup (self->enrollments, key);
        if (!e) {
            e = jk_calloc (1, sizeof *e);
            zhashx_insert (self->enrollments, key, e);
        }
        e->withdrawn = false;
        s_batch_t *b = s_batch (self, batch);
        if (b)
            b->enrolled++;
    } else if (kind == K_WITHDRAWN) {
        jk_str_t batch = s_text (ev, "batch");
        s_enrollment_t *e = zhashx_lookup (
            self->enrollments, s_key (key, batch, s_text (ev, "nik"), NONE));
        if (e)
            e->withdrawn = true;
        s_batch_t *b = s_batch (self, batch);
        if (b)
            b->enrolled--;
    } else if (kind == K_ATTENDANCE) {
        jk_str_t batch = s_text (ev, "batch"), nik = s_text (ev, "nik");
        int64_t no = s_number (ev, "session_no", 0);
        s_session_t *s = zhashx_lookup (
            self->sessions, s_key (key, batch, s_int_str (year, no), NONE));
        jk_str_t status = s_text (ev, "status");
        bool present =
            jk_str_eq (status, "HADIR") || jk_str_eq (status, "TERLAMBAT");
        int64_t jp = present && s ? s->jp : 0;
        s_put_attendance (self, batch, no, nik, ev->id, (int64_t)pos, jp);
        s_enrollment_t *e =
            zhashx_lookup (self->enrollments, s_key (key, batch, nik, NONE));
        if (e)
            e->jp_attended += jp;
    } else if (kind == K_CORRECTED) {
        char hex[33];
        s_id_key (ev->corrects, hex);
        s_attendance_t *a = zhashx_lookup (self->attendance_id, hex);
        if (!a)
            return;
        jk_str_t batch = jk_str_of (a->batch);
        s_session_t *s = zhashx_lookup (
            self->sessions,
            s_key (key, batch, s_int_str (year, a->session_no), NONE));
        jk_str_t status = s_text (ev, "status");
        bool present =
            jk_str_eq (status, "HADIR") || jk_str_eq (status, "TERLAMBAT");
        int64_t jp = present && s ? s->jp : 0;
        s_enrollment_t *e = zhashx_lookup (
            self->enrollments, s_key (key, batch, jk_str_of (a->nik), NONE));
        if (e)
            e->jp_attended += jp - a->jp;
        a->jp = jp;
    } else if (kind == K_CLOSED) {
        s_batch_t *b = s_batch (self, s_text (ev, "batch"));
        if (b) {
            b->closed = true;
            b->closed_pos = pos;
            /* Its attendance rows and enrolments leave once the tables
               hold them as they are now (jk_model_written): a projector
               behind the writer may not have written them yet. */
            if (self->bound && self->db) {
                char code[KEY_MAX];
                s_key (code, s_text (ev, "batch"), NONE, NONE);
                zlistx_add_end (self->closing, strdup (code));
            } else
                s_evict (self, b);
        }
    } else if (kind == K_ASSESSMENT) {
        s_assessment_t *a = jk_calloc (1, sizeof *a);
        s_copy (a->batch, sizeof a->batch, s_text (ev, "batch"));
        s_copy (a->date, sizeof a->date, s_text (ev, "date"));
        a->unit_set = s_map (NULL);
        a->assessors = s_map (NULL);
        const jk_value_t *units = jk_event_get (ev, "units");
        const jk_value_t *assessors = jk_event_get (ev, "assessors");
        a->units = units->count;
        for (uint32_t i = 0; i < units->count; i++)
            s_add_unit (a, units->items[2 * i]);
        for (uint32_t i = 0; i < assessors->count; i++)
            zhashx_update (a->assessors,
                           s_key (key, assessors->items[i], NONE, NONE),
                           (void *)1);
        zhashx_update (self->assessments,
                       s_key (key, s_text (ev, "assessment"), NONE, NONE), a);
    } else if (kind == K_UNIT) {
        s_key (key, s_text (ev, "assessment"), s_text (ev, "nik"),
               s_text (ev, "unit"));
        s_set_verdict (self->unit_results, key, s_text (ev, "verdict"));
    } else if (kind == K_DECIDED) {
        s_key (key, s_text (ev, "assessment"), s_text (ev, "nik"), NONE);
        s_set_verdict (self->results, key, s_text (ev, "verdict"));
    } else if (kind == K_CERTIFICATE) {
        s_add_certificate (self, s_text (ev, "number"),
                           s_text (ev, "assessment"), s_text (ev, "nik"), false,
                           0);
    } else if (kind == K_REVOKED) {
        s_certificate_t *c = zhashx_lookup (
            self->certificates, s_key (key, s_text (ev, "number"), NONE, NONE));
        if (c && !c->revoked) {
            c->revoked = true;
            c->revoked_pos = (int64_t)pos;
        }
    }
}

/* ---- loading from the projection tables ---------------------------------- */

static jk_str_t s_col (sqlite3_stmt *st, int col)
{
    const char *text = (const char *)sqlite3_column_text (st, col);
    if (!text)
        return (jk_str_t){"", 0};
    return (jk_str_t){text, (size_t)sqlite3_column_bytes (st, col)};
}

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
    s_cooperative_t *c = jk_calloc (1, sizeof *c);
    c->registered_pos = sqlite3_column_int64 (st, 1);
    char key[KEY_MAX];
    zhashx_update (self->cooperatives, s_key (key, s_col (st, 0), NONE, NONE),
                   c);
}

static void s_load_rat (jk_model_t *self, sqlite3_stmt *st)
{
    s_rat_t *r = jk_calloc (1, sizeof *r);
    s_copy (r->held_on, sizeof r->held_on, s_col (st, 2));
    char key[KEY_MAX];
    zhashx_update (self->rats, s_key (key, s_col (st, 0), s_col (st, 1), NONE),
                   r);
}

static void s_load_person (jk_model_t *self, sqlite3_stmt *st)
{
    s_people_add (self, s_col (st, 0), 0);
}

static void s_load_batch (jk_model_t *self, sqlite3_stmt *st)
{
    s_batch_t *b = jk_calloc (1, sizeof *b);
    s_copy (b->start, sizeof b->start, s_col (st, 1));
    s_copy (b->end, sizeof b->end, s_col (st, 2));
    b->class_size_max = sqlite3_column_int64 (st, 3);
    b->min_pct = sqlite3_column_int64 (st, 4);
    b->enrolled = sqlite3_column_int64 (st, 5);
    b->closed = sqlite3_column_int (st, 6) != 0;
    b->jp_total = sqlite3_column_int64 (st, 7);
    b->gone = b->closed && self->bound;
    char key[KEY_MAX];
    zhashx_update (self->batches, s_key (key, s_col (st, 0), NONE, NONE), b);
}

static void s_load_session (jk_model_t *self, sqlite3_stmt *st)
{
    s_session_t *s = jk_calloc (1, sizeof *s);
    s_copy (s->date, sizeof s->date, s_col (st, 2));
    s_copy (s->starts, sizeof s->starts, s_col (st, 3));
    s_copy (s->ends, sizeof s->ends, s_col (st, 4));
    s->jp = sqlite3_column_int64 (st, 5);
    char key[KEY_MAX];
    zhashx_update (self->sessions,
                   s_key (key, s_col (st, 0), s_col (st, 1), NONE), s);
}

static void s_load_enrollment (jk_model_t *self, sqlite3_stmt *st)
{
    s_batch_t *b = s_batch (self, s_col (st, 0));
    if (b && b->gone) {
        self->enrol_evicted++;
        return;
    }
    s_enrollment_t *e = jk_calloc (1, sizeof *e);
    e->withdrawn = sqlite3_column_int (st, 2) != 0;
    e->jp_attended = sqlite3_column_int64 (st, 3);
    char key[KEY_MAX];
    zhashx_update (self->enrollments,
                   s_key (key, s_col (st, 0), s_col (st, 1), NONE), e);
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
    s_put_attendance (self, s_col (st, 0), sqlite3_column_int64 (st, 1),
                      s_col (st, 2), id, sqlite3_column_int64 (st, 4),
                      sqlite3_column_int64 (st, 5));
}

static void s_load_assessment (jk_model_t *self, sqlite3_stmt *st)
{
    s_assessment_t *a = jk_calloc (1, sizeof *a);
    s_copy (a->batch, sizeof a->batch, s_col (st, 1));
    s_copy (a->date, sizeof a->date, s_col (st, 2));
    a->units = sqlite3_column_int64 (st, 3);
    a->unit_set = s_map (NULL);
    a->assessors = s_map (NULL);
    char key[KEY_MAX];
    zhashx_update (self->assessments, s_key (key, s_col (st, 0), NONE, NONE),
                   a);
}

static void s_load_unit (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    s_assessment_t *a = zhashx_lookup (self->assessments,
                                       s_key (key, s_col (st, 0), NONE, NONE));
    if (a)
        s_add_unit (a, s_col (st, 1));
}

static void s_load_assessor (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    s_assessment_t *a = zhashx_lookup (self->assessments,
                                       s_key (key, s_col (st, 0), NONE, NONE));
    if (a)
        zhashx_update (a->assessors, s_key (key, s_col (st, 1), NONE, NONE),
                       (void *)1);
}

static void s_load_unit_result (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    s_set_verdict (self->unit_results,
                   s_key (key, s_col (st, 0), s_col (st, 1), s_col (st, 2)),
                   s_col (st, 3));
}

static void s_load_result (jk_model_t *self, sqlite3_stmt *st)
{
    char key[KEY_MAX];
    s_set_verdict (self->results,
                   s_key (key, s_col (st, 0), s_col (st, 1), NONE),
                   s_col (st, 2));
}

static void s_load_certificate (jk_model_t *self, sqlite3_stmt *st)
{
    s_add_certificate (self, s_col (st, 0), s_col (st, 2), s_col (st, 1),
                       sqlite3_column_int (st, 3) != 0,
                       sqlite3_column_int64 (st, 4));
}

int jk_model_load (jk_model_t *self, sqlite3 *db, char *err, size_t err_size)
{
    assert (self && db);
    static const struct {
        const char *sql;
        s_row_fn *row;
    } steps[] = {
        {"SELECT legal_number_norm, registered_pos FROM cooperatives",
         s_load_cooperative},
        {"SELECT legal_number_norm, book_year, held_on FROM rat_meetings",
         s_load_rat},
        {"SELECT nik FROM people", s_load_person},
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

/* ---- decide ----------------------------------------------------------------
   Each rule as docs/PROJECTIONS.md lists it, in that order. */

static int s_need_cooperative (jk_model_t *self, const jk_event_t *ev,
                               const char *field, jk_report_t *report)
{
    if (!s_present (ev, field))
        return GO;
    char norm[LEGAL_MAX], path[48];
    s_norm (ev, field, norm);
    if (zhashx_lookup (self->cooperatives, norm))
        return GO;
    snprintf (path, sizeof path, "body.%s", field);
    jk_report_error (report, "E_UNKNOWN_COOPERATIVE", path,
                     "%s %s is not a registered cooperative (register it "
                     "first with cooperative.registered)",
                     path, norm);
    return REJECT;
}

static int s_need_person (jk_model_t *self, const jk_event_t *ev,
                          jk_report_t *report)
{
    jk_str_t nik = s_text (ev, "nik");
    bool found;
    RUN (s_people_has (self, nik, &found));
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

static int s_need_batch (jk_model_t *self, jk_str_t batch, s_batch_t **row,
                         jk_report_t *report)
{
    *row = s_batch (self, batch);
    if (*row)
        return GO;
    jk_report_error (report, "E_UNKNOWN_BATCH", "body.batch",
                     "body.batch %.*s is not a scheduled batch (schedule it "
                     "first with training.batch_scheduled)",
                     (int)batch.len, batch.ptr);
    return REJECT;
}

static int s_open_batch (jk_str_t batch, const s_batch_t *row, const char *what,
                         jk_report_t *report)
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
                         s_enrollment_t **e)
{
    char key[KEY_MAX];
    *e = zhashx_lookup (self->enrollments, s_key (key, batch, nik, NONE));
    s_batch_t *b = *e ? NULL : s_batch (self, batch);
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

static int s_need_enrolled (jk_model_t *self, jk_str_t batch, jk_str_t nik,
                            jk_report_t *report)
{
    s_enrollment_t *e;
    RUN (s_enrollment (self, batch, nik, &e));
    if (e && !e->withdrawn)
        return GO;
    char masked[17];
    s_mask (nik, masked);
    jk_report_error (report, "E_NOT_ENROLLED", "body.nik",
                     "body.nik %s is not enrolled in batch %.*s%s", masked,
                     (int)batch.len, batch.ptr, e ? " (withdrawn)" : "");
    return REJECT;
}

static s_session_t *s_session (jk_model_t *self, jk_str_t batch, int64_t no)
{
    char key[KEY_MAX], text[24];
    return zhashx_lookup (self->sessions,
                          s_key (key, batch, s_int_str (text, no), NONE));
}

/* Check-in may be at most CHECK_IN_EARLY_MIN minutes before the session
   starts and not after it ends; check-out not before it starts. */
static int s_times (const jk_event_t *ev, const char *starts, const char *ends,
                    jk_str_t batch, int64_t session_no, jk_report_t *report)
{
    int start = s_minutes (starts), end = s_minutes (ends);
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

static int s_cooperative_registered (jk_model_t *self, const jk_event_t *ev,
                                     jk_report_t *report)
{
    char norm[LEGAL_MAX];
    s_norm (ev, "legal_number", norm);
    s_cooperative_t *c = zhashx_lookup (self->cooperatives, norm);
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
    return s_need_cooperative (self, ev, "legal_number", report);
}

static int s_rat_held (jk_model_t *self, const jk_event_t *ev,
                       jk_report_t *report)
{
    RUN (s_need_cooperative (self, ev, "legal_number", report));
    char norm[LEGAL_MAX], key[KEY_MAX], text[24];
    s_norm (ev, "legal_number", norm);
    int64_t year = s_number (ev, "book_year", 0);
    s_rat_t *r =
        zhashx_lookup (self->rats, s_key (key, jk_str_of (norm),
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
    jk_str_t nik = s_text (ev, "nik");
    bool found;
    RUN (s_people_has (self, nik, &found));
    if (found) {
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

static int s_person_corrected (jk_model_t *self, const jk_event_t *ev,
                               jk_report_t *report)
{
    RUN (s_need_person (self, ev, report));
    return s_need_cooperative (self, ev, "cooperative", report);
}

static int s_batch_scheduled (jk_model_t *self, const jk_event_t *ev,
                              jk_report_t *report)
{
    jk_str_t batch = s_text (ev, "batch");
    s_batch_t *row = s_batch (self, batch);
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
    jk_str_t batch = s_text (ev, "batch");
    s_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_open_batch (batch, row, "sessions", report));
    jk_str_t date = s_text (ev, "date");
    if (strncmp (date.ptr, row->start, 10) < 0 ||
        strncmp (date.ptr, row->end, 10) > 0) {
        jk_report_error (report, "E_SESSION_DATE", "body.date",
                         "body.date %.*s is outside batch %.*s (%s..%s); a "
                         "session falls on one of the batch's days",
                         (int)date.len, date.ptr, (int)batch.len, batch.ptr,
                         row->start, row->end);
        return REJECT;
    }
    int64_t no = s_number (ev, "session_no", 0);
    s_session_t *s = s_session (self, batch, no);
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
    jk_str_t batch = s_text (ev, "batch");
    jk_str_t nik = s_text (ev, "nik");
    s_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_need_person (self, ev, report));
    RUN (s_need_cooperative (self, ev, "cooperative", report));
    s_enrollment_t *e;
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
    jk_str_t batch = s_text (ev, "batch");
    s_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_need_enrolled (self, batch, s_text (ev, "nik"), report));
    return s_open_batch (batch, row, "withdrawals", report);
}

static int s_attendance_recorded (jk_model_t *self, const jk_event_t *ev,
                                  jk_report_t *report)
{
    jk_str_t batch = s_text (ev, "batch");
    jk_str_t nik = s_text (ev, "nik");
    int64_t no = s_number (ev, "session_no", 0);
    s_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    s_session_t *s = s_session (self, batch, no);
    if (!s) {
        jk_report_error (report, "E_UNKNOWN_SESSION", "body.session_no",
                         "session %lld of batch %.*s is not scheduled "
                         "(training.session_scheduled)",
                         (long long)no, (int)batch.len, batch.ptr);
        return REJECT;
    }
    RUN (s_open_batch (batch, row, "attendance", report));
    RUN (s_need_enrolled (self, batch, nik, report));
    s_attendance_t *a = s_attendance (self, batch, no, nik);
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
    return s_times (ev, s->starts, s->ends, batch, no, report);
}

/* The batch and session of the attendance row an id names: from memory,
   or for a row evicted with its closed batch, from the attendance table.
   GO with found false when no row has that id. */
static int s_attendance_by_id (jk_model_t *self, const uint8_t id[16],
                               char batch[64], int64_t *no, bool *found)
{
    char hex[33];
    s_id_key (id, hex);
    s_attendance_t *a = zhashx_lookup (self->attendance_id, hex);
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
    s_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    RUN (s_open_batch (batch, row, "attendance corrections", report));
    s_session_t *s = s_session (self, batch, no);
    if (!s)
        return GO;
    return s_times (ev, s->starts, s->ends, batch, no, report);
}

static int s_batch_closed (jk_model_t *self, const jk_event_t *ev,
                           jk_report_t *report)
{
    jk_str_t batch = s_text (ev, "batch");
    s_batch_t *row;
    RUN (s_need_batch (self, batch, &row, report));
    if (!row->closed)
        return GO;
    jk_report_error (report, "E_BATCH_CLOSED", "body.batch",
                     "batch %.*s is already closed", (int)batch.len, batch.ptr);
    return REJECT;
}

static int s_need_assessment (jk_model_t *self, const jk_event_t *ev,
                              s_assessment_t **row, jk_report_t *report)
{
    jk_str_t code = s_text (ev, "assessment");
    char key[KEY_MAX];
    *row = zhashx_lookup (self->assessments, s_key (key, code, NONE, NONE));
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
    jk_str_t code = s_text (ev, "assessment");
    char key[KEY_MAX];
    if (zhashx_lookup (self->assessments, s_key (key, code, NONE, NONE))) {
        jk_report_error (report, "E_DUPLICATE_ASSESSMENT", "body.assessment",
                         "body.assessment %.*s is already scheduled; an "
                         "assessment code is used once",
                         (int)code.len, code.ptr);
        return REJECT;
    }
    if (!s_present (ev, "batch"))
        return GO;
    s_batch_t *row;
    return s_need_batch (self, s_text (ev, "batch"), &row, report);
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
    s_assessment_t *a;
    RUN (s_need_assessment (self, ev, &a, report));
    RUN (s_need_person (self, ev, report));
    jk_str_t code = s_text (ev, "assessment");
    jk_str_t unit = s_text (ev, "unit");
    char key[KEY_MAX];
    if (!zhashx_lookup (a->unit_set, s_key (key, unit, NONE, NONE))) {
        jk_report_error (report, "E_UNKNOWN_UNIT", "body.unit",
                         "body.unit %.*s is not one of assessment %.*s's "
                         "units",
                         (int)unit.len, unit.ptr, (int)code.len, code.ptr);
        return REJECT;
    }
    jk_str_t assessor = s_text (ev, "assessor");
    if (!zhashx_lookup (a->assessors, s_key (key, assessor, NONE, NONE))) {
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
    jk_str_t nik = s_text (ev, "nik");
    jk_str_t linked = jk_str_of (a->batch);
    s_enrollment_t *e;
    RUN (s_enrollment (self, linked, nik, &e));
    s_batch_t *b = s_batch (self, linked);
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
    s_assessment_t *a;
    RUN (s_need_assessment (self, ev, &a, report));
    RUN (s_need_person (self, ev, report));
    if (!jk_str_eq (s_text (ev, "verdict"), "K"))
        return GO;
    jk_str_t code = s_text (ev, "assessment");
    jk_str_t nik = s_text (ev, "nik");
    char key[KEY_MAX];
    for (size_t i = 0; i < a->unit_count; i++) {
        s_verdict_t *v = zhashx_lookup (
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
    jk_str_t number = s_text (ev, "number");
    char key[KEY_MAX];
    if (zhashx_lookup (self->certificates, s_key (key, number, NONE, NONE))) {
        jk_report_error (report, "E_DUPLICATE_CERTIFICATE", "body.number",
                         "certificate number %.*s is already issued; numbers "
                         "are unique",
                         (int)number.len, number.ptr);
        return REJECT;
    }
    RUN (s_need_person (self, ev, report));
    s_assessment_t *a;
    RUN (s_need_assessment (self, ev, &a, report));
    jk_str_t code = s_text (ev, "assessment");
    jk_str_t nik = s_text (ev, "nik");
    char masked[17];
    s_mask (nik, masked);
    s_verdict_t *v =
        zhashx_lookup (self->results, s_key (key, code, nik, NONE));
    const char *verdict = v ? v->verdict : "";
    if (strcmp (verdict, "K") != 0) {
        jk_report_error (report, "E_NOT_COMPETENT", "body.nik",
                         "body.nik %s is not decided K on assessment %.*s "
                         "(%s); a certificate needs assessment.decided K",
                         masked, (int)code.len, code.ptr,
                         verdict[0] ? "decided BK" : "not decided");
        return REJECT;
    }
    jk_str_t issued = s_text (ev, "issued_on");
    if (strncmp (issued.ptr, a->date, 10) < 0) {
        jk_report_error (report, "E_CERTIFICATE_DATE", "body.issued_on",
                         "body.issued_on %.*s is before assessment %.*s's "
                         "date %s",
                         (int)issued.len, issued.ptr, (int)code.len, code.ptr,
                         a->date);
        return REJECT;
    }
    /* The lowest unrevoked number this person holds for the assessment. */
    s_holder_t *h = zhashx_lookup (self->holders, key);
    const char *other = NULL;
    for (size_t i = 0; h && i < h->count; i++) {
        s_certificate_t *c = zhashx_lookup (self->certificates, h->number[i]);
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
    jk_str_t number = s_text (ev, "number");
    char key[KEY_MAX];
    s_certificate_t *c =
        zhashx_lookup (self->certificates, s_key (key, number, NONE, NONE));
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
    int index = jk_vocabulary_index (event->type);
    if (index >= 0 && (size_t)index < sizeof s_rules / sizeof s_rules[0]) {
        int rc = s_rules[index].decide (self, event, report);
        return rc == GO ? 0 : rc == REJECT ? -1 : JK_IO;
    }
    jk_report_error (report, "E_TYPE", "type",
                     "type %s v%u has no domain rules in this store",
                     event->type->name, event->type->version);
    return -1;
}
