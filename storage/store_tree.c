/*  store_tree.c - the store actor (jk_store.h, store_internal.h): the Merkle
    tree behind the writer: the tree thread's updates, its tiles stored in
    the writer's transactions, what it is handed. */
#include "store_internal.h"

#include "jk_endpoint.h"

/* An update from the tree thread: its tiles wait for the next
   transaction; with none waiting, its size and head count at once (the
   leaves after the stored tiles are the committed log itself). */
void jk_store_tree_take (jk_store_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    char *command = msg ? zmsg_popstr (msg) : NULL;
    uint64_t size;
    uint8_t head[JK_HASH_SIZE];
    if (command && streq (command, "TREE") &&
        jk_tree_update_open (msg, &size, head) == JK_OK &&
        size >= self->tree_next) {
        self->tree_next = size;
        memcpy (self->tree_next_head, head, JK_HASH_SIZE);
        zframe_t *frame;
        while ((frame = zmsg_pop (msg))) {
            if (!self->tree_tiles) {
                self->tree_tiles = zmsg_new ();
                self->tree_tiles_mono = jk_clock_mono_ms ();
            }
            zmsg_append (self->tree_tiles, &frame);
        }
        if (!self->tree_tiles) {
            self->tree_size = size;
            memcpy (self->tree_head, head, JK_HASH_SIZE);
        }
    }
    free (command);
    zmsg_destroy (msg_p);
}

/* Stores the waiting tiles in the open transaction: JK_OK or JK_IO. */
int jk_store_tree_put (jk_store_t *self)
{
    if (!self->tree_tiles)
        return JK_OK;
    for (zframe_t *f = zmsg_first (self->tree_tiles); f;
         f = zmsg_next (self->tree_tiles)) {
        int level;
        uint64_t idx;
        const uint8_t *hashes;
        uint32_t width;
        if (jk_tree_tile (f, &level, &idx, &hashes, &width) != JK_OK ||
            jk_log_put_tile (self->log, level, idx, hashes, width) != JK_OK)
            return JK_IO;
    }
    return JK_OK;
}

/* The transaction holding the waiting tiles committed. */
void jk_store_tree_stored (jk_store_t *self)
{
    zmsg_destroy (&self->tree_tiles);
    self->tree_size = self->tree_next;
    memcpy (self->tree_head, self->tree_next_head, JK_HASH_SIZE);
}

/* Stores the waiting tiles in a transaction of their own: when no batch
   took them within S_IDLE_CHECKPOINT_MS, when a checkpoint waits for
   them, at start and at a clean stop. */
void jk_store_tree_flush (jk_store_t *self)
{
    if (!self->tree_tiles || self->fatal)
        return;
    int rc = jk_log_begin (self->log);
    if (rc == JK_OK && jk_store_tree_put (self) != JK_OK) {
        jk_log_rollback (self->log);
        rc = JK_IO;
    } else if (rc == JK_OK)
        rc = jk_log_commit (self->log);
    self->tree_tiles_mono = jk_clock_mono_ms (); /* retried after a while */
    if (rc == JK_OK) {
        jk_store_tree_stored (self);
        self->tree_failed = false;
        self->checkpoint_due = true;
    } else if (!self->tree_failed) {
        self->tree_failed = true;
        jk_error ("store",
                  "the Merkle tiles up to %llu records are not stored yet: "
                  "%s (stored with the next batch)",
                  (unsigned long long)self->tree_next,
                  jk_log_errmsg (self->log));
    }
}

/* Hands the tree thread count committed records, packed as for RECORDS,
   so it hashes them from memory instead of reading the log back:
   [LEAVES][records] on its feed queue, the records frame sharing its
   bytes with the broker's (a zmq_msg_copy). The writer never waits for
   the tree: a queue already full (JK_TREE_QUEUE batches on each side)
   takes nothing, and the tree reads those records from the log when the
   next batch shows it the gap, or after 100 ms (STATS tree_unfed counts
   them). While the tree is S_TREE_FED_MAX records or more behind, [WAKE]
   on its pipe instead (it reads the log). */
void jk_store_tree_feed (jk_store_t *self, zmq_msg_t *records, size_t count)
{
    if (!self->tree)
        return;
    if (jk_log_head (self->log, NULL) - self->tree_next >= S_TREE_FED_MAX) {
        zmq_send (zsock_resolve (self->tree), "WAKE", 4, ZMQ_DONTWAIT);
        return;
    }
    void *feed = zsock_resolve (self->tree_feed);
    if (zmq_send (feed, "LEAVES", 6, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        __atomic_add_fetch (&self->tree_unfed, count, __ATOMIC_RELEASE);
        return;
    }
    /* The queue took the first part: it takes the last. */
    zmq_msg_t copy;
    zmq_msg_init (&copy);
    zmq_msg_copy (&copy, records);
    if (zmq_msg_send (&copy, feed, 0) < 0)
        zmq_msg_close (&copy);
}

/* Takes the Merkle tree off the writer: the follower catches up with the
   committed log (jk_log_open stored every tile it lacked), its tiles are
   stored, and it goes on on its own thread. 0 or -1 (logged). */
int jk_store_tree_init (jk_store_t *self, const char *db_path)
{
    char err[512];
    jk_tree_t *tree = jk_tree_new (db_path, err, sizeof err);
    if (!tree) {
        jk_error ("store", "%s", err);
        return -1;
    }
    jk_log_tree_apart (self->log);
    size_t added;
    do {
        if (jk_store_stop_asked (self, 0)) {
            jk_tree_destroy (&tree);
            return -1;
        }
        if (jk_tree_step (tree, 1u << 20, &added) != JK_OK) {
            jk_error ("store", "the Merkle tree cannot read the log");
            jk_tree_destroy (&tree);
            return -1;
        }
    } while (added > 0);
    zmsg_t *msg = jk_tree_update (tree);
    jk_store_tree_take (self, &msg);
    jk_store_tree_flush (self);
    uint64_t head = jk_log_head (self->log, NULL);
    if (self->tree_size != head) {
        jk_error (
            "store", "the Merkle tree stops at %llu records, the log at %llu",
            (unsigned long long)self->tree_size, (unsigned long long)head);
        jk_tree_destroy (&tree);
        return -1;
    }
    /* The feed queue: bound here, connected by the tree thread. */
    /* Named by a serial, not by self's address: a store started after
       another on the same thread stack gets the same address while the
       old socket's inproc name may not be released yet (EADDRINUSE). */
    static unsigned serial;
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://jejak-tree-feed-%u",
              __atomic_add_fetch (&serial, 1, __ATOMIC_RELAXED));
    self->tree_feed = zsock_new (ZMQ_PAIR);
    zsock_set_sndhwm (self->tree_feed, JK_TREE_QUEUE);
    zsock_set_linger (self->tree_feed, 0);
    char why[128];
    if (jk_endpoint_bind (self->tree_feed, endpoint, why, sizeof why) != 0) {
        jk_error ("store", "cannot bind the tree's feed %s: %s", endpoint, why);
        jk_tree_destroy (&tree);
        return -1;
    }
    self->tree = jk_tree_start (&tree, endpoint, &self->tree_unfed);
    return self->tree ? 0 : -1;
}

/* Runs without the Merkle tree (a bench and diagnostic switch,
   docs/OPERATIONS.md): the log appends without hashing, no tree thread,
   no tiles stored after the size the tree had at start (the next start
   with the tree stores them from the records). */
void jk_store_tree_off (jk_store_t *self)
{
    jk_log_tree_apart (self->log);
    jk_tiles_t *tiles = jk_log_tiles (self->log);
    self->tree_size = self->tree_next = jk_tiles_size (tiles);
    jk_tiles_head (tiles, self->tree_head);
    memcpy (self->tree_next_head, self->tree_head, JK_HASH_SIZE);
    jk_warn ("store",
             "running without the Merkle tree (--no-tree): no tiles, no "
             "checkpoints, no proofs beyond %llu records",
             (unsigned long long)self->tree_size);
}

/* A clean stop stores the tree up to the log's head first (the next
   start would store the tiles it lacks otherwise), then stops it. */
void jk_store_tree_stop (jk_store_t *self)
{
    if (!self->tree) {
        zsock_destroy (&self->tree_feed);
        return;
    }
    if (self->log && !self->fatal) {
        uint64_t head = jk_log_head (self->log, NULL);
        int64_t deadline = jk_clock_mono_ms () + S_MODEL_WAIT_MS;
        zsock_set_rcvtimeo (self->tree, 100);
        zstr_send (self->tree, "WAKE");
        while (self->tree_next < head && jk_clock_mono_ms () < deadline) {
            zmsg_t *msg = zmsg_recv (self->tree);
            if (msg)
                jk_store_tree_take (self, &msg);
        }
        jk_store_tree_flush (self);
    }
    zactor_destroy (&self->tree);
    zsock_destroy (&self->tree_feed);
    zmsg_destroy (&self->tree_tiles);
}
