/*  rebuild.c - reading a whole log (jk_log.h): chain verification from
    position 1, and rebuilding a fresh database (log rows plus every
    projection) from a log up to a position or a time. jejak-replay and
    the tests call these. */
#include "jk_tiles.h"
#include "jk_projection_table.h"
#include "jk_rebuild.h"
#include "jk_record_apply.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PROGRESS_EVERY 16384
#define S_REBUILD_TXN    100000 /* rows per rebuild transaction */
#define S_CHUNK          256    /* records handed from reader to apply */
#define S_CHUNKS         8      /* chunks in flight */
#define S_COLUMNS        13     /* columns of the log table */

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

/* ---- the reader: log rows read and decoded ahead of the apply ------------
   A thread of its own reads the log in position order on its own
   connection and runs the first half of the one apply path
   (jk_record_prepare: decode, and validation at each record's time) on
   every row; the caller's thread applies them in the same order
   (jk_record_apply_prepared) and writes the tables. The two halves are
   the steps of jk_record_apply_stored, so a rebuild applies exactly what
   the live store and the board's replica apply. */

typedef struct {
    jk_stored_t stored; /* its pointers into buf */
    jk_record_prepared_t prepared;
    int status;                     /* JK_OK, or prepare's failure */
    uint8_t *buf;                   /* bytes, hash, code, message */
    sqlite3_value *cols[S_COLUMNS]; /* the row, when copied row by row */
} s_item_t;

typedef enum { S_FREE = 0, S_FULL } s_state_t;

typedef struct {
    s_state_t state;
    size_t count;
    bool last;     /* nothing follows */
    int status;    /* JK_OK, JK_IO (reading failed) or an item's failure */
    char err[256]; /* for a status other than JK_OK */
    s_item_t item[S_CHUNK];
} s_chunk_t;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool stop; /* the apply gave up: the reader ends */
    s_chunk_t *chunk;
    const char *src_path;
    uint64_t until_pos;
    int64_t until_time;
    bool copy_rows; /* keep each row's columns for a row-by-row copy */
} s_pipe_t;

static void s_item_clear (s_item_t *item)
{
    jk_event_destroy (&item->prepared.event);
    free (item->buf);
    item->buf = NULL;
    for (int i = 0; i < S_COLUMNS; i++) {
        sqlite3_value_free (item->cols[i]);
        item->cols[i] = NULL;
    }
}

/* Copies what the apply needs of the current row into item and prepares
   it. */
static int s_item_fill (s_pipe_t *pipe, s_item_t *item, sqlite3_stmt *row,
                        char *err, size_t err_size)
{
    size_t size = (size_t)sqlite3_column_bytes (row, 11);
    size_t hash_size = (size_t)sqlite3_column_bytes (row, 12);
    const char *code = (const char *)sqlite3_column_text (row, 9);
    const char *message = (const char *)sqlite3_column_text (row, 10);
    size_t code_len = code ? strlen (code) + 1 : 0;
    size_t message_len = message ? strlen (message) + 1 : 0;
    item->buf = jk_malloc (size + hash_size + code_len + message_len + 1);
    uint8_t *at = item->buf;
    if (size)
        memcpy (at, sqlite3_column_blob (row, 11), size);
    item->stored.bytes = at;
    at += size;
    if (hash_size)
        memcpy (at, sqlite3_column_blob (row, 12), hash_size);
    item->stored.hash = hash_size == JK_HASH_SIZE ? at : NULL;
    at += hash_size;
    item->stored.code = code ? memcpy (at, code, code_len) : NULL;
    at += code_len;
    item->stored.message = message ? memcpy (at, message, message_len) : NULL;
    item->stored.pos = (uint64_t)sqlite3_column_int64 (row, 0);
    item->stored.recorded_at = sqlite3_column_int64 (row, 7);
    item->stored.rejected = sqlite3_column_int (row, 8) == JK_LOG_REJECTED;
    item->stored.size = size;
    if (pipe->copy_rows)
        for (int i = 0; i < S_COLUMNS; i++)
            item->cols[i] = sqlite3_value_dup (sqlite3_column_value (row, i));
    return jk_record_prepare (&item->stored, &item->prepared, err, err_size);
}

static void *s_reader (void *arg)
{
    s_pipe_t *pipe = arg;
    char err[256] = "";
    sqlite3_stmt *rows = NULL;
    sqlite3 *src = s_open_readonly (pipe->src_path, err, sizeof err);
    int status = src ? JK_OK : JK_IO;
    if (src &&
        (sqlite3_exec (src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2 (src,
                             "SELECT pos, id, type, v, source, seq, at,"
                             " recorded_at, outcome, code, message, bytes,"
                             " hash FROM log WHERE pos <= ? ORDER BY pos",
                             -1, &rows, NULL) != SQLITE_OK)) {
        snprintf (err, sizeof err, "cannot read the log of %s: %s",
                  pipe->src_path, sqlite3_errmsg (src));
        status = JK_IO;
    }
    if (rows)
        sqlite3_bind_int64 (rows, 1,
                            pipe->until_pos ? (sqlite3_int64)pipe->until_pos
                                            : INT64_MAX);
    bool done = false;
    for (size_t k = 0; !done; k++) {
        s_chunk_t *c = &pipe->chunk[k % S_CHUNKS];
        pthread_mutex_lock (&pipe->lock);
        while (c->state != S_FREE && !pipe->stop)
            pthread_cond_wait (&pipe->changed, &pipe->lock);
        bool stop = pipe->stop;
        pthread_mutex_unlock (&pipe->lock);
        if (stop)
            break;
        c->count = 0;
        c->status = status;
        snprintf (c->err, sizeof c->err, "%s", err);
        done = status != JK_OK;
        while (!done && c->count < S_CHUNK) {
            int rc = sqlite3_step (rows);
            if (rc == SQLITE_ROW) {
                if (pipe->until_time &&
                    sqlite3_column_int64 (rows, 7) > pipe->until_time) {
                    done = true;
                    break;
                }
                s_item_t *item = &c->item[c->count++];
                item->status =
                    s_item_fill (pipe, item, rows, c->err, sizeof c->err);
                if (item->status != JK_OK)
                    done = true;
            } else {
                if (rc != SQLITE_DONE) {
                    c->status = JK_IO;
                    snprintf (c->err, sizeof c->err,
                              "cannot read the log of %s: %s", pipe->src_path,
                              sqlite3_errmsg (src));
                }
                done = true;
            }
        }
        c->last = done;
        pthread_mutex_lock (&pipe->lock);
        c->state = S_FULL;
        pthread_cond_broadcast (&pipe->changed);
        pthread_mutex_unlock (&pipe->lock);
    }
    sqlite3_finalize (rows);
    if (src) {
        sqlite3_exec (src, "COMMIT", NULL, NULL, NULL);
        sqlite3_close (src);
    }
    return NULL;
}

/* ---- indexes built after the load ------------------------------------------
   Indexes of the projection tables that the apply path never reads
   through and that enforce nothing (not UNIQUE) are dropped before the
   apply and created again at the end, each in one sorted pass instead of
   one insertion per row. The ones the apply reads stay. */
static const char *s_index_kept[] = {
    "attendance_event",    /* attendance.corrected finds its row */
    "certificates_holder", /* the holder's unrevoked certificate */
    NULL,
};

/* Drops the indexes of the projection tables that are not UNIQUE (with
   keep_read, not those above either) and returns their CREATE statements
   (heap, ";" separated; "" when none), or NULL on failure. */
static char *s_indexes_drop (sqlite3 *db, bool keep_read)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT name, tbl_name, sql FROM sqlite_master"
                            " WHERE type = 'index' AND sql IS NOT NULL"
                            " AND sql NOT LIKE 'CREATE UNIQUE%'",
                            -1, &st, NULL) != SQLITE_OK)
        return NULL;
    char *create = jk_strdup ("");
    char *drop = jk_strdup ("");
    while (sqlite3_step (st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text (st, 0);
        const char *table = (const char *)sqlite3_column_text (st, 1);
        bool kept = !jk_ptable_find (table);
        for (int i = 0; keep_read && s_index_kept[i] && !kept; i++)
            kept = strcmp (name, s_index_kept[i]) == 0;
        if (kept)
            continue;
        char *more = jk_sprintf ("%s%s;", create, sqlite3_column_text (st, 2));
        free (create);
        create = more;
        char *sql = sqlite3_mprintf ("%sDROP INDEX %w;", drop, name);
        free (drop);
        drop = jk_strdup (sql);
        sqlite3_free (sql);
    }
    sqlite3_finalize (st);
    int rc = sqlite3_exec (db, drop, NULL, NULL, NULL);
    free (drop);
    if (rc != SQLITE_OK) {
        free (create);
        return NULL;
    }
    return create;
}

/* ---- the log copy and the tables written in bulk --------------------------
 */

/* The log copied as stored (INSERT ... SELECT, the whole table in one
   statement) on the output's connection, by a thread of its own while the
   projections are applied to the staging database. */
typedef struct {
    sqlite3 *db;
    int rc;
} s_copy_t;

static void *s_log_copy (void *arg)
{
    s_copy_t *copy = arg;
    copy->rc = sqlite3_exec (copy->db,
                             "INSERT INTO main.log SELECT * FROM jk_source.log",
                             NULL, NULL, NULL);
    return NULL;
}

/* Writes every projection table of the staging database (its connection
   stage) into the output file: each table emptied there and filled in
   one pass in primary-key order, so every page is written once, in
   order. */
static int s_tables_write (sqlite3 *stage, const char *out_path)
{
    char *sql = sqlite3_mprintf ("ATTACH %Q AS jk_out;"
                                 " PRAGMA jk_out.journal_mode = OFF;"
                                 " PRAGMA jk_out.synchronous = OFF;"
                                 " BEGIN",
                                 out_path);
    int rc = sqlite3_exec (stage, sql, NULL, NULL, NULL);
    sqlite3_free (sql);
    for (size_t i = 0; rc == SQLITE_OK && i < jk_ptable_count (); i++) {
        const char *name = jk_ptable_at (i)->name;
        sql = sqlite3_mprintf ("DELETE FROM jk_out.%w;"
                               " INSERT INTO jk_out.%w SELECT * FROM main.%w",
                               name, name, name);
        rc = sqlite3_exec (stage, sql, NULL, NULL, NULL);
        sqlite3_free (sql);
    }
    rc =
        rc == SQLITE_OK ? sqlite3_exec (stage, "COMMIT", NULL, NULL, NULL) : rc;
    if (rc != SQLITE_OK)
        sqlite3_exec (stage, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec (stage, "DETACH jk_out", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Waits for chunk k to be filled by the reader. */
static s_chunk_t *s_chunk_full (s_pipe_t *pipe, size_t k)
{
    s_chunk_t *c = &pipe->chunk[k % S_CHUNKS];
    pthread_mutex_lock (&pipe->lock);
    while (c->state != S_FULL)
        pthread_cond_wait (&pipe->changed, &pipe->lock);
    pthread_mutex_unlock (&pipe->lock);
    return c;
}

/* Hands chunk c back to the reader. */
static void s_chunk_free (s_pipe_t *pipe, s_chunk_t *c)
{
    pthread_mutex_lock (&pipe->lock);
    c->state = S_FREE;
    pthread_cond_broadcast (&pipe->changed);
    pthread_mutex_unlock (&pipe->lock);
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
    sqlite3_stmt *insert = NULL;
    jk_projections_t *projections = NULL;
    jk_log_t *out = NULL;
    sqlite3 *stage = NULL;
    char *indexes = NULL, *staged_indexes = NULL;
    s_pipe_t pipe = {.src_path = src_path,
                     .until_pos = options->until_pos,
                     .until_time = options->until_time};
    pthread_t reader, copier;
    bool reading = false, copying = false;
    s_copy_t copy = {0};
    pthread_mutex_init (&pipe.lock, NULL);
    pthread_cond_init (&pipe.changed, NULL);
    pipe.chunk = jk_calloc (S_CHUNKS, sizeof *pipe.chunk);
    sqlite3 *src = s_open_readonly (src_path, err, err_size);
    if (!src)
        goto cleanup;
    out = jk_log_open (out_path, 0, err, err_size);
    if (!out)
        goto cleanup;
    sqlite3 *db = jk_log_db (out);
    if (jk_projections_migrate (db, err, err_size))
        goto cleanup;
    /* A rebuild that dies half-way is thrown away, so it needs neither a
       journal nor syncs while it loads; the file turns WAL at the end. */
    sqlite3_exec (db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF",
                  NULL, NULL, NULL);
    /* The projections are applied to a private staging database (a
       temporary file SQLite keeps in its cache, 1 GiB, spilling beyond),
       then written to the output table by table in key order. */
    if (sqlite3_open_v2 ("", &stage,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK ||
        sqlite3_exec (stage,
                      "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                      " PRAGMA cache_size = -1048576;"
                      " PRAGMA temp_store = MEMORY;"
                      " PRAGMA secure_delete = OFF",
                      NULL, NULL, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot open a staging database: %s",
                  stage ? sqlite3_errmsg (stage) : "out of memory");
        goto cleanup;
    }
    if (jk_projections_migrate (stage, err, err_size))
        goto cleanup;
    staged_indexes = s_indexes_drop (stage, true);
    indexes = s_indexes_drop (db, false);
    if (!staged_indexes || !indexes)
        goto sql_fail;
    projections =
        jk_projections_new (stage, &options->projections, err, err_size);
    if (!projections)
        goto cleanup;
    /* Counters are written once per rebuild transaction, not per record
       (flushed before each COMMIT; a failed rebuild is thrown away). */
    jk_projections_set_deferred (projections, true);
    if (sqlite3_prepare_v2 (db,
                            "INSERT INTO log (pos, id, type, v, source, seq,"
                            " at, recorded_at, outcome, code, message, bytes,"
                            " hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            -1, &insert, NULL) != SQLITE_OK)
        goto sql_fail;
    uint64_t total = s_max_pos (src);
    bool bulk = s_bulk_attach (db, src_path, options);
    pipe.copy_rows = !bulk;
    if (pthread_create (&reader, NULL, s_reader, &pipe) != 0) {
        snprintf (err, err_size, "cannot start the log reader");
        goto cleanup;
    }
    reading = true;
    if (bulk) {
        copy.db = db;
        if (pthread_create (&copier, NULL, s_log_copy, &copy) != 0) {
            snprintf (err, err_size, "cannot start the log copy");
            goto cleanup;
        }
        copying = true;
    } else if (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto sql_fail;
    if (sqlite3_exec (stage, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        goto stage_fail;
    for (size_t k = 0;; k++) {
        s_chunk_t *c = s_chunk_full (&pipe, k);
        for (size_t i = 0; i < c->count; i++) {
            s_item_t *item = &c->item[i];
            if (item->status != JK_OK) {
                status = item->status;
                snprintf (err, err_size, "%s", c->err);
                goto cleanup;
            }
            /* The row is copied exactly as stored, hash included: a
               rebuilt log verifies only if its source did. */
            for (int col = 0; col < S_COLUMNS && !bulk; col++) {
                int rc_bind =
                    sqlite3_bind_value (insert, col + 1, item->cols[col]);
                assert (rc_bind == SQLITE_OK);
                (void)rc_bind;
            }
            if (!bulk && sqlite3_step (insert) != SQLITE_DONE)
                goto sql_fail;
            sqlite3_reset (insert);
            int applied = jk_record_apply_prepared (
                projections, &item->stored, &item->prepared, err, err_size);
            if (applied != JK_OK) {
                status = applied;
                goto cleanup;
            }
            result->records++;
            if (item->stored.rejected)
                result->rejected++;
            else
                result->accepted++;
            result->head.pos = item->stored.pos;
            if (item->stored.hash)
                memcpy (result->head.hash, item->stored.hash, JK_HASH_SIZE);
            s_item_clear (item);
            if (result->records % S_REBUILD_TXN == 0 &&
                (jk_projections_flush (projections) != JK_OK ||
                 sqlite3_exec (stage, "COMMIT", NULL, NULL, NULL) !=
                     SQLITE_OK ||
                 sqlite3_exec (stage, "BEGIN", NULL, NULL, NULL) != SQLITE_OK))
                goto stage_fail;
            if (options->progress && result->records % S_PROGRESS_EVERY == 0)
                options->progress (options->progress_arg, result->records,
                                   total);
        }
        if (c->status != JK_OK) {
            status = c->status;
            snprintf (err, err_size, "%s", c->err);
            goto cleanup;
        }
        bool last = c->last;
        c->count = 0;
        s_chunk_free (&pipe, c);
        if (last)
            break;
    }
    if (jk_projections_flush (projections) != JK_OK ||
        sqlite3_exec (stage, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto stage_fail;
    if (copying) {
        pthread_join (copier, NULL);
        copying = false;
        if (copy.rc != SQLITE_OK)
            goto sql_fail;
        /* The reader's connection read one snapshot; the copy may have
           seen records appended since (a live log only grows): they are
           cut off at the last position applied. */
        char *cut = sqlite3_mprintf ("DELETE FROM main.log WHERE pos > %lld",
                                     (long long)result->head.pos);
        int rc = sqlite3_exec (db, cut, NULL, NULL, NULL);
        sqlite3_free (cut);
        if (rc != SQLITE_OK)
            goto sql_fail;
        sqlite3_exec (db, "DETACH jk_source", NULL, NULL, NULL);
        bulk = false;
    } else if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto sql_fail;
    if (s_tables_write (stage, out_path))
        goto stage_fail;
    if (sqlite3_exec (db, indexes, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) !=
            SQLITE_OK)
        goto sql_fail;
    if (options->progress)
        options->progress (options->progress_arg, result->records, total);
    status = JK_OK;
    goto cleanup;
stage_fail:
    snprintf (err, err_size, "rebuilding the projections: %s",
              sqlite3_errmsg (stage));
    goto cleanup;
sql_fail:
    snprintf (err, err_size, "writing %s: %s", out_path,
              sqlite3_errmsg (jk_log_db (out)));
cleanup:
    if (reading) {
        pthread_mutex_lock (&pipe.lock);
        pipe.stop = true;
        pthread_cond_broadcast (&pipe.changed);
        pthread_mutex_unlock (&pipe.lock);
        pthread_join (reader, NULL);
    }
    if (copying) {
        sqlite3_interrupt (db);
        pthread_join (copier, NULL);
    }
    for (size_t k = 0; k < S_CHUNKS; k++)
        for (size_t i = 0; i < S_CHUNK; i++)
            s_item_clear (&pipe.chunk[k].item[i]);
    free (pipe.chunk);
    pthread_mutex_destroy (&pipe.lock);
    pthread_cond_destroy (&pipe.changed);
    free (indexes);
    free (staged_indexes);
    sqlite3_finalize (insert);
    sqlite3_close (src);
    if (projections)
        jk_projections_discard (projections);
    jk_projections_destroy (&projections);
    sqlite3_close (stage);
    jk_log_close (&out);
    if (status != JK_OK)
        s_remove_db (out_path);
    return status;
}
