/*  test_web.c - the web board end to end: a real jejak-hub, jejak-status
    --http 127.0.0.1:0 reading it, events submitted through
    jejak-registration; HTTP checked with a plain socket client (codes,
    headers, /snapshot.json numbers, the /events stream), then the page in
    a real headless Chromium (numbers in the DOM before and after more
    submissions, and a screenshot kept as a test artifact; the board's
    note in Indonesian, and in English with the EN button); a board told
    --batch of a batch not recorded yet, which is then scheduled and
    closed (the page, the document and the terminal's text). */
#include "cdp.h"
#include "jk_status.h"
#include "testsupport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The deadline of a wait for what must happen (a start, an answer, a
   stop): it only matters when it fails, so it leaves room for a
   sanitizer build on a slow, loaded machine. */
#define S_WAIT_MS 60000

#define S_SOURCE "32.03.10/pacet-1"

typedef struct {
    char *dir, *db, *hub_log, *status_log, *outbox;
    char *ingest, *feed, *query;
    pid_t hub, status;
    pid_t term; /* a live terminal board a test started, or 0 */
    int port;   /* the web board's port */
} s_env_t;

/* ---- a plain HTTP/1.0 client ----------------------------------------- */

static int s_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t)port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

static void s_send_request (int fd, const char *method, const char *path)
{
    char request[512];
    int n = snprintf (request, sizeof request,
                      "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                      "Content-Length: 0\r\n\r\n",
                      method, path);
    assert_int_equal (write (fd, request, (size_t)n), n);
}

/* One look at fd for s_read_until: 1 when stop stands after offset from
   (with stop NULL: when the peer has closed), -1 when the peer closed
   before it, 0 to look again. */
static int s_look (int fd, char **buf, size_t *len, size_t from,
                   const char *stop)
{
    bool closed = jk_test_read_ready (fd, buf, len);
    if (stop && *buf && strstr (*buf + from, stop))
        return 1;
    if (closed)
        return stop ? -1 : 1;
    return 0;
}

/* Reads what arrives on fd into *buf (grown, NUL-terminated) until stop
   appears after offset from, the peer closes, or the deadline passes.
   Returns true when stop was seen (or, with stop NULL, on close). */
static bool s_read_until (int fd, char **buf, size_t *len, size_t from,
                          const char *stop, int timeout_ms)
{
    int seen = 0;
    JK_WAIT_FOR ((seen = s_look (fd, buf, len, from, stop)) != 0, timeout_ms);
    return seen == 1;
}

/* One request; returns the whole response (heap) and its status code. */
static char *s_http (s_env_t *env, const char *method, const char *path,
                     int *code)
{
    int fd = s_connect (env->port);
    s_send_request (fd, method, path);
    char *buf = NULL;
    size_t len = 0;
    assert_true (s_read_until (fd, &buf, &len, 0, NULL, S_WAIT_MS));
    close (fd);
    assert_non_null (buf);
    assert_int_equal (sscanf (buf, "HTTP/1.%*d %d", code), 1);
    return buf;
}

/* The body of a response (after the blank line). */
static const char *s_body (const char *response)
{
    const char *body = strstr (response, "\r\n\r\n");
    assert_non_null (body);
    return body + 4;
}

/* True when the response has the header line "name: value". */
static bool s_has_header (const char *response, const char *line)
{
    const char *end = strstr (response, "\r\n\r\n");
    const char *hit = strstr (response, line);
    return hit && end && hit < end;
}

/* A number under "key": after "section":{ in a JSON document; -1 when
   absent. */
static long long s_json_number (const char *json, const char *section,
                                const char *key)
{
    char pattern[96];
    snprintf (pattern, sizeof pattern, "\"%s\":{", section);
    const char *at = strstr (json, pattern);
    if (!at)
        return -1;
    snprintf (pattern, sizeof pattern, "\"%s\":", key);
    at = strstr (at, pattern);
    return at ? strtoll (at + strlen (pattern), NULL, 10) : -1;
}

static long long s_total (s_env_t *env, const char *key)
{
    int code = 0;
    char *response = s_http (env, "GET", "/snapshot.json", &code);
    long long value =
        code == 200 ? s_json_number (s_body (response), "totals", key) : -1;
    free (response);
    return value;
}

/* Whether /snapshot.json says the board is live (caught up and on the
   feed), rather than starting or catching up. */
static bool s_live (s_env_t *env)
{
    int code = 0;
    char *response = s_http (env, "GET", "/snapshot.json", &code);
    bool live =
        code == 200 && strstr (s_body (response), "\"state\":\"live\"") != NULL;
    free (response);
    return live;
}

/* Whether the board is live with totals' key at n. The numbers can reach
   the board before it says live: a board that loads the store's state
   after the events were stored (at start, or when the store answered
   late and it asked again) shows them as "starting 3/3" until the
   store's END of the catch-up from there, and a board that takes them
   from the feed waits for the feed's $head. A check of the page's state
   waits for both. */
static bool s_live_total (s_env_t *env, const char *key, long long n)
{
    return s_total (env, key) == n && s_live (env);
}

/* No run of exactly 16 digits (an unmasked NIK) outside longer hex runs
   such as the chain hash. */
static void s_assert_no_nik (const char *text)
{
    const char *p = text;
    while (*p) {
        if (!isxdigit ((unsigned char)*p)) {
            p++;
            continue;
        }
        const char *start = p;
        bool digits = true;
        while (isxdigit ((unsigned char)*p)) {
            digits &= isdigit ((unsigned char)*p) != 0;
            p++;
        }
        if (p - start == 16 && digits)
            fail_msg ("an unmasked 16-digit number: %.16s", start);
    }
}

/* ---- the programs ---------------------------------------------------- */

/* Runs an agent program (jejak-registration, jejak-attendance) with the
   office's flags plus args; exit code. */
static int s_agent (s_env_t *env, const char *program, ...)
{
    char *argv[40];
    int n = 0;
    argv[n++] = (char *)program;
    argv[n++] = "--source";
    argv[n++] = S_SOURCE;
    argv[n++] = "--outbox";
    argv[n++] = env->outbox;
    argv[n++] = "--broker";
    argv[n++] = env->ingest;
    argv[n++] = "--wait";
    argv[n++] = "20";
    va_list ap;
    va_start (ap, program);
    char *a;
    while ((a = va_arg (ap, char *)) != NULL && n < 39)
        argv[n++] = a;
    va_end (ap);
    argv[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 60000);
    if (rc != 0)
        fprintf (stderr, "%s exit %d: %s%s\n", program, rc, out ? out : "",
                 err ? err : "");
    free (out);
    free (err);
    return rc;
}

static void s_cooperative (s_env_t *env, int i, const char *desa)
{
    char number[64], name[64];
    snprintf (number, sizeof number, "AHU-%07d.AH.01.26.TAHUN 2019", 1000 + i);
    snprintf (name, sizeof name, "Koperasi Sejahtera %d", i);
    assert_int_equal (
        s_agent (env, "jejak-registration", "cooperative", "--legal-number",
                 number, "--legal-date", "2019-03-01", "--name", name, "--form",
                 "PRIMER", "--kind", "SIMPAN_PINJAM", "--pattern",
                 "KONVENSIONAL", "--desa-code", desa, "--members-male", "10",
                 "--members-female", "12", NULL),
        0);
}

static void s_nik (int i, char nik[17])
{
    snprintf (nik, 17, "320310010180%04d", i);
}

static void s_person (s_env_t *env, int i)
{
    char nik[17], name[32];
    s_nik (i, nik);
    snprintf (name, sizeof name, "Warga Pacet %d", i);
    assert_int_equal (s_agent (env, "jejak-registration", "person", "--nik",
                               nik, "--name", name, "--sex", "L",
                               "--birth-date", "01/01/1980", "--desa-code",
                               "32.03.10.2012", NULL),
                      0);
}

/* The port from "jejak-status http=http://127.0.0.1:PORT/" in the log. */
static int s_read_port (s_env_t *env)
{
    char *text = jk_test_slurp (env->status_log, NULL);
    const char *at = text ? strstr (text, "http=http://127.0.0.1:") : NULL;
    int port = at ? atoi (at + strlen ("http=http://127.0.0.1:")) : 0;
    free (text);
    return port;
}

/* A hub and jejak-status --http reading it, with up to two more flags
   and their values (those set). */
static int s_setup_with (void **state, const char *flag, const char *value,
                         const char *flag2, const char *value2)
{
    s_env_t *env = jk_calloc (1, sizeof *env);
    env->dir = jk_test_tmpdir ("web-it");
    env->db = jk_sprintf ("%s/events.db", env->dir);
    env->hub_log = jk_sprintf ("%s/hub.log", env->dir);
    env->status_log = jk_sprintf ("%s/status.log", env->dir);
    env->outbox = jk_sprintf ("%s/outbox.db", env->dir);
    env->ingest = jk_test_endpoint (env->dir, "ingest");
    env->feed = jk_test_endpoint (env->dir, "feed");
    env->query = jk_test_endpoint (env->dir, "query");
    env->hub = jk_test_hub_spawn (env->db, env->ingest, env->feed, env->query,
                                  NULL, env->hub_log);
    /* The board starts once the hub answers: a store that does not
       answer for 3 s would be a recovery note (store_back), which stands
       in front of the settings notice test_note_language looks for. */
    assert_true (JK_WAIT_FOR (
        jk_test_file_has (env->hub_log, "jejak-hub ingest="), S_WAIT_MS));
    char *status[] = {"jejak-status",
                      "--feed",
                      env->feed,
                      "--query",
                      env->query,
                      "--http",
                      "127.0.0.1:0",
                      "--http-only",
                      (char *)flag,
                      (char *)value,
                      (char *)flag2,
                      (char *)value2,
                      NULL};
    env->status = jk_test_spawn (status, env->status_log);
    assert_true (env->status > 0);
    assert_true (JK_WAIT_FOR ((env->port = s_read_port (env)) > 0, S_WAIT_MS));
    *state = env;
    return 0;
}

static int s_setup (void **state)
{
    return s_setup_with (state, NULL, NULL, NULL, NULL);
}

/* The board told another RAT deadline than the hub's (6 months). */
static int s_setup_months (void **state)
{
    return s_setup_with (state, "--rat-deadline-months", "9", NULL, NULL);
}

/* The board told to show one batch, which the log does not hold yet, as
   of a day of its dates. */
#define S_BATCH "PK2UMK-2022-07"
#define S_DAY   "2022-10-04"
static int s_setup_batch (void **state)
{
    return s_setup_with (state, "--batch", S_BATCH, "--as-of", S_DAY);
}

static int s_teardown (void **state)
{
    s_env_t *env = (s_env_t *)*state;
    if (env->status > 0)
        assert_int_equal (jk_test_stop (env->status, SIGTERM, S_WAIT_MS), 0);
    if (env->term > 0)
        assert_int_equal (jk_test_stop (env->term, SIGTERM, S_WAIT_MS), 0);
    if (env->hub > 0)
        jk_test_stop (env->hub, SIGTERM, S_WAIT_MS);
    free (env->db);
    free (env->hub_log);
    free (env->status_log);
    free (env->outbox);
    free (env->ingest);
    free (env->feed);
    free (env->query);
    jk_test_rmdir (&env->dir);
    free (env);
    return 0;
}

/* ---- tests ----------------------------------------------------------- */

/* --http's value, and the addresses the program refuses. */
static void test_listen_flag (void **state)
{
    (void)state;
    char address[64], err[256];
    uint16_t port = 1;
    assert_int_equal (jk_web_parse_listen ("8080", address, sizeof address,
                                           &port, err, sizeof err),
                      0);
    assert_string_equal (address, "127.0.0.1");
    assert_int_equal (port, 8080);
    assert_int_equal (jk_web_parse_listen ("localhost:0", address,
                                           sizeof address, &port, err,
                                           sizeof err),
                      0);
    assert_string_equal (address, "127.0.0.1");
    assert_int_equal (port, 0);
    assert_int_equal (jk_web_parse_listen ("0.0.0.0:80", address,
                                           sizeof address, &port, err,
                                           sizeof err),
                      0);
    assert_false (jk_web_address_is_loopback (address));
    assert_true (jk_web_address_is_loopback ("127.0.0.2"));
    assert_int_equal (jk_web_parse_listen ("127.0.0.1:65536", address,
                                           sizeof address, &port, err,
                                           sizeof err),
                      -1);
    assert_non_null (strstr (err, "port must be a number 0..65535"));
    assert_int_equal (jk_web_parse_listen ("example.org:80", address,
                                           sizeof address, &port, err,
                                           sizeof err),
                      -1);
    assert_non_null (strstr (err, "not an IPv4 address"));
    assert_int_equal (jk_web_parse_listen (":80", address, sizeof address,
                                           &port, err, sizeof err),
                      -1);
    /* The port is digits only: a space or a sign before it is refused
       as the rule says, not skipped. */
    const char *signed_or_spaced[] = {"127.0.0.1: 80", " 80", "+80",
                                      "127.0.0.1:\t80", "-0"};
    for (size_t i = 0; i < 5; i++) {
        err[0] = 0;
        assert_int_equal (jk_web_parse_listen (signed_or_spaced[i], address,
                                               sizeof address, &port, err,
                                               sizeof err),
                          -1);
        assert_non_null (strstr (err, "the port must be a number 0..65535"));
    }
    struct sockaddr_in sa;
    assert_int_equal (jk_web_sockaddr ("127.0.0.1", 8080, &sa, err, sizeof err),
                      JK_OK);
    assert_int_equal (sa.sin_family, AF_INET);
    assert_int_equal (ntohs (sa.sin_port), 8080);
    assert_int_equal (ntohl (sa.sin_addr.s_addr), 0x7F000001);
    assert_int_equal (jk_web_sockaddr ("localhost", 80, &sa, err, sizeof err),
                      JK_INVALID);
    assert_string_equal (err, "'localhost' is not an IPv4 address");

    char *out = NULL, *msg = NULL;
    char *open[] = {"jejak-status", "--http", "0.0.0.0:0", NULL};
    assert_int_equal (jk_test_run (open, &out, &msg, S_WAIT_MS), 2);
    assert_non_null (strstr (msg, "not a loopback address"));
    assert_non_null (strstr (msg, "--http-public"));
    free (out);
    free (msg);
    char *bad[] = {"jejak-status", "--http", "127.0.0.1:http", NULL};
    assert_int_equal (jk_test_run (bad, &out, &msg, S_WAIT_MS), 2);
    assert_non_null (strstr (msg, "port must be a number"));
    free (out);
    free (msg);
    char *once[] = {"jejak-status", "--http", "0", "--once", NULL};
    assert_int_equal (jk_test_run (once, &out, &msg, S_WAIT_MS), 2);
    assert_non_null (strstr (msg, "--once"));
    free (out);
    free (msg);
}

/* Status codes, headers, read-only, and /snapshot.json's numbers. */
static void test_http (void **state)
{
    s_env_t *env = *state;
    int code = 0;
    char *r = s_http (env, "GET", "/", &code);
    assert_int_equal (code, 200);
    assert_true (s_has_header (r, "Content-Type: text/html; charset=utf-8"));
    assert_true (
        s_has_header (r, "Content-Security-Policy: default-src 'self'"));
    assert_true (s_has_header (r, "X-Content-Type-Options: nosniff"));
    assert_true (s_has_header (r, "Referrer-Policy: no-referrer"));
    assert_non_null (strstr (s_body (r), "data-total=\"cooperatives\""));
    assert_non_null (strstr (s_body (r), "<script src=\"/app.js\""));
    free (r);
    r = s_http (env, "GET", "/app.js", &code);
    assert_int_equal (code, 200);
    assert_true (s_has_header (r, "Content-Type: text/javascript"));
    assert_non_null (strstr (s_body (r), "new EventSource('/events')"));
    free (r);
    r = s_http (env, "GET", "/style.css", &code);
    assert_int_equal (code, 200);
    assert_true (s_has_header (r, "Content-Type: text/css"));
    free (r);
    r = s_http (env, "POST", "/", &code);
    assert_int_equal (code, 405);
    assert_true (s_has_header (r, "Allow: GET, HEAD"));
    assert_non_null (strstr (s_body (r), "read-only"));
    free (r);
    /* Paths are compared decoded: one that decodes to a page is it, one
       that decodes to no page is 404, and a malformed percent-encoding
       or an encoded NUL (which ends the decoded text: "/%00" is not
       "/") is 400; the method is looked at first. */
    const char *not_found = "404 not found: the board serves /, /app.js, "
                            "/style.css, /snapshot.json and /events\n";
    const char *malformed = "400 bad request: the path has a malformed "
                            "percent-encoding or an encoded NUL (%00)\n";
    const struct {
        const char *method, *path;
        int code;
        const char *body; /* the whole body, or NULL */
    } cases[] = {
        {"DELETE", "/snapshot.json", 405, NULL},
        {"PUT", "/events", 405, NULL},
        {"POST", "/%00", 405, NULL},
        {"GET", "/nope", 404, not_found},
        {"GET", "/../etc/passwd", 404, not_found},
        {"GET", "/%2e%2e/etc/passwd", 404, not_found},
        {"GET", "/%61pp.js", 200, NULL},
        {"GET", "/%00", 400, malformed},
        {"GET", "/%00x", 400, malformed},
        {"GET", "/app.js%00", 400, malformed},
        {"GET", "/events%00", 400, malformed},
        {"GET", "/snapshot.json%00?as_of=2022-10-14", 400, malformed},
        {"GET", "/%zz", 400, malformed},
        {"GET", "/%2", 400, malformed},
        {"GET", "/%", 400, malformed},
        {"HEAD", "/%00", 400, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        r = s_http (env, cases[i].method, cases[i].path, &code);
        if (code != cases[i].code)
            fail_msg ("%s %s: %d, not %d", cases[i].method, cases[i].path, code,
                      cases[i].code);
        if (cases[i].body)
            assert_string_equal (s_body (r), cases[i].body);
        assert_true (s_has_header (r, "X-Content-Type-Options: nosniff"));
        free (r);
    }

    /* The board goes live on the empty log. */
    assert_true (JK_WAIT_FOR (s_total (env, "cooperatives") == 0, S_WAIT_MS));
    r = s_http (env, "HEAD", "/snapshot.json", &code);
    assert_int_equal (code, 200);
    assert_true (s_has_header (r, "Cache-Control: no-store"));
    assert_true (s_has_header (r, "Content-Type: application/json"));
    assert_string_equal (s_body (r), "");
    free (r);

    s_cooperative (env, 1, "32.03.10.2012");
    s_cooperative (env, 2, "32.03.01.1006");
    s_person (env, 1);
    s_person (env, 2);
    s_person (env, 3);
    assert_true (JK_WAIT_FOR (s_live_total (env, "people", 3), S_WAIT_MS));
    r = s_http (env, "GET", "/snapshot.json", &code);
    assert_int_equal (code, 200);
    const char *json = s_body (r);
    assert_int_equal (s_json_number (json, "totals", "cooperatives"), 2);
    assert_int_equal (s_json_number (json, "totals", "people"), 3);
    assert_int_equal (s_json_number (json, "totals", "rejections"), 0);
    assert_non_null (strstr (json, "\"state\":\"live\""));
    assert_non_null (strstr (json, "\"pos\":5,"));
    /* Pacet (32.03.10) has one cooperative and the three people. */
    const char *pacet = strstr (json, "{\"code\":\"32.03.10\"");
    assert_non_null (pacet);
    assert_int_equal (
        strtoll (strstr (pacet, "\"cooperatives\":") + 15, NULL, 10), 1);
    assert_int_equal (strtoll (strstr (pacet, "\"people\":") + 9, NULL, 10), 3);
    for (int i = 1; i <= 3; i++) {
        char nik[17];
        s_nik (i, nik);
        assert_null (strstr (r, nik));
    }
    s_assert_no_nik (json);
    free (r);
    /* The page carries the same document, NIKs masked too. */
    r = s_http (env, "GET", "/", &code);
    assert_non_null (strstr (r, "id=\"board-data\">{\"state\":\"live\""));
    s_assert_no_nik (s_body (r));
    free (r);
}

/* The position in the last "id: N" of an SSE text after from; 0 if none. */
static uint64_t s_last_id (const char *text, size_t from)
{
    uint64_t id = 0;
    for (const char *p = strstr (text + from, "\nid: "); p;
         p = strstr (p + 1, "\nid: "))
        id = strtoull (p + 5, NULL, 10);
    return id;
}

/* Reads what the stream has; true once the last event after from has
   come whole (its data ended by a blank line) and stands at id or
   later. */
static bool s_event_came (int fd, char **buf, size_t *len, size_t from,
                          uint64_t id)
{
    jk_test_read_ready (fd, buf, len);
    if (s_last_id (*buf, from) < id)
        return false;
    const char *last = *buf + from;
    for (const char *p; (p = strstr (last + 1, "\nid: "));)
        last = p;
    return strstr (last, "}\n\n") != NULL;
}

/* /events: the current document on connect, a new event per change. */
static void test_events (void **state)
{
    s_env_t *env = *state;
    s_cooperative (env, 1, "32.03.10.2012");
    assert_true (JK_WAIT_FOR (s_total (env, "cooperatives") == 1, S_WAIT_MS));
    /* A board that loaded the store's state at position 1 still catches up
       from there before it says live: wait for that, so the stream's first
       document is the live one. */
    assert_true (JK_WAIT_FOR (s_live (env), S_WAIT_MS));
    int fd = s_connect (env->port);
    s_send_request (fd, "GET", "/events");
    char *buf = NULL;
    size_t len = 0;
    /* Headers, then the first event, which stands at position 1. */
    assert_true (s_read_until (fd, &buf, &len, 0, "}\n\n", S_WAIT_MS));
    int code = 0;
    assert_int_equal (sscanf (buf, "HTTP/1.%*d %d", &code), 1);
    assert_int_equal (code, 200);
    assert_true (s_has_header (buf, "Content-Type: text/event-stream"));
    assert_true (s_has_header (buf, "Cache-Control: no-store"));
    assert_non_null (strstr (buf, "retry: 2000\n\n"));
    assert_non_null (strstr (buf, "\nid: 1\ndata: {\"state\":\"live\""));
    assert_int_equal (s_last_id (buf, 0), 1);
    const char *data = strstr (buf, "data: ");
    assert_int_equal (s_json_number (data, "totals", "cooperatives"), 1);
    /* A submission: the stream brings an event at position 2. */
    size_t mark = len;
    s_person (env, 7);
    assert_true (
        JK_WAIT_FOR (s_event_came (fd, &buf, &len, mark, 2), S_WAIT_MS));
    assert_int_equal (s_last_id (buf, mark), 2);
    const char *last = buf + mark;
    for (const char *p; (p = strstr (last + 1, "\nid: "));)
        last = p;
    assert_int_equal (s_json_number (last, "totals", "people"), 1);
    assert_int_equal (s_json_number (last, "totals", "cooperatives"), 1);
    char nik[17];
    s_nik (7, nik);
    assert_null (strstr (buf, nik));
    s_assert_no_nik (buf);
    free (buf);
    close (fd);
}

/* The directory for artifacts: <build dir>/test-artifacts. */
static char *s_artifacts (void)
{
    char exe[4096];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    assert_true (n > 0);
    exe[n] = 0;
    char *bin = dirname (exe);   /* <build>/bin */
    char *build = dirname (bin); /* <build> */
    char *dir = jk_sprintf ("%s/test-artifacts", build);
    mkdir (dir, 0755);
    return dir;
}

/* Runs headless Chromium on the board with extra (one flag) under a hard
   timeout (`timeout` kills its whole process group); returns stdout. */
static char *s_chromium (s_env_t *env, const char *extra, const char *extra2)
{
    char url[64], profile[512];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/", env->port);
    static int runs;
    snprintf (profile, sizeof profile, "--user-data-dir=%s/chromium-%d",
              env->dir, ++runs);
    char *argv[] = {"/usr/bin/timeout",
                    "-k",
                    "5",
                    "60",
                    JK_CDP_CHROMIUM,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    profile,
                    (char *)extra,
                    (char *)extra2,
                    url,
                    NULL};
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 90000);
    if (rc != 0)
        fprintf (stderr, "chromium exit %d: %s\n", rc, err ? err : "");
    assert_int_equal (rc, 0);
    free (err);
    return out;
}

/* The number shown in the element with data-total="key" of a dumped DOM. */
static long long s_dom_total (const char *dom, const char *key)
{
    char pattern[64];
    snprintf (pattern, sizeof pattern, "data-total=\"%s\"", key);
    const char *at = strstr (dom, pattern);
    if (!at || !(at = strchr (at, '>')))
        return -1;
    return strtoll (at + 1, NULL, 10);
}

/* A browser (1366 x 768) on the board's page. */
static jk_cdp_t *s_page (s_env_t *env)
{
    jk_cdp_t *b = jk_cdp_start (env->dir, 1366, 768);
    assert_non_null (b);
    char *url = jk_sprintf ("http://127.0.0.1:%d/", env->port);
    assert_true (jk_cdp_navigate (b, url));
    free (url);
    return b;
}

/* The batch table's heading has the tooltip text. */
static bool s_page_batches_title (jk_cdp_t *b, const char *text)
{
    char *js = jk_sprintf (
        "document.getElementById('batches-title').title === '%s'", text);
    bool seen = jk_cdp_wait (b, js, S_WAIT_MS);
    if (!seen) {
        char *shown =
            jk_cdp_eval (b, "document.getElementById('batches-title').title");
        fprintf (stderr, "the batch table's tooltip: %s\n", shown);
        free (shown);
    }
    free (js);
    return seen;
}

/* The page in a real browser shows the right numbers, then new ones. */
static void test_browser (void **state)
{
    s_env_t *env = *state;
    if (!jk_test_browser ("test_browser"))
        skip ();
    char *dir = s_artifacts ();
    s_cooperative (env, 1, "32.03.10.2012");
    s_cooperative (env, 2, "32.03.10.2012");
    s_person (env, 1);
    /* The page must say live, so wait for that too, not only the number. */
    assert_true (JK_WAIT_FOR (s_live_total (env, "people", 1), S_WAIT_MS));
    char *dom = s_chromium (env, "--dump-dom", "--window-size=1366,900");
    assert_non_null (dom);
    assert_int_equal (s_dom_total (dom, "cooperatives"), 2);
    assert_int_equal (s_dom_total (dom, "people"), 1);
    assert_int_equal (s_dom_total (dom, "rejections"), 0);
    assert_non_null (strstr (dom, "data-state=\"live\""));
    assert_non_null (strstr (dom, "id=\"log-pos\" data-log=\"pos\">3<"));
    assert_non_null (strstr (dom, "<tr data-kecamatan=\"32.03.10\">"));
    assert_non_null (strstr (dom, "<tr data-source=\"32.03.10/pacet-1\">"));
    s_assert_no_nik (dom);
    /* The as-of day in the Indonesian form, DD/MM/YYYY. */
    const char *day = strstr (dom, "id=\"as-of\">");
    assert_non_null (day);
    day += strlen ("id=\"as-of\">");
    int dd = 0, mm = 0, yyyy = 0, used = 0;
    assert_int_equal (sscanf (day, "%2d/%2d/%4d<%n", &dd, &mm, &yyyy, &used),
                      3);
    assert_int_equal (used, 11);
    assert_true (dd >= 1 && dd <= 31 && mm >= 1 && mm <= 12 && yyyy >= 2022);
    /* The active rule is printed beside the table of active figures. */
    assert_non_null (strstr (dom, "Aturan aktif: aktif = RAT tahun buku"));
    free (dom);
    /* The batch table's tooltip: what it holds, Indonesian, then after
       EN in English. */
    jk_cdp_t *b = s_page (env);
    assert_true (s_page_batches_title (
        b, "Angkatan pelatihan terbuka, dan yang ditutup dalam 90 hari "
           "terakhir"));
    free (jk_cdp_eval (b, "document.getElementById('lang').click (); 1"));
    assert_true (s_page_batches_title (
        b, "Open training batches, and those closed in the last 90 days"));
    jk_cdp_stop (&b);

    /* At 1366 x 768 the number tiles have room for a five-digit figure
       ("88.888") and do not overlap: the page measures its own layout. */
    dom = s_chromium (env, "--dump-dom", "--window-size=1366,768");
    if (!strstr (dom, "data-tiles=\"fit\""))
        fail_msg ("tiles: %.600s",
                  strstr (dom, "<section class=\"totals\"")
                      ? strstr (dom, "<section class=\"totals\"")
                      : dom);
    free (dom);

    /* More events (one a duplicate person the store rejects). */
    s_cooperative (env, 3, "32.03.01.1006");
    s_person (env, 2);
    s_person (env, 3);
    char nik[17];
    s_nik (3, nik);
    assert_int_equal (s_agent (env, "jejak-registration", "person", "--nik",
                               nik, "--name", "Warga Pacet 3", "--sex", "L",
                               "--birth-date", "01/01/1980", "--desa-code",
                               "32.03.10.2012", NULL),
                      4);
    assert_true (JK_WAIT_FOR (s_total (env, "rejections") == 1, S_WAIT_MS));
    dom = s_chromium (env, "--dump-dom", "--window-size=1366,900");
    assert_int_equal (s_dom_total (dom, "cooperatives"), 3);
    assert_int_equal (s_dom_total (dom, "people"), 3);
    assert_int_equal (s_dom_total (dom, "rejections"), 1);
    assert_non_null (strstr (dom, "id=\"log-pos\" data-log=\"pos\">7<"));
    assert_null (strstr (dom, nik));
    char *path = jk_sprintf ("%s/web-board.html", dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (dom, f);
    fclose (f);
    free (path);
    free (dom);

    path = jk_sprintf ("%s/web-board.png", dir);
    unlink (path);
    char *shot = jk_sprintf ("--screenshot=%s", path);
    free (s_chromium (env, shot, "--window-size=1366,900"));
    size_t size = 0;
    char *png = jk_test_slurp (path, &size);
    assert_non_null (png);
    assert_true (size > 20000);
    assert_memory_equal (png, "\x89PNG\r\n\x1a\n", 8);
    fprintf (stderr, "test_browser: screenshot %s (%zu bytes)\n", path, size);
    free (png);
    free (shot);
    free (path);
    free (dir);
}

/* The date picker: the board as of a chosen day, which the server asks
   of the store (/snapshot.json?as_of=), then back to today, live. */
static void test_date_picker (void **state)
{
    s_env_t *env = *state;
    /* A cooperative whose RAT for book year 2022 was held 10/03/2023:
       active as of 30/06/2023, not today (the rule counts 2025). */
    s_cooperative (env, 7, "32.03.10.2012");
    assert_int_equal (
        s_agent (env, "jejak-registration", "rat", "--legal-number",
                 "AHU-0001007.AH.01.26.TAHUN 2019", "--book-year", "2022",
                 "--held-on", "10/03/2023", "--members-present", "15",
                 "--quorum-met", "ya", NULL),
        0);
    assert_true (JK_WAIT_FOR (s_total (env, "cooperatives") == 1, S_WAIT_MS));
    /* A man's NIK registered as P: one open data-quality warning. */
    char nik[17];
    s_nik (9, nik);
    assert_int_equal (s_agent (env, "jejak-registration", "person", "--nik",
                               nik, "--name", "Warga Pacet 9", "--sex", "P",
                               "--birth-date", "01/01/1980", "--desa-code",
                               "32.03.10.2012", NULL),
                      0);
    assert_true (JK_WAIT_FOR (s_total (env, "quality_open") == 1, S_WAIT_MS));
    assert_int_equal (s_total (env, "quality_resolved"), 0);
    int code = 0;
    char *text = s_http (env, "GET", "/snapshot.json?as_of=31-31-2022", &code);
    assert_int_equal (code, 400);
    assert_string_equal (s_body (text),
                         "400 as_of must be a date dd/mm/yyyy, "
                         "dd-mm-yyyy or dd.mm.yyyy (day and month of 1 "
                         "or 2 digits, a 4-digit year) or yyyy-mm-dd\n");
    free (text);
    /* The forms --as-of and the agents take: "-" for "/" too. */
    text = s_http (env, "GET", "/snapshot.json?as_of=31-12-2022", &code);
    assert_int_equal (code, 200);
    assert_non_null (strstr (s_body (text), "\"as_of\":\"2022-12-31\""));
    free (text);
    text = s_http (env, "GET", "/snapshot.json?as_of=30/06/2023", &code);
    assert_int_equal (code, 200);
    assert_non_null (strstr (s_body (text), "{\"state\":\"as-of\""));
    assert_non_null (strstr (s_body (text), "\"as_of\":\"2023-06-30\""));
    assert_int_equal (s_json_number (s_body (text), "totals", "active"), 1);
    free (text);
    /* A day before 1970 is asked as that day, not as today. */
    text = s_http (env, "GET", "/snapshot.json?as_of=01/01/1960", &code);
    assert_int_equal (code, 200);
    assert_non_null (strstr (s_body (text), "\"as_of\":\"1960-01-01\""));
    assert_int_equal (s_json_number (s_body (text), "totals", "active"), 0);
    free (text);
    assert_int_equal (s_total (env, "active"), 0);

    if (!jk_test_browser ("test_date_picker"))
        skip ();
    jk_cdp_t *b = s_page (env);
    assert_true (jk_cdp_wait (
        b, "document.getElementById('state').dataset.state === 'live'",
        S_WAIT_MS));
    assert_true (jk_cdp_wait (
        b, "document.getElementById('total-active').textContent === '0'",
        S_WAIT_MS));
    /* The page shows it open; the sex corrected, resolved. */
    assert_true (jk_cdp_wait (
        b, "document.getElementById('quality').dataset.open === '1'",
        S_WAIT_MS));
    assert_int_equal (s_agent (env, "jejak-registration", "person-correct",
                               "--nik", nik, "--sex", "L", "--reason",
                               "sesuai KTP", NULL),
                      0);
    if (!jk_cdp_wait (b,
                      "document.getElementById('quality').dataset.open === "
                      "'0' && document.getElementById('quality').dataset."
                      "resolved === '1'",
                      S_WAIT_MS)) {
        char *shown =
            jk_cdp_eval (b, "document.getElementById('quality').textContent");
        fail_msg ("after the correction the page shows: %s", shown);
    }
    char *quality =
        jk_cdp_eval (b, "document.getElementById('quality').textContent");
    assert_string_equal (quality,
                         "Kualitas data: 0 terbuka, 1 selesai dikoreksi");
    free (quality);
    free (jk_cdp_eval (b, "(function () {"
                          " const e = document.getElementById('as-of-pick');"
                          " e.value = '2023-06-30';"
                          " e.dispatchEvent (new Event ('change'));"
                          " return 1; }) ()"));
    if (!jk_cdp_wait (b,
                      "document.getElementById('as-of').textContent === "
                      "'30/06/2023' && document.getElementById("
                      "'total-active').textContent === '1'",
                      S_WAIT_MS)) {
        char *shown = jk_cdp_eval (
            b, "document.getElementById('as-of').textContent + ' ' +"
               " document.getElementById('total-active').textContent + ' ' +"
               " document.getElementById('note').textContent");
        fail_msg ("picked 30/06/2023, the page shows: %s", shown);
    }
    char *badge = jk_cdp_eval (b, "document.getElementById('state').dataset"
                                  ".state + '|' + document.getElementById("
                                  "'state').textContent");
    assert_string_equal (badge, "as-of|per tanggal 30/06/2023");
    free (badge);
    /* Back to today: live again, with today's figure. */
    free (
        jk_cdp_eval (b, "document.getElementById('as-of-today').click (); 1"));
    assert_true (jk_cdp_wait (
        b,
        "document.getElementById('state').dataset.state === 'live' &&"
        " document.getElementById('total-active').textContent === '0'",
        S_WAIT_MS));
    jk_cdp_stop (&b);
}

/* Whether /snapshot.json carries text. */
static bool s_document_has (s_env_t *env, const char *text)
{
    int code = 0;
    char *response = s_http (env, "GET", "/snapshot.json", &code);
    bool has = code == 200 && strstr (s_body (response), text) != NULL;
    free (response);
    return has;
}

/* The board's note: the document carries it in Indonesian with its code
   and arguments; the page shows it in Indonesian, and in English once
   the EN button is pressed, and back. */
static void test_note_language (void **state)
{
    s_env_t *env = *state;
    if (!JK_WAIT_FOR (
            s_document_has (
                env,
                "\"note\":\"--rat-deadline-months 9 berbeda dengan batas "
                "RAT store 6 bulan\",\"note_code\":\"months_differs\","
                "\"note_args\":{\"months\":\"9\",\"store_months\":\"6\"},"),
            S_WAIT_MS)) {
        int code = 0;
        char *response = s_http (env, "GET", "/snapshot.json", &code);
        fail_msg ("the document (%d): %.300s", code, s_body (response));
    }
    if (!jk_test_browser ("test_note_language"))
        skip ();
    jk_cdp_t *b = s_page (env);
    const char *id = "document.getElementById('note').textContent === "
                     "'--rat-deadline-months 9 berbeda dengan batas RAT "
                     "store 6 bulan' && !document.getElementById('note')"
                     ".hidden && document.getElementById('note').dataset"
                     ".code === 'months_differs'";
    const char *en = "document.getElementById('note').textContent === "
                     "\"--rat-deadline-months 9 is not the store's 6\" && "
                     "document.getElementById('lang').textContent === 'ID'";
    if (!jk_cdp_wait (b, id, S_WAIT_MS)) {
        char *shown =
            jk_cdp_eval (b, "document.getElementById('note').textContent");
        fail_msg ("the note in Indonesian: the page shows %s", shown);
    }
    free (jk_cdp_eval (b, "document.getElementById('lang').click (); 1"));
    if (!jk_cdp_wait (b, en, S_WAIT_MS)) {
        char *shown =
            jk_cdp_eval (b, "document.getElementById('note').textContent");
        fail_msg ("the note in English: the page shows %s", shown);
    }
    free (jk_cdp_eval (b, "document.getElementById('lang').click (); 1"));
    assert_true (jk_cdp_wait (b, id, S_WAIT_MS));
    jk_cdp_stop (&b);
}

/* What jejak-status --once prints for the batches as of S_DAY, with one
   more flag and its value: the batch section only, from its title to the
   offices' title (heap). */
static char *s_once_batches (s_env_t *env, const char *flag, const char *value)
{
    char *argv[] = {"jejak-status", "--once",      "--query",     env->query,
                    "--as-of",      S_DAY,         "--kecamatan", "32.03.10",
                    (char *)flag,   (char *)value, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_WAIT_MS), 0);
    const char *from = strstr (out, "PELATIHAN ");
    const char *to = from ? strstr (from, "KANTOR / offices") : NULL;
    if (!to)
        fail_msg ("no batch section in: %s", out);
    char *section = jk_sprintf ("%.*s", (int)(to - from), from);
    free (out);
    free (err);
    return section;
}

/* The web page's text for the batches when there are none, or "". */
static bool s_page_empty_batches (jk_cdp_t *b, const char *text)
{
    char *js = jk_sprintf ("(document.getElementById('batches-empty') || "
                           "{textContent: ''}).textContent === '%s'",
                           text);
    bool seen = jk_cdp_wait (b, js, S_WAIT_MS);
    free (js);
    return seen;
}

/* An office's "last seen" on the page follows the terminal board's rule
   (STATUS.md): whole units rounded down, seconds under 2 minutes,
   minutes under 2 hours, hours under 2 days, then days; in the page's
   language. */
static void test_last_seen (void **state)
{
    s_env_t *env = *state;
    if (!jk_test_browser ("test_last_seen"))
        skip ();
    jk_cdp_t *b = s_page (env);
    assert_true (jk_cdp_wait (
        b, "document.getElementById('state').dataset.state === 'live'",
        S_WAIT_MS));
    static const struct {
        const char *ms_ago, *id, *en;
    } ages[] = {{"0", "0 dtk lalu", "0 s ago"},
                {"59900", "59 dtk lalu", "59 s ago"},
                {"90500", "90 dtk lalu", "90 s ago"},
                {"120000", "2 mnt lalu", "2 min ago"},
                {"5400000", "90 mnt lalu", "90 min ago"},
                {"7200000", "2 jam lalu", "2 h ago"},
                {"172799000", "47 jam lalu", "47 h ago"},
                {"172800000", "2 hari lalu", "2 d ago"},
                {"8553600000", "99 hari lalu", "99 d ago"}};
    for (int lang = 0; lang < 2; lang++) {
        for (size_t i = 0; i < sizeof ages / sizeof ages[0]; i++) {
            /* The page's clock is read once, so the age is exact. */
            char *js = jk_sprintf ("ago (Date.now () - %s)", ages[i].ms_ago);
            char *shown = jk_cdp_eval (b, js);
            const char *want = lang ? ages[i].en : ages[i].id;
            if (!shown || strcmp (shown, want) != 0)
                fail_msg ("%s: '%s', not '%s'", js, shown ? shown : "(threw)",
                          want);
            free (shown);
            free (js);
        }
        free (jk_cdp_eval (b, "document.getElementById('lang').click (); 1"));
    }
    jk_cdp_stop (&b);
}

/* --batch naming a batch the log does not hold: the board says so (the
   terminal in both languages, the document with "recorded":false, the
   page in Indonesian and, after EN, in English) and keeps waiting: once
   the batch is scheduled it is shown as usual, and once closed it is
   shown as a closed batch, exactly as --all-batches shows it. */
static void test_batch (void **state)
{
    s_env_t *env = *state;
    const char *unknown = "  Angkatan " S_BATCH " belum tercatat\n"
                          "  / Batch " S_BATCH " is not recorded (yet)\n";
    if (!JK_WAIT_FOR (s_document_has (env,
                                      "\"batch\":{\"code\":\"" S_BATCH
                                      "\",\"recorded\":false},\"snapshot\""),
                      S_WAIT_MS)) {
        int code = 0;
        char *response = s_http (env, "GET", "/snapshot.json", &code);
        fail_msg ("the document (%d): %.300s", code, s_body (response));
    }
    /* The live terminal board, and --once. */
    char *term_log = jk_sprintf ("%s/term.log", env->dir);
    char *term[] = {"jejak-status", "--feed",      env->feed,  "--query",
                    env->query,     "--batch",     S_BATCH,    "--as-of",
                    S_DAY,          "--kecamatan", "32.03.10", NULL};
    env->term = jk_test_spawn (term, term_log);
    assert_true (env->term > 0);
    assert_true (JK_WAIT_FOR (jk_test_file_has (term_log, unknown), S_WAIT_MS));
    char *section = s_once_batches (env, "--batch", S_BATCH);
    char *want = jk_sprintf (
        "PELATIHAN BERJALAN / running training batches  (04/10/2022)\n"
        "Angkatan           Judul           Tanggal      Peserta  Hadir "
        "Kehadiran\n"
        "batch              title           dates         enrol.  today   "
        "attend.\n%s\n",
        unknown);
    assert_string_equal (section, want);
    free (want);
    free (section);
    if (jk_test_browser ("test_batch")) {
        jk_cdp_t *b = s_page (env);
        assert_true (
            s_page_empty_batches (b, "Angkatan " S_BATCH " belum tercatat"));
        free (jk_cdp_eval (b, "document.getElementById('lang').click (); 1"));
        assert_true (s_page_empty_batches (b, "Batch " S_BATCH
                                              " is not recorded (yet)"));
        jk_cdp_stop (&b);
    }

    /* Scheduled: the live boards show it (running on the day). */
    size_t before = jk_test_file_size (term_log);
    assert_int_equal (
        s_agent (env, "jejak-registration", "batch", "--batch", S_BATCH,
                 "--title", "Pelatihan Pengelola Koperasi", "--funding",
                 "DAK_NF_PK2UMK", "--budget-year", "2022", "--venue",
                 "Aula Kecamatan Pacet", "--venue-desa-code", "32.03.10.2012",
                 "--start-date", "2022-10-03", "--end-date", "2022-10-06",
                 NULL),
        0);
    const char *row = "PK2UMK-2022-07     Pelatihan Peng~ 03/10..06/10       "
                      "0      0     0,0 %";
    assert_true (
        JK_WAIT_FOR (s_document_has (env, "\"batch\":{\"code\":\"" S_BATCH
                                          "\",\"recorded\":true},\"snapshot\""),
                     S_WAIT_MS));
    assert_true (
        s_document_has (env, "\"batches\":[{\"batch\":\"" S_BATCH "\""));
    assert_true (JK_WAIT_FOR (jk_test_file_has_after (term_log, before, row),
                              S_WAIT_MS));
    section = s_once_batches (env, "--batch", S_BATCH);
    want = jk_sprintf (
        "PELATIHAN BERJALAN / running training batches  (04/10/2022)\n"
        "Angkatan           Judul           Tanggal      Peserta  Hadir "
        "Kehadiran\n"
        "batch              title           dates         enrol.  today   "
        "attend.\n%s\n\n",
        row);
    assert_string_equal (section, want);
    free (want);
    free (section);

    /* Closed: shown as a closed batch, under the title --all-batches
       gives it, the same with and without --batch. */
    assert_int_equal (s_agent (env, "jejak-attendance", "close-batch",
                               "--batch", S_BATCH, NULL),
                      0);
    assert_true (
        JK_WAIT_FOR (s_document_has (env, "\"closed\":1,"), S_WAIT_MS));
    section = s_once_batches (env, "--batch", S_BATCH);
    want = jk_sprintf (
        "PELATIHAN TERBUKA & BARU SELESAI  (04/10/2022)\n"
        "/ open and recently finished training batches\n"
        "Angkatan           Judul           Tanggal      Peserta  Hadir "
        "Kehadiran\n"
        "batch              title           dates         enrol.  today   "
        "attend.\n%s ditutup\n\n",
        row);
    assert_string_equal (section, want);
    if (jk_test_browser ("test_batch")) {
        jk_cdp_t *b = s_page (env);
        const char *cell = "(function () { const r = document.querySelector"
                           " ('tr[data-batch=\"" S_BATCH "\"]');"
                           " return r ? r.dataset.closed + '|' +"
                           " r.cells[0].textContent : ''; }) ()";
        char *js = jk_sprintf ("%s === '1|" S_BATCH
                               " \u2014 Pelatihan Pengelola Koperasi "
                               "(ditutup)'",
                               cell);
        if (!jk_cdp_wait (b, js, S_WAIT_MS))
            fail_msg ("the closed batch's row: %s", jk_cdp_eval (b, cell));
        free (js);
        free (jk_cdp_eval (b, "document.getElementById('lang').click (); 1"));
        js = jk_sprintf ("%s === '1|" S_BATCH
                         " \u2014 Pelatihan Pengelola Koperasi (closed)'",
                         cell);
        assert_true (jk_cdp_wait (b, js, S_WAIT_MS));
        free (js);
        /* The heading's tooltip says what the table holds: the batch
           --batch names, in the page's language. */
        assert_true (
            s_page_batches_title (b, "Batch " S_BATCH " only (--batch)"));
        free (jk_cdp_eval (b, "document.getElementById('lang').click (); 1"));
        assert_true (
            s_page_batches_title (b, "Angkatan " S_BATCH " saja (--batch)"));
        jk_cdp_stop (&b);
    }
    char *all = s_once_batches (env, "--all-batches", NULL);
    assert_string_equal (all, section);
    free (all);
    free (want);
    free (section);
    section = s_once_batches (env, NULL, NULL);
    assert_non_null (strstr (section, "PELATIHAN BERJALAN / running training "
                                      "batches  (04/10/2022)\n"));
    assert_non_null (strstr (section, "  (tidak ada / none)\n"));
    free (section);
    free (term_log);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_listen_flag),
        cmocka_unit_test_setup_teardown (test_http, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_events, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_browser, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_date_picker, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_last_seen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batch, s_setup_batch, s_teardown),
        cmocka_unit_test_setup_teardown (test_note_language, s_setup_months,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
