/*  keys_internal.h - helpers shared by the key store's files only
    (keys.c: certificates, enrolment, list, revoke; keys_note.c: the
    log's and the witnesses' signing keys; keyring.c: the broker's
    keyring and the rules of what a key may do). Not part of jk_keys.h. */
#ifndef JK_KEYS_INTERNAL_H
#define JK_KEYS_INTERNAL_H

#include "jk_base.h"
#include "jk_keys.h"

#define S_COMPONENT "keys"

/* Writes a message into err (when given). */
void jk_keys_fail (char *err, size_t err_size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Creates DIR and its sub-directories; JK_OK or JK_IO with err set. */
int jk_keys_layout (const char *dir, char *err, size_t err_size);
bool jk_keys_exists (const char *path);
/* Appends the certificates (*.cert) of one directory to list, sorted. */
void jk_keys_scan (const char *path, bool revoked, zlistx_t *list);
/* The destructor of a list's or table's jk_key_t. */
void jk_keys_key_free (void **item);

#endif
