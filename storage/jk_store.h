/*  jk_store.h - the store: the single writer of the event log, the
    projector behind it (jk_projector.h), and its query endpoint. Runs as a CZMQ
   actor so the hub can embed it beside the broker; jejak-store runs the same
   actor alone. */
#ifndef JK_STORE_H
#define JK_STORE_H

#include "jk_projections.h"
#include <czmq.h>

typedef struct {
    const char *db_path; /* SQLite file, created 0600 if absent */
    const char *backend; /* broker backend endpoint to connect to */
    const char *query;   /* query endpoint to bind (NULL: none) */
    /* Out: the query endpoint as bound, a `*` port replaced by the port
       chosen (jk_endpoint_shown), written before the store says READY;
       NULL: not wanted. query_shown_size bytes. */
    char *query_shown;
    size_t query_shown_size;
    int batch_max; /* group commit cap; 0 = default */
    jk_projections_config_t projections;
    /* Credentials for a CURVE query endpoint; NULL for plain. */
    const char *query_cert_path;
    int busy_timeout_ms; /* SQLite busy timeout; 0 = 5000 */
    /* The log key (jejak-keys log-key) to sign checkpoints with; NULL:
       none are signed. */
    const char *log_key_path;
    /* Verifier keys of the witnesses whose cosignatures the store keeps
       (COSIGN on the query endpoint): jk_note_signers_parse text; NULL:
       none. */
    const char *witnesses;
    /* Sign a checkpoint at most this long after a record is committed;
       0 = JK_CHECKPOINT_EVERY_MS. */
    int checkpoint_ms;
    /* Back-pressure: while the projections are this many records or more
       behind the log, every event is answered NACK E_BUSY (retryable).
       0 = JK_STORE_LAG_MAX_DEFAULT. */
    int projection_lag_max;
    /* Run without the Merkle tree (a bench and diagnostic switch,
       docs/OPERATIONS.md): no tree thread, no tiles stored beyond the
       size the tree has at start, so no checkpoints (refused together
       with log_key_path) and no proofs past that size; the next start
       with the tree stores the missing tiles from the log. */
    bool no_tree;
    /* Checkpoint the log's WAL after a batch once this many frames wait
       in it (docs/ARCHITECTURE.md, "The log's WAL");
       0 = JK_STORE_CHECKPOINT_FRAMES_DEFAULT. */
    int checkpoint_frames;
} jk_store_config_t;

#define JK_STORE_LAG_MAX_DEFAULT 50000

#define JK_STORE_CHECKPOINT_FRAMES_DEFAULT 20000

#define JK_CHECKPOINT_EVERY_MS 10000

/* The log key file a program signs with: the --checkpoint-key given, else
   KEYS/log.key when keys_dir holds one, else NULL (no checkpoints). A
   heap string. */
char *jk_log_key_path (const char *keys_dir, const char *given);
/* Why a store cannot start with these settings, before it touches
   anything: running without the tree (no_tree) with a log key to sign
   checkpoints of it. NULL when they go together. jejak-hub and
   jejak-store print it as a usage error (exit 2); jk_store_start logs it
   and fails. */
const char *jk_store_config_refusal (bool no_tree, const char *log_key_path);
/* A checkpoint asked for on the query endpoint waits at most this long
   after the previous one was signed. */
#define JK_CHECKPOINT_ASKED_MS 1000

/* Starts the store actor. It opens and migrates the log, opens the
   projections' file beside it (jk_projections_path) and brings it to the
   log's head (rebuilding it from the log when missing or damaged), loads
   the decisions' model from it, starts the projector thread, connects to
   the backend, binds the query endpoint (served by its own actor with a
   read-only connection, so catch-up never blocks the writer) and then
   reports ready. An answer (ACK, REJECTED) means logged and decided; the
   projections reach its position within the lag bound. Send "$TERM" (or
   zactor_destroy) to stop it cleanly. Returns NULL when it failed to start,
   with the reason logged.

   On its pipe the actor also answers "STATS" with one frame of text
   "received=N accepted=N rejected=N duplicates=N nacked=N batches=N
   failed_batches=N malformed=N head=N ... projected=N projection_lag=N
   projection_lag_ms=N projection_lag_max_ms=N projection_lag_bound=N
   busy=N tree=N" (docs/PROTOCOL.md, STATS). If the database becomes unusable
   (corrupt, not a database) it stops writing and sends "FATAL" on its
   pipe; the owner then destroys it and exits non-zero.

   With a log key the store signs a checkpoint of the committed tree
   (docs/AUDIT.md) at start when the newest does not cover the log, then
   at most checkpoint_ms after any commit and when the query endpoint asks
   (CHECKPOINT, at most every JK_CHECKPOINT_ASKED_MS), stores it and
   hands it to the broker ([CHECKPOINT][note], published as $checkpoint).

   Fault injection for tests (jk_fault.h), read from JEJAK_FAULT at start:
   "crash_after_commit" _exit(86)s after the first commit that logged a
   record, before any answer; "fail_commit" makes that commit fail once
   (SQLite's commit hook vetoes it); "wal_checkpoint_failed" makes the WAL
   checkpoint thread fail every checkpoint (the writer copies every frame
   itself); "crash_in_projector" (jk_projector.h)
   _exit(87)s in the middle of a projector transaction; "open_stalled"
   holds the opening, before the projections' catch-up, until the store
   is told to stop. */
zactor_t *jk_store_start (const jk_store_config_t *config);

/* Starts the store actor as jk_store_start does, without waiting for it
   to open: returns at once (NULL only when its thread cannot start),
   and the actor's first message is its verdict, "READY" or "FAILED"
   (the reason logged). config must stay valid until then. Before the
   verdict the actor takes nothing but "$TERM" (zactor_destroy): the
   opening stops at its next step (between the projections' catch-up
   steps, between the Merkle tree's steps), closes what it opened and
   the verdict is "STOPPED". A long open (the projections rebuilt from
   a large log) so leaves its owner free to report on it and to stop. */
zactor_t *jk_store_begin (const jk_store_config_t *config);

/* What jejak-hub and jejak-store print on stderr, after their name,
   when the store does not start (jk_store_begin gives no actor, or its
   verdict is "FAILED", the reason logged): one wording for both, as
   OPERATIONS.md quotes it. */
#define JK_STORE_CANNOT_START "cannot start the store"

/* Starts the query endpoint alone on an existing log database: binds a
   ROUTER at endpoint (CURVE server when cert_path is set) and serves HEAD,
   SINCE/CREDIT, SNAPSHOT, GAPS and STATS (docs/PROTOCOL.md) from its own
   read-only connection. STATS answers the text last sent to the actor as
   [COUNTERS][text]. Returns NULL when the database or the endpoint cannot
   be opened (reason logged). "$TERM" stops it. shown (may be NULL) gets
   the endpoint as bound, a `*` port replaced by the port chosen
   (jk_endpoint_shown), shown_size bytes. */
zactor_t *jk_query_start (const char *db_path, const char *endpoint,
                          const char *cert_path, char *shown,
                          size_t shown_size);

#endif
