/*  jk_endpoint.h - binding and connecting ZeroMQ endpoints the way the
    docs promise, in one place for every program: tcp://localhost:PORT is
    bound as 127.0.0.1, tcp://[IPv6]:PORT is bound and connected with
    ZMQ_IPV6 on, and an ipc:// path a running program listens on is not
    taken over. The form checks and the loopback test are in jk_opts.h. */
#ifndef JK_ENDPOINT_H
#define JK_ENDPOINT_H

#include <czmq.h>
#include <stddef.h>

/* Binds sock to endpoint. Returns 0, or -1 with the reason in why
   ("Address already in use", "the path is in use by a running program"
   ...). A stale ipc socket file (nothing answers on it) is taken over. */
int jk_endpoint_bind (zsock_t *sock, const char *endpoint, char *why,
                      size_t why_size);

/* The endpoint sock was bound to as given, written to out, with a port
   given as `*` replaced by the port the system chose
   (tcp://127.0.0.1:* -> tcp://127.0.0.1:41235; the host is kept as
   given). Any other endpoint is copied unchanged. Start lines and logs
   print this, so a program bound to any free port says which. */
void jk_endpoint_shown (zsock_t *sock, const char *endpoint, char *out,
                        size_t out_size);

/* Room for an endpoint as shown. */
#define JK_ENDPOINT_SHOWN_MAX 320

/* Connects sock to endpoint (ZMQ_IPV6 on for an [IPv6] host). Returns 0,
   or -1 with zmq_errno set. */
int jk_endpoint_connect (zsock_t *sock, const char *endpoint);

/* Sends msg on sock without ever waiting. Returns 0 with the message
   sent and destroyed, or -1 with errno set (EAGAIN: the peer's queue is
   full; EHOSTUNREACH: a ROUTER_MANDATORY peer is gone) and the message
   left whole in *msg_p, when its first frame was refused (ZeroMQ takes
   the later frames of a message whose first it took). */
int jk_endpoint_send_nowait (zmsg_t **msg_p, zsock_t *sock);

#endif
