/*  test_checkpoint.c - jejak-replay verify --checkpoint, run as a
    process on a real log file: a signed checkpoint of the whole log and
    of an older size is accepted with the log's key and a quorum of
    trusted witnesses; refused when one witness signature is wrong, when
    the quorum is not met, when the log has another head at that size (a
    rewritten or forked history signed by the same key), when the log is
    shorter than the checkpoint; usage errors name the flag, and
    --log-key, --witnesses or --quorum without --checkpoint is one. The
    witnesses' keys may be given in files. */
#include "testsupport.h"

#include "jk_log.h"
#include "jk_tiles.h"
#include "jk_note.h"

#include <string.h>

#define S_ORIGIN "jejak.cianjurkab.go.id/log"
#define S_RUN_MS 60000

static const uint8_t s_log_seed[32] = {7, 7, 7};
static const uint8_t s_w1_seed[32] = {1};
static const uint8_t s_w2_seed[32] = {2};

typedef struct {
    char *dir;
    char *db;
    char log_vkey[256], w1_vkey[256], w2_vkey[256];
    uint8_t head600[32], head300[32];
} fixture_t;

static int s_setup (void **state)
{
    fixture_t *f = jk_calloc (1, sizeof *f);
    f->dir = jk_test_tmpdir ("checkpoint");
    f->db = jk_sprintf ("%s/events.db", f->dir);
    char err[256];
    jk_log_t *log = jk_log_open (f->db, 0, err, sizeof err);
    assert_non_null (log);
    assert_int_equal (jk_log_begin (log), JK_OK);
    for (uint64_t pos = 1; pos <= 600; pos++) {
        jk_log_record_t record = {.type = "cooperative.registered",
                                  .version = 1,
                                  .source = "kop-3203",
                                  .seq = pos,
                                  .at = 1700000000000,
                                  .outcome = JK_LOG_ACCEPTED};
        memcpy (record.id, &pos, sizeof pos);
        uint8_t *bytes = jk_test_record_bytes (
            record.type, record.version, record.source, record.seq, record.at,
            record.id, &record.size);
        record.bytes = bytes;
        record.recorded_at = jk_log_next_time (log);
        assert_int_equal (jk_log_append (log, &record), JK_OK);
        free (bytes);
    }
    assert_int_equal (jk_log_commit (log), JK_OK);
    jk_tiles_head (jk_log_tiles (log), f->head600);
    jk_tiles_t *reader = jk_tiles_reader (jk_log_db (log));
    assert_int_equal (jk_merkle_root (jk_tiles_node, reader,
                                      jk_tiles_hasher (reader), 300,
                                      f->head300),
                      JK_OK);
    jk_tiles_destroy (&reader);
    jk_log_close (&log);
    uint8_t pub[32];
    jk_note_public (s_log_seed, pub);
    jk_note_vkey_format (S_ORIGIN, JK_NOTE_TYPE_ED25519, pub, f->log_vkey,
                         sizeof f->log_vkey);
    jk_note_public (s_w1_seed, pub);
    jk_note_vkey_format ("dinas.jabarprov.go.id/saksi", JK_NOTE_TYPE_COSIG, pub,
                         f->w1_vkey, sizeof f->w1_vkey);
    jk_note_public (s_w2_seed, pub);
    jk_note_vkey_format ("kop-3203-cugenang/saksi", JK_NOTE_TYPE_COSIG, pub,
                         f->w2_vkey, sizeof f->w2_vkey);
    *state = f;
    return 0;
}

static int s_teardown (void **state)
{
    fixture_t *f = *state;
    jk_test_rmdir (&f->dir);
    free (f->db);
    free (f);
    return 0;
}

/* Writes a checkpoint of (size, root) signed by the log and cosigned by
   the witnesses given; returns its path. */
static char *s_checkpoint (fixture_t *f, const char *name, uint64_t size,
                           const uint8_t root[32], bool w1, bool w2)
{
    char body[256];
    size_t len = jk_checkpoint_body (S_ORIGIN, size, root, body, sizeof body);
    char *sig = jk_note_sign_line (body, len, S_ORIGIN, JK_NOTE_TYPE_ED25519,
                                   s_log_seed, 0);
    char *c1 =
        w1 ? jk_note_sign_line (body, len, "dinas.jabarprov.go.id/saksi",
                                JK_NOTE_TYPE_COSIG, s_w1_seed, 1764806400)
           : jk_strdup ("");
    char *c2 =
        w2 ? jk_note_sign_line (body, len, "kop-3203-cugenang/saksi",
                                JK_NOTE_TYPE_COSIG, s_w2_seed, 1764806401)
           : jk_strdup ("");
    char *path = jk_sprintf ("%s/%s", f->dir, name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "%s\n%s%s%s", body, sig, c1, c2);
    fclose (file);
    free (sig);
    free (c1);
    free (c2);
    return path;
}

static int s_verify (fixture_t *f, char **out, const char *checkpoint,
                     const char *witnesses, const char *quorum)
{
    char *argv[16];
    int n = 0;
    argv[n++] = "jejak-replay";
    argv[n++] = "verify";
    argv[n++] = f->db;
    if (checkpoint) {
        argv[n++] = "--checkpoint";
        argv[n++] = (char *)checkpoint;
        argv[n++] = "--log-key";
        argv[n++] = f->log_vkey;
    }
    if (witnesses) {
        argv[n++] = "--witnesses";
        argv[n++] = (char *)witnesses;
    }
    if (quorum) {
        argv[n++] = "--quorum";
        argv[n++] = (char *)quorum;
    }
    argv[n] = NULL;
    char *err = NULL;
    int rc = jk_test_run (argv, out, &err, S_RUN_MS);
    free (err);
    return rc;
}

static void test_checkpoint_accepted (void **state)
{
    fixture_t *f = *state;
    char *whole = s_checkpoint (f, "whole.note", 600, f->head600, false, false);
    char *out = NULL;
    assert_int_equal (s_verify (f, &out, whole, NULL, NULL), 0);
    assert_non_null (strstr (out, "tree size 600, head matches"));
    free (out);
    /* An older checkpoint, cosigned by both witnesses, quorum 2. */
    char *older = s_checkpoint (f, "older.note", 300, f->head300, true, true);
    char *both = jk_sprintf ("%s,%s", f->w1_vkey, f->w2_vkey);
    assert_int_equal (s_verify (f, &out, older, both, "2"), 0);
    assert_non_null (strstr (out, "tree size 300, head matches, signed by "
                                  "the log and at least 2 trusted witnesses"));
    free (out);
    /* The witnesses' keys in a file, one per line (as the hub takes
       them), or a file and a key. */
    char *list = jk_sprintf ("%s/witnesses.txt", f->dir);
    FILE *file = fopen (list, "w");
    assert_non_null (file);
    fprintf (file, "%s\n%s\n", f->w1_vkey, f->w2_vkey);
    fclose (file);
    assert_int_equal (s_verify (f, &out, older, list, "2"), 0);
    assert_non_null (strstr (out, "at least 2 trusted witnesses"));
    free (out);
    file = fopen (list, "w");
    assert_non_null (file);
    fprintf (file, "%s\n", f->w1_vkey);
    fclose (file);
    char *mixed = jk_sprintf ("%s,%s", list, f->w2_vkey);
    assert_int_equal (s_verify (f, &out, older, mixed, "2"), 0);
    assert_non_null (strstr (out, "at least 2 trusted witnesses"));
    free (out);
    free (mixed);
    free (list);
    free (both);
    free (whole);
    free (older);
}

static void test_checkpoint_refused (void **state)
{
    fixture_t *f = *state;
    char *both = jk_sprintf ("%s,%s", f->w1_vkey, f->w2_vkey);
    char *older = s_checkpoint (f, "older.note", 300, f->head300, true, true);
    /* One witness signature wrong: one base64 character of its line. */
    size_t size = 0;
    char *text = jk_test_slurp (older, &size);
    char *line = strstr (text, "kop-3203-cugenang/saksi ");
    assert_non_null (line);
    char *c = line + strlen ("kop-3203-cugenang/saksi ") + 40;
    *c = *c == 'A' ? 'B' : 'A';
    FILE *file = fopen (older, "w");
    fwrite (text, 1, size, file);
    fclose (file);
    free (text);
    char *out = NULL;
    assert_int_equal (s_verify (f, &out, older, both, "1"), 1);
    assert_non_null (strstr (out, "REFUSED checkpoint"));
    assert_non_null (strstr (out, "the cosignature of witness "
                                  "kop-3203-cugenang/saksi does not verify"));
    free (out);
    /* Only one witness cosigned: quorum 2 is not met. */
    char *one = s_checkpoint (f, "one.note", 300, f->head300, true, false);
    assert_int_equal (s_verify (f, &out, one, both, "2"), 1);
    assert_non_null (strstr (out, "1 trusted witness cosignature, 2 required"));
    free (out);
    /* Another head at size 300, validly signed: a forked history. */
    uint8_t other[32];
    memcpy (other, f->head300, 32);
    other[0] ^= 1;
    char *fork = s_checkpoint (f, "fork.note", 300, other, false, false);
    assert_int_equal (s_verify (f, &out, fork, NULL, NULL), 1);
    assert_non_null (strstr (out, "TAMPERED"));
    assert_non_null (strstr (out, "the log's tree of size 300 has another "
                                  "head than the signed checkpoint"));
    free (out);
    /* The log is shorter than the checkpoint's tree. */
    char *ahead = s_checkpoint (f, "ahead.note", 700, f->head600, false, false);
    assert_int_equal (s_verify (f, &out, ahead, NULL, NULL), 1);
    assert_non_null (strstr (out, "the log ends at position 600 but the "
                                  "checkpoint's tree has 700 records"));
    free (out);
    /* Usage: a checkpoint without the log key; a quorum above the
       witnesses given. */
    char *argv[] = {"jejak-replay", "verify", f->db,
                    "--checkpoint", ahead,    NULL};
    char *err = NULL;
    assert_int_equal (jk_test_run (argv, NULL, &err, S_RUN_MS), 2);
    assert_non_null (strstr (err, "--checkpoint needs --log-key"));
    free (err);
    assert_int_equal (s_verify (f, NULL, one, f->w1_vkey, "2"), 2);
    free (both);
    free (older);
    free (one);
    free (fork);
    free (ahead);
}

/* A copy of the log as name, its stored tree cut back to the level-0
   tile 0 and the one level-1 hash above it (a tree that lags its log),
   its records after keep deleted, holding the hub's checkpoint of size
   (table checkpoint), whose head is head. Returns its path. */
static char *s_stored_copy (fixture_t *f, const char *name, uint64_t keep,
                            uint64_t size, const uint8_t head[32])
{
    char *path = jk_sprintf ("%s/%s", f->dir, name);
    char *note_path = s_checkpoint (f, "stored.note", size, head, false, false);
    char *note = jk_test_slurp (note_path, NULL);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (f->db, &db), SQLITE_OK);
    char *sql = sqlite3_mprintf ("VACUUM INTO %Q", path);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free (sql);
    sqlite3_close (db);
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    sql = sqlite3_mprintf (
        "DELETE FROM merkle_tile WHERE level = 0 AND idx > 0;"
        "UPDATE merkle_tile SET hashes = substr(hashes, 1, 32)"
        " WHERE level = 1;"
        "DELETE FROM log WHERE pos > %llu;"
        "CREATE TABLE checkpoint (size INTEGER PRIMARY KEY,"
        " signed_at INTEGER NOT NULL, note TEXT NOT NULL);"
        "INSERT INTO checkpoint VALUES (%llu, 1764806400000, %Q)",
        (unsigned long long)keep, (unsigned long long)size, note);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free (sql);
    sqlite3_close (db);
    free (note);
    free (note_path);
    return path;
}

/* The checkpoints the hub stored in the file (AUDIT.md, "The hub signs
   checkpoints"): a stored tree too short to give the head of one is the
   tree's problem, never "the log was rewritten" (the records are
   intact); a log cut before one names the first absent position, as a
   kept head does. */
static void test_stored_checkpoints (void **state)
{
    fixture_t *f = *state;
    uint8_t head512[32];
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (f->db, &db), SQLITE_OK);
    jk_tiles_t *reader = jk_tiles_reader (db);
    assert_int_equal (jk_merkle_root (jk_tiles_node, reader,
                                      jk_tiles_hasher (reader), 512, head512),
                      JK_OK);
    jk_tiles_destroy (&reader);
    sqlite3_close (db);

    char *lags = s_stored_copy (f, "lags.db", 600, 512, head512);
    char *argv[] = {"jejak-replay", "verify", lags, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_RUN_MS), 1);
    char *want = jk_sprintf (
        "TAMPERED %s: first bad position 512: Merkle tree differs from the "
        "log: the tree of size 512 cannot be read from the stored tiles (let "
        "the store open the file once)\n"
        "verified intact up to position 600\n",
        lags);
    assert_string_equal (out, want);
    free (want);
    free (out);
    free (err);

    char *cut = s_stored_copy (f, "cut.db", 400, 512, head512);
    argv[2] = cut;
    assert_int_equal (jk_test_run (argv, &out, &err, S_RUN_MS), 1);
    want = jk_sprintf (
        "TAMPERED %s: first bad position 401: truncated versus the kept "
        "head: the log ends at position 400 but the hub signed a checkpoint "
        "of 512 records: the log was cut\n"
        "verified intact up to position 400\n",
        cut);
    assert_string_equal (out, want);
    free (want);
    free (out);
    free (err);
    free (lags);
    free (cut);
}

/* Runs argv, which names path as a file to read: exit 3 with
   "jejak-replay COMMAND: cannot read PATH: is a directory". */
static void s_directory_refused (char **argv, const char *path)
{
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_RUN_MS), 3);
    char *want = jk_sprintf ("jejak-replay %s: cannot read %s: is a "
                             "directory\n",
                             argv[1], path);
    assert_string_equal (err, want);
    assert_string_equal (out, "");
    free (want);
    free (out);
    free (err);
}

/* A directory given for the checkpoint or the proof is a file that
   cannot be read (exit 3, naming it), and a bad key is a usage error
   before any file is read. */
static void test_checkpoint_unreadable (void **state)
{
    fixture_t *f = *state;
    char *verify[] = {"jejak-replay", "verify",    f->db,       "--checkpoint",
                      f->dir,         "--log-key", f->log_vkey, NULL};
    s_directory_refused (verify, f->dir);
    char *check[] = {"jejak-replay", "check",     f->dir,
                     "--log-key",    f->log_vkey, NULL};
    s_directory_refused (check, f->dir);
    char *err = NULL;
    /* A missing file too; a quorum above the witnesses is named first. */
    char *missing = jk_sprintf ("%s/no-such.proof", f->dir);
    check[2] = missing;
    assert_int_equal (jk_test_run (check, NULL, &err, S_RUN_MS), 3);
    assert_non_null (strstr (err, "no-such.proof: No such file"));
    free (err);
    char *quorum[] = {"jejak-replay", "check",    missing, "--log-key",
                      f->log_vkey,    "--quorum", "1",     NULL};
    assert_int_equal (jk_test_run (quorum, NULL, &err, S_RUN_MS), 2);
    assert_non_null (strstr (err, "--quorum 1 is more than the 0 trusted "
                                  "witnesses given"));
    free (err);
    /* A witnesses file that cannot be read is a bad value: usage, before
       the proof is read. */
    char *witnesses[] = {"jejak-replay", "check",       missing, "--log-key",
                         f->log_vkey,    "--witnesses", missing, NULL};
    assert_int_equal (jk_test_run (witnesses, NULL, &err, S_RUN_MS), 2);
    char *want = jk_sprintf ("jejak-replay check: --witnesses: cannot read "
                             "%s: No such file or directory\n",
                             missing);
    assert_string_equal (err, want);
    free (want);
    free (err);
    /* A directory: said so. */
    witnesses[6] = f->dir;
    assert_int_equal (jk_test_run (witnesses, NULL, &err, S_RUN_MS), 2);
    want = jk_sprintf ("jejak-replay check: --witnesses: cannot read %s: is "
                       "a directory\n",
                       f->dir);
    assert_string_equal (err, want);
    free (want);
    free (err);
    free (missing);
}

/* verify without --checkpoint (AUDIT.md, "Check the log against a signed
   checkpoint"): --log-key, --witnesses and --quorum check a checkpoint
   only, so given on the command line without one they are a usage error
   (exit 2, nothing on stdout, the file not read); a bad value is named
   as with --checkpoint, a good one is refused naming --checkpoint. The
   same values from the environment may serve other programs: not read,
   the log verified. */
static void test_trust_flags_without_checkpoint (void **state)
{
    fixture_t *f = *state;
    char *witness_file = jk_sprintf ("%s/no-such-witnesses", f->dir);
    char *unreadable =
        jk_sprintf ("jejak-replay verify: --witnesses: cannot read %s: No "
                    "such file or directory\n",
                    witness_file);
    const char *needs = " needs --checkpoint FILE (--log-key, --witnesses "
                        "and --quorum check a signed checkpoint)\n";
    char *log_key_needs =
        jk_sprintf ("jejak-replay verify: --log-key%s", needs);
    char *witnesses_needs =
        jk_sprintf ("jejak-replay verify: --witnesses%s", needs);
    char *quorum_needs = jk_sprintf ("jejak-replay verify: --quorum%s", needs);
    struct {
        const char *flag, *value, *flag2, *value2, *want;
    } cases[] = {
        {"--log-key", "bogus", NULL, NULL,
         "jejak-replay verify: --log-key: verifier key 'bogus' is neither a "
         "file that can be read nor a key NAME+KEYID+KEY\n"},
        {"--log-key", f->w1_vkey, NULL, NULL,
         "jejak-replay verify: --log-key: key dinas.jabarprov.go.id/saksi "
         "has type 04, 01 expected\n"},
        {"--witnesses", "jejak.x/log+00000000+AAAA", NULL, NULL,
         "jejak-replay verify: --witnesses: verifier key 1: verifier key "
         "must carry 8 hex digits and base64 of a type byte (01 or 04) and "
         "a 32-byte Ed25519 key\n"},
        {"--witnesses", witness_file, NULL, NULL, unreadable},
        {"--quorum", "-1", NULL, NULL,
         "jejak-replay verify: --quorum must be a whole number, got '-1'\n"},
        {"--quorum", "1", NULL, NULL,
         "jejak-replay verify: --quorum 1 is more than the 0 trusted "
         "witnesses given\n"},
        {"--log-key", f->log_vkey, NULL, NULL, log_key_needs},
        {"--witnesses", f->w1_vkey, "--quorum", "1", witnesses_needs},
        {"--quorum", "0", NULL, NULL, quorum_needs},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *argv[] = {"jejak-replay",
                        "verify",
                        f->db,
                        (char *)cases[i].flag,
                        (char *)cases[i].value,
                        (char *)cases[i].flag2,
                        (char *)cases[i].value2,
                        NULL};
        char *out = NULL, *err = NULL;
        int rc = jk_test_run (argv, &out, &err, S_RUN_MS);
        if (rc != 2 || strcmp (err, cases[i].want) != 0)
            fail_msg ("verify %s %s: exit %d, stderr '%s', wanted '%s'",
                      cases[i].flag, cases[i].value, rc, err, cases[i].want);
        assert_string_equal (out, "");
        free (out);
        free (err);
    }
    /* From the environment: not read without --checkpoint. */
    setenv ("JEJAK_LOG_KEY", "bogus", 1);
    setenv ("JEJAK_WITNESSES", "bogus", 1);
    char *argv[] = {"jejak-replay", "verify", f->db, NULL};
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, S_RUN_MS);
    assert_int_equal (rc, 0);
    assert_non_null (strstr (out, "600 records, chain verified"));
    free (out);
    free (err);
    /* ... nor beside a flag that is refused: that flag is named. */
    char *quorum_argv[] = {"jejak-replay", "verify", f->db,
                           "--quorum",     "0",      NULL};
    out = err = NULL;
    rc = jk_test_run (quorum_argv, &out, &err, S_RUN_MS);
    unsetenv ("JEJAK_LOG_KEY");
    unsetenv ("JEJAK_WITNESSES");
    assert_int_equal (rc, 2);
    assert_string_equal (err, quorum_needs);
    free (out);
    free (err);
    free (witness_file);
    free (unreadable);
    free (log_key_needs);
    free (witnesses_needs);
    free (quorum_needs);
}

/* verify without --decisions (AUDIT.md, "Verify the chain"): --region
   and --rat-deadline-months decide only the outcomes --decisions derives
   again, so on their own they are a usage error once their values are
   checked; with --decisions they serve. */
static void test_decision_flags_without_decisions (void **state)
{
    fixture_t *f = *state;
    struct {
        const char *flag, *value, *want;
    } cases[] = {
        {"--region", "32.03",
         "jejak-replay verify: --region needs --decisions (the region and "
         "the RAT deadline decide only the outcomes --decisions derives "
         "again)\n"},
        {"--rat-deadline-months", "6",
         "jejak-replay verify: --rat-deadline-months needs --decisions (the "
         "region and the RAT deadline decide only the outcomes --decisions "
         "derives again)\n"},
        {"--rat-deadline-months", "30",
         "jejak-replay verify: --rat-deadline-months must be 1 to 24, not "
         "'30' (see --help)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *argv[] = {
            "jejak-replay",         "verify", f->db, (char *)cases[i].flag,
            (char *)cases[i].value, NULL};
        char *out = NULL, *err = NULL;
        int rc = jk_test_run (argv, &out, &err, S_RUN_MS);
        if (rc != 2 || strcmp (err, cases[i].want) != 0)
            fail_msg ("verify %s %s: exit %d, stderr '%s', wanted '%s'",
                      cases[i].flag, cases[i].value, rc, err, cases[i].want);
        assert_string_equal (out, "");
        free (out);
        free (err);
    }
    /* With --decisions they serve: verify says what it says with
       --decisions alone (this log's records are not a store's, so their
       outcomes may differ: the same verdict either way). */
    char *plain[] = {"jejak-replay", "verify", f->db, "--decisions", NULL};
    char *plain_out = NULL, *plain_err = NULL;
    int plain_rc = jk_test_run (plain, &plain_out, &plain_err, S_RUN_MS);
    char *argv[] = {"jejak-replay",          "verify",   f->db,
                    "--decisions",           "--region", "32.03",
                    "--rat-deadline-months", "6",        NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, S_RUN_MS), plain_rc);
    assert_true (plain_rc == 0 || plain_rc == 1);
    assert_non_null (strstr (out, "600 records, chain verified"));
    assert_null (strstr (err, "needs --decisions"));
    free (plain_out);
    free (plain_err);
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_checkpoint_accepted),
        cmocka_unit_test (test_checkpoint_refused),
        cmocka_unit_test (test_checkpoint_unreadable),
        cmocka_unit_test (test_trust_flags_without_checkpoint),
        cmocka_unit_test (test_decision_flags_without_decisions),
        cmocka_unit_test (test_stored_checkpoints),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
