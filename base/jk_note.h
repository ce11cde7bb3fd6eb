/*  jk_note.h - checkpoints of the log's Merkle tree as C2SP signed notes
    (docs/AUDIT.md, "Checkpoints"): the tlog-checkpoint body (origin, tree
    size, base64 root), the log's Ed25519 signature (signed-note, key ID
    type 0x01) and witnesses' cosignatures (tlog-cosignature v1, key ID
    type 0x04, timestamped), through OpenSSL EVP. A parser that takes any
    bytes and names what is wrong. */
#ifndef JK_NOTE_H
#define JK_NOTE_H

#include "jk_base.h"

#define JK_NOTE_MAX       16384 /* bytes in a note */
#define JK_NOTE_SIGS_MAX  32    /* signature lines in a note */
#define JK_NOTE_NAME_MAX  128   /* bytes in a key name or origin */
#define JK_NOTE_SIG_BYTES 76    /* key ID + timestamp + Ed25519 signature */

/* Key ID = SHA-256(name || "\n" || type || public key)[:4]. */
#define JK_NOTE_TYPE_ED25519 0x01 /* the log's signature */
#define JK_NOTE_TYPE_COSIG   0x04 /* a witness's cosignature/v1 */

typedef struct {
    char name[JK_NOTE_NAME_MAX];
    uint8_t key_id[4];
    uint8_t data[JK_NOTE_SIG_BYTES]; /* after the key ID */
    size_t size;                     /* bytes in data */
} jk_note_sig_t;

typedef struct {
    char origin[JK_NOTE_NAME_MAX];
    uint64_t size;    /* tree size */
    uint8_t root[32]; /* tree head */
    char body[JK_NOTE_MAX];
    size_t body_len; /* bytes of body, final newline included */
    jk_note_sig_t sigs[JK_NOTE_SIGS_MAX];
    int sig_count;
} jk_checkpoint_t;

/* Parses a signed checkpoint. JK_OK, or JK_INVALID with the rule broken
   in err (e.g. "line 2: tree size must be decimal without leading
   zeros"). */
int jk_checkpoint_parse (const char *text, size_t size, jk_checkpoint_t *out,
                         char *err, size_t err_size);

/* The checkpoint body "origin\nsize\nbase64(root)\n" into out; returns
   its length, 0 when out is too small or origin is not a valid line. */
size_t jk_checkpoint_body (const char *origin, uint64_t size,
                           const uint8_t root[32], char *out, size_t out_size);

/* Ed25519 public key of a 32-byte private key seed. */
int jk_note_public (const uint8_t seed[32], uint8_t pub[32]);
void jk_note_key_id (const char *name, int type, const uint8_t pub[32],
                     uint8_t out[4]);

/* Appends "— name base64(key ID || signature)\n" for the log's signature
   (type 0x01, over body) or a cosignature (type 0x04, over
   "cosignature/v1\ntime T\n" || body, with timestamp T). A heap string
   (the line), NULL on a crypto failure. */
char *jk_note_sign_line (const char *body, size_t body_len, const char *name,
                         int type, const uint8_t seed[32], uint64_t timestamp);

/* JK_OK when checkpoint carries a valid signature of type by (name, pub):
   a line with that name and key ID whose signature verifies. For a
   cosignature *timestamp gets its time. JK_NOT_FOUND when no line has the
   name and key ID, JK_INVALID when one does and does not verify. */
int jk_note_verify (const jk_checkpoint_t *checkpoint, const char *name,
                    int type, const uint8_t pub[32], uint64_t *timestamp);

/* A signer key "PRIVATE+KEY+name+hex(key ID)+base64(type || seed)", the
   signed-note form of a private key: type 0x01 for the log's key
   (jejak-keys log-key), 0x04 for a witness's (jejak-keys witness-key);
   the key ID is of that type. Format: out of at least 256 bytes. Parse:
   JK_OK with *type, or JK_INVALID naming the rule in err. */
void jk_note_skey_format (const char *name, int type, const uint8_t seed[32],
                          char *out, size_t out_size);
int jk_note_skey_parse (const char *text, char name[JK_NOTE_NAME_MAX],
                        int *type, uint8_t seed[32], char *err,
                        size_t err_size);
/* Reads a signer key file (one line, as jk_note_skey_format): JK_OK;
   JK_IO when it cannot be read or others may read it (mode beyond 0600);
   JK_INVALID naming the rule. err names the file. */
int jk_note_skey_load (const char *path, char name[JK_NOTE_NAME_MAX], int *type,
                       uint8_t seed[32], char *err, size_t err_size);
/* A new random Ed25519 seed (OpenSSL's RAND). JK_OK or JK_IO. */
int jk_note_keygen (uint8_t seed[32]);

/* A whole signed checkpoint: the body of (origin, size, root), a blank
   line and the log's signature line by key (origin, seed). A heap string,
   NULL when origin is not a valid name or the signature failed. */
char *jk_checkpoint_sign (const char *origin, uint64_t size,
                          const uint8_t root[32], const uint8_t seed[32]);

/* A trusted signer: key name, type and Ed25519 public key. */
typedef struct {
    char name[JK_NOTE_NAME_MAX];
    int type;
    uint8_t pub[32];
} jk_note_signer_t;

/* Accepts a checkpoint only with the log's valid signature (type 0x01)
   and at least `quorum` valid cosignatures from the given witnesses; a
   signature line of a trusted key that does not verify refuses the
   checkpoint. JK_OK, or JK_INVALID with the reason in err. */
int jk_checkpoint_trusted (const jk_checkpoint_t *checkpoint,
                           const jk_note_signer_t *log,
                           const jk_note_signer_t *witnesses, int count,
                           int quorum, char *err, size_t err_size);

/* Whether two checkpoints are heads of one log: the consistency proof
   (proof_bytes bytes, hashes of JK_MERKLE_HASH bytes) from the smaller
   tree to the larger (either may be a or b; equal sizes need equal roots
   and an empty proof). JK_OK, or JK_INVALID for a proof of the wrong
   shape or one that does not verify: a rewritten or forked log. */
int jk_checkpoint_consistent (const jk_checkpoint_t *a,
                              const jk_checkpoint_t *b, const uint8_t *proof,
                              size_t proof_bytes);

/* A list of verifier keys of one type, separated by commas, spaces or
   line ends (as a file of one key per line reads), into out (at most
   max). JK_OK with *count, or JK_INVALID naming the key and the rule in
   err (a key of another type, more than max, a repeated name). */
int jk_note_signers_parse (const char *list, int type, jk_note_signer_t *out,
                           int max, int *count, char *err, size_t err_size);

/* A witness's cosignature line of checkpoint (tlog-cosignature v1) by key
   (name, seed) at time (seconds since 1970), appended to the note text:
   a heap string, the note with one more signature line; NULL when the
   note would exceed JK_NOTE_MAX or JK_NOTE_SIGS_MAX lines, or signing
   failed. */
char *jk_note_cosign (const char *note, const jk_checkpoint_t *checkpoint,
                      const char *name, const uint8_t seed[32], uint64_t time);

/* A verifier key given on a command line: the key's text itself, or the
   first line of the file it names (a value with a '/', or an existing
   file). A heap string; NULL when given is NULL or empty. */
char *jk_note_vkey_given (const char *given);

/* A verifier key "name+hex(key ID)+base64(type || pub)" (C2SP vkey),
   parsed. JK_OK or JK_INVALID with err. */
int jk_note_vkey_parse (const char *text, char name[JK_NOTE_NAME_MAX],
                        int *type, uint8_t pub[32], char *err, size_t err_size);

/* The value of a --log-key flag (jk_note_vkey_given, NULL: not given),
   checked as the log's verifier key: JK_OK, or JK_INVALID with err saying
   why it does not parse or that it is a witness's key (type 04). */
int jk_note_log_vkey_check (const char *key, char *err, size_t err_size);
/* Formats a vkey into out (at least 256 bytes). */
void jk_note_vkey_format (const char *name, int type, const uint8_t pub[32],
                          char *out, size_t out_size);

#endif
