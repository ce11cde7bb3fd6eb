/*  delivery.c - drains the outbox to a broker: oldest first, a window of
    SUBMITs in flight, heartbeats, reconnect with capped exponential backoff
    plus jitter, resend of everything unanswered. Called by `sync` and after
    each queued command; synchronous, one DEALER socket. */
#include "jk_agent.h"
#include "jk_curve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPONENT   "delivery"
#define S_WINDOW_MAX  64
#define S_DAMAGED_MAX 64 /* damaged rows noted per SUBMIT built */
/* Bounds on the loops a store's answers can start: rounds of
   re-delivering answered events, and E_SEQ_GAP rewinds in a row without
   any event answered in between. Past them delivery stops (JK_CLOSED). */
#define S_REDELIVER_MAX 2
#define S_REWIND_MAX    8

/* One SUBMIT on the wire, waiting for its ANSWER. */
typedef struct {
    size_t count;        /* events in it */
    uint64_t *seqs;      /* their seqs, in order */
    uint8_t (*ids)[16];  /* their ids, in order */
    int64_t sent_at;     /* monotonic ms */
    uint64_t generation; /* cursor generation when sent */
} s_flight_t;

typedef struct {
    jk_outbox_t *outbox;
    const jk_delivery_config_t *config;
    jk_delivery_stats_t *stats;
    zsock_t *dealer;                  /* NULL while backing off */
    s_flight_t flights[S_WINDOW_MAX]; /* ring of SUBMITs in flight */
    size_t head, inflight;            /* ring front and size */
    int window, batch;
    uint64_t cursor;          /* next send takes seqs > cursor */
    uint64_t generation;      /* bumped on every rewind */
    int64_t resume_at;        /* no sending before (mono ms) */
    int backoff_ms;           /* next backoff */
    int64_t last_heard;       /* mono ms of the last message */
    int64_t last_sent;        /* mono ms of the last message sent */
    int64_t connected_at;     /* mono ms of the current socket */
    int64_t progress_at;      /* mono ms of the last final answer */
    jk_heartbeat_t heartbeat; /* what PINGs carry */
    bool closed;              /* delivery cannot go on */
    bool pong_seen;           /* a PONG came on this run */
    bool heard;               /* the broker answered on this connection */
    bool clock_warned;        /* the clock warning was printed */
    int redeliveries;         /* rounds of answered events sent again */
    int rewinds;              /* E_SEQ_GAP rewinds since the last answer */
    uint64_t damaged[S_DAMAGED_MAX]; /* rows s_collect found damaged */
    char damage[S_DAMAGED_MAX][160]; /* and why */
    size_t damaged_count;
    /* The SUBMIT being built by s_collect. */
    zmsg_t *msg;
    s_flight_t *building;
} s_run_t;

/* The one place the DEALER to the broker is made: security (CURVE) is
   added here. */
static zsock_t *s_connect (const jk_delivery_config_t *config)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock)
        return NULL;
    zsock_set_linger (sock, 0);
    zsock_set_rcvtimeo (sock, 0);
    zsock_set_sndtimeo (sock, 1000);
    zsock_set_maxmsgsize (sock, JK_MESSAGE_MAX_BYTES);
    /* CURVE client: this device's key pair, the broker's public key. A
       key the broker does not know fails the handshake, which looks like
       a broker that never answers: the answer timeout reconnects with
       backoff. */
    if (jk_curve_client (sock, config->broker_key, config->key, S_COMPONENT)) {
        zsock_destroy (&sock);
        return NULL;
    }
    if (zsock_connect (sock, "%s", config->broker) != 0) {
        jk_error (S_COMPONENT, "broker=%s error=\"cannot connect: %s\"",
                  config->broker, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

int jk_endpoint_check (const char *endpoint, char *why, size_t why_size)
{
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        if (endpoint[6] == 0) {
            snprintf (why, why_size, "the path is missing (ipc://PATH)");
            return -1;
        }
        return 0;
    }
    if (strncmp (endpoint, "tcp://", 6) != 0) {
        snprintf (why, why_size,
                  "not an endpoint: tcp://HOST:PORT or ipc://PATH");
        return -1;
    }
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (host[0] == '[') {
        const char *close = strchr (host, ']');
        if (!close || close[1] != ':') {
            snprintf (
                why, why_size,
                "an IPv6 host is written [ADDRESS]:PORT (tcp://[::1]:PORT)");
            return -1;
        }
        colon = close + 1;
    }
    if (!colon || colon == host) {
        snprintf (why, why_size,
                  !colon ? "the port is missing (tcp://HOST:PORT)"
                         : "the host is missing (tcp://HOST:PORT)");
        return -1;
    }
    const char *port = colon + 1;
    uint64_t n = 0;
    if (*port == 0) {
        snprintf (why, why_size, "the port is missing (tcp://HOST:PORT)");
        return -1;
    }
    if (jk_parse_u64 (port, &n) != JK_OK || n < 1 || n > 65535) {
        snprintf (why, why_size, "the port must be a number 1..65535");
        return -1;
    }
    for (const char *p = host; p < colon; p++)
        if (*p <= ' ' || *p == '/' || *p == '\\') {
            snprintf (why, why_size, "the host holds a space or a slash");
            return -1;
        }
    return 0;
}

static void s_flight_clear (s_flight_t *f)
{
    free (f->seqs);
    free (f->ids);
    memset (f, 0, sizeof *f);
}

static s_flight_t *s_front (s_run_t *run)
{
    return &run->flights[run->head];
}

static void s_pop (s_run_t *run)
{
    s_flight_clear (s_front (run));
    run->head = (run->head + 1) % S_WINDOW_MAX;
    run->inflight--;
}

/* Drops the socket and everything in flight; sending resumes from the
   oldest unanswered event after a backoff. */
static void s_disconnect (s_run_t *run, const char *why)
{
    if (run->dealer)
        jk_info (S_COMPONENT, "broker=%s reconnect=\"%s\" backoff_ms=%d",
                 run->config->broker, why, run->backoff_ms);
    zsock_destroy (&run->dealer);
    run->heard = false;
    while (run->inflight)
        s_pop (run);
    run->cursor = 0;
    run->generation++;
    int jitter = run->backoff_ms > 1 ? rand () % (run->backoff_ms / 2 + 1) : 0;
    run->resume_at = jk_clock_mono_ms () + run->backoff_ms + jitter;
    run->backoff_ms = run->backoff_ms * 2 > JK_RECONNECT_MAX_MS
                          ? JK_RECONNECT_MAX_MS
                          : run->backoff_ms * 2;
    run->stats->reconnects++;
}

/* Row callback building the next SUBMIT. */
static int s_collect (void *arg, const jk_outbox_row_t *row)
{
    s_run_t *run = arg;
    s_flight_t *f = run->building;
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
static int s_quarantine (s_run_t *run)
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
static int s_fill (s_run_t *run)
{
    while (run->dealer && run->heard && run->inflight < (size_t)run->window &&
           jk_clock_mono_ms () >= run->resume_at) {
        size_t slot = (run->head + run->inflight) % S_WINDOW_MAX;
        s_flight_t *f = &run->flights[slot];
        f->seqs = jk_calloc ((size_t)run->batch, sizeof *f->seqs);
        f->ids = jk_calloc ((size_t)run->batch, sizeof *f->ids);
        run->building = f;
        run->msg = jk_wire_new ("SUBMIT");
        run->damaged_count = 0;
        int64_t n = jk_outbox_list (
            run->outbox, (1u << JK_OUTBOX_PENDING) | (1u << JK_OUTBOX_SENT),
            run->cursor, (size_t)run->batch, s_collect, run);
        if (n > 0 && s_quarantine (run) != JK_OK)
            n = -1;
        if (n <= 0 || f->count == 0) {
            zmsg_destroy (&run->msg);
            s_flight_clear (f);
            if (n > 0)
                continue; /* only damaged rows: list again past them */
            return n < 0 ? JK_IO : JK_OK;
        }
        /* SENT once a broker that answers on this connection took it
           (s_fill waits for that), never for an event queued in a socket
           with no broker behind it. */
        if (zmsg_send (&run->msg, run->dealer) != 0) {
            zmsg_destroy (&run->msg);
            s_flight_clear (f);
            s_disconnect (run, "send failed");
            return JK_OK;
        }
        if (jk_outbox_mark_sent (run->outbox, f->seqs[0], f->seqs[f->count - 1],
                                 jk_clock_now_ms ()))
            return JK_IO;
        f->sent_at = run->last_sent = jk_clock_mono_ms ();
        f->generation = run->generation;
        run->cursor = f->seqs[f->count - 1];
        run->stats->sent += f->count;
        run->inflight++;
    }
    return JK_OK;
}

/* Sends sending-from-seq back to the given point (a gap or a retryable
   NACK), ignoring stale retry answers already on their way. */
static void s_rewind (s_run_t *run, uint64_t from_seq, int delay_ms)
{
    run->cursor = from_seq > 0 ? from_seq - 1 : 0;
    run->generation++;
    if (delay_ms > 0) {
        int jitter = rand () % (delay_ms / 2 + 1);
        run->resume_at = jk_clock_mono_ms () + delay_ms + jitter;
        run->backoff_ms = run->backoff_ms * 2 > JK_RECONNECT_MAX_MS
                              ? JK_RECONNECT_MAX_MS
                              : run->backoff_ms * 2;
    }
}

static void s_print_rejected (s_run_t *run, uint64_t seq, const char *code,
                              const char *message)
{
    jk_outbox_row_t row;
    const char *origin = "";
    if (jk_outbox_get (run->outbox, seq, &row) == JK_OK)
        origin = row.origin;
    fprintf (stderr, "rejected: seq %llu%s%s: %s %s\n", (unsigned long long)seq,
             *origin ? " " : "", origin, code, message);
}

/* Explains an answer that means the outbox and the store disagree. */
static void s_print_conflict (s_run_t *run, uint64_t seq, const char *code)
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
static int s_store_expects (s_run_t *run, uint64_t expect, bool always)
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
        s_rewind (run, expect, 0);
    return JK_OK;
}

/* Applies one answer to the event at seq, sent in generation gen. */
static int s_answer (s_run_t *run, uint64_t seq, uint64_t gen,
                     const jk_answer_t *a)
{
    jk_outbox_t *ob = run->outbox;
    if (a->kind != JK_ANSWER_NACK) {
        int changed = jk_outbox_record (ob, seq, a);
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
            s_rewind (run, seq, run->backoff_ms);
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

/* "31/12/2022 08.05" in WIB, as Indonesian readers write it. */
static void s_format_wib (int64_t utc_ms, char *out, size_t size)
{
    int64_t ms = utc_ms + JK_WIB_OFFSET_MS;
    int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
    int64_t minutes = (ms - days * 86400000) / 60000;
    int y, m, d;
    jk_civil_from_days ((int32_t)days, &y, &m, &d);
    snprintf (out, size, "%02d/%02d/%04d %02d.%02d", d, m, y,
              (int)(minutes / 60), (int)(minutes % 60));
}

void jk_delivery_clock_warning (FILE *out, int64_t offset_ms)
{
    int64_t off = offset_ms < 0 ? -offset_ms : offset_ms;
    int64_t minutes = (off + 30000) / 60000;
    char span[64];
    if (minutes >= 48 * 60)
        snprintf (span, sizeof span, "%lld days", (long long)(minutes / 1440));
    else if (minutes >= 120)
        snprintf (span, sizeof span, "%lld hours %lld minutes",
                  (long long)(minutes / 60), (long long)(minutes % 60));
    else
        snprintf (span, sizeof span, "%lld minutes", (long long)minutes);
    char here[32], hub[32];
    int64_t now = jk_clock_now_ms ();
    s_format_wib (now, here, sizeof here);
    s_format_wib (now + offset_ms, hub, sizeof hub);
    fprintf (out,
             "\n*** this computer's clock is %s %s the dinas hub's "
             "(here %s, hub %s WIB) ***\nEvents keep this clock's time "
             "(their 'at'): set the right date and time on this computer "
             "(see OPERATIONS.md, 'Clocks'), then go on. The hub still "
             "stores what is entered.\n\n",
             span, offset_ms < 0 ? "ahead of" : "behind", here, hub);
}

/* A PONG told the hub's clock: kept in the outbox (commands warn from it
   before queueing) and said at once when off by more than
   JK_CLOCK_SKEW_MAX_MS. */
static int s_clock (s_run_t *run, int64_t hub_ms)
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
static int s_handle (s_run_t *run, zmsg_t *msg)
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
            fprintf (stderr, "the broker refused this agent: %s %s\n", code,
                     text ? text : "");
            run->closed = true;
        }
        free (code);
        free (text);
        s_disconnect (run, "protocol error");
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
    s_flight_t *f = s_front (run);
    if (zmsg_size (msg) != f->count) {
        jk_warn (S_COMPONENT, "broker=%s error=\"%zu answers for %zu events\"",
                 run->config->broker, zmsg_size (msg), f->count);
        s_disconnect (run, "answer count mismatch");
        return JK_OK;
    }
    static const uint8_t zero[16] = {0};
    uint64_t gen = f->generation;
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
            s_disconnect (run, "bad answer");
            return JK_OK;
        }
        if (s_answer (run, f->seqs[i], gen, &a))
            return JK_IO;
    }
    s_pop (run);
    return JK_OK;
}

static void s_ping (s_run_t *run)
{
    zmsg_t *ping = jk_wire_new ("PING");
    jk_heartbeat_add (ping, &run->heartbeat);
    if (zmsg_send (&ping, run->dealer) != 0)
        zmsg_destroy (&ping);
    run->last_sent = jk_clock_mono_ms ();
}

int jk_delivery_run (jk_outbox_t *outbox, const jk_delivery_config_t *config,
                     int64_t wait_ms, uint64_t until_seq,
                     jk_delivery_stats_t *stats)
{
    jk_delivery_stats_t local;
    if (!stats)
        stats = &local;
    memset (stats, 0, sizeof *stats);
    s_run_t run = {.outbox = outbox, .config = config, .stats = stats};
    run.window = config->window > 0 ? config->window : 8;
    if (run.window > S_WINDOW_MAX)
        run.window = S_WINDOW_MAX;
    run.batch = config->batch > 0 ? config->batch : 256;
    if (run.batch > JK_SUBMIT_MAX_EVENTS)
        run.batch = JK_SUBMIT_MAX_EVENTS;
    int answer_timeout =
        config->answer_timeout_ms > 0 ? config->answer_timeout_ms : 10000;
    run.backoff_ms = JK_RECONNECT_MIN_MS;
    jk_outbox_counts_t counts;
    if (jk_outbox_counts (outbox, &counts))
        return JK_IO;
    snprintf (run.heartbeat.source, sizeof run.heartbeat.source, "%s",
              jk_outbox_source (outbox));
    snprintf (run.heartbeat.program, sizeof run.heartbeat.program, "%s",
              config->program ? config->program : "jejak-agent");
    run.heartbeat.outbox_depth = counts.pending;
    run.heartbeat.last_stored_seq = counts.last_stored_seq;
    run.heartbeat.rejected = counts.rejected;

    int64_t start = jk_clock_mono_ms ();
    run.progress_at = start;
    run.last_heard = start;
    run.dealer = s_connect (config);
    run.connected_at = start;
    if (run.dealer)
        s_ping (&run); /* SUBMITs wait for its answer */
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
            int64_t open = jk_outbox_open_count (outbox, until_seq);
            if (open < 0) {
                rc = JK_IO;
                break;
            }
            /* With nothing (more) to send, one heartbeat still goes out
               at once and its PONG is awaited, at most one interval: the
               store answers it with the seq to deliver again from when it
               lost events it had acknowledged. */
            if (open == 0 &&
                (run.pong_seen || !run.dealer ||
                 (probe_at && now - probe_at >= JK_HEARTBEAT_MS))) {
                rc = JK_OK;
                break;
            }
            if (open == 0 && !probe_at) {
                s_ping (&run);
                probe_at = now;
            }
        }
        int64_t deadline =
            (config->idle_deadline ? run.progress_at : start) + wait_ms;
        if (now >= deadline)
            break;
        if (!run.dealer && now >= run.resume_at) {
            run.dealer = s_connect (config);
            run.last_heard = run.connected_at = now;
            if (run.dealer)
                s_ping (&run);
        }
        /* The write lock only when something can go out: while the link
           is down (no socket, no answer yet on it, a backoff running) or
           the window is full, other programs' puts never wait for it. */
        if (run.dealer && run.heard && run.inflight < (size_t)run.window &&
            now >= run.resume_at) {
            if (jk_outbox_batch_begin (outbox)) {
                rc = JK_IO;
                break;
            }
            int io = s_fill (&run);
            if (jk_outbox_batch_end (outbox) || io) {
                rc = JK_IO;
                break;
            }
        }
        if (run.dealer && now - run.last_sent >= JK_HEARTBEAT_MS)
            s_ping (&run);

        /* Wait for a message, a heartbeat or the deadline. */
        int64_t until = deadline;
        if (run.last_sent + JK_HEARTBEAT_MS < until)
            until = run.last_sent + JK_HEARTBEAT_MS;
        if (!run.dealer || run.resume_at > now) {
            int64_t resume = run.resume_at > now ? run.resume_at : now + 10;
            if (resume < until)
                until = resume;
        }
        int timeout = (int)(until - now);
        if (timeout < 0)
            timeout = 0;
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
        /* The write lock only once an answer is there to record. */
        zmsg_t *msg = run.dealer ? zmsg_recv (run.dealer) : NULL;
        if (msg) {
            if (jk_outbox_batch_begin (outbox)) {
                zmsg_destroy (&msg);
                rc = JK_IO;
                break;
            }
            int handled = JK_OK;
            while (msg) {
                run.last_heard = jk_clock_mono_ms ();
                run.heard = true;
                handled = s_handle (&run, msg);
                zmsg_destroy (&msg);
                if (handled || !run.dealer)
                    break;
                msg = zmsg_recv (run.dealer); /* rcvtimeo 0: NULL if none */
            }
            zmsg_destroy (&msg);
            if (jk_outbox_batch_end (outbox) || handled) {
                rc = JK_IO;
                break;
            }
        }
        now = jk_clock_mono_ms ();
        if (run.dealer &&
            now - run.last_heard > JK_HEARTBEAT_MS * JK_HEARTBEAT_LIVENESS)
            s_disconnect (&run, "broker silent");
        else if (run.dealer && run.inflight &&
                 now - s_front (&run)->sent_at > answer_timeout)
            s_disconnect (&run, "answer timeout");
    }
    zsock_destroy (&run.dealer);
    while (run.inflight)
        s_pop (&run);
    int64_t open = jk_outbox_open_count (outbox, 0);
    stats->remaining = open > 0 ? (uint64_t)open : 0;
    return rc;
}
