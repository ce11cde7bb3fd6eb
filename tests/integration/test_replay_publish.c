/*  test_replay_publish.c - jejak-replay as a process: publish (a SUB on
    the feed receives every stored record in order with consecutive
    positions, the broker's topics and the stored hashes, then a $head
    naming the last one; --speed paces by recorded_at; no subscriber means
    exit 4; --from-pos and --until-pos checked as export checks them), and
   verify's verdicts on a stored Merkle tree that differs from the log (a
   changed hash, a missing tile, a tile past the log's end), said apart from the
   chain's; diff given a file without projections. */
#include "testsupport.h"

#include "../unit/replay/replay_workload.h"
#include "jk_replay.h"
#include "jk_wire.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 20000

static char *s_dir;
static char *s_db;
/* 640 records: level-0 tiles 0 and 1 stored (positions 1 to 512), the
   level-1 tile 0 with their two roots, 128 records after them. */
static char *s_tree_db;

static int s_setup (void **state)
{
    (void)state;
    s_dir = jk_test_tmpdir ("replay-publish");
    s_db = jk_sprintf ("%s/events.db", s_dir);
    rw_build (s_db, RW_BLOCK, NULL, NULL);
    s_tree_db = jk_sprintf ("%s/tree.db", s_dir);
    rw_build (s_tree_db, 4 * RW_BLOCK, NULL, NULL);
    return 0;
}

static int s_teardown (void **state)
{
    (void)state;
    free (s_db);
    free (s_tree_db);
    jk_test_rmdir (&s_dir);
    return 0;
}

/* A copy of the 640-record log in the temp directory, sql run on it (the
   tampering). */
static char *s_tree_copy (const char *name, const char *sql)
{
    char *path = jk_sprintf ("%s/%s", s_dir, name);
    unlink (path);
    char *vacuum = sqlite3_mprintf ("VACUUM INTO %Q", path);
    jk_test_db_exec (s_tree_db, vacuum);
    sqlite3_free (vacuum);
    jk_test_db_exec (path, sql);
    return path;
}

/* jejak-replay verify path: its exit code, stdout in *out. */
static int s_verify (const char *path, char **out)
{
    char *argv[] = {"jejak-replay", "verify", (char *)path, NULL};
    char *err = NULL;
    int rc = jk_test_run (argv, out, &err, WAIT_MS);
    assert_string_equal (err, "");
    free (err);
    return rc;
}

/* Receives records until the $head that names last; returns how many
   records came, checking order, topics and hashes against the log. */
static uint64_t s_receive (zsock_t *sub, uint64_t first, uint64_t last)
{
    char err[256];
    sqlite3 *db = jk_replay_open (s_db, err, sizeof err);
    assert_non_null (db);
    jk_replay_cursor_t *cursor =
        jk_replay_cursor_new (db, first, last, err, sizeof err);
    zpoller_t *poller = zpoller_new (sub, NULL);
    uint64_t expect = first, received = 0;
    while (true) {
        assert_non_null (zpoller_wait (poller, WAIT_MS));
        zmsg_t *msg = zmsg_recv (sub);
        jk_record_t record;
        assert_int_equal (jk_record_read (msg, &record), 0);
        if (strcmp (record.topic, JK_FEED_HEAD) == 0) {
            bool done = record.pos == last;
            zmsg_destroy (&msg);
            if (done)
                break;
            continue;
        }
        jk_replay_row_t row;
        assert_int_equal (jk_replay_cursor_next (cursor, &row, err, sizeof err),
                          1);
        assert_int_equal (record.pos, expect);
        assert_int_equal (row.pos, expect);
        char topic[80];
        snprintf (topic, sizeof topic, "%s%s",
                  row.outcome ? JK_REJECTED_PREFIX : "", row.type);
        assert_string_equal (record.topic, topic);
        assert_memory_equal (record.hash, row.hash, 32);
        assert_int_equal (record.recorded_at, row.recorded_at);
        assert_int_equal (record.size, row.size);
        assert_memory_equal (record.bytes, row.bytes, row.size);
        if (row.outcome)
            assert_string_equal (record.code, row.code);
        zmsg_destroy (&msg);
        expect++;
        received++;
    }
    zpoller_destroy (&poller);
    jk_replay_cursor_destroy (&cursor);
    sqlite3_close (db);
    return received;
}

static void test_publish_instant (void **state)
{
    (void)state;
    char *endpoint = jk_test_endpoint (s_dir, "feed");
    char *argv[] = {
        "jejak-replay", "publish",           s_db, "--feed", endpoint,
        "--instant",    "--wait-subscriber", "20", NULL};
    pid_t pid = jk_test_spawn (argv, NULL);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_linger (sub, 0);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", endpoint), 0);
    assert_int_equal (s_receive (sub, 1, RW_BLOCK), RW_BLOCK);
    int status = jk_test_stop (pid, 0, WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    zsock_destroy (&sub);
    free (endpoint);
}

static void test_publish_speed_from_pos (void **state)
{
    (void)state;
    char *endpoint = jk_test_endpoint (s_dir, "paced");
    /* Records are a second apart: at 100x, 20 records take ~0.2 s. */
    char *argv[] = {"jejak-replay", "publish",           s_db,  "--feed",
                    endpoint,       "--speed",           "100", "--from-pos",
                    "141",          "--wait-subscriber", "20",  NULL};
    pid_t pid = jk_test_spawn (argv, NULL);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_linger (sub, 0);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", endpoint), 0);
    int64_t started = jk_clock_mono_ms ();
    assert_int_equal (s_receive (sub, 141, RW_BLOCK), 20);
    /* 19 gaps of 10 ms at least. */
    assert_true (jk_clock_mono_ms () - started >= 190);
    int status = jk_test_stop (pid, 0, WAIT_MS);
    assert_int_equal (WEXITSTATUS (status), 0);
    zsock_destroy (&sub);
    free (endpoint);
}

static void test_publish_no_subscriber (void **state)
{
    (void)state;
    char *endpoint = jk_test_endpoint (s_dir, "lonely");
    char *argv[] = {"jejak-replay", "publish",           s_db, "--feed",
                    endpoint,       "--wait-subscriber", "1",  NULL};
    char *err = NULL;
    assert_int_equal (jk_test_run (argv, NULL, &err, WAIT_MS), 4);
    assert_non_null (strstr (err, "no subscriber"));
    free (err);
    char *argv2[] = {"jejak-replay", "publish", s_db, "--speed", "0",
                     "--feed",       endpoint,  NULL};
    assert_int_equal (jk_test_run (argv2, NULL, &err, WAIT_MS), 2);
    assert_non_null (strstr (err, "--speed must be a number > 0"));
    free (err);
    free (endpoint);

    /* A port chosen at run time: the refusal names the bound endpoint. */
    char *any[] = {"jejak-replay",      "publish",           s_db, "--feed",
                   "tcp://127.0.0.1:*", "--wait-subscriber", "1",  NULL};
    assert_int_equal (jk_test_run (any, NULL, &err, WAIT_MS), 4);
    char bound[64] = "";
    const char *at = strstr (err, "feed bound at ");
    assert_non_null (at);
    sscanf (at, "feed bound at %63s", bound);
    char *want = jk_sprintf ("jejak-replay publish: no subscriber on %s "
                             "within 1000 ms (--wait-subscriber)\n",
                             bound);
    assert_non_null (strstr (err, want));
    free (want);
    free (err);
}

/* SIGTERM while publish waits for a subscriber stops it as it stops the
   publishing (AUDIT.md): exit 0, "0 records published", not a claim
   that no subscriber came within --wait-subscriber. */
static void test_publish_signal_while_waiting (void **state)
{
    (void)state;
    char *endpoint = jk_test_endpoint (s_dir, "waiting");
    char *log = jk_sprintf ("%s/publish-wait.log", s_dir);
    char *argv[] = {"jejak-replay", "publish",           s_db, "--feed",
                    endpoint,       "--wait-subscriber", "60", NULL};
    pid_t pid = jk_test_spawn (argv, log);
    /* Bound once the socket file is there; then the wait runs. */
    const char *path = endpoint + strlen ("ipc://");
    bool bound = false;
    JK_WAIT_FOR ((bound = access (path, F_OK) == 0), WAIT_MS);
    assert_true (bound);
    int status = jk_test_stop (pid, SIGTERM, WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    char *err = jk_test_slurp (log, NULL);
    char *want = jk_sprintf ("jejak-replay publish: 0 records published on "
                             "%s\n",
                             endpoint);
    assert_string_equal (err, want);
    free (want);
    free (err);
    free (log);
    free (endpoint);
}

/* --from-pos and --until-pos are checked as export checks them (AUDIT.md
   sections 4 and 5): a value that can select no record is a usage error,
   exit 2, nothing bound or published; a stretch of three records is
   published alone, its last one named by the closing $head. */
static void test_publish_positions (void **state)
{
    (void)state;
    char *endpoint = jk_test_endpoint (s_dir, "stretch");
    static const struct {
        const char *flag, *value, *flag2, *value2, *message;
    } bad[] = {
        {"--until-pos", "0", NULL, NULL,
         "jejak-replay publish: --until-pos must be >= 1\n"},
        {"--from-pos", "0", NULL, NULL,
         "jejak-replay publish: --from-pos must be >= 1\n"},
        {"--from-pos", "5", "--until-pos", "1",
         "jejak-replay publish: --from-pos 5 is after --until-pos 1: the "
         "first position must not be after the last\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = {"jejak-replay",
                        "publish",
                        s_db,
                        "--feed",
                        endpoint,
                        "--wait-subscriber",
                        "0",
                        "--linger",
                        "0",
                        (char *)bad[i].flag,
                        (char *)bad[i].value,
                        (char *)bad[i].flag2,
                        (char *)bad[i].value2,
                        NULL};
        char *out = NULL, *err = NULL;
        int rc = jk_test_run (argv, &out, &err, WAIT_MS);
        if (rc != 2 || strcmp (err, bad[i].message) != 0)
            fail_msg ("publish %s %s: exit %d, stderr '%s', wanted '%s'",
                      bad[i].flag, bad[i].value, rc, err, bad[i].message);
        assert_string_equal (out, "");
        free (out);
        free (err);
    }
    char *argv[] = {
        "jejak-replay", "publish", s_db,          "--feed", endpoint,
        "--from-pos",   "3",       "--until-pos", "5",      "--wait-subscriber",
        "20",           NULL};
    pid_t pid = jk_test_spawn (argv, NULL);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_linger (sub, 0);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", endpoint), 0);
    assert_int_equal (s_receive (sub, 3, 5), 3);
    int status = jk_test_stop (pid, 0, WAIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    zsock_destroy (&sub);
    free (endpoint);
}

/* verify on a copy of the 640-record log tampered with sql exits 1 and
   prints "TAMPERED COPY: " and then exactly text. */
static void s_tampered (const char *name, const char *sql, const char *text)
{
    char *copy = s_tree_copy (name, sql);
    char *out = NULL;
    assert_int_equal (s_verify (copy, &out), 1);
    char *want = jk_sprintf ("TAMPERED %s: %s", copy, text);
    assert_string_equal (out, want);
    free (want);
    free (out);
    free (copy);
}

/* verify on a copy of the 640-record log changed by sql exits 0, its
   stored tiles matching the log over leaves records. */
static void s_intact (const char *name, const char *sql, int leaves)
{
    char *copy = s_tree_copy (name, sql);
    char *out = NULL;
    assert_int_equal (s_verify (copy, &out), 0);
    char *want = jk_sprintf ("stored tiles match the log (%d leaves in full "
                             "tiles)\n",
                             leaves);
    assert_non_null (strstr (out, want));
    free (want);
    free (out);
    free (copy);
}

/* A changed hash in the stored tree: verify names the record whose leaf
   it is (hash 1 of level-0 tile 0 is position 2's), and says the chain's
   verdict apart: it holds to the log's head. */
static void test_verify_tree_hash_changed (void **state)
{
    (void)state;
    s_tampered (
        "leaf.db",
        "UPDATE merkle_tile SET hashes = substr(hashes, 1, 32) ||"
        " zeroblob(32) || substr(hashes, 65) WHERE level = 0 AND idx = 0",
        "first bad position 2: Merkle tree differs from the log: Merkle tile "
        "level 0 index 0 differs from the log at hash 1 (tampered tile)\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 2 (tile level 0 index 0, hash 1)\n");

    /* A hash of the level-1 tile: the first record it covers. */
    s_tampered (
        "node.db",
        "UPDATE merkle_tile SET hashes ="
        " substr(hashes, 1, 32) || zeroblob(32)"
        " WHERE level = 1 AND idx = 0",
        "first bad position 257: Merkle tree differs from the "
        "log: Merkle tile level 1 index 0 differs from the log at hash 1 "
        "(tampered tile)\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 257 (tile level 1 index 0, hash 1)\n");

    /* The chain broken later too: its verdict first, the tree's after. */
    s_tampered (
        "both.db",
        "UPDATE merkle_tile SET hashes ="
        " substr(hashes, 1, 32) ||"
        " zeroblob(32) || substr(hashes, 65)"
        " WHERE level = 0 AND idx = 0;"
        " UPDATE log SET recorded_at ="
        " recorded_at + 1 WHERE pos = 600",
        "first bad position 600: hash mismatch (changed or "
        "reordered): hash mismatch at position 600: its bytes, time or "
        "decision, or an earlier record, were changed\n"
        "verified intact up to position 599\n"
        "the stored tree is wrong too, from position 2 (tile level 0 index "
        "0, hash 1): Merkle tile level 0 index 0 differs from the log at "
        "hash 1 (tampered tile)\n");
}

/* A tile missing below or before one that is stored: the stored tree's
   size says it must exist, so the tree is damaged from its first record.
   A tree that merely ends early (its upper tile says so too) lags the
   log and is not. */
static void test_verify_tree_tile_missing (void **state)
{
    (void)state;
    s_tampered (
        "below.db",
        "DELETE FROM merkle_tile"
        " WHERE level = 0 AND idx = 1",
        "first bad position 257: Merkle tree differs from the "
        "log: Merkle tile level 0 index 1 (positions 257 to 512) is missing "
        "but tile level 1 index 0 above it is stored\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 257 (tile level 0 index 1)\n");

    s_tampered (
        "before.db",
        "DELETE FROM merkle_tile"
        " WHERE level = 0 AND idx = 0",
        "first bad position 1: Merkle tree differs from the "
        "log: Merkle tile level 0 index 0 (positions 1 to 256) is missing "
        "but tile level 0 index 1 after it is stored\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 1 (tile level 0 index 0)\n");

    s_tampered (
        "upper.db", "DELETE FROM merkle_tile WHERE level = 1",
        "first bad position 1: Merkle tree differs from the "
        "log: Merkle tile level 1 index 0 is missing but the tiles below it "
        "are stored\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 1 (tile level 1 index 0)\n");

    /* The tree as it was at 256 records: behind the log, intact. */
    s_intact ("behind.db",
              "DELETE FROM merkle_tile WHERE level = 0 AND idx = 1;"
              " UPDATE merkle_tile SET hashes = substr(hashes, 1, 32)"
              " WHERE level = 1 AND idx = 0",
              256);
}

/* A tile stored where the log gives no hash: one past its last record
   (from the tile's first record), or an upper tile whose hashes claim
   subtrees its records cannot complete (from the position after the
   last). A stored tree that lags its log, ends on a tile's edge or
   leaves its partial last tile to the records is not. */
static void test_verify_tree_tile_beyond (void **state)
{
    (void)state;
    s_tampered (
        "level1.db", "INSERT INTO merkle_tile VALUES (1, 5, zeroblob(32))",
        "first bad position 327681: Merkle tree differs from the log: Merkle "
        "tile level 1 index 5 lies beyond the log\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 327681 (tile level 1 index 5)\n");

    s_tampered (
        "level2.db", "INSERT INTO merkle_tile VALUES (2, 3, zeroblob(64))",
        "first bad position 50331649: Merkle tree differs from the log: "
        "Merkle tile level 2 index 3 lies beyond the log\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 50331649 (tile level 2 index 3)\n");

    /* Level-2 tile 0 covers the log's records, but its hash is the root of
       65,536 of them. */
    s_tampered (
        "claims.db", "INSERT INTO merkle_tile VALUES (2, 0, zeroblob(32))",
        "first bad position 641: Merkle tree differs from the log: Merkle "
        "tile level 2 index 0 holds 1 hash, the log gives 0\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 641 (tile level 2 index 0, hash 0)\n");

    /* So in a tree that lags its log too. */
    s_tampered (
        "lagclaims.db",
        "DELETE FROM merkle_tile WHERE level = 0 AND idx = 1;"
        " UPDATE merkle_tile SET hashes = substr(hashes, 1, 32)"
        " WHERE level = 1 AND idx = 0;"
        " INSERT INTO merkle_tile VALUES (2, 0, zeroblob(32))",
        "first bad position 641: Merkle tree differs from the log: Merkle "
        "tile level 2 index 0 holds 1 hash, the log gives 0\n"
        "the chain is intact up to position 640, the log's head; the stored "
        "tree is wrong from position 641 (tile level 2 index 0, hash 0)\n");

    /* The log with its partial last tile of 128 records, never stored. */
    s_intact ("whole.db", "SELECT 1", 512);
    /* Cut on a tile's edge, 512 and 256 records: the tree a log of that
       size has. */
    s_intact ("edge512.db", "DELETE FROM log WHERE pos > 512", 512);
    s_intact ("edge256.db",
              "DELETE FROM log WHERE pos > 256;"
              " DELETE FROM merkle_tile WHERE level = 0 AND idx = 1;"
              " UPDATE merkle_tile SET hashes = substr(hashes, 1, 32)"
              " WHERE level = 1 AND idx = 0",
              256);
}

/* jejak-replay diff A B refuses with exit 3, printing nothing on stdout
   and exactly want (freed here) on stderr. */
static void s_diff_refused (const char *a, const char *b, char *want)
{
    char *argv[] = {"jejak-replay", "diff", (char *)a, (char *)b, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, WAIT_MS), 3);
    assert_string_equal (out, "");
    assert_string_equal (err, want);
    free (out);
    free (err);
    free (want);
}

/* diff given a file that holds no projections (a bare log, another
   SQLite file) names the file and why, exit 3, as for a file that is
   not a Jejak database. */
static void test_diff_no_projections (void **state)
{
    (void)state;
    char *bare = jk_sprintf ("%s/bare.db", s_dir);
    char why[256];
    jk_log_t *log = jk_log_open (bare, 0, why, sizeof why);
    assert_non_null (log);
    jk_log_close (&log);
    s_diff_refused (s_tree_db, bare,
                    jk_sprintf ("jejak-replay diff: %s has no projections (no "
                                "table assessment_assessors, and no "
                                "%s-projections beside it)\n",
                                bare, bare));

    /* A projections' file beside it that holds none either. */
    char *beside = jk_sprintf ("%s-projections", bare);
    jk_test_db_exec (beside, "CREATE TABLE t (x)");
    s_diff_refused (bare, s_tree_db,
                    jk_sprintf ("jejak-replay diff: %s has no projections (no "
                                "table assessment_assessors in it or in %s)\n",
                                bare, beside));

    /* Another program's database holding some of them only. */
    char *other = jk_sprintf ("%s/other.db", s_dir);
    jk_test_db_exec (other, "CREATE TABLE assessment_assessors (x)");
    s_diff_refused (other, s_tree_db,
                    jk_sprintf ("jejak-replay diff: %s has incomplete "
                                "projections (no table assessment_results)\n",
                                other));
    free (other);
    free (beside);
    free (bare);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_publish_instant),
        cmocka_unit_test (test_publish_speed_from_pos),
        cmocka_unit_test (test_publish_no_subscriber),
        cmocka_unit_test (test_publish_signal_while_waiting),
        cmocka_unit_test (test_publish_positions),
        cmocka_unit_test (test_verify_tree_hash_changed),
        cmocka_unit_test (test_verify_tree_tile_missing),
        cmocka_unit_test (test_verify_tree_tile_beyond),
        cmocka_unit_test (test_diff_no_projections),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
