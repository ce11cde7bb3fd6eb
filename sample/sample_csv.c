/*  sample_csv.c - the CSV files jejak-sample writes, in the two dialects
    Indonesian offices export, and the import plan each file joins. */
#include "sample_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int jk_sample_mkdir (const char *path)
{
    if (mkdir (path, 0755) == 0 || errno == EEXIST)
        return 0;
    return JK_IO;
}

int jk_sample_csv_open (gen_t *gen, csv_t *csv, const char *source,
                        const char *type_name, bool excel)
{
    memset (csv, 0, sizeof *csv);
    const jk_type_t *t = jk_vocabulary_find (type_name, strlen (type_name));
    if (!t) {
        snprintf (gen->err, gen->err_size,
                  "the vocabulary has no type %s to write", type_name);
        return JK_INVALID;
    }
    const char *type = t->name;
    char office[16];
    jk_source_office (source, strlen (source), office, sizeof office);
    snprintf (csv->path, sizeof csv->path, "%s/%s.csv", office, type);
    char dir[1024];
    snprintf (dir, sizeof dir, "%s/%s", gen->config->out_dir, office);
    snprintf (csv->full, sizeof csv->full, "%s/%s", gen->config->out_dir,
              csv->path);
    csv->excel = excel;
    csv->domain = jk_domain_name (t->domain);
    csv->type = type;
    csv->fields = t->field_count;
    snprintf (csv->source, sizeof csv->source, "%s", source);
    if (jk_sample_mkdir (dir) != 0 || !(csv->file = fopen (csv->full, "wb"))) {
        snprintf (gen->err, gen->err_size, "cannot write %s: %s", csv->full,
                  strerror (errno));
        return JK_IO;
    }
    if (excel)
        fputs ("\xef\xbb\xbf", csv->file);
    /* The header names the type's fields in vocabulary order: the columns
       the agents' import reads. */
    for (size_t i = 0; i < t->field_count; i++)
        fprintf (csv->file, "%s%s", i ? (excel ? ";" : ",") : "",
                 t->fields[i].name);
    fputs (excel ? "\r\n" : "\n", csv->file);
    csv->line = 1;
    return JK_OK;
}

void jk_sample_cell (csv_t *csv, const char *text)
{
    char sep = csv->excel ? ';' : ',';
    if (csv->row_open)
        fputc (sep, csv->file);
    csv->row_open = true;
    csv->cells++;
    if (strchr (text, sep) || strchr (text, '"') || strpbrk (text, "\r\n")) {
        fputc ('"', csv->file);
        for (const char *p = text; *p; p++) {
            if (*p == '"')
                fputc ('"', csv->file);
            fputc (*p, csv->file);
        }
        fputc ('"', csv->file);
    } else
        fputs (text, csv->file);
}

void jk_sample_cell_int (csv_t *csv, long long value)
{
    char text[24];
    snprintf (text, sizeof text, "%lld", value);
    jk_sample_cell (csv, text);
}

void jk_sample_cell_date (csv_t *csv, int32_t days)
{
    int y, m, d;
    jk_civil_from_days (days, &y, &m, &d);
    char text[16];
    if (csv->excel)
        snprintf (text, sizeof text, "%02d/%02d/%04d", d, m, y);
    else
        snprintf (text, sizeof text, "%04d-%02d-%02d", y, m, d);
    jk_sample_cell (csv, text);
}

void jk_sample_cell_time (csv_t *csv, int minutes)
{
    char text[16];
    if (minutes < 0)
        text[0] = 0;
    else
        snprintf (text, sizeof text, "%02d:%02d", (minutes / 60) % 24,
                  minutes % 60);
    jk_sample_cell (csv, text);
}

void jk_sample_cell_bool (csv_t *csv, bool value)
{
    jk_sample_cell (csv, csv->excel ? (value ? "ya" : "tidak")
                                    : (value ? "true" : "false"));
}

void jk_sample_row_end (csv_t *csv)
{
    fputs (csv->excel ? "\r\n" : "\n", csv->file);
    if (csv->cells != csv->fields && !csv->bad_row)
        csv->bad_row = csv->rows + 1;
    csv->cells = 0;
    csv->row_open = false;
    csv->line++;
    csv->rows++;
}

static void s_plan_add (gen_t *gen, const char *domain, const char *source,
                        const char *type, const char *path)
{
    if (gen->plan_count == gen->plan_cap) {
        gen->plan_cap = gen->plan_cap ? 2 * gen->plan_cap : 64;
        gen->plan =
            jk_realloc (gen->plan, (size_t)gen->plan_cap * sizeof *gen->plan);
    }
    plan_line_t *line = &gen->plan[gen->plan_count++];
    line->domain = domain;
    snprintf (line->source, sizeof line->source, "%s", source);
    line->type = type;
    snprintf (line->path, sizeof line->path, "%s", path);
}

/* Closes the file and adds it to the plan; an empty file is removed. */
int jk_sample_csv_close (gen_t *gen, csv_t *csv)
{
    int rc = fclose (csv->file) == 0 ? JK_OK : JK_IO;
    csv->file = NULL;
    if (rc != JK_OK) {
        snprintf (gen->err, gen->err_size, "cannot write %s", csv->full);
        return rc;
    }
    if (csv->bad_row) {
        snprintf (gen->err, gen->err_size,
                  "%s: row %d does not have the %zu cells of %s's fields",
                  csv->full, csv->bad_row, csv->fields, csv->type);
        return JK_INVALID;
    }
    if (csv->rows == 0)
        remove (csv->full);
    else
        s_plan_add (gen, csv->domain, csv->source, csv->type, csv->path);
    return JK_OK;
}
