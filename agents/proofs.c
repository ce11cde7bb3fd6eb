/*  proofs.c - receipts with proofs (jk_agent.h): signed checkpoints from
    the hub's query endpoint checked with the log's verifier key and
    against the newest one the outbox holds, inclusion proofs of the
    receipts checked against them, all kept in the outbox. */
#include "jk_agent.h"
#include "jk_endpoint.h"
#include "jk_merkle.h"
#include "jk_note.h"
#include "jk_proof.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPONENT "proofs"
#define S_WINDOW    64   /* PROOF requests in flight */
#define S_CHUNK     1024 /* receipts read and written per transaction */

typedef struct {
    const jk_proofs_config_t *config;
    sqlite3 *db;
    zsock_t *sock;
    jk_note_signer_t log;
    jk_mhash_t *mh;
    FILE *out;
    jk_proofs_stats_t *stats;
} s_prover_t;

/* One receipt to prove. */
typedef struct {
    uint64_t seq, pos;
    uint8_t *bytes;
    size_t size;
    bool proven;
    int64_t recorded_at;
    uint8_t proof[JK_MERKLE_PROOF_MAX * JK_MERKLE_HASH];
    size_t proof_len;
} s_receipt_t;

static int s_exec (sqlite3 *db, const char *sql)
{
    return sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK ? JK_OK
                                                                 : JK_IO;
}

/* The proofs' tables and columns, added to an outbox that lacks them. */
static int s_schema (sqlite3 *db)
{
    if (s_exec (db, "CREATE TABLE IF NOT EXISTS checkpoints ("
                    " size INTEGER PRIMARY KEY,"
                    " note TEXT NOT NULL,"
                    " held_at INTEGER NOT NULL);"
                    "CREATE TABLE IF NOT EXISTS forks ("
                    " at INTEGER NOT NULL,"
                    " why TEXT NOT NULL,"
                    " held TEXT NOT NULL,"
                    " seen TEXT NOT NULL)"))
        return JK_IO;
    sqlite3_stmt *st = NULL;
    bool has = false;
    if (sqlite3_prepare_v2 (db, "PRAGMA table_info(events)", -1, &st, NULL) !=
        SQLITE_OK)
        return JK_IO;
    while (sqlite3_step (st) == SQLITE_ROW)
        has |= strcmp ((const char *)sqlite3_column_text (st, 1),
                       "proof_size") == 0;
    sqlite3_finalize (st);
    if (has)
        return JK_OK;
    return s_exec (db, "BEGIN IMMEDIATE;"
                       "ALTER TABLE events ADD COLUMN recorded_at INTEGER;"
                       "ALTER TABLE events ADD COLUMN proof_size INTEGER;"
                       "ALTER TABLE events ADD COLUMN proof BLOB;"
                       "COMMIT")
               ? (s_exec (db, "ROLLBACK"), JK_IO)
               : JK_OK;
}

/* The DEALER to the query endpoint, CURVE as delivery's. */
static zsock_t *s_connect (const jk_proofs_config_t *config)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    zsock_set_maxmsgsize (sock, JK_MESSAGE_MAX_BYTES);
    if (config->broker_key && config->key) {
        zcert_t *mine = zcert_load (config->key);
        zcert_t *broker = zcert_load (config->broker_key);
        if (mine && broker) {
            zcert_apply (mine, sock);
            zsock_set_curve_serverkey (sock, zcert_public_txt (broker));
        }
        zcert_destroy (&mine);
        zcert_destroy (&broker);
    }
    if (jk_endpoint_connect (sock, config->query) != 0)
        zsock_destroy (&sock);
    return sock;
}

/* The next reply within the wait, its command checked against want; an
   ERROR is said on out. NULL on silence (*rc JK_TEMPORARY) or an error
   reply (*rc JK_IO). */
static zmsg_t *s_reply (s_prover_t *p, const char *want, int *rc)
{
    bool silent = false;
    char why[600];
    zmsg_t *msg = jk_wire_expect (p->sock, (int)p->config->wait_ms, want,
                                  &silent, why, sizeof why);
    if (msg)
        return msg;
    if (silent) {
        *rc = JK_TEMPORARY;
        return NULL;
    }
    fprintf (p->out, "proofs: the hub answered %s\n", why);
    *rc = JK_IO;
    return NULL;
}

/* Parses a note and checks the log's signature on it. */
static int s_trusted (s_prover_t *p, const char *note, size_t size,
                      jk_checkpoint_t *cp)
{
    char why[320];
    int rc = jk_checkpoint_parse (note, size, cp, why, sizeof why);
    if (rc == JK_OK && strcmp (cp->origin, p->log.name) != 0) {
        snprintf (why, sizeof why, "origin %s is not the log key's name %s",
                  cp->origin, p->log.name);
        rc = JK_INVALID;
    }
    if (rc == JK_OK)
        rc = jk_checkpoint_trusted (cp, &p->log, NULL, 0, 0, why, sizeof why);
    if (rc != JK_OK)
        fprintf (p->out, "proofs: the hub's checkpoint is refused: %s\n", why);
    return rc;
}

/* Keeps evidence and says so. */
static void s_fork (s_prover_t *p, const char *why, const char *held,
                    const char *seen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (p->db,
                            "INSERT INTO forks (at, why, held, seen)"
                            " VALUES (?, ?, ?, ?)",
                            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64 (st, 1, jk_clock_now_ms ());
        sqlite3_bind_text (st, 2, why, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 3, held, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 4, seen, -1, SQLITE_STATIC);
        sqlite3_step (st);
    }
    sqlite3_finalize (st);
    p->stats->fork = true;
    fprintf (p->out,
             "E_FORK: %s. The dinas's log does not agree with what this "
             "office holds (rewritten or forked): both signed checkpoints "
             "are kept in the outbox (table forks); give them to the "
             "auditor.\n",
             why);
}

/* The newest checkpoint the outbox holds (heap note, NULL when none). */
static char *s_held (s_prover_t *p)
{
    sqlite3_stmt *st = NULL;
    char *note = NULL;
    if (sqlite3_prepare_v2 (p->db,
                            "SELECT note FROM checkpoints ORDER BY size DESC"
                            " LIMIT 1",
                            -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        note = jk_strdup ((const char *)sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
    return note;
}

static zmsg_t *s_proof_request (const char *kind, uint64_t a, uint64_t b)
{
    zmsg_t *msg = jk_wire_new ("PROOF");
    zmsg_addstr (msg, kind);
    jk_wire_add_u64 (msg, a);
    jk_wire_add_u64 (msg, b);
    return msg;
}

/* Checks that the new checkpoint and the held one are two heads of one
   log (a consistency proof from the smaller to the larger). JK_OK,
   JK_INVALID (fork: evidence kept), or the transport's code. */
static int s_extends (s_prover_t *p, const jk_checkpoint_t *held,
                      const char *held_note, const jk_checkpoint_t *seen,
                      const char *seen_note)
{
    const jk_checkpoint_t *a = held->size <= seen->size ? held : seen;
    const jk_checkpoint_t *b = a == held ? seen : held;
    zmsg_t *msg = s_proof_request ("CONSISTENCY", a->size, b->size);
    zmsg_send (&msg, p->sock);
    int rc = JK_OK;
    zmsg_t *reply = s_reply (p, "PROOF", &rc);
    if (!reply)
        return rc;
    char *kind = zmsg_popstr (reply);
    uint64_t from = 0, to = 0;
    zframe_t *proof = NULL;
    bool shaped = kind && streq (kind, "CONSISTENCY") &&
                  jk_wire_pop_u64 (reply, &from) == 0 &&
                  jk_wire_pop_u64 (reply, &to) == 0 && from == a->size &&
                  to == b->size && (proof = zmsg_pop (reply)) != NULL;
    free (kind);
    rc = shaped && jk_checkpoint_consistent (a, b, zframe_data (proof),
                                             zframe_size (proof)) == JK_OK
             ? JK_OK
             : JK_INVALID;
    zframe_destroy (&proof);
    zmsg_destroy (&reply);
    if (rc == JK_INVALID) {
        char why[256];
        snprintf (why, sizeof why,
                  "the hub's checkpoint of %llu records and the one of %llu "
                  "this office holds are not consistent",
                  (unsigned long long)seen->size,
                  (unsigned long long)held->size);
        s_fork (p, why, held_note, seen_note);
    }
    return rc;
}

/* Fetches a checkpoint covering the log (CHECKPOINT), checks it and its
   consistency with the one held, and keeps it. *held_size: the newest
   held before (0 when none). */
static int s_checkpoint (s_prover_t *p, jk_checkpoint_t *cp, char **note_out,
                         uint64_t *held_size)
{
    *held_size = 0;
    zmsg_t *msg = jk_wire_new ("CHECKPOINT");
    zmsg_send (&msg, p->sock);
    int rc = JK_OK;
    zmsg_t *reply = s_reply (p, "CHECKPOINT", &rc);
    if (!reply)
        return rc;
    char *note = zmsg_popstr (reply);
    zmsg_destroy (&reply);
    if (!note || s_trusted (p, note, strlen (note), cp) != JK_OK) {
        free (note);
        return JK_IO;
    }
    char *held_note = s_held (p);
    if (held_note) {
        jk_checkpoint_t *held = jk_malloc (sizeof *held);
        rc = s_trusted (p, held_note, strlen (held_note), held);
        if (rc == JK_OK)
            rc = s_extends (p, held, held_note, cp, note);
        *held_size = held->size;
        free (held);
    }
    free (held_note);
    sqlite3_stmt *st = NULL;
    if (rc == JK_OK &&
        (sqlite3_prepare_v2 (p->db,
                             "INSERT OR IGNORE INTO checkpoints"
                             " (size, note, held_at) VALUES (?, ?, ?)",
                             -1, &st, NULL) != SQLITE_OK ||
         sqlite3_bind_int64 (st, 1, (sqlite3_int64)cp->size) != SQLITE_OK ||
         sqlite3_bind_text (st, 2, note, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_int64 (st, 3, jk_clock_now_ms ()) != SQLITE_OK ||
         sqlite3_step (st) != SQLITE_DONE))
        rc = JK_IO;
    sqlite3_finalize (st);
    if (rc == JK_OK)
        *note_out = note;
    else
        free (note);
    return rc;
}

/* Reads one PROOF INCLUSION reply for r and checks it against cp. */
static int s_take_inclusion (s_prover_t *p, s_receipt_t *r,
                             const jk_checkpoint_t *cp, const char *note)
{
    int rc = JK_OK;
    zmsg_t *reply = s_reply (p, "PROOF", &rc);
    if (!reply)
        return rc;
    char *kind = zmsg_popstr (reply);
    uint64_t pos = 0, size = 0, recorded_at = 0;
    zframe_t *leaf = NULL, *proof = NULL;
    bool shaped = kind && streq (kind, "INCLUSION") &&
                  jk_wire_pop_u64 (reply, &pos) == 0 &&
                  jk_wire_pop_u64 (reply, &size) == 0 &&
                  jk_wire_pop_u64 (reply, &recorded_at) == 0 && pos == r->pos &&
                  size == cp->size && recorded_at <= INT64_MAX &&
                  (leaf = zmsg_pop (reply)) != NULL &&
                  (proof = zmsg_pop (reply)) != NULL &&
                  zframe_size (proof) % JK_MERKLE_HASH == 0 &&
                  zframe_size (proof) <= sizeof r->proof;
    free (kind);
    uint8_t mine[JK_MERKLE_HASH];
    if (shaped)
        jk_mhash_record (p->mh, pos, (int64_t)recorded_at, 0, NULL, NULL,
                         r->bytes, r->size, mine);
    if (shaped &&
        jk_merkle_verify_inclusion (
            p->mh, pos - 1, size, mine, zframe_data (proof),
            zframe_size (proof) / JK_MERKLE_HASH, cp->root) == JK_OK) {
        r->proven = true;
        r->recorded_at = (int64_t)recorded_at;
        r->proof_len = zframe_size (proof);
        memcpy (r->proof, zframe_data (proof), r->proof_len);
        p->stats->proven++;
    } else {
        char why[256];
        snprintf (why, sizeof why,
                  "receipt seq %llu (position %llu) is not in the hub's "
                  "log of %llu records as this office sent it",
                  (unsigned long long)r->seq, (unsigned long long)r->pos,
                  (unsigned long long)cp->size);
        s_fork (p, why, "", note);
        p->stats->failed++;
    }
    zframe_destroy (&leaf);
    zframe_destroy (&proof);
    zmsg_destroy (&reply);
    return JK_OK;
}

/* Keeps the proofs of a chunk in one transaction. */
static int s_keep (s_prover_t *p, s_receipt_t *rs, size_t n, uint64_t size)
{
    sqlite3_stmt *st = NULL;
    int rc = s_exec (p->db, "BEGIN IMMEDIATE");
    if (rc == JK_OK &&
        sqlite3_prepare_v2 (p->db,
                            "UPDATE events SET recorded_at = ?, proof_size = ?,"
                            " proof = ? WHERE seq = ? AND pos = ?",
                            -1, &st, NULL) != SQLITE_OK)
        rc = JK_IO;
    for (size_t i = 0; rc == JK_OK && i < n; i++) {
        if (!rs[i].proven)
            continue;
        sqlite3_bind_int64 (st, 1, rs[i].recorded_at);
        sqlite3_bind_int64 (st, 2, (sqlite3_int64)size);
        sqlite3_bind_blob (st, 3, rs[i].proof, (int)rs[i].proof_len,
                           SQLITE_STATIC);
        sqlite3_bind_int64 (st, 4, (sqlite3_int64)rs[i].seq);
        sqlite3_bind_int64 (st, 5, (sqlite3_int64)rs[i].pos);
        if (sqlite3_step (st) != SQLITE_DONE)
            rc = JK_IO;
        sqlite3_reset (st);
    }
    sqlite3_finalize (st);
    if (rc == JK_OK)
        rc = s_exec (p->db, "COMMIT");
    if (rc != JK_OK)
        s_exec (p->db, "ROLLBACK");
    return rc;
}

/* Proves the receipts after seq *after (at most S_CHUNK): requests
   pipelined S_WINDOW deep. Returns the rows read, or -1 with *rc. */
static int64_t s_chunk (s_prover_t *p, bool all, const jk_checkpoint_t *cp,
                        const char *note, uint64_t *after, int *rc)
{
    sqlite3_stmt *st = NULL;
    s_receipt_t *rs = jk_calloc (S_CHUNK, sizeof *rs);
    size_t n = 0;
    if (sqlite3_prepare_v2 (
            p->db,
            all ? "SELECT seq, pos, bytes FROM events WHERE state = 2"
                  " AND seq > ? AND pos IS NOT NULL ORDER BY seq LIMIT ?"
                : "SELECT seq, pos, bytes FROM events WHERE state = 2"
                  " AND seq > ? AND pos IS NOT NULL AND proof_size IS NULL"
                  " ORDER BY seq LIMIT ?",
            -1, &st, NULL) != SQLITE_OK) {
        *rc = JK_IO;
        free (rs);
        return -1;
    }
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)*after);
    sqlite3_bind_int (st, 2, S_CHUNK);
    while (sqlite3_step (st) == SQLITE_ROW) {
        s_receipt_t *r = &rs[n];
        r->seq = (uint64_t)sqlite3_column_int64 (st, 0);
        r->pos = (uint64_t)sqlite3_column_int64 (st, 1);
        r->size = (size_t)sqlite3_column_bytes (st, 2);
        r->bytes = jk_malloc (r->size ? r->size : 1);
        memcpy (r->bytes, sqlite3_column_blob (st, 2), r->size);
        *after = r->seq;
        n++;
    }
    sqlite3_finalize (st);
    /* Pipelined: up to S_WINDOW requests ahead of the replies. */
    size_t sent = 0, taken = 0;
    int64_t rows = (int64_t)n;
    *rc = JK_OK;
    while (taken < n && *rc == JK_OK) {
        while (sent < n && sent - taken < S_WINDOW) {
            s_receipt_t *r = &rs[sent++];
            if (r->pos == 0 || r->pos > cp->size) {
                p->stats->uncovered++;
                continue;
            }
            zmsg_t *msg = s_proof_request ("INCLUSION", r->pos, cp->size);
            zmsg_send (&msg, p->sock);
        }
        s_receipt_t *r = &rs[taken++];
        if (r->pos == 0 || r->pos > cp->size)
            continue;
        *rc = s_take_inclusion (p, r, cp, note);
    }
    if (*rc == JK_OK)
        *rc = s_keep (p, rs, n, cp->size);
    for (size_t i = 0; i < n; i++)
        free (rs[i].bytes);
    free (rs);
    return *rc == JK_OK ? rows : -1;
}

/* The office as a witness: cosigns the checkpoint it checked (cp, note)
   when it is not older than the newest it held before, and sends the
   cosignature to the hub. JK_OK (cosigned, or refused with the reason
   said), JK_IO, JK_TEMPORARY. */
static int s_witness (s_prover_t *p, const jk_checkpoint_t *cp,
                      const char *note, uint64_t held_size)
{
    char name[JK_NOTE_NAME_MAX], why[320];
    uint8_t seed[32];
    int type = 0;
    if (jk_note_skey_load (p->config->witness_key, name, &type, seed, why,
                           sizeof why) != JK_OK) {
        fprintf (p->out, "witness: --witness-key: %s\n", why);
        return JK_IO;
    }
    if (type != JK_NOTE_TYPE_COSIG) {
        fprintf (p->out,
                 "witness: --witness-key: %s is the log's key (type 01), not "
                 "a witness key (jejak-keys witness-key)\n",
                 p->config->witness_key);
        OPENSSL_cleanse (seed, sizeof seed);
        return JK_IO;
    }
    if (cp->size < held_size) {
        fprintf (p->out,
                 "witness: not cosigned: the hub's checkpoint of %llu records "
                 "is older than the one of %llu this office holds\n",
                 (unsigned long long)cp->size, (unsigned long long)held_size);
        p->stats->not_cosigned = true;
        OPENSSL_cleanse (seed, sizeof seed);
        return JK_OK;
    }
    char *cosigned = jk_note_cosign (note, cp, name, seed,
                                     (uint64_t)(jk_clock_now_ms () / 1000));
    OPENSSL_cleanse (seed, sizeof seed);
    if (!cosigned) {
        fprintf (p->out, "witness: the checkpoint could not be cosigned\n");
        return JK_IO;
    }
    zmsg_t *msg = jk_wire_new ("COSIGN");
    zmsg_addstr (msg, cosigned);
    free (cosigned);
    zmsg_send (&msg, p->sock);
    int rc = JK_OK;
    zmsg_t *reply = s_reply (p, "COSIGNED", &rc);
    if (!reply) {
        if (rc == JK_IO) {
            p->stats->not_cosigned = true;
            return JK_OK;
        }
        return rc;
    }
    uint64_t size = 0, held = 0;
    if (jk_wire_pop_u64 (reply, &size) != 0 ||
        jk_wire_pop_u64 (reply, &held) != 0 || size != cp->size) {
        zmsg_destroy (&reply);
        fprintf (p->out, "witness: the hub's COSIGNED answer is malformed\n");
        return JK_IO;
    }
    zmsg_destroy (&reply);
    p->stats->cosigned = true;
    p->stats->cosigs = held;
    fprintf (p->out,
             "witness: cosigned the checkpoint of %llu records as %s; the hub "
             "keeps %llu cosignature%s of it\n",
             (unsigned long long)size, name, (unsigned long long)held,
             held == 1 ? "" : "s");
    return JK_OK;
}

int jk_proofs_run (jk_outbox_t *outbox, const jk_proofs_config_t *config,
                   bool all, jk_proofs_stats_t *stats, FILE *out)
{
    memset (stats, 0, sizeof *stats);
    s_prover_t p = {.config = config,
                    .db = jk_outbox_db (outbox),
                    .out = out,
                    .stats = stats};
    char why[256] = "";
    if (jk_note_vkey_parse (config->log_key, p.log.name, &p.log.type, p.log.pub,
                            why, sizeof why) != JK_OK ||
        p.log.type != JK_NOTE_TYPE_ED25519) {
        fprintf (out, "proofs: --log-key: %s\n",
                 p.log.type != JK_NOTE_TYPE_ED25519 && !*why
                     ? "the type byte must be 01 (the log's key)"
                     : why);
        return JK_IO;
    }
    if (s_schema (p.db) != JK_OK) {
        fprintf (out, "proofs: the outbox cannot hold proofs: %s\n",
                 sqlite3_errmsg (p.db));
        return JK_IO;
    }
    p.sock = s_connect (config);
    if (!p.sock) {
        fprintf (out, "proofs: cannot connect to --query %s\n", config->query);
        return JK_IO;
    }
    p.mh = jk_mhash_new ();
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char *note = NULL;
    uint64_t held_size = 0;
    int rc = s_checkpoint (&p, cp, &note, &held_size);
    if (rc == JK_OK)
        stats->size = cp->size;
    if (rc == JK_OK && config->witness_key)
        rc = s_witness (&p, cp, note, held_size);
    if (rc == JK_OK && !config->witness_only) {
        uint64_t after = 0;
        int64_t rows;
        while ((rows = s_chunk (&p, all, cp, note, &after, &rc)) > 0)
            ;
    }
    if (stats->fork || stats->failed)
        rc = JK_INVALID;
    free (note);
    free (cp);
    jk_mhash_destroy (&p.mh);
    zsock_destroy (&p.sock);
    return rc;
}

int jk_proofs_receipt (jk_outbox_t *outbox, uint64_t seq, uint64_t *size,
                       char **file)
{
    sqlite3 *db = jk_outbox_db (outbox);
    sqlite3_stmt *st = NULL;
    *size = 0;
    if (file)
        *file = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT e.pos, e.recorded_at, e.proof_size,"
                            " e.proof, e.bytes, c.note FROM events e"
                            " JOIN checkpoints c ON c.size = e.proof_size"
                            " WHERE e.seq = ? AND e.state = 2",
                            -1, &st, NULL) != SQLITE_OK)
        return JK_NOT_FOUND; /* no proof columns: never proven */
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)seq);
    int rc = sqlite3_step (st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize (st);
        return rc == SQLITE_DONE ? JK_NOT_FOUND : JK_IO;
    }
    uint64_t pos = (uint64_t)sqlite3_column_int64 (st, 0);
    int64_t recorded_at = sqlite3_column_int64 (st, 1);
    *size = (uint64_t)sqlite3_column_int64 (st, 2);
    if (file) {
        const uint8_t *bytes = sqlite3_column_blob (st, 4);
        size_t n = (size_t)sqlite3_column_bytes (st, 4);
        size_t len = jk_merkle_entry (pos, recorded_at, 0, NULL, NULL, bytes, n,
                                      NULL, 0);
        uint8_t *entry = jk_malloc (len);
        jk_merkle_entry (pos, recorded_at, 0, NULL, NULL, bytes, n, entry, len);
        *file = jk_proof_format (entry, len, sqlite3_column_blob (st, 3),
                                 (size_t)sqlite3_column_bytes (st, 3) /
                                     JK_MERKLE_HASH,
                                 (const char *)sqlite3_column_text (st, 5));
        free (entry);
    }
    sqlite3_finalize (st);
    return JK_OK;
}

int64_t jk_proofs_forks (jk_outbox_t *outbox)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2 (jk_outbox_db (outbox), "SELECT count(*) FROM forks",
                            -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    return n;
}
