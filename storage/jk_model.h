/*  jk_model.h - the state the domain rules need (SPEC 3.2), in memory:
    keyed maps of cooperatives, RATs, people, batches, sessions,
    enrolments, attendance, assessments, verdicts and certificates. The
    same object decides an event (the rules of docs/PROJECTIONS.md, with
    their codes and messages) and applies an accepted one to its state, so
    decide and apply cannot diverge. The store decides from it instead of
    reading SQLite; `jejak-replay verify --decisions` runs it over a whole
    log and compares every outcome with the logged one.

    Memory: one entry per cooperative, RAT, person, batch, session,
    enrolment, assessment (with its units and assessors), unit verdict,
    decision and certificate, and one per attendance row of a batch that
    is not closed (docs/PROJECTIONS.md, "Decisions from memory"). */
#ifndef JK_MODEL_H
#define JK_MODEL_H

#include "jk_schema.h"
#include <sqlite3.h>

typedef struct _jk_model_t jk_model_t;

/* Creates an empty model. With evict, a batch's attendance rows leave
   memory when it closes (nothing decides against them again but an
   attendance.corrected naming one: that is looked up in the attendance
   table of the database given to jk_model_load). */
jk_model_t *jk_model_new (bool evict);
void jk_model_destroy (jk_model_t **self_p);

/* Fills the model from the projection tables of db (read in the caller's
   transaction) and keeps db for the evicted-attendance lookup. Returns 0,
   or -1 with the SQLite message in err. */
int jk_model_load (jk_model_t *self, sqlite3 *db, char *err, size_t err_size);

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
    size_t evicted; /* attendance rows dropped with their closed batch */
} jk_model_size_t;
void jk_model_size (jk_model_t *self, jk_model_size_t *size);

#endif
