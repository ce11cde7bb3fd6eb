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
/* The snapshot's row of the batch --batch names, or NULL: none named,
   or the snapshot has no such batch (not recorded yet, or closed and
   ended more than 90 days before the day). */
const msgpack_object *jk_view_named_batch (const jk_status_view_t *view,
                                           const msgpack_object *snap);
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

/* The terminal board (render_term.c) and its pager (pager.c). Line
   marks the pager reads (first byte of a line, never shown): a
   section's title, a table's heading line. */
#define JK_TERM_WIDTH 80
#define JK_MARK_TITLE '\x01'
#define JK_MARK_HEAD  '\x02'

typedef struct {
    const char *text; /* without its mark and newline */
    size_t len;
    char mark;    /* JK_MARK_TITLE, JK_MARK_HEAD or 0 */
    size_t title; /* index of its section's title line (SIZE_MAX: none) */
} jk_pager_line_t;

/* Writes at most width characters of text padded to width (counts code
   points, cuts only between them); a longer text is cut to width - 1
   and ends in '~'. pad false: no padding (a line's end). Control
   characters are written as visible escapes (jk_text_visible). */
void jk_term_cut (FILE *out, const char *text, size_t len, int width, bool pad);
/* Splits marked text into lines (pointing into text). */
jk_pager_line_t *jk_pager_lines (const char *text, size_t *count);
/* Lays out the body in pages of room lines; fills starts[] (page k
   starts at body line starts[k]) and returns the number of pages. */
int jk_pager_paginate (const jk_pager_line_t *lines, size_t count, int room,
                       size_t **starts_p);
/* Page p of pages: the header lines, the body's lines from
   starts[p - 1] (a table cut by the page repeats its heading), the
   footer. */
void jk_pager_page (FILE *out, const jk_status_view_t *view, bool ansi,
                    const jk_pager_line_t *heads, size_t head_count,
                    const jk_pager_line_t *lines, size_t body_count,
                    const size_t *starts, int p, int pages);

#endif
