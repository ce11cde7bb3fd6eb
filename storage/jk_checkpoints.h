/*  jk_checkpoints.h - the hub's signed checkpoints of the log's Merkle tree
    (docs/AUDIT.md, "Checkpoints"; docs/PROTOCOL.md): C2SP tlog-checkpoint
    notes signed with the log key of jejak-keys, kept in table checkpoint
    of the log's database (every one ever signed, so the newest survives a
    restart and all can be checked against the log). The store signs; the
    query endpoint reads. */
#ifndef JK_CHECKPOINTS_H
#define JK_CHECKPOINTS_H

#include "jk_note.h"
#include <sqlite3.h>

typedef struct jk_signer_s jk_signer_t;

/* The value of --witnesses (JEJAK_WITNESSES): items separated by commas,
   each a witness's verifier key or (an item without '+') a file holding
   such keys, one per line. JK_OK with *text (heap: the keys, one per line;
   NULL when given is empty), JK_INVALID naming the key and rule, JK_IO
   (unreadable file), with err starting "--witnesses: ". */
int jk_witnesses_read (const char *given, char **text, char *err,
                       size_t err_size);

/* The signer of the log in db (the writer's connection, no transaction
   open): loads the key file at key_path (jk_note_skey_load: the key's
   name is the checkpoints' origin), creates the checkpoint table when
   absent and checks the newest stored checkpoint against the tree in db
   (tree_size leaves): a tree shorter than it, or with another head at
   its size, is never signed (the log was cut or rewritten since).
   witnesses (NULL: none) lists the verifier keys of the witnesses whose
   cosignatures the hub keeps (jk_note_signers_parse, at most 31). NULL
   with the reason in err. */
jk_signer_t *jk_signer_new (sqlite3 *db, const char *key_path,
                            const char *witnesses, uint64_t tree_size,
                            char *err, size_t err_size);
void jk_signer_destroy (jk_signer_t **self_p);

/* Signs the tree (size, root) at time now_ms (ms since the epoch) and
   stores the note in its own transaction. JK_OK; JK_INVALID when size is
   below the newest checkpoint's (never signed); JK_IO. Signs nothing
   (JK_OK) when the newest checkpoint has this size. */
int jk_signer_sign (jk_signer_t *self, uint64_t size, const uint8_t root[32],
                    int64_t now_ms);
/* The newest checkpoint: its tree size (0 when none) and note text with
   the cosignatures kept for it (NULL when none; valid until the next sign
   or cosign). */
uint64_t jk_signer_size (jk_signer_t *self);
const char *jk_signer_note (jk_signer_t *self);
/* The origin line (the key's name). */
const char *jk_signer_origin (jk_signer_t *self);
/* How many witnesses the signer trusts. */
int jk_signer_witnesses (jk_signer_t *self);

/* A witness's COSIGN (docs/PROTOCOL.md): note is a checkpoint this hub
   signed (its text equal to the stored one of that size) carrying
   cosignature lines; every line of a trusted witness must verify, and
   those are kept in table cosignature (one per witness and size, a newer
   replacing an older) in their own transaction. JK_OK with *tree_size
   and *held (cosignatures now kept for that size); JK_INVALID with err
   "CODE message" (E_COSIGNATURE: does not parse, a trusted witness's line
   does not verify, or none of a trusted witness; E_NO_CHECKPOINT: no
   stored checkpoint has this text); JK_IO with err "E_UNAVAILABLE ...".
   When size is the newest's, jk_signer_note gives it with them. */
int jk_signer_cosign (jk_signer_t *self, const char *note, size_t size,
                      int64_t now_ms, uint64_t *tree_size, int *held, char *err,
                      size_t err_size);

/* The newest checkpoint stored in db (any connection, read-only is fine)
   with the cosignature lines kept for it: a heap string, NULL when there
   is none or no table. */
char *jk_checkpoint_newest (sqlite3 *db);
/* The stored checkpoint of tree size `size` with its cosignatures (0:
   the empty tree's, stored when a signing hub started on an empty log);
   NULL when none. */
char *jk_checkpoint_stored (sqlite3 *db, uint64_t size);

#endif
