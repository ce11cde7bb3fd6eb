/*  export.c - the log as JSON Lines (for jq and scripts) or as one CSV
    file per event type (for spreadsheets). Called by jejak-replay export;
    the way back from a line to the event, which only tests need, is
    tests/support/export_read.c. */
#include "jk_excel.h"
#include "jk_replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- helpers ------------------------------------------------------------ */

static void s_base64 (FILE *out, const uint8_t *data, size_t size)
{
    static const char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < size; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < size)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < size)
            v |= data[i + 2];
        fputc (table[(v >> 18) & 63], out);
        fputc (table[(v >> 12) & 63], out);
        fputc (i + 1 < size ? table[(v >> 6) & 63] : '=', out);
        fputc (i + 2 < size ? table[v & 63] : '=', out);
    }
}

static bool s_str (FILE *out, jk_str_t s)
{
    return jk_json_write_string (out, s.ptr, s.len);
}

static void s_key (FILE *out, const char *key)
{
    fprintf (out, ",\"%s\":", key);
}

static void s_uuid (FILE *out, const char *key, const uint8_t id[16])
{
    char text[37];
    jk_uuid_format (id, text);
    fprintf (out, ",\"%s\":\"%s\"", key, text);
}

/* True when a row passes the type and office filters. */
static bool s_wanted (const jk_export_config_t *config,
                      const jk_replay_row_t *row)
{
    if (config->type_prefix && strncmp (row->type, config->type_prefix,
                                        strlen (config->type_prefix)) != 0)
        return false;
    if (config->office) {
        char office[JK_SOURCE_MAX + 1];
        jk_source_office (row->source, strlen (row->source), office,
                          sizeof office);
        if (strcmp (office, config->office) != 0)
            return false;
    }
    return true;
}

/* ---- JSON Lines ------------------------------------------------------------
 */

/* Writes the body fields of a decoded event; false when some text was not
   valid UTF-8. */
static bool s_body (FILE *out, const jk_event_t *event)
{
    bool valid = true;
    const jk_type_t *type = event->type;
    fputs (",\"body\":{", out);
    bool first = true;
    for (size_t i = 0; i < type->field_count; i++) {
        const jk_field_t *f = &type->fields[i];
        const jk_value_t *v = &event->body[i];
        if (!v->present)
            continue;
        fprintf (out, "%s\"%s\":", first ? "" : ",", f->name);
        first = false;
        switch (f->kind) {
            case JK_KIND_STR:
            case JK_KIND_DATE:
            case JK_KIND_TIME:
            case JK_KIND_ENUM:
                valid &= s_str (out, v->s);
                break;
            case JK_KIND_UINT:
                fprintf (out, "%lld", (long long)v->n);
                break;
            case JK_KIND_BOOL:
                fputs (v->n ? "true" : "false", out);
                break;
            case JK_KIND_SET:
            case JK_KIND_LIST:
                fputc ('[', out);
                for (uint32_t k = 0; k < v->count; k++) {
                    if (k)
                        fputc (',', out);
                    valid &= s_str (out, v->items[k]);
                }
                fputc (']', out);
                break;
            case JK_KIND_UNITS:
                fputc ('[', out);
                for (uint32_t k = 0; k < v->count; k++) {
                    fputs (k ? ",{\"code\":" : "{\"code\":", out);
                    valid &= s_str (out, v->items[2 * k]);
                    fputs (",\"title\":", out);
                    valid &= s_str (out, v->items[2 * k + 1]);
                    fputc ('}', out);
                }
                fputc (']', out);
                break;
        }
    }
    fputc ('}', out);
    return valid;
}

void jk_export_jsonl_row (FILE *out, const jk_replay_row_t *row)
{
    char hex[65], when[26];
    jk_hex_format (row->hash, 32, hex);
    jk_time_format_wib (row->recorded_at, when);
    fprintf (out,
             "{\"pos\":%llu,\"recorded_at\":%lld,\"recorded_at_wib\":\"%s\","
             "\"hash\":\"%s\",\"outcome\":\"%s\"",
             (unsigned long long)row->pos, (long long)row->recorded_at, when,
             hex, row->outcome ? "rejected" : "accepted");
    bool faithful = true;
    if (row->outcome) {
        s_key (out, "code");
        faithful &= jk_json_write_string (out, row->code, strlen (row->code));
        s_key (out, "message");
        faithful &=
            jk_json_write_string (out, row->message, strlen (row->message));
    }
    jk_report_t report;
    jk_event_t *event = jk_event_decode (row->bytes, row->size, &report);
    if (event) {
        s_uuid (out, "id", event->id);
        s_key (out, "type");
        fputs ("\"", out);
        fputs (event->type->name, out);
        fputs ("\"", out);
        fprintf (out, ",\"v\":%u", event->version);
        if (event->type->previous) {
            /* Decoded through an upcaster: name the stored version too. */
            jk_envelope_t envelope;
            jk_envelope_peek (row->bytes, row->size, &envelope);
            if (envelope.version != event->version)
                fprintf (out, ",\"stored_v\":%u", envelope.version);
        }
        s_key (out, "source");
        faithful &= s_str (out, event->source);
        fprintf (out, ",\"seq\":%llu", (unsigned long long)event->seq);
        jk_time_format_wib (event->at, when);
        fprintf (out, ",\"at\":%lld,\"at_wib\":\"%s\"", (long long)event->at,
                 when);
        s_key (out, "actor");
        faithful &= s_str (out, event->actor);
        if (event->has_corrects)
            s_uuid (out, "corrects", event->corrects);
        faithful &= s_body (out, event);
        jk_event_destroy (&event);
    } else {
        /* What the envelope still tells about bytes that do not decode. */
        jk_envelope_t envelope;
        jk_envelope_peek (row->bytes, row->size, &envelope);
        static const uint8_t zero[16];
        if (memcmp (envelope.id, zero, 16))
            s_uuid (out, "id", envelope.id);
        s_key (out, "type");
        jk_json_write_string (out, row->type, strlen (row->type));
        if (envelope.version)
            fprintf (out, ",\"v\":%u", envelope.version);
        s_key (out, "source");
        jk_json_write_string (out, row->source, strlen (row->source));
        if (envelope.seq)
            fprintf (out, ",\"seq\":%llu", (unsigned long long)envelope.seq);
        s_key (out, "decode_error");
        jk_json_write_string (out, report.error.message,
                              strlen (report.error.message));
        faithful = false;
    }
    if (!faithful) {
        fputs (",\"raw\":\"", out);
        s_base64 (out, row->bytes, row->size);
        fputc ('"', out);
    }
    fputs ("}\n", out);
}

/* ---- CSV --------------------------------------------------------------------
 */

/* Writes one CSV cell for Indonesian-locale Excel (jk_excel.h): ';'
   between cells, quoted when it holds a separator, a quote, a line break
   or surrounding spaces, a leading ' when it starts with = + - @ tab or
   CR (never run as a formula); invalid UTF-8 becomes U+FFFD. */
static void s_cell (FILE *out, const char *data, size_t size, bool first)
{
    if (!first)
        fputc (JK_EXCEL_SEP, out);
    bool quote = size > 0 && (data[0] == ' ' || data[size - 1] == ' ');
    for (size_t i = 0; i < size && !quote; i++)
        if (data[i] == JK_EXCEL_SEP || data[i] == '"' || data[i] == '\n' ||
            data[i] == '\r')
            quote = true;
    if (quote)
        fputc ('"', out);
    if (size > 0 && strchr ("=+-@\t\r", data[0]))
        fputc ('\'', out);
    for (size_t i = 0; i < size;) {
        uint8_t c = (uint8_t)data[i];
        if (c >= 0x80) {
            size_t n = jk_utf8_sequence (data + i, size - i);
            if (n == 0) {
                fputs ("\xEF\xBF\xBD", out);
                i++;
            } else {
                fwrite (data + i, 1, n, out);
                i += n;
            }
            continue;
        }
        if (c == '"')
            fputc ('"', out);
        fputc (c, out);
        i++;
    }
    if (quote)
        fputc ('"', out);
}

static void s_cell_text (FILE *out, const char *text, bool first)
{
    s_cell (out, text, strlen (text), first);
}

/* Joins a list's items with sep (units as CODE=TITLE) into one cell. */
static void s_cell_value (FILE *out, const jk_field_t *f, const jk_value_t *v,
                          bool masked)
{
    if (!v->present) {
        s_cell (out, "", 0, false);
        return;
    }
    if (masked && f->format == JK_FORMAT_NIK && v->s.len == 16) {
        char nik[17];
        memcpy (nik, v->s.ptr, 4);
        memset (nik + 4, '*', 8);
        memcpy (nik + 12, v->s.ptr + 12, 4);
        s_cell (out, nik, 16, false);
        return;
    }
    char number[24];
    switch (f->kind) {
        case JK_KIND_UINT:
            snprintf (number, sizeof number, "%lld", (long long)v->n);
            s_cell_text (out, number, false);
            return;
        case JK_KIND_BOOL:
            s_cell_text (out, v->n ? "true" : "false", false);
            return;
        case JK_KIND_SET:
        case JK_KIND_LIST:
        case JK_KIND_UNITS: {
            bool units = f->kind == JK_KIND_UNITS;
            size_t size = 1;
            for (uint32_t k = 0; k < (units ? 2 : 1) * v->count; k++)
                size += v->items[k].len + 1;
            char *text = jk_malloc (size);
            size_t n = 0;
            for (uint32_t k = 0; k < v->count; k++) {
                if (k)
                    text[n++] = units ? '|' : ',';
                const jk_str_t *item = &v->items[units ? 2 * k : k];
                memcpy (text + n, item->ptr, item->len);
                n += item->len;
                if (units) {
                    text[n++] = '=';
                    memcpy (text + n, item[1].ptr, item[1].len);
                    n += item[1].len;
                }
            }
            s_cell (out, text, n, false);
            free (text);
            return;
        }
        default:
            s_cell (out, v->s.ptr, v->s.len, false);
            return;
    }
}

typedef struct {
    char *dir;      /* output directory */
    FILE **files;   /* per vocabulary index, opened lazily */
    FILE *rejected; /* rejected.csv */
    char *err;      /* message buffer */
    size_t err_size;
    bool masked; /* NIK fields masked, their column named "nik
                    (disamarkan)" */
} s_csv_t;

/* Opens path for writing; a new file holding NIKs in clear (the JSON
   Lines copy, an --unmasked CSV) is made 0600, as the log it comes from. */
static FILE *s_out_open (const char *path, bool clear)
{
    mode_t old = clear ? umask (077) : 0;
    FILE *file = fopen (path, "w");
    if (clear)
        umask (old);
    return file;
}

static FILE *s_csv_open (s_csv_t *csv, const char *name, char *header)
{
    char *path = jk_sprintf ("%s/%s.csv", csv->dir, name);
    FILE *file = s_out_open (path, !csv->masked);
    if (!file)
        snprintf (csv->err, csv->err_size, "%s: cannot write: %s", path,
                  strerror (errno));
    else
        fprintf (file, "\xEF\xBB\xBF%s\r\n", header);
    free (path);
    free (header);
    return file;
}

static const char *s_envelope_columns =
    "pos;recorded_at;hash;id;v;source;seq;at;actor;corrects";

static FILE *s_csv_file (s_csv_t *csv, const jk_type_t *type)
{
    size_t index = 0;
    while (jk_vocabulary_at (index) != type)
        index++;
    if (csv->files[index])
        return csv->files[index];
    size_t size = strlen (s_envelope_columns) + 1;
    for (size_t i = 0; i < type->field_count; i++)
        size += strlen (type->fields[i].name) + 16;
    char *header = jk_malloc (size);
    strcpy (header, s_envelope_columns);
    for (size_t i = 0; i < type->field_count; i++) {
        strcat (header, ";");
        strcat (header, type->fields[i].name);
        if (csv->masked && type->fields[i].format == JK_FORMAT_NIK)
            strcat (header, " (disamarkan)");
    }
    csv->files[index] = s_csv_open (csv, type->name, header);
    return csv->files[index];
}

/* Writes one record into its type's file (or rejected.csv). */
static int s_csv_row (s_csv_t *csv, const jk_replay_row_t *row)
{
    char hex[65], when[26], number[24], id[37];
    jk_hex_format (row->hash, 32, hex);
    jk_time_format_wib (row->recorded_at, when);
    jk_report_t report;
    jk_event_t *event = jk_event_decode (row->bytes, row->size, &report);
    FILE *out;
    if (row->outcome || !event) {
        if (!csv->rejected)
            csv->rejected = s_csv_open (
                csv, "rejected",
                jk_strdup ("pos;recorded_at;hash;id;type;v;source;seq;at;"
                           "outcome;code;message"));
        out = csv->rejected;
        if (!out) {
            jk_event_destroy (&event);
            return -1;
        }
        jk_envelope_t envelope;
        jk_envelope_peek (row->bytes, row->size, &envelope);
        snprintf (number, sizeof number, "%llu", (unsigned long long)row->pos);
        s_cell_text (out, number, true);
        s_cell_text (out, when, false);
        s_cell_text (out, hex, false);
        jk_uuid_format (envelope.id, id);
        s_cell_text (out, id, false);
        s_cell_text (out, row->type, false);
        snprintf (number, sizeof number, "%u", envelope.version);
        s_cell_text (out, number, false);
        s_cell_text (out, row->source, false);
        snprintf (number, sizeof number, "%llu",
                  (unsigned long long)envelope.seq);
        s_cell_text (out, number, false);
        jk_time_format_wib (envelope.at, when);
        s_cell_text (out, when, false);
        s_cell_text (out, row->outcome ? "rejected" : "undecodable", false);
        s_cell_text (out, row->code, false);
        s_cell_text (out, row->outcome ? row->message : report.error.message,
                     false);
        fputs ("\r\n", out);
        jk_event_destroy (&event);
        return 0;
    }
    out = s_csv_file (csv, event->type);
    if (!out) {
        jk_event_destroy (&event);
        return -1;
    }
    snprintf (number, sizeof number, "%llu", (unsigned long long)row->pos);
    s_cell_text (out, number, true);
    s_cell_text (out, when, false);
    s_cell_text (out, hex, false);
    jk_uuid_format (event->id, id);
    s_cell_text (out, id, false);
    snprintf (number, sizeof number, "%u", event->version);
    s_cell_text (out, number, false);
    s_cell (out, event->source.ptr, event->source.len, false);
    snprintf (number, sizeof number, "%llu", (unsigned long long)event->seq);
    s_cell_text (out, number, false);
    jk_time_format_wib (event->at, when);
    s_cell_text (out, when, false);
    s_cell (out, event->actor.ptr, event->actor.len, false);
    if (event->has_corrects) {
        jk_uuid_format (event->corrects, id);
        s_cell_text (out, id, false);
    } else
        s_cell (out, "", 0, false);
    for (size_t i = 0; i < event->type->field_count; i++)
        s_cell_value (out, &event->type->fields[i], &event->body[i],
                      csv->masked);
    fputs ("\r\n", out);
    jk_event_destroy (&event);
    return 0;
}

/* Closes every CSV file; -1 when a write failed. */
static int s_csv_close (s_csv_t *csv)
{
    int rc = 0;
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        if (csv->files[i] && fclose (csv->files[i]) != 0)
            rc = -1;
    if (csv->rejected && fclose (csv->rejected) != 0)
        rc = -1;
    free (csv->files);
    return rc;
}

/* ---- the export loop
 * ---------------------------------------------------------- */

int jk_export_run (sqlite3 *db, const jk_export_config_t *config,
                   uint64_t *written, char *err, size_t err_size)
{
    *written = 0;
    FILE *out = NULL;
    s_csv_t csv = {0};
    int rc = -1;
    jk_progress_t *progress = NULL;
    jk_replay_cursor_t *cursor = jk_replay_cursor_new (
        db, config->from_pos, config->until_pos, err, err_size);
    if (!cursor)
        return -1;
    if (config->format == JK_EXPORT_JSONL) {
        out = config->out ? s_out_open (config->out, true) : stdout;
        if (!out) {
            snprintf (err, err_size, "%s: cannot write: %s", config->out,
                      strerror (errno));
            goto cleanup;
        }
    } else {
        csv.dir = (char *)(config->out ? config->out : ".");
        csv.err = err;
        csv.err_size = err_size;
        csv.masked = !config->unmasked;
        csv.files = jk_calloc (jk_vocabulary_count () + 1, sizeof (FILE *));
        if (mkdir (csv.dir, 0755) != 0 && errno != EEXIST) {
            snprintf (err, err_size, "%s: cannot create directory: %s", csv.dir,
                      strerror (errno));
            goto cleanup;
        }
    }
    if (config->progress) {
        int64_t total =
            jk_replay_count (db, config->from_pos, config->until_pos);
        progress = jk_progress_new ("export", total > 0 ? (uint64_t)total : 0);
    }
    jk_replay_row_t row;
    int step;
    uint64_t seen = 0;
    while ((step = jk_replay_cursor_next (cursor, &row, err, err_size)) == 1) {
        jk_progress_update (progress, ++seen);
        if (!s_wanted (config, &row))
            continue;
        if (out)
            jk_export_jsonl_row (out, &row);
        else if (s_csv_row (&csv, &row) != 0)
            goto cleanup;
        (*written)++;
    }
    if (step == 0)
        rc = 0;

cleanup:
    jk_progress_destroy (&progress);
    jk_replay_cursor_destroy (&cursor);
    if (out) {
        if (fflush (out) != 0 || ferror (out)) {
            snprintf (err, err_size, "%s: write failed: %s",
                      config->out ? config->out : "stdout", strerror (errno));
            rc = -1;
        }
        if (out != stdout)
            fclose (out);
    }
    if (csv.files && s_csv_close (&csv) != 0 && rc == 0) {
        snprintf (err, err_size, "%s: write failed", csv.dir);
        rc = -1;
    }
    return rc;
}
