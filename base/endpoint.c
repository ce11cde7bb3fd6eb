/*  endpoint.c - ZeroMQ endpoints as the programs are given them: the
    form checked before anything binds or connects, whether one stays on
    this machine (plain, unencrypted mode is allowed only there), and the
    one bind and connect every program goes through. */
#include "jk_endpoint.h"

#include "jk_base.h"
#include "jk_opts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

bool jk_endpoint_is_local (const char *endpoint)
{
    if (!endpoint)
        return false;
    if (strncmp (endpoint, "ipc://", 6) == 0 ||
        strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    /* "source;destination" names two addresses: not judged, not local. */
    if (strchr (host, ';'))
        return false;
    const char *colon = strrchr (host, ':');
    if (!colon)
        return false;
    size_t len = (size_t)(colon - host);
    if (len == 9 && strncmp (host, "localhost", 9) == 0)
        return true;
    if (len == 5 && strncmp (host, "[::1]", 5) == 0)
        return true;
    /* 127.a.b.c: four decimal parts, the first 127. */
    if (len < 9 || len > 15 || strncmp (host, "127.", 4) != 0)
        return false;
    int dots = 0, digits = 0;
    for (size_t i = 3; i < len; i++) {
        if (host[i] == '.') {
            if (i > 3 && digits == 0)
                return false;
            dots++;
            digits = 0;
        } else if (host[i] >= '0' && host[i] <= '9') {
            if (++digits > 3)
                return false;
        } else
            return false;
    }
    return dots == 3 && digits > 0;
}

/* The form of an endpoint; bound: the program binds it, so the port may
   be "*" (any free port). */
static int s_check (const char *endpoint, bool bound, char *why,
                    size_t why_size)
{
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        if (endpoint[6] == 0) {
            snprintf (why, why_size, "the path is missing (ipc://PATH)");
            return JK_INVALID;
        }
        return JK_OK;
    }
    if (strncmp (endpoint, "tcp://", 6) != 0) {
        snprintf (why, why_size,
                  endpoint[0] ? "not a tcp:// or ipc:// endpoint"
                              : "the endpoint is empty");
        return JK_INVALID;
    }
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (host[0] == '[') {
        const char *close = strchr (host, ']');
        if (!close || close[1] != ':') {
            snprintf (
                why, why_size,
                "an IPv6 host is written [ADDRESS]:PORT (tcp://[::1]:PORT)");
            return JK_INVALID;
        }
        colon = close + 1;
    }
    if (!colon || colon == host) {
        snprintf (why, why_size,
                  !colon ? "the port is missing (tcp://HOST:PORT)"
                         : "the host is missing (tcp://HOST:PORT)");
        return JK_INVALID;
    }
    const char *port = colon + 1;
    uint64_t n = 0;
    if (*port == 0) {
        snprintf (why, why_size, "the port is missing (tcp://HOST:PORT)");
        return JK_INVALID;
    }
    if (!(bound && strcmp (port, "*") == 0) &&
        (jk_parse_u64 (port, &n) != JK_OK || n < 1 || n > 65535)) {
        snprintf (why, why_size, "the port must be a number 1..65535");
        return JK_INVALID;
    }
    for (const char *p = host; p < colon; p++)
        if (*p <= ' ' || *p == '/' || *p == '\\') {
            snprintf (why, why_size, "the host holds a space or a slash");
            return JK_INVALID;
        }
    return JK_OK;
}

int jk_endpoint_check (const char *endpoint, char *why, size_t why_size)
{
    return s_check (endpoint, false, why, why_size);
}

int jk_endpoint_option (const char *program, const char *flag,
                        const char *value, jk_endpoint_use_t use)
{
    char why[160];
    bool bound = use == JK_ENDPOINT_BIND;
    if (s_check (value, bound, why, sizeof why) == JK_OK)
        return 0;
    fprintf (stderr,
             "%s: --%s '%s': %s; an endpoint is tcp://HOST:PORT (PORT "
             "1..65535%s) or ipc://PATH (see --help)\n",
             program, flag, value, why,
             bound ? ", or * for any free port" : "");
    return 2;
}

int jk_endpoint_options (const char *program, jk_opts_t *opts,
                         const char *names, jk_endpoint_use_t use)
{
    char name[32];
    while (*names) {
        size_t len = strcspn (names, " ");
        snprintf (name, sizeof name, "%.*s", (int)len, names);
        names += len + (names[len] == ' ');
        const char *value = jk_opts_get (opts, name);
        if (value && jk_endpoint_option (program, name, value, use))
            return 2;
    }
    return 0;
}

/* True when the kernel lists a socket listening on path, bound with that
   very text (/proc/net/unix: flag __SO_ACCEPTCON 0x10000, state 01). Seen
   there, the path needs no connection to tell: a connection would reach
   the running program's ZeroMQ listener and count there as a handshake
   that failed. */
static bool s_ipc_listed (const char *path)
{
    FILE *file = fopen ("/proc/net/unix", "re");
    if (!file)
        return false;
    char line[512];
    bool listed = false;
    while (!listed && fgets (line, sizeof line, file)) {
        unsigned flags = 0, state = 0;
        int at = 0;
        line[strcspn (line, "\n")] = 0;
        if (sscanf (line, "%*s %*s %*s %x %*x %x %*s %n", &flags, &state,
                    &at) == 2 &&
            at > 0 && (flags & 0x10000) && state == 1)
            listed = strcmp (line + at, path) == 0;
    }
    fclose (file);
    return listed;
}

/* True when a program listens on the ipc path: the kernel lists it
   (above), or a connection to it is accepted. A stale socket file
   refuses it (ECONNREFUSED), a missing one is not there (ENOENT); an
   abstract name (@NAME) or a path too long for a socket address is left
   to libzmq. */
static bool s_ipc_listened (const char *path)
{
    struct sockaddr_un addr;
    memset (&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (path[0] == '@' || strlen (path) >= sizeof addr.sun_path)
        return false;
    strcpy (addr.sun_path, path);
    if (s_ipc_listed (path))
        return true;
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int rc;
    do
        rc = connect (fd, (struct sockaddr *)&addr, sizeof addr);
    while (rc != 0 && errno == EINTR);
    close (fd);
    return rc == 0;
}

void jk_endpoint_shown (zsock_t *sock, const char *endpoint, char *out,
                        size_t out_size)
{
    size_t len = strlen (endpoint);
    char *last = NULL;
    const char *port = NULL;
    if (strncmp (endpoint, "tcp://", 6) == 0 && len >= 2 &&
        strcmp (endpoint + len - 2, ":*") == 0 &&
        (last = zsock_last_endpoint (sock)) != NULL)
        port = strrchr (last, ':');
    if (port && port[1] >= '1' && port[1] <= '9')
        snprintf (out, out_size, "%.*s%s", (int)(len - 2), endpoint, port);
    else
        snprintf (out, out_size, "%s", endpoint);
    zstr_free (&last);
}

int jk_endpoint_bind (zsock_t *sock, const char *endpoint, char *why,
                      size_t why_size)
{
    char *rewritten = NULL;
    if (strncmp (endpoint, "tcp://", 6) == 0) {
        const char *host = endpoint + 6;
        /* libzmq binds an interface or an address, never a host name. */
        if (strncmp (host, "localhost:", 10) == 0)
            rewritten = jk_sprintf ("tcp://127.0.0.1:%s", host + 10);
        else if (host[0] == '[')
            zsock_set_ipv6 (sock, 1);
    } else if (strncmp (endpoint, "ipc://", 6) == 0 &&
               s_ipc_listened (endpoint + 6)) {
        /* libzmq would unlink the path and take it over silently. */
        snprintf (why, why_size, "the path is in use by a running program");
        errno = EADDRINUSE;
        return -1;
    }
    int rc = zsock_bind (sock, "%s", rewritten ? rewritten : endpoint);
    free (rewritten);
    if (rc < 0) {
        snprintf (why, why_size, "%s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

int jk_endpoint_connect (zsock_t *sock, const char *endpoint)
{
    /* Without ZMQ_IPV6 an [IPv6] address is accepted and never reached. */
    if (strncmp (endpoint, "tcp://[", 7) == 0)
        zsock_set_ipv6 (sock, 1);
    return zsock_connect (sock, "%s", endpoint);
}

int jk_endpoint_send_nowait (zmsg_t **msg_p, zsock_t *sock)
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
