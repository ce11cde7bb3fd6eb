/*  cli_prove.c - jejak-replay checkpoint and prove (cli.h): the signed
    checkpoints a hub stored, a record's inclusion proof and the
    consistency proof between two checkpoints, made from the database
    (docs/AUDIT.md section 6); cli_check.c checks them. */
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

/* checkpoint DB: the newest stored checkpoint (or of --size N) with the
   cosignatures the hub kept for it, as the hub serves it. */
int jk_cli_checkpoint (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"size", NULL, NULL,
         "the checkpoint of this tree size (default: the newest)", false},
        {"out", NULL, NULL, "write it here (default: stdout)", false},
    };
    int code;
    jk_opts_t *opts =
        jk_cli_parse ("checkpoint", spec, 2, "DB [--size N] [--out FILE]", argc,
                      argv, 1, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    uint64_t size = 0;
    if (jk_cli_u64_flag (opts, "size", &size) != 0) {
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
    } else if (jk_parse_u64 (old, &old_size) == JK_OK) {
        fprintf (stderr,
                 "jejak-replay prove: --consistency must be a tree size (1 "
                 "or more) or a signed checkpoint file, got '%s'\n",
                 old);
        *code = JK_REPLAY_EXIT_USAGE;
        return NULL;
    } else if (!(note = jk_cli_slurp (old, JK_NOTE_MAX, &len))) {
        /* Not a number: a file name, which cannot be read. */
        fprintf (stderr,
                 "jejak-replay prove: --consistency %s: cannot read it as "
                 "a checkpoint file: %s\n",
                 old, jk_cli_read_why (errno));
        *code = JK_REPLAY_EXIT_IO;
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
        *code = jk_cli_checkpoint_trust (opts, old, note, len, older);
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

/* Opens the log of prove read-only; NULL after printing. */
static sqlite3 *s_open (const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf (stderr, "jejak-replay prove: cannot open %s\n", path);
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    return db;
}

/* The checkpoint to prove against: --checkpoint FILE's text, or the
   newest one db stored (with the witnesses' cosignatures kept for it).
   A heap note and its length; NULL when the file cannot be read (printed,
   *code JK_REPLAY_EXIT_IO) or db holds none (nothing printed). */
static char *s_newer_note (jk_opts_t *opts, sqlite3 *db, size_t *len, int *code)
{
    const char *given = jk_opts_get (opts, "checkpoint");
    char *note = NULL;
    *len = 0;
    *code = JK_REPLAY_EXIT_TAMPERED;
    if (given) {
        note = jk_cli_slurp (given, JK_NOTE_MAX, len);
        if (!note) {
            fprintf (stderr, "jejak-replay prove: cannot read %s: %s\n", given,
                     jk_cli_read_why (errno));
            *code = JK_REPLAY_EXIT_IO;
        }
    } else if ((note = jk_checkpoint_newest (db)) != NULL)
        *len = strlen (note);
    return note;
}

/* The log's tree does not reach size: printed; an exit code. */
static int s_tree_short (const char *path, uint64_t size)
{
    fprintf (stderr,
             "jejak-replay prove: the Merkle tree of %s does not reach "
             "%llu records (run jejak-replay verify)\n",
             path, (unsigned long long)size);
    return JK_REPLAY_EXIT_TAMPERED;
}

/* The newer checkpoint of prove --consistency (checked with --log-key
   when given) into newer: at least old_size records. An exit code. */
static int s_consistency_newer (jk_opts_t *opts, const char *new_note,
                                size_t new_len, uint64_t old_size,
                                jk_checkpoint_t *newer)
{
    const char *given = jk_opts_get (opts, "checkpoint");
    char err[256] = "";
    if (new_note && jk_opts_get (opts, "log-key")) {
        int code = jk_cli_checkpoint_trust (
            opts, given ? given : "(the newest stored)", new_note, new_len,
            newer);
        if (code != JK_REPLAY_EXIT_OK)
            return code;
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
        return JK_REPLAY_EXIT_USAGE;
    }
    return JK_REPLAY_EXIT_OK;
}

/* The consistency proof between older and newer from the log's tiles,
   checked against both heads, as jejak-consistency/1 text written out.
   An exit code. */
static int s_consistency_write (jk_opts_t *opts, sqlite3 *db, const char *path,
                                const char *old_note,
                                const jk_checkpoint_t *older,
                                const char *new_note, size_t new_len,
                                const jk_checkpoint_t *newer)
{
    jk_tiles_t *tiles = jk_tiles_reader (db);
    uint8_t hashes[JK_MERKLE_PROOF_MAX][JK_MERKLE_HASH];
    size_t count = 0;
    int code;
    if (jk_merkle_consistency (jk_tiles_node, tiles, jk_tiles_hasher (tiles),
                               older->size, newer->size, hashes,
                               &count) != JK_OK)
        code = s_tree_short (path, newer->size);
    else if (jk_checkpoint_consistent (older, newer, hashes[0],
                                       count * JK_MERKLE_HASH) != JK_OK) {
        fprintf (stderr,
                 "jejak-replay prove: the checkpoints of %llu and %llu "
                 "records are not heads of the log in %s (run jejak-replay "
                 "verify --checkpoint)\n",
                 (unsigned long long)older->size,
                 (unsigned long long)newer->size, path);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else {
        char *text = jk_consistency_format (
            old_note, strlen (old_note), new_note, new_len, hashes[0], count);
        char what[128];
        snprintf (what, sizeof what,
                  "consistency proof from the checkpoint of %llu records to "
                  "the one of %llu",
                  (unsigned long long)older->size,
                  (unsigned long long)newer->size);
        code = s_write_proof (opts, text, what);
        free (text);
    }
    jk_tiles_destroy (&tiles);
    return code;
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
    jk_opts_t *opts = jk_cli_parse ("prove", spec, 4,
                                    "DB --consistency OLD_SIZE|OLD_FILE "
                                    "[--checkpoint FILE] [--log-key VKEY] "
                                    "[--out FILE]",
                                    argc, argv, 1, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    char *old_note = NULL, *new_note = NULL;
    size_t new_len = 0;
    jk_checkpoint_t *older = jk_malloc (sizeof *older);
    jk_checkpoint_t *newer = jk_malloc (sizeof *newer);
    sqlite3 *db = s_open (path);
    code = JK_REPLAY_EXIT_IO;
    if (db && (old_note = s_older_note (opts, db, path, older, &code)) &&
        ((new_note = s_newer_note (opts, db, &new_len, &code)) ||
         code != JK_REPLAY_EXIT_IO) &&
        (code = s_consistency_newer (opts, new_note, new_len, older->size,
                                     newer)) == JK_REPLAY_EXIT_OK)
        code = s_consistency_write (opts, db, path, old_note, older, new_note,
                                    new_len, newer);
    sqlite3_close (db);
    free (old_note);
    free (new_note);
    free (older);
    free (newer);
    jk_opts_destroy (&opts);
    return code;
}

/* The entry (jk_merkle.h) of the record at pos, from the log: heap, its
   size in *len; NULL after printing, with *code set. */
static uint8_t *s_record_entry (sqlite3 *db, const char *path, uint64_t pos,
                                size_t *len, int *code)
{
    sqlite3_stmt *st = NULL;
    uint8_t *entry = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT recorded_at, outcome, code, message, bytes"
                            " FROM log WHERE pos = ?",
                            -1, &st, NULL) != SQLITE_OK) {
        fprintf (stderr, "jejak-replay prove: %s has no log: %s\n", path,
                 sqlite3_errmsg (db));
        *code = JK_REPLAY_EXIT_IO;
    } else if (sqlite3_bind_int64 (st, 1, (sqlite3_int64)pos) != SQLITE_OK ||
               sqlite3_step (st) != SQLITE_ROW) {
        fprintf (stderr, "jejak-replay prove: %s has no position %llu\n", path,
                 (unsigned long long)pos);
        *code = JK_REPLAY_EXIT_TAMPERED;
    } else {
        bool rejected = sqlite3_column_int (st, 1) != 0;
        const char *rcode =
            rejected ? (const char *)sqlite3_column_text (st, 2) : NULL;
        const char *rmessage =
            rejected ? (const char *)sqlite3_column_text (st, 3) : NULL;
        const uint8_t *bytes = sqlite3_column_blob (st, 4);
        size_t size = (size_t)sqlite3_column_bytes (st, 4);
        int64_t recorded_at = sqlite3_column_int64 (st, 0);
        *len = jk_merkle_entry (pos, recorded_at, rejected, rcode, rmessage,
                                bytes, size, NULL, 0);
        entry = jk_malloc (*len);
        jk_merkle_entry (pos, recorded_at, rejected, rcode, rmessage, bytes,
                         size, entry, *len);
    }
    sqlite3_finalize (st);
    return entry;
}

/* The checkpoint prove POS proves against, parsed into cp: --checkpoint
   FILE, or the newest stored one covering pos. The note (heap) and its
   length; NULL after printing, with *code set. */
static char *s_prove_note (jk_opts_t *opts, sqlite3 *db, const char *path,
                           uint64_t pos, jk_checkpoint_t *cp, size_t *len,
                           int *code)
{
    char err[256] = "";
    char *note = s_newer_note (opts, db, len, code);
    if (!note && *code == JK_REPLAY_EXIT_IO)
        return NULL;
    if (note && !jk_opts_get (opts, "checkpoint") &&
        (jk_checkpoint_parse (note, *len, cp, NULL, 0) || cp->size < pos)) {
        free (note);
        note = NULL;
    }
    if (!note) {
        fprintf (stderr,
                 "jejak-replay prove: %s holds no signed checkpoint covering "
                 "position %llu (the hub signs one within --checkpoint-every "
                 "seconds; or give --checkpoint FILE)\n",
                 path, (unsigned long long)pos);
        *code = JK_REPLAY_EXIT_TAMPERED;
        return NULL;
    }
    if (jk_checkpoint_parse (note, *len, cp, err, sizeof err) != JK_OK ||
        cp->size < pos) {
        if (cp->size < pos && !*err)
            snprintf (err, sizeof err,
                      "its tree has %llu records, fewer than %llu",
                      (unsigned long long)cp->size, (unsigned long long)pos);
        fprintf (stderr, "jejak-replay prove: the checkpoint: %s\n", err);
        *code = JK_REPLAY_EXIT_USAGE;
        free (note);
        return NULL;
    }
    return note;
}

/* The record's path in cp's tree from the log's tiles, checked against
   cp's head, as jejak-proof/1 text written out. An exit code. */
static int s_inclusion_write (jk_opts_t *opts, sqlite3 *db, const char *path,
                              uint64_t pos, const uint8_t *entry,
                              size_t entry_len, const jk_checkpoint_t *cp,
                              const char *note)
{
    jk_tiles_t *tiles = jk_tiles_reader (db);
    jk_mhash_t *mh = jk_tiles_hasher (tiles);
    uint8_t path_hashes[JK_MERKLE_PROOF_MAX][JK_MERKLE_HASH], leaf[32];
    size_t count = 0;
    int code;
    jk_mhash_leaf (mh, entry, entry_len, leaf);
    if (jk_merkle_inclusion (jk_tiles_node, tiles, mh, pos - 1, cp->size,
                             path_hashes, &count) != JK_OK)
        code = s_tree_short (path, cp->size);
    else if (jk_merkle_verify_inclusion (mh, pos - 1, cp->size, leaf,
                                         path_hashes[0], count,
                                         cp->root) != JK_OK) {
        fprintf (stderr,
                 "jejak-replay prove: the log in %s does not lead to the "
                 "checkpoint's head at %llu records: it is not the log that "
                 "checkpoint signed (run jejak-replay verify --checkpoint)\n",
                 path, (unsigned long long)cp->size);
        code = JK_REPLAY_EXIT_TAMPERED;
    } else {
        char *proof =
            jk_proof_format (entry, entry_len, path_hashes[0], count, note);
        char what[96];
        snprintf (what, sizeof what,
                  "proof of position %llu against the checkpoint of %llu "
                  "records",
                  (unsigned long long)pos, (unsigned long long)cp->size);
        code = s_write_proof (opts, proof, what);
        free (proof);
    }
    jk_tiles_destroy (&tiles);
    return code;
}

/* prove DB POS: the record's entry, its path in the tree of a signed
   checkpoint (the newest stored one covering POS, or --checkpoint FILE)
   and that checkpoint, as one jejak-proof/1 text. */
int jk_cli_prove (int argc, char **argv)
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
    jk_opts_t *opts = jk_cli_parse (
        "prove", spec, 3,
        "DB POS [--checkpoint FILE] [--out FILE] | DB --consistency "
        "OLD_SIZE|OLD_FILE [--checkpoint FILE] [--log-key VKEY] [--out FILE]",
        argc, argv, 2, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    uint64_t pos = 0;
    if (jk_parse_u64 (jk_opts_arg (opts, 1), &pos) != JK_OK || pos == 0) {
        fprintf (stderr,
                 "jejak-replay prove: POS must be a log position (1 or "
                 "more), got '%s'\n",
                 jk_opts_arg (opts, 1));
        jk_opts_destroy (&opts);
        return JK_REPLAY_EXIT_USAGE;
    }
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char *note = NULL;
    uint8_t *entry = NULL;
    size_t note_len = 0, entry_len = 0;
    sqlite3 *db = s_open (path);
    code = JK_REPLAY_EXIT_IO;
    if (db &&
        (note = s_prove_note (opts, db, path, pos, cp, &note_len, &code)) &&
        (entry = s_record_entry (db, path, pos, &entry_len, &code)))
        code =
            s_inclusion_write (opts, db, path, pos, entry, entry_len, cp, note);
    sqlite3_close (db);
    free (entry);
    free (note);
    free (cp);
    jk_opts_destroy (&opts);
    return code;
}
