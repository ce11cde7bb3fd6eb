/*  checkpoints.c - the hub's signed checkpoints (jk_checkpoints.h): the
    log key, table checkpoint in the log's database, signing and storing
    each note in its own transaction, and the newest for readers. */
#include "jk_checkpoints.h"
#include "jk_store.h"
#include "jk_tiles.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct jk_signer_s {
    sqlite3 *db;
    char origin[JK_NOTE_NAME_MAX];
    uint8_t seed[32];
    uint64_t size; /* the newest checkpoint's tree size */
    char *note;    /* and its text, NULL when none */
};

static const char s_create[] = "CREATE TABLE IF NOT EXISTS checkpoint ("
                               " size INTEGER PRIMARY KEY,"
                               " signed_at INTEGER NOT NULL,"
                               " note TEXT NOT NULL)";

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

char *jk_checkpoint_newest (sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    char *note = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT note FROM checkpoint ORDER BY size DESC"
                            " LIMIT 1",
                            -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0))
        note = jk_strdup ((const char *)sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    return note;
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
                            uint64_t tree_size, char *err, size_t err_size)
{
    jk_signer_t *self = jk_calloc (1, sizeof *self);
    self->db = db;
    char *msg = NULL;
    if (jk_note_skey_load (key_path, self->origin, self->seed, err, err_size) !=
        JK_OK)
        goto fail;
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
        char why[256];
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
