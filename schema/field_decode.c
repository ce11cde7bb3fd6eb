/*  field_decode.c - one body field's value from MessagePack by the
    field's kind: the wire shape only (string, date, time, enum, number,
    boolean, set, list, units), zero-copy. Used by jk_event_decode. */
#include "decode_internal.h"

#include <stdio.h>
#include <string.h>

/* Where a problem is: "body.NAME", formatted only when an error needs
   it (formatting it for every field would cost more than decoding the
   field). */
typedef struct {
    const jk_field_t *f;
    char path[64];
} s_where_t;

static const char *s_path (s_where_t *w)
{
    if (!w->path[0])
        snprintf (w->path, sizeof w->path, "body.%s", w->f->name);
    return w->path;
}
#define PATH s_path (w)

static jk_str_t s_str (const msgpack_object *o)
{
    return (jk_str_t){o->via.str.ptr, o->via.str.size};
}

static bool s_key_is (const msgpack_object *key, const char *name)
{
    return key->type == MSGPACK_OBJECT_STR && jk_str_eq (s_str (key), name);
}

/* A str, date, time or enum. */
static int s_decode_text (s_where_t *w, const msgpack_object *o, jk_value_t *v,
                          jk_report_t *report)
{
    const jk_field_t *f = w->f;
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
                             "%s must be a time HH:MM, got '%.*s'", PATH,
                             (int)(v->s.len > 40 ? 40 : v->s.len), v->s.ptr);
            return -1;
        }
        v->n = minutes;
    } else if (f->kind == JK_KIND_ENUM) {
        int k = jk_enum_index (f->values, v->s.ptr, v->s.len, false);
        if (k < 0) {
            char list[160];
            jk_enum_list (f->values, list, sizeof list);
            jk_report_error (report, "E_FIELD_ENUM", PATH,
                             "%s must be one of %s, got '%.*s'", PATH, list,
                             (int)(v->s.len > 40 ? 40 : v->s.len), v->s.ptr);
            return -1;
        }
        v->n = k;
    }
    return 0;
}

/* An unsigned integer. */
static int s_decode_uint (s_where_t *w, const msgpack_object *o, jk_value_t *v,
                          jk_report_t *report)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        jk_report_error (report, "E_FIELD_RANGE", PATH,
                         "%s must be >= 0, got %lld", PATH,
                         (long long)o->via.i64);
        return -1;
    }
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > INT64_MAX) {
        jk_report_error (report, "E_FIELD_TYPE", PATH,
                         "%s must be an unsigned integer", PATH);
        return -1;
    }
    v->n = (int64_t)o->via.u64;
    return 0;
}

/* Item k of a units list: a map {code, title} of two strings. */
static int s_decode_unit (s_where_t *w, const msgpack_object *item, uint32_t k,
                          jk_value_t *v, jk_report_t *report)
{
    if (item->type != MSGPACK_OBJECT_MAP || item->via.map.size != 2) {
        jk_report_error (report, "E_FIELD_TYPE", PATH,
                         "%s[%u] must be a map {code, title}", PATH, k);
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
    return 0;
}

/* Item k of a set or list: a string; a set's items distinct values of
   its enum (kept as bits in v->n). */
static int s_decode_item (s_where_t *w, const msgpack_object *item, uint32_t k,
                          jk_value_t *v, jk_report_t *report)
{
    const jk_field_t *f = w->f;
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
        int e = jk_enum_index (f->values, item->via.str.ptr, item->via.str.size,
                               false);
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
    return 0;
}

/* A set, list or units: an array of at most JK_LIST_MAX items. */
static int s_decode_array (jk_event_t *self, s_where_t *w,
                           const msgpack_object *o, jk_value_t *v,
                           jk_report_t *report)
{
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        jk_report_error (report, "E_FIELD_TYPE", PATH, "%s must be an array",
                         PATH);
        return -1;
    }
    uint32_t n = o->via.array.size;
    if (n > JK_LIST_MAX) {
        jk_report_error (report, "E_FIELD_LENGTH", PATH,
                         "%s must have at most %d items, got %u", PATH,
                         JK_LIST_MAX, n);
        return -1;
    }
    bool units = w->f->kind == JK_KIND_UNITS;
    v->count = n;
    v->items =
        jk_event_room (self, (units ? 2 * n : n) * sizeof (jk_str_t) + 1);
    for (uint32_t k = 0; k < n; k++) {
        const msgpack_object *item = &o->via.array.ptr[k];
        int rc = units ? s_decode_unit (w, item, k, v, report)
                       : s_decode_item (w, item, k, v, report);
        if (rc)
            return -1;
    }
    return 0;
}

int jk_field_decode (jk_event_t *self, const jk_field_t *f,
                     const msgpack_object *o, jk_value_t *v,
                     jk_report_t *report)
{
    s_where_t where = {.f = f, .path = ""}, *w = &where;
    v->present = true;
    switch (f->kind) {
        case JK_KIND_STR:
        case JK_KIND_DATE:
        case JK_KIND_TIME:
        case JK_KIND_ENUM:
            return s_decode_text (w, o, v, report);
        case JK_KIND_UINT:
            return s_decode_uint (w, o, v, report);
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
        case JK_KIND_UNITS:
            return s_decode_array (self, w, o, v, report);
    }
    return -1;
}
