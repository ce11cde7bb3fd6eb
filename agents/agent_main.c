/*  agent_main.c - the command line shared by jejak-registration,
    jejak-attendance and jejak-scoring: one command per event type of the
    domain (flags generated from the vocabulary table), import, sync,
    pending, receipts and prune. Each program's main calls jk_agent_main. */
#include "jk_agent.h"
#include "jk_opts.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_DEFAULT_BROKER "tcp://127.0.0.1:7450"
#define S_DEFAULT_QUERY  "tcp://127.0.0.1:7452"
#define S_IMPORT_CHUNK   1000 /* rows per outbox transaction */

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
} s_agent_t;

/* Flags of every command, shown as global in --help. */
static const jk_opt_t s_globals[] = {
    {"broker", "JEJAK_BROKER", S_DEFAULT_BROKER,
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
     "~/.local/share/jejak/outbox-SOURCE.db)",
     false},
    {"actor", "JEJAK_ACTOR", NULL, "operator id (default $USER)", false},
    {"wait", "JEJAK_WAIT", "5",
     "seconds to wait for answers (sync: seconds without progress)", false},
    {"verbose", "JEJAK_VERBOSE", NULL,
     "log delivery diagnostics (reconnects, ...) on stderr", true},
    {"data-dir", "JEJAK_DATA_DIR", NULL, "region reference data directory",
     false},
    {"query", "JEJAK_QUERY", S_DEFAULT_QUERY,
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
    {"before", NULL, NULL, "prune: date (dd/mm/yyyy or yyyy-mm-dd)", false},
    {"verify", NULL, NULL,
     "receipts: check every receipt against the hub's newest checkpoint", true},
};
#define S_GLOBALS       (sizeof s_globals / sizeof s_globals[0])
#define S_COMMAND_FLAGS (sizeof s_command_flags / sizeof s_command_flags[0])

/* CURVE: --broker-key and --key both or neither, each a readable
   certificate (--key with its secret); without them only a loopback or
   ipc broker is allowed. Prints the reason and returns -1 otherwise. */
static int s_check_keys (s_agent_t *self)
{
    const char *broker_key = jk_opts_get (self->opts, "broker-key");
    const char *key = jk_opts_get (self->opts, "key");
    const char *broker = self->delivery.broker;
    if (!broker_key != !key) {
        fprintf (stderr,
                 "%s: --broker-key and --key go together (CURVE needs the "
                 "broker's public certificate and this device's secret "
                 "one)\n",
                 self->program);
        return -1;
    }
    if (!key) {
        if (jk_endpoint_is_local (broker))
            return 0;
        fprintf (stderr,
                 "%s: --broker %s is not loopback or ipc: give --broker-key "
                 "and --key (plain connections are only for this machine)\n",
                 self->program, broker);
        return -1;
    }
    zcert_t *cert = zcert_load (broker_key);
    if (!cert) {
        fprintf (stderr,
                 "%s: --broker-key %s: not a readable certificate (the "
                 "broker.pub of jejak-keys init)\n",
                 self->program, broker_key);
        return -1;
    }
    zcert_destroy (&cert);
    cert = zcert_load (key);
    static const char no_secret[] = "0000000000000000000000000000000000000000";
    bool secret = cert && !streq (zcert_secret_txt (cert), no_secret);
    zcert_destroy (&cert);
    if (!secret) {
        fprintf (stderr,
                 "%s: --key %s: not a readable secret certificate (the "
                 "issued .key file of jejak-keys enrol)\n",
                 self->program, key);
        return -1;
    }
    self->delivery.broker_key = broker_key;
    self->delivery.key = key;
    return 0;
}

/* "legal_number" -> "legal-number" into out. */
static void s_flag_name (const char *field, char *out, size_t size)
{
    snprintf (out, size, "%s", field);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = '-';
}

/* Builds the option table: globals, then one flag per body field name of
   the domain's types (each name once). */
static void s_spec_build (s_agent_t *self)
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
            s_flag_name (t->fields[f].name, name, sizeof name);
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

static void s_agent_fini (s_agent_t *self)
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

static void s_usage (s_agent_t *self, FILE *out)
{
    fprintf (out,
             "Usage: %s [global flags] COMMAND [flags]\n\n"
             "Records %s events in a local outbox and delivers them to the "
             "dinas.\n\ncommands:\n",
             self->program, jk_domain_name (self->domain));
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        if (t->domain & self->domain)
            fprintf (out, "  %-20s %s\n", t->command, t->name);
    }
    fprintf (out,
             "  %-20s queue the rows of a CSV file (header: field names)\n"
             "  %-20s deliver what is pending, wait for the answers\n"
             "  %-20s list queued and rejected events with reasons\n"
             "  %-20s list stored events with position and hash\n"
             "  %-20s check every receipt against the hub's log\n"
             "  %-20s check the hub's newest checkpoint and cosign it\n"
             "  %-20s show one outbox event in full (bytes included)\n"
             "  %-20s remove stored events written before DATE\n\n"
             "global flags (anywhere on the line):\n",
             "import FILE --type T", "sync", "pending", "receipts",
             "receipts --verify", "witness", "inspect SEQ",
             "prune --before DATE");
    for (size_t i = 0; i < S_GLOBALS; i++) {
        const jk_opt_t *o = &s_globals[i];
        fprintf (out, "  --%-10s %s%s%s%s%s\n", o->name, o->help,
                 o->env ? " [$" : "", o->env ? o->env : "", o->env ? "]" : "",
                 o->def ? "" : "");
        if (o->def)
            fprintf (out, "  %-12s default %s\n", "", o->def);
    }
    fprintf (out,
             "  --config PATH  ZPL config file with the same keys "
             "[$JEJAK_CONFIG]\n\n"
             "'%s COMMAND --help' shows the flags of a command.\n"
             "exit: 0 stored, 2 usage or validation error (nothing queued), "
             "3 queued but not\ndelivered (offline), 4 rejected by the "
             "store, 5 the hub's log contradicts a\nreceipt or a checkpoint "
             "held (fork), 1 other failure.\n",
             self->program);
}

static void s_command_help (s_agent_t *self, const jk_type_t *t, FILE *out)
{
    fprintf (out, "Usage: %s %s [flags]\n\n%s: %s\n\nflags:\n", self->program,
             t->command, t->name, t->doc);
    for (size_t f = 0; f < t->field_count; f++) {
        const jk_field_t *fd = &t->fields[f];
        char name[64], limits[160] = "";
        s_flag_name (fd->name, name, sizeof name);
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
                snprintf (limits, sizeof limits, "dd/mm/yyyy or yyyy-mm-dd");
                break;
            case JK_KIND_TIME:
                snprintf (limits, sizeof limits, "HH:MM (WIB)");
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
                          "comma-separated, %lld..%lld items",
                          (long long)fd->min, (long long)fd->max);
                break;
            case JK_KIND_UNITS:
                snprintf (limits, sizeof limits,
                          "CODE=TITLE|CODE=TITLE, %lld..%lld items",
                          (long long)fd->min, (long long)fd->max);
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

/* ---- helpers ---------------------------------------------------------------
 */

/* Prints a diagnostic on stderr with what a file put into it made safe
   for a terminal: control bytes and bytes that are not UTF-8 are written
   as \xNN (line breaks as \n), never raw. */
static void s_say (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));
static void s_say (const char *format, ...)
{
    char text[2048];
    va_list ap;
    va_start (ap, format);
    vsnprintf (text, sizeof text, format, ap);
    va_end (ap);
    size_t len = strlen (text);
    char *out = jk_malloc (4 * len + 2);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        size_t seq = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (c >= 0x80 && i + seq <= len &&
            jk_utf8_length (text + i, seq) == 1) {
            memcpy (out + n, text + i, seq);
            n += seq;
            i += seq;
            continue;
        }
        if (c == '\n')
            n += (size_t)sprintf (out + n, "\\n");
        else if (c < 0x20 || c == 0x7f || c >= 0x80)
            n += (size_t)sprintf (out + n, "\\x%02X", c);
        else
            out[n++] = (char)c;
        i++;
    }
    out[n++] = '\n';
    fwrite (out, 1, n, stderr);
    free (out);
}

/* Prints a problem as "error: FIELD: MESSAGE (CODE)" (a value it quotes
   may come from a file: escaped). */
static void s_print_problem (const char *prefix, const char *where,
                             const jk_problem_t *p)
{
    s_say ("%s%s%s%s%s: %s (%s)", prefix, where, *where ? " " : "",
           p->field[0] ? "field " : "", p->field, p->message, p->code);
}

/* Parses --wait: seconds, a whole or decimal number >= 0. */
static int s_parse_wait (const char *text, int64_t *ms)
{
    char *end = NULL;
    errno = 0;
    double s = strtod (text, &end);
    if (errno || end == text || *end || s < 0 || s > 86400.0 * 365)
        return -1;
    *ms = (int64_t)(s * 1000);
    return 0;
}

/* Parses a date "yyyy-mm-dd" or "dd/mm/yyyy" into days. */
static int s_parse_date (const char *text, int32_t *days)
{
    int y, m, d, used = 0;
    size_t len = strlen (text);
    if ((sscanf (text, "%4d-%2d-%2d%n", &y, &m, &d, &used) == 3 &&
         (size_t)used == len) ||
        (sscanf (text, "%2d/%2d/%4d%n", &d, &m, &y, &used) == 3 &&
         (size_t)used == len)) {
        if (!jk_date_valid (y, m, d))
            return -1;
        *days = jk_days_from_civil (y, m, d);
        return 0;
    }
    return -1;
}

static const char *s_state_name (jk_outbox_state_t state)
{
    static const char *names[] = {"PENDING", "SENT", "STORED", "REJECTED",
                                  "QUARANTINED"};
    return state <= JK_OUTBOX_QUARANTINED ? names[state] : "?";
}

/* Before queueing: when the hub last said its clock is far from this
   machine's, the operator hears it now (see AGENTS.md, "Clocks"). */
static void s_clock_check (s_agent_t *self)
{
    int64_t offset, at;
    if (jk_outbox_clock (self->outbox, &offset, &at) == JK_OK &&
        (offset > JK_CLOCK_SKEW_MAX_MS || offset < -JK_CLOCK_SKEW_MAX_MS))
        jk_delivery_clock_warning (stderr, offset);
}

/* Opens the outbox for --source; prints why not. */
static int s_open_outbox (s_agent_t *self)
{
    const char *source = jk_opts_get (self->opts, "source");
    const char *path = jk_opts_get (self->opts, "outbox");
    char err[512];
    int rc = jk_outbox_open_as (path, source, &self->outbox, err, sizeof err);
    if (rc != JK_OK) {
        fprintf (stderr, "%s: %s\n", self->program, err);
        /* Another source's outbox: the flags are wrong, not the file. */
        return rc == JK_CONFLICT ? JK_EXIT_USAGE : JK_EXIT_FAILURE;
    }
    return JK_EXIT_OK;
}

/* Delivers up to until_seq (0: all). */
static int s_deliver (s_agent_t *self, uint64_t until_seq, bool idle,
                      jk_delivery_stats_t *stats)
{
    if (self->wait_ms <= 0) {
        memset (stats, 0, sizeof *stats);
        int64_t open = jk_outbox_open_count (self->outbox, 0);
        stats->remaining = open > 0 ? (uint64_t)open : 0;
        return JK_TEMPORARY;
    }
    self->delivery.idle_deadline = idle;
    return jk_delivery_run (self->outbox, &self->delivery, self->wait_ms,
                            until_seq, stats);
}

/* ---- event commands ------------------------------------------------------ */

/* Fills an event from the command's flags; 0 or -1 with the problem. */
static int s_fill_from_flags (s_agent_t *self, jk_event_t *event,
                              jk_report_t *report)
{
    const jk_type_t *t = event->type;
    for (size_t f = 0; f < t->field_count; f++) {
        char name[64];
        s_flag_name (t->fields[f].name, name, sizeof name);
        const char *value = jk_opts_get (self->opts, name);
        if (value && *value &&
            jk_event_set (event, t->fields[f].name, value, report) != 0)
            return -1;
    }
    return 0;
}

/* The type a correction type corrects (vocabulary), or NULL. */
static const jk_type_t *s_corrected_type (const jk_type_t *t)
{
    if (!t || !t->needs_corrects || !t->corrects_type)
        return NULL;
    return jk_vocabulary_find (t->corrects_type, strlen (t->corrects_type));
}

/* Whether field is one of the natural key fields of type. */
static bool s_is_key_field (const jk_type_t *type, const char *field)
{
    for (int k = 0; type && type->key_fields && type->key_fields[k]; k++)
        if (strcmp (type->key_fields[k], field) == 0)
            return true;
    return false;
}

/* Rejects flags that belong to other commands. */
static int s_check_flags (s_agent_t *self, const jk_type_t *t,
                          const char *command)
{
    for (size_t i = self->body_first; i < self->count; i++) {
        const char *name = self->spec[i].name;
        if (!jk_opts_given (self->opts, name))
            continue;
        char field[64];
        snprintf (field, sizeof field, "%s", name);
        for (char *p = field; *p; p++)
            if (*p == '-')
                *p = '_';
        if (t && jk_type_field (t, field, strlen (field)) >= 0)
            continue;
        if (s_is_key_field (s_corrected_type (t), field))
            continue;
        fprintf (stderr, "%s: --%s is not a flag of '%s' (see %s %s --help)\n",
                 self->program, name, command, self->program, command);
        return -1;
    }
    static const char *own[] = {"corrects", "type", "before", "verify"};
    for (size_t i = 0; i < 4; i++) {
        if (!jk_opts_given (self->opts, own[i]))
            continue;
        bool ok = (i == 0 && t && t->needs_corrects) ||
                  (i == 1 && strcmp (command, "import") == 0) ||
                  (i == 2 && strcmp (command, "prune") == 0) ||
                  (i == 3 && strcmp (command, "receipts") == 0);
        if (!ok) {
            fprintf (stderr, "%s: --%s is not a flag of '%s'\n", self->program,
                     own[i], command);
            return -1;
        }
    }
    return 0;
}

/* envelope.corrects from --corrects, or found by batch/session/nik. */
static int s_set_corrects (s_agent_t *self, jk_event_t *event)
{
    const char *given = jk_opts_get (self->opts, "corrects");
    if (given) {
        if (jk_uuid_parse (given, event->corrects) != JK_OK) {
            fprintf (stderr,
                     "%s: error: --corrects must be an event id "
                     "(36-character uuid), got '%s'\n",
                     self->program, given);
            return -1;
        }
        event->has_corrects = true;
        return 0;
    }
    /* Else the corrected event's natural key (its type's key fields in
       the vocabulary) from the flags of the same names. */
    const jk_type_t *target = s_corrected_type (event->type);
    if (!target || !target->key_fields) {
        fprintf (stderr, "%s: error: field corrects: give --corrects ID\n",
                 self->program);
        return -1;
    }
    jk_event_t *named = jk_event_new (target);
    jk_report_t report;
    jk_report_reset (&report);
    char flags[256] = "", shown[256] = "";
    bool complete = true;
    for (int k = 0; target->key_fields[k]; k++) {
        const char *field = target->key_fields[k];
        char flag[64];
        s_flag_name (field, flag, sizeof flag);
        int f = jk_type_field (target, field, strlen (field));
        bool number = f >= 0 && target->fields[f].kind == JK_KIND_UINT;
        bool last = !target->key_fields[k + 1];
        size_t used = strlen (flags);
        snprintf (flags + used, sizeof flags - used, "%s--%s%s",
                  k == 0 ? ""
                  : last ? " and "
                         : ", ",
                  flag, number ? " (a number)" : "");
        const char *value = jk_opts_get (self->opts, flag);
        if (!value || jk_event_set (named, field, value, &report) != 0)
            complete = false;
        used = strlen (shown);
        snprintf (shown + used, sizeof shown - used, "%s%s %s", k ? " " : "",
                  field, value ? value : "");
    }
    char *key = complete ? jk_event_key (named) : NULL;
    jk_event_destroy (&named);
    if (!key) {
        fprintf (stderr,
                 "%s: error: field corrects: give --corrects ID, or %s of the "
                 "%s event to correct\n",
                 self->program, flags, target->name);
        return -1;
    }
    int rc = jk_outbox_find (self->outbox, target->name, key, event->corrects);
    free (key);
    if (rc != JK_OK) {
        fprintf (stderr,
                 "%s: error: field corrects: no %s for %s in this outbox; "
                 "give --corrects ID\n",
                 self->program, target->name, shown);
        return -1;
    }
    event->has_corrects = true;
    return 0;
}

static void s_print_warnings (const char *where, const jk_report_t *report)
{
    for (int i = 0; i < report->warning_count; i++)
        s_print_problem ("warning: ", where, &report->warnings[i]);
}

static int s_cmd_event (s_agent_t *self, const jk_type_t *t)
{
    if (jk_opts_argc (self->opts) > 1) {
        fprintf (stderr, "%s: unexpected argument '%s' (see %s %s --help)\n",
                 self->program, jk_opts_arg (self->opts, 1), self->program,
                 t->command);
        return JK_EXIT_USAGE;
    }
    int rc = s_open_outbox (self);
    if (rc)
        return rc;
    s_clock_check (self);
    jk_event_t *event = jk_event_new (t);
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_set_source (event, jk_outbox_source (self->outbox));
    jk_event_set_actor (event, jk_opts_get (self->opts, "actor"));
    jk_outbox_counts_t counts;
    jk_outbox_counts (self->outbox, &counts);
    event->seq = counts.next_seq;
    if (s_fill_from_flags (self, event, &report) != 0) {
        s_print_problem ("error: ", "", &report.error);
        jk_event_destroy (&event);
        return JK_EXIT_USAGE;
    }
    if (t->needs_corrects && s_set_corrects (self, event) != 0) {
        jk_event_destroy (&event);
        return JK_EXIT_USAGE;
    }
    jk_context_t context = jk_context_default ();
    if (jk_event_validate (event, &context, &report) != 0) {
        s_print_problem ("error: ", "", &report.error);
        jk_event_destroy (&event);
        return JK_EXIT_USAGE;
    }
    s_print_warnings ("", &report);
    char *key = jk_outbox_natural_key (event);
    uint64_t seq = 0;
    rc = jk_outbox_put (self->outbox, event, "", key, &seq);
    free (key);
    char id[37];
    jk_uuid_format (event->id, id);
    jk_event_destroy (&event);
    if (rc == JK_INVALID) {
        fprintf (stderr, "%s: error: the event is larger than %d bytes\n",
                 self->program, JK_EVENT_MAX_BYTES);
        return JK_EXIT_USAGE;
    }
    if (rc != JK_OK) {
        fprintf (stderr, "%s: cannot write the outbox\n", self->program);
        return JK_EXIT_FAILURE;
    }
    printf ("queued: %s seq %llu id %s\n", t->name, (unsigned long long)seq,
            id);
    jk_delivery_stats_t stats;
    int drc = s_deliver (self, seq, false, &stats);
    if (drc == JK_IO)
        return JK_EXIT_FAILURE;
    jk_outbox_row_t row;
    if (jk_outbox_get (self->outbox, seq, &row) != JK_OK)
        return JK_EXIT_FAILURE;
    if (row.state == JK_OUTBOX_STORED) {
        char hash[65];
        jk_hex_format (row.hash, 32, hash);
        printf ("stored: seq %llu at position %llu, hash %s\n",
                (unsigned long long)seq, (unsigned long long)row.pos, hash);
        return JK_EXIT_OK;
    }
    if (row.state == JK_OUTBOX_REJECTED) {
        printf ("rejected: seq %llu: %s %s\n", (unsigned long long)seq,
                row.code, row.message);
        return JK_EXIT_REJECTED;
    }
    printf ("not delivered yet (offline?): seq %llu stays in the outbox; "
            "'%s sync' delivers it\n",
            (unsigned long long)seq, self->program);
    return JK_EXIT_OFFLINE;
}

/* ---- import ----------------------------------------------------------------
 */

typedef struct {
    s_agent_t *agent;
    const jk_type_t *type;
    const char *file;              /* for origins and messages */
    int columns[JK_CSV_MAX_CELLS]; /* field index, -2 corrects, -1 none */
    size_t column_count;
    bool header_done;
    bool header_bad;
    uint64_t rows, queued, bad, already;
    uint64_t mixed; /* rows with the other separator */
    char separator; /* the file's, from the reader */
    uint64_t first_seq, last_seq;
    uint64_t *seqs; /* this file's rows in the outbox, queued or already */
    size_t seq_count, seq_cap;
    size_t in_tx; /* puts in the open transaction */
    bool io_failed;
    jk_context_t context;
    size_t total_lines; /* for the progress bar, or 0 */
    int shown_pct;
} s_import_t;

/* Maps header cells to fields; prints every problem. */
static int s_import_header (s_import_t *im, char **cells, size_t count)
{
    const jk_type_t *t = im->type;
    char unknown[512] = "";
    bool seen[JK_FIELDS_MAX] = {false}, seen_corrects = false;
    bool bad = false;
    for (size_t c = 0; c < count; c++) {
        char name[64];
        size_t n = 0;
        const char *p = cells[c];
        while (*p == ' ')
            p++;
        for (; *p && n < sizeof name - 1; p++)
            name[n++] = *p == '-' || *p == ' '
                            ? '_'
                            : (char)tolower ((unsigned char)*p);
        while (n > 0 && name[n - 1] == '_')
            n--;
        name[n] = 0;
        int f = jk_type_field (t, name, n);
        if (f >= 0 && !seen[f]) {
            seen[f] = true;
            im->columns[c] = f;
        } else if (f < 0 && t->needs_corrects &&
                   strcmp (name, "corrects") == 0 && !seen_corrects) {
            seen_corrects = true;
            im->columns[c] = -2;
        } else if (f >= 0 || strcmp (name, "corrects") == 0) {
            s_say ("%s:1: column '%s' appears twice", im->file, cells[c]);
            bad = true;
        } else if (n == 0) {
            s_say ("%s:1: column %zu has no name", im->file, c + 1);
            bad = true;
        } else {
            size_t used = strlen (unknown);
            snprintf (unknown + used, sizeof unknown - used, "%s'%s'",
                      used ? ", " : "", cells[c]);
        }
    }
    if (*unknown) {
        s_say ("%s:1: unknown column(s) %s: %s has no such field (see "
               "%s %s --help)",
               im->file, unknown, t->name, im->agent->program, t->command);
        bad = true;
    }
    for (size_t f = 0; f < t->field_count; f++)
        if (t->fields[f].required && !seen[f]) {
            fprintf (stderr, "%s:1: missing column '%s': required by %s\n",
                     im->file, t->fields[f].name, t->name);
            bad = true;
        }
    if (t->needs_corrects && !seen_corrects) {
        fprintf (stderr, "%s:1: missing column 'corrects': required by %s\n",
                 im->file, t->name);
        bad = true;
    }
    im->column_count = count;
    return bad ? -1 : 0;
}

static void s_progress (s_import_t *im, size_t line)
{
    if (!im->total_lines)
        return;
    int pct = (int)(line * 100 / im->total_lines);
    if (pct > 100)
        pct = 100;
    if (pct == im->shown_pct)
        return;
    im->shown_pct = pct;
    char bar[41];
    memset (bar, ' ', 40);
    memset (bar, '#', (size_t)pct * 40 / 100);
    bar[40] = 0;
    fprintf (stderr, "\r[%s] %3d%% line %zu", bar, pct, line);
    if (pct == 100)
        fprintf (stderr, "\n");
}

/* A row the CSV reader could not hand out: before the header, the
   header itself is unusable; after it, one bad row. */
static int s_import_bad (void *arg, size_t line, const char *reason)
{
    s_import_t *im = arg;
    if (!im->header_done) {
        im->header_done = true;
        im->header_bad = true;
        s_say ("%s:%zu: the header row: %s", im->file, line, reason);
        return 1;
    }
    s_progress (im, line);
    im->rows++;
    im->bad++;
    s_say ("%s:%zu: %s", im->file, line, reason);
    return 0;
}

/* Notes a seq of this file's rows, for delivery and the tally. */
static void s_import_keep (s_import_t *im, uint64_t seq)
{
    if (im->seq_count == im->seq_cap) {
        im->seq_cap = im->seq_cap ? im->seq_cap * 2 : 1024;
        im->seqs = jk_realloc (im->seqs, im->seq_cap * sizeof *im->seqs);
    }
    im->seqs[im->seq_count++] = seq;
    if (seq > im->last_seq)
        im->last_seq = seq;
}

static int s_import_row (void *arg, size_t line, char **cells, size_t count)
{
    s_import_t *im = arg;
    if (!im->header_done) {
        im->header_done = true;
        if (s_import_header (im, cells, count) != 0) {
            im->header_bad = true;
            return 1;
        }
        return 0;
    }
    s_progress (im, line);
    bool empty = true;
    for (size_t c = 0; c < count && empty; c++)
        empty = cells[c][0] == 0;
    if (empty)
        return 0;
    im->rows++;
    if (count > im->column_count) {
        fprintf (stderr,
                 "%s:%zu: row has %zu cells, the header %zu (a separator "
                 "inside an unquoted cell?)\n",
                 im->file, line, count, im->column_count);
        im->bad++;
        return 0;
    }
    /* Fewer cells than columns, and enough of the other separator in
       them to make up the difference: the header and the rows were not
       written with the same separator. */
    char other = im->separator == ',' ? ';' : ',';
    size_t others = 0;
    for (size_t c = 0; c < count; c++)
        for (const char *q = cells[c]; (q = strchr (q, other)) != NULL; q++)
            others++;
    if (count < im->column_count && others >= im->column_count - count) {
        fprintf (stderr,
                 "%s:%zu: this row is separated by '%c' but the header by "
                 "'%c' (%zu cells for %zu columns)\n",
                 im->file, line, other, im->separator, count, im->column_count);
        im->bad++;
        im->mixed++;
        return 0;
    }
    jk_outbox_t *ob = im->agent->outbox;
    jk_event_t *event = jk_event_new (im->type);
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_set_source (event, jk_outbox_source (ob));
    jk_event_set_actor (event, jk_opts_get (im->agent->opts, "actor"));
    event->seq = im->last_seq + 1;
    char where[64];
    snprintf (where, sizeof where, "line %zu:", line);
    int rc = 0;
    for (size_t c = 0; c < count && rc == 0; c++) {
        if (cells[c][0] == 0)
            continue;
        if (im->columns[c] == -2) {
            if (jk_uuid_parse (cells[c], event->corrects) != JK_OK) {
                jk_report_error (&report, "E_FIELD_FORMAT", "corrects",
                                 "corrects must be an event id (uuid), got "
                                 "'%.60s'",
                                 cells[c]);
                rc = -1;
            }
            event->has_corrects = true;
            continue;
        }
        rc = jk_event_set (event, im->type->fields[im->columns[c]].name,
                           cells[c], &report);
    }
    if (rc == 0)
        rc = jk_event_validate (event, &im->context, &report);
    if (rc != 0) {
        s_say ("%s:%zu: %s%s%s (%s)", im->file, line,
               report.error.field[0] ? report.error.field : "",
               report.error.field[0] ? ": " : "", report.error.message,
               report.error.code);
        im->bad++;
        jk_event_destroy (&event);
        return 0;
    }
    s_print_warnings (where, &report);
    if (im->in_tx == 0 && jk_outbox_begin (ob) != JK_OK) {
        im->io_failed = true;
        jk_event_destroy (&event);
        return 1;
    }
    im->in_tx++;
    uint64_t seq;
    rc = jk_outbox_find_same (ob, event, &seq);
    if (rc == JK_OK) {
        /* Queued before (an earlier run of this import): not again. */
        jk_event_destroy (&event);
        im->already++;
        s_import_keep (im, seq);
        return 0;
    }
    if (rc != JK_NOT_FOUND) {
        im->io_failed = true;
        jk_event_destroy (&event);
        return 1;
    }
    char origin[300];
    const char *base = strrchr (im->file, '/');
    snprintf (origin, sizeof origin, "%s:%zu", base ? base + 1 : im->file,
              line);
    char *key = jk_outbox_natural_key (event);
    rc = jk_outbox_put (ob, event, origin, key, &seq);
    free (key);
    jk_event_destroy (&event);
    if (rc == JK_INVALID) {
        fprintf (stderr, "%s:%zu: the event is larger than %d bytes\n",
                 im->file, line, JK_EVENT_MAX_BYTES);
        im->bad++;
        return 0;
    }
    if (rc != JK_OK) {
        im->io_failed = true;
        return 1;
    }
    if (!im->first_seq)
        im->first_seq = seq;
    im->last_seq = seq;
    im->queued++;
    s_import_keep (im, seq);
    if (im->in_tx >= S_IMPORT_CHUNK) {
        im->in_tx = 0;
        if (jk_outbox_commit (ob) != JK_OK) {
            im->io_failed = true;
            return 1;
        }
    }
    return 0;
}

/* After the rows were read: the summary, delivery of this file's rows,
   and their states. Returns the exit code. */
static int s_import_finish (s_agent_t *self, s_import_t *im, int prc)
{
    (void)prc; /* bad rows were counted as they came */
    const char *file = im->file;
    if (im->io_failed) {
        fprintf (stderr,
                 "%s: cannot write the outbox; rows after the last "
                 "commit were not queued (run the same import again: rows "
                 "already queued are not queued twice)\n",
                 self->program);
        return JK_EXIT_FAILURE;
    }
    if (!im->header_done || im->header_bad) {
        if (!im->header_done)
            fprintf (stderr, "%s: %s is empty: a header row is needed\n",
                     self->program, file);
        fprintf (stderr, "import: nothing queued\n");
        return JK_EXIT_USAGE;
    }
    if (im->mixed)
        fprintf (stderr,
                 "%s: %llu rows use '%c' while the header uses '%c': "
                 "open the file in the spreadsheet and save it as CSV "
                 "again\n",
                 self->program, (unsigned long long)im->mixed,
                 im->separator == ',' ? ';' : ',', im->separator);
    printf ("import %s: %llu rows, %llu queued, %llu bad, %llu already "
            "queued\n",
            file, (unsigned long long)im->rows, (unsigned long long)im->queued,
            (unsigned long long)im->bad, (unsigned long long)im->already);
    if (im->already)
        fprintf (stderr,
                 "%s: %llu rows were queued before (the same content, from an "
                 "earlier run of this import or another file): not queued "
                 "again; their states are counted below\n",
                 self->program, (unsigned long long)im->already);
    if (im->seq_count == 0)
        return JK_EXIT_USAGE;
    jk_delivery_stats_t stats;
    self->delivery.verbose = true;
    int drc = s_deliver (self, im->last_seq, true, &stats);
    if (drc == JK_IO)
        return JK_EXIT_FAILURE;
    uint64_t stored = 0, rejected = 0, pending = 0;
    for (size_t i = 0; i < im->seq_count; i++) {
        jk_outbox_row_t row;
        if (jk_outbox_get (self->outbox, im->seqs[i], &row) != JK_OK)
            stored++; /* pruned: it was stored */
        else if (row.state == JK_OUTBOX_STORED)
            stored++;
        else if (row.state == JK_OUTBOX_REJECTED)
            rejected++;
        else
            pending++;
    }
    printf ("delivered: %llu stored, %llu rejected, %llu pending\n",
            (unsigned long long)stored, (unsigned long long)rejected,
            (unsigned long long)pending);
    if (im->bad || rejected)
        return JK_EXIT_REJECTED;
    return pending ? JK_EXIT_OFFLINE : JK_EXIT_OK;
}

static int s_cmd_import (s_agent_t *self)
{
    const char *file =
        jk_opts_argc (self->opts) > 1 ? jk_opts_arg (self->opts, 1) : NULL;
    const char *type_name = jk_opts_get (self->opts, "type");
    if (!file || !type_name || jk_opts_argc (self->opts) > 2) {
        fprintf (stderr, "Usage: %s import FILE.csv --type TYPE\n",
                 self->program);
        return JK_EXIT_USAGE;
    }
    const jk_type_t *t = jk_vocabulary_find (type_name, strlen (type_name));
    if (!t || !(t->domain & self->domain)) {
        fprintf (stderr, "%s: --type %s is not an event type of %s; one of:",
                 self->program, type_name, self->program);
        for (size_t i = 0; i < jk_vocabulary_count (); i++)
            if (jk_vocabulary_at (i)->domain & self->domain)
                fprintf (stderr, " %s", jk_vocabulary_at (i)->name);
        fprintf (stderr, "\n");
        return JK_EXIT_USAGE;
    }
    FILE *in = fopen (file, "rb");
    struct stat st;
    if (!in || fstat (fileno (in), &st) != 0) {
        fprintf (stderr, "%s: cannot read %s: %s\n", self->program, file,
                 strerror (errno));
        if (in)
            fclose (in);
        return JK_EXIT_USAGE;
    }
    if (!S_ISREG (st.st_mode)) {
        fprintf (stderr, "%s: %s is %s, not a CSV file\n", self->program, file,
                 S_ISDIR (st.st_mode) ? "a directory" : "not a file");
        fclose (in);
        return JK_EXIT_USAGE;
    }
    size_t cap = 1 << 16, size = 0;
    char *data = jk_malloc (cap);
    size_t n;
    while ((n = fread (data + size, 1, cap - size, in)) > 0) {
        size += n;
        if (size == cap)
            data = jk_realloc (data, cap *= 2);
    }
    bool failed = ferror (in) != 0;
    fclose (in);
    if (failed) {
        fprintf (stderr, "%s: cannot read %s: %s\n", self->program, file,
                 strerror (errno));
        free (data);
        return JK_EXIT_USAGE;
    }
    int rc = s_open_outbox (self);
    if (rc) {
        free (data);
        return rc;
    }
    s_clock_check (self);
    s_import_t im = {.agent = self, .type = t, .file = file, .shown_pct = -1};
    im.context = jk_context_default ();
    jk_outbox_counts_t counts;
    jk_outbox_counts (self->outbox, &counts);
    im.last_seq = counts.next_seq - 1;
    if (isatty (2) && size > (1 << 20)) {
        for (size_t i = 0; i < size; i++)
            im.total_lines += data[i] == '\n';
    }
    int prc = jk_csv_read (data, size, s_import_row, s_import_bad, &im,
                           &im.separator);
    free (data);
    if (im.in_tx && jk_outbox_commit (self->outbox) != JK_OK)
        im.io_failed = true;
    if (im.total_lines && im.shown_pct < 100)
        fprintf (stderr, "\n");
    rc = s_import_finish (self, &im, prc);
    free (im.seqs);
    return rc;
}

/* ---- sync, pending, receipts, prune ----------------------------------------
 */

/* The log's verifier key from --log-key: the text itself, or a file
   holding it (log.vkey). A heap string, NULL when not given. */
static char *s_log_key (s_agent_t *self)
{
    const char *given = jk_opts_get (self->opts, "log-key");
    if (!given || !*given)
        return NULL;
    char *text = NULL;
    FILE *file = strchr (given, '/') || access (given, F_OK) == 0
                     ? fopen (given, "r")
                     : NULL;
    if (file) {
        char line[512] = "";
        if (fgets (line, sizeof line, file))
            line[strcspn (line, "\r\n")] = 0;
        fclose (file);
        text = jk_strdup (line);
    } else
        text = jk_strdup (given);
    return text;
}

/* Proves receipts against the hub's checkpoint (docs/AGENTS.md,
   "Receipts with proofs"); prints the outcome. An exit code. */
static int s_prove (s_agent_t *self, const char *log_key, bool all,
                    bool witness_only)
{
    jk_proofs_config_t config = {
        .query = jk_opts_get (self->opts, "query"),
        .log_key = log_key,
        .wait_ms = self->wait_ms > 0 ? self->wait_ms : 5000,
        .witness_key = jk_opts_get (self->opts, "witness-key"),
        .witness_only = witness_only,
    };
    if (config.witness_key && !*config.witness_key)
        config.witness_key = NULL;
    /* The hub's query endpoint speaks CURVE when it is not loopback. */
    if (!jk_endpoint_is_local (config.query)) {
        config.broker_key = self->delivery.broker_key;
        config.key = self->delivery.key;
    }
    jk_proofs_stats_t stats;
    int rc = jk_proofs_run (self->outbox, &config, all, &stats, stdout);
    if ((rc == JK_OK || rc == JK_INVALID) && !witness_only)
        printf ("%s: %llu receipts proven against the checkpoint of %llu "
                "records, %llu not, %llu beyond it\n",
                all ? "receipts --verify" : "proofs",
                (unsigned long long)stats.proven,
                (unsigned long long)stats.size,
                (unsigned long long)stats.failed,
                (unsigned long long)stats.uncovered);
    else if (rc == JK_TEMPORARY)
        printf ("proofs: the hub's query endpoint %s did not answer within "
                "--wait; receipts not proven yet\n",
                config.query);
    if (rc == JK_OK && stats.not_cosigned && witness_only)
        rc = JK_IO; /* said above: the hub or this office refused */
    return rc == JK_OK          ? JK_EXIT_OK
           : rc == JK_INVALID   ? JK_EXIT_FORK
           : rc == JK_TEMPORARY ? JK_EXIT_OFFLINE
                                : JK_EXIT_FAILURE;
}

static int s_cmd_verify (s_agent_t *self)
{
    char *log_key = s_log_key (self);
    if (!log_key) {
        fprintf (stderr,
                 "%s: receipts --verify needs --log-key (the log.vkey of "
                 "jejak-keys log-key, from the dinas)\n",
                 self->program);
        return JK_EXIT_USAGE;
    }
    int rc = s_open_outbox (self);
    if (rc == 0)
        rc = s_prove (self, log_key, true, false);
    free (log_key);
    return rc;
}

/* witness: the hub's newest checkpoint, checked against the one held and
   cosigned with --witness-key (docs/AGENTS.md, "Witnessing checkpoints"). */
static int s_cmd_witness (s_agent_t *self)
{
    char *log_key = s_log_key (self);
    const char *witness_key = jk_opts_get (self->opts, "witness-key");
    if (!log_key || !witness_key || !*witness_key) {
        fprintf (stderr,
                 "%s: witness needs --log-key (the log.vkey of jejak-keys "
                 "log-key) and --witness-key (witness.key of jejak-keys "
                 "witness-key)\n",
                 self->program);
        free (log_key);
        return JK_EXIT_USAGE;
    }
    int rc = s_open_outbox (self);
    if (rc == 0)
        rc = s_prove (self, log_key, false, true);
    free (log_key);
    return rc;
}

static int s_cmd_sync (s_agent_t *self)
{
    int rc = s_open_outbox (self);
    if (rc)
        return rc;
    self->delivery.verbose = true;
    jk_delivery_stats_t stats;
    int drc = s_deliver (self, 0, true, &stats);
    printf ("sync: %llu stored, %llu rejected, %llu pending (%llu sent, "
            "%llu reconnects)\n",
            (unsigned long long)stats.stored,
            (unsigned long long)stats.rejected,
            (unsigned long long)stats.remaining, (unsigned long long)stats.sent,
            (unsigned long long)stats.reconnects);
    if (drc == JK_IO || drc == JK_CLOSED)
        return JK_EXIT_FAILURE;
    /* With the log's key: keep and check a proof of every new receipt; a
       fork outranks everything, an unreachable query endpoint nothing. */
    char *log_key = s_log_key (self);
    int prc = log_key ? s_prove (self, log_key, false, false) : JK_EXIT_OK;
    free (log_key);
    if (prc == JK_EXIT_FORK)
        return JK_EXIT_FORK;
    if (stats.rejected)
        return JK_EXIT_REJECTED;
    return stats.remaining ? JK_EXIT_OFFLINE : JK_EXIT_OK;
}

static int s_print_pending (void *arg, const jk_outbox_row_t *row)
{
    (void)arg;
    char id[37], when[26];
    jk_uuid_format (row->id, id);
    jk_time_format_wib (row->created_at, when);
    printf ("%llu\t%s\t%s\t%s\t%s\tattempts=%u%s%s",
            (unsigned long long)row->seq, s_state_name (row->state), row->type,
            id, when, row->attempts, *row->origin ? "\t" : "", row->origin);
    if (row->state == JK_OUTBOX_REJECTED || row->state == JK_OUTBOX_QUARANTINED)
        printf ("\t%s: %s", row->code, row->message);
    printf ("\n");
    return 0;
}

static int s_print_receipt (void *arg, const jk_outbox_row_t *row)
{
    (void)arg;
    char id[37], hash[65];
    jk_uuid_format (row->id, id);
    jk_hex_format (row->hash, 32, hash);
    printf ("%llu\t%s\t%s\tpos=%llu\thash=%s\n", (unsigned long long)row->seq,
            row->type, id, (unsigned long long)row->pos, hash);
    return 0;
}

static int s_cmd_list (s_agent_t *self, bool receipts)
{
    int rc = s_open_outbox (self);
    if (rc)
        return rc;
    unsigned states = receipts
                          ? 1u << JK_OUTBOX_STORED
                          : (1u << JK_OUTBOX_PENDING) | (1u << JK_OUTBOX_SENT) |
                                (1u << JK_OUTBOX_REJECTED) |
                                (1u << JK_OUTBOX_QUARANTINED);
    if (receipts)
        printf ("seq\ttype\tid\tposition\thash\n");
    else
        printf ("seq\tstate\ttype\tid\tcreated\tattempts\t[origin]\t"
                "[reason]\n");
    int64_t n =
        jk_outbox_list (self->outbox, states, 0, 0,
                        receipts ? s_print_receipt : s_print_pending, NULL);
    if (n < 0)
        return JK_EXIT_FAILURE;
    jk_outbox_counts_t c;
    jk_outbox_counts (self->outbox, &c);
    fprintf (stderr, "%llu pending, %llu rejected, %llu stored",
             (unsigned long long)c.pending, (unsigned long long)c.rejected,
             (unsigned long long)c.stored);
    if (c.quarantined)
        fprintf (stderr, ", %llu quarantined (damaged: see 'inspect SEQ')",
                 (unsigned long long)c.quarantined);
    fprintf (stderr, "\n");
    return JK_EXIT_OK;
}

/* inspect SEQ: one row in full, for a damaged (QUARANTINED) row above
   all: what the row says, what its bytes say, and the bytes. */
static int s_cmd_inspect (s_agent_t *self)
{
    uint64_t seq = 0;
    if (jk_opts_argc (self->opts) != 2 ||
        jk_parse_u64 (jk_opts_arg (self->opts, 1), &seq) != JK_OK) {
        fprintf (stderr, "%s: usage: %s inspect SEQ (a number)\n",
                 self->program, self->program);
        return JK_EXIT_USAGE;
    }
    int rc = s_open_outbox (self);
    if (rc)
        return rc;
    jk_outbox_row_t row;
    if (jk_outbox_get (self->outbox, seq, &row) != JK_OK) {
        fprintf (stderr, "%s: no seq %llu in this outbox (pruned?)\n",
                 self->program, (unsigned long long)seq);
        return JK_EXIT_USAGE;
    }
    char id[37], when[26], why[160] = "";
    jk_uuid_format (row.id, id);
    jk_time_format_wib (row.created_at, when);
    printf ("seq\t%llu\nstate\t%s\ntype\t%s\nid\t%s\ncreated\t%s\n"
            "attempts\t%u\norigin\t%s\n",
            (unsigned long long)row.seq, s_state_name (row.state), row.type, id,
            when, row.attempts, row.origin);
    if (*row.code)
        printf ("reason\t%s: %s\n", row.code, row.message);
    if (row.state == JK_OUTBOX_STORED) {
        char hash[65];
        jk_hex_format (row.hash, 32, hash);
        printf ("receipt\tpos=%llu hash=%s\n", (unsigned long long)row.pos,
                hash);
    }
    bool ok = jk_outbox_check_row (self->outbox, &row, why, sizeof why) == 0;
    printf ("bytes\t%zu, %s%s\n", row.size, ok ? "match the row" : "", why);
    for (size_t i = 0; i < row.size; i += 16) {
        printf ("%06zx ", i);
        for (size_t k = i; k < i + 16; k++)
            if (k < row.size)
                printf (" %02x", row.bytes[k]);
            else
                printf ("   ");
        printf ("  ");
        for (size_t k = i; k < i + 16 && k < row.size; k++)
            putchar (row.bytes[k] >= 0x20 && row.bytes[k] < 0x7f ? row.bytes[k]
                                                                 : '.');
        printf ("\n");
    }
    return JK_EXIT_OK;
}

static int s_cmd_prune (s_agent_t *self)
{
    const char *before = jk_opts_get (self->opts, "before");
    int32_t days;
    if (!before || s_parse_date (before, &days) != 0) {
        fprintf (stderr,
                 "%s: prune needs --before DATE (dd/mm/yyyy or "
                 "yyyy-mm-dd)\n",
                 self->program);
        return JK_EXIT_USAGE;
    }
    int rc = s_open_outbox (self);
    if (rc)
        return rc;
    int64_t ms = (int64_t)days * 86400000 - JK_WIB_OFFSET_MS;
    int64_t n = jk_outbox_prune (self->outbox, ms);
    if (n < 0)
        return JK_EXIT_FAILURE;
    printf ("pruned %lld stored events written before %s\n", (long long)n,
            before);
    return JK_EXIT_OK;
}

/* ---- main ------------------------------------------------------------------
 */

int jk_agent_main (jk_domain_t domain, int argc, char **argv)
{
    s_agent_t self_ = {.domain = domain};
    s_agent_t *self = &self_;
    snprintf (self->program, sizeof self->program, "jejak-%s",
              jk_domain_name (domain));
    s_spec_build (self);
    const char *user = getenv ("USER");
    for (size_t i = 0; i < S_GLOBALS; i++)
        if (strcmp (self->spec[i].name, "actor") == 0)
            self->spec[i].def = user && *user ? user : "operator";
    self->opts = jk_opts_new (self->program, self->spec, self->count);
    char err[256];
    int rc = JK_EXIT_USAGE;
    if (jk_opts_parse (self->opts, argc, argv, err, sizeof err) != 0) {
        fprintf (stderr, "%s: %s (see --help)\n", self->program, err);
        goto done;
    }
    /* Log lines (reconnects, ...) are for --verbose, or for the journal
       under systemd; never mixed into an operator's command output. */
    if (jk_opts_on (self->opts, "verbose")) {
        if (jk_log_level () < JK_LOG_INFO)
            jk_log_set_level (JK_LOG_INFO);
    } else if (!getenv ("JOURNAL_STREAM") && !getenv ("JEJAK_LOG"))
        jk_log_set_level (JK_LOG_NONE);
    const char *command =
        jk_opts_argc (self->opts) ? jk_opts_arg (self->opts, 0) : NULL;
    const jk_type_t *type =
        command ? jk_vocabulary_by_command (domain, command) : NULL;
    bool builtin =
        command &&
        (strcmp (command, "import") == 0 || strcmp (command, "sync") == 0 ||
         strcmp (command, "pending") == 0 ||
         strcmp (command, "receipts") == 0 || strcmp (command, "prune") == 0 ||
         strcmp (command, "inspect") == 0 || strcmp (command, "witness") == 0);
    if (jk_opts_help (self->opts)) {
        if (type)
            s_command_help (self, type, stdout);
        else
            s_usage (self, stdout);
        rc = JK_EXIT_OK;
        goto done;
    }
    if (!command) {
        s_usage (self, stderr);
        goto done;
    }
    if (!type && !builtin) {
        fprintf (stderr, "%s: unknown command '%s' (see %s --help)\n",
                 self->program, command, self->program);
        goto done;
    }
    if (s_check_flags (self, type, command) != 0)
        goto done;
    if (!type && strcmp (command, "import") != 0 &&
        strcmp (command, "inspect") != 0 && jk_opts_argc (self->opts) > 1) {
        fprintf (stderr, "%s: unexpected argument '%s'\n", self->program,
                 jk_opts_arg (self->opts, 1));
        goto done;
    }
    const char *data_dir = jk_opts_get (self->opts, "data-dir");
    if (data_dir)
        jk_region_set_default_dir (data_dir);
    const char *source = jk_opts_get (self->opts, "source");
    if (!source || !*source) {
        fprintf (stderr,
                 "%s: --source OFFICE/DEVICE is required (or $JEJAK_SOURCE, "
                 "or 'source' in the config file)\n",
                 self->program);
        goto done;
    }
    jk_report_t report;
    jk_report_reset (&report);
    if (jk_source_check (jk_region_default (), source, strlen (source),
                         &report) != 0) {
        fprintf (stderr, "%s: --source %s: %s\n", self->program, source,
                 report.error.message);
        goto done;
    }
    if (s_parse_wait (jk_opts_get (self->opts, "wait"), &self->wait_ms) != 0) {
        fprintf (stderr,
                 "%s: --wait must be a number of seconds >= 0, got "
                 "'%s'\n",
                 self->program, jk_opts_get (self->opts, "wait"));
        goto done;
    }
    self->delivery.broker = jk_opts_get (self->opts, "broker");
    self->delivery.program = self->program;
    char why[160];
    if (jk_endpoint_check (self->delivery.broker, why, sizeof why) != 0) {
        fprintf (stderr, "%s: --broker '%s': %s\n", self->program,
                 self->delivery.broker, why);
        goto done;
    }
    if (s_check_keys (self) != 0)
        goto done;
    if (type)
        rc = s_cmd_event (self, type);
    else if (strcmp (command, "import") == 0)
        rc = s_cmd_import (self);
    else if (strcmp (command, "sync") == 0)
        rc = s_cmd_sync (self);
    else if (strcmp (command, "pending") == 0)
        rc = s_cmd_list (self, false);
    else if (strcmp (command, "receipts") == 0)
        rc = jk_opts_on (self->opts, "verify") ? s_cmd_verify (self)
                                               : s_cmd_list (self, true);
    else if (strcmp (command, "inspect") == 0)
        rc = s_cmd_inspect (self);
    else if (strcmp (command, "witness") == 0)
        rc = s_cmd_witness (self);
    else
        rc = s_cmd_prune (self);
done:
    s_agent_fini (self);
    return rc;
}
