/*  sample.c - the generator behind jejak-sample: builds a deterministic
    Cianjur 2022 data set in memory from a seeded PRNG and the region
    reference data, then writes one CSV file per office and event type,
    the import plan (plan.txt), the expected figures (expected.tsv) and a
    README. Called by jejak_sample.c. */
#include "jk_sample.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- a small PRNG ----------------------------------------------------------
   splitmix64: tiny, fast, and the same on every platform, so a seed
   gives the same bytes everywhere. Every draw goes through one stream in a
   fixed order. */
typedef struct {
    uint64_t state; /* advances by the golden gamma */
} rng_t;

static uint64_t s_next (rng_t *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A number in 0 .. n-1 (n > 0). The modulo bias is far below anything a
   data set of this size could show. */
static int s_below (rng_t *rng, int n)
{
    return (int)(s_next (rng) % (uint64_t)n);
}

static int s_between (rng_t *rng, int lo, int hi)
{
    return lo + s_below (rng, hi - lo + 1);
}

/* True with the given chance in percent. */
static bool s_chance (rng_t *rng, int percent)
{
    return s_below (rng, 1000) < percent * 10;
}

static const char *s_word (rng_t *rng, const jk_words_t *words)
{
    return words->items[s_below (rng, (int)words->count)];
}

/* An index picked with the given weights. */
static int s_weighted (rng_t *rng, const int *weights, int count)
{
    int total = 0;
    for (int i = 0; i < count; i++)
        total += weights[i];
    int pick = s_below (rng, total);
    for (int i = 0; i < count; i++) {
        if (pick < weights[i])
            return i;
        pick -= weights[i];
    }
    return count - 1;
}

static int32_t s_day (int year, int month, int day)
{
    return jk_days_from_civil (year, month, day);
}

/* ---- the data set
 * ------------------------------------------------------------ */

enum {
    KIND_SP,
    KIND_KONSUMEN,
    KIND_PRODUSEN,
    KIND_PEMASARAN,
    KIND_JASA,
    KIND_SU
};
static const char *const s_kind_names[] = {"SIMPAN_PINJAM", "KONSUMEN",
                                           "PRODUSEN",      "PEMASARAN",
                                           "JASA",          "SERBA_USAHA"};
static const int s_kind_weights[] = {38, 10, 9, 7, 6, 30};

enum {
    ROLE_KETUA,
    ROLE_SEKRETARIS,
    ROLE_BENDAHARA,
    ROLE_PENGAWAS,
    ROLE_MANAJER
};
static const char *const s_role_names[] = {"KETUA", "SEKRETARIS", "BENDAHARA",
                                           "PENGAWAS", "MANAJER"};

typedef struct {
    const char *code;           /* "32.03.10" */
    const char *name;           /* "Pacet" */
    int number;                 /* 10: the kecamatan part of the code */
    char device[40];            /* "pacet-1" */
    char attendance[40];        /* "pacet-absensi" */
    int desa_first, desa_count; /* its desa in the region's desa order */
    int cooperatives;           /* cooperatives seated here */
    int active;                 /* of them with a RAT for 2021 */
    bool excel;                 /* its files use the ';' dialect */
} kecamatan_t;

typedef struct {
    char legal[80];      /* legal number as written */
    char normalised[80]; /* for uniqueness */
    int32_t legal_date;  /* days */
    char name[160];
    bool sekunder;
    int kind; /* KIND_* */
    bool syariah;
    bool wanita;           /* a women's cooperative */
    bool odd_legal;        /* a legal number in an odd format */
    int kecamatan;         /* index into kecamatan */
    int desa;              /* region desa index */
    char address[200];     /* "" when not given */
    char nik_koperasi[16]; /* "" when not given */
    int members_male, members_female;
    bool active;      /* RAT for book year 2021 */
    int32_t rat_2021; /* held_on, when active */
    int present_2021;
    bool rat_2020; /* also a RAT for book year 2020 */
    int32_t rat_2020_on;
    int present_2020;
    int status; /* 0 none, 1 TIDAK_AKTIF, 2 DIBEKUKAN */
    int32_t status_on;
    char basis[64];
} coop_t;

typedef struct {
    char nik[17];
    char name[100];
    bool female;    /* as written in the sex column */
    int32_t birth;  /* days */
    int desa;       /* region desa index */
    char phone[20]; /* "" when not given */
    int coop;       /* index into coops */
    int role;       /* ROLE_* */
    int kecamatan;  /* the office that registers the person */
} person_t;

#define SESSIONS_PER_BATCH 9
#define BATCH_MAX          30
#define UNITS_MAX          6

typedef struct {
    int32_t date;
    int starts, ends; /* minutes after midnight */
    int jp;
    const char *topic;
} session_t;

typedef struct {
    int status;              /* 0 HADIR 1 TERLAMBAT 2 IZIN 3 SAKIT 4 ALPA */
    int check_in, check_out; /* minutes, -1 when absent */
    int method;              /* 0 PAPER 1 QR 2 OPERATOR */
} presence_t;

typedef struct {
    char code[32]; /* PK2UMK-2022-01 */
    const char *venue;
    int venue_kecamatan; /* index into kecamatan */
    int venue_desa;      /* region desa index */
    int32_t start;
    session_t sessions[SESSIONS_PER_BATCH];
    int jp_total;
    int size;
    int people[BATCH_MAX]; /* indexes into people */
    presence_t presence[BATCH_MAX][SESSIONS_PER_BATCH];
    bool eligible[BATCH_MAX]; /* reached min_attendance_pct */
    char source[64];          /* who records attendance */
    /* the assessment */
    char assessment[40];
    int32_t assessed_on;
    int unit_count;
    int units[UNITS_MAX]; /* indexes into s_units */
    int assessor_count;
    char assessors[3][32];
    int assessor_of[BATCH_MAX];
    bool unit_k[BATCH_MAX][UNITS_MAX];
    int score[BATCH_MAX][UNITS_MAX];
    int32_t issued_on;
} batch_t;

typedef struct {
    const char *domain;
    char source[64];
    const char *type;
    char path[96];
} plan_line_t;

typedef struct {
    const jk_sample_config_t *config;
    const jk_region_t *region;
    rng_t rng;
    char regency[8]; /* "32.03" */
    int province_number, regency_number;
    kecamatan_t *kecamatan;
    int kecamatan_count;
    coop_t *coops;
    int coop_count;
    person_t *people;
    int person_count, person_cap;
    batch_t batches[6];
    int batch_count;
    plan_line_t *plan;
    int plan_count, plan_cap;
    /* figures for expected.tsv */
    int warn_legal, warn_sex, warn_province;
    int bad_import, bad_store;
    char bad_list[2048]; /* bad-rows.tsv text */
    char *err;
    size_t err_size;
} gen_t;

/* ---- CSV output
   --------------------------------------------------------------- Two dialects,
   as Indonesian offices export them: "excel" (';', UTF-8 BOM, CRLF, dd/mm/yyyy,
   ya/tidak) and "iso" (',', LF, yyyy-mm-dd, true/false). Cells holding the
   separator, a quote or a line break are quoted with doubled quotes. */
typedef struct {
    FILE *file;
    bool excel;
    bool row_open; /* a cell was written on this row */
    int line;      /* physical line of the last row */
    int rows;
    char path[96]; /* relative to out_dir */
    char full[1024];
    const char *domain, *type;
    char source[64];
} csv_t;

static int s_mkdir (const char *path)
{
    if (mkdir (path, 0755) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

static int s_csv_open (gen_t *gen, csv_t *csv, const char *domain,
                       const char *source, const char *type, bool excel,
                       const char *const *header)
{
    memset (csv, 0, sizeof *csv);
    char office[16];
    jk_source_office (source, strlen (source), office, sizeof office);
    snprintf (csv->path, sizeof csv->path, "%s/%s.csv", office, type);
    char dir[1024];
    snprintf (dir, sizeof dir, "%s/%s", gen->config->out_dir, office);
    snprintf (csv->full, sizeof csv->full, "%s/%s", gen->config->out_dir,
              csv->path);
    csv->excel = excel;
    csv->domain = domain;
    csv->type = type;
    snprintf (csv->source, sizeof csv->source, "%s", source);
    if (s_mkdir (dir) != 0 || !(csv->file = fopen (csv->full, "wb"))) {
        snprintf (gen->err, gen->err_size, "cannot write %s: %s", csv->full,
                  strerror (errno));
        return JK_IO;
    }
    if (excel)
        fputs ("\xef\xbb\xbf", csv->file);
    for (int i = 0; header[i]; i++)
        fprintf (csv->file, "%s%s", i ? (excel ? ";" : ",") : "", header[i]);
    fputs (excel ? "\r\n" : "\n", csv->file);
    csv->line = 1;
    return JK_OK;
}

static void s_cell (csv_t *csv, const char *text)
{
    char sep = csv->excel ? ';' : ',';
    if (csv->row_open)
        fputc (sep, csv->file);
    csv->row_open = true;
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

static void s_cell_int (csv_t *csv, long long value)
{
    char text[24];
    snprintf (text, sizeof text, "%lld", value);
    s_cell (csv, text);
}

static void s_cell_date (csv_t *csv, int32_t days)
{
    int y, m, d;
    jk_civil_from_days (days, &y, &m, &d);
    char text[16];
    if (csv->excel)
        snprintf (text, sizeof text, "%02d/%02d/%04d", d, m, y);
    else
        snprintf (text, sizeof text, "%04d-%02d-%02d", y, m, d);
    s_cell (csv, text);
}

static void s_cell_time (csv_t *csv, int minutes)
{
    char text[16];
    if (minutes < 0)
        text[0] = 0;
    else
        snprintf (text, sizeof text, "%02d:%02d", (minutes / 60) % 24,
                  minutes % 60);
    s_cell (csv, text);
}

static void s_cell_bool (csv_t *csv, bool value)
{
    s_cell (csv,
            csv->excel ? (value ? "ya" : "tidak") : (value ? "true" : "false"));
}

static void s_row_end (csv_t *csv)
{
    fputs (csv->excel ? "\r\n" : "\n", csv->file);
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
static int s_csv_close (gen_t *gen, csv_t *csv)
{
    int rc = fclose (csv->file) == 0 ? JK_OK : JK_IO;
    csv->file = NULL;
    if (rc != JK_OK) {
        snprintf (gen->err, gen->err_size, "cannot write %s", csv->full);
        return rc;
    }
    if (csv->rows == 0)
        remove (csv->full);
    else
        s_plan_add (gen, csv->domain, csv->source, csv->type, csv->path);
    return JK_OK;
}

/* ---- regions
 * ------------------------------------------------------------------ */

/* Plausible weights for Cianjur's kecamatan by their number: the towns
   along the Puncak road (Cianjur, Karangtengah, Pacet, Cipanas, Cugenang)
   hold most cooperatives, the southern coast few. Another regency's
   kecamatan all weigh the same. */
static const int s_kecamatan_weights[] = {
    0,  150, 50, 60, 60, 55, 40, 80, 45, 50, 80, 65, 40, 45, 35, 35, 28,
    25, 30,  30, 25, 35, 20, 25, 18, 15, 15, 30, 85, 18, 18, 30, 15};

static void s_device_name (const char *name, const char *suffix, char *out,
                           size_t size)
{
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < size; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            c = '-';
        out[n++] = c;
    }
    out[n] = 0;
    snprintf (out + n, size - n, "-%s", suffix);
}

static int s_regions (gen_t *gen)
{
    const jk_region_t *region = gen->region;
    snprintf (gen->regency, sizeof gen->regency, "%s",
              jk_region_regency (region));
    gen->province_number = atoi (gen->regency);
    gen->regency_number = atoi (gen->regency + 3);
    gen->kecamatan_count = (int)jk_region_kecamatan_count (region);
    if (gen->kecamatan_count == 0) {
        snprintf (gen->err, gen->err_size,
                  "the reference data holds no kecamatan");
        return JK_INVALID;
    }
    gen->kecamatan =
        jk_calloc ((size_t)gen->kecamatan_count, sizeof *gen->kecamatan);
    int *weights = jk_calloc ((size_t)gen->kecamatan_count, sizeof *weights);
    int total = 0;
    for (int i = 0; i < gen->kecamatan_count; i++) {
        kecamatan_t *k = &gen->kecamatan[i];
        k->code = jk_region_kecamatan_at (region, (size_t)i, &k->name);
        k->number = atoi (k->code + 6);
        s_device_name (k->name, "1", k->device, sizeof k->device);
        s_device_name (k->name, "absensi", k->attendance, sizeof k->attendance);
        k->excel = i % 2 == 0;
        k->desa_first = -1;
        for (size_t d = 0; d < jk_region_desa_count (region); d++) {
            const char *kec;
            jk_region_desa_at (region, d, NULL, &kec);
            if (strcmp (kec, k->code) == 0) {
                if (k->desa_first < 0)
                    k->desa_first = (int)d;
                k->desa_count++;
            }
        }
        if (k->desa_count == 0) {
            snprintf (gen->err, gen->err_size,
                      "kecamatan %s has no desa in the reference data",
                      k->code);
            free (weights);
            return JK_INVALID;
        }
        int number = k->number;
        weights[i] =
            strcmp (gen->regency, "32.03") == 0 && number > 0 && number < 33
                ? s_kecamatan_weights[number]
                : 30;
        total += weights[i];
    }
    /* Counts proportional to the weights (rounded down), then the rest
       handed out one at a time by weight, so they add up to exactly the
       number asked for; every kecamatan gets at least one when there are
       enough cooperatives to go round. */
    int n = gen->config->cooperatives;
    int given = 0;
    for (int i = 0; i < gen->kecamatan_count; i++) {
        kecamatan_t *k = &gen->kecamatan[i];
        k->cooperatives = (int)((long long)n * weights[i] / total);
        if (k->cooperatives == 0 && n >= gen->kecamatan_count)
            k->cooperatives = 1;
        given += k->cooperatives;
    }
    while (given != n) {
        /* hand out (or take back) one at a time, by weight */
        int i = s_weighted (&gen->rng, weights, gen->kecamatan_count);
        kecamatan_t *k = &gen->kecamatan[i];
        if (given < n) {
            k->cooperatives++;
            given++;
        } else if (k->cooperatives > 1) {
            k->cooperatives--;
            given--;
        }
    }
    free (weights);
    return JK_OK;
}

static const char *s_desa_code (gen_t *gen, int desa, const char **name)
{
    return jk_region_desa_at (gen->region, (size_t)desa, name, NULL);
}

/* A desa of kecamatan k. */
static int s_desa_in (gen_t *gen, int k)
{
    return gen->kecamatan[k].desa_first +
           s_below (&gen->rng, gen->kecamatan[k].desa_count);
}

/* The desa of kecamatan k named like it (the kecamatan's seat), or its
   first desa. */
static int s_seat_desa (gen_t *gen, int k, const char *wanted)
{
    for (int d = 0; d < gen->kecamatan[k].desa_count; d++) {
        const char *name;
        const char *code =
            s_desa_code (gen, gen->kecamatan[k].desa_first + d, &name);
        if ((wanted && strcmp (code, wanted) == 0) ||
            (!wanted && strcmp (name, gen->kecamatan[k].name) == 0))
            return gen->kecamatan[k].desa_first + d;
    }
    return gen->kecamatan[k].desa_first;
}

static int s_kecamatan_by_number (gen_t *gen, int number)
{
    for (int i = 0; i < gen->kecamatan_count; i++)
        if (gen->kecamatan[i].number == number)
            return i;
    return -1;
}

/* ---- cooperatives
 * -------------------------------------------------------------- */

static const char *const s_roman[] = {"I",   "II",   "III", "IV", "V",  "VI",
                                      "VII", "VIII", "IX",  "X",  "XI", "XII"};

static bool s_legal_taken (gen_t *gen, int upto, const char *normalised)
{
    for (int i = 0; i < upto; i++)
        if (strcmp (gen->coops[i].normalised, normalised) == 0)
            return true;
    return false;
}

/* A legal number in the form of its time: AHU since 2019, the legacy
   .../BH/... decrees before, and now and then an odd form that the
   system keeps with a warning. */
static void s_legal_number (gen_t *gen, int index)
{
    coop_t *c = &gen->coops[index];
    rng_t *rng = &gen->rng;
    int y, m, d;
    jk_civil_from_days (c->legal_date, &y, &m, &d);
    do {
        bool odd = c->odd_legal;
        if (odd) {
            switch (s_below (rng, 3)) {
                case 0:
                    snprintf (c->legal, sizeof c->legal, "%d/KEP/KOP/%d",
                              s_between (rng, 10, 999), y);
                    break;
                case 1:
                    snprintf (c->legal, sizeof c->legal, "503/%d-Diskop/%d",
                              s_between (rng, 10, 400), y);
                    break;
                default:
                    snprintf (c->legal, sizeof c->legal, "BH %d TAHUN %d",
                              s_between (rng, 100, 9999), y);
            }
        } else if (y >= 2019) {
            int form = s_below (rng, 10);
            int number = s_between (rng, 100, 29999);
            if (form < 7)
                snprintf (c->legal, sizeof c->legal,
                          "AHU-%07d.AH.01.26.TAHUN %d", number, y);
            else if (form < 9)
                snprintf (c->legal, sizeof c->legal,
                          "AHU-%07d.AH.01.26.Tahun %d", number, y);
            else
                snprintf (c->legal, sizeof c->legal, "AHU-%06d.AH.01.26",
                          number);
        } else {
            int number = s_between (rng, 1, 9999);
            switch (s_below (rng, 4)) {
                case 0:
                case 1:
                    snprintf (c->legal, sizeof c->legal, "%d/BH/XVI/%d", number,
                              y);
                    break;
                case 2:
                    snprintf (c->legal, sizeof c->legal, "%d/BH/KWK.10/%s/%d",
                              number, s_roman[m - 1], y);
                    break;
                default:
                    snprintf (c->legal, sizeof c->legal,
                              "%d/BH/PAD/KWK.10/%s/%d", number, s_roman[m - 1],
                              y);
            }
        }
        jk_legal_class_t cls = jk_legal_number_normalise (
            c->legal, strlen (c->legal), c->normalised, sizeof c->normalised);
        if (!s_legal_taken (gen, index, c->normalised)) {
            if (cls == JK_LEGAL_UNKNOWN)
                gen->warn_legal++;
            return;
        }
    } while (true);
}

static int32_t s_legal_date (gen_t *gen)
{
    static const int bucket_weights[] = {15, 25, 22, 20, 18};
    static const int first[] = {1972, 1990, 2000, 2010, 2019};
    static const int last[] = {1989, 1999, 2009, 2018, 2022};
    int b = s_weighted (&gen->rng, bucket_weights, 5);
    int year = s_between (&gen->rng, first[b], last[b]);
    int32_t from = s_day (year, 1, 2);
    int32_t to = year == 2022 ? s_day (2022, 9, 30) : s_day (year, 12, 28);
    return from + s_below (&gen->rng, to - from + 1);
}

static void s_coop_name (gen_t *gen, coop_t *c)
{
    rng_t *rng = &gen->rng;
    const char *prefix = "Koperasi";
    if (c->sekunder)
        prefix = c->kind == KIND_KONSUMEN ? "Pusat Koperasi Pegawai Republik "
                                            "Indonesia"
                                          : "Gabungan Koperasi";
    else if (c->wanita)
        prefix = "Koperasi Wanita";
    else if (c->syariah)
        prefix = s_chance (rng, 50) ? "KSPPS BMT" : "Koperasi Syariah";
    else {
        static const char *const sp[] = {"Koperasi Simpan Pinjam", "KSP"};
        static const char *const su[] = {"Koperasi Serba Usaha", "KSU",
                                         "Koperasi Unit Desa",
                                         "Koperasi Pondok Pesantren"};
        static const char *const ko[] = {
            "Koperasi Konsumen", "Koperasi Pegawai Republik Indonesia",
            "Koperasi Karyawan", "Koperasi Sekolah"};
        static const char *const pr[] = {"Koperasi Produsen", "Koperasi Tani",
                                         "Koperasi Peternak Sapi Perah",
                                         "Koperasi Produsen Tahu Tempe"};
        static const char *const pe[] = {"Koperasi Pemasaran",
                                         "Koperasi Pedagang Pasar"};
        static const char *const ja[] = {
            "Koperasi Jasa", "Koperasi Jasa Angkutan", "Koperasi Jasa Wisata"};
        switch (c->kind) {
            case KIND_SP:
                prefix = sp[s_below (rng, 2)];
                break;
            case KIND_SU:
                prefix = su[s_below (rng, 4)];
                break;
            case KIND_KONSUMEN:
                prefix = ko[s_below (rng, 4)];
                break;
            case KIND_PRODUSEN:
                prefix = pr[s_below (rng, 4)];
                break;
            case KIND_PEMASARAN:
                prefix = pe[s_below (rng, 2)];
                break;
            default:
                prefix = ja[s_below (rng, 3)];
        }
    }
    const char *words = s_word (rng, &jk_words_coop_name);
    if (s_chance (rng, 50)) {
        const char *desa;
        s_desa_code (gen, c->desa, &desa);
        snprintf (c->name, sizeof c->name, "%s %s %s", prefix, words, desa);
    } else
        snprintf (c->name, sizeof c->name, "%s %s", prefix, words);
}

static void s_address (gen_t *gen, int desa, char *out, size_t size)
{
    rng_t *rng = &gen->rng;
    const char *name;
    const char *code = s_desa_code (gen, desa, &name);
    const char *unit = code[9] == '1' ? "Kel." : "Desa";
    if (s_chance (rng, 55))
        snprintf (out, size, "Kp. %s RT %03d/RW %03d, %s %s",
                  s_word (rng, &jk_words_hamlet), s_between (rng, 1, 8),
                  s_between (rng, 1, 12), unit, name);
    else
        snprintf (out, size, "Jl. %s No. %d, %s %s",
                  s_word (rng, &jk_words_street), s_between (rng, 1, 250), unit,
                  name);
}

static void s_cooperatives (gen_t *gen)
{
    rng_t *rng = &gen->rng;
    gen->coop_count = gen->config->cooperatives;
    gen->coops = jk_calloc ((size_t)gen->coop_count, sizeof *gen->coops);
    /* a handful of legal numbers in forms the system keeps with a
       warning */
    for (int odd = 0; odd < 5 && odd < gen->coop_count;) {
        coop_t *c = &gen->coops[s_below (rng, gen->coop_count)];
        if (!c->odd_legal) {
            c->odd_legal = true;
            odd++;
        }
    }
    int index = 0;
    for (int k = 0; k < gen->kecamatan_count; k++)
        for (int n = 0; n < gen->kecamatan[k].cooperatives; n++) {
            coop_t *c = &gen->coops[index];
            c->kecamatan = k;
            c->desa = s_desa_in (gen, k);
            c->legal_date = s_legal_date (gen);
            c->kind = s_weighted (rng, s_kind_weights, 6);
            c->sekunder = s_chance (rng, 2) &&
                          (c->kind == KIND_KONSUMEN || c->kind == KIND_SU);
            c->syariah = !c->sekunder && s_chance (rng, 5) &&
                         (c->kind == KIND_SP || c->kind == KIND_SU);
            c->wanita = !c->sekunder && !c->syariah && c->kind == KIND_SP &&
                        s_chance (rng, 8);
            s_legal_number (gen, index);
            s_coop_name (gen, c);
            if (s_chance (rng, 85))
                s_address (gen, c->desa, c->address, sizeof c->address);
            int members = s_between (rng, 20, 100);
            if (s_chance (rng, 30))
                members += s_below (rng, 400);
            if (s_chance (rng, 5) || c->sekunder)
                members += s_below (rng, 2000);
            if (c->sekunder)
                members = s_between (rng, 5, 40); /* member cooperatives */
            int female_pct = c->wanita ? 100 : s_between (rng, 25, 60);
            c->members_female = members * female_pct / 100;
            c->members_male = members - c->members_female;
            index++;
        }
}

/* Picks the active cooperatives (a RAT for 2021): newer ones are far
   likelier to meet every year than those founded in the 1970s. */
static int s_activity (gen_t *gen)
{
    rng_t *rng = &gen->rng;
    int32_t last_legal = s_day (2021, 10, 31);
    int eligible = 0;
    for (int i = 0; i < gen->coop_count; i++)
        eligible += gen->coops[i].legal_date <= last_legal;
    if (gen->config->active > eligible) {
        snprintf (gen->err, gen->err_size,
                  "--active %d: only %d cooperatives are old enough to have "
                  "held a RAT for 2021",
                  gen->config->active, eligible);
        return JK_INVALID;
    }
    int chosen = 0;
    while (chosen < gen->config->active) {
        coop_t *c = &gen->coops[s_below (rng, gen->coop_count)];
        if (c->active || c->legal_date > last_legal)
            continue;
        int y, m, d;
        jk_civil_from_days (c->legal_date, &y, &m, &d);
        int percent = y >= 2019 ? 60 : y >= 2010 ? 35 : y >= 1990 ? 20 : 10;
        if (!s_chance (rng, percent))
            continue;
        c->active = true;
        gen->kecamatan[c->kecamatan].active++;
        chosen++;
    }
    static const int month_weights[] = {8, 24, 30, 20, 10, 8};
    for (int i = 0; i < gen->coop_count; i++) {
        coop_t *c = &gen->coops[i];
        int members = c->members_male + c->members_female;
        if (c->active) {
            if (s_chance (rng, 12)) /* late: after 30 June */
                c->rat_2021 = s_day (2022, 7, 1) + s_below (rng, 160);
            else {
                int month = 1 + s_weighted (rng, month_weights, 6);
                c->rat_2021 = s_day (2022, month, s_between (rng, 3, 28));
            }
            int pct = s_chance (rng, 6) ? s_between (rng, 20, 49)
                                        : s_between (rng, 52, 92);
            c->present_2021 = members * pct / 100;
        }
        /* a few also with their 2020 meeting on record, some of them no
           longer meeting in 2022 */
        bool old_enough = c->legal_date <= s_day (2020, 6, 30);
        if (old_enough && s_chance (rng, c->active ? 10 : 1)) {
            c->rat_2020 = true;
            c->rat_2020_on = s_day (2021, 2, 1) + s_below (rng, 200);
            c->present_2020 = members * s_between (rng, 40, 90) / 100;
        }
    }
    /* The dinas declares a handful inactive or frozen. */
    int quiet = 0;
    for (int i = 0; i < gen->coop_count; i++)
        quiet += !gen->coops[i].active && !gen->coops[i].rat_2020;
    int frozen_wanted = quiet >= 16 ? 6 : quiet / 3;
    int inactive_wanted = quiet >= 16 ? 10 : quiet / 3;
    int frozen = 0, inactive = 0;
    while (frozen < frozen_wanted || inactive < inactive_wanted) {
        coop_t *c = &gen->coops[s_below (rng, gen->coop_count)];
        if (c->active || c->rat_2020 || c->status)
            continue;
        c->status_on = s_day (2022, 3, 1) + s_below (rng, 250);
        if (frozen < frozen_wanted) {
            c->status = 2;
            snprintf (c->basis, sizeof c->basis, "518/Kep.%d-Diskopdagin/2022",
                      s_between (rng, 20, 180));
            frozen++;
        } else {
            c->status = 1;
            if (s_chance (rng, 50))
                snprintf (c->basis, sizeof c->basis,
                          "518/%d/BA-Diskopdagin/2022",
                          s_between (rng, 100, 900));
            inactive++;
        }
    }
    /* nik_koperasi: most active cooperatives have updated their data */
    for (int i = 0; i < gen->coop_count; i++) {
        coop_t *c = &gen->coops[i];
        if (s_chance (rng, c->active ? 80 : 20)) {
            do {
                snprintf (c->nik_koperasi, sizeof c->nik_koperasi, "3203%09d",
                          s_between (rng, 1, 999999999));
                bool taken = false;
                for (int k = 0; k < i && !taken; k++)
                    taken = strcmp (gen->coops[k].nik_koperasi,
                                    c->nik_koperasi) == 0;
                if (!taken)
                    break;
            } while (true);
        }
    }
    return JK_OK;
}

/* ---- people
 * ------------------------------------------------------------------------ */

static bool s_nik_taken (gen_t *gen, const char *nik)
{
    for (int i = 0; i < gen->person_count; i++)
        if (strcmp (gen->people[i].nik, nik) == 0)
            return true;
    return false;
}

/* Regencies and cities of West Java other than Cianjur, and a few
   provinces people move from. */
static const int s_jabar[] = {1,  2,  4,  5,  6,  7,  8,  9,  10,
                              11, 12, 13, 14, 15, 16, 17, 18, 71,
                              72, 73, 74, 75, 76, 77, 78, 79};
static const int s_elsewhere[][2] = {{31, 71}, {31, 74}, {33, 2},  {33, 74},
                                     {35, 78}, {36, 1},  {36, 3},  {36, 71},
                                     {12, 71}, {18, 71}, {73, 71}, {34, 4}};

static void s_person (gen_t *gen, int coop, int role, bool female)
{
    rng_t *rng = &gen->rng;
    if (gen->person_count == gen->person_cap) {
        gen->person_cap = gen->person_cap ? 2 * gen->person_cap : 1024;
        gen->people = jk_realloc (gen->people, (size_t)gen->person_cap *
                                                   sizeof *gen->people);
    }
    person_t *p = &gen->people[gen->person_count];
    memset (p, 0, sizeof *p);
    const coop_t *c = &gen->coops[coop];
    p->coop = coop;
    p->role = role;
    p->kecamatan = c->kecamatan;
    p->female = female;
    p->desa = s_chance (rng, 75) ? c->desa : s_desa_in (gen, c->kecamatan);
    int year = role == ROLE_KETUA || role == ROLE_PENGAWAS
                   ? s_between (rng, 1955, 1985)
                   : s_between (rng, 1962, 1997);
    int month = s_between (rng, 1, 12);
    int day = s_between (rng, 1, 28);
    if (s_chance (rng, 10))
        day = s_between (rng, 29, 31);
    if (!jk_date_valid (year, month, day))
        day = 28;
    p->birth = s_day (year, month, day);
    int province, regency, kecamatan;
    int origin = s_below (rng, 100);
    if (origin < 80) {
        province = gen->province_number;
        regency = gen->regency_number;
        kecamatan =
            s_chance (rng, 70)
                ? gen->kecamatan[c->kecamatan].number
                : gen->kecamatan[s_below (rng, gen->kecamatan_count)].number;
    } else if (origin < 95) {
        province = 32;
        regency =
            s_jabar[s_below (rng, (int)(sizeof s_jabar / sizeof *s_jabar))];
        kecamatan = s_between (rng, 1, 30);
    } else {
        int e = s_below (rng, (int)(sizeof s_elsewhere / sizeof *s_elsewhere));
        province = s_elsewhere[e][0];
        regency = s_elsewhere[e][1];
        kecamatan = s_between (rng, 1, 20);
    }
    do {
        unsigned serial = s_chance (rng, 90)
                              ? (unsigned)s_between (rng, 1, 999)
                              : (unsigned)s_between (rng, 1000, 4999);
        char nik[40];
        snprintf (nik, sizeof nik, "%02u%02u%02u%02u%02u%02u%04u",
                  (unsigned)province % 100, (unsigned)regency % 100,
                  (unsigned)kecamatan % 100,
                  (unsigned)(day + (female ? 40 : 0)) % 100,
                  (unsigned)month % 100, (unsigned)year % 100, serial % 10000);
        memcpy (p->nik, nik, 16);
        p->nik[16] = 0;
    } while (s_nik_taken (gen, p->nik));
    const char *given =
        s_word (rng, female ? &jk_words_given_female : &jk_words_given_male);
    const char *family =
        s_word (rng, female ? &jk_words_family_female : &jk_words_family_male);
    const char *honour = "";
    if (year < 1975 && s_chance (rng, 20))
        honour = female ? "Hj. " : "H. ";
    if (s_chance (rng, 12))
        snprintf (p->name, sizeof p->name, "%s%s %s, %s", honour, given, family,
                  s_word (rng, &jk_words_degree));
    else
        snprintf (p->name, sizeof p->name, "%s%s %s", honour, given, family);
    if (s_chance (rng, 90)) {
        static const char *const prefixes[] = {
            "811", "812", "813", "821", "822", "823", "852", "853",
            "857", "858", "856", "877", "878", "838", "831", "895",
            "896", "897", "898", "899", "881", "882"};
        const char *prefix = prefixes[s_below (rng, 22)];
        int digits = s_chance (rng, 60) ? 8 : 7;
        char rest[12];
        for (int i = 0; i < digits; i++)
            rest[i] = (char)('0' + s_below (rng, 10));
        rest[digits] = 0;
        const char *lead = s_chance (rng, 94) ? "0" : "62";
        snprintf (p->phone, sizeof p->phone, "%s%s%s", lead, prefix, rest);
    }
    gen->person_count++;
}

static void s_people (gen_t *gen)
{
    rng_t *rng = &gen->rng;
    for (int i = 0; i < gen->coop_count; i++) {
        const coop_t *c = &gen->coops[i];
        int female_pct = c->wanita ? 100 : 35;
        bool roles[5] = {false};
        if (c->active) {
            roles[ROLE_KETUA] = roles[ROLE_SEKRETARIS] = roles[ROLE_BENDAHARA] =
                true;
            roles[ROLE_MANAJER] = s_chance (rng, 40);
            roles[ROLE_PENGAWAS] = s_chance (rng, 50);
        } else {
            roles[ROLE_KETUA] = s_chance (rng, 50);
            roles[ROLE_SEKRETARIS] = roles[ROLE_KETUA] && s_chance (rng, 20);
            roles[ROLE_BENDAHARA] = roles[ROLE_KETUA] && s_chance (rng, 20);
        }
        for (int r = 0; r < 5; r++)
            if (roles[r])
                s_person (gen, i, r, s_chance (rng, female_pct));
    }
    /* Data-quality warnings the demo should show: a sex written against
       the NIK, and a province code (99) the reference data lacks. */
    for (int tries = 0; gen->warn_sex < 3 && tries < 1000; tries++) {
        person_t *p = &gen->people[s_below (rng, gen->person_count)];
        if (p->nik[6] >= '4' || p->female || gen->coops[p->coop].wanita)
            continue; /* a man on paper written down as P */
        p->female = true;
        gen->warn_sex++;
    }
    for (int tries = 0; gen->warn_province < 2 && tries < 1000; tries++) {
        person_t *p = &gen->people[s_below (rng, gen->person_count)];
        char nik[17];
        memcpy (nik, p->nik, 17);
        nik[0] = nik[1] = '9';
        if (p->nik[0] == '9' || (p->nik[6] < '4') != !p->female ||
            s_nik_taken (gen, nik))
            continue;
        memcpy (p->nik, nik, 17);
        gen->warn_province++;
    }
}

/* ---- the training programme
 * ---------------------------------------------------------- */

typedef struct {
    int venue_number;       /* kecamatan number of the venue */
    const char *venue_desa; /* a desa code, or NULL: the seat */
    const char *venue;
    int month, day; /* first day, 2022 */
    int serves[9];  /* kecamatan numbers, 0-terminated */
} batch_plan_t;

static const batch_plan_t s_batch_plans[] = {
    {10,
     "32.03.10.2012",
     "Gedung PLUT-KUMKM Kabupaten Cianjur, Desa Gadog, Kecamatan Pacet",
     10,
     5,
     {10, 28, 11, 13, 0}},
    {1,
     "32.03.01.1007",
     "Aula Dinas Koperasi UKM Perdagangan dan Industri Kabupaten Cianjur",
     10,
     12,
     {1, 4, 7, 0}},
    {5,
     NULL,
     "Aula Kantor Kecamatan Ciranjang",
     10,
     19,
     {5, 6, 8, 9, 31, 12, 0}},
    {3,
     NULL,
     "Gedung Serbaguna Kecamatan Cibeber",
     10,
     26,
     {3, 2, 27, 15, 25, 0}},
    {14,
     NULL,
     "Aula Kantor Kecamatan Sukanagara",
     11,
     2,
     {14, 16, 18, 19, 17, 29, 0}},
    {21,
     NULL,
     "Balai Pertemuan Kecamatan Sindangbarang",
     11,
     9,
     {21, 20, 22, 23, 24, 26, 30, 32, 0}},
};

static const struct {
    int starts, ends, jp;
} s_day_plan[3] = {{8 * 60, 10 * 60 + 15, 3},
                   {10 * 60 + 30, 12 * 60, 2},
                   {13 * 60, 15 * 60 + 15, 3}};

static const char *const s_topics[SESSIONS_PER_BATCH] = {
    "Pembukaan dan Kebijakan Perkoperasian Kabupaten Cianjur",
    "Tata Kelola Koperasi dan Rapat Anggota Tahunan",
    "Manajemen Keuangan Koperasi",
    "Pembukuan, Akuntansi dan Laporan Keuangan (SAK EP)",
    "Manajemen Risiko Usaha Simpan Pinjam",
    "Perencanaan Usaha dan Rencana Anggaran Koperasi",
    "Pemasaran Produk dan Digitalisasi Koperasi",
    "Pengawasan dan Pemeriksaan Koperasi",
    "Persiapan Uji Kompetensi dan Penutupan"};

static const struct {
    const char *code, *title, *methods;
} s_units[] = {
    {"K.649900.001.01", "Menerapkan Prinsip dan Nilai-nilai Koperasi",
     "WRITTEN,INTERVIEW"},
    {"K.649900.002.01", "Menyusun Rencana Kerja dan Anggaran Koperasi",
     "WRITTEN,PORTFOLIO"},
    {"K.649900.004.01", "Mengelola Administrasi Keanggotaan",
     "OBSERVATION,PORTFOLIO"},
    {"K.649900.007.01", "Menganalisis Kelayakan Pinjaman, Jaminan dan Agunan",
     "WRITTEN,CASE_STUDY"},
    {"K.649900.011.01", "Mengelola Simpanan dan Pinjaman Anggota",
     "OBSERVATION,ORAL"},
    {"K.649900.014.01", "Menyusun Laporan Keuangan Koperasi",
     "WRITTEN,CASE_STUDY,PORTFOLIO"},
    {"K.649900.018.01", "Mempersiapkan Rapat Anggota Tahunan (RAT)",
     "INTERVIEW,PORTFOLIO"},
    {"K.649900.021.01", "Mengendalikan Risiko Usaha Koperasi",
     "WRITTEN,INTERVIEW"},
};
#define UNIT_POOL ((int)(sizeof s_units / sizeof *s_units))

static bool s_serves (const batch_plan_t *plan, int number)
{
    for (int i = 0; plan->serves[i]; i++)
        if (plan->serves[i] == number)
            return true;
    return false;
}

/* Fills a batch with managers of the cooperatives it serves: one person
   per cooperative, active cooperatives first. */
static void s_participants (gen_t *gen, batch_t *b, const batch_plan_t *plan,
                            bool *taken)
{
    rng_t *rng = &gen->rng;
    int want = s_between (rng, 26, BATCH_MAX);
    int *order = jk_malloc ((size_t)gen->person_count * sizeof *order);
    for (int pass = 0; pass < 2 && b->size < want; pass++) {
        int n = 0;
        for (int i = 0; i < gen->person_count; i++) {
            const person_t *p = &gen->people[i];
            const coop_t *c = &gen->coops[p->coop];
            if (!taken[i] && p->role != ROLE_PENGAWAS &&
                c->active == (pass == 0) && !c->status && p->nik[0] != '9' &&
                s_serves (plan, gen->kecamatan[c->kecamatan].number))
                order[n++] = i;
        }
        for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
            int j = s_below (rng, i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < n && b->size < want; i++) {
            int coop = gen->people[order[i]].coop;
            bool coop_in = false;
            for (int k = 0; k < b->size && !coop_in; k++)
                coop_in = gen->people[b->people[k]].coop == coop;
            if (coop_in)
                continue;
            taken[order[i]] = true;
            b->people[b->size++] = order[i];
        }
    }
    free (order);
}

static void s_attendance (gen_t *gen, batch_t *b, bool qr)
{
    rng_t *rng = &gen->rng;
    for (int p = 0; p < b->size; p++) {
        bool often_away = s_chance (rng, 9);
        int attended = 0;
        for (int s = 0; s < SESSIONS_PER_BATCH; s++) {
            const session_t *session = &b->sessions[s];
            presence_t *x = &b->presence[p][s];
            int roll = s_below (rng, 100);
            int away = often_away ? 40 : 3;
            x->method = s_chance (rng, 4) ? 2 : qr ? 1 : 0;
            if (roll < away) {
                static const int absence_weights[] = {40, 35, 25};
                x->status = 2 + s_weighted (rng, absence_weights, 3);
                x->check_in = x->check_out = -1;
                continue;
            }
            if (roll < away + 6) {
                x->status = 1;
                x->check_in = session->starts + s_between (rng, 10, 40);
            } else {
                x->status = 0;
                x->check_in = session->starts - s_between (rng, 0, 25) +
                              (s_chance (rng, 30) ? s_between (rng, 0, 5) : 0);
            }
            x->check_out =
                s_chance (rng, 8) ? -1 : session->ends + s_between (rng, 0, 15);
            attended += session->jp;
        }
        b->eligible[p] = attended * 100 >= 80 * b->jp_total;
    }
}

static void s_assessment (gen_t *gen, batch_t *b, int number)
{
    rng_t *rng = &gen->rng;
    snprintf (b->assessment, sizeof b->assessment, "UK-PK2UMK-2022-%02d",
              number);
    b->assessed_on = b->start + 6; /* the Tuesday after */
    b->unit_count = s_between (rng, 4, UNITS_MAX);
    /* unit 0 always, then a random choice of the others in pool order */
    bool pick[UNIT_POOL] = {true};
    int picked = 1;
    while (picked < b->unit_count) {
        int u = s_between (rng, 1, UNIT_POOL - 1);
        if (!pick[u]) {
            pick[u] = true;
            picked++;
        }
    }
    for (int u = 0, n = 0; u < UNIT_POOL; u++)
        if (pick[u])
            b->units[n++] = u;
    b->assessor_count = s_between (rng, 2, 3);
    for (int a = 0; a < b->assessor_count; a++)
        snprintf (b->assessors[a], sizeof b->assessors[a], "MET.000.%06d.%d",
                  s_between (rng, 1000, 19999), s_between (rng, 2015, 2021));
    for (int p = 0; p < b->size; p++) {
        b->assessor_of[p] = s_below (rng, b->assessor_count);
        bool weak = s_chance (rng, 18);
        for (int u = 0; u < b->unit_count; u++) {
            b->unit_k[p][u] = !(weak && s_chance (rng, 40));
            b->score[p][u] = b->unit_k[p][u] ? s_between (rng, 70, 96)
                                             : s_between (rng, 40, 68);
        }
    }
    b->issued_on = b->assessed_on + s_between (rng, 21, 28);
}

static void s_training (gen_t *gen)
{
    bool *taken = jk_calloc ((size_t)gen->person_count, sizeof *taken);
    bool cianjur = strcmp (gen->regency, "32.03") == 0;
    for (size_t i = 0; i < sizeof s_batch_plans / sizeof *s_batch_plans; i++) {
        const batch_plan_t *plan = &s_batch_plans[i];
        int k = cianjur ? s_kecamatan_by_number (gen, plan->venue_number)
                        : (int)i % gen->kecamatan_count;
        if (k < 0)
            continue;
        batch_t *b = &gen->batches[gen->batch_count];
        memset (b, 0, sizeof *b);
        snprintf (b->code, sizeof b->code, "PK2UMK-2022-%02d",
                  gen->batch_count + 1);
        b->venue = plan->venue;
        b->venue_kecamatan = k;
        b->venue_desa = s_seat_desa (gen, k, plan->venue_desa);
        b->start = s_day (2022, plan->month, plan->day);
        for (int s = 0; s < SESSIONS_PER_BATCH; s++) {
            session_t *session = &b->sessions[s];
            session->date = b->start + s / 3;
            session->starts = s_day_plan[s % 3].starts;
            session->ends = s_day_plan[s % 3].ends;
            session->jp = s_day_plan[s % 3].jp;
            if (s == SESSIONS_PER_BATCH - 1) { /* closing: a short one */
                session->ends = 14 * 60 + 30;
                session->jp = 2;
            }
            session->topic = s_topics[s];
            b->jp_total += session->jp;
        }
        /* The dinas records its own batch; elsewhere the venue's office
           takes the sign-in sheets. */
        if (cianjur && plan->venue_number == 1)
            snprintf (b->source, sizeof b->source, "DINAS/absensi-1");
        else
            snprintf (b->source, sizeof b->source, "%s/%s",
                      gen->kecamatan[k].code, gen->kecamatan[k].attendance);
        if (cianjur)
            s_participants (gen, b, plan, taken);
        else {
            batch_plan_t any = *plan;
            memset (any.serves, 0, sizeof any.serves);
            for (int n = 0; n < 8 && n < gen->kecamatan_count; n++)
                any.serves[n] =
                    gen->kecamatan[(k + n) % gen->kecamatan_count].number;
            s_participants (gen, b, &any, taken);
        }
        s_attendance (gen, b, i == 0);
        s_assessment (gen, b, gen->batch_count + 1);
        gen->batch_count++;
    }
    free (taken);
}

/* ---- writing
 * ----------------------------------------------------------------------- */

static int s_write_cooperatives (gen_t *gen)
{
    static const char *const header[] = {
        "legal_number", "legal_date",   "name",           "form",
        "kind",         "pattern",      "desa_code",      "address",
        "nik_koperasi", "members_male", "members_female", NULL};
    for (int k = 0; k < gen->kecamatan_count; k++) {
        kecamatan_t *kec = &gen->kecamatan[k];
        char source[64];
        snprintf (source, sizeof source, "%s/%s", kec->code, kec->device);
        csv_t csv;
        int rc = s_csv_open (gen, &csv, "registration", source,
                             "cooperative.registered", kec->excel, header);
        if (rc)
            return rc;
        for (int i = 0; i < gen->coop_count; i++) {
            const coop_t *c = &gen->coops[i];
            if (c->kecamatan != k)
                continue;
            s_cell (&csv, c->legal);
            s_cell_date (&csv, c->legal_date);
            s_cell (&csv, c->name);
            s_cell (&csv, c->sekunder ? "SEKUNDER" : "PRIMER");
            s_cell (&csv, s_kind_names[c->kind]);
            s_cell (&csv, c->syariah ? "SYARIAH" : "KONVENSIONAL");
            s_cell (&csv, s_desa_code (gen, c->desa, NULL));
            s_cell (&csv, c->address);
            s_cell (&csv, c->nik_koperasi);
            s_cell_int (&csv, c->members_male);
            s_cell_int (&csv, c->members_female);
            s_row_end (&csv);
        }
        if ((rc = s_csv_close (gen, &csv)))
            return rc;
    }
    return JK_OK;
}

static int s_write_rats (gen_t *gen)
{
    static const char *const header[] = {"legal_number", "book_year",
                                         "held_on",      "members_present",
                                         "quorum_met",   NULL};
    for (int k = 0; k < gen->kecamatan_count; k++) {
        kecamatan_t *kec = &gen->kecamatan[k];
        char source[64];
        snprintf (source, sizeof source, "%s/%s", kec->code, kec->device);
        csv_t csv;
        int rc = s_csv_open (gen, &csv, "registration", source,
                             "cooperative.rat_held", kec->excel, header);
        if (rc)
            return rc;
        for (int year = 2020; year <= 2021; year++)
            for (int i = 0; i < gen->coop_count; i++) {
                const coop_t *c = &gen->coops[i];
                if (c->kecamatan != k ||
                    !(year == 2020 ? c->rat_2020 : c->active))
                    continue;
                int members = c->members_male + c->members_female;
                int present = year == 2020 ? c->present_2020 : c->present_2021;
                s_cell (&csv, c->legal);
                s_cell_int (&csv, year);
                s_cell_date (&csv, year == 2020 ? c->rat_2020_on : c->rat_2021);
                s_cell_int (&csv, present);
                s_cell_bool (&csv, 2 * present > members);
                s_row_end (&csv);
            }
        if ((rc = s_csv_close (gen, &csv)))
            return rc;
    }
    return JK_OK;
}

static int s_write_status (gen_t *gen)
{
    static const char *const header[] = {"legal_number", "status", "basis",
                                         "on", NULL};
    csv_t csv;
    int rc = s_csv_open (gen, &csv, "registration", "DINAS/dinas-1",
                         "cooperative.status_declared", true, header);
    if (rc)
        return rc;
    for (int i = 0; i < gen->coop_count; i++) {
        const coop_t *c = &gen->coops[i];
        if (!c->status)
            continue;
        s_cell (&csv, c->legal);
        s_cell (&csv, c->status == 2 ? "DIBEKUKAN" : "TIDAK_AKTIF");
        s_cell (&csv, c->basis);
        s_cell_date (&csv, c->status_on);
        s_row_end (&csv);
    }
    return s_csv_close (gen, &csv);
}

/* The deliberate bad rows (--with-bad-rows), each with the rule it
   breaks. The last one passes every format rule: the store rejects it as
   a NIK already registered. */
typedef struct {
    const char *cells[8]; /* nik, name, sex, birth_date, desa_code,
                             phone, cooperative, role */
    const char *stage;    /* import or store */
    const char *code;     /* the expected error code */
    const char *why;
} bad_row_t;

static void s_bad_row (gen_t *gen, csv_t *csv, const bad_row_t *bad)
{
    for (int i = 0; i < 8; i++)
        s_cell (csv, bad->cells[i] ? bad->cells[i] : "");
    s_row_end (csv);
    size_t n = strlen (gen->bad_list);
    snprintf (gen->bad_list + n, sizeof gen->bad_list - n,
              "%s\t%d\t%s\t%s\t%s\n", csv->path, csv->line, bad->stage,
              bad->code, bad->why);
    if (strcmp (bad->stage, "import") == 0)
        gen->bad_import++;
    else
        gen->bad_store++;
}

static int s_write_people (gen_t *gen)
{
    static const char *const header[] = {"nik",         "name",      "sex",
                                         "birth_date",  "desa_code", "phone",
                                         "cooperative", "role",      NULL};
    /* the duplicate: the first person of the first office again, under
       another name */
    char duplicate[17] = "", duplicate_sex[2] = "", duplicate_birth[16] = "";
    const char *desa = s_desa_code (gen, gen->kecamatan[0].desa_first, NULL);
    const bad_row_t rows[] = {
        {{"3203017208850003", "Rina Marlina", "P", "12/08/1985", desa,
          "081234567890", NULL, NULL},
         "import",
         "E_NIK_DAY",
         "NIK day of birth 72 (not 01-31 or 41-71)"},
        {{"3203011102850004", "Dadang Kusnadi", "L", "31/02/1985", desa, NULL,
          NULL, NULL},
         "import",
         "E_FIELD_FORMAT",
         "birth_date 31/02/1985 is not a real "
         "date"},
        {{"3203010403790005", "Ujang Sobari", "L", "04/03/1979", desa,
          "0812-345-678", NULL, NULL},
         "import",
         "E_FIELD_FORMAT",
         "phone 0812-345-678 is not a mobile "
         "number"},
        {{"3203011909880006", "Asep Sutisna", "L", "19/09/1988",
          "32.03.01.9999", NULL, NULL, NULL},
         "import",
         "E_REGION",
         "desa_code 32.03.01.9999 is not in the "
         "reference data"},
        {{"3203015505800000", "Euis Komariah", "P", "15/05/1980", desa, NULL,
          NULL, NULL},
         "import",
         "E_NIK_SERIAL",
         "NIK serial 0000"},
        {{"3203012306910007", "Deden Permana", "L", "23/06/1991", desa, NULL,
          NULL, "KETUA"},
         "import",
         "E_FIELD_RULE",
         "role given without cooperative"},
        {{duplicate, "Iis Rohayati", duplicate_sex, duplicate_birth, desa, NULL,
          NULL, NULL},
         "store",
         "duplicate NIK",
         "the NIK of the first person in this "
         "file, registered again"},
    };
    int bad_count =
        gen->config->bad_rows ? (int)(sizeof rows / sizeof *rows) : 0;
    for (int k = 0; k < gen->kecamatan_count; k++) {
        kecamatan_t *kec = &gen->kecamatan[k];
        char source[64];
        snprintf (source, sizeof source, "%s/%s", kec->code, kec->device);
        csv_t csv;
        int rc = s_csv_open (gen, &csv, "registration", source,
                             "person.registered", kec->excel, header);
        if (rc)
            return rc;
        int written = 0, bad = 0;
        for (int i = 0; i < gen->person_count; i++) {
            const person_t *p = &gen->people[i];
            if (p->kecamatan != k)
                continue;
            s_cell (&csv, p->nik);
            s_cell (&csv, p->name);
            s_cell (&csv, p->female ? "P" : "L");
            s_cell_date (&csv, p->birth);
            s_cell (&csv, s_desa_code (gen, p->desa, NULL));
            s_cell (&csv, p->phone);
            s_cell (&csv, gen->coops[p->coop].legal);
            s_cell (&csv, s_role_names[p->role]);
            s_row_end (&csv);
            if (!duplicate[0]) {
                int y, m, d;
                jk_civil_from_days (p->birth, &y, &m, &d);
                memcpy (duplicate, p->nik, 17);
                duplicate_sex[0] = p->female ? 'P' : 'L';
                snprintf (duplicate_birth, sizeof duplicate_birth,
                          "%02d/%02d/%04d", d % 100, m % 100, y % 10000);
            }
            written++;
            /* the bad rows go among the good ones of the first office */
            if (k == 0 && bad < bad_count && written == 2 + 3 * bad)
                s_bad_row (gen, &csv, &rows[bad++]);
        }
        while (k == 0 && bad < bad_count && duplicate[0])
            s_bad_row (gen, &csv, &rows[bad++]);
        if ((rc = s_csv_close (gen, &csv)))
            return rc;
    }
    return JK_OK;
}

static int s_write_batches (gen_t *gen)
{
    static const char *const header[] = {"batch",
                                         "title",
                                         "funding",
                                         "budget_year",
                                         "venue",
                                         "venue_desa_code",
                                         "start_date",
                                         "end_date",
                                         "class_size_max",
                                         "min_attendance_pct",
                                         NULL};
    csv_t csv;
    int rc = s_csv_open (gen, &csv, "registration", "DINAS/dinas-1",
                         "training.batch_scheduled", false, header);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        char title[200];
        snprintf (title, sizeof title,
                  "Pelatihan Manajemen Koperasi PK2UMK 2022, Angkatan %d",
                  i + 1);
        s_cell (&csv, b->code);
        s_cell (&csv, title);
        s_cell (&csv, "DAK_NF_PK2UMK");
        s_cell_int (&csv, 2022);
        s_cell (&csv, b->venue);
        s_cell (&csv, s_desa_code (gen, b->venue_desa, NULL));
        s_cell_date (&csv, b->start);
        s_cell_date (&csv, b->start + 2);
        s_cell_int (&csv, 30);
        s_cell_int (&csv, 80);
        s_row_end (&csv);
    }
    if ((rc = s_csv_close (gen, &csv)))
        return rc;

    static const char *const session_header[] = {
        "batch", "session_no", "date", "starts", "ends", "jp", "topic", NULL};
    rc = s_csv_open (gen, &csv, "registration", "DINAS/dinas-1",
                     "training.session_scheduled", false, session_header);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        for (int s = 0; s < SESSIONS_PER_BATCH; s++) {
            const session_t *session = &b->sessions[s];
            s_cell (&csv, b->code);
            s_cell_int (&csv, s + 1);
            s_cell_date (&csv, session->date);
            s_cell_time (&csv, session->starts);
            s_cell_time (&csv, session->ends);
            s_cell_int (&csv, session->jp);
            s_cell (&csv, session->topic);
            s_row_end (&csv);
        }
    }
    if ((rc = s_csv_close (gen, &csv)))
        return rc;

    static const char *const enrol_header[] = {"batch", "nik", "cooperative",
                                               NULL};
    rc = s_csv_open (gen, &csv, "registration", "DINAS/dinas-1",
                     "training.participant_enrolled", true, enrol_header);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        for (int p = 0; p < b->size; p++) {
            const person_t *person = &gen->people[b->people[p]];
            s_cell (&csv, b->code);
            s_cell (&csv, person->nik);
            s_cell (&csv, gen->coops[person->coop].legal);
            s_row_end (&csv);
        }
    }
    return s_csv_close (gen, &csv);
}

static bool s_excel_source (gen_t *gen, const char *source)
{
    for (int k = 0; k < gen->kecamatan_count; k++)
        if (strncmp (source, gen->kecamatan[k].code, 8) == 0)
            return gen->kecamatan[k].excel;
    return true; /* the dinas */
}

static int s_write_attendance (gen_t *gen)
{
    static const char *const header[] = {"batch",  "session_no", "nik",
                                         "status", "check_in",   "check_out",
                                         "method", NULL};
    static const char *const status[] = {"HADIR", "TERLAMBAT", "IZIN", "SAKIT",
                                         "ALPA"};
    static const char *const method[] = {"PAPER", "QR", "OPERATOR"};
    static const char *const close_header[] = {"batch", NULL};
    /* one file per recording source, then a closing file each */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < gen->batch_count; i++) {
            const batch_t *b = &gen->batches[i];
            bool first = true;
            for (int j = 0; j < i; j++)
                first = first && strcmp (gen->batches[j].source, b->source);
            if (!first)
                continue;
            csv_t csv;
            bool excel = s_excel_source (gen, b->source);
            int rc =
                pass == 0
                    ? s_csv_open (gen, &csv, "attendance", b->source,
                                  "attendance.recorded", excel, header)
                    : s_csv_open (gen, &csv, "attendance", b->source,
                                  "training.batch_closed", excel, close_header);
            if (rc)
                return rc;
            for (int j = i; j < gen->batch_count; j++) {
                const batch_t *same = &gen->batches[j];
                if (strcmp (same->source, b->source))
                    continue;
                if (pass == 1) {
                    s_cell (&csv, same->code);
                    s_row_end (&csv);
                    continue;
                }
                for (int s = 0; s < SESSIONS_PER_BATCH; s++)
                    for (int p = 0; p < same->size; p++) {
                        const presence_t *x = &same->presence[p][s];
                        s_cell (&csv, same->code);
                        s_cell_int (&csv, s + 1);
                        s_cell (&csv, gen->people[same->people[p]].nik);
                        s_cell (&csv, status[x->status]);
                        s_cell_time (&csv, x->check_in);
                        s_cell_time (&csv, x->check_out);
                        s_cell (&csv, method[x->method]);
                        s_row_end (&csv);
                    }
            }
            if ((rc = s_csv_close (gen, &csv)))
                return rc;
        }
    return JK_OK;
}

static int s_write_scoring (gen_t *gen)
{
    const char *source = "DINAS/asesmen-1";
    static const char *const header[] = {
        "assessment", "scheme_code", "scheme_title", "units", "date",
        "batch",      "lsp",         "assessors",    NULL};
    csv_t csv;
    int rc = s_csv_open (gen, &csv, "scoring", source, "assessment.scheduled",
                         false, header);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        char units[1024] = "", assessors[128] = "";
        size_t n = 0;
        for (int u = 0; u < b->unit_count; u++)
            n += (size_t)snprintf (units + n, sizeof units - n, "%s%s=%s",
                                   u ? "|" : "", s_units[b->units[u]].code,
                                   s_units[b->units[u]].title);
        n = 0;
        for (int a = 0; a < b->assessor_count; a++)
            n += (size_t)snprintf (assessors + n, sizeof assessors - n, "%s%s",
                                   a ? "," : "", b->assessors[a]);
        s_cell (&csv, b->assessment);
        s_cell (&csv, "SKM-KOP-2022");
        s_cell (&csv, "Skema Sertifikasi Okupasi Manajer Koperasi");
        s_cell (&csv, units);
        s_cell_date (&csv, b->assessed_on);
        s_cell (&csv, b->code);
        s_cell (&csv, "LSP Perkoperasian Indonesia");
        s_cell (&csv, assessors);
        s_row_end (&csv);
    }
    if ((rc = s_csv_close (gen, &csv)))
        return rc;

    static const char *const unit_header[] = {"assessment", "nik",     "unit",
                                              "methods",    "verdict", "score",
                                              "assessor",   NULL};
    rc = s_csv_open (gen, &csv, "scoring", source, "assessment.unit_assessed",
                     true, unit_header);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        for (int p = 0; p < b->size; p++) {
            if (!b->eligible[p])
                continue;
            for (int u = 0; u < b->unit_count; u++) {
                s_cell (&csv, b->assessment);
                s_cell (&csv, gen->people[b->people[p]].nik);
                s_cell (&csv, s_units[b->units[u]].code);
                s_cell (&csv, s_units[b->units[u]].methods);
                s_cell (&csv, b->unit_k[p][u] ? "K" : "BK");
                s_cell_int (&csv, b->score[p][u]);
                s_cell (&csv, b->assessors[b->assessor_of[p]]);
                s_row_end (&csv);
            }
        }
    }
    if ((rc = s_csv_close (gen, &csv)))
        return rc;

    static const char *const decide_header[] = {"assessment", "nik", "verdict",
                                                NULL};
    rc = s_csv_open (gen, &csv, "scoring", source, "assessment.decided", false,
                     decide_header);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        for (int p = 0; p < b->size; p++) {
            if (!b->eligible[p])
                continue;
            bool all_k = true;
            for (int u = 0; u < b->unit_count; u++)
                all_k = all_k && b->unit_k[p][u];
            s_cell (&csv, b->assessment);
            s_cell (&csv, gen->people[b->people[p]].nik);
            s_cell (&csv, all_k ? "K" : "BK");
            s_row_end (&csv);
        }
    }
    if ((rc = s_csv_close (gen, &csv)))
        return rc;

    static const char *const cert_header[] = {
        "number", "nik", "assessment", "issued_on", "valid_until", NULL};
    rc = s_csv_open (gen, &csv, "scoring", source, "certificate.issued", true,
                     cert_header);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        int issued = 0;
        for (int p = 0; p < b->size; p++) {
            bool all_k = b->eligible[p];
            for (int u = 0; u < b->unit_count; u++)
                all_k = all_k && b->unit_k[p][u];
            if (!all_k)
                continue;
            char number[48];
            snprintf (number, sizeof number, "LSPPI/SKM-KOP/2022/%02d/%03d",
                      i + 1, ++issued);
            s_cell (&csv, number);
            s_cell (&csv, gen->people[b->people[p]].nik);
            s_cell (&csv, b->assessment);
            s_cell_date (&csv, b->issued_on);
            /* every fourth certificate spells out the default validity */
            if (issued % 4 == 0) {
                int y, m, d;
                jk_civil_from_days (b->issued_on, &y, &m, &d);
                s_cell_date (&csv, s_day (y + 3, m, d));
            } else
                s_cell (&csv, "");
            s_row_end (&csv);
        }
    }
    return s_csv_close (gen, &csv);
}

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

static int s_write_summary (gen_t *gen)
{
    text_t plan = {0};
    for (int i = 0; i < gen->plan_count; i++)
        s_add (&plan, "%s %s %s %s\n", gen->plan[i].domain, gen->plan[i].source,
               gen->plan[i].type, gen->plan[i].path);
    int rc = s_write_text (gen, "plan.txt", plan.text ? plan.text : "");
    free (plan.text);
    if (rc)
        return rc;

    int rat_2021 = 0, late = 0, rat_2020 = 0, status = 0, enrolled = 0,
        eligible = 0, competent = 0, attendance = 0, sessions = 0;
    for (int i = 0; i < gen->coop_count; i++) {
        const coop_t *c = &gen->coops[i];
        rat_2021 += c->active;
        late += c->active && c->rat_2021 > s_day (2022, 6, 30);
        rat_2020 += c->rat_2020;
        status += c->status != 0;
    }
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        enrolled += b->size;
        sessions += SESSIONS_PER_BATCH;
        attendance += b->size * SESSIONS_PER_BATCH;
        for (int p = 0; p < b->size; p++) {
            eligible += b->eligible[p];
            bool all_k = b->eligible[p];
            for (int u = 0; u < b->unit_count; u++)
                all_k = all_k && b->unit_k[p][u];
            competent += all_k;
        }
    }
    text_t fig = {0};
    s_add (&fig, "seed\t%llu\n", (unsigned long long)gen->config->seed);
    s_add (&fig, "cooperatives\t%d\n", gen->coop_count);
    s_add (&fig, "active\t%d\n", rat_2021);
    s_add (&fig, "rat_2021\t%d\n", rat_2021);
    s_add (&fig, "rat_2021_late\t%d\n", late);
    s_add (&fig, "rat_2020\t%d\n", rat_2020);
    s_add (&fig, "status_declared\t%d\n", status);
    s_add (&fig, "people\t%d\n", gen->person_count);
    s_add (&fig, "batches\t%d\n", gen->batch_count);
    s_add (&fig, "sessions\t%d\n", sessions);
    s_add (&fig, "enrolled\t%d\n", enrolled);
    s_add (&fig, "attendance\t%d\n", attendance);
    s_add (&fig, "eligible\t%d\n", eligible);
    s_add (&fig, "assessed\t%d\n", eligible);
    s_add (&fig, "competent\t%d\n", competent);
    s_add (&fig, "certificates\t%d\n", competent);
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
        int ok = 0, k = 0;
        for (int p = 0; p < b->size; p++) {
            ok += b->eligible[p];
            bool all_k = b->eligible[p];
            for (int u = 0; u < b->unit_count; u++)
                all_k = all_k && b->unit_k[p][u];
            k += all_k;
        }
        s_add (&fig, "batch.%s.enrolled\t%d\n", b->code, b->size);
        s_add (&fig, "batch.%s.eligible\t%d\n", b->code, ok);
        s_add (&fig, "batch.%s.competent\t%d\n", b->code, k);
    }
    rc = s_write_text (gen, "expected.tsv", fig.text);
    free (fig.text);
    if (rc)
        return rc;
    if (gen->config->bad_rows) {
        text_t bad = {0};
        s_add (&bad, "file\tline\tstage\tcode\twhy\n%s", gen->bad_list);
        rc = s_write_text (gen, "bad-rows.tsv", bad.text);
        free (bad.text);
        if (rc)
            return rc;
    }

    text_t readme = {0};
    s_add (&readme,
           "Jejak sample data: Kabupaten Cianjur, 2022 (seed %llu)\n\n"
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
           "Files of the offices of kecamatan 32.03.01, .03, .05 ... and "
           "the dinas's status,\nenrolment, attendance, unit and "
           "certificate files use ';', a UTF-8 BOM,\nCRLF and dd/mm/yyyy; "
           "the others ',', LF and yyyy-mm-dd.\n"
           "expected.tsv holds the figures the status board should show.\n",
           (unsigned long long)gen->config->seed, gen->coop_count,
           gen->kecamatan_count, rat_2021, late, gen->person_count,
           gen->batch_count, enrolled, eligible, competent, competent);
    if (gen->config->bad_rows)
        s_add (&readme,
               "\nDeliberate bad rows (bad-rows.tsv): %d rows that the agent "
               "reports at\nimport with their line numbers while the good "
               "rows go in, and %d that\nthe store rejects:\n%s",
               gen->bad_import, gen->bad_store, gen->bad_list);
    rc = s_write_text (gen, "README.txt", readme.text);
    free (readme.text);
    return rc;
}

int jk_sample_generate (const jk_sample_config_t *config,
                        const jk_region_t *region, char *err, size_t err_size)
{
    if (!config || !config->out_dir || !region)
        return JK_INVALID;
    gen_t gen = {.config = config,
                 .region = region,
                 .rng = {config->seed},
                 .err = err,
                 .err_size = err_size};
    err[0] = 0;
    int rc = JK_OK;
    if (config->cooperatives < 1 || config->active < 0 ||
        config->active > config->cooperatives) {
        snprintf (err, err_size,
                  "--cooperatives must be 1 or more and --active between 0 "
                  "and --cooperatives");
        return JK_INVALID;
    }
    if (s_mkdir (config->out_dir) != 0) {
        snprintf (err, err_size, "cannot create %s: %s", config->out_dir,
                  strerror (errno));
        return JK_IO;
    }
    if ((rc = s_regions (&gen)))
        goto cleanup;
    s_cooperatives (&gen);
    if ((rc = s_activity (&gen)))
        goto cleanup;
    s_people (&gen);
    s_training (&gen);
    if ((rc = s_write_cooperatives (&gen)) || (rc = s_write_rats (&gen)) ||
        (rc = s_write_status (&gen)) || (rc = s_write_people (&gen)) ||
        (rc = s_write_batches (&gen)) || (rc = s_write_attendance (&gen)) ||
        (rc = s_write_scoring (&gen)) || (rc = s_write_summary (&gen)))
        goto cleanup;
cleanup:
    free (gen.kecamatan);
    free (gen.coops);
    free (gen.people);
    free (gen.plan);
    return rc;
}
