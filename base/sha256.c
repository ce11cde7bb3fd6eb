/*  sha256.c - SHA-256 with a reused EVP context (jk_sha256.h). Used by
    the hash chain (storage/log.c) and the Merkle tree (merkle.c). */
#include "jk_sha256.h"
#include "jk_base.h"

#include <assert.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

struct jk_sha256_s {
    EVP_MD *md;      /* SHA-256, fetched once */
    EVP_MD_CTX *ctx; /* reused for every digest */
};

jk_sha256_t *jk_sha256_new (void)
{
    jk_sha256_t *self = jk_calloc (1, sizeof *self);
    self->md = EVP_MD_fetch (NULL, "SHA256", NULL);
    self->ctx = EVP_MD_CTX_new ();
    if (!self->md || !self->ctx) {
        fprintf (stderr, "jejak: OpenSSL has no SHA-256\n");
        abort ();
    }
    return self;
}

void jk_sha256_destroy (jk_sha256_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_sha256_t *self = *self_p;
    EVP_MD_CTX_free (self->ctx);
    EVP_MD_free (self->md);
    free (self);
    *self_p = NULL;
}

void jk_sha256_begin (jk_sha256_t *self)
{
    int ok = EVP_DigestInit_ex (self->ctx, self->md, NULL);
    assert (ok);
    (void)ok;
}

void jk_sha256_add (jk_sha256_t *self, const void *data, size_t size)
{
    int ok = EVP_DigestUpdate (self->ctx, data, size);
    assert (ok);
    (void)ok;
}

void jk_sha256_end (jk_sha256_t *self, uint8_t out[JK_SHA256_SIZE])
{
    unsigned int out_len = 0;
    int ok = EVP_DigestFinal_ex (self->ctx, out, &out_len);
    assert (ok && out_len == JK_SHA256_SIZE);
    (void)ok;
}
