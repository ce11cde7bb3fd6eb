/*  bench_growth.c - does the hub slow down or swell as its log grows?
    A real jejak-hub process is fed person.registered events in chunks
    (each chunk queued in a fresh office outbox, then drained with the
    agents' delivery code, acked after a FULL commit) until the log holds
    N events (default 10,000,000; --quick 200,000). Reports the ingest
    rate near the start (median of the first three chunks: an empty log)
    and at the end (median of the last three: N already in the log), their
    ratio (growth_ratio), and the hub's resident memory
    (VmRSS, /proc) after 1M events and at the end.
    Usage: bench_growth [--quick] [--events N] [--chunk C]
    Prints a line per million, then one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"
#include "jk_agent.h"
#include "jk_wire.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The i-th person of the run: a NIK unique over 10^8 events. */
static jk_event_t *s_event (const jk_type_t *type, size_t i)
{
    size_t q = i / 9999;
    int day = (int)(q % 28) + 1;
    int month = (int)(q / 28 % 12) + 1;
    int year = (int)(q / 336 % 100);
    int kec = (int)(q / 33600 % 32) + 1;
    char nik[48], birth[32], name[48];
    snprintf (nik, sizeof nik, "3203%02d%02d%02d%02d%04zu", kec, day, month,
              year, i % 9999 + 1);
    snprintf (birth, sizeof birth, "%04d-%02d-%02d",
              year < 30 ? 2000 + year : 1900 + year, month, day);
    snprintf (name, sizeof name, "Peserta %zu", i);
    jk_event_t *ev = jk_event_new (type);
    jk_event_set_actor (ev, "bench");
    jk_event_set (ev, "nik", nik, NULL);
    jk_event_set (ev, "name", name, NULL);
    jk_event_set (ev, "sex", "L", NULL);
    jk_event_set (ev, "birth_date", birth, NULL);
    jk_event_set (ev, "desa_code", "32.03.01.1006", NULL);
    return ev;
}

/* Resident set of pid in MB (VmRSS), or -1. */
static double s_rss_mb (pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen (path, "r");
    double mb = -1;
    size_t klen = strlen (key);
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, key, klen) == 0)
            mb = strtod (line + klen, NULL) / 1024.0;
    if (f)
        fclose (f);
    return mb;
}

int main (int argc, char **argv)
{
    size_t events = 10000000, chunk = 100000;
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0) {
            quick = true;
            events = 200000;
            chunk = 20000;
        } else if (strcmp (argv[i], "--events") == 0 && i + 1 < argc)
            events = strtoull (argv[++i], NULL, 10);
        else if (strcmp (argv[i], "--chunk") == 0 && i + 1 < argc)
            chunk = strtoull (argv[++i], NULL, 10);
        else {
            fprintf (stderr, "usage: bench_growth [--quick] [--events N] "
                             "[--chunk C]\n");
            return 2;
        }
    }
    if (chunk < 1000 || events < 2 * chunk) {
        fprintf (stderr, "bench_growth: need --chunk >= 1000 and --events "
                         ">= 2 chunks\n");
        return 2;
    }
    jk_log_set_level (JK_LOG_WARN);
    char tmpl[] = "/tmp/jejak-bench-growth-XXXXXX";
    char *dir = mkdtemp (tmpl);
    if (!dir)
        return 1;
    char *bindir = jk_bench_program_dir ();
    char *hub = jk_sprintf ("%s/jejak-hub", bindir);
    char *ingest = jk_sprintf ("ipc://%s/ingest.sock", dir);
    char *feed = jk_sprintf ("ipc://%s/feed.sock", dir);
    char *query = jk_sprintf ("ipc://%s/query.sock", dir);
    char *db = jk_sprintf ("%s/events.db", dir);
    pid_t pid = jk_bench_hub_spawn (hub, db, ingest, feed, query);
    if (!jk_bench_hub_ready (ingest, "32.03.01/growth-0", "bench_growth")) {
        fprintf (stderr, "bench_growth: %s did not answer\n", hub);
        kill (pid, SIGKILL);
        return 1;
    }

    const jk_type_t *type = jk_vocabulary_find ("person.registered", 17);
    size_t chunks = events / chunk;
    double *rates = jk_calloc (chunks, sizeof *rates);
    double rss_1m = -1, rss_end = -1;
    size_t done = 0;
    int status = 0;
    printf ("hub ingest as the log grows (%zu events in chunks of %zu)%s\n",
            chunks * chunk, chunk,
            quick ? " [--quick: small pre-fill, not 10M]" : "");
    for (size_t c = 0; c < chunks; c++) {
        char source[64], path[600], err[256];
        snprintf (source, sizeof source, "32.03.%02zu/growth-%zu", c % 32 + 1,
                  c);
        snprintf (path, sizeof path, "%s/outbox-%zu.db", dir, c);
        jk_outbox_t *ob = jk_outbox_open (path, source, err, sizeof err);
        if (!ob) {
            fprintf (stderr, "bench_growth: %s\n", err);
            goto failed;
        }
        jk_outbox_begin (ob);
        for (size_t k = 0; k < chunk; k++) {
            jk_event_t *ev = s_event (type, done + k);
            jk_outbox_put (ob, ev, "", NULL, NULL);
            jk_event_destroy (&ev);
            if (k % 5000 == 4999) {
                jk_outbox_commit (ob);
                jk_outbox_begin (ob);
            }
        }
        jk_outbox_commit (ob);
        jk_delivery_config_t cfg = {
            .broker = ingest, .program = "bench_growth", .idle_deadline = true};
        jk_delivery_stats_t stats;
        double t0 = (double)jk_clock_mono_ms ();
        int rc = jk_delivery_run (ob, &cfg, 60000, 0, &stats);
        double eps =
            (double)chunk * 1000.0 / ((double)jk_clock_mono_ms () - t0 + 0.001);
        jk_outbox_close (&ob);
        unlink (path);
        char *side = jk_sprintf ("%s-wal", path);
        unlink (side);
        free (side);
        side = jk_sprintf ("%s-shm", path);
        unlink (side);
        free (side);
        if (rc != JK_OK || stats.stored != chunk) {
            fprintf (stderr, "bench_growth: chunk %zu: %llu of %zu stored\n", c,
                     (unsigned long long)stats.stored, chunk);
            goto failed;
        }
        rates[c] = eps;
        size_t before = done;
        done += chunk;
        if (before < 1000000 && done >= 1000000)
            rss_1m = s_rss_mb (pid, "VmRSS:");
        if (done / 1000000 != before / 1000000 || c + 1 == chunks) {
            printf ("  %10zu events in the log: %8.0f ev/s, hub RSS %.0f MB\n",
                    done, eps, s_rss_mb (pid, "VmRSS:"));
            fflush (stdout);
        }
    }
    /* Empty: the median of the first three chunks (the first one also
       pays for connecting and warming up); full: of the last three. */
    size_t edge = chunks < 3 ? chunks : 3;
    double first_eps = jk_bench_median (rates, edge);
    double last_eps = jk_bench_median (rates + chunks - edge, edge);
    free (rates);
    rss_end = s_rss_mb (pid, "VmRSS:");
    double hwm = s_rss_mb (pid, "VmHWM:");
    kill (pid, SIGTERM);
    waitpid (pid, &status, 0);
    printf ("  %-40s %10.0f ev/s\n", "empty log (first 3 chunks, median)",
            first_eps);
    printf ("  %-40s %10.0f ev/s\n", "full log (last 3 chunks, median)",
            last_eps);
    printf ("  %-40s %10.2f\n", "growth_ratio (full / empty)",
            last_eps / first_eps);
    printf ("  %-40s %10.0f MB (peak %.0f MB)\n", "hub RSS at the end", rss_end,
            hwm);
    printf ("{\"bench\":\"growth\",\"events\":%zu,\"chunk\":%zu,"
            "\"quick\":%s,\"empty_ev_s\":%.0f,\"full_ev_s\":%.0f,"
            "\"growth_ratio\":%.3f,\"rss_1m_mb\":%.1f,\"rss_end_mb\":%.1f,"
            "\"rss_peak_mb\":%.1f,\"hub_exit\":%d}\n",
            done, chunk, quick ? "true" : "false", first_eps, last_eps,
            last_eps / first_eps, rss_1m, rss_end, hwm,
            WIFEXITED (status) ? WEXITSTATUS (status) : -1);
    char *rm = jk_sprintf ("rm -rf '%s'", dir);
    if (system (rm) != 0)
        fprintf (stderr, "bench_growth: could not remove %s\n", dir);
    free (rm);
    return 0;

failed:
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
    return 1;
}
