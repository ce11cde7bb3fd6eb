/*  pgsink_copy.c - jejak-pgsink following a province's copy database
    (jejak-link receive) instead of a hub. */
#include "pgsink_internal.h"

/* With --copy the sink follows a copy database (jejak-link receive)
   instead of a hub: the shadow is the province's projections
   (jk_province_t), whose every batch hands its arrivals and its row
   changes to PostgreSQL before it commits. The position is the arrival
   position. */

/* One batch into PostgreSQL: the copied records, the row changes and the
   position, in one transaction (the province's commits after it). */
static bool s_province_batch (void *arg, const jk_province_arrival_t *rows,
                              size_t count, const void *changes, int size,
                              uint64_t pos)
{
    jk_pgsink_t *self = arg;
    bool ok = jk_pgsink_pg_exec (self, "BEGIN");
    for (size_t i = 0; ok && i < count; i++) {
        const jk_province_arrival_t *a = &rows[i];
        char arrival[24], p[24], rec[32];
        snprintf (arrival, sizeof arrival, "%llu",
                  (unsigned long long)a->arrival);
        snprintf (p, sizeof p, "%llu", (unsigned long long)a->stored.pos);
        snprintf (rec, sizeof rec, "%.3f",
                  (double)a->stored.recorded_at / 1000.0);
        const char *values[9] = {arrival,
                                 a->origin,
                                 p,
                                 rec,
                                 a->stored.rejected ? "1" : "0",
                                 a->stored.code,
                                 a->stored.message,
                                 (const char *)a->stored.bytes,
                                 (const char *)a->hash};
        int lengths[9] = {0,           0, 0, 0, 0, 0, 0, (int)a->stored.size,
                          JK_HASH_SIZE};
        int formats[9] = {0, 0, 0, 0, 0, 0, 0, 1, 1};
        PGresult *res = PQexecParams (
            self->pg,
            "INSERT INTO copy VALUES ($1, $2, $3, "
            "to_timestamp($4::double precision), $5, $6, $7, $8, $9)",
            9, NULL, values, lengths, formats, 0);
        ok = jk_pgsink_pg_ok (res);
        if (!ok)
            jk_error (S_COMPONENT, "PostgreSQL copy %s %llu: %s", a->origin,
                      (unsigned long long)a->stored.pos,
                      PQerrorMessage (self->pg));
        PQclear (res);
    }
    ok = ok && jk_pgsink_pg_changes (self, size, (void *)changes);
    if (!jk_pgsink_pg_commit (self, ok, pos, rows[count - 1].arrival_hash)) {
        self->pg_failed = true;
        return false;
    }
    self->written += count;
    self->batches++;
    self->pos = pos;
    return true;
}

/* Connects PostgreSQL (retrying until it answers or the program is
   stopped; with --once for --timeout), reads its position and brings the
   province's projections up to it (a crash between the two commits)
   without writing to it. 0, or the exit status (said). */
static int s_province_attach (jk_pgsink_t *self)
{
    int64_t since = jk_clock_mono_ms ();
    int64_t wait = 200;
    while (!zsys_interrupted) {
        if (jk_pgsink_pg_connect (self) &&
            jk_pgsink_pg_position (self, &self->pos, self->hash)) {
            uint64_t mine = jk_province_position (self->province);
            if (mine > self->pos) {
                jk_error (S_COMPONENT,
                          "the shadow is at arrival %llu, PostgreSQL at "
                          "%llu: PostgreSQL was restored from an older "
                          "backup; run jejak-pgsink rebuild",
                          (unsigned long long)mine,
                          (unsigned long long)self->pos);
                return 1;
            }
            char err[512];
            while (jk_province_position (self->province) < self->pos)
                if (jk_province_step (self->province, S_BATCH, self->pos, NULL,
                                      NULL, err, sizeof err) <= 0) {
                    jk_error (S_COMPONENT, "shadow: %s",
                              err[0] ? err
                                     : "the copy ends before "
                                       "PostgreSQL's position");
                    return 1;
                }
            jk_info (S_COMPONENT, "PostgreSQL at arrival %llu",
                     (unsigned long long)self->pos);
            return 0;
        }
        int rc = jk_pgsink_pg_backoff (self, since, &wait);
        if (rc)
            return rc;
    }
    return 1;
}

int jk_pgsink_province_follow (jk_pgsink_t *self, bool once)
{
    int status = s_province_attach (self);
    if (status)
        return status;
    int64_t last_log = jk_clock_mono_ms ();
    while (!zsys_interrupted) {
        char err[512];
        self->pg_failed = false;
        int64_t n = jk_province_step (self->province, S_BATCH, 0,
                                      s_province_batch, self, err, sizeof err);
        if (n < 0 && self->pg_failed) {
            jk_warn (S_COMPONENT, "PostgreSQL failed: reconnecting");
            if ((status = s_province_attach (self)))
                break;
            continue;
        }
        if (n < 0) {
            jk_error (S_COMPONENT, "%s", err);
            status = 1;
            break;
        }
        if (n == 0 && once)
            break;
        if (jk_clock_mono_ms () - last_log >= 10000) {
            last_log = jk_clock_mono_ms ();
            jk_info (S_COMPONENT,
                     "arrival=%llu written=%llu batches=%llu pg_errors=%llu",
                     (unsigned long long)self->pos,
                     (unsigned long long)self->written,
                     (unsigned long long)self->batches,
                     (unsigned long long)self->pg_errors);
        }
        if (n == 0)
            zclock_sleep (100); /* the copy is polled: nothing new yet */
    }
    printf ("jejak-pgsink pos=%llu written=%llu\n",
            (unsigned long long)self->pos, (unsigned long long)self->written);
    return status;
}
