/*  bench_ingest.c - end-to-end ingest through the hub (broker + store
    actors, as jejak-hub runs them, agents on ipc) from 32 simulated
    offices, each its own DEALER with a window of SUBMITs in flight, every
    event acknowledged after a FULL commit; beside the bare SQLite append +
    SHA-256 baseline (bench/common) on the same events in the same run,
    rounds interleaved, medians reported.
    Usage: bench_ingest [--quick] [--events N] [--rounds R] [--batch B]
                        [--window W]
    Prints a table, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_OFFICES 32

/* One round through a fresh hub: events per second, or -1. */
static double s_hub_round (const jk_bench_ingest_options_t *opt,
                           jk_bench_office_t *offices, const char *dir,
                           int round, uint64_t *nacks)
{
    char name[16];
    snprintf (name, sizeof name, "%d", round);
    jk_bench_hub_t hub;
    if (jk_bench_hub_start (&hub, dir, name, NULL, NULL))
        return -1;
    double rate = jk_bench_offices_run (offices, S_OFFICES, &hub, opt->batch,
                                        opt->window, nacks, "bench_ingest");
    jk_bench_hub_stop (&hub);
    return rate;
}

int main (int argc, char **argv)
{
    jk_bench_ingest_options_t opt;
    if (jk_bench_ingest_options ("bench_ingest", argc, argv, S_OFFICES, &opt))
        return 2;
    jk_log_set_level (JK_LOG_WARN);
    jk_bench_office_t offices[S_OFFICES];
    size_t per = opt.events / S_OFFICES;
    jk_bench_offices_fill (offices, S_OFFICES, per);
    jk_bench_event_t *rows = jk_calloc (per * S_OFFICES, sizeof *rows);
    size_t n = 0;
    for (int i = 0; i < S_OFFICES; i++)
        for (size_t k = 0; k < per; k++, n++)
            jk_bench_event (offices[i].bytes[k], offices[i].sizes[k], &rows[n]);
    char *dir = jk_bench_tmpdir ("ingest");
    double *hub = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *base = jk_calloc ((size_t)opt.rounds, sizeof (double));
    uint64_t nacks = 0;
    for (int r = 0; r < opt.rounds; r++) {
        char path[512];
        snprintf (path, sizeof path, "%s/baseline-%d.db", dir, r);
        base[r] = jk_bench_baseline (path, rows, n, 1000);
        hub[r] = s_hub_round (&opt, offices, dir, r, &nacks);
        if (hub[r] < 0 || base[r] < 0) {
            fprintf (stderr, "bench_ingest: round %d failed\n", r);
            return 1;
        }
    }
    double hub_median = jk_bench_median (hub, (size_t)opt.rounds);
    double base_median = jk_bench_median (base, (size_t)opt.rounds);
    printf ("hub ingest, %d offices, %zu events, SUBMIT of %zu, window %d, "
            "%d rounds (medians)\n",
            S_OFFICES, n, opt.batch, opt.window, opt.rounds);
    printf ("  %-34s %12.0f ev/s\n", "hub (acked after FULL commit)",
            hub_median);
    printf ("  %-34s %12.0f ev/s\n", "baseline (bare append + SHA-256)",
            base_median);
    printf ("  %-34s %12.2f\n", "ingest_ratio", hub_median / base_median);
    printf ("  %-34s %12" PRIu64 "\n", "retryable NACKs", nacks);
    printf ("{\"bench\":\"ingest\",\"offices\":%d,\"events\":%zu,"
            "\"batch\":%zu,\"window\":%d,\"rounds\":%d,"
            "\"hub_ev_s\":%.0f,\"baseline_ev_s\":%.0f,"
            "\"ingest_ratio\":%.3f,\"nacks\":%" PRIu64 "}\n",
            S_OFFICES, n, opt.batch, opt.window, opt.rounds, hub_median,
            base_median, hub_median / base_median, nacks);
    jk_bench_offices_free (offices, S_OFFICES);
    free (rows);
    free (hub);
    free (base);
    jk_bench_rmdir (&dir);
    return 0;
}
