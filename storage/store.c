/*  store.c - the store actor (jk_store.h): the single writer. Receives
    SUBMITs from the broker's backend; a decode stage on its own thread
    (store_stage.c) decodes and validates each batch while the writer
    decides the one before (store_decide.c: dedup, seq, domain rules
    against the in-memory model), appends its log records in one
    transaction, commits, then answers and publishes (store_batch.c);
    while the writer commits a batch, the plan thread (store_aside.c)
    plans the next one in memory. The
    Merkle tree follows on the tree thread (tree.c, store_tree.c), signed
    in checkpoints (store_checkpoints.c). The projector thread
    (projector.c) applies the committed records to the projections' own
    file behind it; the writer answers E_BUSY while the projections lag
    more than the bound (store_lag.c). This file: start-up and stop, the
    actor's loop, and the backend's messages other than SUBMITs
    (heartbeats, broker errors). Used by jejak-store and jejak-hub. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "store_internal.h"

#include "jk_dbkind.h"
#include "jk_endpoint.h"

#include <pthread.h>

/* Vetoes one commit: the injected SQLite failure of "fail_commit" and
   "fail_commit_next". */
static int s_commit_veto (void *arg)
{
    jk_store_t *self = arg;
    if (self->fault != JK_FAULT_FAIL_COMMIT &&
        self->fault != JK_FAULT_FAIL_COMMIT_NEXT)
        return 0;
    self->fault = JK_FAULT_NONE;
    return 1;
}

static void s_pipe_ready (jk_store_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (command && streq (command, "$TERM"))
        self->terminated = true;
    else if (command && streq (command, "STATS")) {
        char *text = jk_store_counters (self);
        zstr_send (self->pipe, text);
        free (text);
    } else
        jk_warn ("store", "unknown actor command %s", command ? command : "");
    free (command);
    zmsg_destroy (&msg);
}

static void s_log_damaged (const char *db_path, const char *what)
{
    jk_error ("store",
              "the log in %s is damaged, the store does not append to it: "
              "%s. Run 'jejak-replay verify %s' to see all that is damaged, "
              "then restore the last good backup (docs/OPERATIONS.md, "
              "\"Storage damage\")",
              db_path, what, db_path);
}

/* The start-up check, bounded by what appends and a crash can have
   touched: the chain over the last S_CHAIN_TAIL records and their
   entries in both UNIQUE indexes (SQLite's check of the whole file
   follows behind the start: s_check_take). A damaged tail is never
   appended to: 0, or -1 with what is damaged and what to run. */
static int s_check_log (jk_store_t *self, const char *db_path)
{
    char what[512];
    if (jk_log_check_tail (jk_log_db (self->log), S_CHAIN_TAIL, what,
                           sizeof what) == JK_OK)
        return 0;
    s_log_damaged (db_path, what);
    return -1;
}

/* A verdict of the whole-file checks: a damaged log or projections' file
   stops the store as a failed write does (FATAL; jejak-hub and
   jejak-store exit 1); damaged projections are removed at the stop, so
   the next start makes them anew from the log. */
static void s_check_take (jk_store_t *self)
{
    char *file = NULL, *verdict = NULL, *what = NULL;
    zstr_recvx (jk_db_check_actor (self->check), &file, &verdict, &what, NULL);
    if (!file || !verdict || !what)
        jk_warn ("store", "the checks of %s sent no verdict", self->db_path);
    else if (streq (verdict, "OK"))
        jk_info ("store", "SQLite's integrity check of the %s of %s: ok",
                 streq (file, "LOG") ? "log" : "projections", self->db_path);
    else if (streq (verdict, "FAILED"))
        jk_warn ("store", "the %s check of %s did not run: %s",
                 streq (file, "LOG") ? "log's" : "projections'", self->db_path,
                 what);
    else if (streq (verdict, "DAMAGED") && !self->fatal) {
        if (streq (file, "LOG"))
            s_log_damaged (self->db_path, what);
        else {
            jk_error ("store",
                      "the projections beside %s are damaged (SQLite "
                      "integrity check: %s): the store stops; they are made "
                      "anew from the log at its next start",
                      self->db_path, what);
            self->projections_damaged = true;
        }
        self->fatal = true;
        zpoller_remove (self->poller, self->backend);
        zstr_send (self->pipe, "FATAL");
    }
    zstr_free (&file);
    zstr_free (&verdict);
    zstr_free (&what);
}

/* A log file from before the projector held the projection tables
   itself: they are dropped from it (the projector rebuilds them in their
   own file from the log), so no reader can mistake them for current. */
static int s_drop_old_projections (jk_store_t *self, const char *db_path)
{
    sqlite3 *db = jk_log_db (self->log);
    if (!jk_db_has_table (db, "projection_meta"))
        return 0;
    char *sql = jk_strdup ("BEGIN IMMEDIATE;");
    for (size_t i = 0; i < jk_ptable_count (); i++) {
        char *more = jk_sprintf ("%sDROP TABLE IF EXISTS \"%s\";", sql,
                                 jk_ptable_at (i)->name);
        free (sql);
        sql = more;
    }
    char *msg = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec (db, "COMMIT", NULL, NULL, &msg);
    free (sql);
    if (rc != SQLITE_OK) {
        jk_error ("store", "cannot drop the old projection tables from %s: %s",
                  db_path, msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    jk_info ("store",
             "the projection tables moved out of %s into their own file; "
             "they are rebuilt there from the log",
             db_path);
    return 0;
}

/* The region and RAT deadline months the log was decided with, recorded
   in it (jk_log_settings_t): a log that records none (or holds no record
   yet) gets this start's; one that records others is refused, as its
   decisions and projections hold for those. 0 or -1 (logged). */
static int s_check_settings (jk_store_t *self, const jk_store_config_t *config)
{
    jk_log_settings_t now, was;
    jk_log_settings_current (config->projections.rat_deadline_months, &now);
    /* What the store decides with, told to its clients in STATS. */
    snprintf (self->stats_region, sizeof self->stats_region, "%s",
              jk_region_regency (jk_region_default ()));
    self->rat_deadline_months = now.rat_deadline_months;
    sqlite3 *db = jk_log_db (self->log);
    int rc = jk_log_settings_read (db, &was);
    if (rc == JK_IO) {
        jk_error ("store", "cannot read the settings recorded in %s: %s",
                  config->db_path, sqlite3_errmsg (db));
        return -1;
    }
    if (rc == JK_OK && jk_log_settings_equal (&was, &now))
        return 0;
    uint8_t hash[JK_HASH_SIZE];
    if (rc == JK_OK && jk_log_head (self->log, hash) > 0) {
        jk_error ("store",
                  "the log in %s was decided with region %s and a RAT "
                  "deadline of %d months (recorded in it); this start has "
                  "region %s and %d months: start with %s%s and "
                  "--rat-deadline-months %d (or their variables or config "
                  "keys); docs/OPERATIONS.md, \"The region a log was decided "
                  "with\"",
                  config->db_path, jk_log_settings_region (&was),
                  was.rat_deadline_months, jk_log_settings_region (&now),
                  now.rat_deadline_months,
                  *was.area ? "--region " : "no --region and no JEJAK_REGION",
                  was.area, was.rat_deadline_months);
        return -1;
    }
    char err[256];
    if (jk_log_settings_write (db, &now, err, sizeof err) != JK_OK) {
        jk_error ("store", "%s: %s", config->db_path, err);
        return -1;
    }
    jk_info ("store", "%s records region %s and a RAT deadline of %d months",
             config->db_path, jk_log_settings_region (&now),
             now.rat_deadline_months);
    return 0;
}

/* The DEALER to the broker's backend; 0 or -1 (logged). */
static int s_backend_open (jk_store_t *self, const char *endpoint)
{
    self->backend = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->backend, 500);
    zsock_set_sndhwm (self->backend, 200000);
    zsock_set_rcvhwm (self->backend, 10000);
    zsock_set_sndtimeo (self->backend, S_SEND_TIMEOUT_MS);
    zsock_set_maxmsgsize (self->backend, JK_MESSAGE_MAX_BYTES);
    if (jk_endpoint_connect (self->backend, endpoint) != 0) {
        jk_error ("store", "cannot connect to backend %s", endpoint);
        return -1;
    }
    return 0;
}

const char *jk_store_config_refusal (bool no_tree, const char *log_key_path)
{
    if (no_tree && log_key_path)
        return "--no-tree leaves no tree to sign: it cannot go with a "
               "checkpoint key (--checkpoint-key, or log.key in --keys)";
    return NULL;
}

/* Opens the database, sockets and query actor; 0 or -1 (logged). */
static int s_store_init (jk_store_t *self, const jk_store_config_t *config)
{
    const char *refusal =
        jk_store_config_refusal (config->no_tree, config->log_key_path);
    if (refusal) {
        jk_error ("store", "%s", refusal);
        return -1;
    }
    char err[512];
    self->lock_fd = jk_writer_lock (config->db_path, err, sizeof err);
    if (self->lock_fd < 0) {
        jk_error ("store", "%s", err);
        return -1;
    }
    self->log =
        jk_log_open (config->db_path, config->busy_timeout_ms, err, sizeof err);
    if (!self->log) {
        jk_error ("store", "cannot open the log %s: %s", config->db_path, err);
        return -1;
    }
    if (s_check_log (self, config->db_path))
        return -1;
    if (s_drop_old_projections (self, config->db_path))
        return -1;
    if (s_check_settings (self, config))
        return -1;
    self->fault = jk_fault_from_env ("store");
    if (self->fault == JK_FAULT_OPEN_STALLED) {
        jk_info ("store", "the opening waits here until the store is "
                          "stopped (JEJAK_FAULT=open_stalled)");
        while (!jk_store_stop_asked (self, 250))
            ;
        return -1;
    }
    if (jk_store_projector_init (self, config))
        return -1;
    if (config->no_tree)
        jk_store_tree_off (self);
    else if (jk_store_tree_init (self, config->db_path))
        return -1;
    jk_store_wal_start (self, config->db_path);
    sqlite3_commit_hook (jk_log_db (self->log), s_commit_veto, self);

    if (s_backend_open (self, config->backend))
        return -1;
    if (config->log_key_path && jk_store_signer_init (self, config))
        return -1;
    if (config->query) {
        self->query = jk_query_start (
            config->db_path, config->query, config->query_cert_path,
            self->query_shown, sizeof self->query_shown);
        if (!self->query)
            return -1;
        if (self->signer)
            zstr_sendx (self->query, "SIGNER",
                        config->witnesses ? config->witnesses : "", NULL);
    }
    self->db_path = jk_strdup (config->db_path);
    char *projections = jk_projections_path (config->db_path);
    self->check = jk_db_check_start (config->db_path, projections);
    free (projections);
    self->behind = zhashx_new ();
    self->stage = jk_store_stage_start ();
    self->aside = jk_store_aside_start ();
    self->deferred = zlist_new ();
    self->poller = zpoller_new (self->pipe, self->backend, self->tree, NULL);
    if (self->query)
        zpoller_add (self->poller, self->query);
    zpoller_add (self->poller, jk_db_check_actor (self->check));
    zpoller_set_nonstop (self->poller, true);
    return 0;
}

static void s_store_fini (jk_store_t *self)
{
    zpoller_destroy (&self->poller);
    jk_db_check_destroy (&self->check);
    zactor_destroy (&self->query);
    jk_signer_destroy (&self->signer);
    jk_store_wal_stop (self);
    jk_store_tree_stop (self);
    jk_store_projector_stop (self);
    zsock_destroy (&self->backend);
    zhashx_destroy (&self->behind);
    free (self->reported);
    self->reported = NULL;
    if (self->stage) {
        jk_store_stage_wait (self, self->cur, self->cur->sent);
        jk_store_stage_wait (self, self->next, self->next->sent);
    }
    zactor_destroy (&self->stage);
    zactor_destroy (&self->aside);
    if (self->deferred) {
        zmsg_t *msg;
        while ((msg = zlist_pop (self->deferred)))
            zmsg_destroy (&msg);
        zlist_destroy (&self->deferred);
    }
    jk_store_batch_free (&self->pipeline[0]);
    jk_store_batch_free (&self->pipeline[1]);
    jk_model_destroy (&self->model);
    jk_chain_destroy (&self->plan_chain);
    if (self->proj_read)
        sqlite3_close (self->proj_read);
    self->proj_read = NULL;
    jk_log_close (&self->log);
    if (self->projections_damaged) {
        /* Every connection to them is closed: the next start makes them
           anew from the log. */
        char *projections = jk_projections_path (self->db_path);
        jk_db_remove (projections);
        free (projections);
    }
    free (self->db_path);
    self->db_path = NULL;
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    self->lock_fd = -1;
}

/* How long the loop may wait for a message (ms): until the next PING,
   the next checkpoint due, the idle WAL checkpoint or tile flush, while
   the projections move STATS' next push; 0 with a batch taken. */
static int s_wait_ms (jk_store_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    int64_t wait = self->next_ping - now;
    if ((self->checkpoint_due || self->tree_tiles) &&
        wait > S_IDLE_CHECKPOINT_MS)
        wait = S_IDLE_CHECKPOINT_MS;
    int64_t sign = jk_store_sign_due (self);
    if (sign != INT64_MAX && sign - now < wait)
        wait = sign - now;
    /* While the projections or the stored tree move, STATS follows them
       closely; while the projections stand behind the head,
       projection_lag_ms grows every S_LAG_PUSH_MS. */
    bool behind = self->pushed_projected < jk_log_head (self->log, NULL);
    if (self->pushed_projected != jk_store_projected (self) ||
        self->pushed_tree != self->tree_size ||
        (behind && now - self->pushed_at >= S_LAG_PUSH_MS))
        jk_store_push_counters (self);
    if (behind && wait > S_LAG_PUSH_MS)
        wait = S_LAG_PUSH_MS;
    if (wait < 0 || self->cur->item_count > 0)
        wait = 0; /* a batch is taken: it runs below */
    return (int)wait;
}

/* Logs the counters (the text STATS answers) every S_REPORT_MS when
   they changed, as the broker logs its own; STATS gets the same text. */
static void s_report (jk_store_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    if (now < self->next_report)
        return;
    self->next_report = now + S_REPORT_MS;
    char *text = jk_store_counters (self);
    if (self->query)
        zstr_sendx (self->query, "COUNTERS", text, NULL);
    if (self->reported && streq (self->reported, text)) {
        free (text);
        return;
    }
    jk_info ("store", "counters %s", text);
    free (self->reported);
    self->reported = text;
}

/* One turn of the actor's loop: a message (or none), the batch taken,
   then what is due: PING, tiles no batch took, a checkpoint. */
static void s_turn (jk_store_t *self)
{
    void *which = zpoller_wait (self->poller, s_wait_ms (self));
    if (which == self->pipe)
        s_pipe_ready (self);
    else if (self->query && which == self->query)
        jk_store_query_ready (self);
    else if (which == self->backend && self->cur->item_count == 0)
        jk_store_stage_fill (self, self->cur);
    else if (self->check && which == jk_db_check_actor (self->check))
        s_check_take (self);
    else if (self->tree && which == self->tree) {
        zmsg_t *msg = zmsg_recv (self->tree);
        jk_store_tree_take (self, &msg);
    } else if (!which && zpoller_expired (self->poller) &&
               self->checkpoint_due && self->cur->item_count == 0)
        jk_store_wal_idle (self);
    if (self->cur->item_count > 0)
        jk_store_batch_cycle (self);
    if (jk_clock_mono_ms () >= self->next_ping) {
        if (!self->fatal)
            jk_store_send_ping (self);
        self->next_ping = jk_clock_mono_ms () + JK_HEARTBEAT_MS;
        s_report (self);
    }
    /* Tiles no batch took are stored on their own. */
    if (self->tree_tiles &&
        jk_clock_mono_ms () - self->tree_tiles_mono >= S_IDLE_CHECKPOINT_MS)
        jk_store_tree_flush (self);
    jk_store_sign (self, false);
}

static void s_store_actor (zsock_t *pipe, void *args)
{
    const jk_store_config_t *config = args;
    /* The threads it starts inherit its blocked signals from birth. */
    jk_thread_enter (NULL);
    /* zactor_new waits for this signal; the verdict follows as text once
       the store has opened (jk_store_begin). */
    zsock_signal (pipe, 0);
    jk_store_t self_s = {.pipe = pipe, .lock_fd = -1}, *self = &self_s;
    self->cur = &self->pipeline[0];
    self->next = &self->pipeline[1];
    self->batch_max =
        config->batch_max > 0 ? config->batch_max : S_BATCH_DEFAULT;
    self->checkpoint_frames = config->checkpoint_frames > 0
                                  ? config->checkpoint_frames
                                  : JK_STORE_CHECKPOINT_FRAMES_DEFAULT;
    self->lag_max = config->projection_lag_max > 0
                        ? (uint64_t)config->projection_lag_max
                        : JK_STORE_LAG_MAX_DEFAULT;
    int rc = s_store_init (self, config);
    /* Named for top -H and ps -L (docs/OPERATIONS.md) once the threads it
       starts (the projector, the query endpoint) took the process's name. */
    pthread_setname_np (pthread_self (), "jejak-store");
    if (rc == 0)
        jk_info ("store", "ready db=%s backend=%s query=%s head=%llu",
                 config->db_path, config->backend,
                 config->query ? self->query_shown : "-",
                 (unsigned long long)jk_log_head (self->log, NULL));
    if (rc == 0 && config->query && config->query_shown)
        snprintf (config->query_shown, config->query_shown_size, "%s",
                  self->query_shown);
    else if (self->terminated)
        jk_info ("store",
                 "stopped while opening db=%s (the projections' catch-up "
                 "goes on from its last step at the next start)",
                 config->db_path);
    config = NULL; /* only valid until the verdict */
    if (rc != 0) {
        zstr_send (pipe, self->terminated ? "STOPPED" : "FAILED");
        s_store_fini (self);
        return;
    }
    zstr_send (pipe, "READY");
    jk_store_push_counters (self);
    jk_store_send_ping (self);
    self->next_ping = jk_clock_mono_ms () + JK_HEARTBEAT_MS;
    self->announce = true;
    jk_store_sign (self, true); /* a log the newest checkpoint does not cover */

    while (!self->terminated)
        s_turn (self);
    /* The batches taken are decided and answered before the stop. */
    while (self->cur->item_count > 0 && !self->fatal)
        jk_store_batch_cycle (self);
    jk_store_wal_stop (self);
    jk_log_checkpoint (self->log);
    s_store_fini (self);
}

zactor_t *jk_store_begin (const jk_store_config_t *config)
{
    assert (config && config->db_path && config->backend);
    return zactor_new (s_store_actor, (void *)config);
}

zactor_t *jk_store_start (const jk_store_config_t *config)
{
    zactor_t *actor = jk_store_begin (config);
    if (!actor)
        return NULL;
    char *verdict = zstr_recv (actor);
    bool ready = verdict && streq (verdict, "READY");
    free (verdict);
    if (!ready)
        zactor_destroy (&actor);
    return actor;
}
