/* Whole at ~870 lines: one actor, its states and checks share one s_send_t. */
/*  link_send.c - the sending end of the upstream link (jk_link.h). Reads
    a hub's log database (or a province's copy database) read-only, next
    to the hub that writes it, and forwards every record in order to the
    hub above: LINK tells it where the copy ends, then RECORDS within the
    credit the receiver grants, topped up by each ACK. It keeps no state of
    its own for forwarding: after any restart, either side's, it starts from the
   cursor the receiver has committed, so nothing is sent twice into the copy and
    nothing is skipped. With the log's verifier key it also checks the
    regency's signed checkpoints by consistency proof and stops on a fork,
    and relays each one it verified to the receiver, which checks it
    against its copy (docs/FEDERATION.md, "Checkpoints"); a copy database
    relays the regencies' checkpoints it holds. Every record carries the
    RAT deadline its origin's log was decided with, when known: a hub's
    log records it (log_settings), a copy database per origin
    (origin_settings). */
#include "jk_active.h"
#include "jk_base.h"
#include "jk_curve.h"
#include "jk_dbkind.h"
#include "jk_endpoint.h"
#include "jk_link.h"
#include "jk_note.h"
#include "jk_wire.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPONENT      "link"
#define S_HEARTBEAT_MS   1000
#define S_LIVENESS       3
#define S_BACKOFF_MIN_MS 500
#define S_BACKOFF_MAX_MS 30000

typedef enum { S_IDLE, S_LINKING, S_LINKED } s_state_t;

typedef struct {
    zsock_t *pipe;
    zsock_t *dealer;
    zsock_t *watch;      /* the dealer's handshakes (jk_curve.h) */
    bool handshake_told; /* a handshake ended without a reason: said */
    char *upstream;
    char area[JK_LINK_AREA_MAX];
    zcert_t *mine;
    char *server_key;
    sqlite3 *db;
    bool copy; /* the source is a copy database (province -> national) */
    sqlite3_stmt *st_read, *st_head, *st_at;
    int batch, poll_ms;
    s_state_t state;
    uint64_t session;
    uint64_t sent;  /* last cursor sent */
    uint64_t acked; /* last cursor the receiver committed */
    uint64_t credit;
    uint64_t head;
    int64_t head_at;
    int64_t data_version;
    int64_t last_heard, last_sent, next_try, backoff;
    /* counters */
    uint64_t records_sent, messages_sent, refused, reconnects;
    char last_refusal[400];
    bool terminated;
    /* checkpoints (only with a log key) */
    jk_note_signer_t log;
    char *query, *state_path;
    zsock_t *qsock;        /* DEALER to the query endpoint */
    sqlite3 *sdb;          /* the last verified checkpoint, forks */
    jk_checkpoint_t *held; /* the last verified (size 0: none yet) */
    char *held_note;
    int64_t next_check;
    uint64_t checks;
    bool *forked;
    /* relaying the held checkpoint to the receiver */
    bool relay_due;     /* to relay at the next chance */
    uint64_t relay_cap; /* relay again, proof-free, once sent reaches it */
    bool relay_off;     /* the receiver does not know CHECKPOINT */
    uint64_t relayed;
    /* a copy database: relaying the regencies' checkpoints it holds */
    sqlite3_stmt *st_held, *st_arrival;
    zhashx_t *relayed_size; /* origin -> size relayed this session */
} s_send_t;

/* ---- the source ------------------------------------------------------------
 */

static int s_open_source (s_send_t *self, const char *path)
{
    char err[512];
    self->db = jk_link_db_open (path, true, err, sizeof err);
    if (!self->db) {
        jk_error (S_COMPONENT, "%s", err);
        return -1;
    }
    sqlite3_stmt *probe = NULL;
    self->copy = sqlite3_prepare_v2 (self->db, "SELECT pos FROM arrival", -1,
                                     &probe, NULL) == SQLITE_OK;
    sqlite3_finalize (probe);
    /* A hub's log records the region its hub decides with (log_settings;
       "" is the Cianjur default, 32.03): it goes up as that area only,
       else its records would be copied as another regency's. A log that
       records none is taken as told. */
    jk_log_settings_t recorded;
    if (!self->copy && jk_log_settings_read (self->db, &recorded) == JK_OK) {
        const char *region = *recorded.area ? recorded.area : "32.03";
        if (strcmp (region, self->area) != 0) {
            jk_error (S_COMPONENT,
                      "%s is the log of a hub of region %s (its --region, "
                      "table log_settings), not of --area %s: a hub's log "
                      "is forwarded as its own area only",
                      path, region, self->area);
            return -1;
        }
    }
    /* A copy gives each record its origin's RAT deadline months (none
       from a copy made before table origin_settings); a hub's log gives
       its own, read per batch (s_log_months). */
    probe = NULL;
    bool settings =
        self->copy && sqlite3_prepare_v2 (self->db,
                                          "SELECT rat_deadline_months FROM "
                                          "origin_settings",
                                          -1, &probe, NULL) == SQLITE_OK;
    sqlite3_finalize (probe);
    const char *read =
        !self->copy
            ? "SELECT pos, NULL, pos, recorded_at, outcome, "
              "coalesce(code,''), coalesce(message,''), bytes, hash, NULL "
              "FROM log WHERE pos > ?1 ORDER BY pos LIMIT ?2"
        : settings
            ? "SELECT a.pos, c.origin, c.pos, c.recorded_at, c.outcome, "
              "coalesce(c.code,''), coalesce(c.message,''), c.bytes, c.hash, "
              "s.rat_deadline_months FROM arrival a JOIN copy c ON c.origin = "
              "a.origin AND c.pos = a.origin_pos LEFT JOIN origin_settings s "
              "ON s.origin = c.origin WHERE a.pos > ?1 ORDER BY a.pos LIMIT ?2"
            : "SELECT a.pos, c.origin, c.pos, c.recorded_at, c.outcome, "
              "coalesce(c.code,''), coalesce(c.message,''), c.bytes, c.hash, "
              "NULL FROM arrival a JOIN copy c ON c.origin = a.origin AND "
              "c.pos = a.origin_pos WHERE a.pos > ?1 ORDER BY a.pos LIMIT ?2";
    const char *head = self->copy ? "SELECT pos, received_at FROM arrival "
                                    "ORDER BY pos DESC LIMIT 1"
                                  : "SELECT pos, recorded_at FROM log ORDER "
                                    "BY pos DESC LIMIT 1";
    const char *at = self->copy
                         ? "SELECT received_at FROM arrival WHERE pos = ?1"
                         : "SELECT recorded_at FROM log WHERE pos = ?1";
    /* A copy relays the checkpoints it holds (a copy from before them
       has no such table: none). */
    if (self->copy &&
        (sqlite3_prepare_v2 (self->db,
                             "SELECT origin, size, note FROM checkpoint "
                             "ORDER BY origin",
                             -1, &self->st_held, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2 (self->db,
                             "SELECT arrival FROM copy WHERE origin = ?1 AND "
                             "pos = ?2",
                             -1, &self->st_arrival, NULL) != SQLITE_OK)) {
        sqlite3_finalize (self->st_held);
        self->st_held = NULL;
    }
    if (sqlite3_prepare_v2 (self->db, read, -1, &self->st_read, NULL) ||
        sqlite3_prepare_v2 (self->db, head, -1, &self->st_head, NULL) ||
        sqlite3_prepare_v2 (self->db, at, -1, &self->st_at, NULL)) {
        jk_error (S_COMPONENT,
                  "%s is neither a hub's log nor a copy database: %s", path,
                  sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

/* The RAT deadline months a hub's log records (log_settings): 1 to 24, 0
   when it records none; -1 when they cannot be read. Read inside the
   batch's read transaction: a store records them before it appends a
   record and may change them only while the log holds none, so with the
   records of the same snapshot they are the ones those were decided
   with. */
static int s_log_months (s_send_t *self)
{
    jk_log_settings_t settings;
    int rc = jk_log_settings_read (self->db, &settings);
    if (rc == JK_IO)
        return -1;
    return rc == JK_OK && settings.rat_deadline_months >= 1 &&
                   settings.rat_deadline_months <= JK_RAT_DEADLINE_MONTHS_MAX
               ? settings.rat_deadline_months
               : 0;
}

/* Refreshes the head (the source's last position and its time). */
static void s_read_head (s_send_t *self)
{
    if (sqlite3_step (self->st_head) == SQLITE_ROW) {
        self->head = (uint64_t)sqlite3_column_int64 (self->st_head, 0);
        self->head_at = sqlite3_column_int64 (self->st_head, 1);
    }
    sqlite3_reset (self->st_head);
}

/* True when another connection committed to the source since last time. */
static bool s_source_changed (s_send_t *self)
{
    sqlite3_int64 version = 0;
    sqlite3_file_control (self->db, "main", SQLITE_FCNTL_DATA_VERSION,
                          &version);
    bool changed = version != self->data_version;
    self->data_version = version;
    return changed;
}

/* ms since the oldest record the receiver does not have yet was logged
   (0 when it has them all). */
static int64_t s_lag_ms (s_send_t *self)
{
    if (self->acked >= self->head)
        return 0;
    int64_t at = 0;
    sqlite3_bind_int64 (self->st_at, 1, (sqlite3_int64)(self->acked + 1));
    if (sqlite3_step (self->st_at) == SQLITE_ROW)
        at = sqlite3_column_int64 (self->st_at, 0);
    sqlite3_reset (self->st_at);
    int64_t lag = at ? jk_clock_now_ms () - at : 0;
    return lag > 0 ? lag : 0;
}

/* ---- the regency's checkpoints -------------------------------------------
 */

static const char *s_state_schema =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS checkpoint ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL,"
    " note TEXT NOT NULL, verified_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS fork ("
    " at INTEGER NOT NULL, held_size INTEGER NOT NULL,"
    " seen_size INTEGER NOT NULL, held TEXT NOT NULL, seen TEXT NOT NULL)";

/* Opens the state database (0600) and reads the checkpoint it holds. */
static int s_open_state (s_send_t *self, const char *log_key)
{
    char why[320] = "";
    if (jk_note_vkey_parse (log_key, self->log.name, &self->log.type,
                            self->log.pub, why, sizeof why) != JK_OK ||
        self->log.type != JK_NOTE_TYPE_ED25519) {
        jk_error (S_COMPONENT, "--log-key: %s",
                  *why ? why : "the type byte must be 01 (the log's key)");
        return -1;
    }
    self->sdb = jk_link_sqlite_open (self->state_path, false, why, sizeof why);
    /* Another program's file (a hub's log, a copy) is refused before
       anything is written to it. */
    if (!self->sdb ||
        jk_db_kind_check (self->sdb, self->state_path, JK_DB_LINK_STATE, why,
                          sizeof why) != JK_OK) {
        jk_error (S_COMPONENT, "--state: %s", why);
        return -1;
    }
    if (sqlite3_exec (self->sdb, s_state_schema, NULL, NULL, NULL) !=
            SQLITE_OK ||
        jk_db_kind_mark (self->sdb, JK_DB_LINK_STATE) != JK_OK) {
        jk_error (S_COMPONENT, "cannot open the checkpoint state %s: %s",
                  self->state_path, sqlite3_errmsg (self->sdb));
        return -1;
    }
    sqlite3_busy_timeout (self->sdb, 5000);
    self->held = jk_calloc (1, sizeof *self->held);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (self->sdb, "SELECT note FROM checkpoint", -1, &st,
                        NULL);
    if (sqlite3_step (st) == SQLITE_ROW) {
        const char *note = (const char *)sqlite3_column_text (st, 0);
        if (jk_checkpoint_parse (note, strlen (note), self->held, why,
                                 sizeof why) != JK_OK ||
            jk_checkpoint_trusted (self->held, &self->log, NULL, 0, 0, why,
                                   sizeof why) != JK_OK) {
            jk_error (S_COMPONENT,
                      "the checkpoint held in %s does not verify with "
                      "--log-key: %s",
                      self->state_path, why);
            sqlite3_finalize (st);
            return -1;
        }
        self->held_note = jk_strdup (note);
    }
    sqlite3_finalize (st);
    return 0;
}

/* The next reply of the query endpoint, its command checked; NULL on
   silence (the socket is then replaced: a late reply must not answer
   the next question) or another reply (logged). */
static zmsg_t *s_query (s_send_t *self, zmsg_t *request, const char *want)
{
    if (!self->qsock) {
        self->qsock = zsock_new (ZMQ_DEALER);
        zsock_set_linger (self->qsock, 0);
        zsock_set_maxmsgsize (self->qsock, JK_MESSAGE_MAX_BYTES);
        if (jk_endpoint_connect (self->qsock, self->query) < 0) {
            jk_error (S_COMPONENT, "cannot connect --query %s: %s", self->query,
                      zmq_strerror (zmq_errno ()));
            zsock_destroy (&self->qsock);
            zmsg_destroy (&request);
            return NULL;
        }
    }
    zmsg_send (&request, self->qsock);
    bool silent = false;
    char why[600];
    zmsg_t *msg = jk_wire_expect (self->qsock, JK_LINK_QUERY_WAIT_MS, want,
                                  &silent, why, sizeof why);
    if (msg)
        return msg;
    if (silent) {
        jk_warn (S_COMPONENT, "--query %s did not answer %s within %d ms",
                 self->query, want, JK_LINK_QUERY_WAIT_MS);
        zsock_destroy (&self->qsock);
        return NULL;
    }
    jk_warn (S_COMPONENT, "--query %s answered %s", self->query, why);
    zmsg_destroy (&msg);
    return NULL;
}

/* Writes one signed note as evidence; the path (heap). */
static char *s_evidence (s_send_t *self, const char *which, uint64_t size,
                         const char *note)
{
    char *path = jk_sprintf ("%s.fork-%s-%llu.note", self->state_path, which,
                             (unsigned long long)size);
    jk_link_evidence (path, note);
    return path;
}

/* The fork alarm: evidence kept, forwarding stopped. */
static void s_fork (s_send_t *self, const jk_checkpoint_t *seen,
                    const char *seen_note)
{
    char held_root[65], seen_root[65];
    jk_hex_format (self->held->root, 32, held_root);
    jk_hex_format (seen->root, 32, seen_root);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (self->sdb,
                        "INSERT INTO fork (at, held_size, seen_size, held,"
                        " seen) VALUES (?, ?, ?, ?, ?)",
                        -1, &st, NULL);
    sqlite3_bind_int64 (st, 1, jk_clock_now_ms ());
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)self->held->size);
    sqlite3_bind_int64 (st, 3, (sqlite3_int64)seen->size);
    sqlite3_bind_text (st, 4, self->held_note, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 5, seen_note, -1, SQLITE_STATIC);
    sqlite3_step (st);
    sqlite3_finalize (st);
    char *held_path =
        s_evidence (self, "held", self->held->size, self->held_note);
    char *seen_path = s_evidence (self, "seen", seen->size, seen_note);
    jk_error (S_COMPONENT,
              "E_FORK: area %s: the regency's log is forked or rewritten: "
              "the checkpoint of %llu records (root %s) verified before and "
              "the one of %llu records (root %s) its hub serves now are not "
              "consistent. Forwarding stopped. Both signed notes are kept "
              "in %s and %s (and table fork of %s): give them to the "
              "auditor.",
              self->area, (unsigned long long)self->held->size, held_root,
              (unsigned long long)seen->size, seen_root, held_path, seen_path,
              self->state_path);
    free (held_path);
    free (seen_path);
    if (self->forked)
        *self->forked = true;
    self->terminated = true;
}

/* Fetches the hub's checkpoint, checks its signature and its consistency
   with the one held, and keeps it when it is newer. JK_OK, JK_INVALID
   (fork: alarm raised, the sender stops) or JK_TEMPORARY (no good answer:
   asked again later). */
static int s_check (s_send_t *self)
{
    self->checks++;
    zmsg_t *reply = s_query (self, jk_wire_new ("CHECKPOINT"), "CHECKPOINT");
    char *note = reply ? zmsg_popstr (reply) : NULL;
    zmsg_destroy (&reply);
    if (!note)
        return JK_TEMPORARY;
    jk_checkpoint_t *seen = jk_malloc (sizeof *seen);
    char why[320];
    int rc = jk_checkpoint_parse (note, strlen (note), seen, why, sizeof why);
    if (rc == JK_OK && strcmp (seen->origin, self->log.name) != 0) {
        snprintf (why, sizeof why, "origin %s is not the log key's name %s",
                  seen->origin, self->log.name);
        rc = JK_INVALID;
    }
    if (rc == JK_OK)
        rc = jk_checkpoint_trusted (seen, &self->log, NULL, 0, 0, why,
                                    sizeof why);
    if (rc != JK_OK) {
        jk_error (S_COMPONENT, "the hub's checkpoint is refused: %s", why);
        rc = JK_TEMPORARY;
    } else if (self->held_note) {
        const jk_checkpoint_t *a =
            self->held->size <= seen->size ? self->held : seen;
        const jk_checkpoint_t *b = a == seen ? self->held : seen;
        zmsg_t *request = jk_wire_new ("PROOF");
        zmsg_addstr (request, "CONSISTENCY");
        jk_wire_add_u64 (request, a->size);
        jk_wire_add_u64 (request, b->size);
        reply = s_query (self, request, "PROOF");
        char *kind = reply ? zmsg_popstr (reply) : NULL;
        uint64_t from = 0, to = 0;
        zframe_t *proof = NULL;
        if (!reply)
            rc = JK_TEMPORARY;
        else if (kind && streq (kind, "CONSISTENCY") &&
                 !jk_wire_pop_u64 (reply, &from) &&
                 !jk_wire_pop_u64 (reply, &to) && from == a->size &&
                 to == b->size && (proof = zmsg_pop (reply)) != NULL)
            rc = jk_checkpoint_consistent (a, b, zframe_data (proof),
                                           zframe_size (proof));
        else
            rc = JK_INVALID;
        free (kind);
        zframe_destroy (&proof);
        zmsg_destroy (&reply);
        if (rc == JK_INVALID)
            s_fork (self, seen, note);
    }
    if (rc == JK_OK && (!self->held_note || seen->size > self->held->size)) {
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2 (self->sdb,
                            "INSERT OR REPLACE INTO checkpoint (id, size, note,"
                            " verified_at) VALUES (1, ?, ?, ?)",
                            -1, &st, NULL);
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)seen->size);
        sqlite3_bind_text (st, 2, note, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 3, jk_clock_now_ms ());
        if (sqlite3_step (st) != SQLITE_DONE) {
            jk_error (S_COMPONENT, "cannot keep the checkpoint in %s: %s",
                      self->state_path, sqlite3_errmsg (self->sdb));
            rc = JK_TEMPORARY;
        }
        sqlite3_finalize (st);
    }
    if (rc == JK_OK && (!self->held_note || seen->size > self->held->size)) {
        jk_info (S_COMPONENT, "checkpoint of %llu records verified%s",
                 (unsigned long long)seen->size,
                 self->held_note ? " (consistent with the one before)" : "");
        memcpy (self->held, seen, sizeof *seen);
        free (self->held_note);
        self->held_note = note;
        note = NULL;
        self->relay_due = true;
    }
    free (note);
    free (seen);
    return rc;
}

static void s_send_msg (s_send_t *self, zmsg_t *msg);

/* The consistency proof between two sizes (a < b) from the query
   endpoint; NULL when it did not come (asked again with a later
   checkpoint). */
static zframe_t *s_proof (s_send_t *self, uint64_t a, uint64_t b)
{
    zmsg_t *request = jk_wire_new ("PROOF");
    zmsg_addstr (request, "CONSISTENCY");
    jk_wire_add_u64 (request, a);
    jk_wire_add_u64 (request, b);
    zmsg_t *reply = s_query (self, request, "PROOF");
    char *kind = reply ? zmsg_popstr (reply) : NULL;
    uint64_t from = 0, to = 0;
    zframe_t *proof = NULL;
    if (kind && streq (kind, "CONSISTENCY") &&
        !jk_wire_pop_u64 (reply, &from) && !jk_wire_pop_u64 (reply, &to) &&
        from == a && to == b)
        proof = zmsg_pop (reply);
    free (kind);
    zmsg_destroy (&reply);
    return proof;
}

/* Relays the checkpoint held to the receiver with the consistency proof
   between it and the copy the receiver holds when it reads it (the
   records sent so far). One beyond that copy is relayed again, without a
   proof, once the records up to it are sent (the pump stops there for
   it), so the receiver can keep it as a prefix of its copy. */
static void s_relay (s_send_t *self)
{
    self->relay_due = false;
    if (self->copy || self->relay_off || !self->held_note ||
        self->state != S_LINKED)
        return;
    uint64_t n = self->held->size, c = self->sent;
    zframe_t *proof = NULL;
    if (n && c && n != c &&
        !(proof = s_proof (self, n < c ? n : c, n < c ? c : n)))
        return;
    zmsg_t *msg = jk_wire_new ("CHECKPOINT");
    jk_wire_add_u64 (msg, self->session);
    jk_wire_add_u64 (msg, c);
    zmsg_addstr (msg, self->held_note);
    if (proof)
        zmsg_append (msg, &proof);
    else
        zmsg_addmem (msg, NULL, 0);
    s_send_msg (self, msg);
    self->relay_cap = n > c ? n : 0;
    self->relayed++;
}

static void s_free (void **item)
{
    free (*item);
    *item = NULL;
}

/* The arrival position of origin's record pos in the copy; 0: none. */
static uint64_t s_arrival_of (s_send_t *self, const char *origin, uint64_t pos)
{
    sqlite3_bind_text (self->st_arrival, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->st_arrival, 2, (sqlite3_int64)pos);
    uint64_t at = sqlite3_step (self->st_arrival) == SQLITE_ROW
                      ? (uint64_t)sqlite3_column_int64 (self->st_arrival, 0)
                      : 0;
    sqlite3_reset (self->st_arrival);
    return at;
}

/* A copy database (province -> national): relays each regency's
   checkpoint the copy holds, once per session, at the one moment the
   receiver's copy of that origin has exactly its size: right after its
   record at that size was sent and before the next one of the origin.
   *want is cut so that the next batch stops at the record of the nearest
   one ahead. A checkpoint whose next record was already sent is passed
   over (the receiver holds more of that origin; a later one is relayed).
   Called inside the read transaction of the batch it caps, so the
   checkpoints seen and the records read are one snapshot. */
static void s_relay_copy (s_send_t *self, uint64_t *want)
{
    if (!self->st_held || self->relay_off || self->state != S_LINKED)
        return;
    while (sqlite3_step (self->st_held) == SQLITE_ROW) {
        const char *origin =
            (const char *)sqlite3_column_text (self->st_held, 0);
        uint64_t size = (uint64_t)sqlite3_column_int64 (self->st_held, 1);
        const char *note = (const char *)sqlite3_column_text (self->st_held, 2);
        uint64_t *done = zhashx_lookup (self->relayed_size, origin);
        if (!origin || !note || size == 0 || (done && size <= *done))
            continue;
        uint64_t at = s_arrival_of (self, origin, size);
        if (at > self->sent) {
            if (at - self->sent < *want)
                *want = at - self->sent;
            continue;
        }
        if (!done) {
            done = jk_calloc (1, sizeof *done);
            zhashx_insert (self->relayed_size, origin, done);
        }
        *done = size;
        uint64_t next = s_arrival_of (self, origin, size + 1);
        if (at == 0 || (next && next <= self->sent))
            continue;
        zmsg_t *msg = jk_wire_new ("CHECKPOINT");
        jk_wire_add_u64 (msg, self->session);
        jk_wire_add_u64 (msg, size);
        zmsg_addstr (msg, note);
        zmsg_addmem (msg, NULL, 0);
        zmsg_addstr (msg, origin);
        s_send_msg (self, msg);
        self->relayed++;
    }
    sqlite3_reset (self->st_held);
}

/* ---- the connection -------------------------------------------------------
 */

static void s_send_msg (s_send_t *self, zmsg_t *msg)
{
    zmsg_send (&msg, self->dealer);
    self->last_sent = jk_clock_mono_ms ();
}

/* The connection to the receiver closed, with its handshake watch. */
static void s_close (s_send_t *self)
{
    jk_curve_watch_destroy (&self->watch, self->dealer);
    zsock_destroy (&self->dealer);
}

static void s_connect (s_send_t *self)
{
    s_close (self);
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->dealer, 0);
    zsock_set_maxmsgsize (self->dealer, JK_MESSAGE_MAX_BYTES);
    if (self->mine) {
        zcert_apply (self->mine, self->dealer);
        zsock_set_curve_serverkey (self->dealer, self->server_key);
    }
    /* A receiver that refuses the handshake (a key it does not admit, the
       other mechanism) is named, not only timed out (s_on_watch). */
    self->watch = jk_curve_watch_new (self->dealer);
    self->handshake_told = false;
    if (jk_endpoint_connect (self->dealer, self->upstream) < 0) {
        jk_error (S_COMPONENT, "cannot connect %s: %s", self->upstream,
                  zmq_strerror (zmq_errno ()));
        s_close (self);
        return;
    }
    s_read_head (self);
    zmsg_t *msg = jk_wire_new ("LINK");
    zmsg_addstr (msg, self->area);
    jk_wire_add_u64 (msg, self->head);
    s_send_msg (self, msg);
    self->state = S_LINKING;
    self->last_heard = jk_clock_mono_ms ();
}

/* One handshake event of the connection. A refusal (a key the receiver
   does not admit, or the other mechanism) is said and the connection
   given up: ZeroMQ would not try it again, and the next LINK after the
   backoff finds a key enrolled meanwhile. A handshake ended without a
   reason (a wrong --server-key, a network fault) is said once per
   connection; ZeroMQ retries it, and the liveness check gives it up. */
static void s_drop (s_send_t *self, const char *why);
static void s_on_watch (s_send_t *self)
{
    char reason[400];
    int rc = jk_curve_watch_read_from (self->watch, self->mine != NULL,
                                       "the receiver", "--server-key", reason,
                                       sizeof reason);
    if (rc == -2) {
        jk_error (S_COMPONENT, "--upstream %s: %s", self->upstream, reason);
        s_drop (self, "handshake refused");
    } else if (rc == -1 && !self->handshake_told) {
        jk_warn (S_COMPONENT, "--upstream %s: %s", self->upstream, reason);
        self->handshake_told = true;
    }
}

/* Gives up the connection; the next LINK comes after the backoff. */
static void s_drop (s_send_t *self, const char *why)
{
    jk_warn (S_COMPONENT, "link to %s down (%s); again in %lld ms",
             self->upstream, why, (long long)self->backoff);
    s_close (self);
    self->state = S_IDLE;
    self->session = 0;
    self->next_try = jk_clock_mono_ms () + self->backoff;
    self->backoff = self->backoff * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS
                                                         : self->backoff * 2;
    self->reconnects++;
}

/* Sends the next records the credit allows. */
static void s_pump (s_send_t *self)
{
    if (self->state != S_LINKED)
        return;
    while (self->credit > 0) {
        uint64_t want = self->credit < (uint64_t)self->batch
                            ? self->credit
                            : (uint64_t)self->batch;
        if (self->relay_cap > self->sent && self->relay_cap - self->sent < want)
            want = self->relay_cap - self->sent;
        /* One snapshot: the records, the log's settings, and a copy's
           checkpoints. */
        sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL);
        if (self->st_held)
            s_relay_copy (self, &want);
        int months = self->copy ? 0 : s_log_months (self);
        if (months < 0) {
            sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
            jk_warn (S_COMPONENT, "cannot read the log's settings: %s",
                     sqlite3_errmsg (self->db));
            s_drop (self, "the log's settings unreadable");
            return;
        }
        sqlite3_bind_int64 (self->st_read, 1, (sqlite3_int64)self->sent);
        sqlite3_bind_int64 (self->st_read, 2, (sqlite3_int64)want);
        zmsg_t *msg = NULL;
        uint64_t n = 0;
        while (sqlite3_step (self->st_read) == SQLITE_ROW) {
            sqlite3_stmt *st = self->st_read;
            jk_link_record_t r = {0};
            r.cursor = (uint64_t)sqlite3_column_int64 (st, 0);
            const char *origin = (const char *)sqlite3_column_text (st, 1);
            snprintf (r.origin, sizeof r.origin, "%s",
                      origin ? origin : self->area);
            r.pos = (uint64_t)sqlite3_column_int64 (st, 2);
            r.recorded_at = sqlite3_column_int64 (st, 3);
            r.outcome = sqlite3_column_int (st, 4);
            r.code = (char *)sqlite3_column_text (st, 5);
            r.message = (char *)sqlite3_column_text (st, 6);
            r.bytes = sqlite3_column_blob (st, 7);
            r.size = (size_t)sqlite3_column_bytes (st, 7);
            if (sqlite3_column_bytes (st, 8) == JK_HASH_SIZE)
                memcpy (r.hash, sqlite3_column_blob (st, 8), JK_HASH_SIZE);
            if (!r.bytes)
                r.bytes = (const uint8_t *)"";
            int known = self->copy ? sqlite3_column_int (st, 9) : months;
            if (known >= 1 && known <= JK_RAT_DEADLINE_MONTHS_MAX)
                r.rat_deadline_months = known;
            if (!msg) {
                msg = jk_wire_new ("RECORDS");
                jk_wire_add_u64 (msg, self->session);
                s_read_head (self);
                jk_wire_add_u64 (msg, self->head);
                jk_wire_add_u64 (msg, (uint64_t)self->head_at);
            }
            zframe_t *frame = jk_link_record_encode (&r);
            zmsg_append (msg, &frame);
            self->sent = r.cursor;
            n++;
        }
        sqlite3_reset (self->st_read);
        sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
        if (!msg)
            return;
        self->credit -= n;
        self->records_sent += n;
        self->messages_sent++;
        s_send_msg (self, msg);
        if (self->relay_cap && self->sent == self->relay_cap)
            s_relay (self);
    }
}

/* LINKED [session][from][credit]: the receiver took the link. */
static void s_on_linked (s_send_t *self, uint64_t session, uint64_t from,
                         uint64_t credit)
{
    self->session = session;
    self->sent = self->acked = from;
    self->credit = credit;
    self->state = S_LINKED;
    self->backoff = S_BACKOFF_MIN_MS;
    jk_info (S_COMPONENT,
             "linked to %s area=%s from=%llu head=%llu credit=%llu",
             self->upstream, self->area, (unsigned long long)from,
             (unsigned long long)self->head, (unsigned long long)credit);
    self->relay_cap = 0;
    zhashx_purge (self->relayed_size);
    s_relay (self);
    s_pump (self);
}

/* REFUSED [session][code][origin][pos][text] (session popped): an
   E_FORK stops forwarding for good; any other refusal drops the link. */
static void s_on_refused (s_send_t *self, zmsg_t *msg)
{
    char *code = zmsg_popstr (msg);
    char *origin = zmsg_popstr (msg);
    uint64_t pos = 0;
    jk_wire_pop_u64 (msg, &pos);
    char *text = zmsg_popstr (msg);
    self->refused++;
    snprintf (self->last_refusal, sizeof self->last_refusal, "%s@%s:%llu",
              code ? code : "?", origin ? origin : "?",
              (unsigned long long)pos);
    jk_error (S_COMPONENT, "refused by %s: %s origin=%s pos=%llu: %s",
              self->upstream, code ? code : "?", origin ? origin : "?",
              (unsigned long long)pos, text ? text : "");
    bool fork = code && streq (code, "E_FORK");
    free (code);
    free (origin);
    free (text);
    if (fork) {
        jk_error (S_COMPONENT,
                  "E_FORK: area %s: the receiver found the regency's log "
                  "forked or rewritten (above). Forwarding stopped.",
                  self->area);
        if (self->forked)
            *self->forked = true;
        self->terminated = true;
    } else
        s_drop (self, "refused");
}

/* ERROR [code][text]: logged, the link dropped; E_UNKNOWN_COMMAND, or
   E_PROTOCOL refusing CHECKPOINT's shape, turns the relay of checkpoints
   off. */
static void s_on_error (s_send_t *self, zmsg_t *msg)
{
    char *code = zmsg_popstr (msg);
    char *text = zmsg_popstr (msg);
    jk_error (S_COMPONENT, "error from %s: %s %s", self->upstream,
              code ? code : "?", text ? text : "");
    /* Of the commands a sender sends, only CHECKPOINT is unknown to
       a receiver of an older version; one that knows it but not the
       origin frame a copy adds refuses its shape. */
    if (code && (streq (code, "E_UNKNOWN_COMMAND") ||
                 (streq (code, "E_PROTOCOL") && text &&
                  strncmp (text, "CHECKPOINT takes", 16) == 0))) {
        jk_warn (S_COMPONENT,
                 "%s does not take this CHECKPOINT: its "
                 "checkpoints are no longer relayed",
                 self->upstream);
        self->relay_off = true;
    }
    free (code);
    free (text);
    s_drop (self, "error");
}

/* One message from the receiver, to its command's handler. */
static void s_on_dealer (s_send_t *self)
{
    zmsg_t *msg = zmsg_recv (self->dealer);
    if (!msg)
        return;
    self->last_heard = jk_clock_mono_ms ();
    char command[16];
    uint64_t session = 0, a = 0, b = 0;
    if (jk_wire_open (msg, command, sizeof command)) {
        jk_warn (S_COMPONENT, "not a JEJAK/1 message from %s", self->upstream);
    } else if (streq (command, "LINKED") && self->state == S_LINKING &&
               !jk_wire_pop_u64 (msg, &session) && !jk_wire_pop_u64 (msg, &a) &&
               !jk_wire_pop_u64 (msg, &b)) {
        s_on_linked (self, session, a, b);
    } else if (streq (command, "ACK") && !jk_wire_pop_u64 (msg, &session) &&
               !jk_wire_pop_u64 (msg, &a) && !jk_wire_pop_u64 (msg, &b)) {
        if (session == self->session && self->state == S_LINKED) {
            self->acked = a;
            self->credit += b;
            s_pump (self);
        }
    } else if (streq (command, "REFUSED") && !jk_wire_pop_u64 (msg, &session)) {
        s_on_refused (self, msg);
    } else if (streq (command, "PONG")) {
        if (!jk_wire_pop_u64 (msg, &a) && self->state == S_LINKED &&
            a > self->acked)
            self->acked = a;
    } else if (streq (command, "ERROR")) {
        s_on_error (self, msg);
    }
    zmsg_destroy (&msg);
}

static char *s_stats (void *arg)
{
    s_send_t *self = (s_send_t *)arg;
    s_read_head (self);
    return jk_sprintf (
        "area=%s upstream=%s state=%s head=%llu sent=%llu acked=%llu "
        "lag=%llu lag_ms=%lld credit=%llu records_sent=%llu "
        "messages_sent=%llu refused=%llu reconnects=%llu last_refusal=%s "
        "checkpoint=%llu checks=%llu relayed=%llu",
        self->area, self->upstream,
        self->state == S_LINKED    ? "linked"
        : self->state == S_LINKING ? "linking"
                                   : "down",
        (unsigned long long)self->head, (unsigned long long)self->sent,
        (unsigned long long)self->acked,
        (unsigned long long)(self->head > self->acked ? self->head - self->acked
                                                      : 0),
        (long long)s_lag_ms (self), (unsigned long long)self->credit,
        (unsigned long long)self->records_sent,
        (unsigned long long)self->messages_sent,
        (unsigned long long)self->refused, (unsigned long long)self->reconnects,
        self->last_refusal[0] ? self->last_refusal : "-",
        (unsigned long long)(self->held ? self->held->size : 0),
        (unsigned long long)self->checks, (unsigned long long)self->relayed);
}

/* Heartbeat, liveness, reconnection, and new records in the source. */
static void s_tick (s_send_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    if (self->state == S_IDLE) {
        if (now < self->next_try)
            return;
        /* With a log key, nothing is forwarded before a checkpoint of the
           regency's log has been verified against the one held. */
        if (self->state_path) {
            int rc = s_check (self);
            if (rc == JK_INVALID)
                return;
            if (rc != JK_OK) {
                s_drop (self, "no verified checkpoint");
                return;
            }
            self->next_check = now + JK_LINK_CHECK_MS;
        }
        s_connect (self);
        return;
    }
    if (now - self->last_heard > S_HEARTBEAT_MS * S_LIVENESS) {
        s_drop (self, "no answer within 3 s");
        return;
    }
    /* A newer checkpoint is asked for while the one verified is behind
       the source's head. */
    if (self->state_path && self->state == S_LINKED &&
        now >= self->next_check) {
        self->next_check = now + JK_LINK_CHECK_MS;
        s_read_head (self);
        if (self->held->size < self->head && s_check (self) == JK_INVALID)
            return;
    }
    if (self->relay_due)
        s_relay (self);
    if (self->state == S_LINKED && s_source_changed (self))
        s_pump (self);
    if (self->state == S_LINKED && now - self->last_sent >= S_HEARTBEAT_MS) {
        s_read_head (self);
        zmsg_t *msg = jk_wire_new ("PING");
        jk_wire_add_u64 (msg, self->session);
        jk_wire_add_u64 (msg, self->head);
        jk_wire_add_u64 (msg, (uint64_t)self->head_at);
        s_send_msg (self, msg);
    }
}

static void s_destroy (s_send_t *self)
{
    sqlite3_finalize (self->st_read);
    sqlite3_finalize (self->st_head);
    sqlite3_finalize (self->st_at);
    sqlite3_finalize (self->st_held);
    sqlite3_finalize (self->st_arrival);
    zhashx_destroy (&self->relayed_size);
    sqlite3_close (self->db);
    s_close (self);
    zcert_destroy (&self->mine);
    free (self->server_key);
    free (self->upstream);
    zsock_destroy (&self->qsock);
    sqlite3_close (self->sdb);
    free (self->held);
    free (self->held_note);
    free (self->query);
    free (self->state_path);
    /* The actor's thread ends here: release OpenSSL's state for it now
       (checkpoints are checked on it) rather than rely on thread-exit
       hooks. */
    OPENSSL_thread_stop ();
}

static void s_actor (zsock_t *pipe, void *arg)
{
    const jk_link_sender_config_t *config = arg;
    jk_thread_enter (NULL);
    zsock_signal (pipe, 0); /* zactor_new's; the status follows */
    s_send_t self = {.pipe = pipe, .backoff = S_BACKOFF_MIN_MS};
    self.upstream = jk_strdup (config->upstream);
    snprintf (self.area, sizeof self.area, "%s", config->area);
    self.batch = config->batch > 0 && config->batch <= JK_LINK_BATCH_MAX
                     ? config->batch
                     : 500;
    self.poll_ms = config->poll_ms > 0 ? config->poll_ms : 20;
    self.relayed_size = zhashx_new ();
    zhashx_set_destructor (self.relayed_size, s_free);
    if (s_open_source (&self, config->db_path)) {
        zsock_signal (pipe, 1);
        s_destroy (&self);
        return;
    }
    self.forked = config->forked;
    if (config->log_key) {
        self.query = jk_strdup (config->query);
        self.state_path = jk_strdup (config->state_path);
        if (s_open_state (&self, config->log_key)) {
            zsock_signal (pipe, 1);
            s_destroy (&self);
            return;
        }
    }
    if (config->cert_path) {
        self.mine = zcert_load (config->cert_path);
        zcert_t *server =
            config->server_key ? zcert_load (config->server_key) : NULL;
        if (!self.mine || !server) {
            jk_error (S_COMPONENT, "cannot load %s",
                      !self.mine ? config->cert_path
                                 : (config->server_key ? config->server_key
                                                       : "the server key"));
            zcert_destroy (&server);
            zsock_signal (pipe, 1);
            s_destroy (&self);
            return;
        }
        self.server_key = jk_strdup (zcert_public_txt (server));
        zcert_destroy (&server);
    }
    jk_info (S_COMPONENT, "forwarding %s (%s) as area %s to %s",
             config->db_path, self.copy ? "copy database" : "hub log",
             self.area, self.upstream);
    zsock_signal (pipe, 0);
    s_source_changed (&self);
    while (!self.terminated) {
        zpoller_t *poller = zpoller_new (pipe, self.dealer, NULL);
        if (self.watch)
            zpoller_add (poller, self.watch);
        void *which = zpoller_wait (poller, self.poll_ms);
        bool stop = zpoller_terminated (poller);
        zpoller_destroy (&poller);
        if (which == pipe)
            self.terminated = jk_link_on_pipe (pipe, s_stats, &self);
        else if (which && which == self.dealer)
            s_on_dealer (&self);
        else if (which && which == self.watch)
            s_on_watch (&self);
        else if (stop)
            break;
        s_tick (&self);
    }
    s_destroy (&self);
}

zactor_t *jk_link_sender_start (const jk_link_sender_config_t *config)
{
    return jk_link_actor_start (s_actor, (void *)config);
}
