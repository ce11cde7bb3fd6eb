/*  bench_common.h - shared by every benchmark in bench/: timing, medians,
    temp directories, and the BASELINE every storage figure stands beside:
    a bare SQLite append of the same bytes into a log table with a SHA-256
    hash chain, WAL and synchronous=FULL, one transaction per batch. */
#ifndef JK_BENCH_COMMON_H
#define JK_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic seconds. */
double jk_bench_now (void);

/* Median of count values (sorts a copy). 0 when count is 0. */
double jk_bench_median (const double *values, size_t count);

/* The p-quantile (0 < p <= 1, nearest rank) of count values; sorts
   values in place. */
double jk_bench_percentile (double *values, size_t count, double p);

/* The next number of a xorshift64 sequence (state: not 0). */
uint64_t jk_bench_xorshift (uint64_t *state);

/* A fresh directory under $TMPDIR (or /tmp) for a benchmark's files, as a
   heap path; jk_bench_rmdir removes it and frees the path. */
char *jk_bench_tmpdir (const char *tag);
void jk_bench_rmdir (char **path_p);

/* One event for the baseline: its bytes and the columns the log keeps
   (taken from the envelope before timing starts). */
typedef struct {
    const uint8_t *bytes;
    size_t size;
    uint8_t id[16];
    char source[65];
    uint64_t seq;
    int64_t at;
    char type[64];
} jk_bench_event_t;

/* Fills out from encoded event bytes (envelope peek). Returns 0, or -1
   when the bytes carry no envelope. */
int jk_bench_event (const uint8_t *bytes, size_t size, jk_bench_event_t *out);

/* The bare log both the BASELINE and the transport floor write: the log
   table of docs/ARCHITECTURE.md (same columns and UNIQUE indexes), the
   store's SHA-256 chain construction with a prefetched digest, WAL,
   synchronous=FULL, one prepared INSERT, opened through the store's VFS
   (jk_vfs.h), so its writes take the same path as the store's. No
   decoding, no validation, no projections. Errors are printed. */
typedef struct jk_bench_log_s jk_bench_log_t;

/* With plain (bench_store / bench_ingest --plain-baseline), the bare
   logs opened from now on take SQLite's default VFS and the BASELINE
   SQLite's automatic checkpoint every 1,000 pages inside its commits:
   the reference as it was before the store had its own VFS, for
   comparison with earlier figures. The default is the harder reference:
   the store's VFS and checkpoint policy. */
void jk_bench_plain_baseline (bool plain);
/* Whether jk_bench_plain_baseline (true) was called. */
bool jk_bench_baseline_is_plain (void);

/* Creates the log at path (a fresh file). With manual_checkpoint, SQLite's
   automatic checkpoint is off and jk_bench_log_checkpoint runs one, as the
   store keeps checkpoints off its commit path. NULL on error. */
jk_bench_log_t *jk_bench_log_open (const char *path, bool manual_checkpoint);
int jk_bench_log_begin (jk_bench_log_t *self);
/* Appends e at the next position with its chain hash (outcome accepted);
   the position and hash into pos and hash when set. 0 or -1. */
int jk_bench_log_append (jk_bench_log_t *self, const jk_bench_event_t *e,
                         uint64_t *pos, uint8_t hash[32]);
int jk_bench_log_commit (jk_bench_log_t *self);
void jk_bench_log_rollback (jk_bench_log_t *self);
/* A PASSIVE checkpoint once the WAL holds more than frames frames. */
void jk_bench_log_checkpoint (jk_bench_log_t *self, int frames);
void jk_bench_log_close (jk_bench_log_t **self_p);

/* BASELINE: appends count events to a fresh bare log (jk_bench_log_t) at
   path, in transactions of batch events, as bare as a log can be, with
   the store's default checkpoint policy (none inside a commit; a PASSIVE
   one after a commit leaving more than JK_STORE_CHECKPOINT_FRAMES_DEFAULT
   frames). Returns
   events per second, or -1 on a SQLite error (printed). */
double jk_bench_baseline (const char *path, const jk_bench_event_t *events,
                          size_t count, size_t batch);

/* The same after warm events appended first, untimed, in the same
   transactions: the rate of events [warm, count) into a log that is
   already warm (its page cache and WAL pages in use), as a running
   writer's. */
double jk_bench_baseline_warm (const char *path, const jk_bench_event_t *events,
                               size_t count, size_t warm, size_t batch);

#endif
