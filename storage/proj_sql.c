/*  proj_sql.c - small SQLite helpers of the projection files: binding a
    body field, stepping a prepared statement, reading a column as text,
    the normalised legal number of a field, a held row written. */
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

/* ---- helpers shared with rules.c ---------------------------------------- */

void jk_proj_bind_field (sqlite3_stmt *stmt, int index, const jk_event_t *event,
                         const char *field)
{
    int i = jk_type_field (event->type, field, strlen (field));
    assert (i >= 0);
    const jk_value_t *v = &event->body[i];
    if (!v->present) {
        sqlite3_bind_null (stmt, index);
        return;
    }
    switch (event->type->fields[i].kind) {
        case JK_KIND_UINT:
        case JK_KIND_BOOL:
            sqlite3_bind_int64 (stmt, index, v->n);
            break;
        default:
            sqlite3_bind_text (stmt, index, v->s.ptr, (int)v->s.len,
                               SQLITE_STATIC);
    }
}

jk_str_t jk_proj_text (const jk_event_t *event, const char *field)
{
    const jk_value_t *v = jk_event_get (event, field);
    if (!v || !v->present)
        return (jk_str_t){NULL, 0};
    return v->s;
}

int64_t jk_proj_number (const jk_event_t *event, const char *field,
                        int64_t fallback)
{
    const jk_value_t *v = jk_event_get (event, field);
    return v && v->present ? v->n : fallback;
}

int jk_proj_query (jk_projections_t *self, jk_stmt_id_t id)
{
    sqlite3_stmt *stmt = self->stmt[id];
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        return rc;
    sqlite3_reset (stmt);
    if (rc == SQLITE_DONE)
        return rc;
    jk_error (LOG, "query %d failed: %s", (int)id, sqlite3_errmsg (self->db));
    return -1;
}

int jk_proj_exec (jk_projections_t *self, jk_stmt_id_t id)
{
    sqlite3_stmt *stmt = self->stmt[id];
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc == SQLITE_DONE)
        return JK_OK;
    jk_error (LOG, "statement %d failed: %s", (int)id,
              sqlite3_errmsg (self->db));
    return JK_IO;
}

jk_legal_class_t jk_proj_legal (const jk_event_t *event, const char *field,
                                char out[JK_PROJ_LEGAL_MAX])
{
    jk_str_t s = jk_proj_text (event, field);
    return jk_legal_number_normalise (s.ptr ? s.ptr : "", s.len, out,
                                      JK_PROJ_LEGAL_MAX);
}

void jk_proj_column_text (sqlite3_stmt *stmt, int col, char *out, size_t size)
{
    assert (size > 0);
    const unsigned char *text = sqlite3_column_text (stmt, col);
    /* As snprintf "%s" did: up to the first NUL, truncated to fit. */
    size_t len = text ? strnlen ((const char *)text, size - 1) : 0;
    if (len)
        memcpy (out, text, len);
    out[len] = 0;
}

int jk_proj_minutes (const char *t)
{
    if (strlen (t) != 5 || t[2] != ':')
        return -1;
    return ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 +
           (t[4] - '0');
}

int jk_proj_held_write (jk_projections_t *self, jk_proj_held_t **held_p,
                        const int64_t *counters, int count)
{
    jk_proj_held_t *held = *held_p;
    const jk_prow_t *row = held->row;
    sqlite3_stmt *st = counters ? row->held_stmt : row->stmt;
    for (int k = 0; k < row->binds; k++) {
        const char *ptr = held->text + held->n[k];
        int len = (int)held->len[k];
        switch (held->type[k]) {
            case SQLITE_INTEGER:
                sqlite3_bind_int64 (st, k + 1, held->n[k]);
                break;
            case SQLITE_TEXT:
                sqlite3_bind_text (st, k + 1, ptr, len, SQLITE_STATIC);
                break;
            case SQLITE_BLOB:
                sqlite3_bind_blob (st, k + 1, ptr, len, SQLITE_STATIC);
                break;
            default:
                sqlite3_bind_null (st, k + 1);
        }
    }
    int extra = counters ? sqlite3_bind_parameter_count (st) - row->binds : 0;
    for (int c = 0; c < extra; c++)
        sqlite3_bind_int64 (st, row->binds + c + 1,
                            c < count ? counters[c] : 0);
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    free (held);
    *held_p = NULL;
    if (rc == SQLITE_DONE)
        return JK_OK;
    jk_error (LOG, "%s writing %s failed: %s", row->write->type,
              row->write->table, sqlite3_errmsg (self->db));
    return JK_IO;
}

void jk_proj_held_max (jk_proj_held_t *held, const char *column, int64_t value)
{
    for (int k = 0; k < held->row->binds; k++)
        if (held->type[k] == SQLITE_INTEGER && held->n[k] < value &&
            streq (held->row->write->binds[k].column, column))
            held->n[k] = value;
}
