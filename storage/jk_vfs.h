/*  jk_vfs.h - the SQLite VFSs the store's writing connections and the
    rebuild open their databases through (docs/ARCHITECTURE.md, "The
    log's WAL"): SQLite's default VFS with contiguous writes gathered in
    memory and handed to the file in few pwrite(2)s.
    - jk_vfs_wal: a -wal file's frames (two writes each otherwise, the
      24-byte header, then the page). A database file's writes (a
      checkpoint's page copies) are not gathered.
    - jk_vfs_bulk: every file's writes, a database file's and SQLite's
      temporary files' too, for files loaded without a journal that are
      thrown away when anything fails (a rebuild's output while it loads,
      its staging database): SQLite writes their pages one pwrite each,
      in page order.
    What is durable and what other connections and processes can read is
    unchanged: the bytes reach the file before every sync, before a
    commit ends (the file control SQLITE_FCNTL_SYNC, which SQLite sends
    at every commit, synchronous OFF included, and whose failure fails
    the commit), before a commit's frames are published in the
    wal-index, and before anything else looks at the file. */
#ifndef JK_VFS_H
#define JK_VFS_H

#include <stddef.h>

/* The most bytes held in memory per open file whose writes are gathered
   (one buffer, taken on the file's first write, freed when it is
   closed). */
#define JK_VFS_WAL_BUFFER (256 * 1024)

/* The VFS's name, for sqlite3_open_v2's last argument; registered (not
   as the default) on the first call, from any thread. NULL (SQLite's
   default VFS then) only when SQLite has no default VFS. */
const char *jk_vfs_wal (void);

/* The VFS that gathers every file's writes (above), registered with
   jk_vfs_wal's; NULL when that one is. */
const char *jk_vfs_bulk (void);

/* Counters of this process's I/O through the VFS, for tests and
   benchmarks: writes asked for by SQLite, and pwrites made for them;
   reads asked for, and preads made for them (a checkpoint's reads of a
   WAL are read ahead: S_AHEAD_SLOTS in vfs_wal.c). */
typedef struct {
    unsigned long long asked;
    unsigned long long written;
    unsigned long long read_asked;
    unsigned long long read_made;
} jk_vfs_wal_stats_t;
void jk_vfs_wal_stats (jk_vfs_wal_stats_t *out);

#endif
