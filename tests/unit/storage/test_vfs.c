/*  test_vfs.c - the write-gathering VFS (jk_vfs.h): a random run of
    writes, reads, truncates, syncs and barriers on a WAL and on a database
    file opened through it leaves the same bytes as SQLite's default VFS,
    and the buffered bytes are in the file at every point the VFS promises
    (sync, barrier, the page of a commit frame); contiguous writes reach
    the file in few pwrites; readers on another connection and in another
    process see every commit at once, with checkpoints between, with
    synchronous FULL (the log) and NORMAL (the projections); a writer
    killed with SIGKILL loses no commit it reported; after a checkpoint
    that could not copy every frame, new readers find every row; a
    checkpoint reads the WAL ahead in few preads and copies the right
    bytes, across a WAL restarted over the same offsets between two
    checkpoints and while a writer in another process appends and a
    reader on another connection holds an older snapshot. Through the
    bulk VFS a database file's writes are gathered too, with the same
    bytes at every point, in the file when a commit returns, and a write
    the file refuses fails the commit. */
#include "jk_vfs.h"
#include "testsupport.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PAGE  4096
#define S_FRAME (24 + S_PAGE)

static sqlite3 *s_open (const char *path, const char *vfs, const char *sync)
{
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         vfs),
        SQLITE_OK);
    /* Before the pragmas: setting the journal mode reads the file, which
       a writer in another process may hold (test_checkpoint_beside_writer
       opens its checkpointer while the writer commits). */
    sqlite3_busy_timeout (db, 10000);
    char *sql = sqlite3_mprintf ("PRAGMA journal_mode = WAL;"
                                 " PRAGMA synchronous = %s;"
                                 " PRAGMA wal_autocheckpoint = 0;",
                                 sync);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free (sql);
    return db;
}

static void s_exec (sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fail_msg ("%s: %s", sql, err ? err : sqlite3_errstr (rc));
}

/* The connection's open WAL file (SQLite's own handle). */
static sqlite3_file *s_wal_of (sqlite3 *db)
{
    sqlite3_file *wal = NULL;
    assert_int_equal (
        sqlite3_file_control (db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal),
        SQLITE_OK);
    assert_non_null (wal);
    assert_non_null (wal->pMethods);
    return wal;
}

static sqlite3_file *s_db_file_of (sqlite3 *db)
{
    sqlite3_file *file = NULL;
    assert_int_equal (
        sqlite3_file_control (db, "main", SQLITE_FCNTL_FILE_POINTER, &file),
        SQLITE_OK);
    assert_non_null (file);
    return file;
}

/* The two files hold the same bytes. */
static void s_assert_same_file (const char *a, const char *b)
{
    size_t size_a = 0, size_b = 0;
    char *bytes_a = jk_test_slurp (a, &size_a);
    char *bytes_b = jk_test_slurp (b, &size_b);
    assert_non_null (bytes_a);
    assert_non_null (bytes_b);
    assert_int_equal (size_a, size_b);
    assert_memory_equal (bytes_a, bytes_b, size_a);
    free (bytes_a);
    free (bytes_b);
}

static void s_random_bytes (unsigned char *out, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)rand_r (seed);
}

/* What a pair writes: WALs, or database files (through jk_vfs_wal: not
   gathered; through jk_vfs_bulk, without a journal: gathered). */
typedef enum { S_WAL, S_DB, S_BULK } s_mode_t;

/* A database through vfs without a journal, as a rebuild loads one (its
   16 MiB cache too: a transaction's pages are written at its commit). */
static sqlite3 *s_open_bulk (const char *path, const char *vfs)
{
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         vfs),
        SQLITE_OK);
    s_exec (db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                " PRAGMA cache_size = -16384");
    return db;
}

typedef struct {
    char *dir;
    char *path[2];      /* [0] through jk_vfs_wal or jk_vfs_bulk, [1] the
                           default VFS */
    char *file_path[2]; /* the files written: their -wal files, or them */
    sqlite3 *db[2];
    sqlite3_file *wal[2]; /* the files written */
    bool is_wal;
    char *saved; /* a database file's bytes before, put back after */
    size_t saved_size;
} s_pair_t;

/* Two databases, one through each VFS; the pair writes their WALs, or
   the database files themselves. */
static void s_pair_open (s_pair_t *p, const char *tag, s_mode_t mode)
{
    memset (p, 0, sizeof *p);
    p->dir = jk_test_tmpdir (tag);
    bool is_wal = mode == S_WAL;
    p->is_wal = is_wal;
    for (int i = 0; i < 2; i++) {
        p->path[i] = jk_sprintf ("%s/%c.db", p->dir, i ? 'b' : 'a');
        p->file_path[i] =
            is_wal ? jk_sprintf ("%s-wal", p->path[i]) : jk_strdup (p->path[i]);
        if (mode == S_BULK)
            p->db[i] = s_open_bulk (p->path[i], i ? NULL : jk_vfs_bulk ());
        else
            p->db[i] = s_open (p->path[i], i ? NULL : jk_vfs_wal (), "FULL");
        s_exec (p->db[i], "CREATE TABLE t (x);"
                          " PRAGMA wal_checkpoint(TRUNCATE);");
        p->wal[i] = is_wal ? s_wal_of (p->db[i]) : s_db_file_of (p->db[i]);
    }
    if (!is_wal)
        p->saved = jk_test_slurp (p->path[0], &p->saved_size);
    assert_ptr_not_equal (p->wal[0]->pMethods, p->wal[1]->pMethods);
}

static void s_pair_close (s_pair_t *p)
{
    for (int i = 0; i < 2; i++) {
        /* The frames written here were never published: the WAL is empty
           to SQLite, so closing checkpoints nothing. A database gets its
           bytes back. */
        sqlite3_file *f = p->wal[i];
        assert_int_equal (f->pMethods->xTruncate (f, 0), SQLITE_OK);
        if (p->saved) {
            assert_int_equal (
                f->pMethods->xWrite (f, p->saved, (int)p->saved_size, 0),
                SQLITE_OK);
            assert_int_equal (f->pMethods->xSync (f, SQLITE_SYNC_NORMAL),
                              SQLITE_OK);
        }
        assert_int_equal (sqlite3_close (p->db[i]), SQLITE_OK);
        free (p->path[i]);
        free (p->file_path[i]);
    }
    free (p->saved);
    jk_test_rmdir (&p->dir);
}

/* Both WALs get the same write; both answer the same. */
static void s_pair_write (s_pair_t *p, const void *data, int n,
                          sqlite3_int64 off)
{
    for (int i = 0; i < 2; i++)
        assert_int_equal (p->wal[i]->pMethods->xWrite (p->wal[i], data, n, off),
                          SQLITE_OK);
}

/* A frame header (24 bytes) whose commit field is commit, at off. */
static void s_header (unsigned char *hdr, uint32_t commit, unsigned *seed)
{
    s_random_bytes (hdr, 24, seed);
    hdr[4] = (unsigned char)(commit >> 24);
    hdr[5] = (unsigned char)(commit >> 16);
    hdr[6] = (unsigned char)(commit >> 8);
    hdr[7] = (unsigned char)commit;
}

static void s_same_bytes_as_plain (s_mode_t mode)
{
    bool is_wal = mode == S_WAL;
    s_pair_t p;
    s_pair_open (&p, "vfs-bytes", mode);
    sqlite3_file *db_file = s_db_file_of (p.db[0]);
    unsigned seed = 20261205;
    unsigned char data[3 * S_PAGE], got[2][3 * S_PAGE];
    s_random_bytes (data, 32, &seed);
    s_pair_write (&p, data, 32, 0); /* the WAL header */
    sqlite3_int64 end = is_wal ? 32 : (sqlite3_int64)p.saved_size;
    int commits = 0, syncs = 0, barriers = 0, truncates = 0, reads = 0;
    int windows = 0;
    bool window = false;
    for (int op = 0; op < 1500; op++) {
        int dice = rand_r (&seed) % 100;
        bool check = false;
        if (is_wal && rand_r (&seed) % 40 == 0) {
            /* A checkpoint's copy loop begins or ends: reads of the WAL
               are read ahead inside it, and answer the same. */
            window = !window;
            windows += window;
            assert_int_equal (
                db_file->pMethods->xFileControl (
                    db_file,
                    window ? SQLITE_FCNTL_CKPT_START : SQLITE_FCNTL_CKPT_DONE,
                    NULL),
                SQLITE_NOTFOUND);
        }
        if (dice < 55) {
            /* A frame appended: header, then page; one in 8 commits. */
            bool commit = rand_r (&seed) % 8 == 0;
            s_header (data, commit ? 1 + (uint32_t)rand_r (&seed) % 1000 : 0,
                      &seed);
            s_pair_write (&p, data, 24, end);
            s_random_bytes (data, S_PAGE, &seed);
            s_pair_write (&p, data, S_PAGE, end + 24);
            end += S_FRAME;
            commits += commit;
            check = commit && is_wal; /* the commit's page is in the file */
        } else if (dice < 65 && end > 0) {
            /* A write inside what is there (a frame rewritten), possibly
               running past the end. */
            sqlite3_int64 off = rand_r (&seed) % end;
            int n = 1 + rand_r (&seed) % (2 * S_PAGE);
            s_random_bytes (data, (size_t)n, &seed);
            s_pair_write (&p, data, n, off);
            if (off + n > end)
                end = off + n;
        } else if (dice < 70) {
            /* A write after a gap. */
            sqlite3_int64 off = end + 1 + rand_r (&seed) % 10000;
            int n = 1 + rand_r (&seed) % S_PAGE;
            s_random_bytes (data, (size_t)n, &seed);
            s_pair_write (&p, data, n, off);
            end = off + n;
        } else if (dice < 82) {
            /* A read anywhere, past the end too: same bytes, same code. */
            sqlite3_int64 off = rand_r (&seed) % (end + S_PAGE);
            int n = 1 + rand_r (&seed) % (int)sizeof data;
            int rc[2];
            for (int i = 0; i < 2; i++) {
                memset (got[i], 0xA5, sizeof got[i]);
                rc[i] = p.wal[i]->pMethods->xRead (p.wal[i], got[i], n, off);
            }
            assert_int_equal (rc[0], rc[1]);
            assert_true (rc[0] == SQLITE_OK ||
                         rc[0] == SQLITE_IOERR_SHORT_READ);
            assert_memory_equal (got[0], got[1], (size_t)n);
            reads++;
        } else if (dice < 85) {
            sqlite3_int64 size = rand_r (&seed) % (end + 1);
            for (int i = 0; i < 2; i++)
                assert_int_equal (
                    p.wal[i]->pMethods->xTruncate (p.wal[i], size), SQLITE_OK);
            end = size;
            truncates++;
            check = true;
        } else if (dice < 92) {
            for (int i = 0; i < 2; i++)
                assert_int_equal (
                    p.wal[i]->pMethods->xSync (p.wal[i], SQLITE_SYNC_NORMAL),
                    SQLITE_OK);
            syncs++;
            check = true;
        } else if (dice < 96) {
            sqlite3_int64 size[2];
            for (int i = 0; i < 2; i++)
                assert_int_equal (
                    p.wal[i]->pMethods->xFileSize (p.wal[i], &size[i]),
                    SQLITE_OK);
            assert_int_equal (size[0], size[1]);
            assert_int_equal (size[0], end);
            check = true;
        } else {
            /* The barrier of a commit's wal-index header: its WAL's bytes
               (a database file's own wait for the next sync). */
            db_file->pMethods->xShmBarrier (db_file);
            barriers++;
            check = mode != S_BULK;
        }
        if (check)
            s_assert_same_file (p.file_path[0], p.file_path[1]);
    }
    assert_true (commits > 50 && syncs > 50 && barriers > 20 &&
                 truncates > 20 && reads > 100);
    assert_true (!is_wal || windows > 10);
    if (window)
        db_file->pMethods->xFileControl (db_file, SQLITE_FCNTL_CKPT_DONE, NULL);
    assert_int_equal (p.wal[0]->pMethods->xSync (p.wal[0], SQLITE_SYNC_NORMAL),
                      SQLITE_OK);
    s_assert_same_file (p.file_path[0], p.file_path[1]);
    s_pair_close (&p);
}

static void test_same_bytes_as_plain_wal (void **state)
{
    (void)state;
    s_same_bytes_as_plain (S_WAL);
}

static void test_same_bytes_as_plain_db (void **state)
{
    (void)state;
    s_same_bytes_as_plain (S_DB);
}

static void test_same_bytes_as_plain_bulk (void **state)
{
    (void)state;
    s_same_bytes_as_plain (S_BULK);
}

/* 50 frames with no commit among them reach the file at the sync in 2
   writes (pieces of at most 124 KiB, ending on 4 KiB boundaries: 32 to
   126976 to 206032), and not before. */
static void test_frames_coalesced (void **state)
{
    (void)state;
    s_pair_t p;
    s_pair_open (&p, "vfs-coalesce", S_WAL);
    unsigned seed = 7;
    unsigned char data[S_PAGE];
    jk_vfs_wal_stats_t before, after;
    jk_vfs_wal_stats (&before);
    s_random_bytes (data, 32, &seed);
    s_pair_write (&p, data, 32, 0);
    for (int i = 0; i < 50; i++) {
        s_header (data, 0, &seed);
        s_pair_write (&p, data, 24, 32 + (sqlite3_int64)i * S_FRAME);
        s_random_bytes (data, S_PAGE, &seed);
        s_pair_write (&p, data, S_PAGE, 32 + (sqlite3_int64)i * S_FRAME + 24);
    }
    assert_int_equal (jk_test_file_size (p.file_path[0]), 0);
    assert_int_equal (jk_test_file_size (p.file_path[1]), 32 + 50 * S_FRAME);
    jk_vfs_wal_stats (&after);
    assert_int_equal (after.asked - before.asked, 101);
    assert_int_equal (after.written - before.written, 0);
    assert_int_equal (p.wal[0]->pMethods->xSync (p.wal[0], SQLITE_SYNC_NORMAL),
                      SQLITE_OK);
    jk_vfs_wal_stats (&after);
    assert_int_equal (after.written - before.written, 2);
    s_assert_same_file (p.file_path[0], p.file_path[1]);
    /* A commit frame's page goes to the file with it. */
    s_header (data, 9, &seed);
    s_pair_write (&p, data, 24, 32 + 50 * S_FRAME);
    assert_int_equal (jk_test_file_size (p.file_path[0]), 32 + 50 * S_FRAME);
    s_random_bytes (data, S_PAGE, &seed);
    s_pair_write (&p, data, S_PAGE, 32 + 50 * S_FRAME + 24);
    s_assert_same_file (p.file_path[0], p.file_path[1]);
    jk_vfs_wal_stats (&after);
    assert_int_equal (after.written - before.written, 3);
    s_pair_close (&p);
}

/* ---- readers ----------------------------------------------------------------
   Transaction k inserts k rows (k, i, a blob of 1 to 9000 bytes: overflow
   pages, many frames); a reader must find sum(k) rows and their bytes. */

/* Transaction k: rows (k, 0..rows-1, random blob). SQLITE_OK or the
   failing step's code (no assertions: children run it too). */
static int s_commit (sqlite3 *db, int k, int rows, unsigned *seed)
{
    static unsigned char blob[9000];
    sqlite3_stmt *insert = NULL;
    int rc = sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2 (db,
                                 "INSERT INTO t (k, i, b) VALUES (?1, ?2, ?3)",
                                 -1, &insert, NULL);
    for (int i = 0; i < rows && rc == SQLITE_OK; i++) {
        int n = 1 + rand_r (seed) % (int)sizeof blob;
        s_random_bytes (blob, (size_t)n, seed);
        sqlite3_bind_int (insert, 1, k);
        sqlite3_bind_int (insert, 2, i);
        sqlite3_bind_blob (insert, 3, blob, n, SQLITE_STATIC);
        rc = sqlite3_step (insert);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset (insert);
    }
    sqlite3_finalize (insert);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* Rows, and the sum of their blobs' bytes (as unsigned), as a reader on
   its own connection finds them. */
static void s_census (sqlite3 *db, int64_t out[2])
{
    sqlite3_stmt *st;
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT b FROM t", -1, &st, NULL),
                      SQLITE_OK);
    out[0] = out[1] = 0;
    while (sqlite3_step (st) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob (st, 0);
        int n = sqlite3_column_bytes (st, 0);
        for (int i = 0; i < n; i++)
            out[1] += b[i];
        out[0]++;
    }
    sqlite3_finalize (st);
}

static void s_readers_see_commits (const char *sync)
{
    char *dir = jk_test_tmpdir ("vfs-readers");
    char *path = jk_sprintf ("%s/w.db", dir);
    sqlite3 *writer = s_open (path, jk_vfs_wal (), sync);
    s_exec (writer, "CREATE TABLE t (k INTEGER, i INTEGER, b BLOB,"
                    " PRIMARY KEY (k, i))");
    sqlite3 *reader = NULL;
    assert_int_equal (
        sqlite3_open_v2 (path, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    /* The other process: asked "census" by a byte on one pipe, answers
       on the other. */
    int ask[2], answer[2];
    assert_int_equal (pipe (ask), 0);
    assert_int_equal (pipe (answer), 0);
    pid_t child = jk_test_fork ();
    assert_true (child >= 0);
    if (child == 0) {
        close (ask[1]);
        close (answer[0]);
        sqlite3 *db = NULL;
        if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) !=
            SQLITE_OK)
            _exit (2);
        char c;
        while (read (ask[0], &c, 1) == 1) {
            int64_t census[2];
            s_census (db, census);
            if (write (answer[1], census, sizeof census) != sizeof census)
                _exit (3);
        }
        sqlite3_close (db);
        _exit (0);
    }
    close (ask[0]);
    close (answer[1]);
    unsigned seed = 99;
    unsigned check_seed = 99;
    int64_t rows = 0, sum = 0;
    static unsigned char blob[9000];
    for (int k = 1; k <= 60; k++) {
        assert_int_equal (s_commit (writer, k, k, &seed), SQLITE_OK);
        /* Checkpoints between: pages copied into the database through
           the VFS while the readers read it, the WAL restarted after the
           truncating one. */
        if (k % 7 == 0)
            s_exec (writer, k == 35 ? "PRAGMA wal_checkpoint(TRUNCATE)"
                                    : "PRAGMA wal_checkpoint(PASSIVE)");
        /* What was inserted, from the same random sequence. */
        for (int i = 0; i < k; i++) {
            int n = 1 + rand_r (&check_seed) % (int)sizeof blob;
            s_random_bytes (blob, (size_t)n, &check_seed);
            for (int j = 0; j < n; j++)
                sum += blob[j];
            rows++;
        }
        int64_t census[2];
        s_census (reader, census);
        assert_int_equal (census[0], rows);
        assert_int_equal (census[1], sum);
        assert_int_equal (write (ask[1], "c", 1), 1);
        struct pollfd pfd = {.fd = answer[0], .events = POLLIN};
        assert_int_equal (poll (&pfd, 1, 10000), 1);
        assert_int_equal (read (answer[0], census, sizeof census),
                          sizeof census);
        assert_int_equal (census[0], rows);
        assert_int_equal (census[1], sum);
    }
    /* The checkpoints wrote the database (60 commits, 1,830 rows of 4.5
       KB on average). */
    assert_true (jk_test_file_size (path) > 4 * 1024 * 1024);
    close (ask[1]);
    int status = 0;
    assert_true (jk_test_wait_exit (child, &status, 10000));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    close (answer[0]);
    sqlite3_close (reader);
    assert_int_equal (sqlite3_close (writer), SQLITE_OK);
    free (path);
    jk_test_rmdir (&dir);
}

static void test_readers_full (void **state)
{
    (void)state;
    s_readers_see_commits ("FULL");
}

static void test_readers_normal (void **state)
{
    (void)state;
    s_readers_see_commits ("NORMAL");
}

/* A writer in a child process reports each commit on a pipe after it
   returns (its "ACK") and is killed with SIGKILL after the 40th: every
   reported commit is in the database, whole. */
static void s_kill_after_commit (const char *sync)
{
    char *dir = jk_test_tmpdir ("vfs-kill");
    char *path = jk_sprintf ("%s/k.db", dir);
    int acks[2];
    assert_int_equal (pipe (acks), 0);
    pid_t child = jk_test_fork ();
    assert_true (child >= 0);
    if (child == 0) {
        close (acks[0]);
        sqlite3 *db = NULL;
        char *sql = sqlite3_mprintf (
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;"
            " PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (k INTEGER,"
            " i INTEGER, b BLOB, PRIMARY KEY (k, i))",
            sync);
        if (sqlite3_open_v2 (path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             jk_vfs_wal ()) != SQLITE_OK ||
            sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
            _exit (2);
        unsigned seed = 5;
        for (int k = 1; k < 100000; k++) {
            if (s_commit (db, k, 1 + k % 30, &seed) != SQLITE_OK ||
                (k % 10 == 0 &&
                 sqlite3_exec (db, "PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL,
                               NULL) != SQLITE_OK))
                _exit (4);
            if (write (acks[1], &k, sizeof k) != sizeof k)
                _exit (3);
        }
        _exit (0);
    }
    close (acks[1]);
    int last = 0, k;
    struct pollfd pfd = {.fd = acks[0], .events = POLLIN};
    while (last < 40) {
        assert_int_equal (poll (&pfd, 1, 10000), 1);
        assert_int_equal (read (acks[0], &k, sizeof k), sizeof k);
        assert_int_equal (k, last + 1);
        last = k;
    }
    kill (child, SIGKILL);
    int status = 0;
    assert_true (jk_test_wait_exit (child, &status, 10000));
    assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
    /* ACKs already sent before it died. */
    while (read (acks[0], &k, sizeof k) == sizeof k) {
        assert_int_equal (k, last + 1);
        last = k;
    }
    close (acks[0]);
    int64_t rows = jk_test_db_int64 (
        path, "SELECT count(*) FROM t WHERE k <= (SELECT max(k) FROM t)");
    int64_t top = jk_test_db_int64 (path, "SELECT max(k) FROM t");
    assert_true (top >= last);
    int64_t expected = 0;
    for (int j = 1; j <= top; j++)
        expected += 1 + j % 30;
    assert_int_equal (rows, expected);
    assert_true (jk_test_db_intact (path));
    free (path);
    jk_test_rmdir (&dir);
}

static void test_kill_full (void **state)
{
    (void)state;
    s_kill_after_commit ("FULL");
}

static void test_kill_normal (void **state)
{
    (void)state;
    s_kill_after_commit ("NORMAL");
}

/* Writes asked and made through the VFS while sql runs. */
static void s_count (sqlite3 *db, const char *sql, unsigned long long *asked,
                     unsigned long long *written)
{
    jk_vfs_wal_stats_t before, after;
    jk_vfs_wal_stats (&before);
    s_exec (db, sql);
    jk_vfs_wal_stats (&after);
    *asked = after.asked - before.asked;
    *written = after.written - before.written;
}

/* A checkpoint's page copies are not gathered: each is its own write to
   the database file (so a failed copy fails the checkpoint from that
   write), with synchronous NORMAL and OFF alike (NORMAL's checkpoint
   syncs the database, OFF's does not). */
static void test_checkpoint_writes (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("vfs-checkpoint");
    const char *modes[] = {"NORMAL", "OFF"};
    for (int m = 0; m < 2; m++) {
        char *path = jk_sprintf ("%s/%s.db", dir, modes[m]);
        sqlite3 *db = s_open (path, jk_vfs_wal (), modes[m]);
        s_exec (db, "CREATE TABLE t (k INTEGER, i INTEGER, b BLOB,"
                    " PRIMARY KEY (k, i))");
        unsigned seed = 3;
        assert_int_equal (s_commit (db, 1, 200, &seed), SQLITE_OK);
        unsigned long long asked, written;
        s_count (db, "PRAGMA wal_checkpoint(PASSIVE)", &asked, &written);
        /* The pages of 200 rows of 4.5 KB on average, and more, each
           written as it came. */
        assert_true (asked > 200);
        assert_int_equal (written, asked);
        assert_int_equal (jk_test_db_int64 (path, "SELECT count(*) FROM t"),
                          200);
        assert_int_equal (sqlite3_close (db), SQLITE_OK);
        free (path);
    }
    jk_test_rmdir (&dir);
}

/* A checkpoint that cannot copy every frame (a reader holds an older
   snapshot) neither truncates nor syncs the database, and readers that
   begin after it read the pages it copied from the database file: they
   find every row, with synchronous FULL and OFF. */
static void test_partial_checkpoint (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("vfs-partial");
    const char *modes[] = {"FULL", "OFF"};
    for (int m = 0; m < 2; m++) {
        char *path = jk_sprintf ("%s/%s.db", dir, modes[m]);
        sqlite3 *writer = s_open (path, jk_vfs_wal (), modes[m]);
        s_exec (writer, "CREATE TABLE t (k INTEGER, i INTEGER, b BLOB,"
                        " PRIMARY KEY (k, i))");
        unsigned seed = 11;
        assert_int_equal (s_commit (writer, 1, 150, &seed), SQLITE_OK);
        int64_t first[2];
        sqlite3 *old = NULL;
        assert_int_equal (
            sqlite3_open_v2 (path, &old, SQLITE_OPEN_READONLY, NULL),
            SQLITE_OK);
        s_exec (old, "BEGIN");
        s_census (old, first); /* its snapshot: the first commit */
        assert_int_equal (first[0], 150);
        assert_int_equal (s_commit (writer, 2, 150, &seed), SQLITE_OK);
        int log = -1, done = -1;
        assert_int_equal (sqlite3_wal_checkpoint_v2 (writer, "main",
                                                     SQLITE_CHECKPOINT_PASSIVE,
                                                     &log, &done),
                          SQLITE_OK);
        assert_true (done > 0 && done < log);
        sqlite3 *fresh = NULL;
        assert_int_equal (
            sqlite3_open_v2 (path, &fresh, SQLITE_OPEN_READONLY, NULL),
            SQLITE_OK);
        int64_t both[2];
        s_census (fresh, both);
        assert_int_equal (both[0], 300);
        s_census (old, first);
        assert_int_equal (first[0], 150);
        s_exec (old, "COMMIT");
        assert_true (jk_test_db_intact (path));
        sqlite3_close (fresh);
        sqlite3_close (old);
        assert_int_equal (sqlite3_close (writer), SQLITE_OK);
        free (path);
    }
    jk_test_rmdir (&dir);
}

/* ---- a checkpoint's reads ---------------------------------------------------
 */

/* What s_commit (db, k, rows, seed) inserted, from the same random
   sequence: rows and the sum of their blobs' bytes added to out. */
static void s_expect (int rows, unsigned *seed, int64_t out[2])
{
    static unsigned char blob[9000];
    for (int i = 0; i < rows; i++) {
        int n = 1 + rand_r (seed) % (int)sizeof blob;
        s_random_bytes (blob, (size_t)n, seed);
        for (int j = 0; j < n; j++)
            out[1] += blob[j];
        out[0]++;
    }
}

/* A fresh connection through the default VFS finds exactly want, and
   the file is intact. */
static void s_assert_census (const char *path, const int64_t want[2])
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    int64_t got[2];
    s_census (db, got);
    assert_int_equal (got[0], want[0]);
    assert_int_equal (got[1], want[1]);
    sqlite3_close (db);
    assert_true (jk_test_db_intact (path));
}

/* ---- the bulk VFS -----------------------------------------------------------
   Loads as a rebuild makes them: no journal, synchronous OFF. */

/* A commit's pages are in the file when COMMIT returns (looked at before
   any other call into SQLite), written in far fewer pwrites than SQLite
   asked for, and a connection through the default VFS reads every row. */
static void test_bulk_commit_in_file (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("vfs-bulk");
    char *path = jk_sprintf ("%s/b.db", dir);
    sqlite3 *db = s_open_bulk (path, jk_vfs_bulk ());
    s_exec (db, "CREATE TABLE t (k INTEGER, i INTEGER, b BLOB,"
                " PRIMARY KEY (k, i))");
    jk_vfs_wal_stats_t before, after;
    jk_vfs_wal_stats (&before);
    unsigned seed = 5;
    assert_int_equal (s_commit (db, 1, 500, &seed), SQLITE_OK);
    int64_t size = (int64_t)jk_test_file_size (path);
    jk_vfs_wal_stats (&after);
    unsigned long long asked = after.asked - before.asked;
    unsigned long long written = after.written - before.written;
    /* 500 rows of 4.5 KB on average: some 600 pages of 4 KiB. */
    assert_true (asked >= 500);
    assert_true (written > 0 && written * 8 < asked);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (
            db,
            "SELECT page_count * page_size FROM pragma_page_count (),"
            " pragma_page_size ()",
            -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int64 (st, 0), size);
    sqlite3_finalize (st);
    unsigned check_seed = 5;
    int64_t want[2] = {0, 0};
    s_expect (500, &check_seed, want);
    s_assert_census (path, want);
    assert_int_equal (sqlite3_close (db), SQLITE_OK);
    free (path);
    jk_test_rmdir (&dir);
}

/* A write the file refuses (past RLIMIT_FSIZE, as on a full disk) fails
   the commit whose pages were all gathered in memory (under the buffer's
   256 KiB: none reached the file before the commit ended). In a child,
   which exits 0 when COMMIT failed with SQLITE_FULL or an I/O error. */
static void test_bulk_refused_write_fails_commit (void **state)
{
    (void)state;
    /* The rows' bytes (as s_commit draws them) lie between the limit and
       the buffer's size. */
    unsigned check_seed = 11;
    unsigned char blob[9000];
    size_t bytes = 0;
    for (int i = 0; i < 30; i++) {
        int n = 1 + rand_r (&check_seed) % (int)sizeof blob;
        s_random_bytes (blob, (size_t)n, &check_seed);
        bytes += (size_t)n;
    }
    assert_true (bytes > 80 * 1024 && bytes < 200 * 1024);
    char *dir = jk_test_tmpdir ("vfs-bulk-full");
    char *path = jk_sprintf ("%s/f.db", dir);
    pid_t child = jk_test_fork ();
    assert_true (child >= 0);
    if (child == 0) {
        signal (SIGXFSZ, SIG_IGN);
        sqlite3 *db = NULL;
        if (sqlite3_open_v2 (path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             jk_vfs_bulk ()) != SQLITE_OK ||
            sqlite3_exec (db,
                          "PRAGMA journal_mode = OFF;"
                          " PRAGMA synchronous = OFF;"
                          " CREATE TABLE t (k INTEGER, i INTEGER, b BLOB,"
                          " PRIMARY KEY (k, i))",
                          NULL, NULL, NULL) != SQLITE_OK)
            _exit (2);
        struct rlimit limit = {.rlim_cur = 64 * 1024, .rlim_max = 64 * 1024};
        if (setrlimit (RLIMIT_FSIZE, &limit) != 0)
            _exit (3);
        unsigned seed = 11;
        int rc = s_commit (db, 1, 30, &seed);
        _exit (rc == SQLITE_OK                                    ? 1
               : rc == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR ? 0
                                                                  : 4);
    }
    int status = 0;
    assert_true (jk_test_wait_exit (child, &status, 30000));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    free (path);
    jk_test_rmdir (&dir);
}

/* The WAL hook: the frames in the WAL after each commit, in *arg. */
static int s_frames_hook (void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    *(int *)arg = frames;
    return SQLITE_OK;
}

/* Reads asked and made through the VFS while sql runs. */
static void s_count_reads (sqlite3 *db, const char *sql,
                           unsigned long long *asked, unsigned long long *made)
{
    jk_vfs_wal_stats_t before, after;
    jk_vfs_wal_stats (&before);
    s_exec (db, sql);
    jk_vfs_wal_stats (&after);
    *asked = after.read_asked - before.read_asked;
    *made = after.read_made - before.read_made;
}

/* 40 commits, then a checkpoint: its reads of the frames (one per page)
   are served from pieces read ahead, in a fraction of the preads, and
   the database holds every row. */
static void test_checkpoint_reads_ahead (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("vfs-ahead");
    char *path = jk_sprintf ("%s/a.db", dir);
    sqlite3 *db = s_open (path, jk_vfs_wal (), "FULL");
    s_exec (db, "CREATE TABLE t (k INTEGER, i INTEGER, b BLOB,"
                " PRIMARY KEY (k, i))");
    unsigned seed = 17, check_seed = 17;
    int64_t want[2] = {0, 0};
    for (int k = 1; k <= 40; k++) {
        assert_int_equal (s_commit (db, k, 10, &seed), SQLITE_OK);
        s_expect (10, &check_seed, want);
    }
    unsigned long long asked, made;
    s_count_reads (db, "PRAGMA wal_checkpoint(TRUNCATE)", &asked, &made);
    /* 400 rows of 4.5 KB on average: more than 400 pages copied. */
    assert_true (asked > 400);
    assert_true (made * 3 < asked);
    char *wal = jk_sprintf ("%s-wal", path);
    assert_int_equal (jk_test_file_size (wal), 0);
    free (wal);
    s_assert_census (path, want);
    assert_int_equal (sqlite3_close (db), SQLITE_OK);
    free (path);
    jk_test_rmdir (&dir);
}

/* A checkpoint on a connection of its own (as the store's WAL thread)
   copies every frame; the writer's next transaction writes the WAL from
   its beginning again, other pages over the same offsets; the second
   checkpoint on that connection copies the new bytes, not the first
   checkpoint's pieces. */
static void test_checkpoint_after_restart (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("vfs-restart");
    char *path = jk_sprintf ("%s/r.db", dir);
    sqlite3 *writer = s_open (path, jk_vfs_wal (), "FULL");
    sqlite3 *checkpointer = s_open (path, jk_vfs_wal (), "FULL");
    int frames = 0;
    sqlite3_wal_hook (writer, s_frames_hook, &frames);
    s_exec (writer, "CREATE TABLE t (k INTEGER, i INTEGER, b BLOB,"
                    " PRIMARY KEY (k, i))");
    unsigned seed = 23;
    for (int k = 1; k <= 10; k++)
        assert_int_equal (s_commit (writer, k, 12, &seed), SQLITE_OK);
    int log = -1, done = -1;
    assert_int_equal (sqlite3_wal_checkpoint_v2 (checkpointer, "main",
                                                 SQLITE_CHECKPOINT_PASSIVE,
                                                 &log, &done),
                      SQLITE_OK);
    assert_true (log > 100);
    assert_int_equal (done, log);
    char *wal = jk_sprintf ("%s-wal", path);
    /* Every row again, with other bytes: the WAL restarts at its
       beginning, its frames over the old ones. */
    unsigned check_seed = seed;
    s_exec (writer, "DELETE FROM t");
    assert_true (frames > 0 && frames < log);
    int64_t want[2] = {0, 0};
    for (int k = 1; k <= 10; k++) {
        assert_int_equal (s_commit (writer, k, 12, &seed), SQLITE_OK);
        s_expect (12, &check_seed, want);
    }
    int log2 = -1;
    assert_int_equal (sqlite3_wal_checkpoint_v2 (checkpointer, "main",
                                                 SQLITE_CHECKPOINT_PASSIVE,
                                                 &log2, &done),
                      SQLITE_OK);
    assert_true (log2 > log / 2);
    assert_int_equal (done, log2);
    /* The WAL emptied: readers find the rows in the database file. */
    s_exec (checkpointer, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_int_equal (jk_test_file_size (wal), 0);
    s_assert_census (path, want);
    assert_int_equal (sqlite3_close (checkpointer), SQLITE_OK);
    assert_int_equal (sqlite3_close (writer), SQLITE_OK);
    free (wal);
    free (path);
    jk_test_rmdir (&dir);
}

/* A writer in another process commits 150 transactions (synchronous
   FULL, through the VFS) while this process checkpoints through the VFS
   on its own connection again and again, and a reader on a third
   connection holds an older snapshot now and then (so some checkpoints
   copy only part of the frames): the checkpoints read ahead while frames
   are appended after them. After every 10th commit the writer waits
   until a checkpoint has copied every frame, so its next commit writes
   the WAL from its beginning again, over the offsets the checkpoints
   read before (the writer counts its restarts). At the end the database
   holds every row. */
static void test_checkpoint_beside_writer (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("vfs-beside");
    char *path = jk_sprintf ("%s/b.db", dir);
    sqlite3 *setup = s_open (path, jk_vfs_wal (), "FULL");
    s_exec (setup, "CREATE TABLE t (k INTEGER, i INTEGER, b BLOB,"
                   " PRIMARY KEY (k, i))");
    assert_int_equal (sqlite3_close (setup), SQLITE_OK);
    enum { commits = 150 };
    int report[2], go[2];
    assert_int_equal (pipe (report), 0);
    assert_int_equal (pipe (go), 0);
    pid_t child = jk_test_fork ();
    assert_true (child >= 0);
    if (child == 0) {
        close (report[0]);
        close (go[1]);
        sqlite3 *db = NULL;
        /* The busy timeout before the pragmas, as in s_open: their
           first statement reads the schema, beside the checkpoints. */
        if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, jk_vfs_wal ()) !=
                SQLITE_OK ||
            sqlite3_busy_timeout (db, 10000) != SQLITE_OK ||
            sqlite3_exec (db,
                          "PRAGMA synchronous = FULL;"
                          " PRAGMA wal_autocheckpoint = 0;",
                          NULL, NULL, NULL) != SQLITE_OK) {
            fprintf (stderr, "writer: open: %s\n",
                     db ? sqlite3_errmsg (db) : "out of memory");
            _exit (2);
        }
        unsigned seed = 31;
        int restarts = 0, frames = 0, last = 0;
        sqlite3_wal_hook (db, s_frames_hook, &frames);
        for (int k = 1; k <= commits; k++) {
            int rc = s_commit (db, k, 1 + k % 7, &seed);
            if (rc != SQLITE_OK) {
                fprintf (stderr, "writer: commit %d: %s (%d)\n", k,
                         sqlite3_errmsg (db), rc);
                _exit (10 + (rc & 0xff));
            }
            /* Fewer frames than after the commit before: the WAL was
               written from its beginning again, over old frames. */
            restarts += frames < last;
            last = frames;
            char c;
            if (k % 10 == 0 && (write (report[1], &k, sizeof k) != sizeof k ||
                                read (go[0], &c, 1) != 1))
                _exit (3);
        }
        sqlite3_close (db);
        int end[2] = {0, restarts};
        if (write (report[1], end, sizeof end) != sizeof end)
            _exit (3);
        _exit (0);
    }
    close (report[1]);
    close (go[0]);
    sqlite3 *checkpointer = s_open (path, jk_vfs_wal (), "FULL");
    sqlite3 *reader = NULL;
    assert_int_equal (
        sqlite3_open_v2 (path, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    jk_vfs_wal_stats_t before, after;
    jk_vfs_wal_stats (&before);
    int full = 0, turns = 0;
    struct pollfd pfd = {.fd = report[0], .events = POLLIN};
    int waits = 0, restarts = -1;
    while (restarts < 0) {
        bool hold = ++turns % 5 == 0;
        int64_t seen[2];
        if (hold) {
            s_exec (reader, "BEGIN");
            s_census (reader, seen);
        }
        int log = -1, done = -1;
        int rc = sqlite3_wal_checkpoint_v2 (
            checkpointer, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        assert_true (rc == SQLITE_OK || rc == SQLITE_BUSY);
        full += rc == SQLITE_OK && log > 0 && done == log;
        if (hold)
            s_exec (reader, "COMMIT");
        int k = -1;
        if (poll (&pfd, 1, 0) == 1 &&
            read (report[0], &k, sizeof k) != sizeof k) {
            /* The writer ended before its last report: say how. */
            int status = 0;
            assert_true (jk_test_wait_exit (child, &status, 30000));
            fail_msg ("the writer ended early: %s %d",
                      WIFEXITED (status) ? "exit" : "signal",
                      WIFEXITED (status) ? WEXITSTATUS (status)
                                         : WTERMSIG (status));
        }
        if (k == 0)
            assert_int_equal (read (report[0], &restarts, sizeof restarts),
                              sizeof restarts);
        else if (k > 0) {
            /* The writer waits: every frame copied, then it goes on. */
            do
                assert_int_equal (sqlite3_wal_checkpoint_v2 (
                                      checkpointer, "main",
                                      SQLITE_CHECKPOINT_PASSIVE, &log, &done),
                                  SQLITE_OK);
            while (done != log);
            waits++;
            assert_int_equal (write (go[1], "g", 1), 1);
        }
    }
    close (report[0]);
    close (go[1]);
    int status = 0;
    assert_true (jk_test_wait_exit (child, &status, 30000));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    jk_vfs_wal_stats (&after);
    assert_true (full > 0 && turns > 10);
    assert_int_equal (waits, commits / 10);
    assert_true (restarts >= waits - 1);
    assert_true (after.read_made - before.read_made <
                 after.read_asked - before.read_asked);
    s_exec (checkpointer, "PRAGMA wal_checkpoint(TRUNCATE)");
    unsigned check_seed = 31;
    int64_t want[2] = {0, 0};
    for (int k = 1; k <= commits; k++)
        s_expect (1 + k % 7, &check_seed, want);
    s_assert_census (path, want);
    sqlite3_close (reader);
    assert_int_equal (sqlite3_close (checkpointer), SQLITE_OK);
    free (path);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_same_bytes_as_plain_wal),
        cmocka_unit_test (test_same_bytes_as_plain_db),
        cmocka_unit_test (test_same_bytes_as_plain_bulk),
        cmocka_unit_test (test_frames_coalesced),
        cmocka_unit_test (test_bulk_commit_in_file),
        cmocka_unit_test (test_bulk_refused_write_fails_commit),
        cmocka_unit_test (test_readers_full),
        cmocka_unit_test (test_readers_normal),
        cmocka_unit_test (test_kill_full),
        cmocka_unit_test (test_kill_normal),
        cmocka_unit_test (test_checkpoint_writes),
        cmocka_unit_test (test_partial_checkpoint),
        cmocka_unit_test (test_checkpoint_reads_ahead),
        cmocka_unit_test (test_checkpoint_after_restart),
        cmocka_unit_test (test_checkpoint_beside_writer),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
