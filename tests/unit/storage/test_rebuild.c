/*  test_rebuild.c - determinism: a generated workload of thousands of
    events across all types goes through the live store; the projections
    rebuilt from its log equal the live ones in the canonical dump, in full
    and as of a position; the rebuilt log verifies. */
#include "jk_rebuild.h"
#include "test_store_harness.h"
#include "workload.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define S_EVENTS 3000
#define S_SUBMIT 100
#define S_CUT    1500

/* Copies one database file (consistent, through SQLite) to path. */
static void s_vacuum (const char *from, const char *to)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (from, &db), SQLITE_OK);
    char *sql = jk_sprintf ("VACUUM INTO '%s'", to);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    free (sql);
    sqlite3_close (db);
}

/* Copies a live store's log and its projections, once these have caught
   up with the log, to path and path-projections. */
static void s_copy (const char *from, const char *to)
{
    sqlite3_close (jk_test_projections (from));
    s_vacuum (from, to);
    char *a = jk_sprintf ("%s-projections", from);
    char *b = jk_sprintf ("%s-projections", to);
    s_vacuum (a, b);
    free (a);
    free (b);
}

static void test_rebuild_equals_live (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "rebuild");
    jk_workload_config_t config = {.events = S_EVENTS, .reject_share = 0.05};
    jk_workload_t *workload = jk_workload_new (7, &config);
    /* The store's clock sits after the workload, so every date is past. */
    jk_clock_set (jk_workload_end_ms (workload) + 60000);
    h_start_store (&h, 0);

    uint8_t *bytes[S_SUBMIT];
    size_t sizes[S_SUBMIT];
    char expected[S_SUBMIT][JK_CODE_MAX];
    jk_answer_t answers[S_SUBMIT];
    size_t done = 0, rejected = 0;
    char *cut = jk_sprintf ("%s/live-at-cut.db", h.dir);
    while (done < S_EVENTS) {
        size_t n = S_SUBMIT;
        rejected += h_workload_take (workload, n, bytes, sizes, expected);
        h_submit (&h, n, bytes, sizes, answers);
        h_answers_expected (answers, expected, n, done + 1);
        for (size_t i = 0; i < n; i++)
            free (bytes[i]);
        done += n;
        if (done == S_CUT)
            s_copy (h.db, cut);
    }
    assert_true (rejected > 0);
    jk_workload_destroy (&workload);
    zactor_destroy (&h.store);

    /* In full: the same tables, byte for byte. */
    char *full = jk_sprintf ("%s/rebuilt.db", h.dir);
    h_rebuilt_equal (h.db, full, S_EVENTS, rejected);
    jk_rebuild_result_t result;
    char err[256];
    jk_verify_result_t verified;
    assert_int_equal (jk_log_verify (full, NULL, &verified, NULL, NULL), JK_OK);
    assert_int_equal (verified.records, S_EVENTS);

    /* As of a position: equal to the live store when it was there. */
    char *partial = jk_sprintf ("%s/rebuilt-cut.db", h.dir);
    jk_rebuild_options_t options = {.until_pos = S_CUT};
    assert_int_equal (
        jk_log_rebuild (h.db, partial, &options, &result, err, sizeof err),
        JK_OK);
    assert_int_equal (result.records, S_CUT);
    assert_int_equal (result.head.pos, S_CUT);
    uint8_t stored[32];
    h_stored_hash (h.db, S_CUT, stored);
    assert_memory_equal (result.head.hash, stored, 32);
    char *live_dump = h_dump (cut);
    char *rebuilt_dump = h_dump (partial);
    assert_string_equal (live_dump, rebuilt_dump);
    free (live_dump);
    free (rebuilt_dump);

    /* A fresh file only; a time before the first record copies nothing. */
    assert_int_equal (
        jk_log_rebuild (h.db, partial, NULL, &result, err, sizeof err),
        JK_CONFLICT);
    char *empty = jk_sprintf ("%s/rebuilt-empty.db", h.dir);
    options = (jk_rebuild_options_t){.until_time = jk_clock_now_ms () - 1};
    assert_int_equal (
        jk_log_rebuild (h.db, empty, &options, &result, err, sizeof err),
        JK_OK);
    assert_int_equal (result.records, 0);
    jk_clock_set (0);
    free (empty);
    free (partial);
    free (full);
    free (cut);
    h_teardown (&h);
}

/* An event of type from source with seq and the field, value pairs that
   follow (ending with NULL), encoded. */
static uint8_t *s_event (const char *type, uint64_t seq, size_t *size, ...)
{
    jk_event_t *event = h_envelope (type, H_SOURCE, seq);
    va_list args;
    va_start (args, size);
    const char *field;
    while ((field = va_arg (args, const char *)))
        h_set (event, field, va_arg (args, const char *));
    va_end (args);
    return h_encode (&event, size);
}

/* cooperative.registered of AHU-0001234.AH.01.26 with nik_koperasi, from
   H_SOURCE with seq, encoded. */
static uint8_t *s_cooperative (uint64_t seq, const char *nik_koperasi,
                               size_t *size)
{
    return s_event ("cooperative.registered", seq, size, "legal_number",
                    "AHU-0001234.AH.01.26", "legal_date", "2001-05-01", "name",
                    "Koperasi Maju", "form", "PRIMER", "kind", "SIMPAN_PINJAM",
                    "pattern", "KONVENSIONAL", "desa_code", H_DESA,
                    "members_male", "10", "members_female", "12",
                    "nik_koperasi", nik_koperasi, NULL);
}

/* Submits the n events (freed), each acked, waits until they are
   projected, stops the store and rebuilds its log: the path of the
   rebuilt database (the caller frees it), equal to the live one. */
static char *s_submit_rebuild (h_t *h, size_t n, uint8_t **bytes, size_t *sizes)
{
    jk_answer_t answers[8];
    assert_true (n <= sizeof answers / sizeof answers[0]);
    h_submit (h, n, bytes, sizes, answers);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal (answers[i].kind, JK_ANSWER_ACK);
        free (bytes[i]);
    }
    assert_true (h_wait_stat (h, "projected", n));
    zactor_destroy (&h->store);
    char *out = jk_sprintf ("%s/rebuilt.db", h->dir);
    h_rebuilt_equal (h->db, out, n, 0);
    return out;
}

/* Corrections resolve open warnings (data_quality) of a person and of a
   cooperative: the rebuild finds them through the subject indexes it
   keeps while applying, never by scanning the table (result.scanned 0),
   and resolves the same rows as the live store. */
static void test_rebuild_resolves_by_index (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "rebuild-resolve");
    h_start_store (&h, 0);
    enum { N = 5 };
    uint8_t *bytes[N];
    size_t sizes[N];
    /* A man's NIK (day 01) registered as P: W_NIK_SEX. */
    bytes[0] = s_event ("person.registered", 1, &sizes[0], "nik",
                        "3203100101900007", "name", "Euis", "sex", "P",
                        "birth_date", "1990-01-01", "desa_code", H_DESA, NULL);
    /* Corrected: the warning is resolved at position 2. */
    bytes[1] =
        s_event ("person.corrected", 2, &sizes[1], "nik", "3203100101900007",
                 "sex", "L", "reason", "sesuai KTP", NULL);
    /* A cooperative whose nik_koperasi is outside Cianjur:
       W_NIK_KOPERASI_PREFIX, resolved by the update at position 4. */
    bytes[2] = s_cooperative (3, "3201010000001", &sizes[2]);
    bytes[3] =
        s_event ("cooperative.updated", 4, &sizes[3], "legal_number",
                 "AHU-0001234.AH.01.26", "nik_koperasi", "3203010000001", NULL);
    /* A correction of something else: the statement runs, resolves
       nothing. */
    bytes[4] =
        s_event ("person.corrected", 5, &sizes[4], "nik", "3203100101900007",
                 "birth_date", "1990-01-01", "reason", "sesuai KTP", NULL);
    char *out = s_submit_rebuild (&h, N, bytes, sizes);
    char *quality = h_db_text (out, "SELECT group_concat (pos || ':' || code ||"
                                    " ':' || coalesce (resolved_pos, '-'), ',')"
                                    " FROM (SELECT * FROM data_quality"
                                    " ORDER BY pos, item)");
    assert_string_equal (quality, "1:W_NIK_SEX:2,3:W_NIK_KOPERASI_PREFIX:4");
    free (quality);
    free (out);
    h_teardown (&h);
}

/* At most one open warning per code and subject, the same live and
   rebuilt: a person whose NIK's province (99) is unknown and whose sex
   is written against the NIK, corrected four times; a cooperative whose
   nik_koperasi is outside Cianjur, updated with another such one. The
   look-up before each warning goes through the subject indexes
   (result.scanned 0). */
static void test_rebuild_one_open_warning (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "rebuild-one-open");
    h_start_store (&h, 0);
    enum { N = 7 };
    uint8_t *bytes[N];
    size_t sizes[N];
    const char *nik = "9903101508850057"; /* a man born 1985-08-15 */
    /* 1: W_NIK_PROVINCE and W_NIK_SEX. */
    bytes[0] = s_event ("person.registered", 1, &sizes[0], "nik", nik, "name",
                        "Dedi", "sex", "P", "birth_date", "1985-08-15",
                        "desa_code", H_DESA, NULL);
    /* 2: the name; 3: still P (both raised again, no new row); 4: L
       resolves W_NIK_SEX; 5: P again opens a new one. */
    bytes[1] = s_event ("person.corrected", 2, &sizes[1], "nik", nik, "name",
                        "Dedi Mulyadi", "reason", "sesuai KTP", NULL);
    bytes[2] = s_event ("person.corrected", 3, &sizes[2], "nik", nik, "sex",
                        "P", "reason", "sesuai KTP", NULL);
    bytes[3] = s_event ("person.corrected", 4, &sizes[3], "nik", nik, "sex",
                        "L", "reason", "sesuai KTP", NULL);
    bytes[4] = s_event ("person.corrected", 5, &sizes[4], "nik", nik, "sex",
                        "P", "reason", "salah ketik", NULL);
    /* 6, 7: W_NIK_KOPERASI_PREFIX once, though raised twice. */
    bytes[5] = s_cooperative (6, "3201010000001", &sizes[5]);
    bytes[6] =
        s_event ("cooperative.updated", 7, &sizes[6], "legal_number",
                 "AHU-0001234.AH.01.26", "nik_koperasi", "3201010000002", NULL);
    char *out = s_submit_rebuild (&h, N, bytes, sizes);
    char *live = jk_sprintf ("%s-projections", h.db);
    const char *sql = "SELECT group_concat (pos || ':' || code || ':' ||"
                      " coalesce (resolved_pos, '-'), ',')"
                      " FROM (SELECT * FROM data_quality ORDER BY pos, item)";
    const char *expected = "1:W_NIK_PROVINCE:-,1:W_NIK_SEX:4,5:W_NIK_SEX:-,"
                           "6:W_NIK_KOPERASI_PREFIX:-";
    char *quality = h_db_text (live, sql);
    assert_string_equal (quality, expected);
    free (quality);
    quality = h_db_text (out, sql);
    assert_string_equal (quality, expected);
    free (quality);
    free (live);
    free (out);
    h_teardown (&h);
}

/* Rebuild's late index step on a database of the projections' schema:
   the CREATE kept, the index gone; and the exact reason when the index
   is missing or cannot be dropped. */
static void test_indexes_late_reasons (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("late");
    char *path = jk_sprintf ("%s/p.db", dir);
    sqlite3 *db = NULL;
    char err[256] = "";
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (jk_projections_migrate (db, err, sizeof err), 0);
    sqlite3_close (db);

    /* Read-only: SQLite refuses the DROP, and says why. */
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    char *create = jk_strdup ("");
    assert_int_equal (
        jk_rebuild_indexes_late (db, &create, NULL, err, sizeof err), -1);
    assert_string_equal (err, "dropping the index attendance_event: attempt "
                              "to write a readonly database");
    assert_string_equal (create, "");
    sqlite3_close (db);

    /* Writable: dropped, its CREATE handed back both ways. */
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    char *sql[1] = {NULL};
    assert_int_equal (
        jk_rebuild_indexes_late (db, &create, sql, err, sizeof err), 0);
    assert_string_equal (create, "CREATE UNIQUE INDEX attendance_event ON "
                                 "attendance (event_id);");
    assert_string_equal (sql[0], "CREATE UNIQUE INDEX attendance_event ON "
                                 "attendance (event_id)");
    free (sql[0]);

    /* Gone now: a second call names the missing index and its type. */
    err[0] = 0;
    assert_int_equal (jk_rebuild_indexes_late (db, NULL, NULL, err, sizeof err),
                      -1);
    assert_string_equal (err, "the projections have no index attendance_event "
                              "(rebuild builds it after the load, for "
                              "attendance.corrected)");
    sqlite3_close (db);
    free (create);
    free (path);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rebuild_equals_live),
        cmocka_unit_test (test_rebuild_resolves_by_index),
        cmocka_unit_test (test_rebuild_one_open_warning),
        cmocka_unit_test (test_indexes_late_reasons),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
