/*  cli_data.c - jejak-replay rebuild, diff, export, publish and backup
    (cli.h): a database as of a moment, projections compared, the log out
    as JSON Lines or CSV, onto a feed, or copied whole (docs/AUDIT.md
    sections 3 to 5). */
#include "cli.h"
#include "jk_active.h"
#include "jk_backup.h"
#include "jk_checkpoints.h"
#include "jk_decisions.h"
#include "jk_integrity.h"
#include "jk_note.h"
#include "jk_proof.h"
#include "jk_rebuild.h"
#include "jk_tiles.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_EXIT_NO_SUBSCRIBER 4

/* True when both paths name the same existing file. */
static bool s_same_file (const char *a, const char *b)
{
    struct stat sa, sb;
    return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* rebuild's flags into options, and --out made free (--force); an exit
   code, after printing what is wrong. */
static int s_rebuild_options (jk_opts_t *opts, const char *src,
                              jk_rebuild_options_t *options)
{
    const char *out = jk_opts_get (opts, "out");
    if (!out) {
        fprintf (stderr, "jejak-replay rebuild: --out NEW.db is required (see "
                         "--help)\n");
        return JK_REPLAY_EXIT_USAGE;
    }
    if (jk_cli_u64_flag (opts, "until-pos", &options->until_pos))
        return JK_REPLAY_EXIT_USAGE;
    const char *until_time = jk_opts_get (opts, "until-time");
    if (until_time) {
        if (options->until_pos) {
            fprintf (stderr, "jejak-replay rebuild: give --until-pos or "
                             "--until-time, not both\n");
            return JK_REPLAY_EXIT_USAGE;
        }
        if (jk_replay_parse_time (until_time, &options->until_time) != 0 ||
            options->until_time <= 0) {
            fprintf (stderr,
                     "jejak-replay rebuild: --until-time must be ms since "
                     "the epoch or YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z|+HH:MM] (a "
                     "space may replace T), got "
                     "'%s'\n",
                     until_time);
            return JK_REPLAY_EXIT_USAGE;
        }
    }
    if (jk_opts_given (opts, "until-pos") && options->until_pos == 0) {
        fprintf (stderr, "jejak-replay rebuild: --until-pos must be >= 1\n");
        return JK_REPLAY_EXIT_USAGE;
    }
    int status =
        jk_cli_settings (opts, src, &options->projections.rat_deadline_months);
    if (status != JK_REPLAY_EXIT_OK)
        return status;
    if (s_same_file (src, out)) {
        fprintf (stderr, "jejak-replay rebuild: --out must not be the "
                         "source database\n");
        return JK_REPLAY_EXIT_USAGE;
    }
    if (access (out, F_OK) == 0) {
        if (!jk_opts_on (opts, "force")) {
            fprintf (stderr,
                     "jejak-replay rebuild: %s exists; give --force to "
                     "replace it\n",
                     out);
            return JK_REPLAY_EXIT_IO;
        }
        char companion[4096];
        unlink (out);
        snprintf (companion, sizeof companion, "%s-wal", out);
        unlink (companion);
        snprintf (companion, sizeof companion, "%s-shm", out);
        unlink (companion);
    }
    return JK_REPLAY_EXIT_OK;
}

int jk_cli_rebuild (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"out", NULL, NULL, "the new database file (must not exist)", false},
        {"until-pos", NULL, NULL, "copy records up to this position", false},
        {"until-time", NULL, NULL,
         "copy records up to this moment: ms, or "
         "YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z|+HH:MM] in WIB unless a zone "
         "is given (a bare date: the end of that day)",
         false},
        {"force", NULL, NULL, "replace an existing --out file", true},
        {"region", NULL, NULL, JK_CLI_REGION_HELP, false},
        {"rat-deadline-months", NULL, NULL, JK_CLI_MONTHS_HELP, false},
        {"data-dir", "JEJAK_DATA_DIR", NULL, JK_CLI_DATA_DIR_HELP, false},
    };
    int code;
    jk_opts_t *opts =
        jk_cli_parse ("rebuild", spec, sizeof spec / sizeof spec[0],
                      "DB --out NEW.db [--until-pos N | --until-time T] "
                      "[--force] [--region CODE] [--rat-deadline-months N]",
                      argc, argv, 1, &code);
    if (!opts)
        return code;
    const char *src = jk_opts_arg (opts, 0);
    const char *out = jk_opts_get (opts, "out");
    jk_rebuild_options_t options = {0};
    code = s_rebuild_options (opts, src, &options);
    if (code == JK_REPLAY_EXIT_OK)
        code = jk_cli_db_arg (src);
    if (code != JK_REPLAY_EXIT_OK)
        goto done;
    jk_progress_t *bar = NULL;
    options.progress = jk_cli_progress;
    options.progress_arg = &bar;
    jk_rebuild_result_t result;
    char err[512];
    int rc = jk_log_rebuild (src, out, &options, &result, err, sizeof err);
    jk_progress_destroy (&bar);
    if (rc != JK_OK) {
        fprintf (stderr, "jejak-replay rebuild: %s\n", err);
        code = rc == JK_INVALID ? JK_REPLAY_EXIT_TAMPERED : JK_REPLAY_EXIT_IO;
        goto done;
    }
    printf ("rebuilt %s: %llu %s (%llu accepted, %llu rejected)\n", out,
            (unsigned long long)result.records, jk_cli_records (result.records),
            (unsigned long long)result.accepted,
            (unsigned long long)result.rejected);
    code = jk_cli_print_head (out);
done:
    jk_opts_destroy (&opts);
    return code;
}

int jk_cli_diff (int argc, char **argv)
{
    int code;
    jk_opts_t *opts =
        jk_cli_parse ("diff", NULL, 0, "A.db B.db", argc, argv, 2, &code);
    if (!opts)
        return code;
    const char *a = jk_opts_arg (opts, 0), *b = jk_opts_arg (opts, 1);
    code = jk_cli_db_arg (a);
    if (code == JK_REPLAY_EXIT_OK)
        code = jk_cli_db_arg (b);
    if (code != JK_REPLAY_EXIT_OK) {
        jk_opts_destroy (&opts);
        return code;
    }
    char err[512];
    int64_t differences = jk_replay_diff (a, b, stdout, err, sizeof err);
    if (differences < 0) {
        fprintf (stderr, "jejak-replay diff: %s\n", err);
        code = JK_REPLAY_EXIT_IO;
    } else if (differences > 0) {
        fprintf (stderr, "jejak-replay diff: %lld %s\n", (long long)differences,
                 differences == 1 ? "row differs" : "rows differ");
        code = JK_REPLAY_EXIT_TAMPERED;
    } else {
        fprintf (stderr, "jejak-replay diff: projections are equal\n");
        code = JK_REPLAY_EXIT_OK;
    }
    jk_opts_destroy (&opts);
    return code;
}

/* Whether office is an office of a source: a kecamatan code NN.NN.NN
   or DINAS. */
static bool s_office_valid (const char *office)
{
    if (strcmp (office, "DINAS") == 0)
        return true;
    if (strlen (office) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (i % 3 == 2 ? office[i] != '.' : office[i] < '0' || office[i] > '9')
            return false;
    return true;
}

/* The stretch of the log export and publish take: --from-pos and
   --until-pos (both inclusive; 0 when not given: no bound). A value that
   can select no record by its form (0, or --from-pos after --until-pos)
   is refused. 0, or -1 after printing what is wrong. */
static int s_positions (jk_opts_t *opts, uint64_t *from_pos,
                        uint64_t *until_pos)
{
    if (jk_cli_u64_flag (opts, "from-pos", from_pos) ||
        jk_cli_u64_flag (opts, "until-pos", until_pos))
        return -1;
    const char *flags[] = {"from-pos", "until-pos"};
    for (int i = 0; i < 2; i++)
        if (jk_opts_given (opts, flags[i]) &&
            (i ? *until_pos : *from_pos) == 0) {
            fprintf (stderr, "jejak-replay %s: --%s must be >= 1\n",
                     jk_cli_command, flags[i]);
            return -1;
        }
    if (*from_pos && *until_pos && *from_pos > *until_pos) {
        fprintf (stderr,
                 "jejak-replay %s: --from-pos %llu is after --until-pos "
                 "%llu: the first position must not be after the last\n",
                 jk_cli_command, (unsigned long long)*from_pos,
                 (unsigned long long)*until_pos);
        return -1;
    }
    return 0;
}

/* export's --from-pos, --until-pos and --source into config; -1 after
   printing what is wrong. */
static int s_export_filters (jk_opts_t *opts, jk_export_config_t *config)
{
    if (s_positions (opts, &config->from_pos, &config->until_pos))
        return -1;
    if (config->office && !s_office_valid (config->office)) {
        fprintf (stderr,
                 "jejak-replay export: --source must be an office, a "
                 "kecamatan code NN.NN.NN (32.03.10) or DINAS, not '%s'\n",
                 config->office);
        return -1;
    }
    return 0;
}

/* An --out named for the other format is a mistake, said before anything
   is read or written: JSON Lines into a file named .csv, or CSV (a
   directory of files) into one named .jsonl or .json. 0, or -1 with the
   reason printed. */
static int s_export_out_named (jk_opts_t *opts,
                               const jk_export_config_t *config)
{
    const char *out = config->out;
    if (!out)
        return 0;
    if (config->format == JK_EXPORT_JSONL && jk_str_ends_ieq (out, ".csv")) {
        fprintf (stderr,
                 "jejak-replay export: --out %s names a CSV file, but "
                 "--format is jsonl%s: give --format csv with --out a "
                 "directory, or an --out not ending in .csv\n",
                 out, jk_opts_given (opts, "format") ? "" : " (the default)");
        return -1;
    }
    if (config->format == JK_EXPORT_CSV &&
        (jk_str_ends_ieq (out, ".jsonl") || jk_str_ends_ieq (out, ".json"))) {
        fprintf (stderr,
                 "jejak-replay export: --out %s names a JSON Lines file, but "
                 "--format csv writes a directory of files: give --format "
                 "jsonl, or --out a directory\n",
                 out);
        return -1;
    }
    return 0;
}

int jk_cli_export (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"format", NULL, "jsonl",
         "jsonl (one object per line) or csv (one "
         "file per type)",
         false},
        {"type", NULL, NULL, "only event types starting with this prefix",
         false},
        {"source", NULL, NULL,
         "only events of this office: a kecamatan code NN.NN.NN (e.g. "
         "32.03.10) or DINAS",
         false},
        {"from-pos", NULL, NULL, "first position to export (1 or more)", false},
        {"until-pos", NULL, NULL,
         "last position to export (1 or more, not before --from-pos)", false},
        {"out", NULL, NULL,
         "jsonl: the output file (default stdout); csv: the directory "
         "(default .)",
         false},
        {"unmasked", NULL, NULL,
         "csv: NIKs in clear (masked by default; jsonl is the full copy)",
         true},
    };
    int code;
    jk_opts_t *opts =
        jk_cli_parse ("export", spec, 7,
                      "DB --format jsonl|csv [--type PREFIX] "
                      "[--source OFFICE] [--from-pos N] "
                      "[--until-pos N] [--out FILE|DIR] [--unmasked]",
                      argc, argv, 1, &code);
    if (!opts)
        return code;
    jk_export_config_t config = {.type_prefix = jk_opts_get (opts, "type"),
                                 .office = jk_opts_get (opts, "source"),
                                 .out = jk_opts_get (opts, "out"),
                                 .progress = true,
                                 .unmasked = jk_opts_on (opts, "unmasked")};
    const char *format = jk_opts_get (opts, "format");
    code = JK_REPLAY_EXIT_USAGE;
    if (strcmp (format, "jsonl") == 0)
        config.format = JK_EXPORT_JSONL;
    else if (strcmp (format, "csv") == 0)
        config.format = JK_EXPORT_CSV;
    else {
        fprintf (stderr,
                 "jejak-replay export: --format must be jsonl or "
                 "csv, got '%s'\n",
                 format);
        goto done;
    }
    if (s_export_out_named (opts, &config) != 0)
        goto done;
    if (s_export_filters (opts, &config) != 0)
        goto done;
    sqlite3 *db = jk_cli_open_log ("export", jk_opts_arg (opts, 0));
    if (!db) {
        code = JK_REPLAY_EXIT_IO;
        goto done;
    }
    char err[512];
    uint64_t written;
    if (jk_export_run (db, &config, &written, err, sizeof err) != 0) {
        fprintf (stderr, "jejak-replay export: %s\n", err);
        code = JK_REPLAY_EXIT_IO;
    } else {
        if (config.out || config.format == JK_EXPORT_CSV)
            fprintf (stderr, "jejak-replay export: %llu %s written to %s\n",
                     (unsigned long long)written, jk_cli_records (written),
                     config.out ? config.out : ".");
        code = JK_REPLAY_EXIT_OK;
    }
    sqlite3_close (db);
done:
    jk_opts_destroy (&opts);
    return code;
}

/* publish's flags into config; -1 after printing what is wrong. */
static int s_publish_options (jk_opts_t *opts, jk_publish_config_t *config)
{
    uint64_t wait_s = 0, gap_s = 0, linger_s = 0;
    if (!config->endpoint) {
        fprintf (stderr, "jejak-replay publish: --feed EP is required (see "
                         "--help)\n");
        return -1;
    }
    if (jk_endpoint_option ("jejak-replay publish", "feed", config->endpoint,
                            JK_ENDPOINT_BIND))
        return -1;
    /* The log holds NIKs in clear and publish has no keys: its feed stays
       on this machine (docs/SECURITY.md). */
    if (!jk_endpoint_is_local (config->endpoint)) {
        fprintf (stderr,
                 "jejak-replay publish: refusing to bind %s: publish has no "
                 "keys and sends the log (NIKs in clear) unencrypted, so it "
                 "binds only loopback (127.0.0.1, localhost, [::1]) and ipc "
                 "endpoints (docs/SECURITY.md)\n",
                 config->endpoint);
        return -1;
    }
    const char *speed = jk_opts_get (opts, "speed");
    if (speed) {
        char *end = NULL;
        errno = 0;
        config->speed = strtod (speed, &end);
        if (errno || !end || *end || !(config->speed > 0) ||
            config->speed > 1e9) {
            fprintf (stderr,
                     "jejak-replay publish: --speed must be a number "
                     "> 0, got '%s'\n",
                     speed);
            return -1;
        }
        if (jk_opts_on (opts, "instant")) {
            fprintf (stderr, "jejak-replay publish: give --instant or "
                             "--speed, not both\n");
            return -1;
        }
    }
    if (s_positions (opts, &config->from_pos, &config->until_pos) ||
        jk_cli_u64_flag (opts, "wait-subscriber", &wait_s) ||
        jk_cli_u64_flag (opts, "max-gap", &gap_s) ||
        jk_cli_u64_flag (opts, "linger", &linger_s) || wait_s > 86400 ||
        gap_s > 86400 || linger_s > 3600)
        return -1;
    config->wait_subscriber_ms = (int64_t)wait_s * 1000;
    config->max_gap_ms = gap_s ? (int64_t)gap_s * 1000 : 1;
    config->linger_ms = linger_s ? (int64_t)linger_s * 1000 : 1;
    return 0;
}

int jk_cli_publish (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"feed", NULL, NULL,
         "endpoint to bind the feed (XPUB) on: loopback or ipc only (the "
         "records carry NIKs in clear)",
         false},
        {"instant", NULL, NULL,
         "publish as fast as subscribers take it "
         "(the default)",
         true},
        {"speed", NULL, NULL,
         "N times the original pace (recorded_at gaps "
         "divided by N)",
         false},
        {"max-gap", NULL, "5", "longest single wait at --speed, seconds",
         false},
        {"from-pos", NULL, NULL, "first position to publish (1 or more)",
         false},
        {"until-pos", NULL, NULL,
         "last position to publish (1 or more, not before --from-pos)", false},
        {"wait-subscriber", NULL, "30",
         "seconds to wait for a first subscriber (0: do not wait)", false},
        {"linger", NULL, "2", "seconds to flush queued records at the end",
         false},
    };
    int code;
    jk_opts_t *opts = jk_cli_parse ("publish", spec, 8,
                                    "DB --feed EP [--instant | --speed N] "
                                    "[--from-pos N] [--until-pos N] "
                                    "[--wait-subscriber SECONDS]",
                                    argc, argv, 1, &code);
    if (!opts)
        return code;
    jk_publish_config_t config = {.endpoint = jk_opts_get (opts, "feed"),
                                  .progress = true};
    code = JK_REPLAY_EXIT_USAGE;
    if (s_publish_options (opts, &config) != 0)
        goto done;
    sqlite3 *db = jk_cli_open_log ("publish", jk_opts_arg (opts, 0));
    if (!db) {
        code = JK_REPLAY_EXIT_IO;
        goto done;
    }
    char err[512];
    uint64_t published;
    int rc = jk_publish_run (db, &config, &published, err, sizeof err);
    sqlite3_close (db);
    if (rc == JK_TEMPORARY) {
        fprintf (stderr, "jejak-replay publish: %s\n", err);
        code = S_EXIT_NO_SUBSCRIBER;
    } else if (rc != 0) {
        fprintf (stderr, "jejak-replay publish: %s\n", err);
        code = JK_REPLAY_EXIT_IO;
    } else {
        fprintf (stderr, "jejak-replay publish: %llu %s published on %s\n",
                 (unsigned long long)published, jk_cli_records (published),
                 config.shown);
        code = JK_REPLAY_EXIT_OK;
    }
done:
    jk_opts_destroy (&opts);
    return code;
}

/* Online backup of a live database (SQLite backup API) with its head. */
int jk_cli_backup (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"out", NULL, NULL,
         "the copy to write, and COPY.db-projections beside it (neither "
         "may exist)",
         false},
    };
    int code;
    jk_opts_t *opts = jk_cli_parse ("backup", spec, 1, "DB --out COPY.db", argc,
                                    argv, 1, &code);
    if (!opts)
        return code;
    const char *out = jk_opts_get (opts, "out");
    if (!out) {
        fprintf (stderr, "jejak-replay backup: --out COPY.db is required (see "
                         "--help)\n");
        jk_opts_destroy (&opts);
        return JK_REPLAY_EXIT_USAGE;
    }
    if (jk_cli_db_arg (jk_opts_arg (opts, 0)) != JK_REPLAY_EXIT_OK) {
        jk_opts_destroy (&opts);
        return JK_REPLAY_EXIT_IO;
    }
    jk_backup_result_t result;
    jk_progress_t *bar = NULL;
    char err[512];
    int rc = jk_backup_run (jk_opts_arg (opts, 0), out, &result,
                            jk_cli_progress, &bar, err, sizeof err);
    jk_progress_destroy (&bar);
    if (rc != JK_OK) {
        fprintf (stderr, "jejak-replay backup: %s\n", err);
        jk_opts_destroy (&opts);
        /* An --out that exists is refused as rebuild refuses it. */
        return JK_REPLAY_EXIT_IO;
    }
    char hash[2 * JK_HASH_SIZE + 1];
    jk_hex_format (result.head.hash, JK_HASH_SIZE, hash);
    printf ("backup %s: %llu pages, head pos=%llu hash=%s\n", out,
            (unsigned long long)result.pages,
            (unsigned long long)result.head.pos, hash);
    if (result.projections)
        printf ("backup %s-projections: %llu pages, projections at pos=%llu\n",
                out, (unsigned long long)result.proj_pages,
                (unsigned long long)result.proj_pos);
    jk_opts_destroy (&opts);
    return JK_REPLAY_EXIT_OK;
}
