/*  jk_schema.h - the event vocabulary and the event object.

    ONE table (vocabulary.c) is the source of truth for every event type:
    its name, version, domain, agent command and fields (kind, required,
    limits, enum values, format rule). Encoding, decoding, validation, the
    agents' flags and CSV columns, the generated docs/EVENTS.md and the
    store's column mapping all expand from it.

    Wire form: an event is one MessagePack map with the envelope keys of
    SPEC 3.1 (id, type, v, source, seq, at, actor, corrects?, body). Dates
    are "YYYY-MM-DD" strings, times of day "HH:MM" (WIB), enums their
    upper-case names, sets and lists arrays of strings, assessment units an
    array of {code, title} maps. Encoding writes the envelope keys in that
    order and body fields in table order, so encoding is byte-stable. */
#ifndef JK_SCHEMA_H
#define JK_SCHEMA_H

#include "jk_base.h"

/* ---- limits ------------------------------------------------------------
   Decoding checks sizes before allocating anything (docs/PROTOCOL.md 2.1).
   Nesting: the envelope map, the body map, the units array, a unit map. */
#define JK_EVENT_MAX_BYTES  (64 * 1024) /* one encoded event */
#define JK_EVENT_MAX_DEPTH  4           /* levels of maps and arrays */
#define JK_STRING_MAX_BYTES 4096        /* any one string */
#define JK_FIELDS_MAX       24          /* fields of one type */
#define JK_LIST_MAX         50          /* items of one list field */
#define JK_SOURCE_MAX       64          /* bytes of envelope.source */
#define JK_ACTOR_MAX        100         /* characters of envelope.actor */
#define JK_UNIT_TITLE_MAX   200         /* characters of a unit's title */

/* ---- the table ---------------------------------------------------------- */

typedef enum {
    JK_KIND_STR,   /* text; min..max characters */
    JK_KIND_UINT,  /* unsigned integer; min..max value */
    JK_KIND_BOOL,  /* true/false */
    JK_KIND_DATE,  /* "YYYY-MM-DD" */
    JK_KIND_TIME,  /* "HH:MM", local time (WIB) */
    JK_KIND_ENUM,  /* one of values */
    JK_KIND_SET,   /* non-empty set of values, array of str */
    JK_KIND_LIST,  /* array of text items, min..max items */
    JK_KIND_UNITS, /* array of {code, title}, min..max items */
} jk_kind_t;

/* Format rules beyond kind and length, checked by the validator. */
typedef enum {
    JK_FORMAT_NONE,
    JK_FORMAT_NIK,          /* SPEC 3.3 */
    JK_FORMAT_DESA_REGION,  /* a desa code in the reference data */
    JK_FORMAT_DESA_ANY,     /* a Cianjur desa, or any NN.NN.NN.NNNN code */
    JK_FORMAT_LEGAL_NUMBER, /* classified AHU / LEGACY_BH / UNKNOWN (warn) */
    JK_FORMAT_PHONE,        /* ^(\+62|62|0)8\d{8,11}$ */
    JK_FORMAT_NIK_KOPERASI, /* 13 digits, warn if not prefixed 3203 */
    JK_FORMAT_CODE,         /* printable, no spaces (batch, assessment) */
} jk_format_t;

typedef enum {
    JK_DOMAIN_REGISTRATION = 1,
    JK_DOMAIN_ATTENDANCE = 2,
    JK_DOMAIN_SCORING = 4,
} jk_domain_t;

typedef struct {
    const char *name; /* wire key, e.g. "legal_number" */
    jk_kind_t kind;
    bool required;
    int64_t min, max;          /* characters, value or item count */
    const char *const *values; /* ENUM and SET: NULL-terminated */
    jk_format_t format;
    const char *def; /* documented default when absent, or NULL */
    const char *doc; /* one line for docs and --help */
    /* For clerks (jejak-office forms, import headers, templates):
       Indonesian label and help line. NULL: the name stands in. */
    const char *label;
    const char *help;
    /* LIST: characters of each item; UNITS: of each code (a title is
       1..JK_UNIT_TITLE_MAX). 0 for the other kinds. */
    int64_t item_max;
} jk_field_t;

typedef struct jk_event_s jk_event_t;
typedef struct jk_report_s jk_report_t;
typedef struct jk_context_s jk_context_t;

/* Rules that relate several fields of one event (start <= end, ...). */
typedef void (jk_check_fn) (const jk_event_t *event,
                            const jk_context_t *context, jk_report_t *report);

/* Fills out (an event of the newer type, envelope already copied) from
   old (decoded with the previous version's fields). Returns 0, or -1 with
   a problem in the report. Stored bytes are never rewritten: upcasting
   happens each time old bytes are decoded. */
typedef int (jk_upcast_fn) (const jk_event_t *old, jk_event_t *out,
                            jk_report_t *report);

typedef struct jk_type_s {
    const char *name; /* e.g. "cooperative.registered" */
    uint32_t version; /* current version */
    jk_domain_t domain;
    const char *command; /* agent command, e.g. "cooperative" */
    const char *doc;     /* one paragraph for docs and --help */
    const jk_field_t *fields;
    size_t field_count;
    bool needs_corrects; /* envelope.corrects required */
    jk_check_fn *check;  /* cross-field rules, or NULL */
    /* The same type one version back (its own field table), and the
       function that turns such an event into this version. NULL for every
       type today: only version 1 exists. */
    const struct jk_type_s *previous;
    jk_upcast_fn *upcast;
    const char *label; /* Indonesian title of the form; NULL: the name */
    /* The body fields that name one event of this type for a correction
       (NULL-terminated), e.g. batch, session_no, nik for
       attendance.recorded; NULL when a correction names it by id only. */
    const char *const *key_fields;
    /* For a correction (needs_corrects): the type it corrects. */
    const char *corrects_type;
} jk_type_t;

/* The whole vocabulary, in documentation order. */
size_t jk_vocabulary_count (void);
const jk_type_t *jk_vocabulary_at (size_t index);
/* Lookup by event type name or by agent command; NULL when unknown. */
const jk_type_t *jk_vocabulary_find (const char *name, size_t len);
const jk_type_t *jk_vocabulary_by_command (jk_domain_t domain,
                                           const char *command);
/* Position of a current-version type in the vocabulary (the order of
   jk_vocabulary_at), or -1 for a type that is not in the table (an older
   version reached through `previous`, a test's own type). Constant time:
   parts that keep one entry per type index arrays with it. */
int jk_vocabulary_index (const jk_type_t *type);
/* Field lookup by name within a type: index, or -1. */
int jk_type_field (const jk_type_t *type, const char *name, size_t len);
/* The same, searching from field start on and then from the first: a
   decoder that starts after the field it found last finds a body
   written in field order at the first compare. A type's field names
   are unique, so it finds what jk_type_field finds. */
int jk_type_field_from (const jk_type_t *type, const char *name, size_t len,
                        size_t start);
const char *jk_kind_name (jk_kind_t kind);
const char *jk_domain_name (jk_domain_t domain);
/* Parses "registration", "attendance", "scoring"; 0 when unknown. */
jk_domain_t jk_domain_parse (const char *text);

/* ---- problems: errors and warnings --------------------------------------
   Validation answers with a stable code (E_FIELD_RANGE) and a message that
   names the field and the rule. Warnings (W_...) never reject. */
#define JK_CODE_MAX     32
#define JK_MESSAGE_MAX  256
#define JK_WARNINGS_MAX 8

/* Which of its code's rules a problem broke, where one code covers rules
   that a reader words apart (the office's Indonesian sentences);
   JK_RULE_ANY where the code says it all. Kept with the problem, never
   sent: the wire carries the code and the message. */
typedef enum {
    JK_RULE_ANY = 0,
    JK_RULE_REQUIRED_WHEN, /* E_FIELD_MISSING: asked for by another field's
                              value */
    JK_RULE_NOT_FUTURE,    /* E_FIELD_RANGE: a date after today (WIB) */
    JK_RULE_REAL_DATE      /* E_FIELD_FORMAT: a day not in the calendar
                              (31/02) */
} jk_rule_t;

typedef struct {
    char code[JK_CODE_MAX];
    char field[48]; /* e.g. "body.nik", or "" */
    char message[JK_MESSAGE_MAX];
    jk_rule_t rule;
} jk_problem_t;

struct jk_report_s {
    bool failed;        /* an error was recorded */
    jk_problem_t error; /* the first error */
    int warning_count;
    jk_problem_t warnings[JK_WARNINGS_MAX];
};

void jk_report_reset (jk_report_t *report);
/* Records the first error (later ones are ignored): code, field, message. */
void jk_report_error (jk_report_t *report, const char *code, const char *field,
                      const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));
void jk_report_warn (jk_report_t *report, const char *code, const char *field,
                     const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));
/* The same as jk_report_error, naming which of the code's rules broke. */
void jk_report_error_rule (jk_report_t *report, jk_rule_t rule,
                           const char *code, const char *field,
                           const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));

/* ---- values ---------------------------------------------------------------
   A body field's value. Strings borrow: after decode they point into the
   decoded buffer; after jk_event_set_* into the event's own arena. */
typedef struct {
    bool present;
    jk_str_t s;      /* STR, DATE, TIME, ENUM: the text */
    int64_t n;       /* UINT value; DATE days since 1970-01-01; TIME
                        minutes after midnight; ENUM index; BOOL 0/1;
                        SET bitmask of value indexes */
    uint32_t count;  /* LIST, SET and UNITS: items */
    jk_str_t *items; /* LIST/SET: count items; UNITS: code, title pairs
                        (2 * count entries) */
} jk_value_t;

/* ---- the event object -----------------------------------------------------
 */

struct jk_event_s {
    const jk_type_t *type; /* vocabulary entry */
    uint8_t id[16];        /* UUIDv7 */
    uint32_t version;      /* envelope.v as received */
    jk_str_t source;       /* "OFFICE/DEVICE" */
    uint64_t seq;          /* per-source sequence */
    int64_t at;            /* ms since epoch, UTC */
    jk_str_t actor;        /* operator or assessor */
    bool has_corrects;
    uint8_t corrects[16];
    void *arena; /* owned strings and arrays */
    /* The slab it was decoded into (jk_event_decode_in), or NULL when it
       is a heap object of its own. */
    struct jk_event_slab_s *slab;
    /* Indexed as type->fields; last: an event in a slab has room for its
       type's fields only (jk_event_decode_in). */
    jk_value_t body[JK_FIELDS_MAX];
};

/* Creates an empty event of a type with a fresh UUIDv7 id, version and
   at = now. The caller sets source, seq, actor and body fields. */
jk_event_t *jk_event_new (const jk_type_t *type);
void jk_event_destroy (jk_event_t **self_p);

/* A slab: room for count events decoded one after another by one thread
   (jk_event_decode_in), packed: each takes the envelope and its type's
   fields only (body[] past type->field_count is not there: never index
   it), and its arrays' items are placed beside it. Its memory is one
   allocation, and another when the events' fields and arrays need more
   than the first holds (sized for count events of 8 fields). Each event
   in it holds it, and so does its maker until jk_event_slab_release; the
   last of them to let go frees it, on whichever thread that is. A
   decoder that makes many events on one thread and frees them on
   another pays a malloc and a free per slab instead of one each per
   event, and the events waiting take a third of the memory of whole
   ones. jk_event_destroy works the same on an event in a slab. */
typedef struct jk_event_slab_s jk_event_slab_t;
jk_event_slab_t *jk_event_slab_new (size_t count);
void jk_event_slab_release (jk_event_slab_t **self_p);

/* A pool of slabs for a maker that makes one after another: a slab taken
   from it has room for up to count events (jk_event_slabs_take's count
   at most the pool's); when the last hold on it is let go, on whichever
   thread, its first block goes back to the pool (the blocks it took
   beyond that are freed) while the pool keeps fewer than keep, and the
   maker's next take finds it there. So the maker touches the same
   memory again rather than memory malloc gave back to the kernel once
   another thread freed it (a page fault a page). The pool's memory is
   at most keep first blocks besides the slabs out. Its maker destroys
   it, on any thread; the slabs still out keep it until the last goes,
   and are freed then. */
typedef struct jk_event_slabs_s jk_event_slabs_t;
jk_event_slabs_t *jk_event_slabs_new (size_t count, size_t keep);
void jk_event_slabs_destroy (jk_event_slabs_t **self_p);
jk_event_slab_t *jk_event_slabs_take (jk_event_slabs_t *self, size_t count);
/* How many freed slabs self keeps now (tests). */
size_t jk_event_slabs_kept (jk_event_slabs_t *self);

/* Sets envelope strings (copied into the event). */
void jk_event_set_source (jk_event_t *self, const char *source);
void jk_event_set_actor (jk_event_t *self, const char *actor);

/* Sets a body field from text as an operator types it (agents' flags and
   CSV cells; surrounding spaces ignored): dates in JK_DATE_FORMS, times
   "HH:MM" or "HH.MM", enums in any case, sets and lists comma-separated,
   units "CODE=TITLE|CODE=TITLE". The text is copied. Returns JK_OK, or
   JK_INVALID with the problem in the report. Range and format rules are
   left to jk_event_validate. */
int jk_event_set (jk_event_t *self, const char *field, const char *text,
                  jk_report_t *report);
/* A typed setter for programs that hold numbers already. */
void jk_event_set_uint (jk_event_t *self, const char *field, uint64_t value);

/* The value of a body field by name; NULL when the type has no such field.
   A field the event lacks has present == false. */
const jk_value_t *jk_event_get (const jk_event_t *self, const char *field);
/* A present string-ish field as a NUL-terminated copy in buf (truncated to
   size), or "" when absent. Returns buf. */
const char *jk_event_text (const jk_event_t *self, const char *field, char *buf,
                           size_t size);

/* The natural key of the event (its type's key_fields): the values
   joined by '|', numbers in decimal (absent: 0), text as it is (absent:
   ""), e.g. "PK2UMK-2022-01|3|3203...". Heap; NULL when the type has no
   key fields. An office finds the event a correction names by it. */
char *jk_event_key (const jk_event_t *self);

/* Encodes to MessagePack. Returns a heap buffer the caller frees and its
   size, or NULL when the event is too large. */
uint8_t *jk_event_encode (const jk_event_t *self, size_t *size);

/* Decodes MessagePack bytes. Pure: no clock, no reference data. Strings
   in the result point into data, which must outlive the event (zero copy).
   Checks sizes before allocating, rejects unknown envelope keys, unknown
   types, unknown versions (after upcasting older ones) and unknown body
   keys, and checks each field's wire type. Returns NULL with the problem in
   report (report may be NULL). Range, enum and format rules are checked by
   jk_event_validate, not here. */
jk_event_t *jk_event_decode (const void *data, size_t size,
                             jk_report_t *report);
/* jk_event_decode with the event made in slab's next free place, or on
   the heap when slab is NULL or full (an older version's event, upcast,
   is always on the heap). Only one thread decodes into a slab. */
jk_event_t *jk_event_decode_in (jk_event_slab_t *slab, const void *data,
                                size_t size, jk_report_t *report);

/* Checks that data holds one well-formed MessagePack value whose
   containers nest at most max_depth deep (at most JK_MSGPACK_DEPTH_MAX)
   and whose every length and item count fits in the bytes that follow,
   without allocating. Run it before msgpack_unpack_next on untrusted
   bytes: msgpack-c allocates what a container header claims. Returns
   JK_OK and the offset just past the value in *end (may be NULL), or
   JK_INVALID with a reason in why. Trailing bytes are the caller's to judge. */
#define JK_MSGPACK_DEPTH_MAX 32
int jk_msgpack_check (const void *data, size_t size, int max_depth, size_t *end,
                      char *why, size_t why_size);

/* What an undecodable submission still tells about itself: the envelope's
   id, source, seq and type as far as they parse. Used to attribute a
   rejection. Returns true when id, source and seq were all found. */
typedef struct {
    uint8_t id[16];
    char source[JK_SOURCE_MAX + 1];
    uint64_t seq;
    char type[64];
    int64_t at;
    uint32_t version;
} jk_envelope_t;
bool jk_envelope_peek (const void *data, size_t size, jk_envelope_t *out);
/* The envelope's id (a top-level key "id" holding bin 16) of bytes of any
   size and nesting depth, for answering an event that is too large or too
   deep to decode with its own id. Returns false (id zeroed) when the
   bytes are not a map or hold no such id. */
bool jk_envelope_id (const void *data, size_t size, uint8_t id[16]);

/* Turns an event of an older version into target (a newer version of the
   same type), one version at a time through target->previous. Consumes
   *old on success. Returns the new event, or NULL with a problem. The
   default upcast (upcast == NULL) copies fields of the same name. */
jk_event_t *jk_event_upcast (jk_event_t **old, const jk_type_t *target,
                             jk_report_t *report);

/* True when both events carry the same envelope and body values. */
bool jk_event_equal (const jk_event_t *a, const jk_event_t *b);

/* ---- validation -------------------------------------------------------------
   Everything that can be decided from the event alone, the reference data
   and the clock: envelope rules, each field's range, length, enum and
   format, and the type's cross-field rules. Domain rules that need the log
   (unknown cooperative, batch full ...) are the store's. */
typedef struct jk_region_s jk_region_t;

struct jk_context_s {
    int64_t now_ms;            /* the validator's clock */
    const jk_region_t *region; /* reference data */
};

/* Validates a decoded or built event. Returns JK_OK when acceptable (warnings
   may still be in the report), JK_INVALID with the first error
   otherwise. */
int jk_event_validate (const jk_event_t *self, const jk_context_t *context,
                       jk_report_t *report);

/* Checks one body field (index into type->fields) alone: presence,
   range, length, enum and format, with the same codes and messages as
   jk_event_validate, which runs this for every field. Lets a form show
   a message beside every wrong field at once. Returns 0 or -1. */
int jk_event_check_field (const jk_event_t *self, size_t index,
                          const jk_context_t *context, jk_report_t *report);

/* A context with the real clock and the default reference data. */
jk_context_t jk_context_default (void);

/* ---- NIK (SPEC 3.3)
 * ---------------------------------------------------------- */
typedef struct {
    int province, regency, kecamatan;
    int day, month, year; /* year as four digits (see nik.c) */
    bool female;          /* day was given + 40 */
    int serial;
} jk_nik_t;

/* Checks the hard rules; returns JK_OK and fills out, or JK_INVALID with
   E_NIK_* in the report naming field. */
int jk_nik_parse (const char *text, size_t len, jk_nik_t *out,
                  const char *field, jk_report_t *report);
/* Masks "3203014107850001" as "3203********0001" into out (17 bytes). */
void jk_nik_mask (const char *nik, size_t len, char out[17]);

/* ---- legal numbers --------------------------------------------------------
 */
typedef enum {
    JK_LEGAL_UNKNOWN = 0,
    JK_LEGAL_AHU = 1,
    JK_LEGAL_LEGACY_BH = 2
} jk_legal_class_t;

/* Classifies and normalises (upper case, spaces squeezed and trimmed) a
   cooperative's legal number into out (size bytes). */
jk_legal_class_t jk_legal_number_normalise (const char *text, size_t len,
                                            char *out, size_t size);
const char *jk_legal_class_name (jk_legal_class_t cls);

/* ---- reference data
   ---------------------------------------------------------- Regions loaded
   from CSV files. By default (no area) Kabupaten Cianjur from
   cianjur_kecamatan.csv and cianjur_desa.csv; for an area, the rows of
   indonesia_kabupaten.csv, indonesia_kecamatan.csv and indonesia_desa.csv
   under it: a kabupaten code "32.03" (one regency hub) or a province code
   "32" (a province hub: every kabupaten and kota of the province). Province
   codes of NIKs come from provinsi_codes.csv either way. */
jk_region_t *jk_region_load (const char *dir, char *err, size_t err_size);
/* True for an area's shape: "NN" (a province) or "NN.NN" (a kabupaten or
   kota), digits. */
bool jk_region_area_valid (const char *area);
/* As jk_region_load for an area (NULL or "": the Cianjur default). An area
   not shaped NN or NN.NN, or holding no kecamatan, is refused in err. */
jk_region_t *jk_region_load_area (const char *dir, const char *area, char *err,
                                  size_t err_size);
void jk_region_destroy (jk_region_t **self_p);
/* The process-wide reference data from --data-dir / JEJAK_DATA_DIR, the
   installed directory, or the source tree; aborts with a clear message if
   none can be read. */
const jk_region_t *jk_region_default (void);
/* Loads area's reference data (NULL: Cianjur) from the directory
   jk_region_default reads; NULL with the reason in err. */
jk_region_t *jk_region_load_default_dir (const char *area, char *err,
                                         size_t err_size);
/* Makes region the one jk_region_default returns until the next call
   (NULL: the process-wide one again); the caller keeps it alive. For a
   program that applies the records of several regencies in turn (the
   province's projections), each with its own reference data. */
void jk_region_use (const jk_region_t *region);
/* Sets the directory jk_region_default loads from (before first use). */
void jk_region_set_default_dir (const char *dir);
/* Sets the area jk_region_default loads (before first use; --region);
   otherwise JEJAK_REGION, otherwise the Cianjur default. */
void jk_region_set_default_area (const char *area);
/* Applies a program's --data-dir and --region (their values, NULL when
   not given) to what jk_region_default loads, before anything checks a
   code with it. A region not shaped NN.NN or NN is refused at once, on
   stderr: "PROGRAM: --region '3x' must be a kabupaten code NN.NN (32.03)
   or a province code NN (32) (see --help)". 0, or 2 (the usage exit
   status) with nothing set. */
int jk_region_options (const char *dir, const char *area);
/* The area the reference data was loaded for, as given to
   jk_region_load_area ("32.04", "32"), or "" for the Cianjur default
   (cianjur_*.csv): what a log records it was decided with. */
const char *jk_region_area (const jk_region_t *self);

/* Kecamatan name for "32.03.10", or NULL. */
const char *jk_region_kecamatan (const jk_region_t *self, const char *code);
/* Desa lookup: name and kecamatan code, or NULL when unknown. */
const char *jk_region_desa (const jk_region_t *self, const char *code,
                            size_t len, const char **kecamatan_code);
const char *jk_region_province (const jk_region_t *self, int code);
size_t jk_region_kecamatan_count (const jk_region_t *self);
/* The i-th kecamatan in code order; returns code, sets *name. */
const char *jk_region_kecamatan_at (const jk_region_t *self, size_t index,
                                    const char **name);
size_t jk_region_desa_count (const jk_region_t *self);
const char *jk_region_desa_at (const jk_region_t *self, size_t index,
                               const char **name, const char **kecamatan_code);
/* The area of the data, e.g. "32.03" (a province hub: "32"). */
const char *jk_region_regency (const jk_region_t *self);
/* The kabupaten and kota of the area, in code order (one for a regency). */
size_t jk_region_kabupaten_count (const jk_region_t *self);
const char *jk_region_kabupaten_at (const jk_region_t *self, size_t index,
                                    const char **name);
/* Kabupaten name for "32.03", or NULL when not in the area. */
const char *jk_region_kabupaten (const jk_region_t *self, const char *code);

/* Checks "OFFICE/DEVICE": OFFICE a kecamatan code of the reference data or
   DINAS, DEVICE 1..32 of [A-Za-z0-9._-]. Returns JK_OK, or JK_INVALID
   with E_ENVELOPE_SOURCE in report. */
int jk_source_check (const jk_region_t *region, const char *source, size_t len,
                     jk_report_t *report);
/* Copies the office part of a source ("32.03.10" or "DINAS") into out. */
void jk_source_office (const char *source, size_t len, char *out, size_t size);
/* The source as a part of a file name: '/' written as '_' (freed by the
   caller). */
char *jk_source_file_name (const char *source);

#endif
