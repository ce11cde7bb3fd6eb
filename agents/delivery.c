/*  delivery.c - drains the outbox to a broker: oldest first, a window of
    SUBMITs in flight, heartbeats, reconnect with capped exponential backoff
    plus jitter, resend of everything unanswered. Called by `sync` and after
    each queued command; synchronous, one DEALER socket. */
#include "delivery_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Row callback building the next SUBMIT. */
static int s_collect (void *arg, const jk_outbox_row_t *row)
{
    jk_delivery_t *run = arg;
    jk_flight_t *f = run->building;
    /* A row whose bytes do not match it is never sent (it could go out
       as another source's or another seq's event): it is quarantined
       after the listing. */
    if (run->damaged_count < S_DAMAGED_MAX &&
        jk_outbox_check_row (run->outbox, row, run->damage[run->damaged_count],
                             sizeof run->damage[0]) != 0) {
        run->damaged[run->damaged_count++] = row->seq;
        return 0;
    }
    zmsg_addmem (run->msg, row->bytes, row->size);
    f->seqs[f->count] = row->seq;
    memcpy (f->ids[f->count], row->id, 16);
    f->count++;
    return 0;
}

/* Quarantines the rows s_collect found damaged, saying so. */
static int s_quarantine (jk_delivery_t *run)
{
    for (size_t i = 0; i < run->damaged_count; i++) {
        if (jk_outbox_quarantine (run->outbox, run->damaged[i],
                                  run->damage[i]) != JK_OK)
            return JK_IO;
        fprintf (stderr,
                 "\n*** seq %llu of this outbox is damaged: %s ***\nIt is "
                 "not sent and is kept as QUARANTINED; see it with "
                 "'inspect %llu'. Keep this outbox file and ask the dinas IT "
                 "admin.\n\n",
                 (unsigned long long)run->damaged[i], run->damage[i],
                 (unsigned long long)run->damaged[i]);
        run->stats->quarantined++;
        if (run->heartbeat.outbox_depth)
            run->heartbeat.outbox_depth--;
    }
    run->damaged_count = 0;
    return JK_OK;
}

/* Sends SUBMITs while the window has room and the broker has answered on
   this connection. Returns JK_OK or JK_IO. */
static int s_fill (jk_delivery_t *run)
{
    while (run->dealer && run->heard && run->inflight < (size_t)run->window &&
           jk_clock_mono_ms () >= run->resume_at) {
        size_t slot = (run->head + run->inflight) % S_WINDOW_MAX;
        jk_flight_t *f = &run->flights[slot];
        f->seqs = jk_calloc ((size_t)run->batch, sizeof *f->seqs);
        f->ids = jk_calloc ((size_t)run->batch, sizeof *f->ids);
        run->building = f;
        run->msg = jk_wire_new ("SUBMIT");
        run->damaged_count = 0;
        int64_t n = jk_outbox_list (
            run->outbox, (1u << JK_OUTBOX_PENDING) | (1u << JK_OUTBOX_SENT),
            run->cursor, (size_t)run->batch, s_collect, run);
        /* Listing only reads; quarantining writes, under the lock. */
        if (n > 0 && run->damaged_count &&
            (jk_outbox_batch_begin (run->outbox) ||
             s_quarantine (run) != JK_OK || jk_outbox_batch_end (run->outbox)))
            n = -1;
        if (n <= 0 || f->count == 0) {
            zmsg_destroy (&run->msg);
            jk_delivery_flight_clear (f);
            if (n > 0)
                continue; /* only damaged rows: list again past them */
            return n < 0 ? JK_IO : JK_OK;
        }
        /* Sent only once a broker that answers on this connection is
           there (s_fill waits for that), never into a socket with no
           broker behind it. The rows are not written now: the answer
           records the send with the receipt, or jk_delivery_mark marks
           them SENT when it is late (s_mark_late). */
        if (zmsg_send (&run->msg, run->dealer) != 0) {
            zmsg_destroy (&run->msg);
            jk_delivery_flight_clear (f);
            jk_delivery_disconnect (run, "send failed");
            return JK_OK;
        }
        f->sent_wall = jk_clock_now_ms ();
        f->sent_at = run->last_sent = jk_clock_mono_ms ();
        f->generation = run->generation;
        run->cursor = f->seqs[f->count - 1];
        run->stats->sent += f->count;
        run->inflight++;
    }
    return JK_OK;
}

/* The run's settings from config and its heartbeat from the outbox's
   counts; JK_OK or JK_IO. */
static int s_start (jk_delivery_t *run)
{
    const jk_delivery_config_t *config = run->config;
    run->window = config->window > 0 ? config->window : 8;
    if (run->window > S_WINDOW_MAX)
        run->window = S_WINDOW_MAX;
    run->batch = config->batch > 0 ? config->batch : 256;
    if (run->batch > JK_SUBMIT_MAX_EVENTS)
        run->batch = JK_SUBMIT_MAX_EVENTS;
    run->backoff_ms = JK_RECONNECT_MIN_MS;
    jk_outbox_counts_t counts;
    if (jk_outbox_counts (run->outbox, &counts))
        return JK_IO;
    snprintf (run->heartbeat.source, sizeof run->heartbeat.source, "%s",
              jk_outbox_source (run->outbox));
    snprintf (run->heartbeat.program, sizeof run->heartbeat.program, "%s",
              config->program ? config->program : "jejak-agent");
    run->heartbeat.outbox_depth = counts.pending;
    run->heartbeat.last_stored_seq = counts.last_stored_seq;
    run->heartbeat.rejected = counts.rejected;
    return JK_OK;
}

/* With nothing in flight: whether the run is done (every open event up
   to until_seq answered). With nothing (more) to send, one heartbeat
   still goes out at once and its PONG is awaited, at most one interval:
   the store answers it with the seq to deliver again from when it lost
   events it had acknowledged. JK_OK done, JK_TEMPORARY not yet, JK_IO. */
static int s_done (jk_delivery_t *run, uint64_t until_seq, int64_t now,
                   int64_t *probe_at)
{
    int open = jk_outbox_open_any (run->outbox, until_seq);
    if (open < 0)
        return JK_IO;
    if (open == 0 && (run->pong_seen || !run->dealer ||
                      (*probe_at && now - *probe_at >= JK_HEARTBEAT_MS)))
        return JK_OK;
    if (open == 0 && !*probe_at) {
        jk_delivery_ping (run);
        *probe_at = now;
    }
    return JK_TEMPORARY;
}

/* When the oldest SUBMIT in flight not marked SENT is due to be (mono
   ms), or 0 when none is. */
static int64_t s_mark_due (jk_delivery_t *run)
{
    for (size_t i = 0; i < run->inflight; i++) {
        jk_flight_t *f = &run->flights[(run->head + i) % S_WINDOW_MAX];
        if (!f->marked)
            return f->sent_at + JK_DELIVERY_SENT_MARK_MS;
    }
    return 0;
}

/* Marks SENT the SUBMITs in flight whose answer is late (sent
   JK_DELIVERY_SENT_MARK_MS ago or more), under the write lock, taken
   only then; JK_OK or JK_IO. */
static int s_mark_late (jk_delivery_t *run, int64_t now)
{
    int64_t due = s_mark_due (run);
    if (due == 0 || now < due)
        return JK_OK;
    if (jk_outbox_batch_begin (run->outbox))
        return JK_IO;
    int io = JK_OK;
    for (size_t i = 0; i < run->inflight && io == JK_OK; i++) {
        jk_flight_t *f = &run->flights[(run->head + i) % S_WINDOW_MAX];
        if (now - f->sent_at >= JK_DELIVERY_SENT_MARK_MS)
            io = jk_delivery_mark (run, f);
    }
    if (jk_outbox_batch_end (run->outbox) || io)
        return JK_IO;
    return JK_OK;
}

/* Reconnects after a backoff, fills the window, marks late SUBMITs SENT
   and sends the heartbeat when due; JK_OK or JK_IO. */
static int s_send (jk_delivery_t *run, int64_t now)
{
    if (!run->dealer && now >= run->resume_at) {
        run->dealer = jk_delivery_connect (run->config);
        run->last_heard = run->connected_at = now;
        if (run->dealer)
            jk_delivery_ping (run);
    }
    /* Filling the window reads the outbox only: the write lock is taken
       for a damaged row or a late SUBMIT, so while the link is down (no
       socket, no answer yet on it, a backoff running) other programs'
       puts never wait for it. */
    if (run->dealer && run->heard && run->inflight < (size_t)run->window &&
        now >= run->resume_at && s_fill (run) != JK_OK)
        return JK_IO;
    if (s_mark_late (run, now) != JK_OK)
        return JK_IO;
    if (run->dealer && now - run->last_sent >= JK_HEARTBEAT_MS)
        jk_delivery_ping (run);
    return JK_OK;
}

/* How long to wait for a message: until the next heartbeat, the end of
   a backoff or the deadline. */
static int s_timeout (jk_delivery_t *run, int64_t now, int64_t deadline)
{
    int64_t until = deadline;
    if (run->last_sent + JK_HEARTBEAT_MS < until)
        until = run->last_sent + JK_HEARTBEAT_MS;
    int64_t mark = s_mark_due (run);
    if (mark && mark < until)
        until = mark;
    if (!run->dealer || run->resume_at > now) {
        int64_t resume = run->resume_at > now ? run->resume_at : now + 10;
        if (resume < until)
            until = resume;
    }
    int timeout = (int)(until - now);
    return timeout < 0 ? 0 : timeout;
}

/* Handles the messages waiting on the socket, under the write lock
   (taken only once an answer is there to record); JK_OK or JK_IO. */
static int s_receive (jk_delivery_t *run)
{
    zmsg_t *msg = run->dealer ? zmsg_recv (run->dealer) : NULL;
    if (!msg)
        return JK_OK;
    if (jk_outbox_batch_begin (run->outbox)) {
        zmsg_destroy (&msg);
        return JK_IO;
    }
    int handled = JK_OK;
    while (msg) {
        run->last_heard = jk_clock_mono_ms ();
        run->heard = true;
        handled = jk_delivery_handle (run, msg);
        zmsg_destroy (&msg);
        if (handled || !run->dealer)
            break;
        msg = zmsg_recv (run->dealer); /* rcvtimeo 0: NULL if none */
    }
    zmsg_destroy (&msg);
    if (jk_outbox_batch_end (run->outbox) || handled)
        return JK_IO;
    return JK_OK;
}

int jk_delivery_run (jk_outbox_t *outbox, const jk_delivery_config_t *config,
                     int64_t wait_ms, uint64_t until_seq,
                     jk_delivery_stats_t *stats)
{
    jk_delivery_stats_t local;
    if (!stats)
        stats = &local;
    memset (stats, 0, sizeof *stats);
    jk_delivery_t run = {.outbox = outbox, .config = config, .stats = stats};
    int answer_timeout =
        config->answer_timeout_ms > 0 ? config->answer_timeout_ms : 10000;
    if (s_start (&run) != JK_OK)
        return JK_IO;
    int64_t start = jk_clock_mono_ms ();
    run.progress_at = start;
    run.last_heard = start;
    run.dealer = jk_delivery_connect (config);
    run.connected_at = start;
    if (run.dealer)
        jk_delivery_ping (&run); /* SUBMITs wait for its answer */
    int rc = JK_TEMPORARY;
    int64_t probe_at = 0; /* when the closing heartbeat went out */
    while (true) {
        int64_t now = jk_clock_mono_ms ();
        if (run.closed) {
            rc = JK_CLOSED;
            break;
        }
        if (zsys_interrupted)
            break;
        if (run.inflight == 0) {
            int done = s_done (&run, until_seq, now, &probe_at);
            if (done != JK_TEMPORARY) {
                rc = done;
                break;
            }
        }
        int64_t deadline =
            (config->idle_deadline ? run.progress_at : start) + wait_ms;
        if (now >= deadline)
            break;
        if (s_send (&run, now) != JK_OK) {
            rc = JK_IO;
            break;
        }
        /* Wait for a message, a heartbeat or the deadline. */
        int timeout = s_timeout (&run, now, deadline);
        if (!run.dealer) {
            zmq_pollitem_t none[1];
            zmq_poll (none, 0, timeout);
            continue;
        }
        zmq_pollitem_t item = {zsock_resolve (run.dealer), 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, timeout) < 0) {
            if (zsys_interrupted)
                break;
            continue;
        }
        if (s_receive (&run) != JK_OK) {
            rc = JK_IO;
            break;
        }
        now = jk_clock_mono_ms ();
        if (run.dealer &&
            now - run.last_heard > JK_HEARTBEAT_MS * JK_HEARTBEAT_LIVENESS)
            jk_delivery_disconnect (&run, "broker silent");
        else if (run.dealer && run.inflight &&
                 now - jk_delivery_front (&run)->sent_at > answer_timeout)
            jk_delivery_disconnect (&run, "answer timeout");
    }
    zsock_destroy (&run.dealer);
    jk_delivery_drop (&run); /* a failed mark is logged; the rows resend */
    int64_t open = jk_outbox_open_count (outbox, 0);
    stats->remaining = open > 0 ? (uint64_t)open : 0;
    return rc;
}
