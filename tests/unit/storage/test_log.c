/*  test_log.c - the event log without sockets: the hash construction of
    docs/ARCHITECTURE.md, append/commit/rollback with the in-memory head
    and seqs, reopening, file permissions, and chain verification naming
    the first bad position for each kind of tampering. */
#include "test_store_harness.h"

#include <openssl/evp.h>
#include <sys/stat.h>

/* The documented construction, computed independently. */
static void s_reference_hash (const uint8_t prev[32], uint64_t pos,
                              int64_t recorded_at, int outcome,
                              const char *code, const char *message,
                              const uint8_t *bytes, size_t size,
                              uint8_t out[32])
{
    uint8_t buf[1024];
    size_t n = 0;
    memcpy (buf, prev, 32);
    n = 32;
    jk_wire_put_u64 (buf + n, pos);
    n += 8;
    jk_wire_put_u64 (buf + n, (uint64_t)recorded_at);
    n += 8;
    buf[n++] = (uint8_t)outcome;
    size_t code_len = strlen (code), message_len = strlen (message);
    buf[n++] = (uint8_t)(code_len >> 8);
    buf[n++] = (uint8_t)code_len;
    memcpy (buf + n, code, code_len);
    n += code_len;
    for (int i = 3; i >= 0; i--)
        buf[n++] = (uint8_t)(message_len >> (8 * i));
    memcpy (buf + n, message, message_len);
    n += message_len;
    memcpy (buf + n, bytes, size);
    n += size;
    unsigned int out_len = 0;
    assert_int_equal (EVP_Digest (buf, n, out, &out_len, EVP_sha256 (), NULL),
                      1);
}

static void test_chain_construction (void **state)
{
    (void)state;
    jk_chain_t *chain = jk_chain_new ();
    uint8_t prev[32] = {0}, got[32], want[32];
    const uint8_t bytes[] = {0x81, 0xa2, 'i', 'd', 0x01};
    jk_chain_step (chain, prev, 1, 1700000000000, 0, NULL, NULL, bytes,
                   sizeof bytes, got);
    s_reference_hash (prev, 1, 1700000000000, 0, "", "", bytes, sizeof bytes,
                      want);
    assert_memory_equal (got, want, 32);
    memcpy (prev, got, 32);
    jk_chain_step (chain, prev, 2, 1700000000001, 1, "E_REGION",
                   "body.desa_code: unknown", bytes, sizeof bytes, got);
    s_reference_hash (prev, 2, 1700000000001, 1, "E_REGION",
                      "body.desa_code: unknown", bytes, sizeof bytes, want);
    assert_memory_equal (got, want, 32);
    /* Every field matters: a different time gives a different hash. */
    jk_chain_step (chain, prev, 2, 1700000000002, 1, "E_REGION",
                   "body.desa_code: unknown", bytes, sizeof bytes, want);
    assert_memory_not_equal (got, want, 32);
    jk_chain_destroy (&chain);
    assert_null (chain);
}

/* Appends record number n of source (bytes from h_cooperative) in an
   open txn. */
static void s_append_of (jk_log_t *log, const char *source, uint64_t seq,
                         int outcome, jk_log_record_t *record, uint8_t **bytes)
{
    size_t size;
    *bytes = h_cooperative (source, seq, (int)seq, H_DESA, &size);
    jk_envelope_t envelope;
    assert_true (jk_envelope_peek (*bytes, size, &envelope));
    memset (record, 0, sizeof *record);
    memcpy (record->id, envelope.id, 16);
    record->type = "cooperative.registered";
    record->version = 1;
    record->source = source;
    record->seq = seq;
    record->at = envelope.at;
    record->recorded_at = jk_log_next_time (log);
    record->outcome = outcome;
    record->code = outcome ? "E_TEST" : NULL;
    record->message = outcome ? "a test rejection" : NULL;
    record->bytes = *bytes;
    record->size = size;
    assert_int_equal (jk_log_append (log, record), JK_OK);
}

static void s_append (jk_log_t *log, uint64_t seq, int outcome,
                      jk_log_record_t *record, uint8_t **bytes)
{
    s_append_of (log, H_SOURCE, seq, outcome, record, bytes);
}

/* Appends seq of source and frees what it made. */
static void s_append_one (jk_log_t *log, const char *source, uint64_t seq)
{
    jk_log_record_t record;
    uint8_t *bytes;
    s_append_of (log, source, seq, 0, &record, &bytes);
    free (bytes);
}

/* The next seq of sources a, b, c and d in order, as one string. */
static const char *s_nexts (jk_log_t *log, const char *const *sources)
{
    static char out[64];
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        n += (size_t)snprintf (
            out + n, sizeof out - n, "%s%llu", i ? " " : "",
            (unsigned long long)jk_log_next_seq (log, sources[i]));
    return out;
}

/* The columns that seldom change (v, recorded_at, outcome, code and
   message) are bound only when they change: rows that switch between
   accepted and rejected, versions and times are stored each as appended,
   with code and message read from a buffer the caller rewrites between
   appends; the chain over them verifies. */
static void test_rows_as_appended (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("log-rows");
    char *path = jk_sprintf ("%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    static const struct {
        uint32_t version;
        int outcome;
        const char *code, *message;
        int64_t later; /* ms after the first record */
    } rows[] = {
        {1, JK_LOG_ACCEPTED, NULL, NULL, 0},
        {1, JK_LOG_REJECTED, "E_ONE", "first", 0},
        {2, JK_LOG_REJECTED, "E_TWO", "second", 0},
        {2, JK_LOG_ACCEPTED, NULL, NULL, 5},
        {1, JK_LOG_ACCEPTED, NULL, NULL, 5},
        {1, JK_LOG_REJECTED, "E_ONE", "third", 7},
        {1, JK_LOG_ACCEPTED, NULL, NULL, 7},
    };
    const size_t count = sizeof rows / sizeof rows[0];
    int64_t first = jk_log_next_time (log);
    assert_int_equal (jk_log_begin (log), JK_OK);
    for (size_t i = 0; i < count; i++) {
        char code[16], message[16];
        jk_log_record_t record;
        uint8_t *bytes;
        size_t size;
        memset (&record, 0, sizeof record);
        memcpy (record.id, &i, sizeof i);
        record.type = "cooperative.registered";
        record.version = rows[i].version;
        record.source = H_SOURCE;
        record.seq = i + 1;
        record.at = 1700000000000;
        /* The version varies: bytes holding it (an envelope alone). */
        bytes =
            jk_test_record_bytes (record.type, record.version, record.source,
                                  record.seq, record.at, record.id, &size);
        record.recorded_at = first + rows[i].later;
        record.outcome = rows[i].outcome;
        if (rows[i].code) {
            snprintf (code, sizeof code, "%s", rows[i].code);
            snprintf (message, sizeof message, "%s", rows[i].message);
            record.code = code;
            record.message = message;
        }
        record.bytes = bytes;
        record.size = size;
        assert_int_equal (jk_log_append (log, &record), JK_OK);
        /* What a later append might find there. */
        memset (code, 'X', sizeof code);
        memset (message, 'Y', sizeof message);
        free (bytes);
    }
    assert_int_equal (jk_log_commit (log), JK_OK);
    jk_log_close (&log);

    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db,
                            "SELECT v, outcome, code, message, recorded_at"
                            " FROM log ORDER BY pos",
                            -1, &st, NULL),
        SQLITE_OK);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal (sqlite3_step (st), SQLITE_ROW);
        assert_int_equal (sqlite3_column_int (st, 0), rows[i].version);
        assert_int_equal (sqlite3_column_int (st, 1), rows[i].outcome);
        if (rows[i].code) {
            assert_string_equal (sqlite3_column_text (st, 2), rows[i].code);
            assert_string_equal (sqlite3_column_text (st, 3), rows[i].message);
        } else {
            assert_int_equal (sqlite3_column_type (st, 2), SQLITE_NULL);
            assert_int_equal (sqlite3_column_type (st, 3), SQLITE_NULL);
        }
        assert_int_equal (sqlite3_column_int64 (st, 4), first + rows[i].later);
    }
    assert_int_equal (sqlite3_step (st), SQLITE_DONE);
    sqlite3_finalize (st);
    sqlite3_close (db);
    jk_verify_result_t result;
    assert_int_equal (jk_log_verify (path, NULL, &result, NULL, NULL), JK_OK);
    assert_int_equal (result.records, count);
    free (path);
    jk_test_rmdir (&dir);
}

/* Sources in one transaction, in runs and interleaved: each keeps its
   own next seq; a rollback forgets what it staged (a source first seen
   in it is unknown again), a commit keeps every one; reopened, the file
   says the same. */
static void test_sources_interleaved (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("log-sources");
    char *path = jk_sprintf ("%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    const char *const src[] = {H_SOURCE, "32.03.02/other", "32.03.03/third",
                               "32.03.04/fourth"};
    assert_int_equal (jk_log_begin (log), JK_OK);
    s_append_one (log, src[0], 1);
    s_append_one (log, src[0], 2);
    s_append_one (log, src[1], 1);
    assert_string_equal (s_nexts (log, src), "3 2 1 1");
    s_append_one (log, src[0], 3);
    s_append_one (log, src[1], 2);
    s_append_one (log, src[2], 1);
    assert_string_equal (s_nexts (log, src), "4 3 2 1");
    assert_int_equal (jk_log_commit (log), JK_OK);
    assert_string_equal (s_nexts (log, src), "4 3 2 1");

    assert_int_equal (jk_log_begin (log), JK_OK);
    s_append_one (log, src[2], 2);
    s_append_one (log, src[1], 3);
    s_append_one (log, src[3], 1);
    assert_string_equal (s_nexts (log, src), "4 4 3 2");
    jk_log_rollback (log);
    assert_string_equal (s_nexts (log, src), "4 3 2 1");
    assert_int_equal (jk_log_head (log, NULL), 6);

    /* The same appends again, committed this time. */
    assert_int_equal (jk_log_begin (log), JK_OK);
    assert_string_equal (s_nexts (log, src), "4 3 2 1");
    s_append_one (log, src[3], 1);
    s_append_one (log, src[2], 2);
    assert_int_equal (jk_log_commit (log), JK_OK);
    assert_string_equal (s_nexts (log, src), "4 3 3 2");
    assert_int_equal (jk_log_head (log, NULL), 8);
    jk_log_close (&log);

    log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    assert_string_equal (s_nexts (log, src), "4 3 3 2");
    assert_int_equal (jk_log_next_seq (log, "32.03.05/none"), 1);
    jk_log_close (&log);
    free (path);
    jk_test_rmdir (&dir);
}

static void test_append_commit_rollback (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("log-append");
    char *path = jk_sprintf ("%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (jk_log_head (log, NULL), 0);
    assert_int_equal (jk_log_next_seq (log, H_SOURCE), 1);

    jk_log_record_t r1, r2, r3;
    uint8_t *b1, *b2, *b3;
    assert_int_equal (jk_log_begin (log), JK_OK);
    s_append (log, 1, 0, &r1, &b1);
    s_append (log, 2, 1, &r2, &b2);
    assert_int_equal (r2.pos, 2);
    assert_int_equal (jk_log_next_seq (log, H_SOURCE), 3);
    assert_int_equal (jk_log_commit (log), JK_OK);

    /* A rolled-back append leaves neither a row nor memory of it. */
    assert_int_equal (jk_log_begin (log), JK_OK);
    s_append (log, 3, 0, &r3, &b3);
    assert_int_equal (jk_log_head (log, NULL), 3);
    jk_log_rollback (log);
    uint8_t hash[32];
    assert_int_equal (jk_log_head (log, hash), 2);
    assert_memory_equal (hash, r2.hash, 32);
    assert_int_equal (jk_log_next_seq (log, H_SOURCE), 3);
    jk_log_record_t found;
    assert_int_equal (jk_log_find (log, r3.id, &found), JK_NOT_FOUND);
    assert_int_equal (jk_log_find (log, r2.id, &found), JK_OK);
    assert_int_equal (found.pos, 2);
    assert_int_equal (found.outcome, JK_LOG_REJECTED);
    assert_string_equal (found.code, "E_TEST");
    assert_memory_equal (found.hash, r2.hash, 32);
    assert_int_equal (found.size, r2.size);
    jk_log_close (&log);

    /* Reopened: head and seqs come back from the file. */
    log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    assert_int_equal (jk_log_head (log, hash), 2);
    assert_memory_equal (hash, r2.hash, 32);
    assert_int_equal (jk_log_next_seq (log, H_SOURCE), 3);
    assert_int_equal (jk_log_next_seq (log, "32.03.02/other"), 1);
    assert_true (jk_log_next_time (log) >= r2.recorded_at);
    jk_log_close (&log);
    free (b1);
    free (b2);
    free (b3);

    /* Not a database: a clear error, no crash. */
    char *junk = jk_sprintf ("%s/junk.db", dir);
    FILE *file = fopen (junk, "w");
    fputs ("this is not a SQLite database, not even close to one......", file);
    fclose (file);
    assert_null (jk_log_open (junk, 0, err, sizeof err));
    assert_non_null (strstr (err, "not a database"));
    free (junk);
    free (path);
    jk_test_rmdir (&dir);
}

/* Builds a log of n records (every third a rejection). */
static char *s_make_log (const char *dir, int n)
{
    char *path = jk_sprintf ("%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    assert_int_equal (jk_log_begin (log), JK_OK);
    for (int i = 1; i <= n; i++) {
        jk_log_record_t record;
        uint8_t *bytes;
        s_append (log, (uint64_t)i, i % 3 == 0, &record, &bytes);
        free (bytes);
    }
    assert_int_equal (jk_log_commit (log), JK_OK);
    jk_log_close (&log);
    return path;
}

static void s_exec (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
}

static void s_expect (const char *path, const jk_head_t *kept,
                      jk_verify_problem_t problem, uint64_t bad_pos)
{
    jk_verify_result_t result;
    int rc = jk_log_verify (path, kept, &result, NULL, NULL);
    assert_int_equal (result.problem, problem);
    assert_int_equal (result.bad_pos, bad_pos);
    assert_int_equal (rc, problem == JK_VERIFY_OK ? JK_OK : JK_INVALID);
    if (problem != JK_VERIFY_OK)
        assert_true (strlen (result.message) > 10);
}

static void test_verify_detects_tampering (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("log-verify");
    char *path = s_make_log (dir, 10);
    jk_verify_result_t result;
    assert_int_equal (jk_log_verify (path, NULL, &result, NULL, NULL), JK_OK);
    assert_int_equal (result.records, 10);
    assert_int_equal (result.head.pos, 10);
    jk_head_t kept = result.head;
    s_expect (path, &kept, JK_VERIFY_OK, 0);

    /* One byte of the event at position 4. */
    char *copy = jk_sprintf ("%s/copy.db", dir);
    char *sql = jk_sprintf ("VACUUM INTO '%s'", copy);
    s_exec (path, sql);
    free (sql);
    s_exec (copy, "UPDATE log SET bytes = substr(bytes, 1, 10) || (CASE"
                  " WHEN substr(bytes, 11, 1) = X'41' THEN X'42' ELSE X'41'"
                  " END) || substr(bytes, 12) WHERE pos = 4");
    s_expect (copy, NULL, JK_VERIFY_HASH, 4);
    unlink (copy);

    /* A decision turned around at position 6 (rejected -> accepted). */
    sql = jk_sprintf ("VACUUM INTO '%s'", copy);
    s_exec (path, sql);
    s_exec (copy, "UPDATE log SET outcome = 0, code = NULL, message = NULL"
                  " WHERE pos = 6");
    s_expect (copy, NULL, JK_VERIFY_HASH, 6);
    unlink (copy);

    /* A deleted record. */
    s_exec (path, sql);
    s_exec (copy, "DELETE FROM log WHERE pos = 7");
    s_expect (copy, NULL, JK_VERIFY_MISSING, 7);
    unlink (copy);

    /* Time going backwards. */
    s_exec (path, sql);
    s_exec (copy, "UPDATE log SET recorded_at = 0 WHERE pos = 5");
    s_expect (copy, NULL, JK_VERIFY_TIME, 5);
    unlink (copy);

    /* The tail cut off: only a kept head notices. */
    s_exec (path, sql);
    s_exec (copy, "DELETE FROM log WHERE pos > 8");
    s_expect (copy, NULL, JK_VERIFY_OK, 0);
    s_expect (copy, &kept, JK_VERIFY_TRUNCATED, 9);
    unlink (copy);

    /* The head's hash differs: the log was rewritten consistently. */
    jk_head_t wrong = kept;
    wrong.hash[0] ^= 1;
    s_expect (path, &wrong, JK_VERIFY_HEAD, 10);

    /* A missing file is an IO error with a message. */
    assert_int_equal (
        jk_log_verify ("/nonexistent/events.db", NULL, &result, NULL, NULL),
        JK_IO);
    assert_non_null (strstr (result.message, "/nonexistent/events.db"));
    free (sql);
    free (copy);
    free (path);
    jk_test_rmdir (&dir);
}

/* SQLite numbers each appended row after the table's last one; when
   that is not the head's next position (a row written behind the log's
   back, which the store's single-writer lock rules out), the append
   fails (JK_IO), says so (jk_log_errcode SQLITE_CORRUPT, which stops the
   store's writes, and a message naming both positions) and nothing of it
   stays: the rowid is never trusted for the position the chain hashed. */
static void test_append_checks_position (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("log-position");
    char *path = jk_sprintf ("%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    jk_log_record_t r1, r2;
    uint8_t *b1, *b2;
    assert_int_equal (jk_log_begin (log), JK_OK);
    s_append (log, 1, 0, &r1, &b1);
    assert_int_equal (r1.pos, 1);
    assert_int_equal (jk_log_commit (log), JK_OK);
    /* A row at position 7, by another connection. */
    s_exec (path, "INSERT INTO log (pos, id, type, v, source, seq, at,"
                  " recorded_at, outcome, bytes, hash) VALUES (7, X'00',"
                  " 'x', 1, 'elsewhere', 1, 0, 0, 0, X'00', X'00')");
    assert_int_equal (jk_log_begin (log), JK_OK);
    size_t size;
    b2 = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size);
    jk_envelope_t envelope;
    assert_true (jk_envelope_peek (b2, size, &envelope));
    memset (&r2, 0, sizeof r2);
    memcpy (r2.id, envelope.id, 16);
    r2.type = "cooperative.registered";
    r2.version = 1;
    r2.source = H_SOURCE;
    r2.seq = 2;
    r2.at = envelope.at;
    r2.recorded_at = jk_log_next_time (log);
    r2.bytes = b2;
    r2.size = size;
    assert_int_equal (jk_log_append (log, &r2), JK_IO);
    assert_int_equal (jk_log_errcode (log), SQLITE_CORRUPT);
    assert_string_equal (jk_log_errmsg (log),
                         "the log's next row took position 8, not the head's "
                         "next 2: a row was written to the log behind the "
                         "store's back");
    jk_log_rollback (log);
    assert_int_equal (jk_log_head (log, NULL), 1);
    assert_int_equal (jk_log_next_seq (log, H_SOURCE), 2);
    jk_log_record_t found;
    assert_int_equal (jk_log_find (log, r2.id, &found), JK_NOT_FOUND);
    jk_log_close (&log);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT group_concat (pos) FROM"
                                          " (SELECT pos FROM log ORDER BY pos)",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_string_equal (sqlite3_column_text (st, 0), "1,7");
    sqlite3_finalize (st);
    sqlite3_close (db);
    free (b1);
    free (b2);
    free (path);
    jk_test_rmdir (&dir);
}

/* The plan counts seqs decided but not appended, on top of the open
   transaction's; the COMMIT in two halves keeps it; a reset forgets it.
   A record appended with the hash its caller computed from the head's
   (hashed) is stored with it, and the chain verifies. */
static void test_plan_and_hashed_append (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("log-plan");
    char *path = jk_sprintf ("%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    const char *other = "32.03.02/other";
    assert_int_equal (jk_log_begin (log), JK_OK);
    s_append_one (log, H_SOURCE, 1);
    assert_int_equal (jk_log_plan_seq (log, H_SOURCE), 2);
    jk_log_plan_take (log, H_SOURCE, 2);
    jk_log_plan_take (log, other, 1);
    assert_int_equal (jk_log_plan_seq (log, H_SOURCE), 3);
    assert_int_equal (jk_log_plan_seq (log, other), 2);
    assert_int_equal (jk_log_next_seq (log, H_SOURCE), 2);
    assert_int_equal (jk_log_next_seq (log, other), 1);
    assert_int_equal (jk_log_commit_end (log, jk_log_commit_write (log)),
                      JK_OK);
    assert_int_equal (jk_log_plan_seq (log, H_SOURCE), 3);
    assert_int_equal (jk_log_next_seq (log, H_SOURCE), 2);

    /* The planned record, appended with the hash computed ahead. */
    assert_int_equal (jk_log_begin (log), JK_OK);
    size_t size;
    uint8_t *bytes = h_cooperative (H_SOURCE, 2, 2, H_DESA, &size);
    jk_envelope_t envelope;
    assert_true (jk_envelope_peek (bytes, size, &envelope));
    jk_log_record_t record = {.type = "cooperative.registered",
                              .version = 1,
                              .source = H_SOURCE,
                              .seq = 2,
                              .at = envelope.at,
                              .recorded_at = jk_log_next_time (log),
                              .outcome = JK_LOG_REJECTED,
                              .code = "E_TEST",
                              .message = "a test rejection",
                              .bytes = bytes,
                              .size = size,
                              .hashed = true};
    memcpy (record.id, envelope.id, 16);
    uint8_t head[JK_HASH_SIZE], expected[JK_HASH_SIZE];
    assert_int_equal (jk_log_head (log, head), 1);
    jk_chain_t *chain = jk_chain_new ();
    jk_chain_step (chain, head, 2, record.recorded_at, JK_LOG_REJECTED,
                   "E_TEST", "a test rejection", bytes, size, record.hash);
    memcpy (expected, record.hash, JK_HASH_SIZE);
    jk_chain_destroy (&chain);
    assert_int_equal (jk_log_append (log, &record), JK_OK);
    assert_int_equal (record.pos, 2);
    assert_memory_equal (record.hash, expected, JK_HASH_SIZE);
    assert_int_equal (jk_log_plan_seq (log, H_SOURCE), 3);
    jk_log_plan_reset (log);
    assert_int_equal (jk_log_plan_seq (log, H_SOURCE), 3);
    assert_int_equal (jk_log_plan_seq (log, other), 1);
    assert_int_equal (jk_log_commit (log), JK_OK);
    free (bytes);
    jk_log_close (&log);

    jk_verify_result_t verify;
    assert_int_equal (jk_log_verify (path, NULL, &verify, NULL, NULL), JK_OK);
    assert_int_equal (verify.records, 2);
    assert_memory_equal (verify.head.hash, expected, JK_HASH_SIZE);
    free (path);
    jk_test_rmdir (&dir);
}

/* PRAGMA name's value on db. */
static int s_pragma (sqlite3 *db, const char *name)
{
    char *sql = jk_sprintf ("PRAGMA %s", name);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    int value = sqlite3_column_int (st, 0);
    sqlite3_finalize (st);
    free (sql);
    return value;
}

/* The log's connection has 16 MiB of page cache until its first
   transaction (a bulk loader through jk_log_db keeps it), the writer's
   4 MiB from then on, with its transactions held in memory up to 4,000
   pages, and secure_delete off: appends that go past 4 MiB in one transaction
   write nothing before the COMMIT, and the cache is back at its size after. */
static void test_writer_cache (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("log-cache");
    char *path = jk_sprintf ("%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    sqlite3 *db = jk_log_db (log);
    assert_int_equal (s_pragma (db, "cache_size"), -16384);
    assert_int_equal (jk_log_begin (log), JK_OK);
    assert_int_equal (s_pragma (db, "cache_size"), -4096);
    assert_int_equal (s_pragma (db, "cache_spill"), 4000);
    /* Nothing the log frees is wiped (SQLITE_SECURE_DELETE builds). */
    assert_int_equal (s_pragma (db, "secure_delete"), 0);
    /* More than 4 MiB of pages in one transaction. */
    enum { ROWS = 20000 };
    for (uint64_t seq = 1; seq <= ROWS; seq++)
        s_append_one (log, H_SOURCE, seq);
    int used = 0, high = 0;
    assert_int_equal (
        sqlite3_db_status (db, SQLITE_DBSTATUS_CACHE_USED, &used, &high, 0),
        SQLITE_OK);
    assert_true (used > 4096 * 1024);
    /* None of it written to the WAL before the COMMIT. */
    int spills = 0;
    assert_int_equal (
        sqlite3_db_status (db, SQLITE_DBSTATUS_CACHE_SPILL, &spills, &high, 0),
        SQLITE_OK);
    assert_int_equal (spills, 0);
    assert_int_equal (jk_log_commit (log), JK_OK);
    assert_int_equal (
        sqlite3_db_status (db, SQLITE_DBSTATUS_CACHE_USED, &used, &high, 0),
        SQLITE_OK);
    /* 4 MiB of pages and SQLite's few bytes for each. */
    assert_true (used <= 4096 * 1024 * 9 / 8);
    assert_int_equal (jk_log_head (log, NULL), ROWS);
    jk_log_close (&log);
    free (path);
    jk_test_rmdir (&dir);
}

/* jk_log.h: the months a log records are read as --rat-deadline-months
   takes them, a whole number 1 to 24 exactly; "6x", "0", "100" or a
   number past int are no record (they were read as 6, 0, 100 and an
   overflow), as a malformed region is. */
static void test_log_settings_months_exact (void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (":memory:", &db), SQLITE_OK);
    jk_log_settings_t settings = {.area = "32.04", .rat_deadline_months = 9};
    char err[256] = "";
    assert_int_equal (jk_log_settings_write (db, &settings, err, sizeof err),
                      JK_OK);
    jk_log_settings_t got;
    assert_int_equal (jk_log_settings_read (db, &got), JK_OK);
    assert_string_equal (got.area, "32.04");
    assert_int_equal (got.rat_deadline_months, 9);
    const char *bad[] = {"6x", "0", "100", "99999999999", " 6", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *sql = sqlite3_mprintf ("UPDATE log_settings SET value = %Q"
                                     " WHERE key = 'rat_deadline_months'",
                                     bad[i]);
        assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_free (sql);
        assert_int_equal (jk_log_settings_read (db, &got), JK_NOT_FOUND);
    }
    sqlite3_close (db);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_chain_construction),
        cmocka_unit_test (test_log_settings_months_exact),
        cmocka_unit_test (test_append_commit_rollback),
        cmocka_unit_test (test_sources_interleaved),
        cmocka_unit_test (test_plan_and_hashed_append),
        cmocka_unit_test (test_rows_as_appended),
        cmocka_unit_test (test_append_checks_position),
        cmocka_unit_test (test_verify_detects_tampering),
        cmocka_unit_test (test_writer_cache),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
