/*  event_decode.c - MessagePack bytes to an event: pure (no clock, no
    reference data) and zero-copy (strings point into the caller's buffer).
    Sizes and nesting are checked first (msgpack_check.c), then every
    envelope key, the type and version (upcasting older ones), every body
    key and each field's wire type; every str must be UTF-8 without NUL.
    Also the envelope peek that reads what it can from any bytes. */
#include "decode_internal.h"

#include <assert.h>
#include <ctype.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- decoding ---------------------------------------------------------- */
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

/* Whether the first byte is a map's header (fixmap, map 16, map 32). */
static bool s_map_header (uint8_t c)
{
    return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
}

/* Unpacks one complete MessagePack map covering exactly the input into
   *root (its items in arena), in one walk over the bytes; *text says
   whether every str in it is UTF-8 without NUL. Bytes that do not start
   with a map's header are refused at that first byte, before anything
   after it is read. */
static int s_unpack (const void *data, size_t size, jk_msgpack_arena_t *arena,
                     msgpack_object *root, bool *text, jk_report_t *report)
{
    if (size > JK_EVENT_MAX_BYTES) {
        jk_report_error (report, "E_TOO_LARGE", "",
                         "event is %zu bytes, more than the %d allowed", size,
                         JK_EVENT_MAX_BYTES);
        return -1;
    }
    if (size > 0 && !s_map_header (((const uint8_t *)data)[0])) {
        jk_report_error (report, "E_DECODE", "",
                         "an event must be a MessagePack map");
        return -1;
    }
    char why[128];
    size_t end;
    if (jk_msgpack_unpack (data, size, JK_EVENT_MAX_DEPTH, arena, root, text,
                           &end, why, sizeof why)) {
        jk_report_error (report, "E_DECODE", "",
                         "not a complete MessagePack object: %s", why);
        return -1;
    }
    if (end != size) {
        jk_report_error (report, "E_DECODE", "",
                         "%zu trailing byte%s after the event", size - end,
                         size - end == 1 ? "" : "s");
        return -1;
    }
    assert (root->type == MSGPACK_OBJECT_MAP);
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

/* The rule every E_NOT_UTF8 message ends with (docs/EVENTS.md). */
#define S_TEXT_RULE                                                            \
    "every string of an event, keys included, must be UTF-8 text without "     \
    "NUL bytes"

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
                             "an envelope key is not valid UTF-8 or holds a "
                             "NUL byte: " S_TEXT_RULE);
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
            jk_report_error (
                report, "E_NOT_UTF8", name,
                "%s is not valid UTF-8 or holds a NUL byte: " S_TEXT_RULE,
                name);
            return -1;
        }
        for (uint32_t j = 0; body && j < val->via.map.size; j++) {
            const msgpack_object *k = &val->via.map.ptr[j].key;
            if (!s_all_text (k)) {
                jk_report_error (report, "E_NOT_UTF8", "body",
                                 "a body key is not valid UTF-8 or holds a "
                                 "NUL byte: " S_TEXT_RULE);
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
                                 "%s is not valid UTF-8 or holds a NUL "
                                 "byte: " S_TEXT_RULE,
                                 path);
                return -1;
            }
        }
    }
    return 0;
}

/* The envelope's values by key (slot[K] for s_envelope_keys[K]): every
   key known and once, every required one there. 0 or -1. */
static int s_envelope_slots (const msgpack_object_map *map,
                             const msgpack_object *slot[9], jk_report_t *report)
{
    char keybuf[48];
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
            return -1;
        }
        if (slot[k]) {
            jk_report_error (report, "E_DECODE", s_envelope_keys[k],
                             "envelope key '%s' appears twice",
                             s_envelope_keys[k]);
            return -1;
        }
        slot[k] = &map->ptr[i].val;
    }
    static const int required[] = {0, 1, 2, 3, 4, 5, 6, 8};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!slot[required[i]]) {
            jk_report_error (
                report, "E_ENVELOPE_MISSING", s_envelope_keys[required[i]],
                "envelope key '%s' is missing", s_envelope_keys[required[i]]);
            return -1;
        }
    return 0;
}

/* The type named by the envelope (*type, current) and the version of it
   the body is decoded as (returned: an older one is upcast after); NULL
   when either is unknown. */
static const jk_type_t *s_decode_as (const msgpack_object *const slot[9],
                                     const jk_type_t **type,
                                     jk_report_t *report)
{
    if (slot[1]->type != MSGPACK_OBJECT_STR) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "type",
                         "type must be a string");
        return NULL;
    }
    *type = jk_vocabulary_find (slot[1]->via.str.ptr, slot[1]->via.str.size);
    if (!*type) {
        jk_report_error (
            report, "E_UNKNOWN_TYPE", "type", "unknown event type '%.*s'",
            (int)(slot[1]->via.str.size > 60 ? 60 : slot[1]->via.str.size),
            slot[1]->via.str.ptr);
        return NULL;
    }
    if (slot[2]->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "v",
                         "v must be an unsigned integer");
        return NULL;
    }
    uint64_t version = slot[2]->via.u64;
    const jk_type_t *decode_as = *type;
    while (decode_as && decode_as->version > version)
        decode_as = decode_as->previous;
    if (!decode_as || decode_as->version != version) {
        jk_report_error (report, "E_UNKNOWN_VERSION", "v",
                         "%s has no version %llu (current %u)", (*type)->name,
                         (unsigned long long)version, (*type)->version);
        return NULL;
    }
    return decode_as;
}

/* The envelope's values into self: id, source, seq, at, actor and
   corrects. 0 or -1. */
static int s_decode_envelope (jk_event_t *self,
                              const msgpack_object *const slot[9],
                              jk_report_t *report)
{
    if (s_decode_bin16 (slot[0], self->id)) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "id",
                         "id must be 16 bytes of bin (a UUID)");
        return -1;
    }
    if (slot[3]->type != MSGPACK_OBJECT_STR ||
        slot[3]->via.str.size > JK_SOURCE_MAX) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "source",
                         "source must be a string of at most %d bytes",
                         JK_SOURCE_MAX);
        return -1;
    }
    self->source = s_str (slot[3]);
    if (slot[4]->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "seq",
                         "seq must be an unsigned integer");
        return -1;
    }
    self->seq = slot[4]->via.u64;
    if (slot[5]->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        slot[5]->via.u64 <= INT64_MAX)
        self->at = (int64_t)slot[5]->via.u64;
    else if (slot[5]->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        /* An integer, beyond int64 and so beyond 2100-01-01: the range
           rule's answer (validate.c), not a type error. */
        jk_report_error (report, "E_ENVELOPE_AT", "at",
                         "at must be before 2100-01-01, got %llu ms",
                         (unsigned long long)slot[5]->via.u64);
        return -1;
    } else if (slot[5]->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        self->at = slot[5]->via.i64;
    else {
        jk_report_error (report, "E_ENVELOPE_TYPE", "at",
                         "at must be an integer (ms since the epoch)");
        return -1;
    }
    if (slot[6]->type != MSGPACK_OBJECT_STR) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "actor",
                         "actor must be a string");
        return -1;
    }
    if (slot[6]->via.str.size > JK_STRING_MAX_BYTES) {
        jk_report_error (report, "E_FIELD_LENGTH", "actor",
                         "actor is longer than %d bytes", JK_STRING_MAX_BYTES);
        return -1;
    }
    self->actor = s_str (slot[6]);
    if (slot[7]) {
        if (s_decode_bin16 (slot[7], self->corrects)) {
            jk_report_error (report, "E_ENVELOPE_TYPE", "corrects",
                             "corrects must be 16 bytes of bin (an event id)");
            return -1;
        }
        self->has_corrects = true;
    }
    return 0;
}

/* The body: every key a field of self's type, once, each value decoded
   by its field (jk_field_decode). 0 or -1. */
static int s_decode_body (jk_event_t *self, const msgpack_object *o,
                          jk_report_t *report)
{
    const jk_type_t *decode_as = self->type;
    if (o->type != MSGPACK_OBJECT_MAP) {
        jk_report_error (report, "E_ENVELOPE_TYPE", "body",
                         "body must be a map");
        return -1;
    }
    char keybuf[48];
    const msgpack_object_map *body = &o->via.map;
    /* Encoders write the body in field order: each key is looked for
       from the field after the one found before it. */
    size_t next = 0;
    for (uint32_t i = 0; i < body->size; i++) {
        const msgpack_object *key = &body->ptr[i].key;
        int f = key->type == MSGPACK_OBJECT_STR
                    ? jk_type_field_from (decode_as, key->via.str.ptr,
                                          key->via.str.size, next)
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
            return -1;
        }
        if (self->body[f].present) {
            char path[64];
            snprintf (path, sizeof path, "body.%s", decode_as->fields[f].name);
            jk_report_error (report, "E_DECODE", path, "%s appears twice",
                             path);
            return -1;
        }
        if (jk_field_decode (self, &decode_as->fields[f], &body->ptr[i].val,
                             &self->body[f], report))
            return -1;
        next = (size_t)f + 1;
    }
    return 0;
}

jk_event_t *jk_event_decode (const void *data, size_t size, jk_report_t *report)
{
    return jk_event_decode_in (NULL, data, size, report);
}

jk_event_t *jk_event_decode_in (jk_event_slab_t *slab, const void *data,
                                size_t size, jk_report_t *report)
{
    jk_report_t local;
    if (!report)
        report = &local;
    jk_report_reset (report);
    jk_msgpack_arena_t arena;
    jk_msgpack_arena_init (&arena);
    msgpack_object root;
    bool text;
    jk_event_t *self = NULL;
    const msgpack_object *slot[9] = {NULL};
    const jk_type_t *type = NULL, *decode_as = NULL;
    /* The walk flags a str that is not text; which one, and the message
       naming it, come from s_check_text, only then. */
    if (s_unpack (data, size, &arena, &root, &text, report) ||
        (!text && s_check_text (&root.via.map, report)) ||
        s_envelope_slots (&root.via.map, slot, report) ||
        !(decode_as = s_decode_as (slot, &type, report)))
        goto failed;
    /* An older version is decoded on the heap: the event it is upcast to
       takes its arena over, and a slab's event has its arrays in the
       slab. */
    self = jk_event_alloc (decode_as == type ? slab : NULL, decode_as);
    if (s_decode_envelope (self, slot, report) ||
        s_decode_body (self, slot[8], report))
        goto failed;
    jk_msgpack_arena_free (&arena);
    if (decode_as != type) {
        jk_event_t *current = jk_event_upcast (&self, type, report);
        if (!current)
            jk_event_destroy (&self);
        return current;
    }
    return self;

failed:
    jk_msgpack_arena_free (&arena);
    jk_event_destroy (&self);
    return NULL;
}

bool jk_envelope_peek (const void *data, size_t size, jk_envelope_t *out)
{
    memset (out, 0, sizeof *out);
    jk_msgpack_arena_t arena;
    jk_msgpack_arena_init (&arena);
    msgpack_object root;
    bool text;
    int found = 0;
    if (s_unpack (data, size, &arena, &root, &text, NULL) == 0) {
        const msgpack_object_map *map = &root.via.map;
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
                    if (v->type == MSGPACK_OBJECT_STR && s_all_text (v)) {
                        size_t n = v->via.str.size < sizeof out->type - 1
                                       ? v->via.str.size
                                       : sizeof out->type - 1;
                        if (n)
                            memcpy (out->type, v->via.str.ptr, n);
                        out->type[n] = 0;
                    }
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
    jk_msgpack_arena_free (&arena);
    return found == 7;
}
