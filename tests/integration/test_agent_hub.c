/*  test_agent_hub.c - the office programs end to end against a real
    jejak-hub process: offline commands exit 3 and keep their events, a
    later sync stores them once in seq order with receipts; a rejected
    event in the middle stops nothing; CSV import (';' and ',', BOM, CRLF,
    quoted fields, bad rows with line numbers); kill -9 in the middle of a
    sync of 10k events, then sync again: every event stored exactly once. */
#include "jk_agent.h"
#include "testsupport.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/pacet-1"

typedef jk_test_hub_t s_fix_t;
/* true: the test's agents run without --outbox, on the shared default */
static bool s_default_outbox;

static int s_setup (void **state)
{
    s_default_outbox = false;
    *state = jk_test_hub_new ("agent-hub");
    return 0;
}

static int s_teardown (void **state)
{
    jk_test_hub_destroy ((s_fix_t **)state);
    return 0;
}

/* Counts rows of the hub's log for a where clause; -1 while unreadable. */
static int64_t s_log_count (s_fix_t *fx, const char *what)
{
    char *sql =
        jk_sprintf ("SELECT %s FROM log WHERE source = '%s'", what, S_SOURCE);
    int64_t n = jk_test_db_int64 (fx->db, sql);
    free (sql);
    return n;
}

/* Waits until the log holds at least min rows of the source (or, with
   min 0, is readable); false after timeout_ms. */
static bool s_wait_log (s_fix_t *fx, int64_t min, int timeout_ms)
{
    return JK_WAIT_FOR (s_log_count (fx, "count(*)") >= min, timeout_ms);
}

/* Runs jejak-<program> with the fixture's global flags plus args. */
static int s_agent (s_fix_t *fx, const char *program, const char *wait,
                    char **out, char **err, ...)
{
    char *argv[40];
    int n = 0;
    argv[n++] = (char *)program;
    argv[n++] = "--source";
    argv[n++] = S_SOURCE;
    if (!s_default_outbox) {
        argv[n++] = "--outbox";
        argv[n++] = fx->outbox;
    }
    argv[n++] = "--broker";
    argv[n++] = fx->ingest;
    argv[n++] = "--wait";
    argv[n++] = (char *)wait;
    va_list ap;
    va_start (ap, err);
    char *a;
    while ((a = va_arg (ap, char *)) != NULL && n < 39)
        argv[n++] = a;
    va_end (ap);
    argv[n] = NULL;
    char *o = NULL, *e = NULL;
    int rc = jk_test_run (argv, &o, &e, 180000);
    if (out)
        *out = o;
    else
        free (o);
    if (err)
        *err = e;
    else {
        if (rc != 0 && e && *e)
            fprintf (stderr, "%s", e);
        free (e);
    }
    return rc;
}

static jk_outbox_t *s_outbox (s_fix_t *fx)
{
    char err[256];
    jk_outbox_t *ob = jk_outbox_open (fx->outbox, S_SOURCE, err, sizeof err);
    assert_non_null (ob);
    return ob;
}

static void s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "wb");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
}

static void test_offline_then_sync (void **state)
{
    s_fix_t *fx = *state;
    /* Broker down: queued, exit 3. */
    assert_int_equal (
        s_agent (fx, "jejak-registration", "0.3", NULL, NULL, "batch",
                 "--batch", "PK2UMK-2022-01", "--title",
                 "Pelatihan Manajemen Koperasi", "--funding", "dak_nf_pk2umk",
                 "--budget-year", "2022", "--venue", "Aula Kecamatan Pacet",
                 "--venue-desa-code", "32.03.01.1006", "--start-date",
                 "01/08/2022", "--end-date", "2022-08-05", NULL),
        JK_EXIT_OFFLINE);
    assert_int_equal (s_agent (fx, "jejak-registration", "0.3", NULL, NULL,
                               "session", "--batch", "PK2UMK-2022-01",
                               "--session-no", "1", "--date", "01/08/2022",
                               "--starts", "08.00", "--ends", "11:00", "--jp",
                               "4", "--topic", "Tata kelola", NULL),
                      JK_EXIT_OFFLINE);
    /* Validation error: exit 2, nothing queued. */
    char *err = NULL;
    assert_int_equal (s_agent (fx, "jejak-registration", "0.3", NULL, &err,
                               "session", "--batch", "PK2UMK-2022-01",
                               "--session-no", "2", "--date", "01/08/2022",
                               "--starts", "08.00", "--ends", "11:00", "--jp",
                               "40", "--topic", "Tata kelola", NULL),
                      JK_EXIT_USAGE);
    assert_non_null (strstr (err, "body.jp"));
    free (err);

    jk_outbox_t *ob = s_outbox (fx);
    jk_outbox_counts_t c;
    jk_outbox_counts (ob, &c);
    assert_int_equal (c.pending, 2);
    assert_int_equal (c.next_seq, 3);
    /* The command queued the right event. */
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (ob, 1, &row), JK_OK);
    jk_event_t *ev = jk_event_decode (row.bytes, row.size, NULL);
    assert_non_null (ev);
    char buf[64];
    assert_string_equal (ev->type->name, "training.batch_scheduled");
    assert_int_equal (ev->seq, 1);
    assert_string_equal (jk_event_text (ev, "funding", buf, sizeof buf),
                         "DAK_NF_PK2UMK");
    assert_string_equal (jk_event_text (ev, "start_date", buf, sizeof buf),
                         "2022-08-01");
    assert_int_equal (jk_event_get (ev, "budget_year")->n, 2022);
    assert_false (jk_event_get (ev, "class_size_max")->present);
    jk_event_destroy (&ev);
    jk_outbox_close (&ob);

    /* Hub up: sync stores both, once, in seq order. */
    jk_test_hub_start (fx);
    char *out = NULL;
    assert_int_equal (
        s_agent (fx, "jejak-registration", "10", &out, NULL, "sync", NULL),
        JK_EXIT_OK);
    assert_non_null (strstr (out, "sync: 2 stored, 0 rejected, 0 pending"));
    free (out);
    assert_int_equal (s_log_count (fx, "count(*)"), 2);
    assert_int_equal (s_log_count (fx, "count(DISTINCT id)"), 2);
    assert_int_equal (s_log_count (fx, "sum(outcome)"), 0);
    /* pos order is seq order */
    assert_int_equal (s_log_count (fx, "min(seq)"), 1);
    assert_int_equal (s_log_count (fx, "max(seq)"), 2);
    assert_int_equal (s_log_count (fx, "(SELECT seq FROM log ORDER BY pos "
                                       "LIMIT 1)"),
                      1);
    ob = s_outbox (fx);
    assert_int_equal (jk_outbox_get (ob, 2, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_STORED);
    assert_int_equal (row.pos, 2);
    jk_outbox_close (&ob);
    /* Online now: a command answers 0 with its receipt. */
    out = NULL;
    assert_int_equal (s_agent (fx, "jejak-registration", "10", &out, NULL,
                               "session", "--batch", "PK2UMK-2022-01",
                               "--session-no", "2", "--date", "02/08/2022",
                               "--starts", "08:00", "--ends", "11:00", "--jp",
                               "4", "--topic", "Pembukuan", NULL),
                      JK_EXIT_OK);
    assert_non_null (strstr (out, "stored: seq 3 at position 3"));
    free (out);
    out = NULL;
    assert_int_equal (
        s_agent (fx, "jejak-registration", "1", &out, NULL, "receipts", NULL),
        JK_EXIT_OK);
    assert_non_null (strstr (out, "pos=3\thash="));
    free (out);
}

static void test_csv_import_and_rejection (void **state)
{
    s_fix_t *fx = *state;
    jk_test_hub_start (fx);
    char *csv = jk_sprintf ("%s/people.csv", fx->dir);
    /* ';', BOM, CRLF, a quoted name with ';' and a newline, a bad NIK on
       line 5, and a NIK registered twice (line 6: rejected by the store). */
    s_write (csv, "\xEF\xBB\xBFNIK;Name;sex;birth-date;desa_code;phone\r\n"
                  "3203014107850001;\"Siti; Aminah\";P;01/07/1985;"
                  "32.03.01.1006;\r\n"
                  "3203010101900002;\"Budi\r\nSantoso\";L;01/01/1990;"
                  "32.03.01.1006;081234567890\r\n"
                  "3203010101900003;Cecep;l;1990-01-01;32.03.01.1006;\r\n"
                  "12345;Dedi;L;01/01/1990;32.03.01.1006;\r\n"
                  "3203014107850001;Siti lagi;P;01/07/1985;32.03.01.1006;\r\n"
                  "3203010101900004;Euis;L;01/01/1990;32.03.01.1006;\r\n");
    char *out = NULL, *err = NULL;
    assert_int_equal (s_agent (fx, "jejak-registration", "10", &out, &err,
                               "import", csv, "--type", "person.registered",
                               NULL),
                      JK_EXIT_REJECTED);
    assert_non_null (strstr (out, "6 rows, 5 queued, 1 bad"));
    assert_non_null (strstr (out, "4 stored, 1 rejected, 0 pending"));
    assert_non_null (strstr (err, "people.csv:6: body.nik"));
    assert_non_null (strstr (err, "E_DUPLICATE_PERSON"));
    free (out);
    free (err);
    jk_outbox_t *ob = s_outbox (fx);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (ob, 2, &row), JK_OK);
    jk_event_t *ev = jk_event_decode (row.bytes, row.size, NULL);
    char name[64];
    assert_string_equal (jk_event_text (ev, "name", name, sizeof name),
                         "Budi\r\nSantoso");
    jk_event_destroy (&ev);
    assert_int_equal (jk_outbox_get (ob, 4, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_REJECTED);
    assert_string_equal (row.code, "E_DUPLICATE_PERSON");
    assert_string_equal (row.origin, "people.csv:7");
    assert_int_equal (jk_outbox_get (ob, 5, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_STORED);
    jk_outbox_close (&ob);
    /* pending lists the rejected one with its reason. */
    out = NULL;
    assert_int_equal (
        s_agent (fx, "jejak-registration", "1", &out, NULL, "pending", NULL),
        JK_EXIT_OK);
    assert_non_null (strstr (out, "4\tREJECTED\tperson.registered"));
    assert_non_null (strstr (out, "people.csv:7\tE_DUPLICATE_PERSON: "));
    free (out);

    /* ',' with an unknown column: nothing queued, exit 2. */
    s_write (csv, "nik,name,colour\n3203010101900005,Fajar,red\n");
    err = NULL;
    assert_int_equal (s_agent (fx, "jejak-registration", "1", NULL, &err,
                               "import", csv, "--type", "person.registered",
                               NULL),
                      JK_EXIT_USAGE);
    assert_non_null (strstr (err, "unknown column(s) 'colour'"));
    free (err);
    /* ',' separated, quoted cell with a comma. */
    s_write (csv, "nik,name,sex,birth_date,desa_code\n"
                  "3203010101900005,\"Fajar, S.E.\",L,01/01/1990,"
                  "32.03.01.1006\n");
    out = NULL;
    assert_int_equal (s_agent (fx, "jejak-registration", "10", &out, NULL,
                               "import", csv, "--type", "person.registered",
                               NULL),
                      JK_EXIT_OK);
    assert_non_null (strstr (out, "1 stored, 0 rejected, 0 pending"));
    free (out);
    assert_int_equal (s_log_count (fx, "count(*)"), 6);
    /* The same file again: nothing queued twice, its row counted as
       stored. */
    out = NULL;
    assert_int_equal (s_agent (fx, "jejak-registration", "10", &out, NULL,
                               "import", csv, "--type", "person.registered",
                               NULL),
                      JK_EXIT_OK);
    assert_non_null (strstr (out, "1 rows, 0 queued, 0 bad, 1 already queued"));
    assert_non_null (strstr (out, "1 stored, 0 rejected, 0 pending"));
    free (out);
    assert_int_equal (s_log_count (fx, "count(*)"), 6);
    free (csv);
}

static void test_kill9_mid_sync (void **state)
{
    s_fix_t *fx = *state;
    const int n = 10000;
    char *csv = jk_sprintf ("%s/many.csv", fx->dir);
    FILE *f = fopen (csv, "w");
    fprintf (f, "batch\n");
    for (int i = 0; i < n; i++)
        fprintf (f, "B-%05d\n", i);
    fclose (f);
    /* Offline: all queued. */
    assert_int_equal (s_agent (fx, "jejak-attendance", "0", NULL, NULL,
                               "import", csv, "--type", "training.batch_closed",
                               NULL),
                      JK_EXIT_OFFLINE);
    jk_test_hub_start (fx);
    char *argv[] = {"jejak-attendance",
                    "--source",
                    S_SOURCE,
                    "--outbox",
                    fx->outbox,
                    "--broker",
                    fx->ingest,
                    "--wait",
                    "120",
                    "sync",
                    NULL};
    pid_t agent = jk_test_spawn (argv, "/dev/null");
    assert_true (s_wait_log (fx, 1000, 120000));
    kill (agent, SIGKILL);
    jk_test_stop (agent, SIGKILL, 5000);
    int64_t at_kill = s_log_count (fx, "count(*)");
    assert_true (at_kill >= 1000);
    fprintf (stderr, "agent killed with %lld of %d events in the log\n",
             (long long)at_kill, n);
    char *out = NULL;
    /* Up to 9,000 events left: --wait leaves room for a slow sanitizer
       run (the program exits as soon as all are answered). */
    int rc = s_agent (fx, "jejak-attendance", "120", &out, NULL, "sync", NULL);
    /* batch_closed of unknown batches are rejected by the store: those are
       decisions too, each logged once. */
    assert_true (rc == JK_EXIT_OK || rc == JK_EXIT_REJECTED);
    free (out);
    assert_int_equal (s_log_count (fx, "count(*)"), n);
    assert_int_equal (s_log_count (fx, "count(DISTINCT id)"), n);
    assert_int_equal (s_log_count (fx, "count(DISTINCT seq)"), n);
    assert_int_equal (s_log_count (fx, "min(seq)"), 1);
    assert_int_equal (s_log_count (fx, "max(seq)"), n);
    jk_outbox_t *ob = s_outbox (fx);
    jk_outbox_counts_t c;
    jk_outbox_counts (ob, &c);
    assert_int_equal (c.pending, 0);
    assert_int_equal (c.stored + c.rejected, (uint64_t)n);
    assert_int_equal ((int64_t)c.rejected, s_log_count (fx, "sum(outcome)"));
    jk_outbox_close (&ob);
    free (csv);
}

/* Registers person number i (a valid NIK per i) through the agent. */
static int s_person (s_fix_t *fx, int i)
{
    char nik[17], name[32];
    snprintf (nik, sizeof nik, "320310010180%04d", i);
    snprintf (name, sizeof name, "Warga Pacet %d", i);
    return s_agent (fx, "jejak-registration", "10", NULL, NULL, "person",
                    "--nik", nik, "--name", name, "--sex", "L", "--birth-date",
                    "01/01/1980", "--desa-code", "32.03.10.2012", NULL);
}

/* The dinas restores an older backup: events acknowledged after it are
   gone from the log, but the office's outbox still holds them. The next
   submission meets E_SEQ_GAP for a seq the outbox had stored, and the
   agent delivers everything from there again: nothing is lost. */
static void test_restore_from_backup (void **state)
{
    s_fix_t *fx = *state;
    jk_test_hub_start (fx);
    for (int i = 1; i <= 5; i++)
        assert_int_equal (s_person (fx, i), JK_EXIT_OK);
    char *backup = jk_sprintf ("%s/backup.db", fx->dir);
    char *argv[] = {"jejak-replay", "backup", fx->db, "--out", backup, NULL};
    assert_int_equal (jk_test_run (argv, NULL, NULL, 60000), 0);
    for (int i = 6; i <= 8; i++)
        assert_int_equal (s_person (fx, i), JK_EXIT_OK);
    assert_int_equal (s_log_count (fx, "count(*)"), 8);

    /* Restore: stop the hub, put the backup in place, start again. */
    assert_true (jk_test_stop (fx->hub, SIGTERM, 10000) >= 0);
    fx->hub = 0;
    char *wal = jk_sprintf ("%s-wal", fx->db),
         *shm = jk_sprintf ("%s-shm", fx->db);
    unlink (wal);
    unlink (shm);
    assert_int_equal (rename (backup, fx->db), 0);
    jk_test_hub_start (fx);
    assert_int_equal (s_log_count (fx, "count(*)"), 5);

    /* The next event brings 6..8 back with it. */
    assert_int_equal (s_person (fx, 9), JK_EXIT_OK);
    assert_int_equal (s_log_count (fx, "count(*)"), 9);
    assert_int_equal (s_log_count (fx, "count(DISTINCT seq)"), 9);
    assert_int_equal (s_log_count (fx, "max(seq)"), 9);
    assert_int_equal (s_log_count (fx, "sum(outcome)"), 0);
    jk_outbox_t *ob = s_outbox (fx);
    jk_outbox_counts_t c;
    jk_outbox_counts (ob, &c);
    assert_int_equal (c.stored, 9);
    assert_int_equal (c.pending, 0);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (ob, 6, &row), JK_OK);
    assert_int_equal (row.pos, 6); /* a new receipt from the restored log */
    jk_outbox_close (&ob);
    free (wal);
    free (shm);
    free (backup);
}

/* Acknowledged commits lost from the WAL: a reader keeps the store's
   checkpoint from reaching them, the hub is killed, the WAL is deleted.
   The restarted hub has only the first five; the office enters nothing
   new, yet one `sync` (nothing pending) brings 6..8 back at once: its
   heartbeat says seq 8 is stored, the store answers with the seq to
   deliver from and logs the loss. */
static void test_lost_wal_redelivered (void **state)
{
    s_fix_t *fx = *state;
    jk_test_hub_start (fx);
    for (int i = 1; i <= 5; i++)
        assert_int_equal (s_person (fx, i), JK_EXIT_OK);
    sqlite3 *reader = NULL;
    assert_int_equal (
        sqlite3_open_v2 (fx->db, &reader, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    sqlite3_db_config (reader, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    assert_int_equal (sqlite3_exec (reader,
                                    "BEGIN; SELECT count(*) FROM log; "
                                    "SELECT count(*) FROM sqlite_master",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    /* Let the store's idle checkpoint copy the first five into the file
       (it cannot go past the reader's snapshot). */
    sqlite3 *probe = NULL;
    assert_int_equal (sqlite3_open (fx->db, &probe), SQLITE_OK);
    assert_int_equal (sqlite3_exec (probe, "PRAGMA wal_checkpoint(PASSIVE)",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_db_config (probe, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_close (probe);
    for (int i = 6; i <= 8; i++)
        assert_int_equal (s_person (fx, i), JK_EXIT_OK);
    assert_int_equal (s_log_count (fx, "count(*)"), 8);
    assert_true (jk_test_stop (fx->hub, SIGKILL, 10000) >= 0);
    fx->hub = 0;
    char *wal = jk_sprintf ("%s-wal", fx->db),
         *shm = jk_sprintf ("%s-shm", fx->db);
    assert_int_equal (unlink (wal), 0);
    unlink (shm);
    sqlite3_exec (reader, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (reader);
    setenv ("JEJAK_LOG", "info", 1);
    jk_test_hub_start (fx);
    setenv ("JEJAK_LOG", "warn", 1);
    assert_int_equal (s_log_count (fx, "count(*)"), 5);
    /* Until the broker has heard from its store it answers heartbeats
       itself (clock only). */
    assert_true (
        JK_WAIT_FOR (jk_test_file_has (fx->log, "store available"), 60000));

    char *err = NULL;
    assert_int_equal (
        s_agent (fx, "jejak-registration", "10", NULL, &err, "sync", NULL),
        JK_EXIT_OK);
    assert_non_null (strstr (err, "delivering 3 answered events again"));
    free (err);
    assert_int_equal (s_log_count (fx, "count(*)"), 8);
    assert_int_equal (s_log_count (fx, "count(DISTINCT seq)"), 8);
    assert_true (jk_test_file_has (fx->log, "holds receipts up to seq 8"));
    jk_outbox_t *ob = s_outbox (fx);
    jk_outbox_counts_t c;
    jk_outbox_counts (ob, &c);
    assert_int_equal (c.stored, 8);
    assert_int_equal (c.pending, 0);
    jk_outbox_close (&ob);
    free (wal);
    free (shm);
}

/* Runs in a child: `rounds` imports of the program's CSV files in turn,
   each delivering at once; exits 0 when every import answered want. */
static void s_import_rounds (s_fix_t *fx, const char *program, const char *type,
                             const char *stem, int rounds, int want)
{
    for (int r = 0; r < rounds; r++) {
        char *csv = jk_sprintf ("%s/%s-%02d.csv", fx->dir, stem, r);
        char *err = NULL;
        int rc = s_agent (fx, program, "60", NULL, &err, "import", csv,
                          "--type", type, NULL);
        if (rc != want) {
            fprintf (stderr, "%s import %d: exit %d, want %d\n%s", program, r,
                     rc, want, err ? err : "");
            _exit (1);
        }
        free (err);
        free (csv);
    }
    _exit (0);
}

/* jejak-registration and jejak-attendance with the same --source and no
   --outbox share the device's one outbox: both import at the same time,
   each delivering as it goes, 1,000 events in all. The log holds each
   once, seqs 1..1000 without a gap, and the outbox agrees. */
static void test_shared_outbox_concurrent (void **state)
{
    s_fix_t *fx = *state;
    s_default_outbox = true;
    char *share = jk_sprintf ("%s/share", fx->dir);
    setenv ("XDG_DATA_HOME", share, 1);
    const int rounds = 20, rows = 25; /* per program */
    for (int r = 0; r < rounds; r++) {
        char *people = jk_sprintf ("%s/people-%02d.csv", fx->dir, r);
        char *closes = jk_sprintf ("%s/closes-%02d.csv", fx->dir, r);
        FILE *p = fopen (people, "w"), *c = fopen (closes, "w");
        assert_non_null (p);
        assert_non_null (c);
        fprintf (p, "nik;name;sex;birth_date;desa_code\n");
        fprintf (c, "batch\n");
        for (int i = 0; i < rows; i++) {
            int k = r * rows + i + 1;
            fprintf (p,
                     "320310010180%04d;Warga %d;L;01/01/1980;"
                     "32.03.10.2012\n",
                     k, k);
            fprintf (c, "B-%04d\n", k);
        }
        fclose (p);
        fclose (c);
        free (people);
        free (closes);
    }
    jk_test_hub_start (fx);
    pid_t reg = jk_test_fork ();
    if (reg == 0)
        s_import_rounds (fx, "jejak-registration", "person.registered",
                         "people", rounds, JK_EXIT_OK);
    pid_t att = jk_test_fork ();
    if (att == 0)
        /* Closing a batch the log does not know is rejected by the store:
           a decision, logged once like the others. */
        s_import_rounds (fx, "jejak-attendance", "training.batch_closed",
                         "closes", rounds, JK_EXIT_REJECTED);
    int st_reg = -1, st_att = -1;
    assert_int_equal (waitpid (reg, &st_reg, 0), reg);
    assert_int_equal (waitpid (att, &st_att, 0), att);
    assert_true (WIFEXITED (st_reg) && WEXITSTATUS (st_reg) == 0);
    assert_true (WIFEXITED (st_att) && WEXITSTATUS (st_att) == 0);

    const int n = 2 * rounds * rows;
    assert_int_equal (s_log_count (fx, "count(*)"), n);
    assert_int_equal (s_log_count (fx, "count(DISTINCT id)"), n);
    assert_int_equal (s_log_count (fx, "count(DISTINCT seq)"), n);
    assert_int_equal (s_log_count (fx, "min(seq)"), 1);
    assert_int_equal (s_log_count (fx, "max(seq)"), n);
    /* Every person accepted, every close of an unknown batch refused. */
    assert_int_equal (s_log_count (fx, "sum(outcome)"), rounds * rows);
    assert_int_equal (s_log_count (fx, "sum(type = 'person.registered' "
                                       "AND outcome = 0)"),
                      rounds * rows);
    /* One outbox file in the default place, named after the source. */
    char *shared = jk_sprintf ("%s/jejak/outbox-32.03.10_pacet-1.db", share);
    assert_int_equal (access (shared, F_OK), 0);
    char *own =
        jk_sprintf ("%s/jejak/jejak-attendance-32.03.10_pacet-1.db", share);
    assert_int_equal (access (own, F_OK), -1);
    char err[256];
    jk_outbox_t *ob = jk_outbox_open (shared, S_SOURCE, err, sizeof err);
    assert_non_null (ob);
    jk_outbox_counts_t c;
    assert_int_equal (jk_outbox_counts (ob, &c), JK_OK);
    assert_int_equal (c.pending, 0);
    assert_int_equal (c.stored, (uint64_t)(rounds * rows));
    assert_int_equal (c.rejected, (uint64_t)(rounds * rows));
    assert_int_equal (c.next_seq, (uint64_t)n + 1);
    jk_outbox_close (&ob);
    unsetenv ("XDG_DATA_HOME");
    free (own);
    free (shared);
    free (share);
}

/* Another source's outbox is a usage error (exit 2, the flags are
   wrong); a file that is no outbox is a failure (exit 1). */
static void test_outbox_of_another_source (void **state)
{
    s_fix_t *fx = *state;
    char *out = NULL, *err = NULL;
    /* Made by queueing (the readers make no outbox). */
    assert_int_equal (s_agent (fx, "jejak-attendance", "0", &out, &err,
                               "close-batch", "--batch", "B-1", NULL),
                      JK_EXIT_OFFLINE);
    free (out);
    free (err);
    char *other[] = {"jejak-attendance",
                     "--source",
                     "32.03.10/other-1",
                     "--outbox",
                     fx->outbox,
                     "pending",
                     NULL};
    assert_int_equal (jk_test_run (other, &out, &err, 20000), JK_EXIT_USAGE);
    assert_non_null (strstr (err, "belongs to source " S_SOURCE));
    free (out);
    free (err);
    char *junk = jk_sprintf ("%s/junk.db", fx->dir);
    s_write (junk, "not an outbox, not SQLite: just text that is long enough");
    char *broken[] = {
        "jejak-attendance", "--source", S_SOURCE, "--outbox", junk,
        "pending",          NULL};
    assert_int_equal (jk_test_run (broken, &out, &err, 20000), JK_EXIT_FAILURE);
    free (out);
    free (err);
    free (junk);
}

/* `pending` says what happened: an event no hub ever received stays
   PENDING (it used to be SENT once handed to a socket with no broker
   behind it), and the programs' log lines (reconnects) reach stderr only
   with --verbose. */
static void test_pending_states_and_quiet_logs (void **state)
{
    s_fix_t *fx = *state;
    char *level =
        getenv ("JEJAK_LOG") ? jk_strdup (getenv ("JEJAK_LOG")) : NULL;
    unsetenv ("JEJAK_LOG");
    char *out = NULL, *err = NULL;
    /* Broker down for longer than the heartbeat liveness: reconnects.
       The quiet program queues its event and waits; a second one, with
       --verbose, starts once the event is queued. When the verbose one
       has logged its second reconnect (two liveness periods), the quiet
       one, started earlier, has passed at least one: both are stopped
       (SIGINT), and only the verbose one said anything about it. */
    char *quiet_log = jk_sprintf ("%s/quiet.log", fx->dir);
    char *verbose_log = jk_sprintf ("%s/verbose.log", fx->dir);
    char *quiet[] = {
        "jejak-attendance", "--source", S_SOURCE, "--outbox", fx->outbox,
        "--broker",         fx->ingest, "--wait", "120",      "close-batch",
        "--batch",          "B-1",      NULL};
    char *verbose[] = {"jejak-attendance", "--source", S_SOURCE,
                       "--outbox",         fx->outbox, "--broker",
                       fx->ingest,         "--wait",   "120",
                       "--verbose",        "sync",     NULL};
    pid_t quiet_pid = jk_test_spawn (quiet, quiet_log);
    assert_true (quiet_pid > 0);
    assert_true (JK_WAIT_FOR (
        jk_test_db_int64 (fx->outbox, "SELECT count(*) FROM events") == 1,
        20000));
    pid_t verbose_pid = jk_test_spawn (verbose, verbose_log);
    assert_true (verbose_pid > 0);
    bool twice = JK_WAIT_FOR (
        __extension__({
            char *text = jk_test_slurp (verbose_log, NULL);
            const char *first =
                text ? strstr (text, "reconnect=\"broker silent\"") : NULL;
            bool two =
                first && strstr (first + 1, "reconnect=\"broker silent\"");
            free (text);
            two;
        }),
        30000);
    int quiet_status = jk_test_stop (quiet_pid, SIGINT, 20000);
    int verbose_status = jk_test_stop (verbose_pid, SIGINT, 20000);
    out = jk_test_slurp (quiet_log, NULL);
    err = jk_test_slurp (verbose_log, NULL);
    if (!twice)
        fail_msg ("no second reconnect logged within 30 s: %s", err ? err : "");
    assert_true (WIFEXITED (quiet_status));
    assert_int_equal (WEXITSTATUS (quiet_status), JK_EXIT_OFFLINE);
    assert_true (WIFEXITED (verbose_status));
    assert_int_equal (WEXITSTATUS (verbose_status), JK_EXIT_OFFLINE);
    assert_non_null (strstr (out, "not delivered yet"));
    assert_null (strstr (out, "reconnect"));
    assert_null (strstr (out, " INFO "));
    free (out);
    free (err);
    free (quiet_log);
    free (verbose_log);
    out = NULL;
    assert_int_equal (
        s_agent (fx, "jejak-attendance", "0", &out, NULL, "pending", NULL),
        JK_EXIT_OK);
    assert_non_null (strstr (out, "1\tPENDING\ttraining.batch_closed"));
    assert_null (strstr (out, "SENT"));
    free (out);
    jk_outbox_t *ob = s_outbox (fx);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (ob, 1, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_PENDING);
    assert_int_equal (row.attempts, 0);
    jk_outbox_close (&ob);
    /* Hub up: stored, and the receipt is shown. */
    jk_test_hub_start (fx);
    out = NULL;
    assert_int_equal (
        s_agent (fx, "jejak-attendance", "10", &out, NULL, "sync", NULL),
        JK_EXIT_REJECTED); /* B-1 is not a scheduled batch */
    free (out);
    assert_int_equal (s_log_count (fx, "count(*)"), 1);
    if (level) {
        setenv ("JEJAK_LOG", level, 1);
        free (level);
    }
}

/* The agent learns the hub's clock from its PONG and says at once when
   this machine's is off by more than 5 minutes; the next command says so
   before it queues, even offline. The event itself is stored (the store
   accepts a fast clock with W_AT_FUTURE). */
static void test_clock_off_told (void **state)
{
    s_fix_t *fx = *state;
    jk_test_hub_start (fx);
    char fast[32];
    snprintf (fast, sizeof fast, "%lld",
              (long long)(jk_clock_now_ms () + 2 * 3600 * 1000 + 5 * 60000));
    setenv ("JEJAK_CLOCK_MS", fast, 1);
    char *out = NULL, *err = NULL;
    assert_int_equal (s_agent (fx, "jejak-attendance", "10", &out, &err,
                               "close-batch", "--batch", "B-1", NULL),
                      JK_EXIT_REJECTED);
    assert_non_null (
        strstr (err, "this computer's clock is 2 hours 5 minutes ahead of "
                     "the dinas hub's"));
    free (out);
    free (err);
    /* Offline now (--wait 0): told before anything is queued. */
    out = err = NULL;
    assert_int_equal (s_agent (fx, "jejak-attendance", "0", &out, &err,
                               "close-batch", "--batch", "B-2", NULL),
                      JK_EXIT_OFFLINE);
    assert_non_null (strstr (err, "clock is 2 hours 5 minutes ahead"));
    free (out);
    free (err);
    /* A right clock: the next delivery learns it, and the warning stops. */
    unsetenv ("JEJAK_CLOCK_MS");
    out = err = NULL;
    assert_int_equal (
        s_agent (fx, "jejak-attendance", "10", &out, &err, "sync", NULL),
        JK_EXIT_REJECTED);
    free (out);
    free (err);
    out = err = NULL;
    assert_int_equal (s_agent (fx, "jejak-attendance", "0", &out, &err,
                               "close-batch", "--batch", "B-3", NULL),
                      JK_EXIT_OFFLINE);
    assert_null (strstr (err, "clock"));
    free (out);
    free (err);
    jk_outbox_t *ob = s_outbox (fx);
    int64_t offset = 0;
    assert_int_equal (jk_outbox_clock (ob, &offset, NULL), JK_OK);
    assert_true (offset < 60000 && offset > -60000);
    jk_outbox_close (&ob);
    assert_int_equal (s_log_count (fx, "count(*)"), 2);
}

/* A clock behind the hub's costs no entry: once a delivery learned the
   difference, a date after this clock's today but not after the hub's
   (a cooperative registered 30 days ago, the clock 400 days behind) is
   queued and stored, with the warning; it used to be refused 'is in the
   future', exit 2. */
static void test_clock_behind_costs_nothing (void **state)
{
    s_fix_t *fx = *state;
    jk_test_hub_start (fx);
    int64_t now = jk_clock_now_ms ();
    char slow[32];
    snprintf (slow, sizeof slow, "%lld", (long long)(now - 400LL * 86400000));
    setenv ("JEJAK_CLOCK_MS", slow, 1);
    /* The first delivery learns the difference. */
    assert_int_equal (s_agent (fx, "jejak-attendance", "10", NULL, NULL,
                               "close-batch", "--batch", "B-1", NULL),
                      JK_EXIT_REJECTED); /* B-1 is not a scheduled batch */
    int y, m, d;
    jk_civil_from_days ((int32_t)((now + JK_WIB_OFFSET_MS) / 86400000 - 30), &y,
                        &m, &d);
    char date[16];
    snprintf (date, sizeof date, "%02d/%02d/%04d", d, m, y);
    char *out = NULL, *err = NULL;
    int rc = s_agent (fx, "jejak-registration", "10", &out, &err, "cooperative",
                      "--legal-number", "AHU-0001234.AH.01.26.TAHUN 2019",
                      "--legal-date", date, "--name", "Koperasi Sauyunan",
                      "--form", "primer", "--kind", "serba_usaha", "--pattern",
                      "konvensional", "--desa-code", "32.03.10.2012",
                      "--members-male", "40", "--members-female", "35", NULL);
    unsetenv ("JEJAK_CLOCK_MS");
    assert_int_equal (rc, JK_EXIT_OK);
    assert_non_null (strstr (err, "this computer's clock is 400 days behind "
                                  "the dinas hub's"));
    assert_null (strstr (err, "in the future"));
    assert_non_null (strstr (out, "stored: seq 2 at position"));
    free (out);
    free (err);
    /* The log decides both: B-1 refused, the cooperative stored. */
    assert_int_equal (s_log_count (fx, "count(*)"), 2);
}

/* One flipped byte in a pending row's stored bytes (its source) used to
   make sync send the whole outbox again and again, --wait or not, while
   the outbox's WAL grew. Now the row is quarantined (never sent, shown by
   pending and inspect), the events before it are stored, and delivery
   stops at once with a message since the store needs that seq first. */
static void test_damaged_row_quarantined (void **state)
{
    s_fix_t *fx = *state;
    jk_test_hub_start (fx);
    char *csv = jk_sprintf ("%s/closes.csv", fx->dir);
    FILE *f = fopen (csv, "w");
    fprintf (f, "batch\n");
    for (int i = 1; i <= 60; i++)
        fprintf (f, "B-%02d\n", i);
    fclose (f);
    /* 1..40 stored, then 41..60 queued offline (--wait 0). */
    char *first = jk_sprintf ("%s/first.csv", fx->dir);
    f = fopen (first, "w");
    fprintf (f, "batch\n");
    for (int i = 1; i <= 40; i++)
        fprintf (f, "B-%02d\n", i);
    fclose (f);
    assert_int_equal (s_agent (fx, "jejak-attendance", "10", NULL, NULL,
                               "import", first, "--type",
                               "training.batch_closed", NULL),
                      JK_EXIT_REJECTED);
    assert_int_equal (s_agent (fx, "jejak-attendance", "0", NULL, NULL,
                               "import", csv, "--type", "training.batch_closed",
                               NULL),
                      JK_EXIT_REJECTED); /* 40 already queued, 20 new */
    assert_int_equal (s_log_count (fx, "count(*)"), 40);
    /* Flip one byte of the source inside seq 45's stored bytes. */
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (fx->outbox, &db), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (db,
                      "UPDATE events SET bytes = CAST(replace(CAST(bytes AS "
                      "TEXT), 'pacet-1', 'pacet-7') AS BLOB) WHERE seq = 45",
                      NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_changes (db), 1);
    sqlite3_close (db);

    char *out = NULL, *err = NULL;
    /* Stops at once, not when --wait runs out: 60 s against a bound of
       30 s leaves a slow sanitizer run room on both sides. */
    int64_t t0 = jk_clock_mono_ms ();
    assert_int_equal (
        s_agent (fx, "jejak-attendance", "60", &out, &err, "sync", NULL),
        JK_EXIT_FAILURE);
    int64_t took = jk_clock_mono_ms () - t0;
    assert_non_null (strstr (err, "seq 45 of this outbox is damaged: its "
                                  "stored bytes name source "
                                  "'32.03.10/pacet-7', not this outbox's "
                                  "32.03.10/pacet-1"));
    assert_non_null (strstr (err, "the store expects seq 45"));
    /* 41..44 stored, 45 quarantined, 46..60 wait; nothing sent over and
       over: each of 41..60 but 45 went out a handful of times at most. */
    assert_non_null (strstr (out, "sync: 0 stored, 4 rejected"));
    unsigned long long sent = 0;
    const char *p = strstr (out, "pending (");
    assert_non_null (p);
    assert_int_equal (sscanf (p, "pending (%llu sent", &sent), 1);
    assert_true (sent <= 19 * 4);
    assert_true (took < 30000);
    free (out);
    free (err);
    assert_int_equal (s_log_count (fx, "count(*)"), 44);
    assert_int_equal (s_log_count (fx, "count(*) - count(DISTINCT seq)"), 0);
    /* pending and inspect show it. */
    out = NULL;
    assert_int_equal (
        s_agent (fx, "jejak-attendance", "0", &out, NULL, "pending", NULL),
        JK_EXIT_OK);
    assert_non_null (strstr (out, "45\tQUARANTINED\ttraining.batch_closed"));
    assert_non_null (strstr (out, "E_OUTBOX_DAMAGED: its stored bytes name "
                                  "source '32.03.10/pacet-7'"));
    free (out);
    out = NULL;
    assert_int_equal (s_agent (fx, "jejak-attendance", "0", &out, NULL,
                               "inspect", "45", NULL),
                      JK_EXIT_OK);
    assert_non_null (strstr (out, "state\tQUARANTINED\n"));
    assert_non_null (strstr (out, "32.03.10/pacet-7"));
    free (out);
    /* Bounded: a second sync stops as quickly, and the WAL stays small. */
    assert_int_equal (
        s_agent (fx, "jejak-attendance", "20", NULL, NULL, "sync", NULL),
        JK_EXIT_FAILURE);
    char *wal = jk_sprintf ("%s-wal", fx->outbox);
    struct stat st;
    if (stat (wal, &st) == 0)
        assert_true (st.st_size <= JK_OUTBOX_WAL_LIMIT);
    free (wal);
    free (first);
    free (csv);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_offline_then_sync, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_csv_import_and_rejection, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_restore_from_backup, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_kill9_mid_sync, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_lost_wal_redelivered, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_outbox_of_another_source, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_pending_states_and_quiet_logs,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_clock_behind_costs_nothing,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_clock_off_told, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_damaged_row_quarantined, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_outbox_concurrent, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
