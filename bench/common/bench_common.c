/*  bench_common.c - timing, medians, temp directories and the bare SQLite
    + SHA-256 baseline shared by the benchmarks (bench_common.h). */
#include "bench_common.h"

#include "jk_log.h"
#include "jk_store.h"
#include "jk_vfs.h"

#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double jk_bench_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s_compare (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double jk_bench_median (const double *values, size_t count)
{
    if (count == 0)
        return 0;
    double *copy = jk_malloc (count * sizeof *copy);
    memcpy (copy, values, count * sizeof *copy);
    qsort (copy, count, sizeof *copy, s_compare);
    double median = count % 2 ? copy[count / 2]
                              : (copy[count / 2 - 1] + copy[count / 2]) / 2;
    free (copy);
    return median;
}

double jk_bench_percentile (double *values, size_t count, double p)
{
    qsort (values, count, sizeof *values, s_compare);
    size_t i = (size_t)ceil (p * (double)count) - 1;
    return values[i < count ? i : count - 1];
}

uint64_t jk_bench_xorshift (uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

char *jk_bench_tmpdir (const char *tag)
{
    const char *base = getenv ("TMPDIR");
    char *path =
        jk_sprintf ("%s/jejak-bench-%s-XXXXXX", base ? base : "/tmp", tag);
    if (!mkdtemp (path)) {
        fprintf (stderr, "bench: cannot create %s\n", path);
        exit (1);
    }
    return path;
}

static int s_remove (const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove (path);
}

void jk_bench_rmdir (char **path_p)
{
    if (!path_p || !*path_p)
        return;
    nftw (*path_p, s_remove, 16, FTW_DEPTH | FTW_PHYS);
    free (*path_p);
    *path_p = NULL;
}

int jk_bench_event (const uint8_t *bytes, size_t size, jk_bench_event_t *out)
{
    jk_envelope_t envelope;
    if (!jk_envelope_peek (bytes, size, &envelope))
        return -1;
    memset (out, 0, sizeof *out);
    out->bytes = bytes;
    out->size = size;
    memcpy (out->id, envelope.id, 16);
    snprintf (out->source, sizeof out->source, "%s", envelope.source);
    out->seq = envelope.seq;
    out->at = envelope.at;
    snprintf (out->type, sizeof out->type, "%s", envelope.type);
    return 0;
}

static int s_exec (sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf (stderr, "baseline: %s: %s\n", sql, err ? err : "?");
        sqlite3_free (err);
        return -1;
    }
    return 0;
}

struct jk_bench_log_s {
    sqlite3 *db;
    sqlite3_stmt *insert;
    jk_chain_t *chain;
    uint8_t prev[JK_HASH_SIZE];
    uint64_t pos;
    int wal_frames; /* after the last commit (manual checkpoints) */
};

static int s_wal_hook (void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    ((jk_bench_log_t *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

static bool s_plain;

void jk_bench_plain_baseline (bool plain)
{
    s_plain = plain;
}

bool jk_bench_baseline_is_plain (void)
{
    return s_plain;
}

jk_bench_log_t *jk_bench_log_open (const char *path, bool manual_checkpoint)
{
    jk_bench_log_t *self = jk_calloc (1, sizeof *self);
    self->chain = jk_chain_new ();
    /* Through the store's own VFS (jk_vfs.h): the bare log gets the same
       write path as the store's log, so it stays the harder reference. */
    if (sqlite3_open_v2 (path, &self->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         s_plain ? NULL : jk_vfs_wal ()) != SQLITE_OK ||
        s_exec (self->db,
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                "CREATE TABLE log (pos INTEGER PRIMARY KEY,"
                " id BLOB NOT NULL UNIQUE, type TEXT NOT NULL,"
                " v INTEGER NOT NULL, source TEXT NOT NULL,"
                " seq INTEGER NOT NULL, at INTEGER NOT NULL,"
                " recorded_at INTEGER NOT NULL, outcome INTEGER NOT NULL,"
                " code TEXT, message TEXT, bytes BLOB NOT NULL,"
                " hash BLOB NOT NULL, UNIQUE (source, seq))") ||
        sqlite3_prepare_v2 (self->db,
                            "INSERT INTO log VALUES"
                            " (?,?,?,1,?,?,?,?,0,NULL,NULL,?,?)",
                            -1, &self->insert, NULL) != SQLITE_OK) {
        fprintf (stderr, "baseline: %s: %s\n", path,
                 self->db ? sqlite3_errmsg (self->db) : "?");
        jk_bench_log_close (&self);
        return NULL;
    }
    if (manual_checkpoint) {
        sqlite3_wal_autocheckpoint (self->db, 0);
        sqlite3_wal_hook (self->db, s_wal_hook, self);
    }
    return self;
}

int jk_bench_log_begin (jk_bench_log_t *self)
{
    return s_exec (self->db, "BEGIN");
}

int jk_bench_log_append (jk_bench_log_t *self, const jk_bench_event_t *e,
                         uint64_t *pos, uint8_t hash[JK_HASH_SIZE])
{
    uint64_t at = self->pos + 1;
    int64_t now = jk_clock_now_ms ();
    uint8_t digest[JK_HASH_SIZE];
    jk_chain_step (self->chain, self->prev, at, now, 0, NULL, NULL, e->bytes,
                   e->size, digest);
    sqlite3_stmt *insert = self->insert;
    sqlite3_bind_int64 (insert, 1, (sqlite3_int64)at);
    sqlite3_bind_blob (insert, 2, e->id, 16, SQLITE_STATIC);
    sqlite3_bind_text (insert, 3, e->type, -1, SQLITE_STATIC);
    sqlite3_bind_text (insert, 4, e->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (insert, 5, (sqlite3_int64)e->seq);
    sqlite3_bind_int64 (insert, 6, e->at);
    sqlite3_bind_int64 (insert, 7, now);
    sqlite3_bind_blob (insert, 8, e->bytes, (int)e->size, SQLITE_STATIC);
    sqlite3_bind_blob (insert, 9, digest, JK_HASH_SIZE, SQLITE_STATIC);
    int rc = sqlite3_step (insert);
    sqlite3_reset (insert);
    if (rc != SQLITE_DONE) {
        fprintf (stderr, "baseline: insert: %s\n", sqlite3_errmsg (self->db));
        return -1;
    }
    self->pos = at;
    memcpy (self->prev, digest, JK_HASH_SIZE);
    if (pos)
        *pos = at;
    if (hash)
        memcpy (hash, digest, JK_HASH_SIZE);
    return 0;
}

int jk_bench_log_commit (jk_bench_log_t *self)
{
    return s_exec (self->db, "COMMIT");
}

void jk_bench_log_rollback (jk_bench_log_t *self)
{
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

void jk_bench_log_checkpoint (jk_bench_log_t *self, int frames)
{
    if (self->wal_frames > frames) {
        sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                   NULL, NULL);
        self->wal_frames = 0;
    }
}

void jk_bench_log_close (jk_bench_log_t **self_p)
{
    jk_bench_log_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->insert);
    sqlite3_close (self->db);
    jk_chain_destroy (&self->chain);
    free (self);
    *self_p = NULL;
}

double jk_bench_baseline (const char *path, const jk_bench_event_t *events,
                          size_t count, size_t batch)
{
    return jk_bench_baseline_warm (path, events, count, 0, batch);
}

double jk_bench_baseline_warm (const char *path, const jk_bench_event_t *events,
                               size_t count, size_t warm, size_t batch)
{
    /* Checkpoints as the store schedules them by default (none until
       JK_STORE_CHECKPOINT_FRAMES_DEFAULT frames wait, and not inside a
       commit), not SQLite's every 1,000 pages inside the commits. */
    jk_bench_log_t *log = jk_bench_log_open (path, !s_plain);
    if (!log)
        return -1;
    double eps = -1;
    double start = jk_bench_now ();
    for (size_t done = 0; done < count;) {
        if (done == warm)
            start = jk_bench_now ();
        if (jk_bench_log_begin (log))
            goto cleanup;
        size_t end = done + batch < count ? done + batch : count;
        if (done < warm && end > warm)
            end = warm;
        for (; done < end; done++)
            if (jk_bench_log_append (log, &events[done], NULL, NULL))
                goto cleanup;
        if (jk_bench_log_commit (log))
            goto cleanup;
        if (!s_plain)
            jk_bench_log_checkpoint (log, JK_STORE_CHECKPOINT_FRAMES_DEFAULT);
    }
    eps = (double)(count - warm) / (jk_bench_now () - start);
cleanup:
    jk_bench_log_close (&log);
    return eps;
}
