/*  fuzz_cert.c - libFuzzer target for the certificate files of a keys
    directory (DIR/offices/NAME.cert, zcert's ZPL text with Jejak's
    metadata): the input is one such file. jk_keys_list and the broker's
    keyring (jk_keyring_new) read it: a file zcert cannot load is skipped;
    a loaded one gives a key whose texts end within their fields and
    whose metadata are the file's (none cut short; a key whose metadata
    are not Jejak's has no role and may submit nothing), that the keyring
    finds by its public key, and that answers the submit rule
    (jk_key_permits) with a reason whenever it refuses. */
#include "check.h"
#include "jk_base.h"
#include "jk_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_ENDS(field) S_CHECK (memchr ((field), 0, sizeof (field)) != NULL)

/* The key's copy of a metadata item is the file's, whole. */
static void s_same (zcert_t *cert, const char *name, const char *copy)
{
    const char *value = zcert_meta (cert, name);
    S_CHECK (strcmp (value ? value : "", copy) == 0);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    static char dir[64], offices[96], file[128];
    if (!dir[0]) {
        snprintf (dir, sizeof dir, "/tmp/jejak-fuzz-cert-%d", (int)getpid ());
        snprintf (offices, sizeof offices, "%s/offices", dir);
        snprintf (file, sizeof file, "%s/32.03.10_pacet-1.cert", offices);
        mkdir (dir, 0700);
        mkdir (offices, 0700);
    }
    s_input_file (file, data, size, 0644);

    zcert_t *cert = zcert_load (file);
    zlistx_t *list = jk_keys_list (dir);
    S_CHECK (zlistx_size (list) == (cert ? 1u : 0u));
    jk_keyring_t *ring = jk_keyring_new (offices);
    S_CHECK (jk_keyring_size (ring) == zlistx_size (list));
    for (jk_key_t *k = zlistx_first (list); k; k = zlistx_next (list)) {
        S_ENDS (k->public_key);
        S_ENDS (k->fingerprint);
        S_ENDS (k->office);
        S_ENDS (k->domain);
        S_ENDS (k->device);
        S_ENDS (k->created);
        S_ENDS (k->file);
        S_CHECK (!k->revoked);
        S_CHECK (jk_keyring_lookup (ring, k->public_key) != NULL);
        jk_key_t again;
        int rc = jk_key_from_cert (cert, &again);
        S_CHECK (again.role == k->role && again.domains == k->domains);
        if (rc == JK_OK) {
            s_same (cert, "office", k->office);
            s_same (cert, "domain", k->domain);
            s_same (cert, "device", k->device);
            s_same (cert, "created", k->created);
            S_CHECK (k->role != JK_KEY_OFFICE || k->domains != 0);
        } else
            S_CHECK (k->role == 0 && k->domains == 0);
        char why[256] = "";
        if (jk_key_permits (k, "32.03.10/pacet-1", "attendance.recorded", why,
                            sizeof why) != JK_OK)
            S_CHECK (why[0]);
        why[0] = 0;
        if (jk_key_permits_origin (k, "32.03", why, sizeof why) != JK_OK)
            S_CHECK (why[0]);
    }
    jk_keyring_destroy (&ring);
    zlistx_destroy (&list);
    zcert_destroy (&cert);
    unlink (file);
    return 0;
}
