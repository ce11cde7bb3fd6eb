/*  test_csv.c - the CSV parser: separators, BOM, CRLF, quoted fields with
    separators, quotes and newlines, line numbers, limits and errors. */
#include "jk_agent.h"
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

/* Rows collected as "line|cell|cell..." strings. */
typedef struct {
    char rows[32][256];
    jk_csv_fault_t faults[32]; /* of the bad rows */
    size_t count;
    size_t stop_after; /* 0: never stop */
} s_rows_t;

static int s_collect (void *arg, size_t line, char **cells, size_t count)
{
    s_rows_t *r = arg;
    assert_true (r->count < 32);
    char *out = r->rows[r->count++];
    size_t n = (size_t)snprintf (out, 256, "%zu", line);
    for (size_t i = 0; i < count; i++)
        n += (size_t)snprintf (out + n, 256 - n, "|%s", cells[i]);
    return r->stop_after && r->count >= r->stop_after ? 7 : 0;
}

static int s_parse (const char *text, s_rows_t *rows, char *sep)
{
    char err[128] = "";
    memset (rows, 0, sizeof *rows);
    return jk_csv_parse (text, strlen (text), s_collect, rows, sep, err,
                         sizeof err);
}

static void test_comma_and_semicolon (void **state)
{
    (void)state;
    s_rows_t r;
    char sep = 0;
    assert_int_equal (s_parse ("a,b,c\n1,2,3\n", &r, &sep), 0);
    assert_int_equal (sep, ',');
    assert_int_equal (r.count, 2);
    assert_string_equal (r.rows[0], "1|a|b|c");
    assert_string_equal (r.rows[1], "2|1|2|3");

    /* Indonesian locale: ';' separates, ',' is a decimal comma. */
    assert_int_equal (s_parse ("a;b\n1,5;x\n", &r, &sep), 0);
    assert_int_equal (sep, ';');
    assert_string_equal (r.rows[1], "2|1,5|x");
}

static void test_bom_crlf_and_blank_lines (void **state)
{
    (void)state;
    s_rows_t r;
    assert_int_equal (
        s_parse ("\xEF\xBB\xBFnik;name\r\n\r\n1;Ani\r\n2;Budi", &r, NULL), 0);
    assert_int_equal (r.count, 3);
    assert_string_equal (r.rows[0], "1|nik|name");
    assert_string_equal (r.rows[1], "3|1|Ani");
    assert_string_equal (r.rows[2], "4|2|Budi");
}

static void test_quoted_fields (void **state)
{
    (void)state;
    s_rows_t r;
    const char *text = "title;units\n"
                       "\"Koperasi; Jaya\";\"K.1=Rapat \"\"RAT\"\"|K.2=Dua\"\n"
                       "\"two\nlines\";x\n"
                       "after;y\n";
    assert_int_equal (s_parse (text, &r, NULL), 0);
    assert_int_equal (r.count, 4);
    assert_string_equal (r.rows[1],
                         "2|Koperasi; Jaya|K.1=Rapat \"RAT\"|K.2=Dua");
    /* A row spanning two physical lines keeps the line where it starts,
       and the next row's line number counts both. */
    assert_string_equal (r.rows[2], "3|two\nlines|x");
    assert_string_equal (r.rows[3], "5|after|y");
}

static void test_empty_cells (void **state)
{
    (void)state;
    s_rows_t r;
    assert_int_equal (s_parse ("a,b,c\n,,\n1,,\n", &r, NULL), 0);
    assert_int_equal (r.count, 3);
    assert_string_equal (r.rows[1], "2|||");
    assert_string_equal (r.rows[2], "3|1||");
    /* A trailing separator at the very end gives an empty last cell. */
    assert_int_equal (s_parse ("a,b\n1,", &r, NULL), 0);
    assert_string_equal (r.rows[1], "2|1|");
}

static void test_unterminated_quote (void **state)
{
    (void)state;
    s_rows_t r = {0};
    char err[128] = "";
    const char *text = "a,b\n1,2\n3,\"open\n4,5\n";
    assert_int_equal (jk_csv_parse (text, strlen (text), s_collect, &r, NULL,
                                    err, sizeof err),
                      -1);
    assert_int_equal (r.count, 2); /* rows before the bad one came through */
    assert_non_null (
        strstr (err, "line 3: a quoted cell opened on this line is never "
                     "closed"));
}

static void test_too_many_cells (void **state)
{
    (void)state;
    size_t n = JK_CSV_MAX_CELLS + 5;
    char *text = jk_calloc (n * 2 + 8, 1);
    strcpy (text, "a\n");
    for (size_t i = 0; i < n; i++)
        strcat (text, ",");
    s_rows_t r = {0};
    char err[128] = "";
    assert_int_equal (jk_csv_parse (text, strlen (text), s_collect, &r, NULL,
                                    err, sizeof err),
                      -1);
    assert_int_equal (r.count, 1);
    assert_non_null (strstr (err, "line 2: 262 cells, more than 256"));
    free (text);
}

/* Bad rows and good rows as they came, for jk_csv_read. */
static int s_collect_bad (void *arg, size_t line, jk_csv_fault_t fault,
                          const char *reason)
{
    s_rows_t *r = arg;
    assert_true (r->count < 32);
    r->faults[r->count] = fault;
    snprintf (r->rows[r->count++], 256, "%zu!%s", line, reason);
    return 0;
}

static int s_read (const char *text, size_t size, s_rows_t *rows)
{
    memset (rows, 0, sizeof *rows);
    return jk_csv_read (text, size, s_collect, s_collect_bad, rows, NULL);
}

/* A NUL inside a cell used to cut the cell there in silence ("Ab\0cd"
   read as "Ab"): now the row is reported and the next one read. */
static void test_nul_is_a_row_error (void **state)
{
    (void)state;
    static const char text[] = "a,b\n1,Ab\0cd\n2,ok\n";
    s_rows_t r;
    assert_int_equal (s_read (text, sizeof text - 1, &r), 0);
    assert_int_equal (r.count, 3);
    assert_string_equal (r.rows[0], "1|a|b");
    assert_string_equal (r.rows[1], "2!cell 2 holds a NUL byte (binary data, "
                                    "not text): the row is skipped");
    assert_int_equal (r.faults[1], JK_CSV_BINARY);
    assert_string_equal (r.rows[2], "3|2|ok");
    /* jk_csv_parse stops there. */
    char err[128] = "";
    memset (&r, 0, sizeof r);
    assert_int_equal (jk_csv_parse (text, sizeof text - 1, s_collect, &r, NULL,
                                    err, sizeof err),
                      -1);
    assert_int_equal (r.count, 1);
    assert_non_null (strstr (err, "line 2: cell 2 holds a NUL byte"));
}

/* A row of too many cells or a quote never closed used to end the whole
   file: the rows after it were neither read nor counted. */
static void test_read_goes_on_after_bad_rows (void **state)
{
    (void)state;
    size_t n = JK_CSV_MAX_CELLS + 44;
    char *text = jk_calloc (n * 2 + 64, 1);
    strcpy (text, "a,b\n1,2\n");
    for (size_t i = 0; i < n; i++)
        strcat (text, "x,");
    strcat (text, "\n\"6\",\"multi\nline\"\n3,\"open\n4,5\n");
    s_rows_t r;
    assert_int_equal (s_read (text, strlen (text), &r), 0);
    assert_int_equal (r.count, 6);
    assert_string_equal (r.rows[1], "2|1|2");
    assert_string_equal (r.rows[2], "3!301 cells, more than 256 (is the "
                                    "separator ',' right?): the row is "
                                    "skipped");
    assert_int_equal (r.faults[2], JK_CSV_CELLS);
    assert_string_equal (r.rows[3], "4|6|multi\nline");
    assert_non_null (strstr (r.rows[4], "6!a quoted cell opened on this line "
                                        "is never closed"));
    assert_non_null (strstr (r.rows[4], "reading goes on with line 7"));
    assert_int_equal (r.faults[4], JK_CSV_QUOTE);
    assert_string_equal (r.rows[5], "7|4|5");
    free (text);
}

/* Cells written by jk_csv_format read back the same, whatever they hold. */
static void test_format_round_trip (void **state)
{
    (void)state;
    char *cells[] = {"plain",
                     "a,b",
                     "c;d",
                     "say \"hi\"",
                     "two\nlines",
                     "cr\ronly",
                     "",
                     " spaced ",
                     "\xEF\xBB\xBF"
                     "bom"};
    size_t count = sizeof cells / sizeof cells[0];
    for (int sep = 0; sep < 2; sep++) {
        size_t size;
        char *text = jk_csv_format (cells, count, sep ? ';' : ',', &size);
        assert_int_equal (strlen (text), size);
        s_rows_t r;
        assert_int_equal (s_read (text, size, &r), 0);
        assert_int_equal (r.count, 1);
        assert_string_equal (r.rows[0], "1|plain|a,b|c;d|say \"hi\"|two\n"
                                        "lines|cr\ronly|| spaced |\xEF\xBB\xBF"
                                        "bom");
        free (text);
    }
    /* A lone empty cell is written "" so that it is not a blank line. */
    char *empty[] = {""};
    char *text = jk_csv_format (empty, 1, ',', NULL);
    assert_string_equal (text, "\"\"\n");
    free (text);
}

static void test_callback_stops (void **state)
{
    (void)state;
    s_rows_t r = {.stop_after = 2};
    char err[16];
    const char *text = "a\n1\n2\n3\n";
    assert_int_equal (jk_csv_parse (text, strlen (text), s_collect, &r, NULL,
                                    err, sizeof err),
                      7);
    assert_int_equal (r.count, 2);
}

static void test_empty_input (void **state)
{
    (void)state;
    s_rows_t r;
    assert_int_equal (s_parse ("", &r, NULL), 0);
    assert_int_equal (r.count, 0);
    assert_int_equal (s_parse ("\xEF\xBB\xBF", &r, NULL), 0);
    assert_int_equal (r.count, 0);
    assert_int_equal (s_parse ("\n\r\n\n", &r, NULL), 0);
    assert_int_equal (r.count, 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_comma_and_semicolon),
        cmocka_unit_test (test_bom_crlf_and_blank_lines),
        cmocka_unit_test (test_quoted_fields),
        cmocka_unit_test (test_empty_cells),
        cmocka_unit_test (test_unterminated_quote),
        cmocka_unit_test (test_too_many_cells),
        cmocka_unit_test (test_nul_is_a_row_error),
        cmocka_unit_test (test_read_goes_on_after_bad_rows),
        cmocka_unit_test (test_format_round_trip),
        cmocka_unit_test (test_callback_stops),
        cmocka_unit_test (test_empty_input),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
