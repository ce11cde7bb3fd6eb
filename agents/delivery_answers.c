/*  delivery_answers.c - what the broker sends back to a delivery run:
    ANSWERs recorded in the outbox (stored, rejected, retried), the
    store's "expect seq N" (a gap, or events it lost), PONGs with the
    hub's clock, and errors. */
#include "delivery_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_print_rejected (jk_delivery_t *run, uint64_t seq,
                              const char *code, const char *message)
{
    jk_outbox_row_t row;
    char *origin = jk_outbox_get (run->outbox, seq, &row) == JK_OK
                       ? jk_text_visible (row.origin, strlen (row.origin))
                       : jk_strdup ("");
    char *visible = jk_text_visible (message, strlen (message));
    fprintf (stderr, "rejected: seq %llu%s%s: %s %s\n", (unsigned long long)seq,
             *origin ? " " : "", origin, code, visible);
    free (visible);
    free (origin);
}

/* Explains an answer that means the outbox and the store disagree. */
static void s_print_conflict (jk_delivery_t *run, uint64_t seq,
                              const char *code)
{
    fprintf (stderr,
             "\n*** %s for seq %llu of source %s ***\n"
             "The store already holds %s. This outbox and the store "
             "disagree:\nwas this outbox replaced or copied, does another "
             "device use the same\n--source, or does a program of this "
             "device keep its own --outbox (the\nprograms of one device "
             "share one outbox: give them all the same --outbox,\nor none)? "
             "The event is marked REJECTED locally; for another device use "
             "a\nnew device name (--source OFFICE/NEWNAME) and enter it "
             "again.\n\n",
             code, (unsigned long long)seq, jk_outbox_source (run->outbox),
             strcmp (code, "E_SEQ_TAKEN") == 0
                 ? "another event with this source and seq"
                 : "an event with this id but different bytes");
}

/* The store expects seq expect next from this source (an E_SEQ_GAP, or
   a PONG saying the log lacks events this outbox holds receipts for).
   When the outbox holds expect as answered, the store lost events it
   once acknowledged (its database restored from a backup, or its WAL
   lost): they are delivered again and get new receipts; nothing is
   skipped. always: rewind sending to expect even when nothing was put
   back. Returns JK_OK or JK_IO. */
static int s_store_expects (jk_delivery_t *run, uint64_t expect, bool always)
{
    if (run->closed)
        return JK_OK; /* said once already */
    jk_outbox_t *ob = run->outbox;
    jk_outbox_row_t row;
    bool held = expect > 0 && jk_outbox_get (ob, expect, &row) == JK_OK;
    if (!held) {
        fprintf (stderr,
                 "\n*** the store expects seq %llu from source %s, "
                 "but this outbox no longer holds event %llu "
                 "(pruned?) ***\nDelivery stops: the store and this "
                 "outbox disagree. Keep this outbox file and ask the "
                 "dinas IT admin.\n\n",
                 (unsigned long long)expect, jk_outbox_source (ob),
                 (unsigned long long)expect);
        run->closed = true;
        return JK_OK;
    }
    if (row.state == JK_OUTBOX_QUARANTINED) {
        fprintf (stderr,
                 "\n*** the store expects seq %llu from source %s, which is "
                 "damaged in this outbox (quarantined: 'inspect %llu') ***\n"
                 "Later events cannot be stored before it: delivery stops. "
                 "Keep this outbox file and ask the dinas IT admin.\n\n",
                 (unsigned long long)expect, jk_outbox_source (ob),
                 (unsigned long long)expect);
        run->closed = true;
        return JK_OK;
    }
    if (++run->rewinds > S_REWIND_MAX ||
        (row.state >= JK_OUTBOX_STORED &&
         run->redeliveries >= S_REDELIVER_MAX)) {
        fprintf (stderr,
                 "\n*** the store keeps asking for seq %llu from source %s "
                 "(%d times without an answer in between, %d rounds sent "
                 "again): delivery stops instead of sending the outbox over "
                 "and over. Run sync again later; if this repeats, keep this "
                 "outbox file and ask the dinas IT admin. ***\n\n",
                 (unsigned long long)expect, jk_outbox_source (ob),
                 run->rewinds, run->redeliveries);
        run->closed = true;
        return JK_OK;
    }
    if (row.state >= JK_OUTBOX_STORED) {
        run->redeliveries++;
        int64_t n = jk_outbox_redeliver (ob, expect);
        if (n < 0)
            return JK_IO;
        fprintf (stderr,
                 "\n*** the store expects seq %llu from source %s, "
                 "which it had acknowledged before (restored from "
                 "a backup, or its database damaged?): delivering %lld "
                 "answered events again ***\n\n",
                 (unsigned long long)expect, jk_outbox_source (ob),
                 (long long)n);
        run->heartbeat.outbox_depth += (uint64_t)n;
        if (run->heartbeat.last_stored_seq >= expect)
            run->heartbeat.last_stored_seq = expect - 1;
        always = true;
    }
    if (always)
        jk_delivery_rewind (run, expect, 0);
    return JK_OK;
}

/* Applies one answer to the event at seq, sent in f. A final answer
   records the send too when f was not marked SENT; a NACK marks f SENT
   first, as a late answer finds it. */
static int s_answer (jk_delivery_t *run, jk_flight_t *f, uint64_t seq,
                     const jk_answer_t *a)
{
    jk_outbox_t *ob = run->outbox;
    uint64_t gen = f->generation;
    if (a->kind != JK_ANSWER_NACK) {
        int changed =
            jk_outbox_record_sent (ob, seq, a, f->marked ? 0 : f->sent_wall);
        if (changed < 0)
            return JK_IO;
        if (changed == 0)
            return JK_OK;
        run->progress_at = jk_clock_mono_ms ();
        run->backoff_ms = JK_RECONNECT_MIN_MS;
        run->rewinds = 0;
        bool stored = a->kind == JK_ANSWER_ACK ||
                      (a->kind == JK_ANSWER_DUPLICATE && a->code[0] == 0);
        if (stored) {
            run->stats->stored++;
            if (seq > run->heartbeat.last_stored_seq)
                run->heartbeat.last_stored_seq = seq;
        } else {
            run->stats->rejected++;
            run->heartbeat.rejected++;
            if (run->config->verbose)
                s_print_rejected (run, seq, a->code, a->message);
        }
        if (run->heartbeat.outbox_depth)
            run->heartbeat.outbox_depth--;
        return JK_OK;
    }
    if (jk_delivery_mark (run, f) != JK_OK)
        return JK_IO;
    if (jk_answer_retryable (a)) {
        run->stats->retried++;
        if (jk_outbox_requeue (ob, seq))
            return JK_IO;
        if (gen != run->generation)
            return JK_OK; /* already rewound past this one */
        if (strcmp (a->code, "E_SEQ_GAP") == 0) {
            if (s_store_expects (run, a->expected, true))
                return JK_IO;
        } else
            jk_delivery_rewind (run, seq, run->backoff_ms);
        return JK_OK;
    }
    /* Not retryable: the store will never take this event as it is. */
    if (strcmp (a->code, "E_SEQ_TAKEN") == 0 ||
        strcmp (a->code, "E_ID_CONFLICT") == 0)
        s_print_conflict (run, seq, a->code);
    int changed = jk_outbox_reject_local (ob, seq, a->code, a->message);
    if (changed < 0)
        return JK_IO;
    if (changed > 0) {
        run->progress_at = jk_clock_mono_ms ();
        run->stats->rejected++;
        run->heartbeat.rejected++;
        if (run->heartbeat.outbox_depth)
            run->heartbeat.outbox_depth--;
        if (run->config->verbose)
            s_print_rejected (run, seq, a->code, a->message);
    }
    return JK_OK;
}

/* A PONG told the hub's clock: kept in the outbox (commands warn from it
   before queueing) and said at once when off by more than
   JK_CLOCK_SKEW_MAX_MS. */
static int s_clock (jk_delivery_t *run, int64_t hub_ms)
{
    int64_t now = jk_clock_now_ms ();
    int64_t offset = hub_ms - now;
    run->stats->clock_known = true;
    run->stats->clock_offset_ms = offset;
    if (jk_outbox_set_clock (run->outbox, offset, now) != JK_OK)
        return JK_IO;
    if ((offset > JK_CLOCK_SKEW_MAX_MS || offset < -JK_CLOCK_SKEW_MAX_MS) &&
        !run->clock_warned) {
        run->clock_warned = true;
        jk_delivery_clock_warning (stderr, offset);
    }
    return JK_OK;
}

/* Handles one message from the broker. */
int jk_delivery_handle (jk_delivery_t *run, zmsg_t *msg)
{
    char command[16];
    if (jk_wire_open (msg, command, sizeof command) != 0) {
        jk_warn (S_COMPONENT, "broker=%s error=\"not a JEJAK/1 message\"",
                 run->config->broker);
        return JK_OK;
    }
    if (strcmp (command, "PONG") == 0) {
        /* The map is optional (older brokers send a bare PONG). */
        zframe_t *f = zmsg_first (msg);
        jk_pong_t pong;
        run->pong_seen = true;
        if (!f || jk_pong_decode (zframe_data (f), zframe_size (f), &pong) != 0)
            return JK_OK;
        if (pong.now_ms > 0 && s_clock (run, pong.now_ms) != JK_OK)
            return JK_IO;
        if (pong.expect > 0)
            return s_store_expects (run, pong.expect, false);
        return JK_OK;
    }
    if (strcmp (command, "ERROR") == 0) {
        char *code = zmsg_popstr (msg), *text = zmsg_popstr (msg);
        jk_error (S_COMPONENT, "broker=%s code=%s message=\"%s\"",
                  run->config->broker, code ? code : "?", text ? text : "");
        if (code && strcmp (code, "E_FORBIDDEN") == 0) {
            char *visible =
                jk_text_visible (text ? text : "", text ? strlen (text) : 0);
            fprintf (stderr, "the broker refused this agent: %s %s\n", code,
                     visible);
            free (visible);
            run->closed = true;
        }
        free (code);
        free (text);
        jk_delivery_disconnect (run, "protocol error");
        return JK_OK;
    }
    if (strcmp (command, "ANSWER") != 0) {
        jk_warn (S_COMPONENT, "broker=%s error=\"unexpected %s\"",
                 run->config->broker, command);
        return JK_OK;
    }
    if (run->inflight == 0) {
        jk_warn (S_COMPONENT, "broker=%s error=\"ANSWER with nothing sent\"",
                 run->config->broker);
        return JK_OK;
    }
    jk_flight_t *f = jk_delivery_front (run);
    if (zmsg_size (msg) != f->count) {
        jk_warn (S_COMPONENT, "broker=%s error=\"%zu answers for %zu events\"",
                 run->config->broker, zmsg_size (msg), f->count);
        jk_delivery_disconnect (run, "answer count mismatch");
        return JK_OK;
    }
    static const uint8_t zero[16] = {0};
    for (size_t i = 0; i < f->count; i++) {
        zframe_t *frame = zmsg_pop (msg);
        jk_answer_t a;
        int rc =
            jk_answer_decode (zframe_data (frame), zframe_size (frame), &a);
        zframe_destroy (&frame);
        if (rc != 0 || (memcmp (a.id, zero, 16) != 0 &&
                        memcmp (a.id, f->ids[i], 16) != 0)) {
            jk_warn (S_COMPONENT, "broker=%s seq=%llu error=\"%s\"",
                     run->config->broker, (unsigned long long)f->seqs[i],
                     rc ? "malformed answer" : "answer for another event");
            jk_delivery_disconnect (run, "bad answer");
            return JK_OK;
        }
        if (s_answer (run, f, f->seqs[i], &a))
            return JK_IO;
    }
    jk_delivery_pop (run);
    return JK_OK;
}
