/*  test_export.c - export to JSON Lines and CSV, and the way back: every
    accepted event's bytes re-encoded from its JSON line hash the same;
    JSON string escaping and the JSON reader's errors. */
#include "testsupport.h"

#include "export_read.h"
#include "jk_replay.h"
#include "replay_workload.h"

#include <string.h>
#include <sys/stat.h>

static char *s_dir;
static char *s_db;

static int s_setup (void **state)
{
    (void)state;
    s_dir = jk_test_tmpdir ("replay-export");
    s_db = jk_sprintf ("%s/events.db", s_dir);
    rw_build (s_db, 2 * RW_BLOCK, NULL, NULL);
    return 0;
}

static int s_teardown (void **state)
{
    (void)state;
    free (s_db);
    jk_test_rmdir (&s_dir);
    return 0;
}

static char *s_escape (const char *data, size_t size, bool *valid)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    *valid = jk_json_write_string (out, data, size);
    fclose (out);
    return text;
}

/* A file's permission bits, and the process's umask. */
static int s_mode (const char *path)
{
    struct stat sb;
    assert_int_equal (stat (path, &sb), 0);
    return (int)(sb.st_mode & 0777);
}

static int s_umask (void)
{
    mode_t mask = umask (0);
    umask (mask);
    return (int)mask;
}

static void test_json_escaping (void **state)
{
    (void)state;
    bool valid;
    char *text = s_escape ("a\"b\\c\n\t\x01\x7f", 9, &valid);
    assert_true (valid);
    assert_string_equal (text, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
    free (text);
    /* An embedded NUL and valid multi-byte text pass through. */
    text = s_escape ("x\0y \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 15, &valid);
    assert_true (valid);
    assert_string_equal (
        text, "\"x\\u0000y \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    free (text);
    /* Invalid UTF-8: a lone continuation, an overlong form, a surrogate,
       a truncated sequence. */
    text = s_escape ("\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82", 11, &valid);
    assert_false (valid);
    assert_string_equal (text, "\"\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
                               "\\ufffd\\ufffd\"");
    free (text);
}

static void test_json_reader (void **state)
{
    (void)state;
    char err[128];
    const char *doc = " {\"a\": [1, -2, true, false, null, \"x\\u00e9\\ud83d"
                      "\\ude00\\n\"], \"b\": {}} ";
    jk_json_t *tree = jk_json_parse (doc, strlen (doc), err, sizeof err);
    assert_non_null (tree);
    const jk_json_t *a = jk_json_get (tree, "a");
    assert_non_null (a);
    assert_int_equal (a->kind, JK_JSON_ARRAY);
    assert_int_equal (a->len, 6);
    assert_int_equal (a->items[1]->n, -2);
    assert_int_equal (a->items[2]->kind, JK_JSON_BOOL);
    assert_int_equal (a->items[4]->kind, JK_JSON_NULL);
    assert_string_equal (a->items[5]->s, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_int_equal (jk_json_get (tree, "b")->kind, JK_JSON_OBJECT);
    assert_null (jk_json_get (tree, "c"));
    jk_json_destroy (&tree);
    assert_null (tree);

    static const struct {
        const char *text;
        const char *rule;
    } bad[] = {
        {"", "expected a value"},
        {"{\"a\":1,}", "object member names must be strings"},
        {"[1 2]", "expected ',' or ']'"},
        {"{\"a\":1,\"a\":2}", "duplicate member name"},
        {"\"abc", "unterminated string"},
        {"\"a\x01\"", "control character"},
        {"\"\\x\"", "unknown escape"},
        {"\"\\ud800\"", "high surrogate"},
        {"\"\\udc00\"", "lone low surrogate"},
        {"\"\xff\"", "not valid UTF-8"},
        {"1.5", "numbers must be integers"},
        {"1e3", "numbers must be integers"},
        {"012", "malformed number"},
        {"99999999999999999999", "integer out of range"},
        {"9223372036854775808", "integer out of range"},
        {"[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", "nested too deeply"},
        {"{} x", "trailing characters"},
        {"nul", "expected a value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        tree =
            jk_json_parse (bad[i].text, strlen (bad[i].text), err, sizeof err);
        if (tree || !strstr (err, bad[i].rule))
            fail_msg ("'%s': got '%s', want '%s'", bad[i].text, err,
                      bad[i].rule);
    }
    tree = jk_json_parse ("-9223372036854775808", 20, err, sizeof err);
    assert_non_null (tree);
    assert_int_equal (tree->n, INT64_MIN);
    jk_json_destroy (&tree);
}

/* Loads every (pos, bytes, hash, outcome) of the log. */
typedef struct {
    uint8_t *bytes;
    size_t size;
    uint8_t hash[32];
    int outcome;
} s_stored_t;

static s_stored_t *s_load (size_t *count)
{
    char err[256];
    sqlite3 *db = jk_replay_open (s_db, err, sizeof err);
    assert_non_null (db);
    jk_replay_cursor_t *cursor =
        jk_replay_cursor_new (db, 0, 0, err, sizeof err);
    s_stored_t *rows = jk_calloc (2 * RW_BLOCK + 1, sizeof *rows);
    jk_replay_row_t row;
    size_t n = 0;
    while (jk_replay_cursor_next (cursor, &row, err, sizeof err) == 1) {
        assert_int_equal (row.pos, n + 1);
        rows[n].bytes = jk_malloc (row.size);
        memcpy (rows[n].bytes, row.bytes, row.size);
        rows[n].size = row.size;
        memcpy (rows[n].hash, row.hash, 32);
        rows[n].outcome = row.outcome;
        n++;
    }
    jk_replay_cursor_destroy (&cursor);
    sqlite3_close (db);
    *count = n;
    return rows;
}

static void test_jsonl_round_trip (void **state)
{
    (void)state;
    char *path = jk_sprintf ("%s/all.jsonl", s_dir);
    char *argv[] = {"jejak-replay", "export", s_db, "--format",
                    "jsonl",        "--out",  path, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, 60000), 0);
    assert_non_null (strstr (err, "320 records written"));
    free (out);
    free (err);
    /* The full copy, NIKs in clear: the owner's only, as the log. */
    assert_int_equal (s_mode (path), 0600);
    size_t count;
    s_stored_t *rows = s_load (&count);
    assert_int_equal (count, 2 * RW_BLOCK);
    size_t size;
    char *text = jk_test_slurp (path, &size);
    jk_chain_t *chain = jk_chain_new ();
    uint8_t prev[32] = {0};
    size_t line_no = 0, accepted = 0, rejected = 0;
    for (char *line = text; *line; line_no++) {
        char *nl = strchr (line, '\n');
        assert_non_null (nl);
        jk_json_t *tree = NULL;
        jk_report_t report;
        char err_text[128];
        jk_json_t *check = jk_json_parse (line, (size_t)(nl - line), err_text,
                                          sizeof err_text);
        assert_non_null (check);
        const jk_json_t *pos = jk_json_get (check, "pos");
        assert_int_equal (pos->n, line_no + 1);
        const jk_json_t *outcome = jk_json_get (check, "outcome");
        s_stored_t *stored = &rows[line_no];
        if (strcmp (outcome->s, "accepted") == 0) {
            jk_event_t *event = jk_export_event_from_json (
                line, (size_t)(nl - line), &tree, &report);
            if (!event)
                fail_msg ("line %zu: %s", line_no + 1, report.error.message);
            size_t encoded_size;
            uint8_t *encoded = jk_event_encode (event, &encoded_size);
            assert_int_equal (encoded_size, stored->size);
            assert_memory_equal (encoded, stored->bytes, encoded_size);
            /* And the chain over the re-encoded bytes gives the stored
               hash. */
            uint8_t hash[32];
            const jk_json_t *recorded_at = jk_json_get (check, "recorded_at");
            jk_chain_step (chain, prev, line_no + 1, recorded_at->n, 0, NULL,
                           NULL, encoded, encoded_size, hash);
            assert_memory_equal (hash, stored->hash, 32);
            char hex[65];
            jk_hex_format (hash, 32, hex);
            assert_string_equal (jk_json_get (check, "hash")->s, hex);
            free (encoded);
            jk_event_destroy (&event);
            jk_json_destroy (&tree);
            accepted++;
        } else {
            assert_string_equal (outcome->s, "rejected");
            assert_int_equal (stored->outcome, 1);
            assert_non_null (jk_json_get (check, "code"));
            assert_non_null (jk_json_get (check, "message"));
            rejected++;
        }
        memcpy (prev, stored->hash, 32);
        jk_json_destroy (&check);
        line = nl + 1;
    }
    assert_int_equal (accepted, 2 * RW_BLOCK - 4);
    assert_int_equal (rejected, 4);
    jk_chain_destroy (&chain);
    for (size_t i = 0; i < count; i++)
        free (rows[i].bytes);
    free (rows);
    free (text);
    free (path);
}

static void test_jsonl_filters (void **state)
{
    (void)state;
    char *argv[] = {"jejak-replay", "export",     s_db, "--type",
                    "training.",    "--from-pos", "30", "--until-pos",
                    "200",          NULL};
    char *out = NULL;
    assert_int_equal (jk_test_run (argv, &out, NULL, 60000), 0);
    /* Block 0 positions 29-58 are the batch, 4 sessions and 25
       enrolments; from 30 that leaves 29; block 1 (161-320) adds its
       batch at 189, sessions 190-193 and enrolments 194-200. */
    size_t lines = 0;
    for (char *p = out; (p = strchr (p, '\n')); p++)
        lines++;
    assert_int_equal (lines, 29 + 5 + 7);
    assert_null (strstr (out, "\"type\":\"attendance."));
    assert_non_null (strstr (out, "{\"pos\":30,"));
    free (out);
    /* A source office filter: block 0 comes from the first kecamatan. */
    const char *first =
        jk_region_kecamatan_at (jk_region_default (), 0, &(const char *){0});
    char *argv2[] = {"jejak-replay", "export",      s_db,
                     "--source",     (char *)first, NULL};
    assert_int_equal (jk_test_run (argv2, &out, NULL, 60000), 0);
    lines = 0;
    for (char *p = out; (p = strchr (p, '\n')); p++)
        lines++;
    assert_int_equal (lines, RW_BLOCK);
    free (out);
}

/* Filters that can select nothing by their form are usage errors,
   named before the log is read. */
static void test_filter_errors (void **state)
{
    (void)state;
    static const struct {
        const char *flag, *value, *flag2, *value2, *message;
    } bad[] = {
        {"--out", "/nonexistent-dir/x.csv", NULL, NULL,
         "jejak-replay export: --out /nonexistent-dir/x.csv names a CSV "
         "file, but --format is jsonl (the default): give --format csv with "
         "--out a directory, or an --out not ending in .csv\n"},
        {"--format", "jsonl", "--out", "/nonexistent-dir/x.CSV",
         "jejak-replay export: --out /nonexistent-dir/x.CSV names a CSV "
         "file, but --format is jsonl: give --format csv with --out a "
         "directory, or an --out not ending in .csv\n"},
        {"--format", "csv", "--out", "/nonexistent-dir/x.jsonl",
         "jejak-replay export: --out /nonexistent-dir/x.jsonl names a JSON "
         "Lines file, but --format csv writes a directory of files: give "
         "--format jsonl, or --out a directory\n"},
        {"--until-pos", "0", NULL, NULL,
         "jejak-replay export: --until-pos must be >= 1\n"},
        {"--from-pos", "0", NULL, NULL,
         "jejak-replay export: --from-pos must be >= 1\n"},
        {"--from-pos", "3", "--until-pos", "1",
         "jejak-replay export: --from-pos 3 is after --until-pos 1: the "
         "first position must not be after the last\n"},
        {"--source", "zzz", NULL, NULL,
         "jejak-replay export: --source must be an office, a kecamatan code "
         "NN.NN.NN (32.03.10) or DINAS, not 'zzz'\n"},
        {"--source", "32.03.10/pacet-1", NULL, NULL,
         "jejak-replay export: --source must be an office, a kecamatan code "
         "NN.NN.NN (32.03.10) or DINAS, not '32.03.10/pacet-1'\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = {"jejak-replay",
                        "export",
                        s_db,
                        (char *)bad[i].flag,
                        (char *)bad[i].value,
                        (char *)bad[i].flag2,
                        (char *)bad[i].value2,
                        NULL};
        char *out = NULL, *err = NULL;
        assert_int_equal (jk_test_run (argv, &out, &err, 60000), 2);
        assert_string_equal (out, "");
        assert_string_equal (err, bad[i].message);
        free (out);
        free (err);
    }
    /* One position, and DINAS, are ranges and offices like any other. */
    char *one[] = {"jejak-replay", "export", s_db,       "--from-pos", "3",
                   "--until-pos",  "3",      "--source", "DINAS",      NULL};
    char *out = NULL;
    assert_int_equal (jk_test_run (one, &out, NULL, 60000), 0);
    assert_string_equal (out, "");
    free (out);
}

static void test_jsonl_rejection_and_text (void **state)
{
    (void)state;
    char *argv[] = {"jejak-replay", "export",      s_db,  "--from-pos",
                    "159",          "--until-pos", "160", NULL};
    char *out = NULL;
    assert_int_equal (jk_test_run (argv, &out, NULL, 60000), 0);
    /* 159: the duplicate cooperative, a domain rejection. */
    assert_non_null (strstr (out, "{\"pos\":159,"));
    assert_non_null (strstr (out, "\"outcome\":\"rejected\",\"code\":\"E_"));
    assert_non_null (strstr (out, "\"type\":\"cooperative.registered\""));
    /* 160: the bad NIK, a format rejection, still decodes. */
    assert_non_null (strstr (out, "{\"pos\":160,"));
    assert_non_null (strstr (out, "\"nik\":\"3203010107850000\""));
    free (out);
    /* Quotes and tabs in a name are escaped. */
    char *argv2[] = {"jejak-replay", "export", s_db, "--from-pos", "4",
                     "--until-pos",  "4",      NULL};
    assert_int_equal (jk_test_run (argv2, &out, NULL, 60000), 0);
    assert_non_null (strstr (out, "\"name\":\"Peserta \\\"0\\\"\\tSantoso\""));
    free (out);
}

static void test_from_json_errors (void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *code;
        const char *field;
    } bad[] = {
        {"[]", "E_FIELD_TYPE", "line"},
        {"{\"type\":\"no.such\"}", "E_UNKNOWN_TYPE", "type"},
        {"{\"type\":\"training.batch_closed\",\"v\":1}", "E_ENVELOPE_MISSING",
         "source"},
        {"{\"type\":\"training.batch_closed\",\"v\":2,\"source\":\"a\","
         "\"seq\":1,\"at\":1,\"actor\":\"x\",\"body\":{}}",
         "E_UNKNOWN_VERSION", "v"},
        {"{\"type\":\"training.batch_closed\",\"v\":1,\"source\":\"a\","
         "\"seq\":1,\"at\":1,\"actor\":\"x\",\"body\":{},\"id\":\"zz\"}",
         "E_FIELD_FORMAT", "id"},
        {"{\"type\":\"training.batch_closed\",\"v\":1,\"source\":\"a\","
         "\"seq\":1,\"at\":1,\"actor\":\"x\",\"id\":"
         "\"0189d5a2-7c3e-7a1b-9f00-3c5a1e2d4b6f\",\"body\":{\"x\":1}}",
         "E_FIELD_UNKNOWN", "body"},
        {"{\"type\":\"training.batch_closed\",\"v\":1,\"source\":\"a\","
         "\"seq\":1,\"at\":1,\"actor\":\"x\",\"id\":"
         "\"0189d5a2-7c3e-7a1b-9f00-3c5a1e2d4b6f\",\"body\":{\"batch\":1}}",
         "E_FIELD_TYPE", "body.batch"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        jk_json_t *tree = NULL;
        jk_report_t report;
        jk_event_t *event = jk_export_event_from_json (
            bad[i].line, strlen (bad[i].line), &tree, &report);
        assert_null (event);
        if (strcmp (report.error.code, bad[i].code) ||
            strcmp (report.error.field, bad[i].field))
            fail_msg ("%s: got %s %s (%s)", bad[i].line, report.error.code,
                      report.error.field, report.error.message);
        jk_json_destroy (&tree);
    }
}

static void test_csv_export (void **state)
{
    (void)state;
    char *dir = jk_sprintf ("%s/csv", s_dir);
    char *argv[] = {"jejak-replay", "export", s_db, "--format",
                    "csv",          "--out",  dir,  NULL};
    char *err = NULL;
    assert_int_equal (jk_test_run (argv, NULL, &err, 60000), 0);
    free (err);
    char *path = jk_sprintf ("%s/person.registered.csv", dir);
    assert_int_equal (s_mode (path), 0666 & ~s_umask ()); /* NIKs masked */
    size_t size;
    char *text = jk_test_slurp (path, &size);
    assert_non_null (text);
    /* For Indonesian-locale Excel: BOM, ';', NIKs masked by default and
       the header says so. */
    assert_memory_equal (text,
                         "\xEF\xBB\xBFpos;recorded_at;hash;id;v;source;seq;"
                         "at;actor;corrects;nik (disamarkan);name;",
                         strlen ("\xEF\xBB\xBFpos;recorded_at;hash;id;v;"
                                 "source;seq;at;actor;corrects;nik "
                                 "(disamarkan);name;"));
    assert_non_null (strstr (text, ";3203********"));
    assert_null (strstr (text, ";320301"));
    /* Rows end with CRLF; a quote in a name is doubled inside quotes. */
    assert_non_null (strstr (text, ";\"Peserta \"\"0\"\"\tSantoso\";"));
    size_t rows = 0;
    for (char *p = text; (p = strstr (p, "\r\n")); p += 2)
        rows++;
    assert_int_equal (rows, 1 + 2 * 25);
    free (text);
    free (path);
    /* A comma needs no quotes with ';' between cells; rejections go to
       rejected.csv. */
    path = jk_sprintf ("%s/training.batch_scheduled.csv", dir);
    text = jk_test_slurp (path, &size);
    assert_non_null (
        strstr (text, ";Pelatihan Pengelola Koperasi, angkatan \xc3\xa9;"));
    free (text);
    free (path);
    /* --unmasked: the NIK in clear, the column named plainly. */
    char *clear = jk_sprintf ("%s/csv-clear", s_dir);
    char *argv2[] = {"jejak-replay", "export", s_db,         "--format", "csv",
                     "--out",        clear,    "--unmasked", NULL};
    assert_int_equal (jk_test_run (argv2, NULL, &err, 60000), 0);
    free (err);
    path = jk_sprintf ("%s/person.registered.csv", clear);
    assert_int_equal (s_mode (path), 0600);
    text = jk_test_slurp (path, &size);
    assert_non_null (strstr (text, ";corrects;nik;name;"));
    assert_non_null (strstr (text, ";320301"));
    free (text);
    free (path);
    free (clear);
    path = jk_sprintf ("%s/rejected.csv", dir);
    text = jk_test_slurp (path, &size);
    rows = 0;
    for (char *p = text; (p = strstr (p, "\r\n")); p += 2)
        rows++;
    assert_int_equal (rows, 1 + 4);
    free (text);
    free (path);
    free (dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_json_escaping),
        cmocka_unit_test (test_json_reader),
        cmocka_unit_test (test_jsonl_round_trip),
        cmocka_unit_test (test_jsonl_filters),
        cmocka_unit_test (test_jsonl_rejection_and_text),
        cmocka_unit_test (test_from_json_errors),
        cmocka_unit_test (test_csv_export),
        cmocka_unit_test (test_filter_errors),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
