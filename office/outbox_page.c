/*  outbox_page.c - the office's outbox as its clerks see it: the list of
    entries with their states and receipts, one entry with its receipt,
    and the receipt's proof file. */
#include "office_internal.h"

#include <string.h>

#define S_OUTBOX_SHOWN 200 /* entries on /outbox, the newest */

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

void jk_page_outbox_row (jk_http_t *h, const jk_outbox_row_t *row)
{
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
        jk_office_problem_text (row->code, JK_RULE_ANY, row->message, NULL,
                                h->en, text, sizeof text);
        fputs ("<td class=\"reason\">", o);
        jk_html (o, text);
        fputs ("</td>", o);
    } else
        fputs ("<td></td>", o);
    fputs ("</tr>", o);
}

/* jk_outbox_row_fn: one row of the list, counted. */
static int s_entry_row (void *arg, const jk_outbox_row_t *row)
{
    s_rows_t *r = (s_rows_t *)arg;
    jk_page_outbox_row (r->h, row);
    r->shown++;
    return 0;
}

void jk_page_outbox_head (jk_http_t *h)
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
    jk_page_outbox_head (h);
    s_rows_t r = {h, 0};
    pthread_mutex_lock (&h->office->lock);
    /* The newest S_OUTBOX_SHOWN entries of the states asked for (a
       rejected entry older than the newest entries is still listed
       under ditolak). */
    uint64_t after =
        jk_outbox_newest_after (h->office->outbox, states, S_OUTBOX_SHOWN);
    jk_outbox_list (h->office->outbox, states, after, S_OUTBOX_SHOWN,
                    s_entry_row, &r);
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
    jk_office_number_text (row->pos, number);
    jk_office_number_text (size, tree);
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

/* One value as a clerk reads it: NIKs masked, enum values by label,
   yes/no as Ya/Tidak, dates dd/mm/yyyy. */
static void s_entry_value (jk_http_t *h, const jk_event_t *ev, size_t i)
{
    FILE *o = h->out;
    const jk_field_t *f = &ev->type->fields[i];
    char text[512];
    if (f->format == JK_FORMAT_NIK) {
        char masked[17];
        jk_event_text (ev, f->name, text, sizeof text);
        jk_nik_mask (text, strlen (text), masked);
        jk_html (o, masked);
    } else if (f->kind == JK_KIND_ENUM) {
        char buf[64];
        jk_event_text (ev, f->name, text, sizeof text);
        jk_html (o, jk_office_value_label (text, h->en, buf, sizeof buf));
    } else if (f->kind == JK_KIND_BOOL)
        fputs (jk_office_bool_label (ev->body[i].n != 0, h->en), o);
    else if (f->kind == JK_KIND_UINT)
        fprintf (o, "%lld", (long long)ev->body[i].n);
    else if (f->kind == JK_KIND_DATE) {
        jk_event_text (ev, f->name, text, sizeof text);
        fprintf (o, "%.2s/%.2s/%.4s", text + 8, text + 5, text);
    } else
        jk_html (o, jk_event_text (ev, f->name, text, sizeof text));
}

/* What was entered: a table of the row's event's values. */
static void s_entry_values (jk_http_t *h, const jk_outbox_row_t *row)
{
    FILE *o = h->out;
    jk_event_t *ev = jk_event_decode (row->bytes, row->size, NULL);
    if (!ev)
        return;
    fputs ("<table class=\"values\"><tbody>", o);
    for (size_t i = 0; i < ev->type->field_count; i++) {
        if (!ev->body[i].present)
            continue;
        char label[64];
        fputs ("<tr><th>", o);
        jk_html (o, jk_office_field_label (&ev->type->fields[i], h->en, label,
                                           sizeof label));
        fputs ("</th><td>", o);
        s_entry_value (h, ev, i);
        fputs ("</td></tr>", o);
    }
    fputs ("</tbody></table>", o);
    jk_event_destroy (&ev);
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
        jk_office_problem_text (row.code, JK_RULE_ANY, row.message, NULL, h->en,
                                text, sizeof text);
        fprintf (o, "<dt>%s</dt><dd id=\"reason\">",
                 TR (h, "Alasan ditolak", "Why rejected"));
        jk_html (o, text);
        fputs ("</dd>", o);
    }
    fputs ("</dl>", o);
    s_entry_values (h, &row);
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
