/*  jk_base.h - the base layer every Jejak part stands on: status codes,
    allocation, structured logging, a settable clock, UUIDv7 ids, small
    string helpers. Nothing here knows about events or sockets. */
#ifndef JK_BASE_H
#define JK_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- status codes ------------------------------------------------------
   A small set that tells the caller what to do next. */
typedef enum {
    JK_OK = 0,
    JK_INVALID = -1,   /* bad input: reject it, do not retry as is */
    JK_TEMPORARY = -2, /* transient failure (busy, offline): retry later */
    JK_CLOSED = -3,    /* the peer or resource is gone: stop */
    JK_NOT_FOUND = -4, /* no such thing */
    JK_IO = -5,        /* file, database or socket failure */
    JK_CONFLICT = -6,  /* exists already with other content */
} jk_status_t;

/* Returns a short English description of a status code. */
const char *jk_strerror (int status);

/* ---- allocation --------------------------------------------------------
   Wrappers that abort the process on out-of-memory, so callers need not
   check. */
void *jk_malloc (size_t size);
void *jk_calloc (size_t count, size_t size);
void *jk_realloc (void *ptr, size_t size);
char *jk_strdup (const char *text);
char *jk_strndup (const char *text, size_t size);
/* Maps the whole pages of a large block that is about to be filled
   (size bytes at p, from malloc) now, with two calls, instead of one page
   fault per 4 KiB at first touch: asked for as transparent huge pages
   (MADV_HUGEPAGE), then mapped writable (MADV_POPULATE_WRITE). Where page
   faults are dear (a virtual machine) that is an order of magnitude:
   112 MB took 0.29-0.33 s of first touches, 0.02-0.03 s with this. Best
   effort: where the kernel declines (before Linux 5.14, no huge page
   free) the pages fault in at first touch as before. The block's bytes
   are not changed. */
void jk_prefault (void *p, size_t size);
/* Formats into a new heap string the caller frees. */
char *jk_sprintf (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));

/* ---- logging ------------------------------------------------------------
   One line per record on stderr: time, level, component, message with
   key=value pairs. The level comes from JEJAK_LOG (none, error, warn,
   info, debug; default info) or jk_log_set_level. */
typedef enum {
    JK_LOG_NONE = -1, /* nothing at all */
    JK_LOG_ERROR = 0,
    JK_LOG_WARN = 1,
    JK_LOG_INFO = 2,
    JK_LOG_DEBUG = 3
} jk_log_level_t;

void jk_log_set_level (jk_log_level_t level);
jk_log_level_t jk_log_level (void);
/* Reads a level's name (none, error, warn, info, debug) into *level;
   false for any other text. */
bool jk_log_level_parse (const char *name, jk_log_level_t *level);

/* The running program's name for messages ("jejak-store", "jejak-replay
   verify"): the one jk_opts_new was given last, else "jejak". */
void jk_program_set (const char *name);
const char *jk_program (void);
void jk_log (jk_log_level_t level, const char *component, const char *format,
             ...) __attribute__ ((format (printf, 3, 4)));
#define jk_error(c, ...) jk_log (JK_LOG_ERROR, c, __VA_ARGS__)
#define jk_warn(c, ...)  jk_log (JK_LOG_WARN, c, __VA_ARGS__)
#define jk_info(c, ...)  jk_log (JK_LOG_INFO, c, __VA_ARGS__)
#define jk_debug(c, ...) jk_log (JK_LOG_DEBUG, c, __VA_ARGS__)

/* ---- clock ---------------------------------------------------------------
   Wall-clock milliseconds since the Unix epoch (UTC). Tests pin it with
   jk_clock_set (or the JEJAK_CLOCK_MS environment variable, read once);
   jk_clock_set (0) returns to the real clock. Monotonic time for timeouts
   is jk_clock_mono_ms, never pinned. */
int64_t jk_clock_now_ms (void);
void jk_clock_set (int64_t now_ms);
int64_t jk_clock_mono_ms (void);

/* Indonesia's western time zone (WIB) is UTC+07:00, without summer time. */
#define JK_WIB_OFFSET_MS (7LL * 3600 * 1000)

/* ---- threads -------------------------------------------------------------
   The first call of every thread Jejak starts (actors and plain
   threads): names it (NULL keeps the name) and blocks SIGINT, SIGTERM
   and SIGHUP in it, so a signal sent to the process reaches the main
   thread only, which stops the actors with $TERM (docs/OPERATIONS.md,
   "Stopping"). The main thread calls it with NULL once it has seen the
   signal, so a second signal does not cut the stop's waits short. */
void jk_thread_enter (const char *name);
/* Lowers the calling thread's priority by steps nice values (to 19 at
   most), which needs no privilege and is never raised again: a thread
   that yields the cores to the store's ack path. JK_OK, or JK_IO with
   errno when the kernel refused (the thread keeps its priority). */
int jk_thread_nicer (int steps);
/* A program's main thread calls jk_thread_enter (NULL) before it starts
   any thread, so each is born with these signals blocked, and this once
   they all run: a signal that came meanwhile is delivered now. */
void jk_thread_unblock (void);
/* SIGHUP on the main thread: jk_hangup_catch replaces its default
   action (the end of the process) by a handler that notes it;
   jk_hangup_take says whether one came since its last call. */
void jk_hangup_catch (void);
bool jk_hangup_take (void);

/* ---- calendar ------------------------------------------------------------
   Civil dates as days since 1970-01-01 (proleptic Gregorian). */
int32_t jk_days_from_civil (int year, int month, int day);
void jk_civil_from_days (int32_t days, int *year, int *month, int *day);
bool jk_date_valid (int year, int month, int day);
/* Today's date in WIB for a UTC millisecond time. */
int32_t jk_wib_day (int64_t utc_ms);
/* Formats days as "YYYY-MM-DD" into out (11 bytes). */
void jk_date_format (int32_t days, char out[11]);
/* Parses exactly "YYYY-MM-DD" (len bytes of text, the form stored in
   events) into days; JK_INVALID when it is not that or not a real date. */
int jk_date_parse_iso (const char *text, size_t len, int32_t *days);
/* Parses exactly "HH:MM" (len bytes of text, the form stored in events)
   into minutes since midnight; JK_INVALID when it is not that or not a
   time of day. */
int jk_time_parse_hhmm (const char *text, size_t len, int32_t *minutes);
/* Parses a whole date as operators type it into days: "YYYY-MM-DD" (the
   year 0001 to 9999), or day first "DD/MM/YYYY" with one or two digits
   for the day and the month, one of "/", "-" or "." used as both
   separators, and a 4-digit year 1000 to 9999 ("6/10/2022", "06-10-2022",
   "6.10.2022"). The one parser of every date an operator gives: an
   event's date fields (the agents, the office, CSV import) and the
   programs' date options (--as-of). No surrounding spaces or signs;
   JK_INVALID when it is none of these or not a real date. */
int jk_date_parse_day (const char *text, int32_t *days);
/* jk_date_parse_day that also tells why a date is refused: *unreal
   (when not NULL) is true for one of the forms with a day or month the
   calendar does not have (31/02/2019, 15/13/2022, 2019-02-30). */
int jk_date_parse_day_why (const char *text, int32_t *days, bool *unreal);
/* The dates jk_date_parse_day takes, as every message and --help text
   that asks for a date states them. A 2-digit year (and a day-first date
   before the year 1000), yyyy/mm/dd, two different separators and a date
   that does not exist are refused. */
#define JK_DATE_FORMS                                                          \
    "dd/mm/yyyy, dd-mm-yyyy or dd.mm.yyyy (day and month of 1 or 2 digits, "   \
    "a 4-digit year) or yyyy-mm-dd"
/* Formats UTC milliseconds as "YYYY-MM-DDTHH:MM:SS+07:00" (WIB) into out
   (26 bytes). */
void jk_time_format_wib (int64_t utc_ms, char out[26]);

/* ---- ids -----------------------------------------------------------------
   UUIDv7 (RFC 9562): 48-bit millisecond time, then random bits, with a
   counter that keeps ids made in the same millisecond in order. */
void jk_uuid_v7 (uint8_t out[16]);
/* Formats as 36-character lower-case text plus NUL. */
void jk_uuid_format (const uint8_t id[16], char out[37]);
/* Parses 36-character text; returns JK_OK or JK_INVALID. */
int jk_uuid_parse (const char *text, uint8_t out[16]);
/* Hex of size bytes into out (2*size+1 bytes). */
void jk_hex_format (const uint8_t *data, size_t size, char *out);
/* Parses exactly 2*size hex digits; returns JK_OK or JK_INVALID. */
int jk_hex_parse (const char *text, uint8_t *out, size_t size);

/* ---- strings -------------------------------------------------------------
   A borrowed byte string: ptr is not NUL-terminated. */
typedef struct {
    const char *ptr;
    uint32_t len;
} jk_str_t;

#define JK_STR(literal) ((jk_str_t){(literal), sizeof (literal) - 1})
jk_str_t jk_str_of (const char *text);
bool jk_str_eq (jk_str_t a, const char *text);
bool jk_str_same (jk_str_t a, jk_str_t b);
/* Length in bytes (1..4) of the valid UTF-8 character at ptr, or 0 when
   the bytes there (at most left, left > 0) do not start one: a stray
   continuation byte, a cut sequence, an overlong form, a surrogate or a
   code point above U+10FFFF. */
size_t jk_utf8_sequence (const char *ptr, size_t left);
/* Number of UTF-8 code points, or -1 when the bytes are not valid UTF-8. */
int64_t jk_utf8_length (const char *ptr, size_t size);
/* Makes the NUL-terminated text in a buffer of size bytes printable UTF-8,
   in place: a character cut at the end (by a byte limit) is dropped, any
   other byte that is not valid UTF-8 becomes '?', control characters are
   escaped (\n, \t, \r, \xNN); what no longer fits is cut on a character
   boundary. For messages that quote submitted values. */
void jk_text_clean (char *text, size_t size);
/* The first len bytes of text as a person is shown them on a terminal
   (the status board): every control character, C0 (U+0000..U+001F, tab
   and newline too), DEL (U+007F) and C1 (U+0080..U+009F), and every byte
   that is not valid UTF-8, as "\x" and two lower-case hex digits of the
   code point or byte ("\x1b", "\x07", "\x9b"), so that none reaches the
   terminal to act on it; the rest as it is. A new NUL-terminated string
   (free it). */
char *jk_text_visible (const char *text, size_t len);
/* Case-insensitive ASCII comparison of a borrowed string with text. */
bool jk_str_ieq (jk_str_t a, const char *text);
/* Whether text ends in end, ASCII case ignored, with something before it
   (a file name and its extension: "k.CSV" ends in ".csv", ".csv" not). */
bool jk_str_ends_ieq (const char *text, const char *end);
/* Parses an unsigned decimal integer that spans the whole string. */
int jk_parse_u64 (const char *text, uint64_t *out);

#endif
