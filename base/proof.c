/*  proof.c - the self-contained inclusion proof (jk_proof.h): format and
    a strict parser. */
#include "jk_proof.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_fail (char *err, size_t err_size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int s_fail (char *err, size_t err_size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
    return JK_INVALID;
}

static char *s_b64 (const uint8_t *data, size_t size)
{
    char *out = jk_malloc (4 * ((size + 2) / 3) + 1);
    EVP_EncodeBlock ((unsigned char *)out, data, (int)size);
    return out;
}

/* Canonical padded base64 to bytes (heap, *size); NULL when not. */
static uint8_t *s_unb64 (const char *text, size_t len, size_t *size)
{
    *size = 0;
    if (len % 4)
        return NULL;
    uint8_t *out = jk_malloc (len / 4 * 3 + 1);
    if (len == 0)
        return out;
    int n = EVP_DecodeBlock (out, (const unsigned char *)text, (int)len);
    if (n < 0) {
        free (out);
        return NULL;
    }
    if (text[len - 1] == '=')
        n -= text[len - 2] == '=' ? 2 : 1;
    char *again = s_b64 (out, (size_t)n);
    bool same = strlen (again) == len && memcmp (again, text, len) == 0;
    free (again);
    if (!same) {
        free (out);
        return NULL;
    }
    *size = (size_t)n;
    return out;
}

static uint64_t s_be (const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int jk_proof_entry (jk_proof_t *p, char *err, size_t err_size)
{
    const uint8_t *e = p->entry;
    size_t len = p->entry_len, at = 19;
    if (len < 8 + 8 + 1 + 2 + 4)
        return s_fail (err, err_size,
                       "entry: shorter than its fixed fields (23 bytes)");
    p->pos = s_be (e, 8);
    uint64_t recorded_at = s_be (e + 8, 8);
    p->outcome = e[16];
    size_t code_len = (size_t)s_be (e + 17, 2);
    if (p->pos == 0)
        return s_fail (err, err_size, "entry: position must be 1 or more");
    if (recorded_at > INT64_MAX)
        return s_fail (err, err_size, "entry: recorded_at above 2^63-1");
    if (p->outcome != 0 && p->outcome != 1)
        return s_fail (err, err_size,
                       "entry: outcome must be 0 (accepted) or 1 (rejected)");
    if (code_len > len - at - 4)
        return s_fail (err, err_size, "entry: code runs past the end");
    p->code = (const char *)e + at;
    p->code_len = code_len;
    at += code_len;
    size_t message_len = (size_t)s_be (e + at, 4);
    at += 4;
    if (message_len > len - at)
        return s_fail (err, err_size, "entry: message runs past the end");
    p->message = (const char *)e + at;
    p->message_len = message_len;
    at += message_len;
    if (p->outcome == 0 && (code_len || message_len))
        return s_fail (err, err_size,
                       "entry: an accepted record has no code or message");
    p->recorded_at = (int64_t)recorded_at;
    p->bytes = e + at;
    p->size = len - at;
    return JK_OK;
}

int jk_proof_parse (const char *text, size_t size, jk_proof_t *out, char *err,
                    size_t err_size)
{
    memset (out, 0, sizeof *out);
    if (size > JK_PROOF_MAX)
        return s_fail (err, err_size, "proof: longer than %d bytes",
                       JK_PROOF_MAX);
    const char *end = text + size, *p = text;
    const char *lines[3];
    size_t lens[3];
    for (int i = 0; i < 3; i++) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        if (!nl)
            return s_fail (err, err_size, "line %d: missing (or no newline)",
                           i + 1);
        lines[i] = p;
        lens[i] = (size_t)(nl - p);
        p = nl + 1;
    }
    size_t magic = strlen (JK_PROOF_MAGIC);
    if (lens[0] != magic || memcmp (lines[0], JK_PROOF_MAGIC, magic))
        return s_fail (err, err_size, "line 1: must be %s", JK_PROOF_MAGIC);
    if (lens[1] < 6 || memcmp (lines[1], "entry ", 6))
        return s_fail (err, err_size, "line 2: must be 'entry BASE64'");
    if (lens[2] < 5 || memcmp (lines[2], "path ", 5))
        return s_fail (err, err_size, "line 3: must be 'path BASE64'");
    /* The base64 of at most JK_PROOF_ENTRY_MAX bytes, then the bytes
       themselves: its last group may hold one or two more. */
    if (lens[1] - 6 > 4 * ((JK_PROOF_ENTRY_MAX + 2) / 3))
        return s_fail (err, err_size, "line 2: entry longer than %d bytes",
                       JK_PROOF_ENTRY_MAX);
    out->entry = s_unb64 (lines[1] + 6, lens[1] - 6, &out->entry_len);
    if (!out->entry)
        return s_fail (err, err_size,
                       "line 2: entry must be standard padded base64");
    if (out->entry_len > JK_PROOF_ENTRY_MAX) {
        jk_proof_fini (out);
        return s_fail (err, err_size, "line 2: entry longer than %d bytes",
                       JK_PROOF_ENTRY_MAX);
    }
    if (jk_proof_entry (out, err, err_size) != JK_OK) {
        jk_proof_fini (out);
        return JK_INVALID;
    }
    size_t path_len;
    uint8_t *path = lens[2] - 5 <= 4 * ((sizeof out->path + 2) / 3)
                        ? s_unb64 (lines[2] + 5, lens[2] - 5, &path_len)
                        : NULL;
    if (!path || path_len % JK_MERKLE_HASH || path_len > sizeof out->path) {
        free (path);
        jk_proof_fini (out);
        return s_fail (err, err_size,
                       "line 3: path must be base64 of at most %d 32-byte "
                       "hashes",
                       JK_MERKLE_PROOF_MAX);
    }
    memcpy (out->path, path, path_len);
    out->count = path_len / JK_MERKLE_HASH;
    free (path);
    if (p >= end || *p != '\n') {
        jk_proof_fini (out);
        return s_fail (err, err_size,
                       "line 4: must be blank (the checkpoint follows)");
    }
    out->note = p + 1;
    out->note_len = (size_t)(end - p - 1);
    /* The checkpoint is text: a NUL would end it early for every reader
       that takes it as a string. */
    const char *nul = memchr (out->note, 0, out->note_len);
    if (nul) {
        jk_proof_fini (out);
        return s_fail (err, err_size,
                       "the checkpoint holds a NUL byte (at byte %zu of "
                       "the proof)",
                       (size_t)(nul - text) + 1);
    }
    return JK_OK;
}

void jk_proof_fini (jk_proof_t *proof)
{
    free (proof->entry);
    proof->entry = NULL;
}

char *jk_proof_format (const uint8_t *entry, size_t entry_len,
                       const uint8_t *path, size_t count, const char *note)
{
    char *e = s_b64 (entry, entry_len);
    char *h = s_b64 (path, count * JK_MERKLE_HASH);
    char *text =
        jk_sprintf ("%s\nentry %s\npath %s\n\n%s", JK_PROOF_MAGIC, e, h, note);
    free (e);
    free (h);
    return text;
}

/* A line "WORD N\n" at *p with N in 0..max, no leading zeros; advances *p.
   JK_OK or JK_INVALID. */
static int s_number_line (const char **p, const char *end, const char *word,
                          size_t max, size_t *value)
{
    size_t wl = strlen (word);
    const char *q = *p;
    if ((size_t)(end - q) < wl + 2 || memcmp (q, word, wl) || q[wl] != ' ')
        return JK_INVALID;
    q += wl + 1;
    const char *digits = q;
    size_t v = 0;
    while (q < end && *q >= '0' && *q <= '9' && q - digits < 6)
        v = v * 10 + (size_t)(*q++ - '0');
    if (q == digits || q >= end || *q != '\n' || v > max ||
        (*digits == '0' && q - digits > 1))
        return JK_INVALID;
    *value = v;
    *p = q + 1;
    return JK_OK;
}

int jk_consistency_parse (const char *text, size_t size, jk_consistency_t *out,
                          char *err, size_t err_size)
{
    memset (out, 0, sizeof *out);
    if (size > JK_CONSISTENCY_MAX)
        return s_fail (err, err_size, "consistency proof: longer than %d bytes",
                       JK_CONSISTENCY_MAX);
    const char *p = text, *end = text + size;
    size_t magic = strlen (JK_CONSISTENCY_MAGIC);
    if (size < magic + 1 || memcmp (p, JK_CONSISTENCY_MAGIC, magic) ||
        p[magic] != '\n')
        return s_fail (err, err_size, "line 1: must be %s",
                       JK_CONSISTENCY_MAGIC);
    p += magic + 1;
    const char *names[2] = {"old", "new"};
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        if (s_number_line (&p, end, names[i], JK_NOTE_MAX, &len) != JK_OK ||
            len == 0)
            return s_fail (err, err_size,
                           "'%s BYTES': must be the %s checkpoint's length, "
                           "1 to %d in decimal",
                           names[i], i ? "newer" : "older", JK_NOTE_MAX);
        if ((size_t)(end - p) < len)
            return s_fail (err, err_size,
                           "the %s checkpoint runs past the end (%zu bytes "
                           "said)",
                           i ? "newer" : "older", len);
        if (p[len - 1] != '\n')
            return s_fail (err, err_size,
                           "the %s checkpoint must end with a newline",
                           i ? "newer" : "older");
        if (i == 0) {
            out->old_note = p;
            out->old_len = len;
        } else {
            out->new_note = p;
            out->new_len = len;
        }
        p += len;
    }
    size_t count = 0;
    if (s_number_line (&p, end, "hashes", JK_MERKLE_PROOF_MAX, &count) != JK_OK)
        return s_fail (err, err_size,
                       "'hashes COUNT': must be the number of proof hashes, "
                       "0 to %d in decimal",
                       JK_MERKLE_PROOF_MAX);
    for (size_t i = 0; i < count; i++) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        size_t got = 0;
        uint8_t *hash = nl && nl - p == 44 ? s_unb64 (p, 44, &got) : NULL;
        if (!hash || got != JK_MERKLE_HASH) {
            free (hash);
            return s_fail (err, err_size,
                           "hash %zu: must be a 32-byte hash in 44 characters "
                           "of standard padded base64 and a newline",
                           i + 1);
        }
        memcpy (out->path[i], hash, JK_MERKLE_HASH);
        free (hash);
        p = nl + 1;
    }
    out->count = count;
    if (p != end)
        return s_fail (err, err_size,
                       "after hash %zu: nothing may follow the last hash",
                       count);
    return JK_OK;
}

char *jk_consistency_format (const char *old_note, size_t old_len,
                             const char *new_note, size_t new_len,
                             const uint8_t *path, size_t count)
{
    /* Built with memcpy: a note is bytes, whatever it holds. */
    char *text = jk_malloc (strlen (JK_CONSISTENCY_MAGIC) + old_len + new_len +
                            count * 45 + 3 * 32);
    char *at =
        text + sprintf (text, "%s\nold %zu\n", JK_CONSISTENCY_MAGIC, old_len);
    memcpy (at, old_note, old_len);
    at += old_len;
    at += sprintf (at, "new %zu\n", new_len);
    memcpy (at, new_note, new_len);
    at += new_len;
    at += sprintf (at, "hashes %zu\n", count);
    for (size_t i = 0; i < count; i++) {
        char *h = s_b64 (path + i * JK_MERKLE_HASH, JK_MERKLE_HASH);
        memcpy (at, h, 44);
        at[44] = '\n';
        at += 45;
        free (h);
    }
    *at = 0;
    return text;
}
