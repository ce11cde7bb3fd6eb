/*  table_info.c - a table's columns as a database has them (jk_province.h,
    jk_table_info_t), and a changeset's row change on it as SQL: the
    province's projections and the PostgreSQL sink both make their tables
    and their row changes from it. */
#define SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_PREUPDATE_HOOK
#include "jk_province.h"

#include "jk_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jk_table_info_load (jk_table_info_t *tab, sqlite3 *db, const char *name)
{
    memset (tab, 0, sizeof *tab);
    tab->name = name;
    char *sql = jk_sprintf ("PRAGMA table_info(%s)", name);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    free (sql);
    tab->cols = jk_calloc (JK_TABLE_COLUMNS_MAX, sizeof (char *));
    tab->types = jk_calloc (JK_TABLE_COLUMNS_MAX, sizeof (char *));
    tab->is_key = jk_calloc (JK_TABLE_COLUMNS_MAX, sizeof (bool));
    int order[JK_TABLE_COLUMNS_MAX] = {0};
    while (sqlite3_step (st) == SQLITE_ROW &&
           tab->ncols < JK_TABLE_COLUMNS_MAX) {
        const char *type = (const char *)sqlite3_column_text (st, 2);
        tab->cols[tab->ncols] =
            jk_strdup ((const char *)sqlite3_column_text (st, 1));
        tab->types[tab->ncols] = jk_strdup (type ? type : "");
        order[tab->ncols] = sqlite3_column_int (st, 5);
        tab->is_key[tab->ncols] = order[tab->ncols] > 0;
        tab->ncols++;
    }
    sqlite3_finalize (st);
    tab->key = jk_strdup ("");
    for (int k = 1; k <= tab->ncols; k++)
        for (int c = 0; c < tab->ncols; c++)
            if (order[c] == k) {
                char *next = jk_sprintf ("%s%s\"%s\"", tab->key,
                                         *tab->key ? ", " : "", tab->cols[c]);
                free (tab->key);
                tab->key = next;
            }
}

void jk_table_info_fini (jk_table_info_t *tab)
{
    for (int c = 0; c < tab->ncols; c++) {
        free (tab->cols[c]);
        free (tab->types[c]);
    }
    free (tab->cols);
    free (tab->types);
    free (tab->is_key);
    free (tab->key);
    memset (tab, 0, sizeof *tab);
}

/* INSERT INTO name (scope, "c"...) VALUES (mark1, ...). */
static int s_insert (const jk_table_info_t *tab, sqlite3_changeset_iter *it,
                     const char *name, char mark, const char *scope, FILE *out,
                     sqlite3_value **values)
{
    int before = scope ? 1 : 0, n = 0;
    fprintf (out, "INSERT INTO %s (%s", name, scope ? scope : "");
    for (int c = 0; c < tab->ncols; c++)
        fprintf (out, "%s\"%s\"", c || scope ? ", " : "", tab->cols[c]);
    fputs (") VALUES (", out);
    if (scope)
        fprintf (out, "%c1", mark);
    for (int c = 0; c < tab->ncols; c++) {
        sqlite3_value *v = NULL;
        sqlite3changeset_new (it, c, &v);
        values[n++] = v;
        fprintf (out, "%s%c%d", c || scope ? ", " : "", mark, before + n);
    }
    fputs (")", out);
    return n;
}

int jk_table_info_change (const jk_table_info_t *tab,
                          sqlite3_changeset_iter *it, char mark,
                          const char *scope, char **sql, sqlite3_value **values)
{
    const char *name;
    int ncols, op, indirect;
    sqlite3changeset_op (it, &name, &ncols, &op, &indirect);
    size_t size = 0;
    FILE *out = open_memstream (sql, &size);
    if (op == SQLITE_INSERT) {
        int n = s_insert (tab, it, name, mark, scope, out, values);
        fclose (out);
        return n;
    }
    int before = scope ? 1 : 0, n = 0, set = 0, where = 0;
    fprintf (out, op == SQLITE_UPDATE ? "UPDATE %s SET " : "DELETE FROM %s",
             name);
    for (int c = 0; op == SQLITE_UPDATE && c < tab->ncols; c++) {
        sqlite3_value *v = NULL;
        if (sqlite3changeset_new (it, c, &v) != SQLITE_OK || !v)
            continue; /* unchanged */
        values[n++] = v;
        fprintf (out, "%s\"%s\" = %c%d", set++ ? ", " : "", tab->cols[c], mark,
                 before + n);
    }
    if (op == SQLITE_UPDATE && set == 0) {
        fclose (out);
        free (*sql);
        *sql = NULL;
        return -1;
    }
    if (scope)
        fprintf (out, " WHERE %s = %c1", scope, mark), where++;
    for (int c = 0; c < tab->ncols; c++) {
        if (!tab->is_key[c])
            continue;
        sqlite3_value *v = NULL;
        sqlite3changeset_old (it, c, &v);
        values[n++] = v;
        fprintf (out, "%s\"%s\" = %c%d", where++ ? " AND " : " WHERE ",
                 tab->cols[c], mark, before + n);
    }
    fclose (out);
    return n;
}
