/*  backup.c - online backup with sqlite3_backup_*: a consistent copy of a
    live database and of the projections' file beside it, then the copy's
    head read back from its log table. Called by jejak-replay backup. */
#include "jk_backup.h"
#include "jk_dbkind.h"
#include "jk_projector.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
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

/* Creates path exclusively (never overwrites) with mode 0600. */
static int s_create (const char *path, char *err, size_t err_size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf (err, err_size, "%s: %s", path,
                  errno == EEXIST ? "exists already (remove it first)"
                                  : strerror (errno));
        return errno == EEXIST ? JK_CONFLICT : JK_IO;
    }
    close (fd);
    return JK_OK;
}

/* Opens path read-only and starts a read transaction on it: the copy
   taken through it is of that moment, however the file changes meanwhile
   (SQLite's backup uses the source's open transaction). A file of
   another kind (an outbox, a database of another program, an empty one)
   is refused, naming what it is, before anything is copied. */
static sqlite3 *s_open_source (const char *path, jk_db_kind_t kind, char *err,
                               size_t err_size)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot open %s: %s", path,
                  db ? sqlite3_errmsg (db) : "out of memory");
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, S_BUSY_TIMEOUT_MS);
    if (sqlite3_exec (db, "BEGIN; SELECT count(*) FROM sqlite_master", NULL,
                      NULL, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot read %s: %s", path,
                  sqlite3_errmsg (db));
        sqlite3_close (db);
        return NULL;
    }
    if (jk_db_kind_check (db, path, kind, err, err_size) != JK_OK) {
        sqlite3_close (db);
        return NULL;
    }
    if (kind == JK_DB_LOG && !jk_db_has_table (db, "log")) {
        snprintf (err, err_size,
                  "%s is not a Jejak event log: it holds no log table", path);
        sqlite3_close (db);
        return NULL;
    }
    return db;
}

/* Copies the snapshot open on src into out_path (created already), left
   in rollback-journal mode DELETE. Returns the open copy, NULL with err. */
static sqlite3 *s_copy (sqlite3 *src, const char *src_path,
                        const char *out_path, uint64_t *pages,
                        jk_progress_fn *progress, void *progress_arg, char *err,
                        size_t err_size)
{
    sqlite3 *dst = NULL;
    if (sqlite3_open_v2 (out_path, &dst, SQLITE_OPEN_READWRITE, NULL) !=
        SQLITE_OK) {
        snprintf (err, err_size, "cannot create %s: %s", out_path,
                  dst ? sqlite3_errmsg (dst) : "out of memory");
        sqlite3_close (dst);
        return NULL;
    }
    sqlite3_backup *backup = sqlite3_backup_init (dst, "main", src, "main");
    if (!backup) {
        snprintf (err, err_size, "backup of %s: %s", src_path,
                  sqlite3_errmsg (dst));
        sqlite3_close (dst);
        return NULL;
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
    *pages = (uint64_t)sqlite3_backup_pagecount (backup);
    sqlite3_backup_finish (backup);
    if (rc != SQLITE_DONE) {
        snprintf (err, err_size, "backup of %s failed: %s", src_path,
                  sqlite3_errstr (rc));
        sqlite3_close (dst);
        return NULL;
    }
    /* One self-contained file: no -wal beside it. */
    if (sqlite3_exec (dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
        SQLITE_OK) {
        snprintf (err, err_size, "%s: %s", out_path, sqlite3_errmsg (dst));
        sqlite3_close (dst);
        return NULL;
    }
    return dst;
}

int jk_backup_run (const char *src_path, const char *out_path,
                   jk_backup_result_t *result, jk_progress_fn *progress,
                   void *progress_arg, char *err, size_t err_size)
{
    memset (result, 0, sizeof *result);
    char *src_proj = jk_projections_path (src_path);
    char *out_proj = jk_projections_path (out_path);
    struct stat st;
    bool with_proj = stat (src_proj, &st) == 0;
    bool made = false, made_proj = false;
    sqlite3 *src = NULL, *src_p = NULL, *dst = NULL, *dst_p = NULL;
    int status = s_create (out_path, err, err_size);
    if (status != JK_OK)
        goto cleanup;
    made = true;
    if (with_proj) {
        status = s_create (out_proj, err, err_size);
        if (status != JK_OK)
            goto cleanup;
        made_proj = true;
    }
    status = JK_IO;
    /* The projections' moment first, then the log's: the log holds every
       record the copied projections were made from (and maybe more). */
    if (with_proj &&
        !(src_p = s_open_source (src_proj, JK_DB_PROJECTIONS, err, err_size)))
        goto cleanup;
    if (!(src = s_open_source (src_path, JK_DB_LOG, err, err_size)))
        goto cleanup;
    if (with_proj) {
        dst_p = s_copy (src_p, src_proj, out_proj, &result->proj_pages,
                        progress, progress_arg, err, err_size);
        uint8_t hash[JK_HASH_SIZE];
        if (!dst_p)
            goto cleanup;
        if (jk_projections_position (dst_p, &result->proj_pos, hash) != JK_OK) {
            snprintf (err, err_size, "the copy of %s holds no projections: %s",
                      src_proj, sqlite3_errmsg (dst_p));
            goto cleanup;
        }
        result->projections = true;
    }
    dst = s_copy (src, src_path, out_path, &result->pages, progress,
                  progress_arg, err, err_size);
    if (!dst)
        goto cleanup;
    status = s_read_head (dst, &result->head, err, err_size);

cleanup:
    sqlite3_close (src_p);
    sqlite3_close (src);
    sqlite3_close (dst_p);
    sqlite3_close (dst);
    if (status != JK_OK) {
        if (made)
            unlink (out_path);
        if (made_proj)
            unlink (out_proj);
    }
    free (src_proj);
    free (out_proj);
    return status;
}
