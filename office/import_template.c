/*  import_template.c - what an import file of one event type looks
    like: each field's column header (Indonesian label, or field name in
    English) and example value, and the templates built from them (the
    headers and an example row that import skips), as CSV for
    Indonesian-locale Excel and as XLSX with drop-down lists. */
#include "jk_office.h"
#include "jk_excel.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

const char *jk_import_header (const jk_type_t *t, int field, bool en, char *buf,
                              size_t size)
{
    if (field < 0)
        return en ? "corrects" : "Koreksi atas (id kiriman)";
    const jk_field_t *f = &t->fields[field];
    if (en)
        return f->name;
    return jk_office_field_label (f, false, buf, size);
}

const char *jk_import_example (const jk_type_t *t, int field,
                               const char *office, char *buf, size_t size)
{
    buf[0] = 0;
    if (field < 0)
        return buf; /* the corrected entry's id: no example */
    const jk_field_t *f = &t->fields[field];
    char label[128];
    switch (f->kind) {
        case JK_KIND_DATE:
            snprintf (buf, size, "31/12/2022");
            break;
        case JK_KIND_TIME:
            snprintf (buf, size, "08:00");
            break;
        case JK_KIND_BOOL:
            snprintf (buf, size, "Ya");
            break;
        case JK_KIND_ENUM:
        case JK_KIND_SET: {
            const char *shown = jk_office_value_label (f->values[0], false,
                                                       label, sizeof label);
            snprintf (buf, size, "%s", shown);
            break;
        }
        case JK_KIND_UINT:
            if (f->min <= 1045 && f->max >= 1045)
                snprintf (buf, size, "1.045");
            else if (f->min <= 2022 && f->max >= 2022)
                snprintf (buf, size, "2022");
            else
                snprintf (buf, size, "%lld", (long long)f->min);
            break;
        case JK_KIND_UNITS:
            snprintf (buf, size, "U-01=Contoh unit satu|U-02=Contoh unit dua");
            break;
        case JK_KIND_LIST:
            snprintf (buf, size, "Contoh satu; Contoh dua");
            break;
        default:
            switch (f->format) {
                case JK_FORMAT_NIK:
                    snprintf (buf, size, "3203014506900001");
                    break;
                case JK_FORMAT_DESA_REGION:
                case JK_FORMAT_DESA_ANY: {
                    const jk_region_t *region = jk_region_default ();
                    for (size_t i = 0; i < jk_region_desa_count (region); i++) {
                        const char *name = NULL, *kec = NULL;
                        const char *code =
                            jk_region_desa_at (region, i, &name, &kec);
                        if (strcmp (kec, office) == 0 || !buf[0])
                            snprintf (buf, size, "%s", code);
                        if (strcmp (kec, office) == 0)
                            break;
                    }
                    break;
                }
                case JK_FORMAT_LEGAL_NUMBER:
                    snprintf (buf, size, "AHU-0001234.AH.01.26.TAHUN 2019");
                    break;
                case JK_FORMAT_PHONE:
                    snprintf (buf, size, "081234567890");
                    break;
                case JK_FORMAT_NIK_KOPERASI:
                    snprintf (buf, size, "3203100000001");
                    break;
                case JK_FORMAT_CODE:
                    snprintf (buf, size, "CONTOH-001");
                    break;
                default:
                    snprintf (
                        buf, size, "Contoh %s",
                        jk_office_field_label (f, false, label, sizeof label));
                    if (f->max > 0 && strlen (buf) > (size_t)f->max)
                        buf[f->max] = 0;
            }
    }
    return buf;
}

/* The template's columns: every field, then corrects where needed. */
static size_t s_template_columns (const jk_type_t *t, int *columns)
{
    size_t n = 0;
    if (t->needs_corrects)
        columns[n++] = -1;
    for (size_t i = 0; i < t->field_count; i++)
        columns[n++] = (int)i;
    return n;
}

int jk_import_template_csv (const jk_type_t *t, const char *office, bool en,
                            char **out, size_t *size)
{
    FILE *o = open_memstream (out, size);
    if (!o)
        return JK_IO;
    int columns[JK_FIELDS_MAX + 1];
    size_t n = s_template_columns (t, columns);
    char buf[256];
    fputs (JK_EXCEL_BOM, o);
    for (size_t c = 0; c < n; c++) {
        if (c)
            jk_excel_sep (o);
        jk_excel_text (o,
                       jk_import_header (t, columns[c], en, buf, sizeof buf));
    }
    jk_excel_eol (o);
    for (size_t c = 0; c < n; c++) {
        if (c)
            jk_excel_sep (o);
        jk_excel_text (
            o, jk_import_example (t, columns[c], office, buf, sizeof buf));
    }
    jk_excel_eol (o);
    return fclose (o) == 0 ? JK_OK : JK_IO;
}

/* The rule of a column in words, for the help sheet. */
static void s_rule (const jk_type_t *t, int field, bool en, char *out,
                    size_t size)
{
    if (field < 0) {
        snprintf (out, size, "%s",
                  en ? "id (uuid) of the entry corrected"
                     : "id (uuid) kiriman yang dikoreksi");
        return;
    }
    const jk_field_t *f = &t->fields[field];
    switch (f->kind) {
        case JK_KIND_DATE:
            snprintf (out, size, "%s",
                      en ? "date dd/mm/yyyy" : "tanggal hh/bb/tttt");
            break;
        case JK_KIND_TIME:
            snprintf (out, size, "%s", en ? "time HH:MM" : "jam JJ:MM");
            break;
        case JK_KIND_UINT:
            snprintf (out, size,
                      en ? "whole number %lld-%lld"
                         : "angka bulat %lld sampai %lld",
                      (long long)f->min, (long long)f->max);
            break;
        case JK_KIND_BOOL:
            snprintf (out, size, "Ya / Tidak");
            break;
        case JK_KIND_ENUM:
        case JK_KIND_SET: {
            size_t used = (size_t)snprintf (
                out, size, "%s",
                f->kind == JK_KIND_SET
                    ? (en ? "one or more of (separated by ;): "
                          : "satu atau lebih (pisahkan dengan ;): ")
                    : (en ? "one of: " : "salah satu: "));
            for (size_t v = 0; f->values[v] && used < size; v++) {
                char buf[64];
                used += (size_t)snprintf (
                    out + used, size - used, "%s%s", v ? ", " : "",
                    jk_office_value_label (f->values[v], en, buf, sizeof buf));
            }
            break;
        }
        case JK_KIND_LIST:
            snprintf (out, size,
                      en ? "%lld-%lld items separated by ;"
                         : "%lld sampai %lld isian, pisahkan "
                           "dengan ;",
                      (long long)f->min, (long long)f->max);
            break;
        case JK_KIND_UNITS:
            snprintf (out, size, "%s",
                      en ? "KODE=Title|KODE=Title"
                         : "KODE=Judul|KODE=Judul (pisahkan unit dengan |)");
            break;
        default:
            snprintf (out, size,
                      en ? "text, %lld-%lld characters"
                         : "teks, %lld sampai %lld huruf",
                      (long long)f->min, (long long)f->max);
    }
}

/* The example row's cell: a number column as a number, else text. */
static void s_example_cell (lxw_worksheet *data, lxw_col_t col,
                            const jk_field_t *f, const char *example,
                            lxw_format *text)
{
    if (f && f->kind == JK_KIND_UINT) {
        char digits[32];
        size_t k = 0;
        for (const char *p = example; *p && k + 1 < sizeof digits; p++)
            if (isdigit ((unsigned char)*p))
                digits[k++] = *p;
        digits[k] = 0;
        worksheet_write_number (data, 1, col, atof (digits), NULL);
    } else
        worksheet_write_string (data, 1, col, example, text);
}

/* A drop-down of an enum's (or Ya/Tidak's) labels on the column (Excel
   keeps one list under 255 characters; the import reads labels and
   names alike). */
static void s_dropdown (lxw_worksheet *data, lxw_col_t col, const jk_field_t *f,
                        bool en)
{
    char *labels[32];
    char store[32][64];
    size_t k = 0, chars = 0;
    for (size_t v = 0; k < 31; v++) {
        const char *label =
            f->kind == JK_KIND_BOOL ? (v == 0   ? "Ya"
                                       : v == 1 ? "Tidak"
                                                : NULL)
            : f->values[v]
                ? jk_office_value_label (f->values[v], en, store[k], 64)
                : NULL;
        if (!label)
            break;
        if (label != store[k])
            snprintf (store[k], 64, "%s", label);
        labels[k] = store[k];
        chars += strlen (labels[k]) + 1;
        k++;
    }
    labels[k] = NULL;
    if (chars < 255) {
        lxw_data_validation dv;
        memset (&dv, 0, sizeof dv);
        dv.validate = LXW_VALIDATION_TYPE_LIST;
        dv.value_list = labels;
        dv.show_error = LXW_VALIDATION_OFF;
        worksheet_data_validation_range (data, 1, col, JK_IMPORT_MAX_ROWS + 1,
                                         col, &dv);
    }
}

/* The written workbook at path read into *out (path removed). */
static int s_read_back (const char *path, char **out, size_t *size)
{
    FILE *in = fopen (path, "rb");
    unlink (path);
    if (!in)
        return JK_IO;
    FILE *o = open_memstream (out, size);
    char chunk[8192];
    size_t got;
    while ((got = fread (chunk, 1, sizeof chunk, in)) > 0)
        fwrite (chunk, 1, got, o);
    fclose (in);
    return fclose (o) == 0 ? JK_OK : JK_IO;
}

int jk_import_template_xlsx (const jk_type_t *t, const char *office, bool en,
                             char **out, size_t *size)
{
    /* libxlsxwriter writes a file: a private temporary one, read back. */
    char path[] = "/tmp/jejak-template-XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        return JK_IO;
    close (fd);
    lxw_workbook *wb = workbook_new (path);
    if (!wb) {
        unlink (path);
        return JK_IO;
    }
    lxw_worksheet *data = workbook_add_worksheet (wb, en ? "Data" : "Data");
    lxw_worksheet *help =
        workbook_add_worksheet (wb, en ? "Instructions" : "Petunjuk");
    lxw_format *head = workbook_add_format (wb);
    format_set_bold (head);
    format_set_bg_color (head, 0xDDEBF7);
    format_set_text_wrap (head);
    lxw_format *text = workbook_add_format (wb);
    format_set_num_format (text, "@");
    int columns[JK_FIELDS_MAX + 1];
    size_t n = s_template_columns (t, columns);
    char buf[256], rule[1024];
    worksheet_freeze_panes (data, 1, 0);
    worksheet_write_string (help, 0, 0, en ? "Column" : "Kolom", head);
    worksheet_write_string (help, 0, 1, en ? "Required" : "Wajib", head);
    worksheet_write_string (help, 0, 2, en ? "Form" : "Bentuk isian", head);
    worksheet_write_string (help, 0, 3, en ? "Help" : "Keterangan", head);
    worksheet_set_column (help, 0, 0, 28, NULL);
    worksheet_set_column (help, 1, 1, 8, NULL);
    worksheet_set_column (help, 2, 3, 60, NULL);
    for (size_t c = 0; c < n; c++) {
        lxw_col_t col = (lxw_col_t)c;
        int field = columns[c];
        const jk_field_t *f = field >= 0 ? &t->fields[field] : NULL;
        const char *header = jk_import_header (t, field, en, buf, sizeof buf);
        worksheet_write_string (data, 0, col, header, head);
        worksheet_write_string (help, (lxw_row_t)c + 1, 0, header, NULL);
        /* Text columns stay text: a NIK typed as a number would lose its
           last digits. */
        bool as_text = !f || (f->kind != JK_KIND_UINT);
        worksheet_set_column (data, col, col, 24, as_text ? text : NULL);
        worksheet_write_string (help, (lxw_row_t)c + 1, 1,
                                !f || f->required ? (en ? "yes" : "ya")
                                                  : (en ? "no" : "tidak"),
                                NULL);
        s_rule (t, field, en, rule, sizeof rule);
        worksheet_write_string (help, (lxw_row_t)c + 1, 2, rule, NULL);
        worksheet_write_string (help, (lxw_row_t)c + 1, 3,
                                f ? jk_office_field_help (f, en) : "", NULL);
        jk_import_example (t, field, office, buf, sizeof buf);
        s_example_cell (data, col, f, buf, text);
        if (f && (f->kind == JK_KIND_ENUM || f->kind == JK_KIND_BOOL))
            s_dropdown (data, col, f, en);
    }
    lxw_error rc = workbook_close (wb);
    if (rc != LXW_NO_ERROR) {
        unlink (path);
        return JK_IO;
    }
    return s_read_back (path, out, size);
}
