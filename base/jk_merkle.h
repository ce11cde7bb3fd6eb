/*  jk_merkle.h - the RFC 6962 / RFC 9162 Merkle tree over the event log
    (docs/AUDIT.md, "The tree"): leaf and node hashes, the tree head of any
    size, inclusion and consistency proofs (generation over any store of
    perfect-subtree hashes, and verification). The tile store that keeps
    the tree beside the log is storage/jk_tiles.h.

    leaf = SHA-256(0x00 || entry)   node = SHA-256(0x01 || left || right)
    entry = u64be(pos) || u64be(recorded_at) || u8(outcome)
            || u16be(len code) || code || u32be(len message) || message
            || bytes
    i.e. the bytes the hash chain covers, without the previous hash. The
    leaf of position pos has index pos - 1. */
#ifndef JK_MERKLE_H
#define JK_MERKLE_H

#include "jk_base.h"

#define JK_MERKLE_HASH        32
#define JK_MERKLE_TILE_HEIGHT 8
#define JK_MERKLE_TILE_WIDTH  256
/* Hashes in any proof of a tree smaller than 2^64 leaves. */
#define JK_MERKLE_PROOF_MAX 128

/* ---- hashing ------------------------------------------------------------- */
typedef struct jk_mhash_s jk_mhash_t;

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
/* Called by jk_merkle_edge_push_each for each perfect subtree a push
   completes, smallest first: its height (1: two leaves) and root hash.
   Non-zero is an error: no further calls for that push (which completes
   all the same). */
typedef int (jk_merkle_merged_fn) (void *arg, int height,
                                   const uint8_t hash[JK_MERKLE_HASH]);
/* jk_merkle_edge_push, telling merged (when not NULL) each subtree it
   completes. 0, or merged's first non-zero value. */
int jk_merkle_edge_push_each (jk_merkle_edge_t *edge, jk_mhash_t *mh,
                              const uint8_t leaf[JK_MERKLE_HASH],
                              jk_merkle_merged_fn *merged, void *arg);
void jk_merkle_edge_root (const jk_merkle_edge_t *edge, jk_mhash_t *mh,
                          uint8_t out[JK_MERKLE_HASH]);

#endif
