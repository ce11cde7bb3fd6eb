/*  store_backend.c - the store actor (jk_store.h, store_internal.h): the
    broker's backend at its simplest: sending on it, PING, and the
    messages that are not SUBMITs (a heartbeat the broker passed on,
    answered with PONG; the broker's ERROR; malformed ones counted). Below
    every other file of the actor: it calls none of them. */
#include "store_internal.h"

/* Notes a message the broker did not take. */
static void s_send_failed (jk_store_t *self)
{
    if (self->send_failures++ == 0)
        jk_warn ("store", "backend send failed: broker unreachable; "
                          "senders will resend");
}

/* Sends a message on the backend; a stuck or absent broker loses it (the
   agent resends; the feed's subscribers catch up). */
void jk_store_backend_send (jk_store_t *self, zmsg_t **msg_p)
{
    if (zmsg_send (msg_p, self->backend) != 0) {
        zmsg_destroy (msg_p);
        s_send_failed (self);
    }
}

/* Sends one part of a message on the backend (more: parts follow).
   False when the broker did not take it: only a message's first part
   can fail (the parts after a first one taken go with it). */
bool jk_store_backend_part (jk_store_t *self, const void *data, size_t size,
                            bool more)
{
    if (zmq_send (zsock_resolve (self->backend), data, size,
                  more ? ZMQ_SNDMORE : 0) >= 0)
        return true;
    s_send_failed (self);
    return false;
}

/* Sends msg as the last part of a message on the backend; takes it. */
bool jk_store_backend_msg (jk_store_t *self, zmq_msg_t *msg)
{
    if (zmq_msg_send (msg, zsock_resolve (self->backend), 0) >= 0)
        return true;
    zmq_msg_close (msg);
    s_send_failed (self);
    return false;
}

void jk_store_send_ping (jk_store_t *self)
{
    if (self->fault == JK_FAULT_STORE_SILENT)
        return;
    uint8_t hash[JK_HASH_SIZE];
    uint64_t pos = jk_log_head (self->log, hash);
    zmsg_t *msg = jk_wire_new ("PING");
    jk_wire_add_u64 (msg, pos);
    zmsg_addmem (msg, hash, JK_HASH_SIZE);
    jk_wire_add_u64 (msg, (uint64_t)jk_clock_now_ms ());
    jk_store_backend_send (self, &msg);
}

/* Notes a backend message that is not the protocol: log once, count. */
void jk_store_malformed (jk_store_t *self, const char *what)
{
    if (self->malformed++ == 0)
        jk_warn ("store",
                 "ignoring malformed backend message: %s (further "
                 "ones are only counted)",
                 what);
    jk_store_push_counters (self); /* STATS counts it at once */
}

/* A heartbeat the broker passed on: [client id][heartbeat map], answered
   [JEJAK/1][PONG][client id][pong map] with the store's clock. An agent
   holding receipts for seqs the log does not have (the database lost
   acknowledged commits: restored from a backup, a damaged or deleted WAL)
   is told in the same PONG to deliver again from the seq the log
   expects, and the store says so loudly. */
void jk_store_heartbeat (jk_store_t *self, zmsg_t *msg)
{
    zframe_t *client = zmsg_first (msg);
    zframe_t *map = zmsg_next (msg);
    jk_heartbeat_t heartbeat;
    if (!client || !map || zmsg_size (msg) != 2 ||
        jk_heartbeat_decode (zframe_data (map), zframe_size (map),
                             &heartbeat)) {
        jk_store_malformed (self,
                            "HEARTBEAT without client id and heartbeat map");
        return;
    }
    jk_pong_t pong = {.now_ms = jk_clock_now_ms ()};
    uint64_t rewinds = self->rewinds;
    size_t behind = zhashx_size (self->behind);
    uint64_t next = jk_log_next_seq (self->log, heartbeat.source);
    void *known = zhashx_lookup (self->behind, heartbeat.source);
    if (heartbeat.last_stored_seq < next && known) {
        jk_info ("store",
                 "source %s is in step with the log again (stored_seq %llu, "
                 "next %llu)",
                 heartbeat.source,
                 (unsigned long long)heartbeat.last_stored_seq,
                 (unsigned long long)next);
        zhashx_delete (self->behind, heartbeat.source);
    } else if (heartbeat.last_stored_seq >= next) {
        if ((uint64_t)(uintptr_t)known != heartbeat.last_stored_seq) {
            jk_error ("store",
                      "source %s holds receipts up to seq %llu but the log "
                      "ends at seq %llu from it: acknowledged events are "
                      "missing from the database (restored from a backup, "
                      "or its WAL lost or damaged?); the agent is asked to "
                      "deliver again from seq %llu. Run jejak-replay verify "
                      "on the database",
                      heartbeat.source,
                      (unsigned long long)heartbeat.last_stored_seq,
                      (unsigned long long)(next - 1), (unsigned long long)next);
            zhashx_update (self->behind, heartbeat.source,
                           (void *)(uintptr_t)heartbeat.last_stored_seq);
        }
        pong.expect = next;
        pong.stored_seq = heartbeat.last_stored_seq;
        self->rewinds++;
    }
    /* STATS counts a rewind, and a source falling behind or back in
       step, before the PONG leaves. */
    if (self->rewinds != rewinds || zhashx_size (self->behind) != behind)
        jk_store_push_counters (self);
    zmsg_t *out = jk_wire_new ("PONG");
    zmsg_addmem (out, zframe_data (client), zframe_size (client));
    jk_pong_add (out, &pong);
    jk_store_backend_send (self, &out);
}

/* An ERROR from the broker: it refuses this store (another one is
   serving it). Logged once, counted always; the store keeps trying. */
void jk_store_broker_error (jk_store_t *self, zmsg_t *msg)
{
    char *code = zmsg_popstr (msg);
    char *text = zmsg_popstr (msg);
    if (self->refused_by_broker++ == 0)
        jk_error ("store",
                  "the broker refuses this store: %s %s (further refusals "
                  "are only counted)",
                  code ? code : "?", text ? text : "");
    free (code);
    free (text);
    jk_store_push_counters (self);
}
