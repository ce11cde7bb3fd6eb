/*  bench_drain.c - outbox drain and CSV import rates of the agents.
    Drain: N person.registered events queued offline, then delivered to a
    real jejak-hub (ipc) -> events/s, beside a bare SQLite append of the
    same bytes (FULL sync, one transaction per 256) in the same run.
    Import: an N-row CSV through `jejak-registration import` (in process,
    --wait 0) -> rows/s, beside a bare SQLite insert of the same rows.
    Usage: bench_drain [--quick] [--drain-only] [--window W] [--batch B]
    [N]; --drain-only skips the import (for profiling the drain alone),
    --window and --batch set the drain's SUBMITs in flight and events per
    SUBMIT (default: the delivery's own). Prints a JSON line at the end. */
#include "bench_hub.h"
#include "jk_agent.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/bench-1"

/* The i-th person: a valid NIK (kecamatan 32.03.01, a birth date and a
   serial), CSV line or event fields. */
static void s_person (size_t i, char nik[32], char date[16])
{
    int32_t days = (int32_t)(i / 9000) * 7 + 365; /* 1971 on */
    int y, m, d;
    jk_civil_from_days (days, &y, &m, &d);
    snprintf (nik, 32, "320301%02d%02d%02d%04zu", d, m, y % 100, i % 9000 + 1);
    snprintf (date, 16, "%02d/%02d/%04d", d, m, y);
}

static jk_event_t *s_event (size_t i)
{
    const jk_type_t *t = jk_vocabulary_find ("person.registered", 17);
    jk_event_t *ev = jk_event_new (t);
    char nik[32], date[16], name[32];
    s_person (i, nik, date);
    snprintf (name, sizeof name, "Peserta %zu", i);
    jk_event_set_actor (ev, "bench");
    jk_event_set (ev, "nik", nik, NULL);
    jk_event_set (ev, "name", name, NULL);
    jk_event_set (ev, "sex", "L", NULL);
    jk_event_set (ev, "birth_date", date, NULL);
    jk_event_set (ev, "desa_code", "32.03.01.1006", NULL);
    return ev;
}

/* Bare SQLite: n rows of bytes into a table like the outbox's, one
   transaction per chunk, synchronous FULL. Returns rows/s. */
static double s_bare_sqlite (const char *path, uint8_t **bytes, size_t *sizes,
                             size_t n, size_t chunk)
{
    sqlite3 *db;
    sqlite3_open (path, &db);
    sqlite3_exec (db,
                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                  "CREATE TABLE t (seq INTEGER PRIMARY KEY, id BLOB UNIQUE,"
                  " type TEXT, bytes BLOB, state INTEGER, created_at"
                  " INTEGER)",
                  NULL, NULL, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2 (db, "INSERT INTO t VALUES (?, ?, ?, ?, 0, ?)", -1, &st,
                        NULL);
    int64_t t0 = jk_clock_mono_ms ();
    for (size_t i = 0; i < n; i++) {
        if (i % chunk == 0)
            sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
        uint8_t id[16];
        jk_uuid_v7 (id);
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_blob (st, 2, id, 16, SQLITE_TRANSIENT);
        sqlite3_bind_text (st, 3, "person.registered", -1, SQLITE_STATIC);
        sqlite3_bind_blob (st, 4, bytes[i], (int)sizes[i], SQLITE_STATIC);
        sqlite3_bind_int64 (st, 5, jk_clock_now_ms ());
        sqlite3_step (st);
        sqlite3_reset (st);
        if (i % chunk == chunk - 1 || i == n - 1)
            sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    }
    int64_t ms = jk_clock_mono_ms () - t0;
    sqlite3_finalize (st);
    sqlite3_close (db);
    return (double)n * 1000.0 / (double)(ms ? ms : 1);
}

/* Imports an n-row CSV of the people at csv_path through
   `jejak-registration import` in process into outbox; rows/s, the exit
   code in *exit_code. */
static double s_import (const char *csv_path, const char *outbox, size_t n,
                        int *exit_code)
{
    FILE *csv = fopen (csv_path, "w");
    fprintf (csv, "\xEF\xBB\xBFnik;name;sex;birth_date;desa_code\r\n");
    for (size_t i = 0; i < n; i++) {
        char nik[32], date[16];
        s_person (i, nik, date);
        fprintf (csv, "%s;Peserta %zu;L;%s;32.03.01.1006\r\n", nik, i, date);
    }
    fclose (csv);
    char *args[] = {"jejak-registration",
                    "import",
                    (char *)csv_path,
                    "--type",
                    "person.registered",
                    "--source",
                    "32.03.10/bench-2",
                    "--outbox",
                    (char *)outbox,
                    "--wait",
                    "0",
                    NULL};
    fflush (stdout);
    int64_t t0 = jk_clock_mono_ms ();
    *exit_code = jk_agent_main (JK_DOMAIN_REGISTRATION, 11, args);
    int64_t ms = jk_clock_mono_ms () - t0;
    return (double)n * 1000.0 / (double)(ms ? ms : 1);
}

/* Microseconds of CPU (user + system) between two rusage readings. */
static double s_cpu_us (const struct rusage *a, const struct rusage *b)
{
    return (double)(b->ru_utime.tv_sec - a->ru_utime.tv_sec +
                    b->ru_stime.tv_sec - a->ru_stime.tv_sec) *
               1e6 +
           (double)(b->ru_utime.tv_usec - a->ru_utime.tv_usec +
                    b->ru_stime.tv_usec - a->ru_stime.tv_usec);
}

int main (int argc, char **argv)
{
    size_t n = 100000;
    bool drain_only = false;
    int window = 0, batch = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0)
            n = 10000;
        else if (strcmp (argv[i], "--drain-only") == 0)
            drain_only = true;
        else if (strcmp (argv[i], "--window") == 0 && i + 1 < argc)
            window = atoi (argv[++i]);
        else if (strcmp (argv[i], "--batch") == 0 && i + 1 < argc)
            batch = atoi (argv[++i]);
        else
            n = (size_t)strtoull (argv[i], NULL, 10);
    }
    if (n == 0 || n > 900000) {
        fprintf (stderr,
                 "usage: bench_drain [--quick] [--drain-only] [--window W] "
                 "[--batch B] [N <= 900000]\n");
        return 2;
    }
    char tmpl[] = "/tmp/jejak-bench-drain-XXXXXX";
    char *dir = mkdtemp (tmpl);
    if (!dir)
        return 1;
    char *bindir = jk_bench_program_dir ();
    char *hub = jk_sprintf ("%s/jejak-hub", bindir);
    char *ingest = jk_sprintf ("ipc://%s/ingest.sock", dir);
    char *feed = jk_sprintf ("ipc://%s/feed.sock", dir);
    char *query = jk_sprintf ("ipc://%s/query.sock", dir);
    char *db = jk_sprintf ("%s/events.db", dir);
    char *outbox_path = jk_sprintf ("%s/outbox.db", dir);
    char *csv_path = jk_sprintf ("%s/people.csv", dir);
    char *import_outbox = jk_sprintf ("%s/import.db", dir);
    char *bare = jk_sprintf ("%s/bare.db", dir);
    char *bare2 = jk_sprintf ("%s/bare2.db", dir);

    /* Events and their bytes, for the baselines. */
    uint8_t **bytes = jk_calloc (n, sizeof *bytes);
    size_t *sizes = jk_calloc (n, sizeof *sizes);

    /* 1. Queue offline. */
    char err[256];
    jk_outbox_t *ob = jk_outbox_open (outbox_path, S_SOURCE, err, sizeof err);
    if (!ob) {
        fprintf (stderr, "%s\n", err);
        return 1;
    }
    int64_t t0 = jk_clock_mono_ms ();
    jk_outbox_begin (ob);
    for (size_t i = 0; i < n; i++) {
        jk_event_t *ev = s_event (i);
        jk_outbox_put (ob, ev, "", NULL, NULL);
        bytes[i] = jk_event_encode (ev, &sizes[i]);
        jk_event_destroy (&ev);
        if (i % 1000 == 999) {
            jk_outbox_commit (ob);
            jk_outbox_begin (ob);
        }
    }
    jk_outbox_commit (ob);
    int64_t queue_ms = jk_clock_mono_ms () - t0;

    /* 2. Start the hub and wait until it answers a PING. */
    pid_t pid = jk_bench_hub_spawn (hub, db, ingest, feed, query);
    bool ready = jk_bench_hub_ready (ingest, S_SOURCE, "bench");
    if (!ready) {
        fprintf (stderr, "jejak-hub (%s) did not answer\n", hub);
        kill (pid, SIGKILL);
        return 1;
    }

    /* 3. Drain. */
    jk_delivery_config_t cfg = {.broker = ingest,
                                .program = "bench_drain",
                                .idle_deadline = true,
                                .window = window,
                                .batch = batch};
    jk_delivery_stats_t stats;
    struct rusage ru0, ru1;
    getrusage (RUSAGE_SELF, &ru0);
    t0 = jk_clock_mono_ms ();
    int rc = jk_delivery_run (ob, &cfg, 30000, 0, &stats);
    int64_t drain_ms = jk_clock_mono_ms () - t0;
    getrusage (RUSAGE_SELF, &ru1);
    double agent_cpu_ms = s_cpu_us (&ru0, &ru1) / 1000.0;
    long agent_faults = ru1.ru_minflt - ru0.ru_minflt;
    jk_outbox_close (&ob);
    kill (pid, SIGTERM);
    struct rusage ru_hub;
    memset (&ru_hub, 0, sizeof ru_hub);
    wait4 (pid, NULL, 0, &ru_hub);
    struct rusage ru_none;
    memset (&ru_none, 0, sizeof ru_none);
    double hub_cpu_ms = s_cpu_us (&ru_none, &ru_hub) / 1000.0;
    double drain_eps =
        (double)stats.stored * 1000.0 / (double)(drain_ms ? drain_ms : 1);
    double append_base = s_bare_sqlite (bare, bytes, sizes, n, 256);

    /* 4. Import a CSV of the same people (another source). */
    int irc = 0;
    double import_rps = 0, insert_base = 0;
    if (!drain_only) {
        import_rps = s_import (csv_path, import_outbox, n, &irc);
        insert_base = s_bare_sqlite (bare2, bytes, sizes, n, 1000);
    }

    printf ("\nbench_drain: n=%zu\n", n);
    printf ("  queue (put, 1000/tx)      %8.0f ev/s\n",
            (double)n * 1000.0 / (double)(queue_ms ? queue_ms : 1));
    printf ("  drain to jejak-hub        %8.0f ev/s  (%zu stored in %lld "
            "ms, rc %d, %llu reconnects, agent cpu %.0f ms, %ld faults; "
            "hub cpu %.0f ms, its start included)\n",
            drain_eps, (size_t)stats.stored, (long long)drain_ms, rc,
            (unsigned long long)stats.reconnects, agent_cpu_ms, agent_faults,
            hub_cpu_ms);
    printf ("  baseline bare append/256  %8.0f rows/s (ratio %.2f)\n",
            append_base, drain_eps / append_base);
    if (!drain_only) {
        printf ("  import CSV (exit %d)       %8.0f rows/s\n", irc, import_rps);
        printf ("  baseline bare insert/1000 %8.0f rows/s (ratio %.2f)\n",
                insert_base, import_rps / insert_base);
    }
    printf ("{\"bench\":\"drain\",\"n\":%zu,\"drain_eps\":%.0f,"
            "\"drain_baseline_append_rps\":%.0f,\"import_rows_per_s\":%.0f,"
            "\"import_baseline_insert_rps\":%.0f,\"stored\":%llu,"
            "\"agent_cpu_ms\":%.0f,\"agent_faults\":%ld,"
            "\"hub_cpu_ms\":%.0f}\n",
            n, drain_eps, append_base, import_rps, insert_base,
            (unsigned long long)stats.stored, agent_cpu_ms, agent_faults,
            hub_cpu_ms);

    for (size_t i = 0; i < n; i++)
        free (bytes[i]);
    free (bytes);
    free (sizes);
    char *rm = jk_sprintf ("rm -rf '%s'", dir);
    if (system (rm) != 0)
        fprintf (stderr, "could not remove %s\n", dir);
    free (rm);
    free (bindir);
    free (hub);
    free (ingest);
    free (feed);
    free (query);
    free (db);
    free (outbox_path);
    free (csv_path);
    free (import_outbox);
    free (bare);
    free (bare2);
    return stats.stored == n ? 0 : 1;
}
