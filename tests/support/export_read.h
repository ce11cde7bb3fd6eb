/*  export_read.h - reading back what jejak-replay export writes, for the
    tests' round-trip checks and the fuzz_export target: a small JSON
    reader (exactly what export writes) and the way from an exported JSON
    line back to the event. Only tests use it, so it lives here and not in
    the replay library. */
#ifndef JK_EXPORT_READ_H
#define JK_EXPORT_READ_H

#include "jk_schema.h"

/* Reading: a small reader for exactly what export writes: objects, arrays,
   strings, integers (no fractions or exponents), true, false, null;
   nesting at most 16 deep. */
typedef enum {
    JK_JSON_NULL,
    JK_JSON_BOOL,
    JK_JSON_INT,
    JK_JSON_STRING,
    JK_JSON_ARRAY,
    JK_JSON_OBJECT
} jk_json_kind_t;

typedef struct jk_json_s jk_json_t;
struct jk_json_s {
    jk_json_kind_t kind;
    int64_t n;         /* INT value, BOOL 0/1 */
    char *s;           /* STRING: bytes (NUL-terminated too) */
    size_t len;        /* STRING: bytes; ARRAY/OBJECT: items */
    char **keys;       /* OBJECT: member names */
    jk_json_t **items; /* ARRAY items or OBJECT values */
    void *attached;    /* memory freed with the node, or NULL */
};

/* Parses one JSON text covering the whole input (trailing whitespace
   allowed). Returns a tree the caller frees with jk_json_destroy, or NULL
   with the byte offset and the rule in err. */
jk_json_t *jk_json_parse (const char *text, size_t size, char *err,
                          size_t err_size);
void jk_json_destroy (jk_json_t **self_p);
/* Member of an object by name, or NULL. */
const jk_json_t *jk_json_get (const jk_json_t *object, const char *key);

/* Rebuilds the event of one exported JSON line, for round-trip checks:
   envelope and body taken from the JSON, strings exactly as written.
   Returns the event (its strings point into the *tree, which the caller
   keeps until the event is destroyed, then frees with jk_json_destroy), or
   NULL with a problem naming the field in report. */
jk_event_t *jk_export_event_from_json (const char *line, size_t size,
                                       jk_json_t **tree, jk_report_t *report);

#endif
