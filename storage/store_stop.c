/*  store_stop.c - the store actor (jk_store.h, store_internal.h): a stop
    asked while the store still opens (jk_store_begin). The opening's long
    loops (the projections' catch-up, the Merkle tree made again) look
    here between their steps. */
#include "store_internal.h"

bool jk_store_stop_asked (jk_store_t *self, int wait_ms)
{
    zmq_pollitem_t item = {zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0};
    while (!self->terminated && zmq_poll (&item, 1, wait_ms) > 0) {
        zmsg_t *msg = zmsg_recv (self->pipe);
        char *command = msg ? zmsg_popstr (msg) : NULL;
        if (!msg || (command && streq (command, "$TERM")))
            self->terminated = true;
        else
            jk_warn ("store",
                     "actor command %s before the store has opened: "
                     "ignored",
                     command ? command : "");
        free (command);
        zmsg_destroy (&msg);
        wait_ms = 0;
    }
    return self->terminated;
}
