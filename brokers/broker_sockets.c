/*  broker_sockets.c - the broker's sockets: each set up in one place
    (CURVE, limits, routing), and sends that never block. */
#include "broker_internal.h"
#include "jk_endpoint.h"

#include <errno.h>
#include <zmq.h>

/* Per-client receive queue on the ingest socket, in messages: bounds what
   one flooding client can make the broker hold before TCP pushes back. */
#define S_INGEST_RCVHWM 64
/* Messages queued towards the store before SUBMITs are refused E_BUSY. */
#define S_BACKEND_SNDHWM 1000
/* Default per-subscriber feed queue, in messages (see PROTOCOL.md). */
#define S_FEED_HWM JK_BROKER_FEED_HWM

/* Creates and binds one socket. Every socket of the broker is set up here,
   so transport security (CURVE on ingest, ZAP) has one place to go. */
zsock_t *jk_broker_socket (const jk_broker_config_t *config, zcert_t *cert,
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
    char why[128];
    if (jk_endpoint_bind (sock, endpoint, why, sizeof why) < 0) {
        jk_error (S_COMPONENT, "cannot bind %s endpoint %s: %s", role, endpoint,
                  why);
        zsock_destroy (&sock);
    }
    return sock;
}

/* Sends a message without blocking. Returns 0 and destroys it, or -1 with
   errno set and the message intact when the first frame was refused. */
int jk_broker_send_nowait (zmsg_t **msg_p, zsock_t *sock)
{
    return jk_endpoint_send_nowait (msg_p, sock);
}
