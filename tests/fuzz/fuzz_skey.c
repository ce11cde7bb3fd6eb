/*  fuzz_skey.c - libFuzzer target for a signer key file (jk_note_skey_load:
    log.key, witness.key; one line "PRIVATE+KEY+NAME+KEYID+KEY"): the
    input is the file's bytes, written with mode 0600. A file either
    loads into a key of type 01 or 04 whose line formats back and loads
    again to the same key, or is refused with a message that names the
    file. */
#include "check.h"
#include "jk_note.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    static char path[64];
    if (!path[0])
        snprintf (path, sizeof path, "/tmp/jejak-fuzz-skey-%d.key",
                  (int)getpid ());
    s_input_file (path, data, size, 0600);
    char name[JK_NOTE_NAME_MAX], err[512] = "";
    int type = 0;
    uint8_t seed[32];
    int rc = jk_note_skey_load (path, name, &type, seed, err, sizeof err);
    if (rc != JK_OK) {
        if (rc != JK_INVALID || !strstr (err, path))
            abort ();
    } else {
        if (type != JK_NOTE_TYPE_ED25519 && type != JK_NOTE_TYPE_COSIG)
            abort ();
        char line[512], name2[JK_NOTE_NAME_MAX];
        int type2 = 0;
        uint8_t seed2[32];
        jk_note_skey_format (name, type, seed, line, sizeof line);
        if (jk_note_skey_parse (line, name2, &type2, seed2, err, sizeof err) !=
                JK_OK ||
            strcmp (name, name2) != 0 || type != type2 ||
            memcmp (seed, seed2, 32) != 0)
            abort ();
    }
    unlink (path);
    return 0;
}
