/*  jk_dbkind.h - which kind of Jejak file an SQLite database is. Every
    program that creates a database of its own marks it at creation with
    the kind's SQLite application_id (one value per kind, listed in
    docs/OPERATIONS.md, "Which file is which"), and refuses, before it
    writes anything, a file that is not empty and not of its kind, naming
    the file and what it looks like. A file from before the mark
    (application_id 0) is recognised by its tables. */
#ifndef JK_DBKIND_H
#define JK_DBKIND_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    JK_DB_LOG,             /* a hub's event log (events.db, a rebuild's) */
    JK_DB_PROJECTIONS,     /* the projections beside it (DB-projections) */
    JK_DB_OUTBOX,          /* an office device's outbox */
    JK_DB_USERS,           /* jejak-office's users file */
    JK_DB_PICKS,           /* jejak-office's pick list cache */
    JK_DB_LINK_COPY,       /* jejak-link receive's copy database */
    JK_DB_LINK_STATE,      /* jejak-link send's checkpoint state */
    JK_DB_PROVINCE,        /* jejak-link project's province database */
    JK_DB_PROVINCE_SHADOW, /* a regency's shadow beside it */
    JK_DB_SINK_SHADOW,     /* jejak-pgsink's shadow */
    JK_DB_KINDS
} jk_db_kind_t;

/* The kind's application_id (four ASCII letters, big-endian: 'JKLG' is
   0x4A4B4C47) and its name ("a Jejak event log"). */
int32_t jk_db_kind_id (jk_db_kind_t kind);
const char *jk_db_kind_name (jk_db_kind_t kind);

/* Checks the database open on db (path for messages) before anything is
   written to it: JK_OK when it is empty (no table), carries kind's
   application_id, or carries none (0) and holds kind's tables (a file
   from before the mark); JK_CONFLICT when it is another kind's or
   another program's, with err "PATH is a Jejak event log (application_id
   0x4A4B4C47 'JKLG'), not an office outbox" (or "(recognised by its
   tables ...; application_id 0)", or "is an SQLite database of another
   program (application_id N; tables ...)"); JK_IO when it cannot be read
   (not a database), with SQLite's words. Reads only. */
int jk_db_kind_check (sqlite3 *db, const char *path, jk_db_kind_t kind,
                      char *err, size_t err_size);

/* Sets kind's application_id on db when it carries another (0): at
   creation, or on the first writing open of a file from before the mark.
   A write: call inside the opening's write transaction where there is
   one. JK_OK or JK_IO (SQLite's message on db). */
int jk_db_kind_mark (sqlite3 *db, jk_db_kind_t kind);
/* Whether db holds a table of that name (false too when it cannot be
   read). */
bool jk_db_has_table (sqlite3 *db, const char *name);

#endif
