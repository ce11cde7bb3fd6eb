/*  test_projection_table.c - the projections as data: a misspelled field,
    column or table in the projection table stops the projections at
    start-up with a message naming it; the generated SQL of each write
    mode; the generated schema matches what the dump reads; and
    docs/PROJECTIONS.md's table section is the one `jejak-store
    --projections-doc` prints, byte for byte. */
#include "projections_internal.h"
#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fresh migrated database in a temp directory. */
typedef struct {
    char *dir;
    sqlite3 *db;
} s_db_t;

static void s_db_open (s_db_t *d)
{
    d->dir = jk_test_tmpdir ("ptable");
    char *path = jk_sprintf ("%s/p.db", d->dir);
    assert_int_equal (sqlite3_open (path, &d->db), SQLITE_OK);
    free (path);
    char err[256] = "";
    if (jk_projections_migrate (d->db, err, sizeof err))
        fail_msg ("migrate: %s", err);
}

static void s_db_close (s_db_t *d)
{
    assert_int_equal (sqlite3_close (d->db), SQLITE_OK);
    jk_test_rmdir (&d->dir);
}

/* A copy of the built-in writes (the caller frees it). */
static jk_pwrite_t *s_copy (size_t *count)
{
    const jk_pwrite_t *writes = jk_pwrites (count);
    jk_pwrite_t *copy = jk_calloc (*count, sizeof *copy);
    memcpy (copy, writes, *count * sizeof *copy);
    return copy;
}

/* The index of the write of type into table in the built-in list. */
static size_t s_find (const jk_pwrite_t *writes, size_t count, const char *type,
                      const char *table)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (writes[i].type, type) == 0 &&
            strcmp (writes[i].table, table) == 0)
            return i;
    fail_msg ("no write of %s into %s", type, table);
    return 0;
}

static void test_builtin_table_starts (void **state)
{
    (void)state;
    s_db_t d;
    s_db_open (&d);
    size_t count;
    const jk_pwrite_t *writes = jk_pwrites (&count);
    char err[256] = "";
    assert_int_equal (jk_pwrites_check (writes, count, err, sizeof err), 0);
    assert_true (count >= 15);
    jk_projections_t *p = jk_projections_new (d.db, NULL, err, sizeof err);
    if (!p)
        fail_msg ("new: %s", err);
    jk_projections_destroy (&p);
    s_db_close (&d);
}

static void test_misspelled_field_fails_at_start (void **state)
{
    (void)state;
    s_db_t d;
    s_db_open (&d);
    size_t count;
    jk_pwrite_t *writes = s_copy (&count);
    size_t i = s_find (writes, count, "training.batch_scheduled", "batches");
    assert_string_equal (writes[i].binds[1].column, "title");
    writes[i].binds[1].field = "titel";
    char err[256] = "";
    assert_int_equal (jk_pwrites_check (writes, count, err, sizeof err), -1);
    assert_string_equal (err,
                         "projection table: training.batch_scheduled writes "
                         "batches.title from body.titel, which is not a field "
                         "of training.batch_scheduled");
    /* The projections refuse to start with it: no event is needed. */
    err[0] = 0;
    jk_projections_t *p =
        jk_projections_new_with (d.db, NULL, writes, count, err, sizeof err);
    assert_null (p);
    assert_non_null (strstr (err, "body.titel"));
    free (writes);
    s_db_close (&d);
}

static void test_unknown_column_table_and_key_fail (void **state)
{
    (void)state;
    size_t count;
    jk_pwrite_t *writes = s_copy (&count);
    char err[256] = "";
    size_t i = s_find (writes, count, "certificate.issued", "certificates");
    writes[i].binds[0].column = "numbr";
    assert_int_equal (jk_pwrites_check (writes, count, err, sizeof err), -1);
    assert_string_equal (err, "projection table: certificate.issued writes "
                              "certificates.numbr, which is not a column of "
                              "certificates");
    free (writes);

    writes = s_copy (&count);
    i = s_find (writes, count, "training.batch_closed", "batches");
    writes[i].table = "batchs";
    assert_int_equal (jk_pwrites_check (writes, count, err, sizeof err), -1);
    assert_string_equal (err, "projection table: training.batch_closed "
                              "writes table batchs, which does not exist");
    free (writes);

    writes = s_copy (&count);
    i = s_find (writes, count, "training.batch_closed", "batches");
    writes[i].key = "batch, closed_pos, session_no";
    assert_int_equal (jk_pwrites_check (writes, count, err, sizeof err), -1);
    assert_string_equal (err, "projection table: training.batch_closed keys "
                              "batches on session_no, which is not a column "
                              "of it");
    free (writes);

    writes = s_copy (&count);
    i = s_find (writes, count, "training.batch_closed", "batches");
    writes[i].type = "training.batch_closd";
    assert_int_equal (jk_pwrites_check (writes, count, err, sizeof err), -1);
    assert_string_equal (
        err, "projection table: no event type training.batch_closd");
    free (writes);
}

static void test_generated_sql (void **state)
{
    (void)state;
    size_t count;
    const jk_pwrite_t *writes = jk_pwrites (&count);
    char *sql = jk_pwrite_sql (
        &writes[s_find (writes, count, "training.batch_closed", "batches")]);
    assert_string_equal (sql, "UPDATE batches SET closed = ?2, closed_pos = ?3"
                              " WHERE batch = ?1");
    free (sql);
    sql = jk_pwrite_sql (&writes[s_find (writes, count, "assessment.decided",
                                         "assessment_results")]);
    assert_string_equal (
        sql, "INSERT INTO assessment_results (assessment, nik, verdict,"
             " decisions, decided_pos) VALUES (?1, ?2, ?3, ?4, ?5)"
             " ON CONFLICT (assessment, nik) DO UPDATE SET verdict ="
             " excluded.verdict, decisions = decisions + excluded.decisions,"
             " decided_pos = excluded.decided_pos");
    free (sql);
    sql = jk_pwrite_sql (&writes[s_find (
        writes, count, "assessment.unit_assessed", "unit_results")]);
    /* first_pos is written on insert only. */
    assert_null (strstr (sql, "first_pos = "));
    assert_non_null (strstr (sql, "last_pos = excluded.last_pos"));
    free (sql);
}

/* The table's columns in db are the projection table's, in order. */
static void s_assert_columns (sqlite3 *db, const jk_ptable_t *table)
{
    char *sql = jk_sprintf ("SELECT * FROM %s", table->name);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), SQLITE_OK);
    int c = 0;
    for (; table->columns[c].name; c++)
        assert_string_equal (sqlite3_column_name (st, c),
                             table->columns[c].name);
    assert_int_equal (sqlite3_column_count (st), c);
    sqlite3_finalize (st);
    free (sql);
}

/* Every table of the projection table exists with its columns in order,
   and the database holds no other table. */
static void test_schema_is_the_table (void **state)
{
    (void)state;
    s_db_t d;
    s_db_open (&d);
    for (size_t t = 0; t < jk_ptable_count (); t++)
        s_assert_columns (d.db, jk_ptable_at (t));
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (d.db,
                                          "SELECT count(*) FROM sqlite_master"
                                          " WHERE type = 'table'",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int (st, 0), (int)jk_ptable_count ());
    sqlite3_finalize (st);
    /* Migrating again is a no-op. */
    char err[256] = "";
    assert_int_equal (jk_projections_migrate (d.db, err, sizeof err), 0);
    s_db_close (&d);
}

/* A database at schema_version 1 (data_quality without its subject and
   resolution) migrates to the generated schema: same columns in the same
   order, the subject of a registration's warning filled from its row. */
static void test_migration_2_warning_subjects (void **state)
{
    (void)state;
    s_db_t d;
    s_db_open (&d);
    assert_int_equal (
        sqlite3_exec (
            d.db,
            "DROP INDEX data_quality_person;"
            "DROP INDEX data_quality_cooperative;"
            "ALTER TABLE data_quality DROP COLUMN nik;"
            "ALTER TABLE data_quality DROP COLUMN legal_number_norm;"
            "ALTER TABLE data_quality DROP COLUMN resolved_pos;"
            "ALTER TABLE data_quality DROP COLUMN resolved_by;"
            "UPDATE projection_meta SET value = 1"
            " WHERE key = 'schema_version';"
            "INSERT INTO people (nik, name, sex, birth_date, desa_code,"
            " registered_pos, updated_pos) VALUES ('3203100101900007',"
            " 'Euis', 'P', '1990-01-01', '32.03.10.2001', 5, 5);"
            "INSERT INTO data_quality (pos, item, id, entity, code, field,"
            " message) VALUES (5, 1, x'00', 'person 3203********0007',"
            " 'W_NIK_SEX', 'body.nik', 'm'), (6, 1, x'01', 'attendance',"
            " 'W_AT_FUTURE', 'at', 'm');",
            NULL, NULL, NULL),
        SQLITE_OK);
    char err[256] = "";
    if (jk_projections_migrate (d.db, err, sizeof err))
        fail_msg ("migrate: %s", err);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (d.db,
                            "SELECT (SELECT value FROM projection_meta WHERE"
                            " key = 'schema_version'), group_concat (pos ||"
                            " '=' || coalesce (nik, '-'), ' '), count"
                            " (resolved_pos) FROM data_quality",
                            -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int (st, 0), 3);
    assert_string_equal ((const char *)sqlite3_column_text (st, 1),
                         "5=3203100101900007 6=-");
    assert_int_equal (sqlite3_column_int (st, 2), 0);
    sqlite3_finalize (st);
    s_assert_columns (d.db, jk_ptable_find ("data_quality"));
    /* The projections start on it (their statements prepare). */
    jk_projections_t *proj = jk_projections_new (d.db, NULL, err, sizeof err);
    if (!proj)
        fail_msg ("new: %s", err);
    jk_projections_destroy (&proj);
    s_db_close (&d);
}

static void test_projections_md_is_current (void **state)
{
    (void)state;
    char *argv[] = {"jejak-store", "--projections-doc", NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, 20000), 0);
    assert_non_null (out);
    size_t size = 0;
    char *doc = jk_test_slurp (JEJAK_SOURCE_DIR "/docs/PROJECTIONS.md", &size);
    assert_non_null (doc);
    const char *start = strstr (doc, "## Tables, column by column\n");
    assert_non_null (start);
    const char *end = strstr (start, "\n## Domain rules");
    assert_non_null (end);
    size_t len = (size_t)(end - start) + 1;
    if (len != strlen (out) || memcmp (start, out, len) != 0) {
        size_t at = 0;
        while (at < len && out[at] && start[at] == out[at])
            at++;
        fail_msg ("docs/PROJECTIONS.md's table section is out of date (first "
                  "difference at byte %zu of the section); replace it with "
                  "the output of `jejak-store --projections-doc`",
                  at);
    }
    /* Every table has its heading. */
    for (size_t t = 0; t < jk_ptable_count (); t++) {
        char heading[96];
        snprintf (heading, sizeof heading, "\n### %s", jk_ptable_at (t)->name);
        assert_non_null (strstr (out, heading));
    }
    free (doc);
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_builtin_table_starts),
        cmocka_unit_test (test_misspelled_field_fails_at_start),
        cmocka_unit_test (test_unknown_column_table_and_key_fail),
        cmocka_unit_test (test_generated_sql),
        cmocka_unit_test (test_schema_is_the_table),
        cmocka_unit_test (test_migration_2_warning_subjects),
        cmocka_unit_test (test_projections_md_is_current),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
