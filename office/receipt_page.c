/*  receipt_page.c - the printable tanda terima: the entries of a day, of
    one attendance session or one entry, with their receipts, to sign. */
#include "office_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- tanda terima -----------------------------------------------------------
 */

typedef struct {
    jk_http_t *h;
    bool by_day;     /* only the entries made on day */
    int32_t day;     /* WIB day of created_at */
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
    if (r->by_day && jk_wib_day (row->created_at) != r->day)
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
    jk_page_outbox_row (r->h, row);
    r->shown++;
    return 0;
}

/* What the receipt lists, from ?batch=&session=, ?seq= or ?day= (else
   today's entries) into r and title; NULL, or the reason a value given
   is not one (nothing is listed then, 400). */
static const char *s_receipt_of (jk_http_t *h, s_receipt_t *r, char *key,
                                 size_t key_size, char *title,
                                 size_t title_size)
{
    const char *day = jk_http_query (h, "day");
    const char *batch = jk_http_query (h, "batch");
    const char *session = jk_http_query (h, "session");
    const char *seq = jk_http_query (h, "seq");
    uint64_t n = 0;
    if (batch || session) {
        if (!batch || !*batch || !session ||
            jk_parse_u64 (session, &n) != JK_OK || n == 0)
            return TR (h,
                       "Tanda terima kehadiran perlu kode angkatan (batch) "
                       "dan nomor sesi (session, angka mulai 1).",
                       "An attendance receipt needs the batch code (batch) "
                       "and the session number (session, from 1).");
        snprintf (key, key_size, "%s|%llu|", batch, (unsigned long long)n);
        r->key = key;
        snprintf (title, title_size, "%s %s, %s %llu",
                  TR (h, "Kehadiran angkatan", "Attendance of batch"), batch,
                  TR (h, "sesi", "session"), (unsigned long long)n);
        return NULL;
    }
    if (seq) {
        if (jk_parse_u64 (seq, &r->only) != JK_OK || r->only == 0)
            return TR (h, "Nomor kiriman (seq) harus angka mulai 1.",
                       "The entry number (seq) must be a number from 1.");
        snprintf (title, title_size, "%s %llu", TR (h, "Kiriman", "Entry"),
                  (unsigned long long)r->only);
        return NULL;
    }
    r->by_day = true;
    r->day = jk_wib_day (jk_clock_now_ms ());
    if (day && *day) {
        char wire[16];
        jk_report_t report;
        jk_report_reset (&report);
        static const jk_field_t f = {"day", JK_KIND_DATE, true,           0,
                                     0,     NULL,         JK_FORMAT_NONE, NULL,
                                     "day", NULL,         NULL,           0};
        if (jk_office_wire_value (&f, day, wire, sizeof wire, &report) != 0)
            return TR (h,
                       "Tanggal tidak dikenali: tulis hh/bb/tttt (mis. "
                       "31/12/2022).",
                       "Not a date: write dd/mm/yyyy (e.g. 31/12/2022).");
        int y, m, d;
        sscanf (wire, "%d-%d-%d", &y, &m, &d);
        r->day = jk_days_from_civil (y, m, d);
    }
    char iso[11];
    jk_date_format (r->day, iso);
    snprintf (title, title_size, "%s %.2s/%.2s/%.4s",
              TR (h, "Kiriman tanggal", "Entries of"), iso + 8, iso + 5, iso);
    return NULL;
}

void jk_page_receipt (jk_http_t *h)
{
    s_receipt_t r = {.h = h, .outbox = h->office->outbox};
    const char *day = jk_http_query (h, "day");
    char key[96], title[160] = "";
    const char *bad =
        s_receipt_of (h, &r, key, sizeof key, title, sizeof title);
    if (bad)
        h->code = MHD_HTTP_BAD_REQUEST;
    jk_page_begin (h, TR (h, "Tanda terima", "Receipt"));
    FILE *o = h->out;
    fprintf (o, "<main class=\"receipt\"><h1>%s</h1><p class=\"sub\">",
             TR (h, "Tanda terima", "Receipt"));
    if (!bad) {
        jk_html (o, title);
        fputs (" &middot; ", o);
    }
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
    if (bad) {
        fputs ("<p class=\"error\" role=\"alert\" id=\"receipt-error\">", o);
        jk_html (o, bad);
        fputs ("</p>", o);
    }
    jk_page_outbox_head (h);
    if (!bad) {
        pthread_mutex_lock (&h->office->lock);
        jk_outbox_list (h->office->outbox, 0x1F, 0, 0, s_receipt_row, &r);
        pthread_mutex_unlock (&h->office->lock);
    }
    char shown[32];
    jk_office_count_text (r.shown, h->en, shown);
    fprintf (o, "</tbody></table><p id=\"count\" data-count=\"%zu\">%s: %s",
             r.shown, TR (h, "Jumlah kiriman", "Entries"), shown);
    fprintf (o,
             "</p><p class=\"sign\">%s: ______________________ &nbsp; %s: "
             "______________________</p></main>",
             TR (h, "Petugas", "Clerk"), TR (h, "Mengetahui", "Approved"));
    jk_page_end (h);
}
