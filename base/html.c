/*  html.c - text escaped for HTML (jk_html.h). */
#include "jk_html.h"

#include <string.h>

void jk_html_n (FILE *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len && text[i]; i++) {
        char c = text[i];
        switch (c) {
            case '&':
                fputs ("&amp;", out);
                break;
            case '<':
                fputs ("&lt;", out);
                break;
            case '>':
                fputs ("&gt;", out);
                break;
            case '"':
                fputs ("&quot;", out);
                break;
            case '\'':
                fputs ("&#39;", out);
                break;
            default:
                fputc (c, out);
        }
    }
}

void jk_html (FILE *out, const char *text)
{
    if (text)
        jk_html_n (out, text, strlen (text));
}
