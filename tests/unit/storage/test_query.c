/*  test_query.c - the store's query endpoint over real sockets: HEAD,
    SINCE with credit (never more records than granted), topic prefixes,
    END, SNAPSHOT, STATE with credit, GAPS, STATS and bad requests. */
#include "test_store_harness.h"
#include "jk_rebuild.h"

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

    /* The writer hands its counters to the query endpoint before a
       batch's answers leave (PROTOCOL.md section 6, STATS): the first
       STATS after the answers counts them all. */
    msg = jk_wire_new ("STATS");
    s_send (&h, &msg);
    msg = h_client_recv (&h, command, H_WAIT_MS);
    assert_non_null (msg);
    assert_string_equal (command, "STATS");
    char *text = zmsg_popstr (msg);
    zmsg_destroy (&msg);
    assert_non_null (strstr (text, "accepted=8 rejected=2"));
    assert_non_null (strstr (text, "head=10"));
    free (text);
    h_teardown (&h);
}

static void s_state (h_t *h, uint64_t chunk, uint64_t credit)
{
    zmsg_t *msg = jk_wire_new ("STATE");
    jk_wire_add_u64 (msg, chunk);
    jk_wire_add_u64 (msg, credit);
    s_send (h, &msg);
}

/* Takes one STATE message at offset into image (allocated at the first);
   returns the chunk's size. */
static size_t s_state_chunk (h_t *h, uint64_t offset, uint64_t *pos,
                             uint64_t *total, uint8_t **image)
{
    char command[16];
    zmsg_t *msg = h_client_recv (h, command, H_WAIT_MS);
    assert_non_null (msg);
    assert_string_equal (command, "STATE");
    uint64_t at, size, got_offset;
    assert_int_equal (jk_wire_pop_u64 (msg, &at), 0);
    zframe_t *hash = zmsg_pop (msg);
    assert_int_equal (zframe_size (hash), 32);
    uint8_t stored[32];
    h_stored_hash (h->db, at, stored);
    assert_memory_equal (zframe_data (hash), stored, 32);
    zframe_destroy (&hash);
    assert_int_equal (jk_wire_pop_u64 (msg, &size), 0);
    assert_int_equal (jk_wire_pop_u64 (msg, &got_offset), 0);
    assert_int_equal (got_offset, offset);
    zframe_t *bytes = zmsg_pop (msg);
    assert_int_equal (zmsg_size (msg), 0);
    if (!*image) {
        *image = sqlite3_malloc64 (size);
        *total = size;
        *pos = at;
    }
    assert_int_equal (size, *total);
    assert_int_equal (at, *pos);
    assert_true (offset + zframe_size (bytes) <= size);
    memcpy (*image + offset, zframe_data (bytes), zframe_size (bytes));
    size_t n = zframe_size (bytes);
    zframe_destroy (&bytes);
    zmsg_destroy (&msg);
    return n;
}

/* A store holding 200 records, asked for its STATE in 4 KiB pieces with
   a credit of 2: the two pieces after the header's are taken into
   *image; *offset is where the next piece goes. */
static uint8_t *s_state_begin (h_t *h, const char *tag, uint64_t *pos,
                               uint64_t *total, uint64_t *offset)
{
    h_setup_dirs (h, tag);
    h_start_store (h, 0);
    h_connect_client (h);
    s_fill (h, 200);
    assert_true (h_wait_stat (h, "projected", 200));
    s_state (h, 4096, 2);
    uint8_t *image = NULL;
    *offset = 4096;
    for (int i = 0; i < 2; i++) {
        size_t n = s_state_chunk (h, *offset, pos, total, &image);
        assert_int_equal (n, 4096);
        *offset += n;
    }
    assert_int_equal (*pos, 200);
    return image;
}

/* The image opened as it is, in memory (SQLite then owns it). */
static sqlite3 *s_image_db (uint8_t *image, uint64_t total)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (":memory:", &db), SQLITE_OK);
    assert_int_equal (
        sqlite3_deserialize (
            db, "main", image, (sqlite3_int64)total, (sqlite3_int64)total,
            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE),
        SQLITE_OK);
    return db;
}

/* STATE streams the projections' file at P in pieces of the size asked,
   from that size on in order and the piece at 0 (the header) last, never
   more than the credit: two with credit 2, nothing more until CREDIT;
   the image opens as it is and dumps as the store's tables. */
static void test_state_credit (void **state)
{
    (void)state;
    h_t h;
    uint64_t pos = 0, total = 0, offset;
    uint8_t *image = s_state_begin (&h, "query-state", &pos, &total, &offset);
    assert_int_equal (total % 4096, 0);
    assert_true (total > 3 * 4096);
    uint64_t head;
    assert_int_equal (s_records_before_head (&h, &head), 0);
    assert_int_equal (head, 200);

    s_credit (&h, total / 4096 - 2);
    while (offset < total)
        offset += s_state_chunk (&h, offset, &pos, &total, &image);
    assert_int_equal (offset, total);
    assert_int_equal (s_state_chunk (&h, 0, &pos, &total, &image), 4096);
    assert_int_equal (s_records_before_head (&h, &head), 0);
    /* Rollback journal in the header, so it opens in memory as it is. */
    assert_int_equal (image[18], 1);
    assert_int_equal (image[19], 1);
    sqlite3 *copy = s_image_db (image, total);
    sqlite3 *store = jk_test_projections (h.db);
    char *want = jk_test_dump (store);
    char *got = jk_test_dump (copy);
    assert_string_equal (got, want);
    free (want);
    free (got);
    sqlite3_close (store);
    sqlite3_close (copy);
    h_teardown (&h);
}

/* The pieces come from the read transaction that holds P: 50 more
   records logged and projected between the second piece and the rest
   change nothing in the image, which dumps as a rebuild of the log up
   to P. */
static void test_state_at_p (void **state)
{
    (void)state;
    h_t h;
    uint64_t pos = 0, total = 0, offset;
    uint8_t *image = s_state_begin (&h, "query-state-p", &pos, &total, &offset);

    uint8_t *bytes[50];
    size_t sizes[50];
    jk_answer_t answers[50];
    for (int i = 0; i < 50; i++)
        bytes[i] = h_cooperative (H_SOURCE, 201 + (uint64_t)i, 201 + i, H_DESA,
                                  &sizes[i]);
    h_submit (&h, 50, bytes, sizes, answers);
    for (int i = 0; i < 50; i++) {
        assert_int_equal (answers[i].pos, 201 + (uint64_t)i);
        free (bytes[i]);
    }
    assert_true (h_wait_stat (&h, "projected", 250));

    s_credit (&h, total / 4096);
    while (offset < total)
        offset += s_state_chunk (&h, offset, &pos, &total, &image);
    assert_int_equal (s_state_chunk (&h, 0, &pos, &total, &image), 4096);
    assert_int_equal (pos, 200);
    sqlite3 *copy = s_image_db (image, total);
    char *rebuilt = jk_sprintf ("%s/rebuilt-200.db", h.dir);
    jk_rebuild_options_t options = {.until_pos = 200};
    jk_rebuild_result_t result;
    char err[256] = "";
    assert_int_equal (
        jk_log_rebuild (h.db, rebuilt, &options, &result, err, sizeof err),
        JK_OK);
    assert_int_equal (result.records, 200);
    sqlite3 *at_p = NULL;
    assert_int_equal (sqlite3_open (rebuilt, &at_p), SQLITE_OK);
    char *want = jk_test_dump (at_p);
    char *got = jk_test_dump (copy);
    assert_string_equal (got, want);
    free (want);
    free (got);
    sqlite3_close (at_p);
    sqlite3_close (copy);
    free (rebuilt);
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
        const char *frames[5];
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
        {{"JEJAK/1", "SNAPSHOT", "2026-01-31", "x", "y"}, "E_PROTOCOL"},
        /* The optional rule frame must parse. */
        {{"JEJAK/1", "SNAPSHOT", "2026-01-31", "x"}, "E_FIELD_FORMAT"},
        {{"JEJAK/1", "STATE", NULL}, "E_PROTOCOL"},
        {{"JEJAK/1", "STATE", "12345678", NULL}, "E_PROTOCOL"},
        {{"JEJAK/1", "STATE", "1234567", "12345678"}, "E_PROTOCOL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zmsg_t *msg = zmsg_new ();
        for (int f = 0; f < 5 && cases[i].frames[f]; f++)
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
    /* STATE's chunk size outside its limits names them. */
    uint64_t chunks[] = {4095, 4194305, 0};
    for (size_t i = 0; i < 3; i++) {
        s_state (&h, chunks[i], 1);
        char command[16];
        zmsg_t *msg = h_client_recv (&h, command, H_WAIT_MS);
        assert_non_null (msg);
        assert_string_equal (command, "ERROR");
        char *code = zmsg_popstr (msg);
        char *message = zmsg_popstr (msg);
        assert_string_equal (code, "E_PROTOCOL");
        assert_non_null (strstr (message, "must be 4096 to 4194304 bytes"));
        free (code);
        free (message);
        zmsg_destroy (&msg);
    }
    /* Still serving. */
    uint64_t head;
    assert_int_equal (s_records_before_head (&h, &head), 0);
    h_teardown (&h);
}

/* CHECKPOINT on a signing hub waits for the store's answer to its SIGN:
   news of a checkpoint the store signed on its own schedule meanwhile
   (which may cover fewer records than were committed when the request
   arrived) answers nobody. CHECKPOINT with a size frame of 0 asks for the
   stored checkpoint of 0 records, of which this log has none (a hub
   signs it when it starts on an empty log: test_proofs). */
static void test_checkpoint_waits_for_its_answer (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "query-checkpoint");
    char err[256];
    jk_log_t *log = jk_log_open (h.db, 0, err, sizeof err);
    assert_non_null (log);
    jk_log_close (&log);
    h.store = jk_query_start (h.db, h.query, NULL, NULL, 0);
    assert_non_null (h.store);
    zstr_send (h.store, "SIGNER");
    h_connect_client (&h);

    zmsg_t *msg = jk_wire_new ("CHECKPOINT");
    jk_wire_add_u64 (msg, 0);
    s_send (&h, &msg);
    char command[16];
    msg = h_client_recv (&h, command, H_WAIT_MS);
    assert_non_null (msg);
    assert_string_equal (command, "ERROR");
    char *code = zmsg_popstr (msg);
    char *message = zmsg_popstr (msg);
    assert_string_equal (code, "E_NO_CHECKPOINT");
    assert_string_equal (message, "no checkpoint of 0 records was signed");
    free (code);
    free (message);
    zmsg_destroy (&msg);

    msg = jk_wire_new ("CHECKPOINT");
    s_send (&h, &msg);
    zmsg_t *sign = jk_test_recv (zactor_sock (h.store), H_WAIT_MS);
    assert_non_null (sign);
    assert_int_equal (zmsg_size (sign), 1);
    assert_true (zframe_streq (zmsg_first (sign), "SIGN"));
    zmsg_destroy (&sign);
    /* News, not the answer: the client still waits (a HEAD asked after
       it is answered first). */
    zstr_sendx (h.store, "CHECKPOINT", "news", "0", NULL);
    uint64_t head = 99;
    assert_int_equal (s_records_before_head (&h, &head), 0);
    assert_int_equal (head, 0);
    zstr_sendx (h.store, "CHECKPOINT", "answer", "1", NULL);
    msg = h_client_recv (&h, command, H_WAIT_MS);
    assert_non_null (msg);
    assert_string_equal (command, "CHECKPOINT");
    char *note = zmsg_popstr (msg);
    assert_string_equal (note, "answer");
    free (note);
    zmsg_destroy (&msg);
    h_teardown (&h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_head_and_since_credit),
        cmocka_unit_test (test_since_prefix_and_replace),
        cmocka_unit_test (test_snapshot_gaps_stats),
        cmocka_unit_test (test_state_credit),
        cmocka_unit_test (test_state_at_p),
        cmocka_unit_test (test_bad_requests),
        cmocka_unit_test (test_checkpoint_waits_for_its_answer),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
