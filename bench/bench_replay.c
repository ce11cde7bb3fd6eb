/*  bench_replay.c - jejak-replay's verify and rebuild on a generated log
    (default 1,000,000 records; --quick 100,000; or a count), beside a
    baseline measured in the same run: a bare sequential read of the log
    table with one SHA-256 per row. Prints a table and a JSON line. */
#include "../tests/unit/replay/replay_workload.h"
#include "jk_rebuild.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads every row and hashes its bytes: what any chain check must do. */
static double s_baseline (const char *path, uint64_t *rows)
{
    sqlite3 *db = NULL;
    sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2 (db,
                        "SELECT pos, recorded_at, outcome, code, message, "
                        "bytes, hash FROM log ORDER BY pos",
                        -1, &stmt, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    const EVP_MD *md = EVP_sha256 ();
    uint8_t digest[32], prev[32] = {0};
    int64_t started = jk_clock_mono_ms ();
    *rows = 0;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        EVP_DigestInit_ex (ctx, md, NULL);
        EVP_DigestUpdate (ctx, prev, 32);
        EVP_DigestUpdate (ctx, sqlite3_column_blob (stmt, 5),
                          (size_t)sqlite3_column_bytes (stmt, 5));
        EVP_DigestFinal_ex (ctx, digest, NULL);
        memcpy (prev, digest, 32);
        (*rows)++;
    }
    double secs = (double)(jk_clock_mono_ms () - started) / 1000.0;
    EVP_MD_CTX_free (ctx);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return secs;
}

int main (int argc, char **argv)
{
    uint64_t count = 1000000;
    if (argc > 1 && strcmp (argv[1], "--quick") == 0)
        count = 100000;
    else if (argc > 1 && jk_parse_u64 (argv[1], &count) != JK_OK) {
        fprintf (stderr, "usage: bench_replay [--quick | COUNT]\n");
        return 2;
    }
    jk_log_set_level (JK_LOG_WARN);
    char dir[] = "/tmp/jejak-bench-replay-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    char *db = jk_sprintf ("%s/events.db", dir);
    char *out = jk_sprintf ("%s/rebuilt.db", dir);
    fprintf (stderr, "bench_replay: generating %llu records...\n",
             (unsigned long long)count);
    int64_t started = jk_clock_mono_ms ();
    rw_build (db, count, NULL, NULL);
    double build_s = (double)(jk_clock_mono_ms () - started) / 1000.0;

    uint64_t rows;
    double base_s = s_baseline (db, &rows);

    jk_verify_result_t verify;
    started = jk_clock_mono_ms ();
    int rc = jk_log_verify (db, NULL, &verify, NULL, NULL);
    double verify_s = (double)(jk_clock_mono_ms () - started) / 1000.0;
    if (rc != JK_OK || verify.records != count) {
        fprintf (stderr, "verify failed: %s\n", verify.message);
        return 1;
    }

    jk_rebuild_result_t rebuilt;
    char err[256];
    started = jk_clock_mono_ms ();
    rc = jk_log_rebuild (db, out, NULL, &rebuilt, err, sizeof err);
    double rebuild_s = (double)(jk_clock_mono_ms () - started) / 1000.0;
    if (rc != JK_OK || rebuilt.records != count) {
        fprintf (stderr, "rebuild failed: %s\n", err);
        return 1;
    }

    printf ("%-34s %12s %12s\n", "replay, records", "seconds", "records/s");
    printf ("%-34s %12.2f %12.0f\n", "generate (store apply path)", build_s,
            (double)count / build_s);
    printf ("%-34s %12.2f %12.0f\n", "baseline: read + SHA-256 per row", base_s,
            (double)rows / base_s);
    printf ("%-34s %12.2f %12.0f\n", "verify (jk_log_verify)", verify_s,
            (double)count / verify_s);
    printf ("%-34s %12.2f %12.0f\n", "rebuild (jk_log_rebuild)", rebuild_s,
            (double)count / rebuild_s);
    printf ("{\"bench\":\"replay\",\"records\":%llu,\"baseline_s\":%.3f,"
            "\"verify_s\":%.3f,\"verify_per_s\":%.0f,\"rebuild_s\":%.3f,"
            "\"rebuild_per_s\":%.0f,\"verify_goal_met\":%s,"
            "\"rebuild_goal_met\":%s}\n",
            (unsigned long long)count, base_s, verify_s,
            (double)count / verify_s, rebuild_s, (double)count / rebuild_s,
            verify_s <= 2.0 * (double)count / 1e6 ? "true" : "false",
            (double)count / rebuild_s >= 150000 ? "true" : "false");
    char *cmd = jk_sprintf ("rm -rf '%s'", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", dir);
    free (cmd);
    free (db);
    free (out);
    return 0;
}
