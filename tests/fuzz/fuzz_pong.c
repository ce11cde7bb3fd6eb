/*  fuzz_pong.c - libFuzzer target for the heartbeat reply an agent reads
    (jk_pong_decode, PROTOCOL.md: PONG {now, expect?, stored_seq?}): any
    bytes either decode into a clock that is not negative and, with
    expect, a seq to deliver again from that is not 0, or are refused;
    what decodes encodes (jk_pong_add) and decodes again to the same. */
#include "jk_wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    jk_pong_t pong, again;
    if (jk_pong_decode (data, size, &pong) != JK_OK)
        return 0;
    if (pong.now_ms < 0 || (pong.expect == 0 && pong.stored_seq != 0))
        abort ();
    zmsg_t *msg = zmsg_new ();
    jk_pong_add (msg, &pong);
    zframe_t *frame = zmsg_first (msg);
    if (!frame ||
        jk_pong_decode (zframe_data (frame), zframe_size (frame), &again) !=
            JK_OK ||
        memcmp (&pong, &again, sizeof pong) != 0)
        abort ();
    zmsg_destroy (&msg);
    return 0;
}
