/*  test_backup.c - jejak-replay backup: an online copy of a database that
    another process keeps appending to verifies intact, carries the head it
    reports, equals its source's projections when taken at rest, is 0600,
    and never overwrites a file. */
#include "testsupport.h"

#include "replay_workload.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_MS 60000

static int s_replay (char **out, const char *a1, const char *a2, const char *a3,
                     const char *a4)
{
    char *argv[] = {"jejak-replay", (char *)a1, (char *)a2,
                    (char *)a3,     (char *)a4, NULL};
    char *err = NULL;
    int rc = jk_test_run (argv, out, &err, RUN_MS);
    if (rc != 0)
        fprintf (stderr, "jejak-replay %s: %s\n", a1, err);
    free (err);
    return rc;
}

static void test_backup_at_rest (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("backup");
    char *db = jk_sprintf ("%s/events.db", dir);
    char *copy = jk_sprintf ("%s/copy.db", dir);
    rw_build (db, 2 * RW_BLOCK, NULL, NULL);

    char *out = NULL;
    assert_int_equal (s_replay (&out, "backup", db, "--out", copy), 0);
    char expect[64];
    snprintf (expect, sizeof expect, "head pos=%d ", 2 * RW_BLOCK);
    assert_non_null (strstr (out, expect));
    free (out);

    struct stat st;
    assert_int_equal (stat (copy, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (s_replay (NULL, "verify", copy, NULL, NULL), 0);
    assert_int_equal (s_replay (NULL, "diff", db, copy, NULL), 0);
    /* Never overwrites: exit 3 (as rebuild's --out), the copy unchanged. */
    assert_int_equal (s_replay (NULL, "backup", db, "--out", copy), 3);
    assert_int_equal (s_replay (NULL, "verify", copy, NULL, NULL), 0);
    /* A source that is not there: exit 3, no file left behind. */
    char *missing = jk_sprintf ("%s/missing.db", dir);
    char *copy2 = jk_sprintf ("%s/copy2.db", dir);
    assert_int_equal (s_replay (NULL, "backup", missing, "--out", copy2), 3);
    assert_int_equal (access (copy2, F_OK), -1);
    free (missing);
    free (copy2);
    free (db);
    free (copy);
    jk_test_rmdir (&dir);
}

/* The copy is taken while another process keeps appending. */
static void test_backup_while_writing (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("backup-live");
    char *db = jk_sprintf ("%s/events.db", dir);
    char *copy = jk_sprintf ("%s/copy.db", dir);
    char *ready = jk_sprintf ("%s/ready", dir);
    rw_build (db, RW_BLOCK, NULL, NULL);

    pid_t writer = jk_test_fork ();
    if (writer == 0) {
        rw_t *w = rw_open (db);
        FILE *f = fopen (ready, "w");
        if (f)
            fclose (f);
        for (int i = 0; i < 40; i++)
            rw_generate (w, RW_BLOCK);
        rw_close (&w);
        _exit (0);
    }
    assert_true (JK_WAIT_FOR (access (ready, F_OK) == 0, 30000));
    char *out = NULL;
    assert_int_equal (s_replay (&out, "backup", db, "--out", copy), 0);
    unsigned long long pos = 0;
    const char *p = strstr (out, "head pos=");
    assert_non_null (p);
    assert_int_equal (sscanf (p, "head pos=%llu", &pos), 1);
    assert_true (pos >= RW_BLOCK);
    free (out);
    int status = 0;
    assert_int_equal (waitpid (writer, &status, 0), writer);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    /* Whatever moment it caught, the copy is a consistent log. */
    assert_int_equal (s_replay (&out, "verify", copy, NULL, NULL), 0);
    char expect[64];
    snprintf (expect, sizeof expect, "%llu records", pos);
    assert_non_null (strstr (out, expect));
    free (out);
    free (ready);
    free (db);
    free (copy);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_backup_at_rest),
        cmocka_unit_test (test_backup_while_writing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
