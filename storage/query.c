/* Whole at ~1,100 lines: one actor; its handlers share s_query_t. */
/*  query.c - the store's query endpoint (jk_store.h, jk_query_start): a
    ROUTER served by its own actor and read-only SQLite connection, so
    catch-up never blocks the writer. HEAD, SINCE with credit, SNAPSHOT,
    GAPS, STATS, CHECKPOINT, COSIGN and PROOF. Started by the store actor; late
    joiners, replicas, offices and auditors are its clients. */
#include "jk_active.h"
#include "jk_checkpoints.h"
#include "jk_endpoint.h"
#include "jk_fault.h"
#include "jk_log.h"
#include "jk_projector.h"
#include "jk_state.h"
#include "jk_store.h"
#include "jk_tiles.h"
#include "jk_wire.h"

#include <assert.h>
#include <errno.h>
#include <msgpack.h>
#include <string.h>

#define S_SCAN_ROWS  512 /* rows read per stream per turn */
#define S_PREFIX_MAX 80
#define S_STATE_TURN 4 /* STATE messages per stream per turn */
/* How often streams waiting for credit are looked at (at most: 1/4 of
   the idle limit, JK_STREAM_IDLE_MS, when a test shortens it). */
#define S_STREAM_TIMER_MS 1000
#define S_STALL_RETRY_MS  10 /* how often a full client is tried again */
/* COSIGN's bound per trusted witness (docs/PROTOCOL.md, "COSIGN is
   bounded"): a bucket of S_COSIGN_BURST, one back every
   S_COSIGN_REFILL_MS of jk_clock_now_ms (the clock a test may pin). */
#define S_COSIGN_BURST     4
#define S_COSIGN_REFILL_MS 250

/* A witness the store trusts, with its COSIGN bucket. */
typedef struct {
    jk_note_signer_t key;
    uint8_t key_id[4];
    double tokens;
    int64_t refilled; /* jk_clock_now_ms of the last refill */
} s_witness_t;

/* One client's stream: a catch-up (SINCE) or a state transfer (STATE). */
typedef struct {
    zframe_t *routing;         /* the client's routing id */
    uint64_t next_pos;         /* records after this one are next */
    char prefix[S_PREFIX_MAX]; /* topic prefix, may be empty */
    size_t prefix_len;
    uint64_t credit;    /* records (STATE: messages) the client will take */
    bool blocked;       /* a record (STATE: a chunk) waits for credit */
    int64_t blocked_at; /* mono ms when credit ran out */
    /* STATE only (NULL for SINCE): the projections at P, read page by
       page as the credit allows. */
    jk_state_t *state;
    uint64_t pieces; /* STATE messages sent */
    /* The message the client's queue had no room for (its routing id in
       front), sent before anything else of the stream; stalled_at the
       mono ms since when (0: not stalled). ended: that message is the
       END, the stream is over once it is sent. */
    zmsg_t *pending;
    int64_t stalled_at;
    bool ended;
} s_stream_t;

typedef struct {
    char *db_path;
    char *endpoint;
    char *cert_path;
    char shown[JK_ENDPOINT_SHOWN_MAX]; /* out: the endpoint as bound */
} s_args_t;

typedef struct {
    zsock_t *pipe;      /* actor pipe */
    zsock_t *router;    /* the query endpoint */
    sqlite3 *db;        /* read-only connection */
    sqlite3_stmt *scan; /* records after a position */
    sqlite3_stmt *head; /* last position and hash */
    sqlite3_stmt *gaps; /* per-source progress */
    zhashx_t *streams;  /* routing id (hex) -> s_stream_t */
    char *counters;     /* STATS text from the writer */
    char *db_path;      /* the log (STATE opens its own connection) */
    uint64_t errors;    /* bad requests answered ERROR */
    jk_tiles_t *tiles;  /* the Merkle tree, for proofs */
    bool signer;        /* the store behind signs checkpoints */
    s_witness_t witnesses[JK_NOTE_SIGS_MAX - 1]; /* the store trusts */
    int witness_count;
    zlistx_t *waiting; /* routing ids waiting for a CHECKPOINT */
    bool asked;        /* SIGN sent, CHECKPOINT not yet back */
    uint64_t proofs;   /* PROOFs answered */
    jk_fault_t fault;  /* JK_FAULT_STATE_STALLED, for tests */
    int64_t idle_ms;   /* JK_STREAM_IDLE_MS, or shorter in a test */
    uint64_t expired;  /* streams ended by idle_ms since start */
} s_query_t;

static void s_stream_destroy (void **item)
{
    s_stream_t *stream = *item;
    if (stream) {
        zframe_destroy (&stream->routing);
        jk_state_destroy (&stream->state);
        zmsg_destroy (&stream->pending);
        free (stream);
    }
    *item = NULL;
}

/* Sends msg (signature and command already in it) to a client, never
   waiting: an answer to a client gone, or whose queue is full, is
   dropped. */
static void s_reply (s_query_t *self, zframe_t *routing, zmsg_t **msg_p)
{
    zmsg_pushmem (*msg_p, zframe_data (routing), zframe_size (routing));
    if (jk_endpoint_send_nowait (msg_p, self->router) != 0)
        zmsg_destroy (msg_p);
}

/* Sends a stream's pending message: 0 when sent (or none), 1 when the
   client's queue is still full (kept), -1 when the client is gone
   (dropped: the stream ends). */
static int s_stream_flush (s_query_t *self, s_stream_t *stream)
{
    if (!stream->pending)
        return 0;
    if (jk_endpoint_send_nowait (&stream->pending, self->router) == 0) {
        stream->stalled_at = 0;
        return 0;
    }
    if (errno == EAGAIN) {
        if (!stream->stalled_at)
            stream->stalled_at = jk_clock_mono_ms ();
        return 1;
    }
    zmsg_destroy (&stream->pending);
    return -1;
}

/* Sends the next message of a stream (a RECORD, STATE or END): the
   router never drops one for a full queue (mandatory routing), so a
   client that reads slower than its credit lets the stream run holds
   the stream there, losing nothing. As s_stream_flush. */
static int s_stream_send (s_query_t *self, s_stream_t *stream, zmsg_t **msg_p)
{
    zmsg_pushmem (*msg_p, zframe_data (stream->routing),
                  zframe_size (stream->routing));
    assert (!stream->pending);
    stream->pending = *msg_p;
    *msg_p = NULL;
    return s_stream_flush (self, stream);
}

/* A stream whose next record (STATE: piece) waits for credit from now. */
static void s_stream_block (s_stream_t *stream)
{
    stream->blocked = true;
    stream->blocked_at = jk_clock_mono_ms ();
}

/* True when a stream has waited for credit, or for room in its client's
   queue, for the idle limit: it ends, and all it holds goes (its client
   is gone or asks again). */
static bool s_stream_idle (const s_query_t *self, const s_stream_t *stream,
                           int64_t now)
{
    return (stream->blocked && now - stream->blocked_at >= self->idle_ms) ||
           (stream->stalled_at && now - stream->stalled_at >= self->idle_ms);
}

static void s_error (s_query_t *self, zframe_t *routing, const char *code,
                     const char *message)
{
    self->errors++;
    zmsg_t *msg = jk_wire_error (code, message);
    s_reply (self, routing, &msg);
}

/* Reads the head; 0 when the log is empty. -1 on SQLite failure. */
static int s_head (s_query_t *self, uint64_t *pos, uint8_t hash[32])
{
    *pos = 0;
    memset (hash, 0, 32);
    int rc = sqlite3_step (self->head);
    if (rc == SQLITE_ROW) {
        *pos = (uint64_t)sqlite3_column_int64 (self->head, 0);
        if (sqlite3_column_bytes (self->head, 1) == 32)
            memcpy (hash, sqlite3_column_blob (self->head, 1), 32);
    }
    sqlite3_reset (self->head);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static void s_on_head (s_query_t *self, zframe_t *routing)
{
    uint64_t pos;
    uint8_t hash[32];
    if (s_head (self, &pos, hash) != 0) {
        s_error (self, routing, "E_UNAVAILABLE", sqlite3_errmsg (self->db));
        return;
    }
    char *note = jk_checkpoint_newest (self->db);
    zmsg_t *msg = jk_wire_new ("HEAD");
    jk_wire_add_u64 (msg, pos);
    zmsg_addmem (msg, hash, 32);
    zmsg_addstr (msg, note ? note : "");
    free (note);
    s_reply (self, routing, &msg);
}

/* CHECKPOINT: the store signs one of its committed tree (unless the
   newest covers it) and the answer waits for it; without a signer, the
   newest stored one. CHECKPOINT size: the stored checkpoint of that tree
   size, with its cosignatures. */
static void s_on_checkpoint (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    uint64_t size = 0;
    bool sized = zmsg_size (msg) == 1;
    if (zmsg_size (msg) > 1 || (sized && jk_wire_pop_u64 (msg, &size) != 0)) {
        s_error (self, routing, "E_PROTOCOL",
                 "CHECKPOINT takes no argument frame or one [size u64]: "
                 "[JEJAK/1][CHECKPOINT][size u64]");
        return;
    }
    if (sized) { /* 0: the empty tree's, signed at a start on an empty log */
        char *note = jk_checkpoint_stored (self->db, size);
        char why[120];
        snprintf (why, sizeof why, "no checkpoint of %llu records was signed",
                  (unsigned long long)size);
        if (!note)
            s_error (self, routing, "E_NO_CHECKPOINT", why);
        else {
            zmsg_t *reply = jk_wire_new ("CHECKPOINT");
            zmsg_addstr (reply, note);
            s_reply (self, routing, &reply);
        }
        free (note);
        return;
    }
    if (self->signer) {
        zlistx_add_end (self->waiting, zframe_dup (routing));
        if (!self->asked) {
            zstr_send (self->pipe, "SIGN");
            self->asked = true;
        }
        return;
    }
    char *note = jk_checkpoint_newest (self->db);
    if (!note) {
        s_error (self, routing, "E_NO_CHECKPOINT",
                 "this hub signs no checkpoints: it needs a log key "
                 "(jejak-keys log-key, jejak-hub --checkpoint-key)");
        return;
    }
    zmsg_t *reply = jk_wire_new ("CHECKPOINT");
    zmsg_addstr (reply, note);
    free (note);
    s_reply (self, routing, &reply);
}

/* The trusted witness whose key signed line, or NULL. */
static s_witness_t *s_witness_of (s_query_t *self, const jk_note_sig_t *line)
{
    for (int w = 0; w < self->witness_count; w++)
        if (strcmp (line->name, self->witnesses[w].key.name) == 0 &&
            memcmp (line->key_id, self->witnesses[w].key_id, 4) == 0)
            return &self->witnesses[w];
    return NULL;
}

/* Takes one token of witness's COSIGN bucket; false (with the wait in
 *wait_ms) when it is empty. */
static bool s_witness_token (s_witness_t *witness, int64_t now,
                             int64_t *wait_ms)
{
    if (now > witness->refilled)
        witness->tokens +=
            (double)(now - witness->refilled) / S_COSIGN_REFILL_MS;
    if (witness->tokens > S_COSIGN_BURST)
        witness->tokens = S_COSIGN_BURST;
    witness->refilled = now;
    if (witness->tokens >= 1) {
        witness->tokens -= 1;
        return true;
    }
    *wait_ms = (int64_t)((1 - witness->tokens) * S_COSIGN_REFILL_MS) + 1;
    return false;
}

/* What a COSIGN must be before the store does any work on it: a note
   that parses, each signature line named as the log or of a witness the
   store trusts (name and key ID), at least one of a witness, and every
   such witness within its bucket. JK_OK, or the error sent. */
static int s_cosign_admit (s_query_t *self, zframe_t *routing, zframe_t *note)
{
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char why[400];
    const char *code = "E_COSIGNATURE";
    s_witness_t *named[JK_NOTE_SIGS_MAX];
    int count = 0;
    if (jk_checkpoint_parse ((const char *)zframe_data (note),
                             zframe_size (note), cp, why,
                             sizeof why) != JK_OK) {
        char text[340];
        snprintf (text, sizeof text, "%.339s", why);
        snprintf (why, sizeof why, "the checkpoint does not parse: %s", text);
    } else if (self->witness_count == 0)
        snprintf (why, sizeof why,
                  "this hub trusts no witness: it takes no cosignature "
                  "(jejak-hub --witnesses)");
    else {
        why[0] = 0;
        for (int i = 0; i < cp->sig_count && !why[0]; i++) {
            s_witness_t *witness = s_witness_of (self, &cp->sigs[i]);
            bool again = false;
            for (int k = 0; k < i && !again; k++)
                again = strcmp (cp->sigs[k].name, cp->sigs[i].name) == 0 &&
                        memcmp (cp->sigs[k].key_id, cp->sigs[i].key_id, 4) == 0;
            if (again)
                snprintf (why, sizeof why,
                          "the signature line of %s is there twice: a note "
                          "carries one line per key",
                          cp->sigs[i].name);
            else if (witness)
                named[count++] = witness;
            else if (strcmp (cp->sigs[i].name, cp->origin) != 0)
                snprintf (why, sizeof why,
                          "the signature line of %s is not of a witness this "
                          "hub trusts (%d trusted: jejak-hub --witnesses)",
                          cp->sigs[i].name, self->witness_count);
        }
        if (!why[0] && count == 0)
            snprintf (why, sizeof why,
                      "no cosignature of a witness this hub trusts (%d "
                      "trusted: jejak-hub --witnesses)",
                      self->witness_count);
        int64_t now = jk_clock_now_ms (), wait = 0;
        for (int i = 0; i < count && !why[0]; i++)
            if (!s_witness_token (named[i], now, &wait)) {
                code = "E_BUSY";
                snprintf (why, sizeof why,
                          "witness %s sent more than %d COSIGN within %d ms "
                          "(at most one per %d ms after a burst of %d): try "
                          "again in %lld ms",
                          named[i]->key.name, S_COSIGN_BURST,
                          S_COSIGN_BURST * S_COSIGN_REFILL_MS,
                          S_COSIGN_REFILL_MS, S_COSIGN_BURST, (long long)wait);
                /* The tokens taken for this note go back. */
                for (int j = 0; j < i; j++)
                    named[j]->tokens += 1;
            }
    }
    free (cp);
    if (!why[0])
        return JK_OK;
    s_error (self, routing, code, why);
    return JK_INVALID;
}

/* COSIGN note: a witness's cosignature of a checkpoint this hub signed,
   admitted here (s_cosign_admit), then handed to the store (which checks
   the signatures and keeps it); the answer comes back through the pipe
   (s_cosigned). */
static void s_on_cosign (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    zframe_t *note = zmsg_pop (msg);
    if (zframe_size (note) > JK_NOTE_MAX) {
        zframe_destroy (&note);
        s_error (self, routing, "E_PROTOCOL",
                 "COSIGN note is longer than 16384 bytes");
        return;
    }
    if (!self->signer) {
        zframe_destroy (&note);
        s_error (self, routing, "E_NO_CHECKPOINT",
                 "this hub signs no checkpoints: there is nothing to cosign");
        return;
    }
    if (s_cosign_admit (self, routing, note) != JK_OK) {
        zframe_destroy (&note);
        return;
    }
    zmsg_t *ask = zmsg_new ();
    zmsg_addstr (ask, "COSIGN");
    zmsg_addmem (ask, zframe_data (routing), zframe_size (routing));
    zmsg_append (ask, &note);
    zmsg_send (&ask, self->pipe);
}

/* The store's answer to a COSIGN: [routing][code][message][size][held]
   (sizes in host order, from the same process). */
static void s_cosigned (s_query_t *self, zmsg_t *msg)
{
    zframe_t *routing = zmsg_pop (msg);
    char *code = zmsg_popstr (msg);
    char *message = zmsg_popstr (msg);
    zframe_t *size = zmsg_pop (msg);
    zframe_t *held = zmsg_pop (msg);
    if (routing && code && message && size && held &&
        zframe_size (size) == sizeof (uint64_t) &&
        zframe_size (held) == sizeof (int)) {
        if (*code)
            s_error (self, routing, code, message);
        else {
            uint64_t n;
            int count;
            memcpy (&n, zframe_data (size), sizeof n);
            memcpy (&count, zframe_data (held), sizeof count);
            zmsg_t *reply = jk_wire_new ("COSIGNED");
            jk_wire_add_u64 (reply, n);
            jk_wire_add_u64 (reply, (uint64_t)count);
            s_reply (self, routing, &reply);
        }
    }
    zframe_destroy (&routing);
    zframe_destroy (&size);
    zframe_destroy (&held);
    free (code);
    free (message);
}

/* The store's answer to SIGN: every waiting client gets it. */
static void s_checkpoint_signed (s_query_t *self, const char *note)
{
    self->asked = false;
    for (zframe_t *routing = zlistx_first (self->waiting); routing;
         routing = zlistx_next (self->waiting)) {
        if (!note || !*note) {
            s_error (self, routing, "E_UNAVAILABLE",
                     "the checkpoint could not be signed just now; try "
                     "again");
            continue;
        }
        zmsg_t *msg = jk_wire_new ("CHECKPOINT");
        zmsg_addstr (msg, note);
        s_reply (self, routing, &msg);
    }
    zlistx_purge (self->waiting);
}

static void s_proof_error (s_query_t *self, zframe_t *routing, int rc)
{
    s_error (self, routing, "E_UNAVAILABLE",
             rc == JK_NOT_FOUND
                 ? "the Merkle tree is behind the log (it follows the "
                   "committed records within moments); ask for a size up "
                   "to the newest checkpoint's, or try again"
                 : "the Merkle tree could not be read just now; try again");
}

/* Why a PROOF's numbers are out of range for a log of head records, in
   why; empty when they are in range. */
static void s_proof_range (bool inclusion, uint64_t a, uint64_t b,
                           uint64_t head, char *why, size_t size)
{
    if (inclusion && (a == 0 || a > b))
        snprintf (why, size, "PROOF INCLUSION pos %llu must be 1 to size %llu",
                  (unsigned long long)a, (unsigned long long)b);
    else if (!inclusion && a > b)
        snprintf (why, size, "PROOF CONSISTENCY old %llu must be 0 to new %llu",
                  (unsigned long long)a, (unsigned long long)b);
    else if (b > head)
        snprintf (why, size,
                  "PROOF %s size %llu is beyond the log's %llu records",
                  inclusion ? "INCLUSION" : "CONSISTENCY",
                  (unsigned long long)b, (unsigned long long)head);
}

/* PROOF INCLUSION pos size / PROOF CONSISTENCY old new, in one read
   transaction: sizes up to the committed log's head. */
static void s_on_proof (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    /* The frame exactly: "INCLUSION\0x" is neither. */
    zframe_t *kind = zmsg_pop (msg);
    uint64_t a, b;
    bool inclusion = kind && zframe_streq (kind, "INCLUSION");
    bool consistency = kind && zframe_streq (kind, "CONSISTENCY");
    zframe_destroy (&kind);
    if (!inclusion && !consistency) {
        s_error (self, routing, "E_PROTOCOL",
                 "PROOF needs INCLUSION or CONSISTENCY (exactly) as its first "
                 "frame");
        return;
    }
    if (jk_wire_pop_u64 (msg, &a) != 0 || jk_wire_pop_u64 (msg, &b) != 0 ||
        zmsg_size (msg) != 0) {
        s_error (self, routing, "E_PROTOCOL",
                 inclusion ? "PROOF INCLUSION takes exactly two frames after "
                             "it, [pos u64][size u64], of 8 bytes each"
                           : "PROOF CONSISTENCY takes exactly two frames after "
                             "it, [old u64][new u64], of 8 bytes each");
        return;
    }
    uint64_t head;
    uint8_t hash[32];
    if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        s_head (self, &head, hash) != 0) {
        sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
        s_error (self, routing, "E_UNAVAILABLE", sqlite3_errmsg (self->db));
        return;
    }
    char why[160] = "";
    s_proof_range (inclusion, a, b, head, why, sizeof why);
    if (why[0]) {
        sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
        s_error (self, routing, "E_PROOF_RANGE", why);
        return;
    }
    uint8_t proof[JK_MERKLE_PROOF_MAX][JK_MERKLE_HASH];
    uint8_t leaf[JK_MERKLE_HASH];
    size_t count = 0;
    int64_t recorded_at = 0;
    jk_mhash_t *mh = jk_tiles_hasher (self->tiles);
    int rc = JK_OK;
    if (inclusion) {
        rc = jk_tiles_node (self->tiles, 0, a - 1, leaf);
        if (rc == JK_OK)
            rc = jk_merkle_inclusion (jk_tiles_node, self->tiles, mh, a - 1, b,
                                      proof, &count);
        sqlite3_stmt *stmt = NULL;
        if (rc == JK_OK &&
            sqlite3_prepare_v2 (self->db,
                                "SELECT recorded_at FROM log WHERE pos = ?", -1,
                                &stmt, NULL) == SQLITE_OK &&
            sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)a) == SQLITE_OK &&
            sqlite3_step (stmt) == SQLITE_ROW)
            recorded_at = sqlite3_column_int64 (stmt, 0);
        else if (rc == JK_OK)
            rc = JK_IO;
        sqlite3_finalize (stmt);
    } else if (a > 0 && a < b)
        rc = jk_merkle_consistency (jk_tiles_node, self->tiles, mh, a, b, proof,
                                    &count);
    sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    if (rc != JK_OK) {
        s_proof_error (self, routing, rc);
        return;
    }
    zmsg_t *reply = jk_wire_new ("PROOF");
    zmsg_addstr (reply, inclusion ? "INCLUSION" : "CONSISTENCY");
    jk_wire_add_u64 (reply, a);
    jk_wire_add_u64 (reply, b);
    if (inclusion) {
        jk_wire_add_u64 (reply, (uint64_t)recorded_at);
        zmsg_addmem (reply, leaf, JK_MERKLE_HASH);
    }
    zmsg_addmem (reply, proof, count * JK_MERKLE_HASH);
    self->proofs++;
    s_reply (self, routing, &reply);
}

static char *s_key (zframe_t *routing)
{
    return zframe_strhex (routing);
}

static void s_on_since (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    uint64_t from_pos, credit;
    if (jk_wire_pop_u64 (msg, &from_pos) != 0) {
        s_error (self, routing, "E_PROTOCOL",
                 "SINCE needs [from_pos u64][topic prefix][credit u64]: "
                 "from_pos is missing or not 8 bytes");
        return;
    }
    zframe_t *prefix = zmsg_pop (msg);
    const char *bad = zframe_size (prefix) >= S_PREFIX_MAX
                          ? "is longer than 79 bytes"
                      : memchr (zframe_data (prefix), 0, zframe_size (prefix))
                          ? "holds a NUL byte"
                      : jk_utf8_length ((const char *)zframe_data (prefix),
                                        zframe_size (prefix)) < 0
                          ? "is not valid UTF-8"
                          : NULL;
    if (bad) {
        zframe_destroy (&prefix);
        char message[80];
        snprintf (message, sizeof message, "SINCE topic prefix %s", bad);
        s_error (self, routing, "E_PROTOCOL", message);
        return;
    }
    if (jk_wire_pop_u64 (msg, &credit) != 0) {
        zframe_destroy (&prefix);
        s_error (self, routing, "E_PROTOCOL",
                 "SINCE needs [from_pos u64][topic prefix][credit u64]: "
                 "credit is missing or not 8 bytes");
        return;
    }
    s_stream_t *stream = jk_calloc (1, sizeof *stream);
    stream->routing = zframe_dup (routing);
    /* Positions are SQLite integers: one beyond INT64_MAX is beyond the
       head all the same (bound as it is, it would read negative, and the
       stream would start from the first record). */
    stream->next_pos = from_pos > INT64_MAX ? INT64_MAX : from_pos;
    stream->prefix_len = zframe_size (prefix);
    memcpy (stream->prefix, zframe_data (prefix), stream->prefix_len);
    stream->credit = credit;
    zframe_destroy (&prefix);
    char *key = s_key (routing);
    /* A new SINCE replaces the client's stream. */
    zhashx_update (self->streams, key, stream);
    free (key);
}

static void s_on_credit (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    uint64_t credit;
    if (jk_wire_pop_u64 (msg, &credit) != 0) {
        s_error (self, routing, "E_PROTOCOL",
                 "CREDIT needs [n u64]: missing or not 8 bytes");
        return;
    }
    char *key = s_key (routing);
    s_stream_t *stream = zhashx_lookup (self->streams, key);
    free (key);
    if (!stream)
        return; /* the stream ended already: nothing to credit */
    stream->credit = stream->credit + credit < stream->credit
                         ? UINT64_MAX
                         : stream->credit + credit;
    if (credit > 0)
        stream->blocked = false;
}

/* Parses "YYYY-MM-DD" into days; -1 when malformed. */
static int s_parse_day (const char *text, size_t size, int32_t *day)
{
    int y, m, d;
    char buf[11];
    if (size != 10)
        return -1;
    memcpy (buf, text, 10);
    buf[10] = 0;
    for (int i = 0; i < 10; i++)
        if ((i == 4 || i == 7) ? buf[i] != '-' : (buf[i] < '0' || buf[i] > '9'))
            return -1;
    if (sscanf (buf, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
        !jk_date_valid (y, m, d))
        return -1;
    *day = jk_days_from_civil (y, m, d);
    return 0;
}

static void s_on_snapshot (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    int32_t day = jk_wib_day (jk_clock_now_ms ());
    if (zmsg_size (msg) != 1 && zmsg_size (msg) != 2) {
        char message[160];
        snprintf (message, sizeof message,
                  "SNAPSHOT takes 1 or 2 argument frames, not %zu: "
                  "[JEJAK/1][SNAPSHOT][as-of date, may be empty]"
                  "[active rule, optional]",
                  zmsg_size (msg));
        s_error (self, routing, "E_PROTOCOL", message);
        return;
    }
    /* The optional second frame: the rule for "active" (docs/PROTOCOL.md
       SNAPSHOT), else the default. */
    jk_active_rule_t rule;
    bool has_rule = false;
    if (zmsg_size (msg) == 2) {
        zframe_t *spec = zmsg_last (msg);
        char text[JK_ACTIVE_RULE_SPEC_MAX + 1], why[200], message[260];
        size_t len = zframe_size (spec);
        if (len > JK_ACTIVE_RULE_SPEC_MAX) {
            s_error (self, routing, "E_FIELD_LENGTH",
                     "SNAPSHOT active rule is longer than 200 bytes");
            return;
        }
        memcpy (text, zframe_data (spec), len);
        text[len] = 0;
        if (memchr (text, 0, len) ||
            jk_active_rule_parse (text, &rule, why, sizeof why)) {
            snprintf (message, sizeof message, "SNAPSHOT active rule: %s",
                      memchr (text, 0, len) ? "holds a NUL byte" : why);
            s_error (self, routing, "E_FIELD_FORMAT", message);
            return;
        }
        has_rule = true;
    }
    zframe_t *date = zmsg_pop (msg);
    if (date && zframe_size (date) > 0 &&
        s_parse_day ((const char *)zframe_data (date), zframe_size (date),
                     &day) != 0) {
        zframe_destroy (&date);
        s_error (self, routing, "E_FIELD_FORMAT",
                 "SNAPSHOT as-of date must be YYYY-MM-DD (or empty for "
                 "today in WIB)");
        return;
    }
    zframe_destroy (&date);
    /* One read transaction: the projections at their position P and
       the log's hash at P (the board catches up from P with SINCE). */
    uint64_t pos;
    uint8_t hash[32];
    size_t size = 0;
    uint8_t *snapshot = NULL;
    if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
        jk_projections_position (self->db, &pos, hash) == JK_OK)
        snapshot = jk_projections_snapshot_rule (
            self->db, day, has_rule ? &rule : NULL, &size);
    sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    if (!snapshot) {
        s_error (self, routing, "E_UNAVAILABLE",
                 "the snapshot could not be read; try again");
        return;
    }
    zmsg_t *reply = jk_wire_new ("SNAPSHOT");
    jk_wire_add_u64 (reply, pos);
    zmsg_addmem (reply, hash, 32);
    zmsg_addmem (reply, snapshot, size);
    free (snapshot);
    s_reply (self, routing, &reply);
}

/* STATE chunk credit: the projections' file as one SQLite database image
   at its position P, streamed in messages of chunk bytes, at most credit
   of them before a CREDIT (docs/PROTOCOL.md, section 6). */
static void s_on_state (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    uint64_t chunk, credit;
    if (jk_wire_pop_u64 (msg, &chunk) != 0 ||
        jk_wire_pop_u64 (msg, &credit) != 0) {
        s_error (self, routing, "E_PROTOCOL",
                 "STATE needs [chunk u64][credit u64]: missing or not 8 "
                 "bytes");
        return;
    }
    if (chunk < JK_STATE_CHUNK_MIN || chunk > JK_STATE_CHUNK_MAX) {
        char why[120];
        snprintf (why, sizeof why, "STATE chunk %llu must be %d to %d bytes",
                  (unsigned long long)chunk, JK_STATE_CHUNK_MIN,
                  JK_STATE_CHUNK_MAX);
        s_error (self, routing, "E_PROTOCOL", why);
        return;
    }
    if (!sqlite3_db_filename (self->db, "proj")) {
        s_error (self, routing, "E_UNAVAILABLE",
                 "this store keeps no projections file to send: catch up "
                 "with SINCE from 0");
        return;
    }
    s_stream_t *stream = jk_calloc (1, sizeof *stream);
    stream->routing = zframe_dup (routing);
    stream->credit = credit;
    char err[256] = "";
    stream->state =
        jk_state_new (self->db_path, (size_t)chunk, err, sizeof err);
    char *key = s_key (routing);
    if (!stream->state) {
        jk_error ("query", "STATE: %s", err);
        /* The client's earlier stream, if any, is over too. */
        zhashx_delete (self->streams, key);
        free (key);
        s_stream_destroy ((void **)&stream);
        s_error (self, routing, "E_UNAVAILABLE",
                 "the projections could not be read; try again");
        return;
    }
    /* A new STATE replaces the client's stream. */
    zhashx_update (self->streams, key, stream);
    free (key);
}

/* Sends the next pieces of a STATE, never more than its credit nor
   S_STATE_TURN at a time, stopping at a piece the client's queue has no
   room for (kept, s_stream_send). Returns true when the stream is
   finished (all sent, the client gone, or the copy failed: logged, and
   the client, hearing nothing, asks again). */
static bool s_state_turn (s_query_t *self, s_stream_t *stream)
{
    for (int sent = 0; sent < S_STATE_TURN; sent++) {
        bool stalled =
            self->fault == JK_FAULT_STATE_STALLED && stream->pieces > 0;
        if (stream->credit == 0 || stalled) {
            s_stream_block (stream);
            return false;
        }
        uint64_t offset;
        zframe_t *bytes;
        int rc = jk_state_next (stream->state, &offset, &bytes);
        if (rc != JK_OK)
            return true;
        zmsg_t *msg = jk_wire_new ("STATE");
        jk_wire_add_u64 (msg, jk_state_pos (stream->state));
        zmsg_addmem (msg, jk_state_hash (stream->state), 32);
        jk_wire_add_u64 (msg, jk_state_total (stream->state));
        jk_wire_add_u64 (msg, offset);
        zmsg_append (msg, &bytes);
        stream->credit--;
        stream->pieces++;
        int rc_send = s_stream_send (self, stream, &msg);
        if (rc_send != 0)
            return rc_send < 0;
    }
    return false;
}

static void s_pack_str (msgpack_packer *pk, const char *text)
{
    size_t len = strlen (text);
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, text, len);
}

static void s_on_gaps (s_query_t *self, zframe_t *routing)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    /* Count rows first: the array header comes before them. */
    size_t rows = 0;
    int rc;
    while ((rc = sqlite3_step (self->gaps)) == SQLITE_ROW)
        rows++;
    sqlite3_reset (self->gaps);
    msgpack_pack_array (&pk, rows);
    size_t packed = 0;
    while (packed < rows && (rc = sqlite3_step (self->gaps)) == SQLITE_ROW) {
        msgpack_pack_map (&pk, 5);
        s_pack_str (&pk, "source");
        s_pack_str (&pk, (const char *)sqlite3_column_text (self->gaps, 0));
        s_pack_str (&pk, "next_seq");
        msgpack_pack_uint64 (
            &pk, (uint64_t)sqlite3_column_int64 (self->gaps, 1) + 1);
        s_pack_str (&pk, "accepted");
        msgpack_pack_uint64 (&pk,
                             (uint64_t)sqlite3_column_int64 (self->gaps, 2));
        s_pack_str (&pk, "rejected");
        msgpack_pack_uint64 (&pk,
                             (uint64_t)sqlite3_column_int64 (self->gaps, 3));
        s_pack_str (&pk, "last_recorded_at");
        msgpack_pack_int64 (&pk, sqlite3_column_int64 (self->gaps, 4));
        packed++;
    }
    sqlite3_reset (self->gaps);
    if (packed != rows) {
        msgpack_sbuffer_destroy (&sbuf);
        s_error (self, routing, "E_UNAVAILABLE", sqlite3_errmsg (self->db));
        return;
    }
    zmsg_t *reply = jk_wire_new ("GAPS");
    zmsg_addmem (reply, sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy (&sbuf);
    s_reply (self, routing, &reply);
}

/* The store's counters, then the endpoint's own: the streams open now
   and those ended by the idle limit since start. */
static void s_on_stats (s_query_t *self, zframe_t *routing)
{
    const char *counters = self->counters ? self->counters : "";
    char *text = jk_sprintf ("%s%sstreams=%zu streams_expired=%llu", counters,
                             *counters ? " " : "", zhashx_size (self->streams),
                             (unsigned long long)self->expired);
    zmsg_t *reply = jk_wire_new ("STATS");
    zmsg_addstr (reply, text);
    free (text);
    s_reply (self, routing, &reply);
}

/* The commands the query endpoint serves, with the argument frames each
   takes (docs/PROTOCOL.md, section 6): another count is E_PROTOCOL. */
typedef void (s_handler_fn) (s_query_t *self, zframe_t *routing, zmsg_t *msg);

static void s_on_head_msg (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    (void)msg;
    s_on_head (self, routing);
}

static void s_on_gaps_msg (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    (void)msg;
    s_on_gaps (self, routing);
}

static void s_on_stats_msg (s_query_t *self, zframe_t *routing, zmsg_t *msg)
{
    (void)msg;
    s_on_stats (self, routing);
}

static const struct {
    const char *name;
    size_t frames;     /* argument frames after the command (SIZE_MAX:
                          the handler checks them itself) */
    const char *shape; /* for the error message */
    s_handler_fn *handler;
} s_commands[] = {
    {"HEAD", 0, "[JEJAK/1][HEAD]", s_on_head_msg},
    {"SINCE", 3, "[JEJAK/1][SINCE][from_pos u64][topic prefix][credit u64]",
     s_on_since},
    {"CREDIT", 1, "[JEJAK/1][CREDIT][n u64]", s_on_credit},
    {"SNAPSHOT", SIZE_MAX,
     "[JEJAK/1][SNAPSHOT][as-of date, may be empty][active rule, optional]",
     s_on_snapshot},
    {"STATE", 2, "[JEJAK/1][STATE][chunk u64][credit u64]", s_on_state},
    {"GAPS", 0, "[JEJAK/1][GAPS]", s_on_gaps_msg},
    {"STATS", 0, "[JEJAK/1][STATS]", s_on_stats_msg},
    {"CHECKPOINT", SIZE_MAX, "[JEJAK/1][CHECKPOINT][size u64, optional]",
     s_on_checkpoint},
    {"COSIGN", 1, "[JEJAK/1][COSIGN][note]", s_on_cosign},
    {"PROOF", SIZE_MAX, "[JEJAK/1][PROOF][INCLUSION or CONSISTENCY][u64][u64]",
     s_on_proof},
};

static void s_router_ready (s_query_t *self)
{
    zmsg_t *msg = zmsg_recv (self->router);
    if (!msg)
        return;
    zframe_t *routing = zmsg_pop (msg);
    char command[16];
    size_t n = sizeof s_commands / sizeof s_commands[0], i = 0;
    if (!routing || zmsg_size (msg) == 0) {
        /* A ROUTER always gives the routing id: nothing to answer. */
    } else if (jk_wire_open (msg, command, sizeof command) != 0)
        s_error (self, routing, "E_PROTOCOL", JK_WIRE_FRAMING_RULE);
    else {
        while (i < n && !streq (command, s_commands[i].name))
            i++;
        char message[160];
        if (i == n) {
            snprintf (message, sizeof message,
                      "unknown command %s: expected HEAD, SINCE, CREDIT, "
                      "SNAPSHOT, STATE, GAPS, STATS, CHECKPOINT, COSIGN or "
                      "PROOF",
                      command);
            s_error (self, routing, "E_UNKNOWN_COMMAND", message);
        } else if (s_commands[i].frames != SIZE_MAX &&
                   zmsg_size (msg) != s_commands[i].frames) {
            snprintf (message, sizeof message,
                      "%s takes %zu argument frame%s, not %zu: %s",
                      s_commands[i].name, s_commands[i].frames,
                      s_commands[i].frames == 1 ? "" : "s", zmsg_size (msg),
                      s_commands[i].shape);
            s_error (self, routing, "E_PROTOCOL", message);
        } else
            s_commands[i].handler (self, routing, msg);
    }
    zframe_destroy (&routing);
    zmsg_destroy (&msg);
}

/* Sends the next records of one stream, never more than its credit, in
   one read transaction, stopping at a record the client's queue has no
   room for (kept, s_stream_send); ends it with END when it reached the
   head. Returns true when the stream is finished (or its client gone). */
static bool s_stream_turn (s_query_t *self, s_stream_t *stream)
{
    bool finished = false, stopped = false;
    size_t scanned = 0;
    int rc = SQLITE_DONE;
    if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_int64 (self->scan, 1, (sqlite3_int64)stream->next_pos);
    sqlite3_bind_int (self->scan, 2, S_SCAN_ROWS);
    while ((rc = sqlite3_step (self->scan)) == SQLITE_ROW) {
        scanned++;
        uint64_t pos = (uint64_t)sqlite3_column_int64 (self->scan, 0);
        const char *type = (const char *)sqlite3_column_text (self->scan, 1);
        bool rejected = sqlite3_column_int (self->scan, 2) == JK_LOG_REJECTED;
        jk_record_t record = {.pos = pos};
        snprintf (record.topic, sizeof record.topic, "%s%s",
                  rejected ? JK_REJECTED_PREFIX : "", type ? type : "");
        if (strncmp (record.topic, stream->prefix, stream->prefix_len) == 0) {
            if (stream->credit == 0) {
                stopped = true;
                s_stream_block (stream);
                break;
            }
            record.recorded_at = sqlite3_column_int64 (self->scan, 5);
            record.bytes = sqlite3_column_blob (self->scan, 6);
            record.size = (size_t)sqlite3_column_bytes (self->scan, 6);
            if (sqlite3_column_bytes (self->scan, 7) == 32)
                memcpy (record.hash, sqlite3_column_blob (self->scan, 7), 32);
            if (rejected) {
                const char *code =
                    (const char *)sqlite3_column_text (self->scan, 3);
                const char *message =
                    (const char *)sqlite3_column_text (self->scan, 4);
                snprintf (record.code, sizeof record.code, "%s",
                          code && code[0] ? code : "E_REJECTED");
                snprintf (record.message, sizeof record.message, "%s",
                          message ? message : "");
            }
            zmsg_t *msg = jk_record_msg (&record);
            zmsg_pushstr (msg, "RECORD");
            zmsg_pushstr (msg, JK_PROTOCOL);
            stream->credit--;
            stream->next_pos = pos;
            int sent = s_stream_send (self, stream, &msg);
            if (sent != 0) {
                stopped = true;
                finished = sent < 0;
                break;
            }
        }
        stream->next_pos = pos;
    }
    sqlite3_reset (self->scan);
    if (!stopped && rc == SQLITE_DONE && scanned < S_SCAN_ROWS) {
        uint64_t pos;
        uint8_t hash[32];
        if (s_head (self, &pos, hash) == 0) {
            zmsg_t *msg = jk_wire_new ("END");
            jk_wire_add_u64 (msg, pos);
            /* An END kept for a full queue ends the stream once sent. */
            stream->ended = s_stream_send (self, stream, &msg) > 0;
            finished = !stream->ended;
        }
    }
    sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    return finished;
}

/* Gives every stream that can move one turn; true if any may move more
   (*stalled true when one waits for room in its client's queue). A
   message kept for a full queue goes first. A stream (SINCE or STATE)
   left without credit, or whose client reads nothing, for idle_ms ends
   (s_stream_idle). */
static bool s_streams_turn (s_query_t *self, bool *stalled)
{
    bool busy = false;
    *stalled = false;
    int64_t now = jk_clock_mono_ms ();
    zlistx_t *keys = zhashx_keys (self->streams);
    for (char *key = zlistx_first (keys); key; key = zlistx_next (keys)) {
        s_stream_t *stream = zhashx_lookup (self->streams, key);
        if (!stream)
            continue;
        if (s_stream_idle (self, stream, now)) {
            jk_debug ("query", "%s stream of client %s ended: idle %lld ms",
                      stream->state ? "STATE" : "SINCE", key,
                      (long long)self->idle_ms);
            self->expired++;
            zhashx_delete (self->streams, key);
            continue;
        }
        int flushed = s_stream_flush (self, stream);
        if (flushed < 0 || (flushed == 0 && stream->ended)) {
            zhashx_delete (self->streams, key);
            continue;
        }
        if (flushed > 0)
            *stalled = true;
        if (flushed > 0 || stream->blocked)
            continue;
        if (stream->state ? s_state_turn (self, stream)
                          : s_stream_turn (self, stream))
            zhashx_delete (self->streams, key);
        else if (stream->pending)
            *stalled = true;
        else if (!stream->blocked)
            busy = true;
    }
    zlistx_destroy (&keys);
    return busy;
}

/* SIGNER's frame: the witnesses the store trusts (jk_note_signers_parse
   text, checked by the store already). */
static void s_witnesses_set (s_query_t *self, zmsg_t *msg)
{
    char *list = zmsg_popstr (msg);
    jk_note_signer_t keys[JK_NOTE_SIGS_MAX - 1];
    int count = 0;
    char why[320];
    if (list && jk_note_signers_parse (list, JK_NOTE_TYPE_COSIG, keys,
                                       JK_NOTE_SIGS_MAX - 1, &count, why,
                                       sizeof why) != JK_OK)
        count = 0;
    self->witness_count = count;
    int64_t now = jk_clock_now_ms ();
    for (int w = 0; w < count; w++) {
        s_witness_t *witness = &self->witnesses[w];
        witness->key = keys[w];
        jk_note_key_id (keys[w].name, JK_NOTE_TYPE_COSIG, keys[w].pub,
                        witness->key_id);
        witness->tokens = S_COSIGN_BURST;
        witness->refilled = now;
    }
    free (list);
}

static bool s_pipe_ready (s_query_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg)
        return false;
    char *command = zmsg_popstr (msg);
    bool keep = true;
    if (!command || streq (command, "$TERM"))
        keep = false;
    else if (streq (command, "COUNTERS")) {
        free (self->counters);
        self->counters = zmsg_popstr (msg);
    } else if (streq (command, "SIGNER")) {
        self->signer = true;
        s_witnesses_set (self, msg);
    } else if (streq (command, "COSIGNED"))
        s_cosigned (self, msg);
    else if (streq (command, "CHECKPOINT")) {
        /* [note][answer]: "1" when it answers the SIGN sent, "0" for news
           of a checkpoint signed on the store's own schedule, which may
           cover fewer records than the waiting clients asked for. */
        char *note = zmsg_popstr (msg);
        char *answer = zmsg_popstr (msg);
        if (answer && streq (answer, "1") &&
            (self->asked || zlistx_size (self->waiting)))
            s_checkpoint_signed (self, note);
        free (answer);
        free (note);
    }
    free (command);
    zmsg_destroy (&msg);
    return keep;
}

static int s_prepare (s_query_t *self, const char *sql, sqlite3_stmt **stmt)
{
    return sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                               stmt, NULL) == SQLITE_OK
               ? 0
               : -1;
}

static int s_query_init (s_query_t *self, s_args_t *args)
{
    char err[512];
    self->db_path = jk_strdup (args->db_path);
    self->fault = jk_fault_from_env ("query");
    self->idle_ms = jk_fault_stream_idle_ms ("query", JK_STREAM_IDLE_MS);
    self->db = jk_projections_open_read (args->db_path, err, sizeof err);
    if (!self->db) {
        jk_error ("query", "%s", err);
        return -1;
    }
    if (s_prepare (self,
                   "SELECT pos, type, outcome, code, message, recorded_at,"
                   " bytes, hash FROM log WHERE pos > ? ORDER BY pos"
                   " LIMIT ?",
                   &self->scan) ||
        s_prepare (self, "SELECT pos, hash FROM log ORDER BY pos DESC LIMIT 1",
                   &self->head) ||
        s_prepare (self,
                   "SELECT source, max(seq), sum(outcome = 0),"
                   " sum(outcome = 1), max(recorded_at) FROM log"
                   " GROUP BY source ORDER BY source",
                   &self->gaps)) {
        jk_error ("query", "cannot read the log of %s: %s", args->db_path,
                  sqlite3_errmsg (self->db));
        return -1;
    }
    self->router = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (self->router, 0);
    zsock_set_sndhwm (self->router, 100000);
    /* A client whose queue is full is not sent to (EAGAIN) rather than
       dropped from silently, nor one that is gone (EHOSTUNREACH):
       streams wait for room (s_stream_send); answers are sent without
       waiting (s_reply). */
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_maxmsgsize (self->router, 65536);
    if (args->cert_path) {
        zcert_t *cert = zcert_load (args->cert_path);
        if (!cert) {
            jk_error ("query", "cannot load certificate %s", args->cert_path);
            return -1;
        }
        zcert_apply (cert, self->router);
        zsock_set_curve_server (self->router, 1);
        zcert_destroy (&cert);
    }
    char why[128];
    if (jk_endpoint_bind (self->router, args->endpoint, why, sizeof why) < 0) {
        jk_error ("query", "cannot bind query endpoint %s: %s", args->endpoint,
                  why);
        return -1;
    }
    jk_endpoint_shown (self->router, args->endpoint, args->shown,
                       sizeof args->shown);
    self->streams = zhashx_new ();
    zhashx_set_destructor (self->streams, s_stream_destroy);
    self->tiles = jk_tiles_reader (self->db);
    self->waiting = zlistx_new ();
    zlistx_set_destructor (self->waiting,
                           (zlistx_destructor_fn *)zframe_destroy);
    return 0;
}

static void s_query_fini (s_query_t *self)
{
    zhashx_destroy (&self->streams);
    zlistx_destroy (&self->waiting);
    jk_tiles_destroy (&self->tiles);
    zsock_destroy (&self->router);
    sqlite3_finalize (self->scan);
    sqlite3_finalize (self->head);
    sqlite3_finalize (self->gaps);
    if (self->db)
        sqlite3_close (self->db);
    free (self->counters);
    free (self->db_path);
}

static void s_query_actor (zsock_t *pipe, void *arg)
{
    s_args_t *args = arg;
    jk_thread_enter ("jejak-query");
    s_query_t self_s = {.pipe = pipe}, *self = &self_s;
    int rc = s_query_init (self, args);
    zsock_signal (pipe, 0);
    if (rc != 0) {
        zstr_send (pipe, "FAILED");
        s_query_fini (self);
        return;
    }
    zstr_send (pipe, "READY");
    zpoller_t *poller = zpoller_new (pipe, self->router, NULL);
    zpoller_set_nonstop (poller, true);
    bool busy = false, stalled = false;
    while (true) {
        /* Streams waiting for credit are looked at now and then: an idle
           one ends after idle_ms; those waiting for room in their
           client's queue are tried again soon. */
        int timer = self->idle_ms / 4 < S_STREAM_TIMER_MS
                        ? (int)(self->idle_ms / 4) + 1
                        : S_STREAM_TIMER_MS;
        int wait = busy                          ? 0
                   : stalled                     ? S_STALL_RETRY_MS
                   : zhashx_size (self->streams) ? timer
                                                 : -1;
        void *which = zpoller_wait (poller, wait);
        if (which == pipe) {
            if (!s_pipe_ready (self))
                break;
        } else if (which == self->router)
            s_router_ready (self);
        busy = s_streams_turn (self, &stalled);
    }
    zpoller_destroy (&poller);
    s_query_fini (self);
}

zactor_t *jk_query_start (const char *db_path, const char *endpoint,
                          const char *cert_path, char *shown, size_t shown_size)
{
    assert (db_path && endpoint);
    s_args_t args = {(char *)db_path, (char *)endpoint, (char *)cert_path, ""};
    zactor_t *actor = zactor_new (s_query_actor, &args);
    /* args lives until the verdict: the actor writes shown before it. */
    char *verdict = zstr_recv (actor);
    bool ready = verdict && streq (verdict, "READY");
    free (verdict);
    if (!ready)
        zactor_destroy (&actor);
    else if (shown && shown_size > 0)
        snprintf (shown, shown_size, "%s", args.shown);
    return actor;
}
