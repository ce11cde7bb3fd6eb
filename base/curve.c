/*  curve.c - CURVE for the programs that read a hub: the key pair
    checked and applied, and the handshake watched through the socket's
    monitor (ZMQ_EVENT_HANDSHAKE_*), so a refusal is named. */
#include "jk_curve.h"

#include "jk_base.h"
#include "jk_opts.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Numbers the watch endpoints of this process. The socket's address is
   no name for one: a socket made after another was destroyed often sits
   at the same address, and the old monitor's inproc name is freed only
   when its socket is reaped (zmq_close is asynchronous), so the new
   monitor's bind could find it taken and the handshake go unwatched. */
static atomic_uint s_watch_serial;

int jk_curve_pair_check (const jk_curve_pair_t *pair, const char *server_key,
                         const char *key, char *err, size_t err_size)
{
    if (!server_key != !key) {
        snprintf (err, err_size, "--%s and --%s go together (CURVE needs %s)",
                  pair->server_flag, pair->key_flag, pair->both);
        return JK_INVALID;
    }
    if (!key)
        return 0;
    zcert_t *cert = zcert_load (server_key);
    if (!cert) {
        snprintf (err, err_size, "--%s %s: not a readable certificate (%s)",
                  pair->server_flag, server_key, pair->server_is);
        return JK_INVALID;
    }
    zcert_destroy (&cert);
    cert = zcert_load (key);
    static const char none[] = "0000000000000000000000000000000000000000";
    bool secret = cert && strcmp (zcert_secret_txt (cert), none) != 0;
    zcert_destroy (&cert);
    if (!secret) {
        snprintf (err, err_size,
                  "--%s %s: not a readable secret certificate (%s)",
                  pair->key_flag, key, pair->key_is);
        return JK_INVALID;
    }
    return 0;
}

int jk_curve_keys_check (const char *flag, const char *endpoint,
                         const char *server_key, const char *key,
                         const char *holder, const char *issuer, char *err,
                         size_t err_size)
{
    if (!server_key && !key && !jk_endpoint_is_local (endpoint)) {
        snprintf (err, err_size,
                  "--%s %s leaves this machine: give --broker-key and --key "
                  "(plain connections are only for loopback and ipc)",
                  flag, endpoint);
        return JK_INVALID;
    }
    char both[128], key_is[128];
    snprintf (both, sizeof both,
              "the hub's public certificate and this %s's secret one", holder);
    snprintf (key_is, sizeof key_is, "an issued .key file of %s", issuer);
    jk_curve_pair_t pair = {"broker-key", "key", both,
                            "the hub's broker.pub of jejak-keys init", key_is};
    return jk_curve_pair_check (&pair, server_key, key, err, err_size);
}

int jk_curve_client_check (const char *flag, const char *endpoint,
                           const char *server_key, const char *key, char *err,
                           size_t err_size)
{
    return jk_curve_keys_check (flag, endpoint, server_key, key, "reader",
                                "jejak-keys reader", err, err_size);
}

int jk_curve_client (zsock_t *sock, const char *server_key, const char *key,
                     const char *component)
{
    if (!server_key || !key)
        return 0;
    zcert_t *mine = zcert_load (key);
    zcert_t *server = zcert_load (server_key);
    int rc = 0;
    if (mine && server) {
        zcert_apply (mine, sock);
        zsock_set_curve_serverkey (sock, zcert_public_txt (server));
    } else {
        jk_error (component, "cannot load certificate %s",
                  mine ? server_key : key);
        rc = -1;
    }
    zcert_destroy (&mine);
    zcert_destroy (&server);
    return rc;
}

zsock_t *jk_curve_watch_new (zsock_t *sock)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://jejak-curve-watch-%u",
              atomic_fetch_add (&s_watch_serial, 1) + 1);
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
        return NULL;
    zsock_t *watch = zsock_new (ZMQ_PAIR);
    zsock_set_linger (watch, 0);
    if (zsock_connect (watch, "%s", endpoint) != 0) {
        zsock_destroy (&watch);
        zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
    }
    return watch;
}

void jk_curve_watch_destroy (zsock_t **watch_p, zsock_t *sock)
{
    if (!*watch_p)
        return;
    if (sock)
        zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
    zsock_destroy (watch_p);
}

int jk_curve_watch_read (zsock_t *watch, bool secure, char *reason, size_t size)
{
    return jk_curve_watch_read_from (watch, secure, "the hub", "--broker-key",
                                     reason, size);
}

int jk_curve_watch_read_from (zsock_t *watch, bool secure, const char *peer,
                              const char *server_flag, char *reason,
                              size_t size)
{
    zmsg_t *msg = zmsg_recv (watch);
    if (!msg)
        return 0;
    zframe_t *head = zmsg_first (msg);
    int rc = 0;
    if (head && zframe_size (head) == 6) {
        uint16_t event;
        uint32_t value;
        memcpy (&event, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            rc = 1;
        else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            snprintf (reason, size,
                      "%s refused this key (CURVE authentication, status %u): "
                      "it is not enrolled in %s's keys directory, or it was "
                      "revoked",
                      peer, (unsigned)value, peer);
            rc = -2;
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            if (secure)
                snprintf (reason, size, "the handshake failed: %s speaks plain",
                          peer);
            else
                snprintf (reason, size,
                          "the handshake failed: %s speaks CURVE (give %s and "
                          "--key)",
                          peer, server_flag);
            rc = -2;
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            if (secure)
                snprintf (reason, size,
                          "%s ended the handshake (a network fault, or %s is "
                          "not %s's public certificate)",
                          peer, server_flag, peer);
            else
                snprintf (reason, size,
                          "%s ended the handshake: it speaks CURVE (give %s "
                          "and --key)",
                          peer, server_flag);
            rc = -1;
        }
    }
    zmsg_destroy (&msg);
    return rc;
}
