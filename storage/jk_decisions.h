/*  jk_decisions.h - re-deriving every logged outcome from the log alone:
    `jejak-replay verify --decisions`. Each record's bytes are checked as
    the store checked them (the clock at its recorded_at) and decided by
    the in-memory model (jk_model.h) holding the state of the log's
    accepted events before it; the derived verdict (accepted, or the
    rejection code and message) must equal the logged one. */
#ifndef JK_DECISIONS_H
#define JK_DECISIONS_H

#include "jk_log.h"

typedef struct {
    uint64_t records, accepted, rejected; /* records checked */
    uint64_t mismatches;                  /* outcomes that differ */
    uint64_t first_pos;                   /* the first of them, or 0 */
    char message[1024];                   /* what differs, or the error */
} jk_decisions_result_t;

/* Re-derives every outcome of the log at path (opened read-only, one read
   transaction). Returns JK_OK when all are equal, JK_INVALID with the
   first difference in result, JK_IO when the log cannot be read.
   progress may be NULL. */
int jk_log_verify_decisions (const char *path, jk_decisions_result_t *result,
                             jk_progress_fn *progress, void *progress_arg);

#endif
