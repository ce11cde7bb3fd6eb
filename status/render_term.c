/*  render_term.c - the board as a screen a dinas head reads: per
    kecamatan, running batches, offices, totals and the log head, with
    Indonesian labels and their English, in pages of 80 columns by 24
    lines (an 80 x 24 terminal shows one page whole). The sections are
    written as lines first, headings marked; the pager then cuts them
    into pages, repeats a cut table's heading and the board's header on
    every page, and clips every line to 80 columns on a character
    boundary. Plain ANSI (clear, home, bold) on a terminal; plain text
    otherwise. */
#include "status_internal.h"

#include <stdarg.h>
#include <string.h>

#define S_ROWS 24

typedef struct {
    FILE *out;
} s_screen_t;

static void s_title (s_screen_t *s, const char *text)
{
    fprintf (s->out, "%c%s\n", JK_MARK_TITLE, text);
}

static void s_header (s_screen_t *s, const char *line1, const char *line2)
{
    fprintf (s->out, "%c%s\n%c%s\n", JK_MARK_HEAD, line1, JK_MARK_HEAD, line2);
}

static void s_cell (FILE *out, const char *text, int width)
{
    jk_term_cut (out, text, strlen (text), width, true);
}

/* Display columns of UTF-8 text (its code points). */
static size_t s_columns (const char *text)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        chars += (*p & 0xC0) != 0x80;
    return chars;
}

/* A line in two parts: "first" sep "second" on one line when that fits
   in the screen's 80 columns, else "second" on a line of its own after
   indent (wide figures: a line's end is never cut off). */
static void s_line2 (FILE *out, const char *first, const char *sep,
                     const char *second, const char *indent)
{
    if (s_columns (first) + s_columns (sep) + s_columns (second) <=
        JK_TERM_WIDTH)
        fprintf (out, "%s%s%s\n", first, sep, second);
    else
        fprintf (out, "%s\n%s%s\n", first, indent, second);
}

/* "12 dtk lalu" style age of a UTC millisecond time: Indonesian words
   only (detik, menit, jam, hari); whole units rounded down, seconds under
   2 minutes, minutes under 2 hours, hours under 2 days, then days. The
   web page's ago () in app.js follows the same rule. */
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
    /* Wrapped at 78 columns, words kept whole. */
    char all[700];
    snprintf (all, sizeof all, "Aturan / rule: %s [%s]", text, spec);
    const char *p = all;
    while (*p) {
        size_t n = strlen (p);
        if (n > 78) {
            n = 78;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0)
                n = 78;
        }
        fprintf (s->out, "%s%.*s\n", p == all ? "" : "  ", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

/* YYYY-MM-DD as DD/MM/YYYY (as it is when it is not a date). */
static void s_day (const char *iso, char out[16])
{
    if (strlen (iso) == 10)
        snprintf (out, 16, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
    else
        snprintf (out, 16, "%s", iso);
}

static void s_kecamatan (s_screen_t *s, const jk_status_view_t *view,
                         const msgpack_object *snap, const char *as_of)
{
    const msgpack_object_array *rows = jk_mp_array (snap, "kecamatan");
    char title[160];
    char day[16];
    s_day (as_of, day);
    snprintf (title, sizeof title,
              "PER KECAMATAN / per district  (per %s / as of)", day);
    s_title (s, title);
    s_rule (s, snap);
    char head1[96], head2[96];
    snprintf (head1, sizeof head1, "%-9s%-15s%5s %5s %6s %6s %7s %6s %5s %5s",
              "Kode", "Kecamatan", "Kop.", "Aktif", "%Aktif", "Orang",
              "Peserta", "Diuji", "Komp.", "Sert.");
    snprintf (head2, sizeof head2, "%-9s%-15s%5s %5s %6s %6s %7s %6s %5s %5s",
              "code", "district", "coop.", "activ", "%act.", "people", "enrol.",
              "tested", "comp.", "cert.");
    s_header (s, head1, head2);
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
        s_cell (s->out, code, 9);
        s_cell (s->out, name, 14);
        /* % active in the Indonesian form: 57,1 */
        uint64_t reg = jk_mp_u64 (k, "cooperatives");
        uint64_t tenths =
            reg ? (2000 * jk_mp_u64 (k, "active") + reg) / (2 * reg) : 0;
        char pct[48];
        snprintf (pct, sizeof pct, "%llu,%llu",
                  (unsigned long long)(tenths / 10),
                  (unsigned long long)(tenths % 10));
        fprintf (s->out, " %5llu %5llu %6s %6llu %7llu %6llu %5llu %5llu\n",
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

/* True when the batch runs on the day: not closed, start <= day <= end. */
static bool s_batch_running (const msgpack_object *b, const char *as_of)
{
    char start[16], end[16];
    jk_mp_str (b, "start_date", start, sizeof start);
    jk_mp_str (b, "end_date", end, sizeof end);
    return jk_mp_u64 (b, "closed") == 0 && strcmp (start, as_of) <= 0 &&
           strcmp (as_of, end) <= 0;
}

static void s_batches (s_screen_t *s, const jk_status_view_t *view,
                       const msgpack_object *snap, const char *as_of)
{
    const msgpack_object_array *rows = jk_mp_array (snap, "batches");
    char day[16];
    s_day (as_of, day);
    /* A batch --batch names stands under the title it has without
       --batch: one running on the day under the running batches', any
       other (closed, or open outside its dates) under --all-batches'. */
    const msgpack_object *named = jk_view_named_batch (view, snap);
    bool others =
        view->all_batches || (named && !s_batch_running (named, as_of));
    /* Both languages and the day are wider than the screen for the
       others' title: its English stands on a line of its own, under the
       Indonesian (as the note's does), a heading line repeated with it. */
    char title[160];
    snprintf (title, sizeof title, "%s  (%s)",
              others ? "PELATIHAN TERBUKA & BARU SELESAI"
                     : "PELATIHAN BERJALAN / running training batches",
              day);
    s_title (s, title);
    if (others)
        fprintf (s->out, "%c/ open and recently finished training batches\n",
                 JK_MARK_HEAD);
    char head1[96], head2[96];
    snprintf (head1, sizeof head1, "%-19s%-16s%-13s%7s %6s %9s", "Angkatan",
              "Judul", "Tanggal", "Peserta", "Hadir", "Kehadiran");
    snprintf (head2, sizeof head2, "%-19s%-16s%-13s%7s %6s %9s", "batch",
              "title", "dates", "enrol.", "today", "attend.");
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
        /* A named batch is shown whatever its dates; --all-batches shows
           every batch of the snapshot (open, and closed in the last 90
           days), the default only those running on the day. */
        if (!named && !view->all_batches && !s_batch_running (b, as_of))
            continue;
        /* DD/MM..DD/MM: the year is the batch's (and in its code). */
        char dates[48];
        if (strlen (start) == 10 && strlen (end) == 10)
            snprintf (dates, sizeof dates, "%.2s/%.2s..%.2s/%.2s", start + 8,
                      start + 5, end + 8, end + 5);
        else
            snprintf (dates, sizeof dates, "%s..%s", start, end);
        s_cell (s->out, code, 18);
        fputc (' ', s->out);
        s_cell (s->out, title_text, 15);
        fputc (' ', s->out);
        s_cell (s->out, dates, 12);
        /* 44,4 % in the Indonesian form. */
        long tenths = (long)(jk_mp_num (b, "attendance_pct") * 10 + 0.5);
        char pct[48];
        snprintf (pct, sizeof pct, "%ld,%ld %%", tenths / 10, tenths % 10);
        fprintf (s->out, " %7llu %6llu %9s%s\n",
                 (unsigned long long)jk_mp_u64 (b, "enrolled"),
                 (unsigned long long)jk_mp_u64 (b, "present_today"), pct,
                 closed ? " ditutup" : "");
        shown++;
    }
    if (view->batch && *view->batch && !named) {
        /* Not in the snapshot: the board shows it once it is recorded. */
        char code[128];
        jk_status_mask_niks (view->batch, strlen (view->batch), code,
                             sizeof code);
        fprintf (s->out,
                 "  Angkatan %s belum tercatat\n"
                 "  / Batch %s is not recorded (yet)\n",
                 code, code);
    } else if (shown == 0)
        fprintf (s->out, "  (tidak ada / none)\n");
}

/* One office row: the store's view of a source merged with its agent's
   heartbeat, when one was heard. */
static uint64_t s_office_row (s_screen_t *s, const jk_status_view_t *view,
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
    s_cell (s->out, source, 24);
    fputc (' ', s->out);
    /* Last seen and the outbox share 18 columns: beside a six-digit
       outbox the last seen is cut to 11 so a space stays between. */
    int wide = strlen (outbox) >= 6;
    s_cell (s->out, seen, 12 - wide);
    if (wide)
        fputc (' ', s->out);
    uint64_t behind = jk_view_behind (view, stored, office);
    fprintf (s->out, "%6s %8llu %8s %8llu %7llu%s\n", outbox,
             (unsigned long long)(next > 0 ? next - 1 : 0), agent_seq,
             (unsigned long long)(stored ? jk_mp_u64 (stored, "accepted") : 0),
             (unsigned long long)(stored ? jk_mp_u64 (stored, "rejected") : 0),
             behind ? " !" : "");
    return behind ? 1 : 0;
}

static void s_sources (s_screen_t *s, const jk_status_view_t *view,
                       const msgpack_object *snap)
{
    const msgpack_object_array *rows = jk_mp_array (snap, "sources");
    s_title (s, "KANTOR / offices");
    char head1[96], head2[96];
    snprintf (head1, sizeof head1, "%-25s%-12s%6s %8s %8s %8s %7s", "Sumber",
              "Terakhir", "Outbox", "Seq log", "Seq ktr", "Diterima",
              "Ditolak");
    snprintf (head2, sizeof head2, "%-25s%-12s%6s %8s %8s %8s %7s", "source",
              "last seen", "queue", "stored", "office", "accepted", "reject.");
    s_header (s, head1, head2);
    size_t shown = 0;
    uint64_t behind = 0;
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
        behind += s_office_row (s, view, source, &rows->ptr[i], office);
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
        behind +=
            s_office_row (s, view, office->heartbeat.source, NULL, office);
        shown++;
    }
    if (shown == 0)
        fprintf (s->out, "  (tidak ada / none)\n");
    if (behind)
        fprintf (s->out,
                 "! %llu kantor mencatat lebih banyak dari log / %llu "
                 "office(s) ahead of the log:\n  data hilang dari basis "
                 "data? jalankan / run jejak-replay verify\n",
                 (unsigned long long)behind, (unsigned long long)behind);
}

/* A totals line: the first part as format says, then "label value"
   after sep, or on a line of its own when the whole is too wide. */
static void s_total_line (FILE *out, const char *sep, const char *label,
                          unsigned long long value, const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));

static void s_total_line (FILE *out, const char *sep, const char *label,
                          unsigned long long value, const char *format, ...)
{
    char first[160], second[96];
    va_list args;
    va_start (args, format);
    vsnprintf (first, sizeof first, format, args);
    va_end (args);
    snprintf (second, sizeof second, "%s %llu", label, value);
    s_line2 (out, first, sep, second, "  ");
}

static void s_totals (s_screen_t *s, const msgpack_object *snap)
{
    const msgpack_object *t = jk_mp_get (snap, "totals");
#define S_N(key) ((unsigned long long)jk_mp_u64 (t, key))
    s_title (s, "JUMLAH / totals");
    /* Each line whole: with a country's figures its last part goes on
       a line of its own. */
    s_total_line (s->out, "   ", "orang / people", S_N ("people"),
                  "Koperasi terdaftar / registered %llu   aktif / active %llu",
                  S_N ("cooperatives"), S_N ("active"));
    s_total_line (s->out, "   ", "kompeten / competent", S_N ("competent"),
                  "Peserta / enrolled %llu   diuji / assessed %llu",
                  S_N ("enrolled"), S_N ("assessed"));
    fprintf (s->out,
             "Sertifikat / certificates %llu (berlaku / valid %llu)\n"
             "Kiriman ditolak / rejected submissions %llu\n",
             S_N ("certificates"), S_N ("certificates_valid"),
             S_N ("rejections"));
    s_total_line (s->out, " ", "diadakan / held", S_N ("rat_held"),
                  "RAT tahun buku %llu / book year: tepat waktu / on time "
                  "%llu,",
                  S_N ("rat_book_year"), S_N ("rat_on_time"));
    s_total_line (s->out, " ", "selesai / resolved", S_N ("quality_resolved"),
                  "Kualitas data / data quality: terbuka / open %llu,",
                  S_N ("quality_open"));
#undef S_N
    const msgpack_object *rule = jk_mp_get (snap, "active_rule");
    char spec[128];
    jk_mp_str (rule, "spec", spec, sizeof spec);
    if (spec[0])
        s_line2 (s->out, "Aturan aktif / active rule:", " ", spec, "  ");
}

/* The federation links (upstream from this hub, or in from the
   regencies), when the board was given one (--link). */
static void s_links (s_screen_t *s, const jk_status_view_t *view)
{
    jk_link_row_t links[64];
    size_t count = jk_view_links (view->link, links, 64);
    if (!view->link)
        return;
    s_title (s, "TAUTAN / links  wilayah  status      posisi / position"
                "  tertinggal / behind");
    for (size_t i = 0; i < count; i++) {
        const jk_link_row_t *l = &links[i];
        char *where = jk_sprintf ("  %-8s %-18s %llu / %llu", l->area,
                                  l->up ? "tersambung / up" : "putus / down",
                                  (unsigned long long)l->cursor,
                                  (unsigned long long)l->head);
        char *behind = jk_sprintf (
            "%llu catatan / records, %lld,%lld dtk", (unsigned long long)l->lag,
            (long long)(l->lag_ms / 1000), (long long)(l->lag_ms % 1000 / 100));
        /* Under the state column when the positions are long. */
        s_line2 (s->out, where, "   ", behind, "           ");
        free (where);
        free (behind);
    }
    if (count == 0)
        fprintf (s->out,
                 "  (tautan tidak menjawab / the link did not answer)\n");
}

/* The note, in Indonesian then English: "! id / en" on one line, or
   "! id" and "  / en" on two when one would be wider than the screen
   (each then cut to it by the pager). */
static void s_note (FILE *head, const jk_status_note_t *note)
{
    char id[JK_STATUS_NOTE_TEXT_MAX], en[JK_STATUS_NOTE_TEXT_MAX];
    if (!*jk_status_note_text (note, false, id, sizeof id))
        return;
    jk_status_note_text (note, true, en, sizeof en);
    char *line = jk_sprintf ("! %s / %s", id, en);
    if (s_columns (line) > JK_TERM_WIDTH) {
        free (line);
        line = jk_sprintf ("! %s\n%c  / %s", id, JK_MARK_HEAD, en);
    }
    char masked[3 * JK_STATUS_NOTE_TEXT_MAX];
    jk_status_mask_niks (line, strlen (line), masked, sizeof masked);
    fprintf (head, "%c%s\n", JK_MARK_HEAD, masked);
    free (line);
}

/* The board's state as the header shows it: Indonesian / English, and
   short enough that the title line stays within 80 columns (the JSON's
   state keeps the words it is given; the position and head are on the
   line below). */
static const char *s_state_label (const char *state)
{
    static const struct {
        const char *prefix, *label;
    } labels[] = {
        {"live", "langsung / live"},
        {"starting", "memulai / starting"},
        {"catching up", "mengejar / catching up"},
        {"snapshot", "cuplikan / snapshot"},
        {"as-of", "per tanggal / as of"},
        {"feed terputus", "terputus / no feed"},
        {"store tidak menjawab", "store diam / no store"},
    };
    if (!state)
        return "";
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strncmp (state, labels[i].prefix, strlen (labels[i].prefix)) == 0)
            return labels[i].label;
    return state;
}

/* The board's header, on every page: title, log position, the note. */
static char *s_head_text (const jk_status_view_t *view, const char *day)
{
    char *text = NULL;
    size_t size = 0;
    FILE *head = open_memstream (&text, &size);
    char hash[65] = "";
    if (view->hash)
        jk_hex_format (view->hash, 32, hash);
    hash[16] = 0;
    fprintf (head, "%cJEJAK - Status Koperasi & Pelatihan per %s WIB [%s]\n",
             JK_MARK_TITLE, day, s_state_label (view->state));
    /* Behind the head: said at the line's end when it fits, else on a
       line of its own under it (with the hash's 16 digits it never
       fits). */
    char log[128];
    snprintf (log, sizeof log,
              "Log: posisi / position %llu  head %llu  hash %s",
              (unsigned long long)view->pos, (unsigned long long)view->head,
              hash[0] ? hash : "-");
    if (view->head > view->pos)
        s_line2 (head, log, "  ", "(mengejar / catching up)", "  ");
    else
        fprintf (head, "%s\n", log);
    s_note (head, view->note);
    fclose (head);
    return text;
}

/* The fork alarm in full (bold red on a terminal), else the checkpoint
   line, above the page right after the clear: wrapped at spaces to
   JK_TERM_WIDTH columns (a longer word is cut between characters).
   Returns the rows it took. */
static int s_checkpoint_lines (FILE *out, const jk_status_view_t *view,
                               bool ansi)
{
    char *line = NULL;
    if (view->alarm && *view->alarm)
        line = jk_sprintf ("!!! %s !!!", view->alarm);
    else if (view->checkpoint)
        line = jk_sprintf ("Checkpoint: %llu catatan terverifikasi (tanda "
                           "tangan dan konsistensi) / verified",
                           (unsigned long long)view->checkpoint);
    if (!line)
        return 0;
    bool red = ansi && view->alarm && *view->alarm;
    int rows = 0;
    for (const char *p = line; *p; rows++) {
        size_t len = 0, cut = 0;
        for (int chars = 0; p[len] && chars < JK_TERM_WIDTH; chars++) {
            len++;
            while (((unsigned char)p[len] & 0xC0) == 0x80)
                len++;
            if (p[len] == ' ' || !p[len])
                cut = len;
        }
        if (!cut)
            cut = len;
        fprintf (out, "%s%.*s%s\n", red ? "\033[1;31m" : "", (int)cut, p,
                 red ? "\033[0m" : "");
        for (p += cut; *p == ' '; p++)
            ;
    }
    free (line);
    return rows;
}

/* The board's body: links, kecamatan, batches, sources, totals. */
static char *s_body_text (const jk_status_view_t *view,
                          const msgpack_object *snap, const char *as_of)
{
    char *text = NULL;
    size_t size = 0;
    FILE *body = open_memstream (&text, &size);
    s_screen_t s = {body};
    fputc ('\n', body);
    s_links (&s, view);
    if (view->link)
        fputc ('\n', body);
    s_kecamatan (&s, view, snap, as_of);
    fputc ('\n', body);
    s_batches (&s, view, snap, as_of);
    fputc ('\n', body);
    s_sources (&s, view, snap);
    fputc ('\n', body);
    s_totals (&s, snap);
    fclose (body);
    return text;
}

int jk_render_term (FILE *out, const jk_status_view_t *view, bool ansi)
{
    msgpack_unpacked result;
    const msgpack_object *snap = jk_view_snapshot (view, &result);
    if (!snap) {
        msgpack_unpacked_destroy (&result);
        if (ansi)
            fputs ("\033[H\033[2J", out);
        fprintf (out, "jejak-status: the snapshot could not be read\n");
        return JK_INVALID;
    }
    char as_of[16], day[16];
    jk_mp_str (snap, "as_of", as_of, sizeof as_of);
    s_day (as_of, day);
    char *head_text = s_head_text (view, day);
    char *body_text = s_body_text (view, snap, as_of);
    msgpack_unpacked_destroy (&result);

    size_t head_count, body_count;
    jk_pager_line_t *heads = jk_pager_lines (head_text, &head_count);
    jk_pager_line_t *lines = jk_pager_lines (body_text, &body_count);
    /* The clear first: what goes above the page is not wiped. */
    if (ansi)
        fputs ("\033[H\033[2J", out);
    int above = s_checkpoint_lines (out, view, ansi);
    int rows = view->rows >= 10 ? view->rows : S_ROWS;
    int room = rows - above - (int)head_count - 1; /* the footer */
    size_t *starts = NULL;
    int pages = jk_pager_paginate (lines, body_count, room, &starts);
    int from = view->page > 0 ? (view->page > pages ? pages : view->page) : 1;
    int to = view->page > 0 ? from : pages;
    for (int p = from; p <= to; p++)
        jk_pager_page (out, view, ansi, heads, head_count, lines, body_count,
                       starts, p, pages);
    free (starts);
    free (heads);
    free (lines);
    free (head_text);
    free (body_text);
    fflush (out);
    return pages;
}
