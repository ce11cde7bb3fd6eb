/*  event_decode.c - MessagePack bytes to an event: pure (no clock, no
    reference data) and zero-copy (strings point into the caller's buffer).
    Sizes and nesting are checked first (msgpack_check.c), then every
    envelope key, the type and version (upcasting older ones), every body
    key and each field's wire type; every str must be UTF-8 without NUL.
    Also the envelope peek that reads what it can from any bytes. */
#include "schema_internal.h"

#include <assert.h>
#include <ctype.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                int k = jk_enum_index (f->values, v->s.ptr, v->s.len, false);
                if (k < 0) {
                    char list[160];
                    jk_enum_list (f->values, list, sizeof list);
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
                    int e = jk_enum_index (f->values, item->via.str.ptr,
                                           item->via.str.size, false);
                    if (e < 0 || (v->n & ((int64_t)1 << e))) {
                        char list[160];
                        jk_enum_list (f->values, list, sizeof list);
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
