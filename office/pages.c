/*  pages.c - jejak-office's pages other than the forms: the frame (head,
    navigation, status strip), home and status.json (the outbox's pages:
    outbox_page.c; the tanda terima: receipt_page.c). */
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
void jk_office_number (FILE *o, uint64_t n)
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
void jk_office_number_text (uint64_t n, char out[32])
{
    char *text = NULL;
    size_t size = 0;
    FILE *o = open_memstream (&text, &size);
    if (o) {
        jk_office_number (o, n);
        fclose (o);
    }
    snprintf (out, 32, "%s", text ? text : "");
    free (text);
}

/* The courier's link and the outbox's counts, as the strip and
   /status.json show them. */
static void s_link_state (jk_office_app_t *office, jk_courier_state_t *cs,
                          jk_outbox_counts_t *counts)
{
    jk_courier_state (office->courier, cs);
    *counts = (jk_outbox_counts_t){0};
    pthread_mutex_lock (&office->lock);
    jk_outbox_counts (office->outbox, counts);
    pthread_mutex_unlock (&office->lock);
}

void jk_page_strip (jk_http_t *h)
{
    jk_courier_state_t cs;
    jk_outbox_counts_t counts;
    s_link_state (h->office, &cs, &counts);
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
    jk_office_number (o, counts.pending);
    fprintf (
        o, "</span> <span id=\"rejected\">%s: ", TR (h, "Ditolak", "Rejected"));
    jk_office_number (o, counts.rejected);
    fprintf (o,
             "</span> <span id=\"clock\" class=\"warn\" hidden "
             "data-text=\"%s\"></span></div>",
             TR (h,
                 "Jam kotak ini berbeda %s menit dari jam komputer Anda: "
                 "periksa jam kotak.",
                 "This box's clock is %s minutes off your computer's: "
                 "check the box's clock."));
}

/* Writes text percent-encoded (RFC 3986: all but unreserved bytes). */
static void s_percent (FILE *o, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr ("-._~", *p))
            fputc (*p, o);
        else
            fprintf (o, "%%%02X", *p);
}

/* One query argument of the page's address, percent-encoded, onto the
   memstream of cls. */
static enum MHD_Result s_query_arg (void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value)
{
    (void)kind;
    FILE *q = (FILE *)cls;
    fputc (ftell (q) ? '&' : '?', q);
    s_percent (q, key);
    if (value) {
        fputc ('=', q);
        s_percent (q, value);
    }
    return MHD_YES;
}

/* The page's own address, its query included (/outbox?state=rejected),
   as one query value: where /lang goes back to. */
static void s_here (jk_http_t *h, FILE *o)
{
    char *query = NULL;
    size_t size = 0;
    FILE *q = open_memstream (&query, &size);
    if (h->conn)
        MHD_get_connection_values (h->conn, MHD_GET_ARGUMENT_KIND, s_query_arg,
                                   q);
    fclose (q);
    char *here = jk_sprintf ("%s%s", h->url, query);
    free (query);
    /* A redirect holds at most 511 bytes: a longer address goes back to
       its page without the query. */
    s_percent (o, strlen (here) < sizeof h->location ? here : h->url);
    free (here);
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
    s_here (h, o);
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

void jk_page_status_json (jk_http_t *h)
{
    jk_courier_state_t cs;
    jk_outbox_counts_t counts;
    s_link_state (h->office, &cs, &counts);
    h->type = "application/json; charset=utf-8";
    fprintf (
        h->out,
        "{\"now_ms\":%lld,\"link_up\":%s,\"last_contact_ms\":%lld,"
        "\"pending\":%llu,\"stored\":%llu,\"rejected\":%llu,"
        "\"next_seq\":%llu,\"lists_synced_ms\":%lld,\"proven\":%llu,"
        "\"fork\":%s}\n",
        (long long)jk_clock_now_ms (), cs.link_up ? "true" : "false",
        (long long)cs.last_contact_ms, (unsigned long long)counts.pending,
        (unsigned long long)counts.stored, (unsigned long long)counts.rejected,
        (unsigned long long)counts.next_seq,
        h->office->picks ? (long long)jk_picks_synced (h->office->picks) : 0LL,
        (unsigned long long)cs.proven, cs.fork ? "true" : "false");
}
