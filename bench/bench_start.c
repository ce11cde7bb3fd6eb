/*  bench_start.c - how long a real jejak-hub takes to start on a large
    log, beside a baseline measured in the same run: the least any start
    must do, the log's SQLite file opened and its last row read (and the
    projections' position beside it). Each round runs the baseline, then
    starts jejak-hub on the log and takes the time from the fork to its
    start line on stdout ("ready": the broker has heard the store) and to
    the first HEAD answered on its query endpoint, then stops it (SIGTERM)
    and takes that time too; the hub's CPU time (user and system, all
    threads) until the HEAD answered is read from /proc, a figure the
    machine's load moves less than wall time. Medians over the rounds,
    and their ratio to the baseline.
    --crash K: before each timed start the hub is started untimed, fed K
    person.registered events by one office (SUBMITs of 500, 4 in flight)
    and killed with SIGKILL once half of them are answered, so the timed
    start recovers what a kill -9 mid-ingest leaves (the WAL, the
    projections' lag, the tree's missing tiles); the log grows by about
    K / 2 per round.
    --cold: the log's and the projections' files are dropped from the
    page cache (posix_fadvise DONTNEED, these files only) before each
    baseline and each start.
    The log is PATH (--log) as it is when it exists, else made there (or
    in a temp directory) with N person.registered events (default
    1,000,000; --quick 20,000) through an in-process hub, its
    projections caught up.
    Usage: bench_start [--quick] [--events N] [--log PATH] [--rounds R]
                       [--crash K] [--cold]
    Prints a line per round, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"
#include "jk_broker.h"
#include "jk_projector.h"
#include "jk_store.h"
#include "jk_wire.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_SOURCE       "32.03.10/bench-1"
#define S_CRASH_SOURCE "32.03.10/bench-start"
#define S_READY_MS     (30 * 60 * 1000) /* a start longer is a failure */

/* Submits count person.registered of source from seq first_seq (serials
   from first_serial) in SUBMITs of 500 with 4 in flight, on agent.
   Returns the events answered, stopping early once stop_after are
   answered (0: all); -1 when the hub fell silent for 30 s. */
static int64_t s_submit (zsock_t *agent, const char *source, uint64_t first_seq,
                         unsigned first_serial, unsigned count,
                         unsigned stop_after)
{
    unsigned sent = 0, answered = 0, inflight = 0;
    zpoller_t *poller = zpoller_new (agent, NULL);
    while (answered < count && (!stop_after || answered < stop_after)) {
        while (inflight < 4 && sent < count) {
            unsigned n = count - sent < 500 ? count - sent : 500;
            zmsg_t *msg = jk_wire_new ("SUBMIT");
            for (unsigned i = 0; i < n; i++) {
                size_t size;
                uint8_t *bytes =
                    jk_bench_person_of (source, first_seq + sent + i,
                                        first_serial + sent + i, &size);
                zmsg_addmem (msg, bytes, size);
                free (bytes);
            }
            zmsg_send (&msg, agent);
            sent += n;
            inflight++;
        }
        if (!zpoller_wait (poller, 30000)) {
            zpoller_destroy (&poller);
            return -1;
        }
        zmsg_t *msg = zmsg_recv (agent);
        /* [JEJAK/1][ANSWER][request id] then one frame per event */
        answered +=
            msg && zmsg_size (msg) > 2 ? (unsigned)zmsg_size (msg) - 2 : 0;
        inflight--;
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return answered;
}

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

/* Makes the log at db with events person.registered through an
   in-process hub (broker + store actors) on endpoints under dir, and
   waits for the projections to reach its head. 0 or -1. */
static int s_make (const char *db, const char *dir, unsigned events)
{
    char *ingest = jk_sprintf ("ipc://%s/make-ingest", dir);
    char *feed = jk_sprintf ("ipc://%s/make-feed", dir);
    char *query = jk_sprintf ("ipc://%s/make-query", dir);
    const char *backend = "inproc://bench-start-make";
    jk_broker_config_t bc = {
        .ingest = ingest, .feed = feed, .backend = backend};
    zactor_t *broker = jk_broker_start (&bc);
    /* One office's load, no resend of E_BUSY: no lag bound. */
    jk_store_config_t sc = {.db_path = db,
                            .backend = backend,
                            .query = query,
                            .projection_lag_max = INT32_MAX};
    zactor_t *store = broker ? jk_store_start (&sc) : NULL;
    int rc = -1;
    /* SUBMITs before the broker has heard the store are answered
       E_UNAVAILABLE: wait for it. */
    bool up = false;
    for (int64_t until = jk_clock_mono_ms () + 60000;
         store && !up && jk_clock_mono_ms () < until; zclock_sleep (1)) {
        zstr_send (broker, "STATS");
        char *text = zstr_recv (broker);
        up = text && strstr (text, "store=up") != NULL;
        zstr_free (&text);
    }
    if (up) {
        zsock_t *agent = zsock_new_dealer (ingest);
        zsock_set_linger (agent, 0);
        double t0 = jk_bench_now ();
        int64_t done = s_submit (agent, S_SOURCE, 1, 0, events, 0);
        int64_t until = jk_clock_mono_ms () + 600000;
        while (done == events && s_projected (store) < events &&
               jk_clock_mono_ms () < until)
            zclock_sleep (20);
        if (done == events && s_projected (store) == events) {
            printf ("made %s: %u events in %.1f s\n", db, events,
                    jk_bench_now () - t0);
            rc = 0;
        } else
            fprintf (stderr,
                     "bench_start: the hub did not log and project "
                     "the %u events (%lld answered)\n",
                     events, (long long)done);
        zsock_destroy (&agent);
    } else
        fprintf (stderr, "bench_start: broker or store did not start\n");
    zactor_destroy (&store);
    zactor_destroy (&broker);
    free (ingest);
    free (feed);
    free (query);
    return rc;
}

/* One SQL value of db (read-only), as an integer; -1 when absent. */
static int64_t s_value (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t value = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        value = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (db);
    return value;
}

/* The BASELINE: the log's file opened, its last row read (position,
   hash, time), the projections' file opened and their position read.
   Seconds, or -1. */
static double s_baseline (const char *path, uint64_t *head)
{
    double t0 = jk_bench_now ();
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool ok = false;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2 (db,
                            "SELECT pos, hash, recorded_at FROM log"
                            " ORDER BY pos DESC LIMIT 1",
                            -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW) {
        *head = (uint64_t)sqlite3_column_int64 (st, 0);
        ok = sqlite3_column_bytes (st, 1) == 32;
    }
    sqlite3_finalize (st);
    sqlite3_close (db);
    char *proj = jk_projections_path (path);
    ok = ok && s_value (proj, "SELECT pos FROM projector") >= 0;
    free (proj);
    return ok ? jk_bench_now () - t0 : -1;
}

/* Drops path's pages (and its -wal's) from the page cache. */
static void s_drop_cache (const char *path)
{
    const char *suffix[] = {"", "-wal"};
    char *proj = jk_projections_path (path);
    const char *files[] = {path, proj};
    for (size_t f = 0; f < 2; f++)
        for (size_t s = 0; s < 2; s++) {
            char *name = jk_sprintf ("%s%s", files[f], suffix[s]);
            int fd = open (name, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                fdatasync (fd);
                posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
                close (fd);
            }
            free (name);
        }
    free (proj);
}

/* A jejak-hub process on the log with ipc endpoints under dir, its
   stdout on a pipe (out), its stderr appended to dir/hub.err. */
typedef struct {
    pid_t pid;
    int out;
    char ingest[512], feed[512], query[512];
} s_hub_t;

static int s_hub_spawn (s_hub_t *hub, const char *program, const char *db,
                        const char *dir)
{
    snprintf (hub->ingest, sizeof hub->ingest, "ipc://%s/ingest", dir);
    snprintf (hub->feed, sizeof hub->feed, "ipc://%s/feed", dir);
    snprintf (hub->query, sizeof hub->query, "ipc://%s/query", dir);
    char *err = jk_sprintf ("%s/hub.err", dir);
    int fds[2];
    if (pipe (fds) != 0) {
        free (err);
        return -1;
    }
    hub->pid = fork ();
    if (hub->pid == 0) {
        int fd = open (err, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2 (fds[1], 1);
        dup2 (fd, 2);
        close (fds[0]);
        execl (program, program, "--db", db, "--ingest", hub->ingest, "--feed",
               hub->feed, "--query", hub->query, (char *)NULL);
        _exit (127);
    }
    free (err);
    close (fds[1]);
    hub->out = fds[0];
    return hub->pid > 0 ? 0 : -1;
}

/* Waits for the hub's start line on stdout; false when it exited or
   S_READY_MS passed. */
static bool s_hub_ready (s_hub_t *hub)
{
    char buf[1024];
    size_t used = 0;
    double deadline = jk_bench_now () + S_READY_MS / 1000.0;
    while (jk_bench_now () < deadline) {
        struct pollfd p = {.fd = hub->out, .events = POLLIN};
        if (poll (&p, 1, 100) <= 0)
            continue;
        ssize_t n = read (hub->out, buf + used, sizeof buf - 1 - used);
        if (n <= 0)
            return false;
        used += (size_t)n;
        buf[used] = 0;
        if (strstr (buf, "jejak-hub ") && strchr (buf, '\n'))
            return true;
        if (used == sizeof buf - 1)
            used = 0;
    }
    return false;
}

/* HEAD on the hub's query endpoint; its position, or -1 after 60 s. */
static int64_t s_head (const s_hub_t *hub)
{
    zsock_t *sock = zsock_new_dealer (hub->query);
    zsock_set_linger (sock, 0);
    zmsg_t *msg = jk_wire_new ("HEAD");
    zmsg_send (&msg, sock);
    zpoller_t *poller = zpoller_new (sock, NULL);
    int64_t pos = -1;
    if (zpoller_wait (poller, 60000)) {
        msg = zmsg_recv (sock);
        char command[16];
        uint64_t value;
        if (msg && jk_wire_open (msg, command, sizeof command) == 0 &&
            streq (command, "HEAD") && jk_wire_pop_u64 (msg, &value) == 0)
            pos = (int64_t)value;
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&sock);
    return pos;
}

/* The CPU time pid has used so far (user and system, all its threads),
   in seconds; -1 when unknown. */
static double s_cpu_s (pid_t pid)
{
    char path[64], buf[1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen (path, "r");
    size_t n = f ? fread (buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose (f);
    buf[n] = 0;
    /* After the command's closing parenthesis: state is field 3, utime
       and stime are fields 14 and 15. */
    char *p = strrchr (buf, ')');
    unsigned long long utime = 0, stime = 0;
    if (!p ||
        sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf (_SC_CLK_TCK);
}

/* Stops the hub (SIGTERM, or SIGKILL when kill) and reaps it; its exit
   status (128 + signal when killed), or -1. */
static int s_hub_stop (s_hub_t *hub, bool kill_it)
{
    kill (hub->pid, kill_it ? SIGKILL : SIGTERM);
    int status = 0;
    if (waitpid (hub->pid, &status, 0) != hub->pid)
        return -1;
    close (hub->out);
    return WIFEXITED (status)     ? WEXITSTATUS (status)
           : WIFSIGNALED (status) ? 128 + WTERMSIG (status)
                                  : -1;
}

/* The untimed part of a --crash round: the hub fed count events from
   the next seq of S_CRASH_SOURCE and killed once half are answered.
   0 or -1. */
static int s_crash (const char *program, const char *db, const char *dir,
                    unsigned count)
{
    int64_t seq = s_value (
        db, "SELECT max (seq) FROM log WHERE source = '" S_CRASH_SOURCE "'");
    int64_t head = s_value (db, "SELECT max (pos) FROM log");
    s_hub_t hub;
    if (s_hub_spawn (&hub, program, db, dir) != 0 || !s_hub_ready (&hub)) {
        fprintf (stderr, "bench_start: the hub to crash did not start\n");
        return -1;
    }
    zsock_t *agent = zsock_new_dealer (hub.ingest);
    zsock_set_linger (agent, 0);
    /* Serials past the head: NIKs unseen in the log (jk_bench_nik). */
    int64_t answered =
        s_submit (agent, S_CRASH_SOURCE, (uint64_t)(seq > 0 ? seq : 0) + 1,
                  (unsigned)(head > 0 ? head : 0) + 1, count, count / 2);
    int status = s_hub_stop (&hub, true);
    zsock_destroy (&agent);
    if (answered < count / 2 || status != 128 + SIGKILL) {
        fprintf (stderr,
                 "bench_start: the crash round failed (%lld answered, "
                 "exit %d)\n",
                 (long long)answered, status);
        return -1;
    }
    return 0;
}

int main (int argc, char **argv)
{
    unsigned events = 1000000, crash = 0;
    int rounds = 5;
    bool cold = false;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        uint64_t value;
        if (streq (argv[i], "--quick")) {
            events = 20000;
            rounds = 3;
        } else if (streq (argv[i], "--events") && i + 1 < argc &&
                   jk_parse_u64 (argv[i + 1], &value) == JK_OK &&
                   value >= 1000 && value <= 50000000) {
            events = (unsigned)value;
            i++;
        } else if (streq (argv[i], "--rounds") && i + 1 < argc &&
                   jk_parse_u64 (argv[i + 1], &value) == JK_OK && value >= 1 &&
                   value <= 100) {
            rounds = (int)value;
            i++;
        } else if (streq (argv[i], "--crash") && i + 1 < argc &&
                   jk_parse_u64 (argv[i + 1], &value) == JK_OK &&
                   value >= 1000 && value <= 1000000) {
            crash = (unsigned)value;
            i++;
        } else if (streq (argv[i], "--log") && i + 1 < argc)
            keep = argv[++i];
        else if (streq (argv[i], "--cold"))
            cold = true;
        else {
            fprintf (stderr,
                     "usage: bench_start [--quick] [--events N] [--log PATH] "
                     "[--rounds R] [--crash K] [--cold] (N from 1000 to "
                     "50000000, R from 1 to 100, K from 1000 to 1000000)\n");
            return 2;
        }
    }
    jk_log_set_level (JK_LOG_WARN);
    char *dir = jk_bench_tmpdir ("start");
    char *db = keep ? jk_strdup (keep) : jk_sprintf ("%s/events.db", dir);
    if (access (db, R_OK) != 0 && s_make (db, dir, events) != 0)
        return 1;
    char *bin = jk_bench_program_dir ();
    char *program = jk_sprintf ("%s/jejak-hub", bin);
    free (bin);

    double *base = jk_calloc ((size_t)rounds, sizeof *base);
    double *ready = jk_calloc ((size_t)rounds, sizeof *ready);
    double *head = jk_calloc ((size_t)rounds, sizeof *head);
    double *stop = jk_calloc ((size_t)rounds, sizeof *stop);
    double *cpu = jk_calloc ((size_t)rounds, sizeof *cpu);
    uint64_t records = 0;
    int failed = 0;
    for (int r = 0; r < rounds && !failed; r++) {
        if (crash && s_crash (program, db, dir, crash) != 0) {
            failed = 1;
            break;
        }
        if (cold)
            s_drop_cache (db);
        base[r] = s_baseline (db, &records);
        if (cold)
            s_drop_cache (db);
        if (base[r] < 0) {
            char *proj = jk_projections_path (db);
            fprintf (stderr,
                     "bench_start: cannot read the log's last row in %s, or "
                     "the projections' position in %s (a log made without "
                     "projections must be started once by jejak-hub first)\n",
                     db, proj);
            free (proj);
            failed = 1;
            break;
        }
        s_hub_t hub;
        double t0 = jk_bench_now ();
        if (s_hub_spawn (&hub, program, db, dir) != 0) {
            fprintf (stderr, "bench_start: cannot start %s\n", program);
            failed = 1;
            break;
        }
        bool up = s_hub_ready (&hub);
        double t_ready = jk_bench_now ();
        int64_t pos = up ? s_head (&hub) : -1;
        double t_head = jk_bench_now ();
        cpu[r] = s_cpu_s (hub.pid);
        double t_stop = jk_bench_now ();
        int status = s_hub_stop (&hub, false);
        stop[r] = jk_bench_now () - t_stop;
        ready[r] = t_ready - t0;
        head[r] = t_head - t0;
        if (!up || pos < (int64_t)records || status != 0) {
            fprintf (stderr,
                     "bench_start: round %d: the hub %s (HEAD %lld, exit %d; "
                     "its stderr: %s/hub.err)\n",
                     r + 1, up ? "answered badly" : "did not start",
                     (long long)pos, status, dir);
            failed = 1;
            break;
        }
        printf ("round %d: %llu records: baseline %.3f s, ready %.3f s, "
                "HEAD %.3f s (hub CPU %.2f s), stop %.3f s\n",
                r + 1, (unsigned long long)records, base[r], ready[r], head[r],
                cpu[r], stop[r]);
        fflush (stdout);
    }
    double mb = jk_bench_median (base, (size_t)rounds);
    double mr = jk_bench_median (ready, (size_t)rounds);
    double mh = jk_bench_median (head, (size_t)rounds);
    double ms = jk_bench_median (stop, (size_t)rounds);
    double mc = jk_bench_median (cpu, (size_t)rounds);
    printf ("\nhub start on %llu records (%s%s), median of %d: ready %.3f s, "
            "first HEAD %.3f s (hub CPU time until then %.2f s), stop "
            "%.3f s; baseline (open the log, read its last row and the "
            "projections' position) %.4f s\n",
            (unsigned long long)records, cold ? "cold cache" : "warm cache",
            crash ? ", after kill -9 mid-ingest" : "", rounds, mr, mh, mc, ms,
            mb);
    printf ("{\"bench\":\"start\",\"records\":%llu,\"rounds\":%d,"
            "\"crash\":%u,\"cold\":%s,\"baseline_s\":%.4f,\"ready_s\":%.3f,"
            "\"head_s\":%.3f,\"cpu_s\":%.3f,\"stop_s\":%.3f,"
            "\"head_over_baseline\":%.1f,\"failed\":%d}\n",
            (unsigned long long)records, rounds, crash, cold ? "true" : "false",
            mb, mr, mh, mc, ms, mb > 0 ? mh / mb : 0, failed);
    free (base);
    free (ready);
    free (head);
    free (stop);
    free (cpu);
    free (program);
    free (db);
    jk_bench_rmdir (&dir);
    return failed;
}
