/*  fuzz_event.c - libFuzzer target for the event codec: decode, validate,
    and the round-trip property (what decodes re-encodes to bytes that
    decode to an equal event and re-encode identically); the same bytes
    decoded into a slab (jk_event_decode_in) decode the same. */
#include "jk_schema.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    jk_report_t report, in_report;
    jk_event_t *ev = jk_event_decode (data, size, &report);
    jk_event_slab_t *slab = jk_event_slab_new (1);
    jk_event_t *in = jk_event_decode_in (slab, data, size, &in_report);
    jk_event_slab_release (&slab);
    if (!ev != !in || (ev && !jk_event_equal (ev, in)) ||
        (!ev && strcmp (report.error.code, in_report.error.code) != 0))
        abort ();
    jk_event_destroy (&in);
    if (!ev) {
        /* Every failure carries a code. */
        if (!report.failed || report.error.code[0] != 'E')
            abort ();
        return 0;
    }
    /* 2024-06-01T00:00:00Z: a fixed clock keeps runs reproducible. */
    jk_context_t ctx = {1717200000000LL, jk_region_default ()};
    jk_event_validate (ev, &ctx, &report);
    size_t n1 = 0, n2 = 0;
    uint8_t *b1 = jk_event_encode (ev, &n1);
    if (!b1)
        abort (); /* it came in under the size limit: it must go out */
    jk_event_t *again = jk_event_decode (b1, n1, &report);
    if (!again || !jk_event_equal (ev, again))
        abort ();
    uint8_t *b2 = jk_event_encode (again, &n2);
    if (!b2 || n1 != n2 || memcmp (b1, b2, n1) != 0)
        abort ();
    free (b2);
    jk_event_destroy (&again);
    free (b1);
    jk_event_destroy (&ev);
    return 0;
}
