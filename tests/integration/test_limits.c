/*  test_limits.c - the limits table of docs/PROTOCOL.md (2.1), walked row
    by row against the real programs. The table is read from the document
    itself: each row's value and answer are what the test expects, so the
    document and the code cannot drift apart. A row without an exercise
    here, or an exercise without its row, fails the test. Each exercise
    sends what is just within the limit (and checks it is not answered
    with the row's code) and what is just beyond it (and checks the row's
    answer, with the event's id where the answer carries one). */
#include "test_broker_support.h"

#include "jk_note.h"
#include "jk_projector.h"

#include <msgpack.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* The hub's clock, pinned (JEJAK_CLOCK_MS) so time limits are exact. */
#define S_CLOCK_MS 1733300000000LL
/* The at of the events the tests make, a minute before the clock. */
#define S_AT_MS ((uint64_t)(S_CLOCK_MS - 60000))

/* ---- the table -------------------------------------------------------- */

typedef struct {
    char name[32];  /* `ingest_frame` */
    uint64_t value; /* first integer of the value cell */
    char kind[16];  /* NACK, REJECTED, ERROR, dropped, or WARN */
    char code[32];  /* E_... / W_..., "" for dropped */
} s_limit_t;

/* Reads the rows of the table under "### 2.1 Limits" into rows; returns
   their count. */
static size_t s_read_table (s_limit_t *rows, size_t max)
{
    char *doc = jk_test_slurp (JEJAK_SOURCE_DIR "/docs/PROTOCOL.md", NULL);
    assert_non_null (doc);
    char *at = strstr (doc, "\n### 2.1 Limits\n");
    assert_non_null (at);
    at = strstr (at, "\n| limit |");
    assert_non_null (at);
    at = strchr (at + 1, '\n'); /* the separator row */
    assert_non_null (at);
    at = strchr (at + 1, '\n');
    size_t count = 0;
    while (at && strncmp (at, "\n| `", 4) == 0) {
        char *line = at + 1;
        char *end = strchr (line, '\n');
        assert_non_null (end);
        *end = 0;
        assert_true (count < max);
        s_limit_t *row = &rows[count++];
        memset (row, 0, sizeof *row);
        /* Cells: | `name` | what | value | answer | */
        char *cells[5] = {NULL};
        int n = 0;
        for (char *p = line; *p && n < 5; p++)
            if (*p == '|')
                cells[n++] = p + 1;
        assert_int_equal (n, 5);
        assert_int_equal (sscanf (cells[0], " `%31[a-z_]`", row->name), 1);
        char *digits = cells[2];
        while (*digits && (*digits < '0' || *digits > '9'))
            digits++;
        assert_true (digits < cells[3]);
        row->value = strtoull (digits, NULL, 10);
        char answer[64] = "";
        assert_int_equal (sscanf (cells[3], " `%63[^`]`", answer), 1);
        if (sscanf (answer, "%15s %31s", row->kind, row->code) != 2) {
            if (strncmp (answer, "W_", 2) == 0) {
                snprintf (row->kind, sizeof row->kind, "WARN");
                snprintf (row->code, sizeof row->code, "%.31s", answer);
            } else
                snprintf (row->kind, sizeof row->kind, "%.15s", answer);
        }
        at = end;
        *end = '\n';
    }
    free (doc);
    return count;
}

/* ---- the programs ------------------------------------------------------ */

typedef struct {
    char *dir;
    char *ingest, *feed, *query, *backend, *db, *log;
    pid_t pid;
} s_hub_t;

/* Starts jejak-hub (or jejak-broker when backend is true) in dir with the
   clock pinned at clock_ms (0: the real clock) and extra arguments. */
static void s_start (s_hub_t *h, const char *dir, int64_t clock_ms, bool broker,
                     const char *extra, const char *extra_value)
{
    memset (h, 0, sizeof *h);
    h->dir = jk_strdup (dir);
    h->ingest = jk_test_endpoint (dir, "ingest");
    h->feed = jk_test_endpoint (dir, "feed");
    h->query = jk_test_endpoint (dir, "query");
    h->backend = jk_test_endpoint (dir, "backend");
    h->db = jk_sprintf ("%s/data/events.db", dir);
    /* A log of its own per start: a restarted program's start line is
       looked for in a file that holds no earlier one. */
    static int starts;
    h->log =
        jk_sprintf ("%s/%s-%d.log", dir, broker ? "broker" : "hub", ++starts);
    char clock[32];
    snprintf (clock, sizeof clock, "%lld", (long long)clock_ms);
    if (clock_ms)
        setenv ("JEJAK_CLOCK_MS", clock, 1);
    if (broker) {
        char *argv[] = {"jejak-broker",
                        "--ingest",
                        h->ingest,
                        "--feed",
                        h->feed,
                        "--backend",
                        h->backend,
                        (char *)extra,
                        (char *)extra_value,
                        NULL};
        h->pid = jk_test_spawn (argv, h->log);
    } else {
        char *argv[] = {"jejak-hub",
                        "--db",
                        h->db,
                        "--ingest",
                        h->ingest,
                        "--feed",
                        h->feed,
                        "--query",
                        h->query,
                        (char *)extra,
                        (char *)extra_value,
                        NULL};
        h->pid = jk_test_spawn (argv, h->log);
    }
    unsetenv ("JEJAK_CLOCK_MS");
    assert_true (h->pid > 0);
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_file_has (h->log, broker ? "jejak-broker ingest="
                                         : "jejak-hub ingest="),
        S_WAIT_MS));
}

static void s_stop (s_hub_t *h)
{
    int status = jk_test_stop (h->pid, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    free (h->dir);
    free (h->ingest);
    free (h->feed);
    free (h->query);
    free (h->backend);
    free (h->db);
    free (h->log);
    memset (h, 0, sizeof *h);
}

typedef struct {
    char *dir;
    s_hub_t hub; /* clock pinned at S_CLOCK_MS */
    int sources; /* fresh sources handed out */
    int niks;    /* fresh NIKs handed out */
} s_fixture_t;

/* A source no event used yet: OFFICE/lim-N. */
static void s_source (s_fixture_t *f, char *out, size_t size)
{
    snprintf (out, size, "32.03.10/lim-%d", ++f->sources);
}

/* ---- events ------------------------------------------------------------ */

/* A valid person.registered at the pinned clock, seq 1 of a fresh source,
   with a fresh NIK; the caller may change the envelope before encoding. */
static jk_event_t *s_person_event (s_fixture_t *f)
{
    jk_event_t *ev =
        jk_event_new (jk_vocabulary_find ("person.registered", 17));
    char source[48], nik[24];
    s_source (f, source, sizeof source);
    jk_event_set_source (ev, source);
    jk_event_set_actor (ev, "op-1");
    ev->seq = 1;
    ev->at = S_CLOCK_MS - 60000;
    int n = ++f->niks;
    snprintf (nik, sizeof nik, "3203%02d410785%04d", 1 + n / 9999,
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
    return ev;
}

static void s_pack_str (msgpack_packer *pk, const char *text, size_t len)
{
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, text, len);
}

/* A hand-packed event: the envelope of a person.registered with the given
   source, seq 1, at at (ms, as a uint), and a body {x: ...} whose value is pad
   bytes of bin at nesting depth (2: the body itself; each level more an array
   around it). Its id in id. Returns the bytes (caller frees). */
static uint8_t *s_raw (const char *source, size_t source_len, uint64_t at,
                       int depth, size_t pad, uint8_t id[16], size_t *size)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    jk_uuid_v7 (id);
    msgpack_pack_map (&pk, 8);
    s_pack_str (&pk, "id", 2);
    msgpack_pack_bin (&pk, 16);
    msgpack_pack_bin_body (&pk, id, 16);
    s_pack_str (&pk, "type", 4);
    s_pack_str (&pk, "person.registered", 17);
    s_pack_str (&pk, "v", 1);
    msgpack_pack_uint64 (&pk, 1);
    s_pack_str (&pk, "source", 6);
    s_pack_str (&pk, source, source_len);
    s_pack_str (&pk, "seq", 3);
    msgpack_pack_uint64 (&pk, 1);
    s_pack_str (&pk, "at", 2);
    msgpack_pack_uint64 (&pk, at);
    s_pack_str (&pk, "actor", 5);
    s_pack_str (&pk, "op-1", 4);
    s_pack_str (&pk, "body", 4);
    msgpack_pack_map (&pk, 1);
    s_pack_str (&pk, "x", 1);
    for (int level = 2; level < depth; level++)
        msgpack_pack_array (&pk, 1);
    uint8_t *zeros = jk_calloc (1, pad + 1);
    msgpack_pack_bin (&pk, pad);
    msgpack_pack_bin_body (&pk, zeros, pad);
    free (zeros);
    /* The sbuffer's data is malloc'd: the caller frees it. */
    *size = sbuf.size;
    return (uint8_t *)msgpack_sbuffer_release (&sbuf);
}

/* A hand-packed event of exactly total bytes (s_raw with its padding
   adjusted; the bin header grows with the padding). */
static uint8_t *s_raw_sized (s_fixture_t *f, size_t total, uint8_t id[16],
                             size_t *size)
{
    char source[48];
    s_source (f, source, sizeof source);
    size_t pad = 0;
    uint8_t *bytes = s_raw (source, strlen (source), S_AT_MS, 2, pad, id, size);
    for (int round = 0; round < 4 && *size != total; round++) {
        free (bytes);
        pad = pad + total - *size;
        bytes = s_raw (source, strlen (source), S_AT_MS, 2, pad, id, size);
    }
    assert_int_equal (*size, total);
    return bytes;
}

/* ---- talking to the programs ------------------------------------------- */

/* Sends one SUBMIT of one event and returns its one answer. */
static void s_submit (zsock_t *sock, const uint8_t *bytes, size_t size,
                      jk_answer_t *answer)
{
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    zmsg_addmem (msg, bytes, size);
    assert_int_equal (zmsg_send (&msg, sock), 0);
    zmsg_t *reply = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    assert_int_equal (zmsg_size (reply), 1);
    zframe_t *frame = zmsg_first (reply);
    assert_int_equal (
        jk_answer_decode (zframe_data (frame), zframe_size (frame), answer), 0);
    zmsg_destroy (&reply);
}

static void s_submit_event (zsock_t *sock, jk_event_t **ev_p,
                            jk_answer_t *answer)
{
    size_t size;
    uint8_t *bytes = jk_event_encode (*ev_p, &size);
    assert_non_null (bytes);
    s_submit (sock, bytes, size, answer);
    assert_memory_equal (answer->id, (*ev_p)->id, 16);
    free (bytes);
    jk_event_destroy (ev_p);
}

/* Whether answer is the row's answer (kind and code). */
static bool s_is (const jk_answer_t *answer, const s_limit_t *row)
{
    return streq (jk_answer_kind_name (answer->kind), row->kind) &&
           streq (answer->code, row->code);
}

/* Fails, saying what came instead, unless answer is an ACK. */
static void s_expect_ack (const jk_answer_t *answer, const s_limit_t *row)
{
    if (answer->kind != JK_ANSWER_ACK)
        fail_msg ("limit %s within: expected ACK, got %s %s: %s", row->name,
                  jk_answer_kind_name (answer->kind), answer->code,
                  answer->message);
}

/* Fails, saying what came instead, unless answer is the row's answer. */
static void s_expect (const jk_answer_t *answer, const s_limit_t *row)
{
    if (!s_is (answer, row))
        fail_msg ("limit %s: expected %s %s, got %s %s: %s", row->name,
                  row->kind, row->code, jk_answer_kind_name (answer->kind),
                  answer->code, answer->message);
}

/* Reads the first reply of a [JEJAK/1][command] request; the command in
   command and the rest of the frames in *msg_p. */
static void s_request (zsock_t *sock, zmsg_t **msg_p, char *command,
                       zmsg_t **reply_p)
{
    assert_int_equal (zmsg_send (msg_p, sock), 0);
    zmsg_t *reply = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (reply);
    assert_int_equal (jk_wire_open (reply, command, 16), 0);
    *reply_p = reply;
}

/* A heartbeat map with the given source and program; with pad or nest,
   a sixth key x (one the broker does not know) holding pad bytes of text
   inside nest arrays. Returns the map's size in bytes. */
static size_t s_add_heartbeat (zmsg_t *msg, const char *source,
                               size_t source_len, const char *program,
                               size_t program_len, size_t pad, int nest)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, pad || nest ? 6 : 5);
    s_pack_str (&pk, "source", 6);
    s_pack_str (&pk, source, source_len);
    s_pack_str (&pk, "program", 7);
    s_pack_str (&pk, program, program_len);
    s_pack_str (&pk, "outbox", 6);
    msgpack_pack_uint64 (&pk, 0);
    s_pack_str (&pk, "stored_seq", 10);
    msgpack_pack_uint64 (&pk, 0);
    s_pack_str (&pk, "rejected", 8);
    msgpack_pack_uint64 (&pk, 0);
    if (pad || nest) {
        s_pack_str (&pk, "x", 1);
        for (int i = 0; i < nest; i++)
            msgpack_pack_array (&pk, 1);
        char *text = jk_calloc (1, pad + 1);
        memset (text, 'x', pad);
        s_pack_str (&pk, text, pad);
        free (text);
    }
    size_t size = sbuf.size;
    zmsg_addmem (msg, sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy (&sbuf);
    return size;
}

/* Sends a PING (msg) and returns the command answered (PONG or ERROR),
   with the code in code for an ERROR. */
static void s_ping_msg (zsock_t *sock, zmsg_t *msg, char *command, char *code,
                        size_t code_size)
{
    zmsg_t *reply;
    s_request (sock, &msg, command, &reply);
    code[0] = 0;
    if (streq (command, "ERROR")) {
        char *text = zmsg_popstr (reply);
        snprintf (code, code_size, "%s", text ? text : "");
        free (text);
    }
    zmsg_destroy (&reply);
}

/* s_ping_msg of a PING with the given source and program. */
static void s_ping (zsock_t *sock, const char *source, size_t source_len,
                    const char *program, size_t program_len, char *command,
                    char *code, size_t code_size)
{
    zmsg_t *msg = jk_wire_new ("PING");
    s_add_heartbeat (msg, source, source_len, program, program_len, 0, 0);
    s_ping_msg (sock, msg, command, code, code_size);
}

/* Sends msg and waits up to timeout_ms for a reply (NULL if none). */
static zmsg_t *s_ask_once (zsock_t *sock, zmsg_t *msg, int timeout_ms)
{
    zmsg_send (&msg, sock);
    return jk_test_recv (sock, timeout_ms);
}

/* A SUBMIT of one frame that is not an event. */
static zmsg_t *s_bogus_submit (void)
{
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    zmsg_addstr (msg, "x");
    return msg;
}

/* After a message that ZeroMQ drops with its connection, the same socket
   is served again (it reconnects); the first reply must answer the probe,
   never the dropped message. make_probe builds the probe; its answer's
   command is expected. */
static void s_served_after_drop (zsock_t *sock, zmsg_t *(*make_probe) (void),
                                 const char *expected)
{
    zmsg_t *reply = NULL;
    JK_WAIT_FOR ((reply = s_ask_once (sock, make_probe (), 500)) != NULL,
                 S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, expected);
    zmsg_destroy (&reply);
}

static zmsg_t *s_ping_probe (void)
{
    zmsg_t *msg = jk_wire_new ("PING");
    s_add_heartbeat (msg, "32.03.10/probe", 14, "test_limits", 11, 0, 0);
    return msg;
}

static zmsg_t *s_head_probe (void)
{
    return jk_wire_new ("HEAD");
}

/* ---- one exercise per row ---------------------------------------------- */

static void s_ingest_frame (s_fixture_t *f, const s_limit_t *row)
{
    assert_string_equal (row->kind, "dropped");
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    uint64_t received = jk_test_stat (f->hub.ingest, "received");
    /* At the limit: taken and answered (too large for an event). */
    uint8_t id[16];
    size_t size;
    uint8_t *bytes = s_raw_sized (f, row->value, id, &size);
    jk_answer_t a;
    s_submit (sock, bytes, size, &a);
    assert_memory_equal (a.id, id, 16);
    assert_string_equal (a.code, "E_TOO_LARGE");
    free (bytes);
    assert_int_equal (jk_test_stat (f->hub.ingest, "received"), received + 1);
    /* One byte more: dropped with the connection, never answered. */
    bytes = s_raw_sized (f, row->value + 1, id, &size);
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    zmsg_addmem (msg, bytes, size);
    zmsg_send (&msg, sock);
    free (bytes);
    s_served_after_drop (sock, s_ping_probe, "PONG");
    assert_int_equal (jk_test_stat (f->hub.ingest, "received"), received + 1);
    zsock_destroy (&sock);
}

static void s_query_frame (s_fixture_t *f, const s_limit_t *row)
{
    assert_string_equal (row->kind, "dropped");
    zsock_t *sock = jk_test_dealer (f->hub.query);
    char *date = jk_calloc (1, row->value + 2);
    memset (date, '2', row->value + 1);
    /* At the limit: answered (not a date). */
    zmsg_t *msg = jk_wire_new ("SNAPSHOT"), *reply;
    zmsg_addmem (msg, date, row->value);
    char command[16];
    s_request (sock, &msg, command, &reply);
    assert_string_equal (command, "ERROR");
    char *code = zmsg_popstr (reply);
    assert_string_equal (code, "E_FIELD_FORMAT");
    free (code);
    zmsg_destroy (&reply);
    /* One byte more: dropped. */
    msg = jk_wire_new ("SNAPSHOT");
    zmsg_addmem (msg, date, row->value + 1);
    zmsg_send (&msg, sock);
    free (date);
    s_served_after_drop (sock, s_head_probe, "HEAD");
    zsock_destroy (&sock);
}

static void s_submit_events (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        zmsg_t *msg = jk_wire_new ("SUBMIT"), *reply;
        for (uint64_t i = 0; i < n; i++)
            zmsg_addstr (msg, "x"); /* not an event: E_DECODE each */
        char command[16];
        s_request (sock, &msg, command, &reply);
        if (n == row->value) {
            assert_string_equal (command, "ANSWER");
            assert_int_equal (zmsg_size (reply), n);
        } else {
            assert_string_equal (command, row->kind);
            char *code = zmsg_popstr (reply);
            assert_string_equal (code, row->code);
            free (code);
        }
        zmsg_destroy (&reply);
    }
    zsock_destroy (&sock);
}

static void s_event_bytes (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        uint8_t id[16];
        size_t size;
        uint8_t *bytes = s_raw_sized (f, n, id, &size);
        jk_answer_t a;
        s_submit (sock, bytes, size, &a);
        assert_memory_equal (a.id, id, 16);
        if (n == row->value) {
            /* Read and judged (its body is not a person's). */
            assert_int_equal (a.kind, JK_ANSWER_REJECTED);
            assert_false (s_is (&a, row));
        } else
            s_expect (&a, row);
        free (bytes);
    }
    zsock_destroy (&sock);
}

static void s_event_depth (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        char source[48];
        s_source (f, source, sizeof source);
        uint8_t id[16];
        size_t size;
        uint8_t *bytes =
            s_raw (source, strlen (source), S_AT_MS, (int)n, 1, id, &size);
        jk_answer_t a;
        s_submit (sock, bytes, size, &a);
        assert_memory_equal (a.id, id, 16);
        if (n == row->value)
            assert_false (s_is (&a, row));
        else {
            s_expect (&a, row);
            char *why = jk_sprintf ("nested deeper than %llu levels",
                                    (unsigned long long)row->value);
            assert_non_null (strstr (a.message, why));
            free (why);
        }
        free (bytes);
    }
    zsock_destroy (&sock);
}

static void s_source_bytes (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        char source[128];
        int used =
            snprintf (source, sizeof source, "32.03.10/%d-", ++f->sources);
        memset (source + used, 'd', sizeof source - (size_t)used);
        uint8_t id[16];
        size_t size;
        uint8_t *bytes = s_raw (source, n, S_AT_MS, 2, 1, id, &size);
        jk_answer_t a;
        s_submit (sock, bytes, size, &a);
        assert_memory_equal (a.id, id, 16);
        if (n == row->value) {
            /* Attributed, judged and logged (the body is not a
               person's, and the device name is too long). */
            assert_int_equal (a.kind, JK_ANSWER_REJECTED);
            assert_false (s_is (&a, row));
        } else
            s_expect (&a, row);
        free (bytes);
    }
    zsock_destroy (&sock);
}

static void s_device_chars (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        jk_event_t *ev = s_person_event (f);
        char device[64], source[80];
        int used = snprintf (device, sizeof device, "%d-", ++f->sources);
        memset (device + used, 'd', n - (size_t)used);
        device[n] = 0;
        snprintf (source, sizeof source, "32.03.10/%s", device);
        jk_event_set_source (ev, source);
        jk_answer_t a;
        s_submit_event (sock, &ev, &a);
        if (n == row->value)
            s_expect_ack (&a, row);
        else
            s_expect (&a, row);
    }
    zsock_destroy (&sock);
}

static void s_seq_min (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    uint64_t head = s_query_head (f->hub.query, NULL);
    jk_event_t *ev = s_person_event (f);
    ev->seq = row->value;
    jk_answer_t a;
    s_submit_event (sock, &ev, &a);
    s_expect_ack (&a, row);
    assert_int_equal (a.pos, head + 1);
    ev = s_person_event (f);
    ev->seq = row->value - 1;
    s_submit_event (sock, &ev, &a);
    s_expect (&a, row);
    /* Not logged. */
    assert_int_equal (s_query_head (f->hub.query, NULL), head + 1);
    zsock_destroy (&sock);
}

/* Submits a person with at = at_ms; returns its answer and id. */
static void s_at (s_fixture_t *f, zsock_t *sock, int64_t at_ms, jk_answer_t *a,
                  uint8_t id[16])
{
    jk_event_t *ev = s_person_event (f);
    ev->at = at_ms;
    if (id)
        memcpy (id, ev->id, 16);
    s_submit_event (sock, &ev, a);
}

static void s_at_min (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    jk_answer_t a;
    s_at (f, sock, (int64_t)row->value, &a, NULL);
    s_expect_ack (&a, row);
    s_at (f, sock, (int64_t)row->value - 1, &a, NULL);
    s_expect (&a, row);
    zsock_destroy (&sock);
}

static void s_at_max (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    jk_answer_t a;
    s_at (f, sock, (int64_t)row->value - 1, &a, NULL);
    s_expect_ack (&a, row);
    s_at (f, sock, (int64_t)row->value, &a, NULL);
    s_expect (&a, row);
    /* A uint at beyond int64 is past the limit too, not of another type. */
    char source[48];
    s_source (f, source, sizeof source);
    uint8_t id[16];
    size_t size;
    uint8_t *bytes = s_raw (source, strlen (source), (uint64_t)INT64_MAX + 1, 2,
                            1, id, &size);
    s_submit (sock, bytes, size, &a);
    free (bytes);
    s_expect (&a, row);
    assert_string_equal (
        a.message, "at must be before 2100-01-01, got 9223372036854775808 ms");
    zsock_destroy (&sock);
}

/* Warnings of code recorded for the event id in the data-quality
   projection of the hub whose log is db (in the log's file, or in the
   projections' file beside it). */
static int s_warnings (const char *db, const char *code, const uint8_t id[16])
{
    int count = 0;
    char *paths[2] = {jk_strdup (db), jk_projections_path (db)};
    for (int i = 0; i < 2; i++) {
        sqlite3 *handle = NULL;
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_open_v2 (paths[i], &handle, SQLITE_OPEN_READONLY, NULL) ==
                SQLITE_OK &&
            sqlite3_prepare_v2 (handle,
                                "SELECT count(*) FROM data_quality WHERE "
                                "code = ?1 AND id = ?2",
                                -1, &stmt, NULL) == SQLITE_OK) {
            sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
            sqlite3_bind_blob (stmt, 2, id, 16, SQLITE_STATIC);
            if (sqlite3_step (stmt) == SQLITE_ROW)
                count += sqlite3_column_int (stmt, 0);
        }
        sqlite3_finalize (stmt);
        sqlite3_close (handle);
        free (paths[i]);
    }
    return count;
}

static void s_at_future (s_fixture_t *f, const s_limit_t *row)
{
    assert_string_equal (row->kind, "WARN");
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    jk_answer_t a;
    uint8_t within[16], beyond[16];
    s_at (f, sock, S_CLOCK_MS + (int64_t)row->value, &a, within);
    s_expect_ack (&a, row);
    s_at (f, sock, S_CLOCK_MS + (int64_t)row->value + 1, &a, beyond);
    s_expect_ack (&a, row); /* accepted, with a warning */
    assert_true (__extension__ JK_WAIT_FOR (
        s_warnings (f->hub.db, row->code, beyond) == 1, S_WAIT_MS));
    assert_int_equal (s_warnings (f->hub.db, row->code, within), 0);
    zsock_destroy (&sock);
}

static void s_actor_chars (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        /* Characters, not bytes: each is two bytes of UTF-8. */
        char *actor = jk_calloc (1, 2 * n + 1);
        for (uint64_t i = 0; i < n; i++)
            memcpy (actor + 2 * i, "\xc3\xa9", 2);
        jk_event_t *ev = s_person_event (f);
        jk_event_set_actor (ev, actor);
        free (actor);
        jk_answer_t a;
        s_submit_event (sock, &ev, &a);
        if (n == row->value)
            s_expect_ack (&a, row);
        else
            s_expect (&a, row);
    }
    zsock_destroy (&sock);
}

static void s_str_bytes (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    char *limit =
        jk_sprintf ("longer than %llu bytes", (unsigned long long)row->value);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        char *name = jk_calloc (1, n + 1);
        memset (name, 'a', n);
        jk_event_t *ev = s_person_event (f);
        jk_report_t report;
        jk_report_reset (&report);
        assert_int_equal (jk_event_set (ev, "name", name, &report), 0);
        free (name);
        jk_answer_t a;
        s_submit_event (sock, &ev, &a);
        /* Within: the field's own rule (2..100 characters) still rejects
           it, with the same code but not for this limit. */
        s_expect (&a, row);
        if (n == row->value)
            assert_null (strstr (a.message, limit));
        else
            assert_non_null (strstr (a.message, limit));
    }
    free (limit);
    zsock_destroy (&sock);
}

static void s_list_items (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        jk_event_t *ev =
            jk_event_new (jk_vocabulary_find ("assessment.scheduled", 20));
        char source[48];
        s_source (f, source, sizeof source);
        jk_event_set_source (ev, source);
        jk_event_set_actor (ev, "op-1");
        ev->seq = 1;
        ev->at = S_CLOCK_MS - 60000;
        char *units = jk_calloc (1, 32 * n + 1);
        for (uint64_t i = 0; i < n; i++)
            sprintf (units + strlen (units), "%sM.%02llu=Unit %llu",
                     i ? "|" : "", (unsigned long long)i,
                     (unsigned long long)i);
        char *assessment = jk_sprintf ("UK-LIM-%llu", (unsigned long long)n);
        const char *fields[][2] = {{"assessment", assessment},
                                   {"scheme_code", "SKM-KOP-01"},
                                   {"scheme_title", "Skema Manajer Koperasi"},
                                   {"units", units},
                                   {"date", "2024-12-20"},
                                   {"lsp", "LSP Koperasi Indonesia"},
                                   {"assessors", "ASR-01"}};
        jk_report_t report;
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            jk_report_reset (&report);
            assert_int_equal (
                jk_event_set (ev, fields[i][0], fields[i][1], &report), 0);
        }
        free (units);
        free (assessment);
        jk_answer_t a;
        s_submit_event (sock, &ev, &a);
        if (n == row->value)
            s_expect_ack (&a, row);
        else
            s_expect (&a, row);
    }
    zsock_destroy (&sock);
}

/* A PING of size n, the row's limit being row->value, was answered
   PONG at the limit and the row's answer beyond it. */
static void s_ping_answered (const s_limit_t *row, uint64_t n,
                             const char *command, const char *code)
{
    if (n == row->value)
        assert_string_equal (command, "PONG");
    else {
        assert_string_equal (command, row->kind);
        assert_string_equal (code, row->code);
    }
}

static void s_heartbeat (s_fixture_t *f, const s_limit_t *row, bool program)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        char *text = jk_calloc (1, n + 1);
        memset (text, 'p', n);
        if (!program)
            memcpy (text, "32.03.10/", 9);
        char command[16], code[32];
        if (program)
            s_ping (sock, "32.03.10/hb", 11, text, n, command, code,
                    sizeof code);
        else
            s_ping (sock, text, n, "test_limits", 11, command, code,
                    sizeof code);
        free (text);
        s_ping_answered (row, n, command, code);
    }
    zsock_destroy (&sock);
}

static void s_heartbeat_source (s_fixture_t *f, const s_limit_t *row)
{
    s_heartbeat (f, row, false);
}

static void s_heartbeat_program (s_fixture_t *f, const s_limit_t *row)
{
    s_heartbeat (f, row, true);
}

/* A PING whose heartbeat map is exactly size bytes (its key x padded),
   or nests nest arrays in x (levels: the map, then each array). */
static zmsg_t *s_heartbeat_shaped (size_t size, int nest)
{
    size_t pad = 0;
    while (true) {
        zmsg_t *msg = jk_wire_new ("PING");
        size_t got = s_add_heartbeat (msg, "32.03.10/hb", 11, "test_limits", 11,
                                      pad, nest);
        if (!size || got == size)
            return msg;
        zmsg_destroy (&msg);
        assert_true (got < size || pad > 0);
        pad = pad + size - got; /* the text's header may grow: again */
    }
}

/* The heartbeat map at the limit is answered PONG, one beyond it the
   row's answer; size or levels as the row counts them. */
static void s_heartbeat_shape (s_fixture_t *f, const s_limit_t *row, bool bytes)
{
    zsock_t *sock = jk_test_dealer (f->hub.ingest);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        zmsg_t *msg = bytes ? s_heartbeat_shaped (n, 0)
                            : s_heartbeat_shaped (0, (int)n - 1);
        char command[16], code[32];
        s_ping_msg (sock, msg, command, code, sizeof code);
        s_ping_answered (row, n, command, code);
    }
    zsock_destroy (&sock);
}

static void s_heartbeat_bytes (s_fixture_t *f, const s_limit_t *row)
{
    s_heartbeat_shape (f, row, true);
}

static void s_heartbeat_depth (s_fixture_t *f, const s_limit_t *row)
{
    s_heartbeat_shape (f, row, false);
}

static void s_since_prefix (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.query);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        char *prefix = jk_calloc (1, n + 1);
        memset (prefix, 'z', n);
        zmsg_t *msg = jk_wire_new ("SINCE"), *reply;
        jk_wire_add_u64 (msg, 0);
        zmsg_addmem (msg, prefix, n);
        jk_wire_add_u64 (msg, 10);
        free (prefix);
        char command[16];
        s_request (sock, &msg, command, &reply);
        if (n == row->value)
            assert_string_equal (command, "END"); /* no topic matches */
        else {
            assert_string_equal (command, row->kind);
            char *code = zmsg_popstr (reply);
            assert_string_equal (code, row->code);
            free (code);
        }
        zmsg_destroy (&reply);
    }
    zsock_destroy (&sock);
}

/* STATE's chunk size: the limit itself is served (one message, credit
   1), one byte beyond it is ERROR. lower: the row is a lower bound. */
static void s_state_chunk (s_fixture_t *f, const s_limit_t *row, bool lower)
{
    zsock_t *sock = jk_test_dealer (f->hub.query);
    uint64_t sizes[] = {row->value, lower ? row->value - 1 : row->value + 1};
    for (int i = 0; i < 2; i++) {
        zmsg_t *msg = jk_wire_new ("STATE"), *reply;
        jk_wire_add_u64 (msg, sizes[i]);
        jk_wire_add_u64 (msg, 1);
        char command[16];
        s_request (sock, &msg, command, &reply);
        if (i == 0) {
            assert_string_equal (command, "STATE");
            assert_int_equal (zmsg_size (reply), 5);
            zframe_t *bytes = zmsg_last (reply);
            assert_true (zframe_size (bytes) <= row->value);
        } else {
            assert_string_equal (command, row->kind);
            char *code = zmsg_popstr (reply);
            assert_string_equal (code, row->code);
            free (code);
        }
        zmsg_destroy (&reply);
    }
    zsock_destroy (&sock);
}

/* Reads the next message of sock: its command is want. */
static void s_expect_command (zsock_t *sock, const char *want)
{
    zmsg_t *msg = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (msg);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, want);
    zmsg_destroy (&msg);
}

/* A SINCE stream left without credit: the row's value is the store's
   JK_STREAM_IDLE_MS; a minute is not waited here, but the same code runs
   on a hub of its own with the limit shortened to 1/30
   (JEJAK_STREAM_IDLE_MS): a stream given its next credit after half the
   limit goes on to its END, one left without credit for the limit ends
   (STATS streams_expired), and its CREDIT then gets no answer (dropped:
   the HEAD asked after it is what comes back). */
static void s_stream_idle (s_fixture_t *f, const s_limit_t *row)
{
    assert_int_equal (row->value, JK_STREAM_IDLE_MS);
    assert_string_equal (row->kind, "dropped");
    int64_t limit = (int64_t)row->value / 30;
    char *dir = jk_sprintf ("%s/idle", f->dir), ms[24];
    assert_int_equal (mkdir (dir, 0700), 0);
    snprintf (ms, sizeof ms, "%lld", (long long)limit);
    setenv ("JEJAK_STREAM_IDLE_MS", ms, 1);
    s_hub_t hub;
    s_start (&hub, dir, S_CLOCK_MS, false, NULL, NULL);
    unsetenv ("JEJAK_STREAM_IDLE_MS");
    zsock_t *agent = jk_test_dealer (hub.ingest);
    for (int i = 0; i < 2; i++) {
        jk_event_t *ev = s_person_event (f);
        jk_answer_t a;
        s_submit_event (agent, &ev, &a);
        assert_int_equal (a.kind, JK_ANSWER_ACK);
    }
    zsock_t *sock = jk_test_dealer (hub.query);
    for (int beyond = 0; beyond < 2; beyond++) {
        zmsg_t *msg = jk_wire_new ("SINCE");
        jk_wire_add_u64 (msg, 0);
        zmsg_addstr (msg, "");
        jk_wire_add_u64 (msg, 1);
        assert_int_equal (zmsg_send (&msg, sock), 0);
        int64_t asked = jk_clock_mono_ms ();
        s_expect_command (sock, "RECORD");
        if (beyond) {
            assert_true (__extension__ JK_WAIT_FOR (
                jk_test_stat (hub.query, "streams_expired") == 1,
                limit + S_WAIT_MS));
            assert_true (jk_clock_mono_ms () - asked >= limit);
        } else
            assert_null (jk_test_recv (sock, (int)(limit / 2)));
        msg = jk_wire_new ("CREDIT");
        jk_wire_add_u64 (msg, 1);
        assert_int_equal (zmsg_send (&msg, sock), 0);
        if (beyond) {
            msg = jk_wire_new ("HEAD");
            assert_int_equal (zmsg_send (&msg, sock), 0);
            s_expect_command (sock, "HEAD");
        } else {
            s_expect_command (sock, "RECORD");
            s_expect_command (sock, "END");
            assert_int_equal (jk_test_stat (hub.query, "streams_expired"), 0);
        }
    }
    assert_int_equal (jk_test_stat (hub.query, "streams"), 0);
    zsock_destroy (&sock);
    zsock_destroy (&agent);
    s_stop (&hub);
    free (dir);
}

/* A hub of its own in f->dir/NAME signing with a log key and trusting one
   witness (32.03.10/saksi), its clock pinned, so no COSIGN token comes
   back while an exercise runs; its first checkpoint (the log's line
   alone) in *served and cosigned by the witness in *cosigned (heap). */
static void s_cosign_hub (s_fixture_t *f, const char *name, s_hub_t *hub,
                          char **served, char **cosigned)
{
    char *dir = jk_sprintf ("%s/%s", f->dir, name);
    assert_int_equal (mkdir (dir, 0700), 0);
    uint8_t log_seed[32], w_seed[32], w_pub[32];
    assert_int_equal (jk_note_keygen (log_seed), JK_OK);
    assert_int_equal (jk_note_keygen (w_seed), JK_OK);
    assert_int_equal (jk_note_public (w_seed, w_pub), JK_OK);
    char skey[256], vkey[256];
    jk_note_skey_format ("jejak.cianjurkab.go.id/log", JK_NOTE_TYPE_ED25519,
                         log_seed, skey, sizeof skey);
    jk_note_vkey_format ("32.03.10/saksi", JK_NOTE_TYPE_COSIG, w_pub, vkey,
                         sizeof vkey);
    char *key_file = jk_sprintf ("%s/log.key", dir);
    FILE *file = fopen (key_file, "w");
    assert_non_null (file);
    fprintf (file, "%s\n", skey);
    fclose (file);
    assert_int_equal (chmod (key_file, 0600), 0);
    setenv ("JEJAK_CHECKPOINT_KEY", key_file, 1);
    setenv ("JEJAK_WITNESSES", vkey, 1);
    s_start (hub, dir, S_CLOCK_MS, false, NULL, NULL);
    unsetenv ("JEJAK_CHECKPOINT_KEY");
    unsetenv ("JEJAK_WITNESSES");
    zsock_t *sock = jk_test_dealer (hub->query);
    zmsg_t *msg = jk_wire_new ("CHECKPOINT"), *reply;
    char command[16];
    s_request (sock, &msg, command, &reply);
    assert_string_equal (command, "CHECKPOINT");
    *served = zmsg_popstr (reply);
    zmsg_destroy (&reply);
    zsock_destroy (&sock);
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char why[256];
    assert_int_equal (
        jk_checkpoint_parse (*served, strlen (*served), cp, why, sizeof why),
        JK_OK);
    *cosigned = jk_note_cosign (*served, cp, "32.03.10/saksi", w_seed,
                                (uint64_t)(S_CLOCK_MS / 1000));
    assert_non_null (*cosigned);
    free (cp);
    free (key_file);
    free (dir);
}

/* COSIGNs naming one trusted witness (s_cosign_hub): the first
   row->value are admitted (the store keeps the cosignature: COSIGNED),
   the next is refused E_BUSY. */
static void s_cosign_burst (s_fixture_t *f, const s_limit_t *row)
{
    s_hub_t hub;
    char *served, *cosigned;
    s_cosign_hub (f, "cosign", &hub, &served, &cosigned);
    zsock_t *sock = jk_test_dealer (hub.query);
    for (uint64_t n = 1; n <= row->value + 1; n++) {
        zmsg_t *msg = jk_wire_new ("COSIGN"), *reply;
        zmsg_addstr (msg, cosigned);
        char command[16];
        s_request (sock, &msg, command, &reply);
        if (n <= row->value)
            assert_string_equal (command, "COSIGNED");
        else {
            assert_string_equal (command, row->kind);
            char *code = zmsg_popstr (reply);
            assert_string_equal (code, row->code);
            free (code);
        }
        zmsg_destroy (&reply);
    }
    zsock_destroy (&sock);
    s_stop (&hub);
    free (cosigned);
    free (served);
}

/* COSIGN of a note on sock: the answer's code must be row's and its
   message must hold text. */
static void s_cosign_refused (zsock_t *sock, const char *note,
                              const s_limit_t *row, const char *text)
{
    zmsg_t *msg = jk_wire_new ("COSIGN"), *reply;
    zmsg_addstr (msg, note);
    char command[16];
    s_request (sock, &msg, command, &reply);
    assert_string_equal (command, row->kind);
    char *code = zmsg_popstr (reply);
    char *message = zmsg_popstr (reply);
    assert_string_equal (code, row->code);
    if (!strstr (message, text))
        fail_msg ("'%s' not in '%s'", text, message);
    free (code);
    free (message);
    zmsg_destroy (&reply);
}

/* A served note (the log's line) with lines of strangers added up to
   row->value signature lines in all: it parses, and the first stranger is
   named; one line more and it does not parse. */
static void s_cosign_sigs (s_fixture_t *f, const s_limit_t *row)
{
    s_hub_t hub;
    char *served, *cosigned;
    s_cosign_hub (f, "sigs", &hub, &served, &cosigned);
    zsock_t *sock = jk_test_dealer (hub.query);
    uint8_t seed[32];
    assert_int_equal (jk_note_keygen (seed), JK_OK);
    char *note = jk_strdup (served);
    for (uint64_t n = 2; n <= row->value + 1; n++) {
        char name[16];
        snprintf (name, sizeof name, "x%02llu", (unsigned long long)n);
        char *line =
            jk_note_sign_line ("x\n", 2, name, JK_NOTE_TYPE_COSIG, seed, 1);
        assert_non_null (line);
        char *more = jk_sprintf ("%s%s", note, line);
        free (line);
        free (note);
        note = more;
        if (n == row->value)
            s_cosign_refused (sock, note, row,
                              "the signature line of x02 is not of a witness "
                              "this hub trusts");
    }
    char *beyond = jk_sprintf ("more than %llu signature lines",
                               (unsigned long long)row->value);
    s_cosign_refused (sock, note, row, beyond);
    free (beyond);
    free (note);
    zsock_destroy (&sock);
    s_stop (&hub);
    free (cosigned);
    free (served);
}

/* A served note with a stranger's line whose key name is row->value
   bytes: it parses and the stranger is named; a byte more, it does not. */
static void s_note_name (s_fixture_t *f, const s_limit_t *row)
{
    s_hub_t hub;
    char *served, *cosigned;
    s_cosign_hub (f, "names", &hub, &served, &cosigned);
    zsock_t *sock = jk_test_dealer (hub.query);
    uint8_t seed[32];
    assert_int_equal (jk_note_keygen (seed), JK_OK);
    char *name = jk_calloc (1, row->value + 1);
    memset (name, 'n', row->value);
    /* The signer refuses a name too long: the longer line is the same
       with one more byte of name after the dash (3 bytes) and space. */
    char *line =
        jk_note_sign_line ("x\n", 2, name, JK_NOTE_TYPE_COSIG, seed, 1);
    assert_non_null (line);
    char *longer = jk_sprintf ("%.4sn%s", line, line + 4);
    char *note = jk_sprintf ("%s%s", served, line);
    char *text = jk_sprintf ("the signature line of %s is not of", name);
    s_cosign_refused (sock, note, row, text);
    free (note);
    note = jk_sprintf ("%s%s", served, longer);
    s_cosign_refused (sock, note, row, "key name must be 1-127 bytes");
    free (note);
    free (text);
    free (longer);
    free (line);
    free (name);
    zsock_destroy (&sock);
    s_stop (&hub);
    free (cosigned);
    free (served);
}

static void s_state_chunk_min (s_fixture_t *f, const s_limit_t *row)
{
    s_state_chunk (f, row, true);
}

static void s_state_chunk_max (s_fixture_t *f, const s_limit_t *row)
{
    s_state_chunk (f, row, false);
}

/* A COSIGN note at the limit reaches the check of the hub (which signs
   nothing here: E_NO_CHECKPOINT); one byte more is refused first. */
static void s_cosign_note (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.query);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        char *note = jk_calloc (1, n);
        memset (note, 'n', n);
        zmsg_t *msg = jk_wire_new ("COSIGN"), *reply;
        zmsg_addmem (msg, note, n);
        free (note);
        char command[16];
        s_request (sock, &msg, command, &reply);
        assert_string_equal (command, row->kind);
        char *code = zmsg_popstr (reply);
        assert_string_equal (code,
                             n == row->value ? "E_NO_CHECKPOINT" : row->code);
        free (code);
        zmsg_destroy (&reply);
    }
    zsock_destroy (&sock);
}

/* SNAPSHOT with a rule frame of the limit's length (refused for
   anything but its length: it does not parse) and one byte more. */
static void s_snapshot_rule (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.query);
    for (uint64_t n = row->value; n <= row->value + 1; n++) {
        char *rule = jk_calloc (1, n + 1);
        memset (rule, 'y', n);
        zmsg_t *msg = jk_wire_new ("SNAPSHOT"), *reply;
        zmsg_addstr (msg, "");
        zmsg_addmem (msg, rule, n);
        free (rule);
        char command[16];
        s_request (sock, &msg, command, &reply);
        assert_string_equal (command, row->kind);
        char *code = zmsg_popstr (reply);
        assert_string_equal (code,
                             n == row->value ? "E_FIELD_FORMAT" : row->code);
        free (code);
        zmsg_destroy (&reply);
    }
    /* A rule that parses is used: the map says so. */
    zmsg_t *msg = jk_wire_new ("SNAPSHOT"), *reply;
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, "years=2,quorum=required");
    char command[16];
    s_request (sock, &msg, command, &reply);
    assert_string_equal (command, "SNAPSHOT");
    zframe_t *map = zmsg_last (reply);
    char *text = jk_calloc (1, zframe_size (map) + 1);
    for (size_t i = 0; i < zframe_size (map); i++)
        text[i] = zframe_data (map)[i] ? (char)zframe_data (map)[i] : ' ';
    assert_non_null (strstr (text, "years=2,deadline-months=6,grace-days=0,"
                                   "quorum=required"));
    free (text);
    zmsg_destroy (&reply);
    zsock_destroy (&sock);
}

/* The log's head as HEAD tells it. */
static uint64_t s_head_pos (zsock_t *sock)
{
    zmsg_t *msg = jk_wire_new ("HEAD"), *reply;
    char command[16];
    s_request (sock, &msg, command, &reply);
    assert_string_equal (command, "HEAD");
    uint64_t pos = 0;
    assert_int_equal (jk_wire_pop_u64 (reply, &pos), 0);
    zmsg_destroy (&reply);
    return pos;
}

/* Asks PROOF kind a b; the answer's command and code ("" for a PROOF). */
static void s_proof (zsock_t *sock, const char *kind, uint64_t a, uint64_t b,
                     char command[16], char code[32])
{
    zmsg_t *msg = jk_wire_new ("PROOF"), *reply;
    zmsg_addstr (msg, kind);
    jk_wire_add_u64 (msg, a);
    jk_wire_add_u64 (msg, b);
    s_request (sock, &msg, command, &reply);
    code[0] = 0;
    if (streq (command, "ERROR")) {
        char *text = zmsg_popstr (reply);
        snprintf (code, 32, "%s", text ? text : "");
        free (text);
    }
    zmsg_destroy (&reply);
}

/* One PROOF at the limit (answered) and one past it (refused). */
static void s_proof_pair (zsock_t *sock, const s_limit_t *row, const char *kind,
                          uint64_t ok_a, uint64_t ok_b, uint64_t bad_a,
                          uint64_t bad_b)
{
    char command[16], code[32];
    s_proof (sock, kind, ok_a, ok_b, command, code);
    assert_string_equal (command, "PROOF");
    s_proof (sock, kind, bad_a, bad_b, command, code);
    assert_string_equal (command, row->kind);
    assert_string_equal (code, row->code);
}

static void s_proof_pos_min (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.query);
    uint64_t head = s_head_pos (sock);
    assert_true (head >= 2);
    s_proof_pair (sock, row, "INCLUSION", row->value, head, row->value - 1,
                  head);
    zsock_destroy (&sock);
}

static void s_proof_pos_size (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.query);
    uint64_t size = s_head_pos (sock) - 1;
    s_proof_pair (sock, row, "INCLUSION", size + row->value, size,
                  size + row->value + 1, size);
    zsock_destroy (&sock);
}

static void s_proof_old_new (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.query);
    uint64_t size = s_head_pos (sock) - 1;
    s_proof_pair (sock, row, "CONSISTENCY", size + row->value, size,
                  size + row->value + 1, size);
    zsock_destroy (&sock);
}

static void s_proof_size_head (s_fixture_t *f, const s_limit_t *row)
{
    zsock_t *sock = jk_test_dealer (f->hub.query);
    uint64_t head = s_head_pos (sock);
    s_proof_pair (sock, row, "INCLUSION", 1, head + row->value, 1,
                  head + row->value + 1);
    s_proof_pair (sock, row, "CONSISTENCY", 1, head + row->value, 1,
                  head + row->value + 1);
    zsock_destroy (&sock);
}

/* A hub of its own, restarted with its clock behind its log. */
static void s_store_clock (s_fixture_t *f, const s_limit_t *row)
{
    char *dir = jk_sprintf ("%s/clock", f->dir);
    assert_int_equal (mkdir (dir, 0700), 0);
    int64_t behind[] = {0, (int64_t)row->value, (int64_t)row->value + 1};
    for (int i = 0; i < 3; i++) {
        s_hub_t hub;
        s_start (&hub, dir, S_CLOCK_MS - behind[i], false, NULL, NULL);
        zsock_t *sock = jk_test_dealer (hub.ingest);
        jk_answer_t a;
        s_at (f, sock, S_CLOCK_MS - 3600000, &a, NULL);
        if (i < 2)
            s_expect_ack (&a, row);
        else
            s_expect (&a, row);
        zsock_destroy (&sock);
        s_stop (&hub);
    }
    free (dir);
}

/* A broker of its own with the test as its store. */
static void s_broker_with_test_store (s_fixture_t *f, const char *tag,
                                      s_hub_t *broker, zsock_t **backend)
{
    char *dir = jk_sprintf ("%s/%s", f->dir, tag);
    assert_int_equal (mkdir (dir, 0700), 0);
    s_start (broker, dir, 0, true, NULL, NULL);
    free (dir);
    *backend = jk_test_dealer (broker->backend);
    s_store_ping (*backend);
    zmsg_t *pong = jk_test_recv (*backend, S_WAIT_MS);
    assert_non_null (pong);
    zmsg_destroy (&pong);
}

static void s_store_silence (s_fixture_t *f, const s_limit_t *row)
{
    s_hub_t broker;
    zsock_t *backend;
    int64_t before_ping = jk_clock_mono_ms ();
    s_broker_with_test_store (f, "silence", &broker, &backend);
    zsock_t *sock = jk_test_dealer (broker.ingest);
    /* The store says nothing more: SUBMITs are forwarded to it (and not
       answered) until the broker gives up on it. */
    zmsg_t *reply = NULL;
    JK_WAIT_FOR ((reply = s_ask_once (sock, s_bogus_submit (), 100)) != NULL,
                 (int64_t)row->value + S_WAIT_MS);
    int64_t silent = jk_clock_mono_ms () - before_ping;
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    jk_answer_t a;
    zframe_t *frame = zmsg_first (reply);
    assert_int_equal (
        jk_answer_decode (zframe_data (frame), zframe_size (frame), &a), 0);
    s_expect (&a, row);
    assert_true (silent > (int64_t)row->value);
    zmsg_destroy (&reply);
    zsock_destroy (&sock);
    zsock_destroy (&backend);
    s_stop (&broker);
}

static void s_backend_queue (s_fixture_t *f, const s_limit_t *row)
{
    s_hub_t broker;
    zsock_t *backend;
    s_broker_with_test_store (f, "queue", &broker, &backend);
    zsock_t *sock = jk_test_dealer (broker.ingest);
    /* The store pings but never reads: SUBMITs pile up towards it. */
    uint64_t sent = 0;
    zmsg_t *reply = NULL;
    int64_t deadline = jk_clock_mono_ms () + 6 * S_WAIT_MS;
    int64_t next_ping = jk_clock_mono_ms () + 500;
    while (!reply && jk_clock_mono_ms () < deadline) {
        zmsg_t *msg = s_bogus_submit ();
        zmsg_send (&msg, sock);
        sent++;
        reply = jk_test_recv (sock, 0);
        if (jk_clock_mono_ms () >= next_ping) {
            s_store_ping (backend);
            next_ping = jk_clock_mono_ms () + 500;
        }
    }
    if (!reply)
        reply = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    jk_answer_t a;
    zframe_t *frame = zmsg_first (reply);
    assert_int_equal (
        jk_answer_decode (zframe_data (frame), zframe_size (frame), &a), 0);
    s_expect (&a, row);
    /* Never before the queue's own mark. */
    assert_true (sent > row->value);
    assert_true (jk_test_stat (broker.ingest, "forwarded") >= row->value);
    zmsg_destroy (&reply);
    zsock_destroy (&sock);
    zsock_destroy (&backend);
    s_stop (&broker);
}

static void s_feed_queue (s_fixture_t *f, const s_limit_t *row)
{
    assert_string_equal (row->kind, "dropped");
    /* The documented value is the default --help states. */
    char *argv[] = {"jejak-hub", "--help", NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_WAIT_MS), 0);
    char *line = strstr (out, "--feed-hwm");
    assert_non_null (line);
    char *def = jk_sprintf ("(default %llu)", (unsigned long long)row->value);
    char *eol = strchr (line, '\n');
    assert_non_null (eol);
    *eol = 0;
    assert_non_null (strstr (line, def));
    free (def);
    free (out);
    free (err);
    /* The behaviour, with a small mark: a subscriber that stops reading
       loses messages beyond it, counted, and never blocks the hub. */
    enum { HWM = 10 };
    char *dir = jk_sprintf ("%s/feed", f->dir);
    assert_int_equal (mkdir (dir, 0700), 0);
    s_hub_t hub;
    s_start (&hub, dir, S_CLOCK_MS, false, "--feed-hwm", "10");
    free (dir);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (sub, 1);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", hub.feed), 0);
    zmsg_t *head = jk_test_recv (sub, S_WAIT_MS); /* subscribed */
    assert_non_null (head);
    zmsg_destroy (&head);
    s_client_t *client = s_client_new (hub.ingest, "32.03.10/feed-1", 5000, 1);
    s_client_deliver (client, JK_SUBMIT_MAX_EVENTS, 6 * S_WAIT_MS, NULL, NULL);
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_stat (hub.ingest, "feed_drops") > 0, S_WAIT_MS));
    assert_true (jk_test_stat (hub.ingest, "feed_published") >= HWM);
    s_client_destroy (&client);
    zsock_destroy (&sub);
    s_stop (&hub);
}

static const struct {
    const char *name;
    void (*exercise) (s_fixture_t *f, const s_limit_t *row);
} s_exercises[] = {
    {"ingest_frame", s_ingest_frame},
    {"query_frame", s_query_frame},
    {"submit_events", s_submit_events},
    {"event_bytes", s_event_bytes},
    {"event_depth", s_event_depth},
    {"source_bytes", s_source_bytes},
    {"device_chars", s_device_chars},
    {"seq_min", s_seq_min},
    {"at_min", s_at_min},
    {"at_max", s_at_max},
    {"at_future", s_at_future},
    {"actor_chars", s_actor_chars},
    {"str_bytes", s_str_bytes},
    {"list_items", s_list_items},
    {"heartbeat_source", s_heartbeat_source},
    {"heartbeat_program", s_heartbeat_program},
    {"heartbeat_bytes", s_heartbeat_bytes},
    {"heartbeat_depth", s_heartbeat_depth},
    {"since_prefix", s_since_prefix},
    {"state_chunk_min", s_state_chunk_min},
    {"state_chunk_max", s_state_chunk_max},
    {"stream_idle", s_stream_idle},
    {"cosign_note", s_cosign_note},
    {"cosign_sigs", s_cosign_sigs},
    {"note_name", s_note_name},
    {"cosign_burst", s_cosign_burst},
    {"snapshot_rule", s_snapshot_rule},
    {"proof_pos_min", s_proof_pos_min},
    {"proof_pos_size", s_proof_pos_size},
    {"proof_old_new", s_proof_old_new},
    {"proof_size_head", s_proof_size_head},
    {"store_clock", s_store_clock},
    {"store_silence", s_store_silence},
    {"backend_queue", s_backend_queue},
    {"feed_queue", s_feed_queue},
};
#define S_EXERCISES (sizeof s_exercises / sizeof s_exercises[0])

/* ---- the test ---------------------------------------------------------- */

static int s_setup (void **state)
{
    s_fixture_t *f = jk_calloc (1, sizeof *f);
    f->dir = jk_test_tmpdir ("limits");
    char *hub = jk_sprintf ("%s/hub", f->dir);
    assert_int_equal (mkdir (hub, 0700), 0);
    s_start (&f->hub, hub, S_CLOCK_MS, false, NULL, NULL);
    free (hub);
    *state = f;
    return 0;
}

static int s_teardown (void **state)
{
    s_fixture_t *f = *state;
    s_stop (&f->hub);
    jk_test_rmdir (&f->dir);
    free (f);
    return 0;
}

/* Every row of the table has its exercise and every exercise its row. */
static void test_table_and_exercises_match (void **state)
{
    (void)state;
    s_limit_t rows[64];
    size_t count = s_read_table (rows, 64);
    assert_true (count >= S_EXERCISES);
    for (size_t i = 0; i < count; i++) {
        size_t k = 0;
        while (k < S_EXERCISES && !streq (s_exercises[k].name, rows[i].name))
            k++;
        if (k == S_EXERCISES)
            fail_msg ("limit %s of docs/PROTOCOL.md has no exercise in "
                      "test_limits.c",
                      rows[i].name);
        assert_true (rows[i].kind[0]);
    }
    for (size_t k = 0; k < S_EXERCISES; k++) {
        size_t i = 0;
        while (i < count && !streq (s_exercises[k].name, rows[i].name))
            i++;
        if (i == count)
            fail_msg ("exercise %s has no row in docs/PROTOCOL.md 2.1",
                      s_exercises[k].name);
    }
}

/* Walks the table: each limit at its value and one beyond. */
static void test_every_limit (void **state)
{
    s_fixture_t *f = *state;
    s_limit_t rows[64];
    size_t count = s_read_table (rows, 64);
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < S_EXERCISES; k++)
            if (streq (s_exercises[k].name, rows[i].name)) {
                fprintf (stderr, "limit %s = %llu: %s %s\n", rows[i].name,
                         (unsigned long long)rows[i].value, rows[i].kind,
                         rows[i].code);
                s_exercises[k].exercise (f, &rows[i]);
            }
}

int main (void)
{
    jk_clock_set (S_CLOCK_MS);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_table_and_exercises_match),
        cmocka_unit_test_setup_teardown (test_every_limit, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
