/*  test_wire_shapes.c - malformed messages, as docs/PROTOCOL.md names
    them (sections 2, 3.4, 6 and 8), sent to a real jejak-hub on its
    ingest and query endpoints: each gets the documented ERROR code with
    a message naming the rule, every message is valid UTF-8 without
    control characters whatever bytes the request held, a command frame
    that is not 1 to 15 upper-case letters is never taken for a command
    ("HEAD\0x" is no HEAD), and both endpoints keep serving. */
#include "testsupport.h"

#include "jk_wire.h"

#include <msgpack.h>

#define S_WAIT_MS 10000

typedef struct {
    const char *data;
    size_t size;
} s_frame_t;

#define F(text)                                                                \
    {                                                                          \
        text, sizeof text - 1                                                  \
    }
#define U64(v)                                                                 \
    {                                                                          \
        "\0\0\0\0\0\0\0" v, 8                                                  \
    }

typedef struct {
    bool ingest;          /* else the query endpoint */
    s_frame_t frames[5];  /* up to the first {NULL} */
    const char *code;     /* the ERROR code expected */
    const char *contains; /* in its message, or NULL */
} s_case_t;

static const s_case_t s_cases[] = {
    /* Section 2: the command is 1 to 15 upper-case ASCII letters. */
    {false, {F ("JEJAK/1"), F ("HEAD\0x")}, "E_PROTOCOL", "command"},
    {false, {F ("JEJAK/1"), F ("head")}, "E_PROTOCOL", "command"},
    {false, {F ("JEJAK/1"), F ("ABCDEFGHIJKLMNOP")}, "E_PROTOCOL", "command"},
    {false, {F ("JEJAK/1"), F ("\xff\x41")}, "E_PROTOCOL", "command"},
    {false, {F ("JEJAK/1")}, "E_PROTOCOL", "command"},
    {false, {F ("JEJAK/2"), F ("HEAD")}, "E_PROTOCOL", "JEJAK/1"},
    {false, {F ("JEJAK/1"), F ("DROP")}, "E_UNKNOWN_COMMAND", "DROP"},
    /* Section 6: argument frames. */
    {false,
     {F ("JEJAK/1"), F ("SINCE"), U64 ("\0"), F ("rej\0"), U64 ("\5")},
     "E_PROTOCOL",
     "NUL"},
    {false,
     {F ("JEJAK/1"), F ("SINCE"), U64 ("\0"), F ("\xff\n"), U64 ("\5")},
     "E_PROTOCOL",
     "UTF-8"},
    {false,
     {F ("JEJAK/1"), F ("SINCE"), U64 ("\0"),
      F ("01234567890123456789012345678901234567890123456789012345678901234"
         "567890123456789"),
      U64 ("\5")},
     "E_PROTOCOL",
     "79 bytes"},
    {false,
     {F ("JEJAK/1"), F ("SNAPSHOT"), F (""), F ("\xff\n=1")},
     "E_FIELD_FORMAT",
     "\\n"},
    {false,
     {F ("JEJAK/1"), F ("SNAPSHOT"), F ("2026-02-30")},
     "E_FIELD_FORMAT",
     "YYYY-MM-DD"},
    {false,
     {F ("JEJAK/1"), F ("CHECKPOINT"), F ("1234567")},
     "E_PROTOCOL",
     NULL},
    {false,
     {F ("JEJAK/1"), F ("COSIGN"), F ("a"), F ("b")},
     "E_PROTOCOL",
     NULL},
    {false,
     {F ("JEJAK/1"), F ("PROOF"), F ("INCLUSION"), U64 ("\1")},
     "E_PROTOCOL",
     NULL},
    {false,
     {F ("JEJAK/1"), F ("PROOF"), F ("SIDEWAYS"), U64 ("\1"), U64 ("\1")},
     "E_PROTOCOL",
     "INCLUSION or CONSISTENCY"},
    {false,
     {F ("JEJAK/1"), F ("PROOF"), F ("INCLUSION"), U64 ("\0"), U64 ("\0")},
     "E_PROOF_RANGE",
     NULL},
    /* Sections 3.2 and 3.4, on ingest. */
    {true, {F ("JEJAK/1"), F ("STATS\0\n")}, "E_PROTOCOL", NULL},
    {true, {F ("JEJAK/1"), F ("\n\x1b")}, "E_PROTOCOL", NULL},
    {true, {F ("JEJAK/1"), F ("submit"), F ("x")}, "E_PROTOCOL", NULL},
    {true, {F ("JEJAK/2"), F ("SUBMIT"), F ("x")}, "E_PROTOCOL", NULL},
    {true, {F ("JEJAK/1"), F ("HELLO")}, "E_UNKNOWN_COMMAND", "HELLO"},
    {true, {F ("JEJAK/1"), F ("SUBMIT")}, "E_PROTOCOL", "no events"},
    {true, {F ("JEJAK/1"), F ("PING")}, "E_PROTOCOL", "heartbeat"},
    {true, {F ("JEJAK/1"), F ("PING"), F ("\x80")}, "E_PROTOCOL", "heartbeat"},
    {true, {F ("JEJAK/1"), F ("STATS"), F ("x")}, "E_PROTOCOL", "STATS"},
};
#define S_CASES (sizeof s_cases / sizeof s_cases[0])

/* Text a person reads: valid UTF-8, no control characters. */
static void s_assert_clean (const char *text, size_t size)
{
    assert_true (jk_utf8_length (text, size) >= 0);
    for (size_t i = 0; i < size; i++)
        assert_true ((unsigned char)text[i] >= 0x20 &&
                     (unsigned char)text[i] != 0x7f);
}

/* Sends the case's frames on sock and checks the ERROR that comes back. */
static void s_check (zsock_t *sock, const s_case_t *c)
{
    zmsg_t *msg = zmsg_new ();
    for (int i = 0; i < 5 && c->frames[i].data; i++)
        zmsg_addmem (msg, c->frames[i].data, c->frames[i].size);
    assert_int_equal (zmsg_send (&msg, sock), 0);
    msg = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 4);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "ERROR");
    zframe_t *code = zmsg_pop (msg);
    zframe_t *message = zmsg_pop (msg);
    assert_true (zframe_streq (code, c->code));
    const char *text = (const char *)zframe_data (message);
    size_t size = zframe_size (message);
    s_assert_clean (text, size);
    assert_true (size > 10);
    if (c->contains) {
        char *copy = zframe_strdup (message);
        if (!strstr (copy, c->contains))
            fail_msg ("message '%s' does not name '%s'", copy, c->contains);
        free (copy);
    }
    zframe_destroy (&code);
    zframe_destroy (&message);
    zmsg_destroy (&msg);
}

/* One request, one answer of the given command; returns its frames after
   the command. */
static zmsg_t *s_ask (zsock_t *sock, const char *request, const char *want)
{
    zmsg_t *msg = jk_wire_new (request);
    assert_int_equal (zmsg_send (&msg, sock), 0);
    msg = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (msg);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, want);
    return msg;
}

static void test_malformed_shapes (void **state)
{
    (void)state;
    jk_test_hub_t *hub = jk_test_hub_new ("wire-shapes");
    jk_test_hub_start (hub);
    zsock_t *query = jk_test_dealer (hub->query);
    zsock_t *ingest = jk_test_dealer (hub->ingest);
    int ingest_errors = 0;
    for (size_t i = 0; i < S_CASES; i++) {
        s_check (s_cases[i].ingest ? ingest : query, &s_cases[i]);
        ingest_errors += s_cases[i].ingest;
    }
    /* A CREDIT without a stream gets no answer at all: the HEAD sent
       after it is what comes back first. */
    zmsg_t *msg = jk_wire_new ("CREDIT");
    jk_wire_add_u64 (msg, 5);
    assert_int_equal (zmsg_send (&msg, query), 0);
    msg = s_ask (query, "HEAD", "HEAD");
    assert_int_equal (zmsg_size (msg), 3);
    zmsg_destroy (&msg);
    /* The broker counted each refusal (3.4) and still serves. */
    msg = s_ask (ingest, "STATS", "STATS");
    char *stats = zmsg_popstr (msg);
    char want[64];
    snprintf (want, sizeof want, " protocol_errors=%d ", ingest_errors);
    if (!strstr (stats, want))
        fail_msg ("broker STATS '%s' lacks '%s'", stats, want);
    free (stats);
    zmsg_destroy (&msg);
    zsock_destroy (&query);
    zsock_destroy (&ingest);
    jk_test_hub_destroy (&hub);
}

/* Every key=value of the broker's and the store's STATS is a key
   docs/PROTOCOL.md names (3.4.1 and section 6). */
static void s_keys_documented (const char *stats, const char *doc)
{
    char *copy = jk_strdup (stats);
    for (char *save = NULL, *pair = strtok_r (copy, " ", &save); pair;
         pair = strtok_r (NULL, " ", &save)) {
        char *eq = strchr (pair, '=');
        assert_non_null (eq);
        *eq = 0;
        char *quoted = jk_sprintf ("`%s`", pair);
        if (!strstr (doc, quoted))
            fail_msg ("STATS key %s is not in docs/PROTOCOL.md", pair);
        free (quoted);
    }
    free (copy);
}

/* An event whose envelope reads (id, source, seq) and nothing more. */
static zframe_t *s_bare_event (const char *source)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    msgpack_pack_str_with_body (&pk, "id", 2);
    uint8_t id[16] = {0x01, 0x83, 0xaf, 0x86, 0xf1, 0x80, 0x70, 0x00, 0x80};
    msgpack_pack_bin_with_body (&pk, id, 16);
    msgpack_pack_str_with_body (&pk, "source", 6);
    msgpack_pack_str_with_body (&pk, source, strlen (source));
    msgpack_pack_str_with_body (&pk, "seq", 3);
    msgpack_pack_uint64 (&pk, 1);
    zframe_t *frame = zframe_new (sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy (&sbuf);
    return frame;
}

/* Section 5: an agent that submitted but never sent PING is on the feed's
   $office under its first event's source, program empty, counts 0. And
   the counters both STATS give are documented. */
static void test_office_and_stats (void **state)
{
    (void)state;
    jk_test_hub_t *hub = jk_test_hub_new ("wire-office");
    jk_test_hub_start (hub);
    zsock_t *sub = zsock_new_sub (hub->feed, JK_FEED_OFFICE);
    assert_non_null (sub);
    zsock_t *agent = jk_test_dealer (hub->ingest);
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    zframe_t *event = s_bare_event ("32.03.10/shape-1");
    zmsg_append (msg, &event);
    assert_int_equal (zmsg_send (&msg, agent), 0);
    msg = jk_test_recv (agent, S_WAIT_MS);
    assert_non_null (msg); /* its ANSWER */
    zmsg_destroy (&msg);
    bool seen = false;
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (!seen && zclock_mono () < deadline) {
        msg = jk_test_recv (sub, 2000);
        jk_office_t office;
        if (msg && jk_office_read (msg, &office) == JK_OK &&
            streq (office.heartbeat.source, "32.03.10/shape-1")) {
            assert_string_equal (office.heartbeat.program, "");
            assert_int_equal (office.heartbeat.outbox_depth, 0);
            assert_int_equal (office.heartbeat.last_stored_seq, 0);
            assert_int_equal (office.heartbeat.rejected, 0);
            assert_true (office.last_seen_ms > 0);
            seen = true;
        }
        zmsg_destroy (&msg);
    }
    assert_true (seen);

    char *doc = jk_test_slurp (JEJAK_SOURCE_DIR "/docs/PROTOCOL.md", NULL);
    assert_non_null (doc);
    zsock_t *query = jk_test_dealer (hub->query);
    zsock_t *socks[] = {agent, query};
    for (int i = 0; i < 2; i++) {
        msg = s_ask (socks[i], "STATS", "STATS");
        char *stats = zmsg_popstr (msg);
        s_keys_documented (stats, doc);
        free (stats);
        zmsg_destroy (&msg);
    }
    free (doc);
    zsock_destroy (&query);
    zsock_destroy (&agent);
    zsock_destroy (&sub);
    jk_test_hub_destroy (&hub);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_malformed_shapes),
        cmocka_unit_test (test_office_and_stats),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
