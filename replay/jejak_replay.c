/*  jejak_replay.c - jejak-replay, the auditor's tool: verify a copy of the
    log, print its head, rebuild it (as of a position or a time), diff two
    databases' projections, export to JSON Lines or CSV, republish it
    onto a feed, and make and check proofs. This file reads the command
    and the flags every command shares; the commands are in cli_verify.c
    (verify, head), cli_data.c (rebuild, diff, export, publish, backup),
    cli_prove.c (checkpoint, prove) and cli_check.c (check). docs/AUDIT.md
    is its guide. */
#include "cli.h"
#include "jk_version.h"

#include <stdlib.h>
#include <string.h>

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
    "  backup DB --out COPY.db       online copy of a live database\n"         \
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
                 "jejak-replay: --%s must be a whole number, got "
                 "'%s'\n",
                 name, text);
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

/* Reads a whole file (at most max bytes) into a heap buffer. */
char *jk_cli_slurp (const char *path, size_t max, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *text = jk_malloc (max + 1);
    *size = fread (text, 1, max + 1, file);
    fclose (file);
    text[*size < max + 1 ? *size : max] = 0;
    return text;
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
