/*  test_pgsink.c - jejak-pgsink against a real PostgreSQL 15 server (a
    throwaway cluster made with initdb and started with pg_ctl in a temp
    directory, on a free port, reached over its Unix socket) and a real
    jejak-hub fed realistic events: catch-up, live follow, kill -9 of the
    sink twice and an immediate-mode restart of PostgreSQL in between;
    at the end every log record is in PostgreSQL once, the sink's position
    and hash equal the hub's head, and the projection tables dump equal to
    the hub's own; a rebuild of the PostgreSQL side dumps equal again.
    PostgreSQL missing is a failure, never a skip. */
#include "testsupport.h"

#include "jk_log.h"
#include "jk_projections.h"
#include "jk_wire.h"
#include "workload.h"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PG_BIN "/usr/lib/postgresql/15/bin"

typedef struct {
    char *dir, *data, *conninfo, *log;
    int port;
} s_pg_t;

/* A TCP port nobody listens on now (the server itself listens only on its
   Unix socket, whose name carries the port). */
static int s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname (fd, (struct sockaddr *)&addr, &len);
    close (fd);
    return ntohs (addr.sin_port);
}

/* Runs a PostgreSQL program; as root (PostgreSQL refuses to run as root)
   through runuser as the postgres account, which then owns the cluster. */
static int s_pg_run (char **argv, char **out, char **err, int timeout_ms)
{
    if (geteuid () != 0)
        return jk_test_run (argv, out, err, timeout_ms);
    char *wrapped[24] = {"/usr/sbin/runuser", "-u", "postgres", "--"};
    int n = 4;
    for (int i = 0; argv[i] && n < 23; i++)
        wrapped[n++] = argv[i];
    wrapped[n] = NULL;
    return jk_test_run (wrapped, out, err, timeout_ms);
}

static int s_pg_ctl (s_pg_t *pg, const char *action, const char *mode)
{
    char *opts = jk_sprintf ("-p %d -k %s -c listen_addresses='' -c fsync=on",
                             pg->port, pg->dir);
    char *argv[] = {S_PG_BIN "/pg_ctl",
                    "-D",
                    pg->data,
                    "-l",
                    pg->log,
                    "-o",
                    opts,
                    "-w",
                    "-m",
                    (char *)mode,
                    (char *)action,
                    NULL};
    char *out = NULL, *err = NULL;
    int rc = s_pg_run (argv, &out, &err, 60000);
    if (rc != 0)
        fprintf (stderr, "pg_ctl %s: %s %s\n", action, out ? out : "",
                 err ? err : "");
    free (out);
    free (err);
    free (opts);
    return rc;
}

static s_pg_t *s_pg_start (const char *dir)
{
    struct stat st;
    if (stat (S_PG_BIN "/initdb", &st) != 0)
        fail_msg ("PostgreSQL 15 is not installed (%s/initdb): scripts/setup "
                  "installs it",
                  S_PG_BIN);
    s_pg_t *pg = jk_calloc (1, sizeof *pg);
    pg->dir = jk_strdup (dir);
    pg->data = jk_sprintf ("%s/pgdata", dir);
    pg->log = jk_sprintf ("%s/postgres.log", dir);
    pg->port = s_free_port ();
    char *argv[] = {S_PG_BIN "/initdb",
                    "-D",
                    pg->data,
                    "-A",
                    "trust",
                    "-U",
                    "jejak",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    NULL};
    if (geteuid () == 0) {
        struct passwd *pw = getpwnam ("postgres");
        if (!pw)
            fail_msg ("running as root needs the postgres account to run "
                      "PostgreSQL (the postgresql package makes it)");
        assert_int_equal (chown (dir, pw->pw_uid, pw->pw_gid), 0);
    }
    char *out = NULL, *err = NULL;
    int rc = s_pg_run (argv, &out, &err, 120000);
    if (rc != 0)
        fail_msg ("initdb: %s", err ? err : "");
    free (out);
    free (err);
    assert_int_equal (s_pg_ctl (pg, "start", "fast"), 0);
    pg->conninfo = jk_sprintf ("host=%s port=%d dbname=postgres user=jejak",
                               dir, pg->port);
    return pg;
}

static void s_pg_stop (s_pg_t **pg_p)
{
    s_pg_t *pg = *pg_p;
    s_pg_ctl (pg, "stop", "fast");
    free (pg->dir);
    free (pg->data);
    free (pg->log);
    free (pg->conninfo);
    free (pg);
    *pg_p = NULL;
}

/* One integer from PostgreSQL, -1 when it cannot answer. */
static int64_t s_pg_int (s_pg_t *pg, const char *sql)
{
    PGconn *conn = PQconnectdb (pg->conninfo);
    int64_t value = -1;
    if (PQstatus (conn) == CONNECTION_OK) {
        PGresult *res = PQexec (conn, sql);
        if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1 &&
            !PQgetisnull (res, 0, 0))
            value = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        PQclear (res);
    }
    PQfinish (conn);
    return value;
}

static char *s_pg_text (s_pg_t *pg, const char *sql)
{
    PGconn *conn = PQconnectdb (pg->conninfo);
    char *value = NULL;
    if (PQstatus (conn) == CONNECTION_OK) {
        PGresult *res = PQexec (conn, sql);
        if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
            value = jk_strdup (PQgetvalue (res, 0, 0));
        PQclear (res);
    }
    PQfinish (conn);
    return value;
}

/* Submits count workload events to the hub, 500 per SUBMIT, each
   answered. */
static void s_submit (jk_workload_t *w, const char *ingest, int count)
{
    zsock_t *sock = jk_test_dealer (ingest);
    while (count > 0) {
        int n = count < 500 ? count : 500;
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        for (int i = 0; i < n; i++) {
            jk_event_t *e = jk_workload_next (w);
            assert_non_null (e);
            size_t size = 0;
            uint8_t *bytes = jk_event_encode (e, &size);
            zmsg_addmem (msg, bytes, size);
            free (bytes);
            jk_event_destroy (&e);
        }
        zmsg_send (&msg, sock);
        zmsg_t *answer = jk_test_recv (sock, 30000);
        assert_non_null (answer);
        assert_int_equal (zmsg_size (answer), (size_t)n + 2);
        char command[16];
        assert_int_equal (jk_wire_open (answer, command, sizeof command), 0);
        for (zframe_t *f = zmsg_first (answer); f; f = zmsg_next (answer)) {
            jk_answer_t a;
            assert_int_equal (
                jk_answer_decode (zframe_data (f), zframe_size (f), &a), 0);
            /* Stored, as an acceptance or a rejection record. */
            assert_true (a.kind == JK_ANSWER_ACK ||
                         a.kind == JK_ANSWER_REJECTED);
        }
        zmsg_destroy (&answer);
        count -= n;
    }
    zsock_destroy (&sock);
}

static pid_t s_sink (const char *command, s_pg_t *pg, const char *query,
                     const char *feed, const char *shadow, const char *log)
{
    char *argv[] = {"jejak-pgsink", (char *)command, "--pg",   pg->conninfo,
                    "--query",      (char *)query,   "--feed", (char *)feed,
                    "--shadow",     (char *)shadow,  NULL};
    return jk_test_spawn (argv, log);
}

/* The hub's projections in the canonical dump form (heap). */
static char *s_hub_dump (const char *db_path)
{
    sqlite3 *db = jk_test_projections (db_path);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    char err[256];
    assert_int_equal (jk_projections_dump (db, out, err, sizeof err), 0);
    fclose (out);
    sqlite3_close (db);
    return text;
}

static char *s_pg_dump (s_pg_t *pg)
{
    char *argv[] = {"jejak-pgsink", "dump", "--pg", pg->conninfo, NULL};
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 120000);
    if (rc != 0)
        fail_msg ("jejak-pgsink dump: %s", err ? err : "");
    free (err);
    return out;
}

/* Fails naming the first line where the dumps differ. */
static void s_same_dump (const char *pg_dump, const char *hub_dump)
{
    if (streq (pg_dump, hub_dump))
        return;
    const char *a = pg_dump, *b = hub_dump, *line_a = a, *line_b = b;
    int line = 1;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            line_a = a + 1;
            line_b = b + 1;
        }
        a++;
        b++;
    }
    fail_msg ("dumps differ at line %d:\n  pg:  %.200s\n  hub: %.200s", line,
              line_a, line_b);
}

static void s_hub_head (const char *query, uint64_t *pos, char hex[65])
{
    zsock_t *sock = jk_test_dealer (query);
    zmsg_t *msg = jk_wire_new ("HEAD");
    zmsg_send (&msg, sock);
    zmsg_t *answer = jk_test_recv (sock, 5000);
    assert_non_null (answer);
    char command[16];
    assert_int_equal (jk_wire_open (answer, command, sizeof command), 0);
    assert_int_equal (jk_wire_pop_u64 (answer, pos), 0);
    zframe_t *hash = zmsg_pop (answer);
    jk_hex_format (zframe_data (hash), 32, hex);
    zframe_destroy (&hash);
    zmsg_destroy (&answer);
    zsock_destroy (&sock);
}

static void test_sink_exactly_once (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("pgsink");
    s_pg_t *pg = s_pg_start (dir);
    char *db = jk_sprintf ("%s/events.db", dir);
    char *ingest = jk_test_endpoint (dir, "ingest");
    char *feed = jk_test_endpoint (dir, "feed");
    char *query = jk_test_endpoint (dir, "query");
    char *hub_log = jk_sprintf ("%s/hub.log", dir);
    char *sink_log = jk_sprintf ("%s/sink.log", dir);
    char *shadow = jk_sprintf ("%s/shadow.db", dir);
    pid_t hub = jk_test_hub_spawn (db, ingest, feed, query, NULL, hub_log);
    assert_true (
        JK_WAIT_FOR (jk_test_file_has (hub_log, "jejak-hub ingest="), 30000));
    jk_workload_config_t config = {.events = 6000, .reject_share = 0.05};
    jk_workload_t *w = jk_workload_new (17, &config);
    s_submit (w, ingest, 2000);

    /* Catch-up from the query endpoint. */
    pid_t sink = s_sink ("run", pg, query, feed, shadow, sink_log);
    if (!JK_WAIT_FOR (s_pg_int (pg, "SELECT pos FROM jejak_sink") == 2000,
                      60000))
        fail_msg ("sink at %lld",
                  (long long)s_pg_int (pg, "SELECT pos FROM jejak_sink"));
    /* Live: follows the feed; killed -9 in the middle, twice. */
    s_submit (w, ingest, 1000);
    assert_true (JK_WAIT_FOR (
        s_pg_int (pg, "SELECT pos FROM jejak_sink") > 2000, 30000));
    assert_int_not_equal (jk_test_stop (sink, SIGKILL, 10000), -1);
    s_submit (w, ingest, 1000);
    sink = s_sink ("run", pg, query, feed, shadow, sink_log);
    assert_true (JK_WAIT_FOR (
        s_pg_int (pg, "SELECT pos FROM jejak_sink") >= 3500, 60000));
    assert_int_not_equal (jk_test_stop (sink, SIGKILL, 10000), -1);
    sink = s_sink ("run", pg, query, feed, shadow, sink_log);
    /* PostgreSQL restarted under it (immediate: a crash and recovery). */
    assert_true (JK_WAIT_FOR (
        s_pg_int (pg, "SELECT pos FROM jejak_sink") == 4000, 60000));
    assert_int_equal (s_pg_ctl (pg, "restart", "immediate"), 0);
    s_submit (w, ingest, 2000);
    uint64_t head_pos;
    char head_hash[65];
    s_hub_head (query, &head_pos, head_hash);
    assert_int_equal (head_pos, 6000);
    if (!JK_WAIT_FOR (s_pg_int (pg, "SELECT pos FROM jejak_sink") == 6000,
                      90000))
        fail_msg ("sink at %lld after the restart",
                  (long long)s_pg_int (pg, "SELECT pos FROM jejak_sink"));

    /* Exactly once, in PostgreSQL's own types. */
    assert_int_equal (s_pg_int (pg, "SELECT count(*) FROM log"), 6000);
    assert_int_equal (s_pg_int (pg, "SELECT count(DISTINCT id) FROM log"),
                      6000);
    assert_int_equal (s_pg_int (pg, "SELECT max(pos) FROM log"), 6000);
    assert_true (s_pg_int (pg, "SELECT count(*) FROM log WHERE outcome = 1") >
                 0);
    assert_int_equal (s_pg_int (pg,
                                "SELECT count(*) FROM log WHERE recorded_at < "
                                "'2020-01-01'::timestamptz"),
                      0);
    char *hash = s_pg_text (pg, "SELECT encode(hash, 'hex') FROM jejak_sink");
    assert_string_equal (hash, head_hash);
    free (hash);
    hash = s_pg_text (pg, "SELECT encode(hash, 'hex') FROM log WHERE pos = "
                          "6000");
    assert_string_equal (hash, head_hash);
    free (hash);
    /* Every projection table equals the hub's. */
    char *hub_dump = s_hub_dump (db);
    char *pg_dump = s_pg_dump (pg);
    assert_true (strlen (hub_dump) > 10000);
    s_same_dump (pg_dump, hub_dump);
    free (pg_dump);
    assert_int_equal (jk_test_stop (sink, SIGTERM, 10000), 0);

    /* A rebuild of the PostgreSQL side from the log dumps the same. */
    char *argv[] = {"jejak-pgsink", "rebuild", "--pg",   pg->conninfo,
                    "--query",      query,     "--feed", feed,
                    "--shadow",     shadow,    NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, 180000), 0);
    assert_non_null (strstr (out, "jejak-pgsink pos=6000 written=6000"));
    free (out);
    free (err);
    pg_dump = s_pg_dump (pg);
    s_same_dump (pg_dump, hub_dump);
    free (pg_dump);
    free (hub_dump);
    assert_int_equal (s_pg_int (pg, "SELECT count(*) FROM log"), 6000);

    jk_workload_destroy (&w);
    assert_int_equal (jk_test_stop (hub, SIGTERM, 10000), 0);
    s_pg_stop (&pg);
    free (db);
    free (ingest);
    free (feed);
    free (query);
    free (hub_log);
    free (sink_log);
    free (shadow);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sink_exactly_once),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
