/*  bench_floor.c - the TRANSPORT FLOOR (bench_hub.h): ZeroMQ in, bare
    append + SHA-256 chain, commit FULL, answer, in the hub's process
    shape. A front actor plays the broker (a ROUTER on the ingest endpoint,
    each SUBMIT passed on whole to the writer, each ANSWER passed back); a
    writer actor plays the store: it takes every SUBMIT waiting, up to the
    store's group-commit cap of 1,000 events, peeks each event's envelope
    for the log's columns, appends it to the bare log (bench_common) in one
    transaction, commits with synchronous=FULL, then answers ACK with the
    position and chain hash for every event. Checkpoints are kept off the
    commit path as the store keeps them. No decoding beyond the envelope,
    no validation, no deduplication beyond the UNIQUE indexes, no
    projections, no feed. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "bench_common.h"
#include "bench_hub.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BATCH_MAX 1000
/* A PASSIVE checkpoint after the answers once the WAL holds more than
   this: in a round of a fresh log (64,000 events, about 10,000 frames)
   none runs, so the floor never copies pages into the database nor syncs
   it while it is timed. The store's threshold is a setting (default
   20,000; bench_ingest --checkpoint-frames); the floor keeps 20,000, the
   faster policy for it in a fresh log (docs/PERFORMANCE.md, "The log's
   WAL rewritten in place"), so it stays the harder baseline. */
#define S_WAL_FRAMES  20000
#define S_SUBMITS_MAX S_BATCH_MAX

typedef struct {
    char ingest[512];
    char pair[512];
    char db[512];
} s_args_t;

/* Releases zactor_new, then says whether the actor is up. */
static void s_ready (zsock_t *pipe, bool up)
{
    zsock_signal (pipe, 0);
    zstr_send (pipe, up ? "up" : "down");
}

/* True when the actor said it is up. */
static bool s_up (zactor_t *actor)
{
    char *verdict = actor ? zstr_recv (actor) : NULL;
    bool up = verdict && streq (verdict, "up");
    zstr_free (&verdict);
    return up;
}

/* The broker's part: frames in, frames out, nothing else. */
static void s_front (zsock_t *pipe, void *arg)
{
    const s_args_t *args = arg;
    pthread_setname_np (pthread_self (), "floor-front");
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_t *pair = zsock_new (ZMQ_PAIR);
    zsock_set_rcvhwm (router, 0);
    zsock_set_sndhwm (pair, 0);
    zsock_set_rcvhwm (pair, 0);
    bool up = zsock_bind (router, "%s", args->ingest) == 0 &&
              zsock_bind (pair, "%s", args->pair) == 0;
    s_ready (pipe, up);
    zpoller_t *poller = zpoller_new (pipe, router, pair, NULL);
    while (up) {
        zsock_t *which = zpoller_wait (poller, -1);
        if (which == pipe || !which)
            break;
        zsock_t *to = which == router ? pair : router;
        zmsg_t *msg = zmsg_recv (which);
        if (msg)
            zmsg_send (&msg, to);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&pair);
    zsock_destroy (&router);
}

typedef struct {
    zmsg_t *submits[S_SUBMITS_MAX]; /* [routing id][JEJAK/1][SUBMIT][ev..] */
    zframe_t *routing[S_SUBMITS_MAX];
    size_t count;
    size_t events;
    jk_answer_t *answers; /* S_BATCH_MAX */
} s_batch_t;

/* Appends the batch in one transaction, commits, answers every event. */
static int s_batch_run (s_batch_t *b, jk_bench_log_t *log, zsock_t *pair)
{
    size_t a = 0;
    if (jk_bench_log_begin (log))
        return -1;
    for (size_t s = 0; s < b->count; s++)
        for (zframe_t *f = zmsg_first (b->submits[s]); f;
             f = zmsg_next (b->submits[s]), a++) {
            jk_bench_event_t e;
            jk_answer_t *answer = &b->answers[a];
            memset (answer, 0, sizeof *answer);
            if (jk_bench_event (zframe_data (f), zframe_size (f), &e) ||
                jk_bench_log_append (log, &e, &answer->pos, answer->hash)) {
                jk_bench_log_rollback (log);
                fprintf (stderr, "transport floor: event not appended\n");
                return -1;
            }
            memcpy (answer->id, e.id, 16);
            answer->kind = JK_ANSWER_ACK;
        }
    if (jk_bench_log_commit (log))
        return -1;
    a = 0;
    for (size_t s = 0; s < b->count; s++) {
        zmsg_t *reply = jk_wire_new ("ANSWER");
        zmsg_prepend (reply, &b->routing[s]);
        for (size_t k = zmsg_size (b->submits[s]); k > 0; k--)
            jk_answer_add (reply, &b->answers[a++]);
        zmsg_send (&reply, pair);
        zmsg_destroy (&b->submits[s]);
    }
    b->count = b->events = 0;
    jk_bench_log_checkpoint (log, S_WAL_FRAMES);
    return 0;
}

/* The store's part: group commit of whatever is waiting. */
static void s_writer (zsock_t *pipe, void *arg)
{
    const s_args_t *args = arg;
    /* Named apart from the store's writer for per-thread CPU figures
       (bench/threadcpu). */
    pthread_setname_np (pthread_self (), "floor-writer");
    zsock_t *pair = zsock_new (ZMQ_PAIR);
    zsock_set_sndhwm (pair, 0);
    zsock_set_rcvhwm (pair, 0);
    jk_bench_log_t *log = jk_bench_log_open (args->db, true);
    bool up = log && zsock_connect (pair, "%s", args->pair) == 0;
    s_ready (pipe, up);
    s_batch_t batch;
    memset (&batch, 0, sizeof batch);
    batch.answers =
        jk_calloc (S_BATCH_MAX + JK_SUBMIT_MAX_EVENTS, sizeof *batch.answers);
    zpoller_t *poller = zpoller_new (pipe, pair, NULL);
    while (up) {
        zsock_t *which = zpoller_wait (poller, -1);
        if (which != pair)
            break;
        while (batch.events < S_BATCH_MAX &&
               (zsock_events (pair) & ZMQ_POLLIN)) {
            zmsg_t *msg = zmsg_recv (pair);
            zframe_t *routing = msg ? zmsg_pop (msg) : NULL;
            char command[16];
            if (!routing || jk_wire_open (msg, command, sizeof command) ||
                !streq (command, "SUBMIT") || zmsg_size (msg) == 0 ||
                zmsg_size (msg) > JK_SUBMIT_MAX_EVENTS) {
                fprintf (stderr, "transport floor: not a SUBMIT\n");
                zframe_destroy (&routing);
                zmsg_destroy (&msg);
                continue;
            }
            batch.routing[batch.count] = routing;
            batch.submits[batch.count++] = msg;
            batch.events += zmsg_size (msg);
        }
        if (batch.count > 0 && s_batch_run (&batch, log, pair))
            break;
    }
    for (size_t s = 0; s < batch.count; s++) {
        zmsg_destroy (&batch.submits[s]);
        zframe_destroy (&batch.routing[s]);
    }
    free (batch.answers);
    zpoller_destroy (&poller);
    jk_bench_log_close (&log);
    zsock_destroy (&pair);
}

int jk_bench_floor_start (jk_bench_hub_t *hub, const char *dir,
                          const char *name)
{
    memset (hub, 0, sizeof *hub);
    /* The actors read their endpoints before their first signal, which
       zactor_new waits for, so the strings may live on this stack. */
    s_args_t args;
    snprintf (args.ingest, sizeof args.ingest, "ipc://%s/floor-%s", dir, name);
    snprintf (args.pair, sizeof args.pair, "inproc://bench-floor-%s", name);
    snprintf (args.db, sizeof args.db, "%s/floor-%s.db", dir, name);
    snprintf (hub->ingest, sizeof hub->ingest, "%s", args.ingest);
    snprintf (hub->backend, sizeof hub->backend, "%s", args.pair);
    snprintf (hub->db, sizeof hub->db, "%s", args.db);
    hub->broker = zactor_new (s_front, &args);
    bool up = s_up (hub->broker);
    hub->store = up ? zactor_new (s_writer, &args) : NULL;
    if (!up || !s_up (hub->store)) {
        jk_bench_hub_stop (hub);
        return -1;
    }
    return 0;
}
