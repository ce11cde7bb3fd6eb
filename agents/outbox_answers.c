/*  outbox_answers.c - the delivery's bookkeeping in the outbox: rows
    marked sent, the store's answers recorded, rows queued again or
    quarantined, and the hub's clock as last seen. */
#include "outbox_internal.h"

#include <stdio.h>
#include <string.h>

static int s_step_done (jk_outbox_t *self, sqlite3_stmt *st, const char *op)
{
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    return rc == SQLITE_DONE ? JK_OK : jk_outbox_fail (self, op);
}

int jk_outbox_mark_sent (jk_outbox_t *self, uint64_t first, uint64_t last,
                         int64_t now_ms)
{
    sqlite3_stmt *st = self->q[Q_MARK_SENT];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, now_ms);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)first);
    sqlite3_bind_int64 (st, 3, (sqlite3_int64)last);
    return s_step_done (self, st, "mark_sent");
}

int jk_outbox_record (jk_outbox_t *self, uint64_t seq, const jk_answer_t *a)
{
    return jk_outbox_record_sent (self, seq, a, 0);
}

int jk_outbox_record_sent (jk_outbox_t *self, uint64_t seq,
                           const jk_answer_t *a, int64_t sent_ms)
{
    bool stored = a->kind == JK_ANSWER_ACK ||
                  (a->kind == JK_ANSWER_DUPLICATE && a->code[0] == 0);
    sqlite3_stmt *st = self->q[stored ? Q_STORED : Q_REJECTED];
    sqlite3_reset (st);
    if (a->kind == JK_ANSWER_NACK)
        sqlite3_bind_null (st, 1);
    else
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)a->pos);
    if (a->kind == JK_ANSWER_NACK)
        sqlite3_bind_null (st, 2);
    else
        sqlite3_bind_blob (st, 2, a->hash, 32, SQLITE_STATIC);
    if (stored) {
        sqlite3_bind_null (st, 3);
        sqlite3_bind_null (st, 4);
    } else {
        sqlite3_bind_text (st, 3, a->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 4, a->message, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64 (st, 5, (sqlite3_int64)seq);
    if (sent_ms > 0)
        sqlite3_bind_int64 (st, 6, sent_ms);
    else
        sqlite3_bind_null (st, 6);
    sqlite3_bind_int (st, 7, sent_ms > 0);
    if (s_step_done (self, st, "record"))
        return JK_IO;
    return sqlite3_changes (self->db);
}

int jk_outbox_requeue (jk_outbox_t *self, uint64_t seq)
{
    sqlite3_stmt *st = self->q[Q_REQUEUE];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)seq);
    return s_step_done (self, st, "requeue");
}

int64_t jk_outbox_redeliver (jk_outbox_t *self, uint64_t from_seq)
{
    sqlite3_stmt *st = self->q[Q_REDELIVER];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)from_seq);
    if (s_step_done (self, st, "redeliver") != JK_OK)
        return JK_IO;
    return sqlite3_changes (self->db);
}

/* Runs the count of PENDING and SENT rows up to until_seq of query q. */
static int64_t s_open (jk_outbox_t *self, int q, uint64_t until_seq)
{
    sqlite3_stmt *st = self->q[q];
    sqlite3_reset (st);
    sqlite3_bind_int64 (st, 1,
                        until_seq ? (sqlite3_int64)until_seq : INT64_MAX);
    int64_t n = -1;
    if (sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int64 (st, 0);
    else
        jk_outbox_fail (self, "open_count");
    sqlite3_reset (st);
    return n;
}

int64_t jk_outbox_open_count (jk_outbox_t *self, uint64_t until_seq)
{
    return s_open (self, Q_OPEN, until_seq);
}

int jk_outbox_open_any (jk_outbox_t *self, uint64_t until_seq)
{
    return (int)s_open (self, Q_OPEN_ANY, until_seq);
}

int jk_outbox_reject_local (jk_outbox_t *self, uint64_t seq, const char *code,
                            const char *message)
{
    jk_answer_t a = {.kind = JK_ANSWER_NACK};
    snprintf (a.code, sizeof a.code, "%s", code);
    snprintf (a.message, sizeof a.message, "%s", message);
    return jk_outbox_record (self, seq, &a);
}

int jk_outbox_quarantine (jk_outbox_t *self, uint64_t seq, const char *why)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "UPDATE events SET state = 4, code = ?,"
                            " message = ? WHERE seq = ? AND state != 4",
                            -1, &st, NULL) != SQLITE_OK)
        return jk_outbox_fail (self, "quarantine");
    sqlite3_bind_text (st, 1, "E_OUTBOX_DAMAGED", -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, why, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 3, (sqlite3_int64)seq);
    int rc = sqlite3_step (st) == SQLITE_DONE
                 ? JK_OK
                 : jk_outbox_fail (self, "quarantine");
    sqlite3_finalize (st);
    return rc;
}

int jk_outbox_check_row (jk_outbox_t *self, const jk_outbox_row_t *row,
                         char *why, size_t why_size)
{
    jk_envelope_t env;
    if (!jk_envelope_peek (row->bytes, row->size, &env)) {
        snprintf (why, why_size,
                  "its stored bytes are not a readable event (%zu bytes)",
                  row->size);
        return JK_INVALID;
    }
    if (strcmp (env.source, self->source) != 0) {
        char shown[JK_SOURCE_MAX + 1];
        size_t n = 0;
        for (const char *p = env.source; *p && n < JK_SOURCE_MAX; p++)
            shown[n++] = *p > ' ' && *p < 0x7f ? *p : '?';
        shown[n] = 0;
        snprintf (why, why_size,
                  "its stored bytes name source '%s', not this outbox's %s",
                  shown, self->source);
        return JK_INVALID;
    }
    if (env.seq != row->seq) {
        snprintf (why, why_size,
                  "its stored bytes carry seq %llu, the row is seq %llu",
                  (unsigned long long)env.seq, (unsigned long long)row->seq);
        return JK_INVALID;
    }
    if (memcmp (env.id, row->id, 16) != 0) {
        snprintf (why, why_size,
                  "its stored bytes carry another id than the row");
        return JK_INVALID;
    }
    return 0;
}

int jk_outbox_set_clock (jk_outbox_t *self, int64_t offset_ms, int64_t at_ms)
{
    char value[64];
    snprintf (value, sizeof value, "%lld %lld", (long long)offset_ms,
              (long long)at_ms);
    return jk_outbox_meta_set (self, "hub_clock", value);
}

int jk_outbox_clock (jk_outbox_t *self, int64_t *offset_ms, int64_t *at_ms)
{
    char value[64];
    long long offset, at;
    if (!jk_outbox_meta_get (self, "hub_clock", value, sizeof value) ||
        sscanf (value, "%lld %lld", &offset, &at) != 2)
        return JK_NOT_FOUND;
    *offset_ms = offset;
    if (at_ms)
        *at_ms = at;
    return JK_OK;
}

int jk_outbox_batch_begin (jk_outbox_t *self)
{
    return jk_outbox_begin_sync (self, false);
}

int jk_outbox_batch_end (jk_outbox_t *self)
{
    if (jk_outbox_exec (self, "COMMIT")) {
        if (sqlite3_get_autocommit (self->db) == 0)
            jk_outbox_exec (self, "ROLLBACK");
        return JK_IO;
    }
    return JK_OK;
}
