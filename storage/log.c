/*  log.c - the event log's hash chain and its writer (jk_log.h): opening
    and migrating the database, appending records at the next position,
    finding events by id, and the per-source seq the store checks against.
    Called by the store actor, inside its one transaction per batch. */
#include "jk_dbkind.h"
#include "jk_log.h"
#include "jk_sha256.h"
#include "jk_tiles.h"
#include "jk_vfs.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SQLite counts every allocation under one global mutex for its memory
   statistics, which no Jejak program reads (a rebuild spent 5 % of its
   CPU time in that mutex). Turned off before SQLite starts: a
   constructor runs before main, and sqlite3_config refuses, harmlessly,
   once SQLite is initialised. */
__attribute__ ((constructor)) static void s_sqlite_setup (void)
{
    sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
}

/* ---- the hash chain
 * ---------------------------------------------------------- */

struct jk_chain_s {
    jk_sha256_t *sha; /* reused for every step */
};

jk_chain_t *jk_chain_new (void)
{
    jk_chain_t *self = jk_calloc (1, sizeof *self);
    self->sha = jk_sha256_new ();
    return self;
}

void jk_chain_destroy (jk_chain_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_chain_t *self = *self_p;
    jk_sha256_destroy (&self->sha);
    free (self);
    *self_p = NULL;
}

static void s_put_be (uint8_t *out, uint64_t value, int size)
{
    for (int i = size - 1; i >= 0; i--) {
        out[i] = (uint8_t)value;
        value >>= 8;
    }
}

void jk_chain_step (jk_chain_t *self, const uint8_t prev[JK_HASH_SIZE],
                    uint64_t pos, int64_t recorded_at, int outcome,
                    const char *code, const char *message, const uint8_t *bytes,
                    size_t size, uint8_t out[JK_HASH_SIZE])
{
    size_t code_len = code ? strlen (code) : 0;
    size_t message_len = message ? strlen (message) : 0;
    assert (code_len <= UINT16_MAX);
    assert (message_len <= UINT32_MAX);
    /* Fixed-size fields go in one update: prev, pos, recorded_at, outcome,
       and the code length. */
    uint8_t head[JK_HASH_SIZE + 8 + 8 + 1 + 2];
    memcpy (head, prev, JK_HASH_SIZE);
    s_put_be (head + 32, pos, 8);
    s_put_be (head + 40, (uint64_t)recorded_at, 8);
    head[48] = (uint8_t)outcome;
    s_put_be (head + 49, code_len, 2);
    uint8_t message_size[4];
    s_put_be (message_size, message_len, 4);
    jk_sha256_begin (self->sha);
    if (code_len == 0 && message_len == 0) {
        /* An accepted record: the fixed part in one update. */
        uint8_t fixed[sizeof head + 4];
        memcpy (fixed, head, sizeof head);
        memcpy (fixed + sizeof head, message_size, 4);
        jk_sha256_add (self->sha, fixed, sizeof fixed);
    } else {
        jk_sha256_add (self->sha, head, sizeof head);
        jk_sha256_add (self->sha, code ? code : "", code_len);
        jk_sha256_add (self->sha, message_size, 4);
        jk_sha256_add (self->sha, message ? message : "", message_len);
    }
    jk_sha256_add (self->sha, bytes, size);
    jk_sha256_end (self->sha, out);
}

/* ---- the writer's log
 * ----------------------------------------------------------- */

/* Numbered migrations of the log table, applied through PRAGMA
   user_version. Index i brings the schema from version i to i + 1. */
static const char *s_migrations[] = {
    "CREATE TABLE log ("
    " pos INTEGER PRIMARY KEY,"
    " id BLOB NOT NULL UNIQUE,"
    " type TEXT NOT NULL,"
    " v INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " recorded_at INTEGER NOT NULL,"
    " outcome INTEGER NOT NULL,"
    " code TEXT,"
    " message TEXT,"
    " bytes BLOB NOT NULL,"
    " hash BLOB NOT NULL,"
    " UNIQUE (source, seq));",
};
#define S_MIGRATIONS (int)(sizeof s_migrations / sizeof s_migrations[0])

/* One source of the log: its next seq, committed and as the open
   transaction leaves it. Looked up once per event by name (or not at all
   when the event before came from the same source), and updated in place
   by the append: one lookup where there were three. */
typedef struct {
    uint64_t next;       /* next seq committed (0: none committed yet) */
    uint64_t staged;     /* next seq after the open transaction's appends */
    uint64_t staged_in;  /* the transaction staged belongs to (0: none) */
    uint64_t planned;    /* next seq after the plan's records */
    uint64_t planned_in; /* the plan planned belongs to (0: none) */
    char name[];         /* the source */
} s_source_t;

struct jk_log_s {
    sqlite3 *db;            /* the writer's connection */
    jk_chain_t *chain;      /* hasher */
    sqlite3_stmt *insert;   /* INSERT INTO log */
    sqlite3_stmt *find;     /* SELECT ... WHERE id = ? */
    sqlite3_stmt *begin;    /* BEGIN IMMEDIATE */
    sqlite3_stmt *commit;   /* COMMIT */
    sqlite3_stmt *rollback; /* ROLLBACK */
    /* Committed state, and the state including the open transaction. */
    uint64_t head_pos, committed_pos;
    uint8_t head_hash[JK_HASH_SIZE], committed_hash[JK_HASH_SIZE];
    int64_t last_time, committed_time;
    zhashx_t *sources; /* source -> s_source_t (owned) */
    s_source_t *last;  /* the source looked up last (events come in runs) */
    /* Sources appended to in the open transaction (their staged seq is
       committed with it). */
    s_source_t **touched;
    size_t touched_count, touched_cap;
    uint64_t transaction; /* numbers the transactions: s_source_t.staged_in */
    uint64_t plan;        /* numbers the plans: s_source_t.planned_in */
    /* What the INSERT still has bound from the append before (bindings
       outlive sqlite3_reset): the columns that seldom change from one
       record to the next are bound again only when they change. */
    struct {
        bool valid;          /* the fields below are bound */
        bool no_code;        /* code and message are NULL */
        int64_t recorded_at; /* the same for a whole batch */
        uint32_t version;
        int outcome;
    } bound;
    bool in_transaction;
    bool writer_cache;     /* s_writer_cache ran */
    int wal_frames;        /* frames in the WAL at the last commit */
    bool wal_backfilled;   /* all of them checkpointed since */
    uint64_t wal_restarts; /* commits that wrote the WAL from its start */
    jk_tiles_t *tiles;     /* the Merkle tree, in the same transactions */
    bool tree_apart;       /* a follower keeps the tree (jk_log_tree_apart) */
    /* A failure the log found itself, not SQLite (0: none since the last
       begin): what jk_log_errcode and jk_log_errmsg tell. */
    int failure;
    char failure_msg[200];
};

/* A hash given to jk_log_append is checked in a build with assertions. */
#ifdef NDEBUG
#define S_CHECK_HASHED 0
#else
#define S_CHECK_HASHED 1
#endif

static int s_wal_hook (void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    jk_log_t *self = arg;
    /* Fewer frames than before: the commit restarted the WAL at its
       beginning (rewritten in place rather than grown). */
    if (frames < self->wal_frames)
        self->wal_restarts++;
    self->wal_frames = frames;
    self->wal_backfilled = false;
    return SQLITE_OK;
}

static int s_exec (sqlite3 *db, const char *sql, char *err, size_t err_size)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf (err, err_size, "%s", msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

static int s_user_version (sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) ==
            SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    return version;
}

/* Applies the log's missing migrations, each in its own transaction. */
static int s_migrate (sqlite3 *db, char *err, size_t err_size)
{
    int version = s_user_version (db);
    if (version < 0) {
        snprintf (err, err_size, "%s", sqlite3_errmsg (db));
        return -1;
    }
    if (version > S_MIGRATIONS) {
        snprintf (err, err_size,
                  "log schema version %d is newer than this program (%d)",
                  version, S_MIGRATIONS);
        return -1;
    }
    for (int i = version; i < S_MIGRATIONS; i++) {
        char sql[64];
        snprintf (sql, sizeof sql, "PRAGMA user_version = %d", i + 1);
        if (s_exec (db, "BEGIN IMMEDIATE", err, err_size))
            return -1;
        if (s_exec (db, s_migrations[i], err, err_size) ||
            s_exec (db, sql, err, err_size) ||
            s_exec (db, "COMMIT", err, err_size)) {
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return 0;
}

static void s_source_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

/* The entry of source, made (with nothing committed) when it has none. */
static s_source_t *s_source (jk_log_t *self, const char *source)
{
    s_source_t *entry = self->last;
    if (entry && strcmp (entry->name, source) == 0)
        return entry;
    entry = zhashx_lookup (self->sources, source);
    if (!entry) {
        size_t len = strlen (source);
        entry = jk_calloc (1, sizeof *entry + len + 1);
        memcpy (entry->name, source, len + 1);
        zhashx_insert (self->sources, source, entry);
    }
    self->last = entry;
    return entry;
}

/* The last seq of source in *seq (by the (source, seq) index). */
static int s_last_seq (sqlite3 *db, const char *source, uint64_t *seq)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (
        db, "SELECT max (seq) FROM log WHERE source = ?1", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
        rc = sqlite3_step (stmt);
        *seq = (uint64_t)sqlite3_column_int64 (stmt, 0);
        rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    sqlite3_finalize (stmt);
    return rc;
}

/* Loads the head and every source's next seq from the committed log. */
static int s_load (jk_log_t *self, char *err, size_t err_size)
{
    sqlite3_stmt *stmt = NULL;
    uint64_t next = 0;
    int rc = sqlite3_prepare_v2 (
        self->db,
        "SELECT pos, hash, recorded_at FROM log ORDER BY pos DESC LIMIT 1", -1,
        &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        self->head_pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
        if (sqlite3_column_bytes (stmt, 1) == JK_HASH_SIZE)
            memcpy (self->head_hash, sqlite3_column_blob (stmt, 1),
                    JK_HASH_SIZE);
        self->last_time = sqlite3_column_int64 (stmt, 2);
        rc = SQLITE_DONE;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE)
        goto fail;
    /* Each source's last seq by two seeks in the (source, seq) index (the
       next source after the one before, then its largest seq), not by a
       scan of the whole index: the time grows with the sources, not with
       the log. */
    sqlite3_stmt *after = NULL;
    rc = sqlite3_prepare_v2 (self->db,
                             "SELECT source FROM log ORDER BY source LIMIT 1",
                             -1, &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2 (self->db,
                                 "SELECT source FROM log WHERE source > ?1"
                                 " ORDER BY source LIMIT 1",
                                 -1, &after, NULL);
    char *source = NULL;
    while (rc == SQLITE_OK) {
        sqlite3_stmt *next_source = source ? after : stmt;
        if (source)
            sqlite3_bind_text (after, 1, source, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step (next_source);
        if (rc != SQLITE_ROW)
            break;
        free (source);
        source = jk_strdup ((const char *)sqlite3_column_text (next_source, 0));
        sqlite3_reset (next_source);
        rc = s_last_seq (self->db, source, &next);
        if (rc == SQLITE_OK)
            s_source (self, source)->next = next + 1;
    }
    free (source);
    sqlite3_finalize (stmt);
    sqlite3_finalize (after);
    if (rc != SQLITE_DONE)
        goto fail;
    self->committed_pos = self->head_pos;
    memcpy (self->committed_hash, self->head_hash, JK_HASH_SIZE);
    self->committed_time = self->last_time;
    return 0;
fail:
    snprintf (err, err_size, "%s", sqlite3_errmsg (self->db));
    return -1;
}

static int s_prepare (jk_log_t *self, const char *sql, sqlite3_stmt **stmt)
{
    return sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                               stmt, NULL) == SQLITE_OK
               ? 0
               : -1;
}

jk_log_t *jk_log_open (const char *path, int busy_timeout_ms, char *err,
                       size_t err_size)
{
    assert (path);
    jk_log_t *self = jk_calloc (1, sizeof *self);
    self->sources = zhashx_new ();
    zhashx_set_destructor (self->sources, s_source_free);
    self->chain = jk_chain_new ();
    self->plan = 1; /* no source's planned_in (0 when made) */

    struct stat st;
    bool created = stat (path, &st) != 0;
    /* umask keeps the file, its WAL and shm private from the first byte. */
    mode_t old_mask = umask (077);
    int rc = sqlite3_open_v2 (path, &self->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                  SQLITE_OPEN_NOMUTEX,
                              jk_vfs_wal ());
    umask (old_mask);
    if (rc != SQLITE_OK) {
        snprintf (err, err_size, "cannot open %s: %s", path,
                  self->db ? sqlite3_errmsg (self->db) : "out of memory");
        goto fail;
    }
    if (created)
        chmod (path, 0600);
    if (sqlite3_db_readonly (self->db, "main") == 1) {
        snprintf (err, err_size, "%s is read-only: the store must write it",
                  path);
        goto fail;
    }
    sqlite3_extended_result_codes (self->db, 1);
    sqlite3_busy_timeout (self->db,
                          busy_timeout_ms > 0 ? busy_timeout_ms : 5000);
    /* Another program's file (an outbox, a link's copy) is refused before
       anything is written to it. */
    if (jk_db_kind_check (self->db, path, JK_DB_LOG, err, err_size) != JK_OK)
        goto fail;
    /* Checkpoints are the store's to schedule (when idle), not SQLite's to
       run inside a commit: autocheckpoint off, then our own WAL hook. */
    if (s_exec (self->db,
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                "PRAGMA wal_autocheckpoint = 0; PRAGMA foreign_keys = OFF;",
                err, err_size))
        goto fail;
    /* 16 MiB while the log is opened and for a connection that loads a
       log in bulk through jk_log_db (rebuild's output: its index builds
       sort in runs of the cache's size); the writer's own cache is set
       at its first jk_log_begin (s_writer_cache). The hub's memory is
       the sum of the writer's, the projector's cache and the model
       (docs/PERFORMANCE.md). */
    if (s_exec (self->db, JK_LOG_CACHE_SQL, err, err_size))
        goto fail;
    sqlite3_wal_hook (self->db, s_wal_hook, self);
    if (s_migrate (self->db, err, err_size))
        goto fail;
    if (jk_db_kind_mark (self->db, JK_DB_LOG) != JK_OK) {
        snprintf (err, err_size, "%s: %s", path, sqlite3_errmsg (self->db));
        goto fail;
    }
    if (s_load (self, err, err_size))
        goto fail;
    self->tiles = jk_tiles_open (self->db, self->head_pos, err, err_size);
    if (!self->tiles)
        goto fail;
    /* No pos: SQLite gives the row the next rowid after the table's last
       (which is the head's, checked at every append), appending at the
       table's end without searching it for the position first. */
    if (s_prepare (self,
                   "INSERT INTO log (id, type, v, source, seq, at,"
                   " recorded_at, outcome, code, message, bytes, hash)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                   &self->insert) ||
        s_prepare (self,
                   "SELECT pos, type, v, source, seq, at, recorded_at,"
                   " outcome, code, message, bytes, hash FROM log"
                   " WHERE id = ?",
                   &self->find) ||
        s_prepare (self, "BEGIN IMMEDIATE", &self->begin) ||
        s_prepare (self, "COMMIT", &self->commit) ||
        s_prepare (self, "ROLLBACK", &self->rollback)) {
        snprintf (err, err_size, "%s", sqlite3_errmsg (self->db));
        goto fail;
    }
    return self;
fail:
    jk_log_close (&self);
    return NULL;
}

void jk_log_close (jk_log_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_log_t *self = *self_p;
    if (self->in_transaction)
        jk_log_rollback (self);
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->find);
    sqlite3_finalize (self->begin);
    sqlite3_finalize (self->commit);
    sqlite3_finalize (self->rollback);
    jk_tiles_destroy (&self->tiles);
    if (self->db)
        sqlite3_close (self->db);
    jk_chain_destroy (&self->chain);
    /* The writer's thread ends with its log: release OpenSSL's state for
       this thread now rather than rely on thread-exit hooks. */
    OPENSSL_thread_stop ();
    zhashx_destroy (&self->sources);
    free (self->touched);
    free (self);
    *self_p = NULL;
}

sqlite3 *jk_log_db (jk_log_t *self)
{
    return self->db;
}

const char *jk_log_errmsg (jk_log_t *self)
{
    return self->failure ? self->failure_msg : sqlite3_errmsg (self->db);
}

int jk_log_errcode (jk_log_t *self)
{
    return self->failure ? self->failure : sqlite3_extended_errcode (self->db);
}

uint64_t jk_log_head (jk_log_t *self, uint8_t hash[JK_HASH_SIZE])
{
    if (hash)
        memcpy (hash, self->head_hash, JK_HASH_SIZE);
    return self->head_pos;
}

int64_t jk_log_next_time (jk_log_t *self)
{
    int64_t now = jk_clock_now_ms ();
    return now > self->last_time ? now : self->last_time;
}

/* The next seq of entry, including the open transaction's appends. */
static uint64_t s_next_seq (jk_log_t *self, const s_source_t *entry)
{
    if (self->in_transaction && entry->staged_in == self->transaction)
        return entry->staged;
    return entry->next ? entry->next : 1;
}

/* The entry of source, or NULL when it has none (no entry is made for a
   source only asked about). */
static s_source_t *s_source_find (jk_log_t *self, const char *source)
{
    s_source_t *entry = self->last;
    if (!entry || strcmp (entry->name, source) != 0) {
        entry = zhashx_lookup (self->sources, source);
        if (entry)
            self->last = entry;
    }
    return entry;
}

uint64_t jk_log_next_seq (jk_log_t *self, const char *source)
{
    s_source_t *entry = s_source_find (self, source);
    return entry ? s_next_seq (self, entry) : 1;
}

uint64_t jk_log_plan_seq (jk_log_t *self, const char *source)
{
    s_source_t *entry = s_source_find (self, source);
    if (!entry)
        return 1;
    return entry->planned_in == self->plan ? entry->planned
                                           : s_next_seq (self, entry);
}

void jk_log_plan_take (jk_log_t *self, const char *source, uint64_t seq)
{
    s_source_t *entry = s_source (self, source);
    entry->planned_in = self->plan;
    entry->planned = seq + 1;
}

void jk_log_plan_reset (jk_log_t *self)
{
    self->plan++;
}

static int s_run (sqlite3_stmt *stmt)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? JK_OK : JK_IO;
}

/* The writer appends to the log and its indexes (decisions come from
   the in-memory model, the projections live in their own file). Ids are
   UUIDv7 (time-ordered) and each source's seqs grow, so an append
   touches the right edges of the table, of its id index and of the
   tiles, and one leaf a source in the (source, seq) index: 4 MiB holds
   those. Every page the cache grows by is a page fault (25 us on the
   machine of docs/PERFORMANCE.md, "The writer's page cache and the
   stage's slabs"); 16 MiB cost 4,096 of them as it filled. cache_spill
   keeps a transaction's pages in memory until its COMMIT up to 4,000
   pages (about 16 MB, some 20,000 of the workload's events; a batch is
   at most 1,000 in jejak-hub) rather than write some to the WAL early;
   the cache falls back to 4 MiB after it. (SQLite also reads the
   value's low byte as on/off: 4,096 would turn spilling off, and a
   transaction's pages would have no bound.) secure_delete off: a SQLite
   built with SQLITE_SECURE_DELETE (Debian's) zeroes every byte a page
   frees, which the appends' page splits and cell moves do all the time;
   the log deletes no record (the tiles' hashes, all it ever rewrites,
   are public), so there is nothing to wipe. Set once, before the first
   transaction (a failure leaves the connection as it was). */
static void s_writer_cache (jk_log_t *self)
{
    self->writer_cache = true;
    sqlite3_exec (self->db,
                  "PRAGMA cache_size = -4096; PRAGMA cache_spill = 4000;"
                  " PRAGMA secure_delete = OFF;",
                  NULL, NULL, NULL);
}

int jk_log_begin (jk_log_t *self)
{
    assert (!self->in_transaction);
    self->failure = 0;
    if (!self->writer_cache)
        s_writer_cache (self);
    if (s_run (self->begin) != JK_OK)
        return JK_IO;
    self->in_transaction = true;
    self->transaction++;
    self->touched_count = 0;
    return JK_OK;
}

/* Forgets what the open transaction staged in memory. */
static void s_unstage (jk_log_t *self)
{
    sqlite3_reset (self->find);
    /* The staged seqs belong to this transaction's number: never read
       again. */
    self->touched_count = 0;
    self->head_pos = self->committed_pos;
    memcpy (self->head_hash, self->committed_hash, JK_HASH_SIZE);
    self->last_time = self->committed_time;
    self->in_transaction = false;
    if (self->tiles)
        jk_tiles_rollback (self->tiles);
}

int jk_log_commit_write (jk_log_t *self)
{
    sqlite3_reset (self->find);
    return s_run (self->commit);
}

int jk_log_commit_end (jk_log_t *self, int written)
{
    assert (self->in_transaction);
    if (written != JK_OK) {
        jk_log_rollback (self);
        return JK_IO;
    }
    for (size_t i = 0; i < self->touched_count; i++)
        self->touched[i]->next = self->touched[i]->staged;
    self->touched_count = 0;
    self->committed_pos = self->head_pos;
    memcpy (self->committed_hash, self->head_hash, JK_HASH_SIZE);
    self->committed_time = self->last_time;
    self->in_transaction = false;
    jk_tiles_commit (self->tiles);
    return JK_OK;
}

int jk_log_commit (jk_log_t *self)
{
    return jk_log_commit_end (self, jk_log_commit_write (self));
}

void jk_log_rollback (jk_log_t *self)
{
    /* After a failed COMMIT SQLite may have rolled back already; a second
       ROLLBACK then fails harmlessly. */
    if (!sqlite3_get_autocommit (self->db))
        s_run (self->rollback);
    s_unstage (self);
}

int jk_log_append (jk_log_t *self, jk_log_record_t *record)
{
    assert (self->in_transaction);
    assert (record->recorded_at >= self->last_time);
    s_source_t *source = s_source (self, record->source);
    assert (record->seq == s_next_seq (self, source));
    uint64_t pos = self->head_pos + 1;
    uint8_t hash[JK_HASH_SIZE];
    bool rejected = record->outcome == JK_LOG_REJECTED;
    if (!record->hashed || S_CHECK_HASHED)
        jk_chain_step (self->chain, self->head_hash, pos, record->recorded_at,
                       record->outcome, rejected ? record->code : NULL,
                       rejected ? record->message : NULL, record->bytes,
                       record->size, hash);
    if (record->hashed) {
        assert (memcmp (hash, record->hash, JK_HASH_SIZE) == 0);
        memcpy (hash, record->hash, JK_HASH_SIZE);
    }
    sqlite3_stmt *s = self->insert;
    sqlite3_bind_blob (s, 1, record->id, 16, SQLITE_STATIC);
    sqlite3_bind_text (s, 2, record->type ? record->type : "", -1,
                       SQLITE_STATIC);
    if (!self->bound.valid || self->bound.version != record->version)
        sqlite3_bind_int64 (s, 3, record->version);
    sqlite3_bind_text (s, 4, record->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 5, (sqlite3_int64)record->seq);
    sqlite3_bind_int64 (s, 6, record->at);
    if (!self->bound.valid || self->bound.recorded_at != record->recorded_at)
        sqlite3_bind_int64 (s, 7, record->recorded_at);
    if (!self->bound.valid || self->bound.outcome != record->outcome)
        sqlite3_bind_int (s, 8, record->outcome);
    if (rejected) {
        sqlite3_bind_text (s, 9, record->code ? record->code : "", -1,
                           SQLITE_STATIC);
        sqlite3_bind_text (s, 10, record->message ? record->message : "", -1,
                           SQLITE_STATIC);
    } else if (!self->bound.valid || !self->bound.no_code) {
        sqlite3_bind_null (s, 9);
        sqlite3_bind_null (s, 10);
    }
    sqlite3_bind_blob (s, 11, record->bytes, (int)record->size, SQLITE_STATIC);
    sqlite3_bind_blob (s, 12, hash, JK_HASH_SIZE, SQLITE_STATIC);
    self->bound.valid = true;
    self->bound.no_code = !rejected;
    self->bound.version = record->version;
    self->bound.recorded_at = record->recorded_at;
    self->bound.outcome = record->outcome;
    int rc = sqlite3_step (s);
    bool taken = rc != SQLITE_DONE && sqlite3_extended_errcode (self->db) ==
                                          SQLITE_CONSTRAINT_UNIQUE;
    /* The bindings stay for the next append (no sqlite3_clear_bindings):
       every pointer bound SQLITE_STATIC (id, type, source, bytes, hash;
       code and message of a rejection) is bound again by each append
       that steps with it. */
    sqlite3_reset (s);
    if (rc != SQLITE_DONE)
        return taken ? JK_CONFLICT : JK_IO;
    /* The rowid SQLite chose is the position hashed, or the table is not
       the log this connection loaded (the transaction then rolls back,
       and the log says it is corrupt: the store stops writing). */
    sqlite3_int64 rowid = sqlite3_last_insert_rowid (self->db);
    if ((uint64_t)rowid != pos) {
        self->failure = SQLITE_CORRUPT;
        snprintf (self->failure_msg, sizeof self->failure_msg,
                  "the log's next row took position %lld, not the head's "
                  "next %llu: a row was written to the log behind the "
                  "store's back",
                  (long long)rowid, (unsigned long long)pos);
        return JK_IO;
    }
    if (!self->tree_apart) {
        uint8_t leaf[JK_HASH_SIZE];
        jk_mhash_record (jk_tiles_hasher (self->tiles), pos,
                         record->recorded_at, record->outcome,
                         rejected ? record->code : NULL,
                         rejected ? record->message : NULL, record->bytes,
                         record->size, leaf);
        if (jk_tiles_append (self->tiles, leaf) != JK_OK)
            return JK_IO;
    }
    record->pos = pos;
    memcpy (record->hash, hash, JK_HASH_SIZE);
    self->head_pos = pos;
    memcpy (self->head_hash, hash, JK_HASH_SIZE);
    self->last_time = record->recorded_at;
    if (source->staged_in != self->transaction) {
        source->staged_in = self->transaction;
        if (self->touched_count == self->touched_cap) {
            self->touched_cap = self->touched_cap ? 2 * self->touched_cap : 16;
            self->touched = jk_realloc (
                self->touched, self->touched_cap * sizeof *self->touched);
        }
        self->touched[self->touched_count++] = source;
    }
    source->staged = record->seq + 1;
    return JK_OK;
}

int jk_log_find (jk_log_t *self, const uint8_t id[16], jk_log_record_t *record)
{
    sqlite3_stmt *s = self->find;
    sqlite3_reset (s);
    sqlite3_bind_blob (s, 1, id, 16, SQLITE_STATIC);
    int rc = sqlite3_step (s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset (s);
        return JK_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset (s);
        return JK_IO;
    }
    /* The row stays readable until the next call resets the statement. */
    memset (record, 0, sizeof *record);
    memcpy (record->id, id, 16);
    record->pos = (uint64_t)sqlite3_column_int64 (s, 0);
    record->type = (const char *)sqlite3_column_text (s, 1);
    record->version = (uint32_t)sqlite3_column_int64 (s, 2);
    record->source = (const char *)sqlite3_column_text (s, 3);
    record->seq = (uint64_t)sqlite3_column_int64 (s, 4);
    record->at = sqlite3_column_int64 (s, 5);
    record->recorded_at = sqlite3_column_int64 (s, 6);
    record->outcome = sqlite3_column_int (s, 7);
    record->code = (const char *)sqlite3_column_text (s, 8);
    record->message = (const char *)sqlite3_column_text (s, 9);
    record->bytes = sqlite3_column_blob (s, 10);
    record->size = (size_t)sqlite3_column_bytes (s, 10);
    if (sqlite3_column_bytes (s, 11) == JK_HASH_SIZE)
        memcpy (record->hash, sqlite3_column_blob (s, 11), JK_HASH_SIZE);
    return JK_OK;
}

int jk_log_checkpoint (jk_log_t *self)
{
    int frames = jk_log_wal_frames (self);
    if (self->in_transaction)
        return frames;
    int log_frames = 0, done = 0;
    if (sqlite3_wal_checkpoint_v2 (self->db, "main", SQLITE_CHECKPOINT_PASSIVE,
                                   &log_frames, &done) == SQLITE_OK &&
        done == log_frames)
        self->wal_backfilled = true;
    return frames;
}

jk_tiles_t *jk_log_tiles (jk_log_t *self)
{
    return self->tiles;
}

void jk_log_tree_apart (jk_log_t *self)
{
    assert (!self->in_transaction);
    self->tree_apart = true;
}

int jk_log_put_tile (jk_log_t *self, int level, uint64_t idx,
                     const uint8_t *hashes, uint32_t width)
{
    assert (self->in_transaction && self->tree_apart);
    return jk_tiles_put (self->tiles, level, idx, hashes, width);
}

int jk_log_wal_frames (jk_log_t *self)
{
    return self->wal_backfilled ? 0 : self->wal_frames;
}

void jk_log_wal_stats (jk_log_t *self, int *frames, uint64_t *restarts)
{
    *frames = self->wal_frames;
    *restarts = self->wal_restarts;
}
