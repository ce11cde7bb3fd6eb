/*  sample_world.c - the region's kecamatan with their offices, the
    cooperatives seated in them and which of them held their RATs. */
#include "sample_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const int s_kind_weights[] = {38, 10, 9, 7, 6, 30};

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

int jk_sample_regions (gen_t *gen)
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
        int i = jk_sample_weighted (&gen->rng, weights, gen->kecamatan_count);
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

const char *jk_sample_desa_code (gen_t *gen, int desa, const char **name)
{
    return jk_region_desa_at (gen->region, (size_t)desa, name, NULL);
}

/* A desa of kecamatan k. */
int jk_sample_desa_in (gen_t *gen, int k)
{
    return gen->kecamatan[k].desa_first +
           jk_sample_below (&gen->rng, gen->kecamatan[k].desa_count);
}

/* The desa of kecamatan k named like it (the kecamatan's seat), or its
   first desa. */
int jk_sample_seat_desa (gen_t *gen, int k, const char *wanted)
{
    for (int d = 0; d < gen->kecamatan[k].desa_count; d++) {
        const char *name;
        const char *code =
            jk_sample_desa_code (gen, gen->kecamatan[k].desa_first + d, &name);
        if ((wanted && strcmp (code, wanted) == 0) ||
            (!wanted && strcmp (name, gen->kecamatan[k].name) == 0))
            return gen->kecamatan[k].desa_first + d;
    }
    return gen->kecamatan[k].desa_first;
}

int jk_sample_kecamatan_by_number (gen_t *gen, int number)
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
            switch (jk_sample_below (rng, 3)) {
                case 0:
                    snprintf (c->legal, sizeof c->legal, "%d/KEP/KOP/%d",
                              jk_sample_between (rng, 10, 999), y);
                    break;
                case 1:
                    snprintf (c->legal, sizeof c->legal, "503/%d-Diskop/%d",
                              jk_sample_between (rng, 10, 400), y);
                    break;
                default:
                    snprintf (c->legal, sizeof c->legal, "BH %d TAHUN %d",
                              jk_sample_between (rng, 100, 9999), y);
            }
        } else if (y >= 2019) {
            int form = jk_sample_below (rng, 10);
            int number = jk_sample_between (rng, 100, 29999);
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
            int number = jk_sample_between (rng, 1, 9999);
            switch (jk_sample_below (rng, 4)) {
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
    int b = jk_sample_weighted (&gen->rng, bucket_weights, 5);
    int year = jk_sample_between (&gen->rng, first[b], last[b]);
    int32_t from = jk_sample_day (year, 1, 2);
    int32_t to = year == 2022 ? jk_sample_day (2022, 9, 30)
                              : jk_sample_day (year, 12, 28);
    return from + jk_sample_below (&gen->rng, to - from + 1);
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
        prefix = jk_sample_chance (rng, 50) ? "KSPPS BMT" : "Koperasi Syariah";
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
                prefix = sp[jk_sample_below (rng, 2)];
                break;
            case KIND_SU:
                prefix = su[jk_sample_below (rng, 4)];
                break;
            case KIND_KONSUMEN:
                prefix = ko[jk_sample_below (rng, 4)];
                break;
            case KIND_PRODUSEN:
                prefix = pr[jk_sample_below (rng, 4)];
                break;
            case KIND_PEMASARAN:
                prefix = pe[jk_sample_below (rng, 2)];
                break;
            default:
                prefix = ja[jk_sample_below (rng, 3)];
        }
    }
    const char *words = jk_sample_word (rng, &jk_words_coop_name);
    if (jk_sample_chance (rng, 50)) {
        const char *desa;
        jk_sample_desa_code (gen, c->desa, &desa);
        snprintf (c->name, sizeof c->name, "%s %s %s", prefix, words, desa);
    } else
        snprintf (c->name, sizeof c->name, "%s %s", prefix, words);
}

static void s_address (gen_t *gen, int desa, char *out, size_t size)
{
    rng_t *rng = &gen->rng;
    const char *name;
    const char *code = jk_sample_desa_code (gen, desa, &name);
    const char *unit = code[9] == '1' ? "Kel." : "Desa";
    if (jk_sample_chance (rng, 55))
        snprintf (out, size, "Kp. %s RT %03d/RW %03d, %s %s",
                  jk_sample_word (rng, &jk_words_hamlet),
                  jk_sample_between (rng, 1, 8), jk_sample_between (rng, 1, 12),
                  unit, name);
    else
        snprintf (out, size, "Jl. %s No. %d, %s %s",
                  jk_sample_word (rng, &jk_words_street),
                  jk_sample_between (rng, 1, 250), unit, name);
}

void jk_sample_cooperatives (gen_t *gen)
{
    rng_t *rng = &gen->rng;
    gen->coop_count = gen->config->cooperatives;
    gen->coops = jk_calloc ((size_t)gen->coop_count, sizeof *gen->coops);
    /* a handful of legal numbers in forms the system keeps with a
       warning */
    for (int odd = 0; odd < 5 && odd < gen->coop_count;) {
        coop_t *c = &gen->coops[jk_sample_below (rng, gen->coop_count)];
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
            c->desa = jk_sample_desa_in (gen, k);
            c->legal_date = s_legal_date (gen);
            c->kind = jk_sample_weighted (rng, s_kind_weights, 6);
            c->sekunder = jk_sample_chance (rng, 2) &&
                          (c->kind == KIND_KONSUMEN || c->kind == KIND_SU);
            c->syariah = !c->sekunder && jk_sample_chance (rng, 5) &&
                         (c->kind == KIND_SP || c->kind == KIND_SU);
            c->wanita = !c->sekunder && !c->syariah && c->kind == KIND_SP &&
                        jk_sample_chance (rng, 8);
            s_legal_number (gen, index);
            s_coop_name (gen, c);
            if (jk_sample_chance (rng, 85))
                s_address (gen, c->desa, c->address, sizeof c->address);
            int members = jk_sample_between (rng, 20, 100);
            if (jk_sample_chance (rng, 30))
                members += jk_sample_below (rng, 400);
            if (jk_sample_chance (rng, 5) || c->sekunder)
                members += jk_sample_below (rng, 2000);
            if (c->sekunder)
                members =
                    jk_sample_between (rng, 5, 40); /* member cooperatives */
            int female_pct = c->wanita ? 100 : jk_sample_between (rng, 25, 60);
            c->members_female = members * female_pct / 100;
            c->members_male = members - c->members_female;
            index++;
        }
}

/* Picks the active cooperatives (a RAT for 2021) among those founded by
   last_legal: newer ones are far likelier to meet every year than those
   founded in the 1970s. */
static void s_choose_active (gen_t *gen, int32_t last_legal)
{
    rng_t *rng = &gen->rng;
    int chosen = 0;
    while (chosen < gen->config->active) {
        coop_t *c = &gen->coops[jk_sample_below (rng, gen->coop_count)];
        if (c->active || c->legal_date > last_legal)
            continue;
        int y, m, d;
        jk_civil_from_days (c->legal_date, &y, &m, &d);
        int percent = y >= 2019 ? 60 : y >= 2010 ? 35 : y >= 1990 ? 20 : 10;
        if (!jk_sample_chance (rng, percent))
            continue;
        c->active = true;
        gen->kecamatan[c->kecamatan].active++;
        chosen++;
    }
}

/* The RAT dates and attendance: 2021 for the active ones (some late), 2020
   for a few. */
static void s_meetings (gen_t *gen)
{
    rng_t *rng = &gen->rng;
    static const int month_weights[] = {8, 24, 30, 20, 10, 8};
    for (int i = 0; i < gen->coop_count; i++) {
        coop_t *c = &gen->coops[i];
        int members = c->members_male + c->members_female;
        if (c->active) {
            if (jk_sample_chance (rng, 12)) /* late: after 30 June */
                c->rat_2021 =
                    jk_sample_day (2022, 7, 1) + jk_sample_below (rng, 160);
            else {
                int month = 1 + jk_sample_weighted (rng, month_weights, 6);
                c->rat_2021 =
                    jk_sample_day (2022, month, jk_sample_between (rng, 3, 28));
            }
            int pct = jk_sample_chance (rng, 6)
                          ? jk_sample_between (rng, 20, 49)
                          : jk_sample_between (rng, 52, 92);
            c->present_2021 = members * pct / 100;
        }
        /* a few also with their 2020 meeting on record, some of them no
           longer meeting in 2022 */
        bool old_enough = c->legal_date <= jk_sample_day (2020, 6, 30);
        if (old_enough && jk_sample_chance (rng, c->active ? 10 : 1)) {
            c->rat_2020 = true;
            c->rat_2020_on =
                jk_sample_day (2021, 2, 1) + jk_sample_below (rng, 200);
            c->present_2020 = members * jk_sample_between (rng, 40, 90) / 100;
        }
    }
}

/* The dinas declares a handful inactive or frozen. */
static void s_declare_status (gen_t *gen)
{
    rng_t *rng = &gen->rng;
    int quiet = 0;
    for (int i = 0; i < gen->coop_count; i++)
        quiet += !gen->coops[i].active && !gen->coops[i].rat_2020;
    int frozen_wanted = quiet >= 16 ? 6 : quiet / 3;
    int inactive_wanted = quiet >= 16 ? 10 : quiet / 3;
    int frozen = 0, inactive = 0;
    while (frozen < frozen_wanted || inactive < inactive_wanted) {
        coop_t *c = &gen->coops[jk_sample_below (rng, gen->coop_count)];
        if (c->active || c->rat_2020 || c->status)
            continue;
        c->status_on = jk_sample_day (2022, 3, 1) + jk_sample_below (rng, 250);
        if (frozen < frozen_wanted) {
            c->status = 2;
            snprintf (c->basis, sizeof c->basis, "518/Kep.%d-Diskopdagin/2022",
                      jk_sample_between (rng, 20, 180));
            frozen++;
        } else {
            c->status = 1;
            if (jk_sample_chance (rng, 50))
                snprintf (c->basis, sizeof c->basis,
                          "518/%d/BA-Diskopdagin/2022",
                          jk_sample_between (rng, 100, 900));
            inactive++;
        }
    }
}

/* nik_koperasi: most active cooperatives have updated their data. It
   starts with the regency's code without the dot (3203 for Cianjur), as
   a hub of the region expects. */
static void s_nik_koperasi (gen_t *gen)
{
    rng_t *rng = &gen->rng;
    for (int i = 0; i < gen->coop_count; i++) {
        coop_t *c = &gen->coops[i];
        if (jk_sample_chance (rng, c->active ? 80 : 20)) {
            do {
                snprintf (c->nik_koperasi, sizeof c->nik_koperasi,
                          "%02d%02d%09d", gen->province_number % 100,
                          gen->regency_number % 100,
                          jk_sample_between (rng, 1, 999999999));
                bool taken = false;
                for (int k = 0; k < i && !taken; k++)
                    taken = strcmp (gen->coops[k].nik_koperasi,
                                    c->nik_koperasi) == 0;
                if (!taken)
                    break;
            } while (true);
        }
    }
}

/* Picks the active cooperatives, their meetings, the dinas's status
   declarations and the cooperatives' NIK, in this order (one random
   stream). */
int jk_sample_activity (gen_t *gen)
{
    int32_t last_legal = jk_sample_day (2021, 10, 31);
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
    s_choose_active (gen, last_legal);
    s_meetings (gen);
    s_declare_status (gen);
    s_nik_koperasi (gen);
    return JK_OK;
}
