/*  bench_merkle.c - the Merkle tile store alone at a large size: appends
    N leaves (hashing a 250-byte entry per leaf, as the log does for each
    record) in batches of 1,000 through the writer, then generates random
    inclusion and consistency proofs from a fresh read connection, checks
    every one against the head, and reports the per-proof p50/p99 times,
    the proof sizes and the writer's cost per leaf. Prints a table and one
    JSON line.
    Usage: bench_merkle [--quick] [--leaves N] [--proofs P] */
#include "bench_common.h"
#include "jk_tiles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main (int argc, char **argv)
{
    uint64_t leaves = 10000128; /* 39,063 full tiles: >= 10M */
    size_t proofs = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0) {
            leaves = 100096;
            proofs = 2000;
        } else if (strcmp (argv[i], "--leaves") == 0 && i + 1 < argc)
            leaves = strtoull (argv[++i], NULL, 10);
        else if (strcmp (argv[i], "--proofs") == 0 && i + 1 < argc)
            proofs = (size_t)strtoull (argv[++i], NULL, 10);
        else {
            fprintf (stderr, "usage: bench_merkle [--quick] [--leaves N] "
                             "[--proofs P]\n");
            return 2;
        }
    }
    /* Proofs come from stored tiles only: whole tiles. */
    leaves -= leaves % JK_MERKLE_TILE_WIDTH;
    if (leaves < 2 * JK_MERKLE_TILE_WIDTH || proofs < 1) {
        fprintf (stderr, "bench_merkle: --leaves must be >= 512\n");
        return 2;
    }
    char *dir = jk_bench_tmpdir ("merkle");
    char path[512];
    snprintf (path, sizeof path, "%s/tree.db", dir);
    sqlite3 *db = NULL;
    sqlite3_open (path, &db);
    /* The tree alone: an empty log table (proofs below use whole tiles);
       no syncs, as the COMMIT the tiles share is the log's. */
    sqlite3_exec (db,
                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;"
                  "CREATE TABLE log (pos INTEGER PRIMARY KEY, recorded_at,"
                  " outcome, code, message, bytes)",
                  NULL, NULL, NULL);
    char err[256];
    jk_tiles_t *writer = jk_tiles_open (db, 0, err, sizeof err);
    if (!writer) {
        fprintf (stderr, "bench_merkle: %s\n", err);
        return 1;
    }
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t entry[250];
    memset (entry, 0xa5, sizeof entry);
    double t0 = jk_bench_now ();
    for (uint64_t i = 0; i < leaves;) {
        sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        for (int k = 0; k < 1000 && i < leaves; k++, i++) {
            memcpy (entry, &i, sizeof i);
            uint8_t leaf[32];
            jk_mhash_leaf (mh, entry, sizeof entry, leaf);
            if (jk_tiles_append (writer, leaf) != JK_OK) {
                fprintf (stderr, "bench_merkle: append failed\n");
                return 1;
            }
        }
        sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
        jk_tiles_commit (writer);
    }
    double append_s = jk_bench_now () - t0;
    uint8_t head[32];
    jk_tiles_head (writer, head);
    jk_tiles_destroy (&writer);
    sqlite3_close (db);

    /* A fresh connection, as the query endpoint has. */
    sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
    jk_tiles_t *reader = jk_tiles_reader (db);
    jk_mhash_t *rh = jk_tiles_hasher (reader);
    uint8_t root[32], old_root[32];
    jk_merkle_root (jk_tiles_node, reader, rh, leaves, root);
    int bad = memcmp (root, head, 32) != 0;
    double *incl = jk_calloc (proofs, sizeof (double));
    double *cons = jk_calloc (proofs, sizeof (double));
    uint8_t proof[JK_MERKLE_PROOF_MAX][32];
    size_t max_incl = 0, max_cons = 0;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (size_t p = 0; p < proofs; p++) {
        uint64_t index = jk_bench_xorshift (&seed) % leaves;
        size_t count = 0;
        double a = jk_bench_now ();
        int rc = jk_merkle_inclusion (jk_tiles_node, reader, rh, index, leaves,
                                      proof, &count);
        incl[p] = (jk_bench_now () - a) * 1e6;
        /* The leaf is recomputed as the writer made it. */
        memcpy (entry, &index, sizeof index);
        uint8_t leaf[32];
        jk_mhash_leaf (mh, entry, sizeof entry, leaf);
        if (rc != JK_OK ||
            jk_merkle_verify_inclusion (rh, index, leaves, leaf, proof[0],
                                        count, root) != JK_OK)
            bad++;
        if (count > max_incl)
            max_incl = count;
    }
    for (size_t p = 0; p < proofs; p++) {
        /* Old sizes a checkpoint could have: any size below the head. */
        uint64_t old_size = 1 + jk_bench_xorshift (&seed) % (leaves - 1);
        size_t count = 0;
        double a = jk_bench_now ();
        int rc = jk_merkle_consistency (jk_tiles_node, reader, rh, old_size,
                                        leaves, proof, &count);
        cons[p] = (jk_bench_now () - a) * 1e6;
        if (count > max_cons)
            max_cons = count;
        /* The old head is computed from the tiles (not timed). */
        if (rc != JK_OK ||
            (old_size % JK_MERKLE_TILE_WIDTH == 0 &&
             (jk_merkle_root (jk_tiles_node, reader, rh, old_size, old_root) !=
                  JK_OK ||
              jk_merkle_verify_consistency (rh, old_size, leaves, old_root,
                                            root, proof[0], count) != JK_OK)))
            bad++;
    }
    int log2n = 0;
    while ((uint64_t)1 << log2n < leaves)
        log2n++;
    double incl_p50 = jk_bench_percentile (incl, proofs, 0.50);
    double incl_p99 = jk_bench_percentile (incl, proofs, 0.99);
    double cons_p50 = jk_bench_percentile (cons, proofs, 0.50);
    double cons_p99 = jk_bench_percentile (cons, proofs, 0.99);
    double per_leaf_us = append_s * 1e6 / (double)leaves;
    printf ("Merkle tile store, %llu leaves (%d levels of hashes)\n",
            (unsigned long long)leaves, log2n);
    printf ("  append: %.2f s, %.3f us per leaf (250-byte entry hashed)\n",
            append_s, per_leaf_us);
    printf ("  inclusion proof: p50 %.1f us, p99 %.1f us, max %zu hashes "
            "(%zu bytes; bound 32 x %d = %d)\n",
            incl_p50, incl_p99, max_incl, 32 * max_incl, log2n, 32 * log2n);
    printf ("  consistency proof: p50 %.1f us, p99 %.1f us, max %zu hashes "
            "(%zu bytes)\n",
            cons_p50, cons_p99, max_cons, 32 * max_cons);
    printf ("  proofs checked: %zu, failed: %d\n", 2 * proofs, bad);
    printf ("{\"leaves\":%llu,\"append_us_per_leaf\":%.3f,"
            "\"inclusion_p50_us\":%.1f,\"inclusion_p99_us\":%.1f,"
            "\"consistency_p50_us\":%.1f,\"consistency_p99_us\":%.1f,"
            "\"inclusion_max_bytes\":%zu,\"consistency_max_bytes\":%zu,"
            "\"failed\":%d}\n",
            (unsigned long long)leaves, per_leaf_us, incl_p50, incl_p99,
            cons_p50, cons_p99, 32 * max_incl, 32 * max_cons, bad);
    free (incl);
    free (cons);
    jk_tiles_destroy (&reader);
    sqlite3_close (db);
    jk_mhash_destroy (&mh);
    jk_bench_rmdir (&dir);
    return bad ? 1 : 0;
}
