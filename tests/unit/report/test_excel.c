/*  test_excel.c - CSV cells for Indonesian-locale Excel: separators,
    quoting, decimal comma, formula injection neutralised; the
    pseudonymous person key against a known HMAC-SHA256. */
#include "jk_excel.h"
#include "jk_report.h"
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

/* What f wrote, as text. */
static char *s_text (void (*f) (FILE *, const char *), const char *arg)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buf, &size);
    f (out, arg);
    fclose (out);
    return buf;
}

static void test_cells (void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Koperasi Maju", "Koperasi Maju"},
        {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
        {"+62812", "'+62812"},
        {"-1+2", "'-1+2"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},
        {"a;b", "\"a;b\""},
        {"baris\ndua", "\"baris\ndua\""},
        {" spasi", "\" spasi\""},
        {"KSU \"Maju\"", "\"KSU \"\"Maju\"\"\""},
        {"1,5", "1,5"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = s_text (jk_excel_text, cases[i].in);
        if (strcmp (got, cases[i].out) != 0)
            fail_msg ("[%s] -> [%s], want [%s]", cases[i].in, got,
                      cases[i].out);
        free (got);
    }
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buf, &size);
    jk_excel_real (out, 92.44, 1);
    jk_excel_sep (out);
    jk_excel_int (out, 1503);
    jk_excel_sep (out);
    jk_excel_real (out, 0.05, 2);
    jk_excel_eol (out);
    fclose (out);
    assert_string_equal (buf, "92,4;1503;0,05\r\n");
    free (buf);
}

static void test_person_key (void **state)
{
    (void)state;
    /* HMAC-SHA256 with a key of 32 bytes 0x01..0x20 over
       "3203010101900001", first 6 bytes:
       python3 -c "import hmac,hashlib; print(hmac.new(bytes(range(1,33)),
       b'3203010101900001', hashlib.sha256).hexdigest()[:12].upper())" */
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(i + 1);
    char out[15];
    jk_person_key (key, "3203010101900001", out);
    assert_string_equal (out, "P-E46552693BC5");
    char other[15];
    jk_person_key (key, "3203010101900002", other);
    assert_string_not_equal (out, other);
}

/* Sheet names as Excel takes them: cut to 31 characters at a whole
   UTF-8 character, none of []:*?/\ (also in a numbered one), no
   apostrophe at either end, unique without regard to case; a workbook
   of such sheets is written. */
static void test_sheet_names (void **state)
{
    (void)state;
    jk_rdoc_t doc = {.name = "uji"};
    jk_rcol_t col[] = {{"Nama", JK_RCOL_TEXT, 10}};
    const char *sheets[] = {
        "Hadir pk-1",
        "Hadir PK-1",
        "Hadir A-B",
        "Hadir A/B",
        "DAK AAAAAAAAAAAAAAAAAAAAAAAAA-1",
        "DAK AAAAAAAAAAAAAAAAAAAAAAAAA/1",
        "'Kutip'",
    };
    const char *want[] = {
        "Hadir pk-1",
        "Hadir PK-1 (2)",
        "Hadir A-B",
        "Hadir A-B (2)",
        "DAK AAAAAAAAAAAAAAAAAAAAAAAAA-1",
        "DAK AAAAAAAAAAAAAAAAAAAAAAA (2)",
        "-Kutip-",
    };
    for (size_t i = 0; i < sizeof sheets / sizeof sheets[0]; i++) {
        jk_rtable_t *t =
            jk_rdoc_table (&doc, "Judul", sheets[i], col, 1, false);
        assert_string_equal (t->sheet, want[i]);
    }
    /* 18 ASCII characters and 15 times U+00E9 (two bytes each): 31
       characters kept, the last whole (31 bytes would cut one in two). */
    char long_name[64] = "Kecamatan Cibeber ", want_long[64] = "";
    for (int i = 0; i < 15; i++)
        strcat (long_name, "\xc3\xa9");
    memcpy (want_long, long_name, 18 + 13 * 2);
    jk_rtable_t *t = jk_rdoc_table (&doc, "Judul", long_name, col, 1, false);
    assert_string_equal (t->sheet, want_long);
    char *dir = jk_test_tmpdir ("sheets");
    char *path = jk_sprintf ("%s/uji.xlsx", dir);
    char err[256] = "";
    if (jk_report_write_xlsx (&doc, path, err, sizeof err) != JK_OK)
        fail_msg ("the workbook was not written: %s", err);
    jk_rdoc_free (&doc);
    free (path);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cells),
        cmocka_unit_test (test_person_key),
        cmocka_unit_test (test_sheet_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
