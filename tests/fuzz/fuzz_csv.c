/*  fuzz_csv.c - libFuzzer target for the CSV parser (jk_csv_parse): any
    bytes must parse or fail with a message, never crash, and every row
    handed out must have between 1 and JK_CSV_MAX_CELLS NUL-terminated
    cells. The corpus in tests/fuzz/corpus/csv is replayed by ctest. */
#include "jk_agent.h"

#include <assert.h>
#include <string.h>

static int s_row (void *arg, size_t line, char **cells, size_t count)
{
    size_t *rows = arg;
    assert (line >= 1);
    assert (count >= 1 && count <= JK_CSV_MAX_CELLS);
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
    assert (rc == 0 || rc == -1);
    assert (sep == ',' || sep == ';');
    assert (rows <= size + 1);
    return 0;
}
