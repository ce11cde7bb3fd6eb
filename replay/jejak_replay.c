/*  jejak_replay.c - jejak-replay, the auditor's tool: verify a copy of the
    log, print its head, rebuild it (as of a position or a time), diff two
    databases' projections, export to JSON Lines or CSV, republish it
    onto a feed, and make and check proofs. This file reads the command
    and the flags every command shares; the commands are in cli_verify.c
    (verify, head), cli_data.c (rebuild, diff, export, publish, backup),
    cli_prove.c (checkpoint, prove) and cli_check.c (check). docs/AUDIT.md
    is its guide. */
#include "cli.h"
#include "jk_active.h"
#include "jk_log.h"
#include "jk_version.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_USAGE                                                                \
    "Usage: jejak-replay COMMAND [flags] (jejak-replay COMMAND --help)\n"      \
    "The auditor's tool: checks, rebuilds, compares and exports an event "     \
    "log.\n\n"                                                                 \
    "  verify DB [--head POS:HASH] [--decisions]\n"                            \
    "                                recompute the hash chain (and "           \
    "outcomes)\n"                                                              \
    "  head DB                       print the head to keep elsewhere\n"       \
    "  rebuild DB --out NEW.db [--until-pos N | --until-time T] [--force]\n"   \
    "                                a fresh database as of that moment\n"     \
    "  diff A.db B.db                compare projections (canonical dump)\n"   \
    "  export DB --format jsonl|csv [--type PREFIX] [--source OFFICE]\n"       \
    "            [--from-pos N] [--until-pos N] [--out FILE|DIR]\n"            \
    "  publish DB --feed EP [--instant | --speed N] [--from-pos N]\n"          \
    "            [--until-pos N]\n"                                            \
    "  backup DB --out COPY.db       online copy of a live database, and of\n" \
    "                                DB-projections as COPY.db-projections\n"  \
    "  prove DB POS [--checkpoint FILE] [--out FILE]\n"                        \
    "                                a proof of one record anyone can check\n" \
    "  prove DB --consistency OLD_SIZE|OLD_FILE [--checkpoint FILE]\n"         \
    "            [--log-key VKEY] [--out FILE]\n"                              \
    "                                a proof that the newer checkpoint "       \
    "extends\n"                                                                \
    "                                the stored one of OLD_SIZE records, or "  \
    "the\n"                                                                    \
    "                                signed note in OLD_FILE\n"                \
    "  check PROOF --log-key VKEY    check either proof offline\n"             \
    "  checkpoint DB [--size N] [--out FILE]\n"                                \
    "                                a signed checkpoint the hub stored, "     \
    "with\n"                                                                   \
    "                                its witnesses' cosignatures\n"            \
    "  (verify --decisions and rebuild decide with the region and RAT\n"       \
    "   deadline the log records; --region CODE and --rat-deadline-months N\n" \
    "   for others)\n"                                                         \
    "  --version                     the program's name and version\n"         \
    "exit codes: 0 ok (intact, equal), 1 tampered or different, 2 usage,\n"    \
    "            3 cannot read or write, 4 publish: no subscriber came\n"

/* The command running, for messages. */
const char *jk_cli_command = "";

/* Parses a command's flags; returns NULL (after printing) on --help
   (*code 0) or a usage error (*code 2). */
jk_opts_t *jk_cli_parse (const char *command, const jk_opt_t *spec,
                         size_t count, const char *args_usage, int argc,
                         char **argv, size_t positional, int *code)
{
    char program[64], err[256];
    snprintf (program, sizeof program, "jejak-replay %s", command);
    jk_opts_t *opts = jk_opts_new (program, spec, count);
    if (jk_opts_parse (opts, argc, argv, err, sizeof err) != 0) {
        fprintf (stderr, "%s: %s (see --help)\n", program, err);
        *code = JK_REPLAY_EXIT_USAGE;
        jk_opts_destroy (&opts);
        return NULL;
    }
    if (jk_opts_help (opts)) {
        printf ("Usage: %s %s\n", program, args_usage);
        jk_opts_print (opts, stdout);
        *code = JK_REPLAY_EXIT_OK;
        jk_opts_destroy (&opts);
        return NULL;
    }
    if (jk_opts_argc (opts) != positional) {
        fprintf (stderr, "%s: expected %s (see --help)\n", program, args_usage);
        *code = JK_REPLAY_EXIT_USAGE;
        jk_opts_destroy (&opts);
        return NULL;
    }
    return opts;
}

/* Reads an optional whole-number flag; -1 (after printing) when bad. */
int jk_cli_u64_flag (jk_opts_t *opts, const char *name, uint64_t *out)
{
    const char *text = jk_opts_get (opts, name);
    *out = 0;
    if (!text)
        return 0;
    if (jk_parse_u64 (text, out) != JK_OK) {
        fprintf (stderr,
                 "jejak-replay %s: --%s must be a whole number, got "
                 "'%s'\n",
                 jk_cli_command, name, text);
        return -1;
    }
    return 0;
}

/* Adapts the storage library's progress callback to the bar. */
void jk_cli_progress (void *arg, uint64_t done, uint64_t total)
{
    jk_progress_t **bar = arg;
    if (!*bar)
        *bar = jk_progress_new ("working", total);
    jk_progress_update (*bar, done);
}

/* Reads a whole file (at most max bytes) into a heap buffer; NULL with
   errno when it cannot (a directory: EISDIR). */
char *jk_cli_slurp (const char *path, size_t max, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    struct stat st;
    if (fstat (fileno (file), &st) == 0 && S_ISDIR (st.st_mode)) {
        fclose (file);
        errno = EISDIR;
        return NULL;
    }
    char *text = jk_malloc (max + 1);
    *size = fread (text, 1, max + 1, file);
    int failed = ferror (file) ? errno : 0;
    fclose (file);
    if (failed) {
        free (text);
        errno = failed;
        return NULL;
    }
    text[*size < max + 1 ? *size : max] = 0;
    return text;
}

const char *jk_cli_read_why (int error)
{
    return error == EISDIR ? "is a directory" : strerror (error);
}

int jk_cli_db_arg (const char *path)
{
    char err[512];
    if (jk_replay_path_check (path, err, sizeof err) == JK_OK)
        return JK_REPLAY_EXIT_OK;
    fprintf (stderr, "jejak-replay %s: %s\n", jk_cli_command, err);
    return JK_REPLAY_EXIT_IO;
}

sqlite3 *jk_cli_open_log (const char *command, const char *path)
{
    char err[512];
    sqlite3 *db = jk_replay_open (path, err, sizeof err);
    if (!db)
        fprintf (stderr, "jejak-replay%s%s: %s\n", command ? " " : "",
                 command ? command : "", err);
    return db;
}

/* The region loaded for jk_cli_settings, kept for the process, and its
   area ("" for the Cianjur default). */
static jk_region_t *s_region;
static char s_region_area[8];

static void s_region_free (void)
{
    jk_region_use (NULL);
    jk_region_destroy (&s_region);
}

/* The reference data of area ("": the default), loaded once and made the
   process's; false after printing why it cannot be loaded. */
static bool s_region_load (const char *area)
{
    if (s_region && strcmp (s_region_area, area) == 0)
        return true;
    char err[512];
    jk_region_t *region =
        jk_region_load_default_dir (*area ? area : NULL, err, sizeof err);
    if (!region) {
        fprintf (stderr,
                 "jejak-replay %s: cannot load the region reference data: "
                 "%s (--data-dir or JEJAK_DATA_DIR: the folder holding it)\n",
                 jk_cli_command, err);
        return false;
    }
    if (!s_region)
        atexit (s_region_free);
    jk_region_use (NULL);
    jk_region_destroy (&s_region);
    s_region = region;
    snprintf (s_region_area, sizeof s_region_area, "%s", area);
    jk_region_use (s_region);
    return true;
}

int jk_cli_settings_flags (jk_opts_t *opts)
{
    const char *command = jk_cli_command;
    const char *area_flag = jk_opts_get (opts, "region");
    /* The region reference data: --data-dir (or JEJAK_DATA_DIR), else
       the installed copy. */
    if (jk_opts_get (opts, "data-dir"))
        jk_region_set_default_dir (jk_opts_get (opts, "data-dir"));
    const char *months_flag = jk_opts_get (opts, "rat-deadline-months");
    int months_given = 0;
    if (months_flag &&
        jk_rat_deadline_months_parse (months_flag, &months_given) != 0) {
        fprintf (stderr,
                 "jejak-replay %s: --rat-deadline-months must be 1 to %d, "
                 "not '%s' (see --help)\n",
                 command, JK_RAT_DEADLINE_MONTHS_MAX, months_flag);
        return JK_REPLAY_EXIT_USAGE;
    }
    if (area_flag && *area_flag && !jk_region_area_valid (area_flag)) {
        fprintf (stderr,
                 "jejak-replay %s: --region '%s' must be a kabupaten code "
                 "NN.NN (32.03) or a province code NN (32) (see --help)\n",
                 command, area_flag);
        return JK_REPLAY_EXIT_USAGE;
    }
    /* A region given whose data cannot be loaded is a bad value too. */
    if (area_flag && !s_region_load (area_flag))
        return JK_REPLAY_EXIT_USAGE;
    return JK_REPLAY_EXIT_OK;
}

int jk_cli_settings (jk_opts_t *opts, const char *path, int *months)
{
    const char *command = jk_cli_command;
    /* The flags (or the config file's keys): the variables are read
       after the log's record, which outranks them. */
    int code = jk_cli_settings_flags (opts);
    if (code != JK_REPLAY_EXIT_OK)
        return code;
    const char *area_flag = jk_opts_get (opts, "region");
    const char *months_flag = jk_opts_get (opts, "rat-deadline-months");
    int months_given = 0;
    if (months_flag)
        jk_rat_deadline_months_parse (months_flag, &months_given);
    sqlite3 *db = jk_cli_open_log (command, path);
    if (!db)
        return JK_REPLAY_EXIT_IO;
    jk_log_settings_t recorded;
    int rc = jk_log_settings_read (db, &recorded);
    if (rc == JK_IO)
        fprintf (stderr,
                 "jejak-replay %s: cannot read the settings %s "
                 "records: %s\n",
                 command, path, sqlite3_errmsg (db));
    sqlite3_close (db);
    if (rc == JK_IO)
        return JK_REPLAY_EXIT_IO;
    bool has = rc == JK_OK;
    /* The region: the flag, the record, the variable, the default. */
    const char *env_area = getenv ("JEJAK_REGION");
    const char *area = area_flag  ? area_flag
                       : has      ? recorded.area
                       : env_area ? env_area
                                  : "";
    if (!area_flag && !has && *area && !jk_region_area_valid (area)) {
        fprintf (stderr,
                 "jejak-replay %s: JEJAK_REGION '%s' must be a kabupaten "
                 "code NN.NN (32.03) or a province code NN (32)\n",
                 command, area);
        return JK_REPLAY_EXIT_USAGE;
    }
    /* The months likewise. */
    int chosen = 6;
    const char *env_months = getenv ("JEJAK_RAT_DEADLINE_MONTHS");
    if (months_flag)
        chosen = months_given;
    else if (has)
        chosen = recorded.rat_deadline_months;
    else if (env_months && *env_months &&
             jk_rat_deadline_months_parse (env_months, &chosen) != 0) {
        fprintf (stderr,
                 "jejak-replay %s: JEJAK_RAT_DEADLINE_MONTHS must be "
                 "1 to %d, not '%s'\n",
                 command, JK_RAT_DEADLINE_MONTHS_MAX, env_months);
        return JK_REPLAY_EXIT_USAGE;
    }
    jk_log_settings_t used = {.rat_deadline_months = chosen};
    snprintf (used.area, sizeof used.area, "%s", area);
    if (has && !jk_log_settings_equal (&recorded, &used))
        fprintf (stderr,
                 "jejak-replay %s: warning: %s records region %s and a RAT "
                 "deadline of %d months; using region %s and %d months as "
                 "given\n",
                 command, path, jk_log_settings_region (&recorded),
                 recorded.rat_deadline_months, jk_log_settings_region (&used),
                 used.rat_deadline_months);
    else if (!has)
        fprintf (stderr,
                 "jejak-replay %s: %s records no region or RAT deadline (a "
                 "log from before they were recorded); using region %s and "
                 "%d months\n",
                 command, path, jk_log_settings_region (&used),
                 used.rat_deadline_months);
    if (!s_region_load (area))
        return area_flag ? JK_REPLAY_EXIT_USAGE : JK_REPLAY_EXIT_IO;
    if (months)
        *months = chosen;
    return JK_REPLAY_EXIT_OK;
}

int main (int argc, char **argv)
{
    if (jk_version_asked (argc, argv)) {
        jk_version_print ("jejak-replay", stdout);
        return 0;
    }
    if (argc < 2) {
        fputs (S_USAGE, stderr);
        return JK_REPLAY_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp (command, "--help") == 0 || strcmp (command, "-h") == 0 ||
        strcmp (command, "help") == 0) {
        fputs (S_USAGE, stdout);
        return JK_REPLAY_EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*run) (int argc, char **argv);
    } commands[] = {
        {"verify", jk_cli_verify},   {"head", jk_cli_head},
        {"rebuild", jk_cli_rebuild}, {"diff", jk_cli_diff},
        {"export", jk_cli_export},   {"publish", jk_cli_publish},
        {"backup", jk_cli_backup},   {"prove", jk_cli_prove},
        {"check", jk_cli_check},     {"checkpoint", jk_cli_checkpoint}};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp (command, commands[i].name) == 0) {
            jk_cli_command = commands[i].name;
            return commands[i].run (argc - 1, argv + 1);
        }
    fprintf (stderr, "jejak-replay: unknown command '%s' (see --help)\n",
             command);
    return JK_REPLAY_EXIT_USAGE;
}
