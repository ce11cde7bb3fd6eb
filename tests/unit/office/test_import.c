/*  test_import.c - the office import: Indonesian headers and cell forms,
    every problem with its row, column and code, the header's own
    problems, the templates read back (example row skipped), and the XLSX
    reader on a workbook written by libxlsxwriter (shared strings, numbers,
    a date cell styled dd/mm/yyyy, a boolean, a time) and on files that are
    not workbooks. */
#include "jk_office.h"
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define S_SOURCE "32.03.10/pacet-1"

static const jk_type_t *s_type (const char *name)
{
    const jk_type_t *t = jk_vocabulary_find (name, strlen (name));
    assert_non_null (t);
    return t;
}

static jk_import_t *s_read (const char *type, const char *text)
{
    jk_import_t *im = jk_import_new (s_type (type), S_SOURCE, "siti", false);
    jk_import_read (im, text, strlen (text));
    return im;
}

static const char *s_body (const jk_event_t *ev, const char *field, char *buf,
                           size_t size)
{
    return jk_event_text (ev, field, buf, size);
}

static void test_indonesian_csv (void **state)
{
    (void)state;
    /* Labels in another case, ';' as Indonesian Excel writes, 1.045 and
       31/12/2022, enum labels; row 3 has a bad date and a bad number, row
       4 a desa that does not exist. */
    const char *csv =
        "\xEF\xBB\xBFNomor Badan Hukum;Tanggal badan hukum;Nama koperasi;"
        "Bentuk koperasi;JENIS USAHA;Pola pengelolaan;Desa/kelurahan;"
        "Anggota laki-laki;Anggota perempuan\r\n"
        "AHU-0000101.AH.01.26.TAHUN 2019;6/10/2019;Koperasi Mekar;Primer;"
        "Simpan pinjam;Syariah;32.03.10.2001;1.045;12\r\n"
        "AHU-0000102.AH.01.26.TAHUN 2019;31/02/2019;Koperasi Dua;PRIMER;"
        "KONSUMEN;KONVENSIONAL;32.03.10.2001;1,5;3\r\n"
        "AHU-0000103.AH.01.26.TAHUN 2019;2019-10-06;Koperasi Tiga;Sekunder;"
        "Jasa;Konvensional;32.03.10.9999;0;0\r\n"
        ";;;;;;;;\r\n";
    jk_import_t *im = s_read ("cooperative.registered", csv);
    assert_false (im->unusable);
    assert_false (im->xlsx);
    assert_int_equal (im->rows, 3);
    assert_int_equal (im->good_count, 1);
    assert_int_equal (im->bad, 2);
    char buf[128];
    const jk_event_t *ev = im->good[0].event;
    assert_int_equal (im->good[0].line, 2);
    assert_string_equal (s_body (ev, "legal_date", buf, sizeof buf),
                         "2019-10-06");
    assert_int_equal (jk_event_get (ev, "members_male")->n, 1045);
    assert_string_equal (s_body (ev, "kind", buf, sizeof buf), "SIMPAN_PINJAM");
    assert_string_equal (s_body (ev, "pattern", buf, sizeof buf), "SYARIAH");
    assert_string_equal (ev->actor.ptr, "siti");
    /* Row 3: the date and the number, each beside its column. */
    assert_int_equal (im->problem_total, 3);
    assert_int_equal (im->problems[0].line, 3);
    assert_string_equal (im->problems[0].column, "Tanggal badan hukum");
    assert_string_equal (im->problems[0].code, "E_FIELD_FORMAT");
    assert_string_equal (im->problems[0].text,
                         "Tanggal itu tidak ada di kalender (mis. 31/02). "
                         "(E_FIELD_FORMAT)");
    assert_int_equal (im->problems[1].line, 3);
    assert_string_equal (im->problems[1].column, "Anggota laki-laki");
    assert_string_equal (im->problems[1].code, "E_FIELD_TYPE");
    assert_string_equal (im->problems[1].text,
                         "Harus angka bulat, mis. 1.045. (E_FIELD_TYPE)");
    /* Row 4: the desa. */
    assert_int_equal (im->problems[2].line, 4);
    assert_string_equal (im->problems[2].column, "Desa/kelurahan");
    assert_string_equal (im->problems[2].code, "E_REGION");
    assert_non_null (strstr (im->problems[2].text, "Kode desa"));
    jk_import_destroy (&im);
}

static void test_english_names (void **state)
{
    (void)state;
    const char *csv = "nik,name,sex,birth_date,desa_code,phone\n"
                      "3203014506900001,Siti Aminah,P,1990-06-05,"
                      "32.03.10.2001,081234567890\n"
                      "3203011306900002,Asep,Laki-laki,13/06/1990,"
                      "32.03.10.2003,\n";
    jk_import_t *im = s_read ("person.registered", csv);
    assert_false (im->unusable);
    assert_int_equal (im->good_count, 2);
    assert_int_equal (im->bad, 0);
    char buf[64];
    assert_string_equal (s_body (im->good[1].event, "sex", buf, sizeof buf),
                         "L");
    jk_import_destroy (&im);
}

static void test_header_problems (void **state)
{
    (void)state;
    /* An unknown column, a repeated one and a required one left out:
       all three said, nothing importable. */
    const char *csv = "NIK;Nama lengkap;nik;Warna favorit;Tanggal lahir;"
                      "Desa tempat tinggal\n"
                      "3203014506900001;Siti;Siti;biru;05/06/1990;"
                      "32.03.10.2001\n";
    jk_import_t *im = s_read ("person.registered", csv);
    assert_true (im->unusable);
    assert_int_equal (im->good_count, 0);
    assert_int_equal (im->problem_total, 3);
    assert_string_equal (im->problems[0].code, "E_COLUMN_TWICE");
    assert_string_equal (im->problems[0].column, "nik");
    assert_string_equal (im->problems[1].code, "E_COLUMN_UNKNOWN");
    assert_string_equal (im->problems[1].column, "Warna favorit");
    assert_string_equal (im->problems[2].code, "E_COLUMN_MISSING");
    assert_string_equal (im->problems[2].column, "Jenis kelamin");
    assert_int_equal (im->problems[2].line, 1);
    jk_import_destroy (&im);

    im = s_read ("person.registered", "");
    assert_true (im->unusable);
    assert_non_null (strstr (im->error, "kosong"));
    jk_import_destroy (&im);

    /* Binary (an old .xls, a PDF): said so. */
    static const char bin[] = "\xD0\xCF\x11\xE0\x00\x00\x01";
    im = jk_import_new (s_type ("person.registered"), S_SOURCE, "siti", false);
    assert_int_equal (jk_import_read (im, bin, sizeof bin - 1), JK_INVALID);
    assert_non_null (strstr (im->error, "bukan CSV atau XLSX"));
    jk_import_destroy (&im);
}

static void test_row_problems (void **state)
{
    (void)state;
    /* A row wider than the header and an unclosed quote: each is one bad
       row with its line; the good rows around them still count. */
    const char *csv = "NIK;Nama lengkap;Jenis kelamin;Tanggal lahir;"
                      "Desa tempat tinggal\n"
                      "3203014506900001;Siti;P;05/06/1990;32.03.10.2001\n"
                      "3203014506900003;Ani;P;05/06/1990;32.03.10.2001;x\n"
                      "3203011306900002;Asep;L;13/06/1990;32.03.10.2003\n"
                      "3203011306900004;\"Budi;L;13/06/1990;32.03.10.2003\n";
    jk_import_t *im = s_read ("person.registered", csv);
    assert_false (im->unusable);
    assert_int_equal (im->good_count, 2);
    assert_int_equal (im->bad, 2);
    assert_int_equal (im->problems[0].line, 3);
    assert_string_equal (im->problems[0].code, "E_ROW_WIDTH");
    assert_int_equal (im->problems[1].line, 5);
    assert_string_equal (im->problems[1].code, "E_ROW_QUOTE");
    jk_import_destroy (&im);
}

/* Each of the CSV reader's faults is worded by its code: the code shown,
   the Indonesian sentence, or in English the reader's own reason. The
   NUL byte lies past the first 4 KiB, which decide whether the file is
   text at all. */
static char *s_faulty_csv (size_t *size)
{
    size_t cap = 64 * 1024, n = 0;
    char *csv = jk_malloc (cap);
    n += (size_t)snprintf (csv + n, cap - n,
                           "NIK;Nama lengkap;Jenis kelamin;Tanggal lahir;"
                           "Desa tempat tinggal\n");
    for (int i = 1; i <= 99; i++)
        n += (size_t)snprintf (csv + n, cap - n,
                               "320301450690%04d;Siti;P;05/06/1990;"
                               "32.03.10.2001\n",
                               i);
    memcpy (csv + n, "3203014506900100;Si\0ti;P;05/06/1990;32.03.10.2001\n",
            50);
    n += 50;
    for (int i = 0; i < JK_CSV_MAX_CELLS + 4; i++)
        n += (size_t)snprintf (csv + n, cap - n, "x;");
    n += (size_t)snprintf (csv + n, cap - n,
                           "\n3203014506900082;\"Budi;L;13/06/1990;"
                           "32.03.10.2003\n");
    *size = n;
    return csv;
}

static void test_row_faults_worded (void **state)
{
    (void)state;
    size_t size = 0;
    char *csv = s_faulty_csv (&size);
    for (int en = 0; en <= 1; en++) {
        jk_import_t *im =
            jk_import_new (s_type ("person.registered"), S_SOURCE, "siti", en);
        assert_int_equal (jk_import_read (im, csv, size), JK_OK);
        assert_int_equal (im->good_count, 99);
        assert_int_equal (im->bad, 3);
        assert_int_equal (im->problem_count, 3);
        assert_int_equal (im->problems[0].line, 101);
        assert_string_equal (im->problems[0].code, "E_ROW_BINARY");
        assert_int_equal (im->problems[1].line, 102);
        assert_string_equal (im->problems[1].code, "E_ROW_CELLS");
        assert_int_equal (im->problems[2].line, 103);
        assert_string_equal (im->problems[2].code, "E_ROW_QUOTE");
        if (en) {
            assert_string_equal (im->problems[0].text,
                                 "cell 2 holds a NUL byte (binary data, not "
                                 "text): the row is skipped");
            assert_string_equal (im->problems[1].text,
                                 "261 cells, more than 256 (is the separator "
                                 "';' right?): the row is skipped");
            assert_non_null (strstr (im->problems[2].text,
                                     "a quoted cell opened on this line is "
                                     "never closed"));
        } else {
            assert_string_equal (im->problems[0].text,
                                 "Sel berisi data biner, bukan teks: baris "
                                 "dilewati.");
            assert_string_equal (im->problems[1].text,
                                 "Terlalu banyak sel (pemisahnya benar?): "
                                 "baris dilewati.");
            assert_string_equal (im->problems[2].text,
                                 "Tanda kutip (\") dibuka tetapi tidak "
                                 "ditutup: baris dilewati.");
        }
        jk_import_destroy (&im);
    }
    free (csv);
}

/* Every type's CSV template reads back as its header and its example
   row, which is skipped: nothing to import, nothing wrong. Every label
   of a type is a distinct header. */
static void test_templates_csv (void **state)
{
    (void)state;
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        char *bytes = NULL;
        size_t size = 0;
        assert_int_equal (
            jk_import_template_csv (t, "32.03.10", false, &bytes, &size),
            JK_OK);
        assert_memory_equal (bytes, "\xEF\xBB\xBF", 3);
        jk_import_t *im = jk_import_new (t, S_SOURCE, "siti", false);
        assert_int_equal (jk_import_read (im, bytes, size), JK_OK);
        if (im->examples != 1 || im->rows != 0 || im->problem_total != 0)
            fail_msg ("%s: examples %zu rows %zu problems %zu (%s %s)", t->name,
                      im->examples, im->rows, im->problem_total,
                      im->problem_count ? im->problems[0].column : "",
                      im->problem_count ? im->problems[0].text : "");
        jk_import_destroy (&im);
        free (bytes);
    }
}

typedef struct {
    size_t rows;
    size_t lines[8];
    char cells[8][10][64];
    size_t counts[8];
    size_t bad;
    char first_reason[300], reason[300]; /* of the first and last bad row */
} s_sheet_t;

static int s_sheet_row (void *arg, size_t line, char **cells, size_t count)
{
    s_sheet_t *s = arg;
    if (s->rows < 8) {
        s->lines[s->rows] = line;
        s->counts[s->rows] = count;
        for (size_t i = 0; i < count && i < 10; i++)
            snprintf (s->cells[s->rows][i], 64, "%s", cells[i]);
    }
    s->rows++;
    return 0;
}

static int s_sheet_bad (void *arg, size_t line, jk_csv_fault_t fault,
                        const char *reason)
{
    (void)line;
    s_sheet_t *s = arg;
    assert_int_equal (fault, JK_CSV_UNREADABLE);
    if (s->bad++ == 0)
        snprintf (s->first_reason, sizeof s->first_reason, "%s", reason);
    snprintf (s->reason, sizeof s->reason, "%s", reason);
    return 0;
}

/* Reads a workbook whole into s, which starts empty; the read must
   succeed (the rows it refuses are counted in s). */
static void s_sheet_read (const char *bytes, size_t size, s_sheet_t *s)
{
    memset (s, 0, sizeof *s);
    char err[300] = "";
    assert_int_equal (jk_xlsx_read (bytes, size, s_sheet_row, s_sheet_bad, s,
                                    err, sizeof err),
                      0);
}

/* A workbook written by libxlsxwriter, as bytes: text as shared strings,
   or (inline) as inline strings. */
static char *s_workbook_as (void (*fill) (lxw_workbook *, lxw_worksheet *),
                            bool inline_strings, size_t *size)
{
    char path[] = "/tmp/jejak-test-xlsx-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    lxw_workbook_options options = {.constant_memory = inline_strings};
    lxw_workbook *wb = workbook_new_opt (path, &options);
    lxw_worksheet *ws = workbook_add_worksheet (wb, "Lembar1");
    fill (wb, ws);
    assert_int_equal (workbook_close (wb), LXW_NO_ERROR);
    char *bytes = jk_test_slurp (path, size);
    unlink (path);
    assert_non_null (bytes);
    return bytes;
}

static char *s_workbook (void (*fill) (lxw_workbook *, lxw_worksheet *),
                         size_t *size)
{
    return s_workbook_as (fill, false, size);
}

static void s_fill_typed (lxw_workbook *wb, lxw_worksheet *ws)
{
    lxw_format *date = workbook_add_format (wb);
    format_set_num_format (date, "dd/mm/yyyy");
    lxw_format *time = workbook_add_format (wb);
    format_set_num_format (time, "hh:mm");
    worksheet_write_string (ws, 0, 0, "Teks", NULL);
    worksheet_write_string (ws, 0, 1, "Angka", NULL);
    worksheet_write_string (ws, 0, 2, "Tanggal", NULL);
    worksheet_write_string (ws, 0, 4, "Jam", NULL); /* column D left empty */
    lxw_datetime dt = {2022, 12, 31, 0, 0, 0};
    lxw_datetime early = {1900, 1, 15, 0, 0, 0};
    lxw_datetime at = {0, 0, 0, 8, 30, 0};
    worksheet_write_string (ws, 1, 0, "Koperasi \"Mekar\" & Sari", NULL);
    worksheet_write_number (ws, 1, 1, 1045, NULL);
    worksheet_write_datetime (ws, 1, 2, &dt, date);
    worksheet_write_boolean (ws, 1, 3, 1, NULL);
    worksheet_write_datetime (ws, 1, 4, &at, time);
    /* Row 3 blank, row 4: an early date (before the 1900 leap-day slip). */
    worksheet_write_datetime (ws, 3, 2, &early, date);
    worksheet_write_number (ws, 3, 1, 2.5, NULL);
}

static void test_xlsx_cells (void **state)
{
    (void)state;
    size_t size = 0;
    char *bytes = s_workbook (s_fill_typed, &size);
    s_sheet_t s;
    s_sheet_read (bytes, size, &s);
    assert_int_equal (s.bad, 0);
    assert_int_equal (s.rows, 3);
    assert_int_equal (s.lines[0], 1);
    assert_int_equal (s.counts[0], 5);
    assert_string_equal (s.cells[0][3], "");
    assert_int_equal (s.lines[1], 2);
    assert_string_equal (s.cells[1][0], "Koperasi \"Mekar\" & Sari");
    assert_string_equal (s.cells[1][1], "1045");
    assert_string_equal (s.cells[1][2], "31/12/2022");
    assert_string_equal (s.cells[1][3], "TRUE");
    assert_string_equal (s.cells[1][4], "08:30");
    assert_int_equal (s.lines[2], 4);
    assert_int_equal (s.counts[2], 3);
    assert_string_equal (s.cells[2][0], "");
    assert_string_equal (s.cells[2][1], "2.5");
    assert_string_equal (s.cells[2][2], "15/01/1900");
    free (bytes);
}

static void test_xlsx_not_workbooks (void **state)
{
    (void)state;
    s_sheet_t s;
    memset (&s, 0, sizeof s);
    char err[300];
    /* Not a zip. */
    assert_int_equal (jk_xlsx_read ("PK\x03\x04nonsense", 12, s_sheet_row,
                                    s_sheet_bad, &s, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "bukan XLSX"));
    assert_int_equal (s.rows, 0);
}

/* Cells as the file holds them: libxlsxwriter writes text of the form
   _xHHHH_ as it is, so each is the escape Excel would read. */
static const char *s_escaped[] = {
    "_x005F_x0041_", "a_x001B_b",      "_x0041_",       "_x004a_",
    "_x41_",         "_xD83D__xDE00_", "Ani _xD800_ x", "_x0000_",
};

static void s_fill_escapes (lxw_workbook *wb, lxw_worksheet *ws)
{
    (void)wb;
    for (lxw_row_t r = 0; r < 8; r++) {
        worksheet_write_string (ws, r, 0, "x", NULL);
        worksheet_write_string (ws, r, 1, s_escaped[r], NULL);
    }
}

/* The same texts as a formula's text result (t="str": its cached <v>). */
static void s_fill_formula_escapes (lxw_workbook *wb, lxw_worksheet *ws)
{
    (void)wb;
    for (lxw_row_t r = 0; r < 8; r++) {
        worksheet_write_string (ws, r, 0, "x", NULL);
        worksheet_write_formula_str (ws, r, 1, "=\"x\"", NULL, s_escaped[r]);
    }
}

/* The escapes _xHHHH_ of shared and inline strings and of a formula's
   text result are undone as Excel reads them, in one pass from the left;
   an escape of NUL or a lone surrogate refuses the row, naming the
   sheet, the cell and the rule. */
static void test_xlsx_escapes (void **state)
{
    (void)state;
    const char *read[] = {"_x0041_", "a\033b", "A",
                          "J",       "_x41_",  "\xF0\x9F\x98\x80"};
    for (int shape = 0; shape <= 2; shape++) {
        size_t size = 0;
        char *bytes = shape == 2
                          ? s_workbook (s_fill_formula_escapes, &size)
                          : s_workbook_as (s_fill_escapes, shape == 1, &size);
        s_sheet_t s;
        s_sheet_read (bytes, size, &s);
        assert_int_equal (s.rows, 6);
        for (size_t i = 0; i < 6; i++) {
            assert_int_equal (s.lines[i], i + 1);
            assert_string_equal (s.cells[i][1], read[i]);
        }
        assert_int_equal (s.bad, 2);
        assert_string_equal (s.first_reason,
                             "lembar \"Lembar1\" sel B7: _xD800_ adalah "
                             "separuh pasangan surogat UTF-16 tanpa "
                             "pasangannya (a lone surrogate is not a "
                             "character): baris dilewati");
        assert_string_equal (s.reason,
                             "lembar \"Lembar1\" sel B8: _x0000_ adalah NUL, "
                             "yang tidak boleh ada dalam teks (an escape of "
                             "NUL is refused: text holds no NUL): baris "
                             "dilewati");
        free (bytes);
    }
}

/* A cell of 32,767 bytes of UTF-8 is read; one of 32,768 refuses its row,
   though it is only 16,384 letters: the limit counts bytes. */
static void s_fill_long (lxw_workbook *wb, lxw_worksheet *ws)
{
    (void)wb;
    char *text = jk_malloc (32768 + 1);
    for (size_t i = 0; i < 32766; i += 2)
        memcpy (text + i, "\xC3\xA9", 2); /* é */
    text[32766] = 'x';
    text[32767] = 0;
    worksheet_write_string (ws, 0, 0, "a", NULL);
    worksheet_write_string (ws, 0, 1, text, NULL);
    for (size_t i = 0; i < 32768; i += 2)
        memcpy (text + i, "\xC3\xA9", 2);
    text[32768] = 0;
    worksheet_write_string (ws, 1, 0, "b", NULL);
    worksheet_write_string (ws, 1, 1, text, NULL);
    free (text);
}

static void test_xlsx_cell_bytes (void **state)
{
    (void)state;
    size_t size = 0;
    char *bytes = s_workbook (s_fill_long, &size);
    s_sheet_t s;
    s_sheet_read (bytes, size, &s);
    assert_int_equal (s.rows, 1);
    assert_int_equal (s.lines[0], 1);
    assert_int_equal (s.bad, 1);
    assert_string_equal (s.reason, "sel kolom 2 lebih dari 32767 byte (UTF-8): "
                                   "baris dilewati (cell too long)");
    free (bytes);
}

/* The XLSX template: its header row names each field by its label, the
   example row is skipped on import, and a filled row in it imports. */
static void test_template_xlsx (void **state)
{
    (void)state;
    const jk_type_t *t = s_type ("cooperative.rat_held");
    char *bytes = NULL;
    size_t size = 0;
    assert_int_equal (
        jk_import_template_xlsx (t, "32.03.10", false, &bytes, &size), JK_OK);
    s_sheet_t s;
    s_sheet_read (bytes, size, &s);
    assert_int_equal (s.rows, 2);
    assert_int_equal (s.counts[0], t->field_count);
    assert_string_equal (s.cells[0][0], "Nomor badan hukum");
    assert_string_equal (s.cells[0][4], "Kuorum tercapai");
    assert_string_equal (s.cells[1][3], "1045");
    assert_string_equal (s.cells[1][4], "Ya");
    jk_import_t *im = jk_import_new (t, S_SOURCE, "siti", false);
    assert_int_equal (jk_import_read (im, bytes, size), JK_OK);
    assert_true (im->xlsx);
    assert_int_equal (im->examples, 1);
    assert_int_equal (im->rows, 0);
    jk_import_destroy (&im);
    free (bytes);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_indonesian_csv),
        cmocka_unit_test (test_english_names),
        cmocka_unit_test (test_header_problems),
        cmocka_unit_test (test_row_problems),
        cmocka_unit_test (test_row_faults_worded),
        cmocka_unit_test (test_templates_csv),
        cmocka_unit_test (test_xlsx_cells),
        cmocka_unit_test (test_xlsx_not_workbooks),
        cmocka_unit_test (test_xlsx_escapes),
        cmocka_unit_test (test_xlsx_cell_bytes),
        cmocka_unit_test (test_template_xlsx),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
