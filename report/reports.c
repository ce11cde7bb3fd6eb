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
        /* Those that owed a RAT for the book year: registered by its
           end (legal date), as rat's Belum RAT counts them. */
        " (SELECT count(*) FROM cooperatives c"
        "  WHERE c.kecamatan_code = s.kecamatan_code"
        "  AND c.legal_date <= :book_year || '-12-31') AS owed,"
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
        " on_time, late, max (owed - on_time - late, 0) FROM k"
        " ORDER BY 1, code",
        NULL, err, size);
}

/* ---- rat: compliance per book year, follow-up list per kecamatan ----------
 */

/* RAT compliance per book year: registered, held, on time, late,
   without quorum, not held, % on time. */
static int s_rat_years (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    const jk_rcol_t years[] = {{"Tahun buku", JK_RCOL_ID, 11},
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
        return JK_IO;
    return JK_OK;
}

/* One follow-up table per kecamatan: the cooperatives without a RAT for
   the book year (a kecamatan with none gets no sheet). */
static int s_rat_follow_up (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    jk_rtable_t *t;
    const jk_rcol_t follow[] = {{"No", JK_RCOL_INT, 5},
                                {"Nama koperasi", JK_RCOL_TEXT, 36},
                                {"Nomor badan hukum", JK_RCOL_TEXT, 34},
                                {"Desa", JK_RCOL_TEXT, 14},
                                {"Jenis", JK_RCOL_TEXT, 14},
                                {"RAT terakhir (TB)", JK_RCOL_ID, 12},
                                {"Status", JK_RCOL_TEXT, 12}};
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT kecamatan_code, name FROM"
                            " kecamatan_summary ORDER BY kecamatan_code",
                            -1, &st, NULL) != SQLITE_OK) {
        snprintf (err, size, "%s", sqlite3_errmsg (db));
        return JK_IO;
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

static int s_rat (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    if (s_rat_years (doc, db, err, size))
        return JK_IO;
    return s_rat_follow_up (doc, db, err, size);
}

/* ---- asesmen: K/BK per unit, pass rate, competent participants ------------
 */

static int s_asesmen (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size)
{
    int known = jk_report_batch_known (doc, db, "", "batches", err, size);
    if (known != JK_OK)
        return known;
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
        return JK_IO;
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
        return JK_IO;
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
        return JK_IO;
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
        return JK_IO;
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
        return JK_IO;
    /* Open warnings first (the queue to work on), then the resolved ones
       with the correction that resolved them. */
    const jk_rcol_t cols[] = {{"Posisi log", JK_RCOL_ID, 10},
                              {"Kode", JK_RCOL_TEXT, 24},
                              {"Entitas", JK_RCOL_TEXT, 40},
                              {"Kolom", JK_RCOL_TEXT, 14},
                              {"Pesan", JK_RCOL_TEXT, 70},
                              {"Status", JK_RCOL_TEXT, 10},
                              {"Diselesaikan di posisi", JK_RCOL_ID, 12},
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
     "book-year", s_kecamatan},
    {"rat", "Kepatuhan RAT",
     "RAT compliance per book year; follow-up list per kecamatan", "book-year",
     s_rat},
    {"pelatihan", "Laporan pelatihan per angkatan",
     "per batch: attendance matrix, eligible for the test, signed list",
     "batch", jk_report_pelatihan},
    {"asesmen", "Laporan asesmen",
     "K/BK per competency unit, pass rate, competent participants", "batch",
     s_asesmen},
    {"sertifikat", "Laporan sertifikat",
     "issued, valid, expiring within --days, revoked", "days", s_sertifikat},
    {"dak", "Daftar peserta DAK PK2UMK",
     "participant list in the shape of a DAK report", "batch", jk_report_dak},
    {"kualitas", "Antrean kualitas data", "the data-quality queue", "",
     s_kualitas},
};

const size_t jk_report_kind_count = COUNT (jk_report_kinds);

const jk_report_kind_t *jk_report_kind (const char *name)
{
    for (size_t i = 0; i < jk_report_kind_count; i++)
        if (strcmp (jk_report_kinds[i].name, name) == 0)
            return &jk_report_kinds[i];
    return NULL;
}
