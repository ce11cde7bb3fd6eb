/*  bench_redis.c - the peer a user might pick instead of Jejak: Redis
    Streams XADD on a redis-server with appendonly yes and appendfsync
    always (every write fsynced before the reply), driven the way
    bench_ingest drives the hub: 32 clients, each with a window of
    batches of pipelined commands in flight (default window 4 x batch 100,
    bench_ingest's defaults), the same person.registered event bytes as the
    stream entry's value, all into one stream (one log). Speaks RESP over
    plain TCP sockets; bench/run starts and stops the server.
    Usage: bench_redis --port P [--host H] [--quick] [--events N]
                       [--clients C] [--batch B] [--window W] [--rounds R]
    Prints a table, then one JSON line. */
#define _GNU_SOURCE
#include "bench_common.h"
#include "jk_schema.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_CLIENTS_MAX 256

typedef struct {
    int fd;
    size_t next;      /* next event index of this client to send */
    size_t end;       /* one past its last event */
    size_t in_flight; /* commands sent, replies not yet read */
    size_t answered;  /* replies read */
    char *rx;         /* unparsed reply bytes */
    size_t rx_len, rx_cap;
} s_client_t;

/* Connects to host:port; -1 on failure (printed). */
static int s_connect (const char *host, int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons ((uint16_t)port)};
    inet_pton (AF_INET, host, &sa.sin_addr);
    if (fd < 0 || connect (fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf (stderr, "bench_redis: connect %s:%d: %s\n", host, port,
                 strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static bool s_write_all (int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* Appends one RESP array command to a growing buffer. */
static void s_append (char **buf, size_t *len, size_t *cap, const void *data,
                      size_t size)
{
    if (*len + size > *cap) {
        *cap = (*len + size) * 2;
        *buf = jk_realloc (*buf, *cap);
    }
    memcpy (*buf + *len, data, size);
    *len += size;
}

static void s_xadd (char **buf, size_t *len, size_t *cap, const char *key,
                    const uint8_t *value, size_t size)
{
    char head[160];
    int n = snprintf (head, sizeof head,
                      "*5\r\n$4\r\nXADD\r\n$%zu\r\n%s\r\n$1\r\n*\r\n$1\r\n"
                      "e\r\n$%zu\r\n",
                      strlen (key), key, size);
    s_append (buf, len, cap, head, (size_t)n);
    s_append (buf, len, cap, value, size);
    s_append (buf, len, cap, "\r\n", 2);
}

/* Counts the complete replies at the front of c->rx and drops them.
   Returns the count, or -1 on an error reply (printed). */
static long s_replies (s_client_t *c)
{
    long count = 0;
    size_t at = 0;
    while (at < c->rx_len) {
        char *crlf = memmem (c->rx + at, c->rx_len - at, "\r\n", 2);
        if (!crlf)
            break;
        size_t line_end = (size_t)(crlf - c->rx) + 2;
        char kind = c->rx[at];
        if (kind == '-') {
            fprintf (stderr, "bench_redis: %.*s\n", (int)(line_end - at - 2),
                     c->rx + at);
            return -1;
        }
        if (kind == '$') {
            long n = strtol (c->rx + at + 1, NULL, 10);
            size_t need = line_end + (n >= 0 ? (size_t)n + 2 : 0);
            if (need > c->rx_len)
                break;
            at = need;
        } else
            at = line_end;
        count++;
    }
    memmove (c->rx, c->rx + at, c->rx_len - at);
    c->rx_len -= at;
    return count;
}

/* One round: every client sends its share in pipelined batches, at most
   window batches unanswered. Returns events per second, or -1. */
static double s_round (const char *host, int port, int clients, size_t batch,
                       int window, uint8_t **bytes, size_t *sizes,
                       size_t events, int round)
{
    s_client_t *cs = jk_calloc ((size_t)clients, sizeof *cs);
    struct pollfd *pfd = jk_calloc ((size_t)clients, sizeof *pfd);
    char key[64];
    snprintf (key, sizeof key, "jejak:bench:%d", round);
    size_t per = events / (size_t)clients;
    for (int i = 0; i < clients; i++) {
        cs[i].fd = s_connect (host, port);
        if (cs[i].fd < 0)
            return -1;
        cs[i].next = (size_t)i * per;
        cs[i].end = cs[i].next + per;
        cs[i].rx_cap = 1 << 16;
        cs[i].rx = jk_malloc (cs[i].rx_cap);
    }
    char *tx = NULL;
    size_t tx_len = 0, tx_cap = 0, total = per * (size_t)clients, done = 0;
    double start = jk_bench_now ();
    bool failed = false;
    while (done < total && !failed) {
        for (int i = 0; i < clients; i++) {
            s_client_t *c = &cs[i];
            while (c->next < c->end &&
                   c->in_flight + batch <= batch * (size_t)window) {
                size_t n = c->end - c->next < batch ? c->end - c->next : batch;
                tx_len = 0;
                for (size_t k = 0; k < n; k++)
                    s_xadd (&tx, &tx_len, &tx_cap, key, bytes[c->next + k],
                            sizes[c->next + k]);
                if (!s_write_all (c->fd, tx, tx_len)) {
                    failed = true;
                    break;
                }
                c->next += n;
                c->in_flight += n;
            }
            pfd[i].fd = c->fd;
            pfd[i].events = POLLIN;
        }
        if (failed || poll (pfd, (nfds_t)clients, 10000) <= 0)
            break;
        for (int i = 0; i < clients; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            s_client_t *c = &cs[i];
            if (c->rx_cap - c->rx_len < 4096) {
                c->rx_cap *= 2;
                c->rx = jk_realloc (c->rx, c->rx_cap);
            }
            ssize_t n = read (c->fd, c->rx + c->rx_len, c->rx_cap - c->rx_len);
            if (n <= 0) {
                failed = true;
                break;
            }
            c->rx_len += (size_t)n;
            long got = s_replies (c);
            if (got < 0) {
                failed = true;
                break;
            }
            c->in_flight -= (size_t)got;
            c->answered += (size_t)got;
            done += (size_t)got;
        }
    }
    double elapsed = jk_bench_now () - start;
    for (int i = 0; i < clients; i++) {
        close (cs[i].fd);
        free (cs[i].rx);
    }
    free (cs);
    free (pfd);
    free (tx);
    return done == total && !failed ? (double)total / elapsed : -1;
}

/* Sends one command given as words and prints the reply's first line into
   out; false on failure. */
static bool s_command (const char *host, int port, const char **words,
                       int count, char *out, size_t size)
{
    int fd = s_connect (host, port);
    if (fd < 0)
        return false;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char head[32];
    int n = snprintf (head, sizeof head, "*%d\r\n", count);
    s_append (&buf, &len, &cap, head, (size_t)n);
    for (int i = 0; i < count; i++) {
        n = snprintf (head, sizeof head, "$%zu\r\n", strlen (words[i]));
        s_append (&buf, &len, &cap, head, (size_t)n);
        s_append (&buf, &len, &cap, words[i], strlen (words[i]));
        s_append (&buf, &len, &cap, "\r\n", 2);
    }
    bool ok = s_write_all (fd, buf, len);
    ssize_t got = ok ? read (fd, out, size - 1) : -1;
    out[got > 0 ? got : 0] = 0;
    free (buf);
    close (fd);
    return got > 0;
}

int main (int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 0, clients = 32, window = 4, rounds = 3;
    size_t events = 64000, batch = 100;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0) {
            events = 16000;
            rounds = 1;
        } else if (strcmp (argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi (argv[++i]);
        else if (strcmp (argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp (argv[i], "--events") == 0 && i + 1 < argc)
            events = strtoull (argv[++i], NULL, 10);
        else if (strcmp (argv[i], "--clients") == 0 && i + 1 < argc)
            clients = atoi (argv[++i]);
        else if (strcmp (argv[i], "--batch") == 0 && i + 1 < argc)
            batch = strtoull (argv[++i], NULL, 10);
        else if (strcmp (argv[i], "--window") == 0 && i + 1 < argc)
            window = atoi (argv[++i]);
        else if (strcmp (argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi (argv[++i]);
        else {
            fprintf (stderr, "usage: bench_redis --port P [--host H] "
                             "[--quick] [--events N] [--clients C] "
                             "[--batch B] [--window W] [--rounds R]\n");
            return 2;
        }
    }
    if (port <= 0 || clients < 1 || clients > S_CLIENTS_MAX || window < 1 ||
        batch < 1 || rounds < 1 || rounds > 50 || events < (size_t)clients) {
        fprintf (stderr, "bench_redis: --port is required; options out of "
                         "range\n");
        return 2;
    }
    /* The server must fsync every write, or the comparison is void. */
    char reply[512];
    const char *get[] = {"CONFIG", "GET", "appendfsync"};
    if (!s_command (host, port, get, 3, reply, sizeof reply)) {
        fprintf (stderr, "bench_redis: no redis-server on %s:%d\n", host, port);
        return 1;
    }
    bool always = strstr (reply, "always") != NULL;
    const char *aof[] = {"CONFIG", "GET", "appendonly"};
    s_command (host, port, aof, 3, reply, sizeof reply);
    bool appendonly = strstr (reply, "yes") != NULL;
    if (!always || !appendonly)
        fprintf (stderr, "bench_redis: warning: server is not appendonly yes "
                         "+ appendfsync always\n");

    /* The same kind of event bytes the hub ingests. */
    const jk_type_t *type = jk_vocabulary_find ("person.registered", 17);
    uint8_t **bytes = jk_calloc (events, sizeof *bytes);
    size_t *sizes = jk_calloc (events, sizeof *sizes);
    for (size_t i = 0; i < events; i++) {
        char nik[48], name[48];
        snprintf (nik, sizeof nik, "32030101018%01zu%04zu", i / 9999 % 10,
                  i % 9999 + 1);
        snprintf (name, sizeof name, "Peserta %zu", i);
        jk_event_t *ev = jk_event_new (type);
        jk_event_set_source (ev, "32.03.01/bench-1");
        jk_event_set_actor (ev, "bench");
        ev->seq = i + 1;
        jk_event_set (ev, "nik", nik, NULL);
        jk_event_set (ev, "name", name, NULL);
        jk_event_set (ev, "sex", "L", NULL);
        jk_event_set (ev, "birth_date", "1981-01-01", NULL);
        jk_event_set (ev, "desa_code", "32.03.01.1006", NULL);
        bytes[i] = jk_event_encode (ev, &sizes[i]);
        jk_event_destroy (&ev);
    }
    double *rates = jk_calloc ((size_t)rounds, sizeof *rates);
    for (int r = 0; r < rounds; r++) {
        rates[r] = s_round (host, port, clients, batch, window, bytes, sizes,
                            events, r);
        if (rates[r] < 0) {
            fprintf (stderr, "bench_redis: round %d failed\n", r);
            return 1;
        }
    }
    double median = jk_bench_median (rates, (size_t)rounds);
    printf ("Redis Streams XADD, appendonly %s, appendfsync %s, %d clients, "
            "window %d x %zu, %zu events, %d rounds (median)\n",
            appendonly ? "yes" : "no", always ? "always" : "NOT always",
            clients, window, batch, events, rounds);
    printf ("  %-34s %12.0f ev/s\n", "XADD acknowledged", median);
    printf ("{\"bench\":\"redis\",\"clients\":%d,\"window\":%d,\"batch\":%zu,"
            "\"events\":%zu,\"rounds\":%d,\"appendfsync_always\":%s,"
            "\"xadd_ev_s\":%.0f}\n",
            clients, window, batch, events, rounds, always ? "true" : "false",
            median);
    for (size_t i = 0; i < events; i++)
        free (bytes[i]);
    free (bytes);
    free (sizes);
    free (rates);
    return 0;
}
