/*  broker_store.c - what the store sends on the backend socket: answers
    routed back to agents, committed records and checkpoints published
    on the feed, heartbeats; one store per broker. */
#include "broker_internal.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

void jk_broker_store_down (jk_broker_state_t *self, const char *reason)
{
    if (self->store_up)
        jk_warn (S_COMPONENT, "store unavailable reason=\"%s\"", reason);
    self->store_up = false;
}

/* Counts a backend message the broker cannot take; the first of each
   store connection is logged. */
static void s_store_error (jk_broker_state_t *self, const char *what)
{
    self->counters.protocol_errors++;
    if (self->store_error_logged)
        return;
    self->store_error_logged = true;
    jk_warn (S_COMPONENT,
             "malformed message from the store: %s (further ones from this "
             "store connection are only counted)",
             what);
}

/* Counts one answer the store sends back by its kind; an undecodable
   one is a protocol error of the store (it is passed on all the same). */
void jk_broker_answer_count (jk_broker_state_t *self, const void *data,
                             size_t size)
{
    jk_answer_t answer;
    if (jk_answer_decode (data, size, &answer)) {
        s_store_error (self, "undecodable answer (passed on)");
        return;
    }
    switch (answer.kind) {
        case JK_ANSWER_ACK:
            self->counters.acked++;
            break;
        case JK_ANSWER_REJECTED:
            self->counters.rejected++;
            break;
        case JK_ANSWER_DUPLICATE:
            self->counters.duplicates++;
            break;
        case JK_ANSWER_NACK:
            self->counters.nacked++;
            break;
    }
}

/* ANSWER from the store: [client id][answer]... routed back as
   [JEJAK/1][ANSWER][answer]... (broker_relay.c takes the ANSWERs of the
   store the broker serves; this one the rest). */
static void s_backend_answer (jk_broker_state_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zframe_t *client = zmsg_pop (msg);
    if (!client || zmsg_size (msg) == 0) {
        zframe_destroy (&client);
        s_store_error (self, "ANSWER without client id or answers");
        return;
    }
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg))
        jk_broker_answer_count (self, zframe_data (f), zframe_size (f));
    zmsg_pushstr (msg, "ANSWER");
    zmsg_pushstr (msg, JK_PROTOCOL);
    zmsg_prepend (msg, &client);
    /* A client gone meanwhile is dropped by the ROUTER: it resends. */
    if (jk_broker_send_nowait (msg_p, self->ingest))
        zmsg_destroy (msg_p);
}

/* Sends one message on the feed without ever blocking: a full subscriber
   makes it a counted drop. */
bool jk_broker_feed_send (jk_broker_state_t *self, zmsg_t **msg_p)
{
    if (jk_broker_send_nowait (msg_p, self->feed) == 0)
        return true;
    zmsg_destroy (msg_p);
    self->counters.feed_drops++;
    return false;
}

/* PUBLISH from the store: one committed record, in position order. */
static void s_backend_publish (jk_broker_state_t *self, zmsg_t **msg_p)
{
    jk_record_t record;
    if (jk_record_read (*msg_p, &record) ||
        streq (record.topic, JK_FEED_HEAD)) {
        s_store_error (self, "PUBLISH is not a record");
        return;
    }
    if (record.pos > self->head_pos || !self->head_known) {
        self->head_pos = record.pos;
        memcpy (self->head_hash, record.hash, 32);
        self->head_known = true;
    }
    if (jk_broker_feed_send (self, msg_p))
        self->counters.feed_published++;
}

/* Publishes one accepted record on the feed as
   [topic][pos u64][hash][recorded_at u64][bytes] (jk_record_msg's frames)
   without frame objects; a rejection record, which adds the detail map,
   goes through jk_record_msg. False when it was dropped (a full
   subscriber). */
static bool s_feed_record (jk_broker_state_t *self, const jk_record_t *record)
{
    if (record->code[0]) {
        zmsg_t *feed = jk_record_msg (record);
        return jk_broker_feed_send (self, &feed);
    }
    void *feed = zsock_resolve (self->feed);
    uint8_t pos[8], at[8];
    jk_wire_put_u64 (pos, record->pos);
    jk_wire_put_u64 (at, (uint64_t)record->recorded_at);
    const int more = ZMQ_SNDMORE | ZMQ_DONTWAIT;
    if (zmq_send (feed, record->topic, strlen (record->topic), more) < 0) {
        self->counters.feed_drops++;
        return false;
    }
    /* The parts after a first one taken are always taken. */
    zmq_send (feed, pos, 8, more);
    zmq_send (feed, record->hash, 32, more);
    zmq_send (feed, at, 8, more);
    zmq_send (feed, record->bytes, record->size, ZMQ_DONTWAIT);
    return true;
}

/* RECORDS from the store: a batch's committed records packed in one
   frame, in position order; each is published on the feed as its own
   message, exactly as a PUBLISH would be. */
void jk_broker_records_publish (jk_broker_state_t *self, const uint8_t *data,
                                size_t size)
{
    size_t offset = 0;
    jk_record_t record;
    int rc;
    while ((rc = jk_records_next (data, size, &offset, &record)) == 0) {
        if (streq (record.topic, JK_FEED_HEAD)) {
            rc = -1;
            break;
        }
        if (record.pos > self->head_pos || !self->head_known) {
            self->head_pos = record.pos;
            memcpy (self->head_hash, record.hash, 32);
            self->head_known = true;
        }
        if (s_feed_record (self, &record))
            self->counters.feed_published++;
    }
    if (rc < 0)
        s_store_error (self, "RECORDS holds a malformed record");
}

static void s_backend_records (jk_broker_state_t *self, zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    if (!frame || zmsg_size (msg) != 1) {
        s_store_error (self, "RECORDS without one frame of records");
        return;
    }
    jk_broker_records_publish (self, zframe_data (frame), zframe_size (frame));
}

/* CHECKPOINT from the store: a signed checkpoint of its tree, published
   on the feed as [$checkpoint][note] after the records it covers. */
static void s_backend_checkpoint (jk_broker_state_t *self, zmsg_t *msg)
{
    zframe_t *note = zmsg_first (msg);
    if (!note || zmsg_size (msg) != 1 || zframe_size (note) == 0 ||
        zframe_size (note) > JK_FEED_CHECKPOINT_MAX) {
        s_store_error (self, "CHECKPOINT without one frame of note");
        return;
    }
    zmsg_t *feed = zmsg_new ();
    zmsg_addstr (feed, JK_FEED_CHECKPOINT);
    zmsg_addmem (feed, zframe_data (note), zframe_size (note));
    if (jk_broker_feed_send (self, &feed))
        self->counters.checkpoints++;
}

/* Whether the current store's connection is still there: a PONG to it
   fails at once (mandatory routing) when it is gone. */
static bool s_store_alive (jk_broker_state_t *self)
{
    zmsg_t *probe = jk_wire_new ("PONG");
    zframe_t *dup = zframe_dup (self->store_id);
    zmsg_prepend (probe, &dup);
    if (jk_broker_send_nowait (&probe, self->backend) == 0)
        return true;
    zmsg_destroy (&probe);
    return errno != EHOSTUNREACH;
}

/* A second store while the first is alive: one store per broker, so it
   gets [JEJAK/1][ERROR][E_STORE_TAKEN][message] and nothing else; logged
   once per connection, counted always. */
static void s_store_refuse (jk_broker_state_t *self, zframe_t *sid)
{
    self->counters.stores_refused++;
    if (!self->refused_id || !zframe_eq (sid, self->refused_id)) {
        jk_error (S_COMPONENT,
                  "a second store connected to the backend while one is "
                  "serving: refused (one store per broker; stop the other "
                  "store or give this one its own broker)");
        zframe_destroy (&self->refused_id);
        self->refused_id = zframe_dup (sid);
    }
    zmsg_t *reply = jk_wire_error (
        "E_STORE_TAKEN", "this broker already serves another store: one store "
                         "per broker; this one is refused until the other has "
                         "been silent for 3 s");
    zframe_t *dup = zframe_dup (sid);
    zmsg_prepend (reply, &dup);
    if (jk_broker_send_nowait (&reply, self->backend))
        zmsg_destroy (&reply);
}

/* PONG from the store answering a heartbeat: [client id][map], routed
   to that agent as [JEJAK/1][PONG][map]. A bare PONG is the store's
   answer to nothing and is ignored. */
static void s_backend_pong (jk_broker_state_t *self, zmsg_t *msg)
{
    if (zmsg_size (msg) == 0)
        return;
    zframe_t *client = zmsg_pop (msg);
    zframe_t *map = zmsg_pop (msg);
    jk_pong_t pong;
    if (!client || !map || zmsg_size (msg) != 0 ||
        jk_pong_decode (zframe_data (map), zframe_size (map), &pong)) {
        s_store_error (self, "PONG without client id and one map");
        zframe_destroy (&client);
        zframe_destroy (&map);
        return;
    }
    self->counters.pongs_routed++;
    zmsg_t *out = jk_wire_new ("PONG");
    zmsg_append (out, &map);
    zmsg_prepend (out, &client);
    if (jk_broker_send_nowait (&out, self->ingest))
        zmsg_destroy (&out);
}

/* One message from the backend socket. */
void jk_broker_backend_message (jk_broker_state_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zframe_t *sid = zmsg_pop (msg);
    char command[16];
    if (!sid || jk_wire_open (msg, command, sizeof command)) {
        zframe_destroy (&sid);
        s_store_error (self, "not a JEJAK/1 message");
        return;
    }
    if (self->store_id && !zframe_eq (sid, self->store_id) && self->store_up &&
        s_store_alive (self)) {
        s_store_refuse (self, sid);
        zframe_destroy (&sid);
        return;
    }
    if (!self->store_id || !zframe_eq (sid, self->store_id)) {
        if (self->store_id)
            jk_info (S_COMPONENT, "store replaced by a new connection");
        zframe_destroy (&self->store_id);
        self->store_id = zframe_dup (sid);
        self->store_clock_ms = 0;
        self->store_error_logged = false;
    }
    if (!self->store_up)
        jk_info (S_COMPONENT, "store available");
    self->store_up = true;
    self->store_seen_mono = jk_clock_mono_ms ();

    if (streq (command, "PING")) {
        uint64_t pos;
        zframe_t *hash = NULL;
        if (jk_wire_pop_u64 (msg, &pos) == 0 &&
            (hash = zmsg_pop (msg)) != NULL && zframe_size (hash) == 32) {
            self->head_pos = pos;
            memcpy (self->head_hash, zframe_data (hash), 32);
            self->head_known = true;
        } else
            s_store_error (self, "PING without head position and hash");
        zframe_destroy (&hash);
        uint64_t clock;
        if (zmsg_size (msg) == 1 && jk_wire_pop_u64 (msg, &clock) == 0 &&
            clock > 0 && clock <= INT64_MAX) {
            self->store_clock_ms = (int64_t)clock;
            self->store_clock_mono = jk_clock_mono_ms ();
        }
        zmsg_t *reply = jk_wire_new ("PONG");
        zmsg_prepend (reply, &sid);
        if (jk_broker_send_nowait (&reply, self->backend))
            zmsg_destroy (&reply);
    } else if (streq (command, "ANSWER"))
        s_backend_answer (self, msg_p);
    else if (streq (command, "RECORDS"))
        s_backend_records (self, msg);
    else if (streq (command, "PUBLISH"))
        s_backend_publish (self, msg_p);
    else if (streq (command, "PONG"))
        s_backend_pong (self, msg);
    else if (streq (command, "CHECKPOINT"))
        s_backend_checkpoint (self, msg);
    else
        s_store_error (self, "unknown command");
    zframe_destroy (&sid);
}
