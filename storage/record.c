/*  record.c - one log record applied to projections (jk_record_apply.h):
    decode, recompute warnings at the record's time, apply. Called by the
    status board's replica for every record it receives. */
#include "jk_record_apply.h"
#include "jk_log.h"

#include <assert.h>
#include <string.h>

/* Applies a rejection record: whatever its bytes still say about them. */
static int s_apply_rejection (jk_projections_t *p, const jk_record_t *record,
                              const jk_applied_t *applied)
{
    jk_envelope_t envelope;
    memset (&envelope, 0, sizeof envelope);
    jk_envelope_peek (record->bytes, record->size, &envelope);
    jk_event_t *event = jk_event_decode (record->bytes, record->size, NULL);
    int rc = jk_projections_apply_rejection (p, &envelope, event, record->code,
                                             record->message, applied);
    jk_event_destroy (&event);
    return rc;
}

int jk_record_apply (jk_projections_t *p, const jk_record_t *record)
{
    assert (p);
    assert (record);
    jk_applied_t applied = {.pos = record->pos,
                            .recorded_at = record->recorded_at,
                            .hash = record->hash,
                            .warnings = NULL,
                            .bytes = record->bytes,
                            .size = record->size};
    size_t prefix = strlen (JK_REJECTED_PREFIX);
    if (strncmp (record->topic, JK_REJECTED_PREFIX, prefix) == 0)
        return s_apply_rejection (p, record, &applied);

    /* Decoded and validated exactly as the store did (jk_log_check: the
       clock at recorded_at), so the same warnings reach data_quality. The
       verdict itself was the store's: an accepted record is applied even
       if a newer rule would now refuse it. */
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_t *event = NULL;
    jk_log_check (record->bytes, record->size, record->recorded_at, &event,
                  &report);
    if (!event) {
        jk_warn ("record", "undecodable accepted record pos=%llu code=%s",
                 (unsigned long long)record->pos, report.error.code);
        return JK_INVALID;
    }
    applied.warnings = &report;
    int rc = jk_projections_apply (p, event, &applied);
    jk_event_destroy (&event);
    return rc;
}
