/*  replay.c - runs a fuzz target's LLVMFuzzerTestOneInput over every file
    of the given directories, so the corpus and every kept crash are
    regression tests under the normal (gcc) build. Usage:
    fuzz_X_replay DIR... [--optional DIR...]: a missing optional directory
    is skipped, a missing other one is an error. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int s_compare (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Replays one file; returns 0, or -1 when it cannot be read. */
static int s_replay_file (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, size = 0;
    uint8_t *data = malloc (cap);
    size_t n;
    while (data && (n = fread (data + size, 1, cap - size, f)) > 0) {
        size += n;
        if (size == cap)
            data = realloc (data, cap *= 2);
    }
    fclose (f);
    if (!data)
        return -1;
    /* An exact-size copy, so the sanitizers see any overread. */
    uint8_t *exact = malloc (size ? size : 1);
    memcpy (exact, data, size);
    free (data);
    LLVMFuzzerTestOneInput (exact, size);
    free (exact);
    return 0;
}

/* Replays every regular file of dir in name order; returns the count, or
   -1 when dir cannot be opened. */
static long s_replay_dir (const char *dir)
{
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap)
            names = realloc (names, (cap = cap ? cap * 2 : 64) * sizeof *names);
        names[count++] = strdup (e->d_name);
    }
    closedir (d);
    if (count)
        qsort (names, count, sizeof *names, s_compare);
    long done = 0;
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", dir, names[i]);
        if (s_replay_file (path) == 0)
            done++;
        else
            fprintf (stderr, "replay: cannot read %s\n", path);
        free (names[i]);
    }
    free (names);
    return done;
}

int main (int argc, char **argv)
{
    int rc = 0;
    long total = 0;
    int optional = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--optional") == 0) {
            optional = 1;
            continue;
        }
        long n = s_replay_dir (argv[i]);
        if (n < 0) {
            if (!optional) {
                fprintf (stderr, "replay: cannot open corpus %s\n", argv[i]);
                rc = 1;
            }
            continue;
        }
        printf ("replayed %ld inputs from %s\n", n, argv[i]);
        total += n;
    }
    if (total == 0 && rc == 0) {
        fprintf (stderr, "replay: no inputs\n");
        rc = 1;
    }
    return rc;
}
