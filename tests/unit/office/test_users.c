/*  test_users.c - the account calls give a reason code and words with
    every refusal (jk_users_err_t), disabling and enabling too, on a real
    users file; and the words a supervisor reads are looked up by that
    code: a code without words is said as such, never given another's. */
#include "jk_office.h"
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *dir, *path;
    jk_users_t *users;
} s_env_t;

static int s_setup (void **state)
{
    static s_env_t env;
    env.dir = jk_test_tmpdir ("users");
    env.path = jk_sprintf ("%s/office-users.db", env.dir);
    char err[256] = "";
    env.users = jk_users_open (env.path, err, sizeof err);
    assert_non_null (env.users);
    jk_users_err_t why = {0};
    assert_int_equal (
        jk_users_add (env.users, "siti", "supervisor", "Sandi-Siti-2026", &why),
        JK_OK);
    *state = &env;
    return 0;
}

static int s_teardown (void **state)
{
    s_env_t *env = *state;
    jk_users_close (&env->users);
    free (env->path);
    jk_test_rmdir (&env->dir);
    return 0;
}

static void test_disable_and_enable (void **state)
{
    s_env_t *env = *state;
    jk_users_err_t why = {0};
    assert_int_equal (jk_users_set_disabled (env->users, "siti", true, &why),
                      JK_OK);
    char role[16];
    assert_int_equal (
        jk_users_check (env->users, "siti", "Sandi-Siti-2026", role),
        JK_CLOSED);
    assert_int_equal (jk_users_set_disabled (env->users, "siti", false, &why),
                      JK_OK);
    assert_int_equal (
        jk_users_check (env->users, "siti", "Sandi-Siti-2026", role), JK_OK);
    assert_string_equal (role, "supervisor");
    assert_int_equal (jk_users_active (env->users), 1);
}

static void test_disable_unknown_says_why (void **state)
{
    s_env_t *env = *state;
    jk_users_err_t why = {0};
    assert_int_equal (jk_users_set_disabled (env->users, "nobody", true, &why),
                      JK_NOT_FOUND);
    assert_int_equal (why.why, JK_USERS_UNKNOWN);
    assert_string_equal (why.text, "no user 'nobody'");
    memset (&why, 0, sizeof why);
    assert_int_equal (jk_users_set_disabled (env->users, "nobody", false, &why),
                      JK_NOT_FOUND);
    assert_int_equal (why.why, JK_USERS_UNKNOWN);
    assert_string_equal (why.text, "no user 'nobody'");
}

/* The users file without its table (another program dropped it): the
   update cannot run, and says so. */
static void test_disable_unwritable_says_why (void **state)
{
    s_env_t *env = *state;
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (env->path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "DROP TABLE users", NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    jk_users_err_t why = {0};
    assert_int_equal (jk_users_set_disabled (env->users, "siti", true, &why),
                      JK_IO);
    assert_int_equal (why.why, JK_USERS_FILE);
    assert_string_equal (why.text, "the users file cannot be written");
}

/* A password's length is counted in characters both ways: 256 accented
   letters (512 bytes) are a password, 257 are not; text that is not
   UTF-8 is said as such, not as a length of -1. */
static void test_password_counts_characters (void **state)
{
    s_env_t *env = *state;
    char password[4 * (JK_PASSWORD_MAX + 1) + 1] = "";
    for (int i = 0; i < JK_PASSWORD_MAX; i++)
        strcat (password, "\xc3\xa9"); /* é */
    jk_users_err_t why = {0};
    assert_int_equal (
        jk_users_add (env->users, "ani", "operator", password, &why), JK_OK);
    char role[16];
    assert_int_equal (jk_users_check (env->users, "ani", password, role),
                      JK_OK);
    strcat (password, "\xc3\xa9");
    assert_int_equal (jk_users_passwd (env->users, "ani", password, &why),
                      JK_INVALID);
    assert_int_equal (why.why, JK_USERS_PASSWORD);
    assert_string_equal (why.text,
                         "password: 8 to 256 characters (UTF-8), got 257");
    assert_int_equal (jk_users_passwd (env->users, "ani",
                                       "abc\xff\xfe"
                                       "defgh",
                                       &why),
                      JK_INVALID);
    assert_int_equal (why.why, JK_USERS_PASSWORD);
    assert_string_equal (why.text,
                         "password: not UTF-8 text (8 to 256 characters)");
}

/* Every reason has its own words, in both languages; a reason without
   an entry is named, not worded as another. */
static void test_refusal_words_by_reason (void **state)
{
    (void)state;
    static const struct {
        jk_users_why_t why;
        const char *id, *en;
    } want[] = {
        {JK_USERS_NAME,
         "Nama pengguna: 1-32 huruf kecil, angka, titik, _ atau -, tidak "
         "diawali titik atau -.",
         "User name: 1-32 lower-case letters, digits, dot, _ or -, not "
         "starting with a dot or -."},
        {JK_USERS_PASSWORD, "Kata sandi harus 8 sampai 256 karakter.",
         "A password has 8 to 256 characters."},
        {JK_USERS_ROLE, "Peran: operator atau penyelia.",
         "Role: operator or supervisor."},
        {JK_USERS_TAKEN, "Nama pengguna itu sudah ada.",
         "That user name exists already."},
        {JK_USERS_UNKNOWN, "Akun itu tidak ada.", "No such account."},
        {JK_USERS_FILE, "Berkas akun tidak bisa ditulis.",
         "The users file cannot be written."},
    };
    char out[200];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_true (
            jk_office_users_refusal (want[i].why, false, out, sizeof out));
        assert_string_equal (out, want[i].id);
        assert_true (
            jk_office_users_refusal (want[i].why, true, out, sizeof out));
        assert_string_equal (out, want[i].en);
    }
    assert_false (jk_office_users_refusal (0, false, out, sizeof out));
    assert_string_equal (out,
                         "Ditolak karena alasan nomor 0, yang tidak dikenal.");
    assert_false (
        jk_office_users_refusal (JK_USERS_FILE + 1, true, out, sizeof out));
    assert_string_equal (out, "Refused for reason 7, which has no words here.");
}

/* The same for the CSV reader's faults as a clerk reads them. */
static void test_fault_words_by_fault (void **state)
{
    (void)state;
    static const struct {
        jk_csv_fault_t fault;
        const char *code, *id;
    } want[] = {
        {JK_CSV_QUOTE, "E_ROW_QUOTE",
         "Tanda kutip (\") dibuka tetapi tidak ditutup: baris dilewati."},
        {JK_CSV_CELLS, "E_ROW_CELLS",
         "Terlalu banyak sel (pemisahnya benar?): baris dilewati."},
        {JK_CSV_BINARY, "E_ROW_BINARY",
         "Sel berisi data biner, bukan teks: baris dilewati."},
        {JK_CSV_UNREADABLE, "E_ROW_UNREADABLE", "the reader's reason"},
    };
    char code[JK_CODE_MAX], text[400];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_true (jk_import_fault_text (want[i].fault, "the reader's reason",
                                           false, code, sizeof code, text,
                                           sizeof text));
        assert_string_equal (code, want[i].code);
        assert_string_equal (text, want[i].id);
        assert_true (jk_import_fault_text (want[i].fault, "the reader's reason",
                                           true, code, sizeof code, text,
                                           sizeof text));
        assert_string_equal (code, want[i].code);
        assert_string_equal (text, "the reader's reason");
    }
    assert_false (jk_import_fault_text (JK_CSV_UNREADABLE + 1, "odd", false,
                                        code, sizeof code, text, sizeof text));
    assert_string_equal (code, "E_ROW_UNREADABLE");
    assert_string_equal (
        text, "Kesalahan pembaca nomor 5 tidak dikenal (odd): baris dilewati.");
    assert_false (jk_import_fault_text (0, "odd", true, code, sizeof code, text,
                                        sizeof text));
    assert_string_equal (code, "E_ROW_UNREADABLE");
    assert_string_equal (
        text, "The reader's fault 0 has no words here (odd): row skipped.");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_disable_and_enable, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_disable_unknown_says_why, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_disable_unwritable_says_why,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_password_counts_characters,
                                         s_setup, s_teardown),
        cmocka_unit_test (test_refusal_words_by_reason),
        cmocka_unit_test (test_fault_words_by_fault),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
