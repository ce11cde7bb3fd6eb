/*  sample_people.c - the people of the cooperatives and the
    DAK_NF_PK2UMK training programme: batches, sessions, participants,
    attendance, assessments and certificates. */
#include "sample_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* The region a person's NIK was issued in: mostly the regency (often
   the cooperative's kecamatan), some elsewhere in West Java, a few from
   other provinces. */
static void s_nik_region (gen_t *gen, const coop_t *c, int *province,
                          int *regency, int *kecamatan)
{
    rng_t *rng = &gen->rng;
    int origin = jk_sample_below (rng, 100);
    if (origin < 80) {
        *province = gen->province_number;
        *regency = gen->regency_number;
        *kecamatan =
            jk_sample_chance (rng, 70)
                ? gen->kecamatan[c->kecamatan].number
                : gen->kecamatan[jk_sample_below (rng, gen->kecamatan_count)]
                      .number;
    } else if (origin < 95) {
        *province = 32;
        *regency = s_jabar[jk_sample_below (
            rng, (int)(sizeof s_jabar / sizeof *s_jabar))];
        *kecamatan = jk_sample_between (rng, 1, 30);
    } else {
        int e = jk_sample_below (
            rng, (int)(sizeof s_elsewhere / sizeof *s_elsewhere));
        *province = s_elsewhere[e][0];
        *regency = s_elsewhere[e][1];
        *kecamatan = jk_sample_between (rng, 1, 20);
    }
}

/* A NIK not taken yet: region, birth date (day + 40 for women), a
   serial. */
static void s_nik (gen_t *gen, person_t *p, int province, int regency,
                   int kecamatan, int year, int month, int day, bool female)
{
    rng_t *rng = &gen->rng;
    do {
        unsigned serial = jk_sample_chance (rng, 90)
                              ? (unsigned)jk_sample_between (rng, 1, 999)
                              : (unsigned)jk_sample_between (rng, 1000, 4999);
        char nik[40];
        snprintf (nik, sizeof nik, "%02u%02u%02u%02u%02u%02u%04u",
                  (unsigned)province % 100, (unsigned)regency % 100,
                  (unsigned)kecamatan % 100,
                  (unsigned)(day + (female ? 40 : 0)) % 100,
                  (unsigned)month % 100, (unsigned)year % 100, serial % 10000);
        memcpy (p->nik, nik, 16);
        p->nik[16] = 0;
    } while (s_nik_taken (gen, p->nik));
}

/* A name from the word lists, H. or Hj. for some born before 1975, a
   degree for some. */
static void s_person_name (rng_t *rng, person_t *p, int year, bool female)
{
    const char *given = jk_sample_word (rng, female ? &jk_words_given_female
                                                    : &jk_words_given_male);
    const char *family = jk_sample_word (rng, female ? &jk_words_family_female
                                                     : &jk_words_family_male);
    const char *honour = "";
    if (year < 1975 && jk_sample_chance (rng, 20))
        honour = female ? "Hj. " : "H. ";
    if (jk_sample_chance (rng, 12))
        snprintf (p->name, sizeof p->name, "%s%s %s, %s", honour, given, family,
                  jk_sample_word (rng, &jk_words_degree));
    else
        snprintf (p->name, sizeof p->name, "%s%s %s", honour, given, family);
}

/* Most have a mobile number, with 0 or 62 in front. */
static void s_person_phone (rng_t *rng, person_t *p)
{
    if (jk_sample_chance (rng, 90)) {
        static const char *const prefixes[] = {
            "811", "812", "813", "821", "822", "823", "852", "853",
            "857", "858", "856", "877", "878", "838", "831", "895",
            "896", "897", "898", "899", "881", "882"};
        const char *prefix = prefixes[jk_sample_below (rng, 22)];
        int digits = jk_sample_chance (rng, 60) ? 8 : 7;
        char rest[12];
        for (int i = 0; i < digits; i++)
            rest[i] = (char)('0' + jk_sample_below (rng, 10));
        rest[digits] = 0;
        const char *lead = jk_sample_chance (rng, 94) ? "0" : "62";
        snprintf (p->phone, sizeof p->phone, "%s%s%s", lead, prefix, rest);
    }
}

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
    p->desa = jk_sample_chance (rng, 75)
                  ? c->desa
                  : jk_sample_desa_in (gen, c->kecamatan);
    int year = role == ROLE_KETUA || role == ROLE_PENGAWAS
                   ? jk_sample_between (rng, 1955, 1985)
                   : jk_sample_between (rng, 1962, 1997);
    int month = jk_sample_between (rng, 1, 12);
    int day = jk_sample_between (rng, 1, 28);
    if (jk_sample_chance (rng, 10))
        day = jk_sample_between (rng, 29, 31);
    if (!jk_date_valid (year, month, day))
        day = 28;
    p->birth = jk_sample_day (year, month, day);
    int province, regency, kecamatan;
    s_nik_region (gen, c, &province, &regency, &kecamatan);
    s_nik (gen, p, province, regency, kecamatan, year, month, day, female);
    s_person_name (rng, p, year, female);
    s_person_phone (rng, p);
    gen->person_count++;
}

void jk_sample_people (gen_t *gen)
{
    rng_t *rng = &gen->rng;
    for (int i = 0; i < gen->coop_count; i++) {
        const coop_t *c = &gen->coops[i];
        int female_pct = c->wanita ? 100 : 35;
        bool roles[5] = {false};
        if (c->active) {
            roles[ROLE_KETUA] = roles[ROLE_SEKRETARIS] = roles[ROLE_BENDAHARA] =
                true;
            roles[ROLE_MANAJER] = jk_sample_chance (rng, 40);
            roles[ROLE_PENGAWAS] = jk_sample_chance (rng, 50);
        } else {
            roles[ROLE_KETUA] = jk_sample_chance (rng, 50);
            roles[ROLE_SEKRETARIS] =
                roles[ROLE_KETUA] && jk_sample_chance (rng, 20);
            roles[ROLE_BENDAHARA] =
                roles[ROLE_KETUA] && jk_sample_chance (rng, 20);
        }
        for (int r = 0; r < 5; r++)
            if (roles[r])
                s_person (gen, i, r, jk_sample_chance (rng, female_pct));
    }
    /* Data-quality warnings the demo should show: a sex written against
       the NIK, and a province code (99) the reference data lacks. */
    for (int tries = 0; gen->warn_sex < 3 && tries < 1000; tries++) {
        person_t *p = &gen->people[jk_sample_below (rng, gen->person_count)];
        if (p->nik[6] >= '4' || p->female || gen->coops[p->coop].wanita)
            continue; /* a man on paper written down as P */
        p->female = true;
        gen->warn_sex++;
    }
    for (int tries = 0; gen->warn_province < 2 && tries < 1000; tries++) {
        person_t *p = &gen->people[jk_sample_below (rng, gen->person_count)];
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

const jk_sample_unit_t jk_sample_units[] = {
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
#define UNIT_POOL ((int)(sizeof jk_sample_units / sizeof *jk_sample_units))

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
    int want = jk_sample_between (rng, 26, BATCH_MAX);
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
            int j = jk_sample_below (rng, i + 1);
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
        bool often_away = jk_sample_chance (rng, 9);
        int attended = 0;
        for (int s = 0; s < SESSIONS_PER_BATCH; s++) {
            const session_t *session = &b->sessions[s];
            presence_t *x = &b->presence[p][s];
            int roll = jk_sample_below (rng, 100);
            int away = often_away ? 40 : 3;
            x->method = jk_sample_chance (rng, 4) ? 2 : qr ? 1 : 0;
            if (roll < away) {
                static const int absence_weights[] = {40, 35, 25};
                x->status = 2 + jk_sample_weighted (rng, absence_weights, 3);
                x->check_in = x->check_out = -1;
                continue;
            }
            if (roll < away + 6) {
                x->status = 1;
                x->check_in = session->starts + jk_sample_between (rng, 10, 40);
            } else {
                x->status = 0;
                x->check_in =
                    session->starts - jk_sample_between (rng, 0, 25) +
                    (jk_sample_chance (rng, 30) ? jk_sample_between (rng, 0, 5)
                                                : 0);
            }
            x->check_out = jk_sample_chance (rng, 8)
                               ? -1
                               : session->ends + jk_sample_between (rng, 0, 15);
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
    b->unit_count = jk_sample_between (rng, 4, UNITS_MAX);
    /* unit 0 always, then a random choice of the others in pool order */
    bool pick[UNIT_POOL] = {true};
    int picked = 1;
    while (picked < b->unit_count) {
        int u = jk_sample_between (rng, 1, UNIT_POOL - 1);
        if (!pick[u]) {
            pick[u] = true;
            picked++;
        }
    }
    for (int u = 0, n = 0; u < UNIT_POOL; u++)
        if (pick[u])
            b->units[n++] = u;
    b->assessor_count = jk_sample_between (rng, 2, 3);
    for (int a = 0; a < b->assessor_count; a++)
        snprintf (b->assessors[a], sizeof b->assessors[a], "MET.000.%06d.%d",
                  jk_sample_between (rng, 1000, 19999),
                  jk_sample_between (rng, 2015, 2021));
    for (int p = 0; p < b->size; p++) {
        b->assessor_of[p] = jk_sample_below (rng, b->assessor_count);
        bool weak = jk_sample_chance (rng, 18);
        for (int u = 0; u < b->unit_count; u++) {
            b->unit_k[p][u] = !(weak && jk_sample_chance (rng, 40));
            b->score[p][u] = b->unit_k[p][u] ? jk_sample_between (rng, 70, 96)
                                             : jk_sample_between (rng, 40, 68);
        }
    }
    b->issued_on = b->assessed_on + jk_sample_between (rng, 21, 28);
}

void jk_sample_training (gen_t *gen)
{
    bool *taken = jk_calloc ((size_t)gen->person_count, sizeof *taken);
    bool cianjur = strcmp (gen->regency, "32.03") == 0;
    for (size_t i = 0; i < sizeof s_batch_plans / sizeof *s_batch_plans; i++) {
        const batch_plan_t *plan = &s_batch_plans[i];
        int k = cianjur
                    ? jk_sample_kecamatan_by_number (gen, plan->venue_number)
                    : (int)i % gen->kecamatan_count;
        if (k < 0)
            continue;
        batch_t *b = &gen->batches[gen->batch_count];
        memset (b, 0, sizeof *b);
        snprintf (b->code, sizeof b->code, "PK2UMK-2022-%02d",
                  gen->batch_count + 1);
        b->venue = plan->venue;
        b->venue_kecamatan = k;
        b->venue_desa = jk_sample_seat_desa (gen, k, plan->venue_desa);
        b->start = jk_sample_day (2022, plan->month, plan->day);
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
