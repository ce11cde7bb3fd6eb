/*  test_endpoints.c - endpoints as the programs take them, with real
    processes: the loopback forms plain mode allows (tcp://localhost,
    tcp://[::1]) are bound and answer, and [::1] is reached by a program
    connecting; a malformed endpoint or a port
    outside 1..65535 is refused (exit 2, the flag, the value and the
    forms named) before anything is opened; an ipc path a running program
    listens on is not taken over (exit 1) while a stale one is; jejak-replay
    publish refuses a feed that leaves the machine (exit 2); a port given as
    `*` is bound on a free one, and the start lines name it. */
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

/* The programs started from here on log INFO lines too (JEJAK_LOG=info):
   returns the value it had, for s_log_restore. */
static char *s_log_info (void)
{
    const char *was = getenv ("JEJAK_LOG");
    char *kept = was ? jk_strdup (was) : NULL;
    setenv ("JEJAK_LOG", "info", 1);
    return kept;
}

/* JEJAK_LOG as it was before s_log_info. */
static void s_log_restore (char **was_p)
{
    if (*was_p)
        setenv ("JEJAK_LOG", *was_p, 1);
    else
        unsetenv ("JEJAK_LOG");
    free (*was_p);
    *was_p = NULL;
}

/* The in-use check does not connect to a live listener the kernel lists:
   a broker in secure mode would count that connection as a CURVE
   handshake that failed (handshake_failed, SECURITY.md). */
static void test_ipc_in_use_secure (void **state)
{
    (void)state;
    char *keys = jk_sprintf ("%s/secure-keys", s_dir);
    char *init[] = {"jejak-keys", "init", "--dir", keys, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (init, &out, &err, S_WAIT_MS), 0);
    free (out);
    free (err);
    char *ingest = jk_sprintf ("ipc://%s/secure-ingest", s_dir);
    char *feed = jk_sprintf ("ipc://%s/secure-feed", s_dir);
    char *backend = jk_sprintf ("ipc://%s/secure-backend", s_dir);
    char *log = jk_sprintf ("%s/secure.log", s_dir);
    char *argv[] = {"jejak-broker", "--keys", keys,        "--ingest", ingest,
                    "--feed",       feed,     "--backend", backend,    NULL};
    char *was = s_log_info (); /* the counters at its stop */
    pid_t first = jk_test_spawn (argv, log);
    assert_true (JK_WAIT_FOR (jk_test_file_has (log, "jejak-broker ingest="),
                              S_WAIT_MS));
    int status = 0;
    pid_t second = s_broker (ingest, NULL, "secure-second", &status);
    assert_int_equal (second, 0);
    assert_int_equal (WEXITSTATUS (status), 1);
    assert_int_equal (jk_test_stop (first, SIGTERM, S_WAIT_MS), 0);
    s_log_restore (&was);
    assert_true (jk_test_file_has (log, "broker stopped "));
    assert_true (jk_test_file_has (log, " handshake_failed=0 "));
    free (log);
    free (backend);
    free (feed);
    free (ingest);
    free (keys);
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

/* The value after key (e.g. "ingest=") in text, up to the next space or
   newline (heap), or NULL. */
static char *s_started_with_text (const char *text, const char *key)
{
    const char *at = text ? strstr (text, key) : NULL;
    if (!at)
        return NULL;
    at += strlen (key);
    return jk_sprintf ("%.*s", (int)strcspn (at, " \n"), at);
}

/* The same in the file at path. */
static char *s_started_with (const char *path, const char *key)
{
    char *text = jk_test_slurp (path, NULL);
    char *value = s_started_with_text (text, key);
    free (text);
    return value;
}

/* endpoint is tcp://host:PORT with PORT a number 1..65535 (not `*`): the
   port, or 0. */
static int s_port_of (const char *endpoint, const char *host)
{
    char *prefix = jk_sprintf ("tcp://%s:", host);
    int port = 0;
    if (strncmp (endpoint, prefix, strlen (prefix)) == 0) {
        const char *digits = endpoint + strlen (prefix);
        char *end = NULL;
        long n = strtol (digits, &end, 10);
        if (end != digits && *end == 0 && n >= 1 && n <= 65535)
            port = (int)n;
    }
    free (prefix);
    return port;
}

/* OPERATIONS.md: PORT `*` on a bound endpoint takes any free port. The
   start lines of jejak-hub, jejak-broker and jejak-link receive, and
   jejak-replay publish's lines, name the port chosen (the host as given),
   and the endpoints answer there. */
static void test_any_port (void **state)
{
    (void)state;
    char *db = jk_sprintf ("%s/any.db", s_dir);
    char *log = jk_sprintf ("%s/any-hub.log", s_dir);
    char *hub_argv[] = {"jejak-hub",
                        "--db",
                        db,
                        "--ingest",
                        "tcp://127.0.0.1:*",
                        "--feed",
                        "tcp://localhost:*",
                        "--query",
                        "tcp://127.0.0.1:*",
                        NULL};
    /* INFO lines too (the broker's and the receiver's ready lines). */
    char *was = s_log_info ();
    pid_t hub = jk_test_spawn (hub_argv, log);
    assert_true (
        JK_WAIT_FOR (jk_test_file_has (log, "jejak-hub ingest="), S_WAIT_MS));
    char *ingest = s_started_with (log, "jejak-hub ingest=");
    char *feed = s_started_with (log, " feed=");
    char *query = s_started_with (log, " query=");
    assert_non_null (ingest);
    assert_non_null (feed);
    assert_non_null (query);
    int ingest_port = s_port_of (ingest, "127.0.0.1");
    int feed_port = s_port_of (feed, "localhost");
    int query_port = s_port_of (query, "127.0.0.1");
    assert_true (ingest_port > 0 && feed_port > 0 && query_port > 0);
    assert_true (ingest_port != feed_port && feed_port != query_port &&
                 ingest_port != query_port);
    /* The broker's log line names them too. */
    char *ready = jk_sprintf ("broker ready ingest=%s feed=%s ", ingest, feed);
    assert_true (jk_test_file_has (log, ready));
    free (ready);
    /* Each answers where the line says: the broker's STATS on ingest, the
       store's on query, the feed's $head heartbeat on feed. */
    assert_true (s_stats_has (ingest, "received=0"));
    assert_true (s_stats_has (query, "accepted=0"));
    zsock_t *sub = zsock_new_sub (feed, "$head");
    assert_non_null (sub);
    zmsg_t *head = jk_test_recv (sub, S_WAIT_MS);
    assert_non_null (head);
    char *topic = zmsg_popstr (head);
    assert_string_equal (topic, "$head");
    free (topic);
    zmsg_destroy (&head);
    zsock_destroy (&sub);
    assert_int_equal (jk_test_stop (hub, SIGTERM, S_WAIT_MS), 0);

    /* jejak-broker: the start line names ingest's and backend's ports. */
    int status = 0;
    pid_t broker =
        s_broker ("tcp://127.0.0.1:*", "tcp://[::1]:*", "any-broker", &status);
    assert_true (broker > 0);
    char *blog = jk_sprintf ("%s/any-broker.log", s_dir);
    char *bingest = s_started_with (blog, "jejak-broker ingest=");
    char *backend = s_started_with (blog, " backend=");
    assert_true (s_port_of (bingest, "127.0.0.1") > 0);
    assert_true (s_port_of (backend, "[::1]") > 0);
    assert_true (s_stats_has (bingest, " store=down "));
    assert_int_equal (jk_test_stop (broker, SIGTERM, S_WAIT_MS), 0);

    /* jejak-link receive: its start line names the listening port. */
    char *copy = jk_sprintf ("%s/any-copy.db", s_dir);
    char *llog = jk_sprintf ("%s/any-link.log", s_dir);
    char *link_argv[] = {
        "jejak-link", "receive", "--listen", "tcp://127.0.0.1:*",
        "--db",       copy,      NULL};
    pid_t link = jk_test_spawn (link_argv, llog);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has (llog, "jejak-link receive listen="), S_WAIT_MS));
    char *listen = s_started_with (llog, "jejak-link receive listen=");
    int listen_port = s_port_of (listen, "127.0.0.1");
    assert_true (listen_port > 0);
    char *receiving = jk_sprintf ("receiving on %s ", listen);
    assert_true (jk_test_file_has (llog, receiving));
    free (receiving);
    assert_int_equal (jk_test_stop (link, SIGTERM, S_WAIT_MS), 0);
    s_log_restore (&was);

    /* jejak-replay publish: where the feed is bound, before it waits, and
       in its last line. */
    char *pub_argv[] = {"jejak-replay",      "publish",           db,  "--feed",
                        "tcp://127.0.0.1:*", "--wait-subscriber", "0", NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (pub_argv, &out, &err, S_WAIT_MS), 0);
    char *bound = strstr (err, "jejak-replay publish: feed bound at ");
    assert_non_null (bound);
    char *published = strstr (err, "jejak-replay publish: 0 records published "
                                   "on tcp://127.0.0.1:");
    assert_non_null (published);
    char *pub_ep =
        s_started_with_text (bound, "jejak-replay publish: feed bound at ");
    assert_true (s_port_of (pub_ep, "127.0.0.1") > 0);
    char *last = jk_sprintf ("published on %s\n", pub_ep);
    assert_non_null (strstr (err, last));
    free (last);
    free (pub_ep);
    free (out);
    free (err);

    free (listen);
    free (llog);
    free (copy);
    free (bingest);
    free (backend);
    free (blog);
    free (ingest);
    free (feed);
    free (query);
    free (log);
    free (db);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_loopback_forms),
        cmocka_unit_test (test_ipv6_connect),
        cmocka_unit_test (test_forms_refused),
        cmocka_unit_test (test_ipc_in_use),
        cmocka_unit_test (test_ipc_in_use_secure),
        cmocka_unit_test (test_publish_public_refused),
        cmocka_unit_test (test_any_port),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
