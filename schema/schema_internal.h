/*  schema_internal.h - shared between the schema library's files only:
    the arena that owns an event's strings, text parsers for dates and
    times, and the cross-field rule functions named in the vocabulary. */
#ifndef JK_SCHEMA_INTERNAL_H
#define JK_SCHEMA_INTERNAL_H

#include "jk_schema.h"

/* A chain of memory blocks freed together with the event. */
void *jk_arena_alloc (void **arena, size_t size);
void jk_arena_free (void **arena);
jk_str_t jk_arena_str (void **arena, const char *text, size_t len);

/* "YYYY-MM-DD" (exactly) -> days; returns 0 or -1. */
int jk_date_parse_iso (const char *text, size_t len, int32_t *days);
/* "HH:MM" (exactly) -> minutes; returns 0 or -1. */
int jk_time_parse_hhmm (const char *text, size_t len, int32_t *minutes);

jk_check_fn jk_check_cooperative_registered;
jk_check_fn jk_check_any_optional;
jk_check_fn jk_check_rat_held;
jk_check_fn jk_check_status_declared;
jk_check_fn jk_check_person;
jk_check_fn jk_check_person_corrected;
jk_check_fn jk_check_batch;
jk_check_fn jk_check_session;
jk_check_fn jk_check_attendance;
jk_check_fn jk_check_assessment;
jk_check_fn jk_check_certificate;

#endif
