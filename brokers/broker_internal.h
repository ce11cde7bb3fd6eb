/*  broker_internal.h - the broker actor's state, shared by its files
    only (broker.c: the actor, its loop and ticks; broker_sockets.c:
    socket setup and sends that never block; broker_clients.c: the
    clients' table and the errors answered to them; broker_secure.c:
    CURVE, zauth and the per-event key check; broker_ingest.c: what
    agents send; broker_store.c: what the store sends; broker_stats.c:
    the counters line). Not part of jk_broker.h. */
#ifndef JK_BROKER_INTERNAL_H
#define JK_BROKER_INTERNAL_H

#include "jk_broker.h"
#include "jk_endpoint.h"
#include "jk_fault.h"
#include "jk_keys.h"
#include "jk_opts.h"
#include "jk_wire.h"

#define S_COMPONENT "broker"

typedef struct {
    uint64_t received;         /* events in well-formed SUBMITs */
    uint64_t forwarded;        /* events passed to the store */
    uint64_t acked;            /* ACK answers routed back */
    uint64_t rejected;         /* REJECTED answers routed back */
    uint64_t duplicates;       /* DUPLICATE answers routed back */
    uint64_t nacked;           /* NACK answers from the store routed back */
    uint64_t unavailable;      /* events answered E_UNAVAILABLE by the broker */
    uint64_t busy;             /* events answered E_BUSY by the broker */
    uint64_t protocol_errors;  /* malformed messages from clients or store */
    uint64_t feed_published;   /* records published on the feed */
    uint64_t feed_drops;       /* feed messages dropped (full subscriber) */
    uint64_t forbidden;        /* events answered E_FORBIDDEN (secure mode) */
    uint64_t handshake_failed; /* CURVE handshakes refused (plain client,
                                  unknown or revoked key) */
    uint64_t keys_reloaded;    /* reloads of the enrolled keys */
    uint64_t stores_refused;   /* messages from a second store, refused */
    uint64_t pongs_routed;     /* PONGs of the store routed to agents */
    uint64_t checkpoints;      /* signed checkpoints published */
} jk_broker_counters_t;

/* What one enrolled key did, by fingerprint (secure mode). */
typedef struct {
    char fingerprint[17]; /* first 8 bytes of the public key in hex */
    char who[80];         /* OFFICE/DEVICE or reader name, for logs */
    uint64_t submitted;   /* events received from it */
    uint64_t forbidden;   /* of which answered E_FORBIDDEN */
    bool logged;          /* a violation was logged already */
} jk_broker_key_stats_t;

typedef struct {
    char key[2 * 256 + 1];    /* routing id in hex */
    jk_heartbeat_t heartbeat; /* last heartbeat, or source from an event */
    int64_t last_seen_mono;   /* monotonic ms of its last message */
    int64_t last_seen_ms;     /* wall clock ms of its last message */
    bool error_logged;        /* a protocol error was logged already */
} jk_broker_client_t;

/* One message's parts as received (broker_relay.c): a SUBMIT's routing
   id, signature, command and up to JK_SUBMIT_MAX_EVENTS events fit. */
#define JK_BROKER_PARTS_MAX (JK_SUBMIT_MAX_EVENTS + 3)
typedef struct {
    zmq_msg_t part[JK_BROKER_PARTS_MAX];
    size_t count;     /* parts held */
    bool more;        /* the message goes on beyond part[], still unread */
    jk_fault_t fault; /* injected for tests (jk_fault.h) */
    bool interrupted; /* JK_FAULT_RELAY_INTERRUPTED: this part's was */
} jk_broker_parts_t;

typedef struct {
    zsock_t *pipe;    /* actor pipe */
    zsock_t *ingest;  /* ROUTER, agents */
    zsock_t *backend; /* ROUTER, the store */
    zsock_t *feed;    /* XPUB, subscribers */
    /* The three endpoints as bound, a `*` port as chosen (ENDPOINT). */
    char shown_ingest[JK_ENDPOINT_SHOWN_MAX];
    char shown_feed[JK_ENDPOINT_SHOWN_MAX];
    char shown_backend[JK_ENDPOINT_SHOWN_MAX];
    zframe_t *store_id;       /* routing id of the store, or NULL */
    int64_t store_seen_mono;  /* monotonic ms of the store's last message */
    bool store_up;            /* heard from within liveness */
    bool head_known;          /* a head came from the store */
    uint64_t head_pos;        /* last known head position */
    uint8_t head_hash[32];    /* chain hash at head_pos */
    int64_t store_clock_ms;   /* the store's clock in its last PING, or 0 */
    int64_t store_clock_mono; /* monotonic ms when that PING came */
    zframe_t *refused_id;     /* the last second store refused (logged) */
    bool store_error_logged;  /* a malformed message of this store logged */
    zhashx_t *clients;        /* key -> jk_broker_client_t */
    jk_broker_counters_t counters; /* running totals */
    jk_broker_counters_t reported; /* totals at the last log line */
    int64_t next_tick;             /* monotonic ms of the next heartbeat tick */
    int64_t next_report;           /* monotonic ms of the next counter line */
    bool terminated;               /* $TERM received */
    /* Secure mode only (all NULL in plain mode). */
    zactor_t *auth;           /* czmq zauth: ZAP handler for CURVE */
    zcert_t *cert;            /* the broker's certificate */
    char *keys_dir;           /* enrolled public certificates */
    jk_keyring_t *keyring;    /* the same, indexed for per-event checks */
    zhashx_t *key_stats;      /* fingerprint -> jk_broker_key_stats_t */
    zsock_t *monitor;         /* ingest handshake events (PAIR) */
    jk_broker_parts_t *parts; /* the message being relayed */
} jk_broker_state_t;

/* Creates and binds one socket. Every socket of the broker is set up here,
   so transport security (CURVE on ingest, ZAP) has one place to go. */
zsock_t *jk_broker_socket (const jk_broker_config_t *config, zcert_t *cert,
                           int type, const char *role, const char *endpoint);
/* Sends a message without blocking. Returns 0 and destroys it, or -1 with
   errno set and the message intact when the first frame was refused. */
int jk_broker_send_nowait (zmsg_t **msg_p, zsock_t *sock);

/* The clients' table's destructor. */
void jk_broker_client_free (void **item);
/* Finds or creates the entry of a client, refreshing its last-seen time.
   NULL when the table is full. */
jk_broker_client_t *jk_broker_client_touch (jk_broker_state_t *self,
                                            zframe_t *rid);
/* The same by the routing id's bytes. */
jk_broker_client_t *jk_broker_client_touch_id (jk_broker_state_t *self,
                                               const void *rid, size_t size);
/* Names a client's office before its first heartbeat from the source of
   its first event (size bytes at data); nothing when client is NULL, is
   named already, or the envelope does not read. */
void jk_broker_client_name (jk_broker_client_t *client, const void *data,
                            size_t size);
/* Answers a protocol error to a client, counts it, and logs it the first
   time for that client. */
void jk_broker_protocol_error (jk_broker_state_t *self, zframe_t *rid,
                               jk_broker_client_t *client, const char *code,
                               const char *message);
/* Answers every event of a SUBMIT (frames from the cursor on) with one
   retryable NACK carrying code. */
void jk_broker_refuse (jk_broker_state_t *self, zframe_t *rid, zmsg_t *events,
                       const char *code, const char *message);

/* Starts secure mode when config asks for it: the broker's certificate,
   zauth with CURVE against the enrolled certificates, the keyring.
   Before any socket is bound. Returns JK_OK, or with the reason logged
   JK_INVALID (half a configuration) or JK_IO (the certificate cannot be
   loaded). */
int jk_broker_secure_start (jk_broker_state_t *self,
                            const jk_broker_config_t *config);
/* Watches the ingest socket's handshakes (secure mode). */
void jk_broker_monitor_start (jk_broker_state_t *self);
/* Reads one handshake event of the ingest socket's monitor and counts
   the refused ones. */
void jk_broker_monitor_event (jk_broker_state_t *self);
/* Re-reads the enrolled keys when their directory changed (or always,
   with force), and has zauth reload its certificate store as well. */
void jk_broker_keys_refresh (jk_broker_state_t *self, bool force);
/* Takes out of msg the events the sending key may not submit, answering
   them NACK E_FORBIDDEN. */
void jk_broker_authorize (jk_broker_state_t *self, zframe_t *rid,
                          const char *user_id, zmsg_t *msg);
/* True when the enrolled key user_id may submit every event of p from
   part first on (it is then counted as jk_broker_authorize counts it);
   false, counting nothing, when it is not enrolled or any event is
   forbidden: jk_broker_authorize then answers those. */
bool jk_broker_permits_all (jk_broker_state_t *self, const char *user_id,
                            const jk_broker_parts_t *p, size_t first);
void jk_broker_secure_stop (jk_broker_state_t *self);

/* A SUBMIT the backend did not take (gone: EHOSTUNREACH, else its queue
   is full): every event answered NACK E_UNAVAILABLE (the store marked
   down) or E_BUSY, and counted. */
void jk_broker_submit_refused (jk_broker_state_t *self, zframe_t *rid,
                               zmsg_t *events, bool gone);
/* One message from the ingest socket; user_id is the CURVE key ZAP gave
   its connection (secure mode), or "". */
void jk_broker_ingest_message (jk_broker_state_t *self, zmsg_t **msg_p,
                               const char *user_id);

/* One message from the backend socket. */
void jk_broker_backend_message (jk_broker_state_t *self, zmsg_t **msg_p);
/* Counts one answer of the store by its kind (an undecodable one is a
   protocol error, passed on all the same). */
void jk_broker_answer_count (jk_broker_state_t *self, const void *data,
                             size_t size);
/* Publishes a RECORDS frame's records on the feed, each as its own
   message, and moves the head; a malformed record ends it (counted). */
void jk_broker_records_publish (jk_broker_state_t *self, const uint8_t *data,
                                size_t size);

/* Handles the next message of the ingest (or backend) socket, if one is
   there: the busy paths (SUBMITs, the store's ANSWERs and RECORDS) move its
   parts on without frame objects (broker_relay.c), any other goes to
   jk_broker_ingest_message (jk_broker_backend_message). False when no message
   was waiting. */
bool jk_broker_relay_ingest (jk_broker_state_t *self);
bool jk_broker_relay_backend (jk_broker_state_t *self);
jk_broker_parts_t *jk_broker_parts_new (void);
void jk_broker_parts_destroy (jk_broker_parts_t **parts_p);
/* Marks the store unavailable, logging it once. */
void jk_broker_store_down (jk_broker_state_t *self, const char *reason);
/* Sends one message on the feed without ever blocking: a full subscriber
   makes it a counted drop. */
bool jk_broker_feed_send (jk_broker_state_t *self, zmsg_t **msg_p);

/* The counters as one line "received=N forwarded=N ..." (STATS). */
void jk_broker_counters_text (jk_broker_state_t *self, char *out, size_t size);

#endif
