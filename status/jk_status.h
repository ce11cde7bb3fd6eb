/*  jk_status.h - the live status board of jejak-status: a model that
    keeps a replica of the store's projections right (feed + catch-up from
    the query endpoint, the Clone pattern), and renderers that turn a
    snapshot of it into a terminal screen or JSON. The web page reuses the
    model and the JSON renderer. */
#ifndef JK_STATUS_H
#define JK_STATUS_H

#include "jk_active.h"
#include "jk_opts.h"
#include "jk_projections.h"
#include "jk_wire.h"
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>

typedef struct jk_ckwatch_s jk_ckwatch_t; /* the checkpoint watch, below */

/* ---- notes ------------------------------------------------------------------
   What the board tells the user above its numbers (a recovery note, or
   the sink's settings notice): a stable code and its arguments, so that
   a client can word it in its own language; the board words it in
   Indonesian and in English from one table (status/note.c). The codes,
   their arguments and both texts: docs/STATUS.md, "Notes". */
#define JK_STATUS_NOTE_ARGS     4   /* arguments a note takes at most */
#define JK_STATUS_NOTE_TEXT_MAX 256 /* bytes of a note's text, with NUL */

typedef struct {
    char code[32];                      /* e.g. "feed_silent"; "": none */
    char args[JK_STATUS_NOTE_ARGS][40]; /* values, in the code's order */
} jk_status_note_t;

/* Sets note to code (one of the table's: asserted) with as many
   arguments (const char *, NULL taken as "") as the code takes; further
   ones are ignored. A value too long for its slot is cut. */
void jk_status_note_set (jk_status_note_t *note, const char *code, ...);
/* jk_status_note_set with the arguments in a va_list. */
void jk_status_note_vset (jk_status_note_t *note, const char *code,
                          va_list args);
/* Writes note's text in Indonesian (english false) or English into out
   (size bytes; a longer text is cut between characters) and returns
   out: "" for none (NULL, code "") or an unknown code. */
const char *jk_status_note_text (const jk_status_note_t *note, bool english,
                                 char *out, size_t size);
/* The table, for documentation and tests: the code at index (0, 1, ...;
   NULL past the last), the name of argument i of code (NULL past its
   last or for an unknown code), and code's text with its {name}
   placeholders (NULL for an unknown code). */
const char *jk_status_note_code (size_t index);
const char *jk_status_note_arg (const char *code, int i);
const char *jk_status_note_template (const char *code, bool english);

/* ---- the sink: where the board applies records ---------------------------
   The board hands every record to the sink exactly once, in position
   order, with no gap, inside begin/commit brackets (one per batch). The
   program's sink is the in-memory replica (jk_replica_sink); tests may
   pass their own. Every function returns JK_OK, or another code on
   failure (the replica's: JK_IO), and the board then resets the sink and
   starts over from position 0. */
typedef struct {
    void *arg;                /* passed to each */
    int (*begin) (void *arg); /* open a batch */
    int (*apply) (void *arg, const jk_record_t *record);
    int (*commit) (void *arg); /* close a batch */
    int (*reset) (void *arg);  /* forget everything */
    /* Optional (NULL: none): replace everything with the state at a
       position, a SQLite database image of the projections (the query
       endpoint's STATE). The sink takes the image (allocated with
       sqlite3_malloc64) and frees it with sqlite3_free, also on failure.
       A board whose sink can load starts (and starts over) from the
       state instead of from position 1. */
    int (*load) (void *arg, uint8_t *image, size_t size);
    /* Optional (NULL: none): what the store decides with, its STATS text
       (NULL when it answered none), before anything is loaded or applied:
       a board whose sink takes it asks STATS first, once, and starts
       after the answer. A notice for the user may be set in notice
       (jk_status_note_set; it comes empty): shown on the board while no
       other note is. The sink logs it. */
    int (*settings) (void *arg, const char *stats, jk_status_note_t *notice);
} jk_board_sink_t;

/* ---- the board ------------------------------------------------------------
 */
typedef enum {
    JK_BOARD_STARTING = 0,    /* first catch-up from position 0 running */
    JK_BOARD_CATCHING_UP = 1, /* a gap was seen: catching up to the head */
    JK_BOARD_LIVE = 2,        /* applying the feed as it comes */
} jk_board_state_t;

typedef struct {
    const char *feed;      /* broker feed endpoint (SUB connects) */
    const char *query;     /* store query endpoint (DEALER connects) */
    uint64_t credit;       /* catch-up window in records; 0 = 1000 */
    int drop_every;        /* fault injection (jk_fault.h): drop every
                              Nth feed record; 0 none */
    int feed_silence_ms;   /* no feed message this long: re-subscribe and
                              catch up; 0 = 3 heartbeats (3000) */
    int query_silence_ms;  /* store silent this long: new query socket;
                              0 = 3000 */
    size_t buffer_max;     /* feed records held while catching up;
                              0 = 100000 (beyond: dropped, fetched by
                              the next catch-up) */
    uint64_t state_chunk;  /* STATE: bytes per message asked for, from
                              JK_STATE_CHUNK_MIN to JK_STATE_CHUNK_MAX;
                              0 = JK_STATE_CHUNK_DEFAULT (4 MiB) */
    uint64_t state_credit; /* STATE: messages in flight; 0 =
                              JK_STATE_CREDIT (4) */
    /* CURVE (a secure hub speaks it on feed and query endpoints that
       are not loopback or ipc): the broker's public certificate and a
       reader (or office) secret certificate, both or neither. Borrowed:
       they must outlive the board. */
    const char *broker_key;
    const char *key;
    /* The checkpoint watch (borrowed, NULL: none): fed the checkpoints
       of the feed and HEAD answers, its requests sent on the query
       socket. */
    jk_ckwatch_t *watch;
} jk_board_config_t;

/* ---- the checkpoint watch ---------------------------------------------------
   A reader of the log (the board) checks each signed checkpoint it sees
   ($checkpoint on the feed, HEAD answers) with the log's verifier key and
   against the last one it verified, with a consistency proof from the
   query endpoint (docs/AUDIT.md, "Boards check checkpoints"). The last
   verified is kept in a file (path), so the check spans restarts; the
   first ever seen is trusted. A checkpoint that does not extend it (a
   forked or rewritten log, or one cut shorter) is the fork alarm: both
   notes are appended to path.forks, the alarm text stands until the
   evidence is cleared (jk_ckwatch_clear); a watch started while
   path.forks exists raises the alarm at once. The watch builds requests and
   reads answers; the caller sends and receives them on its query socket. */

/* log_vkey: the log's C2SP verifier key (text). Loads path when it
   exists (it must hold a checkpoint of this log). NULL with err. */
jk_ckwatch_t *jk_ckwatch_new (const char *log_vkey, const char *path, char *err,
                              size_t err_size);
void jk_ckwatch_destroy (jk_ckwatch_t **self_p);
/* A checkpoint note seen. Returns the request to send (PROOF CONSISTENCY,
   [JEJAK/1] framed) or NULL: nothing to ask (the first one, the same
   size, an invalid signature: ignored and logged, or one already
   waiting: kept for after it). */
zmsg_t *jk_ckwatch_seen (jk_ckwatch_t *self, const char *note, size_t size);
/* True while a request's answer is awaited. */
bool jk_ckwatch_waiting (jk_ckwatch_t *self);
/* The answer to the request: command (PROOF or ERROR) and the frames
   after it. Returns the next request to send, or NULL. */
zmsg_t *jk_ckwatch_answer (jk_ckwatch_t *self, const char *command,
                           zmsg_t *msg);
/* The tree size of the last verified checkpoint (0: none yet). */
uint64_t jk_ckwatch_size (jk_ckwatch_t *self);
/* The alarm text (Indonesian, then English), "" while none. The alarm
   stands while path.forks exists: once it was moved aside
   (jk_ckwatch_clear), the watch forgets the checkpoint it held and
   trusts the next one on sight. */
const char *jk_ckwatch_alarm (jk_ckwatch_t *self);
/* True once after the verified checkpoint or the alarm changed. */
bool jk_ckwatch_changed (jk_ckwatch_t *self);
/* Clears the fork alarm of the checkpoint file path, after an operator
   has investigated it (jejak-status --clear-fork; docs/OPERATIONS.md):
   path.forks and path (the checkpoint verified before the fork) are
   renamed to path.forks.cleared-STAMP and path.cleared-STAMP (STAMP the
   UTC time, YYYYMMDDTHHMMSSZ; "-2", "-3" ... added when taken): kept,
   never deleted. JK_OK (what was moved said in out), JK_NOT_FOUND (no
   path.forks: no alarm to clear) or JK_IO, the reason in out. When the
   evidence cannot be moved, the checkpoint already moved is moved back
   ("...; nothing was moved (path is back)"), or out says where it is. */
int jk_ckwatch_clear (const char *path, char *out, size_t out_size);

/* Makes sock a CURVE client of the server whose public certificate is
   broker_key, with the secret certificate key, when both are set (for
   any endpoint: give no keys for a plain local one). Returns 0, or -1
   when a certificate cannot be read (logged). */
int jk_status_curve (zsock_t *sock, const char *endpoint,
                     const char *broker_key, const char *key);

/* Offices are jk_office_t (jk_wire.h): an agent's last heartbeat as the
   broker relays it on the feed ($office), with when it was last seen. */

/* Counters, for tests, benchmarks and the board's footer. */
typedef struct {
    uint64_t applied;          /* records applied (feed + catch-up) */
    uint64_t feed_applied;     /* of those, from the feed */
    uint64_t duplicates;       /* feed/catch-up records at or below pos */
    uint64_t gaps;             /* gaps detected on the feed */
    uint64_t catchups;         /* SINCE requests sent */
    uint64_t credit_granted;   /* credit given to the store, SINCE + CREDIT */
    uint64_t catchup_records;  /* RECORD messages received */
    uint64_t resets;           /* replica dropped and rebuilt */
    uint64_t feed_reconnects;  /* SUB sockets recreated (broker silent) */
    uint64_t query_reconnects; /* DEALER sockets recreated (store silent) */
    uint64_t test_dropped;     /* feed records dropped by drop_every
                                  (fault injection) */
    uint64_t buffer_dropped;   /* feed records over buffer_max */
    uint64_t state_asked;      /* STATE requests sent */
    uint64_t state_loads;      /* states loaded (STATE at a position) */
    uint64_t state_bytes;      /* bytes of the last state loaded */
    uint64_t state_received;   /* STATE bytes received, all requests */
} jk_board_stats_t;

typedef struct jk_board_s jk_board_t;

/* Connects to the feed (subscribed to everything) and the query endpoint
   and asks for the log from position 0 (SINCE 0 with a credit window).
   The sink is copied. Never fails for an unreachable endpoint (ZeroMQ
   connects in the background); returns NULL only for a malformed
   endpoint, with the reason logged. */
jk_board_t *jk_board_new (const jk_board_config_t *config,
                          const jk_board_sink_t *sink);
void jk_board_destroy (jk_board_t **self_p);

/* Waits up to timeout_ms for a message, then handles what is waiting
   (bounded), applying records in one sink batch, and runs the timers
   (heartbeat checks, HEAD pings, silence recovery). Returns the number
   of records applied, or JK_CLOSED when interrupted (zsys_interrupted). */
int jk_board_poll (jk_board_t *self, int timeout_ms);

jk_board_state_t jk_board_state (jk_board_t *self);
/* The position of the last applied record and its chain hash. */
uint64_t jk_board_pos (jk_board_t *self);
const uint8_t *jk_board_hash (jk_board_t *self);
/* The highest head position seen ($head, END, HEAD answers, records). */
uint64_t jk_board_head (jk_board_t *self);
/* True once after anything visible changed (records, state, offices,
   notes); clears the flag. */
bool jk_board_changed (jk_board_t *self);
/* The latest recovery note for the user (e.g. feed_silent: "feed
   terputus 3 dtk (broker mati?): ..."), unless it is "recovered" and the
   sink gave a settings notice (e.g. region_differs: "--region 32.05
   berbeda dengan wilayah store 32.04"), which is then shown, as it is
   without a note; its code is "" when there is neither. Never NULL;
   valid until the next jk_board_poll. */
const jk_status_note_t *jk_board_note (jk_board_t *self);
/* True while the feed or the store has been silent past its limit. */
bool jk_board_feed_silent (jk_board_t *self);
bool jk_board_store_silent (jk_board_t *self);
const jk_board_stats_t *jk_board_stats (jk_board_t *self);
size_t jk_board_office_count (jk_board_t *self);
const jk_office_t *jk_board_office_at (jk_board_t *self, size_t index);
const char *jk_board_state_name (jk_board_state_t state);

/* ---- the replica ------------------------------------------------------------
   Projections in an in-memory SQLite database, fed by the board. */
typedef struct jk_replica_s jk_replica_t;

/* Returns NULL with err when SQLite or the migrations fail. */
jk_replica_t *jk_replica_new (char *err, size_t err_size);
/* jk_replica_new with the projections' rules (the hub's
   --rat-deadline-months; NULL: the defaults). Its region is the
   process's (jk_region_default: jejak-status --region); a state loaded
   from the store that holds kecamatan of another region is warned about
   in the log. */
jk_replica_t *jk_replica_new_config (const jk_projections_config_t *config,
                                     char *err, size_t err_size);
/* Makes the replica take from the store's STATS (the sink's settings)
   the region (unless region_given: jejak-status --region) and the RAT
   deadline (unless months_given) before it seeds or loads anything; what
   was given and differs from the store's is a notice. Off by default. */
void jk_replica_follow_store (jk_replica_t *self, bool region_given,
                              bool months_given);
void jk_replica_destroy (jk_replica_t **self_p);
/* A sink that applies to this replica (jk_record_apply). */
jk_board_sink_t jk_replica_sink (jk_replica_t *self);
/* The projections' snapshot (MessagePack, docs/PROJECTIONS.md) as of a
   WIB day; the caller frees it. NULL on SQLite failure. */
uint8_t *jk_replica_snapshot (jk_replica_t *self, int32_t as_of_day,
                              size_t *size);
sqlite3 *jk_replica_db (jk_replica_t *self);
/* The rule for "active" in this replica's snapshots (NULL: the default,
   which a new replica starts with). */
void jk_replica_set_active_rule (jk_replica_t *self,
                                 const jk_active_rule_t *rule);

/* ---- rendering --------------------------------------------------------------
   What a renderer needs: a snapshot and what the board knows around it. */
typedef struct {
    const uint8_t *snapshot; /* MessagePack map from the projections */
    size_t snapshot_size;
    const char *state;            /* "live", "catching up", "snapshot" ... */
    const jk_status_note_t *note; /* the board's note, or NULL */
    uint64_t pos;                 /* position the snapshot stands at */
    const uint8_t *hash;          /* 32-byte chain hash at pos, or NULL */
    uint64_t head;                /* log head as known */
    const jk_office_t *offices;   /* from heartbeats; may be NULL */
    size_t office_count;
    const char *kecamatan; /* filter: kecamatan code, or NULL */
    const char *batch;     /* filter: batch code, or NULL */
    bool all_batches;      /* terminal: every open batch, not only
                              those running as of the day */
    int64_t now_ms;        /* for "last seen ... ago" */
    uint64_t checkpoint;   /* tree size of the last verified checkpoint
                              (0: none, or no --log-key) */
    const char *alarm;     /* the fork alarm text, or NULL / "" */
    const char *link;      /* a federation link's STATS text (jejak-link
                              send --stats, or the receive endpoint), or
                              NULL: shown as the link section */
    /* Terminal paging: the screen is 80 columns; rows lines a page (0:
       24). page is the page to show, 1-based (past the last: the last);
       0 shows every page in turn. */
    int page;
    int rows;
    bool page_keys; /* the footer names the keys (live, on a terminal) */
} jk_status_view_t;

/* Writes the board as a report a person reads, in pages of 80 columns by
   view->rows lines (24 by default): each page starts with the board's
   header (with the note, "! Indonesian / English" on one line, or on
   two when that is wider than 80 columns: "! Indonesian" and
   "  / English") and ends with "halaman i/n"; a table cut by a page break
   repeats its heading; a longer line is cut on a character boundary.
   With ansi, clears the screen first and uses bold headings. Returns the
   number of pages (1 or more), or JK_INVALID when the snapshot does not
   decode (a message is written instead). */
int jk_render_term (FILE *out, const jk_status_view_t *view, bool ansi);

/* Writes one JSON document on one line: {"state", "note" (its
   Indonesian text), "note_code", "note_args" (an object: each argument's
   name and value, strings), "pos", "hash", "head", "snapshot" (the
   snapshot map, filters applied), "offices"},
   and "links" (area, up, head, cursor, lag, lag_ms) when view->link is
   set.
   Returns 0, or JK_INVALID when the snapshot does not decode. */
int jk_render_json (FILE *out, const jk_status_view_t *view);

/* Copies text into out (size bytes) with every run of exactly 16 digits
   masked as jk_nik_mask does: NIKs never leave the board unmasked. */
void jk_status_mask_niks (const char *text, size_t len, char *out, size_t size);

/* ---- the web board ------------------------------------------------------
   A read-only HTTP server (libmicrohttpd) for jejak-status --http: GET and
   HEAD of / (the page), /app.js, /style.css, /snapshot.json (the latest
   published document) and /events (Server-Sent Events: the latest
   document on connect, then each newer one, at most ten a second, with
   `id:` = its log position, and a comment line as heartbeat). Other
   methods get 405, other paths 404. /snapshot.json?as_of=DATE (JK_DATE_FORMS)
   is the board as of that day, from the config's as_of
   function (400 for a date that is not one, 503 when it fails). The
   board's loop publishes; the HTTP threads only read what was published
   (see web.c). */
typedef struct jk_web_s jk_web_t;

/* The board as of a day (days since the epoch) as a JSON document
   (heap, *size bytes), or NULL with err. Called on HTTP threads: it must
   share nothing writable with the board's loop. */
typedef char *(jk_web_as_of_fn)(void *arg, int32_t day, size_t *size, char *err,
                                size_t err_size);

typedef struct {
    const char *address;    /* IPv4 address to bind, e.g. "127.0.0.1" */
    uint16_t port;          /* 0 = pick a free port (jk_web_port tells) */
    int max_connections;    /* 0 = 256 */
    int heartbeat_ms;       /* SSE comment when idle this long; 0 = 15000 */
    jk_web_as_of_fn *as_of; /* the date picker's answers, or NULL (404) */
    void *as_of_arg;
} jk_web_config_t;

/* Starts listening. Returns NULL with err (e.g. the address is in use or
   not an IPv4 address). The caller decides which addresses are allowed
   (jk_web_address_is_loopback). */
jk_web_t *jk_web_new (const jk_web_config_t *config, char *err,
                      size_t err_size);
/* Ends every stream and stops the server. Accepts NULL. */
void jk_web_destroy (jk_web_t **self_p);
/* The port bound (the one picked when the config asked for 0). */
uint16_t jk_web_port (jk_web_t *self);
/* Publishes a board document (jk_render_json's output; a final newline
   is dropped) standing at log position pos. The text is copied. Call from
   one thread only (the board's). */
void jk_web_publish (jk_web_t *self, const char *json, size_t size,
                     uint64_t pos);

#endif
