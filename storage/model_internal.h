/*  model_internal.h - shared by the files of the decision model only
    (jk_model.h): model.c (the object), model_people.c (the bounded set of
    people), model_state.c (state changes and apply), model_load.c
    (loading from the projection tables), model_decide.c (the rules) and
    model_map.c (the maps every one of them keeps its entries in). Each
    depends on this header and on model_map.c, model_people.c and
    model_state.c below it: no two files call each other. */
#ifndef JK_MODEL_INTERNAL_H
#define JK_MODEL_INTERNAL_H

#include "jk_map.h"
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
} jk_model_cooperative_t;

typedef struct {
    char held_on[11];
} jk_model_rat_t;

typedef struct {
    char start[11], end[11];
    int64_t class_size_max, min_pct, enrolled, jp_total;
    bool closed;
    bool gone;           /* closed, and its enrolments left memory */
    uint64_t closed_pos; /* position of its close (0: loaded closed) */
    jk_model_map_t
        *attendance; /* "session_no\x1fnik" -> jk_model_attendance_t */
    /* The keys of its enrolments in the model's enrollments, so that they
       leave memory without a walk over every enrolment
       (jk_model_evict_enrollments). */
    char **enrol_keys;
    size_t enrol_count, enrol_cap;
} jk_model_batch_t;

typedef struct {
    char date[11], starts[8], ends[8];
    int64_t jp;
} jk_model_session_t;

typedef struct {
    bool withdrawn;
    int64_t jp_attended;
} jk_model_enrollment_t;

typedef struct {
    int64_t recorded_pos;
    int64_t jp; /* hours credited */
    int64_t session_no;
    uint8_t id[16];
    char nik[24];
    char batch[64];
    /* The row's keys, which its maps borrow (jk_model_map_borrowing):
       in attendance_id, and in its batch's attendance (or the orphans). */
    char hex[33];
    char key[];
} jk_model_attendance_t;

typedef struct {
    char batch[64], date[11];
    int64_t units;
    size_t unit_count;
    char **unit; /* codes in unit_index order */
    jk_model_map_t *unit_set;
    jk_model_map_t *assessors;
} jk_model_assessment_t;

typedef struct {
    char verdict[4];
} jk_model_verdict_t;

typedef struct {
    char nik[24];
    bool revoked;
    int64_t revoked_pos;
} jk_model_certificate_t;

/* A person's certificates of one assessment: numbers, for the lowest
   unrevoked one. */
typedef struct {
    size_t count;
    char **number;
} jk_model_holder_t;

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
} jk_model_niks_t;

typedef struct {
    jk_model_niks_t young, old;
    size_t max;          /* people per generation (JK_MODEL_PEOPLE_MAX) */
    bool partial;        /* some people are only in the table */
    uint64_t written;    /* the tables hold every event up to here */
    jk_model_map_t *odd; /* NIKs that are not 16 digits */
    size_t dropped;      /* people dropped from memory so far */
} jk_model_people_t;

/* The body fields the rules and apply read, by name in
   jk_model_field_names (model.c). jk_model_new resolves each to its index
   in every vocabulary type's field table once (jk_model_t.slots), so that
   reading one is an array index, not a search by name; a name that no
   type has fails jk_model_rules_check. */
typedef enum {
    F_ASSESSMENT,
    F_ASSESSOR,
    F_ASSESSORS,
    F_BATCH,
    F_BOOK_YEAR,
    F_CHECK_IN,
    F_CHECK_OUT,
    F_CLASS_SIZE_MAX,
    F_COOPERATIVE,
    F_DATE,
    F_END_DATE,
    F_ENDS,
    F_HELD_ON,
    F_ISSUED_ON,
    F_JP,
    F_LEGAL_NUMBER,
    F_MIN_ATTENDANCE_PCT,
    F_NIK,
    F_NUMBER,
    F_SESSION_NO,
    F_START_DATE,
    F_STARTS,
    F_STATUS,
    F_UNIT,
    F_UNITS,
    F_VERDICT,
    F_COUNT
} jk_model_field_t;

extern const char *const jk_model_field_names[F_COUNT];

struct jk_model_s {
    bool evict;
    bool bound;              /* people and closed batches may leave memory */
    sqlite3 *db;             /* for evicted attendance, or NULL */
    sqlite3_stmt *by_id;     /* SELECT batch, session_no ... event_id */
    sqlite3_stmt *person_st; /* SELECT 1 FROM people WHERE nik */
    sqlite3_stmt *enrol_st;  /* SELECT withdrawn, jp_attended ... */
    jk_model_enrollment_t fetched; /* an evicted enrolment read back */
    jk_model_map_t *cooperatives;  /* norm -> jk_model_cooperative_t */
    jk_model_map_t *rats;          /* norm\x1fyear -> jk_model_rat_t */
    jk_model_people_t people;      /* NIKs, bounded (s_people_*) */
    jk_model_map_t *batches;       /* batch -> jk_model_batch_t */
    jk_model_map_t *sessions;      /* batch\x1fno -> jk_model_session_t */
    jk_model_map_t *enrollments;   /* batch\x1fnik -> jk_model_enrollment_t */
    jk_model_map_t
        *attendance_id; /* 32 hex -> jk_model_attendance_t (owned by batch) */
    jk_model_map_t *orphans;      /* attendance of unknown batches */
    jk_model_map_t *assessments;  /* code -> jk_model_assessment_t */
    jk_model_map_t *unit_results; /* a\x1fnik\x1funit -> jk_model_verdict_t */
    jk_model_map_t *results;      /* a\x1fnik -> jk_model_verdict_t */
    jk_model_map_t *certificates; /* number -> jk_model_certificate_t */
    jk_model_map_t *holders;      /* a\x1fnik -> jk_model_holder_t */
    size_t attendance_count, evicted, enrol_evicted;
    /* Enrolments whose batch was not in memory when they were made (or
       whose batch was replaced): while there is one, eviction walks every
       enrolment. */
    size_t enrol_unowned;
    zlistx_t *closing; /* batch codes closed after the tables' position */
    int *kind; /* per vocabulary index: what apply changes (jk_model_kind_t) */
    /* Per vocabulary index, F_COUNT field indexes (-1: not a field of
       that type); field is the row of the event decided or applied now. */
    int8_t *slots;
    const int8_t *field;
    /* What the last decide found for an attendance.recorded it let
       through, for the apply of that same event (id and object), which
       the store makes right after it: the batch row, the session and the
       enrolment in memory (NULL when not in memory), so that the apply
       does not look them up again. Every decide, apply, load and
       jk_model_written forgets it: nothing changes the maps between the
       decide that sets it and the apply that reads it. */
    struct {
        const jk_event_t *event;
        uint8_t id[16];
        jk_model_batch_t *batch;
        jk_model_session_t *session;
        jk_model_enrollment_t *enrollment;
    } decided;
};

/* ---- keys and small helpers ----------------------------------------------
 */

static inline void s_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static inline jk_model_map_t *s_map (jk_model_map_free_fn *destructor)
{
    return jk_model_map_new (destructor);
}

/* Puts value under key, the entry there dropped: one lookup. */
static inline void s_update (jk_model_map_t *map, const char *key, void *value)
{
    jk_model_map_update (map, key, value);
}

/* The entry of key in an inline map (jk_model_map_inline), or a new
   zeroed one of size put there (*made true): one lookup. */
static inline void *s_entry (jk_model_map_t *map, const char *key, size_t size,
                             bool *made)
{
    return jk_model_map_entry (map, key, size, made);
}

/* A zeroed entry of size under key in an inline map, the one there (if
   any) emptied: what putting a new entry in its place would leave. */
static inline void *s_fresh (jk_model_map_t *map, const char *key, size_t size)
{
    bool made;
    void *entry = jk_model_map_entry (map, key, size, &made);
    if (!made)
        memset (entry, 0, size);
    return entry;
}

/* The value of field in the event decided or applied now (self->field,
   s_fields_of), or an absent one when its type has no such field. */
static inline const jk_value_t *
s_get (const jk_model_t *self, const jk_event_t *ev, jk_model_field_t field)
{
    static const jk_value_t absent;
    int slot = self->field[field];
    return slot < 0 ? &absent : &ev->body[slot];
}

/* Points self->field at the slots of vocabulary type index. */
static inline void s_fields_of (jk_model_t *self, int index)
{
    self->field = self->slots + (size_t)index * F_COUNT;
}

/* Text of a present field, or "" (length 0). */
static inline jk_str_t s_text (const jk_model_t *self, const jk_event_t *ev,
                               jk_model_field_t field)
{
    const jk_value_t *v = s_get (self, ev, field);
    if (!v->present || !v->s.ptr)
        return (jk_str_t){"", 0};
    return v->s;
}

static inline int64_t s_number (const jk_model_t *self, const jk_event_t *ev,
                                jk_model_field_t field, int64_t fallback)
{
    const jk_value_t *v = s_get (self, ev, field);
    return v->present ? v->n : fallback;
}

static inline bool s_present (const jk_model_t *self, const jk_event_t *ev,
                              jk_model_field_t field)
{
    return s_get (self, ev, field)->present;
}

/* Appends len bytes of text to key at *n, cut to fit KEY_MAX. */
static inline void s_put (char key[KEY_MAX], size_t *n, const char *text,
                          size_t len)
{
    if (len > KEY_MAX - 1 - *n)
        len = KEY_MAX - 1 - *n;
    memcpy (key + *n, text, len);
    *n += len;
}

/* Joins up to three parts with \x1f into key (KEY_MAX, cut to fit). The
   keys of every lookup on the decide path: plain copies, no formatting. */
static inline const char *s_key (char key[KEY_MAX], jk_str_t a, jk_str_t b,
                                 jk_str_t c)
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
static inline jk_str_t s_int_str (char buf[24], int64_t n)
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
static inline void s_copy (char *out, size_t size, jk_str_t text)
{
    size_t len = text.len < size - 1 ? text.len : size - 1;
    const char *nul = text.ptr ? memchr (text.ptr, 0, len) : NULL;
    if (nul)
        len = (size_t)(nul - text.ptr);
    if (len)
        memcpy (out, text.ptr, len);
    out[len] = 0;
}

static inline void s_norm (const jk_model_t *self, const jk_event_t *ev,
                           jk_model_field_t field, char out[LEGAL_MAX])
{
    jk_str_t s = s_text (self, ev, field);
    jk_legal_number_normalise (s.ptr, s.len, out, LEGAL_MAX);
}

static inline void s_mask (jk_str_t nik, char out[17])
{
    jk_nik_mask (nik.ptr ? nik.ptr : "", nik.ptr ? nik.len : 0, out);
}

static inline void s_id_key (const uint8_t id[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[id[i] >> 4];
        out[2 * i + 1] = hex[id[i] & 15];
    }
    out[32] = 0;
}

/* Minutes after midnight of "HH:MM", or -1. */
static inline int s_minutes (const char *t)
{
    if (strlen (t) != 5 || t[2] != ':')
        return -1;
    return ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 +
           (t[4] - '0');
}

/* Text of column col of a row, or "" (length 0). */
static inline jk_str_t s_col (sqlite3_stmt *st, int col)
{
    const char *text = (const char *)sqlite3_column_text (st, col);
    if (!text)
        return (jk_str_t){"", 0};
    return (jk_str_t){text, (size_t)sqlite3_column_bytes (st, col)};
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
} jk_model_kind_t;

/* ---- model_people.c: the bounded set of people ----------------------------
 */

/* Records a registered person (at pos; 0 when read from the table). */
void jk_model_people_add (jk_model_t *self, jk_str_t nik, uint64_t pos);
/* Whether nik is a registered person: from memory, or when some people
   left it, from the people table. GO or FAILED. */
int jk_model_people_has (jk_model_t *self, jk_str_t nik, bool *found);
/* Frees a set's slots and empties it. */
void jk_model_niks_clear (jk_model_niks_t *set);

/* ---- model_state.c: state changes (apply and load share them) ------------ */

/* Destructors of the maps holding these entries. */
void jk_model_batch_free (void **item_p);
void jk_model_assessment_free (void **item_p);
void jk_model_holder_free (void **item_p);
/* The batch with code, or NULL. */
jk_model_batch_t *jk_model_batch (jk_model_t *self, jk_str_t code);
/* Adds an attendance row (to its batch, or to the orphans). */
void jk_model_put_attendance (jk_model_t *self, jk_str_t batch,
                              int64_t session_no, jk_str_t nik,
                              const uint8_t id[16], int64_t pos, int64_t jp);
/* The same with the batch's row b already found (jk_model_batch). */
void jk_model_put_attendance_in (jk_model_t *self, jk_model_batch_t *b,
                                 jk_str_t batch, int64_t session_no,
                                 jk_str_t nik, const uint8_t id[16],
                                 int64_t pos, int64_t jp);
/* The attendance row of a batch (its row b, jk_model_batch), session and
   NIK, or NULL. */
jk_model_attendance_t *
jk_model_attendance_in (jk_model_t *self, jk_model_batch_t *b, jk_str_t batch,
                        int64_t session_no, jk_str_t nik);

/* Forgets what the last decide found (jk_model_t's decided). */
static inline void jk_model_forget (jk_model_t *self)
{
    self->decided.event = NULL;
}
void jk_model_add_unit (jk_model_assessment_t *a, jk_str_t code);
void jk_model_add_certificate (jk_model_t *self, jk_str_t number,
                               jk_str_t assessment, jk_str_t nik, bool revoked,
                               int64_t revoked_pos);
void jk_model_set_verdict (jk_model_map_t *map, const char *key,
                           jk_str_t verdict);
/* Notes a new enrolment's key under its batch b (NULL: not in memory). */
void jk_model_note_enrollment (jk_model_t *self, jk_model_batch_t *b,
                               const char *key);
/* Puts batch b under code, replacing the batch there. */
void jk_model_put_batch (jk_model_t *self, const char *code,
                         jk_model_batch_t *b);
/* Drops a closed batch's enrolments: a rule that asks for one reads it
   back from the enrollments table. */
void jk_model_evict_enrollments (jk_model_t *self, jk_str_t batch,
                                 jk_model_batch_t *b);
/* Drops a closed batch's attendance rows. */
void jk_model_evict (jk_model_t *self, jk_model_batch_t *b);

#endif
