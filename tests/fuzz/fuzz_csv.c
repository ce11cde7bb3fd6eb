/*  fuzz_csv.c - libFuzzer target for the CSV parser (jk_csv_parse): any
    bytes must parse or fail with a message, never crash, and every row
    handed out must have between 1 and JK_CSV_MAX_CELLS NUL-terminated
    cells. The corpus in tests/fuzz/corpus/csv is replayed by ctest. */
#include "jk_agent.h"

#include <stdlib.h>
#include <string.h>

/* Checks that stay in every build type (assert vanishes under NDEBUG). */
#define S_CHECK(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            abort ();                                                          \
    } while (0)

static int s_row (void *arg, size_t line, char **cells, size_t count)
{
    size_t *rows = arg;
    S_CHECK (line >= 1);
    S_CHECK (count >= 1 && count <= JK_CSV_MAX_CELLS);
    for (size_t i = 0; i < count; i++)
        (void)strlen (cells[i]);
    (*rows)++;
    return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t rows = 0;
    char err[128];
    char sep = 0;
    int rc = jk_csv_parse ((const char *)data, size, s_row, &rows, &sep, err,
                           sizeof err);
    S_CHECK (rc == 0 || rc == -1);
    S_CHECK (sep == ',' || sep == ';');
    S_CHECK (rows <= size + 1);
    return 0;
}
