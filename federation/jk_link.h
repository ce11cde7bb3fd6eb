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

#include <czmq.h>
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
} jk_link_record_t;

/* Encodes a record as one MessagePack map frame (keys cursor, origin, pos,
   recorded_at, outcome, code, msg, bytes, hash). */
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

/* Opens (creating, 0600) the copy database: WAL, synchronous=FULL, tables
   copy, arrival, origin_head, link, fault. NULL with the reason in err. */
sqlite3 *jk_link_db_open (const char *path, bool readonly, char *err,
                          size_t err_size);

/* The arrival chain: the province's own log of what arrived, chained as
   the hub log is (jk_chain_step) with pos = arrival position, recorded_at
   = arrival time, outcome 0, code = origin, message empty, bytes =
   u64be(origin pos) || origin hash (40 bytes). */
void jk_link_arrival_hash (jk_chain_t *chain, const uint8_t prev[JK_HASH_SIZE],
                           uint64_t pos, int64_t received_at,
                           const char *origin, uint64_t origin_pos,
                           const uint8_t origin_hash[JK_HASH_SIZE],
                           uint8_t out[JK_HASH_SIZE]);

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
   says where), or JK_IO. */
int jk_link_verify (const char *copy_db, const char *origin,
                    const jk_head_t *kept, const char *source_db,
                    jk_link_verify_t *result);

#endif
