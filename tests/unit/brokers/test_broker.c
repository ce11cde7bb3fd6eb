/*  test_broker.c - the broker actor against a stand-in store (a DEALER the
    test drives), real agents (DEALERs) and a real subscriber (SUB), all
    over ipc endpoints in a fresh temp directory. */
#include "testsupport.h"

#include "jk_broker.h"
#include "jk_wire.h"

#include <stdlib.h>
#include <string.h>

/* What a positive wait allows: a deadline only matters when it fails, so
   it leaves room for a sanitizer build on a slow, loaded machine. */
#define S_WAIT_MS 30000

typedef struct {
    char *dir;
    char *ingest, *feed, *backend;
    zactor_t *broker;
} s_fixture_t;

static int s_setup (void **state)
{
    s_fixture_t *f = jk_calloc (1, sizeof *f);
    f->dir = jk_test_tmpdir ("broker");
    f->ingest = jk_test_endpoint (f->dir, "ingest");
    f->feed = jk_test_endpoint (f->dir, "feed");
    f->backend = jk_test_endpoint (f->dir, "backend");
    jk_broker_config_t config = {f->ingest, f->feed, f->backend, 0, NULL, NULL};
    f->broker = jk_broker_start (&config);
    assert_non_null (f->broker);
    *state = f;
    return 0;
}

static int s_teardown (void **state)
{
    s_fixture_t *f = *state;
    zactor_destroy (&f->broker);
    free (f->ingest);
    free (f->feed);
    free (f->backend);
    jk_test_rmdir (&f->dir);
    free (f);
    return 0;
}

/* A person.registered event with a distinct valid NIK per n. */
static uint8_t *s_event (const char *source, uint64_t seq, int n, size_t *size)
{
    jk_event_t *ev =
        jk_event_new (jk_vocabulary_find ("person.registered", 17));
    assert_non_null (ev);
    jk_event_set_source (ev, source);
    jk_event_set_actor (ev, "operator-1");
    ev->seq = seq;
    char nik[32];
    snprintf (nik, sizeof nik, "320301%02d0785%04d", 41 + (n / 9999) % 28,
              n % 9999 + 1);
    jk_report_t report;
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "nik", nik, &report), 0);
    assert_int_equal (jk_event_set (ev, "name", "Siti Aminah", &report), 0);
    assert_int_equal (jk_event_set (ev, "sex", "P", &report), 0);
    assert_int_equal (jk_event_set (ev, "birth_date", "1985-07-01", &report),
                      0);
    assert_int_equal (jk_event_set (ev, "desa_code", "32.03.10.2012", &report),
                      0);
    uint8_t *bytes = jk_event_encode (ev, size);
    assert_non_null (bytes);
    jk_event_destroy (&ev);
    return bytes;
}

/* A stand-in store: connects, pings with a head, waits for the PONG. */
static zsock_t *s_store (const char *backend, uint64_t head_pos)
{
    zsock_t *store = jk_test_dealer (backend);
    zmsg_t *ping = jk_wire_new ("PING");
    jk_wire_add_u64 (ping, head_pos);
    uint8_t hash[32];
    memset (hash, 0xab, sizeof hash);
    zmsg_addmem (ping, hash, 32);
    zmsg_send (&ping, store);
    zmsg_t *pong = jk_test_recv (store, S_WAIT_MS);
    assert_non_null (pong);
    char command[16];
    assert_int_equal (jk_wire_open (pong, command, sizeof command), 0);
    assert_string_equal (command, "PONG");
    zmsg_destroy (&pong);
    return store;
}

static void s_submit (zsock_t *client, const char *source, uint64_t seq0,
                      int count)
{
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    for (int i = 0; i < count; i++) {
        size_t size;
        uint8_t *bytes =
            s_event (source, seq0 + (uint64_t)i, (int)seq0 + i, &size);
        zmsg_addmem (msg, bytes, size);
        free (bytes);
    }
    assert_int_equal (zmsg_send (&msg, client), 0);
}

/* Receives an ANSWER and decodes its answers; returns their count. */
static size_t s_answers (zsock_t *client, jk_answer_t *out, size_t max)
{
    zmsg_t *msg = jk_test_recv (client, S_WAIT_MS);
    assert_non_null (msg);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    size_t n = 0;
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
        assert_true (n < max);
        assert_int_equal (
            jk_answer_decode (zframe_data (f), zframe_size (f), &out[n]), 0);
        n++;
    }
    zmsg_destroy (&msg);
    return n;
}

/* Like s_answers, but returns 0 when nothing comes within timeout_ms. */
static size_t s_try_answers (zsock_t *client, jk_answer_t *out, size_t max,
                             int timeout_ms)
{
    zmsg_t *msg = jk_test_recv (client, timeout_ms);
    if (!msg)
        return 0;
    char command[16];
    size_t n = 0;
    if (jk_wire_open (msg, command, sizeof command) == 0 &&
        streq (command, "ANSWER"))
        for (zframe_t *f = zmsg_first (msg); f && n < max; f = zmsg_next (msg))
            if (jk_answer_decode (zframe_data (f), zframe_size (f), &out[n]) ==
                0)
                n++;
    zmsg_destroy (&msg);
    return n;
}

static void s_expect_error (zsock_t *client, const char *code)
{
    zmsg_t *msg = jk_test_recv (client, S_WAIT_MS);
    assert_non_null (msg);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "ERROR");
    assert_int_equal (zmsg_size (msg), 2);
    char *got = zmsg_popstr (msg);
    char *text = zmsg_popstr (msg);
    assert_string_equal (got, code);
    assert_true (strlen (text) > 10);
    free (got);
    free (text);
    zmsg_destroy (&msg);
}

/* The value of key in the broker's STATS text. */
static uint64_t s_stat (zactor_t *broker, const char *key)
{
    zstr_send (broker, "STATS");
    char *text = zstr_recv (broker);
    assert_non_null (text);
    char pattern[64];
    snprintf (pattern, sizeof pattern, "%s=", key);
    const char *p = strstr (text, pattern);
    while (p && p != text && p[-1] != ' ')
        p = strstr (p + 1, pattern);
    assert_non_null (p);
    uint64_t value = strtoull (p + strlen (pattern), NULL, 10);
    zstr_free (&text);
    return value;
}

/* Receives a SUBMIT the broker forwarded to the stand-in store, with
   events events: returns it holding the events, its client routing id
   in *rid. */
static zmsg_t *s_forwarded (zsock_t *store, size_t events, zframe_t **rid)
{
    zmsg_t *fwd = jk_test_recv (store, S_WAIT_MS);
    assert_non_null (fwd);
    char command[16];
    assert_int_equal (jk_wire_open (fwd, command, sizeof command), 0);
    assert_string_equal (command, "SUBMIT");
    assert_int_equal (zmsg_size (fwd), events + 1);
    *rid = zmsg_pop (fwd);
    return fwd;
}

/* SUBMIT reaches the store with the client's routing id; the store's
   ANSWER goes back to that client, in order. */
static void test_submit_routed (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    zsock_t *client = jk_test_dealer (f->ingest);
    s_submit (client, "32.03.10/pacet-1", 1, 3);

    zframe_t *rid;
    zmsg_t *fwd = s_forwarded (store, 3, &rid);
    zmsg_t *answer = jk_wire_new ("ANSWER");
    zmsg_append (answer, &rid);
    int i = 0;
    for (zframe_t *ev = zmsg_first (fwd); ev; ev = zmsg_next (fwd), i++) {
        jk_envelope_t envelope;
        assert_true (
            jk_envelope_peek (zframe_data (ev), zframe_size (ev), &envelope));
        assert_int_equal (envelope.seq, 1 + i);
        assert_string_equal (envelope.source, "32.03.10/pacet-1");
        jk_answer_t a;
        memset (&a, 0, sizeof a);
        memcpy (a.id, envelope.id, 16);
        a.kind = i == 1 ? JK_ANSWER_REJECTED : JK_ANSWER_ACK;
        a.pos = 100 + (uint64_t)i;
        memset (a.hash, i, 32);
        if (i == 1) {
            strcpy (a.code, "E_NIK_TAKEN");
            strcpy (a.message, "body.nik: already registered");
        }
        jk_answer_add (answer, &a);
    }
    zmsg_send (&answer, store);

    jk_answer_t got[4];
    assert_int_equal (s_answers (client, got, 4), 3);
    for (i = 0; i < 3; i++) {
        assert_int_equal (got[i].pos, 100 + i);
        assert_int_equal (got[i].hash[5], i);
    }
    assert_int_equal (got[0].kind, JK_ANSWER_ACK);
    assert_int_equal (got[1].kind, JK_ANSWER_REJECTED);
    assert_string_equal (got[1].code, "E_NIK_TAKEN");
    assert_int_equal (got[2].kind, JK_ANSWER_ACK);
    zmsg_destroy (&fwd);

    assert_int_equal (s_stat (f->broker, "received"), 3);
    assert_int_equal (s_stat (f->broker, "forwarded"), 3);
    assert_int_equal (s_stat (f->broker, "acked"), 2);
    assert_int_equal (s_stat (f->broker, "rejected"), 1);
    assert_int_equal (s_stat (f->broker, "unavailable"), 0);
    assert_int_equal (s_stat (f->broker, "clients"), 1);
    zsock_destroy (&client);
    zsock_destroy (&store);
}

/* No store ever: every event is answered at once with a retryable NACK
   E_UNAVAILABLE carrying its id. */
static void test_store_absent (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *client = jk_test_dealer (f->ingest);
    s_submit (client, "32.03.10/pacet-1", 7, 5);
    jk_answer_t got[8];
    assert_int_equal (s_answers (client, got, 8), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal (got[i].kind, JK_ANSWER_NACK);
        assert_string_equal (got[i].code, "E_UNAVAILABLE");
        assert_true (jk_answer_retryable (&got[i]));
        uint8_t zeros[16] = {0};
        assert_memory_not_equal (got[i].id, zeros, 16);
    }
    assert_int_equal (s_stat (f->broker, "unavailable"), 5);
    assert_int_equal (s_stat (f->broker, "forwarded"), 0);

    /* A SUBMIT with undecodable bytes still gets its NACK, id zeros. */
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    zmsg_addstr (msg, "not messagepack");
    zmsg_send (&msg, client);
    assert_int_equal (s_answers (client, got, 8), 1);
    uint8_t zeros[16] = {0};
    assert_memory_equal (got[0].id, zeros, 16);
    assert_string_equal (got[0].code, "E_UNAVAILABLE");
    zsock_destroy (&client);
}

/* Submits one event; true when it is refused with a NACK. The
   disconnect reaches the broker asynchronously (a SUBMIT sent before it is
   lost with the store's queue): the caller resends until the refusal
   shows, as an agent does after its timeout. */
static bool s_refused (zsock_t *client, jk_answer_t *got)
{
    s_submit (client, "32.03.10/pacet-1", 1, 1);
    return s_try_answers (client, got, 2, 200) == 1 &&
           got[0].kind == JK_ANSWER_NACK;
}

static bool s_store_is_down (zactor_t *broker)
{
    zstr_send (broker, "STATS");
    char *text = zstr_recv (broker);
    bool down = strstr (text, "store=down") != NULL;
    zstr_free (&text);
    return down;
}

/* The ANSWER from the store is routed to its agent with every frame as
   the store sent it: one it cannot decode is passed on unchanged and
   counted as the store's protocol error, the others by their kind. */
static void test_answer_frames_passed_on (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    zsock_t *client = jk_test_dealer (f->ingest);
    s_submit (client, "32.03.10/pacet-1", 1, 2);
    zframe_t *rid;
    zmsg_t *fwd = s_forwarded (store, 2, &rid);
    zmsg_t *answer = jk_wire_new ("ANSWER");
    zmsg_append (answer, &rid);
    jk_answer_t a;
    memset (&a, 0, sizeof a);
    memset (a.id, 0x11, 16);
    a.kind = JK_ANSWER_DUPLICATE;
    a.pos = 5;
    memset (a.hash, 0x22, 32);
    jk_answer_add (answer, &a);
    zmsg_addstr (answer, "not an answer");
    zmsg_send (&answer, store);
    zmsg_destroy (&fwd);

    zmsg_t *msg = jk_test_recv (client, S_WAIT_MS);
    assert_non_null (msg);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    assert_int_equal (zmsg_size (msg), 2);
    jk_answer_t got;
    zframe_t *frame = zmsg_first (msg);
    assert_int_equal (
        jk_answer_decode (zframe_data (frame), zframe_size (frame), &got), 0);
    assert_int_equal (got.kind, JK_ANSWER_DUPLICATE);
    assert_int_equal (got.pos, 5);
    assert_memory_equal (got.id, a.id, 16);
    assert_memory_equal (got.hash, a.hash, 32);
    assert_true (zframe_streq (zmsg_next (msg), "not an answer"));
    zmsg_destroy (&msg);
    assert_int_equal (s_stat (f->broker, "duplicates"), 1);
    assert_int_equal (s_stat (f->broker, "acked"), 0);
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 1);
    zsock_destroy (&client);
    zsock_destroy (&store);
}

/* Reads every ANSWER waiting on client (one event each): counts them
   into *answers, checking each is NACK E_BUSY for the event id. */
static void s_busy_answers (zsock_t *client, const uint8_t id[16],
                            uint64_t *answers)
{
    jk_answer_t got[1];
    size_t n;
    while ((n = s_try_answers (client, got, 1, 0)) > 0) {
        assert_int_equal (n, 1);
        assert_int_equal (got[0].kind, JK_ANSWER_NACK);
        assert_string_equal (got[0].code, "E_BUSY");
        assert_true (jk_answer_retryable (&got[0]));
        assert_memory_equal (got[0].id, id, 16);
        (*answers)++;
    }
}

/* True once every SUBMIT sent is either forwarded or answered. */
static bool s_all_settled (zactor_t *broker, zsock_t *client,
                           const uint8_t id[16], uint64_t *answers,
                           uint64_t sent)
{
    s_busy_answers (client, id, answers);
    return s_stat (broker, "forwarded") + *answers == sent;
}

/* A store that reads nothing: once the queue towards it is full, each
   further SUBMIT is refused at once, NACK E_BUSY with its event's id;
   every event is either forwarded or refused, exactly once, and the
   store later reads every one forwarded. */
static void test_backend_full_busy (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    zsock_t *client = jk_test_dealer (f->ingest);
    zsock_set_rcvhwm (client, 0);
    size_t size;
    uint8_t *bytes = s_event ("32.03.10/pacet-1", 1, 1, &size);
    jk_envelope_t envelope;
    assert_true (jk_envelope_peek (bytes, size, &envelope));
    /* Beyond the backend's queue, the store's and the socket buffers
       between them; sent 500 at a time (below the ingest socket's queue
       per client, so no answer can be dropped) and settled in between. */
    const uint64_t count = 8000;
    uint64_t sent = 0, answers = 0;
    while (sent < count) {
        for (int i = 0; i < 500; i++, sent++) {
            zmsg_t *msg = jk_wire_new ("SUBMIT");
            zmsg_addmem (msg, bytes, size);
            assert_int_equal (zmsg_send (&msg, client), 0);
        }
        assert_true (JK_WAIT_FOR (
            s_all_settled (f->broker, client, envelope.id, &answers, sent),
            S_WAIT_MS));
    }
    uint64_t forwarded = s_stat (f->broker, "forwarded");
    assert_true (answers > 0);
    assert_true (forwarded > 0);
    assert_int_equal (forwarded + answers, count);
    assert_int_equal (s_stat (f->broker, "busy"), answers);
    assert_int_equal (s_stat (f->broker, "received"), count);
    assert_int_equal (s_stat (f->broker, "unavailable"), 0);
    /* The store reads exactly the SUBMITs forwarded, each whole. */
    for (uint64_t i = 0; i < forwarded; i++) {
        zframe_t *rid;
        zmsg_t *fwd = s_forwarded (store, 1, &rid);
        zframe_destroy (&rid);
        zframe_t *event = zmsg_first (fwd);
        assert_int_equal (zframe_size (event), size);
        assert_memory_equal (zframe_data (event), bytes, size);
        zmsg_destroy (&fwd);
    }
    zmsg_t *more = jk_test_recv (store, 100);
    assert_null (more);
    free (bytes);
    zsock_destroy (&client);
    zsock_destroy (&store);
}

/* A store that disconnects: the next SUBMIT gets E_UNAVAILABLE (mandatory
   routing notices at once); a new store is used as soon as it pings. */
static void test_store_gone_and_back (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    zsock_destroy (&store);
    zsock_t *client = jk_test_dealer (f->ingest);
    jk_answer_t got[2];
    bool refused =
        __extension__ JK_WAIT_FOR (s_refused (client, got), S_WAIT_MS);
    assert_true (refused);
    assert_string_equal (got[0].code, "E_UNAVAILABLE");

    store = s_store (f->backend, 10);
    s_submit (client, "32.03.10/pacet-1", 1, 1);
    zmsg_t *fwd = jk_test_recv (store, S_WAIT_MS);
    assert_non_null (fwd);
    zmsg_destroy (&fwd);
    zsock_destroy (&store);
    zsock_destroy (&client);
}

/* A store that stays connected but silent is declared down after
   JK_HEARTBEAT_LIVENESS intervals. */
static void test_store_silent (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    int64_t start = jk_clock_mono_ms ();
    assert_true (__extension__ JK_WAIT_FOR (
        s_store_is_down (f->broker),
        JK_HEARTBEAT_LIVENESS * JK_HEARTBEAT_MS + S_WAIT_MS));
    int64_t took = jk_clock_mono_ms () - start;
    assert_true (took >= JK_HEARTBEAT_LIVENESS * JK_HEARTBEAT_MS);
    zsock_t *client = jk_test_dealer (f->ingest);
    s_submit (client, "32.03.10/pacet-1", 1, 2);
    jk_answer_t got[2];
    assert_int_equal (s_answers (client, got, 2), 2);
    assert_string_equal (got[1].code, "E_UNAVAILABLE");
    zsock_destroy (&client);
    zsock_destroy (&store);
}

static zsock_t *s_subscriber (const char *feed, const char *topic)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_linger (sub, 0);
    zsock_set_rcvhwm (sub, 0);
    zsock_set_subscribe (sub, topic);
    assert_int_equal (zsock_connect (sub, "%s", feed), 0);
    return sub;
}

/* Waits for a $head heartbeat on sub: proof that the subscription is
   live. Returns the head position. */
static uint64_t s_wait_head (zsock_t *sub)
{
    int64_t deadline = jk_clock_mono_ms () + S_WAIT_MS;
    while (jk_clock_mono_ms () < deadline) {
        zmsg_t *msg = jk_test_recv (sub, S_WAIT_MS);
        if (!msg)
            break;
        jk_record_t r;
        if (jk_record_read (msg, &r) == 0 && streq (r.topic, JK_FEED_HEAD)) {
            zmsg_destroy (&msg);
            return r.pos;
        }
        zmsg_destroy (&msg);
    }
    fail_msg ("no $head heartbeat");
    return 0;
}

/* Every PUBLISH from the store reaches a subscriber once, in order, with
   its frames intact; $head follows the store. */
static void test_publish_and_head (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 41);
    zsock_t *sub = s_subscriber (f->feed, "");
    assert_int_equal (s_wait_head (sub), 41);

    const int count = 2000;
    for (int i = 0; i < count; i++) {
        jk_record_t r;
        memset (&r, 0, sizeof r);
        bool rejected = i % 10 == 3;
        snprintf (r.topic, sizeof r.topic, "%sperson.registered",
                  rejected ? JK_REJECTED_PREFIX : "");
        r.pos = 42 + (uint64_t)i;
        memset (r.hash, i & 0xff, 32);
        r.recorded_at = 1700000000000 + i;
        r.bytes = (const uint8_t *)"\x81\xa2id\xc4\x00";
        r.size = 6;
        if (rejected) {
            strcpy (r.code, "E_NIK_TAKEN");
            strcpy (r.message, "body.nik: already registered");
        }
        zmsg_t *rec = jk_record_msg (&r);
        zmsg_pushstr (rec, "PUBLISH");
        zmsg_pushstr (rec, JK_PROTOCOL);
        zmsg_send (&rec, store);
    }
    uint64_t next = 42;
    while (next < 42 + (uint64_t)count) {
        zmsg_t *msg = jk_test_recv (sub, S_WAIT_MS);
        assert_non_null (msg);
        jk_record_t r;
        assert_int_equal (jk_record_read (msg, &r), 0);
        if (r.topic[0] != '$') {
            assert_int_equal (r.pos, next);
            int i = (int)(next - 42);
            assert_int_equal (r.recorded_at, 1700000000000 + i);
            assert_int_equal (r.size, 6);
            assert_int_equal (r.hash[31], i & 0xff);
            if (i % 10 == 3) {
                assert_string_equal (r.topic, "rejected.person.registered");
                assert_string_equal (r.code, "E_NIK_TAKEN");
            } else
                assert_string_equal (r.topic, "person.registered");
            next++;
        }
        zmsg_destroy (&msg);
    }
    assert_int_equal (s_wait_head (sub), 41 + count);
    assert_int_equal (s_stat (f->broker, "feed_published"), count);
    assert_int_equal (s_stat (f->broker, "feed_drops"), 0);
    zsock_destroy (&sub);
    zsock_destroy (&store);
}

/* The record of position pos as the tests send it. */
static void s_record (jk_record_t *r, uint64_t pos)
{
    memset (r, 0, sizeof *r);
    bool rejected = pos % 10 == 3;
    snprintf (r->topic, sizeof r->topic, "%sperson.registered",
              rejected ? JK_REJECTED_PREFIX : "");
    r->pos = pos;
    memset (r->hash, (int)(pos & 0xff), 32);
    r->recorded_at = 1700000000000 + (int64_t)pos;
    r->bytes = (const uint8_t *)"\x81\xa2id\xc4\x00";
    r->size = 6;
    if (rejected) {
        strcpy (r->code, "E_NIK_TAKEN");
        snprintf (r->message, sizeof r->message, "body.nik: taken at %llu",
                  (unsigned long long)pos);
    }
}

/* A RECORDS message from the store (a batch's records in one frame) is
   fanned out to the feed: each record one message, in order, in the
   feed's frames with the detail map for a rejection, exactly as PUBLISH
   gives them; the head follows. A frame that stops parsing half-way
   publishes the records before it and counts one protocol error. */
static void test_records_fan_out (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 9);
    zsock_t *sub = s_subscriber (f->feed, "");
    assert_int_equal (s_wait_head (sub), 9);
    const uint64_t count = 1000;
    uint8_t *packed = jk_calloc (100, 256);
    for (uint64_t first = 10; first < 10 + count; first += 100) {
        size_t n = 0;
        for (uint64_t pos = first; pos < first + 100; pos++) {
            jk_record_t r;
            s_record (&r, pos);
            n += jk_records_put (packed + n, &r);
        }
        zmsg_t *msg = jk_wire_new ("RECORDS");
        zmsg_addmem (msg, packed, n);
        zmsg_send (&msg, store);
    }
    uint64_t next = 10;
    while (next < 10 + count) {
        zmsg_t *msg = jk_test_recv (sub, S_WAIT_MS);
        assert_non_null (msg);
        jk_record_t got, want;
        assert_int_equal (jk_record_read (msg, &got), 0);
        if (got.topic[0] != '$') {
            s_record (&want, next);
            assert_int_equal (got.pos, next);
            assert_string_equal (got.topic, want.topic);
            assert_int_equal (got.recorded_at, want.recorded_at);
            assert_memory_equal (got.hash, want.hash, 32);
            assert_int_equal (got.size, 6);
            assert_memory_equal (got.bytes, want.bytes, 6);
            assert_string_equal (got.code, want.code);
            assert_string_equal (got.message, want.message);
            assert_int_equal (zmsg_size (msg), want.code[0] ? 6 : 5);
            next++;
        }
        zmsg_destroy (&msg);
    }
    assert_int_equal (s_wait_head (sub), 9 + count);
    assert_int_equal (s_stat (f->broker, "feed_published"), count);

    /* One good record, then one cut short. */
    jk_record_t r;
    s_record (&r, 10 + count);
    size_t n = jk_records_put (packed, &r);
    s_record (&r, 11 + count);
    size_t m = jk_records_put (packed + n, &r);
    zmsg_t *msg = jk_wire_new ("RECORDS");
    zmsg_addmem (msg, packed, n + m - 3);
    zmsg_send (&msg, store);
    msg = jk_test_recv (sub, S_WAIT_MS);
    while (msg && zframe_streq (zmsg_first (msg), JK_FEED_HEAD)) {
        zmsg_destroy (&msg);
        msg = jk_test_recv (sub, S_WAIT_MS);
    }
    assert_non_null (msg);
    jk_record_t got;
    assert_int_equal (jk_record_read (msg, &got), 0);
    assert_int_equal (got.pos, 10 + count);
    zmsg_destroy (&msg);
    JK_WAIT_FOR (s_stat (f->broker, "protocol_errors") >= 1, S_WAIT_MS);
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 1);
    assert_int_equal (s_stat (f->broker, "feed_published"), count + 1);
    free (packed);
    zsock_destroy (&sub);
    zsock_destroy (&store);
}

/* A client's PING is answered PONG and its heartbeat shows on the feed as
   $office. */
static void test_ping_office (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    zsock_t *sub = s_subscriber (f->feed, JK_FEED_OFFICE);
    zsock_t *client = jk_test_dealer (f->ingest);
    jk_heartbeat_t hb;
    memset (&hb, 0, sizeof hb);
    strcpy (hb.source, "32.03.10/pacet-1");
    strcpy (hb.program, "jejak-attendance");
    hb.outbox_depth = 12;
    hb.last_stored_seq = 345;
    hb.rejected = 2;
    zmsg_t *ping = jk_wire_new ("PING");
    jk_heartbeat_add (ping, &hb);
    zmsg_send (&ping, client);
    /* The store gets the heartbeat with the client's routing id and
       answers PONG with its clock and a seq to deliver again from. */
    zmsg_t *fwd = jk_test_recv (store, S_WAIT_MS);
    assert_non_null (fwd);
    char command[16];
    assert_int_equal (jk_wire_open (fwd, command, sizeof command), 0);
    assert_string_equal (command, "HEARTBEAT");
    assert_int_equal (zmsg_size (fwd), 2);
    zframe_t *rid = zmsg_pop (fwd);
    jk_heartbeat_t seen;
    zframe_t *map = zmsg_first (fwd);
    assert_int_equal (
        jk_heartbeat_decode (zframe_data (map), zframe_size (map), &seen), 0);
    assert_int_equal (seen.last_stored_seq, 345);
    zmsg_destroy (&fwd);
    zmsg_t *answer = jk_wire_new ("PONG");
    zmsg_append (answer, &rid);
    jk_pong_t pong_map = {
        .now_ms = 1700000000123, .expect = 300, .stored_seq = 345};
    jk_pong_add (answer, &pong_map);
    zmsg_send (&answer, store);
    zmsg_t *pong = jk_test_recv (client, S_WAIT_MS);
    assert_non_null (pong);
    assert_int_equal (jk_wire_open (pong, command, sizeof command), 0);
    assert_string_equal (command, "PONG");
    assert_int_equal (zmsg_size (pong), 1);
    jk_pong_t got;
    assert_int_equal (jk_pong_decode (zframe_data (zmsg_first (pong)),
                                      zframe_size (zmsg_first (pong)), &got),
                      0);
    assert_int_equal (got.now_ms, 1700000000123);
    assert_int_equal (got.expect, 300);
    assert_int_equal (got.stored_seq, 345);
    zmsg_destroy (&pong);
    assert_int_equal (s_stat (f->broker, "pongs_routed"), 1);

    zmsg_t *msg = jk_test_recv (sub, 3 * JK_HEARTBEAT_MS);
    assert_non_null (msg);
    jk_office_t office;
    assert_int_equal (jk_office_read (msg, &office), 0);
    assert_string_equal (office.heartbeat.source, "32.03.10/pacet-1");
    assert_string_equal (office.heartbeat.program, "jejak-attendance");
    assert_int_equal (office.heartbeat.outbox_depth, 12);
    assert_int_equal (office.heartbeat.last_stored_seq, 345);
    assert_int_equal (office.heartbeat.rejected, 2);
    int64_t now = jk_clock_now_ms ();
    assert_true (office.last_seen_ms <= now &&
                 office.last_seen_ms > now - 5000);
    zmsg_destroy (&msg);
    zsock_destroy (&client);
    zsock_destroy (&sub);
    zsock_destroy (&store);
}

/* PROTOCOL.md 5, the feed's $office: the map is a heartbeat's keys plus
   last_seen_ms (uint). A map without it, or with a time beyond int64
   (negative once read), is malformed, not an office last seen in 1970. */
static void test_office_read_needs_last_seen (void **state)
{
    (void)state;
    jk_office_t office;
    memset (&office, 0, sizeof office);
    strcpy (office.heartbeat.source, "32.03.10/pacet-1");
    strcpy (office.heartbeat.program, "jejak-attendance");
    office.last_seen_ms = 1700000000123;
    zmsg_t *msg = jk_office_msg (&office);
    jk_office_t got;
    assert_int_equal (jk_office_read (msg, &got), JK_OK);
    assert_int_equal (got.last_seen_ms, 1700000000123);
    zmsg_destroy (&msg);

    msg = zmsg_new ();
    zmsg_addstr (msg, JK_FEED_OFFICE);
    jk_heartbeat_add (msg, &office.heartbeat);
    assert_int_equal (jk_office_read (msg, &got), JK_INVALID);
    zmsg_destroy (&msg);

    office.last_seen_ms = -1;
    msg = jk_office_msg (&office);
    assert_int_equal (jk_office_read (msg, &got), JK_INVALID);
    zmsg_destroy (&msg);
}

/* PROTOCOL.md 3.2: a heartbeat with an empty source is answered PONG but
   not republished as $office (a board's office row needs a name); a named
   one beside it is. */
static void test_ping_empty_source (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *sub = s_subscriber (f->feed, JK_FEED_OFFICE);
    const char *sources[] = {"", "32.03.10/pacet-1"};
    zsock_t *clients[2];
    for (size_t i = 0; i < 2; i++) {
        clients[i] = jk_test_dealer (f->ingest);
        jk_heartbeat_t hb;
        memset (&hb, 0, sizeof hb);
        strcpy (hb.source, sources[i]);
        strcpy (hb.program, "jejak-attendance");
        zmsg_t *ping = jk_wire_new ("PING");
        jk_heartbeat_add (ping, &hb);
        zmsg_send (&ping, clients[i]);
        zmsg_t *pong = jk_test_recv (clients[i], S_WAIT_MS);
        assert_non_null (pong);
        char command[16];
        assert_int_equal (jk_wire_open (pong, command, sizeof command), 0);
        assert_string_equal (command, "PONG");
        zmsg_destroy (&pong);
    }
    /* Both heartbeats were held before the named one was first published:
       read until it has come twice, so every row of a whole round has. */
    for (int named = 0; named < 2; named++) {
        zmsg_t *msg = jk_test_recv (sub, 3 * JK_HEARTBEAT_MS);
        assert_non_null (msg);
        jk_office_t office;
        assert_int_equal (jk_office_read (msg, &office), 0);
        assert_string_equal (office.heartbeat.source, "32.03.10/pacet-1");
        zmsg_destroy (&msg);
    }
    for (size_t i = 0; i < 2; i++)
        zsock_destroy (&clients[i]);
    zsock_destroy (&sub);
}

/* Without a store the broker answers PONG itself with the hub's clock;
   once a store has pinged with its clock, PONG carries that clock. */
static void test_pong_clock (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *client = jk_test_dealer (f->ingest);
    jk_heartbeat_t hb;
    memset (&hb, 0, sizeof hb);
    strcpy (hb.source, "32.03.10/pacet-1");
    strcpy (hb.program, "jejak-attendance");
    zmsg_t *ping = jk_wire_new ("PING");
    jk_heartbeat_add (ping, &hb);
    int64_t before = jk_clock_now_ms ();
    zmsg_send (&ping, client);
    zmsg_t *pong = jk_test_recv (client, S_WAIT_MS);
    assert_non_null (pong);
    char command[16];
    assert_int_equal (jk_wire_open (pong, command, sizeof command), 0);
    assert_string_equal (command, "PONG");
    jk_pong_t got;
    assert_int_equal (jk_pong_decode (zframe_data (zmsg_first (pong)),
                                      zframe_size (zmsg_first (pong)), &got),
                      0);
    assert_true (got.now_ms >= before && got.now_ms <= jk_clock_now_ms ());
    assert_int_equal (got.expect, 0);
    zmsg_destroy (&pong);
    zsock_destroy (&client);
}

/* Heartbeats with a key missing or of the wrong type are E_PROTOCOL, not
   published with defaults. */
static void test_heartbeat_strict (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *client = jk_test_dealer (f->ingest);
    /* {source, program, outbox, stored_seq} without rejected; then with
       outbox as a string; then a source that is not UTF-8. */
    static const uint8_t missing[] = {
        0x84, 0xa6, 's', 'o', 'u', 'r', 'c', 'e',  0xa3, 'a',  '/',
        'b',  0xa7, 'p', 'r', 'o', 'g', 'r', 'a',  'm',  0xa1, 'x',
        0xa6, 'o',  'u', 't', 'b', 'o', 'x', 0x00, 0xaa, 's',  't',
        'o',  'r',  'e', 'd', '_', 's', 'e', 'q',  0x01};
    static const uint8_t wrong[] = {
        0x85, 0xa6, 's', 'o', 'u', 'r', 'c', 'e',  0xa3, 'a',  '/',
        'b',  0xa7, 'p', 'r', 'o', 'g', 'r', 'a',  'm',  0xa1, 'x',
        0xa6, 'o',  'u', 't', 'b', 'o', 'x', 0xa1, '1',  0xaa, 's',
        't',  'o',  'r', 'e', 'd', '_', 's', 'e',  'q',  0x01, 0xa8,
        'r',  'e',  'j', 'e', 'c', 't', 'e', 'd',  0x00};
    static const uint8_t badutf[] = {
        0x85, 0xa6, 's', 'o', 'u', 'r', 'c', 'e',  0xa3, 'a',  '/',
        0xff, 0xa7, 'p', 'r', 'o', 'g', 'r', 'a',  'm',  0xa1, 'x',
        0xa6, 'o',  'u', 't', 'b', 'o', 'x', 0x00, 0xaa, 's',  't',
        'o',  'r',  'e', 'd', '_', 's', 'e', 'q',  0x01, 0xa8, 'r',
        'e',  'j',  'e', 'c', 't', 'e', 'd', 0x00};
    const struct {
        const uint8_t *data;
        size_t size;
        const char *names;
    } cases[] = {{missing, sizeof missing, "rejected"},
                 {wrong, sizeof wrong, "outbox"},
                 {badutf, sizeof badutf, "source"}};
    for (size_t i = 0; i < 3; i++) {
        zmsg_t *ping = jk_wire_new ("PING");
        zmsg_addmem (ping, cases[i].data, cases[i].size);
        zmsg_send (&ping, client);
        zmsg_t *reply = jk_test_recv (client, S_WAIT_MS);
        assert_non_null (reply);
        char command[16];
        assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
        assert_string_equal (command, "ERROR");
        char *code = zmsg_popstr (reply), *text = zmsg_popstr (reply);
        assert_string_equal (code, "E_PROTOCOL");
        assert_non_null (strstr (text, cases[i].names));
        free (code);
        free (text);
        zmsg_destroy (&reply);
    }
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 3);
    zsock_destroy (&client);
}

/* One store at a time: a second store's PING is answered ERROR
   E_STORE_TAKEN while the first is connected, and it gets no SUBMITs;
   once the first is gone the second is taken. */
static void test_second_store (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *first = s_store (f->backend, 5);
    zsock_t *second = jk_test_dealer (f->backend);
    zmsg_t *ping = jk_wire_new ("PING");
    jk_wire_add_u64 (ping, 9);
    uint8_t hash[32] = {0};
    zmsg_addmem (ping, hash, 32);
    zmsg_send (&ping, second);
    zmsg_t *reply = jk_test_recv (second, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "ERROR");
    char *code = zmsg_popstr (reply);
    assert_string_equal (code, "E_STORE_TAKEN");
    free (code);
    zmsg_destroy (&reply);
    assert_int_equal (s_stat (f->broker, "stores_refused"), 1);
    assert_int_equal (s_stat (f->broker, "head_pos"), 5);
    /* SUBMITs still go to the first store. */
    zsock_t *client = jk_test_dealer (f->ingest);
    s_submit (client, "32.03.10/pacet-1", 1, 1);
    /* (The broker's liveness probes reach the first store as PONGs.) */
    do {
        zmsg_t *fwd = jk_test_recv (first, S_WAIT_MS);
        assert_non_null (fwd);
        assert_int_equal (jk_wire_open (fwd, command, sizeof command), 0);
        zmsg_destroy (&fwd);
    } while (streq (command, "PONG"));
    assert_string_equal (command, "SUBMIT");
    /* The first store goes away: the second one is taken at its next
       PING. */
    zsock_destroy (&first);
    int64_t deadline = jk_clock_mono_ms () + S_WAIT_MS;
    bool taken = false;
    while (!taken && jk_clock_mono_ms () < deadline) {
        ping = jk_wire_new ("PING");
        jk_wire_add_u64 (ping, 9);
        zmsg_addmem (ping, hash, 32);
        zmsg_send (&ping, second);
        reply = jk_test_recv (second, S_WAIT_MS);
        assert_non_null (reply);
        assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
        taken = streq (command, "PONG");
        zmsg_destroy (&reply);
    }
    assert_true (taken);
    assert_int_equal (s_stat (f->broker, "head_pos"), 9);
    zsock_destroy (&client);
    zsock_destroy (&second);
}

/* Each malformed message gets ERROR with the right code, is counted, and
   the same client is still served afterwards. */
static void test_protocol_errors (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *client = jk_test_dealer (f->ingest);

    zstr_send (client, "hello");
    s_expect_error (client, "E_PROTOCOL");

    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, JK_PROTOCOL); /* truncated: no command */
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");

    msg = zmsg_new ();
    zmsg_addstr (msg, "JEJAK/2");
    zmsg_addstr (msg, "SUBMIT");
    zmsg_addstr (msg, "x");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");

    msg = jk_wire_new ("FETCH");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_UNKNOWN_COMMAND");

    msg = jk_wire_new ("SUBMIT");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");

    msg = jk_wire_new ("SUBMIT");
    for (int i = 0; i < JK_SUBMIT_MAX_EVENTS + 1; i++)
        zmsg_addstr (msg, "e");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_TOO_MANY");

    msg = jk_wire_new ("PING");
    zmsg_addstr (msg, "\xc1"); /* never valid MessagePack */
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");

    msg = jk_wire_new ("PING");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");

    assert_int_equal (s_stat (f->broker, "protocol_errors"), 8);
    assert_int_equal (s_stat (f->broker, "received"), 0);

    s_submit (client, "32.03.10/pacet-1", 1, 1);
    jk_answer_t got[1];
    assert_int_equal (s_answers (client, got, 1), 1);
    assert_string_equal (got[0].code, "E_UNAVAILABLE");
    zsock_destroy (&client);
}

/* Adds to answer one ACK per event of fwd (a forwarded SUBMIT's events),
   positions counting up from *pos. True when every event's envelope
   could be read. */
static bool s_add_acks (zmsg_t *answer, zmsg_t *fwd, uint64_t *pos)
{
    bool read = true;
    for (zframe_t *ev = zmsg_first (fwd); ev; ev = zmsg_next (fwd)) {
        jk_envelope_t envelope;
        if (!jk_envelope_peek (zframe_data (ev), zframe_size (ev), &envelope))
            read = false;
        jk_answer_t a;
        memset (&a, 0, sizeof a);
        memcpy (a.id, envelope.id, 16);
        a.kind = JK_ANSWER_ACK;
        a.pos = ++*pos;
        jk_answer_add (answer, &a);
    }
    return read;
}

/* Plays the store until client has its ANSWER: every forwarded SUBMIT
   (from any client) gets one ACK per event, positions counting up from
   *pos. Returns the client's answers. */
static size_t s_pump (zsock_t *store, zsock_t *client, uint64_t *pos,
                      jk_answer_t *out, size_t max)
{
    zpoller_t *poller = zpoller_new (store, client, NULL);
    int64_t deadline = jk_clock_mono_ms () + S_WAIT_MS;
    size_t n = 0;
    while (n == 0 && jk_clock_mono_ms () < deadline) {
        void *which = zpoller_wait (poller, 100);
        if (which == client) {
            n = s_try_answers (client, out, max, 0);
            assert_true (n > 0);
        } else if (which == store) {
            zmsg_t *fwd = zmsg_recv (store);
            char command[16];
            assert_int_equal (jk_wire_open (fwd, command, sizeof command), 0);
            assert_string_equal (command, "SUBMIT");
            zframe_t *rid = zmsg_pop (fwd);
            zmsg_t *answer = jk_wire_new ("ANSWER");
            zmsg_append (answer, &rid);
            s_add_acks (answer, fwd, pos);
            zmsg_send (&answer, store);
            zmsg_destroy (&fwd);
        }
    }
    zpoller_destroy (&poller);
    return n;
}

/* A hostile client (random bytes, truncated multipart, 10k frames, a
   100 MB frame) neither crashes nor stalls the broker: a well-behaved
   client keeps getting its answers in between. */
/* The broker's counters over a socket: STATS on ingest answers the same
   text as the actor's STATS (SECURITY.md's counters reachable by an
   operator's tool, not only inside the process); with an argument frame
   it is E_PROTOCOL. */
static void test_stats_on_ingest (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *client = jk_test_dealer (f->ingest);
    s_submit (client, "32.03.10/pacet-1", 1, 3);
    jk_answer_t got[3];
    assert_int_equal (s_answers (client, got, 3), 3);
    zmsg_t *msg = jk_wire_new ("STATS");
    zmsg_send (&msg, client);
    msg = jk_test_recv (client, S_WAIT_MS);
    assert_non_null (msg);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "STATS");
    assert_int_equal (zmsg_size (msg), 1);
    char *text = zmsg_popstr (msg);
    zmsg_destroy (&msg);
    char *spaced = jk_sprintf (" %s ", text);
    assert_non_null (strstr (spaced, " received=3 "));
    assert_non_null (strstr (spaced, " unavailable=3 "));
    assert_non_null (strstr (spaced, " store=down "));
    assert_non_null (strstr (spaced, " forbidden=0 "));
    assert_non_null (strstr (spaced, " handshake_failed=0 "));
    free (spaced);
    free (text);
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 0);

    msg = jk_wire_new ("STATS");
    zmsg_addstr (msg, "extra");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 1);
    zsock_destroy (&client);
}

static void test_hostile_client (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    zsock_t *good = jk_test_dealer (f->ingest);
    zsock_t *bad = jk_test_dealer (f->ingest);
    zsock_set_sndhwm (bad, 0);
    uint64_t pos = 0;
    uint64_t seq = 1;
    unsigned seed = 42;

    for (int round = 0; round < 4; round++) {
        /* 200 messages of random frames. */
        for (int m = 0; m < 200; m++) {
            zmsg_t *msg = zmsg_new ();
            int frames = 1 + rand_r (&seed) % 6;
            for (int i = 0; i < frames; i++) {
                uint8_t buf[64];
                size_t n = (size_t)(rand_r (&seed) % (int)sizeof buf);
                for (size_t k = 0; k < n; k++)
                    buf[k] = (uint8_t)rand_r (&seed);
                zmsg_addmem (msg, buf, n);
            }
            if (m % 3 == 0) {
                zmsg_pushstr (msg, "SUBMIT");
                zmsg_pushstr (msg, JK_PROTOCOL);
            }
            zmsg_send (&msg, bad);
        }
        /* A truncated multipart: signature alone. */
        zstr_send (bad, JK_PROTOCOL);
        /* 10k frames in one SUBMIT. */
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        for (int i = 0; i < 10000; i++)
            zmsg_addmem (msg, "\x80", 1);
        zmsg_send (&msg, bad);

        s_submit (good, "32.03.10/pacet-1", seq, 10);
        seq += 10;
        jk_answer_t got[10];
        assert_int_equal (s_pump (store, good, &pos, got, 10), 10);
        assert_int_equal (got[9].pos, got[0].pos + 9);
    }

    /* A 100 MB frame exceeds ZMQ_MAXMSGSIZE: the broker drops that
       connection without reading the message whole. */
    size_t huge = 100u * 1024 * 1024;
    zframe_t *big = zframe_new (NULL, huge);
    memset (zframe_data (big), 0x5a, huge);
    zstr_sendm (bad, JK_PROTOCOL);
    zstr_sendm (bad, "SUBMIT");
    zframe_send (&big, bad, 0);
    for (int round = 0; round < 3; round++) {
        s_submit (good, "32.03.10/pacet-1", seq, 10);
        seq += 10;
        jk_answer_t got[10];
        assert_int_equal (s_pump (store, good, &pos, got, 10), 10);
        assert_int_equal (got[0].kind, JK_ANSWER_ACK);
    }
    /* Random SUBMITs (67 a round) went to the store like any other; the
       other 133 random messages, the truncated one and the 10k-frame one
       are protocol errors. The 100 MB frame is never decoded. */
    assert_true (s_stat (f->broker, "acked") >= 70);
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 4 * (133 + 2));
    zsock_destroy (&bad);
    zsock_destroy (&good);
    zsock_destroy (&store);
}

/* With a store up (the relay's way), every malformed SUBMIT or command
   is answered as without one and nothing of it reaches the store: no
   events (E_PROTOCOL), 1001 (E_TOO_MANY), not JEJAK/1, a command that is
   not upper-case letters, a command a client may not send; 1000 events
   go through whole. An agent with a routing id of 255 bytes (the most
   ZeroMQ allows) is answered; an ANSWER for an agent gone is dropped. */
static void test_relay_malformed (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    zsock_t *client = jk_test_dealer (f->ingest);

    zmsg_t *msg = jk_wire_new ("SUBMIT");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");
    msg = jk_wire_new ("SUBMIT");
    for (int i = 0; i < JK_SUBMIT_MAX_EVENTS + 1; i++)
        zmsg_addstr (msg, "e");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_TOO_MANY");
    msg = zmsg_new ();
    zmsg_addstr (msg, "JEJAK/2");
    zmsg_addstr (msg, "SUBMIT");
    zmsg_addstr (msg, "e");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");
    msg = jk_wire_new ("Submit");
    zmsg_addstr (msg, "e");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_PROTOCOL");
    msg = jk_wire_new ("ANSWER");
    zmsg_addstr (msg, "e");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_UNKNOWN_COMMAND");
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 5);
    assert_int_equal (s_stat (f->broker, "received"), 0);

    /* 1000 events: the first message the store reads, whole. */
    msg = jk_wire_new ("SUBMIT");
    for (int i = 0; i < JK_SUBMIT_MAX_EVENTS; i++)
        zmsg_addstr (msg, "e");
    zmsg_send (&msg, client);
    zframe_t *rid;
    zmsg_t *fwd = s_forwarded (store, JK_SUBMIT_MAX_EVENTS, &rid);
    for (zframe_t *e = zmsg_first (fwd); e; e = zmsg_next (fwd))
        assert_true (zframe_streq (e, "e"));
    zmsg_destroy (&fwd);

    /* A 255-byte routing id goes to the store as it is and back. */
    zsock_t *long_id = zsock_new (ZMQ_DEALER);
    zsock_set_linger (long_id, 0);
    uint8_t id[255];
    memset (id, 0x7e, sizeof id);
    assert_int_equal (
        zmq_setsockopt (zsock_resolve (long_id), ZMQ_ROUTING_ID, id, sizeof id),
        0);
    assert_int_equal (zsock_connect (long_id, "%s", f->ingest), 0);
    s_submit (long_id, "32.03.10/pacet-2", 1, 1);
    zframe_t *long_rid;
    fwd = s_forwarded (store, 1, &long_rid);
    zmsg_destroy (&fwd);
    assert_int_equal (zframe_size (long_rid), sizeof id);
    assert_memory_equal (zframe_data (long_rid), id, sizeof id);

    /* An agent gone before its ANSWER: dropped; the next one arrives. */
    zsock_t *gone = jk_test_dealer (f->ingest);
    s_submit (gone, "32.03.10/pacet-3", 1, 1);
    zframe_t *gone_rid;
    fwd = s_forwarded (store, 1, &gone_rid);
    zmsg_destroy (&fwd);
    zsock_destroy (&gone);
    jk_answer_t a;
    memset (&a, 0, sizeof a);
    a.kind = JK_ANSWER_ACK;
    a.pos = 1;
    zframe_t *answered[] = {gone_rid, long_rid, rid};
    for (size_t i = 0; i < 3; i++) {
        zmsg_t *answer = jk_wire_new ("ANSWER");
        zmsg_append (answer, &answered[i]);
        size_t n = i == 2 ? JK_SUBMIT_MAX_EVENTS : 1;
        for (size_t k = 0; k < n; k++)
            jk_answer_add (answer, &a);
        zmsg_send (&answer, store);
    }
    jk_answer_t got[JK_SUBMIT_MAX_EVENTS];
    assert_int_equal (s_answers (long_id, got, 1), 1);
    assert_int_equal (got[0].kind, JK_ANSWER_ACK);
    assert_int_equal (s_answers (client, got, JK_SUBMIT_MAX_EVENTS),
                      JK_SUBMIT_MAX_EVENTS);
    assert_int_equal (s_stat (f->broker, "received"), JK_SUBMIT_MAX_EVENTS + 2);
    assert_int_equal (s_stat (f->broker, "forwarded"),
                      JK_SUBMIT_MAX_EVENTS + 2);
    assert_int_equal (s_stat (f->broker, "acked"), JK_SUBMIT_MAX_EVENTS + 2);
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 5);
    zsock_destroy (&long_id);
    zsock_destroy (&client);
    zsock_destroy (&store);
}

/* A broker whose first receive of every part after a message's first is
   interrupted (JEJAK_FAULT=relay_interrupted, as a signal landing on the
   broker thread): each part is received again, so every message is taken
   whole. */
static int s_setup_interrupted (void **state)
{
    setenv ("JEJAK_FAULT", "relay_interrupted", 1);
    int rc = s_setup (state);
    unsetenv ("JEJAK_FAULT");
    return rc;
}

/* With every later part's receive interrupted once, the relay still
   takes each message whole: a SUBMIT reaches the store with all its
   events and its ANSWER reaches the agent with all its answers, a SUBMIT
   of 1001 events is E_TOO_MANY and nothing of it is read as a message of
   its own, and the records of a RECORDS all reach the feed. Counted as
   without the signals. */
static void test_relay_interrupted (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *store = s_store (f->backend, 0);
    zsock_t *client = jk_test_dealer (f->ingest);
    zsock_t *sub = s_subscriber (f->feed, "");
    assert_int_equal (s_wait_head (sub), 0);

    s_submit (client, "32.03.10/pacet-1", 1, 3);
    zframe_t *rid;
    zmsg_t *fwd = s_forwarded (store, 3, &rid);
    zmsg_t *answer = jk_wire_new ("ANSWER");
    zmsg_append (answer, &rid);
    uint64_t pos = 0;
    assert_true (s_add_acks (answer, fwd, &pos));
    zmsg_send (&answer, store);
    zmsg_destroy (&fwd);
    jk_answer_t got[3];
    assert_int_equal (s_answers (client, got, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (got[i].kind, JK_ANSWER_ACK);
        assert_int_equal (got[i].pos, (uint64_t)i + 1);
    }

    zmsg_t *msg = jk_wire_new ("SUBMIT");
    for (int i = 0; i < JK_SUBMIT_MAX_EVENTS + 1; i++)
        zmsg_addstr (msg, "e");
    zmsg_send (&msg, client);
    s_expect_error (client, "E_TOO_MANY");
    /* The next message the store reads is the next SUBMIT, whole. */
    s_submit (client, "32.03.10/pacet-1", 4, 2);
    fwd = s_forwarded (store, 2, &rid);
    zframe_destroy (&rid);
    zmsg_destroy (&fwd);

    uint8_t packed[512];
    size_t n = 0;
    for (uint64_t p = 1; p <= 2; p++) {
        jk_record_t r;
        s_record (&r, p);
        n += jk_records_put (packed + n, &r);
    }
    msg = jk_wire_new ("RECORDS");
    zmsg_addmem (msg, packed, n);
    zmsg_send (&msg, store);
    uint64_t next = 1;
    while (next <= 2) {
        msg = jk_test_recv (sub, S_WAIT_MS);
        assert_non_null (msg);
        jk_record_t record;
        assert_int_equal (jk_record_read (msg, &record), 0);
        if (record.topic[0] != '$')
            assert_int_equal (record.pos, next++);
        zmsg_destroy (&msg);
    }
    assert_int_equal (s_stat (f->broker, "received"), 5);
    assert_int_equal (s_stat (f->broker, "forwarded"), 5);
    assert_int_equal (s_stat (f->broker, "acked"), 3);
    assert_int_equal (s_stat (f->broker, "feed_published"), 2);
    assert_int_equal (s_stat (f->broker, "protocol_errors"), 1);
    zsock_destroy (&sub);
    zsock_destroy (&client);
    zsock_destroy (&store);
}

/* A second broker on the same endpoint fails to start; the reason is
   logged. */
static void test_bind_failure (void **state)
{
    s_fixture_t *f = *state;
    char *backend2 = jk_test_endpoint (f->dir, "backend2");
    char *feed2 = jk_test_endpoint (f->dir, "feed2");
    jk_broker_config_t config = {
        "tcp://256.0.0.1:1", feed2, backend2, 0, NULL, NULL};
    zactor_t *broker = jk_broker_start (&config);
    assert_null (broker);
    free (backend2);
    free (feed2);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_office_read_needs_last_seen),
        cmocka_unit_test_setup_teardown (test_submit_routed, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_store_absent, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_answer_frames_passed_on, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_backend_full_busy, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_store_gone_and_back, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_store_silent, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_records_fan_out, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_publish_and_head, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_ping_empty_source, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_ping_office, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pong_clock, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_heartbeat_strict, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_second_store, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_protocol_errors, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_stats_on_ingest, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_hostile_client, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_relay_malformed, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_relay_interrupted,
                                         s_setup_interrupted, s_teardown),
        cmocka_unit_test_setup_teardown (test_bind_failure, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
