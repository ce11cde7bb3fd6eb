/*  jk_proof.h - a self-contained inclusion proof of one log record
    (docs/AUDIT.md, "A proof anyone can check"): the record's entry, its
    Merkle path and a signed checkpoint, in a small text format that
    anyone holding the log's verifier key checks offline.

      jejak-proof/1
      entry BASE64(entry)
      path BASE64(hash 1 || hash 2 || ...)     (empty after "path ")
      <blank line>
      <the signed checkpoint note, to its end>

    entry is the record's leaf input (jk_merkle.h): u64be pos,
    u64be recorded_at, u8 outcome, u16be len code, code, u32be len
    message, message, the event's bytes. */
#ifndef JK_PROOF_H
#define JK_PROOF_H

#include "jk_merkle.h"
#include "jk_note.h"

#define JK_PROOF_MAGIC     "jejak-proof/1"
#define JK_PROOF_ENTRY_MAX (80 * 1024) /* bytes of an entry */
#define JK_PROOF_MAX       (JK_PROOF_ENTRY_MAX * 2 + JK_NOTE_MAX)

typedef struct {
    uint8_t *entry; /* heap */
    size_t entry_len;
    /* The entry's fields (pointers into entry; code and message are not
       NUL-terminated). */
    uint64_t pos;
    int64_t recorded_at;
    int outcome;
    const char *code;
    size_t code_len;
    const char *message;
    size_t message_len;
    const uint8_t *bytes;
    size_t size;
    uint8_t path[JK_MERKLE_PROOF_MAX][JK_MERKLE_HASH];
    size_t count;
    const char *note; /* into the parsed text */
    size_t note_len;
} jk_proof_t;

/* Reads an entry's fields into proof (entry and entry_len set). JK_OK or
   JK_INVALID naming the rule in err. */
int jk_proof_entry (jk_proof_t *proof, char *err, size_t err_size);
/* Parses a proof; text must outlive it (note points into it). JK_OK, or
   JK_INVALID naming the line and rule in err. */
int jk_proof_parse (const char *text, size_t size, jk_proof_t *out, char *err,
                    size_t err_size);
void jk_proof_fini (jk_proof_t *proof);
/* The proof's text for entry, path (count hashes) and note. Heap. */
char *jk_proof_format (const uint8_t *entry, size_t entry_len,
                       const uint8_t *path, size_t count, const char *note);

/* ---- a consistency proof between two checkpoints (docs/AUDIT.md, "Two
   checkpoints, one log") ------------------------------------------------

      jejak-consistency/1
      old BYTES
      <the older signed checkpoint note, exactly BYTES bytes>
      new BYTES
      <the newer signed checkpoint note, exactly BYTES bytes>
      hashes COUNT
      BASE64(hash 1)
      ...
      BASE64(hash COUNT)

   BYTES and COUNT in decimal without leading zeros (1..JK_NOTE_MAX,
   0..JK_MERKLE_PROOF_MAX); each hash line 44 characters of canonical
   padded base64; every line ends in a newline and nothing follows. */
#define JK_CONSISTENCY_MAGIC "jejak-consistency/1"
#define JK_CONSISTENCY_MAX   (2 * JK_NOTE_MAX + 64 * (JK_MERKLE_PROOF_MAX + 2))

typedef struct {
    const char *old_note; /* into the parsed text */
    size_t old_len;
    const char *new_note; /* into the parsed text */
    size_t new_len;
    uint8_t path[JK_MERKLE_PROOF_MAX][JK_MERKLE_HASH];
    size_t count;
} jk_consistency_t;

/* Parses a consistency proof; text must outlive it. JK_OK, or JK_INVALID
   naming the line and rule in err. */
int jk_consistency_parse (const char *text, size_t size, jk_consistency_t *out,
                          char *err, size_t err_size);
/* The text of a consistency proof. Heap. */
char *jk_consistency_format (const char *old_note, size_t old_len,
                             const char *new_note, size_t new_len,
                             const uint8_t *path, size_t count);

#endif
