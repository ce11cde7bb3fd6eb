/*  snapshot.c - as-of answers computed from the projection tables: the
    cooperatives active on a day, and the status board's snapshot (one
    MessagePack map, docs/PROJECTIONS.md "Snapshot"). Called by the
    store's query endpoint and by jejak-status through it. */
#include "jk_active.h"
#include "projections_internal.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

/* Active as of :day under a rule (jk_active.h): a RAT for a counted book
   year held on or before the day, and the latest status declared on or
   before it (by date, then position) not one that ends activity. */
#define ACTIVE_FROM " FROM cooperatives c WHERE" JK_ACTIVE_WHERE

int64_t jk_projections_active (sqlite3 *db, int32_t as_of_day,
                               const char *kecamatan_code)
{
    return jk_projections_active_rule (db, as_of_day, NULL, kecamatan_code);
}

int64_t jk_projections_active_rule (sqlite3 *db, int32_t as_of_day,
                                    const jk_active_rule_t *rule,
                                    const char *kecamatan_code)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT count(*)" ACTIVE_FROM
                            " AND (:kecamatan IS NULL"
                            " OR c.kecamatan_code = :kecamatan)",
                            -1, &st, NULL) != SQLITE_OK) {
        jk_error (LOG, "active: %s", sqlite3_errmsg (db));
        return -1;
    }
    char date[11];
    jk_active_bind (st, as_of_day, rule, date);
    if (kecamatan_code)
        sqlite3_bind_text (st, sqlite3_bind_parameter_index (st, ":kecamatan"),
                           kecamatan_code, -1, SQLITE_STATIC);
    int64_t count = -1;
    if (sqlite3_step (st) == SQLITE_ROW)
        count = sqlite3_column_int64 (st, 0);
    else
        jk_error (LOG, "active: %s", sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return count;
}

int64_t jk_projections_last_pos (sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int64_t pos = -1;
    if (sqlite3_prepare_v2 (db,
                            "SELECT max ((SELECT coalesce (max (last_pos),"
                            " 0) FROM sources), (SELECT value FROM"
                            " projection_meta WHERE key = 'last_pos'))",
                            -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        pos = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    return pos;
}

/* ---- snapshot -------------------------------------------------------------
 */

static void s_key (msgpack_packer *pk, const char *key)
{
    size_t n = strlen (key);
    msgpack_pack_str (pk, n);
    msgpack_pack_str_body (pk, key, n);
}

static void s_column_str (msgpack_packer *pk, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text (st, col);
    if (!t) {
        msgpack_pack_nil (pk);
        return;
    }
    size_t n = (size_t)sqlite3_column_bytes (st, col);
    msgpack_pack_str (pk, n);
    msgpack_pack_str_body (pk, t, n);
}

static void s_kv_int (msgpack_packer *pk, const char *key, int64_t value)
{
    s_key (pk, key);
    msgpack_pack_int64 (pk, value);
}

static void s_kv_col (msgpack_packer *pk, const char *key, sqlite3_stmt *st,
                      int col)
{
    s_key (pk, key);
    if (sqlite3_column_type (st, col) == SQLITE_INTEGER)
        msgpack_pack_int64 (pk, sqlite3_column_int64 (st, col));
    else
        s_column_str (pk, st, col);
}

/* The day a snapshot is computed for, and the active rule. */
typedef struct {
    int32_t day;
    const jk_active_rule_t *rule;
    char date[11];
} s_as_of_t;

/* Prepares sql and binds the named as-of parameters it uses (:day, :from,
   :to, :quorum, :book_year); NULL on failure. */
static sqlite3_stmt *s_prepare (sqlite3 *db, const char *sql, s_as_of_t *as_of)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK) {
        jk_error (LOG, "snapshot: %s", sqlite3_errmsg (db));
        return NULL;
    }
    jk_active_bind (st, as_of->day, as_of->rule, as_of->date);
    return st;
}

/* Counts rows of one query into an array of values. */
typedef struct {
    char code[16];
    int64_t active;
} active_row_t;

static int s_kecamatan (sqlite3 *db, msgpack_packer *pk, s_as_of_t *as_of)
{
    /* Active counts per kecamatan first, then merged by code. */
    sqlite3_stmt *st =
        s_prepare (db,
                   "SELECT c.kecamatan_code, count(*)" ACTIVE_FROM
                   " GROUP BY c.kecamatan_code"
                   " ORDER BY c.kecamatan_code",
                   as_of);
    if (!st)
        return -1;
    size_t count = 0, cap = 64;
    active_row_t *active = jk_malloc (cap * sizeof *active);
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        if (count == cap)
            active = jk_realloc (active, (cap *= 2) * sizeof *active);
        jk_proj_column_text (st, 0, active[count].code,
                             sizeof active[count].code);
        active[count++].active = sqlite3_column_int64 (st, 1);
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE) {
        free (active);
        return -1;
    }
    st = s_prepare (db,
                    "SELECT kecamatan_code, name, cooperatives, people,"
                    " enrolled, assessed, competent, certificates"
                    " FROM kecamatan_summary ORDER BY kecamatan_code",
                    as_of);
    if (!st) {
        free (active);
        return -1;
    }
    int64_t rows = 0;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
        rows++;
    sqlite3_reset (st);
    s_key (pk, "kecamatan");
    msgpack_pack_array (pk, (size_t)rows);
    size_t a = 0;
    while (rows-- > 0 && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text (st, 0);
        while (a < count && strcmp (active[a].code, code) < 0)
            a++;
        int64_t n = a < count && strcmp (active[a].code, code) == 0
                        ? active[a].active
                        : 0;
        msgpack_pack_map (pk, 9);
        s_kv_col (pk, "code", st, 0);
        s_kv_col (pk, "name", st, 1);
        s_kv_col (pk, "cooperatives", st, 2);
        s_kv_int (pk, "active", n);
        s_kv_col (pk, "people", st, 3);
        s_kv_col (pk, "enrolled", st, 4);
        s_kv_col (pk, "assessed", st, 5);
        s_kv_col (pk, "competent", st, 6);
        s_kv_col (pk, "certificates", st, 7);
    }
    free (active);
    sqlite3_finalize (st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Packs every row of a query as an array of maps with the given keys
   (one per column). Rows are counted first: MessagePack arrays state their
   length up front. */
static int s_rows (sqlite3 *db, msgpack_packer *pk, const char *key,
                   const char *sql, const char *const *keys, s_as_of_t *as_of)
{
    sqlite3_stmt *st = s_prepare (db, sql, as_of);
    if (!st)
        return -1;
    int rc;
    size_t rows = 0;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
        rows++;
    sqlite3_reset (st);
    if (rc != SQLITE_DONE) {
        sqlite3_finalize (st);
        return -1;
    }
    size_t cols = 0;
    while (keys[cols])
        cols++;
    s_key (pk, key);
    msgpack_pack_array (pk, rows);
    for (size_t r = 0; r < rows && sqlite3_step (st) == SQLITE_ROW; r++) {
        msgpack_pack_map (pk, cols);
        for (size_t c = 0; c < cols; c++) {
            s_key (pk, keys[c]);
            switch (sqlite3_column_type (st, (int)c)) {
                case SQLITE_INTEGER:
                    msgpack_pack_int64 (pk, sqlite3_column_int64 (st, (int)c));
                    break;
                case SQLITE_FLOAT:
                    msgpack_pack_double (pk,
                                         sqlite3_column_double (st, (int)c));
                    break;
                case SQLITE_NULL:
                    msgpack_pack_nil (pk);
                    break;
                default:
                    s_column_str (pk, st, (int)c);
            }
        }
    }
    sqlite3_finalize (st);
    return 0;
}

static const char *const s_batch_keys[] = {
    "batch",    "title",          "start_date",     "end_date",
    "closed",   "class_size_max", "enrolled",       "sessions",
    "jp_total", "present_today",  "attendance_pct", NULL};

/* Batches not yet closed, or that ended at most 90 days before the day
   (so a board can still show how a finished batch went), oldest first;
   present_today counts people (HADIR or TERLAMBAT in a session of the
   day), not person-sessions;
   attendance_pct = jp attended / (jp_total x enrolled), over participants
   not withdrawn. */
static const char *s_batch_sql =
    "SELECT b.batch, b.title, b.start_date, b.end_date, b.closed,"
    " b.class_size_max, b.enrolled, b.sessions, b.jp_total,"
    " (SELECT count (DISTINCT a.nik) FROM attendance a JOIN sessions s"
    "  ON s.batch = a.batch AND s.session_no = a.session_no"
    "  WHERE a.batch = b.batch AND s.date = :day"
    "  AND a.status IN ('HADIR', 'TERLAMBAT')),"
    " CASE WHEN b.jp_total * b.enrolled > 0 THEN round (100.0 *"
    "  (SELECT coalesce (sum (e.jp_attended), 0) FROM enrollments e"
    "   WHERE e.batch = b.batch AND e.withdrawn = 0)"
    "  / (b.jp_total * b.enrolled), 2) ELSE 0.0 END"
    " FROM batches b WHERE b.closed = 0"
    " OR b.end_date >= date (:day, '-90 days')"
    " ORDER BY b.start_date, b.batch";

static const char *const s_source_keys[] = {
    "source", "next_seq", "accepted", "rejected", "last_recorded_at", NULL};

static const char *const s_total_keys[] = {
    "cooperatives",       "people",      "enrolled",
    "assessed",           "competent",   "certificates",
    "certificates_valid", "rejections",  "rat_book_year",
    "rat_held",           "rat_on_time", "quality_open",
    "quality_resolved",   NULL};

static const char *s_total_sql =
    "SELECT (SELECT count(*) FROM cooperatives),"
    " (SELECT count(*) FROM people),"
    " (SELECT count(*) FROM people WHERE enrollments > 0),"
    " (SELECT count(*) FROM people WHERE units_assessed > 0),"
    " (SELECT count(*) FROM people WHERE competent > 0),"
    " (SELECT count(*) FROM certificates WHERE revoked = 0),"
    " (SELECT count(*) FROM certificates WHERE revoked = 0"
    "  AND issued_on <= :day AND valid_until >= :day),"
    " (SELECT count(*) FROM rejections),"
    " :book_year,"
    " (SELECT count(*) FROM rat_meetings WHERE book_year = :book_year"
    "  AND held_on <= :day),"
    " (SELECT count(*) FROM rat_meetings WHERE book_year = :book_year"
    "  AND held_on <= :day AND late = 0),"
    " (SELECT count(*) FROM data_quality WHERE resolved_pos IS NULL),"
    " (SELECT count(*) FROM data_quality WHERE resolved_pos IS NOT NULL)";

static int s_totals (sqlite3 *db, msgpack_packer *pk, s_as_of_t *as_of)
{
    sqlite3_stmt *st = s_prepare (db, s_total_sql, as_of);
    if (!st)
        return -1;
    if (sqlite3_step (st) != SQLITE_ROW) {
        sqlite3_finalize (st);
        return -1;
    }
    int64_t active =
        jk_projections_active_rule (db, as_of->day, as_of->rule, NULL);
    s_key (pk, "totals");
    size_t keys = 0;
    while (s_total_keys[keys])
        keys++;
    msgpack_pack_map (pk, keys + 1);
    s_kv_col (pk, s_total_keys[0], st, 0);
    s_kv_int (pk, "active", active);
    for (int c = 1; s_total_keys[c]; c++)
        s_kv_col (pk, s_total_keys[c], st, c);
    sqlite3_finalize (st);
    return active < 0 ? -1 : 0;
}

/* The rule the active figures were computed with: its setting, the book
   years it counted and its wording. */
static void s_rule (msgpack_packer *pk, const s_as_of_t *as_of)
{
    jk_active_rule_t rule;
    if (as_of->rule)
        rule = *as_of->rule;
    else
        jk_active_rule_default (&rule);
    jk_active_years_t years = jk_active_years (&rule, as_of->day);
    char spec[128], text[512];
    jk_active_rule_spec (&rule, spec, sizeof spec);
    jk_active_rule_describe (&rule, as_of->day, text, sizeof text);
    s_key (pk, "active_rule");
    msgpack_pack_map (pk, 5);
    s_key (pk, "spec");
    msgpack_pack_str (pk, strlen (spec));
    msgpack_pack_str_body (pk, spec, strlen (spec));
    s_key (pk, "text");
    msgpack_pack_str (pk, strlen (text));
    msgpack_pack_str_body (pk, text, strlen (text));
    s_kv_int (pk, "from_year", years.from_year);
    s_kv_int (pk, "to_year", years.to_year);
    s_kv_int (pk, "due_year", years.due_year);
}

uint8_t *jk_projections_snapshot (sqlite3 *db, int32_t as_of_day, size_t *size)
{
    return jk_projections_snapshot_rule (db, as_of_day, NULL, size);
}

uint8_t *jk_projections_snapshot_rule (sqlite3 *db, int32_t as_of_day,
                                       const jk_active_rule_t *rule,
                                       size_t *size)
{
    /* One read transaction (or a nested savepoint inside the caller's)
       so every number is from the same position. */
    if (sqlite3_exec (db, "SAVEPOINT jk_snapshot", NULL, NULL, NULL) !=
        SQLITE_OK) {
        jk_error (LOG, "snapshot: %s", sqlite3_errmsg (db));
        return NULL;
    }
    s_as_of_t as_of = {.day = as_of_day, .rule = rule};
    jk_date_format (as_of_day, as_of.date);
    msgpack_sbuffer buffer;
    msgpack_sbuffer_init (&buffer);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buffer, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    s_key (&pk, "as_of");
    msgpack_pack_str (&pk, 10);
    msgpack_pack_str_body (&pk, as_of.date, 10);
    int64_t pos = jk_projections_last_pos (db);
    if (pos < 0)
        jk_error (LOG, "last_pos: %s", sqlite3_errmsg (db));
    s_kv_int (&pk, "pos", pos);
    s_rule (&pk, &as_of);
    int rc = pos < 0 ? -1 : 0;
    if (rc == 0)
        rc = s_kecamatan (db, &pk, &as_of);
    if (rc == 0)
        rc = s_rows (db, &pk, "batches", s_batch_sql, s_batch_keys, &as_of);
    if (rc == 0)
        rc = s_rows (db, &pk, "sources",
                     "SELECT source, next_seq, accepted, rejected,"
                     " last_recorded_at FROM sources ORDER BY source",
                     s_source_keys, &as_of);
    if (rc == 0)
        rc = s_totals (db, &pk, &as_of);
    sqlite3_exec (db, "RELEASE jk_snapshot", NULL, NULL, NULL);
    if (rc != 0) {
        jk_error (LOG, "snapshot failed: %s", sqlite3_errmsg (db));
        msgpack_sbuffer_destroy (&buffer);
        return NULL;
    }
    *size = buffer.size;
    uint8_t *out = jk_malloc (buffer.size ? buffer.size : 1);
    memcpy (out, buffer.data, buffer.size);
    msgpack_sbuffer_destroy (&buffer);
    return out;
}
