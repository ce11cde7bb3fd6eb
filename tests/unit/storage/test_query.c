/*  test_query.c - the store's query endpoint over real sockets: HEAD,
    SINCE with credit (never more records than granted), topic prefixes,
    END, SNAPSHOT, GAPS, STATS and bad requests. */
#include "test_store_harness.h"

#include <msgpack.h>

/* Stores n events from H_SOURCE; every fifth is a rejection. */
static void s_fill (h_t *h, int n)
{
    uint8_t **bytes = jk_calloc ((size_t)n, sizeof *bytes);
    size_t *sizes = jk_calloc ((size_t)n, sizeof *sizes);
    jk_answer_t *answers = jk_calloc ((size_t)n, sizeof *answers);
    for (int i = 0; i < n; i++)
        bytes[i] = h_cooperative (H_SOURCE, (uint64_t)i + 1, i + 1,
                                  i % 5 == 4 ? H_BAD_DESA : H_DESA, &sizes[i]);
    h_submit (h, (size_t)n, bytes, sizes, answers);
    for (int i = 0; i < n; i++) {
        assert_int_equal (answers[i].pos, (uint64_t)i + 1);
        free (bytes[i]);
    }
    free (bytes);
    free (sizes);
    free (answers);
}

static void s_send (h_t *h, zmsg_t **msg)
{
    assert_int_equal (zmsg_send (msg, h->client), 0);
}

static void s_since (h_t *h, uint64_t from, const char *prefix, uint64_t credit)
{
    zmsg_t *msg = jk_wire_new ("SINCE");
    jk_wire_add_u64 (msg, from);
    zmsg_addstr (msg, prefix);
    jk_wire_add_u64 (msg, credit);
    s_send (h, &msg);
}

static void s_credit (h_t *h, uint64_t credit)
{
    zmsg_t *msg = jk_wire_new ("CREDIT");
    jk_wire_add_u64 (msg, credit);
    s_send (h, &msg);
}

/* Asks HEAD and returns the records that arrived before its answer: the
   router keeps order, so this counts everything sent before the HEAD. */
static int s_records_before_head (h_t *h, uint64_t *head)
{
    zmsg_t *msg = jk_wire_new ("HEAD");
    s_send (h, &msg);
    int records = 0;
    char command[16];
    while ((msg = h_client_recv (h, command, H_WAIT_MS))) {
        if (streq (command, "HEAD")) {
            assert_int_equal (jk_wire_pop_u64 (msg, head), 0);
            zmsg_destroy (&msg);
            return records;
        }
        assert_string_equal (command, "RECORD");
        records++;
        zmsg_destroy (&msg);
    }
    fail_msg ("no HEAD answer");
    return -1;
}

static void test_head_and_since_credit (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "query-since");
    h_start_store (&h, 0);
    h_connect_client (&h);

    uint64_t head;
    assert_int_equal (s_records_before_head (&h, &head), 0);
    assert_int_equal (head, 0);
    s_fill (&h, 10);

    zmsg_t *msg = jk_wire_new ("HEAD");
    s_send (&h, &msg);
    char command[16];
    msg = h_client_recv (&h, command, H_WAIT_MS);
    assert_non_null (msg);
    assert_string_equal (command, "HEAD");
    assert_int_equal (jk_wire_pop_u64 (msg, &head), 0);
    assert_int_equal (head, 10);
    zframe_t *hash = zmsg_pop (msg);
    uint8_t stored[32];
    h_stored_hash (h.db, 10, stored);
    assert_memory_equal (zframe_data (hash), stored, 32);
    zframe_destroy (&hash);
    zmsg_destroy (&msg);

    /* Credit 3: exactly three records, in order, then nothing. */
    s_since (&h, 0, "", 3);
    for (uint64_t pos = 1; pos <= 3; pos++) {
        msg = h_client_recv (&h, command, H_WAIT_MS);
        assert_non_null (msg);
        assert_string_equal (command, "RECORD");
        jk_record_t record;
        assert_int_equal (jk_record_read (msg, &record), 0);
        assert_int_equal (record.pos, pos);
        assert_string_equal (record.topic, "cooperative.registered");
        h_stored_hash (h.db, pos, stored);
        assert_memory_equal (record.hash, stored, 32);
        zmsg_destroy (&msg);
    }
    assert_int_equal (s_records_before_head (&h, &head), 0);

    /* More credit: the rest, the rejections with their detail, then END. */
    s_credit (&h, 100);
    uint64_t expect = 4;
    while ((msg = h_client_recv (&h, command, H_WAIT_MS))) {
        if (streq (command, "END")) {
            uint64_t end;
            assert_int_equal (jk_wire_pop_u64 (msg, &end), 0);
            assert_int_equal (end, 10);
            zmsg_destroy (&msg);
            break;
        }
        jk_record_t record;
        assert_int_equal (jk_record_read (msg, &record), 0);
        assert_int_equal (record.pos, expect);
        if (expect % 5 == 0) {
            assert_string_equal (record.topic,
                                 "rejected.cooperative.registered");
            assert_string_equal (record.code, "E_REGION");
        }
        expect++;
        zmsg_destroy (&msg);
    }
    assert_int_equal (expect, 11);
    h_teardown (&h);
}

static void test_since_prefix_and_replace (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "query-prefix");
    h_start_store (&h, 0);
    h_connect_client (&h);
    s_fill (&h, 20);

    /* Only rejections: positions 5, 10, 15, 20. A credit of exactly four
       still ends with END. */
    s_since (&h, 0, "rejected.", 4);
    char command[16];
    zmsg_t *msg;
    uint64_t expect = 5;
    while ((msg = h_client_recv (&h, command, H_WAIT_MS))) {
        if (streq (command, "END")) {
            zmsg_destroy (&msg);
            break;
        }
        jk_record_t record;
        assert_int_equal (jk_record_read (msg, &record), 0);
        assert_int_equal (record.pos, expect);
        expect += 5;
        zmsg_destroy (&msg);
    }
    assert_int_equal (expect, 25);

    /* A new SINCE replaces the stream: credit 1 from 18 gives pos 19. */
    s_since (&h, 0, "", 1);
    s_since (&h, 18, "", 1);
    uint64_t head;
    /* The first stream may have sent its one record before it was
       replaced; the second sends pos 19 and no more. */
    int seen = 0;
    uint64_t last = 0;
    while ((msg = h_client_recv (&h, command, 300))) {
        jk_record_t record;
        assert_string_equal (command, "RECORD");
        assert_int_equal (jk_record_read (msg, &record), 0);
        last = record.pos;
        seen++;
        zmsg_destroy (&msg);
        if (last == 19)
            break;
    }
    assert_int_equal (last, 19);
    assert_true (seen <= 2);
    assert_int_equal (s_records_before_head (&h, &head), 0);
    assert_int_equal (head, 20);
    h_teardown (&h);
}

static void test_snapshot_gaps_stats (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "query-snapshot");
    h_start_store (&h, 0);
    h_connect_client (&h);
    s_fill (&h, 10);
    /* The answers mean logged and decided; SNAPSHOT answers the
       projections at their own position, here once they reached 10. */
    sqlite3_close (jk_test_projections (h.db));

    zmsg_t *msg = jk_wire_new ("SNAPSHOT");
    zmsg_addstr (msg, "2026-01-31");
    s_send (&h, &msg);
    char command[16];
    msg = h_client_recv (&h, command, H_WAIT_MS);
    assert_non_null (msg);
    assert_string_equal (command, "SNAPSHOT");
    uint64_t pos;
    assert_int_equal (jk_wire_pop_u64 (msg, &pos), 0);
    assert_int_equal (pos, 10);
    assert_int_equal (zmsg_size (msg), 2);
    zframe_t *hash = zmsg_pop (msg);
    uint8_t stored[32];
    h_stored_hash (h.db, 10, stored);
    assert_memory_equal (zframe_data (hash), stored, 32);
    zframe_destroy (&hash);
    zframe_t *body = zmsg_pop (msg);
    assert_true (zframe_size (body) > 0);
    zframe_destroy (&body);
    zmsg_destroy (&msg);

    msg = jk_wire_new ("SNAPSHOT");
    zmsg_addstr (msg, "2026-13-01");
    s_send (&h, &msg);
    msg = h_client_recv (&h, command, H_WAIT_MS);
    assert_string_equal (command, "ERROR");
    char *code = zmsg_popstr (msg);
    assert_string_equal (code, "E_FIELD_FORMAT");
    free (code);
    zmsg_destroy (&msg);

    msg = jk_wire_new ("GAPS");
    s_send (&h, &msg);
    msg = h_client_recv (&h, command, H_WAIT_MS);
    assert_string_equal (command, "GAPS");
    zframe_t *frame = zmsg_pop (msg);
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    assert_int_equal (msgpack_unpack_next (&result,
                                           (const char *)zframe_data (frame),
                                           zframe_size (frame), NULL),
                      MSGPACK_UNPACK_SUCCESS);
    assert_int_equal (result.data.type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal (result.data.via.array.size, 1);
    msgpack_object_map *map = &result.data.via.array.ptr[0].via.map;
    assert_int_equal (map->size, 5);
    for (uint32_t i = 0; i < map->size; i++) {
        msgpack_object_str key = map->ptr[i].key.via.str;
        msgpack_object value = map->ptr[i].val;
        if (key.size == 6 && memcmp (key.ptr, "source", 6) == 0)
            assert_memory_equal (value.via.str.ptr, H_SOURCE,
                                 strlen (H_SOURCE));
        else if (key.size == 8 && memcmp (key.ptr, "next_seq", 8) == 0)
            assert_int_equal (value.via.u64, 11);
        else if (key.size == 8 && memcmp (key.ptr, "accepted", 8) == 0)
            assert_int_equal (value.via.u64, 8);
        else if (key.size == 8 && memcmp (key.ptr, "rejected", 8) == 0)
            assert_int_equal (value.via.u64, 2);
    }
    msgpack_unpacked_destroy (&result);
    zframe_destroy (&frame);
    zmsg_destroy (&msg);

    /* The writer pushes its counters after answering: ask until they
       have arrived. */
    char *text = NULL;
    int64_t deadline = jk_clock_mono_ms () + H_WAIT_MS;
    while (jk_clock_mono_ms () < deadline) {
        msg = jk_wire_new ("STATS");
        s_send (&h, &msg);
        msg = h_client_recv (&h, command, H_WAIT_MS);
        assert_string_equal (command, "STATS");
        free (text);
        text = zmsg_popstr (msg);
        zmsg_destroy (&msg);
        if (strstr (text, "head=10"))
            break;
        jk_test_pause_ms (5);
    }
    assert_non_null (strstr (text, "accepted=8 rejected=2"));
    assert_non_null (strstr (text, "head=10"));
    free (text);
    h_teardown (&h);
}

static void test_bad_requests (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "query-bad");
    h_start_store (&h, 0);
    h_connect_client (&h);
    /* Each command with another number of argument frames than
       docs/PROTOCOL.md section 6 gives it is E_PROTOCOL (before, HEAD and
       GAPS with an extra frame and SNAPSHOT without its as-of frame were
       answered as if well formed). */
    struct {
        const char *frames[4];
        const char *code;
    } cases[] = {
        {{"JEJAK/1", "DROP", NULL}, "E_UNKNOWN_COMMAND"},
        {{"HTTP/1.1", "GET", NULL}, "E_PROTOCOL"},
        {{"JEJAK/1", "SINCE", "short"}, "E_PROTOCOL"},
        {{"JEJAK/1", "CREDIT", NULL}, "E_PROTOCOL"},
        {{"JEJAK/1", "CREDIT", "12345678", "x"}, "E_PROTOCOL"},
        {{"JEJAK/1", "HEAD", "x"}, "E_PROTOCOL"},
        {{"JEJAK/1", "GAPS", "x"}, "E_PROTOCOL"},
        {{"JEJAK/1", "STATS", "x"}, "E_PROTOCOL"},
        {{"JEJAK/1", "SNAPSHOT", NULL}, "E_PROTOCOL"},
        {{"JEJAK/1", "SNAPSHOT", "2026-01-31", "x"}, "E_PROTOCOL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zmsg_t *msg = zmsg_new ();
        for (int f = 0; f < 4 && cases[i].frames[f]; f++)
            zmsg_addstr (msg, cases[i].frames[f]);
        s_send (&h, &msg);
        char command[16];
        msg = h_client_recv (&h, command, H_WAIT_MS);
        assert_non_null (msg);
        assert_string_equal (command, "ERROR");
        char *code = zmsg_popstr (msg);
        char *message = zmsg_popstr (msg);
        assert_string_equal (code, cases[i].code);
        assert_true (strlen (message) > 10);
        free (code);
        free (message);
        zmsg_destroy (&msg);
    }
    /* Still serving. */
    uint64_t head;
    assert_int_equal (s_records_before_head (&h, &head), 0);
    h_teardown (&h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_head_and_since_credit),
        cmocka_unit_test (test_since_prefix_and_replace),
        cmocka_unit_test (test_snapshot_gaps_stats),
        cmocka_unit_test (test_bad_requests),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
