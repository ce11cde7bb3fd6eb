/*  fuzz_log_settings.c - libFuzzer target for what a log file records it
    was decided with (jk_log_settings_read: table log_settings of the
    log's database, rows key, value). The input is the table's rows: key
    and value texts separated by NUL bytes (key, value, key, value, ...).
    Either the settings are read, with a region of the shape --region
    takes (or "" for the Cianjur default) and months 1 to
    JK_RAT_DEADLINE_MONTHS_MAX that the value states exactly, or the file
    is said to record none (JK_NOT_FOUND) or to be malformed
    (JK_INVALID). */
#include "check.h"
#include "jk_active.h"
#include "jk_log.h"
#include "jk_schema.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    sqlite3 *db = NULL;
    S_CHECK (sqlite3_open (":memory:", &db) == SQLITE_OK);
    S_CHECK (sqlite3_exec (db,
                           "CREATE TABLE log_settings (key TEXT PRIMARY KEY,"
                           " value TEXT NOT NULL)",
                           NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *insert = NULL;
    S_CHECK (sqlite3_prepare_v2 (db,
                                 "INSERT OR REPLACE INTO log_settings"
                                 " VALUES (?1, ?2)",
                                 -1, &insert, NULL) == SQLITE_OK);
    const char *text = (const char *)data, *end = text + size;
    char months_text[64] = "";
    while (text < end) {
        const char *key = text;
        size_t key_len = strnlen (key, (size_t)(end - key));
        const char *value = key + key_len + (key + key_len < end);
        size_t value_len =
            value < end ? strnlen (value, (size_t)(end - value)) : 0;
        text = value + value_len + 1;
        sqlite3_bind_text (insert, 1, key, (int)key_len, SQLITE_STATIC);
        sqlite3_bind_text (insert, 2, value, (int)value_len, SQLITE_STATIC);
        if (sqlite3_step (insert) == SQLITE_DONE && key_len == 19 &&
            memcmp (key, "rat_deadline_months", 19) == 0)
            snprintf (months_text, sizeof months_text, "%.*s",
                      (int)(value_len < 63 ? value_len : 63), value);
        sqlite3_reset (insert);
    }
    sqlite3_finalize (insert);
    jk_log_settings_t settings;
    int rc = jk_log_settings_read (db, &settings);
    S_CHECK (rc == JK_OK || rc == JK_NOT_FOUND || rc == JK_INVALID);
    if (rc == JK_OK) {
        S_CHECK (memchr (settings.area, 0, sizeof settings.area));
        S_CHECK (!settings.area[0] || jk_region_area_valid (settings.area));
        int months = 0;
        S_CHECK (jk_rat_deadline_months_parse (months_text, &months) == 0 &&
                 months == settings.rat_deadline_months);
    }
    sqlite3_close (db);
    return 0;
}
