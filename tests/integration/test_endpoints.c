/*  test_endpoints.c - endpoints as the programs take them, with real
    processes: the loopback forms plain mode allows (tcp://localhost,
    tcp://[::1]) are bound and answer, and [::1] is reached by a program
    connecting; a malformed endpoint or a port
    outside 1..65535 is refused (exit 2, the flag, the value and the
    forms named) before anything is opened; an ipc path a running program
    listens on is not taken over (exit 1) while a stale one is; jejak-replay
    publish refuses a feed that leaves the machine (exit 2). */
#include "testsupport.h"

#include "jk_wire.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_WAIT_MS 30000

static char *s_dir;

static int s_setup (void **state)
{
    (void)state;
    s_dir = jk_test_tmpdir ("endpoints");
    return 0;
}

static int s_teardown (void **state)
{
    (void)state;
    jk_test_rmdir (&s_dir);
    return 0;
}

/* Starts jejak-broker with its ingest at ingest and its backend at
   backend (NULL: an ipc path named by tag, as its feed) and waits for its
   start line: the pid, or 0 when it ended first (*status its wait
   status, its stderr in DIR/TAG.log). */
static pid_t s_broker (const char *ingest, const char *backend, const char *tag,
                       int *status)
{
    char *feed = jk_sprintf ("ipc://%s/%s-feed", s_dir, tag);
    char *own = jk_sprintf ("ipc://%s/%s-backend", s_dir, tag);
    char *log = jk_sprintf ("%s/%s.log", s_dir, tag);
    unlink (log);
    char *argv[] = {"jejak-broker",
                    "--ingest",
                    (char *)ingest,
                    "--feed",
                    feed,
                    "--backend",
                    backend ? (char *)backend : own,
                    NULL};
    pid_t pid = jk_test_spawn (argv, log);
    bool ended = false;
    assert_true (JK_WAIT_FOR (jk_test_file_has (log, "jejak-broker ingest=") ||
                                  (ended = jk_test_wait_exit (pid, status, 0)),
                              S_WAIT_MS));
    free (feed);
    free (own);
    free (log);
    return ended ? 0 : pid;
}

/* A broker with its ingest (or, given ingest, its backend) on
   tcp://HOST:PORT, a port free when chosen (tried again while another
   process takes it first); that endpoint in *endpoint (heap). */
static pid_t s_broker_tcp (const char *host, const char *ingest,
                           const char *tag, char **endpoint)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        *endpoint = jk_sprintf ("tcp://%s:%d", host, jk_test_tcp_port ());
        int status = 0;
        pid_t pid = ingest ? s_broker (ingest, *endpoint, tag, &status)
                           : s_broker (*endpoint, NULL, tag, &status);
        if (pid)
            return pid;
        char *log = jk_sprintf ("%s/%s.log", s_dir, tag);
        bool taken = jk_test_file_has (log, "Address already in use");
        free (log);
        assert_true (taken);
        free (*endpoint);
    }
    fail_msg ("no free port for %s", host);
    return 0;
}

/* Whether the broker's STATS on endpoint holds text. */
static bool s_stats_has (const char *endpoint, const char *text)
{
    char *stats = jk_test_stats_text (endpoint);
    bool has = strstr (stats, text) != NULL;
    free (stats);
    return has;
}

/* SECURITY.md allows plain mode on localhost and [::1]: the broker binds
   both and answers there (STATS), and the store binds its query
   endpoint on localhost. */
static void test_loopback_forms (void **state)
{
    (void)state;
    const char *hosts[] = {"localhost", "[::1]"};
    for (size_t i = 0; i < 2; i++) {
        char *endpoint = NULL;
        pid_t pid = s_broker_tcp (hosts[i], NULL, "loopback", &endpoint);
        char *stats = jk_test_stats_text (endpoint);
        assert_non_null (strstr (stats, "received=0"));
        free (stats);
        assert_int_equal (jk_test_stop (pid, SIGTERM, S_WAIT_MS), 0);
        free (endpoint);
    }
    jk_test_require_program ("jejak-store");
    for (int attempt = 0; attempt < 10; attempt++) {
        char *query = jk_sprintf ("tcp://localhost:%d", jk_test_tcp_port ());
        char *db = jk_sprintf ("%s/store.db", s_dir);
        char *backend = jk_sprintf ("ipc://%s/store-backend", s_dir);
        char *log = jk_sprintf ("%s/store.log", s_dir);
        unlink (log);
        char *argv[] = {"jejak-store", "--db",    db,    "--backend",
                        backend,       "--query", query, NULL};
        pid_t pid = jk_test_spawn (argv, log);
        /* STATS asked at once: answered once the query endpoint is up. */
        zsock_t *sock = jk_test_dealer (query);
        zmsg_t *ask = jk_wire_new ("STATS");
        zmsg_send (&ask, sock);
        int status = 0;
        bool ended = false, answered = false;
        assert_true (
            JK_WAIT_FOR ((answered = (zsock_events (sock) & ZMQ_POLLIN) != 0) ||
                             (ended = jk_test_wait_exit (pid, &status, 0)),
                         S_WAIT_MS));
        bool taken = ended && jk_test_file_has (log, "Address already in use");
        zsock_destroy (&sock);
        if (!ended)
            assert_int_equal (jk_test_stop (pid, SIGTERM, S_WAIT_MS), 0);
        if (!taken)
            assert_true (answered);
        free (query);
        free (db);
        free (backend);
        free (log);
        if (!taken)
            return;
    }
    fail_msg ("no free port for the store");
}

/* A program connects to tcp://[::1]:PORT: the store reaches a broker's
   backend bound there (the broker says store=up). */
static void test_ipv6_connect (void **state)
{
    (void)state;
    char *ingest = jk_sprintf ("ipc://%s/v6-ingest", s_dir);
    char *backend = NULL;
    pid_t broker = s_broker_tcp ("[::1]", ingest, "v6", &backend);
    assert_true (s_stats_has (ingest, " store=down "));
    char *db = jk_sprintf ("%s/v6.db", s_dir);
    char *log = jk_sprintf ("%s/v6-store.log", s_dir);
    char *argv[] = {"jejak-store", "--db",    db, "--backend",
                    backend,       "--query", "", NULL};
    pid_t store = jk_test_spawn (argv, log);
    assert_true (JK_WAIT_FOR (s_stats_has (ingest, " store=up "), S_WAIT_MS));
    assert_int_equal (jk_test_stop (store, SIGTERM, S_WAIT_MS), 0);
    assert_int_equal (jk_test_stop (broker, SIGTERM, S_WAIT_MS), 0);
    free (log);
    free (db);
    free (backend);
    free (ingest);
}

/* Runs argv, expecting exit 2 and exactly message on stderr. */
static void s_refused (char **argv, const char *message)
{
    char *err = NULL;
    assert_int_equal (jk_test_run (argv, NULL, &err, S_WAIT_MS), 2);
    assert_string_equal (err, message);
    free (err);
}

#define S_BOUND                                                                \
    "; an endpoint is tcp://HOST:PORT (PORT 1..65535, or * for any free "      \
    "port) or ipc://PATH (see --help)\n"
#define S_CONNECTED                                                            \
    "; an endpoint is tcp://HOST:PORT (PORT 1..65535) or ipc://PATH (see "     \
    "--help)\n"

/* Every endpoint flag checks the form before the loopback/keys check and
   before anything is opened: exit 2 naming the flag, the value, the rule
   and the forms. */
static void test_forms_refused (void **state)
{
    (void)state;
    char *db = jk_sprintf ("%s/forms/events.db", s_dir);
    char *hub_port[] = {
        "jejak-hub", "--db", db, "--ingest", "tcp://127.0.0.1:99999", NULL};
    s_refused (hub_port, "jejak-hub: --ingest 'tcp://127.0.0.1:99999': the "
                         "port must be a number 1..65535" S_BOUND);
    char *hub_bogus[] = {"jejak-hub", "--db", db, "--ingest", "bogus", NULL};
    s_refused (hub_bogus, "jejak-hub: --ingest 'bogus': not a tcp:// or "
                          "ipc:// endpoint" S_BOUND);
    char *hub_empty[] = {"jejak-hub", "--db", db, "--query", "", NULL};
    s_refused (hub_empty,
               "jejak-hub: --query '': the endpoint is empty" S_BOUND);
    char *broker[] = {"jejak-broker", "--backend", "tcp://127.0.0.1:70000",
                      NULL};
    s_refused (broker, "jejak-broker: --backend 'tcp://127.0.0.1:70000': the "
                       "port must be a number 1..65535" S_BOUND);
    char *store[] = {"jejak-store", "--db",        db,
                     "--backend",   "tcp://[::1]", NULL};
    s_refused (store, "jejak-store: --backend 'tcp://[::1]': an IPv6 host is "
                      "written [ADDRESS]:PORT (tcp://[::1]:PORT)" S_CONNECTED);
    char *store_query[] = {"jejak-store", "--db",   db,
                           "--query",     "ipc://", NULL};
    s_refused (store_query, "jejak-store: --query 'ipc://': the path is "
                            "missing (ipc://PATH)" S_BOUND);
    char *outbox = jk_sprintf ("%s/forms/outbox.db", s_dir);
    char *office[] = {"jejak-office", "--source", "DINAS/DEV", "--outbox",
                      outbox,         "--broker", "bogus",     NULL};
    s_refused (office, "jejak-office: --broker 'bogus': not a tcp:// or "
                       "ipc:// endpoint" S_CONNECTED);
    char *link[] = {"jejak-link", "send",       "--db",  db,  "--area",
                    "32.03",      "--upstream", "bogus", NULL};
    s_refused (link, "jejak-link: --upstream 'bogus': not a tcp:// or ipc:// "
                     "endpoint" S_CONNECTED);
    char *link_stats[] = {
        "jejak-link", "send",       "--db",     db,        "--area",
        "32.03",      "--upstream", "ipc://up", "--stats", "tcp://0.0.0.0:*",
        NULL};
    s_refused (link_stats,
               "jejak-link: refusing to bind --stats tcp://0.0.0.0:*: the "
               "stats endpoint has no keys, so it binds only loopback "
               "(127.0.0.1, localhost, [::1]) and ipc endpoints "
               "(docs/SECURITY.md) (see --help)\n");
    char *receive[] = {"jejak-link", "receive",           "--db", db,
                       "--listen",   "tcp://127.0.0.1:0", NULL};
    s_refused (receive, "jejak-link: --listen 'tcp://127.0.0.1:0': the port "
                        "must be a number 1..65535" S_BOUND);
    char *pgsink[] = {"jejak-pgsink", "--pg",  "dbname=none",
                      "--query",      "bogus", NULL};
    s_refused (pgsink, "jejak-pgsink: --query 'bogus': not a tcp:// or "
                       "ipc:// endpoint" S_CONNECTED);
    char *status[] = {"jejak-status", "--feed", "tcp://127.0.0.1:65536", NULL};
    s_refused (status, "jejak-status: --feed 'tcp://127.0.0.1:65536': the "
                       "port must be a number 1..65535" S_CONNECTED);
    char *publish[] = {"jejak-replay", "publish", db, "--feed", "bogus", NULL};
    s_refused (publish, "jejak-replay publish: --feed 'bogus': not a tcp:// "
                        "or ipc:// endpoint" S_BOUND);
    assert_int_not_equal (access (db, F_OK), 0);
    assert_int_not_equal (access (outbox, F_OK), 0);
    free (outbox);
    free (db);
}

/* A second broker on the ipc path a running one listens on exits 1 and
   the first still answers there; once the first is killed (its socket
   file left behind) the path is taken over. */
static void test_ipc_in_use (void **state)
{
    (void)state;
    char *ingest = jk_sprintf ("ipc://%s/ingest", s_dir);
    int status = 0;
    pid_t first = s_broker (ingest, NULL, "first", &status);
    assert_true (first > 0);
    pid_t second = s_broker (ingest, NULL, "second", &status);
    assert_int_equal (second, 0);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    char *log = jk_sprintf ("%s/second.log", s_dir);
    char *said = jk_sprintf ("cannot bind ingest endpoint %s: the path is in "
                             "use by a running program",
                             ingest);
    assert_true (jk_test_file_has (log, said));
    char *stats = jk_test_stats_text (ingest);
    assert_non_null (strstr (stats, "received=0"));
    free (stats);
    /* Killed, the first leaves its socket file: a stale one. */
    kill (first, SIGKILL);
    assert_true (jk_test_wait_exit (first, &status, S_WAIT_MS));
    assert_int_equal (access (ingest + 6, F_OK), 0);
    pid_t third = s_broker (ingest, NULL, "third", &status);
    assert_true (third > 0);
    stats = jk_test_stats_text (ingest);
    assert_non_null (strstr (stats, "received=0"));
    free (stats);
    assert_int_equal (jk_test_stop (third, SIGTERM, S_WAIT_MS), 0);
    free (said);
    free (log);
    free (ingest);
}

/* publish has no keys: a feed that leaves the machine is refused. */
static void test_publish_public_refused (void **state)
{
    (void)state;
    char *db = jk_sprintf ("%s/publish.db", s_dir);
    char *argv[] = {"jejak-replay",    "publish",           db,  "--feed",
                    "tcp://0.0.0.0:*", "--wait-subscriber", "0", NULL};
    s_refused (argv, "jejak-replay publish: refusing to bind tcp://0.0.0.0:*: "
                     "publish has no keys and sends the log (NIKs in clear) "
                     "unencrypted, so it binds only loopback (127.0.0.1, "
                     "localhost, [::1]) and ipc endpoints "
                     "(docs/SECURITY.md)\n");
    free (db);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_loopback_forms),
        cmocka_unit_test (test_ipv6_connect),
        cmocka_unit_test (test_forms_refused),
        cmocka_unit_test (test_ipc_in_use),
        cmocka_unit_test (test_publish_public_refused),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
