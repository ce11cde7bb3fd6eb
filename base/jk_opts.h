/*  jk_opts.h - command-line options shared by every Jejak program.
    Each option can come from a flag (--name VALUE or --name=VALUE), an
    environment variable, or a key in a ZPL config file (czmq zconfig),
    in that order of precedence, then its default. Flags may stand before or
    after positional arguments; "--" ends the flags. */
#ifndef JK_OPTS_H
#define JK_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *name; /* flag name without dashes, e.g. "broker" */
    const char *env;  /* environment variable, or NULL */
    const char *def;  /* default value, or NULL */
    const char *help; /* one line for --help */
    bool is_switch;   /* true: takes no value (e.g. --once) */
} jk_opt_t;

typedef struct jk_opts_s jk_opts_t;

/* The --region option of the programs that check codes against the
   region reference data on a hub's behalf (the office agents,
   jejak-office, jejak-keys, jejak-sample): one row for each of their
   option tables, so each takes JEJAK_REGION and the config key "region"
   alike; jk_region_options (jk_schema.h) applies it. */
#define JK_OPT_REGION_HELP                                                     \
    "the hub's region (its --region), whose kecamatan and desa codes are "     \
    "the valid ones: a kabupaten code (32.03) or a province code (32); "       \
    "default: Kabupaten Cianjur"
#define JK_OPT_REGION                                                          \
    {                                                                          \
        "region", "JEJAK_REGION", NULL, JK_OPT_REGION_HELP, false              \
    }

/* Creates a parser for the given options (copied by reference: the spec
   array must outlive the parser). "help" and "config" are always known:
   --config PATH (or JEJAK_CONFIG) names the ZPL file. */
jk_opts_t *jk_opts_new (const char *program, const jk_opt_t *spec,
                        size_t count);
void jk_opts_destroy (jk_opts_t **self_p);

/* Parses argv (argv[0] is skipped); a flag given twice counts with its
   last value. Returns JK_OK, or JK_INVALID with a message
   naming the flag in err: unknown flag, missing value, a config file that
   is missing, a directory, unreadable or not ZPL. A top-level key of the
   config file that no Jejak program takes is reported on stderr ("PROGRAM:
   warning: FILE:LINE: unknown key 'KEY' ignored (no Jejak program takes
   it)") and the parse goes on: one file may serve several programs. */
int jk_opts_parse (jk_opts_t *self, int argc, char **argv, char *err,
                   size_t err_size);

/* The options from spec[first] on are taken from the command line only,
   never from the environment or a config file (an agent's event fields:
   a key of a shared config file must not fill every event, nor trip the
   commands that do not take it). Such a key is not read, and not warned
   of: another program sharing the file may take it. Call before
   jk_opts_parse. */
void jk_opts_command_line_only (jk_opts_t *self, size_t first);

/* True when this program takes an option of this name (the options of
   its first jk_opts_new): a message can then name the flag, else only its
   environment variable. */
bool jk_opts_program_takes (const char *name);

/* True when some Jejak program takes an option (config key) of this name. */
bool jk_opts_key_known (const char *key);

/* The value of an option after precedence, or NULL when unset. */
const char *jk_opts_get (jk_opts_t *self, const char *name);
/* True when a switch was given (flag, env "1"/"true", or config). */
bool jk_opts_on (jk_opts_t *self, const char *name);
/* True when the option was given explicitly (flag, env or config). */
bool jk_opts_given (jk_opts_t *self, const char *name);
/* True when the option was given as a flag on the command line (not
   from the environment or a config file, which may serve other
   commands). */
bool jk_opts_flag_given (jk_opts_t *self, const char *name);
/* True when --help was given. */
bool jk_opts_help (jk_opts_t *self);

size_t jk_opts_argc (jk_opts_t *self);
const char *jk_opts_arg (jk_opts_t *self, size_t index);

/* Prints one line per option: flag, environment variable, default, help. */
void jk_opts_print (jk_opts_t *self, FILE *out);

/* The start a program's main shares with every other: answers --version,
   parses argv against spec (a usage error printed as "PROGRAM: ERROR (see
   --help)" on stderr) and answers --help with usage on stdout. Returns
   the parsed options, or NULL with *status set: 0 after --version or
   --help, 2 after a usage error. */
jk_opts_t *jk_opts_start (const char *program, const jk_opt_t *spec,
                          size_t count, int argc, char **argv,
                          void (*usage) (jk_opts_t *opts, FILE *out),
                          int *status);
/* jk_opts_start for a program that takes flags only: an argument is a
   usage error too, "PROGRAM: unexpected argument 'ARG' (see --help)" on
   stderr (the first one named), *status 2. */
jk_opts_t *jk_opts_start_flags (const char *program, const jk_opt_t *spec,
                                size_t count, int argc, char **argv,
                                void (*usage) (jk_opts_t *opts, FILE *out),
                                int *status);

/* True when a ZeroMQ endpoint stays on this machine: ipc:// and inproc://,
   or tcp:// on a loopback address (127.0.0.0/8, localhost, [::1]). Any
   other endpoint (every interface, a public address, another transport)
   is false: plain (unencrypted) mode is allowed only on local ones. */
bool jk_endpoint_is_local (const char *endpoint);

/* Checks an endpoint's form before anything connects: tcp://HOST:PORT
   (HOST a name, an IPv4 address or [IPv6], PORT 1..65535) or ipc://PATH.
   Returns JK_OK, or JK_INVALID with the rule broken in why. */
int jk_endpoint_check (const char *endpoint, char *why, size_t why_size);

/* How a program uses an endpoint option: it binds it (PORT may then be
   "*", any free port) or connects to it. */
typedef enum { JK_ENDPOINT_CONNECT, JK_ENDPOINT_BIND } jk_endpoint_use_t;

/* The form check every endpoint option of every program passes before
   its loopback/keys check: jk_endpoint_check, and "*" for the port of
   one bound. Returns 0, or 2 (the usage exit) after printing on stderr
   "PROGRAM: --FLAG 'VALUE': RULE; an endpoint is tcp://HOST:PORT (PORT
   1..65535[, or * for any free port]) or ipc://PATH (see --help)". */
int jk_endpoint_option (const char *program, const char *flag,
                        const char *value, jk_endpoint_use_t use);
/* jk_endpoint_option on each option of names (separated by spaces) that
   has a value: 0, or 2 after the first refusal. */
int jk_endpoint_options (const char *program, jk_opts_t *opts,
                         const char *names, jk_endpoint_use_t use);

/* HTTP listening addresses (jejak-status --http, jejak-office --http). */
/* Parses --http's value: "ADDR:PORT" or "PORT" (then ADDR is 127.0.0.1;
   "localhost" means 127.0.0.1). Returns JK_OK, or JK_INVALID with err naming
   what is wrong. */
int jk_web_parse_listen (const char *text, char *address, size_t size,
                         uint16_t *port, char *err, size_t err_size);
/* True for 127.0.0.0/8 and "localhost". */
bool jk_web_address_is_loopback (const char *address);
/* The IPv4 socket address a server listens on: address (dotted) and
   port. Returns JK_OK, or JK_INVALID with err saying the address is not
   IPv4. */
struct sockaddr_in;
int jk_web_sockaddr (const char *address, uint16_t port,
                     struct sockaddr_in *out, char *err, size_t err_size);

#endif
