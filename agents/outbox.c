/* Whole at ~630 lines: one class, its statements prepared once at open. */
/*  outbox.c - the agent's durable outbox: one SQLite file per agent, where
    every event is written before it is sent and kept until the store has
    answered it. Used by the command line (put, list, prune) and by the
    delivery loop (mark_sent, record). */
#include "jk_dbkind.h"
#include "outbox_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Between two tries of a statement SQLite answered SQLITE_BUSY without
   waiting (s_exec_busy). */
#define S_BUSY_RETRY_MS 5
static uint64_t s_busy_retries; /* atomic: jk_outbox_busy_retries */

#define S_COMPONENT "outbox"

static const char *s_sql[Q_COUNT] = {
    [Q_INSERT] = "INSERT INTO events (seq, id, type, bytes, state, created_at,"
                 " origin, key, content) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)",
    [Q_NEXT_SEQ] = "UPDATE meta SET value = ? WHERE key = 'next_seq'",
    /* Not a REJECTED or QUARANTINED row: the store never logged it, so a
       correction of it would be refused (E_UNKNOWN_ATTENDANCE) even when
       an older row of the key was stored. */
    [Q_FIND] = "SELECT id FROM events WHERE type = ? AND key = ?"
               " AND state < 3 ORDER BY seq DESC LIMIT 1",
    [Q_GET] = "SELECT seq, id, type, state, created_at, sent_at, attempts,"
              " pos, hash, code, message, origin, bytes, key FROM events"
              " WHERE seq = ?",
    [Q_LIST] = "SELECT seq, id, type, state, created_at, sent_at, attempts,"
               " pos, hash, code, message, origin, bytes, key FROM events"
               " WHERE seq > ? AND ((1 << state) & ?) != 0 ORDER BY seq"
               " LIMIT ?",
    [Q_MARK_SENT] = "UPDATE events SET state = 1, sent_at = ?,"
                    " attempts = attempts + 1 WHERE seq BETWEEN ? AND ?"
                    " AND state < 2",
    /* ?6 and ?7: the send this answer is for, when it was not marked
       SENT (sent_at, and 1 more attempt), or NULL and 0. */
    [Q_STORED] = "UPDATE events SET state = 2, pos = ?1, hash = ?2,"
                 " code = ?3, message = ?4, sent_at = coalesce(?6, sent_at),"
                 " attempts = attempts + ?7 WHERE seq = ?5 AND state < 2",
    [Q_REJECTED] = "UPDATE events SET state = 3, pos = ?1, hash = ?2,"
                   " code = ?3, message = ?4, sent_at = coalesce(?6,"
                   " sent_at), attempts = attempts + ?7 WHERE seq = ?5"
                   " AND state < 2",
    [Q_COUNT_STATE] = "SELECT state, count(*) FROM events GROUP BY state",
    [Q_LAST_STORED] = "SELECT max(seq) FROM events WHERE state = 2",
    [Q_PRUNE] = "DELETE FROM events WHERE state = 2 AND created_at < ?",
    [Q_REQUEUE] = "UPDATE events SET state = 0 WHERE seq = ? AND state = 1",
    [Q_OPEN] = "SELECT count(*) FROM events WHERE state IN (0, 1)"
               " AND seq <= ?",
    [Q_REDELIVER] = "UPDATE events SET state = 0 WHERE seq >= ?"
                    " AND state IN (2, 3)",
    [Q_SAME] = "SELECT seq FROM events WHERE content = ? ORDER BY seq LIMIT 1",
    [Q_OPEN_ANY] = "SELECT count(*) FROM (SELECT 1 FROM events WHERE state"
                   " IN (0, 1) AND seq <= ? LIMIT 1)",
    [Q_NEWEST] = "SELECT seq FROM events WHERE ((1 << state) & ?) != 0"
                 " ORDER BY seq DESC LIMIT 1 OFFSET ?",
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
    "  state INTEGER NOT NULL," /* 0 PENDING 1 SENT 2 STORED 3 REJECTED
                                   4 QUARANTINED */
    "  created_at INTEGER NOT NULL,"
    "  sent_at INTEGER,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  pos INTEGER," /* receipt: position in the log */
    "  hash BLOB,"   /* receipt: chain hash at pos */
    "  code TEXT,"
    "  message TEXT,"
    "  origin TEXT,"   /* FILE.csv:LINE for imports */
    "  key TEXT,"      /* natural key for corrections */
    "  content TEXT);" /* jk_outbox_content of the event */
    "CREATE INDEX IF NOT EXISTS events_key ON events (type, key)"
    "  WHERE key IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS events_state ON events (state, seq);";

/* Outboxes of older versions lack the content column: added, and filled
   from each row's bytes, at open. */
static const char *s_content_index =
    "CREATE INDEX IF NOT EXISTS events_content ON events (content)"
    "  WHERE content IS NOT NULL;";

int jk_outbox_exec (jk_outbox_t *self, const char *sql)
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

static const char *s_text (sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text (st, col);
    return t ? t : "";
}

int jk_outbox_fail (jk_outbox_t *self, const char *what)
{
    jk_error (S_COMPONENT, "path=%s op=%s error=\"%s\"", self->path, what,
              sqlite3_errmsg (self->db));
    return JK_IO;
}

/* Reads a meta value into out; false when absent. */
bool jk_outbox_meta_get (jk_outbox_t *self, const char *key, char *out,
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

int jk_outbox_meta_set (jk_outbox_t *self, const char *key, const char *value)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "INSERT OR REPLACE INTO meta (key, value) "
                            "VALUES (?, ?)",
                            -1, &st, NULL) != SQLITE_OK)
        return jk_outbox_fail (self, "meta");
    sqlite3_bind_text (st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step (st) == SQLITE_DONE ? JK_OK
                                              : jk_outbox_fail (self, "meta");
    sqlite3_finalize (st);
    return rc;
}

/* Adds the content column to an outbox of an older version and fills it
   from each row's bytes (rows this version cannot decode keep NULL). */
static int s_add_content (jk_outbox_t *self)
{
    sqlite3_stmt *st = NULL;
    bool has = false;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA table_info(events)", -1, &st,
                            NULL) != SQLITE_OK)
        return jk_outbox_fail (self, "table_info");
    while (sqlite3_step (st) == SQLITE_ROW)
        has |= strcmp (s_text (st, 1), "content") == 0;
    sqlite3_finalize (st);
    if (has)
        return JK_OK;
    if (jk_outbox_exec (self, "ALTER TABLE events ADD COLUMN content TEXT"))
        return JK_IO;
    sqlite3_stmt *rows = NULL, *set = NULL;
    int rc = JK_OK;
    if (sqlite3_prepare_v2 (self->db, "SELECT seq, bytes FROM events", -1,
                            &rows, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (self->db,
                            "UPDATE events SET content = ? WHERE seq = ?", -1,
                            &set, NULL) != SQLITE_OK)
        rc = jk_outbox_fail (self, "content");
    while (rc == JK_OK && sqlite3_step (rows) == SQLITE_ROW) {
        jk_event_t *ev =
            jk_event_decode (sqlite3_column_blob (rows, 1),
                             (size_t)sqlite3_column_bytes (rows, 1), NULL);
        char content[65];
        if (ev && jk_outbox_content (ev, content) == JK_OK) {
            sqlite3_reset (set);
            sqlite3_bind_text (set, 1, content, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64 (set, 2, sqlite3_column_int64 (rows, 0));
            if (sqlite3_step (set) != SQLITE_DONE)
                rc = jk_outbox_fail (self, "content");
        }
        jk_event_destroy (&ev);
    }
    sqlite3_finalize (rows);
    sqlite3_finalize (set);
    return rc;
}

/* Inside the opening transaction: the file's owner (set when new) must
   be source, and its next seq readable. JK_OK; JK_CONFLICT for another
   source's outbox; JK_IO. The reason in err. */
static int s_owner_check (jk_outbox_t *self, const char *source, char *err,
                          size_t err_size)
{
    const char *path = self->path;
    char owner[JK_SOURCE_MAX + 1], next[32];
    if (!jk_outbox_meta_get (self, "source", owner, sizeof owner)) {
        if (jk_outbox_meta_set (self, "source", source) ||
            jk_outbox_meta_set (self, "next_seq", "1")) {
            snprintf (err, err_size, "outbox %s: cannot write: %s", path,
                      sqlite3_errmsg (self->db));
            return JK_IO;
        }
        snprintf (owner, sizeof owner, "%s", source);
    }
    if (strcmp (owner, source) != 0) {
        snprintf (err, err_size,
                  "outbox %s belongs to source %s, not %s: use that "
                  "--source, or another --outbox for %s",
                  path, owner, source, source);
        return JK_CONFLICT;
    }
    if (!jk_outbox_meta_get (self, "next_seq", next, sizeof next) ||
        jk_parse_u64 (next, &self->next_seq) != JK_OK || self->next_seq == 0) {
        snprintf (err, err_size, "outbox %s: meta next_seq is damaged", path);
        return JK_IO;
    }
    return JK_OK;
}

/* Runs sql outside any transaction as jk_outbox_exec does, again while
   SQLite answers SQLITE_BUSY, for up to JK_OUTBOX_BUSY_MS in all. SQLite
   calls no busy handler where waiting could deadlock and answers BUSY at
   once instead: a connection that has read the file and asks for the
   write lock while another program holds it (two programs opening a new
   outbox at the same moment both read it, and both ask for the lock that
   turns it to WAL). The statement that failed holds no lock any more, so
   running it again is safe; the last failure is logged. */
static int s_exec_busy (jk_outbox_t *self, const char *sql)
{
    int64_t deadline = jk_clock_mono_ms () + JK_OUTBOX_BUSY_MS;
    int rc;
    while ((rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL)) ==
               SQLITE_BUSY &&
           jk_clock_mono_ms () < deadline) {
        __atomic_add_fetch (&s_busy_retries, 1, __ATOMIC_RELAXED);
        sqlite3_sleep (S_BUSY_RETRY_MS);
    }
    return rc == SQLITE_OK ? JK_OK : jk_outbox_exec (self, sql);
}

uint64_t jk_outbox_busy_retries (void)
{
    return __atomic_load_n (&s_busy_retries, __ATOMIC_RELAXED);
}

/* The file as an SQLite database in WAL mode, created 0600 (SQLite
   would use the umask), with the opening transaction begun. */
static int s_file_open (jk_outbox_t *self, char *err, size_t err_size)
{
    const char *path = self->path;
    int fd = open (path, O_RDWR | O_CREAT, 0600);
    if (fd < 0) {
        snprintf (err, err_size, "cannot open outbox %s: %s", path,
                  strerror (errno));
        return JK_IO;
    }
    close (fd);
    /* NOMUTEX: a jk_outbox_t is used by one thread at a time (jk_agent.h),
       so SQLite's own lock around every call is not needed. */
    if (sqlite3_open_v2 (path, &self->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot open outbox %s: %s", path,
                  sqlite3_errmsg (self->db));
        return JK_IO;
    }
    sqlite3_busy_timeout (self->db, JK_OUTBOX_BUSY_MS);
    /* Another program's file (a hub's log, a users file) is refused
       before anything is written to it; an empty one becomes the outbox. */
    if (jk_db_kind_check (self->db, path, JK_DB_OUTBOX, err, err_size) != JK_OK)
        return JK_IO;
    if (s_exec_busy (self, "PRAGMA journal_mode=WAL") ||
        jk_outbox_exec (self, "PRAGMA synchronous=FULL") ||
        jk_outbox_exec (
            self, "PRAGMA journal_size_limit=" JK_OUTBOX_WAL_LIMIT_TEXT) ||
        s_exec_busy (self, "BEGIN IMMEDIATE")) {
        snprintf (err, err_size, "outbox %s is not a usable SQLite file: %s",
                  path, sqlite3_errmsg (self->db));
        return JK_IO;
    }
    return JK_OK;
}

jk_outbox_t *jk_outbox_open_why (const char *path, const char *source, int *why,
                                 char *err, size_t err_size)
{
    assert (path && source);
    jk_outbox_t *self = jk_calloc (1, sizeof *self);
    self->path = jk_strdup (path);
    *why = s_file_open (self, err, err_size);
    if (*why != JK_OK) {
        jk_outbox_close (&self);
        return NULL;
    }
    if (jk_outbox_exec (self, s_schema) || s_add_content (self) ||
        jk_outbox_exec (self, s_content_index) ||
        jk_db_kind_mark (self->db, JK_DB_OUTBOX)) {
        snprintf (err, err_size, "outbox %s: cannot create tables: %s", path,
                  sqlite3_errmsg (self->db));
        *why = JK_IO;
    } else
        *why = s_owner_check (self, source, err, err_size);
    if (*why != JK_OK)
        jk_outbox_exec (self, "ROLLBACK");
    else if (jk_outbox_exec (self, "COMMIT")) {
        snprintf (err, err_size, "outbox %s: %s", path,
                  sqlite3_errmsg (self->db));
        *why = JK_IO;
    }
    for (int i = 0; *why == JK_OK && i < Q_COUNT; i++)
        if (sqlite3_prepare_v2 (self->db, s_sql[i], -1, &self->q[i], NULL) !=
            SQLITE_OK) {
            snprintf (err, err_size, "outbox %s: %s", path,
                      sqlite3_errmsg (self->db));
            *why = JK_IO;
        }
    if (*why != JK_OK) {
        jk_outbox_close (&self);
        return NULL;
    }
    self->source = jk_strdup (source);
    return self;
}

jk_outbox_t *jk_outbox_open (const char *path, const char *source, char *err,
                             size_t err_size)
{
    int why;
    return jk_outbox_open_why (path, source, &why, err, err_size);
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

sqlite3 *jk_outbox_db (jk_outbox_t *self)
{
    return self->db;
}

const char *jk_outbox_source (jk_outbox_t *self)
{
    return self->source;
}

/* Starts a write transaction, FULL when it writes events, NORMAL for the
   delivery bookkeeping (see the header). */
int jk_outbox_begin_sync (jk_outbox_t *self, bool full)
{
    /* A row jk_outbox_get lent keeps its statement, and with it a read
       snapshot, open: BEGIN IMMEDIATE on a stale snapshot fails at once
       (SQLITE_BUSY_SNAPSHOT) when another program wrote meanwhile. The
       loan ends with the next call anyway. */
    sqlite3_reset (self->q[Q_GET]);
    if (jk_outbox_exec (self, full ? "PRAGMA synchronous=FULL"
                                   : "PRAGMA synchronous=NORMAL"))
        return JK_IO;
    return jk_outbox_exec (self, "BEGIN IMMEDIATE");
}

/* Reads next_seq from the file. Inside a write transaction this is the
   one seq allocator: other programs on the same outbox wait for the
   transaction, so the seq read here is still free at commit. */
static int s_load_next_seq (jk_outbox_t *self)
{
    char next[32];
    uint64_t value;
    if (!jk_outbox_meta_get (self, "next_seq", next, sizeof next) ||
        jk_parse_u64 (next, &value) != JK_OK || value == 0) {
        jk_error (S_COMPONENT, "path=%s error=\"meta next_seq is damaged\"",
                  self->path);
        return JK_IO;
    }
    self->next_seq = value;
    return JK_OK;
}

int jk_outbox_begin (jk_outbox_t *self)
{
    assert (!self->in_tx);
    if (jk_outbox_begin_sync (self, true))
        return JK_IO;
    if (s_load_next_seq (self)) {
        jk_outbox_exec (self, "ROLLBACK");
        return JK_IO;
    }
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
        jk_outbox_fail (self, "next_seq");
        jk_outbox_rollback (self);
        return JK_IO;
    }
    if (jk_outbox_exec (self, "COMMIT")) {
        jk_outbox_rollback (self);
        return JK_IO;
    }
    return JK_OK;
}

void jk_outbox_rollback (jk_outbox_t *self)
{
    self->in_tx = false;
    if (sqlite3_get_autocommit (self->db) == 0)
        jk_outbox_exec (self, "ROLLBACK");
    /* The seq counter comes back from the file. */
    s_load_next_seq (self);
}

int jk_outbox_content (jk_event_t *event, char out[65])
{
    /* The envelope an import or a device gives (id, seq, at, source,
       actor) is not content: the same row entered again has new ones. */
    uint8_t id[16];
    memcpy (id, event->id, 16);
    uint64_t seq = event->seq;
    int64_t at = event->at;
    jk_str_t source = event->source, actor = event->actor;
    memset (event->id, 0, 16);
    event->seq = 0;
    event->at = 0;
    event->source = (jk_str_t){"", 0};
    event->actor = (jk_str_t){"", 0};
    size_t size = 0;
    uint8_t *bytes = jk_event_encode (event, &size);
    memcpy (event->id, id, 16);
    event->seq = seq;
    event->at = at;
    event->source = source;
    event->actor = actor;
    uint8_t digest[32];
    unsigned int len = 0;
    bool ok = bytes &&
              EVP_Digest (bytes, size, digest, &len, EVP_sha256 (), NULL) == 1;
    free (bytes);
    if (!ok)
        return JK_INVALID;
    jk_hex_format (digest, 32, out);
    return JK_OK;
}

int jk_outbox_find_same (jk_outbox_t *self, jk_event_t *event, uint64_t *seq)
{
    char content[65];
    if (jk_outbox_content (event, content) != JK_OK)
        return JK_NOT_FOUND;
    sqlite3_stmt *st = self->q[Q_SAME];
    sqlite3_reset (st);
    sqlite3_bind_text (st, 1, content, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW && seq)
        *seq = (uint64_t)sqlite3_column_int64 (st, 0);
    sqlite3_reset (st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return jk_outbox_fail (self, "find_same");
    return rc == SQLITE_ROW ? JK_OK : JK_NOT_FOUND;
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
    char content[65];
    if (jk_outbox_content (event, content) == JK_OK)
        sqlite3_bind_text (st, 8, content, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (st, 8);
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    free (bytes);
    if (rc != SQLITE_DONE) {
        jk_outbox_fail (self, "insert");
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
    row->key = (const char *)sqlite3_column_text (st, 13);
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
        jk_outbox_fail (self, "list");
        visited = -1;
    }
    sqlite3_reset (st);
    return visited;
}

uint64_t jk_outbox_newest_after (jk_outbox_t *self, unsigned states,
                                 size_t count)
{
    if (count == 0)
        return 0;
    sqlite3_stmt *st = self->q[Q_NEWEST];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)states);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)(count - 1));
    uint64_t after = 0;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
        after = (uint64_t)sqlite3_column_int64 (st, 0) - 1;
    else if (rc != SQLITE_DONE)
        jk_outbox_fail (self, "list");
    sqlite3_reset (st);
    return after;
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
        else if (state == JK_OUTBOX_REJECTED)
            counts->rejected = n;
        else
            counts->quarantined = n;
    }
    sqlite3_reset (st);
    if (rc != SQLITE_DONE)
        return jk_outbox_fail (self, "counts");
    st = self->q[Q_LAST_STORED];
    sqlite3_reset (st);
    if (sqlite3_step (st) == SQLITE_ROW)
        counts->last_stored_seq = (uint64_t)sqlite3_column_int64 (st, 0);
    sqlite3_reset (st);
    if (!self->in_tx && s_load_next_seq (self))
        return JK_IO;
    counts->next_seq = self->next_seq;
    return JK_OK;
}

int64_t jk_outbox_prune (jk_outbox_t *self, int64_t before_ms)
{
    if (jk_outbox_begin_sync (self, true))
        return JK_IO;
    sqlite3_stmt *st = self->q[Q_PRUNE];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, before_ms);
    if (sqlite3_step (st) != SQLITE_DONE) {
        jk_outbox_fail (self, "prune");
        sqlite3_reset (st);
        jk_outbox_exec (self, "ROLLBACK");
        return JK_IO;
    }
    int64_t n = sqlite3_changes (self->db);
    sqlite3_reset (st);
    if (jk_outbox_exec (self, "COMMIT"))
        return JK_IO;
    return n;
}

char *jk_outbox_natural_key (const jk_event_t *event)
{
    return jk_event_key (event); /* the vocabulary says which fields */
}
