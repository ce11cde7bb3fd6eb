/*  cli.h - what the commands of jejak-replay share (jejak_replay.c): flag
    parsing, the running command's name, the progress bar, reading small
    files, opening a log, a checkpoint trusted by --log-key and
    --witnesses, the head line; and each command's entry (argc, argv from the
   command on; an exit code, JK_REPLAY_EXIT_*). */
#ifndef JK_REPLAY_CLI_H
#define JK_REPLAY_CLI_H

#include "jk_note.h"
#include "jk_opts.h"
#include "jk_replay.h"

#include <stdint.h>

/* The command running ("verify", ...), for messages. */
extern const char *jk_cli_command;

/* Parses a command's flags; returns NULL (after printing) on --help
   (*code 0) or a usage error (*code 2). */
jk_opts_t *jk_cli_parse (const char *command, const jk_opt_t *spec,
                         size_t count, const char *args_usage, int argc,
                         char **argv, size_t positional, int *code);
/* Reads an optional whole-number flag; -1 (after printing) when bad. */
int jk_cli_u64_flag (jk_opts_t *opts, const char *name, uint64_t *out);
/* The storage library's progress callback, drawing the bar in *arg
   (a jk_progress_t *, NULL until the first call). */
void jk_cli_progress (void *arg, uint64_t done, uint64_t total);
/* Reads a whole file (at most max bytes) into a heap buffer, NUL-ended;
   NULL with errno set when it cannot be read (EISDIR: a directory). */
char *jk_cli_slurp (const char *path, size_t max, size_t *size);
/* Why a file could not be read, from errno: "is a directory", or
   strerror's words. */
const char *jk_cli_read_why (int error);
/* Parses --log-key (required), --witnesses and --quorum, the keys a
   checkpoint is checked with; an exit code (2 after printing what is
   wrong). */
int jk_cli_trust_flags (jk_opts_t *opts);
/* Parses a checkpoint's text (named label in messages) and checks its
   signatures against --log-key, --witnesses and --quorum. An exit code. */
int jk_cli_checkpoint_trust (jk_opts_t *opts, const char *label,
                             const char *text, size_t size,
                             jk_checkpoint_t *checkpoint);
/* Opens a log database to read (jk_replay_open); NULL after printing
   why, as "jejak-replay COMMAND: ..." (command NULL: "jejak-replay:"). */
sqlite3 *jk_cli_open_log (const char *command, const char *path);
/* Whether the database argument path names a file (jk_replay_path_check):
   JK_REPLAY_EXIT_OK, or JK_REPLAY_EXIT_IO after printing why, for the
   commands that hand the path on without opening it here. */
int jk_cli_db_arg (const char *path);
/* The help of --region and --rat-deadline-months, the flags of the
   commands that re-derive decisions or projections (jk_cli_settings). */
#define JK_CLI_REGION_HELP                                                     \
    "the region to decide with, NN.NN or NN (default: the one the log "        \
    "records, else JEJAK_REGION, else Kabupaten Cianjur)"
#define JK_CLI_MONTHS_HELP                                                     \
    "RAT late after this many months, 1 to 24 (default: as the log "           \
    "records, else JEJAK_RAT_DEADLINE_MONTHS, else 6)"
#define JK_CLI_DATA_DIR_HELP "region reference data directory"
/* The region and RAT deadline months to re-derive the log at path with:
   --region and --rat-deadline-months (flag or config file), else what
   the log records (jk_log_settings_t), else JEJAK_REGION and
   JEJAK_RAT_DEADLINE_MONTHS, else Kabupaten Cianjur and 6. A flag that
   differs from the log's record is used, with a warning on stderr; a log
   that records none is said on stderr. Loads the region's reference data
   and makes it the process's (jk_region_use); *months (may be NULL) gets
   the months. An exit code (2: a bad flag, 3: the log or the reference
   data cannot be read). */
int jk_cli_settings (jk_opts_t *opts, const char *path, int *months);
/* The first part of jk_cli_settings, before any work: --region and
   --rat-deadline-months well formed, and the reference data of a
   --region given loaded (kept for jk_cli_settings). An exit code (2:
   a bad flag, after printing). */
int jk_cli_settings_flags (jk_opts_t *opts);
/* Prints the head line of a database; an exit code. */
/* "record" for 1, "records" otherwise: the unit a count of the log's
   records is printed with. */
const char *jk_cli_records (uint64_t n);

int jk_cli_print_head (const char *path);

int jk_cli_verify (int argc, char **argv);
int jk_cli_head (int argc, char **argv);
int jk_cli_rebuild (int argc, char **argv);
int jk_cli_diff (int argc, char **argv);
int jk_cli_export (int argc, char **argv);
int jk_cli_publish (int argc, char **argv);
int jk_cli_backup (int argc, char **argv);
int jk_cli_checkpoint (int argc, char **argv);
int jk_cli_prove (int argc, char **argv);
int jk_cli_check (int argc, char **argv);

#endif
