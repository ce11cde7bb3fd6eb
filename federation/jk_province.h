/*  jk_province.h - the province's projections (docs/FEDERATION.md,
    "The province's projections"): every regency's projection tables side
    by side in one SQLite database, each table keyed by kabupaten_code
    too, plus the province summaries. They are computed from the copy
    database's records, in arrival order, by the store's own apply code
    (jk_record_apply_stored) on one shadow database per origin with the
    store's schema; SQLite's session extension records what each batch
    changed in a shadow, and those row changes are written, with the
    origin's kabupaten_code, into the province database. The tables and
    their columns come from the store's (storage/projection_table.c), so
    a new projection column reaches the province by the same code. */
#ifndef JK_PROVINCE_H
#define JK_PROVINCE_H

#include "jk_record_apply.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jk_province_s jk_province_t;

/* ---- a table's columns (table_info.c) ------------------------------------ */
#define JK_TABLE_COLUMNS_MAX 64

typedef struct {
    const char *name; /* not owned */
    int ncols;
    char **cols;  /* column names, in the table's order */
    char **types; /* their declared types ("" for none) */
    bool *is_key; /* primary key columns */
    char *key;    /* the primary key's columns, quoted, in key order */
} jk_table_info_t;

/* Reads the columns of table name as db has them (PRAGMA table_info; at
   most JK_TABLE_COLUMNS_MAX). */
void jk_table_info_load (jk_table_info_t *tab, sqlite3 *db, const char *name);
void jk_table_info_fini (jk_table_info_t *tab);
/* The row change where the changeset iterator it stands, on table tab,
   as one SQL statement into *sql (heap) with numbered parameters written
   mark N ('?' for SQLite, '$' for PostgreSQL), their values in order into
   values (room for 2 * JK_TABLE_COLUMNS_MAX; NULL for an SQL NULL): an
   INSERT of every column, an UPDATE of the changed ones, a DELETE; UPDATE
   and DELETE find the row by its primary key. scope, when not NULL, names
   a leading column set to and matched on parameter 1, which the caller
   binds (the values are then parameters 2 on). Returns the number of
   values, or -1 (*sql NULL) for an UPDATE that changes no column. */
struct sqlite3_changeset_iter; /* sqlite3.h's, with SQLITE_ENABLE_SESSION */
int jk_table_info_change (const jk_table_info_t *tab,
                          struct sqlite3_changeset_iter *it, char mark,
                          const char *scope, char **sql,
                          sqlite3_value **values);

/* Opens (creating) the province database at path for the copy database
   copy_path (read-only). Each origin's shadow is the file
   PATH-shadow-CODE.db beside it, made and applied with the origin's
   reference data and the RAT deadline months the copy records for it
   (table origin_settings; 6 when it records none), which it records; a
   shadow holding records made with other months than the copy says
   fails jk_province_step and jk_province_summary (err says what to do).
   NULL with the reason in err. */
jk_province_t *jk_province_open (const char *path, const char *copy_path,
                                 char *err, size_t err_size);
void jk_province_destroy (jk_province_t **self_p);

/* One arrival of the copy: the arrival position, the origin and its
   record as stored. */
typedef struct {
    uint64_t arrival;
    char origin[8];
    jk_stored_t stored;       /* pos, recorded_at, hash, outcome, code, message,
                                 bytes of the origin's record */
    uint8_t hash[32];         /* the origin's chain hash at pos */
    uint8_t arrival_hash[32]; /* the arrival chain's hash at arrival */
    uint8_t *bytes;
    char *code, *message;
} jk_province_arrival_t;

/* Called inside the province's transaction, before its COMMIT, with the
   batch's arrivals, the row changes it made to the province tables and
   province_origins (a SQLite changeset) and the position it reaches.
   Returns false to roll the batch back. */
typedef bool (jk_province_hook_fn) (void *arg,
                                    const jk_province_arrival_t *arrivals,
                                    size_t count, const void *changes, int size,
                                    uint64_t pos);

/* Applies up to max arrivals after the province's position (and none
   beyond upto, when it is not 0), in arrival order, in one transaction
   of the province database; hook (or NULL) sees the batch before it
   commits. Returns the number applied (0: caught up), or -1 with err
   (nothing of the batch is kept). */
int64_t jk_province_step (jk_province_t *self, size_t max, uint64_t upto,
                          jk_province_hook_fn *hook, void *arg, char *err,
                          size_t err_size);

/* The SELECT of the province_summary view (SQLite and PostgreSQL). */
const char *jk_province_summary_select (void);

/* The province's position: the last arrival applied. */
uint64_t jk_province_position (jk_province_t *self);
/* The province database (for reading and the summaries). */
sqlite3 *jk_province_db (jk_province_t *self);

/* One kabupaten's summary row (province_summary) and its active
   cooperatives as of a day (the store's default rule, computed on the
   origin's shadow by jk_projections_active). */
typedef struct {
    char kabupaten_code[8];
    uint64_t log_pos; /* the origin's last position applied */
    int64_t cooperatives, active, people, batches, enrolled, completed,
        assessed, competent, certificates;
} jk_province_row_t;

/* Calls fn for every kabupaten in the province database, in code order,
   with active computed as of as_of_day. Returns 0, or -1 with err. */
int jk_province_summary (jk_province_t *self, int32_t as_of_day,
                         void (*fn) (const jk_province_row_t *row, void *arg),
                         void *arg, char *err, size_t err_size);

#endif
