/*  test_broker_restart.c - jejak-broker and jejak-store as separate
    processes: the store killed (-9) and restarted while an agent submits,
    then the broker killed and restarted. No event may get two different
    positions and none may be lost. */
#include "test_broker_support.h"

#include <signal.h>
#include <sys/wait.h>

typedef struct {
    char *dir;
    char *ingest, *feed, *backend, *query, *db, *log;
    pid_t broker, store;
    int store_kills, broker_kills;
    int kill_store_at, kill_broker_at; /* SUBMIT counts */
} s_setup_t;

/* A fresh directory (tag names it) with the endpoints, database and log
   paths of a broker and a store. */
static void s_setup_init (s_setup_t *s, const char *tag)
{
    memset (s, 0, sizeof *s);
    s->dir = jk_test_tmpdir (tag);
    s->ingest = jk_test_endpoint (s->dir, "ingest");
    s->feed = jk_test_endpoint (s->dir, "feed");
    s->backend = jk_test_endpoint (s->dir, "backend");
    s->query = jk_test_endpoint (s->dir, "query");
    s->db = jk_sprintf ("%s/events.db", s->dir);
    s->log = jk_sprintf ("%s/run.log", s->dir);
}

static void s_setup_fini (s_setup_t *s)
{
    free (s->ingest);
    free (s->feed);
    free (s->backend);
    free (s->query);
    free (s->db);
    free (s->log);
    jk_test_rmdir (&s->dir);
}

static pid_t s_start_broker (s_setup_t *s)
{
    char *argv[] = {"jejak-broker", "--ingest",  s->ingest,  "--feed",
                    s->feed,        "--backend", s->backend, NULL};
    return jk_test_spawn (argv, s->log);
}

static pid_t s_start_store (s_setup_t *s)
{
    char *argv[] = {"jejak-store", "--db",    s->db,    "--backend",
                    s->backend,    "--query", s->query, NULL};
    return jk_test_spawn (argv, s->log);
}

/* Runs after each SUBMIT: kills a process right after a SUBMIT went out,
   so that SUBMIT is in flight while it dies, and starts it again. */
static void s_chaos (int submits, void *arg)
{
    s_setup_t *s = arg;
    if (submits == s->kill_store_at) {
        jk_test_stop (s->store, SIGKILL, S_WAIT_MS);
        s->store = s_start_store (s);
        s->store_kills++;
    }
    if (submits == s->kill_broker_at) {
        jk_test_stop (s->broker, SIGKILL, S_WAIT_MS);
        s->broker = s_start_broker (s);
        s->broker_kills++;
    }
}

static void test_kill_store_and_broker (void **state)
{
    (void)state;
    s_setup_t s;
    s_setup_init (&s, "restart");
    s.kill_store_at = 8;
    s.kill_broker_at = 20;
    s.broker = s_start_broker (&s);
    s.store = s_start_store (&s);

    enum { N = 2000 };
    s_client_t *c = s_client_new (s.ingest, "32.03.10/pacet-1", N, 100);
    s_client_deliver (c, 50, 120000, s_chaos, &s);
    assert_int_equal (s.store_kills, 1);
    assert_int_equal (s.broker_kills, 1);
    /* The broker's death usually shows to the client as silence (a
       reconnect); but when the SUBMIT was still queued in the client's
       socket, ZeroMQ hands it to the new broker by itself and no reconnect
       is needed. Either way the guarantee checked below must hold. */
    assert_true (c->reconnects >= 0 && c->reconnects <= 3);

    /* Every event has one position, together exactly 1..N: none lost,
       none stored twice. */
    s_client_check_positions (c, 1);
    assert_int_equal (s_query_head (s.query, NULL), N);

    /* A resend of everything now is answered DUPLICATE at the same
       positions (s_client_take checks). */
    for (size_t i = 0; i < c->count; i++)
        c->items[i].answered = false;
    s_client_deliver (c, 500, 30000, NULL, NULL);
    for (size_t i = 0; i < c->count; i++)
        assert_true (c->items[i].acks >= 2);
    assert_int_equal (s_query_head (s.query, NULL), N);

    s_client_destroy (&c);
    int status = jk_test_stop (s.store, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    status = jk_test_stop (s.broker, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    s_setup_fini (&s);
}

/* Plays a store on the broker's backend: a PING (head 0); true when the
   broker answers PONG, so it serves this connection. */
static bool s_store_taken (zsock_t *store)
{
    s_store_ping (store);
    bool silent;
    char why[160];
    zmsg_t *msg =
        jk_wire_expect (store, S_WAIT_MS, "PONG", &silent, why, sizeof why);
    bool taken = msg != NULL;
    zmsg_destroy (&msg);
    return taken;
}

/* Occurrences of text in the file at path. */
static int s_count_in (const char *path, const char *text)
{
    char *data = jk_test_slurp (path, NULL);
    int count = 0;
    for (char *at = data; at && (at = strstr (at, text)) != NULL; at++)
        count++;
    free (data);
    return count;
}

/* Section 4: a backend message the broker cannot take is not answered
   but counted (protocol_errors); the first of each store connection is
   logged, the others only counted. */
static void test_malformed_store_messages (void **state)
{
    (void)state;
    s_setup_t s;
    s_setup_init (&s, "malformed-store");
    s.broker = s_start_broker (&s);
    const char *logged = "malformed message from the store";
    const char *bad[] = {"BOGUS", "RECORDS", "CHECKPOINT"};
    zsock_t *store = jk_test_dealer (s.backend);
    assert_true (s_store_taken (store));
    for (int i = 0; i < 3; i++) {
        zmsg_t *msg = jk_wire_new (bad[i]);
        assert_int_equal (zmsg_send (&msg, store), 0);
    }
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_stat (s.ingest, "protocol_errors") == 3, S_WAIT_MS));
    assert_null (jk_test_recv (store, 100));
    assert_int_equal (s_count_in (s.log, logged), 1);
    /* Another store connection, taken once the first is gone: its first
       malformed message is logged again. */
    zsock_destroy (&store);
    store = jk_test_dealer (s.backend);
    assert_true (__extension__ JK_WAIT_FOR (s_store_taken (store), S_WAIT_MS));
    zmsg_t *msg = jk_wire_new ("BOGUS");
    assert_int_equal (zmsg_send (&msg, store), 0);
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_stat (s.ingest, "protocol_errors") == 4, S_WAIT_MS));
    assert_int_equal (s_count_in (s.log, logged), 2);
    zsock_destroy (&store);
    int status = jk_test_stop (s.broker, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    s_setup_fini (&s);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kill_store_and_broker),
        cmocka_unit_test (test_malformed_store_messages),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
