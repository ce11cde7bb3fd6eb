/*  import_page.c - the import pages: choose a type and a file (CSV or
    XLSX), see a preview (rows good, bad with line, column and reason,
    already queued), then queue the good rows in one outbox transaction,
    each content once however often the file is uploaded; and the
    templates to download. An upload waits for its confirmation in memory,
    bound to the user who sent it, at most JK_UPLOADS of them for
    JK_UPLOAD_TTL_MS. */
#include "office_internal.h"

#include <ctype.h>
#include <string.h>

/* Types a user may import (corrections and declarations: supervisors). */
static bool s_allowed (jk_http_t *h, const jk_type_t *t)
{
    return !jk_office_supervisor_only (t) ||
           strcmp (h->session.role, "supervisor") == 0;
}

static void s_type_select (jk_http_t *h, const char *chosen)
{
    FILE *o = h->out;
    fprintf (o,
             "<div class=\"field\"><label for=\"type\">%s</label><select "
             "id=\"type\" name=\"type\" required><option value=\"\">%s"
             "</option>",
             TR (h, "Jenis data", "Kind of entry"),
             TR (h, "- pilih -", "- choose -"));
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        if (!s_allowed (h, t))
            continue;
        fprintf (o, "<option value=\"%s\"%s>", t->name,
                 chosen && strcmp (chosen, t->name) == 0 ? " selected" : "");
        jk_html (o, jk_office_type_label (t, h->en));
        fputs ("</option>", o);
    }
    fputs ("</select></div>", o);
}

static void s_upload_form (jk_http_t *h, const char *chosen)
{
    FILE *o = h->out;
    fprintf (o, "<form method=\"post\" action=\"/import\" "
                "enctype=\"multipart/form-data\" id=\"import-form\">");
    jk_page_csrf (h);
    s_type_select (h, chosen);
    fprintf (o,
             "<div class=\"field\"><label for=\"file\">%s</label><input "
             "type=\"file\" id=\"file\" name=\"file\" required "
             "accept=\".csv,.xlsx,text/csv,application/"
             "vnd.openxmlformats-officedocument.spreadsheetml.sheet\">"
             "<small class=\"help\">%s</small></div>"
             "<p class=\"actions\"><button type=\"submit\" id=\"check\">%s"
             "</button></p></form>",
             TR (h, "Berkas CSV atau XLSX", "CSV or XLSX file"),
             TR (h,
                 "Kepala kolom: nama isian seperti pada templat. Angka "
                 "boleh 1.045, tanggal 31/12/2022, Ya/Tidak. Belum ada yang "
                 "dikirim sebelum Anda melihat pratinjau dan menekan "
                 "\"Masukkan\".",
                 "Headers: the field names as in the template. Numbers may "
                 "be 1.045, dates 31/12/2022, Ya/Tidak. Nothing is sent "
                 "before you see the preview and press \"Import\"."),
             TR (h, "Periksa berkas", "Check the file"));
}

void jk_page_import (jk_http_t *h)
{
    jk_page_begin (h, TR (h, "Impor", "Import"));
    FILE *o = h->out;
    fprintf (o, "<main><h1>%s</h1>",
             TR (h, "Impor dari CSV atau XLSX", "Import from CSV or XLSX"));
    s_upload_form (h, jk_http_query (h, "type"));
    fprintf (o,
             "<section><h2>%s</h2><p>%s</p><table "
             "class=\"templates\"><tbody>",
             TR (h, "Templat", "Templates"),
             TR (h,
                 "Satu templat per jenis data: kepala kolom berbahasa "
                 "Indonesia dan satu baris contoh (baris contoh dilewati "
                 "saat impor). XLSX punya daftar pilihan dan lembar "
                 "Petunjuk.",
                 "One template per kind of entry: headers and an example "
                 "row (skipped on import). The XLSX one has drop-down lists "
                 "and an Instructions sheet."));
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        if (!s_allowed (h, t))
            continue;
        fputs ("<tr><td>", o);
        jk_html (o, jk_office_type_label (t, h->en));
        fprintf (o,
                 "</td><td><a href=\"/import/template?type=%s&amp;format=csv\" "
                 "download>CSV</a></td><td><a "
                 "href=\"/import/template?type=%s&amp;format=xlsx\" "
                 "download>XLSX</a></td></tr>",
                 t->name, t->name);
    }
    fputs ("</tbody></table></section></main>", o);
    jk_page_end (h);
}

void jk_page_import_template (jk_http_t *h)
{
    const char *name = jk_http_query (h, "type");
    const char *format = jk_http_query (h, "format");
    const jk_type_t *t = name ? jk_vocabulary_find (name, strlen (name)) : NULL;
    bool xlsx = format && strcmp (format, "xlsx") == 0;
    if (!t || !s_allowed (h, t) ||
        !(xlsx || (format && strcmp (format, "csv") == 0))) {
        h->code = MHD_HTTP_NOT_FOUND;
        h->type = "text/plain; charset=utf-8";
        fputs (TR (h,
                   "404 tidak ada templat itu (type=JENIS&format=csv|xlsx)\n",
                   "404 no such template (type=TYPE&format=csv|xlsx)\n"),
               h->out);
        return;
    }
    char *bytes = NULL;
    size_t size = 0;
    int rc = xlsx ? jk_import_template_xlsx (t, h->office->office, h->en,
                                             &bytes, &size)
                  : jk_import_template_csv (t, h->office->office, h->en, &bytes,
                                            &size);
    if (rc != JK_OK) {
        free (bytes);
        h->code = MHD_HTTP_INTERNAL_SERVER_ERROR;
        h->type = "text/plain; charset=utf-8";
        fputs ("500 the template could not be made\n", h->out);
        return;
    }
    fwrite (bytes, 1, size, h->out);
    free (bytes);
    h->type = xlsx ? "application/"
                     "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                   : "text/csv; charset=utf-8";
    snprintf (h->disposition, sizeof h->disposition,
              "attachment; filename=\"templat-%s.%s\"", t->name,
              xlsx ? "xlsx" : "csv");
}

/* ---- uploads waiting for a confirmation ---------------------------------- */

static void s_upload_free (jk_upload_t *u)
{
    jk_import_destroy (&u->import);
    free (u->name);
    memset (u, 0, sizeof *u);
}

void jk_uploads_free (jk_office_app_t *office)
{
    for (int i = 0; i < JK_UPLOADS; i++)
        s_upload_free (&office->uploads[i]);
}

/* Keeps an import (taking it) under a new token; the oldest (or an
   expired) one makes room. Call under office->lock. */
static void s_upload_keep (jk_office_app_t *office, jk_http_t *h,
                           jk_import_t **import, const char *name,
                           char token[65])
{
    int64_t now = jk_clock_mono_ms ();
    int slot = 0;
    for (int i = 0; i < JK_UPLOADS; i++) {
        jk_upload_t *u = &office->uploads[i];
        if (u->import && now - u->at_ms > JK_UPLOAD_TTL_MS)
            s_upload_free (u);
        if (!u->import || u->at_ms < office->uploads[slot].at_ms)
            slot = i;
        if (!u->import)
            break;
    }
    jk_upload_t *u = &office->uploads[slot];
    s_upload_free (u);
    jk_token_new (u->token);
    snprintf (u->user, sizeof u->user, "%s", h->session.user);
    u->at_ms = now;
    u->import = *import;
    *import = NULL;
    u->name = jk_strdup (name);
    memcpy (token, u->token, 65);
}

/* ---- preview ---------------------------------------------------------------
 */

void jk_office_count_text (uint64_t n, bool en, char out[32])
{
    char digits[24];
    int len = snprintf (digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t k = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[k++] = en ? ',' : '.';
        out[k++] = digits[i];
    }
    out[k] = 0;
}

/* The posted file: its bytes and name. */
static const jk_kv_t *s_file (jk_http_t *h)
{
    for (size_t i = 0; i < h->form_count; i++)
        if (strcmp (h->form[i].key, "file") == 0)
            return &h->form[i];
    return NULL;
}

/* A file name as kept in the origin of each entry: its last part,
   printable ASCII, at most 100 bytes. */
static void s_base_name (const char *name, char *out, size_t size)
{
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t n = 0;
    for (const char *p = base; *p && n + 1 < size && n < 100; p++)
        out[n++] = (*p > ' ' && *p < 0x7f && *p != ':') ? *p : '_';
    out[n] = 0;
    if (!n)
        snprintf (out, size, "unggahan");
}

/* A row's cells shown in the preview: a few fields of its event. */
static void s_event_cells (jk_http_t *h, const jk_event_t *ev, size_t shown)
{
    const jk_type_t *t = ev->type;
    for (size_t i = 0; i < t->field_count && i < shown; i++) {
        char text[256];
        const jk_value_t *v = &ev->body[i];
        text[0] = 0;
        if (v->present)
            jk_event_text (ev, t->fields[i].name, text, sizeof text);
        if (t->fields[i].kind == JK_KIND_ENUM && v->present) {
            /* The label may be written into buf: copied out of it, never
               onto itself. */
            char buf[128];
            const char *label =
                jk_office_value_label (text, h->en, buf, sizeof buf);
            snprintf (text, sizeof text, "%s", label);
        }
        if (t->fields[i].kind == JK_KIND_BOOL && v->present)
            snprintf (text, sizeof text, "%s",
                      jk_office_bool_label (v->n != 0, h->en));
        if (t->fields[i].kind == JK_KIND_DATE && v->present &&
            strlen (text) == 10) {
            char shown_date[16];
            snprintf (shown_date, sizeof shown_date, "%.2s/%.2s/%.4s", text + 8,
                      text + 5, text);
            snprintf (text, sizeof text, "%s", shown_date);
        }
        fputs ("<td>", h->out);
        jk_html (h->out, text);
        fputs ("</td>", h->out);
    }
}

#define S_PREVIEW_ROWS   20 /* good rows shown */
#define S_PREVIEW_FIELDS 6  /* of their fields */

/* The upload form again, with why the upload was refused (no kind of
   entry, or no file). */
static void s_preview_refused (jk_http_t *h, const jk_type_t *t,
                               const char *type_name)
{
    h->code = MHD_HTTP_BAD_REQUEST;
    jk_page_begin (h, TR (h, "Impor", "Import"));
    FILE *o = h->out;
    fprintf (o,
             "<main><h1>%s</h1><p class=\"error\" role=\"alert\" "
             "id=\"import-error\">%s</p>",
             TR (h, "Impor dari CSV atau XLSX", "Import from CSV or XLSX"),
             !t || !s_allowed (h, t)
                 ? TR (h, "Pilih jenis data.", "Choose the kind of entry.")
                 : TR (h, "Pilih berkas CSV atau XLSX (tidak kosong).",
                       "Choose a CSV or XLSX file (not empty)."));
    s_upload_form (h, type_name);
    fputs ("</main>", o);
    jk_page_end (h);
}

/* The counts: data rows, ready, wrong, already in the outbox. */
static void s_preview_summary (jk_http_t *h, const jk_import_t *im,
                               size_t fresh, size_t already)
{
    char n_rows[32], n_good[32], n_bad[32], n_already[32];
    jk_office_count_text (im->rows, h->en, n_rows);
    jk_office_count_text (fresh, h->en, n_good);
    jk_office_count_text (im->bad, h->en, n_bad);
    jk_office_count_text (already, h->en, n_already);
    fprintf (h->out,
             "<ul class=\"summary\" id=\"import-summary\"><li>%s: <b "
             "id=\"n-rows\">%s</b></li><li>%s: <b id=\"n-good\">%s</b>"
             "</li><li>%s: <b id=\"n-bad\">%s</b></li><li>%s: <b "
             "id=\"n-already\">%s</b></li></ul>",
             TR (h, "Baris data", "Data rows"), n_rows,
             TR (h, "Siap dimasukkan", "Ready to import"), n_good,
             TR (h, "Salah (tidak dimasukkan)", "Wrong (not imported)"), n_bad,
             TR (h, "Sudah ada di kotak kiriman (dilewati)",
                 "Already in the outbox (skipped)"),
             n_already);
    if (im->examples)
        fprintf (h->out, "<p class=\"note\">%s</p>",
                 TR (h, "Baris contoh dari templat dilewati.",
                     "The template's example row was skipped."));
}

/* The rows that need fixing: line, column, problem. */
static void s_preview_problems (jk_http_t *h, const jk_import_t *im)
{
    FILE *o = h->out;
    char shown[32], total[32];
    jk_office_count_text (im->problem_count, h->en, shown);
    jk_office_count_text (im->problem_total, h->en, total);
    fprintf (o,
             "<section><h2>%s</h2><table class=\"problems\" "
             "id=\"import-problems\"><thead><tr><th>%s</th><th>%s</th>"
             "<th>%s</th></tr></thead><tbody>",
             TR (h, "Yang perlu diperbaiki", "What needs fixing"),
             TR (h, "Baris", "Row"), TR (h, "Kolom", "Column"),
             TR (h, "Masalah", "Problem"));
    for (size_t i = 0; i < im->problem_count; i++) {
        const jk_import_problem_t *p = &im->problems[i];
        fprintf (o, "<tr data-line=\"%zu\" data-code=\"%s\"><td>%zu</td><td>",
                 p->line, p->code, p->line);
        jk_html (o, p->column);
        fputs ("</td><td>", o);
        jk_html (o, p->text);
        fputs ("</td></tr>", o);
    }
    fputs ("</tbody></table>", o);
    if (im->problem_total > im->problem_count)
        fprintf (o, "<p>%s %s / %s.</p>", TR (h, "Ditampilkan", "Shown"), shown,
                 total);
    fputs ("</section>", o);
}

/* The first good rows, each new or already in the outbox (held). */
static void s_preview_good (jk_http_t *h, const jk_type_t *t,
                            const jk_import_t *im, const bool *held)
{
    FILE *o = h->out;
    fprintf (o,
             "<section><h2>%s</h2><table class=\"preview\" "
             "id=\"import-good\"><thead><tr><th>%s</th>",
             TR (h, "Baris yang benar", "Good rows"), TR (h, "Baris", "Row"));
    for (size_t i = 0; i < t->field_count && i < S_PREVIEW_FIELDS; i++) {
        char label[128];
        fputs ("<th>", o);
        jk_html (o, jk_office_field_label (&t->fields[i], h->en, label,
                                           sizeof label));
        fputs ("</th>", o);
    }
    fprintf (o, "<th>%s</th></tr></thead><tbody>", TR (h, "Keadaan", "State"));
    for (size_t i = 0; i < im->good_count && i < S_PREVIEW_ROWS; i++) {
        fprintf (o, "<tr><td>%zu</td>", im->good[i].line);
        s_event_cells (h, im->good[i].event, S_PREVIEW_FIELDS);
        fprintf (o, "<td>%s</td></tr>",
                 held[i] ? TR (h, "sudah ada", "already there")
                         : TR (h, "baru", "new"));
    }
    fputs ("</tbody></table></section>", o);
}

/* The confirmation form for the fresh rows: the import is kept under an
   upload token (taken from *im). */
static void s_preview_confirm (jk_http_t *h, jk_import_t **im, const char *name,
                               size_t fresh)
{
    FILE *o = h->out;
    char token[65], n_good[32];
    pthread_mutex_lock (&h->office->lock);
    s_upload_keep (h->office, h, im, name, token);
    pthread_mutex_unlock (&h->office->lock);
    jk_office_count_text (fresh, h->en, n_good);
    fputs ("<form method=\"post\" action=\"/import/confirm\" "
           "id=\"confirm-form\">",
           o);
    jk_page_csrf (h);
    fprintf (o,
             "<input type=\"hidden\" name=\"upload\" value=\"%s\"><p "
             "class=\"actions\"><button type=\"submit\" id=\"confirm\">"
             "%s %s %s</button> <a href=\"/import\">%s</a></p></form>",
             token, TR (h, "Masukkan", "Import"), n_good,
             TR (h, "baris ke kotak kiriman", "rows into the outbox"),
             TR (h, "Batal", "Cancel"));
}

void jk_page_import_preview (jk_http_t *h)
{
    const char *type_name = jk_http_form (h, "type");
    const jk_type_t *t =
        type_name ? jk_vocabulary_find (type_name, strlen (type_name)) : NULL;
    const jk_kv_t *file = s_file (h);
    if (!t || !s_allowed (h, t) || !file || file->len == 0) {
        s_preview_refused (h, t, type_name);
        return;
    }
    char name[128];
    s_base_name (file->filename ? file->filename : "", name, sizeof name);
    jk_import_t *im =
        jk_import_new (t, h->office->source, h->session.user, h->en);
    int rc = jk_import_read (im, file->value, file->len);
    /* Which good rows the outbox holds already (same content). */
    size_t already = 0;
    bool *held = jk_calloc (im->good_count + 1, sizeof *held);
    pthread_mutex_lock (&h->office->lock);
    for (size_t i = 0; i < im->good_count; i++)
        if (jk_outbox_find_same (h->office->outbox, im->good[i].event, NULL) ==
            JK_OK) {
            held[i] = true;
            already++;
        }
    pthread_mutex_unlock (&h->office->lock);
    size_t fresh = im->good_count - already;
    jk_info ("import",
             "user=%s type=%s format=%s result=%s rows=%zu good=%zu bad=%zu "
             "already=%zu",
             h->session.user, t->name, im->xlsx ? "xlsx" : "csv",
             rc == JK_OK ? "preview" : "unusable", im->rows, im->good_count,
             im->bad, already);
    jk_page_begin (h, TR (h, "Pratinjau impor", "Import preview"));
    FILE *o = h->out;
    fprintf (o, "<main><h1>%s: ", TR (h, "Pratinjau", "Preview"));
    jk_html (o, jk_office_type_label (t, h->en));
    fputs ("</h1><p class=\"file\">", o);
    jk_html (o, name);
    fprintf (o, " (%s)</p>", im->xlsx ? "XLSX" : "CSV");
    if (rc != JK_OK) {
        /* A file over the limit is too large (413), whatever it holds;
           one that cannot be used is 422. */
        h->code = file->len > JK_IMPORT_MAX_BYTES
                      ? MHD_HTTP_CONTENT_TOO_LARGE
                      : MHD_HTTP_UNPROCESSABLE_CONTENT;
        fputs ("<p class=\"error\" role=\"alert\" id=\"import-error\">", o);
        jk_html (o, im->error);
        fputs ("</p>", o);
    } else
        s_preview_summary (h, im, fresh, already);
    if (im->problem_count)
        s_preview_problems (h, im);
    if (im->good_count)
        s_preview_good (h, t, im, held);
    if (rc == JK_OK && fresh > 0)
        s_preview_confirm (h, &im, name, fresh);
    else
        fprintf (o, "<p class=\"actions\"><a href=\"/import\">%s</a></p>",
                 TR (h, "Unggah berkas lain", "Upload another file"));
    fputs ("</main>", o);
    jk_page_end (h);
    free (held);
    jk_import_destroy (&im);
}

/* ---- confirmation ----------------------------------------------------------
 */

/* The upload kept under token for this user, taken (NULL when there is
   none, or it expired); its file name into name. Under office->lock. */
static jk_import_t *s_upload_take (jk_http_t *h, const char *token,
                                   char name[128])
{
    jk_office_app_t *office = h->office;
    for (int i = 0; token && i < JK_UPLOADS; i++) {
        jk_upload_t *u = &office->uploads[i];
        if (u->import && jk_token_equal (u->token, token) &&
            strcmp (u->user, h->session.user) == 0 &&
            jk_clock_mono_ms () - u->at_ms <= JK_UPLOAD_TTL_MS) {
            jk_import_t *im = u->import;
            u->import = NULL;
            snprintf (name, 128, "%s", u->name);
            s_upload_free (u);
            return im;
        }
    }
    return NULL;
}

/* What the import put in the outbox. */
typedef struct {
    uint64_t queued, already, first, last;
} s_queued_t;

/* One transaction: each good row checked again for the same content
   (another program may have queued it meanwhile), then put. Under
   office->lock. JK_OK, or a code with nothing queued. */
static int s_import_queue (jk_office_app_t *office, jk_import_t *im,
                           const char *name, s_queued_t *q)
{
    int rc = jk_outbox_begin (office->outbox);
    for (size_t i = 0; rc == JK_OK && i < im->good_count; i++) {
        jk_import_row_t *row = &im->good[i];
        uint64_t seq;
        rc = jk_outbox_find_same (office->outbox, row->event, &seq);
        if (rc == JK_OK) {
            q->already++;
            continue;
        }
        if (rc != JK_NOT_FOUND)
            break;
        char origin[160];
        snprintf (origin, sizeof origin, "%s:%zu", name, row->line);
        rc = jk_outbox_put (office->outbox, row->event, origin, row->key, &seq);
        if (rc == JK_OK) {
            q->queued++;
            if (!q->first)
                q->first = seq;
            q->last = seq;
        }
    }
    if (rc == JK_OK)
        rc = jk_outbox_commit (office->outbox);
    else {
        jk_outbox_rollback (office->outbox);
        q->queued = 0;
    }
    return rc;
}

/* The page for an upload imported already or expired. */
static void s_confirm_gone (jk_http_t *h)
{
    h->code = MHD_HTTP_GONE;
    jk_page_begin (h, TR (h, "Impor", "Import"));
    fprintf (h->out,
             "<main><p class=\"error\" role=\"alert\" "
             "id=\"import-error\">%s</p><p><a href=\"/import\">%s</a> "
             "<a href=\"/outbox\">%s</a></p></main>",
             TR (h,
                 "Unggahan ini sudah dimasukkan atau sudah kedaluwarsa "
                 "(1 jam). Unggah berkasnya lagi: baris yang sudah ada "
                 "tidak dimasukkan dua kali.",
                 "This upload was imported already or has expired "
                 "(1 hour). Upload the file again: rows already there "
                 "are not imported twice."),
             TR (h, "Impor", "Import"), TR (h, "Kiriman", "Outbox"));
    jk_page_end (h);
}

/* The page after the import: what was queued, or that nothing was. */
static void s_confirm_done (jk_http_t *h, int rc, const s_queued_t *q)
{
    jk_page_begin (h, TR (h, "Impor selesai", "Import done"));
    FILE *o = h->out;
    if (rc != JK_OK) {
        h->code = MHD_HTTP_INTERNAL_SERVER_ERROR;
        fprintf (o,
                 "<main><p class=\"error\" role=\"alert\" "
                 "id=\"import-error\">%s</p></main>",
                 TR (h,
                     "Tidak bisa menulis ke kotak kiriman (disk?); tidak "
                     "ada yang dimasukkan. Coba lagi.",
                     "Cannot write the outbox (disk?); nothing was "
                     "imported. Try again."));
        jk_page_end (h);
        return;
    }
    char n_queued[32], n_already[32];
    jk_office_count_text (q->queued, h->en, n_queued);
    jk_office_count_text (q->already, h->en, n_already);
    fprintf (o,
             "<main><h1>%s</h1><p id=\"import-done\">%s <b "
             "id=\"n-queued\">%s</b> %s",
             TR (h, "Impor selesai", "Import done"),
             TR (h, "Dimasukkan ke kotak kiriman:", "Queued:"), n_queued,
             TR (h, "baris", "rows"));
    if (q->queued)
        fprintf (o, " (No. %llu-%llu)", (unsigned long long)q->first,
                 (unsigned long long)q->last);
    fprintf (o, "; %s <b id=\"n-skipped\">%s</b>.</p>",
             TR (h, "sudah ada sebelumnya:", "already there:"), n_already);
    fprintf (
        o,
        "<p><a href=\"/outbox\" id=\"to-outbox\">%s</a> <a "
        "href=\"/import\">%s</a></p></main>",
        TR (h, "Lihat kiriman dan keadaannya", "See the outbox and the states"),
        TR (h, "Impor berkas lain", "Import another file"));
    jk_page_end (h);
}

void jk_page_import_confirm (jk_http_t *h)
{
    jk_office_app_t *office = h->office;
    char name[128] = "";
    s_queued_t q = {0};
    int rc = JK_OK;
    pthread_mutex_lock (&office->lock);
    jk_import_t *im = s_upload_take (h, jk_http_form (h, "upload"), name);
    if (im)
        rc = s_import_queue (office, im, name, &q);
    pthread_mutex_unlock (&office->lock);
    if (!im) {
        s_confirm_gone (h);
        return;
    }
    jk_info ("import",
             "user=%s type=%s result=%s queued=%llu already=%llu first=%llu "
             "last=%llu",
             h->session.user, im->type->name, rc == JK_OK ? "queued" : "io",
             (unsigned long long)q.queued, (unsigned long long)q.already,
             (unsigned long long)q.first, (unsigned long long)q.last);
    if (q.queued)
        jk_courier_wake (office->courier);
    s_confirm_done (h, rc, &q);
    jk_import_destroy (&im);
}
