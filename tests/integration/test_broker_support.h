/*  test_broker_support.h - a small submitting client for the broker and
    hub end-to-end tests: builds person.registered events with distinct
    NIKs, submits them in batches, resends what is unanswered on a fresh
    socket after the heartbeat liveness (as agents do), and checks that no
    event gets two different positions. Header-only, static functions. */
#ifndef TEST_BROKER_SUPPORT_H
#define TEST_BROKER_SUPPORT_H

#include "testsupport.h"

#include "jk_wire.h"

#include <stdlib.h>
#include <string.h>

#define S_WAIT_MS 10000

/* One event the client delivers. */
typedef struct {
    uint8_t id[16];
    uint8_t *bytes;
    size_t size;
    bool answered;          /* ACK, REJECTED or DUPLICATE seen */
    uint64_t pos;           /* its position */
    uint8_t hash[32];       /* chain hash at pos */
    jk_answer_kind_t first; /* kind of the first final answer */
    int acks;               /* final answers received (resends count) */
} s_item_t;

typedef struct {
    char *endpoint;  /* ingest */
    zsock_t *sock;   /* current DEALER */
    s_item_t *items; /* events in seq order */
    size_t count;
    int reconnects;  /* fresh sockets after silence */
    int unavailable; /* E_UNAVAILABLE / E_BUSY answers */
} s_client_t;

/* A person.registered event; invalid_nik gives a NIK with day 99. */
static uint8_t *s_person (const char *source, uint64_t seq, int n,
                          bool invalid_nik, uint8_t id[16], size_t *size)
{
    jk_event_t *ev =
        jk_event_new (jk_vocabulary_find ("person.registered", 17));
    assert_non_null (ev);
    jk_event_set_source (ev, source);
    jk_event_set_actor (ev, "operator-1");
    ev->seq = seq;
    char nik[32];
    snprintf (nik, sizeof nik, "3203%02d%02d0785%04d", 1 + (n / 9999) % 30,
              invalid_nik ? 99 : 41, n % 9999 + 1);
    jk_report_t report;
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "nik", nik, &report), 0);
    assert_int_equal (jk_event_set (ev, "name", "Siti Aminah", &report), 0);
    assert_int_equal (jk_event_set (ev, "sex", "P", &report), 0);
    assert_int_equal (jk_event_set (ev, "birth_date", "1985-07-01", &report),
                      0);
    assert_int_equal (jk_event_set (ev, "desa_code", "32.03.10.2012", &report),
                      0);
    memcpy (id, ev->id, 16);
    uint8_t *bytes = jk_event_encode (ev, size);
    assert_non_null (bytes);
    jk_event_destroy (&ev);
    return bytes;
}

/* A client with count events of one source, seq 1..count; NIKs from
   nik_base on. */
static s_client_t *s_client_new (const char *endpoint, const char *source,
                                 size_t count, int nik_base)
{
    s_client_t *c = jk_calloc (1, sizeof *c);
    c->endpoint = jk_strdup (endpoint);
    c->sock = jk_test_dealer (endpoint);
    c->items = jk_calloc (count, sizeof *c->items);
    c->count = count;
    for (size_t i = 0; i < count; i++)
        c->items[i].bytes = s_person (source, i + 1, nik_base + (int)i, false,
                                      c->items[i].id, &c->items[i].size);
    return c;
}

static void s_client_destroy (s_client_t **c_p)
{
    s_client_t *c = *c_p;
    for (size_t i = 0; i < c->count; i++)
        free (c->items[i].bytes);
    free (c->items);
    zsock_destroy (&c->sock);
    free (c->endpoint);
    free (c);
    *c_p = NULL;
}

static s_item_t *s_client_find (s_client_t *c, const uint8_t id[16])
{
    for (size_t i = 0; i < c->count; i++)
        if (memcmp (c->items[i].id, id, 16) == 0)
            return &c->items[i];
    return NULL;
}

/* Takes one ANSWER: records positions, failing the test when an event is
   answered with a position other than its first. Returns answers read. */
static size_t s_client_take (s_client_t *c, zmsg_t *msg)
{
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    size_t n = 0;
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg), n++) {
        jk_answer_t a;
        assert_int_equal (
            jk_answer_decode (zframe_data (f), zframe_size (f), &a), 0);
        s_item_t *item = s_client_find (c, a.id);
        assert_non_null (item);
        if (a.kind == JK_ANSWER_NACK) {
            assert_true (jk_answer_retryable (&a));
            c->unavailable++;
            continue;
        }
        if (item->pos) {
            /* Answered before (perhaps before a resend): same receipt. */
            assert_int_equal (a.pos, item->pos);
            assert_memory_equal (a.hash, item->hash, 32);
        } else {
            item->pos = a.pos;
            memcpy (item->hash, a.hash, 32);
            item->first = a.kind;
        }
        item->answered = true;
        item->acks++;
    }
    return n;
}

/* Delivers every event: batches of up to batch events from the oldest
   unanswered one, a window of one SUBMIT; after LIVENESS heartbeats of
   silence, a fresh socket and a resend. hook (may be NULL) runs after
   each SUBMIT is sent, with the number of SUBMITs so far. Fails the test
   when not done within timeout_ms. */
static void s_client_deliver (s_client_t *c, size_t batch, int timeout_ms,
                              void (*hook) (int submits, void *arg), void *arg)
{
    int64_t deadline = jk_clock_mono_ms () + timeout_ms;
    int submits = 0;
    size_t first = 0;
    while (true) {
        while (first < c->count && c->items[first].answered)
            first++;
        if (first == c->count)
            break;
        assert_true (jk_clock_mono_ms () < deadline);
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        for (size_t i = first, n = 0; i < c->count && n < batch; i++)
            if (!c->items[i].answered) {
                zmsg_addmem (msg, c->items[i].bytes, c->items[i].size);
                n++;
            }
        zmsg_send (&msg, c->sock);
        submits++;
        if (hook)
            hook (submits, arg);
        zmsg_t *answer =
            jk_test_recv (c->sock, JK_HEARTBEAT_LIVENESS * JK_HEARTBEAT_MS);
        if (!answer) {
            /* The broker is gone or the SUBMIT was lost: new socket. */
            zsock_destroy (&c->sock);
            c->sock = jk_test_dealer (c->endpoint);
            c->reconnects++;
            continue;
        }
        size_t before = (size_t)c->unavailable;
        s_client_take (c, answer);
        zmsg_destroy (&answer);
        if ((size_t)c->unavailable > before) {
            /* Retryable: back off briefly, reading anything stray. */
            zmsg_t *stray = jk_test_recv (c->sock, 100);
            if (stray)
                s_client_take (c, stray);
            zmsg_destroy (&stray);
        }
    }
}

/* The store's head through its query endpoint. */
static uint64_t s_query_head (const char *query, uint8_t hash[32])
{
    zsock_t *q = jk_test_dealer (query);
    zmsg_t *msg = jk_wire_new ("HEAD");
    zmsg_send (&msg, q);
    zmsg_t *reply = jk_test_recv (q, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "HEAD");
    uint64_t pos;
    assert_int_equal (jk_wire_pop_u64 (reply, &pos), 0);
    zframe_t *h = zmsg_pop (reply);
    assert_non_null (h);
    assert_int_equal (zframe_size (h), 32);
    if (hash)
        memcpy (hash, zframe_data (h), 32);
    zframe_destroy (&h);
    zmsg_destroy (&reply);
    zsock_destroy (&q);
    return pos;
}

/* Checks that the count answered events hold distinct positions that
   together are exactly first..first+count-1. */
/* Plays the store on a broker's backend: PING with head 0. */
static inline void s_store_ping (zsock_t *backend)
{
    zmsg_t *msg = jk_wire_new ("PING");
    jk_wire_add_u64 (msg, 0);
    uint8_t zeros[32] = {0};
    zmsg_addmem (msg, zeros, 32);
    jk_wire_add_u64 (msg, (uint64_t)jk_clock_now_ms ());
    zmsg_send (&msg, backend);
}

static inline void s_client_check_positions (s_client_t *c, uint64_t first)
{
    uint8_t *seen = jk_calloc (c->count, 1);
    for (size_t i = 0; i < c->count; i++) {
        assert_true (c->items[i].answered);
        uint64_t pos = c->items[i].pos;
        assert_true (pos >= first && pos < first + c->count);
        assert_int_equal (seen[pos - first], 0);
        seen[pos - first] = 1;
    }
    free (seen);
}

#endif
