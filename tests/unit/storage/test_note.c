/*  test_note.c - signed checkpoints: the C2SP body and signature lines
    byte for byte, the log's signature and witnesses' cosignatures, a
    cosigned checkpoint refused when one witness signature is wrong, the
    parser's named errors, verifier keys, and a forked log (two histories
    signed with the same key) found by whoever holds the older
    checkpoint; a proof's entry limit. */
#include "testsupport.h"

#include "jk_merkle.h"
#include "jk_note.h"
#include "jk_proof.h"

#include <string.h>

static const uint8_t s_log_seed[32] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t s_w1_seed[32] = {11, 12, 13};
static const uint8_t s_w2_seed[32] = {21, 22, 23};
static const uint8_t s_w3_seed[32] = {31, 32, 33};
#define S_ORIGIN "jejak.cianjurkab.go.id/log"

/* A signed checkpoint of (size, root) with the given cosigners. */
static char *s_note (uint64_t size, const uint8_t root[32],
                     const uint8_t *const *cosigners, const char **names,
                     int count)
{
    char body[256];
    size_t body_len =
        jk_checkpoint_body (S_ORIGIN, size, root, body, sizeof body);
    assert_true (body_len > 0);
    char *sig = jk_note_sign_line (body, body_len, S_ORIGIN,
                                   JK_NOTE_TYPE_ED25519, s_log_seed, 0);
    assert_non_null (sig);
    char *note = jk_sprintf ("%s\n%s", body, sig);
    free (sig);
    for (int i = 0; i < count; i++) {
        char *line =
            jk_note_sign_line (body, body_len, names[i], JK_NOTE_TYPE_COSIG,
                               cosigners[i], 1764806400 + (uint64_t)i);
        assert_non_null (line);
        char *more = jk_sprintf ("%s%s", note, line);
        free (note);
        free (line);
        note = more;
    }
    return note;
}

static void s_signer (jk_note_signer_t *signer, const char *name, int type,
                      const uint8_t seed[32])
{
    memset (signer, 0, sizeof *signer);
    snprintf (signer->name, sizeof signer->name, "%s", name);
    signer->type = type;
    assert_int_equal (jk_note_public (seed, signer->pub), JK_OK);
}

static void test_checkpoint_format (void **state)
{
    (void)state;
    uint8_t root[32];
    for (int i = 0; i < 32; i++)
        root[i] = (uint8_t)i;
    char body[256];
    size_t len = jk_checkpoint_body (S_ORIGIN, 12345, root, body, sizeof body);
    assert_string_equal (body,
                         S_ORIGIN "\n12345\n"
                                  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
                                  "\n");
    assert_int_equal (len, strlen (body));
    char *note = s_note (12345, root, NULL, NULL, 0);
    /* "— origin " then base64 of 4 + 64 bytes (92 characters). */
    const char *line = strstr (note, "\n\n") + 2;
    assert_memory_equal (line, "\xe2\x80\x94 " S_ORIGIN " ",
                         4 + strlen (S_ORIGIN) + 1);
    assert_int_equal (strlen (line), 4 + strlen (S_ORIGIN) + 1 + 92 + 1);
    jk_checkpoint_t cp;
    char err[200];
    assert_int_equal (
        jk_checkpoint_parse (note, strlen (note), &cp, err, sizeof err), JK_OK);
    assert_string_equal (cp.origin, S_ORIGIN);
    assert_int_equal (cp.size, 12345);
    assert_memory_equal (cp.root, root, 32);
    assert_int_equal (cp.sig_count, 1);
    assert_int_equal (cp.body_len, len);
    jk_note_signer_t log;
    s_signer (&log, S_ORIGIN, JK_NOTE_TYPE_ED25519, s_log_seed);
    assert_int_equal (
        jk_note_verify (&cp, S_ORIGIN, JK_NOTE_TYPE_ED25519, log.pub, NULL),
        JK_OK);
    /* The same key as a cosigner has another key ID: not found. */
    assert_int_equal (
        jk_note_verify (&cp, S_ORIGIN, JK_NOTE_TYPE_COSIG, log.pub, NULL),
        JK_NOT_FOUND);
    /* Verifier keys round trip, and a wrong key ID is named. */
    char vkey[256], name[JK_NOTE_NAME_MAX];
    int type;
    uint8_t pub[32];
    jk_note_vkey_format (S_ORIGIN, JK_NOTE_TYPE_ED25519, log.pub, vkey,
                         sizeof vkey);
    assert_int_equal (
        jk_note_vkey_parse (vkey, name, &type, pub, err, sizeof err), JK_OK);
    assert_string_equal (name, S_ORIGIN);
    assert_int_equal (type, JK_NOTE_TYPE_ED25519);
    assert_memory_equal (pub, log.pub, 32);
    char *plus = strchr (vkey, '+');
    plus[1] = plus[1] == '0' ? '1' : '0';
    assert_int_equal (
        jk_note_vkey_parse (vkey, name, &type, pub, err, sizeof err),
        JK_INVALID);
    assert_string_equal (err, "verifier key: the key ID does not match the "
                              "name and key");
    /* One changed byte of the body breaks the signature. */
    note[strlen (S_ORIGIN) + 1] = '2';
    assert_int_equal (
        jk_checkpoint_parse (note, strlen (note), &cp, err, sizeof err), JK_OK);
    assert_int_equal (cp.size, 22345);
    assert_int_equal (
        jk_note_verify (&cp, S_ORIGIN, JK_NOTE_TYPE_ED25519, log.pub, NULL),
        JK_INVALID);
    free (note);
}

static void test_cosigned_checkpoint_policy (void **state)
{
    (void)state;
    uint8_t root[32];
    memset (root, 0x5a, 32);
    const uint8_t *seeds[] = {s_w1_seed, s_w2_seed, s_w3_seed};
    const char *names[] = {"dinas.jabarprov.go.id/saksi",
                           "kop-3203-cugenang/saksi", "bpk.go.id/saksi"};
    char *note = s_note (640, root, seeds, names, 2);
    jk_note_signer_t log, witnesses[3];
    s_signer (&log, S_ORIGIN, JK_NOTE_TYPE_ED25519, s_log_seed);
    for (int i = 0; i < 3; i++)
        s_signer (&witnesses[i], names[i], JK_NOTE_TYPE_COSIG, seeds[i]);
    jk_checkpoint_t cp;
    char err[200];
    assert_int_equal (
        jk_checkpoint_parse (note, strlen (note), &cp, err, sizeof err), JK_OK);
    assert_int_equal (cp.sig_count, 3);
    uint64_t when = 0;
    assert_int_equal (jk_note_verify (&cp, names[1], JK_NOTE_TYPE_COSIG,
                                      witnesses[1].pub, &when),
                      JK_OK);
    assert_int_equal (when, 1764806401);
    /* Two of three trusted witnesses signed: a quorum of 2 holds, 3 not. */
    assert_int_equal (
        jk_checkpoint_trusted (&cp, &log, witnesses, 3, 2, err, sizeof err),
        JK_OK);
    assert_int_equal (
        jk_checkpoint_trusted (&cp, &log, witnesses, 3, 3, err, sizeof err),
        JK_INVALID);
    assert_string_equal (err, "2 trusted witness cosignatures, 3 required");
    /* One wrong bit in the second witness's signature: refused, named. */
    cp.sigs[2].data[40] ^= 1;
    assert_int_equal (
        jk_checkpoint_trusted (&cp, &log, witnesses, 3, 1, err, sizeof err),
        JK_INVALID);
    assert_string_equal (err, "the cosignature of witness "
                              "kop-3203-cugenang/saksi does not verify");
    /* A changed timestamp is as wrong as a changed signature. */
    cp.sigs[2].data[40] ^= 1;
    cp.sigs[2].data[7] ^= 1;
    assert_int_equal (
        jk_checkpoint_trusted (&cp, &log, witnesses, 3, 1, err, sizeof err),
        JK_INVALID);
    /* Without the log's own signature nothing counts. */
    assert_int_equal (
        jk_checkpoint_parse (note, strlen (note), &cp, err, sizeof err), JK_OK);
    cp.sigs[0].data[0] ^= 1;
    assert_int_equal (
        jk_checkpoint_trusted (&cp, &log, witnesses, 3, 0, err, sizeof err),
        JK_INVALID);
    assert_string_equal (err, "the log's signature by " S_ORIGIN " is wrong");
    free (note);
}

static void test_parse_errors (void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        {"", "note: must end with a newline (U+000A)"},
        {"a\n1\nx\n", "note: no blank line between the text and the "
                      "signatures"},
        {"a b\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
         "line 1: origin must be 1-127 bytes without spaces, '+' or control "
         "bytes"},
        {"a\n01\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
         "line 2: tree size must be decimal without leading zeros, at most "
         "2^64-1"},
        {"a\n18446744073709551616\n"
         "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
         "line 2: tree size must be decimal without leading zeros, at most "
         "2^64-1"},
        {"a\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n\n",
         "line 3: root hash must be 32 bytes in standard padded base64"},
        {"a\n1\n\n", "note: the body needs origin, tree size and root hash "
                     "lines (has 2)"},
        {"a\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
         "note: no signature lines"},
        {"a\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n- a AAAA\n",
         "line 5: a signature line starts with U+2014 and a space"},
        {"a\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n"
         "\xe2\x80\x94 a AAAA\n",
         "line 5: signature must be base64 of a 4-byte key ID and 1-76 "
         "signature bytes"},
        {"a\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n"
         "\xe2\x80\x94 aAAAAAAA\n",
         "line 5: key name must be 1-127 bytes without spaces, '+' or "
         "control bytes, then a space"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        jk_checkpoint_t cp;
        char err[200] = "";
        assert_int_equal (jk_checkpoint_parse (cases[i].text,
                                               strlen (cases[i].text), &cp, err,
                                               sizeof err),
                          JK_INVALID);
        assert_string_equal (err, cases[i].err);
    }
}

/* A key whose base64 is longer than a key's 33 bytes (here 3,000 bytes'
   worth) is refused by its length before anything is decoded: verifier
   keys (a --witnesses or --log-key value), lists of them and signer keys
   (a key file). */
static void test_key_too_long (void **state)
{
    (void)state;
    char *b64 = jk_malloc (4001);
    memset (b64, 'A', 4000);
    b64[4000] = 0;
    char *vkey = jk_sprintf ("32.03.10/saksi+01234567+%s", b64);
    char *skey = jk_sprintf ("PRIVATE+KEY+32.03.10/saksi+01234567+%s", b64);
    char name[JK_NOTE_NAME_MAX], err[320] = "";
    int type = 0, count = -1;
    uint8_t pub[32], seed[32];
    jk_note_signer_t list[2];
    assert_int_equal (
        jk_note_vkey_parse (vkey, name, &type, pub, err, sizeof err),
        JK_INVALID);
    assert_string_equal (err, "verifier key must carry 8 hex digits and "
                              "base64 of a type byte (01 or 04) and a "
                              "32-byte Ed25519 key");
    /* A key file that does not exist is read as key text, which has no
       '+': the message says it is neither. */
    char *missing = jk_note_vkey_given ("missing-log.vkey");
    assert_int_equal (
        jk_note_vkey_parse (missing, name, &type, pub, err, sizeof err),
        JK_INVALID);
    assert_string_equal (err, "verifier key 'missing-log.vkey' is neither a "
                              "file that can be read nor a key "
                              "NAME+KEYID+KEY");
    free (missing);
    assert_int_equal (jk_note_signers_parse (vkey, JK_NOTE_TYPE_COSIG, list, 2,
                                             &count, err, sizeof err),
                      JK_INVALID);
    assert_string_equal (err, "verifier key 1: longer than 511 bytes");
    b64[400] = 0; /* within the list's 511 bytes: refused by the key's */
    free (vkey);
    vkey = jk_sprintf ("32.03.10/saksi+01234567+%s", b64);
    assert_int_equal (jk_note_signers_parse (vkey, JK_NOTE_TYPE_COSIG, list, 2,
                                             &count, err, sizeof err),
                      JK_INVALID);
    assert_string_equal (err, "verifier key 1: verifier key must carry 8 hex "
                              "digits and base64 of a type byte (01 or 04) "
                              "and a 32-byte Ed25519 key");
    assert_int_equal (
        jk_note_skey_parse (skey, name, &type, seed, err, sizeof err),
        JK_INVALID);
    assert_string_equal (err, "signer key must carry 8 hex digits and base64 "
                              "of the type byte (01 or 04) and a 32-byte "
                              "Ed25519 seed");
    free (skey);
    free (vkey);
    free (b64);
}

/* The perfect subtree of 2^height leaves from an array of leaf hashes. */
static int s_array_node (void *arg, int height, uint64_t index, uint8_t out[32])
{
    uint8_t (*leaves)[32] = arg;
    jk_mhash_t *mh = jk_mhash_new ();
    jk_merkle_edge_t edge = {0};
    for (uint64_t i = 0; i < (uint64_t)1 << height; i++)
        jk_merkle_edge_push (&edge, mh, leaves[(index << height) + i]);
    jk_merkle_edge_root (&edge, mh, out);
    jk_mhash_destroy (&mh);
    return JK_OK;
}

/* Two histories from the same key: the first 60 leaves shared, then
   different. An office holding a checkpoint of history A at 80 is shown
   history B at 120 with B's consistency proof: it does not verify. */
static void test_fork_detected (void **state)
{
    (void)state;
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t a[120][32], b[120][32];
    for (int i = 0; i < 120; i++) {
        uint8_t entry[8] = {(uint8_t)i, 'a'};
        jk_mhash_leaf (mh, entry, sizeof entry, a[i]);
        entry[1] = i < 60 ? 'a' : 'b';
        jk_mhash_leaf (mh, entry, sizeof entry, b[i]);
    }
    jk_merkle_edge_t edge_a = {0}, edge_b = {0};
    uint8_t root_a80[32], root_b80[32], root_b120[32];
    for (int i = 0; i < 120; i++) {
        if (i == 80) {
            jk_merkle_edge_root (&edge_a, mh, root_a80);
            jk_merkle_edge_root (&edge_b, mh, root_b80);
        }
        jk_merkle_edge_push (&edge_a, mh, a[i]);
        jk_merkle_edge_push (&edge_b, mh, b[i]);
    }
    jk_merkle_edge_root (&edge_b, mh, root_b120);
    char *old_note = s_note (80, root_a80, NULL, NULL, 0);
    char *new_note = s_note (120, root_b120, NULL, NULL, 0);
    jk_checkpoint_t old_cp, new_cp;
    char err[200];
    jk_note_signer_t log;
    s_signer (&log, S_ORIGIN, JK_NOTE_TYPE_ED25519, s_log_seed);
    assert_int_equal (jk_checkpoint_parse (old_note, strlen (old_note), &old_cp,
                                           err, sizeof err),
                      JK_OK);
    assert_int_equal (jk_checkpoint_parse (new_note, strlen (new_note), &new_cp,
                                           err, sizeof err),
                      JK_OK);
    /* Both are validly signed by the log ... */
    assert_int_equal (
        jk_checkpoint_trusted (&old_cp, &log, NULL, 0, 0, err, sizeof err),
        JK_OK);
    assert_int_equal (
        jk_checkpoint_trusted (&new_cp, &log, NULL, 0, 0, err, sizeof err),
        JK_OK);
    /* ... and B's proof from 80 to 120 verifies B's own old head but not
       the head the office holds. */
    uint8_t proof[JK_MERKLE_PROOF_MAX][32];
    size_t count;
    assert_int_equal (
        jk_merkle_consistency (s_array_node, b, mh, 80, 120, proof, &count),
        JK_OK);
    assert_int_equal (jk_merkle_verify_consistency (
                          mh, 80, 120, root_b80, new_cp.root, proof[0], count),
                      JK_OK);
    assert_int_equal (
        jk_merkle_verify_consistency (mh, old_cp.size, new_cp.size, old_cp.root,
                                      new_cp.root, proof[0], count),
        JK_INVALID);
    /* History A continued honestly is consistent with what it holds. */
    uint8_t root_a120[32];
    jk_merkle_edge_root (&edge_a, mh, root_a120);
    assert_int_equal (
        jk_merkle_consistency (s_array_node, a, mh, 80, 120, proof, &count),
        JK_OK);
    assert_int_equal (jk_merkle_verify_consistency (mh, 80, 120, old_cp.root,
                                                    root_a120, proof[0], count),
                      JK_OK);
    free (old_note);
    free (new_note);
    jk_mhash_destroy (&mh);
}

/* Signer keys of both types round-trip; verifier key lists parse with
   their errors named; a cosignature appended by jk_note_cosign verifies
   and the note stays within its limits. */
static void test_witness_keys (void **state)
{
    (void)state;
    char text[256], name[JK_NOTE_NAME_MAX], err[320];
    uint8_t seed[32];
    int type = 0;
    jk_note_skey_format ("32.03.10/saksi", JK_NOTE_TYPE_COSIG, s_w1_seed, text,
                         sizeof text);
    assert_int_equal (strncmp (text, "PRIVATE+KEY+32.03.10/saksi+", 27), 0);
    assert_int_equal (
        jk_note_skey_parse (text, name, &type, seed, err, sizeof err), JK_OK);
    assert_int_equal (type, JK_NOTE_TYPE_COSIG);
    assert_string_equal (name, "32.03.10/saksi");
    assert_memory_equal (seed, s_w1_seed, 32);
    jk_note_skey_format (S_ORIGIN, JK_NOTE_TYPE_ED25519, s_log_seed, text,
                         sizeof text);
    assert_int_equal (
        jk_note_skey_parse (text, name, &type, seed, err, sizeof err), JK_OK);
    assert_int_equal (type, JK_NOTE_TYPE_ED25519);
    /* The key ID is of the type: a witness key carrying the key ID of
       the log's type does not parse. */
    jk_note_skey_format ("32.03.10/saksi", JK_NOTE_TYPE_COSIG, s_w1_seed, text,
                         sizeof text);
    uint8_t pub[32], id[4];
    jk_note_public (s_w1_seed, pub);
    jk_note_key_id ("32.03.10/saksi", JK_NOTE_TYPE_ED25519, pub, id);
    char hex[9];
    jk_hex_format (id, 4, hex);
    memcpy (text + 27, hex, 8);
    assert_int_equal (
        jk_note_skey_parse (text, name, &type, seed, err, sizeof err),
        JK_INVALID);
    assert_string_equal (err, "signer key: the key ID does not match the name "
                              "and key");

    jk_note_signer_t w1, w2, list[3];
    s_signer (&w1, "32.03.10/saksi", JK_NOTE_TYPE_COSIG, s_w1_seed);
    s_signer (&w2, "32.03.11/saksi", JK_NOTE_TYPE_COSIG, s_w2_seed);
    char v1[256], v2[256], vlog[256];
    jk_note_vkey_format (w1.name, JK_NOTE_TYPE_COSIG, w1.pub, v1, sizeof v1);
    jk_note_vkey_format (w2.name, JK_NOTE_TYPE_COSIG, w2.pub, v2, sizeof v2);
    uint8_t log_pub[32];
    jk_note_public (s_log_seed, log_pub);
    jk_note_vkey_format (S_ORIGIN, JK_NOTE_TYPE_ED25519, log_pub, vlog,
                         sizeof vlog);
    int count = -1;
    char *both = jk_sprintf (" %s,\n%s\n", v1, v2);
    assert_int_equal (jk_note_signers_parse (both, JK_NOTE_TYPE_COSIG, list, 3,
                                             &count, err, sizeof err),
                      JK_OK);
    assert_int_equal (count, 2);
    assert_string_equal (list[1].name, "32.03.11/saksi");
    assert_memory_equal (list[0].pub, w1.pub, 32);
    assert_int_equal (jk_note_signers_parse ("", JK_NOTE_TYPE_COSIG, list, 3,
                                             &count, err, sizeof err),
                      JK_OK);
    assert_int_equal (count, 0);
    /* One too many, a key of the other type, a name twice, a bad key. */
    assert_int_equal (jk_note_signers_parse (both, JK_NOTE_TYPE_COSIG, list, 1,
                                             &count, err, sizeof err),
                      JK_INVALID);
    assert_string_equal (err, "more than 1 verifier keys");
    char *mixed = jk_sprintf ("%s,%s", v1, vlog);
    assert_int_equal (jk_note_signers_parse (mixed, JK_NOTE_TYPE_COSIG, list, 3,
                                             &count, err, sizeof err),
                      JK_INVALID);
    assert_string_equal (err, "verifier key 2 (" S_ORIGIN ") has type 01, 04 "
                              "expected");
    char *twice = jk_sprintf ("%s,%s", v1, v1);
    assert_int_equal (jk_note_signers_parse (twice, JK_NOTE_TYPE_COSIG, list, 3,
                                             &count, err, sizeof err),
                      JK_INVALID);
    assert_string_equal (err, "verifier key 2: the name 32.03.10/saksi is "
                              "given twice");
    assert_int_equal (jk_note_signers_parse ("nope", JK_NOTE_TYPE_COSIG, list,
                                             3, &count, err, sizeof err),
                      JK_INVALID);
    assert_string_equal (err, "verifier key 1: verifier key 'nope' is neither "
                              "a file that can be read nor a key "
                              "NAME+KEYID+KEY");

    /* jk_note_cosign: one more line, verifying with the witness's key. */
    uint8_t root[32];
    memset (root, 0x33, 32);
    char *note = s_note (9, root, NULL, NULL, 0);
    jk_checkpoint_t cp;
    assert_int_equal (
        jk_checkpoint_parse (note, strlen (note), &cp, err, sizeof err), JK_OK);
    char *cosigned = jk_note_cosign (note, &cp, w1.name, s_w1_seed, 1764806400);
    assert_non_null (cosigned);
    assert_int_equal (strncmp (cosigned, note, strlen (note)), 0);
    assert_int_equal (
        jk_checkpoint_parse (cosigned, strlen (cosigned), &cp, err, sizeof err),
        JK_OK);
    assert_int_equal (cp.sig_count, 2);
    uint64_t when = 0;
    assert_int_equal (
        jk_note_verify (&cp, w1.name, JK_NOTE_TYPE_COSIG, w1.pub, &when),
        JK_OK);
    assert_int_equal (when, 1764806400);
    /* A note of 32 lines takes no more. */
    cp.sig_count = JK_NOTE_SIGS_MAX;
    assert_null (jk_note_cosign (cosigned, &cp, w2.name, s_w2_seed, 1));
    free (cosigned);
    free (note);
    free (both);
    free (mixed);
    free (twice);
}

/* docs/AUDIT.md, "Worked example in real bytes" and "Witnesses": the
   cosigned checkpoint of size 3 (the COSIGN note, 332 bytes) and the
   witness's key file, byte for byte. */
static void test_audit_witness_example (void **state)
{
    (void)state;
    uint8_t log_seed[32], w_seed[32], root[32];
    for (int i = 0; i < 32; i++) {
        log_seed[i] = (uint8_t)i;
        w_seed[i] = (uint8_t)(0x40 + i);
    }
    assert_int_equal (jk_hex_parse ("a12a32d64271ee794bae6e6f5313b441cda8f561"
                                    "aba3a7f86f79649611769c2b",
                                    root, 32),
                      JK_OK);
    char *note = jk_checkpoint_sign (S_ORIGIN, 3, root, log_seed);
    jk_checkpoint_t cp;
    char err[200];
    assert_int_equal (
        jk_checkpoint_parse (note, strlen (note), &cp, err, sizeof err), JK_OK);
    char *cosigned = jk_note_cosign (note, &cp, "kop-3203-cugenang/saksi",
                                     w_seed, 1764806400);
    assert_string_equal (
        cosigned,
        S_ORIGIN "\n3\noSoy1kJx7nlLrm5vUxO0Qc2o9WGro6f4b3lklhF2nCs=\n\n"
                 "\xe2\x80\x94 " S_ORIGIN
                 " B3g3qYIZ2CsDP5OVTacF+ryfcBALmsQZ3JF3ctcfV3UqRjifTidJof7aou"
                 "RUHWlkQ1aiaJqhzKBwjfB6h3eywzJ8ZQ0=\n"
                 "\xe2\x80\x94 kop-3203-cugenang/saksi waoxzQAAAABpMM8AB7K+0vA"
                 "fwTZh/VQ70vUvWBeipgSlWa3jA1SnCu8UUrW1R8sXVcifroVDr66yvrBR3Bw"
                 "DMXL33Qsz6qk3zK5oCA==\n");
    assert_int_equal (strlen (cosigned), 332);
    char skey[256];
    jk_note_skey_format ("kop-3203-cugenang/saksi", JK_NOTE_TYPE_COSIG, w_seed,
                         skey, sizeof skey);
    assert_string_equal (skey, "PRIVATE+KEY+kop-3203-cugenang/saksi+c1aa31cd+"
                               "BEBBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f");
    free (cosigned);
    free (note);
}

/* A proof's entry is at most JK_PROOF_ENTRY_MAX (81,920) bytes: the
   base64 of one or two bytes more fits the same number of characters and
   is refused all the same. */
static void test_proof_entry_limit (void **state)
{
    (void)state;
    uint8_t *entry = jk_calloc (1, JK_PROOF_ENTRY_MAX + 2);
    entry[7] = 1; /* pos 1, accepted, no code or message, zero bytes */
    for (size_t len = JK_PROOF_ENTRY_MAX - 1; len <= JK_PROOF_ENTRY_MAX + 2;
         len++) {
        char *text = jk_proof_format (entry, len, NULL, 0, "x\n");
        jk_proof_t *proof = jk_malloc (sizeof *proof);
        char err[256] = "";
        int rc = jk_proof_parse (text, strlen (text), proof, err, sizeof err);
        if (len <= JK_PROOF_ENTRY_MAX) {
            assert_int_equal (rc, JK_OK);
            assert_int_equal (proof->entry_len, len);
            jk_proof_fini (proof);
        } else {
            assert_int_equal (rc, JK_INVALID);
            assert_string_equal (err, "line 2: entry longer than 81920 bytes");
        }
        free (proof);
        free (text);
    }
    free (entry);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_checkpoint_format),
        cmocka_unit_test (test_cosigned_checkpoint_policy),
        cmocka_unit_test (test_parse_errors),
        cmocka_unit_test (test_key_too_long),
        cmocka_unit_test (test_fork_detected),
        cmocka_unit_test (test_witness_keys),
        cmocka_unit_test (test_audit_witness_example),
        cmocka_unit_test (test_proof_entry_limit),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
