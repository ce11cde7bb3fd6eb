/*  link.c - a federation link's STATS for the board (--link): the
    socket, the question and the newest answer. */
#include "status_run.h"

#include "jk_endpoint.h"

#include <stdlib.h>
#include <string.h>

/* A DEALER to --link (CURVE with --link-key/--link-server-key), or NULL
   when there is none or it cannot be set up (logged). */
zsock_t *jk_status_link_socket (jk_opts_t *opts)
{
    const char *endpoint = jk_opts_get (opts, "link");
    if (!endpoint)
        return NULL;
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    zsock_set_sndhwm (sock, 4);
    zsock_set_sndtimeo (sock, 0);
    if (jk_status_curve (sock, endpoint, jk_opts_get (opts, "link-server-key"),
                         jk_opts_get (opts, "link-key")) ||
        jk_endpoint_connect (sock, endpoint)) {
        fprintf (stderr, "jejak-status: cannot connect to --link %s\n",
                 endpoint);
        zsock_destroy (&sock);
    }
    return sock;
}

/* Asks for the link's STATS (no wait). */
void jk_status_link_ask (zsock_t *sock)
{
    zmsg_t *msg = jk_wire_new ("STATS");
    zmsg_send (&msg, sock); /* no peer yet: dropped (send timeout 0) */
    zmsg_destroy (&msg);
}

/* Takes the newest STATS answer waiting (or waits up to wait_ms for one)
   into *text; returns true when one came. */
bool jk_status_link_take (zsock_t *sock, int wait_ms, char **text)
{
    bool got = false;
    zpoller_t *poller = zpoller_new (sock, NULL);
    int64_t deadline = jk_clock_mono_ms () + wait_ms;
    for (;;) {
        int64_t left = got ? 0 : deadline - jk_clock_mono_ms ();
        if (!zpoller_wait (poller, left > 0 ? (int)left : 0))
            break;
        zmsg_t *msg = zmsg_recv (sock);
        char command[16];
        if (!msg)
            break;
        if (!jk_wire_open (msg, command, sizeof command) &&
            strcmp (command, "STATS") == 0) {
            free (*text);
            *text = zmsg_popstr (msg);
            got = *text != NULL;
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return got;
}
