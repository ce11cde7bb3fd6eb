/*  store_decide.c - the store actor (jk_store.h, store_internal.h): deciding
    one event in two steps. The plan, in memory only (it may run while the
    batch before commits on the commit thread): the seq against the log's
    plan, the clock, the model, the position the record will take. The
    append, inside the batch's transaction: the record with its chain
    hash, and the id looked up in the log for an event whose seq was not
    its source's next. */
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

/* The type a record of item is logged under. */
static const char *s_type (const jk_store_item_t *item)
{
    return item->event ? item->event->type->name : item->envelope.type;
}

/* Answers an event whose id is already in the log: DUPLICATE with the
   original position (and rejection) for the same bytes, NACK
   E_ID_CONFLICT for other bytes. JK_OK when answered, JK_NOT_FOUND when
   the id is new, JK_IO. */
static int s_known_id (jk_store_t *self, jk_store_item_t *item)
{
    const jk_envelope_t *envelope = &item->envelope;
    jk_log_record_t found;
    int rc = jk_log_find (self->log, envelope->id, &found);
    if (rc != JK_OK)
        return rc;
    jk_answer_t *answer = &item->answer;
    memset (answer, 0, sizeof *answer);
    memcpy (answer->id, envelope->id, 16);
    char id_text[37];
    jk_uuid_format (envelope->id, id_text);
    if (found.size != item->size ||
        memcmp (found.bytes, item->data, item->size) != 0) {
        jk_store_nack (answer, "E_ID_CONFLICT",
                       "envelope.id %s is already stored at position %llu with "
                       "different bytes; a new event needs a new id",
                       id_text, (unsigned long long)found.pos);
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
    return JK_OK;
}

/* The seq check against the plan: true when the event is its source's
   next one. Otherwise it is answered E_SEQ_TAKEN or E_SEQ_GAP, and its id
   is looked up in the log at the append (item->lookup), which answers
   DUPLICATE or E_ID_CONFLICT instead when the id is logged: an event with
   the next seq cannot repeat a logged one, so only these are looked
   up. */
static bool s_plan_seq (jk_store_t *self, jk_store_item_t *item)
{
    jk_answer_t *answer = &item->answer;
    const jk_envelope_t *envelope = &item->envelope;
    uint64_t next = jk_log_plan_seq (self->log, envelope->source);
    if (envelope->seq == next)
        return true;
    item->lookup = true;
    if (envelope->seq < next)
        jk_store_nack (
            answer, "E_SEQ_TAKEN",
            "envelope.seq %llu of source %s is already taken by another "
            "event; the next free seq is %llu",
            (unsigned long long)envelope->seq, envelope->source,
            (unsigned long long)next);
    else {
        jk_store_nack (answer, "E_SEQ_GAP",
                       "envelope.seq %llu of source %s leaves a gap: the store "
                       "expects seq %llu; resend from there",
                       (unsigned long long)envelope->seq, envelope->source,
                       (unsigned long long)next);
        answer->expected = next;
    }
    return false;
}

/* Whether the store's clock has gone back behind the log's (recorded_at
   more than S_CLOCK_TOLERANCE_MS ahead of it): the event is then answered
   E_STORE_CLOCK (retryable) and nothing is appended; the error is logged
   at most every S_CLOCK_LOG_MS. */
static bool s_clock_behind (jk_store_t *self, jk_answer_t *answer,
                            int64_t recorded_at)
{
    int64_t now = jk_clock_now_ms ();
    if (recorded_at - now <= S_CLOCK_TOLERANCE_MS)
        return false;
    jk_store_nack (answer, "E_STORE_CLOCK",
                   "the store's clock is %lld ms behind its log's last "
                   "recorded_at (more than %d ms): nothing is appended until "
                   "the hub's clock is set right; retry later",
                   (long long)(recorded_at - now), S_CLOCK_TOLERANCE_MS);
    /* Answered so far: the writer adds a batch's refusals after its
       commit (jk_store_count), the plan thread reads them here. */
    uint64_t refused = __atomic_load_n (&self->clock_refused, __ATOMIC_RELAXED);
    int64_t mono = jk_clock_mono_ms ();
    if (self->clock_logged == 0 ||
        mono - self->clock_logged >= S_CLOCK_LOG_MS) {
        self->clock_logged = mono;
        jk_error ("store",
                  "the clock is %lld ms behind the log's last "
                  "recorded_at %lld: refusing to append (E_STORE_CLOCK, "
                  "retryable; %llu events refused before). Set the "
                  "hub's clock right (timedatectl, NTP)",
                  (long long)(recorded_at - now), (long long)recorded_at,
                  (unsigned long long)refused);
    }
    return true;
}

void jk_store_plan_reset (jk_store_t *self)
{
    jk_log_plan_reset (self->log);
    self->plan_pos = jk_log_head (self->log, self->plan_hash);
}

int jk_store_plan (jk_store_t *self, jk_store_item_t *item, int64_t recorded_at)
{
    jk_answer_t *answer = &item->answer;
    memset (answer, 0, sizeof *answer);
    item->logged = item->append = item->lookup = false;
    if (item->refused) {
        *answer = item->refusal;
        return JK_OK;
    }
    memcpy (answer->id, item->envelope.id, 16);
    /* Decided from here on: the record takes a position either way,
       unless the store's clock has gone back behind the log's. */
    if (!s_plan_seq (self, item) || s_clock_behind (self, answer, recorded_at))
        return JK_OK;
    jk_report_t decision;
    const jk_problem_t *problem = item->invalid ? &item->problem : NULL;
    if (!problem) {
        jk_report_reset (&decision);
        int rc = jk_model_decide (self->model, item->event, &decision);
        if (rc == JK_IO)
            return JK_IO;
        if (rc != 0)
            problem = &decision.error;
    }
    jk_log_plan_take (self->log, item->envelope.source, item->envelope.seq);
    item->append = true;
    item->recorded_at = recorded_at;
    answer->pos = ++self->plan_pos;
    if (problem) {
        answer->kind = JK_ANSWER_REJECTED;
        snprintf (answer->code, sizeof answer->code, "%s",
                  problem->code[0] ? problem->code : "E_REJECTED");
        snprintf (answer->message, sizeof answer->message, "%s",
                  problem->message);
    } else
        answer->kind = JK_ANSWER_ACK;
    /* The chain hash the record will have at that position. */
    if (!self->plan_chain)
        self->plan_chain = jk_chain_new ();
    jk_chain_step (self->plan_chain, self->plan_hash, answer->pos, recorded_at,
                   problem ? JK_LOG_REJECTED : JK_LOG_ACCEPTED,
                   problem ? answer->code : NULL,
                   problem ? answer->message : NULL, item->data, item->size,
                   answer->hash);
    memcpy (self->plan_hash, answer->hash, JK_HASH_SIZE);
    s_topic (item->topic, sizeof item->topic, problem != NULL, s_type (item));
    return JK_OK;
}

void jk_store_plan_apply (jk_store_t *self, const jk_store_item_t *item)
{
    if (item->append && item->answer.kind == JK_ANSWER_ACK)
        jk_model_apply (self->model, item->event, item->answer.pos);
}

int jk_store_append (jk_store_t *self, jk_store_item_t *item)
{
    if (item->lookup) {
        int rc = s_known_id (self, item);
        return rc == JK_IO ? JK_IO : JK_OK;
    }
    if (!item->append)
        return JK_OK;
    jk_answer_t *answer = &item->answer;
    const jk_envelope_t *envelope = &item->envelope;
    bool rejected = answer->kind == JK_ANSWER_REJECTED;
    jk_log_record_t record = {
        .type = s_type (item),
        .version = envelope->version,
        .source = envelope->source,
        .seq = envelope->seq,
        .at = envelope->at,
        .recorded_at = item->recorded_at,
        .outcome = rejected ? JK_LOG_REJECTED : JK_LOG_ACCEPTED,
        .code = rejected ? answer->code : NULL,
        .message = rejected ? answer->message : NULL,
        .bytes = item->data,
        .size = item->size,
        .hashed = true,
    };
    memcpy (record.id, envelope->id, 16);
    memcpy (record.hash, answer->hash, JK_HASH_SIZE);
    int rc = jk_log_append (self->log, &record);
    if (rc == JK_CONFLICT)
        return JK_CONFLICT;
    if (rc != JK_OK)
        return JK_IO;
    /* The plan's positions and hashes are the log's: every planned
       record before this one was appended. */
    assert (record.pos == answer->pos);
    item->logged = true;
    return JK_OK;
}

int jk_store_conflict (jk_store_t *self, jk_store_item_t *item)
{
    item->append = false;
    return s_known_id (self, item) == JK_OK ? JK_OK : JK_IO;
}

void jk_store_count (const jk_store_item_t *item, jk_store_counts_t *counts)
{
    counts->received++;
    switch (item->answer.kind) {
        case JK_ANSWER_ACK:
            counts->accepted++;
            break;
        case JK_ANSWER_REJECTED:
            counts->rejected++;
            break;
        case JK_ANSWER_DUPLICATE:
            counts->duplicates++;
            break;
        default:
            counts->nacked++;
            if (streq (item->answer.code, "E_STORE_CLOCK"))
                counts->clock_refused++;
            break;
    }
}
