/*  keys.c - the key store (jk_keys.h): CURVE certificates made and read by
    czmq's zcert, metadata binding each office key to an office and a
    domain, and revocation by moving a public certificate out of the
    directory the broker loads (its keyring: keyring.c; the signed-note
    keys: keys_note.c). jejak-keys and the broker actor call it. No secret
    key ever reaches a log line or a message. */
#include "jk_schema.h"
#include "keys_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Metadata names in the certificates. */
#define S_META_ROLE    "jejak-role"
#define S_META_OFFICE  "office"
#define S_META_DOMAIN  "domain"
#define S_META_DEVICE  "device"
#define S_META_CREATED "created"

/* ---- small helpers ------------------------------------------------------- */

void jk_keys_fail (char *err, size_t err_size, const char *format, ...)
{
    if (!err || !err_size)
        return;
    va_list ap;
    va_start (ap, format);
    vsnprintf (err, err_size, format, ap);
    va_end (ap);
}

/* Creates a directory with mode unless it exists. */
static int s_mkdir (const char *path, mode_t mode, char *err, size_t err_size)
{
    if (mkdir (path, mode) == 0 || errno == EEXIST)
        return JK_OK;
    jk_keys_fail (err, err_size, "cannot create directory %s: %s", path,
                  strerror (errno));
    return JK_IO;
}

/* Creates DIR and its sub-directories. */
int jk_keys_layout (const char *dir, char *err, size_t err_size)
{
    if (s_mkdir (dir, 0700, err, err_size))
        return JK_IO;
    const char *subs[] = {JK_KEYS_OFFICES, JK_KEYS_ISSUED, JK_KEYS_REVOKED};
    for (size_t i = 0; i < 3; i++) {
        char *path = jk_sprintf ("%s/%s", dir, subs[i]);
        /* issued/ holds secrets: owner only. */
        int rc = s_mkdir (path, i == 1 ? 0700 : 0755, err, err_size);
        free (path);
        if (rc)
            return rc;
    }
    return JK_OK;
}

bool jk_keys_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

/* Writes a certificate's secret file (0600: the umask is narrowed for the
   write, so the file is never readable by others, not even briefly) and,
   when public_path is set, its public file (0644). */
static int s_save (zcert_t *cert, const char *secret_path,
                   const char *public_path, char *err, size_t err_size)
{
    mode_t old = umask (077);
    int rc = zcert_save_secret (cert, secret_path);
    umask (old);
    if (rc == 0)
        rc = chmod (secret_path, 0600);
    if (rc != 0) {
        jk_keys_fail (err, err_size, "cannot write %s: %s", secret_path,
                      strerror (errno));
        return JK_IO;
    }
    if (public_path) {
        if (zcert_save_public (cert, public_path) != 0 ||
            chmod (public_path, 0644) != 0) {
            jk_keys_fail (err, err_size, "cannot write %s: %s", public_path,
                          strerror (errno));
            unlink (secret_path);
            return JK_IO;
        }
    }
    return JK_OK;
}

static void s_now_iso (char out[32])
{
    time_t now = (time_t)(jk_clock_now_ms () / 1000);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Device and reader names: 1..32 of [A-Za-z0-9._-], not starting with a
   dot (they become file names). */
static bool s_name_ok (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > 32 || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

/* ---- metadata -------------------------------------------------------------
 */

static unsigned s_domains (const char *domain)
{
    if (streq (domain, "all"))
        return JK_DOMAIN_REGISTRATION | JK_DOMAIN_ATTENDANCE |
               JK_DOMAIN_SCORING;
    return jk_domain_parse (domain);
}

/* Copies a metadata item into out; false when it does not fit (a value
   cut short could name another office). */
static bool s_copy_meta (zcert_t *cert, const char *name, char *out,
                         size_t size)
{
    const char *value = zcert_meta (cert, name);
    return (size_t)snprintf (out, size, "%s", value ? value : "") < size;
}

/* The role and domains of a certificate whose metadata are whole and
   Jejak's; JK_INVALID otherwise (role and domains left 0). */
static int s_key_role (zcert_t *cert, jk_key_t *out, bool whole)
{
    const char *role = zcert_meta (cert, S_META_ROLE);
    if (!whole || !role)
        return JK_INVALID;
    if (streq (role, "reader")) {
        out->role = JK_KEY_READER;
        return JK_OK;
    }
    if (streq (role, "link")) {
        out->role = JK_KEY_LINK;
        return out->office[0] ? JK_OK : JK_INVALID;
    }
    if (!streq (role, "office") || !out->office[0])
        return JK_INVALID;
    out->role = JK_KEY_OFFICE;
    out->domains = s_domains (out->domain);
    if (!out->domains ||
        (streq (out->domain, "all") && !streq (out->office, "DINAS")))
        return JK_INVALID;
    return JK_OK;
}

int jk_key_from_cert (zcert_t *cert, jk_key_t *out)
{
    assert (cert && out);
    memset (out, 0, sizeof *out);
    snprintf (out->public_key, sizeof out->public_key, "%s",
              zcert_public_txt (cert));
    jk_hex_format (zcert_public_key (cert), 8, out->fingerprint);
    bool whole =
        s_copy_meta (cert, S_META_OFFICE, out->office, sizeof out->office);
    whole &= s_copy_meta (cert, S_META_DOMAIN, out->domain, sizeof out->domain);
    whole &= s_copy_meta (cert, S_META_DEVICE, out->device, sizeof out->device);
    whole &=
        s_copy_meta (cert, S_META_CREATED, out->created, sizeof out->created);
    if (s_key_role (cert, out, whole) == JK_OK)
        return JK_OK;
    /* Not Jejak's: the keyring keeps it to name it, and it may submit
       nothing (an office key "all" of another office than DINAS was
       let submit every domain's events of its office). */
    out->role = 0;
    out->domains = 0;
    return JK_INVALID;
}

/* ---- init, enrol, reader ----------------------------------------------------
 */

int jk_keys_init (const char *dir, bool force, char *err, size_t err_size)
{
    assert (dir);
    int rc = jk_keys_layout (dir, err, err_size);
    if (rc)
        return rc;
    char *secret = jk_sprintf ("%s/%s", dir, JK_KEYS_BROKER_SECRET);
    char *public = jk_sprintf ("%s/%s", dir, JK_KEYS_BROKER_PUBLIC);
    zcert_t *cert = NULL;
    if (!force && (jk_keys_exists (secret) || jk_keys_exists (public))) {
        jk_keys_fail (
            err, err_size,
            "%s already holds a broker key pair (init --force replaces "
            "it; every agent then needs the new %s)",
            dir, JK_KEYS_BROKER_PUBLIC);
        rc = JK_CONFLICT;
        goto cleanup;
    }
    cert = zcert_new ();
    char created[32];
    s_now_iso (created);
    zcert_set_meta (cert, S_META_ROLE, "%s", "broker");
    zcert_set_meta (cert, S_META_CREATED, "%s", created);
    rc = s_save (cert, secret, public, err, err_size);
cleanup:
    zcert_destroy (&cert);
    free (secret);
    free (public);
    return rc;
}

/* Makes and writes one client certificate named stem, into a keys
   directory that init made: a key issued anywhere else (a mistyped
   --dir) would be admitted by no broker. */
static int s_issue (const char *dir, const char *stem, const char *role,
                    const char *office, const char *domain, const char *device,
                    jk_key_t *out, char *secret_path, size_t secret_size,
                    char *err, size_t err_size)
{
    char *broker = jk_sprintf ("%s/%s", dir, JK_KEYS_BROKER_PUBLIC);
    bool made = jk_keys_exists (broker);
    free (broker);
    if (!made) {
        jk_keys_fail (err, err_size,
                      "%s holds no broker key pair (%s), so no broker would "
                      "admit a key issued there: make it with jejak-keys "
                      "init --dir %s first",
                      dir, JK_KEYS_BROKER_PUBLIC, dir);
        return JK_NOT_FOUND;
    }
    int rc = jk_keys_layout (dir, err, err_size);
    if (rc)
        return rc;
    char *public = jk_sprintf ("%s/%s/%s.cert", dir, JK_KEYS_OFFICES, stem);
    char *secret = jk_sprintf ("%s/%s/%s.key", dir, JK_KEYS_ISSUED, stem);
    zcert_t *cert = NULL;
    if (jk_keys_exists (public)) {
        jk_keys_fail (
            err, err_size,
            "%s is enrolled already (%s); revoke it first to issue a new "
            "key",
            stem, public);
        rc = JK_CONFLICT;
        goto cleanup;
    }
    cert = zcert_new ();
    char created[32];
    s_now_iso (created);
    zcert_set_meta (cert, S_META_ROLE, "%s", role);
    if (office)
        zcert_set_meta (cert, S_META_OFFICE, "%s", office);
    zcert_set_meta (cert, S_META_DOMAIN, "%s", domain);
    zcert_set_meta (cert, S_META_DEVICE, "%s", device);
    zcert_set_meta (cert, S_META_CREATED, "%s", created);
    /* The secret first: a public certificate without its secret would
       admit a key nobody holds. */
    rc = s_save (cert, secret, public, err, err_size);
    if (rc)
        goto cleanup;
    if (out) {
        jk_key_from_cert (cert, out);
        snprintf (out->file, sizeof out->file, "%s.cert", stem);
    }
    if (secret_path)
        snprintf (secret_path, secret_size, "%s", secret);
cleanup:
    zcert_destroy (&cert);
    free (public);
    free (secret);
    return rc;
}

int jk_keys_enrol (const char *dir, const char *office, const char *domain,
                   const char *device, jk_key_t *out, char *secret_path,
                   size_t secret_size, char *err, size_t err_size)
{
    assert (dir && office && domain && device);
    bool dinas = streq (office, "DINAS");
    if (!dinas && !jk_region_kecamatan (jk_region_default (), office)) {
        jk_keys_fail (err, err_size,
                      "--office %s: not a kecamatan code of the reference data "
                      "(e.g. 32.03.10) nor DINAS",
                      office);
        return JK_INVALID;
    }
    if (!s_domains (domain)) {
        jk_keys_fail (
            err, err_size,
            "--domain %s: must be registration, attendance, scoring or "
            "all",
            domain);
        return JK_INVALID;
    }
    if (streq (domain, "all") && !dinas) {
        jk_keys_fail (err, err_size,
                      "--domain all: only DINAS keys may submit every domain; "
                      "office %s needs registration, attendance or scoring",
                      office);
        return JK_INVALID;
    }
    if (!s_name_ok (device)) {
        jk_keys_fail (err, err_size,
                      "--device %s: must be 1 to 32 of A-Z a-z 0-9 . _ - "
                      "(not starting with '.')",
                      device);
        return JK_INVALID;
    }
    char stem[96];
    snprintf (stem, sizeof stem, "%s_%s", office, device);
    return s_issue (dir, stem, "office", office, domain, device, out,
                    secret_path, secret_size, err, err_size);
}

int jk_keys_reader (const char *dir, const char *name, jk_key_t *out,
                    char *secret_path, size_t secret_size, char *err,
                    size_t err_size)
{
    assert (dir && name);
    if (!s_name_ok (name)) {
        jk_keys_fail (err, err_size,
                      "--name %s: must be 1 to 32 of A-Z a-z 0-9 . _ - (not "
                      "starting with '.')",
                      name);
        return JK_INVALID;
    }
    char stem[64];
    snprintf (stem, sizeof stem, "reader_%s", name);
    return s_issue (dir, stem, "reader", NULL, "read", name, out, secret_path,
                    secret_size, err, err_size);
}

int jk_keys_link (const char *dir, const char *area, jk_key_t *out,
                  char *secret_path, size_t secret_size, char *err,
                  size_t err_size)
{
    assert (dir && area);
    if (!jk_region_area_valid (area) ||
        !jk_region_province (jk_region_default (), atoi (area))) {
        jk_keys_fail (err, err_size,
                      "--area %s: must be a kabupaten code NN.NN (32.03) or a "
                      "province code NN (32) of the reference data",
                      area);
        return JK_INVALID;
    }
    char stem[32];
    snprintf (stem, sizeof stem, "link_%s", area);
    return s_issue (dir, stem, "link", area, "link", stem, out, secret_path,
                    secret_size, err, err_size);
}

/* ---- list, revoke
 * ------------------------------------------------------------ */

void jk_keys_key_free (void **item)
{
    free (*item);
    *item = NULL;
}

static int s_name_compare (const void *a, const void *b)
{
    return strcmp (((const jk_key_t *)a)->file, ((const jk_key_t *)b)->file);
}

/* Appends the certificates (*.cert) of one directory to list, sorted. */
void jk_keys_scan (const char *path, bool revoked, zlistx_t *list)
{
    DIR *d = opendir (path);
    if (!d)
        return;
    zlistx_t *found = zlistx_new ();
    zlistx_set_comparator (found, s_name_compare);
    struct dirent *entry;
    while ((entry = readdir (d)) != NULL) {
        size_t len = strlen (entry->d_name);
        if (len < 6 || strcmp (entry->d_name + len - 5, ".cert") != 0)
            continue;
        char *file = jk_sprintf ("%s/%s", path, entry->d_name);
        zcert_t *cert = zcert_load (file);
        free (file);
        if (!cert) {
            jk_warn (S_COMPONENT, "unreadable certificate %s/%s skipped", path,
                     entry->d_name);
            continue;
        }
        jk_key_t *key = jk_calloc (1, sizeof *key);
        if (jk_key_from_cert (cert, key) != JK_OK)
            jk_warn (S_COMPONENT,
                     "certificate %s/%s has no Jejak office or reader "
                     "metadata: it may submit nothing",
                     path, entry->d_name);
        snprintf (key->file, sizeof key->file, "%s", entry->d_name);
        key->revoked = revoked;
        zlistx_add_end (found, key);
        zcert_destroy (&cert);
    }
    closedir (d);
    zlistx_sort (found);
    for (void *k = zlistx_first (found); k; k = zlistx_next (found))
        zlistx_add_end (list, k);
    zlistx_destroy (&found);
}

zlistx_t *jk_keys_list (const char *dir)
{
    assert (dir);
    zlistx_t *list = zlistx_new ();
    zlistx_set_destructor (list, jk_keys_key_free);
    char *path = jk_sprintf ("%s/%s", dir, JK_KEYS_OFFICES);
    jk_keys_scan (path, false, list);
    free (path);
    path = jk_sprintf ("%s/%s", dir, JK_KEYS_REVOKED);
    jk_keys_scan (path, true, list);
    free (path);
    return list;
}

/* True when key answers to the name what (see jk_keys_revoke). */
static bool s_matches (const jk_key_t *key, const char *what)
{
    size_t len = strlen (what);
    if (streq (key->public_key, what) || streq (key->file, what))
        return true;
    if (len >= 8 && len <= 16 && strncasecmp (key->fingerprint, what, len) == 0)
        return true;
    if (streq (key->device, what))
        return true;
    char both[96];
    snprintf (both, sizeof both, "%s/%s", key->office, key->device);
    return key->office[0] && streq (both, what);
}

int jk_keys_revoke (const char *dir, const char *what, jk_key_t *out, char *err,
                    size_t err_size)
{
    assert (dir && what);
    zlistx_t *keys = jk_keys_list (dir);
    jk_key_t *found = NULL;
    size_t matches = 0;
    char names[512] = "";
    for (jk_key_t *k = zlistx_first (keys); k; k = zlistx_next (keys)) {
        if (k->revoked || !s_matches (k, what))
            continue;
        matches++;
        found = k;
        size_t used = strlen (names);
        snprintf (names + used, sizeof names - used, "%s%s", used ? ", " : "",
                  k->file);
    }
    int rc = JK_OK;
    if (matches == 0) {
        jk_keys_fail (err, err_size,
                      "no enrolled key matches \"%s\" (give a fingerprint, "
                      "OFFICE/DEVICE, a device or reader name; see list)",
                      what);
        rc = JK_NOT_FOUND;
    } else if (matches > 1) {
        jk_keys_fail (err, err_size,
                      "\"%s\" matches %zu keys (%s): give a fingerprint or "
                      "OFFICE/DEVICE",
                      what, matches, names);
        rc = JK_CONFLICT;
    } else {
        rc = jk_keys_layout (dir, err, err_size);
        char *from = jk_sprintf ("%s/%s/%s", dir, JK_KEYS_OFFICES, found->file);
        /* Revoked names carry the time so a device can be revoked again
           after it was re-enrolled. */
        char stamp[32];
        s_now_iso (stamp);
        for (char *p = stamp; *p; p++)
            if (*p == ':')
                *p = '-';
        size_t stem = strlen (found->file) - 5;
        char *to = jk_sprintf ("%s/%s/%.*s.%s.cert", dir, JK_KEYS_REVOKED,
                               (int)stem, found->file, stamp);
        for (int n = 2; jk_keys_exists (to) && n < 1000; n++) {
            free (to);
            to = jk_sprintf ("%s/%s/%.*s.%s-%d.cert", dir, JK_KEYS_REVOKED,
                             (int)stem, found->file, stamp, n);
        }
        if (rc == JK_OK && rename (from, to) != 0) {
            jk_keys_fail (err, err_size, "cannot move %s to %s: %s", from, to,
                          strerror (errno));
            rc = JK_IO;
        }
        if (rc == JK_OK && out) {
            *out = *found;
            out->revoked = true;
        }
        free (from);
        free (to);
    }
    zlistx_destroy (&keys);
    return rc;
}
