/*  fuzz_envelope.c - libFuzzer target for jk_envelope_peek, which the
    store uses to attribute bytes that do not decode. Whatever decodes as
    an event must peek to the same id, source and seq. */
#include "jk_schema.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    jk_envelope_t env;
    bool found = jk_envelope_peek (data, size, &env);
    if (memchr (env.source, 0, sizeof env.source) == NULL ||
        memchr (env.type, 0, sizeof env.type) == NULL)
        abort (); /* both must be NUL-terminated */
    jk_event_t *ev = jk_event_decode (data, size, NULL);
    if (ev && ev->source.len > 0 &&
        !memchr (ev->source.ptr, 0, ev->source.len)) {
        if (!found || memcmp (env.id, ev->id, 16) != 0 || env.seq != ev->seq ||
            strlen (env.source) != ev->source.len ||
            memcmp (env.source, ev->source.ptr, ev->source.len) != 0 ||
            env.at != ev->at || strcmp (env.type, ev->type->name) != 0)
            abort ();
    }
    jk_event_destroy (&ev);
    return 0;
}
