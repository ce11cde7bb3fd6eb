/*  fuzz_witnesses.c - libFuzzer target for the verifier key files: a
    --witnesses file (jk_witnesses_read: witnesses' verifier keys, one per
    line) and a --log-key file (jk_note_vkey_given, its first line,
    checked by jk_note_log_vkey_check). The input is the file's bytes;
    --witnesses is given as that file alone, and as the file and a key
    after a comma. Either the keys are taken (every line of the text back
    a witness key that parses, at most 31 of them) or refused with a
    message that starts "--witnesses: ". */
#include "check.h"
#include "jk_checkpoints.h"
#include "jk_note.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void s_witnesses (const char *given)
{
    char *text = NULL, err[512] = "";
    int rc = jk_witnesses_read (given, &text, err, sizeof err);
    if (rc != JK_OK) {
        S_CHECK (text == NULL && (rc == JK_INVALID || rc == JK_IO));
        S_CHECK (strncmp (err, "--witnesses: ", 13) == 0);
        return;
    }
    if (!text)
        return;
    jk_note_signer_t keys[JK_NOTE_SIGS_MAX];
    int count = -1;
    S_CHECK (jk_note_signers_parse (text, JK_NOTE_TYPE_COSIG, keys,
                                    JK_NOTE_SIGS_MAX - 1, &count, err,
                                    sizeof err) == JK_OK);
    S_CHECK (count >= 0 && count <= JK_NOTE_SIGS_MAX - 1);
    free (text);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 70000)
        return 0;
    static char path[64];
    if (!path[0])
        snprintf (path, sizeof path, "/tmp/jejak-fuzz-witnesses-%d",
                  (int)getpid ());
    s_input_file (path, data, size, 0644);
    s_witnesses (path);
    /* A witness key of its own (a fixed seed), after the file. */
    static char other[256];
    if (!other[0]) {
        uint8_t seed[32], pub[32];
        memset (seed, 7, sizeof seed);
        if (jk_note_public (seed, pub) != JK_OK)
            abort ();
        jk_note_vkey_format ("saksi-lain", JK_NOTE_TYPE_COSIG, pub, other,
                             sizeof other);
    }
    char given[384];
    snprintf (given, sizeof given, "%s, %s", path, other);
    s_witnesses (given);

    char *key = jk_note_vkey_given (path);
    S_CHECK (key && !strchr (key, '\n'));
    char err[512] = "";
    if (jk_note_log_vkey_check (key, err, sizeof err) != JK_OK)
        S_CHECK (err[0]);
    free (key);
    unlink (path);
    return 0;
}
