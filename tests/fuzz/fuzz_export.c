/*  fuzz_export.c - libFuzzer target for the JSON reader of exports and
    the way back from an exported JSON line to an event
    (tests/support/export_read.c, jk_export_event_from_json):
    any bytes must parse or fail with a message, never crash; an event that
    comes back must encode. The corpus in tests/fuzz/corpus/export is
    replayed by ctest. */
#include "export_read.h"

#include <stdlib.h>
#include <string.h>

/* Checks that stay in every build type (assert vanishes under NDEBUG). */
#define S_CHECK(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            abort ();                                                          \
    } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[128];
    err[0] = 0;
    jk_json_t *tree = jk_json_parse ((const char *)data, size, err, sizeof err);
    S_CHECK (tree || err[0]);
    jk_json_destroy (&tree);
    jk_report_t report;
    jk_event_t *event =
        jk_export_event_from_json ((const char *)data, size, &tree, &report);
    S_CHECK (event || report.failed);
    if (event) {
        size_t encoded_size = 0;
        uint8_t *encoded = jk_event_encode (event, &encoded_size);
        free (encoded);
        jk_event_destroy (&event);
    }
    jk_json_destroy (&tree);
    return 0;
}
