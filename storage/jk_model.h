/*  jk_model.h - the state the domain rules need (SPEC 3.2), in memory:
    keyed maps of cooperatives, RATs, people, batches, sessions,
    enrolments, attendance, assessments, verdicts and certificates. The
    same object decides an event (the rules of docs/PROJECTIONS.md, with
    their codes and messages) and applies an accepted one to its state, so
    decide and apply cannot diverge. The store decides from it instead of
    reading SQLite; `jejak-replay verify --decisions` runs it over a whole
    log and compares every outcome with the logged one.

    Memory: one entry per cooperative, RAT, batch, session, assessment
    (with its units and assessors), unit verdict, decision and
    certificate; one per enrolment and attendance row of a batch that is
    not closed; and at most 2 x JK_MODEL_PEOPLE_MAX people, 8 bytes each
    (docs/PROJECTIONS.md, "Decisions from memory"). What left memory is
    read back from the projection tables when a rule asks for it. */
#ifndef JK_MODEL_H
#define JK_MODEL_H

#include "jk_schema.h"
#include <sqlite3.h>

typedef struct jk_model_s jk_model_t;

/* People kept in memory per generation (two generations): beyond these,
   the oldest half leaves memory and is looked up in the people table. */
#define JK_MODEL_PEOPLE_MAX 524288

/* Creates an empty model. With evict (once loaded with jk_model_load), a
   batch's attendance rows and enrolments leave memory when it closes,
   and people beyond the bound above leave it oldest first; a rule that
   needs one of them reads it from the tables of the database given to
   jk_model_load (attendance by event_id, enrollments and people by
   their keys), so no decision changes. Without evict everything stays. */
jk_model_t *jk_model_new (bool evict);
void jk_model_destroy (jk_model_t **self_p);

/* The hash of a NUL-terminated map key for zhashx_set_key_hasher, eight
   bytes a step (the model's maps and the projections' deferred counters
   and caches use it). */
size_t jk_model_key_hash (const void *key);

/* Fills the model from the projection tables of db (read in the caller's
   transaction) and keeps db for the evicted-attendance lookup. With
   evict, at most one generation of people is read (the rest are looked
   up in the table, and are not counted in people_left). Returns 0, or -1
   with the SQLite message in err. */
int jk_model_load (jk_model_t *self, sqlite3 *db, char *err, size_t err_size);

/* Sets the people kept per generation (tests; default
   JK_MODEL_PEOPLE_MAX, at least 1). */
void jk_model_set_people_max (jk_model_t *self, size_t max);

/* Tells the model that the database given to jk_model_load holds the
   projections of every event applied up to pos (the caller writes them
   in the same transaction, or a projector has reached pos). Nothing
   applied after the last pos given leaves memory: until it is called,
   only people and closed batches loaded from the tables can. */
void jk_model_written (jk_model_t *self, uint64_t pos);

/* Decides a format-valid event against the state. 0 to accept, -1 with
   the code and message in report, JK_IO when the evicted-attendance
   lookup failed. */
int jk_model_decide (jk_model_t *self, const jk_event_t *event,
                     jk_report_t *report);

/* Applies an accepted event at a position. */
void jk_model_apply (jk_model_t *self, const jk_event_t *event, uint64_t pos);

/* The rules hold one entry per vocabulary type, in vocabulary order: 0, or
   -1 naming the first type without one in err. */
int jk_model_rules_check (char *err, size_t err_size);

/* Entries held, for tests and STATS: all maps together, and attendance
   rows alone. */
typedef struct {
    size_t entries;
    size_t attendance;
    size_t evicted;     /* attendance rows dropped with their closed batch */
    size_t people;      /* people in memory */
    size_t people_left; /* people dropped from memory (in the table) */
    size_t enrollments_left; /* enrolments dropped with their batch */
    size_t bytes;            /* heap held by the people sets (slots) */
} jk_model_size_t;
void jk_model_size (jk_model_t *self, jk_model_size_t *size);

#endif
