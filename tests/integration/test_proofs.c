/*  test_proofs.c - signed checkpoints and proofs end to end: jejak-keys
    makes the log key, the real jejak-hub signs checkpoints with it
    (at start, every --checkpoint-every seconds of activity, on request),
    publishes them on the feed as $checkpoint, answers HEAD with the newest
    (also after a restart), and serves PROOF INCLUSION / PROOF CONSISTENCY
    on its query endpoint; every proof is checked here against a signed
    checkpoint with the verifier key alone. */
#include "test_broker_support.h"

#include "jk_agent.h"
#include "jk_merkle.h"
#include "jk_note.h"

#include <sqlite3.h>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Starting and stopping a hub, and a checkpoint on the feed, may take
   long on a loaded machine: waited for with this deadline. */
#define S_LONG_MS 60000

typedef struct {
    char *dir, *keys, *key_file;
    char *ingest, *feed, *query, *db, *log;
    char vkey[256];
    jk_note_signer_t signer;
    pid_t pid;
    const char *witnesses; /* --witnesses, NULL: none */
} s_hub_t;

static void s_hub_start (s_hub_t *h, const char *every, bool with_key)
{
    char *argv[16] = {
        "jejak-hub",  "--db",  h->db,     "--ingest", h->ingest,
        "--feed",     h->feed, "--query", h->query,   "--checkpoint-every",
        (char *)every};
    int n = 11;
    if (with_key) {
        argv[n++] = "--checkpoint-key";
        argv[n++] = h->key_file;
    }
    if (h->witnesses) {
        argv[n++] = "--witnesses";
        argv[n++] = (char *)h->witnesses;
    }
    argv[n] = NULL;
    size_t before = jk_test_file_size (h->log);
    h->pid = jk_test_spawn (argv, h->log);
    assert_true (h->pid > 0);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (h->log, before, "jejak-hub ingest="),
        S_LONG_MS));
}

static void s_hub_stop (s_hub_t *h, int signal)
{
    int status = jk_test_stop (h->pid, signal, S_LONG_MS);
    if (signal == SIGTERM) {
        assert_true (WIFEXITED (status));
        assert_int_equal (WEXITSTATUS (status), 0);
    }
}

static int s_setup (void **state)
{
    s_hub_t *h = jk_calloc (1, sizeof *h);
    h->dir = jk_test_tmpdir ("proofs");
    h->keys = jk_sprintf ("%s/keys", h->dir);
    h->key_file = jk_sprintf ("%s/log.key", h->keys);
    h->ingest = jk_test_endpoint (h->dir, "ingest");
    h->feed = jk_test_endpoint (h->dir, "feed");
    h->query = jk_test_endpoint (h->dir, "query");
    h->db = jk_sprintf ("%s/data/events.db", h->dir);
    h->log = jk_sprintf ("%s/hub.log", h->dir);

    /* jejak-keys makes the key: 0600 secret, 0644 verifier key, the
       default origin, and log-vkey prints the same verifier key. */
    char *out = NULL, *err = NULL;
    char *make[] = {"jejak-keys", "log-key", "--dir", h->keys, NULL};
    assert_int_equal (jk_test_run (make, &out, &err, S_LONG_MS), 0);
    struct stat st;
    assert_int_equal (stat (h->key_file, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    char *vkey_file = jk_sprintf ("%s/log.vkey", h->keys);
    assert_int_equal (stat (vkey_file, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0644);
    char *vkey = jk_test_slurp (vkey_file, NULL);
    assert_non_null (vkey);
    free (vkey_file);
    *strchr (vkey, '\n') = 0;
    snprintf (h->vkey, sizeof h->vkey, "%s", vkey);
    assert_non_null (strstr (out, vkey));
    assert_int_equal (strncmp (vkey, "jejak.cianjurkab.go.id/log+", 27), 0);
    free (out);
    free (err);
    char *show[] = {"jejak-keys", "log-vkey", "--dir", h->keys, NULL};
    assert_int_equal (jk_test_run (show, &out, &err, S_LONG_MS), 0);
    assert_non_null (strstr (out, vkey));
    free (out);
    free (err);
    /* A second log-key refuses to replace it (exit 1). */
    assert_int_equal (jk_test_run (make, &out, &err, S_LONG_MS), 1);
    assert_non_null (strstr (err, "--force"));
    free (out);
    free (err);
    char why[256];
    assert_int_equal (jk_note_vkey_parse (vkey, h->signer.name, &h->signer.type,
                                          h->signer.pub, why, sizeof why),
                      JK_OK);
    free (vkey);
    *state = h;
    return 0;
}

static int s_teardown (void **state)
{
    s_hub_t *h = *state;
    free (h->keys);
    free (h->key_file);
    free (h->ingest);
    free (h->feed);
    free (h->query);
    free (h->db);
    free (h->log);
    jk_test_rmdir (&h->dir);
    free (h);
    return 0;
}

/* Sends a query request and returns the reply, its command checked. */
static zmsg_t *s_ask (zsock_t *q, zmsg_t *msg, const char *want)
{
    zmsg_send (&msg, q);
    zmsg_t *reply = jk_test_recv (q, S_LONG_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, want);
    return reply;
}

/* Parses a note and checks the log's signature on it with the verifier
   key alone. */
static void s_trusted (s_hub_t *h, const char *note, size_t size,
                       jk_checkpoint_t *cp)
{
    char why[256];
    assert_int_equal (jk_checkpoint_parse (note, size, cp, why, sizeof why),
                      JK_OK);
    assert_string_equal (cp->origin, "jejak.cianjurkab.go.id/log");
    assert_int_equal (
        jk_checkpoint_trusted (cp, &h->signer, NULL, 0, 0, why, sizeof why),
        JK_OK);
}

/* CHECKPOINT: a checkpoint covering the committed log, signed. */
static void s_checkpoint (s_hub_t *h, zsock_t *q, jk_checkpoint_t *cp)
{
    zmsg_t *reply = s_ask (q, jk_wire_new ("CHECKPOINT"), "CHECKPOINT");
    assert_int_equal (zmsg_size (reply), 1);
    zframe_t *note = zmsg_first (reply);
    s_trusted (h, (const char *)zframe_data (note), zframe_size (note), cp);
    zmsg_destroy (&reply);
}

/* HEAD: [pos][hash][newest checkpoint]. */
static uint64_t s_head (s_hub_t *h, zsock_t *q, jk_checkpoint_t *cp,
                        char **note_out)
{
    zmsg_t *reply = s_ask (q, jk_wire_new ("HEAD"), "HEAD");
    assert_int_equal (zmsg_size (reply), 3);
    uint64_t pos;
    assert_int_equal (jk_wire_pop_u64 (reply, &pos), 0);
    zframe_t *hash = zmsg_pop (reply);
    assert_int_equal (zframe_size (hash), 32);
    zframe_destroy (&hash);
    zframe_t *note = zmsg_pop (reply);
    if (cp)
        s_trusted (h, (const char *)zframe_data (note), zframe_size (note), cp);
    if (note_out)
        *note_out = zframe_strdup (note);
    zframe_destroy (&note);
    zmsg_destroy (&reply);
    return pos;
}

static zmsg_t *s_proof_request (const char *kind, uint64_t a, uint64_t b)
{
    zmsg_t *msg = jk_wire_new ("PROOF");
    zmsg_addstr (msg, kind);
    jk_wire_add_u64 (msg, a);
    jk_wire_add_u64 (msg, b);
    return msg;
}

/* Asks PROOF INCLUSION of an event whose bytes the client holds, and
   checks it against the checkpoint: the leaf recomputed from the bytes,
   the answer's recorded_at and the outcome. */
static void s_check_inclusion (zsock_t *q, const s_item_t *item,
                               const jk_checkpoint_t *cp, jk_mhash_t *mh)
{
    zmsg_t *reply =
        s_ask (q, s_proof_request ("INCLUSION", item->pos, cp->size), "PROOF");
    char *kind = zmsg_popstr (reply);
    assert_string_equal (kind, "INCLUSION");
    free (kind);
    uint64_t pos, size, recorded_at;
    assert_int_equal (jk_wire_pop_u64 (reply, &pos), 0);
    assert_int_equal (jk_wire_pop_u64 (reply, &size), 0);
    assert_int_equal (jk_wire_pop_u64 (reply, &recorded_at), 0);
    assert_int_equal (pos, item->pos);
    assert_int_equal (size, cp->size);
    zframe_t *leaf = zmsg_pop (reply);
    zframe_t *proof = zmsg_pop (reply);
    assert_int_equal (zframe_size (leaf), 32);
    assert_int_equal (zframe_size (proof) % 32, 0);
    assert_true (zframe_size (proof) <= 32 * 64);
    uint8_t mine[32];
    jk_mhash_record (mh, pos, (int64_t)recorded_at, 0, NULL, NULL, item->bytes,
                     item->size, mine);
    assert_memory_equal (mine, zframe_data (leaf), 32);
    assert_int_equal (jk_merkle_verify_inclusion (
                          mh, pos - 1, size, mine, zframe_data (proof),
                          zframe_size (proof) / 32, cp->root),
                      JK_OK);
    /* One flipped byte of the event: the proof no longer holds. */
    uint8_t *bent = jk_malloc (item->size);
    memcpy (bent, item->bytes, item->size);
    bent[item->size - 1] ^= 1;
    jk_mhash_record (mh, pos, (int64_t)recorded_at, 0, NULL, NULL, bent,
                     item->size, mine);
    free (bent);
    assert_int_equal (jk_merkle_verify_inclusion (
                          mh, pos - 1, size, mine, zframe_data (proof),
                          zframe_size (proof) / 32, cp->root),
                      JK_INVALID);
    zframe_destroy (&leaf);
    zframe_destroy (&proof);
    zmsg_destroy (&reply);
}

static void s_check_consistency (zsock_t *q, const jk_checkpoint_t *old,
                                 const jk_checkpoint_t *new, jk_mhash_t *mh)
{
    zmsg_t *reply = s_ask (
        q, s_proof_request ("CONSISTENCY", old->size, new->size), "PROOF");
    char *kind = zmsg_popstr (reply);
    assert_string_equal (kind, "CONSISTENCY");
    free (kind);
    uint64_t a, b;
    assert_int_equal (jk_wire_pop_u64 (reply, &a), 0);
    assert_int_equal (jk_wire_pop_u64 (reply, &b), 0);
    assert_int_equal (a, old->size);
    assert_int_equal (b, new->size);
    zframe_t *proof = zmsg_pop (reply);
    assert_non_null (proof);
    assert_int_equal (zframe_size (proof) % 32, 0);
    assert_int_equal (jk_merkle_verify_consistency (
                          mh, a, b, old->root, new->root, zframe_data (proof),
                          zframe_size (proof) / 32),
                      JK_OK);
    zframe_destroy (&proof);
    zmsg_destroy (&reply);
}

static void s_expect_error (zsock_t *q, zmsg_t *msg, const char *code,
                            const char *text)
{
    zmsg_t *reply = s_ask (q, msg, "ERROR");
    char *got = zmsg_popstr (reply);
    char *message = zmsg_popstr (reply);
    assert_string_equal (got, code);
    if (!strstr (message, text))
        fail_msg ("'%s' not in '%s'", text, message);
    free (got);
    free (message);
    zmsg_destroy (&reply);
}

/* The next $checkpoint on the feed, parsed into cp; its size. */
static uint64_t s_next_checkpoint (s_hub_t *h, zsock_t *feed,
                                   jk_checkpoint_t *cp)
{
    zmsg_t *msg = jk_test_recv (feed, S_LONG_MS);
    assert_non_null (msg);
    assert_int_equal (zmsg_size (msg), 2);
    zframe_t *topic = zmsg_first (msg);
    assert_true (zframe_streq (topic, "$checkpoint"));
    zframe_t *note = zmsg_next (msg);
    s_trusted (h, (const char *)zframe_data (note), zframe_size (note), cp);
    zmsg_destroy (&msg);
    return cp->size;
}

/* Waits for a $checkpoint of at least size on the feed; returns its
   parsed form. */
static void s_feed_checkpoint (s_hub_t *h, zsock_t *feed, uint64_t size,
                               jk_checkpoint_t *cp)
{
    assert_true (
        JK_WAIT_FOR (s_next_checkpoint (h, feed, cp) >= size, S_LONG_MS));
}

/* The hub signs at start, every second of activity and on request;
   $checkpoint on the feed; inclusion proofs of all 300 events and
   consistency proofs between the checkpoints verify; bad ranges and
   frames are refused by code; after a restart HEAD answers the same
   newest checkpoint. */
static void test_checkpoints_and_proofs (void **state)
{
    s_hub_t *h = *state;
    s_hub_start (h, "1", true);
    zsock_t *q = jk_test_dealer (h->query);
    zsock_t *feed = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (feed, "$checkpoint");
    assert_int_equal (zsock_connect (feed, "%s", h->feed), 0);
    jk_mhash_t *mh = jk_mhash_new ();

    /* An empty log has a signed checkpoint of the empty tree. */
    jk_checkpoint_t *cp0 = jk_malloc (sizeof *cp0);
    assert_int_equal (s_head (h, q, cp0, NULL), 0);
    assert_int_equal (cp0->size, 0);
    uint8_t empty[32];
    jk_merkle_root (NULL, NULL, mh, 0, empty);
    assert_memory_equal (cp0->root, empty, 32);

    s_client_t *c = s_client_new (h->ingest, "32.03.10/pacet-1", 300, 1);
    c->count = 100;
    s_client_deliver (c, 50, S_LONG_MS, NULL, NULL);
    /* On request: a checkpoint of exactly the 100 committed records. */
    jk_checkpoint_t *cp1 = jk_malloc (sizeof *cp1);
    s_checkpoint (h, q, cp1);
    assert_int_equal (cp1->size, 100);
    c->count = 300;
    s_client_deliver (c, 64, S_LONG_MS, NULL, NULL);
    s_client_check_positions (c, 1);
    /* Within the second: a $checkpoint of all 300 on the feed, and HEAD
       answers it. */
    jk_checkpoint_t *cp2 = jk_malloc (sizeof *cp2);
    s_feed_checkpoint (h, feed, 300, cp2);
    assert_int_equal (cp2->size, 300);
    jk_checkpoint_t *head = jk_malloc (sizeof *head);
    assert_int_equal (s_head (h, q, head, NULL), 300);
    assert_int_equal (head->size, 300);
    assert_memory_equal (head->root, cp2->root, 32);

    for (size_t i = 0; i < c->count; i++)
        s_check_inclusion (q, &c->items[i], cp2, mh);
    for (size_t i = 0; i < 100; i++)
        s_check_inclusion (q, &c->items[i], cp1, mh);
    s_check_consistency (q, cp1, cp2, mh);
    s_check_consistency (q, cp0, cp2, mh);
    s_check_consistency (q, cp2, cp2, mh);

    /* Bad ranges and frames, each by its code and rule. */
    s_expect_error (q, s_proof_request ("INCLUSION", 0, 300), "E_PROOF_RANGE",
                    "pos 0 must be 1 to size 300");
    /* A hub that trusts no witness takes no COSIGN: refused before the
       store sees it. */
    zmsg_t *cosign = s_ask (q, jk_wire_new ("CHECKPOINT"), "CHECKPOINT");
    char *its = zmsg_popstr (cosign);
    zmsg_destroy (&cosign);
    cosign = jk_wire_new ("COSIGN");
    zmsg_addstr (cosign, its);
    free (its);
    s_expect_error (q, cosign, "E_COSIGNATURE",
                    "this hub trusts no witness: it takes no cosignature "
                    "(jejak-hub --witnesses)");
    s_expect_error (q, s_proof_request ("INCLUSION", 301, 300), "E_PROOF_RANGE",
                    "pos 301 must be 1 to size 300");
    s_expect_error (q, s_proof_request ("INCLUSION", 1, 301), "E_PROOF_RANGE",
                    "size 301 is beyond the log's 300 records");
    s_expect_error (q, s_proof_request ("CONSISTENCY", 200, 100),
                    "E_PROOF_RANGE", "old 200 must be 0 to new 100");
    s_expect_error (q, s_proof_request ("CONSISTENCY", 1, 400), "E_PROOF_RANGE",
                    "size 400 is beyond");
    s_expect_error (q, s_proof_request ("LEAF", 1, 2), "E_PROTOCOL",
                    "INCLUSION or CONSISTENCY");
    zmsg_t *bad = jk_wire_new ("PROOF");
    zmsg_addstr (bad, "INCLUSION");
    zmsg_addmem (bad, "1234", 4);
    jk_wire_add_u64 (bad, 300);
    s_expect_error (q, bad, "E_PROTOCOL", "[pos u64][size u64]");
    bad = s_proof_request ("CONSISTENCY", 1, 2);
    zmsg_addstr (bad, "extra");
    s_expect_error (q, bad, "E_PROTOCOL", "[old u64][new u64]");

    /* Restart: the newest checkpoint is kept and answered as it was. */
    char *before = NULL, *after = NULL;
    s_head (h, q, NULL, &before);
    zsock_destroy (&q);
    s_hub_stop (h, SIGTERM);
    s_hub_start (h, "1", true);
    q = jk_test_dealer (h->query);
    assert_int_equal (s_head (h, q, head, &after), 300);
    assert_string_equal (before, after);
    free (before);
    free (after);
    zsock_destroy (&q);
    s_hub_stop (h, SIGTERM);

    jk_mhash_destroy (&mh);
    free (cp0);
    free (cp1);
    free (cp2);
    free (head);
    zsock_destroy (&feed);
    s_client_destroy (&c);
}

/* The naive tree head (RFC 6962 MTH) over leaves [0, n). */
static void s_mth (jk_mhash_t *mh, uint8_t (*leaves)[32], size_t n,
                   uint8_t out[32])
{
    if (n == 1) {
        memcpy (out, leaves[0], 32);
        return;
    }
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t left[32], right[32];
    s_mth (mh, leaves, k, left);
    s_mth (mh, leaves + k, n - k, right);
    jk_mhash_node (mh, left, right, out);
}

/* The head of the tree over every record of the log at path, recomputed
   from the records alone; *size gets their count. */
static void s_naive_head (const char *path, jk_mhash_t *mh, uint64_t *size,
                          uint8_t out[32])
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db,
                            "SELECT pos, recorded_at, outcome, code, message,"
                            " bytes FROM log ORDER BY pos",
                            -1, &st, NULL),
        SQLITE_OK);
    size_t n = 0, cap = 1024;
    uint8_t (*leaves)[32] = jk_malloc (cap * 32);
    while (sqlite3_step (st) == SQLITE_ROW) {
        if (n == cap)
            leaves = jk_realloc (leaves, (cap *= 2) * 32);
        assert_int_equal (sqlite3_column_int64 (st, 0), (int64_t)n + 1);
        bool rejected = sqlite3_column_int (st, 2) != 0;
        jk_mhash_record (
            mh, n + 1, sqlite3_column_int64 (st, 1), sqlite3_column_int (st, 2),
            rejected ? (const char *)sqlite3_column_text (st, 3) : NULL,
            rejected ? (const char *)sqlite3_column_text (st, 4) : NULL,
            sqlite3_column_blob (st, 5), (size_t)sqlite3_column_bytes (st, 5),
            leaves[n]);
        n++;
    }
    sqlite3_finalize (st);
    sqlite3_close (db);
    assert_true (n > 0);
    s_mth (mh, leaves, n, out);
    *size = n;
    free (leaves);
}

/* Rows of merkle_tile at level in the log at path. */
static int s_tiles (const char *path, int level)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT count(*) FROM merkle_tile"
                                          " WHERE level = ?",
                                          -1, &st, NULL),
                      SQLITE_OK);
    sqlite3_bind_int (st, 1, level);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    int n = sqlite3_column_int (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (db);
    return n;
}

/* The tree behind the writer: with the tree thread held where the hub
   started it (JEJAK_FAULT=tree_stalled), the hub still acks all 600
   events; HEAD's checkpoint stays at the tree's size (0, below the head
   of 600), STATS says tree=0, and a proof that needs tiles not stored yet
   is E_UNAVAILABLE. Killed -9 there, the file holds 600 records and no
   tile; the hub restarted without the fault stores the tiles from the
   log first and signs all 600: the signed head is the tree recomputed
   here from the records, the stored tiles are the 2 full level-0 tiles
   and the level-1 tile, and the proofs verify. */
static void test_tree_behind (void **state)
{
    s_hub_t *h = *state;
    setenv ("JEJAK_FAULT", "tree_stalled", 1);
    s_hub_start (h, "1", true);
    unsetenv ("JEJAK_FAULT");
    zsock_t *q = jk_test_dealer (h->query);
    jk_mhash_t *mh = jk_mhash_new ();
    s_client_t *c = s_client_new (h->ingest, "32.03.10/pacet-1", 600, 1);
    s_client_deliver (c, 100, S_LONG_MS, NULL, NULL);
    s_client_check_positions (c, 1);
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    assert_int_equal (s_head (h, q, cp, NULL), 600);
    assert_int_equal (cp->size, 0);
    assert_int_equal (jk_test_stat (h->query, "head"), 600);
    assert_int_equal (jk_test_stat (h->query, "tree"), 0);
    s_expect_error (q, s_proof_request ("INCLUSION", 1, 600), "E_UNAVAILABLE",
                    "the Merkle tree is behind the log");
    zsock_destroy (&q);
    s_hub_stop (h, SIGKILL);
    assert_int_equal (s_tiles (h->db, 0), 0);
    assert_int_equal (s_tiles (h->db, 1), 0);

    s_hub_start (h, "1", true);
    q = jk_test_dealer (h->query);
    assert_int_equal (s_head (h, q, cp, NULL), 600);
    assert_int_equal (cp->size, 600);
    assert_int_equal (jk_test_stat (h->query, "tree"), 600);
    uint64_t size = 0;
    uint8_t naive[32];
    s_naive_head (h->db, mh, &size, naive);
    assert_int_equal (size, 600);
    assert_memory_equal (cp->root, naive, 32);
    assert_int_equal (s_tiles (h->db, 0), 2);
    assert_int_equal (s_tiles (h->db, 1), 1);
    for (size_t i = 0; i < c->count; i += 23)
        s_check_inclusion (q, &c->items[i], cp, mh);
    s_check_inclusion (q, &c->items[599], cp, mh);
    zsock_destroy (&q);
    s_hub_stop (h, SIGTERM);
    free (cp);
    jk_mhash_destroy (&mh);
    s_client_destroy (&c);
}

/* The first line of a /proc file (which stat calls empty), or NULL. */
static char *s_proc_line (const char *path)
{
    FILE *file = fopen (path, "r");
    char line[1024];
    char *text =
        file && fgets (line, sizeof line, file) ? jk_strdup (line) : NULL;
    if (file)
        fclose (file);
    return text;
}

/* The nice value in /proc/PID[/task/TID]/stat (field 19, after the
   command in parentheses); -100 when unreadable. */
static int s_nice_of (const char *stat_path)
{
    char *text = s_proc_line (stat_path);
    char *at = text ? strrchr (text, ')') : NULL;
    int nice = -100, field = 2;
    char *save = NULL;
    for (char *tok = at ? strtok_r (at + 1, " ", &save) : NULL; tok;
         tok = strtok_r (NULL, " ", &save))
        if (++field == 19) {
            nice = atoi (tok);
            break;
        }
    free (text);
    return nice;
}

/* The nice value of pid's thread named name; -100 when none is. */
static int s_thread_nice (pid_t pid, const char *name)
{
    char *dir = jk_sprintf ("/proc/%d/task", (int)pid);
    DIR *d = opendir (dir);
    int nice = -100;
    struct dirent *e;
    while (d && nice == -100 && (e = readdir (d)) != NULL) {
        char *comm_path = jk_sprintf ("%s/%s/comm", dir, e->d_name);
        char *comm = s_proc_line (comm_path);
        if (comm && strncmp (comm, name, strlen (name)) == 0 &&
            comm[strlen (name)] == '\n') {
            char *stat_path = jk_sprintf ("%s/%s/stat", dir, e->d_name);
            nice = s_nice_of (stat_path);
            free (stat_path);
        }
        free (comm);
        free (comm_path);
    }
    if (d)
        closedir (d);
    free (dir);
    return nice;
}

/* Without a log key: HEAD's checkpoint frame is empty and CHECKPOINT is
   refused with E_NO_CHECKPOINT; proofs are still served. The tree thread
   ("jejak-tree") runs 10 nicer than the hub (at most 19): it yields the
   cores to the ack path (ARCHITECTURE.md, "The tree behind the writer").
   The projector ("jejak-projector") keeps the hub's priority: nicer, it
   falls behind under sustained ingest ("Projections behind the ack"). */
static void test_without_key (void **state)
{
    s_hub_t *h = *state;
    s_hub_start (h, "10", false);
    char *stat_path = jk_sprintf ("/proc/%d/stat", (int)h->pid);
    int hub_nice = s_nice_of (stat_path);
    free (stat_path);
    assert_true (hub_nice >= -20 && hub_nice <= 19);
    assert_int_equal (s_thread_nice (h->pid, "jejak-tree"),
                      hub_nice + 10 > 19 ? 19 : hub_nice + 10);
    assert_int_equal (s_thread_nice (h->pid, "jejak-projector"), hub_nice);
    zsock_t *q = jk_test_dealer (h->query);
    char *note = NULL;
    assert_int_equal (s_head (h, q, NULL, &note), 0);
    assert_string_equal (note, "");
    free (note);
    s_expect_error (q, jk_wire_new ("CHECKPOINT"), "E_NO_CHECKPOINT",
                    "jejak-keys log-key");
    s_client_t *c = s_client_new (h->ingest, "32.03.10/pacet-1", 3, 1);
    s_client_deliver (c, 3, S_LONG_MS, NULL, NULL);
    assert_int_equal (s_query_head (h->query, NULL), 3);
    zmsg_t *reply = s_ask (q, s_proof_request ("CONSISTENCY", 1, 3), "PROOF");
    zmsg_destroy (&reply);
    s_client_destroy (&c);
    zsock_destroy (&q);
    s_hub_stop (h, SIGTERM);
}

/* Runs jejak-registration for the office with the proof flags. */
static int s_agent (s_hub_t *h, const char *outbox, char **out, char **err,
                    const char *a1, const char *a2, const char *a3,
                    const char *a4, const char *a5)
{
    char *vkey_file = jk_sprintf ("%s/log.vkey", h->keys);
    char *argv[] = {"jejak-registration",
                    "--source",
                    "32.03.10/pacet-1",
                    "--outbox",
                    (char *)outbox,
                    "--broker",
                    h->ingest,
                    "--query",
                    h->query,
                    "--log-key",
                    vkey_file,
                    "--wait",
                    "30",
                    (char *)a1,
                    (char *)a2,
                    (char *)a3,
                    (char *)a4,
                    (char *)a5,
                    NULL};
    int rc = jk_test_run (argv, out, err, 4 * S_LONG_MS);
    free (vkey_file);
    return rc;
}

/* count(*) of a query on the outbox. */
static int64_t s_outbox_count (const char *outbox, const char *sql)
{
    sqlite3 *db = NULL;
    int64_t n = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2 (outbox, &db, SQLITE_OPEN_READWRITE, NULL) ==
            SQLITE_OK &&
        sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (db);
    return n;
}

/* A people CSV of n rows with distinct NIKs from base on. */
static char *s_people_csv (s_hub_t *h, const char *name, int n, int base)
{
    char *path = jk_sprintf ("%s/%s", h->dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fprintf (f, "nik;name;sex;birth_date;desa_code\n");
    for (int i = base; i < base + n; i++)
        fprintf (f,
                 "3203%02d410785%04d;Siti Aminah;P;01/07/1985;32.03.10.2012\n",
                 1 + (i / 9999) % 30, i % 9999 + 1);
    fclose (f);
    return path;
}

/* The office keeps and checks a proof of each receipt on sync; receipts
   --verify re-checks them all against the newest checkpoint; a receipt
   whose position the office holds wrongly is found; a second history
   signed with the same key is a fork, exit 5, with both notes kept. */
static void test_receipts_with_proofs (void **state)
{
    s_hub_t *h = *state;
    enum { N = 1500 };
    s_hub_start (h, "1", true);
    char *outbox = jk_sprintf ("%s/outbox.db", h->dir);
    char *csv = s_people_csv (h, "people.csv", N, 1);
    char *out = NULL, *err = NULL;
    assert_int_equal (s_agent (h, outbox, &out, &err, "import", csv, "--type",
                               "person.registered", NULL),
                      JK_EXIT_OK);
    free (out);
    free (err);
    assert_int_equal (
        s_agent (h, outbox, &out, &err, "sync", NULL, NULL, NULL, NULL),
        JK_EXIT_OK);
    assert_non_null (strstr (out, "proofs: 1500 receipts proven against the "
                                  "checkpoint of 1500 records, 0 not, 0 "
                                  "beyond it"));
    free (out);
    free (err);
    assert_int_equal (s_outbox_count (outbox, "SELECT count(*) FROM events"
                                              " WHERE proof_size = 1500"),
                      N);
    /* A second sync has nothing new to prove. */
    assert_int_equal (
        s_agent (h, outbox, &out, &err, "sync", NULL, NULL, NULL, NULL),
        JK_EXIT_OK);
    assert_non_null (strstr (out, "proofs: 0 receipts proven"));
    free (out);
    free (err);
    assert_int_equal (s_agent (h, outbox, &out, &err, "receipts", "--verify",
                               NULL, NULL, NULL),
                      JK_EXIT_OK);
    assert_non_null (strstr (out, "receipts --verify: 1500 receipts proven "
                                  "against the checkpoint of 1500 records, "
                                  "0 not"));
    free (out);
    free (err);
    assert_int_equal (s_outbox_count (outbox, "SELECT count(*) FROM forks"), 0);

    /* A receipt held with another position (seq 7 says 8): its event is
       not at that position of the log. */
    jk_test_db_exec (outbox, "UPDATE events SET pos = 8 WHERE seq = 7");
    assert_int_equal (s_agent (h, outbox, &out, &err, "receipts", "--verify",
                               NULL, NULL, NULL),
                      JK_EXIT_FORK);
    assert_non_null (strstr (out, "receipt seq 7 (position 8) is not in the "
                                  "hub's log of 1500 records"));
    assert_non_null (strstr (out, "1499 receipts proven against the "
                                  "checkpoint of 1500 records, 1 not"));
    free (out);
    free (err);
    jk_test_db_exec (outbox, "UPDATE events SET pos = 7 WHERE seq = 7;"
                             "DELETE FROM forks");
    s_hub_stop (h, SIGTERM);

    /* The same key signs another history: a fresh log with other events,
       longer than the one the office holds a checkpoint of. */
    char *forked = jk_sprintf ("%s/forked/events.db", h->dir);
    char *db = h->db;
    h->db = forked;
    s_hub_start (h, "1", true);
    s_client_t *c = s_client_new (h->ingest, "32.03.11/cugenang-1", 1600, 5000);
    s_client_deliver (c, 200, S_LONG_MS, NULL, NULL);
    s_client_destroy (&c);
    assert_int_equal (s_agent (h, outbox, &out, &err, "receipts", "--verify",
                               NULL, NULL, NULL),
                      JK_EXIT_FORK);
    assert_non_null (strstr (out, "E_FORK: the hub's checkpoint of 1600 "
                                  "records and the one of 1500 this office "
                                  "holds are not consistent"));
    free (out);
    free (err);
    /* The evidence: both signed notes, each with the log's signature. */
    assert_int_equal (s_outbox_count (outbox, "SELECT count(*) FROM forks"
                                              " WHERE held LIKE '%\n1500\n%'"
                                              " AND seen LIKE '%\n1600\n%'"),
                      1);
    s_hub_stop (h, SIGTERM);
    h->db = db;
    free (forked);
    free (csv);
    free (outbox);
}

/* Writes text to path (the test's own files). */
static void s_put (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    assert_true (fputs (text, f) != EOF);
    assert_int_equal (fclose (f), 0);
}

/* Runs jejak-replay check on path with the log key vkey: its exit code;
 *out its standard output (heap). */
static int s_check_file (const char *path, const char *vkey, char **out)
{
    char *err = NULL;
    char *argv[] = {"jejak-replay", "check",      (char *)path,
                    "--log-key",    (char *)vkey, NULL};
    int rc = jk_test_run (argv, out, &err, S_LONG_MS);
    free (err);
    return rc;
}

/* The signed note of size records the hub stored in db. */
static char *s_stored_note (const char *db, const char *size)
{
    char *out = NULL, *err = NULL;
    char *argv[] = {"jejak-replay", "checkpoint", (char *)db,
                    "--size",       (char *)size, NULL};
    assert_int_equal (jk_test_run (argv, &out, &err, S_LONG_MS), 0);
    free (err);
    return out;
}

/* Starts the hub on its db, delivers count events of each source in
   turn and asks a checkpoint after each: its size is the running total. */
static void s_fill (s_hub_t *h, const char **sources, const int *counts, int n)
{
    s_hub_start (h, "1", true);
    zsock_t *q = jk_test_dealer (h->query);
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        s_client_t *c = s_client_new (h->ingest, sources[i], counts[i], 1);
        s_client_deliver (c, 50, S_LONG_MS, NULL, NULL);
        s_client_destroy (&c);
        total += (uint64_t)counts[i];
        s_checkpoint (h, q, cp);
        assert_int_equal (cp->size, total);
    }
    free (cp);
    zsock_destroy (&q);
    s_hub_stop (h, SIGTERM);
}

/* jejak-replay prove --consistency exports the proof that the checkpoint
   of 350 records extends the one of 300 (RFC 9162: 7 hashes); check says
   VALID offline, INVALID for one changed byte of a hash, the two notes
   swapped, and the newer note of a forked log under the same key, and
   REFUSED for a newer note signed by another key. */
static void test_prove_consistency (void **state)
{
    s_hub_t *h = *state;
    const char *sources[] = {"32.03.10/pacet-1", "32.03.10/pacet-2"};
    const int counts[] = {300, 50};
    s_fill (h, sources, counts, 2);

    char *file = jk_sprintf ("%s/c.proof", h->dir);
    char *out = NULL, *err = NULL;
    char *prove[] = {"jejak-replay", "prove", h->db, "--consistency",
                     "300",          "--out", file,  NULL};
    prove[4] = "0"; /* the empty tree: every log extends it */
    assert_int_equal (jk_test_run (prove, &out, &err, S_LONG_MS), 2);
    assert_string_equal (err, "jejak-replay prove: --consistency must be a "
                              "tree size (1 or more) or a signed checkpoint "
                              "file, got '0'\n");
    free (out);
    free (err);
    /* Not a number: a file name; one that cannot be read is said so. */
    char *missing = jk_sprintf ("%s/no-such-note", h->dir);
    prove[4] = missing;
    assert_int_equal (jk_test_run (prove, &out, &err, S_LONG_MS), 3);
    char *unreadable =
        jk_sprintf ("jejak-replay prove: --consistency %s: cannot read it as "
                    "a checkpoint file: No such file or directory\n",
                    missing);
    assert_string_equal (err, unreadable);
    free (unreadable);
    free (missing);
    free (out);
    free (err);
    prove[4] = "300";
    assert_int_equal (jk_test_run (prove, &out, &err, S_LONG_MS), 0);
    char *old_note = s_stored_note (h->db, "300");
    char *new_note = s_stored_note (h->db, "350");
    char *head =
        jk_sprintf ("jejak-consistency/1\nold %zu\n%snew %zu\n%s"
                    "hashes 7\n",
                    strlen (old_note), old_note, strlen (new_note), new_note);
    size_t size = 0;
    char *text = jk_test_slurp (file, &size);
    assert_int_equal (size, strlen (head) + 7 * 45);
    assert_int_equal (memcmp (text, head, strlen (head)), 0);
    char *said = jk_sprintf ("consistency proof from the checkpoint of 300 "
                             "records to the one of 350: %s (%zu bytes)\n",
                             file, size);
    assert_string_equal (err, said);
    free (said);
    free (out);
    free (err);

    assert_int_equal (s_check_file (file, h->vkey, &out), 0);
    char *valid = jk_sprintf ("VALID consistency %s: the log "
                              "jejak.cianjurkab.go.id/log's signed tree of "
                              "350 records extends its signed tree of 300 "
                              "records (7 hashes)\n",
                              file);
    assert_string_equal (out, valid);
    free (valid);
    free (out);

    /* One changed byte in the third hash. */
    char *bent = jk_strdup (text);
    char *byte = bent + strlen (head) + 2 * 45 + 10;
    *byte = *byte == 'A' ? 'B' : 'A';
    s_put (file, bent);
    free (bent);
    char *invalid = jk_sprintf ("INVALID consistency %s: the signed trees of "
                                "300 and 350 records are not one log with "
                                "these 7 hashes: a rewritten or forked log, "
                                "or a damaged proof\n",
                                file);
    assert_int_equal (s_check_file (file, h->vkey, &out), 1);
    assert_string_equal (out, invalid);
    free (out);

    /* The two checkpoints swapped. */
    char *swapped = jk_sprintf ("jejak-consistency/1\nold %zu\n%snew %zu\n%s%s",
                                strlen (new_note), new_note, strlen (old_note),
                                old_note, text + strlen (head) - 9);
    s_put (file, swapped);
    free (swapped);
    char *larger = jk_sprintf ("INVALID consistency %s: the older "
                               "checkpoint's tree of 350 records is larger "
                               "than the newer's of 300\n",
                               file);
    assert_int_equal (s_check_file (file, h->vkey, &out), 1);
    assert_string_equal (out, larger);
    free (larger);
    free (out);

    /* A newer note of 350 records signed by another key. */
    uint8_t seed[32], root[32];
    memset (seed, 7, 32);
    memset (root, 9, 32);
    char *foreign =
        jk_checkpoint_sign ("jejak.cianjurkab.go.id/log", 350, root, seed);
    assert_non_null (foreign);
    char *other = jk_sprintf ("jejak-consistency/1\nold %zu\n%snew %zu\n%s%s",
                              strlen (old_note), old_note, strlen (foreign),
                              foreign, text + strlen (head) - 9);
    s_put (file, other);
    free (other);
    free (foreign);
    char *refused = jk_sprintf ("REFUSED checkpoint %s (newer): the log's "
                                "signature by jejak.cianjurkab.go.id/log is "
                                "missing\n",
                                file);
    assert_int_equal (s_check_file (file, h->vkey, &out), 1);
    assert_string_equal (out, refused);
    free (refused);
    free (out);

    /* A forked log under the same key: another history of 350 records;
       its signed note after the older one of this log, with this log's
       proof (or with no hashes at all), is not one log. */
    char *db = h->db;
    h->db = jk_sprintf ("%s/forked/events.db", h->dir);
    const char *fork_sources[] = {"32.03.11/cugenang-1"};
    const int fork_counts[] = {350};
    s_fill (h, fork_sources, fork_counts, 1);
    char *fork_note = s_stored_note (h->db, "350");
    assert_string_not_equal (fork_note, new_note);
    char *forked = jk_sprintf ("jejak-consistency/1\nold %zu\n%snew %zu\n%s%s",
                               strlen (old_note), old_note, strlen (fork_note),
                               fork_note, text + strlen (head) - 9);
    s_put (file, forked);
    free (forked);
    assert_int_equal (s_check_file (file, h->vkey, &out), 1);
    assert_string_equal (out, invalid);
    free (out);

    /* The older checkpoint as a kept note file: against the forked log
       the proof cannot be made (exit 1); against this log it is the same
       proof as from the stored size. It needs the log's key, and a note
       another key signed is refused. */
    char *kept = jk_sprintf ("%s/old-300.note", h->dir);
    s_put (kept, old_note);
    char *from_file = jk_sprintf ("%s/c-file.proof", h->dir);
    char *prove_fork[] = {"jejak-replay", "prove",     h->db,   "--consistency",
                          kept,           "--log-key", h->vkey, NULL};
    assert_int_equal (jk_test_run (prove_fork, &out, &err, S_LONG_MS), 1);
    char *not_heads = jk_sprintf ("jejak-replay prove: the checkpoints of 300 "
                                  "and 350 records are not heads of the log "
                                  "in %s (run jejak-replay verify "
                                  "--checkpoint)\n",
                                  h->db);
    assert_string_equal (err, not_heads);
    free (not_heads);
    free (out);
    free (err);
    free (h->db);
    h->db = db;
    char *prove_file[] = {"jejak-replay", "prove",     h->db,   "--consistency",
                          kept,           "--log-key", h->vkey, "--out",
                          from_file,      NULL};
    assert_int_equal (jk_test_run (prove_file, &out, &err, S_LONG_MS), 0);
    free (out);
    free (err);
    char *file_text = jk_test_slurp (from_file, NULL);
    assert_string_equal (file_text, text);
    free (file_text);
    char *keyless[] = {"jejak-replay",  "prove", h->db,
                       "--consistency", kept,    NULL};
    assert_int_equal (jk_test_run (keyless, &out, &err, S_LONG_MS), 2);
    char *needs = jk_sprintf ("jejak-replay prove: --consistency %s (a "
                              "checkpoint file) needs --log-key (the log's "
                              "verifier key)\n",
                              kept);
    assert_string_equal (err, needs);
    free (needs);
    free (out);
    free (err);
    foreign =
        jk_checkpoint_sign ("jejak.cianjurkab.go.id/log", 300, root, seed);
    s_put (kept, foreign);
    free (foreign);
    assert_int_equal (jk_test_run (prove_file, &out, &err, S_LONG_MS), 1);
    char *refused_file = jk_sprintf ("REFUSED checkpoint %s: the log's "
                                     "signature by jejak.cianjurkab.go.id/log "
                                     "is missing\n",
                                     kept);
    assert_string_equal (out, refused_file);
    free (refused_file);
    free (out);
    free (err);
    free (kept);
    free (from_file);

    free (invalid);
    free (fork_note);
    free (text);
    free (head);
    free (old_note);
    free (new_note);
    free (file);
}

/* A hub with a log key takes count events of source (batches of batch),
   signs a checkpoint of exactly them and stops: a log to prove from.
   The client, to be destroyed. */
static s_client_t *s_signed_log (s_hub_t *h, const char *source, size_t count,
                                 size_t batch)
{
    s_hub_start (h, "1", true);
    s_client_t *c = s_client_new (h->ingest, source, count, 1);
    s_client_deliver (c, batch, S_LONG_MS, NULL, NULL);
    zsock_t *q = jk_test_dealer (h->query);
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    s_checkpoint (h, q, cp);
    assert_int_equal (cp->size, count);
    free (cp);
    zsock_destroy (&q);
    s_hub_stop (h, SIGTERM);
    return c;
}

/* jejak-replay prove exports one record's proof (a few hundred bytes);
   jejak-replay check verifies it offline with the verifier key alone and
   refuses a changed byte, another key, or a checkpoint without the log's
   signature. */
static void test_prove_and_check (void **state)
{
    s_hub_t *h = *state;
    s_client_t *c = s_signed_log (h, "32.03.10/pacet-1", 300, 100);

    char *proof = jk_sprintf ("%s/p17.proof", h->dir);
    char *out = NULL, *err = NULL;
    char *prove[] = {"jejak-replay", "prove", h->db, "17",
                     "--out",        proof,   NULL};
    assert_int_equal (jk_test_run (prove, &out, &err, S_LONG_MS), 0);
    assert_non_null (strstr (err, "proof of position 17 against the "
                                  "checkpoint of 300 records"));
    free (out);
    free (err);
    size_t size = 0;
    char *text = jk_test_slurp (proof, &size);
    /* The event (~150 bytes as base64), 9 hashes, the signed note. */
    assert_true (size < 1024);
    assert_int_equal (strncmp (text, "jejak-proof/1\nentry ", 20), 0);

    char *check[] = {"jejak-replay", "check", proof,
                     "--log-key",    h->vkey, NULL};
    assert_int_equal (jk_test_run (check, &out, &err, S_LONG_MS), 0);
    char id[37];
    jk_uuid_format (c->items[16].id, id);
    assert_non_null (strstr (out, "VALID proof"));
    assert_non_null (strstr (out, "position 17 of the log "
                                  "jejak.cianjurkab.go.id/log (signed tree "
                                  "of 300 records)"));
    assert_non_null (strstr (out, id));
    assert_non_null (strstr (out, "source 32.03.10/pacet-1 seq 17"));
    free (out);
    free (err);

    /* One changed character of the entry: not in the signed tree. */
    char *bent = jk_strdup (text);
    char *entry = strstr (bent, "entry ") + 6 + 40;
    *entry = *entry == 'A' ? 'B' : 'A';
    FILE *f = fopen (proof, "w");
    fputs (bent, f);
    fclose (f);
    assert_int_equal (jk_test_run (check, &out, &err, S_LONG_MS), 1);
    assert_non_null (strstr (out, "INVALID proof"));
    free (out);
    free (err);
    free (bent);
    /* Another log key: refused, named. */
    uint8_t seed[32], pub[32];
    memset (seed, 7, 32);
    jk_note_public (seed, pub);
    char other[256];
    jk_note_vkey_format ("jejak.cianjurkab.go.id/log", JK_NOTE_TYPE_ED25519,
                         pub, other, sizeof other);
    f = fopen (proof, "w");
    fputs (text, f);
    fclose (f);
    char *check_other[] = {"jejak-replay", "check", proof,
                           "--log-key",    other,   NULL};
    assert_int_equal (jk_test_run (check_other, &out, &err, S_LONG_MS), 1);
    assert_non_null (strstr (out, "REFUSED checkpoint"));
    assert_non_null (strstr (out, "the log's signature by "
                                  "jejak.cianjurkab.go.id/log is missing"));
    free (out);
    free (err);
    /* A signature line without its U+2014: named by the checkpoint's
       own line number (5), not the file's. */
    char *dashless = jk_strdup (text);
    char *dash = strstr (dashless, "\xe2\x80\x94 ");
    assert_non_null (dash);
    memmove (dash + 1, dash + 3, strlen (dash + 3) + 1);
    *dash = '-';
    s_put (proof, dashless);
    free (dashless);
    assert_int_equal (jk_test_run (check, &out, &err, S_LONG_MS), 1);
    char *line5 = jk_sprintf ("REFUSED checkpoint %s: line 5: a signature "
                              "line starts with U+2014 and a space\n",
                              proof);
    assert_string_equal (out, line5);
    free (line5);
    free (out);
    free (err);
    s_put (proof, text);
    /* Without --log-key: a usage error; a position the log lacks: 1. */
    char *check_bare[] = {"jejak-replay", "check", proof, NULL};
    assert_int_equal (jk_test_run (check_bare, &out, &err, S_LONG_MS), 2);
    free (out);
    free (err);
    char *prove_far[] = {"jejak-replay", "prove", h->db, "301", NULL};
    assert_int_equal (jk_test_run (prove_far, &out, &err, S_LONG_MS), 1);
    assert_non_null (
        strstr (err, "no signed checkpoint covering position 301"));
    free (out);
    free (err);
    /* A checkpoint given that does not reach POS, a POS of 0: usage. */
    char *kept = jk_sprintf ("%s/cp300.note", h->dir);
    char *note300 = s_stored_note (h->db, "300");
    s_put (kept, note300);
    free (note300);
    char *prove_past[] = {"jejak-replay", "prove", h->db, "301",
                          "--checkpoint", kept,    NULL};
    assert_int_equal (jk_test_run (prove_past, &out, &err, S_LONG_MS), 2);
    assert_string_equal (err, "jejak-replay prove: the checkpoint: its tree "
                              "has 300 records, fewer than 301\n");
    free (out);
    free (err);
    prove_past[3] = "0";
    assert_int_equal (jk_test_run (prove_past, &out, &err, S_LONG_MS), 2);
    assert_string_equal (err, "jejak-replay prove: POS must be a log position "
                              "(1 or more), got '0'\n");
    free (out);
    free (err);
    free (kept);
    /* jejak-replay checkpoint of a size never signed: 1. */
    char *size_none[] = {"jejak-replay", "checkpoint", h->db,
                         "--size",       "77",         NULL};
    assert_int_equal (jk_test_run (size_none, &out, &err, S_LONG_MS), 1);
    char *none = jk_sprintf ("jejak-replay checkpoint: %s holds no signed "
                             "checkpoint of that size\n",
                             h->db);
    assert_string_equal (err, none);
    free (none);
    free (out);
    free (err);
    /* A --size that is no number: usage, naming the command. */
    size_none[4] = "abc";
    assert_int_equal (jk_test_run (size_none, &out, &err, S_LONG_MS), 2);
    assert_string_equal (err, "jejak-replay checkpoint: --size must be a "
                              "whole number, got 'abc'\n");
    free (out);
    free (err);

    /* verify checks every checkpoint the hub stored against the log; a
       stored note with another head is a rewritten log. */
    char *verify[] = {"jejak-replay", "verify", h->db, NULL};
    assert_int_equal (jk_test_run (verify, &out, &err, S_LONG_MS), 0);
    assert_non_null (strstr (out, "the newest of 300 records, all heads of "
                                  "this log"));
    free (out);
    free (err);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (h->db, &db), SQLITE_OK);
    /* The root line of the size-300 note, one base64 digit changed. */
    assert_int_equal (
        sqlite3_exec (db,
                      "UPDATE checkpoint SET note = substr(note, 1, 31) ||"
                      " (CASE substr(note, 32, 1) WHEN 'A' THEN 'B' ELSE 'A'"
                      " END) || substr(note, 33) WHERE size = 300",
                      NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    assert_int_equal (jk_test_run (verify, &out, &err, S_LONG_MS), 1);
    assert_non_null (strstr (out, "the log's tree of size 300 has another "
                                  "head than the checkpoint the hub signed"));
    free (out);
    free (err);
    free (text);
    free (proof);
    s_client_destroy (&c);
}

/* A witness key made by jejak-keys in dir/NAME-keys: 0600 secret, its
   verifier key (printed again by witness-vkey) into vkey. */
static char *s_witness_key (s_hub_t *h, const char *stem, const char *name,
                            char vkey[256])
{
    char *dir = jk_sprintf ("%s/%s", h->dir, stem);
    char *out = NULL, *err = NULL;
    char *make[] = {"jejak-keys", "witness-key", "--dir", dir,
                    "--name",     (char *)name,  NULL};
    assert_int_equal (jk_test_run (make, &out, &err, S_LONG_MS), 0);
    char *key = jk_sprintf ("%s/witness.key", dir);
    struct stat st;
    assert_int_equal (stat (key, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    free (out);
    free (err);
    char *show[] = {"jejak-keys", "witness-vkey", "--dir", dir, NULL};
    assert_int_equal (jk_test_run (show, &out, &err, S_LONG_MS), 0);
    *strchr (out, '\n') = 0;
    snprintf (vkey, 256, "%s", out);
    assert_int_equal (strncmp (vkey, name, strlen (name)), 0);
    jk_note_signer_t w;
    char why[256];
    assert_int_equal (
        jk_note_vkey_parse (vkey, w.name, &w.type, w.pub, why, sizeof why),
        JK_OK);
    assert_int_equal (w.type, JK_NOTE_TYPE_COSIG);
    /* A second witness-key refuses to replace it. */
    free (out);
    free (err);
    assert_int_equal (jk_test_run (make, &out, &err, S_LONG_MS), 1);
    assert_non_null (strstr (err, "--force"));
    free (out);
    free (err);
    free (dir);
    return key;
}

/* Rewrites one base64 digit of the signature line of witness name in a
   note (a wrong signature with the right key ID). Heap. */
static char *s_bend_cosig (const char *note, const char *name)
{
    char *bent = jk_strdup (note);
    char *line = strstr (bent, name);
    assert_non_null (line);
    char *digit = line + strlen (name) + 1 + 40;
    *digit = *digit == 'A' ? 'B' : 'A';
    return bent;
}

/* One COSIGN of note: true when the store took it (COSIGNED); a
   refusal meanwhile must be E_BUSY naming a wait. */
static bool s_cosign_taken (zsock_t *q, const char *note)
{
    zmsg_t *ask = jk_wire_new ("COSIGN");
    zmsg_addstr (ask, note);
    zmsg_send (&ask, q);
    zmsg_t *reply = jk_test_recv (q, S_LONG_MS);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    bool taken = streq (command, "COSIGNED");
    if (!taken) {
        char *code = zmsg_popstr (reply);
        char *text = zmsg_popstr (reply);
        assert_string_equal (code, "E_BUSY");
        assert_non_null (strstr (text, "try again in "));
        free (code);
        free (text);
    }
    zmsg_destroy (&reply);
    return taken;
}

/* Offices as witnesses: jejak-keys makes their keys, sync and witness
   cosign the checkpoint they checked, the hub keeps the cosignatures of
   the witnesses it trusts and serves the checkpoint with them (CHECKPOINT,
   CHECKPOINT size, HEAD, $checkpoint); a wrong or untrusted cosignature
   is refused by code; an auditor accepts the hub's checkpoint with two
   trusted cosignatures and refuses it when one is wrong; a witness
   refuses to cosign a checkpoint that does not extend the one it holds. */
static void test_witnesses (void **state)
{
    s_hub_t *h = *state;
    char v1[256], v2[256], v3[256];
    char *k1 = s_witness_key (h, "w1", "32.03.10/saksi", v1);
    char *k2 = s_witness_key (h, "w2", "32.03.11/saksi", v2);
    char *k3 = s_witness_key (h, "w3", "32.03.12/saksi", v3);
    /* The hub trusts w1 and w2, w2's key given as a file. */
    char *v2_file = jk_sprintf ("%s/w2/witness.vkey", h->dir);
    char *trusted = jk_sprintf ("%s,%s", v1, v2_file);
    h->witnesses = trusted;
    s_hub_start (h, "1", true);
    zsock_t *q = jk_test_dealer (h->query);
    zsock_t *feed = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (feed, "$checkpoint");
    assert_int_equal (zsock_connect (feed, "%s", h->feed), 0);

    char *outbox = jk_sprintf ("%s/outbox.db", h->dir);
    char *outbox2 = jk_sprintf ("%s/outbox2.db", h->dir);
    char *csv = s_people_csv (h, "people.csv", 120, 1);
    char *out = NULL, *err = NULL;

    /* The empty tree's checkpoint, signed at the start on an empty log:
       CHECKPOINT 0 gives HEAD's, and a witness cosigns it like any
       other; CHECKPOINT 0 then carries the cosignature. */
    char *empty_note = NULL;
    assert_int_equal (s_head (h, q, NULL, &empty_note), 0);
    zmsg_t *ask0 = jk_wire_new ("CHECKPOINT");
    jk_wire_add_u64 (ask0, 0);
    zmsg_t *reply0 = s_ask (q, ask0, "CHECKPOINT");
    char *by_size0 = zmsg_popstr (reply0);
    zmsg_destroy (&reply0);
    assert_string_equal (by_size0, empty_note);
    free (by_size0);
    assert_int_equal (s_agent (h, outbox2, &out, &err, "--witness-key", k1,
                               "witness", NULL, NULL),
                      JK_EXIT_OK);
    assert_non_null (strstr (out, "witness: cosigned the checkpoint of 0 "
                                  "records as 32.03.10/saksi; the hub keeps "
                                  "1 cosignature of it"));
    free (out);
    free (err);
    ask0 = jk_wire_new ("CHECKPOINT");
    jk_wire_add_u64 (ask0, 0);
    reply0 = s_ask (q, ask0, "CHECKPOINT");
    by_size0 = zmsg_popstr (reply0);
    zmsg_destroy (&reply0);
    assert_int_equal (strncmp (by_size0, empty_note, strlen (empty_note)), 0);
    assert_non_null (strstr (by_size0 + strlen (empty_note),
                             "\xe2\x80\x94 32.03.10/saksi "));
    free (by_size0);
    free (empty_note);
    assert_int_equal (s_agent (h, outbox, &out, &err, "import", csv, "--type",
                               "person.registered", NULL),
                      JK_EXIT_OK);
    free (out);
    free (err);
    assert_int_equal (s_agent (h, outbox, &out, &err, "--witness-key", k1,
                               "sync", NULL, NULL),
                      JK_EXIT_OK);
    assert_non_null (strstr (out, "witness: cosigned the checkpoint of 120 "
                                  "records as 32.03.10/saksi; the hub keeps "
                                  "1 cosignature of it"));
    assert_non_null (strstr (out, "proofs: 120 receipts proven"));
    free (out);
    free (err);
    /* A second office, witness only. */
    assert_int_equal (s_agent (h, outbox2, &out, &err, "--witness-key", k2,
                               "witness", NULL, NULL),
                      JK_EXIT_OK);
    assert_non_null (strstr (out, "witness: cosigned the checkpoint of 120 "
                                  "records as 32.03.11/saksi; the hub keeps "
                                  "2 cosignatures of it"));
    assert_null (strstr (out, "receipts proven"));
    free (out);
    free (err);
    /* An untrusted witness: the hub says so, the command fails (1). */
    int rc = s_agent (h, outbox2, &out, &err, "--witness-key", k3, "witness",
                      NULL, NULL);
    if (rc != JK_EXIT_FAILURE)
        fail_msg ("exit %d: %s %s", rc, out, err);
    assert_non_null (strstr (out, "E_COSIGNATURE the signature line of "
                                  "32.03.12/saksi is not of a witness this "
                                  "hub trusts (2 trusted"));
    free (out);
    free (err);
    /* The log's key is no witness key. */
    assert_int_equal (s_agent (h, outbox2, &out, &err, "--witness-key",
                               h->key_file, "witness", NULL, NULL),
                      JK_EXIT_FAILURE);
    assert_non_null (strstr (out, "is the log's key (type 01), not a witness "
                                  "key"));
    free (out);
    free (err);

    /* Served with both cosignatures: CHECKPOINT, CHECKPOINT 120, HEAD and
       the feed, each verifying with quorum 2. */
    jk_note_signer_t w[2];
    int count = 0;
    char why[320];
    char *both = jk_sprintf ("%s,%s", v1, v2);
    assert_int_equal (jk_note_signers_parse (both, JK_NOTE_TYPE_COSIG, w, 2,
                                             &count, why, sizeof why),
                      JK_OK);
    assert_int_equal (count, 2);
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    zmsg_t *reply = s_ask (q, jk_wire_new ("CHECKPOINT"), "CHECKPOINT");
    char *served = zmsg_popstr (reply);
    zmsg_destroy (&reply);
    assert_int_equal (
        jk_checkpoint_parse (served, strlen (served), cp, why, sizeof why),
        JK_OK);
    assert_int_equal (cp->size, 120);
    assert_int_equal (cp->sig_count, 3);
    assert_int_equal (
        jk_checkpoint_trusted (cp, &h->signer, w, 2, 2, why, sizeof why),
        JK_OK);
    zmsg_t *ask = jk_wire_new ("CHECKPOINT");
    jk_wire_add_u64 (ask, 120);
    reply = s_ask (q, ask, "CHECKPOINT");
    char *by_size = zmsg_popstr (reply);
    zmsg_destroy (&reply);
    assert_string_equal (by_size, served);
    free (by_size);
    char *head_note = NULL;
    assert_int_equal (s_head (h, q, NULL, &head_note), 120);
    assert_string_equal (head_note, served);
    free (head_note);
    ask = jk_wire_new ("CHECKPOINT");
    jk_wire_add_u64 (ask, 77);
    s_expect_error (q, ask, "E_NO_CHECKPOINT",
                    "no checkpoint of 77 records was signed");
    /* The feed published it again with each new cosignature. */
    bool seen = false;
    while (!seen) {
        zmsg_t *msg = jk_test_recv (feed, S_LONG_MS);
        assert_non_null (msg);
        char *topic = zmsg_popstr (msg);
        char *note = zmsg_popstr (msg);
        assert_string_equal (topic, "$checkpoint");
        seen = streq (note, served);
        free (topic);
        free (note);
        zmsg_destroy (&msg);
    }

    /* COSIGN by hand: one wrong signature of a trusted witness is
       refused, whatever the other lines; another text is no checkpoint
       of this hub; a frame too many is a protocol error. */
    char *bent = s_bend_cosig (served, "32.03.11/saksi");
    ask = jk_wire_new ("COSIGN");
    zmsg_addstr (ask, bent);
    s_expect_error (q, ask, "E_COSIGNATURE",
                    "the cosignature of witness 32.03.11/saksi does not "
                    "verify");
    uint8_t root[32] = {1};
    char *other = jk_checkpoint_sign ("jejak.cianjurkab.go.id/log", 120, root,
                                      (const uint8_t *)"0123456789abcdef"
                                                       "0123456789abcdef");
    /* Without a trusted witness's line it is refused before the store
       does any work; cosigned by w1, the store finds it is not its own. */
    ask = jk_wire_new ("COSIGN");
    zmsg_addstr (ask, other);
    s_expect_error (q, ask, "E_COSIGNATURE",
                    "no cosignature of a witness this hub trusts (2 trusted: "
                    "jejak-hub --witnesses)");
    char w1_name[JK_NOTE_NAME_MAX];
    int w1_type = 0;
    uint8_t w1_seed[32];
    assert_int_equal (
        jk_note_skey_load (k1, w1_name, &w1_type, w1_seed, why, sizeof why),
        JK_OK);
    jk_checkpoint_t *other_cp = jk_malloc (sizeof *other_cp);
    assert_int_equal (
        jk_checkpoint_parse (other, strlen (other), other_cp, why, sizeof why),
        JK_OK);
    char *other_cosigned =
        jk_note_cosign (other, other_cp, w1_name, w1_seed, 1733300000);
    free (other_cp);
    ask = jk_wire_new ("COSIGN");
    zmsg_addstr (ask, other_cosigned);
    s_expect_error (q, ask, "E_NO_CHECKPOINT",
                    "this hub signed no checkpoint with this text");
    free (other_cosigned);
    free (other);
    /* A line twice (the served note's last, a trusted witness's): refused
       before the store, and named as what it is, not as a stranger's. */
    size_t served_len = strlen (served);
    size_t last = served_len - 1;
    while (last > 0 && served[last - 1] != '\n')
        last--;
    char *twice = jk_sprintf ("%s%s", served, served + last);
    jk_checkpoint_t *served_cp = jk_malloc (sizeof *served_cp);
    assert_int_equal (
        jk_checkpoint_parse (served, served_len, served_cp, why, sizeof why),
        JK_OK);
    char *twice_why =
        jk_sprintf ("the signature line of %s is there twice: "
                    "a note carries one line per key",
                    served_cp->sigs[served_cp->sig_count - 1].name);
    ask = jk_wire_new ("COSIGN");
    zmsg_addstr (ask, twice);
    s_expect_error (q, ask, "E_COSIGNATURE", twice_why);
    free (twice_why);
    free (served_cp);
    free (twice);
    /* The bound per witness: 40 COSIGNs of the served note (both
       witnesses' lines) sent at once; each witness has a bucket of 4, one
       back every 250 ms, so at most 4 + elapsed / 250 ms reach the store
       and the rest are E_BUSY, answered at once. */
    int64_t started = jk_clock_mono_ms ();
    for (int i = 0; i < 40; i++) {
        ask = jk_wire_new ("COSIGN");
        zmsg_addstr (ask, served);
        zmsg_send (&ask, q);
    }
    int cosigned = 0, busy = 0;
    for (int i = 0; i < 40; i++) {
        reply = jk_test_recv (q, S_LONG_MS);
        assert_non_null (reply);
        char command[16];
        assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
        if (streq (command, "COSIGNED"))
            cosigned++;
        else {
            assert_string_equal (command, "ERROR");
            char *code = zmsg_popstr (reply);
            char *text = zmsg_popstr (reply);
            assert_string_equal (code, "E_BUSY");
            if (!strstr (text, " sent more than 4 COSIGN within 1000 ms (at "
                               "most one per 250 ms after a burst of 4): try "
                               "again in "))
                fail_msg ("E_BUSY says '%s'", text);
            free (code);
            free (text);
            busy++;
        }
        zmsg_destroy (&reply);
    }
    int64_t elapsed = jk_clock_mono_ms () - started;
    assert_int_equal (cosigned + busy, 40);
    if (cosigned > 4 + elapsed / 250)
        fail_msg ("%d COSIGNs reached the store in %lld ms", cosigned,
                  (long long)elapsed);
    /* The bucket fills again: asked again until the store takes one
       (within a deadline), every refusal meanwhile E_BUSY naming a wait. */
    assert_true (JK_WAIT_FOR (s_cosign_taken (q, served), S_LONG_MS));
    ask = jk_wire_new ("COSIGN");
    zmsg_addstr (ask, served);
    zmsg_addstr (ask, "extra");
    s_expect_error (q, ask, "E_PROTOCOL", "COSIGN takes 1 argument frame");
    /* Still the two good ones. */
    reply = s_ask (q, jk_wire_new ("CHECKPOINT"), "CHECKPOINT");
    char *again = zmsg_popstr (reply);
    zmsg_destroy (&reply);
    assert_string_equal (again, served);
    free (again);
    zsock_destroy (&q);
    zsock_destroy (&feed);
    s_hub_stop (h, SIGTERM);

    /* The auditor: the stored checkpoint with its cosignatures, accepted
       with quorum 2; refused when one witness signature is wrong. */
    char *note_file = jk_sprintf ("%s/cp.note", h->dir);
    char *take[] = {"jejak-replay", "checkpoint", h->db,
                    "--out",        note_file,    NULL};
    assert_int_equal (jk_test_run (take, &out, &err, S_LONG_MS), 0);
    free (out);
    free (err);
    char *kept = jk_test_slurp (note_file, NULL);
    assert_string_equal (kept, served);
    char *verify[] = {"jejak-replay", "verify",    h->db,   "--checkpoint",
                      note_file,      "--log-key", h->vkey, "--witnesses",
                      both,           "--quorum",  "2",     NULL};
    assert_int_equal (jk_test_run (verify, &out, &err, S_LONG_MS), 0);
    assert_non_null (strstr (out, "tree size 120, head matches, signed by "
                                  "the log and at least 2 trusted "
                                  "witnesses"));
    free (out);
    free (err);
    FILE *f = fopen (note_file, "w");
    fputs (bent, f);
    fclose (f);
    assert_int_equal (jk_test_run (verify, &out, &err, S_LONG_MS), 1);
    assert_non_null (strstr (out, "REFUSED checkpoint"));
    assert_non_null (strstr (out, "the cosignature of witness "
                                  "32.03.11/saksi does not verify"));
    free (out);
    free (err);
    /* A proof carries the cosigned checkpoint: check with quorum 2. */
    char *proof = jk_sprintf ("%s/p5.proof", h->dir);
    char *prove[] = {"jejak-replay", "prove", h->db, "5", "--out", proof, NULL};
    assert_int_equal (jk_test_run (prove, &out, &err, S_LONG_MS), 0);
    free (out);
    free (err);
    char *check[] = {"jejak-replay", "check", proof,      "--log-key", h->vkey,
                     "--witnesses",  both,    "--quorum", "2",         NULL};
    assert_int_equal (jk_test_run (check, &out, &err, S_LONG_MS), 0);
    assert_non_null (strstr (out, "VALID proof"));
    free (out);
    free (err);

    /* A forked log under the same key: the witness holding the
       checkpoint of 120 refuses to cosign (E_FORK, exit 5), and the
       forked hub keeps no cosignature. */
    char *forked = jk_sprintf ("%s/forked/events.db", h->dir);
    char *db = h->db;
    h->db = forked;
    s_hub_start (h, "1", true);
    s_client_t *c = s_client_new (h->ingest, "32.03.11/cugenang-1", 150, 5000);
    s_client_deliver (c, 50, S_LONG_MS, NULL, NULL);
    s_client_destroy (&c);
    assert_int_equal (s_agent (h, outbox2, &out, &err, "--witness-key", k2,
                               "witness", NULL, NULL),
                      JK_EXIT_FORK);
    assert_non_null (strstr (out, "E_FORK: the hub's checkpoint of 150 "
                                  "records and the one of 120 this office "
                                  "holds are not consistent"));
    assert_null (strstr (out, "witness: cosigned"));
    free (out);
    free (err);
    s_hub_stop (h, SIGTERM);
    sqlite3 *fdb = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_open (forked, &fdb), SQLITE_OK);
    assert_int_equal (sqlite3_prepare_v2 (fdb,
                                          "SELECT count(*) FROM cosignature",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (sqlite3_column_int (st, 0), 0);
    sqlite3_finalize (st);
    sqlite3_close (fdb);
    assert_int_equal (s_outbox_count (outbox2, "SELECT count(*) FROM forks"
                                               " WHERE held LIKE '%\n120\n%'"
                                               " AND seen LIKE '%\n150\n%'"),
                      1);
    h->db = db;
    h->witnesses = NULL;
    free (forked);
    free (proof);
    free (kept);
    free (note_file);
    free (bent);
    free (served);
    free (cp);
    free (both);
    free (csv);
    free (outbox);
    free (outbox2);
    free (trusted);
    free (v2_file);
    free (k1);
    free (k2);
    free (k3);
}

/* A source holding terminal controls (valid UTF-8 without NUL, so the
   event is attributable and logged as a rejection): the proof of that
   record checks VALID, and what check prints of it (its code and message,
   its type and source) has every control character written as \xNN. */
static void test_check_escapes (void **state)
{
    s_hub_t *h = *state;
    s_client_t *c = s_signed_log (h,
                                  "32.03.10/pa\x1b[2J\xc2\x9b"
                                  "cet",
                                  1, 1);
    assert_int_equal (c->items[0].first, JK_ANSWER_REJECTED);

    char *proof = jk_sprintf ("%s/p1.proof", h->dir);
    char *out = NULL, *err = NULL;
    char *prove[] = {"jejak-replay", "prove", h->db, "1", "--out", proof, NULL};
    assert_int_equal (jk_test_run (prove, &out, &err, S_LONG_MS), 0);
    free (out);
    free (err);
    char *check[] = {"jejak-replay", "check", proof,
                     "--log-key",    h->vkey, NULL};
    assert_int_equal (jk_test_run (check, &out, &err, S_LONG_MS), 0);
    assert_non_null (strstr (out, "VALID proof"));
    assert_null (strchr (out, 0x1b));
    assert_null (strstr (out, "\xc2\x9b"));
    assert_non_null (strstr (out, "source 32.03.10/pa\\x1b[2J\\x9bcet seq 1"));
    free (out);
    free (err);
    free (proof);
    s_client_destroy (&c);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_checkpoints_and_proofs, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_without_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_tree_behind, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_receipts_with_proofs, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_prove_and_check, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_check_escapes, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_witnesses, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_prove_consistency, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
