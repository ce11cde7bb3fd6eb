/*  jk_backup.h - online backup of a live store's database with SQLite's
    backup API: the hub keeps writing while the copy is taken, and the copy
    is a consistent snapshot whose head (position and hash) is reported so
    it can be kept beside the file. Used by `jejak-replay backup`. */
#ifndef JK_BACKUP_H
#define JK_BACKUP_H

#include "jk_log.h"

#include <stdbool.h>

typedef struct {
    uint64_t pages;      /* pages of the log's file copied */
    jk_head_t head;      /* head of the copy */
    bool projections;    /* the projections' file was copied too */
    uint64_t proj_pages; /* its pages */
    uint64_t proj_pos;   /* the position its projections stand at */
} jk_backup_result_t;

/* Copies the database at src_path into out_path (which must not exist:
   JK_CONFLICT) a few hundred pages at a time, and, when src_path has a
   projections' file beside it (jk_projections_path), that file into
   out_path's (which must not exist either). Each copy is of one moment
   (a read transaction held on the source while a writer goes on): the
   projections' first, then the log's, so the copied log holds every
   record the copied projections were made from (proj_pos <= head.pos).
   The copies are created 0600 and left in rollback-journal mode DELETE
   (no -wal beside them). Returns JK_OK, JK_CONFLICT or JK_IO with the
   reason in err; on failure the files it created are removed. progress
   may be NULL (done/total are pages of the file being copied). */
int jk_backup_run (const char *src_path, const char *out_path,
                   jk_backup_result_t *result, jk_progress_fn *progress,
                   void *progress_arg, char *err, size_t err_size);

#endif
