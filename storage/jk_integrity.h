/*  jk_integrity.h - checks of the database's own integrity, beside the
    hash chain's (jk_log_verify): SQLite's integrity check, tables and
    index pages included, and the chain over the log's last records. Used
    by the store at start (it refuses to append to a damaged log) and by
    jejak-replay verify. */
#ifndef JK_INTEGRITY_H
#define JK_INTEGRITY_H

#include "jk_log.h"
#include <czmq.h>

/* Runs PRAGMA integrity_check on db: the whole file when table is NULL,
   else that table and its indexes only. Returns JK_OK when SQLite says
   "ok", JK_INVALID with the first problems SQLite names (which table or
   index, which row) in out, or JK_IO with SQLite's error in out. */
int jk_db_integrity (sqlite3 *db, const char *table, char *out,
                     size_t out_size);

/* Recomputes the chain over the log's last tail records (all when tail
   is 0) from the stored hash before them, and checks that the positions
   run on without a hole. JK_OK, JK_INVALID (what and where in out) or
   JK_IO. */
int jk_log_check_tail (sqlite3 *db, uint64_t tail, char *out, size_t out_size);

/* The whole-file checks a store runs behind its start (its start checks
   only what appends and a crash can have touched): SQLite's integrity
   check of the log table and its indexes in the file at log_path, then of
   the whole projections' file, each on a read-only connection of its
   own, on a thread named "jejak-check" that runs 10 nicer than its
   caller. The actor (jk_db_check_actor, to poll) sends one message per
   file, [LOG|PROJECTIONS][OK|DAMAGED|FAILED][what]: DAMAGED with the
   first problems SQLite names, FAILED when the file could not be
   checked (its SQLite error). */
typedef struct jk_db_check_s jk_db_check_t;
jk_db_check_t *jk_db_check_start (const char *log_path,
                                  const char *projections_path);
zactor_t *jk_db_check_actor (jk_db_check_t *self);
/* Stops the checks (a check under way is interrupted) and frees them. */
void jk_db_check_destroy (jk_db_check_t **self_p);

/* Removes a database file and its WAL and shm companions ("-wal",
   "-shm"); missing files are no error. */
void jk_db_remove (const char *path);

/* Where a writer keeps its lock beside the database at db_path: heap
   string "DB-writer.lock". */
char *jk_writer_lock_path (const char *db_path);

/* Takes the writer's lock of the database at db_path (flock on the lock
   file, created 0600 beside it), so a second writer (another jejak-hub
   or jejak-store on the same file) is refused at start. Returns the open
   descriptor, released by close or by the process's end, or -1 with the
   reason in err (the lock file's path and, when held, the holder's pid). */
int jk_writer_lock (const char *db_path, char *err, size_t err_size);

#endif
