/*  fuzz_xlsx.c - libFuzzer target for the XLSX reader (jk_xlsx_read):
    any bytes are read without a crash; a file either fails as a whole
    with a reason or hands out rows whose numbers never go down, each with
    1 to JK_CSV_MAX_CELLS NUL-terminated cells of at most
    JK_XLSX_CELL_MAX bytes, and bad rows with a reason. The corpus
    in tests/fuzz/corpus/xlsx (templates and workbooks written by
    libxlsxwriter, and handmade ones: handmade-escapes*.xlsx holds the
    escapes _xHHHH_ in shared, inline and rich text strings) is replayed
    by ctest. */
#include "jk_office.h"

#include <stdlib.h>
#include <string.h>

#define S_CHECK(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            abort ();                                                          \
    } while (0)

typedef struct {
    size_t rows, bad, last_line;
} s_state_t;

static int s_row (void *arg, size_t line, char **cells, size_t count)
{
    s_state_t *st = arg;
    S_CHECK (line >= 1 && line > st->last_line);
    st->last_line = line;
    S_CHECK (count >= 1 && count <= JK_CSV_MAX_CELLS);
    bool any = false;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen (cells[i]);
        S_CHECK (len <= JK_XLSX_CELL_MAX);
        any |= len > 0;
    }
    S_CHECK (any); /* rows with no text are not handed out */
    st->rows++;
    return 0;
}

static int s_bad (void *arg, size_t line, jk_csv_fault_t fault,
                  const char *reason)
{
    s_state_t *st = arg;
    S_CHECK (fault == JK_CSV_UNREADABLE);
    S_CHECK (line >= 1 && line > st->last_line);
    st->last_line = line;
    S_CHECK (reason && *reason);
    st->bad++;
    return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_state_t st = {0};
    char err[300] = "";
    int rc = jk_xlsx_read (data, size, s_row, s_bad, &st, err, sizeof err);
    S_CHECK (rc == JK_OK || rc == JK_INVALID);
    S_CHECK (rc == 0 || err[0]);
    return 0;
}
