/*  test_program.c - the jejak-schema program: list, show, unknown types
    and usage errors, run as a process. */
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

static int s_run (const char *a1, const char *a2, char **out, char **err)
{
    char *argv[] = {"jejak-schema", (char *)a1, (char *)a2, NULL};
    *out = *err = NULL;
    return jk_test_run (argv, out, err, 20000);
}

static size_t s_lines (const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void test_list (void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal (s_run ("list", NULL, &out, &err), 0);
    assert_int_equal (s_lines (out), 18);
    assert_non_null (strstr (out, "cooperative.registered           v1  "
                                  "registration cooperative          11 "
                                  "fields\n"));
    assert_non_null (strstr (out, "certificate.revoked"));
    /* One field is "1 field". */
    assert_non_null (strstr (out, "training.batch_closed            v1  "
                                  "attendance   close-batch          1 "
                                  "field\n"));
    free (out);
    free (err);
    /* list is the default. */
    assert_int_equal (s_run (NULL, NULL, &out, &err), 0);
    assert_int_equal (s_lines (out), 18);
    free (out);
    free (err);
}

static void test_show (void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal (s_run ("show", "training.session_scheduled", &out, &err),
                      0);
    const char *heading = "training.session_scheduled (v1, registration; "
                          "jejak-registration session)\n";
    assert_true (strncmp (out, heading, strlen (heading)) == 0);
    /* One line per field after the two heading lines. */
    assert_int_equal (s_lines (out), 2 + 7);
    assert_non_null (strstr (out, "jp "));
    assert_non_null (strstr (out, "1..10; lesson hours"));
    free (out);
    free (err);
    assert_int_equal (s_run ("show", "attendance.corrected", &out, &err), 0);
    assert_non_null (strstr (out, "[needs corrects]"));
    free (out);
    free (err);
    /* show without a type shows them all. */
    assert_int_equal (s_run ("show", NULL, &out, &err), 0);
    assert_non_null (strstr (out, "cooperative.registered (v1"));
    assert_non_null (strstr (out, "certificate.revoked (v1"));
    free (out);
    free (err);
}

static void test_errors (void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal (s_run ("show", "person.invented", &out, &err), 2);
    assert_string_equal (out, "");
    assert_non_null (strstr (err, "unknown event type 'person.invented'"));
    free (out);
    free (err);
    assert_int_equal (s_run ("frobnicate", NULL, &out, &err), 2);
    assert_non_null (strstr (err, "unknown command 'frobnicate' (see --help)"));
    free (out);
    free (err);
    assert_int_equal (s_run ("--help", NULL, &out, &err), 0);
    assert_non_null (strstr (out, "Usage: jejak-schema"));
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_list),
        cmocka_unit_test (test_show),
        cmocka_unit_test (test_errors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
