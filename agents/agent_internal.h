/*  agent_internal.h - shared between the files of the agents' command
    line only (agent_main.c: options, help and dispatch; agent_common.c:
    printing, parsing, the outbox and delivery; agent_event.c: the event
    commands; agent_import.c: import; agent_queue.c: sync, pending,
    receipts, inspect, prune, verify, witness). Not part of jk_agent.h. */
#ifndef JK_AGENT_INTERNAL_H
#define JK_AGENT_INTERNAL_H

#include "jk_agent.h"
#include "jk_opts.h"

#define JK_AGENT_DEFAULT_BROKER "tcp://127.0.0.1:7450"
#define JK_AGENT_DEFAULT_QUERY  "tcp://127.0.0.1:7452"
#define JK_AGENT_IMPORT_CHUNK   1000 /* rows per outbox transaction */
/* The clock an event's `at` may come from (EVENTS.md): 1990-01-01 up to
   2100-01-01, UTC. */
#define JK_AGENT_CLOCK_MIN_MS 631152000000LL
#define JK_AGENT_CLOCK_MAX_MS 4102444800000LL

/* The options of one program run: globals, command flags, body flags. */
typedef struct {
    jk_domain_t domain;
    char program[32];         /* "jejak-attendance" */
    jk_opt_t *spec;           /* option table */
    char **names;             /* owned flag names of body fields */
    size_t count, body_first; /* entries; first body-field entry */
    jk_opts_t *opts;
    jk_outbox_t *outbox;
    jk_delivery_config_t delivery;
    int64_t wait_ms;
} jk_agent_t;

/* Prints a diagnostic line on stderr, what a file put into it made safe
   for a terminal (control bytes and bytes that are not UTF-8 as \xNN). */
void jk_agent_say (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));
/* Prints a problem as "error: FIELD: MESSAGE (CODE)", escaped. */
void jk_agent_print_problem (const char *prefix, const char *where,
                             const jk_problem_t *p);
/* Prints every warning of a report (jk_agent_print_problem). */
void jk_agent_print_warnings (const char *where, const jk_report_t *report);
/* Parses --wait: seconds, a whole or decimal number >= 0; JK_OK or JK_INVALID.
 */
int jk_agent_parse_wait (const char *text, int64_t *ms);
/* An outbox state as the listings print it ("PENDING" ...). */
const char *jk_agent_state_name (jk_outbox_state_t state);
/* "legal_number" -> "legal-number" into out. */
void jk_agent_flag_name (const char *field, char *out, size_t size);
/* Before queueing: tells the operator when the hub last said this
   machine's clock is off, and fills the validation context (its clock
   the hub's when this one is behind). -1 when this machine's clock
   cannot date an event (said). */
int jk_agent_clock_check (jk_agent_t *self, jk_context_t *context);
/* Opens the outbox for --source (self->outbox); an exit code
   (JK_EXIT_USAGE for another source's outbox), the reason printed. */
int jk_agent_open_outbox (jk_agent_t *self);
/* Delivers up to until_seq (0: all) within --wait; a JK_ code and the
   counts in stats. */
int jk_agent_deliver (jk_agent_t *self, uint64_t until_seq, bool idle,
                      jk_delivery_stats_t *stats);
/* Rejects flags that belong to other commands (printed); 0 or -1. */
int jk_agent_check_flags (jk_agent_t *self, const jk_type_t *t,
                          const char *command);
/* An event command (one per vocabulary type): fill, validate, queue,
   deliver. Exit code. */
int jk_agent_cmd_event (jk_agent_t *self, const jk_type_t *t);
/* import FILE --type TYPE. Exit code. */
int jk_agent_cmd_import (jk_agent_t *self);
/* sync. Exit code. */
int jk_agent_cmd_sync (jk_agent_t *self);
/* pending, or receipts (--verify). Exit code. */
int jk_agent_cmd_list (jk_agent_t *self, bool receipts);
/* inspect SEQ. Exit code. */
int jk_agent_cmd_inspect (jk_agent_t *self);
/* prune --before DATE. Exit code. */
int jk_agent_cmd_prune (jk_agent_t *self);
/* receipts --verify. Exit code. */
int jk_agent_cmd_verify (jk_agent_t *self);
/* witness. Exit code. */
int jk_agent_cmd_witness (jk_agent_t *self);

#endif
