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
    memset (&s, 0, sizeof s);
    s.dir = jk_test_tmpdir ("restart");
    s.ingest = jk_test_endpoint (s.dir, "ingest");
    s.feed = jk_test_endpoint (s.dir, "feed");
    s.backend = jk_test_endpoint (s.dir, "backend");
    s.query = jk_test_endpoint (s.dir, "query");
    s.db = jk_sprintf ("%s/events.db", s.dir);
    s.log = jk_sprintf ("%s/run.log", s.dir);
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
    free (s.ingest);
    free (s.feed);
    free (s.backend);
    free (s.query);
    free (s.db);
    free (s.log);
    jk_test_rmdir (&s.dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kill_store_and_broker),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
