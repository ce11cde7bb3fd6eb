/*  jk_report.h - the dinas's reports (docs/REPORTS.md): tables computed
    from a hub database (or a copy) as of a date, written as XLSX, CSV for
    Indonesian-locale Excel, or a printable A4 HTML page. A report is a
    list of tables plus what makes it reproducible: the log position and
    head hash it was computed at, the as-of date, the active rule, and
    whether NIKs are masked. */
#ifndef JK_REPORT_H
#define JK_REPORT_H

#include "jk_active.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    JK_RCOL_TEXT = 0,
    JK_RCOL_INT = 1,  /* whole number */
    JK_RCOL_PCT = 2,  /* percentage points, one decimal (92.4) */
    JK_RCOL_DATE = 3, /* YYYY-MM-DD in the database; dd/mm/yyyy shown */
    JK_RCOL_ID = 4,   /* a whole number that names rather than counts (a
                         year, a log position): no thousands separator */
} jk_rcol_kind_t;

typedef struct {
    const char *name; /* Indonesian heading */
    jk_rcol_kind_t kind;
    int width; /* characters, for XLSX column widths */
} jk_rcol_t;

typedef struct {
    bool null;
    bool is_int; /* a whole number (i) in a column of another kind */
    int64_t i;
    double d;
    char *s; /* text and dates */
} jk_rcell_t;

typedef struct {
    char *title;     /* Indonesian heading of the table */
    char *sheet;     /* XLSX sheet name (at most 31 characters, unique) */
    bool page_break; /* HTML: start a new page before it */
    size_t cols;
    jk_rcol_t *col; /* names copied */
    size_t rows, cap;
    jk_rcell_t *cell; /* rows x cols */
} jk_rtable_t;

typedef struct {
    const char *name;  /* report name on the command line */
    char title[160];   /* Indonesian title */
    int32_t as_of_day; /* days since epoch */
    char as_of[11];    /* YYYY-MM-DD */
    jk_active_rule_t rule;
    int book_year;     /* RAT book year of the report (0: year - 1) */
    int days;          /* certificates: expiring within N days */
    const char *batch; /* one batch only, or NULL */
    uint64_t pos;      /* log position it was computed at */
    char hash[65];     /* chain hash at pos, hex */
    bool masked;       /* NIKs masked */
    bool keyed;        /* pseudonymous person keys available */
    size_t count;
    jk_rtable_t **tables;
} jk_rdoc_t;

/* --days of sertifikat when not given (jejak_report.c's default). */
#define JK_REPORT_DAYS 90

/* The reports, by name: kecamatan, rat, pelatihan, asesmen, sertifikat,
   dak, kualitas. */
typedef struct {
    const char *name;
    const char *title;
    const char *help;
    /* The flags this report takes besides those every report takes
       (separated by spaces): --book-year, --days, --batch each belong to
       the reports that list them, and any other report refuses them. */
    const char *flags;
    /* JK_OK; JK_NOT_FOUND when --batch names no batch; JK_IO with the
       reason in err. */
    int (*build) (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t err_size);
} jk_report_kind_t;

/* --batch: JK_OK when doc->batch is NULL or names a batch started by the
   report's day (where: more of the WHERE clause over batches, "" or
   "AND ..."); else JK_NOT_FOUND with the reason in err, naming the
   batches (what: "batches") that would do; JK_IO with err. */
int jk_report_batch_known (const jk_rdoc_t *doc, sqlite3 *db, const char *where,
                           const char *what, char *err, size_t size);
/* The builders made per training batch (batch_reports.c). */
int jk_report_pelatihan (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size);
int jk_report_dak (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t size);

extern const jk_report_kind_t jk_report_kinds[];
extern const size_t jk_report_kind_count;
const jk_report_kind_t *jk_report_kind (const char *name);

/* ---- building -------------------------------------------------------------
 */

/* Adds an empty table with the given columns; returns it. */
jk_rtable_t *jk_rdoc_table (jk_rdoc_t *doc, const char *title,
                            const char *sheet, const jk_rcol_t *cols,
                            size_t count, bool page_break);
/* Appends the rows of a query (one column per table column; INT columns
   read integers, PCT reals, others text). Named parameters :day, :from,
   :to, :quorum, :book_year, :days, :batch, :key are bound when named.
   Returns JK_OK, or JK_IO with err. */
int jk_rtable_fill (jk_rtable_t *table, const jk_rdoc_t *doc, sqlite3 *db,
                    const char *sql, const char *key, char *err,
                    size_t err_size);
/* Appends one row of cells by hand; returns its cells (zeroed: null). */
jk_rcell_t *jk_rtable_row (jk_rtable_t *table);
/* Removes the last table added. */
void jk_rdoc_drop_last (jk_rdoc_t *doc);
void jk_rdoc_free (jk_rdoc_t *doc);

/* Reads the log head (position and hash) and fills doc; JK_OK, or JK_IO
   with err. */
int jk_rdoc_head (jk_rdoc_t *doc, sqlite3 *db, char *err, size_t err_size);

/* ---- writing --------------------------------------------------------------
 */
/* Each JK_OK, or JK_IO. The workbook's err says why path cannot be
   written ("No such file or directory"); libxlsxwriter's own lines are
   not printed. */
int jk_report_write_xlsx (const jk_rdoc_t *doc, const char *path, char *err,
                          size_t err_size);
int jk_report_write_csv (const jk_rdoc_t *doc, FILE *out);
int jk_report_write_html (const jk_rdoc_t *doc, FILE *out);

/* ---- people ---------------------------------------------------------------
   SQL functions registered on the report's connection: nik_view (nik)
   (masked 3203********0001, or in clear when not masked) and person_key
   (nik) (the pseudonymous key, or NULL without a key). */
#define JK_PERSON_KEY_FILE "person.key"
/* The pseudonymous key of a NIK: "P-" and the first 12 upper-case hex
   digits of HMAC-SHA256 (key, nik). out holds 15 bytes. */
void jk_person_key (const uint8_t key[32], const char *nik, char out[15]);
/* Reads DIR/person.key (64 hex digits); JK_OK, or with err JK_IO (it
   cannot be read) or JK_INVALID (it holds something else). */
int jk_person_key_load (const char *dir, uint8_t key[32], char *err,
                        size_t err_size);
/* Creates DIR/person.key with 32 random bytes, mode 0600; refuses to
   overwrite one. JK_OK, or JK_IO with err. */
int jk_person_key_create (const char *dir, char *err, size_t err_size);
/* Registers nik_view and person_key on db; key NULL: person_key gives
   NULL. JK_OK or JK_IO. */
int jk_report_functions (sqlite3 *db, bool masked, const uint8_t *key);

#endif
