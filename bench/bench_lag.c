/*  bench_lag.c - how far the projections fall behind the acknowledged log
    at full ingest. An in-process hub (broker + store actors, as jejak-hub
    runs them, the default lag bound of 50,000 records) takes person.
    registered events from 32 simulated offices as fast as it acknowledges
    them (SUBMITs of 100, 4 in flight per office), while a sampler asks the
    query endpoint for STATS every 5 ms and keeps projection_lag_ms (how
    long ago the oldest batch not yet projected was committed) and
    projection_lag (records). Reports the ingest rate, the lag's p50, p99
    and largest sample over the ingest, the store's own
    projection_lag_max_ms (the most seen at any batch), and the E_BUSY
    answers the bound gave (retryable NACKs). Rounds: --rounds R (default
    3), each on a fresh hub; medians of the rounds' p99. Each round is
    1,000,000 events unless --events says otherwise (--quick: 16,000, one
    round): sustained ingest, tens of seconds, because a projector that
    falls behind only slowly shows it only then (a round of 64,000
    events, under a second, once hid a lag p99 four times the goal).
    Usage: bench_lag [--quick] [--events N] [--rounds R]
    Prints a line per round, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_OFFICES   32
#define S_EVENTS    1000000 /* a round's events unless --events or --quick */
#define S_SAMPLE_MS 5
#define S_SAMPLES   200000 /* at most: 1,000 s of samples */

/* One STATS sample. */
typedef struct {
    int64_t lag_ms;
    int64_t lag;
} s_sample_t;

typedef struct {
    const char *query;
    s_sample_t *samples;
    size_t count;
    int64_t lag_max_ms; /* the store's projection_lag_max_ms, last seen */
} s_sampler_t;

static int64_t s_key (const char *text, const char *key)
{
    const char *at = text ? strstr (text, key) : NULL;
    return at ? strtoll (at + strlen (key), NULL, 10) : -1;
}

/* Asks STATS every S_SAMPLE_MS until $TERM on its pipe. */
static void s_sampler (zsock_t *pipe, void *arg)
{
    s_sampler_t *self = arg;
    zsock_t *query = zsock_new_dealer (self->query);
    zsock_set_linger (query, 0);
    zpoller_t *poller = zpoller_new (pipe, query, NULL);
    zsock_signal (pipe, 0);
    bool asked = false;
    int64_t next = jk_clock_mono_ms ();
    while (true) {
        int64_t now = jk_clock_mono_ms ();
        if (!asked && now >= next) {
            zmsg_t *msg = jk_wire_new ("STATS");
            zmsg_send (&msg, query);
            asked = true;
            next = now + S_SAMPLE_MS;
        }
        int wait = asked ? 1000 : (int)(next - now > 0 ? next - now : 0);
        void *which = zpoller_wait (poller, wait);
        if (which == pipe)
            break;
        if (which != query)
            continue;
        zmsg_t *msg = zmsg_recv (query);
        char command[16];
        if (msg && jk_wire_open (msg, command, sizeof command) == 0 &&
            streq (command, "STATS")) {
            char *text = zmsg_popstr (msg);
            int64_t lag_ms = s_key (text, " projection_lag_ms=");
            int64_t lag = s_key (text, " projection_lag=");
            int64_t max_ms = s_key (text, " projection_lag_max_ms=");
            int64_t head = s_key (text, " head=");
            if (lag_ms >= 0 && head > 0 && self->count < S_SAMPLES)
                self->samples[self->count++] = (s_sample_t){lag_ms, lag};
            if (max_ms >= 0)
                self->lag_max_ms = max_ms;
            free (text);
        }
        zmsg_destroy (&msg);
        asked = false;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&query);
}

static int s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The p-quantile of count values (sorted in place). */
static int64_t s_pct (int64_t *v, size_t count, double p)
{
    if (count == 0)
        return -1;
    qsort (v, count, sizeof *v, s_cmp);
    return v[(size_t)(p * (double)(count - 1))];
}

/* Prints round r's line from its samples; its lag p99 and largest
   sample (ms) into *p99_ms and *max_ms. */
static void s_round_report (int r, double eps, const s_sampler_t *sampler,
                            uint64_t round_nacks, int64_t *p99_ms_out,
                            int64_t *max_ms_out)
{
    int64_t *ms = jk_calloc (sampler->count, sizeof *ms);
    int64_t *recs = jk_calloc (sampler->count, sizeof *recs);
    for (size_t i = 0; i < sampler->count; i++) {
        ms[i] = sampler->samples[i].lag_ms;
        recs[i] = sampler->samples[i].lag;
    }
    int64_t p50_ms = s_pct (ms, sampler->count, 0.5);
    int64_t p99_ms = s_pct (ms, sampler->count, 0.99);
    int64_t max_ms = ms[sampler->count - 1];
    int64_t p99_recs = s_pct (recs, sampler->count, 0.99);
    printf ("round %d: %.0f ev/s, %zu samples, lag p50 %" PRId64
            " ms, p99 %" PRId64 " ms, largest sample %" PRId64
            " ms; p99 %" PRId64 " records; store's max at a batch %" PRId64
            " ms; E_BUSY %" PRIu64 "\n",
            r + 1, eps, sampler->count, p50_ms, p99_ms, max_ms, p99_recs,
            sampler->lag_max_ms, round_nacks);
    *p99_ms_out = p99_ms;
    *max_ms_out = max_ms;
    free (ms);
    free (recs);
}

int main (int argc, char **argv)
{
    jk_bench_ingest_options_t opt;
    if (jk_bench_ingest_options ("bench_lag", argc, argv, S_OFFICES, S_EVENTS,
                                 &opt))
        return 2;
    jk_log_set_level (JK_LOG_WARN);
    jk_bench_office_t offices[S_OFFICES];
    jk_bench_offices_fill (offices, S_OFFICES, opt.events / S_OFFICES);
    char *dir = jk_bench_tmpdir ("lag");
    double *p99 = jk_calloc ((size_t)opt.rounds, sizeof (double));
    int64_t worst_ms = 0, worst_sample = 0;
    uint64_t nacks = 0;
    size_t samples = 0;
    double rate = 0;
    for (int r = 0; r < opt.rounds; r++) {
        char name[32];
        snprintf (name, sizeof name, "lag-%d", r);
        jk_bench_hub_t hub;
        if (jk_bench_hub_start (&hub, dir, name, NULL, NULL)) {
            fprintf (stderr, "bench_lag: the hub did not start\n");
            return 1;
        }
        s_sampler_t sampler = {.query = hub.query,
                               .samples =
                                   jk_calloc (S_SAMPLES, sizeof (s_sample_t))};
        zactor_t *actor = zactor_new (s_sampler, &sampler);
        uint64_t round_nacks = 0;
        double eps =
            jk_bench_offices_run (offices, S_OFFICES, &hub, opt.batch,
                                  opt.window, &round_nacks, "bench_lag");
        zactor_destroy (&actor);
        jk_bench_hub_stop (&hub);
        if (eps < 0 || sampler.count == 0) {
            fprintf (stderr, "bench_lag: round %d failed\n", r + 1);
            return 1;
        }
        int64_t p99_ms, max_ms;
        s_round_report (r, eps, &sampler, round_nacks, &p99_ms, &max_ms);
        fflush (stdout);
        p99[r] = (double)p99_ms;
        worst_sample = max_ms > worst_sample ? max_ms : worst_sample;
        worst_ms =
            sampler.lag_max_ms > worst_ms ? sampler.lag_max_ms : worst_ms;
        nacks += round_nacks;
        samples += sampler.count;
        rate += eps / opt.rounds;
        free (sampler.samples);
    }
    double median = jk_bench_median (p99, (size_t)opt.rounds);
    printf ("projection lag at full ingest, %d offices, %zu events a round, "
            "%d rounds\n",
            S_OFFICES, opt.events, opt.rounds);
    printf ("  %-40s %12.0f ev/s\n", "ingest (mean of rounds)", rate);
    printf ("  %-40s %12.0f ms\n", "lag p99 (median of rounds)", median);
    printf ("  %-40s %12" PRId64 " ms\n", "largest sample", worst_sample);
    printf ("  %-40s %12" PRId64 " ms\n", "store's max at a batch", worst_ms);
    printf ("  %-40s %12" PRIu64 "\n", "E_BUSY answers", nacks);
    printf ("{\"bench\":\"lag\",\"offices\":%d,\"events\":%zu,\"rounds\":%d,"
            "\"ingest_ev_s\":%.0f,\"samples\":%zu,\"lag_p99_ms\":%.0f,"
            "\"lag_sample_max_ms\":%" PRId64 ",\"lag_max_ms\":%" PRId64
            ",\"busy\":%" PRIu64 "}\n",
            S_OFFICES, opt.events, opt.rounds, rate, samples, median,
            worst_sample, worst_ms, nacks);
    jk_bench_offices_free (offices, S_OFFICES);
    free (p99);
    jk_bench_rmdir (&dir);
    return 0;
}
