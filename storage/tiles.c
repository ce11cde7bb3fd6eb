/* Whole at ~900 lines: one class; writer, follower, reader share the edge. */
/*  tiles.c - the Merkle tree's tiles in the log's database (jk_merkle.h):
    the writer's right edge (one partial tile per level, flushed as tiles
    fill, inside the log's transaction), the follower that computes the
    same edge from the committed log on its own connection and hands the
    tiles it completes to the writer, a reader answering node hashes for
    proofs from cached tiles, and the check that compares stored tiles
    with the tree recomputed from the log. */
#include "jk_tiles.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LEVELS 8 /* 256^8 = 2^64 leaves */
/* Tiles kept expanded by a reader: level-0 tiles in the first
   S_CACHE_LEAVES slots, level-1 tiles in the next S_CACHE_L1, higher ones
   in the last S_CACHE_UP, so the few upper tiles every proof needs are
   never pushed out by the random leaf tiles (up to 496 level-1 tiles:
   32.5M records without a collision among them). 16 MiB. */
#define S_CACHE_LEAVES 512
#define S_CACHE_L1     496
#define S_CACHE_UP     16
#define S_CACHE        (S_CACHE_LEAVES + S_CACHE_L1 + S_CACHE_UP)
#define S_WIDTH        JK_MERKLE_TILE_WIDTH
#define S_HASH         JK_MERKLE_HASH
/* Nodes of one expanded tile: 256 + 128 + ... + 1. */
#define S_NODES (2 * S_WIDTH - 1)

/* The partial tile of one level. */
typedef struct {
    uint64_t tiles; /* full tiles before it */
    uint32_t width; /* hashes in it */
    bool dirty;     /* changed in the open transaction */
    uint8_t hashes[S_WIDTH][S_HASH];
} s_level_t;

/* A tile a follower completed, for the writer to store. */
typedef struct {
    int level;
    uint64_t idx;
    uint32_t width;
    uint8_t hashes[S_WIDTH][S_HASH];
} s_out_t;

/* A tile with every complete node inside it. */
typedef struct {
    int level; /* -1: empty slot */
    uint64_t idx;
    uint32_t width;
    uint8_t nodes[S_NODES][S_HASH];
} s_tile_t;

struct jk_tiles_s {
    sqlite3 *db;
    jk_mhash_t *mh;
    sqlite3_stmt *put;  /* INSERT OR REPLACE a tile */
    sqlite3_stmt *get;  /* one tile */
    sqlite3_stmt *rows; /* log records from a position */
    /* The writer's edge: current, and as of the last commit. */
    s_level_t *level, *committed;
    uint64_t size, committed_size;
    jk_merkle_edge_t edge, committed_edge;
    /* The reader's cache. */
    s_tile_t *cache;
    /* A follower: tiles to store go to out instead of the database. */
    bool follow;
    s_out_t *out;
    size_t out_count, out_cap;
};

static const char s_create[] = "CREATE TABLE IF NOT EXISTS merkle_tile ("
                               " level INTEGER NOT NULL,"
                               " idx INTEGER NOT NULL,"
                               " hashes BLOB NOT NULL,"
                               " PRIMARY KEY (level, idx))";

int jk_tiles_create (sqlite3 *db)
{
    return sqlite3_exec (db, s_create, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int s_prepare (jk_tiles_t *self)
{
    return sqlite3_prepare_v3 (
               self->db,
               "INSERT OR REPLACE INTO merkle_tile (level, idx, hashes)"
               " VALUES (?, ?, ?)",
               -1, SQLITE_PREPARE_PERSISTENT, &self->put, NULL) == SQLITE_OK &&
                   sqlite3_prepare_v3 (self->db,
                                       "SELECT hashes FROM merkle_tile"
                                       " WHERE level = ? AND idx = ?",
                                       -1, SQLITE_PREPARE_PERSISTENT,
                                       &self->get, NULL) == SQLITE_OK &&
                   sqlite3_prepare_v3 (
                       self->db,
                       "SELECT pos, recorded_at, outcome, code, message, bytes"
                       " FROM log WHERE pos > ? AND pos <= ? ORDER BY pos",
                       -1, SQLITE_PREPARE_PERSISTENT, &self->rows,
                       NULL) == SQLITE_OK
               ? 0
               : -1;
}

static jk_tiles_t *s_new (sqlite3 *db)
{
    jk_tiles_t *self = jk_calloc (1, sizeof *self);
    self->db = db;
    self->mh = jk_mhash_new ();
    return self;
}

void jk_tiles_destroy (jk_tiles_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_tiles_t *self = *self_p;
    sqlite3_finalize (self->put);
    sqlite3_finalize (self->get);
    sqlite3_finalize (self->rows);
    jk_mhash_destroy (&self->mh);
    free (self->level);
    free (self->committed);
    free (self->cache);
    free (self->out);
    free (self);
    *self_p = NULL;
}

jk_mhash_t *jk_tiles_hasher (jk_tiles_t *self)
{
    return self->mh;
}

/* Reads tile (level, idx) into out; returns its width, 0 when absent, -1
   on a SQLite failure or a blob that is not whole hashes. */
static int s_get (jk_tiles_t *self, int level, uint64_t idx,
                  uint8_t out[S_WIDTH][S_HASH])
{
    sqlite3_stmt *s = self->get;
    sqlite3_bind_int (s, 1, level);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64)idx);
    int rc = sqlite3_step (s);
    int width = rc == SQLITE_DONE ? 0 : -1;
    if (rc == SQLITE_ROW) {
        int size = sqlite3_column_bytes (s, 0);
        if (size > 0 && size % S_HASH == 0 && size <= S_WIDTH * S_HASH) {
            memcpy (out, sqlite3_column_blob (s, 0), (size_t)size);
            width = size / S_HASH;
        }
    }
    sqlite3_reset (s);
    return width;
}

/* A follower's tile to store: the newest version of (level, idx)
   replaces an older one still waiting. */
static void s_out (jk_tiles_t *self, int level, uint64_t idx,
                   uint8_t hashes[][S_HASH], uint32_t width)
{
    s_out_t *o = NULL;
    for (size_t i = 0; i < self->out_count && !o; i++)
        if (self->out[i].level == level && self->out[i].idx == idx)
            o = &self->out[i];
    if (!o) {
        if (self->out_count == self->out_cap) {
            self->out_cap = self->out_cap ? 2 * self->out_cap : 4;
            self->out =
                jk_realloc (self->out, self->out_cap * sizeof (s_out_t));
        }
        o = &self->out[self->out_count++];
    }
    o->level = level;
    o->idx = idx;
    o->width = width;
    memcpy (o->hashes, hashes, (size_t)width * S_HASH);
}

static int s_put (jk_tiles_t *self, int level, uint64_t idx,
                  uint8_t hashes[][S_HASH], uint32_t width)
{
    if (self->follow) {
        s_out (self, level, idx, hashes, width);
        return JK_OK;
    }
    return jk_tiles_put (self, level, idx, hashes[0], width);
}

/* Pushes a leaf onto the tree's right edge (jk_merkle_edge_push_each,
   which hears of each merge of two equal subtrees: one node hash). A
   merge that makes a node of height 8(L+1) has just completed a tile of
   level L, and that node is the tile's root, the next hash of level L+1:
   up (arg, L+1, root) hears of it, in order from the lowest level. So
   the tiles cost no hash of their own beyond the edge's one per leaf.
   JK_OK, or what up returned. */
typedef int (s_up_fn) (void *arg, int level, const uint8_t hash[S_HASH]);

typedef struct {
    s_up_fn *up;
    void *arg;
} s_up_t;

/* A merge on the right edge (jk_merkle_edge_push_each): a node of a
   height that is a multiple of the tile height, and of a level kept. */
static int s_merged (void *arg, int height, const uint8_t hash[S_HASH])
{
    s_up_t *to = arg;
    int level = height / JK_MERKLE_TILE_HEIGHT;
    if (height % JK_MERKLE_TILE_HEIGHT != 0 || level >= S_LEVELS)
        return JK_OK;
    return to->up (to->arg, level, hash);
}

static int s_edge_push (jk_merkle_edge_t *edge, jk_mhash_t *mh,
                        const uint8_t leaf[S_HASH], s_up_fn *up, void *arg)
{
    s_up_t to = {up, arg};
    return jk_merkle_edge_push_each (edge, mh, leaf, s_merged, &to);
}

/* Adds a hash to level's partial tile and stores tiles as the rules say
   (a full one is then closed: its root reaches the level above through
   s_edge_push). */
static int s_push (void *arg, int level, const uint8_t hash[S_HASH])
{
    jk_tiles_t *self = arg;
    assert (level < S_LEVELS);
    s_level_t *lv = &self->level[level];
    memcpy (lv->hashes[lv->width++], hash, S_HASH);
    lv->dirty = true;
    bool full = lv->width == S_WIDTH;
    if ((level > 0 || full) &&
        s_put (self, level, lv->tiles, lv->hashes, lv->width) != JK_OK)
        return JK_IO;
    if (full) {
        lv->tiles++;
        lv->width = 0;
    }
    return JK_OK;
}

int jk_tiles_append (jk_tiles_t *self, const uint8_t leaf[JK_MERKLE_HASH])
{
    assert (self->level);
    if (s_push (self, 0, leaf) != JK_OK ||
        s_edge_push (&self->edge, self->mh, leaf, s_push, self) != JK_OK)
        return JK_IO;
    self->size++;
    return JK_OK;
}

void jk_tiles_commit (jk_tiles_t *self)
{
    for (int l = 0; l < S_LEVELS; l++) {
        s_level_t *lv = &self->level[l];
        if (!lv->dirty)
            continue;
        s_level_t *to = &self->committed[l];
        to->tiles = lv->tiles;
        to->width = lv->width;
        memcpy (to->hashes, lv->hashes, (size_t)lv->width * S_HASH);
        lv->dirty = false;
    }
    self->committed_size = self->size;
    self->committed_edge = self->edge;
}

void jk_tiles_rollback (jk_tiles_t *self)
{
    for (int l = 0; l < S_LEVELS; l++) {
        s_level_t *lv = &self->level[l];
        if (!lv->dirty)
            continue;
        s_level_t *from = &self->committed[l];
        lv->tiles = from->tiles;
        lv->width = from->width;
        memcpy (lv->hashes, from->hashes, (size_t)from->width * S_HASH);
        lv->dirty = false;
    }
    self->size = self->committed_size;
    self->edge = self->committed_edge;
}

uint64_t jk_tiles_size (jk_tiles_t *self)
{
    return self->size;
}

void jk_tiles_head (jk_tiles_t *self, uint8_t out[JK_MERKLE_HASH])
{
    jk_merkle_edge_root (&self->edge, self->mh, out);
}

/* Hashes log records (after, until] as leaves into out (at most S_WIDTH);
   returns how many, -1 on a SQLite failure. */
static int s_log_leaves (jk_tiles_t *self, uint64_t after, uint64_t until,
                         uint8_t out[][S_HASH])
{
    sqlite3_stmt *s = self->rows;
    sqlite3_bind_int64 (s, 1, (sqlite3_int64)after);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64)until);
    int n = 0, rc;
    while ((rc = sqlite3_step (s)) == SQLITE_ROW) {
        uint64_t pos = (uint64_t)sqlite3_column_int64 (s, 0);
        if (pos != after + (uint64_t)n + 1)
            break; /* a missing position: the leaves stop before it */
        int outcome = sqlite3_column_int (s, 2);
        bool rejected = outcome != 0;
        jk_mhash_record (
            self->mh, pos, sqlite3_column_int64 (s, 1), outcome,
            rejected ? (const char *)sqlite3_column_text (s, 3) : NULL,
            rejected ? (const char *)sqlite3_column_text (s, 4) : NULL,
            sqlite3_column_blob (s, 5), (size_t)sqlite3_column_bytes (s, 5),
            out[n]);
        n++;
    }
    sqlite3_reset (s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

/* Loads the stored right edge; returns the leaves the stored tiles cover
   (full level-0 tiles), or -1 when the levels disagree (a damaged tree). */
static int64_t s_load (jk_tiles_t *self)
{
    int64_t covered = -1, leaves = 0;
    sqlite3_stmt *last = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT idx, length(hashes) FROM merkle_tile"
                            " WHERE level = ? ORDER BY idx DESC LIMIT 1",
                            -1, &last, NULL) != SQLITE_OK)
        goto done;
    uint64_t below = 0; /* full tiles of the level below */
    for (int l = 0; l < S_LEVELS; l++) {
        s_level_t *lv = &self->level[l];
        sqlite3_bind_int (last, 1, l);
        uint64_t idx = 0;
        int width = 0;
        if (sqlite3_step (last) == SQLITE_ROW) {
            idx = (uint64_t)sqlite3_column_int64 (last, 0);
            width = sqlite3_column_int (last, 1) / S_HASH;
        }
        sqlite3_reset (last);
        lv->tiles = 0;
        lv->width = 0;
        if (width == S_WIDTH)
            lv->tiles = idx + 1;
        else if (width > 0 && l > 0) {
            lv->tiles = idx;
            int got = s_get (self, l, idx, lv->hashes);
            if (got <= 0)
                goto done;
            lv->width = (uint32_t)got;
        } else if (width > 0)
            goto done; /* a partial level-0 tile is never stored */
        uint64_t nodes = lv->tiles * S_WIDTH + lv->width;
        if (l == 0)
            leaves = (int64_t)nodes;
        else if (nodes != below)
            goto done;
        below = lv->tiles;
    }
    covered = leaves;
done:
    sqlite3_finalize (last);
    return covered;
}

/* The edge over the first `covered` leaves (a multiple of 256): one
   perfect subtree per set bit, each read from the upper tiles. */
static int s_load_edge (jk_tiles_t *self, uint64_t covered)
{
    uint64_t start = 0;
    int rc = JK_OK;
    for (int h = 63; h >= 0 && rc == JK_OK; h--) {
        if (!(covered >> h & 1))
            continue;
        rc = jk_tiles_node (self, h, start >> h,
                            self->edge.hashes[self->edge.count++]);
        start += (uint64_t)1 << h;
    }
    self->edge.size = covered;
    /* The writer keeps no reader cache. */
    free (self->cache);
    self->cache = NULL;
    return rc;
}

jk_tiles_t *jk_tiles_open (sqlite3 *db, uint64_t head_pos, char *err,
                           size_t err_size)
{
    jk_tiles_t *self = s_new (db);
    self->level = jk_calloc (S_LEVELS, sizeof (s_level_t));
    self->committed = jk_calloc (S_LEVELS, sizeof (s_level_t));
    if (jk_tiles_create (db) || s_prepare (self)) {
        snprintf (err, err_size, "merkle tiles: %s", sqlite3_errmsg (db));
        jk_tiles_destroy (&self);
        return NULL;
    }
    int64_t covered = s_load (self);
    bool begun = false;
    if (covered < 0 || (uint64_t)covered > head_pos) {
        /* Tiles that disagree with each other or with the log: the tree is
           derived data, so it is stored again from the log. */
        fprintf (stderr,
                 "jejak: the Merkle tiles do not match the log; storing "
                 "them again from the log\n");
        if (sqlite3_exec (db, "BEGIN IMMEDIATE; DELETE FROM merkle_tile", NULL,
                          NULL, NULL) != SQLITE_OK)
            goto fail;
        begun = true;
        memset (self->level, 0, S_LEVELS * sizeof (s_level_t));
        covered = 0;
    }
    if (s_load_edge (self, (uint64_t)covered) != JK_OK)
        goto fail;
    self->size = (uint64_t)covered;
    /* The leaves after the stored tiles come from the log; a whole tile or
       more of them means tiles to store. */
    if (!begun && head_pos - (uint64_t)covered >= S_WIDTH) {
        if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
        begun = true;
    }
    uint8_t (*leaves)[S_HASH] = jk_calloc (S_WIDTH, S_HASH);
    while (self->size < head_pos) {
        uint64_t until =
            self->size + S_WIDTH < head_pos ? self->size + S_WIDTH : head_pos;
        int n = s_log_leaves (self, self->size, until, leaves);
        if (n <= 0 || (uint64_t)n != until - self->size) {
            free (leaves);
            goto fail;
        }
        for (int i = 0; i < n; i++)
            if (jk_tiles_append (self, leaves[i]) != JK_OK) {
                free (leaves);
                goto fail;
            }
    }
    free (leaves);
    if (begun && sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (int l = 0; l < S_LEVELS; l++)
        self->level[l].dirty = true;
    jk_tiles_commit (self);
    return self;
fail:
    snprintf (err, err_size, "merkle tiles: %s", sqlite3_errmsg (db));
    if (begun)
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    jk_tiles_destroy (&self);
    return NULL;
}

/* ---- the follower ---------------------------------------------------------
 */

jk_tiles_t *jk_tiles_follow (sqlite3 *db, char *err, size_t err_size)
{
    jk_tiles_t *self = s_new (db);
    self->level = jk_calloc (S_LEVELS, sizeof (s_level_t));
    self->committed = jk_calloc (S_LEVELS, sizeof (s_level_t));
    self->follow = true;
    if (s_prepare (self)) {
        snprintf (err, err_size, "merkle tiles: %s", sqlite3_errmsg (db));
        jk_tiles_destroy (&self);
        return NULL;
    }
    int64_t covered = s_load (self);
    if (covered < 0) {
        snprintf (err, err_size,
                  "merkle tiles: the stored tiles disagree with each other");
        jk_tiles_destroy (&self);
        return NULL;
    }
    if (s_load_edge (self, (uint64_t)covered) != JK_OK) {
        snprintf (err, err_size, "merkle tiles: %s", sqlite3_errmsg (db));
        jk_tiles_destroy (&self);
        return NULL;
    }
    self->size = (uint64_t)covered;
    for (int l = 0; l < S_LEVELS; l++)
        self->level[l].dirty = true;
    jk_tiles_commit (self);
    return self;
}

int jk_tiles_follow_step (jk_tiles_t *self, size_t max, size_t *added)
{
    assert (self->follow);
    *added = 0;
    uint8_t (*leaves)[S_HASH] = jk_calloc (S_WIDTH, S_HASH);
    int rc = JK_OK;
    while (*added < max) {
        /* Up to the end of the current level-0 tile, so each read ends
           where a tile may be complete. */
        uint64_t room = S_WIDTH - self->size % S_WIDTH;
        if (room > max - *added)
            room = max - *added;
        int n = s_log_leaves (self, self->size, self->size + room, leaves);
        if (n < 0) {
            rc = JK_IO;
            break;
        }
        for (int i = 0; i < n; i++)
            jk_tiles_append (self, leaves[i]);
        *added += (size_t)n;
        if ((uint64_t)n < room)
            break; /* the committed log ends here */
    }
    free (leaves);
    jk_tiles_commit (self);
    return rc;
}

size_t jk_tiles_out_count (jk_tiles_t *self)
{
    return self->out_count;
}

uint32_t jk_tiles_out_at (jk_tiles_t *self, size_t i, int *level, uint64_t *idx,
                          const uint8_t **hashes)
{
    assert (i < self->out_count);
    *level = self->out[i].level;
    *idx = self->out[i].idx;
    *hashes = self->out[i].hashes[0];
    return self->out[i].width;
}

void jk_tiles_out_clear (jk_tiles_t *self)
{
    self->out_count = 0;
}

int jk_tiles_put (jk_tiles_t *self, int level, uint64_t idx,
                  const uint8_t *hashes, uint32_t width)
{
    if (level < 0 || level >= S_LEVELS || width == 0 || width > S_WIDTH)
        return JK_INVALID;
    sqlite3_stmt *s = self->put;
    sqlite3_bind_int (s, 1, level);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64)idx);
    sqlite3_bind_blob (s, 3, hashes, (int)(width * S_HASH), SQLITE_STATIC);
    int rc = sqlite3_step (s);
    sqlite3_reset (s);
    sqlite3_clear_bindings (s);
    return rc == SQLITE_DONE ? JK_OK : JK_IO;
}

jk_tiles_t *jk_tiles_reader (sqlite3 *db)
{
    jk_tiles_t *self = s_new (db);
    self->cache = jk_calloc (S_CACHE, sizeof (s_tile_t));
    for (int i = 0; i < S_CACHE; i++)
        self->cache[i].level = -1;
    if (s_prepare (self)) {
        /* No tile table yet: every node is then looked for in vain. */
        sqlite3_finalize (self->put);
        self->put = NULL;
    }
    return self;
}

/* Offset of height h's first node inside an expanded tile. */
static int s_row (int h)
{
    return 2 * S_WIDTH - (2 * S_WIDTH >> h);
}

/* Fills tile's inner nodes from its bottom row (width hashes). */
static void s_expand (jk_mhash_t *mh, s_tile_t *tile)
{
    for (int h = 1; h <= JK_MERKLE_TILE_HEIGHT; h++) {
        uint32_t n = tile->width >> h;
        uint8_t (*below)[S_HASH] = tile->nodes + s_row (h - 1);
        uint8_t (*row)[S_HASH] = tile->nodes + s_row (h);
        for (uint32_t i = 0; i < n; i++)
            jk_mhash_node (mh, below[2 * i], below[2 * i + 1], row[i]);
    }
}

/* The tile (level, idx) with at least `need` hashes, from the cache or
   loaded; NULL with *rc. */
static s_tile_t *s_tile (jk_tiles_t *self, int level, uint64_t idx,
                         uint32_t need, int *rc)
{
    size_t slot = level == 0   ? idx % S_CACHE_LEAVES
                  : level == 1 ? S_CACHE_LEAVES + idx % S_CACHE_L1
                               : S_CACHE_LEAVES + S_CACHE_L1 +
                                     (idx * 7 + (uint64_t)level) % S_CACHE_UP;
    s_tile_t *tile = &self->cache[slot];
    if (tile->level == level && tile->idx == idx && tile->width >= need)
        return tile;
    if (!self->get) {
        *rc = JK_NOT_FOUND;
        return NULL;
    }
    int width = s_get (self, level, idx, tile->nodes);
    if (width < 0) {
        tile->level = -1;
        *rc = JK_IO;
        return NULL;
    }
    if (width == 0 && level == 0) {
        /* The partial level-0 tile: its leaves are the log's records. */
        width = s_log_leaves (self, idx * S_WIDTH, idx * S_WIDTH + S_WIDTH,
                              tile->nodes);
        if (width < 0) {
            tile->level = -1;
            *rc = JK_IO;
            return NULL;
        }
    }
    if ((uint32_t)width < need) {
        tile->level = -1;
        *rc = JK_NOT_FOUND;
        return NULL;
    }
    tile->level = level;
    tile->idx = idx;
    tile->width = (uint32_t)width;
    s_expand (self->mh, tile);
    return tile;
}

int jk_tiles_node (void *arg, int height, uint64_t index,
                   uint8_t out[JK_MERKLE_HASH])
{
    jk_tiles_t *self = arg;
    if (!self->cache) {
        self->cache = jk_calloc (S_CACHE, sizeof (s_tile_t));
        for (int i = 0; i < S_CACHE; i++)
            self->cache[i].level = -1;
    }
    int level = height / JK_MERKLE_TILE_HEIGHT;
    int h = height % JK_MERKLE_TILE_HEIGHT;
    uint64_t first = index << h; /* first hash of the tile's bottom row */
    uint64_t idx = first / S_WIDTH;
    uint32_t offset = (uint32_t)(first % S_WIDTH);
    int rc = JK_OK;
    s_tile_t *tile = s_tile (self, level, idx, offset + (1u << h), &rc);
    if (!tile)
        return rc;
    memcpy (out, tile->nodes[s_row (h) + (offset >> h)], S_HASH);
    return JK_OK;
}

/* ---- checking ------------------------------------------------------------ */

struct jk_tiles_check_s {
    jk_tiles_t *tiles;     /* the stored tiles (reader statements) */
    s_level_t *level;      /* the tree recomputed from the log */
    jk_merkle_edge_t edge; /* for the head */
    uint64_t leaves;       /* leaves added: the log's size so far */
    uint64_t stored;       /* leaves covered by stored level-0 tiles */
    bool ended;            /* a level-0 tile was missing: no more after */
    uint64_t missing;      /* the first missing level-0 tile, once ended */
    bool found;            /* a problem was found: the earliest in problem */
    jk_tiles_problem_t problem;
    uint8_t (*buf)[S_HASH];
};

jk_tiles_check_t *jk_tiles_check_new (sqlite3 *db)
{
    jk_tiles_t *tiles = s_new (db);
    if (s_prepare (tiles)) {
        jk_tiles_destroy (&tiles);
        return NULL;
    }
    jk_tiles_check_t *self = jk_calloc (1, sizeof *self);
    self->tiles = tiles;
    self->level = jk_calloc (S_LEVELS, sizeof (s_level_t));
    self->buf = jk_calloc (S_WIDTH, S_HASH);
    return self;
}

void jk_tiles_check_destroy (jk_tiles_check_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_tiles_check_t *self = *self_p;
    jk_tiles_destroy (&self->tiles);
    free (self->level);
    free (self->buf);
    free (self);
    *self_p = NULL;
}

/* The first log position (leaf index + 1) that hash of tile (level, idx)
   covers; UINT64_MAX past 2^64 - 1 (a stray tile's index). */
static uint64_t s_first_pos (int level, uint64_t idx, uint32_t hash)
{
    int shift = JK_MERKLE_TILE_HEIGHT * level;
    if (idx > (UINT64_MAX - hash) / S_WIDTH ||
        idx * S_WIDTH + hash > (UINT64_MAX - 1) >> shift)
        return UINT64_MAX;
    return ((idx * S_WIDTH + hash) << shift) + 1;
}

/* Records a problem of tile (level, idx), at one of its hashes (-1: the
   whole tile), that makes the stored tree wrong from position pos: kept
   unless one found before lies at an earlier position. */
static void s_found (jk_tiles_check_t *self, uint64_t pos, int level,
                     long long idx, int hash, const char *format, ...)
    __attribute__ ((format (printf, 6, 7)));

static void s_found (jk_tiles_check_t *self, uint64_t pos, int level,
                     long long idx, int hash, const char *format, ...)
{
    if (self->found && self->problem.pos <= pos)
        return;
    jk_tiles_problem_t *p = &self->problem;
    self->found = true;
    p->pos = pos;
    int n = snprintf (p->where, sizeof p->where, "tile level %d index %lld",
                      level, idx);
    if (hash >= 0 && n > 0 && (size_t)n < sizeof p->where)
        snprintf (p->where + n, sizeof p->where - (size_t)n, ", hash %d", hash);
    va_list args;
    va_start (args, format);
    vsnprintf (p->message, sizeof p->message, format, args);
    va_end (args);
}

/* Compares the recomputed tile of level with the stored one (full, or the
   partial upper tile at the end), recording what differs. */
static void s_compare (jk_tiles_check_t *self, int level, uint64_t idx,
                       uint8_t hashes[][S_HASH], uint32_t width)
{
    int stored = s_get (self->tiles, level, idx, self->buf);
    if (stored == 0 && level == 0) {
        /* The stored tree ends here (it lags the log), unless a tile
           after or above this one is stored. */
        if (!self->ended)
            self->missing = idx;
        self->ended = true;
        return;
    }
    /* Where the stored tree ends, the hashes its stored level-0 tiles
       owe this tile: an upper tile gains each one in the transaction
       that stores the full tile below it. */
    uint64_t owed = width;
    if (self->ended && level > 0) {
        uint64_t complete =
            (self->missing * S_WIDTH) >> (JK_MERKLE_TILE_HEIGHT * level);
        owed = complete > idx * S_WIDTH ? complete - idx * S_WIDTH : 0;
        if (owed > width)
            owed = width;
    }
    if (stored == 0 && self->ended && owed == 0)
        return; /* the stored tree ends before this tile's data */
    if (stored < 0) {
        s_found (self, s_first_pos (level, idx, 0), level, idx, -1,
                 "Merkle tile level %d index %llu is not a whole number of "
                 "hashes",
                 level, (unsigned long long)idx);
        return;
    }
    if (stored == 0) {
        /* An upper tile gains its hashes in the transaction that stores
           the tiles below them. */
        s_found (self, s_first_pos (level, idx, 0), level, idx, -1,
                 "Merkle tile level %d index %llu is missing but the tiles "
                 "below it are stored",
                 level, (unsigned long long)idx);
        return;
    }
    /* A stored tile whose hashes the log gives reach past the first
       missing level-0 tile: the stored tree's size says that one must
       exist (hashes the log does not give are said below). */
    uint32_t n = (uint32_t)stored < width ? (uint32_t)stored : width;
    if (self->ended && n > 0 &&
        idx * S_WIDTH + n >
            ((self->missing * S_WIDTH) >> (JK_MERKLE_TILE_HEIGHT * level))) {
        s_found (self, s_first_pos (0, self->missing, 0), 0, self->missing, -1,
                 "Merkle tile level 0 index %llu (positions %llu to %llu) is "
                 "missing but tile level %d index %llu %s it is stored",
                 (unsigned long long)self->missing,
                 (unsigned long long)s_first_pos (0, self->missing, 0),
                 (unsigned long long)s_first_pos (0, self->missing + 1, 0) - 1,
                 level, (unsigned long long)idx, level ? "above" : "after");
        if (level == 0)
            return;
    }
    for (uint32_t i = 0; i < n; i++)
        if (memcmp (self->buf[i], hashes[i], S_HASH) != 0) {
            s_found (self, s_first_pos (level, idx, i), level, idx, (int)i,
                     "Merkle tile level %d index %llu differs from the log "
                     "at hash %u (tampered tile)",
                     level, (unsigned long long)idx, i);
            return;
        }
    /* Fewer hashes than the log gives: a tree that lags its log, unless
       it was cut short below. More: subtrees the log cannot complete,
       past its last record. */
    if ((uint32_t)stored > width ||
        ((uint32_t)stored < width && !self->ended) ||
        (self->ended && (uint64_t)stored < owed)) {
        uint64_t pos = s_first_pos (level, idx, n);
        if ((uint32_t)stored > width && pos <= self->leaves)
            pos = self->leaves + 1;
        s_found (self, pos, level, idx, (int)n,
                 "Merkle tile level %d index %llu holds %d hash%s, the log "
                 "gives %u",
                 level, (unsigned long long)idx, stored,
                 stored == 1 ? "" : "es", width);
    }
}

/* Adds a hash to level's recomputed tile and compares the tile with the
   stored one once it is full (its root reaches the level above through
   s_edge_push). */
static int s_check_push (void *arg, int level, const uint8_t hash[S_HASH])
{
    jk_tiles_check_t *self = arg;
    s_level_t *lv = &self->level[level];
    memcpy (lv->hashes[lv->width++], hash, S_HASH);
    if (lv->width < S_WIDTH)
        return JK_OK;
    s_compare (self, level, lv->tiles, lv->hashes, S_WIDTH);
    if (level == 0 && !self->ended)
        self->stored += S_WIDTH;
    lv->tiles++;
    lv->width = 0;
    return JK_OK;
}

void jk_tiles_check_add (jk_tiles_check_t *self,
                         const uint8_t leaf[JK_MERKLE_HASH])
{
    self->leaves++;
    s_check_push (self, 0, leaf);
    s_edge_push (&self->edge, self->tiles->mh, leaf, s_check_push, self);
}

/* Records the first row s (bound) steps to, a stored tile the log gives
   no hash for: from the position after the log's last record, or the
   tile's first record when that is later. */
static void s_beyond (jk_tiles_check_t *self, sqlite3_stmt *s)
{
    if (sqlite3_step (s) == SQLITE_ROW) {
        int level = sqlite3_column_int (s, 0);
        long long idx = sqlite3_column_int64 (s, 1);
        uint64_t pos = level >= 0 && level < S_LEVELS && idx >= 0
                           ? s_first_pos (level, (uint64_t)idx, 0)
                           : 0;
        s_found (self, pos > self->leaves ? pos : self->leaves + 1, level, idx,
                 -1, "Merkle tile level %d index %lld lies beyond the log",
                 level, idx);
    }
    sqlite3_reset (s);
}

void jk_tiles_check_end (jk_tiles_check_t *self, uint64_t *stored)
{
    *stored = self->stored;
    /* Each level's last tile, and nothing stored beyond what the log
       gives (a cut log leaves its tiles behind): at level L the log gives
       the roots of its complete subtrees of 256^L records, in tiles
       0 .. tiles - 1 and the partial one after them; the partial level-0
       tile is never stored. */
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2 (self->tiles->db,
                            "SELECT level, idx FROM merkle_tile"
                            " WHERE level = ?1 AND idx >= ?2"
                            " ORDER BY idx LIMIT 1",
                            -1, &s, NULL) == SQLITE_OK) {
        for (int l = 0; l < S_LEVELS; l++) {
            s_level_t *lv = &self->level[l];
            /* The partial tile, or one stored where the log gives none
               (hashes claiming subtrees it cannot complete). */
            if (l > 0 &&
                (lv->width > 0 || s_get (self->tiles, l, lv->tiles, self->buf)))
                s_compare (self, l, lv->tiles, lv->hashes, lv->width);
            sqlite3_bind_int (s, 1, l);
            sqlite3_bind_int64 (s, 2, (sqlite3_int64)(lv->tiles + (l > 0)));
            s_beyond (self, s);
        }
    }
    sqlite3_finalize (s);
    /* A level or an index no tree has. */
    if (sqlite3_prepare_v2 (self->tiles->db,
                            "SELECT level, idx FROM merkle_tile"
                            " WHERE level < 0 OR level >= ?1 OR idx < 0"
                            " ORDER BY level, idx LIMIT 1",
                            -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int (s, 1, S_LEVELS);
        s_beyond (self, s);
    }
    sqlite3_finalize (s);
}

int jk_tiles_check_problem (jk_tiles_check_t *self, jk_tiles_problem_t *problem)
{
    if (!self->found)
        return JK_OK;
    *problem = self->problem;
    return JK_INVALID;
}

void jk_tiles_check_root (jk_tiles_check_t *self, uint8_t out[JK_MERKLE_HASH])
{
    jk_merkle_edge_root (&self->edge, self->tiles->mh, out);
}
