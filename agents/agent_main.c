/*  agent_main.c - the command line shared by jejak-registration,
    jejak-attendance and jejak-scoring: the option table (globals, command
    flags, one flag per body field of the domain's types), help, and the
    dispatch to the commands (agent_event.c, agent_import.c,
    agent_queue.c). Each program's main calls jk_agent_main. */
#include "agent_internal.h"
#include "jk_curve.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Flags of every command, shown as global in --help. */
static const jk_opt_t s_globals[] = {
    {"broker", "JEJAK_BROKER", JK_AGENT_DEFAULT_BROKER,
     "broker endpoint to deliver to", false},
    {"broker-key", "JEJAK_BROKER_KEY", NULL,
     "the broker's public certificate (CURVE; with --key)", false},
    {"key", "JEJAK_KEY", NULL,
     "this device's secret certificate from jejak-keys enrol (CURVE)", false},
    {"source", "JEJAK_SOURCE", NULL,
     "this device: OFFICE/DEVICE, OFFICE a kecamatan code or DINAS "
     "(required)",
     false},
    {"outbox", "JEJAK_OUTBOX", NULL,
     "outbox file, one per device shared by its programs (default "
     "$XDG_DATA_HOME/jejak or ~/.local/share/jejak, file "
     "outbox-SOURCE.db with / as _)",
     false},
    {"actor", "JEJAK_ACTOR", NULL,
     "operator id (default $USER, or operator when USER is unset)", false},
    {"wait", "JEJAK_WAIT", "5",
     "seconds to wait for answers (sync: seconds without progress)", false},
    {"verbose", "JEJAK_VERBOSE", NULL,
     "log delivery diagnostics (reconnects, ...) on stderr", true},
    {"data-dir", "JEJAK_DATA_DIR", NULL, "region reference data directory",
     false},
    JK_OPT_REGION,
    {"query", "JEJAK_QUERY", JK_AGENT_DEFAULT_QUERY,
     "the hub's query endpoint (proofs of receipts)", false},
    {"log-key", "JEJAK_LOG_KEY", NULL,
     "the log's verifier key (log.vkey of jejak-keys log-key, or its "
     "text): sync keeps and checks a proof of each receipt",
     false},
    {"witness-key", "JEJAK_WITNESS_KEY", NULL,
     "this office's witness key (witness.key of jejak-keys witness-key): "
     "sync and witness cosign the checkpoints they checked",
     false},
};
/* Flags that only some commands read, shown with their command. */
static const jk_opt_t s_command_flags[] = {
    {"corrects", NULL, NULL, "id of the event this one corrects", false},
    {"type", NULL, NULL, "import: event type of the rows", false},
    {"before", NULL, NULL, "prune: date (" JK_DATE_FORMS ")", false},
    {"verify", NULL, NULL,
     "receipts: check every receipt against the hub's newest checkpoint", true},
};
#define S_GLOBALS       (sizeof s_globals / sizeof s_globals[0])
#define S_COMMAND_FLAGS (sizeof s_command_flags / sizeof s_command_flags[0])

/* CURVE: --broker-key and --key both or neither, each a readable
   certificate (--key with its secret); without them only a loopback or
   ipc broker is allowed. Prints the reason and returns -1 otherwise. */
static int s_check_keys (jk_agent_t *self)
{
    const char *broker_key = jk_opts_get (self->opts, "broker-key");
    const char *key = jk_opts_get (self->opts, "key");
    char err[512];
    if (jk_curve_keys_check ("broker", self->delivery.broker, broker_key, key,
                             "device", "jejak-keys enrol", err, sizeof err)) {
        fprintf (stderr, "%s: %s\n", self->program, err);
        return -1;
    }
    self->delivery.broker_key = broker_key;
    self->delivery.key = key;
    return 0;
}

/* Builds the option table: globals, then one flag per body field name of
   the domain's types (each name once). */
static void s_spec_build (jk_agent_t *self)
{
    size_t cap = S_GLOBALS + S_COMMAND_FLAGS + 1;
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        cap += jk_vocabulary_at (i)->field_count;
    self->spec = jk_calloc (cap, sizeof *self->spec);
    self->names = jk_calloc (cap, sizeof *self->names);
    memcpy (self->spec, s_globals, sizeof s_globals);
    memcpy (self->spec + S_GLOBALS, s_command_flags, sizeof s_command_flags);
    self->count = self->body_first = S_GLOBALS + S_COMMAND_FLAGS;
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        if (!(t->domain & self->domain))
            continue;
        for (size_t f = 0; f < t->field_count; f++) {
            char name[64];
            jk_agent_flag_name (t->fields[f].name, name, sizeof name);
            bool seen = false;
            for (size_t k = 0; k < self->count && !seen; k++)
                seen = strcmp (self->spec[k].name, name) == 0;
            if (seen)
                continue;
            self->names[self->count] = jk_strdup (name);
            self->spec[self->count].name = self->names[self->count];
            self->spec[self->count].help = t->fields[f].doc;
            self->count++;
        }
    }
}

static void s_agent_fini (jk_agent_t *self)
{
    jk_outbox_close (&self->outbox);
    jk_opts_destroy (&self->opts);
    for (size_t i = 0; i < self->count; i++)
        free (self->names[i]);
    free (self->names);
    free (self->spec);
}

/* ---- help -----------------------------------------------------------------
 */

static void s_usage (jk_agent_t *self, FILE *out)
{
    fprintf (out,
             "Usage: %s [global flags] COMMAND [flags]\n\n"
             "Records %s events in a local outbox and delivers them to the "
             "dinas.\n\ncommands:\n",
             self->program, jk_domain_name (self->domain));
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        if (t->domain & self->domain)
            fprintf (out, "  %-21s %s\n", t->command, t->name);
    }
    /* Two spaces at least between a command or flag and its text, as
       help2man needs to make the man page's items of them. */
    fprintf (out,
             "  %-21s queue the rows of a CSV file (header: field names)\n"
             "  %-21s deliver what is pending, wait for the answers\n"
             "  %-21s list queued and rejected events with reasons\n"
             "  %-21s list stored events with position and hash\n"
             "  %-21s check every receipt against the hub's log\n"
             "  %-21s check the hub's newest checkpoint and cosign it\n"
             "  %-21s show one outbox event in full (bytes included)\n"
             "  %-21s remove stored events written before DATE\n\n"
             "global flags (anywhere on the line):\n",
             "import FILE --type T", "sync", "pending", "receipts",
             "receipts --verify", "witness", "inspect SEQ",
             "prune --before DATE");
    for (size_t i = 0; i < S_GLOBALS; i++) {
        const jk_opt_t *o = &s_globals[i];
        fprintf (out, "  --%-12s %s%s%s%s\n", o->name, o->help,
                 o->env ? " [$" : "", o->env ? o->env : "", o->env ? "]" : "");
        if (o->def)
            fprintf (out, "  %-14s default %s\n", "", o->def);
    }
    fprintf (out,
             "  --config PATH  ZPL config file with the same keys "
             "[$JEJAK_CONFIG]\n"
             "  --help         this text (COMMAND --help: the command's "
             "flags)\n"
             "  --version      the program's name and version\n\n"
             "'%s COMMAND --help' shows the flags of a command.\n"
             "exit: 0 stored, 2 usage or validation error (nothing queued), "
             "3 queued but not\ndelivered (offline), 4 rejected by the "
             "store, 5 the hub's log contradicts a\nreceipt or a checkpoint "
             "held (fork), 1 other failure.\n",
             self->program);
}

static void s_command_help (jk_agent_t *self, const jk_type_t *t, FILE *out)
{
    fprintf (out, "Usage: %s %s [flags]\n\n%s: %s\n\nflags:\n", self->program,
             t->command, t->name, t->doc);
    for (size_t f = 0; f < t->field_count; f++) {
        const jk_field_t *fd = &t->fields[f];
        char name[64], limits[160] = "";
        jk_agent_flag_name (fd->name, name, sizeof name);
        switch (fd->kind) {
            case JK_KIND_STR:
                snprintf (limits, sizeof limits, "%lld..%lld characters",
                          (long long)fd->min, (long long)fd->max);
                break;
            case JK_KIND_UINT:
                snprintf (limits, sizeof limits, "%lld..%lld",
                          (long long)fd->min, (long long)fd->max);
                break;
            case JK_KIND_DATE:
                snprintf (limits, sizeof limits, "%s", JK_DATE_FORMS);
                break;
            case JK_KIND_TIME:
                snprintf (limits, sizeof limits, "HH:MM or HH.MM (WIB)");
                break;
            case JK_KIND_BOOL:
                snprintf (limits, sizeof limits, "ya/tidak, true/false");
                break;
            case JK_KIND_ENUM:
            case JK_KIND_SET: {
                size_t n = 0;
                if (fd->kind == JK_KIND_SET)
                    n = (size_t)snprintf (limits, sizeof limits,
                                          "comma-separated of ");
                for (size_t k = 0; fd->values[k] && n < sizeof limits; k++)
                    n += (size_t)snprintf (limits + n, sizeof limits - n,
                                           "%s%s", k ? "|" : "", fd->values[k]);
                break;
            }
            case JK_KIND_LIST:
                snprintf (limits, sizeof limits,
                          "comma-separated, %lld..%lld items of 1..%lld "
                          "characters",
                          (long long)fd->min, (long long)fd->max,
                          (long long)fd->item_max);
                break;
            case JK_KIND_UNITS:
                snprintf (limits, sizeof limits,
                          "CODE=TITLE|CODE=TITLE, %lld..%lld items; CODE "
                          "1..%lld characters, TITLE 1..%d",
                          (long long)fd->min, (long long)fd->max,
                          (long long)fd->item_max, JK_UNIT_TITLE_MAX);
                break;
        }
        fprintf (out, "  --%-20s %-5s %s; %s%s%s\n", name,
                 jk_kind_name (fd->kind),
                 fd->required ? "required" : "optional", limits,
                 fd->def ? "; default " : "", fd->def ? fd->def : "");
        fprintf (out, "  %-22s       %s\n", "", fd->doc);
    }
    if (t->needs_corrects)
        fprintf (out,
                 "  --%-20s uuid  the id of the event corrected; or give "
                 "--batch,\n  %-22s       --session-no and --nik to find "
                 "it in this outbox\n",
                 "corrects", "");
    fprintf (out, "\nglobal flags: see %s --help\n", self->program);
}

/* ---- main ------------------------------------------------------------------
 */

static int s_cmd_receipts (jk_agent_t *self)
{
    return jk_opts_on (self->opts, "verify") ? jk_agent_cmd_verify (self)
                                             : jk_agent_cmd_list (self, true);
}

static int s_cmd_pending (jk_agent_t *self)
{
    return jk_agent_cmd_list (self, false);
}

/* The commands besides one per event type: each one's entry, and its
   COMMAND --help: what it does and its own flags (docs/AGENTS.md, "sync,
   pending, receipts, prune"). */
static const struct {
    const char *name;
    int (*run) (jk_agent_t *self);
    const char *usage, *text, *flags;
} s_builtins[] = {
    {"import", jk_agent_cmd_import, "import FILE.csv --type TYPE",
     "Queues one event of TYPE per row of a CSV file (';' or ',', a "
     "header row\nof field names, cells as the flags take them), then "
     "delivers them. Bad rows\nare reported with their line; a row "
     "queued before is not queued again.",
     "  --type TYPE    required; the rows' event type, one of:"},
    {"sync", jk_agent_cmd_sync, "sync",
     "Delivers everything pending, oldest first, waiting up to --wait "
     "seconds\nwithout progress; with --log-key it then proves the new "
     "receipts.",
     NULL},
    {"pending", s_cmd_pending, "pending",
     "Lists the PENDING, SENT, REJECTED and QUARANTINED events of the "
     "outbox,\ntab-separated, with the reason of a rejection; the counts "
     "go to stderr.",
     NULL},
    {"receipts", s_cmd_receipts, "receipts [--verify]",
     "Lists the STORED events with their position and chain hash.",
     "  --verify       check every receipt against the hub's newest "
     "checkpoint\n                 (needs --log-key)"},
    {"witness", jk_agent_cmd_witness, "witness",
     "Checks the hub's newest checkpoint and cosigns it (needs --log-key "
     "and\n--witness-key).",
     NULL},
    {"inspect", jk_agent_cmd_inspect, "inspect SEQ",
     "Shows one event of the outbox in full: state, type, id, receipt, "
     "whether\nits stored bytes match the row, and the bytes.",
     NULL},
    {"prune", jk_agent_cmd_prune, "prune --before DATE",
     "Removes the STORED events written before DATE (WIB). Nothing else "
     "is\never deleted.",
     "  --before DATE  required; " JK_DATE_FORMS},
};
#define S_BUILTINS (sizeof s_builtins / sizeof s_builtins[0])

/* The built-in command named command, or -1. */
static int s_builtin (const char *command)
{
    for (size_t i = 0; command && i < S_BUILTINS; i++)
        if (strcmp (command, s_builtins[i].name) == 0)
            return (int)i;
    return -1;
}

/* COMMAND --help of built-in command builtin (s_builtins). */
static void s_builtin_help (jk_agent_t *self, int builtin, FILE *out)
{
    const char *command = s_builtins[builtin].name;
    fprintf (out, "Usage: %s %s\n\n%s\n", self->program,
             s_builtins[builtin].usage, s_builtins[builtin].text);
    if (s_builtins[builtin].flags) {
        fprintf (out, "\nflags:\n%s", s_builtins[builtin].flags);
        if (strcmp (command, "import") == 0)
            for (size_t k = 0; k < jk_vocabulary_count (); k++)
                if (jk_vocabulary_at (k)->domain & self->domain)
                    fprintf (out, "\n                 %s",
                             jk_vocabulary_at (k)->name);
        fprintf (out, "\n");
    }
    fprintf (out, "\nglobal flags: see %s --help\n", self->program);
}

/* Log lines (reconnects, ...) are for --verbose, or for the journal
   under systemd; never mixed into an operator's command output. */
static void s_log_level (jk_agent_t *self)
{
    if (jk_opts_on (self->opts, "verbose")) {
        if (jk_log_level () < JK_LOG_INFO)
            jk_log_set_level (JK_LOG_INFO);
    } else if (!getenv ("JOURNAL_STREAM") && !getenv ("JEJAK_LOG"))
        jk_log_set_level (JK_LOG_NONE);
}

/* Whether command reads the outbox only (pending, receipts without
   --verify, inspect, prune): it connects nowhere, so --broker and its
   keys are not looked at (an office's config for a remote hub serves
   these commands too). */
static bool s_local (jk_agent_t *self, const char *command)
{
    return streq (command, "pending") || streq (command, "inspect") ||
           streq (command, "prune") ||
           (streq (command, "receipts") && !jk_opts_on (self->opts, "verify"));
}

/* The options every command needs: --data-dir and --region (before
   --source is checked against the reference data), --source, --wait,
   and unless local, --broker and its keys. 0, or -1 with the reason
   printed. */
static int s_check_globals (jk_agent_t *self, bool local)
{
    if (jk_region_options (jk_opts_get (self->opts, "data-dir"),
                           jk_opts_get (self->opts, "region")))
        return -1;
    const char *source = jk_opts_get (self->opts, "source");
    if (!source || !*source) {
        fprintf (stderr,
                 "%s: --source OFFICE/DEVICE is required (or $JEJAK_SOURCE, "
                 "or 'source' in the config file)\n",
                 self->program);
        return -1;
    }
    jk_report_t report;
    jk_report_reset (&report);
    if (jk_source_check (jk_region_default (), source, strlen (source),
                         &report) != 0) {
        fprintf (stderr, "%s: --source %s: %s\n", self->program, source,
                 report.error.message);
        return -1;
    }
    if (jk_agent_parse_wait (jk_opts_get (self->opts, "wait"),
                             &self->wait_ms) != 0) {
        fprintf (stderr,
                 "%s: --wait must be a number of seconds from 0 to "
                 "31536000 (365 days), got '%s'\n",
                 self->program, jk_opts_get (self->opts, "wait"));
        return -1;
    }
    self->delivery.broker = jk_opts_get (self->opts, "broker");
    self->delivery.program = self->program;
    if (local)
        return 0;
    if (jk_endpoint_options (self->program, self->opts, "broker query",
                             JK_ENDPOINT_CONNECT))
        return -1;
    return s_check_keys (self);
}

int jk_agent_main (jk_domain_t domain, int argc, char **argv)
{
    jk_agent_t self_ = {.domain = domain};
    jk_agent_t *self = &self_;
    snprintf (self->program, sizeof self->program, "jejak-%s",
              jk_domain_name (domain));
    s_spec_build (self);
    const char *user = getenv ("USER");
    for (size_t i = 0; i < S_GLOBALS; i++)
        if (strcmp (self->spec[i].name, "actor") == 0)
            self->spec[i].def = user && *user ? user : "operator";
    self->opts = jk_opts_new (self->program, self->spec, self->count);
    /* Only the global flags come from the environment or a config file. */
    jk_opts_command_line_only (self->opts, S_GLOBALS);
    char err[256];
    int rc = JK_EXIT_USAGE;
    if (jk_opts_parse (self->opts, argc, argv, err, sizeof err) != 0) {
        fprintf (stderr, "%s: %s (see --help)\n", self->program, err);
        goto done;
    }
    s_log_level (self);
    const char *command =
        jk_opts_argc (self->opts) ? jk_opts_arg (self->opts, 0) : NULL;
    const jk_type_t *type =
        command ? jk_vocabulary_by_command (domain, command) : NULL;
    int builtin = type ? -1 : s_builtin (command);
    if (jk_opts_help (self->opts)) {
        if (type)
            s_command_help (self, type, stdout);
        else if (builtin >= 0)
            s_builtin_help (self, builtin, stdout);
        else
            s_usage (self, stdout);
        rc = JK_EXIT_OK;
        goto done;
    }
    if (!command) {
        s_usage (self, stderr);
        goto done;
    }
    if (!type && builtin < 0) {
        fprintf (stderr, "%s: unknown command '%s' (see %s --help)\n",
                 self->program, command, self->program);
        goto done;
    }
    if (jk_agent_check_flags (self, type, command) != 0)
        goto done;
    if (!type && strcmp (command, "import") != 0 &&
        strcmp (command, "inspect") != 0 && jk_opts_argc (self->opts) > 1) {
        fprintf (stderr, "%s: unexpected argument '%s'\n", self->program,
                 jk_opts_arg (self->opts, 1));
        goto done;
    }
    if (s_check_globals (self, !type && s_local (self, command)) != 0)
        goto done;
    rc =
        type ? jk_agent_cmd_event (self, type) : s_builtins[builtin].run (self);
done:
    s_agent_fini (self);
    return rc;
}
