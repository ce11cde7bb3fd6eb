/*  jk_tree.h - the Merkle tree behind the writer (docs/ARCHITECTURE.md,
    "The tree behind the writer"; docs/AUDIT.md, "Tiles in the
    database"): a follower computes the tree on its own thread from the
    records the writer hands it after each commit (from the writer's
    memory: the log is not read back), and from the committed log on a
    read-only connection of its own for whatever it was not handed (at
    start, after a crash, when it fell behind). It hands the writer the
    tree's size and head and the tiles it completed; the writer stores
    those tiles in its next transaction. The log's writer then appends
    without hashing any leaf. */
#ifndef JK_TREE_H
#define JK_TREE_H

#include "jk_merkle.h"
#include <czmq.h>

typedef struct jk_tree_s jk_tree_t;

/* Opens the log at log_path read-only and loads the stored tiles' right
   edge (the writer's jk_log_open has stored every tile the log has). NULL
   with err. */
jk_tree_t *jk_tree_new (const char *log_path, char *err, size_t err_size);
void jk_tree_destroy (jk_tree_t **self_p);

/* Hashes up to max committed records after the tree's size into it;
 *added says how many (0: at the committed head). JK_OK or JK_IO. */
int jk_tree_step (jk_tree_t *self, size_t max, size_t *added);
/* Hashes committed records, packed as for the broker's RECORDS
   (jk_records_next; a rejection is a record whose topic starts with
   JK_REJECTED_PREFIX, with its code and message), into the tree: those at
   or below its size are skipped, a gap before one is read from the log
   first. *added says how many joined. JK_OK; JK_INVALID (malformed, the
   records before it joined) or JK_IO (the log could not fill a gap). */
int jk_tree_feed (jk_tree_t *self, const uint8_t *records, size_t size,
                  size_t *added);
/* The tree's size (leaves) and head. */
uint64_t jk_tree_size (jk_tree_t *self);
void jk_tree_head (jk_tree_t *self, uint8_t out[JK_MERKLE_HASH]);

/* The update for the writer, and forgets the tiles it carries:
   [TREE][size u64][head 32 bytes][tile]..., one tile frame
   [level u8][idx u64 big-endian][hashes] per tile to store, in order. */
zmsg_t *jk_tree_update (jk_tree_t *self);
/* Reads an update's head frames (the command already popped): JK_OK with
   the size and head, the tile frames left in msg; JK_INVALID. */
int jk_tree_update_open (zmsg_t *msg, uint64_t *size,
                         uint8_t head[JK_MERKLE_HASH]);
/* Reads one tile frame: JK_OK or JK_INVALID. */
int jk_tree_tile (zframe_t *frame, int *level, uint64_t *idx,
                  const uint8_t **hashes, uint32_t *width);

/* ---- the tree thread ------------------------------------------------ */

/* Batches of records that may wait for the tree thread in its feed queue
   (JK_TREE_QUEUE on each side of an inproc pair: twice this in all). The
   writer never waits for the queue: a batch that finds it full is not
   handed over, and the tree reads its records from the log. */
#define JK_TREE_QUEUE 32

/* Runs the follower as a CZMQ actor. It connects a PAIR socket to
   feed_endpoint (an inproc endpoint the writer bound with JK_TREE_QUEUE
   as its send high-water mark): [LEAVES][records] there (the writer,
   after a commit) feeds the records (jk_tree_feed). On the actor pipe,
   "WAKE", like a feed that failed and 100 ms without a message, makes it
   read the committed log after its size, at most 4,096 records per step;
   "$TERM" stops it. It sends an update on the pipe once the messages
   waiting are taken or 4,096 records joined, and after each step that
   added any. The thread is named "jejak-tree" and runs 10 nicer than the
   store (at most nice 19): it hashes in the cores' idle time while the
   ack path keeps them busy. unfed (the writer's count of records it could
   not hand over, read atomically) is only looked at under the fault
   tree_paused: the thread then takes nothing from its queue until the
   count is above 0. */
zactor_t *jk_tree_start (jk_tree_t **tree_p, const char *feed_endpoint,
                         const uint64_t *unfed);

#endif
