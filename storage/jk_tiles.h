/*  jk_tiles.h - the tile store of the log's Merkle tree (docs/AUDIT.md,
    "The tree"): the tree kept beside the log in the same database, in the
    C2SP tlog-tiles layout (tiles of height 8, 256 hashes wide). */
#ifndef JK_TILES_H
#define JK_TILES_H

#include "jk_merkle.h"
#include <sqlite3.h>

/* ---- the tile store ---------------------------------------------------------
   Table merkle_tile (level, idx, hashes) in the log's database: tile
   (level L, index i) holds up to 256 consecutive hashes of tree height 8L
   starting at node index 256 i, concatenated. Level 0 tiles (leaf hashes)
   are stored once full; the partial level-0 tile is the log's last
   size mod 256 records. Level L >= 1 tiles are stored whenever they gain
   a hash (once per 256^L leaves), partial or full. A tile only grows:
   each version is a prefix of the next. */
typedef struct jk_tiles_s jk_tiles_t;

/* Creates the (empty) table of tiles in db when it is absent: 0, or -1
   with SQLite's message in db. */
int jk_tiles_create (sqlite3 *db);

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

/* Writer: stores one tile inside the caller's open transaction (a tile a
   follower completed; INSERT OR REPLACE). JK_OK, JK_INVALID (level not 0
   to 7, width not 1 to 256) or JK_IO. */
int jk_tiles_put (jk_tiles_t *self, int level, uint64_t idx,
                  const uint8_t *hashes, uint32_t width);

/* ---- the follower -----------------------------------------------------------
   The same tree computed on a connection of its own (read-only is fine)
   behind a writer that no longer hashes leaves: it starts from the stored
   tiles, reads the committed log after them, and keeps the tiles it
   completes for the writer to store (jk_tiles_put) instead of writing
   them. Its size and head are jk_tiles_size and jk_tiles_head. */

/* Loads the right edge of the stored tiles (the leaves after them are read
   from the log by the steps). NULL with err when the table is missing or
   its levels disagree (jk_tiles_open repairs both). */
jk_tiles_t *jk_tiles_follow (sqlite3 *db, char *err, size_t err_size);
/* Appends up to max committed log records after the tree's size;
   *added says how many (0: the tree is at the committed head). JK_OK or
   JK_IO. */
int jk_tiles_follow_step (jk_tiles_t *self, size_t max, size_t *added);
/* The tiles completed or grown since the last clear, each (level, idx)
   once in its newest version, in the order to store them: count, the
   i-th (returns its width in hashes), clear. */
size_t jk_tiles_out_count (jk_tiles_t *self);
uint32_t jk_tiles_out_at (jk_tiles_t *self, size_t i, int *level, uint64_t *idx,
                          const uint8_t **hashes);
void jk_tiles_out_clear (jk_tiles_t *self);

/* Node function over the tiles (a jk_merkle_node_fn, arg = jk_tiles_t):
   JK_OK, JK_NOT_FOUND (a tile is missing: the tree is behind the log) or
   JK_IO. */
int jk_tiles_node (void *self, int height, uint64_t index,
                   uint8_t out[JK_MERKLE_HASH]);
/* The hasher the tiles use, for jk_merkle_* calls on the same thread. */
jk_mhash_t *jk_tiles_hasher (jk_tiles_t *self);

/* ---- checking stored tiles against the log --------------------------------
   Fed every leaf recomputed from the log in order, compares each stored
   tile as the walk completes it, and goes on after a problem: what it
   reports is the problem at the earliest position. */
typedef struct jk_tiles_check_s jk_tiles_check_t;

/* A problem of the stored tree: from which log position it is wrong
   (the first position the wrong or missing hash covers, or the position
   after the log's last when tiles go on past it), the tile (and hash)
   and what is wrong. */
typedef struct {
    uint64_t pos;
    char where[64];    /* "tile level 0 index 0, hash 1" */
    char message[200]; /* "Merkle tile level 0 index 0 differs ..." */
} jk_tiles_problem_t;

/* NULL when db has no tile table (a database from before the tree). */
jk_tiles_check_t *jk_tiles_check_new (sqlite3 *db);
void jk_tiles_check_destroy (jk_tiles_check_t **self_p);
/* Adds the next leaf, comparing the tiles it completes. */
void jk_tiles_check_add (jk_tiles_check_t *self,
                         const uint8_t leaf[JK_MERKLE_HASH]);
/* At the end of the walk: compares the partial tiles and finds tiles,
   at any level, that the log gives no hashes for (beyond its end).
   *stored is the number of leaves the stored tiles cover (the tree may
   lag a log that the store has not opened since it grew). */
void jk_tiles_check_end (jk_tiles_check_t *self, uint64_t *stored);
/* JK_OK when every tile compared so far matches the log, else
   JK_INVALID with the problem at the earliest position in problem. */
int jk_tiles_check_problem (jk_tiles_check_t *self,
                            jk_tiles_problem_t *problem);
/* The head over every leaf added so far. */
void jk_tiles_check_root (jk_tiles_check_t *self, uint8_t out[JK_MERKLE_HASH]);

#endif
