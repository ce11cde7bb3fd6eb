/*  integrity.c - the database's own integrity (jk_integrity.h): SQLite's
    integrity check with what it names, the chain over the log's tail, and
    the single writer's lock file. */
#include "jk_integrity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
    if (sqlite3_prepare_v2 (db,
                            "SELECT pos, recorded_at, outcome, code, message,"
                            " bytes, hash FROM log WHERE pos >= ? ORDER BY pos",
                            -1, &stmt, NULL) != SQLITE_OK) {
        snprintf (out, out_size, "%s", sqlite3_errmsg (db));
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
