/*  jk_excel.h - CSV that Indonesian-locale Excel opens correctly: a UTF-8
    byte order mark first, ';' between cells, a decimal comma, and text
    cells that start with = + - @ (or a tab or carriage return) neutralised
    against formula injection by a leading apostrophe. Used by jejak-report
    and jejak-replay export --format csv (docs/REPORTS.md). */
#ifndef JK_EXCEL_H
#define JK_EXCEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JK_EXCEL_BOM "\xEF\xBB\xBF"
#define JK_EXCEL_SEP ';'

/* Writes one text cell: quoted ("" for a quote) when it holds ';', '"',
   a line break or leading/trailing space; prefixed with ' when it starts
   with = + - @ tab or CR. NULL writes an empty cell. */
void jk_excel_text (FILE *out, const char *text);
/* The same for size bytes (not NUL-terminated). */
void jk_excel_text_n (FILE *out, const char *text, size_t size);
/* A whole number as digits (no thousands separator: Excel reads it as a
   number). */
void jk_excel_int (FILE *out, int64_t value);
/* A decimal number with a decimal comma and the given decimals. */
void jk_excel_real (FILE *out, double value, int decimals);
/* The separator before the next cell, and the end of a row (CRLF). */
void jk_excel_sep (FILE *out);
void jk_excel_eol (FILE *out);

#endif
