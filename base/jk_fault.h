/*  jk_fault.h - fault injection: the one seam through which tests make
    the real programs fail on purpose. Every fault is off unless a test
    turns it on (an environment variable or a testing-only option, each
    documented in docs/ARCHITECTURE.md "Fault injection"); production
    code asks these functions and holds no other test hook. */
#ifndef JK_FAULT_H
#define JK_FAULT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    JK_FAULT_NONE = 0,
    /* The store _exit(JK_FAULT_EXIT)s after the first commit that logged
       a record, before any answer (a crash at the worst moment). */
    JK_FAULT_CRASH_AFTER_COMMIT = 1,
    /* The store's first commit fails once (SQLite's commit hook vetoes
       it). */
    JK_FAULT_FAIL_COMMIT = 2,
    /* The store's tree thread stays where the store started it. */
    JK_FAULT_TREE_STALLED = 3,
    /* The query endpoint sends a STATE's first piece, then no more,
       whatever the credit (a transfer cut in the middle). */
    JK_FAULT_STATE_STALLED = 4,
    /* The store sends no PING: its broker never hears it. */
    JK_FAULT_STORE_SILENT = 5,
    /* The store's tree thread takes nothing from its feed queue until the
       writer has found the queue full once (a batch not handed over). */
    JK_FAULT_TREE_PAUSED = 6,
    /* As JK_FAULT_FAIL_COMMIT, with the next batch planned while that
       commit runs: before it, the writer waits (up to 10 s) until
       another SUBMIT is on the backend. */
    JK_FAULT_FAIL_COMMIT_NEXT = 7,
    /* The broker's first receive of every part after a message's first
       fails once with EINTR, as a signal landing on the broker thread
       would make it (the part is there: it is received again). */
    JK_FAULT_RELAY_INTERRUPTED = 8,
    /* The store's WAL checkpoint thread answers every checkpoint asked
       of it as failed, without copying a frame: the writer copies them
       all itself. */
    JK_FAULT_WAL_CHECKPOINT_FAILED = 9,
    /* The store's projector _exit(87)s in the middle of the first
       projector transaction that applies two records or more: after its
       second record, before COMMIT. */
    JK_FAULT_CRASH_IN_PROJECTOR = 10,
    /* The store's opening waits, before the projections' catch-up, until
       the store is told to stop ($TERM): an open that takes long. */
    JK_FAULT_OPEN_STALLED = 11,
} jk_fault_t;

/* The exit code of an injected crash. */
#define JK_FAULT_EXIT 86

/* The fault JEJAK_FAULT names: "crash_after_commit", "fail_commit",
   "tree_stalled", "state_stalled", "store_silent", "tree_paused",
   "fail_commit_next", "relay_interrupted", "wal_checkpoint_failed",
   "crash_in_projector" or "open_stalled";
   JK_FAULT_NONE when it is unset or names none of them. A fault that is
   on is logged as a warning by component. */
jk_fault_t jk_fault_from_env (const char *component);

/* The query endpoint's limit for a stream left without credit or with
   its client's queue full (JK_STREAM_IDLE_MS, given as normal_ms): a test
   shortens it with JEJAK_STREAM_IDLE_MS, milliseconds from 1 to
   normal_ms (read at each call; logged as a warning by component when it
   is on); normal_ms when it is unset or any other value. */
int64_t jk_fault_stream_idle_ms (const char *component, int64_t normal_ms);

/* Feed-loss injection (jejak-status --drop-every N): true for every
   every-th record, count being the records seen so far (1-based); never
   when every <= 0. */
bool jk_fault_drop_nth (uint64_t count, int every);

#endif
