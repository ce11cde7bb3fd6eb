/*  testsupport.h - helpers for Jejak's tests: fresh temp directories,
    starting the real programs as processes, waiting on conditions with a
    deadline (never a fixed sleep), and ipc endpoints chosen at run time.
    Include after <cmocka.h>'s prerequisites. */
#ifndef JK_TESTSUPPORT_H
#define JK_TESTSUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/types.h>

#include "jk_schema.h"

#include <czmq.h>
#include <sqlite3.h>

/* A fresh directory under $TMPDIR, removed by jk_test_rmdir. Returns a heap
   path. */
char *jk_test_tmpdir (const char *tag);
void jk_test_rmdir (char **path_p);

/* An ipc endpoint "ipc://DIR/NAME.sock" in a heap string. */
char *jk_test_endpoint (const char *dir, const char *name);

/* A DEALER connected to endpoint with linger 0 (fails the test when the
   endpoint cannot be connected). The caller destroys it. */
zsock_t *jk_test_dealer (const char *endpoint);

/* Receives one message from sock within timeout_ms, or NULL when none
   came by then. */
zmsg_t *jk_test_recv (zsock_t *sock, int timeout_ms);
/* The STATS text (heap) of a plain endpoint (a store's query or a
   broker's ingest), asked on a fresh socket; the test fails when it is not
   answered within 30 s. */
char *jk_test_stats_text (const char *endpoint);
/* The value of key in that STATS text of the endpoint at query. */
uint64_t jk_test_stat (const char *query, const char *key);

/* Path of a built program ("jejak-hub") in a static buffer. */
const char *jk_test_program (const char *name);
/* Fails the test, naming the program, when a built program is not there
   to run: a partial build never lets a test pass without running it. */
void jk_test_require_program (const char *name);

/* fork () for a test: the child gets its own process group and is
   killed (SIGKILL, by the kernel) when the test process ends, however it
   ends; whatever of its group is left when the test process exits is
   killed then too. Every program a test starts goes through here, so a
   failed test leaves no hub or server running. */
pid_t jk_test_fork (void);

/* Starts a program (argv[0] a name from build/bin or a path) with its
   stdout and stderr appended to log_path (or inherited when NULL).
   Returns the pid. */
pid_t jk_test_spawn (char *const argv[], const char *log_path);
/* Starts jejak-hub with its log database at db on the given ipc
   endpoints, in secure mode with --keys when keys is set, output appended
   to log_path. Returns the pid (fails the test when it cannot start). */
pid_t jk_test_hub_spawn (const char *db, const char *ingest, const char *feed,
                         const char *query, const char *keys,
                         const char *log_path);
/* Like jk_test_hub_spawn, with the feed and/or the query endpoint on a
   tcp port of every interface chosen at run time: *feed or *query (heap
   strings) given as JK_TEST_ANY_PORT are replaced by the endpoint to
   connect to, "tcp://127.0.0.1:PORT" (the hub binds 0.0.0.0:PORT);
   others are used as they are. Waits up to 60 s for the start line.
   Another process may take a port between its choice and the hub's bind
   (tests run in parallel): the hub then exits 1 with "Address already in
   use" and is started again on new ports, up to 20 times. Needs keys:
   plain mode binds only loopback. */
#define JK_TEST_ANY_PORT "tcp://0.0.0.0:*"
pid_t jk_test_hub_spawn_tcp (const char *db, const char *ingest, char **feed,
                             char **query, const char *keys,
                             const char *log_path);
/* A tcp port that nothing on 127.0.0.1 or 0.0.0.0 was bound to when
   asked (the kernel's choice for a bind to port 0); free it stays only
   until someone else binds it, so whoever binds it must handle
   EADDRINUSE (jk_test_hub_spawn_tcp does). */
int jk_test_tcp_port (void);
/* The next jk_test_tcp_port answers port, once (the harness's own test
   hands out a port it holds, to see the retry). */
void jk_test_tcp_port_next (int port);
/* One number a query answers from the SQLite database at path, opened
   read-only; -1 while the database or its table cannot be read. */
int64_t jk_test_db_int64 (const char *path, const char *sql);
/* The first column of sql's first row as text, on the heap ("" for NULL),
   read as jk_test_db_int64 reads; NULL when there is no row or the query
   fails. */
char *jk_test_db_text (const char *path, const char *sql);
/* Runs sql on the SQLite database at path (read-write), failing the
   test when it does not succeed. */
void jk_test_db_exec (const char *path, const char *sql);
/* Whether SQLite's integrity check of the database at path says "ok". */
bool jk_test_db_intact (const char *path);
/* Removes the SQLite database at path with its -wal and -shm, those that
   are there. */
void jk_test_db_remove (const char *path);

/* A plain hub for a test: a fresh directory (tag names it) with ipc
   endpoints, the log database, an outbox path and the hub's log file;
   the hub process once started. */
typedef struct {
    char *dir, *ingest, *feed, *query, *db, *outbox, *log;
    pid_t hub; /* 0 until jk_test_hub_start */
} jk_test_hub_t;
/* Fails the test when jejak-hub is not built. */
jk_test_hub_t *jk_test_hub_new (const char *tag);
/* Starts jejak-hub (plain mode) and waits up to 60 s for its start line,
   printed once its broker has heard its store (fails the test after
   that). */
void jk_test_hub_start (jk_test_hub_t *self);
/* Stops the hub (SIGTERM) and removes the directory. */
void jk_test_hub_destroy (jk_test_hub_t **self_p);

/* Runs a program to completion, capturing stdout into *out (heap, may be
   NULL) and stderr into *err; returns its exit code, or -1 when killed or
   when timeout_ms passed (the program is then killed). */
int jk_test_run (char *const argv[], char **out, char **err, int timeout_ms);
/* Waits up to timeout_ms until one of the n (at most 64) processes in pids
   (entries
   <= 0 skipped) has ended, woken by their pidfds; reaps none. True when
   one has ended, false at the deadline. */
bool jk_test_wait_any_exit (const pid_t *pids, int n, int timeout_ms);
/* Waits up to timeout_ms for the child pid to end, woken by its pidfd;
   true with its wait status in *status, false when it is still running
   at the deadline (or is not a child). */
bool jk_test_wait_exit (pid_t pid, int *status, int timeout_ms);
/* Sends a signal and waits up to timeout_ms for the process to end;
   returns its exit status (as from waitpid) or -1. */
int jk_test_stop (pid_t pid, int signal, int timeout_ms);

/* Polls cond every 5 ms until true or timeout_ms passes; evaluates to
   the last value of cond. (A GNU statement expression, marked so that
   -Wpedantic accepts it.) */
#define JK_WAIT_FOR(cond, timeout_ms)                                          \
    __extension__({                                                            \
        int64_t _deadline = jk_clock_mono_ms () + (timeout_ms);                \
        bool _ok;                                                              \
        while (!(_ok = (cond)) && jk_clock_mono_ms () < _deadline)             \
            jk_test_pause_ms (5);                                              \
        _ok;                                                                   \
    })
/* Asserts two doubles are equal (exactly, as ==), printing both values
   and the expressions when they are not. */
#define JK_ASSERT_DOUBLE_EQUAL(actual, expected)                               \
    do {                                                                       \
        double _actual = (actual), _expected = (expected);                     \
        if (!(_actual == _expected))                                           \
            fail_msg ("%s is %.17g, expected %s = %.17g", #actual, _actual,    \
                      #expected, _expected);                                   \
    } while (0)

/* A short pause inside JK_WAIT_FOR polling loops only. */
void jk_test_pause_ms (int ms);
/* Appends what fd has to read now, without waiting, to *buf (grown,
   NUL-terminated; *len its length): true once the peer has closed. A
   JK_WAIT_FOR condition for reading a socket with a deadline. */
bool jk_test_read_ready (int fd, char **buf, size_t *len);

/* True when the file at path exists and contains text. */
bool jk_test_file_has (const char *path, const char *text);
/* Whether the file holds text after its first offset bytes (output a
   process appended since then). */
bool jk_test_file_has_after (const char *path, size_t offset, const char *text);
/* Waits up to timeout_ms for the file at path to contain text; when it
   does not, writes what the file holds to stderr (a process's log, so a
   failure shows what the process said instead) and returns false. */
bool jk_test_wait_file_has (const char *path, const char *text, int timeout_ms);
/* Writes what the file at path holds to stderr, between marker lines. */
void jk_test_show_file (const char *path);
/* The file's size now (0 when it cannot be read). */
size_t jk_test_file_size (const char *path);

/* Reads a whole file into a heap buffer (NUL-terminated); NULL if absent. */
char *jk_test_slurp (const char *path, size_t *size);

/* What dir holds, below it: one line per entry, "NAME/" for a directory
   and "NAME SIZE" for anything else, NAME relative to dir, sorted; ""
   for an empty directory. To compare a directory before and after a
   command. Heap string. */
char *jk_test_dir_listing (const char *dir);

/* The projections of the store whose log is at db_path, opened read-only
   with the log attached (jk_projections_open_read), once the projector
   has brought them to the log's head: the ack means logged and decided,
   the projections follow within the lag bound. Fails the test when they
   do not get there within 60 s. */
sqlite3 *jk_test_projections (const char *db_path);

/* The canonical dump (jk_projections_dump) of db's projections in a heap
   string; fails the test when it cannot be made. */
char *jk_test_dump (sqlite3 *db);

/* Bytes for a log record a test appends itself (jk_log_append) in place
   of an event: a MessagePack map holding the record's envelope (id,
   type, v, source, seq, at), so that the log table's copies of them are
   what the bytes hold, as jejak-replay verify requires. Heap; *size its
   length. */
uint8_t *jk_test_record_bytes (const char *type, uint32_t version,
                               const char *source, uint64_t seq, int64_t at,
                               const uint8_t id[16], size_t *size);

#endif
