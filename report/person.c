/*  person.c - how people appear in reports: NIKs masked unless asked, and a
    stable pseudonymous key per person (HMAC-SHA256 of the NIK under a key
    kept with the hub's keys, DIR/person.key), so masked tables can still be
    joined without the NIK (docs/REPORTS.md, "Privasi"). */
#include "jk_base.h"
#include "jk_report.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void jk_person_key (const uint8_t key[32], const char *nik, char out[15])
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC (EVP_sha256 (), key, 32, (const unsigned char *)nik, strlen (nik), mac,
          &len);
    char hex[65];
    jk_hex_format (mac, 6, hex);
    out[0] = 'P';
    out[1] = '-';
    for (int i = 0; i < 12; i++)
        out[2 + i] = (char)(hex[i] >= 'a' ? hex[i] - 'a' + 'A' : hex[i]);
    out[14] = 0;
}

int jk_person_key_load (const char *dir, uint8_t key[32], char *err,
                        size_t err_size)
{
    char *path = jk_sprintf ("%s/%s", dir, JK_PERSON_KEY_FILE);
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, err_size,
                  "%s: cannot read: %s (create it with jejak-report "
                  "person-key --keys %s)",
                  path, strerror (errno), dir);
        free (path);
        return JK_IO;
    }
    char text[80] = "";
    bool ok = fgets (text, sizeof text, f) != NULL;
    fclose (f);
    text[strcspn (text, "\r\n")] = 0;
    if (!ok || strlen (text) != 64 || jk_hex_parse (text, key, 32) != JK_OK) {
        snprintf (err, err_size, "%s: must hold 64 hex digits (32 bytes)",
                  path);
        free (path);
        return JK_INVALID;
    }
    free (path);
    return JK_OK;
}

int jk_person_key_create (const char *dir, char *err, size_t err_size)
{
    uint8_t key[32];
    if (RAND_bytes (key, sizeof key) != 1) {
        snprintf (err, err_size, "no random bytes for the key");
        return JK_IO;
    }
    char hex[65];
    jk_hex_format (key, 32, hex);
    char *path = jk_sprintf ("%s/%s", dir, JK_PERSON_KEY_FILE);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf (err, err_size, "%s: %s%s", path, strerror (errno),
                  errno == EEXIST ? " (a key is never replaced: reports "
                                    "would no longer join)"
                                  : "");
        free (path);
        return JK_IO;
    }
    bool ok = write (fd, hex, 64) == 64 && write (fd, "\n", 1) == 1;
    ok = close (fd) == 0 && ok;
    if (!ok)
        snprintf (err, err_size, "%s: cannot write: %s", path,
                  strerror (errno));
    free (path);
    return ok ? JK_OK : JK_IO;
}

static void s_nik_view (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *nik = (const char *)sqlite3_value_text (argv[0]);
    if (!nik) {
        sqlite3_result_null (ctx);
        return;
    }
    bool *masked = sqlite3_user_data (ctx);
    size_t n = strlen (nik);
    if (!*masked || n != 16) {
        sqlite3_result_text (ctx, nik, -1, SQLITE_TRANSIENT);
        return;
    }
    char out[17];
    memcpy (out, nik, 4);
    memset (out + 4, '*', 8);
    memcpy (out + 12, nik + 12, 4);
    out[16] = 0;
    sqlite3_result_text (ctx, out, 16, SQLITE_TRANSIENT);
}

static void s_person_key (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const uint8_t *key = sqlite3_user_data (ctx);
    const char *nik = (const char *)sqlite3_value_text (argv[0]);
    if (!key || !nik) {
        sqlite3_result_null (ctx);
        return;
    }
    char out[15];
    jk_person_key (key, nik, out);
    sqlite3_result_text (ctx, out, 14, SQLITE_TRANSIENT);
}

int jk_report_functions (sqlite3 *db, bool masked, const uint8_t *key)
{
    static bool s_masked, s_clear;
    s_masked = true;
    s_clear = false;
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    if (sqlite3_create_function (db, "nik_view", 1, flags,
                                 masked ? &s_masked : &s_clear, s_nik_view,
                                 NULL, NULL) != SQLITE_OK)
        return JK_IO;
    return sqlite3_create_function (db, "person_key", 1, flags, (void *)key,
                                    s_person_key, NULL, NULL) == SQLITE_OK
               ? JK_OK
               : JK_IO;
}
