/*  test_hub.c - jejak-hub end to end: the real program started as a
    process on ipc endpoints in a fresh temp directory, agents and a
    subscriber speaking the wire protocol to it. */
#include "test_broker_support.h"

#include <signal.h>
#include <sys/wait.h>

typedef struct {
    char *dir;
    char *ingest, *feed, *query, *db, *log;
    pid_t pid;
} s_hub_t;

static int s_setup (void **state)
{
    s_hub_t *h = jk_calloc (1, sizeof *h);
    h->dir = jk_test_tmpdir ("hub");
    h->ingest = jk_test_endpoint (h->dir, "ingest");
    h->feed = jk_test_endpoint (h->dir, "feed");
    h->query = jk_test_endpoint (h->dir, "query");
    h->db = jk_sprintf ("%s/data/events.db", h->dir);
    h->log = jk_sprintf ("%s/hub.log", h->dir);
    h->pid =
        jk_test_hub_spawn (h->db, h->ingest, h->feed, h->query, NULL, h->log);
    /* The start line comes once the broker has heard the store. */
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_file_has (h->log, "jejak-hub ingest="), S_WAIT_MS));
    *state = h;
    return 0;
}

static int s_teardown (void **state)
{
    s_hub_t *h = *state;
    int status = jk_test_stop (h->pid, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    free (h->ingest);
    free (h->feed);
    free (h->query);
    free (h->db);
    free (h->log);
    jk_test_rmdir (&h->dir);
    free (h);
    return 0;
}

/* Sends one SUBMIT of the given events and returns its answers. */
static size_t s_roundtrip (zsock_t *sock, uint8_t **bytes, size_t *sizes,
                           size_t count, jk_answer_t *out)
{
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    for (size_t i = 0; i < count; i++)
        zmsg_addmem (msg, bytes[i], sizes[i]);
    zmsg_send (&msg, sock);
    zmsg_t *reply = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    size_t n = 0;
    for (zframe_t *f = zmsg_first (reply); f; f = zmsg_next (reply), n++)
        assert_int_equal (
            jk_answer_decode (zframe_data (f), zframe_size (f), &out[n]), 0);
    zmsg_destroy (&reply);
    return n;
}

/* Submit → ACK with position and hash (the store's head); resubmit →
   DUPLICATE with the same; an invalid NIK → REJECTED with its code, at
   the next position. */
static void test_ack_duplicate_rejected (void **state)
{
    s_hub_t *h = *state;
    zsock_t *sock = jk_test_dealer (h->ingest);
    uint8_t id[16], bad_id[16];
    size_t size, bad_size;
    uint8_t *ev = s_person ("32.03.10/pacet-1", 1, 1, false, id, &size);
    uint8_t *bad = s_person ("32.03.10/pacet-1", 2, 2, true, bad_id, &bad_size);
    jk_answer_t a[1];

    assert_int_equal (s_roundtrip (sock, &ev, &size, 1, a), 1);
    assert_int_equal (a[0].kind, JK_ANSWER_ACK);
    assert_int_equal (a[0].pos, 1);
    assert_memory_equal (a[0].id, id, 16);
    uint8_t head_hash[32];
    assert_int_equal (s_query_head (h->query, head_hash), 1);
    assert_memory_equal (a[0].hash, head_hash, 32);
    uint8_t first_hash[32];
    memcpy (first_hash, a[0].hash, 32);

    assert_int_equal (s_roundtrip (sock, &ev, &size, 1, a), 1);
    assert_int_equal (a[0].kind, JK_ANSWER_DUPLICATE);
    assert_int_equal (a[0].pos, 1);
    assert_memory_equal (a[0].hash, first_hash, 32);

    assert_int_equal (s_roundtrip (sock, &bad, &bad_size, 1, a), 1);
    assert_int_equal (a[0].kind, JK_ANSWER_REJECTED);
    assert_int_equal (a[0].pos, 2);
    assert_memory_equal (a[0].id, bad_id, 16);
    assert_string_equal (a[0].code, "E_NIK_DAY");
    assert_non_null (strstr (a[0].message, "nik"));
    assert_int_equal (s_query_head (h->query, NULL), 2);
    free (ev);
    free (bad);
    zsock_destroy (&sock);
}

/* One SUBMIT of 1,000 events → one ANSWER of 1,000 answers, in the order
   of the events, at consecutive positions. */
static void test_batch_1000 (void **state)
{
    s_hub_t *h = *state;
    zsock_t *sock = jk_test_dealer (h->ingest);
    enum { N = JK_SUBMIT_MAX_EVENTS };
    uint8_t **bytes = jk_calloc (N, sizeof *bytes);
    size_t *sizes = jk_calloc (N, sizeof *sizes);
    uint8_t (*ids)[16] = jk_calloc (N, 16);
    for (size_t i = 0; i < N; i++)
        bytes[i] = s_person ("32.03.11/sukaresmi-2", i + 1, 5000 + (int)i,
                             false, ids[i], &sizes[i]);
    jk_answer_t *a = jk_calloc (N, sizeof *a);
    assert_int_equal (s_roundtrip (sock, bytes, sizes, N, a), N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal (a[i].kind, JK_ANSWER_ACK);
        assert_memory_equal (a[i].id, ids[i], 16);
        assert_int_equal (a[i].pos, i + 1);
    }
    assert_int_equal (s_query_head (h->query, NULL), N);
    for (size_t i = 0; i < N; i++)
        free (bytes[i]);
    free (bytes);
    free (sizes);
    free (ids);
    free (a);
    zsock_destroy (&sock);
}

/* A subscriber sees every committed record exactly once, with
   consecutive positions, while three agents submit in batches. */
static void test_feed_every_record (void **state)
{
    s_hub_t *h = *state;
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_linger (sub, 0);
    zsock_set_rcvhwm (sub, 0);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", h->feed), 0);
    /* The subscription is live once a $head arrives. */
    bool live = false;
    while (!live) {
        zmsg_t *msg = jk_test_recv (sub, S_WAIT_MS);
        assert_non_null (msg);
        live = zframe_streq (zmsg_first (msg), JK_FEED_HEAD);
        zmsg_destroy (&msg);
    }
    const char *sources[] = {"32.03.10/pacet-1", "32.03.11/sukaresmi-1",
                             "DINAS/server-1"};
    enum { PER = 1000 };
    for (int s = 0; s < 3; s++) {
        s_client_t *c = s_client_new (h->ingest, sources[s], PER, s * PER);
        s_client_deliver (c, 100, 60000, NULL, NULL);
        zsock_destroy (&c->sock);
        s_client_destroy (&c);
    }
    uint64_t head = s_query_head (h->query, NULL);
    assert_int_equal (head, 3 * PER);
    uint64_t next = 1;
    int offices = 0;
    while (next <= head) {
        zmsg_t *msg = jk_test_recv (sub, S_WAIT_MS);
        assert_non_null (msg);
        jk_record_t r;
        if (zframe_streq (zmsg_first (msg), JK_FEED_OFFICE))
            offices++;
        else {
            assert_int_equal (jk_record_read (msg, &r), 0);
            if (!streq (r.topic, JK_FEED_HEAD)) {
                assert_string_equal (r.topic, "person.registered");
                assert_int_equal (r.pos, next);
                jk_envelope_t envelope;
                assert_true (jk_envelope_peek (r.bytes, r.size, &envelope));
                next++;
            }
        }
        zmsg_destroy (&msg);
    }
    assert_int_equal (next, head + 1);
    /* Nothing more than the records (and heartbeats) afterwards. */
    zmsg_t *msg;
    while ((msg = jk_test_recv (sub, 200))) {
        assert_int_equal (zframe_data (zmsg_first (msg))[0], '$');
        zmsg_destroy (&msg);
    }
    (void)offices;
    zsock_destroy (&sub);
}

/* Usage errors exit 2; an endpoint that cannot be bound exits 1 and the
   message names it. */
static void test_exit_codes (void **state)
{
    s_hub_t *h = *state;
    char *err = NULL;
    char *argv1[] = {"jejak-hub", "--no-such-flag", NULL};
    assert_int_equal (jk_test_run (argv1, NULL, &err, S_WAIT_MS), 2);
    assert_non_null (strstr (err, "no-such-flag"));
    free (err);
    char *db = jk_sprintf ("%s/other.db", h->dir);
    char *query = jk_test_endpoint (h->dir, "query2");
    char *feed = jk_test_endpoint (h->dir, "feed2");
    /* A local endpoint (plain mode is refused with exit 2 on any other)
       in a directory that does not exist. */
    char *argv2[] = {"jejak-hub",
                     "--db",
                     db,
                     "--ingest",
                     "ipc:///nonexistent-jejak-dir/ingest.sock",
                     "--feed",
                     feed,
                     "--query",
                     query,
                     NULL};
    assert_int_equal (jk_test_run (argv2, NULL, &err, S_WAIT_MS), 1);
    assert_non_null (strstr (err, "ipc:///nonexistent-jejak-dir/ingest.sock"));
    free (err);
    char *out = NULL;
    char *argv3[] = {"jejak-hub", "--help", NULL};
    assert_int_equal (jk_test_run (argv3, &out, NULL, S_WAIT_MS), 0);
    assert_non_null (strstr (out, "JEJAK_INGEST"));
    free (out);
    free (db);
    free (query);
    free (feed);
}

/* jejak-hub with --no-tree [extra] on h's endpoints and database. */
static pid_t s_spawn (s_hub_t *h, const char *extra)
{
    char *argv[] = {"jejak-hub", "--db",        h->db,   "--ingest",
                    h->ingest,   "--feed",      h->feed, "--query",
                    h->query,    (char *)extra, NULL};
    size_t before = jk_test_file_size (h->log);
    pid_t pid = jk_test_spawn (argv, h->log);
    assert_true (pid > 0);
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_file_has_after (h->log, before, "jejak-hub ingest="),
        S_WAIT_MS));
    return pid;
}

/* The tree switched off (--no-tree, a bench and diagnostic switch): the
   hub acks 600 events, stores no tile, STATS' tree stays at 0 and a
   proof of them is E_UNAVAILABLE; it refuses a checkpoint key with exit
   2. Started again with the tree, it
   stores the tiles of all 600 from the log first (2 level-0 tiles, 1
   level-1), STATS says tree=600, and verify finds the chain and the tree
   whole. */
static void test_no_tree (void **state)
{
    s_hub_t *h = *state;
    int status = jk_test_stop (h->pid, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status));
    char *err = NULL;
    char *fresh = jk_sprintf ("%s.fresh", h->db);
    char *argv[] = {"jejak-hub",
                    "--db",
                    fresh,
                    "--no-tree",
                    "--checkpoint-key",
                    "/nonexistent/log.key",
                    NULL};
    assert_int_equal (jk_test_run (argv, NULL, &err, S_WAIT_MS), 2);
    assert_string_equal (err, "jejak-hub: --no-tree leaves no tree to sign: "
                              "it cannot go with a checkpoint key "
                              "(--checkpoint-key, or log.key in --keys) (see "
                              "--help)\n");
    assert_int_equal (access (fresh, F_OK), -1);
    free (fresh);
    free (err);

    h->pid = s_spawn (h, "--no-tree");
    s_client_t *c = s_client_new (h->ingest, "32.03.10/pacet-1", 600, 1);
    s_client_deliver (c, 100, S_WAIT_MS, NULL, NULL);
    s_client_check_positions (c, 1);
    s_client_destroy (&c);
    assert_int_equal (jk_test_stat (h->query, "head"), 600);
    assert_int_equal (jk_test_stat (h->query, "tree"), 0);
    /* No proof for the records logged without the tree. */
    zsock_t *q = jk_test_dealer (h->query);
    zmsg_t *msg = jk_wire_new ("PROOF");
    zmsg_addstr (msg, "INCLUSION");
    jk_wire_add_u64 (msg, 1);
    jk_wire_add_u64 (msg, 600);
    zmsg_send (&msg, q);
    zmsg_t *reply = jk_test_recv (q, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "ERROR");
    char *code = zmsg_popstr (reply);
    assert_string_equal (code, "E_UNAVAILABLE");
    free (code);
    zmsg_destroy (&reply);
    zsock_destroy (&q);
    status = jk_test_stop (h->pid, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_int_equal (jk_test_db_int64 (h->db, "SELECT count(*) FROM log"),
                      600);
    assert_int_equal (
        jk_test_db_int64 (h->db, "SELECT count(*) FROM merkle_tile"), 0);

    h->pid = s_spawn (h, NULL);
    assert_int_equal (jk_test_stat (h->query, "tree"), 600);
    assert_int_equal (jk_test_db_int64 (h->db, "SELECT count(*) FROM"
                                               " merkle_tile WHERE level = 0"),
                      2);
    assert_int_equal (jk_test_db_int64 (h->db, "SELECT count(*) FROM"
                                               " merkle_tile WHERE level = 1"),
                      1);
    char *out = NULL;
    char *verify[] = {"jejak-replay", "verify", h->db, NULL};
    assert_int_equal (jk_test_run (verify, &out, NULL, S_WAIT_MS), 0);
    free (out);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_ack_duplicate_rejected, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_1000, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_feed_every_record, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_exit_codes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_tree, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
