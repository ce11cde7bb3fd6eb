/*  test_board_checkpoints.c - the live board checks the log's signed
    checkpoints: the real jejak-status with --log-key verifies each newer
    checkpoint of the real jejak-hub with a consistency proof and keeps the
    last one verified in a file; when the hub shows a second history
    signed with the same key (a forked log), the board raises the alarm
    in its document (the web page's too) and keeps both notes as evidence,
    and a board started later while that evidence is there raises the
    alarm at start, on its web page too (checked in a real browser when
    chromium is installed), until jejak-status --clear-fork moves the
    evidence aside; --clear-fork's refusals. */
#include "test_broker_support.h"

#include "cdp.h"
#include "jk_note.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#define S_LONG_MS 60000

typedef struct {
    char *dir, *keys, *key_file, *vkey_file;
    char *ingest, *feed, *query, *log;
    pid_t hub;
} s_env_t;

static void s_hub_start (s_env_t *env, const char *db)
{
    char *argv[] = {"jejak-hub",   "--db",
                    (char *)db,    "--ingest",
                    env->ingest,   "--feed",
                    env->feed,     "--query",
                    env->query,    "--checkpoint-every",
                    "1",           "--checkpoint-key",
                    env->key_file, NULL};
    size_t before = jk_test_file_size (env->log);
    env->hub = jk_test_spawn (argv, env->log);
    assert_true (env->hub > 0);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (env->log, before, "jejak-hub ingest="),
        S_LONG_MS));
}

static void s_hub_stop (s_env_t *env)
{
    int status = jk_test_stop (env->hub, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

/* A board printing its JSON documents into out_log; with http, also
   serving its web page (--http 127.0.0.1:0, the URL in out_log). */
static pid_t s_board (s_env_t *env, const char *out_log,
                      const char *checkpoint_file, bool http)
{
    char *argv[] = {"jejak-status",
                    "--json",
                    "--feed",
                    env->feed,
                    "--query",
                    env->query,
                    "--log-key",
                    env->vkey_file,
                    "--checkpoint-file",
                    (char *)checkpoint_file,
                    http ? "--http" : NULL,
                    "127.0.0.1:0",
                    NULL};
    pid_t pid = jk_test_spawn (argv, out_log);
    assert_true (pid > 0);
    return pid;
}

/* jejak-status --clear-fork on the checkpoint file: its exit status
   and a piece of what it says. */
static void s_clear_fork (const char *held, int status, const char *says)
{
    char *argv[] = {"jejak-status", "--clear-fork", "--checkpoint-file",
                    (char *)held, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_LONG_MS), status);
    assert_non_null (strstr (status ? err : out, says));
    free (out);
    free (err);
}

/* Exactly one file of dir starts with prefix, and holds text. */
static void s_assert_moved_aside (const char *dir, const char *prefix,
                                  const char *text)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    struct dirent *e;
    int found = 0;
    while ((e = readdir (d)) != NULL) {
        if (strncmp (e->d_name, prefix, strlen (prefix)) != 0)
            continue;
        found++;
        char *path = jk_sprintf ("%s/%s", dir, e->d_name);
        char *kept = jk_test_slurp (path, NULL);
        assert_non_null (kept);
        assert_string_equal (kept, text);
        free (kept);
        free (path);
    }
    closedir (d);
    assert_int_equal (found, 1);
}

/* A browser on the web page of the board whose output is board_log;
   NULL (said) on a machine without chromium that JEJAK_TEST_NO_BROWSER=1
   names as such: the rest runs without (jk_test_browser). */
static jk_cdp_t *s_browser (const char *dir, const char *board_log)
{
    if (!jk_test_browser ("test_board_checks_checkpoints"))
        return NULL;
    assert_true (JK_WAIT_FOR (
        jk_test_file_has (board_log, "jejak-status http="), S_LONG_MS));
    char *text = jk_test_slurp (board_log, NULL);
    const char *at = strstr (text, "jejak-status http=");
    assert_non_null (at);
    char url[128];
    assert_int_equal (sscanf (at, "jejak-status http=%127s", url), 1);
    free (text);
    jk_cdp_t *browser = jk_cdp_start (dir, 1366, 768);
    assert_non_null (browser);
    assert_true (jk_cdp_navigate (browser, url));
    return browser;
}

static void test_board_checks_checkpoints (void **state)
{
    (void)state;
    s_env_t env = {0};
    env.dir = jk_test_tmpdir ("boardcp");
    env.keys = jk_sprintf ("%s/keys", env.dir);
    env.key_file = jk_sprintf ("%s/log.key", env.keys);
    env.vkey_file = jk_sprintf ("%s/log.vkey", env.keys);
    env.ingest = jk_test_endpoint (env.dir, "ingest");
    env.feed = jk_test_endpoint (env.dir, "feed");
    env.query = jk_test_endpoint (env.dir, "query");
    env.log = jk_sprintf ("%s/hub.log", env.dir);
    char *make[] = {"jejak-keys", "log-key", "--dir", env.keys, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (make, &out, &err, S_LONG_MS), 0);
    free (out);
    free (err);
    char *db = jk_sprintf ("%s/a/events.db", env.dir);
    char *forked = jk_sprintf ("%s/b/events.db", env.dir);
    char *held = jk_sprintf ("%s/board-checkpoint.note", env.dir);
    char *forks = jk_sprintf ("%s.forks", held);
    char *board_log = jk_sprintf ("%s/board.log", env.dir);
    char *board2_log = jk_sprintf ("%s/board2.log", env.dir);

    /* History A: 100 events, the board verifies the checkpoint of 100,
       then of 150 by a consistency proof, and keeps it in its file. */
    s_hub_start (&env, db);
    s_client_t *c = s_client_new (env.ingest, "32.03.10/pacet-1", 150, 1);
    c->count = 100;
    s_client_deliver (c, 50, S_LONG_MS, NULL, NULL);
    pid_t board = s_board (&env, board_log, held, false);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (
            board_log, 0, "\"checkpoint\":{\"verified\":100,\"alarm\":\"\"}"),
        S_LONG_MS));
    c->count = 150;
    s_client_deliver (c, 50, S_LONG_MS, NULL, NULL);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (
            board_log, 0, "\"checkpoint\":{\"verified\":150,\"alarm\":\"\"}"),
        S_LONG_MS));
    s_client_destroy (&c);
    char *note = jk_test_slurp (held, NULL);
    assert_non_null (note);
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char why[256];
    assert_int_equal (
        jk_checkpoint_parse (note, strlen (note), cp, why, sizeof why), JK_OK);
    assert_int_equal (cp->size, 150);
    assert_false (jk_test_file_has_after (board_log, 0, "LOG BERCABANG"));
    assert_int_equal (access (forks, F_OK), -1);
    s_hub_stop (&env);

    /* History B under the same key, longer: the running board sees its
       checkpoint, the proof from 150 does not hold: the alarm, with both
       notes kept. B's 200 events are logged by a hub the board cannot
       reach (other endpoints): a hub shows the board every checkpoint it
       signs, from the one of its empty log at start on, and one below 150
       is the other alarm, "the hub's log is shorter" (STATUS.md), which
       a board polling HEAD every second meets whenever the 200 events
       take longer than that to arrive. */
    char *ingest = env.ingest, *feed = env.feed, *query = env.query;
    env.ingest = jk_test_endpoint (env.dir, "ingest-b");
    env.feed = jk_test_endpoint (env.dir, "feed-b");
    env.query = jk_test_endpoint (env.dir, "query-b");
    s_hub_start (&env, forked);
    c = s_client_new (env.ingest, "32.03.11/cugenang-1", 200, 5000);
    s_client_deliver (c, 50, S_LONG_MS, NULL, NULL);
    s_client_destroy (&c);
    s_hub_stop (&env);
    free (env.ingest);
    free (env.feed);
    free (env.query);
    env.ingest = ingest;
    env.feed = feed;
    env.query = query;
    /* Started where the board looks, the hub signs its 200 records
       before its query endpoint opens (PROTOCOL.md, HEAD). */
    size_t before = jk_test_file_size (board_log);
    s_hub_start (&env, forked);
    assert_int_equal (s_query_head (env.query, NULL), 200);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (
            board_log, before,
            "LOG BERCABANG: checkpoint hub 200 catatan tidak konsisten "
            "dengan checkpoint 150 yang sudah diverifikasi"),
        S_LONG_MS));
    assert_true (jk_test_file_has_after (
        board_log, before,
        "LOG FORKED: the hub's checkpoint of 200 records and "
        "the one of 150 this board verified are not "
        "consistent; evidence: "));
    assert_true (jk_test_file_has_after (board_log, before, forks));
    char *evidence = jk_test_slurp (forks, NULL);
    assert_non_null (evidence);
    assert_int_equal (strncmp (evidence, "jejak-fork/1 ", 13), 0);
    const char *was = strstr (evidence, "--- the checkpoint verified before\n");
    const char *now =
        strstr (evidence, "--- the checkpoint the hub shows now\n");
    assert_non_null (was);
    assert_non_null (now);
    assert_int_equal (strncmp (was + 35, note, strlen (note)), 0);
    jk_checkpoint_t *seen = jk_malloc (sizeof *seen);
    const char *seen_note = now + 37;
    size_t seen_len = (size_t)(strstr (seen_note, "--- end\n") - seen_note);
    assert_int_equal (
        jk_checkpoint_parse (seen_note, seen_len, seen, why, sizeof why),
        JK_OK);
    assert_int_equal (seen->size, 200);
    /* The file still holds the last verified one. */
    char *still = jk_test_slurp (held, NULL);
    assert_string_equal (still, note);
    free (still);
    int status = jk_test_stop (board, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);

    /* A board started later with the same file: the alarm at start, as
       long as the evidence is there (it checks nothing until cleared). */
    pid_t board2 = s_board (&env, board2_log, held, true);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (board2_log, 0,
                                "LOG BERCABANG: bukti percabangan yang belum "
                                "dibersihkan masih ada; bukti: "),
        S_LONG_MS));

    /* The web page shows the alarm too, in a real browser. */
    jk_cdp_t *browser = s_browser (env.dir, board2_log);
    if (browser)
        assert_true (jk_cdp_wait (
            browser,
            "(function () { const a = document.getElementById ('alarm');"
            " return !a.hidden && a.getAttribute ('role') === 'alert' &&"
            " a.textContent.startsWith ('!!! LOG BERCABANG: bukti"
            " percabangan yang belum dibersihkan masih ada; bukti: ') &&"
            " a.textContent.includes ('/ LOG FORKED: the evidence of a fork"
            " not yet cleared is still there') &&"
            " a.textContent.endsWith (' !!!') &&"
            " getComputedStyle (a).fontWeight >= 700 &&"
            " document.getElementById ('checkpoint').hidden; }) ()",
            S_LONG_MS));

    /* The operator investigated and accepts history B: --clear-fork
       moves the evidence and the checkpoint verified before aside (kept,
       same bytes), and the running board drops the alarm and trusts the
       hub's next checkpoint (its HEAD polls bring it). */
    char *both = jk_test_slurp (forks, NULL); /* the first board's only */
    assert_non_null (both);
    assert_string_equal (both, evidence);
    s_clear_fork (held, 0, "fork alarm cleared: the evidence");
    assert_int_equal (access (forks, F_OK), -1);
    /* The running board drops its alarm as soon as the evidence is gone
       and may have trusted and kept the hub's next checkpoint by now:
       the file is that one (200) or none, never the one verified before
       the fork, which was moved aside (below). */
    char *kept = jk_test_slurp (held, NULL);
    if (kept) {
        assert_int_equal (
            jk_checkpoint_parse (kept, strlen (kept), cp, why, sizeof why),
            JK_OK);
        assert_int_equal (cp->size, 200);
        free (kept);
    }
    s_assert_moved_aside (env.dir, "board-checkpoint.note.forks.cleared-",
                          both);
    free (both);
    s_assert_moved_aside (env.dir, "board-checkpoint.note.cleared-", note);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (
            board2_log, 0, "\"checkpoint\":{\"verified\":200,\"alarm\":\"\"}"),
        S_LONG_MS));
    assert_true (JK_WAIT_FOR (access (held, F_OK) == 0, S_LONG_MS));
    char *trusted = jk_test_slurp (held, NULL);
    assert_int_equal (
        jk_checkpoint_parse (trusted, strlen (trusted), cp, why, sizeof why),
        JK_OK);
    assert_int_equal (cp->size, 200);
    free (trusted);
    /* The page drops the alarm and shows the checkpoint verified. */
    if (browser) {
        assert_true (jk_cdp_wait (
            browser,
            "document.getElementById ('alarm').hidden &&"
            " !document.getElementById ('checkpoint').hidden &&"
            " document.getElementById ('checkpoint').textContent ==="
            " 'Checkpoint terverifikasi: 200'",
            S_LONG_MS));
        jk_cdp_stop (&browser);
    }
    /* Nothing left to clear: exit 1, said. */
    s_clear_fork (held, 1, "no fork alarm to clear: ");
    jk_test_stop (board2, SIGTERM, S_LONG_MS);
    s_hub_stop (&env);

    /* A checkpoint file of another log is refused at start (exit 1). */
    FILE *f = fopen (held, "w");
    fputs ("not a checkpoint\n", f);
    fclose (f);
    char *bad[] = {"jejak-status", "--json",      "--query",
                   env.query,      "--feed",      env.feed,
                   "--log-key",    env.vkey_file, "--checkpoint-file",
                   held,           NULL};
    assert_int_equal (jk_test_run (bad, &out, &err, S_LONG_MS), 1);
    assert_non_null (strstr (err, "not a checkpoint of this log"));
    free (out);
    free (err);

    free (seen);
    free (evidence);
    free (cp);
    free (note);
    free (db);
    free (forked);
    free (held);
    free (forks);
    free (board_log);
    free (board2_log);
    free (env.keys);
    free (env.key_file);
    free (env.vkey_file);
    free (env.ingest);
    free (env.feed);
    free (env.query);
    free (env.log);
    jk_test_rmdir (&env.dir);
}

/* jejak-status --clear-fork run with the given HOME (NULL: unset):
   exit status and stderr, whole. */
static void s_clear_fork_says (const char *home, const char *held, int status,
                               const char *says)
{
    char *saved = getenv ("HOME") ? jk_strdup (getenv ("HOME")) : NULL;
    if (home)
        setenv ("HOME", home, 1);
    else
        unsetenv ("HOME");
    char *argv[] = {"jejak-status", "--clear-fork", "--checkpoint-file",
                    (char *)held, NULL};
    if (!held)
        argv[2] = NULL;
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, S_LONG_MS);
    if (saved)
        setenv ("HOME", saved, 1);
    else
        unsetenv ("HOME");
    free (saved);
    assert_int_equal (rc, status);
    assert_string_equal (err, says);
    assert_string_equal (out, "");
    free (out);
    free (err);
}

/* --clear-fork's refusals, each exit 1 with its reason, nothing moved:
   no home for the default file, no alarm (the default file's and a
   given one's), and evidence that cannot be moved aside (its new name
   would be too long for a file name: the checkpoint moved first is put
   back). */
static void test_clear_fork_refusals (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("clear-fork");
    s_clear_fork_says (NULL, NULL, 1,
                       "jejak-status: --clear-fork needs --checkpoint-file "
                       "(no home directory for the default)\n");
    char *says = jk_sprintf ("jejak-status: --clear-fork: no fork alarm to "
                             "clear: %s/.local/share/jejak/"
                             "status-checkpoint.note.forks does not exist\n",
                             dir);
    s_clear_fork_says (dir, NULL, 1, says);
    free (says);
    char name[229];
    memset (name, 'c', 228);
    name[228] = 0;
    char *held = jk_sprintf ("%s/%s", dir, name);
    char *forks = jk_sprintf ("%s.forks", held);
    says = jk_sprintf ("jejak-status: --clear-fork: no fork alarm to clear: "
                       "%s does not exist\n",
                       forks);
    s_clear_fork_says (dir, held, 1, says);
    free (says);
    FILE *f = fopen (held, "w");
    fputs ("the checkpoint\n", f);
    fclose (f);
    f = fopen (forks, "w");
    fputs ("the evidence\n", f);
    fclose (f);
    char *argv[] = {"jejak-status", "--clear-fork", "--checkpoint-file", held,
                    NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_LONG_MS), 1);
    assert_string_equal (out, "");
    char *head = jk_sprintf ("jejak-status: --clear-fork: cannot move %s "
                             "aside to %s.cleared-",
                             forks, forks);
    char *tail = jk_sprintf (": File name too long; nothing was moved (%s is "
                             "back)\n",
                             held);
    assert_int_equal (strncmp (err, head, strlen (head)), 0);
    assert_int_equal (strlen (err), strlen (head) + 16 + strlen (tail));
    assert_string_equal (err + strlen (head) + 16, tail);
    free (out);
    free (err);
    char *text = jk_test_slurp (held, NULL);
    assert_string_equal (text, "the checkpoint\n");
    free (text);
    text = jk_test_slurp (forks, NULL);
    assert_string_equal (text, "the evidence\n");
    free (text);
    free (head);
    free (tail);
    free (held);
    free (forks);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_board_checks_checkpoints),
        cmocka_unit_test (test_clear_fork_refusals),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
