/*  decode_internal.h - what the decoder's files share (event_decode.c:
    the envelope and the event; field_decode.c: one body field). Not part
    of jk_schema.h. */
#ifndef JK_DECODE_INTERNAL_H
#define JK_DECODE_INTERNAL_H

#include "schema_internal.h"

#include <msgpack.h>

/* Decodes one body field's value o by the field's kind into v (its
   strings point into the caller's buffer, arrays in the event's arena):
   the wire shape only. 0, or -1 with the problem in report naming
   body.FIELD. */
int jk_field_decode (jk_event_t *self, const jk_field_t *f,
                     const msgpack_object *o, jk_value_t *v,
                     jk_report_t *report);

#endif
