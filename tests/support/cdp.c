/*  cdp.c - see cdp.h. */
#include "cdp.h"
#include "testsupport.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_TIMEOUT_MS 30000

struct jk_cdp_s {
    pid_t pid;
    int to, from; /* our ends of the two pipes */
    char *buf;    /* bytes read, not yet split */
    size_t len;
    int next_id;
    char session[64]; /* the page's sessionId */
};

/* Reads the next NUL-ended message (heap) or NULL after timeout_ms. */
static char *s_read (jk_cdp_t *self, int timeout_ms)
{
    int64_t deadline = jk_clock_mono_ms () + timeout_ms;
    while (true) {
        char *end = self->buf ? memchr (self->buf, 0, self->len) : NULL;
        if (end) {
            size_t n = (size_t)(end - self->buf);
            char *msg = jk_strndup (self->buf, n);
            memmove (self->buf, end + 1, self->len - n - 1);
            self->len -= n + 1;
            return msg;
        }
        int64_t left = deadline - jk_clock_mono_ms ();
        if (left <= 0)
            return NULL;
        struct pollfd p = {self->from, POLLIN, 0};
        if (poll (&p, 1, (int)left) <= 0)
            continue;
        char chunk[65536];
        ssize_t got = read (self->from, chunk, sizeof chunk);
        if (got <= 0)
            return NULL;
        self->buf = jk_realloc (self->buf, self->len + (size_t)got + 1);
        memcpy (self->buf + self->len, chunk, (size_t)got);
        self->len += (size_t)got;
    }
}

/* Sends one command (to the browser when session is NULL) and waits for
   the answer with its id. */
static char *s_call (jk_cdp_t *self, const char *session, const char *method,
                     const char *params, int timeout_ms)
{
    int id = ++self->next_id;
    char *msg = session
                    ? jk_sprintf ("{\"id\":%d,\"sessionId\":\"%s\",\"method\":"
                                  "\"%s\",\"params\":%s}",
                                  id, session, method, params ? params : "{}")
                    : jk_sprintf ("{\"id\":%d,\"method\":\"%s\",\"params\":%s}",
                                  id, method, params ? params : "{}");
    size_t size = strlen (msg) + 1; /* the NUL ends the message */
    const char *p = msg;
    while (size > 0) {
        ssize_t n = write (self->to, p, size);
        if (n <= 0) {
            free (msg);
            return NULL;
        }
        p += n;
        size -= (size_t)n;
    }
    free (msg);
    char prefix[32];
    int plen = snprintf (prefix, sizeof prefix, "{\"id\":%d,", id);
    int64_t deadline = jk_clock_mono_ms () + timeout_ms;
    while (true) {
        int64_t left = deadline - jk_clock_mono_ms ();
        char *answer = left > 0 ? s_read (self, (int)left) : NULL;
        if (!answer) {
            fprintf (stderr, "cdp: no answer to %s\n", method);
            return NULL;
        }
        if (strncmp (answer, prefix, (size_t)plen) == 0) {
            if (strncmp (answer + plen, "\"error\"", 7) == 0) {
                fprintf (stderr, "cdp: %s: %.300s\n", method, answer);
                free (answer);
                return NULL;
            }
            return answer;
        }
        free (answer); /* an event, or another command's answer */
    }
}

char *jk_cdp_call (jk_cdp_t *self, const char *method, const char *params,
                   int timeout_ms)
{
    return s_call (self, self->session, method, params, timeout_ms);
}

/* The JSON string starting after an opening quote, unescaped (heap). */
static char *s_unescape (const char *p)
{
    char *out = jk_malloc (strlen (p) + 1);
    size_t n = 0;
    for (; *p && *p != '"'; p++) {
        if (*p != '\\') {
            out[n++] = *p;
            continue;
        }
        p++;
        switch (*p) {
            case 'n':
                out[n++] = '\n';
                break;
            case 't':
                out[n++] = '\t';
                break;
            case 'r':
                out[n++] = '\r';
                break;
            case 'u': {
                unsigned code = 0;
                sscanf (p + 1, "%4x", &code);
                p += 4;
                if (code < 0x80)
                    out[n++] = (char)code;
                else if (code < 0x800) {
                    out[n++] = (char)(0xC0 | (code >> 6));
                    out[n++] = (char)(0x80 | (code & 0x3F));
                } else {
                    out[n++] = (char)(0xE0 | (code >> 12));
                    out[n++] = (char)(0x80 | ((code >> 6) & 0x3F));
                    out[n++] = (char)(0x80 | (code & 0x3F));
                }
                break;
            }
            default:
                out[n++] = *p;
        }
        if (!*p)
            break;
    }
    out[n] = 0;
    return out;
}

/* A JSON string literal of text (heap). */
static char *s_quote (const char *text)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&out, &size);
    fputc ('"', f);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf (f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf (f, "\\u%04x", *p);
        else
            fputc (*p, f);
    }
    fputc ('"', f);
    fclose (f);
    return out;
}

char *jk_cdp_eval (jk_cdp_t *self, const char *js)
{
    char *quoted = s_quote (js);
    char *params = jk_sprintf ("{\"expression\":%s,\"returnByValue\":true,"
                               "\"awaitPromise\":true}",
                               quoted);
    free (quoted);
    char *answer = jk_cdp_call (self, "Runtime.evaluate", params, S_TIMEOUT_MS);
    free (params);
    if (!answer)
        return NULL;
    char *value = NULL;
    if (!strstr (answer, "\"exceptionDetails\"")) {
        const char *at = strstr (answer, "\"value\":");
        if (at) {
            at += 8;
            if (*at == '"')
                value = s_unescape (at + 1);
            else
                value = jk_strndup (at, strcspn (at, ",}"));
        }
    } else
        fprintf (stderr, "cdp: eval threw: %.400s\n", answer);
    free (answer);
    return value;
}

bool jk_cdp_wait (jk_cdp_t *self, const char *js, int timeout_ms)
{
    int64_t deadline = jk_clock_mono_ms () + timeout_ms;
    while (true) {
        char *v = jk_cdp_eval (self, js);
        bool yes = v && strcmp (v, "true") == 0;
        free (v);
        if (yes)
            return true;
        if (jk_clock_mono_ms () >= deadline)
            return false;
        jk_test_pause_ms (100);
    }
}

bool jk_cdp_navigate (jk_cdp_t *self, const char *url)
{
    char *quoted = s_quote (url);
    char *params = jk_sprintf ("{\"url\":%s}", quoted);
    free (quoted);
    char *answer = jk_cdp_call (self, "Page.navigate", params, S_TIMEOUT_MS);
    free (params);
    free (answer);
    char *js = jk_sprintf ("document.readyState === 'complete' && "
                           "location.href === %s",
                           (quoted = s_quote (url)));
    free (quoted);
    bool ok = answer && jk_cdp_wait (self, js, S_TIMEOUT_MS);
    free (js);
    return ok;
}

void jk_cdp_key (jk_cdp_t *self, const char *key, bool shift)
{
    int code = strcmp (key, "Tab") == 0     ? 9
               : strcmp (key, "Enter") == 0 ? 13
                                            : 0;
    for (int down = 1; down >= 0; down--) {
        char *params = jk_sprintf (
            "{\"type\":\"%s\",\"key\":\"%s\",\"code\":\"%s\","
            "\"windowsVirtualKeyCode\":%d,\"modifiers\":%d}",
            down ? "rawKeyDown" : "keyUp", key, key, code, shift ? 8 : 0);
        free (
            jk_cdp_call (self, "Input.dispatchKeyEvent", params, S_TIMEOUT_MS));
        free (params);
    }
}

void jk_cdp_viewport (jk_cdp_t *self, int width, int height, bool mobile)
{
    char *params = jk_sprintf ("{\"width\":%d,\"height\":%d,"
                               "\"deviceScaleFactor\":1,\"mobile\":%s}",
                               width, height, mobile ? "true" : "false");
    free (jk_cdp_call (self, "Emulation.setDeviceMetricsOverride", params,
                       S_TIMEOUT_MS));
    free (params);
    free (jk_cdp_call (self, "Emulation.setTouchEmulationEnabled",
                       mobile ? "{\"enabled\":true}" : "{\"enabled\":false}",
                       S_TIMEOUT_MS));
}

size_t jk_cdp_screenshot (jk_cdp_t *self, const char *path)
{
    char *answer = jk_cdp_call (self, "Page.captureScreenshot",
                                "{\"format\":\"png\",\"captureBeyondViewport\":"
                                "true}",
                                S_TIMEOUT_MS);
    const char *at = answer ? strstr (answer, "\"data\":\"") : NULL;
    if (!at) {
        free (answer);
        return 0;
    }
    at += 8;
    size_t len = strcspn (at, "\"");
    unsigned char *png = jk_malloc (len);
    int n = EVP_DecodeBlock (png, (const unsigned char *)at, (int)len);
    /* EVP_DecodeBlock counts '=' padding as bytes. */
    while (n > 0 && len > 0 && at[len - 1] == '=') {
        n--;
        len--;
    }
    size_t written = 0;
    FILE *f = n > 0 ? fopen (path, "wb") : NULL;
    if (f) {
        written = fwrite (png, 1, (size_t)n, f);
        fclose (f);
    }
    free (png);
    free (answer);
    return written;
}

bool jk_test_browser (const char *test)
{
    if (access (JK_CDP_CHROMIUM, X_OK) == 0)
        return true;
    const char *none = getenv ("JEJAK_TEST_NO_BROWSER");
    if (none && streq (none, "1")) {
        fprintf (stderr,
                 "%s: SKIPPED the browser: %s is not installed and "
                 "JEJAK_TEST_NO_BROWSER=1 says this machine has none\n",
                 test, JK_CDP_CHROMIUM);
        return false;
    }
    fail_msg ("%s: %s is not installed (scripts/setup installs Debian's "
              "chromium; where Debian has none, run the tests with "
              "JEJAK_TEST_NO_BROWSER=1 to leave the browser parts out)",
              test, JK_CDP_CHROMIUM);
    return false;
}

jk_cdp_t *jk_cdp_start (const char *dir, int width, int height)
{
    if (access (JK_CDP_CHROMIUM, X_OK) != 0) {
        fprintf (stderr, "cdp: %s is not installed\n", JK_CDP_CHROMIUM);
        return NULL;
    }
    int to[2], from[2];
    if (pipe (to) || pipe (from))
        return NULL;
    char *profile = jk_sprintf ("--user-data-dir=%s/chromium-profile", dir);
    char *size = jk_sprintf ("--window-size=%d,%d", width, height);
    char *log = jk_sprintf ("%s/chromium.log", dir);
    pid_t pid = jk_test_fork ();
    if (pid == 0) {
        /* fds 3 and 4 are the browser's pipe ends. */
        int in = dup (to[0]), out = dup (from[1]);
        dup2 (in, 3);
        dup2 (out, 4);
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
        }
        for (int i = 5; i < 1024; i++)
            close (i);
        execl (JK_CDP_CHROMIUM, "chromium", "--headless",
               "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
               "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-dev-shm-usage", "--lang=id-ID",
               profile, size, "about:blank", (char *)NULL);
        _exit (127);
    }
    free (profile);
    free (size);
    free (log);
    close (to[0]);
    close (from[1]);
    jk_cdp_t *self = jk_calloc (1, sizeof *self);
    self->pid = pid;
    self->to = to[1];
    self->from = from[0];
    signal (SIGPIPE, SIG_IGN);
    /* A page target, attached in flat mode: later commands carry its
       sessionId. */
    char *target = s_call (self, NULL, "Target.createTarget",
                           "{\"url\":\"about:blank\"}", 60000);
    const char *at = target ? strstr (target, "\"targetId\":\"") : NULL;
    char *session = NULL;
    if (at) {
        char *params = jk_sprintf ("{\"targetId\":\"%.*s\",\"flatten\":true}",
                                   (int)strcspn (at + 12, "\""), at + 12);
        session = s_call (self, NULL, "Target.attachToTarget", params, 30000);
        free (params);
    }
    at = session ? strstr (session, "\"sessionId\":\"") : NULL;
    if (at)
        snprintf (self->session, sizeof self->session, "%.*s",
                  (int)strcspn (at + 13, "\""), at + 13);
    free (target);
    free (session);
    if (!self->session[0]) {
        fprintf (stderr, "cdp: chromium did not give a page\n");
        jk_cdp_stop (&self);
        return NULL;
    }
    free (jk_cdp_call (self, "Page.enable", NULL, S_TIMEOUT_MS));
    free (jk_cdp_call (self, "Runtime.enable", NULL, S_TIMEOUT_MS));
    jk_cdp_viewport (self, width, height, false);
    return self;
}

void jk_cdp_stop (jk_cdp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_cdp_t *self = *self_p;
    free (s_call (self, NULL, "Browser.close", NULL, 5000));
    close (self->to);
    close (self->from);
    kill (-self->pid, SIGKILL);
    waitpid (self->pid, NULL, 0);
    free (self->buf);
    free (self);
    *self_p = NULL;
}
