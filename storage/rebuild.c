/*  rebuild.c - reading a whole log (jk_log.h): chain verification from
    position 1, and rebuilding a fresh database (log rows plus every
    projection) from a log up to a position or a time. jejak-replay and
    the tests call these; the store shares jk_log_check with them. */
#include "jk_tiles.h"
#include "jk_rebuild.h"
#include "jk_record_apply.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PROGRESS_EVERY 16384
#define S_REBUILD_TXN    100000 /* rows per rebuild transaction */

int jk_log_check (const uint8_t *bytes, size_t size, int64_t recorded_at,
                  jk_event_t **event, jk_report_t *report)
{
    assert (event && report);
    jk_report_reset (report);
    *event = jk_event_decode (bytes, size, report);
    if (!*event)
        return -1;
    return jk_log_validate (*event, recorded_at, report);
}

int jk_log_validate (const jk_event_t *event, int64_t recorded_at,
                     jk_report_t *report)
{
    jk_report_reset (report);
    jk_context_t context = jk_context_default ();
    context.now_ms = recorded_at;
    return jk_event_validate (event, &context, report) == 0 ? 0 : -1;
}

/* Opens a database read-only; NULL with err. */
static sqlite3 *s_open_readonly (const char *path, char *err, size_t err_size)
{
    sqlite3 *db = NULL;
    struct stat st;
    if (stat (path, &st) != 0) {
        snprintf (err, err_size, "cannot open %s: no such file", path);
        return NULL;
    }
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot open %s: %s", path,
                  db ? sqlite3_errmsg (db) : "out of memory");
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    /* Whole-log walks read every page once: map them instead of copying
       them through the page cache. */
    sqlite3_exec (db, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
    return db;
}

static uint64_t s_max_pos (sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    uint64_t pos = 0;
    if (sqlite3_prepare_v2 (db, "SELECT max(pos) FROM log", -1, &stmt, NULL) ==
            SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW)
        pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return pos;
}

/* Records the first problem found by verify. */
static void s_problem (jk_verify_result_t *result, jk_verify_problem_t problem,
                       uint64_t pos, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void s_problem (jk_verify_result_t *result, jk_verify_problem_t problem,
                       uint64_t pos, const char *format, ...)
{
    result->problem = problem;
    result->bad_pos = pos;
    va_list args;
    va_start (args, format);
    vsnprintf (result->message, sizeof result->message, format, args);
    va_end (args);
}

int jk_log_verify (const char *path, const jk_head_t *kept,
                   jk_verify_result_t *result, jk_progress_fn *progress,
                   void *progress_arg)
{
    assert (path && result);
    memset (result, 0, sizeof *result);
    sqlite3 *db =
        s_open_readonly (path, result->message, sizeof result->message);
    if (!db)
        return JK_IO;
    int status = JK_IO;
    sqlite3_stmt *stmt = NULL;
    jk_chain_t *chain = jk_chain_new ();
    jk_mhash_t *mh = jk_mhash_new ();
    jk_tiles_check_t *tree = NULL;
    /* One read transaction: the whole walk sees one version of the log. */
    if (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (db,
                            "SELECT pos, recorded_at, outcome, code, message,"
                            " bytes, hash FROM log ORDER BY pos",
                            -1, &stmt, NULL) != SQLITE_OK) {
        snprintf (result->message, sizeof result->message,
                  "cannot read the log of %s: %s", path, sqlite3_errmsg (db));
        goto cleanup;
    }
    uint64_t total = s_max_pos (db);
    tree = jk_tiles_check_new (db);
    result->tree_absent = !tree;
    jk_merkle_edge_t edge = {0};
    uint8_t prev[JK_HASH_SIZE] = {0};
    uint64_t expect = 1;
    int64_t last_time = INT64_MIN;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        uint64_t pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
        int64_t recorded_at = sqlite3_column_int64 (stmt, 1);
        int outcome = sqlite3_column_int (stmt, 2);
        const char *code = (const char *)sqlite3_column_text (stmt, 3);
        const char *message = (const char *)sqlite3_column_text (stmt, 4);
        const uint8_t *bytes = sqlite3_column_blob (stmt, 5);
        size_t size = (size_t)sqlite3_column_bytes (stmt, 5);
        const void *stored = sqlite3_column_blob (stmt, 6);
        int stored_size = sqlite3_column_bytes (stmt, 6);
        if (pos != expect) {
            s_problem (result, JK_VERIFY_MISSING, expect,
                       "position %llu is missing (next stored is %llu)",
                       (unsigned long long)expect, (unsigned long long)pos);
            break;
        }
        if (recorded_at < last_time) {
            s_problem (result, JK_VERIFY_TIME, pos,
                       "recorded_at goes back in time at position %llu",
                       (unsigned long long)pos);
            break;
        }
        if ((outcome != JK_LOG_ACCEPTED && outcome != JK_LOG_REJECTED) ||
            (outcome == JK_LOG_ACCEPTED && (code || message))) {
            s_problem (result, JK_VERIFY_HASH, pos,
                       "the decision at position %llu was altered",
                       (unsigned long long)pos);
            break;
        }
        uint8_t hash[JK_HASH_SIZE];
        bool rejected = outcome == JK_LOG_REJECTED;
        jk_chain_step (chain, prev, pos, recorded_at, outcome,
                       rejected ? code : NULL, rejected ? message : NULL, bytes,
                       size, hash);
        if (stored_size != JK_HASH_SIZE ||
            memcmp (stored, hash, JK_HASH_SIZE) != 0) {
            s_problem (result, JK_VERIFY_HASH, pos,
                       "hash mismatch at position %llu: its bytes, time or "
                       "decision, or an earlier record, were changed",
                       (unsigned long long)pos);
            break;
        }
        if (kept && kept->pos == pos &&
            memcmp (kept->hash, hash, JK_HASH_SIZE) != 0) {
            s_problem (result, JK_VERIFY_HEAD, pos,
                       "the log differs from the kept head at position %llu",
                       (unsigned long long)pos);
            break;
        }
        uint8_t leaf[JK_HASH_SIZE];
        jk_mhash_record (mh, pos, recorded_at, outcome, rejected ? code : NULL,
                         rejected ? message : NULL, bytes, size, leaf);
        if (tree) {
            char why[200];
            if (jk_tiles_check_add (tree, leaf, why, sizeof why) != JK_OK) {
                s_problem (result, JK_VERIFY_TREE, pos, "%s", why);
                break;
            }
        } else
            jk_merkle_edge_push (&edge, mh, leaf);
        memcpy (prev, hash, JK_HASH_SIZE);
        last_time = recorded_at;
        result->records++;
        result->head.pos = pos;
        memcpy (result->head.hash, hash, JK_HASH_SIZE);
        expect = pos + 1;
        if (progress && result->records % S_PROGRESS_EVERY == 0)
            progress (progress_arg, result->records, total);
    }
    if (result->problem == JK_VERIFY_OK && rc != SQLITE_DONE) {
        snprintf (result->message, sizeof result->message,
                  "cannot read the log of %s: %s", path, sqlite3_errmsg (db));
        goto cleanup;
    }
    if (result->problem == JK_VERIFY_OK && kept && kept->pos > 0 &&
        kept->pos > result->head.pos)
        s_problem (result, JK_VERIFY_TRUNCATED, result->head.pos + 1,
                   "the log ends at position %llu but the kept head is at "
                   "%llu: it was truncated",
                   (unsigned long long)result->head.pos,
                   (unsigned long long)kept->pos);
    if (result->problem == JK_VERIFY_OK && tree) {
        char why[200];
        if (jk_tiles_check_end (tree, &result->tree_stored, why, sizeof why) !=
            JK_OK)
            s_problem (result, JK_VERIFY_TREE, result->head.pos, "%s", why);
    }
    if (tree)
        jk_tiles_check_root (tree, result->root);
    else
        jk_merkle_edge_root (&edge, mh, result->root);
    if (progress)
        progress (progress_arg, result->records, total);
    status = result->problem == JK_VERIFY_OK ? JK_OK : JK_INVALID;
cleanup:
    jk_tiles_check_destroy (&tree);
    jk_mhash_destroy (&mh);
    sqlite3_finalize (stmt);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (db);
    jk_chain_destroy (&chain);
    return status;
}

/* Removes a database file and its WAL and shm companions. */
static void s_remove_db (const char *path)
{
    char buf[4096];
    unlink (path);
    snprintf (buf, sizeof buf, "%s-wal", path);
    unlink (buf);
    snprintf (buf, sizeof buf, "%s-shm", path);
    unlink (buf);
}

/* The CREATE statement of the log table in schema (main or jk_source), or
   NULL; a heap string. */
static char *s_log_sql (sqlite3 *db, const char *schema)
{
    char *sql = sqlite3_mprintf ("SELECT sql FROM %w.sqlite_master"
                                 " WHERE type = 'table' AND name = 'log'",
                                 schema);
    sqlite3_stmt *stmt = NULL;
    char *text = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0))
        text = jk_strdup ((const char *)sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    sqlite3_free (sql);
    return text;
}

/* Attaches the source as jk_source for a bulk copy of its log when that
   copy is exact: the whole log is wanted and both log tables have the
   same definition, so SQLite's INSERT INTO ... SELECT * transfer copies
   each stored record as it is (no decoding, index entries appended in
   order), several times faster than one INSERT per row. Returns whether
   it is attached. */
static bool s_bulk_attach (sqlite3 *db, const char *src_path,
                           const jk_rebuild_options_t *options)
{
    if (options->until_pos || options->until_time)
        return false;
    char *sql = sqlite3_mprintf ("ATTACH %Q AS jk_source", src_path);
    int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    sqlite3_free (sql);
    if (rc != SQLITE_OK)
        return false;
    char *ours = s_log_sql (db, "main"), *theirs = s_log_sql (db, "jk_source");
    bool same = ours && theirs && strcmp (ours, theirs) == 0;
    free (ours);
    free (theirs);
    if (!same)
        sqlite3_exec (db, "DETACH jk_source", NULL, NULL, NULL);
    return same;
}

/* Applies one copied row to the projections as the live store did: the
   same path as the board's replica (jk_record_apply_stored). */
static int s_apply_row (jk_projections_t *projections, sqlite3_stmt *row,
                        char *err, size_t err_size)
{
    jk_stored_t stored = {
        .pos = (uint64_t)sqlite3_column_int64 (row, 0),
        .recorded_at = sqlite3_column_int64 (row, 7),
        .hash = sqlite3_column_blob (row, 12),
        .rejected = sqlite3_column_int (row, 8) == JK_LOG_REJECTED,
        .code = (const char *)sqlite3_column_text (row, 9),
        .message = (const char *)sqlite3_column_text (row, 10),
        .bytes = sqlite3_column_blob (row, 11),
        .size = (size_t)sqlite3_column_bytes (row, 11)};
    return jk_record_apply_stored (projections, &stored, err, err_size);
}

int jk_log_rebuild (const char *src_path, const char *out_path,
                    const jk_rebuild_options_t *options,
                    jk_rebuild_result_t *result, char *err, size_t err_size)
{
    assert (src_path && out_path && result);
    jk_rebuild_options_t defaults = {0};
    if (!options)
        options = &defaults;
    memset (result, 0, sizeof *result);
    struct stat st;
    if (stat (out_path, &st) == 0) {
        snprintf (err, err_size, "%s exists: rebuild writes a fresh file",
                  out_path);
        return JK_CONFLICT;
    }
    int status = JK_IO;
    sqlite3_stmt *rows = NULL, *insert = NULL;
    jk_projections_t *projections = NULL;
    jk_log_t *out = NULL;
    sqlite3 *src = s_open_readonly (src_path, err, err_size);
    if (!src)
        return JK_IO;
    out = jk_log_open (out_path, 0, err, err_size);
    if (!out)
        goto cleanup;
    sqlite3 *db = jk_log_db (out);
    if (jk_projections_migrate (db, err, err_size))
        goto cleanup;
    /* A rebuild that dies half-way is thrown away, so it needs neither a
       journal nor syncs while it loads; the file turns WAL at the end. */
    sqlite3_exec (db,
                  "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                  " PRAGMA cache_size = -262144",
                  NULL, NULL, NULL);
    projections = jk_projections_new (db, &options->projections, err, err_size);
    if (!projections)
        goto cleanup;
    /* Counters are written once per rebuild transaction, not per record
       (flushed before each COMMIT; a failed rebuild is thrown away). */
    jk_projections_set_deferred (projections, true);
    if (sqlite3_exec (src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (src,
                            "SELECT pos, id, type, v, source, seq, at,"
                            " recorded_at, outcome, code, message, bytes,"
                            " hash FROM log WHERE pos <= ? ORDER BY pos",
                            -1, &rows, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot read the log of %s: %s", src_path,
                  sqlite3_errmsg (src));
        goto cleanup;
    }
    if (sqlite3_prepare_v2 (db,
                            "INSERT INTO log (pos, id, type, v, source, seq,"
                            " at, recorded_at, outcome, code, message, bytes,"
                            " hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            -1, &insert, NULL) != SQLITE_OK)
        goto sql_fail;
    uint64_t total = s_max_pos (src);
    bool bulk = s_bulk_attach (db, src_path, options);
    sqlite3_bind_int64 (rows, 1,
                        options->until_pos ? (sqlite3_int64)options->until_pos
                                           : INT64_MAX);
    if (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto sql_fail;
    int rc;
    while ((rc = sqlite3_step (rows)) == SQLITE_ROW) {
        if (options->until_time &&
            sqlite3_column_int64 (rows, 7) > options->until_time)
            break;
        /* The row is copied exactly as stored, hash included: a rebuilt
           log verifies only if its source did. */
        for (int i = 0; i < 13 && !bulk; i++) {
            int rc_bind = sqlite3_bind_value (insert, i + 1,
                                              sqlite3_column_value (rows, i));
            assert (rc_bind == SQLITE_OK);
            (void)rc_bind;
        }
        if (!bulk && sqlite3_step (insert) != SQLITE_DONE)
            goto sql_fail;
        sqlite3_reset (insert);
        int applied = s_apply_row (projections, rows, err, err_size);
        if (applied != JK_OK) {
            status = applied;
            goto cleanup;
        }
        result->records++;
        if (sqlite3_column_int (rows, 8) == JK_LOG_REJECTED)
            result->rejected++;
        else
            result->accepted++;
        result->head.pos = (uint64_t)sqlite3_column_int64 (rows, 0);
        if (sqlite3_column_bytes (rows, 12) == JK_HASH_SIZE)
            memcpy (result->head.hash, sqlite3_column_blob (rows, 12),
                    JK_HASH_SIZE);
        if (result->records % S_REBUILD_TXN == 0 &&
            (jk_projections_flush (projections) != JK_OK ||
             sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
             sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK))
            goto sql_fail;
        if (options->progress && result->records % S_PROGRESS_EVERY == 0)
            options->progress (options->progress_arg, result->records, total);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf (err, err_size, "cannot read the log of %s: %s", src_path,
                  sqlite3_errmsg (src));
        goto cleanup;
    }
    if (bulk) {
        /* The source's connection for the projections read one snapshot;
           this copy may see records appended since (a live log only
           grows): they are cut off at the last position applied. */
        char *copy = sqlite3_mprintf ("INSERT INTO main.log SELECT * FROM"
                                      " jk_source.log;"
                                      "DELETE FROM main.log WHERE pos > %lld",
                                      (long long)result->head.pos);
        rc = sqlite3_exec (db, copy, NULL, NULL, NULL);
        sqlite3_free (copy);
        if (rc != SQLITE_OK)
            goto sql_fail;
    }
    if (jk_projections_flush (projections) != JK_OK ||
        sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto sql_fail;
    if (bulk) {
        sqlite3_exec (db, "DETACH jk_source", NULL, NULL, NULL);
        bulk = false;
    }
    if (sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) !=
        SQLITE_OK)
        goto sql_fail;
    if (options->progress)
        options->progress (options->progress_arg, result->records, total);
    status = JK_OK;
    goto cleanup;
sql_fail:
    snprintf (err, err_size, "writing %s: %s", out_path,
              sqlite3_errmsg (jk_log_db (out)));
cleanup:
    sqlite3_finalize (rows);
    sqlite3_finalize (insert);
    sqlite3_exec (src, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (src);
    if (projections)
        jk_projections_discard (projections);
    jk_projections_destroy (&projections);
    jk_log_close (&out);
    if (status != JK_OK)
        s_remove_db (out_path);
    return status;
}
