/*  outbox.c - the agent's durable outbox: one SQLite file per agent, where
    every event is written before it is sent and kept until the store has
    answered it. Used by the command line (put, list, prune) and by the
    delivery loop (mark_sent, record). */
#include "jk_agent.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_COMPONENT "outbox"

/* Prepared once at open, in this order. */
enum {
    Q_INSERT,
    Q_NEXT_SEQ,
    Q_FIND,
    Q_GET,
    Q_LIST,
    Q_MARK_SENT,
    Q_STORED,
    Q_REJECTED,
    Q_COUNT_STATE,
    Q_LAST_STORED,
    Q_PRUNE,
    Q_REQUEUE,
    Q_OPEN,
    Q_REDELIVER,
    Q_COUNT
};

static const char *s_sql[Q_COUNT] = {
    [Q_INSERT] = "INSERT INTO events (seq, id, type, bytes, state, created_at,"
                 " origin, key) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
    [Q_NEXT_SEQ] = "UPDATE meta SET value = ? WHERE key = 'next_seq'",
    [Q_FIND] = "SELECT id FROM events WHERE type = ? AND key = ?"
               " ORDER BY seq DESC LIMIT 1",
    [Q_GET] = "SELECT seq, id, type, state, created_at, sent_at, attempts,"
              " pos, hash, code, message, origin, bytes FROM events"
              " WHERE seq = ?",
    [Q_LIST] = "SELECT seq, id, type, state, created_at, sent_at, attempts,"
               " pos, hash, code, message, origin, bytes FROM events"
               " WHERE seq > ? AND ((1 << state) & ?) != 0 ORDER BY seq"
               " LIMIT ?",
    [Q_MARK_SENT] = "UPDATE events SET state = 1, sent_at = ?,"
                    " attempts = attempts + 1 WHERE seq BETWEEN ? AND ?"
                    " AND state < 2",
    [Q_STORED] = "UPDATE events SET state = 2, pos = ?, hash = ?,"
                 " code = ?, message = ? WHERE seq = ? AND state < 2",
    [Q_REJECTED] = "UPDATE events SET state = 3, pos = ?, hash = ?,"
                   " code = ?, message = ? WHERE seq = ? AND state < 2",
    [Q_COUNT_STATE] = "SELECT state, count(*) FROM events GROUP BY state",
    [Q_LAST_STORED] = "SELECT max(seq) FROM events WHERE state = 2",
    [Q_PRUNE] = "DELETE FROM events WHERE state = 2 AND created_at < ?",
    [Q_REQUEUE] = "UPDATE events SET state = 0 WHERE seq = ? AND state = 1",
    [Q_OPEN] = "SELECT count(*) FROM events WHERE state IN (0, 1)"
               " AND seq <= ?",
    [Q_REDELIVER] = "UPDATE events SET state = 0 WHERE seq >= ?"
                    " AND state >= 2",
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events ("
    "  seq INTEGER PRIMARY KEY," /* the per-source seq */
    "  id BLOB NOT NULL UNIQUE," /* UUIDv7 */
    "  type TEXT NOT NULL,"
    "  bytes BLOB NOT NULL,"    /* encoded once, sent as is */
    "  state INTEGER NOT NULL," /* 0 PENDING 1 SENT 2 STORED 3 REJECTED */
    "  created_at INTEGER NOT NULL,"
    "  sent_at INTEGER,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  pos INTEGER," /* receipt: position in the log */
    "  hash BLOB,"   /* receipt: chain hash at pos */
    "  code TEXT,"
    "  message TEXT,"
    "  origin TEXT," /* FILE.csv:LINE for imports */
    "  key TEXT);"   /* natural key for corrections */
    "CREATE INDEX IF NOT EXISTS events_key ON events (type, key)"
    "  WHERE key IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS events_state ON events (state, seq);";

struct _jk_outbox_t {
    sqlite3 *db;              /* the outbox file */
    sqlite3_stmt *q[Q_COUNT]; /* prepared statements */
    char *path;               /* for messages */
    char *source;             /* owner source */
    uint64_t next_seq;        /* seq the next put takes */
    bool in_tx;               /* inside jk_outbox_begin */
    bool tx_full;             /* current transaction must be FULL */
    jk_outbox_row_t row;      /* last row read (borrowed strings) */
};

static int s_exec (jk_outbox_t *self, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        jk_error (S_COMPONENT, "path=%s sql=\"%.40s\" error=\"%s\"", self->path,
                  sql, msg ? msg : "?");
        sqlite3_free (msg);
        return JK_IO;
    }
    return JK_OK;
}

static int s_fail (jk_outbox_t *self, const char *what)
{
    jk_error (S_COMPONENT, "path=%s op=%s error=\"%s\"", self->path, what,
              sqlite3_errmsg (self->db));
    return JK_IO;
}

/* Reads a meta value into out; false when absent. */
static bool s_meta_get (jk_outbox_t *self, const char *key, char *out,
                        size_t size)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2 (self->db, "SELECT value FROM meta WHERE key = ?",
                            -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text (st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step (st) == SQLITE_ROW) {
        snprintf (out, size, "%s", (const char *)sqlite3_column_text (st, 0));
        found = true;
    }
    sqlite3_finalize (st);
    return found;
}

static int s_meta_set (jk_outbox_t *self, const char *key, const char *value)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "INSERT OR REPLACE INTO meta (key, value) "
                            "VALUES (?, ?)",
                            -1, &st, NULL) != SQLITE_OK)
        return s_fail (self, "meta");
    sqlite3_bind_text (st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step (st) == SQLITE_DONE ? JK_OK : s_fail (self, "meta");
    sqlite3_finalize (st);
    return rc;
}

jk_outbox_t *jk_outbox_open (const char *path, const char *source, char *err,
                             size_t err_size)
{
    assert (path && source);
    /* Create the file 0600 ourselves: SQLite would use the umask. */
    int fd = open (path, O_RDWR | O_CREAT, 0600);
    if (fd < 0) {
        snprintf (err, err_size, "cannot open outbox %s: %s", path,
                  strerror (errno));
        return NULL;
    }
    close (fd);
    jk_outbox_t *self = jk_calloc (1, sizeof *self);
    self->path = jk_strdup (path);
    if (sqlite3_open_v2 (path, &self->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot open outbox %s: %s", path,
                  sqlite3_errmsg (self->db));
        goto failed;
    }
    sqlite3_busy_timeout (self->db, 5000);
    if (s_exec (self, "PRAGMA journal_mode=WAL") ||
        s_exec (self, "PRAGMA synchronous=FULL") ||
        s_exec (self, "BEGIN IMMEDIATE")) {
        snprintf (err, err_size, "outbox %s is not a usable SQLite file: %s",
                  path, sqlite3_errmsg (self->db));
        goto failed;
    }
    if (s_exec (self, s_schema)) {
        snprintf (err, err_size, "outbox %s: cannot create tables: %s", path,
                  sqlite3_errmsg (self->db));
        s_exec (self, "ROLLBACK");
        goto failed;
    }
    char owner[JK_SOURCE_MAX + 1], next[32];
    if (!s_meta_get (self, "source", owner, sizeof owner)) {
        if (s_meta_set (self, "source", source) ||
            s_meta_set (self, "next_seq", "1")) {
            snprintf (err, err_size, "outbox %s: cannot write: %s", path,
                      sqlite3_errmsg (self->db));
            s_exec (self, "ROLLBACK");
            goto failed;
        }
        snprintf (owner, sizeof owner, "%s", source);
    }
    if (strcmp (owner, source) != 0) {
        snprintf (err, err_size,
                  "outbox %s belongs to source %s, not %s: use that "
                  "--source, or another --outbox for %s",
                  path, owner, source, source);
        s_exec (self, "ROLLBACK");
        goto failed;
    }
    if (!s_meta_get (self, "next_seq", next, sizeof next) ||
        jk_parse_u64 (next, &self->next_seq) != JK_OK || self->next_seq == 0) {
        snprintf (err, err_size, "outbox %s: meta next_seq is damaged", path);
        s_exec (self, "ROLLBACK");
        goto failed;
    }
    if (s_exec (self, "COMMIT")) {
        snprintf (err, err_size, "outbox %s: %s", path,
                  sqlite3_errmsg (self->db));
        goto failed;
    }
    for (int i = 0; i < Q_COUNT; i++)
        if (sqlite3_prepare_v2 (self->db, s_sql[i], -1, &self->q[i], NULL) !=
            SQLITE_OK) {
            snprintf (err, err_size, "outbox %s: %s", path,
                      sqlite3_errmsg (self->db));
            goto failed;
        }
    self->source = jk_strdup (source);
    return self;
failed:
    jk_outbox_close (&self);
    return NULL;
}

void jk_outbox_close (jk_outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_outbox_t *self = *self_p;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize (self->q[i]);
    if (self->db)
        sqlite3_close (self->db);
    free (self->path);
    free (self->source);
    free (self);
    *self_p = NULL;
}

const char *jk_outbox_source (jk_outbox_t *self)
{
    return self->source;
}

/* Starts a write transaction, FULL when it writes events, NORMAL for the
   delivery bookkeeping (see the header). */
static int s_begin (jk_outbox_t *self, bool full)
{
    if (s_exec (self,
                full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"))
        return JK_IO;
    return s_exec (self, "BEGIN IMMEDIATE");
}

int jk_outbox_begin (jk_outbox_t *self)
{
    assert (!self->in_tx);
    if (s_begin (self, true))
        return JK_IO;
    self->in_tx = true;
    return JK_OK;
}

int jk_outbox_commit (jk_outbox_t *self)
{
    assert (self->in_tx);
    self->in_tx = false;
    char value[32];
    snprintf (value, sizeof value, "%llu", (unsigned long long)self->next_seq);
    sqlite3_stmt *st = self->q[Q_NEXT_SEQ];
    sqlite3_reset (st);
    sqlite3_bind_text (st, 1, value, -1, SQLITE_TRANSIENT);
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_fail (self, "next_seq");
        jk_outbox_rollback (self);
        return JK_IO;
    }
    if (s_exec (self, "COMMIT")) {
        jk_outbox_rollback (self);
        return JK_IO;
    }
    return JK_OK;
}

void jk_outbox_rollback (jk_outbox_t *self)
{
    self->in_tx = false;
    if (sqlite3_get_autocommit (self->db) == 0)
        s_exec (self, "ROLLBACK");
    /* The seq counter comes back from the file. */
    char next[32];
    if (s_meta_get (self, "next_seq", next, sizeof next))
        jk_parse_u64 (next, &self->next_seq);
}

int jk_outbox_put (jk_outbox_t *self, jk_event_t *event, const char *origin,
                   const char *key, uint64_t *seq)
{
    bool own_tx = !self->in_tx;
    if (own_tx && jk_outbox_begin (self))
        return JK_IO;
    jk_event_set_source (event, self->source);
    event->seq = self->next_seq;
    size_t size = 0;
    uint8_t *bytes = jk_event_encode (event, &size);
    if (!bytes) {
        if (own_tx)
            jk_outbox_rollback (self);
        return JK_INVALID;
    }
    sqlite3_stmt *st = self->q[Q_INSERT];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)event->seq);
    sqlite3_bind_blob (st, 2, event->id, 16, SQLITE_STATIC);
    sqlite3_bind_text (st, 3, event->type->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob (st, 4, bytes, (int)size, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 5, jk_clock_now_ms ());
    sqlite3_bind_text (st, 6, origin ? origin : "", -1, SQLITE_STATIC);
    if (key)
        sqlite3_bind_text (st, 7, key, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 7);
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    free (bytes);
    if (rc != SQLITE_DONE) {
        s_fail (self, "insert");
        if (own_tx)
            jk_outbox_rollback (self);
        return JK_IO;
    }
    self->next_seq++;
    if (own_tx && jk_outbox_commit (self))
        return JK_IO;
    if (seq)
        *seq = event->seq;
    return JK_OK;
}

int jk_outbox_find (jk_outbox_t *self, const char *type, const char *key,
                    uint8_t id[16])
{
    sqlite3_stmt *st = self->q[Q_FIND];
    sqlite3_reset (st);
    sqlite3_bind_text (st, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, key, -1, SQLITE_STATIC);
    int rc = JK_NOT_FOUND;
    if (sqlite3_step (st) == SQLITE_ROW && sqlite3_column_bytes (st, 0) == 16) {
        memcpy (id, sqlite3_column_blob (st, 0), 16);
        rc = JK_OK;
    }
    sqlite3_reset (st);
    return rc;
}

static const char *s_text (sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text (st, col);
    return t ? t : "";
}

/* Fills row from the current result of a GET or LIST statement. */
static void s_read_row (sqlite3_stmt *st, jk_outbox_row_t *row)
{
    memset (row, 0, sizeof *row);
    row->seq = (uint64_t)sqlite3_column_int64 (st, 0);
    if (sqlite3_column_bytes (st, 1) == 16)
        memcpy (row->id, sqlite3_column_blob (st, 1), 16);
    row->type = s_text (st, 2);
    row->state = (jk_outbox_state_t)sqlite3_column_int (st, 3);
    row->created_at = sqlite3_column_int64 (st, 4);
    row->sent_at = sqlite3_column_int64 (st, 5);
    row->attempts = (uint32_t)sqlite3_column_int (st, 6);
    row->pos = (uint64_t)sqlite3_column_int64 (st, 7);
    if (sqlite3_column_bytes (st, 8) == 32)
        memcpy (row->hash, sqlite3_column_blob (st, 8), 32);
    row->code = s_text (st, 9);
    row->message = s_text (st, 10);
    row->origin = s_text (st, 11);
    row->bytes = sqlite3_column_blob (st, 12);
    row->size = (size_t)sqlite3_column_bytes (st, 12);
}

int jk_outbox_get (jk_outbox_t *self, uint64_t seq, jk_outbox_row_t *row)
{
    sqlite3_stmt *st = self->q[Q_GET];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)seq);
    if (sqlite3_step (st) != SQLITE_ROW) {
        sqlite3_reset (st);
        return JK_NOT_FOUND;
    }
    /* Borrowed until the next call: the statement stays on this row. */
    s_read_row (st, row);
    return JK_OK;
}

int64_t jk_outbox_list (jk_outbox_t *self, unsigned states, uint64_t after,
                        size_t limit, jk_outbox_row_fn *fn, void *arg)
{
    sqlite3_stmt *st = self->q[Q_LIST];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)after);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)states);
    sqlite3_bind_int64 (st, 3, limit ? (sqlite3_int64)limit : -1);
    int64_t visited = 0;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        jk_outbox_row_t row;
        s_read_row (st, &row);
        visited++;
        if (fn (arg, &row))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        s_fail (self, "list");
        visited = -1;
    }
    sqlite3_reset (st);
    return visited;
}

int jk_outbox_counts (jk_outbox_t *self, jk_outbox_counts_t *counts)
{
    memset (counts, 0, sizeof *counts);
    sqlite3_stmt *st = self->q[Q_COUNT_STATE];
    sqlite3_reset (st);
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        int state = sqlite3_column_int (st, 0);
        uint64_t n = (uint64_t)sqlite3_column_int64 (st, 1);
        if (state <= JK_OUTBOX_SENT)
            counts->pending += n;
        else if (state == JK_OUTBOX_STORED)
            counts->stored = n;
        else
            counts->rejected = n;
    }
    sqlite3_reset (st);
    if (rc != SQLITE_DONE)
        return s_fail (self, "counts");
    st = self->q[Q_LAST_STORED];
    sqlite3_reset (st);
    if (sqlite3_step (st) == SQLITE_ROW)
        counts->last_stored_seq = (uint64_t)sqlite3_column_int64 (st, 0);
    sqlite3_reset (st);
    counts->next_seq = self->next_seq;
    return JK_OK;
}

int64_t jk_outbox_prune (jk_outbox_t *self, int64_t before_ms)
{
    if (s_begin (self, true))
        return -1;
    sqlite3_stmt *st = self->q[Q_PRUNE];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, before_ms);
    if (sqlite3_step (st) != SQLITE_DONE) {
        s_fail (self, "prune");
        sqlite3_reset (st);
        s_exec (self, "ROLLBACK");
        return -1;
    }
    int64_t n = sqlite3_changes (self->db);
    sqlite3_reset (st);
    if (s_exec (self, "COMMIT"))
        return -1;
    return n;
}

static int s_step_done (jk_outbox_t *self, sqlite3_stmt *st, const char *op)
{
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    return rc == SQLITE_DONE ? JK_OK : s_fail (self, op);
}

int jk_outbox_mark_sent (jk_outbox_t *self, uint64_t first, uint64_t last,
                         int64_t now_ms)
{
    sqlite3_stmt *st = self->q[Q_MARK_SENT];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, now_ms);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)first);
    sqlite3_bind_int64 (st, 3, (sqlite3_int64)last);
    return s_step_done (self, st, "mark_sent");
}

int jk_outbox_record (jk_outbox_t *self, uint64_t seq, const jk_answer_t *a)
{
    bool stored = a->kind == JK_ANSWER_ACK ||
                  (a->kind == JK_ANSWER_DUPLICATE && a->code[0] == 0);
    sqlite3_stmt *st = self->q[stored ? Q_STORED : Q_REJECTED];
    sqlite3_reset (st);
    if (a->kind == JK_ANSWER_NACK)
        sqlite3_bind_null (st, 1);
    else
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)a->pos);
    if (a->kind == JK_ANSWER_NACK)
        sqlite3_bind_null (st, 2);
    else
        sqlite3_bind_blob (st, 2, a->hash, 32, SQLITE_STATIC);
    if (stored) {
        sqlite3_bind_null (st, 3);
        sqlite3_bind_null (st, 4);
    } else {
        sqlite3_bind_text (st, 3, a->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 4, a->message, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64 (st, 5, (sqlite3_int64)seq);
    if (s_step_done (self, st, "record"))
        return -1;
    return sqlite3_changes (self->db);
}

int jk_outbox_requeue (jk_outbox_t *self, uint64_t seq)
{
    sqlite3_stmt *st = self->q[Q_REQUEUE];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)seq);
    return s_step_done (self, st, "requeue");
}

int64_t jk_outbox_redeliver (jk_outbox_t *self, uint64_t from_seq)
{
    sqlite3_stmt *st = self->q[Q_REDELIVER];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)from_seq);
    if (s_step_done (self, st, "redeliver") != JK_OK)
        return -1;
    return sqlite3_changes (self->db);
}

int64_t jk_outbox_open_count (jk_outbox_t *self, uint64_t until_seq)
{
    sqlite3_stmt *st = self->q[Q_OPEN];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1,
                        until_seq ? (sqlite3_int64)until_seq : INT64_MAX);
    int64_t n = -1;
    if (sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int64 (st, 0);
    else
        s_fail (self, "open_count");
    sqlite3_reset (st);
    return n;
}

int jk_outbox_reject_local (jk_outbox_t *self, uint64_t seq, const char *code,
                            const char *message)
{
    jk_answer_t a = {.kind = JK_ANSWER_NACK};
    snprintf (a.code, sizeof a.code, "%s", code);
    snprintf (a.message, sizeof a.message, "%s", message);
    return jk_outbox_record (self, seq, &a);
}

int jk_outbox_batch_begin (jk_outbox_t *self)
{
    return s_begin (self, false);
}

int jk_outbox_batch_end (jk_outbox_t *self)
{
    if (s_exec (self, "COMMIT")) {
        if (sqlite3_get_autocommit (self->db) == 0)
            s_exec (self, "ROLLBACK");
        return JK_IO;
    }
    return JK_OK;
}
