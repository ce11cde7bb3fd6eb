/*  jk_link.h - the upstream link between hubs (docs/FEDERATION.md): a
    regency hub's log forwarded, record by record and in order, to the
    province hub, which keeps a verifiable copy per origin regency and
    chains the arrivals in a log of its own; the same link forwards a
    province's copies to the national hub.

    The sender (jejak-link send) runs next to a hub and reads its log
    database; the receiver (jejak-link receive) runs at the hub above and
    owns the copy database. Both are CZMQ actors. */
#ifndef JK_LINK_H
#define JK_LINK_H

#include "jk_log.h"
#include "jk_merkle.h"

#include <czmq.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

/* Records in one RECORDS message, at most. */
#define JK_LINK_BATCH_MAX 1000
/* Records the receiver lets a sender have in flight (its credit). */
#define JK_LINK_WINDOW 2000
/* An origin: a kabupaten code NN.NN or a province code NN. */
#define JK_LINK_AREA_MAX 8

/* ---- one forwarded record ----------------------------------------------- */
typedef struct {
    uint64_t cursor;               /* sender's position: the regency's pos,
                                      or the province's arrival pos */
    char origin[JK_LINK_AREA_MAX]; /* regency that logged it ("32.03") */
    uint64_t pos;                  /* its position in the origin's log */
    int64_t recorded_at;           /* the origin's recorded_at, ms */
    int outcome;                   /* JK_LOG_ACCEPTED or JK_LOG_REJECTED */
    char *code;                    /* rejection code ("" when accepted) */
    char *message;                 /* rejection message ("" when accepted) */
    const uint8_t *bytes;          /* the event bytes, as logged */
    size_t size;                   /* their size */
    uint8_t hash[JK_HASH_SIZE];    /* the origin's chain hash at pos */
    int rat_deadline_months;       /* the RAT deadline the origin's log was
                                      decided with, 1 to 24; 0: not known
                                      (the key absent) */
} jk_link_record_t;

/* Encodes a record as one MessagePack map frame (keys cursor, origin, pos,
   recorded_at, outcome, code, msg, bytes, hash, and rat_deadline_months
   when it is known). */
zframe_t *jk_link_record_encode (const jk_link_record_t *record);

/* Decodes one record map. On success (0) code and message are heap copies
   (free with jk_link_record_clear) and bytes points into data. On -1 err
   names the key and the rule. */
int jk_link_record_decode (const uint8_t *data, size_t size,
                           jk_link_record_t *record, char *err,
                           size_t err_size);
void jk_link_record_clear (jk_link_record_t *record);

/* True for "NN" or "NN.NN" (digits). */
bool jk_link_area_valid (const char *area);
/* True when origin is area or lies inside it ("32.03" inside "32"). */
bool jk_link_area_holds (const char *area, const char *origin);

/* ---- the copy database (receiver) -------------------------------------- */

/* Opens a SQLite file of the federation (a copy, a link's state, the
   province's projections and their shadows, a sink's shadow), creating it
   0600 unless readonly: they hold the regencies' records, NIKs in clear,
   like the hub's own log. 5 s busy timeout. NULL with the reason in err
   ("cannot open PATH: ..."). */
sqlite3 *jk_link_sqlite_open (const char *path, bool readonly, char *err,
                              size_t err_size);

/* Says in buf (size bytes) that the shadow db could not be read or
   written: "cannot VERB the shadow PATH (WHAT): SQLite's words", and for
   an I/O failure the system's words, and a file beside it that is in the
   way (as a directory where its journal goes), in brackets after them.
   verb: "read" or "write"; path NULL: the file as SQLite resolved it
   (jk_link_db_path). Returns buf. */
char *jk_link_shadow_failure (sqlite3 *db, const char *path, const char *verb,
                              const char *what, char *buf, size_t size);
/* Records pos and hash (JK_HASH_SIZE bytes) as the position in table (a
   shadow's one-row table with columns pos and hash) of db; false with
   buf saying so (jk_link_shadow_failure, what: "its position N") when it
   cannot. */
bool jk_link_shadow_position_set (sqlite3 *db, const char *path,
                                  const char *table, uint64_t pos,
                                  const uint8_t *hash, char *buf, size_t size);
/* The file of db as SQLite resolved it, for messages ("(shadow)" for a
   database without one). */
const char *jk_link_db_path (sqlite3 *db);

/* Opens (creating, 0600) the copy database: WAL, synchronous=FULL, tables
   copy, arrival, origin_head, link, fault, origin_tree, checkpoint, fork,
   origin_settings, marked JK_DB_LINK_COPY (jk_dbkind.h): a file of
   another kind is refused before anything is written to it. readonly
   opens any file as it is (send's --db may be a hub's log). NULL with the
   reason in err. */
sqlite3 *jk_link_db_open (const char *path, bool readonly, char *err,
                          size_t err_size);

/* The RAT deadline months the copy database db records for origin (table
   origin_settings, written by the receiver from the records that carry
   them): 1 to 24, or 0 when it records none (no record of origin carried
   them, or a copy from before the table). */
int jk_link_origin_months (sqlite3 *db, const char *origin);

/* The arrival chain: the province's own log of what arrived, chained as
   the hub log is (jk_chain_step) with pos = arrival position, recorded_at
   = arrival time, outcome 0, code = origin, message empty, bytes =
   u64be(origin pos) || origin hash (40 bytes). */
void jk_link_arrival_hash (jk_chain_t *chain, const uint8_t prev[JK_HASH_SIZE],
                           uint64_t pos, int64_t received_at,
                           const char *origin, uint64_t origin_pos,
                           const uint8_t origin_hash[JK_HASH_SIZE],
                           uint8_t out[JK_HASH_SIZE]);

/* ---- the copy's trees and the regencies' checkpoints (receiver) ---------
   Per origin: the right edge of the RFC 6962 tree over its copied records
   (table origin_tree), the newest checkpoint proven a prefix of the copy
   (table checkpoint) and the forks found (table fork), in the copy
   database (docs/FEDERATION.md, "Checkpoints at the province"). */
typedef struct jk_link_trees_s jk_link_trees_t;

/* log_keys: a directory of ORIGIN.vkey files (each regency's log.vkey),
   or NULL (no checkpoint is checked). */
jk_link_trees_t *jk_link_trees_new (sqlite3 *db, const char *copy_path,
                                    const char *log_keys);
void jk_link_trees_destroy (jk_link_trees_t **self_p);
/* Reads the trees, held checkpoints and forks from the copy database;
   an edge missing or not at its origin's head is rebuilt from the copy.
   JK_OK or JK_IO. */
int jk_link_trees_load (jk_link_trees_t *self);
/* Appends a stored record to its origin's tree (in memory until save). */
void jk_link_trees_push (jk_link_trees_t *self, const jk_link_record_t *r);
/* Writes the trees changed since the last save (in the caller's
   transaction). JK_OK or JK_IO. */
int jk_link_trees_save (jk_link_trees_t *self);
/* True while a fork alarm stands for origin. */
bool jk_link_trees_forked (jk_link_trees_t *self, const char *origin);
/* Checks a relayed checkpoint note of origin: the log's signature with
   its key, then the consistency proof (proof_bytes bytes) between the
   checkpoint and the copy's tree at copy_size, which must be the copy's
   size. JK_OK: verified (held when not beyond the copy); JK_NOT_FOUND: no
   log key for origin, not checked; JK_INVALID: refused, why says which
   rule; JK_CONFLICT: the fork alarm (raised now or before: evidence kept,
   why is the alarm); JK_IO. */
int jk_link_trees_check (jk_link_trees_t *self, const char *origin,
                         uint64_t copy_size, const char *note,
                         const uint8_t *proof, size_t proof_bytes, char *why,
                         size_t why_size);
/* The size of origin's checkpoint held (0: none). */
uint64_t jk_link_trees_held (jk_link_trees_t *self, const char *origin);
/* Clears a fork alarm after an operator has investigated it (jejak-link
   clear-fork; docs/OPERATIONS.md). origin NULL: path is a sending end's
   state (--state): its fork rows move to table fork_cleared and the
   checkpoint it held is forgotten, so the next send trusts the hub's
   checkpoint on sight. origin given: path is a copy database: that
   origin's fork rows move to its table fork_cleared and the receiver
   stores the origin's records again once restarted. Each moved row
   gets cleared_at (ms); the evidence files stay. JK_OK (said in out),
   JK_NOT_FOUND (no fork to clear) or JK_IO, the reason in out. */
int jk_link_clear_fork (const char *path, const char *origin, char *out,
                        size_t out_size);
/* Appends " checkpoints=N forks=N checkpoints_unchecked=N" to out. */
void jk_link_trees_stats (jk_link_trees_t *self, FILE *out);

/* The leaf hash of the copied record a statement's row holds in columns
   pos, recorded_at, outcome, code, message, bytes (0 to 5). */
void jk_link_copy_leaf (jk_mhash_t *mh, sqlite3_stmt *st,
                        uint8_t out[JK_MERKLE_HASH]);
/* Writes a signed note kept as evidence to path (0600); logged when it
   cannot be written. */
void jk_link_evidence (const char *path, const char *note);

/* ---- what both actors share --------------------------------------------- */

/* Answers one command on an actor's pipe: "STATS" with the text stats
   returns for arg (freed here). Returns true when the actor must stop
   ("$TERM", or the pipe is gone). */
bool jk_link_on_pipe (zsock_t *pipe, char *(*stats) (void *arg), void *arg);

/* Starts an actor and waits for its start signal; NULL when it signalled
   failure. */
zactor_t *jk_link_actor_start (zactor_fn *actor, void *config);

/* ---- receiver ----------------------------------------------------------- */
typedef struct {
    const char *db_path;   /* the copy database */
    const char *listen;    /* endpoint to bind (ROUTER) */
    const char *cert_path; /* secure mode: this hub's secret certificate */
    const char *keys_dir;  /* secure mode: enrolled certificates (link keys) */
    uint64_t window;       /* credit per link; 0 = JK_LINK_WINDOW */
    const char *log_keys;  /* directory of ORIGIN.vkey: check relayed
                              checkpoints (NULL: not checked) */
    /* Out: listen as bound, a `*` port replaced by the port chosen
       (jk_endpoint_shown), written before the start returns; NULL: not
       wanted. listen_shown_size bytes. */
    char *listen_shown;
    size_t listen_shown_size;
} jk_link_receiver_config_t;

/* Starts the receiver actor, bound and ready; NULL when the database or
   the endpoint fails (logged). Pipe commands: "STATS" answers one text
   frame; "$TERM" stops it. */
zactor_t *jk_link_receiver_start (const jk_link_receiver_config_t *config);

/* ---- sender ------------------------------------------------------------- */
typedef struct {
    const char *db_path;    /* the hub's log database, or a copy database */
    const char *area;       /* this hub's kabupaten (or province) code */
    const char *upstream;   /* the receiver's endpoint */
    const char *cert_path;  /* secure mode: the link's secret certificate */
    const char *server_key; /* secure mode: the receiver's public cert */
    int batch;              /* records per RECORDS; 0 = 500 */
    int poll_ms;            /* how often to look for new records; 0 = 20 */
    /* Checkpoints (docs/FEDERATION.md, "Checkpoints"): with log_key set,
       the regency's signed checkpoints are fetched from query and checked
       by consistency proof against the last one verified (kept in
       state_path) before every LINK, and every JK_LINK_CHECK_MS while the
       one verified is behind the source's head; a fork stops the sender
       with *forked set. */
    const char *query;      /* the hub's query endpoint */
    const char *log_key;    /* the log's verifier key (vkey text) */
    const char *state_path; /* the sender's checkpoint state database */
    bool *forked;           /* set when the sender stopped on a fork */
} jk_link_sender_config_t;

/* How often a linked sender with a log key asks for a newer checkpoint
   while the one verified is behind the source's head; how long it waits for the
   query endpoint. */
#define JK_LINK_CHECK_MS      1000
#define JK_LINK_QUERY_WAIT_MS 2000

/* Starts the sender actor; NULL when the source database cannot be read,
   the keys cannot be loaded or the checkpoint state cannot be opened
   (logged). Pipe commands: "STATS" answers
   one text frame; "$TERM" stops it. It connects, reconnects with backoff,
   and never gives up. */
zactor_t *jk_link_sender_start (const jk_link_sender_config_t *config);

/* ---- verification ------------------------------------------------------- */
typedef struct {
    bool ok;           /* copy intact (and equal to the source / head) */
    uint64_t records;  /* records of the origin in the copy */
    jk_head_t head;    /* the copy's head for the origin */
    uint64_t bad_pos;  /* first bad position, 0 when ok */
    char message[512]; /* what was found, for a human */
} jk_link_verify_t;

/* Recomputes the origin's chain in the copy database (positions 1..n with
   no gap, each hash, recorded_at never decreasing) and the whole arrival
   chain. With kept (pos > 0): the copy must hold kept->pos with
   kept->hash, or be behind it (reported, not ok). With source_db (a hub's
   log, read-only): every copied record must equal the source's row and the
   copy must reach the source's head. Returns JK_OK, JK_INVALID (result
   says where), JK_NOT_FOUND (the copy holds no record of the origin:
   nothing to verify, result says so) or JK_IO. */
int jk_link_verify (const char *copy_db, const char *origin,
                    const jk_head_t *kept, const char *source_db,
                    jk_link_verify_t *result);

#endif
