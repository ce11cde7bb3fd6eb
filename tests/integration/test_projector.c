/*  test_projector.c - the projections behind the ack, end to end with the
    real jejak-hub: killed (-9) during ingest, and in the middle of a
    projector transaction (JEJAK_FAULT=crash_in_projector), then restarted
    and stopped, the projections' canonical dump equals a rebuild of the
    log; the lag bound answers E_BUSY (the projector held back by a lock
    on its file) and nothing is logged until the projections move again;
    SNAPSHOT answers the projections' own position and the log's hash
    there. */
#include "test_broker_support.h"

#include "jk_projector.h"
#include "jk_rebuild.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define S_EVENTS 3000
#define S_BATCH  200

typedef struct {
    char *dir;
    char *ingest, *feed, *query, *db, *log;
    pid_t pid;
} s_fix_t;

/* Whether the log holds a start line beyond its first before bytes. */
static bool s_started (const char *log, size_t before)
{
    size_t size = 0;
    char *all = jk_test_slurp (log, &size);
    bool seen = all && size > before &&
                strstr (all + before, "jejak-hub ingest=") != NULL;
    free (all);
    return seen;
}

/* Starts jejak-hub with extra flags (NULL-terminated, may be none) and
   waits for its start line. */
static void s_start (s_fix_t *fx, const char *flag, const char *value)
{
    char *argv[] = {(char *)jk_test_program ("jejak-hub"),
                    "--db",
                    fx->db,
                    "--ingest",
                    fx->ingest,
                    "--feed",
                    fx->feed,
                    "--query",
                    fx->query,
                    (char *)flag,
                    (char *)value,
                    NULL};
    size_t before = 0;
    char *text = jk_test_slurp (fx->log, &before);
    free (text);
    fx->pid = jk_test_spawn (argv, fx->log);
    /* The start line (one after the log's size before) comes once the
       broker has heard the store. */
    assert_true (
        __extension__ JK_WAIT_FOR (s_started (fx->log, before), S_WAIT_MS));
}

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("projector");
    fx->ingest = jk_test_endpoint (fx->dir, "ingest");
    fx->feed = jk_test_endpoint (fx->dir, "feed");
    fx->query = jk_test_endpoint (fx->dir, "query");
    fx->db = jk_sprintf ("%s/events.db", fx->dir);
    fx->log = jk_sprintf ("%s/hub.log", fx->dir);
    *state = fx;
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    if (fx->pid > 0)
        jk_test_stop (fx->pid, SIGKILL, S_WAIT_MS);
    free (fx->ingest);
    free (fx->feed);
    free (fx->query);
    free (fx->db);
    free (fx->log);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

/* Stops the hub with SIGTERM: exit 0. */
static void s_stop (s_fix_t *fx)
{
    int status = jk_test_stop (fx->pid, SIGTERM, 30000);
    fx->pid = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

/* The hub's projections (once at its log's head) dump equal to a
   rebuild of its log, and hold count people. */
static void s_equal_to_rebuild (s_fix_t *fx, uint64_t count)
{
    sqlite3 *db = jk_test_projections (fx->db);
    char *live = jk_test_dump (db);
    sqlite3_close (db);
    char *out = jk_sprintf ("%s/rebuilt.db", fx->dir);
    jk_rebuild_result_t result;
    char err[256];
    assert_int_equal (
        jk_log_rebuild (fx->db, out, NULL, &result, err, sizeof err), JK_OK);
    assert_int_equal (result.records, count);
    db = jk_test_projections (out);
    char *rebuilt = jk_test_dump (db);
    sqlite3_close (db);
    assert_string_equal (live, rebuilt);
    assert_non_null (strstr (live, "# people ("));
    free (live);
    free (rebuilt);
    free (out);
}

/* Kills the hub (-9) after the fifth SUBMIT and starts it again. */
static void s_kill_hook (int submits, void *arg)
{
    s_fix_t *fx = arg;
    if (submits != 5)
        return;
    assert_int_equal (kill (fx->pid, SIGKILL), 0);
    int status;
    assert_int_equal (waitpid (fx->pid, &status, 0), fx->pid);
    assert_true (WIFSIGNALED (status));
    s_start (fx, NULL, NULL);
}

/* kill -9 during ingest: every event is answered once, and after a clean
   stop the projections equal a rebuild of the log. */
static void test_kill_during_ingest (void **state)
{
    s_fix_t *fx = *state;
    s_start (fx, NULL, NULL);
    s_client_t *c = s_client_new (fx->ingest, "32.03.10/kill-1", S_EVENTS, 1);
    s_client_deliver (c, S_BATCH, 120000, s_kill_hook, fx);
    s_client_check_positions (c, 1);
    s_client_destroy (&c);
    s_stop (fx);
    s_equal_to_rebuild (fx, S_EVENTS);
}

/* The projector's position and the log's head, from the files; the hash
   the projector keeps with its position is the log's at that position. */
static void s_positions (s_fix_t *fx, uint64_t *projected, uint64_t *head)
{
    sqlite3 *db = NULL;
    char err[256];
    db = jk_projections_open_read (fx->db, err, sizeof err);
    assert_non_null (db);
    uint8_t hash[32];
    assert_int_equal (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal (jk_projections_position (db, projected, hash), JK_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT coalesce (max (pos), 0)"
                                          " FROM log",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    *head = (uint64_t)sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    if (*projected > 0) {
        assert_int_equal (sqlite3_prepare_v2 (db,
                                              "SELECT hash FROM log"
                                              " WHERE pos = ?1",
                                              -1, &st, NULL),
                          SQLITE_OK);
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)*projected);
        assert_int_equal (sqlite3_step (st), SQLITE_ROW);
        assert_int_equal (sqlite3_column_bytes (st, 0), 32);
        assert_memory_equal (sqlite3_column_blob (st, 0), hash, 32);
        sqlite3_finalize (st);
    }
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (db);
}

/* Killed in the middle of a projector transaction (the fault seam exits
   87 after its second record, before COMMIT): the log kept every
   acknowledged event, the projections kept none of that transaction, and
   the next start catches them up to a dump equal to a rebuild. */
static void test_kill_in_projector_transaction (void **state)
{
    s_fix_t *fx = *state;
    setenv ("JEJAK_FAULT", "crash_in_projector", 1);
    s_start (fx, NULL, NULL);
    unsetenv ("JEJAK_FAULT");
    zsock_t *sock = jk_test_dealer (fx->ingest);
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    uint8_t *bytes[10];
    size_t sizes[10];
    for (int i = 0; i < 10; i++) {
        uint8_t id[16];
        bytes[i] = s_person ("32.03.10/crash-1", (uint64_t)i + 1, 100 + i,
                             i == 4, id, &sizes[i]);
        zmsg_addmem (msg, bytes[i], sizes[i]);
    }
    zmsg_send (&msg, sock);
    /* The hub dies by the seam: exit status 87. */
    int status = 0;
    assert_true (jk_test_wait_exit (fx->pid, &status, S_WAIT_MS));
    fx->pid = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 87);
    uint64_t projected, head;
    s_positions (fx, &projected, &head);
    assert_int_equal (head, 10);
    assert_int_equal (projected, 0);

    s_start (fx, NULL, NULL);
    s_positions (fx, &projected, &head);
    assert_int_equal (projected, 10); /* caught up before it took input */
    /* The same bytes again: DUPLICATE each, at positions 1..10. */
    zsock_destroy (&sock);
    sock = jk_test_dealer (fx->ingest);
    msg = jk_wire_new ("SUBMIT");
    for (int i = 0; i < 10; i++)
        zmsg_addmem (msg, bytes[i], sizes[i]);
    zmsg_send (&msg, sock);
    zmsg_t *reply = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    assert_int_equal (zmsg_size (reply), 10);
    int k = 0;
    for (zframe_t *f = zmsg_first (reply); f; f = zmsg_next (reply), k++) {
        jk_answer_t answer;
        assert_int_equal (
            jk_answer_decode (zframe_data (f), zframe_size (f), &answer), 0);
        assert_int_equal (answer.kind, JK_ANSWER_DUPLICATE);
        assert_int_equal (answer.pos, (uint64_t)k + 1);
        assert_string_equal (answer.code, k == 4 ? "E_NIK_DAY" : "");
    }
    zmsg_destroy (&reply);
    for (int i = 0; i < 10; i++)
        free (bytes[i]);
    zsock_destroy (&sock);
    s_stop (fx);
    s_equal_to_rebuild (fx, 10);
}

/* A STATS key's value from the query endpoint. */
static uint64_t s_stat (s_fix_t *fx, const char *key)
{
    return jk_test_stat (fx->query, key);
}

/* One SUBMIT of one event; its answer. */
static jk_answer_t s_submit_one (zsock_t *sock, uint64_t seq, int n)
{
    uint8_t id[16];
    size_t size;
    uint8_t *bytes = s_person ("32.03.10/busy-1", seq, n, false, id, &size);
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    zmsg_addmem (msg, bytes, size);
    zmsg_send (&msg, sock);
    free (bytes);
    zmsg_t *reply = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "ANSWER");
    assert_int_equal (zmsg_size (reply), 1);
    jk_answer_t answer;
    zframe_t *f = zmsg_first (reply);
    assert_int_equal (
        jk_answer_decode (zframe_data (f), zframe_size (f), &answer), 0);
    zmsg_destroy (&reply);
    return answer;
}

/* The lag bound: with the projector held back (a write lock on its
   file), the hub answers ACK until the projections are 5 records behind,
   then NACK E_BUSY (retryable) and logs nothing; released, they catch up
   and the same event is acknowledged at the next position. */
static void test_lag_bound_busy (void **state)
{
    s_fix_t *fx = *state;
    s_start (fx, "--projection-lag-max", "5");
    assert_int_equal (s_stat (fx, "projection_lag_bound"), 5);
    char *path = jk_projections_path (fx->db);
    sqlite3 *lock = NULL;
    assert_int_equal (sqlite3_open (path, &lock), SQLITE_OK);
    free (path);
    assert_int_equal (sqlite3_exec (lock, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                      SQLITE_OK);
    zsock_t *sock = jk_test_dealer (fx->ingest);
    for (int i = 1; i <= 5; i++) {
        jk_answer_t a = s_submit_one (sock, (uint64_t)i, 500 + i);
        assert_int_equal (a.kind, JK_ANSWER_ACK);
        assert_int_equal (a.pos, (uint64_t)i);
    }
    assert_true (__extension__ JK_WAIT_FOR (s_stat (fx, "projection_lag") == 5,
                                            S_WAIT_MS));
    assert_int_equal (s_stat (fx, "projected"), 0);
    jk_answer_t a = s_submit_one (sock, 6, 506);
    assert_int_equal (a.kind, JK_ANSWER_NACK);
    assert_string_equal (a.code, "E_BUSY");
    assert_true (jk_answer_retryable (&a));
    assert_non_null (strstr (a.message, "5 records behind"));
    assert_int_equal (s_stat (fx, "head"), 5);
    assert_int_equal (s_stat (fx, "busy"), 1);
    /* Held for a millisecond or more, the lag shows in ms too (STATS
       follows it every 20 ms while the projections stand behind). */
    assert_true (__extension__ JK_WAIT_FOR (
        s_stat (fx, "projection_lag_ms") > 0, S_WAIT_MS));

    assert_int_equal (sqlite3_exec (lock, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (lock);
    assert_true (__extension__ JK_WAIT_FOR (s_stat (fx, "projected") == 5,
                                            S_WAIT_MS * 2));
    assert_int_equal (s_stat (fx, "projection_lag"), 0);
    assert_int_equal (s_stat (fx, "projection_lag_ms"), 0);
    a = s_submit_one (sock, 6, 506);
    assert_int_equal (a.kind, JK_ANSWER_ACK);
    assert_int_equal (a.pos, 6);
    zsock_destroy (&sock);
    s_stop (fx);
    s_equal_to_rebuild (fx, 6);
}

/* SNAPSHOT is at the projections' own position P with the log's hash at
   P, even while HEAD is further on. */
static void test_snapshot_at_projected_position (void **state)
{
    s_fix_t *fx = *state;
    s_start (fx, NULL, NULL);
    s_client_t *c = s_client_new (fx->ingest, "32.03.10/snap-1", 40, 900);
    s_client_deliver (c, 20, 30000, NULL, NULL);
    s_client_destroy (&c);
    sqlite3_close (jk_test_projections (fx->db));
    /* Hold the projector back, then log 3 more. */
    char *path = jk_projections_path (fx->db);
    sqlite3 *lock = NULL;
    assert_int_equal (sqlite3_open (path, &lock), SQLITE_OK);
    free (path);
    assert_int_equal (sqlite3_exec (lock, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                      SQLITE_OK);
    zsock_t *sock = jk_test_dealer (fx->ingest);
    for (int i = 1; i <= 3; i++)
        assert_int_equal (s_submit_one (sock, (uint64_t)i, 950 + i).kind,
                          JK_ANSWER_ACK);
    uint8_t head_hash[32];
    assert_int_equal (s_query_head (fx->query, head_hash), 43);

    zsock_t *q = jk_test_dealer (fx->query);
    zmsg_t *msg = jk_wire_new ("SNAPSHOT");
    zmsg_addstr (msg, "");
    zmsg_send (&msg, q);
    zmsg_t *reply = jk_test_recv (q, S_WAIT_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "SNAPSHOT");
    uint64_t pos;
    assert_int_equal (jk_wire_pop_u64 (reply, &pos), 0);
    assert_int_equal (pos, 40);
    zframe_t *hash = zmsg_pop (reply);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (fx->db, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT hash FROM log WHERE pos = 40",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_memory_equal (zframe_data (hash), sqlite3_column_blob (st, 0), 32);
    sqlite3_finalize (st);
    sqlite3_close (db);
    zframe_destroy (&hash);
    zmsg_destroy (&reply);
    zsock_destroy (&q);
    assert_int_equal (sqlite3_exec (lock, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (lock);
    zsock_destroy (&sock);
    s_stop (fx);
    s_equal_to_rebuild (fx, 43);
}

int main (void)
{
    jk_test_require_program ("jejak-hub");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_kill_during_ingest, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_kill_in_projector_transaction,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lag_bound_busy, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_snapshot_at_projected_position,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
