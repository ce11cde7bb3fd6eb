/*  store_stage.c - the store actor (jk_store.h, store_internal.h): the
    decode stage, a thread ahead of the writer: it decodes and validates
    the events of a batch (s_prepare) in chunks of S_STAGE_CHUNK, in
    order, while the writer decides the chunks already done, and commits.
    Messages on its pipe: [RUN][batch][from u64][to u64] in, [batch][to
    u64] back when the items [from, to) are prepared; the writer reads an
    item only once the chunk holding it is back, and never grows a batch
    with chunks out. */
#include "store_internal.h"

/* The envelope of a decoded event, as jk_envelope_peek would read it
   from the same bytes; false when the source is one peek refuses (empty,
   NUL) so the caller peeks instead. */
static bool s_envelope_of (const jk_event_t *event, jk_envelope_t *out)
{
    jk_str_t source = event->source;
    if (source.len == 0 || source.len > JK_SOURCE_MAX ||
        memchr (source.ptr, 0, source.len))
        return false;
    memset (out, 0, sizeof *out);
    memcpy (out->id, event->id, 16);
    memcpy (out->source, source.ptr, source.len);
    out->source[source.len] = 0;
    out->seq = event->seq;
    /* The type's name, cut to fit (snprintf's formatting cost more than
       the rest of this function). */
    size_t type_len = strnlen (event->type->name, sizeof out->type - 1);
    memcpy (out->type, event->type->name, type_len);
    out->type[type_len] = 0;
    out->at = event->at;
    out->version = event->version;
    return true;
}

/* The decode stage's part of an event, pure given the batch's
   recorded_at (it runs on the stage's thread, ahead of the writer): the
   bytes decoded once (the envelope comes from the event; only bytes that
   do not decode are peeked), the refusals that need nothing of the log
   (not attributable: E_TOO_LARGE, E_DECODE; seq 0: E_ENVELOPE_SEQ), and
   format validation with the batch's recorded_at as the clock. */
static void s_prepare (jk_store_item_t *item, int64_t recorded_at,
                       jk_event_slab_t *slab)
{
    const uint8_t *data = item->data;
    size_t size = item->size;
    jk_answer_t *answer = &item->refusal;
    bool sized = size > 0 && size <= JK_EVENT_MAX_BYTES;
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_t *event =
        sized ? jk_event_decode_in (slab, data, size, &report) : NULL;
    if (!event || !s_envelope_of (event, &item->envelope)) {
        if (!sized || !jk_envelope_peek (data, size, &item->envelope)) {
            /* Not attributable: answered with its id whenever the bytes
               hold one, however large or deep they are. */
            memset (answer, 0, sizeof *answer);
            jk_envelope_id (data, size, answer->id);
            if (size > JK_EVENT_MAX_BYTES)
                jk_store_nack (
                    answer, "E_TOO_LARGE",
                    "the event is %zu bytes, more than the %d allowed", size,
                    JK_EVENT_MAX_BYTES);
            else
                jk_store_nack (
                    answer, "E_DECODE",
                    "not an event (%s): an event is a MessagePack map "
                    "of at most %d bytes, nested at most %d deep, with "
                    "id (bin 16), source (UTF-8 str of 1 to %d bytes, "
                    "no NUL) and seq (uint)",
                    streq (report.error.code, "E_DECODE")
                        ? report.error.message
                        : "no readable id, source or seq",
                    JK_EVENT_MAX_BYTES, JK_EVENT_MAX_DEPTH, JK_SOURCE_MAX);
            item->refused = true;
            jk_event_destroy (&event);
            return;
        }
    }
    /* seq 0 has no place in a source's order (1, 2, 3 ...): refused
       before anything else, not logged. */
    if (item->envelope.seq == 0) {
        memset (answer, 0, sizeof *answer);
        memcpy (answer->id, item->envelope.id, 16);
        jk_store_nack (answer, "E_ENVELOPE_SEQ",
                       "envelope.seq must be 1 or more");
        item->refused = true;
        jk_event_destroy (&event);
        return;
    }
    item->event = event;
    /* jk_log_check's checks, on the event decoded above. */
    if (!event || jk_log_validate (event, recorded_at, &report) != 0) {
        item->invalid = true;
        item->problem = report.error;
    } else if (report.warning_count > 0) /* for the projector */
        item->warnings =
            memcpy (jk_malloc (sizeof report), &report, sizeof report);
}

/* The chunks' slabs the stage keeps for itself once their events are
   freed (jk_event_slabs_t), 50 KB each (S_STAGE_CHUNK events of 8
   fields): at most 3.2 MB, about 6,400 events waiting for the projector
   at once. Beyond, slabs are freed as before. */
#define S_STAGE_SLABS_KEEP 64

static void s_stage_actor (zsock_t *pipe, void *args)
{
    (void)args;
    jk_thread_enter ("jejak-stage");
    jk_event_slabs_t *slabs =
        jk_event_slabs_new (S_STAGE_CHUNK, S_STAGE_SLABS_KEEP);
    zsock_signal (pipe, 0);
    while (true) {
        char *command = NULL;
        void *ptr = NULL;
        uint64_t from = 0, to = 0;
        if (zsock_recv (pipe, "sp88", &command, &ptr, &from, &to) != 0 ||
            !command || streq (command, "$TERM")) {
            free (command);
            break;
        }
        jk_store_batch_t *batch = ptr;
        /* The chunk's events in one slab, let go of with the last of them
           (by the writer, or the projector for those handed over) back
           to the stage's pool: no malloc and free per event from this
           thread's heap on another thread, and no page malloc gave back
           to the kernel touched again (glibc trims a thread's heap when
           another thread's free leaves its top free). */
        jk_event_slab_t *slab =
            jk_event_slabs_take (slabs, (size_t)(to - from));
        for (uint64_t i = from; i < to; i++)
            s_prepare (&batch->items[i], batch->recorded_at, slab);
        jk_event_slab_release (&slab);
        free (command);
        zsock_send (pipe, "p8", batch, to);
    }
    jk_event_slabs_destroy (&slabs);
    /* This thread's OpenSSL state goes with it. */
    OPENSSL_thread_stop ();
}

zactor_t *jk_store_stage_start (void)
{
    return zactor_new (s_stage_actor, NULL);
}

/* Hands the batch's items not yet sent to the stage, chunk by chunk. */
void jk_store_stage_send (jk_store_t *self, jk_store_batch_t *batch)
{
    while (batch->sent < batch->item_count) {
        size_t to = batch->sent + S_STAGE_CHUNK;
        if (to > batch->item_count)
            to = batch->item_count;
        zsock_send (self->stage, "sp88", "RUN", batch, (uint64_t)batch->sent,
                    (uint64_t)to);
        batch->sent = to;
        self->stage_jobs++;
    }
}

/* Waits until the stage has prepared the first n items of batch (chunks
   come back in the order they were sent, of either batch). */
void jk_store_stage_wait (jk_store_t *self, jk_store_batch_t *batch, size_t n)
{
    assert (n <= batch->sent);
    while (batch->prepared < n) {
        void *ptr = NULL;
        uint64_t to = 0;
        if (zsock_recv (self->stage, "p8", &ptr, &to) != 0 || !ptr)
            continue; /* interrupted by a signal: the chunk still comes */
        ((jk_store_batch_t *)ptr)->prepared = (size_t)to;
        self->stage_jobs--;
    }
}
