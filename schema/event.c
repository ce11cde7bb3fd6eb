/*  event.c - the event object and its MessagePack codec, driven by the
    vocabulary table. Decoding is pure and zero-copy: strings point into the
    caller's buffer. Used by agents (build + encode), the store (decode +
    validate) and replay. */
#include "schema_internal.h"

#include <assert.h>
#include <ctype.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------ */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block_t;

void *jk_arena_alloc (void **arena, size_t size)
{
    arena_block_t *block = *arena;
    size = (size + 15) & ~(size_t)15;
    if (!block || block->used + size > block->size) {
        size_t cap = size > 2048 ? size : 2048;
        arena_block_t *fresh = jk_malloc (sizeof *fresh + cap);
        fresh->next = block;
        fresh->used = 0;
        fresh->size = cap;
        *arena = block = fresh;
    }
    void *p = (char *)block->data + block->used;
    block->used += size;
    return p;
}

void jk_arena_free (void **arena)
{
    arena_block_t *block = *arena;
    while (block) {
        arena_block_t *next = block->next;
        free (block);
        block = next;
    }
    *arena = NULL;
}

jk_str_t jk_arena_str (void **arena, const char *text, size_t len)
{
    char *p = jk_arena_alloc (arena, len + 1);
    memcpy (p, text, len);
    p[len] = 0;
    return (jk_str_t){p, (uint32_t)len};
}

/* ---- text forms ------------------------------------------------------- */

static int s_digits (const char *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

int jk_date_parse_iso (const char *text, size_t len, int32_t *days)
{
    int y, m, d;
    if (len != 10 || text[4] != '-' || text[7] != '-' ||
        s_digits (text, 4, &y) || s_digits (text + 5, 2, &m) ||
        s_digits (text + 8, 2, &d) || !jk_date_valid (y, m, d))
        return -1;
    *days = jk_days_from_civil (y, m, d);
    return 0;
}

int jk_time_parse_hhmm (const char *text, size_t len, int32_t *minutes)
{
    int h, m;
    if (len != 5 || text[2] != ':' || s_digits (text, 2, &h) ||
        s_digits (text + 3, 2, &m) || h > 23 || m > 59)
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

/* Accepts what operators type: ISO "2022-10-05", "05/10/2022", "5-10-2022",
   "5.10.2022" (day first, as Indonesian spreadsheets write). */
static int s_date_parse_user (const char *text, int32_t *days)
{
    size_t len = strlen (text);
    if (jk_date_parse_iso (text, len, days) == 0)
        return 0;
    int d, m, y;
    char s1, s2;
    int used = 0;
    if (sscanf (text, "%2d%c%2d%c%4d%n", &d, &s1, &m, &s2, &y, &used) != 5 ||
        (size_t)used != len || s1 != s2 ||
        (s1 != '/' && s1 != '-' && s1 != '.') || y < 1000 ||
        !jk_date_valid (y, m, d))
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!isdigit ((unsigned char)text[i]) && text[i] != s1)
            return -1;
    *days = jk_days_from_civil (y, m, d);
    return 0;
}

/* "8:05", "08:05", "08.05" (Indonesian style) -> minutes. */
static int s_time_parse_user (const char *text, int32_t *minutes)
{
    size_t len = strlen (text);
    char buf[6];
    if (len == 4 && (text[1] == ':' || text[1] == '.')) {
        buf[0] = '0';
        memcpy (buf + 1, text, 4);
    } else if (len == 5)
        memcpy (buf, text, 5);
    else
        return -1;
    if (buf[2] == '.')
        buf[2] = ':';
    return jk_time_parse_hhmm (buf, 5, minutes);
}

static int s_enum_index (const char *const *values, const char *text,
                         size_t len, bool any_case)
{
    jk_str_t t = {text, (uint32_t)len};
    for (int i = 0; values[i]; i++)
        if (any_case ? jk_str_ieq (t, values[i]) : jk_str_eq (t, values[i]))
            return i;
    return -1;
}

static void s_enum_list (const char *const *values, char *out, size_t size)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; values[i] && n + 1 < size; i++)
        n += (size_t)snprintf (out + n, size - n, "%s%s", i ? "|" : "",
                               values[i]);
}

static const char *s_trim (char *text)
{
    while (isspace ((unsigned char)*text))
        text++;
    size_t n = strlen (text);
    while (n > 0 && isspace ((unsigned char)text[n - 1]))
        text[--n] = 0;
    return text;
}

/* ---- the event object -------------------------------------------------- */

jk_event_t *jk_event_new (const jk_type_t *type)
{
    assert (type);
    jk_event_t *self = jk_calloc (1, sizeof *self);
    self->type = type;
    self->version = type->version;
    jk_uuid_v7 (self->id);
    self->at = jk_clock_now_ms ();
    return self;
}

void jk_event_destroy (jk_event_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_arena_free (&(*self_p)->arena);
    free (*self_p);
    *self_p = NULL;
}

void jk_event_set_source (jk_event_t *self, const char *source)
{
    self->source = jk_arena_str (&self->arena, source, strlen (source));
}

void jk_event_set_actor (jk_event_t *self, const char *actor)
{
    self->actor = jk_arena_str (&self->arena, actor, strlen (actor));
}

static int s_field_index (const jk_event_t *self, const char *field)
{
    return jk_type_field (self->type, field, strlen (field));
}

const jk_value_t *jk_event_get (const jk_event_t *self, const char *field)
{
    int i = s_field_index (self, field);
    return i < 0 ? NULL : &self->body[i];
}

const char *jk_event_text (const jk_event_t *self, const char *field, char *buf,
                           size_t size)
{
    const jk_value_t *v = jk_event_get (self, field);
    buf[0] = 0;
    if (v && v->present && v->s.ptr)
        snprintf (buf, size, "%.*s", (int)v->s.len, v->s.ptr);
    return buf;
}

char *jk_event_key (const jk_event_t *self)
{
    const char *const *keys = self->type->key_fields;
    if (!keys || !keys[0])
        return NULL;
    char *key = jk_strdup ("");
    for (int k = 0; keys[k]; k++) {
        const jk_value_t *v = jk_event_get (self, keys[k]);
        int i = s_field_index (self, keys[k]);
        char part[256];
        if (i >= 0 && (self->type->fields[i].kind == JK_KIND_UINT ||
                       self->type->fields[i].kind == JK_KIND_BOOL))
            snprintf (part, sizeof part, "%lld",
                      v && v->present ? (long long)v->n : 0LL);
        else
            jk_event_text (self, keys[k], part, sizeof part);
        char *next = jk_sprintf ("%s%s%s", key, k ? "|" : "", part);
        free (key);
        key = next;
    }
    return key;
}

void jk_event_set_uint (jk_event_t *self, const char *field, uint64_t value)
{
    int i = s_field_index (self, field);
    assert (i >= 0 && self->type->fields[i].kind == JK_KIND_UINT);
    self->body[i] = (jk_value_t){.present = true, .n = (int64_t)value};
}

/* Splits text on sep into trimmed, non-empty items in the arena. */
static uint32_t s_split (jk_event_t *self, const char *text, char sep,
                         jk_str_t **items_out)
{
    char *copy = jk_strdup (text);
    uint32_t count = 0, cap = 8;
    jk_str_t *items = jk_malloc (cap * sizeof *items);
    char *p = copy;
    while (p) {
        char *next = strchr (p, sep);
        if (next)
            *next++ = 0;
        const char *item = s_trim (p);
        if (*item) {
            if (count == cap)
                items = jk_realloc (items, (cap *= 2) * sizeof *items);
            items[count++] = jk_arena_str (&self->arena, item, strlen (item));
        }
        p = next;
    }
    *items_out =
        jk_arena_alloc (&self->arena, (count ? count : 1) * sizeof (jk_str_t));
    memcpy (*items_out, items, count * sizeof (jk_str_t));
    free (items);
    free (copy);
    return count;
}

int jk_event_set (jk_event_t *self, const char *field, const char *text,
                  jk_report_t *report)
{
    char path[64];
    snprintf (path, sizeof path, "body.%s", field);
    int i = s_field_index (self, field);
    if (i < 0) {
        jk_report_error (report, "E_FIELD_UNKNOWN", path, "%s has no field %s",
                         self->type->name, field);
        return -1;
    }
    const jk_field_t *f = &self->type->fields[i];
    jk_value_t v = {.present = true};
    char *owned = jk_strdup (text);
    const char *t = s_trim (owned);
    int rc = 0;
    switch (f->kind) {
        case JK_KIND_STR:
            v.s = jk_arena_str (&self->arena, t, strlen (t));
            break;
        case JK_KIND_UINT: {
            uint64_t u;
            if (jk_parse_u64 (t, &u) != JK_OK || u > INT64_MAX) {
                jk_report_error (report, "E_FIELD_TYPE", path,
                                 "%s must be a whole number >= 0, got '%s'",
                                 path, t);
                rc = -1;
            }
            v.n = (int64_t)u;
            break;
        }
        case JK_KIND_BOOL: {
            static const char *yes[] = {"true", "1", "yes", "ya", "y", NULL};
            static const char *no[] = {"false", "0", "no", "tidak",
                                       "t",     "n", NULL};
            if (s_enum_index (yes, t, strlen (t), true) >= 0)
                v.n = 1;
            else if (s_enum_index (no, t, strlen (t), true) >= 0)
                v.n = 0;
            else {
                jk_report_error (report, "E_FIELD_TYPE", path,
                                 "%s must be true/false (ya/tidak), got '%s'",
                                 path, t);
                rc = -1;
            }
            break;
        }
        case JK_KIND_DATE: {
            int32_t days;
            if (s_date_parse_user (t, &days) != 0) {
                jk_report_error (report, "E_FIELD_FORMAT", path,
                                 "%s must be a date dd/mm/yyyy or yyyy-mm-dd, "
                                 "got '%s'",
                                 path, t);
                rc = -1;
                break;
            }
            char iso[11];
            jk_date_format (days, iso);
            v.s = jk_arena_str (&self->arena, iso, 10);
            v.n = days;
            break;
        }
        case JK_KIND_TIME: {
            int32_t minutes;
            if (s_time_parse_user (t, &minutes) != 0) {
                jk_report_error (report, "E_FIELD_FORMAT", path,
                                 "%s must be a time HH:MM (WIB), got '%s'",
                                 path, t);
                rc = -1;
                break;
            }
            char hhmm[6] = {(char)('0' + minutes / 600),
                            (char)('0' + minutes / 60 % 10),
                            ':',
                            (char)('0' + minutes % 60 / 10),
                            (char)('0' + minutes % 10),
                            0};
            v.s = jk_arena_str (&self->arena, hhmm, 5);
            v.n = minutes;
            break;
        }
        case JK_KIND_ENUM: {
            int k = s_enum_index (f->values, t, strlen (t), true);
            if (k < 0) {
                char list[160];
                s_enum_list (f->values, list, sizeof list);
                jk_report_error (report, "E_FIELD_ENUM", path,
                                 "%s must be one of %s, got '%s'", path, list,
                                 t);
                rc = -1;
                break;
            }
            v.s = jk_str_of (f->values[k]);
            v.n = k;
            break;
        }
        case JK_KIND_SET:
        case JK_KIND_LIST: {
            v.count = s_split (self, t, ',', &v.items);
            if (f->kind == JK_KIND_SET) {
                for (uint32_t k = 0; k < v.count; k++) {
                    int e = s_enum_index (f->values, v.items[k].ptr,
                                          v.items[k].len, true);
                    if (e < 0) {
                        char list[160];
                        s_enum_list (f->values, list, sizeof list);
                        jk_report_error (report, "E_FIELD_ENUM", path,
                                         "%s items must be in %s, got '%.*s'",
                                         path, list, (int)v.items[k].len,
                                         v.items[k].ptr);
                        rc = -1;
                        break;
                    }
                    v.items[k] = jk_str_of (f->values[e]);
                    v.n |= (int64_t)1 << e;
                }
            }
            break;
        }
        case JK_KIND_UNITS: {
            jk_str_t *parts;
            uint32_t n = s_split (self, t, '|', &parts);
            v.items =
                jk_arena_alloc (&self->arena, (2 * n + 1) * sizeof (jk_str_t));
            v.count = n;
            for (uint32_t k = 0; k < n && rc == 0; k++) {
                const char *eq = memchr (parts[k].ptr, '=', parts[k].len);
                if (!eq) {
                    jk_report_error (report, "E_FIELD_FORMAT", path,
                                     "%s items must be CODE=TITLE, got '%.*s'",
                                     path, (int)parts[k].len, parts[k].ptr);
                    rc = -1;
                    break;
                }
                char *code =
                    jk_strndup (parts[k].ptr, (size_t)(eq - parts[k].ptr));
                char *title = jk_strndup (
                    eq + 1, parts[k].len - (size_t)(eq + 1 - parts[k].ptr));
                const char *c = s_trim (code), *ti = s_trim (title);
                v.items[2 * k] = jk_arena_str (&self->arena, c, strlen (c));
                v.items[2 * k + 1] =
                    jk_arena_str (&self->arena, ti, strlen (ti));
                free (code);
                free (title);
            }
            break;
        }
    }
    free (owned);
    if (rc == 0)
        self->body[i] = v;
    return rc;
}

/* ---- encoding ---------------------------------------------------------- */

static void s_pack_str (msgpack_packer *pk, jk_str_t s)
{
    msgpack_pack_str (pk, s.len);
    msgpack_pack_str_body (pk, s.ptr, s.len);
}

static void s_pack_key (msgpack_packer *pk, const char *key)
{
    size_t n = strlen (key);
    msgpack_pack_str (pk, n);
    msgpack_pack_str_body (pk, key, n);
}

uint8_t *jk_event_encode (const jk_event_t *self, size_t *size)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);

    const jk_type_t *type = self->type;
    msgpack_pack_map (&pk, 8 + (self->has_corrects ? 1 : 0));
    s_pack_key (&pk, "id");
    msgpack_pack_bin (&pk, 16);
    msgpack_pack_bin_body (&pk, self->id, 16);
    s_pack_key (&pk, "type");
    s_pack_str (&pk, jk_str_of (type->name));
    s_pack_key (&pk, "v");
    msgpack_pack_uint32 (&pk, self->version);
    s_pack_key (&pk, "source");
    s_pack_str (&pk, self->source);
    s_pack_key (&pk, "seq");
    msgpack_pack_uint64 (&pk, self->seq);
    s_pack_key (&pk, "at");
    msgpack_pack_int64 (&pk, self->at);
    s_pack_key (&pk, "actor");
    s_pack_str (&pk, self->actor);
    if (self->has_corrects) {
        s_pack_key (&pk, "corrects");
        msgpack_pack_bin (&pk, 16);
        msgpack_pack_bin_body (&pk, self->corrects, 16);
    }
    s_pack_key (&pk, "body");
    size_t present = 0;
    for (size_t i = 0; i < type->field_count; i++)
        present += self->body[i].present;
    msgpack_pack_map (&pk, present);
    for (size_t i = 0; i < type->field_count; i++) {
        const jk_value_t *v = &self->body[i];
        const jk_field_t *f = &type->fields[i];
        if (!v->present)
            continue;
        s_pack_key (&pk, f->name);
        switch (f->kind) {
            case JK_KIND_STR:
            case JK_KIND_DATE:
            case JK_KIND_TIME:
            case JK_KIND_ENUM:
                s_pack_str (&pk, v->s);
                break;
            case JK_KIND_UINT:
                msgpack_pack_uint64 (&pk, (uint64_t)v->n);
                break;
            case JK_KIND_BOOL:
                if (v->n)
                    msgpack_pack_true (&pk);
                else
                    msgpack_pack_false (&pk);
                break;
            case JK_KIND_SET:
            case JK_KIND_LIST:
                msgpack_pack_array (&pk, v->count);
                for (uint32_t k = 0; k < v->count; k++)
                    s_pack_str (&pk, v->items[k]);
                break;
            case JK_KIND_UNITS:
                msgpack_pack_array (&pk, v->count);
                for (uint32_t k = 0; k < v->count; k++) {
                    msgpack_pack_map (&pk, 2);
                    s_pack_key (&pk, "code");
                    s_pack_str (&pk, v->items[2 * k]);
                    s_pack_key (&pk, "title");
                    s_pack_str (&pk, v->items[2 * k + 1]);
                }
                break;
        }
    }
    if (sbuf.size > JK_EVENT_MAX_BYTES) {
        msgpack_sbuffer_destroy (&sbuf);
        return NULL;
    }
    *size = sbuf.size;
    return (uint8_t *)sbuf.data; /* malloc'd by msgpack_sbuffer */
}

/* ---- decoding ---------------------------------------------------------- */

static bool s_key_is (const msgpack_object *key, const char *name)
{
    return key->type == MSGPACK_OBJECT_STR &&
           jk_str_eq ((jk_str_t){key->via.str.ptr, key->via.str.size}, name);
}

static jk_str_t s_str (const msgpack_object *o)
{
    return (jk_str_t){o->via.str.ptr, o->via.str.size};
}

/* A map key as printable text for messages (at most 40 bytes; other
   bytes as '?'), into buf. */
static const char *s_key_text (const msgpack_object *key, char *buf,
                               size_t size)
{
    if (key->type != MSGPACK_OBJECT_STR) {
        snprintf (buf, size, "(not a string)");
        return buf;
    }
    size_t n = key->via.str.size;
    if (n > 40)
        n = 40;
    if (n > size - 1)
        n = size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key->via.str.ptr[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[n] = 0;
    return buf;
}

/* Fills buf with "body.NAME" and returns it. */
static const char *s_path (char *buf, size_t size, const char *name)
{
    snprintf (buf, size, "body.%s", name);
    return buf;
}

/* Decodes one body field's value by its kind; only wire shape here. */
static int s_decode_value (jk_event_t *self, const jk_field_t *f,
                           const msgpack_object *o, jk_value_t *v,
                           jk_report_t *report)
{
    /* The path is only needed for an error: formatting it for every field
       would cost more than decoding the field. */
    char path[64] = "";
#define PATH (path[0] ? path : s_path (path, sizeof path, f->name))
    v->present = true;
    switch (f->kind) {
        case JK_KIND_STR:
        case JK_KIND_DATE:
        case JK_KIND_TIME:
        case JK_KIND_ENUM:
            if (o->type != MSGPACK_OBJECT_STR) {
                jk_report_error (report, "E_FIELD_TYPE", PATH,
                                 "%s must be a string (%s)", PATH,
                                 jk_kind_name (f->kind));
                return -1;
            }
            if (o->via.str.size > JK_STRING_MAX_BYTES) {
                jk_report_error (report, "E_FIELD_LENGTH", PATH,
                                 "%s is longer than %d bytes", PATH,
                                 JK_STRING_MAX_BYTES);
                return -1;
            }
            v->s = s_str (o);
            if (f->kind == JK_KIND_DATE) {
                int32_t days;
                if (jk_date_parse_iso (v->s.ptr, v->s.len, &days)) {
                    jk_report_error (report, "E_FIELD_FORMAT", PATH,
                                     "%s must be a real date YYYY-MM-DD, "
                                     "got '%.*s'",
                                     PATH, (int)(v->s.len > 40 ? 40 : v->s.len),
                                     v->s.ptr);
                    return -1;
                }
                v->n = days;
            } else if (f->kind == JK_KIND_TIME) {
                int32_t minutes;
                if (jk_time_parse_hhmm (v->s.ptr, v->s.len, &minutes)) {
                    jk_report_error (report, "E_FIELD_FORMAT", PATH,
                                     "%s must be a time HH:MM, got '%.*s'",
                                     PATH, (int)(v->s.len > 40 ? 40 : v->s.len),
                                     v->s.ptr);
                    return -1;
                }
                v->n = minutes;
            } else if (f->kind == JK_KIND_ENUM) {
                int k = s_enum_index (f->values, v->s.ptr, v->s.len, false);
                if (k < 0) {
                    char list[160];
                    s_enum_list (f->values, list, sizeof list);
                    jk_report_error (report, "E_FIELD_ENUM", PATH,
                                     "%s must be one of %s, got '%.*s'", PATH,
                                     list, (int)(v->s.len > 40 ? 40 : v->s.len),
                                     v->s.ptr);
                    return -1;
                }
                v->n = k;
            }
            return 0;
        case JK_KIND_UINT:
            if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
                jk_report_error (report, "E_FIELD_RANGE", PATH,
                                 "%s must be >= 0, got %lld", PATH,
                                 (long long)o->via.i64);
                return -1;
            }
            if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
                o->via.u64 > INT64_MAX) {
                jk_report_error (report, "E_FIELD_TYPE", PATH,
                                 "%s must be an unsigned integer", PATH);
                return -1;
            }
            v->n = (int64_t)o->via.u64;
            return 0;
        case JK_KIND_BOOL:
            if (o->type != MSGPACK_OBJECT_BOOLEAN) {
                jk_report_error (report, "E_FIELD_TYPE", PATH,
                                 "%s must be a boolean", PATH);
                return -1;
            }
            v->n = o->via.boolean;
            return 0;
        case JK_KIND_SET:
        case JK_KIND_LIST:
        case JK_KIND_UNITS: {
            if (o->type != MSGPACK_OBJECT_ARRAY) {
                jk_report_error (report, "E_FIELD_TYPE", PATH,
                                 "%s must be an array", PATH);
                return -1;
            }
            uint32_t n = o->via.array.size;
            if (n > JK_LIST_MAX) {
                jk_report_error (report, "E_FIELD_LENGTH", PATH,
                                 "%s must have at most %d items, got %u", PATH,
                                 JK_LIST_MAX, n);
                return -1;
            }
            bool units = f->kind == JK_KIND_UNITS;
            v->count = n;
            v->items = jk_arena_alloc (
                &self->arena, (units ? 2 * n : n) * sizeof (jk_str_t) + 1);
            for (uint32_t k = 0; k < n; k++) {
                const msgpack_object *item = &o->via.array.ptr[k];
                if (units) {
                    if (item->type != MSGPACK_OBJECT_MAP ||
                        item->via.map.size != 2) {
                        jk_report_error (report, "E_FIELD_TYPE", PATH,
                                         "%s[%u] must be a map {code, title}",
                                         PATH, k);
                        return -1;
                    }
                    const msgpack_object *code = NULL, *title = NULL;
                    for (uint32_t e = 0; e < 2; e++) {
                        const msgpack_object_kv *kv = &item->via.map.ptr[e];
                        if (s_key_is (&kv->key, "code"))
                            code = &kv->val;
                        else if (s_key_is (&kv->key, "title"))
                            title = &kv->val;
                    }
                    if (!code || !title || code->type != MSGPACK_OBJECT_STR ||
                        title->type != MSGPACK_OBJECT_STR) {
                        jk_report_error (report, "E_FIELD_TYPE", PATH,
                                         "%s[%u] must be a map with string "
                                         "code and title",
                                         PATH, k);
                        return -1;
                    }
                    if (code->via.str.size > JK_STRING_MAX_BYTES ||
                        title->via.str.size > JK_STRING_MAX_BYTES) {
                        jk_report_error (report, "E_FIELD_LENGTH", PATH,
                                         "%s[%u] code or title is longer "
                                         "than %d bytes",
                                         PATH, k, JK_STRING_MAX_BYTES);
                        return -1;
                    }
                    v->items[2 * k] = s_str (code);
                    v->items[2 * k + 1] = s_str (title);
                    continue;
                }
                if (item->type != MSGPACK_OBJECT_STR) {
                    jk_report_error (report, "E_FIELD_TYPE", PATH,
                                     "%s[%u] must be a string", PATH, k);
                    return -1;
                }
                if (item->via.str.size > JK_STRING_MAX_BYTES) {
                    jk_report_error (report, "E_FIELD_LENGTH", PATH,
                                     "%s[%u] is longer than %d bytes", PATH, k,
                                     JK_STRING_MAX_BYTES);
                    return -1;
                }
                v->items[k] = s_str (item);
                if (f->kind == JK_KIND_SET) {
                    int e = s_enum_index (f->values, item->via.str.ptr,
                                          item->via.str.size, false);
                    if (e < 0 || (v->n & ((int64_t)1 << e))) {
                        char list[160];
                        s_enum_list (f->values, list, sizeof list);
                        jk_report_error (report, "E_FIELD_ENUM", PATH,
                                         "%s items must be distinct values "
                                         "of %s",
                                         PATH, list);
                        return -1;
                    }
                    v->n |= (int64_t)1 << e;
                }
            }
            return 0;
        }
    }
    return -1;
}
#undef PATH

static int s_decode_bin16 (const msgpack_object *o, uint8_t out[16])
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != 16)
        return -1;
    memcpy (out, o->via.bin.ptr, 16);
    return 0;
}

enum {
    K_ID = 1,
    K_TYPE = 2,
    K_V = 4,
    K_SOURCE = 8,
    K_SEQ = 16,
    K_AT = 32,
    K_ACTOR = 64,
    K_CORRECTS = 128,
    K_BODY = 256
};
static const char *s_envelope_keys[] = {"id",   "type", "v",     "source",
                                        "seq",  "at",   "actor", "corrects",
                                        "body", NULL};

static const uint8_t s_envelope_key_len[] = {2, 4, 1, 6, 3, 2, 5, 8, 4};

static int s_envelope_key (const msgpack_object *key)
{
    if (key->type != MSGPACK_OBJECT_STR)
        return -1;
    for (int i = 0; s_envelope_keys[i]; i++)
        if (key->via.str.size == s_envelope_key_len[i] &&
            memcmp (key->via.str.ptr, s_envelope_keys[i],
                    s_envelope_key_len[i]) == 0)
            return i;
    return -1;
}

/* Reads a big-endian unsigned integer of width bytes. */
static uint64_t s_be (const uint8_t *p, int width)
{
    uint64_t v = 0;
    for (int i = 0; i < width; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads the MessagePack item at *pos: moves *pos past a scalar whole, or
   past a container's header with its item count in *items (a map's keys
   and values both counted; *map says which). Returns 0 for a scalar, 1
   for a container, -1 when the bytes cannot hold it (the reason in why).
   Every item takes at least one byte, so a container claiming more items
   than bytes left is refused here. */
static int s_mp_item (const uint8_t *p, size_t size, size_t *pos_p,
                      uint64_t *items_out, bool *map_out, char *why,
                      size_t why_size)
{
    size_t pos = *pos_p;
    if (pos >= size) {
        snprintf (why, why_size, "input ends inside a value");
        return -1;
    }
    uint8_t c = p[pos++];
    uint64_t skip = 0, items = 0;
    int width = 0;
    bool container = false, map = false;
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
        skip = 0;
    else if (c <= 0x8f)
        container = map = true, items = c & 0x0f;
    else if (c <= 0x9f)
        container = true, items = c & 0x0f;
    else if (c <= 0xbf)
        skip = c & 0x1f;
    else if (c == 0xc1) {
        snprintf (why, why_size,
                  "byte 0xc1 at offset %zu is never used in MessagePack",
                  pos - 1);
        return -1;
    } else if (c >= 0xc4 && c <= 0xc6) /* bin 8/16/32 */
        width = 1 << (c - 0xc4);
    else if (c >= 0xc7 && c <= 0xc9) /* ext 8/16/32: length, type */
        width = 1 << (c - 0xc7), skip = 1;
    else if (c == 0xca)
        skip = 4;
    else if (c == 0xcb)
        skip = 8;
    else if (c >= 0xcc && c <= 0xcf)
        skip = 1u << (c - 0xcc);
    else if (c >= 0xd0 && c <= 0xd3)
        skip = 1u << (c - 0xd0);
    else if (c >= 0xd4 && c <= 0xd8) /* fixext: type + 1..16 */
        skip = 1 + (1u << (c - 0xd4));
    else if (c >= 0xd9 && c <= 0xdb) /* str 8/16/32 */
        width = 1 << (c - 0xd9);
    else if (c == 0xdc || c == 0xdd)
        container = true, width = c == 0xdc ? 2 : 4;
    else /* 0xde, 0xdf */
        container = map = true, width = c == 0xde ? 2 : 4;
    if (width) {
        if (size - pos < (size_t)width) {
            snprintf (why, why_size, "input ends inside a header");
            return -1;
        }
        uint64_t n = s_be (p + pos, width);
        pos += (size_t)width;
        if (container)
            items = n;
        else
            skip += n;
    }
    if (!container) {
        if (skip > size - pos) {
            snprintf (why, why_size,
                      "a value of %llu bytes at offset %zu runs past the end",
                      (unsigned long long)skip, pos);
            return -1;
        }
        *pos_p = pos + (size_t)skip;
        return 0;
    }
    if (map)
        items *= 2;
    if (items > size - pos) {
        snprintf (why, why_size,
                  "a %s at offset %zu claims %llu items but only %zu bytes "
                  "follow",
                  map ? "map" : "array", pos, (unsigned long long)items,
                  size - pos);
        return -1;
    }
    *pos_p = pos;
    *items_out = items;
    *map_out = map;
    return 1;
}

/* Moves *pos past one whole value, however deep: only the count of items
   still to read is kept, no stack. 0, or -1 when the bytes end first. */
static int s_mp_skip (const uint8_t *p, size_t size, size_t *pos)
{
    uint64_t left = 1;
    char why[8];
    while (left) {
        left--;
        uint64_t items;
        bool map;
        int rc = s_mp_item (p, size, pos, &items, &map, why, sizeof why);
        if (rc < 0)
            return -1;
        if (rc == 1)
            left += items;
    }
    return 0;
}

int jk_msgpack_check (const void *data, size_t size, int max_depth, size_t *end,
                      char *why, size_t why_size)
{
    /* msgpack-c allocates a container's items as soon as it reads the
       header, trusting the count: five bytes (dd ff ff ff ff) would ask
       for 100 GB. So walk the headers first (s_mp_item refuses a count
       larger than the bytes left), and the total allocated stays
       proportional to the input. */
    const uint8_t *p = data;
    uint64_t left[JK_MSGPACK_DEPTH_MAX + 1];
    int depth = 0;
    size_t pos = 0;
    if (max_depth > JK_MSGPACK_DEPTH_MAX)
        max_depth = JK_MSGPACK_DEPTH_MAX;
    left[0] = 1;
    while (depth >= 0) {
        if (left[depth] == 0) {
            depth--;
            continue;
        }
        left[depth]--;
        uint64_t items;
        bool map;
        int rc = s_mp_item (p, size, &pos, &items, &map, why, why_size);
        if (rc < 0)
            return -1;
        if (rc == 0 || items == 0)
            continue;
        if (depth + 1 > max_depth) {
            snprintf (why, why_size, "nested deeper than %d levels", max_depth);
            return -1;
        }
        left[++depth] = items;
    }
    if (end)
        *end = pos;
    return 0;
}

bool jk_envelope_id (const void *data, size_t size, uint8_t id[16])
{
    const uint8_t *p = data;
    size_t pos = 0;
    uint64_t items;
    bool map = false;
    char why[8];
    memset (id, 0, 16);
    if (s_mp_item (p, size, &pos, &items, &map, why, sizeof why) != 1 || !map)
        return false;
    for (uint64_t i = 0; i < items; i += 2) {
        size_t key = pos;
        if (s_mp_skip (p, size, &pos))
            return false;
        /* The key "id" as fixstr, str 8, str 16 or str 32. */
        size_t span = pos - key;
        bool is_id =
            span >= 3 && p[pos - 2] == 'i' && p[pos - 1] == 'd' &&
            ((p[key] == 0xa2 && span == 3) || (p[key] == 0xd9 && span == 4) ||
             (p[key] == 0xda && span == 5) || (p[key] == 0xdb && span == 7));
        size_t value = pos;
        if (s_mp_skip (p, size, &pos))
            return false;
        if (is_id && p[value] >= 0xc4 && p[value] <= 0xc6 &&
            pos - value == 16 + 1 + (1u << (p[value] - 0xc4))) {
            memcpy (id, p + pos - 16, 16);
            return true;
        }
    }
    return false;
}

/* Unpacks one complete MessagePack object covering exactly the input. */
static int s_unpack (const void *data, size_t size, msgpack_unpacked *result,
                     jk_report_t *report)
{
    if (size > JK_EVENT_MAX_BYTES) {
        jk_report_error (report, "E_TOO_LARGE", "",
                         "event is %zu bytes, more than the %d allowed", size,
                         JK_EVENT_MAX_BYTES);
        return -1;
    }
    char why[128];
    size_t end;
    if (jk_msgpack_check (data, size, JK_EVENT_MAX_DEPTH, &end, why,
                          sizeof why)) {
        jk_report_error (report, "E_DECODE", "",
                         "not a complete MessagePack object: %s", why);
        return -1;
    }
    if (end != size) {
        jk_report_error (report, "E_DECODE", "",
                         "%zu trailing bytes after the event", size - end);
        return -1;
    }
    if (*(const uint8_t *)data < 0x80 || *(const uint8_t *)data > 0x8f) {
        if (*(const uint8_t *)data != 0xde && *(const uint8_t *)data != 0xdf) {
            jk_report_error (report, "E_DECODE", "",
                             "an event must be a MessagePack map");
            return -1;
        }
    }
    size_t offset = 0;
    msgpack_unpack_return rc =
        msgpack_unpack_next (result, data, size, &offset);
    if (rc != MSGPACK_UNPACK_SUCCESS || offset != size ||
        result->data.type != MSGPACK_OBJECT_MAP) {
        jk_report_error (report, "E_DECODE", "",
                         "not a complete MessagePack map");
        return -1;
    }
    return 0;
}

/* Whether every string of o (map keys too, at any depth) is valid UTF-8
   without NUL. */
static bool s_all_text (const msgpack_object *o)
{
    switch (o->type) {
        case MSGPACK_OBJECT_STR:
            /* An empty str has no pointer: nothing to check. */
            return o->via.str.size == 0 ||
                   (!memchr (o->via.str.ptr, 0, o->via.str.size) &&
                    jk_utf8_length (o->via.str.ptr, o->via.str.size) >= 0);
        case MSGPACK_OBJECT_ARRAY:
            for (uint32_t i = 0; i < o->via.array.size; i++)
                if (!s_all_text (&o->via.array.ptr[i]))
                    return false;
            return true;
        case MSGPACK_OBJECT_MAP:
            for (uint32_t i = 0; i < o->via.map.size; i++)
                if (!s_all_text (&o->via.map.ptr[i].key) ||
                    !s_all_text (&o->via.map.ptr[i].val))
                    return false;
            return true;
        default:
            return true;
    }
}

/* Every str of the event, envelope and body, keys and values, is valid
   UTF-8 without NUL: checked once, here, so nothing downstream (answers,
   topics, the log's text columns, JSON, CSV) ever carries other bytes.
   Names the envelope key or body field; 0 or -1 (E_NOT_UTF8). */
static int s_check_text (const msgpack_object_map *map, jk_report_t *report)
{
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object *key = &map->ptr[i].key;
        const msgpack_object *val = &map->ptr[i].val;
        if (!s_all_text (key)) {
            jk_report_error (report, "E_NOT_UTF8", "",
                             "an envelope key is not valid UTF-8 text (or "
                             "holds a NUL byte)");
            return -1;
        }
        bool named = key->type == MSGPACK_OBJECT_STR;
        bool body = named && key->via.str.size == 4 &&
                    memcmp (key->via.str.ptr, "body", 4) == 0 &&
                    val->type == MSGPACK_OBJECT_MAP;
        if (!body && !s_all_text (val)) {
            char name[24] = "?";
            if (named)
                snprintf (
                    name, sizeof name, "%.*s",
                    (int)(key->via.str.size < 16 ? key->via.str.size : 16),
                    key->via.str.ptr);
            jk_report_error (report, "E_NOT_UTF8", name,
                             "%s is not valid UTF-8 text (or holds a NUL "
                             "byte): every string must be",
                             name);
            return -1;
        }
        for (uint32_t j = 0; body && j < val->via.map.size; j++) {
            const msgpack_object *k = &val->via.map.ptr[j].key;
            if (!s_all_text (k)) {
                jk_report_error (report, "E_NOT_UTF8", "body",
                                 "a body key is not valid UTF-8 text (or "
                                 "holds a NUL byte)");
                return -1;
            }
            if (!s_all_text (&val->via.map.ptr[j].val)) {
                char path[48] = "body";
                if (k->type == MSGPACK_OBJECT_STR)
                    snprintf (
                        path, sizeof path, "body.%.*s",
                        (int)(k->via.str.size < 40 ? k->via.str.size : 40),
                        k->via.str.ptr);
                jk_report_error (report, "E_NOT_UTF8", path,
                                 "%s is not valid UTF-8 text (or holds a "
                                 "NUL byte): every string must be",
                                 path);
                return -1;
            }
        }
    }
    return 0;
}

jk_event_t *jk_event_decode (const void *data, size_t size, jk_report_t *report)
{
    jk_report_t local;
    if (!report)
        report = &local;
    jk_report_reset (report);
    char keybuf[48];
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    jk_event_t *self = NULL;
    if (s_unpack (data, size, &result, report))
        goto failed;

    const msgpack_object_map *map = &result.data.via.map;
    if (s_check_text (map, report))
        goto failed;
    const msgpack_object *slot[9] = {NULL};
    for (uint32_t i = 0; i < map->size; i++) {
        int k = s_envelope_key (&map->ptr[i].key);
        if (k < 0) {
            const msgpack_object *key = &map->ptr[i].key;
            if (key->type == MSGPACK_OBJECT_STR)
                jk_report_error (report, "E_ENVELOPE_UNKNOWN",
                                 s_key_text (key, keybuf, sizeof keybuf),
                                 "unknown envelope key '%s'", keybuf);
            else
                jk_report_error (report, "E_ENVELOPE_UNKNOWN", "",
                                 "envelope keys must be strings");
            goto failed;
        }
        if (slot[k]) {
            jk_report_error (report, "E_DECODE", s_envelope_keys[k],
                             "envelope key '%s' appears twice",
                             s_envelope_keys[k]);
            goto failed;
        }
        slot[k] = &map->ptr[i].val;
    }
    static const int required[] = {0, 1, 2, 3, 4, 5, 6, 8};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!slot[required[i]]) {
            jk_report_error (
                report, "E_ENVELOPE_MISSING", s_envelope_keys[required[i]],
                "envelope key '%s' is missing", s_envelope_keys[required[i]]);
            goto failed;
        }
    if (slot[1]->type != MSGPACK_OBJECT_STR) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "type",
                         "type must be a string");
        goto failed;
    }
    const jk_type_t *type =
        jk_vocabulary_find (slot[1]->via.str.ptr, slot[1]->via.str.size);
    if (!type) {
        jk_report_error (
            report, "E_UNKNOWN_TYPE", "type", "unknown event type '%.*s'",
            (int)(slot[1]->via.str.size > 60 ? 60 : slot[1]->via.str.size),
            slot[1]->via.str.ptr);
        goto failed;
    }
    if (slot[2]->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "v",
                         "v must be an unsigned integer");
        goto failed;
    }
    uint64_t version = slot[2]->via.u64;
    const jk_type_t *decode_as = type;
    while (decode_as && decode_as->version > version)
        decode_as = decode_as->previous;
    if (!decode_as || decode_as->version != version) {
        jk_report_error (report, "E_UNKNOWN_VERSION", "v",
                         "%s has no version %llu (current %u)", type->name,
                         (unsigned long long)version, type->version);
        goto failed;
    }
    self = jk_calloc (1, sizeof *self);
    self->type = decode_as;
    self->version = (uint32_t)version;
    if (s_decode_bin16 (slot[0], self->id)) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "id",
                         "id must be 16 bytes of bin (a UUID)");
        goto failed;
    }
    if (slot[3]->type != MSGPACK_OBJECT_STR ||
        slot[3]->via.str.size > JK_SOURCE_MAX) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "source",
                         "source must be a string of at most %d bytes",
                         JK_SOURCE_MAX);
        goto failed;
    }
    self->source = s_str (slot[3]);
    if (slot[4]->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "seq",
                         "seq must be an unsigned integer");
        goto failed;
    }
    self->seq = slot[4]->via.u64;
    if (slot[5]->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        slot[5]->via.u64 <= INT64_MAX)
        self->at = (int64_t)slot[5]->via.u64;
    else if (slot[5]->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        self->at = slot[5]->via.i64;
    else {
        jk_report_error (report, "E_ENVELOPE_TYPE", "at",
                         "at must be an integer (ms since the epoch)");
        goto failed;
    }
    if (slot[6]->type != MSGPACK_OBJECT_STR) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "actor",
                         "actor must be a string");
        goto failed;
    }
    if (slot[6]->via.str.size > JK_STRING_MAX_BYTES) {
        jk_report_error (report, "E_FIELD_LENGTH", "actor",
                         "actor is longer than %d bytes", JK_STRING_MAX_BYTES);
        goto failed;
    }
    self->actor = s_str (slot[6]);
    if (slot[7]) {
        if (s_decode_bin16 (slot[7], self->corrects)) {
            jk_report_error (report, "E_ENVELOPE_TYPE", "corrects",
                             "corrects must be 16 bytes of bin (an event id)");
            goto failed;
        }
        self->has_corrects = true;
    }
    if (slot[8]->type != MSGPACK_OBJECT_MAP) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "body",
                         "body must be a map");
        goto failed;
    }
    const msgpack_object_map *body = &slot[8]->via.map;
    for (uint32_t i = 0; i < body->size; i++) {
        const msgpack_object *key = &body->ptr[i].key;
        int f =
            key->type == MSGPACK_OBJECT_STR
                ? jk_type_field (decode_as, key->via.str.ptr, key->via.str.size)
                : -1;
        if (f < 0) {
            if (key->type == MSGPACK_OBJECT_STR) {
                char path[64];
                snprintf (path, sizeof path, "body.%s",
                          s_key_text (key, keybuf, sizeof keybuf));
                jk_report_error (report, "E_FIELD_UNKNOWN", path,
                                 "%s: %s v%u has no field '%s'", path,
                                 decode_as->name, decode_as->version, keybuf);
            } else
                jk_report_error (report, "E_FIELD_UNKNOWN", "body",
                                 "body keys must be strings");
            goto failed;
        }
        if (self->body[f].present) {
            char path[64];
            snprintf (path, sizeof path, "body.%s", decode_as->fields[f].name);
            jk_report_error (report, "E_DECODE", path, "%s appears twice",
                             path);
            goto failed;
        }
        if (s_decode_value (self, &decode_as->fields[f], &body->ptr[i].val,
                            &self->body[f], report))
            goto failed;
    }
    msgpack_unpacked_destroy (&result);
    if (decode_as != type) {
        jk_event_t *current = jk_event_upcast (&self, type, report);
        if (!current)
            jk_event_destroy (&self);
        return current;
    }
    return self;

failed:
    msgpack_unpacked_destroy (&result);
    jk_event_destroy (&self);
    return NULL;
}

bool jk_envelope_peek (const void *data, size_t size, jk_envelope_t *out)
{
    memset (out, 0, sizeof *out);
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    int found = 0;
    if (s_unpack (data, size, &result, NULL) == 0) {
        const msgpack_object_map *map = &result.data.via.map;
        for (uint32_t i = 0; i < map->size; i++) {
            const msgpack_object *v = &map->ptr[i].val;
            switch (s_envelope_key (&map->ptr[i].key)) {
                case 0:
                    if (s_decode_bin16 (v, out->id) == 0)
                        found |= 1;
                    break;
                case 1:
                    /* Not text: no type (the record's type column and
                       feed topic carry only text). */
                    if (v->type == MSGPACK_OBJECT_STR && s_all_text (v))
                        snprintf (out->type, sizeof out->type, "%.*s",
                                  (int)v->via.str.size, v->via.str.ptr);
                    jk_text_clean (out->type, sizeof out->type);
                    break;
                case 2:
                    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                        v->via.u64 <= UINT32_MAX)
                        out->version = (uint32_t)v->via.u64;
                    break;
                case 3:
                    /* A source that is not text never reaches the
                       store's sources, GAPS or SNAPSHOT. */
                    if (v->type == MSGPACK_OBJECT_STR &&
                        v->via.str.size <= JK_SOURCE_MAX &&
                        v->via.str.size > 0 && s_all_text (v)) {
                        memcpy (out->source, v->via.str.ptr, v->via.str.size);
                        out->source[v->via.str.size] = 0;
                        found |= 2;
                    }
                    break;
                case 4:
                    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                        out->seq = v->via.u64;
                        found |= 4;
                    }
                    break;
                case 5:
                    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
                        v->via.u64 <= INT64_MAX)
                        out->at = (int64_t)v->via.u64;
                    else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                        out->at = v->via.i64;
                    break;
                default:
                    break;
            }
        }
    }
    msgpack_unpacked_destroy (&result);
    return found == 7;
}

/* ---- upcasting and equality ---------------------------------------------- */

/* Copies fields of the same name and kind from old into out. */
static int s_upcast_by_name (const jk_event_t *old, jk_event_t *out,
                             jk_report_t *report)
{
    (void)report;
    for (size_t i = 0; i < old->type->field_count; i++) {
        const jk_field_t *f = &old->type->fields[i];
        int j = jk_type_field (out->type, f->name, strlen (f->name));
        if (j >= 0 && out->type->fields[j].kind == f->kind)
            out->body[j] = old->body[i];
    }
    return 0;
}

jk_event_t *jk_event_upcast (jk_event_t **old_p, const jk_type_t *target,
                             jk_report_t *report)
{
    jk_event_t *old = *old_p;
    /* Find the step right after old's version on target's chain. */
    while (old->type != target) {
        const jk_type_t *next = target;
        while (next->previous && next->previous != old->type)
            next = next->previous;
        if (next->previous != old->type) {
            jk_report_error (report, "E_UNKNOWN_VERSION", "v",
                             "no upcast path from %s v%u", old->type->name,
                             old->type->version);
            return NULL;
        }
        jk_event_t *out = jk_calloc (1, sizeof *out);
        out->type = next;
        out->version = next->version;
        memcpy (out->id, old->id, 16);
        out->source = old->source;
        out->seq = old->seq;
        out->at = old->at;
        out->actor = old->actor;
        out->has_corrects = old->has_corrects;
        memcpy (out->corrects, old->corrects, 16);
        /* The new event takes over the old one's arena: values may
           point into it. */
        out->arena = old->arena;
        old->arena = NULL;
        jk_upcast_fn *fn = next->upcast ? next->upcast : s_upcast_by_name;
        if (fn (old, out, report)) {
            /* Give the arena back: old's values point into it. */
            old->arena = out->arena;
            out->arena = NULL;
            jk_event_destroy (&out);
            return NULL;
        }
        jk_event_destroy (old_p);
        *old_p = old = out;
    }
    *old_p = NULL;
    return old;
}

static bool s_value_equal (const jk_field_t *f, const jk_value_t *a,
                           const jk_value_t *b)
{
    if (a->present != b->present)
        return false;
    if (!a->present)
        return true;
    switch (f->kind) {
        case JK_KIND_UINT:
        case JK_KIND_BOOL:
            return a->n == b->n;
        case JK_KIND_SET:
        case JK_KIND_LIST:
        case JK_KIND_UNITS: {
            if (a->count != b->count)
                return false;
            uint32_t n = f->kind == JK_KIND_UNITS ? 2 * a->count : a->count;
            for (uint32_t k = 0; k < n; k++)
                if (!jk_str_same (a->items[k], b->items[k]))
                    return false;
            return true;
        }
        default:
            return jk_str_same (a->s, b->s);
    }
}

bool jk_event_equal (const jk_event_t *a, const jk_event_t *b)
{
    if (a->type != b->type || a->version != b->version ||
        memcmp (a->id, b->id, 16) || !jk_str_same (a->source, b->source) ||
        a->seq != b->seq || a->at != b->at ||
        !jk_str_same (a->actor, b->actor) ||
        a->has_corrects != b->has_corrects ||
        (a->has_corrects && memcmp (a->corrects, b->corrects, 16)))
        return false;
    for (size_t i = 0; i < a->type->field_count; i++)
        if (!s_value_equal (&a->type->fields[i], &a->body[i], &b->body[i]))
            return false;
    return true;
}
