/*  jk_version.h - the version every program answers to --version. */
#ifndef JK_VERSION_H
#define JK_VERSION_H

#include <stdbool.h>
#include <stdio.h>

/* The release, e.g. "0.2.0" (one place: project(VERSION) in CMake). */
const char *jk_version (void);
/* `git describe --always --dirty` of the source tree when it was
   configured, or "" when not built from a git checkout. */
const char *jk_version_describe (void);

/* True when argv asks for the version: "--version" anywhere before "--".
   Programs call it first thing in main and exit 0 after jk_version_print. */
bool jk_version_asked (int argc, char **argv);
/* Prints "PROGRAM (Jejak) VERSION" plus the git describe when known, and
   the licence line, to out: the GNU --version form help2man reads. */
void jk_version_print (const char *program, FILE *out);

#endif
