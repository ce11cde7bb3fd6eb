/*  endpoint.c - ZeroMQ endpoints as the programs are given them: the
    form checked before anything connects, and whether one stays on this
    machine (plain, unencrypted mode is allowed only there). */
#include "jk_base.h"
#include "jk_opts.h"

#include <stdio.h>
#include <string.h>

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

int jk_endpoint_check (const char *endpoint, char *why, size_t why_size)
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
                  "not an endpoint: tcp://HOST:PORT or ipc://PATH");
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
    if (jk_parse_u64 (port, &n) != JK_OK || n < 1 || n > 65535) {
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
