/*  outbox_internal.h - the outbox's state, shared by its files only
    (outbox.c: open, transactions, put and read; outbox_answers.c: the
    delivery's bookkeeping; outbox_default.c: the default outbox and the
    move from older versions' files). Not part of jk_agent.h. */
#ifndef JK_OUTBOX_INTERNAL_H
#define JK_OUTBOX_INTERNAL_H

#include "jk_agent.h"

#include <sqlite3.h>

/* Prepared once at open, in this order. */
enum {
    Q_INSERT,
    Q_NEXT_SEQ,
    Q_FIND,
    Q_GET,
    Q_LIST,
    Q_MARK_SENT,
    Q_STORED,
    Q_REJECTED,
    Q_COUNT_STATE,
    Q_LAST_STORED,
    Q_PRUNE,
    Q_REQUEUE,
    Q_OPEN,
    Q_REDELIVER,
    Q_SAME,
    Q_OPEN_ANY,
    Q_NEWEST,
    Q_COUNT
};

struct jk_outbox_s {
    sqlite3 *db;              /* the outbox file */
    sqlite3_stmt *q[Q_COUNT]; /* prepared statements */
    char *path;               /* for messages */
    char *source;             /* owner source */
    uint64_t next_seq;        /* seq the next put takes */
    bool in_tx;               /* inside jk_outbox_begin */
    bool tx_full;             /* current transaction must be FULL */
    jk_outbox_row_t row;      /* last row read (borrowed strings) */
};

/* jk_outbox_open, with why it failed in *why (JK_CONFLICT: the outbox
   belongs to another source; JK_IO otherwise). */
jk_outbox_t *jk_outbox_open_why (const char *path, const char *source, int *why,
                                 char *err, size_t err_size);
/* Runs sql; JK_OK or JK_IO (logged). */
int jk_outbox_exec (jk_outbox_t *self, const char *sql);
/* Logs SQLite's error for op; returns JK_IO. */
int jk_outbox_fail (jk_outbox_t *self, const char *op);
/* Reads a meta value into out; false when absent. */
bool jk_outbox_meta_get (jk_outbox_t *self, const char *key, char *out,
                         size_t size);
/* Writes a meta value; JK_OK or JK_IO. */
int jk_outbox_meta_set (jk_outbox_t *self, const char *key, const char *value);
/* Starts a write transaction, FULL when it writes events, NORMAL for the
   delivery bookkeeping (see jk_agent.h); JK_OK or JK_IO. */
int jk_outbox_begin_sync (jk_outbox_t *self, bool full);

#endif
