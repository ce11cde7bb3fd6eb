/*  test_import_csv.c - `import` loses nothing in silence: the real program
    (offline, --wait 0) on files a spreadsheet or a mistake produce: an
    embedded NUL, a row of too many cells, a quote never closed, a header
    of 300 columns, a directory, ',' in the header and ';' in the rows, and
    terminal escapes in the file. Each bad row is reported with its line,
    the rows after it are still read and counted, and nothing from the file
    reaches the terminal raw. */
#include "jk_agent.h"
#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/pacet-1"

typedef struct {
    char *dir, *outbox, *csv;
} s_fix_t;

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("import-csv");
    fx->outbox = jk_sprintf ("%s/outbox.db", fx->dir);
    fx->csv = jk_sprintf ("%s/rows.csv", fx->dir);
    *state = fx;
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    free (fx->outbox);
    free (fx->csv);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

static void s_write (s_fix_t *fx, const char *data, size_t size)
{
    FILE *f = fopen (fx->csv, "wb");
    assert_non_null (f);
    assert_int_equal (fwrite (data, 1, size, f), size);
    fclose (f);
}

/* Imports file as type with program, offline. */
static int s_import_as (s_fix_t *fx, const char *program, const char *type,
                        const char *file, char **out, char **err)
{
    char *argv[] = {(char *)program,
                    "--source",
                    S_SOURCE,
                    "--outbox",
                    fx->outbox,
                    "--broker",
                    "ipc:///nonexistent/jejak.sock",
                    "--wait",
                    "0",
                    "import",
                    (char *)file,
                    "--type",
                    (char *)type,
                    NULL};
    return jk_test_run (argv, out, err, 60000);
}

static int s_import (s_fix_t *fx, const char *file, char **out, char **err)
{
    return s_import_as (fx, "jejak-attendance", "training.batch_closed", file,
                        out, err);
}

/* The batches queued in the outbox, in seq order, joined by spaces. */
static char *s_queued (s_fix_t *fx)
{
    char err[256];
    jk_outbox_t *ob = jk_outbox_open (fx->outbox, S_SOURCE, err, sizeof err);
    assert_non_null (ob);
    char *all = jk_strdup ("");
    jk_outbox_row_t row;
    for (uint64_t seq = 1; jk_outbox_get (ob, seq, &row) == JK_OK; seq++) {
        jk_event_t *ev = jk_event_decode (row.bytes, row.size, NULL);
        assert_non_null (ev);
        char batch[64];
        char *more =
            jk_sprintf ("%s%s%s", all, *all ? " " : "",
                        jk_event_text (ev, "batch", batch, sizeof batch));
        jk_event_destroy (&ev);
        free (all);
        all = more;
    }
    jk_outbox_close (&ob);
    return all;
}

static void test_bad_rows_reported_and_reading_goes_on (void **state)
{
    s_fix_t *fx = *state;
    /* Line 3: a NUL (was stored as "Ab" in silence); line 4: 300 cells;
       line 6: a quote never closed (both used to end the import, rows
       after them neither queued nor counted). */
    static const char head[] = "batch\nB-1\nAb\0cd\n";
    size_t size = sizeof head - 1;
    char *data = jk_malloc (size + 1024);
    memcpy (data, head, size);
    for (int i = 0; i < 299; i++)
        data[size++] = ',';
    memcpy (data + size, "x\nB-5\n\"B-6\nB-7\n", 15);
    size += 15;
    s_write (fx, data, size);
    free (data);
    char *out = NULL, *err = NULL;
    assert_int_equal (s_import (fx, fx->csv, &out, &err), JK_EXIT_REJECTED);
    assert_non_null (strstr (out, "import "));
    assert_non_null (strstr (out, ": 6 rows, 3 queued, 3 bad, 0 already"));
    assert_non_null (strstr (err, "rows.csv:3: cell 1 holds a NUL byte"));
    assert_non_null (strstr (err, "rows.csv:4: 300 cells, more than 256"));
    assert_non_null (strstr (err, "rows.csv:6: a quoted cell opened on this "
                                  "line is never closed"));
    char *queued = s_queued (fx);
    assert_string_equal (queued, "B-1 B-5 B-7");
    free (queued);
    free (out);
    free (err);
}

static void test_header_problems_named (void **state)
{
    s_fix_t *fx = *state;
    /* 300 columns: the header is named as the problem, not "empty". */
    char *data = jk_strdup ("batch");
    for (int i = 1; i < 300; i++) {
        char *more = jk_sprintf ("%s,c%d", data, i);
        free (data);
        data = more;
    }
    char *more = jk_sprintf ("%s\nB-1\n", data);
    free (data);
    s_write (fx, more, strlen (more));
    free (more);
    char *out = NULL, *err = NULL;
    assert_int_equal (s_import (fx, fx->csv, &out, &err), JK_EXIT_USAGE);
    assert_null (strstr (err, "empty"));
    assert_non_null (
        strstr (err, "rows.csv:1: the header row: 300 cells, more than 256"));
    free (out);
    free (err);
    /* A directory. */
    out = err = NULL;
    assert_int_equal (s_import (fx, fx->dir, &out, &err), JK_EXIT_USAGE);
    assert_null (strstr (err, "empty"));
    assert_non_null (strstr (err, "is a directory, not a CSV file"));
    free (out);
    free (err);
    /* A device is named as one (was "is not a file, not a CSV file"). */
    out = err = NULL;
    assert_int_equal (s_import (fx, "/dev/null", &out, &err), JK_EXIT_USAGE);
    assert_string_equal (err, "jejak-attendance: /dev/null is a device, not a "
                              "CSV file\n");
    free (out);
    free (err);
    /* ',' in the header, ';' in the rows: said so, row by row. */
    static const char mixed[] =
        "nik,name,sex,birth_date,desa_code\n"
        "3203100101800001;Warga Satu;L;01/01/1980;32.03.10.2012\n"
        "3203100101800002,Warga Dua,L,01/01/1980,32.03.10.2012\n";
    s_write (fx, mixed, sizeof mixed - 1);
    out = err = NULL;
    assert_int_equal (s_import_as (fx, "jejak-registration",
                                   "person.registered", fx->csv, &out, &err),
                      JK_EXIT_REJECTED);
    assert_non_null (strstr (out, "2 rows, 1 queued, 1 bad"));
    assert_non_null (strstr (err, "rows.csv:2: this row is separated by ';' "
                                  "but the header by ',' (1 cells for 5 "
                                  "columns)"));
    assert_non_null (strstr (err, "1 rows use ';' while the header uses ','"));
    free (out);
    free (err);
}

/* A row repeated in one file is queued once, and the line that counts
   it says it may be an earlier row of the same file. */
static void test_repeated_row_once (void **state)
{
    s_fix_t *fx = *state;
    static const char rows[] = "batch\nB-1\nB-2\nB-1\n";
    s_write (fx, rows, sizeof rows - 1);
    char *out = NULL, *err = NULL;
    assert_int_equal (s_import (fx, fx->csv, &out, &err), JK_EXIT_OFFLINE);
    assert_non_null (strstr (out, ": 3 rows, 2 queued, 0 bad, 1 already"));
    assert_string_equal (
        err, "jejak-attendance: 1 rows were queued before (the same content, "
             "from an earlier row of this file, an earlier run of this import "
             "or another file): not queued again; their states are counted "
             "below\n");
    char *queued = s_queued (fx);
    assert_string_equal (queued, "B-1 B-2");
    free (queued);
    free (out);
    free (err);
}

/* Terminal escapes and bytes that are not text, in a header and in a
   cell, are shown escaped (\xNN), never written to the terminal raw. */
static void test_binary_not_echoed (void **state)
{
    s_fix_t *fx = *state;
    static const char garbage[] = "batch,ba\x1b]0;owned\x07tch\xff\n"
                                  "B-1,x\n";
    s_write (fx, garbage, sizeof garbage - 1);
    char *out = NULL, *err = NULL;
    assert_int_equal (s_import (fx, fx->csv, &out, &err), JK_EXIT_USAGE);
    assert_null (strchr (err, 0x1b));
    assert_null (strchr (err, 0x07));
    assert_null (strchr (err, (char)0xff));
    assert_non_null (strstr (err, "unknown column(s) 'ba\\x1B]0;owned\\x07"
                                  "tch\\xFF'"));
    free (out);
    free (err);
    static const char cell[] = "batch\nB-\x1b[2J\x9b\n";
    s_write (fx, cell, sizeof cell - 1);
    out = err = NULL;
    assert_int_equal (s_import (fx, fx->csv, &out, &err), JK_EXIT_USAGE);
    assert_non_null (strstr (out, "1 rows, 0 queued, 1 bad"));
    assert_null (strchr (err, 0x1b));
    assert_null (strchr (err, (char)0x9b));
    free (out);
    free (err);
}

/* C1 controls (U+0080..U+009F, valid UTF-8: U+009B is a terminal's CSI)
   are shown as \xNN too: in a header named in a diagnostic, in a row's
   origin (the file's name) and in a rejection message, wherever the
   agent prints them (pending, inspect). */
static void test_c1_not_echoed (void **state)
{
    s_fix_t *fx = *state;
    static const char header[] = "batch,ba\xc2\x9b[2Jtch\nB-1,x\n";
    s_write (fx, header, sizeof header - 1);
    char *out = NULL, *err = NULL;
    assert_int_equal (s_import (fx, fx->csv, &out, &err), JK_EXIT_USAGE);
    assert_null (strstr (err, "\xc2\x9b"));
    assert_non_null (strstr (err, "unknown column(s) 'ba\\x9B[2Jtch'"));
    free (out);
    free (err);

    char *named = jk_sprintf ("%s/rows\xc2\x9b.csv", fx->dir);
    FILE *f = fopen (named, "wb");
    assert_non_null (f);
    fputs ("batch\nB-1\n", f);
    fclose (f);
    out = err = NULL;
    /* Queued, and not delivered: no broker there. */
    assert_int_equal (s_import (fx, named, &out, &err), JK_EXIT_OFFLINE);
    free (out);
    free (err);
    char *queued = s_queued (fx);
    assert_string_equal (queued, "B-1");
    free (queued);
    /* The store's answer, as delivery records it. */
    char why[256];
    jk_outbox_t *ob = jk_outbox_open (fx->outbox, S_SOURCE, why, sizeof why);
    assert_non_null (ob);
    assert_int_equal (jk_outbox_reject_local (ob, 1, "E_UNKNOWN_BATCH",
                                              "batch 'B-\xc2\x9b"
                                              "1' is unknown"),
                      1); /* the row it changed */
    jk_outbox_close (&ob);
    const char *commands[] = {"pending", "inspect"};
    for (size_t i = 0; i < 2; i++) {
        char *argv[] = {"jejak-attendance", "--source", S_SOURCE,
                        "--outbox",         fx->outbox, (char *)commands[i],
                        i ? "1" : NULL,     NULL};
        out = err = NULL;
        assert_int_equal (jk_test_run (argv, &out, &err, 60000), JK_EXIT_OK);
        assert_null (strstr (out, "\xc2\x9b"));
        assert_null (strstr (err, "\xc2\x9b"));
        assert_non_null (strstr (out, "rows\\x9b.csv"));
        assert_non_null (strstr (out, "batch 'B-\\x9b1' is unknown"));
        free (out);
        free (err);
    }
    free (named);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_bad_rows_reported_and_reading_goes_on, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_header_problems_named, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_binary_not_echoed, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_repeated_row_once, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_c1_not_echoed, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
