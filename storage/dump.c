/*  dump.c - the canonical text dump of every projection table (the list
    is projection_table.c's), used to
    prove that live projections equal rebuilt ones byte for byte
    (jejak-replay diff, tests). Tables by name, rows by primary key, one
    line per row; a NIK shows masked with a digest, never in clear. */
#include "projections_internal.h"

#include <assert.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compares two tables by name (qsort). */
static int s_by_name (const void *a, const void *b)
{
    const jk_ptable_t *const *x = a, *const *y = b;
    return strcmp ((*x)->name, (*y)->name);
}

/* Text in double quotes; quote, backslash and control bytes escaped, a
   C1 control (U+0080..U+009F) as its two bytes ("\xc2\x9b"), so that
   jejak-replay diff never hands one to a terminal. */
static void s_text (FILE *out, const unsigned char *s, int len)
{
    fputc ('"', out);
    for (int i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\')
            fprintf (out, "\\%c", c);
        else if (c == '\n')
            fputs ("\\n", out);
        else if (c == '\t')
            fputs ("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf (out, "\\x%02x", c);
        else if (c == 0xc2 && i + 1 < len && s[i + 1] < 0xa0 &&
                 s[i + 1] >= 0x80)
            fprintf (out, "\\xc2\\x%02x", s[++i]);
        else
            fputc (c, out);
    }
    fputc ('"', out);
}

/* A NIK as "3203********0001~" plus 12 hex digits of its SHA-256: equal
   NIKs dump equal, different ones differ, and none shows in clear. */
static void s_nik (FILE *out, const unsigned char *s, int len)
{
    char masked[17];
    jk_nik_mask ((const char *)s, (size_t)len, masked);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest (s, (size_t)len, digest, &size, EVP_sha256 (), NULL);
    fprintf (out, "\"%s~", masked);
    for (int i = 0; i < 6; i++)
        fprintf (out, "%02x", digest[i]);
    fputc ('"', out);
}

static void s_value (FILE *out, sqlite3_stmt *st, int col, bool is_nik)
{
    switch (sqlite3_column_type (st, col)) {
        case SQLITE_NULL:
            fputs ("NULL", out);
            break;
        case SQLITE_INTEGER:
            fprintf (out, "%lld", (long long)sqlite3_column_int64 (st, col));
            break;
        case SQLITE_FLOAT:
            fprintf (out, "%.15g", sqlite3_column_double (st, col));
            break;
        case SQLITE_BLOB: {
            const unsigned char *b = sqlite3_column_blob (st, col);
            int n = sqlite3_column_bytes (st, col);
            fputs ("x'", out);
            for (int i = 0; i < n; i++)
                fprintf (out, "%02x", b[i]);
            fputc ('\'', out);
            break;
        }
        default: {
            const unsigned char *t = sqlite3_column_text (st, col);
            int n = sqlite3_column_bytes (st, col);
            if (is_nik)
                s_nik (out, t, n);
            else
                s_text (out, t, n);
        }
    }
}

int jk_projections_dump (sqlite3 *db, FILE *out, char *err, size_t err_size)
{
    /* Every table of the projection table, by name, rows by key. */
    size_t count = jk_ptable_count ();
    const jk_ptable_t *tables[64];
    assert (count <= sizeof tables / sizeof tables[0]);
    for (size_t t = 0; t < count; t++)
        tables[t] = jk_ptable_at (t);
    qsort (tables, count, sizeof tables[0], s_by_name);
    for (size_t t = 0; t < count; t++) {
        char sql[160];
        snprintf (sql, sizeof sql, "SELECT * FROM %s ORDER BY %s",
                  tables[t]->name, tables[t]->key);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK) {
            snprintf (err, err_size, "dump: %s: %s", tables[t]->name,
                      sqlite3_errmsg (db));
            return -1;
        }
        int cols = sqlite3_column_count (st);
        fprintf (out, "# %s (", tables[t]->name);
        for (int c = 0; c < cols; c++)
            fprintf (out, "%s%s", c ? ", " : "", sqlite3_column_name (st, c));
        fputs (")\n", out);
        bool nik[64] = {false};
        for (int c = 0; c < cols && c < 64; c++)
            nik[c] = strcmp (sqlite3_column_name (st, c), "nik") == 0;
        int rc;
        while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
            for (int c = 0; c < cols; c++) {
                if (c)
                    fputc ('|', out);
                s_value (out, st, c, c < 64 && nik[c]);
            }
            fputc ('\n', out);
        }
        if (rc != SQLITE_DONE) {
            snprintf (err, err_size, "dump: %s: %s", tables[t]->name,
                      sqlite3_errmsg (db));
            sqlite3_finalize (st);
            return -1;
        }
        sqlite3_finalize (st);
    }
    if (ferror (out)) {
        snprintf (err, err_size, "dump: writing failed");
        return -1;
    }
    return 0;
}
