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

/* What a message that is not [JEJAK/1][COMMAND] is told, on both. */
#define S_RULE                                                                 \
    "expected [JEJAK/1][COMMAND] frames: the signature JEJAK/1, then a "       \
    "command of 1 to 15 upper-case ASCII letters"

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
     {F ("JEJAK/1"), F ("SNAPSHOT"), F ("0000-01-01")},
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
     "PROOF INCLUSION takes exactly two frames after it, [pos u64][size "
     "u64], of 8 bytes each"},
    {false,
     {F ("JEJAK/1"), F ("PROOF"), F ("SIDEWAYS"), U64 ("\1"), U64 ("\1")},
     "E_PROTOCOL",
     "INCLUSION or CONSISTENCY"},
    {false,
     {F ("JEJAK/1"), F ("PROOF"), F ("INCLUSION\0"), U64 ("\1"), U64 ("\1")},
     "E_PROTOCOL",
     "INCLUSION or CONSISTENCY"},
    {false,
     {F ("JEJAK/1"), F ("PROOF"), F ("INCLUSION"), U64 ("\0"), U64 ("\0")},
     "E_PROOF_RANGE",
     NULL},
    /* Sections 3.2 and 3.4, on ingest. */
    {true, {F ("JEJAK/1"), F ("STATS\0\n")}, "E_PROTOCOL", "command"},
    {true, {F ("JEJAK/1"), F ("\n\x1b")}, "E_PROTOCOL", "command"},
    {true, {F ("JEJAK/1"), F ("submit"), F ("x")}, "E_PROTOCOL", S_RULE},
    {true,
     {F ("JEJAK/1"), F ("ABCDEFGHIJKLMNOP")},
     "E_PROTOCOL",
     S_RULE " (got 2 frames)"},
    {true, {F ("JEJAK/1")}, "E_PROTOCOL", S_RULE " (got 1 frame)"},
    {true, {F ("JEJAK/2"), F ("SUBMIT"), F ("x")}, "E_PROTOCOL", "JEJAK/1"},
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

/* The next message on sock, of the given command; returns its frames
   after the command. */
static zmsg_t *s_next (zsock_t *sock, const char *want)
{
    zmsg_t *msg = jk_test_recv (sock, S_WAIT_MS);
    if (!msg)
        fail_msg ("no %s came", want);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, want);
    return msg;
}

/* One request, one answer of the given command; returns its frames after
   the command. */
static zmsg_t *s_ask (zsock_t *sock, const char *request, const char *want)
{
    zmsg_t *msg = jk_wire_new (request);
    assert_int_equal (zmsg_send (&msg, sock), 0);
    return s_next (sock, want);
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

/* An event whose envelope reads (id, source, seq) and nothing more: the
   store logs it as a rejection record. Its id is made of seq. */
static zframe_t *s_bare_event (const char *source, uint64_t seq)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    msgpack_pack_str_with_body (&pk, "id", 2);
    uint8_t id[16] = {0x01, 0x83, 0xaf, 0x86, 0xf1, 0x80, 0x70, 0x00, 0x80};
    jk_wire_put_u64 (id + 8, 0x8000000000000000ULL | seq);
    msgpack_pack_bin_with_body (&pk, id, 16);
    msgpack_pack_str_with_body (&pk, "source", 6);
    msgpack_pack_str_with_body (&pk, source, strlen (source));
    msgpack_pack_str_with_body (&pk, "seq", 3);
    msgpack_pack_uint64 (&pk, seq);
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
    zframe_t *event = s_bare_event ("32.03.10/shape-1", 1);
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

/* Logs records from..to of source, SUBMITs of up to 1000 events with up
   to 4 in flight; each answered want (REJECTED: a bare event is a
   rejection record; DUPLICATE when it was logged before). */
static void s_submit_bare (zsock_t *agent, const char *source, uint64_t from,
                           uint64_t to, jk_answer_kind_t want)
{
    uint64_t next = from, answered = 0;
    int in_flight = 0;
    while (answered < to - from + 1) {
        while (in_flight < 4 && next <= to) {
            zmsg_t *msg = jk_wire_new ("SUBMIT");
            for (int i = 0; i < 1000 && next <= to; i++) {
                zframe_t *event = s_bare_event (source, next++);
                zmsg_append (msg, &event);
            }
            assert_int_equal (zmsg_send (&msg, agent), 0);
            in_flight++;
        }
        zmsg_t *msg = jk_test_recv (agent, S_WAIT_MS);
        assert_non_null (msg);
        char command[16];
        assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
        assert_string_equal (command, "ANSWER");
        for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
            jk_answer_t answer;
            assert_int_equal (
                jk_answer_decode (zframe_data (f), zframe_size (f), &answer),
                JK_OK);
            if (answer.kind != want)
                fail_msg ("a bare event was answered %s %s, not %s",
                          jk_answer_kind_name (answer.kind), answer.code,
                          jk_answer_kind_name (want));
            answered++;
        }
        zmsg_destroy (&msg);
        in_flight--;
    }
}

static void s_log_bare (zsock_t *agent, const char *source, uint64_t from,
                        uint64_t to)
{
    s_submit_bare (agent, source, from, to, JK_ANSWER_REJECTED);
}

/* Asks SINCE from_pos with the given credit on sock. */
static void s_since (zsock_t *sock, uint64_t from_pos, uint64_t credit)
{
    zmsg_t *msg = jk_wire_new ("SINCE");
    jk_wire_add_u64 (msg, from_pos);
    zmsg_addstr (msg, "");
    jk_wire_add_u64 (msg, credit);
    assert_int_equal (zmsg_send (&msg, sock), 0);
}

/* Reads a SINCE stream from sock: RECORDs from position from + 1 on,
   each the one after the last, then END at head. */
static void s_read_stream (zsock_t *sock, uint64_t from, uint64_t head)
{
    uint64_t last = from;
    while (true) {
        zmsg_t *msg = jk_test_recv (sock, S_WAIT_MS);
        if (!msg)
            fail_msg ("the stream stopped after position %llu, before END "
                      "(head %llu)",
                      (unsigned long long)last, (unsigned long long)head);
        char command[16];
        assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
        uint64_t pos = 0;
        if (streq (command, "END")) {
            assert_int_equal (jk_wire_pop_u64 (msg, &pos), 0);
            assert_int_equal (pos, head);
            assert_int_equal (last, head);
            zmsg_destroy (&msg);
            return;
        }
        assert_string_equal (command, "RECORD");
        jk_record_t record;
        assert_int_equal (jk_record_read (msg, &record), JK_OK);
        if (record.pos != last + 1)
            fail_msg ("RECORD %llu came after %llu",
                      (unsigned long long)record.pos, (unsigned long long)last);
        last = record.pos;
        zmsg_destroy (&msg);
    }
}

/* Section 6, SINCE: a from_pos at or beyond the head is answered END at
   once, whatever its size (one above 2^63 - 1 too: SQLite's integers
   end there), never with the records from the first. */
static void test_since_beyond_head (void **state)
{
    (void)state;
    jk_test_hub_t *hub = jk_test_hub_new ("wire-since-far");
    jk_test_hub_start (hub);
    zsock_t *agent = jk_test_dealer (hub->ingest);
    s_log_bare (agent, "32.03.10/far-1", 1, 3);
    zsock_t *query = jk_test_dealer (hub->query);
    const uint64_t from[] = {3, 4, INT64_MAX, (uint64_t)INT64_MAX + 1,
                             UINT64_MAX};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        s_since (query, from[i], 100);
        s_read_stream (query, 3, 3);
    }
    s_since (query, 1, 100);
    s_read_stream (query, 1, 3);
    zsock_destroy (&query);
    zsock_destroy (&agent);
    jk_test_hub_destroy (&hub);
}

/* Section 6, SINCE: a client that grants more credit than it reads loses
   nothing. The store queues up to 100,000 messages for a client, then
   holds its stream until the client reads: every record and the END
   arrive, however far behind the reader is. One client reads nothing
   while a second one reads the same stream to its END (the store turns
   the streams together, so by then the first one's has run as far). */
static void test_since_slow_reader (void **state)
{
    (void)state;
    const uint64_t records = 130000;
    jk_test_hub_t *hub = jk_test_hub_new ("wire-since-slow");
    /* No E_BUSY for the projections' lag while the log fills fast. */
    setenv ("JEJAK_PROJECTION_LAG_MAX", "100000000", 1);
    jk_test_hub_start (hub);
    unsetenv ("JEJAK_PROJECTION_LAG_MAX");
    zsock_t *agent = jk_test_dealer (hub->ingest);
    s_log_bare (agent, "32.03.10/slow-1", 1, records);
    zsock_t *idle = jk_test_dealer (hub->query);
    zsock_t *reader = jk_test_dealer (hub->query);
    s_since (idle, 0, UINT64_MAX);
    s_since (reader, 0, UINT64_MAX);
    s_read_stream (reader, 0, records);
    s_read_stream (idle, 0, records);
    zsock_destroy (&reader);
    zsock_destroy (&idle);
    zsock_destroy (&agent);
    jk_test_hub_destroy (&hub);
}

/* The idle limit of a query stream, shortened for these tests
   (JEJAK_STREAM_IDLE_MS, docs/ARCHITECTURE.md "Fault injection"). */
#define S_IDLE_MS 2000

/* Starts a hub whose query streams end after idle_ms idle (0: after the
   store's own limit). */
static jk_test_hub_t *s_hub_idle (const char *tag, int idle_ms)
{
    jk_test_hub_t *hub = jk_test_hub_new (tag);
    char ms[16];
    snprintf (ms, sizeof ms, "%d", idle_ms);
    if (idle_ms)
        setenv ("JEJAK_STREAM_IDLE_MS", ms, 1);
    jk_test_hub_start (hub);
    unsetenv ("JEJAK_STREAM_IDLE_MS");
    return hub;
}

/* Reads the RECORD at pos from sock. */
static void s_expect_record (zsock_t *sock, uint64_t pos)
{
    zmsg_t *msg = s_next (sock, "RECORD");
    jk_record_t record;
    assert_int_equal (jk_record_read (msg, &record), JK_OK);
    assert_int_equal (record.pos, pos);
    zmsg_destroy (&msg);
}

static void s_credit (zsock_t *sock, uint64_t n)
{
    zmsg_t *msg = jk_wire_new ("CREDIT");
    jk_wire_add_u64 (msg, n);
    assert_int_equal (zmsg_send (&msg, sock), 0);
}

/* Section 6, SINCE and the limit `stream_idle`: a stream whose client
   took its credit and went away (its socket closed) ends once it has
   waited for credit for the limit, not before, and STATS shows it gone
   (`streams`, `streams_expired`). A client whose stream ended so gets
   nothing for a CREDIT, and a new SINCE from the last position it has
   brings the rest. */
static void test_since_idle_ends (void **state)
{
    (void)state;
    jk_test_hub_t *hub = s_hub_idle ("wire-since-idle", S_IDLE_MS);
    zsock_t *agent = jk_test_dealer (hub->ingest);
    s_log_bare (agent, "32.03.10/idle-1", 1, 10);
    assert_int_equal (jk_test_stat (hub->query, "streams"), 0);

    zsock_t *gone = jk_test_dealer (hub->query);
    int64_t asked = jk_clock_mono_ms ();
    s_since (gone, 0, 1);
    s_expect_record (gone, 1);
    assert_int_equal (jk_test_stat (hub->query, "streams"), 1);
    zsock_destroy (&gone);
    assert_true (
        JK_WAIT_FOR (jk_test_stat (hub->query, "streams") == 0, S_WAIT_MS));
    assert_true (jk_clock_mono_ms () - asked >= S_IDLE_MS);
    assert_int_equal (jk_test_stat (hub->query, "streams_expired"), 1);

    zsock_t *back = jk_test_dealer (hub->query);
    s_since (back, 0, 1);
    s_expect_record (back, 1);
    assert_true (JK_WAIT_FOR (jk_test_stat (hub->query, "streams_expired") == 2,
                              S_WAIT_MS));
    assert_int_equal (jk_test_stat (hub->query, "streams"), 0);
    /* The stream is over: its CREDIT gets nothing, the HEAD after it is
       what comes back first. */
    s_credit (back, 5);
    zmsg_t *msg = s_ask (back, "HEAD", "HEAD");
    zmsg_destroy (&msg);
    s_since (back, 1, 100);
    s_read_stream (back, 1, 10);
    assert_int_equal (jk_test_stat (hub->query, "streams"), 0);
    assert_int_equal (jk_test_stat (hub->query, "streams_expired"), 2);
    zsock_destroy (&back);
    zsock_destroy (&agent);
    jk_test_hub_destroy (&hub);
}

/* Section 6, `stream_idle`: a client that grants one record of credit at
   a time, each after half the limit (longer than the store's look at
   idle streams, a quarter of it), is never cut off: it gets every record
   and the END. It checks on the way that nothing comes beyond its
   credit but the END. */
static void test_since_slow_credit_kept (void **state)
{
    (void)state;
    const uint64_t records = 5;
    jk_test_hub_t *hub = s_hub_idle ("wire-since-slow-credit", S_IDLE_MS);
    zsock_t *agent = jk_test_dealer (hub->ingest);
    s_log_bare (agent, "32.03.10/credit-1", 1, records);
    zsock_t *query = jk_test_dealer (hub->query);
    s_since (query, 0, 1);
    for (uint64_t pos = 1; pos < records; pos++) {
        s_expect_record (query, pos);
        /* Nothing beyond the credit, for half the limit. */
        zmsg_t *msg = jk_test_recv (query, S_IDLE_MS / 2);
        assert_null (msg);
        s_credit (query, 1);
    }
    /* The last record, and the END, which takes no credit. */
    s_expect_record (query, records);
    zmsg_t *msg = s_next (query, "END");
    uint64_t head = 0;
    assert_int_equal (jk_wire_pop_u64 (msg, &head), 0);
    assert_int_equal (head, records);
    zmsg_destroy (&msg);
    assert_int_equal (jk_test_stat (hub->query, "streams_expired"), 0);
    assert_int_equal (jk_test_stat (hub->query, "streams"), 0);
    zsock_destroy (&query);
    zsock_destroy (&agent);
    jk_test_hub_destroy (&hub);
}

/* Logs record seq of 32.03.10/wal-1; true when the store's WAL restarted
   since STATS said restarts, seen within a second. */
static bool s_log_restarts (zsock_t *agent, const char *query, uint64_t seq,
                            uint64_t restarts)
{
    s_log_bare (agent, "32.03.10/wal-1", seq, seq);
    return JK_WAIT_FOR (jk_test_stat (query, "wal_restarts") > restarts, 1000);
}

/* Section 6, SINCE: a stream waiting for credit holds no read
   transaction between its turns, so the store's checkpoints still empty
   the log's WAL and the next commit writes it from its beginning again
   (STATS `wal_restarts` grows) while the stream waits; then the stream
   goes on with the records logged meanwhile. */
static void test_since_waiting_lets_wal_restart (void **state)
{
    (void)state;
    jk_test_hub_t *hub = s_hub_idle ("wire-since-wal", 0);
    zsock_t *agent = jk_test_dealer (hub->ingest);
    s_log_bare (agent, "32.03.10/wal-1", 1, 100);
    zsock_t *query = jk_test_dealer (hub->query);
    s_since (query, 0, 1);
    s_expect_record (query, 1);
    uint64_t restarts = jk_test_stat (hub->query, "wal_restarts");
    uint64_t seq = 100;
    /* Each record logged after an idle checkpoint restarts the WAL. */
    bool restarted = JK_WAIT_FOR (
        s_log_restarts (agent, hub->query, ++seq, restarts), 6 * S_WAIT_MS);
    if (!restarted)
        fail_msg ("the WAL never restarted while a SINCE stream waited "
                  "(%llu records logged)",
                  (unsigned long long)seq);
    assert_int_equal (jk_test_stat (hub->query, "streams"), 1);
    s_credit (query, UINT64_MAX);
    s_read_stream (query, 1, seq);
    zsock_destroy (&query);
    zsock_destroy (&agent);
    jk_test_hub_destroy (&hub);
}

/* Section 3.3, "When no ANSWER comes": a client that sends SUBMITs and
   reads none of their answers finds only the answers its connection's
   queues held; the rest were dropped, their events stored all the same:
   each resend is answered DUPLICATE. */
static void test_unread_answers (void **state)
{
    (void)state;
    /* Well within the backend's queue (no E_BUSY), far beyond what the
       client's queues hold of answers of 5 events. */
    const uint64_t submits = 6000, per = 5, events = submits * per;
    jk_test_hub_t *hub = jk_test_hub_new ("wire-unread");
    jk_test_hub_start (hub);
    zsock_t *agent = jk_test_dealer (hub->ingest);
    for (uint64_t seq = 1; seq <= events;) {
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        for (uint64_t i = 0; i < per; i++) {
            zframe_t *event = s_bare_event ("32.03.10/unread-1", seq++);
            zmsg_append (msg, &event);
        }
        assert_int_equal (zmsg_send (&msg, agent), 0);
    }
    /* Every event decided and answered by the store. */
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_stat (hub->query, "received") == events, 6 * S_WAIT_MS));
    uint64_t answered = 0;
    zmsg_t *msg;
    while ((msg = jk_test_recv (agent, 2000)) != NULL) {
        char command[16];
        assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
        assert_string_equal (command, "ANSWER");
        answered++;
        zmsg_destroy (&msg);
    }
    fprintf (stderr, "%llu of %llu SUBMITs answered to a client reading none\n",
             (unsigned long long)answered, (unsigned long long)submits);
    if (answered == 0 || answered >= submits)
        fail_msg ("%llu of %llu SUBMITs answered to a client reading none",
                  (unsigned long long)answered, (unsigned long long)submits);
    s_submit_bare (agent, "32.03.10/unread-1", 1, events, JK_ANSWER_DUPLICATE);
    assert_int_equal (jk_test_stat (hub->query, "head"), events);
    zsock_destroy (&agent);
    jk_test_hub_destroy (&hub);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_malformed_shapes),
        cmocka_unit_test (test_office_and_stats),
        cmocka_unit_test (test_since_beyond_head),
        cmocka_unit_test (test_since_slow_reader),
        cmocka_unit_test (test_since_idle_ends),
        cmocka_unit_test (test_since_slow_credit_kept),
        cmocka_unit_test (test_since_waiting_lets_wal_restart),
        cmocka_unit_test (test_unread_answers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
