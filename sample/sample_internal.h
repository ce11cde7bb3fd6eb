/*  sample_internal.h - shared between jejak-sample's files only: the
    PRNG, the data set held in memory (gen_t), and each file's entry
    points. The generator in order: sample_world.c (kecamatan,
    cooperatives and their activity), sample_people.c (people and the
    training programme), sample_write.c (one CSV file per office and
    type, headers from the vocabulary table) over sample_csv.c (the two
    CSV dialects), sample_summary.c (plan, expected figures, README), all
    called by jk_sample_generate (sample.c). */
#ifndef JK_SAMPLE_INTERNAL_H
#define JK_SAMPLE_INTERNAL_H

#include "jk_sample.h"

#include <stdio.h>

/* ---- a small PRNG ----------------------------------------------------------
   splitmix64: tiny, fast, and the same on every platform, so a seed
   gives the same bytes everywhere. Every draw goes through one stream in a
   fixed order. */
typedef struct {
    uint64_t state; /* advances by the golden gamma */
} rng_t;

static inline uint64_t jk_sample_next (rng_t *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A number in 0 .. n-1 (n > 0). The modulo bias is far below anything a
   data set of this size could show. */
static inline int jk_sample_below (rng_t *rng, int n)
{
    return (int)(jk_sample_next (rng) % (uint64_t)n);
}

static inline int jk_sample_between (rng_t *rng, int lo, int hi)
{
    return lo + jk_sample_below (rng, hi - lo + 1);
}

/* True with the given chance in percent. */
static inline bool jk_sample_chance (rng_t *rng, int percent)
{
    return jk_sample_below (rng, 1000) < percent * 10;
}

static inline const char *jk_sample_word (rng_t *rng, const jk_words_t *words)
{
    return words->items[jk_sample_below (rng, (int)words->count)];
}

/* An index picked with the given weights. */
static inline int jk_sample_weighted (rng_t *rng, const int *weights, int count)
{
    int total = 0;
    for (int i = 0; i < count; i++)
        total += weights[i];
    int pick = jk_sample_below (rng, total);
    for (int i = 0; i < count; i++) {
        if (pick < weights[i])
            return i;
        pick -= weights[i];
    }
    return count - 1;
}

static inline int32_t jk_sample_day (int year, int month, int day)
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

enum {
    ROLE_KETUA,
    ROLE_SEKRETARIS,
    ROLE_BENDAHARA,
    ROLE_PENGAWAS,
    ROLE_MANAJER
};

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
    int units[UNITS_MAX]; /* indexes into jk_sample_units */
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
    size_t fields; /* the type's fields: cells every row must have */
    size_t cells;  /* cells written on this row */
    int bad_row;   /* the first row with another number of cells, or 0 */
} csv_t;

/* ---- sample_csv.c ---------------------------------------------------- */
int jk_sample_mkdir (const char *path);
int jk_sample_csv_open (gen_t *gen, csv_t *csv, const char *source,
                        const char *type_name, bool excel);
void jk_sample_cell (csv_t *csv, const char *text);
void jk_sample_cell_int (csv_t *csv, long long value);
void jk_sample_cell_date (csv_t *csv, int32_t days);
void jk_sample_cell_time (csv_t *csv, int minutes);
void jk_sample_cell_bool (csv_t *csv, bool value);
void jk_sample_row_end (csv_t *csv);
int jk_sample_csv_close (gen_t *gen, csv_t *csv);

/* ---- sample_world.c -------------------------------------------------- */
int jk_sample_regions (gen_t *gen);
const char *jk_sample_desa_code (gen_t *gen, int desa, const char **name);
int jk_sample_desa_in (gen_t *gen, int k);
int jk_sample_seat_desa (gen_t *gen, int k, const char *wanted);
int jk_sample_kecamatan_by_number (gen_t *gen, int number);
void jk_sample_cooperatives (gen_t *gen);
int jk_sample_activity (gen_t *gen);

/* ---- sample_people.c ------------------------------------------------- */
/* A competency unit of the assessments (SKKNI koperasi). */
typedef struct {
    const char *code, *title, *methods;
} jk_sample_unit_t;
extern const jk_sample_unit_t jk_sample_units[];
void jk_sample_people (gen_t *gen);
void jk_sample_training (gen_t *gen);

/* ---- sample_write.c -------------------------------------------------- */
int jk_sample_write_cooperatives (gen_t *gen);
int jk_sample_write_rats (gen_t *gen);
int jk_sample_write_status (gen_t *gen);
int jk_sample_write_people (gen_t *gen);
int jk_sample_write_batches (gen_t *gen);
int jk_sample_write_attendance (gen_t *gen);
int jk_sample_write_scoring (gen_t *gen);

/* ---- sample_summary.c ------------------------------------------------ */
int jk_sample_write_summary (gen_t *gen);

#endif
