/*  pgsink_internal.h - jejak-pgsink's state, shared by its files only
    (jejak_pgsink.c: options and main; pgsink_pg.c: the PostgreSQL
    connection, schema and writes; pgsink_shadow.c: the SQLite shadow and
    the batch apply; pgsink_hub.c: catch-up and following a hub;
    pgsink_copy.c: following a province's copy database; pgsink_dump.c:
    the canonical dump). See jejak_pgsink.c for the design. */
#ifndef JK_PGSINK_INTERNAL_H
#define JK_PGSINK_INTERNAL_H

/* Debian's SQLite is built with the session extension; its declarations
   are visible with these. */
#define SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_PREUPDATE_HOOK
#include "jk_active.h"
#include "jk_base.h"
#include "jk_curve.h"
#include "jk_log.h"
#include "jk_opts.h"
#include "jk_projection_table.h"
#include "jk_projections.h"
#include "jk_province.h"
#include "jk_record_apply.h"
#include "jk_schema.h"
#include "jk_wire.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPONENT "pgsink"
#define S_BATCH     1000
/* The exit status of a --once run (or rebuild) given up because the hub
   or PostgreSQL did not answer within --timeout. */
#define JK_PGSINK_EXIT_TIMEOUT 3

typedef struct {
    PGconn *pg;
    const char *conninfo;
    sqlite3 *shadow;
    jk_projections_t *projections;
    jk_table_info_t *tables;
    size_t ntables;
    zsock_t *query, *feed;
    zsock_t *query_watch, *feed_watch; /* their handshakes (CURVE) */
    bool secure;                       /* CURVE (--key) */
    bool refused;                      /* the hub refused the handshake */
    int failures; /* handshakes ended without a reason, in a row */
    uint64_t pos; /* last position in PostgreSQL (and the shadow) */
    uint8_t hash[JK_HASH_SIZE];
    jk_chain_t *chain;
    uint64_t credit, outstanding;
    bool catching; /* a SINCE stream is running */
    uint64_t hub_head;
    int64_t since_at; /* when the last SINCE was asked, mono ms */
    int64_t query_at; /* the query endpoint last heard from, mono ms */
    uint64_t limit;   /* take no record beyond this (0: none) */
    zlistx_t *batch;  /* zmsg_t records, consecutive from pos + 1 */
    uint64_t written, batches, pg_errors; /* into PostgreSQL */
    jk_province_t *province; /* --copy: the province's projections */
    bool pg_failed;          /* the last batch failed in PostgreSQL */
    /* Waiting for the hub: a --once run (or rebuild) gives up after
       timeout_ms without an answer; a following sink waits and says so
       every few seconds. */
    bool once;
    int64_t timeout_ms;
    const char *query_endpoint, *feed_endpoint; /* as given, for messages */
    int64_t heard_at;  /* the hub's last message (or the wait's start) */
    int64_t waited_at; /* when the waiting was last said */
    bool head_known;   /* the hub told its head (END, or the feed) */
    /* The hub's log must be the copy's: never shorter than the position
       PostgreSQL's copy had when this run attached to it (floor), its
       hash at the copy's position the copy's (verify_at: that position,
       asked with SINCE from the one before, until the record comes), and
       every record continuing the copy's chain. other_log: it is not
       (said); the sink stops with exit 1, PostgreSQL as it was. */
    uint64_t floor;
    bool floor_set;
    uint64_t verify_at;
    bool other_log;
    /* The shadow could not be read or written (said): the sink stops
       with exit 1; its next start brings the shadow up to PostgreSQL. */
    bool shadow_failed;
    /* A feed $head below the copy's position (a stale one, or a hub
       whose log shrank under a following sink) is checked with HEAD:
       when it was asked (0: none outstanding), and the position the copy
       had then, which the hub's head must not be below. */
    int64_t head_asked_at;
    uint64_t head_asked_pos;
    /* What the shadow applies with: the hub's region and RAT deadline
       (its STATS), or --region and --rat-deadline-months. */
    bool region_given, months_given; /* the flags (or their variables) */
    int months_flag;
    jk_region_t *region; /* loaded for the hub's region (NULL: default) */
    jk_log_settings_t settings; /* area: the region's code, "32.03" ... */
} jk_pgsink_t;

/* ---- pgsink_pg.c ----------------------------------------------------------
 */

/* True when a statement succeeded (with or without rows). */
bool jk_pgsink_pg_ok (PGresult *res);
/* Runs a statement; false (logged) on failure. */
bool jk_pgsink_pg_exec (jk_pgsink_t *self, const char *sql);
/* Connects PostgreSQL and makes its schema; false (logged) on failure. */
bool jk_pgsink_pg_connect (jk_pgsink_t *self);
/* Compares what PostgreSQL's copy was made with (jejak_sink's region and
   rat_deadline_months) with self->settings. JK_OK when they are the
   same, or when it records none (a new copy, or one from before they
   were recorded that holds no kecamatan of another region): recorded
   now. JK_INVALID (said) when it was made with others; JK_IO (logged)
   when PostgreSQL did not answer. */
int jk_pgsink_pg_settings (jk_pgsink_t *self);
/* The sink's position as committed in PostgreSQL; false when unread. */
bool jk_pgsink_pg_position (jk_pgsink_t *self, uint64_t *pos, uint8_t *hash);
/* A SQLite value as a PostgreSQL text parameter (heap), NULL for NULL. */
char *jk_pgsink_param (sqlite3_value *v);
/* Writes one changeset of the shadow to PostgreSQL (inside its
   transaction). */
bool jk_pgsink_pg_changes (jk_pgsink_t *self, int size, void *data);
/* Writes one log record to PostgreSQL (inside its transaction). */
bool jk_pgsink_pg_log (jk_pgsink_t *self, const jk_record_t *r);
/* Ends a batch's PostgreSQL transaction: when ok so far, the position
   and hash, then COMMIT; otherwise ROLLBACK. True when committed. */
bool jk_pgsink_pg_commit (jk_pgsink_t *self, bool ok, uint64_t pos,
                          const uint8_t *hash);
/* Drops PostgreSQL's tables and removes the shadow files (rebuild). */
bool jk_pgsink_pg_drop (jk_pgsink_t *self, const char *shadow);

/* ---- pgsink_shadow.c ------------------------------------------------------
 */

/* The columns and key of every projection table as db has them. */
void jk_pgsink_tables_load (jk_pgsink_t *self, sqlite3 *db, bool province);
/* Opens (creating) the shadow and checks what it was made with against
   self->settings (the region in use: jk_region_default): a shadow made
   with another region or RAT deadline is refused (said). Nothing is
   recorded in it yet. */
bool jk_pgsink_shadow_open (jk_pgsink_t *self, const char *path);
/* Gives the open shadow the store's schema and records self->settings
   in it; its projections apply with them. False (said) on failure. */
bool jk_pgsink_shadow_migrate (jk_pgsink_t *self, const char *path);
/* The shadow's position into pos, and its hash there into hash when
   given; false (said: the file and SQLite's reason) when it cannot be
   read. */
bool jk_pgsink_shadow_position (jk_pgsink_t *self, uint64_t *pos,
                                uint8_t *hash);
/* Applies the batch (shadow, then PostgreSQL unless to_pg is false);
   false when PostgreSQL failed, or (self->other_log set, said) when a
   record does not continue the copy's chain: nothing of the batch is
   then written anywhere; or (self->shadow_failed set, said) when the
   shadow could not be written: its transaction, position or COMMIT,
   the shadow rolled back, PostgreSQL's commit (if it came to that)
   kept. */
bool jk_pgsink_flush (jk_pgsink_t *self, bool to_pg);
/* Says (ERROR) that the hub's log is not the one the copy was made from,
   what (e.g. "the hub's hash at 300 is not the copy's") first, and what
   to do; sets self->other_log. */
void jk_pgsink_other_log (jk_pgsink_t *self, const char *what);
/* Says (ERROR) that the shadow was made from another log than the one
   PostgreSQL's copy and the hub hold (its hash at pos is not theirs),
   and what to do; sets self->other_log. */
void jk_pgsink_other_shadow (jk_pgsink_t *self, uint64_t pos);

/* ---- pgsink_hub.c, pgsink_copy.c, pgsink_dump.c ---------------------------
 */

/* Asks the hub's query endpoint for its STATS until it answers (with
   --once: for --timeout) and settles what the shadow applies with
   (self->settings, the region made the process's). 0; 1 (said) when it
   cannot; JK_PGSINK_EXIT_TIMEOUT (said) when the hub did not answer in
   time. */
int jk_pgsink_hub_settings (jk_pgsink_t *self);
/* Connects PostgreSQL (retrying until it answers; with --once for
   --timeout) and checks what its copy was made with
   (jk_pgsink_pg_settings). 0; 1 (said) when refused or stopped;
   JK_PGSINK_EXIT_TIMEOUT (said) when PostgreSQL did not answer in time. */
int jk_pgsink_pg_wait (jk_pgsink_t *self);
/* After a try at PostgreSQL that failed, begun waiting at since (mono
   ms): sleeps *wait ms (200 doubling to 5,000; with --once never past
   --timeout) and returns 0 to try again, or JK_PGSINK_EXIT_TIMEOUT
   (said) when --once has waited --timeout. */
int jk_pgsink_pg_backoff (jk_pgsink_t *self, int64_t since, int64_t *wait);
/* Follows a hub until stopped (or caught up with once); exit status. */
int jk_pgsink_follow (jk_pgsink_t *self, bool once);
/* Follows a province's copy database; exit status. */
int jk_pgsink_province_follow (jk_pgsink_t *self, bool once);
/* Prints PostgreSQL's projection tables in the canonical dump form. */
int jk_pgsink_dump (jk_pgsink_t *self);

#endif
