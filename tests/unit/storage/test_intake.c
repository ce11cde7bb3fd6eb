/*  test_intake.c - the store's intake: SUBMITs taken off the backend
    socket part by part into the batch's bytes (no frame objects). The
    SUBMIT limits (1000 events answered, 1001 and none ignored as
    malformed, a missing routing id), SUBMITs of several clients in one
    batch answered each to its own routing id, in order; a heartbeat
    taken while a batch commits answered after the batch, from the
    committed seqs; and bytes handed to the projector that outlive their
    batch: many small batches pipelined, so the batches' buffers are
    reused and let go while hand-offs still hold them, and the live
    projections still equal a rebuild of the log (run under ASan too). */
#include "test_store_harness.h"

#include <stdlib.h>

/* Sends [JEJAK/1][SUBMIT][client][event]... to the store; with client
   NULL, no routing id (nor events). */
static void s_send (h_t *h, const char *client, size_t count, uint8_t **bytes,
                    size_t *sizes)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){zframe_dup (h->store_id)});
    zmsg_addstr (msg, JK_PROTOCOL);
    zmsg_addstr (msg, "SUBMIT");
    if (client)
        zmsg_addstr (msg, client);
    for (size_t i = 0; i < count; i++)
        zmsg_addmem (msg, bytes[i], sizes[i]);
    assert_int_equal (zmsg_send (&msg, h->broker), 0);
}

/* The next message on the stand-in broker that is not a PING or
   RECORDS (those are noted), with its command in command; NULL on
   timeout. */
static zmsg_t *s_next (h_t *h, char *command)
{
    int64_t deadline = jk_clock_mono_ms () + H_WAIT_MS;
    while (jk_clock_mono_ms () < deadline) {
        zmsg_t *msg = h_broker_recv (h, 100);
        if (!msg)
            continue;
        const char *seen = h_note (h, msg);
        if (!streq (seen, "PING") && !streq (seen, "RECORDS")) {
            snprintf (command, 16, "%s", seen);
            return msg;
        }
        zmsg_destroy (&msg);
    }
    return NULL;
}

/* Receives the next ANSWER: it must go to client and hold count ACKs at
   positions first, first + 1 ... */
static void s_expect_acks (h_t *h, const char *client, size_t count,
                           uint64_t first)
{
    char command[16];
    zmsg_t *msg = s_next (h, command);
    assert_non_null (msg);
    assert_string_equal (command, "ANSWER");
    char *to = zmsg_popstr (msg);
    assert_string_equal (to, client);
    free (to);
    assert_int_equal (zmsg_size (msg), count);
    size_t i = 0;
    for (zframe_t *frame = zmsg_first (msg); frame;
         frame = zmsg_next (msg), i++) {
        jk_answer_t answer;
        assert_int_equal (jk_answer_decode (zframe_data (frame),
                                            zframe_size (frame), &answer),
                          0);
        if (answer.kind != JK_ANSWER_ACK || answer.pos != first + i)
            fail_msg ("answer %zu to %s: %s %s at %llu, expected ACK at %llu",
                      i, client, jk_answer_kind_name (answer.kind), answer.code,
                      (unsigned long long)answer.pos,
                      (unsigned long long)(first + i));
    }
    zmsg_destroy (&msg);
}

/* count cooperative.registered events of source with seqs from first,
   legal numbers from number. */
static void s_events (const char *source, uint64_t first, int number,
                      size_t count, uint8_t **bytes, size_t *sizes)
{
    for (size_t i = 0; i < count; i++)
        bytes[i] = h_cooperative (source, first + i, number + (int)i, H_DESA,
                                  &sizes[i]);
}

/* A cooperative.registered of source with seq and an address of size
   bytes (over 4096: logged as a rejection, E_FIELD_LENGTH). */
static uint8_t *s_big (const char *source, uint64_t seq, size_t size,
                       size_t *out)
{
    char *address = jk_malloc (size + 1);
    memset (address, 'a', size);
    address[size] = 0;
    jk_event_t *event =
        jk_event_new (jk_vocabulary_find ("cooperative.registered", 22));
    jk_event_set_source (event, source);
    jk_event_set_actor (event, "operator-1");
    event->seq = seq;
    h_set (event, "legal_number", "AHU-0000001.AH.01.26");
    h_set (event, "address", address);
    uint8_t *bytes = h_encode (&event, out);
    free (address);
    return bytes;
}

static void s_free (uint8_t **bytes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (bytes[i]);
}

/* 1000 events in a SUBMIT are answered; 1001, none, or no routing id
   make the SUBMIT malformed: counted, nothing of it answered, logged or
   counted as received, and the store goes on with the next one. A batch
   of 2 MB of events (a buffer not kept for the next batch) is answered
   whole, and so is the SUBMIT after it. */
static void test_submit_limits (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "intake-limits");
    h_start_store (&h, 0);
    enum { MAX = JK_SUBMIT_MAX_EVENTS };
    uint8_t *bytes[MAX + 1];
    size_t sizes[MAX + 1];
    s_events (H_SOURCE, 1, 1, MAX + 1, bytes, sizes);
    s_send (&h, "client-1", MAX, bytes, sizes);
    s_expect_acks (&h, "client-1", MAX, 1);
    /* 1001 events: seq 1001 would be next, but nothing is taken. */
    uint8_t *more[MAX + 1];
    size_t more_sizes[MAX + 1];
    s_events (H_SOURCE, MAX + 1, MAX + 1, MAX + 1, more, more_sizes);
    s_send (&h, "client-1", MAX + 1, more, more_sizes);
    s_send (&h, "client-1", 0, NULL, NULL);
    s_send (&h, NULL, 0, NULL, NULL);
    assert_true (h_wait_stat (&h, "malformed", 3));
    /* The next SUBMIT takes seq 1001 at position 1001. */
    s_send (&h, "client-1", 1, more, more_sizes);
    s_expect_acks (&h, "client-1", 1, MAX + 1);
    enum { BIG = 500 };
    uint8_t *big[BIG];
    size_t big_sizes[BIG];
    for (size_t i = 0; i < BIG; i++)
        big[i] = s_big (H_SOURCE, MAX + 2 + i, 4400, &big_sizes[i]);
    jk_answer_t answers[BIG];
    h_submit (&h, BIG, big, big_sizes, answers);
    for (size_t i = 0; i < BIG; i++) {
        assert_int_equal (answers[i].kind, JK_ANSWER_REJECTED);
        assert_string_equal (answers[i].code, "E_FIELD_LENGTH");
        assert_int_equal (answers[i].pos, MAX + 2 + i);
    }
    s_free (big, BIG);
    s_send (&h, "client-1", 1, more + 1 + BIG, more_sizes + 1 + BIG);
    s_expect_acks (&h, "client-1", 1, MAX + 2 + BIG);
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"),
                      MAX + 2 + BIG);
    assert_int_equal (h_stat (&h, "received"), MAX + 2 + BIG);
    assert_int_equal (h_stat (&h, "accepted"), MAX + 2);
    assert_int_equal (h_stat (&h, "malformed"), 3);
    s_free (bytes, MAX + 1);
    s_free (more, MAX + 1);
    h_teardown (&h);
}

/* SUBMITs of three clients, sent at once, interleaved with messages the
   store ignores: each client gets its own ANSWER, in the order sent,
   with its events' positions in that order. */
static void test_clients_in_one_batch (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "intake-clients");
    h_start_store (&h, 0);
    enum { EACH = 7, ROUNDS = 5 };
    const char *clients[] = {"client-a", "b", "client-c-with-a-longer-id"};
    uint64_t pos = 1;
    for (int round = 0; round < ROUNDS; round++)
        for (int c = 0; c < 3; c++) {
            uint8_t *bytes[EACH];
            size_t sizes[EACH];
            char source[32];
            snprintf (source, sizeof source, "32.03.01/intake-%d", c);
            s_events (source, (uint64_t)round * EACH + 1,
                      c * 1000 + round * EACH + 1, EACH, bytes, sizes);
            s_send (&h, clients[c], EACH, bytes, sizes);
            s_free (bytes, EACH);
            /* Not the protocol: ignored, counted. */
            zmsg_t *msg = zmsg_new ();
            zmsg_append (msg, &(zframe_t *){zframe_dup (h.store_id)});
            zmsg_addstr (msg, "NOT-JEJAK");
            zmsg_addstr (msg, "SUBMIT");
            zmsg_addstr (msg, clients[c]);
            assert_int_equal (zmsg_send (&msg, h.broker), 0);
        }
    for (int round = 0; round < ROUNDS; round++)
        for (int c = 0; c < 3; c++, pos += EACH)
            s_expect_acks (&h, clients[c], EACH, pos);
    assert_true (h_wait_stat (&h, "malformed", ROUNDS * 3));
    assert_int_equal (h_stat (&h, "accepted"), ROUNDS * 3 * EACH);
    h_teardown (&h);
}

/* A SUBMIT of a full batch (1000 events), a heartbeat that holds
   receipts for all of them, and another SUBMIT, sent at once: the
   heartbeat is taken while the first batch commits (or after), and is
   answered after it, from the committed seqs: in step (no rewind), after
   the first ANSWER and before the second. */
static void test_heartbeat_during_commit (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "intake-heartbeat");
    h_start_store (&h, 0);
    enum { MAX = JK_SUBMIT_MAX_EVENTS, NEXT = 10 };
    uint8_t *bytes[MAX + NEXT];
    size_t sizes[MAX + NEXT];
    s_events (H_SOURCE, 1, 1, MAX + NEXT, bytes, sizes);
    s_send (&h, "client-1", MAX, bytes, sizes);
    h_heartbeat (&h, MAX);
    s_send (&h, "client-1", NEXT, bytes + MAX, sizes + MAX);
    s_expect_acks (&h, "client-1", MAX, 1);
    char command[16];
    zmsg_t *pong = s_next (&h, command);
    assert_non_null (pong);
    assert_string_equal (command, "PONG");
    char *client = zmsg_popstr (pong);
    assert_string_equal (client, "client-1");
    free (client);
    assert_int_equal (zmsg_size (pong), 1);
    jk_pong_t p;
    assert_int_equal (jk_pong_decode (zframe_data (zmsg_first (pong)),
                                      zframe_size (zmsg_first (pong)), &p),
                      0);
    assert_int_equal (p.expect, 0);
    zmsg_destroy (&pong);
    s_expect_acks (&h, "client-1", NEXT, MAX + 1);
    assert_int_equal (h_stat (&h, "rewinds"), 0);
    assert_int_equal (h_stat (&h, "malformed"), 0);
    s_free (bytes, MAX + NEXT);
    h_teardown (&h);
}

#define S_EVENTS 6000
#define S_SUBMIT 20
#define S_BATCH  40 /* small batches: many hand-offs at once */

/* The projector applies the events the writer decoded, which point into
   the batch's bytes, after the batch has been answered and its buffer
   taken back. A workload of every type in SUBMITs of 20 sent all at
   once, batches of 40 events: many hand-offs wait at a time, so
   buffers are kept, reused and let go while the projector holds them.
   Every answer is the expected one at its position, and the live
   projections equal those rebuilt from the log. */
static void test_bytes_outlive_batch (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "intake-bytes");
    jk_workload_config_t config = {.events = S_EVENTS, .reject_share = 0.05};
    jk_workload_t *workload = jk_workload_new (11, &config);
    jk_clock_set (jk_workload_end_ms (workload) + 60000);
    jk_store_config_t store = {.db_path = h.db,
                               .backend = h.backend,
                               .query = h.query,
                               .batch_max = S_BATCH};
    h.store = jk_store_start (&store);
    assert_non_null (h.store);
    h_wait_ping (&h);

    static char expected[S_EVENTS][JK_CODE_MAX];
    size_t rejected = 0;
    for (size_t sent = 0; sent < S_EVENTS; sent += S_SUBMIT) {
        uint8_t *bytes[S_SUBMIT];
        size_t sizes[S_SUBMIT];
        rejected +=
            h_workload_take (workload, S_SUBMIT, bytes, sizes, expected + sent);
        h_send_submit (&h, S_SUBMIT, bytes, sizes);
        s_free (bytes, S_SUBMIT);
    }
    jk_workload_destroy (&workload);
    for (size_t done = 0; done < S_EVENTS; done += S_SUBMIT) {
        jk_answer_t answers[S_SUBMIT];
        assert_int_equal (h_recv_answer (&h, S_SUBMIT, answers, H_WAIT_MS), 0);
        h_answers_expected (answers, expected + done, S_SUBMIT, done + 1);
    }
    assert_true (rejected > 0);
    /* Many batches (a batch takes SUBMITs until it holds S_BATCH events
       or more): the buffers went round. */
    assert_true (h_stat (&h, "batches") >= S_EVENTS / S_BATCH);
    zactor_destroy (&h.store);

    char *rebuilt = jk_sprintf ("%s/rebuilt.db", h.dir);
    h_rebuilt_equal (h.db, rebuilt, S_EVENTS, rejected);
    free (rebuilt);
    jk_clock_set (0);
    h_teardown (&h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_submit_limits),
        cmocka_unit_test (test_clients_in_one_batch),
        cmocka_unit_test (test_heartbeat_during_commit),
        cmocka_unit_test (test_bytes_outlive_batch),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
