/*  test_replay.c - jejak-replay on real logs built through the storage
    library: tamper cases (a changed byte, a deleted row, swapped rows, a
    truncated tail with a kept head), heads, rebuild equal to live, as-of
    rebuilds, diff, and the command line's exit codes. */
#include "testsupport.h"

#include "jk_decisions.h"
#include "jk_replay.h"
#include "replay_workload.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_MS 60000

typedef struct {
    char *dir;                   /* temp directory */
    char *db;                    /* the generated log */
    uint64_t accepted, rejected; /* its records */
} fixture_t;

static int s_setup (void **state)
{
    fixture_t *f = jk_calloc (1, sizeof *f);
    f->dir = jk_test_tmpdir ("replay");
    f->db = jk_sprintf ("%s/events.db", f->dir);
    rw_build (f->db, 4 * RW_BLOCK, &f->accepted, &f->rejected);
    *state = f;
    return 0;
}

static int s_teardown (void **state)
{
    fixture_t *f = *state;
    free (f->db);
    jk_test_rmdir (&f->dir);
    free (f);
    return 0;
}

/* Copies the log into a new file of the temp directory (VACUUM INTO gives
   a consistent single-file copy). */
static char *s_copy (fixture_t *f, const char *name)
{
    char *path = jk_sprintf ("%s/%s", f->dir, name);
    unlink (path);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (f->db, &db), SQLITE_OK);
    char *sql = sqlite3_mprintf ("VACUUM INTO %Q", path);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free (sql);
    sqlite3_close (db);
    return path;
}

/* Runs SQL on a database file (the tampering). */
static void s_sql (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf (stderr, "%s: %s\n", sql, err);
    assert_int_equal (rc, SQLITE_OK);
    sqlite3_close (db);
}

/* Runs jejak-replay with up to 6 arguments; returns the exit code. Not
   inlined: GCC 12 at -O2 mistakes the conditional free below for a free
   of the caller's buffer (-Wdangling-pointer false positive). */
__attribute__ ((noinline)) static int s_replay (char **out, char **err,
                                                const char *a1, const char *a2,
                                                const char *a3, const char *a4,
                                                const char *a5, const char *a6)
{
    char *argv[] = {"jejak-replay", (char *)a1, (char *)a2, (char *)a3,
                    (char *)a4,     (char *)a5, (char *)a6, NULL};
    return jk_test_run (argv, out, err, RUN_MS);
}

static void test_workload_shape (void **state)
{
    fixture_t *f = *state;
    /* Every block has one duplicate cooperative and one bad NIK. */
    assert_int_equal (f->rejected, 4 * 2);
    assert_int_equal (f->accepted, 4 * RW_BLOCK - 8);
}

static void test_verify_intact (void **state)
{
    fixture_t *f = *state;
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", f->db, NULL, NULL, NULL, NULL), 0);
    assert_non_null (strstr (out, "intact"));
    assert_non_null (strstr (out, "640 records"));
    assert_non_null (strstr (out, "jejak-head pos=640 hash="));
    free (out);
}

static void test_head_line (void **state)
{
    fixture_t *f = *state;
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "head", f->db, NULL, NULL, NULL, NULL), 0);
    jk_replay_head_t head;
    char err[160];
    assert_int_equal (jk_replay_head_parse (out, &head, err, sizeof err), 0);
    assert_int_equal (head.pos, 640);
    /* 639 steps of a second after 2022-10-03T08:00:00 WIB. */
    assert_non_null (strstr (out, "recorded_at=2022-10-03T08:10:39+07:00"));
    assert_non_null (strstr (out, " db=events.db\n"));
    /* The short form names the same head; verify accepts both. */
    char hex[65], short_form[96];
    jk_hex_format (head.hash, 32, hex);
    snprintf (short_form, sizeof short_form, "640:%s", hex);
    jk_replay_head_t again;
    assert_int_equal (
        jk_replay_head_parse (short_form, &again, err, sizeof err), 0);
    assert_memory_equal (&again, &head, sizeof head);
    out[strcspn (out, "\n")] = 0;
    assert_int_equal (
        s_replay (NULL, NULL, "verify", f->db, "--head", out, NULL, NULL), 0);
    assert_int_equal (s_replay (NULL, NULL, "verify", f->db, "--head",
                                short_form, NULL, NULL),
                      0);
    free (out);
    /* Position 0's hash is the 32 zero bytes of hash_0, in every log. */
    char zero[70] = "0:", other[70] = "0:";
    memset (zero + 2, '0', 64);
    memset (other + 2, 'a', 64);
    zero[66] = other[66] = 0;
    assert_int_equal (
        s_replay (NULL, NULL, "verify", f->db, "--head", zero, NULL, NULL), 0);
    assert_int_equal (
        s_replay (&out, NULL, "verify", f->db, "--head", other, NULL, NULL), 1);
    assert_non_null (strstr (out, "first bad position 0: differs from the "
                                  "kept head: the kept head is at position 0 "
                                  "with a hash other than 32 zero bytes"));
    assert_null (strstr (out, "chain verified"));
    free (out);
}

static void test_head_parse_errors (void **state)
{
    (void)state;
    jk_replay_head_t head;
    char err[160];
    assert_int_equal (jk_replay_head_parse ("12", &head, err, sizeof err), -1);
    assert_non_null (strstr (err, "POS:HASH"));
    assert_int_equal (jk_replay_head_parse ("x:00", &head, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "position"));
    assert_int_equal (jk_replay_head_parse ("5:abc", &head, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "64 hex digits"));
    assert_int_equal (
        jk_replay_head_parse ("jejak-head pos=5", &head, err, sizeof err), -1);
    assert_non_null (strstr (err, "hash="));
}

static void test_tamper_one_byte (void **state)
{
    fixture_t *f = *state;
    char *copy = s_copy (f, "byte.db");
    /* Flip one bit in the middle of the stored event at position 137. */
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_open (copy, &db), SQLITE_OK);
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT bytes FROM log WHERE pos = "
                                          "137",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int size = sqlite3_column_bytes (stmt, 0);
    uint8_t *bytes = jk_malloc ((size_t)size);
    memcpy (bytes, sqlite3_column_blob (stmt, 0), (size_t)size);
    sqlite3_finalize (stmt);
    bytes[size / 2] ^= 1;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "UPDATE log SET bytes = ? WHERE pos "
                                          "= 137",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    sqlite3_bind_blob (stmt, 1, bytes, size, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (stmt), SQLITE_DONE);
    assert_int_equal (sqlite3_changes (db), 1);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    free (bytes);
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, NULL, NULL, NULL, NULL), 1);
    assert_non_null (strstr (out, "first bad position 137: hash mismatch"));
    assert_non_null (strstr (out, "intact up to position 136"));
    free (out);
    free (copy);
}

static void test_tamper_deleted_row (void **state)
{
    fixture_t *f = *state;
    char *copy = s_copy (f, "deleted.db");
    s_sql (copy, "DELETE FROM log WHERE pos = 200");
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, NULL, NULL, NULL, NULL), 1);
    assert_non_null (strstr (out, "first bad position 200: missing position"));
    free (out);
    free (copy);
}

static void test_tamper_swapped_rows (void **state)
{
    fixture_t *f = *state;
    char *copy = s_copy (f, "swapped.db");
    /* Swap everything but the position between rows 300 and 301, hashes
       included: each row is self-consistent but the chain is not. */
    s_sql (copy,
           "CREATE TEMP TABLE t AS SELECT * FROM log WHERE pos IN (300, 301);"
           "UPDATE log SET id = randomblob(16), seq = seq + 1000000000 "
           "WHERE pos = 300;"
           "UPDATE log SET (id, type, v, source, seq, at, recorded_at, "
           "outcome, code, message, bytes, hash) = (SELECT id, type, v, "
           "source, seq, at, recorded_at, outcome, code, message, bytes, hash "
           "FROM t WHERE pos = 300) WHERE pos = 301;"
           "UPDATE log SET (id, type, v, source, seq, at, recorded_at, "
           "outcome, code, message, bytes, hash) = (SELECT id, type, v, "
           "source, seq, at, recorded_at, outcome, code, message, bytes, hash "
           "FROM t WHERE pos = 301) WHERE pos = 300;");
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, NULL, NULL, NULL, NULL), 1);
    assert_non_null (strstr (out, "first bad position 300: hash mismatch"));
    free (out);
    free (copy);
}

static void test_tamper_truncated_tail (void **state)
{
    fixture_t *f = *state;
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "head", f->db, NULL, NULL, NULL, NULL), 0);
    out[strcspn (out, "\n")] = 0;
    char *kept = out;
    char *copy = s_copy (f, "truncated.db");
    s_sql (copy, "DELETE FROM log WHERE pos > 400");
    /* The Merkle tiles stored for positions 257..512 outlive the cut ... */
    char *cut = NULL;
    assert_int_equal (
        s_replay (&cut, NULL, "verify", copy, NULL, NULL, NULL, NULL), 1);
    assert_non_null (strstr (cut, "Merkle tile level 0 index 1 lies beyond "
                                  "the log"));
    free (cut);
    /* ... with the tiles gone too, a truncated log looks whole without a
       kept head ... */
    s_sql (copy, "DELETE FROM merkle_tile");
    assert_int_equal (
        s_replay (NULL, NULL, "verify", copy, NULL, NULL, NULL, NULL), 0);
    /* ... with one it does not. */
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, "--head", kept, NULL, NULL), 1);
    assert_non_null (
        strstr (out, "first bad position 401: truncated versus the kept head"));
    free (out);
    free (kept);
    free (copy);
}

/* A log of one record is said in the singular: "1 record", "1 leaf". */
static void test_verify_one_record (void **state)
{
    fixture_t *f = *state;
    char *copy = s_copy (f, "one.db");
    s_sql (copy, "DELETE FROM log WHERE pos > 1; DELETE FROM merkle_tile");
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, NULL, NULL, NULL, NULL), 0);
    char *intact = jk_sprintf ("intact %s: 1 record, chain verified\n", copy);
    if (!strstr (out, intact) || !strstr (out, "\ntree: 1 leaf, root "))
        fail_msg ("verify said:\n%s", out);
    free (intact);
    free (out);
    free (copy);
}

static void test_tamper_rejection_decision (void **state)
{
    fixture_t *f = *state;
    char *copy = s_copy (f, "decision.db");
    /* Turn the first rejection into an accepted record. */
    s_sql (copy, "UPDATE log SET outcome = 0, code = NULL, message = NULL "
                 "WHERE pos = 159");
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, NULL, NULL, NULL, NULL), 1);
    assert_non_null (strstr (out, "first bad position 159"));
    free (out);
    free (copy);
}

/* The log table's copies of a record's envelope (id, type, v, source,
   seq, at) stand outside the chain: verify compares each with the hashed
   bytes and names the first that differs, and export selects by what
   the bytes say, never by the copies. */
static void test_tamper_copied_columns (void **state)
{
    fixture_t *f = *state;
    char *copy = s_copy (f, "columns.db");
    s_sql (copy, "UPDATE log SET source = 'DINAS/x', type = "
                 "'person.registered', seq = 9, at = 0, id = "
                 "x'00000000000000000000000000000000' WHERE pos = 1");
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, NULL, NULL, NULL, NULL), 1);
    char *line = jk_sprintf (
        "TAMPERED %s: first bad position 1: column differs from the hashed "
        "bytes: the id column at position 1 says "
        "00000000-0000-0000-0000-000000000000 but its hashed event says ",
        copy);
    assert_ptr_equal (strstr (out, line), out);
    free (line);
    assert_non_null (strstr (out, " (also type, source, seq, at)\n"
                                  "verified intact up to position 0\n"));
    free (out);
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, "--decisions", NULL, NULL, NULL),
        1);
    assert_non_null (strstr (out, "first bad position 1: column differs"));
    assert_null (strstr (out, "decisions "));
    free (out);
    /* Export reads the envelope from the bytes: the record is still the
       cooperative of kecamatan 0's operator it was. */
    assert_int_equal (
        s_replay (&out, NULL, "export", copy, "--source", "DINAS", NULL, NULL),
        0);
    assert_string_equal (out, "");
    free (out);
    /* A column a crafted log fills with control characters is shown
       escaped, C1 (U+009B, a terminal's CSI) as well as C0. */
    char *crafted = s_copy (f, "crafted.db");
    s_sql (crafted, "UPDATE log SET type = 't' || char (7) || char (155) ||"
                    " '[2J' WHERE pos = 1");
    assert_int_equal (
        s_replay (&out, NULL, "verify", crafted, NULL, NULL, NULL, NULL), 1);
    assert_null (strstr (out, "\xc2\x9b"));
    assert_null (strchr (out, 7));
    assert_non_null (
        strstr (out, "the type column at position 1 says 't\\x07\\x9b[2J' "
                     "but its hashed event says 'cooperative.registered'\n"));
    free (out);
    free (crafted);
    assert_int_equal (
        s_replay (&out, NULL, "export", copy, "--type", "person.", NULL, NULL),
        0);
    assert_null (strstr (out, "{\"pos\":1,"));
    free (out);
    assert_int_equal (s_replay (&out, NULL, "export", copy, "--type",
                                "cooperative.", "--until-pos", "1"),
                      0);
    assert_non_null (strstr (out, "{\"pos\":1,"));
    assert_null (strstr (out, "DINAS"));
    free (out);
    /* One column alone, further on: the version of a later record. */
    char *fresh = s_copy (f, "version.db");
    s_sql (fresh, "UPDATE log SET v = 2 WHERE pos = 321");
    assert_int_equal (
        s_replay (&out, NULL, "verify", fresh, NULL, NULL, NULL, NULL), 1);
    assert_non_null (
        strstr (out, "first bad position 321: column differs from the hashed "
                     "bytes: the v column at position 321 says 2 but its "
                     "hashed event says 1\n"
                     "verified intact up to position 320\n"));
    free (out);
    free (fresh);
    free (copy);
}

/* Every logged outcome re-derived from the log alone by the in-memory
   model equals the logged one; a changed rejection code, a changed
   message, or a rejection turned accepted are each found at their
   position (the chain is not consulted: the decisions stand alone). */
static void test_verify_decisions (void **state)
{
    fixture_t *f = *state;
    jk_decisions_result_t result;
    assert_int_equal (jk_log_verify_decisions (f->db, &result, NULL, NULL),
                      JK_OK);
    assert_int_equal (result.records, 4 * RW_BLOCK);
    assert_int_equal (result.accepted, f->accepted);
    assert_int_equal (result.rejected, f->rejected);
    assert_int_equal (result.mismatches, 0);
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", f->db, "--decisions", NULL, NULL, NULL),
        0);
    assert_non_null (strstr (out, "640 records (632 accepted, 8 rejected) "
                                  "re-derived, all equal"));
    free (out);

    char *copy = s_copy (f, "decisions.db");
    /* Position 159 is a duplicate cooperative (E_DUPLICATE_COOPERATIVE). */
    s_sql (copy, "UPDATE log SET code = 'E_UNKNOWN_PERSON' WHERE pos = 159");
    assert_int_equal (jk_log_verify_decisions (copy, &result, NULL, NULL),
                      JK_INVALID);
    assert_int_equal (result.mismatches, 1);
    assert_int_equal (result.first_pos, 159);
    assert_non_null (strstr (result.message, "position 159: logged "
                                             "E_UNKNOWN_PERSON"));
    assert_non_null (
        strstr (result.message, "re-derived E_DUPLICATE_COOPERATIVE"));
    assert_int_equal (
        s_replay (&out, NULL, "verify", copy, "--decisions", NULL, NULL, NULL),
        1);
    /* The command checks the chain first: it already fails there. */
    assert_non_null (strstr (out, "TAMPERED"));
    free (out);
    s_sql (copy, "UPDATE log SET code = 'E_DUPLICATE_COOPERATIVE',"
                 " message = message || '!' WHERE pos = 159");
    assert_int_equal (jk_log_verify_decisions (copy, &result, NULL, NULL),
                      JK_INVALID);
    assert_int_equal (result.first_pos, 159);
    s_sql (copy, "UPDATE log SET outcome = 0, code = NULL, message = NULL"
                 " WHERE pos = 159");
    assert_int_equal (jk_log_verify_decisions (copy, &result, NULL, NULL),
                      JK_INVALID);
    assert_int_equal (result.first_pos, 159);
    assert_int_equal (result.mismatches, 1);
    free (copy);
}

/* A crafted log (its chain made right, as anyone can make it) whose
   rejection message holds control characters: the DECISIONS DIFFER line
   quotes it with them escaped (C0 and C1), never raw on the auditor's
   terminal. */
static void test_decisions_message_escaped (void **state)
{
    fixture_t *f = *state;
    char *path = jk_sprintf ("%s/crafted-decisions.db", f->dir);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    jk_log_record_t record = {.type = "cooperative.registered",
                              .version = 1,
                              .source = "32.03.10/pacet-1",
                              .seq = 1,
                              .at = 1700000000000,
                              .recorded_at = 1700000000000,
                              .outcome = JK_LOG_REJECTED,
                              .code = "E_CRAFTED",
                              .message = "m\x1b[2J\xc2\x9b"
                                         "[2Jx"};
    memset (record.id, 7, sizeof record.id);
    size_t size;
    uint8_t *bytes =
        jk_test_record_bytes (record.type, record.version, record.source,
                              record.seq, record.at, record.id, &size);
    record.bytes = bytes;
    record.size = size;
    assert_int_equal (jk_log_begin (log), JK_OK);
    assert_int_equal (jk_log_append (log, &record), JK_OK);
    assert_int_equal (jk_log_commit (log), JK_OK);
    jk_log_close (&log);
    free (bytes);
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "verify", path, "--decisions", NULL, NULL, NULL),
        1);
    assert_non_null (strstr (out, "DECISIONS DIFFER"));
    assert_null (strchr (out, 0x1b));
    assert_null (strstr (out, "\xc2\x9b"));
    assert_non_null (
        strstr (out, "logged E_CRAFTED m\\x1b[2J\\x9b[2Jx, re-derived "));
    free (out);
    free (path);
}

static void test_rebuild_equals_live (void **state)
{
    fixture_t *f = *state;
    char *out_db = jk_sprintf ("%s/rebuilt.db", f->dir);
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "rebuild", f->db, "--out", out_db, NULL, NULL),
        0);
    assert_non_null (strstr (out, "640 records (632 accepted, 8 rejected)"));
    free (out);
    assert_int_equal (
        s_replay (&out, NULL, "diff", f->db, out_db, NULL, NULL, NULL), 0);
    assert_string_equal (out, "");
    free (out);
    /* A second rebuild to the same file is refused without --force. */
    char *err = NULL;
    assert_int_equal (
        s_replay (NULL, &err, "rebuild", f->db, "--out", out_db, NULL, NULL),
        3);
    assert_non_null (strstr (err, "exists; give --force"));
    free (err);
    assert_int_equal (s_replay (NULL, NULL, "rebuild", f->db, "--out", out_db,
                                "--force", NULL),
                      0);
    /* The rebuilt log verifies to the same head as its source. */
    char *a = NULL, *b = NULL;
    assert_int_equal (
        s_replay (&a, NULL, "head", f->db, NULL, NULL, NULL, NULL), 0);
    assert_int_equal (
        s_replay (&b, NULL, "verify", out_db, NULL, NULL, NULL, NULL), 0);
    char *cut = strstr (a, " db=");
    assert_non_null (cut);
    *cut = 0;
    assert_non_null (strstr (b, a));
    free (a);
    free (b);
    /* One row gone from the rebuilt projections (a rebuild's file holds
       them beside its log): one line differs, and the verdict says so in
       the singular (AUDIT.md, "diff"). */
    s_sql (out_db, "DELETE FROM people WHERE nik = (SELECT "
                   "min(nik) FROM people)");
    out = err = NULL;
    assert_int_equal (
        s_replay (&out, &err, "diff", f->db, out_db, NULL, NULL, NULL), 1);
    assert_string_equal (err, "jejak-replay diff: 1 row differs\n");
    free (out);
    free (err);
    free (out_db);
}

static void test_rebuild_as_of (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("replay-asof");
    char *live = jk_sprintf ("%s/live.db", dir);
    char *at_n = jk_sprintf ("%s/at-n.db", dir);
    char *by_pos = jk_sprintf ("%s/by-pos.db", dir);
    char *by_time = jk_sprintf ("%s/by-time.db", dir);
    /* The store at head N = 250 (mid-block), copied aside, then on to
       M = 600. */
    rw_t *w = rw_open (live);
    rw_generate (w, 250);
    char *sql = sqlite3_mprintf ("VACUUM INTO %Q", at_n);
    assert_int_equal (sqlite3_exec (jk_log_db (w->log), sql, NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_free (sql);
    rw_generate (w, 350);
    rw_close (&w);
    char *out = NULL;
    assert_int_equal (s_replay (NULL, NULL, "rebuild", live, "--out", by_pos,
                                "--until-pos", "250"),
                      0);
    assert_int_equal (
        s_replay (&out, NULL, "diff", at_n, by_pos, NULL, NULL, NULL), 0);
    free (out);
    /* Position 250 was recorded at 08:04:09 WIB; 08:04:09.500 is before
       position 251. */
    assert_int_equal (s_replay (NULL, NULL, "rebuild", live, "--out", by_time,
                                "--until-time", "2022-10-03T08:04:09.500"),
                      0);
    assert_int_equal (
        s_replay (&out, NULL, "diff", at_n, by_time, NULL, NULL, NULL), 0);
    free (out);
    /* And the live database differs from the as-of state. */
    assert_int_equal (
        s_replay (&out, NULL, "diff", at_n, live, NULL, NULL, NULL), 1);
    assert_non_null (strstr (out, "--- "));
    assert_non_null (strstr (out, "@@ attendance\n+"));
    free (out);
    free (live);
    free (at_n);
    free (by_pos);
    free (by_time);
    jk_test_rmdir (&dir);
}

static void test_diff_shows_rows (void **state)
{
    fixture_t *f = *state;
    char *copy = s_copy (f, "edited.db");
    s_sql (copy, "UPDATE batches SET title = 'Diubah' WHERE batch = "
                 "'PK2UMK-2022-00001'");
    char *out = NULL;
    assert_int_equal (
        s_replay (&out, NULL, "diff", f->db, copy, NULL, NULL, NULL), 1);
    assert_non_null (strstr (out, "@@ batches\n-"));
    assert_non_null (strstr (out, "\n+\"PK2UMK-2022-00001\"|\"Diubah\""));
    /* Exactly one row changed: one - line and one + line. */
    size_t minus = 0, plus = 0;
    for (char *p = out; (p = strchr (p, '\n')); p++) {
        minus += p[1] == '-' && p[2] != '-';
        plus += p[1] == '+' && p[2] != '+';
    }
    assert_int_equal (minus, 1);
    assert_int_equal (plus, 1);
    free (out);
    free (copy);
}

static void test_diff_dumps_pure (void **state)
{
    (void)state;
    char a[] = "# t (k, v)\n1|\"a\"\n2|\"b\"\n3|\"c\"\n# u (k)\n1\n";
    char b[] = "# t (k, v)\n1|\"a\"\n2|\"B\"\n4|\"d\"\n# w (k)\n";
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    int64_t n =
        jk_replay_diff_dumps (a, strlen (a), b, strlen (b), "A", "B", out);
    fclose (out);
    assert_int_equal (n, 4 + 2 + 1);
    assert_string_equal (text, "--- A\n+++ B\n"
                               "@@ t\n-2|\"b\"\n+2|\"B\"\n-3|\"c\"\n"
                               "+4|\"d\"\n"
                               "@@ u\n-# u (k)\n-1\n"
                               "@@ w\n+# w (k)\n");
    free (text);
}

static void test_cli_usage (void **state)
{
    fixture_t *f = *state;
    char *err = NULL;
    assert_int_equal (s_replay (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                      2);
    assert_int_equal (
        s_replay (NULL, NULL, "--help", NULL, NULL, NULL, NULL, NULL), 0);
    const char *commands[] = {"verify", "head",   "rebuild",
                              "diff",   "export", "publish"};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal (s_replay (NULL, NULL, commands[i], "--help", NULL,
                                    NULL, NULL, NULL),
                          0);
    assert_int_equal (
        s_replay (NULL, &err, "verify", NULL, NULL, NULL, NULL, NULL), 2);
    free (err);
    assert_int_equal (
        s_replay (NULL, &err, "verify", f->db, "--head", "12:zz", NULL, NULL),
        2);
    assert_non_null (strstr (err, "64 hex digits"));
    free (err);
    assert_int_equal (s_replay (NULL, &err, "rebuild", f->db, "--out",
                                "/tmp/x.db", "--until-time", "yesterday"),
                      2);
    assert_string_equal (
        err, "jejak-replay rebuild: --until-time must be ms since the epoch "
             "or YYYY-MM-DD[THH:MM[:SS[.mmm]]][Z|+HH:MM] (a space may "
             "replace T), got 'yesterday'\n");
    free (err);
    assert_int_equal (
        s_replay (NULL, &err, "export", f->db, "--format", "xml", NULL, NULL),
        2);
    assert_non_null (strstr (err, "--format must be jsonl or csv"));
    free (err);
    assert_int_equal (
        s_replay (NULL, &err, "verify", f->db, "--bogus", NULL, NULL, NULL), 2);
    free (err);
    /* Not a database, and no such file: cannot read. */
    char *text = jk_sprintf ("%s/notes.txt", f->dir);
    FILE *file = fopen (text, "w");
    fputs ("not sqlite at all\n", file);
    fclose (file);
    assert_int_equal (
        s_replay (NULL, &err, "verify", text, NULL, NULL, NULL, NULL), 3);
    free (err);
    assert_int_equal (
        s_replay (NULL, &err, "head", text, NULL, NULL, NULL, NULL), 3);
    free (err);
    /* A SQLite file without a log (empty: SQLite reads it as a database
       with no tables): verify says it as head does. */
    char *empty = jk_sprintf ("%s/empty.db", f->dir);
    fclose (fopen (empty, "w"));
    const char *both[] = {"verify", "head"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal (
            s_replay (NULL, &err, both[i], empty, NULL, NULL, NULL, NULL), 3);
        char *want = jk_sprintf ("jejak-replay %s: %s: not a Jejak database "
                                 "(no log table)\n",
                                 both[i], empty);
        assert_string_equal (err, want);
        free (want);
        free (err);
    }
    free (empty);
    assert_int_equal (s_replay (NULL, &err, "verify", "/nonexistent/x.db", NULL,
                                NULL, NULL, NULL),
                      3);
    free (err);
    free (text);
    /* rebuild onto its own source is refused even with --force. */
    assert_int_equal (s_replay (NULL, &err, "rebuild", f->db, "--out", f->db,
                                "--force", NULL),
                      2);
    free (err);
}

/* Every command given a directory, or no file at all, where its database
   should be: exit 3 with one line naming the path and why (AUDIT.md,
   "Exit codes"), the same words from each, and nothing written. */
static void test_db_not_a_file (void **state)
{
    fixture_t *f = *state;
    char *dir = jk_sprintf ("%s/folder.db", f->dir);
    char *missing = jk_sprintf ("%s/missing.db", f->dir);
    char *out_db = jk_sprintf ("%s/never.db", f->dir);
    char *feed = jk_sprintf ("ipc://%s/feed.ipc", f->dir);
    assert_int_equal (mkdir (dir, 0700), 0);
    const char *paths[] = {dir, missing};
    for (size_t p = 0; p < 2; p++) {
        const char *db = paths[p];
        char *why = p == 0 ? jk_sprintf ("cannot read %s: is a directory", db)
                           : jk_sprintf ("%s: no such database file", db);
        const struct {
            const char *command, *a2, *a3, *a4;
        } runs[] = {
            {"verify", db, NULL, NULL},       {"head", db, NULL, NULL},
            {"rebuild", db, "--out", out_db}, {"diff", db, f->db, NULL},
            {"diff", f->db, db, NULL},        {"export", db, NULL, NULL},
            {"publish", db, "--feed", feed},  {"backup", db, "--out", out_db},
        };
        for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
            char *out = NULL, *err = NULL;
            assert_int_equal (s_replay (&out, &err, runs[i].command, runs[i].a2,
                                        runs[i].a3, runs[i].a4, NULL, NULL),
                              3);
            char *want =
                jk_sprintf ("jejak-replay %s: %s\n", runs[i].command, why);
            if (strcmp (err, want) != 0)
                fail_msg ("%s: said '%s', not '%s'", runs[i].command, err,
                          want);
            assert_string_equal (out, "");
            assert_int_equal (access (out_db, F_OK), -1);
            free (want);
            free (out);
            free (err);
        }
        free (why);
    }
    rmdir (dir);
    free (dir);
    free (missing);
    free (out_db);
    free (feed);
}

/* A damaged file is a verdict (DAMAGED, exit 1) even where the damage
   stops the chain's walk; a file that is not a database at all is one
   that cannot be read (exit 3). */
static void test_damaged_file (void **state)
{
    fixture_t *f = *state;
    char *copy = s_copy (f, "cut.db");
    assert_int_equal (truncate (copy, 3000), 0);
    char *out = NULL, *err = NULL;
    assert_int_equal (
        s_replay (&out, &err, "verify", copy, NULL, NULL, NULL, NULL), 1);
    char *damaged = jk_sprintf ("DAMAGED %s: SQLite integrity check: ", copy);
    assert_ptr_equal (strstr (out, damaged), out);
    assert_non_null (strstr (out, "\nchain not verified to its end: "));
    assert_non_null (strstr (out, "(the file is damaged, above)\n"
                                  "verified intact up to position 0\n"));
    assert_string_equal (err, "");
    free (damaged);
    free (out);
    free (err);
    /* Bytes that are no SQLite file. */
    char *garbage = jk_sprintf ("%s/garbage.db", f->dir);
    FILE *file = fopen (garbage, "w");
    for (int i = 0; i < 5000; i++)
        fputc ((i * 7919 + 13) & 0xff, file);
    fclose (file);
    assert_int_equal (
        s_replay (&out, &err, "verify", garbage, NULL, NULL, NULL, NULL), 3);
    assert_string_equal (out, "");
    assert_non_null (strstr (err, "not a database"));
    free (out);
    free (err);
    free (garbage);
    free (copy);
}

/* Every flag is checked before the file is: a bad --region is named
   without a chain check first. */
static void test_flags_before_work (void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *flag, *value, *message;
    } bad[] = {
        {"--region", "zz", "--region 'zz' must be a kabupaten code"},
        {"--rat-deadline-months", "0", "--rat-deadline-months must be 1 to 24"},
        /* Well formed, but no reference data of that region exists. */
        {"--region", "99.99", "cannot load the region reference data"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL, *err = NULL;
        assert_int_equal (s_replay (&out, &err, "verify", f->db, "--decisions",
                                    bad[i].flag, bad[i].value, NULL),
                          2);
        assert_string_equal (out, "");
        assert_non_null (strstr (err, bad[i].message));
        free (out);
        free (err);
    }
}

static void test_parse_time (void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal (jk_replay_parse_time ("1664758800000", &ms), 0);
    assert_int_equal (ms, 1664758800000LL);
    assert_int_equal (jk_replay_parse_time ("2022-10-03T08:00:00+07:00", &ms),
                      0);
    assert_int_equal (ms, 1664758800000LL);
    assert_int_equal (jk_replay_parse_time ("2022-10-03 08:00", &ms), 0);
    assert_int_equal (ms, 1664758800000LL);
    assert_int_equal (jk_replay_parse_time ("2022-10-03T01:00:00Z", &ms), 0);
    assert_int_equal (ms, 1664758800000LL);
    /* A bare date is the end of that day in WIB. */
    assert_int_equal (jk_replay_parse_time ("2022-10-03", &ms), 0);
    assert_int_equal (ms, 1664758800000LL + 16 * 3600000LL - 1);
    assert_int_equal (jk_replay_parse_time ("2022-02-30", &ms), -1);
    assert_int_equal (jk_replay_parse_time ("2022-10-03T25:00", &ms), -1);
    assert_int_equal (jk_replay_parse_time ("2022-10-03T08:00+7", &ms), -1);
    assert_int_equal (jk_replay_parse_time ("", &ms), -1);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_workload_shape),
        cmocka_unit_test (test_verify_intact),
        cmocka_unit_test (test_head_line),
        cmocka_unit_test (test_head_parse_errors),
        cmocka_unit_test (test_tamper_one_byte),
        cmocka_unit_test (test_tamper_deleted_row),
        cmocka_unit_test (test_tamper_swapped_rows),
        cmocka_unit_test (test_tamper_truncated_tail),
        cmocka_unit_test (test_verify_one_record),
        cmocka_unit_test (test_tamper_rejection_decision),
        cmocka_unit_test (test_tamper_copied_columns),
        cmocka_unit_test (test_verify_decisions),
        cmocka_unit_test (test_decisions_message_escaped),
        cmocka_unit_test (test_rebuild_equals_live),
        cmocka_unit_test (test_rebuild_as_of),
        cmocka_unit_test (test_diff_shows_rows),
        cmocka_unit_test (test_diff_dumps_pure),
        cmocka_unit_test (test_cli_usage),
        cmocka_unit_test (test_db_not_a_file),
        cmocka_unit_test (test_damaged_file),
        cmocka_unit_test (test_flags_before_work),
        cmocka_unit_test (test_parse_time),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
