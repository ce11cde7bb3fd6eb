/*  keys_note.c - the signed-note keys of the key store: the log's
    checkpoint key (log-key) and a witness's cosigning key (witness-key),
    each a secret file and its verifier key. */
#include "jk_note.h"
#include "keys_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text and a newline to path with mode (created or replaced). */
static int s_write_text (const char *path, const char *text, mode_t mode,
                         char *err, size_t err_size)
{
    unlink (path);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, mode);
    size_t len = strlen (text);
    bool ok = fd >= 0 && write (fd, text, len) == (ssize_t)len &&
              write (fd, "\n", 1) == 1 && fchmod (fd, mode) == 0 &&
              fsync (fd) == 0;
    if (!ok)
        jk_keys_fail (err, err_size, "cannot write %s: %s", path,
                      strerror (errno));
    if (fd >= 0)
        close (fd);
    return ok ? JK_OK : JK_IO;
}

/* A signed-note key of type (log 0x01, witness 0x04) named name:
   DIR/secret_file (0600) and DIR/public_file (0644, its verifier key). */
static int s_note_key (const char *dir, const char *name, int type,
                       const char *secret_file, const char *public_file,
                       bool force, char *vkey, size_t vkey_size, char *err,
                       size_t err_size)
{
    int rc = jk_keys_layout (dir, err, err_size);
    if (rc)
        return rc;
    char *secret = jk_sprintf ("%s/%s", dir, secret_file);
    char *public = jk_sprintf ("%s/%s", dir, public_file);
    uint8_t seed[32], pub[32];
    char text[256];
    if (!force && (jk_keys_exists (secret) || jk_keys_exists (public))) {
        jk_keys_fail (err, err_size,
                      "%s already holds %s (%s --force replaces it; every "
                      "verifier then needs the new %s)",
                      dir, secret_file,
                      type == JK_NOTE_TYPE_COSIG ? "witness-key" : "log-key",
                      public_file);
        rc = JK_CONFLICT;
        goto cleanup;
    }
    if (jk_note_keygen (seed) != JK_OK || jk_note_public (seed, pub)) {
        jk_keys_fail (err, err_size, "no random bytes for a key");
        rc = JK_IO;
        goto cleanup;
    }
    jk_note_skey_format (name, type, seed, text, sizeof text);
    rc = s_write_text (secret, text, 0600, err, err_size);
    jk_note_vkey_format (name, type, pub, vkey, vkey_size);
    if (rc == JK_OK)
        rc = s_write_text (public, vkey, 0644, err, err_size);
cleanup:
    memset (seed, 0, sizeof seed);
    memset (text, 0, sizeof text);
    free (secret);
    free (public);
    return rc;
}

/* The verifier key of DIR/secret_file, a key of type. */
static int s_note_vkey (const char *dir, const char *secret_file, int type,
                        char *vkey, size_t vkey_size, char *err,
                        size_t err_size)
{
    char *secret = jk_sprintf ("%s/%s", dir, secret_file);
    char name[JK_NOTE_NAME_MAX];
    uint8_t seed[32], pub[32];
    int held = 0;
    int rc = jk_keys_exists (secret) ? JK_OK : JK_NOT_FOUND;
    if (rc == JK_NOT_FOUND)
        jk_keys_fail (
            err, err_size, "%s has no %s (make one: jejak-keys %s --dir %s)",
            dir, secret_file,
            type == JK_NOTE_TYPE_COSIG ? "witness-key --name NAME" : "log-key",
            dir);
    else
        rc = jk_note_skey_load (secret, name, &held, seed, err, err_size);
    if (rc == JK_OK && held != type) {
        jk_keys_fail (err, err_size, "%s holds a key of type %02x, not %02x",
                      secret, held, type);
        rc = JK_INVALID;
    }
    if (rc == JK_OK && jk_note_public (seed, pub) == JK_OK)
        jk_note_vkey_format (name, type, pub, vkey, vkey_size);
    memset (seed, 0, sizeof seed);
    free (secret);
    return rc;
}

/* A key name or origin: 1-127 bytes, no space, '+' or control byte. */
static bool s_note_name_ok (const char *name)
{
    size_t len = strlen (name);
    bool ok = len > 0 && len < JK_NOTE_NAME_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = (unsigned char)name[i] > 0x20 && name[i] != 0x7f && name[i] != '+';
    return ok;
}

int jk_keys_log (const char *dir, const char *origin, bool force, char *vkey,
                 size_t vkey_size, char *err, size_t err_size)
{
    assert (dir);
    origin = origin ? origin : JK_KEYS_LOG_ORIGIN;
    if (!s_note_name_ok (origin)) {
        jk_keys_fail (err, err_size,
                      "--origin must be 1-127 bytes without spaces, '+' or "
                      "control bytes (e.g. %s)",
                      JK_KEYS_LOG_ORIGIN);
        return JK_INVALID;
    }
    return s_note_key (dir, origin, JK_NOTE_TYPE_ED25519, JK_KEYS_LOG_SECRET,
                       JK_KEYS_LOG_PUBLIC, force, vkey, vkey_size, err,
                       err_size);
}

int jk_keys_log_vkey (const char *dir, char *vkey, size_t vkey_size, char *err,
                      size_t err_size)
{
    return s_note_vkey (dir, JK_KEYS_LOG_SECRET, JK_NOTE_TYPE_ED25519, vkey,
                        vkey_size, err, err_size);
}

int jk_keys_witness (const char *dir, const char *name, bool force, char *vkey,
                     size_t vkey_size, char *err, size_t err_size)
{
    assert (dir);
    if (!name || !s_note_name_ok (name)) {
        jk_keys_fail (
            err, err_size,
            "--name must be 1-127 bytes without spaces, '+' or control "
            "bytes (e.g. 32.03.10/saksi)");
        return JK_INVALID;
    }
    return s_note_key (dir, name, JK_NOTE_TYPE_COSIG, JK_KEYS_WITNESS_SECRET,
                       JK_KEYS_WITNESS_PUBLIC, force, vkey, vkey_size, err,
                       err_size);
}

int jk_keys_witness_vkey (const char *dir, char *vkey, size_t vkey_size,
                          char *err, size_t err_size)
{
    return s_note_vkey (dir, JK_KEYS_WITNESS_SECRET, JK_NOTE_TYPE_COSIG, vkey,
                        vkey_size, err, err_size);
}
