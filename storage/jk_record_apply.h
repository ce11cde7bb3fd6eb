/*  jk_record_apply.h - applies one log record (as read from the feed, the
    query endpoint or the log itself) to a set of projections. Used by the
    status board's in-memory replica; a rebuild applies records the same
    way, so a replica fed the log prefix up to P holds the store's numbers
    at P. */
#ifndef JK_RECORD_APPLY_H
#define JK_RECORD_APPLY_H

#include "jk_projections.h"
#include "jk_wire.h"

/* Applies record to p at record->pos:
   - a rejection record (topic starts with JK_REJECTED_PREFIX): the
     envelope is peeked from the bytes, the event decoded when it can be,
     and jk_projections_apply_rejection is called with the record's code
     and message;
   - an accepted record: the bytes are decoded (older versions upcast),
     validated with the clock pinned at record->recorded_at so warnings are
     recomputed exactly as the store computed them, then applied.
   The caller wraps batches of calls in a transaction. Returns JK_OK,
   JK_INVALID when an accepted record's bytes do not decode (a log that
   does not match this schema: nothing is applied), or JK_IO when SQLite
   failed. */
int jk_record_apply (jk_projections_t *p, const jk_record_t *record);

/* A record as the log stores it (borrowed strings and bytes). */
typedef struct {
    uint64_t pos;
    int64_t recorded_at;
    const uint8_t *hash; /* 32 bytes */
    bool rejected;       /* outcome */
    const char *code;    /* rejection code and message, or NULL */
    const char *message;
    const uint8_t *bytes; /* as submitted */
    size_t size;
} jk_stored_t;

/* jk_record_apply for a record read from the log (rebuild): the same
   steps, with the reason of a failure in err ("accepted record at
   position N no longer decodes: CODE message"). It is
   jk_record_prepare followed by jk_record_apply_prepared. */
int jk_record_apply_stored (jk_projections_t *p, const jk_stored_t *stored,
                            char *err, size_t err_size);

/* The first half of jk_record_apply_stored, which touches no projection
   and may run on another thread ahead of the apply (rebuild's reader):
   the bytes decoded and, for an accepted record, validated with the clock
   at its recorded_at. Returns JK_OK, or JK_INVALID with err when an
   accepted record no longer decodes (then nothing is held). */
typedef struct {
    jk_event_t *event;      /* decoded, or NULL (an unreadable rejection) */
    jk_envelope_t envelope; /* rejections: what the bytes say of themselves */
    jk_report_t report;     /* accepted: the warnings */
} jk_record_prepared_t;
int jk_record_prepare (const jk_stored_t *stored,
                       jk_record_prepared_t *prepared, char *err,
                       size_t err_size);
/* jk_record_prepare with an accepted record's event decoded into slab
   (jk_event_decode_in; a rejection's is on the heap). */
int jk_record_prepare_in (jk_event_slab_t *slab, const jk_stored_t *stored,
                          jk_record_prepared_t *prepared, char *err,
                          size_t err_size);

/* The second half: applies a prepared record (stored as given to
   jk_record_prepare, its bytes still there) and frees what prepared
   holds. JK_OK or JK_IO with err. */
int jk_record_apply_prepared (jk_projections_t *p, const jk_stored_t *stored,
                              jk_record_prepared_t *prepared, char *err,
                              size_t err_size);

/* jk_record_apply_prepared that leaves what prepared holds to its caller
   (jk_event_destroy of prepared->event), for a caller that frees it on
   the thread that allocated it: glibc returns a block freed on another
   thread to its own thread's heap under that heap's lock, which the
   allocating thread takes for every allocation too (rebuild's reader and
   applying thread waited on it for about 5 % of their time). */
int jk_record_apply_held (jk_projections_t *p, const jk_stored_t *stored,
                          const jk_record_prepared_t *prepared, char *err,
                          size_t err_size);

#endif
