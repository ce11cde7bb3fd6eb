/*  jk_projection_table.h - the projections as data (docs/PROJECTIONS.md):
    every projection table with its columns, key and indexes, and for each
    event type the rows it writes (target table, column <- field or derive
    function, write mode, key). The DDL, the canonical dump's table list
    and the column tables of docs/PROJECTIONS.md are generated from it;
    jk_projections_new resolves every write against the vocabulary once,
    so a misspelled field or column fails at start-up, never at run time.
    What a table cannot say (counters across tables, RAT streaks,
    attendance %, verdicts, certificate revocation) is hand-written, one
    file per entity (cooperatives.c, people.c, training.c,
    assessments.c). */
#ifndef JK_PROJECTION_TABLE_H
#define JK_PROJECTION_TABLE_H

#include "jk_schema.h"
#include <stdio.h>

/* ---- tables ------------------------------------------------------------- */

typedef struct {
    const char *name; /* column name */
    const char *decl; /* SQL type and constraints, "TEXT NOT NULL" */
    /* One line for docs/PROJECTIONS.md; NULL shares the next documented
       column's line ("`a`, `b` | meaning"). */
    const char *doc;
} jk_ptable_column_t;

typedef struct {
    const char *name;    /* table name */
    const char *title;   /* heading after the name, or NULL */
    const char *key;     /* primary key columns, "batch, nik" */
    bool rowid;          /* a rowid table (else WITHOUT ROWID) */
    const char *indexes; /* further DDL (indexes, views, seed rows) */
    const char *note;    /* a paragraph after the column table, or NULL */
    const jk_ptable_column_t *columns; /* NULL-name terminated */
} jk_ptable_t;

size_t jk_ptable_count (void);
const jk_ptable_t *jk_ptable_at (size_t index);
/* A table by name, or NULL. */
const jk_ptable_t *jk_ptable_find (const char *name);
/* Column index of name in table, or -1. */
int jk_ptable_column (const jk_ptable_t *table, const char *name);

/* The whole schema as one SQL text (heap): CREATE TABLE for every table
   in order, then its indexes. The projections' migration 1. */
char *jk_ptable_ddl (void);

/* Prints the "## Tables, column by column" section of
   docs/PROJECTIONS.md (up to, not including, the next "## " heading):
   `jejak-store --projections-doc` prints it, test_projection_table keeps
   the document in step. */
void jk_ptable_markdown (FILE *out);

/* ---- data-quality warnings ---------------------------------------------- */

/* Whose data a warning is about (data_quality.nik / legal_number_norm). */
typedef enum {
    JK_PSUBJECT_NONE,        /* the event itself */
    JK_PSUBJECT_PERSON,      /* the event's NIK field */
    JK_PSUBJECT_COOPERATIVE, /* the event's legal number, normalised */
} jk_psubject_t;

typedef struct {
    const char *code; /* "W_NIK_SEX" */
    jk_psubject_t subject;
    /* The correction that removes the cause: an event of type resolved_by
       carrying field (and not raising code itself). NULL: nothing does. */
    const char *resolved_by;
    const char *field;
    const char *doc; /* the cause, for docs/PROJECTIONS.md */
} jk_pwarning_t;

/* Every warning code the validator raises, with its subject and what
   resolves it. */
const jk_pwarning_t *jk_pwarnings (size_t *count);
/* The entry of code, or NULL. */
const jk_pwarning_t *jk_pwarning_find (const char *code);
/* Checks every resolved_by and field against the vocabulary: 0, or -1
   naming the first one that does not exist in err. */
int jk_pwarnings_check (char *err, size_t err_size);

/* ---- writes ------------------------------------------------------------- */

/* Where a column's value comes from. */
typedef enum {
    JK_PSRC_FIELD,       /* a body field, NULL when absent */
    JK_PSRC_FIELD_OR,    /* a body field, value when absent */
    JK_PSRC_POS,         /* the record's log position */
    JK_PSRC_AT,          /* the event's at (ms) */
    JK_PSRC_INT,         /* the constant value */
    JK_PSRC_NULL,        /* NULL */
    JK_PSRC_LEGAL_NORM,  /* field normalised as a legal number; NULL when
                            absent */
    JK_PSRC_LEGAL_CLASS, /* field's legal-number class name */
    JK_PSRC_KECAMATAN,   /* kecamatan of the desa code in field, or NULL */
    JK_PSRC_SUM,         /* field + field2 */
    JK_PSRC_COUNT,       /* items of a list field */
    JK_PSRC_EVENT_ID,    /* the event's id (blob) */
    JK_PSRC_DERIVE,      /* derive function number value (jk_projections.c
                            table JK_PDERIVE_*) over field, field2 */
} jk_psrc_t;

/* Derive functions of the hand-written remainder (JK_PSRC_DERIVE). */
typedef enum {
    JK_PDERIVE_RAT_DEADLINE = 1, /* deadline of book_year (field) */
    JK_PDERIVE_RAT_LATE,         /* held_on (field) after deadline of
                                    book_year (field2): 1, else 0 */
    JK_PDERIVE_RAT_DAYS_LATE,    /* days held_on (field) is after the
                                    deadline of book_year (field2) */
    JK_PDERIVE_ATTENDANCE_JP,    /* the session's jp when status (field)
                                    is present, else 0 */
    JK_PDERIVE_VALID_UNTIL,      /* field, else issued_on (field2) + 3
                                    years */
    JK_PDERIVE_METHODS,          /* SET field as comma-separated text */
} jk_pderive_t;

/* How a column is written when the row exists (upsert, update). */
typedef enum {
    JK_POP_SET = 0, /* column = value */
    JK_POP_ADD,     /* column = column + value (counter delta) */
    JK_POP_KEEP,    /* written on insert only */
} jk_pop_t;

typedef struct {
    const char *column;
    jk_psrc_t src;
    const char *field;  /* body field, or NULL */
    const char *field2; /* second field (SUM, derives), or NULL */
    int64_t value;      /* FIELD_OR default, INT constant, DERIVE id */
    jk_pop_t op;
} jk_pbind_t;

typedef enum {
    JK_PWRITE_INSERT, /* a new row (the rules made sure it is new) */
    JK_PWRITE_UPSERT, /* insert, or update the row with the same key */
    JK_PWRITE_UPDATE, /* update the row with the key (none: no-op) */
} jk_pmode_t;

#define JK_PBIND_MAX 24

typedef struct {
    const char *type;  /* event type */
    const char *table; /* target table */
    jk_pmode_t mode;
    /* The key columns (UPSERT conflict target, UPDATE's WHERE); each
       must also be bound. NULL for INSERT. */
    const char *key;
    jk_pbind_t binds[JK_PBIND_MAX]; /* column-terminated by NULL */
} jk_pwrite_t;

/* The built-in writes, in vocabulary order (several per type). */
const jk_pwrite_t *jk_pwrites (size_t *count);

/* Checks a list of writes against the tables and the vocabulary: every
   type exists, every table and column exists, every field exists in its
   type, every key column is bound. 0, or -1 naming the first problem in
   err. */
int jk_pwrites_check (const jk_pwrite_t *writes, size_t count, char *err,
                      size_t err_size);

/* The SQL of one write (heap): INSERT ... VALUES (?1, ...), with ON
   CONFLICT (key) DO UPDATE for UPSERT; UPDATE ... SET ... WHERE key for
   UPDATE. Parameter i + 1 is binds[i]. */
char *jk_pwrite_sql (const jk_pwrite_t *write);

#endif
