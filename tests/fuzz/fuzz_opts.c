/*  fuzz_opts.c - libFuzzer target for command-line options: the input is
    a ZPL config file, then two NUL bytes, then arguments separated by NUL
    bytes. A non-empty config is written to a file given with --config. */
#include "jk_base.h"
#include "jk_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const jk_opt_t s_spec[] = {
    {"broker", "JEJAK_FUZZ_BROKER", "tcp://127.0.0.1:7450", "broker", false},
    {"source", NULL, NULL, "OFFICE/DEVICE", false},
    {"wait", NULL, "5", "seconds", false},
    {"once", NULL, NULL, "print once", true},
    {"json", NULL, NULL, "JSON output", true},
};
#define SPEC_COUNT (sizeof s_spec / sizeof s_spec[0])

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    static char config_path[64];
    if (!config_path[0])
        snprintf (config_path, sizeof config_path,
                  "/tmp/jejak-fuzz-opts-%d.cfg", (int)getpid ());
    const uint8_t *split = NULL;
    for (size_t i = 0; i + 1 < size; i++)
        if (data[i] == 0 && data[i + 1] == 0) {
            split = data + i;
            break;
        }
    size_t config_len = split ? (size_t)(split - data) : 0;
    const uint8_t *args = split ? split + 2 : data;
    size_t args_len = size - (size_t)(args - data);

    /* argv: program, [--config PATH], then the NUL-separated arguments. */
    char *text = malloc (args_len + 1);
    memcpy (text, args, args_len);
    text[args_len] = 0;
    char **argv = calloc (args_len + 4, sizeof (char *));
    int argc = 0;
    argv[argc++] = "jejak-fuzz";
    if (config_len) {
        FILE *f = fopen (config_path, "wb");
        if (f) {
            fwrite (data, 1, config_len, f);
            fclose (f);
            argv[argc++] = "--config";
            argv[argc++] = config_path;
        }
    }
    for (size_t start = 0; start < args_len;) {
        argv[argc++] = text + start;
        start += strlen (text + start) + 1;
    }
    argv[argc] = NULL;

    jk_opts_t *opts = jk_opts_new ("jejak-fuzz", s_spec, SPEC_COUNT);
    char err[256] = "";
    if (jk_opts_parse (opts, argc, argv, err, sizeof err) == 0) {
        for (size_t i = 0; i < SPEC_COUNT; i++) {
            const char *v = jk_opts_get (opts, s_spec[i].name);
            if (v && strlen (v) > 1u << 20)
                abort ();
            jk_opts_on (opts, s_spec[i].name);
            jk_opts_given (opts, s_spec[i].name);
        }
        jk_opts_help (opts);
        for (size_t i = 0; i < jk_opts_argc (opts); i++)
            if (!jk_opts_arg (opts, i))
                abort ();
    } else if (!err[0])
        abort (); /* a failure always explains itself */
    jk_opts_destroy (&opts);
    free (argv);
    free (text);
    if (config_len)
        unlink (config_path);
    return 0;
}
