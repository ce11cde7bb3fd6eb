/*  msgpack_check.c - the raw MessagePack walk done before anything is
    unpacked: item by item over the bytes, so sizes, counts and nesting
    are checked without allocating (jk_msgpack_check), and an event's id
    is found in bytes that may not decode (jk_envelope_id). The same walk
    (s_walk) also builds the msgpack-c objects in one pass
    (jk_msgpack_unpack), so an event's bytes are read once. */
#include "decode_internal.h"

#include <assert.h>
#include <ctype.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
   for a container, -1 when the bytes cannot hold it (the reason in why;
   why may be NULL with why_size 0 when no reason is wanted).
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
    while (left) {
        left--;
        uint64_t items;
        bool map;
        /* The reason is not wanted here: snprintf into no buffer. */
        int rc = s_mp_item (p, size, pos, &items, &map, NULL, 0);
        if (rc < 0)
            return -1;
        if (rc == 1)
            left += items;
    }
    return 0;
}

/* ---- the walk, and the objects it may build ---------------------------- */

_Static_assert(sizeof (msgpack_object_kv) == 2 * sizeof (msgpack_object),
               "a map's pairs are laid out as key, value, key, value ...");

/* Whether eight bytes are all ASCII and none of them NUL: in each byte
   of low, (b | 0x80) - 1 keeps the high bit unless b & 0x7f is 0 (no
   byte borrows from the next: each is at least 0x80); with b's own high
   bit clear, b is 1 .. 0x7f. */
static inline bool s_ascii8 (uint64_t w)
{
    const uint64_t high = 0x8080808080808080ull;
    uint64_t low = (w | high) - 0x0101010101010101ull;
    return (low & ~w & high) == high;
}

/* jk_msgpack_text of a str in a buffer that is readable up to end: one
   of fewer than eight bytes, with eight readable from its start, is
   checked in one step (the bytes after it counted as 0x01). */
static inline bool s_text_in (const char *at, size_t n, const uint8_t *end)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n < 8 && end - (const uint8_t *)at >= 8) {
        uint64_t w;
        memcpy (&w, at, 8);
        uint64_t keep = n ? ~0ull >> (64 - 8 * n) : 0;
        if (s_ascii8 ((w & keep) | (0x0101010101010101ull & ~keep)))
            return true;
    }
#else
    (void)end;
#endif
    return jk_msgpack_text (at, n);
}

bool jk_msgpack_text (const char *ptr, size_t size)
{
    const unsigned char *p = (const unsigned char *)ptr;
    size_t i = 0;
    /* All ASCII, the common case: eight bytes a step, then the last
       eight (overlapping the step before). Anything else goes byte by
       byte below. */
    if (size >= 8) {
        uint64_t w;
        size_t k = 0;
        for (; k + 8 <= size; k += 8) {
            memcpy (&w, p + k, 8);
            if (!s_ascii8 (w))
                break;
        }
        if (k + 8 > size) {
            memcpy (&w, p + size - 8, 8);
            if (k == size || s_ascii8 (w))
                return true;
        }
    }
    while (i < size) {
        /* Eight ASCII bytes, none of them NUL, at once. */
        if (size - i >= 8) {
            uint64_t w;
            memcpy (&w, p + i, 8);
            if (s_ascii8 (w)) {
                i += 8;
                continue;
            }
        }
        if (p[i] == 0)
            return false;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = jk_utf8_sequence (ptr + i, size - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void jk_msgpack_arena_init (jk_msgpack_arena_t *arena)
{
    arena->used = 0;
    arena->heap = NULL;
    arena->heap_used = arena->heap_cap = 0;
}

void jk_msgpack_arena_free (jk_msgpack_arena_t *arena)
{
    free (arena->heap);
    jk_msgpack_arena_init (arena);
}

/* Room for n objects; left is the bytes after the container's header.
   jk_msgpack_unpack takes room only while the items still to read (n
   among them) are at most the bytes left, each item taking at least one
   byte: so all the room taken from here on fits in one heap block of
   left objects. */
static msgpack_object *s_arena_take (jk_msgpack_arena_t *arena, uint64_t n,
                                     size_t left)
{
    if (arena->used + n <= JK_MSGPACK_LOCAL) {
        msgpack_object *out = arena->local + arena->used;
        arena->used += (size_t)n;
        return out;
    }
    if (!arena->heap) {
        arena->heap_cap = left > n ? left : (size_t)n;
        arena->heap = jk_malloc (arena->heap_cap * sizeof (msgpack_object));
    }
    assert (arena->heap_used + n <= arena->heap_cap);
    msgpack_object *out = arena->heap + arena->heap_used;
    arena->heap_used += (size_t)n;
    return out;
}

/* The scalar whose item runs from p to end (s_mp_item read it whole) as
   msgpack-c makes it. */
static void s_scalar (const uint8_t *p, const uint8_t *end, msgpack_object *o,
                      bool *text)
{
    uint8_t c = *p;
    memset (o, 0, sizeof *o);
    if (c <= 0x7f) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = c;
    } else if (c >= 0xe0) {
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
        o->via.i64 = (int8_t)c;
    } else if (c <= 0xbf || (c >= 0xd9 && c <= 0xdb)) {
        size_t head = c <= 0xbf ? 1 : 1 + (1u << (c - 0xd9));
        o->type = MSGPACK_OBJECT_STR;
        o->via.str.ptr = (const char *)p + head;
        o->via.str.size = (uint32_t)(end - p - head);
        if (*text && !jk_msgpack_text (o->via.str.ptr, o->via.str.size))
            *text = false;
    } else if (c == 0xc0)
        o->type = MSGPACK_OBJECT_NIL;
    else if (c == 0xc2 || c == 0xc3) {
        o->type = MSGPACK_OBJECT_BOOLEAN;
        o->via.boolean = c == 0xc3;
    } else if (c >= 0xc4 && c <= 0xc6) {
        size_t head = 1 + (1u << (c - 0xc4));
        o->type = MSGPACK_OBJECT_BIN;
        o->via.bin.ptr = (const char *)p + head;
        o->via.bin.size = (uint32_t)(end - p - head);
    } else if ((c >= 0xc7 && c <= 0xc9) || (c >= 0xd4 && c <= 0xd8)) {
        /* ext: [length], type, data */
        size_t head = c <= 0xc9 ? 2 + (1u << (c - 0xc7)) : 2;
        o->type = MSGPACK_OBJECT_EXT;
        o->via.ext.type = (int8_t)p[head - 1];
        o->via.ext.ptr = (const char *)p + head;
        o->via.ext.size = (uint32_t)(end - p - head);
    } else if (c == 0xca) {
        uint32_t bits = (uint32_t)s_be (p + 1, 4);
        float f;
        memcpy (&f, &bits, 4);
        o->type = MSGPACK_OBJECT_FLOAT32;
        o->via.f64 = f;
    } else if (c == 0xcb) {
        uint64_t bits = s_be (p + 1, 8);
        double d;
        memcpy (&d, &bits, 8);
        o->type = MSGPACK_OBJECT_FLOAT64;
        o->via.f64 = d;
    } else if (c >= 0xcc && c <= 0xcf) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = s_be (p + 1, 1 << (c - 0xcc));
    } else { /* 0xd0 .. 0xd3: signed, positive ones as msgpack-c has them */
        int width = 1 << (c - 0xd0);
        uint64_t raw = s_be (p + 1, width);
        int64_t v =
            width == 8 ? (int64_t)raw
                       : (int64_t)(raw << (64 - 8 * width)) >> (64 - 8 * width);
        if (v < 0) {
            o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
            o->via.i64 = v;
        } else {
            o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
            o->via.u64 = (uint64_t)v;
        }
    }
}

/* The most common items of an event, read in one step when the bytes
   hold them whole: a small unsigned integer, a str of up to 255 bytes,
   bin of up to 255 (an id) and a uint. Anything else, or an item the
   bytes cannot hold, is left to the general walk (s_mp_item, which says
   why), which builds the same object. */
static inline bool s_common (const uint8_t *p, size_t size, size_t *pos_p,
                             msgpack_object *o, bool *text)
{
    size_t pos = *pos_p;
    if (pos >= size)
        return false;
    uint8_t c = p[pos];
    size_t left = size - pos - 1; /* after the header byte */
    size_t head, n;
    if (c <= 0x7f) {
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = c;
        *pos_p = pos + 1;
        return true;
    }
    if (c >= 0xcc && c <= 0xcf) {
        int width = 1 << (c - 0xcc);
        if ((size_t)width > left)
            return false;
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = s_be (p + pos + 1, width);
        *pos_p = pos + 1 + (size_t)width;
        return true;
    }
    if (c >= 0xa0 && c <= 0xbf) {
        head = 1;
        n = c & 0x1f;
    } else if ((c == 0xd9 || c == 0xc4) && left >= 1) {
        head = 2;
        n = p[pos + 1];
    } else
        return false;
    if (n > size - pos - head)
        return false;
    const char *at = (const char *)p + pos + head;
    if (c == 0xc4) {
        o->type = MSGPACK_OBJECT_BIN;
        o->via.bin.ptr = at;
        o->via.bin.size = (uint32_t)n;
    } else {
        o->type = MSGPACK_OBJECT_STR;
        o->via.str.ptr = at;
        o->via.str.size = (uint32_t)n;
        if (*text && !s_text_in (at, n, p + size))
            *text = false;
    }
    *pos_p = pos + head + n;
    return true;
}

/* The walk over data that jk_msgpack_check and jk_msgpack_unpack share:
   item by item, a count of the items still to read at each depth, no
   more. msgpack-c allocates a container's items as soon as it reads the
   header, trusting the count: five bytes (dd ff ff ff ff) would ask for
   100 GB. So each header is checked first (s_mp_item refuses a count
   larger than the bytes left), and anything taken stays proportional to
   the input.
   With arena NULL the walk only checks. With an arena it also builds
   the objects in *root, the containers' items in arena, and says in
   *text whether every str is UTF-8 without NUL; and before anything is
   taken for a container's items, every item still to read (at any
   depth) must have a byte left. When not, the bytes cannot be a whole
   object, and the checking walk finds where they fail and says why.
   Inlined into both callers, so each is compiled for its own case. */
static inline __attribute__ ((always_inline)) int
s_walk (const uint8_t *p, size_t size, int max_depth, jk_msgpack_arena_t *arena,
        msgpack_object *root, bool *text, size_t *end, char *why,
        size_t why_size)
{
    const bool build = arena != NULL;
    uint64_t left[JK_MSGPACK_DEPTH_MAX + 1];
    msgpack_object *next[JK_MSGPACK_DEPTH_MAX + 1];
    uint64_t pending = 1; /* the sum of left[], when building */
    int depth = 0;
    size_t pos = 0;
    if (max_depth > JK_MSGPACK_DEPTH_MAX)
        max_depth = JK_MSGPACK_DEPTH_MAX;
    if (build)
        *text = true;
    left[0] = 1;
    next[0] = root;
    while (depth >= 0) {
        if (left[depth] == 0) {
            depth--;
            continue;
        }
        left[depth]--;
        msgpack_object *o = NULL;
        if (build) {
            pending--;
            o = next[depth]++;
            if (s_common (p, size, &pos, o, text))
                continue;
        }
        size_t at = pos;
        uint64_t items;
        bool map;
        int rc = s_mp_item (p, size, &pos, &items, &map, why, why_size);
        if (rc < 0)
            return JK_INVALID;
        if (rc == 0) {
            if (build)
                s_scalar (p + at, p + pos, o, text);
            continue;
        }
        if (build) {
            memset (o, 0, sizeof *o);
            o->type = map ? MSGPACK_OBJECT_MAP : MSGPACK_OBJECT_ARRAY;
        }
        if (items == 0)
            continue;
        if (depth + 1 > max_depth) {
            snprintf (why, why_size, "nested deeper than %d levels", max_depth);
            return JK_INVALID;
        }
        msgpack_object *items_at = NULL;
        if (build) {
            pending += items;
            if (pending > size - pos) {
                int failed =
                    jk_msgpack_check (p, size, max_depth, end, why, why_size);
                assert (failed != 0);
                return failed ? failed : JK_INVALID;
            }
            items_at = s_arena_take (arena, items, size - pos);
            if (map) {
                o->via.map.size = (uint32_t)(items / 2);
                o->via.map.ptr = (msgpack_object_kv *)items_at;
            } else {
                o->via.array.size = (uint32_t)items;
                o->via.array.ptr = items_at;
            }
        }
        left[++depth] = items;
        if (build)
            next[depth] = items_at;
    }
    if (end)
        *end = pos;
    return 0;
}

int jk_msgpack_check (const void *data, size_t size, int max_depth, size_t *end,
                      char *why, size_t why_size)
{
    return s_walk (data, size, max_depth, NULL, NULL, NULL, end, why, why_size);
}

int jk_msgpack_unpack (const void *data, size_t size, int max_depth,
                       jk_msgpack_arena_t *arena, msgpack_object *root,
                       bool *text, size_t *end, char *why, size_t why_size)
{
    assert (arena);
    return s_walk (data, size, max_depth, arena, root, text, end, why,
                   why_size);
}

bool jk_envelope_id (const void *data, size_t size, uint8_t id[16])
{
    const uint8_t *p = data;
    size_t pos = 0;
    uint64_t items;
    bool map = false;
    memset (id, 0, 16);
    if (s_mp_item (p, size, &pos, &items, &map, NULL, 0) != 1 || !map)
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
