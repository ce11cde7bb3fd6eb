/*  pgtest.h - a throwaway PostgreSQL 15 server for a test: a cluster made
    with initdb in a temp directory and started with pg_ctl on a free
    port, reached over its Unix socket in that directory (no system
    service). PostgreSQL missing is a test failure, never a skip:
    scripts/setup installs it. */
#ifndef JK_PGTEST_H
#define JK_PGTEST_H

#include "testsupport.h"

typedef struct {
    char *dir, *data, *conninfo, *log;
    int port;
    pid_t watchdog; /* stops the server if the test process ends first */
    int watchdog_fd;
} jk_test_pg_t;

/* initdb + pg_ctl start in dir (as the postgres account when run as
   root); fails the test when PostgreSQL is not installed or does not
   start. */
jk_test_pg_t *jk_test_pg_start (const char *dir);
/* pg_ctl ACTION (start, stop, restart) with a shutdown MODE (fast,
   immediate); returns pg_ctl's exit code. */
int jk_test_pg_ctl (jk_test_pg_t *pg, const char *action, const char *mode);
/* Stops the server (fast) and frees. A server the test never stopped
   (it failed or crashed first) is stopped when the test process ends. */
void jk_test_pg_stop (jk_test_pg_t **pg_p);
/* One integer a query answers, -1 when it cannot answer (no server, no
   table yet, NULL). */
int64_t jk_test_pg_int (jk_test_pg_t *pg, const char *sql);
/* One text value (heap), NULL when it cannot answer. */
char *jk_test_pg_text (jk_test_pg_t *pg, const char *sql);

#endif
