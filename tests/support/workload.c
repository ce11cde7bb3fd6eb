/*  workload.c - the deterministic event stream generator (workload.h).
    Plans one "round" at a time (an office registers cooperatives and
    people, runs a training batch, has it assessed and certified), queues
    the round's events, and hands them out one by one, assigning each
    source's seq and the pinned `at` on the way out. */
#include "workload.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COOPERATIVES 6  /* per round */
#define PEOPLE       14 /* per round; all but two enrol */
#define ENROLLED     12
#define SESSIONS     4
#define SESSION_JP   4
#define UNITS        3

typedef struct {
    char name[JK_SOURCE_MAX + 1];
    uint64_t seq;
} source_t;

/* A planned event: built at planning time, source named, seq and at
   assigned when handed out. */
typedef struct {
    jk_event_t *event;
    int source; /* index into sources */
} planned_t;

struct jk_workload_s {
    jk_workload_config_t config;
    uint64_t rng; /* splitmix64 state */
    const jk_region_t *region;
    size_t produced; /* events handed out */
    uint64_t ids;    /* id counter, makes ids unique */
    int round;
    planned_t *queue; /* this round's plan */
    size_t queue_len, queue_head, queue_cap;
    source_t *sources; /* grows: two per office and the LSP */
    int source_count, source_cap;
    uint64_t legal_counter;  /* cooperatives registered so far */
    uint64_t person_counter; /* people registered so far */
    uint64_t bogus;          /* counter for rejected events' keys */
    char last_legal[64];     /* a registered legal number, for a
                                duplicate registration */
    const char *expected;    /* code for the last event, or NULL */
};

/* ---- randomness and helpers ---------------------------------------------- */

static uint64_t s_next (jk_workload_t *self)
{
    uint64_t z = (self->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in 0 .. n-1. */
static int s_pick (jk_workload_t *self, int n)
{
    return (int)(s_next (self) % (uint64_t)n);
}

/* True with probability percent / 100. */
static bool s_chance (jk_workload_t *self, int percent)
{
    return s_pick (self, 100) < percent;
}

static int s_source (jk_workload_t *self, const char *name)
{
    for (int i = 0; i < self->source_count; i++)
        if (strcmp (self->sources[i].name, name) == 0)
            return i;
    if (self->source_count == self->source_cap) {
        self->source_cap = self->source_cap ? 2 * self->source_cap : 16;
        self->sources = jk_realloc (self->sources, (size_t)self->source_cap *
                                                       sizeof *self->sources);
    }
    snprintf (self->sources[self->source_count].name, JK_SOURCE_MAX + 1, "%s",
              name);
    self->sources[self->source_count].seq = 0;
    return self->source_count++;
}

/* at of the event at index. */
static int64_t s_at (const jk_workload_t *self, size_t index)
{
    return self->config.start_ms + (int64_t)index * self->config.step_ms;
}

/* A UUIDv7 from at and the generator: time, version, variant, random
   bits, and a counter in the last four bytes so ids never repeat. */
static void s_id (jk_workload_t *self, int64_t at, uint8_t id[16])
{
    for (int i = 0; i < 6; i++)
        id[i] = (uint8_t)((uint64_t)at >> (40 - 8 * i));
    uint64_t r = s_next (self);
    id[6] = (uint8_t)(0x70 | (r & 0x0f));
    id[7] = (uint8_t)(r >> 8);
    id[8] = (uint8_t)(0x80 | ((r >> 16) & 0x3f));
    id[9] = (uint8_t)(r >> 24);
    id[10] = (uint8_t)(r >> 32);
    id[11] = (uint8_t)(r >> 40);
    uint32_t n = (uint32_t)++self->ids;
    id[12] = (uint8_t)(n >> 24);
    id[13] = (uint8_t)(n >> 16);
    id[14] = (uint8_t)(n >> 8);
    id[15] = (uint8_t)n;
}

static jk_event_t *s_event (jk_workload_t *self, const char *type,
                            const char *actor)
{
    const jk_type_t *t = jk_vocabulary_find (type, strlen (type));
    assert (t);
    jk_event_t *ev = jk_event_new (t);
    s_id (self, s_at (self, self->produced + self->queue_len), ev->id);
    jk_event_set_actor (ev, actor);
    return ev;
}

/* Sets a field from formatted text; the generator only makes valid text,
   so failure is a bug in this file. */
static void s_set (jk_event_t *ev, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void s_set (jk_event_t *ev, const char *field, const char *format, ...)
{
    char text[512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    jk_report_t report;
    jk_report_reset (&report);
    int rc = jk_event_set (ev, field, text, &report);
    if (rc != 0)
        fprintf (stderr, "workload: %s.%s: %s\n", ev->type->name, field,
                 report.error.message);
    assert (rc == 0);
}

static void s_date (jk_event_t *ev, const char *field, int32_t day)
{
    char text[11];
    jk_date_format (day, text);
    s_set (ev, field, "%s", text);
}

static void s_plan (jk_workload_t *self, jk_event_t *ev, const char *source)
{
    if (self->queue_len == self->queue_cap) {
        self->queue_cap = self->queue_cap ? 2 * self->queue_cap : 256;
        self->queue =
            jk_realloc (self->queue, self->queue_cap * sizeof *self->queue);
    }
    self->queue[self->queue_len++] =
        (planned_t){.event = ev, .source = s_source (self, source)};
}

/* ---- one round ------------------------------------------------------------
 */

static const char *s_kinds[] = {"SIMPAN_PINJAM", "KONSUMEN", "PRODUSEN",
                                "PEMASARAN",     "JASA",     "SERBA_USAHA"};
static const char *s_roles[] = {"KETUA",    "SEKRETARIS", "BENDAHARA",
                                "PENGAWAS", "MANAJER",    "ANGGOTA"};
static const char *s_names[] = {"Asep",   "Dedi",  "Euis",  "Neneng", "Ujang",
                                "Siti",   "Rina",  "Yayat", "Cecep",  "Iis",
                                "Tatang", "Lilis", "Dadan", "Enok"};
static const char *s_methods[] = {"PAPER", "QR", "ONLINE", "OPERATOR"};

typedef struct {
    char legal[64];
} coop_t;

typedef struct {
    char nik[17];
    int coop;
    int jp; /* lesson hours attended (final) */
    bool withdrawn;
} person_t;

/* A desa of the kecamatan code (the reference data's order). */
static const char *s_desa (jk_workload_t *self, const char *kecamatan)
{
    size_t count = jk_region_desa_count (self->region), matches = 0;
    const char *chosen = NULL;
    for (size_t i = 0; i < count; i++) {
        const char *name, *kec;
        const char *code = jk_region_desa_at (self->region, i, &name, &kec);
        /* Reservoir pick: one uniform choice in one pass. */
        if (strcmp (kec, kecamatan) == 0 && s_pick (self, (int)++matches) == 0)
            chosen = code;
    }
    assert (chosen);
    return chosen;
}

static void s_plan_round (jk_workload_t *self)
{
    int office = self->round % self->config.offices;
    int round = self->round++;
    const char *kec_name;
    const char *kec =
        jk_region_kecamatan_at (self->region, (size_t)office, &kec_name);
    char reg[64], att[64];
    snprintf (reg, sizeof reg, "%s/reg-1", kec);
    snprintf (att, sizeof att, "%s/att-1", kec);
    const char *lsp = "DINAS/lsp-1";
    char actor[32];
    snprintf (actor, sizeof actor, "op-%s", kec + 6);
    int32_t day0 = jk_wib_day (s_at (self, self->produced));
    int year, month, mday;
    jk_civil_from_days (day0, &year, &month, &mday);

    /* Cooperatives, their RATs, an update, maybe a status. */
    coop_t coops[COOPERATIVES];
    for (int c = 0; c < COOPERATIVES; c++) {
        uint64_t n = ++self->legal_counter;
        int style = s_pick (self, 100);
        if (style < 80)
            snprintf (coops[c].legal, sizeof coops[c].legal,
                      "AHU-%07llu.AH.01.26",
                      (unsigned long long)(n % 9000000 + 1000000));
        else if (style < 95)
            snprintf (coops[c].legal, sizeof coops[c].legal, "%llu/BH/XII/%d",
                      (unsigned long long)n, 1970 + s_pick (self, 40));
        else
            snprintf (coops[c].legal, sizeof coops[c].legal, "KOP-%llu/%d",
                      (unsigned long long)n, 1990 + s_pick (self, 30));
        jk_event_t *ev = s_event (self, "cooperative.registered", actor);
        s_set (ev, "legal_number", "%s", coops[c].legal);
        s_date (ev, "legal_date", day0 - 400 - s_pick (self, 8000));
        s_set (ev, "name", "Koperasi %s %s %llu", s_kinds[c % 6], kec_name,
               (unsigned long long)n);
        s_set (ev, "form", "%s", s_chance (self, 90) ? "PRIMER" : "SEKUNDER");
        s_set (ev, "kind", "%s", s_kinds[s_pick (self, 6)]);
        s_set (ev, "pattern", "%s",
               s_chance (self, 85) ? "KONVENSIONAL" : "SYARIAH");
        s_set (ev, "desa_code", "%s", s_desa (self, kec));
        if (s_chance (self, 70))
            s_set (ev, "address", "Jl. Raya %s No. %d", kec_name,
                   1 + s_pick (self, 200));
        if (s_chance (self, 40))
            s_set (ev, "nik_koperasi", "%s%09d",
                   s_chance (self, 90) ? "3203" : "3201",
                   s_pick (self, 1000000000));
        s_set (ev, "members_male", "%d", 20 + s_pick (self, 300));
        s_set (ev, "members_female", "%d", 20 + s_pick (self, 300));
        s_plan (self, ev, reg);
    }
    for (int c = 0; c < COOPERATIVES; c++)
        for (int by = year - 3; by < year; by++) {
            if (s_chance (self, 20))
                continue;
            int32_t held =
                jk_days_from_civil (by + 1, 1, 1) + s_pick (self, 300);
            if (held > day0)
                held = day0;
            jk_event_t *ev = s_event (self, "cooperative.rat_held", actor);
            s_set (ev, "legal_number", "%s", coops[c].legal);
            s_set (ev, "book_year", "%d", by);
            s_date (ev, "held_on", held);
            s_set (ev, "members_present", "%d", 10 + s_pick (self, 100));
            s_set (ev, "quorum_met", "%s",
                   s_chance (self, 90) ? "true" : "false");
            s_plan (self, ev, reg);
        }
    {
        jk_event_t *ev = s_event (self, "cooperative.updated", actor);
        s_set (ev, "legal_number", "%s",
               coops[s_pick (self, COOPERATIVES)].legal);
        s_set (ev, "members_male", "%d", 50 + s_pick (self, 300));
        s_set (ev, "members_female", "%d", 50 + s_pick (self, 300));
        s_plan (self, ev, reg);
    }
    if (round % 3 == 0) {
        static const char *statuses[] = {"AKTIF", "TIDAK_AKTIF", "DIBEKUKAN"};
        int s = s_pick (self, 3);
        jk_event_t *ev = s_event (self, "cooperative.status_declared", "DINAS");
        s_set (ev, "legal_number", "%s",
               coops[s_pick (self, COOPERATIVES)].legal);
        s_set (ev, "status", "%s", statuses[s]);
        if (s > 0)
            s_set (ev, "basis", "SK/%d/KOP/%d", 100 + round, year);
        s_date (ev, "on", day0);
        s_plan (self, ev, reg);
    }

    /* People: NIKs unique by a counter (birth date and serial). */
    person_t people[PEOPLE];
    for (int p = 0; p < PEOPLE; p++) {
        uint64_t n = self->person_counter++;
        int32_t birth = jk_days_from_civil (1965, 1, 1) + (int32_t)(n / 9999) +
                        (int32_t)(n % 7) * 1500;
        int serial = (int)(n % 9999) + 1;
        bool female = s_chance (self, 45);
        int by, bm, bd;
        jk_civil_from_days (birth, &by, &bm, &bd);
        char nik[64];
        snprintf (nik, sizeof nik, "%.2s%.2s%.2s%02d%02d%02d%04d", kec, kec + 3,
                  kec + 6, (bd + (female ? 40 : 0)) % 100, bm % 100, by % 100,
                  serial % 10000);
        memcpy (people[p].nik, nik, 17);
        people[p].coop = p % COOPERATIVES;
        people[p].jp = 0;
        people[p].withdrawn = false;
        jk_event_t *ev = s_event (self, "person.registered", actor);
        s_set (ev, "nik", "%s", people[p].nik);
        s_set (ev, "name", "%s %llu", s_names[p % 14], (unsigned long long)n);
        /* One in twenty disagrees with the NIK: a data-quality warning. */
        bool mismatch = s_chance (self, 5);
        s_set (ev, "sex", "%s", female != mismatch ? "P" : "L");
        s_date (ev, "birth_date", birth);
        s_set (ev, "desa_code", "%s", s_desa (self, kec));
        if (s_chance (self, 60))
            s_set (ev, "phone", "08%010llu",
                   (unsigned long long)(s_next (self) % 10000000000ULL));
        s_set (ev, "cooperative", "%s", coops[people[p].coop].legal);
        s_set (ev, "role", "%s", s_roles[s_pick (self, 6)]);
        s_plan (self, ev, reg);
    }
    {
        jk_event_t *ev = s_event (self, "person.corrected", actor);
        s_set (ev, "nik", "%s", people[s_pick (self, PEOPLE)].nik);
        s_set (ev, "name", "%s Saputra", s_names[s_pick (self, 14)]);
        s_set (ev, "reason", "typo on the paper form");
        s_plan (self, ev, reg);
    }

    /* The batch and its sessions: 4 x 4 lesson hours on 3 days. */
    char batch[48];
    snprintf (batch, sizeof batch, "PK2UMK-%d-%04d", year, round + 1);
    int32_t start = day0;
    {
        jk_event_t *ev = s_event (self, "training.batch_scheduled", actor);
        s_set (ev, "batch", "%s", batch);
        s_set (ev, "title", "Pelatihan Manajemen Koperasi %s", kec_name);
        s_set (ev, "funding", "%s",
               s_chance (self, 70) ? "DAK_NF_PK2UMK" : "APBD_KAB");
        s_set (ev, "budget_year", "%d", year);
        s_set (ev, "venue", "Aula Kecamatan %s", kec_name);
        s_set (ev, "venue_desa_code", "%s", s_desa (self, kec));
        s_date (ev, "start_date", start);
        s_date (ev, "end_date", start + 2);
        s_plan (self, ev, reg);
    }
    static const int session_day[SESSIONS] = {0, 0, 1, 2};
    static const char *session_start[SESSIONS] = {"08:00", "13:00", "08:00",
                                                  "08:00"};
    static const char *session_end[SESSIONS] = {"11:00", "16:00", "11:00",
                                                "11:00"};
    for (int s = 0; s < SESSIONS; s++) {
        jk_event_t *ev = s_event (self, "training.session_scheduled", actor);
        s_set (ev, "batch", "%s", batch);
        s_set (ev, "session_no", "%d", s + 1);
        s_date (ev, "date", start + session_day[s]);
        s_set (ev, "starts", "%s", session_start[s]);
        s_set (ev, "ends", "%s", session_end[s]);
        s_set (ev, "jp", "%d", SESSION_JP);
        s_set (ev, "topic", "Modul %d", s + 1);
        s_plan (self, ev, reg);
    }
    for (int p = 0; p < ENROLLED; p++) {
        jk_event_t *ev = s_event (self, "training.participant_enrolled", actor);
        s_set (ev, "batch", "%s", batch);
        s_set (ev, "nik", "%s", people[p].nik);
        s_set (ev, "cooperative", "%s", coops[people[p].coop].legal);
        s_plan (self, ev, reg);
    }
    {
        people[ENROLLED - 1].withdrawn = true;
        jk_event_t *ev =
            s_event (self, "training.participant_withdrawn", actor);
        s_set (ev, "batch", "%s", batch);
        s_set (ev, "nik", "%s", people[ENROLLED - 1].nik);
        s_set (ev, "reason", "pindah tugas ke luar kota");
        s_plan (self, ev, reg);
    }

    /* Attendance: a final status per session and person; one in ten is
       first recorded wrong and then corrected. */
    static const char *statuses[] = {"HADIR", "TERLAMBAT", "IZIN", "SAKIT",
                                     "ALPA"};
    for (int s = 0; s < SESSIONS; s++) {
        int begin = s == 1 ? 13 * 60 : 8 * 60;
        jk_event_t *fixes[ENROLLED];
        int fix_count = 0;
        for (int p = 0; p < ENROLLED; p++) {
            if (people[p].withdrawn)
                continue;
            int roll = s_pick (self, 100);
            int final = roll < 75   ? 0
                        : roll < 85 ? 1
                        : roll < 93 ? 2
                        : roll < 97 ? 3
                                    : 4;
            bool wrong = s_chance (self, 10);
            int first = wrong ? (final + 1 + s_pick (self, 4)) % 5 : final;
            if (final <= 1)
                people[p].jp += SESSION_JP;
            jk_event_t *ev = s_event (self, "attendance.recorded", actor);
            s_set (ev, "batch", "%s", batch);
            s_set (ev, "session_no", "%d", s + 1);
            s_set (ev, "nik", "%s", people[p].nik);
            s_set (ev, "status", "%s", statuses[first]);
            if (first <= 1) {
                int in = first == 0 ? begin - s_pick (self, 20)
                                    : begin + 5 + s_pick (self, 40);
                s_set (ev, "check_in", "%02d:%02d", in / 60, in % 60);
                if (s_chance (self, 60))
                    s_set (ev, "check_out", "%02d:%02d", (begin + 180) / 60,
                           (begin + 180) % 60);
            }
            s_set (ev, "method", "%s", s_methods[s_pick (self, 4)]);
            uint8_t recorded_id[16];
            memcpy (recorded_id, ev->id, 16);
            s_plan (self, ev, att);
            if (wrong) {
                jk_event_t *fix = s_event (self, "attendance.corrected", actor);
                fix->has_corrects = true;
                memcpy (fix->corrects, recorded_id, 16);
                s_set (fix, "status", "%s", statuses[final]);
                if (final <= 1)
                    s_set (fix, "check_in", "%02d:%02d",
                           (begin + (final ? 10 : -5)) / 60,
                           (begin + (final ? 10 : -5)) % 60);
                s_set (fix, "reason", "salah centang di daftar hadir");
                fixes[fix_count++] = fix;
            }
        }
        for (int f = 0; f < fix_count; f++)
            s_plan (self, fixes[f], att);
    }
    {
        jk_event_t *ev = s_event (self, "training.batch_closed", actor);
        s_set (ev, "batch", "%s", batch);
        s_plan (self, ev, att);
    }

    /* The assessment of the batch: three units, two assessors. */
    char assessment[48];
    snprintf (assessment, sizeof assessment, "UK-%d-%04d", year, round + 1);
    int32_t assessed_on = start + 3;
    {
        jk_event_t *ev = s_event (self, "assessment.scheduled", "DINAS");
        s_set (ev, "assessment", "%s", assessment);
        s_set (ev, "scheme_code", "SKM-KOP-%d", 1 + round % 3);
        s_set (ev, "scheme_title", "Manajer Koperasi");
        s_set (ev, "units",
               "K.649900.001.01=Menyusun rencana kerja|K.649900.002.01="
               "Mengelola keuangan, simpanan dan pinjaman|K.649900.003.01="
               "Menyelenggarakan RAT");
        s_date (ev, "date", assessed_on);
        s_set (ev, "batch", "%s", batch);
        s_set (ev, "lsp", "LSP Koperasi Jawa Barat");
        s_set (ev, "assessors", "ASR-%02d,ASR-%02d", 1 + round % 5,
               6 + round % 5);
        s_plan (self, ev, lsp);
    }
    static const char *units[UNITS] = {"K.649900.001.01", "K.649900.002.01",
                                       "K.649900.003.01"};
    bool competent[ENROLLED] = {false};
    bool eligible[ENROLLED] = {false};
    int retry_p[ENROLLED * UNITS], retry_u[ENROLLED * UNITS], retries = 0;
    for (int p = 0; p < ENROLLED; p++) {
        eligible[p] = !people[p].withdrawn &&
                      people[p].jp * 100 >= 80 * SESSIONS * SESSION_JP;
        if (!eligible[p])
            continue;
        competent[p] = true;
        for (int u = 0; u < UNITS; u++) {
            bool k = s_chance (self, 88);
            jk_event_t *ev = s_event (self, "assessment.unit_assessed", "ASR");
            s_set (ev, "assessment", "%s", assessment);
            s_set (ev, "nik", "%s", people[p].nik);
            s_set (ev, "unit", "%s", units[u]);
            s_set (ev, "methods", "%s",
                   s_chance (self, 50) ? "WRITTEN,OBSERVATION"
                                       : "INTERVIEW,PORTFOLIO");
            s_set (ev, "verdict", "%s", k ? "K" : "BK");
            s_set (ev, "score", "%d",
                   k ? 70 + s_pick (self, 31) : 30 + s_pick (self, 40));
            s_set (ev, "assessor", "ASR-%02d",
                   s_chance (self, 50) ? 1 + round % 5 : 6 + round % 5);
            s_plan (self, ev, lsp);
            if (!k) {
                if (s_chance (self, 60)) {
                    retry_p[retries] = p;
                    retry_u[retries++] = u;
                } else
                    competent[p] = false;
            }
        }
    }
    for (int r = 0; r < retries; r++) {
        jk_event_t *ev = s_event (self, "assessment.unit_assessed", "ASR");
        s_set (ev, "assessment", "%s", assessment);
        s_set (ev, "nik", "%s", people[retry_p[r]].nik);
        s_set (ev, "unit", "%s", units[retry_u[r]]);
        s_set (ev, "methods", "%s", "ORAL,CASE_STUDY");
        s_set (ev, "verdict", "K");
        s_set (ev, "assessor", "ASR-%02d", 1 + round % 5);
        s_plan (self, ev, lsp);
    }
    int certified[ENROLLED], certificates = 0;
    for (int p = 0; p < ENROLLED; p++) {
        if (!eligible[p])
            continue;
        jk_event_t *ev = s_event (self, "assessment.decided", "ASR");
        s_set (ev, "assessment", "%s", assessment);
        s_set (ev, "nik", "%s", people[p].nik);
        s_set (ev, "verdict", "%s", competent[p] ? "K" : "BK");
        s_plan (self, ev, lsp);
        if (competent[p])
            certified[certificates++] = p;
    }
    for (int c = 0; c < certificates; c++) {
        jk_event_t *ev = s_event (self, "certificate.issued", "DINAS");
        s_set (ev, "number", "LSP-KOP/%d/%04d/%02d", year, round + 1, c + 1);
        s_set (ev, "nik", "%s", people[certified[c]].nik);
        s_set (ev, "assessment", "%s", assessment);
        s_date (ev, "issued_on", assessed_on + 7);
        if (s_chance (self, 20))
            s_date (ev, "valid_until", assessed_on + 7 + 2 * 365);
        s_plan (self, ev, lsp);
    }
    if (certificates > 0 && round % 3 == 2) {
        jk_event_t *ev = s_event (self, "certificate.revoked", "DINAS");
        s_set (ev, "number", "LSP-KOP/%d/%04d/%02d", year, round + 1,
               1 + s_pick (self, certificates));
        s_set (ev, "reason", "dokumen persyaratan tidak sah");
        s_plan (self, ev, lsp);
    }
}

/* ---- events the store must reject -----------------------------------------
 */

/* An event that breaks one domain rule without touching any state the
   valid stream relies on. Sets self->expected. */
static jk_event_t *s_reject (jk_workload_t *self, int *source)
{
    const char *kec = jk_region_kecamatan_at (
        self->region, (size_t)(self->round % self->config.offices), NULL);
    char reg[64];
    snprintf (reg, sizeof reg, "%s/reg-1", kec);
    uint64_t n = ++self->bogus;
    int kind = s_pick (self, 5);
    if (kind == 0 && !self->last_legal[0])
        kind = 1;
    jk_event_t *ev;
    switch (kind) {
        case 0:
            ev = s_event (self, "cooperative.registered", "op-dup");
            s_set (ev, "legal_number", "%s", self->last_legal);
            s_set (ev, "legal_date", "2001-02-03");
            s_set (ev, "name", "Koperasi Ganda %llu", (unsigned long long)n);
            s_set (ev, "form", "PRIMER");
            s_set (ev, "kind", "JASA");
            s_set (ev, "pattern", "KONVENSIONAL");
            s_set (ev, "desa_code", "%s", s_desa (self, kec));
            s_set (ev, "members_male", "1");
            s_set (ev, "members_female", "1");
            self->expected = "E_DUPLICATE_COOPERATIVE";
            break;
        case 1:
            /* Kecamatan digits 99 are never generated for real people. */
            ev = s_event (self, "person.corrected", "op-unknown");
            s_set (ev, "nik", "320399010190%04llu",
                   (unsigned long long)(n % 9999 + 1));
            s_set (ev, "name", "Tidak Terdaftar");
            s_set (ev, "reason", "koreksi nama");
            self->expected = "E_UNKNOWN_PERSON";
            break;
        case 2:
            ev = s_event (self, "training.batch_closed", "op-unknown");
            s_set (ev, "batch", "NOPE-%llu", (unsigned long long)n);
            self->expected = "E_UNKNOWN_BATCH";
            break;
        case 3:
            ev = s_event (self, "certificate.revoked", "op-unknown");
            s_set (ev, "number", "NOPE/%llu", (unsigned long long)n);
            s_set (ev, "reason", "nomor tidak dikenal");
            self->expected = "E_UNKNOWN_CERTIFICATE";
            break;
        default:
            /* Six digits after AHU- are never generated (seven are). */
            ev = s_event (self, "cooperative.status_declared", "op-unknown");
            s_set (ev, "legal_number", "AHU-%06llu.AH.01.26",
                   (unsigned long long)(n % 900000 + 100000));
            s_set (ev, "status", "AKTIF");
            s_set (ev, "on", "2020-01-01");
            self->expected = "E_UNKNOWN_COOPERATIVE";
    }
    *source = s_source (self, kind == 3 ? "DINAS/lsp-1" : reg);
    return ev;
}

/* ---- the object ---------------------------------------------------------- */

jk_workload_t *jk_workload_new (uint64_t seed,
                                const jk_workload_config_t *config)
{
    jk_workload_t *self = jk_calloc (1, sizeof *self);
    if (config)
        self->config = *config;
    if (!self->config.events)
        self->config.events = 1000;
    self->region = jk_region_default ();
    int kecamatan = (int)jk_region_kecamatan_count (self->region);
    if (self->config.offices <= 0)
        self->config.offices = 4;
    if (self->config.offices > kecamatan)
        self->config.offices = kecamatan;
    if (!self->config.start_ms)
        self->config.start_ms =
            (int64_t)jk_days_from_civil (2022, 3, 1) * 86400000LL +
            3600000LL; /* 08:00 WIB */
    if (self->config.step_ms <= 0)
        self->config.step_ms = 30000;
    self->rng = seed ^ 0x6a656a616b000000ULL;
    return self;
}

void jk_workload_destroy (jk_workload_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_workload_t *self = *self_p;
    for (size_t i = self->queue_head; i < self->queue_len; i++)
        jk_event_destroy (&self->queue[i].event);
    free (self->queue);
    free (self->sources);
    free (self);
    *self_p = NULL;
}

jk_event_t *jk_workload_next (jk_workload_t *self)
{
    self->expected = NULL;
    if (self->produced >= self->config.events)
        return NULL;
    jk_event_t *ev;
    int source;
    bool reject = self->config.reject_share > 0 && self->produced > 0 &&
                  (double)(s_next (self) >> 11) / 9007199254740992.0 <
                      self->config.reject_share;
    if (reject)
        ev = s_reject (self, &source);
    else {
        if (self->queue_head == self->queue_len) {
            self->queue_head = self->queue_len = 0;
            s_plan_round (self);
        }
        planned_t *p = &self->queue[self->queue_head++];
        ev = p->event;
        source = p->source;
        if (strcmp (ev->type->name, "cooperative.registered") == 0)
            jk_event_text (ev, "legal_number", self->last_legal,
                           sizeof self->last_legal);
    }
    jk_event_set_source (ev, self->sources[source].name);
    ev->seq = ++self->sources[source].seq;
    ev->at = s_at (self, self->produced);
    self->produced++;
    return ev;
}

const char *jk_workload_expected (const jk_workload_t *self)
{
    return self->expected;
}

size_t jk_workload_count (const jk_workload_t *self)
{
    return self->produced;
}

int64_t jk_workload_end_ms (const jk_workload_t *self)
{
    return s_at (self, self->config.events - 1);
}
