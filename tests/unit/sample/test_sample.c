/*  test_sample.c - runs jejak-sample as a process and checks its output:
    same seed gives the same bytes, the counts of the Cianjur picture, and
    that every generated row, turned into an event with the schema library,
    validates (bar the deliberate bad rows) and refers only to things
    registered in an earlier stage of the plan. */
#include "testsupport.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static int s_generate (const char *dir, const char *seed, const char *extra)
{
    char *argv[] = {"jejak-sample", "--out",       (char *)dir, "--seed",
                    (char *)seed,   (char *)extra, NULL};
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 30000);
    if (rc != 0)
        fprintf (stderr, "jejak-sample exit %d: %s%s\n", rc, out ? out : "",
                 err ? err : "");
    free (out);
    free (err);
    return rc;
}

typedef struct {
    char domain[16];
    char source[64];
    char type[64];
    char path[128];
} plan_line_t;

/* Reads DIR/plan.txt; returns the number of lines (at most max). */
static int s_plan (const char *dir, plan_line_t *lines, int max)
{
    char *path = jk_sprintf ("%s/plan.txt", dir);
    FILE *f = fopen (path, "r");
    free (path);
    assert_non_null (f);
    int n = 0;
    char buf[512];
    while (n < max && fgets (buf, sizeof buf, f)) {
        plan_line_t *l = &lines[n];
        assert_int_equal (sscanf (buf, "%15s %63s %63s %127s", l->domain,
                                  l->source, l->type, l->path),
                          4);
        n++;
    }
    fclose (f);
    return n;
}

/* One parsed CSV file: header cells and rows of cells with the physical
   line each row starts on. A minimal reader of the two dialects the
   generator writes: BOM, ';' or ',', CRLF or LF, quoted cells with "". */
typedef struct {
    bool bom, crlf;
    char sep;
    int columns;
    char **header;
    int rows;
    char ***cells; /* rows x columns */
    int *line;
} csv_t;

static char *s_field (const char **p, char sep, bool *end_of_row, int *line)
{
    const char *s = *p;
    size_t cap = 64, n = 0;
    char *out = jk_malloc (cap);
    if (*s == '"') {
        s++;
        while (*s) {
            if (*s == '"' && s[1] == '"')
                s++;
            else if (*s == '"') {
                s++;
                break;
            }
            if (*s == '\n')
                (*line)++;
            if (n + 2 > cap)
                out = jk_realloc (out, cap *= 2);
            out[n++] = *s++;
        }
    } else
        while (*s && *s != sep && *s != '\r' && *s != '\n') {
            if (n + 2 > cap)
                out = jk_realloc (out, cap *= 2);
            out[n++] = *s++;
        }
    out[n] = 0;
    *end_of_row = *s != sep;
    if (*s == sep)
        s++;
    else if (*s == '\r' && s[1] == '\n')
        s += 2;
    else if (*s == '\n')
        s++;
    *p = s;
    return out;
}

static void s_csv_load (csv_t *csv, const char *dir, const char *file)
{
    memset (csv, 0, sizeof *csv);
    char *path = jk_sprintf ("%s/%s", dir, file);
    size_t size;
    char *text = jk_test_slurp (path, &size);
    free (path);
    assert_non_null (text);
    const char *p = text;
    if (size >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0) {
        csv->bom = true;
        p += 3;
    }
    const char *eol = strchr (p, '\n');
    assert_non_null (eol);
    csv->crlf = eol > p && eol[-1] == '\r';
    /* a one-column file has no separator: its BOM tells the dialect */
    bool semicolon = memchr (p, ';', (size_t)(eol - p));
    bool comma = memchr (p, ',', (size_t)(eol - p));
    csv->sep = semicolon || (!comma && csv->bom) ? ';' : ',';
    int line = 1;
    bool end = false;
    while (!end) {
        csv->header = jk_realloc (csv->header,
                                  (size_t)(csv->columns + 1) * sizeof (char *));
        csv->header[csv->columns++] = s_field (&p, csv->sep, &end, &line);
    }
    line++;
    while (*p) {
        int start = line;
        char **row = jk_calloc ((size_t)csv->columns, sizeof (char *));
        int c = 0;
        end = false;
        while (!end) {
            char *cell = s_field (&p, csv->sep, &end, &line);
            assert_true (c < csv->columns);
            row[c++] = cell;
        }
        assert_int_equal (c, csv->columns);
        line++;
        csv->cells =
            jk_realloc (csv->cells, (size_t)(csv->rows + 1) * sizeof (char **));
        csv->line =
            jk_realloc (csv->line, (size_t)(csv->rows + 1) * sizeof (int));
        csv->cells[csv->rows] = row;
        csv->line[csv->rows++] = start;
    }
    free (text);
}

static void s_csv_free (csv_t *csv)
{
    for (int r = 0; r < csv->rows; r++) {
        for (int c = 0; c < csv->columns; c++)
            free (csv->cells[r][c]);
        free (csv->cells[r]);
    }
    for (int c = 0; c < csv->columns; c++)
        free (csv->header[c]);
    free (csv->cells);
    free (csv->line);
    free (csv->header);
}

static const char *s_cell (const csv_t *csv, int row, const char *column)
{
    for (int c = 0; c < csv->columns; c++)
        if (strcmp (csv->header[c], column) == 0)
            return csv->cells[row][c];
    return "";
}

/* Value of key in DIR/expected.tsv, or -1. */
static long s_expected (const char *dir, const char *key)
{
    char *path = jk_sprintf ("%s/expected.tsv", dir);
    FILE *f = fopen (path, "r");
    free (path);
    assert_non_null (f);
    char buf[256];
    long value = -1;
    size_t len = strlen (key);
    while (fgets (buf, sizeof buf, f))
        if (strncmp (buf, key, len) == 0 && buf[len] == '\t')
            value = atol (buf + len + 1);
    fclose (f);
    return value;
}

static void s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

static int *s_counter (zhashx_t *hash, const char *key)
{
    int *count = zhashx_lookup (hash, key);
    if (!count) {
        count = jk_calloc (1, sizeof *count);
        zhashx_insert (hash, key, count);
    }
    return count;
}

/* ---- tests -------------------------------------------------------------- */

static bool s_same_file (const char *a_dir, const char *b_dir, const char *file)
{
    char *a_path = jk_sprintf ("%s/%s", a_dir, file);
    char *b_path = jk_sprintf ("%s/%s", b_dir, file);
    size_t a_size = 0, b_size = 0;
    char *a = jk_test_slurp (a_path, &a_size);
    char *b = jk_test_slurp (b_path, &b_size);
    assert_non_null (a);
    bool same = b && a_size == b_size && memcmp (a, b, a_size) == 0;
    free (a);
    free (b);
    free (a_path);
    free (b_path);
    return same;
}

static void test_same_seed_same_bytes (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("sample");
    char *a = jk_sprintf ("%s/a", dir);
    char *b = jk_sprintf ("%s/b", dir);
    char *c = jk_sprintf ("%s/c", dir);
    assert_int_equal (s_generate (a, "42", "--with-bad-rows"), 0);
    assert_int_equal (s_generate (b, "42", "--with-bad-rows"), 0);
    assert_int_equal (s_generate (c, "43", "--with-bad-rows"), 0);

    static plan_line_t plan[256];
    int n = s_plan (a, plan, 256);
    assert_true (n > 40);
    const char *extra[] = {"plan.txt", "expected.tsv", "README.txt",
                           "bad-rows.tsv"};
    for (int i = 0; i < 4; i++) {
        assert_true (s_same_file (a, b, extra[i]));
    }
    int differ = 0;
    for (int i = 0; i < n; i++) {
        assert_true (s_same_file (a, b, plan[i].path));
        differ += !s_same_file (a, c, plan[i].path);
    }
    /* another seed: other cooperatives, people and attendance */
    assert_true (differ > n / 2);
    assert_false (s_same_file (a, c, "32.03.10/cooperative.registered.csv"));
    assert_false (s_same_file (a, c, "32.03.01/person.registered.csv"));
    free (a);
    free (b);
    free (c);
    jk_test_rmdir (&dir);
}

static void test_usage_errors (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("sample");
    char *out = NULL, *err = NULL;
    char *no_out[] = {"jejak-sample", NULL};
    assert_int_equal (jk_test_run (no_out, &out, &err, 10000), 2);
    assert_non_null (strstr (err, "--out"));
    free (out);
    free (err);
    char *bad_seed[] = {"jejak-sample", "--out", dir, "--seed", "abc", NULL};
    assert_int_equal (jk_test_run (bad_seed, &out, &err, 10000), 2);
    assert_non_null (strstr (err, "--seed"));
    free (out);
    free (err);
    char *too_active[] = {"jejak-sample", "--out",    dir,   "--cooperatives",
                          "100",          "--active", "200", NULL};
    assert_int_equal (jk_test_run (too_active, &out, &err, 10000), 2);
    assert_string_equal (err, "jejak-sample: --active must be a whole number "
                              "0..100, got '200'\n");
    free (out);
    free (err);
    /* The range said is the range taken: no cooperatives is refused. */
    char *none[] = {"jejak-sample", "--out", dir, "--cooperatives", "0", NULL};
    assert_int_equal (jk_test_run (none, &out, &err, 10000), 2);
    assert_string_equal (err, "jejak-sample: --cooperatives must be a whole "
                              "number 1..100000, got '0'\n");
    free (out);
    free (err);
    char *help[] = {"jejak-sample", "--help", NULL};
    assert_int_equal (jk_test_run (help, &out, &err, 10000), 0);
    assert_non_null (strstr (out, "--with-bad-rows"));
    free (out);
    free (err);
    jk_test_rmdir (&dir);
}

/* What the walk over the plan has seen so far. */
typedef struct {
    const jk_region_t *region;
    zhashx_t *seq;              /* source -> last seq */
    zhashx_t *coops;            /* normalised legal number -> office */
    zhashx_t *rats;             /* legal|year */
    zhashx_t *people;           /* nik */
    zhashx_t *batch_size;       /* batch -> enrolled */
    zhashx_t *batch_jp;         /* batch -> jp scheduled */
    zhashx_t *session_jp;       /* batch|session -> jp */
    zhashx_t *enrolled;         /* batch|nik -> jp attended */
    zhashx_t *closed;           /* batch */
    zhashx_t *assessment_batch; /* assessment -> batch */
    zhashx_t *units;            /* assessment|nik -> units K, BK counted */
    zhashx_t *unit_count;       /* assessment -> units scheduled */
    zhashx_t *decided_k;        /* assessment|nik */
    zhashx_t *warnings;         /* code -> count */
    zhashx_t *bad;              /* file|line -> "stage code" */
    int rejected_import;        /* rows that fail as the bad list says */
    int rejected_store;         /* rows a store would reject */
    int rows[32];               /* per stage kind, see s_kind */
    int rat_2021;
    bool gadog;
} walk_t;

static void s_key (char *out, size_t size, const char *a, const char *b)
{
    snprintf (out, size, "%s|%s", a, b);
}

static void s_norm (const char *legal, char out[128])
{
    jk_legal_number_normalise (legal, strlen (legal), out, 128);
}

/* Domain checks a store would make, and the figures. Returns false when
   a store would reject the row. */
static bool s_domain (walk_t *w, const plan_line_t *pl, const csv_t *csv, int r)
{
    char key[256], norm[128];
    const char *type = pl->type;
    if (strcmp (type, "cooperative.registered") == 0) {
        s_norm (s_cell (csv, r, "legal_number"), norm);
        const char *kec;
        const char *desa = s_cell (csv, r, "desa_code");
        assert_non_null (jk_region_desa (w->region, desa, strlen (desa), &kec));
        /* submitted from the office of its kecamatan */
        assert_int_equal (strncmp (pl->source, kec, 8), 0);
        return zhashx_insert (w->coops, norm, jk_strdup (kec)) == 0;
    }
    if (strcmp (type, "cooperative.rat_held") == 0 ||
        strcmp (type, "cooperative.status_declared") == 0) {
        s_norm (s_cell (csv, r, "legal_number"), norm);
        if (!zhashx_lookup (w->coops, norm))
            return false;
        if (strcmp (type, "cooperative.status_declared") == 0)
            return true;
        const char *year = s_cell (csv, r, "book_year");
        s_key (key, sizeof key, norm, year);
        if (zhashx_insert (w->rats, key, jk_strdup ("1")) != 0)
            return false;
        w->rat_2021 += strcmp (year, "2021") == 0;
        return true;
    }
    if (strcmp (type, "person.registered") == 0) {
        const char *nik = s_cell (csv, r, "nik");
        jk_report_t report;
        jk_report_reset (&report);
        assert_int_equal (
            jk_nik_parse (nik, strlen (nik), NULL, "nik", &report), 0);
        const char *desa = s_cell (csv, r, "desa_code");
        assert_non_null (jk_region_desa (w->region, desa, strlen (desa), NULL));
        s_norm (s_cell (csv, r, "cooperative"), norm);
        if (!zhashx_lookup (w->coops, norm))
            return false;
        return zhashx_insert (w->people, nik, jk_strdup (norm)) == 0;
    }
    if (strcmp (type, "training.batch_scheduled") == 0) {
        const char *batch = s_cell (csv, r, "batch");
        zhashx_insert (w->batch_size, batch, jk_calloc (1, sizeof (int)));
        zhashx_insert (w->batch_jp, batch, jk_calloc (1, sizeof (int)));
        if (strcmp (batch, "PK2UMK-2022-01") == 0) {
            /* the PLUT building in Desa Gadog, Pacet, 5-7 October 2022 */
            assert_string_equal (s_cell (csv, r, "venue_desa_code"),
                                 "32.03.10.2012");
            assert_non_null (strstr (s_cell (csv, r, "venue"), "PLUT"));
            assert_non_null (strstr (s_cell (csv, r, "venue"), "Gadog"));
            const char *start = s_cell (csv, r, "start_date");
            const char *end = s_cell (csv, r, "end_date");
            assert_true (strcmp (start, "2022-10-05") == 0 ||
                         strcmp (start, "05/10/2022") == 0);
            assert_true (strcmp (end, "2022-10-07") == 0 ||
                         strcmp (end, "07/10/2022") == 0);
            w->gadog = true;
        }
        assert_string_equal (s_cell (csv, r, "funding"), "DAK_NF_PK2UMK");
        return true;
    }
    if (strcmp (type, "training.session_scheduled") == 0) {
        const char *batch = s_cell (csv, r, "batch");
        int *total = zhashx_lookup (w->batch_jp, batch);
        if (!total)
            return false;
        int jp = atoi (s_cell (csv, r, "jp"));
        assert_true (jp >= 2 && jp <= 4);
        *total += jp;
        s_key (key, sizeof key, batch, s_cell (csv, r, "session_no"));
        int *session = jk_malloc (sizeof *session);
        *session = jp;
        return zhashx_insert (w->session_jp, key, session) == 0;
    }
    if (strcmp (type, "training.participant_enrolled") == 0) {
        const char *batch = s_cell (csv, r, "batch");
        const char *nik = s_cell (csv, r, "nik");
        int *size = zhashx_lookup (w->batch_size, batch);
        s_norm (s_cell (csv, r, "cooperative"), norm);
        if (!size || !zhashx_lookup (w->people, nik) ||
            !zhashx_lookup (w->coops, norm) || *size >= 30)
            return false;
        /* enrolled for the cooperative the person manages */
        assert_string_equal (zhashx_lookup (w->people, nik), norm);
        (*size)++;
        s_key (key, sizeof key, batch, nik);
        return zhashx_insert (w->enrolled, key, jk_calloc (1, sizeof (int))) ==
               0;
    }
    if (strcmp (type, "attendance.recorded") == 0) {
        const char *batch = s_cell (csv, r, "batch");
        s_key (key, sizeof key, batch, s_cell (csv, r, "nik"));
        int *attended = zhashx_lookup (w->enrolled, key);
        if (!attended || zhashx_lookup (w->closed, batch))
            return false;
        s_key (key, sizeof key, batch, s_cell (csv, r, "session_no"));
        int *jp = zhashx_lookup (w->session_jp, key);
        if (!jp)
            return false;
        const char *status = s_cell (csv, r, "status");
        if (strcmp (status, "HADIR") == 0 || strcmp (status, "TERLAMBAT") == 0)
            *attended += *jp;
        else
            assert_string_equal (s_cell (csv, r, "check_in"), "");
        return true;
    }
    if (strcmp (type, "training.batch_closed") == 0) {
        const char *batch = s_cell (csv, r, "batch");
        if (!zhashx_lookup (w->batch_size, batch))
            return false;
        return zhashx_insert (w->closed, batch, jk_strdup ("1")) == 0;
    }
    if (strcmp (type, "assessment.scheduled") == 0) {
        const char *batch = s_cell (csv, r, "batch");
        if (!zhashx_lookup (w->closed, batch))
            return false;
        const char *units = s_cell (csv, r, "units");
        int count = 1;
        for (const char *p = units; *p; p++)
            count += *p == '|';
        assert_true (count >= 4 && count <= 6);
        int *n = jk_malloc (sizeof *n);
        *n = count;
        zhashx_insert (w->unit_count, s_cell (csv, r, "assessment"), n);
        return zhashx_insert (w->assessment_batch,
                              s_cell (csv, r, "assessment"),
                              jk_strdup (batch)) == 0;
    }
    if (strcmp (type, "assessment.unit_assessed") == 0 ||
        strcmp (type, "assessment.decided") == 0) {
        const char *assessment = s_cell (csv, r, "assessment");
        const char *nik = s_cell (csv, r, "nik");
        const char *batch = zhashx_lookup (w->assessment_batch, assessment);
        if (!batch)
            return false;
        s_key (key, sizeof key, batch, nik);
        int *attended = zhashx_lookup (w->enrolled, key);
        int *total = zhashx_lookup (w->batch_jp, batch);
        /* only participants who reached 80 % of the lesson hours */
        if (!attended || *attended * 100 < 80 * *total)
            return false;
        s_key (key, sizeof key, assessment, nik);
        int *verdicts = s_counter (w->units, key); /* K * 1000 + BK */
        const char *verdict = s_cell (csv, r, "verdict");
        if (strcmp (type, "assessment.unit_assessed") == 0) {
            *verdicts += strcmp (verdict, "K") == 0 ? 1000 : 1;
            return true;
        }
        int units = *(int *)zhashx_lookup (w->unit_count, assessment);
        bool all_k = *verdicts == units * 1000;
        assert_int_equal (*verdicts / 1000 + *verdicts % 1000, units);
        assert_string_equal (verdict, all_k ? "K" : "BK");
        if (all_k)
            zhashx_insert (w->decided_k, key, jk_strdup ("1"));
        return true;
    }
    if (strcmp (type, "certificate.issued") == 0) {
        s_key (key, sizeof key, s_cell (csv, r, "assessment"),
               s_cell (csv, r, "nik"));
        return zhashx_lookup (w->decided_k, key) != NULL;
    }
    fail_msg ("unexpected type %s in the plan", type);
    return false;
}

static const char *const s_stage_order[] = {"cooperative.registered",
                                            "cooperative.rat_held",
                                            "cooperative.status_declared",
                                            "person.registered",
                                            "training.batch_scheduled",
                                            "training.session_scheduled",
                                            "training.participant_enrolled",
                                            "attendance.recorded",
                                            "training.batch_closed",
                                            "assessment.scheduled",
                                            "assessment.unit_assessed",
                                            "assessment.decided",
                                            "certificate.issued",
                                            NULL};

static int s_kind (const char *type)
{
    for (int i = 0; s_stage_order[i]; i++)
        if (strcmp (s_stage_order[i], type) == 0)
            return i;
    return -1;
}

static void s_load_bad (walk_t *w, const char *dir)
{
    char *path = jk_sprintf ("%s/bad-rows.tsv", dir);
    FILE *f = fopen (path, "r");
    free (path);
    assert_non_null (f);
    char buf[512];
    assert_non_null (fgets (buf, sizeof buf, f)); /* header */
    while (fgets (buf, sizeof buf, f)) {
        char file[128], stage[16], code[64];
        int line;
        assert_int_equal (sscanf (buf, "%127[^\t]\t%d\t%15[^\t]\t%63[^\t]",
                                  file, &line, stage, code),
                          4);
        char key[160], value[96];
        snprintf (key, sizeof key, "%s|%d", file, line);
        snprintf (value, sizeof value, "%s %s", stage, code);
        zhashx_insert (w->bad, key, jk_strdup (value));
    }
    fclose (f);
}

/* Turns every row into an event, validates it with the clock pinned to
   the last day of 2022, and walks the plan as a store would. */
static void test_every_row_validates (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("sample");
    assert_int_equal (s_generate (dir, "1", "--with-bad-rows"), 0);
    int64_t now = (int64_t)jk_days_from_civil (2022, 12, 31) * 86400000LL +
                  5 * 3600 * 1000LL; /* noon WIB */
    jk_clock_set (now);
    jk_context_t ctx = {.now_ms = now, .region = jk_region_default ()};

    walk_t w = {.region = ctx.region};
    zhashx_t **maps[] = {&w.seq,        &w.coops,
                         &w.rats,       &w.people,
                         &w.batch_size, &w.batch_jp,
                         &w.session_jp, &w.enrolled,
                         &w.closed,     &w.assessment_batch,
                         &w.units,      &w.unit_count,
                         &w.decided_k,  &w.warnings,
                         &w.bad};
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++) {
        *maps[i] = zhashx_new ();
        zhashx_set_destructor (*maps[i], s_free_item);
    }
    s_load_bad (&w, dir);

    static plan_line_t plan[256];
    int n = s_plan (dir, plan, 256);
    int last_kind = 0, excel_files = 0, iso_files = 0;
    for (int i = 0; i < n; i++) {
        const plan_line_t *pl = &plan[i];
        int kind = s_kind (pl->type);
        assert_true (kind >= 0);
        assert_true (kind >= last_kind); /* dependency order */
        last_kind = kind;
        const jk_type_t *type =
            jk_vocabulary_find (pl->type, strlen (pl->type));
        assert_non_null (type);
        assert_string_equal (pl->domain, jk_domain_name (type->domain));
        jk_report_t report;
        jk_report_reset (&report);
        assert_int_equal (jk_source_check (ctx.region, pl->source,
                                           strlen (pl->source), &report),
                          0);
        csv_t csv;
        s_csv_load (&csv, dir, pl->path);
        /* the two dialects, each whole */
        if (csv.sep == ';') {
            assert_true (csv.bom && csv.crlf);
            excel_files++;
        } else {
            assert_false (csv.bom || csv.crlf);
            iso_files++;
        }
        int *seq = s_counter (w.seq, pl->source);
        for (int r = 0; r < csv.rows; r++) {
            char key[200];
            snprintf (key, sizeof key, "%s|%d", pl->path, csv.line[r]);
            const char *bad = zhashx_lookup (w.bad, key);
            jk_event_t *ev = jk_event_new (type);
            jk_event_set_source (ev, pl->source);
            jk_event_set_actor (ev, "operator-1");
            ev->seq = (uint64_t)++ * seq;
            jk_report_reset (&report);
            int rc = 0;
            for (int c = 0; c < csv.columns && rc == 0; c++)
                if (csv.cells[r][c][0]) /* an empty cell: field absent */
                    rc = jk_event_set (ev, csv.header[c], csv.cells[r][c],
                                       &report);
            if (rc == 0)
                rc = jk_event_validate (ev, &ctx, &report);
            if (bad && strncmp (bad, "import ", 7) == 0) {
                /* a deliberate bad row fails with the documented code */
                assert_int_equal (rc, -1);
                assert_string_equal (report.error.code, bad + 7);
                w.rejected_import++;
                jk_event_destroy (&ev);
                continue;
            }
            if (rc != 0)
                fail_msg ("%s line %d: %s %s", pl->path, csv.line[r],
                          report.error.code, report.error.message);
            bool accepted = s_domain (&w, pl, &csv, r);
            if (bad) {
                assert_false (accepted);
                w.rejected_store++;
            } else if (!accepted)
                fail_msg ("%s line %d: a store would reject this row", pl->path,
                          csv.line[r]);
            else {
                w.rows[kind]++;
                for (int k = 0; k < report.warning_count; k++)
                    (*s_counter (w.warnings, report.warnings[k].code))++;
            }
            jk_event_destroy (&ev);
        }
        s_csv_free (&csv);
    }
    jk_clock_set (0);

    /* the Cianjur picture */
    assert_int_equal (w.rows[0], 1503);
    assert_true (w.rat_2021 >= 330 && w.rat_2021 <= 370);
    assert_int_equal (w.rat_2021, s_expected (dir, "rat_2021"));
    assert_int_equal (w.rows[2], s_expected (dir, "status_declared"));
    assert_int_equal (w.rows[3], s_expected (dir, "people"));
    assert_true (w.rows[3] > 1500);
    assert_int_equal (w.rows[4], 6);
    assert_true (w.gadog);
    assert_int_equal (w.rows[6], s_expected (dir, "enrolled"));
    assert_int_equal (w.rows[7], s_expected (dir, "attendance"));
    assert_int_equal (w.rows[8], 6);
    assert_int_equal (w.rows[9], 6);
    assert_int_equal (w.rows[11], s_expected (dir, "assessed"));
    assert_int_equal (w.rows[12], s_expected (dir, "certificates"));
    assert_true (w.rows[12] > 0 && w.rows[12] < w.rows[11]); /* some BK */
    assert_true (w.rows[11] < w.rows[6]); /* some under 80 % */
    for (void *size = zhashx_first (w.batch_size); size;
         size = zhashx_next (w.batch_size)) {
        assert_true (*(int *)size >= 20);
        assert_true (*(int *)size <= 30);
    }
    /* the deliberate bad rows and the warnings, exactly */
    assert_int_equal (w.rejected_import, s_expected (dir, "bad_rows.import"));
    assert_int_equal (w.rejected_import, 6);
    assert_int_equal (w.rejected_store, s_expected (dir, "bad_rows.store"));
    const char *codes[] = {"W_LEGAL_NUMBER_FORMAT", "W_NIK_SEX",
                           "W_NIK_PROVINCE"};
    for (int i = 0; i < 3; i++) {
        char key[64];
        snprintf (key, sizeof key, "warnings.%s", codes[i]);
        int *count = zhashx_lookup (w.warnings, codes[i]);
        assert_non_null (count);
        assert_int_equal (*count, s_expected (dir, key));
    }
    assert_int_equal (zhashx_size (w.warnings), 3);
    assert_true (excel_files > 10 && iso_files > 10);

    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++)
        zhashx_destroy (maps[i]);
    jk_test_rmdir (&dir);
}

/* Kecamatan spread: every kecamatan has cooperatives, the Puncak towns
   the most. */
static void test_spread (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("sample");
    assert_int_equal (s_generate (dir, "7", NULL), 0);
    const jk_region_t *region = jk_region_default ();
    long total = 0, active = 0;
    long cianjur = 0, smallest = 100000;
    for (size_t k = 0; k < jk_region_kecamatan_count (region); k++) {
        const char *code = jk_region_kecamatan_at (region, k, NULL);
        char key[64];
        snprintf (key, sizeof key, "kecamatan.%s.registered", code);
        long registered = s_expected (dir, key);
        snprintf (key, sizeof key, "kecamatan.%s.active", code);
        long on = s_expected (dir, key);
        assert_true (registered >= 10);
        assert_true (on >= 0 && on <= registered);
        total += registered;
        active += on;
        if (strcmp (code, "32.03.01") == 0)
            cianjur = registered;
        if (registered < smallest)
            smallest = registered;
    }
    assert_int_equal (total, 1503);
    assert_int_equal (active, 350);
    assert_true (cianjur > 4 * smallest);
    /* no bad rows unless asked for */
    char *bad = jk_sprintf ("%s/bad-rows.tsv", dir);
    assert_null (jk_test_slurp (bad, NULL));
    free (bad);
    assert_int_equal (s_expected (dir, "bad_rows.import"), 0);
    jk_test_rmdir (&dir);
}

/* DIR/README.txt's line that starts with start, or fails. */
static char *s_readme_line (const char *dir, const char *start)
{
    char *path = jk_sprintf ("%s/README.txt", dir);
    char *text = jk_test_slurp (path, NULL);
    free (path);
    assert_non_null (text);
    char *line = NULL;
    for (const char *p = text; *p && !line; p += strcspn (p, "\n")) {
        if (*p == '\n')
            p++;
        if (strncmp (p, start, strlen (start)) == 0)
            line = jk_strndup (p, strcspn (p, "\n"));
    }
    free (text);
    if (!line)
        fail_msg ("README.txt has no line starting '%s'", start);
    return line;
}

/* The set generated for a region is that region's throughout: every
   cooperative's nik_koperasi starts with the regency's code (so a hub of
   the region warns of none, W_NIK_KOPERASI_PREFIX), and the README names
   the regency and its kecamatan. */
static void s_check_region (const char *region, const char *prefix,
                            const char *title, const char *offices)
{
    char *dir = jk_test_tmpdir ("sample");
    char *argv[] = {"jejak-sample", "--out",        dir, "--seed", "5",
                    "--region",     (char *)region, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal (jk_test_run (argv, &out, &err, 30000), 0);
    free (out);
    free (err);
    char lerr[256];
    jk_region_t *hub = jk_region_load_default_dir (region, lerr, sizeof lerr);
    if (!hub)
        fail_msg ("%s", lerr);
    int64_t now = (int64_t)jk_days_from_civil (2022, 12, 31) * 86400000LL;
    jk_clock_set (now);
    jk_context_t ctx = {.now_ms = now, .region = hub};
    const jk_type_t *type = jk_vocabulary_find (
        "cooperative.registered", strlen ("cooperative.registered"));
    assert_non_null (type);

    static plan_line_t plan[256];
    int n = s_plan (dir, plan, 256);
    int rows = 0, given = 0, prefixed = 0, warned = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp (plan[i].type, "cooperative.registered") != 0)
            continue;
        csv_t csv;
        s_csv_load (&csv, dir, plan[i].path);
        for (int r = 0; r < csv.rows; r++) {
            const char *nik = s_cell (&csv, r, "nik_koperasi");
            rows++;
            given += nik[0] != 0;
            prefixed += strncmp (nik, prefix, strlen (prefix)) == 0;
            jk_event_t *ev = jk_event_new (type);
            jk_event_set_source (ev, plan[i].source);
            jk_event_set_actor (ev, "operator-1");
            ev->seq = (uint64_t)r + 1;
            jk_report_t report;
            jk_report_reset (&report);
            int rc = 0;
            for (int c = 0; c < csv.columns && rc == 0; c++)
                if (csv.cells[r][c][0])
                    rc = jk_event_set (ev, csv.header[c], csv.cells[r][c],
                                       &report);
            if (rc == 0)
                rc = jk_event_validate (ev, &ctx, &report);
            assert_int_equal (rc, 0);
            for (int k = 0; k < report.warning_count; k++)
                warned += strcmp (report.warnings[k].code,
                                  "W_NIK_KOPERASI_PREFIX") == 0;
            jk_event_destroy (&ev);
        }
        s_csv_free (&csv);
    }
    jk_clock_set (0);
    assert_int_equal (rows, 1503);
    assert_true (given > 350);
    assert_int_equal (prefixed, given);
    assert_int_equal (warned, 0);

    char *line = s_readme_line (dir, "Jejak sample data: ");
    char *want = jk_sprintf ("Jejak sample data: %s, 2022 (seed 5)", title);
    assert_string_equal (line, want);
    free (line);
    free (want);
    line = s_readme_line (dir, "Files of the offices");
    want = jk_sprintf ("Files of the offices of kecamatan %s and the "
                       "dinas's status,",
                       offices);
    assert_string_equal (line, want);
    free (line);
    free (want);
    jk_region_destroy (&hub);
    jk_test_rmdir (&dir);
}

static void test_region_codes (void **state)
{
    (void)state;
    s_check_region ("32.03", "3203", "Kabupaten Cianjur",
                    "32.03.01, .03, .05 ...");
    s_check_region ("32.04", "3204", "Kabupaten Bandung",
                    "32.04.05, .07, .09 ...");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_same_seed_same_bytes),
        cmocka_unit_test (test_usage_errors),
        cmocka_unit_test (test_every_row_validates),
        cmocka_unit_test (test_spread),
        cmocka_unit_test (test_region_codes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
