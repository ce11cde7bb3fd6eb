/*  test_status.c - the status board against a real jejak-hub process:
    a late joiner while events flow, with feed records dropped on purpose,
    ends with the store's exact projections (canonical dump and SNAPSHOT
    at the same position, and SQL over the hub's own tables); the hub
    killed and restarted, the board recovers by itself; jejak-status
    --once --json prints the store's numbers, and --once without a store
    exits 1 with a clear message; bad flags are refused before anything
    binds or connects, in every mode. */
#include "jk_projections.h"
#include "jk_projector.h"
#include "jk_status.h"
#include "testsupport.h"

#include <signal.h>
#include <string.h>

/* The deadline of a wait for what must happen (a start, an answer, a
   stop): it only matters when it fails, so it leaves room for a
   sanitizer build on a slow, loaded machine. */
#define S_WAIT_MS 60000

typedef struct {
    char *dir, *db, *log;
    char *ingest, *feed, *query;
    pid_t hub;
    zsock_t *agent; /* DEALER submitting events */
    uint64_t seq;   /* last seq of our source */
    uint64_t accepted, rejected;
} s_env_t;

/* Starts the hub and waits for its start line, which comes once the
   broker has heard the store: HEAD is answered earlier (the query
   endpoint opens before the store's first PING), and a SUBMIT before
   that PING is answered E_UNAVAILABLE. */
static void s_hub_start (s_env_t *env)
{
    size_t before = jk_test_file_size (env->log);
    env->hub = jk_test_hub_spawn (env->db, env->ingest, env->feed, env->query,
                                  NULL, env->log);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (env->log, before, "jejak-hub ingest="),
        S_WAIT_MS));
}

/* Asks HEAD until the store answers; returns the head. */
static uint64_t s_head (s_env_t *env, int timeout_ms)
{
    zsock_t *query = zsock_new (ZMQ_DEALER);
    zsock_set_linger (query, 0);
    zsock_connect (query, "%s", env->query);
    zpoller_t *poller = zpoller_new (query, NULL);
    uint64_t head = UINT64_MAX;
    int64_t deadline = jk_clock_mono_ms () + timeout_ms;
    while (head == UINT64_MAX && jk_clock_mono_ms () < deadline) {
        zmsg_t *msg = jk_wire_new ("HEAD");
        zmsg_send (&msg, query);
        if (!zpoller_wait (poller, 200))
            continue;
        msg = zmsg_recv (query);
        char command[16];
        if (msg && jk_wire_open (msg, command, sizeof command) == 0 &&
            strcmp (command, "HEAD") == 0)
            jk_wire_pop_u64 (msg, &head);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&query);
    assert_true (head != UINT64_MAX);
    return head;
}

/* A valid person.registered; serial numbers make NIKs distinct, and a
   repeated serial is a duplicate the store rejects. */
static jk_event_t *s_person (s_env_t *env, unsigned serial)
{
    const jk_region_t *region = jk_region_default ();
    const char *kecamatan = NULL;
    const char *desa =
        jk_region_desa_at (region, serial % 50, NULL, &kecamatan);
    jk_event_t *event =
        jk_event_new (jk_vocabulary_find ("person.registered", 17));
    jk_event_set_source (event, "32.03.10/pacet-1");
    jk_event_set_actor (event, "operator-1");
    event->seq = ++env->seq;
    char nik[17], name[32];
    /* Born 1985-07-DD, male; serial 1..9999 in the last four digits. */
    snprintf (nik, sizeof nik, "320301%02u0785%04u", 1 + serial / 9999 % 28,
              1 + serial % 9999);
    snprintf (name, sizeof name, "Peserta %u", serial);
    jk_report_t report;
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (event, "nik", nik, &report), 0);
    assert_int_equal (jk_event_set (event, "name", name, &report), 0);
    assert_int_equal (jk_event_set (event, "sex", "L", &report), 0);
    char birth[11];
    snprintf (birth, sizeof birth, "1985-07-%02u", 1 + serial / 9999 % 28);
    assert_int_equal (jk_event_set (event, "birth_date", birth, &report), 0);
    assert_int_equal (jk_event_set (event, "desa_code", desa, &report), 0);
    return event;
}

/* Submits count events (serials first .. first+count-1, every 10th a
   duplicate of the one before) in SUBMITs of up to 100 and waits for
   every answer. */
static void s_submit (s_env_t *env, unsigned first, unsigned count)
{
    zpoller_t *poller = zpoller_new (env->agent, NULL);
    for (unsigned done = 0; done < count;) {
        unsigned n = count - done < 100 ? count - done : 100;
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        for (unsigned i = 0; i < n; i++) {
            unsigned serial = first + done + i;
            if (serial % 10 == 9)
                serial--; /* E_DUPLICATE_PERSON */
            jk_event_t *event = s_person (env, serial);
            size_t size;
            uint8_t *bytes = jk_event_encode (event, &size);
            zmsg_addmem (msg, bytes, size);
            free (bytes);
            jk_event_destroy (&event);
        }
        zmsg_send (&msg, env->agent);
        assert_non_null (zpoller_wait (poller, S_WAIT_MS));
        msg = zmsg_recv (env->agent);
        char command[16];
        assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
        assert_string_equal (command, "ANSWER");
        assert_int_equal (zmsg_size (msg), n);
        for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
            jk_answer_t answer;
            assert_int_equal (
                jk_answer_decode (zframe_data (f), zframe_size (f), &answer),
                0);
            if (answer.kind == JK_ANSWER_ACK)
                env->accepted++;
            else {
                assert_int_equal (answer.kind, JK_ANSWER_REJECTED);
                assert_string_equal (answer.code, "E_DUPLICATE_PERSON");
                env->rejected++;
            }
        }
        zmsg_destroy (&msg);
        done += n;
    }
    zpoller_destroy (&poller);
}

static int s_setup (void **state)
{
    s_env_t *env = jk_calloc (1, sizeof *env);
    env->dir = jk_test_tmpdir ("status-it");
    env->db = jk_sprintf ("%s/events.db", env->dir);
    env->log = jk_sprintf ("%s/hub.log", env->dir);
    env->ingest = jk_test_endpoint (env->dir, "ingest");
    env->feed = jk_test_endpoint (env->dir, "feed");
    env->query = jk_test_endpoint (env->dir, "query");
    s_hub_start (env);
    s_head (env, S_WAIT_MS);
    env->agent = zsock_new (ZMQ_DEALER);
    zsock_set_linger (env->agent, 0);
    assert_int_equal (zsock_connect (env->agent, "%s", env->ingest), 0);
    *state = env;
    return 0;
}

static int s_teardown (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    zsock_destroy (&env->agent);
    if (env->hub > 0)
        jk_test_stop (env->hub, SIGTERM, S_WAIT_MS);
    free (env->db);
    free (env->log);
    free (env->ingest);
    free (env->feed);
    free (env->query);
    jk_test_rmdir (&env->dir);
    free (env);
    return 0;
}

/* Keeps both dumps for a reader when they differ (JEJAK_TEST_KEEP). */
static void s_save_if_differs (const char *board, const char *store)
{
    if (strcmp (board, store) == 0 || !getenv ("JEJAK_TEST_KEEP"))
        return;
    FILE *f = fopen ("/tmp/status-board.dump", "w");
    fputs (board, f);
    fclose (f);
    f = fopen ("/tmp/status-store.dump", "w");
    fputs (store, f);
    fclose (f);
}

/* The store's SNAPSHOT map for a day, and its position. */
static zframe_t *s_store_snapshot (s_env_t *env, const char *day, uint64_t *pos)
{
    zsock_t *query = zsock_new (ZMQ_DEALER);
    zsock_set_linger (query, 0);
    zsock_connect (query, "%s", env->query);
    zmsg_t *msg = jk_wire_new ("SNAPSHOT");
    zmsg_addstr (msg, day);
    zmsg_send (&msg, query);
    zpoller_t *poller = zpoller_new (query, NULL);
    assert_non_null (zpoller_wait (poller, S_WAIT_MS));
    msg = zmsg_recv (query);
    char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    assert_string_equal (command, "SNAPSHOT");
    assert_int_equal (jk_wire_pop_u64 (msg, pos), 0);
    zframe_t *hash = zmsg_pop (msg);
    zframe_destroy (&hash);
    zframe_t *snapshot = zmsg_pop (msg);
    zmsg_destroy (&msg);
    zpoller_destroy (&poller);
    zsock_destroy (&query);
    return snapshot;
}

/* SELECT count(*) over the hub's own database, opened read-only. */
static int64_t s_sql_count (s_env_t *env, const char *sql)
{
    sqlite3 *db = jk_test_projections (env->db);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int64_t n = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return n;
}

/* The replica holds the store's projections, byte for byte in their
   canonical dump (both kept for a reader when they differ). */
static void s_assert_store_equal (s_env_t *env, jk_replica_t *replica)
{
    sqlite3 *hub_db = jk_test_projections (env->db);
    char *store_dump = jk_test_dump (hub_db);
    char *board_dump = jk_test_dump (jk_replica_db (replica));
    sqlite3_close (hub_db);
    s_save_if_differs (board_dump, store_dump);
    assert_string_equal (board_dump, store_dump);
    free (store_dump);
    free (board_dump);
}

/* Polls the board until it is live at the store's head. */
static bool s_board_settle (jk_board_t *board, s_env_t *env, int timeout_ms)
{
    uint64_t head = s_head (env, timeout_ms);
    return JK_WAIT_FOR (
        (jk_board_poll (board, 20), jk_board_state (board) == JK_BOARD_LIVE &&
                                        jk_board_pos (board) == head),
        timeout_ms);
}

/* Late join by state: the board loads the store's projections at their
   position P (STATE), held at 500 while the log is at 550, then catches
   up from P with SINCE (exactly the 50 records after P, not the 550 from
   position 1), and ends with the store's tables byte for byte. */
static void test_late_join_by_state (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_submit (env, 0, 500);
    sqlite3_close (jk_test_projections (env->db));
    char *path = jk_projections_path (env->db);
    sqlite3 *lock = NULL;
    assert_int_equal (sqlite3_open (path, &lock), SQLITE_OK);
    free (path);
    assert_int_equal (sqlite3_exec (lock, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                      SQLITE_OK);
    s_submit (env, 500, 50);

    char err[256] = "";
    jk_replica_t *replica = jk_replica_new (err, sizeof err);
    assert_non_null (replica);
    jk_board_sink_t sink = jk_replica_sink (replica);
    jk_board_config_t config = {.feed = env->feed, .query = env->query};
    jk_board_t *board = jk_board_new (&config, &sink);
    assert_non_null (board);
    assert_true (s_board_settle (board, env, S_WAIT_MS));
    assert_int_equal (jk_board_pos (board), 550);
    const jk_board_stats_t *stats = jk_board_stats (board);
    assert_int_equal (stats->state_loads, 1);
    assert_true (stats->state_bytes > 4096);
    assert_int_equal (stats->catchup_records, 50);
    assert_int_equal (stats->applied, 50);
    assert_int_equal (sqlite3_exec (lock, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (lock);

    s_assert_store_equal (env, replica);
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);
}

/* Late join while events flow, every 7th feed record dropped: the board
   ends with the store's projections, byte for byte. */
static void test_late_joiner_with_drops_matches_store (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_submit (env, 0, 500);
    char err[256] = "";
    jk_replica_t *replica = jk_replica_new (err, sizeof err);
    assert_non_null (replica);
    jk_board_sink_t sink = jk_replica_sink (replica);
    jk_board_config_t config = {
        .feed = env->feed, .query = env->query, .credit = 100, .drop_every = 7};
    jk_board_t *board = jk_board_new (&config, &sink);
    assert_non_null (board);
    for (unsigned round = 0; round < 15; round++) {
        s_submit (env, 500 + round * 100, 100);
        jk_board_poll (board, 0);
    }
    assert_true (s_board_settle (board, env, S_WAIT_MS));
    assert_int_equal (jk_board_pos (board), 2000);
    /* Live now: more records, every 7th of them dropped on arrival, so
       the board meets gaps in live mode (not only inside the catch-up,
       where a dropped record may simply be superseded) and must catch up
       to stay right. */
    s_submit (env, 2000, 100);
    assert_true (s_board_settle (board, env, S_WAIT_MS));
    assert_int_equal (env->accepted + env->rejected, 2100);
    assert_int_equal (jk_board_pos (board), 2100);
    assert_true (jk_board_stats (board)->test_dropped > 0);
    assert_true (jk_board_stats (board)->gaps > 0);

    /* Same tables as the store's, row for row. */
    s_assert_store_equal (env, replica);

    /* Same snapshot as the store answers at the same position. */
    uint64_t pos = 0;
    zframe_t *store = s_store_snapshot (env, "2022-10-14", &pos);
    assert_int_equal (pos, 2100);
    int32_t day = jk_days_from_civil (2022, 10, 14);
    size_t size = 0;
    uint8_t *mine = jk_replica_snapshot (replica, day, &size);
    assert_non_null (mine);
    assert_int_equal (size, zframe_size (store));
    assert_memory_equal (mine, zframe_data (store), size);
    free (mine);
    zframe_destroy (&store);

    /* And the numbers are what SQL over the hub's tables says. */
    assert_int_equal (s_sql_count (env, "SELECT count(*) FROM people"),
                      (int64_t)env->accepted);
    assert_int_equal (s_sql_count (env, "SELECT count(*) FROM rejections"),
                      (int64_t)env->rejected);
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2 (jk_replica_db (replica), "SELECT count(*) FROM people",
                        -1, &stmt, NULL);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int64 (stmt, 0), (int64_t)env->accepted);
    sqlite3_finalize (stmt);
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);
}

/* The board's note as jejak-status shows it: the JSON document (the
   Indonesian text, the code and its arguments) and the terminal's
   header (Indonesian, then English). The board's note is feed_silent. */
static void s_assert_note_shown (jk_board_t *board, jk_replica_t *replica)
{
    size_t size = 0;
    uint8_t *snapshot =
        jk_replica_snapshot (replica, jk_days_from_civil (2022, 10, 14), &size);
    assert_non_null (snapshot);
    jk_status_view_t view = {.snapshot = snapshot,
                             .snapshot_size = size,
                             .state = "live",
                             .note = jk_board_note (board),
                             .pos = jk_board_pos (board),
                             .hash = jk_board_hash (board),
                             .head = jk_board_head (board)};
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    assert_int_equal (jk_render_json (out, &view), 0);
    fclose (out);
    assert_non_null (strstr (
        text, ",\"note\":\"feed terputus 3 dtk (broker mati?): berlangganan "
              "ulang, mengejar dari store\",\"note_code\":\"feed_silent\","
              "\"note_args\":{\"seconds\":\"3\"},\"pos\":"));
    free (text);
    out = open_memstream (&text, &len);
    assert_true (jk_render_term (out, &view, false) >= 1);
    fclose (out);
    assert_non_null (strstr (
        text, "\n! feed terputus 3 dtk (broker mati?): berlangganan ulang, "
              "mengejar dari store\n  / no feed for 3 s (broker down?): "
              "re-subscribed, catching up from the store\n"));
    free (text);
    free (snapshot);
}

/* The hub is killed and restarted: the board says so and recovers. */
static void test_hub_restart_recovers (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_submit (env, 0, 200);
    char err[256] = "";
    jk_replica_t *replica = jk_replica_new (err, sizeof err);
    jk_board_sink_t sink = jk_replica_sink (replica);
    jk_board_config_t config = {.feed = env->feed, .query = env->query};
    jk_board_t *board = jk_board_new (&config, &sink);
    assert_true (s_board_settle (board, env, S_WAIT_MS));
    assert_int_equal (jk_board_pos (board), 200);

    jk_test_stop (env->hub, SIGKILL, S_WAIT_MS);
    env->hub = 0;
    JK_WAIT_FOR ((jk_board_poll (board, 50), jk_board_feed_silent (board)),
                 S_WAIT_MS);
    assert_true (jk_board_feed_silent (board));
    const jk_status_note_t *note = jk_board_note (board);
    assert_string_equal (note->code, "feed_silent");
    assert_string_equal (note->args[0], "3");
    s_assert_note_shown (board, replica);

    s_hub_start (env);
    s_head (env, S_WAIT_MS);
    /* The agent's socket reconnects by itself; submit more. */
    s_submit (env, 200, 100);
    assert_true (s_board_settle (board, env, S_WAIT_MS));
    assert_int_equal (jk_board_pos (board), 300);
    /* The new broker's first $head clears the silence. */
    JK_WAIT_FOR ((jk_board_poll (board, 50), !jk_board_feed_silent (board)),
                 S_WAIT_MS);
    assert_false (jk_board_feed_silent (board));
    assert_true (jk_board_stats (board)->feed_reconnects >= 1);
    assert_int_equal (jk_board_stats (board)->resets, 0);

    s_assert_store_equal (env, replica);
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);
}

/* The hub is killed in the middle of a state transfer (STATE in 4 KiB
   messages, one at a time; the hub restarted with JEJAK_FAULT=
   state_stalled sends the first piece and no more, so the transfer
   cannot end before the kill however fast the machine) and restarted
   without the fault: the board asks again, loads the whole state once,
   and ends with the store's tables. */
static void test_state_transfer_hub_restart (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_submit (env, 0, 300);
    s_head (env, S_WAIT_MS);
    jk_test_stop (env->hub, SIGTERM, S_WAIT_MS);
    setenv ("JEJAK_FAULT", "state_stalled", 1);
    s_hub_start (env);
    unsetenv ("JEJAK_FAULT");
    char err[256] = "";
    jk_replica_t *replica = jk_replica_new (err, sizeof err);
    jk_board_sink_t sink = jk_replica_sink (replica);
    jk_board_config_t config = {.feed = env->feed,
                                .query = env->query,
                                .state_chunk = 4096,
                                .state_credit = 1,
                                .query_silence_ms = 1000};
    jk_board_t *board = jk_board_new (&config, &sink);
    const jk_board_stats_t *stats = jk_board_stats (board);
    JK_WAIT_FOR ((jk_board_poll (board, 50), stats->state_received > 0),
                 S_WAIT_MS);
    assert_int_equal (stats->state_received, 4096);
    assert_int_equal (stats->state_loads, 0);

    jk_test_stop (env->hub, SIGKILL, S_WAIT_MS);
    env->hub = 0;
    JK_WAIT_FOR ((jk_board_poll (board, 50), jk_board_store_silent (board)),
                 S_WAIT_MS);
    assert_true (jk_board_store_silent (board));
    assert_int_equal (stats->state_loads, 0);

    s_hub_start (env);
    s_head (env, S_WAIT_MS);
    s_submit (env, 300, 20);
    assert_true (s_board_settle (board, env, S_WAIT_MS));
    assert_int_equal (jk_board_pos (board), 320);
    assert_int_equal (stats->state_loads, 1);
    assert_true (stats->state_asked >= 2);
    assert_true (stats->state_received > stats->state_bytes);
    assert_int_equal (stats->resets, 0);

    s_assert_store_equal (env, replica);
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);
}

/* A state streamed in 4 KiB pieces, one at a time, while the store
   keeps logging and projecting (20 events between the board's polls):
   the pieces come from the read transaction that holds P, so the board
   loads the projections at P, catches up from P and ends with the
   store's tables. (storage_test_query's test_state_at_p forces the
   overlap.) */
static void test_state_transfer_while_projecting (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_submit (env, 0, 300);
    char err[256] = "";
    jk_replica_t *replica = jk_replica_new (err, sizeof err);
    jk_board_sink_t sink = jk_replica_sink (replica);
    jk_board_config_t config = {.feed = env->feed,
                                .query = env->query,
                                .state_chunk = 4096,
                                .state_credit = 1};
    jk_board_t *board = jk_board_new (&config, &sink);
    const jk_board_stats_t *stats = jk_board_stats (board);
    unsigned sent = 300;
    while (stats->state_loads == 0 && sent < 2000) {
        jk_board_poll (board, 0);
        s_submit (env, sent, 20);
        sent += 20;
    }
    assert_int_equal (stats->state_loads, 1);
    assert_true (stats->state_received >= 3 * 4096);
    assert_true (s_board_settle (board, env, S_WAIT_MS));
    assert_int_equal (jk_board_pos (board), sent);
    assert_int_equal (stats->resets, 0);
    s_assert_store_equal (env, replica);
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);
}

/* The program: --once --json prints the store's numbers at its head. */
static void test_program_once_json (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    s_submit (env, 0, 50);
    char *argv[] = {"jejak-status", "--once",  "--json",     "--query",
                    env->query,     "--as-of", "2022-10-14", NULL};
    char *out = NULL, *errors = NULL;
    assert_int_equal (jk_test_run (argv, &out, &errors, S_WAIT_MS), 0);
    char expect[128];
    snprintf (expect, sizeof expect, "\"pos\":%llu,",
              (unsigned long long)(env->accepted + env->rejected));
    assert_non_null (strstr (out, "{\"state\":\"snapshot\""));
    assert_non_null (strstr (out, expect));
    snprintf (expect, sizeof expect, "\"people\":%llu,",
              (unsigned long long)env->accepted);
    assert_non_null (strstr (out, expect));
    snprintf (expect, sizeof expect, "\"rejections\":%llu,",
              (unsigned long long)env->rejected);
    assert_non_null (strstr (out, expect));
    assert_null (strstr (out, "320301010785")); /* no NIK in clear */
    free (out);
    free (errors);
    /* A day before 1970 is that day, not today. */
    char *argv_old[] = {"jejak-status", "--once",  "--json",     "--query",
                        env->query,     "--as-of", "31/12/1969", NULL};
    assert_int_equal (jk_test_run (argv_old, &out, &errors, S_WAIT_MS), 0);
    assert_non_null (strstr (out, "\"as_of\":\"1969-12-31\""));
    free (out);
    free (errors);
    /* The forms the agents accept (one parser): a one-digit day or month,
       "-" or "." for "/"; not a two-digit year. */
    static const char *const forms[] = {"6/10/2022", "6-10-2022", "6.10.2022",
                                        "06/10/2022"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        argv_old[6] = (char *)forms[i];
        int rc = jk_test_run (argv_old, &out, &errors, S_WAIT_MS);
        if (rc != 0 || !strstr (out, "\"as_of\":\"2022-10-06\""))
            fail_msg ("--as-of %s: exit %d, stderr %s", forms[i], rc, errors);
        free (out);
        free (errors);
    }
    argv_old[6] = "1/1/20";
    assert_int_equal (jk_test_run (argv_old, &out, &errors, S_WAIT_MS), 2);
    assert_string_equal (errors,
                         "jejak-status: --as-of must be a date dd/mm/yyyy, "
                         "dd-mm-yyyy or dd.mm.yyyy (day and month of 1 or 2 "
                         "digits, a 4-digit year) or yyyy-mm-dd, got "
                         "'1/1/20'\n");
    free (out);
    free (errors);

    /* The terminal form, plain text when not on a terminal. */
    char *argv2[] = {"jejak-status", "--once",   "--query", env->query,
                     "--kecamatan",  "32.03.10", NULL};
    assert_int_equal (jk_test_run (argv2, &out, &errors, S_WAIT_MS), 0);
    assert_null (strchr (out, '\033'));
    assert_non_null (strstr (out, "KANTOR / offices"));
    assert_non_null (strstr (out, "32.03.10/pacet-1"));
    free (out);
    free (errors);

    /* --page 1: one page of the real program's screen, 80 x 24. */
    char *argv3[] = {"jejak-status", "--once", "--query", env->query,
                     "--page",       "1",      NULL};
    assert_int_equal (jk_test_run (argv3, &out, &errors, S_WAIT_MS), 0);
    int lines = 0;
    for (char *line = out; *line; lines++) {
        char *end = strchr (line, '\n');
        assert_non_null (end);
        int chars = 0;
        for (char *c = line; c < end; c++)
            chars += ((unsigned char)*c & 0xC0) != 0x80;
        assert_true (chars <= 80);
        line = end + 1;
    }
    assert_int_equal (lines, 24);
    assert_non_null (strstr (out, "\n-- halaman / page 1/"));
    assert_null (strstr (out, "halaman / page 2/"));
    free (out);
    free (errors);

    /* --active-rule with --once: the store computes with that rule. */
    char *argv4[] = {"jejak-status",
                     "--once",
                     "--json",
                     "--query",
                     env->query,
                     "--active-rule",
                     "years=3,quorum=required",
                     NULL};
    assert_int_equal (jk_test_run (argv4, &out, &errors, S_WAIT_MS), 0);
    assert_non_null (strstr (out, "\"spec\":\"years=3,deadline-months=6,"
                                  "grace-days=0,quorum=required\""));
    free (out);
    free (errors);
}

/* Runs argv: exit 0; its standard output (free it). */
static char *s_output (char **argv)
{
    char *out = NULL, *errors = NULL;
    int rc = jk_test_run (argv, &out, &errors, S_WAIT_MS);
    if (rc != 0)
        fail_msg ("%s %s: exit %d: %s", argv[0], argv[1], rc, errors);
    free (errors);
    return out;
}

/* Stored text with control characters (EVENTS.md allows any UTF-8 but
   NUL), registered through jejak-registration: the terminal board shows
   each as its visible escape (\x1b), JSON escapes them (\u001b, C1 too),
   and the reports carry them as stored: XLSX as the escape _x001B_
   (valid XML, which a reader other than libxlsxwriter's opens), and
   text that looks like such an escape with its underscore escaped
   (_x005F_x0041_), so that Excel reads back the stored text; CSV and
   HTML the bytes themselves (STATUS.md, REPORTS.md). */
#define S_ESCAPES "_x0041_ a_x001B_b\x1b _x0042\x07 _x005F_x0043_"
static void test_control_characters (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    char *outbox = jk_sprintf ("%s/outbox-control.db", env->dir);
    /* U+FFFF: no control character, but a character XML 1.0 forbids;
       the fourth: text that an XLSX reader would take for escapes. */
    static const char *const titles[] = {"\x1b[31mX\x07",
                                         "Z\xc2\x9b"
                                         "2J\n!",
                                         "a\xef\xbf\xbf"
                                         "b",
                                         S_ESCAPES};
    static const char *const codes[] = {"CTL-2022-01", "CTL-2022-02",
                                        "CTL-2022-03", "CTL-2022-04"};
    for (size_t i = 0; i < 4; i++) {
        char *argv[] = {"jejak-registration",
                        "--source",
                        "32.03.10/pacet-9",
                        "--outbox",
                        outbox,
                        "--broker",
                        env->ingest,
                        "--wait",
                        "20",
                        "batch",
                        "--batch",
                        (char *)codes[i],
                        "--title",
                        (char *)titles[i],
                        "--funding",
                        "DAK_NF_PK2UMK",
                        "--budget-year",
                        "2022",
                        "--venue",
                        "Aula",
                        "--venue-desa-code",
                        "32.03.10.2012",
                        "--start-date",
                        "2022-10-03",
                        "--end-date",
                        "2022-10-07",
                        NULL};
        free (s_output (argv));
    }
    char *board[] = {"jejak-status", "--once",   "--query",
                     env->query,     "--as-of",  "2022-10-04",
                     "--kecamatan",  "32.03.10", NULL};
    char *out = s_output (board);
    static const char *const lines[] = {
        "\nCTL-2022-01        \\x1b[31mX\\x07   03/10..07/10       0      0  "
        "   0,0 %\n",
        "\nCTL-2022-02        Z\\x9b2J\\x0a!    03/10..07/10       0      0  "
        "   0,0 %\n"};
    for (size_t i = 0; i < 2; i++)
        if (!strstr (out, lines[i]))
            fail_msg ("no line\n%s\nin\n%s", lines[i], out);
    assert_null (strchr (out, '\033'));
    assert_null (strchr (out, '\a'));
    assert_null (strstr (out, "\xc2\x9b"));
    free (out);
    char *json[] = {"jejak-status", "--once",  "--json",     "--query",
                    env->query,     "--as-of", "2022-10-04", NULL};
    out = s_output (json);
    assert_non_null (strstr (out, "\"title\":\"\\u001b[31mX\\u0007\""));
    assert_non_null (strstr (out, "\"title\":\"Z\\u009b2J\\n!\""));
    free (out);

    /* The reports: as stored, each format in its own way; in XLSX
       U+FFFE and U+FFFF as U+FFFD, so that the file is XML, and the
       rest as Excel reads it back (--excel: the escapes undone; --raw:
       as the file holds it, tests/support/xlsx_dump.py). */
    static const struct {
        const char *batch, *format, *dump, *holds;
    } cases[] = {
        {"CTL-2022-01", "csv", NULL,
         "\r\nDaftar peserta DAK CTL-2022-01 - \x1b[31mX\x07\r\n"},
        {"CTL-2022-01", "html", NULL,
         "<h2>Daftar peserta DAK CTL-2022-01 - \x1b[31mX\x07</h2>"},
        {"CTL-2022-01", "xlsx", NULL,
         "Daftar peserta DAK CTL-2022-01 - _x001B_[31mX_x0007_\n"},
        {"CTL-2022-01", "xlsx", "--excel",
         "Daftar peserta DAK CTL-2022-01 - \x1b[31mX\x07\n"},
        {"CTL-2022-03", "xlsx", NULL,
         "Daftar peserta DAK CTL-2022-03 - a\xef\xbf\xbd"
         "b\n"},
        {"CTL-2022-04", "csv", NULL,
         "\r\nDaftar peserta DAK CTL-2022-04 - " S_ESCAPES "\r\n"},
        {"CTL-2022-04", "html", NULL,
         "<h2>Daftar peserta DAK CTL-2022-04 - " S_ESCAPES "</h2>"},
        {"CTL-2022-04", "xlsx", "--raw",
         "Daftar peserta DAK CTL-2022-04 - _x005F_x0041_ a_x005F_x001B_b"
         "_x001B_ _x005F_x0042_x0007_ _x005F_x005F_x005F_x0043_\n"},
        {"CTL-2022-04", "xlsx", "--excel",
         "Daftar peserta DAK CTL-2022-04 - " S_ESCAPES "\n"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *path = jk_sprintf ("%s/dak-%zu.%s", env->dir, c, cases[c].format);
        char *report[] = {"jejak-report",
                          "dak",
                          "--db",
                          env->db,
                          "--as-of",
                          "2022-10-04",
                          "--batch",
                          (char *)cases[c].batch,
                          "--format",
                          (char *)cases[c].format,
                          "--out",
                          path,
                          NULL};
        free (s_output (report));
        char *script =
            jk_sprintf ("%s/tests/support/xlsx_dump.py", JEJAK_SOURCE_DIR);
        char *dump[] = {"/usr/bin/python3", script, path, NULL, NULL};
        if (cases[c].dump) {
            dump[2] = (char *)cases[c].dump;
            dump[3] = path;
        }
        bool xlsx = strcmp (cases[c].format, "xlsx") == 0;
        char *text = xlsx ? s_output (dump) : jk_test_slurp (path, NULL);
        if (!text || !strstr (text, cases[c].holds))
            fail_msg ("%s: no '%s' in\n%s", cases[c].format, cases[c].holds,
                      text);
        free (text);
        free (script);
        free (path);
    }
    /* jejak-replay diff prints rows with their control characters
       escaped: the canonical dump's \x1b, a C1 control as its two bytes. */
    char *copy = jk_sprintf ("%s/copy.db", env->dir);
    char *backup[] = {"jejak-replay", "backup", env->db, "--out", copy, NULL};
    free (s_output (backup));
    char *projections = jk_sprintf ("%s-projections", copy);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (projections, &db), SQLITE_OK);
    free (projections);
    assert_int_equal (sqlite3_exec (db,
                                    "UPDATE batches SET title = 'T'"
                                    " WHERE batch LIKE 'CTL-%'",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    char *diff[] = {"jejak-replay", "diff", env->db, copy, NULL};
    char *errors = NULL;
    assert_int_equal (jk_test_run (diff, &out, &errors, S_WAIT_MS), 1);
    static const char *const rows[] = {
        "\n-\"CTL-2022-01\"|\"\\x1b[31mX\\x07\"|",
        "\n-\"CTL-2022-02\"|\"Z\\xc2\\x9b2J\\n!\"|",
        "\n+\"CTL-2022-02\"|\"T\"|"};
    for (size_t i = 0; i < 3; i++)
        if (!strstr (out, rows[i]))
            fail_msg ("no '%s' in\n%s", rows[i], out);
    assert_null (strchr (out, '\033'));
    assert_null (strstr (out, "\xc2\x9b"));
    free (out);
    free (errors);
    free (copy);
    free (outbox);
}

/* No store: exit 1 with a message naming the endpoint; bad flags: 2. */
static void test_program_errors (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    char *nowhere = jk_test_endpoint (env->dir, "nobody");
    char *argv[] = {"jejak-status", "--once", "--query", nowhere,
                    "--timeout",    "1",      NULL};
    char *out = NULL, *errors = NULL;
    assert_int_equal (jk_test_run (argv, &out, &errors, S_WAIT_MS), 1);
    assert_non_null (strstr (errors, "did not answer"));
    assert_non_null (strstr (errors, nowhere));
    free (out);
    free (errors);
    char *argv2[] = {"jejak-status", "--once", "--as-of", "2022-13-01", NULL};
    assert_int_equal (jk_test_run (argv2, &out, &errors, S_WAIT_MS), 2);
    assert_non_null (strstr (errors, "--as-of"));
    free (out);
    free (errors);
    char *argv3[] = {"jejak-status", "--kecamatan", "99.99.99", NULL};
    assert_int_equal (jk_test_run (argv3, &out, &errors, S_WAIT_MS), 2);
    assert_non_null (strstr (errors, "--kecamatan"));
    free (out);
    free (errors);
    free (nowhere);
}

/* STATUS.md: --broker-key/--key and --link-server-key/--link-key go in
   pairs, each file readable, and a malformed endpoint is a usage error
   whichever flag gives it: exit 2 at start, nothing connected. */
static void test_program_keys (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    char *nowhere = jk_test_endpoint (env->dir, "nobody");
    char *missing = jk_sprintf ("%s/missing.key", env->dir);
    const char *pair_broker =
        "jejak-status: --broker-key and --key go together (CURVE needs the "
        "hub's public certificate and this board's secret one)\n";
    const char *pair_link =
        "jejak-status: --link-server-key and --link-key go together (CURVE "
        "needs the receiver's public certificate and this board's link "
        "secret one)\n";
    char *unreadable = jk_sprintf (
        "jejak-status: --broker-key %s: not a readable certificate (the "
        "hub's broker.pub of jejak-keys init)\n",
        missing);
    char *unreadable_link = jk_sprintf (
        "jejak-status: --link-server-key %s: not a readable certificate (the "
        "receiver's public certificate)\n",
        missing);
    struct {
        const char *flag, *value, *flag2;
        const char *want;
    } cases[] = {
        {"--key", missing, NULL, pair_broker},
        {"--broker-key", missing, NULL, pair_broker},
        {"--link-key", missing, NULL, pair_link},
        {"--link-server-key", missing, NULL, pair_link},
        {"--broker-key", missing, "--key", unreadable},
        {"--link-server-key", missing, "--link-key", unreadable_link},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *argv[] = {"jejak-status",
                        "--once",
                        "--timeout",
                        "1",
                        "--query",
                        nowhere,
                        "--feed",
                        nowhere,
                        (char *)cases[i].flag,
                        (char *)cases[i].value,
                        (char *)(cases[i].flag2 ? cases[i].flag2 : "--once"),
                        (char *)(cases[i].flag2 ? cases[i].value : NULL),
                        NULL};
        char *out = NULL, *errors = NULL;
        assert_int_equal (jk_test_run (argv, &out, &errors, S_WAIT_MS), 2);
        assert_string_equal (errors, cases[i].want);
        assert_string_equal (out, "");
        free (out);
        free (errors);
    }
    /* A malformed endpoint: the same exit 2 for each of the three. */
    const char *flags[] = {"--query", "--feed", "--link"};
    for (size_t i = 0; i < 3; i++) {
        char *argv[] = {"jejak-status",   "--once", "--timeout", "1",
                        (char *)flags[i], "bogus",  NULL};
        char *out = NULL, *errors = NULL;
        assert_int_equal (jk_test_run (argv, &out, &errors, S_WAIT_MS), 2);
        char *want = jk_sprintf ("jejak-status: %s 'bogus':", flags[i]);
        assert_memory_equal (errors, want, strlen (want));
        free (want);
        free (out);
        free (errors);
    }
    free (unreadable);
    free (unreadable_link);
    free (missing);
    free (nowhere);
}

/* Runs argv: its exit status; stdout empty and stderr exactly want. */
static void s_refused (char **argv, int status, const char *want)
{
    char *out = NULL, *errors = NULL;
    int rc = jk_test_run (argv, &out, &errors, S_WAIT_MS);
    if (rc != status || strcmp (errors, want) != 0 || strcmp (out, "") != 0)
        fail_msg ("%s: exit %d (want %d), stdout '%s', stderr '%s' (want "
                  "'%s')",
                  argv[1], rc, status, out, errors, want);
    free (out);
    free (errors);
}

/* STATUS.md: every flag is checked before anything binds or connects,
   whatever the mode. A --log-key that is not a verifier key is exit 2
   with --once (which does not use it; the store here answers) and
   --clear-fork as on the live board, whose --http page is then never
   bound (no "jejak-status http=" line, which scripts take for "the
   board is up"); a --checkpoint-file the live board cannot use (exit 1)
   is said before the page binds too. */
static void test_program_flags_first (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    const char *bogus =
        "jejak-status: --log-key: verifier key 'bogus' is neither a file "
        "that can be read nor a key NAME+KEYID+KEY\n";
    char *once[] = {"jejak-status", "--once", "--query", env->query,
                    "--log-key",    "bogus",  NULL};
    s_refused (once, 2, bogus);
    char *held = jk_sprintf ("%s/held.note", env->dir);
    char *clear[] = {"jejak-status",
                     "--clear-fork",
                     "--checkpoint-file",
                     held,
                     "--log-key",
                     "bogus",
                     NULL};
    s_refused (clear, 2, bogus);
    char *live[] = {"jejak-status", "--http",   "127.0.0.1:0", "--http-only",
                    "--query",      env->query, "--feed",      env->feed,
                    "--log-key",    "bogus",    NULL};
    s_refused (live, 2, bogus);

    /* A real log key, a checkpoint file that does not hold a checkpoint
       of its log. */
    char *keys = jk_sprintf ("%s/keys", env->dir);
    char *make[] = {"jejak-keys", "log-key", "--dir", keys, NULL};
    char *out = NULL, *errors = NULL;
    assert_int_equal (jk_test_run (make, &out, &errors, S_WAIT_MS), 0);
    free (out);
    free (errors);
    char *vkey = jk_sprintf ("%s/log.vkey", keys);
    FILE *file = fopen (held, "w");
    assert_non_null (file);
    fputs ("not a checkpoint\n", file);
    fclose (file);
    char *with_file[] = {
        "jejak-status",      "--http", "127.0.0.1:0", "--http-only", "--query",
        env->query,          "--feed", env->feed,     "--log-key",   vkey,
        "--checkpoint-file", held,     NULL};
    char *want = jk_sprintf ("jejak-status: --checkpoint-file %s: not a "
                             "checkpoint of this log: note: no blank line "
                             "between the text and the signatures\n",
                             held);
    s_refused (with_file, 1, want);
    free (want);
    free (vkey);
    free (keys);
    free (held);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_late_joiner_with_drops_matches_store, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_late_join_by_state, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_state_transfer_hub_restart,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_state_transfer_while_projecting,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hub_restart_recovers, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_program_once_json, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_program_errors, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_control_characters, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_program_keys, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_program_flags_first, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
