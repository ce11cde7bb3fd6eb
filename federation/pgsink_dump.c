/*  pgsink_dump.c - jejak-pgsink dump: PostgreSQL's projection tables in
    the store's canonical dump form. */
#include "pgsink_internal.h"

/* INSERT INTO name ("col", ...) VALUES (?1, ...) for res's columns. */
static char *s_insert_sql (const char *name, PGresult *res)
{
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
    return next;
}

/* Binds PostgreSQL's value at (row, c) as SQLite holds it. */
static void s_bind_value (sqlite3 *db, sqlite3_stmt *st, const char *name,
                          PGresult *res, int row, int c)
{
    if (PQgetisnull (res, row, c)) {
        sqlite3_bind_null (st, c + 1);
        return;
    }
    const char *v = PQgetvalue (res, row, c);
    Oid type = PQftype (res, c);
    if (type == 20 || type == 21 || type == 23) /* int8/2/4 */
        sqlite3_bind_int64 (st, c + 1, strtoll (v, NULL, 10));
    else if (type == 701)
        sqlite3_bind_double (st, c + 1, strtod (v, NULL));
    else if (type == 17) { /* bytea, hex output */
        size_t n = 0;
        unsigned char *b = PQunescapeBytea ((const unsigned char *)v, &n);
        sqlite3_bind_blob (st, c + 1, b, (int)n, SQLITE_TRANSIENT);
        PQfreemem (b);
    } else {
        /* A column without a declared type (projection_meta's value)
           holds what was written: an integer stays one. */
        const char *decl = NULL;
        sqlite3_table_column_metadata (db, NULL, name, PQfname (res, c), &decl,
                                       NULL, NULL, NULL, NULL);
        char *end = NULL;
        long long n = strtoll (v, &end, 10);
        if ((!decl || !*decl) && *v && end && !*end)
            sqlite3_bind_int64 (st, c + 1, n);
        else
            sqlite3_bind_text (st, c + 1, v, -1, SQLITE_TRANSIENT);
    }
}

/* One projection table from PostgreSQL into db: 0, or 1 (said). */
static int s_copy_table (jk_pgsink_t *self, sqlite3 *db, const char *name)
{
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
        return 1;
    }
    int status = 0;
    char *ins = s_insert_sql (name, res);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (db, ins, -1, &st, NULL);
    free (ins);
    for (int row = 0; row < PQntuples (res); row++) {
        for (int c = 0; c < PQnfields (res); c++)
            s_bind_value (db, st, name, res, row, c);
        if (sqlite3_step (st) != SQLITE_DONE) {
            fprintf (stderr, "jejak-pgsink: %s: %s\n", name,
                     sqlite3_errmsg (db));
            status = 1;
        }
        sqlite3_reset (st);
    }
    sqlite3_finalize (st);
    PQclear (res);
    return status;
}

/* PostgreSQL's projection tables copied into an in-memory SQLite database
   with the store's schema, then dumped by the store's own canonical dump
   (jk_projections_dump), so a PostgreSQL side and a hub's database
   compare as text. */
int jk_pgsink_dump (jk_pgsink_t *self)
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
    for (size_t t = 0; t < jk_ptable_count () && !status; t++)
        status = s_copy_table (self, db, jk_ptable_at (t)->name);
    if (!status && jk_projections_dump (db, stdout, err, sizeof err)) {
        fprintf (stderr, "jejak-pgsink: %s\n", err);
        status = 1;
    }
    sqlite3_close (db);
    return status;
}
