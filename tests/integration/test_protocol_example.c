/*  test_protocol_example.c - the worked example of docs/PROTOCOL.md
    (section 10) is true: its bytes, read from the document itself, are
    what an agent encodes for those events, and a real jejak-hub with an
    empty log and its clock at the example's recorded_at answers them with
    exactly the document's bytes (ANSWER frames, feed records, HEAD, and
    the PONG to its heartbeat). */
#include "testsupport.h"

#include "jk_wire.h"

#include <ctype.h>
#include <signal.h>
#include <sys/wait.h>

#define S_RECORDED_AT 1665100805000LL
#define S_WAIT_MS     10000

/* HEAD on the query endpoint: the position, its hash in hash. */
static uint64_t s_head (const char *query, uint8_t hash[32])
{
    zsock_t *sock = jk_test_dealer (query);
    zmsg_t *msg = jk_wire_new ("HEAD");
    zmsg_send (&msg, sock);
    msg = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (msg);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "HEAD");
    uint64_t pos;
    assert_int_equal (jk_wire_pop_u64 (msg, &pos), 0);
    zframe_t *frame = zmsg_pop (msg);
    assert_int_equal (zframe_size (frame), 32);
    memcpy (hash, zframe_data (frame), 32);
    zframe_destroy (&frame);
    zmsg_destroy (&msg);
    zsock_destroy (&sock);
    return pos;
}

typedef struct {
    uint8_t bytes[512];
    size_t size;
} s_block_t;

/* The hex dumps of section 10, in order: every code block whose lines
   all start with hex byte pairs (16 at most, single spaces; the text
   after two spaces is a comment). */
static size_t s_read_blocks (s_block_t *blocks, size_t max,
                             uint8_t hashes[2][32])
{
    char *doc = jk_test_slurp (JEJAK_SOURCE_DIR "/docs/PROTOCOL.md", NULL);
    assert_non_null (doc);
    char *section = strstr (doc, "\n## 10. Worked example\n");
    assert_non_null (section);
    char *end = strstr (section, "\n## 11.");
    assert_non_null (end);
    *end = 0;
    size_t count = 0, hash_count = 0;
    char *at = section;
    while ((at = strstr (at, "\n```\n")) != NULL) {
        char *body = at + 5;
        char *close = strstr (body, "\n```\n");
        assert_non_null (close);
        *close = 0;
        s_block_t block = {.size = 0};
        bool hex = true;
        char *copy = jk_strdup (body);
        for (char *line = copy; line && *line && hex;) {
            char *next = strchr (line, '\n');
            if (next)
                *next++ = 0;
            int pairs = 0;
            for (char *p = line; pairs < 16; p += 3) {
                unsigned value;
                if (!isxdigit ((unsigned char)p[0]) ||
                    !isxdigit ((unsigned char)p[1]) ||
                    (p[2] != ' ' && p[2] != 0) ||
                    sscanf (p, "%2x", &value) != 1)
                    break;
                assert_true (block.size < sizeof block.bytes);
                block.bytes[block.size++] = (uint8_t)value;
                pairs++;
                if (p[2] == 0 || p[3] == ' ')
                    break;
            }
            if (pairs == 0)
                hex = false;
            line = next;
        }
        free (copy);
        if (!hex) {
            /* The hash block: "= 64 hex digits" per hash. */
            for (char *p = body; (p = strstr (p, "= ")) != NULL; p += 2) {
                if (strspn (p + 2, "0123456789abcdef") != 64)
                    continue; /* "= SHA-256(...": the formula */
                assert_true (hash_count < 2);
                for (int i = 0; i < 32; i++) {
                    unsigned value;
                    assert_int_equal (sscanf (p + 2 + 2 * i, "%2x", &value), 1);
                    hashes[hash_count][i] = (uint8_t)value;
                }
                hash_count++;
            }
        } else {
            assert_true (count < max);
            blocks[count++] = block;
        }
        at = close + 4;
    }
    assert_int_equal (hash_count, 2);
    free (doc);
    return count;
}

/* The example's events as an agent builds them. */
static uint8_t *s_encode (const char *type, const char *id, uint64_t seq,
                          int64_t at, const char *const *fields, size_t *size)
{
    jk_event_t *ev = jk_event_new (jk_vocabulary_find (type, strlen (type)));
    assert_non_null (ev);
    assert_int_equal (jk_uuid_parse (id, ev->id), 0);
    jk_event_set_source (ev, "32.03.10/pacet-1");
    jk_event_set_actor (ev, "op-1");
    ev->seq = seq;
    ev->at = at;
    for (size_t i = 0; fields[i]; i += 2) {
        jk_report_t report;
        jk_report_reset (&report);
        assert_int_equal (jk_event_set (ev, fields[i], fields[i + 1], &report),
                          0);
    }
    uint8_t *bytes = jk_event_encode (ev, size);
    assert_non_null (bytes);
    jk_event_destroy (&ev);
    return bytes;
}

static void test_worked_example (void **state)
{
    (void)state;
    s_block_t blocks[8];
    uint8_t hashes[2][32];
    size_t count = s_read_blocks (blocks, 8, hashes);
    /* event 1, event 2, answer 1, answer 2, heartbeat, PONG map */
    assert_int_equal (count, 6);
    const s_block_t *scheduled = &blocks[0], *closed = &blocks[1];

    /* The bytes are what an agent sends for those events. */
    const char *const scheduled_fields[] = {"batch",
                                            "PK2UMK-2022-01",
                                            "title",
                                            "Pelatihan Pengelola Koperasi",
                                            "funding",
                                            "DAK_NF_PK2UMK",
                                            "budget_year",
                                            "2022",
                                            "venue",
                                            "Aula Kecamatan Pacet",
                                            "venue_desa_code",
                                            "32.03.10.2012",
                                            "start_date",
                                            "2022-10-03",
                                            "end_date",
                                            "2022-10-06",
                                            NULL};
    const char *const closed_fields[] = {"batch", "PK2UMK-2022-01", NULL};
    size_t size;
    uint8_t *bytes = s_encode ("training.batch_scheduled",
                               "0183af86-f180-7000-8000-000000000001", 1,
                               1665097200000LL, scheduled_fields, &size);
    assert_int_equal (size, scheduled->size);
    assert_memory_equal (bytes, scheduled->bytes, size);
    free (bytes);
    bytes = s_encode ("training.batch_closed",
                      "0183afbd-e000-7000-8000-000000000002", 2,
                      1665100800000LL, closed_fields, &size);
    assert_int_equal (size, closed->size);
    assert_memory_equal (bytes, closed->bytes, size);
    free (bytes);

    /* A hub with an empty log and its clock at the example's time. */
    char *dir = jk_test_tmpdir ("example");
    char *ingest = jk_test_endpoint (dir, "ingest");
    char *feed = jk_test_endpoint (dir, "feed");
    char *query = jk_test_endpoint (dir, "query");
    char *db = jk_sprintf ("%s/data/events.db", dir);
    char *log = jk_sprintf ("%s/hub.log", dir);
    char clock[32];
    snprintf (clock, sizeof clock, "%lld", S_RECORDED_AT);
    setenv ("JEJAK_CLOCK_MS", clock, 1);
    pid_t pid = jk_test_hub_spawn (db, ingest, feed, query, NULL, log);
    unsetenv ("JEJAK_CLOCK_MS");
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_file_has (log, "jejak-hub ingest="), S_WAIT_MS));

    /* A subscriber of training. (and $head, to know it is subscribed). */
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (sub, "training.");
    zsock_set_subscribe (sub, JK_FEED_HEAD);
    assert_int_equal (zsock_connect (sub, "%s", feed), 0);
    zmsg_t *msg = jk_test_recv (sub, S_WAIT_MS);
    assert_non_null (msg);
    zmsg_destroy (&msg);

    /* The SUBMIT: exactly the document's frames. */
    zsock_t *agent = jk_test_dealer (ingest);
    msg = zmsg_new ();
    zmsg_addmem (msg, "\x4a\x45\x4a\x41\x4b\x2f\x31", 7);
    zmsg_addmem (msg, "\x53\x55\x42\x4d\x49\x54", 6);
    zmsg_addmem (msg, scheduled->bytes, scheduled->size);
    zmsg_addmem (msg, closed->bytes, closed->size);
    zmsg_send (&msg, agent);
    msg = jk_test_recv (agent, S_WAIT_MS);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 4);
    char *text = zmsg_popstr (msg);
    assert_string_equal (text, "JEJAK/1");
    free (text);
    text = zmsg_popstr (msg);
    assert_string_equal (text, "ANSWER");
    free (text);
    for (int i = 0; i < 2; i++) {
        zframe_t *frame = zmsg_pop (msg);
        assert_int_equal (zframe_size (frame), blocks[2 + i].size);
        assert_memory_equal (zframe_data (frame), blocks[2 + i].bytes,
                             blocks[2 + i].size);
        jk_answer_t answer;
        assert_int_equal (jk_answer_decode (zframe_data (frame),
                                            zframe_size (frame), &answer),
                          0);
        assert_int_equal (answer.kind, JK_ANSWER_ACK);
        assert_int_equal (answer.pos, (uint64_t)i + 1);
        assert_memory_equal (answer.hash, hashes[i], 32);
        zframe_destroy (&frame);
    }
    zmsg_destroy (&msg);

    /* The feed: both records, in order, with the document's frames. */
    const char *topics[] = {"training.batch_scheduled",
                            "training.batch_closed"};
    for (int i = 0; i < 2;) {
        msg = jk_test_recv (sub, S_WAIT_MS);
        assert_non_null (msg);
        jk_record_t record;
        assert_int_equal (jk_record_read (msg, &record), 0);
        if (streq (record.topic, JK_FEED_HEAD)) {
            zmsg_destroy (&msg);
            continue;
        }
        assert_int_equal (zmsg_size (msg), 5);
        assert_string_equal (record.topic, topics[i]);
        assert_int_equal (record.pos, (uint64_t)i + 1);
        assert_memory_equal (record.hash, hashes[i], 32);
        assert_int_equal (record.recorded_at, S_RECORDED_AT);
        assert_int_equal (record.size, blocks[i].size);
        assert_memory_equal (record.bytes, blocks[i].bytes, record.size);
        zmsg_destroy (&msg);
        i++;
    }

    /* HEAD: position 2 and hash_2. */
    uint8_t head[32];
    assert_int_equal (s_head (query, head), 2);
    assert_memory_equal (head, hashes[1], 32);

    /* The heartbeat is answered PONG with the document's map. */
    msg = jk_wire_new ("PING");
    zmsg_addmem (msg, blocks[4].bytes, blocks[4].size);
    zmsg_send (&msg, agent);
    msg = jk_test_recv (agent, S_WAIT_MS);
    assert_non_null (msg);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "PONG");
    assert_int_equal (zmsg_size (msg), 1);
    zframe_t *pong = zmsg_first (msg);
    assert_int_equal (zframe_size (pong), blocks[5].size);
    assert_memory_equal (zframe_data (pong), blocks[5].bytes, blocks[5].size);
    zmsg_destroy (&msg);

    zsock_destroy (&agent);
    zsock_destroy (&sub);
    int status = jk_test_stop (pid, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    free (ingest);
    free (feed);
    free (query);
    free (db);
    free (log);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_worked_example),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
