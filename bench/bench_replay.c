/*  bench_replay.c - jejak-replay's verify and rebuild on a generated log
    (default 1,000,000 records; --quick 100,000; or a count), beside a
    baseline measured in the same run: a bare sequential read of the log
    table with one SHA-256 per row. Rebuild runs --runs times (default 3,
    --quick 1), each into a fresh file, and each result is compared with
    the projections the generator wrote live (jk_replay_diff, what
    `jejak-replay diff` runs): rebuild_min_per_s is the slowest run,
    rebuild_per_s the median, diff_equal true when every run matched.
    The log is generated in the layout the store keeps (the log and its
    Merkle tiles in one file, the projections in the file beside it,
    jk_projections_path): the generator writes both into one file, where
    the log's pages lie among the projections', and the bench then
    splits it (s_split). --log PATH keeps the generated log at PATH (its
    projections at PATH-projections) and uses it as it is when it exists
    already (repeated runs on one log; COUNT must match).
    Rebuild's CPU time (user + system, getrusage) is reported beside the
    wall time: on a loaded machine it is the figure that the load moves
    least.
    The bench's own writes (the generated log, a run's output) are
    synced to disk before the baseline and before each timed rebuild, so
    the kernel's writeback of them does not run inside a measurement.
    Usage: bench_replay [--quick | COUNT] [--runs R] [--log PATH]
    Prints a table and a JSON line. */
#define _GNU_SOURCE /* sync */
#include "../tests/unit/replay/replay_workload.h"
#include "bench_common.h"
#include "jk_integrity.h"
#include "jk_log.h"
#include "jk_projection_table.h"
#include "jk_projector.h"
#include "jk_rebuild.h"
#include "jk_replay.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* Runs sql on db; exits on a failure. */
static void s_exec (sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf (stderr, "bench_replay: %s: %s\n", sql,
                 msg ? msg : sqlite3_errmsg (db));
        exit (1);
    }
}

/* Splits gen, a log the generator wrote with its projections in the same
   file, into the store's layout: the log and its Merkle tiles into a
   fresh log at db, the projection tables into db's projections file.
   Each table is copied in one INSERT ... SELECT, so each file holds its
   tables' pages in order, as the store's files grow. */
static void s_split (const char *gen, const char *db)
{
    char err[256];
    jk_log_t *log = jk_log_open (db, 0, err, sizeof err);
    if (!log) {
        fprintf (stderr, "bench_replay: %s\n", err);
        exit (1);
    }
    char *sql = sqlite3_mprintf ("PRAGMA synchronous = OFF; ATTACH %Q AS g;"
                                 " BEGIN;"
                                 " INSERT INTO main.log SELECT * FROM g.log;"
                                 " INSERT INTO main.merkle_tile"
                                 " SELECT * FROM g.merkle_tile;"
                                 " COMMIT; DETACH g",
                                 gen);
    s_exec (jk_log_db (log), sql);
    sqlite3_free (sql);
    jk_log_close (&log);
    char *path = jk_projections_path (db);
    sqlite3 *proj = NULL;
    if (sqlite3_open (path, &proj) != SQLITE_OK ||
        jk_projections_migrate (proj, err, sizeof err)) {
        fprintf (stderr, "bench_replay: %s: %s\n", path,
                 proj ? sqlite3_errmsg (proj) : err);
        exit (1);
    }
    sql = sqlite3_mprintf ("PRAGMA synchronous = OFF; ATTACH %Q AS g; BEGIN",
                           gen);
    s_exec (proj, sql);
    sqlite3_free (sql);
    for (size_t i = 0; i < jk_ptable_count (); i++) {
        const char *name = jk_ptable_at (i)->name;
        sql = sqlite3_mprintf ("DELETE FROM main.%w;"
                               " INSERT INTO main.%w SELECT * FROM g.%w",
                               name, name, name);
        s_exec (proj, sql);
        sqlite3_free (sql);
    }
    s_exec (proj, "COMMIT; DETACH g");
    sqlite3_close (proj);
    free (path);
}

/* CPU seconds this process used so far (user + system, all threads). */
static double s_cpu_s (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void s_usage (void)
{
    fprintf (stderr,
             "usage: bench_replay [--quick | COUNT] [--runs R] [--log PATH]\n");
    exit (2);
}

/* The command line (s_usage on a bad one). */
static void s_options (int argc, char **argv, uint64_t *count, uint64_t *runs,
                       const char **keep)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0) {
            *count = 100000;
            *runs = 1;
        } else if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc) {
            if (jk_parse_u64 (argv[++i], runs) != JK_OK || *runs < 1 ||
                *runs > 20)
                s_usage ();
        } else if (strcmp (argv[i], "--log") == 0 && i + 1 < argc)
            *keep = argv[++i];
        else if (jk_parse_u64 (argv[i], count) != JK_OK || *count == 0)
            s_usage ();
    }
}

/* The phases of each run (jk_rebuild_result_t), in seconds. */
typedef struct {
    double *apply, *copy, *tables, *indexes;
} s_phases_t;

/* Rebuilds db into out runs times, each diffed with the live
   projections; wall and CPU seconds per run into times and cpu, the
   phases into phases. 1 when every run was equal, 0 when one differed,
   -1 when one failed. */
static int s_rebuilds (const char *db, const char *out, uint64_t count,
                       uint64_t runs, double *times, double *cpu,
                       s_phases_t *phases)
{
    bool equal = true;
    for (uint64_t r = 0; r < runs; r++) {
        jk_rebuild_result_t rebuilt;
        char err[256];
        jk_db_remove (out);
        /* What the bench wrote before (the generated log, the last run's
           output) goes to disk now, not by the kernel's writeback inside
           the timed run: a rebuild runs on a log written long before. */
        sync ();
        int64_t started = jk_clock_mono_ms ();
        double cpu0 = s_cpu_s ();
        int rc = jk_log_rebuild (db, out, NULL, &rebuilt, err, sizeof err);
        times[r] = (double)(jk_clock_mono_ms () - started) / 1000.0;
        cpu[r] = s_cpu_s () - cpu0;
        if (rc != JK_OK || rebuilt.records != count) {
            fprintf (stderr, "rebuild failed: %s\n", err);
            return -1;
        }
        phases->apply[r] = (double)rebuilt.apply_ms / 1000.0;
        phases->copy[r] = (double)rebuilt.copy_ms / 1000.0;
        phases->tables[r] = (double)rebuilt.tables_ms / 1000.0;
        phases->indexes[r] = (double)rebuilt.indexes_ms / 1000.0;
        int64_t differ = jk_replay_diff (db, out, NULL, err, sizeof err);
        printf ("rebuild run %llu: %.2f s (CPU %.2f s), %.0f records/s, diff "
                "against the live projections: %s; apply %.2f s (the log's "
                "page copy %.2f s beside it, %llu pages), tables %.2f s, "
                "indexes %.2f s\n",
                (unsigned long long)r + 1, times[r], cpu[r],
                (double)count / times[r],
                differ == 0  ? "equal"
                : differ < 0 ? err
                             : "DIFFERENT",
                phases->apply[r], phases->copy[r],
                (unsigned long long)rebuilt.pages_copied, phases->tables[r],
                phases->indexes[r]);
        equal = equal && differ == 0;
    }
    return equal ? 1 : 0;
}

int main (int argc, char **argv)
{
    uint64_t count = 1000000, runs = 3;
    const char *keep = NULL;
    s_options (argc, argv, &count, &runs, &keep);
    jk_log_set_level (JK_LOG_WARN);
    char dir[] = "/tmp/jejak-bench-replay-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    char *db = keep ? jk_strdup (keep) : jk_sprintf ("%s/events.db", dir);
    char *out = jk_sprintf ("%s/rebuilt.db", dir);
    int64_t started = jk_clock_mono_ms ();
    if (!keep || access (keep, R_OK) != 0) {
        fprintf (stderr, "bench_replay: generating %llu records...\n",
                 (unsigned long long)count);
        char *gen = jk_sprintf ("%s/generated.db", dir);
        rw_build (gen, count, NULL, NULL);
        s_split (gen, db);
        jk_db_remove (gen);
        free (gen);
    }
    double build_s = (double)(jk_clock_mono_ms () - started) / 1000.0;
    sync (); /* the baseline and verify read a log on disk, as s_rebuilds */

    uint64_t rows;
    double base_s = s_baseline (db, &rows);

    jk_verify_result_t verify;
    started = jk_clock_mono_ms ();
    int rc = jk_log_verify (db, NULL, &verify, NULL, NULL);
    double verify_s = (double)(jk_clock_mono_ms () - started) / 1000.0;
    if (rc != JK_OK || verify.records != count) {
        if (rc != JK_OK)
            fprintf (stderr, "verify failed: %s\n", verify.message);
        else
            fprintf (stderr,
                     "verify: %" PRIu64 " records in %s, %" PRIu64
                     " expected (a log of another size: give a new --log)\n",
                     (uint64_t)verify.records, db, (uint64_t)count);
        return 1;
    }

    double *times = jk_calloc (runs, sizeof (double));
    double *cpu = jk_calloc (runs, sizeof (double));
    s_phases_t phases = {.apply = jk_calloc (runs, sizeof (double)),
                         .copy = jk_calloc (runs, sizeof (double)),
                         .tables = jk_calloc (runs, sizeof (double)),
                         .indexes = jk_calloc (runs, sizeof (double))};
    int equal = s_rebuilds (db, out, count, runs, times, cpu, &phases);
    if (equal < 0)
        return 1;
    double apply_s = jk_bench_median (phases.apply, runs),
           copy_s = jk_bench_median (phases.copy, runs),
           tables_s = jk_bench_median (phases.tables, runs),
           indexes_s = jk_bench_median (phases.indexes, runs);
    free (phases.apply);
    free (phases.copy);
    free (phases.tables);
    free (phases.indexes);
    double rebuild_s = jk_bench_median (times, runs);
    double cpu_s = jk_bench_median (cpu, runs);
    free (cpu);
    double slowest_s = times[0];
    for (uint64_t r = 1; r < runs; r++)
        slowest_s = times[r] > slowest_s ? times[r] : slowest_s;
    free (times);

    printf ("%-34s %12s %12s\n", "replay, records", "seconds", "records/s");
    printf ("%-34s %12.2f %12.0f\n", "generate (store apply path)", build_s,
            (double)count / build_s);
    printf ("%-34s %12.2f %12.0f\n", "baseline: read + SHA-256 per row", base_s,
            (double)rows / base_s);
    printf ("%-34s %12.2f %12.0f\n", "verify (jk_log_verify)", verify_s,
            (double)count / verify_s);
    printf ("%-34s %12.2f %12.0f\n", "rebuild (jk_log_rebuild), median",
            rebuild_s, (double)count / rebuild_s);
    printf ("%-34s %12.2f %12.0f\n", "rebuild, slowest run", slowest_s,
            (double)count / slowest_s);
    printf ("%-34s %12.2f %12.0f\n", "rebuild CPU time, median", cpu_s,
            (double)count / cpu_s);
    printf ("{\"bench\":\"replay\",\"records\":%llu,\"baseline_s\":%.3f,"
            "\"verify_s\":%.3f,\"verify_per_s\":%.0f,\"rebuild_s\":%.3f,"
            "\"rebuild_per_s\":%.0f,\"rebuild_runs\":%llu,"
            "\"rebuild_min_per_s\":%.0f,\"rebuild_cpu_s\":%.3f,"
            "\"rebuild_cpu_per_s\":%.0f,\"rebuild_apply_s\":%.3f,"
            "\"rebuild_copy_s\":%.3f,\"rebuild_tables_s\":%.3f,"
            "\"rebuild_indexes_s\":%.3f,\"diff_equal\":%s,"
            "\"verify_goal_met\":%s,\"rebuild_goal_met\":%s}\n",
            (unsigned long long)count, base_s, verify_s,
            (double)count / verify_s, rebuild_s, (double)count / rebuild_s,
            (unsigned long long)runs, (double)count / slowest_s, cpu_s,
            (double)count / cpu_s, apply_s, copy_s, tables_s, indexes_s,
            equal ? "true" : "false",
            verify_s <= 2.0 * (double)count / 1e6 ? "true" : "false",
            (double)count / slowest_s >= 250000 ? "true" : "false");
    char *cmd = jk_sprintf ("rm -rf '%s'", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", dir);
    free (cmd);
    free (db);
    free (out);
    return equal ? 0 : 1;
}
