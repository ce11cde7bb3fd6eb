/*  import.c - a clerk's CSV or XLSX file of one event type read into
    validated events before anything is queued: the header maps columns to
    fields by Indonesian label or field name, each cell is read in the form
    clerks type (1.045, 31/12/2022, Ya/Tidak, enum labels), every field of
    every row is checked with the schema library and each problem is kept
    with its row, column and rule in Indonesian. The CSV reader is the
    agents' (jk_csv_read), the XLSX one xlsx.c; the page (import_page.c)
    queues the good rows, each content once (jk_outbox_find_same). The
    headers, the example row it skips and the templates are
    import_template.c. */
#include "jk_office.h"
#include "jk_excel.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define S_CORRECTS (-2)

jk_import_t *jk_import_new (const jk_type_t *type, const char *source,
                            const char *actor, bool en)
{
    jk_import_t *self = jk_calloc (1, sizeof *self);
    self->type = type;
    self->en = en;
    self->source = jk_strdup (source);
    self->actor = jk_strdup (actor);
    char office[16];
    jk_source_office (source, strlen (source), office, sizeof office);
    self->office = jk_strdup (office);
    return self;
}

void jk_import_destroy (jk_import_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_import_t *self = *self_p;
    for (size_t i = 0; i < self->good_count; i++) {
        jk_event_destroy (&self->good[i].event);
        free (self->good[i].key);
    }
    free (self->good);
    free (self->problems);
    for (size_t i = 0; i < self->column_count; i++)
        free (self->headers[i]);
    free (self->source);
    free (self->actor);
    free (self->office);
    free (self);
    *self_p = NULL;
}

/* ---- headers ------------------------------------------------------------- */

/* A header as compared: lower case, runs of spaces, '_' and '-' as one
   space, trimmed, a trailing '*' (required mark) dropped. */
static void s_norm (const char *text, char *out, size_t size)
{
    size_t n = 0;
    bool space = false;
    for (const char *p = text; *p && n + 2 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '_' || c == '-' || c == '\t' || c == '*') {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)tolower (c);
    }
    out[n] = 0;
}

/* The field a header names: its index, S_CORRECTS, or -1. */
static int s_header_field (const jk_type_t *t, const char *cell)
{
    char want[128], have[128], buf[128];
    s_norm (cell, want, sizeof want);
    if (!want[0])
        return -1;
    for (size_t i = 0; i < t->field_count; i++) {
        s_norm (t->fields[i].name, have, sizeof have);
        if (strcmp (want, have) == 0)
            return (int)i;
        s_norm (jk_office_field_label (&t->fields[i], false, buf, sizeof buf),
                have, sizeof have);
        if (strcmp (want, have) == 0)
            return (int)i;
    }
    if (t->needs_corrects) {
        s_norm (jk_import_header (t, -1, false, buf, sizeof buf), have,
                sizeof have);
        if (strcmp (want, "corrects") == 0 || strcmp (want, have) == 0 ||
            strcmp (want, "koreksi atas") == 0)
            return S_CORRECTS;
    }
    return -1;
}

static void s_problem (jk_import_t *self, size_t line, const char *column,
                       const char *code, const char *text)
{
    self->problem_total++;
    if (self->problem_count >= JK_IMPORT_PROBLEMS)
        return;
    if (!self->problems)
        self->problems = jk_calloc (JK_IMPORT_PROBLEMS, sizeof *self->problems);
    jk_import_problem_t *p = &self->problems[self->problem_count++];
    p->line = line;
    snprintf (p->column, sizeof p->column, "%s", column ? column : "");
    snprintf (p->code, sizeof p->code, "%s", code);
    snprintf (p->text, sizeof p->text, "%s", text);
}

/* The file as a whole cannot be imported. */
static void s_unusable (jk_import_t *self, const char *id_text,
                        const char *en_text)
{
    if (!self->unusable)
        snprintf (self->error, sizeof self->error, "%s",
                  self->en ? en_text : id_text);
    self->unusable = true;
}

static int s_header (jk_import_t *self, size_t line, char **cells, size_t count)
{
    const jk_type_t *t = self->type;
    bool seen[JK_FIELDS_MAX] = {false}, seen_corrects = false;
    char text[400], label[128];
    self->column_count = count;
    for (size_t c = 0; c < count; c++) {
        self->headers[c] = jk_strdup (cells[c]);
        int f = s_header_field (t, cells[c]);
        self->columns[c] = -1;
        bool blank = true;
        for (const char *p = cells[c]; *p && blank; p++)
            blank = isspace ((unsigned char)*p) != 0;
        if (blank) {
            snprintf (text, sizeof text,
                      self->en ? "column %zu has no name"
                               : "kolom ke-%zu tidak bernama",
                      c + 1);
            s_problem (self, line, "", "E_COLUMN_NAME", text);
        } else if (f == -1) {
            snprintf (text, sizeof text,
                      self->en ? "%s has no such field: use the template's "
                                 "headers"
                               : "tidak ada isian bernama ini pada %s: pakai "
                                 "kepala kolom dari templat",
                      jk_office_type_label (t, self->en));
            s_problem (self, line, cells[c], "E_COLUMN_UNKNOWN", text);
        } else if ((f == S_CORRECTS && seen_corrects) || (f >= 0 && seen[f])) {
            s_problem (self, line, cells[c], "E_COLUMN_TWICE",
                       self->en ? "the same field has two columns"
                                : "isian yang sama punya dua kolom");
        } else {
            self->columns[c] = f;
            if (f == S_CORRECTS)
                seen_corrects = true;
            else
                seen[f] = true;
        }
    }
    for (size_t f = 0; f < t->field_count; f++)
        if (t->fields[f].required && !seen[f]) {
            const char *name =
                jk_import_header (t, (int)f, self->en, label, sizeof label);
            snprintf (text, sizeof text,
                      self->en ? "the column '%s' is missing: it is required"
                               : "kolom '%s' tidak ada: wajib diisi",
                      name);
            s_problem (self, line, name, "E_COLUMN_MISSING", text);
        }
    if (t->needs_corrects && !seen_corrects) {
        const char *name =
            jk_import_header (t, -1, self->en, label, sizeof label);
        snprintf (text, sizeof text,
                  self->en ? "the column '%s' is missing: it is required"
                           : "kolom '%s' tidak ada: wajib diisi",
                  name);
        s_problem (self, line, name, "E_COLUMN_MISSING", text);
    }
    if (self->problem_total) {
        s_unusable (self,
                    "Kepala kolom (baris pertama) perlu diperbaiki; tidak ada "
                    "yang dimasukkan.",
                    "The header row needs fixing; nothing was imported.");
        return 1;
    }
    return 0;
}

/* ---- rows ---------------------------------------------------------------- */

/* A cell as compared with the example: its wire text (1.045 and 1045
   alike), or the trimmed text when it has none. */
static void s_compared (const jk_type_t *t, int f, const char *cell, char *out,
                        size_t size)
{
    jk_report_t report;
    jk_report_reset (&report);
    if (f < 0 ||
        jk_office_wire_value (&t->fields[f], cell, out, size, &report) != 0)
        snprintf (out, size, "%s", cell);
}

/* The template's example row, cell by cell. */
static bool s_is_example (jk_import_t *self, char **cells, size_t count)
{
    char example[256], want[512], have[JK_STRING_MAX_BYTES + 1];
    bool any = false;
    for (size_t c = 0; c < count; c++) {
        int f = self->columns[c];
        if (f == -1)
            continue;
        jk_import_example (self->type, f, self->office, example,
                           sizeof example);
        s_compared (self->type, f, example, want, sizeof want);
        s_compared (self->type, f, cells[c], have, sizeof have);
        if (strcmp (want, have) != 0)
            return false;
        any = true;
    }
    return any;
}

/* The column headed for field f, or the field's label. */
static const char *s_column_of (jk_import_t *self, int f, char *buf,
                                size_t size)
{
    for (size_t c = 0; c < self->column_count; c++)
        if (self->columns[c] == f)
            return self->headers[c];
    return jk_import_header (self->type, f, self->en, buf, size);
}

static void s_field_problem (jk_import_t *self, size_t line, int f,
                             const jk_report_t *report)
{
    char label[128], text[400];
    const jk_field_t *field = f >= 0 ? &self->type->fields[f] : NULL;
    jk_office_problem_text (report->error.code, report->error.rule,
                            report->error.message, field, self->en, text,
                            sizeof text);
    s_problem (self, line,
               f == -1 ? "" : s_column_of (self, f, label, sizeof label),
               report->error.code, text);
}

/* The corrects column: an event id. Returns the problems found (0/1). */
static int s_cell_corrects (jk_import_t *self, size_t line, size_t c,
                            const char *cell, jk_event_t *ev)
{
    char id[64];
    snprintf (id, sizeof id, "%.40s", cell);
    for (char *e = id + strlen (id); e > id && isspace ((unsigned char)e[-1]);)
        *--e = 0;
    if (jk_uuid_parse (id, ev->corrects) == JK_OK) {
        ev->has_corrects = true;
        return 0;
    }
    s_problem (self, line, self->headers[c], "E_FIELD_FORMAT",
               self->en ? "must be an event id (uuid), e.g. "
                          "0190f5e2-...: see the entry in the "
                          "outbox"
                        : "harus id kiriman (uuid), mis. "
                          "0190f5e2-...: lihat di kotak kiriman");
    return 1;
}

/* The row's cells into ev by the header's columns; failed[f] set for a
   field whose cell did not take. Returns the problems found. */
static int s_cells (jk_import_t *self, size_t line, char **cells, size_t count,
                    jk_event_t *ev, bool *failed)
{
    const jk_type_t *t = self->type;
    int bad = 0;
    char *wire = jk_malloc (JK_EVENT_MAX_BYTES);
    for (size_t c = 0; c < count; c++) {
        int f = self->columns[c];
        const char *cell = cells[c];
        while (isspace ((unsigned char)*cell))
            cell++;
        if (f == -1 || !*cell)
            continue;
        if (f == S_CORRECTS) {
            bad += s_cell_corrects (self, line, c, cell, ev);
            continue;
        }
        jk_report_t report;
        jk_report_reset (&report);
        if (jk_office_wire_value (&t->fields[f], cell, wire, JK_EVENT_MAX_BYTES,
                                  &report) != 0 ||
            jk_event_set (ev, t->fields[f].name, wire, &report) != 0) {
            s_field_problem (self, line, f, &report);
            failed[f] = true;
            bad++;
        }
    }
    free (wire);
    return bad;
}

/* Every field's own rules, then (when no problem was found, the cells'
   bad included) the correction's id and the rules across fields, each
   problem beside its column. Returns bad plus the problems found. */
static int s_row_rules (jk_import_t *self, size_t line, jk_event_t *ev,
                        const bool *failed, int bad)
{
    const jk_type_t *t = self->type;
    jk_context_t ctx = jk_context_default ();
    for (size_t f = 0; f < t->field_count; f++) {
        if (failed[f])
            continue;
        jk_report_t report;
        jk_report_reset (&report);
        if (jk_event_check_field (ev, f, &ctx, &report) != 0) {
            s_field_problem (self, line, (int)f, &report);
            bad++;
        }
    }
    if (!bad && t->needs_corrects && !ev->has_corrects) {
        char label[128];
        s_problem (self, line,
                   s_column_of (self, S_CORRECTS, label, sizeof label),
                   "E_FIELD_MISSING",
                   self->en ? "required (E_FIELD_MISSING)"
                            : "Wajib diisi. (E_FIELD_MISSING)");
        bad++;
    }
    jk_report_t report;
    jk_report_reset (&report);
    if (!bad && jk_event_validate (ev, &ctx, &report) != 0) {
        /* A rule across fields (or the envelope): beside its field. */
        const char *field = report.error.field;
        int f = strncmp (field, "body.", 5) == 0
                    ? jk_type_field (t, field + 5, strlen (field + 5))
                    : -1;
        s_field_problem (self, line, f, &report);
        bad++;
    }
    return bad;
}

/* jk_csv_row_fn / the XLSX reader's row: the header, then one event per
   row, kept when good, its problems listed when not. */
static int s_row (void *arg, size_t line, char **cells, size_t count)
{
    jk_import_t *self = arg;
    if (!self->header_done) {
        self->header_done = true;
        return s_header (self, line, cells, count);
    }
    if (self->rows >= JK_IMPORT_MAX_ROWS) {
        char text[200];
        snprintf (text, sizeof text,
                  self->en ? "The file has more than %d rows: split it."
                           : "Berkas lebih dari %d baris: pecah menjadi "
                             "beberapa berkas.",
                  JK_IMPORT_MAX_ROWS);
        s_unusable (self, text, text);
        return 1;
    }
    bool empty = true;
    for (size_t c = 0; c < count && empty; c++)
        for (const char *p = cells[c]; *p && empty; p++)
            empty = isspace ((unsigned char)*p) != 0;
    if (empty)
        return 0; /* a row of empty cells, as spreadsheets leave */
    self->rows++;
    if (count > self->column_count) {
        char text[400];
        snprintf (text, sizeof text,
                  self->en ? "the row has %zu cells, the header %zu (a "
                             "separator inside an unquoted cell?)"
                           : "baris ini punya %zu sel, kepala kolom %zu (ada "
                             "pemisah di dalam sel tanpa tanda kutip?)",
                  count, self->column_count);
        s_problem (self, line, "", "E_ROW_WIDTH", text);
        self->bad++;
        return 0;
    }
    if (s_is_example (self, cells, count)) {
        self->rows--;
        self->examples++;
        return 0;
    }
    jk_event_t *ev = jk_event_new (self->type);
    jk_event_set_source (ev, self->source);
    jk_event_set_actor (ev, self->actor);
    ev->seq = 1; /* the outbox gives the real one */
    bool failed[JK_FIELDS_MAX] = {false};
    int bad = s_cells (self, line, cells, count, ev, failed);
    bad = s_row_rules (self, line, ev, failed, bad);
    if (bad) {
        self->bad++;
        jk_event_destroy (&ev);
        return 0;
    }
    if (self->good_count % 256 == 0)
        self->good = jk_realloc (self->good,
                                 (self->good_count + 256) * sizeof *self->good);
    jk_import_row_t *row = &self->good[self->good_count++];
    row->line = line;
    row->event = ev;
    row->key = jk_outbox_natural_key (ev);
    return 0;
}

/* The CSV reader's faults, said for a clerk: the code shown, and the
   Indonesian sentence (NULL: the reader's own reason, which names the
   rule). English shows the reader's reason. Looked up by fault; one
   entry per fault. */
static const struct {
    jk_csv_fault_t fault;
    const char *code;
    const char *id;
} s_faults[] = {
    {JK_CSV_QUOTE, "E_ROW_QUOTE",
     "Tanda kutip (\") dibuka tetapi tidak ditutup: baris dilewati."},
    {JK_CSV_CELLS, "E_ROW_CELLS",
     "Terlalu banyak sel (pemisahnya benar?): baris dilewati."},
    {JK_CSV_BINARY, "E_ROW_BINARY",
     "Sel berisi data biner, bukan teks: baris dilewati."},
    {JK_CSV_UNREADABLE, "E_ROW_UNREADABLE", NULL},
};
_Static_assert(sizeof s_faults / sizeof s_faults[0] == JK_CSV_UNREADABLE,
               "every jk_csv_fault_t has its words");

bool jk_import_fault_text (jk_csv_fault_t fault, const char *reason, bool en,
                           char *code, size_t code_size, char *text,
                           size_t text_size)
{
    for (size_t i = 0; i < sizeof s_faults / sizeof s_faults[0]; i++)
        if (s_faults[i].fault == fault) {
            snprintf (code, code_size, "%s", s_faults[i].code);
            snprintf (text, text_size, "%s",
                      en || !s_faults[i].id ? reason : s_faults[i].id);
            return true;
        }
    snprintf (code, code_size, "E_ROW_UNREADABLE");
    snprintf (text, text_size,
              en ? "The reader's fault %d has no words here (%s): row "
                   "skipped."
                 : "Kesalahan pembaca nomor %d tidak dikenal (%s): baris "
                   "dilewati.",
              (int)fault, reason);
    return false;
}

/* A bad row, said for a clerk. */
static int s_bad (void *arg, size_t line, jk_csv_fault_t fault,
                  const char *reason)
{
    jk_import_t *self = arg;
    if (!self->header_done) {
        self->header_done = true;
        s_unusable (self,
                    "Baris pertama (kepala kolom) tidak terbaca; tidak ada "
                    "yang dimasukkan.",
                    "The first row (the header) cannot be read; nothing was "
                    "imported.");
        s_problem (self, line, "", "E_ROW_UNREADABLE", reason);
        return 1;
    }
    self->rows++;
    self->bad++;
    char code[JK_CODE_MAX], text[400];
    if (!jk_import_fault_text (fault, reason, self->en, code, sizeof code, text,
                               sizeof text))
        jk_error ("import", "no words for the reader's fault %d", (int)fault);
    s_problem (self, line, "", code, text);
    return 0;
}

int jk_import_read (jk_import_t *self, const void *data, size_t size)
{
    if (size > JK_IMPORT_MAX_BYTES) {
        char text[200];
        snprintf (text, sizeof text,
                  self->en ? "The file is larger than %d MiB: split it."
                           : "Berkas lebih dari %d MiB: pecah menjadi "
                             "beberapa berkas.",
                  JK_IMPORT_MAX_BYTES >> 20);
        s_unusable (self, text, text);
        return JK_INVALID;
    }
    self->xlsx = size >= 4 && memcmp (data, "PK\x03\x04", 4) == 0;
    if (self->xlsx) {
        char err[300];
        if (jk_xlsx_read (data, size, s_row, s_bad, self, err, sizeof err) <
            0) {
            char text[400];
            snprintf (text, sizeof text,
                      self->en ? "The XLSX file cannot be read: %s"
                               : "Berkas XLSX tidak terbaca: %s",
                      err);
            s_unusable (self, text, text);
        }
    } else {
        /* A file that is not text (a PDF, an old .xls) is said so, not
           read as rows of noise. */
        const unsigned char *p = data;
        size_t zeros = 0;
        for (size_t i = 0; i < size && i < 4096; i++)
            zeros += p[i] == 0;
        if (zeros)
            s_unusable (self,
                        "Berkas ini bukan CSV atau XLSX (isinya biner). "
                        "Simpan dari Excel sebagai .xlsx atau CSV.",
                        "This file is neither CSV nor XLSX (binary). Save "
                        "it from Excel as .xlsx or CSV.");
        else
            jk_csv_read (data, size, s_row, s_bad, self, &self->separator);
    }
    if (!self->unusable && !self->header_done)
        s_unusable (self, "Berkas kosong: perlu baris kepala kolom.",
                    "The file is empty: a header row is needed.");
    if (self->unusable) {
        /* Nothing of an unusable file is queued. */
        for (size_t i = 0; i < self->good_count; i++) {
            jk_event_destroy (&self->good[i].event);
            free (self->good[i].key);
        }
        self->good_count = 0;
        return JK_INVALID;
    }
    return JK_OK;
}
