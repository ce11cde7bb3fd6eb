/*  test_keys_broker.c - the broker actor in secure mode against a
    stand-in store (a DEALER the test drives) and CURVE clients, over ipc
    endpoints in a fresh temp directory: enrolled keys are forwarded,
    office and domain violations answered E_FORBIDDEN and counted per key,
    plain clients and unknown keys refused at the handshake (counted),
    revocation effective without a restart, on live connections too. */
#include "testsupport.h"

#include "jk_broker.h"
#include "jk_keys.h"
#include "jk_wire.h"

#include <stdlib.h>
#include <string.h>

/* A positive wait's deadline (it only matters when it fails: room for a
   sanitizer build on a slow, loaded machine); how long nothing must come
   for a refusal. */
#define S_WAIT_MS    30000
#define S_SILENCE_MS 1000

typedef struct {
    char *dir, *keys, *offices;
    char *ingest, *feed, *backend;
    zactor_t *broker;
    zsock_t *store;
    zcert_t *broker_cert;
} s_fixture_t;

static zsock_t *s_dealer (const char *endpoint, zcert_t *mine, zcert_t *server)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    if (mine) {
        zcert_apply (mine, sock);
        zsock_set_curve_serverkey (sock, zcert_public_txt (server));
    }
    assert_int_equal (zsock_connect (sock, "%s", endpoint), 0);
    return sock;
}

/* The stand-in store pings with a head and waits for the PONG. It pings
   once at setup and again right before a test submits: the broker counts
   a store silent for longer than its store-silence limit as gone, and a
   slow setup under load could pass it. */
static void s_store_ping (s_fixture_t *f)
{
    zmsg_t *ping = jk_wire_new ("PING");
    jk_wire_add_u64 (ping, 0);
    uint8_t hash[32] = {0};
    zmsg_addmem (ping, hash, 32);
    zmsg_send (&ping, f->store);
    zmsg_t *pong = jk_test_recv (f->store, S_WAIT_MS);
    assert_non_null (pong);
    zmsg_destroy (&pong);
}

static int s_setup (void **state)
{
    s_fixture_t *f = jk_calloc (1, sizeof *f);
    f->dir = jk_test_tmpdir ("keys-broker");
    f->keys = jk_sprintf ("%s/keys", f->dir);
    f->offices = jk_sprintf ("%s/offices", f->keys);
    char err[512];
    assert_int_equal (jk_keys_init (f->keys, false, err, sizeof err), JK_OK);
    f->ingest = jk_test_endpoint (f->dir, "ingest");
    f->feed = jk_test_endpoint (f->dir, "feed");
    f->backend = jk_test_endpoint (f->dir, "backend");
    char *cert = jk_sprintf ("%s/broker.key", f->keys);
    f->broker_cert = zcert_load (cert);
    assert_non_null (f->broker_cert);
    jk_broker_config_t config = {f->ingest, f->feed, f->backend,
                                 0,         cert,    f->offices};
    f->broker = jk_broker_start (&config);
    free (cert);
    assert_non_null (f->broker);
    /* The stand-in store. */
    f->store = s_dealer (f->backend, NULL, NULL);
    s_store_ping (f);
    *state = f;
    return 0;
}

static int s_teardown (void **state)
{
    s_fixture_t *f = *state;
    zsock_destroy (&f->store);
    zactor_destroy (&f->broker);
    zcert_destroy (&f->broker_cert);
    free (f->ingest);
    free (f->feed);
    free (f->backend);
    free (f->offices);
    free (f->keys);
    jk_test_rmdir (&f->dir);
    free (f);
    return 0;
}

/* Enrols a key and loads its secret certificate. */
static zcert_t *s_enrol (s_fixture_t *f, const char *office, const char *domain,
                         const char *device)
{
    char err[512], secret[512];
    assert_int_equal (jk_keys_enrol (f->keys, office, domain, device, NULL,
                                     secret, sizeof secret, err, sizeof err),
                      JK_OK);
    zcert_t *cert = zcert_load (secret);
    assert_non_null (cert);
    return cert;
}

/* An event of type from source with only its envelope: the broker reads
   no more than that. */
static void s_add_event (zmsg_t *msg, const char *type, const char *source,
                         uint64_t seq)
{
    jk_event_t *ev = jk_event_new (jk_vocabulary_find (type, strlen (type)));
    assert_non_null (ev);
    jk_event_set_source (ev, source);
    jk_event_set_actor (ev, "operator-1");
    ev->seq = seq;
    size_t size;
    uint8_t *bytes = jk_event_encode (ev, &size);
    assert_non_null (bytes);
    zmsg_addmem (msg, bytes, size);
    free (bytes);
    jk_event_destroy (&ev);
}

/* The value of key in the broker's STATS text. */
static uint64_t s_stat (zactor_t *broker, const char *key)
{
    zstr_send (broker, "STATS");
    char *text = zstr_recv (broker);
    assert_non_null (text);
    /* Padded with a space so that every key, the first too, follows
       one. */
    char *padded = jk_sprintf (" %s", text);
    char *pattern = jk_sprintf (" %s=", key);
    const char *p = strstr (padded, pattern);
    assert_non_null (p);
    uint64_t value = strtoull (p + strlen (pattern), NULL, 10);
    free (pattern);
    free (padded);
    zstr_free (&text);
    return value;
}

/* Answers every SUBMIT event waiting at the store with ACK; returns how
   many events it saw within timeout_ms (0: none came). */
static size_t s_store_ack (s_fixture_t *f, int timeout_ms)
{
    zmsg_t *fwd = jk_test_recv (f->store, timeout_ms);
    if (!fwd)
        return 0;
    char command[16];
    assert_int_equal (jk_wire_open (fwd, command, sizeof command), 0);
    assert_string_equal (command, "SUBMIT");
    zframe_t *rid = zmsg_pop (fwd);
    zmsg_t *answer = jk_wire_new ("ANSWER");
    zmsg_append (answer, &rid);
    size_t n = 0;
    for (zframe_t *ev = zmsg_first (fwd); ev; ev = zmsg_next (fwd), n++) {
        jk_envelope_t envelope;
        assert_true (
            jk_envelope_peek (zframe_data (ev), zframe_size (ev), &envelope));
        jk_answer_t a;
        memset (&a, 0, sizeof a);
        memcpy (a.id, envelope.id, 16);
        a.kind = JK_ANSWER_ACK;
        a.pos = envelope.seq;
        jk_answer_add (answer, &a);
    }
    zmsg_send (&answer, f->store);
    zmsg_destroy (&fwd);
    return n;
}

/* Receives one ANSWER at the client and decodes its answers. */
static size_t s_answers (zsock_t *client, jk_answer_t *out, size_t max,
                         int timeout_ms)
{
    zmsg_t *msg = jk_test_recv (client, timeout_ms);
    if (!msg)
        return 0;
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    size_t n = 0;
    for (zframe_t *fr = zmsg_first (msg); fr && n < max;
         fr = zmsg_next (msg), n++)
        assert_int_equal (
            jk_answer_decode (zframe_data (fr), zframe_size (fr), &out[n]), 0);
    zmsg_destroy (&msg);
    return n;
}

/* An enrolled attendance key: its own office's attendance events reach
   the store and are answered ACK; another office's source and a scoring
   type are answered E_FORBIDDEN at once and never reach the store. */
static void test_enrolled_and_forbidden (void **state)
{
    s_fixture_t *f = *state;
    zcert_t *mine = s_enrol (f, "32.03.10", "attendance", "pacet-1");
    /* Wait until the broker has the new key (re-read every second). */
    assert_true (JK_WAIT_FOR (s_stat (f->broker, "keys") == 1, S_WAIT_MS));
    s_store_ping (f);
    zsock_t *client = s_dealer (f->ingest, mine, f->broker_cert);

    zmsg_t *msg = jk_wire_new ("SUBMIT");
    s_add_event (msg, "attendance.recorded", "32.03.10/pacet-1", 1);
    s_add_event (msg, "attendance.recorded", "32.03.11/cugenang-1", 2);
    s_add_event (msg, "assessment.unit_assessed", "32.03.10/pacet-1", 3);
    s_add_event (msg, "training.batch_closed", "32.03.10/pacet-1", 4);
    zmsg_send (&msg, client);

    jk_answer_t got[8];
    assert_int_equal (s_answers (client, got, 8, S_WAIT_MS), 2);
    assert_int_equal (got[0].kind, JK_ANSWER_NACK);
    assert_string_equal (got[0].code, "E_FORBIDDEN");
    assert_false (jk_answer_retryable (&got[0]));
    assert_non_null (
        strstr (got[0].message, "is enrolled for office 32.03.10"));
    assert_string_equal (got[1].code, "E_FORBIDDEN");
    assert_non_null (strstr (got[1].message, "is of the scoring domain"));

    assert_int_equal (s_store_ack (f, S_WAIT_MS), 2);
    assert_int_equal (s_answers (client, got, 8, S_WAIT_MS), 2);
    assert_int_equal (got[0].kind, JK_ANSWER_ACK);
    assert_int_equal (got[0].pos, 1);
    assert_int_equal (got[1].pos, 4);

    assert_int_equal (s_stat (f->broker, "received"), 4);
    assert_int_equal (s_stat (f->broker, "forwarded"), 2);
    assert_int_equal (s_stat (f->broker, "forbidden"), 2);
    assert_int_equal (s_stat (f->broker, "acked"), 2);

    /* A SUBMIT whose every event the key may send goes to the store
       whole and counts for the key the same way. */
    msg = jk_wire_new ("SUBMIT");
    s_add_event (msg, "attendance.recorded", "32.03.10/pacet-1", 5);
    s_add_event (msg, "attendance.recorded", "32.03.10/pacet-1", 6);
    zmsg_send (&msg, client);
    assert_int_equal (s_store_ack (f, S_WAIT_MS), 2);
    assert_int_equal (s_answers (client, got, 8, S_WAIT_MS), 2);
    assert_int_equal (got[0].kind, JK_ANSWER_ACK);
    assert_int_equal (got[0].pos, 5);
    assert_int_equal (got[1].pos, 6);
    assert_int_equal (s_stat (f->broker, "received"), 6);
    assert_int_equal (s_stat (f->broker, "forwarded"), 4);
    assert_int_equal (s_stat (f->broker, "forbidden"), 2);

    /* Per key: one line per key heard from. */
    zstr_send (f->broker, "KEYS");
    zmsg_t *keys = zmsg_recv (f->broker);
    char *count = zmsg_popstr (keys);
    assert_string_equal (count, "1");
    char *line = zmsg_popstr (keys);
    jk_key_t key;
    assert_int_equal (jk_key_from_cert (mine, &key), JK_OK);
    char *expect = jk_sprintf ("%s holder=32.03.10/pacet-1 submitted=6 "
                               "forbidden=2",
                               key.fingerprint);
    assert_string_equal (line, expect);
    free (expect);
    free (line);
    free (count);
    zmsg_destroy (&keys);
    zsock_destroy (&client);
    zcert_destroy (&mine);
}

/* A DINAS key with domain all submits for any office and any domain. */
static void test_dinas_any (void **state)
{
    s_fixture_t *f = *state;
    zcert_t *mine = s_enrol (f, "DINAS", "all", "hq");
    assert_true (JK_WAIT_FOR (s_stat (f->broker, "keys") == 1, S_WAIT_MS));
    s_store_ping (f);
    zsock_t *client = s_dealer (f->ingest, mine, f->broker_cert);
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    s_add_event (msg, "assessment.decided", "32.03.11/cugenang-1", 1);
    s_add_event (msg, "cooperative.registered", "DINAS/hq", 1);
    zmsg_send (&msg, client);
    assert_int_equal (s_store_ack (f, S_WAIT_MS), 2);
    jk_answer_t got[4];
    assert_int_equal (s_answers (client, got, 4, S_WAIT_MS), 2);
    assert_int_equal (got[0].kind, JK_ANSWER_ACK);
    assert_int_equal (got[1].kind, JK_ANSWER_ACK);
    assert_int_equal (s_stat (f->broker, "forbidden"), 0);
    zsock_destroy (&client);
    zcert_destroy (&mine);
}

/* A plain client and a CURVE client with a key nobody enrolled never get
   an answer; the broker counts both refused handshakes and forwards
   nothing. A reader key connects but may submit nothing. */
static void test_refused (void **state)
{
    s_fixture_t *f = *state;
    zsock_t *plain = s_dealer (f->ingest, NULL, NULL);
    zcert_t *stranger = zcert_new ();
    zsock_t *unknown = s_dealer (f->ingest, stranger, f->broker_cert);
    for (int i = 0; i < 2; i++) {
        zsock_t *sock = i ? unknown : plain;
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        s_add_event (msg, "attendance.recorded", "32.03.10/pacet-1", 1);
        zsock_set_sndtimeo (sock, 0);
        zmsg_send (&msg, sock);
        zmsg_destroy (&msg);
    }
    assert_true (
        JK_WAIT_FOR (s_stat (f->broker, "handshake_failed") >= 2, S_WAIT_MS));
    assert_null (jk_test_recv (plain, S_SILENCE_MS));
    assert_null (jk_test_recv (unknown, 10));
    assert_int_equal (s_stat (f->broker, "received"), 0);
    assert_int_equal (s_store_ack (f, 10), 0);
    zsock_destroy (&plain);
    zsock_destroy (&unknown);
    zcert_destroy (&stranger);

    char err[512], secret[512];
    assert_int_equal (jk_keys_reader (f->keys, "board", NULL, secret,
                                      sizeof secret, err, sizeof err),
                      JK_OK);
    zcert_t *reader = zcert_load (secret);
    assert_true (JK_WAIT_FOR (s_stat (f->broker, "keys") == 1, S_WAIT_MS));
    s_store_ping (f);
    zsock_t *client = s_dealer (f->ingest, reader, f->broker_cert);
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    s_add_event (msg, "cooperative.registered", "DINAS/hq", 1);
    zmsg_send (&msg, client);
    jk_answer_t got[2];
    assert_int_equal (s_answers (client, got, 2, S_WAIT_MS), 1);
    assert_string_equal (got[0].code, "E_FORBIDDEN");
    assert_non_null (strstr (got[0].message, "read-only reader key"));
    assert_int_equal (s_stat (f->broker, "forwarded"), 0);
    zsock_destroy (&client);
    zcert_destroy (&reader);
}

/* Revocation while the broker runs: the connected device's next events
   are answered E_FORBIDDEN; a new connection with the key fails the
   handshake. No restart. */
static void test_revoked (void **state)
{
    s_fixture_t *f = *state;
    zcert_t *mine = s_enrol (f, "32.03.10", "registration", "pacet-1");
    assert_true (JK_WAIT_FOR (s_stat (f->broker, "keys") == 1, S_WAIT_MS));
    s_store_ping (f);
    zsock_t *client = s_dealer (f->ingest, mine, f->broker_cert);
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    s_add_event (msg, "cooperative.registered", "32.03.10/pacet-1", 1);
    zmsg_send (&msg, client);
    assert_int_equal (s_store_ack (f, S_WAIT_MS), 1);
    jk_answer_t got[2];
    assert_int_equal (s_answers (client, got, 2, S_WAIT_MS), 1);
    assert_int_equal (got[0].kind, JK_ANSWER_ACK);

    char err[512];
    assert_int_equal (
        jk_keys_revoke (f->keys, "32.03.10/pacet-1", NULL, err, sizeof err),
        JK_OK);
    zstr_send (f->broker, "RELOAD");
    assert_true (JK_WAIT_FOR (s_stat (f->broker, "keys") == 0, S_WAIT_MS));
    msg = jk_wire_new ("SUBMIT");
    s_add_event (msg, "cooperative.registered", "32.03.10/pacet-1", 2);
    zmsg_send (&msg, client);
    assert_int_equal (s_answers (client, got, 2, S_WAIT_MS), 1);
    assert_string_equal (got[0].code, "E_FORBIDDEN");
    assert_non_null (strstr (got[0].message, "not enrolled"));
    zsock_destroy (&client);

    uint64_t failed = s_stat (f->broker, "handshake_failed");
    client = s_dealer (f->ingest, mine, f->broker_cert);
    msg = jk_wire_new ("SUBMIT");
    s_add_event (msg, "cooperative.registered", "32.03.10/pacet-1", 2);
    zsock_set_sndtimeo (client, 0);
    zmsg_send (&msg, client);
    zmsg_destroy (&msg);
    assert_true (JK_WAIT_FOR (s_stat (f->broker, "handshake_failed") > failed,
                              S_WAIT_MS));
    assert_null (jk_test_recv (client, S_SILENCE_MS));
    assert_int_equal (s_stat (f->broker, "forwarded"), 1);
    zsock_destroy (&client);
    zcert_destroy (&mine);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_enrolled_and_forbidden, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_dinas_any, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_revoked, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
