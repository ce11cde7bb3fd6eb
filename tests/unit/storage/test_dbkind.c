/*  test_dbkind.c - every program's own database is marked with its kind's
    application_id when made (docs/OPERATIONS.md, "Which file is which"),
    and a file of another kind given in its place is refused, with the
    file named and what it is, before anything is written to it: an
    outbox, a users file, a link's copy, a store's log, the store's
    projections, a link's checkpoint state. A file from
    before the mark opens when it holds its kind's tables, and is marked
    then. */
#include "testsupport.h"

#include "jk_dbkind.h"
#include "jk_log.h"
#include "jk_province.h"
#include "jk_link.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define RUN_MS   60000
#define S_SOURCE "32.03.10/pacet-1"

static char *s_dir;

static int s_setup (void **state)
{
    (void)state;
    s_dir = jk_test_tmpdir ("dbkind");
    return 0;
}

static int s_teardown (void **state)
{
    (void)state;
    jk_test_rmdir (&s_dir);
    return 0;
}

static char *s_path (const char *name)
{
    return jk_sprintf ("%s/%s", s_dir, name);
}

/* A store's empty log at path, made as jejak-hub makes it. */
static void s_make_log (const char *path)
{
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    if (!log)
        fail_msg ("jk_log_open %s: %s", path, err);
    jk_log_close (&log);
}

/* One statement's single integer answer on the file, read-only. */
static long s_int (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    long value = (long)sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (db);
    return value;
}

static long s_app_id (const char *path)
{
    return s_int (path, "PRAGMA application_id");
}

/* The file's tables and indexes: what a refusal must leave unchanged. */
static long s_tables (const char *path)
{
    return s_int (path, "SELECT count(*) FROM sqlite_master");
}

static void s_set (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
}

/* Runs argv (NULL-terminated); returns the exit code, stderr in *err. */
static int s_run (char **err, char *const argv[])
{
    char *out = NULL;
    int rc = jk_test_run (argv, &out, err, RUN_MS);
    free (out);
    return rc;
}

static int s_pending (const char *outbox, char **err)
{
    char *argv[] = {"jejak-attendance", "--source", S_SOURCE, "--outbox",
                    (char *)outbox,     "pending",  NULL};
    return s_run (err, argv);
}

/* Makes the outbox by queueing one event (offline: exit 3). */
static void s_queue (const char *outbox)
{
    char *err = NULL;
    char *argv[] = {"jejak-attendance", "--source", S_SOURCE, "--outbox",
                    (char *)outbox,     "--wait",   "0",      "close-batch",
                    "--batch",          "B-1",      NULL};
    assert_int_equal (s_run (&err, argv), 3);
    free (err);
}

/* Makes the users file by adding one account (only user add makes it). */
static void s_user_add (const char *users)
{
    char *password = s_path ("password");
    FILE *f = fopen (password, "w");
    assert_non_null (f);
    fputs ("Sandi-Rahasia-77\n", f);
    fclose (f);
    char *err = NULL;
    char *argv[] = {"jejak-office",
                    "--users",
                    (char *)users,
                    "--password-file",
                    password,
                    "user",
                    "add",
                    "siti",
                    NULL};
    assert_int_equal (s_run (&err, argv), 0);
    free (err);
    free (password);
}

static int s_user_list (const char *users, char **err)
{
    char *argv[] = {"jejak-office", "--users", (char *)users,
                    "user",         "list",    NULL};
    return s_run (err, argv);
}

static int s_receive (const char *db, char **err)
{
    char *listen = jk_sprintf ("ipc://%s/link.sock", s_dir);
    char *argv[] = {"jejak-link", "receive", "--db", (char *)db,
                    "--listen",   listen,    NULL};
    int rc = s_run (err, argv);
    free (listen);
    return rc;
}

/* The values OPERATIONS.md lists. */
static void test_values (void **state)
{
    (void)state;
    static const struct {
        jk_db_kind_t kind;
        const char *letters;
    } kinds[] = {
        {JK_DB_LOG, "JKLG"},
        {JK_DB_PROJECTIONS, "JKPJ"},
        {JK_DB_OUTBOX, "JKOB"},
        {JK_DB_USERS, "JKUS"},
        {JK_DB_PICKS, "JKPK"},
        {JK_DB_LINK_COPY, "JKCP"},
        {JK_DB_LINK_STATE, "JKST"},
        {JK_DB_PROVINCE, "JKPV"},
        {JK_DB_PROVINCE_SHADOW, "JKRS"},
        {JK_DB_SINK_SHADOW, "JKSK"},
    };
    assert_int_equal (sizeof kinds / sizeof kinds[0], JK_DB_KINDS);
    char *path = jk_sprintf ("%s/docs/OPERATIONS.md", JEJAK_SOURCE_DIR);
    char *doc = jk_test_slurp (path, NULL);
    assert_non_null (doc);
    for (size_t i = 0; i < JK_DB_KINDS; i++) {
        const char *l = kinds[i].letters;
        int32_t id = (int32_t)(((uint32_t)l[0] << 24) | ((uint32_t)l[1] << 16) |
                               ((uint32_t)l[2] << 8) | (uint32_t)l[3]);
        assert_int_equal (jk_db_kind_id (kinds[i].kind), id);
        char row[64];
        snprintf (row, sizeof row, "| `0x%08X` (`%s`) |", (uint32_t)id, l);
        if (!strstr (doc, row))
            fail_msg ("OPERATIONS.md lacks %s", row);
    }
    /* The decimal sqlite3 prints for an event log, as the doc gives it. */
    char decimal[64];
    snprintf (decimal, sizeof decimal, "(%d for an event log)",
              (int)jk_db_kind_id (JK_DB_LOG));
    if (!strstr (doc, decimal))
        fail_msg ("OPERATIONS.md lacks %s", decimal);
    free (doc);
    free (path);
}

/* Made by the programs, each file carries its kind's mark. */
static void test_marked_when_made (void **state)
{
    (void)state;
    char *log = s_path ("made.db"), *outbox = s_path ("made-outbox.db"),
         *users = s_path ("made-users.db"), *err = NULL;
    s_make_log (log);
    assert_int_equal (s_app_id (log), jk_db_kind_id (JK_DB_LOG));
    /* Made, then as if made before the mark (known by its tables). */
    s_queue (outbox);
    s_user_add (users);
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            s_set (outbox, "PRAGMA application_id = 0");
            s_set (users, "PRAGMA application_id = 0");
        }
        assert_int_equal (s_pending (outbox, &err), 0);
        free (err);
        assert_int_equal (s_app_id (outbox), jk_db_kind_id (JK_DB_OUTBOX));
        assert_int_equal (s_user_list (users, &err), 0);
        free (err);
        assert_int_equal (s_app_id (users), jk_db_kind_id (JK_DB_USERS));
    }
    free (log);
    free (outbox);
    free (users);
}

/* A hub's log given as an outbox, a users file, a link's copy: refused
   (exit 1) with the file named and what it is, nothing added to it. */
static void s_refused_everywhere (const char *log, const char *is)
{
    static const struct {
        int (*run) (const char *, char **);
        const char *kind;
    } programs[] = {{s_pending, "an office outbox"},
                    {s_user_list, "an office users file"},
                    {s_receive, "a link copy database"}};
    long tables = s_tables (log);
    long id = s_app_id (log);
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        char *err = NULL, expect[512];
        assert_int_equal (programs[i].run (log, &err), 1);
        snprintf (expect, sizeof expect, "%s is a Jejak event log (%s), not %s",
                  log, is, programs[i].kind);
        if (!strstr (err, expect))
            fail_msg ("%s: %s\nwanted: %s", programs[i].kind, err, expect);
        free (err);
        assert_int_equal (s_tables (log), tables);
        assert_int_equal (s_app_id (log), id);
    }
}

static void test_log_refused (void **state)
{
    (void)state;
    char *log = s_path ("events.db");
    s_make_log (log);
    s_refused_everywhere (log, "application_id 0x4A4B4C47 'JKLG'");
    /* A log from before the mark, known by its tables. */
    s_set (log, "PRAGMA application_id = 0");
    s_refused_everywhere (log, "by its tables: log, merkle_tile; "
                               "application_id 0");
    free (log);
}

/* The other way round: an outbox given to the store as its log. */
static void test_outbox_refused_by_store (void **state)
{
    (void)state;
    char *outbox = s_path ("store-outbox.db"), *err = NULL;
    s_queue (outbox);
    long tables = s_tables (outbox);
    char errbuf[512];
    jk_log_t *log = jk_log_open (outbox, 0, errbuf, sizeof errbuf);
    assert_null (log);
    char expect[512];
    snprintf (expect, sizeof expect,
              "%s is an office outbox (application_id 0x4A4B4F42 'JKOB'), "
              "not a Jejak event log",
              outbox);
    assert_string_equal (errbuf, expect);
    assert_int_equal (s_tables (outbox), tables);
    /* Not a database at all. */
    char *text = s_path ("notes.txt");
    FILE *f = fopen (text, "w");
    assert_non_null (f);
    fputs ("catatan rapat, bukan basis data\n", f);
    fclose (f);
    assert_int_equal (s_pending (text, &err), 1);
    if (!strstr (err, "notes.txt is not an office outbox: file is not a "
                      "database"))
        fail_msg ("pending on text: %s", err);
    free (err);
    free (text);
    free (outbox);
}

/* The province database given a hub's log in its place (jejak-link
   project --province events.db): refused before anything is written, the
   log's tables and mark unchanged. */
static void test_log_refused_as_province (void **state)
{
    (void)state;
    char *log = s_path ("province-log.db");
    char *copy = s_path ("province-copy.db");
    s_make_log (log);
    char err[512] = "";
    sqlite3 *db = jk_link_db_open (copy, false, err, sizeof err);
    if (!db)
        fail_msg ("jk_link_db_open %s: %s", copy, err);
    sqlite3_close (db);
    long tables = s_tables (log);
    jk_province_t *province = jk_province_open (log, copy, err, sizeof err);
    assert_null (province);
    char *want = jk_sprintf ("%s is a Jejak event log (application_id "
                             "0x4A4B4C47 'JKLG'), not a province database",
                             log);
    assert_string_equal (err, want);
    assert_int_equal (s_tables (log), tables);
    assert_int_equal (s_app_id (log), jk_db_kind_id (JK_DB_LOG));
    free (want);
    free (copy);
    free (log);
}

/* A file of another kind where the store keeps the projections
   (events.db-projections), and given to jejak-link send as its --state:
   refused (exit 1) with the file named and what it is, its tables and
   mark unchanged. The store does not take it for damaged projections to
   remove and make anew. */
static void test_outbox_refused_as_projections_and_state (void **state)
{
    (void)state;
    char *log = s_path ("kinds.db");
    char *projections = s_path ("kinds.db-projections");
    char *outbox = s_path ("kinds-outbox.db");
    s_make_log (log);
    jk_test_db_remove (projections);
    s_queue (projections);
    s_queue (outbox);
    long tables = s_tables (projections);
    char *backend = jk_sprintf ("ipc://%s/kinds-backend", s_dir);
    char *store[] = {"jejak-store", "--db",    log, "--backend",
                     backend,       "--query", "",  NULL};
    char *err = NULL;
    assert_int_equal (s_run (&err, store), 1);
    char *want = jk_sprintf ("%s is an office outbox (application_id "
                             "0x4A4B4F42 'JKOB'), not the projections of a "
                             "Jejak event log",
                             projections);
    if (!strstr (err, want))
        fail_msg ("jejak-store: %s\nwanted: %s", err, want);
    free (want);
    free (err);
    assert_int_equal (s_tables (projections), tables);
    assert_int_equal (s_app_id (projections), jk_db_kind_id (JK_DB_OUTBOX));

    /* jejak-link send's checkpoint state (--state, with --log-key). */
    char *keys = s_path ("kinds-keys");
    char *keygen[] = {"jejak-keys", "log-key", "--dir", keys, NULL};
    assert_int_equal (s_run (&err, keygen), 0);
    free (err);
    char *vkey = jk_sprintf ("%s/log.vkey", keys);
    char *up = jk_sprintf ("ipc://%s/kinds-up", s_dir);
    char *query = jk_sprintf ("ipc://%s/kinds-query", s_dir);
    char *send[] = {"jejak-link", "send",       "--area",  "32.03",   "--db",
                    log,          "--upstream", up,        "--query", query,
                    "--log-key",  vkey,         "--state", outbox,    NULL};
    tables = s_tables (outbox);
    assert_int_equal (s_run (&err, send), 1);
    want = jk_sprintf ("--state: %s is an office outbox (application_id "
                       "0x4A4B4F42 'JKOB'), not a link checkpoint state",
                       outbox);
    if (!strstr (err, want))
        fail_msg ("jejak-link send: %s\nwanted: %s", err, want);
    free (want);
    free (err);
    assert_int_equal (s_tables (outbox), tables);
    assert_int_equal (s_app_id (outbox), jk_db_kind_id (JK_DB_OUTBOX));
    free (query);
    free (up);
    free (vkey);
    free (keys);
    free (backend);
    free (outbox);
    free (projections);
    free (log);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_values),
        cmocka_unit_test (test_marked_when_made),
        cmocka_unit_test (test_log_refused),
        cmocka_unit_test (test_outbox_refused_by_store),
        cmocka_unit_test (test_log_refused_as_province),
        cmocka_unit_test (test_outbox_refused_as_projections_and_state),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
