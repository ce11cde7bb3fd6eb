/*  fuzz_link.c - libFuzzer target for the upstream link's record map
    (jk_link_record_decode): any input either decodes into a record whose
    strings end, whose bytes lie inside the input and whose origin is an
    area code and whose RAT deadline months are 0 (not told) or 1 to 24,
    or is refused with a message; a decoded record encodes and decodes
    again to the same fields. */
#include "jk_link.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    jk_link_record_t r;
    char err[256] = "";
    if (jk_link_record_decode (data, size, &r, err, sizeof err) != 0) {
        if (!err[0] || !memchr (err, 0, sizeof err))
            abort ();
        return 0;
    }
    if (!jk_link_area_valid (r.origin) || !r.code || !r.message ||
        r.rat_deadline_months < 0 || r.rat_deadline_months > 24 ||
        (r.size && (r.bytes < data || r.bytes + r.size > data + size)))
        abort ();
    zframe_t *frame = jk_link_record_encode (&r);
    jk_link_record_t again;
    if (jk_link_record_decode (zframe_data (frame), zframe_size (frame), &again,
                               err, sizeof err) != 0 ||
        again.cursor != r.cursor || again.pos != r.pos ||
        again.recorded_at != r.recorded_at || again.outcome != r.outcome ||
        strcmp (again.code, r.code) || strcmp (again.message, r.message) ||
        again.size != r.size || memcmp (again.hash, r.hash, 32) ||
        again.rat_deadline_months != r.rat_deadline_months ||
        (r.size && memcmp (again.bytes, r.bytes, r.size)))
        abort ();
    jk_link_record_clear (&again);
    zframe_destroy (&frame);
    jk_link_record_clear (&r);
    return 0;
}
