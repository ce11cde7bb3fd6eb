/*  fuzz_proof.c - libFuzzer target for the self-contained proof parsers
    (jk_proof_parse, and jk_consistency_parse for jejak-consistency/1):
    any bytes, and when they parse, the parts must agree with the input
    (the entry's fields lie inside it, the notes lie inside it, the path
    whole hashes), a re-format must give the same text back, and checking
    the path must answer without crashing. */
#include "jk_proof.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* jejak-consistency/1: the notes inside the input, the text back. */
static void s_consistency (const uint8_t *data, size_t size)
{
    static jk_consistency_t proof;
    char err[200] = "";
    const char *text = (const char *)data;
    if (jk_consistency_parse (text, size, &proof, err, sizeof err) != JK_OK) {
        if (!err[0])
            abort ();
        return;
    }
    if (proof.old_note < text || proof.new_note < proof.old_note ||
        proof.new_note + proof.new_len > text + size ||
        proof.old_note + proof.old_len > proof.new_note ||
        proof.count > JK_MERKLE_PROOF_MAX)
        abort ();
    char *again =
        jk_consistency_format (proof.old_note, proof.old_len, proof.new_note,
                               proof.new_len, proof.path[0], proof.count);
    /* The buffer holds at least size bytes: the same bytes back. */
    if (memcmp (again, data, size) != 0)
        abort ();
    free (again);
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t a[32] = {0}, b[32] = {1};
    int rc = jk_merkle_verify_consistency (mh, 3, 7, a, b, proof.path[0],
                                           proof.count);
    if (rc != JK_OK && rc != JK_INVALID)
        abort ();
    jk_mhash_destroy (&mh);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_consistency (data, size);
    static jk_proof_t proof;
    char err[200] = "";
    if (jk_proof_parse ((const char *)data, size, &proof, err, sizeof err) !=
        JK_OK) {
        if (!err[0] || proof.entry)
            abort ();
        return 0;
    }
    const uint8_t *end = proof.entry + proof.entry_len;
    if (proof.pos == 0 || proof.outcome < 0 || proof.outcome > 1 ||
        proof.recorded_at < 0 || (const uint8_t *)proof.code < proof.entry ||
        (const uint8_t *)proof.message + proof.message_len > end ||
        proof.bytes + proof.size != end || proof.count > JK_MERKLE_PROOF_MAX ||
        proof.note + proof.note_len != (const char *)data + size)
        abort ();
    char *note = jk_malloc (proof.note_len + 1);
    memcpy (note, proof.note, proof.note_len);
    note[proof.note_len] = 0;
    char *again = jk_proof_format (proof.entry, proof.entry_len, proof.path[0],
                                   proof.count, note);
    if (strlen (again) != size || memcmp (again, data, size) != 0)
        abort ();
    free (again);
    free (note);
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t leaf[32], root[32] = {0};
    jk_mhash_leaf (mh, proof.entry, proof.entry_len, leaf);
    int rc = jk_merkle_verify_inclusion (mh, proof.pos - 1, proof.pos, leaf,
                                         proof.path[0], proof.count, root);
    if (rc != JK_OK && rc != JK_INVALID)
        abort ();
    jk_mhash_destroy (&mh);
    jk_proof_fini (&proof);
    return 0;
}
