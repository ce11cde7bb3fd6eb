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

/* The view model both renderers start from: the view (position, state,
   offices, filters) and the store's snapshot map read once here. Returns
   the snapshot's root map from result (initialised here; the caller
   destroys it), or NULL when the bytes are not one MessagePack map. */
const msgpack_object *jk_view_snapshot (const jk_status_view_t *view,
                                        msgpack_unpacked *result);

/* Filters: true when the item is to be shown. */
bool jk_view_kecamatan_shown (const jk_status_view_t *view,
                              const msgpack_object *item);
bool jk_view_batch_shown (const jk_status_view_t *view,
                          const msgpack_object *item);
/* A source ("OFFICE/DEVICE") under the kecamatan filter. */
bool jk_view_source_shown (const jk_status_view_t *view, const char *source);

/* How far the log is behind an office: the seqs its heartbeat holds
   receipts for beyond the log's highest seq from it (stored: its row of
   the snapshot's sources, or NULL), else 0. Acknowledged events missing
   from the log (a restored backup, a lost WAL; the store asks the office
   to deliver them again). 0 while the board is still catching up (its
   replica, not the log, is behind then). */
uint64_t jk_view_behind (const jk_status_view_t *view,
                         const msgpack_object *stored,
                         const jk_office_t *office);

/* One federation link as the board shows it, from a STATS text: the
   sender's (one link: its own area) or the receiver's (one per area). */
typedef struct {
    char area[16];
    bool up;         /* sender: state=linked; receiver: link.AREA.up=1 */
    uint64_t head;   /* the sending side's last position */
    uint64_t cursor; /* committed at the receiving side */
    uint64_t lag;    /* head - cursor, records */
    int64_t lag_ms;  /* time behind, ms */
} jk_link_row_t;

/* Fills at most max rows from a link STATS text; returns how many. */
size_t jk_view_links (const char *text, jk_link_row_t *rows, size_t max);

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
