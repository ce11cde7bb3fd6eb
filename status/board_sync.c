/*  board_sync.c - the board's sink kept equal to the log prefix up to
    its position: records applied in batches, catch-up streams with
    credit windows, feed records buffered until they join on, the head
    watched, and a reset when the log was replaced. */
#include "board_internal.h"

#include <stdarg.h>
#include <string.h>

/* Sets the note shown to the user and logs it (in English) when it
   changed. */
void jk_board_say (jk_board_t *self, const char *code, ...)
{
    jk_status_note_t note;
    va_list args;
    va_start (args, code);
    jk_status_note_vset (&note, code, args);
    va_end (args);
    if (memcmp (&note, &self->note, sizeof note) != 0) {
        char text[JK_STATUS_NOTE_TEXT_MAX];
        jk_info ("status", "%s",
                 jk_status_note_text (&note, true, text, sizeof text));
    }
    self->note = note;
    self->changed = true;
}

void jk_board_set_state (jk_board_t *self, jk_board_state_t state)
{
    if (self->state != state)
        self->changed = true;
    self->state = state;
}

/* Asks the store for everything after pos, with a fresh credit window.
   A new SINCE replaces any stream the store is still sending. */
void jk_board_catch_up (jk_board_t *self)
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
        jk_board_set_state (self, JK_BOARD_CATCHING_UP);
}

/* Tops the window up once half of it is used, never beyond the window. */
void jk_board_grant (jk_board_t *self)
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

/* Asks the store for its projections' state (STATE) when the sink can
   load one, else for the whole history (SINCE from 0). Feed records wait
   in the buffer meanwhile. */
void jk_board_start_over (jk_board_t *self)
{
    if (!self->sink.load || self->no_state) {
        jk_board_catch_up (self);
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

/* Drops the sink's content and starts again from position 0: the log the
   store now serves is not the one the sink was built from. */
void jk_board_reset (jk_board_t *self, const char *why)
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
    jk_board_set_state (self, JK_BOARD_STARTING);
    jk_board_say (self, why);
    jk_board_start_over (self);
}

/* Applies one record that is the next position; JK_OK, or JK_IO when the
   sink failed (the board has then reset). */
int jk_board_apply (jk_board_t *self, const jk_record_t *record, bool feed)
{
    assert (record->pos == self->pos + 1);
    if (!self->in_batch) {
        if (self->sink.begin (self->sink.arg)) {
            jk_warn ("status", "the replica could not begin a batch");
            jk_board_reset (self, "replica_failed");
            return JK_IO;
        }
        self->in_batch = true;
    }
    if (self->sink.apply (self->sink.arg, record)) {
        jk_warn ("status",
                 "the replica could not apply the record at "
                 "position %llu",
                 (unsigned long long)record->pos);
        jk_board_reset (self, "replica_failed");
        return JK_IO;
    }
    self->pos = record->pos;
    memcpy (self->hash, record->hash, 32);
    if (self->pos > self->head)
        self->head = self->pos;
    self->stats.applied++;
    if (feed)
        self->stats.feed_applied++;
    self->changed = true;
    return JK_OK;
}

void jk_board_commit (jk_board_t *self)
{
    if (!self->in_batch)
        return;
    self->in_batch = false;
    if (self->sink.commit (self->sink.arg)) {
        jk_warn ("status", "the replica failed to commit");
        jk_board_reset (self, "replica_failed");
    }
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

int jk_board_msg_compare (const void *a, const void *b)
{
    uint64_t pa = s_msg_pos (a), pb = s_msg_pos (b);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/* Inserts a feed record into the buffer, kept sorted by position. */
void jk_board_buffer (jk_board_t *self, zmsg_t **msg_p, uint64_t pos)
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
bool jk_board_drain (jk_board_t *self)
{
    zmsg_t *msg;
    while ((msg = (zmsg_t *)zlistx_first (self->buffer))) {
        jk_record_t r;
        jk_record_read (msg, &r);
        if (r.pos > self->pos + 1)
            return true;
        if (r.pos <= self->pos)
            self->stats.duplicates++;
        else if (jk_board_apply (self, &r, true))
            return false; /* the board was reset, buffer purged */
        zmsg_t *done = (zmsg_t *)zlistx_detach (self->buffer, NULL);
        zmsg_destroy (&done);
    }
    return false;
}

/* After a catch-up ends: live when the buffer joins on, else catch up
   again from where the log left us. */
void jk_board_end_catch_up (jk_board_t *self)
{
    self->catching = false;
    self->query_asked = 0;
    bool gap = jk_board_drain (self);
    if (gap || self->pos < self->head) {
        jk_board_catch_up (self);
        return;
    }
    if (self->state != JK_BOARD_LIVE && self->note.code[0] &&
        strcmp (self->note.code, "recovered") != 0 && !self->feed_silent &&
        !self->store_silent) {
        /* Say that it is right again, and after what: a note without
           arguments (the silences have ended in feed_back or store_back
           by now; the settings' notice is not a note). */
        char when[26], time[9];
        jk_time_format_wib (jk_clock_now_ms (), when);
        snprintf (time, sizeof time, "%.8s", when + 11);
        jk_board_say (self, "recovered", time, self->note.code);
    }
    jk_board_set_state (self, JK_BOARD_LIVE);
}

/* Learns the head; a head behind us or a different hash at our position
   means the log was replaced (restored, rebuilt elsewhere): start over. */
void jk_board_head_seen (jk_board_t *self, uint64_t pos, const uint8_t *hash)
{
    if (pos < self->pos) {
        jk_board_reset (self, "head_backwards");
        return;
    }
    if (hash && pos == self->pos && pos > 0 &&
        memcmp (hash, self->hash, 32) != 0) {
        jk_board_reset (self, "hash_differs");
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
            jk_board_catch_up (self);
        } else
            self->suspect = pos;
    } else
        self->suspect = 0;
}
