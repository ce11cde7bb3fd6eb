/*  broker.c - the broker actor (jk_broker.h): routes SUBMITs from agents
    (ingest ROUTER) to the store (backend ROUTER), routes the store's
    ANSWERs back, publishes committed records and heartbeats on the feed
    (XPUB). Used by jejak-broker and jejak-hub. Frames: docs/PROTOCOL.md.
    In secure mode (docs/SECURITY.md) ingest is a CURVE server behind
    czmq's zauth, and every submitted event is checked against the
    enrolled key that sent it. */
#include "broker_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <zmq.h>

/* Messages handled per socket per poll round, so one busy socket cannot
   starve the others (the ROUTER itself fair-queues between clients). */
#define S_BURST 64
/* Counter log line interval. */
#define S_REPORT_MS 10000

/* Every JK_HEARTBEAT_MS: store liveness, forgotten clients, $head and
   $office on the feed; every S_REPORT_MS a counter line if changed. */
static void s_tick (jk_broker_state_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    int64_t silence = (int64_t)JK_HEARTBEAT_LIVENESS * JK_HEARTBEAT_MS;
    if (self->store_up && now - self->store_seen_mono > silence)
        jk_broker_store_down (self,
                              "no message from the store within liveness");
    /* Revocation without a restart: the keys directory is looked at
       every tick (about a second). */
    jk_broker_keys_refresh (self, false);

    zlistx_t *gone = zlistx_new ();
    for (jk_broker_client_t *c =
             (jk_broker_client_t *)zhashx_first (self->clients);
         c; c = (jk_broker_client_t *)zhashx_next (self->clients))
        if (now - c->last_seen_mono > silence)
            zlistx_add_end (gone, c->key);
    for (char *key = (char *)zlistx_first (gone); key;
         key = (char *)zlistx_next (gone)) {
        jk_debug (S_COMPONENT, "client forgotten client=%s", key);
        zhashx_delete (self->clients, key);
    }
    zlistx_destroy (&gone);

    if (self->head_known) {
        jk_record_t head;
        memset (&head, 0, sizeof head);
        snprintf (head.topic, sizeof head.topic, "%s", JK_FEED_HEAD);
        head.pos = self->head_pos;
        memcpy (head.hash, self->head_hash, 32);
        zmsg_t *msg = jk_record_msg (&head);
        jk_broker_feed_send (self, &msg);
    }
    for (jk_broker_client_t *c =
             (jk_broker_client_t *)zhashx_first (self->clients);
         c; c = (jk_broker_client_t *)zhashx_next (self->clients)) {
        if (!c->heartbeat.source[0])
            continue;
        jk_office_t office = {c->heartbeat, c->last_seen_ms};
        zmsg_t *msg = jk_office_msg (&office);
        jk_broker_feed_send (self, &msg);
    }

    if (now >= self->next_report) {
        self->next_report = now + S_REPORT_MS;
        if (memcmp (&self->reported, &self->counters, sizeof self->counters) !=
            0) {
            char text[1024];
            jk_broker_counters_text (self, text, sizeof text);
            jk_info (S_COMPONENT, "counters %s", text);
            self->reported = self->counters;
        }
    }
}

static void s_pipe_command (jk_broker_state_t *self)
{
    char *command = zstr_recv (self->pipe);
    if (!command) {
        self->terminated = true;
        return;
    }
    if (streq (command, "$TERM"))
        self->terminated = true;
    else if (streq (command, "STATS")) {
        char text[1024];
        jk_broker_counters_text (self, text, sizeof text);
        zstr_send (self->pipe, text);
    } else if (streq (command, "ENDPOINT")) {
        char *role = zstr_recv (self->pipe);
        zstr_send (self->pipe, !role                     ? ""
                               : streq (role, "ingest")  ? self->shown_ingest
                               : streq (role, "feed")    ? self->shown_feed
                               : streq (role, "backend") ? self->shown_backend
                                                         : "");
        zstr_free (&role);
    } else if (streq (command, "RELOAD"))
        jk_broker_keys_refresh (self, true);
    else if (streq (command, "KEYS")) {
        /* One line per key heard from: fingerprint holder submitted=N
           forbidden=N. */
        zmsg_t *reply = zmsg_new ();
        if (self->key_stats)
            for (jk_broker_key_stats_t *k =
                     (jk_broker_key_stats_t *)zhashx_first (self->key_stats);
                 k; k = (jk_broker_key_stats_t *)zhashx_next (self->key_stats))
                zmsg_addstrf (
                    reply,
                    "%s holder=%s submitted=%" PRIu64 " forbidden=%" PRIu64,
                    k->fingerprint, k->who, k->submitted, k->forbidden);
        zmsg_pushstrf (reply, "%zu", zmsg_size (reply));
        zmsg_send (&reply, self->pipe);
    } else
        jk_warn (S_COMPONENT, "unknown actor command \"%s\"", command);
    zstr_free (&command);
}

/* Reads what the XPUB reports (subscriptions); the broker does not filter
   by them itself, libzmq does. */
static void s_feed_subscriptions (jk_broker_state_t *self)
{
    zframe_t *frame = zframe_recv (self->feed);
    if (frame && zframe_size (frame) > 0)
        jk_debug (S_COMPONENT, "feed %s topic=\"%.*s\"",
                  zframe_data (frame)[0] ? "subscribe" : "unsubscribe",
                  (int)zframe_size (frame) - 1,
                  (const char *)zframe_data (frame) + 1);
    zframe_destroy (&frame);
}

static bool s_readable (zsock_t *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) != 0;
}

/* ---- the actor ----------------------------------------------------------- */

/* Secure mode, then the three sockets bound; false when one failed. */
static bool s_bind (jk_broker_state_t *self, const jk_broker_config_t *config)
{
    bool secure_ok = jk_broker_secure_start (self, config) == JK_OK;
    self->ingest = secure_ok ? jk_broker_socket (config, self->cert, ZMQ_ROUTER,
                                                 "ingest", config->ingest)
                             : NULL;
    self->backend = self->ingest
                        ? jk_broker_socket (config, self->cert, ZMQ_ROUTER,
                                            "backend", config->backend)
                        : NULL;
    self->feed = self->backend ? jk_broker_socket (config, self->cert, ZMQ_XPUB,
                                                   "feed", config->feed)
                               : NULL;
    if (self->feed && self->cert)
        jk_broker_monitor_start (self);
    if (!self->feed)
        return false;
    jk_endpoint_shown (self->ingest, config->ingest, self->shown_ingest,
                       sizeof self->shown_ingest);
    jk_endpoint_shown (self->feed, config->feed, self->shown_feed,
                       sizeof self->shown_feed);
    jk_endpoint_shown (self->backend, config->backend, self->shown_backend,
                       sizeof self->shown_backend);
    jk_info (S_COMPONENT, "ready ingest=%s feed=%s backend=%s%s",
             self->shown_ingest, self->shown_feed, self->shown_backend,
             self->cert ? " (CURVE)" : "");
    return true;
}

/* One poll round's work: the pipe, then each socket up to S_BURST
   messages. */
static void s_serve (jk_broker_state_t *self, zmq_pollitem_t *items)
{
    if (items[0].revents & ZMQ_POLLIN)
        s_pipe_command (self);
    /* Answers first: they release agents' windows. */
    for (int i = 0; i < S_BURST && jk_broker_relay_backend (self); i++)
        ;
    for (int i = 0; i < S_BURST && jk_broker_relay_ingest (self); i++)
        ;
    for (int i = 0; i < S_BURST && s_readable (self->feed); i++)
        s_feed_subscriptions (self);
    for (int i = 0; i < S_BURST && self->monitor && s_readable (self->monitor);
         i++)
        jk_broker_monitor_event (self);
}

/* Polls until $TERM, with a tick every JK_HEARTBEAT_MS. */
static void s_loop (jk_broker_state_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    self->next_tick = now + JK_HEARTBEAT_MS;
    self->next_report = now + S_REPORT_MS;
    zmq_pollitem_t items[] = {
        {zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->backend), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->ingest), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->feed), 0, ZMQ_POLLIN, 0},
        {self->monitor ? zsock_resolve (self->monitor) : NULL, 0, ZMQ_POLLIN,
         0},
    };
    int item_count = self->monitor ? 5 : 4;
    while (!self->terminated) {
        int64_t wait = self->next_tick - jk_clock_mono_ms ();
        if (wait < 0)
            wait = 0;
        int rc = zmq_poll (items, item_count, (long)wait);
        if (rc < 0 && zmq_errno () != EINTR)
            break;
        if (rc > 0)
            s_serve (self, items);
        if (jk_clock_mono_ms () >= self->next_tick) {
            s_tick (self);
            self->next_tick = jk_clock_mono_ms () + JK_HEARTBEAT_MS;
        }
    }
}

static void s_broker_actor (zsock_t *pipe, void *args)
{
    const jk_broker_config_t *config = (const jk_broker_config_t *)args;
    /* Named for per-thread CPU figures (bench/threadcpu, perf). */
    jk_thread_enter ("jejak-broker");
    jk_broker_state_t self;
    memset (&self, 0, sizeof self);
    self.pipe = pipe;
    bool bound = s_bind (&self, config);
    /* The first signal releases zactor_new, the second says whether the
       endpoints are bound (jk_broker_start reads it). config belongs to
       the caller and is not used after this. */
    zsock_signal (pipe, 0);
    zsock_signal (pipe, bound ? 0 : 1);
    if (!bound) {
        zsock_destroy (&self.ingest);
        zsock_destroy (&self.backend);
        jk_broker_secure_stop (&self);
        return;
    }
    self.clients = zhashx_new ();
    zhashx_set_destructor (self.clients, jk_broker_client_free);
    self.parts = jk_broker_parts_new ();
    self.parts->fault = jk_fault_from_env (S_COMPONENT);
    s_loop (&self);
    jk_broker_parts_destroy (&self.parts);
    char text[1024];
    jk_broker_counters_text (&self, text, sizeof text);
    jk_info (S_COMPONENT, "stopped %s", text);
    zhashx_destroy (&self.clients);
    zframe_destroy (&self.store_id);
    zframe_destroy (&self.refused_id);
    jk_broker_secure_stop (&self);
    zsock_destroy (&self.feed);
    zsock_destroy (&self.backend);
    zsock_destroy (&self.ingest);
}

char *jk_broker_endpoint (zactor_t *broker, const char *role)
{
    assert (broker && role);
    zstr_sendx (broker, "ENDPOINT", role, NULL);
    return zstr_recv (broker);
}

zactor_t *jk_broker_start (const jk_broker_config_t *config)
{
    assert (config);
    assert (config->ingest && config->feed && config->backend);
    zactor_t *actor = zactor_new (s_broker_actor, (void *)config);
    if (zsock_wait (actor) != 0) {
        zactor_destroy (&actor);
        return NULL;
    }
    return actor;
}
