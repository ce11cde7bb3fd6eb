/*  broker_ingest.c - what agents send on the ingest socket: SUBMITs
    forwarded to the store (or refused at once), PINGs, STATS. */
#include "broker_internal.h"

#include <errno.h>
#include <string.h>

/* A SUBMIT from a client: forward to the store, or refuse at once. */
static void s_ingest_submit (jk_broker_state_t *self, zframe_t *rid,
                             jk_broker_client_t *client, const char *user_id,
                             zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    size_t count = zmsg_size (msg);
    if (count == 0) {
        jk_broker_protocol_error (
            self, rid, client, "E_PROTOCOL",
            "SUBMIT carries no events (1 to 1000 expected)");
        return;
    }
    if (count > JK_SUBMIT_MAX_EVENTS) {
        char text[128];
        snprintf (text, sizeof text,
                  "SUBMIT carries %zu events, at most %d allowed", count,
                  JK_SUBMIT_MAX_EVENTS);
        jk_broker_protocol_error (self, rid, client, "E_TOO_MANY", text);
        return;
    }
    self->counters.received += count;
    if (self->keyring) {
        jk_broker_authorize (self, rid, user_id, msg);
        count = zmsg_size (msg);
        if (count == 0)
            return;
    }
    jk_broker_client_name (client, zframe_data (zmsg_first (msg)),
                           zframe_size (zmsg_first (msg)));
    if (!self->store_up) {
        self->counters.unavailable += count;
        jk_broker_refuse (self, rid, msg, "E_UNAVAILABLE",
                          "no store behind the broker: retry later");
        return;
    }
    zframe_t *dup = zframe_dup (rid);
    zmsg_prepend (msg, &dup);
    zmsg_pushstr (msg, "SUBMIT");
    zmsg_pushstr (msg, JK_PROTOCOL);
    dup = zframe_dup (self->store_id);
    zmsg_prepend (msg, &dup);
    if (jk_broker_send_nowait (msg_p, self->backend) == 0) {
        self->counters.forwarded += count;
        return;
    }
    bool gone = errno == EHOSTUNREACH;
    /* Strip what was added, leaving the events. */
    for (int i = 0; i < 4; i++) {
        zframe_t *f = zmsg_pop (msg);
        zframe_destroy (&f);
    }
    jk_broker_submit_refused (self, rid, msg, gone);
}

/* A SUBMIT the backend did not take: the store's connection is gone
   (E_UNAVAILABLE, the store marked down) or its queue is full (E_BUSY);
   every event of events is answered and counted. */
void jk_broker_submit_refused (jk_broker_state_t *self, zframe_t *rid,
                               zmsg_t *events, bool gone)
{
    size_t count = zmsg_size (events);
    if (gone) {
        jk_broker_store_down (self, "store disconnected");
        self->counters.unavailable += count;
        jk_broker_refuse (self, rid, events, "E_UNAVAILABLE",
                          "no store behind the broker: retry later");
    } else {
        self->counters.busy += count;
        jk_broker_refuse (self, rid, events, "E_BUSY",
                          "the store's queue is full: retry later");
    }
}

/* The hub's clock: the store's, as its last PING reported it plus the
   time since, or the broker's own before any store was heard from. */
static int64_t s_hub_now (jk_broker_state_t *self)
{
    if (self->store_clock_ms > 0)
        return self->store_clock_ms +
               (jk_clock_mono_ms () - self->store_clock_mono);
    return jk_clock_now_ms ();
}

/* A PING from a client: remember its heartbeat and pass it on to the
   store, which answers PONG with its clock (and, when the agent holds
   receipts the log lacks, the seq to deliver again from). Without a
   store the broker answers PONG itself with the hub's clock. */
static void s_ingest_ping (jk_broker_state_t *self, zframe_t *rid,
                           jk_broker_client_t *client, zmsg_t *msg)
{
    zframe_t *f = zmsg_first (msg);
    jk_heartbeat_t heartbeat;
    char why[128] = "";
    if (zmsg_size (msg) != 1 ||
        jk_heartbeat_check (zframe_data (f), zframe_size (f), &heartbeat, why,
                            sizeof why)) {
        char text[256];
        snprintf (text, sizeof text,
                  "PING needs exactly one frame, a MessagePack heartbeat map "
                  "with source, program, outbox, stored_seq and rejected%s%s",
                  why[0] ? ": " : "", why);
        jk_broker_protocol_error (self, rid, client, "E_PROTOCOL", text);
        return;
    }
    if (client)
        client->heartbeat = heartbeat;
    zframe_t *dup;
    if (self->store_up && self->store_id) {
        zmsg_t *forward = jk_wire_new ("HEARTBEAT");
        zmsg_addmem (forward, zframe_data (rid), zframe_size (rid));
        zmsg_addmem (forward, zframe_data (f), zframe_size (f));
        dup = zframe_dup (self->store_id);
        zmsg_prepend (forward, &dup);
        if (jk_broker_send_nowait (&forward, self->backend) == 0)
            return;
        zmsg_destroy (&forward);
    }
    zmsg_t *reply = jk_wire_new ("PONG");
    jk_pong_t pong = {.now_ms = s_hub_now (self)};
    jk_pong_add (reply, &pong);
    dup = zframe_dup (rid);
    zmsg_prepend (reply, &dup);
    if (jk_broker_send_nowait (&reply, self->ingest))
        zmsg_destroy (&reply);
}

/* One message from the ingest socket. */
void jk_broker_ingest_message (jk_broker_state_t *self, zmsg_t **msg_p,
                               const char *user_id)
{
    zmsg_t *msg = *msg_p;
    zframe_t *rid = zmsg_pop (msg);
    if (!rid)
        return;
    jk_broker_client_t *client = jk_broker_client_touch (self, rid);
    size_t frames = zmsg_size (msg);
    char command[16];
    if (jk_wire_open (msg, command, sizeof command)) {
        char text[192];
        snprintf (text, sizeof text, "%s (got %zu frame%s)",
                  JK_WIRE_FRAMING_RULE, frames, frames == 1 ? "" : "s");
        jk_broker_protocol_error (self, rid, client, "E_PROTOCOL", text);
    } else if (streq (command, "SUBMIT"))
        s_ingest_submit (self, rid, client, user_id, msg_p);
    else if (streq (command, "PING"))
        s_ingest_ping (self, rid, client, msg);
    else if (streq (command, "STATS") && zmsg_size (msg) == 0) {
        char text[1024];
        jk_broker_counters_text (self, text, sizeof text);
        zmsg_t *reply = jk_wire_new ("STATS");
        zmsg_addstr (reply, text);
        zframe_t *dup = zframe_dup (rid);
        zmsg_prepend (reply, &dup);
        if (jk_broker_send_nowait (&reply, self->ingest))
            zmsg_destroy (&reply);
    } else if (streq (command, "STATS"))
        jk_broker_protocol_error (self, rid, client, "E_PROTOCOL",
                                  "STATS takes no argument frames");
    else {
        char text[96];
        snprintf (text, sizeof text,
                  "unknown command \"%.16s\" (SUBMIT, PING or STATS "
                  "expected)",
                  command);
        jk_broker_protocol_error (self, rid, client, "E_UNKNOWN_COMMAND", text);
    }
    zframe_destroy (&rid);
}
