/*  jk_sha256.h - SHA-256 through OpenSSL's EVP with the digest fetched
    once and one context reused: the log's hash chain and the Merkle tree
    hash many small pieces, so each keeps one of these. */
#ifndef JK_SHA256_H
#define JK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define JK_SHA256_SIZE 32

typedef struct jk_sha256_s jk_sha256_t;

/* Aborts the process when OpenSSL has no SHA-256 (nothing Jejak stores
   could be checked without it). */
jk_sha256_t *jk_sha256_new (void);
void jk_sha256_destroy (jk_sha256_t **self_p);

/* One digest: begin, add the pieces in order, end. Over memory these
   cannot fail short of a broken OpenSSL (asserted). */
void jk_sha256_begin (jk_sha256_t *self);
void jk_sha256_add (jk_sha256_t *self, const void *data, size_t size);
void jk_sha256_end (jk_sha256_t *self, uint8_t out[JK_SHA256_SIZE]);

#endif
