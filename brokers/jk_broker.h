/*  jk_broker.h - the broker: ingest (ROUTER) from agents, backend (ROUTER)
    to the store, feed (XPUB) to live subscribers. A stateless router: it
    never acknowledges on its own. Runs as a CZMQ actor so the hub embeds
    it beside the store; jejak-broker runs the same actor alone. */
#ifndef JK_BROKER_H
#define JK_BROKER_H

#include <czmq.h>

typedef struct {
    const char *ingest;           /* endpoint to bind for agents */
    const char *feed;             /* endpoint to bind for subscribers */
    const char *backend;          /* endpoint to bind for the store */
    int feed_hwm;                 /* per-subscriber queue; 0 = default */
    /* Security (CURVE): NULL for plain mode. */
    const char *cert_path;        /* the broker's secret certificate */
    const char *keys_dir;         /* enrolled office certificates */
} jk_broker_config_t;

/* Starts the broker actor: binds every endpoint, then signals ready (0)
   or failure (1, with the reason logged). "$TERM" stops it. Further
   commands on the actor pipe: "STATS" answers one frame of text
   "key=value ..." with its counters. */
zactor_t *jk_broker_start (const jk_broker_config_t *config);

#endif
