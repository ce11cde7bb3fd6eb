/*  cli_verify.c - jejak-replay verify and head (cli.h): the chain, the
    tree, the file's integrity, a kept head, a signed checkpoint with its
    witnesses, the checkpoints the hub stored, and the decisions re-derived
    (docs/AUDIT.md sections 1, 2 and 6). */
#include "cli.h"
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

/* Prints the head line of a database; returns an exit code. */
const char *jk_cli_records (uint64_t n)
{
    return n == 1 ? "record" : "records";
}

int jk_cli_print_head (const char *path)
{
    char err[512], line[256];
    sqlite3 *db = jk_cli_open_log (jk_cli_command, path);
    if (!db)
        return JK_REPLAY_EXIT_IO;
    jk_replay_head_t head;
    int rc = jk_replay_head (db, &head, err, sizeof err);
    sqlite3_close (db);
    if (rc != 0) {
        fprintf (stderr, "jejak-replay %s: %s: %s\n", jk_cli_command, path,
                 err);
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
        case JK_VERIFY_COLUMN:
            return "column differs from the hashed bytes";
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
    else if ((sqlite3_exec (db, "SELECT count(*) FROM sqlite_master", NULL,
                            NULL, NULL) &
              0xff) == SQLITE_NOTADB)
        /* Not SQLite's header: not a database at all (the wrong file),
           where a damaged database still has one. */
        snprintf (what, sizeof what, "not a database (%s)",
                  sqlite3_errmsg (db));
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
        fprintf (stderr, "jejak-replay %s: --%s: %s\n", jk_cli_command, flag,
                 err);
        return -1;
    }
    if (signer->type != type) {
        fprintf (stderr,
                 "jejak-replay %s: --%s: key %s has type %02x, %02x "
                 "expected\n",
                 jk_cli_command, flag, signer->name, signer->type, type);
        return -1;
    }
    return 0;
}

/* The keys a checkpoint is checked with. */
static jk_note_signer_t s_log, s_witnesses[JK_NOTE_SIGS_MAX];
static int s_witness_count;
static uint64_t s_quorum;

/* An option's value; with flags_only, only a value given as a flag
   (not one from the environment or a config file). */
static const char *s_trust_value (jk_opts_t *opts, const char *name,
                                  bool flags_only)
{
    return !flags_only || jk_opts_flag_given (opts, name)
               ? jk_opts_get (opts, name)
               : NULL;
}

/* The trust flags' values into s_log, s_witnesses and s_quorum:
   --log-key (required when need_log_key), --witnesses and --quorum, with
   flags_only those given as flags alone. An exit code (2 after printing
   what is wrong). */
static int s_trust_values (jk_opts_t *opts, bool need_log_key, bool flags_only)
{
    const char *log_key = s_trust_value (opts, "log-key", flags_only);
    if (!log_key && need_log_key) {
        fprintf (stderr,
                 "jejak-replay %s: --log-key (the log's verifier key) is "
                 "needed to check a checkpoint\n",
                 jk_cli_command);
        return JK_REPLAY_EXIT_USAGE;
    }
    if (log_key) {
        /* The key's text, or the file holding it (log.vkey). */
        char *key_text = jk_note_vkey_given (log_key);
        int vrc = s_vkey ("log-key", key_text ? key_text : "",
                          JK_NOTE_TYPE_ED25519, &s_log);
        free (key_text);
        if (vrc != 0)
            return JK_REPLAY_EXIT_USAGE;
    }
    /* Keys, or files of them one per line, as the hub takes them; a
       file that cannot be read is a bad value like a mistyped key. */
    char *list = NULL, err[320];
    int wrc = jk_witnesses_read (s_trust_value (opts, "witnesses", flags_only),
                                 &list, err, sizeof err);
    if (wrc == JK_OK)
        wrc = jk_note_signers_parse (list ? list : "", JK_NOTE_TYPE_COSIG,
                                     s_witnesses, JK_NOTE_SIGS_MAX,
                                     &s_witness_count, err, sizeof err);
    free (list);
    if (wrc != JK_OK) {
        fprintf (stderr, "jejak-replay %s: %s\n", jk_cli_command, err);
        return JK_REPLAY_EXIT_USAGE;
    }
    s_quorum = 0;
    if (s_trust_value (opts, "quorum", flags_only) &&
        jk_cli_u64_flag (opts, "quorum", &s_quorum) != 0)
        return JK_REPLAY_EXIT_USAGE;
    if (s_quorum > (uint64_t)s_witness_count) {
        fprintf (stderr,
                 "jejak-replay %s: --quorum %llu is more than the %d "
                 "trusted witnesses given\n",
                 jk_cli_command, (unsigned long long)s_quorum, s_witness_count);
        return JK_REPLAY_EXIT_USAGE;
    }
    return JK_REPLAY_EXIT_OK;
}

int jk_cli_trust_flags (jk_opts_t *opts)
{
    return s_trust_values (opts, true, false);
}

/* verify without --checkpoint: --log-key, --witnesses and --quorum check
   a signed checkpoint and nothing else, so one given on the command line
   is a mistake. Their values are checked all the same (a bad one is said
   as with --checkpoint), then the flag is refused naming --checkpoint. A
   value from the environment (JEJAK_LOG_KEY, JEJAK_WITNESSES) or a
   config file is not read: they may serve other programs. An exit
   code. */
static int s_trust_flags_alone (jk_opts_t *opts)
{
    static const char *const flags[] = {"log-key", "witnesses", "quorum"};
    const char *given = NULL;
    for (size_t i = 0; i < sizeof flags / sizeof *flags && !given; i++)
        if (jk_opts_flag_given (opts, flags[i]))
            given = flags[i];
    if (!given)
        return JK_REPLAY_EXIT_OK;
    int code = s_trust_values (opts, false, true);
    if (code != JK_REPLAY_EXIT_OK)
        return code;
    fprintf (stderr,
             "jejak-replay %s: --%s needs --checkpoint FILE (--log-key, "
             "--witnesses and --quorum check a signed checkpoint)\n",
             jk_cli_command, given);
    return JK_REPLAY_EXIT_USAGE;
}

/* --region and --rat-deadline-months (their values checked already)
   decide the outcomes only --decisions re-derives: given without it,
   they would be ignored, so they are refused. An exit code. */
static int s_decision_flags_alone (jk_opts_t *opts)
{
    if (jk_opts_on (opts, "decisions"))
        return JK_REPLAY_EXIT_OK;
    static const char *const flags[] = {"region", "rat-deadline-months"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if (jk_opts_flag_given (opts, flags[i])) {
            fprintf (stderr,
                     "jejak-replay %s: --%s needs --decisions (the region "
                     "and the RAT deadline decide only the outcomes "
                     "--decisions derives again)\n",
                     jk_cli_command, flags[i]);
            return JK_REPLAY_EXIT_USAGE;
        }
    return JK_REPLAY_EXIT_OK;
}

/* Parses a checkpoint's text (named label in messages) and checks its
   signatures against --log-key, --witnesses and --quorum. An exit
   code. */
int jk_cli_checkpoint_trust (jk_opts_t *opts, const char *label,
                             const char *text, size_t size,
                             jk_checkpoint_t *checkpoint)
{
    int code = jk_cli_trust_flags (opts);
    if (code != JK_REPLAY_EXIT_OK)
        return code;
    char err[320];
    if (jk_checkpoint_parse (text, size, checkpoint, err, sizeof err) !=
        JK_OK) {
        printf ("REFUSED checkpoint %s: %s\n", label, err);
        return JK_REPLAY_EXIT_TAMPERED;
    }
    if (strcmp (checkpoint->origin, s_log.name) != 0) {
        printf ("REFUSED checkpoint %s: origin %s is not the log key's name "
                "%s\n",
                label, checkpoint->origin, s_log.name);
        return JK_REPLAY_EXIT_TAMPERED;
    }
    if (jk_checkpoint_trusted (checkpoint, &s_log, s_witnesses, s_witness_count,
                               (int)s_quorum, err, sizeof err) != JK_OK) {
        printf ("REFUSED checkpoint %s: %s\n", label, err);
        return JK_REPLAY_EXIT_TAMPERED;
    }
    return JK_REPLAY_EXIT_OK;
}

/* Reads --checkpoint FILE and checks it as jk_cli_checkpoint_trust. */
static int s_checkpoint_load (jk_opts_t *opts, const char *path,
                              jk_checkpoint_t *checkpoint)
{
    if (!jk_opts_get (opts, "log-key")) {
        fprintf (stderr,
                 "jejak-replay %s: --checkpoint needs --log-key "
                 "(the log's verifier key)\n",
                 jk_cli_command);
        return JK_REPLAY_EXIT_USAGE;
    }
    int code = jk_cli_trust_flags (opts);
    if (code != JK_REPLAY_EXIT_OK)
        return code;
    size_t size = 0;
    char *text = jk_cli_slurp (path, JK_NOTE_MAX, &size);
    if (!text) {
        fprintf (stderr, "jejak-replay %s: cannot read %s: %s\n",
                 jk_cli_command, path, jk_cli_read_why (errno));
        return JK_REPLAY_EXIT_IO;
    }
    code = jk_cli_checkpoint_trust (opts, path, text, size, checkpoint);
    free (text);
    return code;
}

/* The log's tree head at size (at most the log's records, whose tiles
   were just checked against them) into root: JK_OK, or JK_INVALID with
   the problem in result when the stored tiles do not reach that size (a
   stored tree cut short: never a verdict on the records). */
static int s_head_at (jk_tiles_t *tiles, uint64_t size,
                      jk_verify_result_t *result, uint8_t root[32])
{
    if (size == result->records) {
        memcpy (root, result->root, 32);
        return JK_OK;
    }
    if (tiles && jk_merkle_root (jk_tiles_node, tiles, jk_tiles_hasher (tiles),
                                 size, root) == JK_OK)
        return JK_OK;
    result->problem = JK_VERIFY_TREE;
    result->bad_pos = size;
    snprintf (result->message, sizeof result->message,
              "the tree of size %llu cannot be read from the stored tiles "
              "(let the store open the file once)",
              (unsigned long long)size);
    return JK_INVALID;
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
            result->bad_pos = (uint64_t)sqlite3_column_int64 (st, 0);
            rc = JK_INVALID;
        } else if (cp->size > result->records) {
            snprintf (result->message, sizeof result->message,
                      "the log ends at position %llu but the hub signed a "
                      "checkpoint of %llu records: the log was cut",
                      (unsigned long long)result->records,
                      (unsigned long long)cp->size);
            /* The first position absent, as for a kept head. */
            result->problem = JK_VERIFY_TRUNCATED;
            result->bad_pos = result->records + 1;
            rc = JK_INVALID;
        } else if (s_head_at (tiles, cp->size, result, root) != JK_OK)
            rc = JK_INVALID;
        else if (memcmp (root, cp->root, 32) != 0) {
            snprintf (result->message, sizeof result->message,
                      "the log's tree of size %llu has another head than "
                      "the checkpoint the hub signed: the log was rewritten",
                      (unsigned long long)cp->size);
            result->problem = JK_VERIFY_HEAD;
            result->bad_pos = cp->size;
            rc = JK_INVALID;
        }
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
    char err[512];
    sqlite3 *db = checkpoint->size == result->records
                      ? NULL
                      : jk_replay_open (path, err, sizeof err);
    jk_tiles_t *tiles = db ? jk_tiles_reader (db) : NULL;
    int rc = s_head_at (tiles, checkpoint->size, result, root);
    jk_tiles_destroy (&tiles);
    sqlite3_close (db);
    if (rc != JK_OK)
        return rc;
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

/* What verify found, printed; an exit code. */
static int s_verify_report (jk_opts_t *opts, const char *path, int rc,
                            int integrity, const jk_verify_result_t *result,
                            const jk_checkpoint_t *checkpoint)
{
    const char *head_text = jk_opts_get (opts, "head");
    int code;
    if (rc == JK_OK && integrity != JK_OK) {
        printf ("chain verified over %llu records, but the file is damaged "
                "(above)\n",
                (unsigned long long)result->records);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else if (rc == JK_IO && integrity != JK_OK) {
        /* The damage stops the walk: a verdict, not a file unread. */
        printf ("chain not verified to its end: %s (the file is damaged, "
                "above)\n",
                result->message);
        printf ("verified intact up to position %llu\n",
                (unsigned long long)result->head.pos);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else if (rc == JK_IO) {
        fprintf (stderr, "jejak-replay verify: %s\n", result->message);
        code = JK_REPLAY_EXIT_IO;
    } else if (rc != JK_OK) {
        printf ("TAMPERED %s: first bad position %llu: %s: %s\n", path,
                (unsigned long long)result->bad_pos,
                s_problem_name (result->problem), result->message);
        /* The chain's verdict and the stored tree's, each said apart. */
        if (result->problem == JK_VERIFY_TREE && result->tree_bad_pos)
            printf ("the chain is intact up to position %llu, the log's "
                    "head; the stored tree is wrong from position %llu "
                    "(%s)\n",
                    (unsigned long long)result->head.pos,
                    (unsigned long long)result->tree_bad_pos,
                    result->tree_where);
        else
            printf ("verified intact up to position %llu\n",
                    (unsigned long long)result->head.pos);
        if (result->problem != JK_VERIFY_TREE && result->tree_bad_pos)
            printf ("the stored tree is wrong too, from position %llu (%s): "
                    "%s\n",
                    (unsigned long long)result->tree_bad_pos,
                    result->tree_where, result->tree_message);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else {
        printf ("intact %s: %llu %s, chain verified%s\n", path,
                (unsigned long long)result->records,
                jk_cli_records (result->records),
                head_text ? ", matches the kept head" : "");
        if (checkpoint)
            printf ("checkpoint %s: tree size %llu, head matches, signed by "
                    "the log and at least %s trusted witnesses\n",
                    jk_opts_get (opts, "checkpoint"),
                    (unsigned long long)checkpoint->size,
                    jk_opts_get (opts, "quorum"));
        char root[2 * JK_HASH_SIZE + 1];
        jk_hex_format (result->root, JK_HASH_SIZE, root);
        if (result->tree_absent)
            printf ("tree: %llu %s, root %s; no tiles stored in this "
                    "file\n",
                    (unsigned long long)result->records,
                    result->records == 1 ? "leaf" : "leaves", root);
        else
            printf ("tree: %llu %s, root %s; stored tiles match the log "
                    "(%llu leaves in full tiles)\n",
                    (unsigned long long)result->records,
                    result->records == 1 ? "leaf" : "leaves", root,
                    (unsigned long long)result->tree_stored);
        fputs (s_checkpoints_line, stdout);
        code = jk_cli_print_head (path);
    }
    return code;
}

/* verify --decisions: every logged outcome re-derived and compared; an
   exit code. */
static int s_verify_decisions (const char *path)
{
    int code = JK_REPLAY_EXIT_OK;
    jk_decisions_result_t decisions;
    jk_progress_t *bar = NULL;
    int rc = jk_log_verify_decisions (path, &decisions, jk_cli_progress, &bar);
    jk_progress_destroy (&bar);
    if (rc == JK_IO) {
        fprintf (stderr, "jejak-replay verify: %s\n", decisions.message);
        code = JK_REPLAY_EXIT_IO;
    } else if (rc != JK_OK) {
        /* The logged message is the log's text: a crafted log's control
           characters are shown as \xNN, never sent to the terminal. */
        char *first =
            jk_text_visible (decisions.message, strlen (decisions.message));
        printf ("DECISIONS DIFFER %s: %llu of %llu records; first at %s\n",
                path, (unsigned long long)decisions.mismatches,
                (unsigned long long)decisions.records, first);
        free (first);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else
        printf ("decisions %s: %llu %s (%llu accepted, %llu "
                "rejected) re-derived, all equal\n",
                path, (unsigned long long)decisions.records,
                jk_cli_records (decisions.records),
                (unsigned long long)decisions.accepted,
                (unsigned long long)decisions.rejected);
    return code;
}

int jk_cli_verify (int argc, char **argv)
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
         "trusted witnesses' verifier keys, separated by commas (or files "
         "of them, one per line; with --checkpoint)",
         false},
        {"quorum", NULL, "0",
         "valid cosignatures of trusted witnesses the checkpoint needs "
         "(with --checkpoint)",
         false},
        {"region", NULL, NULL, JK_CLI_REGION_HELP, false},
        {"rat-deadline-months", NULL, NULL, JK_CLI_MONTHS_HELP, false},
        {"data-dir", "JEJAK_DATA_DIR", NULL, JK_CLI_DATA_DIR_HELP, false},
    };
    int code;
    jk_opts_t *opts = jk_cli_parse (
        "verify", spec, sizeof spec / sizeof spec[0],
        "DB [--head POS:HASH] [--decisions [--region CODE]] [--checkpoint "
        "FILE --log-key VKEY [--witnesses VKEY,...] [--quorum K]]",
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
            fprintf (stderr, "jejak-replay verify: --%s (see --help)\n", err);
            jk_opts_destroy (&opts);
            return JK_REPLAY_EXIT_USAGE;
        }
        kept.pos = parsed.pos;
        memcpy (kept.hash, parsed.hash, 32);
    }
    /* Every flag checked, and the checkpoint read and trusted, before
       any work on the file. */
    code = jk_cli_settings_flags (opts);
    if (code == JK_REPLAY_EXIT_OK)
        code = s_decision_flags_alone (opts);
    static jk_checkpoint_t checkpoint;
    const char *checkpoint_path = jk_opts_get (opts, "checkpoint");
    if (code == JK_REPLAY_EXIT_OK && checkpoint_path)
        code = s_checkpoint_load (opts, checkpoint_path, &checkpoint);
    else if (code == JK_REPLAY_EXIT_OK)
        code = s_trust_flags_alone (opts);
    if (code != JK_REPLAY_EXIT_OK) {
        jk_opts_destroy (&opts);
        return code;
    }
    code = jk_cli_db_arg (path);
    int integrity =
        code == JK_REPLAY_EXIT_OK ? s_verify_integrity (path) : JK_IO;
    if (integrity == JK_OK) {
        /* A sound SQLite file that holds no log (an outbox, an empty
           file) is said as every command says it. */
        sqlite3 *db = jk_cli_open_log ("verify", path);
        if (!db)
            integrity = JK_IO;
        sqlite3_close (db);
    }
    if (integrity == JK_IO) {
        jk_opts_destroy (&opts);
        return JK_REPLAY_EXIT_IO;
    }
    jk_progress_t *bar = NULL;
    jk_verify_result_t result;
    int rc = jk_log_verify (path, head_text ? &kept : NULL, &result,
                            jk_cli_progress, &bar);
    jk_progress_destroy (&bar);
    if (rc == JK_OK && checkpoint_path)
        rc = s_checkpoint_match (path, &checkpoint, &result);
    if (rc == JK_OK)
        rc = s_stored_checkpoints (path, &result);
    code = s_verify_report (opts, path, rc, integrity, &result,
                            checkpoint_path ? &checkpoint : NULL);
    if (code == JK_REPLAY_EXIT_OK && jk_opts_on (opts, "decisions")) {
        /* Decided again with the region the log was decided with. */
        code = jk_cli_settings (opts, path, NULL);
        if (code == JK_REPLAY_EXIT_OK)
            code = s_verify_decisions (path);
    }
    jk_opts_destroy (&opts);
    return code;
}

int jk_cli_head (int argc, char **argv)
{
    int code;
    jk_opts_t *opts =
        jk_cli_parse ("head", NULL, 0, "DB", argc, argv, 1, &code);
    if (!opts)
        return code;
    code = jk_cli_print_head (jk_opts_arg (opts, 0));
    jk_opts_destroy (&opts);
    return code;
}
