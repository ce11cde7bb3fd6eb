/*  users.c - the box's local accounts (SQLite, Argon2id via libargon2),
    the sessions of logged-in users and login throttling (in memory). */
#include "jk_dbkind.h"
#include "jk_office.h"

#include <argon2.h>
#include <assert.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define S_COMPONENT "users"

/* Argon2id cost: 3 passes over 64 MiB, one lane (RFC 9106's second
   recommended option scaled to a small box: about 0.2 s on a Raspberry
   Pi 4, 0.1 s on the test machine). */
#define S_T_COST   3
#define S_M_COST   (64 * 1024) /* KiB */
#define S_LANES    1
#define S_SALT     16
#define S_HASH_LEN 32

struct jk_users_s {
    sqlite3 *db;
    pthread_mutex_t lock;
    char dummy[160]; /* a hash checked for unknown names: same time */
};

static void s_random (void *buf, size_t size)
{
    uint8_t *p = (uint8_t *)buf;
    while (size > 0) {
        ssize_t n = getrandom (p, size, 0);
        if (n <= 0)
            abort (); /* no randomness: nothing safe can be done */
        p += n;
        size -= (size_t)n;
    }
}

void jk_token_new (char out[65])
{
    uint8_t raw[32];
    s_random (raw, sizeof raw);
    jk_hex_format (raw, sizeof raw, out);
}

bool jk_token_equal (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    unsigned diff = (unsigned)(la ^ lb);
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0 && la > 0;
}

static int s_hash (const char *password, char *out, size_t size)
{
    uint8_t salt[S_SALT];
    s_random (salt, sizeof salt);
    int rc = argon2id_hash_encoded (S_T_COST, S_M_COST, S_LANES, password,
                                    strlen (password), salt, sizeof salt,
                                    S_HASH_LEN, out, size);
    return rc == ARGON2_OK ? 0 : -1;
}

jk_users_t *jk_users_open (const char *path, char *err, size_t err_size)
{
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (err, err_size, "cannot open users file %s: %s", path,
                  strerror (errno));
        return NULL;
    }
    close (fd);
    jk_users_t *self = jk_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    if (sqlite3_open_v2 (path, &self->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                         NULL) != SQLITE_OK ||
        sqlite3_busy_timeout (self->db, 5000) != SQLITE_OK) {
        snprintf (err, err_size, "users file %s: %s", path,
                  self->db ? sqlite3_errmsg (self->db) : "cannot open");
        jk_users_close (&self);
        return NULL;
    }
    /* Another program's file is refused before anything is written. */
    if (jk_db_kind_check (self->db, path, JK_DB_USERS, err, err_size) !=
        JK_OK) {
        jk_users_close (&self);
        return NULL;
    }
    if (sqlite3_exec (self->db,
                      "PRAGMA journal_mode=WAL;"
                      "CREATE TABLE IF NOT EXISTS users ("
                      "  name TEXT PRIMARY KEY,"
                      "  role TEXT NOT NULL,"
                      "  hash TEXT NOT NULL,"
                      "  disabled INTEGER NOT NULL DEFAULT 0,"
                      "  created_at INTEGER NOT NULL,"
                      "  changed_at INTEGER NOT NULL);"
                      "CREATE TABLE IF NOT EXISTS audit ("
                      "  id INTEGER PRIMARY KEY,"
                      "  at INTEGER NOT NULL,"
                      "  actor TEXT NOT NULL,"
                      "  action TEXT NOT NULL,"
                      "  target TEXT NOT NULL,"
                      "  detail TEXT NOT NULL DEFAULT '');",
                      NULL, NULL, NULL) != SQLITE_OK ||
        jk_db_kind_mark (self->db, JK_DB_USERS) != JK_OK) {
        snprintf (err, err_size, "users file %s: %s", path,
                  self->db ? sqlite3_errmsg (self->db) : "cannot open");
        jk_users_close (&self);
        return NULL;
    }
    if (s_hash ("not a password of anyone", self->dummy, sizeof self->dummy)) {
        snprintf (err, err_size, "argon2 failed");
        jk_users_close (&self);
        return NULL;
    }
    return self;
}

void jk_users_close (jk_users_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_users_t *self = *self_p;
    sqlite3_close (self->db);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

/* Says why in err; returns the status that goes with it. */
static int s_refuse (jk_users_err_t *err, jk_users_why_t why,
                     const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
static int s_refuse (jk_users_err_t *err, jk_users_why_t why,
                     const char *format, ...)
{
    err->why = why;
    char text[sizeof err->text];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    /* A name or role it quotes comes from the command line or a form:
       its control characters are shown as escapes (\x1b), so the message
       never acts on the terminal it is printed on. */
    char *visible = jk_text_visible (text, strlen (text));
    snprintf (err->text, sizeof err->text, "%s", visible);
    free (visible);
    return why == JK_USERS_TAKEN     ? JK_CONFLICT
           : why == JK_USERS_UNKNOWN ? JK_NOT_FOUND
           : why == JK_USERS_FILE    ? JK_IO
                                     : JK_INVALID;
}

/* Names: 1..32 of [a-z0-9._-], starting with a letter or digit. */
static int s_check_name (const char *name, jk_users_err_t *err)
{
    size_t len = strlen (name);
    bool ok =
        len >= 1 && len <= JK_USER_MAX && name[0] != '.' && name[0] != '-';
    for (size_t i = 0; ok && i < len; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
             c == '_' || c == '-';
    }
    if (!ok)
        return s_refuse (err, JK_USERS_NAME,
                         "user name '%s': 1 to %d of a-z 0-9 . _ - (lower "
                         "case), not starting with . or -",
                         name, JK_USER_MAX);
    return JK_OK;
}

static int s_check_password (const char *password, jk_users_err_t *err)
{
    /* Counted in characters both ways: a password of 200 accented
       letters (400 bytes) is within 8 to 256. */
    int64_t chars = jk_utf8_length (password, strlen (password));
    if (chars < 0)
        return s_refuse (err, JK_USERS_PASSWORD,
                         "password: not UTF-8 text (%d to %d characters)",
                         JK_PASSWORD_MIN, JK_PASSWORD_MAX);
    if (chars < JK_PASSWORD_MIN || chars > JK_PASSWORD_MAX)
        return s_refuse (err, JK_USERS_PASSWORD,
                         "password: %d to %d characters (UTF-8), got %lld",
                         JK_PASSWORD_MIN, JK_PASSWORD_MAX, (long long)chars);
    return JK_OK;
}

int jk_users_add (jk_users_t *self, const char *name, const char *role,
                  const char *password, jk_users_err_t *err)
{
    int rc = s_check_name (name, err);
    if (rc == JK_OK)
        rc = s_check_password (password, err);
    if (rc != JK_OK)
        return rc;
    if (strcmp (role, "operator") != 0 && strcmp (role, "supervisor") != 0)
        return s_refuse (err, JK_USERS_ROLE,
                         "role '%s': operator or supervisor (supervisor: "
                         "corrections and user administration)",
                         role);
    char hash[160];
    if (s_hash (password, hash, sizeof hash))
        return s_refuse (err, JK_USERS_FILE, "argon2 failed");
    sqlite3_stmt *st = NULL;
    rc = JK_IO;
    pthread_mutex_lock (&self->lock);
    if (sqlite3_prepare_v2 (self->db,
                            "INSERT INTO users (name, role, hash, created_at,"
                            " changed_at) VALUES (?, ?, ?, ?, ?)",
                            -1, &st, NULL) == SQLITE_OK) {
        int64_t now = jk_clock_now_ms ();
        sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 2, role, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 3, hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 4, now);
        sqlite3_bind_int64 (st, 5, now);
        int step = sqlite3_step (st);
        if (step == SQLITE_DONE)
            rc = JK_OK;
        else if (step == SQLITE_CONSTRAINT)
            rc = s_refuse (err, JK_USERS_TAKEN,
                           "user '%s' exists already (passwd changes a "
                           "password)",
                           name);
        else
            rc = s_refuse (err, JK_USERS_FILE, "%s", sqlite3_errmsg (self->db));
    } else
        rc = s_refuse (err, JK_USERS_FILE, "%s", sqlite3_errmsg (self->db));
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

/* Runs an UPDATE with (text, name) bound; JK_OK, JK_NOT_FOUND or JK_IO. */
static int s_update (jk_users_t *self, const char *sql, const char *value,
                     int64_t number, const char *name)
{
    sqlite3_stmt *st = NULL;
    int rc = JK_IO;
    pthread_mutex_lock (&self->lock);
    if (sqlite3_prepare_v2 (self->db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (value)
            sqlite3_bind_text (st, 1, value, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64 (st, 1, number);
        sqlite3_bind_int64 (st, 2, jk_clock_now_ms ());
        sqlite3_bind_text (st, 3, name, -1, SQLITE_STATIC);
        if (sqlite3_step (st) == SQLITE_DONE)
            rc = sqlite3_changes (self->db) == 1 ? JK_OK : JK_NOT_FOUND;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int jk_users_passwd (jk_users_t *self, const char *name, const char *password,
                     jk_users_err_t *err)
{
    if (s_check_password (password, err) != JK_OK)
        return JK_INVALID;
    char hash[160];
    if (s_hash (password, hash, sizeof hash))
        return s_refuse (err, JK_USERS_FILE, "argon2 failed");
    int rc = s_update (
        self, "UPDATE users SET hash = ?, changed_at = ? WHERE name = ?", hash,
        0, name);
    if (rc == JK_NOT_FOUND)
        return s_refuse (err, JK_USERS_UNKNOWN, "no user '%s'", name);
    if (rc == JK_IO)
        return s_refuse (err, JK_USERS_FILE,
                         "the users file cannot be "
                         "written");
    return rc;
}

int jk_users_set_disabled (jk_users_t *self, const char *name, bool disabled,
                           jk_users_err_t *err)
{
    int rc = s_update (
        self, "UPDATE users SET disabled = ?, changed_at = ? WHERE name = ?",
        NULL, disabled, name);
    if (rc == JK_NOT_FOUND)
        return s_refuse (err, JK_USERS_UNKNOWN, "no user '%s'", name);
    if (rc == JK_IO)
        return s_refuse (err, JK_USERS_FILE,
                         "the users file cannot be written");
    return rc;
}

int jk_users_check (jk_users_t *self, const char *name, const char *password,
                    char role[16])
{
    char hash[160] = "";
    bool found = false, disabled = false;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock (&self->lock);
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT role, hash, disabled FROM users"
                            " WHERE name = ?",
                            -1, &st, NULL) != SQLITE_OK) {
        pthread_mutex_unlock (&self->lock);
        return JK_IO;
    }
    sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step (st) == SQLITE_ROW) {
        found = true;
        snprintf (role, 16, "%s", (const char *)sqlite3_column_text (st, 0));
        snprintf (hash, sizeof hash, "%s",
                  (const char *)sqlite3_column_text (st, 1));
        disabled = sqlite3_column_int (st, 2) != 0;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    /* The hash is checked outside the lock (it takes a tenth of a second),
       and for unknown names too, against a dummy, so that the time does
       not tell which names exist. */
    bool good = argon2id_verify (found ? hash : self->dummy, password,
                                 strlen (password)) == ARGON2_OK;
    if (!found || !good)
        return JK_NOT_FOUND;
    return disabled ? JK_CLOSED : JK_OK;
}

int jk_users_each (jk_users_t *self, jk_users_fn *fn, void *arg)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock (&self->lock);
    int rc = JK_IO;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT name, role, disabled FROM users ORDER BY"
                            " name",
                            -1, &st, NULL) == SQLITE_OK) {
        rc = JK_OK;
        while (sqlite3_step (st) == SQLITE_ROW)
            if (fn (arg, (const char *)sqlite3_column_text (st, 0),
                    (const char *)sqlite3_column_text (st, 1),
                    sqlite3_column_int (st, 2) != 0))
                break;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

static int s_print_user (void *arg, const char *name, const char *role,
                         bool disabled)
{
    fprintf ((FILE *)arg, "%s %s %s\n", name, role,
             disabled ? "disabled" : "active");
    return 0;
}

int jk_users_print (jk_users_t *self, FILE *out)
{
    return jk_users_each (self, s_print_user, out);
}

int jk_users_audit (jk_users_t *self, const char *actor, const char *action,
                    const char *target, const char *detail)
{
    sqlite3_stmt *st = NULL;
    int rc = JK_IO;
    pthread_mutex_lock (&self->lock);
    if (sqlite3_prepare_v2 (self->db,
                            "INSERT INTO audit (at, actor, action, target, "
                            "detail) VALUES (?, ?, ?, ?, ?)",
                            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64 (st, 1, jk_clock_now_ms ());
        sqlite3_bind_text (st, 2, actor, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 3, action, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 4, target, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 5, detail ? detail : "", -1, SQLITE_STATIC);
        if (sqlite3_step (st) == SQLITE_DONE)
            rc = JK_OK;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    if (rc != JK_OK)
        jk_error (S_COMPONENT, "cannot write the audit entry %s %s", action,
                  target);
    return rc;
}

int jk_users_audit_each (jk_users_t *self, size_t limit, jk_audit_fn *fn,
                         void *arg)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock (&self->lock);
    int rc = JK_IO;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT at, actor, action, target, detail FROM "
                            "audit ORDER BY id DESC LIMIT ?",
                            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)limit);
        rc = JK_OK;
        while (sqlite3_step (st) == SQLITE_ROW)
            if (fn (arg, sqlite3_column_int64 (st, 0),
                    (const char *)sqlite3_column_text (st, 1),
                    (const char *)sqlite3_column_text (st, 2),
                    (const char *)sqlite3_column_text (st, 3),
                    (const char *)sqlite3_column_text (st, 4)))
                break;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int jk_users_state (jk_users_t *self, const char *name, int64_t *changed_at)
{
    sqlite3_stmt *st = NULL;
    int rc = JK_IO;
    *changed_at = 0;
    pthread_mutex_lock (&self->lock);
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT disabled, changed_at FROM users"
                            " WHERE name = ?",
                            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
        int step = sqlite3_step (st);
        if (step == SQLITE_ROW) {
            rc = sqlite3_column_int (st, 0) ? JK_CLOSED : JK_OK;
            *changed_at = sqlite3_column_int64 (st, 1);
        } else if (step == SQLITE_DONE)
            rc = JK_NOT_FOUND;
    }
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int64_t jk_users_active (jk_users_t *self)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    pthread_mutex_lock (&self->lock);
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT count(*) FROM users WHERE disabled = 0", -1,
                            &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    pthread_mutex_unlock (&self->lock);
    return n;
}

/* ---- sessions ----------------------------------------------------------- */

#define S_SESSIONS_MAX 512
#define S_THROTTLE_MAX 1024

typedef struct {
    char key[80];
    int failures;     /* within the window */
    int64_t first_ms; /* first failure of the window */
    int64_t lock_until;
    int64_t lock_ms; /* the next lock's length */
} s_throttle_t;

struct jk_sessions_s {
    pthread_mutex_t lock;
    jk_session_t sessions[S_SESSIONS_MAX];
    s_throttle_t throttle[S_THROTTLE_MAX];
};

jk_sessions_t *jk_sessions_new (void)
{
    jk_sessions_t *self = jk_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

void jk_sessions_destroy (jk_sessions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pthread_mutex_destroy (&(*self_p)->lock);
    free (*self_p);
    *self_p = NULL;
}

void jk_sessions_start (jk_sessions_t *self, const char *user, const char *role,
                        int64_t changed_at, jk_session_t *out)
{
    int64_t now = jk_clock_mono_ms ();
    pthread_mutex_lock (&self->lock);
    /* A free or expired slot, else the one idle the longest. */
    jk_session_t *slot = &self->sessions[0];
    for (size_t i = 0; i < S_SESSIONS_MAX; i++) {
        jk_session_t *s = &self->sessions[i];
        if (!s->token[0] || now - s->last_ms > JK_SESSION_IDLE_MS) {
            slot = s;
            break;
        }
        if (s->last_ms < slot->last_ms)
            slot = s;
    }
    memset (slot, 0, sizeof *slot);
    jk_token_new (slot->token);
    jk_token_new (slot->csrf);
    snprintf (slot->user, sizeof slot->user, "%s", user);
    snprintf (slot->role, sizeof slot->role, "%s", role);
    slot->last_ms = now;
    slot->changed_at = changed_at;
    *out = *slot;
    pthread_mutex_unlock (&self->lock);
}

bool jk_sessions_find (jk_sessions_t *self, const char *token,
                       jk_session_t *out)
{
    if (!token || strlen (token) != 64)
        return false;
    int64_t now = jk_clock_mono_ms ();
    bool found = false;
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < S_SESSIONS_MAX && !found; i++) {
        jk_session_t *s = &self->sessions[i];
        if (s->token[0] && jk_token_equal (s->token, token)) {
            if (now - s->last_ms > JK_SESSION_IDLE_MS) {
                memset (s, 0, sizeof *s);
                break;
            }
            s->last_ms = now;
            *out = *s;
            found = true;
        }
    }
    pthread_mutex_unlock (&self->lock);
    return found;
}

void jk_sessions_end (jk_sessions_t *self, const char *token)
{
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < S_SESSIONS_MAX; i++)
        if (self->sessions[i].token[0] &&
            jk_token_equal (self->sessions[i].token, token))
            memset (&self->sessions[i], 0, sizeof self->sessions[i]);
    pthread_mutex_unlock (&self->lock);
}

void jk_sessions_end_user (jk_sessions_t *self, const char *user)
{
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; i < S_SESSIONS_MAX; i++)
        if (self->sessions[i].token[0] &&
            strcmp (self->sessions[i].user, user) == 0)
            memset (&self->sessions[i], 0, sizeof self->sessions[i]);
    pthread_mutex_unlock (&self->lock);
}

static s_throttle_t *s_throttle_slot (jk_sessions_t *self, const char *key,
                                      bool create, int64_t now)
{
    s_throttle_t *free_slot = NULL;
    for (size_t i = 0; i < S_THROTTLE_MAX; i++) {
        s_throttle_t *t = &self->throttle[i];
        if (t->key[0] && strcmp (t->key, key) == 0)
            return t;
        bool stale = !t->key[0] || (now - t->first_ms > JK_LOGIN_WINDOW_MS &&
                                    now >= t->lock_until);
        if (!free_slot && stale)
            free_slot = t;
    }
    if (!create)
        return NULL;
    if (!free_slot) /* full of live entries: the oldest goes */
        free_slot = &self->throttle[0];
    memset (free_slot, 0, sizeof *free_slot);
    snprintf (free_slot->key, sizeof free_slot->key, "%s", key);
    free_slot->lock_ms = JK_LOGIN_LOCK_MS;
    return free_slot;
}

int64_t jk_sessions_locked (jk_sessions_t *self, const char *key)
{
    int64_t now = jk_clock_mono_ms (), left = 0;
    pthread_mutex_lock (&self->lock);
    s_throttle_t *t = s_throttle_slot (self, key, false, now);
    if (t && t->lock_until > now)
        left = t->lock_until - now;
    pthread_mutex_unlock (&self->lock);
    return left;
}

void jk_sessions_login_result (jk_sessions_t *self, const char *key,
                               bool failed, int failures)
{
    int64_t now = jk_clock_mono_ms ();
    pthread_mutex_lock (&self->lock);
    s_throttle_t *t = s_throttle_slot (self, key, failed, now);
    if (t && !failed)
        memset (t, 0, sizeof *t);
    else if (t) {
        if (t->failures == 0 || now - t->first_ms > JK_LOGIN_WINDOW_MS) {
            t->failures = 0;
            t->first_ms = now;
        }
        if (++t->failures >= failures) {
            t->lock_until = now + t->lock_ms;
            t->lock_ms = t->lock_ms * 2 > JK_LOGIN_LOCK_MAX ? JK_LOGIN_LOCK_MAX
                                                            : t->lock_ms * 2;
            t->failures = 0;
            t->first_ms = now;
        }
    }
    pthread_mutex_unlock (&self->lock);
}
