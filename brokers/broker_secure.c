/*  broker_secure.c - the broker's secure mode (docs/SECURITY.md): its
    certificate, czmq's zauth answering CURVE handshakes against the
    enrolled keys, the handshake monitor, and the check of every
    submitted event against the enrolled key that sent it. */
#include "broker_internal.h"

#include <stdatomic.h>
#include <string.h>
#include <zmq.h>

/* Numbers the monitor endpoints of this process: each broker's is its
   own. The state's address is no name for it: a broker started after
   another on a new actor thread sits at the same stack address, and the
   previous monitor's inproc name is freed only when its socket is reaped
   (zmq_close is asynchronous), so the new bind could find it taken. */
static atomic_uint s_monitor_serial;

static void s_key_stats_free (void **item)
{
    free (*item);
    *item = NULL;
}

/* The counters of the key that sent a message (created on first use). */
static jk_broker_key_stats_t *
s_key_stats (jk_broker_state_t *self, const jk_key_t *key, const char *user_id)
{
    char fingerprint[17] = "unknown";
    uint8_t raw[32];
    if (key)
        snprintf (fingerprint, sizeof fingerprint, "%s", key->fingerprint);
    else if (user_id && strlen (user_id) == 40 && zmq_z85_decode (raw, user_id))
        jk_hex_format (raw, 8, fingerprint);
    jk_broker_key_stats_t *stats =
        (jk_broker_key_stats_t *)zhashx_lookup (self->key_stats, fingerprint);
    if (!stats) {
        stats = (jk_broker_key_stats_t *)jk_calloc (1, sizeof *stats);
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
void jk_broker_keys_refresh (jk_broker_state_t *self, bool force)
{
    if (!self->keyring || !jk_keyring_refresh (self->keyring, force))
        return;
    zstr_sendx (self->auth, "CURVE", self->keys_dir, NULL);
    zsock_wait (self->auth);
    self->counters.keys_reloaded++;
    jk_info (S_COMPONENT, "enrolled keys reloaded dir=%s keys=%zu",
             self->keys_dir, jk_keyring_size (self->keyring));
}

/* Whether key (NULL: not enrolled, named by fingerprint) may submit the
   event of size bytes at data, its envelope read into *envelope: JK_OK,
   or JK_INVALID with the rule in why. An event whose envelope does not
   read goes on: the store answers E_DECODE and logs nothing under
   anyone's name. */
static int s_permits (const jk_key_t *key, const char *fingerprint,
                      const void *data, size_t size, jk_envelope_t *envelope,
                      char *why, size_t why_size)
{
    memset (envelope, 0, sizeof *envelope);
    bool peeked =
        size <= JK_EVENT_MAX_BYTES && jk_envelope_peek (data, size, envelope);
    if (!key) {
        snprintf (why, why_size,
                  "key %s is not enrolled (revoked or unknown): it may "
                  "not submit events",
                  fingerprint);
        return JK_INVALID;
    }
    return peeked ? jk_key_permits (key, envelope->source, envelope->type, why,
                                    why_size)
                  : JK_OK;
}

bool jk_broker_permits_all (jk_broker_state_t *self, const char *user_id,
                            const jk_broker_parts_t *p, size_t first)
{
    const jk_key_t *key = jk_keyring_lookup (self->keyring, user_id);
    if (!key)
        return false;
    for (size_t i = first; i < p->count; i++) {
        jk_envelope_t envelope;
        char why[sizeof ((jk_answer_t *)0)->message];
        zmq_msg_t *part = (zmq_msg_t *)&p->part[i];
        if (s_permits (key, key->fingerprint, zmq_msg_data (part),
                       zmq_msg_size (part), &envelope, why,
                       sizeof why) != JK_OK)
            return false;
    }
    s_key_stats (self, key, user_id)->submitted += p->count - first;
    return true;
}

/* Checks every event of a SUBMIT against the key that sent it (its CURVE
   public key, the User-Id ZAP gave the connection): events the key may
   not submit are answered NACK E_FORBIDDEN and taken out of msg; the rest
   stay for the store. A key revoked after it connected is refused here,
   event by event, without waiting for a reconnect. */
void jk_broker_authorize (jk_broker_state_t *self, zframe_t *rid,
                          const char *user_id, zmsg_t *msg)
{
    const jk_key_t *key = jk_keyring_lookup (self->keyring, user_id);
    if (!key) {
        /* zauth admitted a key enrolled since the last tick: look again
           (a stat of the directory when nothing changed). */
        jk_broker_keys_refresh (self, false);
        key = jk_keyring_lookup (self->keyring, user_id);
    }
    jk_broker_key_stats_t *stats = s_key_stats (self, key, user_id);
    stats->submitted += zmsg_size (msg);
    zmsg_t *reply = NULL;
    zmsg_t *kept = zmsg_new ();
    zframe_t *f;
    while ((f = zmsg_pop (msg)) != NULL) {
        jk_envelope_t envelope;
        char why[sizeof ((jk_answer_t *)0)->message];
        int rc = s_permits (key, stats->fingerprint, zframe_data (f),
                            zframe_size (f), &envelope, why, sizeof why);
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
        if (jk_broker_send_nowait (&reply, self->ingest))
            zmsg_destroy (&reply);
    }
}

/* Reads one handshake event of the ingest socket's monitor and counts
   the refused ones. */
void jk_broker_monitor_event (jk_broker_state_t *self)
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
   socket is bound. Returns JK_OK, or with the reason logged JK_INVALID
   (half a configuration) or JK_IO (the certificate cannot be loaded). */
int jk_broker_secure_start (jk_broker_state_t *self,
                            const jk_broker_config_t *config)
{
    if (!config->cert_path && !config->keys_dir)
        return JK_OK;
    if (!config->cert_path || !config->keys_dir) {
        jk_error (S_COMPONENT, "secure mode needs both the broker's "
                               "certificate and the enrolled keys directory");
        return JK_INVALID;
    }
    self->cert = zcert_load (config->cert_path);
    if (!self->cert) {
        jk_error (S_COMPONENT,
                  "cannot load the broker's secret certificate %s "
                  "(jejak-keys init makes it)",
                  config->cert_path);
        return JK_IO;
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
    return JK_OK;
}

/* Watches the ingest socket's handshakes (secure mode). */
void jk_broker_monitor_start (jk_broker_state_t *self)
{
    char *endpoint = jk_sprintf ("inproc://jejak-broker-monitor-%u",
                                 atomic_fetch_add (&s_monitor_serial, 1) + 1);
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

void jk_broker_secure_stop (jk_broker_state_t *self)
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
