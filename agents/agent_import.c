/*  agent_import.c - import FILE --type TYPE: a CSV or XLSX file, one
    event per row, checked and queued in chunks; bad rows reported with
    their line, a rerun queues nothing twice. */
#include "agent_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- import ----------------------------------------------------------------
 */

typedef struct {
    jk_agent_t *agent;
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
            jk_agent_say ("%s:1: column '%s' appears twice", im->file,
                          cells[c]);
            bad = true;
        } else if (n == 0) {
            jk_agent_say ("%s:1: column %zu has no name", im->file, c + 1);
            bad = true;
        } else {
            size_t used = strlen (unknown);
            snprintf (unknown + used, sizeof unknown - used, "%s'%s'",
                      used ? ", " : "", cells[c]);
        }
    }
    if (*unknown) {
        jk_agent_say ("%s:1: unknown column(s) %s: %s has no such field (see "
                      "%s %s --help)",
                      im->file, unknown, t->name, im->agent->program,
                      t->command);
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
static int s_import_bad (void *arg, size_t line, jk_csv_fault_t fault,
                         const char *reason)
{
    (void)fault; /* said as the reason says it, in English */
    s_import_t *im = arg;
    if (!im->header_done) {
        im->header_done = true;
        im->header_bad = true;
        jk_agent_say ("%s:%zu: the header row: %s", im->file, line, reason);
        return 1;
    }
    s_progress (im, line);
    im->rows++;
    im->bad++;
    jk_agent_say ("%s:%zu: %s", im->file, line, reason);
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

/* Whether a row's cells fit the header: not more cells than columns,
   and not fewer with enough of the other separator in them to make up
   the difference (the header and the rows were written with different
   separators). Said and counted when not. */
static bool s_row_fits (s_import_t *im, size_t line, char **cells, size_t count)
{
    if (count > im->column_count) {
        fprintf (stderr,
                 "%s:%zu: row has %zu cells, the header %zu (a separator "
                 "inside an unquoted cell?)\n",
                 im->file, line, count, im->column_count);
        im->bad++;
        return false;
    }
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
        return false;
    }
    return true;
}

/* The row's event, filled from its cells by the header's columns and
   validated; NULL when a cell or the event is wrong (said, counted). */
static jk_event_t *s_row_event (s_import_t *im, size_t line, char **cells,
                                size_t count)
{
    jk_outbox_t *ob = im->agent->outbox;
    jk_event_t *event = jk_event_new (im->type);
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_set_source (event, jk_outbox_source (ob));
    jk_event_set_actor (event, jk_opts_get (im->agent->opts, "actor"));
    event->seq = im->last_seq + 1;
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
        jk_agent_say ("%s:%zu: %s%s%s (%s)", im->file, line,
                      report.error.field[0] ? report.error.field : "",
                      report.error.field[0] ? ": " : "", report.error.message,
                      report.error.code);
        im->bad++;
        jk_event_destroy (&event);
        return NULL;
    }
    /* Named as the bad rows are (FILE:LINE:), so a warning can be found
       in the file it came from. */
    char *where = jk_sprintf ("%s:%zu:", im->file, line);
    jk_agent_print_warnings (where, &report);
    free (where);
    return event;
}

/* Queues the row's event (taken) in the import's transaction, unless the
   same content was queued before. 0 to go on, 1 to stop (outbox
   failure). */
static int s_row_queue (s_import_t *im, size_t line, jk_event_t *event)
{
    jk_outbox_t *ob = im->agent->outbox;
    if (im->in_tx == 0 && jk_outbox_begin (ob) != JK_OK) {
        im->io_failed = true;
        jk_event_destroy (&event);
        return 1;
    }
    im->in_tx++;
    uint64_t seq;
    int rc = jk_outbox_find_same (ob, event, &seq);
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
    if (im->in_tx >= JK_AGENT_IMPORT_CHUNK) {
        im->in_tx = 0;
        if (jk_outbox_commit (ob) != JK_OK) {
            im->io_failed = true;
            return 1;
        }
    }
    return 0;
}

/* jk_csv_row_fn: the header, then one event per row. */
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
    if (!s_row_fits (im, line, cells, count))
        return 0;
    jk_event_t *event = s_row_event (im, line, cells, count);
    return event ? s_row_queue (im, line, event) : 0;
}

/* After the rows were read: the summary, delivery of this file's rows,
   and their states. Returns the exit code. */
static int s_import_finish (jk_agent_t *self, s_import_t *im, int prc)
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
                 "earlier row of this file, an earlier run of this import or "
                 "another file): not queued again; their states are counted "
                 "below\n",
                 self->program, (unsigned long long)im->already);
    if (im->seq_count == 0)
        return JK_EXIT_USAGE;
    jk_delivery_stats_t stats;
    self->delivery.verbose = true;
    int drc = jk_agent_deliver (self, im->last_seq, true, &stats);
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

int jk_agent_cmd_import (jk_agent_t *self)
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
                 S_ISDIR (st.st_mode)    ? "a directory"
                 : S_ISFIFO (st.st_mode) ? "a pipe"
                 : S_ISSOCK (st.st_mode) ? "a socket"
                                         : "a device");
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
    int rc = jk_agent_open_outbox (self);
    if (rc) {
        free (data);
        return rc;
    }
    s_import_t im = {.agent = self, .type = t, .file = file, .shown_pct = -1};
    if (jk_agent_clock_check (self, &im.context) != 0) {
        free (data);
        return JK_EXIT_USAGE;
    }
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
