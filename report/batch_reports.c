/*  batch_reports.c - the reports made per training batch: pelatihan
    (attendance matrix, eligible, signed list) and dak (the DAK PK2UMK
    participant list), over the batches the options select. */
#include "jk_base.h"
#include "jk_report.h"

#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof (a) / sizeof ((a)[0]))

/* ---- the batches a report covers ------------------------------------------
 */

typedef int (*s_batch_fn) (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                           const char *title, bool first, char *err,
                           size_t size);

int jk_report_batch_known (const jk_rdoc_t *doc, sqlite3 *db, const char *where,
                           const char *what, char *err, size_t size)
{
    if (!doc->batch)
        return JK_OK;
    char *sql = jk_sprintf ("SELECT batch, batch = ?1 FROM batches WHERE"
                            " start_date <= ?2 %s ORDER BY start_date, batch",
                            where);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    free (sql);
    if (rc != SQLITE_OK) {
        snprintf (err, size, "%s", sqlite3_errmsg (db));
        return JK_IO;
    }
    sqlite3_bind_text (st, 1, doc->batch, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, doc->as_of, -1, SQLITE_STATIC);
    char codes[320] = "";
    size_t n = 0, used = 0;
    bool found = false;
    while (!found && sqlite3_step (st) == SQLITE_ROW) {
        found = sqlite3_column_int (st, 1) != 0;
        const char *code = (const char *)sqlite3_column_text (st, 0);
        if (n++ < 12 && used < sizeof codes)
            used += (size_t)snprintf (codes + used, sizeof codes - used, "%s%s",
                                      n > 1 ? ", " : "", code);
    }
    sqlite3_finalize (st);
    if (found)
        return JK_OK;
    if (n == 0)
        snprintf (err, size,
                  "--batch %s: no such batch started by %s (no %s"
                  " started by then)",
                  doc->batch, doc->as_of, what);
    else
        snprintf (err, size,
                  "--batch %s: no such batch started by %s (%s"
                  " started by then: %s%s)",
                  doc->batch, doc->as_of, what, codes, n > 12 ? ", ..." : "");
    return JK_NOT_FOUND;
}

static int s_each_batch (jk_rdoc_t *doc, sqlite3 *db, const char *where,
                         const char *what, s_batch_fn fn, char *err,
                         size_t size)
{
    int rc = jk_report_batch_known (doc, db, where, what, err, size);
    if (rc != JK_OK)
        return rc;
    char *sql = jk_sprintf ("SELECT batch, title FROM batches WHERE"
                            " start_date <= :day AND (:batch IS NULL OR"
                            " batch = :batch) %s ORDER BY start_date, batch",
                            where);
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    free (sql);
    if (rc != SQLITE_OK) {
        snprintf (err, size, "%s", sqlite3_errmsg (db));
        return JK_IO;
    }
    char date[11];
    jk_active_bind (st, doc->as_of_day, &doc->rule, date);
    int i = sqlite3_bind_parameter_index (st, ":batch");
    sqlite3_bind_text (st, i, doc->batch, -1, SQLITE_STATIC);
    rc = 0;
    bool first = true;
    while (rc == 0 && sqlite3_step (st) == SQLITE_ROW) {
        rc = fn (doc, db, (const char *)sqlite3_column_text (st, 0),
                 (const char *)sqlite3_column_text (st, 1), first, err, size);
        first = false;
    }
    sqlite3_finalize (st);
    return rc;
}

/* ---- pelatihan: attendance matrix, eligible, signed attendance ------------
 */

/* Sessions: their numbers and column names, in order. */
typedef struct {
    size_t n, cap;
    int *numbers;
    char (*names)[24];
} s_sessions_t;

/* The sessions of a batch held by the report's day: their numbers and
   column names ("S3 21/07"), in order. JK_OK, or JK_IO with err. */
static int s_sessions_held (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                            s_sessions_t *ss, char *err, size_t size)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT session_no, date FROM sessions WHERE"
                            " batch = ?1 AND date <= ?2 ORDER BY session_no",
                            -1, &st, NULL) != SQLITE_OK) {
        snprintf (err, size, "%s", sqlite3_errmsg (db));
        return JK_IO;
    }
    sqlite3_bind_text (st, 1, batch, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, doc->as_of, 10, SQLITE_STATIC);
    ss->cap = 16;
    ss->numbers = jk_malloc (ss->cap * sizeof *ss->numbers);
    ss->names = jk_malloc (ss->cap * sizeof *ss->names);
    while (sqlite3_step (st) == SQLITE_ROW) {
        if (ss->n == ss->cap) {
            ss->cap *= 2;
            ss->numbers =
                jk_realloc (ss->numbers, ss->cap * sizeof *ss->numbers);
            ss->names = jk_realloc (ss->names, ss->cap * sizeof *ss->names);
        }
        int number = sqlite3_column_int (st, 0);
        const char *d = (const char *)sqlite3_column_text (st, 1);
        ss->numbers[ss->n] = number;
        snprintf (ss->names[ss->n], sizeof ss->names[ss->n], "S%d %.2s/%.2s",
                  number, d + 8, d + 5);
        ss->n++;
    }
    sqlite3_finalize (st);
    return JK_OK;
}

/* The matrix's last row: people present (H or T) per session. */
static void s_matrix_totals (jk_rtable_t *t, size_t cols, size_t fixed,
                             size_t n)
{
    size_t rows = t->rows;
    jk_rcell_t *total = jk_rtable_row (t);
    total[3].null = false;
    total[3].s = jk_strdup ("Jumlah hadir (H+T)");
    for (size_t s = 0; s < n; s++) {
        int64_t present = 0;
        for (size_t r = 0; r < rows; r++) {
            const char *v = t->cell[r * cols + fixed + s].s;
            present += v && (*v == 'H' || *v == 'T');
        }
        total[fixed + s].null = false;
        total[fixed + s].is_int = true;
        total[fixed + s].i = present;
    }
}

/* The attendance matrix: one row per participant, one column per
   session held (its status letter), hours and eligibility, and the
   totals. */
static int s_batch_matrix (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                           const char *title, bool first, char *err,
                           size_t size)
{
    s_sessions_t ss = {0};
    if (s_sessions_held (doc, db, batch, &ss, err, size))
        return JK_IO;
    size_t n = ss.n, fixed = 5, cols = fixed + n + 4;
    jk_rcol_t *col = jk_calloc (cols, sizeof *col);
    col[0] = (jk_rcol_t){"No", JK_RCOL_INT, 5};
    col[1] = (jk_rcol_t){"Kunci", JK_RCOL_TEXT, 16};
    col[2] = (jk_rcol_t){"NIK", JK_RCOL_TEXT, 18};
    col[3] = (jk_rcol_t){"Nama", JK_RCOL_TEXT, 28};
    col[4] = (jk_rcol_t){"Koperasi", JK_RCOL_TEXT, 30};
    char *sql = jk_strdup ("SELECT row_number () OVER (ORDER BY p.name,"
                           " e.nik), person_key (e.nik), nik_view (e.nik),"
                           " p.name, c.name");
    for (size_t s = 0; s < n; s++) {
        col[fixed + s] = (jk_rcol_t){ss.names[s], JK_RCOL_TEXT, 9};
        char *more = jk_sprintf (
            "%s, (SELECT substr (a.status, 1, 1) FROM attendance a WHERE"
            " a.batch = e.batch AND a.nik = e.nik AND a.session_no = %d)",
            sql, ss.numbers[s]);
        free (sql);
        sql = more;
    }
    col[fixed + n] = (jk_rcol_t){"JP hadir", JK_RCOL_INT, 9};
    col[fixed + n + 1] = (jk_rcol_t){"JP jadwal", JK_RCOL_INT, 9};
    col[fixed + n + 2] = (jk_rcol_t){"% hadir", JK_RCOL_PCT, 9};
    col[fixed + n + 3] = (jk_rcol_t){"Layak uji", JK_RCOL_TEXT, 9};
    char *full = jk_sprintf (
        "%s, e.jp_attended, b.jp_total, e.attendance_pct,"
        " CASE WHEN e.eligible = 1 THEN 'Ya' ELSE 'Tidak' END"
        " FROM enrollments e JOIN batches b ON b.batch = e.batch"
        " JOIN people p ON p.nik = e.nik"
        " LEFT JOIN cooperatives c ON c.legal_number_norm = e.cooperative"
        " WHERE e.batch = :key AND e.withdrawn = 0"
        " ORDER BY p.name, e.nik",
        sql);
    free (sql);
    char heading[200], sheet[32];
    snprintf (heading, sizeof heading,
              "Matriks kehadiran %s - %s (H hadir, T terlambat, I izin, "
              "S sakit, A alpa)",
              batch, title);
    snprintf (sheet, sizeof sheet, "Hadir %s", batch);
    jk_rtable_t *t = jk_rdoc_table (doc, heading, sheet, col, cols, !first);
    int rc = jk_rtable_fill (t, doc, db, full, batch, err, size);
    free (full);
    if (rc == 0)
        s_matrix_totals (t, cols, fixed, n);
    free (col);
    free (ss.numbers);
    free (ss.names);
    return rc;
}

/* The participants eligible for assessment. */
static int s_batch_eligible (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                             char *err, size_t size)
{
    const jk_rcol_t eligible[] = {
        {"No", JK_RCOL_INT, 5},         {"Kunci", JK_RCOL_TEXT, 16},
        {"NIK", JK_RCOL_TEXT, 18},      {"Nama", JK_RCOL_TEXT, 28},
        {"Koperasi", JK_RCOL_TEXT, 30}, {"JP hadir", JK_RCOL_INT, 9},
        {"% hadir", JK_RCOL_PCT, 9}};
    char heading[200], sheet[32];
    snprintf (heading, sizeof heading,
              "Peserta layak uji %s (kehadiran minimal terpenuhi)", batch);
    snprintf (sheet, sizeof sheet, "Layak %s", batch);
    jk_rtable_t *t =
        jk_rdoc_table (doc, heading, sheet, eligible, COUNT (eligible), false);
    return jk_rtable_fill (
        t, doc, db,
        "SELECT row_number () OVER (ORDER BY p.name, e.nik),"
        " person_key (e.nik), nik_view (e.nik), p.name, c.name,"
        " e.jp_attended, e.attendance_pct FROM enrollments e"
        " JOIN people p ON p.nik = e.nik"
        " LEFT JOIN cooperatives c ON c.legal_number_norm = e.cooperative"
        " WHERE e.batch = :key AND e.withdrawn = 0 AND e.eligible = 1"
        " ORDER BY p.name, e.nik",
        batch, err, size);
}

/* The signed attendance list: per session, after corrections. */
static int s_batch_signed (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                           char *err, size_t size)
{
    const jk_rcol_t signed_cols[] = {
        {"Sesi", JK_RCOL_INT, 6},    {"Tanggal", JK_RCOL_DATE, 11},
        {"Kunci", JK_RCOL_TEXT, 16}, {"NIK", JK_RCOL_TEXT, 18},
        {"Nama", JK_RCOL_TEXT, 28},  {"Status", JK_RCOL_TEXT, 11},
        {"Masuk", JK_RCOL_TEXT, 7},  {"Keluar", JK_RCOL_TEXT, 7},
        {"Cara", JK_RCOL_TEXT, 10},  {"Koreksi", JK_RCOL_INT, 8}};
    char heading[200], sheet[32];
    snprintf (heading, sizeof heading,
              "Daftar hadir bertanda tangan %s (per sesi, setelah koreksi)",
              batch);
    snprintf (sheet, sizeof sheet, "Daftar %s", batch);
    jk_rtable_t *t = jk_rdoc_table (doc, heading, sheet, signed_cols,
                                    COUNT (signed_cols), false);
    return jk_rtable_fill (
        t, doc, db,
        "SELECT a.session_no, s.date, person_key (a.nik), nik_view (a.nik),"
        " p.name, a.status, a.check_in, a.check_out, a.method,"
        " a.corrections FROM attendance a JOIN sessions s"
        " ON s.batch = a.batch AND s.session_no = a.session_no"
        " JOIN people p ON p.nik = a.nik"
        " WHERE a.batch = :key AND s.date <= :day"
        " ORDER BY a.session_no, p.name, a.nik",
        batch, err, size);
}

/* One batch of the pelatihan report: the matrix, the eligible, the
   signed list. */
static int s_batch_report (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                           const char *title, bool first, char *err,
                           size_t size)
{
    int rc = s_batch_matrix (doc, db, batch, title, first, err, size);
    if (rc == 0)
        rc = s_batch_eligible (doc, db, batch, err, size);
    if (rc == 0)
        rc = s_batch_signed (doc, db, batch, err, size);
    return rc;
}

int jk_report_pelatihan (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    return s_each_batch (doc, db, "", "batches", s_batch_report, err, size);
}

/* ---- dak: the DAK PK2UMK participant list ----------------------------------
 */

static int s_dak_batch (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                        const char *title, bool first, char *err, size_t size)
{
    const jk_rcol_t cols[] = {{"No", JK_RCOL_INT, 5},
                              {"Kunci", JK_RCOL_TEXT, 16},
                              {"NIK", JK_RCOL_TEXT, 18},
                              {"Nama", JK_RCOL_TEXT, 28},
                              {"L/P", JK_RCOL_TEXT, 5},
                              {"Kecamatan", JK_RCOL_TEXT, 16},
                              {"Koperasi", JK_RCOL_TEXT, 30},
                              {"Jabatan", JK_RCOL_TEXT, 12},
                              {"% hadir", JK_RCOL_PCT, 9},
                              {"Hasil", JK_RCOL_TEXT, 7},
                              {"No sertifikat", JK_RCOL_TEXT, 18}};
    char heading[200], sheet[32];
    snprintf (heading, sizeof heading, "Daftar peserta DAK %s - %s", batch,
              title);
    snprintf (sheet, sizeof sheet, "DAK %s", batch);
    jk_rtable_t *t =
        jk_rdoc_table (doc, heading, sheet, cols, COUNT (cols), !first);
    return jk_rtable_fill (
        t, doc, db,
        "SELECT row_number () OVER (ORDER BY p.name, e.nik),"
        " person_key (e.nik), nik_view (e.nik), p.name, p.sex, k.name,"
        " c.name, p.role, e.attendance_pct,"
        " coalesce ((SELECT r.verdict FROM assessment_results r JOIN"
        "  assessments a ON a.assessment = r.assessment WHERE a.batch ="
        "  e.batch AND r.nik = e.nik AND a.date <= :day"
        "  ORDER BY a.date DESC LIMIT 1), 'Tidak diuji'),"
        " (SELECT min (x.number) FROM certificates x JOIN assessments a"
        "  ON a.assessment = x.assessment WHERE a.batch = e.batch"
        "  AND x.nik = e.nik AND x.revoked = 0 AND x.issued_on <= :day)"
        " FROM enrollments e JOIN people p ON p.nik = e.nik"
        " LEFT JOIN kecamatan_summary k ON k.kecamatan_code = p.kecamatan_code"
        " LEFT JOIN cooperatives c ON c.legal_number_norm = e.cooperative"
        " WHERE e.batch = :key AND e.withdrawn = 0 ORDER BY p.name, e.nik",
        batch, err, size);
}

int jk_report_dak (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    return s_each_batch (doc, db, "AND funding = 'DAK_NF_PK2UMK'",
                         "DAK_NF_PK2UMK batches", s_dak_batch, err, size);
}
