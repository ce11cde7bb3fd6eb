/*  logread.c - read-only access to a copy of the event log: opening it,
    iterating records in position order, counting, finding the position of
    a moment, and kept heads (print and parse). Used by every jejak-replay
    command. */
#include "jk_replay.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct jk_replay_cursor_s {
    sqlite3_stmt *stmt;     /* SELECT ... FROM log ORDER BY pos */
    jk_envelope_t envelope; /* the row's, read from its bytes */
};

static const uint8_t s_zero_hash[32];

int jk_replay_path_check (const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
        snprintf (err, err_size, "cannot read %s: is a directory", path);
    else if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
        snprintf (err, err_size, "%s: no such database file", path);
    else
        return JK_OK;
    return JK_NOT_FOUND;
}

sqlite3 *jk_replay_open (const char *path, char *err, size_t err_size)
{
    if (jk_replay_path_check (path, err, err_size) != JK_OK)
        return NULL;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        snprintf (err, err_size, "%s: cannot open: %s", path,
                  db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    sqlite3_stmt *stmt = NULL;
    rc = sqlite3_prepare_v2 (db,
                             "SELECT count(*) FROM sqlite_master "
                             "WHERE type = 'table' AND name = 'log'",
                             -1, &stmt, NULL);
    bool has_log = rc == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW &&
                   sqlite3_column_int (stmt, 0) == 1;
    if (rc != SQLITE_OK || !has_log) {
        snprintf (err, err_size, "%s: %s", path,
                  rc != SQLITE_OK ? sqlite3_errmsg (db)
                                  : "not a Jejak database (no log table)");
        sqlite3_finalize (stmt);
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_finalize (stmt);
    return db;
}

jk_replay_cursor_t *jk_replay_cursor_new (sqlite3 *db, uint64_t from_pos,
                                          uint64_t until_pos, char *err,
                                          size_t err_size)
{
    jk_replay_cursor_t *self = jk_calloc (1, sizeof *self);
    const char *sql = "SELECT pos, recorded_at, outcome, code, message, "
                      "bytes, hash FROM log "
                      "WHERE pos >= ?1 AND pos <= ?2 ORDER BY pos";
    if (sqlite3_prepare_v2 (db, sql, -1, &self->stmt, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "reading the log: %s", sqlite3_errmsg (db));
        jk_replay_cursor_destroy (&self);
        return NULL;
    }
    sqlite3_bind_int64 (self->stmt, 1, (sqlite3_int64)from_pos);
    sqlite3_bind_int64 (self->stmt, 2,
                        until_pos && until_pos <= INT64_MAX
                            ? (sqlite3_int64)until_pos
                            : INT64_MAX);
    return self;
}

void jk_replay_cursor_destroy (jk_replay_cursor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sqlite3_finalize ((*self_p)->stmt);
    free (*self_p);
    *self_p = NULL;
}

static const char *s_text (sqlite3_stmt *stmt, int column)
{
    const unsigned char *t = sqlite3_column_text (stmt, column);
    return t ? (const char *)t : "";
}

int jk_replay_cursor_next (jk_replay_cursor_t *self, jk_replay_row_t *row,
                           char *err, size_t err_size)
{
    int rc = sqlite3_step (self->stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        snprintf (err, err_size, "reading the log: %s",
                  sqlite3_errmsg (sqlite3_db_handle (self->stmt)));
        return -1;
    }
    sqlite3_stmt *s = self->stmt;
    memset (row, 0, sizeof *row);
    row->pos = (uint64_t)sqlite3_column_int64 (s, 0);
    row->recorded_at = sqlite3_column_int64 (s, 1);
    row->outcome = sqlite3_column_int (s, 2);
    row->code = s_text (s, 3);
    row->message = s_text (s, 4);
    row->bytes = sqlite3_column_blob (s, 5);
    row->size = (size_t)sqlite3_column_bytes (s, 5);
    if (!row->bytes)
        row->bytes = s_zero_hash; /* an empty blob: never dereferenced */
    /* What the hashed bytes say, not the table's copies (which a copy's
       holder can change without breaking the chain). */
    jk_envelope_peek (row->bytes, row->size, &self->envelope);
    row->type = self->envelope.type;
    row->source = self->envelope.source;
    const void *hash = sqlite3_column_blob (s, 6);
    row->hash = hash && sqlite3_column_bytes (s, 6) == 32 ? hash : s_zero_hash;
    return 1;
}

/* Runs a one-value integer query with up to two bound integers. */
static int64_t s_scalar (sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64 (stmt, 1, a);
    sqlite3_bind_int64 (stmt, 2, b);
    int64_t value =
        sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : -1;
    sqlite3_finalize (stmt);
    return value;
}

int64_t jk_replay_count (sqlite3 *db, uint64_t from_pos, uint64_t until_pos)
{
    return s_scalar (
        db, "SELECT count(*) FROM log WHERE pos >= ?1 AND pos <= ?2",
        (int64_t)from_pos,
        until_pos && until_pos <= INT64_MAX ? (int64_t)until_pos : INT64_MAX);
}

int jk_replay_head (sqlite3 *db, jk_replay_head_t *head, char *err,
                    size_t err_size)
{
    memset (head, 0, sizeof *head);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT pos, hash, recorded_at FROM log "
                            "ORDER BY pos DESC LIMIT 1",
                            -1, &stmt, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "reading the head: %s", sqlite3_errmsg (db));
        return -1;
    }
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        head->pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
        if (sqlite3_column_bytes (stmt, 1) == 32)
            memcpy (head->hash, sqlite3_column_blob (stmt, 1), 32);
        head->recorded_at = sqlite3_column_int64 (stmt, 2);
    } else if (rc != SQLITE_DONE) {
        snprintf (err, err_size, "reading the head: %s", sqlite3_errmsg (db));
        sqlite3_finalize (stmt);
        return -1;
    }
    sqlite3_finalize (stmt);
    return 0;
}

void jk_replay_head_format (const jk_replay_head_t *head, const char *db_name,
                            char *out, size_t size)
{
    char hex[65];
    jk_hex_format (head->hash, 32, hex);
    char when[26] = "-";
    if (head->recorded_at)
        jk_time_format_wib (head->recorded_at, when);
    const char *base = db_name ? strrchr (db_name, '/') : NULL;
    base = base ? base + 1 : db_name;
    snprintf (out, size, "jejak-head pos=%llu hash=%s recorded_at=%s%s%s",
              (unsigned long long)head->pos, hex, when, base ? " db=" : "",
              base ? base : "");
}

/* Parses POS and 64 hex digits, each spanning exactly its text. */
static int s_head_parts (const char *pos, size_t pos_len, const char *hash,
                         size_t hash_len, jk_replay_head_t *head, char *err,
                         size_t err_size)
{
    char digits[24];
    if (pos_len == 0 || pos_len >= sizeof digits) {
        snprintf (err, err_size, "head: position must be a whole number");
        return -1;
    }
    memcpy (digits, pos, pos_len);
    digits[pos_len] = 0;
    if (jk_parse_u64 (digits, &head->pos) != JK_OK) {
        snprintf (err, err_size,
                  "head: position must be a whole number, got '%s'", digits);
        return -1;
    }
    char hex[65];
    if (hash_len != 64) {
        snprintf (err, err_size,
                  "head: hash must be 64 hex digits, got %zu characters",
                  hash_len);
        return -1;
    }
    memcpy (hex, hash, 64);
    hex[64] = 0;
    if (jk_hex_parse (hex, head->hash, 32) != JK_OK) {
        snprintf (err, err_size, "head: hash must be 64 hex digits");
        return -1;
    }
    return 0;
}

int jk_replay_head_parse (const char *text, jk_replay_head_t *head, char *err,
                          size_t err_size)
{
    memset (head, 0, sizeof *head);
    while (isspace ((unsigned char)*text))
        text++;
    size_t len = strlen (text);
    while (len > 0 && isspace ((unsigned char)text[len - 1]))
        len--;
    const char *pos = NULL, *hash = NULL;
    size_t pos_len = 0, hash_len = 0;
    if (strncmp (text, "jejak-head", 10) != 0) {
        /* The short form POS:HASH. */
        const char *colon = memchr (text, ':', len);
        if (!colon) {
            snprintf (err, err_size,
                      "head: expected POS:HASH or a 'jejak-head pos=... "
                      "hash=...' line");
            return -1;
        }
        pos = text;
        pos_len = (size_t)(colon - text);
        hash = colon + 1;
        hash_len = len - pos_len - 1;
    } else {
        /* A whole line: pick the pos= and hash= words. */
        const char *p = text + 10, *end = text + len;
        while (p < end) {
            while (p < end && isspace ((unsigned char)*p))
                p++;
            const char *word = p;
            while (p < end && !isspace ((unsigned char)*p))
                p++;
            size_t n = (size_t)(p - word);
            if (n > 4 && memcmp (word, "pos=", 4) == 0) {
                pos = word + 4;
                pos_len = n - 4;
            } else if (n > 5 && memcmp (word, "hash=", 5) == 0) {
                hash = word + 5;
                hash_len = n - 5;
            }
        }
        if (!pos || !hash) {
            snprintf (err, err_size,
                      "head: the line must have pos=N and hash=HEX");
            return -1;
        }
    }
    return s_head_parts (pos, pos_len, hash, hash_len, head, err, err_size);
}

/* Reads exactly n digits into *out. */
static bool s_digits (const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit ((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

int jk_replay_parse_time (const char *text, int64_t *ms)
{
    size_t len = strlen (text);
    if (len == 0)
        return -1;
    bool all_digits = true;
    for (size_t i = 0; i < len; i++)
        if (!isdigit ((unsigned char)text[i]))
            all_digits = false;
    if (all_digits) {
        uint64_t v;
        if (jk_parse_u64 (text, &v) != JK_OK || v > INT64_MAX)
            return -1;
        *ms = (int64_t)v;
        return 0;
    }
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, s = 0, milli = 0;
    if (!s_digits (&p, 4, &y) || *p++ != '-' || !s_digits (&p, 2, &mo) ||
        *p++ != '-' || !s_digits (&p, 2, &d) || !jk_date_valid (y, mo, d))
        return -1;
    int64_t offset = JK_WIB_OFFSET_MS;
    bool date_only = *p == 0;
    if (!date_only) {
        if (*p != 'T' && *p != ' ')
            return -1;
        p++;
        if (!s_digits (&p, 2, &h) || *p++ != ':' || !s_digits (&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (!s_digits (&p, 2, &s))
                return -1;
            if (*p == '.') {
                p++;
                if (!s_digits (&p, 3, &milli))
                    return -1;
            }
        }
        if (h > 23 || mi > 59 || s > 59)
            return -1;
        if (*p == 'Z') {
            offset = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '+' ? 1 : -1, oh, om;
            if (!s_digits (&p, 2, &oh) || *p++ != ':' ||
                !s_digits (&p, 2, &om) || oh > 23 || om > 59)
                return -1;
            offset = sign * ((int64_t)oh * 3600 + om * 60) * 1000;
        }
        if (*p)
            return -1;
    } else {
        h = 23;
        mi = 59;
        s = 59;
        milli = 999;
    }
    int64_t days = jk_days_from_civil (y, mo, d);
    *ms = days * 86400000 + ((int64_t)h * 3600 + mi * 60 + s) * 1000 + milli -
          offset;
    return 0;
}
