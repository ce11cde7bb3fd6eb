/*  diff.c - compares the projections of two databases through their
    canonical dumps and prints the rows that differ, table by table. The
    determinism check of jejak-replay diff: a rebuild of a live database
    must show no difference. */
#include "jk_projection_table.h"
#include "jk_projections.h"
#include "jk_projector.h"
#include "jk_replay.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One table of a dump: its header line and its row lines. */
typedef struct {
    const char *header; /* "# name (columns)" */
    char **rows;        /* row lines, in dump order */
    size_t count;
} s_table_t;

typedef struct {
    s_table_t *tables;
    size_t count;
} s_dump_t;

/* Splits a dump in place (newlines become NULs) into tables. */
static void s_split (char *text, size_t size, s_dump_t *dump)
{
    size_t cap_tables = 0, cap_rows = 0;
    char *p = text, *end = text + size;
    while (p < end) {
        char *nl = memchr (p, '\n', (size_t)(end - p));
        char *line = p;
        if (nl)
            *nl = 0;
        p = nl ? nl + 1 : end;
        if (!nl && line == end)
            break;
        if (line[0] == '#' || dump->count == 0) {
            if (dump->count == cap_tables) {
                cap_tables = cap_tables ? 2 * cap_tables : 32;
                dump->tables =
                    jk_realloc (dump->tables, cap_tables * sizeof (s_table_t));
            }
            dump->tables[dump->count++] =
                (s_table_t){line[0] == '#' ? line : "# (no table)", NULL, 0};
            cap_rows = 0;
            if (line[0] == '#')
                continue;
        }
        s_table_t *table = &dump->tables[dump->count - 1];
        if (table->count == cap_rows) {
            cap_rows = cap_rows ? 2 * cap_rows : 64;
            table->rows = jk_realloc (table->rows, cap_rows * sizeof (char *));
        }
        table->rows[table->count++] = line;
    }
}

static void s_dump_free (s_dump_t *dump)
{
    for (size_t i = 0; i < dump->count; i++)
        free (dump->tables[i].rows);
    free (dump->tables);
}

/* ---- a set of lines (open addressing) ------------------------------------ */
typedef struct {
    char **slots;
    size_t mask;
} s_set_t;

static uint64_t s_hash (const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
    return h;
}

static void s_set_init (s_set_t *set, char **lines, size_t count)
{
    size_t cap = 16;
    while (cap < 2 * count + 1)
        cap *= 2;
    set->slots = jk_calloc (cap, sizeof (char *));
    set->mask = cap - 1;
    for (size_t i = 0; i < count; i++) {
        size_t k = s_hash (lines[i]) & set->mask;
        while (set->slots[k])
            k = (k + 1) & set->mask;
        set->slots[k] = lines[i];
    }
}

static bool s_set_has (const s_set_t *set, const char *line)
{
    size_t k = s_hash (line) & set->mask;
    while (set->slots[k]) {
        if (strcmp (set->slots[k], line) == 0)
            return true;
        k = (k + 1) & set->mask;
    }
    return false;
}

/* Table name from a header line "# name (cols)", into out. */
static void s_table_name (const char *header, char *out, size_t size)
{
    const char *p = header[0] == '#' ? header + 1 : header;
    while (*p == ' ')
        p++;
    size_t n = strcspn (p, " (");
    snprintf (out, size, "%.*s", (int)(n < size ? n : size - 1), p);
}

/* Prints the file headers before the first difference, then the table's
   title; names[0] is cleared once the file headers are out. */
static void s_title (FILE *out, const char **names, const char *table)
{
    if (names[0]) {
        fprintf (out, "--- %s\n+++ %s\n", names[0], names[1]);
        names[0] = NULL;
    }
    fprintf (out, "@@ %s\n", table);
}

/* Diffs two tables' rows: both are in primary key order, so a two-pointer
   walk pairs changed rows; rows present on only one side are found with
   a set of the other side's lines. */
static int64_t s_diff_rows (const s_table_t *a, const s_table_t *b, FILE *out,
                            bool *titled, const char *title, const char **names)
{
    static const s_table_t none = {NULL, NULL, 0};
    if (!a)
        a = &none;
    if (!b)
        b = &none;
    s_set_t in_a, in_b;
    s_set_init (&in_a, a->rows, a->count);
    s_set_init (&in_b, b->rows, b->count);
    int64_t differences = 0;
    size_t i = 0, j = 0;
    while (i < a->count || j < b->count) {
        const char *ra = i < a->count ? a->rows[i] : NULL;
        const char *rb = j < b->count ? b->rows[j] : NULL;
        if (ra && rb && strcmp (ra, rb) == 0) {
            i++;
            j++;
            continue;
        }
        bool a_only = ra && !s_set_has (&in_b, ra);
        bool b_only = rb && !s_set_has (&in_a, rb);
        if ((a_only || b_only) && out && !*titled) {
            s_title (out, names, title);
            *titled = true;
        }
        if (a_only) {
            if (out)
                fprintf (out, "-%s\n", ra);
            differences++;
            i++;
        }
        if (b_only) {
            if (out)
                fprintf (out, "+%s\n", rb);
            differences++;
            j++;
        }
        if (!a_only && !b_only) {
            /* Both rows exist on the other side, only elsewhere: not a
               difference of content. */
            i += ra != NULL;
            j += rb != NULL;
        }
    }
    free (in_a.slots);
    free (in_b.slots);
    return differences;
}

static const s_table_t *s_find (const s_dump_t *dump, const char *name)
{
    char other[128];
    for (size_t i = 0; i < dump->count; i++) {
        s_table_name (dump->tables[i].header, other, sizeof other);
        if (strcmp (other, name) == 0)
            return &dump->tables[i];
    }
    return NULL;
}

int64_t jk_replay_diff_dumps (char *a, size_t a_size, char *b, size_t b_size,
                              const char *a_name, const char *b_name, FILE *out)
{
    s_dump_t da = {0}, db = {0};
    s_split (a, a_size, &da);
    s_split (b, b_size, &db);
    const char *names[2] = {a_name, b_name};
    int64_t differences = 0;
    char name[128];
    /* Tables of A (with their match in B), then tables only in B. */
    for (size_t k = 0; k < da.count + db.count; k++) {
        bool from_a = k < da.count;
        const s_table_t *self =
            from_a ? &da.tables[k] : &db.tables[k - da.count];
        s_table_name (self->header, name, sizeof name);
        const s_table_t *other = s_find (from_a ? &db : &da, name);
        if (!from_a && other)
            continue; /* already compared */
        const s_table_t *ta = from_a ? self : NULL;
        const s_table_t *tb = from_a ? other : self;
        bool titled = false;
        if (!ta || !tb || strcmp (ta->header, tb->header) != 0) {
            if (out) {
                s_title (out, names, name);
                if (ta)
                    fprintf (out, "-%s\n", ta->header);
                if (tb)
                    fprintf (out, "+%s\n", tb->header);
            }
            titled = true;
            differences++;
        }
        differences += s_diff_rows (ta, tb, out, &titled, name, names);
    }
    s_dump_free (&da);
    s_dump_free (&db);
    return differences;
}

/* Whether db (path, with the projections' file beside it attached)
   holds every projection table: JK_OK, else JK_NOT_FOUND with err naming
   the file and the first table missing in dump order, or JK_IO with
   SQLite's words (not a database). */
static int s_projections_held (sqlite3 *db, const char *path, char *err,
                               size_t err_size)
{
    const char *missing = NULL;
    size_t held = 0, count = jk_ptable_count ();
    for (size_t t = 0; t < count; t++) {
        const char *name = jk_ptable_at (t)->name;
        /* NULL schema: the main file and the attached one alike. */
        int rc = sqlite3_table_column_metadata (db, NULL, name, NULL, NULL,
                                                NULL, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            held++;
        else if (rc != SQLITE_ERROR) {
            snprintf (err, err_size, "%s: %s", path, sqlite3_errmsg (db));
            return JK_IO;
        } else if (!missing || strcmp (name, missing) < 0)
            missing = name;
    }
    if (!missing)
        return JK_OK;
    if (held == 0) {
        /* A store's are in the file beside its log. */
        char *beside = jk_projections_path (path);
        struct stat st;
        if (stat (beside, &st) == 0)
            snprintf (err, err_size,
                      "%s has no projections (no table %s in it or in %s)",
                      path, missing, beside);
        else
            snprintf (err, err_size,
                      "%s has no projections (no table %s, and no %s "
                      "beside it)",
                      path, missing, beside);
        free (beside);
    } else
        snprintf (err, err_size, "%s has incomplete projections (no table %s)",
                  path, missing);
    return JK_NOT_FOUND;
}

/* Dumps one database's projections into a heap buffer. */
static char *s_dump (const char *path, size_t *size, char *err, size_t err_size)
{
    /* The projections' own file when there is one (a store's), else
       the file itself (a rebuild's output holds both). */
    sqlite3 *db = jk_projections_open_read (path, err, err_size);
    if (!db)
        return NULL;
    if (s_projections_held (db, path, err, err_size) != JK_OK) {
        sqlite3_close (db);
        return NULL;
    }
    char *text = NULL;
    FILE *mem = open_memstream (&text, size);
    char reason[256] = "";
    /* One read transaction: the dump sees one version of the tables. */
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
    int rc = jk_projections_dump (db, mem, reason, sizeof reason);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    fclose (mem);
    sqlite3_close (db);
    if (rc != 0) {
        snprintf (err, err_size, "%s: %s", path, reason);
        free (text);
        return NULL;
    }
    return text;
}

int64_t jk_replay_diff (const char *a_path, const char *b_path, FILE *out,
                        char *err, size_t err_size)
{
    size_t a_size = 0, b_size = 0;
    char *a = s_dump (a_path, &a_size, err, err_size);
    if (!a)
        return -1;
    char *b = s_dump (b_path, &b_size, err, err_size);
    if (!b) {
        free (a);
        return -1;
    }
    int64_t differences =
        jk_replay_diff_dumps (a, a_size, b, b_size, a_path, b_path, out);
    free (a);
    free (b);
    return differences;
}
