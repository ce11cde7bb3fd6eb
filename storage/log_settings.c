/*  log_settings.c - what a log was decided with (jk_log.h): the region's
    area and the RAT deadline months, kept in the log's file (table
    log_settings) by the store at its start and by rebuild in its output,
    and read by jejak-replay as its defaults. */
#include "jk_log.h"

#include "jk_active.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CREATE                                                               \
    "CREATE TABLE IF NOT EXISTS log_settings (key TEXT PRIMARY KEY,"           \
    " value TEXT NOT NULL)"

int jk_log_settings_read (sqlite3 *db, jk_log_settings_t *settings)
{
    assert (db && settings);
    memset (settings, 0, sizeof *settings);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db,
                                 "SELECT 1 FROM sqlite_master WHERE type ="
                                 " 'table' AND name = 'log_settings'",
                                 -1, &st, NULL);
    if (rc != SQLITE_OK)
        return JK_IO;
    rc = sqlite3_step (st);
    sqlite3_finalize (st);
    if (rc == SQLITE_DONE)
        return JK_NOT_FOUND;
    if (rc != SQLITE_ROW)
        return JK_IO;
    if (sqlite3_prepare_v2 (db, "SELECT key, value FROM log_settings", -1, &st,
                            NULL) != SQLITE_OK)
        return JK_IO;
    bool area = false, months = false;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text (st, 0);
        const char *value = (const char *)sqlite3_column_text (st, 1);
        if (!key || !value)
            continue;
        if (strcmp (key, "region") == 0 &&
            (!*value || jk_region_area_valid (value))) {
            snprintf (settings->area, sizeof settings->area, "%s", value);
            area = true;
        } else if (strcmp (key, "rat_deadline_months") == 0)
            /* Exactly a whole number 1..JK_RAT_DEADLINE_MONTHS_MAX, as
               the flag takes it ("6x", "0", "100" are none). */
            months = jk_rat_deadline_months_parse (
                         value, &settings->rat_deadline_months) == 0;
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE)
        return JK_IO;
    return area && months ? JK_OK : JK_NOT_FOUND;
}

int jk_log_settings_write (sqlite3 *db, const jk_log_settings_t *settings,
                           char *err, size_t err_size)
{
    assert (db && settings);
    char *sql = sqlite3_mprintf (
        "SAVEPOINT jk_log_settings; " S_CREATE "; "
        "INSERT OR REPLACE INTO log_settings VALUES ('region', %Q),"
        " ('rat_deadline_months', '%d'); RELEASE jk_log_settings",
        settings->area, settings->rat_deadline_months);
    char *msg = NULL;
    int rc = sql ? sqlite3_exec (db, sql, NULL, NULL, &msg) : SQLITE_NOMEM;
    sqlite3_free (sql);
    if (rc == SQLITE_OK)
        return JK_OK;
    snprintf (err, err_size, "recording the log's settings: %s",
              msg ? msg : sqlite3_errmsg (db));
    sqlite3_free (msg);
    sqlite3_exec (db, "ROLLBACK TO jk_log_settings; RELEASE jk_log_settings",
                  NULL, NULL, NULL);
    return JK_IO;
}

void jk_log_settings_current (int rat_deadline_months,
                              jk_log_settings_t *settings)
{
    memset (settings, 0, sizeof *settings);
    snprintf (settings->area, sizeof settings->area, "%s",
              jk_region_area (jk_region_default ()));
    settings->rat_deadline_months =
        rat_deadline_months > 0 ? rat_deadline_months : 6;
}

bool jk_log_settings_equal (const jk_log_settings_t *a,
                            const jk_log_settings_t *b)
{
    return strcmp (a->area, b->area) == 0 &&
           a->rat_deadline_months == b->rat_deadline_months;
}

const char *jk_log_settings_region (const jk_log_settings_t *settings)
{
    return *settings->area ? settings->area : "Kabupaten Cianjur (the default)";
}

/* The value of key in a STATS text ("k=v k=v") into out; false when the
   key is not there. */
static bool s_stats_value (const char *stats, const char *key, char *out,
                           size_t size)
{
    size_t n = strlen (key);
    for (const char *p = stats; p && *p;) {
        while (*p == ' ')
            p++;
        const char *end = strchr (p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen (p);
        if (len > n && strncmp (p, key, n) == 0 && p[n] == '=') {
            snprintf (out, size, "%.*s", (int)(len - n - 1), p + n + 1);
            return true;
        }
        p = end;
    }
    return false;
}

int jk_log_settings_from_stats (const char *stats, jk_log_settings_t *settings)
{
    assert (settings);
    memset (settings, 0, sizeof *settings);
    char region[32] = "", months[32] = "";
    bool has_region =
        stats && s_stats_value (stats, "region", region, sizeof region);
    bool has_months = stats && s_stats_value (stats, "rat_deadline_months",
                                              months, sizeof months);
    if (!has_region && !has_months)
        return JK_NOT_FOUND;
    int value = 0;
    if (!has_region || !has_months || !jk_region_area_valid (region) ||
        strlen (region) >= sizeof settings->area ||
        jk_rat_deadline_months_parse (months, &value) != 0)
        return JK_INVALID;
    memcpy (settings->area, region, strlen (region) + 1); /* fits: above */
    settings->rat_deadline_months = value;
    return JK_OK;
}
