/*  board_internal.h - the board's state, shared by its files only
    (board.c: the class, its sockets, the feed's and the query
    endpoint's messages, timers; board_sync.c: the sink kept equal to the
    log, catch-up windows, the feed buffer; board_state.c: loading the
    store's STATE image). Not part of jk_status.h. */
#ifndef JK_BOARD_INTERNAL_H
#define JK_BOARD_INTERNAL_H

#include "jk_status.h"

struct jk_board_s {
    jk_board_config_t config; /* copy, endpoints duplicated below */
    char *feed_ep;            /* feed endpoint */
    char *query_ep;           /* query endpoint */
    jk_board_sink_t sink;     /* where records go */
    zsock_t *feed;            /* SUB to the broker's feed */
    zsock_t *query;           /* DEALER to the store's query endpoint */
    zpoller_t *poller;        /* on feed and query */
    jk_board_state_t state;   /* starting, catching up, live */
    uint64_t pos;             /* last applied position */
    uint8_t hash[32];         /* chain hash at pos */
    uint64_t head;            /* highest head seen */
    uint64_t suspect;         /* a head beyond pos, checked next time */
    bool catching;            /* a SINCE stream (or STATE) is running */
    bool loading;             /* a STATE is on its way */
    bool no_state;            /* the store sends none: history only */
    uint8_t *image;           /* the STATE image so far (sqlite3_malloc) */
    uint64_t state_size, state_got;
    uint64_t state_outstanding; /* STATE messages granted, not yet come */
    uint64_t outstanding;       /* credit granted and not yet used */
    zlistx_t *buffer;           /* feed records held, zmsg_t *, by pos */
    uint64_t feed_count;        /* feed records seen (for drop_every) */
    int64_t feed_heard;         /* mono ms of the last feed message */
    int64_t query_heard;        /* mono ms of the last query message */
    int64_t query_asked;        /* mono ms of the oldest unanswered ask */
    int64_t head_pinged;        /* mono ms of the last HEAD sent */
    bool feed_silent;           /* feed past its silence limit */
    bool store_silent;          /* store past its silence limit */
    bool in_batch;              /* sink begin called, commit pending */
    bool changed;               /* something visible changed */
    jk_status_note_t note;      /* latest recovery note */
    bool settling;              /* STATS asked (sink.settings), no answer */
    jk_status_note_t notice;    /* the settings' notice, shown without a
                                   note */
    jk_board_stats_t stats;     /* counters */
    jk_office_t *offices;       /* heartbeats, sorted by source */
    size_t office_count;        /* entries in offices */
};

/* Sets the note shown to the user, code with its arguments
   (jk_status_note_set), and logs it (in English) when it changed. */
void jk_board_say (jk_board_t *self, const char *code, ...);
void jk_board_set_state (jk_board_t *self, jk_board_state_t state);
/* Asks the store for everything after pos, with a fresh credit window.
   A new SINCE replaces any stream the store is still sending. */
void jk_board_catch_up (jk_board_t *self);
/* Tops the window up once half of it is used, never beyond the window. */
void jk_board_grant (jk_board_t *self);
/* Asks the store for its projections' state (STATE) when the sink can
   load one, else for the whole history (SINCE from 0). */
void jk_board_start_over (jk_board_t *self);
/* Drops the sink's content and starts again from position 0; why is
   the note that says so (a code without arguments, e.g.
   "head_backwards"). */
void jk_board_reset (jk_board_t *self, const char *why);
/* Applies one record that is the next position; JK_OK, or JK_IO when the
   sink failed (the board has then reset). */
int jk_board_apply (jk_board_t *self, const jk_record_t *record, bool feed);
/* Commits the sink's open batch, if any. */
void jk_board_commit (jk_board_t *self);
/* Orders buffered feed records by position (zlistx comparator). */
int jk_board_msg_compare (const void *a, const void *b);
/* Inserts a feed record into the buffer, kept sorted by position. */
void jk_board_buffer (jk_board_t *self, zmsg_t **msg_p, uint64_t pos);
/* Applies buffered feed records that continue the position; returns true
   when a gap remains in front of what is buffered. */
bool jk_board_drain (jk_board_t *self);
/* After a catch-up ends: live when the buffer joins on, else catch up
   again from where the log left us. */
void jk_board_end_catch_up (jk_board_t *self);
/* Learns the head (hash: at pos, or NULL); a head behind us or another
   hash at our position means the log was replaced: start over. */
void jk_board_head_seen (jk_board_t *self, uint64_t pos, const uint8_t *hash);
/* Takes one STATE message. */
void jk_board_on_state (jk_board_t *self, zmsg_t *msg);

#endif
