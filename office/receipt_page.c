/*  receipt_page.c - the printable tanda terima: the entries of a day, of
    one attendance session or one entry, with their receipts, to sign. */
#include "office_internal.h"

#include <stdio.h>
#include <string.h>

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
    jk_page_outbox_row (r->h, row);
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
    jk_page_outbox_head (h);
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
