/*  jk_log.h - the event log: one SQLite table of decided submissions
    chained by SHA-256 (docs/ARCHITECTURE.md, "The log record"). The store's
    writer appends through jk_log_t; jejak-replay and the tests verify a
    log's chain (the log knows nothing of projections: rebuilding them is
    jk_rebuild.h). */
#ifndef JK_LOG_H
#define JK_LOG_H

#include "jk_schema.h"
#include <sqlite3.h>

#define JK_HASH_SIZE 32

/* ---- the hash chain ---------------------------------------------------------
   hash_pos = SHA-256( hash_{pos-1} || u64be(pos) || u64be(recorded_at)
                       || u8(outcome) || u16be(len code) || code
                       || u32be(len message) || message || bytes )
   with hash_0 = 32 zero bytes, code and message empty when accepted. */
typedef struct jk_chain_s jk_chain_t;

/* Creates a hasher: the SHA-256 digest is fetched once and its context
   reused for every step. Aborts when OpenSSL has no SHA-256. */
jk_chain_t *jk_chain_new (void);
void jk_chain_destroy (jk_chain_t **self_p);

/* Computes hash_pos from prev (hash_{pos-1}) into out. code and message may
   be NULL (treated as empty). */
void jk_chain_step (jk_chain_t *self, const uint8_t prev[JK_HASH_SIZE],
                    uint64_t pos, int64_t recorded_at, int outcome,
                    const char *code, const char *message, const uint8_t *bytes,
                    size_t size, uint8_t out[JK_HASH_SIZE]);

/* ---- records ------------------------------------------------------------- */
#define JK_LOG_ACCEPTED 0
#define JK_LOG_REJECTED 1

/* One row of the log. Strings and bytes are borrowed: from the caller when
   appending, from the log's statement when found (valid until the next
   call on the same log). */
typedef struct {
    uint64_t pos;               /* global position, 1, 2, 3 ... */
    uint8_t id[16];             /* event id */
    const char *type;           /* type as submitted ("" if unreadable) */
    uint32_t version;           /* envelope.v as submitted */
    const char *source;         /* submitting device */
    uint64_t seq;               /* its sequence number */
    int64_t at;                 /* when it happened, ms */
    int64_t recorded_at;        /* store time of the append, ms */
    int outcome;                /* JK_LOG_ACCEPTED or JK_LOG_REJECTED */
    const char *code;           /* rejection code, NULL when accepted */
    const char *message;        /* rejection message, NULL when accepted */
    const uint8_t *bytes;       /* the submitted bytes, as received */
    size_t size;                /* their size */
    uint8_t hash[JK_HASH_SIZE]; /* chain hash at pos */
    bool hashed; /* appending: hash is given, computed by the caller with
                    jk_chain_step from the head's hash (jk_log_head) at
                    the position the record takes */
} jk_log_record_t;

/* Decodes submitted or stored bytes (older versions upcast) and validates
   them with the clock at recorded_at and the default reference data,
   exactly as the store did when it decided them, so a rebuild recomputes
   the same warnings. Returns 0 with *event (caller owns) and any warnings
   in report, or -1 with the first error in report; *event is then NULL
   when the bytes did not decode, or the decoded but invalid event. */
int jk_log_check (const uint8_t *bytes, size_t size, int64_t recorded_at,
                  jk_event_t **event, jk_report_t *report);
/* jk_log_check with the event decoded into slab (jk_event_decode_in). */
int jk_log_check_in (jk_event_slab_t *slab, const uint8_t *bytes, size_t size,
                     int64_t recorded_at, jk_event_t **event,
                     jk_report_t *report);
/* The validation half of jk_log_check, for an event already decoded:
   0, or -1 with the first error in report (reset first). */
int jk_log_validate (const jk_event_t *event, int64_t recorded_at,
                     jk_report_t *report);

/* ---- the writer's log ---------------------------------------------------- */
typedef struct jk_log_s jk_log_t;

/* Opens the log database at path for writing, creating it (mode 0600,
   directory not included) when absent: WAL, synchronous=FULL, the given
   busy timeout (ms, 0 = 5000) and the log's numbered migrations (PRAGMA
   user_version). The owner of the connection migrates whatever else it
   keeps in the file (the store: jk_projections_migrate).
   Loads the head and every source's next seq. Returns NULL with the
   reason in err (SQLite's message, or "read-only" when the file cannot be
   written). */
jk_log_t *jk_log_open (const char *path, int busy_timeout_ms, char *err,
                       size_t err_size);
/* Closes the database (rolls back an open transaction). */
void jk_log_close (jk_log_t **self_p);

/* The connection, for the projections and reads in the same
   transaction. Owned by the log. */
sqlite3 *jk_log_db (jk_log_t *self);
/* The last error message: a failure the log found itself since the last
   jk_log_begin (an append whose row did not take the head's next
   position), else SQLite's last on the connection. */
const char *jk_log_errmsg (jk_log_t *self);
/* The last error code, as jk_log_errmsg: SQLITE_CORRUPT for the log's
   own finding, else SQLite's last extended error code. */
int jk_log_errcode (jk_log_t *self);

/* The last position and its hash (zeros at pos 0), including records
   appended in the open transaction. */
uint64_t jk_log_head (jk_log_t *self, uint8_t hash[JK_HASH_SIZE]);
/* The recorded_at to give the next record: max(last recorded_at, now), so
   time never decreases along the log. */
int64_t jk_log_next_time (jk_log_t *self);
/* The seq the source must send next (1 for an unknown source), including
   records appended in the open transaction. */
uint64_t jk_log_next_seq (jk_log_t *self, const char *source);

/* The plan: records decided but not appended yet (the store decides a
   batch while the batch before commits, and appends it after). Each
   source's next seq counting the plan, on top of the open transaction's
   appends (1 for an unknown source). */
uint64_t jk_log_plan_seq (jk_log_t *self, const char *source);
/* Plans seq as the source's next record: its next seq in the plan is then
   seq + 1. */
void jk_log_plan_take (jk_log_t *self, const char *source, uint64_t seq);
/* Forgets the plan: jk_log_plan_seq equals jk_log_next_seq again once
   the plan's records are appended, or when they never will be. */
void jk_log_plan_reset (jk_log_t *self);

/* The cache of a connection that opens a log (jk_log_open), and of one
   that loads a log in bulk (rebuild's output: its index builds sort in
   runs of the cache's size). */
#define JK_LOG_CACHE_SQL                                                       \
    "PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY;"

/* Starts a write transaction (BEGIN IMMEDIATE). JK_OK or JK_IO. */
int jk_log_begin (jk_log_t *self);
/* Commits. On JK_IO the transaction was rolled back (as jk_log_rollback)
   and nothing of it is kept, in the file or in memory. */
int jk_log_commit (jk_log_t *self);
/* jk_log_commit in two halves, so that another thread may use the plan
   (below) and jk_log_head while the COMMIT (the WAL's write and sync)
   runs: jk_log_commit_write runs it on the connection and touches
   nothing of the log's memory but its WAL counters (jk_log_wal_frames,
   jk_log_wal_stats); JK_OK or JK_IO. Then, once that other thread is
   done, jk_log_commit_end with the result keeps what the transaction
   staged in memory, or rolls back (returning JK_IO) as jk_log_commit
   does. */
int jk_log_commit_write (jk_log_t *self);
int jk_log_commit_end (jk_log_t *self, int written);
/* Rolls back, and forgets the head and seqs staged since begin. */
void jk_log_rollback (jk_log_t *self);

/* Appends a record inside the open transaction at the next position:
   fills record->pos and record->hash (or stores the hash given, when
   record->hashed: checked in a build with assertions). record->recorded_at must
   come from jk_log_next_time and record->seq must be the source's next seq
   (both asserted). Returns JK_OK; JK_CONFLICT when the id is in the log already
   (the UNIQUE index refused the row: nothing was appended, the
   transaction goes on); or JK_IO (the caller rolls back). */
int jk_log_append (jk_log_t *self, jk_log_record_t *record);

/* Looks up an event id. JK_OK fills record (borrowed strings and bytes,
   valid until the next call), JK_NOT_FOUND, or JK_IO. */
int jk_log_find (jk_log_t *self, const uint8_t id[16], jk_log_record_t *record);

/* Runs PRAGMA wal_checkpoint(PASSIVE) outside any transaction; returns
   jk_log_wal_frames before it ran. When it copied every frame into the
   database, the next transaction writes the WAL from its beginning again
   (unless a reader's transaction still uses its frames then). */
int jk_log_checkpoint (jk_log_t *self);
/* WAL frames not yet checkpointed: those in the WAL at the last commit
   (from the WAL hook), 0 once a checkpoint copied them all. */
int jk_log_wal_frames (jk_log_t *self);
/* The frames in the WAL at the last commit, and how many commits since
   the open restarted it at its beginning (STATS: wal_frames,
   wal_restarts). */
void jk_log_wal_stats (jk_log_t *self, int *frames, uint64_t *restarts);

/* The Merkle tree over the log (jk_merkle.h), appended with every record
   and committed or rolled back with it. Owned by the log. jk_log_open
   stores the tiles the log has and the tree lacks before it returns. */
typedef struct jk_tiles_s jk_tiles_t;
jk_tiles_t *jk_log_tiles (jk_log_t *self);
/* From now on the log appends records without hashing them into the tree:
   a follower on another connection computes it from the committed log
   (jk_tiles_follow) and hands its tiles to jk_log_put_tile, and
   jk_log_tiles' size and head stay where they were. Outside a
   transaction. */
void jk_log_tree_apart (jk_log_t *self);
/* Stores a follower's tile in the open transaction (jk_tiles_put). */
int jk_log_put_tile (jk_log_t *self, int level, uint64_t idx,
                     const uint8_t *hashes, uint32_t width);

/* ---- verification -------------------------------------------------------- */
typedef enum {
    JK_VERIFY_OK = 0,        /* the chain holds */
    JK_VERIFY_HASH = 1,      /* stored hash differs from the recomputed one:
                                a byte, time, decision or order changed */
    JK_VERIFY_MISSING = 2,   /* a position is missing (deleted row) */
    JK_VERIFY_TIME = 3,      /* recorded_at decreases along pos */
    JK_VERIFY_TRUNCATED = 4, /* the kept head lies beyond the log's end */
    JK_VERIFY_HEAD = 5,      /* the hash at the kept head's pos differs */
    JK_VERIFY_TREE = 6,      /* a stored Merkle tile differs from the tree
                                recomputed from the log (the chain holds
                                to the log's end) */
    JK_VERIFY_COLUMN = 7,    /* a column copied from the record's bytes
                                (id, type, v, source, seq, at) differs
                                from what the hashed bytes hold */
} jk_verify_problem_t;

typedef struct {
    uint64_t pos; /* 0: no head */
    uint8_t hash[JK_HASH_SIZE];
} jk_head_t;

typedef struct {
    jk_verify_problem_t problem; /* JK_VERIFY_OK when intact */
    uint64_t bad_pos;            /* first bad position, 0 when intact */
    uint64_t records;            /* records checked */
    jk_head_t head;              /* last position checked and its hash:
                                    the chain holds up to it */
    uint8_t root[JK_HASH_SIZE];  /* Merkle tree head over the records
                                    checked (RFC 6962) */
    uint64_t tree_stored;        /* leaves the stored tiles cover */
    bool tree_absent;            /* the file has no tile table */
    char message[256];           /* what is wrong, for a human */
    /* The stored tree's own verdict, found along the chain's walk (also
       when the chain breaks later): the first position from which the
       stored tiles are wrong (0: they match the records walked), the
       tile and hash ("tile level 0 index 0, hash 1"), what is wrong. */
    uint64_t tree_bad_pos;
    char tree_where[64];
    char tree_message[200];
} jk_verify_result_t;

/* Progress callback for long work: done of total records. */
typedef void (jk_progress_fn) (void *arg, uint64_t done, uint64_t total);

/* Recomputes the chain of the log at path (opened read-only) from pos 1
   and compares every stored hash, checks that the columns copied out of
   each record's bytes (id, type, v, source, seq, at) hold what the
   hashed bytes hold, and the Merkle tree: every stored tile
   against the tree recomputed from the records (tiles may stop short of
   the log's end: the store stores the rest when it next opens the
   file). With kept (not NULL), also checks that
   the log reaches kept->pos and has kept->hash there (detects truncation
   and rewriting); a kept head at position 0 must have the zero hash
   (hash_0). A problem of the stored tree does not stop the chain's walk:
   the chain's problem is result's when there is one, else the tree's
   (JK_VERIFY_TREE, bad_pos its tree_bad_pos). Returns JK_OK when intact,
   JK_INVALID with the first bad position and the problem in result, JK_IO
   (message in result) when the file cannot be read. progress may be NULL. */
int jk_log_verify (const char *path, const jk_head_t *kept,
                   jk_verify_result_t *result, jk_progress_fn *progress,
                   void *progress_arg);

/* ---- what the log was decided with ---------------------------------------
   The region's area and the RAT deadline months the store decides and
   projects with, recorded in the log's file (table log_settings: keys
   "region", the area of jk_region_area, "" for the Cianjur default, and
   "rat_deadline_months") by the store at its start and by rebuild in its
   output. jejak-replay takes them as its defaults. They stand outside the
   hash chain. */
typedef struct {
    char area[8];            /* "32.04", "32", or "": the Cianjur default */
    int rat_deadline_months; /* 1 to JK_RAT_DEADLINE_MONTHS_MAX */
} jk_log_settings_t;

/* Reads the recorded settings on db: JK_OK, JK_NOT_FOUND when the file
   records none (a log from before they were recorded, or not a store's)
   or a value that is not one --region or --rat-deadline-months takes
   (the months exactly a whole number 1 to JK_RAT_DEADLINE_MONTHS_MAX),
   JK_IO when it cannot be read. */
int jk_log_settings_read (sqlite3 *db, jk_log_settings_t *settings);
/* Records settings on db (the table made when missing), replacing what
   it held; in the caller's transaction when one is open. JK_OK, or JK_IO
   with the reason in err. */
int jk_log_settings_write (sqlite3 *db, const jk_log_settings_t *settings,
                           char *err, size_t err_size);
/* The settings this process decides with: the area of jk_region_default
   and rat_deadline_months (0: the default 6). */
void jk_log_settings_current (int rat_deadline_months,
                              jk_log_settings_t *settings);
bool jk_log_settings_equal (const jk_log_settings_t *a,
                            const jk_log_settings_t *b);
/* The area for messages: "32.04", or "Kabupaten Cianjur (the default)". */
const char *jk_log_settings_region (const jk_log_settings_t *settings);
/* What a store tells it decides with in its STATS text (the query
   endpoint's, PROTOCOL.md section 6: region=CODE rat_deadline_months=N)
   into *settings, area being the region's code as told ("32.04", "32",
   "32.03" for the Cianjur default). JK_OK; JK_NOT_FOUND when the text
   holds neither key (a store from before they were told); JK_INVALID
   when one is missing or malformed. */
int jk_log_settings_from_stats (const char *stats, jk_log_settings_t *settings);

#endif
