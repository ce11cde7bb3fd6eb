/*  fuzz_csv.c - libFuzzer target for the CSV reader (jk_csv_read): any
    bytes must be read without a crash, every non-blank line must reach the
    row or the bad-row callback, every row handed out must have between 1
    and JK_CSV_MAX_CELLS NUL-terminated cells, and (a property, not only
    "no crash") every row written back with jk_csv_format and read again
    gives the same cells. The corpus in tests/fuzz/corpus/csv is replayed
    by ctest. */
#include "jk_agent.h"

#include <stdlib.h>
#include <string.h>

/* Checks that stay in every build type (assert vanishes under NDEBUG). */
#define S_CHECK(cond)                                                          \
    do {                                                                       \
        if (!(cond))                                                           \
            abort ();                                                          \
    } while (0)

typedef struct {
    char sep;
    size_t rows, bad;
    size_t last_line;
    /* The row being checked again. */
    char **cells;
    size_t count, seen;
} s_state_t;

static int s_again (void *arg, size_t line, char **cells, size_t count)
{
    s_state_t *st = arg;
    S_CHECK (line == 1);
    S_CHECK (st->seen == 0);
    S_CHECK (count == st->count);
    for (size_t i = 0; i < count; i++)
        S_CHECK (strcmp (cells[i], st->cells[i]) == 0);
    st->seen++;
    return 0;
}

static int s_again_bad (void *arg, size_t line, jk_csv_fault_t fault,
                        const char *reason)
{
    (void)arg;
    (void)fault;
    (void)line;
    (void)reason;
    abort (); /* a written row always reads back */
}

static int s_row (void *arg, size_t line, char **cells, size_t count)
{
    s_state_t *st = arg;
    S_CHECK (line >= 1 && line >= st->last_line);
    st->last_line = line;
    S_CHECK (count >= 1 && count <= JK_CSV_MAX_CELLS);
    for (size_t i = 0; i < count; i++)
        (void)strlen (cells[i]);
    st->rows++;
    /* Round trip: the row as CSV text reads back as the same cells. */
    size_t size = 0;
    char *text = jk_csv_format (cells, count, st->sep, &size);
    s_state_t again = {.cells = cells, .count = count};
    char sep = 0;
    S_CHECK (jk_csv_read (text, size, s_again, s_again_bad, &again, &sep) == 0);
    S_CHECK (again.seen == 1);
    S_CHECK (count == 1 || sep == st->sep);
    free (text);
    return 0;
}

static int s_bad (void *arg, size_t line, jk_csv_fault_t fault,
                  const char *reason)
{
    s_state_t *st = arg;
    S_CHECK (fault == JK_CSV_QUOTE || fault == JK_CSV_CELLS ||
             fault == JK_CSV_BINARY);
    S_CHECK (line >= 1 && line >= st->last_line);
    st->last_line = line;
    S_CHECK (reason && *reason);
    st->bad++;
    return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_state_t st = {0};
    int rc = jk_csv_read ((const char *)data, size, s_row, s_bad, &st, &st.sep);
    S_CHECK (rc == 0);
    S_CHECK (st.sep == ',' || st.sep == ';');
    S_CHECK (st.rows + st.bad <= size + 1);
    /* The stopping form agrees: it delivers the rows before the first bad
       one and says where that is. */
    char err[256] = "";
    s_state_t first = {.sep = st.sep};
    rc = jk_csv_parse ((const char *)data, size, s_row, &first, NULL, err,
                       sizeof err);
    S_CHECK (rc == (st.bad ? -1 : 0));
    S_CHECK (first.rows <= st.rows);
    S_CHECK (st.bad == 0 || strncmp (err, "line ", 5) == 0);
    return 0;
}
