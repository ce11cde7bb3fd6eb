/*  bench_status.c - the status board's two figures, each beside a baseline
    measured in the same run: (1) submit -> board updated latency, p50/p99,
    beside submit -> raw SUB receive of the same record; (2) a late join
    catching up N events (default 1,000,000; --quick 100,000; --events N)
    beside two baselines of the same run: the bare load of the same state
    (the projections' file read into memory and opened with
    sqlite3_deserialize, what no transfer can beat) and the store's own
    rebuild of the same log. --people P makes the first P events
    person.registered and the rest person.corrected of those people, so
    the log grows and the state does not. --log PATH keeps the log (and
    its projections' file beside it) at PATH and, when it exists, joins
    on it as it is (latency rounds skipped): a 10M log is generated once.
    --no-rebuild leaves the rebuild baseline out (its figures are then 0).
    Broker and store run in-process as in jejak-hub, on ipc endpoints in
    a temp directory. Prints a table and one JSON line at the end. */
#include "bench_hub.h"
#include "jk_broker.h"
#include "jk_projector.h"
#include "jk_rebuild.h"
#include "jk_status.h"
#include "jk_store.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double s_pct (int64_t *v, size_t n, double p)
{
    qsort (v, n, sizeof *v, s_cmp);
    size_t i = (size_t)(p * (double)(n - 1));
    return (double)v[i] / 1000.0;
}

static int64_t s_now_us (void)
{
    return zclock_usecs ();
}

static uint64_t s_seq;

/* The projections' position in the store actor's STATS. */
static uint64_t s_projected (zactor_t *store)
{
    zstr_send (store, "STATS");
    char *text = zstr_recv (store);
    const char *at = text ? strstr (text, " projected=") : NULL;
    uint64_t pos = at ? strtoull (at + 11, NULL, 10) : 0;
    free (text);
    return pos;
}

/* An event of type from the bench's office, next seq. */
static jk_event_t *s_new (const char *type)
{
    jk_event_t *event = jk_event_new (jk_vocabulary_find (type, strlen (type)));
    jk_event_set_source (event, "32.03.10/bench-1");
    jk_event_set_actor (event, "bench");
    event->seq = ++s_seq;
    return event;
}

static uint8_t *s_encode (jk_event_t **event, size_t *size)
{
    uint8_t *bytes = jk_event_encode (*event, size);
    jk_event_destroy (event);
    return bytes;
}

/* A valid person.registered with a distinct NIK per serial. */
static uint8_t *s_person (unsigned serial, size_t *size)
{
    return jk_bench_person_of ("32.03.10/bench-1", ++s_seq, serial, size);
}

/* A valid person.corrected of the person of serial (a new phone). */
static uint8_t *s_correction (unsigned serial, unsigned n, size_t *size)
{
    jk_event_t *event = s_new ("person.corrected");
    char nik[17], birth[11], phone[16];
    jk_bench_nik (serial, nik, birth);
    snprintf (phone, sizeof phone, "0812%08u", n % 100000000);
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_set (event, "nik", nik, &report);
    jk_event_set (event, "phone", phone, &report);
    jk_event_set (event, "reason", "nomor telepon baru", &report);
    return s_encode (&event, size);
}

static unsigned s_people = UINT32_MAX; /* --people: registrations first */

/* Event n of the load: a registration, or past --people a correction. */
static uint8_t *s_event (unsigned n, size_t *size)
{
    return n < s_people ? s_person (n, size)
                        : s_correction (n % s_people, n, size);
}

/* Submits count events in SUBMITs of 500 with a window of 4 in flight. */
static void s_load (zsock_t *agent, unsigned first, unsigned count)
{
    unsigned sent = 0, answered = 0, inflight = 0;
    zpoller_t *poller = zpoller_new (agent, NULL);
    while (answered < count) {
        while (inflight < 4 && sent < count) {
            unsigned n = count - sent < 500 ? count - sent : 500;
            zmsg_t *msg = jk_wire_new ("SUBMIT");
            for (unsigned i = 0; i < n; i++) {
                size_t size;
                uint8_t *bytes = s_event (first + sent + i, &size);
                zmsg_addmem (msg, bytes, size);
                free (bytes);
            }
            zmsg_send (&msg, agent);
            sent += n;
            inflight++;
        }
        if (!zpoller_wait (poller, 30000)) {
            fprintf (stderr, "bench_status: no answer in 30 s\n");
            exit (1);
        }
        zmsg_t *msg = zmsg_recv (agent);
        answered += (unsigned)zmsg_size (msg) - 2;
        inflight--;
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
}

/* The baseline: the projections' file read into memory and opened as it
   is (its schema read): the least any late join by state must do here. */
static double s_bare_load (const char *db_path, int64_t *tables)
{
    char *path = jk_projections_path (db_path);
    int64_t t0 = s_now_us ();
    FILE *f = fopen (path, "rb");
    struct stat st;
    *tables = -1;
    if (!f || fstat (fileno (f), &st) != 0) {
        if (f)
            fclose (f);
        free (path);
        return -1;
    }
    uint8_t *image = sqlite3_malloc64 ((sqlite3_uint64)st.st_size);
    /* The board maps its image the same way before filling it. */
    jk_prefault (image, (size_t)st.st_size);
    size_t got = image ? fread (image, 1, (size_t)st.st_size, f) : 0;
    fclose (f);
    free (path);
    if (got != (size_t)st.st_size) {
        sqlite3_free (image);
        return -1;
    }
    image[18] = image[19] = 1;
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_open (":memory:", &db) == SQLITE_OK &&
        sqlite3_deserialize (db, "main", image, st.st_size, st.st_size,
                             SQLITE_DESERIALIZE_FREEONCLOSE |
                                 SQLITE_DESERIALIZE_RESIZEABLE) == SQLITE_OK &&
        sqlite3_prepare_v2 (db, "SELECT count(*) FROM sqlite_master", -1, &stmt,
                            NULL) == SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW)
        *tables = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return (double)(s_now_us () - t0) / 1e6;
}

static uint64_t s_head_of (const char *db_path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    uint64_t head = 0;
    if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) ==
            SQLITE_OK &&
        sqlite3_prepare_v2 (db, "SELECT max(pos) FROM log", -1, &stmt, NULL) ==
            SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW)
        head = (uint64_t)sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return head;
}

int main (int argc, char **argv)
{
    unsigned events = 1000000, rounds = 1000;
    const char *keep = NULL;
    bool no_rebuild = false;
    for (int i = 1; i < argc; i++) {
        uint64_t value;
        if (strcmp (argv[i], "--quick") == 0) {
            events = 100000;
            rounds = 300;
        } else if (strcmp (argv[i], "--events") == 0 && i + 1 < argc &&
                   jk_parse_u64 (argv[i + 1], &value) == JK_OK &&
                   value >= 1000 && value <= 100000000) {
            events = (unsigned)value;
            i++;
        } else if (strcmp (argv[i], "--people") == 0 && i + 1 < argc &&
                   jk_parse_u64 (argv[i + 1], &value) == JK_OK &&
                   value >= 1000 && value <= 50000000) {
            s_people = (unsigned)value;
            i++;
        } else if (strcmp (argv[i], "--log") == 0 && i + 1 < argc)
            keep = argv[++i];
        else if (strcmp (argv[i], "--no-rebuild") == 0)
            no_rebuild = true;
        else {
            fprintf (stderr,
                     "usage: bench_status [--quick] [--events N] "
                     "[--people P] [--log PATH] [--no-rebuild] (N from 1000 to "
                     "100000000, P from 1000 to 50000000)\n");
            return 2;
        }
    }
    jk_log_set_level (JK_LOG_WARN);
    char dir[] = "/tmp/jejak-bench-status-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    char *db = keep ? jk_strdup (keep) : jk_sprintf ("%s/events.db", dir);
    bool reuse = keep && access (keep, R_OK) == 0;
    if (reuse)
        events = (unsigned)s_head_of (keep);
    char *ingest = jk_sprintf ("ipc://%s/ingest", dir);
    char *feed = jk_sprintf ("ipc://%s/feed", dir);
    char *query = jk_sprintf ("ipc://%s/query", dir);
    char *backend = jk_sprintf ("inproc://bench-status-backend");
    jk_broker_config_t bc = {
        .ingest = ingest, .feed = feed, .backend = backend};
    zactor_t *broker = jk_broker_start (&bc);
    /* The load below does not resend an E_BUSY: no lag bound. */
    jk_store_config_t sc = {.db_path = db,
                            .backend = backend,
                            .query = query,
                            .projection_lag_max = INT32_MAX};
    zactor_t *store = jk_store_start (&sc);
    if (!broker || !store) {
        fprintf (stderr, "bench_status: broker or store did not start\n");
        return 1;
    }
    zsock_t *agent = zsock_new_dealer (ingest);
    zsock_t *sub = zsock_new_sub (feed, "");
    zsock_set_linger (agent, 0);
    zsock_set_linger (sub, 0);
    /* A SUBMIT before the broker has heard the store is refused
       (E_UNAVAILABLE), and a PING is then answered by the broker itself:
       ready once the feed carries a $head, which the broker publishes
       from the store's PING. */
    bool heard = false;
    int64_t ready_by = jk_clock_mono_ms () + 10000;
    zpoller_t *ready_poller = zpoller_new (sub, NULL);
    while (!heard && jk_clock_mono_ms () < ready_by) {
        if (!zpoller_wait (ready_poller, 100))
            continue;
        zmsg_t *m = zmsg_recv (sub);
        heard = m && zframe_streq (zmsg_first (m), "$head");
        zmsg_destroy (&m);
    }
    zpoller_destroy (&ready_poller);
    if (!heard) {
        fprintf (stderr, "bench_status: no $head on the feed in 10 s: the "
                         "broker has not heard the store\n");
        return 1;
    }

    /* (1) latency: one event at a time (not on a log kept from before). */
    char err[256] = "";
    jk_replica_t *replica = NULL;
    jk_board_sink_t sink;
    jk_board_config_t config = {.feed = feed, .query = query};
    jk_board_t *board = NULL;
    int64_t *raw = jk_calloc (rounds, sizeof *raw);
    int64_t *upd = jk_calloc (rounds, sizeof *upd);
    size_t n = 0;
    double raw50 = 0, raw99 = 0, upd50 = 0, upd99 = 0;
    if (reuse)
        goto join;
    replica = jk_replica_new (err, sizeof err);
    sink = jk_replica_sink (replica);
    board = jk_board_new (&config, &sink);
    s_load (agent, 0, 10); /* warm-up; the SUB joins meanwhile */
    int64_t until = jk_clock_mono_ms () + 10000;
    while ((jk_board_state (board) != JK_BOARD_LIVE ||
            jk_board_pos (board) < 10) &&
           jk_clock_mono_ms () < until)
        jk_board_poll (board, 10);
    zmsg_t *drain;
    while ((drain = zmsg_recv_nowait (sub)))
        zmsg_destroy (&drain);
    zpoller_t *sub_poller = zpoller_new (sub, NULL);
    for (unsigned i = 0; i < rounds; i++) {
        size_t size;
        uint8_t *bytes = s_person (10 + i, &size);
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        zmsg_addmem (msg, bytes, size);
        free (bytes);
        uint64_t target = jk_board_pos (board) + 1;
        int64_t t0 = s_now_us ();
        zmsg_send (&msg, agent);
        /* This very record, not a heartbeat or an older one queued; the
           feed's heartbeats must not keep this waiting past 5 s. */
        int64_t t_raw = 0, deadline = t0 + 5000000;
        while (!t_raw && s_now_us () < deadline &&
               zpoller_wait (sub_poller, 100)) {
            msg = zmsg_recv (sub);
            jk_record_t record;
            if (jk_record_read (msg, &record) == 0 && record.pos == target)
                t_raw = s_now_us ();
            zmsg_destroy (&msg);
        }
        while (t_raw && jk_board_pos (board) < target && s_now_us () < deadline)
            jk_board_poll (board, 5);
        if (!t_raw || jk_board_pos (board) < target) {
            fprintf (stderr,
                     "bench_status: record %llu not seen within 5 s "
                     "(%s); latency rounds stop at %zu\n",
                     (unsigned long long)target, t_raw ? "board" : "feed", n);
            break;
        }
        int64_t t_board = s_now_us ();
        raw[n] = t_raw - t0;
        upd[n] = t_board - t0;
        n++;
        msg = zmsg_recv (agent); /* the ACK */
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&sub_poller);
    raw50 = s_pct (raw, n, 0.5);
    raw99 = s_pct (raw, n, 0.99);
    upd50 = s_pct (upd, n, 0.5);
    upd99 = s_pct (upd, n, 0.99);
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);

    /* (2) late join of a large log. */
    uint64_t have = 10 + n;
    int64_t load_t0 = s_now_us ();
    if (have < events)
        s_load (agent, (unsigned)have, events - (unsigned)have);
    /* The store's projections reach the head first: the board joins by
       state at P = head (docs/ARCHITECTURE.md, "Late join by state"). */
    while (s_projected (store) < events)
        zclock_sleep (10);
    printf ("  generated %u events through the hub in %.1f s\n", events,
            (double)(s_now_us () - load_t0) / 1e6);
join:
    while (s_projected (store) < events)
        zclock_sleep (10);
    int64_t tables;
    /* The file is read as it stands while the store runs: a read that
       met the projector's checkpoint writing into it does not open, and
       is taken again (the time is that of the load that opened). */
    double bare_s = s_bare_load (db, &tables);
    for (int again = 0; again < 4 && tables <= 0; again++)
        bare_s = s_bare_load (db, &tables);
    if (tables <= 0)
        fprintf (stderr,
                 "bench_status: the baseline could not open %s's "
                 "projections\n",
                 db);
    replica = jk_replica_new (err, sizeof err);
    sink = jk_replica_sink (replica);
    int64_t t0 = s_now_us ();
    board = jk_board_new (&config, &sink);
    /* Where the time goes: until the first STATE message (the store's
       copy of its projections), until the state is loaded, until live. */
    int64_t t_first = 0, t_loaded = 0;
    while (jk_board_state (board) != JK_BOARD_LIVE ||
           jk_board_pos (board) < events) {
        jk_board_poll (board, 10);
        const jk_board_stats_t *st = jk_board_stats (board);
        if (!t_first && st->state_received)
            t_first = s_now_us ();
        if (!t_loaded && st->state_loads)
            t_loaded = s_now_us ();
    }
    double join_s = (double)(s_now_us () - t0) / 1e6;
    double first_s = t_first ? (double)(t_first - t0) / 1e6 : 0;
    double loaded_s = t_loaded ? (double)(t_loaded - t0) / 1e6 : 0;
    uint64_t joined = jk_board_pos (board);
    uint64_t state_bytes = jk_board_stats (board)->state_bytes;
    uint64_t since_records = jk_board_stats (board)->catchup_records;
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);

    char *rebuilt = jk_sprintf ("%s/rebuilt.db", dir);
    jk_rebuild_options_t options = {0};
    jk_rebuild_result_t result;
    memset (&result, 0, sizeof result);
    t0 = s_now_us ();
    int rc = no_rebuild ? JK_OK
                        : jk_log_rebuild (db, rebuilt, &options, &result, err,
                                          sizeof err);
    double rebuild_s = (double)(s_now_us () - t0) / 1e6;
    if (rc != JK_OK)
        fprintf (stderr, "bench_status: rebuild failed: %s\n", err);

    printf ("status board: %zu single events, %llu-event late join\n", n,
            (unsigned long long)joined);
    printf ("  submit->SUB receive    p50 %.3f ms  p99 %.3f ms\n", raw50,
            raw99);
    printf ("  submit->board updated  p50 %.3f ms  p99 %.3f ms  (board "
            "p99 - raw p99 %.3f ms)\n",
            upd50, upd99, upd99 - raw99);
    printf ("  late join to live      %.2f s  (%.0f ev/s; state %.1f MB, "
            "%llu records after it)\n",
            join_s, (double)joined / join_s, (double)state_bytes / 1e6,
            (unsigned long long)since_records);
    printf ("  first state message    %.2f s, state loaded %.2f s\n", first_s,
            loaded_s);
    printf ("  baseline: file read + deserialize  %.2f s  (join / baseline "
            "%.2f)\n",
            bare_s, join_s / bare_s);
    printf ("  store rebuild          %.2f s  (%.0f ev/s)\n", rebuild_s,
            (double)result.records / rebuild_s);
    printf ("{\"bench\":\"status\",\"events\":%llu,\"rounds\":%zu,"
            "\"feed_p50_ms\":%.3f,\"feed_p99_ms\":%.3f,"
            "\"board_p50_ms\":%.3f,\"board_p99_ms\":%.3f,"
            "\"join_s\":%.3f,\"join_ev_s\":%.0f,\"join_state_bytes\":%llu,"
            "\"join_first_s\":%.3f,\"join_loaded_s\":%.3f,"
            "\"join_baseline_s\":%.3f,\"rebuild_s\":%.3f,"
            "\"rebuild_ev_s\":%.0f}\n",
            (unsigned long long)joined, n, raw50, raw99, upd50, upd99, join_s,
            (double)joined / join_s, (unsigned long long)state_bytes, first_s,
            loaded_s, bare_s, rebuild_s, (double)result.records / rebuild_s);

    free (raw);
    free (upd);
    zsock_destroy (&sub);
    zsock_destroy (&agent);
    zactor_destroy (&store);
    zactor_destroy (&broker);
    unlink (rebuilt);
    char *cmd = jk_sprintf ("rm -rf %s", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "bench_status: could not remove %s\n", dir);
    free (cmd);
    free (rebuilt);
    free (db);
    free (ingest);
    free (feed);
    free (query);
    free (backend);
    return 0;
}
