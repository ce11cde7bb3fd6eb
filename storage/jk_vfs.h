/*  jk_vfs.h - the SQLite VFS the store's writing connections open their
    databases through (docs/ARCHITECTURE.md, "The log's WAL"): SQLite's
    default VFS with contiguous writes gathered in memory and handed to
    the file in few pwrite(2)s: a -wal file's frames (two writes each
    otherwise, the 24-byte header, then the page). A database file's
    writes (a checkpoint's page copies) are not gathered. What is durable
    and what other connections and processes can read is unchanged: the
    bytes reach the file before every sync, before a commit's frames are
    published in the wal-index, and before anything else looks at the
    file. */
#ifndef JK_VFS_H
#define JK_VFS_H

#include <stddef.h>

/* The most bytes held in memory per open -wal file (one buffer, taken
   on the file's first write, freed when it is closed). */
#define JK_VFS_WAL_BUFFER (256 * 1024)

/* The VFS's name, for sqlite3_open_v2's last argument; registered (not
   as the default) on the first call, from any thread. NULL (SQLite's
   default VFS then) only when SQLite has no default VFS. */
const char *jk_vfs_wal (void);

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
