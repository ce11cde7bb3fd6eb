/*  bench_latency.c - acknowledgement and feed latency through the hub
    (broker + store actors as jejak-hub runs them, clients on ipc):
    - floor, measured in the same run: one fdatasync of a small append
      plus one ZeroMQ DEALER/ROUTER round trip over ipc;
    - one-at-a-time ack latency: SUBMIT of one event, wait for its ANSWER;
    - paced load: one event every 200 us (5k ev/s offered), ack latency
      per event, and submit→subscriber latency (a SUB on the feed), an
      upper bound of commit→subscriber.
    Usage: bench_latency [--quick] [--samples N] [--seconds S]
    Prints a table, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/bench-1"

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

/* The floor: median and p99 of fdatasync (ms) and of an ipc round trip
   (ms), over samples each. */
static void s_floor (const char *dir, size_t samples, double *fsync_p50,
                     double *rtt_p50)
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
    double fsync_p50, rtt_p50;
    s_floor (dir, samples, &fsync_p50, &rtt_p50);
    double floor_ms = fsync_p50 + rtt_p50;

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
        uint8_t *bytes = jk_bench_person (S_SOURCE, seq, seq, &size);
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

    /* Paced: 5k ev/s offered, one event per SUBMIT. */
    size_t paced = (size_t)(seconds * 5000);
    double *sent_at = jk_calloc (paced + 1, sizeof (double));
    double *ack = jk_calloc (paced, sizeof (double));
    double *feed_lat = jk_calloc (paced, sizeof (double));
    double *acked_at = jk_calloc (paced, sizeof (double));
    double *commit_lat = jk_calloc (paced, sizeof (double));
    uint64_t first_seq = seq + 1;
    size_t acks = 0, records = 0, next = 0;
    double begin = jk_bench_now ();
    zmq_pollitem_t items[] = {{zsock_resolve (agent), 0, ZMQ_POLLIN, 0},
                              {zsock_resolve (sub), 0, ZMQ_POLLIN, 0}};
    while (acks < paced || records < paced) {
        double now = jk_bench_now ();
        while (next < paced && now >= begin + (double)next * 0.0002) {
            size_t size;
            ++seq;
            uint8_t *bytes = jk_bench_person (S_SOURCE, seq, seq, &size);
            zmsg_t *msg = jk_wire_new ("SUBMIT");
            zmsg_addmem (msg, bytes, size);
            sent_at[next++] = jk_bench_now ();
            zmsg_send (&msg, agent);
            free (bytes);
            now = jk_bench_now ();
        }
        long wait_ms = next < paced ? 0 : 1000;
        if (zmq_poll (items, 2, wait_ms) < 0)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv (agent);
            char command[16];
            zframe_t *f;
            jk_answer_t a;
            if (jk_wire_open (msg, command, sizeof command) == 0 &&
                (f = zmsg_first (msg)) &&
                jk_answer_decode (zframe_data (f), zframe_size (f), &a) == 0 &&
                acks < paced) {
                /* Answers come back in submission order. */
                acked_at[acks] = jk_bench_now ();
                ack[acks] = (acked_at[acks] - sent_at[acks]) * 1000;
                acks++;
            }
            zmsg_destroy (&msg);
        }
        if (items[1].revents & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv (sub);
            jk_record_t r;
            jk_envelope_t env;
            if (jk_record_read (msg, &r) == 0 &&
                jk_envelope_peek (r.bytes, r.size, &env) &&
                env.seq >= first_seq && env.seq - first_seq < paced) {
                size_t k = (size_t)(env.seq - first_seq);
                double now_feed = jk_bench_now ();
                feed_lat[records] = (now_feed - sent_at[k]) * 1000;
                /* The store answers before it publishes: the ack's
                   arrival stands for the commit. */
                commit_lat[records++] =
                    k < acks ? (now_feed - acked_at[k]) * 1000 : 0;
            }
            zmsg_destroy (&msg);
        }
        if (jk_bench_now () - begin > seconds + 30) {
            fprintf (stderr, "bench_latency: paced run did not finish\n");
            return 1;
        }
    }
    double elapsed = jk_bench_now () - begin;
    double paced_p50 = s_percentile (ack, paced, 0.50);
    double paced_p99 = s_percentile (ack, paced, 0.99);
    double feed_p50 = s_percentile (feed_lat, paced, 0.50);
    double feed_p99 = s_percentile (feed_lat, paced, 0.99);
    double commit_p50 = s_percentile (commit_lat, paced, 0.50);
    double commit_p99 = s_percentile (commit_lat, paced, 0.99);

    printf ("ack and feed latency through the hub (ms)\n");
    printf ("  %-40s %8.3f\n", "floor: fdatasync p50", fsync_p50);
    printf ("  %-40s %8.3f\n", "floor: ipc round trip p50", rtt_p50);
    printf ("  %-40s %8.3f\n", "floor (sum)", floor_ms);
    printf ("  %-40s %8.3f\n", "one at a time: ack p50", single_p50);
    printf ("  %-40s %8.3f\n", "one at a time: ack p99", single_p99);
    printf ("  %-40s %8.0f\n", "paced: achieved ev/s", (double)paced / elapsed);
    printf ("  %-40s %8.3f\n", "paced 5k ev/s: ack p50", paced_p50);
    printf ("  %-40s %8.3f\n", "paced 5k ev/s: ack p99", paced_p99);
    printf ("  %-40s %8.3f\n", "paced: submit->subscriber p50", feed_p50);
    printf ("  %-40s %8.3f\n", "paced: submit->subscriber p99", feed_p99);
    printf ("  %-40s %8.3f\n", "paced: ack->subscriber p50", commit_p50);
    printf ("  %-40s %8.3f\n", "paced: ack->subscriber p99", commit_p99);
    printf ("{\"bench\":\"latency\",\"samples\":%zu,\"floor_ms\":%.3f,"
            "\"fsync_ms\":%.3f,\"rtt_ms\":%.3f,\"ack_p50_ms\":%.3f,"
            "\"ack_p99_ms\":%.3f,\"paced_ev_s\":%.0f,"
            "\"paced_ack_p50_ms\":%.3f,\"paced_ack_p99_ms\":%.3f,"
            "\"feed_p50_ms\":%.3f,\"feed_p99_ms\":%.3f,"
            "\"commit_feed_p50_ms\":%.3f,\"commit_feed_p99_ms\":%.3f}\n",
            samples, floor_ms, fsync_p50, rtt_p50, single_p50, single_p99,
            (double)paced / elapsed, paced_p50, paced_p99, feed_p50, feed_p99,
            commit_p50, commit_p99);
    free (acked_at);
    free (commit_lat);
    free (t);
    free (sent_at);
    free (ack);
    free (feed_lat);
    zsock_destroy (&agent);
    zsock_destroy (&sub);
    jk_bench_hub_stop (&hub);
    jk_bench_rmdir (&dir);
    return 0;
}
