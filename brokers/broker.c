/*  broker.c - the broker actor (jk_broker.h): routes SUBMITs from agents
    (ingest ROUTER) to the store (backend ROUTER), routes the store's
    ANSWERs back, publishes committed records and heartbeats on the feed
    (XPUB). Used by jejak-broker and jejak-hub. Frames: docs/PROTOCOL.md.
    In secure mode (docs/SECURITY.md) ingest is a CURVE server behind
    czmq's zauth, and every submitted event is checked against the
    enrolled key that sent it. */
#include "jk_broker.h"
#include "jk_keys.h"
#include "jk_opts.h"
#include "jk_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <zmq.h>

#define S_COMPONENT "broker"
/* Messages handled per socket per poll round, so one busy socket cannot
   starve the others (the ROUTER itself fair-queues between clients). */
#define S_BURST 64
/* Clients remembered at most; beyond this new clients are served but not
   tracked (no $office, no once-per-client log). */
#define S_CLIENTS_MAX 100000
/* Per-client receive queue on the ingest socket, in messages: bounds what
   one flooding client can make the broker hold before TCP pushes back. */
#define S_INGEST_RCVHWM 64
/* Messages queued towards the store before SUBMITs are refused E_BUSY. */
#define S_BACKEND_SNDHWM 1000
/* Default per-subscriber feed queue, in messages (see PROTOCOL.md). */
#define S_FEED_HWM JK_BROKER_FEED_HWM
/* Counter log line interval. */
#define S_REPORT_MS 10000

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
} s_counters_t;

/* What one enrolled key did, by fingerprint (secure mode). */
typedef struct {
    char fingerprint[17]; /* first 8 bytes of the public key in hex */
    char who[80];         /* OFFICE/DEVICE or reader name, for logs */
    uint64_t submitted;   /* events received from it */
    uint64_t forbidden;   /* of which answered E_FORBIDDEN */
    bool logged;          /* a violation was logged already */
} s_key_stats_t;

typedef struct {
    char key[2 * 256 + 1];    /* routing id in hex */
    jk_heartbeat_t heartbeat; /* last heartbeat, or source from an event */
    int64_t last_seen_mono;   /* monotonic ms of its last message */
    int64_t last_seen_ms;     /* wall clock ms of its last message */
    bool error_logged;        /* a protocol error was logged already */
} s_client_t;

typedef struct {
    zsock_t *pipe;            /* actor pipe */
    zsock_t *ingest;          /* ROUTER, agents */
    zsock_t *backend;         /* ROUTER, the store */
    zsock_t *feed;            /* XPUB, subscribers */
    zframe_t *store_id;       /* routing id of the store, or NULL */
    int64_t store_seen_mono;  /* monotonic ms of the store's last message */
    bool store_up;            /* heard from within liveness */
    bool head_known;          /* a head came from the store */
    uint64_t head_pos;        /* last known head position */
    uint8_t head_hash[32];    /* chain hash at head_pos */
    int64_t store_clock_ms;   /* the store's clock in its last PING, or 0 */
    int64_t store_clock_mono; /* monotonic ms when that PING came */
    zframe_t *refused_id;     /* the last second store refused (logged) */
    zhashx_t *clients;        /* key -> s_client_t */
    s_counters_t counters;    /* running totals */
    s_counters_t reported;    /* totals at the last log line */
    int64_t next_tick;        /* monotonic ms of the next heartbeat tick */
    int64_t next_report;      /* monotonic ms of the next counter line */
    bool terminated;          /* $TERM received */
    /* Secure mode only (all NULL in plain mode). */
    zactor_t *auth;        /* czmq zauth: ZAP handler for CURVE */
    zcert_t *cert;         /* the broker's certificate */
    char *keys_dir;        /* enrolled public certificates */
    jk_keyring_t *keyring; /* the same, indexed for per-event checks */
    zhashx_t *key_stats;   /* fingerprint -> s_key_stats_t */
    zsock_t *monitor;      /* ingest handshake events (PAIR) */
} s_broker_t;

/* ---- sockets ---------------------------------------------------------- */

/* Creates and binds one socket. Every socket of the broker is set up here,
   so transport security (CURVE on ingest, ZAP) has one place to go. */
static zsock_t *s_socket (const jk_broker_config_t *config, zcert_t *cert,
                          int type, const char *role, const char *endpoint)
{
    zsock_t *sock = zsock_new (type);
    assert (sock);
    zsock_set_linger (sock, 0);
    /* Secure mode: ingest always speaks CURVE (plain clients fail the
       handshake); the feed does when it leaves the machine. The backend
       is the store's, on inproc or a local endpoint. zauth (started
       before any bind) answers the ZAP requests. */
    if (cert && (streq (role, "ingest") ||
                 (streq (role, "feed") && !jk_endpoint_is_local (endpoint)))) {
        zcert_apply (cert, sock);
        zsock_set_curve_server (sock, 1);
        zsock_set_zap_domain (sock, "jejak");
    }
    if (streq (role, "ingest")) {
        zsock_set_maxmsgsize (sock, JK_MESSAGE_MAX_BYTES);
        zsock_set_rcvhwm (sock, S_INGEST_RCVHWM);
    } else if (streq (role, "backend")) {
        /* Mandatory routing: a send to a vanished store fails at once
           (EHOSTUNREACH) instead of being dropped silently. */
        zsock_set_router_mandatory (sock, 1);
        zsock_set_sndhwm (sock, S_BACKEND_SNDHWM);
    } else if (streq (role, "feed")) {
        int hwm = config->feed_hwm > 0 ? config->feed_hwm : S_FEED_HWM;
        zsock_set_sndhwm (sock, hwm);
        /* With NODROP a full subscriber makes the send fail with EAGAIN
           (we send with DONTWAIT), so drops are seen and counted. */
        zsock_set_xpub_nodrop (sock, 1);
    }
    if (zsock_bind (sock, "%s", endpoint) < 0) {
        jk_error (S_COMPONENT, "cannot bind %s endpoint %s: %s", role, endpoint,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

/* Sends a message without blocking. Returns 0 and destroys it, or -1 with
   errno set and the message intact when the first frame was refused. */
static int s_send_nowait (zmsg_t **msg_p, zsock_t *sock)
{
    zmsg_t *msg = *msg_p;
    zframe_t *frame = zmsg_pop (msg);
    bool first = true;
    while (frame) {
        int flags = ZFRAME_DONTWAIT | (zmsg_size (msg) ? ZFRAME_MORE : 0);
        if (zframe_send (&frame, sock, flags) < 0) {
            if (first) {
                int saved = errno;
                zmsg_prepend (msg, &frame);
                errno = saved;
                return -1;
            }
            /* Later frames follow the first once it was accepted; this
               cannot happen, but never leak. */
            zframe_destroy (&frame);
            break;
        }
        first = false;
        frame = zmsg_pop (msg);
    }
    zmsg_destroy (msg_p);
    return 0;
}

/* ---- clients ---------------------------------------------------------- */

static void s_client_free (void **item)
{
    free (*item);
    *item = NULL;
}

/* Finds or creates the entry of a client, refreshing its last-seen time.
   NULL when the table is full. */
static s_client_t *s_client_touch (s_broker_t *self, zframe_t *rid)
{
    char key[sizeof ((s_client_t *)0)->key];
    size_t size = zframe_size (rid) < 256 ? zframe_size (rid) : 256;
    jk_hex_format (zframe_data (rid), size, key);
    s_client_t *client = (s_client_t *)zhashx_lookup (self->clients, key);
    if (!client) {
        if (zhashx_size (self->clients) >= S_CLIENTS_MAX)
            return NULL;
        client = (s_client_t *)jk_calloc (1, sizeof *client);
        memcpy (client->key, key, sizeof key);
        zhashx_insert (self->clients, key, client);
        jk_debug (S_COMPONENT, "client connected client=%s", key);
    }
    client->last_seen_mono = jk_clock_mono_ms ();
    client->last_seen_ms = jk_clock_now_ms ();
    return client;
}

/* Answers a protocol error to a client, counts it, and logs it the first
   time for that client. */
static void s_protocol_error (s_broker_t *self, zframe_t *rid,
                              s_client_t *client, const char *code,
                              const char *message)
{
    self->counters.protocol_errors++;
    if (!client || !client->error_logged) {
        jk_warn (S_COMPONENT,
                 "protocol error client=%s code=%s reason=\"%s\" "
                 "(further errors from this client are counted only)",
                 client ? client->key : "?", code, message);
        if (client)
            client->error_logged = true;
    }
    zmsg_t *reply = jk_wire_error (code, message);
    zframe_t *dup = zframe_dup (rid);
    zmsg_prepend (reply, &dup);
    if (s_send_nowait (&reply, self->ingest))
        zmsg_destroy (&reply);
}

/* Answers every event of a SUBMIT (frames from the cursor on) with one
   retryable NACK carrying code. */
static void s_refuse (s_broker_t *self, zframe_t *rid, zmsg_t *events,
                      const char *code, const char *message)
{
    zmsg_t *reply = jk_wire_new ("ANSWER");
    for (zframe_t *f = zmsg_first (events); f; f = zmsg_next (events)) {
        jk_answer_t answer;
        memset (&answer, 0, sizeof answer);
        /* The id as far as it reads (at any size); zeros when it does
           not. */
        jk_envelope_id (zframe_data (f), zframe_size (f), answer.id);
        answer.kind = JK_ANSWER_NACK;
        snprintf (answer.code, sizeof answer.code, "%s", code);
        snprintf (answer.message, sizeof answer.message, "%s", message);
        jk_answer_add (reply, &answer);
    }
    zframe_t *dup = zframe_dup (rid);
    zmsg_prepend (reply, &dup);
    if (s_send_nowait (&reply, self->ingest))
        zmsg_destroy (&reply);
}

static void s_store_down (s_broker_t *self, const char *reason)
{
    if (self->store_up)
        jk_warn (S_COMPONENT, "store unavailable reason=\"%s\"", reason);
    self->store_up = false;
}

/* ---- secure mode ----------------------------------------------------------
 */

static void s_key_stats_free (void **item)
{
    free (*item);
    *item = NULL;
}

/* The counters of the key that sent a message (created on first use). */
static s_key_stats_t *s_key_stats (s_broker_t *self, const jk_key_t *key,
                                   const char *user_id)
{
    char fingerprint[17] = "unknown";
    uint8_t raw[32];
    if (key)
        snprintf (fingerprint, sizeof fingerprint, "%s", key->fingerprint);
    else if (user_id && strlen (user_id) == 40 && zmq_z85_decode (raw, user_id))
        jk_hex_format (raw, 8, fingerprint);
    s_key_stats_t *stats =
        (s_key_stats_t *)zhashx_lookup (self->key_stats, fingerprint);
    if (!stats) {
        stats = (s_key_stats_t *)jk_calloc (1, sizeof *stats);
        memcpy (stats->fingerprint, fingerprint, sizeof fingerprint);
        if (key && key->role == JK_KEY_OFFICE)
            snprintf (stats->who, sizeof stats->who, "%s/%s", key->office,
                      key->device);
        else if (key)
            snprintf (stats->who, sizeof stats->who, "reader %s", key->device);
        else
            snprintf (stats->who, sizeof stats->who, "not enrolled");
        zhashx_insert (self->key_stats, fingerprint, stats);
    }
    return stats;
}

/* Re-reads the enrolled keys when their directory changed (or always,
   with force), and has zauth reload its certificate store as well, so a
   revoked key is refused at its next handshake and at its next event. */
static void s_keys_refresh (s_broker_t *self, bool force)
{
    if (!self->keyring || !jk_keyring_refresh (self->keyring, force))
        return;
    zstr_sendx (self->auth, "CURVE", self->keys_dir, NULL);
    zsock_wait (self->auth);
    self->counters.keys_reloaded++;
    jk_info (S_COMPONENT, "enrolled keys reloaded dir=%s keys=%zu",
             self->keys_dir, jk_keyring_size (self->keyring));
}

/* Checks every event of a SUBMIT against the key that sent it (its CURVE
   public key, the User-Id ZAP gave the connection): events the key may
   not submit are answered NACK E_FORBIDDEN and taken out of msg; the rest
   stay for the store. A key revoked after it connected is refused here,
   event by event, without waiting for a reconnect. */
static void s_authorize (s_broker_t *self, zframe_t *rid, const char *user_id,
                         zmsg_t *msg)
{
    const jk_key_t *key = jk_keyring_lookup (self->keyring, user_id);
    if (!key) {
        /* zauth admitted a key enrolled since the last tick: look again
           (a stat of the directory when nothing changed). */
        s_keys_refresh (self, false);
        key = jk_keyring_lookup (self->keyring, user_id);
    }
    s_key_stats_t *stats = s_key_stats (self, key, user_id);
    stats->submitted += zmsg_size (msg);
    zmsg_t *reply = NULL;
    zmsg_t *kept = zmsg_new ();
    zframe_t *f;
    while ((f = zmsg_pop (msg)) != NULL) {
        jk_envelope_t envelope;
        memset (&envelope, 0, sizeof envelope);
        bool peeked =
            zframe_size (f) <= JK_EVENT_MAX_BYTES &&
            jk_envelope_peek (zframe_data (f), zframe_size (f), &envelope);
        char why[sizeof ((jk_answer_t *)0)->message];
        int rc = JK_OK;
        if (!key) {
            snprintf (why, sizeof why,
                      "key %s is not enrolled (revoked or unknown): it may "
                      "not submit events",
                      stats->fingerprint);
            rc = JK_INVALID;
        } else if (peeked)
            rc = jk_key_permits (key, envelope.source, envelope.type, why,
                                 sizeof why);
        /* An event whose envelope does not read goes on: the store
           answers E_DECODE and logs nothing under anyone's name. */
        if (rc == JK_OK) {
            zmsg_append (kept, &f);
            continue;
        }
        zframe_destroy (&f);
        self->counters.forbidden++;
        stats->forbidden++;
        if (!stats->logged) {
            jk_warn (S_COMPONENT,
                     "forbidden key=%s holder=%s source=%s type=%s "
                     "rule=\"%s\" (further violations by this key are "
                     "counted only)",
                     stats->fingerprint, stats->who,
                     envelope.source[0] ? envelope.source : "?",
                     envelope.type[0] ? envelope.type : "?", why);
            stats->logged = true;
        }
        if (!reply)
            reply = jk_wire_new ("ANSWER");
        jk_answer_t answer;
        memset (&answer, 0, sizeof answer);
        memcpy (answer.id, envelope.id, 16);
        answer.kind = JK_ANSWER_NACK;
        snprintf (answer.code, sizeof answer.code, "%s", "E_FORBIDDEN");
        snprintf (answer.message, sizeof answer.message, "%s", why);
        jk_answer_add (reply, &answer);
    }
    while ((f = zmsg_pop (kept)) != NULL)
        zmsg_append (msg, &f);
    zmsg_destroy (&kept);
    if (reply) {
        zframe_t *dup = zframe_dup (rid);
        zmsg_prepend (reply, &dup);
        if (s_send_nowait (&reply, self->ingest))
            zmsg_destroy (&reply);
    }
}

/* Reads one handshake event of the ingest socket's monitor and counts
   the refused ones. */
static void s_monitor_event (s_broker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->monitor);
    if (!msg)
        return;
    zframe_t *head = zmsg_first (msg);
    zframe_t *address = zmsg_next (msg);
    if (head && zframe_size (head) == 6) {
        uint16_t event;
        memcpy (&event, zframe_data (head), 2);
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
            event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
            event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            self->counters.handshake_failed++;
            jk_debug (S_COMPONENT,
                      "ingest handshake refused reason=%s "
                      "endpoint=%.*s",
                      event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                          ? "key not enrolled"
                      : event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                          ? "protocol (plain client or wrong broker key)"
                          : "other",
                      address ? (int)zframe_size (address) : 0,
                      address ? (const char *)zframe_data (address) : "");
        }
    }
    zmsg_destroy (&msg);
}

/* Starts secure mode: the broker's certificate, zauth with CURVE against
   the enrolled certificates, the keyring, the ingest monitor. Before any
   socket is bound. Returns 0, or -1 with the reason logged. */
static int s_secure_start (s_broker_t *self, const jk_broker_config_t *config)
{
    if (!config->cert_path && !config->keys_dir)
        return 0;
    if (!config->cert_path || !config->keys_dir) {
        jk_error (S_COMPONENT, "secure mode needs both the broker's "
                               "certificate and the enrolled keys directory");
        return -1;
    }
    self->cert = zcert_load (config->cert_path);
    if (!self->cert) {
        jk_error (S_COMPONENT,
                  "cannot load the broker's secret certificate %s "
                  "(jejak-keys init makes it)",
                  config->cert_path);
        return -1;
    }
    self->keys_dir = jk_strdup (config->keys_dir);
    self->keyring = jk_keyring_new (config->keys_dir);
    self->key_stats = zhashx_new ();
    zhashx_set_destructor (self->key_stats, s_key_stats_free);
    self->auth = zactor_new (zauth, NULL);
    assert (self->auth);
    zstr_sendx (self->auth, "CURVE", self->keys_dir, NULL);
    zsock_wait (self->auth);
    jk_info (S_COMPONENT, "secure mode: CURVE on ingest, keys=%s enrolled=%zu",
             self->keys_dir, jk_keyring_size (self->keyring));
    return 0;
}

/* Watches the ingest socket's handshakes (secure mode). */
static void s_monitor_start (s_broker_t *self)
{
    char *endpoint =
        jk_sprintf ("inproc://jejak-broker-monitor-%p", (void *)self);
    int rc = zmq_socket_monitor (zsock_resolve (self->ingest), endpoint,
                                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    if (rc == 0) {
        self->monitor = zsock_new (ZMQ_PAIR);
        zsock_set_linger (self->monitor, 0);
        if (zsock_connect (self->monitor, "%s", endpoint) != 0)
            zsock_destroy (&self->monitor);
    }
    if (!self->monitor)
        jk_warn (S_COMPONENT, "refused handshakes will not be counted: "
                              "cannot monitor the ingest socket");
    free (endpoint);
}

static void s_secure_stop (s_broker_t *self)
{
    if (self->monitor) {
        zmq_socket_monitor (zsock_resolve (self->ingest), NULL, 0);
        zsock_destroy (&self->monitor);
    }
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
    jk_keyring_destroy (&self->keyring);
    zhashx_destroy (&self->key_stats);
    free (self->keys_dir);
    self->keys_dir = NULL;
}

/* A SUBMIT from a client: forward to the store, or refuse at once. */
static void s_ingest_submit (s_broker_t *self, zframe_t *rid,
                             s_client_t *client, const char *user_id,
                             zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    size_t count = zmsg_size (msg);
    if (count == 0) {
        s_protocol_error (self, rid, client, "E_PROTOCOL",
                          "SUBMIT carries no events (1 to 1000 expected)");
        return;
    }
    if (count > JK_SUBMIT_MAX_EVENTS) {
        char text[128];
        snprintf (text, sizeof text,
                  "SUBMIT carries %zu events, at most %d allowed", count,
                  JK_SUBMIT_MAX_EVENTS);
        s_protocol_error (self, rid, client, "E_TOO_MANY", text);
        return;
    }
    self->counters.received += count;
    if (self->keyring) {
        s_authorize (self, rid, user_id, msg);
        count = zmsg_size (msg);
        if (count == 0)
            return;
    }
    if (client && !client->heartbeat.source[0]) {
        /* Name the office before its first heartbeat, from its events. */
        zframe_t *f = zmsg_first (msg);
        jk_envelope_t envelope;
        if (zframe_size (f) <= JK_EVENT_MAX_BYTES &&
            jk_envelope_peek (zframe_data (f), zframe_size (f), &envelope))
            snprintf (client->heartbeat.source, sizeof client->heartbeat.source,
                      "%s", envelope.source);
    }
    if (!self->store_up) {
        self->counters.unavailable += count;
        s_refuse (self, rid, msg, "E_UNAVAILABLE",
                  "no store behind the broker: retry later");
        return;
    }
    zframe_t *dup = zframe_dup (rid);
    zmsg_prepend (msg, &dup);
    zmsg_pushstr (msg, "SUBMIT");
    zmsg_pushstr (msg, JK_PROTOCOL);
    dup = zframe_dup (self->store_id);
    zmsg_prepend (msg, &dup);
    if (s_send_nowait (msg_p, self->backend) == 0) {
        self->counters.forwarded += count;
        return;
    }
    bool gone = errno == EHOSTUNREACH;
    /* Strip what was added, leaving the events. */
    for (int i = 0; i < 4; i++) {
        zframe_t *f = zmsg_pop (msg);
        zframe_destroy (&f);
    }
    if (gone) {
        s_store_down (self, "store disconnected");
        self->counters.unavailable += count;
        s_refuse (self, rid, msg, "E_UNAVAILABLE",
                  "no store behind the broker: retry later");
    } else {
        self->counters.busy += count;
        s_refuse (self, rid, msg, "E_BUSY",
                  "the store's queue is full: retry later");
    }
}

/* The hub's clock: the store's, as its last PING reported it plus the
   time since, or the broker's own before any store was heard from. */
static int64_t s_hub_now (s_broker_t *self)
{
    if (self->store_clock_ms > 0)
        return self->store_clock_ms +
               (jk_clock_mono_ms () - self->store_clock_mono);
    return jk_clock_now_ms ();
}

/* A PING from a client: remember its heartbeat and pass it on to the
   store, which answers PONG with its clock (and, when the agent holds
   receipts the log lacks, the seq to deliver again from). Without a
   store the broker answers PONG itself with the hub's clock. */
static void s_ingest_ping (s_broker_t *self, zframe_t *rid, s_client_t *client,
                           zmsg_t *msg)
{
    zframe_t *f = zmsg_first (msg);
    jk_heartbeat_t heartbeat;
    char why[128] = "";
    if (zmsg_size (msg) != 1 ||
        jk_heartbeat_check (zframe_data (f), zframe_size (f), &heartbeat, why,
                            sizeof why)) {
        char text[256];
        snprintf (text, sizeof text,
                  "PING needs exactly one frame, a MessagePack heartbeat map "
                  "with source, program, outbox, stored_seq and rejected%s%s",
                  why[0] ? ": " : "", why);
        s_protocol_error (self, rid, client, "E_PROTOCOL", text);
        return;
    }
    if (client)
        client->heartbeat = heartbeat;
    zframe_t *dup;
    if (self->store_up && self->store_id) {
        zmsg_t *forward = jk_wire_new ("HEARTBEAT");
        zmsg_addmem (forward, zframe_data (rid), zframe_size (rid));
        zmsg_addmem (forward, zframe_data (f), zframe_size (f));
        dup = zframe_dup (self->store_id);
        zmsg_prepend (forward, &dup);
        if (s_send_nowait (&forward, self->backend) == 0)
            return;
        zmsg_destroy (&forward);
    }
    zmsg_t *reply = jk_wire_new ("PONG");
    jk_pong_t pong = {.now_ms = s_hub_now (self)};
    jk_pong_add (reply, &pong);
    dup = zframe_dup (rid);
    zmsg_prepend (reply, &dup);
    if (s_send_nowait (&reply, self->ingest))
        zmsg_destroy (&reply);
}

static void s_counters_text (s_broker_t *self, char *out, size_t size);

/* One message from the ingest socket. */
static void s_ingest_message (s_broker_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zframe_t *rid = zmsg_pop (msg);
    if (!rid)
        return;
    s_client_t *client = s_client_touch (self, rid);
    size_t frames = zmsg_size (msg);
    /* The CURVE public key ZAP admitted (secure mode), as the metadata of
       every frame the connection delivers. */
    char user_id[64] = "";
    if (self->keyring && zmsg_first (msg)) {
        const char *meta = zframe_meta (zmsg_first (msg), "User-Id");
        if (meta)
            snprintf (user_id, sizeof user_id, "%s", meta);
    }
    char command[16];
    if (jk_wire_open (msg, command, sizeof command)) {
        char text[128];
        snprintf (text, sizeof text,
                  "not a JEJAK/1 message (%zu frames; expected "
                  "[JEJAK/1][COMMAND]...)",
                  frames);
        s_protocol_error (self, rid, client, "E_PROTOCOL", text);
    } else if (streq (command, "SUBMIT"))
        s_ingest_submit (self, rid, client, user_id, msg_p);
    else if (streq (command, "PING"))
        s_ingest_ping (self, rid, client, msg);
    else if (streq (command, "STATS") && zmsg_size (msg) == 0) {
        char text[1024];
        s_counters_text (self, text, sizeof text);
        zmsg_t *reply = jk_wire_new ("STATS");
        zmsg_addstr (reply, text);
        zframe_t *dup = zframe_dup (rid);
        zmsg_prepend (reply, &dup);
        if (s_send_nowait (&reply, self->ingest))
            zmsg_destroy (&reply);
    } else if (streq (command, "STATS"))
        s_protocol_error (self, rid, client, "E_PROTOCOL",
                          "STATS takes no argument frames");
    else {
        char text[96];
        snprintf (text, sizeof text,
                  "unknown command \"%.16s\" (SUBMIT, PING or STATS "
                  "expected)",
                  command);
        s_protocol_error (self, rid, client, "E_UNKNOWN_COMMAND", text);
    }
    zframe_destroy (&rid);
}

/* ---- the store side ----------------------------------------------------- */

static void s_store_error (s_broker_t *self, const char *what)
{
    self->counters.protocol_errors++;
    jk_warn (S_COMPONENT, "malformed message from the store: %s", what);
}

/* ANSWER from the store: [client id][answer]... routed back as
   [JEJAK/1][ANSWER][answer]... */
static void s_backend_answer (s_broker_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zframe_t *client = zmsg_pop (msg);
    if (!client || zmsg_size (msg) == 0) {
        zframe_destroy (&client);
        s_store_error (self, "ANSWER without client id or answers");
        return;
    }
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
        jk_answer_t answer;
        if (jk_answer_decode (zframe_data (f), zframe_size (f), &answer)) {
            s_store_error (self, "undecodable answer (passed on)");
            continue;
        }
        switch (answer.kind) {
            case JK_ANSWER_ACK:
                self->counters.acked++;
                break;
            case JK_ANSWER_REJECTED:
                self->counters.rejected++;
                break;
            case JK_ANSWER_DUPLICATE:
                self->counters.duplicates++;
                break;
            case JK_ANSWER_NACK:
                self->counters.nacked++;
                break;
        }
    }
    zmsg_pushstr (msg, "ANSWER");
    zmsg_pushstr (msg, JK_PROTOCOL);
    zmsg_prepend (msg, &client);
    /* A client gone meanwhile is dropped by the ROUTER: it resends. */
    if (s_send_nowait (msg_p, self->ingest))
        zmsg_destroy (msg_p);
}

/* Sends one message on the feed without ever blocking: a full subscriber
   makes it a counted drop. */
static bool s_feed_send (s_broker_t *self, zmsg_t **msg_p)
{
    if (s_send_nowait (msg_p, self->feed) == 0)
        return true;
    zmsg_destroy (msg_p);
    self->counters.feed_drops++;
    return false;
}

/* PUBLISH from the store: one committed record, in position order. */
static void s_backend_publish (s_broker_t *self, zmsg_t **msg_p)
{
    jk_record_t record;
    if (jk_record_read (*msg_p, &record) ||
        streq (record.topic, JK_FEED_HEAD)) {
        s_store_error (self, "PUBLISH is not a record");
        return;
    }
    if (record.pos > self->head_pos || !self->head_known) {
        self->head_pos = record.pos;
        memcpy (self->head_hash, record.hash, 32);
        self->head_known = true;
    }
    if (s_feed_send (self, msg_p))
        self->counters.feed_published++;
}

/* RECORDS from the store: a batch's committed records packed in one
   frame, in position order; each is published on the feed as its own
   message, exactly as a PUBLISH would be. */
static void s_backend_records (s_broker_t *self, zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    if (!frame || zmsg_size (msg) != 1) {
        s_store_error (self, "RECORDS without one frame of records");
        return;
    }
    const uint8_t *data = zframe_data (frame);
    size_t size = zframe_size (frame), offset = 0;
    jk_record_t record;
    int rc;
    while ((rc = jk_records_next (data, size, &offset, &record)) == 0) {
        if (streq (record.topic, JK_FEED_HEAD)) {
            rc = -1;
            break;
        }
        if (record.pos > self->head_pos || !self->head_known) {
            self->head_pos = record.pos;
            memcpy (self->head_hash, record.hash, 32);
            self->head_known = true;
        }
        zmsg_t *feed = jk_record_msg (&record);
        if (s_feed_send (self, &feed))
            self->counters.feed_published++;
    }
    if (rc < 0)
        s_store_error (self, "RECORDS holds a malformed record");
}

/* CHECKPOINT from the store: a signed checkpoint of its tree, published
   on the feed as [$checkpoint][note] after the records it covers. */
static void s_backend_checkpoint (s_broker_t *self, zmsg_t *msg)
{
    zframe_t *note = zmsg_first (msg);
    if (!note || zmsg_size (msg) != 1 || zframe_size (note) == 0 ||
        zframe_size (note) > JK_FEED_CHECKPOINT_MAX) {
        s_store_error (self, "CHECKPOINT without one frame of note");
        return;
    }
    zmsg_t *feed = zmsg_new ();
    zmsg_addstr (feed, JK_FEED_CHECKPOINT);
    zmsg_addmem (feed, zframe_data (note), zframe_size (note));
    if (s_feed_send (self, &feed))
        self->counters.checkpoints++;
}

/* Whether the current store's connection is still there: a PONG to it
   fails at once (mandatory routing) when it is gone. */
static bool s_store_alive (s_broker_t *self)
{
    zmsg_t *probe = jk_wire_new ("PONG");
    zframe_t *dup = zframe_dup (self->store_id);
    zmsg_prepend (probe, &dup);
    if (s_send_nowait (&probe, self->backend) == 0)
        return true;
    zmsg_destroy (&probe);
    return errno != EHOSTUNREACH;
}

/* A second store while the first is alive: one store per broker, so it
   gets [JEJAK/1][ERROR][E_STORE_TAKEN][message] and nothing else; logged
   once per connection, counted always. */
static void s_store_refuse (s_broker_t *self, zframe_t *sid)
{
    self->counters.stores_refused++;
    if (!self->refused_id || !zframe_eq (sid, self->refused_id)) {
        jk_error (S_COMPONENT,
                  "a second store connected to the backend while one is "
                  "serving: refused (one store per broker; stop the other "
                  "store or give this one its own broker)");
        zframe_destroy (&self->refused_id);
        self->refused_id = zframe_dup (sid);
    }
    zmsg_t *reply = jk_wire_error (
        "E_STORE_TAKEN", "this broker already serves another store: one store "
                         "per broker; this one is refused until the other has "
                         "been silent for 3 s");
    zframe_t *dup = zframe_dup (sid);
    zmsg_prepend (reply, &dup);
    if (s_send_nowait (&reply, self->backend))
        zmsg_destroy (&reply);
}

/* PONG from the store answering a heartbeat: [client id][map], routed
   to that agent as [JEJAK/1][PONG][map]. A bare PONG is the store's
   answer to nothing and is ignored. */
static void s_backend_pong (s_broker_t *self, zmsg_t *msg)
{
    if (zmsg_size (msg) == 0)
        return;
    zframe_t *client = zmsg_pop (msg);
    zframe_t *map = zmsg_pop (msg);
    jk_pong_t pong;
    if (!client || !map || zmsg_size (msg) != 0 ||
        jk_pong_decode (zframe_data (map), zframe_size (map), &pong)) {
        s_store_error (self, "PONG without client id and one map");
        zframe_destroy (&client);
        zframe_destroy (&map);
        return;
    }
    self->counters.pongs_routed++;
    zmsg_t *out = jk_wire_new ("PONG");
    zmsg_append (out, &map);
    zmsg_prepend (out, &client);
    if (s_send_nowait (&out, self->ingest))
        zmsg_destroy (&out);
}

/* One message from the backend socket. */
static void s_backend_message (s_broker_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zframe_t *sid = zmsg_pop (msg);
    char command[16];
    if (!sid || jk_wire_open (msg, command, sizeof command)) {
        zframe_destroy (&sid);
        s_store_error (self, "not a JEJAK/1 message");
        return;
    }
    if (self->store_id && !zframe_eq (sid, self->store_id) && self->store_up &&
        s_store_alive (self)) {
        s_store_refuse (self, sid);
        zframe_destroy (&sid);
        return;
    }
    if (!self->store_id || !zframe_eq (sid, self->store_id)) {
        if (self->store_id)
            jk_info (S_COMPONENT, "store replaced by a new connection");
        zframe_destroy (&self->store_id);
        self->store_id = zframe_dup (sid);
        self->store_clock_ms = 0;
    }
    if (!self->store_up)
        jk_info (S_COMPONENT, "store available");
    self->store_up = true;
    self->store_seen_mono = jk_clock_mono_ms ();

    if (streq (command, "PING")) {
        uint64_t pos;
        zframe_t *hash = NULL;
        if (jk_wire_pop_u64 (msg, &pos) == 0 &&
            (hash = zmsg_pop (msg)) != NULL && zframe_size (hash) == 32) {
            self->head_pos = pos;
            memcpy (self->head_hash, zframe_data (hash), 32);
            self->head_known = true;
        } else
            s_store_error (self, "PING without head position and hash");
        zframe_destroy (&hash);
        uint64_t clock;
        if (zmsg_size (msg) == 1 && jk_wire_pop_u64 (msg, &clock) == 0 &&
            clock > 0 && clock <= INT64_MAX) {
            self->store_clock_ms = (int64_t)clock;
            self->store_clock_mono = jk_clock_mono_ms ();
        }
        zmsg_t *reply = jk_wire_new ("PONG");
        zmsg_prepend (reply, &sid);
        if (s_send_nowait (&reply, self->backend))
            zmsg_destroy (&reply);
    } else if (streq (command, "ANSWER"))
        s_backend_answer (self, msg_p);
    else if (streq (command, "RECORDS"))
        s_backend_records (self, msg);
    else if (streq (command, "PUBLISH"))
        s_backend_publish (self, msg_p);
    else if (streq (command, "PONG"))
        s_backend_pong (self, msg);
    else if (streq (command, "CHECKPOINT"))
        s_backend_checkpoint (self, msg);
    else
        s_store_error (self, "unknown command");
    zframe_destroy (&sid);
}

/* ---- heartbeats, counters, commands ------------------------------------ */

static void s_counters_text (s_broker_t *self, char *out, size_t size)
{
    const s_counters_t *c = &self->counters;
    snprintf (out, size,
              "received=%" PRIu64 " forwarded=%" PRIu64 " acked=%" PRIu64
              " rejected=%" PRIu64 " duplicates=%" PRIu64 " nacked=%" PRIu64
              " unavailable=%" PRIu64 " busy=%" PRIu64
              " protocol_errors=%" PRIu64 " feed_published=%" PRIu64
              " feed_drops=%" PRIu64 " clients=%zu store=%s head_pos=%" PRIu64
              " forbidden=%" PRIu64 " handshake_failed=%" PRIu64
              " keys=%zu keys_reloaded=%" PRIu64 " stores_refused=%" PRIu64
              " pongs_routed=%" PRIu64 " checkpoints=%" PRIu64,
              c->received, c->forwarded, c->acked, c->rejected, c->duplicates,
              c->nacked, c->unavailable, c->busy, c->protocol_errors,
              c->feed_published, c->feed_drops, zhashx_size (self->clients),
              self->store_up ? "up" : "down", self->head_pos, c->forbidden,
              c->handshake_failed,
              self->keyring ? jk_keyring_size (self->keyring) : 0,
              c->keys_reloaded, c->stores_refused, c->pongs_routed,
              c->checkpoints);
}

/* Every JK_HEARTBEAT_MS: store liveness, forgotten clients, $head and
   $office on the feed; every S_REPORT_MS a counter line if changed. */
static void s_tick (s_broker_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    int64_t silence = (int64_t)JK_HEARTBEAT_LIVENESS * JK_HEARTBEAT_MS;
    if (self->store_up && now - self->store_seen_mono > silence)
        s_store_down (self, "no message from the store within liveness");
    /* Revocation without a restart: the keys directory is looked at
       every tick (about a second). */
    s_keys_refresh (self, false);

    zlistx_t *gone = zlistx_new ();
    for (s_client_t *c = (s_client_t *)zhashx_first (self->clients); c;
         c = (s_client_t *)zhashx_next (self->clients))
        if (now - c->last_seen_mono > silence)
            zlistx_add_end (gone, c->key);
    for (char *key = (char *)zlistx_first (gone); key;
         key = (char *)zlistx_next (gone)) {
        jk_debug (S_COMPONENT, "client forgotten client=%s", key);
        zhashx_delete (self->clients, key);
    }
    zlistx_destroy (&gone);

    if (self->head_known) {
        jk_record_t head;
        memset (&head, 0, sizeof head);
        snprintf (head.topic, sizeof head.topic, "%s", JK_FEED_HEAD);
        head.pos = self->head_pos;
        memcpy (head.hash, self->head_hash, 32);
        zmsg_t *msg = jk_record_msg (&head);
        s_feed_send (self, &msg);
    }
    for (s_client_t *c = (s_client_t *)zhashx_first (self->clients); c;
         c = (s_client_t *)zhashx_next (self->clients)) {
        if (!c->heartbeat.source[0])
            continue;
        jk_office_t office = {c->heartbeat, c->last_seen_ms};
        zmsg_t *msg = jk_office_msg (&office);
        s_feed_send (self, &msg);
    }

    if (now >= self->next_report) {
        self->next_report = now + S_REPORT_MS;
        if (memcmp (&self->reported, &self->counters, sizeof self->counters) !=
            0) {
            char text[1024];
            s_counters_text (self, text, sizeof text);
            jk_info (S_COMPONENT, "counters %s", text);
            self->reported = self->counters;
        }
    }
}

static void s_pipe_command (s_broker_t *self)
{
    char *command = zstr_recv (self->pipe);
    if (!command) {
        self->terminated = true;
        return;
    }
    if (streq (command, "$TERM"))
        self->terminated = true;
    else if (streq (command, "STATS")) {
        char text[1024];
        s_counters_text (self, text, sizeof text);
        zstr_send (self->pipe, text);
    } else if (streq (command, "RELOAD"))
        s_keys_refresh (self, true);
    else if (streq (command, "KEYS")) {
        /* One line per key heard from: fingerprint holder submitted=N
           forbidden=N. */
        zmsg_t *reply = zmsg_new ();
        if (self->key_stats)
            for (s_key_stats_t *k =
                     (s_key_stats_t *)zhashx_first (self->key_stats);
                 k; k = (s_key_stats_t *)zhashx_next (self->key_stats))
                zmsg_addstrf (
                    reply,
                    "%s holder=%s submitted=%" PRIu64 " forbidden=%" PRIu64,
                    k->fingerprint, k->who, k->submitted, k->forbidden);
        zmsg_pushstrf (reply, "%zu", zmsg_size (reply));
        zmsg_send (&reply, self->pipe);
    } else
        jk_warn (S_COMPONENT, "unknown actor command \"%s\"", command);
    zstr_free (&command);
}

/* Reads what the XPUB reports (subscriptions); the broker does not filter
   by them itself, libzmq does. */
static void s_feed_subscriptions (s_broker_t *self)
{
    zframe_t *frame = zframe_recv (self->feed);
    if (frame && zframe_size (frame) > 0)
        jk_debug (S_COMPONENT, "feed %s topic=\"%.*s\"",
                  zframe_data (frame)[0] ? "subscribe" : "unsubscribe",
                  (int)zframe_size (frame) - 1,
                  (const char *)zframe_data (frame) + 1);
    zframe_destroy (&frame);
}

static bool s_readable (zsock_t *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) != 0;
}

/* ---- the actor ----------------------------------------------------------- */

static void s_broker_actor (zsock_t *pipe, void *args)
{
    const jk_broker_config_t *config = (const jk_broker_config_t *)args;
    s_broker_t self;
    memset (&self, 0, sizeof self);
    self.pipe = pipe;
    bool secure_ok = s_secure_start (&self, config) == 0;
    self.ingest = secure_ok ? s_socket (config, self.cert, ZMQ_ROUTER, "ingest",
                                        config->ingest)
                            : NULL;
    self.backend = self.ingest ? s_socket (config, self.cert, ZMQ_ROUTER,
                                           "backend", config->backend)
                               : NULL;
    self.feed = self.backend ? s_socket (config, self.cert, ZMQ_XPUB, "feed",
                                         config->feed)
                             : NULL;
    if (self.feed && self.cert)
        s_monitor_start (&self);
    if (self.feed)
        jk_info (S_COMPONENT, "ready ingest=%s feed=%s backend=%s%s",
                 config->ingest, config->feed, config->backend,
                 self.cert ? " (CURVE)" : "");
    /* The first signal releases zactor_new, the second says whether the
       endpoints are bound (jk_broker_start reads it). config belongs to
       the caller and is not used after this. */
    zsock_signal (pipe, 0);
    zsock_signal (pipe, self.feed ? 0 : 1);
    if (!self.feed) {
        zsock_destroy (&self.ingest);
        zsock_destroy (&self.backend);
        s_secure_stop (&self);
        return;
    }
    self.clients = zhashx_new ();
    zhashx_set_destructor (self.clients, s_client_free);
    int64_t now = jk_clock_mono_ms ();
    self.next_tick = now + JK_HEARTBEAT_MS;
    self.next_report = now + S_REPORT_MS;

    zmq_pollitem_t items[] = {
        {zsock_resolve (self.pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self.backend), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self.ingest), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self.feed), 0, ZMQ_POLLIN, 0},
        {self.monitor ? zsock_resolve (self.monitor) : NULL, 0, ZMQ_POLLIN, 0},
    };
    int item_count = self.monitor ? 5 : 4;
    while (!self.terminated) {
        int64_t wait = self.next_tick - jk_clock_mono_ms ();
        if (wait < 0)
            wait = 0;
        int rc = zmq_poll (items, item_count, (long)wait);
        if (rc < 0 && zmq_errno () != EINTR)
            break;
        if (rc > 0) {
            if (items[0].revents & ZMQ_POLLIN)
                s_pipe_command (&self);
            /* Answers first: they release agents' windows. */
            for (int i = 0; i < S_BURST && s_readable (self.backend); i++) {
                zmsg_t *msg = zmsg_recv (self.backend);
                if (!msg)
                    break;
                s_backend_message (&self, &msg);
                zmsg_destroy (&msg);
            }
            for (int i = 0; i < S_BURST && s_readable (self.ingest); i++) {
                zmsg_t *msg = zmsg_recv (self.ingest);
                if (!msg)
                    break;
                s_ingest_message (&self, &msg);
                zmsg_destroy (&msg);
            }
            for (int i = 0; i < S_BURST && s_readable (self.feed); i++)
                s_feed_subscriptions (&self);
            for (int i = 0;
                 i < S_BURST && self.monitor && s_readable (self.monitor); i++)
                s_monitor_event (&self);
        }
        if (jk_clock_mono_ms () >= self.next_tick) {
            s_tick (&self);
            self.next_tick = jk_clock_mono_ms () + JK_HEARTBEAT_MS;
        }
    }
    char text[1024];
    s_counters_text (&self, text, sizeof text);
    jk_info (S_COMPONENT, "stopped %s", text);
    zhashx_destroy (&self.clients);
    zframe_destroy (&self.store_id);
    zframe_destroy (&self.refused_id);
    s_secure_stop (&self);
    zsock_destroy (&self.feed);
    zsock_destroy (&self.backend);
    zsock_destroy (&self.ingest);
}

zactor_t *jk_broker_start (const jk_broker_config_t *config)
{
    assert (config);
    assert (config->ingest && config->feed && config->backend);
    zactor_t *actor = zactor_new (s_broker_actor, (void *)config);
    if (zsock_wait (actor) != 0) {
        zactor_destroy (&actor);
        return NULL;
    }
    return actor;
}
