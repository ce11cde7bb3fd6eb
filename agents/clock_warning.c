/*  clock_warning.c - what the operator is told when this machine's
    clock is off from the hub's (the offset a PONG told). */
#include "jk_agent.h"

#include <stdio.h>

/* "31/12/2022 08.05" in WIB, as Indonesian readers write it. */
static void s_format_wib (int64_t utc_ms, char *out, size_t size)
{
    int64_t ms = utc_ms + JK_WIB_OFFSET_MS;
    int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
    int64_t minutes = (ms - days * 86400000) / 60000;
    int y, m, d;
    jk_civil_from_days ((int32_t)days, &y, &m, &d);
    snprintf (out, size, "%02d/%02d/%04d %02d.%02d", d, m, y,
              (int)(minutes / 60), (int)(minutes % 60));
}

void jk_delivery_clock_warning (FILE *out, int64_t offset_ms)
{
    int64_t off = offset_ms < 0 ? -offset_ms : offset_ms;
    int64_t minutes = (off + 30000) / 60000;
    char span[64];
    if (minutes >= 48 * 60)
        snprintf (span, sizeof span, "%lld days", (long long)(minutes / 1440));
    else if (minutes >= 120)
        snprintf (span, sizeof span, "%lld hours %lld minutes",
                  (long long)(minutes / 60), (long long)(minutes % 60));
    else
        snprintf (span, sizeof span, "%lld minutes", (long long)minutes);
    char here[32], hub[32];
    int64_t now = jk_clock_now_ms ();
    s_format_wib (now, here, sizeof here);
    s_format_wib (now + offset_ms, hub, sizeof hub);
    fprintf (out,
             "\n*** this computer's clock is %s %s the dinas hub's "
             "(here %s, hub %s WIB) ***\nEvents keep this clock's time "
             "(their 'at'): set the right date and time on this computer "
             "(see OPERATIONS.md, 'Clocks'), then go on. The hub still "
             "stores what is entered.\n\n",
             span, offset_ms < 0 ? "ahead of" : "behind", here, hub);
}
