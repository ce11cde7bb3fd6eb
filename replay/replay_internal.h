/*  replay_internal.h - shared between the replay library's files only. */
#ifndef JK_REPLAY_INTERNAL_H
#define JK_REPLAY_INTERNAL_H

#include "jk_replay.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the byte does
   not start one (overlong forms, surrogates, above U+10FFFF). */
size_t jk_replay_utf8_sequence (const uint8_t *p, size_t left);

#endif
