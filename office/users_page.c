/*  users_page.c - user administration in the browser, for supervisors:
    add an account, set a new password, disable or enable one; every
    change is written to the audit table of the users file (who, when,
    what, whom) and logged, never a password. A new password or a disabled
    account ends that user's sessions. Supervisors cannot disable
    themselves, nor the last active supervisor. */
#include "office_internal.h"

#include <string.h>

#define S_AUDIT_SHOWN 50 /* newest audit entries on the page */

static bool s_supervisor (jk_http_t *h)
{
    return strcmp (h->session.role, "supervisor") == 0;
}

typedef struct {
    jk_http_t *h;
    size_t supervisors; /* active ones */
} s_list_t;

static int s_user_row (void *arg, const char *name, const char *role,
                       bool disabled)
{
    s_list_t *l = arg;
    jk_http_t *h = l->h;
    FILE *o = h->out;
    fprintf (o, "<tr data-user=\"%s\" data-state=\"%s\"><td>", name,
             disabled ? "disabled" : "active");
    jk_html (o, name);
    fprintf (o, "</td><td>%s</td><td>%s</td><td>",
             strcmp (role, "supervisor") == 0 ? TR (h, "penyelia", "supervisor")
                                              : TR (h, "operator", "operator"),
             disabled ? TR (h, "nonaktif", "disabled")
                      : TR (h, "aktif", "active"));
    /* New password. */
    fputs ("<form method=\"post\" action=\"/users\" class=\"inline\">", o);
    jk_page_csrf (h);
    fprintf (o,
             "<input type=\"hidden\" name=\"action\" value=\"passwd\">"
             "<input type=\"hidden\" name=\"name\" value=\"%s\">"
             "<input type=\"password\" name=\"password\" "
             "autocomplete=\"new-password\" aria-label=\"%s %s\" "
             "id=\"passwd-%s\" required> <button type=\"submit\" "
             "id=\"passwd-%s-save\">%s</button></form> ",
             name, TR (h, "Kata sandi baru untuk", "New password for"), name,
             name, name, TR (h, "Ganti kata sandi", "Set password"));
    /* Disable / enable. */
    fputs ("<form method=\"post\" action=\"/users\" class=\"inline\">", o);
    jk_page_csrf (h);
    fprintf (o,
             "<input type=\"hidden\" name=\"action\" value=\"%s\">"
             "<input type=\"hidden\" name=\"name\" value=\"%s\">"
             "<button type=\"submit\" id=\"%s-%s\">%s</button></form>"
             "</td></tr>",
             disabled ? "enable" : "disable", name,
             disabled ? "enable" : "disable", name,
             disabled ? TR (h, "Aktifkan", "Enable")
                      : TR (h, "Nonaktifkan", "Disable"));
    return 0;
}

static int s_audit_row (void *arg, int64_t at, const char *actor,
                        const char *action, const char *target,
                        const char *detail)
{
    jk_http_t *h = arg;
    FILE *o = h->out;
    char when[24];
    jk_office_time_text (at, when);
    fprintf (o, "<tr data-action=\"%s\"><td>%s</td><td>", action, when);
    jk_html (o, actor);
    fputs ("</td><td>", o);
    jk_html (o, action);
    fputs ("</td><td>", o);
    jk_html (o, target);
    fputs ("</td><td>", o);
    jk_html (o, detail);
    fputs ("</td></tr>", o);
    return 0;
}

static void s_page (jk_http_t *h, const char *error, const char *done)
{
    jk_page_begin (h, TR (h, "Akun pengguna", "User accounts"));
    FILE *o = h->out;
    fprintf (o, "<main><h1>%s</h1>",
             TR (h, "Akun pengguna kotak ini", "This box's user accounts"));
    if (error) {
        fputs ("<p class=\"error\" role=\"alert\" id=\"users-error\">", o);
        jk_html (o, error);
        fputs ("</p>", o);
    }
    if (done) {
        fputs ("<p class=\"note\" role=\"status\" id=\"users-done\">", o);
        jk_html (o, done);
        fputs ("</p>", o);
    }
    fprintf (o,
             "<table class=\"users\" id=\"users\"><thead><tr><th>%s</th>"
             "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
             TR (h, "Nama", "Name"), TR (h, "Peran", "Role"),
             TR (h, "Keadaan", "State"), TR (h, "Tindakan", "Actions"));
    s_list_t l = {h, 0};
    jk_users_each (h->office->users, s_user_row, &l);
    fputs ("</tbody></table>", o);
    const char *name = jk_http_form (h, "name");
    const char *action = jk_http_form (h, "action");
    bool adding = error && action && strcmp (action, "add") == 0;
    fprintf (o,
             "<section><h2>%s</h2><form method=\"post\" action=\"/users\" "
             "id=\"add-user\">",
             TR (h, "Tambah akun", "Add an account"));
    jk_page_csrf (h);
    fprintf (o,
             "<input type=\"hidden\" name=\"action\" value=\"add\">"
             "<div class=\"field\"><label for=\"new-name\">%s</label><input "
             "id=\"new-name\" name=\"name\" required autocomplete=\"off\" "
             "value=\"",
             TR (h, "Nama pengguna", "User name"));
    jk_html (o, adding && name ? name : "");
    fprintf (o,
             "\"><small class=\"help\">%s</small></div>"
             "<div class=\"field\"><label for=\"new-role\">%s</label><select "
             "id=\"new-role\" name=\"role\"><option value=\"operator\">%s"
             "</option><option value=\"supervisor\">%s</option></select>"
             "</div><div class=\"field\"><label for=\"new-password\">%s"
             "</label><input id=\"new-password\" name=\"password\" "
             "type=\"password\" autocomplete=\"new-password\" required>"
             "<small class=\"help\">%s</small></div><div "
             "class=\"field\"><label for=\"new-password2\">%s</label><input "
             "id=\"new-password2\" name=\"password2\" type=\"password\" "
             "autocomplete=\"new-password\" required></div><p "
             "class=\"actions\"><button type=\"submit\" id=\"add-save\">%s"
             "</button></p></form></section>",
             TR (h, "1-32 huruf kecil, angka, titik, _ atau -",
                 "1-32 lower-case letters, digits, dot, _ or -"),
             TR (h, "Peran", "Role"), TR (h, "Operator", "Operator"),
             TR (h, "Penyelia (koreksi, akun)",
                 "Supervisor (corrections, accounts)"),
             TR (h, "Kata sandi", "Password"),
             TR (h, "8 sampai 256 karakter", "8 to 256 characters"),
             TR (h, "Kata sandi sekali lagi", "Password again"),
             TR (h, "Tambah akun", "Add the account"));
    fprintf (o,
             "<section><h2>%s</h2><table class=\"audit\" id=\"audit\">"
             "<thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
             "<th>%s</th></tr></thead><tbody>",
             TR (h, "Catatan perubahan akun", "Account changes (audit)"),
             TR (h, "Waktu", "When"), TR (h, "Oleh", "By"),
             TR (h, "Tindakan", "Action"), TR (h, "Akun", "Account"),
             TR (h, "Keterangan", "Detail"));
    jk_users_audit_each (h->office->users, S_AUDIT_SHOWN, s_audit_row, h);
    fputs ("</tbody></table></section></main>", o);
    jk_page_end (h);
}

static void s_forbidden (jk_http_t *h)
{
    h->code = MHD_HTTP_FORBIDDEN;
    jk_page_begin (h, "403");
    fprintf (h->out,
             "<main><p class=\"error\" id=\"users-error\">%s</p></main>",
             TR (h, "Pengelolaan akun hanya oleh penyelia (supervisor).",
                 "Accounts are for supervisors only."));
    jk_page_end (h);
}

void jk_page_users (jk_http_t *h)
{
    if (!s_supervisor (h)) {
        s_forbidden (h);
        return;
    }
    const char *done = jk_http_query (h, "done");
    char text[200] = "";
    const char *name = jk_http_query (h, "name");
    if (done && name) {
        if (strcmp (done, "add") == 0)
            snprintf (text, sizeof text,
                      h->en ? "Account %s added." : "Akun %s ditambahkan.",
                      name);
        else if (strcmp (done, "passwd") == 0)
            snprintf (text, sizeof text,
                      h->en ? "Password of %s set; their sessions ended."
                            : "Kata sandi %s diganti; sesinya diakhiri.",
                      name);
        else if (strcmp (done, "disable") == 0)
            snprintf (text, sizeof text,
                      h->en ? "Account %s disabled; their sessions ended."
                            : "Akun %s dinonaktifkan; sesinya diakhiri.",
                      name);
        else if (strcmp (done, "enable") == 0)
            snprintf (text, sizeof text,
                      h->en ? "Account %s enabled." : "Akun %s diaktifkan.",
                      name);
    }
    s_page (h, NULL, text[0] ? text : NULL);
}

typedef struct {
    const char *except;
    size_t active;
} s_count_t;

static int s_count_supervisors (void *arg, const char *name, const char *role,
                                bool disabled)
{
    s_count_t *c = arg;
    if (!disabled && strcmp (role, "supervisor") == 0 &&
        strcmp (name, c->except) != 0)
        c->active++;
    return 0;
}

/* Carries out the form's action on the users file: add, passwd,
   disable or enable. Returns JK_OK, or a code with the library's reason
   in err or the page's own in text. */
static int s_users_apply (jk_http_t *h, const char *action, const char *name,
                          jk_users_err_t *err, char *text, size_t text_size)
{
    jk_office_app_t *office = h->office;
    const char *role = jk_http_form (h, "role");
    const char *password = jk_http_form (h, "password");
    const char *password2 = jk_http_form (h, "password2");
    const char *actor = h->session.user;
    int rc = JK_INVALID;
    if (!action || !name || !*name) {
        snprintf (text, text_size, "%s",
                  TR (h, "Isi nama pengguna.", "Give the user name."));
    } else if (strcmp (action, "add") == 0) {
        if (!password || !password2 || strcmp (password, password2) != 0)
            snprintf (text, text_size, "%s",
                      TR (h, "Kedua kata sandi tidak sama.",
                          "The two passwords differ."));
        else {
            rc = jk_users_add (office->users, name, role ? role : "operator",
                               password, err);
            if (rc == JK_OK)
                jk_users_audit (office->users, actor, "add", name,
                                role ? role : "operator");
        }
    } else if (strcmp (action, "passwd") == 0) {
        rc = jk_users_passwd (office->users, name, password ? password : "",
                              err);
        if (rc == JK_OK) {
            jk_users_audit (office->users, actor, "passwd", name, "");
            jk_sessions_end_user (office->sessions, name);
        }
    } else if (strcmp (action, "disable") == 0 ||
               strcmp (action, "enable") == 0) {
        bool disable = strcmp (action, "disable") == 0;
        s_count_t others = {name, 0};
        jk_users_each (office->users, s_count_supervisors, &others);
        if (disable && strcmp (name, actor) == 0)
            snprintf (text, text_size, "%s",
                      TR (h, "Anda tidak bisa menonaktifkan akun sendiri.",
                          "You cannot disable your own account."));
        else if (disable && others.active == 0)
            snprintf (text, text_size, "%s",
                      TR (h,
                          "Ini penyelia aktif terakhir: tambahkan penyelia "
                          "lain dulu.",
                          "This is the last active supervisor: add another "
                          "one first."));
        else {
            rc = jk_users_set_disabled (office->users, name, disable, err);
            if (rc == JK_OK) {
                jk_users_audit (office->users, actor, action, name, "");
                if (disable)
                    jk_sessions_end_user (office->sessions, name);
            }
        }
    } else
        snprintf (text, text_size, "%s",
                  TR (h, "Tindakan tidak dikenal.", "Unknown action."));
    return rc;
}

/* After a done action: back to the list, saying what was done to whom. */
static void s_users_done (jk_http_t *h, const char *action, const char *name)
{
    char *url = NULL;
    size_t size = 0;
    FILE *u = open_memstream (&url, &size);
    fprintf (u, "/users?done=%s&name=", action);
    for (const char *p = name; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr ("._-", *p))
            fputc (*p, u);
    fclose (u);
    jk_http_redirect (h, url);
    free (url);
}

/* The library's reasons for a refusal, said for a supervisor; looked up
   by reason, one entry per reason. */
static const struct {
    jk_users_why_t why;
    const char *id, *en;
} s_refusals[] = {
    {JK_USERS_TAKEN, "Nama pengguna itu sudah ada.",
     "That user name exists already."},
    {JK_USERS_PASSWORD, "Kata sandi harus 8 sampai 256 karakter.",
     "A password has 8 to 256 characters."},
    {JK_USERS_NAME,
     "Nama pengguna: 1-32 huruf kecil, angka, titik, _ atau -, tidak "
     "diawali titik atau -.",
     "User name: 1-32 lower-case letters, digits, dot, _ or -, not "
     "starting with a dot or -."},
    {JK_USERS_ROLE, "Peran: operator atau penyelia.",
     "Role: operator or supervisor."},
    {JK_USERS_UNKNOWN, "Akun itu tidak ada.", "No such account."},
    {JK_USERS_FILE, "Berkas akun tidak bisa ditulis.",
     "The users file cannot be written."},
};
_Static_assert(sizeof s_refusals / sizeof s_refusals[0] == JK_USERS_FILE,
               "every jk_users_why_t has its words");

bool jk_office_users_refusal (jk_users_why_t why, bool en, char *out,
                              size_t size)
{
    for (size_t i = 0; i < sizeof s_refusals / sizeof s_refusals[0]; i++)
        if (s_refusals[i].why == why) {
            snprintf (out, size, "%s",
                      en ? s_refusals[i].en : s_refusals[i].id);
            return true;
        }
    snprintf (out, size,
              en ? "Refused for reason %d, which has no words here."
                 : "Ditolak karena alasan nomor %d, yang tidak dikenal.",
              (int)why);
    return false;
}

void jk_page_users_save (jk_http_t *h)
{
    if (!s_supervisor (h)) {
        s_forbidden (h);
        return;
    }
    const char *action = jk_http_form (h, "action");
    const char *name = jk_http_form (h, "name");
    jk_users_err_t err = {0}; /* a reason not given is said as such */
    char text[400] = "";
    int rc = s_users_apply (h, action, name, &err, text, sizeof text);
    jk_info ("audit", "user=%s action=%s target=%.40s result=%s",
             h->session.user, action ? action : "-", name ? name : "-",
             rc == JK_OK ? "ok" : "refused");
    if (rc == JK_OK) {
        s_users_done (h, action, name);
        return;
    }
    if (!text[0])
        if (!jk_office_users_refusal (err.why, h->en, text, sizeof text))
            jk_error ("users", "no words for refusal reason %d", (int)err.why);
    h->code = rc == JK_IO ? MHD_HTTP_INTERNAL_SERVER_ERROR
                          : MHD_HTTP_UNPROCESSABLE_CONTENT;
    s_page (h, text, NULL);
}
