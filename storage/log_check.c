/*  log_check.c - one stored or submitted record decoded and validated with
    the clock at its recorded_at (jk_log_check, jk_log_validate in
    jk_log.h): the store's decode stage, rebuild's reader, the projector
    and the decisions' check all judge a record by these two, so they
    recompute the same warnings. */
#include "jk_log.h"

#include <assert.h>

int jk_log_check (const uint8_t *bytes, size_t size, int64_t recorded_at,
                  jk_event_t **event, jk_report_t *report)
{
    return jk_log_check_in (NULL, bytes, size, recorded_at, event, report);
}

int jk_log_check_in (jk_event_slab_t *slab, const uint8_t *bytes, size_t size,
                     int64_t recorded_at, jk_event_t **event,
                     jk_report_t *report)
{
    assert (event && report);
    jk_report_reset (report);
    *event = jk_event_decode_in (slab, bytes, size, report);
    if (!*event)
        return -1;
    return jk_log_validate (*event, recorded_at, report);
}

int jk_log_validate (const jk_event_t *event, int64_t recorded_at,
                     jk_report_t *report)
{
    jk_report_reset (report);
    jk_context_t context = jk_context_default ();
    context.now_ms = recorded_at;
    return jk_event_validate (event, &context, report) == 0 ? 0 : -1;
}
