/*  bench_curve.c - what security costs at ingest: the same hub (broker +
    store actors, as jejak-hub runs them) fed by the same 32 offices with
    the same window, once plain and once in secure mode (CURVE on every
    connection, ZAP by zauth, every event checked against its office key),
    rounds interleaved, medians reported. Goal: CURVE costs at most ~30%.
    Usage: bench_curve [--quick] [--events N] [--rounds R] [--batch B]
                       [--window W]
    Prints a table, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"
#include "jk_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_OFFICES 32

/* One round through a fresh hub, plain or CURVE (keys: the keys
   directory): events per second, or -1. */
static double s_hub_round (const jk_bench_ingest_options_t *opt,
                           jk_bench_office_t *offices, const char *dir,
                           int round, const char *keys, uint64_t *nacks)
{
    char name[32];
    snprintf (name, sizeof name, "%s-%d", keys ? "curve" : "plain", round);
    char cert[512], offices_dir[512];
    snprintf (cert, sizeof cert, "%s/%s", keys ? keys : "",
              JK_KEYS_BROKER_SECRET);
    snprintf (offices_dir, sizeof offices_dir, "%s/%s", keys ? keys : "",
              JK_KEYS_OFFICES);
    jk_bench_hub_t hub;
    if (jk_bench_hub_start (&hub, dir, name, keys ? cert : NULL,
                            keys ? offices_dir : NULL))
        return -1;
    double rate = jk_bench_offices_run (offices, S_OFFICES, &hub, opt->batch,
                                        opt->window, nacks, "bench_curve");
    jk_bench_hub_stop (&hub);
    return rate;
}

int main (int argc, char **argv)
{
    jk_bench_ingest_options_t opt;
    if (jk_bench_ingest_options ("bench_curve", argc, argv, S_OFFICES, 64000,
                                 &opt))
        return 2;
    jk_log_set_level (JK_LOG_WARN);
    char *dir = jk_bench_tmpdir ("curve");
    char keys[512], err[512];
    snprintf (keys, sizeof keys, "%s/keys", dir);
    if (jk_keys_init (keys, false, err, sizeof err) != JK_OK) {
        fprintf (stderr, "bench_curve: %s\n", err);
        return 1;
    }
    jk_bench_office_t offices[S_OFFICES];
    size_t per = opt.events / S_OFFICES;
    jk_bench_offices_fill (offices, S_OFFICES, per);
    for (int i = 0; i < S_OFFICES; i++) {
        jk_bench_office_t *o = &offices[i];
        char secret[512];
        if (jk_keys_enrol (keys, o->kecamatan, "registration", o->device, NULL,
                           secret, sizeof secret, err, sizeof err) != JK_OK) {
            fprintf (stderr, "bench_curve: %s\n", err);
            return 1;
        }
        o->cert = zcert_load (secret);
    }
    double *plain = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *curve = jk_calloc ((size_t)opt.rounds, sizeof (double));
    uint64_t nacks = 0;
    /* Rounds interleaved (plain, CURVE, plain, CURVE ...), each through a
       fresh hub, so drift of the machine falls on both alike. */
    for (int r = 0; r < opt.rounds; r++) {
        plain[r] = s_hub_round (&opt, offices, dir, r, NULL, &nacks);
        curve[r] = s_hub_round (&opt, offices, dir, r, keys, &nacks);
        if (plain[r] < 0 || curve[r] < 0) {
            fprintf (stderr, "bench_curve: round %d failed\n", r);
            return 1;
        }
    }
    double plain_median = jk_bench_median (plain, (size_t)opt.rounds);
    double curve_median = jk_bench_median (curve, (size_t)opt.rounds);
    double cost = 1.0 - curve_median / plain_median;
    size_t n = per * S_OFFICES;
    printf ("hub ingest, plain vs CURVE, %d offices, %zu events, SUBMIT of "
            "%zu, window %d, %d rounds (medians)\n",
            S_OFFICES, n, opt.batch, opt.window, opt.rounds);
    printf ("  %-34s %12.0f ev/s\n", "plain (NULL mechanism)", plain_median);
    printf ("  %-34s %12.0f ev/s\n", "CURVE + ZAP + per-event check",
            curve_median);
    printf ("  %-34s %11.1f %%\n", "curve_cost", 100.0 * cost);
    printf ("  %-34s %12" PRIu64 "\n", "NACKs", nacks);
    printf ("{\"bench\":\"curve\",\"offices\":%d,\"events\":%zu,"
            "\"batch\":%zu,\"window\":%d,\"rounds\":%d,"
            "\"plain_ev_s\":%.0f,\"curve_ev_s\":%.0f,"
            "\"curve_cost\":%.3f,\"nacks\":%" PRIu64 "}\n",
            S_OFFICES, n, opt.batch, opt.window, opt.rounds, plain_median,
            curve_median, cost, nacks);
    jk_bench_offices_free (offices, S_OFFICES);
    free (plain);
    free (curve);
    jk_bench_rmdir (&dir);
    return nacks ? 1 : 0;
}
