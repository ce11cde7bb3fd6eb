/*  bench_web.c - does the web board slow ingest down? Hub ingest (broker +
    store actors, 32 offices each a DEALER with a window of SUBMITs, as
    bench_ingest) with a real jejak-status --http process following the
    hub, once with no viewer and once with 100 open /events streams (plain
    sockets, drained by a reader thread), rounds interleaved in the same
    run, medians reported; the noise is the spread of the no-viewer rounds.
    Usage: bench_web [--quick] [--events N] [--rounds R] [--viewers V]
    Prints a table, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_OFFICES 32
#define S_BATCH   100
#define S_WINDOW  4

/* The viewers: sockets reading /events, drained on their own thread. */
typedef struct {
    int *fds;
    int count;
    atomic_bool stop;
    atomic_ullong bytes;  /* bytes read during the round */
    atomic_ullong events; /* "\n\n"-terminated SSE blocks seen */
    double cpu;           /* the reader thread's CPU seconds */
} s_viewers_t;

/* Opens a TCP connection to the board and sends a GET; -1 on failure. */
static int s_get (int port, const char *path)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t)port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (fd < 0 || connect (fd, (struct sockaddr *)&addr, sizeof addr)) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    char request[256];
    int n = snprintf (request, sizeof request,
                      "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write (fd, request, (size_t)n) != n) {
        close (fd);
        return -1;
    }
    return fd;
}

/* True when /snapshot.json says the board is live at position pos. */
static bool s_board_at (int port, uint64_t pos)
{
    int fd = s_get (port, "/snapshot.json");
    if (fd < 0)
        return false;
    char head[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof head - 1 &&
           (n = read (fd, head + len, sizeof head - 1 - len)) > 0)
        len += (size_t)n;
    close (fd);
    head[len] = 0;
    char want[64];
    snprintf (want, sizeof want,
              "{\"state\":\"live\",\"note\":\"\",\"pos\":%llu,",
              (unsigned long long)pos);
    char *body = strstr (head, "\r\n\r\n");
    return body && strncmp (body + 4, want, strlen (want)) == 0;
}

static void *s_viewers_run (void *arg)
{
    s_viewers_t *v = (s_viewers_t *)arg;
    struct pollfd *p = calloc ((size_t)v->count, sizeof *p);
    for (int i = 0; i < v->count; i++)
        p[i] = (struct pollfd){v->fds[i], POLLIN, 0};
    char buf[65536];
    while (!atomic_load (&v->stop)) {
        if (poll (p, (nfds_t)v->count, 50) <= 0)
            continue;
        for (int i = 0; i < v->count; i++) {
            if (!(p[i].revents & POLLIN))
                continue;
            ssize_t n = read (p[i].fd, buf, sizeof buf);
            if (n <= 0) {
                p[i].fd = -1;
                continue;
            }
            atomic_fetch_add (&v->bytes, (unsigned long long)n);
            for (ssize_t k = 1; k < n; k++)
                if (buf[k] == '\n' && buf[k - 1] == '\n')
                    atomic_fetch_add (&v->events, 1);
        }
    }
    free (p);
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    v->cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    return NULL;
}

/* CPU seconds (user + system) a process has used so far; -1 unknown. */
static double s_cpu_seconds (pid_t pid)
{
    char path[64], text[1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    size_t n = fread (text, 1, sizeof text - 1, f);
    fclose (f);
    text[n] = 0;
    const char *p = strrchr (text, ')');
    unsigned long long utime = 0, stime = 0;
    if (!p ||
        sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf (_SC_CLK_TCK);
}

/* Starts jejak-status --http on a free port; returns its pid, port in
 *port, or -1. */
static pid_t s_status_start (const char *program, const char *dir,
                             const char *feed, const char *query, int round,
                             int *port)
{
    char log[512];
    snprintf (log, sizeof log, "%s/status-%d.log", dir, round);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
            close (fd);
        }
        execl (program, "jejak-status", "--feed", feed, "--query", query,
               "--http", "127.0.0.1:0", "--http-only", (char *)NULL);
        _exit (127);
    }
    double deadline = jk_bench_now () + 10;
    while (jk_bench_now () < deadline) {
        FILE *f = fopen (log, "r");
        char line[256] = "";
        if (f) {
            if (!fgets (line, sizeof line, f))
                line[0] = 0;
            fclose (f);
        }
        char *at = strstr (line, "http=http://127.0.0.1:");
        if (at) {
            *port = atoi (at + strlen ("http=http://127.0.0.1:"));
            return pid;
        }
        zclock_sleep (5);
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    return -1;
}

/* One round: a fresh hub and board, viewers streams open, timed ingest.
   Returns events per second, or -1. */
static double s_round (jk_bench_office_t *offices, const char *program,
                       const char *dir, int round, int viewers,
                       uint64_t *events_seen, double *catchup_s,
                       double *status_cpu)
{
    char name[16];
    snprintf (name, sizeof name, "%d", round);
    jk_bench_hub_t hub;
    if (jk_bench_hub_start (&hub, dir, name, NULL, NULL))
        return -1;
    int port = 0;
    double rate = -1;
    pid_t status =
        s_status_start (program, dir, hub.feed, hub.query, round, &port);
    s_viewers_t v = {.fds = calloc ((size_t)viewers + 1, sizeof (int)),
                     .count = 0};
    pthread_t reader;
    bool reading = false;
    if (status < 0)
        goto cleanup;
    /* The board is live on the empty log before anyone watches. */
    double deadline = jk_bench_now () + 10;
    while (!s_board_at (port, 0) && jk_bench_now () < deadline)
        zclock_sleep (5);
    for (int i = 0; i < viewers; i++) {
        int fd = s_get (port, "/events");
        if (fd < 0) {
            fprintf (stderr, "bench_web: viewer %d could not connect\n", i);
            goto cleanup;
        }
        v.fds[v.count++] = fd;
    }
    atomic_init (&v.stop, false);
    atomic_init (&v.bytes, 0);
    atomic_init (&v.events, 0);
    pthread_create (&reader, NULL, s_viewers_run, &v);
    reading = true;
    size_t total = 0;
    for (int i = 0; i < S_OFFICES; i++)
        total += offices[i].count;
    double cpu_start = s_cpu_seconds (status);
    rate = jk_bench_offices_run (offices, S_OFFICES, &hub, S_BATCH, S_WINDOW,
                                 NULL, "bench_web");
    double end = jk_bench_now ();
    /* How long until the board (and so every viewer) shows the last
       event. */
    deadline = end + 60;
    while (!s_board_at (port, total) && jk_bench_now () < deadline)
        zclock_sleep (5);
    *catchup_s = jk_bench_now () - end;
    *status_cpu = s_cpu_seconds (status) - cpu_start;
cleanup:
    if (reading) {
        atomic_store (&v.stop, true);
        pthread_join (reader, NULL);
        *events_seen = atomic_load (&v.events);
        fprintf (stderr, "  viewers' reader thread: %.2f s CPU, %llu bytes\n",
                 v.cpu, (unsigned long long)atomic_load (&v.bytes));
    }
    for (int i = 0; i < v.count; i++)
        close (v.fds[i]);
    free (v.fds);
    if (status > 0) {
        kill (status, SIGTERM);
        waitpid (status, NULL, 0);
    }
    jk_bench_hub_stop (&hub);
    return rate;
}

int main (int argc, char **argv)
{
    size_t events = 64000;
    int rounds = 3, viewers = 100;
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--quick")) {
            events = 16000;
            rounds = 2;
        } else if (streq (argv[i], "--events") && i + 1 < argc)
            events = strtoull (argv[++i], NULL, 10);
        else if (streq (argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi (argv[++i]);
        else if (streq (argv[i], "--viewers") && i + 1 < argc)
            viewers = atoi (argv[++i]);
        else {
            fprintf (stderr, "usage: bench_web [--quick] [--events N] "
                             "[--rounds R] [--viewers V]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 50 || events < S_OFFICES || viewers < 1 ||
        viewers > 200) {
        fprintf (stderr, "bench_web: options out of range (viewers 1..200: "
                         "the board allows 256 connections)\n");
        return 2;
    }
    signal (SIGPIPE, SIG_IGN);
    jk_log_set_level (JK_LOG_WARN);
    /* jejak-status sits beside this program in build/bin. */
    char *bindir = jk_bench_program_dir ();
    char *program = jk_sprintf ("%s/jejak-status", bindir);
    free (bindir);
    if (access (program, X_OK) != 0) {
        fprintf (stderr, "bench_web: %s not found (build jejak-status)\n",
                 program);
        return 1;
    }
    jk_bench_office_t offices[S_OFFICES];
    size_t per = events / S_OFFICES, n = per * S_OFFICES;
    jk_bench_offices_fill (offices, S_OFFICES, per);
    char *dir = jk_bench_tmpdir ("web");
    double *quiet = jk_calloc ((size_t)rounds, sizeof (double));
    double *watched = jk_calloc ((size_t)rounds, sizeof (double));
    double *cpu_quiet = jk_calloc ((size_t)rounds, sizeof (double));
    double *cpu_watched = jk_calloc ((size_t)rounds, sizeof (double));
    double lag_quiet = 0, lag_watched = 0;
    uint64_t seen = 0;
    for (int r = 0; r < rounds; r++) {
        uint64_t none = 0, got = 0;
        double lag = 0, cpu = 0;
        /* Alternate which goes first, so drift hits both alike. */
        for (int k = 0; k < 2; k++) {
            bool with = (k == 0) == (r % 2 == 1);
            double rate =
                s_round (offices, program, dir, 2 * r + k, with ? viewers : 0,
                         with ? &got : &none, &lag, &cpu);
            if (rate < 0) {
                fprintf (stderr, "bench_web: round %d failed\n", r);
                return 1;
            }
            fprintf (stderr,
                     "round %d, %3d viewers: %.0f ev/s, jejak-status "
                     "used %.2f s CPU\n",
                     r, with ? viewers : 0, rate, cpu);
            (with ? cpu_watched : cpu_quiet)[r] = cpu;
            if (with) {
                watched[r] = rate;
                lag_watched = lag > lag_watched ? lag : lag_watched;
            } else {
                quiet[r] = rate;
                lag_quiet = lag > lag_quiet ? lag : lag_quiet;
            }
        }
        seen += got;
    }
    double q = jk_bench_median (quiet, (size_t)rounds);
    double w = jk_bench_median (watched, (size_t)rounds);
    double lo = quiet[0], hi = quiet[0], wlo = watched[0], whi = watched[0];
    for (int r = 1; r < rounds; r++) {
        lo = quiet[r] < lo ? quiet[r] : lo;
        hi = quiet[r] > hi ? quiet[r] : hi;
        wlo = watched[r] < wlo ? watched[r] : wlo;
        whi = watched[r] > whi ? watched[r] : whi;
    }
    double noise = rounds > 1 ? (hi - lo) / q : 0;
    double cq = jk_bench_median (cpu_quiet, (size_t)rounds);
    double cw = jk_bench_median (cpu_watched, (size_t)rounds);
    printf ("hub ingest with jejak-status --http following, %d offices, %zu "
            "events, %d rounds each (medians)\n",
            S_OFFICES, n, rounds);
    printf ("  %-40s %12.0f ev/s  (min %.0f, max %.0f)\n", "0 viewers", q, lo,
            hi);
    printf ("  %-40s %12.0f ev/s  (min %.0f, max %.0f)\n", "100 viewers (SSE)",
            w, wlo, whi);
    printf ("  %-40s %12.3f\n", "ratio (viewers / none)", w / q);
    printf ("  %-40s %12.3f\n", "noise ((max-min)/median, 0 viewers)", noise);
    printf ("  %-40s %12.2f s / %.2f s\n", "board at head after ingest (max)",
            lag_quiet, lag_watched);
    printf ("  %-40s %12.2f s / %.2f s\n",
            "jejak-status CPU per round (median)", cq, cw);
    printf ("  %-40s %12llu\n", "SSE events received by the viewers",
            (unsigned long long)seen);
    printf ("{\"bench\":\"web\",\"offices\":%d,\"events\":%zu,\"rounds\":%d,"
            "\"viewers\":%d,\"ev_s_0\":%.0f,\"ev_s_viewers\":%.0f,"
            "\"ratio\":%.3f,\"noise\":%.3f,\"sse_events\":%llu,"
            "\"board_lag_s_0\":%.2f,\"board_lag_s_viewers\":%.2f,"
            "\"status_cpu_s_0\":%.2f,\"status_cpu_s_viewers\":%.2f}\n",
            S_OFFICES, n, rounds, viewers, q, w, w / q, noise,
            (unsigned long long)seen, lag_quiet, lag_watched, cq, cw);
    jk_bench_offices_free (offices, S_OFFICES);
    free (quiet);
    free (watched);
    free (cpu_quiet);
    free (cpu_watched);
    free (program);
    jk_bench_rmdir (&dir);
    return 0;
}
