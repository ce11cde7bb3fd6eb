/*  msgpack_check.c - the raw MessagePack walk done before anything is
    unpacked: item by item over the bytes, so sizes, counts and nesting
    are checked without allocating (jk_msgpack_check), and an event's id
    is found in bytes that may not decode (jk_envelope_id). */
#include "schema_internal.h"

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
            return JK_INVALID;
        if (rc == 0 || items == 0)
            continue;
        if (depth + 1 > max_depth) {
            snprintf (why, why_size, "nested deeper than %d levels", max_depth);
            return JK_INVALID;
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
