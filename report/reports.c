/*  reports.c - what each report holds: its tables and the SQL over the
    projections (docs/PROJECTIONS.md) that fills them, as of doc->as_of.
    docs/REPORTS.md describes every column. */
#include "jk_base.h"
#include "jk_report.h"

#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof (a) / sizeof ((a)[0]))

/* ---- kecamatan: cooperatives per kecamatan, ranked ------------------------
 */

static int s_kecamatan (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    char on_time[64], late[64], missing[64];
    snprintf (on_time, sizeof on_time, "RAT TB %d tepat waktu", doc->book_year);
    snprintf (late, sizeof late, "RAT TB %d terlambat", doc->book_year);
    snprintf (missing, sizeof missing, "RAT TB %d belum", doc->book_year);
    const jk_rcol_t cols[] = {
        {"Peringkat", JK_RCOL_INT, 10},  {"Kode", JK_RCOL_TEXT, 10},
        {"Kecamatan", JK_RCOL_TEXT, 20}, {"Terdaftar", JK_RCOL_INT, 11},
        {"Aktif", JK_RCOL_INT, 8},       {"% Aktif", JK_RCOL_PCT, 9},
        {on_time, JK_RCOL_INT, 14},      {late, JK_RCOL_INT, 14},
        {missing, JK_RCOL_INT, 14}};
    jk_rtable_t *t = jk_rdoc_table (doc,
                                    "Koperasi per kecamatan (peringkat "
                                    "menurut % aktif)",
                                    "Kecamatan", cols, COUNT (cols), false);
    return jk_rtable_fill (
        t, doc, db,
        "WITH k AS (SELECT s.kecamatan_code AS code, s.name AS name,"
        " s.cooperatives AS reg,"
        " (SELECT count(*) FROM cooperatives c"
        "  WHERE c.kecamatan_code = s.kecamatan_code AND" JK_ACTIVE_WHERE
        " ) AS act,"
        " (SELECT count(*) FROM rat_meetings r JOIN cooperatives c"
        "  USING (legal_number_norm) WHERE c.kecamatan_code = s.kecamatan_code"
        "  AND r.book_year = :book_year AND r.held_on <= :day AND r.late = 0)"
        " AS on_time,"
        " (SELECT count(*) FROM rat_meetings r JOIN cooperatives c"
        "  USING (legal_number_norm) WHERE c.kecamatan_code = s.kecamatan_code"
        "  AND r.book_year = :book_year AND r.held_on <= :day AND r.late = 1)"
        " AS late FROM kecamatan_summary s)"
        " SELECT rank () OVER (ORDER BY CASE WHEN reg > 0"
        "  THEN 1.0 * act / reg ELSE 0 END DESC), code, name, reg, act,"
        " CASE WHEN reg > 0 THEN round (100.0 * act / reg, 1) ELSE 0.0 END,"
        " on_time, late, reg - on_time - late FROM k"
        " ORDER BY 1, code",
        NULL, err, size);
}

/* ---- rat: compliance per book year, follow-up list per kecamatan ----------
 */

static int s_rat (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    const jk_rcol_t years[] = {{"Tahun buku", JK_RCOL_INT, 11},
                               {"Koperasi terdaftar", JK_RCOL_INT, 12},
                               {"RAT diadakan", JK_RCOL_INT, 12},
                               {"Tepat waktu", JK_RCOL_INT, 12},
                               {"Terlambat", JK_RCOL_INT, 11},
                               {"Tanpa kuorum", JK_RCOL_INT, 12},
                               {"Belum RAT", JK_RCOL_INT, 11},
                               {"% tepat waktu", JK_RCOL_PCT, 12}};
    jk_rtable_t *t =
        jk_rdoc_table (doc,
                       "Kepatuhan RAT per tahun buku (RAT diadakan s.d. "
                       "tanggal laporan)",
                       "Per tahun buku", years, COUNT (years), false);
    /* Registered by the end of the book year: those that owed a RAT. */
    if (jk_rtable_fill (
            t, doc, db,
            "SELECT y.book_year, y.reg, y.held, y.on_time, y.late, y.noq,"
            " max (y.reg - y.held, 0),"
            " CASE WHEN y.reg > 0 THEN round (100.0 * y.on_time / y.reg, 1)"
            " ELSE 0.0 END FROM (SELECT r.book_year AS book_year,"
            " (SELECT count(*) FROM cooperatives c WHERE c.legal_date <="
            "  r.book_year || '-12-31') AS reg,"
            " count(*) AS held, sum (r.late = 0) AS on_time,"
            " sum (r.late = 1) AS late, sum (r.quorum_met = 0) AS noq"
            " FROM rat_meetings r WHERE r.held_on <= :day"
            " GROUP BY r.book_year) y ORDER BY y.book_year DESC",
            NULL, err, size))
        return -1;

    const jk_rcol_t follow[] = {{"No", JK_RCOL_INT, 5},
                                {"Nama koperasi", JK_RCOL_TEXT, 36},
                                {"Nomor badan hukum", JK_RCOL_TEXT, 34},
                                {"Desa", JK_RCOL_TEXT, 14},
                                {"Jenis", JK_RCOL_TEXT, 14},
                                {"RAT terakhir (TB)", JK_RCOL_INT, 12},
                                {"Status", JK_RCOL_TEXT, 12}};
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT kecamatan_code, name FROM"
                            " kecamatan_summary ORDER BY kecamatan_code",
                            -1, &st, NULL) != SQLITE_OK) {
        snprintf (err, size, "%s", sqlite3_errmsg (db));
        return -1;
    }
    int rc = 0;
    while (rc == 0 && sqlite3_step (st) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text (st, 0);
        char title[160], sheet[32];
        snprintf (title, sizeof title,
                  "Tindak lanjut: koperasi belum RAT tahun buku %d - "
                  "Kecamatan %s (%s)",
                  doc->book_year, sqlite3_column_text (st, 1), code);
        snprintf (sheet, sizeof sheet, "Belum RAT %s", code);
        t = jk_rdoc_table (doc, title, sheet, follow, COUNT (follow), true);
        /* Those registered by the end of the book year, not dissolved,
           without a RAT for it held by the day. */
        rc = jk_rtable_fill (
            t, doc, db,
            "SELECT row_number () OVER (ORDER BY c.name, c.legal_number_norm),"
            " c.name, c.legal_number, c.desa_code, c.kind,"
            " (SELECT max (r.book_year) FROM rat_meetings r WHERE"
            "  r.legal_number_norm = c.legal_number_norm"
            "  AND r.held_on <= :day),"
            " coalesce ((SELECT s.status FROM cooperative_statuses s"
            "  WHERE s.legal_number_norm = c.legal_number_norm"
            "  AND s.on_date <= :day ORDER BY s.on_date DESC, s.pos DESC"
            "  LIMIT 1), 'AKTIF')"
            " FROM cooperatives c WHERE c.kecamatan_code = :key"
            " AND c.legal_date <= :book_year || '-12-31'"
            " AND NOT EXISTS (SELECT 1 FROM rat_meetings r"
            "  WHERE r.legal_number_norm = c.legal_number_norm"
            "  AND r.book_year = :book_year AND r.held_on <= :day)"
            " AND coalesce ((SELECT s.status FROM cooperative_statuses s"
            "  WHERE s.legal_number_norm = c.legal_number_norm"
            "  AND s.on_date <= :day ORDER BY s.on_date DESC, s.pos DESC"
            "  LIMIT 1), 'AKTIF') <> 'DIBUBARKAN'"
            " ORDER BY c.name, c.legal_number_norm",
            code, err, size);
        if (rc == 0 && t->rows == 0)
            jk_rdoc_drop_last (doc); /* no follow-up there: no sheet */
    }
    sqlite3_finalize (st);
    return rc;
}

/* ---- the batches a report covers ------------------------------------------
 */

typedef int (*s_batch_fn) (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                           const char *title, bool first, char *err,
                           size_t size);

static int s_each_batch (jk_rdoc_t *doc, sqlite3 *db, const char *where,
                         s_batch_fn fn, char *err, size_t size)
{
    char *sql = jk_sprintf ("SELECT batch, title FROM batches WHERE"
                            " start_date <= :day AND (:batch IS NULL OR"
                            " batch = :batch) %s ORDER BY start_date, batch",
                            where);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    free (sql);
    if (rc != SQLITE_OK) {
        snprintf (err, size, "%s", sqlite3_errmsg (db));
        return -1;
    }
    char date[11];
    jk_active_bind (st, doc->as_of_day, &doc->rule, date);
    int i = sqlite3_bind_parameter_index (st, ":batch");
    sqlite3_bind_text (st, i, doc->batch, -1, SQLITE_STATIC);
    rc = 0;
    size_t seen = 0;
    while (rc == 0 && sqlite3_step (st) == SQLITE_ROW) {
        rc = fn (doc, db, (const char *)sqlite3_column_text (st, 0),
                 (const char *)sqlite3_column_text (st, 1), seen == 0, err,
                 size);
        seen++;
    }
    sqlite3_finalize (st);
    if (rc == 0 && doc->batch && seen == 0) {
        snprintf (err, size,
                  "--batch %s: no such batch started by %s (codes: "
                  "SELECT batch FROM batches)",
                  doc->batch, doc->as_of);
        rc = JK_NOT_FOUND;
    }
    return rc;
}

/* ---- pelatihan: attendance matrix, eligible, signed attendance ------------
 */

static int s_batch_report (jk_rdoc_t *doc, sqlite3 *db, const char *batch,
                           const char *title, bool first, char *err,
                           size_t size)
{
    /* Sessions held by the day become the matrix's columns. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT session_no, date FROM sessions WHERE"
                            " batch = ?1 AND date <= ?2 ORDER BY session_no",
                            -1, &st, NULL) != SQLITE_OK) {
        snprintf (err, size, "%s", sqlite3_errmsg (db));
        return -1;
    }
    sqlite3_bind_text (st, 1, batch, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, doc->as_of, 10, SQLITE_STATIC);
    size_t n = 0, cap = 16;
    int *numbers = jk_malloc (cap * sizeof *numbers);
    char (*names)[24] = jk_malloc (cap * sizeof *names);
    while (sqlite3_step (st) == SQLITE_ROW) {
        if (n == cap) {
            cap *= 2;
            numbers = jk_realloc (numbers, cap * sizeof *numbers);
            names = jk_realloc (names, cap * sizeof *names);
        }
        numbers[n] = sqlite3_column_int (st, 0);
        const char *d = (const char *)sqlite3_column_text (st, 1);
        snprintf (names[n], sizeof names[n], "S%d %.2s/%.2s", numbers[n], d + 8,
                  d + 5);
        n++;
    }
    sqlite3_finalize (st);

    size_t fixed = 5, cols = fixed + n + 4;
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
        col[fixed + s] = (jk_rcol_t){names[s], JK_RCOL_TEXT, 9};
        char *more = jk_sprintf (
            "%s, (SELECT substr (a.status, 1, 1) FROM attendance a WHERE"
            " a.batch = e.batch AND a.nik = e.nik AND a.session_no = %d)",
            sql, numbers[s]);
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
    /* Totals: people present (H or T) per session. */
    if (rc == 0) {
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
    free (col);
    free (numbers);
    free (names);
    if (rc)
        return rc;

    const jk_rcol_t eligible[] = {
        {"No", JK_RCOL_INT, 5},         {"Kunci", JK_RCOL_TEXT, 16},
        {"NIK", JK_RCOL_TEXT, 18},      {"Nama", JK_RCOL_TEXT, 28},
        {"Koperasi", JK_RCOL_TEXT, 30}, {"JP hadir", JK_RCOL_INT, 9},
        {"% hadir", JK_RCOL_PCT, 9}};
    snprintf (heading, sizeof heading,
              "Peserta layak uji %s (kehadiran minimal terpenuhi)", batch);
    snprintf (sheet, sizeof sheet, "Layak %s", batch);
    t = jk_rdoc_table (doc, heading, sheet, eligible, COUNT (eligible), false);
    rc = jk_rtable_fill (
        t, doc, db,
        "SELECT row_number () OVER (ORDER BY p.name, e.nik),"
        " person_key (e.nik), nik_view (e.nik), p.name, c.name,"
        " e.jp_attended, e.attendance_pct FROM enrollments e"
        " JOIN people p ON p.nik = e.nik"
        " LEFT JOIN cooperatives c ON c.legal_number_norm = e.cooperative"
        " WHERE e.batch = :key AND e.withdrawn = 0 AND e.eligible = 1"
        " ORDER BY p.name, e.nik",
        batch, err, size);
    if (rc)
        return rc;

    const jk_rcol_t signed_cols[] = {
        {"Sesi", JK_RCOL_INT, 6},    {"Tanggal", JK_RCOL_DATE, 11},
        {"Kunci", JK_RCOL_TEXT, 16}, {"NIK", JK_RCOL_TEXT, 18},
        {"Nama", JK_RCOL_TEXT, 28},  {"Status", JK_RCOL_TEXT, 11},
        {"Masuk", JK_RCOL_TEXT, 7},  {"Keluar", JK_RCOL_TEXT, 7},
        {"Cara", JK_RCOL_TEXT, 10},  {"Koreksi", JK_RCOL_INT, 8}};
    snprintf (heading, sizeof heading,
              "Daftar hadir bertanda tangan %s (per sesi, setelah koreksi)",
              batch);
    snprintf (sheet, sizeof sheet, "Daftar %s", batch);
    t = jk_rdoc_table (doc, heading, sheet, signed_cols, COUNT (signed_cols),
                       false);
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

static int s_pelatihan (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    return s_each_batch (doc, db, "", s_batch_report, err, size);
}

/* ---- asesmen: K/BK per unit, pass rate, competent participants ------------
 */

static int s_asesmen (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    const jk_rcol_t sum[] = {{"Asesmen", JK_RCOL_TEXT, 14},
                             {"Skema", JK_RCOL_TEXT, 30},
                             {"Tanggal", JK_RCOL_DATE, 11},
                             {"Angkatan", JK_RCOL_TEXT, 16},
                             {"Diputuskan", JK_RCOL_INT, 11},
                             {"Kompeten (K)", JK_RCOL_INT, 12},
                             {"Belum kompeten (BK)", JK_RCOL_INT, 14},
                             {"% lulus", JK_RCOL_PCT, 9}};
    jk_rtable_t *t = jk_rdoc_table (doc, "Hasil asesmen dan tingkat kelulusan",
                                    "Asesmen", sum, COUNT (sum), false);
    if (jk_rtable_fill (
            t, doc, db,
            "SELECT a.assessment, a.scheme_title, a.date, a.batch,"
            " count (r.nik), coalesce (sum (r.verdict = 'K'), 0),"
            " coalesce (sum (r.verdict = 'BK'), 0),"
            " CASE WHEN count (r.nik) > 0 THEN round (100.0 *"
            "  sum (r.verdict = 'K') / count (r.nik), 1) ELSE 0.0 END"
            " FROM assessments a LEFT JOIN assessment_results r"
            " ON r.assessment = a.assessment WHERE a.date <= :day"
            " AND (:batch IS NULL OR a.batch = :batch)"
            " GROUP BY a.assessment ORDER BY a.date, a.assessment",
            NULL, err, size))
        return -1;
    const jk_rcol_t units[] = {{"Asesmen", JK_RCOL_TEXT, 14},
                               {"No", JK_RCOL_INT, 5},
                               {"Unit kompetensi", JK_RCOL_TEXT, 18},
                               {"Judul", JK_RCOL_TEXT, 40},
                               {"K", JK_RCOL_INT, 6},
                               {"BK", JK_RCOL_INT, 6},
                               {"% K", JK_RCOL_PCT, 7}};
    t = jk_rdoc_table (doc, "K/BK per unit kompetensi (upaya terakhir)",
                       "Per unit", units, COUNT (units), false);
    if (jk_rtable_fill (
            t, doc, db,
            "SELECT assessment, unit_index, unit, title, k, bk,"
            " CASE WHEN k + bk > 0 THEN round (100.0 * k / (k + bk), 1)"
            " ELSE 0.0 END FROM (SELECT u.assessment, u.unit_index, u.unit,"
            " u.title, a.date,"
            " (SELECT count(*) FROM unit_results r WHERE r.assessment ="
            "  u.assessment AND r.unit = u.unit AND r.verdict = 'K') AS k,"
            " (SELECT count(*) FROM unit_results r WHERE r.assessment ="
            "  u.assessment AND r.unit = u.unit AND r.verdict = 'BK') AS bk"
            " FROM assessment_units u JOIN assessments a"
            " ON a.assessment = u.assessment WHERE a.date <= :day"
            " AND (:batch IS NULL OR a.batch = :batch))"
            " ORDER BY date, assessment, unit_index",
            NULL, err, size))
        return -1;
    const jk_rcol_t comp[] = {
        {"Asesmen", JK_RCOL_TEXT, 14},   {"No", JK_RCOL_INT, 5},
        {"Kunci", JK_RCOL_TEXT, 16},     {"NIK", JK_RCOL_TEXT, 18},
        {"Nama", JK_RCOL_TEXT, 28},      {"Koperasi", JK_RCOL_TEXT, 30},
        {"Kecamatan", JK_RCOL_TEXT, 16}, {"No sertifikat", JK_RCOL_TEXT, 18}};
    t = jk_rdoc_table (doc, "Peserta kompeten", "Kompeten", comp, COUNT (comp),
                       false);
    return jk_rtable_fill (
        t, doc, db,
        "SELECT r.assessment, row_number () OVER (PARTITION BY r.assessment"
        " ORDER BY p.name, r.nik), person_key (r.nik), nik_view (r.nik),"
        " p.name, c.name, k.name,"
        " (SELECT min (x.number) FROM certificates x WHERE x.nik = r.nik"
        "  AND x.assessment = r.assessment AND x.revoked = 0"
        "  AND x.issued_on <= :day)"
        " FROM assessment_results r JOIN assessments a"
        " ON a.assessment = r.assessment JOIN people p ON p.nik = r.nik"
        " LEFT JOIN cooperatives c ON c.legal_number_norm = p.cooperative"
        " LEFT JOIN kecamatan_summary k ON k.kecamatan_code = p.kecamatan_code"
        " WHERE r.verdict = 'K' AND a.date <= :day"
        " AND (:batch IS NULL OR a.batch = :batch)"
        " ORDER BY a.date, r.assessment, p.name, r.nik",
        NULL, err, size);
}

/* ---- sertifikat: issued, valid, expiring, revoked --------------------------
 */

#define S_CERT_STATUS                                                          \
    " CASE WHEN x.revoked = 1 THEN 'Dicabut'"                                  \
    " WHEN x.valid_until < :day THEN 'Kedaluwarsa'"                            \
    " WHEN x.valid_until <= date (:day, '+' || :days || ' days')"              \
    " THEN 'Segera habis' ELSE 'Berlaku' END"

static int s_sertifikat (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    char expiring[64];
    snprintf (expiring, sizeof expiring, "Habis dalam %d hari", doc->days);
    const jk_rcol_t sum[] = {{"Terbit s.d. tanggal", JK_RCOL_INT, 14},
                             {"Berlaku", JK_RCOL_INT, 10},
                             {expiring, JK_RCOL_INT, 14},
                             {"Kedaluwarsa", JK_RCOL_INT, 12},
                             {"Dicabut", JK_RCOL_INT, 10}};
    jk_rtable_t *t = jk_rdoc_table (doc, "Ringkasan sertifikat", "Ringkasan",
                                    sum, COUNT (sum), false);
    if (jk_rtable_fill (
            t, doc, db,
            "SELECT count(*), coalesce (sum (x.revoked = 0 AND x.valid_until"
            " >= :day), 0), coalesce (sum (x.revoked = 0 AND x.valid_until"
            " >= :day AND x.valid_until <= date (:day, '+' || :days ||"
            " ' days')), 0), coalesce (sum (x.revoked = 0 AND x.valid_until"
            " < :day), 0), coalesce (sum (x.revoked = 1), 0)"
            " FROM certificates x WHERE x.issued_on <= :day",
            NULL, err, size))
        return -1;
    const jk_rcol_t list[] = {
        {"Nomor", JK_RCOL_TEXT, 18},         {"Kunci", JK_RCOL_TEXT, 16},
        {"NIK", JK_RCOL_TEXT, 18},           {"Nama", JK_RCOL_TEXT, 28},
        {"Asesmen", JK_RCOL_TEXT, 14},       {"Terbit", JK_RCOL_DATE, 11},
        {"Berlaku s.d.", JK_RCOL_DATE, 12},  {"Status", JK_RCOL_TEXT, 13},
        {"Alasan dicabut", JK_RCOL_TEXT, 24}};
    char title[96];
    snprintf (title, sizeof title,
              "Sertifikat akan habis dalam %d hari (berlaku, belum dicabut)",
              doc->days);
    t = jk_rdoc_table (doc, title, "Segera habis", list, COUNT (list), false);
    if (jk_rtable_fill (
            t, doc, db,
            "SELECT x.number, person_key (x.nik), nik_view (x.nik), p.name,"
            " x.assessment, x.issued_on, x.valid_until," S_CERT_STATUS
            ", x.revoked_reason FROM certificates x JOIN people p"
            " ON p.nik = x.nik WHERE x.issued_on <= :day AND x.revoked = 0"
            " AND x.valid_until >= :day"
            " AND x.valid_until <= date (:day, '+' || :days || ' days')"
            " ORDER BY x.valid_until, x.number",
            NULL, err, size))
        return -1;
    t = jk_rdoc_table (doc, "Semua sertifikat yang terbit s.d. tanggal laporan",
                       "Sertifikat", list, COUNT (list), true);
    return jk_rtable_fill (
        t, doc, db,
        "SELECT x.number, person_key (x.nik), nik_view (x.nik), p.name,"
        " x.assessment, x.issued_on, x.valid_until," S_CERT_STATUS
        ", x.revoked_reason FROM certificates x JOIN people p"
        " ON p.nik = x.nik WHERE x.issued_on <= :day"
        " ORDER BY x.issued_on, x.number",
        NULL, err, size);
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

static int s_dak (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    return s_each_batch (doc, db, "AND funding = 'DAK_NF_PK2UMK'", s_dak_batch,
                         err, size);
}

/* ---- kualitas: the data-quality queue ---------------------------------------
 */

static int s_kualitas (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    const jk_rcol_t sums[] = {{"Kode", JK_RCOL_TEXT, 24},
                              {"Terbuka", JK_RCOL_INT, 10},
                              {"Selesai", JK_RCOL_INT, 10},
                              {"Jumlah", JK_RCOL_INT, 10}};
    jk_rtable_t *t =
        jk_rdoc_table (doc,
                       "Ringkasan kualitas data: peringatan "
                       "terbuka dan selesai per kode",
                       "Ringkasan kualitas", sums, COUNT (sums), false);
    if (jk_rtable_fill (t, doc, db,
                        "SELECT code, count(*) - count (resolved_pos),"
                        " count (resolved_pos), count(*) FROM data_quality"
                        " GROUP BY code ORDER BY code",
                        NULL, err, size))
        return -1;
    /* Open warnings first (the queue to work on), then the resolved ones
       with the correction that resolved them. */
    const jk_rcol_t cols[] = {{"Posisi log", JK_RCOL_INT, 10},
                              {"Kode", JK_RCOL_TEXT, 24},
                              {"Entitas", JK_RCOL_TEXT, 40},
                              {"Kolom", JK_RCOL_TEXT, 14},
                              {"Pesan", JK_RCOL_TEXT, 70},
                              {"Status", JK_RCOL_TEXT, 10},
                              {"Diselesaikan di posisi", JK_RCOL_INT, 12},
                              {"Oleh", JK_RCOL_TEXT, 24}};
    t = jk_rdoc_table (doc,
                       "Antrean kualitas data (peringatan data yang "
                       "diterima)",
                       "Kualitas data", cols, COUNT (cols), false);
    return jk_rtable_fill (t, doc, db,
                           "SELECT pos, code, entity, field, message,"
                           " CASE WHEN resolved_pos IS NULL THEN 'Terbuka'"
                           " ELSE 'Selesai' END, resolved_pos, resolved_by"
                           " FROM data_quality"
                           " ORDER BY resolved_pos IS NOT NULL, pos, item",
                           NULL, err, size);
}

const jk_report_kind_t jk_report_kinds[] = {
    {"kecamatan", "Koperasi per kecamatan",
     "registered, active, % active, RAT on time/late/not held, ranked",
     s_kecamatan},
    {"rat", "Kepatuhan RAT",
     "RAT compliance per book year; follow-up list per kecamatan", s_rat},
    {"pelatihan", "Laporan pelatihan per angkatan",
     "per batch: attendance matrix, eligible for the test, signed list",
     s_pelatihan},
    {"asesmen", "Laporan asesmen",
     "K/BK per competency unit, pass rate, competent participants", s_asesmen},
    {"sertifikat", "Laporan sertifikat",
     "issued, valid, expiring within --days, revoked", s_sertifikat},
    {"dak", "Daftar peserta DAK PK2UMK",
     "participant list in the shape of a DAK report", s_dak},
    {"kualitas", "Antrean kualitas data", "the data-quality queue", s_kualitas},
};

const size_t jk_report_kind_count = COUNT (jk_report_kinds);

const jk_report_kind_t *jk_report_kind (const char *name)
{
    for (size_t i = 0; i < jk_report_kind_count; i++)
        if (strcmp (jk_report_kinds[i].name, name) == 0)
            return &jk_report_kinds[i];
    return NULL;
}
