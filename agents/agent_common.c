/*  agent_common.c - what the agents' commands share: diagnostics made
    safe for a terminal, parsing --wait and dates, flag names, opening the
    outbox and delivering it. */
#include "agent_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------
 */

/* Prints a diagnostic on stderr with what a file put into it made safe
   for a terminal: control characters (C0, DEL, and C1: U+0080..U+009F,
   as \x80..\x9F) and bytes that are not UTF-8 are written as \xNN (line
   breaks as \n), never raw. */
void jk_agent_say (const char *format, ...)
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
        if (c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 &&
            (unsigned char)text[i + 1] < 0xa0) {
            /* A C1 control (U+0080..U+009F; U+009B is a terminal's CSI) */
            n += (size_t)sprintf (out + n, "\\x%02X",
                                  (unsigned char)text[i + 1]);
            i += 2;
            continue;
        }
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
void jk_agent_print_problem (const char *prefix, const char *where,
                             const jk_problem_t *p)
{
    jk_agent_say ("%s%s%s%s%s: %s (%s)", prefix, where, *where ? " " : "",
                  p->field[0] ? "field " : "", p->field, p->message, p->code);
}

/* Parses --wait: seconds, digits with at most one decimal point (not
   what else strtod takes: "nan", "0x10", "1e3", a sign or spaces), from
   0 to 365 days. */
int jk_agent_parse_wait (const char *text, int64_t *ms)
{
    size_t digits = strspn (text, "0123456789");
    const char *p = text + digits;
    if (*p == '.') {
        size_t more = strspn (p + 1, "0123456789");
        digits += more;
        p += 1 + more;
    }
    if (digits == 0 || *p)
        return JK_INVALID;
    double s = strtod (text, NULL);
    if (s > 86400.0 * 365)
        return JK_INVALID;
    *ms = (int64_t)(s * 1000);
    return 0;
}

const char *jk_agent_state_name (jk_outbox_state_t state)
{
    static const char *names[] = {"PENDING", "SENT", "STORED", "REJECTED",
                                  "QUARANTINED"};
    return state <= JK_OUTBOX_QUARANTINED ? names[state] : "?";
}

/* Before queueing (see AGENTS.md, "Clocks"): when the hub last said its
   clock is far from this machine's, the operator hears it now, and a
   clock behind the hub's is no reason to refuse an entry: *context
   judges "not in the future" by the hub's time. A clock that cannot
   date an event at all (before 1990, from 2100: reset, e.g. to 1970)
   refuses with what to do, -1. */
int jk_agent_clock_check (jk_agent_t *self, jk_context_t *context)
{
    *context = jk_context_default ();
    int64_t now = jk_clock_now_ms ();
    if (now < JK_AGENT_CLOCK_MIN_MS || now >= JK_AGENT_CLOCK_MAX_MS) {
        char when[26];
        jk_time_format_wib (now, when);
        fprintf (stderr,
                 "%s: this computer's clock says %s, which cannot date an "
                 "event (1990 to 2099): set the right date and time (see "
                 "OPERATIONS.md, 'Clocks'), then enter it again; nothing was "
                 "queued\n",
                 self->program, when);
        return -1;
    }
    int64_t offset, at;
    if (jk_outbox_clock (self->outbox, &offset, &at) != JK_OK)
        return 0;
    if (offset > JK_CLOCK_SKEW_MAX_MS || offset < -JK_CLOCK_SKEW_MAX_MS)
        jk_delivery_clock_warning (stderr, offset);
    if (offset > 0)
        context->now_ms += offset;
    return 0;
}

/* Opens the outbox for --source; prints why not. */
int jk_agent_open_outbox (jk_agent_t *self)
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
int jk_agent_deliver (jk_agent_t *self, uint64_t until_seq, bool idle,
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

/* "legal_number" -> "legal-number" into out. */
void jk_agent_flag_name (const char *field, char *out, size_t size)
{
    snprintf (out, size, "%s", field);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = '-';
}

void jk_agent_print_warnings (const char *where, const jk_report_t *report)
{
    for (int i = 0; i < report->warning_count; i++)
        jk_agent_print_problem ("warning: ", where, &report->warnings[i]);
}
