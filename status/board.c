/*  board.c - the status board's model: a feed subscriber that keeps a sink
    (the replica) equal to the log prefix up to its position, catching up
    from the store's query endpoint on start and on every gap (the Clone
    pattern), with credit-based flow control. jejak-status drives it. */
#include "jk_curve.h"
#include "jk_fault.h"
#include "jk_opts.h"
#include "jk_status.h"

#include <string.h>

#define S_HEAD_PING_MS 1000 /* HEAD to the store this often when live */
#define S_POLL_BATCH   5000 /* messages handled per poll at most */
#define S_OFFICES_MAX  4096 /* offices remembered */

struct jk_board_s {
    jk_board_config_t config; /* copy, endpoints duplicated below */
    char *feed_ep;            /* feed endpoint */
    char *query_ep;           /* query endpoint */
    jk_board_sink_t sink;     /* where records go */
    zsock_t *feed;            /* SUB to the broker's feed */
    zsock_t *query;           /* DEALER to the store's query endpoint */
    zpoller_t *poller;        /* on feed and query */
    jk_board_state_t state;   /* starting, catching up, live */
    uint64_t pos;             /* last applied position */
    uint8_t hash[32];         /* chain hash at pos */
    uint64_t head;            /* highest head seen */
    uint64_t suspect;         /* a head beyond pos, checked next time */
    bool catching;            /* a SINCE stream (or STATE) is running */
    bool loading;             /* a STATE is on its way */
    bool no_state;            /* the store sends none: history only */
    uint8_t *image;           /* the STATE image so far (sqlite3_malloc) */
    uint64_t state_size, state_got;
    uint64_t state_outstanding; /* STATE messages granted, not yet come */
    uint64_t outstanding;       /* credit granted and not yet used */
    zlistx_t *buffer;           /* feed records held, zmsg_t *, by pos */
    uint64_t feed_count;        /* feed records seen (for drop_every) */
    int64_t feed_heard;         /* mono ms of the last feed message */
    int64_t query_heard;        /* mono ms of the last query message */
    int64_t query_asked;        /* mono ms of the oldest unanswered ask */
    int64_t head_pinged;        /* mono ms of the last HEAD sent */
    bool feed_silent;           /* feed past its silence limit */
    bool store_silent;          /* store past its silence limit */
    bool in_batch;              /* sink begin called, commit pending */
    bool changed;               /* something visible changed */
    char note[160];             /* latest recovery note */
    jk_board_stats_t stats;     /* counters */
    jk_office_t *offices;       /* heartbeats, sorted by source */
    size_t office_count;        /* entries in offices */
};

static const char *s_state_names[] = {"starting", "catching up", "live"};

const char *jk_board_state_name (jk_board_state_t state)
{
    return (unsigned)state < 3 ? s_state_names[state] : "?";
}

/* Sets the note shown to the user and logs it once. */
static void s_note (jk_board_t *self, const char *text)
{
    if (strcmp (self->note, text) != 0)
        jk_info ("status", "%s", text);
    snprintf (self->note, sizeof self->note, "%s", text);
    self->changed = true;
}

static void s_set_state (jk_board_t *self, jk_board_state_t state)
{
    if (self->state != state)
        self->changed = true;
    self->state = state;
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
        zsock_connect (self->feed, "%s", self->feed_ep)) {
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
        zsock_connect (self->query, "%s", self->query_ep)) {
        jk_error ("status", "cannot connect the query endpoint=%s",
                  self->query_ep);
        return -1;
    }
    zpoller_add (self->poller, self->query);
    self->query_heard = jk_clock_mono_ms ();
    return 0;
}

/* Asks the store for everything after pos, with a fresh credit window.
   A new SINCE replaces any stream the store is still sending. */
static void s_catch_up (jk_board_t *self)
{
    zmsg_t *msg = jk_wire_new ("SINCE");
    jk_wire_add_u64 (msg, self->pos);
    zmsg_addstr (msg, "");
    jk_wire_add_u64 (msg, self->config.credit);
    zmsg_send (&msg, self->query);
    self->catching = true;
    self->outstanding = self->config.credit;
    self->stats.catchups++;
    self->stats.credit_granted += self->config.credit;
    if (!self->query_asked)
        self->query_asked = jk_clock_mono_ms ();
    if (self->state == JK_BOARD_LIVE)
        s_set_state (self, JK_BOARD_CATCHING_UP);
}

/* Tops the window up once half of it is used, never beyond the window. */
static void s_grant (jk_board_t *self)
{
    if (!self->catching || self->outstanding > self->config.credit / 2)
        return;
    uint64_t more = self->config.credit - self->outstanding;
    zmsg_t *msg = jk_wire_new ("CREDIT");
    jk_wire_add_u64 (msg, more);
    zmsg_send (&msg, self->query);
    self->outstanding += more;
    self->stats.credit_granted += more;
}

static void s_commit (jk_board_t *self);

/* Asks the store for its projections' state (STATE) when the sink can
   load one, else for the whole history (SINCE from 0). Feed records wait
   in the buffer meanwhile. */
static void s_start_over (jk_board_t *self)
{
    if (!self->sink.load || self->no_state) {
        s_catch_up (self);
        return;
    }
    zmsg_t *msg = jk_wire_new ("STATE");
    jk_wire_add_u64 (msg, self->config.state_chunk);
    jk_wire_add_u64 (msg, self->config.state_credit);
    zmsg_send (&msg, self->query);
    self->loading = true;
    self->catching = true;
    self->outstanding = 0;
    self->state_outstanding = self->config.state_credit;
    sqlite3_free (self->image);
    self->image = NULL;
    self->state_size = self->state_got = 0;
    self->stats.state_asked++;
    if (!self->query_asked)
        self->query_asked = jk_clock_mono_ms ();
}

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
static void s_on_state (jk_board_t *self, zmsg_t *msg)
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
            s_note (self, "no memory for the store's state: reloading from "
                          "position 0");
            s_catch_up (self);
            return;
        }
        self->state_size = total;
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
        s_note (self, "the store's state could not be loaded: reloading "
                      "from position 0");
        self->sink.reset (self->sink.arg);
        s_catch_up (self);
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
    s_catch_up (self);
}

/* Drops the sink's content and starts again from position 0: the log the
   store now serves is not the one the sink was built from. */
static void s_reset (jk_board_t *self, const char *why)
{
    if (self->in_batch) {
        self->sink.commit (self->sink.arg);
        self->in_batch = false;
    }
    self->sink.reset (self->sink.arg);
    self->pos = 0;
    memset (self->hash, 0, 32);
    self->head = 0;
    zlistx_purge (self->buffer);
    self->stats.resets++;
    s_set_state (self, JK_BOARD_STARTING);
    char text[160];
    snprintf (text, sizeof text, "%s: reloading from position 0", why);
    s_note (self, text);
    s_start_over (self);
}

/* Applies one record that is the next position; -1 when the sink failed
   (the board has then reset). */
static int s_apply (jk_board_t *self, const jk_record_t *record, bool feed)
{
    assert (record->pos == self->pos + 1);
    if (!self->in_batch) {
        if (self->sink.begin (self->sink.arg)) {
            s_reset (self, "replica failed");
            return -1;
        }
        self->in_batch = true;
    }
    if (self->sink.apply (self->sink.arg, record)) {
        s_reset (self, "replica could not apply a record");
        return -1;
    }
    self->pos = record->pos;
    memcpy (self->hash, record->hash, 32);
    if (self->pos > self->head)
        self->head = self->pos;
    self->stats.applied++;
    if (feed)
        self->stats.feed_applied++;
    self->changed = true;
    return 0;
}

static void s_commit (jk_board_t *self)
{
    if (!self->in_batch)
        return;
    self->in_batch = false;
    if (self->sink.commit (self->sink.arg))
        s_reset (self, "replica failed to commit");
}

/* The position of a buffered feed record (second frame). */
static uint64_t s_msg_pos (const void *item)
{
    zmsg_t *msg = (zmsg_t *)item;
    zframe_t *frame = zmsg_first (msg);
    frame = frame ? zmsg_next (msg) : NULL;
    return frame && zframe_size (frame) == 8 ? jk_wire_u64 (zframe_data (frame))
                                             : 0;
}

static int s_compare (const void *a, const void *b)
{
    uint64_t pa = s_msg_pos (a), pb = s_msg_pos (b);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/* Inserts a feed record into the buffer, kept sorted by position. */
static void s_buffer (jk_board_t *self, zmsg_t **msg_p, uint64_t pos)
{
    if (zlistx_size (self->buffer) >= self->config.buffer_max) {
        /* Dropping is safe: a later catch-up fetches it from the log. */
        self->stats.buffer_dropped++;
        zmsg_destroy (msg_p);
        return;
    }
    void *last = zlistx_last (self->buffer);
    if (last && s_msg_pos (last) >= pos) {
        /* Out of order (rare): skip a duplicate, else insert sorted. */
        if (zlistx_find (self->buffer, *msg_p)) {
            self->stats.duplicates++;
            zmsg_destroy (msg_p);
            return;
        }
        zlistx_insert (self->buffer, *msg_p, false);
    } else
        zlistx_add_end (self->buffer, *msg_p);
    *msg_p = NULL;
}

/* Applies buffered feed records that continue the position; returns true
   when a gap remains in front of what is buffered. */
static bool s_drain (jk_board_t *self)
{
    zmsg_t *msg;
    while ((msg = (zmsg_t *)zlistx_first (self->buffer))) {
        jk_record_t r;
        jk_record_read (msg, &r);
        if (r.pos > self->pos + 1)
            return true;
        if (r.pos <= self->pos)
            self->stats.duplicates++;
        else if (s_apply (self, &r, true))
            return false; /* the board was reset, buffer purged */
        zmsg_t *done = (zmsg_t *)zlistx_detach (self->buffer, NULL);
        zmsg_destroy (&done);
    }
    return false;
}

/* After a catch-up ends: live when the buffer joins on, else catch up
   again from where the log left us. */
static void s_end_catch_up (jk_board_t *self)
{
    self->catching = false;
    self->query_asked = 0;
    bool gap = s_drain (self);
    if (gap || self->pos < self->head) {
        s_catch_up (self);
        return;
    }
    if (self->state != JK_BOARD_LIVE && self->note[0] &&
        strncmp (self->note, "recovered", 9) != 0 && !self->feed_silent &&
        !self->store_silent) {
        /* Say that it is right again, and what happened. */
        char when[26], text[sizeof self->note];
        jk_time_format_wib (jk_clock_now_ms (), when);
        snprintf (text, sizeof text, "recovered %.8s WIB after: %.120s",
                  when + 11, self->note);
        s_note (self, text);
    }
    s_set_state (self, JK_BOARD_LIVE);
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

/* Learns the head; a head behind us or a different hash at our position
   means the log was replaced (restored, rebuilt elsewhere): start over. */
static void s_head (jk_board_t *self, uint64_t pos, const uint8_t *hash)
{
    if (pos < self->pos) {
        s_reset (self, "the log head went backwards");
        return;
    }
    if (hash && pos == self->pos && pos > 0 &&
        memcmp (hash, self->hash, 32) != 0) {
        s_reset (self, "the log's hash differs at our position");
        return;
    }
    if (pos > self->head) {
        self->head = pos;
        self->changed = true;
    }
    if (pos > self->pos && !self->catching) {
        /* The head may run a little ahead of the feed (the store commits,
           then publishes). Only a head still unreached at the next
           heartbeat means records lost at the feed's tail. */
        if (self->suspect && self->pos < self->suspect) {
            self->suspect = 0;
            self->stats.gaps++;
            s_catch_up (self);
        } else
            self->suspect = pos;
    } else
        self->suspect = 0;
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
        s_note (self, "feed back");
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
        s_head (self, r.pos, r.hash);
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
        s_apply (self, &r, true);
        zmsg_destroy (msg_p);
        return;
    }
    s_buffer (self, msg_p, r.pos);
    if (!self->catching && s_drain (self)) {
        self->stats.gaps++;
        s_catch_up (self);
    }
}

/* Handles one message from the query endpoint. */
static void s_on_query (jk_board_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    self->query_heard = jk_clock_mono_ms ();
    self->query_asked = self->catching ? self->query_heard : 0;
    if (self->store_silent) {
        self->store_silent = false;
        s_note (self, "store back");
    }
    char command[16];
    if (jk_wire_open (msg, command, sizeof command)) {
        zmsg_destroy (msg_p);
        return;
    }
    if (strcmp (command, "STATE") == 0)
        s_on_state (self, msg);
    else if (self->loading && (strcmp (command, "RECORD") == 0 ||
                               strcmp (command, "END") == 0)) {
        /* Left from a stream before the STATE was asked for. */
    } else if (strcmp (command, "RECORD") == 0) {
        jk_record_t r;
        self->stats.catchup_records++;
        if (self->outstanding > 0)
            self->outstanding--;
        if (jk_record_read (msg, &r) == 0) {
            if (r.pos <= self->pos)
                self->stats.duplicates++;
            else if (r.pos == self->pos + 1)
                s_apply (self, &r, false);
            else if (self->catching) {
                /* Not the next position: a stream we replaced. */
                s_catch_up (self);
            }
        }
        s_grant (self);
    } else if (strcmp (command, "END") == 0) {
        uint64_t head;
        if (jk_wire_pop_u64 (msg, &head) == 0 && self->catching) {
            if (head < self->pos)
                s_reset (self, "the store's log is shorter than ours");
            else {
                if (head > self->head)
                    self->head = head;
                if (self->pos >= head)
                    s_end_catch_up (self);
                /* else: records of this stream still to come */
            }
        }
    } else if (strcmp (command, "HEAD") == 0) {
        uint64_t head;
        zframe_t *hash = NULL;
        if (jk_wire_pop_u64 (msg, &head) == 0) {
            hash = zmsg_pop (msg);
            bool ok = hash && zframe_size (hash) == 32;
            s_head (self, head, ok ? zframe_data (hash) : NULL);
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
            s_catch_up (self);
        }
        free (code);
        free (text);
    }
    zmsg_destroy (msg_p);
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
        s_note (self, "no feed for 3 s (broker down?): re-subscribed, "
                      "catching up from the store");
        s_feed_connect (self);
        /* A state on its way is followed by a catch-up anyway; a SINCE
           now would replace it at the store. */
        if (!self->loading)
            s_catch_up (self);
    }
    if (self->query_asked &&
        now - self->query_asked >= self->config.query_silence_ms) {
        self->store_silent = true;
        self->stats.query_reconnects++;
        s_note (self, "store not answering (restart?): reconnecting");
        s_query_connect (self);
        self->query_asked = 0;
        if (self->loading)
            s_start_over (self);
        else if (self->catching)
            s_catch_up (self);
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
    zlistx_set_comparator (self->buffer, s_compare);
    self->poller = zpoller_new (NULL);
    if (s_feed_connect (self) || s_query_connect (self)) {
        jk_board_destroy (&self);
        return NULL;
    }
    self->state = JK_BOARD_STARTING;
    self->head_pinged = jk_clock_mono_ms ();
    self->changed = true;
    s_start_over (self);
    return self;
}

void jk_board_destroy (jk_board_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_board_t *self = *self_p;
    s_commit (self);
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
        return -1;
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
    s_commit (self);
    s_timers (self);
    if (zsys_interrupted)
        return -1;
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

const char *jk_board_note (jk_board_t *self)
{
    return self->note;
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
