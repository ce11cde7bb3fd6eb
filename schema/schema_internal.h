/*  schema_internal.h - shared between the schema library's files only:
    the arena that owns an event's strings, text parsers for dates and
    times, and the cross-field rule functions named in the vocabulary. */
#ifndef JK_SCHEMA_INTERNAL_H
#define JK_SCHEMA_INTERNAL_H

#include "jk_schema.h"

/* A chain of memory blocks freed together with the event. */
void *jk_arena_alloc (void **arena, size_t size);
/* An empty event of type in slab's next free place, or on the heap when
   slab is NULL or full: the envelope and type's fields zeroed (in a
   slab, body[] past type->field_count does not exist), type and version
   set. */
jk_event_t *jk_event_alloc (jk_event_slab_t *slab, const jk_type_t *type);
/* size bytes that live as long as the event: beside it in its slab
   (only while it is decoded, on the slab's maker's thread), else in its
   arena. */
void *jk_event_room (jk_event_t *self, size_t size);
void jk_arena_free (void **arena);
jk_str_t jk_arena_str (void **arena, const char *text, size_t len);

/* The index of a body field of the event's type by name, or -1. */
int jk_event_field_index (const jk_event_t *self, const char *field);

/* The index of text (len bytes; any_case: letters in either case) in a
   NULL-terminated list of enum values, or -1. */
int jk_enum_index (const char *const *values, const char *text, size_t len,
                   bool any_case);
/* The values as "A|B|C" into out (for messages). */
void jk_enum_list (const char *const *values, char *out, size_t size);

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
