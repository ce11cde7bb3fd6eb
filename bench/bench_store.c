/*  bench_store.c - the store's apply path against the bare baseline, and
    rebuild and verify speed.
    Apply: a realistic event mix (the workload generator: every type, 2%
    domain rejections) through the real store actor (decide + log +
    projections, synchronous=FULL, one SUBMIT of --batch events per
    commit) beside jk_bench_baseline (log insert + SHA-256 chain) on the
    same events, same batch size, rounds interleaved; medians reported.
    --window W SUBMITs are sent before the first answer is awaited
    (default 2: the next SUBMIT waits at the store while one commits, as
    under ingest, so the client's round trip is not the writer's; still
    one SUBMIT, one transaction, one commit each; --window 1 sends the
    next SUBMIT only after the last answer).
    Rebuild and verify: a log of --big events written by the store, then
    jk_log_rebuild and jk_log_verify over it.
    --checkpoint-frames F: the store checkpoints its WAL from F frames
    (jk_store_config_t checkpoint_frames; default the store's 20,000) to
    compare policies in paired runs; the baseline is not changed.
    The baseline opens its log through the store's VFS (jk_vfs.h) and
    checkpoints as the store does by default (the harder reference);
    --plain-baseline gives it SQLite's default VFS and automatic
    checkpoints instead, as in the figures before the store had its VFS
    (jk_bench_plain_baseline).
    --warm N: each round's store and baseline first take N further events
    of the same workload, untimed (the store's projections caught up
    before the timed part starts): the timed events then go into a log,
    page caches, WAL and model already in use, as in a writer that has
    been running, instead of into fresh ones. Default 0.
    --backend inproc|ipc: the socket between the bench (in the broker's
    place) and the store actor. ipc (the default, the figures quoted
    since the first design): jejak-store as a program of its own beside
    jejak-broker, every SUBMIT and ANSWER through ZeroMQ's I/O thread
    and the kernel. inproc: jejak-hub's shape (broker and store in one
    process, docs/OPERATIONS.md --backend), no I/O thread on that path.
    The driver (this program's main thread, in the broker's place) sends
    each SUBMIT as constant frames of the encoded events (no copy, no
    allocation) and reads the answers frame by frame, as the hub's
    broker relays without frame objects; its CPU per event over the
    apply rounds is printed ("the bench's driver"), since it runs on the
    same two cores as the store's threads.
    Usage: bench_store [--quick] [--events N] [--rounds R] [--batch B]
                       [--window W] [--checkpoint-frames F] [--big N]
                       [--backend inproc|ipc] [--plain-baseline]
                       [--warm N] [--keep]
    After the apply rounds it prints the store's batches and how many of
    them the plan thread planned while the batch before committed (STATS
    overlapped): how much of the writer's pipeline (docs/ARCHITECTURE.md)
    the driver's window kept fed.
    Prints a table, then one JSON line. */
#include "bench_common.h"
#include "jk_rebuild.h"
#include "jk_store.h"
#include "jk_wire.h"
#include "workload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    size_t events; /* events per apply round */
    int rounds;    /* apply rounds */
    size_t batch;  /* events per SUBMIT and commit */
    size_t warm;   /* events each round takes untimed first (--warm) */
    size_t big;    /* events of the rebuild/verify log */
    bool keep;     /* leave the benchmark's directory in place */
} s_options_t;

/* Encoded events of a workload, with their baseline columns. */
typedef struct {
    uint8_t **bytes;
    size_t *sizes;
    jk_bench_event_t *rows;
    size_t count;
    int64_t end_ms;
} s_events_t;

static void s_events_make (s_events_t *self, uint64_t seed, size_t count)
{
    jk_workload_config_t config = {.events = count, .reject_share = 0.02};
    jk_workload_t *workload = jk_workload_new (seed, &config);
    self->bytes = jk_calloc (count, sizeof *self->bytes);
    self->sizes = jk_calloc (count, sizeof *self->sizes);
    self->rows = jk_calloc (count, sizeof *self->rows);
    self->end_ms = jk_workload_end_ms (workload);
    jk_event_t *event;
    self->count = 0;
    while (self->count < count && (event = jk_workload_next (workload))) {
        size_t i = self->count++;
        self->bytes[i] = jk_event_encode (event, &self->sizes[i]);
        jk_event_destroy (&event);
        if (jk_bench_event (self->bytes[i], self->sizes[i], &self->rows[i])) {
            fprintf (stderr,
                     "bench_store: workload event %zu has no "
                     "envelope\n",
                     i);
            exit (1);
        }
    }
    jk_workload_destroy (&workload);
}

static void s_events_free (s_events_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free (self->bytes[i]);
    free (self->bytes);
    free (self->sizes);
    free (self->rows);
}

/* A number in the store actor's STATS (" key=N"). */
static uint64_t s_stat (zactor_t *store, const char *key)
{
    zstr_send (store, "STATS");
    char *text = zstr_recv (store);
    char pattern[64];
    snprintf (pattern, sizeof pattern, " %s=", key);
    const char *at = text ? strstr (text, pattern) : NULL;
    uint64_t value = at ? strtoull (at + strlen (pattern), NULL, 10) : 0;
    free (text);
    return value;
}

/* The most projection lag (ms) the writer saw at a batch, over all
   rounds. */
static uint64_t s_lag_max_ms;

/* The log's WAL restarts at its beginning, over all rounds (STATS
   wal_restarts at the end of each run). */
static uint64_t s_wal_restarts;

/* The store's pipeline over the apply rounds (STATS at the end of each
   run): its batches, and those planned on the plan thread while the
   batch before committed (overlapped); docs/ARCHITECTURE.md, "The
   writer's pipeline". */
static uint64_t s_batches, s_overlapped;

/* CPU time (s) of the calling thread. */
static double s_thread_cpu (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The driver's (this thread's) CPU time over the apply rounds, and the
   events it sent in them: what the bench itself takes from the two
   cores the store's threads run on. */
static double s_driver_cpu_s;
static size_t s_driver_events;

/* The store's WAL checkpoint threshold (--checkpoint-frames; 0: its
   default). */
static int s_checkpoint_frames;

/* SUBMITs sent before an answer is awaited (--window). */
static size_t s_window = 2;

/* The store's backend over inproc (--backend inproc) instead of ipc. */
static bool s_inproc;

/* One frame of data that outlives the run, sent without a copy or an
   allocation (a constant message), as the hub's broker relays frames
   without frame objects. */
static void s_frame_send (void *sock, const void *data, size_t size, int more)
{
    zmq_msg_t frame;
    zmq_msg_init_data (&frame, (void *)data, size, NULL, NULL);
    if (zmq_msg_send (&frame, sock, more ? ZMQ_SNDMORE : 0) < 0) {
        fprintf (stderr, "bench_store: send: %s\n", zmq_strerror (errno));
        exit (1);
    }
}

/* Sends events [from, to) as one SUBMIT through the broker's socket. */
static void s_submit (void *broker, const void *store_id, size_t id_size,
                      const s_events_t *events, size_t from, size_t to)
{
    s_frame_send (broker, store_id, id_size, 1);
    s_frame_send (broker, JK_PROTOCOL, strlen (JK_PROTOCOL), 1);
    s_frame_send (broker, "SUBMIT", 6, 1);
    s_frame_send (broker, "bench", 5, 1);
    for (size_t i = from; i < to; i++)
        s_frame_send (broker, events->bytes[i], events->sizes[i], i + 1 < to);
}

/* Receives one message from the store ([store][JEJAK/1][command]...)
   frame by frame into reused frames; returns true for an ANSWER
   ([client][answer]...), whose answers that are neither ACK nor
   REJECTED it counts into *odd (the first one printed). Other commands
   (RECORDS, STATS pushed to the broker) are read and dropped. */
static bool s_receive (void *broker, size_t *odd)
{
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    bool answer_msg = false, more = true;
    for (size_t index = 0; more; index++) {
        if (zmq_msg_recv (&frame, broker, 0) < 0) {
            fprintf (stderr, "bench_store: receive: %s\n",
                     zmq_strerror (errno));
            exit (1);
        }
        more = zmq_msg_more (&frame);
        const void *data = zmq_msg_data (&frame);
        size_t size = zmq_msg_size (&frame);
        if (index == 1 && (size != strlen (JK_PROTOCOL) ||
                           memcmp (data, JK_PROTOCOL, size) != 0)) {
            fprintf (stderr, "bench_store: a message that is not %s\n",
                     JK_PROTOCOL);
            exit (1);
        } else if (index == 2)
            answer_msg = size == 6 && memcmp (data, "ANSWER", 6) == 0;
        else if (answer_msg && index >= 4) {
            jk_answer_t answer;
            if (jk_answer_decode (data, size, &answer) != 0 ||
                (answer.kind != JK_ANSWER_ACK &&
                 answer.kind != JK_ANSWER_REJECTED)) {
                if ((*odd)++ == 0)
                    fprintf (stderr, "bench_store: %s %s %s\n",
                             jk_answer_kind_name (answer.kind), answer.code,
                             answer.message);
            }
        }
    }
    zmq_msg_close (&frame);
    return answer_msg;
}

/* Sends events [from, to) in SUBMITs of batch, s_window of them waiting
   at the store at once, until every one is answered. */
static void s_feed (void *sock, zframe_t *store_id, const s_events_t *events,
                    size_t from, size_t to, size_t batch, size_t *odd)
{
    size_t sent = from, flying = 0;
    while (sent < to || flying > 0) {
        /* Up to s_window SUBMITs wait at the store at once. */
        while (sent < to && flying < s_window) {
            size_t end = sent + batch < to ? sent + batch : to;
            s_submit (sock, zframe_data (store_id), zframe_size (store_id),
                      events, sent, end);
            sent = end;
            flying++;
        }
        /* Answers come first, then the records: wait for an answer. */
        if (s_receive (sock, odd))
            flying--;
    }
}

/* Runs the store actor on a fresh database at path with events fed in
   SUBMITs of batch (each its own commit), s_window of them sent before
   an answer is awaited; the first warm events go first, untimed, and
   the projections catch up with them before the clock starts. Returns
   events per second of the rest from their first SUBMIT to the last
   answer, or -1, and in *caught_eps (when not NULL) events per second
   from that SUBMIT until the projections reached the last position (the
   lag bound is lifted so the writer runs as fast as it can). Counts
   answers that are not ACK or REJECTED into *odd. */
static double s_store_run (const char *dir, const char *path,
                           const s_events_t *events, size_t warm, size_t batch,
                           size_t *odd, double *caught_eps)
{
    static int run = 0;
    char *backend = s_inproc
                        ? jk_sprintf ("inproc://bench-store-backend-%d", run++)
                        : jk_sprintf ("ipc://%s/backend-%d.sock", dir, run++);
    zsock_t *broker = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (broker, 0);
    zsock_set_rcvhwm (broker, 0);
    if (zsock_bind (broker, "%s", backend) != 0) {
        fprintf (stderr, "bench_store: cannot bind %s\n", backend);
        exit (1);
    }
    jk_store_config_t config = {.db_path = path,
                                .backend = backend,
                                .batch_max = (int)batch,
                                .checkpoint_frames = s_checkpoint_frames,
                                .projection_lag_max = INT32_MAX};
    zactor_t *store = jk_store_start (&config);
    if (!store)
        exit (1);
    /* The first message is the store's PING: its routing id. */
    zmsg_t *msg = zmsg_recv (broker);
    zframe_t *store_id = zmsg_pop (msg);
    zmsg_destroy (&msg);

    void *sock = zsock_resolve (broker);
    if (warm > 0) {
        s_feed (sock, store_id, events, 0, warm, batch, odd);
        while (s_stat (store, "projected") < warm)
            zclock_sleep (1);
    }
    size_t timed = events->count - warm;
    double start = jk_bench_now ();
    double cpu_start = s_thread_cpu ();
    s_feed (sock, store_id, events, warm, events->count, batch, odd);
    double eps = (double)timed / (jk_bench_now () - start);
    if (caught_eps) {
        s_driver_cpu_s += s_thread_cpu () - cpu_start;
        s_driver_events += timed;
        while (s_stat (store, "projected") < events->count)
            zclock_sleep (1);
        *caught_eps = (double)timed / (jk_bench_now () - start);
        uint64_t lag = s_stat (store, "projection_lag_max_ms");
        if (lag > s_lag_max_ms)
            s_lag_max_ms = lag;
    }
    s_wal_restarts += s_stat (store, "wal_restarts");
    if (caught_eps) {
        s_batches += s_stat (store, "batches");
        s_overlapped += s_stat (store, "overlapped");
    }
    zactor_destroy (&store);
    zframe_destroy (&store_id);
    zsock_destroy (&broker);
    free (backend);
    return eps;
}

static void s_usage (void)
{
    fprintf (stderr, "usage: bench_store [--quick] [--events N] [--rounds R] "
                     "[--batch B] [--window W] [--checkpoint-frames F] "
                     "[--big N] [--backend inproc|ipc] [--plain-baseline] "
                     "[--warm N] [--keep]\n");
    exit (2);
}

static size_t s_number (const char *text)
{
    uint64_t value;
    if (!text || jk_parse_u64 (text, &value) != 0 || value == 0)
        s_usage ();
    return (size_t)value;
}

int main (int argc, char **argv)
{
    s_options_t options = {
        .events = 50000, .rounds = 5, .batch = 1000, .big = 1000000};
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--quick")) {
            options.events = 10000;
            options.rounds = 3;
            options.big = 100000;
        } else if (streq (argv[i], "--events") && i + 1 < argc)
            options.events = s_number (argv[++i]);
        else if (streq (argv[i], "--rounds") && i + 1 < argc)
            options.rounds = (int)s_number (argv[++i]);
        else if (streq (argv[i], "--batch") && i + 1 < argc)
            options.batch = s_number (argv[++i]);
        else if (streq (argv[i], "--big") && i + 1 < argc)
            options.big = s_number (argv[++i]);
        else if (streq (argv[i], "--window") && i + 1 < argc)
            s_window = s_number (argv[++i]);
        else if (streq (argv[i], "--checkpoint-frames") && i + 1 < argc)
            s_checkpoint_frames = (int)s_number (argv[++i]);
        else if (streq (argv[i], "--backend") && i + 1 < argc) {
            i++;
            if (streq (argv[i], "inproc"))
                s_inproc = true;
            else if (!streq (argv[i], "ipc"))
                s_usage ();
        } else if (streq (argv[i], "--warm") && i + 1 < argc) {
            uint64_t warm; /* 0 allowed: no warm-up */
            if (jk_parse_u64 (argv[++i], &warm) != 0)
                s_usage ();
            options.warm = (size_t)warm;
        } else if (streq (argv[i], "--plain-baseline"))
            jk_bench_plain_baseline (true);
        else if (streq (argv[i], "--keep"))
            options.keep = true;
        else
            s_usage ();
    }
    if (options.batch > JK_SUBMIT_MAX_EVENTS)
        options.batch = JK_SUBMIT_MAX_EVENTS;
    jk_log_set_level (JK_LOG_ERROR);
    char *dir = jk_bench_tmpdir ("store");

    /* Apply vs baseline, interleaved rounds on the same events. */
    s_events_t events;
    s_events_make (&events, 1, options.warm + options.events);
    if (events.count <= options.warm) {
        fprintf (stderr, "bench_store: the workload ended within --warm\n");
        return 1;
    }
    jk_clock_set (events.end_ms + 60000);
    double *store_eps = jk_calloc ((size_t)options.rounds, sizeof (double));
    double *base_eps = jk_calloc ((size_t)options.rounds, sizeof (double));
    double *caught_eps = jk_calloc ((size_t)options.rounds, sizeof (double));
    size_t odd = 0;
    for (int r = 0; r < options.rounds; r++) {
        char *base_path = jk_sprintf ("%s/baseline-%d.db", dir, r);
        char *store_path = jk_sprintf ("%s/store-%d.db", dir, r);
        base_eps[r] = jk_bench_baseline_warm (
            base_path, events.rows, events.count, options.warm, options.batch);
        store_eps[r] = s_store_run (dir, store_path, &events, options.warm,
                                    options.batch, &odd, &caught_eps[r]);
        printf ("round %d: baseline %.0f ev/s, store %.0f ev/s, projections "
                "caught up %.0f ev/s\n",
                r + 1, base_eps[r], store_eps[r], caught_eps[r]);
        fflush (stdout);
        free (base_path);
        free (store_path);
    }
    double store_median = jk_bench_median (store_eps, (size_t)options.rounds);
    double base_median = jk_bench_median (base_eps, (size_t)options.rounds);
    double caught_median = jk_bench_median (caught_eps, (size_t)options.rounds);
    s_events_free (&events);

    /* Rebuild and verify on a big log the store wrote. */
    s_events_t big;
    s_events_make (&big, 2, options.big);
    jk_clock_set (big.end_ms + 60000);
    char *big_path = jk_sprintf ("%s/big.db", dir);
    double big_store_eps =
        s_store_run (dir, big_path, &big, 0, options.batch, &odd, NULL);
    size_t big_count = big.count;
    s_events_free (&big);
    char *rebuilt = jk_sprintf ("%s/rebuilt.db", dir);
    jk_rebuild_result_t rebuild;
    char err[256];
    double start = jk_bench_now ();
    if (jk_log_rebuild (big_path, rebuilt, NULL, &rebuild, err, sizeof err) !=
        JK_OK) {
        fprintf (stderr, "bench_store: rebuild: %s\n", err);
        return 1;
    }
    double rebuild_s = jk_bench_now () - start;
    jk_verify_result_t verify;
    start = jk_bench_now ();
    if (jk_log_verify (big_path, NULL, &verify, NULL, NULL) != JK_OK) {
        fprintf (stderr, "bench_store: verify: %s\n", verify.message);
        return 1;
    }
    double verify_s = jk_bench_now () - start;
    double rebuild_eps = (double)rebuild.records / rebuild_s;
    double verify_1m_s = verify_s * 1e6 / (double)verify.records;

    printf ("\nstore apply (decide+log+projections, FULL, batch %zu, window "
            "%zu, backend %s): median %.0f ev/s over %d rounds of %zu "
            "events (after %zu untimed)\n",
            options.batch, s_window, s_inproc ? "inproc" : "ipc", store_median,
            options.rounds, options.events, options.warm);
    printf ("baseline (log insert + SHA-256 chain, same batch): median %.0f "
            "ev/s\n",
            base_median);
    printf ("ratio store/baseline: %.2f (writer: the answers)\n",
            store_median / base_median);
    printf ("with projections caught up: median %.0f ev/s, ratio %.2f\n",
            caught_median, caught_median / base_median);
    double driver_us =
        s_driver_events ? s_driver_cpu_s * 1e6 / (double)s_driver_events : 0;
    printf ("the bench's driver (in the broker's place): %.2f us of CPU per "
            "event\n",
            driver_us);
    printf ("projection lag at full ingest (no bound): at most %llu ms "
            "behind the writer's commits\n",
            (unsigned long long)s_lag_max_ms);
    printf ("the store's WAL restarted at its beginning %llu times in all "
            "runs\n",
            (unsigned long long)s_wal_restarts);
    printf ("the store's batches in the apply rounds: %llu, of them %llu "
            "planned beside the commit before\n",
            (unsigned long long)s_batches, (unsigned long long)s_overlapped);
    printf ("store writing the %zu-event log: %.0f ev/s\n", big_count,
            big_store_eps);
    printf ("rebuild of %llu records: %.2f s, %.0f ev/s (goal >= 150000)\n",
            (unsigned long long)rebuild.records, rebuild_s, rebuild_eps);
    printf ("verify of %llu records: %.2f s, %.2f s per 1M (goal <= 2)\n",
            (unsigned long long)verify.records, verify_s, verify_1m_s);
    if (odd)
        printf ("WARNING: %zu answers were neither ACK nor REJECTED\n", odd);
    printf ("{\"bench\":\"store\",\"events\":%zu,\"warm\":%zu,"
            "\"rounds\":%d,\"batch\":%zu,"
            "\"window\":%zu,\"backend\":\"%s\",\"baseline\":\"%s\","
            "\"store_eps\":%.0f,\"baseline_eps\":%.0f,\"store_ratio\":%.3f,"
            "\"caught_eps\":%.0f,\"caught_ratio\":%.3f,\"driver_us\":%.2f,"
            "\"lag_max_ms\":%llu,"
            "\"checkpoint_frames\":%d,\"wal_restarts\":%llu,"
            "\"batches\":%llu,\"overlapped\":%llu,"
            "\"big_events\":%zu,\"big_store_eps\":%.0f,\"rebuild_eps\":%.0f,"
            "\"verify_s\":%.3f,\"verify_1m_s\":%.3f}\n",
            options.events, options.warm, options.rounds, options.batch,
            s_window, s_inproc ? "inproc" : "ipc",
            jk_bench_baseline_is_plain () ? "plain" : "store-vfs", store_median,
            base_median, store_median / base_median, caught_median,
            caught_median / base_median, driver_us,
            (unsigned long long)s_lag_max_ms,
            s_checkpoint_frames > 0 ? s_checkpoint_frames
                                    : JK_STORE_CHECKPOINT_FRAMES_DEFAULT,
            (unsigned long long)s_wal_restarts, (unsigned long long)s_batches,
            (unsigned long long)s_overlapped, big_count, big_store_eps,
            rebuild_eps, verify_s, verify_1m_s);
    free (store_eps);
    free (base_eps);
    free (caught_eps);
    free (big_path);
    free (rebuilt);
    if (options.keep) {
        printf ("kept %s (big.db, rebuilt.db)\n", dir);
        free (dir);
    } else
        jk_bench_rmdir (&dir);
    return odd ? 1 : 0;
}
