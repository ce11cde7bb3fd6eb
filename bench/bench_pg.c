/*  bench_pg.c - PostgreSQL 15 as a peer for hub ingest, in the same run.
    Starts a throwaway cluster (initdb + pg_ctl in a temp directory, a
    free TCP port on 127.0.0.1 chosen now, the Unix socket in the same
    directory, synchronous_commit=on, fsync=on), creates a `log` table
    with UNIQUE (id), UNIQUE (source, seq) and a SHA-256 per row computed
    by the server (sha256(bytes)), and has 32 clients (one libpq
    connection and thread each, over the Unix socket as the offices use
    ipc) insert the hub benchmark's events, 100 rows per transaction
    (BEGIN, 100 prepared INSERTs, COMMIT), with the same window of
    transactions in flight as the offices' SUBMITs (libpq pipeline mode).
    Rounds alternate with hub rounds (bench_hub: the same 32 offices,
    events, SUBMIT size and window through broker + store actors) and
    transport floor rounds (bench_floor.c: the same offices into a bare
    append + SHA-256 chain + FULL commit in the hub's process shape), each
    on a fresh table, hub or floor; medians; pg_ratio = hub / PostgreSQL,
    floor_pg_ratio = floor / PostgreSQL (the most any SQLite hub with
    FULL commits reaches against PostgreSQL here).
    The cluster is stopped and its directory removed on every exit path
    (normal end, error, SIGINT, SIGTERM, SIGHUP).
    Usage: bench_pg [--quick] [--events N] [--rounds R] [--batch B]
                    [--window W]
    Needs the PostgreSQL 15 server binaries ($JEJAK_PG_BIN, default
    /usr/lib/postgresql/15/bin); without them it says so and exits 0 with
    no figures. Prints a table, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_CLIENTS 32

/* ---- the throwaway cluster ----------------------------------------------- */

static char *s_dir;     /* temp directory: data/, the socket, pg.log */
static char s_bin[512]; /* the server binaries */
static bool s_running;  /* pg_ctl start succeeded */
static uid_t s_pg_uid;  /* run the server as this user when we are root */
static gid_t s_pg_gid;
static bool s_as_other;

/* Runs argv (a NULL-terminated list) as the cluster's owner, output
   appended to dir/pg.log; returns its exit status or -1. The server
   itself logs to dir/server.log. */
static int s_run (char *const argv[])
{
    pid_t pid = fork ();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char log[1024];
        snprintf (log, sizeof log, "%s/pg.log", s_dir);
        FILE *out = fopen (log, "a");
        if (out) {
            dup2 (fileno (out), 1);
            dup2 (fileno (out), 2);
        }
        if (s_as_other && (setgid (s_pg_gid) || setuid (s_pg_uid)))
            _exit (126);
        execv (argv[0], argv);
        _exit (127);
    }
    int status;
    while (waitpid (pid, &status, 0) < 0)
        ;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Copies the server's log to stderr (before the directory goes). */
static void s_show_log (void)
{
    const char *names[] = {"pg.log", "server.log"};
    for (int i = 0; i < 2; i++) {
        char path[1024], line[512];
        snprintf (path, sizeof path, "%s/%s", s_dir, names[i]);
        FILE *f = fopen (path, "r");
        while (f && fgets (line, sizeof line, f))
            fprintf (stderr, "  %s: %s", names[i], line);
        if (f)
            fclose (f);
    }
}

static void s_cluster_stop (void)
{
    if (s_running) {
        char pg_ctl[600], data[1024];
        snprintf (pg_ctl, sizeof pg_ctl, "%s/pg_ctl", s_bin);
        snprintf (data, sizeof data, "%s/data", s_dir);
        char *argv[] = {pg_ctl,      "-D", data,   "-m",
                        "immediate", "-w", "stop", NULL};
        s_run (argv);
        s_running = false;
    }
    if (s_dir)
        jk_bench_rmdir (&s_dir);
}

static void s_on_signal (int sig)
{
    (void)sig;
    exit (1); /* runs s_cluster_stop */
}

/* A TCP port on 127.0.0.1 that is free now. */
static int s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname (fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs (addr.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

/* initdb + pg_ctl start; fills conninfo. 0, or -1 (said on stderr). */
static int s_cluster_start (char *conninfo, size_t size)
{
    s_dir = jk_bench_tmpdir ("pg");
    atexit (s_cluster_stop);
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    signal (SIGHUP, s_on_signal);
    if (geteuid () == 0) {
        /* The server refuses to run as root. */
        struct passwd *pw = getpwnam ("postgres");
        if (!pw) {
            fprintf (stderr, "bench_pg: running as root and there is no "
                             "postgres user to run the server\n");
            return -1;
        }
        s_pg_uid = pw->pw_uid;
        s_pg_gid = pw->pw_gid;
        s_as_other = true;
        if (chown (s_dir, s_pg_uid, s_pg_gid)) {
            perror ("bench_pg: chown");
            return -1;
        }
    }
    chmod (s_dir, 0700);
    char initdb[600], pg_ctl[600], data[1024], opts[1400], log[1024];
    snprintf (initdb, sizeof initdb, "%s/initdb", s_bin);
    snprintf (pg_ctl, sizeof pg_ctl, "%s/pg_ctl", s_bin);
    snprintf (data, sizeof data, "%s/data", s_dir);
    snprintf (log, sizeof log, "%s/server.log", s_dir);
    char *init_argv[] = {initdb, "-D",    data, "-A",   "trust",
                         "-U",   "bench", "-E", "UTF8", "--no-instructions",
                         NULL};
    if (s_run (init_argv) != 0) {
        fprintf (stderr, "bench_pg: initdb failed:\n");
        s_show_log ();
        return -1;
    }
    for (int tries = 0; tries < 5 && !s_running; tries++) {
        int port = s_free_port ();
        if (port < 0)
            continue;
        snprintf (opts, sizeof opts,
                  "-p %d -k %s -c listen_addresses=127.0.0.1 "
                  "-c synchronous_commit=on -c fsync=on "
                  "-c full_page_writes=on -c max_connections=64",
                  port, s_dir);
        char *start_argv[] = {pg_ctl, "-D", data, "-l", log,     "-w",
                              "-t",   "60", "-o", opts, "start", NULL};
        if (s_run (start_argv) == 0) {
            s_running = true;
            snprintf (conninfo, size,
                      "host=%s port=%d dbname=postgres user=bench "
                      "options='-c client_min_messages=warning'",
                      s_dir, port);
        }
    }
    if (!s_running) {
        fprintf (stderr, "bench_pg: pg_ctl start failed:\n");
        s_show_log ();
    }
    return s_running ? 0 : -1;
}

/* One statement on conn; false with the error on stderr. */
static bool s_exec (PGconn *conn, const char *sql)
{
    PGresult *r = PQexec (conn, sql);
    ExecStatusType st = PQresultStatus (r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf (stderr, "bench_pg: %s: %s", sql, PQerrorMessage (conn));
    PQclear (r);
    return ok;
}

/* ---- the clients --------------------------------------------------------- */

typedef struct {
    const char *conninfo;
    PGconn *conn;
    const jk_bench_office_t *office; /* its events */
    jk_bench_event_t *rows;          /* their columns */
    size_t batch;
    int window;
    pthread_barrier_t *go;
    bool failed;
} s_client_t;

#define S_INSERT                                                               \
    "INSERT INTO log (id, type, source, seq, at, recorded_at, bytes, hash)"    \
    " VALUES ($1, $2, $3, $4, $5, $6, $7, sha256($7))"

/* Queues one transaction of rows [from, to) and a sync point. */
static bool s_queue (s_client_t *c, size_t from, size_t to)
{
    if (!PQsendQueryParams (c->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
        return false;
    static const int formats[7] = {1, 0, 0, 0, 0, 0, 1};
    for (size_t i = from; i < to; i++) {
        const jk_bench_event_t *e = &c->rows[i];
        char seq[24], at[24], now[24];
        snprintf (seq, sizeof seq, "%" PRIu64, e->seq);
        snprintf (at, sizeof at, "%" PRId64, e->at);
        snprintf (now, sizeof now, "%" PRId64, jk_clock_now_ms ());
        const char *values[7] = {
            (const char *)e->id,   e->type, e->source, seq, at, now,
            (const char *)e->bytes};
        int lengths[7] = {16, 0, 0, 0, 0, 0, (int)e->size};
        if (!PQsendQueryPrepared (c->conn, "ins", 7, values, lengths, formats,
                                  0))
            return false;
    }
    return PQsendQueryParams (c->conn, "COMMIT", 0, NULL, NULL, NULL, NULL,
                              0) &&
           PQpipelineSync (c->conn);
}

/* Inserts the office's events, window transactions in flight. */
static void *s_client_run (void *arg)
{
    s_client_t *c = arg;
    size_t count = c->office->count;
    size_t total = (count + c->batch - 1) / c->batch, sent = 0, done = 0;
    pthread_barrier_wait (c->go);
    while (done < total && !c->failed) {
        while (sent < total && sent - done < (size_t)c->window) {
            size_t from = sent * c->batch;
            size_t to = from + c->batch < count ? from + c->batch : count;
            if (!s_queue (c, from, to)) {
                c->failed = true;
                break;
            }
            sent++;
        }
        int pending = PQflush (c->conn);
        if (pending < 0)
            c->failed = true;
        struct pollfd p = {PQsocket (c->conn),
                           (short)(POLLIN | (pending ? POLLOUT : 0)), 0};
        if (c->failed || poll (&p, 1, 10000) <= 0) {
            c->failed = true;
            break;
        }
        if (!(p.revents & POLLIN))
            continue;
        if (!PQconsumeInput (c->conn)) {
            c->failed = true;
            break;
        }
        /* While queries are pending, a NULL only separates two results. */
        while (done < sent && !PQisBusy (c->conn)) {
            PGresult *r = PQgetResult (c->conn);
            if (!r)
                continue;
            ExecStatusType st = PQresultStatus (r);
            if (st == PGRES_PIPELINE_SYNC)
                done++;
            else if (st != PGRES_COMMAND_OK) {
                fprintf (stderr, "bench_pg: %s", PQresultErrorMessage (r));
                c->failed = true;
            }
            PQclear (r);
        }
    }
    if (c->failed)
        fprintf (stderr, "bench_pg: client %s failed: %s\n", c->office->source,
                 PQerrorMessage (c->conn));
    return NULL;
}

/* One PostgreSQL round on a fresh table: rows per second, or -1. */
static double s_pg_round (const char *conninfo, jk_bench_office_t *offices,
                          jk_bench_event_t *rows, size_t per,
                          const jk_bench_ingest_options_t *opt)
{
    PGconn *admin = PQconnectdb (conninfo);
    if (PQstatus (admin) != CONNECTION_OK ||
        !s_exec (admin, "DROP TABLE IF EXISTS log") ||
        !s_exec (admin, "CREATE TABLE log (pos bigint GENERATED ALWAYS AS"
                        " IDENTITY PRIMARY KEY, id bytea NOT NULL UNIQUE,"
                        " type text NOT NULL, source text NOT NULL,"
                        " seq bigint NOT NULL, at bigint NOT NULL,"
                        " recorded_at bigint NOT NULL, bytes bytea NOT NULL,"
                        " hash bytea NOT NULL, UNIQUE (source, seq))") ||
        !s_exec (admin, "CHECKPOINT")) {
        fprintf (stderr, "bench_pg: %s", PQerrorMessage (admin));
        PQfinish (admin);
        return -1;
    }
    s_client_t clients[S_CLIENTS];
    pthread_t threads[S_CLIENTS];
    pthread_barrier_t go;
    pthread_barrier_init (&go, NULL, S_CLIENTS + 1);
    bool ok = true;
    for (int i = 0; i < S_CLIENTS; i++) {
        s_client_t *c = &clients[i];
        *c = (s_client_t){conninfo,    PQconnectdb (conninfo),
                          &offices[i], rows + (size_t)i * per,
                          opt->batch,  opt->window,
                          &go,         false};
        PGresult *r = NULL;
        if (PQstatus (c->conn) != CONNECTION_OK ||
            PQresultStatus (r = PQprepare (c->conn, "ins", S_INSERT, 7,
                                           NULL)) != PGRES_COMMAND_OK ||
            PQsetnonblocking (c->conn, 1) || !PQenterPipelineMode (c->conn)) {
            fprintf (stderr, "bench_pg: client %d: %s", i,
                     PQerrorMessage (c->conn));
            c->failed = true;
            ok = false;
        }
        PQclear (r);
        pthread_create (&threads[i], NULL, s_client_run, c);
    }
    double start = jk_bench_now ();
    pthread_barrier_wait (&go);
    for (int i = 0; i < S_CLIENTS; i++)
        pthread_join (threads[i], NULL);
    double rate = (double)(per * S_CLIENTS) / (jk_bench_now () - start);
    for (int i = 0; i < S_CLIENTS; i++) {
        ok = ok && !clients[i].failed;
        PQfinish (clients[i].conn);
    }
    pthread_barrier_destroy (&go);
    /* Every row is there, once. */
    PGresult *r = PQexec (admin, "SELECT count(*) FROM log");
    if (ok && (PQresultStatus (r) != PGRES_TUPLES_OK ||
               strtoull (PQgetvalue (r, 0, 0), NULL, 10) != per * S_CLIENTS)) {
        fprintf (stderr, "bench_pg: the log holds %s rows, not %zu\n",
                 PQresultStatus (r) == PGRES_TUPLES_OK ? PQgetvalue (r, 0, 0)
                                                       : "?",
                 per * S_CLIENTS);
        ok = false;
    }
    PQclear (r);
    PQfinish (admin);
    return ok ? rate : -1;
}

int main (int argc, char **argv)
{
    jk_bench_ingest_options_t opt;
    if (jk_bench_ingest_options ("bench_pg", argc, argv, S_CLIENTS, 64000,
                                 &opt))
        return 2;
    const char *bin = getenv ("JEJAK_PG_BIN");
    snprintf (s_bin, sizeof s_bin, "%s",
              bin ? bin : "/usr/lib/postgresql/15/bin");
    char probe[600];
    snprintf (probe, sizeof probe, "%s/pg_ctl", s_bin);
    if (access (probe, X_OK) != 0) {
        printf ("bench_pg: no PostgreSQL server binaries in %s "
                "(set JEJAK_PG_BIN): no figures\n",
                s_bin);
        return 0;
    }
    jk_log_set_level (JK_LOG_WARN);
    char conninfo[1200];
    if (s_cluster_start (conninfo, sizeof conninfo))
        return 1;
    PGconn *conn = PQconnectdb (conninfo);
    char version[64] = "?";
    PGresult *r = PQexec (conn, "SHOW server_version");
    if (PQresultStatus (r) == PGRES_TUPLES_OK)
        snprintf (version, sizeof version, "%s", PQgetvalue (r, 0, 0));
    PQclear (r);
    r = PQexec (conn, "SHOW synchronous_commit");
    bool sync_on = PQresultStatus (r) == PGRES_TUPLES_OK &&
                   streq (PQgetvalue (r, 0, 0), "on");
    PQclear (r);
    PQfinish (conn);
    if (!sync_on) {
        fprintf (stderr, "bench_pg: synchronous_commit is not on\n");
        return 1;
    }

    jk_bench_office_t offices[S_CLIENTS];
    size_t per = opt.events / S_CLIENTS;
    jk_bench_offices_fill (offices, S_CLIENTS, per);
    jk_bench_event_t *rows = jk_calloc (per * S_CLIENTS, sizeof *rows);
    for (int i = 0; i < S_CLIENTS; i++)
        for (size_t k = 0; k < per; k++)
            jk_bench_event (offices[i].bytes[k], offices[i].sizes[k],
                            &rows[(size_t)i * per + k]);
    char *dir = jk_bench_tmpdir ("pg-hub");
    double *pg = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *hub = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *floor = jk_calloc ((size_t)opt.rounds, sizeof (double));
    uint64_t nacks = 0, floor_nacks = 0;
    int rc = 0;
    for (int round = 0; round < opt.rounds; round++) {
        pg[round] = s_pg_round (conninfo, offices, rows, per, &opt);
        hub[round] =
            jk_bench_ingest_round (&opt, offices, S_CLIENTS, dir, round,
                                   JK_BENCH_HUB, &nacks, NULL, "bench_pg");
        floor[round] = jk_bench_ingest_round (&opt, offices, S_CLIENTS, dir,
                                              round, JK_BENCH_FLOOR,
                                              &floor_nacks, NULL, "bench_pg");
        printf ("round %d: PostgreSQL %.0f rows/s, hub %.0f ev/s, transport "
                "floor %.0f ev/s\n",
                round + 1, pg[round], hub[round], floor[round]);
        fflush (stdout);
        if (pg[round] < 0 || hub[round] < 0 || floor[round] < 0 ||
            floor_nacks) {
            rc = 1;
            break;
        }
    }
    if (rc == 0) {
        double pg_median = jk_bench_median (pg, (size_t)opt.rounds);
        double hub_median = jk_bench_median (hub, (size_t)opt.rounds);
        double floor_median = jk_bench_median (floor, (size_t)opt.rounds);
        printf ("PostgreSQL %s peer, %d clients, %zu rows, %zu rows per "
                "transaction, window %d, %d rounds (medians)\n",
                version, S_CLIENTS, per * S_CLIENTS, opt.batch, opt.window,
                opt.rounds);
        printf ("  %-34s %12.0f rows/s\n", "PostgreSQL (synchronous_commit=on)",
                pg_median);
        printf ("  %-34s %12.0f ev/s\n", "hub (acked after FULL commit)",
                hub_median);
        printf ("  %-34s %12.0f ev/s\n", "transport floor (same offices)",
                floor_median);
        printf ("  %-34s %12.2f\n", "pg_ratio (hub / PostgreSQL)",
                hub_median / pg_median);
        printf ("  %-34s %12.2f\n", "floor_pg_ratio (floor / PostgreSQL)",
                floor_median / pg_median);
        printf ("{\"bench\":\"pg\",\"version\":\"%s\",\"clients\":%d,"
                "\"events\":%zu,\"batch\":%zu,\"window\":%d,\"rounds\":%d,"
                "\"pg_rows_s\":%.0f,\"hub_ev_s\":%.0f,\"pg_ratio\":%.3f,"
                "\"floor_ev_s\":%.0f,\"floor_pg_ratio\":%.3f,"
                "\"nacks\":%" PRIu64 "}\n",
                version, S_CLIENTS, per * S_CLIENTS, opt.batch, opt.window,
                opt.rounds, pg_median, hub_median, hub_median / pg_median,
                floor_median, floor_median / pg_median, nacks);
    }
    jk_bench_offices_free (offices, S_CLIENTS);
    free (rows);
    free (pg);
    free (hub);
    free (floor);
    jk_bench_rmdir (&dir);
    return rc;
}
