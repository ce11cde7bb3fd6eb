/*  checkpoints.c - the hub's signed checkpoints (jk_checkpoints.h): the
    log key, table checkpoint in the log's database, signing and storing
    each note in its own transaction, and the newest for readers. */
#include "jk_checkpoints.h"
#include "jk_store.h"
#include "jk_tiles.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct jk_signer_s {
    sqlite3 *db;
    char origin[JK_NOTE_NAME_MAX];
    uint8_t seed[32];
    uint64_t size; /* the newest checkpoint's tree size */
    char *note;    /* and its text with its cosignatures, NULL when none */
    jk_note_signer_t witnesses[JK_NOTE_SIGS_MAX - 1];
    int witness_count;
};

static const char s_create[] = "CREATE TABLE IF NOT EXISTS checkpoint ("
                               " size INTEGER PRIMARY KEY,"
                               " signed_at INTEGER NOT NULL,"
                               " note TEXT NOT NULL);"
                               "CREATE TABLE IF NOT EXISTS cosignature ("
                               " size INTEGER NOT NULL,"
                               " witness TEXT NOT NULL,"
                               " cosigned_at INTEGER NOT NULL,"
                               " line TEXT NOT NULL,"
                               " PRIMARY KEY (size, witness))";

char *jk_log_key_path (const char *keys_dir, const char *given)
{
    if (given && *given)
        return jk_strdup (given);
    if (!keys_dir)
        return NULL;
    char *path = jk_sprintf ("%s/log.key", keys_dir);
    if (access (path, F_OK) == 0)
        return path;
    free (path);
    return NULL;
}

/* The stored checkpoint of size (newest: the newest, size unused) with
   the cosignature lines stored for it, in the witnesses' name order. A
   size of 0 is the empty tree's, signed when a signing hub starts on an
   empty log. */
static char *s_stored (sqlite3 *db, uint64_t size, bool newest)
{
    static const char *const sql[] = {
        "SELECT c.note || coalesce((SELECT group_concat(line, '') FROM"
        " (SELECT line FROM cosignature s WHERE s.size = c.size"
        " ORDER BY witness)), '')"
        " FROM checkpoint c WHERE ?2 OR c.size = ?1"
        " ORDER BY c.size DESC LIMIT 1",
        /* A database from before the witnesses. */
        "SELECT note FROM checkpoint WHERE ?2 OR size = ?1"
        " ORDER BY size DESC LIMIT 1"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2 (db, sql[i], -1, &stmt, NULL) != SQLITE_OK)
            continue;
        char *note = NULL;
        sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)size);
        sqlite3_bind_int (stmt, 2, newest);
        if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0))
            note = jk_strdup ((const char *)sqlite3_column_text (stmt, 0));
        sqlite3_finalize (stmt);
        return note;
    }
    return NULL;
}

/* A small text file (at most 64 KiB), NUL-terminated; NULL when it
   cannot be read, with why in why ("No such file or directory", "is a
   directory", "larger than 64 KiB"). */
static char *s_read_text (const char *path, char *why, size_t why_size)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (why, why_size, "%s", strerror (errno));
        return NULL;
    }
    char *text = jk_malloc (65537);
    size_t n = fread (text, 1, 65536, file);
    int error = ferror (file) ? errno : 0;
    bool whole = feof (file);
    fclose (file);
    if (error || !whole) {
        snprintf (why, why_size, "%s",
                  error == EISDIR ? "is a directory"
                  : error         ? strerror (error)
                                  : "larger than 64 KiB");
        free (text);
        return NULL;
    }
    text[n] = 0;
    return text;
}

int jk_witnesses_read (const char *given, char **text, char *err,
                       size_t err_size)
{
    *text = NULL;
    if (!given || !*given)
        return JK_OK;
    /* Each item separated by commas: a verifier key (it holds a '+'), or
       a file of them. */
    char *list = jk_strdup ("");
    char *copy = jk_strdup (given);
    for (char *save = NULL, *item = strtok_r (copy, ",", &save); item;
         item = strtok_r (NULL, ",", &save)) {
        item += strspn (item, " \t\r\n");
        if (!*item)
            continue;
        char why[64] = "";
        char *file =
            strchr (item, '+') ? NULL : s_read_text (item, why, sizeof why);
        if (!strchr (item, '+') && !file) {
            snprintf (err, err_size, "--witnesses: cannot read %s: %s", item,
                      why);
            free (copy);
            free (list);
            return JK_IO;
        }
        char *more = jk_sprintf ("%s%s\n", list, file ? file : item);
        free (file);
        free (list);
        list = more;
    }
    free (copy);
    jk_note_signer_t witnesses[JK_NOTE_SIGS_MAX - 1];
    int count = 0;
    char why[256];
    if (jk_note_signers_parse (list, JK_NOTE_TYPE_COSIG, witnesses,
                               JK_NOTE_SIGS_MAX - 1, &count, why,
                               sizeof why) != JK_OK) {
        snprintf (err, err_size, "--witnesses: %s", why);
        free (list);
        return JK_INVALID;
    }
    *text = list;
    return JK_OK;
}

char *jk_checkpoint_newest (sqlite3 *db)
{
    return s_stored (db, 0, true);
}

char *jk_checkpoint_stored (sqlite3 *db, uint64_t size)
{
    return s_stored (db, size, false);
}

/* The newest stored checkpoint must be a head of the tree in db: JK_OK,
   or JK_INVALID with what differs. */
static int s_check_newest (jk_signer_t *self, uint64_t tree_size, char *err,
                           size_t err_size)
{
    if (!self->note)
        return JK_OK;
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char why[256];
    int rc = jk_checkpoint_parse (self->note, strlen (self->note), cp, why,
                                  sizeof why);
    if (rc != JK_OK)
        snprintf (err, err_size,
                  "the newest stored checkpoint does not parse: %s", why);
    else if (cp->size > tree_size) {
        snprintf (err, err_size,
                  "the log holds %llu records but a checkpoint of %llu was "
                  "signed: the log was cut (restored from an older backup?) "
                  "and is not signed again; run jejak-replay verify",
                  (unsigned long long)tree_size, (unsigned long long)cp->size);
        rc = JK_INVALID;
    } else {
        jk_tiles_t *tiles = jk_tiles_reader (self->db);
        uint8_t root[32];
        rc = jk_merkle_root (jk_tiles_node, tiles, jk_tiles_hasher (tiles),
                             cp->size, root);
        jk_tiles_destroy (&tiles);
        if (rc != JK_OK)
            snprintf (err, err_size,
                      "the tree at the newest checkpoint's size %llu cannot "
                      "be read",
                      (unsigned long long)cp->size);
        else if (memcmp (root, cp->root, 32) != 0) {
            snprintf (err, err_size,
                      "the log's tree head at %llu differs from the signed "
                      "checkpoint: the log was rewritten and is not signed "
                      "again; run jejak-replay verify",
                      (unsigned long long)cp->size);
            rc = JK_INVALID;
        }
    }
    free (cp);
    return rc;
}

jk_signer_t *jk_signer_new (sqlite3 *db, const char *key_path,
                            const char *witnesses, uint64_t tree_size,
                            char *err, size_t err_size)
{
    jk_signer_t *self = jk_calloc (1, sizeof *self);
    self->db = db;
    char *msg = NULL;
    int type = 0;
    if (jk_note_skey_load (key_path, self->origin, &type, self->seed, err,
                           err_size) != JK_OK)
        goto fail;
    if (type != JK_NOTE_TYPE_ED25519) {
        snprintf (err, err_size,
                  "%s is a witness's key (type 04), not the log's (jejak-keys "
                  "log-key)",
                  key_path);
        goto fail;
    }
    char why[256];
    if (witnesses &&
        jk_note_signers_parse (witnesses, JK_NOTE_TYPE_COSIG, self->witnesses,
                               JK_NOTE_SIGS_MAX - 1, &self->witness_count, why,
                               sizeof why) != JK_OK) {
        snprintf (err, err_size, "--witnesses: %s", why);
        goto fail;
    }
    if (sqlite3_exec (db, s_create, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf (err, err_size, "checkpoint table: %s",
                  msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        goto fail;
    }
    self->note = jk_checkpoint_newest (db);
    if (s_check_newest (self, tree_size, err, err_size) != JK_OK)
        goto fail;
    if (self->note) {
        jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
        if (jk_checkpoint_parse (self->note, strlen (self->note), cp, why,
                                 sizeof why) == JK_OK)
            self->size = cp->size;
        free (cp);
    }
    return self;
fail:
    jk_signer_destroy (&self);
    return NULL;
}

void jk_signer_destroy (jk_signer_t **self_p)
{
    jk_signer_t *self = *self_p;
    if (!self)
        return;
    OPENSSL_cleanse (self->seed, sizeof self->seed);
    free (self->note);
    free (self);
    *self_p = NULL;
}

int jk_signer_sign (jk_signer_t *self, uint64_t size, const uint8_t root[32],
                    int64_t now_ms)
{
    if (self->note && size == self->size)
        return JK_OK;
    if (self->note && size < self->size)
        return JK_INVALID;
    char *note = jk_checkpoint_sign (self->origin, size, root, self->seed);
    if (!note)
        return JK_IO;
    sqlite3_stmt *stmt = NULL;
    bool ok =
        sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
            SQLITE_OK &&
        sqlite3_prepare_v2 (self->db,
                            "INSERT INTO checkpoint (size, signed_at, note)"
                            " VALUES (?, ?, ?)",
                            -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)size) == SQLITE_OK &&
        sqlite3_bind_int64 (stmt, 2, now_ms) == SQLITE_OK &&
        sqlite3_bind_text (stmt, 3, note, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_DONE;
    sqlite3_finalize (stmt);
    ok = ok && sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) {
        if (!sqlite3_get_autocommit (self->db))
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        free (note);
        return JK_IO;
    }
    free (self->note);
    self->note = note;
    self->size = size;
    return JK_OK;
}

uint64_t jk_signer_size (jk_signer_t *self)
{
    return self->size;
}

const char *jk_signer_note (jk_signer_t *self)
{
    return self->note;
}

const char *jk_signer_origin (jk_signer_t *self)
{
    return self->origin;
}

int jk_signer_witnesses (jk_signer_t *self)
{
    return self->witness_count;
}

static int s_cosign_fail (char *err, size_t err_size, const char *code,
                          const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static int s_cosign_fail (char *err, size_t err_size, const char *code,
                          const char *format, ...)
{
    int n = snprintf (err, err_size, "%s ", code);
    va_list args;
    va_start (args, format);
    if (n > 0 && (size_t)n < err_size)
        vsnprintf (err + n, err_size - (size_t)n, format, args);
    va_end (args);
    return JK_INVALID;
}

/* Stores the cosignature lines of cp by trusted witnesses (each verified)
   for stored checkpoint size, in one transaction. */
static int s_keep_cosignatures (jk_signer_t *self, const jk_checkpoint_t *cp,
                                const bool *mine, int64_t now_ms)
{
    sqlite3_stmt *stmt = NULL;
    bool ok = sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
                  SQLITE_OK &&
              sqlite3_prepare_v2 (self->db,
                                  "INSERT OR REPLACE INTO cosignature"
                                  " (size, witness, cosigned_at, line)"
                                  " VALUES (?, ?, ?, ?)",
                                  -1, &stmt, NULL) == SQLITE_OK;
    for (int i = 0; ok && i < cp->sig_count; i++) {
        if (!mine[i])
            continue;
        const jk_note_sig_t *sig = &cp->sigs[i];
        uint8_t data[4 + JK_NOTE_SIG_BYTES];
        memcpy (data, sig->key_id, 4);
        memcpy (data + 4, sig->data, sig->size);
        char b64[4 * (sizeof data + 2) / 3 + 4];
        EVP_EncodeBlock ((unsigned char *)b64, data, (int)(4 + sig->size));
        char *line = jk_sprintf ("\xe2\x80\x94 %s %s\n", sig->name, b64);
        ok = sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)cp->size) ==
                 SQLITE_OK &&
             sqlite3_bind_text (stmt, 2, sig->name, -1, SQLITE_STATIC) ==
                 SQLITE_OK &&
             sqlite3_bind_int64 (stmt, 3, now_ms) == SQLITE_OK &&
             sqlite3_bind_text (stmt, 4, line, -1, SQLITE_TRANSIENT) ==
                 SQLITE_OK &&
             sqlite3_step (stmt) == SQLITE_DONE;
        sqlite3_reset (stmt);
        free (line);
    }
    sqlite3_finalize (stmt);
    ok = ok && sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok && !sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    return ok ? JK_OK : JK_IO;
}

/* The note's signature lines: each a trusted witness's cosignature that
   verifies (marked in mine, counted in fresh) or the log's own; at least
   one witness. JK_OK, or the failure s_cosign_fail made. */
static int s_cosign_lines (jk_signer_t *self, const jk_checkpoint_t *cp,
                           bool mine[JK_NOTE_SIGS_MAX], int *fresh, char *err,
                           size_t err_size)
{
    for (int w = 0; w < self->witness_count; w++) {
        const jk_note_signer_t *witness = &self->witnesses[w];
        int vrc = jk_note_verify (cp, witness->name, JK_NOTE_TYPE_COSIG,
                                  witness->pub, NULL);
        if (vrc == JK_INVALID) {
            return s_cosign_fail (err, err_size, "E_COSIGNATURE",
                                  "the cosignature of witness %s does not "
                                  "verify",
                                  witness->name);
        }
        if (vrc != JK_OK)
            continue;
        uint8_t key_id[4];
        jk_note_key_id (witness->name, JK_NOTE_TYPE_COSIG, witness->pub,
                        key_id);
        for (int i = 0; i < cp->sig_count; i++)
            if (strcmp (cp->sigs[i].name, witness->name) == 0 &&
                memcmp (cp->sigs[i].key_id, key_id, 4) == 0 && !mine[i]) {
                mine[i] = true;
                (*fresh)++;
                break;
            }
    }
    /* Every other line must be the log's own signature. */
    uint8_t pub[32], log_id[4];
    jk_note_public (self->seed, pub);
    jk_note_key_id (self->origin, JK_NOTE_TYPE_ED25519, pub, log_id);
    for (int i = 0; i < cp->sig_count; i++)
        if (!mine[i] && (strcmp (cp->sigs[i].name, self->origin) != 0 ||
                         memcmp (cp->sigs[i].key_id, log_id, 4) != 0)) {
            return s_cosign_fail (err, err_size, "E_COSIGNATURE",
                                  "the signature line of %s is not of a "
                                  "witness this hub trusts (%d trusted: "
                                  "jejak-hub --witnesses)",
                                  cp->sigs[i].name, self->witness_count);
        }
    if (*fresh == 0) {
        return s_cosign_fail (err, err_size, "E_COSIGNATURE",
                              "no cosignature of a witness this hub trusts "
                              "(%d trusted: jejak-hub --witnesses)",
                              self->witness_count);
    }
    return JK_OK;
}

int jk_signer_cosign (jk_signer_t *self, const char *note, size_t size,
                      int64_t now_ms, uint64_t *tree_size, int *held, char *err,
                      size_t err_size)
{
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char why[256];
    char *stored = NULL;
    bool mine[JK_NOTE_SIGS_MAX] = {false};
    int rc = JK_OK, fresh = 0;
    *held = 0;
    *tree_size = 0;
    if (jk_checkpoint_parse (note, size, cp, why, sizeof why) != JK_OK) {
        rc = s_cosign_fail (err, err_size, "E_COSIGNATURE",
                            "the checkpoint does not parse: %s", why);
        goto done;
    }
    *tree_size = cp->size;
    stored = s_stored (self->db, cp->size, false);
    jk_checkpoint_t *ours = jk_malloc (sizeof *ours);
    bool same = stored &&
                jk_checkpoint_parse (stored, strlen (stored), ours, why,
                                     sizeof why) == JK_OK &&
                ours->body_len == cp->body_len &&
                memcmp (ours->body, cp->body, cp->body_len) == 0;
    free (ours);
    if (!same) {
        rc = s_cosign_fail (
            err, err_size, "E_NO_CHECKPOINT",
            "this hub signed no checkpoint with this text (origin %s, %llu "
            "records)",
            cp->origin, (unsigned long long)cp->size);
        goto done;
    }
    rc = s_cosign_lines (self, cp, mine, &fresh, err, err_size);
    if (rc != JK_OK)
        goto done;
    if (s_keep_cosignatures (self, cp, mine, now_ms) != JK_OK) {
        rc = s_cosign_fail (err, err_size, "E_UNAVAILABLE",
                            "the cosignature could not be stored: %s",
                            sqlite3_errmsg (self->db));
        rc = JK_IO;
        goto done;
    }
    free (stored);
    stored = s_stored (self->db, cp->size, false);
    jk_checkpoint_t *now = jk_malloc (sizeof *now);
    if (stored && jk_checkpoint_parse (stored, strlen (stored), now, why,
                                       sizeof why) == JK_OK)
        *held = now->sig_count - 1;
    free (now);
    if (cp->size == self->size && stored) {
        free (self->note);
        self->note = stored;
        stored = NULL;
    }
done:
    free (stored);
    free (cp);
    return rc;
}
