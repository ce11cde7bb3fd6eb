/*  table.c - a report's tables (filled from SQL or by hand) and the three
    ways they are written: XLSX (libxlsxwriter), CSV for Indonesian-locale
    Excel (jk_excel.h) and printable A4 HTML. */
#include "jk_base.h"
#include "jk_excel.h"
#include "jk_html.h"
#include "jk_projector.h"
#include "jk_report.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* A sheet name as Excel takes one: at most 31 characters, none of
   []:*?/\, not beginning or ending with an apostrophe, unique without
   regard to case (the caller compares). Made of sheet ("Sheet" when
   empty), cut at a whole UTF-8 character (a byte that is not UTF-8
   written '-', as the characters Excel refuses), with " (N)" after it
   when n is not 0. */
#define S_SHEET_CHARS 31
#define S_SHEET_BYTES (S_SHEET_CHARS * 4 + 1)
static void s_sheet_name (char name[S_SHEET_BYTES], const char *sheet, size_t n)
{
    char suffix[24] = "";
    if (n)
        snprintf (suffix, sizeof suffix, " (%zu)", n);
    if (!*sheet)
        sheet = "Sheet";
    size_t room = S_SHEET_CHARS - strlen (suffix), len = 0,
           left = strlen (sheet);
    for (size_t chars = 0; left > 0 && chars < room; chars++) {
        size_t k = jk_utf8_sequence (sheet, left);
        if (k > 1)
            memcpy (name + len, sheet, k);
        else
            name[len] = k && !strchr ("[]:*?/\\", *sheet) ? *sheet : '-';
        len += k ? k : 1;
        sheet += k ? k : 1;
        left -= k ? k : 1;
    }
    name[len] = 0;
    if (name[0] == '\'')
        name[0] = '-';
    if (name[len - 1] == '\'')
        name[len - 1] = '-';
    strcat (name, suffix);
}

jk_rtable_t *jk_rdoc_table (jk_rdoc_t *doc, const char *title,
                            const char *sheet, const jk_rcol_t *cols,
                            size_t count, bool page_break)
{
    jk_rtable_t *t = jk_calloc (1, sizeof *t);
    t->title = jk_strdup (title);
    char name[S_SHEET_BYTES];
    s_sheet_name (name, sheet, 0);
    for (size_t i = 0, n = 2; i < doc->count; i++)
        if (strcasecmp (doc->tables[i]->sheet, name) == 0) {
            s_sheet_name (name, sheet, n++);
            i = (size_t)-1;
        }
    t->sheet = jk_strdup (name);
    t->page_break = page_break;
    t->cols = count;
    t->col = jk_calloc (count, sizeof *t->col);
    for (size_t c = 0; c < count; c++) {
        t->col[c] = cols[c];
        t->col[c].name = jk_strdup (cols[c].name);
    }
    doc->tables = jk_realloc (doc->tables, (doc->count + 1) * sizeof (void *));
    doc->tables[doc->count++] = t;
    return t;
}

jk_rcell_t *jk_rtable_row (jk_rtable_t *t)
{
    if (t->rows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->cell = jk_realloc (t->cell, t->cap * t->cols * sizeof *t->cell);
    }
    jk_rcell_t *row = &t->cell[t->rows++ * t->cols];
    memset (row, 0, t->cols * sizeof *row);
    for (size_t c = 0; c < t->cols; c++)
        row[c].null = true;
    return row;
}

static void s_bind (sqlite3_stmt *st, const jk_rdoc_t *doc, const char *key)
{
    char *date = jk_malloc (11); /* freed with the statement's owner */
    jk_active_bind (st, doc->as_of_day, &doc->rule, date);
    int i;
    if (doc->book_year && (i = sqlite3_bind_parameter_index (st, ":book_year")))
        sqlite3_bind_int (st, i, doc->book_year);
    if ((i = sqlite3_bind_parameter_index (st, ":days")))
        sqlite3_bind_int (st, i, doc->days);
    if ((i = sqlite3_bind_parameter_index (st, ":batch")))
        sqlite3_bind_text (st, i, doc->batch, -1, SQLITE_TRANSIENT);
    if ((i = sqlite3_bind_parameter_index (st, ":key")))
        sqlite3_bind_text (st, i, key, -1, SQLITE_TRANSIENT);
    /* :day is bound as static text: copy it so the buffer can go. */
    if ((i = sqlite3_bind_parameter_index (st, ":day")))
        sqlite3_bind_text (st, i, date, 10, SQLITE_TRANSIENT);
    free (date);
}

int jk_rtable_fill (jk_rtable_t *t, const jk_rdoc_t *doc, sqlite3 *db,
                    const char *sql, const char *key, char *err,
                    size_t err_size)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf (err, err_size, "%s: %s", t->title, sqlite3_errmsg (db));
        return JK_IO;
    }
    s_bind (st, doc, key);
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        jk_rcell_t *row = jk_rtable_row (t);
        for (size_t c = 0; c < t->cols; c++) {
            int type = sqlite3_column_type (st, (int)c);
            if (type == SQLITE_NULL)
                continue;
            row[c].null = false;
            switch (t->col[c].kind) {
                case JK_RCOL_INT:
                case JK_RCOL_ID:
                    row[c].i = sqlite3_column_int64 (st, (int)c);
                    break;
                case JK_RCOL_PCT:
                    row[c].d = sqlite3_column_double (st, (int)c);
                    break;
                default:
                    row[c].s = jk_strdup (
                        (const char *)sqlite3_column_text (st, (int)c));
            }
        }
    }
    if (rc != SQLITE_DONE)
        snprintf (err, err_size, "%s: %s", t->title, sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return rc == SQLITE_DONE ? JK_OK : JK_IO;
}

static void s_table_free (jk_rtable_t *t)
{
    for (size_t c = 0; c < t->rows * t->cols; c++)
        free (t->cell[c].s);
    for (size_t c = 0; c < t->cols; c++)
        free ((char *)t->col[c].name);
    free (t->cell);
    free (t->col);
    free (t->title);
    free (t->sheet);
    free (t);
}

void jk_rdoc_drop_last (jk_rdoc_t *doc)
{
    if (doc->count > 0)
        s_table_free (doc->tables[--doc->count]);
}

void jk_rdoc_free (jk_rdoc_t *doc)
{
    for (size_t i = 0; i < doc->count; i++)
        s_table_free (doc->tables[i]);
    free (doc->tables);
    doc->tables = NULL;
    doc->count = 0;
}

int jk_rdoc_head (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t err_size)
{
    /* The position the projections stand at and the log's hash there:
       the figures are those of that position. */
    uint64_t pos = 0;
    uint8_t hash[32];
    if (jk_projections_position (db, &pos, hash) != JK_OK) {
        snprintf (err, err_size, "not a Jejak database (no projections): %s",
                  sqlite3_errmsg (db));
        return JK_IO;
    }
    doc->pos = pos;
    jk_hex_format (hash, 32, doc->hash);
    return JK_OK;
}

/* ---- shared wording --------------------------------------------------------
 */

/* "31/12/2022" from "2022-12-31" (other text as it is). */
static void s_date_id (const char *iso, char out[16])
{
    if (iso && strlen (iso) == 10 && iso[4] == '-' && iso[7] == '-')
        snprintf (out, 16, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
    else
        snprintf (out, 16, "%s", iso ? iso : "");
}

/* "1.503" */
static void s_int_id (int64_t v, char *out, size_t size)
{
    char digits[32];
    snprintf (digits, sizeof digits, "%" PRId64, v < 0 ? -v : v);
    size_t n = strlen (digits), o = 0;
    if (v < 0 && o + 1 < size)
        out[o++] = '-';
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = '.';
        out[o++] = digits[i];
    }
    out[o] = 0;
}

typedef struct {
    const char *label;
    char value[700];
} s_meta_t;

/* The flags besides --as-of that shape the figures, as given when not
   their defaults (" --active-rule ... --book-year 2020"), so that the
   Ulangi line gives the same figures; spec is the rule's setting. */
static void s_figure_flags (const jk_rdoc_t *doc, const char *spec, char *out,
                            size_t size)
{
    size_t n = 0;
    out[0] = 0;
    jk_active_rule_t plain;
    char why[128], plain_spec[128] = "";
    if (jk_active_rule_parse (NULL, &plain, why, sizeof why) == 0)
        jk_active_rule_spec (&plain, plain_spec, sizeof plain_spec);
    if (strcmp (spec, plain_spec) != 0)
        n += (size_t)snprintf (out + n, size - n, " --active-rule %s", spec);
    if (n < size &&
        doc->book_year != jk_active_years (&doc->rule, doc->as_of_day).to_year)
        n += (size_t)snprintf (out + n, size - n, " --book-year %d",
                               doc->book_year);
    if (n < size && doc->days != JK_REPORT_DAYS)
        n += (size_t)snprintf (out + n, size - n, " --days %d", doc->days);
    if (n < size && doc->batch)
        n += (size_t)snprintf (out + n, size - n, " --batch '%s'", doc->batch);
    if (n < size && !doc->masked)
        snprintf (out + n, size - n, " --unmasked");
}

/* The lines that make a report reproducible, in order. */
static size_t s_meta (const jk_rdoc_t *doc, s_meta_t meta[8])
{
    size_t n = 0;
    meta[n].label = "Laporan";
    snprintf (meta[n++].value, sizeof meta[0].value, "%s", doc->title);
    meta[n].label = "Per tanggal";
    s_date_id (doc->as_of, meta[n++].value);
    meta[n].label = "Posisi log";
    snprintf (meta[n++].value, sizeof meta[0].value, "%" PRIu64, doc->pos);
    meta[n].label = "Hash kepala log";
    snprintf (meta[n++].value, sizeof meta[0].value, "%s", doc->hash);
    meta[n].label = "Aturan aktif";
    char text[512], spec[128];
    jk_active_rule_describe (&doc->rule, doc->as_of_day, text, sizeof text);
    jk_active_rule_spec (&doc->rule, spec, sizeof spec);
    snprintf (meta[n++].value, sizeof meta[0].value, "%s [%s]", text, spec);
    meta[n].label = "NIK";
    snprintf (meta[n++].value, sizeof meta[0].value, "%s",
              doc->masked ? "disamarkan (masked)"
                          : "TIDAK disamarkan (unmasked)");
    meta[n].label = "Kunci samaran";
    snprintf (meta[n++].value, sizeof meta[0].value, "%s",
              doc->keyed ? "HMAC-SHA256 kunci hub (person.key)"
                         : "tidak ada (tanpa --keys)");
    meta[n].label = "Ulangi";
    char flags[400];
    s_figure_flags (doc, spec, flags, sizeof flags);
    snprintf (meta[n++].value, sizeof meta[0].value,
              "jejak-replay rebuild DB --out SALINAN.db --until-pos %" PRIu64
              "; jejak-report %s --db SALINAN.db --as-of %s%s",
              doc->pos, doc->name, doc->as_of, flags);
    return n;
}

/* ---- XLSX -------------------------------------------------------------------
 */

/* The workbook's cell formats. */
typedef struct {
    lxw_format *bold, *integer, *id, *pct, *date;
} s_xlsx_formats_t;

static void s_xlsx_formats (lxw_workbook *wb, s_xlsx_formats_t *f)
{
    f->bold = workbook_add_format (wb);
    format_set_bold (f->bold);
    format_set_bg_color (f->bold, 0xDDEBF7);
    format_set_text_wrap (f->bold);
    f->integer = workbook_add_format (wb);
    format_set_num_format (f->integer, "#,##0");
    f->id = workbook_add_format (wb);
    format_set_num_format (f->id, "0");
    f->pct = workbook_add_format (wb);
    format_set_num_format (f->pct, "0.0");
    f->date = workbook_add_format (wb);
    format_set_num_format (f->date, "dd/mm/yyyy");
}

/* A C0 control that XML 1.0 forbids: all but tab and line feed. */
static bool s_xlsx_control (unsigned char c)
{
    return c && c < 0x20 && c != '\t' && c != '\n';
}

/* True if P starts what a reader takes for an escape once the text is
   written: _xHHHH (H a hex digit) and then an underscore, or a control
   that is written as _xHHHH_ (so "_x0041" ESC would read "A..."). */
static bool s_xlsx_escape_start (const char *p)
{
    if (p[0] != '_' || p[1] != 'x')
        return false;
    for (int i = 2; i < 6; i++)
        if (!isxdigit ((unsigned char)p[i]))
            return false;
    return p[6] == '_' || s_xlsx_control ((unsigned char)p[6]);
}

/* Writes text to a cell, so that Excel reads back the text as stored
   (ECMA-376 Part 1, 22.9.2.19 ST_Xstring): a C0 control XML forbids as
   the escape _xHHHH_ (ESC _x001B_), and the underscore that starts text
   of that form as _x005F_ (_x0041_ as _x005F_x0041_), which
   libxlsxwriter does not do; both are done here, so that the library
   escapes nothing. XML 1.0 has no U+FFFE nor U+FFFF (valid UTF-8, so
   stored text may hold them): each is written as U+FFFD, so that the
   workbook stays XML. */
static void s_xlsx_string (lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
                           const char *text, lxw_format *format)
{
    if (!text) {
        worksheet_write_string (ws, row, col, text, format);
        return;
    }
    char *copy = jk_calloc (strlen (text) * 7 + 1, 1), *out = copy;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (s_xlsx_control (c) || s_xlsx_escape_start (p))
            out += sprintf (out, "_x%04X_", c);
        else if (c == 0xef && (unsigned char)p[1] == 0xbf &&
                 (unsigned char)p[2] >= 0xbe) {
            memcpy (out, "\xef\xbf\xbd", 3);
            out += 3;
            p += 2;
        } else
            *out++ = (char)c;
    }
    worksheet_write_string (ws, row, col, copy, format);
    free (copy);
}

/* First sheet: what the report is and how to reproduce it. */
static void s_xlsx_info (lxw_workbook *wb, const jk_rdoc_t *doc,
                         const s_xlsx_formats_t *f)
{
    lxw_worksheet *info = workbook_add_worksheet (wb, "Keterangan");
    s_meta_t meta[8];
    size_t n = s_meta (doc, meta);
    worksheet_set_column (info, 0, 0, 18, NULL);
    worksheet_set_column (info, 1, 1, 100, NULL);
    for (size_t i = 0; i < n; i++) {
        s_xlsx_string (info, (lxw_row_t)i, 0, meta[i].label, f->bold);
        s_xlsx_string (info, (lxw_row_t)i, 1, meta[i].value, NULL);
    }
    for (size_t k = 0; k < doc->count; k++) {
        const jk_rtable_t *t = doc->tables[k];
        s_xlsx_string (info, (lxw_row_t)(n + 1 + k), 0, t->sheet, NULL);
        s_xlsx_string (info, (lxw_row_t)(n + 1 + k), 1, t->title, NULL);
    }
}

/* One cell by its column's kind: integers, percentages and dates as
   numbers with their format, the rest as text; NULL left empty. */
static void s_xlsx_cell (lxw_worksheet *ws, const jk_rtable_t *t, size_t r,
                         size_t c, const s_xlsx_formats_t *f)
{
    const jk_rcell_t *cell = &t->cell[r * t->cols + c];
    lxw_row_t row = (lxw_row_t)(r + 1);
    lxw_col_t col = (lxw_col_t)c;
    if (cell->null)
        return;
    switch (cell->is_int ? JK_RCOL_INT : t->col[c].kind) {
        case JK_RCOL_INT:
            worksheet_write_number (ws, row, col, (double)cell->i, f->integer);
            break;
        case JK_RCOL_ID:
            worksheet_write_number (ws, row, col, (double)cell->i, f->id);
            break;
        case JK_RCOL_PCT:
            worksheet_write_number (ws, row, col, cell->d, f->pct);
            break;
        case JK_RCOL_DATE: {
            int y, m, d;
            if (cell->s && sscanf (cell->s, "%4d-%2d-%2d", &y, &m, &d) == 3) {
                lxw_datetime dt = {y, m, d, 0, 0, 0};
                worksheet_write_datetime (ws, row, col, &dt, f->date);
            } else
                s_xlsx_string (ws, row, col, cell->s ? cell->s : "", NULL);
            break;
        }
        default:
            s_xlsx_string (ws, row, col, cell->s, NULL);
    }
}

/* One table's sheet: a frozen header row, then its rows. */
static int s_xlsx_table (lxw_workbook *wb, const jk_rtable_t *t,
                         const s_xlsx_formats_t *f, char *err, size_t err_size)
{
    lxw_worksheet *ws = workbook_add_worksheet (wb, t->sheet);
    if (!ws) {
        snprintf (err, err_size, "sheet '%s' could not be added", t->sheet);
        return JK_IO;
    }
    worksheet_freeze_panes (ws, 1, 0);
    for (size_t c = 0; c < t->cols; c++) {
        worksheet_set_column (ws, (lxw_col_t)c, (lxw_col_t)c, t->col[c].width,
                              NULL);
        s_xlsx_string (ws, 0, (lxw_col_t)c, t->col[c].name, f->bold);
    }
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->cols; c++)
            s_xlsx_cell (ws, t, r, c, f);
    return JK_OK;
}

/* libxlsxwriter prints its own "[ERROR] ..." line on stderr when it
   cannot create or write the file, and then returns a code: the file is
   opened here first, so that a folder that does not exist or a directory
   is said in our words, and stderr is silenced while the library writes
   (a full disk), its code and errno becoming the reason. */
static lxw_error s_xlsx_close (lxw_workbook *wb)
{
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    int quiet = open ("/dev/null", O_WRONLY | O_CLOEXEC);
    bool silenced =
        saved >= 0 && quiet >= 0 && dup2 (quiet, STDERR_FILENO) >= 0;
    errno = 0;
    lxw_error rc = workbook_close (wb);
    int error = errno;
    if (silenced)
        dup2 (saved, STDERR_FILENO);
    if (quiet >= 0)
        close (quiet);
    if (saved >= 0)
        close (saved);
    errno = error;
    return rc;
}

int jk_report_write_xlsx (const jk_rdoc_t *doc, const char *path, char *err,
                          size_t err_size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf (err, err_size, "%s", strerror (errno));
        return JK_IO;
    }
    close (fd);
    lxw_workbook *wb = workbook_new (path);
    if (!wb) {
        snprintf (err, err_size, "cannot create the workbook");
        return JK_IO;
    }
    s_xlsx_formats_t formats;
    s_xlsx_formats (wb, &formats);
    s_xlsx_info (wb, doc, &formats);
    for (size_t k = 0; k < doc->count; k++)
        if (s_xlsx_table (wb, doc->tables[k], &formats, err, err_size)) {
            s_xlsx_close (wb);
            return JK_IO;
        }
    lxw_error rc = s_xlsx_close (wb);
    if (rc != LXW_NO_ERROR) {
        /* "Zip generic error ZIP_ERRNO while creating the xlsx file: No
           space left on device" */
        int error = errno;
        const char *why = lxw_strerror (rc);
        int len = (int)strlen (why);
        if (len > 0 && why[len - 1] == '.')
            len--;
        snprintf (err, err_size, "%.*s%s%s", len, why, error ? ": " : "",
                  error ? strerror (error) : "");
        return JK_IO;
    }
    return JK_OK;
}

/* ---- CSV --------------------------------------------------------------------
 */

int jk_report_write_csv (const jk_rdoc_t *doc, FILE *out)
{
    fputs (JK_EXCEL_BOM, out);
    s_meta_t meta[8];
    size_t n = s_meta (doc, meta);
    for (size_t i = 0; i < n; i++) {
        jk_excel_text (out, meta[i].label);
        jk_excel_sep (out);
        jk_excel_text (out, meta[i].value);
        jk_excel_eol (out);
    }
    for (size_t k = 0; k < doc->count; k++) {
        const jk_rtable_t *t = doc->tables[k];
        jk_excel_eol (out);
        jk_excel_text (out, t->title);
        jk_excel_eol (out);
        for (size_t c = 0; c < t->cols; c++) {
            if (c)
                jk_excel_sep (out);
            jk_excel_text (out, t->col[c].name);
        }
        jk_excel_eol (out);
        for (size_t r = 0; r < t->rows; r++) {
            for (size_t c = 0; c < t->cols; c++) {
                const jk_rcell_t *cell = &t->cell[r * t->cols + c];
                if (c)
                    jk_excel_sep (out);
                if (cell->null)
                    continue;
                char day[16];
                switch (cell->is_int ? JK_RCOL_INT : t->col[c].kind) {
                    case JK_RCOL_INT:
                    case JK_RCOL_ID:
                        jk_excel_int (out, cell->i);
                        break;
                    case JK_RCOL_PCT:
                        jk_excel_real (out, cell->d, 1);
                        break;
                    case JK_RCOL_DATE:
                        s_date_id (cell->s, day);
                        jk_excel_text (out, day);
                        break;
                    default:
                        jk_excel_text (out, cell->s);
                }
            }
            jk_excel_eol (out);
        }
    }
    return ferror (out) ? JK_IO : JK_OK;
}

/* ---- HTML -------------------------------------------------------------------
 */

static const char *s_css =
    "@page { size: A4; margin: 15mm 12mm; }\n"
    "body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 9pt;"
    " color: #111; }\n"
    "h1 { font-size: 15pt; margin: 0 0 4pt; }\n"
    "h2 { font-size: 11.5pt; margin: 12pt 0 4pt; }\n"
    "table.meta td { padding: 1pt 6pt 1pt 0; vertical-align: top; }\n"
    "table.data { border-collapse: collapse; width: 100%; }\n"
    "table.data th, table.data td { border: 0.5pt solid #888;"
    " padding: 2pt 4pt; }\n"
    "table.data th { background: #dde8f5; text-align: left; }\n"
    "table.data td.n { text-align: right; white-space: nowrap; }\n"
    "table.data thead { display: table-header-group; }\n"
    "table.data tr { page-break-inside: avoid; }\n"
    "section.break { page-break-before: always; break-before: page; }\n"
    "p.empty { font-style: italic; }\n";

int jk_report_write_html (const jk_rdoc_t *doc, FILE *out)
{
    fputs ("<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta "
           "charset=\"utf-8\">\n<title>",
           out);
    jk_html (out, doc->title);
    fprintf (out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>",
             s_css);
    jk_html (out, doc->title);
    fputs ("</h1>\n<table class=\"meta\">\n", out);
    s_meta_t meta[8];
    size_t n = s_meta (doc, meta);
    for (size_t i = 1; i < n; i++) {
        fputs ("<tr><td><b>", out);
        jk_html (out, meta[i].label);
        fputs ("</b></td><td>", out);
        jk_html (out, meta[i].value);
        fputs ("</td></tr>\n", out);
    }
    fputs ("</table>\n", out);
    for (size_t k = 0; k < doc->count; k++) {
        const jk_rtable_t *t = doc->tables[k];
        fprintf (out, "<section%s>\n<h2>",
                 t->page_break ? " class=\"break\"" : "");
        jk_html (out, t->title);
        fputs ("</h2>\n", out);
        if (t->rows == 0) {
            fputs ("<p class=\"empty\">Tidak ada data.</p>\n</section>\n", out);
            continue;
        }
        fputs ("<table class=\"data\">\n<thead><tr>", out);
        for (size_t c = 0; c < t->cols; c++) {
            fputs ("<th>", out);
            jk_html (out, t->col[c].name);
            fputs ("</th>", out);
        }
        fputs ("</tr></thead>\n<tbody>\n", out);
        for (size_t r = 0; r < t->rows; r++) {
            fputs ("<tr>", out);
            for (size_t c = 0; c < t->cols; c++) {
                const jk_rcell_t *cell = &t->cell[r * t->cols + c];
                char text[64];
                bool number = t->col[c].kind == JK_RCOL_INT ||
                              t->col[c].kind == JK_RCOL_ID ||
                              t->col[c].kind == JK_RCOL_PCT;
                fputs (number ? "<td class=\"n\">" : "<td>", out);
                if (cell->null)
                    ;
                else if (t->col[c].kind == JK_RCOL_ID)
                    fprintf (out, "%" PRId64, cell->i);
                else if (cell->is_int || t->col[c].kind == JK_RCOL_INT) {
                    s_int_id (cell->i, text, sizeof text);
                    fputs (text, out);
                } else if (t->col[c].kind == JK_RCOL_PCT) {
                    snprintf (text, sizeof text, "%.1f", cell->d);
                    char *dot = strchr (text, '.');
                    if (dot)
                        *dot = ',';
                    fprintf (out, "%s&nbsp;%%", text);
                } else if (t->col[c].kind == JK_RCOL_DATE) {
                    s_date_id (cell->s, text);
                    fputs (text, out);
                } else
                    jk_html (out, cell->s);
                fputs ("</td>", out);
            }
            fputs ("</tr>\n", out);
        }
        fputs ("</tbody>\n</table>\n</section>\n", out);
    }
    fputs ("</body>\n</html>\n", out);
    return ferror (out) ? JK_IO : JK_OK;
}
