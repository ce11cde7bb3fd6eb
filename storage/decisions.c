/*  decisions.c - re-deriving every logged outcome (jk_decisions.h): the
    log read in position order, each record checked as the store checked
    it (jk_log_check with the clock at its recorded_at) and decided by a
    fresh in-memory model fed only the log's own accepted events. */
#include "jk_decisions.h"
#include "jk_model.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define S_PROGRESS_EVERY 16384

/* The outcome the store would give: accepted (code ""), or rejected with
   a code and message. */
static int s_derive (jk_model_t *model, const uint8_t *bytes, size_t size,
                     int64_t recorded_at, char code[JK_CODE_MAX],
                     char message[JK_MESSAGE_MAX], jk_event_t **event)
{
    jk_report_t report, decision;
    jk_report_reset (&decision);
    const jk_problem_t *problem = NULL;
    if (jk_log_check (bytes, size, recorded_at, event, &report) != 0)
        problem = &report.error;
    else {
        int rc = jk_model_decide (model, *event, &decision);
        if (rc == JK_IO)
            return JK_IO;
        if (rc != 0)
            problem = &decision.error;
    }
    code[0] = message[0] = 0;
    if (problem) {
        snprintf (code, JK_CODE_MAX, "%s",
                  problem->code[0] ? problem->code : "E_REJECTED");
        snprintf (message, JK_MESSAGE_MAX, "%s", problem->message);
    }
    return JK_OK;
}

/* One logged record re-derived and compared with its logged verdict;
   the model then follows the log. JK_IO when deciding failed. */
static int s_check_row (jk_model_t *model, sqlite3_stmt *rows,
                        jk_decisions_result_t *result)
{
    uint64_t pos = (uint64_t)sqlite3_column_int64 (rows, 0);
    int64_t recorded_at = sqlite3_column_int64 (rows, 1);
    bool rejected = sqlite3_column_int (rows, 2) == JK_LOG_REJECTED;
    const char *code = (const char *)sqlite3_column_text (rows, 3);
    const char *message = (const char *)sqlite3_column_text (rows, 4);
    char derived_code[JK_CODE_MAX], derived_message[JK_MESSAGE_MAX];
    jk_event_t *event = NULL;
    if (s_derive (model, sqlite3_column_blob (rows, 5),
                  (size_t)sqlite3_column_bytes (rows, 5), recorded_at,
                  derived_code, derived_message, &event) != JK_OK) {
        jk_event_destroy (&event);
        snprintf (result->message, sizeof result->message,
                  "deciding position %llu failed", (unsigned long long)pos);
        return JK_IO;
    }
    /* The stored code and message are the logged verdict; an
       answer's text was cut to JK_MESSAGE_MAX the same way. */
    char logged_code[JK_CODE_MAX], logged_message[JK_MESSAGE_MAX];
    snprintf (logged_code, sizeof logged_code, "%s",
              rejected && code ? code : "");
    snprintf (logged_message, sizeof logged_message, "%s",
              rejected && message ? message : "");
    bool same = strcmp (logged_code, derived_code) == 0 &&
                strcmp (logged_message, derived_message) == 0;
    result->records++;
    if (rejected)
        result->rejected++;
    else
        result->accepted++;
    if (!same && result->mismatches++ == 0) {
        result->first_pos = pos;
        /* Cut to the buffer on purpose: the return value is read so
           that -Wformat-truncation (Debug builds) accepts it. */
        int n = snprintf (
            result->message, sizeof result->message,
            "position %llu: logged %s %s, re-derived %s %s",
            (unsigned long long)pos, logged_code[0] ? logged_code : "accepted",
            logged_message, derived_code[0] ? derived_code : "accepted",
            derived_message);
        (void)n;
    }
    /* The state follows the log, whatever was re-derived. */
    if (!rejected && event)
        jk_model_apply (model, event, pos);
    jk_event_destroy (&event);
    return JK_OK;
}

int jk_log_verify_decisions (const char *path, jk_decisions_result_t *result,
                             jk_progress_fn *progress, void *progress_arg)
{
    assert (path && result);
    memset (result, 0, sizeof *result);
    struct stat st;
    sqlite3 *db = NULL;
    if (stat (path, &st) != 0 ||
        sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK) {
        snprintf (result->message, sizeof result->message, "cannot open %s",
                  path);
        sqlite3_close (db);
        return JK_IO;
    }
    sqlite3_busy_timeout (db, 5000);
    sqlite3_stmt *rows = NULL;
    jk_model_t *model = jk_model_new (false);
    int status = JK_IO;
    uint64_t total = 0;
    if (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (db, "SELECT count(*) FROM log", -1, &rows, NULL) !=
            SQLITE_OK ||
        sqlite3_step (rows) != SQLITE_ROW) {
        snprintf (result->message, sizeof result->message,
                  "cannot read the log of %s: %s", path, sqlite3_errmsg (db));
        goto cleanup;
    }
    total = (uint64_t)sqlite3_column_int64 (rows, 0);
    sqlite3_finalize (rows);
    if (sqlite3_prepare_v2 (db,
                            "SELECT pos, recorded_at, outcome, code, message,"
                            " bytes FROM log ORDER BY pos",
                            -1, &rows, NULL) != SQLITE_OK) {
        snprintf (result->message, sizeof result->message,
                  "cannot read the log of %s: %s", path, sqlite3_errmsg (db));
        goto cleanup;
    }
    int rc;
    while ((rc = sqlite3_step (rows)) == SQLITE_ROW) {
        if (s_check_row (model, rows, result) != JK_OK)
            goto cleanup;
        if (progress && result->records % S_PROGRESS_EVERY == 0)
            progress (progress_arg, result->records, total);
    }
    if (rc != SQLITE_DONE) {
        snprintf (result->message, sizeof result->message,
                  "cannot read the log of %s: %s", path, sqlite3_errmsg (db));
        goto cleanup;
    }
    if (progress)
        progress (progress_arg, result->records, total);
    status = result->mismatches ? JK_INVALID : JK_OK;
cleanup:
    sqlite3_finalize (rows);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (db);
    jk_model_destroy (&model);
    return status;
}
