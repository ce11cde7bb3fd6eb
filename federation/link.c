/* Whole at ~690 lines: the record map, copy schema and verify of both ends. */
/*  link.c - what both ends of the upstream link share (jk_link.h): the
    record map, area codes, the copy database's schema, the arrival chain,
    and the auditor's verification of a copy against its origin. */
#include "jk_link.h"
#include "jk_dbkind.h"
#include "jk_active.h"
#include "jk_base.h"
#include "jk_merkle.h"
#include "jk_note.h"
#include "jk_schema.h"
#include "jk_wire.h"

#include <limits.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- areas ----------------------------------------------------------------
 */

bool jk_link_area_valid (const char *area)
{
    return jk_region_area_valid (area);
}

bool jk_link_area_holds (const char *area, const char *origin)
{
    size_t n = strlen (area);
    return strncmp (origin, area, n) == 0 &&
           (origin[n] == 0 || origin[n] == '.');
}

/* ---- the record map -------------------------------------------------------
 */

static void s_pack_key (msgpack_packer *pk, const char *key)
{
    size_t n = strlen (key);
    msgpack_pack_str (pk, n);
    msgpack_pack_str_body (pk, key, n);
}

static void s_pack_str (msgpack_packer *pk, const char *key, const char *value)
{
    s_pack_key (pk, key);
    size_t n = value ? strlen (value) : 0;
    msgpack_pack_str (pk, n);
    msgpack_pack_str_body (pk, value ? value : "", n);
}

static void s_pack_bin (msgpack_packer *pk, const char *key,
                        const uint8_t *data, size_t size)
{
    s_pack_key (pk, key);
    msgpack_pack_bin (pk, size);
    msgpack_pack_bin_body (pk, data, size);
}

static void s_pack_u64 (msgpack_packer *pk, const char *key, uint64_t value)
{
    s_pack_key (pk, key);
    msgpack_pack_uint64 (pk, value);
}

zframe_t *jk_link_record_encode (const jk_link_record_t *r)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, r->rat_deadline_months ? 10 : 9);
    s_pack_u64 (&pk, "cursor", r->cursor);
    s_pack_str (&pk, "origin", r->origin);
    s_pack_u64 (&pk, "pos", r->pos);
    s_pack_u64 (&pk, "recorded_at", (uint64_t)r->recorded_at);
    s_pack_u64 (&pk, "outcome", (uint64_t)r->outcome);
    s_pack_str (&pk, "code", r->code);
    s_pack_str (&pk, "msg", r->message);
    s_pack_bin (&pk, "bytes", r->bytes, r->size);
    s_pack_bin (&pk, "hash", r->hash, JK_HASH_SIZE);
    /* Optional, last: a receiver of an older version ignores it. */
    if (r->rat_deadline_months)
        s_pack_u64 (&pk, "rat_deadline_months",
                    (uint64_t)r->rat_deadline_months);
    zframe_t *frame = zframe_new (sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy (&sbuf);
    return frame;
}

static const msgpack_object *s_get (const msgpack_object_map *map,
                                    const char *key)
{
    size_t n = strlen (key);
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp (k->via.str.ptr, key, n) == 0)
            return &map->ptr[i].val;
    }
    return NULL;
}

static int s_fail (char *err, size_t err_size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int s_fail (char *err, size_t err_size, const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    vsnprintf (err, err_size, format, ap);
    va_end (ap);
    return -1;
}

static int s_get_uint (const msgpack_object_map *map, const char *key,
                       uint64_t max, uint64_t *out, char *err, size_t err_size)
{
    const msgpack_object *o = s_get (map, key);
    if (!o || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return s_fail (err, err_size,
                       "record key '%s' must be an unsigned integer of at "
                       "most %llu",
                       key, (unsigned long long)max);
    *out = o->via.u64;
    return 0;
}

static int s_get_text (const msgpack_object_map *map, const char *key,
                       size_t max, char **out, char *err, size_t err_size)
{
    const msgpack_object *o = s_get (map, key);
    if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size > max ||
        memchr (o->via.str.ptr, 0, o->via.str.size) ||
        jk_utf8_length (o->via.str.ptr, o->via.str.size) < 0)
        return s_fail (err, err_size,
                       "record key '%s' must be a string of at most %zu bytes "
                       "of valid UTF-8 without NUL",
                       key, max);
    *out = jk_strndup (o->via.str.ptr, o->via.str.size);
    return 0;
}

int jk_link_record_decode (const uint8_t *data, size_t size,
                           jk_link_record_t *r, char *err, size_t err_size)
{
    memset (r, 0, sizeof *r);
    if (size > JK_EVENT_MAX_BYTES + 64 * 1024)
        return s_fail (err, err_size, "record map of %zu bytes is over %d",
                       size, JK_EVENT_MAX_BYTES + 64 * 1024);
    char why[128];
    /* Unknown keys are ignored whatever their values (PROTOCOL.md section
       2: how a map grows), nested as deep as any MessagePack we read. */
    if (jk_msgpack_check (data, size, JK_MSGPACK_DEPTH_MAX, NULL, why,
                          sizeof why))
        return s_fail (err, err_size, "record is not one MessagePack map: %s",
                       why);
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    size_t off = 0;
    int rc = -1;
    if (msgpack_unpack_next (&result, (const char *)data, size, &off) !=
            MSGPACK_UNPACK_SUCCESS ||
        off != size || result.data.type != MSGPACK_OBJECT_MAP) {
        s_fail (err, err_size, "record is not one MessagePack map");
        goto done;
    }
    const msgpack_object_map *map = &result.data.via.map;
    uint64_t value = 0;
    char *origin = NULL;
    if (s_get_uint (map, "cursor", INT64_MAX, &r->cursor, err, err_size) ||
        s_get_uint (map, "pos", INT64_MAX, &r->pos, err, err_size) ||
        s_get_uint (map, "recorded_at", INT64_MAX, &value, err, err_size))
        goto done;
    r->recorded_at = (int64_t)value;
    if (r->cursor == 0 || r->pos == 0) {
        s_fail (err, err_size, "record keys 'cursor' and 'pos' start at 1");
        goto done;
    }
    if (s_get_uint (map, "outcome", 1, &value, err, err_size))
        goto done;
    r->outcome = (int)value;
    if (s_get_text (map, "origin", JK_LINK_AREA_MAX - 1, &origin, err,
                    err_size))
        goto done;
    bool area_ok = jk_link_area_valid (origin);
    snprintf (r->origin, sizeof r->origin, "%s", origin);
    free (origin);
    if (!area_ok) {
        s_fail (err, err_size,
                "record key 'origin' must be a kabupaten code NN.NN or a "
                "province code NN");
        goto done;
    }
    if (s_get_text (map, "code", JK_CODE_MAX - 1, &r->code, err, err_size) ||
        s_get_text (map, "msg", JK_EVENT_MAX_BYTES, &r->message, err, err_size))
        goto done;
    if ((r->outcome == JK_LOG_ACCEPTED) != (r->code[0] == 0)) {
        s_fail (err, err_size,
                "record key 'code' must be empty for an accepted record and "
                "set for a rejection");
        goto done;
    }
    /* An accepted record's chain step has an empty message (PROTOCOL.md
       section 7) and the copy keeps none: one carried would be hashed
       here and lost there, leaving a copy that no longer verifies. */
    if (r->outcome == JK_LOG_ACCEPTED && r->message[0]) {
        s_fail (err, err_size,
                "record key 'msg' must be empty for an accepted record");
        goto done;
    }
    const msgpack_object *bytes = s_get (map, "bytes");
    const msgpack_object *hash = s_get (map, "hash");
    if (!bytes || bytes->type != MSGPACK_OBJECT_BIN ||
        bytes->via.bin.size > JK_EVENT_MAX_BYTES) {
        s_fail (err, err_size,
                "record key 'bytes' must be binary of at most "
                "65536 bytes");
        goto done;
    }
    if (!hash || hash->type != MSGPACK_OBJECT_BIN ||
        hash->via.bin.size != JK_HASH_SIZE) {
        s_fail (err, err_size, "record key 'hash' must be binary of 32 bytes");
        goto done;
    }
    /* msgpack-c points bin objects into the input buffer. */
    r->bytes = (const uint8_t *)bytes->via.bin.ptr;
    r->size = bytes->via.bin.size;
    memcpy (r->hash, hash->via.bin.ptr, JK_HASH_SIZE);
    /* Optional: absent from a sender of an older version, or of a log
       that records no settings (not known). */
    const msgpack_object *months = s_get (map, "rat_deadline_months");
    if (months &&
        (months->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
         months->via.u64 < 1 || months->via.u64 > JK_RAT_DEADLINE_MONTHS_MAX)) {
        s_fail (err, err_size,
                "record key 'rat_deadline_months' must be an unsigned "
                "integer from 1 to %d",
                JK_RAT_DEADLINE_MONTHS_MAX);
        goto done;
    }
    r->rat_deadline_months = months ? (int)months->via.u64 : 0;
    rc = 0;
done:
    msgpack_unpacked_destroy (&result);
    if (rc)
        jk_link_record_clear (r);
    return rc;
}

void jk_link_record_clear (jk_link_record_t *r)
{
    free (r->code);
    free (r->message);
    r->code = r->message = NULL;
}

/* ---- the copy database ----------------------------------------------------
 */

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS copy ("
    " origin TEXT NOT NULL, pos INTEGER NOT NULL,"
    " recorded_at INTEGER NOT NULL, outcome INTEGER NOT NULL,"
    " code TEXT, message TEXT, bytes BLOB NOT NULL, hash BLOB NOT NULL,"
    " arrival INTEGER NOT NULL UNIQUE,"
    " PRIMARY KEY (origin, pos)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS arrival ("
    " pos INTEGER PRIMARY KEY, origin TEXT NOT NULL,"
    " origin_pos INTEGER NOT NULL, received_at INTEGER NOT NULL,"
    " link TEXT NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS origin_head ("
    " origin TEXT PRIMARY KEY, pos INTEGER NOT NULL, hash BLOB NOT NULL,"
    " recorded_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS link ("
    " area TEXT PRIMARY KEY, cursor INTEGER NOT NULL,"
    " last_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS fault ("
    " link TEXT NOT NULL, origin TEXT NOT NULL, pos INTEGER NOT NULL,"
    " code TEXT NOT NULL, message TEXT NOT NULL, first_at INTEGER NOT NULL,"
    " last_at INTEGER NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY (link, origin, pos, code));"
    "CREATE TABLE IF NOT EXISTS origin_tree ("
    " origin TEXT PRIMARY KEY, size INTEGER NOT NULL, edge BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoint ("
    " origin TEXT PRIMARY KEY, size INTEGER NOT NULL, note TEXT NOT NULL,"
    " verified_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS fork ("
    " origin TEXT NOT NULL, at INTEGER NOT NULL, held_size INTEGER NOT NULL,"
    " seen_size INTEGER NOT NULL, copy_size INTEGER NOT NULL,"
    " copy_root TEXT NOT NULL, held TEXT NOT NULL, seen TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS origin_settings ("
    " origin TEXT PRIMARY KEY, rat_deadline_months INTEGER NOT NULL);";

sqlite3 *jk_link_sqlite_open (const char *path, bool readonly, char *err,
                              size_t err_size)
{
    sqlite3 *db = NULL;
    mode_t old = umask (077);
    int rc =
        sqlite3_open_v2 (path, &db,
                         readonly ? SQLITE_OPEN_READONLY
                                  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         NULL);
    umask (old);
    if (rc != SQLITE_OK) {
        snprintf (err, err_size, "cannot open %s: %s", path,
                  db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    return db;
}

const char *jk_link_db_path (sqlite3 *db)
{
    const char *path = sqlite3_db_filename (db, "main");
    return path && *path ? path : "(shadow)";
}

char *jk_link_shadow_failure (sqlite3 *db, const char *path, const char *verb,
                              const char *what, char *buf, size_t size)
{
    if (!path)
        path = jk_link_db_path (db);
    int code = sqlite3_errcode (db) & 0xff;
    bool io =
        code == SQLITE_IOERR || code == SQLITE_CANTOPEN || code == SQLITE_FULL;
    int error = io ? sqlite3_system_errno (db) : 0;
    static const char *const beside[] = {"-journal", "-wal", "-shm"};
    char in_way[PATH_MAX + 16] = "";
    struct stat st;
    for (size_t i = 0; io && !in_way[0] && i < sizeof beside / sizeof *beside;
         i++) {
        snprintf (in_way, sizeof in_way, "%s%s", path, beside[i]);
        if (stat (in_way, &st) != 0 || S_ISREG (st.st_mode))
            in_way[0] = 0;
    }
    char why[PATH_MAX + 64] = "";
    if (in_way[0] || error)
        snprintf (why, sizeof why, " (%s%s%s)", in_way, in_way[0] ? ": " : "",
                  in_way[0] && !error ? "not a file" : strerror (error));
    snprintf (buf, size, "cannot %s the shadow %s (%s): %s%s", verb, path, what,
              sqlite3_errmsg (db), why);
    return buf;
}

bool jk_link_shadow_position_set (sqlite3 *db, const char *path,
                                  const char *table, uint64_t pos,
                                  const uint8_t *hash, char *buf, size_t size)
{
    char sql[128];
    snprintf (sql, sizeof sql, "UPDATE %s SET pos = ?1, hash = ?2", table);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)pos);
        sqlite3_bind_blob (st, 2, hash, JK_HASH_SIZE, SQLITE_STATIC);
        rc = sqlite3_step (st);
    }
    sqlite3_finalize (st);
    if (rc == SQLITE_DONE)
        return true;
    char what[64];
    snprintf (what, sizeof what, "its position %llu", (unsigned long long)pos);
    jk_link_shadow_failure (db, path, "write", what, buf, size);
    return false;
}

sqlite3 *jk_link_db_open (const char *path, bool readonly, char *err,
                          size_t err_size)
{
    sqlite3 *db = jk_link_sqlite_open (path, readonly, err, err_size);
    if (!db || readonly)
        return db;
    /* Another program's file (a hub's log) is refused before anything is
       written to it; an empty one becomes the copy. */
    if (jk_db_kind_check (db, path, JK_DB_LINK_COPY, err, err_size) != JK_OK) {
        sqlite3_close (db);
        return NULL;
    }
    char *msg = NULL;
    if (sqlite3_exec (db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                      NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec (db, s_schema, NULL, NULL, &msg) != SQLITE_OK ||
        jk_db_kind_mark (db, JK_DB_LINK_COPY) != JK_OK) {
        snprintf (err, err_size, "cannot prepare %s: %s", path,
                  msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        sqlite3_close (db);
        return NULL;
    }
    return db;
}

int jk_link_origin_months (sqlite3 *db, const char *origin)
{
    /* A copy from before the table (opened read-only, not migrated):
       none recorded. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT rat_deadline_months FROM origin_settings "
                            "WHERE origin = ?1",
                            -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text (st, 1, origin, -1, SQLITE_STATIC);
    int months = 0;
    if (sqlite3_step (st) == SQLITE_ROW)
        months = sqlite3_column_int (st, 0);
    sqlite3_finalize (st);
    return months >= 1 && months <= JK_RAT_DEADLINE_MONTHS_MAX ? months : 0;
}

void jk_link_arrival_hash (jk_chain_t *chain, const uint8_t prev[JK_HASH_SIZE],
                           uint64_t pos, int64_t received_at,
                           const char *origin, uint64_t origin_pos,
                           const uint8_t origin_hash[JK_HASH_SIZE],
                           uint8_t out[JK_HASH_SIZE])
{
    uint8_t bytes[8 + JK_HASH_SIZE];
    jk_wire_put_u64 (bytes, origin_pos);
    memcpy (bytes + 8, origin_hash, JK_HASH_SIZE);
    jk_chain_step (chain, prev, pos, received_at, JK_LOG_ACCEPTED, origin, NULL,
                   bytes, sizeof bytes, out);
}

void jk_link_copy_leaf (jk_mhash_t *mh, sqlite3_stmt *st,
                        uint8_t out[JK_MERKLE_HASH])
{
    const void *bytes = sqlite3_column_blob (st, 5);
    jk_mhash_record (mh, (uint64_t)sqlite3_column_int64 (st, 0),
                     sqlite3_column_int64 (st, 1), sqlite3_column_int (st, 2),
                     (const char *)sqlite3_column_text (st, 3),
                     (const char *)sqlite3_column_text (st, 4),
                     bytes ? bytes : (const void *)"",
                     (size_t)sqlite3_column_bytes (st, 5), out);
}

void jk_link_evidence (const char *path, const char *note)
{
    mode_t old = umask (077);
    FILE *f = fopen (path, "w");
    umask (old);
    if (!f || fputs (note, f) < 0 || fclose (f) != 0)
        jk_error ("link", "cannot write the evidence %s", path);
}

/* ---- verification ---------------------------------------------------------
 */

static int s_verdict (jk_link_verify_t *result, uint64_t pos,
                      const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int s_verdict (jk_link_verify_t *result, uint64_t pos,
                      const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    vsnprintf (result->message, sizeof result->message, format, ap);
    va_end (ap);
    result->ok = false;
    result->bad_pos = pos;
    return JK_INVALID;
}

static const char *s_col_text (sqlite3_stmt *stmt, int col)
{
    const char *text = (const char *)sqlite3_column_text (stmt, col);
    return text ? text : "";
}

/* The arrival chain of the whole copy database. */
static int s_verify_arrivals (sqlite3 *db, jk_chain_t *chain,
                              jk_link_verify_t *result)
{
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2 (db,
                        "SELECT a.pos, a.origin, a.origin_pos, a.received_at,"
                        " a.hash, c.hash FROM arrival a LEFT JOIN copy c"
                        " ON c.origin = a.origin AND c.pos = a.origin_pos"
                        " ORDER BY a.pos",
                        -1, &stmt, NULL);
    uint8_t prev[JK_HASH_SIZE] = {0}, hash[JK_HASH_SIZE];
    uint64_t expect = 1;
    int rc = JK_OK;
    while (rc == JK_OK && sqlite3_step (stmt) == SQLITE_ROW) {
        uint64_t pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
        const void *stored = sqlite3_column_blob (stmt, 4);
        const void *origin_hash = sqlite3_column_blob (stmt, 5);
        if (pos != expect)
            rc = s_verdict (result, expect,
                            "arrival log: position %llu is missing",
                            (unsigned long long)expect);
        else if (!origin_hash ||
                 sqlite3_column_bytes (stmt, 5) != JK_HASH_SIZE ||
                 sqlite3_column_bytes (stmt, 4) != JK_HASH_SIZE)
            rc = s_verdict (result, pos,
                            "arrival log: position %llu names a record the "
                            "copy does not hold",
                            (unsigned long long)pos);
        else {
            jk_link_arrival_hash (
                chain, prev, pos, sqlite3_column_int64 (stmt, 3),
                s_col_text (stmt, 1), (uint64_t)sqlite3_column_int64 (stmt, 2),
                origin_hash, hash);
            if (memcmp (hash, stored, JK_HASH_SIZE))
                rc = s_verdict (result, pos,
                                "arrival log: hash differs at position %llu "
                                "(changed, removed or reordered)",
                                (unsigned long long)pos);
            memcpy (prev, hash, JK_HASH_SIZE);
            expect++;
        }
    }
    sqlite3_finalize (stmt);
    return rc;
}

/* Compares the copy with a hub's own log (source), row by row. */
static int s_verify_source (sqlite3 *db, const char *origin,
                            const char *source_db, jk_link_verify_t *result)
{
    char err[256];
    sqlite3 *src = jk_link_db_open (source_db, true, err, sizeof err);
    if (!src) {
        snprintf (result->message, sizeof result->message, "%s", err);
        return JK_IO;
    }
    sqlite3_stmt *a = NULL, *b = NULL;
    int rc = JK_OK;
    if (sqlite3_prepare_v2 (src,
                            "SELECT pos, recorded_at, outcome, "
                            "coalesce(code,''), coalesce(message,''), bytes, "
                            "hash FROM log ORDER BY pos",
                            -1, &a, NULL) != SQLITE_OK) {
        snprintf (result->message, sizeof result->message,
                  "%s is not a hub's log database: %s", source_db,
                  sqlite3_errmsg (src));
        sqlite3_close (src);
        return JK_IO;
    }
    sqlite3_prepare_v2 (db,
                        "SELECT pos, recorded_at, outcome, coalesce(code,''),"
                        " coalesce(message,''), bytes, hash FROM copy"
                        " WHERE origin = ?1 ORDER BY pos",
                        -1, &b, NULL);
    sqlite3_bind_text (b, 1, origin, -1, SQLITE_STATIC);
    uint64_t source_head = 0;
    for (;;) {
        int ra = sqlite3_step (a);
        int rb = sqlite3_step (b);
        if (ra != SQLITE_ROW && rb != SQLITE_ROW)
            break;
        if (ra == SQLITE_ROW)
            source_head = (uint64_t)sqlite3_column_int64 (a, 0);
        if (rb != SQLITE_ROW) {
            /* The copy is behind: count the rest of the source. */
            while (sqlite3_step (a) == SQLITE_ROW)
                source_head = (uint64_t)sqlite3_column_int64 (a, 0);
            rc = s_verdict (
                result, result->head.pos + 1,
                "origin %s: the copy holds %llu records, the "
                "regency's log %llu (copy behind by %llu)",
                origin, (unsigned long long)result->head.pos,
                (unsigned long long)source_head,
                (unsigned long long)(source_head - result->head.pos));
            break;
        }
        uint64_t pos = (uint64_t)sqlite3_column_int64 (b, 0);
        if (ra != SQLITE_ROW) {
            rc = s_verdict (result, pos,
                            "origin %s: the copy holds position %llu beyond "
                            "the regency's head %llu",
                            origin, (unsigned long long)pos,
                            (unsigned long long)source_head);
            break;
        }
        bool same = sqlite3_column_int64 (a, 0) == sqlite3_column_int64 (b, 0);
        for (int col = 1; same && col < 7; col++)
            same =
                sqlite3_column_bytes (a, col) ==
                    sqlite3_column_bytes (b, col) &&
                (sqlite3_column_type (a, col) == SQLITE_INTEGER
                     ? sqlite3_column_int64 (a, col) ==
                           sqlite3_column_int64 (b, col)
                     : sqlite3_column_bytes (a, col) == 0 ||
                           memcmp (sqlite3_column_blob (a, col),
                                   sqlite3_column_blob (b, col),
                                   (size_t)sqlite3_column_bytes (a, col)) == 0);
        if (!same) {
            rc = s_verdict (result, pos,
                            "origin %s: position %llu differs between the "
                            "copy and the regency's log",
                            origin, (unsigned long long)pos);
            break;
        }
    }
    sqlite3_finalize (a);
    sqlite3_finalize (b);
    sqlite3_close (src);
    return rc;
}

/* The checkpoint the receiver holds for an origin, and the copy's tree
   grown record by record up to its size. */
typedef struct {
    uint64_t size; /* 0: none held (or a copy from before checkpoints) */
    uint8_t root[JK_MERKLE_HASH];
    jk_mhash_t *mh;
    jk_merkle_edge_t edge;
    bool matched;
} s_held_t;

static void s_held_read (sqlite3 *db, const char *origin, s_held_t *held)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT note FROM checkpoint WHERE origin = ?",
                            -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text (st, 1, origin, -1, SQLITE_STATIC);
    if (sqlite3_step (st) == SQLITE_ROW) {
        const char *note = (const char *)sqlite3_column_text (st, 0);
        jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
        char why[320];
        if (note &&
            jk_checkpoint_parse (note, strlen (note), cp, why, sizeof why) ==
                JK_OK &&
            cp->size > 0) {
            held->size = cp->size;
            memcpy (held->root, cp->root, JK_MERKLE_HASH);
            held->mh = jk_mhash_new ();
        } else
            held->size = UINT64_MAX; /* never matched: reported */
        free (cp);
    }
    sqlite3_finalize (st);
}

/* Adds the record of stmt (pos, recorded_at, outcome, code, message,
   bytes) to the tree while it is below the checkpoint's size. */
static void s_held_step (s_held_t *held, sqlite3_stmt *stmt)
{
    if (!held->mh || held->edge.size >= held->size)
        return;
    uint8_t leaf[JK_MERKLE_HASH], root[JK_MERKLE_HASH];
    jk_link_copy_leaf (held->mh, stmt, leaf);
    jk_merkle_edge_push (&held->edge, held->mh, leaf);
    if (held->edge.size == held->size) {
        jk_merkle_edge_root (&held->edge, held->mh, root);
        held->matched = memcmp (root, held->root, JK_MERKLE_HASH) == 0;
    }
}

/* The copy's records of one origin in order: no gap, time never going
   back, each hash continuing the chain; the held checkpoint's tree grown
   along. */
static int s_verify_copy (sqlite3_stmt *stmt, const char *origin,
                          jk_chain_t *chain, s_held_t *held,
                          jk_link_verify_t *result)
{
    uint8_t prev[JK_HASH_SIZE] = {0}, hash[JK_HASH_SIZE];
    int64_t last_at = 0;
    int rc = JK_OK;
    while (rc == JK_OK && sqlite3_step (stmt) == SQLITE_ROW) {
        uint64_t pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
        int64_t at = sqlite3_column_int64 (stmt, 1);
        if (pos != result->records + 1) {
            rc = s_verdict (result, result->records + 1,
                            "origin %s: position %llu is missing from the "
                            "copy",
                            origin, (unsigned long long)(result->records + 1));
            break;
        }
        if (at < last_at) {
            rc = s_verdict (result, pos,
                            "origin %s: recorded_at decreases at position "
                            "%llu",
                            origin, (unsigned long long)pos);
            break;
        }
        const void *bytes = sqlite3_column_blob (stmt, 5);
        jk_chain_step (chain, prev, pos, at, sqlite3_column_int (stmt, 2),
                       (const char *)sqlite3_column_text (stmt, 3),
                       (const char *)sqlite3_column_text (stmt, 4),
                       bytes ? bytes : (const void *)"",
                       (size_t)sqlite3_column_bytes (stmt, 5), hash);
        if (sqlite3_column_bytes (stmt, 6) != JK_HASH_SIZE ||
            memcmp (hash, sqlite3_column_blob (stmt, 6), JK_HASH_SIZE)) {
            rc = s_verdict (result, pos,
                            "origin %s: hash differs at position %llu (a "
                            "byte, time, decision or order changed)",
                            origin, (unsigned long long)pos);
            break;
        }
        memcpy (prev, hash, JK_HASH_SIZE);
        last_at = at;
        s_held_step (held, stmt);
        result->records++;
        result->head.pos = pos;
        memcpy (result->head.hash, hash, JK_HASH_SIZE);
    }
    return rc;
}

/* The head the copy recorded for the origin (origin_head, written in the
   transaction of every record stored) against where its chain ends:
   records cut from the copy's end, or a chain that goes on past the head
   recorded, are found without the regency's head. */
static int s_verify_origin_head (sqlite3 *db, const char *origin,
                                 jk_link_verify_t *result)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (db,
                        "SELECT pos, hash FROM origin_head WHERE origin = ?1",
                        -1, &st, NULL);
    sqlite3_bind_text (st, 1, origin, -1, SQLITE_STATIC);
    uint64_t pos = 0;
    bool same = true;
    if (sqlite3_step (st) == SQLITE_ROW) {
        pos = (uint64_t)sqlite3_column_int64 (st, 0);
        same = sqlite3_column_bytes (st, 1) == JK_HASH_SIZE &&
               memcmp (sqlite3_column_blob (st, 1), result->head.hash,
                       JK_HASH_SIZE) == 0;
    }
    sqlite3_finalize (st);
    if (pos > result->head.pos)
        return s_verdict (result, result->head.pos + 1,
                          "origin %s: the copy ends at %llu, before the head "
                          "it recorded for the origin at %llu (table "
                          "origin_head): records were removed from its end",
                          origin, (unsigned long long)result->head.pos,
                          (unsigned long long)pos);
    if (pos < result->head.pos)
        return s_verdict (result, pos + 1,
                          "origin %s: the copy goes on to %llu past the head "
                          "it recorded for the origin at %llu (table "
                          "origin_head): records were added, or the head "
                          "changed",
                          origin, (unsigned long long)result->head.pos,
                          (unsigned long long)pos);
    if (pos && !same)
        return s_verdict (result, pos,
                          "origin %s: the copy's hash at %llu is not the one "
                          "it recorded for the origin's head (table "
                          "origin_head)",
                          origin, (unsigned long long)pos);
    return JK_OK;
}

/* The checkpoint held for the origin against the copy's tree. */
static int s_verify_held (const s_held_t *held, const char *origin,
                          jk_link_verify_t *result)
{
    if (held->size == UINT64_MAX)
        return s_verdict (result, 0,
                          "origin %s: the checkpoint held for it (table "
                          "checkpoint) is not a checkpoint",
                          origin);
    if (held->size > result->records)
        return s_verdict (result, result->records + 1,
                          "origin %s: the copy ends at %llu, before the "
                          "regency's checkpoint of %llu records held for it",
                          origin, (unsigned long long)result->records,
                          (unsigned long long)held->size);
    if (held->size && !held->matched)
        return s_verdict (result, held->size,
                          "origin %s: the copy's Merkle tree of %llu records "
                          "is not the regency's checkpoint held for it (its "
                          "signed head differs)",
                          origin, (unsigned long long)held->size);
    return JK_OK;
}

/* The regency's head kept by the link against the copy: the copy
   reaches it and holds the same hash there. */
static int s_verify_kept (sqlite3 *db, const char *origin,
                          const jk_head_t *kept, jk_link_verify_t *result)
{
    static const uint8_t zero[JK_HASH_SIZE];
    if (kept->pos == 0)
        return memcmp (kept->hash, zero, JK_HASH_SIZE) == 0
                   ? JK_OK
                   : s_verdict (result, 0,
                                "origin %s: the regency's head is at position "
                                "0 with a hash other than 32 zero bytes, the "
                                "hash of position 0 in every log",
                                origin);
    if (kept->pos > result->head.pos)
        return s_verdict (result, result->head.pos + 1,
                          "origin %s: the copy ends at %llu, before the "
                          "regency's head %llu (behind by %llu)",
                          origin, (unsigned long long)result->head.pos,
                          (unsigned long long)kept->pos,
                          (unsigned long long)(kept->pos - result->head.pos));
    int rc = JK_OK;
    sqlite3_stmt *at = NULL;
    sqlite3_prepare_v2 (db,
                        "SELECT hash FROM copy WHERE origin = ?1 AND "
                        "pos = ?2",
                        -1, &at, NULL);
    sqlite3_bind_text (at, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (at, 2, (sqlite3_int64)kept->pos);
    if (sqlite3_step (at) != SQLITE_ROW ||
        memcmp (sqlite3_column_blob (at, 0), kept->hash, JK_HASH_SIZE))
        rc = s_verdict (result, kept->pos,
                        "origin %s: the copy's hash at %llu differs "
                        "from the regency's head",
                        origin, (unsigned long long)kept->pos);
    sqlite3_finalize (at);
    return rc;
}

/* An origin the copy holds no record of has nothing to verify: said, with
   the origins the copy does hold, rather than passed as an empty chain. */
static int s_verify_held_any (sqlite3 *db, const char *copy_db,
                              const char *origin, jk_link_verify_t *result)
{
    if (result->records)
        return JK_OK;
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (db,
                        "SELECT group_concat(origin, ', ') FROM (SELECT "
                        "origin FROM origin_head ORDER BY origin)",
                        -1, &st, NULL);
    const char *held = sqlite3_step (st) == SQLITE_ROW
                           ? (const char *)sqlite3_column_text (st, 0)
                           : NULL;
    s_verdict (result, 0,
               "origin %s: %s holds no records of origin %s: nothing was "
               "received from it, so there is nothing to verify (%s%s)",
               origin, copy_db, origin,
               held ? "origins held: " : "the copy holds no origin yet",
               held ? held : "");
    sqlite3_finalize (st);
    return JK_NOT_FOUND;
}

int jk_link_verify (const char *copy_db, const char *origin,
                    const jk_head_t *kept, const char *source_db,
                    jk_link_verify_t *result)
{
    memset (result, 0, sizeof *result);
    char err[256];
    sqlite3 *db = jk_link_db_open (copy_db, true, err, sizeof err);
    if (!db) {
        snprintf (result->message, sizeof result->message, "%s", err);
        return JK_IO;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT pos, recorded_at, outcome, code, message,"
                            " bytes, hash FROM copy WHERE origin = ?1"
                            " ORDER BY pos",
                            -1, &stmt, NULL) != SQLITE_OK) {
        snprintf (result->message, sizeof result->message,
                  "%s is not a copy database: %s", copy_db,
                  sqlite3_errmsg (db));
        sqlite3_close (db);
        return JK_IO;
    }
    sqlite3_bind_text (stmt, 1, origin, -1, SQLITE_STATIC);
    /* One snapshot for every table read, beside a receiver that goes on
       storing. */
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
    s_held_t held = {0};
    s_held_read (db, origin, &held);
    jk_chain_t *chain = jk_chain_new ();
    result->ok = true;
    int rc = s_verify_copy (stmt, origin, chain, &held, result);
    sqlite3_finalize (stmt);
    if (rc == JK_OK)
        rc = s_verify_origin_head (db, origin, result);
    if (rc == JK_OK)
        rc = s_verify_held (&held, origin, result);
    if (rc == JK_OK)
        rc = s_verify_arrivals (db, chain, result);
    if (rc == JK_OK)
        rc = s_verify_held_any (db, copy_db, origin, result);
    if (rc == JK_OK && kept)
        rc = s_verify_kept (db, origin, kept, result);
    if (rc == JK_OK && source_db)
        rc = s_verify_source (db, origin, source_db, result);
    if (rc == JK_OK)
        snprintf (result->message, sizeof result->message,
                  "origin %s: %llu records, chain intact%s%s%s", origin,
                  (unsigned long long)result->records,
                  held.size ? ", the regency's checkpoint held matches the "
                              "copy's tree"
                            : "",
                  kept && kept->pos ? ", the regency's head matches" : "",
                  source_db ? ", equal to the regency's log" : "");
    jk_chain_destroy (&chain);
    jk_mhash_destroy (&held.mh);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (db);
    return rc;
}

bool jk_link_on_pipe (zsock_t *pipe, char *(*stats) (void *arg), void *arg)
{
    zmsg_t *msg = zmsg_recv (pipe);
    char *command = msg ? zmsg_popstr (msg) : NULL;
    bool stop = !command || streq (command, "$TERM");
    if (!stop && streq (command, "STATS")) {
        char *text = stats (arg);
        zstr_send (pipe, text);
        free (text);
    }
    free (command);
    zmsg_destroy (&msg);
    return stop;
}

zactor_t *jk_link_actor_start (zactor_fn *actor, void *config)
{
    zactor_t *self = zactor_new (actor, config);
    if (self && zsock_wait (self) != 0)
        zactor_destroy (&self);
    return self;
}
