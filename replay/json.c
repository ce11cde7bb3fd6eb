/*  json.c - JSON string escaping for export, and a small reader for
    exactly what export writes (objects, arrays, strings, integers, true,
    false, null), used to read JSON Lines back for round-trip checks. The
    reader is a pure function of its input: tests/fuzz/fuzz_export.c. */
#include "replay_internal.h"

#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH_MAX 16

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid:
   overlong forms, surrogates and code points above U+10FFFF are
   invalid. */
size_t jk_replay_utf8_sequence (const uint8_t *p, size_t left)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return n;
}

bool jk_json_write_string (FILE *out, const char *data, size_t size)
{
    const uint8_t *p = (const uint8_t *)data;
    bool valid = true;
    fputc ('"', out);
    size_t i = 0;
    while (i < size) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            fputc ('\\', out);
            fputc (c, out);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
                case '\n':
                    fputs ("\\n", out);
                    break;
                case '\r':
                    fputs ("\\r", out);
                    break;
                case '\t':
                    fputs ("\\t", out);
                    break;
                case '\b':
                    fputs ("\\b", out);
                    break;
                case '\f':
                    fputs ("\\f", out);
                    break;
                default:
                    fprintf (out, "\\u%04x", c);
                    break;
            }
            i++;
        } else if (c < 0x80) {
            fputc (c, out);
            i++;
        } else {
            size_t n = jk_replay_utf8_sequence (p + i, size - i);
            if (n == 0) {
                fputs ("\\ufffd", out);
                valid = false;
                i++;
            } else {
                fwrite (p + i, 1, n, out);
                i += n;
            }
        }
    }
    fputc ('"', out);
    return valid;
}

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
            size_t k = jk_replay_utf8_sequence (
                (const uint8_t *)r->text + r->at, r->size - r->at);
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
