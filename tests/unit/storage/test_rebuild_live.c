/*  test_rebuild_live.c - rebuild of a log that grows while it is rebuilt:
    the whole-log copy ends where the projections' snapshot ends (records
    appended meanwhile are not in the rebuilt file), the rebuilt log
    verifies, and a cut rebuild (--until-pos) copies exactly its prefix.
    The whole log's page copy holds what a row-by-row copy holds: the
    log's rows, no table of the source besides, no tile. */
#include "jk_projections.h"
#include "jk_rebuild.h"
#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_RECORDS 17000 /* past one progress report (every 16384) */
#define S_LATE    500   /* appended while the rebuild runs */
#define S_SOURCE  "32.03.10/rebuild-1"

/* Appends count rejection records (bytes that hold an envelope and no
   event) in one transaction. */
static void s_append (jk_log_t *log, size_t count)
{
    assert_int_equal (jk_log_begin (log), JK_OK);
    for (size_t i = 0; i < count; i++) {
        jk_log_record_t record = {
            .type = "",
            .version = 1,
            .source = S_SOURCE,
            .seq = jk_log_next_seq (log, S_SOURCE),
            .at = 1,
            .recorded_at = jk_log_next_time (log),
            .outcome = JK_LOG_REJECTED,
            .code = "E_DECODE",
            .message = "test record",
        };
        uint64_t seq = record.seq;
        memcpy (record.id, &seq, sizeof seq);
        uint8_t *bytes = jk_test_record_bytes (
            record.type, record.version, record.source, record.seq, record.at,
            record.id, &record.size);
        record.bytes = bytes;
        assert_int_equal (jk_log_append (log, &record), JK_OK);
        free (bytes);
    }
    assert_int_equal (jk_log_commit (log), JK_OK);
}

typedef struct {
    jk_log_t *writer; /* the source's writer */
    int reports;      /* progress reports seen */
} s_progress_t;

/* On the first progress report, while the rebuild is mid-way, the source
   grows. */
static void s_progress (void *arg, uint64_t done, uint64_t total)
{
    s_progress_t *p = arg;
    (void)total;
    if (p->reports++ == 0 && done < S_RECORDS)
        s_append (p->writer, S_LATE);
}

/* The records of the log at path. */
static int64_t s_count (const char *path)
{
    return jk_test_db_int64 (path, "SELECT count(*) FROM log");
}

static void test_rebuild_while_growing (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("rebuild-live");
    char *src = jk_sprintf ("%s/events.db", dir);
    char err[256] = "";
    jk_log_t *writer = jk_log_open (src, 0, err, sizeof err);
    assert_non_null (writer);
    s_append (writer, S_RECORDS);

    s_progress_t progress = {.writer = writer};
    jk_rebuild_options_t options = {.progress = s_progress,
                                    .progress_arg = &progress};
    char *out = jk_sprintf ("%s/rebuilt.db", dir);
    jk_rebuild_result_t result;
    assert_int_equal (
        jk_log_rebuild (src, out, &options, &result, err, sizeof err), JK_OK);
    assert_true (progress.reports >= 2);
    assert_int_equal (result.records, S_RECORDS);
    assert_int_equal (result.rejected, S_RECORDS);
    assert_int_equal (result.head.pos, S_RECORDS);
    assert_int_equal (s_count (src), S_RECORDS + S_LATE);
    assert_int_equal (s_count (out), S_RECORDS);
    jk_verify_result_t verified;
    assert_int_equal (jk_log_verify (out, NULL, &verified, NULL, NULL), JK_OK);
    assert_int_equal (verified.records, S_RECORDS);
    assert_memory_equal (verified.head.hash, result.head.hash, JK_HASH_SIZE);

    /* A cut copies its prefix row by row: the same records, verified. */
    char *cut = jk_sprintf ("%s/cut.db", dir);
    options = (jk_rebuild_options_t){.until_pos = 1234};
    assert_int_equal (
        jk_log_rebuild (src, cut, &options, &result, err, sizeof err), JK_OK);
    assert_int_equal (result.records, 1234);
    assert_int_equal (s_count (cut), 1234);
    assert_int_equal (jk_log_verify (cut, NULL, &verified, NULL, NULL), JK_OK);
    assert_int_equal (verified.records, 1234);

    jk_log_close (&writer);
    free (cut);
    free (out);
    free (src);
    jk_test_rmdir (&dir);
}

/* The names of the tables and indexes of the database at path, one
   string. */
static char *s_schema (const char *path)
{
    char *text = jk_test_db_text (path, "SELECT group_concat(type || ' ' ||"
                                        " name || ' ' || ifnull(sql, ''),"
                                        " '\n') FROM (SELECT * FROM"
                                        " sqlite_master ORDER BY type, name)");
    assert_non_null (text);
    return text;
}

/* A source holding more than its log (projection rows that are wrong, a
   table of its own, Merkle tiles): the whole-log rebuild, which copies
   the source's pages, gives the same file as a rebuild to the same
   position, which copies row by row: the same schema, the same log rows,
   no tile, the projections from the log alone; private to its owner. */
static void test_rebuild_page_copy (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("rebuild-pages");
    char *src = jk_sprintf ("%s/events.db", dir);
    char err[256] = "";
    jk_log_t *writer = jk_log_open (src, 0, err, sizeof err);
    assert_non_null (writer);
    s_append (writer, 1000);
    sqlite3 *db = jk_log_db (writer);
    assert_int_equal (jk_projections_migrate (db, err, sizeof err), 0);
    assert_int_equal (
        sqlite3_exec (db,
                      "INSERT INTO sources VALUES ('no-such-source', 9, 9,"
                      " 9, 9, 9, 9);"
                      " CREATE TABLE extra (x); INSERT INTO extra VALUES (1);"
                      " CREATE VIEW extra_view AS SELECT x FROM extra",
                      NULL, NULL, NULL),
        SQLITE_OK);
    jk_log_close (&writer);
    assert_true (jk_test_db_int64 (src, "SELECT count(*) FROM merkle_tile") >
                 0);

    char *pages = jk_sprintf ("%s/pages.db", dir);
    char *rows = jk_sprintf ("%s/rows.db", dir);
    jk_rebuild_result_t result;
    int64_t started = jk_clock_mono_ms ();
    assert_int_equal (
        jk_log_rebuild (src, pages, NULL, &result, err, sizeof err), JK_OK);
    int64_t took = jk_clock_mono_ms () - started;
    assert_int_equal (result.records, 1000);
    /* Every page of the source, counted by the copy; the phases within
       the call's own time. */
    assert_int_equal (result.pages_copied,
                      jk_test_db_int64 (src, "PRAGMA page_count"));
    assert_true (result.apply_ms >= 0 && result.tables_ms >= 0 &&
                 result.indexes_ms >= 0 && result.copy_ms >= 0);
    assert_true (result.apply_ms + result.tables_ms + result.indexes_ms <=
                 took);
    assert_true (result.copy_ms <= took);
    jk_rebuild_options_t options = {.until_pos = 1000};
    assert_int_equal (
        jk_log_rebuild (src, rows, &options, &result, err, sizeof err), JK_OK);
    assert_int_equal (result.records, 1000);
    assert_int_equal (result.pages_copied, 0);
    assert_int_equal (result.copy_ms, 0);

    char *a = s_schema (pages), *b = s_schema (rows);
    assert_string_equal (a, b);
    assert_null (strstr (a, "extra"));
    free (a);
    free (b);
    assert_int_equal (
        jk_test_db_int64 (pages, "SELECT count(*) FROM merkle_tile"), 0);
    assert_int_equal (
        jk_test_db_int64 (
            pages,
            "SELECT count(*) FROM sources WHERE source = 'no-such-source'"),
        0);
    /* The rejections' envelopes name one source. */
    assert_int_equal (
        jk_test_db_int64 (
            pages,
            "SELECT count(*) FROM sources WHERE source = '" S_SOURCE "'"),
        1);
    assert_int_equal (jk_test_db_int64 (pages, "SELECT count(*) FROM sources"),
                      1);
    assert_int_equal (jk_test_db_int64 (rows, "SELECT count(*) FROM sources"),
                      1);
    assert_int_equal (
        jk_test_db_int64 (pages, "SELECT count(*) FROM rejections"), 1000);
    assert_int_equal (jk_test_db_int64 (pages, "PRAGMA user_version"),
                      jk_test_db_int64 (rows, "PRAGMA user_version"));
    /* Every row of the one log in the other, column for column. */
    char *attach = jk_sprintf ("ATTACH '%s' AS r", rows);
    sqlite3 *pdb = NULL;
    assert_int_equal (sqlite3_open (pages, &pdb), SQLITE_OK);
    assert_int_equal (sqlite3_exec (pdb, attach, NULL, NULL, NULL), SQLITE_OK);
    free (attach);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (pdb,
                            "SELECT count(*) FROM log p JOIN r.log q"
                            " USING (pos) WHERE p.id = q.id"
                            " AND p.type IS q.type AND p.v = q.v"
                            " AND p.source = q.source AND p.seq = q.seq"
                            " AND p.at = q.at AND p.recorded_at = q.recorded_at"
                            " AND p.outcome = q.outcome AND p.code IS q.code"
                            " AND p.message IS q.message AND p.bytes = q.bytes"
                            " AND p.hash = q.hash",
                            -1, &stmt, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int64 (stmt, 0), 1000);
    sqlite3_finalize (stmt);
    sqlite3_close (pdb);
    assert_int_equal (jk_test_db_int64 (pages, "SELECT count(*) FROM log"),
                      1000);
    jk_verify_result_t verified;
    assert_int_equal (jk_log_verify (pages, NULL, &verified, NULL, NULL),
                      JK_OK);
    assert_int_equal (verified.records, 1000);
    struct stat st;
    assert_int_equal (stat (pages, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);

    free (rows);
    free (pages);
    free (src);
    jk_test_rmdir (&dir);
}

/* A whole-log rebuild that fails half-way (a record logged as accepted
   whose bytes are no event) stops its page copy and leaves no output. */
static void test_rebuild_page_copy_fails (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("rebuild-fails");
    char *src = jk_sprintf ("%s/events.db", dir);
    char err[256] = "";
    jk_log_t *writer = jk_log_open (src, 0, err, sizeof err);
    assert_non_null (writer);
    s_append (writer, S_RECORDS);
    assert_int_equal (sqlite3_exec (jk_log_db (writer),
                                    "UPDATE log SET outcome = 0, code = NULL,"
                                    " message = NULL WHERE pos = 9000",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    jk_log_close (&writer);

    char *out = jk_sprintf ("%s/rebuilt.db", dir);
    jk_rebuild_result_t result;
    err[0] = 0;
    assert_int_equal (jk_log_rebuild (src, out, NULL, &result, err, sizeof err),
                      JK_INVALID);
    assert_non_null (strstr (err, "position 9000"));
    assert_int_equal (result.records, 8999);
    struct stat st;
    assert_int_not_equal (stat (out, &st), 0);
    char *wal = jk_sprintf ("%s-wal", out);
    assert_int_not_equal (stat (wal, &st), 0);
    free (wal);
    /* The source is left as it was, and the name is free: a new rebuild
       fails the same way, not as a file that exists (JK_CONFLICT). */
    assert_int_equal (s_count (src), S_RECORDS);
    assert_int_equal (jk_log_rebuild (src, out, NULL, &result, err, sizeof err),
                      JK_INVALID);
    free (out);
    free (src);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rebuild_while_growing),
        cmocka_unit_test (test_rebuild_page_copy),
        cmocka_unit_test (test_rebuild_page_copy_fails),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
