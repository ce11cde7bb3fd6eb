/*  sample_summary.c - the import plan (plan.txt), the expected figures
    (expected.tsv) and the README of a generated data set. */
#include "sample_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- plan, figures and README
 * ---------------------------------------------------------- */

static int s_write_text (gen_t *gen, const char *name, const char *text)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", gen->config->out_dir, name);
    FILE *f = fopen (path, "wb");
    if (!f || fputs (text, f) < 0 || fclose (f) != 0) {
        snprintf (gen->err, gen->err_size, "cannot write %s: %s", path,
                  strerror (errno));
        return JK_IO;
    }
    return JK_OK;
}

/* A growing text buffer for the small summary files. */
typedef struct {
    char *text;
    size_t len, cap;
} text_t;

static void s_add (text_t *t, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void s_add (text_t *t, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    va_list copy;
    va_copy (copy, args);
    int need = vsnprintf (NULL, 0, format, copy);
    va_end (copy);
    if (t->len + (size_t)need + 1 > t->cap) {
        t->cap = (t->len + (size_t)need + 1) * 2;
        t->text = jk_realloc (t->text, t->cap);
    }
    vsnprintf (t->text + t->len, t->cap - t->len, format, args);
    t->len += (size_t)need;
    va_end (args);
}

/* The figures every summary file tells. */
typedef struct {
    int rat_2021, late, rat_2020, status;
    int enrolled, eligible, competent, attendance, sessions;
} s_totals_t;

/* A batch's participants who reached 80 % attendance (eligible) and of
   them those competent in every unit. */
static void s_batch_counts (const batch_t *b, int *eligible, int *competent)
{
    *eligible = *competent = 0;
    for (int p = 0; p < b->size; p++) {
        *eligible += b->eligible[p];
        bool all_k = b->eligible[p];
        for (int u = 0; u < b->unit_count; u++)
            all_k = all_k && b->unit_k[p][u];
        *competent += all_k;
    }
}

static void s_totals (gen_t *gen, s_totals_t *t)
{
    memset (t, 0, sizeof *t);
    for (int i = 0; i < gen->coop_count; i++) {
        const coop_t *c = &gen->coops[i];
        t->rat_2021 += c->active;
        t->late += c->active && c->rat_2021 > jk_sample_day (2022, 6, 30);
        t->rat_2020 += c->rat_2020;
        t->status += c->status != 0;
    }
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        int eligible, competent;
        s_batch_counts (b, &eligible, &competent);
        t->enrolled += b->size;
        t->sessions += SESSIONS_PER_BATCH;
        t->attendance += b->size * SESSIONS_PER_BATCH;
        t->eligible += eligible;
        t->competent += competent;
    }
}

/* plan.txt: the imports in order, one per line. */
static int s_write_plan (gen_t *gen)
{
    text_t plan = {0};
    for (int i = 0; i < gen->plan_count; i++)
        s_add (&plan, "%s %s %s %s\n", gen->plan[i].domain, gen->plan[i].source,
               gen->plan[i].type, gen->plan[i].path);
    int rc = s_write_text (gen, "plan.txt", plan.text ? plan.text : "");
    free (plan.text);
    return rc;
}

/* expected.tsv: the figures the status board should show. */
static int s_write_figures (gen_t *gen, const s_totals_t *t)
{
    text_t fig = {0};
    s_add (&fig, "seed\t%llu\n", (unsigned long long)gen->config->seed);
    s_add (&fig, "cooperatives\t%d\n", gen->coop_count);
    s_add (&fig, "active\t%d\n", t->rat_2021);
    s_add (&fig, "rat_2021\t%d\n", t->rat_2021);
    s_add (&fig, "rat_2021_late\t%d\n", t->late);
    s_add (&fig, "rat_2020\t%d\n", t->rat_2020);
    s_add (&fig, "status_declared\t%d\n", t->status);
    s_add (&fig, "people\t%d\n", gen->person_count);
    s_add (&fig, "batches\t%d\n", gen->batch_count);
    s_add (&fig, "sessions\t%d\n", t->sessions);
    s_add (&fig, "enrolled\t%d\n", t->enrolled);
    s_add (&fig, "attendance\t%d\n", t->attendance);
    s_add (&fig, "eligible\t%d\n", t->eligible);
    s_add (&fig, "assessed\t%d\n", t->eligible);
    s_add (&fig, "competent\t%d\n", t->competent);
    s_add (&fig, "certificates\t%d\n", t->competent);
    s_add (&fig, "warnings.W_LEGAL_NUMBER_FORMAT\t%d\n", gen->warn_legal);
    s_add (&fig, "warnings.W_NIK_SEX\t%d\n", gen->warn_sex);
    s_add (&fig, "warnings.W_NIK_PROVINCE\t%d\n", gen->warn_province);
    s_add (&fig, "bad_rows.import\t%d\n", gen->bad_import);
    s_add (&fig, "bad_rows.store\t%d\n", gen->bad_store);
    for (int k = 0; k < gen->kecamatan_count; k++) {
        s_add (&fig, "kecamatan.%s.registered\t%d\n", gen->kecamatan[k].code,
               gen->kecamatan[k].cooperatives);
        s_add (&fig, "kecamatan.%s.active\t%d\n", gen->kecamatan[k].code,
               gen->kecamatan[k].active);
    }
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        int ok, k;
        s_batch_counts (b, &ok, &k);
        s_add (&fig, "batch.%s.enrolled\t%d\n", b->code, b->size);
        s_add (&fig, "batch.%s.eligible\t%d\n", b->code, ok);
        s_add (&fig, "batch.%s.competent\t%d\n", b->code, k);
    }
    int rc = s_write_text (gen, "expected.tsv", fig.text);
    free (fig.text);
    return rc;
}

/* bad-rows.tsv: the deliberate bad rows (with --bad-rows). */
static int s_write_bad_rows (gen_t *gen)
{
    if (!gen->config->bad_rows)
        return JK_OK;
    text_t bad = {0};
    s_add (&bad, "file\tline\tstage\tcode\twhy\n%s", gen->bad_list);
    int rc = s_write_text (gen, "bad-rows.tsv", bad.text);
    free (bad.text);
    return rc;
}

/* The region's name for the README's title, from the reference data:
   "KAB. CIANJUR" as "Kabupaten Cianjur", "KOTA BANDUNG" as "Kota
   Bandung", a province as "Provinsi Jawa Barat"; else its code. */
static void s_region_title (gen_t *gen, char *out, size_t size)
{
    const char *name = jk_region_kabupaten (gen->region, gen->regency);
    const char *kind = "";
    if (name && strncmp (name, "KAB. ", 5) == 0) {
        kind = "Kabupaten ";
        name += 5;
    } else if (name && strncmp (name, "KOTA ", 5) == 0) {
        kind = "Kota ";
        name += 5;
    } else if (!name && strlen (gen->regency) == 2) {
        name = jk_region_province (gen->region, gen->province_number);
        kind = name ? "Provinsi " : "";
    }
    if (!name) {
        snprintf (out, size, "region %s", gen->regency);
        return;
    }
    int n = snprintf (out, size, "%s", kind);
    /* each word capitalised, the rest in lower case */
    bool word_start = true;
    for (const char *p = name; *p && (size_t)n + 1 < size; p++) {
        char c = *p;
        if (!word_start && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (word_start && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        word_start = c == ' ' || c == '-' || c == '(' || c == '.';
        out[n++] = c;
    }
    out[n] = 0;
}

/* The first three kecamatan whose offices use the ';' dialect, as
   "32.03.01, .03, .05 ..." (a code of the same regency as the first
   shortened to its last part; "..." when there are more). */
static void s_excel_offices (gen_t *gen, char *out, size_t size)
{
    int n = 0, shown = 0;
    out[0] = 0;
    const char *first = NULL;
    for (int k = 0; k < gen->kecamatan_count && n >= 0 && (size_t)n < size;
         k++) {
        const kecamatan_t *kec = &gen->kecamatan[k];
        if (!kec->excel)
            continue;
        if (shown == 3) {
            n += snprintf (out + n, size - (size_t)n, " ...");
            break;
        }
        const char *code = kec->code;
        if (!first)
            first = code;
        else if (strncmp (code, first, 6) == 0)
            code += 5;
        n += snprintf (out + n, size - (size_t)n, "%s%s", shown ? ", " : "",
                       code);
        shown++;
    }
}

/* README.txt: what the set holds and how to import it. */
static int s_write_readme (gen_t *gen, const s_totals_t *t)
{
    char title[128], offices[128];
    s_region_title (gen, title, sizeof title);
    s_excel_offices (gen, offices, sizeof offices);
    text_t readme = {0};
    s_add (&readme,
           "Jejak sample data: %s, 2022 (seed %llu)\n\n"
           "%d cooperatives with legal status over %d kecamatan; %d of them "
           "held their RAT\nfor book year 2021 (%d late, after 30 June "
           "2022): the active ones.\n%d people (cooperative managers), a "
           "DAK_NF_PK2UMK 2022 training programme of\n%d batches (%d "
           "participants, %d reached 80%% attendance), competency\n"
           "assessments (%d competent) and %d certificates.\n\n"
           "plan.txt lists the imports in order, one per line:\n"
           "  DOMAIN SOURCE TYPE FILE\n"
           "run as: jejak-DOMAIN --source SOURCE import DIR/FILE --type "
           "TYPE\n"
           "Consecutive lines of the same TYPE form a stage: sync them all "
           "before the\nnext stage starts. Use one outbox per SOURCE.\n\n"
           "Files of the offices of kecamatan %s and "
           "the dinas's status,\nenrolment, attendance, unit and "
           "certificate files use ';', a UTF-8 BOM,\nCRLF and dd/mm/yyyy; "
           "the others ',', LF and yyyy-mm-dd.\n"
           "expected.tsv holds the figures the status board should show.\n",
           title, (unsigned long long)gen->config->seed, gen->coop_count,
           gen->kecamatan_count, t->rat_2021, t->late, gen->person_count,
           gen->batch_count, t->enrolled, t->eligible, t->competent,
           t->competent, offices);
    if (gen->config->bad_rows)
        s_add (&readme,
               "\nDeliberate bad rows (bad-rows.tsv): %d rows that the agent "
               "reports at\nimport with their line numbers while the good "
               "rows go in, and %d that\nthe store rejects:\n%s",
               gen->bad_import, gen->bad_store, gen->bad_list);
    int rc = s_write_text (gen, "README.txt", readme.text);
    free (readme.text);
    return rc;
}

int jk_sample_write_summary (gen_t *gen)
{
    int rc = s_write_plan (gen);
    if (rc)
        return rc;
    s_totals_t totals;
    s_totals (gen, &totals);
    rc = s_write_figures (gen, &totals);
    if (!rc)
        rc = s_write_bad_rows (gen);
    if (!rc)
        rc = s_write_readme (gen, &totals);
    return rc;
}
