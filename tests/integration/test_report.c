/*  test_report.c - jejak-report on the demo's data (jejak-sample with 200
    cooperatives imported through a real hub): every report's numbers
    against an independent SQL query over the projections, the XLSX read
    back with /usr/bin/python3 + openpyxl (not libxlsxwriter) with exact
    cell values and types, the CSV for Indonesian Excel, the printable
    HTML, masking and pseudonymous keys; and every example query of
    docs/PROJECTIONS.md run against the same database. */
#include "demo.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* The deadline of a wait for what must happen (a start, an answer, a
   stop): it only matters when it fails, so it leaves room for a
   sanitizer build on a slow, loaded machine. */
#define S_WAIT_MS 60000

#define S_AS_OF "2022-12-31"
/* The date forms a usage error states, as the agents state them. */
#define S_DATE_FORMS                                                           \
    "dd/mm/yyyy, dd-mm-yyyy or dd.mm.yyyy (day and month of 1 or 2 digits, "   \
    "a 4-digit year) or yyyy-mm-dd"

static jk_test_demo_t *s_demo;

static int s_group_setup (void **state)
{
    (void)state;
    s_demo = jk_test_demo_new ("report");
    jk_test_demo_build (s_demo, 200, 60);
    /* A clerk corrects the sex of the first person with a W_NIK_SEX
       warning to what the NIK says: that warning is resolved (the
       kualitas report counts it). */
    sqlite3 *db = jk_test_projections (s_demo->db);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT nik FROM data_quality"
                                          " WHERE code = 'W_NIK_SEX'"
                                          " ORDER BY pos LIMIT 1",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    char nik[17];
    snprintf (nik, sizeof nik, "%s", sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
    sqlite3_close (db);
    char *sex = (nik[6] - '0') >= 4 ? "P" : "L";
    char *outbox = jk_sprintf ("%s/outbox-correct.db", s_demo->dir);
    char *argv[] = {"jejak-registration",
                    "--source",
                    "32.03.10/dinas-1",
                    "--outbox",
                    outbox,
                    "--broker",
                    s_demo->ingest,
                    "--actor",
                    "Petugas Data",
                    "--wait",
                    "20",
                    "person-correct",
                    "--nik",
                    nik,
                    "--sex",
                    sex,
                    "--reason",
                    "sesuai KTP",
                    NULL};
    jk_test_demo_start_hub (s_demo);
    assert_int_equal (jk_test_run (argv, NULL, NULL, 60000), 0);
    jk_test_demo_stop_hub (s_demo);
    free (outbox);
    return 0;
}

static int s_group_teardown (void **state)
{
    (void)state;
    jk_test_demo_destroy (&s_demo);
    return 0;
}

/* Runs jejak-report NAME --db DB --as-of DAY --format FORMAT --out OUT
   with up to four more arguments (NULL-terminated); returns its exit code
   and its stderr in *err when wanted. */
static int s_report (const char *name, const char *day, const char *format,
                     const char *out, char **err, const char *a1,
                     const char *a2, const char *a3, const char *a4)
{
    char *argv[] = {"jejak-report", (char *)name, "--db",     s_demo->db,
                    "--as-of",      (char *)day,  "--format", (char *)format,
                    "--out",        (char *)out,  (char *)a1, (char *)a2,
                    (char *)a3,     (char *)a4,   NULL};
    char *o = NULL, *e = NULL;
    int rc = jk_test_run (argv, &o, &e, 60000);
    free (o);
    if (err)
        *err = e;
    else
        free (e);
    return rc;
}

static char *s_path (const char *name)
{
    return jk_sprintf ("%s/%s", s_demo->dir, name);
}

/* Runs report NAME as of S_AS_OF as CSV into path with up to three more
   arguments: exit 0, and the file holds want. */
static void s_csv_holds (const char *name, const char *path, const char *a1,
                         const char *a2, const char *a3, const char *want)
{
    assert_int_equal (
        s_report (name, S_AS_OF, "csv", path, NULL, a1, a2, a3, NULL), 0);
    char *csv = jk_test_slurp (path, NULL);
    if (!csv || !strstr (csv, want))
        fail_msg ("%s: '%s' not in %s", name, want, csv ? csv : "(none)");
    free (csv);
}

/* The workbook as openpyxl reads it (tests/support/xlsx_dump.py). */
static char *s_xlsx (const char *path)
{
    char *script =
        jk_sprintf ("%s/tests/support/xlsx_dump.py", JEJAK_SOURCE_DIR);
    char *argv[] = {"/usr/bin/python3", script, (char *)path, NULL};
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 60000);
    if (rc != 0)
        fail_msg ("openpyxl could not read %s: %s", path, err ? err : "");
    free (script);
    free (err);
    return out;
}

/* The text of one sheet of a dump (after its "== NAME freeze=A2" line),
   copied; fails when the sheet is missing or its header is not frozen. */
static char *s_sheet (const char *dump, const char *name)
{
    char *head = jk_sprintf ("== %s freeze=", name);
    const char *p = strstr (dump, head);
    if (!p)
        fail_msg ("no sheet '%s' in the workbook", name);
    p += strlen (head);
    free (head);
    if (strncmp (p, "A2\n", 3) != 0 && strncmp (name, "Keterangan", 10) != 0)
        fail_msg ("sheet '%s': header row not frozen", name);
    p = strchr (p, '\n') + 1;
    const char *end = strstr (p, "\n== ");
    size_t n = end ? (size_t)(end - p) + 1 : strlen (p);
    char *text = jk_malloc (n + 2);
    text[0] = '\n'; /* every line, the first too, starts after a newline */
    memcpy (text + 1, p, n);
    text[n + 1] = 0;
    return text;
}

static size_t s_lines (const char *text)
{
    size_t n = 0;
    for (const char *p = text + 1; *p; p++)
        n += *p == '\n';
    return n;
}

static sqlite3 *s_db (void)
{
    return jk_test_projections (s_demo->db);
}

/* One row of a query as the dump writes it: cells joined by tabs,
   numbers with %.10g. */
static char *s_row_text (sqlite3_stmt *st)
{
    char *line = jk_strdup ("");
    for (int c = 0; c < sqlite3_column_count (st); c++) {
        char cell[512];
        switch (sqlite3_column_type (st, c)) {
            case SQLITE_INTEGER:
                snprintf (cell, sizeof cell, "%.10g",
                          (double)sqlite3_column_int64 (st, c));
                break;
            case SQLITE_FLOAT:
                snprintf (cell, sizeof cell, "%.10g",
                          sqlite3_column_double (st, c));
                break;
            case SQLITE_NULL:
                cell[0] = 0;
                break;
            default:
                snprintf (cell, sizeof cell, "%s",
                          (const char *)sqlite3_column_text (st, c));
        }
        char *next = jk_sprintf ("%s%s%s", line, c ? "\t" : "", cell);
        free (line);
        line = next;
    }
    return line;
}

/* Every row of sql must appear in text as a line: whole ("\nROW\n") or,
   with tail, as the end of a line ("\tROW\n"). Returns the rows. */
static size_t s_expect_rows (const char *text, const char *sql, bool tail)
{
    sqlite3 *db = s_db ();
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg ("%s: %s", sql, sqlite3_errmsg (db));
    size_t rows = 0;
    while (sqlite3_step (st) == SQLITE_ROW) {
        char *row = s_row_text (st);
        char *want = jk_sprintf ("%s%s\n", tail ? "\t" : "\n", row);
        if (!strstr (text, want))
            fail_msg ("row not in the report: [%s]", row);
        free (want);
        free (row);
        rows++;
    }
    sqlite3_finalize (st);
    sqlite3_close (db);
    return rows;
}

static long s_sql (const char *sql)
{
    return jk_test_demo_sql (s_demo, sql);
}

/* A report as XLSX, dumped; the first sheet states the as-of date, the
   log head and masking. */
static char *s_xlsx_report (const char *name, const char *day, const char *a1,
                            const char *a2)
{
    char *file = jk_sprintf ("%s-%s.xlsx", name, day);
    char *path = s_path (file);
    char *err = NULL;
    int rc = s_report (name, day, "xlsx", path, &err, a1, a2, NULL, NULL);
    if (rc != 0)
        fail_msg ("jejak-report %s exited %d: %s", name, rc, err);
    free (err);
    char *dump = s_xlsx (path);
    char *info = s_sheet (dump, "Keterangan");
    long pos = s_sql ("SELECT max(pos) FROM log");
    char *want = jk_sprintf ("\nPosisi log\t'%ld\n", pos);
    assert_non_null (strstr (info, want));
    free (want);
    char d[11];
    snprintf (d, sizeof d, "%.2s/%.2s/%.4s", day + 8, day + 5, day);
    want = jk_sprintf ("\nPer tanggal\t%s\n", d);
    assert_non_null (strstr (info, want));
    free (want);
    assert_non_null (strstr (info, "\nHash kepala log\t"));
    assert_non_null (strstr (info, "\nAturan aktif\taktif = RAT tahun buku "));
    free (info);
    free (path);
    free (file);
    return dump;
}

/* ---- each report's numbers --------------------------------------------------
 */

#define S_ACTIVE_2021                                                          \
    "EXISTS (SELECT 1 FROM rat_meetings r WHERE r.legal_number_norm ="         \
    " c.legal_number_norm AND r.book_year = 2021 AND r.held_on <="             \
    " '2022-12-31') AND coalesce ((SELECT s.status FROM"                       \
    " cooperative_statuses s WHERE s.legal_number_norm ="                      \
    " c.legal_number_norm AND s.on_date <= '2022-12-31' ORDER BY"              \
    " s.on_date DESC, s.pos DESC LIMIT 1), 'AKTIF') NOT IN ('TIDAK_AKTIF',"    \
    " 'DIBEKUKAN', 'DIBUBARKAN')"

static void test_kecamatan (void **state)
{
    (void)state;
    char *dump = s_xlsx_report ("kecamatan", S_AS_OF, NULL, NULL);
    char *sheet = s_sheet (dump, "Kecamatan");
    assert_non_null (strstr (sheet, "\nPeringkat\tKode\tKecamatan\tTerdaftar\t"
                                    "Aktif\t% Aktif\tRAT TB 2021 tepat waktu\t"
                                    "RAT TB 2021 terlambat\tRAT TB 2021 "
                                    "belum\n"));
    size_t rows = s_expect_rows (
        sheet,
        "SELECT code, name, reg, act, CASE WHEN reg > 0 THEN round (100.0 *"
        " act / reg, 1) ELSE 0.0 END, ontime, late, owed - ontime - late"
        " FROM (SELECT k.kecamatan_code AS code, k.name AS name,"
        " (SELECT count(*) FROM cooperatives c WHERE c.kecamatan_code ="
        "  k.kecamatan_code) AS reg,"
        " (SELECT count(*) FROM cooperatives c WHERE c.kecamatan_code ="
        "  k.kecamatan_code AND c.legal_date <= '2021-12-31') AS owed,"
        " (SELECT count(*) FROM cooperatives c WHERE c.kecamatan_code ="
        "  k.kecamatan_code AND " S_ACTIVE_2021 ") AS act,"
        " (SELECT count(*) FROM cooperatives c, rat_meetings r WHERE"
        "  c.kecamatan_code = k.kecamatan_code AND r.legal_number_norm ="
        "  c.legal_number_norm AND r.book_year = 2021 AND r.held_on <="
        "  '2022-12-31' AND r.held_on <= r.deadline) AS ontime,"
        " (SELECT count(*) FROM cooperatives c, rat_meetings r WHERE"
        "  c.kecamatan_code = k.kecamatan_code AND r.legal_number_norm ="
        "  c.legal_number_norm AND r.book_year = 2021 AND r.held_on <="
        "  '2022-12-31' AND r.held_on > r.deadline) AS late"
        " FROM kecamatan_summary k)",
        true);
    assert_int_equal (rows, 32);
    assert_int_equal (s_lines (sheet), 33);
    /* Ranked: the first row is the kecamatan with the highest share. */
    sqlite3 *db = s_db ();
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (
            db,
            "SELECT max (1.0 * (SELECT count(*) FROM cooperatives c WHERE"
            " c.kecamatan_code = k.kecamatan_code AND " S_ACTIVE_2021
            ") / k.cooperatives) FROM kecamatan_summary k"
            " WHERE k.cooperatives > 0",
            -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    char best[32];
    snprintf (best, sizeof best, "%.10g",
              (double)(int64_t)(sqlite3_column_double (st, 0) * 1000 + 0.5) /
                  10);
    sqlite3_finalize (st);
    sqlite3_close (db);
    const char *first = strchr (sheet + 1, '\n') + 1;
    assert_int_equal (strncmp (first, "1\t", 2), 0);
    char *want = jk_sprintf ("\t%s\t", best);
    const char *eol = strchr (first, '\n');
    const char *hit = strstr (first, want);
    assert_true (hit && hit < eol);
    free (want);
    free (sheet);
    free (dump);
}

static void test_rat (void **state)
{
    (void)state;
    char *dump = s_xlsx_report ("rat", S_AS_OF, NULL, NULL);
    char *sheet = s_sheet (dump, "Per tahun buku");
    size_t rows = s_expect_rows (
        sheet,
        "SELECT y, reg, held, ontime, held - ontime, noq, reg - held,"
        " round (100.0 * ontime / reg, 1) FROM (SELECT r.book_year AS y,"
        " (SELECT count(*) FROM cooperatives c WHERE c.legal_date <="
        "  printf ('%d-12-31', r.book_year)) AS reg, count(*) AS held,"
        " sum (CASE WHEN r.held_on <= r.deadline THEN 1 ELSE 0 END) AS"
        " ontime, sum (CASE WHEN r.quorum_met THEN 0 ELSE 1 END) AS noq"
        " FROM rat_meetings r WHERE r.held_on <= '2022-12-31'"
        " GROUP BY r.book_year)",
        false);
    assert_int_equal (rows, 2); /* book years 2020 and 2021 */
    free (sheet);
    /* The follow-up list: every cooperative registered by the end of
       2021 without a RAT for it, not dissolved, over the kecamatan
       sheets. */
    long want =
        s_sql ("SELECT count(*) FROM cooperatives c WHERE c.legal_date <="
               " '2021-12-31' AND c.legal_number_norm NOT IN (SELECT"
               " legal_number_norm FROM rat_meetings WHERE book_year = 2021 AND"
               " held_on <= '2022-12-31') AND coalesce (c.status, '') <>"
               " 'DIBUBARKAN'");
    long listed = 0;
    for (const char *p = strstr (dump, "== Belum RAT "); p;
         p = strstr (p + 1, "== Belum RAT ")) {
        char name[32];
        sscanf (p + 3, "Belum RAT %8s", name + 10);
        memcpy (name, "Belum RAT ", 10);
        char *s = s_sheet (dump, name);
        listed += (long)s_lines (s) - 1;
        free (s);
    }
    assert_true (want > 0);
    assert_int_equal (listed, want);
    free (dump);
}

static void test_pelatihan (void **state)
{
    (void)state;
    char *dump = s_xlsx_report ("pelatihan", S_AS_OF, NULL, NULL);
    for (int b = 1; b <= 6; b++) {
        char batch[32], name[48];
        snprintf (batch, sizeof batch, "PK2UMK-2022-%02d", b);
        snprintf (name, sizeof name, "Layak %s", batch);
        char *sheet = s_sheet (dump, name);
        char *sql = jk_sprintf ("SELECT count(*) FROM enrollments WHERE"
                                " batch = '%s' AND withdrawn = 0 AND"
                                " jp_attended * 100 >= 80 * (SELECT jp_total"
                                " FROM batches WHERE batch = '%s')",
                                batch, batch);
        assert_int_equal ((long)s_lines (sheet) - 1, s_sql (sql));
        free (sql);
        free (sheet);
        /* The matrix: one line per participant, then the totals per
           session (people HADIR or TERLAMBAT). */
        snprintf (name, sizeof name, "Hadir %s", batch);
        sheet = s_sheet (dump, name);
        sql = jk_sprintf ("SELECT count(*) FROM enrollments WHERE batch ="
                          " '%s' AND withdrawn = 0",
                          batch);
        assert_int_equal ((long)s_lines (sheet) - 2, s_sql (sql));
        free (sql);
        sql = jk_sprintf (
            "SELECT 'Jumlah hadir (H+T)', '', group_concat (n, char (9)),"
            " '', '', '', ''"
            " FROM (SELECT (SELECT count(*) FROM attendance a WHERE a.batch ="
            " s.batch AND a.session_no = s.session_no AND a.status IN"
            " ('HADIR', 'TERLAMBAT')) AS n FROM sessions s WHERE s.batch ="
            " '%s' ORDER BY s.session_no)",
            batch);
        assert_int_equal (s_expect_rows (sheet, sql, true), 1);
        free (sql);
        /* Every participant's hours, % and eligibility. */
        sql = jk_sprintf (
            "SELECT e.jp_attended, b.jp_total, e.attendance_pct, CASE WHEN"
            " e.eligible THEN 'Ya' ELSE 'Tidak' END FROM enrollments e,"
            " batches b WHERE b.batch = e.batch AND e.batch = '%s' AND"
            " e.withdrawn = 0",
            batch);
        s_expect_rows (sheet, sql, true);
        free (sql);
        free (sheet);
        snprintf (name, sizeof name, "Daftar %s", batch);
        sheet = s_sheet (dump, name);
        sql = jk_sprintf ("SELECT count(*) FROM attendance WHERE batch = '%s'",
                          batch);
        assert_int_equal ((long)s_lines (sheet) - 1, s_sql (sql));
        free (sql);
        free (sheet);
    }
    free (dump);
}

static void test_asesmen (void **state)
{
    (void)state;
    char *dump = s_xlsx_report ("asesmen", S_AS_OF, NULL, NULL);
    char *sheet = s_sheet (dump, "Asesmen");
    size_t rows = s_expect_rows (
        sheet,
        "SELECT assessment, scheme_title, date, batch, n, k, n - k,"
        " round (100.0 * k / n, 1) FROM (SELECT a.assessment, a.scheme_title,"
        " a.date, a.batch, (SELECT count(*) FROM assessment_results r WHERE"
        " r.assessment = a.assessment) AS n, (SELECT count(*) FROM"
        " assessment_results r WHERE r.assessment = a.assessment AND"
        " r.verdict = 'K') AS k FROM assessments a)",
        false);
    assert_int_equal (rows, 6);
    free (sheet);
    sheet = s_sheet (dump, "Per unit");
    rows = s_expect_rows (
        sheet,
        "SELECT u.assessment, u.unit_index, u.unit, u.title,"
        " sum (r.verdict = 'K'), sum (r.verdict = 'BK'),"
        " round (100.0 * sum (r.verdict = 'K') / count (r.nik), 1)"
        " FROM assessment_units u JOIN unit_results r ON r.assessment ="
        " u.assessment AND r.unit = u.unit GROUP BY u.assessment, u.unit",
        false);
    assert_int_equal ((long)rows,
                      s_sql ("SELECT count(*) FROM assessment_units"));
    free (sheet);
    sheet = s_sheet (dump, "Kompeten");
    assert_int_equal (
        (long)s_lines (sheet) - 1,
        s_sql ("SELECT count(*) FROM assessment_results WHERE verdict = 'K'"));
    free (sheet);
    free (dump);
}

static void test_sertifikat (void **state)
{
    (void)state;
    /* As of 15/11/2022 some certificates are not issued yet. */
    char *dump = s_xlsx_report ("sertifikat", "2022-11-15", "--days", "1090");
    char *sheet = s_sheet (dump, "Ringkasan");
    assert_int_equal (
        s_expect_rows (
            sheet,
            "SELECT (SELECT count(*) FROM certificates WHERE issued_on <="
            " '2022-11-15'), (SELECT count(*) FROM certificates WHERE"
            " issued_on <= '2022-11-15' AND revoked = 0 AND valid_until >="
            " '2022-11-15'), (SELECT count(*) FROM certificates WHERE"
            " issued_on <= '2022-11-15' AND revoked = 0 AND valid_until"
            " BETWEEN '2022-11-15' AND date ('2022-11-15', '+1090 days')),"
            " 0, (SELECT count(*) FROM certificates WHERE issued_on <="
            " '2022-11-15' AND revoked = 1)",
            false),
        1);
    long issued = s_sql ("SELECT count(*) FROM certificates WHERE issued_on"
                         " <= '2022-11-15'");
    assert_true (issued > 0);
    assert_true (issued < s_sql ("SELECT count(*) FROM certificates"));
    free (sheet);
    sheet = s_sheet (dump, "Segera habis");
    assert_int_equal ((long)s_lines (sheet) - 1,
                      s_sql ("SELECT count(*) FROM certificates WHERE"
                             " issued_on <= '2022-11-15' AND valid_until <="
                             " date ('2022-11-15', '+1090 days')"));
    free (sheet);
    sheet = s_sheet (dump, "Sertifikat");
    /* Numbers, masked NIKs, dates as dates. */
    size_t rows = s_expect_rows (
        sheet,
        "SELECT x.number, '', substr (x.nik, 1, 4) || '********' || substr"
        " (x.nik, 13, 4), p.name, x.assessment, x.issued_on, x.valid_until,"
        " CASE WHEN x.valid_until <= date ('2022-11-15', '+1090 days')"
        " THEN 'Segera habis' ELSE 'Berlaku' END, ''"
        " FROM certificates x, people p WHERE p.nik = x.nik AND"
        " x.issued_on <= '2022-11-15'",
        false);
    assert_int_equal ((long)rows, issued);
    free (sheet);
    free (dump);
}

static void test_dak (void **state)
{
    (void)state;
    char *dump = s_xlsx_report ("dak", S_AS_OF, NULL, NULL);
    size_t total = 0;
    for (int b = 1; b <= 6; b++) {
        char name[48];
        snprintf (name, sizeof name, "DAK PK2UMK-2022-%02d", b);
        char *sheet = s_sheet (dump, name);
        char *sql = jk_sprintf (
            "SELECT substr (e.nik, 1, 4) || '********' || substr (e.nik, 13,"
            " 4), p.name, p.sex, k.name, c.name, p.role, e.attendance_pct,"
            " coalesce (r.verdict, 'Tidak diuji'), x.number FROM enrollments e"
            " JOIN people p ON p.nik = e.nik"
            " LEFT JOIN kecamatan_summary k ON k.kecamatan_code ="
            " p.kecamatan_code"
            " LEFT JOIN cooperatives c ON c.legal_number_norm ="
            " e.cooperative"
            " LEFT JOIN assessments a ON a.batch = e.batch"
            " LEFT JOIN assessment_results r ON r.assessment = a.assessment"
            " AND r.nik = e.nik"
            " LEFT JOIN certificates x ON x.assessment = a.assessment AND"
            " x.nik = e.nik AND x.revoked = 0"
            " WHERE e.batch = 'PK2UMK-2022-%02d' AND e.withdrawn = 0",
            b);
        size_t rows = s_expect_rows (sheet, sql, true);
        assert_int_equal (s_lines (sheet) - 1, rows);
        total += rows;
        free (sql);
        free (sheet);
    }
    assert_int_equal ((long)total,
                      s_sql ("SELECT count(*) FROM enrollments WHERE"
                             " withdrawn = 0"));
    free (dump);
}

static void test_kualitas (void **state)
{
    (void)state;
    char *dump = s_xlsx_report ("kualitas", S_AS_OF, NULL, NULL);
    char *sheet = s_sheet (dump, "Kualitas data");
    size_t rows = s_expect_rows (
        sheet,
        "SELECT pos, code, entity, field, message, CASE WHEN resolved_pos"
        " IS NULL THEN 'Terbuka' ELSE 'Selesai' END, resolved_pos,"
        " resolved_by FROM data_quality",
        false);
    assert_true (rows >= 5); /* 3 W_NIK_SEX, 2 W_NIK_PROVINCE at least */
    assert_int_equal (s_lines (sheet) - 1, rows);
    free (sheet);
    /* Open and resolved per code: the demo's person-correct of a sex
       resolved exactly one W_NIK_SEX. */
    sheet = s_sheet (dump, "Ringkasan kualitas");
    size_t codes = s_expect_rows (
        sheet,
        "SELECT code, sum (resolved_pos IS NULL), count (resolved_pos),"
        " count(*) FROM data_quality GROUP BY code",
        false);
    assert_int_equal (s_lines (sheet) - 1, codes);
    assert_int_equal (s_sql ("SELECT count(*) FROM data_quality WHERE"
                             " code = 'W_NIK_SEX' AND resolved_pos IS NOT"
                             " NULL"),
                      1);
    free (sheet);
    free (dump);
}

/* ---- CSV, HTML, masking, keys
 * ------------------------------------------------- */

static void test_csv_html (void **state)
{
    (void)state;
    char *path = s_path ("kecamatan.csv");
    char *said = NULL;
    assert_int_equal (s_report ("kecamatan", "31/12/2022", "csv", path, &said,
                                NULL, NULL, NULL, NULL),
                      0);
    /* One table: "1 table", in the line that says what was written. */
    char *written = jk_sprintf ("jejak-report: %s written: 1 table, as of "
                                "2022-12-31, log position ",
                                path);
    if (!said || strncmp (said, written, strlen (written)) != 0)
        fail_msg ("said '%s', not '%s...'", said ? said : "", written);
    free (written);
    free (said);
    size_t size = 0;
    char *csv = jk_test_slurp (path, &size);
    assert_non_null (csv);
    assert_memory_equal (csv, "\xEF\xBB\xBFLaporan;Koperasi per kecamatan\r\n",
                         35);
    assert_non_null (strstr (csv, "\r\nPer tanggal;31/12/2022\r\n"));
    assert_non_null (strstr (csv, "\r\nNIK;disamarkan (masked)\r\n"));
    assert_non_null (strstr (csv, "; jejak-report kecamatan --db SALINAN.db "
                                  "--as-of 2022-12-31\"\r\n"));
    /* The flags that shape the figures are in the line that repeats
       them. */
    char *ruled = s_path ("kecamatan-ruled.csv");
    assert_int_equal (s_report ("kecamatan", "31/12/2022", "csv", ruled, NULL,
                                "--active-rule", "years=2", "--book-year",
                                "2020"),
                      0);
    char *ruled_csv = jk_test_slurp (ruled, NULL);
    assert_non_null (strstr (ruled_csv,
                             "; jejak-report kecamatan --db SALINAN.db --as-of "
                             "2022-12-31 --active-rule years=2,deadline-"
                             "months=6,grace-days=0,quorum=any --book-year "
                             "2020\"\r\n"));
    free (ruled_csv);
    free (ruled);
    ruled = s_path ("sertifikat-ruled.csv");
    assert_int_equal (s_report ("sertifikat", "31/12/2022", "csv", ruled, NULL,
                                "--days", "30", "--unmasked", NULL),
                      0);
    ruled_csv = jk_test_slurp (ruled, NULL);
    assert_non_null (strstr (ruled_csv, "; jejak-report sertifikat --db "
                                        "SALINAN.db --as-of 2022-12-31 --days "
                                        "30 --unmasked\"\r\n"));
    free (ruled_csv);
    free (ruled);
    /* Pacet, with the decimal comma. */
    sqlite3 *db = s_db ();
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db,
                            "SELECT k.cooperatives, (SELECT count(*) FROM"
                            " cooperatives c WHERE c.kecamatan_code ="
                            " k.kecamatan_code AND " S_ACTIVE_2021 ")"
                            " FROM kecamatan_summary k WHERE"
                            " k.kecamatan_code = '32.03.10'",
                            -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    long reg = sqlite3_column_int64 (st, 0), act = sqlite3_column_int64 (st, 1);
    sqlite3_finalize (st);
    sqlite3_close (db);
    long tenths = (1000 * act + reg / 2) / reg;
    char *want = jk_sprintf (";32.03.10;Pacet;%ld;%ld;%ld,%ld;", reg, act,
                             tenths / 10, tenths % 10);
    assert_non_null (strstr (csv, want));
    free (want);
    free (csv);
    free (path);

    path = s_path ("pelatihan.html");
    assert_int_equal (s_report ("pelatihan", S_AS_OF, "html", path, NULL, NULL,
                                NULL, NULL, NULL),
                      0);
    char *html = jk_test_slurp (path, NULL);
    assert_non_null (strstr (html, "<html lang=\"id\">"));
    assert_non_null (strstr (html, "@page { size: A4;"));
    assert_non_null (strstr (html, "<h1>Laporan pelatihan per angkatan</h1>"));
    assert_non_null (strstr (html, "<td><b>Per tanggal</b></td><td>"
                                   "31/12/2022</td>"));
    /* A new page for every batch after the first. */
    size_t breaks = 0;
    for (const char *p = strstr (html, "<section class=\"break\">"); p;
         p = strstr (p + 1, "<section class=\"break\">"))
        breaks++;
    assert_int_equal (breaks, 5);
    free (html);
    free (path);
}

/* A year and a log position name something rather than count it: no
   thousands separator in HTML ("2021", not "2.021"), format "0" in the
   XLSX (Excel's "#,##0" would show 2.021 in an Indonesian locale). */
static void test_years_and_positions (void **state)
{
    (void)state;
    char *path = s_path ("rat-years.html");
    assert_int_equal (
        s_report ("rat", S_AS_OF, "html", path, NULL, NULL, NULL, NULL, NULL),
        0);
    char *html = jk_test_slurp (path, NULL);
    assert_non_null (strstr (html, "<tr><td class=\"n\">2021</td>"));
    assert_non_null (strstr (html, "<tr><td class=\"n\">2020</td>"));
    assert_null (strstr (html, ">2.02"));
    free (html);
    free (path);
    /* The correction that resolved a warning stands beyond position 999
       (the demo's log holds 2840 records before it). */
    long resolved = s_sql ("SELECT resolved_pos FROM data_quality WHERE"
                           " resolved_pos IS NOT NULL");
    assert_true (resolved > 999);
    path = s_path ("kualitas-positions.html");
    assert_int_equal (s_report ("kualitas", S_AS_OF, "html", path, NULL, NULL,
                                NULL, NULL, NULL),
                      0);
    html = jk_test_slurp (path, NULL);
    char *want =
        jk_sprintf ("<td>Selesai</td><td class=\"n\">%ld</td>", resolved);
    if (!strstr (html, want))
        fail_msg ("no '%s' in the kualitas report", want);
    free (want);
    free (html);
    free (path);
    /* The workbook's number formats, as openpyxl reads them. */
    path = s_path ("rat-years.xlsx");
    assert_int_equal (
        s_report ("rat", S_AS_OF, "xlsx", path, NULL, NULL, NULL, NULL, NULL),
        0);
    char *argv[] = {
        "/usr/bin/python3", "-c",
        "import sys, openpyxl\n"
        "ws = openpyxl.load_workbook(sys.argv[1])['Per tahun buku']\n"
        "print(ws['A2'].value, ws['A2'].number_format,"
        " ws['B2'].number_format)\n",
        path, NULL};
    char *out = NULL;
    assert_int_equal (jk_test_run (argv, &out, NULL, 60000), 0);
    assert_string_equal (out, "2021 0 #,##0\n");
    free (out);
    free (path);
}

/* Without --format the format is the one --out's name ends in (any
   case; .htm too); with both, they must agree: exit 2, nothing written.
   A name ending otherwise keeps the default, xlsx. */
static void test_format_from_out (void **state)
{
    (void)state;
    static const struct {
        const char *name, *starts;
        size_t len;
    } cases[] = {
        {"fmt.csv", "\xEF\xBB\xBFLaporan;Koperasi per kecamatan\r\n", 35},
        {"fmt-upper.CSV", "\xEF\xBB\xBFLaporan;", 11},
        {"fmt.html", "<!DOCTYPE html>", 15},
        {"fmt.Htm", "<!DOCTYPE html>", 15},
        {"fmt.xlsx", "PK\x03\x04", 4},
        {"fmt.txt", "PK\x03\x04", 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = s_path (cases[i].name);
        char *argv[] = {"jejak-report", "kecamatan", "--db",
                        s_demo->db,     "--as-of",   S_AS_OF,
                        "--out",        path,        NULL};
        char *out = NULL, *err = NULL;
        int rc = jk_test_run (argv, &out, &err, S_WAIT_MS);
        size_t size = 0;
        char *got = jk_test_slurp (path, &size);
        if (rc != 0 || !got || size < cases[i].len ||
            memcmp (got, cases[i].starts, cases[i].len) != 0)
            fail_msg ("--out %s: exit %d, stderr %s, file begins '%.15s'",
                      cases[i].name, rc, err, got ? got : "(none)");
        free (got);
        free (out);
        free (err);
        free (path);
    }
    char *path = s_path ("clash.csv");
    char *err = NULL;
    assert_int_equal (s_report ("kecamatan", S_AS_OF, "xlsx", path, &err, NULL,
                                NULL, NULL, NULL),
                      2);
    char *expect = jk_sprintf ("jejak-report: --out %s is named for csv, but "
                               "--format is xlsx: give --format csv, or an "
                               "--out ending in .xlsx (nothing written)\n",
                               path);
    assert_string_equal (err, expect);
    assert_int_equal (access (path, F_OK), -1);
    free (expect);
    free (err);
    free (path);
}

static void test_masking_and_keys (void **state)
{
    (void)state;
    char *keys = s_path ("keys");
    char *mk[] = {"/bin/mkdir", "-p", keys, NULL};
    assert_int_equal (jk_test_demo_run (mk, NULL), 0);
    char *pk[] = {"jejak-report", "person-key", "--keys", keys, NULL};
    assert_int_equal (jk_test_demo_run (pk, NULL), 0);
    /* Never replaced: reports would no longer join. */
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (pk, &out, &err, S_WAIT_MS), 3);
    assert_non_null (strstr (err, "a key is never replaced"));
    free (out);
    free (err);

    char *dak = s_path ("dak-keyed.csv");
    char *cert = s_path ("sertifikat-keyed.csv");
    assert_int_equal (
        s_report ("dak", S_AS_OF, "csv", dak, NULL, "--keys", keys, NULL, NULL),
        0);
    assert_int_equal (s_report ("sertifikat", S_AS_OF, "csv", cert, NULL,
                                "--keys", keys, NULL, NULL),
                      0);
    char *dak_text = jk_test_slurp (dak, NULL);
    char *cert_text = jk_test_slurp (cert, NULL);
    assert_null (strstr (dak_text, "TIDAK disamarkan"));
    /* The key of a certificate holder, computed independently with
       Python's hmac, appears in both reports. */
    char *holder = NULL;
    sqlite3 *db = s_db ();
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT nik FROM certificates"
                                          " ORDER BY number LIMIT 1",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    holder = jk_strdup ((const char *)sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
    sqlite3_close (db);
    char *code = jk_sprintf (
        "import hmac,hashlib;k=bytes.fromhex(open('%s/person.key').read()"
        ".strip());print('P-'+hmac.new(k,b'%s',hashlib.sha256).hexdigest()"
        "[:12].upper())",
        keys, holder);
    char *py[] = {"/usr/bin/python3", "-c", code, NULL};
    assert_int_equal (jk_test_run (py, &out, &err, S_WAIT_MS), 0);
    out[strcspn (out, "\n")] = 0;
    assert_int_equal (strlen (out), 14);
    char *masked =
        jk_sprintf (";%s;%.4s********%.4s;", out, holder, holder + 12);
    assert_non_null (strstr (dak_text, masked));
    assert_non_null (strstr (cert_text, masked));
    /* No NIK in clear anywhere. */
    assert_null (strstr (dak_text, holder));
    free (masked);
    free (out);
    free (err);
    free (code);

    /* --unmasked: the NIK in clear, and the header says so. */
    char *clear = s_path ("dak-unmasked.csv");
    s_csv_holds ("dak", clear, "--unmasked", NULL, NULL,
                 "\r\nNIK;TIDAK disamarkan (unmasked)\r\n");
    char *clear_text = jk_test_slurp (clear, NULL);
    assert_non_null (strstr (clear_text, holder));
    free (clear_text);
    free (clear);
    free (holder);
    free (dak_text);
    free (cert_text);
    free (dak);
    free (cert);
    free (keys);
}

static void test_usage_errors (void **state)
{
    (void)state;
    char *path = s_path ("x.xlsx");
    static const struct {
        const char *report, *day, *format, *extra, *extra2;
        int rc;
        const char *message;
    } cases[] = {
        {"kecamatan", "31-31-2022", "xlsx", NULL, NULL, 2,
         "--as-of must be a date " S_DATE_FORMS ", got '31-31-2022'"},
        {"kecamatan", "1/1/22", "xlsx", NULL, NULL, 2,
         "--as-of must be a date " S_DATE_FORMS ", got '1/1/22'"},
        {"kecamatan", "1/1-2022", "xlsx", NULL, NULL, 2,
         "--as-of must be a date " S_DATE_FORMS ", got '1/1-2022'"},
        {"kecamatan", S_AS_OF, "pdf", NULL, NULL, 2,
         "--format must be xlsx, csv or html, not 'pdf'"},
        {"kecamatan", S_AS_OF, "xlsx", "--active-rule", "years=0", 2,
         "--active-rule: active rule: years must be a whole number 1..10"},
        {"pelatihan", S_AS_OF, "xlsx", "--batch", "NOPE", 2,
         "jejak-report: --batch NOPE: no such batch started by 2022-12-31 "
         "(batches started by then: PK2UMK-2022-01, PK2UMK-2022-02"},
        {"asesmen", S_AS_OF, "xlsx", "--batch", "NOPE", 2,
         "jejak-report: --batch NOPE: no such batch started by 2022-12-31 "
         "(batches started by then: PK2UMK-2022-01, PK2UMK-2022-02"},
        {"dak", S_AS_OF, "xlsx", "--batch", "NOPE", 2,
         "jejak-report: --batch NOPE: no such batch started by 2022-12-31 "
         "(DAK_NF_PK2UMK batches started by then: PK2UMK-2022-01, "},
        {"asesmen", "2022-01-01", "xlsx", "--batch", "PK2UMK-2022-01", 2,
         "--batch PK2UMK-2022-01: no such batch started by 2022-01-01 (no "
         "batches started by then)"},
        {"rat", S_AS_OF, "xlsx", "--book-year", "2023", 2,
         "jejak-report: --book-year 2023 is after the year of --as-of "
         "(2022-12-31): a book year's RAT is held after that year ends; "
         "give 2022 or earlier\n"},
        {"kecamatan", S_AS_OF, "xlsx", "--book-year", "2023", 2,
         "--book-year 2023 is after the year of --as-of (2022-12-31)"},
        {"neraca", S_AS_OF, "xlsx", NULL, NULL, 2, "unknown report 'neraca'"},
        {"dak", S_AS_OF, "xlsx", "--keys", "/nonexistent", 3,
         "/nonexistent/person.key: cannot read"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        int rc = s_report (cases[i].report, cases[i].day, cases[i].format, path,
                           &err, cases[i].extra, cases[i].extra2, NULL, NULL);
        if (rc != cases[i].rc || !strstr (err, cases[i].message))
            fail_msg ("case %zu: exit %d, stderr %s", i, rc, err);
        free (err);
    }
    char *argv[] = {"jejak-report", "kecamatan", "--db", "/nonexistent/x.db",
                    NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_WAIT_MS), 3);
    assert_non_null (strstr (err, "/nonexistent/x.db"));
    free (out);
    free (err);
    free (path);

    /* A SQLite file that holds no projections (an outbox, another
       program's file): exit 3 and one line of ours, no log line before
       it. */
    char *other = s_path ("other.db");
    sqlite3 *odb = NULL;
    assert_int_equal (sqlite3_open (other, &odb), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (odb, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (odb);
    char *csv = s_path ("other.csv");
    char *oargv[] = {"jejak-report", "kecamatan", "--db", other, "--as-of",
                     S_AS_OF,        "--out",     csv,    NULL};
    assert_int_equal (jk_test_run (oargv, &out, &err, S_WAIT_MS), 3);
    char *one_line = jk_sprintf ("jejak-report: %s: not a Jejak database (no "
                                 "projections): no such table: sources\n",
                                 other);
    assert_string_equal (err, one_line);
    assert_int_equal (access (csv, F_OK), -1);
    free (one_line);
    free (out);
    free (err);
    free (csv);
    free (other);

    /* --out never replaces the database (nor its projections, nor any
       SQLite file): refused before anything is read, the file as it
       was. */
    char *projections = jk_sprintf ("%s-projections", s_demo->db);
    size_t before = 0, after = 0;
    char *was = jk_test_slurp (projections, &before);
    const char *targets[] = {s_demo->db, projections};
    const char *what[] = {"is the database given as --db",
                          "is a file of the database given as --db"};
    for (size_t i = 0; i < 2; i++) {
        int rc = s_report ("kecamatan", S_AS_OF, "csv", targets[i], &err, NULL,
                           NULL, NULL, NULL);
        char *expect = jk_sprintf ("jejak-report: --out %s %s: a report "
                                   "never replaces it (nothing written; name "
                                   "another file)\n",
                                   targets[i], what[i]);
        if (rc != 2 || strcmp (err, expect) != 0)
            fail_msg ("--out %s: exit %d, stderr %s", targets[i], rc, err);
        free (expect);
        free (err);
    }
    char *now = jk_test_slurp (projections, &after);
    assert_int_equal (after, before);
    assert_memory_equal (now, was, before);
    free (now);
    free (was);
    assert_int_equal (s_report ("kecamatan", S_AS_OF, "csv", "-", NULL, NULL,
                                NULL, NULL, NULL),
                      0);
    free (projections);
}

/* --as-of after today (WIB, by the program's clock: pinned here with
   JEJAK_CLOCK_MS) is refused, exit 2, nothing written; today and
   earlier days are reports. */
static void test_as_of_future (void **state)
{
    (void)state;
    char *path = s_path ("future.csv");
    /* 31/12/2022 12:00 WIB */
    setenv ("JEJAK_CLOCK_MS", "1672462800000", 1);
    static const char *const days[] = {"2023-01-01", "01/01/2023", "1/1/2023",
                                       "31/12/2999"};
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        char *err = NULL;
        int rc = s_report ("kecamatan", days[i], "csv", path, &err, NULL, NULL,
                           NULL, NULL);
        char *want = jk_sprintf ("jejak-report: --as-of '%s' is after today "
                                 "(2022-12-31, WIB): a report is as of "
                                 "today or an earlier day\n",
                                 days[i]);
        if (rc != 2 || strcmp (err, want) != 0)
            fail_msg ("--as-of %s: exit %d, stderr %s", days[i], rc, err);
        assert_int_equal (access (path, F_OK), -1);
        free (want);
        free (err);
    }
    assert_int_equal (s_report ("kecamatan", "31/12/2022", "csv", path, NULL,
                                NULL, NULL, NULL, NULL),
                      0);
    assert_int_equal (unlink (path), 0);
    /* The forms the agents accept (one parser): a one-digit day or month,
       "-" or "." for "/". */
    static const struct {
        const char *given, *said;
    } forms[] = {{"1/12/2022", "as of 2022-12-01"},
                 {"31.12.2022", "as of 2022-12-31"},
                 {"6-7-2022", "as of 2022-07-06"}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char *err = NULL;
        int rc = s_report ("kecamatan", forms[i].given, "csv", path, &err, NULL,
                           NULL, NULL, NULL);
        if (rc != 0 || !strstr (err, forms[i].said))
            fail_msg ("--as-of %s: exit %d, stderr %s", forms[i].given, rc,
                      err);
        free (err);
        assert_int_equal (unlink (path), 0);
    }
    /* Without --as-of: today. */
    char *argv[] = {"jejak-report", "kecamatan", "--db", s_demo->db, "--format",
                    "csv",          "--out",     path,   NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_WAIT_MS), 0);
    assert_non_null (strstr (err, "as of 2022-12-31"));
    free (out);
    free (err);
    /* 01/01/2023 00:30 WIB is 31/12/2022 17:30 UTC: the WIB day counts. */
    setenv ("JEJAK_CLOCK_MS", "1672507800000", 1);
    assert_int_equal (s_report ("kecamatan", "2023-01-01", "csv", path, NULL,
                                NULL, NULL, NULL, NULL),
                      0);
    unsetenv ("JEJAK_CLOCK_MS");
    assert_int_equal (unlink (path), 0);
    free (path);
}

/* A flag the chosen command does not take is refused (exit 2) naming the
   flag and the command, nothing written (REPORTS.md, "Menjalankan"); a
   config file's key for another report is not read. */
static void test_flags_of_other_reports (void **state)
{
    (void)state;
    char *path = s_path ("other-flag.csv");
    static const struct {
        const char *report, *flag, *value, *message;
    } cases[] = {
        {"sertifikat", "--book-year", "2020",
         "jejak-report: --book-year is not an option of the sertifikat "
         "report (only of kecamatan, rat; see --help)\n"},
        {"pelatihan", "--book-year", "2020",
         "jejak-report: --book-year is not an option of the pelatihan "
         "report (only of kecamatan, rat; see --help)\n"},
        {"kecamatan", "--days", "30",
         "jejak-report: --days is not an option of the kecamatan report "
         "(only of sertifikat; see --help)\n"},
        {"rat", "--batch", "PK2UMK-2022-01",
         "jejak-report: --batch is not an option of the rat report (only "
         "of pelatihan, asesmen, dak; see --help)\n"},
        {"kualitas", "--batch=PK2UMK-2022-01", NULL,
         "jejak-report: --batch is not an option of the kualitas report "
         "(only of pelatihan, asesmen, dak; see --help)\n"},
        /* Its own report's flag, out of range: the value is quoted. */
        {"sertifikat", "--days", "3661",
         "jejak-report: --days must be 0..3660, got '3661'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        int rc = s_report (cases[i].report, S_AS_OF, "csv", path, &err,
                           cases[i].flag, cases[i].value, NULL, NULL);
        if (rc != 2 || strcmp (err, cases[i].message) != 0)
            fail_msg ("%s %s: exit %d, stderr %s", cases[i].report,
                      cases[i].flag, rc, err);
        assert_int_equal (access (path, F_OK), -1);
        free (err);
    }
    /* person-key takes --keys only. */
    char *keys = s_path ("keys-other-flag");
    char *argv[] = {"jejak-report", "person-key", "--keys", keys,
                    "--db",         s_demo->db,   NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_WAIT_MS), 2);
    assert_string_equal (err, "jejak-report: --db is not an option of the "
                              "person-key command (it takes --keys only; "
                              "see --help)\n");
    assert_int_equal (access (keys, F_OK), -1);
    free (out);
    free (err);
    /* A command's --help lists the flags it takes. */
    char *help[] = {"jejak-report", "sertifikat", "--help", NULL};
    assert_int_equal (jk_test_run (help, &out, &err, S_WAIT_MS), 0);
    assert_non_null (strstr (out, "  --days VALUE "));
    assert_null (strstr (out, "--book-year"));
    assert_null (strstr (out, "--batch"));
    free (out);
    free (err);
    /* A config file may serve several reports: its --days is sertifikat's
       only, kecamatan neither refuses nor reads it. */
    char *config = s_path ("reports.cfg");
    FILE *f = fopen (config, "w");
    assert_non_null (f);
    fputs ("days = \"30\"\n", f);
    assert_int_equal (fclose (f), 0);
    s_csv_holds ("kecamatan", path, "--config", config, NULL,
                 "; jejak-report kecamatan --db SALINAN.db --as-of "
                 "2022-12-31\"\r\n");
    s_csv_holds ("sertifikat", path, "--config", config, NULL,
                 "; jejak-report sertifikat --db SALINAN.db --as-of "
                 "2022-12-31 --days 30\"\r\n");
    free (config);
    free (keys);
    free (path);
}

/* An --out that cannot be written: exit 3 and one line of ours naming
   --out and the reason, in every format; for XLSX no line of
   libxlsxwriter's ("[ERROR] workbook_close(): ..."). A folder that does
   not exist, a directory, and a full disk (/dev/full). */
static void test_out_cannot_be_written (void **state)
{
    (void)state;
    char *missing = s_path ("no-such-folder/kecamatan");
    char *dir = s_path ("a-folder");
    assert_int_equal (mkdir (dir, 0700), 0);
    char *dir_slash = s_path ("no-such-folder/");
    static const char *const formats[] = {"xlsx", "csv", "html"};
    struct {
        const char *out, *want;
    } cases[] = {
        {missing, "cannot be written: No such file or directory"},
        {dir_slash, "cannot be written: Is a directory"},
        {dir, "is a directory: name a file (nothing written)"},
        {"/dev/full", NULL},
    };
    for (size_t f = 0; f < 3; f++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            const char *want = cases[i].want;
            if (!want) /* a full disk */
                want = strcmp (formats[f], "xlsx") == 0
                           ? "cannot be written: Zip generic error ZIP_ERRNO "
                             "while creating the xlsx file: No space left on "
                             "device"
                           : "cannot be written: No space left on device";
            if (!cases[i].want && access ("/dev/full", W_OK) != 0) {
                print_message ("skipped: no /dev/full to write to\n");
                continue;
            }
            char *err = NULL;
            int rc = s_report ("kecamatan", S_AS_OF, formats[f], cases[i].out,
                               &err, NULL, NULL, NULL, NULL);
            char *line =
                jk_sprintf ("jejak-report: --out %s %s\n", cases[i].out, want);
            if (rc != 3 || strcmp (err, line) != 0)
                fail_msg ("%s --out %s: exit %d, stderr:\n%s\nnot:\n%s",
                          formats[f], cases[i].out, rc, err, line);
            free (line);
            free (err);
        }
    assert_int_equal (rmdir (dir), 0);
    free (dir_slash);
    free (dir);
    free (missing);
}

/* Writes "an earlier report" to path: a file a report replaces. */
static void s_earlier_report (const char *path)
{
    FILE *old = fopen (path, "w");
    assert_non_null (old);
    fputs ("an earlier report\n", old);
    assert_int_equal (fclose (old), 0);
}

/* A report that fails while its file is written (a file size limit on
   the process, which root is held to as well: a disk that fills) leaves
   nothing at --out, in every format: exit 3 and the reason, no file
   where none was, an earlier report there as it was, and no temporary
   file beside it. */
static void test_out_failed_leaves_nothing (void **state)
{
    (void)state;
    static const char *const formats[] = {"xlsx", "csv", "html"};
    struct rlimit was;
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &was), 0);
    struct rlimit low = {1024, was.rlim_max};
    void (*xfsz) (int) = signal (SIGXFSZ, SIG_IGN);
    /* The projections' shared memory file made and sized by this
       process, so that reading them writes to no file. */
    sqlite3 *db = jk_test_projections (s_demo->db);
    assert_int_equal (sqlite3_exec (db, "SELECT count(*) FROM sqlite_master",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    for (size_t f = 0; f < 3; f++) {
        char *fresh = jk_sprintf ("%s/limited.%s", s_demo->dir, formats[f]);
        char *earlier = jk_sprintf ("%s/earlier.%s", s_demo->dir, formats[f]);
        s_earlier_report (earlier);
        const char *outs[] = {fresh, earlier};
        for (size_t i = 0; i < 2; i++) {
            char *err = NULL;
            assert_int_equal (setrlimit (RLIMIT_FSIZE, &low), 0);
            int rc = s_report ("kecamatan", S_AS_OF, formats[f], outs[i], &err,
                               NULL, NULL, NULL, NULL);
            assert_int_equal (setrlimit (RLIMIT_FSIZE, &was), 0);
            char *line = jk_sprintf (
                "jejak-report: --out %s cannot be written: %s\n", outs[i],
                strcmp (formats[f], "xlsx") == 0
                    ? "Zip generic error ZIP_ERRNO while creating the xlsx "
                      "file: File too large"
                    : "File too large");
            if (rc != 3 || strcmp (err, line) != 0)
                fail_msg ("%s --out %s: exit %d, stderr:\n%s\nnot:\n%s",
                          formats[f], outs[i], rc, err, line);
            free (line);
            free (err);
        }
        assert_int_equal (access (fresh, F_OK), -1);
        assert_int_equal (errno, ENOENT);
        char *text = jk_test_slurp (earlier, NULL);
        assert_string_equal (text, "an earlier report\n");
        free (text);
        /* No OUT.XXXXXX left beside them. */
        DIR *d = opendir (s_demo->dir);
        assert_non_null (d);
        for (struct dirent *e; (e = readdir (d));)
            if (strncmp (e->d_name, "limited.", 8) == 0 ||
                strncmp (e->d_name, "earlier.", 8) == 0)
                assert_true (strlen (e->d_name) == 8 + strlen (formats[f]) &&
                             strncmp (e->d_name, "earlier.", 8) == 0);
        closedir (d);
        assert_int_equal (unlink (earlier), 0);
        free (earlier);
        free (fresh);
    }
    sqlite3_close (db);
    signal (SIGXFSZ, xfsz);
}

/* A group other than this process's own that it may give a file (root:
   any; else one of its supplementary groups), or (gid_t)-1. */
static gid_t s_other_group (void)
{
    if (geteuid () == 0)
        return getegid () == 4 ? 5 : 4;
    gid_t groups[64];
    int n = getgroups (64, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] != getegid ())
            return groups[i];
    return (gid_t)-1;
}

/* A report written over an earlier file (a new file renamed into
   place) keeps that file's permission bits and group, in every format;
   a new file has the umask's mode and the writer's group. */
static void test_out_keeps_mode (void **state)
{
    (void)state;
    static const char *const formats[] = {"xlsx", "csv", "html"};
    mode_t mask = umask (022);
    gid_t group = s_other_group ();
    for (size_t f = 0; f < 3; f++) {
        char *fresh = jk_sprintf ("%s/mode-new.%s", s_demo->dir, formats[f]);
        char *earlier = jk_sprintf ("%s/mode-old.%s", s_demo->dir, formats[f]);
        s_earlier_report (earlier);
        assert_int_equal (chmod (earlier, 0640), 0);
        if (group != (gid_t)-1)
            assert_int_equal (chown (earlier, (uid_t)-1, group), 0);
        struct stat before, st;
        assert_int_equal (stat (earlier, &before), 0);
        const char *outs[] = {fresh, earlier};
        for (size_t i = 0; i < 2; i++)
            assert_int_equal (s_report ("kecamatan", S_AS_OF, formats[f],
                                        outs[i], NULL, NULL, NULL, NULL, NULL),
                              0);
        assert_int_equal (stat (fresh, &st), 0);
        assert_int_equal (st.st_mode & 07777, 0644);
        assert_int_equal (st.st_gid, getegid ());
        assert_int_equal (stat (earlier, &st), 0);
        assert_true (st.st_ino != before.st_ino); /* a new file */
        assert_true (st.st_size > 100);
        assert_int_equal (st.st_mode & 07777, 0640);
        assert_int_equal (st.st_gid, before.st_gid);
        if (group == (gid_t)-1)
            print_message ("group not checked: no other group to give\n");
        assert_int_equal (unlink (earlier), 0);
        assert_int_equal (unlink (fresh), 0);
        free (earlier);
        free (fresh);
    }
    umask (mask);
}

/* ---- docs/PROJECTIONS.md's example queries
 * ------------------------------------ */

static void test_documented_queries (void **state)
{
    (void)state;
    char *path = jk_sprintf ("%s/docs/PROJECTIONS.md", JEJAK_SOURCE_DIR);
    char *doc = jk_test_slurp (path, NULL);
    assert_non_null (doc);
    const char *p = strstr (doc, "## Queries for dinas staff");
    assert_non_null (p);
    sqlite3 *db = s_db ();
    int blocks = 0;
    while ((p = strstr (p, "```sql\n"))) {
        p += 7;
        const char *end = strstr (p, "```");
        assert_non_null (end);
        char *sql = jk_strndup (p, (size_t)(end - p));
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
            fail_msg ("%s: %s", sql, sqlite3_errmsg (db));
        int rows = 0;
        while (sqlite3_step (st) == SQLITE_ROW)
            rows++;
        sqlite3_finalize (st);
        if (rows == 0)
            fail_msg ("documented query returns nothing on the sample:\n%s",
                      sql);
        free (sql);
        blocks++;
        p = end + 3;
    }
    assert_int_equal (blocks, 5);
    sqlite3_close (db);
    free (doc);
    free (path);
}

/* ---- on a backup (REPORTS.md: "or on a copy (jejak-replay backup") ---- */

static int s_program (char **out, char **err, const char *a0, const char *a1,
                      const char *a2, const char *a3, const char *a4,
                      const char *a5, const char *a6, const char *a7)
{
    char *argv[] = {(char *)a0, (char *)a1, (char *)a2, (char *)a3, (char *)a4,
                    (char *)a5, (char *)a6, (char *)a7, NULL};
    return jk_test_run (argv, out, err, S_WAIT_MS);
}

/* The documented workflow: jejak-replay backup of the live hub, then
   jejak-report, diff, verify and rebuild on the copy alone. */
static void test_on_backup (void **state)
{
    (void)state;
    char *copy = s_path ("backup.db");
    char *copy_proj = s_path ("backup.db-projections");
    char *rebuilt = s_path ("backup-rebuilt.db");
    char *out = NULL, *err = NULL;
    jk_test_demo_start_hub (s_demo);
    int rc = s_program (&out, &err, "jejak-replay", "backup", s_demo->db,
                        "--out", copy, NULL, NULL, NULL);
    if (rc != 0)
        fail_msg ("backup: exit %d: %s", rc, err);
    assert_non_null (strstr (out, "head pos="));
    assert_non_null (strstr (out, "-projections: "));
    assert_non_null (strstr (out, "projections at pos="));
    free (out);
    free (err);
    struct stat st;
    assert_int_equal (stat (copy_proj, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    /* An --out that exists is refused (exit 3, as rebuild's), the copy
       left as it is. */
    assert_int_equal (s_program (NULL, &err, "jejak-replay", "backup",
                                 s_demo->db, "--out", copy, NULL, NULL, NULL),
                      3);
    assert_non_null (strstr (err, "exists already (remove it first)"));
    free (err);
    jk_test_demo_stop_hub (s_demo);

    /* The same report from the copy as from the hub's database. */
    char *live = NULL, *backup = NULL;
    char *live_out = s_path ("live.csv"), *backup_out = s_path ("backup.csv");
    char *argv_live[] = {"jejak-report", "kecamatan", "--db",     s_demo->db,
                         "--as-of",      S_AS_OF,     "--format", "csv",
                         "--out",        live_out,    NULL};
    char *argv_copy[] = {"jejak-report", "kecamatan", "--db",     copy,
                         "--as-of",      S_AS_OF,     "--format", "csv",
                         "--out",        backup_out,  NULL};
    assert_int_equal (jk_test_run (argv_live, NULL, NULL, S_WAIT_MS), 0);
    rc = jk_test_run (argv_copy, NULL, &err, S_WAIT_MS);
    if (rc != 0)
        fail_msg ("report on the backup: exit %d: %s", rc, err);
    free (err);
    live = jk_test_slurp (live_out, NULL);
    backup = jk_test_slurp (backup_out, NULL);
    assert_non_null (live);
    assert_non_null (backup);
    assert_string_equal (backup, live);
    free (live);
    free (backup);
    /* verify, diff against the hub's and against its own rebuild. */
    assert_int_equal (s_program (NULL, NULL, "jejak-replay", "verify", copy,
                                 NULL, NULL, NULL, NULL, NULL),
                      0);
    rc = s_program (NULL, &err, "jejak-replay", "diff", copy, s_demo->db, NULL,
                    NULL, NULL, NULL);
    if (rc != 0)
        fail_msg ("diff backup hub: exit %d: %s", rc, err);
    free (err);
    assert_int_equal (s_program (NULL, NULL, "jejak-replay", "rebuild", copy,
                                 "--out", rebuilt, NULL, NULL, NULL),
                      0);
    rc = s_program (NULL, &err, "jejak-replay", "diff", copy, rebuilt, NULL,
                    NULL, NULL, NULL);
    if (rc != 0)
        fail_msg ("diff backup rebuilt: exit %d: %s", rc, err);
    free (err);
    free (live_out);
    free (backup_out);
    free (rebuilt);
    free (copy_proj);
    free (copy);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_documented_queries),
        cmocka_unit_test (test_kecamatan),
        cmocka_unit_test (test_rat),
        cmocka_unit_test (test_pelatihan),
        cmocka_unit_test (test_asesmen),
        cmocka_unit_test (test_sertifikat),
        cmocka_unit_test (test_dak),
        cmocka_unit_test (test_kualitas),
        cmocka_unit_test (test_csv_html),
        cmocka_unit_test (test_years_and_positions),
        cmocka_unit_test (test_format_from_out),
        cmocka_unit_test (test_masking_and_keys),
        cmocka_unit_test (test_usage_errors),
        cmocka_unit_test (test_as_of_future),
        cmocka_unit_test (test_flags_of_other_reports),
        cmocka_unit_test (test_out_cannot_be_written),
        cmocka_unit_test (test_out_failed_leaves_nothing),
        cmocka_unit_test (test_out_keeps_mode),
        cmocka_unit_test (test_on_backup),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
