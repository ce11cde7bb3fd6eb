/*  office.c - jejak-office's HTTP side: libmicrohttpd with a small thread
    pool, form parsing (MHD's post processor), sessions and CSRF checks,
    login (login.c), one log line per request (user, method, path,
    status: never a password, a cookie or a form value), and dispatch to
    the pages. */
#include "office_internal.h"
#include "jk_opts.h"

#include <netinet/in.h>
#include <errno.h>
#include <string.h>

#define S_FORM_MAX (1024 * 1024) /* bytes of one posted form */
/* ... of an import upload: the file and the form around it */
#define S_UPLOAD_MAX (JK_IMPORT_MAX_BYTES + 64 * 1024)
#define S_FIELDS_MAX 4096 /* values of one posted form */

/* Per-connection state while a request's body arrives. */
typedef struct {
    struct MHD_PostProcessor *post;
    jk_kv_t *kv;
    size_t count, cap;
    size_t bytes, limit;
    bool too_big;
    int64_t started;
} s_req_t;

static enum MHD_Result s_post_value (void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *filename,
                                     const char *content_type,
                                     const char *transfer_encoding,
                                     const char *data, uint64_t off,
                                     size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    s_req_t *req = (s_req_t *)cls;
    if (off == 0 || req->count == 0 ||
        strcmp (req->kv[req->count - 1].key, key) != 0) {
        if (req->count >= S_FIELDS_MAX) {
            req->too_big = true;
            return MHD_NO;
        }
        if (req->count == req->cap) {
            req->cap = req->cap ? req->cap * 2 : 32;
            req->kv = jk_realloc (req->kv, req->cap * sizeof *req->kv);
        }
        jk_kv_t *kv = &req->kv[req->count++];
        kv->key = jk_strdup (key);
        kv->value = jk_calloc (1, 1);
        kv->len = 0;
        kv->filename = filename ? jk_strdup (filename) : NULL;
    }
    jk_kv_t *kv = &req->kv[req->count - 1];
    kv->value = jk_realloc (kv->value, kv->len + size + 1);
    memcpy (kv->value + kv->len, data, size);
    kv->len += size;
    kv->value[kv->len] = 0;
    return MHD_YES;
}

static void s_req_free (s_req_t *req)
{
    if (!req)
        return;
    if (req->post)
        MHD_destroy_post_processor (req->post);
    for (size_t i = 0; i < req->count; i++) {
        free (req->kv[i].key);
        free (req->kv[i].value);
        free (req->kv[i].filename);
    }
    free (req->kv);
    free (req);
}

static void s_completed (void *cls, struct MHD_Connection *connection,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)connection;
    (void)toe;
    s_req_free ((s_req_t *)*con_cls);
    *con_cls = NULL;
}

/* ---- dispatch -------------------------------------------------------------
 */

static void s_text (jk_http_t *h, unsigned int code, const char *text)
{
    h->code = code;
    h->type = "text/plain; charset=utf-8";
    fputs (text, h->out);
}

static const jk_type_t *s_type_of (const char *name)
{
    return name ? jk_vocabulary_find (name, strlen (name)) : NULL;
}

/* "SEQ/proof" of /outbox/SEQ/proof. */
static bool s_proof_seq (const char *rest, uint64_t *seq)
{
    const char *slash = strchr (rest, '/');
    if (!slash || strcmp (slash, "/proof") != 0 || slash == rest ||
        slash - rest > 20)
        return false;
    char digits[21];
    memcpy (digits, rest, (size_t)(slash - rest));
    digits[slash - rest] = 0;
    return jk_parse_u64 (digits, seq) == JK_OK;
}

/* An embedded web file at the URL; true when one was served. */
static bool s_asset (jk_http_t *h)
{
    for (size_t i = 0; i < jk_office_assets_count; i++)
        if (strcmp (h->url, jk_office_assets[i].path) == 0) {
            h->type = jk_office_assets[i].type;
            fwrite (jk_office_assets[i].data, 1, jk_office_assets[i].size,
                    h->out);
            return true;
        }
    return false;
}

/* GET /lang?to=en|id&next=PATH: the language cookie, then back. */
static void s_lang (jk_http_t *h)
{
    const char *to = jk_http_query (h, "to");
    const char *next = jk_http_query (h, "next");
    bool en = to && strcmp (to, "en") == 0;
    jk_http_cookie (h, "jejak_lang=%s; Path=/; SameSite=Strict",
                    en ? "en" : "id");
    /* Only a path on this site: no open redirect. */
    jk_http_redirect (h, next && next[0] == '/' && next[1] != '/' &&
                                 !strchr (next, '\\') && !strpbrk (next, "\r\n")
                             ? next
                             : "/");
}

/* Refuses a request without a session, or a POST without the session's
   form token; true when it was refused (answered). */
static bool s_refused (jk_http_t *h, bool get, bool post)
{
    if (!h->logged_in) {
        if (get && strcmp (h->url, "/status.json") != 0)
            jk_http_redirect (h, "/login");
        else
            s_text (h, MHD_HTTP_UNAUTHORIZED,
                    "401 log in first (POST /login)\n");
        return true;
    }
    if (!post)
        return false;
    const char *csrf = jk_http_form (h, "csrf");
    if (csrf && jk_token_equal (csrf, h->session.csrf))
        return false;
    jk_info ("http", "user=%s path=%s refused=csrf", h->session.user, h->url);
    s_text (h, MHD_HTTP_FORBIDDEN,
            h->en ? "403 the form token (csrf) is missing or wrong: "
                    "open the form again\n"
                  : "403 token formulir (csrf) tidak ada atau salah: "
                    "buka formulirnya lagi\n");
    return true;
}

static void s_logout (jk_http_t *h)
{
    jk_sessions_end (h->office->sessions, h->session.token);
    jk_http_cookie (h, JK_SESSION_COOKIE "=; Max-Age=0%s",
                    jk_http_cookie_attrs (h));
    jk_http_redirect (h, "/login");
}

/* The pages at a fixed path: what answers a GET (or HEAD) and a POST
   (NULL: not allowed, 404). */
static const struct {
    const char *path;
    void (*get) (jk_http_t *h);
    void (*post) (jk_http_t *h);
} s_routes[] = {
    {"/", jk_page_home, NULL},
    {"/logout", NULL, s_logout},
    {"/outbox", jk_page_outbox, NULL},
    {"/attendance", jk_page_attendance, jk_page_attendance_save},
    {"/users", jk_page_users, jk_page_users_save},
    {"/import", jk_page_import, jk_page_import_preview},
    {"/import/confirm", NULL, jk_page_import_confirm},
    {"/import/template", jk_page_import_template, NULL},
    {"/receipt", jk_page_receipt, NULL},
    {"/status.json", jk_page_status_json, NULL},
};

/* The pages under a prefix: /form/TYPE, /outbox/SEQ[/proof]; true when
   the URL was one of them (answered). */
static bool s_prefixed (jk_http_t *h, bool get, bool post)
{
    const char *url = h->url;
    uint64_t seq = 0;
    if (strncmp (url, "/form/", 6) == 0 && s_type_of (url + 6)) {
        const jk_type_t *t = s_type_of (url + 6);
        if (post)
            jk_page_submit (h, t);
        else
            jk_page_form (h, t);
        return true;
    }
    if (strncmp (url, "/outbox/", 8) != 0 || !get)
        return false;
    if (s_proof_seq (url + 8, &seq))
        jk_page_proof (h, seq);
    else if (jk_parse_u64 (url + 8, &seq) == JK_OK)
        jk_page_entry (h, seq);
    else
        s_text (h, MHD_HTTP_NOT_FOUND, "404 not found\n");
    return true;
}

static void s_dispatch (jk_http_t *h)
{
    const char *url = h->url;
    bool get =
        strcmp (h->method, "GET") == 0 || strcmp (h->method, "HEAD") == 0;
    bool post = strcmp (h->method, "POST") == 0;
    if (get && s_asset (h))
        return;
    if (!get && !post) {
        s_text (h, MHD_HTTP_METHOD_NOT_ALLOWED,
                "405 method not allowed (GET, HEAD and POST)\n");
        return;
    }
    if (strcmp (url, "/lang") == 0 && get) {
        s_lang (h);
        return;
    }
    if (strcmp (url, "/login") == 0) {
        if (post)
            jk_login_post (h);
        else
            jk_page_login (h, NULL, NULL);
        return;
    }
    if (strcmp (url, "/favicon.ico") == 0) {
        s_text (h, MHD_HTTP_NOT_FOUND, "404 not found\n");
        return;
    }
    if (s_refused (h, get, post) || s_prefixed (h, get, post))
        return;
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++)
        if (strcmp (url, s_routes[i].path) == 0) {
            void (*page) (jk_http_t *) =
                post ? s_routes[i].post : s_routes[i].get;
            if (page) {
                page (h);
                return;
            }
            break;
        }
    s_text (h, MHD_HTTP_NOT_FOUND, "404 not found\n");
}

/* True while the session's account is enabled and unchanged since its
   login, as the users file says now (a read error keeps it). */
static bool s_account_current (jk_office_app_t *self,
                               const jk_session_t *session)
{
    int64_t changed_at = 0;
    int state = jk_users_state (self->users, session->user, &changed_at);
    if (state == JK_IO)
        return true;
    return state == JK_OK && changed_at == session->changed_at;
}

static enum MHD_Result s_request (void *cls, struct MHD_Connection *connection,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    jk_office_app_t *self = (jk_office_app_t *)cls;
    s_req_t *req = (s_req_t *)*con_cls;
    if (!req) {
        req = jk_calloc (1, sizeof *req);
        req->started = jk_clock_mono_ms ();
        *con_cls = req;
        req->limit = strcmp (url, "/import") == 0 ? S_UPLOAD_MAX : S_FORM_MAX;
        if (strcmp (method, "POST") == 0)
            req->post = MHD_create_post_processor (connection, 16384,
                                                   s_post_value, req);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        req->bytes += *upload_data_size;
        if (req->bytes > req->limit)
            req->too_big = true;
        if (req->post && !req->too_big)
            MHD_post_process (req->post, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    jk_http_t h;
    memset (&h, 0, sizeof h);
    h.office = self;
    h.conn = connection;
    h.method = method;
    h.url = url;
    h.form = req->kv;
    h.form_count = req->count;
    h.code = MHD_HTTP_OK;
    h.type = "text/html; charset=utf-8";
    h.out = open_memstream (&h.body, &h.size);
    const char *lang =
        MHD_lookup_connection_value (connection, MHD_COOKIE_KIND, "jejak_lang");
    h.en = lang && strcmp (lang, "en") == 0;
    const char *token = MHD_lookup_connection_value (
        connection, MHD_COOKIE_KIND, JK_SESSION_COOKIE);
    h.logged_in = jk_sessions_find (self->sessions, token, &h.session);
    if (h.logged_in && !s_account_current (self, &h.session)) {
        /* Disabled, or a new password, since the login (the command
           line's too): the session ends. */
        jk_info ("http", "user=%s session ended: account changed",
                 h.session.user);
        jk_sessions_end (self->sessions, token);
        h.logged_in = false;
    }
    if (strcmp (method, "POST") == 0 && !req->post)
        s_text (&h, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                "415 forms only (application/x-www-form-urlencoded or "
                "multipart/form-data)\n");
    else if (req->too_big)
        s_text (&h, MHD_HTTP_CONTENT_TOO_LARGE, "413 the form is too large\n");
    else
        s_dispatch (&h);
    fclose (h.out);
    struct MHD_Response *response =
        MHD_create_response_from_buffer (h.size, h.body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (response, "Content-Type", h.type);
    MHD_add_response_header (response, "Content-Security-Policy",
                             "default-src 'self'; form-action 'self'; "
                             "frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "X-Frame-Options", "DENY");
    MHD_add_response_header (response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    if (h.disposition[0])
        MHD_add_response_header (response, "Content-Disposition",
                                 h.disposition);
    if (h.location[0])
        MHD_add_response_header (response, "Location", h.location);
    for (int i = 0; i < h.cookie_count; i++)
        MHD_add_response_header (response, "Set-Cookie", h.cookies[i]);
    /* One line per request (written before the answer leaves): who,
       what, the answer. The query string, cookies and form values are
       never logged. */
    jk_info ("http", "user=%s method=%s path=%s status=%u ms=%lld",
             h.logged_in ? h.session.user : "-", method, url, h.code,
             (long long)(jk_clock_mono_ms () - req->started));
    enum MHD_Result rc = MHD_queue_response (connection, h.code, response);
    MHD_destroy_response (response);
    return rc;
}

/* ---- the office -----------------------------------------------------------
 */

static char *s_read_file (const char *path, char *err, size_t err_size)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (err, err_size, "cannot read %s: %s", path, strerror (errno));
        return NULL;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    char buf[4096];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, f)) > 0)
        fwrite (buf, 1, n, out);
    fclose (f);
    fclose (out);
    return text;
}

/* The TLS certificate and key read into memory; false with err set. */
static bool s_tls_load (jk_office_app_t *self, const jk_office_config_t *config,
                        char *err, size_t err_size)
{
    self->tls_cert = s_read_file (config->tls_cert, err, err_size);
    self->tls_key =
        self->tls_cert ? s_read_file (config->tls_key, err, err_size) : NULL;
    if (!self->tls_key)
        return false;
    if (MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES) {
        snprintf (err, err_size,
                  "this libmicrohttpd has no TLS (GnuTLS) support");
        return false;
    }
    self->tls = true;
    return true;
}

/* The courier that delivers the outbox (and fetches proofs with
   --log-key); NULL with err set. */
static jk_courier_t *s_courier (const jk_office_config_t *config, char *err,
                                size_t err_size)
{
    jk_proofs_config_t proofs = {
        .query = config->query,
        .log_key = config->log_key,
        .broker_key = config->delivery.broker_key,
        .key = config->query_key,
        .wait_ms = 5000,
    };
    if (config->query && jk_endpoint_is_local (config->query))
        proofs.broker_key = proofs.key = NULL;
    return jk_courier_new (config->outbox, config->source, &config->delivery,
                           config->log_key && config->query ? &proofs : NULL,
                           err, err_size);
}

/* libmicrohttpd listening on the config's IPv4 address and port (TLS
   when loaded); false with err set. */
static bool s_listen (jk_office_app_t *self, const jk_office_config_t *config,
                      char *err, size_t err_size)
{
    struct sockaddr_in addr;
    if (jk_web_sockaddr (config->address, config->port, &addr, err, err_size) !=
        JK_OK)
        return false;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (self->tls)
        flags |= MHD_USE_TLS;
    errno = 0;
    self->daemon = MHD_start_daemon (
        flags, 0, NULL, NULL, s_request, self, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)4,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)128,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        self->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, self->tls_cert,
        MHD_OPTION_HTTPS_MEM_KEY, self->tls_key, MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, err_size, "cannot listen on %s:%u: %s%s",
                  config->address, (unsigned)config->port,
                  errno ? strerror (errno) : "libmicrohttpd refused",
                  self->tls ? " (or the TLS certificate/key is not valid "
                              "PEM)"
                            : "");
        return false;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : config->port;
    return true;
}

jk_office_app_t *jk_office_app_new (const jk_office_config_t *config, char *err,
                                    size_t err_size)
{
    jk_office_app_t *self = jk_calloc (1, sizeof *self);
    self->config = *config;
    self->source = jk_strdup (config->source);
    jk_source_office (config->source, strlen (config->source), self->office,
                      sizeof self->office);
    /* Recursive: a page that holds it may render the status strip,
       which takes it too. */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init (&attr);
    pthread_mutexattr_settype (&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init (&self->lock, &attr);
    pthread_mutexattr_destroy (&attr);
    self->sessions = jk_sessions_new ();
    self->users = jk_users_open (config->users, err, err_size);
    if (!self->users)
        goto failed;
    self->outbox =
        jk_outbox_open (config->outbox, config->source, err, err_size);
    if (!self->outbox)
        goto failed;
    if (config->tls_cert && !s_tls_load (self, config, err, err_size))
        goto failed;
    if (config->picks) {
        self->picks = jk_picks_new (config->picks, config->query,
                                    config->delivery.broker_key,
                                    config->query_key, true, err, err_size);
        if (!self->picks)
            goto failed;
    }
    self->courier = s_courier (config, err, err_size);
    if (!self->courier || !s_listen (self, config, err, err_size))
        goto failed;
    return self;
failed:
    jk_office_app_destroy (&self);
    return NULL;
}

void jk_office_app_destroy (jk_office_app_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_office_app_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    jk_courier_destroy (&self->courier);
    jk_picks_destroy (&self->picks);
    jk_outbox_close (&self->outbox);
    jk_users_close (&self->users);
    jk_sessions_destroy (&self->sessions);
    jk_lists_free (self);
    jk_uploads_free (self);
    pthread_mutex_destroy (&self->lock);
    free (self->tls_cert);
    free (self->tls_key);
    free (self->source);
    free (self);
    *self_p = NULL;
}

uint16_t jk_office_app_port (jk_office_app_t *self)
{
    return self->port;
}
