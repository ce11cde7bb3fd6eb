/*  test_store.c - the store actor's decisions over real sockets and a real
    SQLite file: ACK, DUPLICATE, E_ID_CONFLICT, E_SEQ_GAP, E_SEQ_TAKEN,
    rejections that use up their seq, group commit, publishing order, and
    SQLite failures that must leave no answer and no partial state. */
#include "test_store_harness.h"
#include "jk_integrity.h"
#include "jk_projector.h"
#include "jk_tree.h"
#include "workload.h"

#include <stdlib.h>
#include <sys/stat.h>

/* Append, then resubmit: the same position and hash come back. */
static void test_ack_and_duplicate (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-ack");
    h_start_store (&h, 0);
    size_t size;
    uint8_t *bytes = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    jk_answer_t a = h_submit_one (&h, bytes, size);
    assert_int_equal (a.kind, JK_ANSWER_ACK);
    assert_int_equal (a.pos, 1);
    uint8_t stored[32];
    h_stored_hash (h.db, 1, stored);
    assert_memory_equal (a.hash, stored, 32);

    jk_answer_t d = h_submit_one (&h, bytes, size);
    assert_int_equal (d.kind, JK_ANSWER_DUPLICATE);
    assert_int_equal (d.pos, 1);
    assert_memory_equal (d.hash, stored, 32);
    assert_string_equal (d.code, "");
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), 1);

    /* Same id, different bytes: a conflict, never an overwrite. */
    jk_report_t report;
    jk_event_t *event = jk_event_decode (bytes, size, &report);
    assert_non_null (event);
    jk_event_set_uint (event, "members_male", 99);
    size_t other_size;
    uint8_t *other = jk_event_encode (event, &other_size);
    jk_event_destroy (&event);
    jk_answer_t c = h_submit_one (&h, other, other_size);
    assert_int_equal (c.kind, JK_ANSWER_NACK);
    assert_string_equal (c.code, "E_ID_CONFLICT");
    assert_non_null (strstr (c.message, "position 1"));
    free (other);

    /* Same id, other bytes, and the source's next seq: the store does not
       search the log by id for that seq; the log's UNIQUE index refuses
       the row and the answer is the same conflict. Nothing is appended,
       and the transaction goes on: the next event takes position 2. */
    event = jk_event_decode (bytes, size, &report);
    assert_non_null (event);
    event->seq = 2;
    uint8_t *reused = jk_event_encode (event, &other_size);
    jk_event_destroy (&event);
    c = h_submit_one (&h, reused, other_size);
    assert_int_equal (c.kind, JK_ANSWER_NACK);
    assert_string_equal (c.code, "E_ID_CONFLICT");
    assert_non_null (strstr (c.message, "position 1"));
    free (reused);
    free (bytes);
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), 1);
    bytes = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size);
    a = h_submit_one (&h, bytes, size);
    assert_int_equal (a.kind, JK_ANSWER_ACK);
    assert_int_equal (a.pos, 2);
    free (bytes);

    assert_int_equal (h_stat (&h, "accepted"), 2);
    assert_int_equal (h_stat (&h, "duplicates"), 1);
    assert_int_equal (h_stat (&h, "nacked"), 2);
    /* Exactly the two records published, after the answers. */
    assert_true (h_wait_published (&h, 2));
    h_teardown (&h);
}

/* Seq rules: a gap names the expected seq, a lower seq is taken, and a
   rejected event uses its seq so the next one flows on. */
static void test_seq_and_rejection (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-seq");
    h_start_store (&h, 0);
    size_t size;
    uint8_t *first = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    assert_int_equal (h_submit_one (&h, first, size).kind, JK_ANSWER_ACK);
    free (first);

    uint8_t *gap = h_cooperative (H_SOURCE, 5, 5, H_DESA, &size);
    jk_answer_t a = h_submit_one (&h, gap, size);
    assert_int_equal (a.kind, JK_ANSWER_NACK);
    assert_string_equal (a.code, "E_SEQ_GAP");
    assert_int_equal (a.expected, 2);
    assert_true (jk_answer_retryable (&a));
    free (gap);

    uint8_t *taken = h_cooperative (H_SOURCE, 1, 7, H_DESA, &size);
    a = h_submit_one (&h, taken, size);
    assert_int_equal (a.kind, JK_ANSWER_NACK);
    assert_string_equal (a.code, "E_SEQ_TAKEN");
    free (taken);

    /* An unknown desa is a format rejection: logged, seq used up. */
    size_t bad_size;
    uint8_t *bad = h_cooperative (H_SOURCE, 2, 2, H_BAD_DESA, &bad_size);
    jk_answer_t r = h_submit_one (&h, bad, bad_size);
    assert_int_equal (r.kind, JK_ANSWER_REJECTED);
    assert_int_equal (r.pos, 2);
    assert_string_equal (r.code, "E_REGION");
    assert_non_null (strstr (r.message, "desa_code"));

    uint8_t *next = h_cooperative (H_SOURCE, 3, 3, H_DESA, &size);
    a = h_submit_one (&h, next, size);
    assert_int_equal (a.kind, JK_ANSWER_ACK);
    assert_int_equal (a.pos, 3);
    free (next);

    /* The rejection resubmitted: the same rejection, original position. */
    jk_answer_t d = h_submit_one (&h, bad, bad_size);
    assert_int_equal (d.kind, JK_ANSWER_DUPLICATE);
    assert_int_equal (d.pos, 2);
    assert_memory_equal (d.hash, r.hash, 32);
    assert_string_equal (d.code, "E_REGION");
    assert_string_equal (d.message, r.message);
    free (bad);

    assert_int_equal (h_count (h.db,
                               "SELECT count(*) FROM log WHERE outcome = 1 AND "
                               "code = 'E_REGION' AND seq = 2"),
                      1);
    assert_int_equal (h_count (h.db, "SELECT max(seq) FROM log"), 3);
    /* Undecodable bytes: protocol error, not logged. */
    uint8_t junk[] = {0xc1, 0x00, 0x01};
    a = h_submit_one (&h, junk, sizeof junk);
    assert_int_equal (a.kind, JK_ANSWER_NACK);
    assert_string_equal (a.code, "E_DECODE");
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), 3);
    /* Every record, the rejection too, was handed to the projector: it
       read none from the log, and stands at the log's head with the
       log's hash there; its projections are a rebuild's. */
    assert_true (h_wait_stat (&h, "projected", 3));
    assert_int_equal (h_stat (&h, "projected_from_log"), 0);
    zactor_destroy (&h.store);
    char err[256];
    sqlite3 *db = jk_projections_open_read (h.db, err, sizeof err);
    assert_non_null (db);
    uint64_t pos;
    uint8_t hash[32], stored[32];
    assert_int_equal (jk_projections_position (db, &pos, hash), JK_OK);
    sqlite3_close (db);
    assert_int_equal (pos, 3);
    h_stored_hash (h.db, 3, stored);
    assert_memory_equal (hash, stored, 32);
    char *rebuilt = jk_sprintf ("%s/rebuilt.db", h.dir);
    h_rebuilt_equal (h.db, rebuilt, 3, 1);
    free (rebuilt);
    h_teardown (&h);
}

/* One SUBMIT of many events: answers in submission order, records
   published in position order after the answer; the same event twice in
   one batch is a duplicate of itself. */
static void test_batch_order (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-batch");
    h_start_store (&h, 0);
    enum { N = 200 };
    uint8_t *bytes[N + 1];
    size_t sizes[N + 1];
    for (int i = 0; i < N; i++)
        bytes[i] = h_cooperative (H_SOURCE, (uint64_t)i + 1, i + 1,
                                  i % 10 == 9 ? H_BAD_DESA : H_DESA, &sizes[i]);
    bytes[N] = bytes[0];
    sizes[N] = sizes[0];
    jk_answer_t answers[N + 1];
    h_submit (&h, N + 1, bytes, sizes, answers);
    for (int i = 0; i < N; i++) {
        assert_int_equal (answers[i].pos, (uint64_t)i + 1);
        assert_int_equal (answers[i].kind,
                          i % 10 == 9 ? JK_ANSWER_REJECTED : JK_ANSWER_ACK);
    }
    assert_int_equal (answers[N].kind, JK_ANSWER_DUPLICATE);
    assert_int_equal (answers[N].pos, 1);
    /* Records follow the answer, in position order. */
    assert_true (h_wait_published (&h, N));
    for (int i = 0; i < N; i++)
        assert_int_equal (h.published[i], (uint64_t)i + 1);
    assert_string_equal (h.topics[0], "cooperative.registered");
    assert_string_equal (h.topics[9], "rejected.cooperative.registered");
    for (int i = 0; i < N; i++)
        free (bytes[i]);
    assert_int_equal (h_stat (&h, "batches"), 1);
    h_teardown (&h);
}

/* A batch whose records pass 4 MiB goes to the broker as several
   RECORDS (PROTOCOL.md): 1,000 events with a 4,400-byte address (each
   logged as a rejection, bytes and all) make two, the records in
   position order across them, and the tree thread, handed the same
   frames, grows to every record. */
static void test_records_cut (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-cut");
    h_start_store (&h, 0);
    enum { N = 1000 };
    char address[4401];
    memset (address, 'a', 4400);
    address[4400] = 0;
    uint8_t *bytes[N];
    size_t sizes[N], total = 0;
    for (int i = 0; i < N; i++) {
        jk_event_t *event =
            jk_event_new (jk_vocabulary_find ("cooperative.registered", 22));
        jk_event_set_source (event, H_SOURCE);
        jk_event_set_actor (event, "operator-1");
        event->seq = (uint64_t)i + 1;
        h_set (event, "legal_number", "AHU-0000001.AH.01.26");
        h_set (event, "address", address);
        bytes[i] = h_encode (&event, &sizes[i]);
        total += sizes[i];
    }
    assert_true (total > 4 * 1024 * 1024);
    jk_answer_t answers[N];
    h_submit (&h, N, bytes, sizes, answers);
    for (int i = 0; i < N; i++) {
        assert_int_equal (answers[i].kind, JK_ANSWER_REJECTED);
        assert_int_equal (answers[i].pos, (uint64_t)i + 1);
        free (bytes[i]);
    }
    assert_true (h_wait_published (&h, N));
    for (int i = 0; i < N; i++)
        assert_int_equal (h.published[i], (uint64_t)i + 1);
    assert_int_equal (h.records_messages, 2);
    assert_string_equal (h.topics[63], "rejected.cooperative.registered");
    assert_true (h_wait_stat (&h, "tree", N));
    h_teardown (&h);
}

/* The decode stage ahead of the writer: 30 SUBMITs of 100 events sent
   at once are decoded and validated a batch ahead while the writer
   decides and commits the one before. Answers still come in submission
   order with exact codes (every 10th event E_REGION, logged; bytes that
   do not decode E_DECODE and seq 0 E_ENVELOPE_SEQ, not logged), the
   positions run 1, 2, 3 ... without a gap, recorded_at never decreases
   along the log, and all records of one batch share one recorded_at (no
   more distinct times than committed batches). */
static void test_decode_stage_pipeline (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-stage");
    h_start_store (&h, 0);
    enum { SUBMITS = 30, EACH = 100 };
    uint8_t junk[] = {0xc1, 0x00, 0x01};
    uint8_t *bytes[EACH + 2];
    size_t sizes[EACH + 2];
    uint64_t seq = 1;
    for (int s = 0; s < SUBMITS; s++) {
        for (int i = 0; i < EACH; i++, seq++)
            bytes[i] =
                h_cooperative (H_SOURCE, seq, (int)seq,
                               seq % 10 == 0 ? H_BAD_DESA : H_DESA, &sizes[i]);
        bytes[EACH] = junk;
        sizes[EACH] = sizeof junk;
        bytes[EACH + 1] =
            h_cooperative (H_SOURCE, 0, 0, H_DESA, &sizes[EACH + 1]);
        h_send_submit (&h, EACH + 2, bytes, sizes);
        for (int i = 0; i < EACH; i++)
            free (bytes[i]);
        free (bytes[EACH + 1]);
    }
    uint64_t pos = 1;
    for (int s = 0; s < SUBMITS; s++) {
        jk_answer_t answers[EACH + 2];
        assert_int_equal (h_recv_answer (&h, EACH + 2, answers, H_WAIT_MS), 0);
        for (int i = 0; i < EACH; i++, pos++) {
            assert_int_equal (answers[i].pos, pos);
            assert_int_equal (answers[i].kind, pos % 10 == 0
                                                   ? JK_ANSWER_REJECTED
                                                   : JK_ANSWER_ACK);
            if (pos % 10 == 0)
                assert_string_equal (answers[i].code, "E_REGION");
        }
        assert_int_equal (answers[EACH].kind, JK_ANSWER_NACK);
        assert_string_equal (answers[EACH].code, "E_DECODE");
        assert_int_equal (answers[EACH + 1].kind, JK_ANSWER_NACK);
        assert_string_equal (answers[EACH + 1].code, "E_ENVELOPE_SEQ");
    }
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"),
                      SUBMITS * EACH);
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log WHERE"
                                     " outcome = 1 AND code = 'E_REGION'"),
                      SUBMITS * EACH / 10);
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log a JOIN log b"
                                     " ON b.pos = a.pos + 1"
                                     " WHERE b.recorded_at < a.recorded_at"),
                      0);
    int64_t times =
        h_count (h.db, "SELECT count(DISTINCT recorded_at) FROM log");
    assert_true (times >= 1);
    assert_true ((uint64_t)times <= h_stat (&h, "batches"));
    assert_int_equal (h_stat (&h, "nacked"), 2 * SUBMITS);
    h_teardown (&h);
}

/* A commit SQLite refuses (the injected commit-hook veto): no answer, no
   row, no seq used; the resubmission is then stored at position 1. */
static void test_commit_failure (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-fail");
    setenv ("JEJAK_FAULT", "fail_commit", 1);
    h_start_store (&h, 0);
    unsetenv ("JEJAK_FAULT");
    size_t size;
    uint8_t *bytes = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    h_send_submit (&h, 1, &bytes, &size);
    assert_true (h_wait_stat (&h, "failed_batches", 1));
    /* The batch is over: had an answer been sent it would be queued. */
    jk_answer_t a;
    assert_int_equal (h_recv_answer (&h, 1, &a, 0), -1);
    assert_int_equal (h.publish_count, 0);
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), 0);
    assert_int_equal (h_stat (&h, "head"), 0);

    a = h_submit_one (&h, bytes, size);
    assert_int_equal (a.kind, JK_ANSWER_ACK);
    assert_int_equal (a.pos, 1);
    free (bytes);
    h_teardown (&h);
}

/* Another process holds the write lock: BEGIN fails after the busy
   timeout, nothing is answered, and once the lock is gone the same event
   is stored with the right position and seq. */
static void test_locked_database (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-lock");
    h_start_store (&h, 50);
    size_t size;
    uint8_t *first = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    assert_int_equal (h_submit_one (&h, first, size).pos, 1);
    free (first);

    sqlite3 *other = NULL;
    assert_int_equal (sqlite3_open (h.db, &other), SQLITE_OK);
    assert_int_equal (sqlite3_exec (other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                      SQLITE_OK);
    uint8_t *second = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size);
    h_send_submit (&h, 1, &second, &size);
    assert_true (h_wait_stat (&h, "failed_batches", 1));
    jk_answer_t a;
    assert_int_equal (h_recv_answer (&h, 1, &a, 0), -1);
    sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close (other);

    a = h_submit_one (&h, second, size);
    assert_int_equal (a.kind, JK_ANSWER_ACK);
    assert_int_equal (a.pos, 2);
    free (second);
    h_teardown (&h);
}

/* Restart: the head, the dedup and the per-source seq survive. */
static void test_restart_keeps_state (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-restart");
    h_start_store (&h, 0);
    size_t size1, size2;
    uint8_t *one = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size1);
    uint8_t *two = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size2);
    jk_answer_t a1 = h_submit_one (&h, one, size1);
    assert_int_equal (h_submit_one (&h, two, size2).pos, 2);
    zactor_destroy (&h.store);

    h_start_store (&h, 0);
    jk_answer_t d = h_submit_one (&h, one, size1);
    assert_int_equal (d.kind, JK_ANSWER_DUPLICATE);
    assert_int_equal (d.pos, 1);
    assert_memory_equal (d.hash, a1.hash, 32);
    size_t size3;
    uint8_t *three = h_cooperative (H_SOURCE, 4, 4, H_DESA, &size3);
    jk_answer_t g = h_submit_one (&h, three, size3);
    assert_string_equal (g.code, "E_SEQ_GAP");
    assert_int_equal (g.expected, 3);
    free (one);
    free (two);
    free (three);
    jk_verify_result_t result;
    zactor_destroy (&h.store);
    assert_int_equal (jk_log_verify (h.db, NULL, &result, NULL, NULL), JK_OK);
    assert_int_equal (result.records, 2);
    h_teardown (&h);
}

/* Malformed backend messages are counted and ignored. */
static void test_malformed_backend (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-malformed");
    h_start_store (&h, 0);
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){zframe_dup (h.store_id)});
    zmsg_addstr (msg, "NOT-JEJAK");
    zmsg_send (&msg, h.broker);
    msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){zframe_dup (h.store_id)});
    zmsg_addstr (msg, JK_PROTOCOL);
    zmsg_addstr (msg, "SUBMIT");
    zmsg_addstr (msg, "client-without-events");
    zmsg_send (&msg, h.broker);
    assert_true (h_wait_stat (&h, "malformed", 2));
    size_t size;
    uint8_t *bytes = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    assert_int_equal (h_submit_one (&h, bytes, size).kind, JK_ANSWER_ACK);
    free (bytes);
    h_teardown (&h);
}

/* The clock pinned at t (ms) and a store started in h whose log holds
   one accepted record, recorded at t. */
static void s_store_at (h_t *h, const char *name, int64_t t)
{
    jk_clock_set (t);
    h_setup_dirs (h, name);
    h_start_store (h, 0);
    size_t size;
    uint8_t *one = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    assert_int_equal (h_submit_one (h, one, size).kind, JK_ANSWER_ACK);
    free (one);
}

/* The store's clock went back more than the tolerance behind the log's
   last recorded_at: nothing is appended, the answer is the retryable
   NACK E_STORE_CLOCK (counted), and within the tolerance the time is held
   at the log's last recorded_at. Before, the store clamped in silence. */
static void test_store_clock_behind (void **state)
{
    (void)state;
    const int64_t t = 1760000000000;
    h_t h;
    s_store_at (&h, "store-clock", t);
    size_t size;
    jk_clock_set (t - JK_STORE_CLOCK_TOLERANCE_MS - 1);
    uint8_t *two = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size);
    jk_answer_t a = h_submit_one (&h, two, size);
    assert_int_equal (a.kind, JK_ANSWER_NACK);
    assert_string_equal (a.code, "E_STORE_CLOCK");
    assert_non_null (strstr (a.message, "2001 ms behind"));
    assert_true (jk_answer_retryable (&a));
    assert_int_equal (h_stat (&h, "clock_refused"), 1);
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), 1);
    /* Within the tolerance: appended at the log's last time. */
    jk_clock_set (t - JK_STORE_CLOCK_TOLERANCE_MS);
    a = h_submit_one (&h, two, size);
    assert_int_equal (a.kind, JK_ANSWER_ACK);
    assert_int_equal (a.pos, 2);
    assert_int_equal (h_count (h.db,
                               "SELECT recorded_at - 1760000000000 FROM log "
                               "WHERE pos = 2"),
                      0);
    free (two);
    /* An office clock far ahead of the store: accepted, with the warning
       in the data-quality projection. */
    jk_clock_set (t);
    jk_report_t report;
    uint8_t *three = h_cooperative (H_SOURCE, 3, 3, H_DESA, &size);
    jk_event_t *event = jk_event_decode (three, size, &report);
    event->at = t + 3600 * 1000;
    /* The decoded event points into three (zero-copy): encode, then free. */
    uint8_t *ahead = h_encode (&event, &size);
    free (three);
    a = h_submit_one (&h, ahead, size);
    assert_int_equal (a.kind, JK_ANSWER_ACK);
    free (ahead);
    jk_clock_set (0);
    h_teardown (&h);
}

/* An event refused for the clock in a batch whose commit fails is not
   answered, so it is not counted: clock_refused counts the answers
   E_STORE_CLOCK, once each, when the event comes again. (Counted when
   planned, it was counted each time it was planned.) */
static void test_store_clock_counted_once (void **state)
{
    (void)state;
    const int64_t t = 1760000000000;
    h_t h;
    s_store_at (&h, "store-clock-once", t);
    size_t size;
    zactor_destroy (&h.store);

    setenv ("JEJAK_FAULT", "fail_commit", 1);
    h_start_store (&h, 0);
    unsetenv ("JEJAK_FAULT");
    jk_clock_set (t - JK_STORE_CLOCK_TOLERANCE_MS - 1);
    uint8_t *two = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size);
    h_send_submit (&h, 1, &two, &size);
    assert_true (h_wait_stat (&h, "failed_batches", 1));
    jk_answer_t a;
    assert_int_equal (h_recv_answer (&h, 1, &a, 0), -1);
    assert_int_equal (h_stat (&h, "clock_refused"), 0);
    a = h_submit_one (&h, two, size);
    assert_int_equal (a.kind, JK_ANSWER_NACK);
    assert_string_equal (a.code, "E_STORE_CLOCK");
    assert_int_equal (h_stat (&h, "clock_refused"), 1);
    assert_int_equal (h_stat (&h, "nacked"), 1);
    free (two);
    jk_clock_set (0);
    h_teardown (&h);
}

/* Receives the next message with the given command on the stand-in
   broker (others are noted and skipped); NULL on timeout. */
static zmsg_t *s_broker_expect (h_t *h, const char *command)
{
    int64_t deadline = jk_clock_mono_ms () + H_WAIT_MS;
    while (jk_clock_mono_ms () < deadline) {
        zmsg_t *msg = h_broker_recv (h, 100);
        if (msg && streq (h_note (h, msg), command))
            return msg;
        zmsg_destroy (&msg);
    }
    return NULL;
}

/* A heartbeat whose stored_seq is ahead of the log (acknowledged events
   lost) is answered PONG with the seq to deliver again from, logged and
   counted; one in step gets the store's clock only. */
static void test_heartbeat_ahead (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-heartbeat");
    h_start_store (&h, 0);
    for (uint64_t seq = 1; seq <= 2; seq++) {
        size_t size;
        uint8_t *bytes = h_cooperative (H_SOURCE, seq, (int)seq, H_DESA, &size);
        assert_int_equal (h_submit_one (&h, bytes, size).kind, JK_ANSWER_ACK);
        free (bytes);
    }
    int64_t before = jk_clock_now_ms ();
    h_heartbeat (&h, 5);
    zmsg_t *pong = s_broker_expect (&h, "PONG");
    assert_non_null (pong);
    char *client = zmsg_popstr (pong);
    assert_string_equal (client, "client-1");
    free (client);
    jk_pong_t p;
    assert_int_equal (jk_pong_decode (zframe_data (zmsg_first (pong)),
                                      zframe_size (zmsg_first (pong)), &p),
                      0);
    assert_int_equal (p.expect, 3);
    assert_int_equal (p.stored_seq, 5);
    assert_true (p.now_ms >= before && p.now_ms <= jk_clock_now_ms ());
    zmsg_destroy (&pong);
    /* The query endpoint's STATS, asked after the PONG, counts it too
       (its counters are handed over before the PONG leaves). */
    h_connect_client (&h);
    zmsg_t *ask = jk_wire_new ("STATS");
    assert_int_equal (zmsg_send (&ask, h.client), 0);
    char command[16];
    zmsg_t *stats = h_client_recv (&h, command, H_WAIT_MS);
    assert_non_null (stats);
    assert_string_equal (command, "STATS");
    char *text = zmsg_popstr (stats);
    assert_non_null (strstr (text, " sources_behind=1 rewinds=1 "));
    free (text);
    zmsg_destroy (&stats);
    assert_int_equal (h_stat (&h, "sources_behind"), 1);
    assert_int_equal (h_stat (&h, "rewinds"), 1);

    h_heartbeat (&h, 2);
    pong = s_broker_expect (&h, "PONG");
    assert_non_null (pong);
    zframe_t *rid = zmsg_pop (pong);
    zframe_destroy (&rid);
    assert_int_equal (jk_pong_decode (zframe_data (zmsg_first (pong)),
                                      zframe_size (zmsg_first (pong)), &p),
                      0);
    assert_int_equal (p.expect, 0);
    zmsg_destroy (&pong);
    assert_int_equal (h_stat (&h, "sources_behind"), 0);
    h_teardown (&h);
}

/* Replaces the first occurrence of text in bytes with the same number of
   bytes from with (which may hold any byte). */
static void s_patch (uint8_t *bytes, size_t size, const char *text,
                     const char *with)
{
    size_t n = strlen (text);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp (bytes + i, text, n) == 0) {
            memcpy (bytes + i, with, n);
            return;
        }
    fail_msg ("%s not in the event", text);
}

/* Submits a cooperative of seq (h_cooperative's n) with text patched
   to with; its answer. */
static jk_answer_t s_submit_patched (h_t *h, uint64_t seq, int n,
                                     const char *text, const char *with)
{
    size_t size;
    uint8_t *bytes = h_cooperative (H_SOURCE, seq, n, H_DESA, &size);
    s_patch (bytes, size, text, with);
    jk_answer_t answer = h_submit_one (h, bytes, size);
    free (bytes);
    return answer;
}

static bool s_text (const char *text)
{
    return jk_utf8_length (text, strlen (text)) >= 0;
}

/* Text on the wire is always UTF-8: a type, an enum value or a source
   that is not UTF-8 (before: copied raw into the answer's msg, the
   rejected.<type> topic, the log's text columns, GAPS and SNAPSHOT).
   Now every str is checked at decode: E_NOT_UTF8 (logged, the record's
   type empty), and a source that is not text is NACK E_DECODE before
   it reaches sources. */
static void test_not_utf8 (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-utf8");
    h_start_store (&h, 0);
    jk_answer_t a =
        s_submit_patched (&h, 1, 1, "registered", "regist\xff\xferd");
    assert_int_equal (a.kind, JK_ANSWER_REJECTED);
    assert_string_equal (a.code, "E_NOT_UTF8");
    assert_true (s_text (a.message));
    assert_non_null (strstr (a.message, "type"));
    a = s_submit_patched (&h, 2, 2, "PRIMER", "PRI\xc3\x28R");
    assert_int_equal (a.kind, JK_ANSWER_REJECTED);
    assert_string_equal (a.code, "E_NOT_UTF8");
    assert_non_null (strstr (a.message, "body.form"));
    a = s_submit_patched (&h, 1, 3, "test-1", "test\xe2\x82");
    assert_int_equal (a.kind, JK_ANSWER_NACK);
    assert_string_equal (a.code, "E_DECODE");
    assert_true (a.id[6] >> 4 == 7); /* the id is read all the same */
    /* Everything published and logged is text. */
    assert_true (h_wait_published (&h, 2));
    assert_string_equal (h.topics[0], "rejected.");
    assert_string_equal (h.topics[1], "rejected.cooperative.registered");
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), 2);
    assert_int_equal (
        h_count (h.db, "SELECT count(*) FROM log WHERE type = ''"), 1);
    assert_int_equal (h_count (h.db, "SELECT count(DISTINCT source) FROM log"),
                      1);
    /* Quoted values are cut on a character boundary. */
    char message[16] = "abc\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3";
    jk_text_clean (message, sizeof message);
    assert_string_equal (message, "abc\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
    char control[32] = "a\nb\x01"
                       "c\xff"
                       "d";
    jk_text_clean (control, sizeof control);
    assert_string_equal (control, "a\\nb\\x01c?d");
    h_teardown (&h);
}

/* A key twice in the event map: the envelope reads, so the event is
   decided and logged, REJECTED E_DECODE naming the key (PROTOCOL.md 8),
   and its seq is used up; only bytes that yield no envelope are NACKed. */
static void test_key_twice (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-twice");
    h_start_store (&h, 0);
    jk_answer_t a = s_submit_patched (&h, 1, 1, "\xa4kind", "\xa4name");
    assert_int_equal (a.kind, JK_ANSWER_REJECTED);
    assert_int_equal (a.pos, 1);
    assert_string_equal (a.code, "E_DECODE");
    assert_string_equal (a.message, "body.name appears twice");
    size_t size;
    uint8_t *next = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size);
    assert_int_equal (h_submit_one (&h, next, size).kind, JK_ANSWER_ACK);
    free (next);
    assert_int_equal (h_count (h.db,
                               "SELECT count(*) FROM log WHERE outcome = 1 AND "
                               "code = 'E_DECODE' AND seq = 1"),
                      1);
    h_teardown (&h);
}

/* An envelope key the store reads the event by given twice (here seq,
   appended after the event's own): the envelope is read with the last
   value, so the seq checks act on it (PROTOCOL.md 8): a last seq that is
   not the source's next is NACKed E_SEQ_GAP and nothing is logged; one
   that is, is logged REJECTED E_DECODE naming the key, that seq used
   up. */
static void test_seq_twice (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-seq-twice");
    h_start_store (&h, 0);
    for (int round = 0; round < 2; round++) {
        /* round 0: seq 1, then 5; round 1: seq 7, then 1 */
        size_t size;
        uint8_t *bytes =
            h_cooperative (H_SOURCE, round ? 7 : 1, 1 + round, H_DESA, &size);
        assert_int_equal (bytes[0] & 0xf0, 0x80); /* a fixmap */
        assert_true ((bytes[0] & 0x0f) < 15);
        bytes = jk_realloc (bytes, size + 5);
        bytes[0]++;
        memcpy (bytes + size, "\xa3seq", 4);
        bytes[size + 4] = round ? 1 : 5;
        jk_answer_t a = h_submit_one (&h, bytes, size + 5);
        free (bytes);
        if (round == 0) {
            assert_int_equal (a.kind, JK_ANSWER_NACK);
            assert_string_equal (a.code, "E_SEQ_GAP");
            assert_int_equal (a.expected, 1);
        } else {
            assert_int_equal (a.kind, JK_ANSWER_REJECTED);
            assert_int_equal (a.pos, 1);
            assert_string_equal (a.code, "E_DECODE");
            assert_string_equal (a.message, "envelope key 'seq' appears twice");
        }
    }
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), 1);
    assert_int_equal (h_count (h.db,
                               "SELECT count(*) FROM log WHERE outcome = 1 AND "
                               "code = 'E_DECODE' AND seq = 1"),
                      1);
    h_teardown (&h);
}

/* A store asked to run without the tree and to sign checkpoints of it
   does not start, and touches nothing first: no database file, no PING
   to the broker. jk_store_config_refusal says why, and only then. */
static void test_no_tree_with_key (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-no-tree");
    char *key = jk_sprintf ("%s/log.key", h.dir);
    assert_null (jk_store_config_refusal (true, NULL));
    assert_null (jk_store_config_refusal (false, key));
    assert_string_equal (jk_store_config_refusal (true, key),
                         "--no-tree leaves no tree to sign: it cannot go "
                         "with a checkpoint key (--checkpoint-key, or "
                         "log.key in --keys)");
    jk_store_config_t config = {.db_path = h.db,
                                .backend = h.backend,
                                .no_tree = true,
                                .log_key_path = key};
    assert_null (jk_store_start (&config));
    assert_int_equal (access (h.db, F_OK), -1);
    assert_null (h_broker_recv (&h, 0));
    free (key);
    h_teardown (&h);
}

#define S_WAL_EVENTS 48000 /* about 7,000 WAL frames in a fresh log */
#define S_WAL_SUBMIT 500

/* Sends events of workload in SUBMITs of S_WAL_SUBMIT until count were
   sent, noting the largest size of the log's -wal file after each
   answer in *wal_max; returns the events answered ACK or REJECTED. */
static size_t s_workload_through (h_t *h, jk_workload_t *workload, size_t count,
                                  off_t *wal_max)
{
    char *wal = jk_sprintf ("%s-wal", h->db);
    uint8_t *bytes[S_WAL_SUBMIT];
    size_t sizes[S_WAL_SUBMIT];
    jk_answer_t *answers = jk_calloc (S_WAL_SUBMIT, sizeof *answers);
    size_t sent = 0, answered = 0;
    *wal_max = 0;
    while (sent < count) {
        size_t n = 0;
        jk_event_t *event;
        while (n < S_WAL_SUBMIT && (event = jk_workload_next (workload))) {
            bytes[n] = jk_event_encode (event, &sizes[n]);
            jk_event_destroy (&event);
            n++;
        }
        assert_int_equal (n, S_WAL_SUBMIT);
        h_submit (h, n, bytes, sizes, answers);
        for (size_t i = 0; i < n; i++) {
            if (answers[i].kind == JK_ANSWER_ACK ||
                answers[i].kind == JK_ANSWER_REJECTED)
                answered++;
            free (bytes[i]);
        }
        sent += n;
        struct stat st;
        if (stat (wal, &st) == 0 && st.st_size > *wal_max)
            *wal_max = st.st_size;
    }
    free (answers);
    free (wal);
    return answered;
}

/* Starts the store on h with a WAL checkpoint threshold of frames and a
   workload of events (seed 7) whose clock it sets. */
static jk_workload_t *s_wal_store (h_t *h, size_t events, int frames)
{
    jk_workload_config_t config = {.events = events, .reject_share = 0.02};
    jk_workload_t *workload = jk_workload_new (7, &config);
    jk_clock_set (jk_workload_end_ms (workload) + 60000);
    jk_store_config_t sconfig = {.db_path = h->db,
                                 .backend = h->backend,
                                 .query = h->query,
                                 .checkpoint_frames = frames};
    h->store = jk_store_start (&sconfig);
    assert_non_null (h->store);
    h_wait_ping (h);
    return workload;
}

/* Continuous ingest rewrites the log's WAL in place (ARCHITECTURE.md,
   "The log's WAL"), here with checkpoint_frames 1,000: 48,000 events of
   the generated workload, one SUBMIT of 500 after the other while the
   projector and the tree thread read the log behind the writer, all
   answered ACK or REJECTED. Checkpoints (the bulk on the WAL checkpoint
   thread, the tail on the writer) let the WAL start over: STATS
   counts at least two restarts, reports fewer than 2,000 frames in it,
   and the -wal file never grew past 16 MB (appending all along, it
   would be about 29 MB; the bound leaves a loaded machine's checkpoint
   thread about 2,900 frames behind the writer). The projections then
   reach the head and the chain verifies. */
static void test_wal_rewritten_in_place (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-wal");
    jk_workload_t *workload = s_wal_store (&h, S_WAL_EVENTS, 1000);
    off_t wal_max = 0;
    assert_int_equal (s_workload_through (&h, workload, S_WAL_EVENTS, &wal_max),
                      S_WAL_EVENTS);
    assert_int_equal (h_stat (&h, "head"), S_WAL_EVENTS);
    assert_true (h_stat (&h, "wal_restarts") >= 2);
    assert_true (h_stat (&h, "wal_frames") < 2000);
    assert_int_equal (h_stat (&h, "wal_checkpoints_failed"), 0);
    assert_true (wal_max > 0);
    assert_true (wal_max <= 16 * 1000 * 1000);
    assert_true (h_wait_stat (&h, "projected", S_WAL_EVENTS));
    zactor_destroy (&h.store);
    jk_verify_result_t verify;
    assert_int_equal (jk_log_verify (h.db, NULL, &verify, NULL, NULL), JK_OK);
    assert_int_equal (verify.records, S_WAL_EVENTS);
    jk_clock_set (0);
    jk_workload_destroy (&workload);
    h_teardown (&h);
}

/* Records the database file alone holds (a copy of it without its WAL),
   or -1 while a checkpoint is writing it. */
static int64_t s_records_in_file (const char *db, const char *copy)
{
    size_t size = 0;
    char *bytes = jk_test_slurp (db, &size);
    FILE *out = fopen (copy, "wb");
    assert_non_null (out);
    assert_int_equal (fwrite (bytes, 1, size, out), size);
    fclose (out);
    free (bytes);
    sqlite3 *probe = NULL;
    sqlite3_stmt *st = NULL;
    int64_t count = -1;
    if (sqlite3_open_v2 (copy, &probe, SQLITE_OPEN_READWRITE, NULL) ==
            SQLITE_OK &&
        sqlite3_prepare_v2 (probe, "SELECT count(*) FROM log", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        count = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (probe);
    char *side = jk_sprintf ("%s-wal", copy);
    unlink (side);
    free (side);
    side = jk_sprintf ("%s-shm", copy);
    unlink (side);
    free (side);
    unlink (copy);
    return count;
}

/* An idle store checkpoints its log's WAL with no message to make it:
   once none came for 200 ms, the WAL checkpoint thread copies the
   frames into the database file (the writer copies at its next idle
   turn what it could not), which alone then holds every record. */
static void test_idle_checkpoint (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-idle");
    h_start_store (&h, 0);
    for (uint64_t seq = 1; seq <= 20; seq++) {
        size_t size;
        uint8_t *bytes = h_cooperative (H_SOURCE, seq, (int)seq, H_DESA, &size);
        assert_int_equal (h_submit_one (&h, bytes, size).kind, JK_ANSWER_ACK);
        free (bytes);
    }
    char *copy = jk_sprintf ("%s/copy.db", h.dir);
    assert_true (JK_WAIT_FOR (s_records_in_file (h.db, copy) == 20, H_WAIT_MS));
    free (copy);
    zactor_destroy (&h.store);
    h_teardown (&h);
}

/* The WAL checkpoint thread's checkpoints all fail
   (JEJAK_FAULT=wal_checkpoint_failed, STATS wal_checkpoints_failed
   counts them): the writer copies every frame itself, after its next
   batch under ingest and at its next idle turn, so the WAL still starts
   over, its file stays near the threshold and a few batches, and once
   the store is idle the database file alone holds every record. */
#define S_WAL_FAILED_EVENTS 16000 /* about 2,300 WAL frames */
static void test_wal_checkpoint_failed (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-walfail");
    setenv ("JEJAK_FAULT", "wal_checkpoint_failed", 1);
    jk_workload_t *workload = s_wal_store (&h, S_WAL_FAILED_EVENTS, 200);
    unsetenv ("JEJAK_FAULT");
    off_t wal_max = 0;
    assert_int_equal (
        s_workload_through (&h, workload, S_WAL_FAILED_EVENTS, &wal_max),
        S_WAL_FAILED_EVENTS);
    assert_int_equal (h_stat (&h, "head"), S_WAL_FAILED_EVENTS);
    assert_true (h_stat (&h, "wal_checkpoints_failed") >= 1);
    assert_true (h_stat (&h, "wal_restarts") >= 1);
    /* The -wal file stays below 4 MB, about 950 frames: the threshold
       of 200, the batches of about 75 frames after it while the thread
       answers and readers hold the WAL (appending all along it would be
       about 2,300 frames, 9.6 MB). */
    assert_true (wal_max > 0);
    assert_true (wal_max <= 4 * 1000 * 1000);
    char *copy = jk_sprintf ("%s/copy.db", h.dir);
    assert_true (JK_WAIT_FOR (
        s_records_in_file (h.db, copy) == S_WAL_FAILED_EVENTS, H_WAIT_MS));
    free (copy);
    zactor_destroy (&h.store);
    jk_clock_set (0);
    jk_workload_destroy (&workload);
    h_teardown (&h);
}

/* The writer never waits for the tree thread: with the tree thread
   taking nothing from its feed queue (JEJAK_FAULT=tree_paused) until the
   writer found the queue full, one-event SUBMITs are acked one after the
   other; within 2 * JK_TREE_QUEUE + 1 batches a batch is not handed over
   (STATS tree_unfed counts its record), and the tree, let go by that,
   reads what it was not handed from the log: it reaches the head of
   565 records with no leaf lost, and verify finds the two full level-0
   tiles stored equal to the tree of the records. */
static void test_tree_queue_full (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-tree-queue");
    setenv ("JEJAK_FAULT", "tree_paused", 1);
    h_start_store (&h, 0);
    unsetenv ("JEJAK_FAULT");
    uint64_t seq = 0;
    while (seq < 2 * JK_TREE_QUEUE + 1) {
        size_t size;
        seq++;
        uint8_t *bytes = h_cooperative (H_SOURCE, seq, (int)seq, H_DESA, &size);
        jk_answer_t a = h_submit_one (&h, bytes, size);
        free (bytes);
        assert_int_equal (a.kind, JK_ANSWER_ACK);
        assert_int_equal (a.pos, seq);
    }
    uint64_t unfed = h_stat (&h, "tree_unfed");
    assert_true (unfed >= 1);
    assert_true (unfed < seq);
    /* More batches after the tree went on (10 of 50 events): some
       handed, the gaps read from the log; two full level-0 tiles. */
    uint8_t *bytes[50];
    size_t sizes[50];
    jk_answer_t answers[50];
    for (int b = 0; b < 10; b++) {
        for (int i = 0; i < 50; i++) {
            seq++;
            bytes[i] =
                h_cooperative (H_SOURCE, seq, (int)seq, H_DESA, &sizes[i]);
        }
        h_submit (&h, 50, bytes, sizes, answers);
        for (int i = 0; i < 50; i++) {
            free (bytes[i]);
            assert_int_equal (answers[i].kind, JK_ANSWER_ACK);
        }
        assert_int_equal (answers[49].pos, seq);
    }
    assert_true (h_wait_stat (&h, "tree", seq));
    assert_int_equal (h_stat (&h, "head"), seq);
    zactor_destroy (&h.store);
    jk_verify_result_t verify;
    assert_int_equal (jk_log_verify (h.db, NULL, &verify, NULL, NULL), JK_OK);
    assert_int_equal (verify.records, seq);
    assert_int_equal (verify.tree_stored, 2 * JK_MERKLE_TILE_WIDTH);
    h_teardown (&h);
}

#define S_SOURCE_2 "32.03.01/test-2"

/* Starts the store taking one SUBMIT per batch (batch_max 1), so that
   SUBMITs sent one after the other make batches one after the other. */
static void s_start_one_per_batch (h_t *h)
{
    jk_store_config_t config = {.db_path = h->db,
                                .backend = h->backend,
                                .query = h->query,
                                .batch_max = 1};
    h->store = jk_store_start (&config);
    assert_non_null (h->store);
    h_wait_ping (h);
}

/* Receives messages on the stand-in broker until both a PONG (into
   pong) and an ANSWER of count answers (into answers) came, in either
   order; false on timeout. */
static bool s_pong_and_answer (h_t *h, jk_pong_t *pong, size_t count,
                               jk_answer_t *answers)
{
    bool ponged = false, answered = false;
    int64_t deadline = jk_clock_mono_ms () + H_WAIT_MS;
    while (!(ponged && answered) && jk_clock_mono_ms () < deadline) {
        zmsg_t *msg = h_broker_recv (h, 100);
        if (!msg)
            continue;
        const char *command = h_note (h, msg);
        if (streq (command, "PONG")) {
            zframe_t *client = zmsg_pop (msg);
            zframe_destroy (&client);
            assert_int_equal (jk_pong_decode (zframe_data (zmsg_first (msg)),
                                              zframe_size (zmsg_first (msg)),
                                              pong),
                              0);
            ponged = true;
        } else if (streq (command, "ANSWER")) {
            h_answers_decode (msg, count, answers);
            answered = true;
        }
        zmsg_destroy (&msg);
    }
    return ponged && answered;
}

/* The writer's pipeline: batch B (100 events, enough for the plan
   thread) is planned against the effects of batch A while A's COMMIT
   runs, and A's commit fails (the injected veto, after the writer waited
   for B). Nothing of A is answered; B's plan is dropped with the model,
   and B is decided again against the log as it is: its cooperative (the
   legal number A registered) is accepted at position 1 where the plan
   had it rejected at 2, and its 99 next seqs from A's source are gaps
   (seq 1 expected) where the plan had them at 3 to 101. The HEARTBEAT
   that came in during the commit is answered after it, from the
   committed seqs: the agent is asked to deliver from seq 1 again. A
   resent is then decided after B (its legal number is taken), the rest
   of B follows it, and the projections equal a rebuild from the log. */
static void test_commit_failure_planned_next (void **state)
{
    (void)state;
    enum { B = 100 };
    h_t h;
    h_setup_dirs (&h, "store-fail-next");
    setenv ("JEJAK_FAULT", "fail_commit_next", 1);
    s_start_one_per_batch (&h);
    unsetenv ("JEJAK_FAULT");
    size_t a_size, b_sizes[B];
    uint8_t *a = h_cooperative (H_SOURCE, 1, 1, H_DESA, &a_size);
    uint8_t *b[B];
    b[0] = h_cooperative (S_SOURCE_2, 1, 1, H_DESA, &b_sizes[0]);
    for (int i = 1; i < B; i++)
        b[i] = h_cooperative (H_SOURCE, (uint64_t)i + 1, i + 1, H_DESA,
                              &b_sizes[i]);
    h_send_submit (&h, 1, &a, &a_size);
    h_heartbeat (&h, 1);
    h_send_submit (&h, B, b, b_sizes);

    jk_pong_t pong;
    jk_answer_t answers[B];
    assert_true (s_pong_and_answer (&h, &pong, B, answers));
    assert_int_equal (pong.expect, 1);
    assert_int_equal (pong.stored_seq, 1);
    assert_int_equal (answers[0].kind, JK_ANSWER_ACK);
    assert_int_equal (answers[0].pos, 1);
    for (int i = 1; i < B; i++) {
        assert_int_equal (answers[i].kind, JK_ANSWER_NACK);
        assert_string_equal (answers[i].code, "E_SEQ_GAP");
        assert_int_equal (answers[i].expected, 1);
    }
    /* B's answer was the first: none for A is queued behind it. */
    jk_answer_t none;
    assert_int_equal (h_recv_answer (&h, 1, &none, 0), -1);
    assert_int_equal (h_stat (&h, "failed_batches"), 1);
    assert_int_equal (h_stat (&h, "overlapped"), 1);
    assert_int_equal (h_stat (&h, "batches"), 1);
    assert_int_equal (h_stat (&h, "accepted"), 1);
    assert_int_equal (h_stat (&h, "nacked"), B - 1);
    assert_int_equal (h_stat (&h, "rewinds"), 1);
    assert_true (h_wait_published (&h, 1));
    assert_int_equal (h.published[0], 1);

    jk_answer_t r = h_submit_one (&h, a, a_size);
    assert_int_equal (r.kind, JK_ANSWER_REJECTED);
    assert_int_equal (r.pos, 2);
    assert_string_equal (r.code, "E_DUPLICATE_COOPERATIVE");
    h_submit (&h, B - 1, b + 1, b_sizes + 1, answers);
    for (int i = 0; i < B - 1; i++) {
        assert_int_equal (answers[i].kind, JK_ANSWER_ACK);
        assert_int_equal (answers[i].pos, (uint64_t)i + 3);
    }
    assert_true (h_wait_stat (&h, "projected", B + 1));
    free (a);
    for (int i = 0; i < B; i++)
        free (b[i]);
    zactor_destroy (&h.store);
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), B + 1);
    char *rebuilt = jk_sprintf ("%s/rebuilt.db", h.dir);
    h_rebuilt_equal (h.db, rebuilt, B + 1, 1);
    free (rebuilt);
    h_teardown (&h);
}

/* A batch planned whole meets the log's UNIQUE index on an id (a logged
   id reused with the source's next seq): the plan after that event
   counted it appended, and the model held its cooperative. The batch is
   decided again event by event from a model loaded afresh: the reused
   id is E_ID_CONFLICT, the next events take positions 2, 3 and 4, and
   the legal number of the refused event is free (accepted at 4). */
static void test_conflict_replans (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-conflict");
    h_start_store (&h, 0);
    size_t size;
    uint8_t *first = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    assert_int_equal (h_submit_one (&h, first, size).kind, JK_ANSWER_ACK);

    jk_report_t report;
    jk_event_t *event = jk_event_decode (first, size, &report);
    assert_non_null (event);
    event->seq = 2;
    h_set (event, "legal_number", "AHU-0000009.AH.01.26");
    uint8_t *bytes[4];
    size_t sizes[4];
    bytes[0] = h_encode (&event, &sizes[0]);
    bytes[1] = h_cooperative (H_SOURCE, 2, 2, H_DESA, &sizes[1]);
    bytes[2] = h_cooperative (H_SOURCE, 3, 3, H_DESA, &sizes[2]);
    bytes[3] = h_cooperative (H_SOURCE, 4, 9, H_DESA, &sizes[3]);
    jk_answer_t answers[4];
    h_submit (&h, 4, bytes, sizes, answers);
    assert_int_equal (answers[0].kind, JK_ANSWER_NACK);
    assert_string_equal (answers[0].code, "E_ID_CONFLICT");
    assert_non_null (strstr (answers[0].message, "position 1"));
    for (int i = 1; i < 4; i++) {
        assert_int_equal (answers[i].kind, JK_ANSWER_ACK);
        assert_int_equal (answers[i].pos, (uint64_t)i + 1);
        uint8_t stored[32];
        h_stored_hash (h.db, (uint64_t)i + 1, stored);
        assert_memory_equal (answers[i].hash, stored, 32);
    }
    assert_int_equal (h_stat (&h, "accepted"), 4);
    assert_int_equal (h_stat (&h, "nacked"), 1);
    assert_int_equal (h_stat (&h, "failed_batches"), 0);
    assert_true (h_wait_stat (&h, "projected", 4));
    for (int i = 0; i < 4; i++)
        free (bytes[i]);
    free (first);
    zactor_destroy (&h.store);
    char *rebuilt = jk_sprintf ("%s/rebuilt.db", h.dir);
    h_rebuilt_equal (h.db, rebuilt, 4, 0);
    free (rebuilt);
    h_teardown (&h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ack_and_duplicate),
        cmocka_unit_test (test_seq_and_rejection),
        cmocka_unit_test (test_batch_order),
        cmocka_unit_test (test_records_cut),
        cmocka_unit_test (test_decode_stage_pipeline),
        cmocka_unit_test (test_commit_failure),
        cmocka_unit_test (test_locked_database),
        cmocka_unit_test (test_restart_keeps_state),
        cmocka_unit_test (test_malformed_backend),
        cmocka_unit_test (test_store_clock_behind),
        cmocka_unit_test (test_store_clock_counted_once),
        cmocka_unit_test (test_heartbeat_ahead),
        cmocka_unit_test (test_not_utf8),
        cmocka_unit_test (test_key_twice),
        cmocka_unit_test (test_seq_twice),
        cmocka_unit_test (test_no_tree_with_key),
        cmocka_unit_test (test_wal_rewritten_in_place),
        cmocka_unit_test (test_idle_checkpoint),
        cmocka_unit_test (test_wal_checkpoint_failed),
        cmocka_unit_test (test_tree_queue_full),
        cmocka_unit_test (test_commit_failure_planned_next),
        cmocka_unit_test (test_conflict_replans),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
