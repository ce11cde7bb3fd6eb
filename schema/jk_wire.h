/*  jk_wire.h - the frames of the Jejak wire protocol (docs/PROTOCOL.md),
    shared by agents, broker, store, status and replay so every part speaks
    through one codec. Messages are CZMQ zmsg_t; every message starts with
    the signature frame "JEJAK/1" and a command frame. Integers in their own
    frames are 8 bytes big-endian; structured values are MessagePack maps. */
#ifndef JK_WIRE_H
#define JK_WIRE_H

#include "jk_schema.h"
#include <czmq.h>

#define JK_PROTOCOL "JEJAK/1"

/* The rule (PROTOCOL.md section 2) an E_PROTOCOL message names when a
   message's first two frames are not [JEJAK/1][COMMAND]. */
#define JK_WIRE_FRAMING_RULE                                                   \
    "expected [JEJAK/1][COMMAND] frames: the signature JEJAK/1, then a "       \
    "command of 1 to 15 upper-case ASCII letters"

/* Heartbeat timing (Paranoid Pirate): a peer that hears nothing for
   LIVENESS intervals considers the other side gone. */
#define JK_HEARTBEAT_MS       1000
#define JK_HEARTBEAT_LIVENESS 3
#define JK_RECONNECT_MIN_MS   1000
#define JK_RECONNECT_MAX_MS   32000

/* Hard caps a receiver enforces before looking inside. */
#define JK_SUBMIT_MAX_EVENTS 1000               /* events in one SUBMIT */
#define JK_MESSAGE_MAX_BYTES (16 * 1024 * 1024) /* ZMQ_MAXMSGSIZE */

/* STATE (docs/PROTOCOL.md, section 6): the bytes of one state message
   a client may ask for, and what the status board asks. */
#define JK_STATE_CHUNK_MIN     4096
#define JK_STATE_CHUNK_MAX     (4 * 1024 * 1024)
#define JK_STATE_CHUNK_DEFAULT JK_STATE_CHUNK_MAX
#define JK_STATE_CREDIT        4 /* messages in flight */
/* A query stream (SINCE or STATE) left without credit, or with its
   client's queue full, this long ends (docs/PROTOCOL.md, `stream_idle`):
   the store frees all it holds, the client asks again. */
#define JK_STREAM_IDLE_MS 60000
/* The store appends only while its clock is at most this far behind its
   log's last recorded_at; beyond, NACK E_STORE_CLOCK (retryable). */
#define JK_STORE_CLOCK_TOLERANCE_MS 2000

/* Starts a message: signature frame, command frame. */
zmsg_t *jk_wire_new (const char *command);
/* Pops and checks the signature and command frames. Returns 0 with the
   command copied into command (size bytes), or -1 when the message is not
   JEJAK/1 (the frames are left consumed). */
int jk_wire_open (zmsg_t *msg, char *command, size_t size);

/* Waits up to wait_ms for the next message on sock: the message, opened,
   when its command is want; NULL otherwise, with *silent true when none
   came ("nothing within WAIT ms" in why), else what came instead in why,
   never empty: "ERROR: E_CODE message" ("ERROR: E_CODE" without a
   message, "ERROR without a code"; what the peer sent made printable
   by jk_text_clean), "OTHER, not WANT" for another command, or "a
   message that is not a JEJAK/1 command" (another signature, or a
   command frame that is not 1 to 15 upper-case letters). */
zmsg_t *jk_wire_expect (zsock_t *sock, int wait_ms, const char *want,
                        bool *silent, char *why, size_t why_size);

/* Builds [JEJAK/1][ERROR][code][message]: a protocol error answer. */
zmsg_t *jk_wire_error (const char *code, const char *message);

void jk_wire_add_u64 (zmsg_t *msg, uint64_t value);
/* Pops an 8-byte big-endian frame; -1 when missing or the wrong size. */
int jk_wire_pop_u64 (zmsg_t *msg, uint64_t *value);
uint64_t jk_wire_u64 (const uint8_t *data);
void jk_wire_put_u64 (uint8_t *data, uint64_t value);

/* ---- answers to submitted events ------------------------------------------
 */
typedef enum {
    JK_ANSWER_ACK = 0,       /* stored and accepted: pos, hash */
    JK_ANSWER_REJECTED = 1,  /* stored as a rejection: pos, hash, code, msg */
    JK_ANSWER_DUPLICATE = 2, /* seen before: the ORIGINAL pos and hash; code
                                and msg when the original was a rejection */
    JK_ANSWER_NACK = 3,      /* not stored: code, msg; expected for
                                E_SEQ_GAP; retry when code is retryable */
} jk_answer_kind_t;

typedef struct {
    uint8_t id[16]; /* the event's id (zeros if unknown) */
    jk_answer_kind_t kind;
    uint64_t pos;                 /* ACK, REJECTED, DUPLICATE */
    uint8_t hash[32];             /* chain hash at pos */
    char code[JK_CODE_MAX];       /* E_... or "" */
    char message[JK_MESSAGE_MAX]; /* names the field and the rule */
    uint64_t expected;            /* E_SEQ_GAP: the seq the store expects */
} jk_answer_t;

const char *jk_answer_kind_name (jk_answer_kind_t kind);
/* Appends one answer frame (a MessagePack map) to msg. */
void jk_answer_add (zmsg_t *msg, const jk_answer_t *answer);
/* The bytes of one answer frame, at most JK_ANSWER_MAX (its strings are
   bounded by jk_answer_t), packed at out; returns their number. */
#define JK_ANSWER_MAX 1024
size_t jk_answer_pack (const jk_answer_t *answer, uint8_t out[JK_ANSWER_MAX]);
/* Decodes an answer frame; JK_OK, or JK_INVALID on malformed input. */
int jk_answer_decode (const void *data, size_t size, jk_answer_t *answer);
/* True for NACK codes a sender retries (E_UNAVAILABLE, E_BUSY, E_SEQ_GAP
   after resending from expected). */
bool jk_answer_retryable (const jk_answer_t *answer);

/* ---- heartbeats
 * -------------------------------------------------------------- */
typedef struct {
    char source[JK_SOURCE_MAX + 1]; /* the agent's source */
    char program[32];               /* e.g. "jejak-attendance" */
    uint64_t outbox_depth;          /* events not yet STORED or REJECTED */
    uint64_t last_stored_seq;       /* highest seq with a receipt */
    uint64_t rejected;              /* events REJECTED in the outbox */
} jk_heartbeat_t;

/* Appends a heartbeat frame (a MessagePack map) to msg. */
void jk_heartbeat_add (zmsg_t *msg, const jk_heartbeat_t *heartbeat);
/* Decodes a heartbeat map. Every key of PROTOCOL.md 3.2 is required with
   its type (source and program valid UTF-8 without NUL, fitting their
   fields): JK_OK; JK_INVALID otherwise, with the rule broken in why (why
   may be NULL). */
int jk_heartbeat_check (const void *data, size_t size,
                        jk_heartbeat_t *heartbeat, char *why, size_t why_size);
int jk_heartbeat_decode (const void *data, size_t size,
                         jk_heartbeat_t *heartbeat);

/* ---- heartbeat replies ----------------------------------------------------
   PONG carries one map {now: uint, expect: uint?, stored_seq: uint?}:
   now is the hub's clock in ms since the epoch (the store's; the broker's
   own when no store is there), so an agent can tell how far off its clock
   is. expect (with the stored_seq the agent reported) is present when the
   agent holds receipts for seqs the log does not have: it delivers its
   events again from seq expect. The store answers the heartbeats the
   broker passes on; the broker answers itself when no store is there. */
typedef struct {
    int64_t now_ms;      /* the hub's clock */
    uint64_t expect;     /* 0, or deliver again from this seq */
    uint64_t stored_seq; /* with expect: what the agent said it stored */
} jk_pong_t;

/* Appends the PONG map to msg. */
void jk_pong_add (zmsg_t *msg, const jk_pong_t *pong);
/* Decodes a PONG map; JK_OK, or JK_INVALID when malformed. */
int jk_pong_decode (const void *data, size_t size, jk_pong_t *pong);

/* ---- feed records
   ------------------------------------------------------------ The feed (XPUB)
   carries each committed record as one message: [topic][pos u64][hash
   32][recorded_at u64][bytes][detail?] topic is the event type, or "rejected."
   + the submitted type for a rejection record (detail: MessagePack {code,
   msg}); the head heartbeat is [JK_FEED_HEAD][pos u64][hash 32]. */
#define JK_FEED_HEAD       "$head"
#define JK_REJECTED_PREFIX "rejected."

typedef struct {
    char topic[80];
    uint64_t pos;
    uint8_t hash[32];
    int64_t recorded_at;
    const uint8_t *bytes; /* borrowed from the message */
    size_t size;
    char code[JK_CODE_MAX]; /* rejections */
    char message[JK_MESSAGE_MAX];
} jk_record_t;

/* The office heartbeat on the feed: [JK_FEED_OFFICE][MessagePack map
   {source, program, outbox, stored_seq, rejected, last_seen_ms}], one per
   agent the broker heard from, every JK_HEARTBEAT_MS. */
#define JK_FEED_OFFICE "$office"

/* A signed checkpoint of the log's Merkle tree on the feed:
   [JK_FEED_CHECKPOINT][note] (docs/PROTOCOL.md, docs/AUDIT.md), after the
   records it covers; the note is at most JK_FEED_CHECKPOINT_MAX bytes. */
#define JK_FEED_CHECKPOINT     "$checkpoint"
#define JK_FEED_CHECKPOINT_MAX 16384

typedef struct {
    jk_heartbeat_t heartbeat; /* the agent's last heartbeat */
    int64_t last_seen_ms;     /* wall clock of its last message */
} jk_office_t;

/* Builds an $office feed message (no signature frames). */
zmsg_t *jk_office_msg (const jk_office_t *office);
/* Reads an $office message without consuming it; JK_OK, or JK_INVALID
   when malformed. */
int jk_office_read (zmsg_t *msg, jk_office_t *office);

/* Whether record is a rejection record: its topic starts with
   JK_REJECTED_PREFIX (the one place that rule is written). */
bool jk_record_rejected (const jk_record_t *record);

/* Builds a feed/catch-up record message (no signature frames). */
zmsg_t *jk_record_msg (const jk_record_t *record);
/* Reads a record message without consuming it; bytes borrow from msg.
   Returns JK_OK, or JK_INVALID when malformed. The head heartbeat decodes
   with
   topic JK_FEED_HEAD and size 0. */
int jk_record_read (zmsg_t *msg, jk_record_t *record);

/* ---- a batch of records in one frame (store -> broker RECORDS) -----------
   Each record, back to back (docs/PROTOCOL.md, section 4):
   u8 topic length, topic, u64be pos, 32-byte hash, u64be recorded_at,
   u32be bytes length, bytes, u8 code length, code, u16be message length,
   message (code and message empty for an accepted record). */

/* Bytes record takes packed. */
size_t jk_records_size (const jk_record_t *record);
/* Packs record at out (jk_records_size bytes); returns the bytes written. */
size_t jk_records_put (uint8_t *out, const jk_record_t *record);
/* Reads the record at *offset of a packed frame into record (bytes borrow
   from data) and moves *offset past it. Returns 0, 1 at the end of the
   frame, or JK_INVALID when malformed (a length past the end, a topic of 80
   bytes or more, a code or message too long, a NUL in topic, code or message).
 */
int jk_records_next (const uint8_t *data, size_t size, size_t *offset,
                     jk_record_t *record);

#endif
