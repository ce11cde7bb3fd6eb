/*  store_decide.c - the store actor (jk_store.h, store_internal.h): deciding
    one event inside the batch's transaction: seq, duplicates, the clock, the
    model, the append. */
#include "store_internal.h"

void jk_store_nack (jk_answer_t *answer, const char *code, const char *format,
                    ...)
{
    answer->kind = JK_ANSWER_NACK;
    snprintf (answer->code, sizeof answer->code, "%s", code);
    va_list args;
    va_start (args, format);
    vsnprintf (answer->message, sizeof answer->message, format, args);
    va_end (args);
}

/* The feed topic of a logged record into out: the type, behind
   JK_REJECTED_PREFIX for a rejection; cut to fit. */
static void s_topic (char *out, size_t size, bool rejected, const char *type)
{
    size_t n = 0;
    if (rejected) {
        n = strlen (JK_REJECTED_PREFIX);
        n = n < size - 1 ? n : size - 1;
        memcpy (out, JK_REJECTED_PREFIX, n);
    }
    size_t len = strnlen (type, size - 1 - n);
    memcpy (out + n, type, len);
    out[n + len] = '\0';
}

/* Answers an event whose id is already in the log: DUPLICATE with the
   original position (and rejection) for the same bytes, NACK
   E_ID_CONFLICT for other bytes. JK_OK when answered, JK_NOT_FOUND when
   the id is new, JK_IO. */
static int s_known_id (jk_store_t *self, jk_store_item_t *item,
                       const jk_envelope_t *envelope, jk_store_counts_t *counts)
{
    const uint8_t *data = item->data;
    size_t size = item->size;
    jk_answer_t *answer = &item->answer;
    jk_log_record_t found;
    int rc = jk_log_find (self->log, envelope->id, &found);
    if (rc != JK_OK)
        return rc;
    char id_text[37];
    jk_uuid_format (envelope->id, id_text);
    if (found.size != size || memcmp (found.bytes, data, size) != 0) {
        jk_store_nack (answer, "E_ID_CONFLICT",
                       "envelope.id %s is already stored at position %llu with "
                       "different bytes; a new event needs a new id",
                       id_text, (unsigned long long)found.pos);
        counts->nacked++;
        return JK_OK;
    }
    answer->kind = JK_ANSWER_DUPLICATE;
    answer->pos = found.pos;
    memcpy (answer->hash, found.hash, JK_HASH_SIZE);
    if (found.outcome == JK_LOG_REJECTED) {
        snprintf (answer->code, sizeof answer->code, "%s",
                  found.code ? found.code : "");
        snprintf (answer->message, sizeof answer->message, "%s",
                  found.message ? found.message : "");
    }
    counts->duplicates++;
    return JK_OK;
}

/* The seq check: JK_OK when the event is the source's next one
   (*answered false), or when it was answered here (*answered true:
   DUPLICATE or E_ID_CONFLICT of a logged id, E_SEQ_TAKEN, E_SEQ_GAP);
   JK_IO. The log is searched by id only when the seq is not the next
   one. */
static int s_decide_seq (jk_store_t *self, jk_store_item_t *item,
                         jk_store_counts_t *counts, bool *answered)
{
    jk_answer_t *answer = &item->answer;
    const jk_envelope_t *envelope = &item->envelope;
    *answered = true;
    uint64_t next = jk_log_next_seq (self->log, envelope->source);
    if (envelope->seq != next) {
        int rc = s_known_id (self, item, envelope, counts);
        if (rc != JK_NOT_FOUND)
            return rc == JK_OK ? JK_OK : JK_IO;
    }
    if (envelope->seq < next) {
        jk_store_nack (
            answer, "E_SEQ_TAKEN",
            "envelope.seq %llu of source %s is already taken by another "
            "event; the next free seq is %llu",
            (unsigned long long)envelope->seq, envelope->source,
            (unsigned long long)next);
        counts->nacked++;
        return JK_OK;
    }
    if (envelope->seq > next) {
        jk_store_nack (answer, "E_SEQ_GAP",
                       "envelope.seq %llu of source %s leaves a gap: the store "
                       "expects seq %llu; resend from there",
                       (unsigned long long)envelope->seq, envelope->source,
                       (unsigned long long)next);
        answer->expected = next;
        counts->nacked++;
        return JK_OK;
    }
    *answered = false;
    return JK_OK;
}

/* Whether the store's clock has gone back behind the log's (recorded_at
   more than S_CLOCK_TOLERANCE_MS ahead of it): the event is then answered
   E_STORE_CLOCK (retryable) and nothing is appended; the error is logged
   at most every S_CLOCK_LOG_MS. */
static bool s_clock_behind (jk_store_t *self, jk_answer_t *answer,
                            int64_t recorded_at, jk_store_counts_t *counts)
{
    int64_t now = jk_clock_now_ms ();
    if (recorded_at - now <= S_CLOCK_TOLERANCE_MS)
        return false;
    jk_store_nack (answer, "E_STORE_CLOCK",
                   "the store's clock is %lld ms behind its log's last "
                   "recorded_at (more than %d ms): nothing is appended until "
                   "the hub's clock is set right; retry later",
                   (long long)(recorded_at - now), S_CLOCK_TOLERANCE_MS);
    counts->nacked++;
    self->clock_refused++;
    int64_t mono = jk_clock_mono_ms ();
    if (self->clock_logged == 0 ||
        mono - self->clock_logged >= S_CLOCK_LOG_MS) {
        self->clock_logged = mono;
        jk_error ("store",
                  "the clock is %lld ms behind the log's last "
                  "recorded_at %lld: refusing to append (E_STORE_CLOCK, "
                  "retryable; %llu events refused so far). Set the "
                  "hub's clock right (timedatectl, NTP)",
                  (long long)(recorded_at - now), (long long)recorded_at,
                  (unsigned long long)self->clock_refused);
    }
    return true;
}

/* Appends the decided event (rejected when problem is set) and applies
   an accepted one to the model; fills its answer. JK_OK (answered, also
   when the log's UNIQUE index found its id logged), or JK_IO. */
static int s_decide_append (jk_store_t *self, jk_store_item_t *item,
                            int64_t recorded_at, const jk_problem_t *problem,
                            jk_store_counts_t *counts)
{
    jk_answer_t *answer = &item->answer;
    const jk_envelope_t *envelope = &item->envelope;
    jk_event_t *event = item->event;
    const char *code = NULL, *message = NULL;
    if (problem) {
        code = problem->code[0] ? problem->code : "E_REJECTED";
        message = problem->message;
    }
    jk_log_record_t record = {
        .type = event ? event->type->name : envelope->type,
        .version = envelope->version,
        .source = envelope->source,
        .seq = envelope->seq,
        .at = envelope->at,
        .recorded_at = recorded_at,
        .outcome = problem ? JK_LOG_REJECTED : JK_LOG_ACCEPTED,
        .code = code,
        .message = message,
        .bytes = item->data,
        .size = item->size,
    };
    memcpy (record.id, envelope->id, 16);
    int rc = jk_log_append (self->log, &record);
    if (rc == JK_CONFLICT) {
        /* The id is in the log already (the UNIQUE index said so). */
        rc = s_known_id (self, item, envelope, counts);
        return rc == JK_OK ? JK_OK : JK_IO;
    }
    if (rc != JK_OK)
        return JK_IO;
    if (!problem)
        jk_model_apply (self->model, event, record.pos);
    answer->kind = problem ? JK_ANSWER_REJECTED : JK_ANSWER_ACK;
    answer->pos = record.pos;
    memcpy (answer->hash, record.hash, JK_HASH_SIZE);
    if (problem) {
        snprintf (answer->code, sizeof answer->code, "%s", code);
        snprintf (answer->message, sizeof answer->message, "%s", message);
        counts->rejected++;
    } else
        counts->accepted++;
    item->logged = true;
    item->recorded_at = recorded_at;
    s_topic (item->topic, sizeof item->topic, problem != NULL, record.type);
    return JK_OK;
}

/* Decides one prepared event inside the open transaction: fills its
   answer, and appends and applies a record when it is decided (accepted
   or rejected). The log is searched by id only when the seq is not the
   source's next one: an event with the next seq cannot repeat a logged
   one, and a reused id with other bytes is caught by the log's UNIQUE
   index at append. Returns JK_OK, or JK_IO when SQLite failed (the batch
   rolls back). */
int jk_store_decide (jk_store_t *self, jk_store_item_t *item,
                     int64_t recorded_at, jk_store_counts_t *counts)
{
    jk_answer_t *answer = &item->answer;
    counts->received++;
    if (item->refused) {
        *answer = item->refusal;
        counts->nacked++;
        return JK_OK;
    }
    memcpy (answer->id, item->envelope.id, 16);
    bool answered;
    if (s_decide_seq (self, item, counts, &answered) != JK_OK)
        return JK_IO;
    /* Decided from here on: the record takes a position either way,
       unless the store's clock has gone back behind the log's. */
    if (answered || s_clock_behind (self, answer, recorded_at, counts))
        return JK_OK;
    jk_report_t decision;
    jk_report_reset (&decision);
    const jk_problem_t *problem = item->invalid ? &item->problem : NULL;
    if (!problem) {
        int rc = jk_model_decide (self->model, item->event, &decision);
        if (rc == JK_IO)
            return JK_IO;
        if (rc != 0)
            problem = &decision.error;
    }
    return s_decide_append (self, item, recorded_at, problem, counts);
}
