/*  store.c - the store actor (jk_store.h): the single writer. Receives
    SUBMITs from the broker's backend; a decode stage on its own thread
    decodes and validates each batch while the writer decides the one
    before (dedup, seq, domain rules against the in-memory model),
    appends its log records in one transaction, commits, then answers and
    publishes. The Merkle tree follows on the tree thread (tree.c). The
    projector thread (projector.c) applies the committed records to the
    projections' own file behind it; the writer answers E_BUSY while the
    projections lag more than the bound. Used by jejak-store and
    jejak-hub. */
#include "jk_checkpoints.h"
#include "jk_fault.h"
#include "jk_integrity.h"
#include "jk_log.h"
#include "jk_model.h"
#include "jk_projection_table.h"
#include "jk_projector.h"
#include "jk_store.h"
#include "jk_tiles.h"
#include "jk_tree.h"
#include "jk_wire.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define S_BATCH_DEFAULT      1000
#define S_CHECKPOINT_FRAMES  20000 /* checkpoint even when busy past this */
#define S_IDLE_CHECKPOINT_MS 200   /* idle this long: checkpoint */
#define S_SEND_TIMEOUT_MS    100   /* give up on a stuck broker after */
#define S_RECORDS_MAX        (4 * 1024 * 1024) /* bytes of one RECORDS */
/* The store appends only while its clock is at most this far behind the
   log's last recorded_at (PROTOCOL.md, limits); further behind, events are
   answered NACK E_STORE_CLOCK and nothing is appended. */
#define S_CLOCK_TOLERANCE_MS JK_STORE_CLOCK_TOLERANCE_MS
#define S_CLOCK_LOG_MS       60000 /* repeat the clock error this often */
/* Records whose chain the store recomputes at start (jejak-replay verify
   does them all). */
#define S_CHAIN_TAIL 10000
/* Records per projector transaction while catching up at start. */
#define S_CATCH_UP_MAX 20000
/* How long the writer waits for the projections to reach the log's head
   before it reloads its model (after a rolled-back batch). */
#define S_MODEL_WAIT_MS 60000
/* Committed batches remembered for the lag in ms. */
#define S_LAG_RING 1024
/* STATS follows the projector's position this closely while it moves. */
#define S_LAG_PUSH_MS 20
/* The tree thread is handed the committed records while it is fewer than
   this many behind the log's head (what waits for it in memory); further
   behind, it reads them from the log. */
#define S_TREE_FED_MAX 16384

/* One submitted event of a batch. */
typedef struct {
    zframe_t *frame; /* its bytes, owned by its SUBMIT */
    size_t submit;   /* index of its SUBMIT in the batch */
    /* What the decode stage made of it (pure, given the batch's
       recorded_at): */
    bool refused;           /* not attributable, or seq 0: refusal says */
    jk_answer_t refusal;    /* its NACK then */
    jk_envelope_t envelope; /* id, source, seq, type (when not refused) */
    jk_event_t *event;      /* decoded, or NULL */
    jk_report_t *warnings;  /* heap: its warnings, NULL when none */
    bool invalid;           /* did not decode, or failed validation */
    jk_problem_t problem;   /* the first error then */
    /* What the writer made of it: */
    jk_answer_t answer;  /* what the sender will hear */
    bool logged;         /* appended: publish it */
    int64_t recorded_at; /* when logged */
    char topic[80];      /* feed topic when logged */
} s_item_t;

/* A batch: the SUBMITs waiting on the backend when it was taken, and
   their events in order. */
typedef struct {
    zmsg_t **submits; /* routing first */
    size_t submit_count, submit_cap;
    s_item_t *items;
    size_t item_count, item_cap;
    int64_t recorded_at; /* every record it logs has this time */
    size_t sent;         /* items handed to the decode stage */
    size_t prepared;     /* items it handed back (a prefix) */
} s_batch_t;
_Static_assert(sizeof ((s_item_t *)0)->topic ==
                   sizeof ((jk_record_t *)0)->topic,
               "a logged item's topic is copied whole into its record");

/* Counters, kept per batch and added up after its COMMIT. */
typedef struct {
    uint64_t received;   /* events in SUBMITs */
    uint64_t accepted;   /* logged, accepted */
    uint64_t rejected;   /* logged, rejected */
    uint64_t duplicates; /* answered DUPLICATE */
    uint64_t nacked;     /* answered NACK */
} s_counts_t;

typedef struct {
    zsock_t *pipe;    /* our end of the actor pipe */
    zsock_t *backend; /* DEALER to the broker's backend */
    zactor_t *query;  /* the query endpoint's actor */
    zpoller_t *poller;
    jk_log_t *log;                /* the writer's log */
    jk_model_t *model;            /* what the rules decide against */
    sqlite3 *proj_read;           /* read-only: the model's load */
    zactor_t *projector;          /* the projector thread */
    jk_projector_shared_t shared; /* its position, published */
    uint64_t lag_max;             /* E_BUSY at this lag (records) */
    uint64_t busy;                /* events answered E_BUSY: lagging */
    uint64_t pushed_projected;    /* projected in the last COUNTERS */
    int64_t lag_max_ms;           /* most lag seen at a batch, ms */
    struct {
        uint64_t last_pos; /* a committed batch's last position */
        int64_t committed; /* when it was committed, mono ms */
    } ring[S_LAG_RING];
    size_t ring_head, ring_count;
    int batch_max;              /* group commit cap in events */
    bool terminated;            /* $TERM received */
    bool fatal;                 /* database unusable: writing stopped */
    int64_t next_ping;          /* mono ms of the next PING */
    bool checkpoint_due;        /* commits since the last checkpoint */
    jk_fault_t fault;           /* injected for tests (jk_fault.h) */
    s_counts_t counts;          /* since start */
    uint64_t batches;           /* committed batches */
    uint64_t failed_batches;    /* rolled back on a SQLite error */
    uint64_t malformed;         /* backend messages ignored */
    uint64_t send_failures;     /* answers or records not sent */
    uint64_t clock_refused;     /* events refused: clock behind the log */
    int64_t clock_logged;       /* mono ms of the last clock error */
    zhashx_t *behind;           /* source -> stored_seq it reported ahead
                                   of the log (logged once) */
    uint64_t rewinds;           /* REWINDs sent */
    uint64_t refused_by_broker; /* ERRORs from the broker */
    int lock_fd;                /* the single writer's lock, or -1 */
    /* The batch being decided, and the next one, taken off the socket
       and handed to the decode stage while the current one commits (or
       empty). */
    s_batch_t pipeline[2];
    s_batch_t *cur, *next;
    zactor_t *stage;    /* the decode stage's thread */
    size_t stage_jobs;  /* chunks at the stage */
    bool deferring;     /* a transaction is open: other messages wait */
    zlist_t *deferred;  /* backend messages that wait for the commit */
    s_batch_t *filling; /* the batch SUBMITs go to */
    uint8_t *records;   /* the batch's records packed for RECORDS */
    size_t records_cap;
    jk_signer_t *signer;   /* signs checkpoints; NULL without a log key */
    bool announce;         /* start: hand the newest to the broker */
    int64_t sign_every_ms; /* after a commit, sign within this */
    int64_t signed_mono;   /* mono ms of the last signature */
    bool sign_asked;       /* the query endpoint waits for one */
    uint64_t sign_target;  /* and it must cover this committed head */
    /* The Merkle tree behind the writer (jk_tree.h): as stored, and as it
       will be once the tiles waiting are stored. */
    zactor_t *tree;
    uint64_t tree_size, tree_next;
    uint8_t tree_head[JK_HASH_SIZE], tree_next_head[JK_HASH_SIZE];
    zmsg_t *tree_tiles;      /* tile frames waiting for a transaction */
    int64_t tree_tiles_mono; /* mono ms since they wait */
    bool tree_failed;        /* a tile flush failed (logged once) */
} s_store_t;

/* Vetoes one commit: the injected SQLite failure of "fail_commit". */
static int s_commit_veto (void *arg)
{
    s_store_t *self = arg;
    if (self->fault != JK_FAULT_FAIL_COMMIT)
        return 0;
    self->fault = JK_FAULT_NONE;
    return 1;
}

/* ---- answers and records --------------------------------------------------
 */

static void s_nack (jk_answer_t *answer, const char *code, const char *format,
                    ...) __attribute__ ((format (printf, 3, 4)));

static void s_nack (jk_answer_t *answer, const char *code, const char *format,
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
    snprintf (out->type, sizeof out->type, "%s", event->type->name);
    out->at = event->at;
    out->version = event->version;
    return true;
}

/* Answers an event whose id is already in the log: DUPLICATE with the
   original position (and rejection) for the same bytes, NACK
   E_ID_CONFLICT for other bytes. JK_OK when answered, JK_NOT_FOUND when
   the id is new, JK_IO. */
static int s_known_id (s_store_t *self, s_item_t *item,
                       const jk_envelope_t *envelope, s_counts_t *counts)
{
    const uint8_t *data = zframe_data (item->frame);
    size_t size = zframe_size (item->frame);
    jk_answer_t *answer = &item->answer;
    jk_log_record_t found;
    int rc = jk_log_find (self->log, envelope->id, &found);
    if (rc != JK_OK)
        return rc;
    char id_text[37];
    jk_uuid_format (envelope->id, id_text);
    if (found.size != size || memcmp (found.bytes, data, size) != 0) {
        s_nack (answer, "E_ID_CONFLICT",
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

/* The decode stage's part of an event, pure given the batch's
   recorded_at (it runs on the stage's thread, ahead of the writer): the
   bytes decoded once (the envelope comes from the event; only bytes that
   do not decode are peeked), the refusals that need nothing of the log
   (not attributable: E_TOO_LARGE, E_DECODE; seq 0: E_ENVELOPE_SEQ), and
   format validation with the batch's recorded_at as the clock. */
static void s_prepare (s_item_t *item, int64_t recorded_at)
{
    const uint8_t *data = zframe_data (item->frame);
    size_t size = zframe_size (item->frame);
    jk_answer_t *answer = &item->refusal;
    bool sized = size > 0 && size <= JK_EVENT_MAX_BYTES;
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_t *event = sized ? jk_event_decode (data, size, &report) : NULL;
    if (!event || !s_envelope_of (event, &item->envelope)) {
        if (!sized || !jk_envelope_peek (data, size, &item->envelope)) {
            /* Not attributable: answered with its id whenever the bytes
               hold one, however large or deep they are. */
            jk_envelope_id (data, size, answer->id);
            if (size > JK_EVENT_MAX_BYTES)
                s_nack (answer, "E_TOO_LARGE",
                        "the event is %zu bytes, more than the %d allowed",
                        size, JK_EVENT_MAX_BYTES);
            else
                s_nack (answer, "E_DECODE",
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
        memcpy (answer->id, item->envelope.id, 16);
        s_nack (answer, "E_ENVELOPE_SEQ", "envelope.seq must be 1 or more");
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

/* Decides one prepared event inside the open transaction: fills its
   answer, and appends and applies a record when it is decided (accepted
   or rejected). The log is searched by id only when the seq is not the
   source's next one: an event with the next seq cannot repeat a logged
   one, and a reused id with other bytes is caught by the log's UNIQUE
   index at append. Returns JK_OK, or JK_IO when SQLite failed (the batch
   rolls back). */
static int s_decide (s_store_t *self, s_item_t *item, int64_t recorded_at,
                     s_counts_t *counts)
{
    const uint8_t *data = zframe_data (item->frame);
    size_t size = zframe_size (item->frame);
    jk_answer_t *answer = &item->answer;
    const jk_envelope_t *envelope = &item->envelope;
    counts->received++;
    if (item->refused) {
        *answer = item->refusal;
        counts->nacked++;
        return JK_OK;
    }
    memcpy (answer->id, envelope->id, 16);

    int rc;
    uint64_t next = jk_log_next_seq (self->log, envelope->source);
    if (envelope->seq != next) {
        rc = s_known_id (self, item, envelope, counts);
        if (rc != JK_NOT_FOUND)
            return rc == JK_OK ? JK_OK : JK_IO;
    }
    if (envelope->seq < next) {
        s_nack (answer, "E_SEQ_TAKEN",
                "envelope.seq %llu of source %s is already taken by another "
                "event; the next free seq is %llu",
                (unsigned long long)envelope->seq, envelope->source,
                (unsigned long long)next);
        counts->nacked++;
        return JK_OK;
    }
    if (envelope->seq > next) {
        s_nack (answer, "E_SEQ_GAP",
                "envelope.seq %llu of source %s leaves a gap: the store "
                "expects seq %llu; resend from there",
                (unsigned long long)envelope->seq, envelope->source,
                (unsigned long long)next);
        answer->expected = next;
        counts->nacked++;
        return JK_OK;
    }

    /* Decided from here on: the record takes a position either way,
       unless the store's clock has gone back behind the log's. */
    int64_t now = jk_clock_now_ms ();
    if (recorded_at - now > S_CLOCK_TOLERANCE_MS) {
        s_nack (answer, "E_STORE_CLOCK",
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
        return JK_OK;
    }
    jk_event_t *event = item->event;
    jk_report_t decision;
    jk_report_reset (&decision);
    const jk_problem_t *problem = item->invalid ? &item->problem : NULL;
    if (!problem) {
        rc = jk_model_decide (self->model, event, &decision);
        if (rc == JK_IO)
            return JK_IO;
        if (rc != 0)
            problem = &decision.error;
    }
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
        .bytes = data,
        .size = size,
    };
    memcpy (record.id, envelope->id, 16);
    rc = jk_log_append (self->log, &record);
    if (rc == JK_CONFLICT) {
        /* The id is in the log already (the UNIQUE index said so). */
        rc = s_known_id (self, item, envelope, counts);
        return rc == JK_OK ? JK_OK : JK_IO;
    }
    if (rc == JK_OK && !problem)
        jk_model_apply (self->model, event, record.pos);
    if (rc == JK_OK) {
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
    }
    return rc == JK_OK ? JK_OK : JK_IO;
}

/* ---- the batch --------------------------------------------------------------
 */

static void s_stage_fill (s_store_t *self, s_batch_t *batch);

static void s_batch_clear (s_batch_t *batch)
{
    for (size_t i = 0; i < batch->item_count; i++) {
        jk_event_destroy (&batch->items[i].event);
        free (batch->items[i].warnings);
    }
    for (size_t i = 0; i < batch->submit_count; i++)
        zmsg_destroy (&batch->submits[i]);
    batch->submit_count = 0;
    batch->item_count = 0;
    batch->sent = 0;
    batch->prepared = 0;
}

static void s_batch_free (s_batch_t *batch)
{
    s_batch_clear (batch);
    free (batch->submits);
    free (batch->items);
}

/* Takes a SUBMIT ([routing][event]...) into the batch; consumes msg. */
static void s_batch_take (s_batch_t *batch, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    if (batch->submit_count == batch->submit_cap) {
        batch->submit_cap = batch->submit_cap ? batch->submit_cap * 2 : 64;
        batch->submits =
            jk_realloc (batch->submits, batch->submit_cap * sizeof (zmsg_t *));
    }
    size_t index = batch->submit_count++;
    batch->submits[index] = msg;
    *msg_p = NULL;
    zmsg_first (msg); /* the routing id */
    for (zframe_t *frame = zmsg_next (msg); frame; frame = zmsg_next (msg)) {
        if (batch->item_count == batch->item_cap) {
            batch->item_cap = batch->item_cap ? batch->item_cap * 2 : 1024;
            batch->items =
                jk_realloc (batch->items, batch->item_cap * sizeof (s_item_t));
        }
        s_item_t *item = &batch->items[batch->item_count++];
        memset (item, 0, sizeof *item);
        item->frame = frame;
        item->submit = index;
    }
}

/* ---- the decode stage -------------------------------------------------------
   A thread ahead of the writer: it decodes and validates the events of a
   batch (s_prepare) in chunks of S_STAGE_CHUNK, in order, while the
   writer decides the chunks already done, and commits. Messages on its
   pipe: [RUN][batch][from u64][to u64] in, [batch][to u64] back when the
   items [from, to) are prepared; the writer reads an item only once the
   chunk holding it is back, and never grows a batch with chunks out. */

#define S_STAGE_CHUNK 100

static void s_stage_actor (zsock_t *pipe, void *args)
{
    (void)args;
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
        s_batch_t *batch = ptr;
        for (uint64_t i = from; i < to; i++)
            s_prepare (&batch->items[i], batch->recorded_at);
        free (command);
        zsock_send (pipe, "p8", batch, to);
    }
    /* This thread's OpenSSL state goes with it. */
    OPENSSL_thread_stop ();
}

/* Hands the batch's items not yet sent to the stage, chunk by chunk. */
static void s_stage_send (s_store_t *self, s_batch_t *batch)
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
static void s_stage_wait (s_store_t *self, s_batch_t *batch, size_t n)
{
    assert (n <= batch->sent);
    while (batch->prepared < n) {
        void *ptr = NULL;
        uint64_t to = 0;
        if (zsock_recv (self->stage, "p8", &ptr, &to) != 0 || !ptr)
            continue; /* interrupted by a signal: the chunk still comes */
        ((s_batch_t *)ptr)->prepared = (size_t)to;
        self->stage_jobs--;
    }
}

/* Sends a message on the backend; a stuck or absent broker loses it (the
   agent resends; the feed's subscribers catch up). */
static void s_backend_send (s_store_t *self, zmsg_t **msg_p)
{
    if (zmsg_send (msg_p, self->backend) != 0) {
        zmsg_destroy (msg_p);
        if (self->send_failures++ == 0)
            jk_warn ("store", "backend send failed: broker unreachable; "
                              "senders will resend");
    }
}

static void s_send_ping (s_store_t *self)
{
    uint8_t hash[JK_HASH_SIZE];
    uint64_t pos = jk_log_head (self->log, hash);
    zmsg_t *msg = jk_wire_new ("PING");
    jk_wire_add_u64 (msg, pos);
    zmsg_addmem (msg, hash, JK_HASH_SIZE);
    jk_wire_add_u64 (msg, (uint64_t)jk_clock_now_ms ());
    s_backend_send (self, &msg);
}

/* ---- the tree behind the writer ---------------------------------------------
 */

/* An update from the tree thread: its tiles wait for the next
   transaction; with none waiting, its size and head count at once (the
   leaves after the stored tiles are the committed log itself). */
static void s_tree_take (s_store_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    char *command = msg ? zmsg_popstr (msg) : NULL;
    uint64_t size;
    uint8_t head[JK_HASH_SIZE];
    if (command && streq (command, "TREE") &&
        jk_tree_update_open (msg, &size, head) == JK_OK &&
        size >= self->tree_next) {
        self->tree_next = size;
        memcpy (self->tree_next_head, head, JK_HASH_SIZE);
        zframe_t *frame;
        while ((frame = zmsg_pop (msg))) {
            if (!self->tree_tiles) {
                self->tree_tiles = zmsg_new ();
                self->tree_tiles_mono = jk_clock_mono_ms ();
            }
            zmsg_append (self->tree_tiles, &frame);
        }
        if (!self->tree_tiles) {
            self->tree_size = size;
            memcpy (self->tree_head, head, JK_HASH_SIZE);
        }
    }
    free (command);
    zmsg_destroy (msg_p);
}

/* Stores the waiting tiles in the open transaction: JK_OK or JK_IO. */
static int s_tree_put (s_store_t *self)
{
    if (!self->tree_tiles)
        return JK_OK;
    for (zframe_t *f = zmsg_first (self->tree_tiles); f;
         f = zmsg_next (self->tree_tiles)) {
        int level;
        uint64_t idx;
        const uint8_t *hashes;
        uint32_t width;
        if (jk_tree_tile (f, &level, &idx, &hashes, &width) != JK_OK ||
            jk_log_put_tile (self->log, level, idx, hashes, width) != JK_OK)
            return JK_IO;
    }
    return JK_OK;
}

/* The transaction holding the waiting tiles committed. */
static void s_tree_stored (s_store_t *self)
{
    zmsg_destroy (&self->tree_tiles);
    self->tree_size = self->tree_next;
    memcpy (self->tree_head, self->tree_next_head, JK_HASH_SIZE);
}

/* Stores the waiting tiles in a transaction of their own: when no batch
   took them within S_IDLE_CHECKPOINT_MS, when a checkpoint waits for
   them, at start and at a clean stop. */
static void s_tree_flush (s_store_t *self)
{
    if (!self->tree_tiles || self->fatal)
        return;
    int rc = jk_log_begin (self->log);
    if (rc == JK_OK && s_tree_put (self) != JK_OK) {
        jk_log_rollback (self->log);
        rc = JK_IO;
    } else if (rc == JK_OK)
        rc = jk_log_commit (self->log);
    self->tree_tiles_mono = jk_clock_mono_ms (); /* retried after a while */
    if (rc == JK_OK) {
        s_tree_stored (self);
        self->tree_failed = false;
        self->checkpoint_due = true;
    } else if (!self->tree_failed) {
        self->tree_failed = true;
        jk_error ("store",
                  "the Merkle tiles up to %llu records are not stored yet: "
                  "%s (stored with the next batch)",
                  (unsigned long long)self->tree_next,
                  jk_log_errmsg (self->log));
    }
}

/* ---- checkpoints -----------------------------------------------------------
 */

/* Whether the newest checkpoint covers the stored tree. */
static bool s_covered (s_store_t *self)
{
    return jk_signer_note (self->signer) &&
           self->tree_size == jk_signer_size (self->signer);
}

/* Mono ms at which the next checkpoint is due, or INT64_MAX when the
   newest covers the stored tree and nobody asked, or a CHECKPOINT asked
   waits for the tree to reach the head it arrived at. */
static int64_t s_sign_due (s_store_t *self)
{
    if (!self->signer || self->fatal)
        return INT64_MAX;
    if (self->sign_asked) {
        if (self->tree_next < self->sign_target)
            return INT64_MAX; /* the tree thread's update wakes us */
        if (s_covered (self) && self->tree_size >= self->sign_target)
            return 0; /* the newest answers it */
        return self->signed_mono + JK_CHECKPOINT_ASKED_MS;
    }
    if (s_covered (self))
        return INT64_MAX;
    return self->signed_mono + self->sign_every_ms;
}

/* Signs the stored tree and stores the note. */
static int s_sign_store (s_store_t *self)
{
    uint64_t size = self->tree_size;
    uint8_t root[32];
    memcpy (root, self->tree_head, sizeof root);
    int rc = jk_signer_sign (self->signer, size, root, jk_clock_now_ms ());
    self->signed_mono = jk_clock_mono_ms ();
    if (rc != JK_OK)
        jk_error ("store", "checkpoint of %llu records not signed: %s",
                  (unsigned long long)size,
                  rc == JK_IO ? jk_log_errmsg (self->log)
                              : "smaller than the newest");
    return rc;
}

/* Signs the committed tree when due (or now, with force), stores the
   note, hands it to the broker and to a waiting query endpoint. Outside
   any transaction. */
static void s_sign (s_store_t *self, bool force)
{
    if (!self->signer || (!force && jk_clock_mono_ms () < s_sign_due (self)))
        return;
    if (self->sign_asked && self->tree_size < self->sign_target) {
        s_tree_flush (self);
        if (self->tree_size < self->sign_target)
            return; /* the tree's next update brings it */
    }
    if (!s_covered (self) && s_sign_store (self) == JK_OK) {
        zmsg_t *msg = jk_wire_new ("CHECKPOINT");
        zmsg_addstr (msg, jk_signer_note (self->signer));
        s_backend_send (self, &msg);
    } else if (self->announce && jk_signer_note (self->signer)) {
        /* At start: the broker publishes the newest, even when it was
           signed before the query endpoint opened or by an earlier run. */
        zmsg_t *msg = jk_wire_new ("CHECKPOINT");
        zmsg_addstr (msg, jk_signer_note (self->signer));
        s_backend_send (self, &msg);
    }
    self->announce = false;
    /* The query endpoint hears of every new checkpoint, and gets the
       newest when it asked (even when signing failed). */
    if (self->query) {
        const char *note = jk_signer_note (self->signer);
        zstr_sendm (self->query, "CHECKPOINT");
        zstr_send (self->query, note ? note : "");
    }
    self->sign_asked = false;
}

/* COSIGN from the query endpoint's actor: [routing][note] of a witness;
   the answer goes back as [COSIGNED][routing][code][message][size][held].
   A new cosignature of the newest checkpoint is published again (the
   broker's $checkpoint) with every cosignature kept for it. */
static void s_cosign (s_store_t *self, zmsg_t *msg)
{
    zframe_t *routing = zmsg_pop (msg);
    zframe_t *note = zmsg_pop (msg);
    char err[320] = "";
    uint64_t size = 0;
    int held = 0;
    int rc =
        routing && note
            ? jk_signer_cosign (self->signer, (const char *)zframe_data (note),
                                zframe_size (note), jk_clock_now_ms (), &size,
                                &held, err, sizeof err)
            : JK_INVALID;
    if (rc == JK_OK && size == jk_signer_size (self->signer)) {
        zmsg_t *feed = jk_wire_new ("CHECKPOINT");
        zmsg_addstr (feed, jk_signer_note (self->signer));
        s_backend_send (self, &feed);
    }
    if (routing) {
        char *space = strchr (err, ' ');
        if (space)
            *space = 0;
        zmsg_t *reply = zmsg_new ();
        zmsg_addstr (reply, "COSIGNED");
        zmsg_append (reply, &routing);
        zmsg_addstr (reply, rc == JK_OK ? "" : err);
        zmsg_addstr (reply, rc == JK_OK || !space ? "" : space + 1);
        zmsg_addmem (reply, &size, sizeof size);
        zmsg_addmem (reply, &held, sizeof held);
        zmsg_send (&reply, self->query);
    }
    zframe_destroy (&routing);
    zframe_destroy (&note);
}

/* A message from the query endpoint's actor: SIGN asks for a checkpoint
   of the committed tree; COSIGN brings a witness's cosignature. */
static void s_query_ready (s_store_t *self)
{
    zmsg_t *msg = zmsg_recv (self->query);
    char *command = msg ? zmsg_popstr (msg) : NULL;
    if (command && streq (command, "SIGN") && self->signer) {
        /* The answer covers every record committed now: once the tree
           is there, the newest checkpoint when it covers the tree,
           otherwise a new one (s_sign_due). */
        if (!self->sign_asked)
            self->sign_target = jk_log_head (self->log, NULL);
        self->sign_asked = true;
        if (self->tree_next < self->sign_target)
            zstr_send (self->tree, "WAKE");
        s_sign (self, false);
    } else if (command && streq (command, "COSIGN") && self->signer)
        s_cosign (self, msg);
    zstr_free (&command);
    zmsg_destroy (&msg);
}

/* The projections' committed position, as the projector published it. */
static uint64_t s_projected (s_store_t *self)
{
    return __atomic_load_n (&self->shared.pos, __ATOMIC_ACQUIRE);
}

/* Wakes the projector, with every record logged so far released to it:
   the ones to hand over decoded are handed over (jk_projector.h). */
static void s_projector_wake (s_store_t *self)
{
    if (!self->projector)
        return;
    __atomic_store_n (&self->shared.released, jk_log_head (self->log, NULL),
                      __ATOMIC_RELEASE);
    zstr_send (self->projector, "WAKE");
}

/* How far the projections are behind the committed log: records, and ms
   since the oldest committed batch they do not cover yet was committed
   (monotonic clock). */
static uint64_t s_lag (s_store_t *self, int64_t *lag_ms)
{
    uint64_t projected = s_projected (self);
    uint8_t hash[JK_HASH_SIZE];
    uint64_t head = jk_log_head (self->log, hash);
    while (self->ring_count > 0 &&
           self->ring[self->ring_head].last_pos <= projected) {
        self->ring_head = (self->ring_head + 1) % S_LAG_RING;
        self->ring_count--;
    }
    if (lag_ms) {
        *lag_ms = 0;
        if (self->ring_count > 0 && projected < head) {
            int64_t ms =
                jk_clock_mono_ms () - self->ring[self->ring_head].committed;
            *lag_ms = ms > 0 ? ms : 0;
        }
    }
    return head > projected ? head - projected : 0;
}

/* Remembers a committed batch for the lag in ms. */
static void s_lag_note (s_store_t *self, uint64_t last_pos)
{
    if (self->ring_count == S_LAG_RING) {
        self->ring_head = (self->ring_head + 1) % S_LAG_RING;
        self->ring_count--;
    }
    size_t i = (self->ring_head + self->ring_count) % S_LAG_RING;
    self->ring[i].last_pos = last_pos;
    self->ring[i].committed = jk_clock_mono_ms ();
    self->ring_count++;
}

static char *s_counters (s_store_t *self)
{
    int64_t lag_ms = 0;
    uint64_t lag = self->log ? s_lag (self, &lag_ms) : 0;
    uint64_t projected = s_projected (self);
    self->pushed_projected = projected;
    return jk_sprintf (
        "received=%llu accepted=%llu rejected=%llu duplicates=%llu "
        "nacked=%llu batches=%llu failed_batches=%llu malformed=%llu "
        "head=%llu clock_refused=%llu sources_behind=%zu rewinds=%llu "
        "refused_by_broker=%llu projected=%llu projection_lag=%llu "
        "projection_lag_ms=%lld projection_lag_max_ms=%lld "
        "projection_lag_bound=%llu busy=%llu tree=%llu",
        (unsigned long long)self->counts.received,
        (unsigned long long)self->counts.accepted,
        (unsigned long long)self->counts.rejected,
        (unsigned long long)self->counts.duplicates,
        (unsigned long long)self->counts.nacked,
        (unsigned long long)self->batches,
        (unsigned long long)self->failed_batches,
        (unsigned long long)self->malformed,
        (unsigned long long)jk_log_head (self->log, NULL),
        (unsigned long long)self->clock_refused,
        self->behind ? zhashx_size (self->behind) : 0,
        (unsigned long long)self->rewinds,
        (unsigned long long)self->refused_by_broker,
        (unsigned long long)projected, (unsigned long long)lag,
        (long long)lag_ms, (long long)self->lag_max_ms,
        (unsigned long long)self->lag_max, (unsigned long long)self->busy,
        (unsigned long long)self->tree_size);
}

static void s_push_counters (s_store_t *self)
{
    if (!self->query)
        return;
    char *text = s_counters (self);
    zstr_sendx (self->query, "COUNTERS", text, NULL);
    free (text);
}

/* A SQLite failure: roll back, answer nothing (senders resend), log it,
   and stop writing when the database itself is broken. Returns the
   primary SQLite result code. */
static int s_batch_failed (s_store_t *self, size_t events)
{
    int code = jk_log_errcode (self->log);
    char message[256];
    snprintf (message, sizeof message, "%s", jk_log_errmsg (self->log));
    jk_log_rollback (self->log);
    /* The model may hold what the rolled-back transaction decided: it is
       loaded again from the projections once they reach the log's head. */
    jk_model_destroy (&self->model);
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

/* Hands the tree thread committed records, packed as for RECORDS, so it
   hashes them from memory instead of reading the log back: [LEAVES]
   [records]; while it is S_TREE_FED_MAX records or more behind, [WAKE]
   instead (it reads the log). */
static void s_tree_feed (s_store_t *self, const uint8_t *records, size_t size)
{
    if (!self->tree)
        return;
    zmsg_t *msg = zmsg_new ();
    if (jk_log_head (self->log, NULL) - self->tree_next < S_TREE_FED_MAX) {
        zmsg_addstr (msg, "LEAVES");
        zmsg_addmem (msg, records, size);
    } else
        zmsg_addstr (msg, "WAKE");
    if (zmsg_send (&msg, self->tree) != 0)
        zmsg_destroy (&msg);
}

/* Sends the packed records as [JEJAK/1][RECORDS][records] (and to the
   tree thread) and empties the buffer. */
static void s_records_send (s_store_t *self, size_t *packed)
{
    if (*packed == 0)
        return;
    s_tree_feed (self, self->records, *packed);
    zmsg_t *msg = jk_wire_new ("RECORDS");
    zmsg_addmem (msg, self->records, *packed);
    s_backend_send (self, &msg);
    *packed = 0;
}

/* Loads the model from the projections at the log's committed head
   (after waiting for the projector to get there) when it is not loaded:
   at start, and after a rolled-back batch. JK_OK or JK_IO (logged). */
static int s_model_ready (s_store_t *self)
{
    if (self->model)
        return JK_OK;
    uint8_t hash[JK_HASH_SIZE];
    uint64_t head = jk_log_head (self->log, hash);
    int64_t deadline = jk_clock_mono_ms () + S_MODEL_WAIT_MS;
    while (s_projected (self) < head) {
        if (jk_clock_mono_ms () > deadline) {
            jk_error ("store",
                      "the projections did not reach the log's head %llu "
                      "(at %llu): the model cannot be loaded",
                      (unsigned long long)head,
                      (unsigned long long)s_projected (self));
            return JK_IO;
        }
        s_projector_wake (self);
        zclock_sleep (2);
    }
    char err[512] = "";
    jk_model_t *model = jk_model_new (true);
    uint64_t pos = 0;
    uint8_t at[JK_HASH_SIZE];
    int rc = sqlite3_exec (self->proj_read, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK &&
        jk_projections_position (self->proj_read, &pos, at) == JK_OK &&
        pos == head && memcmp (at, hash, JK_HASH_SIZE) == 0 &&
        jk_model_load (model, self->proj_read, err, sizeof err) == 0) {
        sqlite3_exec (self->proj_read, "COMMIT", NULL, NULL, NULL);
        /* What left the model is read back from these tables: only once
           they hold it (jk_model_written, before every batch). */
        jk_model_written (model, head);
        self->model = model;
        return JK_OK;
    }
    jk_error ("store", "cannot load the model from the projections: %s",
              err[0]        ? err
              : pos != head ? "they are not at the log's head"
                            : sqlite3_errmsg (self->proj_read));
    sqlite3_exec (self->proj_read, "COMMIT", NULL, NULL, NULL);
    jk_model_destroy (&model);
    return JK_IO;
}

/* Answers each SUBMIT of [from, to) (items [first, last)), in order. */
static void s_answer (s_store_t *self, size_t from, size_t to, size_t first,
                      size_t last)
{
    size_t item = first;
    for (size_t s = from; s < to; s++) {
        zmsg_t *answer = jk_wire_new ("ANSWER");
        zframe_t *routing = zmsg_first (self->cur->submits[s]);
        zmsg_addmem (answer, zframe_data (routing), zframe_size (routing));
        for (; item < last && self->cur->items[item].submit == s; item++)
            jk_answer_add (answer, &self->cur->items[item].answer);
        s_backend_send (self, &answer);
    }
}

/* Hands the accepted records of the answered SUBMITs [from, to) (items
   [first, last)) to the projector decoded, with the messages their bytes
   are in (jk_projector_offer). */
static void s_handoff (s_store_t *self, size_t from, size_t to, size_t first,
                       size_t last)
{
    if (!self->projector)
        return;
    jk_handoff_t *handoff = jk_handoff_new ();
    for (size_t i = first; i < last; i++) {
        s_item_t *it = &self->cur->items[i];
        if (it->logged && it->answer.kind == JK_ANSWER_ACK && it->event)
            jk_handoff_add (handoff, it->answer.pos, it->recorded_at,
                            &it->event, &it->warnings);
    }
    if (jk_handoff_size (handoff) > 0)
        for (size_t s = from; s < to; s++)
            jk_handoff_keep (handoff, &self->cur->submits[s]);
    jk_projector_offer (&self->shared, &handoff);
}

/* Back-pressure: the projections lag lag_max records or more behind the
   log, so every event of the batch is answered NACK E_BUSY (retryable)
   and nothing is decided or logged until the projector has caught up
   below the bound. */
static void s_batch_busy (s_store_t *self, uint64_t lag)
{
    s_stage_wait (self, self->cur, self->cur->item_count);
    for (size_t i = 0; i < self->cur->item_count; i++) {
        s_item_t *it = &self->cur->items[i];
        memset (&it->answer, 0, sizeof it->answer);
        memcpy (it->answer.id, it->refused ? it->refusal.id : it->envelope.id,
                16);
        s_nack (&it->answer, "E_BUSY",
                "the projections are %llu records behind the log (bound "
                "%llu): resend later",
                (unsigned long long)lag, (unsigned long long)self->lag_max);
    }
    self->counts.received += self->cur->item_count;
    self->counts.nacked += self->cur->item_count;
    self->busy += self->cur->item_count;
    /* As after a commit: STATS asked after the E_BUSY counts it. */
    s_push_counters (self);
    s_answer (self, 0, self->cur->submit_count, 0, self->cur->item_count);
    s_projector_wake (self);
}

/* Decides the SUBMITs [from, to) of the batch in one transaction,
   commits, then answers each SUBMIT (in order) and hands the records (in
   position order) to the broker in one RECORDS message. Returns 0, or the
   primary SQLite code of a failure (nothing answered, nothing kept). */
static int s_batch_try (s_store_t *self, size_t from, size_t to)
{
    size_t first = 0, last;
    while (first < self->cur->item_count &&
           self->cur->items[first].submit < from)
        first++;
    for (last = first;
         last < self->cur->item_count && self->cur->items[last].submit < to;
         last++) {
        s_item_t *it = &self->cur->items[last];
        memset (&it->answer, 0, sizeof it->answer);
        it->logged = false;
    }
    s_counts_t counts = {0};
    if (s_model_ready (self) != JK_OK) {
        /* Nothing decided, nothing answered: the senders resend. */
        self->failed_batches++;
        return SQLITE_BUSY;
    }
    jk_model_written (self->model, s_projected (self));
    if (jk_log_begin (self->log) != JK_OK)
        return s_batch_failed (self, last - first);
    /* The tiles the tree thread completed ride along. */
    if (s_tree_put (self) != JK_OK)
        return s_batch_failed (self, last - first);
    for (size_t i = first; i < last; i++) {
        s_stage_wait (self, self->cur, i + 1);
        if (s_decide (self, &self->cur->items[i], self->cur->recorded_at,
                      &counts) != JK_OK)
            return s_batch_failed (self, last - first);
    }
    /* The next batch goes to the stage while this one commits; other
       backend messages taken meanwhile wait for the commit. */
    if (self->next->item_count == 0 && !self->terminated) {
        self->deferring = true;
        s_stage_fill (self, self->next);
        self->deferring = false;
    }
    if (jk_log_commit (self->log) != JK_OK)
        return s_batch_failed (self, last - first);
    if (self->fault == JK_FAULT_CRASH_AFTER_COMMIT &&
        counts.accepted + counts.rejected > 0)
        _exit (JK_FAULT_EXIT);
    if (self->tree_tiles)
        s_tree_stored (self);
    /* The tree is handed the records below, the projector the batch once
       it is answered (s_handoff). */
    bool logged = false;
    for (size_t i = first; i < last && !logged; i++)
        if (self->cur->items[i].logged) {
            uint8_t hash[JK_HASH_SIZE];
            s_lag_note (self, jk_log_head (self->log, hash));
            logged = true;
        }
    self->batches++;
    self->counts.received += counts.received;
    self->counts.accepted += counts.accepted;
    self->counts.rejected += counts.rejected;
    self->counts.duplicates += counts.duplicates;
    self->counts.nacked += counts.nacked;
    /* The counters go to the query thread before the answers leave: a
       client that asks STATS after its ACK sees its batch in them. */
    s_push_counters (self);
    s_answer (self, from, to, first, last);
    /* The batch's records go to the broker in one message (RECORDS), in
       position order, cut at S_RECORDS_MAX bytes; the broker publishes
       each record on the feed. */
    size_t packed = 0;
    for (size_t i = first; i < last; i++) {
        s_item_t *it = &self->cur->items[i];
        if (!it->logged)
            continue;
        jk_record_t record = {.pos = it->answer.pos,
                              .recorded_at = it->recorded_at,
                              .bytes = zframe_data (it->frame),
                              .size = zframe_size (it->frame)};
        memcpy (record.topic, it->topic, sizeof record.topic);
        memcpy (record.hash, it->answer.hash, JK_HASH_SIZE);
        if (it->answer.kind == JK_ANSWER_REJECTED) {
            memcpy (record.code, it->answer.code, sizeof record.code);
            memcpy (record.message, it->answer.message, sizeof record.message);
        }
        size_t size = jk_records_size (&record);
        if (packed > 0 && packed + size > S_RECORDS_MAX)
            s_records_send (self, &packed);
        if (packed + size > self->records_cap) {
            self->records_cap = 2 * (packed + size);
            self->records = jk_realloc (self->records, self->records_cap);
        }
        packed += jk_records_put (self->records + packed, &record);
    }
    s_records_send (self, &packed);
    if (logged) {
        s_handoff (self, from, to, first, last);
        s_projector_wake (self);
    }
    return 0;
}

/* Runs the whole batch as one transaction. If SQLite refuses it for a
   reason that may lie in one of its events, each SUBMIT is retried alone,
   so one poisonous submission cannot hold back everyone else's. */
static void s_batch_run (s_store_t *self)
{
    int64_t lag_ms;
    uint64_t lag = s_lag (self, &lag_ms);
    if (lag_ms > self->lag_max_ms)
        self->lag_max_ms = lag_ms;
    if (lag >= self->lag_max) {
        s_batch_busy (self, lag);
        s_batch_clear (self->cur);
        return;
    }
    int failed = s_batch_try (self, 0, self->cur->submit_count);
    if (failed && !self->fatal && !s_transient (failed) &&
        self->cur->submit_count > 1)
        for (size_t s = 0; s < self->cur->submit_count && !self->fatal; s++)
            s_batch_try (self, s, s + 1);
    s_batch_clear (self->cur);
    if (failed)
        s_push_counters (self); /* failed_batches moved */
    /* Checkpoints stay out of the commit path: when idle, or here, after
       the answers, once the WAL has grown large. */
    self->checkpoint_due = true;
    if (jk_log_wal_frames (self->log) > S_CHECKPOINT_FRAMES) {
        jk_log_checkpoint (self->log);
        self->checkpoint_due = false;
    }
    s_sign (self, false);
}

/* Notes a backend message that is not the protocol: log once, count. */
static void s_malformed (s_store_t *self, const char *what)
{
    if (self->malformed++ == 0)
        jk_warn ("store",
                 "ignoring malformed backend message: %s (further "
                 "ones are only counted)",
                 what);
}

/* A heartbeat the broker passed on: [client id][heartbeat map], answered
   [JEJAK/1][PONG][client id][pong map] with the store's clock. An agent
   holding receipts for seqs the log does not have (the database lost
   acknowledged commits: restored from a backup, a damaged or deleted WAL)
   is told in the same PONG to deliver again from the seq the log
   expects, and the store says so loudly. */
static void s_heartbeat (s_store_t *self, zmsg_t *msg)
{
    zframe_t *client = zmsg_first (msg);
    zframe_t *map = zmsg_next (msg);
    jk_heartbeat_t heartbeat;
    if (!client || !map || zmsg_size (msg) != 2 ||
        jk_heartbeat_decode (zframe_data (map), zframe_size (map),
                             &heartbeat)) {
        s_malformed (self, "HEARTBEAT without client id and heartbeat map");
        return;
    }
    jk_pong_t pong = {.now_ms = jk_clock_now_ms ()};
    uint64_t next = jk_log_next_seq (self->log, heartbeat.source);
    void *known = zhashx_lookup (self->behind, heartbeat.source);
    if (heartbeat.last_stored_seq < next && known) {
        jk_info ("store",
                 "source %s is in step with the log again (stored_seq %llu, "
                 "next %llu)",
                 heartbeat.source,
                 (unsigned long long)heartbeat.last_stored_seq,
                 (unsigned long long)next);
        zhashx_delete (self->behind, heartbeat.source);
    } else if (heartbeat.last_stored_seq >= next) {
        if ((uint64_t)(uintptr_t)known != heartbeat.last_stored_seq) {
            jk_error ("store",
                      "source %s holds receipts up to seq %llu but the log "
                      "ends at seq %llu from it: acknowledged events are "
                      "missing from the database (restored from a backup, "
                      "or its WAL lost or damaged?); the agent is asked to "
                      "deliver again from seq %llu. Run jejak-replay verify "
                      "on the database",
                      heartbeat.source,
                      (unsigned long long)heartbeat.last_stored_seq,
                      (unsigned long long)(next - 1), (unsigned long long)next);
            zhashx_update (self->behind, heartbeat.source,
                           (void *)(uintptr_t)heartbeat.last_stored_seq);
        }
        pong.expect = next;
        pong.stored_seq = heartbeat.last_stored_seq;
        self->rewinds++;
    }
    zmsg_t *out = jk_wire_new ("PONG");
    zmsg_addmem (out, zframe_data (client), zframe_size (client));
    jk_pong_add (out, &pong);
    s_backend_send (self, &out);
}

/* An ERROR from the broker: it refuses this store (another one is
   serving it). Logged once, counted always; the store keeps trying. */
static void s_broker_error (s_store_t *self, zmsg_t *msg)
{
    char *code = zmsg_popstr (msg);
    char *text = zmsg_popstr (msg);
    if (self->refused_by_broker++ == 0)
        jk_error ("store",
                  "the broker refuses this store: %s %s (further refusals "
                  "are only counted)",
                  code ? code : "?", text ? text : "");
    free (code);
    free (text);
}

/* Takes one backend message: a SUBMIT joins the batch. */
static void s_backend_take (s_store_t *self, zmsg_t *msg)
{
    char command[16];
    if (jk_wire_open (msg, command, sizeof command) != 0)
        s_malformed (self, "not JEJAK/1");
    else if (streq (command, "SUBMIT")) {
        size_t events = zmsg_size (msg) > 0 ? zmsg_size (msg) - 1 : 0;
        if (events == 0 || events > JK_SUBMIT_MAX_EVENTS)
            s_malformed (self, "SUBMIT without a routing id and 1..1000 "
                               "events");
        else {
            s_batch_take (self->filling, &msg);
            return;
        }
    } else if (self->deferring) {
        /* A heartbeat's PONG reads the committed seqs: after the commit. */
        zmsg_pushstr (msg, command);
        zmsg_pushstr (msg, JK_PROTOCOL);
        zlist_append (self->deferred, msg);
        return;
    } else if (streq (command, "HEARTBEAT"))
        s_heartbeat (self, msg);
    else if (streq (command, "ERROR"))
        s_broker_error (self, msg);
    else if (!streq (command, "PONG"))
        s_malformed (self, "unknown command");
    zmsg_destroy (&msg);
}

/* Takes everything waiting on the backend (up to the batch cap) into
   batch and hands its events to the decode stage. Its recorded_at is the
   log's next time (which counts the open transaction's records), so time
   never decreases along the log. */
static void s_stage_fill (s_store_t *self, s_batch_t *batch)
{
    assert (batch->item_count == 0 && batch->sent == 0);
    self->filling = batch;
    while (batch->item_count < (size_t)self->batch_max &&
           (zsock_events (self->backend) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv (self->backend);
        if (!msg)
            break;
        s_backend_take (self, msg);
    }
    if (batch->item_count == 0) {
        s_batch_clear (batch);
        return;
    }
    batch->recorded_at = jk_log_next_time (self->log);
    s_stage_send (self, batch);
}

/* Runs the current batch (the next one goes to the stage while it
   commits), makes the next one current, and handles the backend messages
   that waited for the commit. */
static void s_batch_cycle (s_store_t *self)
{
    s_batch_run (self);
    s_batch_t *done = self->cur;
    self->cur = self->next;
    self->next = done;
    if (self->fatal && self->cur->item_count > 0) {
        /* Nothing is written any more: the senders resend elsewhere. */
        s_stage_wait (self, self->cur, self->cur->sent);
        s_batch_clear (self->cur);
    }
    zmsg_t *msg;
    while ((msg = zlist_pop (self->deferred)))
        s_backend_take (self, msg);
    /* The tree's updates, which a busy backend would keep waiting. */
    while (self->tree && (zsock_events (self->tree) & ZMQ_POLLIN)) {
        msg = zmsg_recv (self->tree);
        s_tree_take (self, &msg);
    }
}

static void s_pipe_ready (s_store_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (command && streq (command, "$TERM"))
        self->terminated = true;
    else if (command && streq (command, "STATS")) {
        char *text = s_counters (self);
        zstr_send (self->pipe, text);
        free (text);
    } else
        jk_warn ("store", "unknown actor command %s", command ? command : "");
    free (command);
    zmsg_destroy (&msg);
}

/* The start-up check: the log table and its indexes (SQLite's integrity
   check) and the chain over the last S_CHAIN_TAIL records. A damaged log
   is never appended to: 0, or -1 with what is damaged and what to run. */
static int s_check_log (s_store_t *self, const char *db_path)
{
    char what[512];
    int rc = jk_db_integrity (jk_log_db (self->log), "log", what, sizeof what);
    if (rc == JK_OK)
        rc = jk_log_check_tail (jk_log_db (self->log), S_CHAIN_TAIL, what,
                                sizeof what);
    if (rc == JK_OK)
        return 0;
    jk_error ("store",
              "the log in %s is damaged, the store does not append to it: "
              "%s. Run 'jejak-replay verify %s' to see all that is damaged, "
              "then restore the last good backup (docs/OPERATIONS.md, "
              "\"Storage damage\")",
              db_path, what, db_path);
    return -1;
}

/* A log file from before the projector held the projection tables
   itself: they are dropped from it (the projector rebuilds them in their
   own file from the log), so no reader can mistake them for current. */
static int s_drop_old_projections (s_store_t *self, const char *db_path)
{
    sqlite3 *db = jk_log_db (self->log);
    sqlite3_stmt *st = NULL;
    bool old = false;
    if (sqlite3_prepare_v2 (db,
                            "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                            " AND name = 'projection_meta'",
                            -1, &st, NULL) == SQLITE_OK)
        old = sqlite3_step (st) == SQLITE_ROW;
    sqlite3_finalize (st);
    if (!old)
        return 0;
    char *sql = jk_strdup ("BEGIN IMMEDIATE;");
    for (size_t i = 0; i < jk_ptable_count (); i++) {
        char *more = jk_sprintf ("%sDROP TABLE IF EXISTS \"%s\";", sql,
                                 jk_ptable_at (i)->name);
        free (sql);
        sql = more;
    }
    char *msg = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec (db, "COMMIT", NULL, NULL, &msg);
    free (sql);
    if (rc != SQLITE_OK) {
        jk_error ("store", "cannot drop the old projection tables from %s: %s",
                  db_path, msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    jk_info ("store",
             "the projection tables moved out of %s into their own file; "
             "they are rebuilt there from the log",
             db_path);
    return 0;
}

/* Opens the projections' file, catches it up with the log's head (a
   missing or damaged file is rebuilt from position 1), loads the model
   from it and starts the projector thread. 0 or -1 (logged). */
static int s_projector_init (s_store_t *self, const jk_store_config_t *config)
{
    char err[512];
    jk_projector_t *projector = jk_projector_new (
        config->db_path, &config->projections, err, sizeof err);
    if (!projector) {
        jk_error ("store", "%s", err);
        return -1;
    }
    uint64_t head = jk_log_head (self->log, NULL);
    uint64_t from = jk_projector_pos (projector);
    if (from < head)
        jk_info ("store",
                 "projections at %llu, catching up with the log's "
                 "head %llu",
                 (unsigned long long)from, (unsigned long long)head);
    size_t applied;
    do {
        int rc = jk_projector_step (projector, S_CATCH_UP_MAX, &applied, err,
                                    sizeof err);
        if (rc != JK_OK) {
            jk_error ("store",
                      "cannot bring the projections to the log's "
                      "head: %s",
                      err);
            jk_projector_destroy (&projector);
            return -1;
        }
    } while (applied > 0);
    self->shared.pos = jk_projector_pos (projector);
    char *path = jk_projections_path (config->db_path);
    int rc = sqlite3_open_v2 (path, &self->proj_read,
                              SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    free (path);
    if (rc != SQLITE_OK) {
        jk_error ("store", "cannot read the projections: %s",
                  sqlite3_errmsg (self->proj_read));
        jk_projector_destroy (&projector);
        return -1;
    }
    sqlite3_busy_timeout (self->proj_read, 5000);
    if (s_model_ready (self) != JK_OK) {
        jk_projector_destroy (&projector);
        return -1;
    }
    self->projector = jk_projector_start (&projector, &self->shared);
    return self->projector ? 0 : -1;
}

/* Takes the Merkle tree off the writer: the follower catches up with the
   committed log (jk_log_open stored every tile it lacked), its tiles are
   stored, and it goes on on its own thread. 0 or -1 (logged). */
static int s_tree_init (s_store_t *self, const char *db_path)
{
    char err[512];
    jk_tree_t *tree = jk_tree_new (db_path, err, sizeof err);
    if (!tree) {
        jk_error ("store", "%s", err);
        return -1;
    }
    jk_log_tree_apart (self->log);
    size_t added;
    do {
        if (jk_tree_step (tree, 1u << 20, &added) != JK_OK) {
            jk_error ("store", "the Merkle tree cannot read the log");
            jk_tree_destroy (&tree);
            return -1;
        }
    } while (added > 0);
    zmsg_t *msg = jk_tree_update (tree);
    s_tree_take (self, &msg);
    s_tree_flush (self);
    uint64_t head = jk_log_head (self->log, NULL);
    if (self->tree_size != head) {
        jk_error (
            "store", "the Merkle tree stops at %llu records, the log at %llu",
            (unsigned long long)self->tree_size, (unsigned long long)head);
        jk_tree_destroy (&tree);
        return -1;
    }
    self->tree = jk_tree_start (&tree);
    return self->tree ? 0 : -1;
}

/* Runs without the Merkle tree (a bench and diagnostic switch,
   docs/OPERATIONS.md): the log appends without hashing, no tree thread,
   no tiles stored after the size the tree had at start (the next start
   with the tree stores them from the records). */
static void s_tree_off (s_store_t *self)
{
    jk_log_tree_apart (self->log);
    jk_tiles_t *tiles = jk_log_tiles (self->log);
    self->tree_size = self->tree_next = jk_tiles_size (tiles);
    jk_tiles_head (tiles, self->tree_head);
    memcpy (self->tree_next_head, self->tree_head, JK_HASH_SIZE);
    jk_warn ("store",
             "running without the Merkle tree (--no-tree): no tiles, no "
             "checkpoints, no proofs beyond %llu records",
             (unsigned long long)self->tree_size);
}

/* A clean stop stores the tree up to the log's head first (the next
   start would store the tiles it lacks otherwise), then stops it. */
static void s_tree_stop (s_store_t *self)
{
    if (!self->tree)
        return;
    if (self->log && !self->fatal) {
        uint64_t head = jk_log_head (self->log, NULL);
        int64_t deadline = jk_clock_mono_ms () + S_MODEL_WAIT_MS;
        zsock_set_rcvtimeo (self->tree, 100);
        zstr_send (self->tree, "WAKE");
        while (self->tree_next < head && jk_clock_mono_ms () < deadline) {
            zmsg_t *msg = zmsg_recv (self->tree);
            if (msg)
                s_tree_take (self, &msg);
        }
        s_tree_flush (self);
    }
    zactor_destroy (&self->tree);
    zmsg_destroy (&self->tree_tiles);
}

/* Opens the database, sockets and query actor; 0 or -1 (logged). */
static int s_store_init (s_store_t *self, const jk_store_config_t *config)
{
    char err[512];
    self->lock_fd = jk_writer_lock (config->db_path, err, sizeof err);
    if (self->lock_fd < 0) {
        jk_error ("store", "%s", err);
        return -1;
    }
    self->log =
        jk_log_open (config->db_path, config->busy_timeout_ms, err, sizeof err);
    if (!self->log) {
        jk_error ("store", "cannot open the log %s: %s", config->db_path, err);
        return -1;
    }
    if (s_check_log (self, config->db_path))
        return -1;
    if (s_drop_old_projections (self, config->db_path))
        return -1;
    if (s_projector_init (self, config))
        return -1;
    if (config->no_tree && config->log_key_path) {
        jk_error ("store", "checkpoints sign the Merkle tree: a store "
                           "without the tree cannot sign them");
        return -1;
    }
    if (config->no_tree)
        s_tree_off (self);
    else if (s_tree_init (self, config->db_path))
        return -1;
    self->fault = jk_fault_from_env ("store");
    sqlite3_commit_hook (jk_log_db (self->log), s_commit_veto, self);

    self->backend = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->backend, 500);
    zsock_set_sndhwm (self->backend, 200000);
    zsock_set_rcvhwm (self->backend, 10000);
    zsock_set_sndtimeo (self->backend, S_SEND_TIMEOUT_MS);
    zsock_set_maxmsgsize (self->backend, JK_MESSAGE_MAX_BYTES);
    if (zsock_connect (self->backend, "%s", config->backend) != 0) {
        jk_error ("store", "cannot connect to backend %s", config->backend);
        return -1;
    }
    if (config->log_key_path) {
        self->signer = jk_signer_new (
            jk_log_db (self->log), config->log_key_path, config->witnesses,
            jk_log_head (self->log, NULL), err, sizeof err);
        if (!self->signer) {
            jk_error ("store", "checkpoints: %s", err);
            return -1;
        }
        self->sign_every_ms = config->checkpoint_ms > 0
                                  ? config->checkpoint_ms
                                  : JK_CHECKPOINT_EVERY_MS;
        jk_info ("store",
                 "checkpoints signed as %s at most %lld ms after a commit "
                 "(newest: %llu records; %d trusted witnesses)",
                 jk_signer_origin (self->signer),
                 (long long)self->sign_every_ms,
                 (unsigned long long)jk_signer_size (self->signer),
                 jk_signer_witnesses (self->signer));
        /* The start checkpoint is signed and stored before the query
           endpoint opens, so HEAD never answers an empty note from a hub
           that signs. */
        if (!s_covered (self))
            s_sign_store (self);
    }
    if (config->query) {
        self->query = jk_query_start (config->db_path, config->query,
                                      config->query_cert_path);
        if (!self->query)
            return -1;
        if (self->signer)
            zstr_sendx (self->query, "SIGNER",
                        config->witnesses ? config->witnesses : "", NULL);
    }
    self->behind = zhashx_new ();
    self->stage = zactor_new (s_stage_actor, NULL);
    self->deferred = zlist_new ();
    self->poller = zpoller_new (self->pipe, self->backend, self->tree, NULL);
    if (self->query)
        zpoller_add (self->poller, self->query);
    zpoller_set_nonstop (self->poller, true);
    return 0;
}

/* A clean stop lets the projector reach the log's head first (at most
   the lag bound of records), so the projections a stopped store leaves
   are current; then it stops. Whatever it did not apply (stopped by a
   crash, or not within S_MODEL_WAIT_MS) it applies at the next start. */
static void s_projector_stop (s_store_t *self)
{
    if (!self->projector)
        return;
    if (self->log && !self->fatal) {
        uint64_t head = jk_log_head (self->log, NULL);
        int64_t deadline = jk_clock_mono_ms () + S_MODEL_WAIT_MS;
        s_projector_wake (self);
        while (s_projected (self) < head &&
               !__atomic_load_n (&self->shared.failed, __ATOMIC_RELAXED) &&
               jk_clock_mono_ms () < deadline)
            zclock_sleep (2);
    }
    zactor_destroy (&self->projector);
    jk_projector_offers_drop (&self->shared);
}

static void s_store_fini (s_store_t *self)
{
    zpoller_destroy (&self->poller);
    zactor_destroy (&self->query);
    jk_signer_destroy (&self->signer);
    s_tree_stop (self);
    s_projector_stop (self);
    zsock_destroy (&self->backend);
    zhashx_destroy (&self->behind);
    if (self->stage) {
        s_stage_wait (self, self->cur, self->cur->sent);
        s_stage_wait (self, self->next, self->next->sent);
    }
    zactor_destroy (&self->stage);
    if (self->deferred) {
        zmsg_t *msg;
        while ((msg = zlist_pop (self->deferred)))
            zmsg_destroy (&msg);
        zlist_destroy (&self->deferred);
    }
    s_batch_free (&self->pipeline[0]);
    s_batch_free (&self->pipeline[1]);
    free (self->records);
    jk_model_destroy (&self->model);
    if (self->proj_read)
        sqlite3_close (self->proj_read);
    self->proj_read = NULL;
    jk_log_close (&self->log);
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    self->lock_fd = -1;
}

static void s_store_actor (zsock_t *pipe, void *args)
{
    const jk_store_config_t *config = args;
    s_store_t self_s = {.pipe = pipe, .lock_fd = -1}, *self = &self_s;
    self->cur = &self->pipeline[0];
    self->next = &self->pipeline[1];
    self->batch_max =
        config->batch_max > 0 ? config->batch_max : S_BATCH_DEFAULT;
    self->lag_max = config->projection_lag_max > 0
                        ? (uint64_t)config->projection_lag_max
                        : JK_STORE_LAG_MAX_DEFAULT;
    int rc = s_store_init (self, config);
    if (rc == 0)
        jk_info ("store", "ready db=%s backend=%s query=%s head=%llu",
                 config->db_path, config->backend,
                 config->query ? config->query : "-",
                 (unsigned long long)jk_log_head (self->log, NULL));
    config = NULL; /* only valid until the handshake */
    /* zactor_new waits for this signal; the verdict follows as text. */
    zsock_signal (pipe, 0);
    if (rc != 0) {
        zstr_send (pipe, "FAILED");
        s_store_fini (self);
        return;
    }
    zstr_send (pipe, "READY");
    s_push_counters (self);
    s_send_ping (self);
    self->next_ping = jk_clock_mono_ms () + JK_HEARTBEAT_MS;
    self->announce = true;
    s_sign (self, true); /* a log the newest checkpoint does not cover */

    while (!self->terminated) {
        int64_t now = jk_clock_mono_ms ();
        int64_t wait = self->next_ping - now;
        if ((self->checkpoint_due || self->tree_tiles) &&
            wait > S_IDLE_CHECKPOINT_MS)
            wait = S_IDLE_CHECKPOINT_MS;
        int64_t sign = s_sign_due (self);
        if (sign != INT64_MAX && sign - now < wait)
            wait = sign - now;
        /* While the projections move, STATS follows them closely. */
        if (self->pushed_projected != s_projected (self))
            s_push_counters (self);
        if (self->pushed_projected < jk_log_head (self->log, NULL) &&
            wait > S_LAG_PUSH_MS)
            wait = S_LAG_PUSH_MS;
        if (wait < 0 || self->cur->item_count > 0)
            wait = 0; /* a batch is taken: it runs below */
        void *which = zpoller_wait (self->poller, (int)wait);
        if (which == pipe)
            s_pipe_ready (self);
        else if (self->query && which == self->query)
            s_query_ready (self);
        else if (which == self->backend && self->cur->item_count == 0)
            s_stage_fill (self, self->cur);
        else if (self->tree && which == self->tree) {
            zmsg_t *msg = zmsg_recv (self->tree);
            s_tree_take (self, &msg);
        } else if (!which && zpoller_expired (self->poller) &&
                   self->checkpoint_due && self->cur->item_count == 0) {
            jk_log_checkpoint (self->log);
            self->checkpoint_due = false;
        }
        if (self->cur->item_count > 0)
            s_batch_cycle (self);
        if (jk_clock_mono_ms () >= self->next_ping) {
            if (!self->fatal)
                s_send_ping (self);
            self->next_ping = jk_clock_mono_ms () + JK_HEARTBEAT_MS;
        }
        /* Tiles no batch took are stored on their own. */
        if (self->tree_tiles &&
            jk_clock_mono_ms () - self->tree_tiles_mono >= S_IDLE_CHECKPOINT_MS)
            s_tree_flush (self);
        s_sign (self, false);
    }
    /* The batches taken are decided and answered before the stop. */
    while (self->cur->item_count > 0 && !self->fatal)
        s_batch_cycle (self);
    jk_log_checkpoint (self->log);
    s_store_fini (self);
}

zactor_t *jk_store_start (const jk_store_config_t *config)
{
    assert (config && config->db_path && config->backend);
    zactor_t *actor = zactor_new (s_store_actor, (void *)config);
    char *verdict = zstr_recv (actor);
    bool ready = verdict && streq (verdict, "READY");
    free (verdict);
    if (!ready)
        zactor_destroy (&actor);
    return actor;
}
