/*  jk_replay.h - the auditor's library behind jejak-replay: reading a
    copy of the event log, kept heads, JSON Lines and CSV export (and
    reading the JSON back), republishing onto a feed, projection diffs and
    a terminal progress bar. Chain verification and rebuilding come from
    the storage library (jk_log.h); this library never writes to a log. */
#ifndef JK_REPLAY_H
#define JK_REPLAY_H

#include "jk_endpoint.h"
#include "jk_schema.h"
#include <sqlite3.h>
#include <stdio.h>

/* Exit codes of jejak-replay (docs/AUDIT.md). */
#define JK_REPLAY_EXIT_OK       0 /* intact / equal / done */
#define JK_REPLAY_EXIT_TAMPERED 1 /* verify: chain broken; diff: differs */
#define JK_REPLAY_EXIT_USAGE    2 /* bad flags or arguments */
#define JK_REPLAY_EXIT_IO       3 /* cannot read or write a file */

/* ---- opening a copy of the log ------------------------------------------ */

/* Opens an existing database read-only (never creates one). Returns the
   handle, or NULL with the reason in err (missing file, not SQLite, no log
   table). */
sqlite3 *jk_replay_open (const char *path, char *err, size_t err_size);
/* Whether path names a file a database can be read from: JK_OK, or
   JK_NOT_FOUND with the reason in err ("PATH: no such database file",
   "cannot read PATH: is a directory"). */
int jk_replay_path_check (const char *path, char *err, size_t err_size);

/* One row of the log table, borrowed from the cursor until the next call
   (docs/ARCHITECTURE.md, "The log record"). Type and source are read
   from the hashed bytes (jk_envelope_peek, as the store read them), never
   from the table's copies of them, which the chain does not cover. */
typedef struct {
    uint64_t pos;         /* global position */
    const char *type;     /* type as submitted (may be "") */
    const char *source;   /* source as submitted (may be "") */
    int64_t recorded_at;  /* store time of the append, ms */
    int outcome;          /* 0 accepted, 1 rejected */
    const char *code;     /* rejection code, or "" */
    const char *message;  /* rejection message, or "" */
    const uint8_t *bytes; /* the submitted bytes */
    size_t size;          /* their length */
    const uint8_t *hash;  /* 32-byte chain hash (zeros if absent) */
} jk_replay_row_t;

typedef struct jk_replay_cursor_s jk_replay_cursor_t;

/* Iterates the log in position order from from_pos to until_pos
   inclusive (0 = no bound). Returns NULL with err on SQLite failure. */
jk_replay_cursor_t *jk_replay_cursor_new (sqlite3 *db, uint64_t from_pos,
                                          uint64_t until_pos, char *err,
                                          size_t err_size);
void jk_replay_cursor_destroy (jk_replay_cursor_t **self_p);
/* Fills row with the next record: 1; end of log: 0; SQLite error: -1
   with err. */
int jk_replay_cursor_next (jk_replay_cursor_t *self, jk_replay_row_t *row,
                           char *err, size_t err_size);

/* Number of records with from_pos <= pos <= until_pos (0 = no bound), for
   progress; -1 on error. */
int64_t jk_replay_count (sqlite3 *db, uint64_t from_pos, uint64_t until_pos);

/* ---- heads ----------------------------------------------------------------
   A head names the last record: kept elsewhere (a signed daily report), it
   lets verify detect a truncated log. */
typedef struct {
    uint64_t pos;        /* 0 for an empty log */
    uint8_t hash[32];    /* chain hash at pos (zeros at 0) */
    int64_t recorded_at; /* ms, 0 when unknown or empty */
} jk_replay_head_t;

/* The head as stored (last row of the log). Returns 0, or -1 with err. */
int jk_replay_head (sqlite3 *db, jk_replay_head_t *head, char *err,
                    size_t err_size);

/* Writes "jejak-head pos=N hash=HEX recorded_at=ISO-WIB db=NAME" into out
   (db_name may be NULL to leave it off). */
void jk_replay_head_format (const jk_replay_head_t *head, const char *db_name,
                            char *out, size_t size);

/* Parses a kept head: the short form "POS:HASH" or a whole line printed by
   jk_replay_head_format (other key=value words are ignored). HASH is 64 hex
   digits. Returns 0, or -1 with a message naming the rule in err. */
int jk_replay_head_parse (const char *text, jk_replay_head_t *head, char *err,
                          size_t err_size);

/* Parses --until-time: milliseconds since the epoch (digits only), or
   "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.mmm]]" (a space instead of T is
   fine) in WIB unless followed by "Z" or "+HH:MM"/"-HH:MM". A bare date
   means the end of that day (23:59:59.999 WIB). Returns 0 or -1. */
int jk_replay_parse_time (const char *text, int64_t *ms);

/* ---- progress -------------------------------------------------------------
   A one-line bar on stderr, drawn only when stderr is a terminal and the
   work has already taken more than a second; quiet otherwise. */
typedef struct jk_progress_s jk_progress_t;

/* total may be 0 when unknown (a counter is shown instead). */
jk_progress_t *jk_progress_new (const char *label, uint64_t total);
void jk_progress_update (jk_progress_t *self, uint64_t done);
/* Clears the line if it was drawn. */
void jk_progress_destroy (jk_progress_t **self_p);

/* ---- JSON -------------------------------------------------------------------
   Writing: strings are escaped as RFC 8259 requires (quote, backslash,
   control characters as \uXXXX); invalid UTF-8 bytes become U+FFFD. */

/* Writes a quoted JSON string; returns false when the input had invalid
   UTF-8 (the output is still valid JSON, but lossy). */
bool jk_json_write_string (FILE *out, const char *data, size_t size);

/* ---- export -----------------------------------------------------------------
   JSON Lines: one object per record, in position order:
     pos, recorded_at (ms), recorded_at_wib, hash (hex), outcome
     ("accepted" | "rejected"), code and message (rejections), then the
     envelope id (UUID text), type, v, source, seq, at (ms), at_wib, actor,
     corrects (UUID text, when present) and body (fields by their wire
     names; dates, times and enums as text, sets and lists as arrays of
     text, units as arrays of {code, title}).
   Submitted bytes that do not decode (a rejection of bad input), or whose
   text is not valid UTF-8, also carry "raw" (base64 of the stored bytes)
   and what their envelope still tells.
   CSV: one file TYPE.csv per event type for Indonesian-locale Excel
   (UTF-8 with a byte order mark, ';' separated, CRLF, RFC 4180 quoting,
   cells starting with = + - @ tab or CR prefixed with '), columns pos,
   recorded_at, hash, id, v, source, seq, at, actor, corrects, then the
   type's fields in table order (lists comma-joined, units CODE=TITLE
   joined by |, the forms the agents import); NIK fields masked
   (3203********0001) with the column named "nik (disamarkan)" unless
   unmasked; rejections go to rejected.csv. */
typedef enum { JK_EXPORT_JSONL, JK_EXPORT_CSV } jk_export_format_t;

typedef struct {
    jk_export_format_t format;
    const char *type_prefix; /* only types starting with it, or NULL */
    const char *office;      /* only sources of this office, or NULL */
    uint64_t from_pos;       /* 0 = from the start */
    uint64_t until_pos;      /* 0 = to the end */
    const char *out;         /* JSONL: file (NULL = stdout); CSV: dir */
    bool progress;           /* draw a progress bar if on a terminal */
    bool unmasked;           /* CSV: NIKs in clear */
} jk_export_config_t;

/* Exports the log. Returns 0 with the number of records written in
 *written, or -1 with err (JK_REPLAY_EXIT_IO territory). */
int jk_export_run (sqlite3 *db, const jk_export_config_t *config,
                   uint64_t *written, char *err, size_t err_size);

/* Writes one record as a JSON line (newline included) to out. */
void jk_export_jsonl_row (FILE *out, const jk_replay_row_t *row);

/* ---- publish ----------------------------------------------------------------
   Republishes stored records on a feed (XPUB) in the broker's format
   (jk_wire.h: jk_record_msg, topic = type or rejected.<type>), with a
   $head heartbeat every second and at the end. */
typedef struct {
    const char *endpoint;       /* where to bind the XPUB */
    uint64_t from_pos;          /* 0 = from the start */
    uint64_t until_pos;         /* 0 = to the end */
    double speed;               /* 0 = instant; N = N x the original pace */
    int64_t max_gap_ms;         /* cap on one wait at --speed; 0 = 5000 */
    int64_t wait_subscriber_ms; /* wait this long for a subscriber first;
                                   0 = do not wait */
    int64_t linger_ms;          /* flush time at the end; 0 = 2000 */
    bool progress;              /* draw a progress bar if on a terminal,
                                   and say where a `*` port was bound */
    /* Out: endpoint as bound, a `*` port replaced by the port chosen
       (jk_endpoint_shown). */
    char shown[JK_ENDPOINT_SHOWN_MAX];
} jk_publish_config_t;

/* Runs until every record is published (or SIGINT/SIGTERM via
   zsys_interrupted). Returns 0 with the count in *published, JK_TEMPORARY
   when no subscriber came in time, or -1 with err (bind failure, SQLite
   failure). */
int jk_publish_run (sqlite3 *db, jk_publish_config_t *config,
                    uint64_t *published, char *err, size_t err_size);

/* ---- diff -------------------------------------------------------------------
   Compares two canonical projection dumps (jk_projections_dump: a
   "# TABLE (COLUMNS)" line per table, then one line per row in primary key
   order) and writes what differs as unified-diff style lines: "--- A" and
   "+++ B" headers, "@@ TABLE" before each table with differences, "-ROW"
   for a row only in A (or changed), "+ROW" for a row only in B (or its
   new form); a changed row shows as its - line followed by its + line. */

/* Returns the number of differing lines (0 = equal). out may be NULL. */
int64_t jk_replay_diff_dumps (char *a, size_t a_size, char *b, size_t b_size,
                              const char *a_name, const char *b_name,
                              FILE *out);

/* Dumps the projections of two databases (opened read-only) and diffs
   them. Returns the number of differing lines, or -1 with err when a
   database cannot be read. */
int64_t jk_replay_diff (const char *a_path, const char *b_path, FILE *out,
                        char *err, size_t err_size);

#endif
