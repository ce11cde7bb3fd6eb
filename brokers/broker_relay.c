/*  broker_relay.c - the broker's busy paths without frame objects: a
    message's parts are received as zmq_msg_t and the parts of a SUBMIT
    (to the store) or of an ANSWER (to its agent) are sent on as they
    came, reordered around the routing ids, never copied; a RECORDS
    frame is published on the feed record by record in the same way
    (broker_store.c). Every other message, and any these paths do not
    take (a SUBMIT with an event its key may not send, a store not yet
    known, a malformed message), goes the general way as a zmsg_t
   (broker_ingest.c, broker_store.c), which answers it exactly as before. */
#include "broker_internal.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

jk_broker_parts_t *jk_broker_parts_new (void)
{
    return (jk_broker_parts_t *)jk_calloc (1, sizeof (jk_broker_parts_t));
}

/* Closes the parts from index from on. */
static void s_parts_close (jk_broker_parts_t *p, size_t from)
{
    for (size_t i = from; i < p->count; i++)
        zmq_msg_close (&p->part[i]);
    p->count = 0;
}

void jk_broker_parts_destroy (jk_broker_parts_t **p_p)
{
    if (*p_p) {
        s_parts_close (*p_p, 0);
        free (*p_p);
        *p_p = NULL;
    }
}

/* Receives a part after a message's first: it is there (ZeroMQ
   delivers a message whole), so a signal that interrupts the receive
   (EINTR) does not cut the message: it is received again. -1 only when
   the context ended (ETERM). */
static int s_later_recv (jk_broker_parts_t *p, zmq_msg_t *part, void *handle)
{
    while (true) {
        int rc;
        if (p->fault == JK_FAULT_RELAY_INTERRUPTED && !p->interrupted) {
            p->interrupted = true;
            errno = EINTR;
            rc = -1;
        } else {
            p->interrupted = false;
            rc = zmq_msg_recv (part, handle, 0);
        }
        if (rc >= 0 || zmq_errno () != EINTR)
            return rc;
    }
}

/* Receives the next message's parts without waiting: false when none is
   there. A message of more parts than part[] holds leaves the rest on
   the socket (p->more). A message cut by the context's end is dropped
   whole (count 0): no part of it goes anywhere. */
static bool s_parts_recv (jk_broker_parts_t *p, zsock_t *sock)
{
    void *handle = zsock_resolve (sock);
    p->count = 0;
    p->more = false;
    while (p->count < JK_BROKER_PARTS_MAX) {
        zmq_msg_t *part = &p->part[p->count];
        zmq_msg_init (part);
        int rc = p->count ? s_later_recv (p, part, handle)
                          : zmq_msg_recv (part, handle, ZMQ_DONTWAIT);
        if (rc < 0) {
            zmq_msg_close (part);
            if (p->count == 0)
                return false;
            s_parts_close (p, 0);
            return true;
        }
        p->count++;
        if (!zmq_msg_more (part))
            return true;
    }
    p->more = true;
    return true;
}

/* The parts as a zmsg_t (copied), with the rest of a longer message
   read from the socket; the parts are closed. NULL when the context
   ended in the middle of the rest. */
static zmsg_t *s_parts_zmsg (jk_broker_parts_t *p, zsock_t *sock)
{
    zmsg_t *msg = zmsg_new ();
    for (size_t i = 0; i < p->count; i++)
        zmsg_addmem (msg, zmq_msg_data (&p->part[i]),
                     zmq_msg_size (&p->part[i]));
    s_parts_close (p, 0);
    void *handle = zsock_resolve (sock);
    bool more = p->more;
    p->more = false;
    zmq_msg_t part;
    zmq_msg_init (&part);
    while (more) {
        if (s_later_recv (p, &part, handle) < 0) {
            zmsg_destroy (&msg);
            break;
        }
        zmsg_addmem (msg, zmq_msg_data (&part), zmq_msg_size (&part));
        more = zmq_msg_more (&part);
    }
    zmq_msg_close (&part);
    return msg;
}

static bool s_part_is (zmq_msg_t *part, const char *text)
{
    size_t size = strlen (text);
    return zmq_msg_size (part) == size &&
           memcmp (zmq_msg_data (part), text, size) == 0;
}

/* Sends parts order[0..n) of p, all but the last with ZMQ_SNDMORE,
   without waiting; each part sent is taken (order names every part p
   holds). False, with errno and every part still held, when the first
   is refused (the later parts of a message whose first was taken are
   always taken). */
static bool s_parts_send (jk_broker_parts_t *p, const size_t *order, size_t n,
                          zsock_t *sock)
{
    void *handle = zsock_resolve (sock);
    for (size_t i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_msg_send (&p->part[order[i]], handle, flags) < 0) {
            if (i == 0)
                return false;
            /* Cannot happen (see above); never leak. */
            for (; i < n; i++)
                zmq_msg_close (&p->part[order[i]]);
            break;
        }
    }
    p->count = 0;
    return true;
}

/* The order a message's parts are sent in: first the ones named, then
   every part from index from on. */
static size_t s_order (size_t *order, const size_t *head, size_t heads,
                       size_t from, size_t count)
{
    size_t n = 0;
    for (size_t i = 0; i < heads; i++)
        order[n++] = head[i];
    for (size_t i = from; i < count; i++)
        order[n++] = i;
    return n;
}

/* The CURVE public key ZAP admitted for the connection a message came on
   (secure mode: the metadata of every part after the routing id), or "". */
static const char *s_user_id (jk_broker_state_t *self, jk_broker_parts_t *p)
{
    const char *meta = self->keyring && p->count > 1
                           ? zmq_msg_gets (&p->part[1], "User-Id")
                           : NULL;
    return meta ? meta : "";
}

/* [rid][JEJAK/1][SUBMIT][event]... from an agent with the store up (in
   secure mode, every event permitted to its key): forwarded as
   [store][JEJAK/1][SUBMIT][rid][event]..., or refused at once as the
   general path would. False (nothing done) for anything else. */
static bool s_submit (jk_broker_state_t *self, jk_broker_parts_t *p)
{
    if (p->more || p->count < 4 || !self->store_up || !self->store_id ||
        !s_part_is (&p->part[1], JK_PROTOCOL) ||
        !s_part_is (&p->part[2], "SUBMIT"))
        return false;
    size_t count = p->count - 3;
    if (count > JK_SUBMIT_MAX_EVENTS ||
        (self->keyring &&
         !jk_broker_permits_all (self, s_user_id (self, p), p, 3)))
        return false;
    zmq_msg_t *rid = &p->part[0];
    jk_broker_client_t *client = jk_broker_client_touch_id (
        self, zmq_msg_data (rid), zmq_msg_size (rid));
    self->counters.received += count;
    jk_broker_client_name (client, zmq_msg_data (&p->part[3]),
                           zmq_msg_size (&p->part[3]));
    void *backend = zsock_resolve (self->backend);
    if (zmq_send (backend, zframe_data (self->store_id),
                  zframe_size (self->store_id),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
        size_t order[JK_BROKER_PARTS_MAX];
        const size_t head[] = {1, 2, 0};
        size_t n = s_order (order, head, 3, 3, p->count);
        /* The parts after the routing id taken are always taken. */
        if (!s_parts_send (p, order, n, self->backend))
            s_parts_close (p, 0);
        self->counters.forwarded += count;
        return true;
    }
    bool gone = errno == EHOSTUNREACH;
    zframe_t *rid_frame = zframe_new (zmq_msg_data (rid), zmq_msg_size (rid));
    zmsg_t *events = zmsg_new ();
    for (size_t i = 3; i < p->count; i++)
        zmsg_addmem (events, zmq_msg_data (&p->part[i]),
                     zmq_msg_size (&p->part[i]));
    s_parts_close (p, 0);
    jk_broker_submit_refused (self, rid_frame, events, gone);
    zmsg_destroy (&events);
    zframe_destroy (&rid_frame);
    return true;
}

bool jk_broker_relay_ingest (jk_broker_state_t *self)
{
    jk_broker_parts_t *p = self->parts;
    if (!s_parts_recv (p, self->ingest))
        return false;
    if (p->count == 0 || s_submit (self, p))
        return true;
    char user_id[64];
    snprintf (user_id, sizeof user_id, "%s", s_user_id (self, p));
    zmsg_t *msg = s_parts_zmsg (p, self->ingest);
    if (msg)
        jk_broker_ingest_message (self, &msg, user_id);
    zmsg_destroy (&msg);
    return true;
}

/* [store][JEJAK/1][ANSWER][client][answer]... or
   [store][JEJAK/1][RECORDS][records] from the store the broker serves:
   the ANSWER routed to its agent as [client][JEJAK/1][ANSWER][answer]...,
   the records published. False (nothing done) for anything else. */
static bool s_from_store (jk_broker_state_t *self, jk_broker_parts_t *p)
{
    if (p->more || p->count < 4 || !self->store_up || !self->store_id ||
        zmq_msg_size (&p->part[0]) != zframe_size (self->store_id) ||
        memcmp (zmq_msg_data (&p->part[0]), zframe_data (self->store_id),
                zframe_size (self->store_id)) != 0 ||
        !s_part_is (&p->part[1], JK_PROTOCOL))
        return false;
    bool answer = s_part_is (&p->part[2], "ANSWER") && p->count >= 5;
    bool records = s_part_is (&p->part[2], "RECORDS") && p->count == 4;
    if (!answer && !records)
        return false;
    self->store_seen_mono = jk_clock_mono_ms ();
    if (records) {
        jk_broker_records_publish (self, zmq_msg_data (&p->part[3]),
                                   zmq_msg_size (&p->part[3]));
        s_parts_close (p, 0);
        return true;
    }
    for (size_t i = 4; i < p->count; i++)
        jk_broker_answer_count (self, zmq_msg_data (&p->part[i]),
                                zmq_msg_size (&p->part[i]));
    /* The store's routing id stays behind. */
    zmq_msg_close (&p->part[0]);
    zmq_msg_init (&p->part[0]);
    size_t order[JK_BROKER_PARTS_MAX];
    const size_t head[] = {3, 1, 2};
    size_t n = s_order (order, head, 3, 4, p->count);
    /* A client gone meanwhile is dropped by the ROUTER: it resends. */
    if (!s_parts_send (p, order, n, self->ingest))
        s_parts_close (p, 0);
    return true;
}

bool jk_broker_relay_backend (jk_broker_state_t *self)
{
    jk_broker_parts_t *p = self->parts;
    if (!s_parts_recv (p, self->backend))
        return false;
    if (p->count == 0 || s_from_store (self, p))
        return true;
    zmsg_t *msg = s_parts_zmsg (p, self->backend);
    if (msg)
        jk_broker_backend_message (self, &msg);
    zmsg_destroy (&msg);
    return true;
}
