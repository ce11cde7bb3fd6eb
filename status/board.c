/*  board.c - the status board's model: a feed subscriber that keeps a sink
    (the replica) equal to the log prefix up to its position, catching up
    from the store's query endpoint on start and on every gap (the Clone
    pattern), with credit-based flow control. jejak-status drives it. */
#include "board_internal.h"
#include "jk_curve.h"
#include "jk_endpoint.h"
#include "jk_fault.h"
#include "jk_opts.h"
#include "jk_status.h"

#include <stdlib.h>
#include <string.h>

#define S_HEAD_PING_MS 1000 /* HEAD to the store this often when live */
#define S_POLL_BATCH   5000 /* messages handled per poll at most */
#define S_OFFICES_MAX  4096 /* offices remembered */

static const char *s_state_names[] = {"starting", "catching up", "live"};

const char *jk_board_state_name (jk_board_state_t state)
{
    return (unsigned)state < 3 ? s_state_names[state] : "?";
}

int jk_status_curve (zsock_t *sock, const char *endpoint,
                     const char *broker_key, const char *key)
{
    (void)endpoint;
    return jk_curve_client (sock, broker_key, key, "status");
}

/* (Re)creates the SUB socket: a new subscription at a restarted broker. */
static int s_feed_connect (jk_board_t *self)
{
    if (self->feed) {
        zpoller_remove (self->poller, self->feed);
        zsock_destroy (&self->feed);
    }
    self->feed = zsock_new (ZMQ_SUB);
    zsock_set_linger (self->feed, 0);
    zsock_set_rcvhwm (self->feed, 0);
    zsock_set_subscribe (self->feed, "");
    if (jk_status_curve (self->feed, self->feed_ep, self->config.broker_key,
                         self->config.key) ||
        jk_endpoint_connect (self->feed, self->feed_ep)) {
        jk_error ("status", "cannot connect the feed endpoint=%s",
                  self->feed_ep);
        return -1;
    }
    zpoller_add (self->poller, self->feed);
    self->feed_heard = jk_clock_mono_ms ();
    return 0;
}

/* (Re)creates the DEALER socket: nothing of an old stream survives. */
static int s_query_connect (jk_board_t *self)
{
    if (self->query) {
        zpoller_remove (self->poller, self->query);
        zsock_destroy (&self->query);
    }
    self->query = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->query, 0);
    zsock_set_rcvhwm (self->query, 0);
    if (jk_status_curve (self->query, self->query_ep, self->config.broker_key,
                         self->config.key) ||
        jk_endpoint_connect (self->query, self->query_ep)) {
        jk_error ("status", "cannot connect the query endpoint=%s",
                  self->query_ep);
        return -1;
    }
    zpoller_add (self->poller, self->query);
    self->query_heard = jk_clock_mono_ms ();
    return 0;
}

/* Records an $office heartbeat, kept sorted by source. */
static void s_office (jk_board_t *self, zmsg_t *msg)
{
    jk_office_t office;
    if (jk_office_read (msg, &office) || !office.heartbeat.source[0])
        return;
    const char *source = office.heartbeat.source;
    for (size_t i = 0; i < self->office_count; i++)
        if (strcmp (self->offices[i].heartbeat.source, source) == 0) {
            if (memcmp (&self->offices[i], &office, sizeof office) != 0)
                self->changed = true;
            self->offices[i] = office;
            return;
        }
    if (self->office_count >= S_OFFICES_MAX)
        return;
    size_t at = self->office_count;
    while (at > 0 &&
           strcmp (self->offices[at - 1].heartbeat.source, source) > 0)
        at--;
    self->offices = jk_realloc (self->offices, (self->office_count + 1) *
                                                   sizeof *self->offices);
    memmove (&self->offices[at + 1], &self->offices[at],
             (self->office_count - at) * sizeof *self->offices);
    self->offices[at] = office;
    self->office_count++;
    self->changed = true;
}

/* A checkpoint seen (feed or HEAD): to the watch, its request sent. Not
   while a STATE is on its way (an ERROR answer would be taken as the
   STATE's). */
static void s_checkpoint_seen (jk_board_t *self, zframe_t *note)
{
    if (!self->config.watch || !note || zframe_size (note) == 0 ||
        self->loading)
        return;
    zmsg_t *ask =
        jk_ckwatch_seen (self->config.watch, (const char *)zframe_data (note),
                         zframe_size (note));
    if (ask)
        zmsg_send (&ask, self->query);
    if (jk_ckwatch_changed (self->config.watch))
        self->changed = true;
}

/* Handles one feed message. */
static void s_on_feed (jk_board_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    self->feed_heard = jk_clock_mono_ms ();
    if (self->feed_silent) {
        self->feed_silent = false;
        jk_board_say (self, "feed_back");
    }
    zframe_t *topic = zmsg_first (msg);
    if (topic && zframe_streq (topic, JK_FEED_OFFICE)) {
        s_office (self, msg);
        zmsg_destroy (msg_p);
        return;
    }
    if (topic && zframe_streq (topic, JK_FEED_CHECKPOINT)) {
        s_checkpoint_seen (self, zmsg_next (msg));
        zmsg_destroy (msg_p);
        return;
    }
    jk_record_t r;
    if (jk_record_read (msg, &r)) {
        jk_debug ("status", "malformed feed message frames=%zu",
                  zmsg_size (msg));
        zmsg_destroy (msg_p);
        return;
    }
    if (strcmp (r.topic, JK_FEED_HEAD) == 0) {
        jk_board_head_seen (self, r.pos, r.hash);
        zmsg_destroy (msg_p);
        return;
    }
    self->feed_count++;
    if (jk_fault_drop_nth (self->feed_count, self->config.drop_every)) {
        self->stats.test_dropped++;
        zmsg_destroy (msg_p);
        return;
    }
    if (r.pos > self->head) {
        self->head = r.pos;
        self->changed = true;
    }
    if (r.pos <= self->pos) {
        self->stats.duplicates++;
        zmsg_destroy (msg_p);
        return;
    }
    if (!self->catching && r.pos == self->pos + 1 &&
        zlistx_size (self->buffer) == 0) {
        jk_board_apply (self, &r, true);
        zmsg_destroy (msg_p);
        return;
    }
    jk_board_buffer (self, msg_p, r.pos);
    if (!self->catching && jk_board_drain (self)) {
        self->stats.gaps++;
        jk_board_catch_up (self);
    }
}

/* A RECORD of a catch-up stream. */
static void s_on_record (jk_board_t *self, zmsg_t *msg)
{
    jk_record_t r;
    self->stats.catchup_records++;
    if (self->outstanding > 0)
        self->outstanding--;
    if (jk_record_read (msg, &r) == 0) {
        if (r.pos <= self->pos)
            self->stats.duplicates++;
        else if (r.pos == self->pos + 1)
            jk_board_apply (self, &r, false);
        else if (self->catching) {
            /* Not the next position: a stream we replaced. */
            jk_board_catch_up (self);
        }
    }
    jk_board_grant (self);
}

/* The END of a catch-up stream, with the store's head. */
static void s_on_end (jk_board_t *self, zmsg_t *msg)
{
    uint64_t head;
    if (jk_wire_pop_u64 (msg, &head) == 0 && self->catching) {
        if (head < self->pos)
            jk_board_reset (self, "log_shorter");
        else {
            if (head > self->head)
                self->head = head;
            if (self->pos >= head)
                jk_board_end_catch_up (self);
            /* else: records of this stream still to come */
        }
    }
}

/* Asks the store what it decides with (STATS) for the sink's settings;
   nothing else is asked until it answers (catching holds the feed's
   records in the buffer and the HEAD pings). */
static void s_settings_ask (jk_board_t *self)
{
    zmsg_t *msg = jk_wire_new ("STATS");
    zmsg_send (&msg, self->query);
    self->settling = true;
    self->catching = true;
    if (!self->query_asked)
        self->query_asked = jk_clock_mono_ms ();
}

/* The store's answer (stats: its STATS text, NULL for none) to the sink,
   then the start. */
static void s_settled (jk_board_t *self, const char *stats)
{
    jk_status_note_t notice;
    memset (&notice, 0, sizeof notice);
    self->settling = false;
    self->catching = false;
    self->sink.settings (self->sink.arg, stats, &notice);
    if (notice.code[0]) {
        self->notice = notice;
        self->changed = true;
    }
    jk_board_start_over (self);
}

/* Handles one message from the query endpoint. */
static void s_on_query (jk_board_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    self->query_heard = jk_clock_mono_ms ();
    self->query_asked = self->catching ? self->query_heard : 0;
    if (self->store_silent) {
        self->store_silent = false;
        jk_board_say (self, "store_back");
    }
    char command[16];
    if (jk_wire_open (msg, command, sizeof command)) {
        zmsg_destroy (msg_p);
        return;
    }
    if (self->settling && strcmp (command, "STATS") == 0) {
        char *stats = zmsg_popstr (msg);
        s_settled (self, stats);
        free (stats);
    } else if (self->settling && strcmp (command, "ERROR") == 0)
        s_settled (self, NULL);
    else if (strcmp (command, "STATE") == 0)
        jk_board_on_state (self, msg);
    else if (self->loading && (strcmp (command, "RECORD") == 0 ||
                               strcmp (command, "END") == 0)) {
        /* Left from a stream before the STATE was asked for. */
    } else if (strcmp (command, "RECORD") == 0)
        s_on_record (self, msg);
    else if (strcmp (command, "END") == 0)
        s_on_end (self, msg);
    else if (strcmp (command, "HEAD") == 0) {
        uint64_t head;
        zframe_t *hash = NULL;
        if (jk_wire_pop_u64 (msg, &head) == 0) {
            hash = zmsg_pop (msg);
            bool ok = hash && zframe_size (hash) == 32;
            jk_board_head_seen (self, head, ok ? zframe_data (hash) : NULL);
            s_checkpoint_seen (self, zmsg_first (msg));
        }
        zframe_destroy (&hash);
    } else if (self->config.watch && jk_ckwatch_waiting (self->config.watch) &&
               (strcmp (command, "PROOF") == 0 ||
                (strcmp (command, "ERROR") == 0 && !self->loading))) {
        zmsg_t *ask = jk_ckwatch_answer (self->config.watch, command, msg);
        if (ask)
            zmsg_send (&ask, self->query);
        if (jk_ckwatch_changed (self->config.watch))
            self->changed = true;
    } else if (strcmp (command, "ERROR") == 0) {
        char *code = zmsg_popstr (msg);
        char *text = zmsg_popstr (msg);
        jk_warn ("status", "store error code=%s message=%s", code ? code : "?",
                 text ? text : "?");
        if (self->loading) {
            /* No state from this store: the whole history instead. */
            self->loading = false;
            self->no_state = true;
            jk_board_catch_up (self);
        }
        free (code);
        free (text);
    }
    zmsg_destroy (msg_p);
}

/* A duration in seconds to a tenth, in the Indonesian form ("3",
   "0,3"), for the notes. */
static const char *s_seconds (int ms, char *out, size_t size)
{
    int tenths = (ms + 50) / 100;
    if (tenths % 10 == 0)
        snprintf (out, size, "%d", tenths / 10);
    else
        snprintf (out, size, "%d,%d", tenths / 10, tenths % 10);
    return out;
}

/* Silence checks and HEAD pings. */
static void s_timers (jk_board_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    if (now - self->feed_heard >= self->config.feed_silence_ms) {
        /* No $head for 3 heartbeats: the broker is gone or restarted and
           forgot our subscription. A new socket subscribes afresh; what
           passed meanwhile comes from the log. */
        self->feed_silent = true;
        self->stats.feed_reconnects++;
        char seconds[24];
        jk_board_say (
            self, "feed_silent",
            s_seconds (self->config.feed_silence_ms, seconds, sizeof seconds));
        s_feed_connect (self);
        /* A state on its way is followed by a catch-up anyway; a SINCE
           now would replace it at the store. */
        if (!self->loading && !self->settling)
            jk_board_catch_up (self);
    }
    if (self->query_asked &&
        now - self->query_asked >= self->config.query_silence_ms) {
        self->store_silent = true;
        self->stats.query_reconnects++;
        jk_board_say (self, "store_silent");
        s_query_connect (self);
        self->query_asked = 0;
        if (self->settling)
            s_settings_ask (self);
        else if (self->loading)
            jk_board_start_over (self);
        else if (self->catching)
            jk_board_catch_up (self);
    }
    if (!self->catching && now - self->head_pinged >= S_HEAD_PING_MS) {
        zmsg_t *msg = jk_wire_new ("HEAD");
        zmsg_send (&msg, self->query);
        self->head_pinged = now;
        if (!self->query_asked)
            self->query_asked = now;
    }
}

static void s_destroy_msg (void **item)
{
    zmsg_destroy ((zmsg_t **)item);
}

jk_board_t *jk_board_new (const jk_board_config_t *config,
                          const jk_board_sink_t *sink)
{
    assert (config && config->feed && config->query);
    assert (sink && sink->apply && sink->begin && sink->commit && sink->reset);
    jk_board_t *self = jk_calloc (1, sizeof *self);
    self->config = *config;
    if (!self->config.credit)
        self->config.credit = 1000;
    if (!self->config.feed_silence_ms)
        self->config.feed_silence_ms = JK_HEARTBEAT_MS * JK_HEARTBEAT_LIVENESS;
    if (!self->config.query_silence_ms)
        self->config.query_silence_ms = 3000;
    if (!self->config.buffer_max)
        self->config.buffer_max = 100000;
    if (!self->config.state_chunk)
        self->config.state_chunk = JK_STATE_CHUNK_DEFAULT;
    if (!self->config.state_credit)
        self->config.state_credit = JK_STATE_CREDIT;
    self->feed_ep = jk_strdup (config->feed);
    self->query_ep = jk_strdup (config->query);
    self->config.feed = self->feed_ep;
    self->config.query = self->query_ep;
    self->sink = *sink;
    self->buffer = zlistx_new ();
    zlistx_set_destructor (self->buffer, s_destroy_msg);
    zlistx_set_comparator (self->buffer, jk_board_msg_compare);
    self->poller = zpoller_new (NULL);
    if (s_feed_connect (self) || s_query_connect (self)) {
        jk_board_destroy (&self);
        return NULL;
    }
    self->state = JK_BOARD_STARTING;
    self->head_pinged = jk_clock_mono_ms ();
    self->changed = true;
    if (self->sink.settings)
        s_settings_ask (self);
    else
        jk_board_start_over (self);
    return self;
}

void jk_board_destroy (jk_board_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_board_t *self = *self_p;
    jk_board_commit (self);
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->feed);
    zsock_destroy (&self->query);
    zlistx_destroy (&self->buffer);
    sqlite3_free (self->image);
    free (self->offices);
    free (self->feed_ep);
    free (self->query_ep);
    free (self);
    *self_p = NULL;
}

int jk_board_poll (jk_board_t *self, int timeout_ms)
{
    uint64_t before = self->stats.applied;
    zsock_t *which = (zsock_t *)zpoller_wait (self->poller, timeout_ms);
    if (!which && zpoller_terminated (self->poller))
        return JK_CLOSED;
    /* Drain what is waiting on both sockets, feed and query in turn, up to
       a bound so the screen still refreshes under load. One sink batch
       (transaction) for all of it. */
    for (int handled = 0; which && handled < S_POLL_BATCH;) {
        bool any = false;
        zmsg_t *msg;
        if ((msg = zmsg_recv_nowait (self->query))) {
            s_on_query (self, &msg);
            any = true;
            handled++;
        }
        if ((msg = zmsg_recv_nowait (self->feed))) {
            s_on_feed (self, &msg);
            any = true;
            handled++;
        }
        if (!any)
            break;
    }
    jk_board_commit (self);
    s_timers (self);
    if (zsys_interrupted)
        return JK_CLOSED;
    return (int)(self->stats.applied - before);
}

jk_board_state_t jk_board_state (jk_board_t *self)
{
    return self->state;
}

uint64_t jk_board_pos (jk_board_t *self)
{
    return self->pos;
}

const uint8_t *jk_board_hash (jk_board_t *self)
{
    return self->hash;
}

uint64_t jk_board_head (jk_board_t *self)
{
    return self->head;
}

bool jk_board_changed (jk_board_t *self)
{
    bool changed = self->changed;
    self->changed = false;
    return changed;
}

const jk_status_note_t *jk_board_note (jk_board_t *self)
{
    /* A problem's note first; then a standing settings notice, which a
       past recovery's note does not hide. */
    if (self->notice.code[0] && strcmp (self->note.code, "recovered") == 0)
        return &self->notice;
    return self->note.code[0] ? &self->note : &self->notice;
}

bool jk_board_feed_silent (jk_board_t *self)
{
    return self->feed_silent;
}

bool jk_board_store_silent (jk_board_t *self)
{
    return self->store_silent;
}

const jk_board_stats_t *jk_board_stats (jk_board_t *self)
{
    return &self->stats;
}

size_t jk_board_office_count (jk_board_t *self)
{
    return self->office_count;
}

const jk_office_t *jk_board_office_at (jk_board_t *self, size_t index)
{
    return index < self->office_count ? &self->offices[index] : NULL;
}
