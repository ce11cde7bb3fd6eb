/*  note_keys.c - the keys of signed notes (jk_note.h): verifier keys
    (vkey) parsed, formatted and taken from a flag or a file, lists of
    signers, and secret keys (skey) formatted, parsed, loaded and made. */
#include "note_internal.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int jk_note_vkey_parse (const char *text, char name[JK_NOTE_NAME_MAX],
                        int *type, uint8_t pub[32], char *err, size_t err_size)
{
    const char *plus = strchr (text, '+');
    const char *plus2 = plus ? strchr (plus + 1, '+') : NULL;
    if (!plus) {
        /* No key text has none: a file name that names no file. */
        snprintf (err, err_size,
                  "verifier key '%.64s%s' is neither a file that can be read "
                  "nor a key NAME+KEYID+KEY",
                  text, strlen (text) > 64 ? "..." : "");
        return JK_INVALID;
    }
    if (!plus2 || plus2 - plus != 9 ||
        !jk_note_name_ok (text, (size_t)(plus - text))) {
        snprintf (err, err_size,
                  "verifier key must be NAME+KEYID+KEY: a name, 8 hex "
                  "digits, base64 of the type byte and the public key");
        return JK_INVALID;
    }
    memset (name, 0, JK_NOTE_NAME_MAX);
    memcpy (name, text, (size_t)(plus - text));
    uint8_t id[4], key[48], want[4];
    char hex[9];
    memcpy (hex, plus + 1, 8);
    hex[8] = 0;
    int n = jk_note_unb64 (plus2 + 1, strlen (plus2 + 1), key, sizeof key);
    if (jk_hex_parse (hex, id, 4) != JK_OK || n != 33 ||
        (key[0] != JK_NOTE_TYPE_ED25519 && key[0] != JK_NOTE_TYPE_COSIG)) {
        snprintf (err, err_size,
                  "verifier key must carry 8 hex digits and base64 of a "
                  "type byte (01 or 04) and a 32-byte Ed25519 key");
        return JK_INVALID;
    }
    jk_note_key_id (name, key[0], key + 1, want);
    if (memcmp (id, want, 4)) {
        snprintf (err, err_size,
                  "verifier key: the key ID does not match the name and key");
        return JK_INVALID;
    }
    *type = key[0];
    memcpy (pub, key + 1, 32);
    return JK_OK;
}

int jk_note_log_vkey_check (const char *key, char *err, size_t err_size)
{
    char name[JK_NOTE_NAME_MAX];
    int type = 0;
    uint8_t pub[32];
    if (!key)
        return JK_OK;
    if (jk_note_vkey_parse (key, name, &type, pub, err, err_size) != JK_OK)
        return JK_INVALID;
    if (type != JK_NOTE_TYPE_ED25519)
        return jk_note_fail (err, err_size,
                             "%s is a witness key (type 04), not the log's "
                             "key (type 01, log.vkey of jejak-keys log-key)",
                             name);
    return JK_OK;
}

char *jk_note_vkey_given (const char *given)
{
    if (!given || !*given)
        return NULL;
    FILE *file = strchr (given, '/') || access (given, F_OK) == 0
                     ? fopen (given, "r")
                     : NULL;
    if (!file)
        return jk_strdup (given);
    char line[512] = "";
    if (fgets (line, sizeof line, file))
        line[strcspn (line, "\r\n")] = 0;
    fclose (file);
    return jk_strdup (line);
}

int jk_note_signers_parse (const char *list, int type, jk_note_signer_t *out,
                           int max, int *count, char *err, size_t err_size)
{
    *count = 0;
    const char *p = list;
    while (*p) {
        size_t skip = strspn (p, ", \t\r\n");
        p += skip;
        size_t len = strcspn (p, ", \t\r\n");
        if (len == 0)
            break;
        char key[512], why[200];
        if (len >= sizeof key)
            return jk_note_fail (err, err_size,
                                 "verifier key %d: longer than 511 bytes",
                                 *count + 1);
        memcpy (key, p, len);
        key[len] = 0;
        p += len;
        if (*count == max)
            return jk_note_fail (err, err_size, "more than %d verifier keys",
                                 max);
        jk_note_signer_t *signer = &out[*count];
        memset (signer, 0, sizeof *signer);
        if (jk_note_vkey_parse (key, signer->name, &signer->type, signer->pub,
                                why, sizeof why) != JK_OK)
            return jk_note_fail (err, err_size, "verifier key %d: %s",
                                 *count + 1, why);
        if (signer->type != type)
            return jk_note_fail (err, err_size,
                                 "verifier key %d (%s) has type %02x, %02x "
                                 "expected",
                                 *count + 1, signer->name, signer->type, type);
        for (int i = 0; i < *count; i++)
            if (strcmp (out[i].name, signer->name) == 0)
                return jk_note_fail (
                    err, err_size,
                    "verifier key %d: the name %s is given twice", *count + 1,
                    signer->name);
        (*count)++;
    }
    return JK_OK;
}

void jk_note_vkey_format (const char *name, int type, const uint8_t pub[32],
                          char *out, size_t out_size)
{
    uint8_t id[4], key[33];
    jk_note_key_id (name, type, pub, id);
    key[0] = (uint8_t)type;
    memcpy (key + 1, pub, 32);
    char hex[9], b64[64];
    jk_hex_format (id, 4, hex);
    jk_note_b64 (key, 33, b64);
    snprintf (out, out_size, "%s+%s+%s", name, hex, b64);
}

#define S_SKEY_PREFIX "PRIVATE+KEY+"

void jk_note_skey_format (const char *name, int type, const uint8_t seed[32],
                          char *out, size_t out_size)
{
    uint8_t pub[32], id[4], key[33];
    if (jk_note_public (seed, pub) != JK_OK) {
        snprintf (out, out_size, "%s", "");
        return;
    }
    jk_note_key_id (name, type, pub, id);
    key[0] = (uint8_t)type;
    memcpy (key + 1, seed, 32);
    char hex[9], b64[64];
    jk_hex_format (id, 4, hex);
    jk_note_b64 (key, 33, b64);
    snprintf (out, out_size, S_SKEY_PREFIX "%s+%s+%s", name, hex, b64);
}

int jk_note_skey_parse (const char *text, char name[JK_NOTE_NAME_MAX],
                        int *type, uint8_t seed[32], char *err, size_t err_size)
{
    size_t prefix = strlen (S_SKEY_PREFIX);
    if (strncmp (text, S_SKEY_PREFIX, prefix) != 0)
        return jk_note_fail (err, err_size,
                             "signer key must start with PRIVATE+KEY+");
    const char *start = text + prefix;
    const char *plus = strchr (start, '+');
    const char *plus2 = plus ? strchr (plus + 1, '+') : NULL;
    if (!plus || !plus2 || plus2 - plus != 9 ||
        !jk_note_name_ok (start, (size_t)(plus - start)))
        return jk_note_fail (
            err, err_size,
            "signer key must be PRIVATE+KEY+NAME+KEYID+KEY: a "
            "name, 8 hex digits, base64 of the type byte and the "
            "key");
    memset (name, 0, JK_NOTE_NAME_MAX);
    memcpy (name, start, (size_t)(plus - start));
    uint8_t id[4], key[48], pub[32], want[4];
    char hex[9];
    memcpy (hex, plus + 1, 8);
    hex[8] = 0;
    int n = jk_note_unb64 (plus2 + 1, strlen (plus2 + 1), key, sizeof key);
    if (jk_hex_parse (hex, id, 4) != JK_OK || n != 33 ||
        (key[0] != JK_NOTE_TYPE_ED25519 && key[0] != JK_NOTE_TYPE_COSIG) ||
        jk_note_public (key + 1, pub))
        return jk_note_fail (err, err_size,
                             "signer key must carry 8 hex digits and base64 of "
                             "the type byte (01 or 04) and a 32-byte Ed25519 "
                             "seed");
    jk_note_key_id (name, key[0], pub, want);
    if (memcmp (id, want, 4))
        return jk_note_fail (
            err, err_size,
            "signer key: the key ID does not match the name and "
            "key");
    memcpy (seed, key + 1, 32);
    *type = key[0];
    OPENSSL_cleanse (key, sizeof key);
    return JK_OK;
}

int jk_note_skey_load (const char *path, char name[JK_NOTE_NAME_MAX], int *type,
                       uint8_t seed[32], char *err, size_t err_size)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (err, err_size, "cannot read the key %s: %s", path,
                  strerror (errno));
        return JK_IO;
    }
    struct stat st;
    char text[512];
    size_t n = 0;
    int rc = JK_OK;
    if (fstat (fileno (file), &st) == 0 && (st.st_mode & 077)) {
        snprintf (err, err_size,
                  "the key %s may be read by others (mode %04o): "
                  "chmod 600 %s",
                  path, (unsigned)(st.st_mode & 07777), path);
        rc = JK_IO;
    } else {
        n = fread (text, 1, sizeof text - 1, file);
        text[n] = 0;
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
            text[--n] = 0;
    }
    fclose (file);
    if (rc == JK_OK &&
        jk_note_skey_parse (text, name, type, seed, err, err_size)) {
        char why[256];
        snprintf (why, sizeof why, "%s", err);
        snprintf (err, err_size, "the key %s: %s", path, why);
        rc = JK_INVALID;
    }
    OPENSSL_cleanse (text, sizeof text);
    return rc;
}

int jk_note_keygen (uint8_t seed[32])
{
    return RAND_bytes (seed, 32) == 1 ? JK_OK : JK_IO;
}
