/*  web.c - the status board in a browser (jejak-status --http): a small
    read-only HTTP server on libmicrohttpd that serves the embedded page,
    the board's current JSON document and a Server-Sent Events stream of
    it. The board's loop publishes documents; HTTP threads only read them. */
#include "status_internal.h"

#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <microhttpd.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define S_MIN_EVENT_MS 100    /* at most ten events a second per viewer */
#define S_BLOCK_SIZE   16384  /* bytes MHD asks the SSE reader for at once */
#define S_STACK_SIZE   262144 /* per-connection thread stack */

/* One published board document. Immutable after jk_web_publish made it;
   freed by whoever drops the last reference. */
typedef struct {
    atomic_int refs; /* the current slot holds one; each reader one */
    uint64_t pos;    /* log position the document stands at (SSE id) */
    size_t size;     /* bytes of data, without a final newline */
    char data[];     /* the JSON document */
} s_doc_t;

/* Why this is safe without a mutex (STYLE.md: threads share nothing):
   the board's thread is the only writer of `current`; HTTP threads only
   take references. A reader announces itself in `readers`, loads the
   pointer and takes a reference, then leaves. The writer swaps the
   pointer, waits until no reader is inside that short window (a few
   instructions, so the wait is a handful of spins at most), and only
   then drops the slot's reference to the old document. A reader that
   loaded the old pointer was counted before the swap, so the writer
   cannot drop the old document before the reader's reference is taken;
   a reader that enters after the swap sees the new pointer. Documents
   are never written after publication, so readers need nothing else.
   Viewers waiting for the next document sleep on `generation` (a futex
   word: one atomic 32-bit counter the writer bumps and wakes). */
struct jk_web_s {
    struct MHD_Daemon *daemon;
    _Atomic (s_doc_t *) current; /* latest document, or NULL at start */
    atomic_int readers;          /* readers inside s_doc_acquire */
    _Atomic uint32_t generation; /* bumped on each publish and on stop */
    atomic_bool stopping;        /* jk_web_destroy has begun */
    uint16_t port;               /* the bound port */
    int heartbeat_ms;            /* SSE comment interval */
    jk_web_as_of_fn *as_of;      /* the date picker's documents, or NULL */
    void *as_of_arg;
};

/* One /events stream: what is being sent and what was sent. */
typedef struct {
    jk_web_t *web;
    s_doc_t *doc;           /* document being sent, referenced */
    char head[64];          /* "id: N\ndata: " of that document */
    size_t head_size;       /* bytes in head */
    size_t offset;          /* bytes of head + data + "\n\n" written */
    uint32_t generation;    /* generation of the last document taken */
    int64_t last_event_ms;  /* when the last event began */
    int64_t last_output_ms; /* when anything was last written */
    bool first;             /* the initial snapshot is still to come */
} s_stream_t;

/* Takes a reference to the current document, or NULL when none yet. */
static s_doc_t *s_doc_acquire (jk_web_t *self)
{
    atomic_fetch_add (&self->readers, 1);
    s_doc_t *doc = atomic_load (&self->current);
    if (doc)
        atomic_fetch_add (&doc->refs, 1);
    atomic_fetch_sub (&self->readers, 1);
    return doc;
}

static void s_doc_release (s_doc_t **doc_p)
{
    if (*doc_p && atomic_fetch_sub (&(*doc_p)->refs, 1) == 1)
        free (*doc_p);
    *doc_p = NULL;
}

/* Sleeps until generation differs from seen or timeout_ms passes. */
static void s_wait_generation (jk_web_t *self, uint32_t seen, int timeout_ms)
{
    if (timeout_ms <= 0)
        return;
    struct timespec ts = {timeout_ms / 1000,
                          (long)(timeout_ms % 1000) * 1000000};
    syscall (SYS_futex, (uint32_t *)&self->generation, FUTEX_WAIT_PRIVATE, seen,
             &ts, NULL, 0);
}

static void s_wake_all (jk_web_t *self)
{
    atomic_fetch_add (&self->generation, 1);
    syscall (SYS_futex, (uint32_t *)&self->generation, FUTEX_WAKE_PRIVATE,
             INT_MAX, NULL, NULL, 0);
}

/* Copies as much of the stream's current event as fits into buf. */
static size_t s_stream_copy (s_stream_t *s, char *buf, size_t max)
{
    size_t total = s->head_size + s->doc->size + 2;
    size_t written = 0;
    while (written < max && s->offset < total) {
        size_t off = s->offset, n;
        const char *src;
        if (off < s->head_size) {
            src = s->head + off;
            n = s->head_size - off;
        } else if (off < s->head_size + s->doc->size) {
            src = s->doc->data + (off - s->head_size);
            n = s->doc->size - (off - s->head_size);
        } else {
            src = &"\n\n"[off - s->head_size - s->doc->size];
            n = total - off;
        }
        if (n > max - written)
            n = max - written;
        memcpy (buf + written, src, n);
        written += n;
        s->offset += n;
    }
    if (s->offset == total)
        s_doc_release (&s->doc);
    return written;
}

/* The SSE body: the current document on connect, then each newer one (at
   most every S_MIN_EVENT_MS, coalesced: a viewer always gets the latest),
   and a comment line when nothing was sent for heartbeat_ms. Runs on the
   connection's own thread (MHD_USE_THREAD_PER_CONNECTION), so blocking
   here holds up nobody else. */
static ssize_t s_stream_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    s_stream_t *s = (s_stream_t *)cls;
    jk_web_t *web = s->web;
    if (s->doc)
        return (ssize_t)s_stream_copy (s, buf, max);
    if (s->first) {
        s->first = false;
        const char *retry = "retry: 2000\n\n";
        size_t n = strlen (retry) < max ? strlen (retry) : max;
        memcpy (buf, retry, n);
        s->last_output_ms = jk_clock_mono_ms ();
        return (ssize_t)n;
    }
    while (!atomic_load (&web->stopping)) {
        int64_t now = jk_clock_mono_ms ();
        uint32_t generation = atomic_load (&web->generation);
        if (generation != s->generation) {
            int64_t early = s->last_event_ms + S_MIN_EVENT_MS - now;
            if (early > 0) {
                /* Too soon after the last event: wait; whatever is newest
                   when the interval ends is what goes out. */
                s_wait_generation (web, generation, (int)early);
                continue;
            }
            s_doc_t *doc = s_doc_acquire (web);
            s->generation = generation;
            if (!doc)
                continue; /* nothing published yet: wait for it */
            s->doc = doc;
            s->offset = 0;
            s->head_size = (size_t)snprintf (
                s->head, sizeof s->head,
                "id: %llu\ndata: ", (unsigned long long)doc->pos);
            s->last_event_ms = s->last_output_ms = now;
            return (ssize_t)s_stream_copy (s, buf, max);
        }
        int64_t quiet = now - s->last_output_ms;
        if (quiet >= web->heartbeat_ms) {
            const char *beat = ": heartbeat\n\n";
            size_t n = strlen (beat) < max ? strlen (beat) : max;
            memcpy (buf, beat, n);
            s->last_output_ms = now;
            return (ssize_t)n;
        }
        s_wait_generation (web, generation, (int)(web->heartbeat_ms - quiet));
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void s_stream_free (void *cls)
{
    s_stream_t *s = (s_stream_t *)cls;
    s_doc_release (&s->doc);
    free (s);
}

/* Headers every answer carries: the page may load only its own files,
   nothing is sniffed, no referrer leaves. */
static void s_common_headers (struct MHD_Response *response, bool no_store)
{
    MHD_add_response_header (response, "Content-Security-Policy",
                             "default-src 'self'");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (response, "Cache-Control",
                             no_store ? "no-store" : "no-cache");
}

/* Queues a short text answer (errors). */
static enum MHD_Result s_text (struct MHD_Connection *connection,
                               unsigned int code, const char *text)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (text), (void *)text, MHD_RESPMEM_MUST_COPY);
    s_common_headers (response, true);
    MHD_add_response_header (response, "Content-Type",
                             "text/plain; charset=utf-8");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header (response, "Allow", "GET, HEAD");
    if (code == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header (response, "Retry-After", "1");
    enum MHD_Result rc = MHD_queue_response (connection, code, response);
    MHD_destroy_response (response);
    return rc;
}

/* The page, with the current document in a JSON data block where the
   template says <!--BOARD-->. A data block is not executed, so the
   Content-Security-Policy still allows only /app.js; every '<' in the
   document (only possible inside its strings) is written as \u003c so
   the text cannot close the block. */
static struct MHD_Response *s_page (jk_web_t *self)
{
    const jk_web_asset_t *page = NULL;
    for (size_t i = 0; i < jk_web_asset_count; i++)
        if (strcmp (jk_web_assets[i].path, "/") == 0)
            page = &jk_web_assets[i];
    assert (page);
    const char *html = (const char *)page->data;
    const char *marker = strstr (html, "<!--BOARD-->");
    s_doc_t *doc = s_doc_acquire (self);
    if (!marker || !doc) {
        s_doc_release (&doc);
        return MHD_create_response_from_buffer (page->size, (void *)html,
                                                MHD_RESPMEM_PERSISTENT);
    }
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    fwrite (html, 1, (size_t)(marker - html), out);
    fputs ("<script type=\"application/json\" id=\"board-data\">", out);
    for (size_t i = 0; i < doc->size; i++) {
        if (doc->data[i] == '<')
            fputs ("\\u003c", out);
        else
            fputc (doc->data[i], out);
    }
    fputs ("</script>", out);
    fputs (marker + strlen ("<!--BOARD-->"), out);
    fclose (out);
    s_doc_release (&doc);
    return MHD_create_response_from_buffer (size, text, MHD_RESPMEM_MUST_FREE);
}

/* Queues a 200 response and lets it go. */
static enum MHD_Result s_queue (struct MHD_Connection *connection,
                                struct MHD_Response *response)
{
    enum MHD_Result rc = MHD_queue_response (connection, MHD_HTTP_OK, response);
    MHD_destroy_response (response);
    return rc;
}

/* GET /snapshot.json?as_of=DATE: the date picker, the board as of
   another day, asked on this connection's own thread. */
static enum MHD_Result
s_as_of (jk_web_t *self, struct MHD_Connection *connection, const char *as_of)
{
    int32_t day;
    if (jk_date_parse_day (as_of, &day) != 0)
        return s_text (connection, MHD_HTTP_BAD_REQUEST,
                       "400 as_of must be a date " JK_DATE_FORMS "\n");
    if (!self->as_of)
        return s_text (connection, MHD_HTTP_NOT_FOUND,
                       "404 this board serves no other day\n");
    char err[512] = "", text[600];
    size_t size = 0;
    char *json = self->as_of (self->as_of_arg, day, &size, err, sizeof err);
    if (!json) {
        snprintf (text, sizeof text, "503 %s\n", err);
        return s_text (connection, MHD_HTTP_SERVICE_UNAVAILABLE, text);
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer (size, json, MHD_RESPMEM_MUST_FREE);
    s_common_headers (response, true);
    MHD_add_response_header (response, "Content-Type",
                             "application/json; charset=utf-8");
    return s_queue (connection, response);
}

/* GET /snapshot.json: the board's latest document. */
static enum MHD_Result s_snapshot (jk_web_t *self,
                                   struct MHD_Connection *connection)
{
    s_doc_t *doc = s_doc_acquire (self);
    if (!doc)
        return s_text (connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                       "503 the board is starting\n");
    struct MHD_Response *response = MHD_create_response_from_buffer (
        doc->size, doc->data, MHD_RESPMEM_MUST_COPY);
    s_doc_release (&doc);
    s_common_headers (response, true);
    MHD_add_response_header (response, "Content-Type",
                             "application/json; charset=utf-8");
    return s_queue (connection, response);
}

/* GET /events: the server-sent events stream of new documents. */
static enum MHD_Result s_events (jk_web_t *self,
                                 struct MHD_Connection *connection)
{
    s_stream_t *s = jk_calloc (1, sizeof *s);
    s->web = self;
    s->first = true;
    s->generation = atomic_load (&self->generation) - 1;
    struct MHD_Response *response = MHD_create_response_from_callback (
        MHD_SIZE_UNKNOWN, S_BLOCK_SIZE, s_stream_read, s, s_stream_free);
    s_common_headers (response, true);
    MHD_add_response_header (response, "Content-Type",
                             "text/event-stream; charset=utf-8");
    MHD_add_response_header (response, "X-Accel-Buffering", "no");
    return s_queue (connection, response);
}

/* GET of an embedded file (/app.js, /style.css), else 404. */
static enum MHD_Result s_asset (struct MHD_Connection *connection,
                                const char *url)
{
    const jk_web_asset_t *asset = NULL;
    for (size_t i = 0; i < jk_web_asset_count; i++)
        if (strcmp (url, jk_web_assets[i].path) == 0)
            asset = &jk_web_assets[i];
    if (!asset)
        return s_text (connection, MHD_HTTP_NOT_FOUND,
                       "404 not found: the board serves /, /app.js, "
                       "/style.css, /snapshot.json and /events\n");
    struct MHD_Response *response = MHD_create_response_from_buffer (
        asset->size, (void *)asset->data, MHD_RESPMEM_PERSISTENT);
    s_common_headers (response, false);
    MHD_add_response_header (response, "Content-Type", asset->type);
    return s_queue (connection, response);
}

/* What the request target said before libmicrohttpd decoded it, as
   *con_cls of a request's first call; the later calls find the daemon's
   own pointer there. */
static char s_target_ok, s_target_bad;

/* True when the path of a request target as sent (before decoding) has
   a malformed percent-encoding (a '%' not followed by two hex digits) or
   an encoded NUL ("%00"). Decoded, such a path is no path at all: the
   decoded text ends at the NUL, so "/%00" would read as "/". */
static bool s_path_malformed (const char *target)
{
    for (const char *p = target; *p && *p != '?'; p++) {
        if (*p != '%')
            continue;
        if (!isxdigit ((unsigned char)p[1]) || !isxdigit ((unsigned char)p[2]))
            return true;
        if (p[1] == '0' && p[2] == '0')
            return true;
        p += 2;
    }
    return false;
}

/* Called once per request with its target as sent: the returned marker
   is the request's first *con_cls. */
static void *s_target (void *cls, const char *target,
                       struct MHD_Connection *connection)
{
    (void)cls;
    (void)connection;
    return s_path_malformed (target) ? &s_target_bad : &s_target_ok;
}

/* Every request: GET and HEAD only, read-only, a fixed set of paths. */
static enum MHD_Result s_request (void *cls, struct MHD_Connection *connection,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    jk_web_t *self = (jk_web_t *)cls;
    /* Anything sent with the request is ignored: nothing is accepted. */
    *upload_data_size = 0;
    if (*con_cls != self) {
        bool malformed = *con_cls == &s_target_bad;
        *con_cls = self;
        if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
            return s_text (connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                           "405 method not allowed: this board is read-only "
                           "(GET and HEAD only)\n");
        if (malformed)
            return s_text (connection, MHD_HTTP_BAD_REQUEST,
                           "400 bad request: the path has a malformed "
                           "percent-encoding or an encoded NUL (%00)\n");
        return MHD_YES;
    }
    if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
        return MHD_YES;
    const char *as_of = strcmp (url, "/snapshot.json") == 0
                            ? MHD_lookup_connection_value (
                                  connection, MHD_GET_ARGUMENT_KIND, "as_of")
                            : NULL;
    if (as_of)
        return s_as_of (self, connection, as_of);
    if (strcmp (url, "/snapshot.json") == 0)
        return s_snapshot (self, connection);
    if (strcmp (url, "/events") == 0)
        return s_events (self, connection);
    if (strcmp (url, "/") == 0) {
        struct MHD_Response *response = s_page (self);
        s_common_headers (response, true);
        MHD_add_response_header (response, "Content-Type",
                                 "text/html; charset=utf-8");
        return s_queue (connection, response);
    }
    return s_asset (connection, url);
}

jk_web_t *jk_web_new (const jk_web_config_t *config, char *err, size_t err_size)
{
    assert (config && config->address);
    struct sockaddr_in addr;
    if (jk_web_sockaddr (config->address, config->port, &addr, err, err_size) !=
        JK_OK)
        return NULL;
    jk_web_t *self = jk_calloc (1, sizeof *self);
    self->heartbeat_ms =
        config->heartbeat_ms > 0 ? config->heartbeat_ms : 15000;
    self->as_of = config->as_of;
    self->as_of_arg = config->as_of_arg;
    unsigned int limit = config->max_connections > 0
                             ? (unsigned int)config->max_connections
                             : 256;
    /* One thread per connection: a viewer's stream waits for the next
       document on its own thread, so a slow or silent viewer never holds
       up another one, or the board. The listening socket is polled by
       MHD's internal thread. */
    self->daemon = MHD_start_daemon (
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_POLL,
        0, NULL, NULL, s_request, self, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)S_STACK_SIZE,
        MHD_OPTION_URI_LOG_CALLBACK, s_target, NULL, MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, err_size, "cannot listen on %s:%u: %s", config->address,
                  (unsigned)config->port,
                  errno ? strerror (errno) : "libmicrohttpd refused");
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : config->port;
    return self;
}

void jk_web_destroy (jk_web_t **self_p)
{
    assert (self_p);
    jk_web_t *self = *self_p;
    if (!self)
        return;
    /* Viewers' threads wake, end their streams, and MHD joins them. */
    atomic_store (&self->stopping, true);
    s_wake_all (self);
    MHD_stop_daemon (self->daemon);
    s_doc_t *doc = atomic_exchange (&self->current, NULL);
    s_doc_release (&doc);
    free (self);
    *self_p = NULL;
}

uint16_t jk_web_port (jk_web_t *self)
{
    assert (self);
    return self->port;
}

void jk_web_publish (jk_web_t *self, const char *json, size_t size,
                     uint64_t pos)
{
    assert (self && json);
    while (size > 0 && (json[size - 1] == '\n' || json[size - 1] == '\r'))
        size--;
    s_doc_t *doc = jk_malloc (sizeof *doc + size + 1);
    atomic_init (&doc->refs, 1);
    doc->pos = pos;
    doc->size = size;
    memcpy (doc->data, json, size);
    doc->data[size] = 0;
    s_doc_t *old = atomic_exchange (&self->current, doc);
    while (atomic_load (&self->readers) != 0)
        sched_yield ();
    s_doc_release (&old);
    s_wake_all (self);
}
