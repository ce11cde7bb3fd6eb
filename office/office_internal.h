/*  office_internal.h - what the parts of jejak-office share inside the
    program: the running office, one HTTP request, HTML helpers. */
#ifndef OFFICE_INTERNAL_H
#define OFFICE_INTERNAL_H

#include "jk_html.h"
#include "jk_office.h"

#include <microhttpd.h>

/* One posted form value (repeated names keep every value, in order). */
typedef struct {
    char *key;
    char *value;
    size_t len;
    char *filename; /* a file field's file name, else NULL */
} jk_kv_t;

/* An import shown as a preview, waiting for its confirmation. */
typedef struct {
    char token[65]; /* the confirmation form's upload token */
    char user[JK_USER_MAX + 1];
    int64_t at_ms; /* mono ms of the upload */
    char *name;    /* the file's name, for the entries' origin */
    jk_import_t *import;
} jk_upload_t;
#define JK_UPLOADS       8                  /* previews kept at once */
#define JK_UPLOAD_TTL_MS (60LL * 60 * 1000) /* ... for at most an hour */

/* Pick lists: what the office has entered (decoded from its outbox). */
typedef struct {
    char *key;   /* legal number, NIK, batch code, "BATCH|N", ... */
    char *label; /* what a clerk reads */
    char *group; /* batch of a session or enrolment; else "" */
    char *extra; /* session: "HH:MM-HH:MM" */
} jk_item_t;

typedef struct {
    jk_item_t *items;
    size_t count, cap;
    zhashx_t *index; /* "GROUP\x1fKEY" of every item: no duplicates */
} jk_list_t;

/* A form's datalist shows the newest items of a list, at most this many
   (any other value may still be typed). */
#define JK_LIST_SHOWN 1000

enum {
    JK_LIST_COOPERATIVES,
    JK_LIST_PEOPLE,
    JK_LIST_BATCHES,
    JK_LIST_SESSIONS,
    JK_LIST_ENROLMENTS,
    JK_LIST_ASSESSMENTS,
    JK_LIST_ATTENDANCE,
    JK_LIST_COUNT
};

struct jk_office_app_s {
    jk_office_config_t config;
    char *source;
    char office[16]; /* "32.03.10" or "DINAS" */
    struct MHD_Daemon *daemon;
    uint16_t port;
    bool tls;
    char *tls_cert, *tls_key; /* PEM text */
    pthread_mutex_t lock;     /* guards outbox and lists */
    jk_outbox_t *outbox;      /* puts and reads of the web side */
    jk_list_t lists[JK_LIST_COUNT];
    uint64_t listed_seq; /* lists hold rows up to this seq */
    jk_picks_t *picks;   /* the hub's records for the lists, or NULL */
    uint64_t picked_pos; /* lists hold the hub's records up to this */
    jk_users_t *users;
    jk_sessions_t *sessions;
    jk_courier_t *courier;
    jk_upload_t uploads[JK_UPLOADS]; /* guarded by lock */
};

/* One request as the pages see it. */
typedef struct {
    jk_office_app_t *office;
    struct MHD_Connection *conn;
    const char *method, *url;
    jk_kv_t *form;
    size_t form_count;
    bool en;        /* English toggle */
    bool logged_in; /* session below is valid */
    jk_session_t session;
    /* the answer */
    unsigned int code;
    FILE *out;
    char *body;
    size_t size;
    const char *type;
    char location[512];
    char disposition[160]; /* Content-Disposition, or "" */
    char cookies[3][256];
    int cookie_count;
} jk_http_t;

/* The request (http.c). Form and query values: the first value of name,
   or NULL. */
const char *jk_http_form (jk_http_t *h, const char *name);
const char *jk_http_query (jk_http_t *h, const char *name);
/* Every posted value of name, in order, at most max into out; their
   count. */
size_t jk_http_form_values (jk_http_t *h, const char *name, const char **out,
                            size_t max);
/* Writes text HTML-escaped. */
/* The CSRF hidden field of the session. */
void jk_page_csrf (jk_http_t *h);
/* 303 to url. */
void jk_http_redirect (jk_http_t *h, const char *url);
void jk_http_cookie (jk_http_t *h, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
#define TR(h, id_text, en_text) ((h)->en ? (en_text) : (id_text))
/* Cookie attributes: HttpOnly and SameSite=Strict always, Secure with
   TLS. */
const char *jk_http_cookie_attrs (jk_http_t *h);
/* The session's cookie and the login form's. */
#define JK_SESSION_COOKIE "jejak_session"
#define JK_LOGIN_COOKIE   "jejak_login"
/* (login.c) The login page (user prefilled, error said), and its POST. */
void jk_page_login (jk_http_t *h, const char *user, const char *error);
void jk_login_post (jk_http_t *h);
/* (pages.c) The page's head, navigation and status strip; and its end. */
void jk_page_begin (jk_http_t *h, const char *title);
void jk_page_end (jk_http_t *h);

/* Lists (lists.c): brought up to date with the outbox (call under
   office->lock). */
void jk_lists_refresh (jk_office_app_t *office);
void jk_lists_free (jk_office_app_t *office);
/* Writes a pick list's item as an HTML <option> (its key the value, its
   label the text), marked selected when asked. */
void jk_lists_option (FILE *o, const jk_item_t *item, bool selected);

/* (forms.c) The wire text of field f from the posted form (h->form)
   into out (size bytes): a set's values joined by ',', a list's lines
   trimmed and joined by ',', units' code and title pairs as
   CODE=TITLE|..., any other value as jk_office_wire_value makes it.
   False when the field was left empty; true with the rule in report when
   the value is refused, E_FIELD_LENGTH when it would not fit in out. */
bool jk_office_posted (jk_http_t *h, const jk_field_t *f, char *out,
                       size_t size, jk_report_t *report);
/* Pages (pages.c, outbox_page.c, receipt_page.c, forms.c,
   attendance.c). */
void jk_page_home (jk_http_t *h);
void jk_page_form (jk_http_t *h, const jk_type_t *t);
void jk_page_submit (jk_http_t *h, const jk_type_t *t);
void jk_page_outbox (jk_http_t *h);
/* (outbox_page.c) The entries table's head, and one row of it: an
   outbox row with its state and its receipt or reason. */
void jk_page_outbox_head (jk_http_t *h);
void jk_page_outbox_row (jk_http_t *h, const jk_outbox_row_t *row);
void jk_page_entry (jk_http_t *h, uint64_t seq);
/* GET /outbox/SEQ/proof: the receipt's jejak-proof/1 file (download). */
void jk_page_proof (jk_http_t *h, uint64_t seq);
void jk_page_attendance (jk_http_t *h);
void jk_page_attendance_save (jk_http_t *h);
void jk_page_receipt (jk_http_t *h);
void jk_page_status_json (jk_http_t *h);
/* The status strip's figures. */
void jk_page_strip (jk_http_t *h);
/* User administration (users_page.c): supervisors only. */
void jk_page_users (jk_http_t *h);
void jk_page_users_save (jk_http_t *h);
/* Import (import_page.c). */
void jk_page_import (jk_http_t *h);
void jk_page_import_template (jk_http_t *h);
void jk_page_import_preview (jk_http_t *h);
void jk_page_import_confirm (jk_http_t *h);
void jk_uploads_free (jk_office_app_t *office);
/* Corrections, status declarations and revocations: supervisors only. */
bool jk_office_supervisor_only (const jk_type_t *t);
/* A count as shown: 1.503 (1,503 in English). */
void jk_office_count_text (uint64_t n, bool en, char out[32]);
/* dd/mm/yyyy HH:MM WIB of a wall time, into out (24 bytes). */
void jk_office_time_text (int64_t ms, char out[24]);
/* n with Indonesian thousands points (1.503), to o or into out. */
void jk_office_number (FILE *o, uint64_t n);
void jk_office_number_text (uint64_t n, char out[32]);

#endif
