/*  dbkind.c - the kinds of Jejak database files, by SQLite application_id
    or, for files from before the mark, by their tables (jk_dbkind.h). */
#include "jk_dbkind.h"
#include "jk_base.h"

#include <stdio.h>
#include <string.h>

#define S_ID(a, b, c, d)                                                       \
    ((int32_t)(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) |                 \
               ((uint32_t)(c) << 8) | (uint32_t)(d)))

typedef struct {
    int32_t id;
    const char *name;
    /* The tables a file from before the mark holds (all of them). */
    const char *tables[3];
} s_kind_t;

static const s_kind_t s_kinds[JK_DB_KINDS] = {
    [JK_DB_LOG] = {S_ID ('J', 'K', 'L', 'G'), "a Jejak event log", {"log"}},
    [JK_DB_PROJECTIONS] = {S_ID ('J', 'K', 'P', 'J'),
                           "the projections of a Jejak event log",
                           {"projector"}},
    [JK_DB_OUTBOX] = {S_ID ('J', 'K', 'O', 'B'),
                      "an office outbox",
                      {"events", "meta"}},
    [JK_DB_USERS] = {S_ID ('J', 'K', 'U', 'S'),
                     "an office users file",
                     {"users", "audit"}},
    [JK_DB_PICKS] = {S_ID ('J', 'K', 'P', 'K'),
                     "an office pick list cache",
                     {"records", "meta"}},
    [JK_DB_LINK_COPY] = {S_ID ('J', 'K', 'C', 'P'),
                         "a link copy database",
                         {"copy", "arrival"}},
    [JK_DB_LINK_STATE] = {S_ID ('J', 'K', 'S', 'T'),
                          "a link checkpoint state",
                          {"checkpoint", "fork"}},
    [JK_DB_PROVINCE] = {S_ID ('J', 'K', 'P', 'V'),
                        "a province database",
                        {"province_position"}},
    [JK_DB_PROVINCE_SHADOW] = {S_ID ('J', 'K', 'R', 'S'),
                               "a regency's shadow of a province database",
                               {"shadow_position"}},
    [JK_DB_SINK_SHADOW] = {S_ID ('J', 'K', 'S', 'K'),
                           "a jejak-pgsink shadow",
                           {"sink_position"}},
};

/* The order unmarked files are recognised in: kinds whose tables others
   hold too come after those others (a copy holds checkpoint and fork, as
   a link state does; a province's files hold projection tables). */
static const jk_db_kind_t s_order[JK_DB_KINDS] = {
    JK_DB_PROVINCE, JK_DB_PROVINCE_SHADOW, JK_DB_SINK_SHADOW, JK_DB_LINK_COPY,
    JK_DB_LOG,      JK_DB_PROJECTIONS,     JK_DB_OUTBOX,      JK_DB_USERS,
    JK_DB_PICKS,    JK_DB_LINK_STATE};

int32_t jk_db_kind_id (jk_db_kind_t kind)
{
    return s_kinds[kind].id;
}

const char *jk_db_kind_name (jk_db_kind_t kind)
{
    return s_kinds[kind].name;
}

bool jk_db_has_table (sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool has = false;
    if (sqlite3_prepare_v2 (db,
                            "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                            " AND name = ?1",
                            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
        has = sqlite3_step (st) == SQLITE_ROW;
    }
    sqlite3_finalize (st);
    return has;
}

/* The kind an unmarked file's tables make it, or JK_DB_KINDS. */
static jk_db_kind_t s_by_tables (sqlite3 *db)
{
    for (int i = 0; i < JK_DB_KINDS; i++) {
        const s_kind_t *k = &s_kinds[s_order[i]];
        bool all = true;
        for (int t = 0; t < 3 && k->tables[t] && all; t++)
            all = jk_db_has_table (db, k->tables[t]);
        if (all)
            return s_order[i];
    }
    return JK_DB_KINDS;
}

/* "log, events, meta" (the first few tables, by name). */
static void s_tables (sqlite3 *db, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    size_t n = 0;
    out[0] = 0;
    if (sqlite3_prepare_v2 (db,
                            "SELECT name FROM sqlite_master WHERE type ="
                            " 'table' ORDER BY name LIMIT 6",
                            -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step (st) == SQLITE_ROW && n + 1 < size)
        n += (size_t)snprintf (out + n, size - n, "%s%s", n ? ", " : "",
                               (const char *)sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
}

/* "0x4A4B4C47 'JKLG'" */
static void s_id_text (int32_t id, char out[32])
{
    uint32_t u = (uint32_t)id;
    char c[4] = {(char)(u >> 24), (char)(u >> 16), (char)(u >> 8), (char)u};
    bool letters = true;
    for (int i = 0; i < 4; i++)
        letters &= c[i] >= 0x21 && c[i] <= 0x7e;
    if (letters)
        snprintf (out, 32, "0x%08X '%.4s'", u, c);
    else
        snprintf (out, 32, "%d", id);
}

/* The single integer sql answers on db; false when it does not. */
static bool s_int (sqlite3 *db, const char *sql, int64_t *value)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step (st) == SQLITE_ROW;
    *value = ok ? sqlite3_column_int64 (st, 0) : 0;
    sqlite3_finalize (st);
    return ok;
}

int jk_db_kind_check (sqlite3 *db, const char *path, jk_db_kind_t kind,
                      char *err, size_t err_size)
{
    const char *want = s_kinds[kind].name;
    int64_t app = 0, tables = 0;
    if (!s_int (db, "PRAGMA application_id", &app) ||
        !s_int (db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                &tables)) {
        /* A file SQLite knows but finds damaged (a truncated copy) is
           not said to be of another kind. */
        if ((sqlite3_errcode (db) & 0xff) == SQLITE_CORRUPT)
            snprintf (err, err_size, "%s is damaged, not read as %s: %s", path,
                      want, sqlite3_errmsg (db));
        else
            snprintf (err, err_size, "%s is not %s: %s", path, want,
                      sqlite3_errmsg (db));
        return JK_IO;
    }
    int32_t id = (int32_t)app;
    if (id == s_kinds[kind].id)
        return JK_OK;
    char id_text[32], names[256];
    s_id_text (id, id_text);
    s_tables (db, names, sizeof names);
    if (id != 0) {
        for (int k = 0; k < JK_DB_KINDS; k++)
            if (s_kinds[k].id == id) {
                snprintf (err, err_size, "%s is %s (application_id %s), not %s",
                          path, s_kinds[k].name, id_text, want);
                return JK_CONFLICT;
            }
        snprintf (err, err_size,
                  "%s is an SQLite database of another program "
                  "(application_id %s; tables %s), not %s",
                  path, id_text, *names ? names : "none", want);
        return JK_CONFLICT;
    }
    if (tables == 0)
        return JK_OK; /* empty: made here */
    jk_db_kind_t found = s_by_tables (db);
    if (found == kind)
        return JK_OK;
    if (found != JK_DB_KINDS)
        snprintf (err, err_size,
                  "%s is %s (by its tables: %s; application_id 0), not %s",
                  path, s_kinds[found].name, names, want);
    else
        snprintf (err, err_size,
                  "%s is an SQLite database of another program (tables "
                  "%s; application_id 0), not %s",
                  path, names, want);
    return JK_CONFLICT;
}

int jk_db_kind_mark (sqlite3 *db, jk_db_kind_t kind)
{
    int64_t id = 0;
    s_int (db, "PRAGMA application_id", &id);
    if ((int32_t)id == s_kinds[kind].id)
        return JK_OK;
    char sql[64];
    snprintf (sql, sizeof sql, "PRAGMA application_id = %d",
              (int)s_kinds[kind].id);
    return sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK ? JK_OK
                                                                 : JK_IO;
}
