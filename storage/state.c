/*  state.c - the projections' file at their position, read page by page
    for a state transfer (jk_state.h). SQLite's backup API copies the
    pages, in the read transaction that read P, into a destination on a
    VFS of this file ("jk-state"), which keeps the first piece (it holds
    the header SQLite rewrites until the copy is done) and the pages not
    yet handed out, and nothing else. Pages come out of the backup in
    order; one that would land before what was handed out already fails
    the transfer rather than send a wrong image. */
#include "jk_state.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#define S_VFS_NAME "jk-state"

struct jk_state_s {
    sqlite3 *src; /* the projections, read transaction open */
    sqlite3 *dst; /* on the jk-state VFS */
    sqlite3_backup *backup;
    bool done;   /* every page copied */
    bool broken; /* a page came back out of order */
    uint64_t pos;
    uint8_t hash[32];
    uint64_t total; /* the image's size */
    size_t chunk;   /* bytes per piece */
    int page_size;
    uint8_t *first;   /* bytes [0, chunk): handed out last */
    uint64_t size;    /* the destination's size, as SQLite sees it */
    uint8_t *buf;     /* bytes [buf_off, buf_off + len) not handed out */
    uint64_t buf_off; /* from chunk on */
    size_t len, cap;
    uint64_t next;    /* the next piece's offset (from chunk on) */
    bool first_given; /* the piece at 0 handed out */
};

/* ---- the VFS: a destination that keeps only what is not handed out ---- */

typedef struct {
    sqlite3_file base;
    jk_state_t *state;
} s_file_t;

/* The state whose destination the thread is opening (xOpen takes it). */
static __thread jk_state_t *s_opening;

static int s_close (sqlite3_file *file)
{
    (void)file;
    return SQLITE_OK;
}

static int s_read (sqlite3_file *file, void *out, int n, sqlite3_int64 off)
{
    jk_state_t *self = ((s_file_t *)file)->state;
    uint8_t *p = out;
    memset (p, 0, (size_t)n);
    uint64_t from = (uint64_t)off, to = from + (uint64_t)n;
    for (uint64_t o = from; o < to && o < self->chunk; o++)
        p[o - from] = self->first[o];
    uint64_t lo = from > self->buf_off ? from : self->buf_off;
    uint64_t hi =
        to < self->buf_off + self->len ? to : self->buf_off + self->len;
    if (lo < hi)
        memcpy (p + (lo - from), self->buf + (lo - self->buf_off), hi - lo);
    return to > self->size ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

static int s_write (sqlite3_file *file, const void *data, int n,
                    sqlite3_int64 off)
{
    jk_state_t *self = ((s_file_t *)file)->state;
    const uint8_t *p = data;
    uint64_t o = (uint64_t)off, end = o + (uint64_t)n;
    if (end > self->size)
        self->size = end;
    if (o < self->chunk) {
        uint64_t k = (end < self->chunk ? end : self->chunk) - o;
        memcpy (self->first + o, p, k);
        p += k;
        o += k;
    }
    if (o >= end)
        return SQLITE_OK;
    if (o < self->buf_off) {
        self->broken = true; /* already handed out */
        return SQLITE_IOERR_WRITE;
    }
    size_t need = (size_t)(end - self->buf_off);
    if (need > self->cap) {
        size_t cap = self->cap ? self->cap : 1 << 20;
        while (cap < need)
            cap *= 2;
        self->buf = jk_realloc (self->buf, cap);
        self->cap = cap;
    }
    size_t at = (size_t)(o - self->buf_off);
    if (at > self->len)
        memset (self->buf + self->len, 0, at - self->len);
    memcpy (self->buf + at, p, (size_t)(end - o));
    if (need > self->len)
        self->len = need;
    return SQLITE_OK;
}

static int s_truncate (sqlite3_file *file, sqlite3_int64 size)
{
    jk_state_t *self = ((s_file_t *)file)->state;
    if ((uint64_t)size < self->buf_off && self->next > self->chunk) {
        self->broken = true;
        return SQLITE_IOERR_TRUNCATE;
    }
    self->size = (uint64_t)size;
    if ((uint64_t)size < self->buf_off + self->len)
        self->len = (uint64_t)size > self->buf_off
                        ? (size_t)((uint64_t)size - self->buf_off)
                        : 0;
    return SQLITE_OK;
}

static int s_sync (sqlite3_file *file, int flags)
{
    (void)file;
    (void)flags;
    return SQLITE_OK;
}

static int s_file_size (sqlite3_file *file, sqlite3_int64 *size)
{
    *size = (sqlite3_int64)((s_file_t *)file)->state->size;
    return SQLITE_OK;
}

static int s_lock (sqlite3_file *file, int level)
{
    (void)file;
    (void)level;
    return SQLITE_OK;
}

static int s_check_reserved (sqlite3_file *file, int *out)
{
    (void)file;
    *out = 0;
    return SQLITE_OK;
}

static int s_file_control (sqlite3_file *file, int op, void *arg)
{
    (void)file;
    (void)op;
    (void)arg;
    return SQLITE_NOTFOUND;
}

static int s_sector_size (sqlite3_file *file)
{
    (void)file;
    return 4096;
}

static int s_device (sqlite3_file *file)
{
    (void)file;
    return 0;
}

static const sqlite3_io_methods s_methods = {
    .iVersion = 1,
    .xClose = s_close,
    .xRead = s_read,
    .xWrite = s_write,
    .xTruncate = s_truncate,
    .xSync = s_sync,
    .xFileSize = s_file_size,
    .xLock = s_lock,
    .xUnlock = s_lock,
    .xCheckReservedLock = s_check_reserved,
    .xFileControl = s_file_control,
    .xSectorSize = s_sector_size,
    .xDeviceCharacteristics = s_device,
};

static int s_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
                   int flags, int *out_flags)
{
    (void)vfs;
    (void)name;
    /* The main database only: journal_mode=OFF, no temporary files. */
    if (!(flags & SQLITE_OPEN_MAIN_DB) || !s_opening)
        return SQLITE_CANTOPEN;
    s_file_t *f = (s_file_t *)file;
    f->base.pMethods = &s_methods;
    f->state = s_opening;
    if (out_flags)
        *out_flags = flags;
    return SQLITE_OK;
}

static int s_delete (sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    (void)name;
    (void)sync_dir;
    return SQLITE_OK;
}

static int s_access (sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    (void)name;
    (void)flags;
    *out = 0;
    return SQLITE_OK;
}

static int s_full_path (sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    snprintf (out, (size_t)n, "%s", name);
    return SQLITE_OK;
}

static sqlite3_vfs s_vfs;

/* Registers the VFS once (not as the default). */
static void s_vfs_init (void)
{
    sqlite3_vfs *base = sqlite3_vfs_find (NULL);
    s_vfs = *base;
    s_vfs.iVersion = 1;
    s_vfs.szOsFile = (int)sizeof (s_file_t);
    s_vfs.zName = S_VFS_NAME;
    s_vfs.pNext = NULL;
    s_vfs.xOpen = s_open;
    s_vfs.xDelete = s_delete;
    s_vfs.xAccess = s_access;
    s_vfs.xFullPathname = s_full_path;
    sqlite3_vfs_register (&s_vfs, 0);
}

/* ---- the state ------------------------------------------------------------
 */

static int s_step (jk_state_t *self, int pages)
{
    int rc = sqlite3_backup_step (self->backup, pages);
    if (rc == SQLITE_DONE)
        self->done = true;
    else if (rc != SQLITE_OK || self->broken) {
        jk_error ("query", "STATE: copying the projections failed: %s%s",
                  sqlite3_errstr (rc),
                  self->broken ? " (a page out of order)" : "");
        return JK_IO;
    }
    return JK_OK;
}

jk_state_t *jk_state_new (const char *log_path, size_t chunk, char *err,
                          size_t err_size)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once (&once, s_vfs_init);
    jk_state_t *self = jk_calloc (1, sizeof *self);
    self->chunk = chunk;
    self->first = jk_calloc (1, chunk);
    self->buf_off = chunk;
    self->next = chunk;
    self->src = jk_projections_open_read (log_path, err, err_size);
    if (!self->src) {
        jk_state_destroy (&self);
        return NULL;
    }
    s_opening = self;
    int rc = sqlite3_open_v2 ("state", &self->dst,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                  SQLITE_OPEN_NOMUTEX,
                              S_VFS_NAME);
    s_opening = NULL;
    sqlite3_stmt *st = NULL;
    /* The destination's own cache stays small: every page goes through
       it to s_write, which keeps what is not sent yet. With 4,096 pages
       (16 MiB) it grew the thread's heap a page at a time (an mprotect
       and a page fault for each) before the first piece could leave:
       0.20-0.30 s of a 10M join; with 64, 0.12-0.16 s. */
    if (rc != SQLITE_OK ||
        sqlite3_exec (self->dst,
                      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                      " PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=64",
                      NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec (self->src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        jk_projections_position (self->src, &self->pos, self->hash) != JK_OK ||
        sqlite3_prepare_v2 (self->src, "PRAGMA proj.page_size", -1, &st,
                            NULL) != SQLITE_OK ||
        sqlite3_step (st) != SQLITE_ROW ||
        !(self->backup =
              sqlite3_backup_init (self->dst, "main", self->src, "proj"))) {
        snprintf (err, err_size, "cannot read the projections: %s / %s",
                  sqlite3_errmsg (self->src),
                  self->dst ? sqlite3_errmsg (self->dst) : "no destination");
        sqlite3_finalize (st);
        jk_state_destroy (&self);
        return NULL;
    }
    self->page_size = sqlite3_column_int (st, 0);
    sqlite3_finalize (st);
    /* The first step learns the page count: the image's size. */
    if (s_step (self, 1) != JK_OK) {
        snprintf (err, err_size, "cannot copy the projections");
        jk_state_destroy (&self);
        return NULL;
    }
    self->total = (uint64_t)sqlite3_backup_pagecount (self->backup) *
                  (uint64_t)self->page_size;
    return self;
}

void jk_state_destroy (jk_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_state_t *self = *self_p;
    if (self->backup)
        sqlite3_backup_finish (self->backup);
    if (self->src) {
        sqlite3_exec (self->src, "COMMIT", NULL, NULL, NULL);
        sqlite3_close (self->src);
    }
    if (self->dst)
        sqlite3_close (self->dst);
    free (self->first);
    free (self->buf);
    free (self);
    *self_p = NULL;
}

uint64_t jk_state_pos (jk_state_t *self)
{
    return self->pos;
}

const uint8_t *jk_state_hash (jk_state_t *self)
{
    return self->hash;
}

uint64_t jk_state_total (jk_state_t *self)
{
    return self->total;
}

int jk_state_next (jk_state_t *self, uint64_t *offset, zframe_t **bytes)
{
    assert (self && offset && bytes);
    *bytes = NULL;
    if (self->next < self->total) {
        uint64_t left = self->total - self->next;
        size_t n = (size_t)(left < self->chunk ? left : self->chunk);
        int pages = (int)(n / (size_t)self->page_size) + 2;
        while (!self->done && self->buf_off + self->len < self->next + n)
            if (s_step (self, pages) != JK_OK)
                return JK_IO;
        if (self->broken || self->buf_off != self->next || self->len < n) {
            jk_error ("query",
                      "STATE: the copy is shorter than its %llu "
                      "bytes",
                      (unsigned long long)self->total);
            return JK_IO;
        }
        *bytes = zframe_new (self->buf, n);
        memmove (self->buf, self->buf + n, self->len - n);
        self->len -= n;
        self->buf_off += n;
        *offset = self->next;
        self->next += n;
        return JK_OK;
    }
    if (self->first_given)
        return JK_NOT_FOUND;
    while (!self->done)
        if (s_step (self, -1) != JK_OK)
            return JK_IO;
    if (self->broken || self->size != self->total) {
        jk_error ("query", "STATE: the copy has %llu bytes, not %llu",
                  (unsigned long long)self->size,
                  (unsigned long long)self->total);
        return JK_IO;
    }
    size_t n = (size_t)(self->total < self->chunk ? self->total : self->chunk);
    if (n > 19)
        self->first[18] = self->first[19] = 1;
    *bytes = zframe_new (self->first, n);
    *offset = 0;
    self->first_given = true;
    return JK_OK;
}
