/*  http.c - what every page does with its request: form and query
    values, HTML-escaped text, the CSRF field, a redirect, a cookie. The
    pages call these; office.c calls the pages, so they live apart from
    it. */
#include "office_internal.h"

#include <stdarg.h>
#include <string.h>

const char *jk_http_form (jk_http_t *h, const char *name)
{
    for (size_t i = 0; i < h->form_count; i++)
        if (strcmp (h->form[i].key, name) == 0)
            return h->form[i].value;
    return NULL;
}

/* The values of a posted form name, all of them. */
size_t jk_http_form_values (jk_http_t *h, const char *name, const char **out,
                            size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < h->form_count && n < max; i++)
        if (strcmp (h->form[i].key, name) == 0)
            out[n++] = h->form[i].value;
    return n;
}

const char *jk_http_query (jk_http_t *h, const char *name)
{
    return MHD_lookup_connection_value (h->conn, MHD_GET_ARGUMENT_KIND, name);
}

void jk_http_redirect (jk_http_t *h, const char *url)
{
    h->code = MHD_HTTP_SEE_OTHER;
    snprintf (h->location, sizeof h->location, "%s", url);
}

void jk_http_cookie (jk_http_t *h, const char *fmt, ...)
{
    if (h->cookie_count >= 3)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (h->cookies[h->cookie_count++], sizeof h->cookies[0], fmt, ap);
    va_end (ap);
}

void jk_page_csrf (jk_http_t *h)
{
    fprintf (h->out, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
             h->session.csrf);
}

const char *jk_http_cookie_attrs (jk_http_t *h)
{
    return h->office->tls ? "; Path=/; HttpOnly; SameSite=Strict; Secure"
                          : "; Path=/; HttpOnly; SameSite=Strict";
}
