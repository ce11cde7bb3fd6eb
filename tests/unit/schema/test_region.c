/*  test_region.c - the region reference data: counts, lookups, loading
    errors, and the envelope source check built on it. */
#include "testsupport.h"

#include <stdio.h>
#include <string.h>

static jk_region_t *s_load (void)
{
    char err[256] = "";
    jk_region_t *region =
        jk_region_load (JEJAK_SOURCE_DIR "/data", err, sizeof err);
    if (!region)
        fail_msg ("%s", err);
    return region;
}

static void test_counts (void **state)
{
    (void)state;
    jk_region_t *region = s_load ();
    assert_int_equal (jk_region_kecamatan_count (region), 32);
    assert_int_equal (jk_region_desa_count (region), 360);
    assert_string_equal (jk_region_regency (region), "32.03");
    size_t provinces = 0;
    for (int code = 0; code < 100; code++)
        provinces += jk_region_province (region, code) != NULL;
    assert_int_equal (provinces, 38);
    /* Ordered by code. */
    const char *name;
    assert_string_equal (jk_region_kecamatan_at (region, 0, &name), "32.03.01");
    assert_string_equal (name, "Cianjur");
    assert_null (jk_region_kecamatan_at (region, 32, &name));
    for (size_t i = 1; i < jk_region_desa_count (region); i++)
        assert_true (strcmp (jk_region_desa_at (region, i - 1, NULL, NULL),
                             jk_region_desa_at (region, i, NULL, NULL)) < 0);
    assert_null (jk_region_desa_at (region, 360, NULL, NULL));
    /* Every desa belongs to a known kecamatan. */
    for (size_t i = 0; i < jk_region_desa_count (region); i++) {
        const char *kec;
        jk_region_desa_at (region, i, NULL, &kec);
        assert_non_null (jk_region_kecamatan (region, kec));
    }
    jk_region_destroy (&region);
    assert_null (region);
    jk_region_destroy (&region);
}

static void test_lookups (void **state)
{
    (void)state;
    jk_region_t *region = s_load ();
    const char *kec = NULL;
    assert_string_equal (jk_region_desa (region, "32.03.10.2012", 13, &kec),
                         "Gadog");
    assert_string_equal (kec, "32.03.10");
    assert_string_equal (jk_region_kecamatan (region, kec), "Pacet");
    /* Lengths are honoured: a prefix is not a code. */
    assert_null (jk_region_desa (region, "32.03.10.2012", 12, NULL));
    assert_null (jk_region_desa (region, "32.03.10.9999", 13, NULL));
    assert_null (jk_region_desa (region, "32.03.10.2012.1234567890", 24, NULL));
    assert_null (jk_region_kecamatan (region, "32.03.99"));
    assert_null (jk_region_kecamatan (region, ""));
    assert_string_equal (jk_region_province (region, 32), "Jawa Barat");
    assert_string_equal (jk_region_province (region, 11), "Aceh");
    assert_null (jk_region_province (region, 99));
    assert_null (jk_region_province (region, -1));
    assert_null (jk_region_province (region, 1000));
    assert_null (jk_region_province (region, 0));
    assert_null (jk_region_province (region, 5));
    assert_null (jk_region_province (region, 100));
    jk_region_destroy (&region);
    /* The process-wide default is the same data. */
    const jk_region_t *def = jk_region_default ();
    assert_int_equal (jk_region_desa_count (def), 360);
    assert_ptr_equal (jk_region_default (), def);
}

static void s_write (const char *dir, const char *file, const char *text)
{
    char path[512];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

static void test_load_errors (void **state)
{
    (void)state;
    char err[256] = "";
    assert_null (jk_region_load ("/nonexistent/jejak", err, sizeof err));
    assert_non_null (strstr (err, "/nonexistent/jejak/cianjur_kecamatan.csv"));

    /* Another regency is a data change: a tiny one, CRLF lines. */
    char *dir = jk_test_tmpdir ("region");
    s_write (dir, "cianjur_kecamatan.csv",
             "code,name\r\n32.04.01,Ciparay\r\n\r\n");
    s_write (dir, "cianjur_desa.csv",
             "code,name,kecamatan_code\r\n32.04.01.2001,Sarimahi,32.04.01\r\n");
    s_write (dir, "provinsi_codes.csv", "code,name\n32,Jawa Barat\n");
    jk_region_t *region = jk_region_load (dir, err, sizeof err);
    assert_non_null (region);
    assert_string_equal (jk_region_regency (region), "32.04");
    assert_int_equal (jk_region_kecamatan_count (region), 1);
    assert_string_equal (jk_region_desa (region, "32.04.01.2001", 13, NULL),
                         "Sarimahi");
    jk_report_t report = {0};
    jk_report_reset (&report);
    assert_int_equal (jk_source_check (region, "32.04.01/x", 10, &report), 0);
    assert_int_equal (jk_source_check (region, "32.03.10/x", 10, &report), -1);
    jk_region_destroy (&region);

    /* A row with a missing column names the file and line. */
    s_write (dir, "cianjur_desa.csv",
             "code,name,kecamatan_code\n32.04.01.2001,Sarimahi\n");
    assert_null (jk_region_load (dir, err, sizeof err));
    assert_non_null (strstr (err, "cianjur_desa.csv line 2"));
    /* A code too long for the table is an error, not a silent cut. */
    s_write (dir, "cianjur_desa.csv",
             "code,name,kecamatan_code\n32.04.01.2001.99999,Sarimahi,"
             "32.04.01\n");
    assert_null (jk_region_load (dir, err, sizeof err));
    assert_non_null (strstr (err, "cianjur_desa.csv line 2: a code"));
    /* A line longer than 510 bytes is refused, not cut in two rows: the
       rest of this one would read as kecamatan 32.04.99. */
    s_write (dir, "cianjur_desa.csv",
             "code,name,kecamatan_code\n32.04.01.2001,Sarimahi,32.04.01\n");
    char line[700];
    int n = snprintf (line, sizeof line, "code,name\n32.04.01,");
    memset (line + n, 'A', 502);
    snprintf (line + n + 502, sizeof line - (size_t)n - 502,
              "32.04.99,Palsu\n");
    s_write (dir, "cianjur_kecamatan.csv", line);
    err[0] = 0;
    region = jk_region_load (dir, err, sizeof err);
    if (region)
        fail_msg ("loaded, with kecamatan 32.04.99 '%s'",
                  jk_region_kecamatan (region, "32.04.99"));
    assert_non_null (
        strstr (err, "cianjur_kecamatan.csv line 2: longer than 510 bytes"));
    /* No kecamatan at all. */
    s_write (dir, "cianjur_desa.csv", "code,name,kecamatan_code\n");
    s_write (dir, "cianjur_kecamatan.csv", "code,name\n");
    assert_null (jk_region_load (dir, err, sizeof err));
    assert_non_null (strstr (err, "no kecamatan"));
    jk_test_rmdir (&dir);
}

static void s_source (const jk_region_t *region, const char *source, int expect)
{
    jk_report_t report = {0};
    jk_report_reset (&report);
    int rc = jk_source_check (region, source, strlen (source), &report);
    if (rc != expect)
        fail_msg ("source '%s': %d, expected %d (%s)", source, rc, expect,
                  report.error.message);
    if (rc) {
        assert_string_equal (report.error.code, "E_ENVELOPE_SOURCE");
        assert_string_equal (report.error.field, "source");
        assert_non_null (strstr (report.error.message, "source"));
    }
}

static void test_source_check (void **state)
{
    (void)state;
    jk_region_t *region = s_load ();
    s_source (region, "32.03.10/pacet-1", 0);
    s_source (region, "32.03.32/x", 0);
    s_source (region, "DINAS/hub", 0);
    s_source (region, "DINAS/A.b_c-9", 0);
    s_source (region, "32.03.33/x", -1);
    s_source (region, "32.03.1/x", -1);
    s_source (region, "32.03.100/x", -1);
    s_source (region, "DINASX/x", -1);
    s_source (region, "Dinas/x", -1);
    s_source (region, "pacet-1", -1);
    s_source (region, "", -1);
    s_source (region, "/", -1);
    s_source (region, "DINAS/", -1);
    s_source (region, "DINAS/a b", -1);
    s_source (region, "DINAS/a\xc3\xa9", -1);
    s_source (region, "DINAS/12345678901234567890123456789012", 0);
    s_source (region, "DINAS/123456789012345678901234567890123", -1);
    /* Without reference data only DINAS is known. */
    s_source (NULL, "DINAS/hub", 0);
    s_source (NULL, "32.03.10/pacet-1", -1);
    /* A NUL inside is not part of a valid name. */
    jk_report_t report = {0};
    jk_report_reset (&report);
    assert_int_equal (jk_source_check (region, "DINAS/a\0b", 9, &report), -1);
    jk_region_destroy (&region);

    char office[16];
    jk_source_office ("32.03.10/pacet-1", 16, office, sizeof office);
    assert_string_equal (office, "32.03.10");
    jk_source_office ("DINAS/hub", 9, office, sizeof office);
    assert_string_equal (office, "DINAS");
    jk_source_office ("noslash", 7, office, sizeof office);
    assert_string_equal (office, "noslash");
}

static jk_region_t *s_load_area (const char *area)
{
    char err[256] = "";
    jk_region_t *region =
        jk_region_load_area (JEJAK_SOURCE_DIR "/data", area, err, sizeof err);
    if (!region)
        fail_msg ("%s: %s", area, err);
    return region;
}

/* A hub configured for another regency, for Cianjur through the national
   files (the same rows as the default), and a province hub. */
static void test_areas (void **state)
{
    (void)state;
    jk_region_t *cianjur = s_load ();
    jk_region_t *again = s_load_area ("32.03");
    assert_int_equal (jk_region_kecamatan_count (again), 32);
    assert_int_equal (jk_region_desa_count (again), 360);
    for (size_t i = 0; i < 360; i++) {
        const char *n1, *n2, *k1, *k2;
        assert_string_equal (jk_region_desa_at (cianjur, i, &n1, &k1),
                             jk_region_desa_at (again, i, &n2, &k2));
        assert_string_equal (n1, n2);
        assert_string_equal (k1, k2);
    }
    assert_int_equal (jk_region_kabupaten_count (cianjur), 1);
    assert_string_equal (jk_region_kabupaten (again, "32.03"), "KAB. CIANJUR");
    assert_string_equal (jk_region_kabupaten (cianjur, "32.03"),
                         "KAB. CIANJUR");
    jk_region_destroy (&again);
    jk_region_destroy (&cianjur);

    /* Kabupaten Bandung: its own kecamatan, Cianjur's are foreign. */
    jk_region_t *bandung = s_load_area ("32.04");
    assert_string_equal (jk_region_regency (bandung), "32.04");
    assert_int_equal (jk_region_kabupaten_count (bandung), 1);
    assert_string_equal (jk_region_kecamatan (bandung, "32.04.05"), "Cileunyi");
    assert_null (jk_region_kecamatan (bandung, "32.03.10"));
    s_source (bandung, "32.04.05/cileunyi-1", 0);
    s_source (bandung, "32.03.10/pacet-1", -1);
    jk_region_destroy (&bandung);

    /* A province hub knows every kabupaten and kota of Jawa Barat and
       every one of their kecamatan. */
    jk_region_t *jabar = s_load_area ("32");
    assert_int_equal (jk_region_kabupaten_count (jabar), 27);
    assert_int_equal (jk_region_kecamatan_count (jabar), 627);
    assert_int_equal (jk_region_desa_count (jabar), 5957);
    assert_string_equal (jk_region_kabupaten_at (jabar, 0, NULL), "32.01");
    assert_string_equal (jk_region_kabupaten (jabar, "32.03"), "KAB. CIANJUR");
    assert_null (jk_region_kabupaten (jabar, "33.01"));
    s_source (jabar, "32.03.10/pacet-1", 0);
    s_source (jabar, "32.04.05/cileunyi-1", 0);
    s_source (jabar, "33.01.01/x", -1);
    /* Names with commas are quoted in the national files. */
    for (size_t i = 0; i < jk_region_desa_count (jabar); i++) {
        const char *name;
        jk_region_desa_at (jabar, i, &name, NULL);
        assert_true (name[0] != '"');
    }
    jk_region_destroy (&jabar);

    /* Areas that are not codes, or hold nothing. */
    assert_true (jk_region_area_valid ("32"));
    assert_true (jk_region_area_valid ("32.03"));
    const char *bad[] = {"", "3", "320", "32.3", "32-03", "3a.03", "32.03.10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (jk_region_area_valid (bad[i]))
            fail_msg ("area '%s' taken as valid", bad[i]);
    char err[256] = "";
    assert_null (jk_region_load_area (JEJAK_SOURCE_DIR "/data", "32.3", err,
                                      sizeof err));
    assert_non_null (strstr (err, "must be a kabupaten code NN.NN"));
    assert_null (jk_region_load_area (JEJAK_SOURCE_DIR "/data", "99.99", err,
                                      sizeof err));
    assert_non_null (strstr (err, "no kecamatan of 99.99"));
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_counts),
        cmocka_unit_test (test_lookups),
        cmocka_unit_test (test_load_errors),
        cmocka_unit_test (test_source_check),
        cmocka_unit_test (test_areas),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
