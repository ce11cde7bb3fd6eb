/*  bench_ingest.c - end-to-end ingest through the hub (broker + store
    actors, as jejak-hub runs them, agents on ipc) from 32 simulated
    offices, each its own DEALER with a window of SUBMITs in flight, every
    event acknowledged after a FULL commit; beside the bare SQLite append +
    SHA-256 baseline (bench/common) on the same events and beside the
    TRANSPORT FLOOR (bench_floor.c: the same 32 offices, sockets, SUBMITs
    and window into a front + writer pair in the hub's process shape that
    only appends, chains, commits FULL and answers), in the same run,
    rounds interleaved, medians reported. floor_ratio = hub / floor: the
    share of the physical limit for a durable-ack ingest that the hub
    reaches here. Each round also runs the hub without its Merkle tree
    (jk_store_config_t no_tree, jejak-hub --no-tree): tree_ratio = hub /
    hub without the tree, what the tree costs ingest (the two in turn
    first, round by round; also the median of the rounds' own ratios),
    and how far the stored tree was behind the log at the last answer and
    how long it took to reach the head.
    --checkpoint-frames F: the hubs' stores checkpoint their WAL from F
    frames (default the store's 20,000; the floor keeps its 20,000).
    The floor and the baseline open their logs through the store's VFS
    (jk_vfs.h), the harder references; --plain-baseline gives them
    SQLite's default VFS (and the baseline SQLite's automatic
    checkpoints), as in the figures before the store had its VFS.
    --only hub|floor: each round runs that target alone (no baseline, no
    other target), for profiling one process shape (perf, bench/threadcpu);
    it prints each round's rate and their median only.
    Usage: bench_ingest [--quick] [--events N] [--rounds R] [--batch B]
                        [--window W] [--checkpoint-frames F]
                        [--plain-baseline] [--only hub|floor]
    Prints a table, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_OFFICES 32

/* --only TARGET, taken out of argv (the other options are shared with
   the other ingest benchmarks): the target alone, or -1 when absent; 2
   after a usage error. */
static int s_only (int *argc, char **argv, jk_bench_target_t *target)
{
    for (int i = 1; i < *argc; i++) {
        if (!streq (argv[i], "--only"))
            continue;
        if (i + 1 < *argc && streq (argv[i + 1], "hub"))
            *target = JK_BENCH_HUB;
        else if (i + 1 < *argc && streq (argv[i + 1], "floor"))
            *target = JK_BENCH_FLOOR;
        else {
            fprintf (stderr, "bench_ingest: --only takes hub or floor\n");
            return 2;
        }
        memmove (&argv[i], &argv[i + 2],
                 (size_t)(*argc - i - 1) * sizeof *argv);
        *argc -= 2;
        return 0;
    }
    return -1;
}

/* Rounds of one target alone (--only): each round's rate, the median. */
static int s_run_only (const jk_bench_ingest_options_t *opt,
                       jk_bench_office_t *offices, const char *dir,
                       jk_bench_target_t target)
{
    double *rate = jk_calloc ((size_t)opt->rounds, sizeof (double));
    uint64_t nacks = 0;
    int rc = 0;
    for (int r = 0; r < opt->rounds && rc == 0; r++) {
        rate[r] = jk_bench_ingest_round (opt, offices, S_OFFICES, dir, r,
                                         target, &nacks, NULL, "bench_ingest");
        printf ("round %d: %s %.0f ev/s\n", r + 1,
                target == JK_BENCH_HUB ? "hub" : "floor", rate[r]);
        if (rate[r] < 0)
            rc = 1;
    }
    if (rc == 0)
        printf ("{\"bench\":\"ingest\",\"only\":\"%s\",\"events\":%zu,"
                "\"rounds\":%d,\"ev_s\":%.0f,\"nacks\":%" PRIu64 "}\n",
                target == JK_BENCH_HUB ? "hub" : "floor",
                opt->events / S_OFFICES * S_OFFICES, opt->rounds,
                jk_bench_median (rate, (size_t)opt->rounds), nacks);
    free (rate);
    return rc;
}

int main (int argc, char **argv)
{
    jk_bench_target_t only_target = JK_BENCH_HUB;
    int only = s_only (&argc, argv, &only_target);
    if (only == 2)
        return 2;
    jk_bench_ingest_options_t opt;
    if (jk_bench_ingest_options ("bench_ingest", argc, argv, S_OFFICES, 64000,
                                 &opt))
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
    if (only == 0) {
        int rc = s_run_only (&opt, offices, dir, only_target);
        jk_bench_offices_free (offices, S_OFFICES);
        free (rows);
        jk_bench_rmdir (&dir);
        return rc;
    }
    double *hub = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *base = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *floor = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *bare = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *ratio = jk_calloc ((size_t)opt.rounds, sizeof (double));
    jk_bench_tree_lag_t *lag = jk_calloc ((size_t)opt.rounds, sizeof *lag);
    uint64_t nacks = 0, floor_nacks = 0, bare_nacks = 0;
    for (int r = 0; r < opt.rounds; r++) {
        char path[512];
        snprintf (path, sizeof path, "%s/baseline-%d.db", dir, r);
        base[r] = jk_bench_baseline (path, rows, n, 1000);
        floor[r] = jk_bench_ingest_round (&opt, offices, S_OFFICES, dir, r,
                                          JK_BENCH_FLOOR, &floor_nacks, NULL,
                                          "bench_ingest");
        /* The hub with and without the tree, in turn first (an odd
           round starts without it), so neither gains by its place. */
        for (int k = 0; k < 2; k++) {
            if ((k == 0) == (r % 2 == 0))
                hub[r] = jk_bench_ingest_round (&opt, offices, S_OFFICES, dir,
                                                r, JK_BENCH_HUB, &nacks,
                                                &lag[r], "bench_ingest");
            else
                bare[r] = jk_bench_ingest_round (
                    &opt, offices, S_OFFICES, dir, r, JK_BENCH_HUB_NO_TREE,
                    &bare_nacks, NULL, "bench_ingest");
        }
        ratio[r] = hub[r] / bare[r];
        printf ("round %d: baseline %.0f, floor %.0f, hub %.0f, hub without "
                "the tree %.0f ev/s (%.2f; the tree %" PRIu64
                " records behind at the last answer, stored up to the head "
                "%.0f ms later)\n",
                r + 1, base[r], floor[r], hub[r], bare[r], ratio[r], lag[r].lag,
                lag[r].ms);
        fflush (stdout);
        if (hub[r] < 0 || base[r] < 0 || floor[r] < 0 || bare[r] < 0 ||
            floor_nacks) {
            fprintf (stderr, "bench_ingest: round %d failed\n", r);
            return 1;
        }
    }
    double hub_median = jk_bench_median (hub, (size_t)opt.rounds);
    double base_median = jk_bench_median (base, (size_t)opt.rounds);
    double floor_median = jk_bench_median (floor, (size_t)opt.rounds);
    double bare_median = jk_bench_median (bare, (size_t)opt.rounds);
    double ratio_median = jk_bench_median (ratio, (size_t)opt.rounds);
    uint64_t lag_max = 0;
    double settle_max = 0;
    for (int r = 0; r < opt.rounds; r++) {
        lag_max = lag[r].lag > lag_max ? lag[r].lag : lag_max;
        settle_max = lag[r].ms > settle_max ? lag[r].ms : settle_max;
    }
    printf ("hub ingest, %d offices, %zu events, SUBMIT of %zu, window %d, "
            "%d rounds (medians)\n",
            S_OFFICES, n, opt.batch, opt.window, opt.rounds);
    printf ("  %-34s %12.0f ev/s\n", "hub (acked after FULL commit)",
            hub_median);
    printf ("  %-34s %12.0f ev/s\n", "baseline (bare append + SHA-256)",
            base_median);
    printf ("  %-34s %12.0f ev/s\n", "transport floor (same offices)",
            floor_median);
    printf ("  %-34s %12.0f ev/s\n", "hub without the Merkle tree",
            bare_median);
    printf ("  %-34s %12.2f\n", "ingest_ratio", hub_median / base_median);
    printf ("  %-34s %12.2f\n", "floor_ratio (hub / floor)",
            hub_median / floor_median);
    printf ("  %-34s %12.2f\n", "tree_ratio (tree on / off)",
            hub_median / bare_median);
    printf ("  %-34s %12.2f\n", "tree_ratio_paired (median of rounds)",
            ratio_median);
    printf ("  %-34s %12" PRIu64 " records, stored %.0f ms later\n",
            "tree lag at the last answer (max)", lag_max, settle_max);
    printf ("  %-34s %12" PRIu64 "\n", "retryable NACKs", nacks + bare_nacks);
    printf ("{\"bench\":\"ingest\",\"offices\":%d,\"events\":%zu,"
            "\"batch\":%zu,\"window\":%d,\"rounds\":%d,\"baseline\":\"%s\","
            "\"hub_ev_s\":%.0f,\"baseline_ev_s\":%.0f,"
            "\"ingest_ratio\":%.3f,\"floor_ev_s\":%.0f,"
            "\"floor_ratio\":%.3f,\"no_tree_ev_s\":%.0f,"
            "\"tree_ratio\":%.3f,\"tree_ratio_paired\":%.3f,"
            "\"tree_lag_max\":%" PRIu64 ",\"tree_settle_ms_max\":%.0f,"
            "\"nacks\":%" PRIu64 "}\n",
            S_OFFICES, n, opt.batch, opt.window, opt.rounds,
            jk_bench_baseline_is_plain () ? "plain" : "store-vfs", hub_median,
            base_median, hub_median / base_median, floor_median,
            hub_median / floor_median, bare_median, hub_median / bare_median,
            ratio_median, lag_max, settle_max, nacks + bare_nacks);
    jk_bench_offices_free (offices, S_OFFICES);
    free (rows);
    free (hub);
    free (base);
    free (floor);
    free (bare);
    free (ratio);
    free (lag);
    jk_bench_rmdir (&dir);
    return 0;
}
