/*  delivery_link.c - the delivery's link to the broker: its socket (made
    in one place, CURVE included), the window of SUBMITs in flight, the
    cursor, reconnects with capped exponential backoff plus jitter, and
    heartbeats. */
#include "delivery_internal.h"

#include "jk_curve.h"
#include "jk_endpoint.h"

#include <stdlib.h>
#include <string.h>

/* The one place the DEALER to the broker is made: security (CURVE) is
   added here. */
zsock_t *jk_delivery_connect (const jk_delivery_config_t *config)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock)
        return NULL;
    zsock_set_linger (sock, 0);
    zsock_set_rcvtimeo (sock, 0);
    zsock_set_sndtimeo (sock, 1000);
    zsock_set_maxmsgsize (sock, JK_MESSAGE_MAX_BYTES);
    /* CURVE client: this device's key pair, the broker's public key. A
       key the broker does not know fails the handshake, which looks like
       a broker that never answers: the answer timeout reconnects with
       backoff. */
    if (jk_curve_client (sock, config->broker_key, config->key, S_COMPONENT)) {
        zsock_destroy (&sock);
        return NULL;
    }
    if (jk_endpoint_connect (sock, config->broker) != 0) {
        jk_error (S_COMPONENT, "broker=%s error=\"cannot connect: %s\"",
                  config->broker, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

void jk_delivery_flight_clear (jk_flight_t *f)
{
    free (f->seqs);
    free (f->ids);
    memset (f, 0, sizeof *f);
}

jk_flight_t *jk_delivery_front (jk_delivery_t *run)
{
    return &run->flights[run->head];
}

void jk_delivery_pop (jk_delivery_t *run)
{
    jk_delivery_flight_clear (jk_delivery_front (run));
    run->head = (run->head + 1) % S_WINDOW_MAX;
    run->inflight--;
}

int jk_delivery_mark (jk_delivery_t *run, jk_flight_t *f)
{
    if (f->marked || f->count == 0)
        return JK_OK;
    f->marked = true;
    return jk_outbox_mark_sent (run->outbox, f->seqs[0], f->seqs[f->count - 1],
                                f->sent_wall);
}

int jk_delivery_drop (jk_delivery_t *run)
{
    int rc = JK_OK;
    while (run->inflight) {
        if (jk_delivery_mark (run, jk_delivery_front (run)) != JK_OK)
            rc = JK_IO;
        jk_delivery_pop (run);
    }
    return rc;
}

/* Drops the socket and everything in flight; sending resumes from the
   oldest unanswered event after a backoff. */
void jk_delivery_disconnect (jk_delivery_t *run, const char *why)
{
    if (run->dealer)
        jk_info (S_COMPONENT, "broker=%s reconnect=\"%s\" backoff_ms=%d",
                 run->config->broker, why, run->backoff_ms);
    zsock_destroy (&run->dealer);
    run->heard = false;
    jk_delivery_drop (run); /* a failed mark is logged; the rows resend */
    run->cursor = 0;
    run->generation++;
    int jitter = run->backoff_ms > 1 ? rand () % (run->backoff_ms / 2 + 1) : 0;
    run->resume_at = jk_clock_mono_ms () + run->backoff_ms + jitter;
    run->backoff_ms = run->backoff_ms * 2 > JK_RECONNECT_MAX_MS
                          ? JK_RECONNECT_MAX_MS
                          : run->backoff_ms * 2;
    run->stats->reconnects++;
}

/* Sends sending-from-seq back to the given point (a gap or a retryable
   NACK), ignoring stale retry answers already on their way. */
void jk_delivery_rewind (jk_delivery_t *run, uint64_t from_seq, int delay_ms)
{
    run->cursor = from_seq > 0 ? from_seq - 1 : 0;
    run->generation++;
    if (delay_ms > 0) {
        int jitter = rand () % (delay_ms / 2 + 1);
        run->resume_at = jk_clock_mono_ms () + delay_ms + jitter;
        run->backoff_ms = run->backoff_ms * 2 > JK_RECONNECT_MAX_MS
                              ? JK_RECONNECT_MAX_MS
                              : run->backoff_ms * 2;
    }
}

void jk_delivery_ping (jk_delivery_t *run)
{
    zmsg_t *ping = jk_wire_new ("PING");
    jk_heartbeat_add (ping, &run->heartbeat);
    if (zmsg_send (&ping, run->dealer) != 0)
        zmsg_destroy (&ping);
    run->last_sent = jk_clock_mono_ms ();
}
