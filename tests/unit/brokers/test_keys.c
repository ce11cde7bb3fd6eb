/*  test_keys.c - the key store (jk_keys.h): broker key pair, office and
    reader keys with their metadata and file modes, refusals naming the
    field and rule, list, revoke by each kind of name, the per-event rule
    and the keyring's reload; plus jk_endpoint_is_local. */
#include "testsupport.h"

#include "jk_keys.h"
#include "jk_opts.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int s_mode (const char *path)
{
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    return (int)(st.st_mode & 0777);
}

static void test_endpoint_local (void **state)
{
    (void)state;
    assert_true (jk_endpoint_is_local ("tcp://127.0.0.1:7450"));
    assert_true (jk_endpoint_is_local ("tcp://127.10.0.3:1"));
    assert_true (jk_endpoint_is_local ("tcp://localhost:7450"));
    assert_true (jk_endpoint_is_local ("tcp://[::1]:7450"));
    assert_true (jk_endpoint_is_local ("tcp://127.0.0.1:*"));
    assert_true (jk_endpoint_is_local ("ipc:///tmp/x.sock"));
    assert_true (jk_endpoint_is_local ("inproc://hub"));
    assert_false (jk_endpoint_is_local ("tcp://*:7450"));
    assert_false (jk_endpoint_is_local ("tcp://0.0.0.0:7450"));
    assert_false (jk_endpoint_is_local ("tcp://10.1.2.3:7450"));
    assert_false (jk_endpoint_is_local ("tcp://127.0.0.1.evil.com:7450"));
    assert_false (jk_endpoint_is_local ("tcp://1270.0.0.1:7450"));
    assert_false (jk_endpoint_is_local ("tcp://eth0:7450"));
    assert_false (jk_endpoint_is_local ("tcp://127.0.0.1;10.0.0.1:7450"));
    assert_false (jk_endpoint_is_local ("ws://127.0.0.1:7450"));
    assert_false (jk_endpoint_is_local ("tcp://localhost.example:1"));
    assert_false (jk_endpoint_is_local (NULL));
}

static void test_init (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("keys");
    char *keys = jk_sprintf ("%s/keys", dir);
    char err[512];
    assert_int_equal (jk_keys_init (keys, false, err, sizeof err), JK_OK);
    char *secret = jk_sprintf ("%s/broker.key", keys);
    char *public = jk_sprintf ("%s/broker.pub", keys);
    assert_int_equal (s_mode (secret), 0600);
    assert_int_equal (s_mode (public), 0644);
    assert_int_equal (s_mode (keys), 0700);
    zcert_t *a = zcert_load (secret);
    zcert_t *b = zcert_load (public);
    assert_non_null (a);
    assert_non_null (b);
    assert_string_equal (zcert_public_txt (a), zcert_public_txt (b));
    /* The public file holds no secret. */
    assert_string_equal (zcert_secret_txt (b),
                         "0000000000000000000000000000000000000000");
    char *text = jk_test_slurp (public, NULL);
    assert_null (strstr (text, zcert_secret_txt (a)));
    free (text);

    assert_int_equal (jk_keys_init (keys, false, err, sizeof err), JK_CONFLICT);
    assert_non_null (strstr (err, "--force"));
    assert_int_equal (jk_keys_init (keys, true, err, sizeof err), JK_OK);
    zcert_t *c = zcert_load (secret);
    assert_string_not_equal (zcert_public_txt (a), zcert_public_txt (c));
    zcert_destroy (&a);
    zcert_destroy (&b);
    zcert_destroy (&c);
    free (secret);
    free (public);
    free (keys);
    jk_test_rmdir (&dir);
}

/* A temporary keys directory that init made. */
static char *s_keys_dir (void)
{
    char *dir = jk_test_tmpdir ("keys");
    char err[512];
    assert_int_equal (jk_keys_init (dir, false, err, sizeof err), JK_OK);
    return dir;
}

static void test_enrol (void **state)
{
    (void)state;
    char err[512];
    char secret[512];
    jk_key_t key;
    /* Not a keys directory (a mistyped --dir): nothing is issued there,
       and nothing is made. */
    char *bare = jk_test_tmpdir ("keys");
    assert_int_equal (jk_keys_enrol (bare, "32.03.10", "attendance", "pacet-1",
                                     &key, secret, sizeof secret, err,
                                     sizeof err),
                      JK_NOT_FOUND);
    char *expect_err = jk_sprintf (
        "%s holds no broker key pair (broker.pub), so no broker would admit "
        "a key issued there: make it with jejak-keys init --dir %s first",
        bare, bare);
    assert_string_equal (err, expect_err);
    free (expect_err);
    assert_int_equal (jk_keys_reader (bare, "board", &key, secret,
                                      sizeof secret, err, sizeof err),
                      JK_NOT_FOUND);
    assert_int_equal (jk_keys_link (bare, "32.03", &key, secret, sizeof secret,
                                    err, sizeof err),
                      JK_NOT_FOUND);
    char *offices = jk_sprintf ("%s/offices", bare);
    char *issued = jk_sprintf ("%s/issued", bare);
    assert_int_equal (access (offices, F_OK), -1);
    assert_int_equal (access (issued, F_OK), -1);
    free (offices);
    free (issued);
    jk_test_rmdir (&bare);

    char *dir = s_keys_dir ();
    assert_int_equal (jk_keys_enrol (dir, "32.03.10", "attendance", "pacet-1",
                                     &key, secret, sizeof secret, err,
                                     sizeof err),
                      JK_OK);
    char *expect = jk_sprintf ("%s/issued/32.03.10_pacet-1.key", dir);
    assert_string_equal (secret, expect);
    free (expect);
    assert_int_equal (s_mode (secret), 0600);
    char *public = jk_sprintf ("%s/offices/32.03.10_pacet-1.cert", dir);
    assert_int_equal (s_mode (public), 0644);
    assert_int_equal (key.role, JK_KEY_OFFICE);
    assert_string_equal (key.office, "32.03.10");
    assert_string_equal (key.domain, "attendance");
    assert_int_equal (key.domains, JK_DOMAIN_ATTENDANCE);
    assert_string_equal (key.device, "pacet-1");
    assert_int_equal (strlen (key.fingerprint), 16);

    /* The secret file loads as a full key pair with the same metadata;
       the public file has no secret. */
    zcert_t *mine = zcert_load (secret);
    assert_non_null (mine);
    assert_string_equal (zcert_public_txt (mine), key.public_key);
    jk_key_t back;
    assert_int_equal (jk_key_from_cert (mine, &back), JK_OK);
    assert_string_equal (back.office, "32.03.10");
    char *text = jk_test_slurp (public, NULL);
    assert_null (strstr (text, zcert_secret_txt (mine)));
    free (text);
    zcert_destroy (&mine);

    /* Refusals name the field and the rule. */
    assert_int_equal (jk_keys_enrol (dir, "32.03.99", "attendance", "x", NULL,
                                     NULL, 0, err, sizeof err),
                      JK_INVALID);
    assert_non_null (strstr (err, "--office 32.03.99"));
    assert_int_equal (jk_keys_enrol (dir, "32.03.10", "all", "x", NULL, NULL, 0,
                                     err, sizeof err),
                      JK_INVALID);
    assert_non_null (strstr (err, "only DINAS"));
    assert_int_equal (jk_keys_enrol (dir, "32.03.10", "payroll", "x", NULL,
                                     NULL, 0, err, sizeof err),
                      JK_INVALID);
    assert_non_null (strstr (err, "--domain payroll"));
    assert_int_equal (jk_keys_enrol (dir, "32.03.10", "scoring", "../etc", NULL,
                                     NULL, 0, err, sizeof err),
                      JK_INVALID);
    assert_non_null (strstr (err, "--device"));
    assert_int_equal (jk_keys_enrol (dir, "32.03.10", "scoring", "pacet-1",
                                     NULL, NULL, 0, err, sizeof err),
                      JK_CONFLICT);
    assert_non_null (strstr (err, "revoke it first"));

    assert_int_equal (jk_keys_enrol (dir, "DINAS", "all", "hq", &key, NULL, 0,
                                     err, sizeof err),
                      JK_OK);
    assert_int_equal (key.domains, JK_DOMAIN_REGISTRATION |
                                       JK_DOMAIN_ATTENDANCE |
                                       JK_DOMAIN_SCORING);
    assert_int_equal (jk_keys_reader (dir, "board", &key, secret, sizeof secret,
                                      err, sizeof err),
                      JK_OK);
    assert_int_equal (key.role, JK_KEY_READER);
    assert_int_equal (s_mode (secret), 0600);

    zlistx_t *list = jk_keys_list (dir);
    assert_int_equal (zlistx_size (list), 3);
    jk_key_t *k = zlistx_first (list);
    assert_string_equal (k->file, "32.03.10_pacet-1.cert");
    k = zlistx_next (list);
    assert_string_equal (k->file, "DINAS_hq.cert");
    k = zlistx_next (list);
    assert_string_equal (k->file, "reader_board.cert");
    assert_false (k->revoked);
    zlistx_destroy (&list);
    free (public);
    jk_test_rmdir (&dir);
}

static void test_revoke (void **state)
{
    (void)state;
    char *dir = s_keys_dir ();
    char err[512];
    jk_key_t a, b, c, got;
    assert_int_equal (jk_keys_enrol (dir, "32.03.10", "attendance", "pc-1", &a,
                                     NULL, 0, err, sizeof err),
                      JK_OK);
    assert_int_equal (jk_keys_enrol (dir, "32.03.11", "attendance", "pc-1", &b,
                                     NULL, 0, err, sizeof err),
                      JK_OK);
    assert_int_equal (
        jk_keys_reader (dir, "audit", &c, NULL, 0, err, sizeof err), JK_OK);
    char *offices = jk_sprintf ("%s/offices", dir);
    jk_keyring_t *ring = jk_keyring_new (offices);
    assert_int_equal (jk_keyring_size (ring), 3);
    assert_non_null (jk_keyring_lookup (ring, a.public_key));
    assert_false (jk_keyring_refresh (ring, false));

    /* A device name held by two offices is ambiguous. */
    assert_int_equal (jk_keys_revoke (dir, "pc-1", NULL, err, sizeof err),
                      JK_CONFLICT);
    assert_non_null (strstr (err, "matches 2 keys"));
    assert_int_equal (jk_keys_revoke (dir, "nothing", NULL, err, sizeof err),
                      JK_NOT_FOUND);
    assert_int_equal (
        jk_keys_revoke (dir, "32.03.10/pc-1", &got, err, sizeof err), JK_OK);
    assert_string_equal (got.fingerprint, a.fingerprint);
    assert_true (got.revoked);
    char fp[9];
    memcpy (fp, b.fingerprint, 8);
    fp[8] = 0;
    assert_int_equal (jk_keys_revoke (dir, fp, &got, err, sizeof err), JK_OK);
    assert_string_equal (got.public_key, b.public_key);
    assert_int_equal (jk_keys_revoke (dir, "audit", NULL, err, sizeof err),
                      JK_OK);
    /* Revoked twice: nothing enrolled answers to the name any more. */
    assert_int_equal (jk_keys_revoke (dir, "audit", NULL, err, sizeof err),
                      JK_NOT_FOUND);

    assert_true (jk_keyring_refresh (ring, false));
    assert_int_equal (jk_keyring_size (ring), 0);
    assert_null (jk_keyring_lookup (ring, a.public_key));

    zlistx_t *list = jk_keys_list (dir);
    assert_int_equal (zlistx_size (list), 3);
    for (jk_key_t *k = zlistx_first (list); k; k = zlistx_next (list))
        assert_true (k->revoked);
    zlistx_destroy (&list);

    /* Re-enrolment after revocation (key rotation), then revoke again. */
    jk_key_t d;
    assert_int_equal (jk_keys_enrol (dir, "32.03.10", "attendance", "pc-1", &d,
                                     NULL, 0, err, sizeof err),
                      JK_OK);
    assert_string_not_equal (d.public_key, a.public_key);
    assert_true (jk_keyring_refresh (ring, false));
    assert_int_equal (jk_keyring_size (ring), 1);
    assert_int_equal (jk_keys_revoke (dir, d.public_key, NULL, err, sizeof err),
                      JK_OK);
    list = jk_keys_list (dir);
    assert_int_equal (zlistx_size (list), 4);
    zlistx_destroy (&list);
    jk_keyring_destroy (&ring);
    free (offices);
    jk_test_rmdir (&dir);
}

static void test_permits (void **state)
{
    (void)state;
    jk_key_t key;
    memset (&key, 0, sizeof key);
    key.role = JK_KEY_OFFICE;
    strcpy (key.office, "32.03.10");
    strcpy (key.domain, "attendance");
    strcpy (key.device, "pacet-1");
    strcpy (key.fingerprint, "0123456789abcdef");
    key.domains = JK_DOMAIN_ATTENDANCE;
    char why[256];
    assert_int_equal (jk_key_permits (&key, "32.03.10/pacet-1",
                                      "attendance.recorded", why, sizeof why),
                      JK_OK);
    /* Another device of the same office is the same office. */
    assert_int_equal (jk_key_permits (&key, "32.03.10/pacet-2",
                                      "training.batch_closed", why, sizeof why),
                      JK_OK);
    assert_int_equal (jk_key_permits (&key, "32.03.11/pacet-1",
                                      "attendance.recorded", why, sizeof why),
                      JK_INVALID);
    assert_string_equal (
        why, "source 32.03.11/pacet-1 is office 32.03.11 but key "
             "0123456789abcdef is enrolled for office 32.03.10 (an office "
             "submits only its own events)");
    assert_int_equal (jk_key_permits (&key, "32.03.10/pacet-1",
                                      "assessment.unit_assessed", why,
                                      sizeof why),
                      JK_INVALID);
    assert_string_equal (why, "type assessment.unit_assessed is of the "
                              "scoring domain but key 0123456789abcdef "
                              "(32.03.10/pacet-1) is enrolled for attendance");
    assert_int_equal (jk_key_permits (&key, "DINAS/hq", "attendance.recorded",
                                      why, sizeof why),
                      JK_INVALID);
    /* Unknown types go on to the store, which rejects them. */
    assert_int_equal (
        jk_key_permits (&key, "32.03.10/pacet-1", "no.such", why, sizeof why),
        JK_OK);

    strcpy (key.office, "DINAS");
    strcpy (key.domain, "all");
    key.domains =
        JK_DOMAIN_REGISTRATION | JK_DOMAIN_ATTENDANCE | JK_DOMAIN_SCORING;
    assert_int_equal (jk_key_permits (&key, "32.03.11/pacet-1",
                                      "assessment.decided", why, sizeof why),
                      JK_OK);
    assert_int_equal (jk_key_permits (&key, "DINAS/hq",
                                      "cooperative.registered", why,
                                      sizeof why),
                      JK_OK);

    key.role = JK_KEY_READER;
    assert_int_equal (jk_key_permits (&key, "DINAS/hq",
                                      "cooperative.registered", why,
                                      sizeof why),
                      JK_INVALID);
    assert_non_null (strstr (why, "read-only"));
}

/* A certificate whose metadata are not Jejak's rules gives a key that
   may submit nothing: an office key with domain "all" for an office other
   than DINAS (jejak-keys refuses to make one; a hand-made one was let
   submit every domain's events of its office), and an office longer than
   its field (it was cut short). */
static void test_cert_not_jejak_submits_nothing (void **state)
{
    (void)state;
    const char *offices[] = {"32.03.10", "32.03.10-and-more", "DINAS"};
    const char *domains[] = {"all", "attendance", "all"};
    const int want[] = {JK_INVALID, JK_INVALID, JK_OK};
    for (size_t i = 0; i < 3; i++) {
        zcert_t *cert = zcert_new ();
        zcert_set_meta (cert, "jejak-role", "office");
        zcert_set_meta (cert, "office", "%s", offices[i]);
        zcert_set_meta (cert, "domain", "%s", domains[i]);
        zcert_set_meta (cert, "device", "pacet-1");
        jk_key_t key;
        assert_int_equal (jk_key_from_cert (cert, &key), want[i]);
        char why[256] = "";
        assert_int_equal (jk_key_permits (&key, "32.03.10/pacet-1",
                                          "attendance.recorded", why,
                                          sizeof why),
                          want[i]);
        if (want[i] != JK_OK) {
            assert_int_equal (key.role, 0);
            assert_int_equal (key.domains, 0);
            assert_non_null (strstr (why, "not bound to an office"));
        }
        zcert_destroy (&cert);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_endpoint_local),
        cmocka_unit_test (test_init),
        cmocka_unit_test (test_enrol),
        cmocka_unit_test (test_revoke),
        cmocka_unit_test (test_permits),
        cmocka_unit_test (test_cert_not_jejak_submits_nothing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
