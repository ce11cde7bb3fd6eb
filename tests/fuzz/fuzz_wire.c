/*  fuzz_wire.c - libFuzzer target for the wire frames: the input is split
    into frames (each a 2-byte big-endian length, then that many bytes; a
    short last frame takes what is left); every frame goes through
    jk_answer_decode, jk_heartbeat_decode and jk_records_next (a RECORDS
    frame, read to its end and each record packed again), and the whole
    message through jk_record_read. */
#include "jk_wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = zmsg_new ();
    size_t pos = 0;
    while (pos + 2 <= size && zmsg_size (msg) < 16) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = size - pos;
        const uint8_t *frame = data + pos;
        pos += len;
        jk_answer_t answer;
        if (jk_answer_decode (frame, len, &answer) == 0 &&
            (!memchr (answer.code, 0, sizeof answer.code) ||
             !memchr (answer.message, 0, sizeof answer.message)))
            abort ();
        jk_heartbeat_t heartbeat;
        if (jk_heartbeat_decode (frame, len, &heartbeat) == 0 &&
            (!memchr (heartbeat.source, 0, sizeof heartbeat.source) ||
             !memchr (heartbeat.program, 0, sizeof heartbeat.program)))
            abort ();
        size_t offset = 0;
        jk_record_t packed;
        int rc;
        while ((rc = jk_records_next (frame, len, &offset, &packed)) == 0) {
            if (offset > len || !memchr (packed.topic, 0, sizeof packed.topic))
                abort ();
            uint8_t *again = malloc (jk_records_size (&packed));
            size_t n = jk_records_put (again, &packed);
            if (n != jk_records_size (&packed))
                abort ();
            free (again);
        }
        zmsg_addmem (msg, frame, len);
    }
    jk_record_t record;
    if (jk_record_read (msg, &record) == 0) {
        if (!memchr (record.topic, 0, sizeof record.topic))
            abort ();
        /* The borrowed bytes lie inside the message: touch them all. */
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < record.size; i++)
            sum ^= record.bytes[i];
        (void)sum;
        zmsg_t *copy = jk_record_msg (&record);
        zmsg_destroy (&copy);
    }
    zmsg_destroy (&msg);
    return 0;
}
