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

/* Where the reader is in the data. */
typedef struct {
    const char *p, *end;
    size_t line; /* physical line of p */
    char sep;
} s_cursor_t;

/* A quoted cell, from its opening quote: its text into row, the cursor
   after the closing quote. False when it is never closed (most likely a
   stray quote): the cursor is then at the line after the one where the
   quote opened, whose number is in *quote_line. */
static bool s_quoted (s_cursor_t *c, s_row_t *row, size_t *quote_line)
{
    const char *opened = c->p++;
    *quote_line = c->line;
    while (c->p < c->end) {
        if (*c->p == '"') {
            if (c->p + 1 < c->end && c->p[1] == '"') {
                s_put (row, '"');
                c->p += 2;
                continue;
            }
            c->p++; /* the closing quote */
            return true;
        }
        if (*c->p == '\n')
            c->line++;
        s_put (row, *c->p++);
    }
    const char *next = opened;
    while (next < c->end && *next != '\n' && *next != '\r')
        next++;
    if (next < c->end && *next == '\r')
        next++;
    if (next < c->end && *next == '\n')
        next++;
    c->p = next;
    c->line = *quote_line + 1;
    return false;
}

/* One row's cells into row. Returns 1 for a row, 0 for a blank line,
   -1 for a quote never closed (s_quoted). */
static int s_read_row (s_cursor_t *c, s_row_t *row, size_t *quote_line)
{
    row->len = 0;
    row->count = row->cells = row->nul_cell = 0;
    row->starts[0] = 0;
    bool blank = true; /* nothing but an empty line so far */
    for (;;) {
        if (c->p < c->end && *c->p == '"') {
            blank = false;
            if (!s_quoted (c, row, quote_line))
                return -1;
        }
        /* Unquoted text, or what follows a closing quote (kept). */
        while (c->p < c->end && *c->p != c->sep && *c->p != '\n' &&
               *c->p != '\r') {
            blank = false;
            s_put (row, *c->p++);
        }
        s_end_cell (row);
        if (c->p >= c->end)
            break;
        if (*c->p == c->sep) {
            blank = false;
            c->p++;
            if (c->p >= c->end) {
                /* A trailing separator ends with one empty cell. */
                s_end_cell (row);
                break;
            }
            continue;
        }
        /* End of line: \n, \r\n or a lone \r. */
        if (*c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n')
            c->p++;
        c->line++;
        break;
    }
    return blank ? 0 : 1;
}

int jk_csv_read (const char *data, size_t size, jk_csv_row_fn *fn,
                 jk_csv_bad_fn *bad, void *arg, char *separator)
{
    s_cursor_t c = {.p = data, .end = data + size, .line = 1};
    if (size >= 3 && memcmp (c.p, "\xEF\xBB\xBF", 3) == 0)
        c.p += 3;
    c.sep = s_detect (c.p, c.end);
    if (separator)
        *separator = c.sep;
    s_row_t row = {0};
    char *cells[JK_CSV_MAX_CELLS];
    char reason[200];
    int rc = 0;
    while (rc == 0 && c.p < c.end) {
        size_t row_line = c.line, quote_line = 0;
        int got = s_read_row (&c, &row, &quote_line);
        if (got == 0)
            continue;
        if (got < 0) {
            /* The row is reported and reading resumes on the line after
               the one where the quote opened. */
            snprintf (reason, sizeof reason,
                      "a quoted cell opened on this line is never "
                      "closed (a stray \"?): the row is skipped, "
                      "reading goes on with line %zu",
                      quote_line + 1);
            rc = bad ? bad (arg, row_line, JK_CSV_QUOTE, reason) : 0;
        } else if (row.cells > JK_CSV_MAX_CELLS || row.nul_cell) {
            jk_csv_fault_t fault =
                row.cells > JK_CSV_MAX_CELLS ? JK_CSV_CELLS : JK_CSV_BINARY;
            if (fault == JK_CSV_CELLS)
                snprintf (reason, sizeof reason,
                          "%zu cells, more than %d (is the separator '%c' "
                          "right?): the row is skipped",
                          row.cells, JK_CSV_MAX_CELLS, c.sep);
            else
                snprintf (reason, sizeof reason,
                          "cell %zu holds a NUL byte (binary data, not "
                          "text): the row is skipped",
                          row.nul_cell);
            rc = bad ? bad (arg, row_line, fault, reason) : 0;
        } else {
            for (size_t i = 0; i < row.count; i++)
                cells[i] = row.buf + row.starts[i];
            rc = fn (arg, row_line, cells, row.count);
        }
    }
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

static int s_parse_bad (void *arg, size_t line, jk_csv_fault_t fault,
                        const char *reason)
{
    (void)fault;
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
