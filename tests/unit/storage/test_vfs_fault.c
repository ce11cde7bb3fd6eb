/*  test_vfs_fault.c - the write-gathering VFS (jk_vfs.h) over a default
    VFS whose writes to database files can be made to fail (as on a full
    disk): a checkpoint whose pages cannot be written fails, whether it
    would have copied every frame or only those older than a reader's
    snapshot, and records nothing as copied that is not in the file, so
    the WAL keeps every commit and a later checkpoint on a disk with room
    copies them all. */
#include "jk_vfs.h"
#include "testsupport.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>

/* ---- a default VFS with failing database writes ---------------------- */

static sqlite3_vfs s_fault_vfs;
static sqlite3_vfs *s_base;
static sqlite3_io_methods s_fault_methods;
static const sqlite3_io_methods *s_base_methods;
static bool s_fail_db; /* writes to a database file fail (SQLITE_FULL) */
static int s_failed;   /* writes failed so */

static int s_fault_write (sqlite3_file *file, const void *data, int n,
                          sqlite3_int64 off)
{
    if (s_fail_db) {
        s_failed++;
        return SQLITE_FULL;
    }
    return s_base_methods->xWrite (file, data, n, off);
}

static int s_fault_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
                         int flags, int *out_flags)
{
    (void)vfs;
    int rc = s_base->xOpen (s_base, name, file, flags, out_flags);
    if (rc == SQLITE_OK && file->pMethods && (flags & SQLITE_OPEN_MAIN_DB)) {
        if (!s_base_methods) {
            s_base_methods = file->pMethods;
            s_fault_methods = *file->pMethods;
            s_fault_methods.xWrite = s_fault_write;
        }
        assert_ptr_equal (file->pMethods, s_base_methods);
        file->pMethods = &s_fault_methods;
    }
    return rc;
}

/* Made the default before jk_vfs_wal () is first called: the VFS wraps it. */
static void s_fault_register (void)
{
    s_base = sqlite3_vfs_find (NULL);
    assert_non_null (s_base);
    s_fault_vfs = *s_base;
    s_fault_vfs.zName = "jejak-test-fault";
    s_fault_vfs.xOpen = s_fault_open;
    s_fault_vfs.pNext = NULL;
    assert_int_equal (sqlite3_vfs_register (&s_fault_vfs, 1), SQLITE_OK);
}

/* ---- tests -------------------------------------------------------------- */

static void s_exec (sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fail_msg ("%s: %s", sql, err ? err : sqlite3_errstr (rc));
}

/* 40 rows of 1,000 bytes, committed one each: about ten new pages at the
   database's end for a checkpoint to copy. */
static void s_fill (sqlite3 *db, int from)
{
    for (int i = from; i < from + 40; i++) {
        char *sql =
            sqlite3_mprintf ("INSERT INTO t VALUES (%d, randomblob (1000))", i);
        s_exec (db, sql);
        sqlite3_free (sql);
    }
}

/* With partial, a reader holds the snapshot of the first 40 rows while
   40 more are committed, so the failing checkpoint could copy only the
   frames older than that snapshot (it runs no truncate or sync of the
   database after the copy); the reader ends before the disk has room
   again. */
static void s_checkpoint_disk_full (const char *name, bool partial)
{
    char *dir = jk_test_tmpdir (name);
    char *path = jk_sprintf ("%s/full.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         jk_vfs_wal ()),
        SQLITE_OK);
    s_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                " PRAGMA wal_autocheckpoint = 0;"
                " CREATE TABLE t (k INTEGER PRIMARY KEY, b BLOB)");
    s_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)");
    s_fill (db, 0);
    sqlite3 *reader = NULL;
    if (partial) {
        assert_int_equal (sqlite3_open_v2 (path, &reader, SQLITE_OPEN_READONLY,
                                           jk_vfs_wal ()),
                          SQLITE_OK);
        s_exec (reader, "BEGIN");
        sqlite3_stmt *st = NULL;
        assert_int_equal (sqlite3_prepare_v2 (reader, "SELECT count(*) FROM t",
                                              -1, &st, NULL),
                          SQLITE_OK);
        assert_int_equal (sqlite3_step (st), SQLITE_ROW);
        assert_int_equal (sqlite3_column_int (st, 0), 40);
        sqlite3_finalize (st);
        s_fill (db, 1000);
    }

    s_failed = 0;
    s_fail_db = true;
    int log = -1, copied = -1;
    int rc = sqlite3_wal_checkpoint_v2 (db, "main", SQLITE_CHECKPOINT_PASSIVE,
                                        &log, &copied);
    s_fail_db = false;
    assert_true (s_failed > 0);
    /* The copy failed: the checkpoint says so. */
    assert_int_equal (rc & 0xff, SQLITE_FULL);
    if (reader) {
        s_exec (reader, "COMMIT");
        assert_int_equal (sqlite3_close (reader), SQLITE_OK);
    }

    /* Room again: more commits, a checkpoint that restarts the WAL, and
       every row is in the database file (read with the WAL gone). */
    s_fill (db, 40);
    s_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)");
    int rows = partial ? 120 : 80;
    assert_int_equal (sqlite3_close (db), SQLITE_OK);
    assert_int_equal (jk_test_db_int64 (path, "SELECT count(*) FROM t"), rows);
    assert_int_equal (
        jk_test_db_int64 (path, "SELECT count(*) FROM t WHERE length (b) = "
                                "1000 AND (k BETWEEN 0 AND 79 OR k BETWEEN "
                                "1000 AND 1039)"),
        rows);
    assert_true (jk_test_db_intact (path));
    free (path);
    jk_test_rmdir (&dir);
}

static void test_checkpoint_disk_full (void **state)
{
    (void)state;
    s_checkpoint_disk_full ("vfs-fault", false);
}

static void test_partial_checkpoint_disk_full (void **state)
{
    (void)state;
    s_checkpoint_disk_full ("vfs-fault-partial", true);
}

int main (void)
{
    s_fault_register ();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_checkpoint_disk_full),
        cmocka_unit_test (test_partial_checkpoint_disk_full),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
