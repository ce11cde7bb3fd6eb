/*  test_harness.c - the test helpers' own promises (tests/support), with
    the real jejak-hub: a program a test started dies with the test
    however the test ends; a tcp port taken between its choice and the
    hub's bind is chosen again; the hub's start line ("ready") never
    comes before its broker has heard its store. */
#include "jk_wire.h"
#include "testsupport.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_WAIT_MS 30000

/* A test process that starts a hub and is then killed (SIGKILL: no
   teardown, no atexit, as ctest's timeout does it): the hub is killed
   with it. This process is the subreaper, so the orphaned hub becomes
   its child and its end can be read exactly. */
static void test_program_dies_with_the_test (void **state)
{
    (void)state;
    assert_int_equal (prctl (PR_SET_CHILD_SUBREAPER, 1), 0);
    jk_test_hub_t *hub = jk_test_hub_new ("harness-orphan");
    char *pid_file = jk_sprintf ("%s/hub.pid", hub->dir);
    pid_t test = fork ();
    assert_true (test >= 0);
    if (test == 0) {
        jk_test_hub_start (hub);
        FILE *f = fopen (pid_file, "w");
        fprintf (f, "%d\n", (int)hub->hub);
        fclose (f);
        kill (getpid (), SIGKILL);
    }
    int status = 0;
    assert_int_equal (waitpid (test, &status, 0), test);
    assert_true (WIFSIGNALED (status));
    assert_int_equal (WTERMSIG (status), SIGKILL);
    char *text = jk_test_slurp (pid_file, NULL);
    assert_non_null (text);
    pid_t orphan = (pid_t)atoi (text);
    free (text);
    assert_true (orphan > 0 && orphan != test);
    status = 0;
    assert_true (jk_test_wait_exit (orphan, &status, S_WAIT_MS));
    assert_true (WIFSIGNALED (status));
    assert_int_equal (WTERMSIG (status), SIGKILL);
    /* It never said it stopped: it was killed, not asked. */
    assert_true (jk_test_file_has (hub->log, "jejak-hub ingest="));
    free (pid_file);
    jk_test_hub_destroy (&hub);
}

/* Whether something accepts a tcp connection on 127.0.0.1:port. */
static bool s_listening (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t)port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    bool ok = connect (fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close (fd);
    return ok;
}

/* The first port the helper hands out is one this test holds: the hub
   cannot bind it, exits 1, and is started again on another port, which
   it then serves. */
static void test_taken_port_chosen_again (void **state)
{
    (void)state;
    jk_test_require_program ("jejak-keys");
    jk_test_hub_t *hub = jk_test_hub_new ("harness-port");
    char *keys = jk_sprintf ("%s/keys", hub->dir);
    char *init[] = {"jejak-keys", "init", "--dir", keys, NULL};
    assert_int_equal (jk_test_run (init, NULL, NULL, S_WAIT_MS), 0);
    zsock_t *holder = zsock_new (ZMQ_ROUTER);
    int taken = zsock_bind (holder, "tcp://0.0.0.0:*");
    assert_true (taken > 0);
    jk_test_tcp_port_next (taken);
    char *query = jk_strdup (JK_TEST_ANY_PORT);
    pid_t pid = jk_test_hub_spawn_tcp (hub->db, hub->ingest, &hub->feed, &query,
                                       keys, hub->log);
    hub->hub = pid;
    char *mine = jk_sprintf ("tcp://0.0.0.0:%d", taken);
    char *refused = jk_sprintf ("cannot bind query endpoint %s: Address "
                                "already in use",
                                mine);
    assert_true (jk_test_file_has (hub->log, refused));
    int port = 0;
    assert_int_equal (sscanf (query, "tcp://127.0.0.1:%d", &port), 1);
    assert_true (port > 0 && port != taken);
    char *line = jk_sprintf ("query=tcp://0.0.0.0:%d ", port);
    assert_true (jk_test_file_has (hub->log, line));
    assert_true (s_listening (port));
    int status = jk_test_stop (pid, SIGTERM, S_WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    hub->hub = 0;
    free (line);
    free (refused);
    free (mine);
    free (query);
    zsock_destroy (&holder);
    free (keys);
    jk_test_hub_destroy (&hub);
}

/* A store its broker never hears (JEJAK_FAULT=store_silent: no PING):
   the hub says on stderr every 5 s that it is still waiting and never
   prints its start line, so no test (or script) takes it for ready; a
   SIGTERM while it waits ends it with 0. */
static void test_start_line_waits_for_store (void **state)
{
    (void)state;
    jk_test_hub_t *hub = jk_test_hub_new ("harness-silent");
    setenv ("JEJAK_FAULT", "store_silent", 1);
    hub->hub = jk_test_hub_spawn (hub->db, hub->ingest, hub->feed, hub->query,
                                  NULL, hub->log);
    unsetenv ("JEJAK_FAULT");
    const char *waiting = "jejak-hub: the broker has not heard the store "
                          "after 5 s; still waiting (the start line follows "
                          "when it has)\n";
    assert_true (JK_WAIT_FOR (jk_test_file_has (hub->log, waiting), S_WAIT_MS));
    assert_false (jk_test_file_has (hub->log, "jejak-hub ingest="));
    /* The store itself runs (its query endpoint answers), its broker
       has not heard it. */
    assert_int_equal (jk_test_stat (hub->query, "head"), 0);
    char *stats = jk_test_stats_text (hub->ingest);
    assert_non_null (strstr (stats, " store=down "));
    free (stats);
    int status = jk_test_stop (hub->hub, SIGTERM, S_WAIT_MS);
    hub->hub = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_false (jk_test_file_has (hub->log, "jejak-hub ingest="));
    jk_test_hub_destroy (&hub);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_program_dies_with_the_test),
        cmocka_unit_test (test_taken_port_chosen_again),
        cmocka_unit_test (test_start_line_waits_for_store),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
