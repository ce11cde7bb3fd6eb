/*  board_state.c - the store's STATE image (its projections) loaded
    into the board's sink in pieces with a credit window, then caught up
    from its position. */
#include "board_internal.h"

#include <string.h>

/* Tops the STATE window up once half of it is used, never asking for
   more messages than the image still needs. */
static void s_state_grant (jk_board_t *self)
{
    uint64_t window = self->config.state_credit;
    if (self->state_outstanding > window / 2)
        return;
    uint64_t chunk = self->config.state_chunk;
    uint64_t left = (self->state_size - self->state_got + chunk - 1) / chunk;
    if (left <= self->state_outstanding)
        return;
    uint64_t more = window - self->state_outstanding;
    if (more > left - self->state_outstanding)
        more = left - self->state_outstanding;
    zmsg_t *msg = jk_wire_new ("CREDIT");
    jk_wire_add_u64 (msg, more);
    zmsg_send (&msg, self->query);
    self->state_outstanding += more;
}

/* The offset the next STATE message must have: the pieces from the
   chunk size on, in order, then the one at 0 (docs/PROTOCOL.md). */
static uint64_t s_state_expected (jk_board_t *self, uint64_t total)
{
    uint64_t chunk = self->config.state_chunk;
    uint64_t first = total < chunk ? total : chunk;
    return self->state_got < total - first ? chunk + self->state_got : 0;
}

/* Takes one STATE piece into the image (allocated once, at the size the
   first piece gives); once whole, hands the image to the sink and
   catches up from its position with SINCE. */
void jk_board_on_state (jk_board_t *self, zmsg_t *msg)
{
    uint64_t pos, total, offset;
    zframe_t *hash = NULL, *chunk = NULL;
    if (!self->loading || jk_wire_pop_u64 (msg, &pos) ||
        !(hash = zmsg_pop (msg)) || zframe_size (hash) != 32 ||
        jk_wire_pop_u64 (msg, &total) || jk_wire_pop_u64 (msg, &offset) ||
        !(chunk = zmsg_pop (msg)) || total == 0 ||
        offset != s_state_expected (self, total) ||
        offset + zframe_size (chunk) > total ||
        (self->image && total != self->state_size)) {
        zframe_destroy (&hash);
        zframe_destroy (&chunk);
        return; /* not ours, or out of order: the next turn asks again */
    }
    if (!self->image) {
        self->image = sqlite3_malloc64 (total);
        if (!self->image) {
            zframe_destroy (&hash);
            zframe_destroy (&chunk);
            self->loading = false;
            self->no_state = true;
            jk_warn ("status", "no memory for the store's state of %llu bytes",
                     (unsigned long long)total);
            jk_board_say (self, "state_failed");
            jk_board_catch_up (self);
            return;
        }
        self->state_size = total;
        /* Filled whole, piece by piece: mapped now, not a fault per
           page as the pieces land. */
        jk_prefault (self->image, total);
    }
    memcpy (self->image + offset, zframe_data (chunk), zframe_size (chunk));
    self->state_got += zframe_size (chunk);
    self->stats.state_received += zframe_size (chunk);
    zframe_destroy (&chunk);
    if (self->state_outstanding > 0)
        self->state_outstanding--;
    if (self->state_got < total) {
        zframe_destroy (&hash);
        s_state_grant (self);
        return;
    }
    self->loading = false;
    uint8_t *image = self->image;
    self->image = NULL;
    int rc = self->sink.load (self->sink.arg, image, total);
    if (rc != 0) {
        zframe_destroy (&hash);
        self->no_state = true;
        jk_board_say (self, "state_failed");
        self->sink.reset (self->sink.arg);
        jk_board_catch_up (self);
        return;
    }
    self->pos = pos;
    memcpy (self->hash, zframe_data (hash), 32);
    zframe_destroy (&hash);
    if (pos > self->head)
        self->head = pos;
    self->stats.state_loads++;
    self->stats.state_bytes = total;
    self->changed = true;
    jk_board_catch_up (self);
}
