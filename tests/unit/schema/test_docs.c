/*  test_docs.c - docs/EVENTS.md is generated from the vocabulary table:
    the built `jejak-schema markdown` must print it byte for byte. */
#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_events_md_is_current (void **state)
{
    (void)state;
    char *argv[] = {"jejak-schema", "markdown", NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, 20000), 0);
    assert_non_null (out);
    size_t size = 0;
    char *doc = jk_test_slurp (JEJAK_SOURCE_DIR "/docs/EVENTS.md", &size);
    if (!doc)
        fail_msg ("docs/EVENTS.md is missing; regenerate it with "
                  "`jejak-schema markdown > docs/EVENTS.md`");
    if (size != strlen (out) || memcmp (doc, out, size) != 0) {
        size_t at = 0;
        while (at < size && out[at] && doc[at] == out[at])
            at++;
        fail_msg ("docs/EVENTS.md is out of date (first difference at byte "
                  "%zu); regenerate it with `jejak-schema markdown > "
                  "docs/EVENTS.md`",
                  at);
    }
    /* Every type has its section. */
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        char heading[96];
        snprintf (heading, sizeof heading, "\n## %s\n",
                  jk_vocabulary_at (i)->name);
        assert_non_null (strstr (doc, heading));
    }
    free (doc);
    free (out);
    free (err);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_events_md_is_current),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
