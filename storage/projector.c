/* Whole at ~730 lines: one thread's class and the hand-over it takes. */
/*  projector.c - the projections behind the ack (jk_projector.h): their
    own database file beside the log, caught up from the committed log in
    position order through the one apply path (jk_record_prepare and
    jk_record_apply_prepared; the accepted records the writer hands over
    decoded skip the first half), with the position in the same
    transaction: from the writer's hand-offs where they hold the next
    position, without reading the log, else from the log; and the thread
    the store runs it on. */
#include "jk_projector.h"
#include "jk_dbkind.h"
#include "jk_fault.h"
#include "jk_integrity.h"
#include "jk_record_apply.h"
#include "jk_vfs.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG          "projector"
#define S_LIVE_MAX   2000  /* records per transaction */
#define S_LAG_MAX    8000  /* ... while JK_HANDOFF_MAX or more behind */
#define S_IDLE_MS    100   /* look at the log this often when not woken */
#define S_STILL_MS   10000 /* a release bound standing this long is lifted */
#define S_FAULT_EXIT 87
/* The projections' WAL is checkpointed by the projector itself, never
   inside a commit: after a commit that leaves it at this many frames or
   more (about 4 MiB of 4 KiB pages), and when no record came for
   S_IDLE_MS. Larger checkpoints sync more of the projections at once,
   and the log's commits on the same disk wait behind that sync: at
   4,096 frames the writer's ack p99 under paced ingest rose from about
   2.7 to 7-8 ms (bench_latency). */
#define S_WAL_FRAMES 1000

/* The projector's own row: where the tables stand. Not a projection
   table (not in the canonical dump): a rebuild has none. */
#define S_DDL                                                                  \
    "CREATE TABLE IF NOT EXISTS projector (id INTEGER PRIMARY KEY"             \
    " CHECK (id = 1), pos INTEGER NOT NULL, hash BLOB NOT NULL);"              \
    "INSERT OR IGNORE INTO projector VALUES (1, 0, zeroblob (32));"

struct jk_projector_s {
    char *path;            /* the projections' file */
    char *log_path;        /* the log's file */
    sqlite3 *db;           /* projections, read-write */
    sqlite3 *log;          /* the log, read-only */
    jk_projections_t *p;   /* prepared on db, deferred counters */
    sqlite3_stmt *rows;    /* log records after a position */
    sqlite3_stmt *set_pos; /* UPDATE projector */
    uint64_t pos;          /* committed position */
    uint8_t hash[32];      /* log hash at pos */
    int64_t at;            /* recorded_at at pos */
    uint64_t read;         /* records read from the log since the start */
    jk_projections_config_t config;
    int fault;      /* 1: crash_in_projector */
    int wal_frames; /* in the projections' WAL not yet checkpointed */
    int wal_limit;  /* checkpoint after a commit at this many */
    /* Set by jk_projector_start: the writer's hand-offs, and those taken
       from there, oldest first. */
    jk_projector_shared_t *shared;
    jk_handoff_t *handed;
    uint64_t until; /* apply no record beyond this (UINT64_MAX: no bound) */
    /* A step's rows, copied out of the log (s_rows_read). */
    struct s_row_s *row;
    size_t row_cap;
    char *buf;
    size_t buf_len, buf_cap;
};

/* ---- records handed over --------------------------------------------------
 */

typedef struct {
    uint64_t pos;
    int64_t recorded_at;
    uint8_t hash[32];
    bool rejected;
    char *code, *message; /* a rejection's (heap), else NULL */
    const uint8_t *bytes; /* as logged, in what the hand-off keeps */
    size_t size;
    jk_event_t *event;     /* NULL: decoded from bytes by the projector */
    jk_report_t *warnings; /* NULL: none */
} s_handed_t;

struct jk_handoff_s {
    jk_handoff_t *next; /* in a queue */
    s_handed_t *item;
    size_t count, cap;
    size_t taken; /* items before this one are applied or passed */
    struct {
        void *owner;
        void (*release) (void *owner);
    } * kept;
    size_t kept_count, kept_cap;
};

/* Spare hand-offs, their arrays kept: the writer makes one per batch and
   the projector lets go of it on its own thread, so without them every
   batch's item array grew afresh by reallocation in the writer's heap
   and was freed from the projector's (about 1,200 of the writer's page
   faults per 100,000 records, docs/PERFORMANCE.md). Process-wide (the
   hand-off's API names no store), at most S_SPARE_MAX, none with room
   for more than S_SPARE_ITEMS records (a batch of the default 1,000
   fits). */
#define S_SPARE_MAX   8
#define S_SPARE_ITEMS 4096
static pthread_mutex_t s_spare_lock = PTHREAD_MUTEX_INITIALIZER;
static jk_handoff_t *s_spare; /* linked through next */
static size_t s_spare_count;

jk_handoff_t *jk_handoff_new (void)
{
    pthread_mutex_lock (&s_spare_lock);
    jk_handoff_t *self = s_spare;
    if (self) {
        s_spare = self->next;
        s_spare_count--;
    }
    pthread_mutex_unlock (&s_spare_lock);
    if (!self)
        return jk_calloc (1, sizeof (jk_handoff_t));
    self->next = NULL;
    return self;
}

/* At exit: the spares freed (for leak checkers). */
__attribute__ ((destructor)) static void s_spare_free (void)
{
    pthread_mutex_lock (&s_spare_lock);
    while (s_spare) {
        jk_handoff_t *next = s_spare->next;
        free (s_spare->item);
        free (s_spare->kept);
        free (s_spare);
        s_spare = next;
    }
    s_spare_count = 0;
    pthread_mutex_unlock (&s_spare_lock);
}

void jk_handoff_destroy (jk_handoff_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_handoff_t *self = *self_p;
    *self_p = NULL;
    for (size_t i = 0; i < self->count; i++) {
        jk_event_destroy (&self->item[i].event);
        free (self->item[i].warnings);
        free (self->item[i].code);
        free (self->item[i].message);
    }
    for (size_t i = 0; i < self->kept_count; i++)
        self->kept[i].release (self->kept[i].owner);
    self->count = self->taken = self->kept_count = 0;
    if (self->cap <= S_SPARE_ITEMS) {
        pthread_mutex_lock (&s_spare_lock);
        bool kept = s_spare_count < S_SPARE_MAX;
        if (kept) {
            self->next = s_spare;
            s_spare = self;
            s_spare_count++;
        }
        pthread_mutex_unlock (&s_spare_lock);
        if (kept)
            return;
    }
    free (self->item);
    free (self->kept);
    free (self);
}

void jk_handoff_add (jk_handoff_t *self, const jk_stored_t *stored,
                     jk_event_t **event_p, jk_report_t **warnings_p)
{
    assert (self && stored && stored->hash);
    if (self->count == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 64;
        self->item = jk_realloc (self->item, self->cap * sizeof *self->item);
    }
    s_handed_t *it = &self->item[self->count++];
    *it = (s_handed_t){.pos = stored->pos,
                       .recorded_at = stored->recorded_at,
                       .rejected = stored->rejected,
                       .bytes = stored->bytes,
                       .size = stored->size};
    memcpy (it->hash, stored->hash, 32);
    if (stored->rejected) {
        it->code = stored->code ? jk_strdup (stored->code) : NULL;
        it->message = stored->message ? jk_strdup (stored->message) : NULL;
    } else if (event_p && *event_p) {
        it->event = *event_p;
        *event_p = NULL;
        if (warnings_p) {
            it->warnings = *warnings_p;
            *warnings_p = NULL;
        }
    }
}

void jk_handoff_keep (jk_handoff_t *self, void *owner,
                      void (*release) (void *owner))
{
    assert (self && release);
    if (!owner)
        return;
    if (self->kept_count == self->kept_cap) {
        self->kept_cap = self->kept_cap ? 2 * self->kept_cap : 8;
        self->kept =
            jk_realloc (self->kept, self->kept_cap * sizeof *self->kept);
    }
    self->kept[self->kept_count].owner = owner;
    self->kept[self->kept_count].release = release;
    self->kept_count++;
}

size_t jk_handoff_size (const jk_handoff_t *self)
{
    return self->count;
}

void jk_projector_offer (jk_projector_shared_t *shared,
                         jk_handoff_t **handoff_p)
{
    assert (shared && handoff_p);
    jk_handoff_t *h = *handoff_p;
    *handoff_p = NULL;
    if (!h)
        return;
    size_t handed = __atomic_load_n (&shared->handed, __ATOMIC_ACQUIRE);
    if (h->count == 0 || handed + h->count > JK_HANDOFF_MAX) {
        jk_handoff_destroy (&h);
        return;
    }
    __atomic_add_fetch (&shared->handed, h->count, __ATOMIC_RELAXED);
    h->next = __atomic_load_n (&shared->handoffs, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n (&shared->handoffs, &h->next, h, true,
                                         __ATOMIC_RELEASE, __ATOMIC_RELAXED))
        ;
}

/* Frees a hand-off taken from shared's queue. */
static void s_handoff_release (jk_projector_shared_t *shared, jk_handoff_t *h)
{
    __atomic_sub_fetch (&shared->handed, h->count, __ATOMIC_RELEASE);
    jk_handoff_destroy (&h);
}

void jk_projector_offers_drop (jk_projector_shared_t *shared)
{
    jk_handoff_t *h =
        __atomic_exchange_n (&shared->handoffs, NULL, __ATOMIC_ACQUIRE);
    while (h) {
        jk_handoff_t *next = h->next;
        s_handoff_release (shared, h);
        h = next;
    }
}

/* Takes the writer's queued hand-offs behind those already taken. */
static void s_handed_pull (jk_projector_t *self)
{
    if (!self->shared)
        return;
    jk_handoff_t *h =
        __atomic_exchange_n (&self->shared->handoffs, NULL, __ATOMIC_ACQUIRE);
    jk_handoff_t *oldest = NULL; /* the queue is newest first */
    while (h) {
        jk_handoff_t *next = h->next;
        h->next = oldest;
        oldest = h;
        h = next;
    }
    jk_handoff_t **tail = &self->handed;
    while (*tail)
        tail = &(*tail)->next;
    *tail = oldest;
}

/* The first handed record at pos or after, not taken (it is the first
   hand-off's next one), or NULL when none is left; the record before
   pos has recorded_at at. Records before pos are passed, hand-offs
   wholly passed are freed: the record taken last is applied before the
   next call. A record at pos recorded before at does not continue the
   log (time never decreases along it): the rest of its hand-off is
   passed, and the log is read in its place. */
static s_handed_t *s_handed_first (jk_projector_t *self, uint64_t pos,
                                   int64_t at)
{
    while (self->handed) {
        jk_handoff_t *h = self->handed;
        while (h->taken < h->count && h->item[h->taken].pos < pos)
            h->taken++;
        if (h->taken < h->count && h->item[h->taken].pos == pos &&
            h->item[h->taken].recorded_at < at) {
            jk_warn (LOG,
                     "handed records from position %llu are recorded before "
                     "the one before them: read from the log instead",
                     (unsigned long long)pos);
            h->taken = h->count;
        }
        if (h->taken == h->count) {
            self->handed = h->next;
            s_handoff_release (self->shared, h);
            continue;
        }
        return &h->item[h->taken];
    }
    return NULL;
}

/* Takes the handed record s_handed_first gave: stored points into it,
   and prepared holds its event and warnings as jk_record_prepare would
   have made them (false: it holds no event, so prepared is not set:
   the bytes are decoded as the log's would be). */
static bool s_handed_take (jk_projector_t *self, s_handed_t *it,
                           jk_stored_t *stored, jk_record_prepared_t *prepared)
{
    assert (self->handed && it == &self->handed->item[self->handed->taken]);
    self->handed->taken++;
    *stored = (jk_stored_t){.pos = it->pos,
                            .recorded_at = it->recorded_at,
                            .hash = it->hash,
                            .rejected = it->rejected,
                            .code = it->code,
                            .message = it->message,
                            .bytes = it->bytes,
                            .size = it->size};
    if (!it->event)
        return false;
    prepared->event = it->event;
    it->event = NULL;
    if (it->warnings)
        prepared->report = *it->warnings;
    else
        jk_report_reset (&prepared->report);
    return true;
}

/* Frees every hand-off taken. */
static void s_handed_clear (jk_projector_t *self)
{
    while (self->handed) {
        jk_handoff_t *h = self->handed;
        self->handed = h->next;
        s_handoff_release (self->shared, h);
    }
}

char *jk_projections_path (const char *log_path)
{
    return jk_sprintf ("%s-projections", log_path);
}

/* A path as an SQLite URI path: unreserved bytes as they are, every
   other one %XX. Heap string. */
static char *s_uri (const char *path)
{
    size_t n = strlen (path);
    char *out = jk_malloc (3 * n + 32);
    char *p = out + sprintf (out, "file:");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr ("/._-~", c))
            *p++ = (char)c;
        else
            p += sprintf (p, "%%%02X", c);
    }
    sprintf (p, "?mode=ro");
    return out;
}

int jk_projections_attach (sqlite3 *db, const char *log_path, char *err,
                           size_t err_size)
{
    char *path = jk_projections_path (log_path);
    struct stat st;
    if (stat (path, &st) != 0) {
        free (path);
        return 1;
    }
    char *uri = s_uri (path);
    char *sql = sqlite3_mprintf ("ATTACH %Q AS proj", uri);
    char *msg = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &msg);
    sqlite3_free (sql);
    free (uri);
    if (rc != SQLITE_OK)
        snprintf (err, err_size, "cannot open %s: %s", path,
                  msg ? msg : sqlite3_errmsg (db));
    sqlite3_free (msg);
    free (path);
    return rc == SQLITE_OK ? 0 : -1;
}

sqlite3 *jk_projections_open_read (const char *log_path, char *err,
                                   size_t err_size)
{
    sqlite3 *db = NULL;
    struct stat st;
    if (stat (log_path, &st) != 0) {
        snprintf (err, err_size, "cannot open %s: no such file", log_path);
        return NULL;
    }
    if (sqlite3_open_v2 (log_path, &db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
                             SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot open %s: %s", log_path,
                  db ? sqlite3_errmsg (db) : "out of memory");
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    if (jk_projections_attach (db, log_path, err, err_size) < 0) {
        sqlite3_close (db);
        return NULL;
    }
    return db;
}

/* The log's hash at pos on db (zeros when absent). */
static void s_log_hash (sqlite3 *db, uint64_t pos, uint8_t hash[32])
{
    memset (hash, 0, 32);
    sqlite3_stmt *st = NULL;
    if (pos > 0 &&
        sqlite3_prepare_v2 (db, "SELECT hash FROM log WHERE pos = ?1", -1, &st,
                            NULL) == SQLITE_OK) {
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)pos);
        if (sqlite3_step (st) == SQLITE_ROW &&
            sqlite3_column_bytes (st, 0) == 32)
            memcpy (hash, sqlite3_column_blob (st, 0), 32);
    }
    sqlite3_finalize (st);
}

int jk_projections_position (sqlite3 *db, uint64_t *pos,
                             uint8_t hash[JK_HASH_SIZE])
{
    *pos = 0;
    memset (hash, 0, JK_HASH_SIZE);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT pos, hash FROM projector", -1, &st,
                            NULL) == SQLITE_OK) {
        int rc = sqlite3_step (st);
        if (rc == SQLITE_ROW) {
            *pos = (uint64_t)sqlite3_column_int64 (st, 0);
            if (sqlite3_column_bytes (st, 1) == JK_HASH_SIZE)
                memcpy (hash, sqlite3_column_blob (st, 1), JK_HASH_SIZE);
        }
        sqlite3_finalize (st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? JK_OK : JK_IO;
    }
    sqlite3_finalize (st);
    /* No projector row: the file holds log and projections together. */
    int64_t last = jk_projections_last_pos (db);
    if (last < 0)
        return JK_IO;
    *pos = (uint64_t)last;
    s_log_hash (db, *pos, hash);
    return JK_OK;
}

/* ---- the projector --------------------------------------------------------
 */

static int s_exec (sqlite3 *db, const char *sql, char *err, size_t err_size)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf (err, err_size, "%s", msg ? msg : sqlite3_errmsg (db));
    sqlite3_free (msg);
    return -1;
}

static void s_close_db (jk_projector_t *self)
{
    if (self->p)
        jk_projections_discard (self->p);
    jk_projections_destroy (&self->p);
    sqlite3_finalize (self->set_pos);
    self->set_pos = NULL;
    if (self->db)
        sqlite3_close (self->db);
    self->db = NULL;
}

/* After each commit of the projections: the frames its WAL holds. */
static int s_wal_hook (void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((jk_projector_t *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

/* Opens the projections' file and checks it; 0, or -1 with why in err
   (the caller then removes it and tries once more), or -2 when it is
   another program's file (kept, and refused). */
static int s_open_db (jk_projector_t *self, uint64_t log_head, char *err,
                      size_t err_size)
{
    mode_t old_mask = umask (077);
    int rc = sqlite3_open_v2 (self->path, &self->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                  SQLITE_OPEN_NOMUTEX,
                              jk_vfs_wal ());
    umask (old_mask);
    if (rc != SQLITE_OK) {
        snprintf (err, err_size, "%s",
                  self->db ? sqlite3_errmsg (self->db) : "out of memory");
        return -1;
    }
    sqlite3_extended_result_codes (self->db, 1);
    sqlite3_busy_timeout (self->db, 5000);
    /* A file of another kind at this path is not the projections' to
       remove; a damaged or unreadable one is (JK_IO below). */
    if (jk_db_kind_check (self->db, self->path, JK_DB_PROJECTIONS, err,
                          err_size) == JK_CONFLICT)
        return -2;
    if (s_exec (self->db,
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                /* 32 MiB: with the log's 16 and the model's 16 the hub
                   stays within 128 MB (docs/PERFORMANCE.md). */
                "PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;"
                /* jk_projector_checkpoint, off the commits */
                "PRAGMA wal_autocheckpoint = 0;",
                err, err_size))
        return -1;
    sqlite3_wal_hook (self->db, s_wal_hook, self);
    /* SQLite's check of the whole file runs behind the store's start
       (jk_db_check_start); here only what the open reads. */
    if (jk_projections_migrate (self->db, err, err_size) ||
        s_exec (self->db, S_DDL, err, err_size))
        return -1;
    if (jk_db_kind_mark (self->db, JK_DB_PROJECTIONS) != JK_OK) {
        snprintf (err, err_size, "%s", sqlite3_errmsg (self->db));
        return -1;
    }
    self->p = jk_projections_new (self->db, &self->config, err, err_size);
    if (!self->p)
        return -1;
    jk_projections_set_deferred (self->p, true);
    if (sqlite3_prepare_v3 (self->db,
                            "UPDATE projector SET pos = ?1, hash = ?2"
                            " WHERE id = 1",
                            -1, SQLITE_PREPARE_PERSISTENT, &self->set_pos,
                            NULL) != SQLITE_OK ||
        jk_projections_position (self->db, &self->pos, self->hash) != JK_OK) {
        snprintf (err, err_size, "%s", sqlite3_errmsg (self->db));
        return -1;
    }
    if (self->pos > log_head) {
        snprintf (err, err_size,
                  "the projections stand at position %llu, beyond the log's "
                  "head %llu (the log was restored or replaced)",
                  (unsigned long long)self->pos, (unsigned long long)log_head);
        return -1;
    }
    uint8_t hash[32];
    s_log_hash (self->log, self->pos, hash);
    if (memcmp (hash, self->hash, 32) != 0) {
        snprintf (err, err_size,
                  "the projections were made from another log (hash at "
                  "position %llu differs)",
                  (unsigned long long)self->pos);
        return -1;
    }
    return 0;
}

jk_projector_t *jk_projector_new (const char *log_path,
                                  const jk_projections_config_t *config,
                                  char *err, size_t err_size)
{
    assert (log_path);
    jk_projector_t *self = jk_calloc (1, sizeof *self);
    self->log_path = jk_strdup (log_path);
    self->path = jk_projections_path (log_path);
    self->until = UINT64_MAX;
    self->wal_limit = S_WAL_FRAMES;
    if (config)
        self->config = *config;
    if (sqlite3_open_v2 (log_path, &self->log,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot open the log %s: %s", log_path,
                  self->log ? sqlite3_errmsg (self->log) : "out of memory");
        jk_projector_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->log, 5000);
    sqlite3_exec (self->log, "PRAGMA mmap_size = 268435456", NULL, NULL, NULL);
    if (sqlite3_prepare_v3 (self->log,
                            "SELECT pos, recorded_at, outcome, code, message,"
                            " bytes, hash FROM log WHERE pos > ?1"
                            " AND pos <= ?3 ORDER BY pos LIMIT ?2",
                            -1, SQLITE_PREPARE_PERSISTENT, &self->rows,
                            NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot read the log %s: %s", log_path,
                  sqlite3_errmsg (self->log));
        jk_projector_destroy (&self);
        return NULL;
    }
    uint64_t head = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->log, "SELECT max (pos) FROM log", -1, &st,
                            NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        head = (uint64_t)sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);

    char why[512];
    int opened = s_open_db (self, head, why, sizeof why);
    if (opened == -2) {
        snprintf (err, err_size, "%s", why);
        jk_projector_destroy (&self);
        return NULL;
    }
    if (opened) {
        jk_warn (LOG,
                 "the projections in %s cannot be used (%s): rebuilding "
                 "them from the log",
                 self->path, why);
        s_close_db (self);
        jk_db_remove (self->path);
        if (s_open_db (self, head, why, sizeof why)) {
            snprintf (err, err_size, "cannot make the projections %s: %s",
                      self->path, why);
            jk_projector_destroy (&self);
            return NULL;
        }
    }
    self->fault =
        jk_fault_from_env (LOG) == JK_FAULT_CRASH_IN_PROJECTOR ? 1 : 0;
    return self;
}

void jk_projector_destroy (jk_projector_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_projector_t *self = *self_p;
    s_close_db (self);
    s_handed_clear (self);
    free (self->row);
    free (self->buf);
    sqlite3_finalize (self->rows);
    if (self->log)
        sqlite3_close (self->log);
    free (self->path);
    free (self->log_path);
    free (self);
    *self_p = NULL;
}

uint64_t jk_projector_pos (jk_projector_t *self)
{
    return self->pos;
}

uint64_t jk_projector_read (jk_projector_t *self)
{
    return self->read;
}

sqlite3 *jk_projector_db (jk_projector_t *self)
{
    return self->db;
}

int jk_projector_wal_frames (jk_projector_t *self)
{
    return self->wal_frames;
}

void jk_projector_set_wal_limit (jk_projector_t *self, int frames)
{
    assert (frames > 0);
    self->wal_limit = frames;
}

int jk_projector_checkpoint (jk_projector_t *self)
{
    if (!self->db || self->wal_frames == 0)
        return JK_OK;
    int frames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2 (
        self->db, "main", SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    if (rc != SQLITE_OK) {
        jk_warn (LOG, "checkpoint of the projections failed: %s",
                 sqlite3_errmsg (self->db));
        return JK_IO;
    }
    /* All copied: the next commit writes the WAL from its beginning. A
       reader in the way leaves the rest to the next call. */
    if (copied == frames)
        self->wal_frames = 0;
    return JK_OK;
}

/* One log row of a step, copied out of the log's read transaction (which
   ends before the apply, so it never keeps the writer's WAL from being
   checkpointed and rewritten from its start: docs/ARCHITECTURE.md, "The
   log's WAL"): its text and bytes at offsets into the step's buffer. */
typedef struct s_row_s {
    uint64_t pos;
    int64_t recorded_at;
    bool rejected;
    bool has_hash;
    uint8_t hash[32];
    size_t code, message; /* offsets, or SIZE_MAX for NULL */
    size_t bytes, size;
} s_row_t;

/* Copies n bytes to the step's buffer; returns their offset. */
static size_t s_buf_put (jk_projector_t *self, const void *data, size_t n)
{
    if (self->buf_len + n + 1 > self->buf_cap) {
        while (self->buf_len + n + 1 > self->buf_cap)
            self->buf_cap = self->buf_cap ? 2 * self->buf_cap : 1 << 20;
        self->buf = jk_realloc (self->buf, self->buf_cap);
    }
    size_t at = self->buf_len;
    if (n > 0)
        memcpy (self->buf + at, data, n);
    self->buf[at + n] = 0;
    self->buf_len += n + 1;
    return at;
}

/* A text column of st copied to the buffer: its offset, or SIZE_MAX for
   NULL. */
static size_t s_buf_text (jk_projector_t *self, sqlite3_stmt *st, int column)
{
    const unsigned char *text = sqlite3_column_text (st, column);
    return text ? s_buf_put (self, text,
                             (size_t)sqlite3_column_bytes (st, column))
                : SIZE_MAX;
}

/* Reads up to max rows after self->pos (and not beyond until) into
   self->row and the buffer, whole, in one short read transaction of the
   log. Returns the rows read, or -1 with err. */
static int64_t s_rows_read (jk_projector_t *self, size_t max, char *err,
                            size_t err_size)
{
    self->buf_len = 0;
    if (sqlite3_exec (self->log, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "reading the log: %s",
                  sqlite3_errmsg (self->log));
        return -1;
    }
    sqlite3_stmt *st = self->rows;
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)self->pos);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)max);
    sqlite3_bind_int64 (st, 3,
                        self->until < INT64_MAX ? (sqlite3_int64)self->until
                                                : INT64_MAX);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        if (n == self->row_cap) {
            self->row_cap = self->row_cap ? 2 * self->row_cap : 256;
            self->row =
                jk_realloc (self->row, self->row_cap * sizeof *self->row);
        }
        s_row_t *row = &self->row[n++];
        row->pos = (uint64_t)sqlite3_column_int64 (st, 0);
        row->recorded_at = sqlite3_column_int64 (st, 1);
        row->rejected = sqlite3_column_int (st, 2) == JK_LOG_REJECTED;
        row->code = s_buf_text (self, st, 3);
        row->message = s_buf_text (self, st, 4);
        row->size = (size_t)sqlite3_column_bytes (st, 5);
        row->bytes = s_buf_put (self, sqlite3_column_blob (st, 5), row->size);
        row->has_hash = sqlite3_column_bytes (st, 6) == 32;
        if (row->has_hash)
            memcpy (row->hash, sqlite3_column_blob (st, 6), 32);
    }
    sqlite3_reset (st);
    int status = JK_OK;
    if (rc != SQLITE_DONE) {
        snprintf (err, err_size, "reading the log: %s",
                  sqlite3_errmsg (self->log));
        status = JK_IO;
    }
    sqlite3_exec (self->log, "COMMIT", NULL, NULL, NULL);
    return status == JK_OK ? (int64_t)n : -1;
}

/* The fields of a row read by s_rows_read, its strings and bytes in the
   step's buffer. */
static void s_row_stored (jk_projector_t *self, const s_row_t *row,
                          jk_stored_t *stored)
{
    const char *buf = self->buf;
    *stored = (jk_stored_t){
        .pos = row->pos,
        .recorded_at = row->recorded_at,
        .rejected = row->rejected,
        .code = row->code == SIZE_MAX ? NULL : buf + row->code,
        .message = row->message == SIZE_MAX ? NULL : buf + row->message,
        .bytes = (const uint8_t *)buf + row->bytes,
        .size = row->size,
        .hash = row->has_hash ? row->hash : NULL};
}

/* Where a step's records come from: the hand-offs, when they hold the
   next position, or the log, read up to the next position they hold. */
typedef struct {
    bool handed;
    int64_t rows; /* read from the log */
    int64_t next; /* the next row to apply */
} s_source_t;

/* The next record of the step after position after (recorded_at at) into
   *stored and, when it comes decoded, *prepared (*decoded). False when
   the step has no more: the hand-offs stop there (a gap, or beyond the
   release bound), or every row read is applied. */
static bool s_next (jk_projector_t *self, s_source_t *source, uint64_t after,
                    int64_t at, jk_stored_t *stored,
                    jk_record_prepared_t *prepared, bool *decoded)
{
    *decoded = false;
    if (source->handed) {
        s_handed_t *it = s_handed_first (self, after + 1, at);
        if (!it || it->pos != after + 1 || it->pos > self->until)
            return false;
        *decoded = s_handed_take (self, it, stored, prepared);
        return true;
    }
    if (source->next == source->rows)
        return false;
    s_row_stored (self, &self->row[source->next++], stored);
    return true;
}

int jk_projector_step (jk_projector_t *self, size_t max, size_t *applied,
                       char *err, size_t err_size)
{
    *applied = 0;
    s_handed_pull (self);
    /* The hand-offs give the next position: they are applied, and the log
       is not read. Else the log is read, up to the next position they
       give. */
    s_source_t source = {false, 0, 0};
    s_handed_t *first = s_handed_first (self, self->pos + 1, self->at);
    if (first && first->pos == self->pos + 1)
        source.handed = true;
    else {
        if (first && first->pos - self->pos - 1 < max)
            max = first->pos - self->pos - 1;
        source.rows = s_rows_read (self, max, err, err_size);
        if (source.rows < 0)
            return JK_IO;
        self->read += (uint64_t)source.rows;
    }
    int status = JK_OK;
    bool open = false;
    uint64_t pos = self->pos;
    uint8_t hash[32];
    int64_t at = self->at;
    memcpy (hash, self->hash, 32);
    jk_stored_t stored;
    jk_record_prepared_t prepared;
    bool decoded;
    while (*applied < max &&
           s_next (self, &source, pos, at, &stored, &prepared, &decoded)) {
        if (!open) {
            if (s_exec (self->db, "BEGIN IMMEDIATE", err, err_size)) {
                if (decoded)
                    jk_event_destroy (&prepared.event);
                status = JK_IO;
                break;
            }
            open = true;
        }
        if (stored.pos != pos + 1) {
            if (decoded)
                jk_event_destroy (&prepared.event);
            snprintf (err, err_size, "the log has no position %llu",
                      (unsigned long long)(pos + 1));
            status = JK_INVALID;
            break;
        }
        if (!decoded)
            status = jk_record_prepare (&stored, &prepared, err, err_size);
        if (status == JK_OK)
            status = jk_record_apply_prepared (self->p, &stored, &prepared, err,
                                               err_size);
        if (status != JK_OK)
            break;
        pos = stored.pos;
        at = stored.recorded_at;
        if (stored.hash)
            memcpy (hash, stored.hash, 32);
        (*applied)++;
        if (self->fault && *applied == 2)
            _exit (S_FAULT_EXIT); /* mid-transaction, rows applied */
    }
    int rc;
    if (status == JK_OK && open) {
        sqlite3_bind_int64 (self->set_pos, 1, (sqlite3_int64)pos);
        sqlite3_bind_blob (self->set_pos, 2, hash, 32, SQLITE_STATIC);
        rc = sqlite3_step (self->set_pos);
        sqlite3_reset (self->set_pos);
        if (rc != SQLITE_DONE || jk_projections_flush (self->p) != JK_OK ||
            s_exec (self->db, "COMMIT", err, err_size)) {
            if (rc != SQLITE_DONE)
                snprintf (err, err_size, "%s", sqlite3_errmsg (self->db));
            status = JK_IO;
        }
    }
    if (status != JK_OK) {
        if (open && !sqlite3_get_autocommit (self->db))
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        jk_projections_discard (self->p);
        *applied = 0;
    } else {
        self->pos = pos;
        self->at = at;
        memcpy (self->hash, hash, 32);
        if (open && self->wal_frames >= self->wal_limit)
            jk_projector_checkpoint (self);
    }
    return status;
}

/* ---- the thread -------------------------------------------------------------
 */

typedef struct {
    jk_projector_t *projector;
    jk_projector_shared_t *shared;
    uint64_t released;   /* the writer's release bound, last seen */
    int64_t released_at; /* when it last moved (monotonic ms) */
} s_args_t;

/* The bound of the next step: the writer's release, unless it has stood
   still for S_STILL_MS (jk_projector.h). */
static uint64_t s_until (s_args_t *args)
{
    uint64_t released =
        __atomic_load_n (&args->shared->released, __ATOMIC_ACQUIRE);
    int64_t now = jk_clock_mono_ms ();
    if (released != args->released) {
        args->released = released;
        args->released_at = now;
    }
    return now - args->released_at < S_STILL_MS ? released : UINT64_MAX;
}

static void s_publish (jk_projector_shared_t *shared, jk_projector_t *p,
                       int failed)
{
    __atomic_store_n (&shared->at, p->at, __ATOMIC_RELAXED);
    __atomic_store_n (&shared->failed, failed, __ATOMIC_RELAXED);
    __atomic_store_n (&shared->read, p->read, __ATOMIC_RELAXED);
    __atomic_store_n (&shared->pos, p->pos, __ATOMIC_RELEASE);
}

size_t jk_projector_step_max (uint64_t pos, uint64_t released)
{
    return released != UINT64_MAX && released > pos &&
                   released - pos >= JK_HANDOFF_MAX
               ? S_LAG_MAX
               : S_LIVE_MAX;
}

/* Steps until caught up (or a step fails: retried at the next turn). */
static void s_catch_up (s_args_t *args, int *last_failed)
{
    jk_projector_t *p = args->projector;
    size_t applied;
    do {
        char err[512];
        p->until = s_until (args);
        int rc = jk_projector_step (p, jk_projector_step_max (p->pos, p->until),
                                    &applied, err, sizeof err);
        if (rc != JK_OK) {
            if (rc != *last_failed)
                jk_error (LOG,
                          "the projections stop at position %llu: %s "
                          "(retried; the writer answers E_BUSY once the lag "
                          "bound is reached)",
                          (unsigned long long)p->pos, err);
            *last_failed = rc;
            s_publish (args->shared, p, rc);
            return;
        }
        if (*last_failed)
            jk_info (LOG, "the projections move again from position %llu",
                     (unsigned long long)p->pos);
        *last_failed = 0;
        s_publish (args->shared, p, 0);
    } while (applied > 0);
}

static void s_projector_actor (zsock_t *pipe, void *arg)
{
    s_args_t args = *(s_args_t *)arg;
    /* Named for top -H and ps -L. At the store's priority: a projector
       that yields the cores to the writer (5 or 10 nice steps down, both
       tried) lets the writer answer a burst faster only by falling
       behind, and under sustained ingest the lag that builds up is 3 to
       4 times its goal (docs/ARCHITECTURE.md, "Projections behind the
       ack"; PERFORMANCE.md, "The projector back at the store's
       priority"). */
    jk_thread_enter ("jejak-projector");
    zsock_signal (pipe, 0);
    int failed = 0;
    s_publish (args.shared, args.projector, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    zpoller_set_nonstop (poller, true);
    bool terminated = false;
    while (!terminated) {
        void *which = zpoller_wait (poller, S_IDLE_MS);
        if (which == pipe) {
            /* Several WAKEs may be queued: one catch-up serves them all. */
            while (zsock_events (pipe) & ZMQ_POLLIN) {
                char *command = zstr_recv (pipe);
                if (!command || streq (command, "$TERM"))
                    terminated = true;
                free (command);
            }
        }
        if (!terminated)
            s_catch_up (&args, &failed);
        /* Nothing came for S_IDLE_MS and nothing is left to apply. */
        if (!terminated && !which && !failed)
            jk_projector_checkpoint (args.projector);
    }
    zpoller_destroy (&poller);
    jk_projector_destroy (&args.projector);
}

zactor_t *jk_projector_start (jk_projector_t **projector_p,
                              jk_projector_shared_t *shared)
{
    assert (projector_p && *projector_p && shared);
    jk_projector_t *p = *projector_p;
    /* What the projections hold is released: the writer releases more
       as it goes. */
    s_args_t args = {p, shared, p->pos, jk_clock_mono_ms ()};
    __atomic_store_n (&shared->released, p->pos, __ATOMIC_RELEASE);
    p->shared = shared;
    *projector_p = NULL; /* the thread owns it now */
    return zactor_new (s_projector_actor, &args);
}
