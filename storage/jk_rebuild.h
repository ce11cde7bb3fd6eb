/*  jk_rebuild.h - a fresh database from a log: the log rows as stored and
    every projection rebuilt by applying them in position order, through
    the same path as the board's replica (jk_record_apply.h). jejak-replay,
    the benchmarks and the tests call it. */
#ifndef JK_REBUILD_H
#define JK_REBUILD_H

#include "jk_log.h"
#include "jk_projections.h"

/* ---- rebuild --------------------------------------------------------------
 */
typedef struct {
    uint64_t until_pos; /* copy records with pos <= this; 0 = all */
    int64_t until_time; /* ... with recorded_at <= this (ms);
                           0 = all */
    jk_projections_config_t projections; /* rules for the rebuilt tables */
    jk_progress_fn *progress;            /* or NULL */
    void *progress_arg;
} jk_rebuild_options_t;

typedef struct {
    uint64_t records;      /* rows copied */
    uint64_t accepted;     /* of which accepted */
    uint64_t rejected;     /* of which rejections */
    jk_head_t head;        /* last copied position and hash */
    uint64_t scanned;      /* rows the projections' statements stepped
                              through in full-table scans while applying
                              (SQLite's SQLITE_STMTSTATUS_FULLSCAN_STEP):
                              0 when every read and update finds its rows by
                              a key or an index; more makes a rebuild's time
                              grow with the square of the log */
    uint64_t pages_copied; /* pages of the source the log's page copy
                              wrote (0: the rows were copied one by one,
                              as in a cut rebuild) */
    /* Wall time of the phases, in ms: the apply (from the start, the
       files' opening included, to the last record applied), the log's
       page copy (on its own thread, beside the apply), writing the
       projection tables into the output, and the indexes built after
       them (with the switch to WAL). */
    int64_t apply_ms, copy_ms, tables_ms, indexes_ms;
} jk_rebuild_result_t;

/* Writes a fresh database at out_path (which must not exist: JK_CONFLICT)
   holding the log rows of src_path (opened read-only) up to the limits,
   and no further than the source's last record when the call began (a
   log that grows meanwhile is read as it stood), as stored, and every
   projection rebuilt by applying them in position order: stored bytes
   re-decoded (older versions upcast), warnings recomputed with the clock at
   each record's recorded_at, rejections applied with their stored code and
   message; with the process's region (jk_region_default) and the options'
   projections rules, which the output records (jk_log_settings_t). Returns
   JK_OK, JK_CONFLICT, JK_INVALID (a stored accepted event no longer decodes or
   validates: the message names its pos) or JK_IO, with the reason in err. On
   failure out_path is removed. */
int jk_log_rebuild (const char *src_path, const char *out_path,
                    const jk_rebuild_options_t *options,
                    jk_rebuild_result_t *result, char *err, size_t err_size);

/* One step of jk_log_rebuild, declared for its tests: drops from db the
   UNIQUE indexes that only one event type reads through (attendance_event,
   for attendance.corrected), which rebuild builds when that type first
   comes and after the load. Their CREATE statements are appended to
   *create (";" separated) when create is not NULL, and kept one by one
   in sql (heap strings, the caller frees them) when sql is not NULL.
   Returns 0, or -1 with the reason in err: "the projections have no
   index NAME (rebuild builds it after the load, for TYPE)", "dropping
   the index NAME: " or "reading the index NAME: " and SQLite's message. */
int jk_rebuild_indexes_late (sqlite3 *db, char **create, char **sql, char *err,
                             size_t err_size);

#endif
