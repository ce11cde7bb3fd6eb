/*  test_agent_usage.c - the office programs' command line as an operator
    mistypes it, the real programs run offline (docs/AGENTS.md): a flag
    whose value was left out is a usage error, never the next flag taken
    for its value; --wait takes seconds as written and nothing strtod
    would also read; a device directory that cannot be made stops the
    command naming it instead of queueing into another outbox in the
    working directory. */
#include "jk_agent.h"
#include "testsupport.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/pacet-1"

typedef struct {
    char *dir, *outbox, *cwd;
} s_fix_t;

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("agent-usage");
    fx->outbox = jk_sprintf ("%s/outbox.db", fx->dir);
    /* The programs run in the test's directory: a file they should not
       make would be made there, where the test looks. */
    fx->cwd = getcwd (NULL, 0);
    assert_int_equal (chdir (fx->dir), 0);
    *state = fx;
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (chdir (fx->cwd), 0);
    free (fx->cwd);
    free (fx->outbox);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

/* Asserts what the test's directory holds (jk_test_dir_listing). */
static void s_listing_is (s_fix_t *fx, const char *want)
{
    char *listing = jk_test_dir_listing (fx->dir);
    assert_string_equal (listing, want);
    free (listing);
}

/* Runs jejak-registration with args (NULL-terminated) after --source
   and an ipc broker nobody listens on. */
static int s_run (char **out, char **err, ...)
{
    char *argv[32] = {"jejak-registration", "--source", S_SOURCE, "--broker",
                      "ipc:///nonexistent/jejak.sock"};
    int argc = 5;
    va_list ap;
    va_start (ap, err);
    char *a;
    while ((a = va_arg (ap, char *)) != NULL && argc < 31)
        argv[argc++] = a;
    va_end (ap);
    argv[argc] = NULL;
    return jk_test_run (argv, out, err, 60000);
}

/* Registers a good cooperative with jejak-registration, --wait 0, in
   outbox (NULL: the device's default one). */
static int s_cooperative (const char *outbox, char **out, char **err)
{
    char *argv[40] = {"jejak-registration",
                      "--source",
                      S_SOURCE,
                      "--broker",
                      "ipc:///nonexistent/jejak.sock",
                      "--wait",
                      "0"};
    int argc = 7;
    if (outbox) {
        argv[argc++] = "--outbox";
        argv[argc++] = (char *)outbox;
    }
    static const char *flags[] = {"cooperative",
                                  "--legal-number",
                                  "AHU-0001234.AH.01.26.TAHUN 2019",
                                  "--legal-date",
                                  "12/03/2019",
                                  "--name",
                                  "Koperasi Sauyunan",
                                  "--members-male",
                                  "40",
                                  "--members-female",
                                  "35",
                                  "--form",
                                  "primer",
                                  "--kind",
                                  "serba_usaha",
                                  "--pattern",
                                  "konvensional",
                                  "--desa-code",
                                  "32.03.10.2012"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        argv[argc++] = (char *)flags[i];
    argv[argc] = NULL;
    return jk_test_run (argv, out, err, 60000);
}

/* "--outbox --verbose sync" used to take --verbose for the outbox's path
   (an outbox file named --verbose in the working directory, exit 0), and
   "--name --members-male 40" a cooperative named --members-male. */
static void test_value_left_out (void **state)
{
    s_fix_t *fx = *state;
    char *out = NULL, *err = NULL;
    assert_int_equal (s_run (&out, &err, "--wait", "0", "--outbox", "--verbose",
                             "sync", NULL),
                      JK_EXIT_USAGE);
    assert_string_equal (out, "");
    assert_string_equal (err,
                         "jejak-registration: option --outbox needs a value, "
                         "not the flag --verbose (a value that starts with -- "
                         "is given as --outbox=VALUE) (see --help)\n");
    free (out);
    free (err);
    s_listing_is (fx, "");
    out = err = NULL;
    assert_int_equal (
        s_run (&out, &err, "--outbox", fx->outbox, "--wait", "0", "cooperative",
               "--legal-number", "AHU-0001234.AH.01.26.TAHUN 2019",
               "--legal-date", "12/03/2019", "--name", "--members-male", "40",
               "--members-female", "35", "--form", "primer", "--kind",
               "serba_usaha", "--pattern", "konvensional", "--desa-code",
               "32.03.10.2012", NULL),
        JK_EXIT_USAGE);
    assert_non_null (strstr (err, "option --name needs a value, not the flag "
                                  "--members-male"));
    free (out);
    free (err);
    assert_false (access (fx->outbox, F_OK) == 0);
    /* Given with '=', such a value is the operator's to give. */
    char *flag = jk_sprintf ("--outbox=%s/--verbose", fx->dir);
    out = err = NULL;
    assert_int_equal (s_run (&out, &err, "--wait", "0", flag, "sync", NULL),
                      JK_EXIT_OK);
    assert_string_equal (out, "sync: 0 stored, 0 rejected, 0 pending (0 sent, "
                              "0 reconnects)\n");
    free (out);
    free (err);
    free (flag);
}

/* --wait is seconds as AGENTS.md writes them (digits, one decimal
   point): "nan" used to pass (a wait of no defined length), "0x10" was
   16 s and "1e3" 1000 s. */
static void test_wait_as_written (void **state)
{
    s_fix_t *fx = *state;
    static const char *bad[] = {"nan", "0x10", "1e3", " 5", "+5", ".", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *out = NULL, *err = NULL;
        assert_int_equal (s_run (&out, &err, "--outbox", fx->outbox, "--wait",
                                 bad[i], "sync", NULL),
                          JK_EXIT_USAGE);
        char *want = jk_sprintf ("jejak-registration: --wait must be a number "
                                 "of seconds from 0 to 31536000 (365 days), "
                                 "got '%s'\n",
                                 bad[i]);
        assert_string_equal (err, want);
        free (want);
        free (out);
        free (err);
    }
    assert_false (access (fx->outbox, F_OK) == 0);
    static const char *good[] = {"0", "0.25", ".5", "3.", "31536000"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char *out = NULL;
        assert_int_equal (s_run (&out, NULL, "--outbox", fx->outbox, "--wait",
                                 good[i], "sync", NULL),
                          JK_EXIT_OK);
        free (out);
    }
}

/* prune --before takes the date forms of every date field; a date that
   does not exist, or a 2-digit year, is named; without --before the
   command says what it needs. None of them makes the outbox. */
static void test_prune_date_named (void **state)
{
    s_fix_t *fx = *state;
    char *out = NULL, *err = NULL;
    assert_int_equal (s_run (&out, &err, "--outbox", fx->outbox, "prune",
                             "--before", "31/02/2020", NULL),
                      JK_EXIT_USAGE);
    assert_string_equal (err, "jejak-registration: --before must be a date "
                              "dd/mm/yyyy, dd-mm-yyyy or dd.mm.yyyy (day and "
                              "month of 1 or 2 digits, a 4-digit year) or "
                              "yyyy-mm-dd, got '31/02/2020'\n");
    free (out);
    free (err);
    /* The forms of every date field: a 2-digit year is refused, a
       day-first date with dots is taken. */
    out = err = NULL;
    assert_int_equal (s_run (&out, &err, "--outbox", fx->outbox, "prune",
                             "--before", "1/1/20", NULL),
                      JK_EXIT_USAGE);
    assert_string_equal (err, "jejak-registration: --before must be a date "
                              "dd/mm/yyyy, dd-mm-yyyy or dd.mm.yyyy (day and "
                              "month of 1 or 2 digits, a 4-digit year) or "
                              "yyyy-mm-dd, got '1/1/20'\n");
    free (out);
    free (err);
    out = err = NULL;
    assert_int_equal (s_run (&out, &err, "--outbox", fx->outbox, "prune",
                             "--before", "6.10.2022", NULL),
                      JK_EXIT_OK);
    char *none = jk_sprintf ("jejak-registration: no outbox at %s: nothing "
                             "has been queued there (not made by this "
                             "command)\n",
                             fx->outbox);
    assert_string_equal (err, none);
    free (none);
    free (out);
    free (err);
    out = err = NULL;
    assert_int_equal (s_run (&out, &err, "--outbox", fx->outbox, "prune", NULL),
                      JK_EXIT_USAGE);
    assert_string_equal (err, "jejak-registration: prune needs --before DATE "
                              "(dd/mm/yyyy, dd-mm-yyyy or dd.mm.yyyy (day and "
                              "month of 1 or 2 digits, a 4-digit year) or "
                              "yyyy-mm-dd)\n");
    free (out);
    free (err);
    s_listing_is (fx, "");
}

/* A --log-key that is not the log's verifier key used to be found out
   only after delivering (sync then exited 0, the receipts never proven,
   receipts --verify 1, the message on stdout); a witness's key read past
   an unset buffer. Now sync, receipts --verify and witness refuse it at
   once, exit 2, naming the flag; the commands that do not read it go
   on. */
static void test_log_key_checked (void **state)
{
    s_fix_t *fx = *state;
    char *keys = jk_sprintf ("%s/keys", fx->dir);
    char *argv[] = {"jejak-keys", "witness-key",    "--dir", keys,
                    "--name",     "32.03.10/saksi", NULL};
    char *out = NULL;
    assert_int_equal (jk_test_run (argv, &out, NULL, 60000), 0);
    free (out);
    char *witness = jk_sprintf ("%s/witness.vkey", keys);
    static const char garbage[] =
        "jejak-registration: --log-key: verifier key 'log.vkye' is neither "
        "a file that can be read nor a key NAME+KEYID+KEY\n";
    static const char cosig[] =
        "jejak-registration: --log-key: 32.03.10/saksi is a witness key "
        "(type 04), not the log's key (type 01, log.vkey of jejak-keys "
        "log-key)\n";
    struct {
        const char *key, *command, *flag, *want;
    } cases[] = {
        {"log.vkye", "sync", NULL, garbage},
        {witness, "sync", NULL, cosig},
        {"log.vkye", "receipts", "--verify", garbage},
        {witness, "receipts", "--verify", cosig},
        {"log.vkye", "witness", NULL, garbage},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *err = NULL;
        out = NULL;
        assert_int_equal (s_run (&out, &err, "--outbox", fx->outbox, "--wait",
                                 "0", "--witness-key", witness, "--log-key",
                                 cases[i].key, cases[i].command, cases[i].flag,
                                 NULL),
                          JK_EXIT_USAGE);
        assert_string_equal (out, "");
        assert_string_equal (err, cases[i].want);
        free (out);
        free (err);
    }
    /* pending does not read it. */
    out = NULL;
    assert_int_equal (s_run (&out, NULL, "--outbox", fx->outbox, "--log-key",
                             "log.vkye", "pending", NULL),
                      JK_EXIT_OK);
    free (out);
    free (witness);
    free (keys);
}

/* A clock reset to 1970 cannot date an event: the command says so, and
   what to do, before queueing (it used to say 'field at: at must be
   after 1990-01-01, got 86400000 ms', and once per row for import). */
static void test_clock_reset_told (void **state)
{
    s_fix_t *fx = *state;
    setenv ("JEJAK_CLOCK_MS", "86400000", 1); /* 02/01/1970 */
    char *out = NULL, *err = NULL;
    int rc = s_cooperative (fx->outbox, &out, &err);
    char *csv = jk_sprintf ("%s/batches.csv", fx->dir);
    FILE *f = fopen (csv, "w");
    assert_non_null (f);
    fputs ("batch\nB-1\nB-2\n", f);
    fclose (f);
    char *argv[] = {"jejak-attendance",
                    "--source",
                    S_SOURCE,
                    "--outbox",
                    fx->outbox,
                    "--wait",
                    "0",
                    "import",
                    csv,
                    "--type",
                    "training.batch_closed",
                    NULL};
    char *out2 = NULL, *err2 = NULL;
    int rc2 = jk_test_run (argv, &out2, &err2, 60000);
    unsetenv ("JEJAK_CLOCK_MS");
    static const char said[] =
        ": this computer's clock says 1970-01-02T07:00:00+07:00, which "
        "cannot date an event (1990 to 2099): set the right date and time "
        "(see OPERATIONS.md, 'Clocks'), then enter it again; nothing was "
        "queued\n";
    assert_int_equal (rc, JK_EXIT_USAGE);
    assert_string_equal (out, "");
    char *want = jk_sprintf ("jejak-registration%s", said);
    assert_string_equal (err, want);
    free (want);
    assert_int_equal (rc2, JK_EXIT_USAGE);
    assert_string_equal (out2, "");
    want = jk_sprintf ("jejak-attendance%s", said);
    assert_string_equal (err2, want);
    free (want);
    free (out);
    free (err);
    free (out2);
    free (err2);
    free (csv);
    assert_int_equal (
        jk_test_db_int64 (fx->outbox, "SELECT count(*) FROM events"), 0);
}

/* --help says what AGENTS.md says: times are taken as HH:MM or HH.MM
   (it said HH:MM only), and the default outbox is under XDG_DATA_HOME
   when that is set (it named ~/.local/share only). */
static void test_help_as_documented (void **state)
{
    (void)state;
    char *argv[] = {"jejak-attendance", "record", "--help", NULL};
    char *out = NULL;
    assert_int_equal (jk_test_run (argv, &out, NULL, 60000), JK_EXIT_OK);
    assert_non_null (strstr (out, "  --check-in             time  optional; "
                                  "HH:MM or HH.MM (WIB)\n"));
    free (out);
    char *usage[] = {"jejak-attendance", "--help", NULL};
    out = NULL;
    assert_int_equal (jk_test_run (usage, &out, NULL, 60000), JK_EXIT_OK);
    assert_non_null (strstr (out, "(default $XDG_DATA_HOME/jejak or "
                                  "~/.local/share/jejak, file "
                                  "outbox-SOURCE.db with / as _)"));
    free (out);
}

/* A row's warning names the file and line as a bad row's error does: it
   said "warning: line 2: ..." without the file. */
static void test_import_warning_named (void **state)
{
    s_fix_t *fx = *state;
    char *csv = jk_sprintf ("%s/people.csv", fx->dir);
    FILE *f = fopen (csv, "w");
    assert_non_null (f);
    fputs ("nik;name;sex;birth_date;desa_code\n"
           "3203014107850001;Siti Aminah;L;01/07/1985;32.03.01.1006\n"
           "3203014107850002;Budi;Q;01/07/1985;32.03.01.1006\n",
           f);
    fclose (f);
    char *out = NULL, *err = NULL;
    assert_int_equal (s_run (&out, &err, "--outbox", fx->outbox, "--wait", "0",
                             "import", csv, "--type", "person.registered",
                             NULL),
                      JK_EXIT_REJECTED);
    char *said = jk_sprintf ("import %s: 2 rows, 1 queued, 1 bad, 0 already "
                             "queued\n"
                             "delivered: 0 stored, 0 rejected, 1 pending\n",
                             csv);
    assert_string_equal (out, said);
    free (said);
    char *want = jk_sprintf (
        "warning: %s:2: field body.nik: body.nik says P (day + 40) but "
        "body.sex is L (W_NIK_SEX)\n"
        "%s:3: body.sex: body.sex must be one of L|P, got 'Q' "
        "(E_FIELD_ENUM)\n",
        csv, csv);
    assert_string_equal (err, want);
    free (want);
    free (out);
    free (err);
    free (csv);
}

/* HOME set, but its .local/share/jejak cannot be made (HOME is a file):
   the command used to queue into ./jejak-outbox-SOURCE.db, a second
   outbox of the device that hands out seq 1 again. Now it stops, exit
   1, naming the directory, and makes nothing. */
static void test_home_unusable (void **state)
{
    s_fix_t *fx = *state;
    char *home = jk_sprintf ("%s/home", fx->dir);
    FILE *f = fopen (home, "w");
    assert_non_null (f);
    fclose (f);
    char *saved = getenv ("HOME") ? jk_strdup (getenv ("HOME")) : NULL;
    char *xdg =
        getenv ("XDG_DATA_HOME") ? jk_strdup (getenv ("XDG_DATA_HOME")) : NULL;
    unsetenv ("XDG_DATA_HOME");
    setenv ("HOME", home, 1);
    char *out = NULL, *err = NULL;
    int rc = s_cooperative (NULL, &out, &err);
    if (saved)
        setenv ("HOME", saved, 1);
    else
        unsetenv ("HOME");
    if (xdg)
        setenv ("XDG_DATA_HOME", xdg, 1);
    free (saved);
    free (xdg);
    assert_int_equal (rc, JK_EXIT_FAILURE);
    assert_string_equal (out, "");
    char *want = jk_sprintf (
        "jejak-registration: cannot make the outbox "
        "%s/.local/share/jejak/outbox-32.03.10_pacet-1.db: its directory "
        "%s/.local/share/jejak cannot be made (Not a directory); set HOME (or "
        "XDG_DATA_HOME) to a directory this user may write, or give --outbox "
        "PATH\n",
        home, home);
    assert_string_equal (err, want);
    free (want);
    free (out);
    free (err);
    /* Nothing but the file that stands in for the home. */
    s_listing_is (fx, "home 0\n");
    free (home);
}

int main (void)
{
    jk_test_require_program ("jejak-registration");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_value_left_out, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_wait_as_written, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_home_unusable, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_prune_date_named, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_log_key_checked, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_clock_reset_told, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_help_as_documented, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_import_warning_named, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
