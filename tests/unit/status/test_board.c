/*  test_board.c - the board's catch-up logic against a fake feed (XPUB)
    and a fake store query endpoint (ROUTER) over ipc: start from 0 with
    credit, live feed, gaps, duplicates and stale records, tail loss seen
    through $head, a log that went backwards, store and broker restarts.
    A counting sink checks every position is applied once, in order.
    Also jk_prefault, with which the board maps a state's image. */
#define _GNU_SOURCE /* madvise, MADV_POPULATE_WRITE */
#include "jk_status.h"
#include "testsupport.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define S_LOG_MAX 20000
/* How long a wait for what must happen may take: it only matters when it
   fails, so it leaves room for a sanitizer build on a slow machine. */
#define S_WAIT_MS 30000

/* ---- the counting sink ----------------------------------------------------
 */
typedef struct {
    uint64_t last;         /* last applied position */
    uint64_t applied;      /* records applied */
    uint64_t out_of_order; /* applies that were not last + 1 */
    int batches;           /* begin calls */
    int open;              /* begin without commit */
    int resets;            /* reset calls */
} s_sink_t;

static int s_begin (void *arg)
{
    ((s_sink_t *)arg)->batches++;
    ((s_sink_t *)arg)->open++;
    return 0;
}

static int s_apply (void *arg, const jk_record_t *record)
{
    s_sink_t *sink = (s_sink_t *)arg;
    if (record->pos != sink->last + 1 || sink->open != 1)
        sink->out_of_order++;
    sink->last = record->pos;
    sink->applied++;
    return 0;
}

static int s_commit (void *arg)
{
    ((s_sink_t *)arg)->open--;
    return 0;
}

static int s_reset (void *arg)
{
    s_sink_t *sink = (s_sink_t *)arg;
    sink->resets++;
    sink->last = 0;
    return 0;
}

/* ---- the fake store and broker ----------------------------------------------
 */
typedef struct {
    char *dir;
    char *feed_ep, *query_ep;
    zsock_t *feed;      /* XPUB, the broker's feed */
    zsock_t *query;     /* ROUTER, the store's query endpoint */
    uint64_t head;      /* records 1..head exist */
    zframe_t *client;   /* routing id of the board's DEALER */
    bool streaming;     /* a SINCE stream is open */
    uint64_t next;      /* next position to stream */
    int64_t credit;     /* credit left in the stream */
    int64_t window;     /* the SINCE's credit: most ever outstanding */
    int64_t max_credit; /* most credit ever held at once */
    bool silent;        /* do not answer (a hung store) */
    bool settings;      /* the sink asks STATS (a notice comes back) */
    int sinces, heads;  /* requests seen */
    s_sink_t sink;
    jk_board_sink_t board_sink;
    jk_board_t *board;
} s_fixture_t;

static void s_hash (uint64_t pos, uint8_t hash[32])
{
    memset (hash, 0, 32);
    jk_wire_put_u64 (hash, pos * 7919);
}

static zmsg_t *s_record (uint64_t pos)
{
    jk_record_t r;
    memset (&r, 0, sizeof r);
    snprintf (r.topic, sizeof r.topic, "person.registered");
    r.pos = pos;
    s_hash (pos, r.hash);
    r.recorded_at = 1665700000000LL + (int64_t)pos;
    r.bytes = (const uint8_t *)"x";
    r.size = 1;
    return jk_record_msg (&r);
}

static void s_feed_bind (s_fixture_t *f)
{
    f->feed = zsock_new (ZMQ_XPUB);
    zsock_set_linger (f->feed, 0);
    assert_int_equal (zsock_bind (f->feed, "%s", f->feed_ep), 0);
}

static void s_query_bind (s_fixture_t *f)
{
    f->query = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (f->query, 0);
    assert_int_equal (zsock_bind (f->query, "%s", f->query_ep), 0);
    f->streaming = false;
}

static void s_send_to_client (s_fixture_t *f, zmsg_t *msg)
{
    zmsg_pushmem (msg, zframe_data (f->client), zframe_size (f->client));
    zmsg_send (&msg, f->query);
}

/* Handles what the board sent to the store, then streams within credit. */
static void s_store_serve (s_fixture_t *f)
{
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (f->query))) {
        zframe_destroy (&f->client);
        f->client = zmsg_pop (msg);
        char command[16];
        if (f->silent || jk_wire_open (msg, command, sizeof command)) {
            zmsg_destroy (&msg);
            continue;
        }
        uint64_t a = 0, b = 0;
        if (strcmp (command, "SINCE") == 0) {
            jk_wire_pop_u64 (msg, &a);
            char *prefix = zmsg_popstr (msg);
            assert_string_equal (prefix, "");
            free (prefix);
            jk_wire_pop_u64 (msg, &b);
            f->streaming = true;
            f->next = a + 1;
            f->credit = (int64_t)b;
            f->window = (int64_t)b;
            f->sinces++;
        } else if (strcmp (command, "CREDIT") == 0) {
            jk_wire_pop_u64 (msg, &a);
            f->credit += (int64_t)a;
        } else if (strcmp (command, "STATS") == 0) {
            zmsg_t *answer = jk_wire_new ("STATS");
            zmsg_addstr (answer, "received=0 region=32.03 "
                                 "rat_deadline_months=6");
            s_send_to_client (f, answer);
        } else if (strcmp (command, "HEAD") == 0) {
            zmsg_t *answer = jk_wire_new ("HEAD");
            jk_wire_add_u64 (answer, f->head);
            uint8_t hash[32];
            s_hash (f->head, hash);
            zmsg_addmem (answer, hash, 32);
            s_send_to_client (f, answer);
            f->heads++;
        }
        if (f->credit > f->max_credit)
            f->max_credit = f->credit;
        zmsg_destroy (&msg);
    }
    if (!f->streaming || f->silent)
        return;
    while (f->credit > 0 && f->next <= f->head) {
        zmsg_t *rec = s_record (f->next++);
        zmsg_t *out = jk_wire_new ("RECORD");
        zframe_t *frame;
        while ((frame = zmsg_pop (rec)))
            zmsg_append (out, &frame);
        zmsg_destroy (&rec);
        s_send_to_client (f, out);
        f->credit--;
    }
    if (f->next > f->head) {
        zmsg_t *end = jk_wire_new ("END");
        jk_wire_add_u64 (end, f->head);
        s_send_to_client (f, end);
        f->streaming = false;
    }
}

/* Waits for a subscription on the fake feed. */
static void s_feed_wait_subscribed (s_fixture_t *f)
{
    zpoller_t *poller = zpoller_new (f->feed, NULL);
    int64_t deadline = jk_clock_mono_ms () + S_WAIT_MS;
    bool seen = false;
    while (!seen && jk_clock_mono_ms () < deadline) {
        jk_board_poll (f->board, 1);
        s_store_serve (f);
        if (zpoller_wait (poller, 5)) {
            zframe_t *sub = zframe_recv (f->feed);
            seen = sub && zframe_size (sub) >= 1 && zframe_data (sub)[0] == 1;
            zframe_destroy (&sub);
        }
    }
    zpoller_destroy (&poller);
    assert_true (seen);
}

/* Runs board and fake store until cond holds or S_WAIT_MS pass. */
#define S_RUN_UNTIL(f, cond)                                                   \
    __extension__({                                                            \
        int64_t _deadline = jk_clock_mono_ms () + S_WAIT_MS;                   \
        bool _ok;                                                              \
        while (!(_ok = (cond)) && jk_clock_mono_ms () < _deadline) {           \
            jk_board_poll ((f)->board, 2);                                     \
            s_store_serve (f);                                                 \
        }                                                                      \
        _ok;                                                                   \
    })

/* S_RUN_UNTIL with the feed alive as a broker keeps it: a $head every
   100 ms while waiting, so a board whose feed silence limit is short
   (300 ms) never finds it silent because the test was slow, and a feed
   that did go silent is heard again. */
#define S_RUN_FED_UNTIL(f, cond)                                               \
    __extension__({                                                            \
        int64_t _deadline = jk_clock_mono_ms () + S_WAIT_MS, _beat = 0;        \
        bool _ok;                                                              \
        while (!(_ok = (cond)) && jk_clock_mono_ms () < _deadline) {           \
            if (jk_clock_mono_ms () - _beat >= 100) {                          \
                s_publish_head ((f), (f)->head);                               \
                _beat = jk_clock_mono_ms ();                                   \
            }                                                                  \
            jk_board_poll ((f)->board, 2);                                     \
            s_store_serve (f);                                                 \
        }                                                                      \
        _ok;                                                                   \
    })

static void s_publish (s_fixture_t *f, uint64_t pos)
{
    zmsg_t *msg = s_record (pos);
    zmsg_send (&msg, f->feed);
}

static void s_publish_head (s_fixture_t *f, uint64_t pos)
{
    jk_record_t r;
    memset (&r, 0, sizeof r);
    snprintf (r.topic, sizeof r.topic, JK_FEED_HEAD);
    r.pos = pos;
    s_hash (pos, r.hash);
    zmsg_t *msg = jk_record_msg (&r);
    zmsg_send (&msg, f->feed);
}

/* The sink's settings: the store's STATS answered, a notice as the
   replica gives one for a --rat-deadline-months 9 that is not the
   store's 6. */
static int s_settings (void *arg, const char *stats, jk_status_note_t *notice)
{
    (void)arg;
    assert_non_null (stats);
    assert_non_null (strstr (stats, "rat_deadline_months=6"));
    jk_status_note_set (notice, "months_differs", "9", "6");
    return JK_OK;
}

static s_fixture_t *s_fixture_with (uint64_t head, uint64_t credit,
                                    int drop_every, int feed_silence_ms,
                                    int query_silence_ms, bool settings)
{
    s_fixture_t *f = jk_calloc (1, sizeof *f);
    f->dir = jk_test_tmpdir ("status-board");
    f->feed_ep = jk_test_endpoint (f->dir, "feed");
    f->query_ep = jk_test_endpoint (f->dir, "query");
    f->head = head;
    s_feed_bind (f);
    s_query_bind (f);
    f->board_sink = (jk_board_sink_t){.arg = &f->sink,
                                      .begin = s_begin,
                                      .apply = s_apply,
                                      .commit = s_commit,
                                      .reset = s_reset,
                                      .settings = settings ? s_settings : NULL};
    jk_board_config_t config = {.feed = f->feed_ep,
                                .query = f->query_ep,
                                .credit = credit,
                                .drop_every = drop_every,
                                .feed_silence_ms = feed_silence_ms,
                                .query_silence_ms = query_silence_ms};
    f->board = jk_board_new (&config, &f->board_sink);
    assert_non_null (f->board);
    s_feed_wait_subscribed (f);
    return f;
}

static s_fixture_t *s_fixture (uint64_t head, uint64_t credit, int drop_every,
                               int feed_silence_ms, int query_silence_ms)
{
    return s_fixture_with (head, credit, drop_every, feed_silence_ms,
                           query_silence_ms, false);
}

static void s_fixture_destroy (s_fixture_t **f_p)
{
    s_fixture_t *f = *f_p;
    jk_board_destroy (&f->board);
    zsock_destroy (&f->feed);
    zsock_destroy (&f->query);
    zframe_destroy (&f->client);
    free (f->feed_ep);
    free (f->query_ep);
    jk_test_rmdir (&f->dir);
    free (f);
    *f_p = NULL;
}

/* ---- tests ------------------------------------------------------------------
 */

/* Start: the whole log from position 0 within a window of 100. */
static void test_start_catches_up_with_credit (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (2500, 100, 0, 60000, 60000);
    assert_true (S_RUN_UNTIL (f, jk_board_state (f->board) == JK_BOARD_LIVE));
    assert_int_equal (jk_board_pos (f->board), 2500);
    assert_int_equal (jk_board_head (f->board), 2500);
    assert_int_equal (f->sink.applied, 2500);
    assert_int_equal (f->sink.out_of_order, 0);
    assert_int_equal (f->sink.open, 0);
    const jk_board_stats_t *stats = jk_board_stats (f->board);
    assert_int_equal (stats->catchups, 1);
    assert_int_equal (stats->catchup_records, 2500);
    /* Credit was topped up, never beyond the window. */
    assert_true (f->max_credit <= 100);
    assert_true (stats->credit_granted >= 2500);
    assert_true (stats->credit_granted <= 2500 + 100);
    uint8_t hash[32];
    s_hash (2500, hash);
    assert_memory_equal (jk_board_hash (f->board), hash, 32);
    s_fixture_destroy (&f);
}

/* Live: in-order feed records are applied; a gap triggers SINCE last. */
static void test_feed_gap_catches_up (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (10, 1000, 0, 60000, 60000);
    assert_true (S_RUN_UNTIL (f, jk_board_state (f->board) == JK_BOARD_LIVE));
    for (uint64_t pos = 11; pos <= 14; pos++)
        s_publish (f, pos);
    f->head = 14;
    assert_true (S_RUN_UNTIL (f, jk_board_pos (f->board) == 14));
    assert_int_equal (jk_board_stats (f->board)->feed_applied, 4);
    assert_int_equal (jk_board_stats (f->board)->catchups, 1);
    /* 15 is lost on its way; 16..20 arrive. */
    f->head = 20;
    for (uint64_t pos = 16; pos <= 20; pos++)
        s_publish (f, pos);
    assert_true (
        S_RUN_UNTIL (f, jk_board_pos (f->board) == 20 &&
                            jk_board_state (f->board) == JK_BOARD_LIVE));
    const jk_board_stats_t *stats = jk_board_stats (f->board);
    assert_int_equal (stats->gaps, 1);
    assert_int_equal (stats->catchups, 2);
    assert_int_equal (f->sink.applied, 20);
    assert_int_equal (f->sink.out_of_order, 0);
    s_fixture_destroy (&f);
}

/* Duplicates and stale records are dropped, counted, never applied. */
static void test_duplicate_and_stale_dropped (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (5, 1000, 0, 60000, 60000);
    assert_true (S_RUN_UNTIL (f, jk_board_state (f->board) == JK_BOARD_LIVE));
    s_publish (f, 3); /* stale */
    s_publish (f, 6);
    s_publish (f, 6); /* duplicate */
    s_publish (f, 5); /* stale */
    s_publish (f, 7);
    f->head = 7;
    assert_true (S_RUN_UNTIL (f, jk_board_stats (f->board)->duplicates == 3));
    assert_true (S_RUN_UNTIL (f, jk_board_pos (f->board) == 7));
    assert_int_equal (f->sink.applied, 7);
    assert_int_equal (f->sink.out_of_order, 0);
    assert_int_equal (jk_board_stats (f->board)->gaps, 0);
    assert_int_equal (jk_board_stats (f->board)->feed_applied, 2);
    s_fixture_destroy (&f);
}

/* Late join while records flow: feed records that arrive during the first
   catch-up are buffered; those at or below the catch-up's end are
   dropped, the rest applied after it. */
static void test_late_join_buffers_feed (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (3000, 50, 0, 60000, 60000);
    /* The store is mid-stream; new records commit and go on the feed. */
    assert_true (S_RUN_UNTIL (f, jk_board_pos (f->board) >= 200));
    assert_int_equal (jk_board_state (f->board), JK_BOARD_STARTING);
    f->head = 3010;
    for (uint64_t pos = 3001; pos <= 3010; pos++)
        s_publish (f, pos);
    assert_true (
        S_RUN_UNTIL (f, jk_board_pos (f->board) == 3010 &&
                            jk_board_state (f->board) == JK_BOARD_LIVE));
    assert_int_equal (f->sink.applied, 3010);
    assert_int_equal (f->sink.out_of_order, 0);
    assert_true (f->max_credit <= 50);
    s_fixture_destroy (&f);
}

/* Test-only loss: every 3rd feed record dropped; catch-up fills in. */
static void test_drop_every_recovers (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (0, 1000, 3, 60000, 60000);
    assert_true (S_RUN_UNTIL (f, jk_board_state (f->board) == JK_BOARD_LIVE));
    f->head = 30;
    for (uint64_t pos = 1; pos <= 30; pos++)
        s_publish (f, pos);
    assert_true (
        S_RUN_UNTIL (f, jk_board_pos (f->board) == 30 &&
                            jk_board_state (f->board) == JK_BOARD_LIVE));
    assert_int_equal (jk_board_stats (f->board)->test_dropped, 10);
    assert_int_equal (f->sink.applied, 30);
    assert_int_equal (f->sink.out_of_order, 0);
    s_fixture_destroy (&f);
}

/* Tail loss: no later record shows the gap; $head does, at the second
   heartbeat that still finds the board behind. */
static void test_head_shows_tail_loss (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (10, 1000, 0, 60000, 60000);
    assert_true (S_RUN_UNTIL (f, jk_board_state (f->board) == JK_BOARD_LIVE));
    f->head = 12; /* 11 and 12 committed, never seen on the feed */
    s_publish_head (f, 12);
    assert_true (S_RUN_UNTIL (f, jk_board_head (f->board) == 12));
    s_publish_head (f, 12);
    assert_true (S_RUN_UNTIL (f, jk_board_pos (f->board) == 12));
    assert_int_equal (jk_board_stats (f->board)->gaps, 1);
    assert_int_equal (f->sink.out_of_order, 0);
    s_fixture_destroy (&f);
}

/* A head behind the board: the log was replaced; start over from 0. */
static void test_head_backwards_resets (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (20, 1000, 0, 60000, 60000);
    assert_true (S_RUN_UNTIL (f, jk_board_state (f->board) == JK_BOARD_LIVE &&
                                     jk_board_pos (f->board) == 20));
    f->head = 5;
    s_publish_head (f, 5);
    assert_true (S_RUN_UNTIL (
        f, f->sink.resets == 1 && jk_board_state (f->board) == JK_BOARD_LIVE));
    assert_int_equal (jk_board_pos (f->board), 5);
    assert_int_equal (f->sink.applied, 25);
    assert_int_equal (jk_board_stats (f->board)->resets, 1);
    /* Live again, the note says after what. */
    assert_string_equal (jk_board_note (f->board)->code, "recovered");
    assert_string_equal (jk_board_note (f->board)->args[1], "head_backwards");
    s_fixture_destroy (&f);
}

/* A settings notice stands: a problem's note hides it while it lasts,
   a past recovery's note does not. */
static void test_notice_outlasts_recovery (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture_with (20, 1000, 0, 60000, 60000, true);
    assert_true (S_RUN_UNTIL (f, jk_board_state (f->board) == JK_BOARD_LIVE &&
                                     jk_board_pos (f->board) == 20));
    const jk_status_note_t *note = jk_board_note (f->board);
    assert_string_equal (note->code, "months_differs");
    assert_string_equal (note->args[0], "9");
    assert_string_equal (note->args[1], "6");
    f->head = 5;
    s_publish_head (f, 5);
    assert_true (S_RUN_UNTIL (
        f, f->sink.resets == 1 && jk_board_state (f->board) == JK_BOARD_LIVE));
    /* Live again after the log went back: the notice, not "recovered". */
    assert_int_equal (jk_board_pos (f->board), 5);
    assert_string_equal (jk_board_note (f->board)->code, "months_differs");
    s_fixture_destroy (&f);
}

/* The store hangs mid catch-up and comes back on the same endpoint. */
static void test_store_restart_recovers (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (500, 10, 0, 60000, 300);
    assert_true (S_RUN_UNTIL (f, jk_board_pos (f->board) >= 100));
    /* Gone: the socket closes, the stream with it. */
    zsock_destroy (&f->query);
    zframe_destroy (&f->client);
    int64_t deadline = jk_clock_mono_ms () + S_WAIT_MS;
    while (!jk_board_store_silent (f->board) && jk_clock_mono_ms () < deadline)
        jk_board_poll (f->board, 10);
    assert_true (jk_board_store_silent (f->board));
    assert_string_equal (jk_board_note (f->board)->code, "store_silent");
    assert_true (jk_board_pos (f->board) < 500);
    s_query_bind (f);
    assert_true (
        S_RUN_UNTIL (f, jk_board_pos (f->board) == 500 &&
                            jk_board_state (f->board) == JK_BOARD_LIVE));
    assert_false (jk_board_store_silent (f->board));
    /* Right again: the note says when (WIB), and after what. */
    const jk_status_note_t *note = jk_board_note (f->board);
    assert_string_equal (note->code, "recovered");
    assert_int_equal (strlen (note->args[0]), 8);
    assert_int_equal (note->args[0][2], ':');
    assert_int_equal (note->args[0][5], ':');
    assert_string_equal (note->args[1], "store_back");
    assert_true (jk_board_stats (f->board)->query_reconnects >= 1);
    assert_int_equal (f->sink.applied, 500);
    assert_int_equal (f->sink.out_of_order, 0);
    s_fixture_destroy (&f);
}

/* The broker goes away and a new one binds the feed: the board notices
   the silence, re-subscribes, and catches up what passed meanwhile. */
static void test_broker_restart_resubscribes (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (5, 1000, 0, 300, 60000);
    assert_true (S_RUN_UNTIL (f, jk_board_state (f->board) == JK_BOARD_LIVE));
    zsock_destroy (&f->feed);
    assert_true (S_RUN_UNTIL (f, jk_board_feed_silent (f->board)));
    /* Said with the silence limit, 300 ms, in seconds. */
    assert_string_equal (jk_board_note (f->board)->code, "feed_silent");
    assert_string_equal (jk_board_note (f->board)->args[0], "0,3");
    f->head = 8; /* committed while no broker was there */
    s_feed_bind (f);
    s_feed_wait_subscribed (f);
    f->head = 9;
    s_publish (f, 9);
    assert_true (S_RUN_FED_UNTIL (f, jk_board_pos (f->board) == 9 &&
                                         !jk_board_feed_silent (f->board)));
    assert_true (jk_board_stats (f->board)->feed_reconnects >= 1);
    assert_int_equal (f->sink.applied, 9);
    assert_int_equal (f->sink.out_of_order, 0);
    s_fixture_destroy (&f);
}

/* Office heartbeats are kept per source, sorted. */
static void test_office_heartbeats (void **state)
{
    (void)state;
    s_fixture_t *f = s_fixture (0, 1000, 0, 60000, 60000);
    const char *sources[] = {"32.03.10/pacet-1", "32.03.01/cianjur-2"};
    for (int i = 0; i < 2; i++) {
        jk_office_t office;
        memset (&office, 0, sizeof office);
        snprintf (office.heartbeat.source, sizeof office.heartbeat.source, "%s",
                  sources[i]);
        snprintf (office.heartbeat.program, sizeof office.heartbeat.program,
                  "jejak-attendance");
        office.heartbeat.outbox_depth = 7 + (uint64_t)i;
        office.heartbeat.last_stored_seq = 41;
        office.last_seen_ms = 1665700000000LL;
        zmsg_t *msg = jk_office_msg (&office);
        zmsg_send (&msg, f->feed);
    }
    assert_true (S_RUN_UNTIL (f, jk_board_office_count (f->board) == 2));
    const jk_office_t *first = jk_board_office_at (f->board, 0);
    assert_string_equal (first->heartbeat.source, "32.03.01/cianjur-2");
    assert_int_equal (first->heartbeat.outbox_depth, 8);
    assert_int_equal (first->heartbeat.last_stored_seq, 41);
    assert_int_equal (first->last_seen_ms, 1665700000000LL);
    assert_null (jk_board_office_at (f->board, 2));
    s_fixture_destroy (&f);
}

static long s_minor_faults (void)
{
    struct rusage use;
    getrusage (RUSAGE_SELF, &use);
    return use.ru_minflt;
}

/* jk_prefault, with which the board maps the image of a state before the
   pieces land: the bytes already in a block are kept, edges that are not
   whole pages and empty or NULL blocks are left alone, and where the
   kernel maps pages on request (MADV_POPULATE_WRITE) filling a fresh
   block afterwards takes (almost) no page fault. */
static void test_prefault (void **state)
{
    (void)state;
    enum { SIZE = 8 << 20 };
    uint8_t *kept = malloc (SIZE + 123);
    assert_non_null (kept);
    for (size_t i = 0; i < SIZE + 123; i++)
        kept[i] = (uint8_t)(i * 31 + 7);
    jk_prefault (kept + 1, SIZE + 122);
    for (size_t i = 0; i < SIZE + 123; i++)
        if (kept[i] != (uint8_t)(i * 31 + 7))
            fail_msg ("byte %zu changed", i);
    jk_prefault (kept, 0);
    jk_prefault (kept + 5, 10);
    jk_prefault (NULL, SIZE);
    assert_int_equal (kept[5], (uint8_t)(5 * 31 + 7));
    free (kept);

    uint8_t *fresh = malloc (SIZE);
    assert_non_null (fresh);
    long page = sysconf (_SC_PAGESIZE);
    uintptr_t from =
        ((uintptr_t)fresh + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    /* Whether this kernel maps on request at all (Linux 5.14 on). */
    bool populates =
        madvise ((void *)from, (size_t)page, MADV_POPULATE_WRITE) == 0;
    jk_prefault (fresh, SIZE);
    long before = s_minor_faults ();
    memset (fresh, 0xab, SIZE);
    long faults = s_minor_faults () - before;
    if (populates)
        assert_true (faults < SIZE / page / 2);
    assert_int_equal (fresh[SIZE - 1], 0xab);
    free (fresh);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_start_catches_up_with_credit),
        cmocka_unit_test (test_feed_gap_catches_up),
        cmocka_unit_test (test_duplicate_and_stale_dropped),
        cmocka_unit_test (test_late_join_buffers_feed),
        cmocka_unit_test (test_drop_every_recovers),
        cmocka_unit_test (test_head_shows_tail_loss),
        cmocka_unit_test (test_head_backwards_resets),
        cmocka_unit_test (test_store_restart_recovers),
        cmocka_unit_test (test_notice_outlasts_recovery),
        cmocka_unit_test (test_broker_restart_resubscribes),
        cmocka_unit_test (test_office_heartbeats),
        cmocka_unit_test (test_prefault),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
