/*  delivery_internal.h - the state of one delivery run, shared by its
    files only (delivery.c: the run's loop and the SUBMITs it builds;
    delivery_link.c: the socket, the window of SUBMITs in flight and the
    cursor; delivery_answers.c: what the broker sends back). Not part of
    jk_agent.h. */
#ifndef JK_DELIVERY_INTERNAL_H
#define JK_DELIVERY_INTERNAL_H

#include "jk_agent.h"

#define S_COMPONENT   "delivery"
#define S_WINDOW_MAX  64
#define S_DAMAGED_MAX 64 /* damaged rows noted per SUBMIT built */
/* Bounds on the loops a store's answers can start: rounds of
   re-delivering answered events, and E_SEQ_GAP rewinds in a row without
   any event answered in between. Past them delivery stops (JK_CLOSED). */
#define S_REDELIVER_MAX 2
#define S_REWIND_MAX    8

/* One SUBMIT on the wire, waiting for its ANSWER. */
typedef struct {
    size_t count;        /* events in it */
    uint64_t *seqs;      /* their seqs, in order */
    uint8_t (*ids)[16];  /* their ids, in order */
    int64_t sent_at;     /* monotonic ms */
    int64_t sent_wall;   /* wall clock ms, for the rows' sent_at */
    uint64_t generation; /* cursor generation when sent */
    bool marked;         /* its rows were marked SENT */
} jk_flight_t;

typedef struct {
    jk_outbox_t *outbox;
    const jk_delivery_config_t *config;
    jk_delivery_stats_t *stats;
    zsock_t *dealer;                   /* NULL while backing off */
    jk_flight_t flights[S_WINDOW_MAX]; /* ring of SUBMITs in flight */
    size_t head, inflight;             /* ring front and size */
    int window, batch;
    uint64_t cursor;          /* next send takes seqs > cursor */
    uint64_t generation;      /* bumped on every rewind */
    int64_t resume_at;        /* no sending before (mono ms) */
    int backoff_ms;           /* next backoff */
    int64_t last_heard;       /* mono ms of the last message */
    int64_t last_sent;        /* mono ms of the last message sent */
    int64_t connected_at;     /* mono ms of the current socket */
    int64_t progress_at;      /* mono ms of the last final answer */
    jk_heartbeat_t heartbeat; /* what PINGs carry */
    bool closed;              /* delivery cannot go on */
    bool pong_seen;           /* a PONG came on this run */
    bool heard;               /* the broker answered on this connection */
    bool clock_warned;        /* the clock warning was printed */
    int redeliveries;         /* rounds of answered events sent again */
    int rewinds;              /* E_SEQ_GAP rewinds since the last answer */
    uint64_t damaged[S_DAMAGED_MAX]; /* rows s_collect found damaged */
    char damage[S_DAMAGED_MAX][160]; /* and why */
    size_t damaged_count;
    /* The SUBMIT being built by s_collect. */
    zmsg_t *msg;
    jk_flight_t *building;
} jk_delivery_t;

/* The one place the DEALER to the broker is made: security (CURVE) is
   added here. NULL when it cannot be made (logged). */
zsock_t *jk_delivery_connect (const jk_delivery_config_t *config);
/* Frees a flight's arrays and clears it. */
void jk_delivery_flight_clear (jk_flight_t *f);
/* The oldest SUBMIT in flight. */
jk_flight_t *jk_delivery_front (jk_delivery_t *run);
/* Forgets the oldest SUBMIT in flight. */
void jk_delivery_pop (jk_delivery_t *run);
/* Marks a SUBMIT's events SENT unless done already (see jk_agent.h,
   JK_DELIVERY_SENT_MARK_MS); JK_OK or JK_IO. */
int jk_delivery_mark (jk_delivery_t *run, jk_flight_t *f);
/* Marks the SUBMITs in flight SENT and forgets them (the connection is
   dropped or the run ends); JK_OK or JK_IO (all are forgotten anyway). */
int jk_delivery_drop (jk_delivery_t *run);
/* Drops the socket and everything in flight; sending resumes from the
   oldest unanswered event after a backoff. */
void jk_delivery_disconnect (jk_delivery_t *run, const char *why);
/* Sends sending-from-seq back to the given point (a gap or a retryable
   NACK), ignoring stale retry answers already on their way. */
void jk_delivery_rewind (jk_delivery_t *run, uint64_t from_seq, int delay_ms);
/* Sends a PING with the run's heartbeat. */
void jk_delivery_ping (jk_delivery_t *run);
/* Handles one message from the broker; JK_OK or JK_IO. */
int jk_delivery_handle (jk_delivery_t *run, zmsg_t *msg);

#endif
