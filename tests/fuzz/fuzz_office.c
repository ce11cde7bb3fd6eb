/*  fuzz_office.c - libFuzzer target for the $office message of the feed
    (jk_office_read: [$office][heartbeat map with last_seen_ms]), which
    the status board reads from the hub. The input is split into frames
    as fuzz_wire's is (a 2-byte big-endian length, then that many bytes;
    a short last frame takes what is left). A message either reads into
    an agent's heartbeat whose source and program end within their
    fields, or is refused; what reads builds (jk_office_msg) a message
    that reads again to the same. */
#include "jk_wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    size_t pos = 0;
    while (pos + 2 <= size && zmsg_size (msg) < 4) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        zmsg_addmem (msg, data + pos, len);
        pos += len;
    }
    jk_office_t office, again;
    if (jk_office_read (msg, &office) == JK_OK) {
        jk_heartbeat_t *hb = &office.heartbeat;
        if (!memchr (hb->source, 0, sizeof hb->source) ||
            !memchr (hb->program, 0, sizeof hb->program))
            abort ();
        zmsg_t *copy = jk_office_msg (&office);
        if (jk_office_read (copy, &again) != JK_OK ||
            strcmp (again.heartbeat.source, hb->source) != 0 ||
            strcmp (again.heartbeat.program, hb->program) != 0 ||
            again.heartbeat.outbox_depth != hb->outbox_depth ||
            again.heartbeat.last_stored_seq != hb->last_stored_seq ||
            again.heartbeat.rejected != hb->rejected ||
            again.last_seen_ms != office.last_seen_ms)
            abort ();
        zmsg_destroy (&copy);
    }
    zmsg_destroy (&msg);
    return 0;
}
