/*  check.h - what the fuzz targets check with: S_CHECK stays in every
    build type (assert vanishes under NDEBUG) and aborts, which libFuzzer
    and the corpus replayer report as a crash. */
#ifndef JK_FUZZ_CHECK_H
#define JK_FUZZ_CHECK_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define S_CHECK(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            abort ();                                                          \
    } while (0)

/* Writes a fuzz input as the file a parser reads (mode as open's), or
   aborts: a target that cannot write its file tests nothing. */
static inline void s_input_file (const char *path, const void *data,
                                 size_t size, mode_t mode)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write (fd, data, size) != (ssize_t)size)
        abort ();
    close (fd);
}

#endif
