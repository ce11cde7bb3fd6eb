/*  store_lag.c - the store actor (jk_store.h, store_internal.h): the
    projector behind the writer: its position, the lag, STATS' counters, the
    model loaded from the projections. */
#include "store_internal.h"

/* The projections' committed position, as the projector published it. */
uint64_t jk_store_projected (jk_store_t *self)
{
    return __atomic_load_n (&self->shared.pos, __ATOMIC_ACQUIRE);
}

/* Wakes the projector, with every record logged so far released to it:
   the ones to hand over decoded are handed over (jk_projector.h). */
void jk_store_projector_wake (jk_store_t *self)
{
    if (!self->projector)
        return;
    __atomic_store_n (&self->shared.released, jk_log_head (self->log, NULL),
                      __ATOMIC_RELEASE);
    zstr_send (self->projector, "WAKE");
}

/* How far the projections are behind the committed log: records, and ms
   since the oldest committed batch they do not cover yet was committed
   (monotonic clock). */
uint64_t jk_store_lag (jk_store_t *self, int64_t *lag_ms)
{
    uint64_t projected = jk_store_projected (self);
    uint8_t hash[JK_HASH_SIZE];
    uint64_t head = jk_log_head (self->log, hash);
    while (self->ring_count > 0 &&
           self->ring[self->ring_head].last_pos <= projected) {
        self->ring_head = (self->ring_head + 1) % S_LAG_RING;
        self->ring_count--;
    }
    if (lag_ms) {
        *lag_ms = 0;
        if (self->ring_count > 0 && projected < head) {
            int64_t ms =
                jk_clock_mono_ms () - self->ring[self->ring_head].committed;
            *lag_ms = ms > 0 ? ms : 0;
        }
    }
    return head > projected ? head - projected : 0;
}

/* Remembers a committed batch for the lag in ms. */
void jk_store_lag_note (jk_store_t *self, uint64_t last_pos)
{
    if (self->ring_count == S_LAG_RING) {
        self->ring_head = (self->ring_head + 1) % S_LAG_RING;
        self->ring_count--;
    }
    size_t i = (self->ring_head + self->ring_count) % S_LAG_RING;
    self->ring[i].last_pos = last_pos;
    self->ring[i].committed = jk_clock_mono_ms ();
    self->ring_count++;
}

char *jk_store_counters (jk_store_t *self)
{
    int64_t lag_ms = 0;
    uint64_t lag = self->log ? jk_store_lag (self, &lag_ms) : 0;
    uint64_t projected = jk_store_projected (self);
    self->pushed_projected = projected;
    self->pushed_tree = self->tree_size;
    self->pushed_at = jk_clock_mono_ms ();
    int wal_frames = 0;
    uint64_t wal_restarts = 0;
    if (self->log)
        jk_log_wal_stats (self->log, &wal_frames, &wal_restarts);
    return jk_sprintf (
        "received=%llu accepted=%llu rejected=%llu duplicates=%llu "
        "nacked=%llu batches=%llu failed_batches=%llu malformed=%llu "
        "head=%llu clock_refused=%llu sources_behind=%zu rewinds=%llu "
        "refused_by_broker=%llu projected=%llu projection_lag=%llu "
        "projection_lag_ms=%lld projection_lag_max_ms=%lld "
        "projection_lag_bound=%llu busy=%llu tree=%llu tree_unfed=%llu "
        "wal_frames=%d wal_restarts=%llu overlapped=%llu "
        "projected_from_log=%llu wal_checkpoints_failed=%llu region=%s "
        "rat_deadline_months=%d",
        (unsigned long long)self->counts.received,
        (unsigned long long)self->counts.accepted,
        (unsigned long long)self->counts.rejected,
        (unsigned long long)self->counts.duplicates,
        (unsigned long long)self->counts.nacked,
        (unsigned long long)self->batches,
        (unsigned long long)self->failed_batches,
        (unsigned long long)self->malformed,
        (unsigned long long)jk_log_head (self->log, NULL),
        (unsigned long long)__atomic_load_n (&self->clock_refused,
                                             __ATOMIC_RELAXED),
        self->behind ? zhashx_size (self->behind) : 0,
        (unsigned long long)self->rewinds,
        (unsigned long long)self->refused_by_broker,
        (unsigned long long)projected, (unsigned long long)lag,
        (long long)lag_ms, (long long)self->lag_max_ms,
        (unsigned long long)self->lag_max, (unsigned long long)self->busy,
        (unsigned long long)self->tree_size,
        (unsigned long long)__atomic_load_n (&self->tree_unfed,
                                             __ATOMIC_RELAXED),
        wal_frames, (unsigned long long)wal_restarts,
        (unsigned long long)self->overlapped,
        (unsigned long long)__atomic_load_n (&self->shared.read,
                                             __ATOMIC_RELAXED),
        (unsigned long long)self->wal_failed,
        *self->stats_region ? self->stats_region : "-",
        self->rat_deadline_months);
}

void jk_store_push_counters (jk_store_t *self)
{
    if (!self->query)
        return;
    char *text = jk_store_counters (self);
    zstr_sendx (self->query, "COUNTERS", text, NULL);
    free (text);
}

/* Loads the model from the projections at the log's committed head
   (after waiting for the projector to get there) when it is not loaded:
   at start, and after a rolled-back batch. JK_OK or JK_IO (logged). */
int jk_store_model_ready (jk_store_t *self)
{
    if (self->model)
        return JK_OK;
    uint8_t hash[JK_HASH_SIZE];
    uint64_t head = jk_log_head (self->log, hash);
    int64_t deadline = jk_clock_mono_ms () + S_MODEL_WAIT_MS;
    while (jk_store_projected (self) < head) {
        if (jk_clock_mono_ms () > deadline) {
            jk_error ("store",
                      "the projections did not reach the log's head %llu "
                      "(at %llu): the model cannot be loaded",
                      (unsigned long long)head,
                      (unsigned long long)jk_store_projected (self));
            return JK_IO;
        }
        jk_store_projector_wake (self);
        zclock_sleep (2);
    }
    char err[512] = "";
    jk_model_t *model = jk_model_new (true);
    uint64_t pos = 0;
    uint8_t at[JK_HASH_SIZE];
    int rc = sqlite3_exec (self->proj_read, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK &&
        jk_projections_position (self->proj_read, &pos, at) == JK_OK &&
        pos == head && memcmp (at, hash, JK_HASH_SIZE) == 0 &&
        jk_model_load (model, self->proj_read, err, sizeof err) == 0) {
        sqlite3_exec (self->proj_read, "COMMIT", NULL, NULL, NULL);
        /* What left the model is read back from these tables: only once
           they hold it (jk_model_written, before every batch). */
        jk_model_written (model, head);
        self->model = model;
        return JK_OK;
    }
    jk_error ("store", "cannot load the model from the projections: %s",
              err[0]        ? err
              : pos != head ? "they are not at the log's head"
                            : sqlite3_errmsg (self->proj_read));
    sqlite3_exec (self->proj_read, "COMMIT", NULL, NULL, NULL);
    jk_model_destroy (&model);
    return JK_IO;
}

/* Opens the projections' file, catches it up with the log's head (a
   missing or damaged file is rebuilt from position 1), loads the model
   from it and starts the projector thread. 0 or -1 (logged). */
int jk_store_projector_init (jk_store_t *self, const jk_store_config_t *config)
{
    char err[512];
    jk_projector_t *projector = jk_projector_new (
        config->db_path, &config->projections, err, sizeof err);
    if (!projector) {
        jk_error ("store", "%s", err);
        return -1;
    }
    uint64_t head = jk_log_head (self->log, NULL);
    uint64_t from = jk_projector_pos (projector);
    if (from < head)
        jk_info ("store",
                 "projections at %llu, catching up with the log's "
                 "head %llu",
                 (unsigned long long)from, (unsigned long long)head);
    size_t applied;
    do {
        /* A long catch-up stops between steps when the store is told to
           stop: the steps committed stay, the next start goes on. */
        if (jk_store_stop_asked (self, 0)) {
            jk_projector_destroy (&projector);
            return -1;
        }
        int rc = jk_projector_step (projector, S_CATCH_UP_MAX, &applied, err,
                                    sizeof err);
        if (rc != JK_OK) {
            jk_error ("store",
                      "cannot bring the projections to the log's "
                      "head: %s",
                      err);
            jk_projector_destroy (&projector);
            return -1;
        }
    } while (applied > 0);
    self->shared.pos = jk_projector_pos (projector);
    char *path = jk_projections_path (config->db_path);
    int rc = sqlite3_open_v2 (path, &self->proj_read,
                              SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    free (path);
    if (rc != SQLITE_OK) {
        jk_error ("store", "cannot read the projections: %s",
                  sqlite3_errmsg (self->proj_read));
        jk_projector_destroy (&projector);
        return -1;
    }
    sqlite3_busy_timeout (self->proj_read, 5000);
    if (jk_store_model_ready (self) != JK_OK) {
        jk_projector_destroy (&projector);
        return -1;
    }
    self->projector = jk_projector_start (&projector, &self->shared);
    return self->projector ? 0 : -1;
}

/* A clean stop lets the projector reach the log's head first (at most
   the lag bound of records), so the projections a stopped store leaves
   are current; then it stops. Whatever it did not apply (stopped by a
   crash, or not within S_MODEL_WAIT_MS) it applies at the next start. */
void jk_store_projector_stop (jk_store_t *self)
{
    if (!self->projector)
        return;
    if (self->log && !self->fatal) {
        uint64_t head = jk_log_head (self->log, NULL);
        int64_t deadline = jk_clock_mono_ms () + S_MODEL_WAIT_MS;
        jk_store_projector_wake (self);
        while (jk_store_projected (self) < head &&
               !__atomic_load_n (&self->shared.failed, __ATOMIC_RELAXED) &&
               jk_clock_mono_ms () < deadline)
            zclock_sleep (2);
    }
    zactor_destroy (&self->projector);
    jk_projector_offers_drop (&self->shared);
}
