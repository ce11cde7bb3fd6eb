/*  pgsink_shadow.c - jejak-pgsink's SQLite shadow: the projection tables'
    columns, the shadow's position, and the batch apply (shadow session,
    then PostgreSQL first, the shadow second). */
#include "jk_dbkind.h"
#include "jk_link.h"
#include "pgsink_internal.h"

#include <limits.h>

/* The columns and key of every projection table as db has them (the
   shadow, or the province's projections with kabupaten_code in front and
   province_origins besides). */
void jk_pgsink_tables_load (jk_pgsink_t *self, sqlite3 *db, bool province)
{
    self->ntables = jk_ptable_count () + (province ? 1 : 0);
    self->tables = jk_calloc (self->ntables, sizeof (jk_table_info_t));
    for (size_t t = 0; t < self->ntables; t++)
        jk_table_info_load (&self->tables[t], db,
                            t < jk_ptable_count () ? jk_ptable_at (t)->name
                                                   : "province_origins");
}

/* A kecamatan of the shadow's summary that the region in use does not
   hold (a shadow made before it recorded its settings, with another
   region), copied into code; false when there is none. */
static bool s_foreign_kecamatan (jk_pgsink_t *self, char *code, size_t size)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2 (self->shadow,
                            "SELECT kecamatan_code FROM kecamatan_summary", -1,
                            &st, NULL) == SQLITE_OK)
        while (!found && sqlite3_step (st) == SQLITE_ROW) {
            const char *k = (const char *)sqlite3_column_text (st, 0);
            if (k && !jk_region_kecamatan (jk_region_default (), k)) {
                snprintf (code, size, "%s", k);
                found = true;
            }
        }
    sqlite3_finalize (st);
    return found;
}

/* The shadow applies with one region and RAT deadline for its life (table
   log_settings, as a log records them): one made with others is refused
   rather than mixed with. True when it may be used. */
static bool s_shadow_settings (jk_pgsink_t *self, const char *path)
{
    jk_log_settings_t made;
    int rc = jk_log_settings_read (self->shadow, &made);
    char code[32] = "";
    if (rc == JK_IO) {
        jk_error (S_COMPONENT, "shadow %s: %s", path,
                  sqlite3_errmsg (self->shadow));
        return false;
    }
    if (rc == JK_OK && jk_log_settings_equal (&made, &self->settings))
        return true;
    if (rc == JK_OK)
        jk_error (S_COMPONENT,
                  "the shadow %s was made with region %s and a RAT deadline "
                  "of %d months; this sink applies with region %s and %d "
                  "months: not mixed; run jejak-pgsink rebuild (the "
                  "PostgreSQL tables and the shadow made anew) or give "
                  "--region %s --rat-deadline-months %d",
                  path, jk_log_settings_region (&made),
                  made.rat_deadline_months, self->settings.area,
                  self->settings.rat_deadline_months, made.area,
                  made.rat_deadline_months);
    else if (s_foreign_kecamatan (self, code, sizeof code))
        jk_error (S_COMPONENT,
                  "the shadow %s holds kecamatan %s, which is not of region "
                  "%s this sink applies with: not mixed; run jejak-pgsink "
                  "rebuild (the PostgreSQL tables and the shadow made anew)",
                  path, code, self->settings.area);
    else
        return true; /* recorded below */
    return false;
}

/* A read or write of the shadow failed: says which file, what and why
   (jk_link_shadow_failure), and returns false. verb: "read" or "write". */
static bool s_shadow_failed (jk_pgsink_t *self, const char *path,
                             const char *verb, const char *what)
{
    char line[PATH_MAX * 2 + 512];
    jk_error (S_COMPONENT, "%s",
              jk_link_shadow_failure (self->shadow, path, verb, what, line,
                                      sizeof line));
    return false;
}

static bool s_shadow_unwritten (jk_pgsink_t *self, const char *path,
                                const char *what)
{
    return s_shadow_failed (self, path, "write", what);
}

bool jk_pgsink_shadow_open (jk_pgsink_t *self, const char *path)
{
    char why[512];
    self->shadow = jk_link_sqlite_open (path, false, why, sizeof why);
    if (!self->shadow) {
        jk_error (S_COMPONENT, "the shadow: %s", why);
        return false;
    }
    /* Another program's file (a hub's log) is refused before anything is
       written to it. */
    if (jk_db_kind_check (self->shadow, path, JK_DB_SINK_SHADOW, why,
                          sizeof why) != JK_OK) {
        jk_error (S_COMPONENT, "%s", why);
        return false;
    }
    /* Each write checked: a shadow left without its mark, journal or
       position would be taken for another file's, or fail later with
       less said. */
    if (jk_db_kind_mark (self->shadow, JK_DB_SINK_SHADOW) != JK_OK)
        return s_shadow_unwritten (self, path, "its kind mark");
    static const struct {
        const char *what, *sql;
    } steps[] = {
        {"its WAL journal",
         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"},
        {"its table sink_position",
         "CREATE TABLE IF NOT EXISTS sink_position (id INTEGER PRIMARY KEY "
         "CHECK (id = 1), pos INTEGER NOT NULL, hash BLOB NOT NULL);"
         "INSERT OR IGNORE INTO sink_position VALUES (1, 0, zeroblob(32));"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (sqlite3_exec (self->shadow, steps[i].sql, NULL, NULL, NULL) !=
            SQLITE_OK)
            return s_shadow_unwritten (self, path, steps[i].what);
    return s_shadow_settings (self, path);
}

bool jk_pgsink_shadow_migrate (jk_pgsink_t *self, const char *path)
{
    char err[512];
    jk_projections_config_t config = {.rat_deadline_months =
                                          self->settings.rat_deadline_months};
    if (jk_projections_migrate (self->shadow, err, sizeof err) ||
        jk_log_settings_write (self->shadow, &self->settings, err,
                               sizeof err) ||
        !(self->projections =
              jk_projections_new (self->shadow, &config, err, sizeof err))) {
        jk_error (S_COMPONENT, "shadow %s: %s", path, err);
        return false;
    }
    jk_pgsink_tables_load (self, self->shadow, false);
    return true;
}

bool jk_pgsink_shadow_position (jk_pgsink_t *self, uint64_t *pos, uint8_t *hash)
{
    sqlite3_stmt *st = NULL;
    *pos = 0;
    if (hash)
        memset (hash, 0, JK_HASH_SIZE);
    int rc = sqlite3_prepare_v2 (
        self->shadow, "SELECT pos, hash FROM sink_position", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        *pos = (uint64_t)sqlite3_column_int64 (st, 0);
        if (hash && sqlite3_column_bytes (st, 1) == JK_HASH_SIZE)
            memcpy (hash, sqlite3_column_blob (st, 1), JK_HASH_SIZE);
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_shadow_failed (self, NULL, "read", "its position");
    return true;
}

/* Records pos and hash as the shadow's position (inside the batch's
   transaction); false (said) when it cannot. */
static bool s_shadow_set_position (jk_pgsink_t *self, uint64_t pos,
                                   const uint8_t *hash)
{
    char line[PATH_MAX * 2 + 512];
    if (jk_link_shadow_position_set (self->shadow, NULL, "sink_position", pos,
                                     hash, line, sizeof line))
        return true;
    jk_error (S_COMPONENT, "%s", line);
    return false;
}

void jk_pgsink_other_log (jk_pgsink_t *self, const char *what)
{
    jk_error (S_COMPONENT,
              "%s: the hub at --query %s holds another log than the one "
              "PostgreSQL's copy was made from (another hub, or a log "
              "restored from an older backup); the copy is left as it was; "
              "run jejak-pgsink rebuild to copy this hub's log anew, or "
              "point --query and --feed at the hub the copy was made from",
              what, self->query_endpoint);
    self->other_log = true;
}

void jk_pgsink_other_shadow (jk_pgsink_t *self, uint64_t pos)
{
    jk_error (S_COMPONENT,
              "the shadow %s was made from another log: its hash at %llu is "
              "not the one PostgreSQL's copy and the hub hold there; the "
              "copy is left as it was; remove the shadow (it is made anew "
              "and brought up to PostgreSQL's position from the hub) or run "
              "jejak-pgsink rebuild",
              jk_link_db_path (self->shadow), (unsigned long long)pos);
    self->other_log = true;
}

/* Applies the batch: shadow transaction with a session, PostgreSQL
   transaction with the log rows, the row changes and the position; PG
   commits first, then the shadow. With to_pg false (bringing the shadow
   up to PostgreSQL), only the shadow. Returns false when PostgreSQL
   failed (everything rolled back), or when a record does not continue
   the copy's chain (other_log set, said; PostgreSQL not touched). */
bool jk_pgsink_flush (jk_pgsink_t *self, bool to_pg)
{
    if (zlistx_size (self->batch) == 0)
        return true;
    if (sqlite3_exec (self->shadow, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
        SQLITE_OK) {
        self->shadow_failed = true;
        zlistx_purge (self->batch);
        return s_shadow_unwritten (self, NULL, "a batch's transaction");
    }
    sqlite3_session *session = NULL;
    if (to_pg) {
        sqlite3session_create (self->shadow, "main", &session);
        for (size_t t = 0; t < self->ntables; t++)
            sqlite3session_attach (session, self->tables[t].name);
    }
    bool ok = true;
    uint64_t pos = self->pos;
    uint8_t hash[JK_HASH_SIZE];
    memcpy (hash, self->hash, JK_HASH_SIZE);
    for (zmsg_t *msg = zlistx_first (self->batch); msg && ok;
         msg = zlistx_next (self->batch)) {
        jk_record_t r;
        jk_record_read (msg, &r);
        /* The hub's chain, continued record by record. */
        uint8_t expect[JK_HASH_SIZE];
        bool rejected = strncmp (r.topic, JK_REJECTED_PREFIX,
                                 strlen (JK_REJECTED_PREFIX)) == 0;
        jk_chain_step (self->chain, hash, r.pos, r.recorded_at,
                       rejected ? JK_LOG_REJECTED : JK_LOG_ACCEPTED,
                       rejected ? r.code : NULL, rejected ? r.message : NULL,
                       r.bytes, r.size, expect);
        if (!to_pg && r.pos == pos + 1 &&
            memcmp (expect, r.hash, JK_HASH_SIZE)) {
            /* Bringing the shadow up: the hub's hash at PostgreSQL's
               position was the copy's, so a hub record that does not
               continue the shadow's chain tells the shadow is another
               log's. */
            jk_pgsink_other_shadow (self, pos);
            ok = false;
            break;
        }
        if (r.pos != pos + 1 || memcmp (expect, r.hash, JK_HASH_SIZE)) {
            char what[128];
            snprintf (what, sizeof what,
                      "the hub's record %llu does not continue the copy's "
                      "hash chain at %llu",
                      (unsigned long long)r.pos, (unsigned long long)pos);
            jk_pgsink_other_log (self, what);
            ok = false;
            break;
        }
        if (jk_record_apply (self->projections, &r) == JK_IO) {
            jk_error (S_COMPONENT, "shadow: %s", sqlite3_errmsg (self->shadow));
            ok = false;
            break;
        }
        pos = r.pos;
        memcpy (hash, r.hash, JK_HASH_SIZE);
    }
    if (ok)
        jk_projections_flush (self->projections);
    bool pg_ok = true;
    if (ok && to_pg) {
        int size = 0;
        void *changes = NULL;
        sqlite3session_changeset (session, &size, &changes);
        pg_ok = jk_pgsink_pg_exec (self, "BEGIN");
        for (zmsg_t *msg = zlistx_first (self->batch); msg && pg_ok;
             msg = zlistx_next (self->batch)) {
            jk_record_t r;
            jk_record_read (msg, &r);
            pg_ok = jk_pgsink_pg_log (self, &r);
        }
        if (pg_ok)
            pg_ok = jk_pgsink_pg_changes (self, size, changes);
        sqlite3_free (changes);
        pg_ok = jk_pgsink_pg_commit (self, pg_ok, pos, hash);
    }
    if (session)
        sqlite3session_delete (session);
    /* PostgreSQL has committed: the shadow's position and COMMIT must
       follow. When they cannot, the shadow is rolled back (behind
       PostgreSQL, as after a crash between the two commits) and the sink
       stops (shadow_failed): its next start brings the shadow up to
       PostgreSQL's position from the hub (s_reconcile). */
    bool shadow_ok = ok && pg_ok && s_shadow_set_position (self, pos, hash);
    if (shadow_ok &&
        sqlite3_exec (self->shadow, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        shadow_ok = s_shadow_unwritten (self, NULL, "the batch's COMMIT");
    if (ok && pg_ok) {
        if (to_pg) { /* what went to PostgreSQL, not the shadow alone */
            self->written += zlistx_size (self->batch);
            self->batches++;
        }
        self->pos = pos;
        memcpy (self->hash, hash, JK_HASH_SIZE);
        self->verify_at = 0; /* the chain continued from the copy's hash */
    }
    if (!shadow_ok) {
        if (!sqlite3_get_autocommit (self->shadow))
            sqlite3_exec (self->shadow, "ROLLBACK", NULL, NULL, NULL);
        jk_projections_discard (self->projections);
        self->shadow_failed = ok && pg_ok;
    }
    zlistx_purge (self->batch);
    return shadow_ok;
}
