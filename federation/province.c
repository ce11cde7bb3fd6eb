/* Whole at ~800 lines: one class, its batch steps share the open shadows. */
/*  province.c - the province's projections (jk_province.h): the regencies'
    projection tables side by side, keyed by kabupaten_code, computed from
    the copy database by the store's apply code on one shadow per origin.

    Per batch of arrivals: each origin's shadow opens a transaction with a
    session and applies its records; the province database then takes
    every shadow's row changes, the origins' positions and its own
    position in one transaction and commits; then each shadow commits its
    position. A crash between the two leaves a shadow behind the province
    (never ahead): at open it is brought up to the province's position for
    it from the copy, writing nothing to the province.

    Each shadow applies with its regency's own reference data and RAT
    deadline months (as the copy records them from the regency's records,
    table origin_settings; the default 6 when it records none), and
    records the months it was made with (log_settings): a shadow made with
    other months than the copy says now stops the projector. */
#define SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_PREUPDATE_HOOK
#include "jk_province.h"

#include "jk_active.h"
#include "jk_base.h"
#include "jk_dbkind.h"
#include "jk_link.h"
#include "jk_log.h"
#include "jk_projection_table.h"
#include "jk_projections.h"
#include "jk_record_apply.h"

#include <czmq.h>
#include <string.h>

#define S_MAX_COLUMNS JK_TABLE_COLUMNS_MAX

typedef jk_table_info_t s_table_t;

typedef struct {
    char code[JK_LINK_AREA_MAX];
    char *path;
    jk_region_t *region; /* the regency's own reference data */
    int months;          /* the RAT deadline months it applies with */
    sqlite3 *db;
    jk_projections_t *projections;
    uint64_t pos;  /* committed in the shadow */
    uint64_t next; /* applied in the open batch */
    uint8_t hash[JK_HASH_SIZE];
    sqlite3_session *session; /* the open batch, or NULL */
} s_origin_t;

struct jk_province_s {
    char *path;
    sqlite3 *db, *copy;
    s_table_t *tables;
    size_t ntables;
    zhashx_t *origins; /* code -> s_origin_t */
    uint64_t pos;
};

typedef jk_province_arrival_t s_arrival_t;

static int s_fail (char *err, size_t err_size, const char *what, sqlite3 *db)
{
    snprintf (err, err_size, "%s: %s", what, db ? sqlite3_errmsg (db) : "");
    return -1;
}

static bool s_exec (sqlite3 *db, const char *sql)
{
    return sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* sql prepared on db; NULL with err ("WHAT: SQLite's reason") when SQLite
   refuses it (a damaged or foreign schema), so no caller reads a missing
   statement as "no rows". */
static sqlite3_stmt *s_prepare (sqlite3 *db, const char *sql, const char *what,
                                char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK) {
        s_fail (err, err_size, what, db);
        sqlite3_finalize (st);
        return NULL;
    }
    return st;
}

/* ---- the tables ------------------------------------------------------------
   Their columns as the store makes them (a scratch database migrated
   with the store's schema), with kabupaten_code in front. */
static int s_tables_load (jk_province_t *self, char *err, size_t err_size)
{
    sqlite3 *scratch = NULL;
    sqlite3_open (":memory:", &scratch);
    if (jk_projections_migrate (scratch, err, err_size)) {
        sqlite3_close (scratch);
        return -1;
    }
    self->ntables = jk_ptable_count ();
    self->tables = jk_calloc (self->ntables, sizeof (s_table_t));
    for (size_t t = 0; t < self->ntables; t++)
        jk_table_info_load (&self->tables[t], scratch, jk_ptable_at (t)->name);
    sqlite3_close (scratch);
    return 0;
}

static s_table_t *s_table (jk_province_t *self, const char *name)
{
    for (size_t t = 0; t < self->ntables; t++)
        if (streq (self->tables[t].name, name))
            return &self->tables[t];
    return NULL;
}

/* The summaries: stored counts per kabupaten (active is as-of: computed
   by jk_province_summary). */
#define S_OF_K " t WHERE t.kabupaten_code = o.kabupaten_code"
static const char s_summary_select[] =
    "SELECT o.kabupaten_code AS kabupaten_code, o.pos AS log_pos,"
    " (SELECT count(*) FROM cooperatives" S_OF_K ") AS cooperatives,"
    " (SELECT count(*) FROM people" S_OF_K ") AS people,"
    " (SELECT count(*) FROM batches" S_OF_K ") AS batches,"
    " (SELECT count(*) FROM enrollments" S_OF_K
    " AND t.withdrawn = 0) AS enrolled,"
    " (SELECT count(*) FROM enrollments" S_OF_K
    " AND t.eligible = 1) AS completed,"
    " (SELECT count(*) FROM people" S_OF_K
    " AND t.units_assessed > 0) AS assessed,"
    " (SELECT count(*) FROM people" S_OF_K " AND t.competent > 0) AS competent,"
    " (SELECT coalesce (sum (t.certificates), 0) FROM people" S_OF_K
    ") AS certificates"
    " FROM province_origins o";

static int s_schema (jk_province_t *self, char *err, size_t err_size)
{
    if (!s_exec (self->db,
                 "CREATE TABLE IF NOT EXISTS province_position ("
                 " id INTEGER PRIMARY KEY CHECK (id = 1),"
                 " arrival_pos INTEGER NOT NULL);"
                 "INSERT OR IGNORE INTO province_position VALUES (1, 0);"
                 "CREATE TABLE IF NOT EXISTS province_origins ("
                 " kabupaten_code TEXT PRIMARY KEY, pos INTEGER NOT NULL,"
                 " hash BLOB NOT NULL);"
                 "CREATE TABLE IF NOT EXISTS province_settings ("
                 " kabupaten_code TEXT PRIMARY KEY,"
                 " rat_deadline_months INTEGER NOT NULL);"))
        return s_fail (err, err_size, "province schema", self->db);
    for (size_t t = 0; t < self->ntables; t++) {
        s_table_t *tab = &self->tables[t];
        char *sql = jk_sprintf ("CREATE TABLE IF NOT EXISTS %s ("
                                "kabupaten_code TEXT NOT NULL",
                                tab->name);
        for (int c = 0; c < tab->ncols; c++) {
            char *next =
                jk_sprintf ("%s, \"%s\" %s", sql, tab->cols[c], tab->types[c]);
            free (sql);
            sql = next;
        }
        char *next = jk_sprintf ("%s, PRIMARY KEY (kabupaten_code, %s))", sql,
                                 jk_ptable_at (t)->key);
        free (sql);
        bool ok = s_exec (self->db, next);
        free (next);
        if (!ok)
            return s_fail (err, err_size, tab->name, self->db);
    }
    char *view = jk_sprintf ("CREATE VIEW IF NOT EXISTS province_summary AS %s",
                             s_summary_select);
    bool ok = s_exec (self->db, view);
    free (view);
    if (!ok)
        return s_fail (err, err_size, "province_summary", self->db);
    return 0;
}

/* ---- writing rows into the province ---------------------------------------
 */

/* Runs sql with the bound values (code first); false with err. */
static bool s_run (jk_province_t *self, const char *sql, const char *code,
                   sqlite3_value **values, int n, char *err, size_t err_size)
{
    sqlite3_stmt *st = s_prepare (self->db, sql, sql, err, err_size);
    if (!st)
        return false;
    sqlite3_bind_text (st, 1, code, -1, SQLITE_STATIC);
    for (int i = 0; i < n; i++)
        if (values[i])
            sqlite3_bind_value (st, i + 2, values[i]);
    bool ok = sqlite3_step (st) == SQLITE_DONE;
    if (!ok)
        s_fail (err, err_size, sql, self->db);
    sqlite3_finalize (st);
    return ok;
}

static char *s_append (char *text, const char *more)
{
    char *next = jk_sprintf ("%s%s", text, more);
    free (text);
    return next;
}

/* One row change of a shadow, into the province with code. */
static bool s_change (jk_province_t *self, const char *code,
                      sqlite3_changeset_iter *it, char *err, size_t err_size)
{
    const char *name;
    int ncols, op, indirect;
    sqlite3changeset_op (it, &name, &ncols, &op, &indirect);
    s_table_t *tab = s_table (self, name);
    if (!tab || tab->ncols != ncols)
        return true; /* not a projection table */
    sqlite3_value *values[2 * S_MAX_COLUMNS];
    char *sql = NULL;
    int n = jk_table_info_change (tab, it, '?', "kabupaten_code", &sql, values);
    if (n < 0)
        return true; /* an UPDATE that changes nothing */
    bool ok = s_run (self, sql, code, values, n, err, err_size);
    free (sql);
    return ok;
}

static bool s_changes (jk_province_t *self, s_origin_t *o, char *err,
                       size_t err_size)
{
    int size = 0;
    void *data = NULL;
    if (sqlite3session_changeset (o->session, &size, &data) != SQLITE_OK) {
        snprintf (err, err_size, "shadow %s: no changeset", o->code);
        return false;
    }
    sqlite3_changeset_iter *it = NULL;
    bool ok = sqlite3changeset_start (&it, size, data) == SQLITE_OK;
    while (ok && sqlite3changeset_next (it) == SQLITE_ROW)
        ok = s_change (self, o->code, it, err, err_size);
    sqlite3changeset_finalize (it);
    sqlite3_free (data);
    return ok;
}

/* A new origin's seeded rows (what the store's migrations put in a fresh
   database), as in the regency's own: rows keyed by a kecamatan outside
   the origin are left out. Inside the caller's province transaction. */
static bool s_seed (jk_province_t *self, s_origin_t *o, char *err,
                    size_t err_size)
{
    bool ok = true;
    char prefix[JK_LINK_AREA_MAX + 1];
    snprintf (prefix, sizeof prefix, "%s.", o->code);
    size_t prefix_len = strlen (prefix);
    for (size_t t = 0; ok && t < self->ntables; t++) {
        s_table_t *tab = &self->tables[t];
        char *sql = jk_sprintf ("SELECT * FROM %s", tab->name);
        sqlite3_stmt *st = s_prepare (o->db, sql, o->path, err, err_size);
        free (sql);
        if (!st) {
            ok = false;
            break;
        }
        char *ins = jk_sprintf ("INSERT INTO %s VALUES (?1", tab->name);
        for (int c = 0; c < tab->ncols; c++) {
            char p[16];
            snprintf (p, sizeof p, ", ?%d", c + 2);
            ins = s_append (ins, p);
        }
        ins = s_append (ins, ")");
        /* The table's key, read once for all its rows. */
        bool by_kecamatan = streq (jk_ptable_at (t)->key, "kecamatan_code");
        int step = SQLITE_DONE;
        while (ok && (step = sqlite3_step (st)) == SQLITE_ROW) {
            if (by_kecamatan &&
                strncmp ((const char *)sqlite3_column_text (st, 0), prefix,
                         prefix_len))
                continue;
            sqlite3_value *values[S_MAX_COLUMNS];
            for (int c = 0; c < tab->ncols; c++)
                values[c] = sqlite3_column_value (st, c);
            ok = s_run (self, ins, o->code, values, tab->ncols, err, err_size);
        }
        if (ok && step != SQLITE_DONE)
            ok = s_fail (err, err_size, o->path, o->db) == 0;
        sqlite3_finalize (st);
        free (ins);
    }
    sqlite3_stmt *st =
        ok ? s_prepare (self->db,
                        "INSERT INTO province_origins VALUES (?1, 0, "
                        "zeroblob(32))",
                        self->path, err, err_size)
           : NULL;
    ok = ok && st != NULL;
    sqlite3_bind_text (st, 1, o->code, -1, SQLITE_STATIC);
    ok = ok && sqlite3_step (st) == SQLITE_DONE;
    sqlite3_finalize (st);
    if (!ok && err[0] == 0)
        s_fail (err, err_size, "seed", self->db);
    return ok;
}

/* ---- the shadows -----------------------------------------------------------
 */

static void s_origin_destroy (s_origin_t **o_p)
{
    s_origin_t *o = *o_p;
    if (!o)
        return;
    if (o->session)
        sqlite3session_delete (o->session);
    jk_projections_destroy (&o->projections);
    sqlite3_close (o->db);
    jk_region_use (NULL);
    jk_region_destroy (&o->region);
    free (o->path);
    free (o);
    *o_p = NULL;
}

static void s_origin_free (void **item)
{
    s_origin_destroy ((s_origin_t **)item);
}

/* Says in err that o's shadow could not be VERB'd (what, and why:
   jk_link_shadow_failure); returns false. */
static bool s_shadow_failed (s_origin_t *o, const char *verb, const char *what,
                             char *err, size_t err_size)
{
    jk_link_shadow_failure (o->db, o->path, verb, what, err, err_size);
    return false;
}

/* Records pos and hash as o's shadow position (inside its open
   transaction); false (err: the file, the position and SQLite's reason)
   when it cannot. */
static bool s_shadow_set (s_origin_t *o, uint64_t pos, const uint8_t *hash,
                          char *err, size_t err_size)
{
    return jk_link_shadow_position_set (o->db, o->path, "shadow_position", pos,
                                        hash, err, err_size);
}

/* Reads o's shadow position into o->pos; false (err: the file and
   SQLite's reason) when it cannot. */
static bool s_shadow_get (s_origin_t *o, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (o->db, "SELECT pos FROM shadow_position", -1,
                                 &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW)
        o->pos = (uint64_t)sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return true;
    return s_shadow_failed (o, "read", "its position", err, err_size);
}

/* Reads count arrivals (or an origin's records) from a prepared copy
   query whose columns are: arrival, origin, pos, recorded_at, outcome,
   code, message, bytes, hash. */
static s_arrival_t *s_read (sqlite3_stmt *st, size_t *count, bool *failed)
{
    size_t cap = 64, n = 0;
    s_arrival_t *rows = jk_calloc (cap, sizeof *rows);
    int step = SQLITE_DONE;
    while ((step = sqlite3_step (st)) == SQLITE_ROW) {
        if (n == cap) {
            cap *= 2;
            rows = jk_realloc (rows, cap * sizeof *rows);
        }
        s_arrival_t *a = &rows[n++];
        memset (a, 0, sizeof *a);
        a->arrival = (uint64_t)sqlite3_column_int64 (st, 0);
        snprintf (a->origin, sizeof a->origin, "%s",
                  (const char *)sqlite3_column_text (st, 1));
        size_t size = (size_t)sqlite3_column_bytes (st, 7);
        a->bytes = jk_malloc (size ? size : 1);
        memcpy (a->bytes, sqlite3_column_blob (st, 7), size);
        if (sqlite3_column_bytes (st, 8) == JK_HASH_SIZE)
            memcpy (a->hash, sqlite3_column_blob (st, 8), JK_HASH_SIZE);
        if (sqlite3_column_count (st) > 9 &&
            sqlite3_column_bytes (st, 9) == JK_HASH_SIZE)
            memcpy (a->arrival_hash, sqlite3_column_blob (st, 9), JK_HASH_SIZE);
        bool rejected = sqlite3_column_int (st, 4) != 0;
        const char *code = (const char *)sqlite3_column_text (st, 5);
        const char *message = (const char *)sqlite3_column_text (st, 6);
        a->code = rejected && code ? jk_strdup (code) : NULL;
        a->message = rejected && message ? jk_strdup (message) : NULL;
        a->stored = (jk_stored_t){.pos = (uint64_t)sqlite3_column_int64 (st, 2),
                                  .recorded_at = sqlite3_column_int64 (st, 3),
                                  .hash = a->hash,
                                  .rejected = rejected,
                                  .code = a->code,
                                  .message = a->message,
                                  .bytes = a->bytes,
                                  .size = size};
    }
    *count = n;
    *failed = step != SQLITE_DONE;
    return rows;
}

static void s_rows_free (s_arrival_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free (rows[i].bytes);
        free (rows[i].code);
        free (rows[i].message);
    }
    free (rows);
}

#define S_COPY_COLUMNS                                                         \
    "c.origin, c.pos, c.recorded_at, c.outcome, c.code, c.message, c.bytes, "  \
    "c.hash"

/* Brings a shadow behind the province up to pos (the origin's records
   from the copy, to the shadow only). */
static int s_reconcile (jk_province_t *self, s_origin_t *o, uint64_t pos,
                        char *err, size_t err_size)
{
    sqlite3_stmt *st = s_prepare (self->copy,
                                  "SELECT c.arrival, " S_COPY_COLUMNS
                                  " FROM copy c WHERE c.origin = ?1 AND c.pos "
                                  "> ?2 AND c.pos <= ?3 ORDER BY c.pos",
                                  "copy", err, err_size);
    if (!st)
        return -1;
    sqlite3_bind_text (st, 1, o->code, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)o->pos);
    sqlite3_bind_int64 (st, 3, (sqlite3_int64)pos);
    size_t count = 0;
    bool failed;
    s_arrival_t *rows = s_read (st, &count, &failed);
    if (failed) {
        s_fail (err, err_size, "copy", self->copy);
        sqlite3_finalize (st);
        s_rows_free (rows, count);
        return -1;
    }
    sqlite3_finalize (st);
    int rc = 0;
    if (!s_exec (o->db, "BEGIN IMMEDIATE")) {
        s_shadow_failed (o, "write", "its catch-up's transaction", err,
                         err_size);
        s_rows_free (rows, count);
        return -1;
    }
    jk_region_use (o->region);
    for (size_t i = 0; i < count && !rc; i++)
        if (rows[i].stored.pos != o->pos + i + 1 ||
            jk_record_apply_stored (o->projections, &rows[i].stored, err,
                                    err_size) != JK_OK) {
            if (!err[0])
                snprintf (err, err_size,
                          "the copy of %s has no record %llu: it cannot "
                          "bring the shadow up",
                          o->code, (unsigned long long)(o->pos + i + 1));
            rc = -1;
        }
    jk_region_use (NULL);
    if (!rc && count != pos - o->pos) {
        snprintf (err, err_size, "the copy of %s ends before %llu", o->code,
                  (unsigned long long)pos);
        rc = -1;
    }
    /* The shadow's rows and position commit together or not at all: a
       shadow left behind is brought up again at its next open. */
    if (!rc && jk_projections_flush (o->projections) != JK_OK) {
        s_fail (err, err_size, o->path, o->db);
        rc = -1;
    }
    if (!rc && !s_shadow_set (o, pos, rows[count - 1].hash, err, err_size))
        rc = -1;
    if (!rc && !s_exec (o->db, "COMMIT")) {
        s_shadow_failed (o, "write", "its catch-up's COMMIT", err, err_size);
        rc = -1;
    }
    if (!rc) {
        o->pos = pos;
        jk_info ("province", "shadow of %s brought up to %llu", o->code,
                 (unsigned long long)pos);
    } else {
        if (!sqlite3_get_autocommit (o->db))
            s_exec (o->db, "ROLLBACK");
        jk_projections_discard (o->projections);
    }
    s_rows_free (rows, count);
    return rc;
}

/* The RAT deadline months origin's records are applied with: the ones
   the copy records for it, else the default 6. */
static int s_copy_months (jk_province_t *self, const char *code)
{
    int months = jk_link_origin_months (self->copy, code);
    return months ? months : 6;
}

/* The message for a shadow made with made months where the copy now
   says months: the projections of the origin would mix the two. */
static void s_months_differ (jk_province_t *self, const s_origin_t *o, int made,
                             int months, char *err, size_t err_size)
{
    bool recorded = jk_link_origin_months (self->copy, o->code) != 0;
    snprintf (err, err_size,
              "the shadow %s was made with a RAT deadline of %d months; the "
              "copy says %d months for %s (%s): its rows would mix the two; "
              "remove the shadow files and the province database and start "
              "again (they are rebuilt from the copy)",
              o->path, made, months, o->code,
              recorded ? "table origin_settings, from the regency's records"
                       : "it records none: the default");
}

/* The months the shadow was made with, against the copy's: a shadow that
   applied nothing yet takes the copy's; one that did (made before the
   shadow recorded them: with the default 6) must have been made with
   them. Then recorded in the shadow. 0, or -1 with err. */
static int s_shadow_months (jk_province_t *self, s_origin_t *o, char *err,
                            size_t err_size)
{
    jk_log_settings_t made;
    int rc = jk_log_settings_read (o->db, &made);
    if (rc == JK_IO)
        return s_fail (err, err_size, o->path, o->db);
    int was = rc == JK_OK ? made.rat_deadline_months : 6;
    if (o->pos > 0 && was != o->months) {
        s_months_differ (self, o, was, o->months, err, err_size);
        return -1;
    }
    if (rc == JK_OK && was == o->months)
        return 0;
    jk_log_settings_t now = {.rat_deadline_months = o->months};
    snprintf (now.area, sizeof now.area, "%s", o->code);
    return jk_log_settings_write (o->db, &now, err, err_size) == JK_OK ? 0 : -1;
}

/* The RAT deadline months the province's rows of code were made with
   (table province_settings; 0 when it records none), or -1 with err when
   it cannot be read. */
static int s_province_months (jk_province_t *self, const char *code, char *err,
                              size_t err_size)
{
    sqlite3_stmt *st = s_prepare (self->db,
                                  "SELECT rat_deadline_months FROM "
                                  "province_settings WHERE kabupaten_code = ?1",
                                  self->path, err, err_size);
    if (!st)
        return -1;
    sqlite3_bind_text (st, 1, code, -1, SQLITE_STATIC);
    int step = sqlite3_step (st);
    int months = step == SQLITE_ROW ? sqlite3_column_int (st, 0)
                 : step == SQLITE_DONE
                     ? 0
                     : s_fail (err, err_size, self->path, self->db);
    sqlite3_finalize (st);
    return months;
}

/* The province's rows of the origin must have been made with the months
   its shadow applies with (a province database from before it recorded
   them, holding the origin's rows: with the default 6), else a shadow
   made anew beside them would mix the two; then they are recorded (in
   the caller's transaction when one is open). 0, or -1 with err. */
static int s_province_months_check (jk_province_t *self, const s_origin_t *o,
                                    bool known, uint64_t pos, char *err,
                                    size_t err_size)
{
    int made = s_province_months (self, o->code, err, err_size);
    if (made < 0)
        return -1;
    int was = made ? made : 6;
    if (known && pos > 0 && was != o->months) {
        snprintf (err, err_size,
                  "the province database %s holds the rows of %s made with a "
                  "RAT deadline of %d months; the copy says %d months for "
                  "%s: its rows would mix the two; remove the province "
                  "database and the shadow files and start again (they are "
                  "rebuilt from the copy)",
                  self->path, o->code, was, o->months, o->code);
        return -1;
    }
    if (made == o->months)
        return 0;
    sqlite3_stmt *st = s_prepare (self->db,
                                  "INSERT OR REPLACE INTO province_settings "
                                  "VALUES (?1, ?2)",
                                  self->path, err, err_size);
    if (!st)
        return -1;
    sqlite3_bind_text (st, 1, o->code, -1, SQLITE_STATIC);
    sqlite3_bind_int (st, 2, o->months);
    int rc = sqlite3_step (st);
    sqlite3_finalize (st);
    return rc == SQLITE_DONE ? 0 : s_fail (err, err_size, self->path, self->db);
}

/* The origin's shadow, opened (and brought up to the province) on first
   use; a new origin is seeded in the province (inside the caller's
   transaction: *seeded set) when seeded is given, else refused. NULL with
   err. */
static s_origin_t *s_origin (jk_province_t *self, const char *code,
                             bool *seeded, char *err, size_t err_size)
{
    s_origin_t *o = zhashx_lookup (self->origins, code);
    if (o)
        return o;
    o = jk_calloc (1, sizeof *o);
    snprintf (o->code, sizeof o->code, "%s", code);
    o->path = jk_sprintf ("%s-shadow-%s.db", self->path, code);
    o->region = jk_region_load_default_dir (code, err, err_size);
    if (!o->region) {
        s_origin_destroy (&o);
        return NULL;
    }
    /* The shadow is made, seeded and read with the regency's own
       reference data, as the regency's hub (--region CODE). */
    jk_region_use (o->region);
    o->db = jk_link_sqlite_open (o->path, false, err, err_size);
    if (!o->db || jk_db_kind_check (o->db, o->path, JK_DB_PROVINCE_SHADOW, err,
                                    err_size) != JK_OK) {
        s_origin_destroy (&o);
        return NULL;
    }
    if (jk_db_kind_mark (o->db, JK_DB_PROVINCE_SHADOW) != JK_OK ||
        !s_exec (o->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                        "CREATE TABLE IF NOT EXISTS shadow_position (id "
                        "INTEGER PRIMARY KEY CHECK (id = 1), pos INTEGER NOT "
                        "NULL, hash BLOB NOT NULL);"
                        "INSERT OR IGNORE INTO shadow_position VALUES (1, 0, "
                        "zeroblob(32));")) {
        s_fail (err, err_size, o->path, o->db);
        s_origin_destroy (&o);
        return NULL;
    }
    if (!s_shadow_get (o, err, err_size)) {
        s_origin_destroy (&o);
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    /* ... and with its RAT deadline, decided before the shadow's first
       record is applied. */
    o->months = s_copy_months (self, code);
    jk_projections_config_t config = {.rat_deadline_months = o->months};
    if (s_shadow_months (self, o, err, err_size) ||
        jk_projections_migrate (o->db, err, err_size) ||
        !(o->projections =
              jk_projections_new (o->db, &config, err, err_size))) {
        if (!err[0])
            s_fail (err, err_size, o->path, o->db);
        s_origin_destroy (&o);
        return NULL;
    }
    jk_projections_set_deferred (o->projections, true);
    /* An origin the province cannot look up is an error, never a new
       origin to seed again. */
    st = s_prepare (
        self->db, "SELECT pos FROM province_origins WHERE kabupaten_code = ?1",
        self->path, err, err_size);
    int step = st ? (sqlite3_bind_text (st, 1, code, -1, SQLITE_STATIC),
                     sqlite3_step (st))
                  : SQLITE_ERROR;
    bool known = step == SQLITE_ROW;
    uint64_t pos = known ? (uint64_t)sqlite3_column_int64 (st, 0) : 0;
    if (st && step != SQLITE_ROW && step != SQLITE_DONE)
        s_fail (err, err_size, self->path, self->db);
    sqlite3_finalize (st);
    int rc = 0;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = -1;
    else if ((known || seeded) &&
             s_province_months_check (self, o, known, pos, err, err_size))
        rc = -1;
    else if (o->pos > pos) {
        snprintf (err, err_size,
                  "the shadow %s is at %llu, the province at %llu for %s: "
                  "the province database was restored from an older copy; "
                  "remove the shadow files and rebuild",
                  o->path, (unsigned long long)o->pos, (unsigned long long)pos,
                  code);
        rc = -1;
    } else if (!known && !seeded) {
        snprintf (err, err_size, "%s is not in the province database", code);
        rc = -1;
    } else if (!known) {
        rc = s_seed (self, o, err, err_size) ? 0 : -1;
        *seeded = rc == 0;
    } else if (o->pos < pos)
        rc = s_reconcile (self, o, pos, err, err_size);
    jk_region_use (NULL);
    if (rc) {
        s_origin_destroy (&o);
        return NULL;
    }
    zhashx_insert (self->origins, code, o);
    return o;
}

/* ---- the province ----------------------------------------------------------
 */

jk_province_t *jk_province_open (const char *path, const char *copy_path,
                                 char *err, size_t err_size)
{
    err[0] = 0;
    jk_province_t *self = jk_calloc (1, sizeof *self);
    self->path = jk_strdup (path);
    self->origins = zhashx_new ();
    zhashx_set_destructor (self->origins, s_origin_free);
    self->copy = jk_link_db_open (copy_path, true, err, err_size);
    if (!self->copy || s_tables_load (self, err, err_size)) {
        jk_province_destroy (&self);
        return NULL;
    }
    /* Another program's file (a copy, a hub's log) is refused before
       anything is written to it. */
    self->db = jk_link_sqlite_open (path, false, err, err_size);
    if (!self->db || jk_db_kind_check (self->db, path, JK_DB_PROVINCE, err,
                                       err_size) != JK_OK) {
        jk_province_destroy (&self);
        return NULL;
    }
    if (!s_exec (self->db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") ||
        s_schema (self, err, err_size) ||
        jk_db_kind_mark (self->db, JK_DB_PROVINCE) != JK_OK) {
        if (!err[0])
            s_fail (err, err_size, path, self->db);
        jk_province_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, 5000);
    /* A position that cannot be read is refused, never taken for 0 (which
       would project every arrival again). */
    sqlite3_stmt *st =
        s_prepare (self->db, "SELECT arrival_pos FROM province_position", path,
                   err, err_size);
    int step = st ? sqlite3_step (st) : SQLITE_ERROR;
    if (step == SQLITE_ROW)
        self->pos = (uint64_t)sqlite3_column_int64 (st, 0);
    else if (st && step != SQLITE_DONE)
        s_fail (err, err_size, path, self->db);
    sqlite3_finalize (st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        jk_province_destroy (&self);
        return NULL;
    }
    return self;
}

void jk_province_destroy (jk_province_t **self_p)
{
    jk_province_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->origins);
    sqlite3_close (self->db);
    sqlite3_close (self->copy);
    for (size_t t = 0; t < self->ntables; t++)
        jk_table_info_fini (&self->tables[t]);
    free (self->tables);
    free (self->path);
    free (self);
    *self_p = NULL;
}

uint64_t jk_province_position (jk_province_t *self)
{
    return self->pos;
}

sqlite3 *jk_province_db (jk_province_t *self)
{
    return self->db;
}

/* Ends the open batch of every shadow: commit (after the province did) or
   roll back. A shadow whose commit fails is closed, to be brought up from
   the copy when next opened. */
static void s_end_batch (jk_province_t *self, bool commit)
{
    zlistx_t *closed = zlistx_new ();
    for (s_origin_t *o = zhashx_first (self->origins); o;
         o = zhashx_next (self->origins)) {
        if (!o->session)
            continue;
        sqlite3session_delete (o->session);
        o->session = NULL;
        if (commit) {
            if (s_exec (o->db, "COMMIT")) {
                o->pos = o->next;
                continue;
            }
            char why[512];
            jk_warn ("province", "%s",
                     jk_link_shadow_failure (o->db, o->path, "write",
                                             "the batch's COMMIT", why,
                                             sizeof why));
            zlistx_add_end (closed, o->code);
        }
        s_exec (o->db, "ROLLBACK");
        jk_projections_discard (o->projections);
    }
    for (char *code = zlistx_first (closed); code; code = zlistx_next (closed))
        zhashx_delete (self->origins, code);
    zlistx_destroy (&closed);
}

/* The arrivals after the province's position, at most max, with their
   copied records; NULL (err set when it failed) when there are none. */
static s_arrival_t *s_batch_read (jk_province_t *self, size_t max,
                                  size_t *count, char *err, size_t err_size)
{
    sqlite3_stmt *st = s_prepare (
        self->copy,
        "SELECT a.pos, " S_COPY_COLUMNS ", a.hash FROM arrival a JOIN copy c "
        "ON c.origin = a.origin AND c.pos = a.origin_pos WHERE a.pos > ?1 "
        "ORDER BY a.pos LIMIT ?2",
        "copy", err, err_size);
    if (!st)
        return NULL;
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)self->pos);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)max);
    bool failed;
    s_arrival_t *rows = s_read (st, count, &failed);
    if (failed)
        s_fail (err, err_size, "copy", self->copy);
    sqlite3_finalize (st);
    if (failed || *count == 0) {
        s_rows_free (rows, *count);
        return NULL;
    }
    return rows;
}

/* A session on the province's projections and origins, for the hook. */
static sqlite3_session *s_session_new (jk_province_t *self)
{
    sqlite3_session *session = NULL;
    sqlite3session_create (self->db, "main", &session);
    for (size_t t = 0; t < self->ntables; t++)
        sqlite3session_attach (session, self->tables[t].name);
    sqlite3session_attach (session, "province_origins");
    return session;
}

/* Every origin of the batch open first (a new one seeded in this
   transaction, its code added to seeded; a shadow behind brought up on
   its own). A shadow open already must still apply with the months the
   copy says: they become known when a regency's first record that
   carries them arrives, which may be after its shadow was made. */
static bool s_origins_open (jk_province_t *self, s_arrival_t *rows,
                            size_t count, zlistx_t *seeded, char *err,
                            size_t err_size)
{
    bool ok = true;
    for (s_origin_t *o = zhashx_first (self->origins); ok && o;
         o = zhashx_next (self->origins)) {
        int months = s_copy_months (self, o->code);
        if (months != o->months) {
            s_months_differ (self, o, o->months, months, err, err_size);
            ok = false;
        }
    }
    for (size_t i = 0; ok && i < count; i++) {
        bool fresh = false;
        ok = s_origin (self, rows[i].origin, &fresh, err, err_size) != NULL;
        if (fresh)
            zlistx_add_end (seeded, rows[i].origin);
    }
    return ok;
}

/* Applies each arrival to its origin's shadow (a batch opened on the
   shadow at its first record), in arrival order and each origin's
   order. */
static bool s_rows_apply (jk_province_t *self, const s_arrival_t *rows,
                          size_t count, char *err, size_t err_size)
{
    for (size_t i = 0; i < count; i++) {
        if (rows[i].arrival != self->pos + i + 1) {
            snprintf (err, err_size, "arrival %llu is missing from the copy",
                      (unsigned long long)(self->pos + i + 1));
            return false;
        }
        s_origin_t *o = zhashx_lookup (self->origins, rows[i].origin);
        if (!o->session) {
            if (!s_exec (o->db, "BEGIN IMMEDIATE"))
                return s_shadow_failed (o, "write", "a batch's transaction",
                                        err, err_size);
            sqlite3session_create (o->db, "main", &o->session);
            for (size_t t = 0; t < self->ntables; t++)
                sqlite3session_attach (o->session, self->tables[t].name);
            o->next = o->pos;
        }
        if (rows[i].stored.pos != o->next + 1) {
            snprintf (err, err_size,
                      "the copy of %s gives %llu after %llu: not applied",
                      o->code, (unsigned long long)rows[i].stored.pos,
                      (unsigned long long)o->next);
            return false;
        }
        jk_region_use (o->region);
        int rc = jk_record_apply_stored (o->projections, &rows[i].stored, err,
                                         err_size);
        jk_region_use (NULL);
        if (rc != JK_OK)
            return false;
        o->next = rows[i].stored.pos;
        memcpy (o->hash, rows[i].hash, JK_HASH_SIZE);
    }
    return true;
}

/* Each shadow of the batch flushed, its row changes and head written to
   the province (its own commit waits for the province's). */
static bool s_origins_write (jk_province_t *self, char *err, size_t err_size)
{
    bool ok = true;
    for (s_origin_t *o = zhashx_first (self->origins); ok && o;
         o = zhashx_next (self->origins))
        if (o->session && jk_projections_flush (o->projections) != JK_OK)
            ok = s_fail (err, err_size, o->code, o->db) == 0;
    for (s_origin_t *o = zhashx_first (self->origins); ok && o;
         o = zhashx_next (self->origins)) {
        if (!o->session)
            continue;
        ok = s_changes (self, o, err, err_size);
        sqlite3_stmt *st =
            ok ? s_prepare (self->db,
                            "UPDATE province_origins SET pos = ?2, hash = ?3 "
                            "WHERE kabupaten_code = ?1",
                            "province", err, err_size)
               : NULL;
        ok = ok && st != NULL;
        sqlite3_bind_text (st, 1, o->code, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, (sqlite3_int64)o->next);
        sqlite3_bind_blob (st, 3, o->hash, JK_HASH_SIZE, SQLITE_STATIC);
        if (ok && sqlite3_step (st) != SQLITE_DONE)
            ok = s_fail (err, err_size, "province", self->db) == 0;
        sqlite3_finalize (st);
        /* Before the province commits: a position that cannot be written
           rolls the whole batch back, province and shadows. */
        ok = ok && s_shadow_set (o, o->next, o->hash, err, err_size);
    }
    return ok;
}

static bool s_position_write (jk_province_t *self, uint64_t pos, char *err,
                              size_t err_size)
{
    sqlite3_stmt *st =
        s_prepare (self->db, "UPDATE province_position SET arrival_pos = ?1",
                   "province", err, err_size);
    if (!st)
        return false;
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)pos);
    bool ok = sqlite3_step (st) == SQLITE_DONE;
    if (!ok)
        s_fail (err, err_size, "province", self->db);
    sqlite3_finalize (st);
    return ok;
}

/* The batch's arrivals and the session's changes handed to the hook
   before the province commits. */
static bool s_hand_over (jk_province_t *self, sqlite3_session *session,
                         const s_arrival_t *rows, size_t count,
                         jk_province_hook_fn *hook, void *arg, char *err,
                         size_t err_size)
{
    int size = 0;
    void *changes = NULL;
    bool ok =
        sqlite3session_changeset (session, &size, &changes) == SQLITE_OK &&
        hook (arg, rows, count, changes, size, self->pos + count);
    sqlite3_free (changes);
    if (!ok && !err[0])
        snprintf (err, err_size, "the batch was refused downstream");
    return ok;
}

int64_t jk_province_step (jk_province_t *self, size_t max, uint64_t upto,
                          jk_province_hook_fn *hook, void *arg, char *err,
                          size_t err_size)
{
    err[0] = 0;
    if (upto) {
        if (upto <= self->pos)
            return 0;
        if (upto - self->pos < max)
            max = (size_t)(upto - self->pos);
    }
    size_t count = 0;
    s_arrival_t *rows = s_batch_read (self, max, &count, err, err_size);
    if (!rows)
        return err[0] ? -1 : 0;
    bool ok = s_exec (self->db, "BEGIN IMMEDIATE");
    if (!ok)
        s_fail (err, err_size, "province", self->db);
    sqlite3_session *session = ok && hook ? s_session_new (self) : NULL;
    zlistx_t *seeded = zlistx_new ();
    ok = ok && s_origins_open (self, rows, count, seeded, err, err_size);
    ok = ok && s_rows_apply (self, rows, count, err, err_size);
    ok = ok && s_origins_write (self, err, err_size);
    ok = ok && s_position_write (self, self->pos + count, err, err_size);
    if (ok && hook)
        ok = s_hand_over (self, session, rows, count, hook, arg, err, err_size);
    if (session)
        sqlite3session_delete (session);
    if (ok && !s_exec (self->db, "COMMIT"))
        ok = s_fail (err, err_size, "province", self->db) == 0;
    if (!ok) {
        s_exec (self->db, "ROLLBACK");
        /* A new origin's seed went with it: seeded again next time. */
        for (char *code = zlistx_first (seeded); code;
             code = zlistx_next (seeded))
            zhashx_delete (self->origins, code);
    }
    zlistx_destroy (&seeded);
    s_end_batch (self, ok);
    s_rows_free (rows, count);
    if (!ok)
        return -1;
    self->pos += count;
    return (int64_t)count;
}

const char *jk_province_summary_select (void)
{
    return s_summary_select;
}

int jk_province_summary (jk_province_t *self, int32_t as_of_day,
                         void (*fn) (const jk_province_row_t *row, void *arg),
                         void *arg, char *err, size_t err_size)
{
    err[0] = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT kabupaten_code, log_pos, cooperatives, "
                            "people, batches, enrolled, completed, assessed, "
                            "competent, certificates FROM province_summary "
                            "ORDER BY kabupaten_code",
                            -1, &st, NULL) != SQLITE_OK)
        return s_fail (err, err_size, "province_summary", self->db);
    int rc = 0, step = SQLITE_DONE;
    while (!rc && (step = sqlite3_step (st)) == SQLITE_ROW) {
        jk_province_row_t row = {0};
        snprintf (row.kabupaten_code, sizeof row.kabupaten_code, "%s",
                  (const char *)sqlite3_column_text (st, 0));
        row.log_pos = (uint64_t)sqlite3_column_int64 (st, 1);
        int64_t *counts[] = {&row.cooperatives, &row.people,      &row.batches,
                             &row.enrolled,     &row.completed,   &row.assessed,
                             &row.competent,    &row.certificates};
        for (int c = 0; c < 8; c++)
            *counts[c] = sqlite3_column_int64 (st, c + 2);
        s_origin_t *o =
            s_origin (self, row.kabupaten_code, NULL, err, err_size);
        row.active = o ? jk_projections_active (o->db, as_of_day, NULL) : -1;
        if (row.active < 0) {
            if (!err[0])
                snprintf (err, err_size, "active of %s", row.kabupaten_code);
            rc = -1;
            break;
        }
        fn (&row, arg);
    }
    if (!rc && step != SQLITE_DONE)
        rc = s_fail (err, err_size, "province_summary", self->db);
    sqlite3_finalize (st);
    return rc;
}
