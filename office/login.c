/*  login.c - the login page and its POST: the login form's token, the
    password checked, lockouts by address (5 failures) and by name (20
    from any addresses), the session started. */
#include "office_internal.h"

#include <stdio.h>
#include <string.h>

void jk_page_login (jk_http_t *h, const char *user, const char *error)
{
    /* The login form's token: the browser's current one when it has one
       (another tab, or a request for /favicon.ico, must not replace the
       token of a form already shown), else a new one. */
    char token[65];
    const char *had =
        MHD_lookup_connection_value (h->conn, MHD_COOKIE_KIND, JK_LOGIN_COOKIE);
    bool reuse =
        had && strlen (had) == 64 && strspn (had, "0123456789abcdef") == 64;
    if (reuse)
        snprintf (token, sizeof token, "%s", had);
    else
        jk_token_new (token);
    jk_http_cookie (h, JK_LOGIN_COOKIE "=%s%s", token,
                    jk_http_cookie_attrs (h));
    jk_page_begin (h, TR (h, "Masuk", "Log in"));
    FILE *o = h->out;
    fprintf (o, "<main class=\"narrow\"><h1>%s</h1>",
             TR (h, "Masuk ke Jejak", "Log in to Jejak"));
    if (error) {
        fputs ("<p class=\"error\" role=\"alert\" id=\"login-error\">", o);
        jk_html (o, error);
        fputs ("</p>", o);
    }
    fprintf (o,
             "<form method=\"post\" action=\"/login\" id=\"login\">"
             "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
             "<label for=\"user\">%s</label>"
             "<input id=\"user\" name=\"user\" autocomplete=\"username\" "
             "required value=\"",
             token, TR (h, "Nama pengguna", "User name"));
    jk_html (o, user ? user : "");
    fprintf (o,
             "\"><label for=\"password\">%s</label>"
             "<input id=\"password\" name=\"password\" type=\"password\" "
             "autocomplete=\"current-password\" required>"
             "<button type=\"submit\" id=\"login-button\">%s</button>"
             "</form></main>",
             TR (h, "Kata sandi", "Password"), TR (h, "Masuk", "Log in"));
    jk_page_end (h);
}

static const char *s_client_ip (jk_http_t *h, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (h->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf (buf, size, "?");
    if (info && info->client_addr && info->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *in =
            (const struct sockaddr_in *)info->client_addr;
        inet_ntop (AF_INET, &in->sin_addr, buf, (socklen_t)size);
    }
    return buf;
}

void jk_login_post (jk_http_t *h)
{
    const char *user = jk_http_form (h, "user");
    const char *password = jk_http_form (h, "password");
    const char *csrf = jk_http_form (h, "csrf");
    const char *cookie =
        MHD_lookup_connection_value (h->conn, MHD_COOKIE_KIND, JK_LOGIN_COOKIE);
    if (!csrf || !cookie || !jk_token_equal (csrf, cookie)) {
        h->code = MHD_HTTP_FORBIDDEN;
        jk_page_login (h, user,
                       TR (h,
                           "Formulir kedaluwarsa atau tidak sah (token "
                           "formulir). Silakan coba lagi.",
                           "The form expired or is not valid (form token). "
                           "Please try again."));
        return;
    }
    if (!user || !password || !*user) {
        h->code = MHD_HTTP_BAD_REQUEST;
        jk_page_login (h, user,
                       TR (h, "Isi nama pengguna dan kata sandi.",
                           "Give user name and password."));
        return;
    }
    char ip[64], ukey[80], ikey[80];
    s_client_ip (h, ip, sizeof ip);
    snprintf (ukey, sizeof ukey, "user:%.60s", user);
    snprintf (ikey, sizeof ikey, "ip:%s", ip);
    int64_t locked = jk_sessions_locked (h->office->sessions, ukey);
    int64_t locked_ip = jk_sessions_locked (h->office->sessions, ikey);
    if (locked_ip > locked)
        locked = locked_ip;
    if (locked > 0) {
        char text[200];
        snprintf (text, sizeof text,
                  h->en ? "Too many failed attempts: try again in %lld s."
                        : "Terlalu banyak percobaan gagal: coba lagi dalam "
                          "%lld detik.",
                  (long long)(locked + 999) / 1000);
        h->code = MHD_HTTP_TOO_MANY_REQUESTS;
        jk_info ("login", "user=%.60s ip=%s result=throttled", user, ip);
        jk_page_login (h, user, text);
        return;
    }
    char role[16] = "";
    int rc = jk_users_check (h->office->users, user, password, role);
    jk_sessions_login_result (h->office->sessions, ukey, rc != JK_OK,
                              JK_LOGIN_NAME_FAILURES);
    jk_sessions_login_result (h->office->sessions, ikey, rc != JK_OK,
                              JK_LOGIN_FAILURES);
    if (rc != JK_OK) {
        jk_info ("login", "user=%.60s ip=%s result=%s", user, ip,
                 rc == JK_CLOSED ? "disabled" : "refused");
        h->code = MHD_HTTP_UNAUTHORIZED;
        jk_page_login (
            h, user,
            rc == JK_CLOSED
                ? TR (h, "Akun ini dinonaktifkan.", "This account is disabled.")
                : TR (h, "Nama pengguna atau kata sandi salah.",
                      "Wrong user name or password."));
        return;
    }
    int64_t changed_at = 0;
    jk_users_state (h->office->users, user, &changed_at);
    jk_sessions_start (h->office->sessions, user, role, changed_at,
                       &h->session);
    jk_info ("login", "user=%s ip=%s result=ok role=%s", user, ip, role);
    jk_http_cookie (h, JK_SESSION_COOKIE "=%s%s", h->session.token,
                    jk_http_cookie_attrs (h));
    jk_http_cookie (h, JK_LOGIN_COOKIE "=; Max-Age=0%s",
                    jk_http_cookie_attrs (h));
    jk_http_redirect (h, "/");
}
