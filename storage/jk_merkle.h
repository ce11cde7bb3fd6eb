/*  jk_merkle.h - the RFC 6962 / RFC 9162 Merkle tree over the event log
    (docs/AUDIT.md, "The tree"): leaf and node hashes, the tree head of any
    size, inclusion and consistency proofs (generation over any store of
    perfect-subtree hashes, and verification), and the tile store that
    keeps the tree beside the log in the same database (C2SP tlog-tiles
    layout: tiles of height 8, 256 hashes wide).

    leaf = SHA-256(0x00 || entry)   node = SHA-256(0x01 || left || right)
    entry = u64be(pos) || u64be(recorded_at) || u8(outcome)
            || u16be(len code) || code || u32be(len message) || message
            || bytes
    i.e. the bytes the hash chain covers, without the previous hash. The
    leaf of position pos has index pos - 1. */
#ifndef JK_MERKLE_H
#define JK_MERKLE_H

#include "jk_base.h"
#include <sqlite3.h>

#define JK_MERKLE_HASH        32
#define JK_MERKLE_TILE_HEIGHT 8
#define JK_MERKLE_TILE_WIDTH  256
/* Hashes in any proof of a tree smaller than 2^64 leaves. */
#define JK_MERKLE_PROOF_MAX 128

/* ---- hashing ------------------------------------------------------------- */
typedef struct _jk_mhash_t jk_mhash_t;

/* A SHA-256 hasher (OpenSSL EVP, digest fetched once, context reused). Not
   shared between threads. Aborts when OpenSSL has no SHA-256. */
jk_mhash_t *jk_mhash_new (void);
void jk_mhash_destroy (jk_mhash_t **self_p);

/* leaf = SHA-256(0x00 || entry) */
void jk_mhash_leaf (jk_mhash_t *self, const uint8_t *entry, size_t size,
                    uint8_t out[JK_MERKLE_HASH]);
/* node = SHA-256(0x01 || left || right) */
void jk_mhash_node (jk_mhash_t *self, const uint8_t left[JK_MERKLE_HASH],
                    const uint8_t right[JK_MERKLE_HASH],
                    uint8_t out[JK_MERKLE_HASH]);
/* The leaf hash of a log record, without building its entry. code and
   message are NULL (empty) for an accepted record. */
void jk_mhash_record (jk_mhash_t *self, uint64_t pos, int64_t recorded_at,
                      int outcome, const char *code, const char *message,
                      const uint8_t *bytes, size_t size,
                      uint8_t out[JK_MERKLE_HASH]);

/* Writes a record's entry into out (when out_size allows) and returns its
   size. */
size_t jk_merkle_entry (uint64_t pos, int64_t recorded_at, int outcome,
                        const char *code, const char *message,
                        const uint8_t *bytes, size_t size, uint8_t *out,
                        size_t out_size);

/* ---- proofs over a store of perfect subtrees --------------------------------
   A node function returns the hash of the perfect subtree of height
   `height` whose leftmost leaf is index << height (height 0: a leaf
   hash). JK_OK, or an error code passed back to the caller. */
typedef int (jk_merkle_node_fn) (void *arg, int height, uint64_t index,
                                 uint8_t out[JK_MERKLE_HASH]);

/* The tree head of the first size leaves (size 0: SHA-256 of nothing). */
int jk_merkle_root (jk_merkle_node_fn *node, void *arg, jk_mhash_t *mh,
                    uint64_t size, uint8_t out[JK_MERKLE_HASH]);
/* RFC 9162 2.1.3.1: the inclusion proof of leaf index in the tree of size
   leaves (index < size), bottom first; *count hashes. */
int jk_merkle_inclusion (jk_merkle_node_fn *node, void *arg, jk_mhash_t *mh,
                         uint64_t index, uint64_t size,
                         uint8_t proof[][JK_MERKLE_HASH], size_t *count);
/* RFC 9162 2.1.4.1: the consistency proof from the tree of old_size leaves
   to the tree of new_size (0 < old_size <= new_size); *count hashes. */
int jk_merkle_consistency (jk_merkle_node_fn *node, void *arg, jk_mhash_t *mh,
                           uint64_t old_size, uint64_t new_size,
                           uint8_t proof[][JK_MERKLE_HASH], size_t *count);

/* RFC 9162 2.1.3.2; proof is count hashes, concatenated. JK_OK when the proof
   leads from leaf to root, else JK_INVALID. */
int jk_merkle_verify_inclusion (jk_mhash_t *mh, uint64_t index, uint64_t size,
                                const uint8_t leaf[JK_MERKLE_HASH],
                                const uint8_t *proof, size_t count,
                                const uint8_t root[JK_MERKLE_HASH]);
/* RFC 9162 2.1.4.2. old_size 0 is consistent with anything (empty proof);
   old_size == new_size needs equal roots and an empty proof. JK_OK or
   JK_INVALID. */
int jk_merkle_verify_consistency (jk_mhash_t *mh, uint64_t old_size,
                                  uint64_t new_size,
                                  const uint8_t old_root[JK_MERKLE_HASH],
                                  const uint8_t new_root[JK_MERKLE_HASH],
                                  const uint8_t *proof, size_t count);

/* ---- a growing tree's right edge ------------------------------------------
   The hashes of the perfect subtrees a tree of `size` leaves decomposes
   into (one per set bit of size, largest first): enough to append leaves
   and compute the head at every size, in O(log n) memory. */
typedef struct {
    uint64_t size;
    int count;
    uint8_t hashes[64][JK_MERKLE_HASH];
} jk_merkle_edge_t;

void jk_merkle_edge_push (jk_merkle_edge_t *edge, jk_mhash_t *mh,
                          const uint8_t leaf[JK_MERKLE_HASH]);
void jk_merkle_edge_root (const jk_merkle_edge_t *edge, jk_mhash_t *mh,
                          uint8_t out[JK_MERKLE_HASH]);

/* ---- the tile store ---------------------------------------------------------
   Table merkle_tile (level, idx, hashes) in the log's database: tile
   (level L, index i) holds up to 256 consecutive hashes of tree height 8L
   starting at node index 256 i, concatenated. Level 0 tiles (leaf hashes)
   are stored once full; the partial level-0 tile is the log's last
   size mod 256 records. Level L >= 1 tiles are stored whenever they gain
   a hash (once per 256^L leaves), partial or full. A tile only grows:
   each version is a prefix of the next. */
typedef struct _jk_tiles_t jk_tiles_t;

/* The writer's tree over the log in db, which holds head_pos records:
   creates the table when absent, loads the right edge and stores any
   tiles the log has and the tree lacks (a database from before the tree,
   or a rebuilt one), in its own transaction. NULL with err. */
jk_tiles_t *jk_tiles_open (sqlite3 *db, uint64_t head_pos, char *err,
                           size_t err_size);
/* A reader over db (any connection, read-only is fine): node hashes for
   proofs, cached per tile. */
jk_tiles_t *jk_tiles_reader (sqlite3 *db);
void jk_tiles_destroy (jk_tiles_t **self_p);

/* Writer: appends the next leaf inside the caller's open transaction
   (writes the tiles it completes). JK_OK or JK_IO. */
int jk_tiles_append (jk_tiles_t *self, const uint8_t leaf[JK_MERKLE_HASH]);
/* Writer: the transaction committed / rolled back. */
void jk_tiles_commit (jk_tiles_t *self);
void jk_tiles_rollback (jk_tiles_t *self);
/* Writer: leaves appended (including the open transaction), and the head
   over them. */
uint64_t jk_tiles_size (jk_tiles_t *self);
void jk_tiles_head (jk_tiles_t *self, uint8_t out[JK_MERKLE_HASH]);

/* Node function over the tiles (a jk_merkle_node_fn, arg = jk_tiles_t):
   JK_OK, JK_NOT_FOUND (a tile is missing: the tree is behind the log) or
   JK_IO. */
int jk_tiles_node (void *self, int height, uint64_t index,
                   uint8_t out[JK_MERKLE_HASH]);
/* The hasher the tiles use, for jk_merkle_* calls on the same thread. */
jk_mhash_t *jk_tiles_hasher (jk_tiles_t *self);

/* ---- checking stored tiles against the log --------------------------------
   Fed every leaf recomputed from the log in order, compares each stored
   tile as the walk completes it. */
typedef struct _jk_tiles_check_t jk_tiles_check_t;

/* NULL when db has no tile table (a database from before the tree). */
jk_tiles_check_t *jk_tiles_check_new (sqlite3 *db);
void jk_tiles_check_destroy (jk_tiles_check_t **self_p);
/* JK_OK, or JK_INVALID with the tile named in message. */
int jk_tiles_check_add (jk_tiles_check_t *self,
                        const uint8_t leaf[JK_MERKLE_HASH], char *message,
                        size_t message_size);
/* At the end of the walk: compares the partial tiles and finds tiles
   beyond the log. JK_OK or JK_INVALID with message. *stored is the number
   of leaves the stored tiles cover (the tree may lag a log that the store
   has not opened since it grew). */
int jk_tiles_check_end (jk_tiles_check_t *self, uint64_t *stored, char *message,
                        size_t message_size);
/* The head over every leaf added so far. */
void jk_tiles_check_root (jk_tiles_check_t *self, uint8_t out[JK_MERKLE_HASH]);

#endif
