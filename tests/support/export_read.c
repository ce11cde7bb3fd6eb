/*  export_read.c - a JSON reader for exactly what jejak-replay export
    writes (objects, arrays, strings, integers, true, false, null), and the
    way back from an exported JSON line to its event, for round-trip checks
    (see export_read.h). The reader is a pure function of its input:
    tests/fuzz/fuzz_export.c. */
#include "export_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH_MAX 16

/* ---- reading ---------------------------------------------------------- */

typedef struct {
    const char *text; /* the input */
    size_t size;      /* its length */
    size_t at;        /* read offset */
    char *err;        /* message buffer */
    size_t err_size;
    bool failed; /* an error was recorded */
} s_reader_t;

static void s_fail (s_reader_t *r, const char *rule)
{
    if (!r->failed)
        snprintf (r->err, r->err_size, "JSON at byte %zu: %s", r->at, rule);
    r->failed = true;
}

static void s_space (s_reader_t *r)
{
    while (r->at < r->size &&
           (r->text[r->at] == ' ' || r->text[r->at] == '\t' ||
            r->text[r->at] == '\n' || r->text[r->at] == '\r'))
        r->at++;
}

static bool s_literal (s_reader_t *r, const char *word)
{
    size_t n = strlen (word);
    if (r->size - r->at < n || memcmp (r->text + r->at, word, n) != 0)
        return false;
    r->at += n;
    return true;
}

static int s_hex4 (s_reader_t *r, uint32_t *out)
{
    if (r->size - r->at < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->text[r->at + (size_t)i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + (uint32_t)d;
    }
    r->at += 4;
    *out = v;
    return 0;
}

static size_t s_put_utf8 (char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads a string after its opening quote into a new heap buffer. */
static char *s_string (s_reader_t *r, size_t *len)
{
    /* Decoded text is never longer than the escaped input. */
    char *out = jk_malloc (r->size - r->at + 1);
    size_t n = 0;
    while (true) {
        if (r->at >= r->size) {
            s_fail (r, "unterminated string");
            break;
        }
        uint8_t c = (uint8_t)r->text[r->at];
        if (c == '"') {
            r->at++;
            out[n] = 0;
            *len = n;
            return out;
        }
        if (c < 0x20) {
            s_fail (r, "control character in a string must be escaped");
            break;
        }
        if (c != '\\') {
            size_t k = jk_utf8_sequence (r->text + r->at, r->size - r->at);
            if (k == 0) {
                s_fail (r, "string is not valid UTF-8");
                break;
            }
            memcpy (out + n, r->text + r->at, k);
            n += k;
            r->at += k;
            continue;
        }
        r->at++;
        if (r->at >= r->size) {
            s_fail (r, "unterminated escape");
            break;
        }
        char e = r->text[r->at++];
        const char *simple = strchr ("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            out[n++] = map[simple - "\"\\/bfnrt"];
            continue;
        }
        if (e != 'u') {
            s_fail (r, "unknown escape in a string");
            break;
        }
        uint32_t cp;
        if (s_hex4 (r, &cp)) {
            s_fail (r, "\\u must be followed by 4 hex digits");
            break;
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            s_fail (r, "lone low surrogate in \\u escape");
            break;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (!s_literal (r, "\\u") || s_hex4 (r, &low) || low < 0xDC00 ||
                low > 0xDFFF) {
                s_fail (r, "high surrogate must be followed by a low one");
                break;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        n += s_put_utf8 (out + n, cp);
    }
    free (out);
    return NULL;
}

static jk_json_t *s_value (s_reader_t *r, int depth);

/* Appends to a growing array of items (and keys for objects). */
static void s_push (jk_json_t *node, size_t *cap, char *key, jk_json_t *item)
{
    if (node->len == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        node->items = jk_realloc (node->items, *cap * sizeof *node->items);
        if (node->kind == JK_JSON_OBJECT)
            node->keys = jk_realloc (node->keys, *cap * sizeof *node->keys);
    }
    if (node->kind == JK_JSON_OBJECT)
        node->keys[node->len] = key;
    node->items[node->len++] = item;
}

static jk_json_t *s_container (s_reader_t *r, int depth, bool object)
{
    jk_json_t *node = jk_calloc (1, sizeof *node);
    node->kind = object ? JK_JSON_OBJECT : JK_JSON_ARRAY;
    size_t cap = 0;
    char close = object ? '}' : ']';
    s_space (r);
    if (r->at < r->size && r->text[r->at] == close) {
        r->at++;
        return node;
    }
    while (!r->failed) {
        char *key = NULL;
        s_space (r);
        if (object) {
            size_t klen;
            if (r->at >= r->size || r->text[r->at] != '"') {
                s_fail (r, "object member names must be strings");
                break;
            }
            r->at++;
            key = s_string (r, &klen);
            if (!key)
                break;
            if (strlen (key) != klen || jk_json_get (node, key)) {
                s_fail (r, strlen (key) != klen
                               ? "member name must not contain NUL"
                               : "duplicate member name");
                free (key);
                break;
            }
            s_space (r);
            if (r->at >= r->size || r->text[r->at] != ':') {
                s_fail (r, "expected ':' after a member name");
                free (key);
                break;
            }
            r->at++;
        }
        jk_json_t *item = s_value (r, depth + 1);
        if (!item) {
            free (key);
            break;
        }
        s_push (node, &cap, key, item);
        s_space (r);
        if (r->at < r->size && r->text[r->at] == ',') {
            r->at++;
            continue;
        }
        if (r->at < r->size && r->text[r->at] == close) {
            r->at++;
            return node;
        }
        s_fail (r, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    jk_json_destroy (&node);
    return NULL;
}

static jk_json_t *s_number (s_reader_t *r)
{
    bool negative = false;
    if (r->text[r->at] == '-') {
        negative = true;
        r->at++;
    }
    size_t start = r->at;
    uint64_t v = 0;
    while (r->at < r->size && r->text[r->at] >= '0' && r->text[r->at] <= '9') {
        uint64_t d = (uint64_t)(r->text[r->at] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            s_fail (r, "integer out of range");
            return NULL;
        }
        v = v * 10 + d;
        r->at++;
    }
    size_t digits = r->at - start;
    if (digits == 0 || (digits > 1 && r->text[start] == '0')) {
        s_fail (r, "malformed number");
        return NULL;
    }
    if (r->at < r->size && strchr (".eE", r->text[r->at]) && r->text[r->at]) {
        s_fail (r, "numbers must be integers");
        return NULL;
    }
    if ((!negative && v > INT64_MAX) ||
        (negative && v > (uint64_t)INT64_MAX + 1)) {
        s_fail (r, "integer out of range");
        return NULL;
    }
    jk_json_t *node = jk_calloc (1, sizeof *node);
    node->kind = JK_JSON_INT;
    node->n = negative ? (int64_t)(0 - v) : (int64_t)v;
    return node;
}

static jk_json_t *s_value (s_reader_t *r, int depth)
{
    if (depth > JSON_DEPTH_MAX) {
        s_fail (r, "nested too deeply");
        return NULL;
    }
    s_space (r);
    if (r->at >= r->size) {
        s_fail (r, "expected a value");
        return NULL;
    }
    char c = r->text[r->at];
    if (c == '{' || c == '[') {
        r->at++;
        return s_container (r, depth, c == '{');
    }
    if (c == '"') {
        r->at++;
        size_t len;
        char *s = s_string (r, &len);
        if (!s)
            return NULL;
        jk_json_t *node = jk_calloc (1, sizeof *node);
        node->kind = JK_JSON_STRING;
        node->s = s;
        node->len = len;
        return node;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return s_number (r);
    jk_json_t *node = jk_calloc (1, sizeof *node);
    if (s_literal (r, "true")) {
        node->kind = JK_JSON_BOOL;
        node->n = 1;
    } else if (s_literal (r, "false"))
        node->kind = JK_JSON_BOOL;
    else if (s_literal (r, "null"))
        node->kind = JK_JSON_NULL;
    else {
        free (node);
        s_fail (r, "expected a value");
        return NULL;
    }
    return node;
}

jk_json_t *jk_json_parse (const char *text, size_t size, char *err,
                          size_t err_size)
{
    s_reader_t r = {text, size, 0, err, err_size, false};
    jk_json_t *root = s_value (&r, 0);
    if (root) {
        s_space (&r);
        if (r.at != r.size) {
            s_fail (&r, "trailing characters after the value");
            jk_json_destroy (&root);
        }
    }
    return root;
}

void jk_json_destroy (jk_json_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_json_t *self = *self_p;
    for (size_t i = 0; i < self->len && self->items; i++) {
        jk_json_destroy (&self->items[i]);
        if (self->keys)
            free (self->keys[i]);
    }
    free (self->items);
    free (self->keys);
    free (self->s);
    free (self->attached);
    free (self);
    *self_p = NULL;
}

const jk_json_t *jk_json_get (const jk_json_t *object, const char *key)
{
    if (!object || object->kind != JK_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < object->len; i++)
        if (strcmp (object->keys[i], key) == 0)
            return object->items[i];
    return NULL;
}

/* ---- back from JSON
 * ------------------------------------------------------------ */

static int s_need (const jk_json_t *node, jk_json_kind_t kind,
                   const char *field, jk_report_t *report)
{
    static const char *names[] = {"null",     "a boolean", "an integer",
                                  "a string", "an array",  "an object"};
    if (node && node->kind == kind)
        return 0;
    jk_report_error (report, node ? "E_FIELD_TYPE" : "E_ENVELOPE_MISSING",
                     field, "%s must be %s", field, names[kind]);
    return -1;
}

static jk_str_t s_text (const jk_json_t *node)
{
    return (jk_str_t){node->s, (uint32_t)node->len};
}

/* Fills one body value from its JSON; arrays of jk_str_t hang on the
   JSON node so they live as long as the tree. */
static int s_value_from_json (const jk_field_t *f, jk_json_t *node,
                              jk_value_t *v, jk_report_t *report)
{
    char path[64];
    snprintf (path, sizeof path, "body.%s", f->name);
    v->present = true;
    switch (f->kind) {
        case JK_KIND_STR:
        case JK_KIND_DATE:
        case JK_KIND_TIME:
        case JK_KIND_ENUM:
            if (s_need (node, JK_JSON_STRING, path, report))
                return -1;
            v->s = s_text (node);
            if (f->kind == JK_KIND_ENUM)
                for (int k = 0; f->values[k]; k++)
                    if (jk_str_eq (v->s, f->values[k]))
                        v->n = k;
            return 0;
        case JK_KIND_UINT:
            if (s_need (node, JK_JSON_INT, path, report))
                return -1;
            if (node->n < 0) {
                jk_report_error (report, "E_FIELD_RANGE", path,
                                 "%s must be >= 0", path);
                return -1;
            }
            v->n = node->n;
            return 0;
        case JK_KIND_BOOL:
            if (s_need (node, JK_JSON_BOOL, path, report))
                return -1;
            v->n = node->n;
            return 0;
        default:
            break;
    }
    if (s_need (node, JK_JSON_ARRAY, path, report))
        return -1;
    if (node->len > JK_LIST_MAX) {
        jk_report_error (report, "E_FIELD_LENGTH", path,
                         "%s must have at most %d items", path, JK_LIST_MAX);
        return -1;
    }
    bool units = f->kind == JK_KIND_UNITS;
    v->count = (uint32_t)node->len;
    v->items = jk_calloc ((units ? 2 : 1) * node->len + 1, sizeof (jk_str_t));
    node->attached = v->items;
    for (size_t k = 0; k < node->len; k++) {
        const jk_json_t *item = node->items[k];
        if (!units) {
            if (s_need (item, JK_JSON_STRING, path, report))
                return -1;
            v->items[k] = s_text (item);
            for (int e = 0; f->kind == JK_KIND_SET && f->values[e]; e++)
                if (jk_str_eq (v->items[k], f->values[e]))
                    v->n |= (int64_t)1 << e;
            continue;
        }
        const jk_json_t *code = jk_json_get (item, "code");
        const jk_json_t *title = jk_json_get (item, "title");
        if (s_need (item, JK_JSON_OBJECT, path, report) ||
            s_need (code, JK_JSON_STRING, path, report) ||
            s_need (title, JK_JSON_STRING, path, report))
            return -1;
        v->items[2 * k] = s_text (code);
        v->items[2 * k + 1] = s_text (title);
    }
    return 0;
}

static int s_uuid_from_json (const jk_json_t *node, const char *field,
                             uint8_t out[16], jk_report_t *report)
{
    if (s_need (node, JK_JSON_STRING, field, report))
        return -1;
    if (jk_uuid_parse (node->s, out) != JK_OK) {
        jk_report_error (report, "E_FIELD_FORMAT", field,
                         "%s must be a UUID in text form", field);
        return -1;
    }
    return 0;
}

jk_event_t *jk_export_event_from_json (const char *line, size_t size,
                                       jk_json_t **tree, jk_report_t *report)
{
    jk_report_reset (report);
    char err[128];
    *tree = jk_json_parse (line, size, err, sizeof err);
    if (!*tree) {
        jk_report_error (report, "E_DECODE", "", "%s", err);
        return NULL;
    }
    jk_json_t *root = *tree;
    if (s_need (root, JK_JSON_OBJECT, "line", report))
        return NULL;
    const jk_json_t *type_node = jk_json_get (root, "type");
    if (s_need (type_node, JK_JSON_STRING, "type", report))
        return NULL;
    const jk_type_t *type = jk_vocabulary_find (type_node->s, type_node->len);
    if (!type) {
        jk_report_error (report, "E_UNKNOWN_TYPE", "type",
                         "unknown event type '%.60s'", type_node->s);
        return NULL;
    }
    const jk_json_t *v = jk_json_get (root, "v");
    const jk_json_t *source = jk_json_get (root, "source");
    const jk_json_t *seq = jk_json_get (root, "seq");
    const jk_json_t *at = jk_json_get (root, "at");
    const jk_json_t *actor = jk_json_get (root, "actor");
    const jk_json_t *corrects = jk_json_get (root, "corrects");
    const jk_json_t *body = jk_json_get (root, "body");
    if (s_need (v, JK_JSON_INT, "v", report) ||
        s_need (source, JK_JSON_STRING, "source", report) ||
        s_need (seq, JK_JSON_INT, "seq", report) ||
        s_need (at, JK_JSON_INT, "at", report) ||
        s_need (actor, JK_JSON_STRING, "actor", report) ||
        s_need (body, JK_JSON_OBJECT, "body", report))
        return NULL;
    if (v->n != (int64_t)type->version || jk_json_get (root, "stored_v")) {
        jk_report_error (report, "E_UNKNOWN_VERSION", "v",
                         "%s was stored in an older version: its bytes are "
                         "upcast on reading, not re-encodable",
                         type->name);
        return NULL;
    }
    if (seq->n < 0) {
        jk_report_error (report, "E_FIELD_RANGE", "seq", "seq must be >= 0");
        return NULL;
    }
    jk_event_t *event = jk_event_new (type);
    if (s_uuid_from_json (jk_json_get (root, "id"), "id", event->id, report))
        goto failed;
    event->source = s_text (source);
    event->seq = (uint64_t)seq->n;
    event->at = at->n;
    event->actor = s_text (actor);
    if (corrects) {
        if (s_uuid_from_json (corrects, "corrects", event->corrects, report))
            goto failed;
        event->has_corrects = true;
    }
    for (size_t i = 0; i < body->len; i++) {
        int f = jk_type_field (type, body->keys[i], strlen (body->keys[i]));
        if (f < 0) {
            jk_report_error (report, "E_FIELD_UNKNOWN", "body",
                             "%s has no field '%.40s'", type->name,
                             body->keys[i]);
            goto failed;
        }
        if (s_value_from_json (&type->fields[f], body->items[i],
                               &event->body[f], report))
            goto failed;
    }
    return event;

failed:
    jk_event_destroy (&event);
    return NULL;
}
