/*  region.c - the reference data: kecamatan, desa and province codes,
    loaded from CSV files at start-up so another regency is a data change.
    Lookups are binary searches over code-sorted arrays. */
#include "schema_internal.h"
#include "jk_opts.h"

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

struct jk_region_s {
    region_table_t kecamatan;
    region_table_t desa;
    region_table_t province;
    region_table_t kabupaten; /* kabupaten and kota of the area */
    char regency[8];          /* "32.03" (or "32" for a province), the area */
    char area[8];             /* the area asked for; "": the Cianjur files */
};

static int s_row_compare (const void *a, const void *b)
{
    return strcmp (((const region_row_t *)a)->code,
                   ((const region_row_t *)b)->code);
}

/* Splits one CSV line into up to max fields in place: a field may be
   quoted ("Name, with comma", "" for a quote inside). Returns the number
   of fields, or -1 for an unterminated quote. */
static int s_split_csv (char *line, char **fields, int max)
{
    int count = 0;
    char *in = line;
    while (count < max) {
        char *out = in;
        fields[count++] = out;
        if (*in == '"') {
            in++;
            for (;;) {
                if (!*in)
                    return -1;
                if (*in == '"' && in[1] == '"') {
                    *out++ = '"';
                    in += 2;
                } else if (*in == '"') {
                    in++;
                    break;
                } else
                    *out++ = *in++;
            }
        } else
            while (*in && *in != ',')
                *out++ = *in++;
        char next = *in;
        *out = 0;
        if (next != ',')
            return count;
        in++;
    }
    return count + 1; /* more fields than wanted */
}

/* True when code lies in area: area empty, equal to code, or a prefix of
   code followed by a dot ("32" holds "32.03", "32.03" holds "32.03.10"). */
static bool s_in_area (const char *code, const char *area)
{
    size_t n = strlen (area);
    return n == 0 ||
           (strncmp (code, area, n) == 0 && (code[n] == 0 || code[n] == '.'));
}

/* Reads a header + rows CSV of 2 or 3 columns (CSV quoting allowed),
   keeping the rows whose filter column (0: the code, 2: the parent; -1:
   every row) lies in area. */
static int s_load_table (const char *dir, const char *file, int columns,
                         int filter, const char *area, region_table_t *table,
                         char *err, size_t err_size)
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
        /* A line fgets cut is refused: its rest would read as a row. */
        int next = strchr (line, '\n') ? EOF : getc (f);
        if (next != EOF) {
            snprintf (err, err_size, "%s line %zu: longer than %zu bytes", path,
                      lineno, sizeof line - 2);
            fclose (f);
            return -1;
        }
        line[strcspn (line, "\r\n")] = 0;
        if (lineno == 1 || !line[0])
            continue;
        char *fields[3] = {NULL, NULL, NULL};
        if (s_split_csv (line, fields, columns) != columns) {
            snprintf (err, err_size, "%s line %zu: expected %d columns", path,
                      lineno, columns);
            fclose (f);
            return -1;
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
        if (filter >= 0 && !s_in_area (fields[filter], area))
            continue;
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

bool jk_region_area_valid (const char *area)
{
    size_t n = strlen (area);
    if (n != 2 && n != 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (i == 2 ? area[i] != '.' : (area[i] < '0' || area[i] > '9'))
            return false;
    return true;
}

jk_region_t *jk_region_load_area (const char *dir, const char *area, char *err,
                                  size_t err_size)
{
    if (area && !*area)
        area = NULL;
    if (area && !jk_region_area_valid (area)) {
        snprintf (err, err_size,
                  "region '%.20s' must be a kabupaten code NN.NN (32.03) or a "
                  "province code NN (32)",
                  area);
        return NULL;
    }
    jk_region_t *self = jk_calloc (1, sizeof *self);
    int rc;
    if (!area)
        rc = s_load_table (dir, "cianjur_kecamatan.csv", 2, -1, "",
                           &self->kecamatan, err, err_size) ||
             s_load_table (dir, "cianjur_desa.csv", 3, -1, "", &self->desa, err,
                           err_size);
    else
        rc = s_load_table (dir, "indonesia_kabupaten.csv", 3, 0, area,
                           &self->kabupaten, err, err_size) ||
             s_load_table (dir, "indonesia_kecamatan.csv", 3, 2, area,
                           &self->kecamatan, err, err_size) ||
             s_load_table (dir, "indonesia_desa.csv", 3, 0, area, &self->desa,
                           err, err_size);
    if (rc || s_load_table (dir, "provinsi_codes.csv", 2, -1, "",
                            &self->province, err, err_size)) {
        jk_region_destroy (&self);
        return NULL;
    }
    if (self->kecamatan.count == 0) {
        snprintf (err, err_size, "no kecamatan of %s in %s",
                  area ? area : "the regency", dir);
        jk_region_destroy (&self);
        return NULL;
    }
    if (area) {
        snprintf (self->regency, sizeof self->regency, "%s", area);
        snprintf (self->area, sizeof self->area, "%s", area);
    } else {
        snprintf (self->regency, sizeof self->regency, "%.5s",
                  self->kecamatan.rows[0].code);
        /* The Cianjur files hold one kabupaten: name it from the code. */
        self->kabupaten.rows = jk_calloc (1, sizeof (region_row_t));
        self->kabupaten.count = 1;
        snprintf (self->kabupaten.rows[0].code,
                  sizeof self->kabupaten.rows[0].code, "%s", self->regency);
        self->kabupaten.rows[0].name = jk_strdup ("KAB. CIANJUR");
        snprintf (self->kabupaten.rows[0].parent,
                  sizeof self->kabupaten.rows[0].parent, "%.2s", self->regency);
    }
    return self;
}

jk_region_t *jk_region_load (const char *dir, char *err, size_t err_size)
{
    return jk_region_load_area (dir, NULL, err, err_size);
}

void jk_region_destroy (jk_region_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_free_table (&(*self_p)->kecamatan);
    s_free_table (&(*self_p)->desa);
    s_free_table (&(*self_p)->province);
    s_free_table (&(*self_p)->kabupaten);
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
    if (code >= 0 && code <= 99) {
        /* "%02d", without printf: every NIK validated asks. */
        text[0] = (char)('0' + code / 10);
        text[1] = (char)('0' + code % 10);
        text[2] = 0;
    } else
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

const char *jk_region_area (const jk_region_t *self)
{
    return self->area;
}

size_t jk_region_kabupaten_count (const jk_region_t *self)
{
    return self->kabupaten.count;
}

const char *jk_region_kabupaten_at (const jk_region_t *self, size_t index,
                                    const char **name)
{
    if (index >= self->kabupaten.count)
        return NULL;
    if (name)
        *name = self->kabupaten.rows[index].name;
    return self->kabupaten.rows[index].code;
}

const char *jk_region_kabupaten (const jk_region_t *self, const char *code)
{
    const region_row_t *row = s_find (&self->kabupaten, code, strlen (code));
    return row ? row->name : NULL;
}

/* ---- the process-wide default ------------------------------------------ */

static char *s_default_dir;
static char *s_default_area;
static jk_region_t *s_default;

void jk_region_set_default_area (const char *area)
{
    free (s_default_area);
    s_default_area = area && *area ? jk_strdup (area) : NULL;
}

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
    free (s_default_area);
    s_default_area = NULL;
}

/* Says on stderr that area, the region asked for, is not shaped NN.NN or
   NN, naming where it came from: --region in a program that takes it (as
   a flag, JEJAK_REGION or its config key), else JEJAK_REGION. */
static void s_say_bad_area (const char *area)
{
    fprintf (stderr,
             "%s: %s '%.20s' must be a kabupaten code NN.NN (32.03) or a "
             "province code NN (32) (see --help)\n",
             jk_program (),
             jk_opts_program_takes ("region") ? "--region" : "JEJAK_REGION",
             area);
}

int jk_region_options (const char *dir, const char *area)
{
    if (area && *area && !jk_region_area_valid (area)) {
        s_say_bad_area (area);
        return 2;
    }
    if (dir)
        jk_region_set_default_dir (dir);
    if (area)
        jk_region_set_default_area (area);
    return 0;
}

static const jk_region_t *s_used;

void jk_region_use (const jk_region_t *region)
{
    s_used = region;
}

jk_region_t *jk_region_load_default_dir (const char *area, char *err,
                                         size_t err_size)
{
    const char *candidates[] = {s_default_dir, getenv ("JEJAK_DATA_DIR"),
                                JEJAK_DATA_SOURCE_DIR, JEJAK_DATA_INSTALL_DIR};
    snprintf (err, err_size, "no data directory found");
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        if (!candidates[i] || !*candidates[i])
            continue;
        jk_region_t *region =
            jk_region_load_area (candidates[i], area, err, err_size);
        /* An explicit directory that fails is an error, not a fallback. */
        if (region || i < 2)
            return region;
    }
    return NULL;
}

const jk_region_t *jk_region_default (void)
{
    if (s_used)
        return s_used;
    if (s_default)
        return s_default;
    const char *area =
        s_default_area ? s_default_area : getenv ("JEJAK_REGION");
    char err[512] = "";
    s_default = jk_region_load_default_dir (area, err, sizeof err);
    if (s_default) {
        atexit (s_free_default);
        return s_default;
    }
    /* A malformed code is the code's fault, not the data directory's. */
    if (area && *area && !jk_region_area_valid (area)) {
        s_say_bad_area (area);
        exit (2);
    }
    fprintf (stderr,
             "%s: cannot load the region reference data: %s\n"
             "       set %sJEJAK_DATA_DIR to the folder holding "
             "cianjur_kecamatan.csv (and indonesia_*.csv for --region)\n",
             jk_program (), err,
             jk_opts_program_takes ("data-dir") ? "--data-dir or " : "");
    exit (2);
}
