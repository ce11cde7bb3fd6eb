/*  test_store_process.c - jejak-store as a real process: killed between
    COMMIT and its answers (fault hook), restarted, the resubmission gets a
    DUPLICATE with the original position; clean stop on SIGTERM; usage
    errors exit 2; an unusable database exits 1 with a clear message, in
    the words jejak-hub uses. */
#include "test_store_harness.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static pid_t s_spawn_store (h_t *h, const char *log_path)
{
    char *argv[] = {"jejak-store", "--db",    h->db,    "--backend",
                    h->backend,    "--query", h->query, NULL};
    return jk_test_spawn (argv, log_path);
}

/* Waits for the process to end; returns its wait status or -1. */
static int s_wait_exit (pid_t pid, int timeout_ms)
{
    int status = -1;
    return jk_test_wait_exit (pid, &status, timeout_ms) ? status : -1;
}

static void test_crash_between_commit_and_answer (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-crash");
    char *log_path = jk_sprintf ("%s/store.log", h.dir);
    setenv ("JEJAK_FAULT", "crash_after_commit", 1);
    pid_t pid = s_spawn_store (&h, log_path);
    unsetenv ("JEJAK_FAULT");
    h_wait_ping (&h);

    size_t size;
    uint8_t *bytes = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    h_send_submit (&h, 1, &bytes, &size);
    int status = s_wait_exit (pid, H_WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 86);
    /* Committed, never answered. */
    jk_answer_t answer;
    assert_int_equal (h_recv_answer (&h, 1, &answer, 0), -1);
    assert_int_equal (h_count (h.db, "SELECT count(*) FROM log"), 1);

    /* Restarted: the resend is a duplicate at the original position. */
    h.pings = 0;
    pid = s_spawn_store (&h, log_path);
    h_wait_ping (&h);
    answer = h_submit_one (&h, bytes, size);
    assert_int_equal (answer.kind, JK_ANSWER_DUPLICATE);
    assert_int_equal (answer.pos, 1);
    uint8_t stored[32];
    h_stored_hash (h.db, 1, stored);
    assert_memory_equal (answer.hash, stored, 32);
    free (bytes);

    /* And the next event flows on. */
    bytes = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size);
    answer = h_submit_one (&h, bytes, size);
    assert_int_equal (answer.kind, JK_ANSWER_ACK);
    assert_int_equal (answer.pos, 2);
    free (bytes);

    status = jk_test_stop (pid, SIGTERM, H_WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    jk_verify_result_t result;
    assert_int_equal (jk_log_verify (h.db, NULL, &result, NULL, NULL), JK_OK);
    assert_int_equal (result.records, 2);
    free (log_path);
    h_teardown (&h);
}

static void test_usage_and_failures (void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    char *help[] = {"jejak-store", "--help", NULL};
    assert_int_equal (jk_test_run (help, &out, &err, H_WAIT_MS), 0);
    assert_non_null (strstr (out, "--backend"));
    free (out);
    free (err);

    char *unknown[] = {"jejak-store", "--no-such-flag", NULL};
    assert_int_equal (jk_test_run (unknown, &out, &err, H_WAIT_MS), 2);
    assert_non_null (strstr (err, "no-such-flag"));
    free (out);
    free (err);

    char *batch[] = {"jejak-store", "--batch-max", "zero", NULL};
    assert_int_equal (jk_test_run (batch, &out, &err, H_WAIT_MS), 2);
    assert_non_null (strstr (err, "--batch-max"));
    free (out);
    free (err);

    /* Without the tree there is nothing to sign: refused with exit 2
       before anything starts (no database is made). */
    char *dir = jk_test_tmpdir ("store-usage");
    char *fresh = jk_sprintf ("%s/fresh.db", dir);
    char *key = jk_sprintf ("%s/log.key", dir);
    char *no_tree[] = {"jejak-store",
                       "--db",
                       fresh,
                       "--backend",
                       "ipc:///nonexistent/backend",
                       "--no-tree",
                       "--checkpoint-key",
                       key,
                       NULL};
    assert_int_equal (jk_test_run (no_tree, &out, &err, H_WAIT_MS), 2);
    assert_string_equal (err, "jejak-store: --no-tree leaves no tree to sign: "
                              "it cannot go with a checkpoint key "
                              "(--checkpoint-key, or log.key in --keys) (see "
                              "--help)\n");
    assert_int_equal (access (fresh, F_OK), -1);
    free (out);
    free (err);
    free (fresh);
    free (key);

    /* A file that is not a database: exit 1, saying why. */
    char *db = jk_sprintf ("%s/junk.db", dir);
    FILE *file = fopen (db, "w");
    fputs ("definitely not a SQLite database file, just some text here..",
           file);
    fclose (file);
    char *backend = jk_test_endpoint (dir, "backend");
    char *query = jk_test_endpoint (dir, "query");
    char *bad[] = {"jejak-store", "--db",    db,    "--backend",
                   backend,       "--query", query, NULL};
    assert_int_equal (jk_test_run (bad, &out, &err, H_WAIT_MS), 1);
    assert_non_null (strstr (err, "not a database"));
    /* Its last line, in jejak-hub's words (OPERATIONS.md). */
    const char *last = "jejak-store: cannot start the store (see the log "
                       "above)\n";
    assert_true (strlen (err) >= strlen (last));
    assert_string_equal (err + strlen (err) - strlen (last), last);
    free (out);
    free (err);
    char *ingest = jk_test_endpoint (dir, "ingest");
    char *feed = jk_test_endpoint (dir, "feed");
    char *hub[] = {"jejak-hub", "--db", db,        "--ingest", ingest,
                   "--feed",    feed,   "--query", query,      NULL};
    assert_int_equal (jk_test_run (hub, &out, &err, H_WAIT_MS), 1);
    /* The hub's: the same words (its counters are logged after them). */
    assert_non_null (strstr (
        err, "\njejak-hub: cannot start the store (see the log above)\n"));
    free (ingest);
    free (feed);
    free (out);
    free (err);

    /* A --witnesses item without a '+' names a file: one that cannot be
       read is exit 1, said as jejak-hub says it (not a usage error, so
       no "(see --help)"); a key that does not parse is one (exit 2). */
    char *missing = jk_sprintf ("%s/saksi.vkye", dir);
    char *unread[] = {"jejak-store", "--db",        db,      "--backend",
                      backend,       "--witnesses", missing, NULL};
    assert_int_equal (jk_test_run (unread, &out, &err, H_WAIT_MS), 1);
    char *want = jk_sprintf ("jejak-store: --witnesses: cannot read %s: No "
                             "such file or directory\n",
                             missing);
    assert_string_equal (err, want);
    free (want);
    free (out);
    free (err);
    char *bad_key[] = {"jejak-store", "--db",        db,    "--backend",
                       backend,       "--witnesses", "x+y", NULL};
    assert_int_equal (jk_test_run (bad_key, &out, &err, H_WAIT_MS), 2);
    assert_non_null (
        strstr (err, "jejak-store: --witnesses: verifier key 1: "));
    assert_non_null (strstr (err, " (see --help)\n"));
    free (out);
    free (err);
    free (missing);
    free (db);
    free (backend);
    free (query);
    jk_test_rmdir (&dir);
}

/* jejak-store takes the reference data's folder and the region as the
   hub does (--data-dir, JEJAK_DATA_DIR, --region), listed in --help; a
   folder without the data stops it with exit 2 naming the file. */
static void test_data_dir (void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    char *help[] = {"jejak-store", "--help", NULL};
    assert_int_equal (jk_test_run (help, &out, &err, H_WAIT_MS), 0);
    assert_non_null (strstr (out, "--data-dir"));
    assert_non_null (strstr (out, "JEJAK_DATA_DIR"));
    assert_non_null (strstr (out, "--region"));
    free (out);
    free (err);

    char *dir = jk_test_tmpdir ("store-data-dir");
    char *db = jk_sprintf ("%s/events.db", dir);
    char *backend = jk_test_endpoint (dir, "backend");
    char *query = jk_test_endpoint (dir, "query");
    char *empty[] = {"jejak-store", "--data-dir", dir,       "--db", db,
                     "--backend",   backend,      "--query", query,  NULL};
    assert_int_equal (jk_test_run (empty, &out, &err, H_WAIT_MS), 2);
    char *missing = jk_sprintf ("%s/cianjur_kecamatan.csv", dir);
    assert_non_null (strstr (err, missing));
    free (out);
    free (err);

    /* The same from the environment. */
    setenv ("JEJAK_DATA_DIR", dir, 1);
    char *env[] = {"jejak-store", "--db",    db,    "--backend",
                   backend,       "--query", query, NULL};
    assert_int_equal (jk_test_run (env, &out, &err, H_WAIT_MS), 2);
    assert_non_null (strstr (err, missing));
    unsetenv ("JEJAK_DATA_DIR");
    free (out);
    free (err);

    /* The real data with a region it does not hold: read from there. */
    char *region[] = {"jejak-store",
                      "--data-dir",
                      JEJAK_SOURCE_DIR "/data",
                      "--region",
                      "99",
                      "--db",
                      db,
                      "--backend",
                      backend,
                      "--query",
                      query,
                      NULL};
    assert_int_equal (jk_test_run (region, &out, &err, H_WAIT_MS), 2);
    assert_non_null (strstr (err, "99"));
    free (out);
    free (err);
    free (missing);
    free (db);
    free (backend);
    free (query);
    jk_test_rmdir (&dir);
}

/* The store logs its counters (the text STATS answers) once it runs, and
   again S_REPORT_MS (10 s) later when they changed. */
static void test_counters_logged (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "store-counters");
    char *log_path = jk_sprintf ("%s/store.log", h.dir);
    /* The tests run with JEJAK_LOG=warn; the counters are INFO lines. */
    char *level =
        getenv ("JEJAK_LOG") ? jk_strdup (getenv ("JEJAK_LOG")) : NULL;
    setenv ("JEJAK_LOG", "info", 1);
    pid_t pid = s_spawn_store (&h, log_path);
    if (level)
        setenv ("JEJAK_LOG", level, 1);
    else
        unsetenv ("JEJAK_LOG");
    free (level);
    h_wait_ping (&h);
    bool first = false;
    JK_WAIT_FOR ((first = jk_test_file_has (
                      log_path, "store counters received=0 accepted=0 "
                                "rejected=0 duplicates=0 nacked=0 batches=0")),
                 H_WAIT_MS);
    assert_true (first);
    size_t size;
    uint8_t *bytes = h_cooperative (H_SOURCE, 1, 1, H_DESA, &size);
    jk_answer_t answer = h_submit_one (&h, bytes, size);
    assert_int_equal (answer.kind, JK_ANSWER_ACK);
    free (bytes);
    bool changed = false;
    JK_WAIT_FOR ((changed = jk_test_file_has (
                      log_path, "store counters received=1 accepted=1 "
                                "rejected=0 duplicates=0 nacked=0 batches=1")),
                 H_WAIT_MS + 5000);
    assert_true (changed);
    int status = jk_test_stop (pid, SIGTERM, H_WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    /* A first start's lines, in the order OPERATIONS.md ("Reading the
       logs") gives them, and nothing of the store's at a clean stop. */
    char *log = jk_test_slurp (log_path, NULL);
    char *recorded = jk_sprintf ("INFO  store %s records region Kabupaten "
                                 "Cianjur (the default) and a RAT deadline "
                                 "of 6 months\n",
                                 h.db);
    char *ready = jk_sprintf ("INFO  store ready db=%s backend=%s query=%s "
                              "head=0\n",
                              h.db, h.backend, h.query);
    const char *at_recorded = strstr (log, recorded);
    const char *at_ready = strstr (log, ready);
    assert_non_null (at_recorded);
    assert_non_null (at_ready);
    assert_true (at_recorded < at_ready);
    assert_null (strstr (log, "store stopped"));
    char *path = jk_sprintf ("%s/docs/OPERATIONS.md", JEJAK_SOURCE_DIR);
    char *doc = jk_test_slurp (path, NULL);
    assert_non_null (doc);
    for (char *c = doc; *c; c++)
        if (*c == '\n')
            *c = ' ';
    static const char *quoted[] = {
        "`store DB records region R and a RAT deadline of N months` (R the "
        "code given, or `Kabupaten Cianjur (the default)`)",
        "`store ready db=… backend=… query=… head=N` (`query=-` for a "
        "`jejak-store` without a query endpoint)",
        "the store logs no line of its own at a clean stop"};
    for (size_t i = 0; i < sizeof quoted / sizeof quoted[0]; i++)
        if (!strstr (doc, quoted[i]))
            fail_msg ("OPERATIONS.md lacks %s", quoted[i]);
    free (doc);
    free (path);
    free (recorded);
    free (ready);
    free (log);
    free (log_path);
    h_teardown (&h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_crash_between_commit_and_answer),
        cmocka_unit_test (test_usage_and_failures),
        cmocka_unit_test (test_data_dir),
        cmocka_unit_test (test_counters_logged),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
