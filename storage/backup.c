/*  backup.c - online backup with sqlite3_backup_*: a consistent copy of a
    live database, then the copy's head read back from its log table.
    Called by jejak-replay backup. */
#include "jk_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PAGES_PER_STEP  512
#define S_BUSY_TIMEOUT_MS 5000

/* Reads the last row's position and hash from the copy. */
static int s_read_head (sqlite3 *db, jk_head_t *head, char *err,
                        size_t err_size)
{
    sqlite3_stmt *stmt = NULL;
    memset (head, 0, sizeof *head);
    if (sqlite3_prepare_v2 (db,
                            "SELECT pos, hash FROM log ORDER BY pos DESC "
                            "LIMIT 1",
                            -1, &stmt, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "the copy has no event log: %s",
                  sqlite3_errmsg (db));
        return JK_IO;
    }
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        head->pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
        if (sqlite3_column_bytes (stmt, 1) == JK_HASH_SIZE)
            memcpy (head->hash, sqlite3_column_blob (stmt, 1), JK_HASH_SIZE);
        rc = SQLITE_DONE;
    }
    if (rc != SQLITE_DONE)
        snprintf (err, err_size, "reading the copy's head: %s",
                  sqlite3_errmsg (db));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? JK_OK : JK_IO;
}

int jk_backup_run (const char *src_path, const char *out_path,
                   jk_backup_result_t *result, jk_progress_fn *progress,
                   void *progress_arg, char *err, size_t err_size)
{
    memset (result, 0, sizeof *result);
    /* Create the target ourselves: exclusive (never overwrite) and 0600. */
    int fd = open (out_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf (err, err_size, "%s: %s", out_path,
                  errno == EEXIST ? "exists already (remove it first)"
                                  : strerror (errno));
        return errno == EEXIST ? JK_CONFLICT : JK_IO;
    }
    close (fd);

    sqlite3 *src = NULL, *dst = NULL;
    int status = JK_IO;
    if (sqlite3_open_v2 (src_path, &src, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        snprintf (err, err_size, "cannot open %s: %s", src_path,
                  src ? sqlite3_errmsg (src) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout (src, S_BUSY_TIMEOUT_MS);
    if (sqlite3_open_v2 (out_path, &dst,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot create %s: %s", out_path,
                  dst ? sqlite3_errmsg (dst) : "out of memory");
        goto cleanup;
    }
    sqlite3_backup *backup = sqlite3_backup_init (dst, "main", src, "main");
    if (!backup) {
        snprintf (err, err_size, "backup of %s: %s", src_path,
                  sqlite3_errmsg (dst));
        goto cleanup;
    }
    int rc;
    do {
        rc = sqlite3_backup_step (backup, S_PAGES_PER_STEP);
        if (progress)
            progress (progress_arg,
                      (uint64_t)(sqlite3_backup_pagecount (backup) -
                                 sqlite3_backup_remaining (backup)),
                      (uint64_t)sqlite3_backup_pagecount (backup));
        /* The writer holds the lock for a moment: let it finish. */
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep (5);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    result->pages = (uint64_t)sqlite3_backup_pagecount (backup);
    sqlite3_backup_finish (backup);
    if (rc != SQLITE_DONE) {
        snprintf (err, err_size, "backup of %s failed: %s", src_path,
                  sqlite3_errstr (rc));
        goto cleanup;
    }
    /* One self-contained file: no -wal beside it. */
    if (sqlite3_exec (dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
        SQLITE_OK) {
        snprintf (err, err_size, "%s: %s", out_path, sqlite3_errmsg (dst));
        goto cleanup;
    }
    status = s_read_head (dst, &result->head, err, err_size);

cleanup:
    sqlite3_close (src);
    sqlite3_close (dst);
    if (status != JK_OK)
        unlink (out_path);
    return status;
}
