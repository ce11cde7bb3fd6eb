/*  test_office.c - jejak-office end to end over HTTP: the real program
    started as a process, a real jejak-hub started later (entries wait as
    belum terkirim while it is down, then reach tersimpan with the
    receipt of the hub's log), users made with the real command line.
    In a real headless Chromium (tests/support/cdp.c): the clerk's whole
    flow, screenshots of every page at 1366x768 and 390 px, keyboard
    reach. Security: a non-loopback bind without --http-public (and without TLS)
    refused, a form without its CSRF token refused, wrong passwords
    throttled, no password or session token in the log. */
#include "cdp.h"
#include "jk_note.h"
#include "jk_office.h"
#include "testsupport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define S_SOURCE   "32.03.10/pacet-1"
#define S_PASSWORD "Sandi-Rahasia-77"

typedef struct {
    char *dir, *db, *hub_log, *log, *outbox, *users, *pwfile;
    char *ingest, *feed, *query;
    char *log_key; /* --log-key of the office (a file), or NULL */
    pid_t hub, office;
    int port;
    char cookie[128]; /* "jejak_session=..." */
    char csrf[65];
    uint32_t from; /* the client's loopback address (host order; 0: any) */
} s_env_t;

/* ---- a small HTTP/1.0 client with one cookie ------------------------- */

typedef struct {
    int code;
    char *text; /* whole response */
    const char *body;
    size_t size; /* of the body */
} s_resp_t;

static void s_resp_free (s_resp_t *r)
{
    free (r->text);
    memset (r, 0, sizeof *r);
}

/* The value of header name (first), copied into out; false if absent. */
static bool s_header (const s_resp_t *r, const char *name, char *out,
                      size_t size)
{
    char pattern[64];
    snprintf (pattern, sizeof pattern, "\r\n%s: ", name);
    const char *at = strstr (r->text, pattern);
    if (!at || at > r->body)
        return false;
    at += strlen (pattern);
    size_t len = strcspn (at, "\r\n");
    snprintf (out, size, "%.*s", (int)len, at);
    return true;
}

static void s_send_all (int fd, const char *p, size_t left)
{
    while (left > 0) {
        ssize_t n = write (fd, p, left);
        assert_true (n > 0);
        p += n;
        left -= (size_t)n;
    }
}

/* One request with a body of size bytes of type (a form when NULL). */
static s_resp_t s_http_body (s_env_t *env, const char *method, const char *path,
                             const char *body, size_t size, const char *type,
                             const char *cookie)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t)env->port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (env->from) {
        struct sockaddr_in from = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl (env->from)};
        assert_int_equal (bind (fd, (struct sockaddr *)&from, sizeof from), 0);
    }
    assert_int_equal (connect (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    char *req =
        jk_sprintf ("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s%s"
                    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                    method, path, cookie && *cookie ? "Cookie: " : "",
                    cookie ? cookie : "", cookie && *cookie ? "\r\n" : "",
                    type ? type : "application/x-www-form-urlencoded", size);
    s_send_all (fd, req, strlen (req));
    free (req);
    if (size)
        s_send_all (fd, body, size);
    char *buf = NULL;
    size_t len = 0;
    /* HTTP/1.0: the response ends when the office closes. */
    assert_true (JK_WAIT_FOR (jk_test_read_ready (fd, &buf, &len), 30000));
    close (fd);
    assert_non_null (buf);
    s_resp_t r = {0, buf, NULL, 0};
    assert_int_equal (sscanf (buf, "HTTP/1.%*d %d", &r.code), 1);
    r.body = strstr (buf, "\r\n\r\n");
    assert_non_null (r.body);
    r.body += 4;
    r.size = len - (size_t)(r.body - buf);
    return r;
}

static s_resp_t s_http (s_env_t *env, const char *method, const char *path,
                        const char *body, const char *cookie)
{
    return s_http_body (env, method, path, body, body ? strlen (body) : 0, NULL,
                        cookie);
}

/* application/x-www-form-urlencoded of the key=value pairs first, ap's
   value, then ap's further pairs (NULL-ended), each key after prefix. */
static char *s_form_v (const char *prefix, const char *first, va_list ap)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&out, &size);
    for (const char *key = first; key; key = va_arg (ap, const char *)) {
        const char *value = va_arg (ap, const char *);
        fprintf (f, "%s%s%s=", key == first ? "" : "&", prefix, key);
        for (const char *p = value; *p; p++) {
            unsigned char c = (unsigned char)*p;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || strchr ("-_.", c))
                fputc (c, f);
            else
                fprintf (f, "%%%02X", c);
        }
    }
    fclose (f);
    return out;
}

/* application/x-www-form-urlencoded of key=value pairs (NULL-ended). */
static char *s_form (const char *first, ...)
{
    va_list ap;
    va_start (ap, first);
    char *out = s_form_v ("", first, ap);
    va_end (ap);
    return out;
}

/* The value="..." of the hidden csrf input in a page. */
static void s_csrf_of (const char *html, char out[65])
{
    const char *at = strstr (html, "name=\"csrf\" value=\"");
    assert_non_null (at);
    at += strlen ("name=\"csrf\" value=\"");
    snprintf (out, 65, "%.64s", at);
}

static int s_login (s_env_t *env, const char *user, const char *password)
{
    s_resp_t page = s_http (env, "GET", "/login", NULL, NULL);
    assert_int_equal (page.code, 200);
    char set[256], token[65];
    assert_true (s_header (&page, "Set-Cookie", set, sizeof set));
    assert_non_null (strstr (set, "HttpOnly"));
    assert_non_null (strstr (set, "SameSite=Strict"));
    s_csrf_of (page.body, token);
    char cookie[128];
    snprintf (cookie, sizeof cookie, "jejak_login=%s", token);
    char *body =
        s_form ("csrf", token, "user", user, "password", password, NULL);
    s_resp_t r = s_http (env, "POST", "/login", body, cookie);
    free (body);
    int code = r.code;
    if (code == 303) {
        assert_true (s_header (&r, "Set-Cookie", set, sizeof set));
        assert_int_equal (strncmp (set, "jejak_session=", 14), 0);
        assert_non_null (strstr (set, "; HttpOnly; SameSite=Strict"));
        snprintf (env->cookie, sizeof env->cookie, "%.78s", set);
        s_resp_t home = s_http (env, "GET", "/", NULL, env->cookie);
        assert_int_equal (home.code, 200);
        s_csrf_of (home.body, env->csrf);
        s_resp_free (&home);
    }
    s_resp_free (&page);
    s_resp_free (&r);
    return code;
}

/* ---- the programs ---------------------------------------------------- */

static int s_user (s_env_t *env, const char *cmd, const char *name,
                   const char *role, char **err_out)
{
    char *argv[] = {"jejak-office", "user", (char *)cmd, (char *)name,
                    "--users", env->users, "--password-file", env->pwfile,
                    /* --role only for add: another command refuses it */
                    strcmp (cmd, "add") == 0 ? "--role" : NULL,
                    (char *)(role ? role : "operator"), NULL};
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 60000);
    free (out);
    if (err_out)
        *err_out = err;
    else
        free (err);
    return rc;
}

static void s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

static int s_read_port (s_env_t *env)
{
    char *text = jk_test_slurp (env->log, NULL);
    const char *at = text ? strstr (text, "http=http://127.0.0.1:") : NULL;
    int port = at ? atoi (at + strlen ("http=http://127.0.0.1:")) : 0;
    free (text);
    return port;
}

static void s_start_office (s_env_t *env)
{
    char *argv[] = {"jejak-office", "--source", S_SOURCE,      "--outbox",
                    env->outbox,    "--users",  env->users,    "--broker",
                    env->ingest,    "--http",   "127.0.0.1:0", "--state",
                    env->dir,       "--query",  env->query,    NULL,
                    NULL,           NULL};
    if (env->log_key) {
        argv[15] = "--log-key";
        argv[16] = env->log_key;
    }
    env->office = jk_test_spawn (argv, env->log);
    assert_true (env->office > 0);
    assert_true (JK_WAIT_FOR ((env->port = s_read_port (env)) > 0, 20000));
}

static void s_start_hub (s_env_t *env)
{
    env->hub = jk_test_hub_spawn (env->db, env->ingest, env->feed, env->query,
                                  NULL, env->hub_log);
    assert_true (env->hub > 0);
}

static int s_setup (void **state)
{
    s_env_t *env = jk_calloc (1, sizeof *env);
    env->dir = jk_test_tmpdir ("office-it");
    env->db = jk_sprintf ("%s/events.db", env->dir);
    env->hub_log = jk_sprintf ("%s/hub.log", env->dir);
    env->log = jk_sprintf ("%s/office.log", env->dir);
    env->outbox = jk_sprintf ("%s/outbox.db", env->dir);
    env->users = jk_sprintf ("%s/users.db", env->dir);
    env->pwfile = jk_sprintf ("%s/password", env->dir);
    env->ingest = jk_test_endpoint (env->dir, "ingest");
    env->feed = jk_test_endpoint (env->dir, "feed");
    env->query = jk_test_endpoint (env->dir, "query");
    s_write (env->pwfile, S_PASSWORD "\n");
    /* The request log is at info level (ctest sets JEJAK_LOG=warn). */
    setenv ("JEJAK_LOG", "info", 1);
    assert_int_equal (s_user (env, "add", "siti", "supervisor", NULL), 0);
    assert_int_equal (s_user (env, "add", "budi", "operator", NULL), 0);
    *state = env;
    return 0;
}

static int s_teardown (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    if (env->office > 0)
        assert_int_equal (jk_test_stop (env->office, SIGTERM, 20000), 0);
    if (env->hub > 0)
        jk_test_stop (env->hub, SIGTERM, 10000);
    free (env->db);
    free (env->hub_log);
    free (env->log);
    free (env->outbox);
    free (env->users);
    free (env->pwfile);
    free (env->ingest);
    free (env->feed);
    free (env->query);
    free (env->log_key);
    jk_test_rmdir (&env->dir);
    free (env);
    return 0;
}

/* ---- tests ----------------------------------------------------------- */

/* The command line: binds, TLS, users. */
static void test_command_line (void **state)
{
    s_env_t *env = *state;
    char *out = NULL, *err = NULL;
    char *open[] = {"jejak-office", "--source", S_SOURCE,    "--users",
                    env->users,     "--outbox", env->outbox, "--http",
                    "0.0.0.0:0",    NULL};
    assert_int_equal (jk_test_run (open, &out, &err, 20000), 2);
    assert_non_null (strstr (err, "--http 0.0.0.0 is not a loopback address"));
    assert_non_null (strstr (err, "--http-public"));
    free (out);
    free (err);
    char *plain[] = {"jejak-office", "--source",      S_SOURCE,    "--users",
                     env->users,     "--outbox",      env->outbox, "--http",
                     "0.0.0.0:0",    "--http-public", NULL};
    assert_int_equal (jk_test_run (plain, &out, &err, 20000), 2);
    assert_non_null (strstr (err, "--http-public needs --tls-cert and "
                                  "--tls-key"));
    free (out);
    free (err);
    char *half[] = {"jejak-office", "--source",   S_SOURCE,   "--users",
                    env->users,     "--tls-cert", env->users, NULL};
    assert_int_equal (jk_test_run (half, &out, &err, 20000), 2);
    assert_non_null (strstr (err, "--tls-cert and --tls-key go together"));
    free (out);
    free (err);
    char *nosource[] = {"jejak-office", "--users", env->users, NULL};
    assert_int_equal (jk_test_run (nosource, &out, &err, 20000), 2);
    assert_non_null (strstr (err, "--source OFFICE/DEVICE is required"));
    free (out);
    free (err);
    char *empty = jk_sprintf ("%s/none.db", env->dir);
    char *nouser[] = {"jejak-office", "--source",  S_SOURCE, "--users", empty,
                      "--outbox",     env->outbox, "--http", "0",       NULL};
    assert_int_equal (jk_test_run (nouser, &out, &err, 20000), 2);
    assert_non_null (strstr (err, "no active user"));
    free (out);
    free (err);
    /* A witness's verifier key as --log-key: refused before anything,
       rather than no receipt ever proven. */
    uint8_t seed[32] = {4}, pub[32];
    char witness[256];
    jk_note_public (seed, pub);
    jk_note_vkey_format ("32.03.10/saksi", JK_NOTE_TYPE_COSIG, pub, witness,
                         sizeof witness);
    char *wrong_key[] = {
        "jejak-office", "--source",  S_SOURCE, "--users", empty,
        "--outbox",     env->outbox, "--http", "0",       "--query",
        env->query,     "--log-key", witness,  NULL};
    assert_int_equal (jk_test_run (wrong_key, &out, &err, 20000), 2);
    assert_string_equal (err, "jejak-office: --log-key: 32.03.10/saksi is a "
                              "witness key (type 04), not the log's key "
                              "(type 01, log.vkey of jejak-keys log-key)\n");
    free (out);
    free (err);
    free (empty);

    /* Users: rules named, no duplicates, disable refuses the login. */
    assert_int_equal (s_user (env, "add", "siti", "operator", &err), 2);
    assert_non_null (strstr (err, "exists already"));
    free (err);
    assert_int_equal (s_user (env, "add", "ani", "boss", &err), 2);
    assert_non_null (strstr (err, "operator or supervisor"));
    free (err);
    assert_int_equal (s_user (env, "add", "Ani Besar", "operator", &err), 2);
    assert_non_null (strstr (err, "user name 'Ani Besar'"));
    free (err);
    /* A name it refuses is quoted with its control characters escaped. */
    assert_int_equal (s_user (env, "add", "\x1b[31mX\x07", "operator", &err),
                      2);
    assert_string_equal (err, "jejak-office: user add: user name "
                              "'\\x1b[31mX\\x07': 1 to 32 of a-z 0-9 . _ - "
                              "(lower case), not starting with . or -\n");
    free (err);
    assert_int_equal (s_user (env, "disable", "\x1b]0;x\x07", NULL, &err), 2);
    assert_string_equal (err, "jejak-office: user disable: no user "
                              "'\\x1b]0;x\\x07'\n");
    free (err);
    s_write (env->pwfile, "pendek\n");
    assert_int_equal (s_user (env, "add", "ani", "operator", &err), 2);
    assert_non_null (strstr (err, "password: 8 to 256 characters"));
    free (err);
    /* The password's rule comes before the account's. */
    assert_int_equal (s_user (env, "passwd", "nobody", NULL, &err), 2);
    assert_string_equal (err, "jejak-office: user passwd: password: 8 to 256 "
                              "characters (UTF-8), got 6\n");
    free (err);
    assert_int_equal (s_user (env, "disable", "nobody", NULL, &err), 2);
    assert_string_equal (err, "jejak-office: user disable: no user 'nobody'\n");
    free (err);
    assert_int_equal (s_user (env, "enable", "nobody", NULL, &err), 2);
    assert_string_equal (err, "jejak-office: user enable: no user 'nobody'\n");
    free (err);
    s_write (env->pwfile, S_PASSWORD "\n");
    /* An unknown account: the same line for each command, exit 2. */
    assert_int_equal (s_user (env, "passwd", "nobody", NULL, &err), 2);
    assert_string_equal (err, "jejak-office: user passwd: no user 'nobody'\n");
    free (err);
    /* An argument or a flag the command does not take is refused, not
       ignored: budi stays enabled (he logs in below). */
    char *missing = jk_sprintf ("%s/none.db", env->dir);
    static const struct {
        const char *args[4], *said;
    } wrong[] = {
        {{"disable", "budi", "siti"},
         "jejak-office: user disable: unexpected argument 'siti' (user "
         "disable NAME; see --help)\n"},
        {{"list", "siti"},
         "jejak-office: user list: unexpected argument 'siti' (user list; "
         "see --help)\n"},
        {{"passwd", "budi", "--role", "supervisor"},
         "jejak-office: user passwd: --role is an option of user add only "
         "(an account's role is not changed; see --help)\n"},
        /* No command, or a NAME missing: the usage line. */
        {{NULL},
         "jejak-office: user add|passwd|disable|enable NAME, or user list\n"},
        {{"enable"},
         "jejak-office: user add|passwd|disable|enable NAME, or user list\n"},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        char *argv[] = {"jejak-office",
                        "user",
                        (char *)wrong[i].args[0],
                        (char *)wrong[i].args[1],
                        (char *)wrong[i].args[2],
                        (char *)wrong[i].args[3],
                        NULL,
                        NULL,
                        NULL};
        int n = 2;
        while (n < 6 && argv[n])
            n++;
        argv[n] = "--users";
        argv[n + 1] = env->users;
        assert_int_equal (jk_test_run (argv, &out, &err, 20000), 2);
        assert_string_equal (err, wrong[i].said);
        free (out);
        free (err);
    }
    /* An unknown command is said as such, users file or not. */
    char *unknown[] = {"jejak-office", "user",  "frob", "x",
                       "--users",      missing, NULL};
    assert_int_equal (jk_test_run (unknown, &out, &err, 20000), 2);
    assert_string_equal (err, "jejak-office: unknown user command 'frob'\n");
    free (out);
    free (err);
    free (missing);
    /* A password is read whole and counted in characters: 300 letters are
       said as 300; 200 accented ones (400 bytes) are a password. */
    char line[1024];
    memset (line, 'a', 300);
    snprintf (line + 300, sizeof line - 300, "\n");
    s_write (env->pwfile, line);
    assert_int_equal (s_user (env, "add", "ani", "operator", &err), 2);
    assert_string_equal (err, "jejak-office: user add: password: 8 to 256 "
                              "characters (UTF-8), got 300\n");
    free (err);
    char accented[401] = "";
    for (int i = 0; i < 200; i++)
        strcat (accented, "\xc3\xa9");
    snprintf (line, sizeof line, "%s\n", accented);
    s_write (env->pwfile, line);
    assert_int_equal (s_user (env, "add", "ani", "operator", NULL), 0);
    s_write (env->pwfile, S_PASSWORD "\n");
    /* The users file holds Argon2id hashes, never the password. */
    char *text = jk_test_slurp (env->users, NULL);
    assert_non_null (text);
    assert_null (strstr (text, S_PASSWORD));
    free (text);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (env->users, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db, "SELECT hash FROM users WHERE name = 'siti'",
                            -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (strncmp ((const char *)sqlite3_column_text (st, 0),
                               "$argon2id$v=19$m=65536,t=3,p=1$", 31),
                      0);
    sqlite3_finalize (st);
    sqlite3_close (db);

    s_start_office (env);
    assert_int_equal (s_login (env, "ani", accented), 303);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    assert_int_equal (s_user (env, "disable", "budi", NULL, NULL), 0);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 401);
}

/* Runs jejak-office with argv (NULL-ended, after the program's name) and
   asserts its exit status, its whole stderr and that dir holds afterwards
   exactly what it held before. */
static void s_office_leaves (const char *dir, int status, const char *said,
                             char *args[])
{
    char *argv[16] = {"jejak-office"};
    for (size_t i = 0; args[i]; i++) {
        assert_true (i + 2 < sizeof argv / sizeof *argv);
        argv[i + 1] = args[i];
    }
    char *before = jk_test_dir_listing (dir);
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, 60000), status);
    assert_string_equal (err, said);
    char *after = jk_test_dir_listing (dir);
    assert_string_equal (after, before);
    free (after);
    free (before);
    free (out);
    free (err);
}

/* Refusals make nothing: user commands other than add at a users file
   that is not there, and the office refusing to start without an active
   user (its users file looked at before its state directory, outbox or
   pick lists are made). */
static void test_refusals_make_nothing (void **state)
{
    s_env_t *env = *state;
    char *box = jk_sprintf ("%s/box", env->dir);
    assert_int_equal (mkdir (box, 0700), 0);
    char *users = jk_sprintf ("%s/users.db", box);
    char *state_dir = jk_sprintf ("%s/state", box);
    const char *commands[][2] = {{"list", NULL},
                                 {"passwd", "siti"},
                                 {"disable", "siti"},
                                 {"enable", "siti"}};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        char *said = jk_sprintf ("jejak-office: user %s: there is no users "
                                 "file at %s (--users): only `jejak-office "
                                 "user add NAME` makes one\n",
                                 commands[i][0], users);
        char *args[] = {"user",
                        (char *)commands[i][0],
                        "--users",
                        users,
                        "--password-file",
                        env->pwfile,
                        (char *)commands[i][1], /* NULL for list */
                        NULL};
        s_office_leaves (box, 1, said, args);
        free (said);
    }
    /* The default users file of a --state that is not there: neither the
       directory nor the file made. */
    char *said = jk_sprintf ("jejak-office: user list: there is no users file "
                             "at %s/office-users.db (--users): only "
                             "`jejak-office user add NAME` makes one\n",
                             state_dir);
    s_office_leaves (box, 1, said,
                     (char *[]){"user", "list", "--state", state_dir, NULL});
    free (said);

    /* Refusing to start: with the device's default outbox and state
       (XDG_DATA_HOME in box) and no users file, nothing is made. */
    char *xdg =
        getenv ("XDG_DATA_HOME") ? jk_strdup (getenv ("XDG_DATA_HOME")) : NULL;
    setenv ("XDG_DATA_HOME", box, 1);
    char *fallback = jk_sprintf ("%s/jejak/office-users.db", box);
    said = jk_sprintf ("jejak-office: %s: no active user: add one first with "
                       "`jejak-office user add NAME --role supervisor`\n",
                       fallback);
    s_office_leaves (box, 2, said,
                     (char *[]){"--source", S_SOURCE, "--broker", env->ingest,
                                "--http", "0", NULL});
    free (said);
    free (fallback);
    char *listing = jk_test_dir_listing (box);
    assert_string_equal (listing, "");
    free (listing);
    /* A users file whose one account is disabled: the same refusal, the
       file as it was, no outbox, no pick lists, no state directory. */
    char *add[] = {
        "jejak-office",    "user",      "add", "ani", "--users", users,
        "--password-file", env->pwfile, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (add, &out, &err, 60000), 0);
    free (out);
    free (err);
    char *disable[] = {"jejak-office", "user", "disable", "ani",
                       "--users",      users,  NULL};
    assert_int_equal (jk_test_run (disable, &out, &err, 60000), 0);
    free (out);
    free (err);
    said = jk_sprintf ("jejak-office: %s: no active user: add one first with "
                       "`jejak-office user add NAME --role supervisor`\n",
                       users);
    s_office_leaves (box, 2, said,
                     (char *[]){"--source", S_SOURCE, "--users", users,
                                "--state", state_dir, "--broker", env->ingest,
                                "--query", env->query, "--http", "0", NULL});
    free (said);
    listing = jk_test_dir_listing (box);
    assert_non_null (strstr (listing, "users.db "));
    assert_null (strchr (listing, '/'));
    free (listing);
    if (xdg)
        setenv ("XDG_DATA_HOME", xdg, 1);
    else
        unsetenv ("XDG_DATA_HOME");
    free (xdg);
    free (state_dir);
    free (users);
    free (box);
}

/* Security over HTTP: login required, CSRF, throttling, the log. */
static void test_security (void **state)
{
    s_env_t *env = *state;
    s_start_office (env);
    s_resp_t r = s_http (env, "GET", "/", NULL, NULL);
    assert_int_equal (r.code, 303);
    char location[64];
    assert_true (s_header (&r, "Location", location, sizeof location));
    assert_string_equal (location, "/login");
    s_resp_free (&r);
    r = s_http (env, "POST", "/form/person.registered", "f.nik=1", NULL);
    assert_int_equal (r.code, 401);
    s_resp_free (&r);
    /* A login without the login form's token. */
    r = s_http (env, "POST", "/login", "user=siti&password=" S_PASSWORD, NULL);
    assert_int_equal (r.code, 403);
    assert_null (strstr (r.text, "jejak_session="));
    s_resp_free (&r);

    assert_int_equal (s_login (env, "siti", S_PASSWORD), 303);
    char session[65];
    snprintf (session, sizeof session, "%s", env->cookie + 14);
    /* Logged in: a form without its CSRF token, and with a wrong one. */
    char *body = s_form ("f.nik", "3203014107850001", NULL);
    r = s_http (env, "POST", "/form/person.registered", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 403);
    assert_non_null (strstr (r.body, "token formulir (csrf) tidak ada"));
    s_resp_free (&r);
    body = s_form ("csrf", "00", "f.nik", "3203014107850001", NULL);
    r = s_http (env, "POST", "/form/person.registered", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 403);
    s_resp_free (&r);
    r = s_http (env, "POST", "/logout", "", env->cookie);
    assert_int_equal (r.code, 403);
    s_resp_free (&r);
    /* Nothing reached the outbox. */
    r = s_http (env, "GET", "/status.json", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    assert_non_null (strstr (r.body, "\"pending\":0,"));
    assert_non_null (strstr (r.body, "\"next_seq\":1,"));
    s_resp_free (&r);
    /* Headers. */
    r = s_http (env, "GET", "/form/person.registered", NULL, env->cookie);
    char value[256];
    assert_true (s_header (&r, "Content-Security-Policy", value, sizeof value));
    assert_non_null (strstr (value, "default-src 'self'"));
    assert_true (s_header (&r, "X-Frame-Options", value, sizeof value));
    assert_string_equal (value, "DENY");
    s_resp_free (&r);

    /* Five wrong passwords lock the name: then even the right one is
       refused (429) with the wait in Indonesian. */
    for (int i = 0; i < JK_LOGIN_FAILURES; i++)
        assert_int_equal (s_login (env, "budi", "salah-sekali"), 401);
    s_resp_t page = s_http (env, "GET", "/login", NULL, NULL);
    char token[65], cookie[128];
    s_csrf_of (page.body, token);
    snprintf (cookie, sizeof cookie, "jejak_login=%s", token);
    body = s_form ("csrf", token, "user", "budi", "password", S_PASSWORD, NULL);
    r = s_http (env, "POST", "/login", body, cookie);
    free (body);
    assert_int_equal (r.code, 429);
    assert_non_null (strstr (r.body, "Terlalu banyak percobaan gagal: coba "
                                     "lagi dalam 60 detik."));
    s_resp_free (&r);
    s_resp_free (&page);
    /* The client's address is locked too: another name from it as well. */
    assert_int_equal (s_login (env, "siti", S_PASSWORD), 429);
    /* The name is not locked from another address: one address cannot
       lock a clerk out. (The logins below replace the session's cookie
       and form token: kept for the logout after.) */
    char kept_csrf[sizeof env->csrf];
    memcpy (kept_csrf, env->csrf, sizeof kept_csrf);
    env->from = INADDR_LOOPBACK + 1; /* 127.0.0.2 */
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    /* Failures from several addresses lock the name everywhere after
       JK_LOGIN_NAME_FAILURES within the window (the good login cleared
       its count): 4 addresses of 5 failures each. */
    for (int a = 0; a < JK_LOGIN_NAME_FAILURES / JK_LOGIN_FAILURES; a++) {
        env->from = INADDR_LOOPBACK + 2 + (uint32_t)a; /* 127.0.0.3 on */
        for (int i = 0; i < JK_LOGIN_FAILURES; i++)
            assert_int_equal (s_login (env, "budi", "salah-lagi"), 401);
        /* That address is locked now, for every name. */
        assert_int_equal (s_login (env, "siti", S_PASSWORD), 429);
    }
    env->from = INADDR_LOOPBACK + 9; /* 127.0.0.10: never used */
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 429);
    assert_int_equal (s_login (env, "siti", S_PASSWORD), 303);
    env->from = 0;
    memcpy (env->csrf, kept_csrf, sizeof kept_csrf);

    /* Logout ends the session. */
    char *csrf = s_form ("csrf", env->csrf, NULL);
    snprintf (env->cookie, sizeof env->cookie, "jejak_session=%s", session);
    r = s_http (env, "POST", "/logout", csrf, env->cookie);
    assert_int_equal (r.code, 303);
    s_resp_free (&r);
    free (csrf);
    r = s_http (env, "GET", "/outbox", NULL, env->cookie);
    assert_int_equal (r.code, 303);
    s_resp_free (&r);

    /* The log has a line per request with the user, and no secret. */
    assert_true (jk_test_file_has (env->log, "user=siti method=GET "
                                             "path=/form/person.registered "
                                             "status=200"));
    assert_true (jk_test_file_has (env->log, "user=budi ip=127.0.0.1 "
                                             "result=throttled"));
    assert_false (jk_test_file_has (env->log, S_PASSWORD));
    assert_false (jk_test_file_has (env->log, "salah-sekali"));
    assert_false (jk_test_file_has (env->log, session));
    assert_false (jk_test_file_has (env->log, token));
}

/* The number of stored events of type from the office in the hub's log;
   -1 while the file is not readable. */
static long long s_stored (s_env_t *env, const char *type)
{
    sqlite3 *db = NULL;
    long long n = -1;
    if (sqlite3_open_v2 (env->db, &db, SQLITE_OPEN_READONLY, NULL) ==
        SQLITE_OK) {
        sqlite3_busy_timeout (db, 2000);
        char *sql = jk_sprintf ("SELECT count(*) FROM log WHERE source = '%s' "
                                "AND type = '%s' AND outcome = 0",
                                S_SOURCE, type);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step (st) == SQLITE_ROW)
            n = sqlite3_column_int64 (st, 0);
        sqlite3_finalize (st);
        free (sql);
    }
    sqlite3_close (db);
    return n;
}

static bool s_entry_has (s_env_t *env, const char *path, const char *text)
{
    s_resp_t r = s_http (env, "GET", path, NULL, env->cookie);
    bool has = r.code == 200 && strstr (r.body, text) != NULL;
    s_resp_free (&r);
    return has;
}

/* Forms: Indonesian messages beside the fields, then the entry waits for
   the hub (belum terkirim), which starts later: tersimpan, the receipt
   equal to the hub's log, the clerk as the event's actor. */
static void test_forms_offline_then_online (void **state)
{
    s_env_t *env = *state;
    s_start_office (env);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    s_resp_t r =
        s_http (env, "GET", "/form/cooperative.registered", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    /* Every field of the table, with its Indonesian label. */
    const jk_type_t *t = jk_vocabulary_find ("cooperative.registered", 22);
    for (size_t i = 0; i < t->field_count; i++) {
        char *name = jk_sprintf ("name=\"f.%s\"", t->fields[i].name);
        assert_non_null (strstr (r.body, name));
        free (name);
        assert_non_null (strstr (r.body, t->fields[i].label));
    }
    assert_non_null (strstr (r.body, "<option value=\"SIMPAN_PINJAM\">Simpan "
                                     "pinjam</option>"));
    assert_non_null (strstr (r.body, "placeholder=\"hh/bb/tttt\""));
    /* Desa of Pacet only (32.03.10). */
    assert_non_null (strstr (r.body, "<option value=\"32.03.10.2012\">"));
    assert_null (strstr (r.body, "<option value=\"32.03.01.1006\">"));
    s_resp_free (&r);

    /* A person with a bad NIK (month 13) and a bad date. */
    char *body = s_form ("csrf", env->csrf, "f.nik", "3203010113850001",
                         "f.name", "Siti Aminah", "f.sex", "P", "f.birth_date",
                         "31/02/1985", "f.desa_code", "32.03.10.2012", NULL);
    r = s_http (env, "POST", "/form/person.registered", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "id=\"f.nik.error\" role=\"alert\">NIK "
                                     "tidak sah: angka ke-9 dan ke-10 (bulan "
                                     "lahir) harus 01-12. (E_NIK_MONTH)"));
    assert_non_null (strstr (r.body, "id=\"f.birth_date.error\" "
                                     "role=\"alert\">Tanggal itu tidak ada "
                                     "di kalender (mis. 31/02). "
                                     "(E_FIELD_FORMAT)"));
    /* What was typed is kept. */
    assert_non_null (strstr (r.body, "value=\"Siti Aminah\""));
    s_resp_free (&r);
    /* A 2-digit year: refused as the agents refuse it. */
    body = s_form ("csrf", env->csrf, "f.nik", "3203014506900001", "f.name",
                   "Siti Aminah", "f.sex", "P", "f.birth_date", "1/1/20",
                   "f.desa_code", "32.03.10.2012", NULL);
    r = s_http (env, "POST", "/form/person.registered", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "id=\"f.birth_date.error\" "
                                     "role=\"alert\">Tanggal harus "
                                     "hh/bb/tttt, mis. 31/12/2022. "
                                     "(E_FIELD_FORMAT)"));
    s_resp_free (&r);

    /* Ticked values whose text together is longer than an event holds
       (a crafted form: 20 values of 45,000 bytes): refused on the field,
       and the office answers on. */
    char *huge = jk_malloc (45001);
    memset (huge, 'X', 45000);
    huge[45000] = 0;
    char *values = s_form ("f.methods", huge, NULL);
    char *many = jk_sprintf ("csrf=%s", env->csrf);
    for (int i = 0; i < 20; i++) {
        char *next = jk_sprintf ("%s&%s", many, values);
        free (many);
        many = next;
    }
    r = s_http (env, "POST", "/form/assessment.unit_assessed", many,
                env->cookie);
    free (many);
    free (values);
    free (huge);
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "id=\"f.methods.error\" "
                                     "role=\"alert\">Isi 1 sampai 6 baris. "
                                     "(E_FIELD_LENGTH)"));
    s_resp_free (&r);
    r = s_http (env, "GET", "/outbox", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    s_resp_free (&r);

    /* A cooperative with an Indonesian date (day first, "-" between, as
       the agents take it) and 1.045 members: queued. */
    body = s_form ("csrf", env->csrf, "f.legal_number",
                   "AHU-0001234.AH.01.26.TAHUN 2019", "f.legal_date",
                   "6-10-2019", "f.name", "Koperasi Maju Bersama", "f.form",
                   "PRIMER", "f.kind", "SIMPAN_PINJAM", "f.pattern",
                   "KONVENSIONAL", "f.desa_code", "32.03.10.2012",
                   "f.members_male", "1.045", "f.members_female", "12", NULL);
    r = s_http (env, "POST", "/form/cooperative.registered", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 303);
    char location[64];
    assert_true (s_header (&r, "Location", location, sizeof location));
    assert_string_equal (location, "/outbox/1");
    s_resp_free (&r);
    r = s_http (env, "GET", "/outbox/1", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    assert_non_null (strstr (r.body, "data-state=\"pending\""));
    assert_non_null (strstr (r.body, ">belum terkirim<"));
    assert_non_null (strstr (r.body, "<td>1045</td>"));
    s_resp_free (&r);
    r = s_http (env, "GET", "/status.json", NULL, env->cookie);
    assert_non_null (strstr (r.body, "\"link_up\":false,\"last_contact_ms\":0,"
                                     "\"pending\":1,"));
    s_resp_free (&r);

    /* The hub comes up: the entry is stored. */
    s_start_hub (env);
    assert_true (JK_WAIT_FOR (
        s_entry_has (env, "/outbox/1", "data-state=\"stored\""), 60000));
    assert_int_equal (s_stored (env, "cooperative.registered"), 1);
    r = s_http (env, "GET", "/outbox/1", NULL, env->cookie);
    assert_non_null (strstr (r.body, ">tersimpan<"));
    const char *hash = strstr (r.body, "<code id=\"hash\">");
    assert_non_null (hash);
    hash += strlen ("<code id=\"hash\">");
    /* The page's receipt is the hub's: position and chain hash. */
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (env->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT pos, lower(hex(hash)), "
                                          "bytes FROM log WHERE type = "
                                          "'cooperative.registered'",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    char *pos = jk_sprintf ("<dd id=\"pos\">%lld</dd>",
                            (long long)sqlite3_column_int64 (st, 0));
    assert_non_null (strstr (r.body, pos));
    free (pos);
    assert_memory_equal (hash, sqlite3_column_text (st, 1), 64);
    jk_event_t *ev =
        jk_event_decode (sqlite3_column_blob (st, 2),
                         (size_t)sqlite3_column_bytes (st, 2), NULL);
    assert_non_null (ev);
    assert_int_equal (ev->actor.len, 4);
    assert_memory_equal (ev->actor.ptr, "budi", 4);
    assert_int_equal (jk_event_get (ev, "members_male")->n, 1045);
    assert_int_equal (jk_event_get (ev, "legal_date")->s.len, 10);
    assert_memory_equal (jk_event_get (ev, "legal_date")->s.ptr, "2019-10-06",
                         10);
    jk_event_destroy (&ev);
    sqlite3_finalize (st);
    sqlite3_close (db);
    s_resp_free (&r);
    /* The entry is marked stored in the outbox as its answer arrives; the
       courier says the link is up when its delivery run has ended, a
       moment later. */
    assert_true (JK_WAIT_FOR (
        s_entry_has (env, "/status.json", "\"link_up\":true,"), 10000));
    r = s_http (env, "GET", "/status.json", NULL, env->cookie);
    assert_non_null (strstr (r.body, "\"link_up\":true,"));
    assert_non_null (strstr (r.body, "\"pending\":0,\"stored\":1,"));
    s_resp_free (&r);

    /* The same cooperative again: the hub rejects it, the reason in
       Indonesian, and a way to fix it. */
    body = s_form ("csrf", env->csrf, "f.legal_number",
                   "AHU-0001234.AH.01.26.TAHUN 2019", "f.legal_date",
                   "01/03/2019", "f.name", "Koperasi Maju Bersama", "f.form",
                   "PRIMER", "f.kind", "SIMPAN_PINJAM", "f.pattern",
                   "KONVENSIONAL", "f.desa_code", "32.03.10.2012",
                   "f.members_male", "10", "f.members_female", "12", NULL);
    r = s_http (env, "POST", "/form/cooperative.registered", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 303);
    s_resp_free (&r);
    assert_true (JK_WAIT_FOR (
        s_entry_has (env, "/outbox/2", "data-state=\"rejected\""), 30000));
    r = s_http (env, "GET", "/outbox/2", NULL, env->cookie);
    assert_non_null (strstr (r.body, ">ditolak<"));
    assert_non_null (strstr (r.body, "Koperasi dengan nomor badan hukum ini "
                                     "sudah terdaftar. "
                                     "(E_DUPLICATE_COOPERATIVE)"));
    assert_non_null (strstr (r.body, "href=\"/form/cooperative.registered?"
                                     "fix=2\""));
    s_resp_free (&r);
    r = s_http (env, "GET", "/form/cooperative.registered?fix=2", NULL,
                env->cookie);
    assert_non_null (strstr (r.body, "value=\"01/03/2019\""));
    assert_non_null (strstr (r.body, "value=\"Koperasi Maju Bersama\""));
    assert_non_null (strstr (r.body, "name=\"fix\" value=\"2\""));
    s_resp_free (&r);
    /* Another type's form is not filled from it (nor marked as its
       fix). */
    r = s_http (env, "GET", "/form/person.registered?fix=2", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    assert_null (strstr (r.body, "value=\"Koperasi Maju Bersama\""));
    assert_null (strstr (r.body, "name=\"fix\""));
    s_resp_free (&r);
    /* The day's tanda terima lists both, with the stored one's hash. */
    r = s_http (env, "GET", "/receipt", NULL, env->cookie);
    assert_non_null (strstr (r.body, "data-count=\"2\""));
    assert_non_null (strstr (r.body, "<tr data-seq=\"1\" "
                                     "data-state=\"stored\">"));
    s_resp_free (&r);
    r = s_http (env, "GET", "/receipt?seq=2", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    assert_non_null (strstr (r.body, "data-count=\"1\""));
    s_resp_free (&r);
    /* A value that is not one is said, not read as today (or as every
       entry): 400, nothing listed. */
    static const struct {
        const char *path, *said;
    } bad[] = {
        {"/receipt?day=32/13/2022", "Tanggal tidak dikenali: tulis hh/bb/tttt "
                                    "(mis. 31/12/2022)."},
        {"/receipt?seq=abc", "Nomor kiriman (seq) harus angka mulai 1."},
        {"/receipt?seq=0", "Nomor kiriman (seq) harus angka mulai 1."},
        {"/receipt?batch=PK2UMK-2022-01",
         "Tanda terima kehadiran perlu kode angkatan (batch) dan nomor sesi "
         "(session, angka mulai 1)."},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = s_http (env, "GET", bad[i].path, NULL, env->cookie);
        char *said = jk_sprintf ("id=\"receipt-error\">%s</p>", bad[i].said);
        if (r.code != 400 || !strstr (r.body, said) ||
            !strstr (r.body, "data-count=\"0\""))
            fail_msg ("%s: %d %s", bad[i].path, r.code, r.body);
        free (said);
        s_resp_free (&r);
    }
    /* Operators may not enter corrections. */
    r = s_http (env, "GET", "/form/person.corrected", NULL, env->cookie);
    assert_int_equal (r.code, 403);
    s_resp_free (&r);
}

/* ---- import ------------------------------------------------------------ */

#define S_BOUNDARY "----jejak-test-7d1f"

/* multipart/form-data of csrf, type and one file. */
static char *s_multipart (const char *csrf, const char *type, const char *name,
                          const char *data, size_t size, size_t *out_size)
{
    char *out = NULL;
    FILE *f = open_memstream (&out, out_size);
    fprintf (f,
             "--" S_BOUNDARY "\r\nContent-Disposition: form-data; "
             "name=\"csrf\"\r\n\r\n%s\r\n--" S_BOUNDARY
             "\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n%s"
             "\r\n--" S_BOUNDARY "\r\nContent-Disposition: form-data; "
             "name=\"file\"; filename=\"%s\"\r\nContent-Type: "
             "application/octet-stream\r\n\r\n",
             csrf, type, name);
    fwrite (data, 1, size, f);
    fputs ("\r\n--" S_BOUNDARY "--\r\n", f);
    fclose (f);
    return out;
}

static s_resp_t s_upload (s_env_t *env, const char *csrf, const char *type,
                          const char *name, const char *data, size_t size)
{
    size_t body_size = 0;
    char *body = s_multipart (csrf, type, name, data, size, &body_size);
    s_resp_t r =
        s_http_body (env, "POST", "/import", body, body_size,
                     "multipart/form-data; boundary=" S_BOUNDARY, env->cookie);
    free (body);
    return r;
}

/* The number in <b id="ID">N</b> of a page, or -1. */
static long s_count (const char *html, const char *id)
{
    char *mark = jk_sprintf ("<b id=\"%s\">", id);
    const char *at = strstr (html, mark);
    long n = at ? strtol (at + strlen (mark), NULL, 10) : -1;
    free (mark);
    return n;
}

/* The upload token of a preview's confirmation form. */
static void s_upload_token (const char *html, char out[65])
{
    const char *at = strstr (html, "name=\"upload\" value=\"");
    assert_non_null (at);
    snprintf (out, 65, "%.64s", at + strlen ("name=\"upload\" value=\""));
}

static long long s_outbox_rows (s_env_t *env)
{
    sqlite3 *db = NULL;
    long long n = -1;
    assert_int_equal (
        sqlite3_open_v2 (env->outbox, &db, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT count(*) FROM events", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (db);
    return n;
}

/* An XLSX as a clerk's Excel saves it: Indonesian headers, a real date
   cell, a number, labels of the enums; the third row's date is wrong. */
static char *s_clerk_xlsx (s_env_t *env, size_t *size)
{
    char *path = jk_sprintf ("%s/rat.xlsx", env->dir);
    lxw_workbook *wb = workbook_new (path);
    lxw_worksheet *ws = workbook_add_worksheet (wb, "Lembar1");
    lxw_format *date = workbook_add_format (wb);
    format_set_num_format (date, "dd/mm/yyyy");
    const char *head[] = {"Nomor Badan Hukum", "Tahun buku", "Tanggal RAT",
                          "Anggota hadir", "Kuorum tercapai"};
    for (int c = 0; c < 5; c++)
        worksheet_write_string (ws, 0, (lxw_col_t)c, head[c], NULL);
    lxw_datetime held = {2022, 3, 15, 0, 0, 0};
    worksheet_write_string (ws, 1, 0, "AHU-0001234.AH.01.26.TAHUN 2019", NULL);
    worksheet_write_number (ws, 1, 1, 2021, NULL);
    worksheet_write_datetime (ws, 1, 2, &held, date);
    worksheet_write_string (ws, 1, 3, "1.045", NULL);
    worksheet_write_string (ws, 1, 4, "Ya", NULL);
    worksheet_write_string (ws, 2, 0, "AHU-0005678.AH.01.26.TAHUN 2020", NULL);
    worksheet_write_number (ws, 2, 1, 2021, NULL);
    worksheet_write_datetime (ws, 2, 2, &held, date);
    worksheet_write_number (ws, 2, 3, 87, NULL);
    worksheet_write_boolean (ws, 2, 4, 0, NULL);
    worksheet_write_string (ws, 3, 0, "AHU-0009999.AH.01.26.TAHUN 2020", NULL);
    worksheet_write_number (ws, 3, 1, 2021, NULL);
    worksheet_write_string (ws, 3, 2, "15/13/2022", NULL);
    worksheet_write_number (ws, 3, 3, 12, NULL);
    worksheet_write_string (ws, 3, 4, "Tidak", NULL);
    assert_int_equal (workbook_close (wb), LXW_NO_ERROR);
    char *bytes = jk_test_slurp (path, size);
    assert_non_null (bytes);
    free (path);
    return bytes;
}

/* Import over HTTP: the templates, an XLSX preview with its bad row named,
   the good rows queued once however often the file is uploaded and the
   confirmation posted, CSRF and roles kept. */
static void test_import (void **state)
{
    s_env_t *env = *state;
    s_start_office (env);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    /* Templates. */
    s_resp_t r = s_http (
        env, "GET", "/import/template?type=cooperative.rat_held&format=csv",
        NULL, env->cookie);
    assert_int_equal (r.code, 200);
    char value[256];
    assert_true (s_header (&r, "Content-Type", value, sizeof value));
    assert_string_equal (value, "text/csv; charset=utf-8");
    assert_true (s_header (&r, "Content-Disposition", value, sizeof value));
    assert_string_equal (value,
                         "attachment; "
                         "filename=\"templat-cooperative.rat_held.csv\"");
    assert_string_equal (r.body,
                         "\xEF\xBB\xBFNomor badan hukum;Tahun buku;Tanggal RAT;"
                         "Anggota hadir;Kuorum tercapai\r\n"
                         "AHU-0001234.AH.01.26.TAHUN 2019;2022;31/12/2022;"
                         "1.045;Ya\r\n");
    s_resp_free (&r);
    r = s_http (env, "GET",
                "/import/template?type=cooperative.rat_held&format=xlsx", NULL,
                env->cookie);
    assert_int_equal (r.code, 200);
    assert_memory_equal (r.body, "PK\x03\x04", 4);
    s_resp_free (&r);
    r = s_http (env, "GET", "/import/template?type=no.such&format=csv", NULL,
                env->cookie);
    assert_int_equal (r.code, 404);
    s_resp_free (&r);

    /* Without the form token: refused, nothing kept. */
    size_t size = 0;
    char *xlsx = s_clerk_xlsx (env, &size);
    r = s_upload (env, "0000", "cooperative.rat_held", "rat.xlsx", xlsx, size);
    assert_int_equal (r.code, 403);
    s_resp_free (&r);
    /* Operators may not import what only supervisors enter. */
    r = s_upload (env, env->csrf, "cooperative.status_declared", "rat.xlsx",
                  xlsx, size);
    assert_int_equal (r.code, 400);
    s_resp_free (&r);

    /* The preview: three rows, two good, the bad one named. */
    r = s_upload (env, env->csrf, "cooperative.rat_held", "rat.xlsx", xlsx,
                  size);
    assert_int_equal (r.code, 200);
    assert_int_equal (s_count (r.body, "n-rows"), 3);
    assert_int_equal (s_count (r.body, "n-good"), 2);
    assert_int_equal (s_count (r.body, "n-bad"), 1);
    assert_int_equal (s_count (r.body, "n-already"), 0);
    assert_non_null (strstr (r.body, "<p class=\"file\">rat.xlsx (XLSX)</p>"));
    assert_non_null (strstr (
        r.body, "<tr data-line=\"4\" data-code=\"E_FIELD_FORMAT\"><td>4</td>"
                "<td>Tanggal RAT</td><td>Tanggal itu tidak ada di kalender "
                "(mis. 31/02). (E_FIELD_FORMAT)</td></tr>"));
    assert_non_null (strstr (r.body, "<td>15/03/2022</td>"));
    char token[65];
    s_upload_token (r.body, token);
    s_resp_free (&r);
    /* Nothing is queued before the confirmation. */
    assert_int_equal (s_outbox_rows (env), 0);
    char *body = s_form ("csrf", env->csrf, "upload", token, NULL);
    r = s_http (env, "POST", "/import/confirm", body, env->cookie);
    assert_int_equal (r.code, 200);
    assert_int_equal (s_count (r.body, "n-queued"), 2);
    assert_int_equal (s_count (r.body, "n-skipped"), 0);
    s_resp_free (&r);
    assert_int_equal (s_outbox_rows (env), 2);
    /* The same confirmation again: gone, nothing queued twice. */
    r = s_http (env, "POST", "/import/confirm", body, env->cookie);
    assert_int_equal (r.code, 410);
    s_resp_free (&r);
    free (body);
    /* The same file again: both rows already there, nothing to confirm. */
    r = s_upload (env, env->csrf, "cooperative.rat_held", "rat-lagi.xlsx", xlsx,
                  size);
    assert_int_equal (r.code, 200);
    assert_int_equal (s_count (r.body, "n-good"), 0);
    assert_int_equal (s_count (r.body, "n-already"), 2);
    assert_null (strstr (r.body, "id=\"confirm-form\""));
    s_resp_free (&r);
    assert_int_equal (s_outbox_rows (env), 2);
    /* The entries remember the file and the row. */
    r = s_http (env, "GET", "/outbox/2", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    assert_non_null (strstr (r.body, "rat.xlsx:3"));
    s_resp_free (&r);
    /* A header the type does not know: the whole file refused. */
    static const char bad_head[] = "Nomor Badan Hukum;Tahun;Tanggal RAT\n"
                                   "AHU-1;2021;15/03/2022\n";
    r = s_upload (env, env->csrf, "cooperative.rat_held", "salah.csv", bad_head,
                  sizeof bad_head - 1);
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "data-code=\"E_COLUMN_UNKNOWN\"><td>1</td>"
                                     "<td>Tahun</td>"));
    assert_non_null (strstr (r.body, "data-code=\"E_COLUMN_MISSING\"><td>1</td>"
                                     "<td>Tahun buku</td>"));
    s_resp_free (&r);
    /* The preview names each choice as the form does, also a value whose
       Indonesian name is its own word (PRIMER: Primer). */
    static const char coop[] =
        "legal_number;legal_date;name;form;kind;pattern;desa_code;"
        "members_male;members_female\n"
        "AHU-0001234.AH.01.26.TAHUN 2019;12/03/2019;Koperasi Sauyunan;"
        "PRIMER;KONSUMEN;KONVENSIONAL;32.03.10.2012;40;35\n";
    r = s_upload (env, env->csrf, "cooperative.registered", "koperasi.csv",
                  coop, sizeof coop - 1);
    assert_int_equal (r.code, 200);
    assert_non_null (strstr (r.body, "<td>Koperasi Sauyunan</td><td>Primer</td>"
                                     "<td>Konsumen</td><td>Konvensional</td>"));
    s_resp_free (&r);
    /* No file, or a file of 0 bytes: the import form again (400), the
       reason named. */
    r = s_upload (env, env->csrf, "cooperative.registered", "kosong.csv", "",
                  0);
    assert_int_equal (r.code, 400);
    assert_non_null (strstr (r.body, "Pilih berkas CSV atau XLSX (tidak "
                                     "kosong)."));
    s_resp_free (&r);
    /* A file over 8 MiB is too large (413), whatever it holds, with the
       reason. */
    size_t big = JK_IMPORT_MAX_BYTES + 1;
    char *data = jk_malloc (big);
    memset (data, 'a', big);
    r = s_upload (env, env->csrf, "cooperative.registered", "besar.csv", data,
                  big);
    free (data);
    assert_int_equal (r.code, 413);
    assert_non_null (strstr (r.body, "Berkas lebih dari 8 MiB: pecah menjadi "
                                     "beberapa berkas."));
    s_resp_free (&r);
    free (xlsx);
}

/* An XLSX as Excel saves names that hold its escapes (libxlsxwriter
   writes text of the form _xHHHH_ as it is): each is read as Excel reads
   it, in one pass from the left, then checked as any other text (ESC is
   text); an escape of NUL refuses its row, naming the sheet and cell. */
static void test_import_escapes (void **state)
{
    s_env_t *env = *state;
    s_start_office (env);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    char *path = jk_sprintf ("%s/orang.xlsx", env->dir);
    lxw_workbook *wb = workbook_new (path);
    lxw_worksheet *ws = workbook_add_worksheet (wb, "Lembar1");
    const char *head[] = {"NIK", "Nama lengkap", "Jenis kelamin",
                          "Tanggal lahir", "Desa tempat tinggal"};
    const char *names[] = {"_x005F_x0041_", "a_x001B_b", "_x0041_di",
                           "_x004a_oko",    "_x41_",     "_x0000_"};
    const char *read[] = {"_x0041_", "a\033b", "Adi", "Joko", "_x41_"};
    for (lxw_col_t c = 0; c < 5; c++)
        worksheet_write_string (ws, 0, c, head[c], NULL);
    for (lxw_row_t r = 1; r <= 6; r++) {
        char nik[17];
        snprintf (nik, sizeof nik, "320301450690%04u", (unsigned)r);
        worksheet_write_string (ws, r, 0, nik, NULL);
        worksheet_write_string (ws, r, 1, names[r - 1], NULL);
        worksheet_write_string (ws, r, 2, "P", NULL);
        worksheet_write_string (ws, r, 3, "05/06/1990", NULL);
        worksheet_write_string (ws, r, 4, "32.03.10.2001", NULL);
    }
    assert_int_equal (workbook_close (wb), LXW_NO_ERROR);
    size_t size = 0;
    char *xlsx = jk_test_slurp (path, &size);
    assert_non_null (xlsx);
    free (path);

    s_resp_t r = s_upload (env, env->csrf, "person.registered", "orang.xlsx",
                           xlsx, size);
    assert_int_equal (r.code, 200);
    assert_int_equal (s_count (r.body, "n-rows"), 6);
    assert_int_equal (s_count (r.body, "n-good"), 5);
    assert_int_equal (s_count (r.body, "n-bad"), 1);
    for (int i = 0; i < 5; i++) {
        char *row = jk_sprintf ("<tr><td>%d</td><td>320301450690%04d</td>"
                                "<td>%s</td>",
                                i + 2, i + 1, read[i]);
        if (!strstr (r.body, row))
            fail_msg ("no %s in the preview", row);
        free (row);
    }
    assert_non_null (strstr (
        r.body,
        "<tr data-line=\"7\" data-code=\"E_ROW_UNREADABLE\"><td>7</td>"
        "<td></td><td>lembar &quot;Lembar1&quot; sel B7: _x0000_ "
        "adalah NUL, yang tidak boleh ada dalam teks (an escape of "
        "NUL is refused: text holds no NUL): baris dilewati</td></tr>"));
    char token[65];
    s_upload_token (r.body, token);
    s_resp_free (&r);
    char *body = s_form ("csrf", env->csrf, "upload", token, NULL);
    r = s_http (env, "POST", "/import/confirm", body, env->cookie);
    assert_int_equal (r.code, 200);
    assert_int_equal (s_count (r.body, "n-queued"), 5);
    s_resp_free (&r);
    free (body);
    assert_int_equal (s_outbox_rows (env), 5);
    free (xlsx);
}

/* ---- receipts with proofs --------------------------------------------- */

/* With the log's key the box proves each receipt against a signed
   checkpoint, tells the clerk in Indonesian (English as the toggle),
   and hands out the proof file, which jejak-replay check accepts with
   the verifier key alone. */
static void test_receipt_proofs (void **state)
{
    s_env_t *env = *state;
    char *keys = jk_sprintf ("%s/keys", env->dir);
    char *make[] = {"jejak-keys", "log-key", "--dir", keys, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (make, &out, &err, 60000), 0);
    free (out);
    free (err);
    char *key = jk_sprintf ("%s/log.key", keys);
    env->log_key = jk_sprintf ("%s/log.vkey", keys);
    char *argv[] = {"jejak-hub", "--db",
                    env->db,     "--ingest",
                    env->ingest, "--feed",
                    env->feed,   "--query",
                    env->query,  "--checkpoint-key",
                    key,         "--checkpoint-every",
                    "1",         NULL};
    env->hub = jk_test_spawn (argv, env->hub_log);
    assert_true (env->hub > 0);
    s_start_office (env);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    char *body = s_form (
        "csrf", env->csrf, "f.legal_number", "AHU-0004321.AH.01.26.TAHUN 2020",
        "f.legal_date", "02/03/2020", "f.name", "Koperasi Bukti Nyata",
        "f.form", "PRIMER", "f.kind", "JASA", "f.pattern", "KONVENSIONAL",
        "f.desa_code", "32.03.10.2012", "f.members_male", "20",
        "f.members_female", "21", NULL);
    s_resp_t r =
        s_http (env, "POST", "/form/cooperative.registered", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 303);
    s_resp_free (&r);
    /* Stored, then proven: the clerk reads it in Indonesian. */
    assert_true (JK_WAIT_FOR (s_entry_has (env, "/outbox/1",
                                           "Terbukti tercatat di posisi 1 log "
                                           "dinas (checkpoint bertanda "
                                           "tangan, 1 catatan)"),
                              60000));
    r = s_http (env, "GET", "/outbox/1", NULL, env->cookie);
    assert_non_null (strstr (r.body, "<a id=\"proof-file\" "
                                     "href=\"/outbox/1/proof\" download>Unduh "
                                     "berkas bukti</a>"));
    s_resp_free (&r);
    char en_cookie[200];
    snprintf (en_cookie, sizeof en_cookie, "%s; jejak_lang=en", env->cookie);
    r = s_http (env, "GET", "/outbox/1", NULL, en_cookie);
    assert_non_null (strstr (r.body, "Proven recorded at position 1 of the "
                                     "dinas's log (signed checkpoint of 1 "
                                     "records)"));
    s_resp_free (&r);
    /* The courier counts it once its run ends. */
    assert_true (JK_WAIT_FOR (
        s_entry_has (env, "/status.json", "\"proven\":1,\"fork\":false}"),
        60000));

    /* The proof file: a download, checked offline by the auditor's tool. */
    r = s_http (env, "GET", "/outbox/1/proof", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    char disposition[160];
    assert_true (
        s_header (&r, "Content-Disposition", disposition, sizeof disposition));
    assert_string_equal (disposition, "attachment; filename=\"bukti-32.03.10_"
                                      "pacet-1-1.proof\"");
    assert_int_equal (strncmp (r.body, "jejak-proof/1\nentry ", 20), 0);
    char *file = jk_sprintf ("%s/bukti-1.proof", env->dir);
    FILE *f = fopen (file, "w");
    fwrite (r.body, 1, r.size, f);
    fclose (f);
    s_resp_free (&r);
    char *check[] = {"jejak-replay", "check",      file,
                     "--log-key",    env->log_key, NULL};
    assert_int_equal (jk_test_run (check, &out, &err, 60000), 0);
    assert_non_null (strstr (out, "VALID proof"));
    assert_non_null (strstr (out, "position 1 of the log "
                                  "jejak.cianjurkab.go.id/log (signed tree "
                                  "of 1 records)"));
    assert_non_null (strstr (out, "type cooperative.registered source "
                                  "32.03.10/pacet-1 seq 1"));
    free (out);
    free (err);
    /* A changed byte of the file is refused by the same tool. */
    char *text = jk_test_slurp (file, NULL);
    char *entry = strstr (text, "entry ") + 6 + 30;
    *entry = *entry == 'A' ? 'B' : 'A';
    s_write (file, text);
    assert_int_equal (jk_test_run (check, &out, &err, 60000), 1);
    assert_non_null (strstr (out, "INVALID proof"));
    free (out);
    free (err);
    free (text);
    /* An entry without a proof, and no such entry: 404. */
    r = s_http (env, "GET", "/outbox/2/proof", NULL, env->cookie);
    assert_int_equal (r.code, 404);
    s_resp_free (&r);
    free (file);
    free (key);
    free (keys);
}

/* ---- pick lists from the hub ----------------------------------------- */

/* One command of jejak-registration as the dinas (another source). */
static void s_dinas (s_env_t *env, char *const *args)
{
    char *outbox = jk_sprintf ("%s/dinas-outbox.db", env->dir);
    char *argv[40] = {"jejak-registration", "--source", "DINAS/admin-1",
                      "--outbox",           outbox,     "--broker",
                      env->ingest,          "--wait",   "60"};
    size_t n = 9;
    for (size_t i = 0; args[i] && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 120000);
    if (rc != 0)
        fprintf (stderr, "jejak-registration: %d %s %s\n", rc, out, err);
    assert_int_equal (rc, 0);
    free (out);
    free (err);
    free (outbox);
}

static long long s_synced (s_env_t *env)
{
    s_resp_t r = s_http (env, "GET", "/status.json", NULL, env->cookie);
    const char *at = strstr (r.body, "\"lists_synced_ms\":");
    long long ms = at ? atoll (at + strlen ("\"lists_synced_ms\":")) : -1;
    s_resp_free (&r);
    return ms;
}

/* What the dinas entered reaches the office's pick lists through the
   hub's query endpoint, and stays there from the cache while the hub is
   down and the office restarts. */
static void test_pick_lists_from_hub (void **state)
{
    s_env_t *env = *state;
    s_start_hub (env);
    char *coop[] = {"cooperative",
                    "--legal-number",
                    "AHU-0007777.AH.01.26.TAHUN 2018",
                    "--legal-date",
                    "02/05/2018",
                    "--name",
                    "Koperasi Dinas Sejahtera",
                    "--form",
                    "PRIMER",
                    "--kind",
                    "JASA",
                    "--pattern",
                    "KONVENSIONAL",
                    "--desa-code",
                    "32.03.10.2012",
                    "--members-male",
                    "20",
                    "--members-female",
                    "25",
                    NULL};
    s_dinas (env, coop);
    char *batch[] = {"batch",
                     "--batch",
                     "DINAS-2026-07",
                     "--title",
                     "Pelatihan Manajemen Koperasi",
                     "--funding",
                     "APBD_KAB",
                     "--budget-year",
                     "2026",
                     "--venue",
                     "Aula Dinas",
                     "--venue-desa-code",
                     "32.03.10.2012",
                     "--start-date",
                     "09/11/2026",
                     "--end-date",
                     "10/11/2026",
                     NULL};
    s_dinas (env, batch);
    char *session[] = {"session", "--batch", "DINAS-2026-07", "--session-no",
                       "1",       "--date",  "09/11/2026",    "--starts",
                       "09:00",   "--ends",  "12:00",         "--jp",
                       "3",       "--topic", "Tata kelola",   NULL};
    s_dinas (env, session);

    s_start_office (env);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    assert_true (JK_WAIT_FOR (s_synced (env) > 0, 60000));
    s_resp_t r = s_http (env, "GET", "/form/training.participant_enrolled",
                         NULL, env->cookie);
    assert_int_equal (r.code, 200);
    assert_non_null (strstr (r.body,
                             "<option value=\"AHU-0007777.AH.01.26.TAHUN "
                             "2018\">Koperasi Dinas Sejahtera (AHU-0007777."
                             "AH.01.26.TAHUN 2018)</option>"));
    assert_non_null (strstr (r.body, "<option value=\"DINAS-2026-07\">"));
    s_resp_free (&r);
    r = s_http (env, "GET", "/attendance?batch=DINAS-2026-07", NULL,
                env->cookie);
    assert_non_null (strstr (r.body, "Sesi 1, 09/11/2026: Tata kelola"));
    s_resp_free (&r);

    /* The hub goes down, the office restarts: the lists come from the
       cache. */
    assert_int_equal (jk_test_stop (env->hub, SIGTERM, 20000), 0);
    env->hub = 0;
    assert_int_equal (jk_test_stop (env->office, SIGTERM, 20000), 0);
    env->office = 0;
    unlink (env->log);
    s_start_office (env);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    r = s_http (env, "GET", "/form/training.participant_enrolled", NULL,
                env->cookie);
    assert_non_null (strstr (r.body, "Koperasi Dinas Sejahtera"));
    s_resp_free (&r);
    r = s_http (env, "GET", "/attendance?batch=DINAS-2026-07", NULL,
                env->cookie);
    assert_non_null (strstr (r.body, "Sesi 1, 09/11/2026: Tata kelola"));
    s_resp_free (&r);
    assert_int_equal (s_synced (env), 0); /* not synced on this run */
}

/* ---- user administration ---------------------------------------------- */

/* The status code of a GET of path with cookie. */
static int s_get_code (s_env_t *env, const char *path, const char *cookie)
{
    s_resp_t r = s_http (env, "GET", path, NULL, cookie);
    int code = r.code;
    s_resp_free (&r);
    return code;
}

static s_resp_t s_users_post (s_env_t *env, const char *action,
                              const char *name, const char *password)
{
    char *body =
        s_form ("csrf", env->csrf, "action", action, "name", name, "role",
                "operator", "password", password, "password2", password, NULL);
    s_resp_t r = s_http (env, "POST", "/users", body, env->cookie);
    free (body);
    return r;
}

/* Accounts in the browser: supervisors only, CSRF kept, a new account
   logs in, a new password ends its sessions, a disabled one is refused,
   no self-lockout, every change in the audit table, no password in the
   log. */
static void test_user_admin (void **state)
{
    s_env_t *env = *state;
    s_start_office (env);
    /* An operator may not. */
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    s_resp_t r = s_http (env, "GET", "/users", NULL, env->cookie);
    assert_int_equal (r.code, 403);
    assert_null (strstr (r.body, "id=\"nav-users\""));
    s_resp_free (&r);
    r = s_users_post (env, "add", "ani", "Sandi-Ani-2026");
    assert_int_equal (r.code, 403);
    s_resp_free (&r);

    assert_int_equal (s_login (env, "siti", S_PASSWORD), 303);
    r = s_http (env, "GET", "/users", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    assert_non_null (strstr (r.body, "id=\"nav-users\""));
    assert_non_null (strstr (r.body, "<tr data-user=\"budi\" "
                                     "data-state=\"active\"><td>budi</td>"
                                     "<td>operator</td><td>aktif</td>"));
    s_resp_free (&r);
    /* Without the form token: refused. */
    char *body =
        s_form ("action", "add", "name", "ani", "role", "operator", "password",
                "Sandi-Ani-2026", "password2", "Sandi-Ani-2026", NULL);
    r = s_http (env, "POST", "/users", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 403);
    s_resp_free (&r);
    /* Two different passwords; then a short one: said in Indonesian. */
    body = s_form ("csrf", env->csrf, "action", "add", "name", "ani", "role",
                   "operator", "password", "Sandi-Ani-2026", "password2",
                   "Sandi-Ani-2027", NULL);
    r = s_http (env, "POST", "/users", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "id=\"users-error\">Kedua kata sandi "
                                     "tidak sama.</p>"));
    s_resp_free (&r);
    r = s_users_post (env, "add", "ani", "pendek");
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "Kata sandi harus 8 sampai 256 "
                                     "karakter."));
    s_resp_free (&r);
    r = s_users_post (env, "add", "ani", "Sandi-Ani-2026");
    assert_int_equal (r.code, 303);
    char location[128];
    assert_true (s_header (&r, "Location", location, sizeof location));
    assert_string_equal (location, "/users?done=add&name=ani");
    s_resp_free (&r);
    r = s_users_post (env, "add", "ani", "Sandi-Ani-2026");
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "Nama pengguna itu sudah ada."));
    s_resp_free (&r);
    /* Each of the library's refusals in its own words, chosen by its
       code: a name that holds another rule's word is still a name. */
    r = s_users_post (env, "add", "password:", "Sandi-Ani-2026");
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "id=\"users-error\">Nama pengguna: "
                                     "1-32 huruf kecil, angka, titik, _ "
                                     "atau -, tidak diawali titik atau "
                                     "-.</p>"));
    s_resp_free (&r);
    body = s_form ("csrf", env->csrf, "action", "add", "name", "dewi", "role",
                   "boss", "password", "Sandi-Dewi-2026", "password2",
                   "Sandi-Dewi-2026", NULL);
    r = s_http (env, "POST", "/users", body, env->cookie);
    free (body);
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "id=\"users-error\">Peran: operator "
                                     "atau penyelia.</p>"));
    s_resp_free (&r);
    r = s_users_post (env, "passwd", "nobody", "Sandi-Baru-2026");
    assert_int_equal (r.code, 422);
    assert_non_null (
        strstr (r.body, "id=\"users-error\">Akun itu tidak ada.</p>"));
    s_resp_free (&r);
    r = s_users_post (env, "disable", "nobody", "");
    assert_int_equal (r.code, 422);
    assert_non_null (
        strstr (r.body, "id=\"users-error\">Akun itu tidak ada.</p>"));
    s_resp_free (&r);
    /* Ani logs in; a new password ends her session. */
    char siti_cookie[128], siti_csrf[65];
    snprintf (siti_cookie, sizeof siti_cookie, "%s", env->cookie);
    snprintf (siti_csrf, sizeof siti_csrf, "%s", env->csrf);
    assert_int_equal (s_login (env, "ani", "Sandi-Ani-2026"), 303);
    char ani_cookie[128];
    snprintf (ani_cookie, sizeof ani_cookie, "%s", env->cookie);
    r = s_http (env, "GET", "/", NULL, ani_cookie);
    assert_int_equal (r.code, 200);
    s_resp_free (&r);
    snprintf (env->cookie, sizeof env->cookie, "%s", siti_cookie);
    snprintf (env->csrf, sizeof env->csrf, "%s", siti_csrf);
    r = s_users_post (env, "passwd", "ani", "Sandi-Baru-Ani-1");
    assert_int_equal (r.code, 303);
    s_resp_free (&r);
    r = s_http (env, "GET", "/", NULL, ani_cookie);
    assert_int_equal (r.code, 303); /* back to the login page */
    s_resp_free (&r);
    /* Disabled: the right password is refused. */
    r = s_users_post (env, "disable", "ani", "");
    assert_int_equal (r.code, 303);
    s_resp_free (&r);
    assert_int_equal (s_login (env, "ani", "Sandi-Baru-Ani-1"), 401);
    snprintf (env->cookie, sizeof env->cookie, "%s", siti_cookie);
    snprintf (env->csrf, sizeof env->csrf, "%s", siti_csrf);
    /* No self-lockout. */
    r = s_users_post (env, "disable", "siti", "");
    assert_int_equal (r.code, 422);
    assert_non_null (strstr (r.body, "Anda tidak bisa menonaktifkan akun "
                                     "sendiri."));
    s_resp_free (&r);
    /* The audit table, newest first. */
    r = s_http (env, "GET", "/users", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    const char *audit = strstr (r.body, "id=\"audit\"");
    assert_non_null (audit);
    const char *dis = strstr (audit, "<tr data-action=\"disable\">");
    const char *pw = strstr (audit, "<tr data-action=\"passwd\">");
    const char *add = strstr (audit, "<tr data-action=\"add\">");
    assert_true (dis && pw && add && dis < pw && pw < add);
    assert_non_null (strstr (add, "<td>siti</td><td>add</td><td>ani</td>"
                                  "<td>operator</td>"));
    assert_non_null (strstr (r.body, "<tr data-user=\"ani\" "
                                     "data-state=\"disabled\">"));
    s_resp_free (&r);
    /* The log says who did what, never a password. */
    assert_true (jk_test_file_has (env->log, "audit user=siti action=add "
                                             "target=ani result=ok"));
    assert_false (jk_test_file_has (env->log, "Sandi-Ani-2026"));
    assert_false (jk_test_file_has (env->log, "Sandi-Baru-Ani-1"));

    /* The command line's changes reach the running office at once: an
       open session ends when its account is disabled there (and stays
       ended once it is enabled again), or given a new password. */
    char budi_cookie[128];
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    snprintf (budi_cookie, sizeof budi_cookie, "%s", env->cookie);
    assert_int_equal (s_get_code (env, "/", budi_cookie), 200);
    assert_int_equal (s_user (env, "disable", "budi", NULL, NULL), 0);
    assert_int_equal (s_get_code (env, "/", budi_cookie), 303);
    assert_int_equal (s_get_code (env, "/status.json", budi_cookie), 401);
    assert_int_equal (s_user (env, "enable", "budi", NULL, NULL), 0);
    assert_int_equal (s_get_code (env, "/", budi_cookie), 303);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    snprintf (budi_cookie, sizeof budi_cookie, "%s", env->cookie);
    assert_int_equal (s_user (env, "passwd", "budi", NULL, NULL), 0);
    assert_int_equal (s_get_code (env, "/", budi_cookie), 303);
    /* Siti's session, untouched by changes of other accounts, goes on. */
    assert_int_equal (s_get_code (env, "/users", siti_cookie), 200);
}

/* ---- one outbox, two programs ------------------------------------------ */

/* The office's start with an entry waiting and the hub's query endpoint
   given: the courier and the pick lists each open a socket from their own
   thread at once. CZMQ's global state (zsys_init, not thread-safe) is made
   before them; made by one of them instead, it aborted the process when
   the other's socket came first (an injected fault holds zsys_init's last
   step, run off the main thread, until another thread opened a socket:
   without the fix every start fails). */
static void test_start_threads_share_czmq (void **state)
{
    s_env_t *env = *state;
    char *argv[] = {"jejak-registration",
                    "cooperative",
                    "--legal-number",
                    "AHU-0000001.AH.01.26.TAHUN 2020",
                    "--legal-date",
                    "02/03/2020",
                    "--name",
                    "Koperasi Awal",
                    "--form",
                    "PRIMER",
                    "--kind",
                    "JASA",
                    "--pattern",
                    "KONVENSIONAL",
                    "--desa-code",
                    "32.03.10.2012",
                    "--members-male",
                    "5",
                    "--members-female",
                    "6",
                    "--source",
                    S_SOURCE,
                    "--outbox",
                    env->outbox,
                    "--broker",
                    env->ingest,
                    "--wait",
                    "0",
                    NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, 60000), 3);
    free (out);
    free (err);
    const char *asan = getenv ("ASAN_OPTIONS");
    char *saved = asan ? jk_strdup (asan) : NULL;
    /* The shim is loaded first: a sanitizer's runtime may not be. */
    char *options = jk_sprintf ("%s%sverify_asan_link_order=0",
                                asan ? asan : "", asan ? ":" : "");
    setenv ("ASAN_OPTIONS", options, 1);
    setenv ("LD_PRELOAD", JK_TEST_SLOW_ZSYS_INIT, 1);
    s_start_office (env);
    unsetenv ("LD_PRELOAD");
    if (saved)
        setenv ("ASAN_OPTIONS", saved, 1);
    else
        unsetenv ("ASAN_OPTIONS");
    free (saved);
    free (options);
    /* It serves; the entry waits for the hub, which is down. */
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    assert_true (s_entry_has (env, "/status.json",
                              "\"link_up\":false,\"last_contact_ms\":0,"
                              "\"pending\":1,\"stored\":0"));
    /* s_teardown stops it: exit 0. */
}

/* jejak-registration's import and jejak-office's forms write the same
   outbox at the same time, both delivering: 1,000 events, each stored
   once, the source's seqs 1..1000 without a gap. Deadlines are generous
   (the suite runs beside other builds). */
static void test_cli_and_office_share_the_outbox (void **state)
{
    s_env_t *env = *state;
    s_start_hub (env);
    s_start_office (env);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);
    /* 500 people for the command line's import. */
    char *csv = jk_sprintf ("%s/people.csv", env->dir);
    FILE *f = fopen (csv, "w");
    assert_non_null (f);
    fputs ("nik,name,sex,birth_date,desa_code\n", f);
    for (int i = 1; i <= 500; i++)
        fprintf (f,
                 "32031001018%05d,Warga Impor %d,L,1980-01-01,"
                 "32.03.10.2012\n",
                 i, i);
    fclose (f);
    char *cli_log = jk_sprintf ("%s/cli.log", env->dir);
    char *argv[] = {"jejak-registration",
                    "import",
                    csv,
                    "--type",
                    "person.registered",
                    "--source",
                    S_SOURCE,
                    "--outbox",
                    env->outbox,
                    "--broker",
                    env->ingest,
                    "--actor",
                    "cli",
                    "--wait",
                    "300",
                    NULL};
    pid_t cli = jk_test_spawn (argv, cli_log);
    assert_true (cli > 0);
    /* Meanwhile 500 through the office's form. */
    for (int i = 1; i <= 500; i++) {
        char nik[17], name[32];
        snprintf (nik, sizeof nik, "32031001018%05d", 500 + i);
        snprintf (name, sizeof name, "Warga Formulir %d", i);
        char *body = s_form ("csrf", env->csrf, "f.nik", nik, "f.name", name,
                             "f.sex", "L", "f.birth_date", "01/01/1980",
                             "f.desa_code", "32.03.10.2012", NULL);
        s_resp_t r =
            s_http (env, "POST", "/form/person.registered", body, env->cookie);
        free (body);
        assert_int_equal (r.code, 303);
        s_resp_free (&r);
    }
    int status = -1;
    assert_true (jk_test_wait_exit (cli, &status, 600000));
    assert_true (WIFEXITED (status));
    if (WEXITSTATUS (status) != 0) {
        char *text = jk_test_slurp (cli_log, NULL);
        fprintf (stderr, "jejak-registration import: %d\n%s\n",
                 WEXITSTATUS (status), text ? text : "");
        free (text);
    }
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_true (
        JK_WAIT_FOR (s_stored (env, "person.registered") == 1000, 600000));
    /* Each seq once, 1..1000, and the outbox agrees. */
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (env->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT count(*), count(DISTINCT "
                                          "seq), min(seq), max(seq) FROM log "
                                          "WHERE source = '" S_SOURCE "'",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int64 (st, 0), 1000);
    assert_int_equal (sqlite3_column_int64 (st, 1), 1000);
    assert_int_equal (sqlite3_column_int64 (st, 2), 1);
    assert_int_equal (sqlite3_column_int64 (st, 3), 1000);
    sqlite3_finalize (st);
    sqlite3_close (db);
    assert_true (JK_WAIT_FOR (
        s_entry_has (env, "/status.json", "\"pending\":0,\"stored\":1000,"),
        120000));
    free (csv);
    free (cli_log);
}

/* How many times needle is in text. */
static size_t s_occurrences (const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *at = strstr (text, needle); at;
         at = strstr (at + 1, needle))
        n++;
    return n;
}

/* An outbox of 1,000 entries, two of them rejected long ago: /outbox
   lists the newest 200, and ?state=rejected both rejected ones however
   old; an entry's yes/no reads Ya/Tidak; the day's receipt counts its
   entries with the thousands point. */
static void test_outbox_lists (void **state)
{
    s_env_t *env = *state;
    char err[256];
    jk_outbox_t *outbox =
        jk_outbox_open (env->outbox, S_SOURCE, err, sizeof err);
    assert_non_null (outbox);
    const jk_type_t *t = jk_vocabulary_find ("cooperative.rat_held", 20);
    assert_non_null (t);
    assert_int_equal (jk_outbox_begin (outbox), JK_OK);
    for (int i = 1; i <= 1000; i++) {
        jk_event_t *ev = jk_event_new (t);
        jk_event_set_source (ev, S_SOURCE);
        jk_event_set_actor (ev, "siti");
        char present[16];
        snprintf (present, sizeof present, "%d", i);
        const char *values[][2] = {
            {"legal_number", "AHU-0001234.AH.01.26.TAHUN 2019"},
            {"book_year", "2023"},
            {"held_on", "2024-02-10"},
            {"members_present", present},
            {"quorum_met", i % 2 == 0 ? "true" : "false"}};
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            jk_report_t report;
            jk_report_reset (&report);
            assert_int_equal (
                jk_event_set (ev, values[v][0], values[v][1], &report), 0);
        }
        uint64_t seq = 0;
        assert_int_equal (jk_outbox_put (outbox, ev, "", NULL, &seq), JK_OK);
        assert_int_equal (seq, (uint64_t)i);
        jk_event_destroy (&ev);
    }
    assert_int_equal (jk_outbox_commit (outbox), JK_OK);
    /* 1: the row changed */
    assert_int_equal (jk_outbox_reject_local (outbox, 1,
                                              "E_UNKNOWN_COOPERATIVE",
                                              "no such cooperative"),
                      1);
    assert_int_equal (jk_outbox_reject_local (outbox, 3,
                                              "E_UNKNOWN_COOPERATIVE",
                                              "no such cooperative"),
                      1);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (outbox, 1000, &row), JK_OK);
    char iso[26];
    jk_time_format_wib (row.created_at, iso); /* YYYY-MM-DDTHH:MM... */
    jk_outbox_close (&outbox);
    s_start_office (env);
    assert_int_equal (s_login (env, "budi", S_PASSWORD), 303);

    s_resp_t r =
        s_http (env, "GET", "/outbox?state=rejected", NULL, env->cookie);
    assert_int_equal (r.code, 200);
    assert_int_equal (s_occurrences (r.body, "<tr data-seq="), 2);
    assert_non_null (strstr (r.body, "<tr data-seq=\"1\" "
                                     "data-state=\"rejected\">"));
    assert_non_null (strstr (r.body, "<tr data-seq=\"3\" "
                                     "data-state=\"rejected\">"));
    /* The language switch comes back to the same list, query and all. */
    assert_non_null (strstr (r.body, "href=\"/lang?to=en&amp;next=%2Foutbox"
                                     "%3Fstate%3Drejected\""));
    s_resp_free (&r);
    r = s_http (env, "GET", "/lang?to=en&next=%2Foutbox%3Fstate%3Drejected",
                NULL, env->cookie);
    assert_int_equal (r.code, 303);
    char location[64];
    assert_true (s_header (&r, "Location", location, sizeof location));
    assert_string_equal (location, "/outbox?state=rejected");
    s_resp_free (&r);
    r = s_http (env, "GET", "/outbox", NULL, env->cookie);
    assert_int_equal (s_occurrences (r.body, "<tr data-seq="), 200);
    assert_non_null (strstr (r.body, "<tr data-seq=\"801\""));
    assert_null (strstr (r.body, "<tr data-seq=\"800\""));
    s_resp_free (&r);

    r = s_http (env, "GET", "/outbox/2", NULL, env->cookie);
    assert_non_null (strstr (r.body, "<th>Kuorum tercapai</th><td>Ya</td>"));
    s_resp_free (&r);
    r = s_http (env, "GET", "/outbox/5", NULL, env->cookie);
    assert_non_null (strstr (r.body, "<th>Kuorum tercapai</th><td>Tidak</td>"));
    s_resp_free (&r);

    char *path =
        jk_sprintf ("/receipt?day=%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
    r = s_http (env, "GET", path, NULL, env->cookie);
    free (path);
    assert_int_equal (r.code, 200);
    assert_non_null (strstr (r.body, "<p id=\"count\" data-count=\"1000\">"
                                     "Jumlah kiriman: 1.000</p>"));
    s_resp_free (&r);
}

/* ---- the browser ------------------------------------------------------ */

/* <build dir>/test-artifacts/office */
static char *s_artifacts (void)
{
    char *dir = jk_sprintf ("%s/test-artifacts", JEJAK_BINARY_DIR);
    mkdir (dir, 0755);
    char *office = jk_sprintf ("%s/office", dir);
    mkdir (office, 0755);
    free (dir);
    return office;
}

/* Screenshots of the current page at 1366x768 and on a 390-px phone, and
   at the phone width nothing is wider than the screen. */
static void s_shots (jk_cdp_t *b, const char *dir, const char *name)
{
    char *path = jk_sprintf ("%s/%s-1366.png", dir, name);
    jk_cdp_viewport (b, 1366, 768, false);
    /* The new size laid out first (under load a screenshot taken at once
       can find a viewport of width 0). */
    assert_true (jk_cdp_wait (b,
                              "document.readyState === 'complete' && "
                              "window.innerWidth === 1366",
                              30000));
    assert_true (jk_cdp_screenshot (b, path) > 10000);
    free (path);
    jk_cdp_viewport (b, 390, 844, true);
    assert_true (jk_cdp_wait (b,
                              "window.innerWidth === 390 && "
                              "document.documentElement.scrollWidth <= 390",
                              30000));
    path = jk_sprintf ("%s/%s-390.png", dir, name);
    assert_true (jk_cdp_screenshot (b, path) > 5000);
    free (path);
    jk_cdp_viewport (b, 1366, 768, false);
}

static char *s_url (s_env_t *env, const char *path)
{
    return jk_sprintf ("http://127.0.0.1:%d%s", env->port, path);
}

/* Sets a form control's value by id. */
static void s_fill (jk_cdp_t *b, const char *id, const char *value)
{
    char *js = jk_sprintf ("(function(){var e=document.getElementById('%s');"
                           "e.value='%s';e.dispatchEvent(new Event('change'));"
                           "return 'ok';})()",
                           id, value);
    char *v = jk_cdp_eval (b, js);
    free (js);
    assert_non_null (v);
    assert_string_equal (v, "ok");
    free (v);
}

/* Clicks the element with id and waits for a new page whose path is path
   (the old page carries a mark the new one lacks). */
static void s_click_to (jk_cdp_t *b, const char *id, const char *path)
{
    char *js = jk_sprintf ("window.jkOld = 1; "
                           "document.getElementById('%s').click(), 'ok'",
                           id);
    free (jk_cdp_eval (b, js));
    free (js);
    js = jk_sprintf ("!window.jkOld && document.readyState === 'complete' && "
                     "location.pathname === '%s' && "
                     "!!document.getElementById('strip')",
                     path);
    assert_true (jk_cdp_wait (b, js, 30000));
    free (js);
}

static long s_eval_long (jk_cdp_t *b, const char *js)
{
    char *v = jk_cdp_eval (b, js);
    long n = v ? strtol (v, NULL, 10) : -1;
    free (v);
    return n;
}

/* Posts one form over the plain client (setup data for the browser):
   the field name=value pairs after type (NULL-ended). */
static void s_post_ok (s_env_t *env, const char *type, const char *first, ...)
{
    va_list ap;
    va_start (ap, first);
    char *fields = s_form_v ("f.", first, ap);
    va_end (ap);
    char *body = jk_sprintf ("csrf=%s&%s", env->csrf, fields);
    char *path = jk_sprintf ("/form/%s", type);
    s_resp_t r = s_http (env, "POST", path, body, env->cookie);
    if (r.code != 303)
        fprintf (stderr, "%s: %d %s\n", type, r.code, r.body);
    assert_int_equal (r.code, 303);
    s_resp_free (&r);
    free (path);
    free (body);
    free (fields);
}

/* The issue's flow in a real headless Chromium, with the hub down first:
   log in, a cooperative with an Indonesian date, a person with a bad NIK
   (the Indonesian message), fixed; attendance of a session of a batch of
   five in one save; a CSV import with Indonesian headers and one bad
   row (preview, then the good rows queued); every entry belum terkirim;
   the hub comes up: all
   tersimpan with receipts equal to the hub's log. Screenshots of every
   page at 1366x768 and 390 px; every control of a form reached by Tab. */
static void test_browser (void **state)
{
    s_env_t *env = *state;
    if (!jk_test_browser ("test_browser"))
        skip ();
    char *dir = s_artifacts ();
    s_start_office (env);
    jk_cdp_t *b = jk_cdp_start (env->dir, 1366, 768);
    assert_non_null (b);
    char *url = s_url (env, "/login");
    assert_true (jk_cdp_navigate (b, url));
    free (url);
    s_shots (b, dir, "login");
    s_fill (b, "user", "siti");
    s_fill (b, "password", S_PASSWORD);
    s_click_to (b, "login-button", "/");
    s_shots (b, dir, "home");

    /* The cooperative, with an Indonesian date and 1.045 members. */
    url = s_url (env, "/form/cooperative.registered");
    assert_true (jk_cdp_navigate (b, url));
    free (url);
    s_shots (b, dir, "form-cooperative");
    /* Every control of the form is reached with Tab, in order. */
    long controls = s_eval_long (
        b, "document.querySelectorAll('#event-form input:not([type=hidden]),"
           "#event-form select,#event-form textarea,#event-form button')"
           ".length");
    assert_true (controls >= 11);
    free (jk_cdp_eval (b,
                       "window.seen = new Set(); document.addEventListener"
                       "('focusin', function (e) { window.seen.add(e.target);"
                       " }); document.body.focus(), 'ok'"));
    for (long i = 0; i < controls + 30; i++)
        jk_cdp_key (b, "Tab", false);
    assert_int_equal (
        s_eval_long (b, "Array.from(document.querySelectorAll('#event-form "
                        "input:not([type=hidden]),#event-form select,"
                        "#event-form textarea,#event-form button')).filter("
                        "function (e) { return !window.seen.has(e); }).length"),
        0);
    s_fill (b, "f.legal_number", "AHU-0001234.AH.01.26.TAHUN 2019");
    s_fill (b, "f.legal_date", "01/03/2019");
    s_fill (b, "f.name", "Koperasi Sauyunan");
    s_fill (b, "f.form", "PRIMER");
    s_fill (b, "f.kind", "SERBA_USAHA");
    s_fill (b, "f.pattern", "KONVENSIONAL");
    s_fill (b, "f.desa_code", "32.03.10.2012");
    s_fill (b, "f.members_male", "1.045");
    s_fill (b, "f.members_female", "35");
    s_click_to (b, "save", "/outbox/1");
    char *state_text = jk_cdp_eval (b, "document.getElementById('state')"
                                       ".textContent");
    assert_string_equal (state_text, "belum terkirim");
    free (state_text);
    s_shots (b, dir, "entry-pending");

    /* A person with a bad NIK: the message beside the field, fixed. */
    url = s_url (env, "/form/person.registered");
    assert_true (jk_cdp_navigate (b, url));
    free (url);
    s_fill (b, "f.nik", "3203100113800002");
    s_fill (b, "f.name", "Ujang Sutisna");
    s_fill (b, "f.sex", "L");
    s_fill (b, "f.birth_date", "01/01/1980");
    s_fill (b, "f.desa_code", "32.03.10.2012");
    s_click_to (b, "save", "/form/person.registered");
    char *message = jk_cdp_eval (b, "document.getElementById('f.nik.error')"
                                    ".textContent");
    assert_non_null (message);
    assert_string_equal (message, "NIK tidak sah: angka ke-9 dan ke-10 (bulan "
                                  "lahir) harus 01-12. (E_NIK_MONTH)");
    free (message);
    assert_int_equal (
        s_eval_long (b, "document.getElementById('f.nik').getAttribute("
                        "'aria-invalid') === 'true' ? 1 : 0"),
        1);
    s_shots (b, dir, "form-person-error");
    s_fill (b, "f.nik", "3203100101800002");
    s_click_to (b, "save", "/outbox/2");

    /* A batch of five, a session, the five enrolled (plain client). */
    assert_int_equal (s_login (env, "siti", S_PASSWORD), 303);
    s_post_ok (env, "training.batch_scheduled", "batch", "PK2UMK-2026-01",
               "title", "Pelatihan Akuntansi Koperasi", "funding", "APBD_KAB",
               "budget_year", "2026", "venue", "Aula Kecamatan",
               "venue_desa_code", "32.03.10.2012", "start_date", "02/11/2026",
               "end_date", "04/11/2026", NULL);
    s_post_ok (env, "training.session_scheduled", "batch", "PK2UMK-2026-01",
               "session_no", "1", "date", "02/11/2026", "starts", "08:00",
               "ends", "12:00", "jp", "4", "topic", "Dasar akuntansi", NULL);
    for (int i = 3; i <= 7; i++) {
        char nik[17], name[32];
        snprintf (nik, sizeof nik, "320310010180%04d", i);
        snprintf (name, sizeof name, "Peserta Nomor %d", i);
        s_post_ok (env, "person.registered", "nik", nik, "name", name, "sex",
                   "L", "birth_date", "01/01/1980", "desa_code",
                   "32.03.10.2012", NULL);
        s_post_ok (env, "training.participant_enrolled", "batch",
                   "PK2UMK-2026-01", "nik", nik, "cooperative",
                   "AHU-0001234.AH.01.26.TAHUN 2019", NULL);
    }
    /* Attendance: pick the batch and session, mark, one save. */
    url = s_url (env, "/attendance");
    assert_true (jk_cdp_navigate (b, url));
    free (url);
    free (jk_cdp_eval (b, "var s=document.getElementById('batch');"
                          "s.value='PK2UMK-2026-01';"
                          "s.dispatchEvent(new Event('change')), 'ok'"));
    /* The batch's page, loaded to the end (its scripts attach the
       session picker's change handler only then). */
    assert_true (jk_cdp_wait (b,
                              "document.readyState === 'complete' && "
                              "!!document.getElementById('session')",
                              30000));
    free (jk_cdp_eval (b, "var s=document.getElementById('session');"
                          "s.value='1';"
                          "s.dispatchEvent(new Event('change')), 'ok'"));
    assert_true (jk_cdp_wait (
        b, "document.querySelectorAll('tr[data-nik-row]').length === 5",
        30000));
    free (jk_cdp_eval (
        b, "var r=document.querySelectorAll('tr[data-nik-row] select');"
           "r[1].value='IZIN'; r[2].value='SAKIT'; r[3].value='ALPA'; 'ok'"));
    s_shots (b, dir, "attendance");
    s_click_to (b, "save-attendance", "/receipt");
    assert_int_equal (
        s_eval_long (b, "+document.getElementById('count').dataset.count"), 5);
    s_shots (b, dir, "receipt-session");

    /* Import: a CSV with Indonesian headers (as Indonesian Excel saves
       it: ';', dd/mm/yyyy) and one bad row; the preview names the row,
       the column and the rule; then the two good rows are queued. */
    url = s_url (env, "/import");
    assert_true (jk_cdp_navigate (b, url));
    free (url);
    s_shots (b, dir, "import");
    s_fill (b, "type", "person.registered");
    free (jk_cdp_eval (
        b, "var t='NIK;Nama Lengkap;Jenis kelamin;Tanggal lahir;Desa tempat "
           "tinggal\\r\\n3203104101800008;Euis Kurniasih;Perempuan;"
           "01/01/1980;32.03.10.2012\\r\\n3203100101800009;Dedi Supriadi;"
           "L;1/1/1980;32.03.10.2012\\r\\n3203100113800010;Asep;L;"
           "01/01/1980;32.03.10.2012\\r\\n';"
           "var d=new DataTransfer();d.items.add(new File([t],'peserta.csv',"
           "{type:'text/csv'}));document.getElementById('file').files="
           "d.files;'ok'"));
    s_click_to (b, "check", "/import");
    assert_int_equal (
        s_eval_long (b, "+document.getElementById('n-good').textContent"), 2);
    assert_int_equal (
        s_eval_long (b, "+document.getElementById('n-bad').textContent"), 1);
    char *problem = jk_cdp_eval (
        b, "var r=document.querySelector('#import-problems tbody tr');"
           "r.dataset.line+'|'+r.cells[1].textContent+'|'+r.cells[2]"
           ".textContent");
    assert_non_null (problem);
    assert_string_equal (problem, "4|NIK|NIK tidak sah: angka ke-9 dan ke-10 "
                                  "(bulan lahir) harus 01-12. (E_NIK_MONTH)");
    free (problem);
    s_shots (b, dir, "import-preview");
    s_click_to (b, "confirm", "/import/confirm");
    assert_int_equal (
        s_eval_long (b, "+document.getElementById('n-queued').textContent"), 2);
    s_shots (b, dir, "import-done");

    /* Everything waits while the hub is down: 2 + 2 + 10 + 5 + 2 = 21. */
    url = s_url (env, "/outbox");
    assert_true (jk_cdp_navigate (b, url));
    free (url);
    assert_int_equal (
        s_eval_long (b, "document.querySelectorAll('tr[data-state=pending]')"
                        ".length"),
        21);
    s_shots (b, dir, "outbox-pending");

    /* The hub comes up: all stored, receipts on the page. */
    s_start_hub (env);
    assert_true (
        JK_WAIT_FOR (s_stored (env, "attendance.recorded") == 5, 90000));
    assert_true (
        jk_cdp_wait (b, "location.reload(), true", 5000)); /* reload once */
    assert_true (jk_cdp_wait (
        b,
        "document.readyState === 'complete' && document.querySelectorAll"
        "('tr[data-state=stored]').length === 21 || (location.reload(), "
        "false)",
        60000));
    assert_int_equal (s_stored (env, "cooperative.registered"), 1);
    assert_int_equal (s_stored (env, "person.registered"), 8);
    assert_int_equal (s_stored (env, "training.participant_enrolled"), 5);
    s_shots (b, dir, "outbox-stored");
    url = s_url (env, "/outbox/1");
    assert_true (jk_cdp_navigate (b, url));
    free (url);
    char *pos = jk_cdp_eval (b, "document.getElementById('pos').textContent");
    char *hash = jk_cdp_eval (b, "document.getElementById('hash').textContent");
    assert_non_null (pos);
    assert_non_null (hash);
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (env->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT pos, lower(hex(hash)) FROM "
                                          "log WHERE type = "
                                          "'cooperative.registered'",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (atoll (pos), sqlite3_column_int64 (st, 0));
    assert_string_equal (hash, (const char *)sqlite3_column_text (st, 1));
    sqlite3_finalize (st);
    sqlite3_close (db);
    free (pos);
    free (hash);
    s_shots (b, dir, "entry-stored");
    /* The English toggle. */
    free (jk_cdp_eval (b, "document.getElementById('lang').click(), 'ok'"));
    assert_true (jk_cdp_wait (b,
                              "document.documentElement.lang === 'en' && "
                              "document.getElementById('state').textContent "
                              "=== 'stored'",
                              30000));
    s_shots (b, dir, "entry-stored-en");
    jk_cdp_stop (&b);
    fprintf (stderr, "test_browser: screenshots in %s\n", dir);
    free (dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_command_line, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_refusals_make_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_security, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_forms_offline_then_online,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_import, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_import_escapes, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_receipt_proofs, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_pick_lists_from_hub, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_user_admin, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_start_threads_share_czmq, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_cli_and_office_share_the_outbox,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_outbox_lists, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_browser, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
