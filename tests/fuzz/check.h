/*  check.h - what the fuzz targets check with: S_CHECK stays in every
    build type (assert vanishes under NDEBUG) and aborts, which libFuzzer
    and the corpus replayer report as a crash. */
#ifndef JK_FUZZ_CHECK_H
#define JK_FUZZ_CHECK_H

#include <stdlib.h>

#define S_CHECK(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            abort ();                                                          \
    } while (0)

#endif
