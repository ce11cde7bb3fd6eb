/*  pages.c - jejak-office's pages other than the forms: the frame (head,
    navigation, status strip), home, the outbox list and one entry with
    its receipt, the printable tanda terima, status.json. */
#include "office_internal.h"

#include <string.h>

void jk_office_time_text (int64_t ms, char out[24])
{
    char iso[26];
    jk_time_format_wib (ms, iso); /* YYYY-MM-DDTHH:MM:SS+07:00 */
    snprintf (out, 24, "%.2s/%.2s/%.4s %.5s WIB", iso + 8, iso + 5, iso,
              iso + 11);
}

/* Indonesian thousands: 1.503 */
static void s_number (FILE *o, uint64_t n)
{
    char digits[32];
    int len = snprintf (digits, sizeof digits, "%llu", (unsigned long long)n);
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            fputc ('.', o);
        fputc (digits[i], o);
    }
}

/* n with Indonesian thousands points into out. */
static void s_number_text (uint64_t n, char out[32])
{
    char *text = NULL;
    size_t size = 0;
    FILE *o = open_memstream (&text, &size);
    if (o) {
        s_number (o, n);
        fclose (o);
    }
    snprintf (out, 32, "%s", text ? text : "");
    free (text);
}

void jk_page_strip (jk_http_t *h)
{
    jk_office_app_t *office = h->office;
    jk_courier_state_t cs;
    jk_courier_state (office->courier, &cs);
    jk_outbox_counts_t counts = {0};
    pthread_mutex_lock (&office->lock);
    jk_outbox_counts (office->outbox, &counts);
    pthread_mutex_unlock (&office->lock);
    FILE *o = h->out;
    if (cs.fork)
        fprintf (o, "<div id=\"fork\" class=\"fork\" role=\"alert\">%s</div>",
                 TR (h,
                     "PERINGATAN: log dinas tidak cocok dengan bukti yang "
                     "dipegang kotak ini (E_FORK). Kedua checkpoint "
                     "bertanda tangan disimpan di outbox (tabel forks): "
                     "serahkan kepada auditor dinas.",
                     "WARNING: the dinas's log does not agree with the proofs "
                     "this box holds (E_FORK). Both signed checkpoints are "
                     "kept in the outbox (table forks): give them to the "
                     "dinas's auditor."));
    fprintf (o,
             "<div id=\"strip\" class=\"strip %s\" role=\"status\" "
             "data-now=\"%lld\" data-queue=\"%llu\">",
             cs.link_up ? "up" : "down", (long long)jk_clock_now_ms (),
             (unsigned long long)counts.pending);
    fprintf (o, "<span id=\"link\">%s: ",
             TR (h, "Terakhir terhubung dengan dinas",
                 "Last contact with the dinas"));
    if (cs.last_contact_ms) {
        char when[24];
        jk_office_time_text (cs.last_contact_ms, when);
        fputs (when, o);
    } else
        fputs (TR (h, "belum pernah", "never"), o);
    fprintf (o, "</span> <span id=\"queue\">%s: ",
             TR (h, "Antrean belum terkirim", "Queue not sent yet"));
    s_number (o, counts.pending);
    fprintf (
        o, "</span> <span id=\"rejected\">%s: ", TR (h, "Ditolak", "Rejected"));
    s_number (o, counts.rejected);
    fprintf (o,
             "</span> <span id=\"clock\" class=\"warn\" hidden "
             "data-text=\"%s\"></span></div>",
             TR (h,
                 "Jam kotak ini berbeda %s menit dari jam komputer Anda: "
                 "periksa jam kotak.",
                 "This box's clock is %s minutes off your computer's: "
                 "check the box's clock."));
}

void jk_page_begin (jk_http_t *h, const char *title)
{
    FILE *o = h->out;
    fprintf (o,
             "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, "
             "initial-scale=1\"><title>",
             h->en ? "en" : "id");
    jk_html (o, title);
    fputs (" - Jejak</title><link rel=\"stylesheet\" href=\"/style.css\">"
           "<script src=\"/app.js\" defer></script></head><body>",
           o);
    fprintf (o, "<header><a class=\"brand\" href=\"/\">Jejak</a> <span "
                "class=\"office\">");
    jk_html (o, h->office->source);
    fputs ("</span>", o);
    if (h->logged_in) {
        fprintf (o,
                 "<nav aria-label=\"%s\"><a href=\"/\">%s</a> <a "
                 "href=\"/outbox\">%s</a> <a href=\"/attendance\">%s</a> <a "
                 "href=\"/import\">%s</a> <a href=\"/receipt\">%s</a>",
                 TR (h, "Menu utama", "Main menu"), TR (h, "Beranda", "Home"),
                 TR (h, "Kiriman", "Outbox"), TR (h, "Kehadiran", "Attendance"),
                 TR (h, "Impor", "Import"), TR (h, "Tanda terima", "Receipts"));
        if (strcmp (h->session.role, "supervisor") == 0)
            fprintf (o, " <a href=\"/users\" id=\"nav-users\">%s</a>",
                     TR (h, "Akun", "Accounts"));
        fputs ("</nav>", o);
        fputs ("<form method=\"post\" action=\"/logout\" class=\"logout\">", o);
        jk_page_csrf (h);
        fputs ("<span class=\"user\">", o);
        jk_html (o, h->session.user);
        fprintf (o, " (%s)</span> <button type=\"submit\">%s</button></form>",
                 strcmp (h->session.role, "supervisor") == 0
                     ? TR (h, "penyelia", "supervisor")
                     : TR (h, "operator", "operator"),
                 TR (h, "Keluar", "Log out"));
    }
    fputs ("<a class=\"lang\" href=\"/lang?to=", o);
    fputs (h->en ? "id" : "en", o);
    fputs ("&amp;next=", o);
    jk_html (o, h->url);
    fprintf (o, "\" id=\"lang\">%s</a></header>",
             h->en ? "Bahasa Indonesia" : "English");
    if (h->logged_in)
        jk_page_strip (h);
}

void jk_page_end (jk_http_t *h)
{
    fputs ("</body></html>\n", h->out);
}

/* ---- home ------------------------------------------------------------------
 */

void jk_page_home (jk_http_t *h)
{
    jk_page_begin (h, TR (h, "Beranda", "Home"));
    FILE *o = h->out;
    fprintf (o, "<main><h1>%s</h1>",
             TR (h, "Apa yang akan dicatat?", "What is to be entered?"));
    static const jk_domain_t domains[] = {
        JK_DOMAIN_REGISTRATION, JK_DOMAIN_ATTENDANCE, JK_DOMAIN_SCORING};
    static const char *names[][2] = {{"Pendaftaran", "Registration"},
                                     {"Kehadiran", "Attendance"},
                                     {"Uji kompetensi", "Scoring"}};
    for (int d = 0; d < 3; d++) {
        fprintf (o, "<section><h2>%s</h2><ul class=\"forms\">",
                 h->en ? names[d][1] : names[d][0]);
        if (domains[d] == JK_DOMAIN_ATTENDANCE)
            fprintf (o,
                     "<li><a href=\"/attendance\" id=\"go-attendance\">%s</a>"
                     "</li>",
                     TR (h, "Daftar hadir satu sesi (pilih peserta)",
                         "Attendance of a session (pick participants)"));
        for (size_t i = 0; i < jk_vocabulary_count (); i++) {
            const jk_type_t *t = jk_vocabulary_at (i);
            if (t->domain != domains[d])
                continue;
            fprintf (o, "<li><a href=\"/form/%s\">", t->name);
            jk_html (o, jk_office_type_label (t, h->en));
            fputs ("</a></li>", o);
        }
        fputs ("</ul></section>", o);
    }
    fputs ("</main>", o);
    jk_page_end (h);
}

/* ---- the outbox ------------------------------------------------------------
 */

typedef struct {
    jk_http_t *h;
    size_t shown;
} s_rows_t;

/* The state a clerk sees. A SENT row while the hub does not answer was
   sent into a link that is down: it has not reached the dinas, so it is
   shown as belum terkirim until the hub is heard again. */
static jk_outbox_state_t s_shown (jk_http_t *h, jk_outbox_state_t state)
{
    if (state != JK_OUTBOX_SENT)
        return state;
    jk_courier_state_t cs;
    jk_courier_state (h->office->courier, &cs);
    return cs.link_up ? JK_OUTBOX_SENT : JK_OUTBOX_PENDING;
}

static void s_hash_text (const jk_outbox_row_t *row, char out[65])
{
    jk_hex_format (row->hash, 32, out);
}

/* One table row of the outbox list or a receipt. */
static int s_entry_row (void *arg, const jk_outbox_row_t *row)
{
    s_rows_t *r = (s_rows_t *)arg;
    jk_http_t *h = r->h;
    FILE *o = h->out;
    const jk_type_t *t = jk_vocabulary_find (row->type, strlen (row->type));
    char when[24], hash[65];
    jk_office_time_text (row->created_at, when);
    static const char *cls[] = {"pending", "sent", "stored", "rejected",
                                "quarantined"};
    fprintf (o,
             "<tr data-seq=\"%llu\" data-state=\"%s\"><td><a "
             "href=\"/outbox/%llu\">%llu</a></td><td>",
             (unsigned long long)row->seq, cls[s_shown (h, row->state)],
             (unsigned long long)row->seq, (unsigned long long)row->seq);
    jk_html (o, t ? jk_office_type_label (t, h->en) : row->type);
    fprintf (o, "</td><td>%s</td><td><span class=\"state %s\">%s</span></td>",
             when, cls[s_shown (h, row->state)],
             jk_office_state_label (s_shown (h, row->state), h->en));
    if (row->state == JK_OUTBOX_STORED) {
        s_hash_text (row, hash);
        fprintf (o,
                 "<td class=\"receipt\"><span class=\"pos\">%llu</span> "
                 "<code class=\"hash\">%s</code></td>",
                 (unsigned long long)row->pos, hash);
    } else if (row->state == JK_OUTBOX_REJECTED) {
        char text[512];
        jk_office_problem_text (row->code, row->message, NULL, h->en, text,
                                sizeof text);
        fputs ("<td class=\"reason\">", o);
        jk_html (o, text);
        fputs ("</td>", o);
    } else
        fputs ("<td></td>", o);
    fputs ("</tr>", o);
    r->shown++;
    return 0;
}

static void s_table_head (jk_http_t *h)
{
    fprintf (h->out,
             "<table class=\"entries\"><thead><tr><th>%s</th><th>%s</th>"
             "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
             TR (h, "No.", "Seq"), TR (h, "Jenis", "Type"),
             TR (h, "Dicatat", "Entered"), TR (h, "Keadaan", "State"),
             TR (h, "Tanda terima (posisi, hash) / alasan",
                 "Receipt (position, hash) / reason"));
}

void jk_page_outbox (jk_http_t *h)
{
    const char *state = jk_http_query (h, "state");
    unsigned states = 0x1F;
    if (state && strcmp (state, "pending") == 0)
        states = 1u << JK_OUTBOX_PENDING | 1u << JK_OUTBOX_SENT;
    else if (state && strcmp (state, "stored") == 0)
        states = 1u << JK_OUTBOX_STORED;
    else if (state && strcmp (state, "rejected") == 0)
        states = 1u << JK_OUTBOX_REJECTED;
    jk_page_begin (h, TR (h, "Kiriman", "Outbox"));
    FILE *o = h->out;
    fprintf (o,
             "<main><h1>%s</h1><p class=\"filters\"><a href=\"/outbox\">%s</a> "
             "<a href=\"/outbox?state=pending\">%s</a> <a "
             "href=\"/outbox?state=stored\">%s</a> <a "
             "href=\"/outbox?state=rejected\">%s</a></p>",
             TR (h, "Kiriman kantor ini", "This office's entries"),
             TR (h, "Semua", "All"),
             jk_office_state_label (JK_OUTBOX_PENDING, h->en),
             jk_office_state_label (JK_OUTBOX_STORED, h->en),
             jk_office_state_label (JK_OUTBOX_REJECTED, h->en));
    s_table_head (h);
    s_rows_t r = {h, 0};
    pthread_mutex_lock (&h->office->lock);
    jk_outbox_counts_t counts = {0};
    jk_outbox_counts (h->office->outbox, &counts);
    /* The newest 200 entries. */
    uint64_t after = counts.next_seq > 201 ? counts.next_seq - 201 : 0;
    jk_outbox_list (h->office->outbox, states, after, 200, s_entry_row, &r);
    pthread_mutex_unlock (&h->office->lock);
    fputs ("</tbody></table>", o);
    if (r.shown == 0)
        fprintf (o, "<p>%s</p>", TR (h, "Belum ada kiriman.", "No entries."));
    fputs ("</main>", o);
    jk_page_end (h);
}

/* The receipt's proof on its page: proven (with the download), or not
   yet. Under office->lock. */
static void s_entry_proof (jk_http_t *h, const jk_outbox_row_t *row)
{
    jk_courier_state_t cs;
    jk_courier_state (h->office->courier, &cs);
    uint64_t size = 0;
    int rc = jk_proofs_receipt (h->office->outbox, row->seq, &size, NULL);
    if (rc != JK_OK && !cs.proofs)
        return; /* the box proves nothing: no log key */
    FILE *o = h->out;
    fprintf (o, "<dt>%s</dt>", TR (h, "Bukti", "Proof"));
    if (rc != JK_OK) {
        fprintf (o, "<dd id=\"proof\" class=\"proof waiting\">%s</dd>",
                 TR (h, "Bukti belum diperiksa (menunggu checkpoint dinas)",
                     "Proof not checked yet (waiting for the dinas's "
                     "checkpoint)"));
        return;
    }
    char number[32], tree[32];
    s_number_text (row->pos, number);
    s_number_text (size, tree);
    if (h->en)
        fprintf (o,
                 "<dd id=\"proof\" class=\"proof ok\">Proven recorded at "
                 "position %s of the dinas's log (signed checkpoint of %s "
                 "records) ",
                 number, tree);
    else
        fprintf (o,
                 "<dd id=\"proof\" class=\"proof ok\">Terbukti tercatat di "
                 "posisi %s log dinas (checkpoint bertanda tangan, %s "
                 "catatan) ",
                 number, tree);
    fprintf (o,
             "<a id=\"proof-file\" href=\"/outbox/%llu/proof\" "
             "download>%s</a></dd>",
             (unsigned long long)row->seq,
             TR (h, "Unduh berkas bukti", "Download the proof file"));
}

void jk_page_proof (jk_http_t *h, uint64_t seq)
{
    jk_office_app_t *office = h->office;
    char *file = NULL;
    uint64_t size = 0;
    pthread_mutex_lock (&office->lock);
    int rc = jk_proofs_receipt (office->outbox, seq, &size, &file);
    pthread_mutex_unlock (&office->lock);
    h->type = "text/plain; charset=utf-8";
    if (rc != JK_OK || !file) {
        h->code = MHD_HTTP_NOT_FOUND;
        fputs (TR (h, "404 kiriman ini belum punya bukti\n",
                   "404 this entry has no proof yet\n"),
               h->out);
        free (file);
        return;
    }
    fputs (file, h->out);
    free (file);
    char name[JK_SOURCE_MAX + 1];
    snprintf (name, sizeof name, "%s", office->source);
    for (char *p = name; *p; p++)
        if (*p == '/')
            *p = '_';
    snprintf (h->disposition, sizeof h->disposition,
              "attachment; filename=\"bukti-%s-%llu.proof\"", name,
              (unsigned long long)seq);
}

void jk_page_entry (jk_http_t *h, uint64_t seq)
{
    jk_office_app_t *office = h->office;
    pthread_mutex_lock (&office->lock);
    jk_outbox_row_t row;
    if (jk_outbox_get (office->outbox, seq, &row) != JK_OK) {
        pthread_mutex_unlock (&office->lock);
        h->code = MHD_HTTP_NOT_FOUND;
        jk_page_begin (h, "404");
        fprintf (h->out, "<main><p>%s</p></main>",
                 TR (h, "Kiriman ini tidak ada.", "No such entry."));
        jk_page_end (h);
        return;
    }
    const jk_type_t *t = jk_vocabulary_find (row.type, strlen (row.type));
    jk_page_begin (h, TR (h, "Kiriman", "Entry"));
    FILE *o = h->out;
    static const char *cls[] = {"pending", "sent", "stored", "rejected",
                                "quarantined"};
    fprintf (o, "<main><h1>");
    jk_html (o, t ? jk_office_type_label (t, h->en) : row.type);
    char id[37], when[24];
    jk_uuid_format (row.id, id);
    jk_office_time_text (row.created_at, when);
    fprintf (o,
             "</h1><dl class=\"entry\" id=\"entry\" data-state=\"%s\"%s>"
             "<dt>%s</dt><dd id=\"seq\">%llu</dd><dt>%s</dt><dd>%s</dd>"
             "<dt>%s</dt><dd><code>%s</code></dd><dt>%s</dt><dd><span "
             "id=\"state\" class=\"state %s\">%s</span></dd>",
             cls[s_shown (h, row.state)],
             row.state < JK_OUTBOX_STORED ? " data-refresh=\"2000\"" : "",
             TR (h, "Nomor urut", "Seq"), (unsigned long long)row.seq,
             TR (h, "Dicatat", "Entered"), when, TR (h, "Id", "Id"), id,
             TR (h, "Keadaan", "State"), cls[s_shown (h, row.state)],
             jk_office_state_label (s_shown (h, row.state), h->en));
    if (row.origin && *row.origin) {
        /* "FILE:LINE" of an import, "fix:N" of a correction */
        fprintf (o, "<dt>%s</dt><dd id=\"origin\">", TR (h, "Asal", "Origin"));
        jk_html (o, row.origin);
        fputs ("</dd>", o);
    }
    if (row.state == JK_OUTBOX_STORED) {
        char hash[65];
        s_hash_text (&row, hash);
        fprintf (o,
                 "<dt>%s</dt><dd id=\"pos\">%llu</dd><dt>%s</dt><dd><code "
                 "id=\"hash\">%s</code></dd>",
                 TR (h, "Posisi di log dinas", "Position in the dinas log"),
                 (unsigned long long)row.pos,
                 TR (h, "Hash rantai", "Chain hash"), hash);
        s_entry_proof (h, &row);
    }
    bool rejected = row.state == JK_OUTBOX_REJECTED;
    if (rejected) {
        char text[512];
        jk_office_problem_text (row.code, row.message, NULL, h->en, text,
                                sizeof text);
        fprintf (o, "<dt>%s</dt><dd id=\"reason\">",
                 TR (h, "Alasan ditolak", "Why rejected"));
        jk_html (o, text);
        fputs ("</dd>", o);
    }
    fputs ("</dl>", o);
    /* What was entered. */
    jk_event_t *ev = jk_event_decode (row.bytes, row.size, NULL);
    if (ev) {
        fputs ("<table class=\"values\"><tbody>", o);
        for (size_t i = 0; i < ev->type->field_count; i++) {
            const jk_field_t *f = &ev->type->fields[i];
            if (!ev->body[i].present)
                continue;
            char label[64], text[512];
            fputs ("<tr><th>", o);
            jk_html (o, jk_office_field_label (f, h->en, label, sizeof label));
            fputs ("</th><td>", o);
            if (f->format == JK_FORMAT_NIK) {
                char masked[17];
                jk_event_text (ev, f->name, text, sizeof text);
                jk_nik_mask (text, strlen (text), masked);
                jk_html (o, masked);
            } else if (f->kind == JK_KIND_ENUM) {
                char buf[64];
                jk_event_text (ev, f->name, text, sizeof text);
                jk_html (o,
                         jk_office_value_label (text, h->en, buf, sizeof buf));
            } else if (f->kind == JK_KIND_UINT || f->kind == JK_KIND_BOOL)
                fprintf (o, "%lld", (long long)ev->body[i].n);
            else if (f->kind == JK_KIND_DATE) {
                jk_event_text (ev, f->name, text, sizeof text);
                fprintf (o, "%.2s/%.2s/%.4s", text + 8, text + 5, text);
            } else
                jk_html (o, jk_event_text (ev, f->name, text, sizeof text));
            fputs ("</td></tr>", o);
        }
        fputs ("</tbody></table>", o);
        jk_event_destroy (&ev);
    }
    pthread_mutex_unlock (&office->lock);
    if (rejected && t)
        fprintf (o,
                 "<p><a class=\"button\" id=\"fix\" href=\"/form/%s?fix=%llu\">"
                 "%s</a></p>",
                 t->name, (unsigned long long)seq,
                 TR (h, "Perbaiki dan kirim lagi", "Fix and send again"));
    fprintf (o, "<p><a href=\"/receipt?seq=%llu\">%s</a></p></main>",
             (unsigned long long)seq,
             TR (h, "Cetak tanda terima", "Print receipt"));
    jk_page_end (h);
}

/* ---- tanda terima -----------------------------------------------------------
 */

typedef struct {
    jk_http_t *h;
    int32_t day;     /* WIB day of created_at, or -1 */
    const char *key; /* "BATCH|N|" prefix of attendance keys, or NULL */
    uint64_t only;   /* one seq, or 0 */
    size_t shown;
    jk_outbox_t *outbox;
} s_receipt_t;

static int s_receipt_row (void *arg, const jk_outbox_row_t *row)
{
    s_receipt_t *r = (s_receipt_t *)arg;
    if (r->only && row->seq != r->only)
        return 0;
    if (r->day >= 0 && jk_wib_day (row->created_at) != r->day)
        return 0;
    if (r->key) {
        if (strcmp (row->type, "attendance.recorded") != 0)
            return 0;
        jk_event_t *ev = jk_event_decode (row->bytes, row->size, NULL);
        bool match = false;
        if (ev) {
            char batch[64], key[96];
            const jk_value_t *no = jk_event_get (ev, "session_no");
            snprintf (key, sizeof key, "%s|%lld|",
                      jk_event_text (ev, "batch", batch, sizeof batch),
                      (long long)no->n);
            match = strcmp (key, r->key) == 0;
            jk_event_destroy (&ev);
        }
        if (!match)
            return 0;
    }
    s_rows_t rows = {r->h, 0};
    s_entry_row (&rows, row);
    r->shown++;
    return 0;
}

void jk_page_receipt (jk_http_t *h)
{
    s_receipt_t r = {h, -1, NULL, 0, 0, h->office->outbox};
    const char *day = jk_http_query (h, "day");
    const char *batch = jk_http_query (h, "batch");
    const char *session = jk_http_query (h, "session");
    const char *seq = jk_http_query (h, "seq");
    char key[96], title[160], date[16];
    uint64_t n = 0;
    if (batch && session && jk_parse_u64 (session, &n) == JK_OK) {
        snprintf (key, sizeof key, "%s|%llu|", batch, (unsigned long long)n);
        r.key = key;
        snprintf (title, sizeof title, "%s %s, %s %llu",
                  TR (h, "Kehadiran angkatan", "Attendance of batch"), batch,
                  TR (h, "sesi", "session"), (unsigned long long)n);
    } else if (seq && jk_parse_u64 (seq, &r.only) == JK_OK) {
        snprintf (title, sizeof title, "%s %llu", TR (h, "Kiriman", "Entry"),
                  (unsigned long long)r.only);
    } else {
        char wire[16];
        jk_report_t report;
        jk_report_reset (&report);
        static const jk_field_t f = {"day", JK_KIND_DATE,   true, 0,     0,
                                     NULL,  JK_FORMAT_NONE, NULL, "day", NULL,
                                     NULL};
        r.day = jk_wib_day (jk_clock_now_ms ());
        if (day && *day &&
            jk_office_wire_value (&f, day, wire, sizeof wire, &report) == 0) {
            int y, m, d;
            sscanf (wire, "%d-%d-%d", &y, &m, &d);
            r.day = jk_days_from_civil (y, m, d);
        }
        char iso[11];
        jk_date_format (r.day, iso);
        snprintf (date, sizeof date, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
        snprintf (title, sizeof title, "%s %s",
                  TR (h, "Kiriman tanggal", "Entries of"), date);
    }
    jk_page_begin (h, TR (h, "Tanda terima", "Receipt"));
    FILE *o = h->out;
    fprintf (o, "<main class=\"receipt\"><h1>%s</h1><p class=\"sub\">",
             TR (h, "Tanda terima", "Receipt"));
    jk_html (o, title);
    fputs (" &middot; ", o);
    jk_html (o, h->office->source);
    fprintf (o,
             "</p><form method=\"get\" action=\"/receipt\" "
             "class=\"noprint\"><label for=\"day\">%s</label><input id=\"day\" "
             "name=\"day\" placeholder=\"hh/bb/tttt\" value=\"",
             TR (h, "Tanggal", "Date"));
    jk_html (o, day ? day : "");
    fprintf (o,
             "\"><button type=\"submit\">%s</button> <button type=\"button\" "
             "id=\"print\">%s</button></form>",
             TR (h, "Tampilkan", "Show"), TR (h, "Cetak", "Print"));
    s_table_head (h);
    pthread_mutex_lock (&h->office->lock);
    jk_outbox_list (h->office->outbox, 0x1F, 0, 0, s_receipt_row, &r);
    pthread_mutex_unlock (&h->office->lock);
    fprintf (o, "</tbody></table><p id=\"count\" data-count=\"%zu\">%s: %zu",
             r.shown, TR (h, "Jumlah kiriman", "Entries"), r.shown);
    fprintf (o,
             "</p><p class=\"sign\">%s: ______________________ &nbsp; %s: "
             "______________________</p></main>",
             TR (h, "Petugas", "Clerk"), TR (h, "Mengetahui", "Approved"));
    jk_page_end (h);
}

void jk_page_status_json (jk_http_t *h)
{
    jk_office_app_t *office = h->office;
    jk_courier_state_t cs;
    jk_courier_state (office->courier, &cs);
    jk_outbox_counts_t counts = {0};
    pthread_mutex_lock (&office->lock);
    jk_outbox_counts (office->outbox, &counts);
    pthread_mutex_unlock (&office->lock);
    h->type = "application/json; charset=utf-8";
    fprintf (h->out,
             "{\"now_ms\":%lld,\"link_up\":%s,\"last_contact_ms\":%lld,"
             "\"pending\":%llu,\"stored\":%llu,\"rejected\":%llu,"
             "\"next_seq\":%llu,\"lists_synced_ms\":%lld,\"proven\":%llu,"
             "\"fork\":%s}\n",
             (long long)jk_clock_now_ms (), cs.link_up ? "true" : "false",
             (long long)cs.last_contact_ms, (unsigned long long)counts.pending,
             (unsigned long long)counts.stored,
             (unsigned long long)counts.rejected,
             (unsigned long long)counts.next_seq,
             office->picks ? (long long)jk_picks_synced (office->picks) : 0LL,
             (unsigned long long)cs.proven, cs.fork ? "true" : "false");
}
