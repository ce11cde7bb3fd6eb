/*  fuzz_import.c - libFuzzer target for the office import
    (jk_import_read): the first byte picks the event type, the rest is a
    CSV or XLSX file. Whatever the bytes, no crash; an unusable file has a
    reason and no good row; otherwise every data row is good, bad or the
    template's example, every good row's event passes validation again and
    encodes, and every problem names its line and a code. The corpus in
    tests/fuzz/corpus/import is replayed by ctest. */
#include "jk_office.h"

#include <stdlib.h>
#include <string.h>

#define S_CHECK(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            abort ();                                                          \
    } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const jk_type_t *t = jk_vocabulary_at (data[0] % jk_vocabulary_count ());
    jk_import_t *im =
        jk_import_new (t, "32.03.10/pacet-1", "fuzz", (data[0] & 0x80) != 0);
    int rc = jk_import_read (im, data + 1, size - 1);
    S_CHECK (rc == JK_OK || rc == JK_INVALID);
    if (rc == JK_INVALID) {
        S_CHECK (im->unusable && im->error[0]);
        S_CHECK (im->good_count == 0);
    } else {
        S_CHECK (!im->unusable);
        S_CHECK (im->good_count + im->bad == im->rows);
        S_CHECK (im->bad <= im->problem_total);
    }
    S_CHECK (im->rows <= JK_IMPORT_MAX_ROWS);
    S_CHECK (im->problem_count <= JK_IMPORT_PROBLEMS);
    for (size_t i = 0; i < im->problem_count; i++) {
        S_CHECK (im->problems[i].line >= 1);
        S_CHECK (strncmp (im->problems[i].code, "E_", 2) == 0);
        S_CHECK (im->problems[i].text[0]);
    }
    jk_context_t ctx = jk_context_default ();
    for (size_t i = 0; i < im->good_count; i++) {
        jk_report_t report;
        jk_report_reset (&report);
        S_CHECK (jk_event_validate (im->good[i].event, &ctx, &report) == 0);
        size_t n = 0;
        uint8_t *bytes = jk_event_encode (im->good[i].event, &n);
        S_CHECK (bytes != NULL);
        free (bytes);
    }
    jk_import_destroy (&im);
    return 0;
}
