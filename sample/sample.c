/*  sample.c - the generator behind jejak-sample: builds a deterministic
    Cianjur 2022 data set in memory from a seeded PRNG and the region
    reference data, then writes one CSV file per office and event type,
    the import plan (plan.txt), the expected figures (expected.tsv) and a
    README (sample_internal.h names the steps). Called by jejak_sample.c. */
#include "sample_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int jk_sample_generate (const jk_sample_config_t *config,
                        const jk_region_t *region, char *err, size_t err_size)
{
    if (!config || !config->out_dir || !region)
        return JK_INVALID;
    gen_t gen = {.config = config,
                 .region = region,
                 .rng = {config->seed},
                 .err = err,
                 .err_size = err_size};
    err[0] = 0;
    int rc = JK_OK;
    if (config->cooperatives < 1 || config->active < 0 ||
        config->active > config->cooperatives) {
        snprintf (err, err_size,
                  "--cooperatives must be 1 or more and --active between 0 "
                  "and --cooperatives");
        return JK_INVALID;
    }
    if (jk_sample_mkdir (config->out_dir) != 0) {
        snprintf (err, err_size, "cannot create %s: %s", config->out_dir,
                  strerror (errno));
        return JK_IO;
    }
    if ((rc = jk_sample_regions (&gen)))
        goto cleanup;
    jk_sample_cooperatives (&gen);
    if ((rc = jk_sample_activity (&gen)))
        goto cleanup;
    jk_sample_people (&gen);
    jk_sample_training (&gen);
    if ((rc = jk_sample_write_cooperatives (&gen)) ||
        (rc = jk_sample_write_rats (&gen)) ||
        (rc = jk_sample_write_status (&gen)) ||
        (rc = jk_sample_write_people (&gen)) ||
        (rc = jk_sample_write_batches (&gen)) ||
        (rc = jk_sample_write_attendance (&gen)) ||
        (rc = jk_sample_write_scoring (&gen)) ||
        (rc = jk_sample_write_summary (&gen)))
        goto cleanup;
cleanup:
    free (gen.kecamatan);
    free (gen.coops);
    free (gen.people);
    free (gen.plan);
    return rc;
}
