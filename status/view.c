/*  view.c - reading the projections' snapshot map for the renderers, the
    view filters (--kecamatan, --batch), and NIK masking of any text the
    board prints. */
#include "status_internal.h"

#include <assert.h>
#include <ctype.h>
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

bool jk_view_source_shown (const jk_status_view_t *view, const char *source)
{
    if (!view->kecamatan || !*view->kecamatan)
        return true;
    size_t n = strlen (view->kecamatan);
    return strncmp (source, view->kecamatan, n) == 0 && source[n] == '/';
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
