/*  csv.c - a CSV parser for what spreadsheets export (RFC 4180 plus the
    Indonesian-locale habits: ';' separators, a UTF-8 BOM, CRLF). Pure: it
    reads bytes and calls back per row; `import` and the fuzz target use
    it. */
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
    size_t count;                        /* cells in the row */
} s_row_t;

static void s_put (s_row_t *row, char c)
{
    if (row->len + 1 >= row->cap) {
        row->cap = row->cap ? row->cap * 2 : 256;
        row->buf = jk_realloc (row->buf, row->cap);
    }
    row->buf[row->len++] = c;
}

/* Ends the current cell; -1 when the row has too many. */
static int s_end_cell (s_row_t *row)
{
    s_put (row, 0);
    if (row->count >= JK_CSV_MAX_CELLS)
        return -1;
    row->count++;
    row->starts[row->count] = row->len;
    return 0;
}

int jk_csv_parse (const char *data, size_t size, jk_csv_row_fn *fn, void *arg,
                  char *separator, char *err, size_t err_size)
{
    const char *p = data, *end = data + size;
    if (size >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    char sep = s_detect (p, end);
    if (separator)
        *separator = sep;
    s_row_t row = {0};
    char *cells[JK_CSV_MAX_CELLS];
    size_t line = 1; /* physical line of p */
    int rc = 0;
    while (p < end) {
        size_t row_line = line;
        row.len = 0;
        row.count = 0;
        row.starts[0] = 0;
        bool blank = true; /* nothing but an empty line so far */
        bool row_done = false;
        while (!row_done) {
            /* One cell. */
            if (p < end && *p == '"') {
                blank = false;
                p++;
                size_t quote_line = line;
                while (true) {
                    if (p >= end) {
                        snprintf (err, err_size,
                                  "line %zu: quoted field not closed (a \" "
                                  "opened here has no closing \")",
                                  quote_line);
                        rc = -1;
                        goto done;
                    }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            s_put (&row, '"');
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    if (*p == '\n')
                        line++;
                    s_put (&row, *p++);
                }
            }
            /* Unquoted text, or what follows a closing quote (kept). */
            while (p < end && *p != sep && *p != '\n' && *p != '\r') {
                blank = false;
                s_put (&row, *p++);
            }
            if (s_end_cell (&row) != 0) {
                snprintf (err, err_size, "line %zu: more than %d fields",
                          row_line, JK_CSV_MAX_CELLS);
                rc = -1;
                goto done;
            }
            if (p >= end) {
                row_done = true;
            } else if (*p == sep) {
                blank = false;
                p++;
                if (p >= end) {
                    /* A trailing separator ends with one empty cell. */
                    if (s_end_cell (&row) != 0) {
                        snprintf (err, err_size,
                                  "line %zu: more than %d fields", row_line,
                                  JK_CSV_MAX_CELLS);
                        rc = -1;
                        goto done;
                    }
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
        for (size_t i = 0; i < row.count; i++)
            cells[i] = row.buf + row.starts[i];
        rc = fn (arg, row_line, cells, row.count);
        if (rc != 0)
            goto done;
    }
done:
    free (row.buf);
    return rc;
}
