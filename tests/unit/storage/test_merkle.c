/*  test_merkle.c - the Merkle tree without sockets: RFC 6962's published
    test tree (heads of sizes 0..8, inclusion and consistency proofs),
    every tree size 1..1000 from the tile store against a naive tree
    computed here independently, the writer's commit and rollback, the
    entry encoding, and a tampered tile found by the check and by proof
    verification. */
#include "testsupport.h"

#include "jk_log.h"
#include "jk_tiles.h"
#include "jk_tree.h"
#include "jk_wire.h"

#include <openssl/evp.h>
#include <string.h>

/* ---- an independent naive tree ------------------------------------------ */

static void s_sha (const uint8_t *a, size_t a_size, const uint8_t *b,
                   size_t b_size, uint8_t prefix, uint8_t out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    unsigned int len = 0;
    assert_int_equal (EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL), 1);
    EVP_DigestUpdate (ctx, &prefix, 1);
    EVP_DigestUpdate (ctx, a, a_size);
    if (b_size)
        EVP_DigestUpdate (ctx, b, b_size);
    EVP_DigestFinal_ex (ctx, out, &len);
    EVP_MD_CTX_free (ctx);
}

/* MTH over leaves[0 .. n) per RFC 6962 section 2.1. */
static void s_naive_root (uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
    if (n == 1) {
        memcpy (out, leaves[0], 32);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t l[32], r[32];
    s_naive_root (leaves, k, l);
    s_naive_root (leaves + k, n - k, r);
    s_sha (l, 32, r, 32, 0x01, out);
}

/* PATH(m, D[n]) per RFC 6962 section 2.1.1. */
static void s_naive_path (uint8_t (*leaves)[32], uint64_t m, uint64_t n,
                          uint8_t (*proof)[32], size_t *count)
{
    if (n == 1)
        return;
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    if (m < k) {
        s_naive_path (leaves, m, k, proof, count);
        s_naive_root (leaves + k, n - k, proof[(*count)++]);
    } else {
        s_naive_path (leaves + k, m - k, n - k, proof, count);
        s_naive_root (leaves, k, proof[(*count)++]);
    }
}

/* A node function straight over an array of leaf hashes. */
static int s_array_node (void *arg, int height, uint64_t index, uint8_t out[32])
{
    uint8_t (*leaves)[32] = arg;
    s_naive_root (leaves + (index << height), (uint64_t)1 << height, out);
    return JK_OK;
}

static void s_unhex (const char *text, uint8_t *out, size_t size)
{
    assert_int_equal (jk_hex_parse (text, out, size), JK_OK);
}

/* ---- RFC 6962's test tree ------------------------------------------------ */

static const char *s_rfc_leaves[] = {"",
                                     "00",
                                     "10",
                                     "2021",
                                     "3031",
                                     "40414243",
                                     "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f"};

static const char *s_rfc_roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

typedef struct {
    uint64_t a, b; /* leaf index and size, or old and new size */
    const char *proof[3];
    size_t count;
} s_vector_t;

static const s_vector_t s_rfc_inclusion[] = {
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
     3},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
     3},
    {2,
     3,
     {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"},
     1},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
     3},
};

static const s_vector_t s_rfc_consistency[] = {
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
     3},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"},
     3},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"},
     2},
};

static void s_rfc_tree (jk_mhash_t *mh, uint8_t leaves[8][32])
{
    for (int i = 0; i < 8; i++) {
        uint8_t entry[16];
        size_t size = strlen (s_rfc_leaves[i]) / 2;
        s_unhex (s_rfc_leaves[i], entry, size);
        jk_mhash_leaf (mh, entry, size, leaves[i]);
    }
}

static void test_rfc6962_roots (void **state)
{
    (void)state;
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t leaves[8][32], want[32], got[32];
    s_rfc_tree (mh, leaves);
    jk_merkle_edge_t edge = {0};
    for (uint64_t n = 0; n <= 8; n++) {
        s_unhex (s_rfc_roots[n], want, 32);
        assert_int_equal (jk_merkle_root (s_array_node, leaves, mh, n, got),
                          JK_OK);
        assert_memory_equal (got, want, 32);
        jk_merkle_edge_root (&edge, mh, got);
        assert_memory_equal (got, want, 32);
        if (n < 8)
            jk_merkle_edge_push (&edge, mh, leaves[n]);
    }
    jk_mhash_destroy (&mh);
}

/* What jk_merkle_edge_push_each told, and when to refuse. */
typedef struct {
    int calls, heights[8];
    uint8_t hashes[8][32];
    int refuse_at; /* the call (1..) that returns 7, or 0 */
} s_merges_t;

static int s_merged (void *arg, int height, const uint8_t hash[32])
{
    s_merges_t *m = arg;
    m->heights[m->calls] = height;
    memcpy (m->hashes[m->calls], hash, 32);
    return ++m->calls == m->refuse_at ? 7 : 0;
}

/* Each push tells every perfect subtree it completes, smallest first,
   with the subtree's root: leaf n completes one of height h for each
   trailing 1 bit of n. A refusal stops the telling, not the push. */
static void test_edge_push_tells_merges (void **state)
{
    (void)state;
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t leaves[8][32], want[32], got[32];
    s_rfc_tree (mh, leaves);
    jk_merkle_edge_t edge = {0};
    for (uint64_t n = 0; n < 8; n++) {
        s_merges_t m = {0};
        assert_int_equal (
            jk_merkle_edge_push_each (&edge, mh, leaves[n], s_merged, &m), 0);
        int trailing = 0;
        while ((n >> trailing) & 1)
            trailing++;
        assert_int_equal (m.calls, trailing);
        for (int c = 0; c < m.calls; c++) {
            int height = c + 1;
            assert_int_equal (m.heights[c], height);
            uint64_t first = (n + 1) - ((uint64_t)1 << height);
            s_naive_root (leaves + first, (uint64_t)1 << height, want);
            assert_memory_equal (m.hashes[c], want, 32);
        }
        s_unhex (s_rfc_roots[n + 1], want, 32);
        jk_merkle_edge_root (&edge, mh, got);
        assert_memory_equal (got, want, 32);
    }
    /* The eighth leaf completes heights 1, 2 and 3; refused at the first,
       the push still completes and the root is the tree's. */
    jk_merkle_edge_t again = {0};
    for (uint64_t n = 0; n < 7; n++)
        jk_merkle_edge_push (&again, mh, leaves[n]);
    s_merges_t m = {.refuse_at = 1};
    assert_int_equal (
        jk_merkle_edge_push_each (&again, mh, leaves[7], s_merged, &m), 7);
    assert_int_equal (m.calls, 1);
    assert_int_equal (again.size, 8);
    assert_int_equal (again.count, 1);
    s_unhex (s_rfc_roots[8], want, 32);
    jk_merkle_edge_root (&again, mh, got);
    assert_memory_equal (got, want, 32);
    jk_mhash_destroy (&mh);
}

static void test_rfc6962_proofs (void **state)
{
    (void)state;
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t leaves[8][32], proof[JK_MERKLE_PROOF_MAX][32], want[3][32];
    uint8_t root[32], old_root[32];
    s_rfc_tree (mh, leaves);
    size_t count;
    for (size_t v = 0; v < sizeof s_rfc_inclusion / sizeof *s_rfc_inclusion;
         v++) {
        const s_vector_t *t = &s_rfc_inclusion[v];
        for (size_t i = 0; i < t->count; i++)
            s_unhex (t->proof[i], want[i], 32);
        assert_int_equal (jk_merkle_inclusion (s_array_node, leaves, mh, t->a,
                                               t->b, proof, &count),
                          JK_OK);
        assert_int_equal (count, t->count);
        assert_memory_equal (proof, want, 32 * count);
        s_unhex (s_rfc_roots[t->b], root, 32);
        assert_int_equal (jk_merkle_verify_inclusion (mh, t->a, t->b,
                                                      leaves[t->a], want[0],
                                                      count, root),
                          JK_OK);
        /* A flipped bit, a wrong index or a shorter proof fails. */
        want[0][0] ^= 8;
        assert_int_equal (jk_merkle_verify_inclusion (mh, t->a, t->b,
                                                      leaves[t->a], want[0],
                                                      count, root),
                          JK_INVALID);
        want[0][0] ^= 8;
        assert_int_equal (jk_merkle_verify_inclusion (mh, t->a ^ 1, t->b,
                                                      leaves[t->a], want[0],
                                                      count, root),
                          JK_INVALID);
        assert_int_equal (jk_merkle_verify_inclusion (mh, t->a, t->b,
                                                      leaves[t->a], want[0],
                                                      count - 1, root),
                          JK_INVALID);
    }
    for (size_t v = 0; v < sizeof s_rfc_consistency / sizeof *s_rfc_consistency;
         v++) {
        const s_vector_t *t = &s_rfc_consistency[v];
        for (size_t i = 0; i < t->count; i++)
            s_unhex (t->proof[i], want[i], 32);
        assert_int_equal (jk_merkle_consistency (s_array_node, leaves, mh, t->a,
                                                 t->b, proof, &count),
                          JK_OK);
        assert_int_equal (count, t->count);
        assert_memory_equal (proof, want, 32 * count);
        s_unhex (s_rfc_roots[t->a], old_root, 32);
        s_unhex (s_rfc_roots[t->b], root, 32);
        assert_int_equal (jk_merkle_verify_consistency (
                              mh, t->a, t->b, old_root, root, want[0], count),
                          JK_OK);
        /* Swapped roots, a flipped bit, a truncated proof fail. */
        assert_int_equal (jk_merkle_verify_consistency (
                              mh, t->a, t->b, root, old_root, want[0], count),
                          JK_INVALID);
        want[count - 1][0] ^= 16;
        assert_int_equal (jk_merkle_verify_consistency (
                              mh, t->a, t->b, old_root, root, want[0], count),
                          JK_INVALID);
        want[count - 1][0] ^= 16;
        assert_int_equal (jk_merkle_verify_consistency (mh, t->a, t->b,
                                                        old_root, root, want[0],
                                                        count - 1),
                          JK_INVALID);
    }
    /* Edge cases: equal sizes need equal roots and no proof; size 0 is
       consistent with anything; going back in size never is. */
    s_unhex (s_rfc_roots[3], root, 32);
    assert_int_equal (
        jk_merkle_verify_consistency (mh, 3, 3, root, root, proof[0], 0),
        JK_OK);
    assert_int_equal (
        jk_merkle_verify_consistency (mh, 3, 3, root, old_root, proof[0], 0),
        JK_INVALID);
    assert_int_equal (
        jk_merkle_verify_consistency (mh, 0, 5, root, old_root, proof[0], 0),
        JK_OK);
    assert_int_equal (
        jk_merkle_verify_consistency (mh, 5, 3, root, old_root, proof[0], 0),
        JK_INVALID);
    assert_int_equal (
        jk_merkle_inclusion (s_array_node, leaves, mh, 8, 8, proof, &count),
        JK_INVALID);
    jk_mhash_destroy (&mh);
}

/* ---- the tile store over a real log table -------------------------------- */

#define S_N 1000

static size_t s_ceil_log2 (uint64_t n)
{
    size_t bits = 0;
    while (((uint64_t)1 << bits) < n)
        bits++;
    return bits;
}

typedef struct {
    sqlite3 *db;
    jk_mhash_t *mh;
    uint8_t (*leaves)[32]; /* leaf hashes, computed from entries here */
} s_log_t;

/* A database with a log table holding n records with varied fields;
   leaves[i] = SHA-256(0x00 || entry of pos i + 1), entries built by hand
   from the documented layout. */
static void s_log_fill (s_log_t *log, const char *path, uint64_t n)
{
    assert_int_equal (sqlite3_open (path, &log->db), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (log->db,
                      "CREATE TABLE log (pos INTEGER PRIMARY KEY,"
                      " recorded_at INTEGER, outcome INTEGER, code TEXT,"
                      " message TEXT, bytes BLOB)",
                      NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_stmt *insert;
    assert_int_equal (sqlite3_prepare_v2 (log->db,
                                          "INSERT INTO log VALUES"
                                          " (?, ?, ?, ?, ?, ?)",
                                          -1, &insert, NULL),
                      SQLITE_OK);
    log->leaves = jk_calloc (n, 32);
    sqlite3_exec (log->db, "BEGIN", NULL, NULL, NULL);
    for (uint64_t pos = 1; pos <= n; pos++) {
        uint8_t bytes[40], entry[128];
        size_t size = pos % 37;
        for (size_t i = 0; i < size; i++)
            bytes[i] = (uint8_t)(pos * 7 + i);
        bool rejected = pos % 5 == 0;
        const char *code = rejected ? "E_REGION" : "";
        const char *message = rejected ? "body.desa_code: unknown" : "";
        int64_t at = 1700000000000 + (int64_t)pos;
        size_t e = 0;
        for (int i = 7; i >= 0; i--)
            entry[e++] = (uint8_t)(pos >> (8 * i));
        for (int i = 7; i >= 0; i--)
            entry[e++] = (uint8_t)((uint64_t)at >> (8 * i));
        entry[e++] = rejected;
        entry[e++] = 0;
        entry[e++] = (uint8_t)strlen (code);
        memcpy (entry + e, code, strlen (code));
        e += strlen (code);
        entry[e++] = 0;
        entry[e++] = 0;
        entry[e++] = 0;
        entry[e++] = (uint8_t)strlen (message);
        memcpy (entry + e, message, strlen (message));
        e += strlen (message);
        memcpy (entry + e, bytes, size);
        e += size;
        s_sha (entry, e, NULL, 0, 0x00, log->leaves[pos - 1]);
        /* The library's entry and record hash agree with the layout. */
        uint8_t built[128], leaf[32];
        assert_int_equal (jk_merkle_entry (pos, at, rejected,
                                           rejected ? code : NULL,
                                           rejected ? message : NULL, bytes,
                                           size, built, sizeof built),
                          e);
        assert_memory_equal (built, entry, e);
        jk_mhash_record (log->mh, pos, at, rejected, rejected ? code : NULL,
                         rejected ? message : NULL, bytes, size, leaf);
        assert_memory_equal (leaf, log->leaves[pos - 1], 32);
        sqlite3_bind_int64 (insert, 1, (sqlite3_int64)pos);
        sqlite3_bind_int64 (insert, 2, at);
        sqlite3_bind_int (insert, 3, rejected);
        if (rejected) {
            sqlite3_bind_text (insert, 4, code, -1, SQLITE_STATIC);
            sqlite3_bind_text (insert, 5, message, -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null (insert, 4);
            sqlite3_bind_null (insert, 5);
        }
        sqlite3_bind_blob (insert, 6, bytes, (int)size, SQLITE_STATIC);
        assert_int_equal (sqlite3_step (insert), SQLITE_DONE);
        sqlite3_reset (insert);
    }
    sqlite3_exec (log->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize (insert);
}

static void test_every_size_against_naive (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("merkle");
    char path[512];
    snprintf (path, sizeof path, "%s/events.db", dir);
    s_log_t log = {.mh = jk_mhash_new ()};
    s_log_fill (&log, path, S_N);

    /* The writer stores the tiles of the whole log at open. */
    char err[256];
    jk_tiles_t *writer = jk_tiles_open (log.db, S_N, err, sizeof err);
    assert_non_null (writer);
    assert_int_equal (jk_tiles_size (writer), S_N);
    uint8_t want[32], got[32];
    s_naive_root (log.leaves, S_N, want);
    jk_tiles_head (writer, got);
    assert_memory_equal (got, want, 32);

    jk_tiles_t *reader = jk_tiles_reader (log.db);
    jk_mhash_t *mh = jk_tiles_hasher (reader);
    uint8_t proof[JK_MERKLE_PROOF_MAX][32], naive[JK_MERKLE_PROOF_MAX][32];
    uint8_t (*roots)[32] = jk_calloc (S_N + 1, 32);
    uint64_t checked = 0;
    for (uint64_t n = 1; n <= S_N; n++) {
        s_naive_root (log.leaves, n, roots[n]);
        assert_int_equal (jk_merkle_root (jk_tiles_node, reader, mh, n, got),
                          JK_OK);
        assert_memory_equal (got, roots[n], 32);
        /* Inclusion of the first, last, middle and a spread of leaves. */
        uint64_t picks[] = {0, n - 1, n / 2, (n * 7919) % n, (n * 131) % n};
        for (size_t p = 0; p < sizeof picks / sizeof *picks; p++) {
            uint64_t i = picks[p];
            size_t count, naive_count = 0;
            assert_int_equal (jk_merkle_inclusion (jk_tiles_node, reader, mh, i,
                                                   n, proof, &count),
                              JK_OK);
            s_naive_path (log.leaves, i, n, naive, &naive_count);
            assert_int_equal (count, naive_count);
            /* The documented limit: at most ceil(log2 n) hashes. */
            assert_true (count <= s_ceil_log2 (n));
            assert_memory_equal (proof, naive, 32 * count);
            assert_int_equal (
                jk_merkle_verify_inclusion (mh, i, n, log.leaves[i], proof[0],
                                            count, roots[n]),
                JK_OK);
            checked++;
        }
        /* Consistency from a spread of older sizes. */
        uint64_t olds[] = {1, n / 2 ? n / 2 : 1, n, (n * 37) % n + 1, n - 1};
        for (size_t p = 0; p < sizeof olds / sizeof *olds; p++) {
            uint64_t m = olds[p];
            if (m == 0)
                continue;
            size_t count;
            assert_int_equal (jk_merkle_consistency (jk_tiles_node, reader, mh,
                                                     m, n, proof, &count),
                              JK_OK);
            assert_int_equal (jk_merkle_verify_consistency (mh, m, n, roots[m],
                                                            roots[n], proof[0],
                                                            count),
                              JK_OK);
            /* The documented limit: at most ceil(log2 n) + 1 hashes. */
            assert_true (count <= s_ceil_log2 (n) + 1);
            if (m < n) {
                /* Against another old head it fails. */
                assert_int_equal (
                    jk_merkle_verify_consistency (mh, m, n, roots[m + 1],
                                                  roots[n], proof[0], count),
                    JK_INVALID);
            }
            checked++;
        }
    }
    /* Size 1 has no older size n - 1 to prove from. */
    assert_int_equal (checked, 10 * S_N - 1);
    /* Every leaf of the full tree. */
    for (uint64_t i = 0; i < S_N; i++) {
        size_t count;
        assert_int_equal (jk_merkle_inclusion (jk_tiles_node, reader, mh, i,
                                               S_N, proof, &count),
                          JK_OK);
        assert_int_equal (jk_merkle_verify_inclusion (mh, i, S_N, log.leaves[i],
                                                      proof[0], count,
                                                      roots[S_N]),
                          JK_OK);
    }
    /* Three full level-0 tiles are stored, and one partial level-1 tile. */
    sqlite3_stmt *s;
    sqlite3_prepare_v2 (log.db,
                        "SELECT level, count(*), sum(length(hashes))"
                        " FROM merkle_tile GROUP BY level ORDER BY level",
                        -1, &s, NULL);
    assert_int_equal (sqlite3_step (s), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int (s, 0), 0);
    assert_int_equal (sqlite3_column_int (s, 1), 3);
    assert_int_equal (sqlite3_column_int (s, 2), 3 * 256 * 32);
    assert_int_equal (sqlite3_step (s), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int (s, 0), 1);
    assert_int_equal (sqlite3_column_int (s, 1), 1);
    assert_int_equal (sqlite3_column_int (s, 2), 3 * 32);
    assert_int_equal (sqlite3_step (s), SQLITE_DONE);
    sqlite3_finalize (s);

    free (roots);
    jk_tiles_destroy (&reader);
    jk_tiles_destroy (&writer);
    sqlite3_close (log.db);
    free (log.leaves);
    jk_mhash_destroy (&log.mh);
    jk_test_rmdir (&dir);
}

static void test_writer_commit_rollback (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("merkle");
    char path[512];
    snprintf (path, sizeof path, "%s/events.db", dir);
    s_log_t log = {.mh = jk_mhash_new ()};
    s_log_fill (&log, path, 700);
    char err[256];
    /* The writer starts over an empty log and is fed batch by batch. */
    jk_tiles_t *tiles = jk_tiles_open (log.db, 0, err, sizeof err);
    assert_non_null (tiles);
    uint8_t got[32], want[32];
    uint64_t next = 0;
    while (next < 700) {
        uint64_t batch = 1 + next % 97;
        if (next + batch > 700)
            batch = 700 - next;
        /* A batch appended and rolled back leaves no trace. */
        sqlite3_exec (log.db, "BEGIN", NULL, NULL, NULL);
        for (uint64_t i = 0; i < batch; i++)
            assert_int_equal (jk_tiles_append (tiles, log.leaves[199 - i % 7]),
                              JK_OK);
        sqlite3_exec (log.db, "ROLLBACK", NULL, NULL, NULL);
        jk_tiles_rollback (tiles);
        assert_int_equal (jk_tiles_size (tiles), next);
        sqlite3_exec (log.db, "BEGIN", NULL, NULL, NULL);
        for (uint64_t i = 0; i < batch; i++)
            assert_int_equal (jk_tiles_append (tiles, log.leaves[next + i]),
                              JK_OK);
        sqlite3_exec (log.db, "COMMIT", NULL, NULL, NULL);
        jk_tiles_commit (tiles);
        next += batch;
        s_naive_root (log.leaves, next, want);
        jk_tiles_head (tiles, got);
        assert_memory_equal (got, want, 32);
    }
    jk_tiles_destroy (&tiles);
    /* Reopened, it picks up the stored edge and the log's tail. */
    tiles = jk_tiles_open (log.db, 700, err, sizeof err);
    assert_non_null (tiles);
    jk_tiles_head (tiles, got);
    assert_memory_equal (got, want, 32);
    jk_tiles_destroy (&tiles);
    sqlite3_close (log.db);
    free (log.leaves);
    jk_mhash_destroy (&log.mh);
    jk_test_rmdir (&dir);
}

static int s_check_all (sqlite3 *db, uint8_t (*leaves)[32], uint64_t n,
                        uint64_t *stored, char *message, size_t size)
{
    jk_tiles_check_t *check = jk_tiles_check_new (db);
    assert_non_null (check);
    for (uint64_t i = 0; i < n; i++)
        jk_tiles_check_add (check, leaves[i]);
    jk_tiles_check_end (check, stored);
    jk_tiles_problem_t problem;
    int rc = jk_tiles_check_problem (check, &problem);
    if (rc != JK_OK)
        snprintf (message, size, "%s", problem.message);
    jk_tiles_check_destroy (&check);
    return rc;
}

static void test_tampered_tile_detected (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("merkle");
    char path[512];
    snprintf (path, sizeof path, "%s/events.db", dir);
    s_log_t log = {.mh = jk_mhash_new ()};
    s_log_fill (&log, path, S_N);
    char err[256], message[256] = "";
    jk_tiles_t *tiles = jk_tiles_open (log.db, S_N, err, sizeof err);
    assert_non_null (tiles);
    jk_tiles_destroy (&tiles);
    uint64_t stored = 0;
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_OK);
    assert_int_equal (stored, 768);

    /* The hash of leaf 300 (tile 1, hash 44) zeroed in the database. */
    assert_int_equal (sqlite3_exec (log.db,
                                    "UPDATE merkle_tile SET hashes ="
                                    " CAST(substr(hashes, 1, 44 * 32) ||"
                                    " zeroblob(32) || substr(hashes, 45 * 32 +"
                                    " 1) AS BLOB)"
                                    " WHERE level = 0 AND idx = 1",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_INVALID);
    assert_string_equal (message, "Merkle tile level 0 index 1 differs from "
                                  "the log at hash 44 (tampered tile)");
    /* A proof served from the tampered tile does not verify. */
    jk_tiles_t *reader = jk_tiles_reader (log.db);
    uint8_t root[32], proof[JK_MERKLE_PROOF_MAX][32];
    s_naive_root (log.leaves, S_N, root);
    size_t count;
    assert_int_equal (jk_merkle_inclusion (jk_tiles_node, reader,
                                           jk_tiles_hasher (reader), 301, S_N,
                                           proof, &count),
                      JK_OK);
    assert_int_equal (jk_merkle_verify_inclusion (jk_tiles_hasher (reader), 301,
                                                  S_N, log.leaves[301],
                                                  proof[0], count, root),
                      JK_INVALID);
    jk_tiles_destroy (&reader);

    /* A tile deleted before a stored one, and a tile beyond the log. */
    sqlite3_exec (log.db,
                  "UPDATE merkle_tile SET hashes = (SELECT hashes FROM"
                  " merkle_tile WHERE level = 0 AND idx = 2) WHERE level = 0"
                  " AND idx = 1",
                  NULL, NULL, NULL);
    sqlite3_exec (log.db, "DELETE FROM merkle_tile WHERE level = 0 AND idx = 0",
                  NULL, NULL, NULL);
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_INVALID);
    assert_string_equal (message, "Merkle tile level 0 index 0 (positions 1 "
                                  "to 256) is missing but tile level 0 index "
                                  "1 after it is stored");
    sqlite3_exec (log.db, "DELETE FROM merkle_tile", NULL, NULL, NULL);
    /* No tiles at all: a tree not stored yet, not a tampered one. */
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_OK);
    assert_int_equal (stored, 0);
    sqlite3_exec (log.db,
                  "INSERT INTO merkle_tile VALUES (0, 7, zeroblob(8192))", NULL,
                  NULL, NULL);
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_INVALID);
    assert_string_equal (message,
                         "Merkle tile level 0 index 7 lies beyond the log");
    sqlite3_close (log.db);
    free (log.leaves);
    jk_mhash_destroy (&log.mh);
    jk_test_rmdir (&dir);
}

/* A stored tree that lags its log ends at its first missing level-0
   tile, and its upper tiles hold exactly the hashes of the level-0
   tiles stored before it (each gained in the same transaction): fewer,
   or none, is damage even where the tree ends (AUDIT.md, "Tiles in the
   database"). */
static void test_lagging_tree_owes_upper_hashes (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("merkle");
    char path[512];
    snprintf (path, sizeof path, "%s/events.db", dir);
    s_log_t log = {.mh = jk_mhash_new ()};
    s_log_fill (&log, path, S_N);
    char err[256], message[256] = "";
    jk_tiles_t *tiles = jk_tiles_open (log.db, S_N, err, sizeof err);
    assert_non_null (tiles);
    jk_tiles_destroy (&tiles);
    /* The tree as the store leaves it after storing two full tiles:
       level-0 tiles 0 and 1, and level-1 tile 0 with their two hashes. */
    assert_int_equal (sqlite3_exec (log.db,
                                    "DELETE FROM merkle_tile WHERE level = 0"
                                    " AND idx = 2;"
                                    "UPDATE merkle_tile SET hashes ="
                                    " substr(hashes, 1, 2 * 32)"
                                    " WHERE level = 1 AND idx = 0",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    uint64_t stored = 0;
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_OK);
    assert_int_equal (stored, 512);
    /* The upper tile short of a hash its stored tiles below owe. */
    assert_int_equal (sqlite3_exec (log.db,
                                    "UPDATE merkle_tile SET hashes ="
                                    " substr(hashes, 1, 32)"
                                    " WHERE level = 1 AND idx = 0",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_INVALID);
    assert_string_equal (message, "Merkle tile level 1 index 0 holds 1 hash, "
                                  "the log gives 3");
    /* Without it at all. */
    assert_int_equal (sqlite3_exec (log.db,
                                    "DELETE FROM merkle_tile WHERE level = 1",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_INVALID);
    assert_string_equal (message, "Merkle tile level 1 index 0 is missing but "
                                  "the tiles below it are stored");
    /* No full level-0 tile stored: no upper hash is owed. */
    assert_int_equal (sqlite3_exec (log.db,
                                    "DELETE FROM merkle_tile WHERE level = 0",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (
        s_check_all (log.db, log.leaves, S_N, &stored, message, sizeof message),
        JK_OK);
    sqlite3_close (log.db);
    free (log.leaves);
    jk_mhash_destroy (&log.mh);
    jk_test_rmdir (&dir);
}

/* Appends records [pos, pos + n) in the open transaction, their leaves
   into leaves. */
static void s_append (jk_log_t *log, uint64_t pos, int n, uint8_t (*leaves)[32])
{
    for (int i = 0; i < n; i++, pos++) {
        jk_log_record_t record = {.type = "cooperative.registered",
                                  .version = 1,
                                  .source = "kop-3203",
                                  .seq = pos,
                                  .at = 1700000000000,
                                  .outcome = JK_LOG_ACCEPTED};
        memcpy (record.id, &pos, sizeof pos);
        uint8_t *bytes = jk_test_record_bytes (
            record.type, record.version, record.source, record.seq, record.at,
            record.id, &record.size);
        record.bytes = bytes;
        record.recorded_at = jk_log_next_time (log);
        assert_int_equal (jk_log_append (log, &record), JK_OK);
        assert_int_equal (record.pos, pos);
        uint8_t entry[256];
        size_t e = jk_merkle_entry (pos, record.recorded_at, 0, NULL, NULL,
                                    bytes, record.size, entry, sizeof entry);
        assert_true (e > 0);
        s_sha (entry, e, NULL, 0, 0x00, leaves[pos - 1]);
        free (bytes);
    }
}

/* The store's log keeps the tree in its transactions; verify recomputes
   it and names the first position whose tile disagrees. */
static void test_log_verify_tree (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("merkle");
    char path[512];
    snprintf (path, sizeof path, "%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    uint8_t (*leaves)[32] = jk_calloc (600, 32);
    bool rolled_back = false;
    for (uint64_t pos = 1; pos <= 600;) {
        assert_int_equal (jk_log_begin (log), JK_OK);
        s_append (log, pos, 50, leaves);
        pos += 50;
        /* A rolled-back batch leaves the tree as it was. */
        if (pos == 301 && !rolled_back) {
            rolled_back = true;
            jk_log_rollback (log);
            pos -= 50;
            continue;
        }
        assert_int_equal (jk_log_commit (log), JK_OK);
    }
    uint8_t want[32], got[32];
    s_naive_root (leaves, 600, want);
    jk_tiles_head (jk_log_tiles (log), got);
    assert_memory_equal (got, want, 32);
    jk_log_close (&log);

    jk_verify_result_t result;
    assert_int_equal (jk_log_verify (path, NULL, &result, NULL, NULL), JK_OK);
    assert_int_equal (result.records, 600);
    assert_int_equal (result.tree_stored, 512);
    assert_false (result.tree_absent);
    assert_memory_equal (result.root, want, 32);

    sqlite3 *db;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (db,
                      "UPDATE merkle_tile SET hashes ="
                      " CAST(zeroblob(32) || substr(hashes, 33) AS BLOB)"
                      " WHERE level = 0 AND idx = 1",
                      NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    assert_int_equal (jk_log_verify (path, NULL, &result, NULL, NULL),
                      JK_INVALID);
    assert_int_equal (result.problem, JK_VERIFY_TREE);
    /* The first leaf of that tile: the walk went on to the log's head. */
    assert_int_equal (result.bad_pos, 257);
    assert_int_equal (result.tree_bad_pos, 257);
    assert_string_equal (result.tree_where, "tile level 0 index 1, hash 0");
    assert_int_equal (result.head.pos, 600);
    assert_string_equal (result.message,
                         "Merkle tile level 0 index 1 differs from the log at "
                         "hash 0 (tampered tile)");
    /* The store reopens it with the same head (kept in the upper tiles);
       verify is what finds the bad tile. */
    log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    jk_tiles_head (jk_log_tiles (log), got);
    assert_memory_equal (got, want, 32);
    jk_log_close (&log);
    free (leaves);
    jk_test_rmdir (&dir);
}

/* Stores an update's tiles in the log's open transaction, as the store
   does; returns the update's size. */
static uint64_t s_store_update (jk_log_t *log, zmsg_t **update)
{
    char *command = zmsg_popstr (*update);
    assert_string_equal (command, "TREE");
    free (command);
    uint64_t size;
    uint8_t head[32];
    assert_int_equal (jk_tree_update_open (*update, &size, head), JK_OK);
    for (zframe_t *f = zmsg_first (*update); f; f = zmsg_next (*update)) {
        int level;
        uint64_t idx;
        const uint8_t *hashes;
        uint32_t width;
        assert_int_equal (jk_tree_tile (f, &level, &idx, &hashes, &width),
                          JK_OK);
        assert_int_equal (jk_log_put_tile (log, level, idx, hashes, width),
                          JK_OK);
    }
    zmsg_destroy (update);
    return size;
}

/* The tree behind the writer: the log appends without hashing, a
   follower on its own connection computes the tree from the committed
   records only (never an open or rolled-back transaction's), in steps of
   any size, and its head at every size is the naive tree's; its tiles
   ride in the writer's next transaction. The process then "dies" with
   the tree behind the log (the last batches' tiles never stored): the
   log opened again stores them from the records, its head is the naive
   head over all 1,000, and verify finds every tile right. */
static void test_tree_follows_log (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("merkle");
    char path[512];
    snprintf (path, sizeof path, "%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    jk_log_tree_apart (log);
    jk_tree_t *tree = jk_tree_new (path, err, sizeof err);
    assert_non_null (tree);
    uint8_t (*leaves)[32] = jk_calloc (1000, 32);
    uint8_t want[32], got[32];
    zmsg_t *waiting = NULL; /* the follower's last update, not stored */
    uint64_t pos = 1, stored = 0;
    for (int batch = 0; pos <= 1000; batch++) {
        assert_int_equal (jk_log_begin (log), JK_OK);
        s_append (log, pos, 50, leaves);
        /* Not committed yet: the follower does not see it. */
        size_t added = 0;
        assert_int_equal (jk_tree_step (tree, 1000, &added), JK_OK);
        assert_int_equal (added, 0);
        assert_int_equal (jk_tree_size (tree), pos - 1);
        if (batch == 5) {
            jk_log_rollback (log);
            assert_int_equal (jk_tree_step (tree, 1000, &added), JK_OK);
            assert_int_equal (added, 0);
            continue;
        }
        if (waiting)
            stored = s_store_update (log, &waiting);
        assert_int_equal (jk_log_commit (log), JK_OK);
        pos += 50;
        /* Steps of 70 at most: each size's head is the naive one. */
        do {
            assert_int_equal (jk_tree_step (tree, 70, &added), JK_OK);
            s_naive_root (leaves, jk_tree_size (tree), want);
            jk_tree_head (tree, got);
            assert_memory_equal (got, want, 32);
        } while (added > 0);
        assert_int_equal (jk_tree_size (tree), pos - 1);
        zmsg_destroy (&waiting);
        waiting = jk_tree_update (tree);
        if (pos > 800)
            break; /* dies here: 800 records, the tree stored to 750 */
    }
    assert_int_equal (stored, 750);
    zmsg_destroy (&waiting);
    jk_tree_destroy (&tree);
    jk_log_close (&log);

    log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    s_naive_root (leaves, 800, want);
    jk_tiles_head (jk_log_tiles (log), got);
    assert_memory_equal (got, want, 32);
    assert_int_equal (jk_tiles_size (jk_log_tiles (log)), 800);
    jk_log_close (&log);
    jk_verify_result_t result;
    assert_int_equal (jk_log_verify (path, NULL, &result, NULL, NULL), JK_OK);
    assert_int_equal (result.records, 800);
    assert_int_equal (result.tree_stored, 768);
    assert_memory_equal (result.root, want, 32);
    free (leaves);
    jk_test_rmdir (&dir);
}

/* Appends records [pos, pos + n) in the open transaction, every 7th a
   rejection; their leaves (computed here from the entry's definition)
   into leaves, and the records packed as the store hands them to the
   broker and the tree thread into packed (*packed_size bytes). */
static void s_append_packed (jk_log_t *log, uint64_t pos, int n,
                             uint8_t (*leaves)[32], uint8_t *packed,
                             size_t *packed_size)
{
    *packed_size = 0;
    for (int i = 0; i < n; i++, pos++) {
        bool rejected = pos % 7 == 0;
        jk_log_record_t record = {
            .type = "cooperative.registered",
            .version = 1,
            .source = "kop-3203",
            .seq = pos,
            .at = 1700000000000,
            .outcome = rejected ? JK_LOG_REJECTED : JK_LOG_ACCEPTED,
            .code = rejected ? "E_NIK_TAKEN" : NULL,
            .message = rejected ? "body.nik 3203 sudah terdaftar" : NULL};
        memcpy (record.id, &pos, sizeof pos);
        uint8_t *bytes = jk_test_record_bytes (
            record.type, record.version, record.source, record.seq, record.at,
            record.id, &record.size);
        record.bytes = bytes;
        record.recorded_at = jk_log_next_time (log);
        assert_int_equal (jk_log_append (log, &record), JK_OK);
        uint8_t entry[256];
        size_t e = jk_merkle_entry (pos, record.recorded_at, record.outcome,
                                    record.code, record.message, bytes,
                                    record.size, entry, sizeof entry);
        assert_true (e > 0);
        s_sha (entry, e, NULL, 0, 0x00, leaves[pos - 1]);
        jk_record_t r = {.pos = pos,
                         .recorded_at = record.recorded_at,
                         .bytes = bytes,
                         .size = record.size};
        snprintf (r.topic, sizeof r.topic, "%scooperative.registered",
                  rejected ? JK_REJECTED_PREFIX : "");
        memcpy (r.hash, record.hash, 32);
        if (rejected) {
            snprintf (r.code, sizeof r.code, "%s", record.code);
            snprintf (r.message, sizeof r.message, "%s", record.message);
        }
        *packed_size += jk_records_put (packed + *packed_size, &r);
        free (bytes);
    }
}

/* The tree thread fed from the writer's memory: the committed records,
   packed as for the broker, join the tree without the log being read;
   records fed twice are skipped; a batch never fed (a lost message) is
   read from the log when the next one shows the gap; the head at every
   size is the naive tree's over the entries' definition (rejections
   with their code and message); malformed input joins nothing after the
   break; the tiles stored from its updates pass verify. */
static void test_tree_fed_from_memory (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("merkle");
    char path[512];
    snprintf (path, sizeof path, "%s/events.db", dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    jk_log_tree_apart (log);
    jk_tree_t *tree = jk_tree_new (path, err, sizeof err);
    assert_non_null (tree);
    uint8_t (*leaves)[32] = jk_calloc (1000, 32);
    uint8_t *packed = jk_malloc (64 * 1024);
    size_t packed_size = 0, added = 0;
    uint8_t want[32], got[32];
    uint64_t pos = 1;
    for (int batch = 0; pos <= 900; batch++) {
        assert_int_equal (jk_log_begin (log), JK_OK);
        if (batch > 0) {
            /* The tiles of the last update ride along, as in the store
               (the batch never handed over is not in the tree yet). */
            zmsg_t *update = jk_tree_update (tree);
            assert_int_equal (s_store_update (log, &update),
                              batch == 4 ? pos - 61 : pos - 1);
        }
        s_append_packed (log, pos, 60, leaves, packed, &packed_size);
        assert_int_equal (jk_log_commit (log), JK_OK);
        pos += 60;
        if (batch == 3)
            continue; /* never handed over */
        assert_int_equal (jk_tree_feed (tree, packed, packed_size, &added),
                          JK_OK);
        assert_int_equal (added, batch == 4 ? 120 : 60);
        assert_int_equal (jk_tree_size (tree), pos - 1);
        s_naive_root (leaves, pos - 1, want);
        jk_tree_head (tree, got);
        assert_memory_equal (got, want, 32);
        if (batch == 5) {
            /* Handed over twice: nothing joins again. */
            assert_int_equal (jk_tree_feed (tree, packed, packed_size, &added),
                              JK_OK);
            assert_int_equal (added, 0);
        }
    }
    assert_int_equal (jk_tree_size (tree), 900);
    /* A record cut short: nothing after the break joins. */
    assert_int_equal (jk_log_begin (log), JK_OK);
    s_append_packed (log, pos, 2, leaves, packed, &packed_size);
    assert_int_equal (jk_log_commit (log), JK_OK);
    assert_int_equal (jk_tree_feed (tree, packed, packed_size - 1, &added),
                      JK_INVALID);
    assert_int_equal (added, 1);
    assert_int_equal (jk_tree_size (tree), 901);
    assert_int_equal (jk_log_begin (log), JK_OK);
    zmsg_t *update = jk_tree_update (tree);
    assert_int_equal (s_store_update (log, &update), 901);
    assert_int_equal (jk_log_commit (log), JK_OK);
    jk_tree_destroy (&tree);
    jk_log_close (&log);
    jk_verify_result_t result;
    assert_int_equal (jk_log_verify (path, NULL, &result, NULL, NULL), JK_OK);
    assert_int_equal (result.records, 902);
    assert_int_equal (result.tree_stored, 768);
    s_naive_root (leaves, 902, want);
    assert_memory_equal (result.root, want, 32);
    free (packed);
    free (leaves);
    jk_test_rmdir (&dir);
}

/* An in-memory database whose writer stored the tiles of leaves[0..n),
   leaves[i] = SHA-256(0x00 || i). */
static sqlite3 *s_upper_db (uint8_t (*leaves)[32], uint32_t n)
{
    sqlite3 *db;
    assert_int_equal (sqlite3_open (":memory:", &db), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (db,
                      "CREATE TABLE log (pos INTEGER PRIMARY KEY, recorded_at,"
                      " outcome, code, message, bytes)",
                      NULL, NULL, NULL),
        SQLITE_OK);
    char err[256];
    jk_tiles_t *tiles = jk_tiles_open (db, 0, err, sizeof err);
    assert_non_null (tiles);
    assert_int_equal (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (uint32_t i = 0; i < n; i++) {
        s_sha ((const uint8_t *)&i, sizeof i, NULL, 0, 0x00, leaves[i]);
        assert_int_equal (jk_tiles_append (tiles, leaves[i]), JK_OK);
    }
    assert_int_equal (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    jk_tiles_commit (tiles);
    uint8_t want[32], got[32];
    s_naive_root (leaves, n, want);
    jk_tiles_head (tiles, got);
    assert_memory_equal (got, want, 32);
    jk_tiles_destroy (&tiles);
    return db;
}

static void s_exec (sqlite3 *db, const char *sql)
{
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* The check of db's tiles against leaves[0..n): the first position of
   its problem (0 when none), the leaves the stored tiles cover in
   *stored, the problem's message in message. */
static uint64_t s_check_pos (sqlite3 *db, uint8_t (*leaves)[32], uint64_t n,
                             uint64_t *stored, char message[200])
{
    jk_tiles_problem_t problem = {0};
    jk_tiles_check_t *check = jk_tiles_check_new (db);
    assert_non_null (check);
    for (uint64_t i = 0; i < n; i++)
        jk_tiles_check_add (check, leaves[i]);
    jk_tiles_check_end (check, stored);
    jk_tiles_check_problem (check, &problem);
    jk_tiles_check_destroy (&check);
    memcpy (message, problem.message, sizeof problem.message);
    return problem.pos;
}

/* A log of exactly 65,536 records: level-1 tile 0 full and no tile after
   it, the level-2 tile 0 with its root; the check passes it, and a log
   grown past it (the tree lagging). An upper tile stored where the log
   gives no hash is found, wherever it lies. */
static void test_tiles_upper_exact (void **state)
{
    (void)state;
    enum { N = 65536, GROWN = 65536 + 300 };
    uint8_t (*leaves)[32] = jk_calloc (GROWN, 32);
    sqlite3 *db = s_upper_db (leaves, N);
    for (uint32_t i = N; i < GROWN; i++)
        s_sha ((const uint8_t *)&i, sizeof i, NULL, 0, 0x00, leaves[i]);
    uint64_t stored = 0;
    char message[200];
    assert_int_equal (s_check_pos (db, leaves, N, &stored, message), 0);
    assert_int_equal (stored, N);
    assert_int_equal (s_check_pos (db, leaves, GROWN, &stored, message), 0);
    assert_int_equal (stored, N);

    /* A level-1 tile after the full one: a subtree the log cannot
       complete, past its last record. */
    s_exec (db, "INSERT INTO merkle_tile VALUES (1, 1,"
                " zeroblob(32))");
    assert_int_equal (s_check_pos (db, leaves, N, &stored, message), N + 1);
    assert_string_equal (message, "Merkle tile level 1 index 1 holds 1 "
                                  "hash, the log gives 0");
    /* A level-2 tile past the log: from its first record. */
    s_exec (db, "DELETE FROM merkle_tile WHERE level = 1 AND"
                " idx = 1; INSERT INTO merkle_tile VALUES"
                " (2, 1, zeroblob(32))");
    assert_int_equal (s_check_pos (db, leaves, N, &stored, message),
                      (1u << 24) + 1);
    assert_string_equal (message,
                         "Merkle tile level 2 index 1 lies beyond the log");
    /* A level no tree has. */
    s_exec (db, "DELETE FROM merkle_tile WHERE level = 2 AND"
                " idx = 1; INSERT INTO merkle_tile VALUES"
                " (-1, 0, zeroblob(32))");
    assert_int_equal (s_check_pos (db, leaves, N, &stored, message), N + 1);
    assert_string_equal (message,
                         "Merkle tile level -1 index 0 lies beyond the log");
    sqlite3_close (db);
    free (leaves);
}

/* Tiles above level 1: the writer's tiles over 65,836 leaves store the
   level-1 tiles and the level-2 one from the right edge's node hashes
   (no tile root is hashed apart), each equal to the naive tree's nodes,
   and the check walk agrees with them. */
static void test_tiles_upper_levels (void **state)
{
    (void)state;
    enum { N = 65536 + 300 };
    uint8_t (*leaves)[32] = jk_calloc (N, 32);
    sqlite3 *db = s_upper_db (leaves, N);
    uint8_t want[32], got[32];
    sqlite3_stmt *st;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT level, idx, hashes FROM"
                                          " merkle_tile WHERE level > 0"
                                          " ORDER BY level, idx",
                                          -1, &st, NULL),
                      SQLITE_OK);
    /* Level 1: tile 0 full (256 roots of 256 leaves), tile 1 with one;
       level 2: tile 0 with the root of the first 65,536. */
    static const struct {
        int level, idx, width;
    } rows[] = {{1, 0, 256}, {1, 1, 1}, {2, 0, 1}};
    for (size_t r = 0; r < 3; r++) {
        assert_int_equal (sqlite3_step (st), SQLITE_ROW);
        assert_int_equal (sqlite3_column_int (st, 0), rows[r].level);
        assert_int_equal (sqlite3_column_int (st, 1), rows[r].idx);
        assert_int_equal (sqlite3_column_bytes (st, 2), 32 * rows[r].width);
        const uint8_t *hashes = sqlite3_column_blob (st, 2);
        uint64_t span = (uint64_t)1 << (8 * rows[r].level);
        for (int i = 0; i < rows[r].width; i++) {
            uint64_t first = ((uint64_t)rows[r].idx * 256 + (uint64_t)i) * span;
            s_naive_root (leaves + first, span, want);
            assert_memory_equal (hashes + 32 * i, want, 32);
        }
    }
    assert_int_equal (sqlite3_step (st), SQLITE_DONE);
    sqlite3_finalize (st);
    jk_tiles_check_t *check = jk_tiles_check_new (db);
    assert_non_null (check);
    for (uint32_t i = 0; i < N; i++)
        jk_tiles_check_add (check, leaves[i]);
    uint64_t stored = 0;
    jk_tiles_check_end (check, &stored);
    jk_tiles_problem_t problem;
    assert_int_equal (jk_tiles_check_problem (check, &problem), JK_OK);
    assert_int_equal (stored, 65792);
    s_naive_root (leaves, N, want);
    jk_tiles_check_root (check, got);
    assert_memory_equal (got, want, 32);
    jk_tiles_check_destroy (&check);
    sqlite3_close (db);
    free (leaves);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rfc6962_roots),
        cmocka_unit_test (test_edge_push_tells_merges),
        cmocka_unit_test (test_rfc6962_proofs),
        cmocka_unit_test (test_every_size_against_naive),
        cmocka_unit_test (test_writer_commit_rollback),
        cmocka_unit_test (test_tampered_tile_detected),
        cmocka_unit_test (test_lagging_tree_owes_upper_hashes),
        cmocka_unit_test (test_log_verify_tree),
        cmocka_unit_test (test_tree_follows_log),
        cmocka_unit_test (test_tree_fed_from_memory),
        cmocka_unit_test (test_tiles_upper_levels),
        cmocka_unit_test (test_tiles_upper_exact),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
