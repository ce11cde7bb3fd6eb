/*  jk_html.h - text written into HTML: the five characters that could end
    an element or an attribute value (& < > " ') become entities. One
    escaper for the office pages and the printable reports. */
#ifndef JK_HTML_H_INCLUDED
#define JK_HTML_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

/* Writes text escaped; NULL writes nothing. */
void jk_html (FILE *out, const char *text);
/* Writes at most len bytes of text escaped, stopping at a NUL. */
void jk_html_n (FILE *out, const char *text, size_t len);

#endif
