/*  record.c - one log record applied to projections (jk_record_apply.h):
    decode, recompute warnings at the record's time, apply. The one path
    by which records reach projections outside the writer: rebuild, and
    the status board's replica for every record it receives. */
#include "jk_record_apply.h"
#include "jk_log.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

int jk_record_prepare (const jk_stored_t *stored,
                       jk_record_prepared_t *prepared, char *err,
                       size_t err_size)
{
    return jk_record_prepare_in (NULL, stored, prepared, err, err_size);
}

int jk_record_prepare_in (jk_event_slab_t *slab, const jk_stored_t *stored,
                          jk_record_prepared_t *prepared, char *err,
                          size_t err_size)
{
    assert (stored && prepared);
    prepared->event = NULL;
    if (stored->rejected) {
        /* Whatever the bytes still say about themselves. */
        memset (&prepared->envelope, 0, sizeof prepared->envelope);
        jk_envelope_peek (stored->bytes, stored->size, &prepared->envelope);
        prepared->event = jk_event_decode (stored->bytes, stored->size, NULL);
        return JK_OK;
    }
    /* Decoded and validated exactly as the store did (jk_log_check: the
       clock at recorded_at), so the same warnings reach data_quality. The
       verdict itself was the store's: an accepted record is applied even
       if a newer rule would now refuse it. */
    jk_log_check_in (slab, stored->bytes, stored->size, stored->recorded_at,
                     &prepared->event, &prepared->report);
    if (prepared->event)
        return JK_OK;
    snprintf (err, err_size,
              "accepted record at position %llu no longer decodes: %s %s",
              (unsigned long long)stored->pos, prepared->report.error.code,
              prepared->report.error.message);
    return JK_INVALID;
}

int jk_record_apply_prepared (jk_projections_t *p, const jk_stored_t *stored,
                              jk_record_prepared_t *prepared, char *err,
                              size_t err_size)
{
    int rc = jk_record_apply_held (p, stored, prepared, err, err_size);
    jk_event_destroy (&prepared->event);
    return rc;
}

int jk_record_apply_held (jk_projections_t *p, const jk_stored_t *stored,
                          const jk_record_prepared_t *prepared, char *err,
                          size_t err_size)
{
    assert (p && stored && prepared);
    jk_applied_t applied = {.pos = stored->pos,
                            .recorded_at = stored->recorded_at,
                            .hash = stored->hash,
                            .warnings = NULL,
                            .bytes = stored->bytes,
                            .size = stored->size};
    int rc;
    if (stored->rejected)
        rc = jk_projections_apply_rejection (
            p, &prepared->envelope, prepared->event,
            stored->code ? stored->code : "",
            stored->message ? stored->message : "", &applied);
    else {
        applied.warnings = &prepared->report;
        rc = jk_projections_apply (p, prepared->event, &applied);
    }
    if (rc != JK_OK)
        snprintf (err, err_size, "applying position %llu failed",
                  (unsigned long long)stored->pos);
    return rc == JK_OK ? JK_OK : JK_IO;
}

int jk_record_apply_stored (jk_projections_t *p, const jk_stored_t *stored,
                            char *err, size_t err_size)
{
    assert (p);
    assert (stored);
    jk_record_prepared_t prepared;
    int rc = jk_record_prepare (stored, &prepared, err, err_size);
    if (rc != JK_OK)
        return rc;
    return jk_record_apply_prepared (p, stored, &prepared, err, err_size);
}

int jk_record_apply (jk_projections_t *p, const jk_record_t *record)
{
    assert (p);
    assert (record);
    jk_stored_t stored = {.pos = record->pos,
                          .recorded_at = record->recorded_at,
                          .hash = record->hash,
                          .rejected = jk_record_rejected (record),
                          .code = record->code,
                          .message = record->message,
                          .bytes = record->bytes,
                          .size = record->size};
    char err[256];
    int rc = jk_record_apply_stored (p, &stored, err, sizeof err);
    if (rc != JK_OK)
        jk_warn ("record", "%s", err);
    return rc;
}
