/*  status_run.h - what jejak-status's main drives: the one-shot board
    (once.c), the live board (live.c), the web page's as-of answers
    (once.c) and a federation link's STATS (link.c). Not part of
    jk_status.h. */
#ifndef JK_STATUS_RUN_H
#define JK_STATUS_RUN_H

#include "jk_active.h"
#include "jk_opts.h"
#include "jk_status.h"

/* No --as-of: the day is today in WIB, asked anew at each render. Any
   other value is a day since 1970-01-01, negative before it. */
#define JK_STATUS_TODAY INT32_MIN

/* Where and how to ask the store for a snapshot (--once, and the web
   page's as-of requests, which run on the HTTP threads: read only). */
typedef struct {
    const char *endpoint;   /* --query */
    const char *broker_key; /* CURVE, or NULL */
    const char *key;
    const char *rule; /* --active-rule as given, or NULL: the default */
    int timeout_s;
} jk_status_store_t;

/* What the web page's date picker needs (read only on HTTP threads). */
typedef struct {
    jk_status_store_t store;
    const char *kecamatan, *batch; /* the board's filters */
} jk_status_as_of_t;

/* A DEALER to --link (CURVE with --link-key/--link-server-key), or NULL
   when there is none or it cannot be set up (logged). */
zsock_t *jk_status_link_socket (jk_opts_t *opts);
/* Asks for the link's STATS (no wait). */
void jk_status_link_ask (zsock_t *sock);
/* Takes the newest STATS answer waiting (or waits up to wait_ms for one)
   into *text; returns true when one came. */
bool jk_status_link_take (zsock_t *sock, int wait_ms, char **text);

/* jk_web_as_of_fn (arg: a jk_status_as_of_t): SNAPSHOT as of day from
   the store, as the board's JSON document ("state": "as-of"). */
char *jk_status_web_as_of (void *arg, int32_t day, size_t *size, char *err,
                           size_t err_size);
/* The one-shot board: SNAPSHOT from the store, rendered once (day
   JK_STATUS_TODAY: the store's today). Exit code. */
int jk_status_once (jk_opts_t *opts, const jk_status_store_t *store,
                    jk_status_view_t *view, bool json, int32_t day);
/* The live board until SIGINT/SIGTERM; with web, every refresh is also
   published to it, and with quiet nothing is printed. Exit code. */
int jk_status_live (jk_opts_t *opts, jk_status_view_t *view, bool json,
                    int32_t fixed_day, const jk_active_rule_t *rule,
                    jk_web_t *web, bool quiet, jk_ckwatch_t *watch);

#endif
