/*  store_internal.h - shared by the files of the store actor only
    (jk_store.h): store.c (the actor), store_decide.c, store_stage.c,
    store_batch.c, store_aside.c, store_tree.c, store_checkpoints.c,
    store_lag.c, store_wal.c and store_backend.c. Calls go one way
    (scripts/check-layers): store.c calls the others; store_batch.c all
    but store.c; store_stage.c calls store_decide.c (jk_store_nack),
    store_checkpoints.c store_tree.c and store_backend.c, which calls
    none. The writer is one thread: every function here runs on it, but
    the decode stage's (store_stage.c), the WAL checkpoint thread's
    (store_wal.c), and the plan thread's (store_aside.c: it runs the
    writer's s_plan_next while the writer commits). */
#ifndef JK_STORE_INTERNAL_H
#define JK_STORE_INTERNAL_H

#include "jk_checkpoints.h"
#include "jk_endpoint.h"
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
#define S_IDLE_CHECKPOINT_MS 200 /* idle this long: checkpoint */
#define S_SEND_TIMEOUT_MS    100 /* give up on a stuck broker after */
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
#define S_REPORT_MS   10000 /* the counters logged this often, when changed */
/* The tree thread is handed the committed records while it is fewer than
   this many behind the log's head (what waits for it in memory); further
   behind, it reads them from the log. */
#define S_TREE_FED_MAX 16384

/* The bytes of a batch's SUBMITs (routing ids and events), received
   straight off the backend socket into one buffer; shared with the
   hand-offs to the projector whose events point into it. refs counts
   the holders (atomic): the batch (or its spares) and each hand-off;
   the last one frees it. Only the writer writes it, while it holds it
   alone. */
typedef struct {
    int refs;
    size_t size, cap;
    uint8_t *data;
} jk_store_bytes_t;

/* Bytes buffers a batch keeps for reuse while hand-offs hold them. */
#define S_BYTES_SPARE 4
/* A buffer grown beyond this is freed, not kept for the next batch. */
#define S_BYTES_KEEP (1024 * 1024)
/* Buffers are allocated in multiples of this. */
#define S_BYTES_MIN (64 * 1024)
/* Buffers of RECORDS messages a batch keeps for reuse while the broker
   and the tree thread hold them (none above S_BYTES_KEEP). */
#define S_RECORDS_SPARE 8

/* One SUBMIT of a batch: where its routing id is. */
typedef struct {
    size_t routing_at, routing_size; /* in the batch's bytes */
} jk_store_submit_t;

/* One submitted event of a batch. The intake sets the fields up to
   logged (51 bytes); the stage and the writer write the rest
   before they read it. */
typedef struct {
    const uint8_t *data; /* its bytes, in the batch's (once taken) */
    size_t size;
    size_t at;     /* where they are in the batch's bytes */
    size_t submit; /* index of its SUBMIT in the batch */
    /* What the decode stage made of it (pure, given the batch's
       recorded_at): */
    jk_event_t *event;     /* decoded, or NULL */
    jk_report_t *warnings; /* heap: its warnings, NULL when none */
    bool refused;          /* not attributable, or seq 0: refusal says */
    bool invalid;          /* did not decode, or failed validation */
    /* What the writer made of it: */
    bool append;            /* planned: its record is to be appended */
    bool lookup;            /* its id is looked up in the log at the append
                               (its seq was not its source's next) */
    bool logged;            /* appended: publish it */
    jk_envelope_t envelope; /* id, source, seq, type (when not refused) */
    jk_answer_t refusal;    /* the stage's NACK when refused */
    jk_problem_t problem;   /* the first error when invalid */
    jk_answer_t answer;     /* what the sender will hear */
    int64_t recorded_at;    /* when logged */
    char topic[80];         /* feed topic when logged */
} jk_store_item_t;

/* A batch: the SUBMITs waiting on the backend when it was taken, and
   their events in order. */
typedef struct {
    jk_store_bytes_t *bytes;                /* the SUBMITs' bytes */
    jk_store_bytes_t *spare[S_BYTES_SPARE]; /* hand-offs hold them */
    size_t bytes_used; /* by the last batch that took events */
    /* RECORDS messages' buffers (s_records_publish) */
    jk_store_bytes_t *records[S_RECORDS_SPARE];
    jk_store_submit_t *submits;
    size_t submit_count, submit_cap;
    jk_store_item_t *items;
    size_t item_count, item_cap;
    int64_t recorded_at; /* every record it logs has this time */
    size_t sent;         /* items handed to the decode stage */
    size_t prepared;     /* items it handed back (a prefix) */
    bool planned;        /* all its items planned and applied to the model
                            (while the batch before committed) */
} jk_store_batch_t;
_Static_assert(sizeof ((jk_store_item_t *)0)->topic ==
                   sizeof ((jk_record_t *)0)->topic,
               "a logged item's topic is copied whole into its record");

/* A job for the plan thread (store_aside.c). */
typedef void (jk_store_job_fn) (void *arg);
typedef struct {
    jk_store_job_fn *run;
    void *arg;
} jk_store_job_t;

/* Counters, kept per batch and added up after its COMMIT. */
typedef struct {
    uint64_t received;   /* events in SUBMITs */
    uint64_t accepted;   /* logged, accepted */
    uint64_t rejected;   /* logged, rejected */
    uint64_t duplicates; /* answered DUPLICATE */
    uint64_t nacked;     /* answered NACK */
    /* ... of them E_STORE_CLOCK: counted with the answers, not when
       planned (a batch planned again would count twice) */
    uint64_t clock_refused;
} jk_store_counts_t;

typedef struct {
    zsock_t *pipe;    /* our end of the actor pipe */
    zsock_t *backend; /* DEALER to the broker's backend */
    zactor_t *query;  /* the query endpoint's actor */
    char query_shown[JK_ENDPOINT_SHOWN_MAX]; /* its endpoint as bound */
    zpoller_t *poller;
    jk_log_t *log;                /* the writer's log */
    jk_model_t *model;            /* what the rules decide against */
    sqlite3 *proj_read;           /* read-only: the model's load */
    zactor_t *projector;          /* the projector thread */
    jk_projector_shared_t shared; /* its position, published */
    uint64_t lag_max;             /* E_BUSY at this lag (records) */
    uint64_t busy;                /* events answered E_BUSY: lagging */
    uint64_t pushed_projected;    /* projected in the last COUNTERS */
    uint64_t pushed_tree;         /* tree_size in the last COUNTERS */
    int64_t pushed_at;            /* mono ms of the last COUNTERS */
    int64_t lag_max_ms;           /* most lag seen at a batch, ms */
    struct {
        uint64_t last_pos; /* a committed batch's last position */
        int64_t committed; /* when it was committed, mono ms */
    } ring[S_LAG_RING];
    size_t ring_head, ring_count;
    int batch_max;              /* group commit cap in events */
    int checkpoint_frames;      /* checkpoint after a batch from this */
    zactor_t *wal;              /* the WAL checkpoint thread, or NULL */
    bool wal_asked;             /* it runs a checkpoint */
    bool wal_tail;              /* it ran one: the writer copies the rest */
    uint64_t wal_failed;        /* its checkpoints that failed (STATS) */
    char stats_region[8];       /* the region's code for STATS (region=) */
    int rat_deadline_months;    /* for STATS (rat_deadline_months=) */
    bool terminated;            /* $TERM received */
    bool fatal;                 /* database unusable: writing stopped */
    jk_db_check_t *check;       /* the whole-file checks behind the start */
    char *db_path;              /* for their messages */
    bool projections_damaged;   /* removed at the stop, made anew next */
    int64_t next_ping;          /* mono ms of the next PING */
    int64_t next_report;        /* mono ms of the next counters line */
    char *reported;             /* the counters last logged */
    bool checkpoint_due;        /* commits since the last checkpoint */
    jk_fault_t fault;           /* injected for tests (jk_fault.h) */
    jk_store_counts_t counts;   /* since start */
    uint64_t batches;           /* committed batches */
    uint64_t failed_batches;    /* rolled back on a SQLite error */
    uint64_t malformed;         /* backend messages ignored */
    uint64_t send_failures;     /* answers or records not sent */
    uint64_t clock_refused;     /* events refused: clock behind the log
                                   (atomic: the plan thread counts) */
    int64_t clock_logged;       /* mono ms of the last clock error */
    zhashx_t *behind;           /* source -> stored_seq it reported ahead
                                   of the log (logged once) */
    uint64_t rewinds;           /* REWINDs sent */
    uint64_t refused_by_broker; /* ERRORs from the broker */
    int lock_fd;                /* the single writer's lock, or -1 */
    /* The batch being decided, and the next one, taken off the socket
       and handed to the decode stage while the current one commits (or
       empty). */
    jk_store_batch_t pipeline[2];
    jk_store_batch_t *cur, *next;
    zactor_t *stage;                 /* the decode stage's thread */
    zactor_t *aside;                 /* the plan thread (store_aside.c) */
    jk_store_job_t job;              /* the job it runs */
    uint64_t plan_pos;               /* the last position planned */
    uint8_t plan_hash[JK_HASH_SIZE]; /* and the chain hash there */
    jk_chain_t *plan_chain;          /* the plan's hasher */
    uint64_t overlapped;   /* commits run while the plan thread planned
                              the next batch */
    size_t stage_jobs;     /* chunks at the stage */
    bool deferring;        /* a transaction is open: other messages wait */
    zlist_t *deferred;     /* backend messages that wait for the commit */
    jk_signer_t *signer;   /* signs checkpoints; NULL without a log key */
    bool announce;         /* start: hand the newest to the broker */
    int64_t sign_every_ms; /* after a commit, sign within this */
    int64_t signed_mono;   /* mono ms of the last signature */
    bool sign_asked;       /* the query endpoint waits for one */
    uint64_t sign_target;  /* and it must cover this committed head */
    /* The Merkle tree behind the writer (jk_tree.h): as stored, and as it
       will be once the tiles waiting are stored. */
    zactor_t *tree;
    zsock_t *tree_feed;  /* its feed queue (jk_tree_start) */
    uint64_t tree_unfed; /* records not handed over: the queue was full
                            (atomic: the tree reads it under tree_paused) */
    uint64_t tree_size, tree_next;
    uint8_t tree_head[JK_HASH_SIZE], tree_next_head[JK_HASH_SIZE];
    zmsg_t *tree_tiles;      /* tile frames waiting for a transaction */
    int64_t tree_tiles_mono; /* mono ms since they wait */
    bool tree_failed;        /* a tile flush failed (logged once) */
} jk_store_t;

#define S_STAGE_CHUNK 100 /* events per chunk handed to the decode stage */
/* The next batch is planned on the plan thread, while the batch before
   commits, from this many events (docs/ARCHITECTURE.md, "The writer's
   pipeline"). */
#define S_PLAN_ASIDE_MIN 100

/* ---- store_decide.c: deciding one event: the plan in memory (seq, the
   clock, the model, its position), then the append inside the batch's
   transaction (the record, the ids looked up in the log) */
void jk_store_nack (jk_answer_t *answer, const char *code, const char *format,
                    ...) __attribute__ ((format (printf, 3, 4)));
/* Starts a plan at the log's head (jk_log_plan_reset). */
void jk_store_plan_reset (jk_store_t *self);
/* Plans one prepared event: fills its answer (an ACK or REJECTED with the
   position its record will take and its chain hash there, or a NACK) and
   marks it to append or to look up; touches neither the log's connection
   nor the model's state.
   JK_OK, or JK_IO when the model could not read the projections. */
int jk_store_plan (jk_store_t *self, jk_store_item_t *item,
                   int64_t recorded_at);
/* Applies a planned, accepted event to the model. */
void jk_store_plan_apply (jk_store_t *self, const jk_store_item_t *item);
/* Appends a planned event's record in the open transaction (in plan
   order), or looks its id up: JK_OK (answered), JK_CONFLICT (the log's
   UNIQUE index holds its id: nothing appended, the plan after it is
   void), or JK_IO (the batch rolls back). */
int jk_store_append (jk_store_t *self, jk_store_item_t *item);
/* Answers an event that met JK_CONFLICT from the log (DUPLICATE or
   E_ID_CONFLICT): JK_OK or JK_IO. */
int jk_store_conflict (jk_store_t *self, jk_store_item_t *item);
/* Counts a decided event by its answer. */
void jk_store_count (const jk_store_item_t *item, jk_store_counts_t *counts);

/* ---- store_aside.c: the plan thread: runs a job for the writer beside
   it (the next batch's plan while the writer commits) */
zactor_t *jk_store_aside_start (void);
/* Starts run (arg) on the plan thread: the writer leaves what it uses
   alone until jk_store_aside_wait. */
void jk_store_aside_run (jk_store_t *self, jk_store_job_fn *run, void *arg);
/* Waits for the job started. */
void jk_store_aside_wait (jk_store_t *self);

/* ---- store_stage.c: the decode stage: the thread ahead of the writer that
   decodes and validates a batch's events */
/* Starts the decode stage's thread. */
zactor_t *jk_store_stage_start (void);
void jk_store_stage_wait (jk_store_t *self, jk_store_batch_t *batch, size_t n);
void jk_store_stage_send (jk_store_t *self, jk_store_batch_t *batch);

/* ---- store_batch.c: the batch: taking SUBMITs, one transaction, the
   answers, RECORDS and the hand-over to the projector */
void jk_store_batch_clear (jk_store_batch_t *batch);
void jk_store_batch_free (jk_store_batch_t *batch);
void jk_store_batch_cycle (jk_store_t *self);
void jk_store_backend_take (jk_store_t *self, zmsg_t *msg);
void jk_store_stage_fill (jk_store_t *self, jk_store_batch_t *batch);

/* ---- store_tree.c: the Merkle tree behind the writer: the tree thread's
   updates, its tiles stored in the writer's transactions, what it is handed */
void jk_store_tree_take (jk_store_t *self, zmsg_t **msg_p);
int jk_store_tree_put (jk_store_t *self);
void jk_store_tree_stored (jk_store_t *self);
void jk_store_tree_flush (jk_store_t *self);
void jk_store_tree_feed (jk_store_t *self, zmq_msg_t *records, size_t count);
int jk_store_tree_init (jk_store_t *self, const char *db_path);
void jk_store_tree_off (jk_store_t *self);
void jk_store_tree_stop (jk_store_t *self);

/* ---- store_wal.c: the log's WAL rewritten in place: the bulk of each
   checkpoint on a thread of its own, the tail on the writer */
void jk_store_wal_start (jk_store_t *self, const char *db_path);
void jk_store_wal_after_batch (jk_store_t *self);
void jk_store_wal_idle (jk_store_t *self);
void jk_store_wal_stop (jk_store_t *self);

/* ---- store_checkpoints.c: checkpoints: signing the stored tree when due or
   asked, cosignatures */
int64_t jk_store_sign_due (jk_store_t *self);
void jk_store_sign (jk_store_t *self, bool force);
void jk_store_query_ready (jk_store_t *self);
int jk_store_signer_init (jk_store_t *self, const jk_store_config_t *config);

/* ---- store_lag.c: the projector behind the writer: its position, the lag,
   STATS' counters, the model loaded from the projections */
uint64_t jk_store_projected (jk_store_t *self);
void jk_store_projector_wake (jk_store_t *self);
uint64_t jk_store_lag (jk_store_t *self, int64_t *lag_ms);
void jk_store_lag_note (jk_store_t *self, uint64_t last_pos);
char *jk_store_counters (jk_store_t *self);
void jk_store_push_counters (jk_store_t *self);
int jk_store_model_ready (jk_store_t *self);
int jk_store_projector_init (jk_store_t *self, const jk_store_config_t *config);
/* While the store opens: whether it has been told to stop ($TERM on its
   pipe, or the pipe gone), waiting up to wait_ms for that; other
   commands are ignored (logged) until it has opened. */
bool jk_store_stop_asked (jk_store_t *self, int wait_ms);
void jk_store_projector_stop (jk_store_t *self);

/* ---- store_backend.c: sending on the backend, PING, heartbeats, the
   broker's ERROR, malformed messages */
void jk_store_backend_send (jk_store_t *self, zmsg_t **msg_p);
bool jk_store_backend_part (jk_store_t *self, const void *data, size_t size,
                            bool more);
bool jk_store_backend_msg (jk_store_t *self, zmq_msg_t *msg);
void jk_store_send_ping (jk_store_t *self);
void jk_store_malformed (jk_store_t *self, const char *what);
void jk_store_heartbeat (jk_store_t *self, zmsg_t *msg);
void jk_store_broker_error (jk_store_t *self, zmsg_t *msg);

#endif
