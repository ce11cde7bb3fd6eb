/*  cli_check.c - jejak-replay check (cli.h): a jejak-proof/1 or a
    jejak-consistency/1 text checked offline with the log's verifier key
    (and trusted witnesses), without the database (docs/AUDIT.md section
    6, "A proof anyone can check"). */
#include "cli.h"
#include "jk_merkle.h"
#include "jk_note.h"
#include "jk_proof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
    code = jk_cli_checkpoint_trust (opts, label, proof->old_note,
                                    proof->old_len, older);
    if (code != JK_REPLAY_EXIT_OK)
        goto done;
    snprintf (label, sizeof label, "%s (newer)", path);
    code = jk_cli_checkpoint_trust (opts, label, proof->new_note,
                                    proof->new_len, newer);
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

/* check of a jejak-proof/1 text: the checkpoint trusted, then the
   record's path to its head. An exit code. */
static int s_check_inclusion (jk_opts_t *opts, const char *path,
                              const char *text, size_t size)
{
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    jk_proof_t proof = {0};
    char err[256];
    int code;
    if (jk_proof_parse (text, size, &proof, err, sizeof err) != JK_OK) {
        printf ("INVALID proof %s: %s\n", path, err);
        code = JK_REPLAY_EXIT_TAMPERED;
        goto done;
    }
    code = jk_cli_checkpoint_trust (opts, path, proof.note, proof.note_len, cp);
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
    /* The record's text is the log's (a source may hold any UTF-8 but
       NUL): control characters are shown as \xNN, never sent to the
       terminal. */
    if (proof.outcome) {
        char *code_text = jk_text_visible (proof.code, proof.code_len);
        char *message = jk_text_visible (proof.message, proof.message_len);
        printf ("%s: %s", code_text, message);
        free (code_text);
        free (message);
    }
    printf ("\n");
    jk_envelope_t envelope;
    if (jk_envelope_peek (proof.bytes, proof.size, &envelope)) {
        char id[37];
        jk_uuid_format (envelope.id, id);
        char *type = jk_text_visible (envelope.type, strlen (envelope.type));
        char *source =
            jk_text_visible (envelope.source, strlen (envelope.source));
        printf ("event %s type %s source %s seq %llu (%zu bytes)\n", id, type,
                source, (unsigned long long)envelope.seq, proof.size);
        free (type);
        free (source);
    }
    code = JK_REPLAY_EXIT_OK;
done:
    jk_proof_fini (&proof);
    free (cp);
    return code;
}

/* check PROOF: a jejak-proof/1 checked offline with the log's verifier
   key (and witnesses): the checkpoint's signatures, then the record's
   path to its head. */
int jk_cli_check (int argc, char **argv)
{
    static const jk_opt_t spec[] = {
        {"log-key", "JEJAK_LOG_KEY", NULL,
         "the log's verifier key NAME+KEYID+KEY, or the file holding it "
         "(required)",
         false},
        {"witnesses", "JEJAK_WITNESSES", NULL,
         "trusted witnesses' verifier keys, separated by commas (or files "
         "of them, one per line)",
         false},
        {"quorum", NULL, "0",
         "valid cosignatures of trusted witnesses the checkpoint needs", false},
    };
    int code;
    jk_opts_t *opts = jk_cli_parse (
        "check", spec, 3,
        "PROOF --log-key VKEY [--witnesses VKEY,...] [--quorum K]", argc, argv,
        1, &code);
    if (!opts)
        return code;
    const char *path = jk_opts_arg (opts, 0);
    size_t size = 0;
    char *text = NULL;
    /* The keys first: a bad flag before any work. */
    if (!jk_opts_get (opts, "log-key")) {
        fprintf (stderr, "jejak-replay check: --log-key (the log's verifier "
                         "key) is required\n");
        code = JK_REPLAY_EXIT_USAGE;
        goto done;
    }
    code = jk_cli_trust_flags (opts);
    if (code != JK_REPLAY_EXIT_OK)
        goto done;
    text = jk_cli_slurp (path, JK_PROOF_MAX, &size);
    code = JK_REPLAY_EXIT_IO;
    if (!text) {
        fprintf (stderr, "jejak-replay check: cannot read %s: %s\n", path,
                 jk_cli_read_why (errno));
        goto done;
    }
    if (size >= strlen (JK_CONSISTENCY_MAGIC) &&
        memcmp (text, JK_CONSISTENCY_MAGIC, strlen (JK_CONSISTENCY_MAGIC)) ==
            0) {
        code = s_check_consistency (opts, path, text, size);
        goto done;
    }
    code = s_check_inclusion (opts, path, text, size);
done:
    free (text);
    jk_opts_destroy (&opts);
    return code;
}
