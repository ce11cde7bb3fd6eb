/*  projections_internal.h - shared by the projection files only
    (projections.c applies, rules.c decides, dump.c and snapshot.c read):
    the object with its prepared statements, and small SQLite helpers. */
#ifndef JK_PROJECTIONS_INTERNAL_H
#define JK_PROJECTIONS_INTERNAL_H

#include "jk_projections.h"

#include <czmq.h>

/* Every prepared statement, made once in jk_projections_new. The SQL text
   of each is in projections.c, in this order. */
typedef enum {
    /* reads (decide and apply) */
    Q_COOPERATIVE,
    Q_RAT,
    Q_RAT_YEARS,
    Q_PERSON,
    Q_BATCH,
    Q_SESSION,
    Q_ENROLLMENT,
    Q_ATTENDANCE,
    Q_ATTENDANCE_BY_ID,
    Q_ASSESSMENT,
    Q_UNIT,
    Q_ASSESSOR,
    Q_UNIT_NOT_K,
    Q_RESULT,
    Q_CERTIFICATE,
    Q_CERTIFICATE_FOR,
    /* writes (apply) */
    W_META_POS,
    W_SOURCE,
    W_SOURCE_FLUSH,
    W_KECAMATAN,
    W_PERSON_COUNTERS,
    W_COOPERATIVE_INSERT,
    W_COOPERATIVE_UPDATE,
    W_COOPERATIVE_RAT,
    W_COOPERATIVE_STATUS,
    W_STATUS_INSERT,
    W_RAT_INSERT,
    W_PERSON_INSERT,
    W_PERSON_UPDATE,
    W_BATCH_INSERT,
    W_BATCH_COUNTERS,
    W_BATCH_CLOSE,
    W_SESSION_INSERT,
    W_SESSION_COUNTERS,
    W_ENROLLMENT_UPSERT,
    W_ENROLLMENT_WITHDRAW,
    W_ENROLLMENT_PCT_ONE,
    W_ENROLLMENT_PCT_BATCH,
    W_ENROLLMENT_TERMS_ONE,
    W_ENROLLMENT_TERMS_BATCH,
    W_ATTENDANCE_INSERT,
    W_ATTENDANCE_CORRECT,
    W_ASSESSMENT_INSERT,
    W_UNIT_INSERT,
    W_ASSESSOR_INSERT,
    W_UNIT_RESULT_UPSERT,
    W_RESULT_UPSERT,
    W_CERTIFICATE_INSERT,
    W_CERTIFICATE_REVOKE,
    W_REJECTION_INSERT,
    W_QUALITY_INSERT,
    STMT_COUNT
} jk_stmt_id_t;

struct _jk_projections_t {
    sqlite3 *db; /* borrowed; the store owns it */
    jk_projections_config_t config;
    const jk_region_t *region; /* reference data (kecamatan of a desa) */
    sqlite3_stmt *stmt[STMT_COUNT];
    /* What decide read for the event it accepted last, reused by apply
       when the same event follows (the store's path; rebuild reads). */
    bool memo_set;
    uint8_t memo_id[16]; /* that event's id */
    int64_t memo_jp;     /* attendance.recorded: the session's jp */
    /* Write-behind counters (jk_projections_set_deferred): additive
       deltas that nothing reads inside the writer's transaction, kept in
       memory and written once per transaction by jk_projections_flush.
       Each statement they replace ran once per event (sources on every
       record); per transaction there is one per distinct key. */
    bool deferred;               /* counters wait for flush */
    zhashx_t *pending_sources;   /* source -> s_source_delta_t */
    zhashx_t *pending_kecamatan; /* kecamatan code -> s_kecamatan_delta_t */
    zhashx_t *pending_sessions;  /* "batch\nsession_no" -> s_session_delta_t */
    zhashx_t *pending_people;    /* nik -> s_person_delta_t */
    /* Read caches of deferred mode: what apply looks up again and again
       and what changes only through apply itself. Valid across commits
       (kept in step by the apply that changes them), dropped by
       jk_projections_discard with the rolled-back transaction that may
       have filled them. */
    zhashx_t *batch_terms; /* batch -> s_batch_terms_t */
    zhashx_t *session_jp;  /* "batch\nsession_no" -> s_session_jp_t */
    /* Cooperatives known to exist: normalised legal number -> int64_t
       registered_pos. Rows are never deleted and neither the key nor
       registered_pos ever changes, so an entry read once stays true;
       decide (rules.c) fills it from SQLite in deferred mode. */
    zhashx_t *cooperatives;
};

/* The decide (rules.c) and apply (projections.c) tables hold one entry per
   vocabulary type, in vocabulary order, so events dispatch by
   jk_vocabulary_index. These check that at start-up: 0, or -1 naming the
   first type without an entry in err. */
int jk_proj_rules_check (char *err, size_t err_size);
int jk_proj_apply_check (char *err, size_t err_size);

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

#endif
