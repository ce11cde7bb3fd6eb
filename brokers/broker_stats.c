/*  broker_stats.c - the broker's counters as the one line STATS answers
    and the log prints. */
#include "broker_internal.h"

#include <inttypes.h>
#include <stdio.h>

void jk_broker_counters_text (jk_broker_state_t *self, char *out, size_t size)
{
    const jk_broker_counters_t *c = &self->counters;
    snprintf (out, size,
              "received=%" PRIu64 " forwarded=%" PRIu64 " acked=%" PRIu64
              " rejected=%" PRIu64 " duplicates=%" PRIu64 " nacked=%" PRIu64
              " unavailable=%" PRIu64 " busy=%" PRIu64
              " protocol_errors=%" PRIu64 " feed_published=%" PRIu64
              " feed_drops=%" PRIu64 " clients=%zu store=%s head_pos=%" PRIu64
              " forbidden=%" PRIu64 " handshake_failed=%" PRIu64
              " keys=%zu keys_reloaded=%" PRIu64 " stores_refused=%" PRIu64
              " pongs_routed=%" PRIu64 " checkpoints=%" PRIu64,
              c->received, c->forwarded, c->acked, c->rejected, c->duplicates,
              c->nacked, c->unavailable, c->busy, c->protocol_errors,
              c->feed_published, c->feed_drops, zhashx_size (self->clients),
              self->store_up ? "up" : "down", self->head_pos, c->forbidden,
              c->handshake_failed,
              self->keyring ? jk_keyring_size (self->keyring) : 0,
              c->keys_reloaded, c->stores_refused, c->pongs_routed,
              c->checkpoints);
}
