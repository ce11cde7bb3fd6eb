/*  workload.h - a deterministic generator of realistic event streams for
    tests and benchmarks (store, replay, chaos, projections). Given a seed
    it yields the same events, byte for byte, every time: cooperatives and
    their RATs, people, training batches with sessions, enrolments,
    attendance with corrections, closing, assessments with unit verdicts
    (re-attempts included), decisions, certificates and revocations, in an
    order that respects every domain rule, from several offices' sources
    with their own gap-free seq. Optionally a share of events is replaced by
    events the store must reject (domain errors), each with its expected
    code. */
#ifndef JK_WORKLOAD_H
#define JK_WORKLOAD_H

#include "jk_schema.h"

typedef struct jk_workload_s jk_workload_t;

typedef struct {
    size_t events;       /* events in total, rejects included; 0 = 1000 */
    double reject_share; /* 0 .. 1: share of events that must be rejected
                            by the store's domain rules; 0 = none */
    int offices;         /* kecamatan offices taking turns; 0 = 4, at most
                            the reference data's kecamatan count */
    int64_t start_ms;    /* `at` of the first event; 0 = 2022-03-01
                            08:00 WIB */
    int64_t step_ms;     /* `at` grows by this per event; 0 = 30 s */
} jk_workload_config_t;

/* Creates a generator. config NULL means all defaults. Uses the default
   reference data (jk_region_default) for desa and kecamatan codes. */
jk_workload_t *jk_workload_new (uint64_t seed,
                                const jk_workload_config_t *config);
void jk_workload_destroy (jk_workload_t **self_p);

/* The next event, owned by the caller (jk_event_destroy), or NULL after
   config.events events. Its id is a UUIDv7 made from the seed, its `at`
   is start_ms + index * step_ms, its source's seq is the next of that
   source. Every event passes jk_event_validate with a clock at or after
   jk_workload_end_ms. */
jk_event_t *jk_workload_next (jk_workload_t *self);

/* The domain error code the store must answer for the event last
   returned ("E_UNKNOWN_BATCH", ...), or NULL when it must be accepted.
   Valid while the workload lives. */
const char *jk_workload_expected (const jk_workload_t *self);

/* Events returned so far. */
size_t jk_workload_count (const jk_workload_t *self);

/* `at` of the last event the workload will return: a store clock at or
   after it accepts every event's dates. */
int64_t jk_workload_end_ms (const jk_workload_t *self);

#endif
