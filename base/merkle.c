/*  merkle.c - the RFC 6962 tree's hashes, heads and proofs (jk_merkle.h):
    pure functions over a node function, so the same code serves the
    store's tiles, jejak-replay and the tests' in-memory trees. */
#include "jk_merkle.h"
#include "jk_sha256.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct jk_mhash_s {
    jk_sha256_t *sha;
};

jk_mhash_t *jk_mhash_new (void)
{
    jk_mhash_t *self = jk_calloc (1, sizeof *self);
    self->sha = jk_sha256_new ();
    return self;
}

void jk_mhash_destroy (jk_mhash_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_mhash_t *self = *self_p;
    jk_sha256_destroy (&self->sha);
    free (self);
    *self_p = NULL;
}

/* SHA-256 over up to three pieces. */
static void s_digest (jk_mhash_t *self, const void *a, size_t a_size,
                      const void *b, size_t b_size, const void *c,
                      size_t c_size, uint8_t out[JK_MERKLE_HASH])
{
    jk_sha256_begin (self->sha);
    jk_sha256_add (self->sha, a, a_size);
    if (b_size)
        jk_sha256_add (self->sha, b, b_size);
    if (c_size)
        jk_sha256_add (self->sha, c, c_size);
    jk_sha256_end (self->sha, out);
}

void jk_mhash_leaf (jk_mhash_t *self, const uint8_t *entry, size_t size,
                    uint8_t out[JK_MERKLE_HASH])
{
    static const uint8_t prefix = 0x00;
    s_digest (self, &prefix, 1, entry, size, NULL, 0, out);
}

void jk_mhash_node (jk_mhash_t *self, const uint8_t left[JK_MERKLE_HASH],
                    const uint8_t right[JK_MERKLE_HASH],
                    uint8_t out[JK_MERKLE_HASH])
{
    uint8_t buf[1 + 2 * JK_MERKLE_HASH];
    buf[0] = 0x01;
    memcpy (buf + 1, left, JK_MERKLE_HASH);
    memcpy (buf + 1 + JK_MERKLE_HASH, right, JK_MERKLE_HASH);
    s_digest (self, buf, sizeof buf, NULL, 0, NULL, 0, out);
}

static void s_put_be (uint8_t *out, uint64_t value, int size)
{
    for (int i = size - 1; i >= 0; i--) {
        out[i] = (uint8_t)value;
        value >>= 8;
    }
}

/* The entry's fixed head up to the code: 0x00 leaf prefix (when
   with_prefix), pos, recorded_at, outcome, len code. Returns its size. */
static size_t s_entry_head (uint8_t *out, bool with_prefix, uint64_t pos,
                            int64_t recorded_at, int outcome, size_t code_len)
{
    size_t n = 0;
    if (with_prefix)
        out[n++] = 0x00;
    s_put_be (out + n, pos, 8);
    s_put_be (out + n + 8, (uint64_t)recorded_at, 8);
    out[n + 16] = (uint8_t)outcome;
    s_put_be (out + n + 17, code_len, 2);
    return n + 19;
}

void jk_mhash_record (jk_mhash_t *self, uint64_t pos, int64_t recorded_at,
                      int outcome, const char *code, const char *message,
                      const uint8_t *bytes, size_t size,
                      uint8_t out[JK_MERKLE_HASH])
{
    size_t code_len = code ? strlen (code) : 0;
    size_t message_len = message ? strlen (message) : 0;
    assert (code_len <= UINT16_MAX && message_len <= UINT32_MAX);
    uint8_t head[20];
    size_t head_len =
        s_entry_head (head, true, pos, recorded_at, outcome, code_len);
    uint8_t message_size[4];
    s_put_be (message_size, message_len, 4);
    jk_sha256_begin (self->sha);
    jk_sha256_add (self->sha, head, head_len);
    jk_sha256_add (self->sha, code ? code : "", code_len);
    jk_sha256_add (self->sha, message_size, 4);
    jk_sha256_add (self->sha, message ? message : "", message_len);
    jk_sha256_add (self->sha, bytes, size);
    jk_sha256_end (self->sha, out);
}

size_t jk_merkle_entry (uint64_t pos, int64_t recorded_at, int outcome,
                        const char *code, const char *message,
                        const uint8_t *bytes, size_t size, uint8_t *out,
                        size_t out_size)
{
    size_t code_len = code ? strlen (code) : 0;
    size_t message_len = message ? strlen (message) : 0;
    size_t total = 19 + code_len + 4 + message_len + size;
    if (!out || out_size < total)
        return total;
    size_t n = s_entry_head (out, false, pos, recorded_at, outcome, code_len);
    memcpy (out + n, code ? code : "", code_len);
    n += code_len;
    s_put_be (out + n, message_len, 4);
    n += 4;
    memcpy (out + n, message ? message : "", message_len);
    n += message_len;
    if (size)
        memcpy (out + n, bytes, size);
    return total;
}

/* ---- heads and proofs ---------------------------------------------------- */

/* The largest power of two smaller than n (n > 1). */
static uint64_t s_split (uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static bool s_power_of_two (uint64_t n)
{
    return n && !(n & (n - 1));
}

static int s_log2 (uint64_t n)
{
    int h = 0;
    while ((uint64_t)1 << h < n)
        h++;
    return h;
}

typedef struct {
    jk_merkle_node_fn *node;
    void *arg;
    jk_mhash_t *mh;
} s_tree_t;

/* MTH(D[start : start + n]), n >= 1; start is a multiple of the largest
   power of two <= n whenever the recursion calls it. */
static int s_hash (s_tree_t *t, uint64_t start, uint64_t n,
                   uint8_t out[JK_MERKLE_HASH])
{
    if (s_power_of_two (n) && start % n == 0) {
        int h = s_log2 (n);
        return t->node (t->arg, h, start >> h, out);
    }
    uint64_t k = s_split (n);
    uint8_t left[JK_MERKLE_HASH], right[JK_MERKLE_HASH];
    int rc = s_hash (t, start, k, left);
    if (rc == JK_OK)
        rc = s_hash (t, start + k, n - k, right);
    if (rc == JK_OK)
        jk_mhash_node (t->mh, left, right, out);
    return rc;
}

int jk_merkle_root (jk_merkle_node_fn *node, void *arg, jk_mhash_t *mh,
                    uint64_t size, uint8_t out[JK_MERKLE_HASH])
{
    if (size == 0) {
        s_digest (mh, "", 0, NULL, 0, NULL, 0, out);
        return JK_OK;
    }
    s_tree_t t = {node, arg, mh};
    return s_hash (&t, 0, size, out);
}

/* PATH(m, D[start : start + n]), appended after the deeper hashes. */
static int s_path (s_tree_t *t, uint64_t m, uint64_t start, uint64_t n,
                   uint8_t proof[][JK_MERKLE_HASH], size_t *count)
{
    if (n <= 1)
        return JK_OK;
    uint64_t k = s_split (n);
    int rc;
    if (m < k) {
        rc = s_path (t, m, start, k, proof, count);
        if (rc == JK_OK)
            rc = s_hash (t, start + k, n - k, proof[(*count)++]);
    } else {
        rc = s_path (t, m - k, start + k, n - k, proof, count);
        if (rc == JK_OK)
            rc = s_hash (t, start, k, proof[(*count)++]);
    }
    return rc;
}

int jk_merkle_inclusion (jk_merkle_node_fn *node, void *arg, jk_mhash_t *mh,
                         uint64_t index, uint64_t size,
                         uint8_t proof[][JK_MERKLE_HASH], size_t *count)
{
    *count = 0;
    if (index >= size)
        return JK_INVALID;
    s_tree_t t = {node, arg, mh};
    return s_path (&t, index, 0, size, proof, count);
}

/* SUBPROOF(m, D[start : start + n], b). */
static int s_subproof (s_tree_t *t, uint64_t m, uint64_t start, uint64_t n,
                       bool whole, uint8_t proof[][JK_MERKLE_HASH],
                       size_t *count)
{
    if (m == n)
        return whole ? JK_OK : s_hash (t, start, n, proof[(*count)++]);
    uint64_t k = s_split (n);
    int rc;
    if (m <= k) {
        rc = s_subproof (t, m, start, k, whole, proof, count);
        if (rc == JK_OK)
            rc = s_hash (t, start + k, n - k, proof[(*count)++]);
    } else {
        rc = s_subproof (t, m - k, start + k, n - k, false, proof, count);
        if (rc == JK_OK)
            rc = s_hash (t, start, k, proof[(*count)++]);
    }
    return rc;
}

int jk_merkle_consistency (jk_merkle_node_fn *node, void *arg, jk_mhash_t *mh,
                           uint64_t old_size, uint64_t new_size,
                           uint8_t proof[][JK_MERKLE_HASH], size_t *count)
{
    *count = 0;
    if (old_size == 0 || old_size > new_size)
        return JK_INVALID;
    if (old_size == new_size)
        return JK_OK;
    s_tree_t t = {node, arg, mh};
    return s_subproof (&t, old_size, 0, new_size, true, proof, count);
}

int jk_merkle_verify_inclusion (jk_mhash_t *mh, uint64_t index, uint64_t size,
                                const uint8_t leaf[JK_MERKLE_HASH],
                                const uint8_t *proof, size_t count,
                                const uint8_t root[JK_MERKLE_HASH])
{
    if (index >= size)
        return JK_INVALID;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[JK_MERKLE_HASH];
    memcpy (r, leaf, JK_MERKLE_HASH);
    for (size_t i = 0; i < count; i++) {
        if (sn == 0)
            return JK_INVALID;
        if ((fn & 1) || fn == sn) {
            jk_mhash_node (mh, proof + JK_MERKLE_HASH * i, r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else
            jk_mhash_node (mh, r, proof + JK_MERKLE_HASH * i, r);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp (r, root, JK_MERKLE_HASH) == 0 ? JK_OK
                                                            : JK_INVALID;
}

int jk_merkle_verify_consistency (jk_mhash_t *mh, uint64_t old_size,
                                  uint64_t new_size,
                                  const uint8_t old_root[JK_MERKLE_HASH],
                                  const uint8_t new_root[JK_MERKLE_HASH],
                                  const uint8_t *proof, size_t count)
{
    if (old_size > new_size)
        return JK_INVALID;
    if (old_size == new_size)
        return count == 0 && memcmp (old_root, new_root, JK_MERKLE_HASH) == 0
                   ? JK_OK
                   : JK_INVALID;
    if (old_size == 0)
        return count == 0 ? JK_OK : JK_INVALID;
    if (count == 0)
        return JK_INVALID;
    /* When the old tree is a perfect subtree its root starts the path. */
    size_t i = 0;
    const uint8_t *first = proof;
    if (s_power_of_two (old_size))
        first = old_root;
    else
        i = 1;
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[JK_MERKLE_HASH], sr[JK_MERKLE_HASH];
    memcpy (fr, first, JK_MERKLE_HASH);
    memcpy (sr, first, JK_MERKLE_HASH);
    for (; i < count; i++) {
        if (sn == 0)
            return JK_INVALID;
        if ((fn & 1) || fn == sn) {
            jk_mhash_node (mh, proof + JK_MERKLE_HASH * i, fr, fr);
            jk_mhash_node (mh, proof + JK_MERKLE_HASH * i, sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else
            jk_mhash_node (mh, sr, proof + JK_MERKLE_HASH * i, sr);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp (fr, old_root, JK_MERKLE_HASH) == 0 &&
                   memcmp (sr, new_root, JK_MERKLE_HASH) == 0
               ? JK_OK
               : JK_INVALID;
}

/* ---- the right edge ------------------------------------------------------ */

int jk_merkle_edge_push_each (jk_merkle_edge_t *edge, jk_mhash_t *mh,
                              const uint8_t leaf[JK_MERKLE_HASH],
                              jk_merkle_merged_fn *merged, void *arg)
{
    memcpy (edge->hashes[edge->count++], leaf, JK_MERKLE_HASH);
    int rc = 0, height = 0;
    /* Each trailing 1 bit of the old size merges two equal subtrees. */
    for (uint64_t s = edge->size; s & 1; s >>= 1) {
        edge->count--;
        jk_mhash_node (mh, edge->hashes[edge->count - 1],
                       edge->hashes[edge->count],
                       edge->hashes[edge->count - 1]);
        height++;
        if (merged && rc == 0)
            rc = merged (arg, height, edge->hashes[edge->count - 1]);
    }
    edge->size++;
    return rc;
}

void jk_merkle_edge_push (jk_merkle_edge_t *edge, jk_mhash_t *mh,
                          const uint8_t leaf[JK_MERKLE_HASH])
{
    jk_merkle_edge_push_each (edge, mh, leaf, NULL, NULL);
}

void jk_merkle_edge_root (const jk_merkle_edge_t *edge, jk_mhash_t *mh,
                          uint8_t out[JK_MERKLE_HASH])
{
    if (edge->count == 0) {
        s_digest (mh, "", 0, NULL, 0, NULL, 0, out);
        return;
    }
    uint8_t r[JK_MERKLE_HASH];
    memcpy (r, edge->hashes[edge->count - 1], JK_MERKLE_HASH);
    for (int i = edge->count - 2; i >= 0; i--)
        jk_mhash_node (mh, edge->hashes[i], r, r);
    memcpy (out, r, JK_MERKLE_HASH);
}
