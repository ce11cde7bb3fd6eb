/*  demo.h - a hub database filled with the sample data, the way the demo
    fills it, through the real programs: jejak-sample, jejak-hub on ipc
    endpoints, the office agents importing plan.txt stage by stage. For the
    end-to-end tests that need realistic figures (the demo flow, the
    reports, the documented example queries). */
#ifndef JK_TEST_DEMO_H
#define JK_TEST_DEMO_H

#include "testsupport.h"

typedef struct {
    char *dir, *sample, *ingest, *feed, *query, *db, *logs;
    pid_t hub;
    char *expected; /* the sample's expected.tsv as read */
} jk_test_demo_t;

/* A fresh temp directory and endpoint names; nothing started. */
jk_test_demo_t *jk_test_demo_new (const char *tag);
/* Kills a hub still running, removes the directory. */
void jk_test_demo_destroy (jk_test_demo_t **self_p);

/* Runs a program; returns its exit code; its stdout into *out when out is
   not NULL (stderr is printed when it failed). */
int jk_test_demo_run (char *const argv[], char **out);

/* jejak-sample --seed 1 --cooperatives N --active M --with-bad-rows into
   sample/, and reads expected.tsv. Fails the test on error. */
void jk_test_demo_sample (jk_test_demo_t *self, int cooperatives, int active);
/* Starts jejak-hub and waits until its store answers. */
void jk_test_demo_start_hub (jk_test_demo_t *self);
/* Imports the whole plan (every import exits 0, the one with bad rows 4;
   every sync 0); returns how many imports exited 4. */
int jk_test_demo_import (jk_test_demo_t *self);
/* Stops the hub with SIGTERM; fails the test unless it exits 0. */
void jk_test_demo_stop_hub (jk_test_demo_t *self);
/* The value of key in expected.tsv; fails the test when absent. */
long jk_test_demo_expect (jk_test_demo_t *self, const char *key);
/* One integer from the hub's database (read-only). */
long jk_test_demo_sql (jk_test_demo_t *self, const char *sql);

/* All of the above: sample, hub, import, hub stopped; the database is
   then at self->db. */
void jk_test_demo_build (jk_test_demo_t *self, int cooperatives, int active);

#endif
