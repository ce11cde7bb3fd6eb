/*  jejak_sample.c - jejak-sample: writes the Cianjur 2022 sample data set
    (CSV files for the office agents and the import plan) into a folder.
    Same seed, same bytes. See docs/SAMPLE-DATA.md. */
#include "jk_opts.h"
#include "jk_sample.h"
#include "jk_version.h"

#include <stdio.h>
#include <stdlib.h>

static const jk_opt_t s_options[] = {
    {"out", "JEJAK_SAMPLE_OUT", NULL, "folder to write the data set into",
     false},
    {"seed", "JEJAK_SAMPLE_SEED", "1", "seed of the generator", false},
    {"cooperatives", NULL, "1503", "cooperatives with legal status", false},
    {"active", NULL, "350", "of them with a RAT for book year 2021", false},
    {"with-bad-rows", NULL, NULL,
     "add deliberate bad rows (listed in bad-rows.tsv)", true},
    {"data-dir", "JEJAK_DATA_DIR", NULL, "region reference data folder", false},
    JK_OPT_REGION,
};

/* A whole-number flag in min..max; -1 after naming the flag and its
   range. */
static int s_number (const char *name, const char *text, uint64_t min,
                     uint64_t max, uint64_t *out)
{
    if (!text || jk_parse_u64 (text, out) != JK_OK || *out < min ||
        *out > max) {
        fprintf (stderr,
                 "jejak-sample: --%s must be a whole number %llu..%llu, got "
                 "'%s'\n",
                 name, (unsigned long long)min, (unsigned long long)max,
                 text ? text : "");
        return -1;
    }
    return 0;
}

int main (int argc, char **argv)
{
    if (jk_version_asked (argc, argv)) {
        jk_version_print ("jejak-sample", stdout);
        return 0;
    }
    jk_opts_t *opts = jk_opts_new ("jejak-sample", s_options,
                                   sizeof s_options / sizeof *s_options);
    char err[512];
    int status = 2;
    if (jk_opts_parse (opts, argc, argv, err, sizeof err) != 0) {
        fprintf (stderr, "jejak-sample: %s (see --help)\n", err);
        goto cleanup;
    }
    if (jk_opts_help (opts)) {
        printf ("Usage: jejak-sample --out DIR [--seed N] [--cooperatives N] "
                "[--active N] [--with-bad-rows]\n"
                "Writes a deterministic Cianjur 2022 data set as CSV files "
                "for the office agents,\nwith the import plan DIR/plan.txt; "
                "with --region, over that region's kecamatan\nand desa.\n"
                "\n");
        jk_opts_print (opts, stdout);
        status = 0;
        goto cleanup;
    }
    jk_sample_config_t config = {.out_dir = jk_opts_get (opts, "out"),
                                 .bad_rows =
                                     jk_opts_on (opts, "with-bad-rows")};
    uint64_t cooperatives, active;
    if (!config.out_dir || !config.out_dir[0]) {
        fprintf (stderr, "jejak-sample: --out DIR is required (see --help)\n");
        goto cleanup;
    }
    if (s_number ("seed", jk_opts_get (opts, "seed"), 0, UINT64_MAX,
                  &config.seed) ||
        s_number ("cooperatives", jk_opts_get (opts, "cooperatives"), 1, 100000,
                  &cooperatives) ||
        s_number ("active", jk_opts_get (opts, "active"), 0, cooperatives,
                  &active))
        goto cleanup;
    config.cooperatives = (int)cooperatives;
    config.active = (int)active;
    if (jk_region_options (jk_opts_get (opts, "data-dir"),
                           jk_opts_get (opts, "region")))
        goto cleanup;
    err[0] = 0;
    int rc =
        jk_sample_generate (&config, jk_region_default (), err, sizeof err);
    if (rc != JK_OK) {
        fprintf (stderr, "jejak-sample: %s\n", err[0] ? err : jk_strerror (rc));
        status = rc == JK_INVALID ? 2 : 1;
        goto cleanup;
    }
    printf ("jejak-sample: wrote %s (plan: %s/plan.txt)\n", config.out_dir,
            config.out_dir);
    status = 0;
cleanup:
    jk_opts_destroy (&opts);
    return status;
}
