/*  excel.c - CSV cells for Indonesian-locale Excel (jk_excel.h). */
#include "jk_excel.h"

#include <inttypes.h>
#include <string.h>

void jk_excel_text_n (FILE *out, const char *text, size_t size)
{
    if (!text || size == 0)
        return;
    bool inject = text[0] == '=' || text[0] == '+' || text[0] == '-' ||
                  text[0] == '@' || text[0] == '\t' || text[0] == '\r';
    bool quote = text[0] == ' ' || text[size - 1] == ' ';
    for (size_t i = 0; i < size && !quote; i++)
        quote = text[i] == JK_EXCEL_SEP || text[i] == '"' || text[i] == '\n' ||
                text[i] == '\r';
    if (quote)
        fputc ('"', out);
    if (inject)
        fputc ('\'', out);
    for (size_t i = 0; i < size; i++) {
        if (text[i] == '"')
            fputc ('"', out);
        fputc (text[i], out);
    }
    if (quote)
        fputc ('"', out);
}

void jk_excel_text (FILE *out, const char *text)
{
    if (text)
        jk_excel_text_n (out, text, strlen (text));
}

void jk_excel_int (FILE *out, int64_t value)
{
    fprintf (out, "%" PRId64, value);
}

void jk_excel_real (FILE *out, double value, int decimals)
{
    char buf[64];
    snprintf (buf, sizeof buf, "%.*f", decimals, value);
    for (char *p = buf; *p; p++)
        if (*p == '.')
            *p = ',';
    fputs (buf, out);
}

void jk_excel_sep (FILE *out)
{
    fputc (JK_EXCEL_SEP, out);
}

void jk_excel_eol (FILE *out)
{
    fputs ("\r\n", out);
}
