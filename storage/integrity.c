/*  integrity.c - the database's own integrity (jk_integrity.h): SQLite's
    integrity check with what it names, the chain over the log's tail, and
    the single writer's lock file. */
#define _GNU_SOURCE /* gettid */
#include "jk_integrity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first problems integrity_check returns, at most this many. */
#define S_PROBLEMS_MAX 8

int jk_db_integrity (sqlite3 *db, const char *table, char *out, size_t out_size)
{
    out[0] = 0;
    char *sql =
        table ? sqlite3_mprintf ("PRAGMA integrity_check(%Q)", table)
              : sqlite3_mprintf ("PRAGMA integrity_check(%d)", S_PROBLEMS_MAX);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
    sqlite3_free (sql);
    if (rc != SQLITE_OK) {
        snprintf (out, out_size, "%s", sqlite3_errmsg (db));
        return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB
                   ? JK_INVALID
                   : JK_IO;
    }
    bool ok = false;
    size_t used = 0;
    int rows = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text (stmt, 0);
        if (!line)
            continue;
        if (rows == 0 && strcmp (line, "ok") == 0) {
            ok = true;
            break;
        }
        if (rows++ < S_PROBLEMS_MAX && used + 1 < out_size) {
            int n = snprintf (out + used, out_size - used, "%s%s",
                              used ? "; " : "", line);
            used = n > 0 && (size_t)n < out_size - used ? used + (size_t)n
                                                        : out_size - 1;
        }
    }
    int code = rc & 0xff;
    sqlite3_finalize (stmt);
    if (ok)
        return JK_OK;
    if (rows > 0)
        return JK_INVALID;
    snprintf (out, out_size, "%s", sqlite3_errmsg (db));
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? JK_INVALID : JK_IO;
}

/* The log's last position (0 when empty) in *head. */
static int s_head_pos (sqlite3 *db, uint64_t *head, char *out, size_t out_size)
{
    sqlite3_stmt *stmt = NULL;
    *head = 0;
    if (sqlite3_prepare_v2 (db, "SELECT max(pos) FROM log", -1, &stmt, NULL) !=
        SQLITE_OK) {
        snprintf (out, out_size, "%s", sqlite3_errmsg (db));
        return JK_IO;
    }
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *head = (uint64_t)sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    if (rc != SQLITE_ROW) {
        snprintf (out, out_size, "%s", sqlite3_errmsg (db));
        return JK_IO;
    }
    return JK_OK;
}

/* The hash stored at pos, the chain's start for the record after it. */
static int s_prev_hash (sqlite3 *db, uint64_t pos, uint8_t prev[JK_HASH_SIZE],
                        char *out, size_t out_size)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT hash FROM log WHERE pos = ?", -1, &stmt,
                            NULL) != SQLITE_OK) {
        snprintf (out, out_size, "%s", sqlite3_errmsg (db));
        return JK_IO;
    }
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)pos);
    int rc = sqlite3_step (stmt);
    bool found =
        rc == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == JK_HASH_SIZE;
    if (found)
        memcpy (prev, sqlite3_column_blob (stmt, 0), JK_HASH_SIZE);
    sqlite3_finalize (stmt);
    if (!found) {
        snprintf (out, out_size,
                  "position %llu is missing or has no hash of 32 bytes",
                  (unsigned long long)pos);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? JK_INVALID : JK_IO;
    }
    return JK_OK;
}

/* Whether the bound lookup finds exactly the record at pos (and resets
   it). */
static bool s_finds (sqlite3_stmt *lookup, uint64_t pos)
{
    bool found = sqlite3_step (lookup) == SQLITE_ROW &&
                 (uint64_t)sqlite3_column_int64 (lookup, 0) == pos &&
                 sqlite3_step (lookup) == SQLITE_DONE;
    sqlite3_reset (lookup);
    return found;
}

int jk_log_check_tail (sqlite3 *db, uint64_t tail, char *out, size_t out_size)
{
    out[0] = 0;
    sqlite3_stmt *stmt = NULL;
    uint64_t head = 0;
    int rc = s_head_pos (db, &head, out, out_size);
    if (rc != JK_OK || head == 0)
        return rc;
    uint64_t first = tail && head > tail ? head - tail + 1 : 1;
    uint8_t prev[JK_HASH_SIZE] = {0};
    if (first > 1 &&
        (rc = s_prev_hash (db, first - 1, prev, out, out_size)) != JK_OK)
        return rc;
    sqlite3_stmt *by_id = NULL, *by_seq = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT pos, recorded_at, outcome, code, message,"
                            " bytes, hash, id, source, seq FROM log"
                            " WHERE pos >= ? ORDER BY pos",
                            -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (db, "SELECT pos FROM log WHERE id = ?1", -1, &by_id,
                            NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (db,
                            "SELECT pos FROM log WHERE source = ?1 AND"
                            " seq = ?2",
                            -1, &by_seq, NULL) != SQLITE_OK) {
        snprintf (out, out_size, "%s", sqlite3_errmsg (db));
        sqlite3_finalize (stmt);
        sqlite3_finalize (by_id);
        return JK_IO;
    }
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)first);
    jk_chain_t *chain = jk_chain_new ();
    uint64_t expect = first;
    int result = JK_OK;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        uint64_t pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
        if (pos != expect) {
            snprintf (out, out_size, "position %llu is missing",
                      (unsigned long long)expect);
            result = JK_INVALID;
            break;
        }
        int outcome = sqlite3_column_int (stmt, 2);
        bool rejected = outcome == JK_LOG_REJECTED;
        uint8_t hash[JK_HASH_SIZE];
        jk_chain_step (
            chain, prev, pos, sqlite3_column_int64 (stmt, 1), outcome,
            rejected ? (const char *)sqlite3_column_text (stmt, 3) : NULL,
            rejected ? (const char *)sqlite3_column_text (stmt, 4) : NULL,
            sqlite3_column_blob (stmt, 5),
            (size_t)sqlite3_column_bytes (stmt, 5), hash);
        if (sqlite3_column_bytes (stmt, 6) != JK_HASH_SIZE ||
            memcmp (sqlite3_column_blob (stmt, 6), hash, JK_HASH_SIZE) != 0) {
            snprintf (out, out_size,
                      "the hash stored at position %llu is not the chain's "
                      "(a record was changed)",
                      (unsigned long long)pos);
            result = JK_INVALID;
            break;
        }
        /* The appends wrote these records' entries into both UNIQUE
           indexes: each must lead back to its record. */
        sqlite3_bind_value (by_id, 1, sqlite3_column_value (stmt, 7));
        sqlite3_bind_value (by_seq, 1, sqlite3_column_value (stmt, 8));
        sqlite3_bind_value (by_seq, 2, sqlite3_column_value (stmt, 9));
        const char *index =
            s_finds (by_id, pos) ? NULL : "sqlite_autoindex_log_1 (id)";
        if (!index && !s_finds (by_seq, pos))
            index = "sqlite_autoindex_log_2 (source, seq)";
        if (index) {
            snprintf (out, out_size,
                      "index %s of table log does not lead to position "
                      "%llu",
                      index, (unsigned long long)pos);
            result = JK_INVALID;
            break;
        }
        memcpy (prev, hash, JK_HASH_SIZE);
        expect++;
    }
    if (result == JK_OK && rc != SQLITE_DONE) {
        snprintf (out, out_size, "%s", sqlite3_errmsg (db));
        int code = rc & 0xff;
        result = code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? JK_INVALID
                                                                 : JK_IO;
    }
    sqlite3_finalize (stmt);
    sqlite3_finalize (by_id);
    sqlite3_finalize (by_seq);
    jk_chain_destroy (&chain);
    return result;
}

char *jk_writer_lock_path (const char *db_path)
{
    return jk_sprintf ("%s-writer.lock", db_path);
}

int jk_writer_lock (const char *db_path, char *err, size_t err_size)
{
    char *path = jk_writer_lock_path (db_path);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (err, err_size,
                  "cannot create the writer's lock file %s: %s (the "
                  "directory must be writable: the store also creates the "
                  "database's -wal and -shm files there)",
                  path, strerror (errno));
        free (path);
        return -1;
    }
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        char holder[32] = "";
        ssize_t n = pread (fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = 0;
        holder[strcspn (holder, "\n")] = 0;
        if (saved == EWOULDBLOCK)
            snprintf (err, err_size,
                      "%s is in use by another writer (pid %s, lock %s): "
                      "only one jejak-hub or jejak-store may write a "
                      "database; stop the other one first",
                      db_path, holder[0] ? holder : "unknown", path);
        else
            snprintf (err, err_size, "cannot lock %s: %s", path,
                      strerror (saved));
        close (fd);
        free (path);
        return -1;
    }
    char pid[32];
    int n = snprintf (pid, sizeof pid, "%ld\n", (long)getpid ());
    if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, (size_t)n, 0) != n)
        jk_warn ("store", "cannot write the pid into %s: %s", path,
                 strerror (errno));
    free (path);
    return fd;
}

void jk_db_remove (const char *path)
{
    char buf[4096];
    unlink (path);
    snprintf (buf, sizeof buf, "%s-wal", path);
    unlink (buf);
    snprintf (buf, sizeof buf, "%s-shm", path);
    unlink (buf);
}

/* ---- the whole-file check behind the start ------------------------------ */

/* How much nicer than the store the check's thread runs (as the tree's). */
#define S_CHECK_NICE 10

struct jk_db_check_s {
    zactor_t *actor;
    sqlite3 *db[2];     /* the log's and the projections' (read-only) */
    const char *tag[2]; /* "LOG", "PROJECTIONS" */
    bool stop;          /* set by destroy (atomic) */
    bool done;          /* set by the thread once it runs no SQL (atomic) */
};

static sqlite3 *s_open_read (const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK) {
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    return db;
}

static void s_check_actor (zsock_t *pipe, void *arg)
{
    jk_db_check_t *self = arg;
    jk_thread_enter ("jejak-check");
    id_t tid = (id_t)gettid ();
    errno = 0;
    int nice = getpriority (PRIO_PROCESS, tid);
    if (errno == 0)
        setpriority (PRIO_PROCESS, tid,
                     nice + S_CHECK_NICE > 19 ? 19 : nice + S_CHECK_NICE);
    zsock_signal (pipe, 0);
    for (int i = 0; i < 2; i++) {
        if (__atomic_load_n (&self->stop, __ATOMIC_ACQUIRE))
            break;
        char what[512] = "cannot open the file";
        int rc = self->db[i] ? jk_db_integrity (self->db[i], i ? NULL : "log",
                                                what, sizeof what)
                             : JK_IO;
        zstr_sendx (pipe, self->tag[i],
                    rc == JK_OK        ? "OK"
                    : rc == JK_INVALID ? "DAMAGED"
                                       : "FAILED",
                    what, NULL);
    }
    __atomic_store_n (&self->done, true, __ATOMIC_RELEASE);
    while (true) {
        char *command = zstr_recv (pipe);
        bool term = !command || streq (command, "$TERM");
        free (command);
        if (term)
            break;
    }
}

jk_db_check_t *jk_db_check_start (const char *log_path,
                                  const char *projections_path)
{
    jk_db_check_t *self = jk_calloc (1, sizeof *self);
    self->tag[0] = "LOG";
    self->tag[1] = "PROJECTIONS";
    /* Opened here and closed after the thread ended, so that destroy may
       interrupt them at any moment. */
    self->db[0] = s_open_read (log_path);
    self->db[1] = s_open_read (projections_path);
    self->actor = zactor_new (s_check_actor, self);
    return self;
}

zactor_t *jk_db_check_actor (jk_db_check_t *self)
{
    return self->actor;
}

void jk_db_check_destroy (jk_db_check_t **self_p)
{
    jk_db_check_t *self = *self_p;
    if (!self)
        return;
    __atomic_store_n (&self->stop, true, __ATOMIC_RELEASE);
    /* An interrupt reaches only a statement already running: repeated
       until the thread says it runs none. */
    while (!__atomic_load_n (&self->done, __ATOMIC_ACQUIRE)) {
        for (int i = 0; i < 2; i++)
            if (self->db[i])
                sqlite3_interrupt (self->db[i]);
        zclock_sleep (2);
    }
    zactor_destroy (&self->actor);
    for (int i = 0; i < 2; i++)
        sqlite3_close (self->db[i]);
    free (self);
    *self_p = NULL;
}
