/*  bench_latency.c - acknowledgement and feed latency through the hub
    (broker + store actors as jejak-hub runs them, clients on ipc):
    - floor, measured in the same run: one fdatasync of a small append
      plus one ZeroMQ DEALER/ROUTER round trip over ipc;
    - one-at-a-time ack latency: SUBMIT of one event, wait for its ANSWER;
    - paced load: 5k ev/s offered from 32 offices (each its own DEALER,
      one event per SUBMIT, the offices taking turns every 200 us), ack
      latency per event from its first send to its final answer, and
      submit→subscriber latency (a SUB on the feed), an upper bound of
      commit→subscriber. An event refused with a retryable NACK (E_BUSY,
      E_UNAVAILABLE, or E_SEQ_GAP behind such a refusal) is resent after
      5 ms, as an agent would; its latency keeps counting from the first
      send. The paced figures are printed only when every event got its
      final answer and its feed record;
    - the same paced run against the transport floor (bench_floor.c: bare
      append + SHA-256 chain + FULL commit in the hub's process shape),
      before the hub, in the same run: the least ack latency this machine
      allows at that load.
    Usage: bench_latency [--quick] [--samples N] [--seconds S]
    Prints a table, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_SOURCE  "32.03.10/bench-single"
#define S_OFFICES 32
#define S_RATE    5000.0 /* events per second offered in the paced run */
#define S_RETRY_S 0.005  /* back-off before a retryable NACK is resent */
/* NIKs of the one-at-a-time events start here, clear of the offices'. */
#define S_SINGLE_NIK 900000

static int s_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (0..1) of count values; sorts them in place. */
static double s_percentile (double *values, size_t count, double p)
{
    if (count == 0)
        return 0;
    qsort (values, count, sizeof *values, s_cmp);
    size_t k = (size_t)(p * (double)(count - 1) + 0.5);
    return values[k];
}

/* The floor: median and p99 of fdatasync (ms) and the median of an ipc
   round trip (ms), over samples each. */
static void s_floor (const char *dir, size_t samples, double *fsync_p50,
                     double *fsync_p99, double *rtt_p50)
{
    char path[512];
    snprintf (path, sizeof path, "%s/fsync.bin", dir);
    int fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    double *t = jk_calloc (samples, sizeof (double));
    char block[512];
    memset (block, 'x', sizeof block);
    for (size_t i = 0; i < samples; i++) {
        double start = jk_bench_now ();
        if (write (fd, block, sizeof block) != (ssize_t)sizeof block ||
            fdatasync (fd)) {
            perror ("bench_latency: fsync floor");
            exit (1);
        }
        t[i] = (jk_bench_now () - start) * 1000;
    }
    close (fd);
    *fsync_p50 = jk_bench_median (t, samples);
    *fsync_p99 = s_percentile (t, samples, 0.99);

    char endpoint[512];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/echo", dir);
    zsock_t *router = zsock_new_router (endpoint);
    zsock_t *dealer = zsock_new_dealer (endpoint);
    for (size_t i = 0; i < samples; i++) {
        double start = jk_bench_now ();
        zstr_send (dealer, "ping");
        zmsg_t *msg = zmsg_recv (router);
        zmsg_send (&msg, router);
        char *pong = zstr_recv (dealer);
        zstr_free (&pong);
        t[i] = (jk_bench_now () - start) * 1000;
    }
    *rtt_p50 = jk_bench_median (t, samples);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
    free (t);
}

/* The paced run's state: every event's bytes and times, by index
   (office * per + k for the office's k-th event, seq k + 1). */
typedef struct {
    jk_bench_office_t offices[S_OFFICES];
    size_t per;      /* events per office */
    size_t count;    /* S_OFFICES * per */
    double *sent_at; /* first send */
    double *acked_at;
    bool *answered;
    bool *recorded;
    double *ack, *feed, *commit; /* ms, acks / records entries */
    size_t acks, records;
    size_t *retry; /* indices waiting to be resent, due at retry_at */
    double *retry_at;
    size_t retries;
    uint64_t resent;
    zhashx_t *by_id;     /* event id (hex) -> index + 1 */
    zhashx_t *by_source; /* source -> office + 1 */
    double elapsed;      /* first send to last answer and record */
} s_paced_t;

static void s_paced_free (s_paced_t *p)
{
    jk_bench_offices_free (p->offices, S_OFFICES);
    free (p->sent_at);
    free (p->acked_at);
    free (p->answered);
    free (p->recorded);
    free (p->ack);
    free (p->feed);
    free (p->commit);
    free (p->retry);
    free (p->retry_at);
    zhashx_destroy (&p->by_id);
    zhashx_destroy (&p->by_source);
}

static void s_send (s_paced_t *p, size_t index)
{
    jk_bench_office_t *o = &p->offices[index / p->per];
    size_t k = index % p->per;
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    zmsg_addmem (msg, o->bytes[k], o->sizes[k]);
    zmsg_send (&msg, o->sock);
}

/* Takes one ANSWER from office i: a final answer records the ack
   latency, a retryable NACK queues a resend. */
static void s_take_answer (s_paced_t *p, int i)
{
    zmsg_t *msg = zmsg_recv (p->offices[i].sock);
    char command[16];
    if (!msg || jk_wire_open (msg, command, sizeof command) != 0 ||
        !streq (command, "ANSWER")) {
        zmsg_destroy (&msg);
        return;
    }
    double now = jk_bench_now ();
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
        jk_answer_t a;
        if (jk_answer_decode (zframe_data (f), zframe_size (f), &a) != 0)
            continue;
        char hex[33];
        for (int b = 0; b < 16; b++)
            snprintf (hex + 2 * b, 3, "%02x", a.id[b]);
        size_t found = (size_t)zhashx_lookup (p->by_id, hex);
        if (found == 0 || p->answered[found - 1])
            continue;
        size_t index = found - 1;
        if (a.kind == JK_ANSWER_NACK) {
            if (!jk_answer_retryable (&a))
                fprintf (stderr, "bench_latency: NACK %s %s\n", a.code,
                         a.message);
            p->retry[p->retries] = index;
            p->retry_at[p->retries++] = now + S_RETRY_S;
            continue;
        }
        p->answered[index] = true;
        p->acked_at[index] = now;
        p->ack[p->acks++] = (now - p->sent_at[index]) * 1000;
    }
    zmsg_destroy (&msg);
}

/* Takes one feed record: submit->subscriber and ack->subscriber. */
static void s_take_record (s_paced_t *p, zsock_t *sub)
{
    zmsg_t *msg = zmsg_recv (sub);
    jk_record_t r;
    jk_envelope_t env;
    if (msg && jk_record_read (msg, &r) == 0 &&
        jk_envelope_peek (r.bytes, r.size, &env)) {
        size_t office = (size_t)zhashx_lookup (p->by_source, env.source);
        if (office > 0 && env.seq >= 1 && env.seq <= p->per) {
            size_t index = (office - 1) * p->per + (size_t)(env.seq - 1);
            double now = jk_bench_now ();
            if (!p->recorded[index]) {
                p->recorded[index] = true;
                p->feed[p->records] = (now - p->sent_at[index]) * 1000;
                /* The store answers before it publishes: the ack's
                   arrival stands for the commit. */
                p->commit[p->records++] =
                    p->answered[index] ? (now - p->acked_at[index]) * 1000 : 0;
            }
        }
    }
    zmsg_destroy (&msg);
}

/* Sends every retry that is due, in index order (so an office's events
   go out in seq order). */
static void s_resend_due (s_paced_t *p, double now)
{
    size_t kept = 0, due[64];
    size_t ndue = 0;
    for (size_t r = 0; r < p->retries; r++) {
        if (p->retry_at[r] <= now && ndue < 64)
            due[ndue++] = p->retry[r];
        else {
            p->retry[kept] = p->retry[r];
            p->retry_at[kept++] = p->retry_at[r];
        }
    }
    p->retries = kept;
    for (size_t a = 1; a < ndue; a++)
        for (size_t b = a; b > 0 && due[b - 1] > due[b]; b--) {
            size_t t = due[b];
            due[b] = due[b - 1];
            due[b - 1] = t;
        }
    for (size_t d = 0; d < ndue; d++) {
        s_send (p, due[d]);
        p->resent++;
    }
}

/* 5k ev/s offered for seconds from S_OFFICES offices; true when every
   event got its final answer and (when sub is set) its feed record before
   the deadline. */
static bool s_paced_run (s_paced_t *p, const jk_bench_hub_t *hub, zsock_t *sub,
                         double seconds)
{
    memset (p, 0, sizeof *p);
    p->per = (size_t)(seconds * S_RATE) / S_OFFICES;
    if (p->per == 0)
        p->per = 1;
    p->count = p->per * S_OFFICES;
    jk_bench_offices_fill (p->offices, S_OFFICES, p->per);
    p->sent_at = jk_calloc (p->count, sizeof (double));
    p->acked_at = jk_calloc (p->count, sizeof (double));
    p->answered = jk_calloc (p->count, sizeof (bool));
    p->recorded = jk_calloc (p->count, sizeof (bool));
    p->ack = jk_calloc (p->count, sizeof (double));
    p->feed = jk_calloc (p->count, sizeof (double));
    p->commit = jk_calloc (p->count, sizeof (double));
    /* Every event can wait for a resend at most once at a time. */
    p->retry = jk_calloc (p->count, sizeof (size_t));
    p->retry_at = jk_calloc (p->count, sizeof (double));
    p->by_id = zhashx_new ();
    p->by_source = zhashx_new ();
    zmq_pollitem_t items[S_OFFICES + 1];
    for (int i = 0; i < S_OFFICES; i++) {
        jk_bench_office_t *o = &p->offices[i];
        zhashx_insert (p->by_source, o->source, (void *)(size_t)(i + 1));
        for (size_t k = 0; k < p->per; k++) {
            jk_envelope_t env;
            jk_envelope_peek (o->bytes[k], o->sizes[k], &env);
            char hex[33];
            for (int b = 0; b < 16; b++)
                snprintf (hex + 2 * b, 3, "%02x", env.id[b]);
            zhashx_insert (p->by_id, hex, (void *)((size_t)i * p->per + k + 1));
        }
        o->sock = zsock_new_dealer (hub->ingest);
        zsock_set_linger (o->sock, 0);
        items[i] = (zmq_pollitem_t){zsock_resolve (o->sock), 0, ZMQ_POLLIN, 0};
    }
    int nitems = S_OFFICES;
    if (sub)
        items[nitems++] =
            (zmq_pollitem_t){zsock_resolve (sub), 0, ZMQ_POLLIN, 0};
    /* The offices take turns: event j is office j % 32's next one. */
    size_t next = 0;
    double begin = jk_bench_now ();
    while (p->acks < p->count || (sub && p->records < p->count)) {
        double now = jk_bench_now ();
        while (next < p->count && now >= begin + (double)next / S_RATE) {
            size_t index = (next % S_OFFICES) * p->per + next / S_OFFICES;
            p->sent_at[index] = jk_bench_now ();
            s_send (p, index);
            next++;
            now = jk_bench_now ();
        }
        s_resend_due (p, now);
        /* Sleep until the next send is due (the client must not spin:
           it shares the two cores with the hub), at most 100 ms. */
        double until =
            next < p->count ? begin + (double)next / S_RATE : now + 0.1;
        if (p->retries && p->retry_at[0] < until)
            until = p->retry_at[0];
        long wait_ms = until > now ? (long)((until - now) * 1000) + 1 : 0;
        if (zmq_poll (items, nitems, wait_ms) < 0)
            break;
        for (int i = 0; i < S_OFFICES; i++)
            if (items[i].revents & ZMQ_POLLIN)
                s_take_answer (p, i);
        if (sub && (items[S_OFFICES].revents & ZMQ_POLLIN))
            s_take_record (p, sub);
        if (jk_bench_now () - begin > seconds + 30) {
            fprintf (stderr,
                     "bench_latency: paced run did not finish: %zu of %zu "
                     "answered, %zu recorded\n",
                     p->acks, p->count, p->records);
            break;
        }
    }
    p->elapsed = jk_bench_now () - begin;
    for (int i = 0; i < S_OFFICES; i++)
        zsock_destroy (&p->offices[i].sock);
    return p->acks == p->count && (!sub || p->records == p->count);
}

int main (int argc, char **argv)
{
    size_t samples = 2000;
    double seconds = 4;
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--quick")) {
            samples = 300;
            seconds = 1;
        } else if (streq (argv[i], "--samples") && i + 1 < argc)
            samples = strtoull (argv[++i], NULL, 10);
        else if (streq (argv[i], "--seconds") && i + 1 < argc)
            seconds = atof (argv[++i]);
        else {
            fprintf (stderr, "usage: bench_latency [--quick] [--samples N] "
                             "[--seconds S]\n");
            return 2;
        }
    }
    if (samples < 10 || seconds <= 0 || seconds > 600) {
        fprintf (stderr, "bench_latency: options out of range\n");
        return 2;
    }
    jk_log_set_level (JK_LOG_WARN);
    char *dir = jk_bench_tmpdir ("latency");
    double fsync_p50, fsync_p99, rtt_p50;
    s_floor (dir, samples, &fsync_p50, &fsync_p99, &rtt_p50);
    double floor_ms = fsync_p50 + rtt_p50;

    /* The paced run against the transport floor first: the same offices
       and pacing into the bare append + chain + FULL commit. */
    jk_bench_hub_t floor;
    if (jk_bench_floor_start (&floor, dir, "latency"))
        return 1;
    s_paced_t floor_paced;
    bool floor_complete = s_paced_run (&floor_paced, &floor, NULL, seconds);
    jk_bench_hub_stop (&floor);
    double floor_p50 = s_percentile (floor_paced.ack, floor_paced.acks, 0.50);
    double floor_p99 = s_percentile (floor_paced.ack, floor_paced.acks, 0.99);
    s_paced_free (&floor_paced);
    if (!floor_complete)
        fprintf (stderr, "bench_latency: the floor's paced run did not "
                         "finish\n");

    jk_bench_hub_t hub;
    if (jk_bench_hub_start (&hub, dir, "latency", NULL, NULL))
        return 1;
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (sub, 0);
    zsock_set_subscribe (sub, "person.");
    zsock_set_subscribe (sub, "$head");
    zsock_connect (sub, "%s", hub.feed);
    zsock_t *agent = zsock_new_dealer (hub.ingest);
    /* Ready: the subscriber has seen a $head (store heard, subscription
       live). */
    while (true) {
        zmsg_t *msg = zmsg_recv (sub);
        bool head = msg && zframe_streq (zmsg_first (msg), "$head");
        zmsg_destroy (&msg);
        if (head)
            break;
    }
    zsock_set_unsubscribe (sub, "$head");

    /* One at a time. */
    uint64_t seq = 0;
    double *t = jk_calloc (samples, sizeof (double));
    for (size_t i = 0; i < samples; i++) {
        size_t size;
        ++seq;
        uint8_t *bytes =
            jk_bench_person (S_SOURCE, seq, S_SINGLE_NIK + seq, &size);
        double start = jk_bench_now ();
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        zmsg_addmem (msg, bytes, size);
        zmsg_send (&msg, agent);
        msg = zmsg_recv (agent);
        t[i] = (jk_bench_now () - start) * 1000;
        zmsg_destroy (&msg);
        free (bytes);
        /* Drain the feed so it does not pile up. */
        while ((zsock_events (sub) & ZMQ_POLLIN) && (msg = zmsg_recv (sub)))
            zmsg_destroy (&msg);
    }
    double single_p50 = s_percentile (t, samples, 0.50);
    double single_p99 = s_percentile (t, samples, 0.99);

    /* Paced: 5k ev/s offered from 32 offices, one event per SUBMIT. */
    s_paced_t paced;
    bool complete = s_paced_run (&paced, &hub, sub, seconds);
    double elapsed = paced.elapsed;
    size_t n = paced.count;
    double paced_p50 = s_percentile (paced.ack, paced.acks, 0.50);
    double paced_p99 = s_percentile (paced.ack, paced.acks, 0.99);
    double feed_p50 = s_percentile (paced.feed, paced.records, 0.50);
    double feed_p99 = s_percentile (paced.feed, paced.records, 0.99);
    double commit_p50 = s_percentile (paced.commit, paced.records, 0.50);
    double commit_p99 = s_percentile (paced.commit, paced.records, 0.99);

    printf ("ack and feed latency through the hub (ms)\n");
    printf ("  %-40s %8.3f\n", "floor: fdatasync p50", fsync_p50);
    printf ("  %-40s %8.3f\n", "floor: fdatasync p99", fsync_p99);
    printf ("  %-40s %8.3f\n", "floor: ipc round trip p50", rtt_p50);
    printf ("  %-40s %8.3f\n", "floor (sum)", floor_ms);
    printf ("  %-40s %8.3f\n", "one at a time: ack p50", single_p50);
    printf ("  %-40s %8.3f\n", "one at a time: ack p99", single_p99);
    printf ("  %-40s %8d\n", "paced: offices", S_OFFICES);
    printf ("  %-40s %8.0f\n", "paced: achieved ev/s", (double)n / elapsed);
    printf ("  %-40s %8zu / %zu\n", "paced: answered / sent", paced.acks, n);
    printf ("  %-40s %8" PRIu64 "\n", "paced: retryable NACKs resent",
            paced.resent);
    if (floor_complete) {
        printf ("  %-40s %8.3f\n", "transport floor, paced: ack p50",
                floor_p50);
        printf ("  %-40s %8.3f\n", "transport floor, paced: ack p99",
                floor_p99);
    }
    if (complete) {
        printf ("  %-40s %8.3f\n", "paced 5k ev/s: ack p50", paced_p50);
        printf ("  %-40s %8.3f\n", "paced 5k ev/s: ack p99", paced_p99);
        printf ("  %-40s %8.3f\n", "paced: submit->subscriber p50", feed_p50);
        printf ("  %-40s %8.3f\n", "paced: submit->subscriber p99", feed_p99);
        printf ("  %-40s %8.3f\n", "paced: ack->subscriber p50", commit_p50);
        printf ("  %-40s %8.3f\n", "paced: ack->subscriber p99", commit_p99);
    } else
        printf ("  paced run incomplete: no paced figures\n");
    printf ("{\"bench\":\"latency\",\"samples\":%zu,\"floor_ms\":%.3f,"
            "\"fsync_ms\":%.3f,\"fsync_p99_ms\":%.3f,\"rtt_ms\":%.3f,"
            "\"ack_p50_ms\":%.3f,"
            "\"ack_p99_ms\":%.3f,\"paced_offices\":%d,\"paced_events\":%zu,"
            "\"paced_ev_s\":%.0f,\"paced_resent\":%" PRIu64
            ",\"paced_complete\":%s",
            samples, floor_ms, fsync_p50, fsync_p99, rtt_p50, single_p50,
            single_p99, S_OFFICES, n, (double)n / elapsed, paced.resent,
            complete ? "true" : "false");
    if (complete)
        printf (",\"paced_ack_p50_ms\":%.3f,\"paced_ack_p99_ms\":%.3f,"
                "\"feed_p50_ms\":%.3f,\"feed_p99_ms\":%.3f,"
                "\"commit_feed_p50_ms\":%.3f,\"commit_feed_p99_ms\":%.3f",
                paced_p50, paced_p99, feed_p50, feed_p99, commit_p50,
                commit_p99);
    if (floor_complete)
        printf (",\"floor_paced_ack_p50_ms\":%.3f,"
                "\"floor_paced_ack_p99_ms\":%.3f",
                floor_p50, floor_p99);
    printf ("}\n");
    s_paced_free (&paced);
    free (t);
    zsock_destroy (&agent);
    zsock_destroy (&sub);
    jk_bench_hub_stop (&hub);
    jk_bench_rmdir (&dir);
    return complete ? 0 : 1;
}
