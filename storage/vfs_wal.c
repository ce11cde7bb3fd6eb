/*  vfs_wal.c - the write-gathering VFSs (jk_vfs.h): wrappers over
    SQLite's default VFS through its documented extension point
    (sqlite3_vfs, sqlite3_io_methods). Every call goes to the default
    VFS's file, except writes to a -wal file (and through "jejak-bulk"
    every file's writes, below): SQLite appends a WAL frame
    as a 24-byte header and then its page; a run of contiguous writes is
    gathered in one buffer and handed to the file in few writes.

    Through "jejak-wal", a database file's writes (a checkpoint's page
    copies) go straight to the file, one each, so a failed copy fails the
    checkpoint from the write itself. Gathered, the last of them would
    reach the file only at the file control SQLITE_FCNTL_CKPT_DONE,
    whose result SQLite ignores; a checkpoint that cannot copy every
    frame (a reader holds an older snapshot) runs no truncate or sync
    after it, so it would record pages as copied that a full disk kept
    out of the file, and the WAL's next restart would write over their
    only copy.

    Through "jejak-bulk" (jk_vfs_bulk) every file's writes are gathered
    the same way, a database file's and SQLite's temporary files' too.
    It serves files loaded without a journal (a rebuild's), which are
    thrown away when anything fails. A database whose WAL is open is
    written by checkpoints alone, and those writes go straight to the
    file there too, so the checkpoint's case above does not arise. A
    commit's last pages reach the file at its SQLITE_FCNTL_SYNC, a file
    control SQLite sends at every commit of a database whatever its
    synchronous setting, and whose failure fails the commit.

    A file's buffer reaches the file (is flushed):
    - in a WAL, right after the page of a commit frame (a frame header
      whose "database size after commit" field is not 0): a commit's
      frames are in the file when SQLite goes on to sync and publish them,
      and a failed write fails that commit, as it would unbuffered;
    - before xSync, xTruncate, xFileSize, xFileControl, xLock, xUnlock,
      xCheckReservedLock, xFetch and xClose of the file, before an xRead
      that reaches the buffered bytes or beyond them, and before a write
      that neither continues nor lies inside them (a write inside them
      changes the buffer). A buffer starts only at or before the file's
      end (a write past it goes straight to the file), so a read before
      the buffer finds what it would find unbuffered;
    - at the database file's xShmBarrier and xShmLock (its WAL's
      buffer): SQLite publishes a commit in the wal-index header with a
      barrier between its two copies, and readers on other connections
      and in other processes take a header only when both copies agree,
      so no reader sees a frame whose bytes are not in the file. With the
      flush at the commit frame the WAL's buffer is already empty there.
    A checkpoint reads the WAL's frames, so a WAL's buffer is flushed
    before it copies them (the read), and a database page it writes is
    in the file when the write returns.

    A checkpoint's reads of the WAL are read ahead. SQLite's checkpoint
    copies the newest frame of each page in the order of the database's
    pages, one 4 KiB read each; a commit writes its frames in that order
    too, so the reads run forward through each commit's frames, the
    commits interleaved. Between the file controls SQLITE_FCNTL_CKPT_START
    and SQLITE_FCNTL_CKPT_DONE of the database file (the copy loop), a
    read of its WAL is served from one of S_AHEAD_SLOTS pieces of
    S_AHEAD_SIZE bytes read at once into the WAL's buffer (empty then:
    the checkpoint synced the WAL, and a buffer holding bytes is not used
    for it), the least recently used piece read anew from the asked
    offset on. What makes the bytes safe to keep for the copy loop:
    - the checkpoint reads only frames up to its "safe" frame, all
      committed and in the file before it began, and holds the WAL's
      read lock 0 exclusively throughout, so no writer on any connection
      or process restarts the WAL (which needs a reader holding lock 0)
      and nothing rewrites those frames while the pieces live; frames a
      writer on another connection appends meanwhile may be in a piece
      half written, but they lie after the safe frame, and the copy loop
      never reads them;
    - the pieces live only from CKPT_START to CKPT_DONE: the next
      checkpoint (after a restart has written new frames over the same
      offsets) reads the file again; any write, truncate or lock of the
      WAL, or a shared-memory lock of its database, drops them too;
    - they are this connection's own memory: readers on other
      connections and processes read the file as before;
    - a piece is never read past the file's end, and a piece that cannot
      be read (an I/O error, a short read) is not kept: the asked bytes
      are then read alone, so an error is the one an unread-ahead read
      would have met.
    Bytes of frames after the last commit may stay in memory until one of
    these happens: they are not committed, and a crash loses them just as
    it loses an unfinished transaction; a crash in a checkpoint leaves
    the frames it was copying in the WAL, as it does unbuffered. */
#include "jk_vfs.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>

#define S_VFS_NAME   "jejak-wal"
#define S_FRAME_HDR  24 /* a WAL frame header's size */
#define S_WAL_HDR    32 /* the WAL header's size */
#define S_COMMIT_OFF 4  /* in a frame header: database size after commit */
/* The most bytes handed to the default VFS's xWrite at once: SQLite's
   unix VFS keeps only the low 17 bits of a write's size (below 128 KiB). */
#define S_WRITE_MAX (124 * 1024)
/* A checkpoint's read-ahead: pieces of a WAL's buffer. */
#define S_AHEAD_SLOTS 8
#define S_AHEAD_SIZE  (JK_VFS_WAL_BUFFER / S_AHEAD_SLOTS)

typedef struct s_file_s s_file_t;
struct s_file_s {
    sqlite3_file base;  /* pMethods: s_methods */
    sqlite3_file *real; /* the default VFS's file, after this struct */
    s_file_t *wal;      /* a database: its WAL opened through this VFS */
    s_file_t *db;       /* a WAL: its database's file */
    bool is_wal;        /* a -wal file: its writes are gathered */
    bool gather;        /* opened through "jejak-bulk": gathered too */
    bool commit_next;   /* the next write is a commit frame's page */
    unsigned char *buf; /* JK_VFS_WAL_BUFFER bytes, or NULL */
    sqlite3_int64 off;  /* the file offset of buf[0] */
    size_t len;         /* bytes buffered */
    sqlite3_int64 size; /* the file's size, -1 when not known */
    int deferred;       /* a failed flush no caller could be told of */
    bool checkpoint;    /* a database: inside a checkpoint's copy loop */
    /* A WAL in its database's checkpoint: the pieces read ahead into buf
       (len 0 then), a piece's file offset, its bytes (0: none) and when
       it last served a read. */
    sqlite3_int64 ahead_off[S_AHEAD_SLOTS];
    int ahead_len[S_AHEAD_SLOTS];
    unsigned ahead_used[S_AHEAD_SLOTS];
    unsigned ahead_clock;
};

static sqlite3_vfs s_vfs, s_bulk_vfs;
static sqlite3_vfs *s_real;
static unsigned long long s_asked, s_written, s_read_asked, s_read_made;

static sqlite3_file *s_of (sqlite3_file *file)
{
    return ((s_file_t *)file)->real;
}

/* ---- the buffer ------------------------------------------------------------
 */

static int s_real_write (s_file_t *f, const void *data, int n,
                         sqlite3_int64 off)
{
    __atomic_add_fetch (&s_written, 1, __ATOMIC_RELAXED);
    int rc = f->real->pMethods->xWrite (f->real, data, n, off);
    if (rc != SQLITE_OK)
        f->size = -1;
    else if (f->size >= 0 && off + n > f->size)
        f->size = off + n;
    return rc;
}

/* The file's size. Known from the last look while no lock of this
   connection changed (no other connection can change it then: a WAL
   grows, is restarted or truncated only under the write lock, and a
   database in WAL mode is written only by a checkpoint, under the
   checkpoint lock); a WAL whose database is not open here always looks. */
static sqlite3_int64 s_size (s_file_t *f)
{
    if (f->size < 0 || (f->is_wal && !f->db)) {
        sqlite3_int64 size = -1;
        if (f->real->pMethods->xFileSize (f->real, &size) != SQLITE_OK)
            size = -1;
        f->size = size;
    }
    return f->size;
}

/* The pieces read ahead are dropped. */
static void s_ahead_drop (s_file_t *f)
{
    if (!f || f->ahead_clock == 0)
        return;
    memset (f->ahead_len, 0, sizeof f->ahead_len);
    memset (f->ahead_used, 0, sizeof f->ahead_used);
    f->ahead_clock = 0;
}

/* A read of a WAL in its database's checkpoint, from a piece read ahead
   (or read now into the least recently used one): true when served;
   false leaves it to a read of its own. */
static bool s_ahead_read (s_file_t *f, void *data, int n, sqlite3_int64 off)
{
    if (f->len > 0 || n > S_AHEAD_SIZE)
        return false;
    if (!f->buf)
        f->buf = sqlite3_malloc (JK_VFS_WAL_BUFFER);
    if (!f->buf)
        return false;
    int slot = 0;
    for (int i = 0; i < S_AHEAD_SLOTS; i++) {
        if (f->ahead_len[i] > 0 && off >= f->ahead_off[i] &&
            off + n <= f->ahead_off[i] + f->ahead_len[i]) {
            memcpy (data,
                    f->buf + (size_t)i * S_AHEAD_SIZE +
                        (size_t)(off - f->ahead_off[i]),
                    (size_t)n);
            f->ahead_used[i] = ++f->ahead_clock;
            return true;
        }
        if (f->ahead_used[i] < f->ahead_used[slot])
            slot = i;
    }
    /* Never past the file's end (its size as last seen: a WAL only grows
       while a checkpoint copies). */
    sqlite3_int64 size = s_size (f);
    sqlite3_int64 len = size - off < S_AHEAD_SIZE ? size - off : S_AHEAD_SIZE;
    if (len < n)
        return false;
    unsigned char *piece = f->buf + (size_t)slot * S_AHEAD_SIZE;
    f->ahead_len[slot] = 0;
    __atomic_add_fetch (&s_read_made, 1, __ATOMIC_RELAXED);
    if (f->real->pMethods->xRead (f->real, piece, (int)len, off) != SQLITE_OK)
        return false;
    f->ahead_off[slot] = off;
    f->ahead_len[slot] = (int)len;
    f->ahead_used[slot] = ++f->ahead_clock;
    memcpy (data, piece, (size_t)n);
    return true;
}

static int s_flush (s_file_t *f)
{
    if (f->deferred) {
        int rc = f->deferred;
        f->deferred = SQLITE_OK;
        return rc;
    }
    int rc = SQLITE_OK;
    size_t done = 0;
    while (done < f->len && rc == SQLITE_OK) {
        /* Pieces end on a page boundary of the file. */
        sqlite3_int64 at = f->off + (sqlite3_int64)done;
        sqlite3_int64 end = (at + S_WRITE_MAX) & ~(sqlite3_int64)(4096 - 1);
        size_t piece = (size_t)(end - at);
        if (piece > f->len - done)
            piece = f->len - done;
        rc = s_real_write (f, f->buf + done, (int)piece, at);
        done += piece;
    }
    f->len = 0;
    return rc;
}

/* A flush in a call that cannot fail: its error goes to the file's next
   caller. */
static void s_flush_deferred (s_file_t *f)
{
    if (f && f->len > 0) {
        int rc = s_flush (f);
        if (rc != SQLITE_OK)
            f->deferred = rc;
    }
}

/* A write to a WAL: into the buffer when it continues or lies
   inside the buffered bytes, else after a flush, into a fresh buffer (or
   straight to the file when it is larger than the buffer or starts past
   the file's end). */
static int s_buffer_write (s_file_t *f, const void *data, int n,
                           sqlite3_int64 off)
{
    __atomic_add_fetch (&s_asked, 1, __ATOMIC_RELAXED);
    s_ahead_drop (f);
    if (f->deferred) {
        int rc = f->deferred;
        f->deferred = SQLITE_OK;
        return rc;
    }
    /* A frame header is the only 24-byte write SQLite makes to a WAL;
       the page after a commit frame's header ends the commit. */
    bool commit_page = f->commit_next;
    f->commit_next =
        f->is_wal && n == S_FRAME_HDR && off >= S_WAL_HDR &&
        memcmp ((const unsigned char *)data + S_COMMIT_OFF, "\0\0\0\0", 4) != 0;
    if (!f->buf)
        f->buf = sqlite3_malloc (JK_VFS_WAL_BUFFER);
    size_t size = (size_t)n;
    sqlite3_int64 end = f->off + (sqlite3_int64)f->len;
    bool fits = f->buf && off >= f->off && off <= end &&
                (size_t)(off - f->off) + size <= JK_VFS_WAL_BUFFER;
    if (f->len > 0 && !fits) {
        int rc = s_flush (f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (f->len == 0) {
        /* Past the file's end, a hole: straight to the file, so a read
           before the buffer never finds the file shorter than it was. */
        if (!f->buf || size > JK_VFS_WAL_BUFFER || off > s_size (f))
            return s_real_write (f, data, n, off);
        f->off = off;
    }
    size_t at = (size_t)(off - f->off);
    memcpy (f->buf + at, data, size);
    if (at + size > f->len)
        f->len = at + size;
    return commit_page ? s_flush (f) : SQLITE_OK;
}

/* ---- the file --------------------------------------------------------------
 */

static int s_close (sqlite3_file *file)
{
    s_file_t *f = (s_file_t *)file;
    int rc = s_flush (f);
    if (f->db && f->db->wal == f)
        f->db->wal = NULL;
    if (f->wal && f->wal->db == f)
        f->wal->db = NULL;
    sqlite3_free (f->buf);
    f->buf = NULL;
    int closed = f->real->pMethods->xClose (f->real);
    return rc != SQLITE_OK ? rc : closed;
}

static int s_read (sqlite3_file *file, void *data, int n, sqlite3_int64 off)
{
    s_file_t *f = (s_file_t *)file;
    __atomic_add_fetch (&s_read_asked, 1, __ATOMIC_RELAXED);
    if (f->len > 0 && off + n > f->off) {
        int rc = s_flush (f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (f->is_wal && f->db && f->db->checkpoint &&
        s_ahead_read (f, data, n, off))
        return SQLITE_OK;
    __atomic_add_fetch (&s_read_made, 1, __ATOMIC_RELAXED);
    return f->real->pMethods->xRead (f->real, data, n, off);
}

static int s_write (sqlite3_file *file, const void *data, int n,
                    sqlite3_int64 off)
{
    s_file_t *f = (s_file_t *)file;
    /* A database with its WAL open is written by checkpoints alone:
       those writes go straight to the file, through either VFS. */
    if (f->is_wal || (f->gather && !f->wal))
        return s_buffer_write (f, data, n, off);
    __atomic_add_fetch (&s_asked, 1, __ATOMIC_RELAXED);
    return s_real_write (f, data, n, off);
}

static int s_truncate (sqlite3_file *file, sqlite3_int64 size)
{
    s_file_t *f = (s_file_t *)file;
    s_ahead_drop (f);
    int rc = s_flush (f);
    if (rc == SQLITE_OK)
        rc = f->real->pMethods->xTruncate (f->real, size);
    f->size = -1;
    return rc;
}

static int s_sync (sqlite3_file *file, int flags)
{
    int rc = s_flush ((s_file_t *)file);
    return rc != SQLITE_OK ? rc
                           : s_of (file)->pMethods->xSync (s_of (file), flags);
}

static int s_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
    int rc = s_flush ((s_file_t *)file);
    return rc != SQLITE_OK
               ? rc
               : s_of (file)->pMethods->xFileSize (s_of (file), size);
}

static int s_lock (sqlite3_file *file, int level)
{
    s_file_t *f = (s_file_t *)file;
    s_ahead_drop (f);
    int rc = s_flush (f);
    f->size = -1;
    return rc != SQLITE_OK ? rc : f->real->pMethods->xLock (f->real, level);
}

static int s_unlock (sqlite3_file *file, int level)
{
    s_file_t *f = (s_file_t *)file;
    s_ahead_drop (f);
    int rc = s_flush (f);
    f->size = -1;
    return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock (f->real, level);
}

static int s_check_reserved (sqlite3_file *file, int *out)
{
    int rc = s_flush ((s_file_t *)file);
    return rc != SQLITE_OK
               ? rc
               : s_of (file)->pMethods->xCheckReservedLock (s_of (file), out);
}

static int s_file_control (sqlite3_file *file, int op, void *arg)
{
    s_file_t *f = (s_file_t *)file;
    if (op == SQLITE_FCNTL_CKPT_START || op == SQLITE_FCNTL_CKPT_DONE) {
        /* A database's checkpoint: its copy loop lies between. */
        f->checkpoint = op == SQLITE_FCNTL_CKPT_START;
        s_ahead_drop (f->wal);
    }
    int rc = s_flush (f);
    if (rc != SQLITE_OK) {
        /* SQLite ignores what some file controls return: the file's
           next call fails too, so the failed write is not lost unseen. */
        f->deferred = rc;
        return rc;
    }
    return f->real->pMethods->xFileControl (f->real, op, arg);
}

static int s_sector_size (sqlite3_file *file)
{
    return s_of (file)->pMethods->xSectorSize (s_of (file));
}

static int s_device (sqlite3_file *file)
{
    return s_of (file)->pMethods->xDeviceCharacteristics (s_of (file));
}

static int s_shm_map (sqlite3_file *file, int page, int size, int extend,
                      void volatile **out)
{
    sqlite3_file *real = s_of (file);
    if (real->pMethods->iVersion < 2 || !real->pMethods->xShmMap)
        return SQLITE_IOERR_SHMMAP;
    return real->pMethods->xShmMap (real, page, size, extend, out);
}

static int s_shm_lock (sqlite3_file *file, int offset, int n, int flags)
{
    s_file_t *f = (s_file_t *)file;
    s_flush_deferred (f->wal);
    s_ahead_drop (f->wal);
    f->size = -1;
    if (f->wal)
        f->wal->size = -1;
    return f->real->pMethods->xShmLock (f->real, offset, n, flags);
}

/* The barrier between the two copies of the wal-index header a commit
   writes: the WAL's bytes reach the file before the second copy. */
static void s_shm_barrier (sqlite3_file *file)
{
    s_file_t *f = (s_file_t *)file;
    s_flush_deferred (f->wal);
    f->real->pMethods->xShmBarrier (f->real);
}

static int s_shm_unmap (sqlite3_file *file, int delete_flag)
{
    sqlite3_file *real = s_of (file);
    return real->pMethods->xShmUnmap (real, delete_flag);
}

static int s_fetch (sqlite3_file *file, sqlite3_int64 off, int n, void **out)
{
    sqlite3_file *real = s_of (file);
    int rc = s_flush ((s_file_t *)file);
    if (rc != SQLITE_OK) {
        *out = NULL;
        return rc;
    }
    if (real->pMethods->iVersion < 3 || !real->pMethods->xFetch) {
        *out = NULL;
        return SQLITE_OK;
    }
    return real->pMethods->xFetch (real, off, n, out);
}

static int s_unfetch (sqlite3_file *file, sqlite3_int64 off, void *p)
{
    sqlite3_file *real = s_of (file);
    if (real->pMethods->iVersion < 3 || !real->pMethods->xUnfetch)
        return SQLITE_OK;
    return real->pMethods->xUnfetch (real, off, p);
}

static const sqlite3_io_methods s_methods = {
    .iVersion = 3,
    .xClose = s_close,
    .xRead = s_read,
    .xWrite = s_write,
    .xTruncate = s_truncate,
    .xSync = s_sync,
    .xFileSize = s_file_size,
    .xLock = s_lock,
    .xUnlock = s_unlock,
    .xCheckReservedLock = s_check_reserved,
    .xFileControl = s_file_control,
    .xSectorSize = s_sector_size,
    .xDeviceCharacteristics = s_device,
    .xShmMap = s_shm_map,
    .xShmLock = s_shm_lock,
    .xShmBarrier = s_shm_barrier,
    .xShmUnmap = s_shm_unmap,
    .xFetch = s_fetch,
    .xUnfetch = s_unfetch,
};

/* ---- the VFS ---------------------------------------------------------------
 */

static int s_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
                   int flags, int *out_flags)
{
    s_file_t *f = (s_file_t *)file;
    memset (f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    f->size = -1;
    int rc = s_real->xOpen (s_real, name, f->real, flags, out_flags);
    if (!f->real->pMethods)
        return rc; /* nothing open: SQLite calls no xClose */
    f->base.pMethods = &s_methods;
    f->gather = vfs == &s_bulk_vfs && !(flags & SQLITE_OPEN_WAL);
    if ((flags & SQLITE_OPEN_WAL) && name && rc == SQLITE_OK) {
        f->is_wal = true;
        /* SQLite's name of a WAL leads to its database's open file. */
        sqlite3_file *db = sqlite3_database_file_object (name);
        if (db && db->pMethods == &s_methods) {
            f->db = (s_file_t *)db;
            f->db->wal = f;
        }
    }
    return rc;
}

static int s_delete (sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return s_real->xDelete (s_real, name, sync_dir);
}

static int s_access (sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return s_real->xAccess (s_real, name, flags, out);
}

static int s_full_path (sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return s_real->xFullPathname (s_real, name, n, out);
}

static void *s_dl_open (sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return s_real->xDlOpen (s_real, name);
}

static void s_dl_error (sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    s_real->xDlError (s_real, n, out);
}

static void (*s_dl_sym (sqlite3_vfs *vfs, void *handle,
                        const char *symbol)) (void)
{
    (void)vfs;
    return s_real->xDlSym (s_real, handle, symbol);
}

static void s_dl_close (sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    s_real->xDlClose (s_real, handle);
}

static int s_randomness (sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return s_real->xRandomness (s_real, n, out);
}

static int s_sleep (sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return s_real->xSleep (s_real, us);
}

static int s_current_time (sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return s_real->xCurrentTime (s_real, out);
}

static int s_last_error (sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return s_real->xGetLastError ? s_real->xGetLastError (s_real, n, out) : 0;
}

static int s_current_time_64 (sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return s_real->xCurrentTimeInt64 (s_real, out);
}

static void s_init (void)
{
    s_real = sqlite3_vfs_find (NULL);
    if (!s_real)
        return;
    s_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof (s_file_t) + s_real->szOsFile,
        .mxPathname = s_real->mxPathname,
        .zName = S_VFS_NAME,
        .xOpen = s_open,
        .xDelete = s_delete,
        .xAccess = s_access,
        .xFullPathname = s_full_path,
        .xDlOpen = s_dl_open,
        .xDlError = s_dl_error,
        .xDlSym = s_dl_sym,
        .xDlClose = s_dl_close,
        .xRandomness = s_randomness,
        .xSleep = s_sleep,
        .xCurrentTime = s_current_time,
        .xGetLastError = s_last_error,
        .xCurrentTimeInt64 = s_real->iVersion >= 2 ? s_current_time_64 : NULL,
    };
    s_bulk_vfs = s_vfs;
    s_bulk_vfs.zName = "jejak-bulk";
    if (sqlite3_vfs_register (&s_vfs, 0) != SQLITE_OK ||
        sqlite3_vfs_register (&s_bulk_vfs, 0) != SQLITE_OK)
        s_real = NULL;
}

const char *jk_vfs_wal (void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once (&once, s_init);
    return s_real ? S_VFS_NAME : NULL;
}

const char *jk_vfs_bulk (void)
{
    return jk_vfs_wal () ? "jejak-bulk" : NULL;
}

void jk_vfs_wal_stats (jk_vfs_wal_stats_t *out)
{
    out->asked = __atomic_load_n (&s_asked, __ATOMIC_RELAXED);
    out->written = __atomic_load_n (&s_written, __ATOMIC_RELAXED);
    out->read_asked = __atomic_load_n (&s_read_asked, __ATOMIC_RELAXED);
    out->read_made = __atomic_load_n (&s_read_made, __ATOMIC_RELAXED);
}
