/*  pager.c - the terminal board's pager: marked lines cut into pages of
    a terminal's rows, a cut table's heading repeated, every line clipped
    to 80 columns on a character boundary. */
#include "status_internal.h"

#include <string.h>

/* Code points in the first len bytes of UTF-8 text. */
static int s_width (const char *text, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)text[i] & 0xC0) != 0x80;
    return n;
}

/* Writes at most width characters of text padded to width (counts code
   points, cuts only between them); a longer text is cut to width - 1
   and ends in '~', so it never runs into the next column. pad false:
   no padding (a line's end). Control characters are written as their
   visible escapes (jk_text_visible: "\x1b"), so stored text never acts
   on the terminal nor breaks a line or a column. */
void jk_term_cut (FILE *out, const char *text, size_t len, int width, bool pad)
{
    char *visible = jk_text_visible (text, len);
    len = strlen (visible);
    int shown = 0, length = s_width (visible, len);
    const unsigned char *p = (const unsigned char *)visible;
    const unsigned char *end = p + len;
    int room = length > width ? width - 1 : width;
    while (p < end && shown < room) {
        int n = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        for (int i = 0; i < n && p + i < end; i++)
            fputc (p[i], out);
        p += n;
        shown++;
    }
    if (length > width) {
        fputc ('~', out);
        shown++;
    }
    for (; pad && shown < width; shown++)
        fputc (' ', out);
    free (visible);
}

/* Splits marked text into lines (pointing into text). */
jk_pager_line_t *jk_pager_lines (const char *text, size_t *count)
{
    size_t n = 0, cap = 64;
    jk_pager_line_t *lines = jk_malloc (cap * sizeof *lines);
    size_t title = SIZE_MAX;
    for (const char *p = text; *p;) {
        const char *nl = strchr (p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen (p);
        if (n == cap)
            lines = jk_realloc (lines, (cap *= 2) * sizeof *lines);
        jk_pager_line_t *l = &lines[n];
        l->mark = (*p == JK_MARK_TITLE || *p == JK_MARK_HEAD) ? *p : 0;
        l->text = p + (l->mark ? 1 : 0);
        l->len = len - (l->mark ? 1 : 0);
        if (l->mark == JK_MARK_TITLE)
            title = n;
        l->title = title;
        n++;
        p += len + (nl ? 1 : 0);
    }
    *count = n;
    return lines;
}

static void s_put (FILE *out, const jk_pager_line_t *l, bool ansi,
                   const char *tail)
{
    bool bold = ansi && l->mark;
    if (bold)
        fputs ("\033[1m", out);
    if (tail) {
        /* A repeated title: "... (lanjutan / cont.)", cut before the tail. */
        int room = JK_TERM_WIDTH - (int)strlen (tail);
        jk_term_cut (out, l->text, l->len, room, false);
        fputs (tail, out);
    } else
        jk_term_cut (out, l->text, l->len, JK_TERM_WIDTH, false);
    if (bold)
        fputs ("\033[0m", out);
    fputc ('\n', out);
}

/* The heading lines to repeat before body line i when a page starts
   there: its section's title and the table heading lines after it (if
   line i comes after them). Returns how many, their first at *first. */
static size_t s_heading (const jk_pager_line_t *lines, size_t i, size_t *first)
{
    size_t t = lines[i].title;
    if (t == SIZE_MAX || t == i)
        return 0;
    size_t end = t + 1;
    /* The title, the rule lines under it, then the two heading lines. */
    while (end < i && lines[end].mark != JK_MARK_HEAD && end - t < 6)
        end++;
    size_t heads = 0;
    while (end + heads < i && lines[end + heads].mark == JK_MARK_HEAD)
        heads++;
    if (heads == 0 || end + heads > i)
        return 0;
    *first = end;
    return heads;
}

/* Lays out the body in pages of room lines; fills starts[] (page k
   starts at body line starts[k]) and returns the number of pages. */
int jk_pager_paginate (const jk_pager_line_t *lines, size_t count, int room,
                       size_t **starts_p)
{
    size_t cap = 8, pages = 0;
    size_t *starts = jk_malloc (cap * sizeof *starts);
    size_t i = 0;
    do {
        if (pages == cap)
            starts = jk_realloc (starts, (cap *= 2) * sizeof *starts);
        starts[pages++] = i;
        size_t first = 0;
        size_t heads = i < count ? s_heading (lines, i, &first) : 0;
        int left = room - (heads ? (int)heads + 1 : 0);
        /* A page never ends on a title or a heading. */
        size_t end = i + (size_t)(left > 1 ? left : 1);
        if (end > count)
            end = count;
        while (end < count && end > i + 1 && lines[end - 1].mark)
            end--;
        /* Nor begins with an empty line. */
        while (end < count && lines[end].len == 0 && !lines[end].mark)
            end++;
        i = end;
    } while (i < count);
    *starts_p = starts;
    return (int)pages;
}

/* Page p of pages: the header, the body's lines from starts[p - 1] (a
   table cut by the page repeats its heading), the footer. */
void jk_pager_page (FILE *out, const jk_status_view_t *view, bool ansi,
                    const jk_pager_line_t *heads, size_t head_count,
                    const jk_pager_line_t *lines, size_t body_count,
                    const size_t *starts, int p, int pages)
{
    for (size_t h = 0; h < head_count; h++)
        s_put (out, &heads[h], ansi, NULL);
    size_t i = starts[p - 1];
    size_t end = p < pages ? starts[p] : body_count;
    size_t first = 0, n = s_heading (lines, i, &first);
    if (n) {
        s_put (out, &lines[lines[i].title], ansi, " (lanjutan / cont.)");
        for (size_t k = 0; k < n; k++)
            s_put (out, &lines[first + k], ansi, NULL);
    }
    for (; i < end; i++)
        s_put (out, &lines[i], ansi, NULL);
    char footer[96];
    snprintf (footer, sizeof footer, "-- halaman / page %d/%d%s --", p, pages,
              view->page_keys && pages > 1
                  ? "  spasi: berikut, b: sebelumnya, q: keluar"
                  : "");
    jk_pager_line_t f = {footer, strlen (footer), 0, SIZE_MAX};
    s_put (out, &f, false, NULL);
}
