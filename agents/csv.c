/*  csv.c - a CSV reader for what spreadsheets export (RFC 4180 plus the
    Indonesian-locale habits: ';' separators, a UTF-8 BOM, CRLF), and the
    writer that quotes cells so that the reader gives them back. Pure: it
    reads bytes and calls back per row; `import` and the fuzz target use
    it. A row it cannot hand out whole (a NUL byte, too many cells, a quote
    never closed) is reported with its line, never dropped in silence, and
    reading goes on with the next line. */
#include "jk_agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Picks ';' or ',' from the first line: whichever occurs more often
   outside quotes (',' on a tie). */
static char s_detect (const char *p, const char *end)
{
    size_t semi = 0, comma = 0;
    bool quoted = false;
    for (; p < end; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && (*p == '\n' || *p == '\r'))
            break;
        else if (!quoted && *p == ';')
            semi++;
        else if (!quoted && *p == ',')
            comma++;
    }
    return semi > comma ? ';' : ',';
}

typedef struct {
    char *buf; /* cell text, NUL-separated */
    size_t len, cap;
    size_t starts[JK_CSV_MAX_CELLS + 1]; /* offset of each cell in buf */
    size_t count;                        /* cells kept in the row */
    size_t cells;                        /* cells seen, kept or not */
    size_t nul_cell;                     /* first cell with a NUL, 1-based */
} s_row_t;

static void s_put_raw (s_row_t *row, char c)
{
    if (row->len + 1 >= row->cap) {
        row->cap = row->cap ? row->cap * 2 : 256;
        row->buf = jk_realloc (row->buf, row->cap);
    }
    row->buf[row->len++] = c;
}

/* One byte of cell text; a NUL in it marks the row bad. */
static void s_put (s_row_t *row, char c)
{
    if (c == 0 && !row->nul_cell)
        row->nul_cell = row->cells + 1;
    s_put_raw (row, c);
}

/* Ends the current cell. Past JK_CSV_MAX_CELLS the text is dropped but
   the cells are still counted, for the message. */
static void s_end_cell (s_row_t *row)
{
    row->cells++;
    if (row->count >= JK_CSV_MAX_CELLS) {
        row->len = row->starts[row->count];
        return;
    }
    s_put_raw (row, 0);
    row->count++;
    row->starts[row->count] = row->len;
}

int jk_csv_read (const char *data, size_t size, jk_csv_row_fn *fn,
                 jk_csv_bad_fn *bad, void *arg, char *separator)
{
    const char *p = data, *end = data + size;
    if (size >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    char sep = s_detect (p, end);
    if (separator)
        *separator = sep;
    s_row_t row = {0};
    char *cells[JK_CSV_MAX_CELLS];
    char reason[200];
    size_t line = 1; /* physical line of p */
    int rc = 0;
    while (p < end) {
        size_t row_line = line;
        row.len = 0;
        row.count = row.cells = row.nul_cell = 0;
        row.starts[0] = 0;
        bool blank = true; /* nothing but an empty line so far */
        bool row_done = false;
        while (!row_done) {
            /* One cell. */
            if (p < end && *p == '"') {
                blank = false;
                const char *opened = p++;
                size_t quote_line = line;
                while (p < end) {
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            s_put (&row, '"');
                            p += 2;
                            continue;
                        }
                        break;
                    }
                    if (*p == '\n')
                        line++;
                    s_put (&row, *p++);
                }
                if (p >= end) {
                    /* Never closed: most likely a stray quote. The row
                       is reported and reading resumes on the line after
                       the one where the quote opened. */
                    const char *next = opened;
                    while (next < end && *next != '\n' && *next != '\r')
                        next++;
                    if (next < end && *next == '\r')
                        next++;
                    if (next < end && *next == '\n')
                        next++;
                    snprintf (reason, sizeof reason,
                              "a quoted cell opened on this line is never "
                              "closed (a stray \"?): the row is skipped, "
                              "reading goes on with line %zu",
                              quote_line + 1);
                    p = next;
                    line = quote_line + 1;
                    rc = bad ? bad (arg, row_line, reason) : 0;
                    if (rc != 0)
                        goto done;
                    goto next_row;
                }
                p++; /* the closing quote */
            }
            /* Unquoted text, or what follows a closing quote (kept). */
            while (p < end && *p != sep && *p != '\n' && *p != '\r') {
                blank = false;
                s_put (&row, *p++);
            }
            s_end_cell (&row);
            if (p >= end) {
                row_done = true;
            } else if (*p == sep) {
                blank = false;
                p++;
                if (p >= end) {
                    /* A trailing separator ends with one empty cell. */
                    s_end_cell (&row);
                    row_done = true;
                }
            } else {
                /* End of line: \n, \r\n or a lone \r. */
                if (*p == '\r')
                    p++;
                if (p < end && *p == '\n')
                    p++;
                line++;
                row_done = true;
            }
        }
        if (blank)
            continue;
        if (row.cells > JK_CSV_MAX_CELLS || row.nul_cell) {
            if (row.cells > JK_CSV_MAX_CELLS)
                snprintf (reason, sizeof reason,
                          "%zu cells, more than %d (is the separator '%c' "
                          "right?): the row is skipped",
                          row.cells, JK_CSV_MAX_CELLS, sep);
            else
                snprintf (reason, sizeof reason,
                          "cell %zu holds a NUL byte (binary data, not "
                          "text): the row is skipped",
                          row.nul_cell);
            rc = bad ? bad (arg, row_line, reason) : 0;
            if (rc != 0)
                goto done;
            continue;
        }
        for (size_t i = 0; i < row.count; i++)
            cells[i] = row.buf + row.starts[i];
        rc = fn (arg, row_line, cells, row.count);
        if (rc != 0)
            goto done;
    next_row:;
    }
done:
    free (row.buf);
    return rc;
}

typedef struct {
    char *err;
    size_t err_size;
} s_first_bad_t;

typedef struct {
    jk_csv_row_fn *fn;
    void *arg;
    s_first_bad_t bad;
} s_parse_t;

static int s_parse_row (void *arg, size_t line, char **cells, size_t count)
{
    s_parse_t *ctx = arg;
    return ctx->fn (ctx->arg, line, cells, count);
}

static int s_parse_bad (void *arg, size_t line, const char *reason)
{
    s_parse_t *ctx = arg;
    snprintf (ctx->bad.err, ctx->bad.err_size, "line %zu: %s", line, reason);
    return -1;
}

int jk_csv_parse (const char *data, size_t size, jk_csv_row_fn *fn, void *arg,
                  char *separator, char *err, size_t err_size)
{
    s_parse_t ctx = {fn, arg, {err, err_size}};
    return jk_csv_read (data, size, s_parse_row, s_parse_bad, &ctx, separator);
}

char *jk_csv_format (char *const *cells, size_t count, char sep, size_t *size)
{
    size_t cap = 2;
    for (size_t i = 0; i < count; i++)
        cap += 2 * strlen (cells[i]) + 3;
    char *out = jk_malloc (cap);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const char *c = cells[i];
        size_t len = strlen (c);
        /* Quoted when the reader would otherwise split, join, strip or
           skip it: separators of either kind, quotes, line breaks, a
           leading BOM, or a lone empty cell (a blank line is skipped). */
        bool quote = (count == 1 && len == 0) ||
                     (len >= 3 && memcmp (c, "\xEF\xBB\xBF", 3) == 0);
        for (size_t k = 0; k < len && !quote; k++)
            quote = c[k] == ',' || c[k] == ';' || c[k] == '"' || c[k] == '\n' ||
                    c[k] == '\r';
        if (i)
            out[n++] = sep;
        if (quote)
            out[n++] = '"';
        for (size_t k = 0; k < len; k++) {
            if (c[k] == '"')
                out[n++] = '"';
            out[n++] = c[k];
        }
        if (quote)
            out[n++] = '"';
    }
    out[n++] = '\n';
    out[n] = 0;
    if (size)
        *size = n;
    return out;
}
