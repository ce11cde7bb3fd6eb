/*  link_tree.c - the receiver's check of a regency's signed checkpoints
    against its copy (jk_link.h, jk_link_trees_t; docs/FEDERATION.md,
    "Checkpoints at the province"). Per origin it keeps the right edge of
    the RFC 6962 tree over the copied records (so the copy's tree head is
    known at its size), the newest checkpoint proven to be a prefix of the
    copy, and the forks found. A checkpoint the sender relays is checked
    with the log's verifier key and, by the consistency proof it carries,
    against the copy's tree; one that does not fit the copy is the fork
    alarm, both signed notes kept as evidence. */
#include "jk_link.h"
#include "jk_base.h"
#include "jk_merkle.h"
#include "jk_note.h"
#include "jk_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPONENT "link"

typedef struct {
    char origin[JK_LINK_AREA_MAX];
    jk_merkle_edge_t edge; /* the copy's tree, at the copy's size */
    bool dirty;            /* edge changed since the last save */
    uint64_t held;         /* size of the checkpoint held (0: none) */
    char *held_note;       /* its signed note */
    bool forked;           /* a fork alarm stands for this origin */
    bool keyless_told;     /* "no log key" said once */
} s_tree_t;

struct jk_link_trees_s {
    sqlite3 *db;
    char *copy_path;
    char *log_keys; /* directory of AREA.vkey files, or NULL */
    jk_mhash_t *mh;
    zhashx_t *trees; /* origin -> s_tree_t */
    uint64_t verified, forks, unchecked;
};

static void s_tree_free (void **item)
{
    s_tree_t *tree = *item;
    if (tree)
        free (tree->held_note);
    free (tree);
    *item = NULL;
}

static s_tree_t *s_tree (jk_link_trees_t *self, const char *origin)
{
    s_tree_t *tree = zhashx_lookup (self->trees, origin);
    if (!tree) {
        tree = jk_calloc (1, sizeof *tree);
        snprintf (tree->origin, sizeof tree->origin, "%s", origin);
        zhashx_insert (self->trees, origin, tree);
    }
    return tree;
}

jk_link_trees_t *jk_link_trees_new (sqlite3 *db, const char *copy_path,
                                    const char *log_keys)
{
    jk_link_trees_t *self = jk_calloc (1, sizeof *self);
    self->db = db;
    self->copy_path = jk_strdup (copy_path);
    self->log_keys = log_keys ? jk_strdup (log_keys) : NULL;
    self->mh = jk_mhash_new ();
    self->trees = zhashx_new ();
    zhashx_set_destructor (self->trees, s_tree_free);
    return self;
}

void jk_link_trees_destroy (jk_link_trees_t **self_p)
{
    jk_link_trees_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->trees);
    jk_mhash_destroy (&self->mh);
    free (self->copy_path);
    free (self->log_keys);
    free (self);
    *self_p = NULL;
}

/* ---- the copy's trees ------------------------------------------------------
 */

/* The edge from its stored form: u64be size, then one hash per set bit. */
static bool s_edge_read (jk_merkle_edge_t *edge, const uint8_t *data,
                         size_t size)
{
    memset (edge, 0, sizeof *edge);
    if (size < 8)
        return false;
    edge->size = jk_wire_u64 (data);
    edge->count = __builtin_popcountll (edge->size);
    if (size != 8 + (size_t)edge->count * JK_MERKLE_HASH)
        return false;
    memcpy (edge->hashes, data + 8, (size_t)edge->count * JK_MERKLE_HASH);
    return true;
}

/* Recomputes an origin's edge from its copied records. */
static int s_rebuild (jk_link_trees_t *self, s_tree_t *tree)
{
    memset (&tree->edge, 0, sizeof tree->edge);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT pos, recorded_at, outcome, code, message,"
                            " bytes FROM copy WHERE origin = ?1 ORDER BY pos",
                            -1, &st, NULL) != SQLITE_OK)
        return JK_IO;
    sqlite3_bind_text (st, 1, tree->origin, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        uint8_t leaf[JK_MERKLE_HASH];
        jk_link_copy_leaf (self->mh, st, leaf);
        jk_merkle_edge_push (&tree->edge, self->mh, leaf);
    }
    sqlite3_finalize (st);
    tree->dirty = true;
    return rc == SQLITE_DONE ? JK_OK : JK_IO;
}

/* The stored edges, held checkpoints and forks; an edge missing or not at
   its origin's head (a copy from before the tree) is rebuilt. */
int jk_link_trees_load (jk_link_trees_t *self)
{
    zhashx_purge (self->trees);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (self->db,
                        "SELECT h.origin, h.pos, t.edge FROM origin_head h"
                        " LEFT JOIN origin_tree t ON t.origin = h.origin",
                        -1, &st, NULL);
    int rc = JK_OK;
    while (rc == JK_OK && sqlite3_step (st) == SQLITE_ROW) {
        s_tree_t *tree =
            s_tree (self, (const char *)sqlite3_column_text (st, 0));
        uint64_t pos = (uint64_t)sqlite3_column_int64 (st, 1);
        if (!s_edge_read (&tree->edge, sqlite3_column_blob (st, 2),
                          (size_t)sqlite3_column_bytes (st, 2)) ||
            tree->edge.size != pos) {
            rc = s_rebuild (self, tree);
            jk_info (S_COMPONENT,
                     "the tree of origin %s was rebuilt from the copy: %llu "
                     "records",
                     tree->origin, (unsigned long long)tree->edge.size);
        }
    }
    sqlite3_finalize (st);
    sqlite3_prepare_v2 (self->db, "SELECT origin, size, note FROM checkpoint",
                        -1, &st, NULL);
    while (sqlite3_step (st) == SQLITE_ROW) {
        s_tree_t *tree =
            s_tree (self, (const char *)sqlite3_column_text (st, 0));
        tree->held = (uint64_t)sqlite3_column_int64 (st, 1);
        free (tree->held_note);
        tree->held_note = jk_strdup ((const char *)sqlite3_column_text (st, 2));
    }
    sqlite3_finalize (st);
    sqlite3_prepare_v2 (self->db, "SELECT DISTINCT origin FROM fork", -1, &st,
                        NULL);
    while (sqlite3_step (st) == SQLITE_ROW)
        s_tree (self, (const char *)sqlite3_column_text (st, 0))->forked = true;
    sqlite3_finalize (st);
    if (rc == JK_OK)
        rc = jk_link_trees_save (self);
    return rc;
}

void jk_link_trees_push (jk_link_trees_t *self, const jk_link_record_t *r)
{
    s_tree_t *tree = s_tree (self, r->origin);
    uint8_t leaf[JK_MERKLE_HASH];
    bool rejected = r->outcome == JK_LOG_REJECTED;
    jk_mhash_record (self->mh, r->pos, r->recorded_at, r->outcome,
                     rejected ? r->code : NULL, rejected ? r->message : NULL,
                     r->bytes, r->size, leaf);
    jk_merkle_edge_push (&tree->edge, self->mh, leaf);
    tree->dirty = true;
}

int jk_link_trees_save (jk_link_trees_t *self)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "INSERT OR REPLACE INTO origin_tree (origin, size,"
                            " edge) VALUES (?1, ?2, ?3)",
                            -1, &st, NULL) != SQLITE_OK)
        return JK_IO;
    int rc = JK_OK;
    for (s_tree_t *tree = zhashx_first (self->trees); tree && rc == JK_OK;
         tree = zhashx_next (self->trees)) {
        if (!tree->dirty)
            continue;
        uint8_t data[8 + 64 * JK_MERKLE_HASH];
        jk_wire_put_u64 (data, tree->edge.size);
        size_t n = (size_t)tree->edge.count * JK_MERKLE_HASH;
        memcpy (data + 8, tree->edge.hashes, n);
        sqlite3_bind_text (st, 1, tree->origin, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, (sqlite3_int64)tree->edge.size);
        sqlite3_bind_blob (st, 3, data, (int)(8 + n), SQLITE_TRANSIENT);
        if (sqlite3_step (st) != SQLITE_DONE)
            rc = JK_IO;
        sqlite3_reset (st);
        tree->dirty = false;
    }
    sqlite3_finalize (st);
    return rc;
}

bool jk_link_trees_forked (jk_link_trees_t *self, const char *origin)
{
    s_tree_t *tree = zhashx_lookup (self->trees, origin);
    return tree && tree->forked;
}

/* ---- relayed checkpoints ---------------------------------------------------
 */

/* The origin's log key from DIR/ORIGIN.vkey: JK_OK, JK_NOT_FOUND (no such
   file, or no directory), JK_INVALID (the file is not a log key). */
static int s_log_key (jk_link_trees_t *self, const char *origin,
                      jk_note_signer_t *key, char *why, size_t why_size)
{
    if (!self->log_keys)
        return JK_NOT_FOUND;
    char *path = jk_sprintf ("%s/%s.vkey", self->log_keys, origin);
    char *text = NULL;
    FILE *file = fopen (path, "r");
    if (file) {
        fclose (file);
        text = jk_note_vkey_given (path);
    }
    int rc = JK_NOT_FOUND;
    if (text) {
        char err[320] = "";
        rc = jk_note_vkey_parse (text, key->name, &key->type, key->pub, err,
                                 sizeof err);
        if (rc == JK_OK && key->type != JK_NOTE_TYPE_ED25519) {
            snprintf (err, sizeof err,
                      "the type byte must be 01 (the log's key)");
            rc = JK_INVALID;
        }
        if (rc != JK_OK)
            snprintf (why, why_size, "%s: %s", path, err);
    }
    free (text);
    free (path);
    return rc;
}

/* Writes one signed note as evidence; the path (heap). */
static char *s_evidence (jk_link_trees_t *self, const char *origin,
                         const char *which, uint64_t size, const char *note)
{
    char *path = jk_sprintf ("%s.fork-%s-%s-%llu.note", self->copy_path, origin,
                             which, (unsigned long long)size);
    jk_link_evidence (path, note);
    return path;
}

/* The fork alarm: evidence kept (files and table fork), the origin
   refused from now on; the alarm's text into why. */
static void s_fork (jk_link_trees_t *self, s_tree_t *tree,
                    const jk_checkpoint_t *seen, const char *seen_note,
                    const uint8_t copy_root[JK_MERKLE_HASH], char *why,
                    size_t why_size)
{
    char seen_root[65], copy_hex[65];
    jk_hex_format (seen->root, 32, seen_root);
    jk_hex_format (copy_root, 32, copy_hex);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (self->db,
                        "INSERT INTO fork (origin, at, held_size, seen_size,"
                        " copy_size, copy_root, held, seen) VALUES"
                        " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        -1, &st, NULL);
    sqlite3_bind_text (st, 1, tree->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, jk_clock_now_ms ());
    sqlite3_bind_int64 (st, 3, (sqlite3_int64)tree->held);
    sqlite3_bind_int64 (st, 4, (sqlite3_int64)seen->size);
    sqlite3_bind_int64 (st, 5, (sqlite3_int64)tree->edge.size);
    sqlite3_bind_text (st, 6, copy_hex, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 7, tree->held_note ? tree->held_note : "", -1,
                       SQLITE_STATIC);
    sqlite3_bind_text (st, 8, seen_note, -1, SQLITE_STATIC);
    if (sqlite3_step (st) != SQLITE_DONE)
        jk_error (S_COMPONENT, "cannot keep the fork in %s: %s",
                  self->copy_path, sqlite3_errmsg (self->db));
    sqlite3_finalize (st);
    char *seen_path =
        s_evidence (self, tree->origin, "seen", seen->size, seen_note);
    char *held_path = tree->held_note ? s_evidence (self, tree->origin, "held",
                                                    tree->held, tree->held_note)
                                      : NULL;
    char *held = held_path ? jk_sprintf (" and %s", held_path)
                           : jk_strdup (" (no checkpoint was held yet)");
    snprintf (why, why_size,
              "origin %s: the regency's log is forked or rewritten: its "
              "checkpoint of %llu records (root %s) does not extend the copy "
              "of %llu records (root %s) held here%s. Nothing more is stored "
              "from %s. The signed notes are kept in %s%s (and table fork of "
              "%s): give them to the auditor.",
              tree->origin, (unsigned long long)seen->size, seen_root,
              (unsigned long long)tree->edge.size, copy_hex,
              held_path ? ", which the checkpoint verified before extends" : "",
              tree->origin, seen_path, held, self->copy_path);
    jk_error (S_COMPONENT, "E_FORK: %s", why);
    free (held);
    free (held_path);
    free (seen_path);
    tree->forked = true;
    self->forks++;
}

/* Keeps note (a prefix of the copy) as the origin's checkpoint held. */
static int s_hold (jk_link_trees_t *self, s_tree_t *tree,
                   const jk_checkpoint_t *cp, const char *note)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2 (self->db,
                        "INSERT OR REPLACE INTO checkpoint (origin, size, "
                        "note, verified_at) VALUES (?1, ?2, ?3, ?4)",
                        -1, &st, NULL);
    sqlite3_bind_text (st, 1, tree->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64)cp->size);
    sqlite3_bind_text (st, 3, note, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 4, jk_clock_now_ms ());
    int rc = sqlite3_step (st) == SQLITE_DONE ? JK_OK : JK_IO;
    sqlite3_finalize (st);
    if (rc != JK_OK) {
        jk_error (S_COMPONENT, "cannot keep the checkpoint of %s in %s: %s",
                  tree->origin, self->copy_path, sqlite3_errmsg (self->db));
        return rc;
    }
    tree->held = cp->size;
    free (tree->held_note);
    tree->held_note = jk_strdup (note);
    return JK_OK;
}

int jk_link_trees_check (jk_link_trees_t *self, const char *origin,
                         uint64_t copy_size, const char *note,
                         const uint8_t *proof, size_t proof_bytes, char *why,
                         size_t why_size)
{
    s_tree_t *tree = s_tree (self, origin);
    if (tree->forked) {
        snprintf (why, why_size,
                  "a fork of origin %s was found before (table fork): "
                  "nothing more is stored from it",
                  origin);
        return JK_CONFLICT;
    }
    jk_note_signer_t key;
    int rc = s_log_key (self, origin, &key, why, why_size);
    if (rc == JK_NOT_FOUND) {
        self->unchecked++;
        if (!tree->keyless_told)
            jk_warn (S_COMPONENT,
                     "checkpoints of %s are not checked: no %s/%s.vkey "
                     "(the regency's log.vkey)",
                     origin, self->log_keys ? self->log_keys : "--log-keys",
                     origin);
        tree->keyless_told = true;
        return JK_NOT_FOUND;
    }
    if (rc != JK_OK)
        return JK_INVALID;
    if (copy_size != tree->edge.size) {
        snprintf (why, why_size,
                  "CHECKPOINT is for a copy of %llu records of %s; it holds "
                  "%llu",
                  (unsigned long long)copy_size, origin,
                  (unsigned long long)tree->edge.size);
        return JK_INVALID;
    }
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    char err[320];
    rc = jk_checkpoint_parse (note, strlen (note), cp, err, sizeof err);
    if (rc == JK_OK && strcmp (cp->origin, key.name) != 0) {
        snprintf (err, sizeof err, "origin %s is not the log key's name %s",
                  cp->origin, key.name);
        rc = JK_INVALID;
    }
    if (rc == JK_OK)
        rc = jk_checkpoint_trusted (cp, &key, NULL, 0, 0, err, sizeof err);
    if (rc != JK_OK) {
        snprintf (why, why_size, "the checkpoint of %s is refused: %s", origin,
                  err);
        free (cp);
        return JK_INVALID;
    }
    if (proof_bytes % JK_MERKLE_HASH ||
        proof_bytes / JK_MERKLE_HASH > JK_MERKLE_PROOF_MAX) {
        snprintf (why, why_size,
                  "CHECKPOINT proof of %zu bytes: must be whole hashes of 32 "
                  "bytes, at most %d",
                  proof_bytes, JK_MERKLE_PROOF_MAX);
        free (cp);
        return JK_INVALID;
    }
    uint8_t copy_root[JK_MERKLE_HASH];
    jk_merkle_edge_root (&tree->edge, self->mh, copy_root);
    bool older = cp->size < copy_size;
    rc = jk_merkle_verify_consistency (
        self->mh, older ? cp->size : copy_size, older ? copy_size : cp->size,
        older ? cp->root : copy_root, older ? copy_root : cp->root, proof,
        proof_bytes / JK_MERKLE_HASH);
    if (rc != JK_OK) {
        s_fork (self, tree, cp, note, copy_root, why, why_size);
        free (cp);
        return JK_CONFLICT;
    }
    self->verified++;
    if (cp->size <= copy_size && cp->size > tree->held)
        rc = s_hold (self, tree, cp, note);
    free (cp);
    return rc;
}

uint64_t jk_link_trees_held (jk_link_trees_t *self, const char *origin)
{
    s_tree_t *tree = zhashx_lookup (self->trees, origin);
    return tree ? tree->held : 0;
}

void jk_link_trees_stats (jk_link_trees_t *self, FILE *out)
{
    fprintf (out, " checkpoints=%llu forks=%llu checkpoints_unchecked=%llu",
             (unsigned long long)self->verified,
             (unsigned long long)self->forks,
             (unsigned long long)self->unchecked);
}
