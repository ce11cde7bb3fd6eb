/*  jk_office.h - jejak-office: the office box's web app. One process owns
    the device's outbox, delivers it to the dinas hub with the agents'
    delivery code whenever the link is up, and serves forms generated from
    the vocabulary table to the office's clerks (libmicrohttpd; loopback
    unless --http-public with TLS). Local users with Argon2id password
    hashes; the logged-in user is each event's actor. */
#ifndef JK_OFFICE_H
#define JK_OFFICE_H

#include "jk_agent.h"
#include "jk_schema.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

/* ---- users -----------------------------------------------------------------
   The box's local accounts in a SQLite file (created 0600): name, role
   (operator or supervisor), an Argon2id hash in its encoded form, and a
   disabled flag. Safe to use from several threads. */
typedef struct jk_users_s jk_users_t;

#define JK_USER_MAX     32  /* bytes of a user name */
#define JK_PASSWORD_MIN 8   /* characters of a password, at least */
#define JK_PASSWORD_MAX 256 /* ... and at most (UTF-8) */

jk_users_t *jk_users_open (const char *path, char *err, size_t err_size);
void jk_users_close (jk_users_t **self_p);
/* Why an account change was refused: a code for a caller that words it
   itself (the office's pages say it in Indonesian), and text, the same
   in English naming the rule (the command line prints it). */
typedef enum {
    JK_USERS_NAME = 1, /* JK_INVALID: the name breaks the name rule */
    JK_USERS_PASSWORD, /* JK_INVALID: not JK_PASSWORD_MIN..MAX characters */
    JK_USERS_ROLE,     /* JK_INVALID: neither operator nor supervisor */
    JK_USERS_TAKEN,    /* JK_CONFLICT: the name exists already */
    JK_USERS_UNKNOWN,  /* JK_NOT_FOUND: no user of that name */
    JK_USERS_FILE      /* JK_IO: the users file or the hashing failed */
} jk_users_why_t;
typedef struct {
    jk_users_why_t why;
    char text[300];
} jk_users_err_t;
/* Adds a user; JK_OK, or the status of err->why: JK_INVALID (name, role
   or password breaks a rule), JK_CONFLICT (the name exists) or JK_IO. */
int jk_users_add (jk_users_t *self, const char *name, const char *role,
                  const char *password, jk_users_err_t *err);
/* New password: JK_OK, or JK_INVALID, JK_NOT_FOUND, JK_IO with err. */
int jk_users_passwd (jk_users_t *self, const char *name, const char *password,
                     jk_users_err_t *err);
/* Disable / enable: JK_OK, or JK_NOT_FOUND (JK_USERS_UNKNOWN) or JK_IO
   (JK_USERS_FILE) with err. */
int jk_users_set_disabled (jk_users_t *self, const char *name, bool disabled,
                           jk_users_err_t *err);
/* Checks a password. JK_OK with the role (operator or supervisor) in role;
   JK_NOT_FOUND for an unknown user or a wrong password (the same answer,
   in the same time); JK_CLOSED for a disabled user with the right
   password; JK_IO. */
int jk_users_check (jk_users_t *self, const char *name, const char *password,
                    char role[16]);
/* Prints "NAME ROLE active|disabled" per user to out. */
int jk_users_print (jk_users_t *self, FILE *out);
/* Calls fn per user in name order (non-zero stops); JK_OK or JK_IO. */
typedef int (jk_users_fn) (void *arg, const char *name, const char *role,
                           bool disabled);
int jk_users_each (jk_users_t *self, jk_users_fn *fn, void *arg);
/* The audit table of account changes: who (a user, or "cli:LOGIN" for
   the command line), what (add, passwd, disable, enable), whom, a
   detail (the role of an added account); never a password. _each calls
   fn for the newest limit entries, newest first. JK_OK or JK_IO. */
int jk_users_audit (jk_users_t *self, const char *actor, const char *action,
                    const char *target, const char *detail);
typedef int (jk_audit_fn) (void *arg, int64_t at_ms, const char *actor,
                           const char *action, const char *target,
                           const char *detail);
int jk_users_audit_each (jk_users_t *self, size_t limit, jk_audit_fn *fn,
                         void *arg);
/* The account's state as the users file holds it now (the command line
   may have changed it): JK_OK enabled, JK_CLOSED disabled, JK_NOT_FOUND,
   JK_IO; *changed_at: when its password or state last changed (ms). */
int jk_users_state (jk_users_t *self, const char *name, int64_t *changed_at);
/* Number of active users (the server refuses to start with none). */
int64_t jk_users_active (jk_users_t *self);

/* ---- sessions and login throttling (in memory) ----------------------------
 */
typedef struct {
    char token[65]; /* the cookie value: 32 random bytes as hex */
    char csrf[65];  /* the form token of this session */
    char user[JK_USER_MAX + 1];
    char role[16];
    int64_t last_ms;    /* last request (mono ms) */
    int64_t changed_at; /* the account's changed_at at login: a change
                           since (a password, disabled) ends the session */
} jk_session_t;

typedef struct jk_sessions_s jk_sessions_t;
#define JK_SESSION_IDLE_MS (8LL * 3600 * 1000) /* idle time that ends one */
#define JK_LOGIN_FAILURES  5                   /* failures before a lock */
/* A name is locked wherever it is tried only after this many failures
   from any addresses within the window: one address cannot lock a clerk
   out (it is locked itself after JK_LOGIN_FAILURES), four can. */
#define JK_LOGIN_NAME_FAILURES 20
#define JK_LOGIN_WINDOW_MS     (15LL * 60 * 1000) /* ... within this window */
#define JK_LOGIN_LOCK_MS       (60LL * 1000)      /* first lock, then doubled */
#define JK_LOGIN_LOCK_MAX      (15LL * 60 * 1000)

jk_sessions_t *jk_sessions_new (void);
void jk_sessions_destroy (jk_sessions_t **self_p);
/* Starts a session for user, whose account was last changed at
   changed_at (jk_users_state); copies it into out. */
void jk_sessions_start (jk_sessions_t *self, const char *user, const char *role,
                        int64_t changed_at, jk_session_t *out);
/* Finds a live session by token (and touches it); true and a copy. */
bool jk_sessions_find (jk_sessions_t *self, const char *token,
                       jk_session_t *out);
void jk_sessions_end (jk_sessions_t *self, const char *token);
/* Ends every session of user (disabled, new password). */
void jk_sessions_end_user (jk_sessions_t *self, const char *user);
/* Login throttling by key ("user:NAME" and "ip:ADDR"): milliseconds the
   key is still locked, or 0. A key is locked after `failures` failed
   logins within JK_LOGIN_WINDOW_MS (JK_LOGIN_FAILURES for an address,
   JK_LOGIN_NAME_FAILURES for a name); a good login clears it. */
int64_t jk_sessions_locked (jk_sessions_t *self, const char *key);
/* Records a failed (true) or good (false) login for key. */
void jk_sessions_login_result (jk_sessions_t *self, const char *key,
                               bool failed, int failures);
/* Constant-time comparison of two NUL-terminated tokens. */
bool jk_token_equal (const char *a, const char *b);
/* 32 random bytes as 64 hex characters. */
void jk_token_new (char out[65]);

/* ---- waking the background threads (wake.c) ---------------------------------
   The delivery and pick-list threads sleep on a condition until woken or
   until a time on the monotonic clock (wall-clock steps do not move it). */
/* Initialises cond to be timed on CLOCK_MONOTONIC. */
void jk_office_cond_init (pthread_cond_t *cond);
/* The CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait on a
   condition made by jk_office_cond_init. */
struct timespec jk_office_deadline (int64_t ms);

/* ---- the delivery thread ---------------------------------------------------
   Runs jk_delivery_run on its own outbox handle whenever there is
   something to send, and records when the hub last answered. */
typedef struct jk_courier_s jk_courier_t;
/* proofs: with the log's key (NULL: none), after each delivery run that
   stored something (and at start, and after a run that did not finish)
   the courier fetches, checks and keeps the new receipts' inclusion
   proofs (jk_proofs_run). */
jk_courier_t *jk_courier_new (const char *outbox_path, const char *source,
                              const jk_delivery_config_t *config,
                              const jk_proofs_config_t *proofs, char *err,
                              size_t err_size);
void jk_courier_destroy (jk_courier_t **self_p);
/* Something new was queued: deliver now. */
void jk_courier_wake (jk_courier_t *self);
typedef struct {
    int64_t last_contact_ms; /* wall ms of the hub's last answer, or 0 */
    int64_t last_try_ms;     /* wall ms of the last delivery attempt */
    bool link_up;            /* the last attempt reached the hub */
    uint64_t stored, rejected, reconnects; /* since start */
    bool proofs;     /* receipts are proven (the log's key given) */
    uint64_t proven; /* receipts proven since start */
    bool fork;       /* a proof or checkpoint contradicted what is held */
} jk_courier_state_t;
void jk_courier_state (jk_courier_t *self, jk_courier_state_t *out);

/* ---- text for clerks: Indonesian first, English as a toggle ----------------
 */
/* The label of a field / type in the language. */
const char *jk_office_field_label (const jk_field_t *f, bool en, char *buf,
                                   size_t size);
const char *jk_office_field_help (const jk_field_t *f, bool en);
const char *jk_office_type_label (const jk_type_t *t, bool en);
/* The display name of an enum value ("SIMPAN_PINJAM" -> "Simpan pinjam"). */
const char *jk_office_value_label (const char *value, bool en, char *buf,
                                   size_t size);
/* A problem (validation or store rejection) as a sentence for a clerk,
   chosen by its code and rule (JK_RULE_ANY for a store's rejection, whose
   wire record has no rule) and the field's kind; message, the library's
   English, is shown in English and for a rule without its own sentence. */
void jk_office_problem_text (const char *code, jk_rule_t rule,
                             const char *message, const jk_field_t *field,
                             bool en, char *out, size_t size);
/* The code and words a clerk sees for a row the CSV or XLSX reader could
   not hand out (fault, with the reader's English reason): the fault's
   code and Indonesian sentence, or reason (English, or where the reader's
   words are the sentence). A fault without an entry is not given
   another's words: false, with E_ROW_UNREADABLE and a text naming the
   fault's number and quoting reason. */
bool jk_import_fault_text (jk_csv_fault_t fault, const char *reason, bool en,
                           char *code, size_t code_size, char *text,
                           size_t text_size);
/* The words for an account change refused with why (err->why of the
   jk_users_ calls), Indonesian or English, into out; false, with out
   naming why's number, for a reason without an entry. */
bool jk_office_users_refusal (jk_users_why_t why, bool en, char *out,
                              size_t size);
/* The outbox state as shown: belum terkirim / terkirim / tersimpan /
   ditolak (not sent yet / sent / stored / rejected). */
const char *jk_office_state_label (jk_outbox_state_t state, bool en);
/* A yes/no value as a clerk reads it: Ya / Tidak (Yes / No). */
const char *jk_office_bool_label (bool value, bool en);

/* ---- form values to events ------------------------------------------------
   Turns what a clerk typed into wire text: dates in JK_DATE_FORMS (as the
   agents take them), numbers with Indonesian thousands points (1.045),
   Ya/Tidak, enum labels or names in any case. Returns 0 with the wire text in
   out, or -1 with the reason in report (a bad date: E_FIELD_FORMAT and the
   agents' message). */
int jk_office_wire_value (const jk_field_t *f, const char *text, char *out,
                          size_t size, jk_report_t *report);

/* ---- XLSX (xlsx.c) ----------------------------------------------------------
   Reads the first sheet of an XLSX workbook from memory and calls fn per
   row with its cells as text, as jk_csv_read does (line: the sheet's row
   number; cells up to the last one given, the missing ones ""; rows with
   no text skipped). Shared and inline strings with their escapes
   _xHHHH_ undone as Excel reads them (ECMA-376 ST_Xstring); booleans
   TRUE or FALSE; a number in a cell styled as a date dd/mm/yyyy, as a
   time of day HH:MM, any other number as stored ("1045", "3.2E+15"). bad
   gets a row it cannot hand out whole (a cell past column
   JK_CSV_MAX_CELLS or longer than JK_XLSX_CELL_MAX characters, a missing
   shared string, a cell given twice, text with an escape of NUL or of a
   lone surrogate). Returns JK_OK, the non-zero answer of a callback that
   stopped, or JK_INVALID with the reason in err (not a zip, no workbook
   or sheet, a part larger than JK_XLSX_PART_MAX once unpacked, XML that
   is not well formed or declares a DOCTYPE). */
#define JK_XLSX_PART_MAX (64 * 1024 * 1024)
#define JK_XLSX_CELL_MAX 32767
int jk_xlsx_read (const void *data, size_t size, jk_csv_row_fn *fn,
                  jk_csv_bad_fn *bad, void *arg, char *err, size_t err_size);

/* ---- import of a CSV or XLSX file (import.c) ------------------------------
   One file of one event type read into events, checked row by row before
   anything is queued. The header row names the columns by the fields'
   Indonesian labels (`Nomor badan hukum`) or their names
   (`legal_number`), in any case, with spaces, '_' or '-' alike; cells in
   the forms clerks type (jk_office_wire_value). A row equal to the
   template's example row is skipped. Problems name the row, the column
   and the rule, in Indonesian (or English). */
#define JK_IMPORT_MAX_BYTES (8 * 1024 * 1024) /* one uploaded file */
#define JK_IMPORT_MAX_ROWS  10000             /* data rows of one file */
#define JK_IMPORT_PROBLEMS  500               /* problems kept to show */

typedef struct {
    size_t line;     /* CSV line or sheet row; 1 is the header */
    char column[64]; /* the column as headed in the file, or "" */
    char code[JK_CODE_MAX];
    char text[400]; /* for the clerk */
} jk_import_problem_t;

typedef struct {
    size_t line;
    jk_event_t *event; /* validated; source and actor set */
    char *key;         /* natural key for the outbox, or NULL */
} jk_import_row_t;

typedef struct {
    const jk_type_t *type;
    bool en;
    bool xlsx;       /* read as XLSX (else CSV) */
    bool unusable;   /* nothing can be imported: see error */
    char error[400]; /* the file-level problem */
    size_t rows;     /* data rows read (blank ones not counted) */
    size_t bad;      /* rows with a problem */
    size_t examples; /* template example rows skipped */
    jk_import_row_t *good;
    size_t good_count;
    jk_import_problem_t *problems; /* the first JK_IMPORT_PROBLEMS */
    size_t problem_count;
    size_t problem_total;
    /* reading */
    char *source, *actor, *office;
    int columns[JK_CSV_MAX_CELLS]; /* field, -2 corrects, -1 none */
    char *headers[JK_CSV_MAX_CELLS];
    size_t column_count;
    bool header_done;
    char separator;
} jk_import_t;

jk_import_t *jk_import_new (const jk_type_t *type, const char *source,
                            const char *actor, bool en);
void jk_import_destroy (jk_import_t **self_p);
/* Reads a file (XLSX when it starts as a zip archive, else CSV). JK_OK
   when rows could be read (good and bad ones counted), JK_INVALID when the
   file is unusable as a whole (error says why: not readable, no header,
   a header that names unknown or repeated columns or leaves a required one
   out, more than JK_IMPORT_MAX_ROWS rows). */
int jk_import_read (jk_import_t *self, const void *data, size_t size);
/* The template's header cell of field f (-1: the corrects column) and its
   example cell for an office ("32.03.10"). */
const char *jk_import_header (const jk_type_t *t, int field, bool en, char *buf,
                              size_t size);
const char *jk_import_example (const jk_type_t *t, int field,
                               const char *office, char *buf, size_t size);
/* Templates: a CSV (UTF-8 BOM, ';', Indonesian headers and the example
   row) or an XLSX workbook (headers, the example row, drop-down lists of
   the enum labels and Ya/Tidak, text columns kept as text, a sheet of
   help per column). Heap bytes in *out; JK_OK or JK_IO. */
int jk_import_template_csv (const jk_type_t *t, const char *office, bool en,
                            char **out, size_t *size);
int jk_import_template_xlsx (const jk_type_t *t, const char *office, bool en,
                             char **out, size_t *size);

/* ---- pick lists from the hub (picks.c) --------------------------------------
   The accepted cooperative.registered, training.batch_scheduled and
   training.session_scheduled records of the hub's log, whoever entered
   them, kept in a cache file (SQLite: records (pos, bytes), meta (topic,
   pos)) so that the office's pick lists work while the link is down. A
   thread asks the query endpoint (SINCE per topic from the cached
   position, credit window 1000) at start and every JK_PICKS_EVERY_MS
   (JK_PICKS_RETRY_MS after a failed try; the hub answering nothing for
   JK_PICKS_TIMEOUT_MS is a failed try). */
typedef struct jk_picks_s jk_picks_t;
#define JK_PICKS_EVERY_MS   (60 * 1000)
#define JK_PICKS_RETRY_MS   (15 * 1000)
#define JK_PICKS_TIMEOUT_MS 5000

/* Opens (creating) the cache; with start and an endpoint, starts the
   thread (CURVE when broker_key and key, the reader's secret
   certificate, are both given). NULL with the reason in err. */
jk_picks_t *jk_picks_new (const char *cache, const char *endpoint,
                          const char *broker_key, const char *key, bool start,
                          char *err, size_t err_size);
void jk_picks_destroy (jk_picks_t **self_p);
/* One sync now (the thread's work): JK_OK, JK_TEMPORARY (no answer in
   time), JK_IO. */
int jk_picks_sync (jk_picks_t *self);
/* Calls fn for every cached record after position after, in position
   order; returns the last position visited (after when none), or
   JK_IO. */
typedef void (jk_picks_fn) (void *arg, uint64_t pos, const void *bytes,
                            size_t size);
int64_t jk_picks_each (jk_picks_t *self, uint64_t after, jk_picks_fn *fn,
                       void *arg);
/* Wall ms of the last whole sync, or 0. */
int64_t jk_picks_synced (jk_picks_t *self);

/* ---- the server -----------------------------------------------------------
 */
typedef struct {
    const char *source;   /* OFFICE/DEVICE */
    const char *outbox;   /* outbox file */
    const char *users;    /* users file */
    const char *address;  /* IPv4 to bind */
    uint16_t port;        /* 0: any */
    const char *tls_cert; /* PEM files: both or neither */
    const char *tls_key;
    jk_delivery_config_t delivery;
    /* Pick lists from the hub: its query endpoint (NULL: the outbox
       only), the reader's secret certificate for CURVE (with
       delivery.broker_key), and the cache file. */
    const char *query;
    const char *query_key;
    const char *picks;
    /* The log's verifier key (text): receipts proven through query. */
    const char *log_key;
} jk_office_config_t;

typedef struct jk_office_app_s jk_office_app_t;
jk_office_app_t *jk_office_app_new (const jk_office_config_t *config, char *err,
                                    size_t err_size);
void jk_office_app_destroy (jk_office_app_t **self_p);
uint16_t jk_office_app_port (jk_office_app_t *self);

/* The embedded web files (office/web), made by status/web/embed.cmake. */
typedef struct {
    const char *path;
    const char *type;
    const unsigned char *data;
    size_t size;
} jk_web_asset_t;
extern const jk_web_asset_t jk_office_assets[];
extern const size_t jk_office_assets_count;

#endif
