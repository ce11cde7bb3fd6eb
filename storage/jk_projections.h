/*  jk_projections.h - the read models (SPEC 6) and the domain rules the
    store decides against them. The store's write path calls, inside one
    write transaction per batch: decide (may reject), then apply or
    apply_rejection for every record it appends to the log. Rebuild calls
    apply / apply_rejection for every record of a log, in position order,
    and gets exactly the same tables (the canonical dump proves it).

    Projections never read the wall clock: the only time they see is the
    record's recorded_at and the event's own fields. */
#ifndef JK_PROJECTIONS_H
#define JK_PROJECTIONS_H

#include "jk_schema.h"
#include <sqlite3.h>
#include <stdio.h>

typedef struct jk_projections_s jk_projections_t;

typedef struct {
    int rat_deadline_months; /* RAT late after this many months past
                                the book year's end; default 6 */
} jk_projections_config_t;

/* What the log says about a record being applied. */
typedef struct {
    uint64_t pos;                /* global position */
    int64_t recorded_at;         /* store time, ms since epoch */
    const uint8_t *hash;         /* 32-byte chain hash at pos */
    const jk_report_t *warnings; /* warnings from validation, or NULL */
    /* The submitted bytes exactly as received (the log's bytes column).
       apply_rejection keeps them in the rejections table; NULL stores
       NULL there. apply ignores them. */
    const uint8_t *bytes;
    size_t size;
} jk_applied_t;

/* Creates or upgrades the projection tables (numbered migrations; the log
   has its own). Returns 0, or -1 with the SQLite message in err. */
int jk_projections_migrate (sqlite3 *db, char *err, size_t err_size);

/* Prepares statements on db (which must be migrated). NULL config means
   defaults. Returns NULL with err on failure. */
jk_projections_t *jk_projections_new (sqlite3 *db,
                                      const jk_projections_config_t *config,
                                      char *err, size_t err_size);
/* Destroys the object; counters still pending (set_deferred, no flush)
   are dropped with a warning: flush before COMMIT. */
void jk_projections_destroy (jk_projections_t **self_p);

/* Deferred mode, for a caller that wraps many events in one transaction
   (the store's group commit, rebuild): per-source progress (sources),
   kecamatan_summary counters and sessions' recorded/present counters are
   added up in memory and written by jk_projections_flush. Nothing that
   decide or apply reads depends on them, so decisions are unchanged; the
   tables are equal to immediate mode's once flushed. The caller must call
   jk_projections_flush before every COMMIT and jk_projections_discard
   after every ROLLBACK. Off by default (every apply writes through). */
void jk_projections_set_deferred (jk_projections_t *self, bool deferred);

/* Writes the pending counters inside the caller's open transaction and
   forgets them. Returns JK_OK, or JK_IO when SQLite failed (the caller
   rolls back and calls jk_projections_discard). A no-op when nothing is
   pending. */
int jk_projections_flush (jk_projections_t *self);

/* Forgets the pending counters (the transaction they belong to was rolled
   back). */
void jk_projections_discard (jk_projections_t *self);

/* Decides the domain rules of SPEC 3.2 for a format-valid event against
   the current state (which includes events applied earlier in the same
   transaction). Returns 0 to accept, -1 with a stable code and a message
   naming the field and the rule in report (E_UNKNOWN_COOPERATIVE,
   E_BATCH_FULL, ...), or JK_IO (-5) when SQLite failed (then nothing may
   be acked). */
int jk_projections_decide (jk_projections_t *self, const jk_event_t *event,
                           jk_report_t *report);

/* Applies an accepted event at a position. Returns JK_OK or JK_IO. */
int jk_projections_apply (jk_projections_t *self, const jk_event_t *event,
                          const jk_applied_t *applied);

/* Applies a rejection record: the submitted bytes, what could be read of
   their envelope (event may be NULL when they did not decode), the code
   and message. Returns JK_OK or JK_IO. */
int jk_projections_apply_rejection (jk_projections_t *self,
                                    const jk_envelope_t *envelope,
                                    const jk_event_t *event, const char *code,
                                    const char *message,
                                    const jk_applied_t *applied);

/* Writes every projection table in canonical form (tables by name, rows
   ordered by primary key, one stable text line per row) to out. Two
   databases with equal projections give byte-identical dumps. Returns 0
   or -1 with err. */
int jk_projections_dump (sqlite3 *db, FILE *out, char *err, size_t err_size);

/* The status board's snapshot of counters at the database's current
   position, as one MessagePack map (docs/PROTOCOL.md, SNAPSHOT), for
   as_of_day (days since epoch, WIB) deciding "active" and "expired".
   Returns a heap buffer and its size, or NULL on SQLite failure. */
uint8_t *jk_projections_snapshot (sqlite3 *db, int32_t as_of_day, size_t *size);

/* Counts the cooperatives active as of as_of_day (days since epoch): those
   with a RAT for book year year(as_of) - 1 held on or before as_of, whose
   latest status declared on or before as_of is not TIDAK_AKTIF, DIBEKUKAN
   or DIBUBARKAN (docs/PROJECTIONS.md). kecamatan_code NULL counts all.
   Returns the count, or -1 on SQLite failure (logged). */
int64_t jk_projections_active (sqlite3 *db, int32_t as_of_day,
                               const char *kecamatan_code);

/* The last position applied to the projections (0 when none), or -1 on
   SQLite failure (not logged: the caller says it, with
   sqlite3_errmsg). */
int64_t jk_projections_last_pos (sqlite3 *db);

#endif
