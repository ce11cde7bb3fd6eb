/*  render_json.c - the board for machines: the snapshot map as JSON with
    the board's state, position, head and offices around it, one document
    on one line (jejak-status --json). Strings have NIKs masked. */
#include "status_internal.h"

#include <math.h>
#include <string.h>

/* Writes text as a JSON string, NIKs masked; every control character
   (C0, DEL, C1) as \u00XX. */
static void s_string (FILE *out, const char *text, size_t len)
{
    char masked[JK_STRING_MAX_BYTES + 1];
    if (len > JK_STRING_MAX_BYTES)
        len = JK_STRING_MAX_BYTES;
    jk_status_mask_niks (text, len, masked, sizeof masked);
    fputc ('"', out);
    for (const unsigned char *p = (const unsigned char *)masked; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf (out, "\\%c", *p);
        else if (*p == '\n')
            fputs ("\\n", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf (out, "\\u%04x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) {
            /* A C1 control, escaped as well: the same string, and none
               acts on a terminal the JSON is shown on. */
            fprintf (out, "\\u%04x", *++p);
        } else
            fputc (*p, out);
    }
    fputc ('"', out);
}

/* The note: its Indonesian text, its code and its arguments by name
   ("note":"","note_code":"","note_args":{} when there is none). */
static void s_note (FILE *out, const jk_status_note_t *note)
{
    char text[JK_STATUS_NOTE_TEXT_MAX];
    jk_status_note_text (note, false, text, sizeof text);
    const char *code = text[0] ? note->code : "";
    fputs (",\"note\":", out);
    s_string (out, text, strlen (text));
    fputs (",\"note_code\":", out);
    s_string (out, code, strlen (code));
    fputs (",\"note_args\":{", out);
    const char *name;
    for (int i = 0; code[0] && (name = jk_status_note_arg (code, i)); i++) {
        fputs (i ? "," : "", out);
        s_string (out, name, strlen (name));
        fputc (':', out);
        s_string (out, note->args[i], strlen (note->args[i]));
    }
    fputc ('}', out);
}

static void s_value (FILE *out, const jk_status_view_t *view,
                     const msgpack_object *o, const char *key);

/* An array; the snapshot's lists get the view's filters. */
static void s_array (FILE *out, const jk_status_view_t *view,
                     const msgpack_object_array *a, const char *key)
{
    fputc ('[', out);
    bool first = true;
    for (uint32_t i = 0; i < a->size; i++) {
        const msgpack_object *item = &a->ptr[i];
        if (key && strcmp (key, "kecamatan") == 0 &&
            !jk_view_kecamatan_shown (view, item))
            continue;
        if (key && strcmp (key, "batches") == 0 &&
            !jk_view_batch_shown (view, item))
            continue;
        if (key && strcmp (key, "sources") == 0) {
            char source[JK_SOURCE_MAX + 1];
            if (!jk_view_source_shown (
                    view, jk_mp_str (item, "source", source, sizeof source)))
                continue;
        }
        if (!first)
            fputc (',', out);
        first = false;
        s_value (out, view, item, NULL);
    }
    fputc (']', out);
}

static void s_value (FILE *out, const jk_status_view_t *view,
                     const msgpack_object *o, const char *key)
{
    switch (o->type) {
        case MSGPACK_OBJECT_NIL:
            fputs ("null", out);
            break;
        case MSGPACK_OBJECT_BOOLEAN:
            fputs (o->via.boolean ? "true" : "false", out);
            break;
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            fprintf (out, "%llu", (unsigned long long)o->via.u64);
            break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            fprintf (out, "%lld", (long long)o->via.i64);
            break;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            if (isfinite (o->via.f64))
                fprintf (out, "%.10g", o->via.f64);
            else
                fputs ("null", out);
            break;
        case MSGPACK_OBJECT_STR:
            s_string (out, o->via.str.ptr, o->via.str.size);
            break;
        case MSGPACK_OBJECT_BIN: {
            fputc ('"', out);
            for (uint32_t i = 0; i < o->via.bin.size; i++)
                fprintf (out, "%02x", (unsigned char)o->via.bin.ptr[i]);
            fputc ('"', out);
            break;
        }
        case MSGPACK_OBJECT_ARRAY:
            s_array (out, view, &o->via.array, key);
            break;
        case MSGPACK_OBJECT_MAP:
            fputc ('{', out);
            for (uint32_t i = 0; i < o->via.map.size; i++) {
                const msgpack_object *k = &o->via.map.ptr[i].key;
                char name[64] = "";
                if (i)
                    fputc (',', out);
                if (k->type == MSGPACK_OBJECT_STR) {
                    size_t n = k->via.str.size < sizeof name - 1
                                   ? k->via.str.size
                                   : sizeof name - 1;
                    memcpy (name, k->via.str.ptr, n);
                    name[n] = 0;
                    s_string (out, k->via.str.ptr, k->via.str.size);
                } else {
                    /* JSON keys are strings: write other keys as text. */
                    fputc ('"', out);
                    fputs ("?", out);
                    fputc ('"', out);
                }
                fputc (':', out);
                s_value (out, view, &o->via.map.ptr[i].val, name);
            }
            fputc ('}', out);
            break;
        default:
            fputs ("null", out);
    }
}

int jk_render_json (FILE *out, const jk_status_view_t *view)
{
    msgpack_unpacked result;
    const msgpack_object *snap = jk_view_snapshot (view, &result);
    if (!snap) {
        msgpack_unpacked_destroy (&result);
        fprintf (out, "{\"error\":\"the snapshot could not be read\"}\n");
        return JK_INVALID;
    }
    char hash[65] = "";
    if (view->hash)
        jk_hex_format (view->hash, 32, hash);
    fputs ("{\"state\":", out);
    s_string (out, view->state ? view->state : "",
              view->state ? strlen (view->state) : 0);
    s_note (out, view->note);
    fprintf (out, ",\"pos\":%llu,\"hash\":\"%s\",\"head\":%llu",
             (unsigned long long)view->pos, hash,
             (unsigned long long)view->head);
    if (view->checkpoint || (view->alarm && *view->alarm)) {
        fprintf (out, ",\"checkpoint\":{\"verified\":%llu,\"alarm\":",
                 (unsigned long long)view->checkpoint);
        s_string (out, view->alarm ? view->alarm : "",
                  view->alarm ? strlen (view->alarm) : 0);
        fputc ('}', out);
    }
    if (view->batch && *view->batch) {
        /* The batch --batch names, and whether the snapshot has it. */
        fputs (",\"batch\":{\"code\":", out);
        s_string (out, view->batch, strlen (view->batch));
        fprintf (out, ",\"recorded\":%s}",
                 jk_view_named_batch (view, snap) ? "true" : "false");
    }
    fputs (",\"snapshot\":", out);
    s_value (out, view, snap, NULL);
    fputs (",\"offices\":[", out);
    bool first = true;
    for (size_t i = 0; i < view->office_count; i++) {
        const jk_office_t *o = &view->offices[i];
        if (!jk_view_source_shown (view, o->heartbeat.source))
            continue;
        fputs (first ? "" : ",", out);
        first = false;
        fputs ("{\"source\":", out);
        s_string (out, o->heartbeat.source, strlen (o->heartbeat.source));
        fputs (",\"program\":", out);
        s_string (out, o->heartbeat.program, strlen (o->heartbeat.program));
        fprintf (out,
                 ",\"outbox\":%llu,\"stored_seq\":%llu,\"rejected\":%llu,"
                 "\"last_seen_ms\":%lld}",
                 (unsigned long long)o->heartbeat.outbox_depth,
                 (unsigned long long)o->heartbeat.last_stored_seq,
                 (unsigned long long)o->heartbeat.rejected,
                 (long long)o->last_seen_ms);
    }
    fputc (']', out);
    if (view->link) {
        fputs (",\"links\":[", out);
        jk_link_row_t links[64];
        size_t link_count = jk_view_links (view->link, links, 64);
        for (size_t i = 0; i < link_count; i++) {
            fputs (i ? "," : "", out);
            fputs ("{\"area\":", out);
            s_string (out, links[i].area, strlen (links[i].area));
            fprintf (out,
                     ",\"up\":%s,\"head\":%llu,\"cursor\":%llu,"
                     "\"lag\":%llu,\"lag_ms\":%lld}",
                     links[i].up ? "true" : "false",
                     (unsigned long long)links[i].head,
                     (unsigned long long)links[i].cursor,
                     (unsigned long long)links[i].lag,
                     (long long)links[i].lag_ms);
        }
        fputc (']', out);
    }
    fputs ("}\n", out);
    msgpack_unpacked_destroy (&result);
    fflush (out);
    return 0;
}
