/*  jk_backup.h - online backup of a live store's database with SQLite's
    backup API: the hub keeps writing while the copy is taken, and the copy
    is a consistent snapshot whose head (position and hash) is reported so
    it can be kept beside the file. Used by `jejak-replay backup`. */
#ifndef JK_BACKUP_H
#define JK_BACKUP_H

#include "jk_log.h"

typedef struct {
    uint64_t pages; /* pages copied */
    jk_head_t head; /* head of the copy */
} jk_backup_result_t;

/* Copies the database at src_path into out_path (which must not exist:
   JK_CONFLICT) a few hundred pages at a time, so a writer on src_path is
   held up for at most one step; restarts by itself when the source changes
   under it (SQLite's backup semantics). The copy is created 0600 and left
   in rollback-journal mode DELETE (a single self-contained file). Returns
   JK_OK, JK_CONFLICT or JK_IO with the reason in err; on failure out_path is
   removed. progress may be NULL (done/total are pages). */
int jk_backup_run (const char *src_path, const char *out_path,
                   jk_backup_result_t *result, jk_progress_fn *progress,
                   void *progress_arg, char *err, size_t err_size);

#endif
