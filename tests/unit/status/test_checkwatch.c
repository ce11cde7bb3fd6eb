/*  test_checkwatch.c - the board's checkpoint watch without a network:
    the first checkpoint is held and kept in its file, a newer one is
    held once its consistency proof checks out, a note without the log's
    signature is ignored, and every kind of fork (a proof that does not
    lead to the new head, the same size with another head, a hub that
    cannot prove up to the size held) raises the alarm with both notes in
    the evidence file. */
#include "testsupport.h"

#include "jk_merkle.h"
#include "jk_note.h"
#include "jk_status.h"

#include <dirent.h>
#include <string.h>
#include <unistd.h>

#define S_ORIGIN "jejak.cianjurkab.go.id/log"

static const uint8_t s_seed[32] = {9, 8, 7};
static uint8_t s_leaves[2][8][32]; /* history 0 and history 1 */

static int s_node (void *arg, int height, uint64_t index, uint8_t out[32])
{
    uint8_t (*leaves)[32] = arg;
    jk_mhash_t *mh = jk_mhash_new ();
    jk_merkle_edge_t edge = {0};
    for (uint64_t i = 0; i < (uint64_t)1 << height; i++)
        jk_merkle_edge_push (&edge, mh, leaves[(index << height) + i]);
    jk_merkle_edge_root (&edge, mh, out);
    jk_mhash_destroy (&mh);
    return JK_OK;
}

/* The signed checkpoint of history h at size n (with seed). */
static char *s_note (int h, uint64_t n, const uint8_t seed[32])
{
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t root[32];
    assert_int_equal (jk_merkle_root (s_node, s_leaves[h], mh, n, root), JK_OK);
    jk_mhash_destroy (&mh);
    return jk_checkpoint_sign (S_ORIGIN, n, root, seed);
}

/* The PROOF answer of history h from old to new (frames after the
   command). */
static zmsg_t *s_proof (int h, uint64_t old_size, uint64_t new_size)
{
    jk_mhash_t *mh = jk_mhash_new ();
    uint8_t proof[JK_MERKLE_PROOF_MAX][32];
    size_t count = 0;
    assert_int_equal (jk_merkle_consistency (s_node, s_leaves[h], mh, old_size,
                                             new_size, proof, &count),
                      JK_OK);
    jk_mhash_destroy (&mh);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "CONSISTENCY");
    jk_wire_add_u64 (msg, old_size);
    jk_wire_add_u64 (msg, new_size);
    zmsg_addmem (msg, proof, count * 32);
    return msg;
}

/* Checks a request is PROOF CONSISTENCY a b. */
static void s_expect_ask (zmsg_t **ask_p, uint64_t a, uint64_t b)
{
    zmsg_t *ask = *ask_p;
    assert_non_null (ask);
    char command[16];
    assert_int_equal (jk_wire_open (ask, command, sizeof command), 0);
    assert_string_equal (command, "PROOF");
    char *kind = zmsg_popstr (ask);
    assert_string_equal (kind, "CONSISTENCY");
    free (kind);
    uint64_t x = 0, y = 0;
    assert_int_equal (jk_wire_pop_u64 (ask, &x), 0);
    assert_int_equal (jk_wire_pop_u64 (ask, &y), 0);
    assert_int_equal (x, a);
    assert_int_equal (y, b);
    zmsg_destroy (ask_p);
}

static jk_ckwatch_t *s_watch (const char *path)
{
    uint8_t pub[32];
    assert_int_equal (jk_note_public (s_seed, pub), JK_OK);
    char vkey[256], err[320];
    jk_note_vkey_format (S_ORIGIN, JK_NOTE_TYPE_ED25519, pub, vkey,
                         sizeof vkey);
    jk_ckwatch_t *watch = jk_ckwatch_new (vkey, path, err, sizeof err);
    if (!watch)
        fail_msg ("%s", err);
    return watch;
}

static void test_watch (void **state)
{
    (void)state;
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 8; i++) {
            /* The histories share their first 3 leaves. */
            memset (s_leaves[h][i], i < 3 ? i : 16 * h + i, 32);
        }
    char *dir = jk_test_tmpdir ("ckwatch");
    char *path = jk_sprintf ("%s/held.note", dir);
    char *forks = jk_sprintf ("%s.forks", path);
    jk_ckwatch_t *w = s_watch (path);
    assert_int_equal (jk_ckwatch_size (w), 0);

    /* The first: held as it is, kept in the file. */
    char *n4 = s_note (0, 4, s_seed);
    assert_null (jk_ckwatch_seen (w, n4, strlen (n4)));
    assert_int_equal (jk_ckwatch_size (w), 4);
    assert_true (jk_ckwatch_changed (w));
    assert_false (jk_ckwatch_changed (w));
    char *kept = jk_test_slurp (path, NULL);
    assert_string_equal (kept, n4);
    free (kept);
    /* Another key's note: ignored. */
    const uint8_t other[32] = {1};
    char *forged = s_note (1, 8, other);
    assert_null (jk_ckwatch_seen (w, forged, strlen (forged)));
    assert_int_equal (jk_ckwatch_size (w), 4);
    /* A newer one: asked, proven, held. */
    char *n8 = s_note (0, 8, s_seed);
    zmsg_t *ask = jk_ckwatch_seen (w, n8, strlen (n8));
    s_expect_ask (&ask, 4, 8);
    assert_true (jk_ckwatch_waiting (w));
    zmsg_t *answer = s_proof (0, 4, 8);
    assert_null (jk_ckwatch_answer (w, "PROOF", answer));
    zmsg_destroy (&answer);
    assert_false (jk_ckwatch_waiting (w));
    assert_int_equal (jk_ckwatch_size (w), 8);
    assert_string_equal (jk_ckwatch_alarm (w), "");
    /* The store busy: nothing held, nothing alarmed, asked again. */
    char *n6 = s_note (0, 6, s_seed);
    ask = jk_ckwatch_seen (w, n6, strlen (n6));
    s_expect_ask (&ask, 6, 8);
    answer = zmsg_new ();
    zmsg_addstr (answer, "E_UNAVAILABLE");
    zmsg_addstr (answer, "the Merkle tree is behind the log");
    assert_null (jk_ckwatch_answer (w, "ERROR", answer));
    zmsg_destroy (&answer);
    assert_string_equal (jk_ckwatch_alarm (w), "");
    assert_int_equal (jk_ckwatch_size (w), 8);
    jk_ckwatch_destroy (&w);
    assert_int_equal (access (forks, F_OK), -1);

    /* Restarted from the file: holds 8. History 1 at 8: the same size
       with another head, the alarm at once. */
    w = s_watch (path);
    assert_int_equal (jk_ckwatch_size (w), 8);
    char *m8 = s_note (1, 8, s_seed);
    assert_null (jk_ckwatch_seen (w, m8, strlen (m8)));
    assert_non_null (strstr (jk_ckwatch_alarm (w),
                             "LOG BERCABANG: checkpoint hub 8 catatan berbeda "
                             "kepala dengan yang sudah diverifikasi; bukti: "));
    assert_non_null (strstr (jk_ckwatch_alarm (w),
                             "LOG FORKED: the hub's checkpoint of 8 records "
                             "has another head than the one this board "
                             "verified; evidence: "));
    char *evidence = jk_test_slurp (forks, NULL);
    assert_non_null (strstr (evidence, n8));
    assert_non_null (strstr (evidence, m8));
    free (evidence);
    /* The alarm stays: nothing more is asked. */
    assert_null (jk_ckwatch_seen (w, n8, strlen (n8)));
    jk_ckwatch_destroy (&w);

    /* Restarted while the evidence is there: the alarm stands from the
       start, nothing is checked or held, until it is cleared. */
    w = s_watch (path);
    assert_true (jk_ckwatch_changed (w));
    char *at_start = jk_sprintf (
        "LOG BERCABANG: bukti percabangan yang belum dibersihkan masih ada; "
        "bukti: %s / LOG FORKED: the evidence of a fork not yet cleared is "
        "still there; evidence: %s",
        forks, forks);
    assert_string_equal (jk_ckwatch_alarm (w), at_start);
    free (at_start);
    assert_null (jk_ckwatch_seen (w, m8, strlen (m8)));
    assert_null (jk_ckwatch_seen (w, n8, strlen (n8)));
    assert_int_equal (jk_ckwatch_size (w), 8);
    char said[1024];
    assert_int_equal (jk_ckwatch_clear (path, said, sizeof said), JK_OK);
    assert_string_equal (jk_ckwatch_alarm (w), "");
    assert_int_equal (jk_ckwatch_size (w), 0);
    jk_ckwatch_destroy (&w);

    /* A proof of history 1 from 4 to 8 does not lead from history 0's
       head at 4. */
    unlink (path);
    w = s_watch (path);
    assert_null (jk_ckwatch_seen (w, n4, strlen (n4)));
    char *m8b = s_note (1, 8, s_seed);
    ask = jk_ckwatch_seen (w, m8b, strlen (m8b));
    s_expect_ask (&ask, 4, 8);
    answer = s_proof (1, 4, 8);
    assert_null (jk_ckwatch_answer (w, "PROOF", answer));
    zmsg_destroy (&answer);
    assert_non_null (strstr (jk_ckwatch_alarm (w),
                             "the hub's checkpoint of 8 records and the one "
                             "of 4 this board verified are not consistent"));
    assert_int_equal (jk_ckwatch_size (w), 4);
    jk_ckwatch_destroy (&w);

    /* Holding 8, shown 6 by a hub that cannot prove up to 8: cut. */
    unlink (path);
    unlink (forks);
    w = s_watch (path);
    assert_null (jk_ckwatch_seen (w, n8, strlen (n8)));
    ask = jk_ckwatch_seen (w, n6, strlen (n6));
    s_expect_ask (&ask, 6, 8);
    answer = zmsg_new ();
    zmsg_addstr (answer, "E_PROOF_RANGE");
    zmsg_addstr (answer, "PROOF CONSISTENCY size 8 is beyond the log's 6 "
                         "records");
    assert_null (jk_ckwatch_answer (w, "ERROR", answer));
    zmsg_destroy (&answer);
    assert_non_null (strstr (jk_ckwatch_alarm (w),
                             "the hub's log (checkpoint of 6 records) is "
                             "shorter than the checkpoint of 8 this board "
                             "verified"));
    jk_ckwatch_destroy (&w);

    /* The evidence cannot be written (FILE.forks a link to nowhere): the
       alarm says so and stands, the missing file is not taken for a
       clear, and the checkpoint verified before stays in the file. */
    unlink (path);
    unlink (forks);
    assert_int_equal (symlink ("/nonexistent-jejak/forks", forks), 0);
    w = s_watch (path);
    assert_null (jk_ckwatch_seen (w, n8, strlen (n8)));
    assert_null (jk_ckwatch_seen (w, m8, strlen (m8)));
    assert_non_null (strstr (jk_ckwatch_alarm (w), "bukti: (tidak tersimpan)"));
    assert_null (jk_ckwatch_seen (w, m8, strlen (m8)));
    assert_non_null (strstr (jk_ckwatch_alarm (w), "LOG BERCABANG: "));
    assert_int_equal (jk_ckwatch_size (w), 8);
    kept = jk_test_slurp (path, NULL);
    assert_string_equal (kept, n8);
    free (kept);
    jk_ckwatch_destroy (&w);
    unlink (forks);

    /* A file holding something else: refused at start. */
    FILE *f = fopen (path, "w");
    fputs ("hello\n", f);
    fclose (f);
    char err[320];
    uint8_t pub[32];
    jk_note_public (s_seed, pub);
    char vkey[256];
    jk_note_vkey_format (S_ORIGIN, JK_NOTE_TYPE_ED25519, pub, vkey,
                         sizeof vkey);
    assert_null (jk_ckwatch_new (vkey, path, err, sizeof err));
    assert_non_null (strstr (err, "not a checkpoint of this log"));
    free (n4);
    free (n6);
    free (n8);
    free (m8);
    free (m8b);
    free (forged);
    free (path);
    free (forks);
    jk_test_rmdir (&dir);
}

/* The files of dir (not . and ..). */
static int s_files (const char *dir)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    int n = 0;
    for (struct dirent *e; (e = readdir (d)) != NULL;)
        n += strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0;
    closedir (d);
    return n;
}

/* Clearing moves the checkpoint first, the evidence second. When the
   second cannot be moved (here its new name would be longer than a file
   name may be: the checkpoint file's name is 228 bytes), the first is
   moved back: both files stay as they were, the alarm stands, and the
   reason says so. */
static void test_clear_puts_back (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("checkwatch");
    char name[229];
    memset (name, 'c', 228);
    name[228] = 0;
    char *path = jk_sprintf ("%s/%s", dir, name);
    char *forks = jk_sprintf ("%s.forks", path);
    char *n8 = s_note (0, 8, s_seed), *m8 = s_note (1, 8, s_seed);
    jk_ckwatch_t *w = s_watch (path);
    assert_null (jk_ckwatch_seen (w, n8, strlen (n8)));
    assert_null (jk_ckwatch_seen (w, m8, strlen (m8)));
    assert_non_null (strstr (jk_ckwatch_alarm (w), "LOG BERCABANG: "));
    char *evidence = jk_test_slurp (forks, NULL);
    assert_non_null (evidence);

    char said[2048];
    assert_int_equal (jk_ckwatch_clear (path, said, sizeof said), JK_IO);
    char *head =
        jk_sprintf ("cannot move %s aside to %s.cleared-", forks, forks);
    char *tail = jk_sprintf (": File name too long; nothing was moved (%s is "
                             "back)",
                             path);
    assert_int_equal (strncmp (said, head, strlen (head)), 0);
    /* STAMP: YYYYMMDDTHHMMSSZ */
    assert_int_equal (strlen (said), strlen (head) + 16 + strlen (tail));
    assert_string_equal (said + strlen (head) + 16, tail);
    assert_int_equal (said[strlen (head) + 8], 'T');
    /* Both files as they were, nothing else beside them. */
    char *kept = jk_test_slurp (path, NULL);
    assert_string_equal (kept, n8);
    free (kept);
    char *still = jk_test_slurp (forks, NULL);
    assert_string_equal (still, evidence);
    free (still);
    assert_int_equal (s_files (dir), 2);
    assert_non_null (strstr (jk_ckwatch_alarm (w), "LOG BERCABANG: "));
    assert_int_equal (jk_ckwatch_size (w), 8);
    jk_ckwatch_destroy (&w);
    /* No alarm at all: nothing to clear, nothing moved. */
    unlink (forks);
    assert_int_equal (jk_ckwatch_clear (path, said, sizeof said), JK_NOT_FOUND);
    char *none =
        jk_sprintf ("no fork alarm to clear: %s does not exist", forks);
    assert_string_equal (said, none);
    assert_int_equal (s_files (dir), 1);
    free (none);
    free (head);
    free (tail);
    free (evidence);
    free (n8);
    free (m8);
    free (path);
    free (forks);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_watch),
        cmocka_unit_test (test_clear_puts_back),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
