/* Whole at ~1,190 lines: the whole-log readers, verify and rebuild. */
/*  rebuild.c - reading a whole log (jk_log.h): chain verification from
    position 1, and rebuilding a fresh database (log rows plus every
    projection) from a log up to a position or a time. jejak-replay and
    the tests call these. */
#include "jk_dbkind.h"
#include "jk_tiles.h"
#include "jk_integrity.h"
#include "jk_projection_table.h"
#include "jk_rebuild.h"
#include "jk_record_apply.h"
#include "jk_vfs.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
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
#define S_COPY_STEP      16384  /* pages per step of the log's copy */

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

/* A log row as the verify walk reads it. */
typedef struct {
    uint64_t pos;
    int64_t recorded_at;
    int outcome;
    const char *code, *message;
    const uint8_t *bytes;
    size_t size;
    const void *stored; /* its stored hash */
    int stored_size;
} s_row_t;

/* Checks one row of the walk (the position expected next, time going
   forward, a decision that is one of the two, the chain hash after prev,
   the kept head) and puts its chain hash in hash; false with the problem
   recorded in result. */
static bool s_verify_row (jk_verify_result_t *result, const jk_head_t *kept,
                          jk_chain_t *chain, const uint8_t *prev,
                          uint64_t expect, int64_t last_time,
                          const s_row_t *row, uint8_t *hash)
{
    uint64_t pos = row->pos;
    if (pos != expect) {
        s_problem (result, JK_VERIFY_MISSING, expect,
                   "position %llu is missing (next stored is %llu)",
                   (unsigned long long)expect, (unsigned long long)pos);
        return false;
    }
    if (row->recorded_at < last_time) {
        s_problem (result, JK_VERIFY_TIME, pos,
                   "recorded_at goes back in time at position %llu",
                   (unsigned long long)pos);
        return false;
    }
    if ((row->outcome != JK_LOG_ACCEPTED && row->outcome != JK_LOG_REJECTED) ||
        (row->outcome == JK_LOG_ACCEPTED && (row->code || row->message))) {
        s_problem (result, JK_VERIFY_HASH, pos,
                   "the decision at position %llu was altered",
                   (unsigned long long)pos);
        return false;
    }
    bool rejected = row->outcome == JK_LOG_REJECTED;
    jk_chain_step (chain, prev, pos, row->recorded_at, row->outcome,
                   rejected ? row->code : NULL, rejected ? row->message : NULL,
                   row->bytes, row->size, hash);
    if (row->stored_size != JK_HASH_SIZE ||
        memcmp (row->stored, hash, JK_HASH_SIZE) != 0) {
        s_problem (result, JK_VERIFY_HASH, pos,
                   "hash mismatch at position %llu: its bytes, time or "
                   "decision, or an earlier record, were changed",
                   (unsigned long long)pos);
        return false;
    }
    if (kept && kept->pos == pos &&
        memcmp (kept->hash, hash, JK_HASH_SIZE) != 0) {
        s_problem (result, JK_VERIFY_HEAD, pos,
                   "the log differs from the kept head at position %llu",
                   (unsigned long long)pos);
        return false;
    }
    return true;
}

/* Text a column or an envelope holds, quoted for a message a person
   reads on a terminal: cut to 47 bytes on a character boundary, control
   characters escaped (C0 and DEL by jk_text_clean: \n, \t, \r, \xNN;
   C1 by jk_text_visible: \x80..\x9f) and a byte that is not UTF-8 as
   '?', so that a crafted log cannot act on the auditor's terminal. */
static void s_quoted (const char *text, char *out, size_t size)
{
    char cut[48];
    snprintf (cut, sizeof cut, "%.*s", (int)sizeof cut - 1, text);
    jk_text_clean (cut, sizeof cut); /* C0 and bytes not UTF-8 */
    char *visible = jk_text_visible (cut, strlen (cut)); /* C1 */
    snprintf (out, size, "'%s'", visible);
    free (visible);
}

/* One value of a row shown for a message: a 16-byte id as a UUID,
   text quoted (s_quoted), numbers in decimal. */
static void s_shown (sqlite3_stmt *stmt, int col, char *out, size_t size)
{
    switch (sqlite3_column_type (stmt, col)) {
        case SQLITE_INTEGER:
            snprintf (out, size, "%lld", sqlite3_column_int64 (stmt, col));
            return;
        case SQLITE_NULL:
            snprintf (out, size, "NULL");
            return;
        case SQLITE_BLOB:
            if (sqlite3_column_bytes (stmt, col) == 16) {
                char uuid[37];
                jk_uuid_format (sqlite3_column_blob (stmt, col), uuid);
                snprintf (out, size, "%s", uuid);
            } else
                snprintf (out, size, "a blob of %d bytes",
                          sqlite3_column_bytes (stmt, col));
            return;
        default:
            s_quoted ((const char *)sqlite3_column_text (stmt, col), out, size);
            return;
    }
}

/* Whether column col of stmt holds exactly this integer (an INTEGER,
   not text or a real that converts to it). */
static bool s_same_int (sqlite3_stmt *stmt, int col, int64_t value)
{
    return sqlite3_column_type (stmt, col) == SQLITE_INTEGER &&
           sqlite3_column_int64 (stmt, col) == value;
}

/* Whether column col of stmt holds exactly these bytes, as type. */
static bool s_same_bytes (sqlite3_stmt *stmt, int col, int type,
                          const void *data, size_t size)
{
    if (sqlite3_column_type (stmt, col) != type)
        return false;
    const void *held = type == SQLITE_TEXT
                           ? (const void *)sqlite3_column_text (stmt, col)
                           : sqlite3_column_blob (stmt, col);
    return (size_t)sqlite3_column_bytes (stmt, col) == size &&
           (size == 0 || memcmp (held, data, size) == 0);
}

/* The columns the log table copies out of a record's bytes (its
   envelope: id, type, v, source, seq, at, from column first of stmt on)
   stand outside the chain: each must hold what the hashed bytes hold,
   read as the store read them (jk_envelope_peek). False with the
   differing columns named in result. */
static bool s_verify_columns (jk_verify_result_t *result, sqlite3_stmt *stmt,
                              int first, const s_row_t *row)
{
    static const char *names[] = {"id", "type", "v", "source", "seq", "at"};
    jk_envelope_t envelope;
    jk_envelope_peek (row->bytes, row->size, &envelope);
    bool same[6] = {s_same_bytes (stmt, first, SQLITE_BLOB, envelope.id, 16),
                    s_same_bytes (stmt, first + 1, SQLITE_TEXT, envelope.type,
                                  strlen (envelope.type)),
                    s_same_int (stmt, first + 2, envelope.version),
                    s_same_bytes (stmt, first + 3, SQLITE_TEXT, envelope.source,
                                  strlen (envelope.source)),
                    s_same_int (stmt, first + 4, (int64_t)envelope.seq),
                    s_same_int (stmt, first + 5, envelope.at)};
    int bad = 0;
    while (bad < 6 && same[bad])
        bad++;
    if (bad == 6)
        return true;
    /* 47 bytes quoted, each C1 character (2 bytes) written in 4 */
    char said[200], holds[200], also[64] = "";
    s_shown (stmt, first + bad, said, sizeof said);
    switch (bad) {
        case 0:
            jk_uuid_format (envelope.id, holds);
            break;
        case 1:
        case 3:
            s_quoted (bad == 1 ? envelope.type : envelope.source, holds,
                      sizeof holds);
            break;
        case 2:
            snprintf (holds, sizeof holds, "%u", envelope.version);
            break;
        case 4:
            snprintf (holds, sizeof holds, "%llu",
                      (unsigned long long)envelope.seq);
            break;
        default:
            snprintf (holds, sizeof holds, "%lld", (long long)envelope.at);
            break;
    }
    for (int i = bad + 1; i < 6; i++)
        if (!same[i]) {
            size_t used = strlen (also);
            snprintf (also + used, sizeof also - used, "%s%s",
                      used ? ", " : " (also ", names[i]);
        }
    if (also[0])
        strcat (also, ")");
    s_problem (result, JK_VERIFY_COLUMN, row->pos,
               "the %s column at position %llu says %s but its hashed "
               "event says %s%s",
               names[bad], (unsigned long long)row->pos, said, holds, also);
    return false;
}

/* Hashes a verified row into the tree: checked against the stored tiles
   (a problem there is the tree's, and the chain's walk goes on), or
   pushed on the edge when the file has none. */
static void s_verify_leaf (jk_mhash_t *mh, jk_tiles_check_t *tree,
                           jk_merkle_edge_t *edge, const s_row_t *row)
{
    bool rejected = row->outcome == JK_LOG_REJECTED;
    uint8_t leaf[JK_HASH_SIZE];
    jk_mhash_record (mh, row->pos, row->recorded_at, row->outcome,
                     rejected ? row->code : NULL,
                     rejected ? row->message : NULL, row->bytes, row->size,
                     leaf);
    if (tree)
        jk_tiles_check_add (tree, leaf);
    else
        jk_merkle_edge_push (edge, mh, leaf);
}

/* The checks at the end of a walk (a log shorter than the kept head, the
   stored tree's last tiles), the stored tree's verdict apart from the
   chain's (the tree's problem is the result's when the chain holds), and
   the tree's root: from the stored tiles, or computed from the leaves. */
static void s_verify_end (jk_verify_result_t *result, const jk_head_t *kept,
                          jk_tiles_check_t *tree, jk_merkle_edge_t *edge,
                          jk_mhash_t *mh)
{
    if (result->problem == JK_VERIFY_OK && kept && kept->pos > 0 &&
        kept->pos > result->head.pos)
        s_problem (result, JK_VERIFY_TRUNCATED, result->head.pos + 1,
                   "the log ends at position %llu but the kept head is at "
                   "%llu: it was truncated",
                   (unsigned long long)result->head.pos,
                   (unsigned long long)kept->pos);
    if (!tree) {
        jk_merkle_edge_root (edge, mh, result->root);
        return;
    }
    if (result->problem == JK_VERIFY_OK)
        jk_tiles_check_end (tree, &result->tree_stored);
    jk_tiles_problem_t found;
    if (jk_tiles_check_problem (tree, &found) != JK_OK) {
        result->tree_bad_pos = found.pos;
        snprintf (result->tree_where, sizeof result->tree_where, "%s",
                  found.where);
        snprintf (result->tree_message, sizeof result->tree_message, "%s",
                  found.message);
        if (result->problem == JK_VERIFY_OK)
            s_problem (result, JK_VERIFY_TREE, found.pos, "%s", found.message);
    }
    jk_tiles_check_root (tree, result->root);
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
                            " bytes, hash, id, type, v, source, seq, at"
                            " FROM log ORDER BY pos",
                            -1, &stmt, NULL) != SQLITE_OK) {
        snprintf (result->message, sizeof result->message,
                  "cannot read the log of %s: %s", path, sqlite3_errmsg (db));
        goto cleanup;
    }
    static const uint8_t zero[JK_HASH_SIZE];
    if (kept && kept->pos == 0 && memcmp (kept->hash, zero, JK_HASH_SIZE)) {
        /* Position 0 is the empty log's, and its hash is hash_0. */
        s_problem (result, JK_VERIFY_HEAD, 0,
                   "the kept head is at position 0 with a hash other than "
                   "32 zero bytes, the hash of position 0 in every log");
        status = JK_INVALID;
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
        s_row_t row = {.pos = (uint64_t)sqlite3_column_int64 (stmt, 0),
                       .recorded_at = sqlite3_column_int64 (stmt, 1),
                       .outcome = sqlite3_column_int (stmt, 2),
                       .code = (const char *)sqlite3_column_text (stmt, 3),
                       .message = (const char *)sqlite3_column_text (stmt, 4),
                       .bytes = sqlite3_column_blob (stmt, 5),
                       .size = (size_t)sqlite3_column_bytes (stmt, 5),
                       .stored = sqlite3_column_blob (stmt, 6),
                       .stored_size = sqlite3_column_bytes (stmt, 6)};
        uint8_t hash[JK_HASH_SIZE];
        if (!s_verify_row (result, kept, chain, prev, expect, last_time, &row,
                           hash) ||
            !s_verify_columns (result, stmt, 7, &row))
            break;
        uint64_t pos = row.pos;
        s_verify_leaf (mh, tree, &edge, &row);
        memcpy (prev, hash, JK_HASH_SIZE);
        last_time = row.recorded_at;
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
    s_verify_end (result, kept, tree, &edge, mh);
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

/* PRAGMA schema.user_version (the log's migrations), -1 if unread. */
static int s_user_version (sqlite3 *db, const char *schema)
{
    char *sql = sqlite3_mprintf ("PRAGMA %w.user_version", schema);
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_free (sql);
    return version;
}

/* Whether the source's log can be copied into the output page by page
   (s_log_copy): the whole log is wanted, and the source's log table has
   the definition and the migrations of the one this program writes (db,
   a fresh log). */
static bool s_bulk_possible (sqlite3 *db, const char *src_path,
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
    bool same = ours && theirs && strcmp (ours, theirs) == 0 &&
                s_user_version (db, "main") == s_user_version (db, "jk_source");
    free (ours);
    free (theirs);
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
    size_t cap;                     /* buf's size, kept from row to row */
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
    uint64_t last; /* the source's last position when the rebuild began */
    uint64_t until_pos;
    int64_t until_time;
    bool copy_rows; /* keep each row's columns for a row-by-row copy */
} s_pipe_t;

/* Lets go of what the item held when it was applied last (its buffer
   stays for the next row). */
static void s_item_clear (s_item_t *item)
{
    jk_event_destroy (&item->prepared.event);
    for (int i = 0; i < S_COLUMNS; i++) {
        sqlite3_value_free (item->cols[i]);
        item->cols[i] = NULL;
    }
}

/* Copies what the apply needs of the current row into item and prepares
   it, an accepted record's event decoded into slab. */
static int s_item_fill (s_pipe_t *pipe, jk_event_slab_t *slab, s_item_t *item,
                        sqlite3_stmt *row, char *err, size_t err_size)
{
    size_t size = (size_t)sqlite3_column_bytes (row, 11);
    size_t hash_size = (size_t)sqlite3_column_bytes (row, 12);
    const char *code = (const char *)sqlite3_column_text (row, 9);
    const char *message = (const char *)sqlite3_column_text (row, 10);
    size_t code_len = code ? strlen (code) + 1 : 0;
    size_t message_len = message ? strlen (message) + 1 : 0;
    size_t need = size + hash_size + code_len + message_len + 1;
    if (need > item->cap) {
        free (item->buf);
        item->cap = need < 1024 ? 1024 : need;
        item->buf = jk_malloc (item->cap);
    }
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
    return jk_record_prepare_in (slab, &item->stored, &item->prepared, err,
                                 err_size);
}

static void *s_reader (void *arg)
{
    s_pipe_t *pipe = arg;
    jk_thread_enter ("jejak-rb-read");
    char err[256] = "";
    sqlite3_stmt *rows = NULL;
    sqlite3 *src = s_open_readonly (pipe->src_path, err, sizeof err);
    int status = src ? JK_OK : JK_IO;
    if (src &&
        (sqlite3_exec (src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2 (src,
                             /* The columns in the log's order; those the
                                apply does not read are NULL unless the
                                row is copied from here. */
                             pipe->copy_rows
                                 ? "SELECT pos, id, type, v, source, seq, at,"
                                   " recorded_at, outcome, code, message,"
                                   " bytes, hash FROM log WHERE pos <= ?"
                                   " ORDER BY pos"
                                 : "SELECT pos, NULL, NULL, NULL, NULL, NULL,"
                                   " NULL, recorded_at, outcome, code, message,"
                                   " bytes, hash FROM log WHERE pos <= ?"
                                   " ORDER BY pos",
                             -1, &rows, NULL) != SQLITE_OK)) {
        snprintf (err, sizeof err, "cannot read the log of %s: %s",
                  pipe->src_path, sqlite3_errmsg (src));
        status = JK_IO;
    }
    /* Up to the position the rebuild began at, not to the end of this
       connection's snapshot: a live log may have grown since, and the
       log's copy is cut at the same place. */
    if (rows)
        sqlite3_bind_int64 (
            rows, 1,
            (sqlite3_int64)(pipe->until_pos ? pipe->until_pos : pipe->last));
    /* The events of a chunk are decoded into one slab, freed (into the
       pool, for the next chunk) as the chunk is filled again: one
       allocation per chunk instead of one per event. */
    jk_event_slabs_t *slabs = jk_event_slabs_new (S_CHUNK, S_CHUNKS);
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
        /* What the chunk held when it was applied last is let go here, by
           the thread that allocated it. */
        for (size_t i = 0; i < S_CHUNK; i++)
            s_item_clear (&c->item[i]);
        jk_event_slab_t *slab = jk_event_slabs_take (slabs, S_CHUNK);
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
                    s_item_fill (pipe, slab, item, rows, c->err, sizeof c->err);
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
        jk_event_slab_release (&slab);
        c->last = done;
        pthread_mutex_lock (&pipe->lock);
        c->state = S_FULL;
        pthread_cond_broadcast (&pipe->changed);
        pthread_mutex_unlock (&pipe->lock);
    }
    jk_event_slabs_destroy (&slabs);
    sqlite3_finalize (rows);
    if (src) {
        sqlite3_exec (src, "COMMIT", NULL, NULL, NULL);
        sqlite3_close (src);
    }
    return NULL;
}

/* ---- indexes built after the load ------------------------------------------
   Indexes of the projection tables that enforce nothing (not UNIQUE) are
   dropped before the apply and created again at the end, each in one
   sorted pass instead of one insertion per row. The ones the apply's
   statements find rows through stay (jk_rebuild_result_t.scanned counts
   the rows a dropped one would cost: a full scan per statement). */
static const char *s_index_kept[] = {
    "data_quality_person",      /* a correction resolves a person's */
    "data_quality_cooperative", /* ... or a cooperative's open warnings */
    NULL,
};

/* UNIQUE indexes that only one event type reads through: dropped from
   both databases before the load, built in the staging database when a
   record of that type is first applied (a log without one never pays for
   them) and in the output after the load. Their uniqueness is then
   checked once, by the CREATE at the end. */
static const struct {
    const char *index;
    const char *type; /* the event type whose apply reads through it */
} s_index_late[] = {
    {"attendance_event", "attendance.corrected"},
};
#define S_LATE (sizeof s_index_late / sizeof s_index_late[0])

/* Drops the indexes of s_index_late from db; their CREATE statements are
   appended to *create (";" separated) when create is not NULL, or kept in
   sql when that is not NULL. 0, or -1 with the reason in err: an index
   the projections' schema does not have, or SQLite's refusal to drop
   it. */
int jk_rebuild_indexes_late (sqlite3 *db, char **create, char **sql, char *err,
                             size_t err_size)
{
    for (size_t i = 0; i < S_LATE; i++) {
        const char *name = s_index_late[i].index;
        sqlite3_stmt *st = NULL;
        char *text = NULL;
        int rc = sqlite3_prepare_v2 (db,
                                     "SELECT sql FROM sqlite_master"
                                     " WHERE type = 'index' AND name = ?1",
                                     -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
            rc = sqlite3_step (st);
            if (rc == SQLITE_ROW && sqlite3_column_text (st, 0))
                text = jk_strdup ((const char *)sqlite3_column_text (st, 0));
            rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        if (rc != SQLITE_OK)
            snprintf (err, err_size, "reading the index %s: %s", name,
                      sqlite3_errmsg (db));
        sqlite3_finalize (st);
        if (rc != SQLITE_OK)
            return -1;
        if (!text) {
            snprintf (err, err_size,
                      "the projections have no index %s (rebuild builds it "
                      "after the load, for %s)",
                      name, s_index_late[i].type);
            return -1;
        }
        char *drop = sqlite3_mprintf ("DROP INDEX %w", name);
        rc = sqlite3_exec (db, drop, NULL, NULL, NULL);
        sqlite3_free (drop);
        if (rc != SQLITE_OK) {
            snprintf (err, err_size, "dropping the index %s: %s", name,
                      sqlite3_errmsg (db));
            free (text);
            return -1;
        }
        if (create) {
            char *more = jk_sprintf ("%s%s;", *create, text);
            free (*create);
            *create = more;
        }
        if (sql)
            sql[i] = text;
        else
            free (text);
    }
    return 0;
}

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

/* The log copied as stored, by a thread of its own while the projections
   are applied to the staging database: the source's pages copied into
   the (empty) output by SQLite's backup API, then the records past the
   position the rebuild began at cut off and every other table of the
   source dropped; the Merkle tiles' table is made again empty, as in a
   fresh log (the store stores the tiles when it opens the output). The
   projection tables are made afterwards (s_out_setup). A page copy takes
   about a fifth of the instructions of copying the table's records
   (INSERT ... SELECT; docs/PERFORMANCE.md). */
typedef struct {
    const char *src_path, *out_path;
    uint64_t last; /* the last position copied */
    atomic_bool stop;
    uint64_t pages; /* pages written by the backup */
    int64_t ms;     /* the copy's wall time */
    int rc;         /* JK_OK, or JK_IO with err */
    char err[256];
} s_copy_t;

static int s_copy_fail (s_copy_t *copy, sqlite3 *db, const char *path)
{
    snprintf (copy->err, sizeof copy->err, "copying the log into %s: %s", path,
              db ? sqlite3_errmsg (db) : "out of memory");
    return JK_IO;
}

/* Drops every table and view of db but the log: the DROPs are gathered
   first, as none may run while the read of sqlite_master is open. */
static int s_drop_all_but_log (sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    sqlite3_str *drop = sqlite3_str_new (db);
    int rc = sqlite3_prepare_v2 (db,
                                 "SELECT upper(type), name FROM sqlite_master"
                                 " WHERE type IN ('table', 'view')"
                                 " AND name <> 'log'"
                                 " AND name NOT LIKE 'sqlite^_%' ESCAPE '^'",
                                 -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        sqlite3_str_appendf (drop, "DROP %s %w;",
                             (const char *)sqlite3_column_text (st, 0),
                             (const char *)sqlite3_column_text (st, 1));
        rc = SQLITE_OK;
    }
    sqlite3_finalize (st);
    if (rc == SQLITE_DONE)
        rc = sqlite3_str_errcode (drop); /* SQLITE_NOMEM, or OK */
    char *sql = sqlite3_str_finish (drop);
    if (rc == SQLITE_OK && sql)
        rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    sqlite3_free (sql);
    return rc;
}

static int s_log_copy_run (s_copy_t *copy)
{
    sqlite3 *src =
        s_open_readonly (copy->src_path, copy->err, sizeof copy->err);
    if (!src)
        return JK_IO;
    sqlite3 *out = NULL;
    int status = JK_OK;
    if (sqlite3_open_v2 (copy->out_path, &out,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                         jk_vfs_bulk ()) != SQLITE_OK ||
        sqlite3_exec (out,
                      "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF",
                      NULL, NULL, NULL) != SQLITE_OK)
        status = s_copy_fail (copy, out, copy->out_path);
    /* One read transaction on the source for the whole copy: every step
       reads the same snapshot, where a copy in steps would otherwise
       start again each time the source's writer commits. */
    else if (sqlite3_exec (src, "BEGIN; SELECT count(*) FROM sqlite_master",
                           NULL, NULL, NULL) != SQLITE_OK)
        status = s_copy_fail (copy, src, copy->out_path);
    sqlite3_backup *backup =
        status == JK_OK ? sqlite3_backup_init (out, "main", src, "main") : NULL;
    if (status == JK_OK && !backup)
        status = s_copy_fail (copy, out, copy->out_path);
    int rc = SQLITE_OK;
    while (backup && !atomic_load (&copy->stop) &&
           (rc = sqlite3_backup_step (backup, S_COPY_STEP)) == SQLITE_OK)
        ;
    if (backup) {
        copy->pages = (uint64_t)sqlite3_backup_pagecount (backup);
        sqlite3_backup_finish (backup);
        if (rc != SQLITE_DONE) {
            status = s_copy_fail (copy, out, copy->out_path);
            if (rc == SQLITE_OK) /* stopped */
                snprintf (copy->err, sizeof copy->err,
                          "the log's copy stopped");
        }
    }
    sqlite3_exec (src, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (src);
    if (status == JK_OK) {
        /* The copied header says WAL when the source's does: the cut and
           the drops are written in place, without a journal, like the
           rest of the load. */
        char *cut = sqlite3_mprintf ("PRAGMA journal_mode = OFF;"
                                     " DELETE FROM log WHERE pos > %lld",
                                     (long long)copy->last);
        rc = sqlite3_exec (out, cut, NULL, NULL, NULL);
        sqlite3_free (cut);
        if (rc != SQLITE_OK || s_drop_all_but_log (out) != SQLITE_OK ||
            jk_tiles_create (out) != 0)
            status = s_copy_fail (copy, out, copy->out_path);
    }
    sqlite3_close (out);
    return status;
}

static void *s_log_copy (void *arg)
{
    s_copy_t *copy = arg;
    jk_thread_enter ("jejak-rb-copy");
    int64_t started = jk_clock_mono_ms ();
    copy->rc = s_log_copy_run (copy);
    copy->ms = jk_clock_mono_ms () - started;
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

/* A rebuild under way: what jk_log_rebuild's steps share. */
typedef struct {
    const char *src_path, *out_path;
    const jk_rebuild_options_t *options;
    jk_rebuild_result_t *result;
    char *err;
    size_t err_size;
    sqlite3_stmt *insert; /* a log row, when not copied in bulk */
    jk_projections_t *projections;
    jk_log_t *out;
    sqlite3 *db;    /* out's connection */
    sqlite3 *stage; /* the staging database */
    sqlite3 *src;
    char *indexes;      /* dropped from the output, built again at the end */
    char *late[S_LATE]; /* s_index_late's, not built yet */
    uint64_t total;     /* the source's last position */
    bool bulk;          /* the log copied by s_log_copy */
    s_pipe_t pipe;
    pthread_t reader, copier;
    bool reading, copying;
    s_copy_t copy;
} s_rebuild_t;

/* A failure of SQLite on the output (or the staging database): JK_IO with
   its message in err. */
static int s_out_fail (s_rebuild_t *r)
{
    snprintf (r->err, r->err_size, "writing %s: %s", r->out_path,
              r->db ? sqlite3_errmsg (r->db) : "not open");
    return JK_IO;
}

static int s_stage_fail (s_rebuild_t *r)
{
    snprintf (r->err, r->err_size, "rebuilding the projections: %s",
              sqlite3_errmsg (r->stage));
    return JK_IO;
}

/* The output's projection tables (migrated, their indexes dropped to be
   built after the load) and no journal while it loads. JK_OK or JK_IO
   with err. */
static int s_out_setup (s_rebuild_t *r)
{
    /* A rebuild that dies half-way is thrown away, so it needs neither a
       journal nor syncs while it loads (a sync here would also wait for
       the whole copied log to reach the disk); the file turns WAL at the
       end. */
    sqlite3_exec (r->db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF",
                  NULL, NULL, NULL);
    if (jk_projections_migrate (r->db, r->err, r->err_size))
        return JK_IO;
    r->indexes = s_indexes_drop (r->db, false);
    if (!r->indexes)
        return s_out_fail (r);
    if (jk_rebuild_indexes_late (r->db, &r->indexes, NULL, r->err, r->err_size))
        return JK_IO;
    return JK_OK;
}

/* Opens the output: a fresh log, or, when the log is
   copied page by page (s_bulk_possible), an empty file the copy fills
   and that is opened as a log when the copy ends. */
static int s_out_open (s_rebuild_t *r)
{
    r->out = jk_log_open (r->out_path, 0, r->err, r->err_size);
    if (!r->out)
        return JK_IO;
    r->db = jk_log_db (r->out);
    r->bulk = s_bulk_possible (r->db, r->src_path, r->options);
    if (!r->bulk) {
        if (s_out_setup (r) != JK_OK)
            return JK_IO;
        if (sqlite3_prepare_v2 (r->db,
                                "INSERT INTO log (pos, id, type, v, source,"
                                " seq, at, recorded_at, outcome, code,"
                                " message, bytes, hash)"
                                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &r->insert, NULL) != SQLITE_OK)
            return s_out_fail (r);
        return JK_OK;
    }
    jk_log_close (&r->out);
    r->db = NULL;
    jk_db_remove (r->out_path);
    int fd = open (r->out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (r->err, r->err_size, "cannot create %s: %s", r->out_path,
                  strerror (errno));
        return JK_IO;
    }
    close (fd);
    return JK_OK;
}

/* Opens the source, the output (s_out_open) and the staging database the
   projections are applied to (a temporary file in SQLite's temporary
   directory, with a 16 MiB cache; written to the output table by table
   in key order at the end), with the indexes that are built after the
   load dropped. The apply writes the tables mostly in key order, so a
   small cache rereads few pages (about 8,000 16 KiB reads and writes more
   for 1M records), where a cache holding all of them (110 MB for 1M
   records) took a page fault for every 4 KiB of it (27,000). The staging
   database, the log's copy and the output at the end are written through
   the bulk VFS (jk_vfs.h): SQLite writes their pages one pwrite each.
   JK_OK or JK_IO with err. */
static int s_rebuild_open (s_rebuild_t *r)
{
    r->src = s_open_readonly (r->src_path, r->err, r->err_size);
    if (!r->src)
        return JK_IO;
    /* Where the rebuild stops when no earlier place is asked for: the
       reader and the log's copy both end there, however a live log
       grows meanwhile. */
    r->total = s_max_pos (r->src);
    r->pipe.last = r->total;
    if (s_out_open (r) != JK_OK)
        return JK_IO;
    if (sqlite3_open_v2 ("", &r->stage,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX,
                         jk_vfs_bulk ()) != SQLITE_OK ||
        sqlite3_exec (r->stage,
                      "PRAGMA page_size = 16384;"
                      " PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                      " PRAGMA cache_size = -16384;"
                      " PRAGMA temp_store = MEMORY;"
                      " PRAGMA secure_delete = OFF",
                      NULL, NULL, NULL) != SQLITE_OK) {
        snprintf (r->err, r->err_size, "cannot open a staging database: %s",
                  r->stage ? sqlite3_errmsg (r->stage) : "out of memory");
        return JK_IO;
    }
    if (jk_projections_migrate (r->stage, r->err, r->err_size))
        return JK_IO;
    /* The staging database's are dropped for good: only its tables are
       copied out. */
    char *staged = s_indexes_drop (r->stage, true);
    if (!staged)
        return s_stage_fail (r);
    free (staged);
    if (jk_rebuild_indexes_late (r->stage, NULL, r->late, r->err, r->err_size))
        return JK_IO;
    r->projections = jk_projections_new (r->stage, &r->options->projections,
                                         r->err, r->err_size);
    if (!r->projections)
        return JK_IO;
    /* Counters are written once per rebuild transaction, not per record
       (flushed before each COMMIT; a failed rebuild is thrown away). */
    jk_projections_set_deferred (r->projections, true);
    return JK_OK;
}

/* Starts the reader and, for a bulk copy, the log copy; opens the
   transactions. JK_OK or JK_IO with err. */
static int s_rebuild_start (s_rebuild_t *r)
{
    r->pipe.copy_rows = !r->bulk;
    if (pthread_create (&r->reader, NULL, s_reader, &r->pipe) != 0) {
        snprintf (r->err, r->err_size, "cannot start the log reader");
        return JK_IO;
    }
    r->reading = true;
    if (r->bulk) {
        r->copy.src_path = r->src_path;
        r->copy.out_path = r->out_path;
        r->copy.last = r->total;
        if (pthread_create (&r->copier, NULL, s_log_copy, &r->copy) != 0) {
            snprintf (r->err, r->err_size, "cannot start the log copy");
            return JK_IO;
        }
        r->copying = true;
    } else if (sqlite3_exec (r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return s_out_fail (r);
    if (sqlite3_exec (r->stage, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return s_stage_fail (r);
    return JK_OK;
}

/* Copies one prepared record's row (when not in bulk) and applies it. */
static int s_rebuild_item (s_rebuild_t *r, s_item_t *item)
{
    /* The row is copied exactly as stored, hash included: a rebuilt log
       verifies only if its source did. */
    for (int col = 0; col < S_COLUMNS && !r->bulk; col++) {
        int rc_bind = sqlite3_bind_value (r->insert, col + 1, item->cols[col]);
        assert (rc_bind == SQLITE_OK);
        (void)rc_bind;
    }
    if (!r->bulk && sqlite3_step (r->insert) != SQLITE_DONE)
        return s_out_fail (r);
    sqlite3_reset (r->insert);
    const jk_event_t *event = item->prepared.event;
    for (size_t i = 0; i < S_LATE && event && !item->stored.rejected; i++)
        if (r->late[i] &&
            strcmp (event->type->name, s_index_late[i].type) == 0) {
            int rc = sqlite3_exec (r->stage, r->late[i], NULL, NULL, NULL);
            free (r->late[i]);
            r->late[i] = NULL;
            if (rc != SQLITE_OK)
                return s_stage_fail (r);
        }
    /* The event stays with the item: the reader frees it when it fills
       the item again, on the thread that allocated it. */
    int applied = jk_record_apply_held (r->projections, &item->stored,
                                        &item->prepared, r->err, r->err_size);
    if (applied != JK_OK)
        return applied;
    jk_rebuild_result_t *result = r->result;
    result->records++;
    if (item->stored.rejected)
        result->rejected++;
    else
        result->accepted++;
    result->head.pos = item->stored.pos;
    if (item->stored.hash)
        memcpy (result->head.hash, item->stored.hash, JK_HASH_SIZE);
    if (result->records % S_REBUILD_TXN == 0 &&
        (jk_projections_flush (r->projections) != JK_OK ||
         sqlite3_exec (r->stage, "COMMIT", NULL, NULL, NULL) != SQLITE_OK ||
         sqlite3_exec (r->stage, "BEGIN", NULL, NULL, NULL) != SQLITE_OK))
        return s_stage_fail (r);
    if (r->options->progress && result->records % S_PROGRESS_EVERY == 0)
        r->options->progress (r->options->progress_arg, result->records,
                              r->total);
    return JK_OK;
}

/* Applies the reader's chunks in order until the last. JK_OK, or the
   first failure with err. */
static int s_rebuild_apply (s_rebuild_t *r)
{
    for (size_t k = 0;; k++) {
        s_chunk_t *c = s_chunk_full (&r->pipe, k);
        for (size_t i = 0; i < c->count; i++) {
            s_item_t *item = &c->item[i];
            if (item->status != JK_OK) {
                snprintf (r->err, r->err_size, "%s", c->err);
                return item->status;
            }
            int rc = s_rebuild_item (r, item);
            if (rc != JK_OK)
                return rc;
        }
        if (c->status != JK_OK) {
            snprintf (r->err, r->err_size, "%s", c->err);
            return c->status;
        }
        bool last = c->last;
        c->count = 0;
        s_chunk_free (&r->pipe, c);
        if (last)
            break;
    }
    if (jk_projections_flush (r->projections) != JK_OK ||
        sqlite3_exec (r->stage, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return s_stage_fail (r);
    /* Every statement the apply ran is still prepared on the staging
       connection. */
    for (sqlite3_stmt *st = sqlite3_next_stmt (r->stage, NULL); st;
         st = sqlite3_next_stmt (r->stage, st))
        r->result->scanned += (uint64_t)sqlite3_stmt_status (
            st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
    return JK_OK;
}

/* Ends the log's copy (cut at the last position applied), writes the
   tables into the output, builds the indexes and turns it WAL. */
static int s_rebuild_finish (s_rebuild_t *r)
{
    if (r->copying) {
        pthread_join (r->copier, NULL);
        r->copying = false;
        if (r->copy.rc != JK_OK) {
            snprintf (r->err, r->err_size, "%s", r->copy.err);
            return JK_IO;
        }
        r->result->pages_copied = r->copy.pages;
        r->result->copy_ms = r->copy.ms;
        /* The copy holds the log alone, up to the last position applied,
           and the empty tiles' table: it is given its projection tables on
           a connection of its own, with the cache a log's (jk_log_open):
           the index builds sort in runs of its size. */
        if (sqlite3_open_v2 (r->out_path, &r->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             jk_vfs_bulk ()) != SQLITE_OK ||
            sqlite3_exec (r->db, JK_LOG_CACHE_SQL, NULL, NULL, NULL) !=
                SQLITE_OK ||
            jk_db_kind_mark (r->db, JK_DB_LOG) != JK_OK)
            return s_out_fail (r);
        if (s_out_setup (r) != JK_OK)
            return JK_IO;
    } else if (sqlite3_exec (r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return s_out_fail (r);
    int64_t started = jk_clock_mono_ms ();
    if (s_tables_write (r->stage, r->out_path))
        return s_stage_fail (r);
    /* What the tables were rebuilt with, as the store records it: a
       store started on the output keeps to it. */
    jk_log_settings_t settings;
    jk_log_settings_current (r->options->projections.rat_deadline_months,
                             &settings);
    if (jk_log_settings_write (r->db, &settings, r->err, r->err_size))
        return JK_IO;
    r->result->tables_ms = jk_clock_mono_ms () - started;
    started = jk_clock_mono_ms ();
    /* The indexes' sorts go through SQLite's temporary files (written
       and read back in a few large runs) rather than one allocation per
       entry in memory: about a third less CPU for 625,000 entries, most
       of it the page faults of fresh memory. */
    if (sqlite3_exec (r->db, "PRAGMA temp_store = FILE", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec (r->db, r->indexes, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec (r->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) !=
            SQLITE_OK)
        return s_out_fail (r);
    r->result->indexes_ms = jk_clock_mono_ms () - started;
    if (r->options->progress)
        r->options->progress (r->options->progress_arg, r->result->records,
                              r->total);
    return JK_OK;
}

/* Stops the threads and frees everything; the output is removed unless
   the rebuild succeeded. */
static void s_rebuild_close (s_rebuild_t *r, int status)
{
    if (r->reading) {
        pthread_mutex_lock (&r->pipe.lock);
        r->pipe.stop = true;
        pthread_cond_broadcast (&r->pipe.changed);
        pthread_mutex_unlock (&r->pipe.lock);
        pthread_join (r->reader, NULL);
    }
    if (r->copying) {
        atomic_store (&r->copy.stop, true);
        pthread_join (r->copier, NULL);
    }
    for (size_t k = 0; k < S_CHUNKS; k++)
        for (size_t i = 0; i < S_CHUNK; i++) {
            s_item_clear (&r->pipe.chunk[k].item[i]);
            free (r->pipe.chunk[k].item[i].buf);
        }
    free (r->pipe.chunk);
    pthread_mutex_destroy (&r->pipe.lock);
    pthread_cond_destroy (&r->pipe.changed);
    free (r->indexes);
    for (size_t i = 0; i < S_LATE; i++)
        free (r->late[i]);
    sqlite3_finalize (r->insert);
    sqlite3_close (r->src);
    if (r->projections)
        jk_projections_discard (r->projections);
    jk_projections_destroy (&r->projections);
    sqlite3_close (r->stage);
    if (r->out)
        jk_log_close (&r->out); /* and r->db, its connection */
    else
        sqlite3_close (r->db);
    if (status != JK_OK)
        jk_db_remove (r->out_path);
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
    s_rebuild_t r = {.src_path = src_path,
                     .out_path = out_path,
                     .options = options,
                     .result = result,
                     .err = err,
                     .err_size = err_size,
                     .pipe = {.src_path = src_path,
                              .until_pos = options->until_pos,
                              .until_time = options->until_time}};
    pthread_mutex_init (&r.pipe.lock, NULL);
    pthread_cond_init (&r.pipe.changed, NULL);
    r.pipe.chunk = jk_calloc (S_CHUNKS, sizeof *r.pipe.chunk);
    int64_t started = jk_clock_mono_ms ();
    int status = s_rebuild_open (&r);
    if (status == JK_OK)
        status = s_rebuild_start (&r);
    if (status == JK_OK)
        status = s_rebuild_apply (&r);
    result->apply_ms = jk_clock_mono_ms () - started;
    if (status == JK_OK)
        status = s_rebuild_finish (&r);
    s_rebuild_close (&r, status);
    return status;
}
