/*  link_support.h - helpers for the upstream link tests: real regency logs
    (generated and decided as the store does), jejak-link processes, and
    their STATS read over the wire. Header only: every function is
    static inline. */
#ifndef LINK_SUPPORT_H
#define LINK_SUPPORT_H

#include "testsupport.h"

#include "jk_base.h"
#include "jk_keys.h"
#include "jk_link.h"
#include "jk_wire.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A DEALER to endpoint; a CURVE client with the secret certificate key
   and the server's public certificate server when both are set. */
static inline zsock_t *lk_dealer (const char *endpoint, const char *key,
                                  const char *server)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    if (key && server) {
        zcert_t *mine = zcert_load (key);
        zcert_t *theirs = zcert_load (server);
        assert_non_null (mine);
        assert_non_null (theirs);
        zcert_apply (mine, sock);
        zsock_set_curve_serverkey (sock, zcert_public_txt (theirs));
        zcert_destroy (&mine);
        zcert_destroy (&theirs);
    }
    assert_int_equal (zsock_connect (sock, "%s", endpoint), 0);
    return sock;
}

/* The STATS text of a link endpoint (heap), or NULL when it did not answer
   within 10 s (a process still starting answers once it is up). */
static inline char *lk_stats_text (const char *endpoint, const char *key,
                                   const char *server)
{
    zsock_t *sock = lk_dealer (endpoint, key, server);
    zmsg_t *req = jk_wire_new ("STATS");
    zmsg_send (&req, sock);
    zmsg_t *answer = jk_test_recv (sock, 10000);
    char *text = NULL;
    char command[16];
    if (answer && !jk_wire_open (answer, command, sizeof command) &&
        streq (command, "STATS"))
        text = zmsg_popstr (answer);
    zmsg_destroy (&answer);
    zsock_destroy (&sock);
    return text;
}

/* The value of name=... in a STATS text; -1 when absent. */
static inline int64_t lk_stat_in (const char *text, const char *name)
{
    if (!text)
        return -1;
    size_t n = strlen (name);
    for (const char *p = text; (p = strstr (p, name)); p += n)
        if ((p == text || p[-1] == ' ') && p[n] == '=')
            return strtoll (p + n + 1, NULL, 10);
    return -1;
}

static inline int64_t lk_stat (const char *endpoint, const char *key,
                               const char *server, const char *name)
{
    char *text = lk_stats_text (endpoint, key, server);
    int64_t value = lk_stat_in (text, name);
    free (text);
    return value;
}

static inline pid_t lk_receiver (const char *db, const char *listen,
                                 const char *keys, const char *log)
{
    char *argv[] = {"jejak-link",
                    "receive",
                    "--db",
                    (char *)db,
                    "--listen",
                    (char *)listen,
                    keys ? "--keys" : NULL,
                    (char *)keys,
                    NULL};
    return jk_test_spawn (argv, log);
}

static inline pid_t lk_sender (const char *db, const char *area,
                               const char *upstream, const char *key,
                               const char *server, const char *stats,
                               const char *log)
{
    char *argv[16];
    int n = 0;
    argv[n++] = "jejak-link";
    argv[n++] = "send";
    argv[n++] = "--db";
    argv[n++] = (char *)db;
    argv[n++] = "--area";
    argv[n++] = (char *)area;
    argv[n++] = "--upstream";
    argv[n++] = (char *)upstream;
    if (stats) {
        argv[n++] = "--stats";
        argv[n++] = (char *)stats;
    }
    if (key) {
        argv[n++] = "--key";
        argv[n++] = (char *)key;
        argv[n++] = "--server-key";
        argv[n++] = (char *)server;
    }
    argv[n] = NULL;
    return jk_test_spawn (argv, log);
}

/* One integer from a query on a database file (read-only). */
static inline int64_t lk_sql_int (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int64_t value = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout (db, 5000);
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
            sqlite3_step (stmt) == SQLITE_ROW)
            value = sqlite3_column_int64 (stmt, 0);
        sqlite3_finalize (stmt);
    }
    sqlite3_close (db);
    return value;
}

/* Runs jejak-link verify; returns its exit code, stdout in *out. */
static inline int lk_verify (const char *copy, const char *origin,
                             const char *head, const char *source, char **out)
{
    char *argv[12];
    int n = 0;
    argv[n++] = "jejak-link";
    argv[n++] = "verify";
    argv[n++] = "--db";
    argv[n++] = (char *)copy;
    argv[n++] = "--origin";
    argv[n++] = (char *)origin;
    if (head) {
        argv[n++] = "--head";
        argv[n++] = (char *)head;
    }
    if (source) {
        argv[n++] = "--source";
        argv[n++] = (char *)source;
    }
    argv[n] = NULL;
    char *err = NULL;
    int rc = jk_test_run (argv, out, &err, 60000);
    free (err);
    return rc;
}

#endif
