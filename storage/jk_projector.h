/*  jk_projector.h - the projections behind the ack: a projector applies
    the logged records, in position order, to the projection tables kept
    in their own database file beside the log (docs/ARCHITECTURE.md, "The
    ack and the projections"). The file is written with synchronous=NORMAL:
    it can always be rebuilt from the log, so a crash that loses its last
    transactions only costs a catch-up. Its position (and the log's hash
    there) is stored in the same transaction as the rows it covers.

    The store runs it as a thread behind its writer (jk_projector_start);
    readers of the projections (the query endpoint's SNAPSHOT, jejak-report,
    jejak-replay diff, the tests) open the file with
    jk_projections_open_read. */
#ifndef JK_PROJECTOR_H
#define JK_PROJECTOR_H

#include "jk_log.h"
#include "jk_projections.h"
#include "jk_record_apply.h"
#include <czmq.h>

/* The projections' file of the log at log_path: "<log_path>-projections"
   (heap string; its WAL and shm sit beside it as "-wal" and "-shm"). */
char *jk_projections_path (const char *log_path);

/* Attaches the projections' file of the log at log_path read-only to db
   as schema "proj", so unqualified projection table names find it (db
   must be opened with SQLITE_OPEN_URI).
   Returns 0 when attached, 1 when there is no such file (nothing
   attached: a rebuild's output or a file from before the projector holds
   its projections in the log's file itself), -1 with err. */
int jk_projections_attach (sqlite3 *db, const char *log_path, char *err,
                           size_t err_size);

/* Opens the log at log_path read-only with its projections attached
   (jk_projections_attach), busy timeout 5 s. NULL with err. */
sqlite3 *jk_projections_open_read (const char *log_path, char *err,
                                   size_t err_size);

/* The position the projections visible on db stand at, and the log's
   chain hash there (zeros at 0): the projector's stored position when
   there is one, else the last applied position (jk_projections_last_pos)
   and the log's hash at it. Call inside a read transaction so the rows
   read next are those of this position. JK_OK or JK_IO. */
int jk_projections_position (sqlite3 *db, uint64_t *pos,
                             uint8_t hash[JK_HASH_SIZE]);

/* ---- the projector --------------------------------------------------------
 */
typedef struct jk_projector_s jk_projector_t;

/* Opens (creating it 0600 when absent) the projections' file of the log
   at log_path, and a read-only connection to the log. A file that is
   not a database, fails SQLite's quick check, cannot be migrated, stands
   beyond the log's head or holds a hash that differs from the log's at
   its position is removed and made again empty (rebuilt from position 1
   by the steps that follow), with the reason logged. NULL with err when
   the file cannot be made at all. */
jk_projector_t *jk_projector_new (const char *log_path,
                                  const jk_projections_config_t *config,
                                  char *err, size_t err_size);
void jk_projector_destroy (jk_projector_t **self_p);

/* The position the projections stand at (committed). */
uint64_t jk_projector_pos (jk_projector_t *self);

/* The records it has read from the log since it was made: those it was
   not handed (jk_projector_offer). */
uint64_t jk_projector_read (jk_projector_t *self);

/* Applies the next committed log records after its position, at most
   max of them, in one transaction (jk_record_apply_stored, the rebuild's
   and the replica's path), with the new position and hash: those the
   hand-offs hold from the next position on, without reading the log,
   else those the log holds up to the next position handed over. Sets
   *applied (0 when caught up). JK_OK, JK_INVALID (a stored accepted
   record no longer decodes: nothing after it can be applied) or JK_IO,
   with the reason in err; nothing of a failed step is kept. */
int jk_projector_step (jk_projector_t *self, size_t max, size_t *applied,
                       char *err, size_t err_size);

/* The projections' WAL is checkpointed (PASSIVE) here, never inside a
   commit (wal_autocheckpoint is 0): by jk_projector_step after a commit
   that leaves it at the limit or more (default 1,000 frames), and by the
   projector thread when no record came for its idle interval (100 ms).
   jk_projector_checkpoint runs one now (JK_OK, or JK_IO when SQLite
   failed; a reader in the way leaves the frames after its snapshot for
   the next one); jk_projector_wal_frames gives the frames written since
   the last checkpoint that copied them all (0: none). */
int jk_projector_checkpoint (jk_projector_t *self);
int jk_projector_wal_frames (jk_projector_t *self);
void jk_projector_set_wal_limit (jk_projector_t *self, int frames);

/* The projector's database connection (tests, and the store's start-up
   model load on the projector's own thread before it runs). */
sqlite3 *jk_projector_db (jk_projector_t *self);

/* ---- the projector thread ------------------------------------------------
   Runs a projector as a CZMQ actor: it steps whenever the writer sends
   "WAKE" (after each commit) and every S_IDLE ms, in transactions of at
   most jk_projector_step_max records, until caught up. Its committed position
   and the recorded_at of the last record it applied are published in *shared
   for the writer (lag and back-pressure) and the query endpoint. "$TERM" stops
   it. Fault injection for tests, read from JEJAK_FAULT at start:
   "crash_in_projector" _exit(87)s in the middle of the first projector
   transaction that applies two records or more: after its second record,
   before COMMIT. */
typedef struct jk_handoff_s jk_handoff_t;
typedef struct {
    volatile uint64_t pos;  /* committed position (atomic access) */
    volatile int64_t at;    /* recorded_at of the record at pos, ms */
    volatile int failed;    /* the last step failed (JK_INVALID / JK_IO) */
    volatile uint64_t read; /* jk_projector_read, as of the last step */
    /* Hand-offs from the writer (jk_projector_offer), newest first;
       records they hold in all. Atomic access. */
    jk_handoff_t *volatile handoffs;
    volatile size_t handed;
    /* The writer has answered, and handed over what it hands over, every
       record up to this position (the projections' own at the start);
       the thread applies no further while it moves. Atomic access. */
    volatile uint64_t released;
} jk_projector_shared_t;

zactor_t *jk_projector_start (jk_projector_t **projector_p,
                              jk_projector_shared_t *shared);

/* ---- records handed over -------------------------------------------------
   The writer has decoded and validated every record it logs, with the
   clock at its recorded_at as jk_log_check does, and knows what the log
   holds of it: position, recorded_at, outcome, a rejection's code and
   message, the bytes and the chain hash. After each commit (never
   before: the records are the log's once its COMMIT has returned) it
   hands every record the batch logged, rejections too, to the
   projector, the accepted ones with their decoded events and warnings,
   with what holds the bytes the events point into. A step whose next
   position a hand-off holds applies the hand-offs' records, in position
   order while their positions follow one another, and reads nothing of
   the log (a rejection's bytes are decoded there as the log's would
   be); it stores the hash the last one was handed with. Where no
   hand-off holds the next position (a restart's catch-up, a hand-off
   dropped at the bound below, a record logged by a path that hands
   nothing over, a failed step whose records were taken), the step reads
   the log, whole rows, up to the next position handed over: what it
   applies is the same either way. A handed record recorded before the
   record before it does not continue the log: the rest of its hand-off
   is passed over (logged) and the log is read in its place. The
   projector thread reads no further than the writer has released
   (beyond it only when that bound stood still for 10 s: a record
   logged by a path that releases nothing is applied all the same). At
   most JK_HANDOFF_MAX records wait (about 13 MB with their bytes);
   beyond that the writer frees them itself. */
#define JK_HANDOFF_MAX 16384

/* The most records a step of the projector thread takes at pos, the
   writer's release at released (UINT64_MAX: no bound): 2,000, so each
   batch is projected soon after its commit; 8,000 while the release is
   JK_HANDOFF_MAX or more records ahead, where the hand-offs are at
   their bound and the projector decodes from the log what it is not
   handed: fewer, larger transactions then cost it about 7 % less CPU
   per record (docs/PERFORMANCE.md), so it comes back sooner. */
size_t jk_projector_step_max (uint64_t pos, uint64_t released);

/* An empty hand-off: one let go of before, its arrays kept, when there
   is one (any thread). */
jk_handoff_t *jk_handoff_new (void);
/* Frees the events and messages the hand-off still holds and releases
   what it keeps; the hand-off itself, with its arrays, is kept for
   jk_handoff_new (up to 8 of them, each with room for at most 4,096
   records, in the process), else freed. */
void jk_handoff_destroy (jk_handoff_t **self_p);
/* Adds the record committed as stored says (hash required; the code and
   message of a rejection are copied, its bytes are borrowed: an owner
   kept below holds them). For an accepted record it takes *event_p and
   *warnings_p (heap; NULL for none), both NULL after it; without an
   event (event_p NULL or *event_p NULL), and for a rejection, the
   projector decodes the bytes. */
void jk_handoff_add (jk_handoff_t *self, const jk_stored_t *stored,
                     jk_event_t **event_p, jk_report_t **warnings_p);
/* Keeps owner, which holds the bytes the records point into, until the
   hand-off is destroyed (on whichever thread), then calls
   release (owner); a NULL owner is not kept. */
void jk_handoff_keep (jk_handoff_t *self, void *owner,
                      void (*release) (void *owner));
/* Records added. */
size_t jk_handoff_size (const jk_handoff_t *self);
/* Queues *handoff_p for the projector sharing shared, or destroys it when
   it holds no record or the queue is full; *handoff_p is NULL after it.
   The writer calls it; the projector takes the queue at each step. */
void jk_projector_offer (jk_projector_shared_t *shared,
                         jk_handoff_t **handoff_p);
/* Frees what is still queued (the projector thread has stopped). */
void jk_projector_offers_drop (jk_projector_shared_t *shared);

#endif
