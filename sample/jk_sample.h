/*  jk_sample.h - the sample-data generator behind jejak-sample: a seeded,
    deterministic Cianjur 2022 data set (cooperatives, RATs, people, a
    DAK_NF_PK2UMK training programme, attendance, assessments and
    certificates) written as the CSV files the office agents import, with
    the import plan. Called by jejak_sample.c; see docs/SAMPLE-DATA.md. */
#ifndef JK_SAMPLE_H
#define JK_SAMPLE_H

#include "jk_schema.h"

typedef struct {
    const char *out_dir; /* where the files go; created if absent */
    uint64_t seed;       /* same seed, same bytes */
    int cooperatives;    /* cooperatives registered (1503) */
    int active;          /* of them with a RAT for 2021 (350) */
    bool bad_rows;       /* add the deliberate bad rows */
} jk_sample_config_t;

/* Generates the data set for config from the region reference data.
   Returns JK_OK, JK_INVALID with a message in err when the configuration
   cannot be met (too few cooperatives for the active ones ...), or JK_IO
   when a file cannot be written. */
int jk_sample_generate (const jk_sample_config_t *config,
                        const jk_region_t *region, char *err, size_t err_size);

/* ---- word lists (sample_words.c) --------------------------------------- */
typedef struct {
    const char *const *items; /* the words */
    size_t count;             /* how many */
} jk_words_t;

extern const jk_words_t jk_words_given_male;    /* Asep, Dedi ... */
extern const jk_words_t jk_words_given_female;  /* Euis, Siti ... */
extern const jk_words_t jk_words_family_male;   /* Supriadi ... */
extern const jk_words_t jk_words_family_female; /* Kurniasih ... */
extern const jk_words_t jk_words_degree;        /* S.E., S.Pd. ... */
extern const jk_words_t jk_words_coop_name;     /* Mekar Sari ... */
extern const jk_words_t jk_words_hamlet;        /* Babakan ... */
extern const jk_words_t jk_words_street;        /* Raya Cipanas ... */

#endif
