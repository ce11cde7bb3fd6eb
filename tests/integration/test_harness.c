/*  test_harness.c - the test helpers' own promises (tests/support), with
    the real jejak-hub: a program a test started dies with the test
    however the test ends. */
#include "testsupport.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
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
    assert_true (
        JK_WAIT_FOR (waitpid (orphan, &status, WNOHANG) == orphan, S_WAIT_MS));
    assert_true (WIFSIGNALED (status));
    assert_int_equal (WTERMSIG (status), SIGKILL);
    /* It never said it stopped: it was killed, not asked. */
    assert_true (jk_test_file_has (hub->log, "jejak-hub ingest="));
    free (pid_file);
    jk_test_hub_destroy (&hub);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_program_dies_with_the_test),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
