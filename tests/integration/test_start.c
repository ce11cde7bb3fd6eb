/*  test_start.c - what jejak-hub checks when it starts on an existing
    log, the real program as a process: a log cut or rewritten since its
    newest checkpoint, or with a changed record near its head, is refused
    at start (exit 1, no start line) with the exact message; damage the
    start's bounded checks cannot see (away from the log's tail) is found
    by SQLite's whole-file check behind the start, which stops the hub
    (exit 1) with the same message; damaged projections stop it too and
    are made anew from the log at the next start; a cut log is refused as
    damaged, and jejak-replay backup refuses a file that is not a log. */
#include "test_broker_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_SOURCE  "32.03.10/pacet-1"
#define S_RECORDS 300
#define S_LONG_MS 60000

typedef struct {
    char *dir, *keys, *ingest, *feed, *query, *db, *log;
} s_fix_t;

static s_fix_t *s_fix_new (const char *tag)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir (tag);
    fx->keys = jk_sprintf ("%s/keys", fx->dir);
    fx->ingest = jk_test_endpoint (fx->dir, "ingest");
    fx->feed = jk_test_endpoint (fx->dir, "feed");
    fx->query = jk_test_endpoint (fx->dir, "query");
    fx->db = jk_sprintf ("%s/data/events.db", fx->dir);
    fx->log = jk_sprintf ("%s/hub.log", fx->dir);
    char *make[] = {"jejak-keys", "log-key", "--dir", fx->keys, NULL};
    assert_int_equal (jk_test_run (make, NULL, NULL, S_WAIT_MS), 0);
    return fx;
}

static void s_fix_destroy (s_fix_t **fx_p)
{
    s_fix_t *fx = *fx_p;
    free (fx->keys);
    free (fx->ingest);
    free (fx->feed);
    free (fx->query);
    free (fx->db);
    free (fx->log);
    jk_test_rmdir (&fx->dir);
    free (fx);
    *fx_p = NULL;
}

/* jejak-hub on fx's log, signing checkpoints with fx's key at most 1 s
   after a commit, its output appended to fx->log. */
static pid_t s_hub (s_fix_t *fx)
{
    char *key = jk_sprintf ("%s/log.key", fx->keys);
    char *argv[] = {"jejak-hub", "--db",
                    fx->db,      "--ingest",
                    fx->ingest,  "--feed",
                    fx->feed,    "--query",
                    fx->query,   "--checkpoint-every",
                    "1",         "--checkpoint-key",
                    key,         NULL};
    pid_t pid = jk_test_spawn (argv, fx->log);
    assert_true (pid > 0);
    free (key);
    return pid;
}

/* Starts the hub and waits for its start line after offset. */
static pid_t s_hub_ready (s_fix_t *fx)
{
    size_t offset = jk_test_file_size (fx->log);
    pid_t pid = s_hub (fx);
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_file_has_after (fx->log, offset, "jejak-hub ingest="),
        S_LONG_MS));
    return pid;
}

/* A log of S_RECORDS person.registered (NIKs from nik_base) whose newest
   checkpoint covers them all, left by a clean stop. */
static void s_fill (s_fix_t *fx, int nik_base)
{
    pid_t pid = s_hub_ready (fx);
    s_client_t *c =
        s_client_new (fx->ingest, S_SOURCE, S_RECORDS, (uint64_t)nik_base);
    s_client_deliver (c, 50, S_LONG_MS, NULL, NULL);
    s_client_destroy (&c);
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_db_int64 (fx->db, "SELECT max (size) FROM checkpoint") ==
            S_RECORDS,
        S_LONG_MS));
    int status = jk_test_stop (pid, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

/* Runs sql on the stopped hub's database at path. */
static void s_sql (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg ("%s: %s", sql, msg);
    sqlite3_close (db);
}

/* Starts the hub and waits for it to exit 1; returns where its output
   began in fx->log. */
static size_t s_hub_exits_1 (s_fix_t *fx)
{
    size_t offset = jk_test_file_size (fx->log);
    pid_t pid = s_hub (fx);
    int status = 0;
    assert_true (jk_test_wait_exit (pid, &status, S_LONG_MS));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    return offset;
}

/* Starts the hub, which must exit 1 without its start line, its output
   then holding text. */
static void s_refused (s_fix_t *fx, const char *text)
{
    size_t offset = s_hub_exits_1 (fx);
    if (!jk_test_file_has_after (fx->log, offset, text)) {
        char *out = jk_test_slurp (fx->log, NULL);
        fail_msg ("expected \"%s\" in:\n%s", text, out + offset);
    }
    assert_false (
        jk_test_file_has_after (fx->log, offset, "jejak-hub ingest="));
}

/* A log restored from a backup older than its newest checkpoint: the
   hub refuses it at start, naming both sizes. */
static void test_cut_log_refused (void **state)
{
    (void)state;
    s_fix_t *fx = s_fix_new ("start-cut");
    s_fill (fx, 1);
    s_sql (fx->db, "DELETE FROM log WHERE pos > 200");
    s_refused (fx, "ERROR store checkpoints: the log holds 200 records but "
                   "a checkpoint of 300 was signed: the log was cut "
                   "(restored from an older backup?) and is not signed "
                   "again; run jejak-replay verify\n");
    s_fix_destroy (&fx);
}

/* Another history of the same length under the same key's checkpoint:
   the tree's head at the checkpoint's size differs, refused at start. */
static void test_rewritten_log_refused (void **state)
{
    (void)state;
    s_fix_t *fx = s_fix_new ("start-rewritten");
    s_fix_t *other = s_fix_new ("start-other");
    s_fill (fx, 1);
    /* The same office's seqs with other people, signed by the same key. */
    char *copy =
        jk_sprintf ("cp '%s/log.key' '%s/log.key'", fx->keys, other->keys);
    assert_int_equal (system (copy), 0);
    free (copy);
    s_fill (other, 5000);
    char *sql = jk_sprintf ("ATTACH '%s' AS a; DELETE FROM checkpoint;"
                            " INSERT INTO checkpoint SELECT * FROM"
                            " a.checkpoint;",
                            fx->db);
    s_sql (other->db, sql);
    free (sql);
    s_refused (other, "ERROR store checkpoints: the log's tree head at 300 "
                      "differs from the signed checkpoint: the log was "
                      "rewritten and is not signed again; run jejak-replay "
                      "verify\n");
    s_fix_destroy (&other);
    s_fix_destroy (&fx);
}

/* A record changed near the head: the chain over the tail is
   recomputed at start and the hub refuses to append. */
static void test_changed_record_refused (void **state)
{
    (void)state;
    s_fix_t *fx = s_fix_new ("start-changed");
    s_fill (fx, 1);
    s_sql (fx->db,
           "UPDATE log SET recorded_at = recorded_at + 1 WHERE pos = 295");
    char *text = jk_sprintf (
        "ERROR store the log in %s is damaged, the store does not append to "
        "it: the hash stored at position 295 is not the chain's (a record "
        "was changed). Run 'jejak-replay verify %s' to see all that is "
        "damaged, then restore the last good backup (docs/OPERATIONS.md, "
        "\"Storage damage\")\n",
        fx->db, fx->db);
    s_refused (fx, text);
    free (text);
    s_fix_destroy (&fx);
}

/* Sets byte 7 of the page that is the root of name in the file at path
   (its count of fragmented free bytes, which no read uses and SQLite's
   integrity check compares with the page's free space), after the WAL
   is folded into the file. */
static void s_damage_root (const char *path, const char *name)
{
    s_sql (path, "PRAGMA wal_checkpoint(TRUNCATE)");
    char *sql = jk_sprintf (
        "SELECT rootpage FROM sqlite_master WHERE name = '%s'", name);
    int64_t page = jk_test_db_int64 (path, sql);
    free (sql);
    int64_t size = jk_test_db_int64 (path, "PRAGMA page_size");
    assert_true (page > 1 && size > 0);
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    uint8_t byte = 0x0f;
    assert_int_equal (pwrite (fd, &byte, 1, (off_t)((page - 1) * size + 7)), 1);
    close (fd);
}

/* Damage away from the log's tail: the hub starts (the start checks the
   tail only), then SQLite's check of the whole file behind the start
   finds it and stops the hub with the same message as at start. */
static void test_damage_found_behind_start (void **state)
{
    (void)state;
    s_fix_t *fx = s_fix_new ("start-behind");
    s_fill (fx, 1);
    s_damage_root (fx->db, "log");
    size_t offset = s_hub_exits_1 (fx);
    /* Its start checks passed (the start line may or may not come
       before the check's verdict on so small a file). */
    assert_true (jk_test_file_has_after (fx->log, offset, "INFO  store ready"));
    char *text = jk_sprintf (
        "ERROR store the log in %s is damaged, the store does not append to "
        "it: *** in database main ***\nFragmentation of 0 bytes reported as "
        "15 on page ",
        fx->db);
    if (!jk_test_file_has_after (fx->log, offset, text)) {
        char *out = jk_test_slurp (fx->log, NULL);
        fail_msg ("expected \"%s\" in:\n%s", text, out + offset);
    }
    free (text);
    assert_true (jk_test_file_has_after (
        fx->log, offset,
        "jejak-hub: the store stopped on a fatal database error"));
    s_fix_destroy (&fx);
}

/* Damaged projections: the whole-file check stops the hub and removes
   them; the next start makes them anew from the log (every person
   back). */
static void test_damaged_projections_made_anew (void **state)
{
    (void)state;
    s_fix_t *fx = s_fix_new ("start-projections");
    s_fill (fx, 1);
    char *projections = jk_sprintf ("%s-projections", fx->db);
    s_damage_root (projections, "people");
    size_t offset = s_hub_exits_1 (fx);
    assert_true (jk_test_file_has_after (fx->log, offset, "INFO  store ready"));
    char *text = jk_sprintf ("ERROR store the projections beside %s are "
                             "damaged (SQLite integrity check: ",
                             fx->db);
    assert_true (jk_test_file_has_after (fx->log, offset, text));
    free (text);
    assert_int_not_equal (access (projections, F_OK), 0);
    pid_t pid = s_hub_ready (fx);
    assert_int_equal (s_query_head (fx->query, NULL), S_RECORDS);
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_db_int64 (projections, "SELECT count(*) FROM people") ==
            S_RECORDS,
        S_LONG_MS));
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_file_has_after (fx->log, offset,
                                "INFO  store SQLite's integrity check of the "
                                "projections of "),
        S_LONG_MS));
    int status = jk_test_stop (pid, SIGTERM, S_LONG_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    free (projections);
    s_fix_destroy (&fx);
}

/* Runs jejak-replay backup of src into out, which must exit 3 with
   stderr exactly why and leave no out (nor out-projections). */
static void s_backup_refused (const char *src, const char *out, const char *why)
{
    char *argv[] = {"jejak-replay", "backup",    (char *)src,
                    "--out",        (char *)out, NULL};
    char *err = NULL;
    assert_int_equal (jk_test_run (argv, NULL, &err, S_LONG_MS), 3);
    char *want = jk_sprintf ("jejak-replay backup: %s\n", why);
    assert_string_equal (err, want);
    assert_int_not_equal (access (out, F_OK), 0);
    char *proj = jk_sprintf ("%s-projections", out);
    assert_int_not_equal (access (proj, F_OK), 0);
    free (proj);
    free (want);
    free (err);
}

/* What an operator may back up or restore by mistake: a backup of an
   office outbox or of an empty file is refused naming what it is,
   nothing written; a log cut short (a copy that did not finish) put in
   place is refused by the hub as damaged, not as a file of another
   kind. */
static void test_foreign_and_cut_files (void **state)
{
    (void)state;
    s_fix_t *fx = s_fix_new ("start-foreign");
    s_fill (fx, 1);
    char *outbox = jk_sprintf ("%s/outbox.db", fx->dir);
    s_sql (outbox, "PRAGMA application_id = 1246449474; "
                   "CREATE TABLE events (seq); CREATE TABLE meta (k)");
    char *out = jk_sprintf ("%s/copy.db", fx->dir);
    char *why = jk_sprintf ("%s is an office outbox (application_id "
                            "0x4A4B4F42 'JKOB'), not a Jejak event log",
                            outbox);
    s_backup_refused (outbox, out, why);
    free (why);
    char *empty = jk_sprintf ("%s/empty.db", fx->dir);
    int fd = open (empty, O_WRONLY | O_CREAT, 0600);
    assert_true (fd >= 0);
    close (fd);
    why = jk_sprintf ("%s is not a Jejak event log: it holds no log table",
                      empty);
    s_backup_refused (empty, out, why);
    free (why);

    /* The log cut to half its size, put in place as in a restore. */
    size_t size = jk_test_file_size (fx->db);
    assert_int_equal (truncate (fx->db, (off_t)(size / 2)), 0);
    char *text = jk_sprintf ("ERROR store cannot open the log %s: %s is "
                             "damaged, not read as a Jejak event log: "
                             "database disk image is malformed",
                             fx->db, fx->db);
    s_refused (fx, text);
    free (text);
    free (empty);
    free (out);
    free (outbox);
    s_fix_destroy (&fx);
}

int main (void)
{
    jk_test_require_program ("jejak-hub");
    /* The hubs say that their checks passed at level info. */
    setenv ("JEJAK_LOG", "info", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cut_log_refused),
        cmocka_unit_test (test_rewritten_log_refused),
        cmocka_unit_test (test_changed_record_refused),
        cmocka_unit_test (test_damage_found_behind_start),
        cmocka_unit_test (test_damaged_projections_made_anew),
        cmocka_unit_test (test_foreign_and_cut_files),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
