/*  pgtest.c - a throwaway PostgreSQL server for a test (pgtest.h). */
#include "pgtest.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PG_BIN "/usr/lib/postgresql/15/bin"

/* A TCP port nobody listens on now. The server listens only on its Unix
   socket in the test's own directory, whose name carries the port, so
   two tests given the same number do not meet: nothing binds it. */
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

/* The server runs detached (pg_ctl puts it in its own session), so the
   test's process group and parent-death signal do not reach it. A
   watchdog process waits on a pipe only the test process holds: a byte
   says the test stopped the server itself; end of file says the test
   process ended without that (failed, aborted, killed by a timeout), and
   the watchdog stops the server at once (pg_ctl stop -m immediate). */
static void s_watchdog_start (jk_test_pg_t *pg)
{
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        dup2 (fds[0], 3);
        closefrom (4);
        char byte;
        ssize_t n;
        while ((n = read (3, &byte, 1)) < 0 && errno == EINTR)
            ;
        if (n == 1)
            _exit (0);
        char *stop[] = {"/usr/sbin/runuser", "-u", "postgres", "--",
                        S_PG_BIN "/pg_ctl",  "-D", pg->data,   "-m",
                        "immediate",         "-s", "stop",     NULL};
        char **argv = geteuid () == 0 ? stop : stop + 4;
        execv (argv[0], argv);
        _exit (127);
    }
    close (fds[0]);
    fcntl (fds[1], F_SETFD, FD_CLOEXEC);
    pg->watchdog = pid;
    pg->watchdog_fd = fds[1];
}

static void s_watchdog_stop (jk_test_pg_t *pg)
{
    ssize_t n = write (pg->watchdog_fd, "q", 1);
    (void)n;
    close (pg->watchdog_fd);
    waitpid (pg->watchdog, NULL, 0);
}

int jk_test_pg_ctl (jk_test_pg_t *pg, const char *action, const char *mode)
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

jk_test_pg_t *jk_test_pg_start (const char *dir)
{
    struct stat st;
    if (stat (S_PG_BIN "/initdb", &st) != 0)
        fail_msg ("PostgreSQL 15 is not installed (%s/initdb): scripts/setup "
                  "installs it",
                  S_PG_BIN);
    jk_test_pg_t *pg = jk_calloc (1, sizeof *pg);
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
    s_watchdog_start (pg);
    assert_int_equal (jk_test_pg_ctl (pg, "start", "fast"), 0);
    pg->conninfo = jk_sprintf ("host=%s port=%d dbname=postgres user=jejak",
                               dir, pg->port);
    return pg;
}

void jk_test_pg_stop (jk_test_pg_t **pg_p)
{
    jk_test_pg_t *pg = *pg_p;
    jk_test_pg_ctl (pg, "stop", "fast");
    s_watchdog_stop (pg);
    free (pg->dir);
    free (pg->data);
    free (pg->log);
    free (pg->conninfo);
    free (pg);
    *pg_p = NULL;
}

/* One integer from PostgreSQL, -1 when it cannot answer. */
int64_t jk_test_pg_int (jk_test_pg_t *pg, const char *sql)
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

char *jk_test_pg_text (jk_test_pg_t *pg, const char *sql)
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
