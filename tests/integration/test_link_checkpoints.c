/*  test_link_checkpoints.c - jejak-link send with the log's verifier key
    (docs/FEDERATION.md, "Checkpoints"): real jejak-hub processes signing
    checkpoints with a jejak-keys log key, a real receiver and sender. The
    sender verifies the hub's checkpoint before it links and each newer
    one by consistency proof, keeping the last in its state file; a second
    history signed with the same key (a forked regency log) is the fork
    alarm: named with both sizes and roots, both notes kept as files,
    exit 5, and nothing of it forwarded. */
#include "link_support.h"
#include "test_broker_support.h"

#include "jk_note.h"

#include <sys/wait.h>

/* Starting a hub and catching up may take long on a loaded machine. */
#define S_LONG_MS 60000

typedef struct {
    char *ingest, *feed, *query, *db, *log;
    pid_t pid;
} s_hub_t;

typedef struct {
    char *dir, *key_file, *vkey_file;
    jk_note_signer_t signer;
    s_hub_t a, b;
} s_fixture_t;

static void s_hub_init (s_fixture_t *f, s_hub_t *h, const char *name)
{
    char *sub = jk_sprintf ("%s/%s", f->dir, name);
    char *ep = jk_sprintf ("%s-ingest", name);
    h->ingest = jk_test_endpoint (f->dir, ep);
    free (ep);
    ep = jk_sprintf ("%s-feed", name);
    h->feed = jk_test_endpoint (f->dir, ep);
    free (ep);
    ep = jk_sprintf ("%s-query", name);
    h->query = jk_test_endpoint (f->dir, ep);
    free (ep);
    h->db = jk_sprintf ("%s/events.db", sub);
    h->log = jk_sprintf ("%s.log", sub);
    free (sub);
}

static void s_hub_start (s_fixture_t *f, s_hub_t *h)
{
    char *argv[] = {"jejak-hub", "--db",
                    h->db,       "--ingest",
                    h->ingest,   "--feed",
                    h->feed,     "--query",
                    h->query,    "--checkpoint-every",
                    "1",         "--checkpoint-key",
                    f->key_file, NULL};
    h->pid = jk_test_spawn (argv, h->log);
    assert_true (h->pid > 0);
    assert_true (JK_WAIT_FOR (__extension__({
                                  char *all = jk_test_slurp (h->log, NULL);
                                  bool up =
                                      all && strstr (all, "jejak-hub ingest=");
                                  free (all);
                                  up;
                              }),
                              S_LONG_MS));
}

static void s_hub_fini (s_hub_t *h)
{
    if (h->pid > 0) {
        int status = jk_test_stop (h->pid, SIGTERM, S_LONG_MS);
        assert_true (WIFEXITED (status));
        assert_int_equal (WEXITSTATUS (status), 0);
    }
    free (h->ingest);
    free (h->feed);
    free (h->query);
    free (h->db);
    free (h->log);
}

/* Delivers count person events of one office, NIKs from nik_base on. */
static void s_deliver (s_hub_t *h, const char *source, size_t count,
                       int nik_base)
{
    s_client_t *c = s_client_new (h->ingest, source, count, nik_base);
    s_client_deliver (c, 100, S_LONG_MS, NULL, NULL);
    s_client_destroy (&c);
}

static pid_t s_sender (s_hub_t *h, const char *upstream, const char *vkey,
                       const char *state, const char *stats, const char *log)
{
    char *argv[] = {"jejak-link", "send",        "--db",       h->db,
                    "--area",     "32.03",       "--upstream", (char *)upstream,
                    "--query",    h->query,      "--log-key",  (char *)vkey,
                    "--state",    (char *)state, "--stats",    (char *)stats,
                    NULL};
    return jk_test_spawn (argv, log);
}

static bool s_log_has (const char *log, const char *text)
{
    char *all = jk_test_slurp (log, NULL);
    bool has = all && strstr (all, text);
    free (all);
    return has;
}

/* The signed note the state holds (heap), NULL when none. */
static char *s_state_note (const char *state)
{
    sqlite3 *db = NULL;
    char *note = NULL;
    assert_int_equal (sqlite3_open_v2 (state, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db, "SELECT note FROM checkpoint", -1, &st, NULL),
        SQLITE_OK);
    if (sqlite3_step (st) == SQLITE_ROW)
        note = jk_strdup ((const char *)sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
    sqlite3_close (db);
    return note;
}

/* Parses note, checks the log's signature, and gives its root in hex. */
static uint64_t s_note_check (s_fixture_t *f, const char *note, char hex[65])
{
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char why[320];
    assert_int_equal (
        jk_checkpoint_parse (note, strlen (note), cp, why, sizeof why), JK_OK);
    assert_int_equal (
        jk_checkpoint_trusted (cp, &f->signer, NULL, 0, 0, why, sizeof why),
        JK_OK);
    jk_hex_format (cp->root, 32, hex);
    uint64_t size = cp->size;
    free (cp);
    return size;
}

static int s_setup (void **state)
{
    s_fixture_t *f = jk_calloc (1, sizeof *f);
    f->dir = jk_test_tmpdir ("linkcp");
    char *keys = jk_sprintf ("%s/keys", f->dir);
    char *make[] = {"jejak-keys", "log-key", "--dir", keys, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (make, &out, &err, S_LONG_MS), 0);
    free (out);
    free (err);
    f->key_file = jk_sprintf ("%s/log.key", keys);
    f->vkey_file = jk_sprintf ("%s/log.vkey", keys);
    free (keys);
    char *vkey = jk_note_vkey_given (f->vkey_file);
    char why[320];
    assert_int_equal (jk_note_vkey_parse (vkey, f->signer.name, &f->signer.type,
                                          f->signer.pub, why, sizeof why),
                      JK_OK);
    free (vkey);
    s_hub_init (f, &f->a, "a");
    s_hub_init (f, &f->b, "b");
    *state = f;
    return 0;
}

static int s_teardown (void **state)
{
    s_fixture_t *f = *state;
    s_hub_fini (&f->a);
    s_hub_fini (&f->b);
    free (f->key_file);
    free (f->vkey_file);
    jk_test_rmdir (&f->dir);
    free (f);
    return 0;
}

static void test_follow_then_fork (void **state)
{
    s_fixture_t *f = *state;
    char *copy = jk_sprintf ("%s/copy.db", f->dir);
    char *listen = jk_test_endpoint (f->dir, "link");
    char *rlog = jk_sprintf ("%s/receive.log", f->dir);
    char *slog = jk_sprintf ("%s/send.log", f->dir);
    char *flog = jk_sprintf ("%s/send-fork.log", f->dir);
    char *cstate = jk_sprintf ("%s/link-state.db", f->dir);
    char *stats = jk_test_endpoint (f->dir, "stats");

    /* Regency hub a: 300 records, then the link with the log key. */
    s_hub_start (f, &f->a);
    s_deliver (&f->a, "32.03.11/cugenang-1", 300, 1000);
    pid_t receiver = lk_receiver (copy, listen, NULL, rlog);
    assert_true (receiver > 0);
    pid_t sender = s_sender (&f->a, listen, f->vkey_file, cstate, stats, slog);
    assert_true (sender > 0);
    assert_true (JK_WAIT_FOR (
        lk_sql_int (copy, "SELECT count(*) FROM copy WHERE origin = '32.03'") ==
            300,
        S_LONG_MS));
    assert_int_equal (lk_sql_int (cstate, "SELECT size FROM checkpoint"), 300);
    assert_int_equal (lk_stat (stats, NULL, NULL, "checkpoint"), 300);

    /* The log grows: the newer checkpoint is checked against the one held
       by consistency proof, and kept. */
    s_deliver (&f->a, "32.03.11/cugenang-2", 100, 3000);
    assert_true (JK_WAIT_FOR (
        lk_sql_int (cstate, "SELECT size FROM checkpoint") == 400, S_LONG_MS));
    assert_true (JK_WAIT_FOR (
        lk_sql_int (copy, "SELECT count(*) FROM copy WHERE origin = '32.03'") ==
            400,
        S_LONG_MS));
    assert_int_equal (lk_stat (stats, NULL, NULL, "checkpoint"), 400);
    assert_int_equal (s_query_head (f->a.query, NULL), 400);
    char *held = s_state_note (cstate);
    assert_non_null (held);
    char held_root[65];
    assert_int_equal (s_note_check (f, held, held_root), 400);
    assert_int_equal (lk_sql_int (cstate, "SELECT count(*) FROM fork"), 0);
    int status = jk_test_stop (sender, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);

    /* Hub b: the same log key signs another history of 500 records. The
       link started there with the same state finds the fork before it
       links: exit 5, alarm naming both, both notes kept, nothing sent. */
    s_hub_start (f, &f->b);
    s_deliver (&f->b, "32.03.11/cugenang-1", 500, 7000);
    sender = s_sender (&f->b, listen, f->vkey_file, cstate, stats, flog);
    assert_true (sender > 0);
    status = jk_test_stop (sender, 0, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 5);
    char *held_path = jk_sprintf ("%s.fork-held-400.note", cstate);
    char *seen_path = jk_sprintf ("%s.fork-seen-500.note", cstate);
    char *held_file = jk_test_slurp (held_path, NULL);
    char *seen_file = jk_test_slurp (seen_path, NULL);
    assert_non_null (held_file);
    assert_non_null (seen_file);
    assert_string_equal (held_file, held);
    char seen_root[65];
    assert_int_equal (s_note_check (f, seen_file, seen_root), 500);
    char *alarm = jk_sprintf (
        "E_FORK: area 32.03: the regency's log is forked or rewritten: the "
        "checkpoint of 400 records (root %s) verified before and the one of "
        "500 records (root %s) its hub serves now are not consistent. "
        "Forwarding stopped. Both signed notes are kept in %s and %s",
        held_root, seen_root, held_path, seen_path);
    assert_true (s_log_has (flog, alarm));
    assert_false (s_log_has (flog, "linked to"));
    assert_int_equal (lk_sql_int (cstate, "SELECT count(*) FROM fork WHERE"
                                          " held_size = 400 AND seen_size = "
                                          "500"),
                      1);
    /* The held checkpoint stays the one verified; the copy is as before
       and the receiver saw nothing of the other history. */
    assert_int_equal (lk_sql_int (cstate, "SELECT size FROM checkpoint"), 400);
    assert_int_equal (
        lk_sql_int (copy, "SELECT count(*) FROM copy WHERE origin = '32.03'"),
        400);
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fault"), 0);
    /* Started again, it stops again on the same evidence. */
    sender = s_sender (&f->b, listen, f->vkey_file, cstate, stats, flog);
    status = jk_test_stop (sender, 0, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 5);
    assert_int_equal (
        lk_sql_int (copy, "SELECT count(*) FROM copy WHERE origin = '32.03'"),
        400);

    status = jk_test_stop (receiver, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    free (alarm);
    free (held_file);
    free (seen_file);
    free (held_path);
    free (seen_path);
    free (held);
    free (copy);
    free (listen);
    free (rlog);
    free (slog);
    free (flog);
    free (cstate);
    free (stats);
}

/* --query and --log-key go together; a log key that is not one is named
   and the link does not start. */
static void test_flags (void **state)
{
    s_fixture_t *f = *state;
    char *out = NULL, *err = NULL;
    char *alone[] = {"jejak-link", "send",       "--db",       "x.db",
                     "--area",     "32.03",      "--upstream", "ipc://x",
                     "--log-key",  f->vkey_file, NULL};
    assert_int_equal (jk_test_run (alone, &out, &err, S_LONG_MS), 2);
    assert_non_null (strstr (err, "--query and --log-key go together"));
    free (out);
    free (err);
    char *db = jk_sprintf ("%s/empty.db", f->dir);
    sqlite3 *h = NULL;
    assert_int_equal (sqlite3_open (db, &h), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (h,
                      "CREATE TABLE log (pos INTEGER PRIMARY KEY, recorded_at,"
                      " outcome, code, message, bytes, hash)",
                      NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (h);
    char *bad[] = {"jejak-link", "send",       "--db",    db,        "--area",
                   "32.03",      "--upstream", "ipc://x", "--query", "ipc://y",
                   "--log-key",  "not-a-key",  NULL};
    assert_int_equal (jk_test_run (bad, &out, &err, S_LONG_MS), 1);
    char *all = jk_sprintf ("%s%s", out ? out : "", err ? err : "");
    assert_non_null (strstr (all, "--log-key: "));
    free (all);
    free (out);
    free (err);
    free (db);
}

int main (void)
{
    jk_test_require_program ("jejak-hub");
    jk_test_require_program ("jejak-link");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_flags),
        cmocka_unit_test (test_follow_then_fork),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
