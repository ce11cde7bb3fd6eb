/*  replica.c - the board's copy of the projections: an in-memory SQLite
    database migrated and fed exactly as the store's, so its numbers are the
    store's numbers at the same position. The board's sink. */
#include "jk_log.h"
#include "jk_record_apply.h"
#include "jk_status.h"

#include <string.h>

struct jk_replica_s {
    sqlite3 *db;                     /* ":memory:" */
    jk_projections_t *projections;   /* prepared against db */
    jk_active_rule_t rule;           /* for "active" in snapshots */
    jk_projections_config_t config;  /* the store's rules */
    bool warned;                     /* of another region's state, once */
    bool follow;                     /* take the store's settings (STATS) */
    bool region_given, months_given; /* what jejak-status was told */
    jk_region_t *region;             /* the store's, when loaded for it */
};

/* Warns (once) when a state loaded from the store holds a kecamatan the
   board's region does not: the store decides with another region than
   this board applies with (jejak-status --region). */
static void s_region_check (jk_replica_t *self)
{
    const jk_region_t *region = jk_region_default ();
    sqlite3_stmt *st = NULL;
    if (self->warned ||
        sqlite3_prepare_v2 (self->db,
                            "SELECT kecamatan_code FROM kecamatan_summary", -1,
                            &st, NULL) != SQLITE_OK) {
        sqlite3_finalize (st);
        return;
    }
    while (sqlite3_step (st) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text (st, 0);
        if (code && !jk_region_kecamatan (region, code)) {
            jk_warn ("status",
                     "the store's projections hold kecamatan %s, which is "
                     "not of region %s this board applies records with: "
                     "start jejak-status without --region (it takes the "
                     "store's) or with the hub's",
                     code,
                     *jk_region_area (region) ? jk_region_area (region)
                                              : "Kabupaten Cianjur");
            self->warned = true;
            break;
        }
    }
    sqlite3_finalize (st);
}

/* Opens a fresh database with the projection tables, or with the
   given image of them (the store's STATE; taken, sqlite3_malloc64'd). */
static int s_open (jk_replica_t *self, uint8_t *image, size_t size, char *err,
                   size_t err_size)
{
    if (sqlite3_open (":memory:", &self->db) != SQLITE_OK) {
        sqlite3_free (image);
        snprintf (err, err_size, "sqlite3_open(:memory:): %s",
                  sqlite3_errmsg (self->db));
        return JK_IO;
    }
    if (image) {
        /* SQLite frees the image, also when it refuses it. */
        if (sqlite3_deserialize (self->db, "main", image, (sqlite3_int64)size,
                                 (sqlite3_int64)size,
                                 SQLITE_DESERIALIZE_FREEONCLOSE |
                                     SQLITE_DESERIALIZE_RESIZEABLE) !=
            SQLITE_OK) {
            snprintf (err, err_size, "the state is not a database: %s",
                      sqlite3_errmsg (self->db));
            return JK_IO;
        }
    }
    /* Nothing here outlives the process: no journal to disk, no syncs. */
    char *msg = NULL;
    if (sqlite3_exec (self->db,
                      "PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY;",
                      NULL, NULL, &msg) != SQLITE_OK) {
        snprintf (err, err_size, "replica pragmas: %s", msg ? msg : "?");
        sqlite3_free (msg);
        return JK_IO;
    }
    if (jk_projections_migrate (self->db, err, err_size))
        return JK_IO;
    if (image)
        s_region_check (self);
    self->projections =
        jk_projections_new (self->db, &self->config, err, err_size);
    if (!self->projections)
        return JK_IO;
    /* Counters written behind, once per board transaction (s_commit). */
    jk_projections_set_deferred (self->projections, true);
    return JK_OK;
}

static void s_close (jk_replica_t *self)
{
    jk_projections_destroy (&self->projections);
    if (self->db)
        sqlite3_close (self->db);
    self->db = NULL;
}

jk_replica_t *jk_replica_new (char *err, size_t err_size)
{
    return jk_replica_new_config (NULL, err, err_size);
}

jk_replica_t *jk_replica_new_config (const jk_projections_config_t *config,
                                     char *err, size_t err_size)
{
    jk_replica_t *self = jk_calloc (1, sizeof *self);
    if (config)
        self->config = *config;
    jk_active_rule_default (&self->rule);
    if (s_open (self, NULL, 0, err, err_size)) {
        jk_replica_destroy (&self);
        return NULL;
    }
    return self;
}

void jk_replica_follow_store (jk_replica_t *self, bool region_given,
                              bool months_given)
{
    self->follow = true;
    self->region_given = region_given;
    self->months_given = months_given;
}

void jk_replica_destroy (jk_replica_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_close (*self_p);
    if ((*self_p)->region) {
        jk_region_use (NULL);
        jk_region_destroy (&(*self_p)->region);
    }
    free (*self_p);
    *self_p = NULL;
}

static int s_exec (jk_replica_t *self, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        jk_error ("status", "replica sql=%s error=%s", sql, msg ? msg : "?");
        sqlite3_free (msg);
        return JK_IO;
    }
    return JK_OK;
}

static int s_begin (void *arg)
{
    return s_exec ((jk_replica_t *)arg, "BEGIN");
}

/* Writes the pending counters, then commits; on failure rolls back and
   forgets them, so the tables stay those of the last commit. */
static int s_commit (void *arg)
{
    jk_replica_t *self = (jk_replica_t *)arg;
    if (jk_projections_flush (self->projections) == JK_OK &&
        s_exec (self, "COMMIT") == JK_OK)
        return JK_OK;
    if (!sqlite3_get_autocommit (self->db))
        s_exec (self, "ROLLBACK");
    jk_projections_discard (self->projections);
    return JK_IO;
}

static int s_apply (void *arg, const jk_record_t *record)
{
    jk_replica_t *self = (jk_replica_t *)arg;
    int rc = jk_record_apply (self->projections, record);
    if (rc == JK_INVALID) {
        /* The record did not decode with this program's schema: the
           board still counts its position, but cannot show it. */
        return JK_OK;
    }
    return rc == JK_OK ? JK_OK : JK_IO;
}

/* Starts over with empty tables. */
static int s_reset (void *arg)
{
    jk_replica_t *self = (jk_replica_t *)arg;
    s_close (self);
    char err[256] = "";
    if (s_open (self, NULL, 0, err, sizeof err)) {
        jk_error ("status", "replica reset failed: %s", err);
        return JK_IO;
    }
    return JK_OK;
}

/* Starts over from the store's state at a position (an image of its
   projections' file, taken). */
static int s_load (void *arg, uint8_t *image, size_t size)
{
    jk_replica_t *self = (jk_replica_t *)arg;
    s_close (self);
    char err[256] = "";
    if (s_open (self, image, size, err, sizeof err) == JK_OK)
        return JK_OK;
    jk_error ("status", "replica load failed: %s", err);
    s_close (self);
    if (s_open (self, NULL, 0, err, sizeof err))
        jk_error ("status", "replica reset failed: %s", err);
    return JK_IO;
}

/* What the store decides with (its STATS): the region and the RAT
   deadline the replica seeds and applies with, unless jejak-status was
   told others (a notice then: region_differs, months_differs, or both in
   one, region_months_differ; region_unknown when the store's region
   cannot be loaded here). Made before anything is loaded. */
static int s_settings (void *arg, const char *stats, jk_status_note_t *notice)
{
    jk_replica_t *self = (jk_replica_t *)arg;
    jk_log_settings_t store;
    int rc = stats ? jk_log_settings_from_stats (stats, &store) : JK_NOT_FOUND;
    const jk_region_t *region = jk_region_default ();
    const char *code = jk_region_regency (region);
    int months = self->config.rat_deadline_months > 0
                     ? self->config.rat_deadline_months
                     : 6;
    if (rc != JK_OK) {
        jk_warn ("status",
                 "the store does not say its region and RAT deadline (STATS "
                 "without region= and rat_deadline_months=): applying with "
                 "region %s and %d months (--region, --rat-deadline-months)",
                 code, months);
        return JK_OK;
    }
    bool reopen = false;
    const char *region_note = NULL; /* region_differs, region_unknown */
    if (strcmp (store.area, code) != 0 && self->region_given)
        region_note = "region_differs";
    else if (strcmp (store.area, code) != 0) {
        char err[256];
        jk_region_t *loaded =
            jk_region_load_default_dir (store.area, err, sizeof err);
        if (!loaded) {
            jk_warn ("status", "the store's region %s cannot be loaded: %s",
                     store.area, err);
            region_note = "region_unknown";
        } else {
            /* The process's region from now on: the replica seeds its
               kecamatan and applies records with it. */
            jk_region_use (loaded);
            jk_region_destroy (&self->region);
            self->region = loaded;
            reopen = true;
            jk_info ("status", "the store decides with region %s", store.area);
        }
    }
    bool months_note = false;
    if (store.rat_deadline_months != months && self->months_given)
        months_note = true;
    else if (store.rat_deadline_months != months) {
        self->config.rat_deadline_months = store.rat_deadline_months;
        reopen = true;
    }
    char given[16], told[16];
    snprintf (given, sizeof given, "%d", months);
    snprintf (told, sizeof told, "%d", store.rat_deadline_months);
    if (region_note && months_note)
        jk_status_note_set (notice,
                            strcmp (region_note, "region_differs") == 0
                                ? "region_months_differ"
                                : "region_unknown_months_differ",
                            code, store.area, given, told);
    else if (region_note)
        jk_status_note_set (notice, region_note, code, store.area);
    else if (months_note)
        jk_status_note_set (notice, "months_differs", given, told);
    if (notice->code[0]) {
        char text[JK_STATUS_NOTE_TEXT_MAX];
        jk_warn ("status", "%s: the board applies records as told",
                 jk_status_note_text (notice, true, text, sizeof text));
    }
    if (!reopen)
        return JK_OK;
    return s_reset (self);
}

jk_board_sink_t jk_replica_sink (jk_replica_t *self)
{
    return (jk_board_sink_t){.arg = self,
                             .begin = s_begin,
                             .apply = s_apply,
                             .commit = s_commit,
                             .reset = s_reset,
                             .load = s_load,
                             .settings = self->follow ? s_settings : NULL};
}

uint8_t *jk_replica_snapshot (jk_replica_t *self, int32_t as_of_day,
                              size_t *size)
{
    /* Normally a no-op: the board commits (and so flushes) before it
       publishes. */
    if (jk_projections_flush (self->projections) != JK_OK)
        return NULL;
    return jk_projections_snapshot_rule (self->db, as_of_day, &self->rule,
                                         size);
}

void jk_replica_set_active_rule (jk_replica_t *self,
                                 const jk_active_rule_t *rule)
{
    if (rule)
        self->rule = *rule;
    else
        jk_active_rule_default (&self->rule);
}

sqlite3 *jk_replica_db (jk_replica_t *self)
{
    return self->db;
}
