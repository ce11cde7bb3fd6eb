/*  table_info.c - a table's columns as a database has them (jk_province.h,
    jk_table_info_t): the province's projections and the PostgreSQL sink
    both make their tables and their row changes from it. */
#include "jk_province.h"

#include "jk_base.h"

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
