/*  projections_internal.h - shared by the projection files only:
    projections.c (the object, migrations and the apply engine that runs
    the writes of projection_table.c), proj_sql.c (small SQLite helpers),
    counters.c (counters and read caches), one file per entity for what
    the table cannot say (cooperatives.c, people.c, training.c,
    assessments.c), rules.c (decide), dump.c and snapshot.c (read). Each
    depends only on this header and the helpers: no file includes another
    projection file's functions in a cycle. */
#ifndef JK_PROJECTIONS_INTERNAL_H
#define JK_PROJECTIONS_INTERNAL_H

#include "jk_map.h"
#include "jk_model.h"
#include "jk_projection_table.h"
#include "jk_projections.h"

#include <czmq.h>

/* Every prepared statement, made once in jk_projections_new. The SQL text
   of each is in projections.c, in this order. */
typedef enum {
    /* reads (decide and apply) */
    Q_COOPERATIVE,
    Q_RAT_YEARS,
    Q_PERSON,
    Q_BATCH,
    Q_SESSION,
    Q_ATTENDANCE_BY_ID,
    Q_RESULT,
    Q_CERTIFICATE,
    /* writes (apply) */
    W_META_POS,
    W_SOURCE,
    W_SOURCE_FLUSH,
    W_KECAMATAN,
    W_PERSON_COUNTERS,
    W_COOPERATIVE_UPDATE,
    W_COOPERATIVE_RAT,
    W_PERSON_UPDATE,
    W_BATCH_COUNTERS,
    W_SESSION_COUNTERS,
    W_ENROLLMENT_PCT_ONE,
    W_ENROLLMENT_PCT_BATCH,
    W_ENROLLMENT_TERMS_ONE,
    W_ENROLLMENT_TERMS_BATCH,
    W_ENROLLMENT_TERMS_PENDING,
    W_ATTENDANCE_CORRECT,
    W_UNIT_INSERT,
    W_ASSESSOR_INSERT,
    W_CERTIFICATE_REVOKE,
    W_REJECTION_INSERT,
    W_QUALITY_INSERT,
    W_QUALITY_INSERT_PERSON,
    W_QUALITY_INSERT_COOPERATIVE,
    W_QUALITY_RESOLVE_PERSON,
    W_QUALITY_RESOLVE_COOPERATIVE,
    STMT_COUNT
} jk_stmt_id_t;

/* One write of the projection table, resolved: its statement and, per
   bind, the body field indexes in the type (-1 for none). */
typedef struct {
    const jk_pwrite_t *write;
    sqlite3_stmt *stmt;
    int binds;
    int8_t field[JK_PBIND_MAX], field2[JK_PBIND_MAX];
    bool enrollments; /* writes the enrollments table */
    /* An insert whose row may be held in memory until the flush (deferred
       mode without a model; jk_proj_held_t): the same INSERT with the
       table's counter columns after the write's own, bound from
       binds + 1 on. NULL for every other write. */
    sqlite3_stmt *held_stmt;
} jk_prow_t;

/* A row inserted in this transaction and not written yet: the values of
   its write's binds, copied from the event, written at flush (or before
   anything else writes the row) by the write's held_stmt with the
   counters the transaction added to it. A person registered and then
   enrolled, assessed or certified in the same transaction is then one
   INSERT instead of an INSERT and a counter UPDATE. */
typedef struct {
    const jk_prow_t *row;
    uint8_t type[JK_PBIND_MAX]; /* SQLITE_INTEGER, _TEXT, _BLOB or _NULL */
    int64_t n[JK_PBIND_MAX];    /* the integer, or the offset in text */
    uint32_t len[JK_PBIND_MAX]; /* bytes of a text or blob */
    char text[];
} jk_proj_held_t;

struct jk_projections_s {
    sqlite3 *db; /* borrowed; the store owns it */
    jk_projections_config_t config;
    const jk_region_t *region; /* reference data (kecamatan of a desa) */
    sqlite3_stmt *stmt[STMT_COUNT];
    /* The decisions' state in memory (model.c): made and loaded at the
       first decide, applied with every event after it, dropped by
       jk_projections_discard. NULL for a rebuild or a replica. */
    jk_model_t *model;
    /* The projection table's writes, grouped by vocabulary index: rows
       [row_first[i], row_first[i + 1]) belong to type i. */
    jk_prow_t *rows;
    size_t row_count;
    size_t *row_first;
    /* Per vocabulary index: whether any warning of the table is resolved
       by that type (jk_pwarnings' resolved_by), so others skip the walk. */
    bool *resolves;
    /* Scratch of one apply, shared by a type's derives and its after
       step: attendance.recorded's credited hours and presence,
       assessment.decided's previous verdict. */
    int64_t scratch_jp;
    bool scratch_present;
    bool scratch_was_k;
    /* What decide read for the event it accepted last, reused by apply
       when the same event follows (the store's path; rebuild reads). */
    bool memo_set;
    uint8_t memo_id[16]; /* that event's id */
    int64_t memo_jp;     /* attendance.recorded: the session's jp */
    /* Write-behind counters (jk_projections_set_deferred): additive
       deltas that nothing reads inside the writer's transaction, kept in
       memory and written once per transaction by jk_projections_flush.
       Each statement they replace ran once per event (sources on every
       record); per transaction there is one per distinct key. Each map
       below is inline (jk_map.h: an entry and its key in one block),
       emptied at flush with its slots kept (jk_model_map_clear). */
    bool deferred;                   /* counters wait for flush */
    jk_model_map_t *pending_sources; /* source -> s_source_delta_t */
    jk_model_map_t
        *pending_kecamatan; /* kecamatan code -> s_kecamatan_delta_t */
    jk_model_map_t
        *pending_sessions; /* "batch\nsession_no" -> s_session_delta_t */
    jk_model_map_t *pending_people; /* nik -> s_person_delta_t */
    /* Attendance hours per enrolment ("batch\x1fnik" ->
       s_enrollment_delta_t), written (with % and eligibility from the
       batch's terms then) at flush, and before anything else writes
       the enrollments table (jk_proj_enrollments_flush). */
    jk_model_map_t *pending_enrollments;
    /* batches: counter deltas per batch (enrolled, withdrawn, sessions,
       jp_total) and whether its enrolments' % waits for a recomputation
       ("batch" -> s_batch_delta_t), written at flush. Like the hours
       above, only while no decisions' model reads this database. */
    jk_model_map_t *pending_batches;
    /* cooperatives: RATs held per cooperative (normalised legal number
       -> jk_proj_rat_delta_t); the streak is recounted and the row
       written once at flush. Same condition as the batches. */
    jk_model_map_t *pending_rats;
    /* Read caches of deferred mode: what apply looks up again and again
       and what changes only through apply itself. Valid across commits
       (kept in step by the apply that changes them), dropped by
       jk_projections_discard with the rolled-back transaction that may
       have filled them. */
    jk_model_map_t *batch_terms; /* batch -> s_batch_terms_t */
    jk_model_map_t *session_jp;  /* "batch\nsession_no" -> s_session_jp_t */
    /* The row the last table write held (jk_proj_held_t), until the
       type's after step takes it; apply writes it through when none
       does. */
    jk_proj_held_t *held;
    /* The entry of pending_sources the last record took, and its source
       (a batch's records come from few sources, in runs); NULL once the
       map is emptied. */
    void *source_last;
    size_t source_last_len;
    char source_last_key[256];
};

/* The decide (rules.c) and apply (projections.c) tables hold one entry per
   vocabulary type, in vocabulary order, so events dispatch by
   jk_vocabulary_index. These check that at start-up: 0, or -1 naming the
   first type without an entry in err. */
int jk_proj_rules_check (char *err, size_t err_size);
int jk_proj_apply_check (char *err, size_t err_size);

/* jk_projections_new with another list of writes than the built-in
   projection table (tests prove a bad table fails at start-up). */
jk_projections_t *
jk_projections_new_with (sqlite3 *db, const jk_projections_config_t *config,
                         const jk_pwrite_t *writes, size_t write_count,
                         char *err, size_t err_size);

/* Binds a body field to parameter index: text kinds as text (borrowed from
   the event, valid while it lives), UINT and BOOL as integers, absent as
   NULL. */
void jk_proj_bind_field (sqlite3_stmt *stmt, int index, const jk_event_t *event,
                         const char *field);

/* A present text field of the event, or {NULL, 0}. */
jk_str_t jk_proj_text (const jk_event_t *event, const char *field);
/* A present numeric field (UINT, BOOL, DATE days, TIME minutes, ENUM
   index), or fallback when absent. */
int64_t jk_proj_number (const jk_event_t *event, const char *field,
                        int64_t fallback);

/* Steps a read statement: SQLITE_ROW (the caller reads columns and then
   resets), SQLITE_DONE (already reset), or -1 on failure (logged, reset). */
int jk_proj_query (jk_projections_t *self, jk_stmt_id_t id);
/* Steps a write statement to completion and resets it. JK_OK or JK_IO. */
int jk_proj_exec (jk_projections_t *self, jk_stmt_id_t id);

/* Normalises a legal number field into out (128 bytes); returns its
   class. */
jk_legal_class_t jk_proj_legal (const jk_event_t *event, const char *field,
                                char out[128]);
/* Copies column col of the current row as text into out (NUL-terminated,
   "" for NULL). */
void jk_proj_column_text (sqlite3_stmt *stmt, int col, char *out, size_t size);
/* Minutes after midnight of "HH:MM", or -1. */
int jk_proj_minutes (const char *text);

#define JK_PROJ_LEGAL_MAX 128

#define STMT(id) (self->stmt[id])
#define CHECK(expr)                                                            \
    do {                                                                       \
        if ((expr) != JK_OK)                                                   \
            return JK_IO;                                                      \
    } while (0)

/* ---- counters.c: counters and read caches -------------------------------- */

/* A person's counters, read before a change. */
typedef struct {
    bool found;
    char kecamatan[16];
    int64_t enrollments, units_assessed, competent, certificates;
} jk_proj_person_t;

/* people: one person's counters as this transaction sees them (the
   stored row plus what it added) and the deltas still to write. */
typedef struct {
    jk_proj_person_t row; /* current values */
    int64_t delta[4];     /* enrollments, units_assessed, competent,
                             certificates added since the last flush */
    /* The person's registration when it is in this transaction and not
       written yet (its counters then start at 0: delta is the row's). */
    jk_proj_held_t *held;
} jk_proj_person_delta_t;

/* Frees a heap item (map destructor). */
void jk_proj_item_free (void **item_p);

/* Frees a jk_proj_person_delta_t with its held row (map destructor). */
void jk_proj_person_delta_free (void **item_p);
/* Frees a cooperative's pending RATs with its held row (map
   destructor). */
void jk_proj_rat_delta_free (void **item_p);
/* Writes a held row and frees it: with counters, by held_stmt (count
   values for the parameters after the write's binds); with NULL, by the
   write's own INSERT (the counters at their defaults). JK_OK or JK_IO. */
int jk_proj_held_write (jk_projections_t *self, jk_proj_held_t **held_p,
                        const int64_t *counters, int count);
/* Raises the held row's integer column to value when it is below. */
void jk_proj_held_max (jk_proj_held_t *held, const char *column, int64_t value);
/* Writes a person's registration if it is held (with the counters added
   so far, which then stop being pending): before any statement that
   writes the person's row. JK_OK or JK_IO. */
int jk_proj_person_unhold (jk_projections_t *self, jk_str_t nik);
/* A person's entry in pending_people (key from jk_proj_nik_key), or
   NULL. */
jk_proj_person_delta_t *jk_proj_person_pending (jk_projections_t *self,
                                                const char *key);
/* The same, made zeroed when there is none (*made true). */
jk_proj_person_delta_t *jk_proj_person_pending_make (jk_projections_t *self,
                                                     const char *key,
                                                     bool *made);
/* Kecamatan code of a desa from the reference data, or NULL. */
const char *jk_proj_kecamatan_of (jk_projections_t *self, jk_str_t desa);
/* Adds deltas to a kecamatan's counters (no-op for NULL or unknown). */
int jk_proj_kecamatan (jk_projections_t *self, const char *kecamatan,
                       int cooperatives, int people, int enrolled, int assessed,
                       int competent, int certificates);
/* The NUL-terminated key of a NIK, or false when it cannot be one. */
bool jk_proj_nik_key (jk_str_t nik, char key[32]);
/* A person's counters as this transaction sees them. */
int jk_proj_person_read (jk_projections_t *self, jk_str_t nik,
                         jk_proj_person_t *row);
/* Changes a person's counters and the kecamatan_summary counts. */
int jk_proj_person_counters (jk_projections_t *self, jk_str_t nik,
                             int enrollments, int units, int competent,
                             int certificates);
/* Adds to a batch's counters (enrolled, withdrawn, sessions, jp_total). */
int jk_proj_batch_counters (jk_projections_t *self, jk_str_t batch,
                            int enrolled, int withdrawn, int sessions,
                            int64_t jp);
/* Recomputes attendance % and eligibility of one enrollment, or of every
   enrollment of the batch when nik.ptr is NULL. */
int jk_proj_enrollment_pct (jk_projections_t *self, jk_str_t batch,
                            jk_str_t nik);
/* Writes the pending attendance hours of deferred mode to the enrollments
   table: at flush, and first thing in every enrolment recomputation that
   is not deferred, so the table is never written out of order. */
int jk_proj_enrollments_flush (jk_projections_t *self);
/* The same for one enrolment only (all of them when batch or nik cannot
   make a key). */
int jk_proj_enrollment_flush (jk_projections_t *self, jk_str_t batch,
                              jk_str_t nik);
/* SQL function jk_pending_jp (object, batch, nik): the pending hours of
   an enrolment (0 when none), the object bound as a pointer of type
   "jk_projections". */
void jk_proj_pending_jp_fn (sqlite3_context *context, int argc,
                            sqlite3_value **argv);
/* HADIR and TERLAMBAT count as present. */
bool jk_proj_present (const char *status);
bool jk_proj_present_str (jk_str_t status);
/* A session's lesson hours; 0 when it is unknown. */
int jk_proj_session_jp (jk_projections_t *self, jk_str_t batch,
                        int64_t session_no, int64_t *jp);
/* Adds jp to an enrollment and recomputes its %; counts the session. */
int jk_proj_attendance_effects (jk_projections_t *self, jk_str_t batch,
                                int64_t session_no, jk_str_t nik,
                                int64_t jp_delta, int recorded, int present);

/* A RAT held by the cooperative with normalised legal number norm at
   pos: its last_rat_year, rat_count and rat_streak (recounted from its
   rat_meetings rows), now or at flush (deferred mode, no model). */
int jk_proj_rat_counters (jk_projections_t *self, const char *norm,
                          int64_t pos);
/* Writes the pending RATs (streak recounted once per cooperative). */
int jk_proj_rats_flush (jk_projections_t *self);
/* Takes the row self->held of a cooperative's registration (key norm)
   into its pending RATs, to be written at flush with them; when RATs
   wait already it stays for apply to write through (after a registration
   held before, which is written now). JK_OK or JK_IO. */
int jk_proj_cooperative_hold (jk_projections_t *self, const char *norm);
/* Writes a cooperative's registration if it is held, with the RATs
   pending for it: before anything else writes or reads its row. */
int jk_proj_cooperative_unhold (jk_projections_t *self, const char *norm);

/* Per-source progress of a record (and the last applied position). */
int jk_proj_progress (jk_projections_t *self, const char *source,
                      int source_len, uint64_t seq, bool accepted,
                      const jk_applied_t *ap);

/* ---- the entity files: steps around the table's writes -------------------
   Each returns JK_OK or JK_IO. A type's before step runs ahead of its
   table rows, its after step behind them. */
typedef int (jk_proj_step_fn) (jk_projections_t *self, const jk_event_t *ev,
                               const jk_applied_t *ap);

jk_proj_step_fn jk_proj_cooperative_registered_after;
jk_proj_step_fn jk_proj_cooperative_status_before;
jk_proj_step_fn jk_proj_cooperative_updated;
jk_proj_step_fn jk_proj_rat_held_after;

jk_proj_step_fn jk_proj_person_registered_after;
jk_proj_step_fn jk_proj_person_corrected;
jk_proj_step_fn jk_proj_session_scheduled_after;
jk_proj_step_fn jk_proj_participant_enrolled_after;
jk_proj_step_fn jk_proj_participant_withdrawn_after;
jk_proj_step_fn jk_proj_attendance_recorded_after;
jk_proj_step_fn jk_proj_attendance_corrected;
jk_proj_step_fn jk_proj_assessment_scheduled_after;
jk_proj_step_fn jk_proj_unit_assessed_after;
jk_proj_step_fn jk_proj_decided_before;
jk_proj_step_fn jk_proj_decided_after;
jk_proj_step_fn jk_proj_certificate_issued_after;
jk_proj_step_fn jk_proj_certificate_revoked;

/* Derive functions of the table (JK_PSRC_DERIVE): bind parameter index
   of st from the event; field and field2 are the resolved body indexes. */
void jk_proj_derive_rat (jk_projections_t *self, jk_pderive_t fn,
                         const jk_event_t *ev, int field, int field2,
                         sqlite3_stmt *st, int index);
int jk_proj_derive_attendance_jp (jk_projections_t *self, const jk_event_t *ev,
                                  int field, sqlite3_stmt *st, int index);
void jk_proj_derive_valid_until (const jk_event_t *ev, int field, int field2,
                                 sqlite3_stmt *st, int index);
void jk_proj_derive_methods (const jk_event_t *ev, int field, sqlite3_stmt *st,
                             int index);

#endif
