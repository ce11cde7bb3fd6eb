/*  agent_event.c - the event commands, one per vocabulary type of the
    program's domain: the event from the flags (a correction names what
    it corrects by --corrects or by the corrected type's key fields),
    validated, queued in the outbox and delivered. */
#include "agent_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- event commands ------------------------------------------------------ */

/* Fills an event from the command's flags; 0 or -1 with the problem. */
static int s_fill_from_flags (jk_agent_t *self, jk_event_t *event,
                              jk_report_t *report)
{
    const jk_type_t *t = event->type;
    for (size_t f = 0; f < t->field_count; f++) {
        char name[64];
        jk_agent_flag_name (t->fields[f].name, name, sizeof name);
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
int jk_agent_check_flags (jk_agent_t *self, const jk_type_t *t,
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
        return JK_INVALID;
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
            return JK_INVALID;
        }
    }
    return 0;
}

/* envelope.corrects from --corrects, or found by batch/session/nik. */
static int s_set_corrects (jk_agent_t *self, jk_event_t *event)
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
        jk_agent_flag_name (field, flag, sizeof flag);
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

int jk_agent_cmd_event (jk_agent_t *self, const jk_type_t *t)
{
    if (jk_opts_argc (self->opts) > 1) {
        fprintf (stderr, "%s: unexpected argument '%s' (see %s %s --help)\n",
                 self->program, jk_opts_arg (self->opts, 1), self->program,
                 t->command);
        return JK_EXIT_USAGE;
    }
    int rc = jk_agent_open_outbox (self);
    if (rc)
        return rc;
    jk_context_t context;
    if (jk_agent_clock_check (self, &context) != 0)
        return JK_EXIT_USAGE;
    jk_event_t *event = jk_event_new (t);
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_set_source (event, jk_outbox_source (self->outbox));
    jk_event_set_actor (event, jk_opts_get (self->opts, "actor"));
    jk_outbox_counts_t counts;
    jk_outbox_counts (self->outbox, &counts);
    event->seq = counts.next_seq;
    if (s_fill_from_flags (self, event, &report) != 0) {
        jk_agent_print_problem ("error: ", "", &report.error);
        jk_event_destroy (&event);
        return JK_EXIT_USAGE;
    }
    if (t->needs_corrects && s_set_corrects (self, event) != 0) {
        jk_event_destroy (&event);
        return JK_EXIT_USAGE;
    }
    if (jk_event_validate (event, &context, &report) != 0) {
        jk_agent_print_problem ("error: ", "", &report.error);
        jk_event_destroy (&event);
        return JK_EXIT_USAGE;
    }
    jk_agent_print_warnings ("", &report);
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
    int drc = jk_agent_deliver (self, seq, false, &stats);
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
        char *message = jk_text_visible (row.message, strlen (row.message));
        printf ("rejected: seq %llu: %s %s\n", (unsigned long long)seq,
                row.code, message);
        free (message);
        return JK_EXIT_REJECTED;
    }
    printf ("not delivered yet (offline?): seq %llu stays in the outbox; "
            "'%s sync' delivers it\n",
            (unsigned long long)seq, self->program);
    return JK_EXIT_OFFLINE;
}
