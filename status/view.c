/*  view.c - reading the projections' snapshot map for the renderers, the
    view filters (--kecamatan, --batch), and NIK masking of any text the
    board prints. */
#include "status_internal.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const msgpack_object *jk_mp_get (const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen (key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp (k->via.str.ptr, key, n) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

double jk_mp_num (const msgpack_object *map, const char *key)
{
    const msgpack_object *o = jk_mp_get (map, key);
    if (!o)
        return 0;
    switch (o->type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            return (double)o->via.u64;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return (double)o->via.i64;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            return o->via.f64;
        case MSGPACK_OBJECT_BOOLEAN:
            return o->via.boolean ? 1 : 0;
        default:
            return 0;
    }
}

uint64_t jk_mp_u64 (const msgpack_object *map, const char *key)
{
    const msgpack_object *o = jk_mp_get (map, key);
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return o->via.u64;
    if (o && o->type == MSGPACK_OBJECT_BOOLEAN)
        return o->via.boolean;
    return 0;
}

const char *jk_mp_str (const msgpack_object *map, const char *key, char *out,
                       size_t size)
{
    const msgpack_object *o = jk_mp_get (map, key);
    out[0] = 0;
    if (o && o->type == MSGPACK_OBJECT_STR)
        jk_status_mask_niks (o->via.str.ptr, o->via.str.size, out, size);
    return out;
}

const msgpack_object_array *jk_mp_array (const msgpack_object *map,
                                         const char *key)
{
    const msgpack_object *o = jk_mp_get (map, key);
    return o && o->type == MSGPACK_OBJECT_ARRAY ? &o->via.array : NULL;
}

const msgpack_object *jk_view_snapshot (const jk_status_view_t *view,
                                        msgpack_unpacked *result)
{
    msgpack_unpacked_init (result);
    size_t off = 0;
    if (!view->snapshot ||
        msgpack_unpack_next (result, (const char *)view->snapshot,
                             view->snapshot_size,
                             &off) != MSGPACK_UNPACK_SUCCESS ||
        result->data.type != MSGPACK_OBJECT_MAP)
        return NULL;
    return &result->data;
}

bool jk_view_kecamatan_shown (const jk_status_view_t *view,
                              const msgpack_object *item)
{
    if (!view->kecamatan || !*view->kecamatan)
        return true;
    char code[32];
    return strcmp (jk_mp_str (item, "code", code, sizeof code),
                   view->kecamatan) == 0;
}

bool jk_view_batch_shown (const jk_status_view_t *view,
                          const msgpack_object *item)
{
    if (!view->batch || !*view->batch)
        return true;
    char code[128];
    return strcmp (jk_mp_str (item, "batch", code, sizeof code), view->batch) ==
           0;
}

const msgpack_object *jk_view_named_batch (const jk_status_view_t *view,
                                           const msgpack_object *snap)
{
    const msgpack_object_array *rows = jk_mp_array (snap, "batches");
    if (!view->batch || !*view->batch || !rows)
        return NULL;
    for (uint32_t i = 0; i < rows->size; i++)
        if (jk_view_batch_shown (view, &rows->ptr[i]))
            return &rows->ptr[i];
    return NULL;
}

bool jk_view_source_shown (const jk_status_view_t *view, const char *source)
{
    if (!view->kecamatan || !*view->kecamatan)
        return true;
    size_t n = strlen (view->kecamatan);
    return strncmp (source, view->kecamatan, n) == 0 && source[n] == '/';
}

/* The row for area, added when new; NULL when rows are full. */
static jk_link_row_t *s_link_row (jk_link_row_t *rows, size_t *count,
                                  size_t max, const char *area, size_t len)
{
    for (size_t i = 0; i < *count; i++)
        if (strlen (rows[i].area) == len &&
            memcmp (rows[i].area, area, len) == 0)
            return &rows[i];
    if (*count == max || len >= sizeof rows[0].area)
        return NULL;
    jk_link_row_t *row = &rows[(*count)++];
    memset (row, 0, sizeof *row);
    memcpy (row->area, area, len);
    return row;
}

size_t jk_view_links (const char *text, jk_link_row_t *rows, size_t max)
{
    size_t count = 0;
    jk_link_row_t *own = NULL; /* the sender's one link */
    for (const char *p = text; p && *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn (p, " ");
        const char *eq = memchr (p, '=', len);
        if (eq) {
            const char *key = p, *value = eq + 1;
            size_t key_len = (size_t)(eq - p);
            const char *field = key;
            jk_link_row_t *row = NULL;
            if (key_len > 5 && memcmp (key, "link.", 5) == 0) {
                const char *dot = key + key_len;
                while (dot > key + 5 && dot[-1] != '.')
                    dot--;
                if (dot > key + 6) {
                    row = s_link_row (rows, &count, max, key + 5,
                                      (size_t)(dot - 1 - (key + 5)));
                    field = dot;
                }
            } else if (key_len == 4 && memcmp (key, "area", 4) == 0) {
                own = s_link_row (rows, &count, max, value,
                                  len - (size_t)(value - p));
                row = NULL;
            } else
                row = own;
            size_t field_len = (size_t)(eq - field);
#define S_FIELD(name)                                                          \
    (field_len == strlen (name) && memcmp (field, name, field_len) == 0)
            if (row && (S_FIELD ("cursor") || S_FIELD ("acked")))
                row->cursor = strtoull (value, NULL, 10);
            else if (row && S_FIELD ("head"))
                row->head = strtoull (value, NULL, 10);
            else if (row && S_FIELD ("lag"))
                row->lag = strtoull (value, NULL, 10);
            else if (row && S_FIELD ("lag_ms"))
                row->lag_ms = strtoll (value, NULL, 10);
            else if (row && S_FIELD ("up"))
                row->up = *value == '1';
            else if (row && S_FIELD ("state"))
                row->up = strncmp (value, "linked", 6) == 0;
#undef S_FIELD
        }
        p += len;
    }
    return count;
}

void jk_status_mask_niks (const char *text, size_t len, char *out, size_t size)
{
    assert (size > 0);
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < size;) {
        size_t run = 0;
        while (i + run < len && isdigit ((unsigned char)text[i + run]))
            run++;
        if (run == 16) {
            /* Masked even when cut short: no digit of the middle shows. */
            char masked[17];
            jk_nik_mask (text + i, 16, masked);
            size_t n = 16 < size - 1 - o ? 16 : size - 1 - o;
            memcpy (out + o, masked, n);
            o += n;
            i += 16;
        } else if (run > 0) {
            size_t n = run < size - 1 - o ? run : size - 1 - o;
            memcpy (out + o, text + i, n);
            o += n;
            i += run;
        } else
            out[o++] = text[i++];
    }
    out[o] = 0;
}

uint64_t jk_view_behind (const jk_status_view_t *view,
                         const msgpack_object *stored,
                         const jk_office_t *office)
{
    if (!office || view->pos < view->head)
        return 0;
    uint64_t next = stored ? jk_mp_u64 (stored, "next_seq") : 0;
    uint64_t logged = next > 0 ? next - 1 : 0;
    uint64_t held = office->heartbeat.last_stored_seq;
    return held > logged ? held - logged : 0;
}
