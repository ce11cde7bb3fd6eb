/*  fuzz_note.c - libFuzzer target for the signed checkpoint parser
    (jk_checkpoint_parse), the verifier key list and signer key parsers:
    any bytes, and when they parse, the parts must
    agree with the input (the body is its prefix, the size and root
    re-form the first lines, every signature line has a key ID), and
    verifying each signature line must answer without crashing. */
#include "jk_note.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The same bytes as a list of verifier keys and as a signer key: a
   count within the bound, or an error named. */
static void s_keys (const uint8_t *data, size_t size)
{
    char *text = malloc (size + 1);
    memcpy (text, data, size);
    text[size] = 0;
    static jk_note_signer_t list[4];
    int count = -1, type = 0;
    char err[320] = "", name[JK_NOTE_NAME_MAX];
    uint8_t seed[32];
    int rc = jk_note_signers_parse (text, JK_NOTE_TYPE_COSIG, list, 4, &count,
                                    err, sizeof err);
    if ((rc == JK_OK && (count < 0 || count > 4)) || (rc != JK_OK && !err[0]))
        abort ();
    err[0] = 0;
    rc = jk_note_skey_parse (text, name, &type, seed, err, sizeof err);
    if ((rc == JK_OK && type != JK_NOTE_TYPE_ED25519 &&
         type != JK_NOTE_TYPE_COSIG) ||
        (rc != JK_OK && !err[0]))
        abort ();
    free (text);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static jk_checkpoint_t cp;
    char err[200];
    s_keys (data, size);
    if (jk_checkpoint_parse ((const char *)data, size, &cp, err, sizeof err) !=
        JK_OK) {
        if (!err[0])
            abort ();
        return 0;
    }
    if (cp.body_len >= size || memcmp (cp.body, data, cp.body_len) != 0 ||
        cp.sig_count < 1 || cp.sig_count > JK_NOTE_SIGS_MAX)
        abort ();
    char body[JK_NOTE_MAX];
    size_t len =
        jk_checkpoint_body (cp.origin, cp.size, cp.root, body, sizeof body);
    if (len == 0 || len > cp.body_len || memcmp (body, cp.body, len) != 0)
        abort ();
    uint8_t pub[32] = {0};
    for (int i = 0; i < cp.sig_count; i++) {
        if (cp.sigs[i].size < 1 || cp.sigs[i].size > JK_NOTE_SIG_BYTES)
            abort ();
        int rc = jk_note_verify (&cp, cp.sigs[i].name, JK_NOTE_TYPE_COSIG, pub,
                                 NULL);
        if (rc != JK_NOT_FOUND && rc != JK_INVALID)
            abort ();
    }
    return 0;
}
