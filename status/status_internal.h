/*  status_internal.h - helpers shared by the board's renderers: reading
    the snapshot's MessagePack map by key, and the filters both renderers
    apply. Not part of the library's public contract. */
#ifndef JK_STATUS_INTERNAL_H
#define JK_STATUS_INTERNAL_H

#include "jk_status.h"
#include <msgpack.h>

/* The value under key in a map object, or NULL. */
const msgpack_object *jk_mp_get (const msgpack_object *map, const char *key);
/* A number under key (unsigned, signed, float or bool), or 0. */
double jk_mp_num (const msgpack_object *map, const char *key);
uint64_t jk_mp_u64 (const msgpack_object *map, const char *key);
/* A string under key into out (NIKs masked), or "" when absent. */
const char *jk_mp_str (const msgpack_object *map, const char *key, char *out,
                       size_t size);
/* The array under key, or NULL. */
const msgpack_object_array *jk_mp_array (const msgpack_object *map,
                                         const char *key);

/* Filters: true when the item is to be shown. */
bool jk_view_kecamatan_shown (const jk_status_view_t *view,
                              const msgpack_object *item);
bool jk_view_batch_shown (const jk_status_view_t *view,
                          const msgpack_object *item);
/* A source ("OFFICE/DEVICE") under the kecamatan filter. */
bool jk_view_source_shown (const jk_status_view_t *view, const char *source);

/* The web page's files, embedded at build time (web/: html, js and css files,
   turned into a C array by web/embed.cmake). */
typedef struct {
    const char *path;          /* URL path: "/", "/app.js", "/style.css" */
    const char *type;          /* Content-Type */
    const unsigned char *data; /* the file's bytes */
    size_t size;
} jk_web_asset_t;

extern const jk_web_asset_t jk_web_assets[];
extern const size_t jk_web_asset_count;

#endif
