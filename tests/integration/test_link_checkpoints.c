/*  test_link_checkpoints.c - jejak-link send with the log's verifier key
    (docs/FEDERATION.md, "Checkpoints"): real jejak-hub processes signing
    checkpoints with a jejak-keys log key, a real receiver and sender. The
    sender verifies the hub's checkpoint before it links and each newer
    one by consistency proof, keeping the last in its state file; a second
    history signed with the same key (a forked regency log) is the fork
    alarm: named with both sizes and roots, both notes kept as files,
    exit 5, and nothing of it forwarded. The receiver with the regency's
    key checks every checkpoint the sender relays against its copy and
    keeps the newest one its copy holds; a sender that lost its state and
    links a forked history is stopped there by the receiver's alarm. */
#include "link_support.h"
#include "test_broker_support.h"

#include "jk_note.h"

#include <sys/stat.h>
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
    s_hub_t a, b, c, d;
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

/* The signed note a query on a database file answers (heap), NULL when
   none. */
static char *s_note_in (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *note = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step (st) == SQLITE_ROW)
        note = jk_strdup ((const char *)sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
    sqlite3_close (db);
    return note;
}

/* The note the sender's state holds; the one the copy holds for 32.03. */
#define s_state_note(path) s_note_in (path, "SELECT note FROM checkpoint")
#define s_copy_note(path)                                                      \
    s_note_in (path, "SELECT note FROM checkpoint WHERE origin = '32.03'")

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
    s_hub_init (f, &f->c, "c");
    s_hub_init (f, &f->d, "d");
    *state = f;
    return 0;
}

static int s_teardown (void **state)
{
    s_fixture_t *f = *state;
    s_hub_fini (&f->a);
    s_hub_fini (&f->b);
    s_hub_fini (&f->c);
    s_hub_fini (&f->d);
    free (f->key_file);
    free (f->vkey_file);
    jk_test_rmdir (&f->dir);
    free (f);
    return 0;
}

/* jejak-link clear-fork on a sender's state (origin NULL) or a copy:
   its exit status and a piece of what it says. */
static void s_clear_fork (const char *path, const char *origin, int status,
                          const char *says)
{
    char *argv[] = {"jejak-link",
                    "clear-fork",
                    origin ? "--db" : "--state",
                    (char *)path,
                    origin ? "--origin" : NULL,
                    (char *)origin,
                    NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_LONG_MS), status);
    assert_non_null (strstr (status ? err : out, says));
    free (out);
    free (err);
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

    /* The operator investigated: clear-fork moves the fork to table
       fork_cleared (the notes' files stay) and forgets the checkpoint
       held, so the next link trusts hub b's on sight (it checks before
       it links: no receiver needed). Again: nothing to clear, exit 1. */
    s_clear_fork (cstate, "32.03", 1, "is a sending end's state: clear its");
    assert_int_equal (lk_sql_int (cstate, "SELECT count(*) FROM fork"), 2);
    s_clear_fork (cstate, NULL, 0, "fork alarm cleared: 2 forks moved");
    assert_int_equal (lk_sql_int (cstate, "SELECT count(*) FROM fork"), 0);
    assert_int_equal (lk_sql_int (cstate, "SELECT count(*) FROM checkpoint"),
                      0);
    assert_int_equal (lk_sql_int (cstate, "SELECT count(*) FROM fork_cleared"
                                          " WHERE held_size = 400 AND "
                                          "seen_size = 500 AND cleared_at > 0"),
                      2);
    assert_int_equal (access (held_path, F_OK), 0);
    assert_int_equal (access (seen_path, F_OK), 0);
    s_clear_fork (cstate, NULL, 1, "no fork alarm to clear in ");
    sender = s_sender (&f->b, listen, f->vkey_file, cstate, stats, flog);
    assert_true (sender > 0);
    assert_true (JK_WAIT_FOR (
        lk_sql_int (cstate, "SELECT size FROM checkpoint") == 500, S_LONG_MS));
    status = jk_test_stop (sender, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_int_equal (lk_sql_int (cstate, "SELECT count(*) FROM fork"), 0);
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

static pid_t s_province (const char *copy, const char *listen,
                         const char *log_keys, const char *log)
{
    char *argv[] = {"jejak-link", "receive",        "--db",
                    (char *)copy, "--listen",       (char *)listen,
                    "--log-keys", (char *)log_keys, NULL};
    return jk_test_spawn (argv, log);
}

/* The next command a fake receiver on router gets other than PING
   (within timeout_ms; "" when none), its routing id into *rid. */
static char *s_fake_next (zsock_t *router, zframe_t **rid, int timeout_ms)
{
    for (;;) {
        zmsg_t *msg = jk_test_recv (router, timeout_ms);
        if (!msg)
            return jk_strdup ("");
        zframe_destroy (rid);
        *rid = zmsg_pop (msg);
        char command[16];
        assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
        zmsg_destroy (&msg);
        if (!streq (command, "PING"))
            return jk_strdup (command);
    }
}

static void s_fake_send (zsock_t *router, zframe_t *rid, zmsg_t *msg)
{
    zmsg_prepend (msg, &(zframe_t *){zframe_dup (rid)});
    zmsg_send (&msg, router);
}

/* A national receiver of the version before the origin frame refuses
   the copy's CHECKPOINT (E_PROTOCOL naming its shape): the province's
   sender stops relaying, links again and sends its records only. */
static void s_relay_to_older (s_fixture_t *f, const char *copy)
{
    char *listen = jk_test_endpoint (f->dir, "older");
    char *slog = jk_sprintf ("%s/send-older.log", f->dir);
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert_true (zsock_bind (router, "%s", listen) >= 0);
    pid_t sender = lk_sender (copy, "32", listen, NULL, NULL, NULL, slog);
    assert_true (sender > 0);
    zframe_t *rid = NULL;
    for (uint64_t session = 1; session <= 2; session++) {
        char *command = s_fake_next (router, &rid, S_LONG_MS);
        assert_string_equal (command, "LINK");
        free (command);
        zmsg_t *linked = jk_wire_new ("LINKED");
        jk_wire_add_u64 (linked, session);
        jk_wire_add_u64 (linked, 0);
        jk_wire_add_u64 (linked, 2000);
        s_fake_send (router, rid, linked);
        command = s_fake_next (router, &rid, S_LONG_MS);
        assert_string_equal (command, "RECORDS");
        free (command);
        /* Session 1: the CHECKPOINT follows; session 2: 3 s without one
           (nothing, or the LINK of a new try). */
        command = s_fake_next (router, &rid, session == 1 ? S_LONG_MS : 3000);
        if (session == 1) {
            assert_string_equal (command, "CHECKPOINT");
            s_fake_send (router, rid,
                         jk_wire_error ("E_PROTOCOL",
                                        "CHECKPOINT takes [session u64][copy "
                                        "u64][note: at most 16384 bytes]"
                                        "[proof]"));
        } else /* nothing more, or the LINK of a new try (no PONG) */
            assert_string_not_equal (command, "CHECKPOINT");
        free (command);
    }
    assert_true (JK_WAIT_FOR (
        s_log_has (slog, "does not take this CHECKPOINT: its checkpoints "
                         "are no longer relayed"),
        S_LONG_MS));
    int status = jk_test_stop (sender, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    zframe_destroy (&rid);
    zsock_destroy (&router);
    free (listen);
    free (slog);
}

/* National's receiver (with the regencies' log keys) and the province's
   sender forwarding its copy: national ends holding the province's note
   of 32.03 (held) as verified against its own copy of 400 records. */
static void s_national_relay (s_fixture_t *f, const char *copy,
                              const char *keys, const char *held)
{
    char *national = jk_sprintf ("%s/national.db", f->dir);
    char *listen = jk_test_endpoint (f->dir, "national");
    char *stats = jk_test_endpoint (f->dir, "stats-province");
    char *nlog = jk_sprintf ("%s/national.log", f->dir);
    char *slog = jk_sprintf ("%s/send-province.log", f->dir);
    pid_t receiver = s_province (national, listen, keys, nlog);
    assert_true (receiver > 0);
    pid_t sender = lk_sender (copy, "32", listen, NULL, NULL, stats, slog);
    assert_true (sender > 0);
    assert_true (JK_WAIT_FOR (
        lk_stat (listen, NULL, NULL, "origin.32.03.checkpoint") == 400,
        S_LONG_MS));
    assert_int_equal (lk_sql_int (national, "SELECT count(*) FROM copy "
                                            "WHERE origin = '32.03'"),
                      400);
    char *note = s_copy_note (national);
    assert_non_null (note);
    assert_string_equal (note, held);
    /* Once per session (a session lost under load relays it again). */
    assert_true (lk_stat (stats, NULL, NULL, "relayed") >= 1);
    char *text = lk_stats_text (listen, NULL, NULL);
    assert_true (lk_stat_in (text, "checkpoints") >= 1);
    assert_int_equal (lk_stat_in (text, "checkpoints_unchecked"), 0);
    assert_int_equal (lk_stat_in (text, "forks"), 0);
    free (text);
    assert_int_equal (lk_sql_int (national, "SELECT count(*) FROM fault"), 0);
    int status = jk_test_stop (sender, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    status = jk_test_stop (receiver, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    free (note);
    free (national);
    free (listen);
    free (stats);
    free (nlog);
    free (slog);
}

static void test_province_checks (void **state)
{
    s_fixture_t *f = *state;
    char *copy = jk_sprintf ("%s/province.db", f->dir);
    char *listen = jk_test_endpoint (f->dir, "province");
    char *rlog = jk_sprintf ("%s/province.log", f->dir);
    char *slog = jk_sprintf ("%s/send-c.log", f->dir);
    char *flog = jk_sprintf ("%s/send-d.log", f->dir);
    char *plog = jk_sprintf ("%s/send-d-plain.log", f->dir);
    char *cstate = jk_sprintf ("%s/c-state.db", f->dir);
    char *dstate = jk_sprintf ("%s/d-state.db", f->dir);
    char *stats = jk_test_endpoint (f->dir, "stats-c");
    char *keys = jk_sprintf ("%s/log-keys", f->dir);
    assert_int_equal (mkdir (keys, 0700), 0);
    char *vkey_copy = jk_sprintf ("%s/32.03.vkey", keys);
    char *vkey = jk_test_slurp (f->vkey_file, NULL);
    FILE *file = fopen (vkey_copy, "w");
    assert_non_null (file);
    fputs (vkey, file);
    fclose (file);

    /* The happy path: every checkpoint hub c signs is relayed and checked
       against the copy; the newest the copy holds is kept. */
    s_hub_start (f, &f->c);
    s_deliver (&f->c, "32.03.11/cugenang-1", 300, 1000);
    pid_t receiver = s_province (copy, listen, keys, rlog);
    assert_true (receiver > 0);
    pid_t sender = s_sender (&f->c, listen, f->vkey_file, cstate, stats, slog);
    assert_true (sender > 0);
    assert_true (JK_WAIT_FOR (
        lk_stat (listen, NULL, NULL, "origin.32.03.checkpoint") == 300,
        S_LONG_MS));
    s_deliver (&f->c, "32.03.11/cugenang-2", 100, 3000);
    assert_true (JK_WAIT_FOR (
        lk_stat (listen, NULL, NULL, "origin.32.03.checkpoint") == 400,
        S_LONG_MS));
    assert_int_equal (
        lk_sql_int (copy, "SELECT count(*) FROM copy WHERE origin = '32.03'"),
        400);
    char *held = s_copy_note (copy);
    assert_non_null (held);
    char held_root[65];
    assert_int_equal (s_note_check (f, held, held_root), 400);
    char *text = lk_stats_text (listen, NULL, NULL);
    assert_true (lk_stat_in (text, "checkpoints") >= 3);
    assert_int_equal (lk_stat_in (text, "forks"), 0);
    assert_int_equal (lk_stat_in (text, "checkpoints_unchecked"), 0);
    assert_int_equal (lk_stat_in (text, "origin.32.03.forked"), -1);
    free (text);
    assert_true (lk_stat (stats, NULL, NULL, "relayed") >= 3);
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fork"), 0);
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fault"), 0);
    int status = jk_test_stop (sender, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);

    /* Province -> national: the province's copy relays the regency's
       checkpoint it holds, signed by the regency, when national's copy of
       32.03 has exactly its size; national checks it with the regency's
       key against its own copy and holds the same note. */
    s_national_relay (f, copy, keys, held);
    s_relay_to_older (f, copy);

    /* Hub d: another history of 500 under the same key. Its sender has no
       state (the regency's machine was set up again), so it trusts what
       it sees; the receiver does not: the checkpoint does not extend its
       copy. The alarm names both, keeps both notes, and the sender stops
       with exit 5. */
    s_hub_start (f, &f->d);
    s_deliver (&f->d, "32.03.11/cugenang-1", 500, 7000);
    sender = s_sender (&f->d, listen, f->vkey_file, dstate, stats, flog);
    assert_true (sender > 0);
    status = jk_test_stop (sender, 0, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 5);
    char *seen = s_state_note (dstate);
    assert_non_null (seen);
    char seen_root[65];
    assert_int_equal (s_note_check (f, seen, seen_root), 500);
    char *held_path = jk_sprintf ("%s.fork-32.03-held-400.note", copy);
    char *seen_path = jk_sprintf ("%s.fork-32.03-seen-500.note", copy);
    char *held_file = jk_test_slurp (held_path, NULL);
    char *seen_file = jk_test_slurp (seen_path, NULL);
    assert_non_null (held_file);
    assert_non_null (seen_file);
    assert_string_equal (held_file, held);
    assert_string_equal (seen_file, seen);
    char *alarm = jk_sprintf (
        "E_FORK: origin 32.03: the regency's log is forked or rewritten: its "
        "checkpoint of 500 records (root %s) does not extend the copy of 400 "
        "records (root %s) held here, which the checkpoint verified before "
        "extends. Nothing more is stored from 32.03. The signed notes are "
        "kept in %s and %s (and table fork of %s): give them to the auditor.",
        seen_root, held_root, seen_path, held_path, copy);
    assert_true (JK_WAIT_FOR (s_log_has (rlog, alarm), S_LONG_MS));
    assert_true (s_log_has (flog, "refused by"));
    assert_true (s_log_has (flog, "E_FORK: area 32.03: the receiver found"));
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fork WHERE "
                                        "origin = '32.03' AND held_size = 400 "
                                        "AND seen_size = 500 AND copy_size = "
                                        "400"),
                      1);
    assert_int_equal (
        lk_sql_int (copy, "SELECT count(*) FROM copy WHERE origin = '32.03'"),
        400);
    text = lk_stats_text (listen, NULL, NULL);
    assert_int_equal (lk_stat_in (text, "forks"), 1);
    assert_int_equal (lk_stat_in (text, "origin.32.03.forked"), 1);
    assert_int_equal (lk_stat_in (text, "origin.32.03.checkpoint"), 400);
    free (text);

    /* The alarm stands across a restart of the receiver, and a sender
       without the log key is refused there too: nothing of the other
       history is stored. */
    status = jk_test_stop (receiver, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    receiver = s_province (copy, listen, keys, rlog);
    assert_true (receiver > 0);
    sender = lk_sender (f->d.db, "32.03", listen, NULL, NULL, NULL, plog);
    assert_true (sender > 0);
    status = jk_test_stop (sender, 0, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 5);
    assert_true (s_log_has (plog, "E_FORK"));
    assert_int_equal (
        lk_sql_int (copy, "SELECT count(*) FROM copy WHERE origin = '32.03'"),
        400);
    assert_int_equal (lk_stat (listen, NULL, NULL, "origin.32.03.forked"), 1);
    status = jk_test_stop (receiver, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));

    /* clear-fork for the origin: its fork rows go to fork_cleared, the
       checkpoint proven against the copy stays, and the receiver started
       again no longer holds the alarm. */
    /* The copy taken for a sending end's state is refused, untouched. */
    s_clear_fork (copy, NULL, 1, "is a copy database: clear its fork with");
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fork"), 1);
    assert_int_equal (
        lk_sql_int (copy, "SELECT count(*) FROM checkpoint WHERE origin = "
                          "'32.03'"),
        1);
    s_clear_fork (copy, "32.03", 0,
                  "fork alarm cleared for origin 32.03: 1 fork moved");
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fork"), 0);
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fork_cleared "
                                        "WHERE origin = '32.03' AND "
                                        "seen_size = 500 AND copy_size = 400"),
                      1);
    assert_int_equal (
        lk_sql_int (copy, "SELECT size FROM checkpoint WHERE origin = '32.03'"),
        400);
    s_clear_fork (copy, "32.03", 1, "no fork alarm to clear in ");
    receiver = s_province (copy, listen, keys, rlog);
    assert_true (receiver > 0);
    assert_true (JK_WAIT_FOR (
        lk_stat (listen, NULL, NULL, "origin.32.03.checkpoint") == 400,
        S_LONG_MS));
    text = lk_stats_text (listen, NULL, NULL);
    assert_non_null (text); /* answered, without the key */
    assert_int_equal (lk_stat_in (text, "origin.32.03.forked"), -1);
    free (text);
    status = jk_test_stop (receiver, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));

    /* The auditor's verify recomputes the copy's tree up to the checkpoint
       held and compares the signed head. */
    char *out = NULL;
    assert_int_equal (lk_verify (copy, "32.03", NULL, NULL, &out), 0);
    assert_non_null (strstr (out, "OK origin 32.03: 400 records, chain "
                                  "intact, the regency's checkpoint held "
                                  "matches the copy's tree"));
    free (out);
    uint8_t seed[32] = {7}, root[32] = {0};
    char *other = jk_checkpoint_sign (f->signer.name, 400, root, seed);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (copy, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "UPDATE checkpoint SET note = ? "
                                          "WHERE origin = '32.03'",
                                          -1, &st, NULL),
                      SQLITE_OK);
    sqlite3_bind_text (st, 1, other, -1, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (st), SQLITE_DONE);
    sqlite3_finalize (st);
    sqlite3_close (db);
    assert_int_equal (lk_verify (copy, "32.03", NULL, NULL, &out), 1);
    assert_non_null (strstr (out, "FAILED origin 32.03: the copy's Merkle "
                                  "tree of 400 records is not the regency's "
                                  "checkpoint held for it"));
    free (out);
    free (other);

    free (alarm);
    free (held_file);
    free (seen_file);
    free (held_path);
    free (seen_path);
    free (seen);
    free (held);
    free (vkey);
    free (vkey_copy);
    free (keys);
    free (copy);
    free (listen);
    free (rlog);
    free (slog);
    free (flog);
    free (plog);
    free (cstate);
    free (dstate);
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
    /* clear-fork: which file, named; a file that is not there (the
       sending end's state or a copy); a file that is no link state. Each
       exit code with its one line, nothing on stdout. */
    char *none[] = {"jejak-link", "clear-fork", NULL};
    assert_int_equal (jk_test_run (none, &out, &err, S_LONG_MS), 2);
    assert_string_equal (err, "jejak-link: clear-fork needs --state (the "
                              "sending end's) or --db with --origin (a "
                              "copy's) (see --help)\n");
    assert_string_equal (out, "");
    free (out);
    free (err);
    char *origin[] = {"jejak-link", "clear-fork", "--origin", "32.03", NULL};
    assert_int_equal (jk_test_run (origin, &out, &err, S_LONG_MS), 2);
    assert_string_equal (
        err, "jejak-link: clear-fork --origin needs --db (see --help)\n");
    free (out);
    free (err);
    char *gone = jk_sprintf ("%s/gone.db", f->dir);
    char *said =
        jk_sprintf ("jejak-link: clear-fork: %s does not exist\n", gone);
    char *no_state[] = {"jejak-link", "clear-fork", "--state", gone, NULL};
    assert_int_equal (jk_test_run (no_state, &out, &err, S_LONG_MS), 1);
    assert_string_equal (err, said);
    assert_string_equal (out, "");
    free (out);
    free (err);
    char *no_copy[] = {"jejak-link", "clear-fork", "--db", gone,
                       "--origin",   "32.03",      NULL};
    assert_int_equal (jk_test_run (no_copy, &out, &err, S_LONG_MS), 1);
    assert_string_equal (err, said);
    free (out);
    free (err);
    assert_int_equal (access (gone, F_OK), -1); /* not made by asking */
    free (said);
    free (gone);
    char *other[] = {"jejak-link", "clear-fork", "--state", db, NULL};
    assert_int_equal (jk_test_run (other, &out, &err, S_LONG_MS), 1);
    said = jk_sprintf ("jejak-link: clear-fork: %s holds no link state "
                       "(table fork): no such table: fork\n",
                       db);
    assert_string_equal (err, said);
    free (said);
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
        cmocka_unit_test (test_province_checks),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
