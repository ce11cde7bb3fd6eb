/*  region.c - the reference data: kecamatan, desa and province codes,
    loaded from CSV files at start-up so another regency is a data change.
    Lookups are binary searches over code-sorted arrays. */
#include "schema_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char code[16];   /* "32.03.10" or "32.03.10.2012" or "32" */
    char *name;      /* region name */
    char parent[16]; /* desa: its kecamatan code */
} region_row_t;

typedef struct {
    region_row_t *rows;
    size_t count;
} region_table_t;

struct _jk_region_t {
    region_table_t kecamatan;
    region_table_t desa;
    region_table_t province;
    char regency[8]; /* "32.03", from the kecamatan codes */
};

static int s_row_compare (const void *a, const void *b)
{
    return strcmp (((const region_row_t *)a)->code,
                   ((const region_row_t *)b)->code);
}

/* Reads a header + rows CSV of 2 or 3 plain columns (no quoting). */
static int s_load_table (const char *dir, const char *file, int columns,
                         region_table_t *table, char *err, size_t err_size)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, err_size, "cannot open reference data %s", path);
        return -1;
    }
    char line[512];
    size_t cap = 64, lineno = 0;
    table->rows = jk_calloc (cap, sizeof (region_row_t));
    table->count = 0;
    while (fgets (line, sizeof line, f)) {
        lineno++;
        line[strcspn (line, "\r\n")] = 0;
        if (lineno == 1 || !line[0])
            continue;
        char *fields[3] = {line, NULL, NULL};
        for (int i = 1; i < columns; i++) {
            char *comma = strchr (fields[i - 1], ',');
            if (!comma) {
                snprintf (err, err_size, "%s line %zu: expected %d columns",
                          path, lineno, columns);
                fclose (f);
                return -1;
            }
            *comma = 0;
            fields[i] = comma + 1;
        }
        /* A longer code would be cut short and match the wrong row. */
        size_t code_len = strlen (fields[0]);
        size_t parent_len = columns == 3 ? strlen (fields[2]) : 0;
        if (code_len == 0 || code_len >= sizeof (table->rows->code) ||
            parent_len >= sizeof (table->rows->parent)) {
            snprintf (err, err_size,
                      "%s line %zu: a code must be 1..%zu characters", path,
                      lineno, sizeof (table->rows->code) - 1);
            fclose (f);
            return -1;
        }
        if (table->count == cap)
            table->rows =
                jk_realloc (table->rows, (cap *= 2) * sizeof (region_row_t));
        region_row_t *row = &table->rows[table->count++];
        memset (row, 0, sizeof *row);
        memcpy (row->code, fields[0], code_len);
        row->name = jk_strdup (fields[1]);
        memcpy (row->parent, fields[2] ? fields[2] : "", parent_len);
    }
    fclose (f);
    qsort (table->rows, table->count, sizeof (region_row_t), s_row_compare);
    return 0;
}

static void s_free_table (region_table_t *table)
{
    for (size_t i = 0; i < table->count; i++)
        free (table->rows[i].name);
    free (table->rows);
}

jk_region_t *jk_region_load (const char *dir, char *err, size_t err_size)
{
    jk_region_t *self = jk_calloc (1, sizeof *self);
    if (s_load_table (dir, "cianjur_kecamatan.csv", 2, &self->kecamatan, err,
                      err_size) ||
        s_load_table (dir, "cianjur_desa.csv", 3, &self->desa, err, err_size) ||
        s_load_table (dir, "provinsi_codes.csv", 2, &self->province, err,
                      err_size)) {
        jk_region_destroy (&self);
        return NULL;
    }
    if (self->kecamatan.count == 0) {
        snprintf (err, err_size, "no kecamatan in %s", dir);
        jk_region_destroy (&self);
        return NULL;
    }
    snprintf (self->regency, sizeof self->regency, "%.5s",
              self->kecamatan.rows[0].code);
    return self;
}

void jk_region_destroy (jk_region_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_free_table (&(*self_p)->kecamatan);
    s_free_table (&(*self_p)->desa);
    s_free_table (&(*self_p)->province);
    free (*self_p);
    *self_p = NULL;
}

static const region_row_t *s_find (const region_table_t *table,
                                   const char *code, size_t len)
{
    region_row_t key;
    if (len >= sizeof key.code)
        return NULL;
    memcpy (key.code, code, len);
    key.code[len] = 0;
    return bsearch (&key, table->rows, table->count, sizeof (region_row_t),
                    s_row_compare);
}

const char *jk_region_kecamatan (const jk_region_t *self, const char *code)
{
    const region_row_t *row = s_find (&self->kecamatan, code, strlen (code));
    return row ? row->name : NULL;
}

const char *jk_region_desa (const jk_region_t *self, const char *code,
                            size_t len, const char **kecamatan_code)
{
    const region_row_t *row = s_find (&self->desa, code, len);
    if (!row)
        return NULL;
    if (kecamatan_code)
        *kecamatan_code = row->parent;
    return row->name;
}

const char *jk_region_province (const jk_region_t *self, int code)
{
    char text[8];
    snprintf (text, sizeof text, "%02d", code);
    const region_row_t *row = s_find (&self->province, text, strlen (text));
    return row ? row->name : NULL;
}

size_t jk_region_kecamatan_count (const jk_region_t *self)
{
    return self->kecamatan.count;
}

const char *jk_region_kecamatan_at (const jk_region_t *self, size_t index,
                                    const char **name)
{
    if (index >= self->kecamatan.count)
        return NULL;
    if (name)
        *name = self->kecamatan.rows[index].name;
    return self->kecamatan.rows[index].code;
}

size_t jk_region_desa_count (const jk_region_t *self)
{
    return self->desa.count;
}

const char *jk_region_desa_at (const jk_region_t *self, size_t index,
                               const char **name, const char **kecamatan_code)
{
    if (index >= self->desa.count)
        return NULL;
    if (name)
        *name = self->desa.rows[index].name;
    if (kecamatan_code)
        *kecamatan_code = self->desa.rows[index].parent;
    return self->desa.rows[index].code;
}

const char *jk_region_regency (const jk_region_t *self)
{
    return self->regency;
}

/* ---- the process-wide default ------------------------------------------ */

static char *s_default_dir;
static jk_region_t *s_default;

void jk_region_set_default_dir (const char *dir)
{
    free (s_default_dir);
    s_default_dir = dir ? jk_strdup (dir) : NULL;
}

static void s_free_default (void)
{
    jk_region_destroy (&s_default);
    free (s_default_dir);
    s_default_dir = NULL;
}

const jk_region_t *jk_region_default (void)
{
    if (s_default)
        return s_default;
    const char *candidates[] = {s_default_dir, getenv ("JEJAK_DATA_DIR"),
                                JEJAK_DATA_SOURCE_DIR, JEJAK_DATA_INSTALL_DIR};
    char err[512] = "";
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        if (!candidates[i] || !*candidates[i])
            continue;
        s_default = jk_region_load (candidates[i], err, sizeof err);
        if (s_default) {
            atexit (s_free_default);
            return s_default;
        }
        /* An explicit directory that fails is an error, not a fallback. */
        if (i < 2)
            break;
    }
    fprintf (stderr,
             "jejak: cannot load the region reference data: %s\n"
             "       set --data-dir or JEJAK_DATA_DIR to the folder holding "
             "cianjur_kecamatan.csv\n",
             err[0] ? err : "no data directory found");
    exit (2);
}
