/*  bench_common.h - shared by every benchmark in bench/: timing, medians,
    temp directories, and the BASELINE every storage figure stands beside:
    a bare SQLite append of the same bytes into a log table with a SHA-256
    hash chain, WAL and synchronous=FULL, one transaction per batch. */
#ifndef JK_BENCH_COMMON_H
#define JK_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic seconds. */
double jk_bench_now (void);

/* Median of count values (sorts a copy). 0 when count is 0. */
double jk_bench_median (const double *values, size_t count);

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

/* BASELINE: appends count events to a fresh database at path, in
   transactions of batch events, as bare as a log can be: the log table of
   docs/ARCHITECTURE.md (same columns and UNIQUE indexes), the same
   SHA-256 chain construction with a prefetched digest, WAL,
   synchronous=FULL, one prepared INSERT. No decoding, no validation, no
   projections. Returns events per second, or -1 on a SQLite error
   (printed). */
double jk_bench_baseline (const char *path, const jk_bench_event_t *events,
                          size_t count, size_t batch);

#endif
