/*  version_print.c - the --version answer shared by every program. */
#include "jk_version.h"

#include <string.h>

bool jk_version_asked (int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--") == 0)
            return false;
        if (strcmp (argv[i], "--version") == 0)
            return true;
    }
    return false;
}

void jk_version_print (const char *program, FILE *out)
{
    const char *describe = jk_version_describe ();
    fprintf (out, "%s (Jejak) %s\n", program, jk_version ());
    if (describe[0] && strcmp (describe, jk_version ()) != 0)
        fprintf (out, "built from %s\n", describe);
    fprintf (out, "Event log, projections and office agents for a regency "
                  "cooperative department.\n");
}
