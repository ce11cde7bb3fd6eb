/*  decode_internal.h - what the decoder's files share (event_decode.c:
    the envelope and the event; field_decode.c: one body field). Not part
    of jk_schema.h. */
#ifndef JK_DECODE_INTERNAL_H
#define JK_DECODE_INTERNAL_H

#include "schema_internal.h"

#include <msgpack.h>

/* Where jk_msgpack_unpack puts the objects it builds: a block on the
   caller's stack, and one heap block when an event needs more (freed by
   jk_msgpack_arena_free). */
#ifndef JK_MSGPACK_LOCAL
#define JK_MSGPACK_LOCAL 160
#endif
typedef struct {
    msgpack_object local[JK_MSGPACK_LOCAL];
    size_t used;          /* of local */
    msgpack_object *heap; /* NULL, or heap_cap objects */
    size_t heap_used, heap_cap;
} jk_msgpack_arena_t;

/* An empty arena (local is left as it is: only used objects are read). */
void jk_msgpack_arena_init (jk_msgpack_arena_t *arena);
void jk_msgpack_arena_free (jk_msgpack_arena_t *arena);

/* jk_msgpack_check's walk over data (the same checks in the same order,
   the same reasons in why) that also builds the msgpack-c objects as
   msgpack_unpack_next would (strings, bin and ext pointing into data) in
   *root, its containers' items in arena. *text says whether every str
   (map keys too, at any depth) is UTF-8 without NUL. 0, or JK_INVALID. */
int jk_msgpack_unpack (const void *data, size_t size, int max_depth,
                       jk_msgpack_arena_t *arena, msgpack_object *root,
                       bool *text, size_t *end, char *why, size_t why_size);

/* Whether size bytes at ptr are UTF-8 text without NUL (an ASCII run 8
   bytes at a time). */
bool jk_msgpack_text (const char *ptr, size_t size);

/* Decodes one body field's value o by the field's kind into v (its
   strings point into the caller's buffer, arrays in the event's arena):
   the wire shape only. 0, or -1 with the problem in report naming
   body.FIELD. */
int jk_field_decode (jk_event_t *self, const jk_field_t *f,
                     const msgpack_object *o, jk_value_t *v,
                     jk_report_t *report);

#endif
