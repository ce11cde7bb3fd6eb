/*  keyring.c - what a key may do: the per-event rule (office, domain),
    the origin a link key may forward, and the broker's keyring of
    enrolled keys, reloaded when their directory changes. */
#include "jk_schema.h"
#include "keys_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int jk_key_permits_origin (const jk_key_t *key, const char *origin, char *why,
                           size_t why_size)
{
    assert (key && origin);
    if (key->role != JK_KEY_LINK) {
        jk_keys_fail (
            why, why_size,
            "key %s (%s) is not a link key: only a key made by jejak-keys "
            "link may forward records",
            key->fingerprint, key->device);
        return JK_INVALID;
    }
    size_t n = strlen (key->office);
    if (strncmp (origin, key->office, n) != 0 ||
        (origin[n] != 0 && origin[n] != '.')) {
        jk_keys_fail (
            why, why_size,
            "origin %s is not inside area %s of link key %s (a regency "
            "forwards only its own log)",
            origin, key->office, key->fingerprint);
        return JK_INVALID;
    }
    return JK_OK;
}

/* ---- the per-event rule -----------------------------------------------------
 */

int jk_key_permits (const jk_key_t *key, const char *source, const char *type,
                    char *why, size_t why_size)
{
    assert (key && source && type);
    if (key->role != JK_KEY_OFFICE) {
        jk_keys_fail (why, why_size,
                      "key %s (%s) is %s: it may not submit events",
                      key->fingerprint, key->device,
                      key->role == JK_KEY_READER ? "a read-only reader key"
                                                 : "not bound to an office");
        return JK_INVALID;
    }
    char office[JK_SOURCE_MAX + 1];
    jk_source_office (source, strlen (source), office, sizeof office);
    if (!streq (key->office, "DINAS") && !streq (office, key->office)) {
        jk_keys_fail (
            why, why_size,
            "source %s is office %s but key %s is enrolled for office %s "
            "(an office submits only its own events)",
            source, office, key->fingerprint, key->office);
        return JK_INVALID;
    }
    const jk_type_t *t = jk_vocabulary_find (type, strlen (type));
    if (t && !(t->domain & key->domains)) {
        jk_keys_fail (
            why, why_size,
            "type %s is of the %s domain but key %s (%s/%s) is enrolled "
            "for %s",
            type, jk_domain_name (t->domain), key->fingerprint, key->office,
            key->device, key->domain);
        return JK_INVALID;
    }
    return JK_OK;
}

/* ---- keyring
 * ------------------------------------------------------------------ */

struct jk_keyring_s {
    char *dir;             /* directory of public certificates */
    zhashx_t *keys;        /* Z85 public key -> jk_key_t */
    struct timespec mtime; /* directory modification time at load */
    bool loaded_exists;    /* the directory existed at load */
};

static void s_keyring_load (jk_keyring_t *self)
{
    zhashx_purge (self->keys);
    struct stat st;
    self->loaded_exists = stat (self->dir, &st) == 0;
    if (self->loaded_exists)
        self->mtime = st.st_mtim;
    zlistx_t *list = zlistx_new ();
    zlistx_set_destructor (list, jk_keys_key_free);
    jk_keys_scan (self->dir, false, list);
    for (jk_key_t *k = zlistx_first (list); k; k = zlistx_next (list)) {
        jk_key_t *copy = jk_calloc (1, sizeof *copy);
        *copy = *k;
        zhashx_update (self->keys, copy->public_key, copy);
    }
    zlistx_destroy (&list);
}

jk_keyring_t *jk_keyring_new (const char *dir)
{
    assert (dir);
    jk_keyring_t *self = jk_calloc (1, sizeof *self);
    self->dir = jk_strdup (dir);
    self->keys = zhashx_new ();
    zhashx_set_destructor (self->keys, jk_keys_key_free);
    s_keyring_load (self);
    return self;
}

void jk_keyring_destroy (jk_keyring_t **self_p)
{
    assert (self_p);
    jk_keyring_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->keys);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

bool jk_keyring_refresh (jk_keyring_t *self, bool force)
{
    assert (self);
    struct stat st;
    bool exists = stat (self->dir, &st) == 0;
    if (!force && exists == self->loaded_exists &&
        (!exists || (st.st_mtim.tv_sec == self->mtime.tv_sec &&
                     st.st_mtim.tv_nsec == self->mtime.tv_nsec)))
        return false;
    s_keyring_load (self);
    return true;
}

const jk_key_t *jk_keyring_lookup (jk_keyring_t *self, const char *public_key)
{
    assert (self);
    if (!public_key)
        return NULL;
    return (const jk_key_t *)zhashx_lookup (self->keys, public_key);
}

size_t jk_keyring_size (jk_keyring_t *self)
{
    assert (self);
    return zhashx_size (self->keys);
}
