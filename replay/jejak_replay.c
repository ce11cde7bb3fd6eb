/*  jejak_replay.c - jejak-replay, the auditor's tool: verify a copy of the
    log, print its head, rebuild it (as of a position or a time), diff two
    databases' projections, export to JSON Lines or CSV, and republish it
    onto a feed. Parses the command line and calls the replay and storage
    libraries; docs/AUDIT.md is its guide. */
#include "jk_backup.h"
#include "jk_checkpoints.h"
#include "jk_decisions.h"
#include "jk_rebuild.h"
#include "jk_opts.h"
#include "jk_integrity.h"
#include "jk_tiles.h"
#include "jk_note.h"
#include "jk_proof.h"
#include "jk_replay.h"
#include "jk_version.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    "exit codes: 0 ok (intact, equal), 1 tampered or different, 2 usage,\n"    \
    "            3 cannot read or write, 4 publish: no subscriber came\n"

#define S_EXIT_NO_SUBSCRIBER 4

/* The command running, for messages. */
static const char *s_command = "";

/* Parses a command's flags; returns NULL (after printing) on --help
   (*code 0) or a usage error (*code 2). */
static jk_opts_t *s_parse (const char *command, const jk_opt_t *spec,
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
static int s_u64_flag (jk_opts_t *opts, const char *name, uint64_t *out)
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
static void s_progress (void *arg, uint64_t done, uint64_t total)
{
    jk_progress_t **bar = arg;
    if (!*bar)
        *bar = jk_progress_new ("working", total);
    jk_progress_update (*bar, done);
}

/* Prints the head line of a database; returns an exit code. */
static int s_print_head (const char *path)
{
    char err[512], line[256];
    sqlite3 *db = jk_replay_open (path, err, sizeof err);
    if (!db) {
        fprintf (stderr, "jejak-replay: %s\n", err);
        return JK_REPLAY_EXIT_IO;
    }
    jk_replay_head_t head;
    int rc = jk_replay_head (db, &head, err, sizeof err);
    sqlite3_close (db);
    if (rc != 0) {
        fprintf (stderr, "jejak-replay: %s: %s\n", path, err);
        return JK_REPLAY_EXIT_IO;
    }
    jk_replay_head_format (&head, path, line, sizeof line);
    printf ("%s\n", line);
    return JK_REPLAY_EXIT_OK;
}

static const char *s_problem_name (jk_verify_problem_t problem)
{
    switch (problem) {
        case JK_VERIFY_HASH:
            return "hash mismatch (changed or reordered)";
        case JK_VERIFY_MISSING:
            return "missing position (deleted)";
        case JK_VERIFY_TIME:
            return "out of order (time goes back)";
        case JK_VERIFY_TRUNCATED:
            return "truncated versus the kept head";
        case JK_VERIFY_HEAD:
            return "differs from the kept head";
        case JK_VERIFY_TREE:
            return "Merkle tree differs from the log";
        default:
            return "intact";
    }
}

/* SQLite's own integrity check of the whole file (every table and index
   page). Prints what is damaged, naming each index or table the problems
   mention, and returns JK_OK, JK_INVALID (printed) or JK_IO (printed). */
static int s_verify_integrity (const char *path)
{
    sqlite3 *db = NULL;
    char what[1024];
    int rc = JK_IO;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        snprintf (what, sizeof what, "%s", sqlite3_errmsg (db));
    else
        rc = jk_db_integrity (db, NULL, what, sizeof what);
    if (rc == JK_IO)
        fprintf (stderr, "jejak-replay verify: cannot check %s: %s\n", path,
                 what);
    if (rc != JK_INVALID) {
        sqlite3_close (db);
        return rc;
    }
    printf ("DAMAGED %s: SQLite integrity check: %s\n", path, what);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT type, name, tbl_name FROM sqlite_master"
                            " WHERE type IN ('table', 'index')"
                            " ORDER BY type DESC, name",
                            -1, &stmt, NULL) == SQLITE_OK)
        while (sqlite3_step (stmt) == SQLITE_ROW) {
            const char *type = (const char *)sqlite3_column_text (stmt, 0);
            const char *name = (const char *)sqlite3_column_text (stmt, 1);
            const char *table = (const char *)sqlite3_column_text (stmt, 2);
            if (!type || !name || !table)
                continue;
            /* Whole words only: log_1 is not log_10. */
            const char *at = what;
            size_t n = strlen (name);
            bool named = false;
            while (!named && (at = strstr (at, name)) != NULL) {
                char next = at[n];
                named = !(next == '_' || (next >= '0' && next <= '9') ||
                          (next >= 'a' && next <= 'z'));
                at += n;
            }
            if (named && strcmp (type, "index") == 0)
                printf ("damaged: index %s of table %s (rebuild it: "
                        "REINDEX %s, on a copy, or restore a backup)\n",
                        name, table, name);
            else if (named)
                printf ("damaged: table %s\n", name);
        }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return JK_INVALID;
}

/* Parses one verifier key of the given type; the message names the flag. */
static int s_vkey (const char *flag, const char *text, int type,
                   jk_note_signer_t *signer)
{
    char err[200];
    memset (signer, 0, sizeof *signer);
    if (jk_note_vkey_parse (text, signer->name, &signer->type, signer->pub, err,
                            sizeof err) != JK_OK) {
        fprintf (stderr, "jejak-replay %s: --%s: %s\n", s_command, flag, err);
        return -1;
    }
    if (signer->type != type) {
        fprintf (stderr,
                 "jejak-replay %s: --%s: key %s has type %02x, %02x "
                 "expected\n",
                 s_command, flag, signer->name, signer->type, type);
        return -1;
    }
    return 0;
}

/* Parses a checkpoint's text (named label in messages) and checks its
   signatures against --log-key, --witnesses and --quorum. An exit
   code. */
static int s_checkpoint_trust (jk_opts_t *opts, const char *label,
                               const char *text, size_t size,
                               jk_checkpoint_t *checkpoint)
{
    const char *log_key = jk_opts_get (opts, "log-key");
    if (!log_key) {
        fprintf (stderr,
                 "jejak-replay %s: --log-key (the log's verifier key) is "
                 "needed to check a checkpoint\n",
                 s_command);
        return JK_REPLAY_EXIT_USAGE;
    }
    static jk_note_signer_t log, witnesses[JK_NOTE_SIGS_MAX];
    /* The key's text, or the file holding it (log.vkey). */
    char *key_text = jk_note_vkey_given (log_key);
    int vrc = s_vkey ("log-key", key_text ? key_text : "", JK_NOTE_TYPE_ED25519,
                      &log);
    free (key_text);
    if (vrc != 0)
        return JK_REPLAY_EXIT_USAGE;
    int count = 0;
    const char *list = jk_opts_get (opts, "witnesses");
    char err[320];
    if (jk_note_signers_parse (list ? list : "", JK_NOTE_TYPE_COSIG, witnesses,
                               JK_NOTE_SIGS_MAX, &count, err,
                               sizeof err) != JK_OK) {
        fprintf (stderr, "jejak-replay %s: --witnesses: %s\n", s_command, err);
        return JK_REPLAY_EXIT_USAGE;
    }
    uint64_t quorum = 0;
    if (s_u64_flag (opts, "quorum", &quorum) != 0)
        return JK_REPLAY_EXIT_USAGE;
    if (quorum > (uint64_t)count) {
        fprintf (stderr,
                 "jejak-replay %s: --quorum %llu is more than the %d "
                 "trusted witnesses given\n",
                 s_command, (unsigned long long)quorum, count);
        return JK_REPLAY_EXIT_USAGE;
    }
    if (jk_checkpoint_parse (text, size, checkpoint, err, sizeof err) !=
        JK_OK) {
        printf ("REFUSED checkpoint %s: %s\n", label, err);
        return JK_REPLAY_EXIT_TAMPERED;
    }
    if (strcmp (checkpoint->origin, log.name) != 0) {
        printf ("REFUSED checkpoint %s: origin %s is not the log key's name "
                "%s\n",
                label, checkpoint->origin, log.name);
        return JK_REPLAY_EXIT_TAMPERED;
    }
    if (jk_checkpoint_trusted (checkpoint, &log, witnesses, count, (int)quorum,
                               err, sizeof err) != JK_OK) {
        printf ("REFUSED checkpoint %s: %s\n", label, err);
        return JK_REPLAY_EXIT_TAMPERED;
    }
    return JK_REPLAY_EXIT_OK;
}

/* Reads --checkpoint FILE and checks it as s_checkpoint_trust. */
static int s_checkpoint_load (jk_opts_t *opts, const char *path,
                              jk_checkpoint_t *checkpoint)
{
    if (!jk_opts_get (opts, "log-key")) {
        fprintf (stderr,
                 "jejak-replay %s: --checkpoint needs --log-key "
                 "(the log's verifier key)\n",
                 s_command);
        return JK_REPLAY_EXIT_USAGE;
    }
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "jejak-replay %s: cannot read %s\n", s_command, path);
        return JK_REPLAY_EXIT_IO;
    }
    static char text[JK_NOTE_MAX + 1];
    size_t size = fread (text, 1, sizeof text, file);
    fclose (file);
    return s_checkpoint_trust (opts, path, text, size, checkpoint);
}

/* What s_stored_checkpoints found, printed after the intact line. */
static char s_checkpoints_line[200];

/* After an intact walk: every checkpoint the hub stored in the file
   (table checkpoint) must be a head of this log: its size within the
   records, its root the tree's head at that size. Prints one line when
   there are any. JK_OK, or JK_INVALID with the problem in result. */
static int s_stored_checkpoints (const char *path, jk_verify_result_t *result)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (db,
                            "SELECT size, note FROM checkpoint ORDER BY size",
                            -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close (db); /* no table: a hub without a log key */
        return JK_OK;
    }
    jk_tiles_t *tiles = jk_tiles_reader (db);
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    uint64_t count = 0, last = 0;
    int rc = JK_OK;
    while (rc == JK_OK && sqlite3_step (st) == SQLITE_ROW) {
        const char *note = (const char *)sqlite3_column_text (st, 1);
        char err[200];
        uint8_t root[32];
        if (!note ||
            jk_checkpoint_parse (note, strlen (note), cp, err, sizeof err) !=
                JK_OK ||
            cp->size != (uint64_t)sqlite3_column_int64 (st, 0)) {
            snprintf (result->message, sizeof result->message,
                      "stored checkpoint of size %lld does not parse or "
                      "names another size",
                      (long long)sqlite3_column_int64 (st, 0));
            result->problem = JK_VERIFY_HEAD;
            rc = JK_INVALID;
        } else if (cp->size > result->records) {
            snprintf (result->message, sizeof result->message,
                      "the log ends at position %llu but the hub signed a "
                      "checkpoint of %llu records: the log was cut",
                      (unsigned long long)result->records,
                      (unsigned long long)cp->size);
            result->problem = JK_VERIFY_TRUNCATED;
            rc = JK_INVALID;
        } else if (jk_merkle_root (jk_tiles_node, tiles,
                                   jk_tiles_hasher (tiles), cp->size,
                                   root) != JK_OK ||
                   memcmp (root, cp->root, 32) != 0) {
            snprintf (result->message, sizeof result->message,
                      "the log's tree of size %llu has another head than "
                      "the checkpoint the hub signed: the log was rewritten",
                      (unsigned long long)cp->size);
            result->problem = JK_VERIFY_HEAD;
            rc = JK_INVALID;
        }
        if (rc != JK_OK)
            result->bad_pos = cp->size;
        count++;
        last = cp->size;
    }
    sqlite3_finalize (st);
    jk_tiles_destroy (&tiles);
    sqlite3_close (db);
    free (cp);
    if (rc == JK_OK && count > 0)
        snprintf (s_checkpoints_line, sizeof s_checkpoints_line,
                  "checkpoints: %llu signed by the hub, the newest of %llu "
                  "records, all heads of this log\n",
                  (unsigned long long)count, (unsigned long long)last);
    return rc;
}

/* After an intact walk: the log must reach the checkpoint's size and have
   its head there. JK_OK, or JK_INVALID with the problem in result. */
static int s_checkpoint_match (const char *path,
                               const jk_checkpoint_t *checkpoint,
                               jk_verify_result_t *result)
{
    uint8_t root[32];
    if (checkpoint->size > result->records) {
        result->problem = JK_VERIFY_TRUNCATED;
        result->bad_pos = result->records + 1;
        snprintf (result->message, sizeof result->message,
                  "the log ends at position %llu but the checkpoint's tree "
                  "has %llu records",
                  (unsigned long long)result->records,
                  (unsigned long long)checkpoint->size);
        return JK_INVALID;
    }
    if (checkpoint->size == result->records)
        memcpy (root, result->root, 32);
    else {
        /* The tiles were just checked against the records: their head at
           the checkpoint's size is the log's. */
        char err[512];
        sqlite3 *db = jk_replay_open (path, err, sizeof err);
        jk_tiles_t *tiles = db ? jk_tiles_reader (db) : NULL;
        int rc = tiles ? jk_merkle_root (jk_tiles_node, tiles,
                                         jk_tiles_hasher (tiles),
                                         checkpoint->size, root)
                       : JK_IO;
        jk_tiles_destroy (&tiles);
        sqlite3_close (db);
        if (rc != JK_OK) {
            result->problem = JK_VERIFY_TREE;
            result->bad_pos = checkpoint->size;
            snprintf (result->message, sizeof result->message,
                      "the tree of size %llu cannot be read from the stored "
                      "tiles (let the store open the file once)",
                      (unsigned long long)checkpoint->size);
            return JK_INVALID;
        }
    }
    if (memcmp (root, checkpoint->root, 32) != 0) {
        result->problem = JK_VERIFY_HEAD;
        result->bad_pos = checkpoint->size;
        snprintf (result->message, sizeof result->message,
                  "the log's tree of size %llu has another head than the "
                  "signed checkpoint: the log was rewritten",
                  (unsigned long long)checkpoint->size);
        return JK_INVALID;
    }
    return JK_OK;
}

static int s_verify (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"head", NULL, NULL,
         "a kept head POS:HASH (or a whole jejak-head line): also detects "
         "a truncated or rewritten log",
         false},
        {"decisions", NULL, NULL,
         "also re-derive every logged outcome (accepted, or the rejection "
         "code and message) from the log alone and compare",
         true},
        {"checkpoint", NULL, NULL,
         "a signed checkpoint (C2SP note) the log must match: its tree "
         "size and head",
         false},
        {"log-key", "JEJAK_LOG_KEY", NULL,
         "the log's verifier key NAME+KEYID+KEY, or the file holding it "
         "(with --checkpoint)",
         false},
        {"witnesses", "JEJAK_WITNESSES", NULL,
         "trusted witnesses' verifier keys, separated by commas", false},
        {"quorum", NULL, "0",
         "valid cosignatures of trusted witnesses the checkpoint needs", false},
    };
    int code;
    jk_opts_t *opts =
        s_parse ("verify", spec, 6,
                 "DB [--head POS:HASH] [--decisions] [--checkpoint FILE "
                 "--log-key VKEY [--witnesses VKEY,...] [--quorum K]]",
                 argc, argv, 1, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    jk_head_t kept = {0};
    const char *head_text = jk_opts_get (opts, "head");
    if (head_text) {
        jk_replay_head_t parsed;
        char err[160];
        if (jk_replay_head_parse (head_text, &parsed, err, sizeof err) != 0) {
            fprintf (stderr, "jejak-replay verify: --%s\n", err);
            jk_opts_destroy (&opts);
            return JK_REPLAY_EXIT_USAGE;
        }
        kept.pos = parsed.pos;
        memcpy (kept.hash, parsed.hash, 32);
    }
    int integrity = s_verify_integrity (path);
    if (integrity == JK_IO) {
        jk_opts_destroy (&opts);
        return JK_REPLAY_EXIT_IO;
    }
    static jk_checkpoint_t checkpoint;
    const char *checkpoint_path = jk_opts_get (opts, "checkpoint");
    if (checkpoint_path) {
        code = s_checkpoint_load (opts, checkpoint_path, &checkpoint);
        if (code != JK_REPLAY_EXIT_OK) {
            jk_opts_destroy (&opts);
            return code;
        }
    }
    jk_progress_t *bar = NULL;
    jk_verify_result_t result;
    int rc = jk_log_verify (path, head_text ? &kept : NULL, &result, s_progress,
                            &bar);
    jk_progress_destroy (&bar);
    if (rc == JK_OK && checkpoint_path)
        rc = s_checkpoint_match (path, &checkpoint, &result);
    if (rc == JK_OK)
        rc = s_stored_checkpoints (path, &result);
    if (rc == JK_OK && integrity != JK_OK) {
        printf ("chain verified over %llu records, but the file is damaged "
                "(above)\n",
                (unsigned long long)result.records);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else if (rc == JK_IO) {
        fprintf (stderr, "jejak-replay verify: %s\n", result.message);
        code = JK_REPLAY_EXIT_IO;
    } else if (rc != JK_OK) {
        printf ("TAMPERED %s: first bad position %llu: %s: %s\n", path,
                (unsigned long long)result.bad_pos,
                s_problem_name (result.problem), result.message);
        printf ("verified intact up to position %llu\n",
                (unsigned long long)result.head.pos);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else {
        printf ("intact %s: %llu records, chain verified%s\n", path,
                (unsigned long long)result.records,
                head_text ? ", matches the kept head" : "");
        if (checkpoint_path)
            printf ("checkpoint %s: tree size %llu, head matches, signed by "
                    "the log and at least %s trusted witnesses\n",
                    checkpoint_path, (unsigned long long)checkpoint.size,
                    jk_opts_get (opts, "quorum"));
        char root[2 * JK_HASH_SIZE + 1];
        jk_hex_format (result.root, JK_HASH_SIZE, root);
        if (result.tree_absent)
            printf ("tree: %llu leaves, root %s; no tiles stored in this "
                    "file\n",
                    (unsigned long long)result.records, root);
        else
            printf ("tree: %llu leaves, root %s; stored tiles match the log "
                    "(%llu leaves in full tiles)\n",
                    (unsigned long long)result.records, root,
                    (unsigned long long)result.tree_stored);
        fputs (s_checkpoints_line, stdout);
        code = s_print_head (path);
    }
    if (code == JK_REPLAY_EXIT_OK && jk_opts_on (opts, "decisions")) {
        jk_decisions_result_t decisions;
        bar = NULL;
        rc = jk_log_verify_decisions (path, &decisions, s_progress, &bar);
        jk_progress_destroy (&bar);
        if (rc == JK_IO) {
            fprintf (stderr, "jejak-replay verify: %s\n", decisions.message);
            code = JK_REPLAY_EXIT_IO;
        } else if (rc != JK_OK) {
            printf ("DECISIONS DIFFER %s: %llu of %llu records; first at %s\n",
                    path, (unsigned long long)decisions.mismatches,
                    (unsigned long long)decisions.records, decisions.message);
            code = JK_REPLAY_EXIT_TAMPERED;
        } else
            printf ("decisions %s: %llu records (%llu accepted, %llu "
                    "rejected) re-derived, all equal\n",
                    path, (unsigned long long)decisions.records,
                    (unsigned long long)decisions.accepted,
                    (unsigned long long)decisions.rejected);
    }
    jk_opts_destroy (&opts);
    return code;
}

static int s_head (int argc, char **argv)
{
    int code;
    jk_opts_t *opts = s_parse ("head", NULL, 0, "DB", argc, argv, 1, &code);
    if (!opts)
        return code;
    code = s_print_head (jk_opts_arg (opts, 0));
    jk_opts_destroy (&opts);
    return code;
}

/* True when both paths name the same existing file. */
static bool s_same_file (const char *a, const char *b)
{
    struct stat sa, sb;
    return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int s_rebuild (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"out", NULL, NULL, "the new database file (must not exist)", false},
        {"until-pos", NULL, NULL, "copy records up to this position", false},
        {"until-time", NULL, NULL,
         "copy records up to this moment: ms, or YYYY-MM-DD[THH:MM[:SS]] "
         "in WIB (a bare date: the end of that day)",
         false},
        {"force", NULL, NULL, "replace an existing --out file", true},
        {"rat-deadline-months", "JEJAK_RAT_DEADLINE_MONTHS", "6",
         "RAT late after this many months (as the store)", false},
    };
    int code;
    jk_opts_t *opts =
        s_parse ("rebuild", spec, 5,
                 "DB --out NEW.db [--until-pos N | --until-time T] [--force]",
                 argc, argv, 1, &code);
    if (!opts)
        return code;
    const char *src = jk_opts_arg (opts, 0);
    const char *out = jk_opts_get (opts, "out");
    jk_rebuild_options_t options = {0};
    uint64_t months = 6;
    code = JK_REPLAY_EXIT_USAGE;
    if (!out) {
        fprintf (stderr, "jejak-replay rebuild: --out NEW.db is required\n");
        goto done;
    }
    if (s_u64_flag (opts, "until-pos", &options.until_pos) ||
        jk_parse_u64 (jk_opts_get (opts, "rat-deadline-months"), &months) ||
        months == 0 || months > 120) {
        if (months == 0 || months > 120)
            fprintf (stderr, "jejak-replay rebuild: --rat-deadline-months "
                             "must be 1..120\n");
        goto done;
    }
    options.projections.rat_deadline_months = (int)months;
    const char *until_time = jk_opts_get (opts, "until-time");
    if (until_time) {
        if (options.until_pos) {
            fprintf (stderr, "jejak-replay rebuild: give --until-pos or "
                             "--until-time, not both\n");
            goto done;
        }
        if (jk_replay_parse_time (until_time, &options.until_time) != 0 ||
            options.until_time <= 0) {
            fprintf (stderr,
                     "jejak-replay rebuild: --until-time must be ms since "
                     "the epoch or YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], got "
                     "'%s'\n",
                     until_time);
            goto done;
        }
    }
    if (jk_opts_given (opts, "until-pos") && options.until_pos == 0) {
        fprintf (stderr, "jejak-replay rebuild: --until-pos must be >= 1\n");
        goto done;
    }
    if (s_same_file (src, out)) {
        fprintf (stderr, "jejak-replay rebuild: --out must not be the "
                         "source database\n");
        goto done;
    }
    if (access (out, F_OK) == 0) {
        if (!jk_opts_on (opts, "force")) {
            fprintf (stderr,
                     "jejak-replay rebuild: %s exists; give --force to "
                     "replace it\n",
                     out);
            code = JK_REPLAY_EXIT_IO;
            goto done;
        }
        char companion[4096];
        unlink (out);
        snprintf (companion, sizeof companion, "%s-wal", out);
        unlink (companion);
        snprintf (companion, sizeof companion, "%s-shm", out);
        unlink (companion);
    }
    jk_progress_t *bar = NULL;
    options.progress = s_progress;
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
    printf ("rebuilt %s: %llu records (%llu accepted, %llu rejected)\n", out,
            (unsigned long long)result.records,
            (unsigned long long)result.accepted,
            (unsigned long long)result.rejected);
    code = s_print_head (out);
done:
    jk_opts_destroy (&opts);
    return code;
}

static int s_diff (int argc, char **argv)
{
    int code;
    jk_opts_t *opts =
        s_parse ("diff", NULL, 0, "A.db B.db", argc, argv, 2, &code);
    if (!opts)
        return code;
    char err[512];
    int64_t differences = jk_replay_diff (
        jk_opts_arg (opts, 0), jk_opts_arg (opts, 1), stdout, err, sizeof err);
    if (differences < 0) {
        fprintf (stderr, "jejak-replay diff: %s\n", err);
        code = JK_REPLAY_EXIT_IO;
    } else if (differences > 0) {
        fprintf (stderr, "jejak-replay diff: %lld rows differ\n",
                 (long long)differences);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else {
        fprintf (stderr, "jejak-replay diff: projections are equal\n");
        code = JK_REPLAY_EXIT_OK;
    }
    jk_opts_destroy (&opts);
    return code;
}

static int s_export (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"format", NULL, "jsonl",
         "jsonl (one object per line) or csv (one "
         "file per type)",
         false},
        {"type", NULL, NULL, "only event types starting with this prefix",
         false},
        {"source", NULL, NULL, "only events of this office (e.g. 32.03.10)",
         false},
        {"from-pos", NULL, NULL, "first position to export", false},
        {"until-pos", NULL, NULL, "last position to export", false},
        {"out", NULL, NULL,
         "jsonl: the output file (default stdout); csv: the directory "
         "(default .)",
         false},
        {"unmasked", NULL, NULL,
         "csv: NIKs in clear (masked by default; jsonl is the full copy)",
         true},
    };
    int code;
    jk_opts_t *opts = s_parse ("export", spec, 7,
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
    if (s_u64_flag (opts, "from-pos", &config.from_pos) ||
        s_u64_flag (opts, "until-pos", &config.until_pos))
        goto done;
    char err[512];
    sqlite3 *db = jk_replay_open (jk_opts_arg (opts, 0), err, sizeof err);
    if (!db) {
        fprintf (stderr, "jejak-replay export: %s\n", err);
        code = JK_REPLAY_EXIT_IO;
        goto done;
    }
    uint64_t written;
    if (jk_export_run (db, &config, &written, err, sizeof err) != 0) {
        fprintf (stderr, "jejak-replay export: %s\n", err);
        code = JK_REPLAY_EXIT_IO;
    } else {
        if (config.out || config.format == JK_EXPORT_CSV)
            fprintf (stderr,
                     "jejak-replay export: %llu records written to "
                     "%s\n",
                     (unsigned long long)written,
                     config.out ? config.out : ".");
        code = JK_REPLAY_EXIT_OK;
    }
    sqlite3_close (db);
done:
    jk_opts_destroy (&opts);
    return code;
}

static int s_publish (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"feed", NULL, NULL, "endpoint to bind the feed (XPUB) on", false},
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
        {"from-pos", NULL, NULL, "first position to publish", false},
        {"until-pos", NULL, NULL, "last position to publish", false},
        {"wait-subscriber", NULL, "30",
         "seconds to wait for a first subscriber (0: do not wait)", false},
        {"linger", NULL, "2", "seconds to flush queued records at the end",
         false},
    };
    int code;
    jk_opts_t *opts = s_parse ("publish", spec, 8,
                               "DB --feed EP [--instant | --speed N] "
                               "[--from-pos N] [--wait-subscriber SECONDS]",
                               argc, argv, 1, &code);
    if (!opts)
        return code;
    jk_publish_config_t config = {.endpoint = jk_opts_get (opts, "feed"),
                                  .progress = true};
    code = JK_REPLAY_EXIT_USAGE;
    uint64_t wait_s = 0, gap_s = 0, linger_s = 0;
    if (!config.endpoint) {
        fprintf (stderr, "jejak-replay publish: --feed EP is required\n");
        goto done;
    }
    const char *speed = jk_opts_get (opts, "speed");
    if (speed) {
        char *end = NULL;
        errno = 0;
        config.speed = strtod (speed, &end);
        if (errno || !end || *end || !(config.speed > 0) ||
            config.speed > 1e9) {
            fprintf (stderr,
                     "jejak-replay publish: --speed must be a number "
                     "> 0, got '%s'\n",
                     speed);
            goto done;
        }
        if (jk_opts_on (opts, "instant")) {
            fprintf (stderr, "jejak-replay publish: give --instant or "
                             "--speed, not both\n");
            goto done;
        }
    }
    if (s_u64_flag (opts, "from-pos", &config.from_pos) ||
        s_u64_flag (opts, "until-pos", &config.until_pos) ||
        s_u64_flag (opts, "wait-subscriber", &wait_s) ||
        s_u64_flag (opts, "max-gap", &gap_s) ||
        s_u64_flag (opts, "linger", &linger_s) || wait_s > 86400 ||
        gap_s > 86400 || linger_s > 3600)
        goto done;
    config.wait_subscriber_ms = (int64_t)wait_s * 1000;
    config.max_gap_ms = gap_s ? (int64_t)gap_s * 1000 : 1;
    config.linger_ms = linger_s ? (int64_t)linger_s * 1000 : 1;
    char err[512];
    sqlite3 *db = jk_replay_open (jk_opts_arg (opts, 0), err, sizeof err);
    if (!db) {
        fprintf (stderr, "jejak-replay publish: %s\n", err);
        code = JK_REPLAY_EXIT_IO;
        goto done;
    }
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
        fprintf (stderr,
                 "jejak-replay publish: %llu records published on "
                 "%s\n",
                 (unsigned long long)published, config.endpoint);
        code = JK_REPLAY_EXIT_OK;
    }
done:
    jk_opts_destroy (&opts);
    return code;
}

/* Online backup of a live database (SQLite backup API) with its head. */
static int s_backup (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"out", NULL, NULL, "the copy to write (must not exist)", false},
    };
    int code;
    jk_opts_t *opts =
        s_parse ("backup", spec, 1, "DB --out COPY.db", argc, argv, 1, &code);
    if (!opts)
        return code;
    const char *out = jk_opts_get (opts, "out");
    if (!out) {
        fprintf (stderr, "jejak-replay backup: --out COPY.db is required\n");
        jk_opts_destroy (&opts);
        return JK_REPLAY_EXIT_USAGE;
    }
    jk_backup_result_t result;
    jk_progress_t *bar = NULL;
    char err[512];
    int rc = jk_backup_run (jk_opts_arg (opts, 0), out, &result, s_progress,
                            &bar, err, sizeof err);
    jk_progress_destroy (&bar);
    if (rc != JK_OK) {
        fprintf (stderr, "jejak-replay backup: %s\n", err);
        jk_opts_destroy (&opts);
        return rc == JK_CONFLICT ? JK_REPLAY_EXIT_USAGE : JK_REPLAY_EXIT_IO;
    }
    char hash[2 * JK_HASH_SIZE + 1];
    jk_hex_format (result.head.hash, JK_HASH_SIZE, hash);
    printf ("backup %s: %llu pages, head pos=%llu hash=%s\n", out,
            (unsigned long long)result.pages,
            (unsigned long long)result.head.pos, hash);
    jk_opts_destroy (&opts);
    return JK_REPLAY_EXIT_OK;
}

/* Reads a whole file (at most max bytes) into a heap buffer. */
static char *s_slurp (const char *path, size_t max, size_t *size)
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

/* checkpoint DB: the newest stored checkpoint (or of --size N) with the
   cosignatures the hub kept for it, as the hub serves it. */
static int s_checkpoint_cmd (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"size", NULL, NULL,
         "the checkpoint of this tree size (default: the newest)", false},
        {"out", NULL, NULL, "write it here (default: stdout)", false},
    };
    int code;
    jk_opts_t *opts =
        s_parse ("checkpoint", spec, 2, "DB [--size N] [--out FILE]", argc,
                 argv, 1, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    uint64_t size = 0;
    if (s_u64_flag (opts, "size", &size) != 0) {
        jk_opts_destroy (&opts);
        return JK_REPLAY_EXIT_USAGE;
    }
    sqlite3 *db = NULL;
    char *note = NULL;
    code = JK_REPLAY_EXIT_IO;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_exec (db, "SELECT 1 FROM log LIMIT 0", NULL, NULL, NULL) !=
            SQLITE_OK) {
        fprintf (stderr, "jejak-replay checkpoint: cannot read the log in %s\n",
                 path);
        goto done;
    }
    sqlite3_busy_timeout (db, 5000);
    note = jk_opts_get (opts, "size") ? jk_checkpoint_stored (db, size)
                                      : jk_checkpoint_newest (db);
    if (!note) {
        fprintf (stderr,
                 "jejak-replay checkpoint: %s holds no signed checkpoint%s\n",
                 path, jk_opts_get (opts, "size") ? " of that size" : "");
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    const char *out_path = jk_opts_get (opts, "out");
    FILE *out = out_path ? fopen (out_path, "w") : stdout;
    if (!out || fputs (note, out) == EOF || (out_path && fclose (out) != 0)) {
        fprintf (stderr, "jejak-replay checkpoint: cannot write %s\n",
                 out_path ? out_path : "stdout");
        goto done;
    }
    code = JK_REPLAY_EXIT_OK;
done:
    free (note);
    sqlite3_close (db);
    jk_opts_destroy (&opts);
    return code;
}

/* Writes text to --out (or stdout); the size line on stderr. An exit
   code. */
static int s_write_proof (jk_opts_t *opts, const char *text, const char *what)
{
    const char *out_path = jk_opts_get (opts, "out");
    FILE *out = out_path ? fopen (out_path, "w") : stdout;
    if (!out || fputs (text, out) == EOF || (out_path && fclose (out) != 0)) {
        fprintf (stderr, "jejak-replay prove: cannot write %s\n",
                 out_path ? out_path : "stdout");
        return JK_REPLAY_EXIT_IO;
    }
    if (out_path)
        fprintf (stderr, "%s: %s (%zu bytes)\n", what, out_path, strlen (text));
    return JK_REPLAY_EXIT_OK;
}

/* The older checkpoint of prove --consistency: OLD_SIZE, the one of that
   size the database stored; or OLD_FILE, a signed note someone kept,
   trusted only with the log's signature (--log-key). The note (heap),
   parsed into older, or NULL with *code set (the message printed). */
static char *s_older_note (jk_opts_t *opts, sqlite3 *db, const char *path,
                           jk_checkpoint_t *older, int *code)
{
    const char *old = jk_opts_get (opts, "consistency");
    uint64_t old_size = 0;
    size_t len = 0;
    char *note = NULL;
    if (jk_parse_u64 (old, &old_size) == JK_OK && old_size > 0) {
        note = jk_checkpoint_stored (db, old_size);
        if (!note) {
            fprintf (stderr,
                     "jejak-replay prove: %s holds no signed checkpoint of "
                     "%llu records (jejak-replay verify lists the newest)\n",
                     path, (unsigned long long)old_size);
            *code = JK_REPLAY_EXIT_TAMPERED;
            return NULL;
        }
        len = strlen (note);
    } else if (!(note = s_slurp (old, JK_NOTE_MAX, &len))) {
        fprintf (stderr,
                 "jejak-replay prove: --consistency must be a tree size (1 "
                 "or more) or a signed checkpoint file, got '%s'\n",
                 old);
        *code = JK_REPLAY_EXIT_USAGE;
        return NULL;
    } else if (!jk_opts_get (opts, "log-key")) {
        fprintf (stderr,
                 "jejak-replay prove: --consistency %s (a checkpoint file) "
                 "needs --log-key (the log's verifier key)\n",
                 old);
        *code = JK_REPLAY_EXIT_USAGE;
        free (note);
        return NULL;
    }
    char err[256];
    if (jk_opts_get (opts, "log-key"))
        *code = s_checkpoint_trust (opts, old, note, len, older);
    else if (jk_checkpoint_parse (note, len, older, err, sizeof err) != JK_OK) {
        printf ("REFUSED checkpoint of %s records: %s\n", old, err);
        *code = JK_REPLAY_EXIT_TAMPERED;
    } else
        *code = JK_REPLAY_EXIT_OK;
    if (*code == JK_REPLAY_EXIT_OK && older->size == 0) {
        fprintf (stderr,
                 "jejak-replay prove: the checkpoint in %s is of an empty "
                 "tree: every log extends it\n",
                 old);
        *code = JK_REPLAY_EXIT_USAGE;
    }
    if (*code != JK_REPLAY_EXIT_OK) {
        free (note);
        return NULL;
    }
    return note;
}

/* prove DB --consistency OLD: the older checkpoint (OLD_SIZE, the stored
   one of that size, or OLD_FILE, a signed note kept elsewhere), the newer
   one (the newest stored, or --checkpoint FILE) and the consistency proof
   between their trees, as one jejak-consistency/1 text; checked before it
   is written (with --log-key, both notes' signatures too). */
static int s_prove_consistency (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"consistency", NULL, NULL,
         "the older checkpoint: its tree size (one the database stored), or "
         "a file holding its signed note",
         false},
        {"checkpoint", NULL, NULL,
         "the newer signed checkpoint (default: the newest one the database "
         "holds)",
         false},
        {"out", NULL, NULL, "write the proof here (default: stdout)", false},
        {"log-key", "JEJAK_LOG_KEY", NULL,
         "the log's verifier key, or the file holding it: both checkpoints "
         "must carry its signature (required with OLD_FILE)",
         false},
    };
    int code;
    jk_opts_t *opts = s_parse ("prove", spec, 4,
                               "DB --consistency OLD_SIZE|OLD_FILE "
                               "[--checkpoint FILE] [--log-key VKEY] "
                               "[--out FILE]",
                               argc, argv, 1, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    sqlite3 *db = NULL;
    jk_tiles_t *tiles = NULL;
    char *old_note = NULL, *new_note = NULL, *text = NULL;
    jk_checkpoint_t *older = jk_malloc (sizeof *older);
    jk_checkpoint_t *newer = jk_malloc (sizeof *newer);
    char err[256] = "";
    code = JK_REPLAY_EXIT_IO;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf (stderr, "jejak-replay prove: cannot open %s\n", path);
        goto done;
    }
    sqlite3_busy_timeout (db, 5000);
    old_note = s_older_note (opts, db, path, older, &code);
    if (!old_note)
        goto done;
    uint64_t old_size = older->size;
    code = JK_REPLAY_EXIT_IO;
    const char *given = jk_opts_get (opts, "checkpoint");
    size_t new_len = 0;
    if (given) {
        new_note = s_slurp (given, JK_NOTE_MAX, &new_len);
        if (!new_note) {
            fprintf (stderr, "jejak-replay prove: cannot read %s\n", given);
            goto done;
        }
    } else {
        new_note = jk_checkpoint_newest (db);
        new_len = new_note ? strlen (new_note) : 0;
    }
    if (new_note && jk_opts_get (opts, "log-key")) {
        code = s_checkpoint_trust (opts, given ? given : "(the newest stored)",
                                   new_note, new_len, newer);
        if (code != JK_REPLAY_EXIT_OK)
            goto done;
        code = JK_REPLAY_EXIT_IO;
    }
    if (!new_note ||
        jk_checkpoint_parse (new_note, new_len, newer, err, sizeof err) !=
            JK_OK ||
        newer->size < old_size) {
        if (!*err)
            snprintf (err, sizeof err,
                      "no newer checkpoint of at least %llu records",
                      (unsigned long long)old_size);
        fprintf (stderr, "jejak-replay prove: the checkpoint: %s\n", err);
        code = JK_REPLAY_EXIT_USAGE;
        goto done;
    }
    tiles = jk_tiles_reader (db);
    jk_mhash_t *mh = jk_tiles_hasher (tiles);
    uint8_t hashes[JK_MERKLE_PROOF_MAX][JK_MERKLE_HASH];
    size_t count = 0;
    if (jk_merkle_consistency (jk_tiles_node, tiles, mh, old_size, newer->size,
                               hashes, &count) != JK_OK) {
        fprintf (stderr,
                 "jejak-replay prove: the Merkle tree of %s does not reach "
                 "%llu records (run jejak-replay verify)\n",
                 path, (unsigned long long)newer->size);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    if (jk_checkpoint_consistent (older, newer, hashes[0],
                                  count * JK_MERKLE_HASH) != JK_OK) {
        fprintf (stderr,
                 "jejak-replay prove: the checkpoints of %llu and %llu "
                 "records are not heads of the log in %s (run jejak-replay "
                 "verify --checkpoint)\n",
                 (unsigned long long)old_size, (unsigned long long)newer->size,
                 path);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    text = jk_consistency_format (old_note, strlen (old_note), new_note,
                                  new_len, hashes[0], count);
    char what[128];
    snprintf (what, sizeof what,
              "consistency proof from the checkpoint of %llu records to the "
              "one of %llu",
              (unsigned long long)old_size, (unsigned long long)newer->size);
    code = s_write_proof (opts, text, what);
done:
    jk_tiles_destroy (&tiles);
    if (db)
        sqlite3_close (db);
    free (text);
    free (old_note);
    free (new_note);
    free (older);
    free (newer);
    jk_opts_destroy (&opts);
    return code;
}

/* prove DB POS: the record's entry, its path in the tree of a signed
   checkpoint (the newest stored one covering POS, or --checkpoint FILE)
   and that checkpoint, as one jejak-proof/1 text. */
static int s_prove (int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp (argv[i], "--consistency") == 0 ||
            strncmp (argv[i], "--consistency=", 14) == 0)
            return s_prove_consistency (argc, argv);
    static const jk_opt_t spec[] = {
        {"checkpoint", NULL, NULL,
         "prove against this signed checkpoint (default: the newest one "
         "the database holds that covers POS)",
         false},
        {"out", NULL, NULL, "write the proof here (default: stdout)", false},
        {"consistency", NULL, NULL,
         "OLD_SIZE or OLD_FILE: instead of a record's proof, a "
         "jejak-consistency/1 proof from the stored checkpoint of OLD_SIZE "
         "records (or the signed note in OLD_FILE, with --log-key) to the "
         "newer one (DB only, no POS)",
         false},
    };
    int code;
    jk_opts_t *opts = s_parse (
        "prove", spec, 3,
        "DB POS [--checkpoint FILE] [--out FILE] | DB --consistency "
        "OLD_SIZE|OLD_FILE [--checkpoint FILE] [--log-key VKEY] [--out FILE]",
        argc, argv, 2, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    uint64_t pos = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    jk_tiles_t *tiles = NULL;
    char *note = NULL, *proof = NULL;
    uint8_t *entry = NULL;
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    code = JK_REPLAY_EXIT_IO;
    if (jk_parse_u64 (jk_opts_arg (opts, 1), &pos) != JK_OK || pos == 0) {
        fprintf (stderr,
                 "jejak-replay prove: POS must be a log position (1 or "
                 "more), got '%s'\n",
                 jk_opts_arg (opts, 1));
        code = JK_REPLAY_EXIT_USAGE;
        goto done;
    }
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf (stderr, "jejak-replay prove: cannot open %s\n", path);
        goto done;
    }
    sqlite3_busy_timeout (db, 5000);
    const char *given = jk_opts_get (opts, "checkpoint");
    size_t note_len = 0;
    if (given) {
        note = s_slurp (given, JK_NOTE_MAX, &note_len);
        if (!note) {
            fprintf (stderr, "jejak-replay prove: cannot read %s\n", given);
            goto done;
        }
    } else {
        /* The newest, with the witnesses' cosignatures kept for it. */
        note = jk_checkpoint_newest (db);
        note_len = note ? strlen (note) : 0;
        if (note && (jk_checkpoint_parse (note, note_len, cp, NULL, 0) ||
                     cp->size < pos)) {
            free (note);
            note = NULL;
        }
    }
    char err[256] = "";
    if (!note) {
        fprintf (stderr,
                 "jejak-replay prove: %s holds no signed checkpoint covering "
                 "position %llu (the hub signs one within --checkpoint-every "
                 "seconds; or give --checkpoint FILE)\n",
                 path, (unsigned long long)pos);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    if (jk_checkpoint_parse (note, note_len, cp, err, sizeof err) != JK_OK ||
        cp->size < pos) {
        if (cp->size < pos && !*err)
            snprintf (err, sizeof err,
                      "its tree has %llu records, fewer than %llu",
                      (unsigned long long)cp->size, (unsigned long long)pos);
        fprintf (stderr, "jejak-replay prove: the checkpoint: %s\n", err);
        code = JK_REPLAY_EXIT_USAGE;
        goto done;
    }
    if (sqlite3_prepare_v2 (db,
                            "SELECT recorded_at, outcome, code, message, bytes"
                            " FROM log WHERE pos = ?",
                            -1, &st, NULL) != SQLITE_OK) {
        fprintf (stderr, "jejak-replay prove: %s has no log: %s\n", path,
                 sqlite3_errmsg (db));
        goto done;
    }
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)pos);
    if (sqlite3_step (st) != SQLITE_ROW) {
        fprintf (stderr, "jejak-replay prove: %s has no position %llu\n", path,
                 (unsigned long long)pos);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    bool rejected = sqlite3_column_int (st, 1) != 0;
    const char *rcode =
        rejected ? (const char *)sqlite3_column_text (st, 2) : NULL;
    const char *rmessage =
        rejected ? (const char *)sqlite3_column_text (st, 3) : NULL;
    const uint8_t *bytes = sqlite3_column_blob (st, 4);
    size_t size = (size_t)sqlite3_column_bytes (st, 4);
    int64_t recorded_at = sqlite3_column_int64 (st, 0);
    size_t entry_len = jk_merkle_entry (pos, recorded_at, rejected, rcode,
                                        rmessage, bytes, size, NULL, 0);
    entry = jk_malloc (entry_len);
    jk_merkle_entry (pos, recorded_at, rejected, rcode, rmessage, bytes, size,
                     entry, entry_len);
    tiles = jk_tiles_reader (db);
    jk_mhash_t *mh = jk_tiles_hasher (tiles);
    uint8_t path_hashes[JK_MERKLE_PROOF_MAX][JK_MERKLE_HASH], leaf[32];
    size_t count = 0;
    if (jk_merkle_inclusion (jk_tiles_node, tiles, mh, pos - 1, cp->size,
                             path_hashes, &count) != JK_OK) {
        fprintf (stderr,
                 "jejak-replay prove: the Merkle tree of %s does not reach "
                 "%llu records (run jejak-replay verify)\n",
                 path, (unsigned long long)cp->size);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    jk_mhash_leaf (mh, entry, entry_len, leaf);
    if (jk_merkle_verify_inclusion (mh, pos - 1, cp->size, leaf, path_hashes[0],
                                    count, cp->root) != JK_OK) {
        fprintf (stderr,
                 "jejak-replay prove: the log in %s does not lead to the "
                 "checkpoint's head at %llu records: it is not the log that "
                 "checkpoint signed (run jejak-replay verify --checkpoint)\n",
                 path, (unsigned long long)cp->size);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    proof = jk_proof_format (entry, entry_len, path_hashes[0], count, note);
    char what[96];
    snprintf (what, sizeof what,
              "proof of position %llu against the checkpoint of %llu records",
              (unsigned long long)pos, (unsigned long long)cp->size);
    code = s_write_proof (opts, proof, what);
done:
    sqlite3_finalize (st);
    jk_tiles_destroy (&tiles);
    if (db)
        sqlite3_close (db);
    free (entry);
    free (proof);
    free (note);
    free (cp);
    jk_opts_destroy (&opts);
    return code;
}

/* check of a jejak-consistency/1 text: both checkpoints trusted, the
   older no larger, and the proof leads from one head to the other. */
static int s_check_consistency (jk_opts_t *opts, const char *path,
                                const char *text, size_t size)
{
    jk_consistency_t *proof = jk_malloc (sizeof *proof);
    jk_checkpoint_t *older = jk_malloc (sizeof *older);
    jk_checkpoint_t *newer = jk_malloc (sizeof *newer);
    char err[256], label[300];
    int code = JK_REPLAY_EXIT_TAMPERED;
    if (jk_consistency_parse (text, size, proof, err, sizeof err) != JK_OK) {
        printf ("INVALID consistency %s: %s\n", path, err);
        goto done;
    }
    snprintf (label, sizeof label, "%s (older)", path);
    code = s_checkpoint_trust (opts, label, proof->old_note, proof->old_len,
                               older);
    if (code != JK_REPLAY_EXIT_OK)
        goto done;
    snprintf (label, sizeof label, "%s (newer)", path);
    code = s_checkpoint_trust (opts, label, proof->new_note, proof->new_len,
                               newer);
    if (code != JK_REPLAY_EXIT_OK)
        goto done;
    code = JK_REPLAY_EXIT_TAMPERED;
    if (older->size > newer->size) {
        printf ("INVALID consistency %s: the older checkpoint's tree of %llu "
                "records is larger than the newer's of %llu\n",
                path, (unsigned long long)older->size,
                (unsigned long long)newer->size);
        goto done;
    }
    if (jk_checkpoint_consistent (older, newer, proof->path[0],
                                  proof->count * JK_MERKLE_HASH) != JK_OK) {
        printf ("INVALID consistency %s: the signed trees of %llu and %llu "
                "records are not one log with these %zu hashes: a rewritten "
                "or forked log, or a damaged proof\n",
                path, (unsigned long long)older->size,
                (unsigned long long)newer->size, proof->count);
        goto done;
    }
    printf ("VALID consistency %s: the log %s's signed tree of %llu records "
            "extends its signed tree of %llu records (%zu hashes)\n",
            path, newer->origin, (unsigned long long)newer->size,
            (unsigned long long)older->size, proof->count);
    code = JK_REPLAY_EXIT_OK;
done:
    free (proof);
    free (older);
    free (newer);
    return code;
}

/* check PROOF: a jejak-proof/1 checked offline with the log's verifier
   key (and witnesses): the checkpoint's signatures, then the record's
   path to its head. */
static int s_check (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"log-key", "JEJAK_LOG_KEY", NULL,
         "the log's verifier key NAME+KEYID+KEY, or the file holding it "
         "(required)",
         false},
        {"witnesses", "JEJAK_WITNESSES", NULL,
         "trusted witnesses' verifier keys, separated by commas", false},
        {"quorum", NULL, "0",
         "valid cosignatures of trusted witnesses the checkpoint needs", false},
    };
    int code;
    jk_opts_t *opts =
        s_parse ("check", spec, 3,
                 "PROOF --log-key VKEY [--witnesses VKEY,...] [--quorum K]",
                 argc, argv, 1, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    size_t size = 0;
    char *text = s_slurp (path, JK_PROOF_MAX, &size);
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    jk_proof_t proof = {0};
    char err[256];
    code = JK_REPLAY_EXIT_IO;
    if (!text) {
        fprintf (stderr, "jejak-replay check: cannot read %s\n", path);
        goto done;
    }
    if (!jk_opts_get (opts, "log-key")) {
        fprintf (stderr, "jejak-replay check: --log-key (the log's verifier "
                         "key) is required\n");
        code = JK_REPLAY_EXIT_USAGE;
        goto done;
    }
    if (size >= strlen (JK_CONSISTENCY_MAGIC) &&
        memcmp (text, JK_CONSISTENCY_MAGIC, strlen (JK_CONSISTENCY_MAGIC)) ==
            0) {
        code = s_check_consistency (opts, path, text, size);
        goto done;
    }
    if (jk_proof_parse (text, size, &proof, err, sizeof err) != JK_OK) {
        printf ("INVALID proof %s: %s\n", path, err);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    code = s_checkpoint_trust (opts, path, proof.note, proof.note_len, cp);
    if (code != JK_REPLAY_EXIT_OK)
        goto done;
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t leaf[32];
    jk_mhash_leaf (mh, proof.entry, proof.entry_len, leaf);
    bool ok = proof.pos <= cp->size &&
              jk_merkle_verify_inclusion (mh, proof.pos - 1, cp->size, leaf,
                                          proof.path[0], proof.count,
                                          cp->root) == JK_OK;
    jk_mhash_destroy (&mh);
    if (!ok) {
        printf ("INVALID proof %s: position %llu is not in the signed tree of "
                "%llu records with these bytes\n",
                path, (unsigned long long)proof.pos,
                (unsigned long long)cp->size);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    char when[26];
    jk_time_format_wib (proof.recorded_at, when);
    printf ("VALID proof %s: position %llu of the log %s (signed tree of %llu "
            "records), recorded %s, %s",
            path, (unsigned long long)proof.pos, cp->origin,
            (unsigned long long)cp->size, when,
            proof.outcome ? "rejected " : "accepted");
    if (proof.outcome)
        printf ("%.*s: %.*s", (int)proof.code_len, proof.code,
                (int)proof.message_len, proof.message);
    printf ("\n");
    jk_envelope_t envelope;
    if (jk_envelope_peek (proof.bytes, proof.size, &envelope)) {
        char id[37];
        jk_uuid_format (envelope.id, id);
        printf ("event %s type %s source %s seq %llu (%zu bytes)\n", id,
                envelope.type, envelope.source,
                (unsigned long long)envelope.seq, proof.size);
    }
    code = JK_REPLAY_EXIT_OK;
done:
    jk_proof_fini (&proof);
    free (text);
    free (cp);
    jk_opts_destroy (&opts);
    return code;
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
    } commands[] = {{"verify", s_verify},   {"head", s_head},
                    {"rebuild", s_rebuild}, {"diff", s_diff},
                    {"export", s_export},   {"publish", s_publish},
                    {"backup", s_backup},   {"prove", s_prove},
                    {"check", s_check},     {"checkpoint", s_checkpoint_cmd}};
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp (command, commands[i].name) == 0) {
            s_command = commands[i].name;
            return commands[i].run (argc - 1, argv + 1);
        }
    fprintf (stderr, "jejak-replay: unknown command '%s' (see --help)\n",
             command);
    return JK_REPLAY_EXIT_USAGE;
}
