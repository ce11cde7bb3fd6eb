/*  note.c - signed checkpoints (jk_note.h): the C2SP tlog-checkpoint body,
    signed-note signature lines, tlog-cosignature v1, and a strict parser
    (the keys: note_keys.c). Ed25519 and SHA-256 through OpenSSL EVP. */
#include "note_internal.h"
#include "jk_merkle.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_DASH     "\xe2\x80\x94 " /* U+2014 and a space */
#define S_DASH_LEN 4

/* Standard base64 with padding; returns the length written. */
size_t jk_note_b64 (const uint8_t *data, size_t size, char *out)
{
    return (size_t)EVP_EncodeBlock ((unsigned char *)out, data, (int)size);
}

/* Strict base64 decode (canonical, padded); note_internal.h. */
int jk_note_unb64 (const char *text, size_t len, uint8_t *out, size_t cap)
{
    /* EVP_DecodeBlock writes 3 bytes per 4 characters, padding included:
       text that could decode past cap is refused before it is decoded. */
    if (len == 0 || len % 4 || len > 4096 || len / 4 * 3 > cap)
        return -1;
    int n = EVP_DecodeBlock (out, (const unsigned char *)text, (int)len);
    if (n < 0)
        return -1;
    if (text[len - 1] == '=')
        n -= text[len - 2] == '=' ? 2 : 1;
    /* Re-encoding must give the same text (no stray bits). */
    char again[4096 + 4];
    if (jk_note_b64 (out, (size_t)n, again) != len || memcmp (again, text, len))
        return -1;
    return n;
}

static void s_put_be64 (uint8_t *out, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)value;
        value >>= 8;
    }
}

void jk_note_key_id (const char *name, int type, const uint8_t pub[32],
                     uint8_t out[4])
{
    uint8_t digest[32], t = (uint8_t)type;
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
    EVP_DigestUpdate (ctx, name, strlen (name));
    EVP_DigestUpdate (ctx, "\n", 1);
    EVP_DigestUpdate (ctx, &t, 1);
    EVP_DigestUpdate (ctx, pub, 32);
    EVP_DigestFinal_ex (ctx, digest, &len);
    EVP_MD_CTX_free (ctx);
    memcpy (out, digest, 4);
}

int jk_note_public (const uint8_t seed[32], uint8_t pub[32])
{
    EVP_PKEY *key =
        EVP_PKEY_new_raw_private_key (EVP_PKEY_ED25519, NULL, seed, 32);
    size_t len = 32;
    int rc =
        key && EVP_PKEY_get_raw_public_key (key, pub, &len) == 1 && len == 32
            ? JK_OK
            : JK_INVALID;
    EVP_PKEY_free (key);
    return rc;
}

/* The message a signature of type covers: the body, or for a
   cosignature "cosignature/v1\ntime T\n" || body. A heap buffer. */
static uint8_t *s_message (const char *body, size_t body_len, int type,
                           uint64_t timestamp, size_t *size)
{
    char head[64] = "";
    if (type == JK_NOTE_TYPE_COSIG)
        snprintf (head, sizeof head, "cosignature/v1\ntime %llu\n",
                  (unsigned long long)timestamp);
    size_t head_len = strlen (head);
    uint8_t *msg = jk_malloc (head_len + body_len + 1);
    memcpy (msg, head, head_len);
    memcpy (msg + head_len, body, body_len);
    *size = head_len + body_len;
    return msg;
}

/* A valid key name or origin: 1..127 bytes, no spaces, no "+", no
   control bytes. */
bool jk_note_name_ok (const char *name, size_t len)
{
    if (len == 0 || len >= JK_NOTE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f || c == '+')
            return false;
    }
    return true;
}

char *jk_note_sign_line (const char *body, size_t body_len, const char *name,
                         int type, const uint8_t seed[32], uint64_t timestamp)
{
    if (!jk_note_name_ok (name, strlen (name)) || timestamp > INT64_MAX)
        return NULL;
    uint8_t pub[32];
    if (jk_note_public (seed, pub) != JK_OK)
        return NULL;
    size_t msg_len;
    uint8_t *msg = s_message (body, body_len, type, timestamp, &msg_len);
    uint8_t data[4 + JK_NOTE_SIG_BYTES];
    size_t n = 4;
    jk_note_key_id (name, type, pub, data);
    if (type == JK_NOTE_TYPE_COSIG) {
        s_put_be64 (data + n, timestamp);
        n += 8;
    }
    EVP_PKEY *key =
        EVP_PKEY_new_raw_private_key (EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
    size_t sig_len = 64;
    bool ok = key && ctx &&
              EVP_DigestSignInit (ctx, NULL, NULL, NULL, key) == 1 &&
              EVP_DigestSign (ctx, data + n, &sig_len, msg, msg_len) == 1 &&
              sig_len == 64;
    EVP_MD_CTX_free (ctx);
    EVP_PKEY_free (key);
    free (msg);
    if (!ok)
        return NULL;
    n += 64;
    char b64[128];
    jk_note_b64 (data, n, b64);
    return jk_sprintf (S_DASH "%s %s\n", name, b64);
}

int jk_note_verify (const jk_checkpoint_t *checkpoint, const char *name,
                    int type, const uint8_t pub[32], uint64_t *timestamp)
{
    uint8_t key_id[4];
    jk_note_key_id (name, type, pub, key_id);
    size_t want = type == JK_NOTE_TYPE_COSIG ? 8 + 64 : 64;
    for (int i = 0; i < checkpoint->sig_count; i++) {
        const jk_note_sig_t *sig = &checkpoint->sigs[i];
        if (strcmp (sig->name, name) || memcmp (sig->key_id, key_id, 4))
            continue;
        if (sig->size != want)
            return JK_INVALID;
        uint64_t t = 0;
        if (type == JK_NOTE_TYPE_COSIG)
            for (int b = 0; b < 8; b++)
                t = t << 8 | sig->data[b];
        if (t > INT64_MAX)
            return JK_INVALID;
        size_t msg_len;
        uint8_t *msg = s_message (checkpoint->body, checkpoint->body_len, type,
                                  t, &msg_len);
        EVP_PKEY *key =
            EVP_PKEY_new_raw_public_key (EVP_PKEY_ED25519, NULL, pub, 32);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
        bool ok = key && ctx &&
                  EVP_DigestVerifyInit (ctx, NULL, NULL, NULL, key) == 1 &&
                  EVP_DigestVerify (ctx, sig->data + want - 64, 64, msg,
                                    msg_len) == 1;
        EVP_MD_CTX_free (ctx);
        EVP_PKEY_free (key);
        free (msg);
        if (!ok)
            return JK_INVALID;
        if (timestamp)
            *timestamp = t;
        return JK_OK;
    }
    return JK_NOT_FOUND;
}

size_t jk_checkpoint_body (const char *origin, uint64_t size,
                           const uint8_t root[32], char *out, size_t out_size)
{
    if (!jk_note_name_ok (origin, strlen (origin)))
        return 0;
    char b64[48];
    jk_note_b64 (root, 32, b64);
    int n = snprintf (out, out_size, "%s\n%llu\n%s\n", origin,
                      (unsigned long long)size, b64);
    return n > 0 && (size_t)n < out_size ? (size_t)n : 0;
}

int jk_note_fail (char *err, size_t err_size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
    return JK_INVALID;
}

/* One body line (1: origin, 2: tree size, 3: root hash; later ones are
   extensions, kept in the body only). JK_OK or JK_INVALID with err. */
static int s_body_line (const char *p, size_t len, int line,
                        jk_checkpoint_t *out, char *err, size_t err_size)
{
    if (len == 0)
        return jk_note_fail (err, err_size, "line %d: empty line in the body",
                             line);
    if (line == 1) {
        if (!jk_note_name_ok (p, len))
            return jk_note_fail (err, err_size,
                                 "line %d: origin must be 1-127 bytes without "
                                 "spaces, '+' or control bytes",
                                 line);
        memcpy (out->origin, p, len);
    } else if (line == 2) {
        bool ok = len <= 20 && (len == 1 || p[0] != '0');
        uint64_t v = 0;
        for (size_t i = 0; ok && i < len; i++) {
            if (p[i] < '0' || p[i] > '9' ||
                v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
                ok = false;
            else
                v = v * 10 + (uint64_t)(p[i] - '0');
        }
        if (!ok)
            return jk_note_fail (err, err_size,
                                 "line %d: tree size must be decimal without "
                                 "leading zeros, at most 2^64-1",
                                 line);
        out->size = v;
    } else if (line == 3) {
        uint8_t root[48];
        if (len != 44 || jk_note_unb64 (p, len, root, sizeof root) != 32)
            return jk_note_fail (err, err_size,
                                 "line %d: root hash must be 32 bytes in "
                                 "standard padded base64",
                                 line);
        memcpy (out->root, root, 32);
    }
    return JK_OK;
}

/* One signature line, p to nl (its newline): U+2014, NAME, BASE64. JK_OK or
   JK_INVALID with err. */
static int s_sig_line (const char *p, const char *nl, int line,
                       jk_checkpoint_t *out, char *err, size_t err_size)
{
    size_t len = (size_t)(nl - p);
    if (out->sig_count == JK_NOTE_SIGS_MAX)
        return jk_note_fail (err, err_size,
                             "line %d: more than 32 signature lines", line);
    if (len < S_DASH_LEN || memcmp (p, S_DASH, S_DASH_LEN))
        return jk_note_fail (err, err_size,
                             "line %d: a signature line starts with U+2014 "
                             "and a space",
                             line);
    const char *name = p + S_DASH_LEN;
    const char *space = memchr (name, ' ', (size_t)(nl - name));
    if (!space || !jk_note_name_ok (name, (size_t)(space - name)))
        return jk_note_fail (err, err_size,
                             "line %d: key name must be 1-127 bytes without "
                             "spaces, '+' or control bytes, then a space",
                             line);
    jk_note_sig_t *sig = &out->sigs[out->sig_count];
    memcpy (sig->name, name, (size_t)(space - name));
    uint8_t data[3 * 1024];
    size_t b64_len = (size_t)(nl - space - 1);
    int n = b64_len <= 1024
                ? jk_note_unb64 (space + 1, b64_len, data, sizeof data)
                : -1;
    if (n < 5 || n > 4 + JK_NOTE_SIG_BYTES)
        return jk_note_fail (err, err_size,
                             "line %d: signature must be base64 of a 4-byte "
                             "key ID and 1-76 signature bytes",
                             line);
    memcpy (sig->key_id, data, 4);
    sig->size = (size_t)n - 4;
    memcpy (sig->data, data + 4, sig->size);
    out->sig_count++;
    return JK_OK;
}

int jk_checkpoint_parse (const char *text, size_t size, jk_checkpoint_t *out,
                         char *err, size_t err_size)
{
    memset (out, 0, sizeof *out);
    if (size > JK_NOTE_MAX)
        return jk_note_fail (err, err_size, "note: longer than 16384 bytes");
    if (size == 0 || text[size - 1] != '\n')
        return jk_note_fail (err, err_size,
                             "note: must end with a newline (U+000A)");
    if (memchr (text, 0, size))
        return jk_note_fail (err, err_size, "note: holds a NUL byte");
    /* The body ends at the last blank line: "\n\n". */
    const char *split = NULL;
    for (size_t i = size - 1; i > 0; i--)
        if (text[i] == '\n' && text[i - 1] == '\n') {
            split = text + i;
            break;
        }
    if (!split)
        return jk_note_fail (err, err_size,
                             "note: no blank line between the text and the "
                             "signatures");
    out->body_len = (size_t)(split - text);
    memcpy (out->body, text, out->body_len);
    /* Body: origin, size, root, then extension lines. */
    const char *p = text, *end = text + out->body_len;
    int line = 0;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        if (s_body_line (p, (size_t)(nl - p), ++line, out, err, err_size))
            return JK_INVALID;
        p = nl + 1;
    }
    if (line < 3)
        return jk_note_fail (err, err_size,
                             "note: the body needs origin, tree size and root "
                             "hash lines (has %d)",
                             line);
    /* Signature lines. */
    p = split + 1;
    end = text + size;
    line++; /* the blank line */
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        if (s_sig_line (p, nl, ++line, out, err, err_size))
            return JK_INVALID;
        p = nl + 1;
    }
    if (out->sig_count == 0)
        return jk_note_fail (err, err_size, "note: no signature lines");
    return JK_OK;
}

char *jk_note_cosign (const char *note, const jk_checkpoint_t *checkpoint,
                      const char *name, const uint8_t seed[32], uint64_t time)
{
    if (checkpoint->sig_count >= JK_NOTE_SIGS_MAX)
        return NULL;
    char *line = jk_note_sign_line (checkpoint->body, checkpoint->body_len,
                                    name, JK_NOTE_TYPE_COSIG, seed, time);
    if (!line)
        return NULL;
    char *out = NULL;
    if (strlen (note) + strlen (line) <= JK_NOTE_MAX)
        out = jk_sprintf ("%s%s", note, line);
    free (line);
    return out;
}

int jk_checkpoint_trusted (const jk_checkpoint_t *checkpoint,
                           const jk_note_signer_t *log,
                           const jk_note_signer_t *witnesses, int count,
                           int quorum, char *err, size_t err_size)
{
    int rc = jk_note_verify (checkpoint, log->name, JK_NOTE_TYPE_ED25519,
                             log->pub, NULL);
    if (rc != JK_OK) {
        snprintf (err, err_size, "the log's signature by %s is %s", log->name,
                  rc == JK_NOT_FOUND ? "missing" : "wrong");
        return JK_INVALID;
    }
    int good = 0;
    for (int i = 0; i < count; i++) {
        rc = jk_note_verify (checkpoint, witnesses[i].name, JK_NOTE_TYPE_COSIG,
                             witnesses[i].pub, NULL);
        if (rc == JK_INVALID) {
            snprintf (err, err_size,
                      "the cosignature of witness %s does not verify",
                      witnesses[i].name);
            return JK_INVALID;
        }
        good += rc == JK_OK;
    }
    if (good < quorum) {
        snprintf (err, err_size,
                  "%d trusted witness cosignature%s, %d required", good,
                  good == 1 ? "" : "s", quorum);
        return JK_INVALID;
    }
    return JK_OK;
}

char *jk_checkpoint_sign (const char *origin, uint64_t size,
                          const uint8_t root[32], const uint8_t seed[32])
{
    char body[JK_NOTE_NAME_MAX + 128];
    size_t len = jk_checkpoint_body (origin, size, root, body, sizeof body);
    if (len == 0)
        return NULL;
    char *line =
        jk_note_sign_line (body, len, origin, JK_NOTE_TYPE_ED25519, seed, 0);
    if (!line)
        return NULL;
    char *note = jk_sprintf ("%s\n%s", body, line);
    free (line);
    return note;
}

int jk_checkpoint_consistent (const jk_checkpoint_t *a,
                              const jk_checkpoint_t *b, const uint8_t *proof,
                              size_t proof_bytes)
{
    const jk_checkpoint_t *old = a->size <= b->size ? a : b;
    const jk_checkpoint_t *large = old == a ? b : a;
    if (proof_bytes % JK_MERKLE_HASH ||
        proof_bytes / JK_MERKLE_HASH > JK_MERKLE_PROOF_MAX)
        return JK_INVALID;
    jk_mhash_t *mh = jk_mhash_new ();
    int rc = jk_merkle_verify_consistency (mh, old->size, large->size,
                                           old->root, large->root, proof,
                                           proof_bytes / JK_MERKLE_HASH);
    jk_mhash_destroy (&mh);
    return rc == JK_OK ? JK_OK : JK_INVALID;
}
