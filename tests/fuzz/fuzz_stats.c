/*  fuzz_stats.c - libFuzzer target for the settings a client reads from
    a store's STATS text (jk_log_settings_from_stats: region=CODE
    rat_deadline_months=N among other key=value pairs): any bytes up to
    the first NUL. Found, the region is one --region takes and the months
    are 1 to JK_RAT_DEADLINE_MONTHS_MAX; otherwise nothing is set. */
#include "jk_active.h"
#include "jk_log.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    jk_log_settings_t settings;
    memset (&settings, 0x5a, sizeof settings);
    int rc = jk_log_settings_from_stats (text, &settings);
    if (rc == JK_OK) {
        if (!jk_region_area_valid (settings.area) ||
            settings.rat_deadline_months < 1 ||
            settings.rat_deadline_months > JK_RAT_DEADLINE_MONTHS_MAX)
            abort ();
    } else if (rc != JK_NOT_FOUND && rc != JK_INVALID)
        abort ();
    else if (settings.area[0] || settings.rat_deadline_months)
        abort ();
    free (text);
    return 0;
}
