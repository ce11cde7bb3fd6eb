/*  render_term.c - the board as a screen a dinas head reads: per
    kecamatan, running batches, offices, totals and the log head, with
    Indonesian labels and their English, in 100 columns. Plain ANSI (clear,
    home, bold) on a terminal; plain text otherwise. */
#include "status_internal.h"

#include <string.h>

typedef struct {
    FILE *out;
    bool ansi;
} s_screen_t;

static void s_title (s_screen_t *s, const char *text)
{
    if (s->ansi)
        fprintf (s->out, "\033[1m%s\033[0m\n", text);
    else
        fprintf (s->out, "%s\n", text);
}

static void s_header (s_screen_t *s, const char *line1, const char *line2)
{
    if (s->ansi)
        fprintf (s->out, "\033[1m%s\n%s\033[0m\n", line1, line2);
    else
        fprintf (s->out, "%s\n%s\n", line1, line2);
}

/* Writes at most width characters of text padded to width (UTF-8 aware
   enough for names: counts code points); a longer text is cut to width - 1
   and ends in '~', so it never runs into the next column. */
static void s_cell (FILE *out, const char *text, int width)
{
    int shown = 0, length = 0;
    const unsigned char *p = (const unsigned char *)text;
    for (const unsigned char *q = p; *q; q++)
        length += (*q & 0xC0) != 0x80;
    int room = length > width ? width - 1 : width;
    while (*p && shown < room) {
        int n = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        for (int i = 0; i < n && p[i]; i++)
            fputc (p[i], out);
        p += n;
        shown++;
    }
    if (length > width) {
        fputc ('~', out);
        shown++;
    }
    for (; shown < width; shown++)
        fputc (' ', out);
}

/* "12 dtk lalu" style age of a UTC millisecond time: Indonesian words
   only (detik, menit, jam, hari). */
static void s_age (int64_t now_ms, int64_t then_ms, char *out, size_t size)
{
    if (then_ms <= 0) {
        snprintf (out, size, "-");
        return;
    }
    int64_t s = (now_ms - then_ms) / 1000;
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf (out, size, "%lld dtk lalu", (long long)s);
    else if (s < 7200)
        snprintf (out, size, "%lld mnt lalu", (long long)(s / 60));
    else if (s < 172800)
        snprintf (out, size, "%lld jam lalu", (long long)(s / 3600));
    else
        snprintf (out, size, "%lld hari lalu", (long long)(s / 86400));
}

/* The rule behind every "active" figure, printed beside them. */
static void s_rule (s_screen_t *s, const msgpack_object *snap)
{
    const msgpack_object *rule = jk_mp_get (snap, "active_rule");
    char text[512], spec[128];
    jk_mp_str (rule, "text", text, sizeof text);
    jk_mp_str (rule, "spec", spec, sizeof spec);
    if (!text[0])
        return;
    /* Wrapped at 98 columns, words kept whole. */
    char all[700];
    snprintf (all, sizeof all, "Aturan / rule: %s [%s]", text, spec);
    const char *p = all;
    while (*p) {
        size_t n = strlen (p);
        if (n > 98) {
            n = 98;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0)
                n = 98;
        }
        fprintf (s->out, "%s%.*s\n", p == all ? "" : "  ", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

static void s_kecamatan (s_screen_t *s, const jk_status_view_t *view,
                         const msgpack_object *snap, const char *as_of)
{
    const msgpack_object_array *rows = jk_mp_array (snap, "kecamatan");
    char title[160];
    snprintf (title, sizeof title,
              "PER KECAMATAN / per district  (per %s / as of)", as_of);
    s_title (s, title);
    s_rule (s, snap);
    s_header (s,
              "Kode      Kecamatan         Koperasi   Aktif  %Aktif"
              "   Orang  Peserta   Diuji  Kompeten Sertifikat",
              "code      district      cooperatives  active %active"
              "  people enrolled assessed competent    certif.");
    size_t shown = 0, count = rows ? rows->size : 0;
    for (size_t i = 0; i < count; i++) {
        const msgpack_object *k = &rows->ptr[i];
        if (!jk_view_kecamatan_shown (view, k))
            continue;
        /* A province or the country has thousands: list the busy ones. */
        if (count > 40 && jk_mp_u64 (k, "cooperatives") == 0 &&
            jk_mp_u64 (k, "people") == 0)
            continue;
        char code[32], name[64];
        jk_mp_str (k, "code", code, sizeof code);
        jk_mp_str (k, "name", name, sizeof name);
        s_cell (s->out, code, 10);
        s_cell (s->out, name, 16);
        /* % active in the Indonesian form: 57,1 */
        uint64_t reg = jk_mp_u64 (k, "cooperatives");
        uint64_t tenths =
            reg ? (2000 * jk_mp_u64 (k, "active") + reg) / (2 * reg) : 0;
        char pct[48];
        snprintf (pct, sizeof pct, "%llu,%llu",
                  (unsigned long long)(tenths / 10),
                  (unsigned long long)(tenths % 10));
        fprintf (s->out, "%10llu %7llu %7s %7llu %8llu %7llu %9llu %10llu\n",
                 (unsigned long long)reg,
                 (unsigned long long)jk_mp_u64 (k, "active"), pct,
                 (unsigned long long)jk_mp_u64 (k, "people"),
                 (unsigned long long)jk_mp_u64 (k, "enrolled"),
                 (unsigned long long)jk_mp_u64 (k, "assessed"),
                 (unsigned long long)jk_mp_u64 (k, "competent"),
                 (unsigned long long)jk_mp_u64 (k, "certificates"));
        shown++;
    }
    if (shown == 0)
        fprintf (s->out, "  (tidak ada / none)\n");
}

static void s_batches (s_screen_t *s, const jk_status_view_t *view,
                       const msgpack_object *snap, const char *as_of)
{
    const msgpack_object_array *rows = jk_mp_array (snap, "batches");
    char title[160];
    snprintf (title, sizeof title, "%s  (%s)",
              view->all_batches
                  ? "PELATIHAN TERBUKA & BARU SELESAI / open and recently "
                    "finished training batches"
                  : "PELATIHAN BERJALAN / running training batches",
              as_of);
    s_title (s, title);
    char head1[128], head2[128];
    snprintf (head1, sizeof head1, "%-21s%-24s%-18s%7s %14s %10s", "Angkatan",
              "Judul", "Tanggal", "Peserta", "Hadir hari ini", "Kehadiran");
    snprintf (head2, sizeof head2, "%-21s%-24s%-18s%7s %14s %10s", "batch",
              "title", "dates", "enrolled", "present today", "attendance");
    s_header (s, head1, head2);
    size_t shown = 0;
    for (size_t i = 0; rows && i < rows->size; i++) {
        const msgpack_object *b = &rows->ptr[i];
        if (!jk_view_batch_shown (view, b))
            continue;
        char code[64], title_text[128], start[16], end[16];
        jk_mp_str (b, "batch", code, sizeof code);
        jk_mp_str (b, "title", title_text, sizeof title_text);
        jk_mp_str (b, "start_date", start, sizeof start);
        jk_mp_str (b, "end_date", end, sizeof end);
        bool closed = jk_mp_u64 (b, "closed") != 0;
        bool running = strcmp (start, as_of) <= 0 && strcmp (as_of, end) <= 0;
        /* A named batch is shown whatever its dates; --all-batches shows
           every batch of the snapshot (open, and closed in the last 90
           days), the default only those running on the day. */
        bool named = view->batch && *view->batch;
        if (!named && !view->all_batches && (closed || !running))
            continue;
        char dates[48];
        snprintf (dates, sizeof dates, "%s..%s", start,
                  strlen (end) == 10 ? end + 5 : end);
        s_cell (s->out, code, 20);
        fputc (' ', s->out);
        s_cell (s->out, title_text, 23);
        fputc (' ', s->out);
        s_cell (s->out, dates, 17);
        fprintf (s->out, " %7llu %14llu %9.1f%%%s\n",
                 (unsigned long long)jk_mp_u64 (b, "enrolled"),
                 (unsigned long long)jk_mp_u64 (b, "present_today"),
                 jk_mp_num (b, "attendance_pct"), closed ? " ditutup" : "");
        shown++;
    }
    if (shown == 0)
        fprintf (s->out, "  (tidak ada / none)\n");
}

/* One office row: the store's view of a source merged with its agent's
   heartbeat, when one was heard. */
static void s_office_row (s_screen_t *s, const jk_status_view_t *view,
                          const char *source, const msgpack_object *stored,
                          const jk_office_t *office)
{
    char seen[32] = "-", outbox[24] = "-", agent_seq[24] = "-";
    if (office) {
        s_age (view->now_ms, office->last_seen_ms, seen, sizeof seen);
        snprintf (outbox, sizeof outbox, "%llu",
                  (unsigned long long)office->heartbeat.outbox_depth);
        snprintf (agent_seq, sizeof agent_seq, "%llu",
                  (unsigned long long)office->heartbeat.last_stored_seq);
    } else if (stored)
        s_age (view->now_ms, (int64_t)jk_mp_num (stored, "last_recorded_at"),
               seen, sizeof seen);
    uint64_t next = stored ? jk_mp_u64 (stored, "next_seq") : 0;
    s_cell (s->out, source, 29);
    fputc (' ', s->out);
    s_cell (s->out, seen, 12);
    fprintf (s->out, "%7s %11llu %11s %9llu %8llu\n", outbox,
             (unsigned long long)(next > 0 ? next - 1 : 0), agent_seq,
             (unsigned long long)(stored ? jk_mp_u64 (stored, "accepted") : 0),
             (unsigned long long)(stored ? jk_mp_u64 (stored, "rejected") : 0));
}

static void s_sources (s_screen_t *s, const jk_status_view_t *view,
                       const msgpack_object *snap)
{
    const msgpack_object_array *rows = jk_mp_array (snap, "sources");
    s_title (s, "KANTOR / offices");
    s_header (s,
              "Sumber                        Terakhir     Outbox  Seq "
              "urut     Seq kantor  Diterima  Ditolak",
              "source                        last seen   pending  highest "
              "seq  office seq  accepted  rejected");
    size_t shown = 0;
    /* Sources the store knows, then offices only heard on heartbeats. */
    for (size_t i = 0; rows && i < rows->size; i++) {
        char source[JK_SOURCE_MAX + 1];
        jk_mp_str (&rows->ptr[i], "source", source, sizeof source);
        if (!jk_view_source_shown (view, source))
            continue;
        const jk_office_t *office = NULL;
        for (size_t j = 0; j < view->office_count; j++)
            if (strcmp (view->offices[j].heartbeat.source, source) == 0)
                office = &view->offices[j];
        s_office_row (s, view, source, &rows->ptr[i], office);
        shown++;
    }
    for (size_t j = 0; j < view->office_count; j++) {
        const jk_office_t *office = &view->offices[j];
        bool known = false;
        for (size_t i = 0; rows && i < rows->size && !known; i++) {
            char source[JK_SOURCE_MAX + 1];
            jk_mp_str (&rows->ptr[i], "source", source, sizeof source);
            known = strcmp (source, office->heartbeat.source) == 0;
        }
        if (known || !jk_view_source_shown (view, office->heartbeat.source))
            continue;
        s_office_row (s, view, office->heartbeat.source, NULL, office);
        shown++;
    }
    if (shown == 0)
        fprintf (s->out, "  (tidak ada / none)\n");
}

static void s_totals (s_screen_t *s, const msgpack_object *snap)
{
    const msgpack_object *t = jk_mp_get (snap, "totals");
    s_title (s, "JUMLAH / totals");
    fprintf (s->out,
             "Koperasi terdaftar / registered %llu   aktif / active %llu   "
             "orang / people %llu\n"
             "Peserta / enrolled %llu   diuji / assessed %llu   kompeten / "
             "competent %llu\n"
             "Sertifikat / certificates %llu (berlaku / valid %llu)   "
             "ditolak / rejected submissions %llu\n"
             "RAT tepat waktu tahun buku %llu / RAT on time for book year: "
             "%llu (diadakan / held %llu)\n",
             (unsigned long long)jk_mp_u64 (t, "cooperatives"),
             (unsigned long long)jk_mp_u64 (t, "active"),
             (unsigned long long)jk_mp_u64 (t, "people"),
             (unsigned long long)jk_mp_u64 (t, "enrolled"),
             (unsigned long long)jk_mp_u64 (t, "assessed"),
             (unsigned long long)jk_mp_u64 (t, "competent"),
             (unsigned long long)jk_mp_u64 (t, "certificates"),
             (unsigned long long)jk_mp_u64 (t, "certificates_valid"),
             (unsigned long long)jk_mp_u64 (t, "rejections"),
             (unsigned long long)jk_mp_u64 (t, "rat_book_year"),
             (unsigned long long)jk_mp_u64 (t, "rat_on_time"),
             (unsigned long long)jk_mp_u64 (t, "rat_held"));
    s_rule (s, snap);
}

/* The federation links (upstream from this hub, or in from the
   regencies), when the board was given one (--link). */
static void s_links (s_screen_t *s, const jk_status_view_t *view)
{
    jk_link_row_t links[64];
    size_t count = jk_view_links (view->link, links, 64);
    if (!view->link)
        return;
    s_title (s, "TAUTAN / links   wilayah  status      posisi / position"
                "      tertinggal / behind");
    for (size_t i = 0; i < count; i++) {
        const jk_link_row_t *l = &links[i];
        fprintf (s->out,
                 "  %-8s %-18s %llu / %llu   %llu catatan / records, "
                 "%lld,%lld dtk\n",
                 l->area, l->up ? "tersambung / up" : "putus / down",
                 (unsigned long long)l->cursor, (unsigned long long)l->head,
                 (unsigned long long)l->lag, (long long)(l->lag_ms / 1000),
                 (long long)(l->lag_ms % 1000 / 100));
    }
    if (count == 0)
        fprintf (s->out,
                 "  (tautan tidak menjawab / the link did not answer)\n");
    fputc ('\n', s->out);
}

int jk_render_term (FILE *out, const jk_status_view_t *view, bool ansi)
{
    s_screen_t s = {out, ansi};
    if (ansi)
        fputs ("\033[H\033[2J", out);
    msgpack_unpacked result;
    const msgpack_object *snap = jk_view_snapshot (view, &result);
    if (!snap) {
        msgpack_unpacked_destroy (&result);
        fprintf (out, "jejak-status: the snapshot could not be read\n");
        return -1;
    }
    char as_of[16];
    jk_mp_str (snap, "as_of", as_of, sizeof as_of);

    char hash[65] = "";
    if (view->hash)
        jk_hex_format (view->hash, 32, hash);
    hash[16] = 0;
    char line[200];
    snprintf (line, sizeof line,
              "JEJAK - Status Koperasi & Pelatihan / live status   per %s WIB"
              "   [%s]",
              as_of, view->state ? view->state : "");
    s_title (&s, line);
    fprintf (out, "Log: posisi / position %llu  head %llu  hash %s%s\n",
             (unsigned long long)view->pos, (unsigned long long)view->head,
             hash[0] ? hash : "-",
             view->head > view->pos ? "  (mengejar / catching up)" : "");
    if (view->note && *view->note) {
        char note[200];
        jk_status_mask_niks (view->note, strlen (view->note), note,
                             sizeof note);
        fprintf (out, "%s%s%s\n", ansi ? "\033[1m! " : "! ", note,
                 ansi ? "\033[0m" : "");
    }
    fputc ('\n', out);
    s_links (&s, view);
    s_kecamatan (&s, view, snap, as_of);
    fputc ('\n', out);
    s_batches (&s, view, snap, as_of);
    fputc ('\n', out);
    s_sources (&s, view, snap);
    fputc ('\n', out);
    s_totals (&s, snap);
    msgpack_unpacked_destroy (&result);
    fflush (out);
    return 0;
}
