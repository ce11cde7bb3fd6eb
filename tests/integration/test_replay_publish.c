/*  test_replay_publish.c - jejak-replay publish as a process: a SUB on the
    feed receives every stored record in order with consecutive positions,
    the broker's topics and the stored hashes, then a $head naming the
    last one; --speed paces by recorded_at; no subscriber means exit 4. */
#include "testsupport.h"

#include "../unit/replay/replay_workload.h"
#include "jk_replay.h"
#include "jk_wire.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#define WAIT_MS 20000

static char *s_dir;
static char *s_db;

static int s_setup (void **state)
{
    (void)state;
    s_dir = jk_test_tmpdir ("replay-publish");
    s_db = jk_sprintf ("%s/events.db", s_dir);
    rw_build (s_db, RW_BLOCK, NULL, NULL);
    return 0;
}

static int s_teardown (void **state)
{
    (void)state;
    free (s_db);
    jk_test_rmdir (&s_dir);
    return 0;
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
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_publish_instant),
        cmocka_unit_test (test_publish_speed_from_pos),
        cmocka_unit_test (test_publish_no_subscriber),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
