/*  jk_store.h - the store: the single writer of the event log and its
    projections, and its query endpoint. Runs as a CZMQ actor so the hub can
    embed it beside the broker; jejak-store runs the same actor alone. */
#ifndef JK_STORE_H
#define JK_STORE_H

#include "jk_projections.h"
#include <czmq.h>

typedef struct {
    const char *db_path;          /* SQLite file, created 0600 if absent */
    const char *backend;          /* broker backend endpoint to connect to */
    const char *query;            /* query endpoint to bind (NULL: none) */
    int batch_max;                /* group commit cap; 0 = default */
    jk_projections_config_t projections;
    /* Credentials for a CURVE query endpoint; NULL for plain. */
    const char *query_cert_path;
} jk_store_config_t;

/* Starts the store actor. It opens and migrates the database, connects to
   the backend, binds the query endpoint and then signals ready (zsock
   signal 0) or failure (1, with the reason logged). Send "$TERM" (or
   zactor_destroy) to stop it cleanly. Returns NULL when it failed to
   start. */
zactor_t *jk_store_start (const jk_store_config_t *config);

#endif
