/*  pgsink_pg.c - jejak-pgsink's PostgreSQL side: the connection, the
    schema, the position, and the writing of log rows, row changes and the
    position inside one transaction. */
#include "pgsink_internal.h"

#include <glob.h>
#include <unistd.h>

bool jk_pgsink_pg_ok (PGresult *res)
{
    ExecStatusType st = PQresultStatus (res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Runs a statement; false (logged) on failure. */
bool jk_pgsink_pg_exec (jk_pgsink_t *self, const char *sql)
{
    PGresult *res = PQexec (self->pg, sql);
    bool ok = jk_pgsink_pg_ok (res);
    if (!ok)
        jk_error (S_COMPONENT, "PostgreSQL: %s", PQerrorMessage (self->pg));
    PQclear (res);
    return ok;
}

static const char *s_pg_type (const char *decl)
{
    if (!strncmp (decl, "INTEGER", 7))
        return "bigint";
    if (!strncmp (decl, "REAL", 4))
        return "double precision";
    if (!strncmp (decl, "BLOB", 4))
        return "bytea";
    return "text";
}

/* The log table, the sink's position and settings, and every projection
   table with the shadow's columns in PostgreSQL types. A jejak_sink from
   before the settings were recorded gets their columns, NULL. */
static bool s_pg_schema (jk_pgsink_t *self)
{
    if (!jk_pgsink_pg_exec (
            self, "CREATE TABLE IF NOT EXISTS jejak_sink ("
                  " id smallint PRIMARY KEY CHECK (id = 1),"
                  " pos bigint NOT NULL, hash bytea NOT NULL,"
                  " updated timestamptz NOT NULL DEFAULT now());"
                  "ALTER TABLE jejak_sink ADD COLUMN IF NOT EXISTS region "
                  "text, ADD COLUMN IF NOT EXISTS rat_deadline_months "
                  "integer;"
                  "INSERT INTO jejak_sink (id, pos, hash) VALUES (1, 0, "
                  "'\\x"
                  "0000000000000000000000000000000000000000000000000000"
                  "000000000000') ON CONFLICT DO NOTHING;"))
        return false;
    if (self->province &&
        !jk_pgsink_pg_exec (
            self, "CREATE TABLE IF NOT EXISTS copy ("
                  " arrival bigint NOT NULL UNIQUE, origin text NOT NULL,"
                  " pos bigint NOT NULL, recorded_at timestamptz NOT NULL,"
                  " outcome smallint NOT NULL, code text, message text,"
                  " bytes bytea NOT NULL, hash bytea NOT NULL,"
                  " PRIMARY KEY (origin, pos))"))
        return false;
    if (!self->province &&
        !jk_pgsink_pg_exec (
            self, "CREATE TABLE IF NOT EXISTS log ("
                  " pos bigint PRIMARY KEY, id uuid NOT NULL UNIQUE,"
                  " type text NOT NULL, v integer NOT NULL,"
                  " source text NOT NULL, seq bigint NOT NULL,"
                  " at timestamptz NOT NULL,"
                  " recorded_at timestamptz NOT NULL,"
                  " outcome smallint NOT NULL, code text, message text,"
                  " bytes bytea NOT NULL, hash bytea NOT NULL,"
                  " UNIQUE (source, seq));"))
        return false;
    for (size_t t = 0; t < self->ntables; t++) {
        jk_table_info_t *tab = &self->tables[t];
        char *sql = jk_sprintf ("CREATE TABLE IF NOT EXISTS %s (", tab->name);
        for (int c = 0; c < tab->ncols; c++) {
            char *next = jk_sprintf ("%s%s\"%s\" %s", sql, c ? ", " : "",
                                     tab->cols[c], s_pg_type (tab->types[c]));
            free (sql);
            sql = next;
        }
        char *next = jk_sprintf ("%s, PRIMARY KEY (%s))", sql, tab->key);
        free (sql);
        bool ok = jk_pgsink_pg_exec (self, next);
        free (next);
        if (!ok)
            return false;
    }
    if (self->province) {
        char *view =
            jk_sprintf ("CREATE OR REPLACE VIEW province_summary AS %s",
                        jk_province_summary_select ());
        bool ok = jk_pgsink_pg_exec (self, view);
        free (view);
        return ok;
    }
    return true;
}

bool jk_pgsink_pg_connect (jk_pgsink_t *self)
{
    PQfinish (self->pg);
    self->pg = PQconnectdb (self->conninfo);
    if (PQstatus (self->pg) != CONNECTION_OK) {
        jk_warn (S_COMPONENT, "cannot connect to PostgreSQL: %s",
                 PQerrorMessage (self->pg));
        return false;
    }
    PGresult *res = PQexec (self->pg, "SET client_min_messages = warning");
    PQclear (res);
    return s_pg_schema (self);
}

/* The sink's position as committed in PostgreSQL. */
bool jk_pgsink_pg_position (jk_pgsink_t *self, uint64_t *pos, uint8_t *hash)
{
    PGresult *res = PQexecParams (self->pg,
                                  "SELECT pos, hash FROM jejak_sink WHERE "
                                  "id = 1",
                                  0, NULL, NULL, NULL, NULL, 1);
    bool ok = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1 &&
              PQgetlength (res, 0, 1) == JK_HASH_SIZE;
    if (ok) {
        *pos = jk_wire_u64 ((const uint8_t *)PQgetvalue (res, 0, 0));
        memcpy (hash, PQgetvalue (res, 0, 1), JK_HASH_SIZE);
    }
    PQclear (res);
    return ok;
}

/* A kecamatan of PostgreSQL's kecamatan_summary that the region in use
   does not hold (a copy made before it recorded its settings, with
   another region), copied into code; false when there is none (or no
   such table yet). */
static bool s_pg_foreign_kecamatan (jk_pgsink_t *self, char *code, size_t size)
{
    PGresult *res =
        PQexec (self->pg, "SELECT kecamatan_code FROM kecamatan_summary "
                          "WHERE kecamatan_code IS NOT NULL");
    bool found = false;
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        for (int i = 0; !found && i < PQntuples (res); i++) {
            const char *k = PQgetvalue (res, i, 0);
            if (!jk_region_kecamatan (jk_region_default (), k)) {
                snprintf (code, size, "%s", k);
                found = true;
            }
        }
    PQclear (res);
    return found;
}

/* Records self->settings in jejak_sink; JK_OK or JK_IO (logged). */
static int s_pg_settings_write (jk_pgsink_t *self)
{
    char months[16];
    snprintf (months, sizeof months, "%d", self->settings.rat_deadline_months);
    const char *values[2] = {self->settings.area, months};
    PGresult *res = PQexecParams (self->pg,
                                  "UPDATE jejak_sink SET region = $1, "
                                  "rat_deadline_months = $2 WHERE id = 1",
                                  2, NULL, values, NULL, NULL, 0);
    bool ok = jk_pgsink_pg_ok (res);
    if (!ok)
        jk_warn (S_COMPONENT, "PostgreSQL jejak_sink: %s",
                 PQerrorMessage (self->pg));
    PQclear (res);
    return ok ? JK_OK : JK_IO;
}

/* A copy applies with one region and RAT deadline for its life, as the
   shadow does: PostgreSQL keeps its rows when the shadow is deleted, so
   it records them itself (jejak_sink) and a start with others is
   refused rather than mixed with. */
int jk_pgsink_pg_settings (jk_pgsink_t *self)
{
    PGresult *res = PQexec (self->pg, "SELECT region, rat_deadline_months, "
                                      "pos FROM jejak_sink WHERE id = 1");
    if (PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) != 1) {
        jk_warn (S_COMPONENT, "PostgreSQL jejak_sink: %s",
                 PQerrorMessage (self->pg));
        PQclear (res);
        return JK_IO;
    }
    const jk_log_settings_t *use = &self->settings;
    if (!PQgetisnull (res, 0, 0) && !PQgetisnull (res, 0, 1)) {
        jk_log_settings_t made;
        memset (&made, 0, sizeof made);
        snprintf (made.area, sizeof made.area, "%s", PQgetvalue (res, 0, 0));
        made.rat_deadline_months = atoi (PQgetvalue (res, 0, 1));
        PQclear (res);
        if (jk_log_settings_equal (&made, use))
            return JK_OK;
        jk_error (S_COMPONENT,
                  "PostgreSQL's copy was made with region %s and a RAT "
                  "deadline of %d months (table jejak_sink); this sink "
                  "applies with region %s and %d months: not mixed; run "
                  "jejak-pgsink rebuild (the PostgreSQL tables and the "
                  "shadow made anew) or give --region %s "
                  "--rat-deadline-months %d",
                  jk_log_settings_region (&made), made.rat_deadline_months,
                  use->area, use->rat_deadline_months, made.area,
                  made.rat_deadline_months);
        return JK_INVALID;
    }
    bool copied = strcmp (PQgetvalue (res, 0, 2), "0") != 0;
    PQclear (res);
    char code[32];
    if (copied && s_pg_foreign_kecamatan (self, code, sizeof code)) {
        jk_error (S_COMPONENT,
                  "PostgreSQL's kecamatan_summary holds kecamatan %s, which "
                  "is not of region %s this sink applies with: not mixed; "
                  "run jejak-pgsink rebuild (the PostgreSQL tables and the "
                  "shadow made anew)",
                  code, use->area);
        return JK_INVALID;
    }
    return s_pg_settings_write (self);
}

/* A projection table's columns by name, NULL when unknown. */
static jk_table_info_t *s_table (jk_pgsink_t *self, const char *name)
{
    for (size_t t = 0; t < self->ntables; t++)
        if (streq (self->tables[t].name, name))
            return &self->tables[t];
    return NULL;
}

/* A SQLite value as a PostgreSQL text parameter (heap), NULL for NULL. */
char *jk_pgsink_param (sqlite3_value *v)
{
    switch (sqlite3_value_type (v)) {
        case SQLITE_NULL:
            return NULL;
        case SQLITE_INTEGER:
            return jk_sprintf ("%lld", (long long)sqlite3_value_int64 (v));
        case SQLITE_FLOAT:
            return jk_sprintf ("%.17g", sqlite3_value_double (v));
        case SQLITE_BLOB: {
            int n = sqlite3_value_bytes (v);
            const unsigned char *b = sqlite3_value_blob (v);
            char *out = jk_malloc ((size_t)n * 2 + 3);
            out[0] = '\\';
            out[1] = 'x';
            for (int i = 0; i < n; i++)
                snprintf (out + 2 + i * 2, 3, "%02x", b[i]);
            out[2 + n * 2] = 0;
            return out;
        }
        default:
            return jk_strdup ((const char *)sqlite3_value_text (v));
    }
}

/* Writes one changeset of the shadow to PostgreSQL (inside its
   transaction). */
bool jk_pgsink_pg_changes (jk_pgsink_t *self, int size, void *data)
{
    sqlite3_changeset_iter *it;
    if (sqlite3changeset_start (&it, size, data) != SQLITE_OK)
        return false;
    bool ok = true;
    while (ok && sqlite3changeset_next (it) == SQLITE_ROW) {
        const char *name;
        int ncols, op, indirect;
        sqlite3changeset_op (it, &name, &ncols, &op, &indirect);
        jk_table_info_t *tab = s_table (self, name);
        if (!tab || tab->ncols != ncols)
            continue; /* not a projection table */
        sqlite3_value *values[2 * JK_TABLE_COLUMNS_MAX];
        char *params[2 * JK_TABLE_COLUMNS_MAX];
        char *sql = NULL;
        int np = jk_table_info_change (tab, it, '$', NULL, &sql, values);
        if (np < 0)
            continue; /* an UPDATE that changes nothing */
        for (int i = 0; i < np; i++)
            params[i] = values[i] ? jk_pgsink_param (values[i]) : NULL;
        PGresult *res =
            PQexecParams (self->pg, sql, np, NULL, (const char *const *)params,
                          NULL, NULL, 0);
        ok = jk_pgsink_pg_ok (res);
        if (!ok)
            jk_error (S_COMPONENT, "PostgreSQL %s: %s", name,
                      PQerrorMessage (self->pg));
        PQclear (res);
        for (int i = 0; i < np; i++)
            free (params[i]);
        free (sql);
    }
    sqlite3changeset_finalize (it);
    return ok;
}

/* The log row of one record, into PostgreSQL. */
bool jk_pgsink_pg_log (jk_pgsink_t *self, const jk_record_t *r)
{
    jk_envelope_t env;
    memset (&env, 0, sizeof env);
    if (!jk_envelope_peek (r->bytes, r->size, &env)) {
        jk_error (S_COMPONENT, "record %llu: no envelope in its bytes",
                  (unsigned long long)r->pos);
        return false;
    }
    bool rejected = strncmp (r->topic, JK_REJECTED_PREFIX,
                             strlen (JK_REJECTED_PREFIX)) == 0;
    char id[37], pos[24], v[16], seq[24], at[32], rec[32];
    jk_uuid_format (env.id, id);
    snprintf (pos, sizeof pos, "%llu", (unsigned long long)r->pos);
    snprintf (v, sizeof v, "%u", (unsigned)env.version);
    snprintf (seq, sizeof seq, "%llu", (unsigned long long)env.seq);
    snprintf (at, sizeof at, "%.3f", (double)env.at / 1000.0);
    snprintf (rec, sizeof rec, "%.3f", (double)r->recorded_at / 1000.0);
    const char *type = env.type, *source = env.source;
    const char *values[13] = {pos,
                              id,
                              type,
                              v,
                              source,
                              seq,
                              at,
                              rec,
                              rejected ? "1" : "0",
                              rejected ? r->code : NULL,
                              rejected ? r->message : NULL,
                              (const char *)r->bytes,
                              (const char *)r->hash};
    int lengths[13] = {0};
    lengths[11] = (int)r->size;
    lengths[12] = JK_HASH_SIZE;
    int formats[13] = {0};
    formats[11] = formats[12] = 1;
    PGresult *res = PQexecParams (
        self->pg,
        "INSERT INTO log VALUES ($1, $2::uuid, $3, $4, $5, $6, "
        "to_timestamp($7::double precision), "
        "to_timestamp($8::double precision), $9, $10, $11, $12, $13)",
        13, NULL, values, lengths, formats, 0);
    bool ok = jk_pgsink_pg_ok (res);
    if (!ok)
        jk_error (S_COMPONENT, "PostgreSQL log %llu: %s",
                  (unsigned long long)r->pos, PQerrorMessage (self->pg));
    PQclear (res);
    return ok;
}

/* Ends a batch's PostgreSQL transaction: when ok so far, the sink's
   position and hash, then COMMIT; otherwise (or when that fails)
   ROLLBACK. Returns true when committed. */
bool jk_pgsink_pg_commit (jk_pgsink_t *self, bool ok, uint64_t pos,
                          const uint8_t *hash)
{
    if (ok) {
        char p[24];
        snprintf (p, sizeof p, "%llu", (unsigned long long)pos);
        const char *values[2] = {p, (const char *)hash};
        int lengths[2] = {0, JK_HASH_SIZE};
        int formats[2] = {0, 1};
        PGresult *res = PQexecParams (self->pg,
                                      "UPDATE jejak_sink SET pos = $1, "
                                      "hash = $2, updated = now() WHERE "
                                      "id = 1",
                                      2, NULL, values, lengths, formats, 0);
        ok = jk_pgsink_pg_ok (res);
        PQclear (res);
    }
    ok = ok && jk_pgsink_pg_exec (self, "COMMIT");
    if (!ok) {
        PGresult *res = PQexec (self->pg, "ROLLBACK");
        PQclear (res);
        self->pg_errors++;
    }
    return ok;
}

/* Drops PostgreSQL's tables and removes the shadow files (rebuild). */
bool jk_pgsink_pg_drop (jk_pgsink_t *self, const char *shadow)
{
    char *sql = jk_strdup ("DROP VIEW IF EXISTS province_summary; DROP "
                           "TABLE IF EXISTS jejak_sink, log, copy, "
                           "province_origins");
    for (size_t t = 0; t < jk_ptable_count (); t++) {
        char *next = jk_sprintf ("%s, %s", sql, jk_ptable_at (t)->name);
        free (sql);
        sql = next;
    }
    bool ok = jk_pgsink_pg_exec (self, sql);
    free (sql);
    if (!ok)
        return false;
    char *wal = jk_sprintf ("%s-wal", shadow);
    char *shm = jk_sprintf ("%s-shm", shadow);
    unlink (shadow);
    unlink (wal);
    unlink (shm);
    free (wal);
    free (shm);
    /* With --copy, the shadows of every origin beside it. */
    char *pattern = jk_sprintf ("%s-shadow-*", shadow);
    glob_t found;
    if (glob (pattern, 0, NULL, &found) == 0)
        for (size_t i = 0; i < found.gl_pathc; i++)
            unlink (found.gl_pathv[i]);
    globfree (&found);
    free (pattern);
    return true;
}
