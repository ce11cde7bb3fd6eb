/*  jk_state.h - the projections' file at their position P, read page by
    page for a state transfer (the query endpoint's STATE,
    docs/PROTOCOL.md). A read transaction on a connection of its own holds
    P while SQLite's backup API copies the pages into a destination that
    keeps nothing but what has not been handed out yet: the image is
    never whole in memory, nor written anywhere. */
#ifndef JK_STATE_H
#define JK_STATE_H

#include "jk_projector.h"
#include <czmq.h>

typedef struct jk_state_s jk_state_t;

/* Opens the projections of the log at log_path in a read transaction
   (held until destroyed) at their position P and prepares to hand out
   the image in pieces of chunk bytes. NULL with the reason in err. */
jk_state_t *jk_state_new (const char *log_path, size_t chunk, char *err,
                          size_t err_size);
void jk_state_destroy (jk_state_t **self_p);

/* P and the log's chain hash at P (32 bytes). */
uint64_t jk_state_pos (jk_state_t *self);
const uint8_t *jk_state_hash (jk_state_t *self);
/* The image's size in bytes. */
uint64_t jk_state_total (jk_state_t *self);

/* The next piece of the image: the pieces from offset chunk on, in
   order, then the piece at offset 0 (its bytes hold the file's header,
   final only once every page is copied; bytes 18 and 19 set to 1, the
   rollback journal, so the image opens as it is). JK_OK with *bytes and
   *offset; JK_NOT_FOUND when every piece was handed out; JK_IO when the
   copy failed (logged). */
int jk_state_next (jk_state_t *self, uint64_t *offset, zframe_t **bytes);

#endif
