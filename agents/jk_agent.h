/*  jk_agent.h - the agent library behind jejak-registration,
    jejak-attendance and jejak-scoring: the durable outbox (SQLite), the
    delivery loop that drains it to a broker, the CSV parser used by
    `import`, and the shared command-line main the three programs call. */
#ifndef JK_AGENT_H
#define JK_AGENT_H

#include "jk_schema.h"
#include "jk_wire.h"

#include <sqlite3.h>
#include <stdio.h>

/* ---- outbox ---------------------------------------------------------------
   One SQLite file per device source (WAL, synchronous=FULL, created 0600),
   shared by every program of the device: jejak-registration,
   jejak-attendance, jejak-scoring and jejak-office may have it open at the
   same time, in one process or several. Each writer takes SQLite's write
   lock (BEGIN IMMEDIATE, waiting up to JK_OUTBOX_BUSY_MS for another
   program's transaction); the next seq is read from the file inside that
   transaction and written back before it commits: jk_outbox_put is the one
   seq allocator, so seqs are gapless and never given twice. A jk_outbox_t
   is not itself thread-safe: one per thread. An event is written with its
   id and seq before anything is sent; it moves PENDING -> SENT -> STORED
   (with the receipt) or REJECTED (with code and message). Only STORED
   events are ever deleted (prune). */
#define JK_OUTBOX_BUSY_MS 30000
/* How many times, in this process, opening an outbox ran a statement
   again because SQLite answered SQLITE_BUSY at once instead of waiting
   (it does so where waiting could deadlock: two programs opening a new
   outbox at the same moment); opening waits up to JK_OUTBOX_BUSY_MS in
   all. For tests and diagnostics. */
uint64_t jk_outbox_busy_retries (void);
/* The outbox's WAL file is cut back to this size after each checkpoint
   (PRAGMA journal_size_limit), so it stays bounded however often rows
   are rewritten. */
#define JK_OUTBOX_WAL_LIMIT      (16 * 1024 * 1024)
#define JK_OUTBOX_WAL_LIMIT_TEXT "16777216"

typedef enum {
    JK_OUTBOX_PENDING = 0,     /* written, not yet sent on this run */
    JK_OUTBOX_SENT = 1,        /* sent at least once, no answer yet */
    JK_OUTBOX_STORED = 2,      /* the store holds it: pos and hash kept */
    JK_OUTBOX_REJECTED = 3,    /* refused: code and message kept */
    JK_OUTBOX_QUARANTINED = 4, /* its stored bytes are damaged: never sent,
                                  code E_OUTBOX_DAMAGED and the reason */
} jk_outbox_state_t;

typedef struct jk_outbox_s jk_outbox_t;

/* One outbox row as listed by jk_outbox_list and jk_outbox_get. Strings
   and bytes borrow from the outbox until the next call. */
typedef struct {
    uint64_t seq;
    uint8_t id[16];
    const char *type;
    jk_outbox_state_t state;
    int64_t created_at;   /* ms, when it was written */
    int64_t sent_at;      /* ms, last send, or 0 */
    uint32_t attempts;    /* sends so far */
    uint64_t pos;         /* STORED and store rejections: position */
    uint8_t hash[32];     /* chain hash at pos */
    const char *code;     /* REJECTED: the code, else "" */
    const char *message;  /* REJECTED: the reason, else "" */
    const char *origin;   /* "FILE.csv:LINE" for imports, or "" */
    const uint8_t *bytes; /* the encoded event */
    size_t size;
    const char *key; /* the natural key given to put, or NULL */
} jk_outbox_row_t;

/* Opens (creating when absent) the outbox at path for source. An outbox
   belongs to the first source that used it: opening it with another
   source fails. Returns NULL with the reason in err. */
jk_outbox_t *jk_outbox_open (const char *path, const char *source, char *err,
                             size_t err_size);
void jk_outbox_close (jk_outbox_t **self_p);

/* The default outbox of a source, the same for every program of the
   device: $XDG_DATA_HOME/jejak/outbox-SOURCE.db, else
   ~/.local/share/jejak/outbox-SOURCE.db ('/' in SOURCE written '_'; the
   directories created 0700), else (neither set) ./jejak-outbox-SOURCE.db.
   A directory that cannot be made is still the path's, so that opening
   it fails naming it. Returns a heap string. */
char *jk_outbox_default_path (const char *source);
/* The directory of a device's Jejak files: $XDG_DATA_HOME/jejak, else
   ~/.local/share/jejak, created 0700 (with the directories above it);
   NULL without a home directory or when it cannot be made. Heap string. */
char *jk_data_dir (void);
/* The same directory's path, not created; NULL without a home directory.
   Heap string. */
char *jk_data_dir_path (void);

/* Opens (creating when absent) the default outbox of source. When it does
   not exist yet, the per-program outboxes of older versions in the same
   directory (jejak-registration-, jejak-attendance- and
   jejak-scoring-SOURCE.db) are moved into it first, once, under a lock on
   the directory: the one whose seqs the store holds furthest (highest
   stored seq) is copied as it is; events the store refused with
   E_SEQ_TAKEN get a new id and seq; the other files' undelivered events
   (PENDING, SENT) are queued again with new seqs and the same id. Each old
   file is then renamed FILE.moved (its receipts stay readable there). What
   was moved is said on stderr. Returns NULL with the reason in err. */
jk_outbox_t *jk_outbox_open_default (const char *source, char *err,
                                     size_t err_size);

/* jk_outbox_open (path) or jk_outbox_open_default (path NULL) into *out,
   saying why not by code: JK_OK; JK_CONFLICT the outbox belongs to
   another source (the caller's usage error); JK_IO any other failure
   (cannot create, not SQLite, damaged). The reason is in err. */
int jk_outbox_open_as (const char *path, const char *source, jk_outbox_t **out,
                       char *err, size_t err_size);

/* The source the outbox belongs to. */
const char *jk_outbox_source (jk_outbox_t *self);

/* Groups several puts in one transaction (import). Return JK_OK or
   JK_IO. Without begin, each put is its own transaction. */
int jk_outbox_begin (jk_outbox_t *self);
int jk_outbox_commit (jk_outbox_t *self);
void jk_outbox_rollback (jk_outbox_t *self);

/* Writes a validated event: sets its source and the next seq, encodes it
   and inserts it as PENDING. origin ("" or "FILE:LINE") and key (a natural
   key used to find the event later, e.g. "BATCH|SESSION|NIK" for
   attendance.recorded; may be NULL) are kept beside it. The event stays
   the caller's. Returns JK_OK with *seq set, JK_INVALID when the event is
   too large to encode, or JK_IO. */
int jk_outbox_put (jk_outbox_t *self, jk_event_t *event, const char *origin,
                   const char *key, uint64_t *seq);

/* The natural key put keeps beside an event so that a later correction
   finds it: "BATCH|SESSION|NIK" for attendance.recorded, else NULL. Heap
   string. */
char *jk_outbox_natural_key (const jk_event_t *event);

/* The content key of an event: the hex SHA-256 of its encoding with the
   envelope's id, seq, at, source and actor left out (so its type,
   version, corrects and body). put keeps it beside every event. JK_OK,
   or JK_INVALID when the event cannot be encoded. */
int jk_outbox_content (jk_event_t *event, char out[65]);

/* The oldest event in the outbox with the same content key as event
   (whatever its state): JK_OK with *seq set (may be NULL), JK_NOT_FOUND,
   or JK_IO. Used by import to queue a row only once, however often the
   file is imported; call it inside jk_outbox_begin for a check that
   other programs cannot overtake. */
int jk_outbox_find_same (jk_outbox_t *self, jk_event_t *event, uint64_t *seq);

/* The newest event of type with the natural key; JK_OK and its id, or
   JK_NOT_FOUND. */
int jk_outbox_find (jk_outbox_t *self, const char *type, const char *key,
                    uint8_t id[16]);

/* One row by seq; JK_OK or JK_NOT_FOUND. */
int jk_outbox_get (jk_outbox_t *self, uint64_t seq, jk_outbox_row_t *row);

/* Calls fn for each row whose state bit (1 << state) is in states, in seq
   order, from seq > after; stops when fn returns non-zero or after limit
   rows (0: no limit). Returns the number of rows visited, or -1. */
typedef int (jk_outbox_row_fn) (void *arg, const jk_outbox_row_t *row);
int64_t jk_outbox_list (jk_outbox_t *self, unsigned states, uint64_t after,
                        size_t limit, jk_outbox_row_fn *fn, void *arg);
/* The after for jk_outbox_list that lists the newest count rows whose
   state bit is in states: 0 when there are no more than count. */
uint64_t jk_outbox_newest_after (jk_outbox_t *self, unsigned states,
                                 size_t count);

typedef struct {
    uint64_t pending; /* PENDING + SENT */
    uint64_t stored;
    uint64_t rejected;
    uint64_t quarantined;     /* QUARANTINED: damaged, never sent */
    uint64_t last_stored_seq; /* highest seq STORED, 0 if none */
    uint64_t next_seq;        /* seq the next put takes */
} jk_outbox_counts_t;
int jk_outbox_counts (jk_outbox_t *self, jk_outbox_counts_t *counts);

/* Removes STORED events written before before_ms. Returns the number
   removed, or JK_IO. */
int64_t jk_outbox_prune (jk_outbox_t *self, int64_t before_ms);

/* Delivery bookkeeping, used by jk_delivery_run inside batch_begin/end,
   which commit with synchronous=NORMAL: a receipt lost to a power cut
   only means a resend that the store answers DUPLICATE with the same
   receipt, while events themselves are always written FULL. Rows
   sendable are those PENDING or SENT. mark_sent moves seqs first..last
   to SENT (sent_at now_ms, one attempt more); record applies one answer
   (ACK and DUPLICATE of an accepted event -> STORED, anything else ->
   REJECTED with its code) and returns 1 when the row changed, 0 when it
   was answered already, -1 on error; record_sent is record for an
   answer to a send that was not marked SENT (sent_ms > 0: sent_at set
   to it and the attempt counted in the same write; 0: as record), so a
   promptly answered event is written once, not twice; reject_local
   marks REJECTED with a code the outbox itself decided; requeue puts a
   SENT seq back to PENDING; open_count counts PENDING and SENT rows up
   to until_seq (0: all), -1 on error. Others return JK_OK or JK_IO. */
int jk_outbox_batch_begin (jk_outbox_t *self);
int jk_outbox_batch_end (jk_outbox_t *self);
int jk_outbox_mark_sent (jk_outbox_t *self, uint64_t first, uint64_t last,
                         int64_t now_ms);
int jk_outbox_record (jk_outbox_t *self, uint64_t seq,
                      const jk_answer_t *answer);
int jk_outbox_record_sent (jk_outbox_t *self, uint64_t seq,
                           const jk_answer_t *answer, int64_t sent_ms);
int jk_outbox_reject_local (jk_outbox_t *self, uint64_t seq, const char *code,
                            const char *message);
int jk_outbox_requeue (jk_outbox_t *self, uint64_t seq);
/* Puts every answered row from from_seq on (STORED or REJECTED) back to
   PENDING, for when the store no longer has them (its database was
   restored from a backup): they are sent again and get new receipts.
   Returns the number of rows changed, or JK_IO. */
int64_t jk_outbox_redeliver (jk_outbox_t *self, uint64_t from_seq);
int64_t jk_outbox_open_count (jk_outbox_t *self, uint64_t until_seq);
/* Whether any PENDING or SENT row up to until_seq (0: all) is left: 1 or
   0 (stops at the first such row, where open_count counts them all), -1
   on error. */
int jk_outbox_open_any (jk_outbox_t *self, uint64_t until_seq);

/* A row's stored bytes must name this outbox's source, the row's seq and
   the row's id: a flipped byte on disk must not send an event as another
   source or seq. Returns JK_OK, or JK_INVALID with what is wrong in why. */
int jk_outbox_check_row (jk_outbox_t *self, const jk_outbox_row_t *row,
                         char *why, size_t why_size);
/* Marks a row QUARANTINED (code E_OUTBOX_DAMAGED, message why): it is
   never sent again, stays in the outbox for inspection (`inspect SEQ`)
   and is never pruned. JK_OK or JK_IO. */
int jk_outbox_quarantine (jk_outbox_t *self, uint64_t seq, const char *why);

/* The hub's clock as last learned by delivery (from a PONG): offset_ms is
   hub minus this machine, at_ms (may be NULL) this machine's time when it
   was learned. set_clock returns JK_OK or JK_IO; clock JK_OK, or
   JK_NOT_FOUND when no hub has answered yet. */
int jk_outbox_set_clock (jk_outbox_t *self, int64_t offset_ms, int64_t at_ms);
int jk_outbox_clock (jk_outbox_t *self, int64_t *offset_ms, int64_t *at_ms);

/* ---- delivery --------------------------------------------------------------
   Drains the outbox to a broker over one DEALER: a heartbeat first on each
   connection (SUBMITs wait for its answer, so SENT means a broker took
   it), then oldest first, a window of SUBMITs in flight, heartbeats when
   idle, reconnect with capped exponential backoff plus jitter, resend
   everything unanswered. Rows whose bytes do not match them are
   quarantined, never sent; re-delivery rounds and E_SEQ_GAP rewinds are
   bounded (JK_CLOSED past the bound); the hub's clock from each PONG is
   kept in the outbox and a clock off by more than JK_CLOCK_SKEW_MAX_MS is
   said on stderr. A SUBMIT's events are marked SENT (sent_at, one attempt
   more) only when its answer has not come JK_DELIVERY_SENT_MARK_MS after
   it went out, or its connection is dropped, or the run ends first, or
   the answer is a NACK; an answer that comes sooner records the send
   with the receipt in one write of each row (an event answered at once
   goes PENDING -> STORED). A process killed in between leaves its
   unanswered events PENDING, with that send not counted: they are sent
   again, as SENT ones would be. */
#define JK_DELIVERY_SENT_MARK_MS 1000
typedef struct {
    const char *broker;    /* endpoint to connect to */
    const char *program;   /* for heartbeats, e.g. "jejak-attendance" */
    int window;            /* SUBMITs in flight; 0 = 8 */
    int batch;             /* events per SUBMIT; 0 = 256 */
    int answer_timeout_ms; /* no answer -> reconnect; 0 = 10000 */
    bool idle_deadline;    /* true: wait_ms counts time without
                              progress (sync); false: total time */
    bool verbose;          /* print each rejection on stderr */
    /* CURVE (both or neither): the broker's public certificate and this
       device's secret certificate, zcert files made by jejak-keys. */
    const char *broker_key;
    const char *key;
} jk_delivery_config_t;

typedef struct {
    uint64_t sent;     /* events sent, resends included */
    uint64_t stored;   /* answered ACK or DUPLICATE */
    uint64_t rejected; /* answered REJECTED, or refused locally */
    uint64_t retried;  /* retryable NACKs */
    uint64_t reconnects;
    uint64_t remaining;      /* still PENDING or SENT at the end */
    uint64_t quarantined;    /* rows found damaged and quarantined */
    bool clock_known;        /* a PONG told the hub's clock */
    int64_t clock_offset_ms; /* then: hub minus this machine */
} jk_delivery_stats_t;

/* How far this machine's clock may be from the hub's before the operator
   is told: the store's W_AT_FUTURE bound. */
#define JK_CLOCK_SKEW_MAX_MS (5 * 60 * 1000)

/* Prints the warning for a clock offset_ms (hub minus here) off. */
void jk_delivery_clock_warning (FILE *out, int64_t offset_ms);

/* Delivers until every event up to until_seq (0: all) is STORED or
   REJECTED, or wait_ms passes, or the process is interrupted. Returns
   JK_OK when all were answered, JK_TEMPORARY when time ran out with
   events pending, JK_CLOSED when delivery cannot continue (the store
   expects a seq the outbox no longer holds: printed), JK_IO on a
   database failure. */
int jk_delivery_run (jk_outbox_t *outbox, const jk_delivery_config_t *config,
                     int64_t wait_ms, uint64_t until_seq,
                     jk_delivery_stats_t *stats);

/* ---- receipts with proofs --------------------------------------------------
   With the log's verifier key, an office checks that each receipt's event
   is in the dinas's log (docs/AGENTS.md, "Receipts with proofs"): it
   fetches a signed checkpoint from the hub's query endpoint, checks the
   log's signature and that the checkpoint extends the newest one the
   outbox holds (a consistency proof), keeps it, then fetches, checks and
   keeps each receipt's inclusion proof against it. Kept in the outbox:
   table checkpoints (every checkpoint held), table forks (the evidence of
   a checkpoint or proof that contradicts what is held), and columns
   recorded_at, proof_size, proof of events. */
typedef struct {
    const char *query;   /* the hub's query endpoint */
    const char *log_key; /* the log's verifier key (C2SP vkey text) */
    /* CURVE (both or neither), as for delivery. */
    const char *broker_key;
    const char *key;
    int64_t wait_ms; /* give up on an answer after this */
    /* The office's witness key file (jejak-keys witness-key), NULL: none.
       With it the checkpoint, once checked and found to extend the one
       held, is cosigned (tlog-cosignature v1) and the cosignature sent to
       the hub (COSIGN); one older than the newest held is not. */
    const char *witness_key;
    bool witness_only; /* the checkpoint and its cosignature, no receipts */
} jk_proofs_config_t;

typedef struct {
    uint64_t size;      /* tree size of the checkpoint used */
    uint64_t proven;    /* receipts whose inclusion proof verified */
    uint64_t failed;    /* receipts whose proof did not verify */
    uint64_t uncovered; /* receipts beyond the checkpoint (none yet) */
    bool fork;          /* the checkpoint does not extend the one held */
    /* With a witness key: */
    bool cosigned;     /* the hub kept this office's cosignature */
    bool not_cosigned; /* refused: older than held, or the hub said no */
    uint64_t cosigs;   /* cosignatures the hub now keeps of it */
} jk_proofs_stats_t;

/* Proves receipts: only those without a kept proof, or with all, every
   STORED receipt again against the newest checkpoint (receipts
   --verify); with config->witness_only none (the checkpoint is fetched,
   checked, kept and cosigned). Messages for the operator go to out.
   Returns JK_OK;
   JK_TEMPORARY when the query endpoint did not answer in time; JK_INVALID
   on a fork or a proof that does not verify (evidence kept in table
   forks, said on out); JK_IO. */
int jk_proofs_run (jk_outbox_t *outbox, const jk_proofs_config_t *config,
                   bool all, jk_proofs_stats_t *stats, FILE *out);

/* A STORED receipt's kept proof (docs/AGENTS.md, "Receipts with
   proofs"): the tree size of the checkpoint it was proven against, and
   the whole jejak-proof/1 text (docs/AUDIT.md, "A proof anyone can
   check": the entry rebuilt from the outbox's bytes, the kept path, the
   checkpoint held of that size) in *file (heap; NULL to skip). JK_OK;
   JK_NOT_FOUND when the receipt has no proof kept (not stored, not proven
   yet, or an outbox from before the proofs); JK_IO. */
int jk_proofs_receipt (jk_outbox_t *outbox, uint64_t seq, uint64_t *size,
                       char **file);
/* The fork evidence rows kept in the outbox (table forks); 0 when none
   or no table. */
int64_t jk_proofs_forks (jk_outbox_t *outbox);

/* The outbox's SQLite connection (for the proofs' tables). */
sqlite3 *jk_outbox_db (jk_outbox_t *self);

/* ---- CSV ----------------------------------------------------------------
   What spreadsheets export: ';' or ',' separator (the more frequent one
   outside quotes in the first line), UTF-8 BOM, LF or CRLF, quoted fields
   with separators, doubled quotes and newlines. Blank lines are skipped.
   Pure: no I/O. */
#define JK_CSV_MAX_CELLS 256

/* Called once per row (the header is row one) with its cells as
   NUL-terminated strings and the physical line where the row starts.
   Return 0 to go on, non-zero to stop. */
typedef int (jk_csv_row_fn) (void *arg, size_t line, char **cells,
                             size_t count);

/* Why a row was not handed out, for a caller that words it itself (the
   office says it in Indonesian); the reason text says the same in
   English. */
typedef enum {
    JK_CSV_QUOTE = 1, /* a quoted cell never closed */
    JK_CSV_CELLS,     /* more than JK_CSV_MAX_CELLS cells */
    JK_CSV_BINARY,    /* a cell holds a NUL byte */
    JK_CSV_UNREADABLE /* any other (the XLSX reader's rows): see reason */
} jk_csv_fault_t;

/* Called for a row the reader cannot hand out whole, with the physical
   line where it starts, what is wrong and the reason in words: a cell
   holding a NUL byte, more than JK_CSV_MAX_CELLS cells (both: the row is
   skipped), or a quoted cell never closed (the row is skipped and reading
   goes on with the line after the one where the quote opened). Return 0
   to go on, non-zero to stop. */
typedef int (jk_csv_bad_fn) (void *arg, size_t line, jk_csv_fault_t fault,
                             const char *reason);

/* Reads data, calling fn per good row and bad per bad one, in line order:
   every non-blank line reaches one of them. Returns 0, or the non-zero
   value of the callback that stopped. *separator (may be NULL) gets the
   separator used, before the first callback. */
int jk_csv_read (const char *data, size_t size, jk_csv_row_fn *fn,
                 jk_csv_bad_fn *bad, void *arg, char *separator);

/* The same, stopping at the first bad row: returns 0, the callback's
   non-zero value when it stopped, or -1 with err ("line N: reason"); rows
   before the bad one were delivered. */
int jk_csv_parse (const char *data, size_t size, jk_csv_row_fn *fn, void *arg,
                  char *separator, char *err, size_t err_size);

/* One row as CSV text ending in "\n", cells separated by sep and quoted
   where jk_csv_read would otherwise change them, so that reading the text
   gives the same cells back. Heap string; *size (may be NULL) its
   length. */
char *jk_csv_format (char *const *cells, size_t count, char sep, size_t *size);

/* ---- the programs ----------------------------------------------------------
   The whole command line of jejak-<domain>. Exit codes: 0 stored, 2 usage
   or validation error (nothing queued), 3 queued but not delivered, 4
   rejected by the store, 1 other failure. */
enum {
    JK_EXIT_OK = 0,
    JK_EXIT_FAILURE = 1,
    JK_EXIT_USAGE = 2,
    JK_EXIT_OFFLINE = 3,
    JK_EXIT_REJECTED = 4,
    JK_EXIT_FORK = 5, /* the hub's log contradicts a receipt or a
                         checkpoint the outbox holds */
};
int jk_agent_main (jk_domain_t domain, int argc, char **argv);

#endif
