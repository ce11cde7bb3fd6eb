/*  jejak_pgsink.c - jejak-pgsink: keeps a PostgreSQL database in step with
    a hub (docs/FEDERATION.md, "PostgreSQL sink"): the log records and
    every projection table, exactly once. It catches up from the hub's
    query endpoint (SINCE, credit-based) and then follows the feed.

    The projections are computed by the store's own apply code
    (jk_record_apply) on a local SQLite shadow with the store's schema;
    SQLite's session extension records what each batch changed, and those
    row changes are written to PostgreSQL in one transaction with the log
    rows and the sink's position. PostgreSQL commits first, the shadow
    second; a shadow found behind PostgreSQL at start (a crash between the
    two) is brought up to it by applying the missing records to the shadow
    only, so nothing is written twice and nothing is skipped. */
/* Debian's SQLite is built with the session extension; its declarations
   are visible with these. */
#define SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_PREUPDATE_HOOK
#include "jk_base.h"
#include "jk_curve.h"
#include "jk_log.h"
#include "jk_opts.h"
#include "jk_projection_table.h"
#include "jk_projections.h"
#include "jk_province.h"
#include "jk_record_apply.h"
#include "jk_schema.h"
#include "jk_wire.h"

#include <glob.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_COMPONENT "pgsink"
#define S_BATCH     1000

static const jk_opt_t s_options[] = {
    {"pg", "JEJAK_PG", NULL,
     "PostgreSQL connection string (libpq: \"host=... port=... dbname=... "
     "user=...\")",
     false},
    {"query", "JEJAK_QUERY", "tcp://127.0.0.1:7452",
     "the hub's query endpoint (SINCE)", false},
    {"feed", "JEJAK_FEED", "tcp://127.0.0.1:7451", "the hub's feed endpoint",
     false},
    {"broker-key", "JEJAK_BROKER_KEY", NULL,
     "the hub's public certificate (CURVE, with --key)", false},
    {"key", "JEJAK_KEY", NULL,
     "a reader's secret certificate from jejak-keys reader (CURVE)", false},
    {"shadow", "JEJAK_PGSINK_SHADOW", "./jejak-pgsink.db",
     "the sink's local SQLite shadow of the projections", false},
    {"copy", "JEJAK_PGSINK_COPY", NULL,
     "follow a province's copy database (jejak-link receive) instead of a "
     "hub: the copied records and the province's projections",
     false},
    {"credit", NULL, "2000", "records the hub may stream ahead (SINCE credit)",
     false},
    {"once", NULL, NULL, "stop when caught up with the hub's head", true},
    {"data-dir", "JEJAK_DATA_DIR", NULL, "region reference data directory",
     false},
};

/* ---- state -----------------------------------------------------------------
 */

typedef jk_table_info_t s_table_t;

typedef struct {
    PGconn *pg;
    const char *conninfo;
    sqlite3 *shadow;
    jk_projections_t *projections;
    s_table_t *tables;
    size_t ntables;
    zsock_t *query, *feed;
    zsock_t *query_watch, *feed_watch; /* their handshakes (CURVE) */
    bool secure;                       /* CURVE (--key) */
    bool refused;                      /* the hub refused the handshake */
    int failures; /* handshakes ended without a reason, in a row */
    uint64_t pos; /* last position in PostgreSQL (and the shadow) */
    uint8_t hash[JK_HASH_SIZE];
    jk_chain_t *chain;
    uint64_t credit, outstanding;
    bool catching; /* a SINCE stream is running */
    uint64_t hub_head;
    int64_t since_at; /* when the last SINCE was asked, mono ms */
    uint64_t limit;   /* take no record beyond this (0: none) */
    zlistx_t *batch;  /* zmsg_t records, consecutive from pos + 1 */
    uint64_t written, batches, pg_errors;
    jk_province_t *province; /* --copy: the province's projections */
    bool pg_failed;          /* the last batch failed in PostgreSQL */
} s_sink_t;

static void s_msg_free (void **item)
{
    zmsg_destroy ((zmsg_t **)item);
}

/* ---- PostgreSQL ------------------------------------------------------------
 */

static bool s_pg_ok (PGresult *res)
{
    ExecStatusType st = PQresultStatus (res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Runs a statement; false (logged) on failure. */
static bool s_pg_exec (s_sink_t *self, const char *sql)
{
    PGresult *res = PQexec (self->pg, sql);
    bool ok = s_pg_ok (res);
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

/* The log table, the sink's position, and every projection table with
   the shadow's columns in PostgreSQL types. */
static bool s_pg_schema (s_sink_t *self)
{
    if (!s_pg_exec (self,
                    "CREATE TABLE IF NOT EXISTS jejak_sink ("
                    " id smallint PRIMARY KEY CHECK (id = 1),"
                    " pos bigint NOT NULL, hash bytea NOT NULL,"
                    " updated timestamptz NOT NULL DEFAULT now());"
                    "INSERT INTO jejak_sink (id, pos, hash) VALUES (1, 0, "
                    "'\\x"
                    "0000000000000000000000000000000000000000000000000000"
                    "000000000000') ON CONFLICT DO NOTHING;"))
        return false;
    if (self->province &&
        !s_pg_exec (self,
                    "CREATE TABLE IF NOT EXISTS copy ("
                    " arrival bigint NOT NULL UNIQUE, origin text NOT NULL,"
                    " pos bigint NOT NULL, recorded_at timestamptz NOT NULL,"
                    " outcome smallint NOT NULL, code text, message text,"
                    " bytes bytea NOT NULL, hash bytea NOT NULL,"
                    " PRIMARY KEY (origin, pos))"))
        return false;
    if (!self->province &&
        !s_pg_exec (self, "CREATE TABLE IF NOT EXISTS log ("
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
        s_table_t *tab = &self->tables[t];
        char *sql = jk_sprintf ("CREATE TABLE IF NOT EXISTS %s (", tab->name);
        for (int c = 0; c < tab->ncols; c++) {
            char *next = jk_sprintf ("%s%s\"%s\" %s", sql, c ? ", " : "",
                                     tab->cols[c], s_pg_type (tab->types[c]));
            free (sql);
            sql = next;
        }
        char *next = jk_sprintf ("%s, PRIMARY KEY (%s))", sql, tab->key);
        free (sql);
        bool ok = s_pg_exec (self, next);
        free (next);
        if (!ok)
            return false;
    }
    if (self->province) {
        char *view =
            jk_sprintf ("CREATE OR REPLACE VIEW province_summary AS %s",
                        jk_province_summary_select ());
        bool ok = s_pg_exec (self, view);
        free (view);
        return ok;
    }
    return true;
}

static bool s_pg_connect (s_sink_t *self)
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
static bool s_pg_position (s_sink_t *self, uint64_t *pos, uint8_t *hash)
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

/* ---- the shadow ------------------------------------------------------------
 */

/* The columns and key of every projection table as db has them (the
   shadow, or the province's projections with kabupaten_code in front and
   province_origins besides). */
static void s_tables_load (s_sink_t *self, sqlite3 *db, bool province)
{
    self->ntables = jk_ptable_count () + (province ? 1 : 0);
    self->tables = jk_calloc (self->ntables, sizeof (s_table_t));
    for (size_t t = 0; t < self->ntables; t++)
        jk_table_info_load (&self->tables[t], db,
                            t < jk_ptable_count () ? jk_ptable_at (t)->name
                                                   : "province_origins");
}

static bool s_shadow_open (s_sink_t *self, const char *path)
{
    char err[512];
    if (sqlite3_open (path, &self->shadow) != SQLITE_OK) {
        jk_error (S_COMPONENT, "cannot open the shadow %s: %s", path,
                  sqlite3_errmsg (self->shadow));
        return false;
    }
    sqlite3_exec (self->shadow,
                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                  "CREATE TABLE IF NOT EXISTS sink_position (id INTEGER "
                  "PRIMARY KEY CHECK (id = 1), pos INTEGER NOT NULL, hash "
                  "BLOB NOT NULL);"
                  "INSERT OR IGNORE INTO sink_position VALUES (1, 0, "
                  "zeroblob(32));",
                  NULL, NULL, NULL);
    if (jk_projections_migrate (self->shadow, err, sizeof err) ||
        !(self->projections =
              jk_projections_new (self->shadow, NULL, err, sizeof err))) {
        jk_error (S_COMPONENT, "shadow %s: %s", path, err);
        return false;
    }
    s_tables_load (self, self->shadow, false);
    return true;
}

static uint64_t s_shadow_position (s_sink_t *self)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2 (self->shadow, "SELECT pos FROM sink_position", -1, &st,
                        NULL);
    uint64_t pos = 0;
    if (sqlite3_step (st) == SQLITE_ROW)
        pos = (uint64_t)sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    return pos;
}

static void s_shadow_set_position (s_sink_t *self, uint64_t pos,
                                   const uint8_t *hash)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2 (self->shadow,
                        "UPDATE sink_position SET pos = ?1, hash = ?2", -1, &st,
                        NULL);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)pos);
    sqlite3_bind_blob (st, 2, hash, JK_HASH_SIZE, SQLITE_STATIC);
    sqlite3_step (st);
    sqlite3_finalize (st);
}

static s_table_t *s_table (s_sink_t *self, const char *name)
{
    for (size_t t = 0; t < self->ntables; t++)
        if (streq (self->tables[t].name, name))
            return &self->tables[t];
    return NULL;
}

/* A SQLite value as a PostgreSQL text parameter (heap), NULL for NULL. */
static char *s_param (sqlite3_value *v)
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
static bool s_pg_changes (s_sink_t *self, int size, void *data)
{
    sqlite3_changeset_iter *it;
    if (sqlite3changeset_start (&it, size, data) != SQLITE_OK)
        return false;
    bool ok = true;
    while (ok && sqlite3changeset_next (it) == SQLITE_ROW) {
        const char *name;
        int ncols, op, indirect;
        sqlite3changeset_op (it, &name, &ncols, &op, &indirect);
        s_table_t *tab = s_table (self, name);
        if (!tab || tab->ncols != ncols)
            continue; /* not a projection table */
        char *params[128];
        int np = 0;
        char *sql = NULL;
        if (op == SQLITE_INSERT) {
            sql = jk_sprintf ("INSERT INTO %s VALUES (", name);
            for (int c = 0; c < ncols; c++) {
                sqlite3_value *v = NULL;
                sqlite3changeset_new (it, c, &v);
                params[np++] = v ? s_param (v) : NULL;
                char *next = jk_sprintf ("%s%s$%d", sql, c ? ", " : "", np);
                free (sql);
                sql = next;
            }
            char *next = jk_sprintf ("%s)", sql);
            free (sql);
            sql = next;
        } else {
            sql = op == SQLITE_UPDATE ? jk_sprintf ("UPDATE %s SET ", name)
                                      : jk_sprintf ("DELETE FROM %s", name);
            int set = 0;
            for (int c = 0; op == SQLITE_UPDATE && c < ncols; c++) {
                sqlite3_value *v = NULL;
                if (sqlite3changeset_new (it, c, &v) != SQLITE_OK || !v)
                    continue; /* unchanged */
                params[np++] = s_param (v);
                char *next = jk_sprintf ("%s%s\"%s\" = $%d", sql,
                                         set++ ? ", " : "", tab->cols[c], np);
                free (sql);
                sql = next;
            }
            if (op == SQLITE_UPDATE && set == 0) {
                free (sql);
                continue;
            }
            int where = 0;
            for (int c = 0; c < ncols; c++) {
                if (!tab->is_key[c])
                    continue;
                sqlite3_value *v = NULL;
                sqlite3changeset_old (it, c, &v);
                params[np++] = v ? s_param (v) : NULL;
                char *next = jk_sprintf ("%s%s\"%s\" = $%d", sql,
                                         where++ ? " AND " : " WHERE ",
                                         tab->cols[c], np);
                free (sql);
                sql = next;
            }
        }
        PGresult *res =
            PQexecParams (self->pg, sql, np, NULL, (const char *const *)params,
                          NULL, NULL, 0);
        ok = s_pg_ok (res);
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
static bool s_pg_log (s_sink_t *self, const jk_record_t *r)
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
    bool ok = s_pg_ok (res);
    if (!ok)
        jk_error (S_COMPONENT, "PostgreSQL log %llu: %s",
                  (unsigned long long)r->pos, PQerrorMessage (self->pg));
    PQclear (res);
    return ok;
}

/* Ends a batch's PostgreSQL transaction: when ok so far, the sink's
   position and hash, then COMMIT; otherwise (or when that fails)
   ROLLBACK. Returns true when committed. */
static bool s_pg_commit (s_sink_t *self, bool ok, uint64_t pos,
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
        ok = s_pg_ok (res);
        PQclear (res);
    }
    ok = ok && s_pg_exec (self, "COMMIT");
    if (!ok) {
        PGresult *res = PQexec (self->pg, "ROLLBACK");
        PQclear (res);
        self->pg_errors++;
    }
    return ok;
}

/* Applies the batch: shadow transaction with a session, PostgreSQL
   transaction with the log rows, the row changes and the position; PG
   commits first, then the shadow. With to_pg false (bringing the shadow
   up to PostgreSQL), only the shadow. Returns false when PostgreSQL
   failed (everything rolled back). */
static bool s_flush (s_sink_t *self, bool to_pg)
{
    if (zlistx_size (self->batch) == 0)
        return true;
    sqlite3_exec (self->shadow, "BEGIN IMMEDIATE", NULL, NULL, NULL);
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
        if (r.pos != pos + 1 || memcmp (expect, r.hash, JK_HASH_SIZE)) {
            jk_error (S_COMPONENT,
                      "record %llu does not continue the hub's chain at "
                      "%llu: not applied",
                      (unsigned long long)r.pos, (unsigned long long)pos);
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
        pg_ok = s_pg_exec (self, "BEGIN");
        for (zmsg_t *msg = zlistx_first (self->batch); msg && pg_ok;
             msg = zlistx_next (self->batch)) {
            jk_record_t r;
            jk_record_read (msg, &r);
            pg_ok = s_pg_log (self, &r);
        }
        if (pg_ok)
            pg_ok = s_pg_changes (self, size, changes);
        sqlite3_free (changes);
        pg_ok = s_pg_commit (self, pg_ok, pos, hash);
    }
    if (session)
        sqlite3session_delete (session);
    if (ok && pg_ok) {
        s_shadow_set_position (self, pos, hash);
        sqlite3_exec (self->shadow, "COMMIT", NULL, NULL, NULL);
        self->written += zlistx_size (self->batch);
        self->batches++;
        self->pos = pos;
        memcpy (self->hash, hash, JK_HASH_SIZE);
    } else {
        sqlite3_exec (self->shadow, "ROLLBACK", NULL, NULL, NULL);
        jk_projections_discard (self->projections);
    }
    zlistx_purge (self->batch);
    return ok && pg_ok;
}

/* ---- the hub ---------------------------------------------------------------
 */

/* The last position taken: committed, or waiting in the batch. */
static uint64_t s_taken (s_sink_t *self)
{
    zmsg_t *last = zlistx_last (self->batch);
    if (!last)
        return self->pos;
    jk_record_t r;
    jk_record_read (last, &r);
    return r.pos;
}

static void s_catch_up (s_sink_t *self)
{
    zmsg_t *msg = jk_wire_new ("SINCE");
    jk_wire_add_u64 (msg, s_taken (self));
    zmsg_addstr (msg, "");
    jk_wire_add_u64 (msg, self->credit);
    self->since_at = jk_clock_mono_ms ();
    /* Never blocks (no hub connected yet, or its handshake refused): the
       follow loop asks again. */
    if (zmsg_send (&msg, self->query)) {
        zmsg_destroy (&msg);
        self->catching = false;
        return;
    }
    self->catching = true;
    self->outstanding = self->credit;
}

static void s_grant (s_sink_t *self)
{
    if (!self->catching || self->outstanding > self->credit / 2)
        return;
    uint64_t more = self->credit - self->outstanding;
    zmsg_t *msg = jk_wire_new ("CREDIT");
    jk_wire_add_u64 (msg, more);
    if (zmsg_send (&msg, self->query)) {
        zmsg_destroy (&msg);
        return;
    }
    self->outstanding += more;
}

/* Takes a record message (owned) if it is the next position. */
static void s_take (s_sink_t *self, zmsg_t **msg_p)
{
    jk_record_t r;
    if (jk_record_read (*msg_p, &r) || r.pos != s_taken (self) + 1 ||
        (self->limit && r.pos > self->limit)) {
        zmsg_destroy (msg_p);
        return;
    }
    zlistx_add_end (self->batch, *msg_p);
    *msg_p = NULL;
}

static void s_on_query (s_sink_t *self)
{
    zmsg_t *msg = zmsg_recv (self->query);
    char command[16];
    if (!msg || jk_wire_open (msg, command, sizeof command)) {
        zmsg_destroy (&msg);
        return;
    }
    if (streq (command, "RECORD")) {
        if (self->outstanding)
            self->outstanding--;
        s_take (self, &msg);
        s_grant (self);
    } else if (streq (command, "END")) {
        uint64_t head = 0;
        jk_wire_pop_u64 (msg, &head);
        if (head > self->hub_head)
            self->hub_head = head;
        self->catching = false;
    } else if (streq (command, "ERROR")) {
        char *code = zmsg_popstr (msg);
        char *text = zmsg_popstr (msg);
        jk_warn (S_COMPONENT, "query: %s %s", code ? code : "",
                 text ? text : "");
        free (code);
        free (text);
        self->catching = false;
    }
    zmsg_destroy (&msg);
}

static void s_on_feed (s_sink_t *self)
{
    zmsg_t *msg = zmsg_recv (self->feed);
    jk_record_t r;
    if (!msg || jk_record_read (msg, &r)) {
        zmsg_destroy (&msg);
        return;
    }
    if (r.pos > self->hub_head)
        self->hub_head = r.pos;
    if (streq (r.topic, JK_FEED_HEAD)) {
        zmsg_destroy (&msg);
        if (!self->catching && r.pos > s_taken (self))
            s_catch_up (self);
        return;
    }
    if (self->catching) {
        zmsg_destroy (&msg); /* the stream brings it */
        return;
    }
    if (r.pos > s_taken (self) + 1) {
        zmsg_destroy (&msg); /* a gap: fill it from the query endpoint */
        s_catch_up (self);
        return;
    }
    s_take (self, &msg);
}

/* One handshake event of the query or feed socket. A refusal (a key the
   hub does not admit, the other mechanism), or three handshakes in a row
   ended without a reason, stop the sink with the reason said: it would
   read nothing, and a supervisor's restart finds the key once it is
   enrolled. */
static void s_on_watch (s_sink_t *self, zsock_t *watch, const char *which)
{
    char reason[256];
    int rc = jk_curve_watch_read (watch, self->secure, reason, sizeof reason);
    if (rc > 0)
        self->failures = 0;
    else if (rc < 0 && (rc == -2 || ++self->failures >= 3)) {
        jk_error (S_COMPONENT, "%s: %s; nothing was read, stopping", which,
                  reason);
        self->refused = true;
    }
}

/* Waits up to timeout_ms for the query endpoint, the feed (when feed is
   true) or a handshake event; handles it and returns the socket that had
   a message, NULL otherwise. */
static zsock_t *s_wait (s_sink_t *self, zpoller_t *poller, int timeout_ms)
{
    void *which = zpoller_wait (poller, timeout_ms);
    if (which == self->query_watch)
        s_on_watch (self, self->query_watch, "--query");
    else if (which == self->feed_watch)
        s_on_watch (self, self->feed_watch, "--feed");
    else if (which == self->query || which == self->feed)
        return which;
    return NULL;
}

static zpoller_t *s_poller (s_sink_t *self, bool feed)
{
    zpoller_t *poller = zpoller_new (self->query, NULL);
    if (feed)
        zpoller_add (poller, self->feed);
    if (self->query_watch)
        zpoller_add (poller, self->query_watch);
    if (self->feed_watch)
        zpoller_add (poller, self->feed_watch);
    return poller;
}

/* Brings the shadow up to PostgreSQL's position (a crash between the two
   commits): the missing records are read with SINCE and applied to the
   shadow only. */
static bool s_reconcile (s_sink_t *self, uint64_t pg_pos)
{
    uint64_t shadow = s_shadow_position (self);
    if (shadow > pg_pos) {
        jk_error (S_COMPONENT,
                  "the shadow is at %llu, PostgreSQL at %llu: PostgreSQL "
                  "was restored from an older backup; run jejak-pgsink "
                  "rebuild",
                  (unsigned long long)shadow, (unsigned long long)pg_pos);
        return false;
    }
    if (shadow == pg_pos)
        return true;
    jk_info (S_COMPONENT,
             "shadow at %llu, PostgreSQL at %llu: catching up "
             "the shadow",
             (unsigned long long)shadow, (unsigned long long)pg_pos);
    sqlite3_stmt *st;
    sqlite3_prepare_v2 (self->shadow, "SELECT hash FROM sink_position", -1, &st,
                        NULL);
    sqlite3_step (st);
    memcpy (self->hash, sqlite3_column_blob (st, 0), JK_HASH_SIZE);
    sqlite3_finalize (st);
    self->pos = shadow;
    self->limit = pg_pos;
    s_catch_up (self);
    zpoller_t *poller = s_poller (self, false);
    int64_t deadline = jk_clock_mono_ms () + 120000;
    while (!zsys_interrupted && !self->refused && self->pos < pg_pos &&
           jk_clock_mono_ms () < deadline) {
        int64_t before = jk_clock_mono_ms ();
        if (s_wait (self, poller, 500))
            s_on_query (self);
        else if (!self->catching && jk_clock_mono_ms () - before >= 500)
            s_catch_up (self);
        if (zlistx_size (self->batch) >= S_BATCH || s_taken (self) >= pg_pos)
            s_flush (self, false);
    }
    zpoller_destroy (&poller);
    self->limit = 0;
    return self->pos == pg_pos;
}

/* A fresh sink (position 0): the rows the projections' migrations seed
   (every kecamatan's summary row ...) go to PostgreSQL as they are in the
   shadow, in one transaction; later batches carry only changes. */
static bool s_pg_seed (s_sink_t *self)
{
    bool ok = s_pg_exec (self, "BEGIN");
    for (size_t t = 0; ok && t < self->ntables; t++) {
        s_table_t *tab = &self->tables[t];
        char *del = jk_sprintf ("DELETE FROM %s", tab->name);
        ok = s_pg_exec (self, del);
        free (del);
        char *sql = jk_sprintf ("SELECT * FROM %s", tab->name);
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2 (self->shadow, sql, -1, &st, NULL);
        free (sql);
        char *ins = jk_sprintf ("INSERT INTO %s VALUES (", tab->name);
        for (int c = 0; c < tab->ncols; c++) {
            char *next = jk_sprintf ("%s%s$%d", ins, c ? ", " : "", c + 1);
            free (ins);
            ins = next;
        }
        char *next = jk_sprintf ("%s)", ins);
        free (ins);
        ins = next;
        while (ok && sqlite3_step (st) == SQLITE_ROW) {
            char *params[128];
            for (int c = 0; c < tab->ncols; c++)
                params[c] = s_param (sqlite3_column_value (st, c));
            PGresult *res =
                PQexecParams (self->pg, ins, tab->ncols, NULL,
                              (const char *const *)params, NULL, NULL, 0);
            ok = s_pg_ok (res);
            if (!ok)
                jk_error (S_COMPONENT, "PostgreSQL %s: %s", tab->name,
                          PQerrorMessage (self->pg));
            PQclear (res);
            for (int c = 0; c < tab->ncols; c++)
                free (params[c]);
        }
        sqlite3_finalize (st);
        free (ins);
    }
    ok = ok && s_pg_exec (self, "COMMIT");
    if (!ok) {
        PGresult *res = PQexec (self->pg, "ROLLBACK");
        PQclear (res);
    }
    return ok;
}

/* Connects PostgreSQL (retrying until it answers or the program is
   stopped), reads the position and brings the shadow to it. */
static bool s_attach (s_sink_t *self)
{
    int64_t wait = 200;
    while (!zsys_interrupted) {
        if (s_pg_connect (self) &&
            s_pg_position (self, &self->pos, self->hash)) {
            if (!s_reconcile (self, self->pos))
                return false;
            if (self->pos > 0 || s_pg_seed (self)) {
                jk_info (S_COMPONENT, "PostgreSQL at position %llu",
                         (unsigned long long)self->pos);
                return true;
            }
        }
        zclock_sleep ((int)wait);
        wait = wait * 2 > 5000 ? 5000 : wait * 2;
    }
    return false;
}

static int s_follow (s_sink_t *self, bool once)
{
    if (!s_attach (self))
        return 1;
    s_catch_up (self);
    zpoller_t *poller = s_poller (self, true);
    int64_t last_log = jk_clock_mono_ms ();
    int status = 0;
    while (!zsys_interrupted) {
        zsock_t *which = s_wait (self, poller, 50);
        if (which == self->query)
            s_on_query (self);
        else if (which == self->feed)
            s_on_feed (self);
        if (self->refused) {
            status = 1; /* said above */
            break;
        }
        bool idle = which == NULL;
        if (zlistx_size (self->batch) >= S_BATCH ||
            (zlistx_size (self->batch) && (idle || !self->catching))) {
            if (!s_flush (self, true)) {
                jk_warn (S_COMPONENT, "PostgreSQL failed: reconnecting");
                if (!s_attach (self)) {
                    status = 1;
                    break;
                }
                s_catch_up (self);
            }
        }
        if (once && !self->catching && !zlistx_size (self->batch) &&
            self->hub_head && self->pos >= self->hub_head)
            break;
        if (idle && !self->catching &&
            (self->pos < self->hub_head ||
             (!self->hub_head && jk_clock_mono_ms () - self->since_at >= 1000)))
            s_catch_up (self);
        if (jk_clock_mono_ms () - last_log >= 10000) {
            last_log = jk_clock_mono_ms ();
            jk_info (S_COMPONENT,
                     "pos=%llu hub_head=%llu lag=%llu written=%llu "
                     "batches=%llu pg_errors=%llu",
                     (unsigned long long)self->pos,
                     (unsigned long long)self->hub_head,
                     (unsigned long long)(self->hub_head > self->pos
                                              ? self->hub_head - self->pos
                                              : 0),
                     (unsigned long long)self->written,
                     (unsigned long long)self->batches,
                     (unsigned long long)self->pg_errors);
        }
    }
    zpoller_destroy (&poller);
    printf ("jejak-pgsink pos=%llu written=%llu\n",
            (unsigned long long)self->pos, (unsigned long long)self->written);
    return status;
}

/* ---- a province's copy ------------------------------------------------------
   With --copy the sink follows a copy database (jejak-link receive)
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
    s_sink_t *self = arg;
    bool ok = s_pg_exec (self, "BEGIN");
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
        ok = s_pg_ok (res);
        if (!ok)
            jk_error (S_COMPONENT, "PostgreSQL copy %s %llu: %s", a->origin,
                      (unsigned long long)a->stored.pos,
                      PQerrorMessage (self->pg));
        PQclear (res);
    }
    ok = ok && s_pg_changes (self, size, (void *)changes);
    if (!s_pg_commit (self, ok, pos, rows[count - 1].arrival_hash)) {
        self->pg_failed = true;
        return false;
    }
    self->written += count;
    self->batches++;
    self->pos = pos;
    return true;
}

/* Connects PostgreSQL (retrying until it answers or the program is
   stopped), reads its position and brings the province's projections up
   to it (a crash between the two commits) without writing to it. */
static bool s_province_attach (s_sink_t *self)
{
    int64_t wait = 200;
    while (!zsys_interrupted) {
        if (s_pg_connect (self) &&
            s_pg_position (self, &self->pos, self->hash)) {
            uint64_t mine = jk_province_position (self->province);
            if (mine > self->pos) {
                jk_error (S_COMPONENT,
                          "the shadow is at arrival %llu, PostgreSQL at "
                          "%llu: PostgreSQL was restored from an older "
                          "backup; run jejak-pgsink rebuild",
                          (unsigned long long)mine,
                          (unsigned long long)self->pos);
                return false;
            }
            char err[512];
            while (jk_province_position (self->province) < self->pos)
                if (jk_province_step (self->province, S_BATCH, self->pos, NULL,
                                      NULL, err, sizeof err) <= 0) {
                    jk_error (S_COMPONENT, "shadow: %s",
                              err[0] ? err
                                     : "the copy ends before "
                                       "PostgreSQL's position");
                    return false;
                }
            jk_info (S_COMPONENT, "PostgreSQL at arrival %llu",
                     (unsigned long long)self->pos);
            return true;
        }
        zclock_sleep ((int)wait);
        wait = wait * 2 > 5000 ? 5000 : wait * 2;
    }
    return false;
}

static int s_province_follow (s_sink_t *self, bool once)
{
    if (!s_province_attach (self))
        return 1;
    int64_t last_log = jk_clock_mono_ms ();
    int status = 0;
    while (!zsys_interrupted) {
        char err[512];
        self->pg_failed = false;
        int64_t n = jk_province_step (self->province, S_BATCH, 0,
                                      s_province_batch, self, err, sizeof err);
        if (n < 0 && self->pg_failed) {
            jk_warn (S_COMPONENT, "PostgreSQL failed: reconnecting");
            if (!s_province_attach (self)) {
                status = 1;
                break;
            }
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

/* ---- dump -------------------------------------------------------------------
   PostgreSQL's projection tables copied into an in-memory SQLite database
   with the store's schema, then dumped by the store's own canonical dump
   (jk_projections_dump), so a PostgreSQL side and a hub's database
   compare as text. */
static int s_dump (s_sink_t *self)
{
    char err[512];
    sqlite3 *db = NULL;
    sqlite3_open (":memory:", &db);
    if (jk_projections_migrate (db, err, sizeof err)) {
        fprintf (stderr, "jejak-pgsink: %s\n", err);
        sqlite3_close (db);
        return 1;
    }
    int status = 0;
    for (size_t t = 0; t < jk_ptable_count () && !status; t++) {
        const char *name = jk_ptable_at (t)->name;
        char *del = jk_sprintf ("DELETE FROM %s", name);
        sqlite3_exec (db, del, NULL, NULL, NULL);
        free (del);
        char *sql = jk_sprintf ("SELECT * FROM %s", name);
        PGresult *res = PQexec (self->pg, sql);
        free (sql);
        if (PQresultStatus (res) != PGRES_TUPLES_OK) {
            fprintf (stderr, "jejak-pgsink: %s: %s", name,
                     PQerrorMessage (self->pg));
            PQclear (res);
            status = 1;
            break;
        }
        int cols = PQnfields (res);
        char *ins = jk_sprintf ("INSERT INTO %s (", name);
        for (int c = 0; c < cols; c++) {
            char *next =
                jk_sprintf ("%s%s\"%s\"", ins, c ? ", " : "", PQfname (res, c));
            free (ins);
            ins = next;
        }
        char *next = jk_sprintf ("%s) VALUES (", ins);
        free (ins);
        ins = next;
        for (int c = 0; c < cols; c++) {
            next = jk_sprintf ("%s%s?%d", ins, c ? ", " : "", c + 1);
            free (ins);
            ins = next;
        }
        next = jk_sprintf ("%s)", ins);
        free (ins);
        ins = next;
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2 (db, ins, -1, &st, NULL);
        free (ins);
        for (int row = 0; row < PQntuples (res); row++) {
            for (int c = 0; c < cols; c++) {
                if (PQgetisnull (res, row, c)) {
                    sqlite3_bind_null (st, c + 1);
                    continue;
                }
                const char *v = PQgetvalue (res, row, c);
                Oid type = PQftype (res, c);
                if (type == 20 || type == 21 || type == 23) /* int8/2/4 */
                    sqlite3_bind_int64 (st, c + 1, strtoll (v, NULL, 10));
                else if (type == 701)
                    sqlite3_bind_double (st, c + 1, strtod (v, NULL));
                else if (type == 17) { /* bytea, hex output */
                    size_t n = 0;
                    unsigned char *b =
                        PQunescapeBytea ((const unsigned char *)v, &n);
                    sqlite3_bind_blob (st, c + 1, b, (int)n, SQLITE_TRANSIENT);
                    PQfreemem (b);
                } else {
                    /* A column without a declared type (projection_meta's
                       value) holds what was written: an integer stays
                       one. */
                    const char *decl = NULL;
                    sqlite3_table_column_metadata (db, NULL, name,
                                                   PQfname (res, c), &decl,
                                                   NULL, NULL, NULL, NULL);
                    char *end = NULL;
                    long long n = strtoll (v, &end, 10);
                    if ((!decl || !*decl) && *v && end && !*end)
                        sqlite3_bind_int64 (st, c + 1, n);
                    else
                        sqlite3_bind_text (st, c + 1, v, -1, SQLITE_TRANSIENT);
                }
            }
            if (sqlite3_step (st) != SQLITE_DONE) {
                fprintf (stderr, "jejak-pgsink: %s: %s\n", name,
                         sqlite3_errmsg (db));
                status = 1;
            }
            sqlite3_reset (st);
        }
        sqlite3_finalize (st);
        PQclear (res);
    }
    if (!status && jk_projections_dump (db, stdout, err, sizeof err)) {
        fprintf (stderr, "jejak-pgsink: %s\n", err);
        status = 1;
    }
    sqlite3_close (db);
    return status;
}

static void s_usage (jk_opts_t *opts, FILE *out)
{
    fprintf (out, "Usage: jejak-pgsink [run|dump|rebuild] --pg CONNINFO "
                  "[options]\n"
                  "Keeps a PostgreSQL database in step with a hub: the log "
                  "and every\nprojection table, exactly once "
                  "(docs/FEDERATION.md).\n\n"
                  "  run       catch up from --query, then follow --feed "
                  "(default)\n"
                  "  dump      print PostgreSQL's projection tables in the "
                  "canonical dump form\n"
                  "  rebuild   drop the PostgreSQL tables and the shadow, "
                  "then run again from\n"
                  "            position 1 (with --once: until caught up)\n\n"
                  "With --copy COPY.db it follows a province's copy database "
                  "instead of a hub:\nthe copied records (table copy) and "
                  "the province's projections.\n\n");
    jk_opts_print (opts, out);
}

int main (int argc, char **argv)
{
    int status;
    jk_opts_t *opts = jk_opts_start ("jejak-pgsink", s_options,
                                     sizeof s_options / sizeof s_options[0],
                                     argc, argv, s_usage, &status);
    if (!opts)
        return status;
    status = 2;
    s_sink_t self;
    memset (&self, 0, sizeof self);
    const char *command = jk_opts_argc (opts) ? jk_opts_arg (opts, 0) : "run";
    if (jk_opts_argc (opts) > 1 ||
        !(streq (command, "run") || streq (command, "dump") ||
          streq (command, "rebuild"))) {
        fprintf (stderr, "jejak-pgsink: unknown command (run, dump or "
                         "rebuild; see --help)\n");
        goto cleanup;
    }
    self.conninfo = jk_opts_get (opts, "pg");
    if (!self.conninfo) {
        fprintf (stderr, "jejak-pgsink: --pg is required (see --help)\n");
        goto cleanup;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "credit"), &self.credit) ||
        self.credit < 2 || self.credit > 1000000) {
        fprintf (stderr, "jejak-pgsink: --credit must be 2 to 1000000\n");
        goto cleanup;
    }
    if (jk_opts_get (opts, "data-dir"))
        jk_region_set_default_dir (jk_opts_get (opts, "data-dir"));
    const char *broker_key = jk_opts_get (opts, "broker-key");
    const char *key = jk_opts_get (opts, "key");
    if (!streq (command, "dump") && !jk_opts_get (opts, "copy")) {
        char err[512];
        if (jk_curve_client_check ("query", jk_opts_get (opts, "query"),
                                   broker_key, key, err, sizeof err) ||
            jk_curve_client_check ("feed", jk_opts_get (opts, "feed"),
                                   broker_key, key, err, sizeof err)) {
            fprintf (stderr, "jejak-pgsink: %s (see --help)\n", err);
            goto cleanup;
        }
    }
    status = 1;
    if (streq (command, "dump")) {
        self.pg = PQconnectdb (self.conninfo);
        if (PQstatus (self.pg) != CONNECTION_OK)
            fprintf (stderr, "jejak-pgsink: %s", PQerrorMessage (self.pg));
        else
            status = s_dump (&self);
        goto cleanup;
    }
    const char *shadow = jk_opts_get (opts, "shadow");
    const char *copy = jk_opts_get (opts, "copy");
    if (copy && streq (command, "dump")) {
        fprintf (stderr, "jejak-pgsink: dump compares a hub's projections; "
                         "with --copy query PostgreSQL directly (see "
                         "--help)\n");
        status = 2;
        goto cleanup;
    }
    if (streq (command, "rebuild")) {
        self.pg = PQconnectdb (self.conninfo);
        if (PQstatus (self.pg) != CONNECTION_OK) {
            fprintf (stderr, "jejak-pgsink: %s", PQerrorMessage (self.pg));
            goto cleanup;
        }
        char *sql = jk_strdup ("DROP VIEW IF EXISTS province_summary; DROP "
                               "TABLE IF EXISTS jejak_sink, log, copy, "
                               "province_origins");
        for (size_t t = 0; t < jk_ptable_count (); t++) {
            char *next = jk_sprintf ("%s, %s", sql, jk_ptable_at (t)->name);
            free (sql);
            sql = next;
        }
        bool ok = s_pg_exec (&self, sql);
        free (sql);
        if (!ok)
            goto cleanup;
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
    }
    if (copy) {
        char err[512];
        zsys_init (); /* SIGINT and SIGTERM stop the loop */
        self.province = jk_province_open (shadow, copy, err, sizeof err);
        if (!self.province) {
            fprintf (stderr, "jejak-pgsink: %s\n", err);
            goto cleanup;
        }
        s_tables_load (&self, jk_province_db (self.province), true);
        printf ("jejak-pgsink copy=%s shadow=%s\n", copy, shadow);
        fflush (stdout);
        status = s_province_follow (&self, jk_opts_on (opts, "once") ||
                                               streq (command, "rebuild"));
        goto cleanup;
    }
    if (!s_shadow_open (&self, shadow))
        goto cleanup;
    jk_projections_set_deferred (self.projections, true);
    self.chain = jk_chain_new ();
    self.batch = zlistx_new ();
    zlistx_set_destructor (self.batch, s_msg_free);
    self.query = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self.query, 0);
    zsock_set_sndtimeo (self.query, 0);
    self.feed = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (self.feed, "");
    self.secure = key != NULL;
    self.query_watch = jk_curve_watch_new (self.query);
    self.feed_watch = jk_curve_watch_new (self.feed);
    if (jk_curve_client (self.query, broker_key, key, S_COMPONENT) ||
        jk_curve_client (self.feed, broker_key, key, S_COMPONENT) ||
        zsock_connect (self.query, "%s", jk_opts_get (opts, "query")) ||
        zsock_connect (self.feed, "%s", jk_opts_get (opts, "feed"))) {
        fprintf (stderr, "jejak-pgsink: cannot connect --query/--feed\n");
        goto cleanup;
    }
    printf ("jejak-pgsink query=%s feed=%s shadow=%s secure=%s\n",
            jk_opts_get (opts, "query"), jk_opts_get (opts, "feed"), shadow,
            key ? "curve" : "plain");
    fflush (stdout);
    status = s_follow (&self,
                       jk_opts_on (opts, "once") || streq (command, "rebuild"));
cleanup:
    zlistx_destroy (&self.batch);
    jk_curve_watch_destroy (&self.query_watch, self.query);
    jk_curve_watch_destroy (&self.feed_watch, self.feed);
    zsock_destroy (&self.query);
    zsock_destroy (&self.feed);
    jk_projections_destroy (&self.projections);
    sqlite3_close (self.shadow);
    jk_chain_destroy (&self.chain);
    for (size_t t = 0; t < self.ntables; t++)
        jk_table_info_fini (&self.tables[t]);
    free (self.tables);
    PQfinish (self.pg);
    jk_province_destroy (&self.province);
    jk_opts_destroy (&opts);
    return status;
}
