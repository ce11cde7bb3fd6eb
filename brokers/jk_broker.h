/*  jk_broker.h - the broker: ingest (ROUTER) from agents, backend (ROUTER)
    to the store, feed (XPUB) to live subscribers. A stateless router: it
    never acknowledges on its own. Runs as a CZMQ actor so the hub embeds
    it beside the store; jejak-broker runs the same actor alone. */
#ifndef JK_BROKER_H
#define JK_BROKER_H

#include <czmq.h>
#include <stdbool.h>

typedef struct {
    const char *ingest;  /* endpoint to bind for agents */
    const char *feed;    /* endpoint to bind for subscribers */
    const char *backend; /* endpoint to bind for the store */
    int feed_hwm;        /* per-subscriber queue; 0 = default */
    /* Security (CURVE): NULL for plain mode. */
    const char *cert_path; /* the broker's secret certificate */
    const char *keys_dir;  /* enrolled office certificates */
} jk_broker_config_t;

/* Default per-subscriber feed queue, in messages (feed_hwm = 0). */
#define JK_BROKER_FEED_HWM 100000

/* Starts the broker actor: binds every endpoint, then returns it ready.
   Returns NULL when an endpoint cannot be bound (the endpoint and the
   reason are logged). config is read during the call only. "$TERM" (or
   zactor_destroy) stops it. Further commands on the actor pipe: "STATS"
   answers one frame of text "key=value ..." with its counters (received,
   forwarded, acked, rejected, duplicates, nacked, unavailable, busy,
   protocol_errors, feed_published, feed_drops, clients, store, head_pos).
   The broker never acknowledges on its own: answers come from the store,
   or are retryable NACKs E_UNAVAILABLE (no store) / E_BUSY (store queue
   full). */
zactor_t *jk_broker_start (const jk_broker_config_t *config);

/* The endpoint of role ("ingest", "feed" or "backend") as the broker bound
   it, a `*` port replaced by the port chosen (jk_endpoint_shown); the
   pipe command "ENDPOINT" role. Caller frees (zstr_free); "" for another
   role. */
char *jk_broker_endpoint (zactor_t *broker, const char *role);

/* ---- for the programs that run a broker (jejak-broker, jejak-hub) ------ */

/* Plain (unencrypted) mode is for local endpoints only. With no keys
   directory, checks the count endpoints (NULL entries are skipped); on the
   first that is not loopback or ipc prints a refusal naming it and the way
   out (jejak-keys, --keys) for program, and returns false. Returns true
   when the endpoints may be bound as asked. */
bool jk_broker_plain_allowed (const char *program, const char *keys,
                              const char *const *endpoints, size_t count);

/* Runs until SIGINT/SIGTERM: SIGHUP sends RELOAD (enrolled keys) to the
   broker; a "FATAL" from the store actor (may be NULL) ends the run.
   Returns 0 after a signal, 1 after a fatal store error (reported on
   stderr for program). */
int jk_broker_run (const char *program, zactor_t *broker, zactor_t *store);

#endif
