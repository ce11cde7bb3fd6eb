/*  jk_curve.h - the client side of CURVE for the programs that read a
    hub (jejak-status, jejak-pgsink): the --broker-key/--key pair checked
    and applied to a socket, and the handshake's outcome watched, so a
    client the hub refuses says why instead of waiting in silence
    (docs/SECURITY.md). */
#ifndef JK_CURVE_H
#define JK_CURVE_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

/* Checks a client's keys for one endpoint, named by its flag: the pair
   comes both or neither; neither only when the endpoint stays on this
   machine (jk_endpoint_is_local); server_key a readable certificate and
   key a readable secret one. Returns JK_OK, or JK_INVALID with err naming the
   flag and the rule. */
int jk_curve_client_check (const char *flag, const char *endpoint,
                           const char *server_key, const char *key, char *err,
                           size_t err_size);

/* The same for any client: holder names who holds key in the message
   ("device"), issuer the jejak-keys command that issues it ("jejak-keys
   enrol"). jk_curve_client_check is this for a reader. */
int jk_curve_keys_check (const char *flag, const char *endpoint,
                         const char *server_key, const char *key,
                         const char *holder, const char *issuer, char *err,
                         size_t err_size);

/* A pair of key flags a program takes: the server's public certificate
   and this client's secret one, with the words its messages use. */
typedef struct {
    const char *server_flag; /* "broker-key" */
    const char *key_flag;    /* "key" */
    const char *both;        /* what CURVE needs: "the hub's public ..." */
    const char *server_is;   /* what server_flag names */
    const char *key_is;      /* what key_flag names */
} jk_curve_pair_t;

/* Checks a pair of key flags' values: both or neither ("--S and --K go
   together (CURVE needs BOTH)"), server_key a readable certificate and
   key a readable secret one ("--K FILE: not a readable secret certificate
   (KEY_IS)"). Returns JK_OK, or JK_INVALID with the rule in err. */
int jk_curve_pair_check (const jk_curve_pair_t *pair, const char *server_key,
                         const char *key, char *err, size_t err_size);

/* Makes sock a CURVE client of the server whose public certificate is
   server_key, with the secret certificate key. Both NULL: plain, 0.
   Returns -1 when a certificate cannot be loaded (logged by component). */
int jk_curve_client (zsock_t *sock, const char *server_key, const char *key,
                     const char *component);

/* A watch on one socket's handshakes: jk_curve_watch_new returns a PAIR
   socket (to poll) receiving sock's handshake events, or NULL when sock
   cannot be monitored. */
zsock_t *jk_curve_watch_new (zsock_t *sock);
void jk_curve_watch_destroy (zsock_t **watch_p, zsock_t *sock);

/* Reads one event from a watch of a client that speaks CURVE (secure) or
   plain. Returns 1 for a handshake that succeeded; -2 for one the server
   refused (authentication, or the other mechanism): ZeroMQ does not try
   that connection again; -1 for one that ended without a reason (a
   network fault, a wrong server key, or a plain client at a CURVE
   server): ZeroMQ retries; 0 for anything else. reason says why, in words
   an operator acts on. */
int jk_curve_watch_read (zsock_t *watch, bool secure, char *reason,
                         size_t size);
/* The same for a server named peer ("the receiver") whose public
   certificate is given with server_flag ("--server-key");
   jk_curve_watch_read is this for "the hub" and "--broker-key". */
int jk_curve_watch_read_from (zsock_t *watch, bool secure, const char *peer,
                              const char *server_flag, char *reason,
                              size_t size);

#endif
