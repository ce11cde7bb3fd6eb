/*  tree.c - the Merkle tree behind the writer (jk_tree.h): the tile
    follower, fed the records the writer committed from its memory, with
    its own read-only connection to the log for what it was not fed, and
    the thread the store runs it on. */
#define _GNU_SOURCE
#include "jk_tree.h"
#include "jk_fault.h"
#include "jk_log.h"
#include "jk_tiles.h"
#include "jk_wire.h"

#include <assert.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG         "tree"
#define S_STEP_MAX  4096 /* records per step */
#define S_IDLE_MS   100  /* look at the log this often when not woken */
#define S_TILE_HEAD 9    /* level u8, idx u64 */
#define S_NICE      10   /* the thread's nice value above the store's */

struct jk_tree_s {
    sqlite3 *db;
    jk_tiles_t *tiles;
};

jk_tree_t *jk_tree_new (const char *log_path, char *err, size_t err_size)
{
    jk_tree_t *self = jk_calloc (1, sizeof *self);
    if (sqlite3_open_v2 (log_path, &self->db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK) {
        snprintf (err, err_size, "the Merkle tree cannot read the log: %s",
                  sqlite3_errmsg (self->db));
        jk_tree_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, 5000);
    self->tiles = jk_tiles_follow (self->db, err, err_size);
    if (!self->tiles)
        jk_tree_destroy (&self);
    return self;
}

void jk_tree_destroy (jk_tree_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_tree_t *self = *self_p;
    jk_tiles_destroy (&self->tiles);
    if (self->db)
        sqlite3_close (self->db);
    free (self);
    *self_p = NULL;
}

int jk_tree_step (jk_tree_t *self, size_t max, size_t *added)
{
    return jk_tiles_follow_step (self->tiles, max, added);
}

int jk_tree_feed (jk_tree_t *self, const uint8_t *records, size_t size,
                  size_t *added)
{
    *added = 0;
    jk_tiles_t *tiles = self->tiles;
    size_t offset = 0;
    jk_record_t r;
    int rc = JK_OK, next;
    while (rc == JK_OK &&
           (next = jk_records_next (records, size, &offset, &r)) == 0) {
        uint64_t have = jk_tiles_size (tiles);
        if (r.pos <= have)
            continue; /* the log gave it already */
        if (r.pos > have + 1) {
            /* Records it was not fed: from the log, up to this one. */
            size_t read = 0;
            rc =
                jk_tiles_follow_step (tiles, (size_t)(r.pos - 1 - have), &read);
            *added += read;
            if (rc != JK_OK || jk_tiles_size (tiles) != r.pos - 1)
                return JK_IO;
        }
        bool rejected = jk_record_rejected (&r);
        uint8_t leaf[JK_MERKLE_HASH];
        jk_mhash_record (jk_tiles_hasher (tiles), r.pos, r.recorded_at,
                         rejected ? JK_LOG_REJECTED : JK_LOG_ACCEPTED,
                         rejected ? r.code : NULL, rejected ? r.message : NULL,
                         r.bytes, r.size, leaf);
        rc = jk_tiles_append (tiles, leaf);
        (*added)++;
    }
    jk_tiles_commit (tiles);
    return rc == JK_OK && next == 1 ? JK_OK : rc == JK_OK ? JK_INVALID : rc;
}

uint64_t jk_tree_size (jk_tree_t *self)
{
    return jk_tiles_size (self->tiles);
}

void jk_tree_head (jk_tree_t *self, uint8_t out[JK_MERKLE_HASH])
{
    jk_tiles_head (self->tiles, out);
}

zmsg_t *jk_tree_update (jk_tree_t *self)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "TREE");
    uint8_t size[8], head[JK_MERKLE_HASH];
    uint64_t n = jk_tiles_size (self->tiles);
    for (int i = 0; i < 8; i++)
        size[i] = (uint8_t)(n >> (56 - 8 * i));
    zmsg_addmem (msg, size, sizeof size);
    jk_tiles_head (self->tiles, head);
    zmsg_addmem (msg, head, sizeof head);
    for (size_t i = 0; i < jk_tiles_out_count (self->tiles); i++) {
        int level;
        uint64_t idx;
        const uint8_t *hashes;
        uint32_t width =
            jk_tiles_out_at (self->tiles, i, &level, &idx, &hashes);
        size_t bytes = (size_t)width * JK_MERKLE_HASH;
        zframe_t *frame = zframe_new (NULL, S_TILE_HEAD + bytes);
        uint8_t *p = zframe_data (frame);
        p[0] = (uint8_t)level;
        for (int b = 0; b < 8; b++)
            p[1 + b] = (uint8_t)(idx >> (56 - 8 * b));
        memcpy (p + S_TILE_HEAD, hashes, bytes);
        zmsg_append (msg, &frame);
    }
    jk_tiles_out_clear (self->tiles);
    return msg;
}

int jk_tree_update_open (zmsg_t *msg, uint64_t *size,
                         uint8_t head[JK_MERKLE_HASH])
{
    zframe_t *a = zmsg_pop (msg);
    zframe_t *b = zmsg_pop (msg);
    int rc = JK_INVALID;
    if (a && b && zframe_size (a) == 8 && zframe_size (b) == JK_MERKLE_HASH) {
        const uint8_t *p = zframe_data (a);
        *size = 0;
        for (int i = 0; i < 8; i++)
            *size = *size << 8 | p[i];
        memcpy (head, zframe_data (b), JK_MERKLE_HASH);
        rc = JK_OK;
    }
    zframe_destroy (&a);
    zframe_destroy (&b);
    return rc;
}

int jk_tree_tile (zframe_t *frame, int *level, uint64_t *idx,
                  const uint8_t **hashes, uint32_t *width)
{
    size_t size = zframe_size (frame);
    if (size <= S_TILE_HEAD || (size - S_TILE_HEAD) % JK_MERKLE_HASH != 0 ||
        size - S_TILE_HEAD > JK_MERKLE_TILE_WIDTH * JK_MERKLE_HASH)
        return JK_INVALID;
    const uint8_t *p = zframe_data (frame);
    *level = p[0];
    *idx = 0;
    for (int b = 0; b < 8; b++)
        *idx = *idx << 8 | p[1 + b];
    *hashes = p + S_TILE_HEAD;
    *width = (uint32_t)((size - S_TILE_HEAD) / JK_MERKLE_HASH);
    return JK_OK;
}

/* ---- the thread -------------------------------------------------------------
 */

/* Reads the committed log after the tree's size, step by step, sending
   an update after each step that added records. */
static void s_catch_up (jk_tree_t *self, zsock_t *pipe, bool *failing)
{
    size_t added = 0;
    do {
        int rc = jk_tree_step (self, S_STEP_MAX, &added);
        if (rc != JK_OK && !*failing)
            jk_error (LOG,
                      "the Merkle tree stops at %llu records: %s (retried)",
                      (unsigned long long)jk_tree_size (self),
                      sqlite3_errmsg (self->db));
        *failing = rc != JK_OK;
        if (added > 0) {
            zmsg_t *msg = jk_tree_update (self);
            zmsg_send (&msg, pipe);
        }
    } while (added > 0);
}

/* One message from the writer: LEAVES feeds records (JK_OK, or not when
   they did not join the tree: the log is read then), WAKE asks for the
   log to be read, $TERM (or a message that is none: the pipe closed)
   stops. Counts what was fed into *added. */
static int s_command (jk_tree_t *self, zmsg_t *msg, bool stalled,
                      bool *terminated, size_t *added)
{
    char *command = msg ? zmsg_popstr (msg) : NULL;
    int rc = JK_OK;
    if (!command || streq (command, "$TERM"))
        *terminated = true;
    else if (streq (command, "WAKE"))
        rc = JK_NOT_FOUND;
    else if (streq (command, "LEAVES") && !stalled) {
        zframe_t *frame = zmsg_first (msg);
        size_t fed = 0;
        rc = frame ? jk_tree_feed (self, zframe_data (frame),
                                   zframe_size (frame), &fed)
                   : JK_INVALID;
        *added += fed;
    }
    free (command);
    return rc;
}

/* The tree thread yields the cores to the ack path (docs/ARCHITECTURE.md,
   "The tree behind the writer"): it runs S_NICE nicer than the store's
   threads (at most 19), named "jejak-tree" for top -H and ps -L. */
static void s_yield_to_writer (void)
{
    jk_thread_enter ("jejak-tree");
    if (jk_thread_nicer (S_NICE) != JK_OK)
        jk_warn (LOG, "the tree thread keeps the store's priority: %s",
                 strerror (errno));
}

typedef struct {
    jk_tree_t *tree;
    char feed[128];        /* the writer's feed queue */
    const uint64_t *unfed; /* the writer's count (tree_paused) */
} s_args_t;

/* Under the fault tree_paused: nothing is taken from the feed queue until
   the writer found it full (tests: a full queue loses no leaf). */
static bool s_paused (const s_args_t *args, jk_fault_t fault)
{
    return fault == JK_FAULT_TREE_PAUSED && args->unfed &&
           __atomic_load_n (args->unfed, __ATOMIC_ACQUIRE) == 0;
}

static void s_tree_actor (zsock_t *pipe, void *arg)
{
    s_args_t args = *(s_args_t *)arg;
    jk_tree_t *self = args.tree;
    s_yield_to_writer ();
    zsock_t *feed = zsock_new (ZMQ_PAIR);
    zsock_set_rcvhwm (feed, JK_TREE_QUEUE);
    bool up = zsock_connect (feed, "%s", args.feed) == 0;
    /* Fault injection for tests: the tree stays where the store started
       it, however far the log goes; or it takes nothing from its queue
       until the writer found it full (docs/ARCHITECTURE.md). Read before
       the handshake: a test that sets JEJAK_FAULT for the store's start
       only (in process) unsets it as soon as the start returned. */
    jk_fault_t fault = jk_fault_from_env (LOG);
    bool stalled = fault == JK_FAULT_TREE_STALLED;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, feed, NULL);
    zpoller_set_nonstop (poller, true);
    bool terminated = !up, failing = false;
    while (!terminated) {
        if (s_paused (&args, fault)) {
            /* Only $TERM is heard meanwhile. */
            if (zsock_events (pipe) & ZMQ_POLLIN) {
                zmsg_t *msg = zmsg_recv (pipe);
                size_t ignored = 0;
                s_command (self, msg, true, &terminated, &ignored);
                zmsg_destroy (&msg);
            } else
                zclock_sleep (5);
            continue;
        }
        /* Idle for S_IDLE_MS: the log is read (records the writer could
           not hand over). */
        bool read_log = zpoller_wait (poller, S_IDLE_MS) == NULL;
        size_t added = 0;
        bool more = true;
        while (!terminated && more) {
            zsock_t *from = (zsock_events (pipe) & ZMQ_POLLIN)   ? pipe
                            : (zsock_events (feed) & ZMQ_POLLIN) ? feed
                                                                 : NULL;
            more = from != NULL;
            if (!from)
                break;
            zmsg_t *msg = zmsg_recv (from);
            if (s_command (self, msg, stalled, &terminated, &added) != JK_OK)
                read_log = true;
            zmsg_destroy (&msg);
            bool waiting = (zsock_events (pipe) & ZMQ_POLLIN) ||
                           (zsock_events (feed) & ZMQ_POLLIN);
            if (added >= S_STEP_MAX || (added > 0 && !waiting)) {
                zmsg_t *update = jk_tree_update (self);
                zmsg_send (&update, pipe);
                added = 0;
            }
        }
        if (read_log && !terminated && !stalled)
            s_catch_up (self, pipe, &failing);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&feed);
    jk_tree_destroy (&self);
    /* This thread's OpenSSL state goes with it. */
    OPENSSL_thread_stop ();
}

zactor_t *jk_tree_start (jk_tree_t **tree_p, const char *feed_endpoint,
                         const uint64_t *unfed)
{
    assert (tree_p && *tree_p && feed_endpoint);
    s_args_t args = {.tree = *tree_p, .unfed = unfed};
    snprintf (args.feed, sizeof args.feed, "%s", feed_endpoint);
    *tree_p = NULL; /* the thread owns it now */
    return zactor_new (s_tree_actor, &args);
}
