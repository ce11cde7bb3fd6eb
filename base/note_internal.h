/*  note_internal.h - helpers shared by the signed notes' files only
    (note.c: checkpoints signed, verified and parsed; note_keys.c: their
    keys). Not part of jk_note.h. */
#ifndef JK_NOTE_INTERNAL_H
#define JK_NOTE_INTERNAL_H

#include "jk_base.h"
#include "jk_note.h"

#include <stdbool.h>

/* Standard base64 with padding; returns the length written. */
size_t jk_note_b64 (const uint8_t *data, size_t size, char *out);
/* Strict base64 decode (canonical, padded) into out, which holds cap
   bytes; returns the byte count, or -1 (also for text that could decode
   to more than cap bytes). */
int jk_note_unb64 (const char *text, size_t len, uint8_t *out, size_t cap);
/* A valid key name or origin: 1..127 bytes, no spaces, no "+", no
   control bytes. */
bool jk_note_name_ok (const char *name, size_t len);
/* Writes the message into err; returns JK_INVALID. */
int jk_note_fail (char *err, size_t err_size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
