/*  listen.c - the --http ADDR:PORT value shared by the programs that
    serve HTTP (jejak-status, jejak-office), the socket address they
    listen on, and the loopback test that decides whether --http-public
    is needed. */
#include "jk_base.h"
#include "jk_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool jk_web_address_is_loopback (const char *address)
{
    struct in_addr in;
    if (strcmp (address, "localhost") == 0)
        return true;
    return inet_pton (AF_INET, address, &in) == 1 &&
           (ntohl (in.s_addr) >> 24) == 127;
}

int jk_web_parse_listen (const char *text, char *address, size_t size,
                         uint16_t *port, char *err, size_t err_size)
{
    const char *colon = strrchr (text, ':');
    const char *digits = colon ? colon + 1 : text;
    size_t host_len = colon ? (size_t)(colon - text) : 0;
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul (digits, &end, 10);
    /* Digits only: strtoul alone would take " 80", "+80" and "-0". */
    if (strspn (digits, "0123456789") != strlen (digits) || !*digits || *end ||
        errno || value > 65535) {
        snprintf (err, err_size,
                  "--http '%s': the port must be a number 0..65535 (ADDR:PORT "
                  "or PORT; 0 picks a free port)",
                  text);
        return JK_INVALID;
    }
    if (colon && host_len == 0) {
        snprintf (err, err_size,
                  "--http '%s': the address before ':' is "
                  "empty (e.g. 127.0.0.1:8080)",
                  text);
        return JK_INVALID;
    }
    if (!colon)
        snprintf (address, size, "127.0.0.1");
    else if (host_len >= size) {
        snprintf (err, err_size, "--http '%s': the address is too long", text);
        return JK_INVALID;
    } else {
        memcpy (address, text, host_len);
        address[host_len] = 0;
    }
    if (strcmp (address, "localhost") == 0)
        snprintf (address, size, "127.0.0.1");
    struct in_addr in;
    if (inet_pton (AF_INET, address, &in) != 1) {
        snprintf (err, err_size,
                  "--http '%s': '%s' is not an IPv4 address (e.g. 127.0.0.1 "
                  "or 0.0.0.0)",
                  text, address);
        return JK_INVALID;
    }
    *port = (uint16_t)value;
    return 0;
}

int jk_web_sockaddr (const char *address, uint16_t port,
                     struct sockaddr_in *out, char *err, size_t err_size)
{
    memset (out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons (port);
    if (inet_pton (AF_INET, address, &out->sin_addr) != 1) {
        snprintf (err, err_size, "'%s' is not an IPv4 address", address);
        return JK_INVALID;
    }
    return JK_OK;
}
