/*  test_region_option.c - the region of the programs that check codes for
    a hub (docs/OPERATIONS.md, "Install"; AGENTS.md): the office agents,
    jejak-office, jejak-keys and jejak-sample take --region, its variable
    JEJAK_REGION and the key region of their config file, as the hub does.
    The real programs run offline, each given an office of Kabupaten
    Bandung (32.04) that Cianjur's reference data, the default, refuses. */
#include "testsupport.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_WAIT_MS 60000
#define S_SOURCE  "32.04.05/pc1" /* Cileunyi, Kabupaten Bandung */
#define S_BAD                                                                  \
    "must be a kabupaten code NN.NN (32.03) or a province code NN (32) "       \
    "(see --help)\n"

static const char *const s_agents[] = {"jejak-registration", "jejak-attendance",
                                       "jejak-scoring"};

typedef struct {
    char *dir;    /* the test's directory */
    char *config; /* a config file holding region = "32.04" */
    char *bad;    /* a config file holding region = "3204" */
    char *outbox; /* the agents' outbox */
    char *header; /* what pending prints on stdout for an empty outbox */
} s_fix_t;

static char *s_write (const char *dir, const char *name, const char *text)
{
    char *path = jk_sprintf ("%s/%s", dir, name);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    return path;
}

static int s_setup (void **state)
{
    /* Nothing of the environment the test runs in decides the region. */
    unsetenv ("JEJAK_REGION");
    unsetenv ("JEJAK_CONFIG");
    unsetenv ("JEJAK_SOURCE");
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("region-option");
    fx->config = s_write (fx->dir, "region.cfg", "region = \"32.04\"\n");
    fx->bad = s_write (fx->dir, "bad.cfg", "region = \"3204\"\n");
    fx->outbox = jk_sprintf ("%s/outbox.db", fx->dir);
    fx->header = jk_strdup ("seq\tstate\ttype\tid\tcreated\tattempts\t"
                            "[origin]\t[reason]\n");
    *state = fx;
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    free (fx->config);
    free (fx->bad);
    free (fx->outbox);
    free (fx->header);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

/* Runs argv (NULL-terminated); its exit code, stdout and stderr in *out
   and *err (heap). */
static int s_run (char *const argv[], char **out, char **err)
{
    return jk_test_run (argv, out, err, S_WAIT_MS);
}

/* Runs agent's pending for S_SOURCE with the two region arguments a, b
   (NULL: none); asserts its exit code and stderr, and on success that
   stdout is the empty outbox's header. */
static void s_pending (s_fix_t *fx, const char *agent, const char *a,
                       const char *b, int want_rc, const char *want_err)
{
    char *argv[] = {(char *)agent, "--source", S_SOURCE,
                    "--outbox",    fx->outbox, "pending",
                    (char *)a,     (char *)b,  NULL};
    char *out = NULL, *err = NULL;
    int rc = s_run (argv, &out, &err);
    if (rc != want_rc)
        fail_msg ("%s pending %s %s exits %d, not %d: %s", agent, a ? a : "",
                  b ? b : "", rc, want_rc, err);
    assert_string_equal (err, want_err);
    if (want_rc == 0)
        assert_string_equal (out, fx->header);
    else
        assert_string_equal (out, "");
    free (out);
    free (err);
}

/* Each agent takes an office of 32.04 with region = "32.04" in its config
   file, --region 32.04 or JEJAK_REGION=32.04, and refuses it without,
   as before; the flag wins over the config file. */
static void test_agents_take_the_region (void **state)
{
    s_fix_t *fx = *state;
    for (size_t i = 0; i < sizeof s_agents / sizeof *s_agents; i++) {
        const char *agent = s_agents[i];
        char *empty = jk_sprintf ("%s: no outbox at %s: nothing has been "
                                  "queued there (not made by this command)\n"
                                  "0 pending, 0 rejected, 0 stored\n",
                                  agent, fx->outbox);
        char *refused = jk_sprintf ("%s: --source " S_SOURCE ": source office "
                                    "'32.04.05' must be a kecamatan code of "
                                    "the reference data or DINAS\n",
                                    agent);
        s_pending (fx, agent, NULL, NULL, 2, refused);
        s_pending (fx, agent, "--config", fx->config, 0, empty);
        s_pending (fx, agent, "--region", "32.04", 0, empty);
        setenv ("JEJAK_CONFIG", fx->config, 1);
        s_pending (fx, agent, NULL, NULL, 0, empty);
        s_pending (fx, agent, "--region", "32.03", 2, refused);
        unsetenv ("JEJAK_CONFIG");
        setenv ("JEJAK_REGION", "32.04", 1);
        s_pending (fx, agent, NULL, NULL, 0, empty);
        unsetenv ("JEJAK_REGION");
        free (empty);
        free (refused);
    }
    /* A person of a desa of 32.04 is queued (exit 3: no broker to deliver
       to), checked against 32.04's reference data. */
    char *argv[] = {"jejak-registration",
                    "--config",
                    fx->config,
                    "--source",
                    S_SOURCE,
                    "--outbox",
                    fx->outbox,
                    "--broker",
                    "ipc:///nonexistent/jejak.sock",
                    "--wait",
                    "0",
                    "person",
                    "--nik",
                    "3204050101800001",
                    "--name",
                    "Warga Cileunyi",
                    "--sex",
                    "L",
                    "--birth-date",
                    "01/01/1980",
                    "--desa-code",
                    "32.04.05.2001",
                    NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (s_run (argv, &out, &err), 3);
    assert_non_null (strstr (out, "queued: person.registered seq 1 id "));
    free (out);
    free (err);
    assert_int_equal (
        jk_test_db_int64 (fx->outbox, "SELECT count(*) FROM events"), 1);
}

/* jejak-keys enrols an office of 32.04 with region = "32.04" in its
   config file, and refuses it without. */
static void test_keys_take_the_region (void **state)
{
    s_fix_t *fx = *state;
    char *keys = jk_sprintf ("%s/keys", fx->dir);
    char *init[] = {"jejak-keys", "init", "--dir", keys, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (s_run (init, &out, &err), 0);
    free (out);
    free (err);
    char *enrol[] = {"jejak-keys", "enrol",    "--dir",    keys,
                     "--office",   "32.04.05", "--domain", "attendance",
                     "--device",   "pc1",      NULL,       NULL,
                     NULL};
    assert_int_equal (s_run (enrol, &out, &err), 2);
    assert_string_equal (err, "jejak-keys: enrol: --office 32.04.05: not a "
                              "kecamatan code of the reference data (e.g. "
                              "32.03.10) nor DINAS\n");
    free (out);
    free (err);
    enrol[10] = "--config";
    enrol[11] = fx->config;
    assert_int_equal (s_run (enrol, &out, &err), 0);
    assert_non_null (strstr (out, "enrolled 32.04.05/pc1 domain=attendance "));
    assert_string_equal (err, "");
    free (out);
    free (err);
    char *cert = jk_sprintf ("%s/offices/32.04.05_pc1.cert", keys);
    assert_int_equal (access (cert, R_OK), 0);
    free (cert);
    free (keys);
}

/* jejak-sample --region 32.04 writes a data set of 32.04's kecamatan
   alone, as does region = "32.04" in its config file. */
static void test_sample_takes_the_region (void **state)
{
    s_fix_t *fx = *state;
    char *set = jk_sprintf ("%s/sample", fx->dir);
    char *argv[] = {"jejak-sample", "--out",    set,  "--cooperatives",
                    "40",           "--active", "10", "--region",
                    "32.04",        NULL};
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            argv[7] = "--config";
            argv[8] = fx->config;
            jk_test_rmdir (&set);
            set = jk_sprintf ("%s/sample-config", fx->dir);
            argv[2] = set;
        }
        char *out = NULL, *err = NULL;
        assert_int_equal (s_run (argv, &out, &err), 0);
        char *wrote = jk_sprintf (
            "jejak-sample: wrote %s (plan: %s/plan.txt)\n", set, set);
        assert_string_equal (out, wrote);
        assert_string_equal (err, "");
        free (wrote);
        free (out);
        free (err);
        char *plan_path = jk_sprintf ("%s/plan.txt", set);
        char *plan = jk_test_slurp (plan_path, NULL);
        assert_non_null (plan);
        assert_non_null (strstr (plan, " 32.04.05/"));
        assert_null (strstr (plan, " 32.03."));
        free (plan);
        free (plan_path);
        char *listing = jk_test_dir_listing (set);
        assert_non_null (strstr (listing, "32.04.05/\n"));
        assert_null (strstr (listing, "32.03."));
        free (listing);
    }
    free (set);
}

/* True when the office's log shows it serving. */
static bool s_serving (const char *log)
{
    return jk_test_file_has (log, "http=http://127.0.0.1:");
}

/* jejak-office serves an office of 32.04 with region = "32.04" in its
   config file, and refuses it without. */
static void test_office_takes_the_region (void **state)
{
    s_fix_t *fx = *state;
    char *users = jk_sprintf ("%s/office-users.db", fx->dir);
    char *password = s_write (fx->dir, "password", "rahasia-sekali-1\n");
    char *add[] = {"jejak-office",    "user",       "add",     "siti",
                   "--role",          "supervisor", "--users", users,
                   "--password-file", password,     NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (s_run (add, &out, &err), 0);
    free (out);
    free (err);
    char *office_outbox = jk_sprintf ("%s/office-outbox.db", fx->dir);
    char *argv[] = {"jejak-office",
                    "--source",
                    S_SOURCE,
                    "--users",
                    users,
                    "--state",
                    fx->dir,
                    "--outbox",
                    office_outbox,
                    "--broker",
                    "ipc:///nonexistent/jejak.sock",
                    "--http",
                    "127.0.0.1:0",
                    NULL,
                    NULL,
                    NULL};
    assert_int_equal (s_run (argv, &out, &err), 2);
    assert_string_equal (err, "jejak-office: --source: source office "
                              "'32.04.05' must be a kecamatan code of the "
                              "reference data or DINAS\n");
    free (out);
    free (err);
    argv[13] = "--config";
    argv[14] = fx->config;
    char *log = jk_sprintf ("%s/office.log", fx->dir);
    pid_t office = jk_test_spawn (argv, log);
    assert_true (office > 0);
    int status = 0;
    bool ended = false;
    assert_true (JK_WAIT_FOR (
        s_serving (log) || (ended = jk_test_wait_exit (office, &status, 0)),
        S_WAIT_MS));
    if (ended) {
        jk_test_show_file (log);
        fail_msg ("jejak-office ended (status %d) instead of serving", status);
    }
    assert_int_equal (jk_test_stop (office, SIGTERM, S_WAIT_MS), 0);
    free (log);
    free (office_outbox);
    free (password);
    free (users);
}

/* A region that is not NN.NN or NN, as a flag or from the config file,
   is a usage error naming --region, before anything is made. */
static void test_bad_region (void **state)
{
    s_fix_t *fx = *state;
    char *keys = jk_sprintf ("%s/badkeys", fx->dir);
    char *set = jk_sprintf ("%s/badsample", fx->dir);
    char *cases[][8] = {
        {"jejak-registration", "--source", S_SOURCE, "--outbox", fx->outbox,
         "pending", NULL},
        {"jejak-attendance", "--source", S_SOURCE, "--outbox", fx->outbox,
         "pending", NULL},
        {"jejak-scoring", "--source", S_SOURCE, "--outbox", fx->outbox,
         "pending", NULL},
        {"jejak-office", "--source", S_SOURCE, NULL},
        {"jejak-keys", "init", "--dir", keys, NULL},
        {"jejak-sample", "--out", set, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = 0;
        while (cases[i][n])
            n++;
        char *argv[12];
        for (int from = 0; from < 2; from++) {
            memcpy (argv, cases[i], n * sizeof *argv);
            argv[n] = from ? "--config" : "--region";
            argv[n + 1] = from ? fx->bad : "3204";
            argv[n + 2] = NULL;
            char *out = NULL, *err = NULL;
            int rc = s_run (argv, &out, &err);
            char *want = jk_sprintf ("%s: --region '3204' " S_BAD, argv[0]);
            if (rc != 2)
                fail_msg ("%s with %s exits %d, not 2: %s", argv[0], argv[n],
                          rc, err);
            assert_string_equal (err, want);
            assert_string_equal (out, "");
            free (want);
            free (out);
            free (err);
        }
    }
    assert_int_equal (access (keys, F_OK), -1);
    assert_int_equal (access (set, F_OK), -1);
    assert_int_equal (access (fx->outbox, F_OK), -1);
    free (keys);
    free (set);
}

/* Each program's --help lists --region with JEJAK_REGION and its
   default. */
static void test_help_lists_the_region (void **state)
{
    (void)state;
    const char *programs[] = {"jejak-registration", "jejak-attendance",
                              "jejak-scoring",      "jejak-office",
                              "jejak-keys",         "jejak-sample"};
    for (size_t i = 0; i < sizeof programs / sizeof *programs; i++) {
        char *argv[] = {(char *)programs[i], "--help", NULL};
        char *out = NULL, *err = NULL;
        assert_int_equal (s_run (argv, &out, &err), 0);
        const char *line = strstr (out, "\n  --region ");
        if (!line)
            fail_msg ("%s --help lists no --region", programs[i]);
        char *end = strchr (line + 1, '\n');
        char *text = jk_sprintf ("%.*s", (int)(end - line), line);
        assert_non_null (strstr (text, "default: Kabupaten Cianjur"));
        assert_non_null (strstr (text, "JEJAK_REGION]"));
        free (text);
        free (out);
        free (err);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_agents_take_the_region, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_keys_take_the_region, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_sample_takes_the_region, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_office_takes_the_region, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_region, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_help_lists_the_region, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
