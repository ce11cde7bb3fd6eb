/*  store_batch.c - the store actor (jk_store.h, store_internal.h): the
    batch: taking SUBMITs, one transaction, the answers, RECORDS and the
    hand-over to the projector. */
#include "store_internal.h"

/* Drops one holder of bytes; the last one frees them. Any thread. */
static void s_bytes_release (void *ptr)
{
    jk_store_bytes_t *bytes = ptr;
    if (bytes && __atomic_sub_fetch (&bytes->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free (bytes->data);
        free (bytes);
    }
}

/* Whether the batch is the only holder of bytes (no hand-off reads them
   any more): then the writer may write them again. */
static bool s_bytes_alone (jk_store_bytes_t *bytes)
{
    return __atomic_load_n (&bytes->refs, __ATOMIC_ACQUIRE) == 1;
}

/* Gives the batch empty bytes to receive into: its own when no hand-off
   holds them, else a spare no hand-off holds any more, else new ones;
   bytes that hand-offs still hold wait among the spares (or are let go
   when there is no room: the last hand-off frees them). */
static void s_bytes_reset (jk_store_batch_t *batch)
{
    jk_store_bytes_t *bytes = batch->bytes;
    if (bytes && bytes->cap > S_BYTES_KEEP) {
        s_bytes_release (bytes);
        bytes = NULL;
    }
    if (bytes && !s_bytes_alone (bytes)) {
        size_t i = 0;
        while (i < S_BYTES_SPARE && batch->spare[i] &&
               !s_bytes_alone (batch->spare[i]))
            i++;
        if (i < S_BYTES_SPARE) {
            jk_store_bytes_t *spare = batch->spare[i];
            batch->spare[i] = bytes;
            bytes = spare;
        } else
            s_bytes_release (bytes), bytes = NULL;
    }
    if (!bytes) {
        /* As large as the last batch needed: a steady stream of large
           batches grows no buffer part by part. */
        bytes = jk_calloc (1, sizeof *bytes);
        bytes->refs = 1;
        bytes->cap =
            (batch->bytes_used + S_BYTES_MIN - 1) / S_BYTES_MIN * S_BYTES_MIN;
        bytes->data = bytes->cap ? jk_malloc (bytes->cap) : NULL;
    }
    bytes->size = 0;
    batch->bytes = bytes;
}

void jk_store_batch_clear (jk_store_batch_t *batch)
{
    for (size_t i = 0; i < batch->item_count; i++) {
        jk_event_destroy (&batch->items[i].event);
        free (batch->items[i].warnings);
    }
    if (batch->bytes)
        batch->bytes->size = 0;
    batch->submit_count = 0;
    batch->item_count = 0;
    batch->sent = 0;
    batch->prepared = 0;
    batch->planned = false;
}

void jk_store_batch_free (jk_store_batch_t *batch)
{
    jk_store_batch_clear (batch);
    s_bytes_release (batch->bytes);
    batch->bytes = NULL;
    for (size_t i = 0; i < S_BYTES_SPARE; i++) {
        s_bytes_release (batch->spare[i]);
        batch->spare[i] = NULL;
    }
    for (size_t i = 0; i < S_RECORDS_SPARE; i++) {
        s_bytes_release (batch->records[i]);
        batch->records[i] = NULL;
    }
    free (batch->submits);
    free (batch->items);
}

/* Receives the next part of the message on the backend into the batch's
   bytes; its offset in *at, its size in *size. False when no part came:
   none waiting on the socket (EAGAIN with ZMQ_DONTWAIT, the first part of
   a message), the context ended, or a first part interrupted by a
   signal (a part after the first is received again: it is there).
   *more says whether another part follows. */
static bool s_part_recv (jk_store_batch_t *batch, void *socket, zmq_msg_t *part,
                         int flags, size_t *at, size_t *size, bool *more)
{
    while (zmq_msg_recv (part, socket, flags) < 0)
        if (zmq_errno () != EINTR || (flags & ZMQ_DONTWAIT))
            return false;
    jk_store_bytes_t *bytes = batch->bytes;
    size_t n = zmq_msg_size (part);
    if (bytes->cap - bytes->size < n) {
        size_t cap = bytes->cap ? bytes->cap : S_BYTES_MIN;
        while (cap - bytes->size < n)
            cap *= 2;
        bytes->data = jk_realloc (bytes->data, cap);
        bytes->cap = cap;
    }
    memcpy (bytes->data + bytes->size, zmq_msg_data (part), n);
    *at = bytes->size;
    *size = n;
    bytes->size += n;
    *more = zmq_msg_more (part);
    return true;
}

/* The parts of a message after those received (more: some follow)
   appended to msg as frames (a signal does not cut the message). */
static void s_rest_recv (void *socket, zmq_msg_t *part, zmsg_t *msg, bool more)
{
    while (more) {
        if (zmq_msg_recv (part, socket, 0) < 0) {
            if (zmq_errno () == EINTR)
                continue;
            break;
        }
        zmsg_addmem (msg, zmq_msg_data (part), zmq_msg_size (part));
        more = zmq_msg_more (part);
    }
}

/* Whether the part at [at, at + size) of the batch's bytes is text. */
static bool s_part_is (jk_store_batch_t *batch, size_t at, size_t size,
                       const char *text)
{
    return size == strlen (text) &&
           memcmp (batch->bytes->data + at, text, size) == 0;
}

/* Receives one backend message, if one waits, into batch: a SUBMIT's
   routing id and events straight into its bytes and items (no frame
   objects); every other message goes to jk_store_backend_take. False
   when none waited. */
static bool s_backend_recv (jk_store_t *self, jk_store_batch_t *batch,
                            void *socket, zmq_msg_t *part)
{
    size_t mark = batch->bytes->size;
    size_t sig_at, sig_size, cmd_at = 0, cmd_size = 0;
    bool more;
    if (!s_part_recv (batch, socket, part, ZMQ_DONTWAIT, &sig_at, &sig_size,
                      &more))
        return false;
    bool command =
        more && s_part_recv (batch, socket, part, 0, &cmd_at, &cmd_size, &more);
    if (!command || !s_part_is (batch, sig_at, sig_size, JK_PROTOCOL) ||
        !s_part_is (batch, cmd_at, cmd_size, "SUBMIT")) {
        /* Any other message, or a malformed one: as frames. */
        zmsg_t *msg = zmsg_new ();
        zmsg_addmem (msg, batch->bytes->data + sig_at, sig_size);
        if (command)
            zmsg_addmem (msg, batch->bytes->data + cmd_at, cmd_size);
        batch->bytes->size = mark;
        s_rest_recv (socket, part, msg, more);
        jk_store_backend_take (self, msg);
        return true;
    }
    /* [routing][event]... after the command. */
    batch->bytes->size = mark;
    size_t first = batch->item_count;
    jk_store_submit_t submit = {0, 0};
    size_t events = 0;
    bool routed =
        more && s_part_recv (batch, socket, part, 0, &submit.routing_at,
                             &submit.routing_size, &more);
    while (routed && more) {
        size_t at, size;
        if (!s_part_recv (batch, socket, part, 0, &at, &size, &more))
            break;
        if (++events > JK_SUBMIT_MAX_EVENTS)
            continue; /* malformed: only counted to the end */
        if (batch->item_count == batch->item_cap) {
            batch->item_cap = batch->item_cap ? batch->item_cap * 2 : 1024;
            batch->items = jk_realloc (
                batch->items, batch->item_cap * sizeof (jk_store_item_t));
        }
        jk_store_item_t *item = &batch->items[batch->item_count++];
        item->data = NULL;
        item->size = size;
        item->at = at;
        item->submit = batch->submit_count;
        item->event = NULL;
        item->warnings = NULL;
        item->refused = item->invalid = item->logged = false;
    }
    if (events == 0 || events > JK_SUBMIT_MAX_EVENTS) {
        batch->item_count = first;
        batch->bytes->size = mark;
        jk_store_malformed (self, "SUBMIT without a routing id and 1..1000 "
                                  "events");
        return true;
    }
    if (batch->submit_count == batch->submit_cap) {
        batch->submit_cap = batch->submit_cap ? batch->submit_cap * 2 : 64;
        batch->submits = jk_realloc (
            batch->submits, batch->submit_cap * sizeof (jk_store_submit_t));
    }
    batch->submits[batch->submit_count++] = submit;
    return true;
}

/* A SQLite failure: roll back, answer nothing (senders resend), log it,
   and stop writing when the database itself is broken. Returns the
   primary SQLite result code. */
static int s_batch_failed (jk_store_t *self, size_t events)
{
    int code = jk_log_errcode (self->log);
    char message[256];
    snprintf (message, sizeof message, "%s", jk_log_errmsg (self->log));
    jk_log_rollback (self->log);
    /* The model may hold what the rolled-back transaction decided (and
       the next batch planned while it committed): it is loaded again from
       the projections once they reach the log's head, and both batches
       are planned again. */
    jk_model_destroy (&self->model);
    self->cur->planned = self->next->planned = false;
    jk_store_plan_reset (self);
    self->failed_batches++;
    jk_error ("store",
              "batch of %zu events rolled back, nothing answered: sqlite "
              "error %d: %s",
              events, code, message);
    int primary = code & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
        jk_error ("store", "the database is unusable; the store stops "
                           "writing");
        self->fatal = true;
        zpoller_remove (self->poller, self->backend);
        zstr_send (self->pipe, "FATAL");
    }
    return primary;
}

/* Failures that say nothing about the events: retrying the same events
   one SUBMIT at a time would fail the same way. */
static bool s_transient (int primary)
{
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED ||
           primary == SQLITE_FULL || primary == SQLITE_IOERR ||
           primary == SQLITE_NOMEM || primary == SQLITE_CORRUPT ||
           primary == SQLITE_NOTADB || primary == SQLITE_READONLY;
}

/* Sends [JEJAK/1][command] as the first parts of a message on the
   backend; false when the broker did not take them. */
static bool s_head (jk_store_t *self, const char *command)
{
    return jk_store_backend_part (self, JK_PROTOCOL, strlen (JK_PROTOCOL),
                                  true) &&
           jk_store_backend_part (self, command, strlen (command), true);
}

/* Answers each SUBMIT of [from, to) (items [first, last)), in order:
   [JEJAK/1][ANSWER][routing][answer]..., each answer packed on the stack
   and sent as its own part (no frame objects). */
static void s_answer (jk_store_t *self, size_t from, size_t to, size_t first,
                      size_t last)
{
    uint8_t frame[JK_ANSWER_MAX];
    size_t item = first;
    for (size_t s = from; s < to; s++) {
        const jk_store_submit_t *submit = &self->cur->submits[s];
        size_t end = item;
        while (end < last && self->cur->items[end].submit == s)
            end++;
        bool sent = s_head (self, "ANSWER") &&
                    jk_store_backend_part (
                        self, self->cur->bytes->data + submit->routing_at,
                        submit->routing_size, end > item);
        for (; sent && item < end; item++)
            jk_store_backend_part (
                self, frame,
                jk_answer_pack (&self->cur->items[item].answer, frame),
                item + 1 < end);
        item = end;
    }
}

/* Hands every committed record of the answered items [first, last) to
   the projector as the log holds it, the accepted ones decoded, with the
   batch's bytes the records point into (jk_projector_offer). */
static void s_handoff (jk_store_t *self, size_t first, size_t last)
{
    if (!self->projector)
        return;
    jk_handoff_t *handoff = jk_handoff_new ();
    for (size_t i = first; i < last; i++) {
        jk_store_item_t *it = &self->cur->items[i];
        if (!it->logged)
            continue;
        bool rejected = it->answer.kind == JK_ANSWER_REJECTED;
        jk_stored_t stored = {.pos = it->answer.pos,
                              .recorded_at = it->recorded_at,
                              .hash = it->answer.hash,
                              .rejected = rejected,
                              .code = rejected ? it->answer.code : NULL,
                              .message = rejected ? it->answer.message : NULL,
                              .bytes = it->data,
                              .size = it->size};
        jk_handoff_add (handoff, &stored, rejected ? NULL : &it->event,
                        &it->warnings);
    }
    if (jk_handoff_size (handoff) > 0) {
        /* The records point into the batch's bytes: the hand-off holds
           them too (the batch takes other bytes for its next SUBMITs while
           it does). */
        __atomic_add_fetch (&self->cur->bytes->refs, 1, __ATOMIC_RELAXED);
        jk_handoff_keep (handoff, self->cur->bytes, s_bytes_release);
    }
    jk_projector_offer (&self->shared, &handoff);
}

/* Back-pressure: the projections lag lag_max records or more behind the
   log, so every event of the batch is answered NACK E_BUSY (retryable)
   and nothing is decided or logged until the projector has caught up
   below the bound. */
static void s_batch_busy (jk_store_t *self, uint64_t lag)
{
    jk_store_stage_wait (self, self->cur, self->cur->item_count);
    for (size_t i = 0; i < self->cur->item_count; i++) {
        jk_store_item_t *it = &self->cur->items[i];
        memset (&it->answer, 0, sizeof it->answer);
        memcpy (it->answer.id, it->refused ? it->refusal.id : it->envelope.id,
                16);
        jk_store_nack (&it->answer, "E_BUSY",
                       "the projections are %llu records behind the log (bound "
                       "%llu): resend later",
                       (unsigned long long)lag,
                       (unsigned long long)self->lag_max);
    }
    self->counts.received += self->cur->item_count;
    self->counts.nacked += self->cur->item_count;
    self->busy += self->cur->item_count;
    /* As after a commit: STATS asked after the E_BUSY counts it. */
    jk_store_push_counters (self);
    s_answer (self, 0, self->cur->submit_count, 0, self->cur->item_count);
    jk_store_projector_wake (self);
}

/* Adds a committed batch's counts to the totals. */
static void s_counts_add (jk_store_counts_t *to, const jk_store_counts_t *add)
{
    to->received += add->received;
    to->accepted += add->accepted;
    to->rejected += add->rejected;
    to->duplicates += add->duplicates;
    to->nacked += add->nacked;
}

/* The record of a logged item, its bytes borrowed from the batch's. */
static void s_record_of (const jk_store_item_t *it, jk_record_t *record)
{
    record->pos = it->answer.pos;
    record->recorded_at = it->recorded_at;
    record->bytes = it->data;
    record->size = it->size;
    memcpy (record->topic, it->topic, sizeof record->topic);
    memcpy (record->hash, it->answer.hash, JK_HASH_SIZE);
    if (it->answer.kind == JK_ANSWER_REJECTED) {
        memcpy (record->code, it->answer.code, sizeof record->code);
        memcpy (record->message, it->answer.message, sizeof record->message);
    } else
        record->code[0] = record->message[0] = 0;
}

/* ZMQ's free function of a RECORDS message's buffer (any thread). */
static void s_records_free (void *data, void *hint)
{
    (void)data;
    s_bytes_release (hint);
}

/* A buffer for a RECORDS message of size bytes, held for the message: a
   spare of the batch no message holds any more (made larger when it is
   too small), else new bytes, kept among the spares when there is room
   (else the message frees them). The same memory serves batch after
   batch instead of a new block each time that the heap, fragmented by
   the other threads' frees, takes from fresh pages. */
static jk_store_bytes_t *s_records_bytes (jk_store_batch_t *batch, size_t size)
{
    size_t cap = (size + S_BYTES_MIN - 1) / S_BYTES_MIN * S_BYTES_MIN;
    bool keep = cap <= S_BYTES_KEEP;
    jk_store_bytes_t **room = NULL;
    for (size_t i = 0; keep && i < S_RECORDS_SPARE; i++) {
        jk_store_bytes_t *bytes = batch->records[i];
        if (!bytes) {
            if (!room)
                room = &batch->records[i];
        } else if (s_bytes_alone (bytes)) {
            if (bytes->cap < size) {
                free (bytes->data);
                bytes->data = jk_malloc (cap);
                bytes->cap = cap;
            }
            __atomic_add_fetch (&bytes->refs, 1, __ATOMIC_RELAXED);
            return bytes;
        }
    }
    jk_store_bytes_t *bytes = jk_calloc (1, sizeof *bytes);
    bytes->cap = cap;
    bytes->data = jk_malloc (cap);
    bytes->refs = 1; /* the message's */
    if (room) {
        *room = bytes;
        bytes->refs++;
    }
    return bytes;
}

/* The records of items [first, last) that were logged go to the broker
   in one message (RECORDS), in position order, cut at S_RECORDS_MAX
   bytes (the broker publishes each record on the feed), and to the tree
   thread: packed once, straight into the message's frame, which the
   tree's copy shares. */
static void s_records_publish (jk_store_t *self, size_t first, size_t last)
{
    size_t from = first;
    while (from < last) {
        /* The records of [from, to) that fit in one RECORDS. */
        size_t to = from, size = 0, count = 0;
        jk_record_t record;
        for (; to < last; to++) {
            const jk_store_item_t *it = &self->cur->items[to];
            if (!it->logged)
                continue;
            s_record_of (it, &record);
            size_t more = jk_records_size (&record);
            if (size > 0 && size + more > S_RECORDS_MAX)
                break;
            size += more;
            count++;
        }
        if (size > 0) {
            zmq_msg_t records;
            jk_store_bytes_t *bytes = s_records_bytes (self->cur, size);
            zmq_msg_init_data (&records, bytes->data, size, s_records_free,
                               bytes);
            uint8_t *out = zmq_msg_data (&records);
            for (size_t i = from; i < to; i++)
                if (self->cur->items[i].logged) {
                    s_record_of (&self->cur->items[i], &record);
                    out += jk_records_put (out, &record);
                }
            assert (out == (uint8_t *)zmq_msg_data (&records) + size);
            jk_store_tree_feed (self, &records, count);
            if (s_head (self, "RECORDS"))
                jk_store_backend_msg (self, &records);
            else
                zmq_msg_close (&records);
        }
        from = to;
    }
}

/* Plans the items [first, last) of batch in order, each accepted one
   applied to the model before the next is planned: JK_OK, or JK_IO when
   the model could not read the projections. */
static int s_plan (jk_store_t *self, jk_store_batch_t *batch, size_t first,
                   size_t last)
{
    for (size_t i = first; i < last; i++) {
        jk_store_stage_wait (self, batch, i + 1);
        if (jk_store_plan (self, &batch->items[i], batch->recorded_at) != JK_OK)
            return JK_IO;
        jk_store_plan_apply (self, &batch->items[i]);
    }
    return JK_OK;
}

/* The model could not decide (its read of the projections failed):
   nothing appended, nothing answered; the model is loaded again. */
static int s_plan_failed (jk_store_t *self, size_t events)
{
    jk_model_destroy (&self->model);
    self->cur->planned = false;
    jk_store_plan_reset (self);
    self->failed_batches++;
    jk_error ("store",
              "batch of %zu events not decided, nothing answered: the model "
              "cannot read the projections",
              events);
    return SQLITE_IOERR;
}

/* Takes the next batch in while this one waits to commit. Under
   JK_FAULT_FAIL_COMMIT_NEXT, waits for it (up to 10 s) first. */
static void s_fill_next (jk_store_t *self)
{
    self->deferring = true;
    jk_store_stage_fill (self, self->next);
    int64_t deadline = jk_clock_mono_ms () + 10000;
    while (self->fault == JK_FAULT_FAIL_COMMIT_NEXT &&
           self->next->item_count == 0 && jk_clock_mono_ms () < deadline) {
        zmq_pollitem_t item = {zsock_resolve (self->backend), 0, ZMQ_POLLIN, 0};
        zmq_poll (&item, 1, 100);
        jk_store_stage_fill (self, self->next);
    }
    self->deferring = false;
}

/* The plan thread's job (store_aside.c), while the writer commits the
   batch before and answers it: plans the next batch in memory (the
   model, the log's plan, the decode stage's chunks). */
static void s_plan_next (void *arg)
{
    jk_store_t *self = arg;
    jk_store_batch_t *next = self->next;
    jk_model_written (self->model, jk_store_projected (self));
    if (s_plan (self, next, 0, next->item_count) == JK_OK)
        next->planned = true;
    else {
        /* It is planned again from a model loaded afresh. */
        jk_model_destroy (&self->model);
        jk_store_plan_reset (self);
    }
}

/* Runs the open transaction's COMMIT (the WAL's write and sync). When
   the next batch waits (taken in meanwhile) with S_PLAN_ASIDE_MIN events
   or more, the plan thread plans it meanwhile (*planning; a smaller one
   is planned by the writer after, as the thread's wake-up would cost its
   events more than the plan saves): until jk_store_aside_wait the
   writer touches
   neither the model, the log's plan, the decode stage nor the log's
   memory that jk_log_commit_end writes. Not while the projections lag
   at the bound: that batch is answered E_BUSY after, undecided. JK_OK
   or JK_IO (for jk_log_commit_end). */
static int s_commit_write (jk_store_t *self, bool serial, bool *planning)
{
    jk_store_batch_t *next = self->next;
    if (!next->planned && next->item_count == 0 && !self->terminated)
        s_fill_next (self);
    *planning = !serial && next->item_count >= S_PLAN_ASIDE_MIN &&
                !next->planned && self->model &&
                jk_store_lag (self, NULL) < self->lag_max;
    if (*planning)
        jk_store_aside_run (self, s_plan_next, self);
    return jk_log_commit_write (self->log);
}

/* The COMMIT is over and the batch answered: the next batch's plan is
   waited for, then the log keeps what the transaction staged (or rolls
   back, JK_IO, when written failed). */
static int s_commit_end (jk_store_t *self, bool planning, int written)
{
    if (planning) {
        jk_store_aside_wait (self);
        self->overlapped++;
    }
    return jk_log_commit_end (self->log, written);
}

/* Decides the SUBMITs [from, to) of the batch in one transaction,
   commits, then answers each SUBMIT (in order) and hands the records (in
   position order) to the broker in one RECORDS message. The whole batch
   (not serial) was planned while the batch before committed, or is
   planned here, and its records appended after; one SUBMIT retried alone
   (serial) is planned and appended event by event. Returns 0, or the
   primary SQLite code of a failure (nothing answered, nothing kept). */
static int s_batch_try (jk_store_t *self, size_t from, size_t to, bool serial)
{
    jk_store_batch_t *cur = self->cur;
    size_t first = 0, last;
    while (first < cur->item_count && cur->items[first].submit < from)
        first++;
    for (last = first; last < cur->item_count && cur->items[last].submit < to;
         last++)
        ;
    if (serial || !cur->planned) {
        cur->planned = false;
        if (jk_store_model_ready (self) != JK_OK) {
            /* Nothing decided, nothing answered: the senders resend. */
            self->failed_batches++;
            return SQLITE_BUSY;
        }
        jk_model_written (self->model, jk_store_projected (self));
        jk_store_plan_reset (self);
        if (!serial && s_plan (self, cur, first, last) != JK_OK)
            return s_plan_failed (self, last - first);
    }
    if (jk_log_begin (self->log) != JK_OK)
        return s_batch_failed (self, last - first);
    /* The tiles the tree thread completed ride along. */
    if (jk_store_tree_put (self) != JK_OK)
        return s_batch_failed (self, last - first);
    for (size_t i = first; i < last; i++) {
        jk_store_item_t *it = &cur->items[i];
        if (serial) {
            jk_store_stage_wait (self, cur, i + 1);
            if (jk_store_plan (self, it, cur->recorded_at) != JK_OK)
                return s_batch_failed (self, last - first);
        }
        int rc = jk_store_append (self, it);
        if (rc == JK_CONFLICT && !serial) {
            /* The id is logged already (the log's UNIQUE index): the plan
               after this event counted it appended and the model holds
               it. The batch is decided again event by event from a model
               loaded afresh. */
            jk_log_rollback (self->log);
            jk_model_destroy (&self->model);
            cur->planned = false;
            return s_batch_try (self, from, to, true);
        }
        if (rc == JK_CONFLICT)
            rc = jk_store_conflict (self, it);
        if (rc != JK_OK)
            return s_batch_failed (self, last - first);
        if (serial) {
            jk_store_plan_apply (self, it);
            jk_store_plan_reset (self);
        }
    }
    jk_store_plan_reset (self); /* the plan is appended */
    jk_store_counts_t counts = {0};
    for (size_t i = first; i < last; i++)
        jk_store_count (&cur->items[i], &counts);
    bool planning;
    int written = s_commit_write (self, serial, &planning);
    if (written != JK_OK) {
        s_commit_end (self, planning, written);
        return s_batch_failed (self, last - first);
    }
    if (self->fault == JK_FAULT_CRASH_AFTER_COMMIT &&
        counts.accepted + counts.rejected > 0)
        _exit (JK_FAULT_EXIT);
    if (self->tree_tiles)
        jk_store_tree_stored (self);
    /* The tree is handed the records below, the projector the batch once
       it is answered (s_handoff). */
    bool logged = counts.accepted + counts.rejected > 0;
    if (logged)
        jk_store_lag_note (self, jk_log_head (self->log, NULL));
    self->batches++;
    s_counts_add (&self->counts, &counts);
    __atomic_add_fetch (&self->clock_refused, counts.clock_refused,
                        __ATOMIC_RELAXED);
    /* The counters go to the query thread before the answers leave: a
       client that asks STATS after its ACK sees its batch in them. */
    jk_store_push_counters (self);
    s_answer (self, from, to, first, last);
    s_records_publish (self, first, last);
    if (logged) {
        s_handoff (self, first, last);
        jk_store_projector_wake (self);
    }
    return s_commit_end (self, planning, written) == JK_OK ? 0 : SQLITE_IOERR;
}

/* Runs the whole batch as one transaction. If SQLite refuses it for a
   reason that may lie in one of its events, each SUBMIT is retried alone,
   so one poisonous submission cannot hold back everyone else's. */
static void s_batch_run (jk_store_t *self)
{
    int64_t lag_ms;
    uint64_t lag = jk_store_lag (self, &lag_ms);
    if (lag_ms > self->lag_max_ms)
        self->lag_max_ms = lag_ms;
    /* A batch planned while the one before committed was below the
       bound then (the lag only shrinks until it is appended). */
    if (lag >= self->lag_max && !self->cur->planned) {
        s_batch_busy (self, lag);
        jk_store_batch_clear (self->cur);
        return;
    }
    int failed = s_batch_try (self, 0, self->cur->submit_count, false);
    if (failed && !self->fatal && !s_transient (failed) &&
        self->cur->submit_count > 1)
        for (size_t s = 0; s < self->cur->submit_count && !self->fatal; s++)
            s_batch_try (self, s, s + 1, true);
    jk_store_batch_clear (self->cur);
    if (failed)
        jk_store_push_counters (self); /* failed_batches moved */
    /* Checkpoints stay out of the commit path: when idle, or here, after
       the answers, once checkpoint_frames wait in the WAL (store_wal.c:
       the bulk on the checkpoint thread, the tail here). One that copies
       them all lets the next commit write the WAL from its beginning
       again, over pages the file already has: the WAL is rewritten in
       place instead of growing (docs/ARCHITECTURE.md, "The log's WAL"). */
    self->checkpoint_due = true;
    jk_store_wal_after_batch (self);
    jk_store_sign (self, false);
}

/* Takes one backend message that is not a SUBMIT (those go straight
   into the batch: s_backend_recv). */
void jk_store_backend_take (jk_store_t *self, zmsg_t *msg)
{
    char command[16];
    if (jk_wire_open (msg, command, sizeof command) != 0)
        jk_store_malformed (self, "not JEJAK/1");
    else if (self->deferring) {
        /* A heartbeat's PONG reads the committed seqs: after the commit. */
        zmsg_pushstr (msg, command);
        zmsg_pushstr (msg, JK_PROTOCOL);
        zlist_append (self->deferred, msg);
        return;
    } else if (streq (command, "HEARTBEAT"))
        jk_store_heartbeat (self, msg);
    else if (streq (command, "ERROR"))
        jk_store_broker_error (self, msg);
    else if (!streq (command, "PONG"))
        jk_store_malformed (self, "unknown command");
    zmsg_destroy (&msg);
}

/* Takes everything waiting on the backend (up to the batch cap) into
   batch and hands its events to the decode stage. Its recorded_at is the
   log's next time (which counts the open transaction's records), so time
   never decreases along the log. */
void jk_store_stage_fill (jk_store_t *self, jk_store_batch_t *batch)
{
    assert (batch->item_count == 0 && batch->sent == 0);
    s_bytes_reset (batch);
    void *socket = zsock_resolve (self->backend);
    zmq_msg_t part;
    zmq_msg_init (&part);
    while (batch->item_count < (size_t)self->batch_max &&
           s_backend_recv (self, batch, socket, &part))
        ;
    zmq_msg_close (&part);
    if (batch->item_count > 0)
        batch->bytes_used = batch->bytes->size;
    /* The bytes move no more: the items point into them. */
    for (size_t i = 0; i < batch->item_count; i++)
        batch->items[i].data = batch->bytes->data + batch->items[i].at;
    if (batch->item_count == 0) {
        jk_store_batch_clear (batch);
        return;
    }
    batch->recorded_at = jk_log_next_time (self->log);
    jk_store_stage_send (self, batch);
}

/* Runs the current batch (the next one goes to the stage while it
   commits), makes the next one current, and handles the backend messages
   that waited for the commit. */
void jk_store_batch_cycle (jk_store_t *self)
{
    s_batch_run (self);
    jk_store_batch_t *done = self->cur;
    self->cur = self->next;
    self->next = done;
    if (self->fatal && self->cur->item_count > 0) {
        /* Nothing is written any more: the senders resend elsewhere. */
        jk_store_stage_wait (self, self->cur, self->cur->sent);
        jk_store_batch_clear (self->cur);
    }
    zmsg_t *msg;
    while ((msg = zlist_pop (self->deferred)))
        jk_store_backend_take (self, msg);
    /* The tree's updates, which a busy backend would keep waiting. */
    while (self->tree && (zsock_events (self->tree) & ZMQ_POLLIN)) {
        msg = zmsg_recv (self->tree);
        jk_store_tree_take (self, &msg);
    }
}
