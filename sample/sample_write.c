/*  sample_write.c - one CSV file per office and event type: the header
    is the type's fields in vocabulary order (jk_sample_csv_open), every
    row one cell per field. */
#include "sample_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const s_kind_names[] = {"SIMPAN_PINJAM", "KONSUMEN",
                                           "PRODUSEN",      "PEMASARAN",
                                           "JASA",          "SERBA_USAHA"};
static const char *const s_role_names[] = {"KETUA", "SEKRETARIS", "BENDAHARA",
                                           "PENGAWAS", "MANAJER"};

/* ---- writing
 * ----------------------------------------------------------------------- */

int jk_sample_write_cooperatives (gen_t *gen)
{
    for (int k = 0; k < gen->kecamatan_count; k++) {
        kecamatan_t *kec = &gen->kecamatan[k];
        char source[64];
        snprintf (source, sizeof source, "%s/%s", kec->code, kec->device);
        csv_t csv;
        int rc = jk_sample_csv_open (gen, &csv, source,
                                     "cooperative.registered", kec->excel);
        if (rc)
            return rc;
        for (int i = 0; i < gen->coop_count; i++) {
            const coop_t *c = &gen->coops[i];
            if (c->kecamatan != k)
                continue;
            jk_sample_cell (&csv, c->legal);
            jk_sample_cell_date (&csv, c->legal_date);
            jk_sample_cell (&csv, c->name);
            jk_sample_cell (&csv, c->sekunder ? "SEKUNDER" : "PRIMER");
            jk_sample_cell (&csv, s_kind_names[c->kind]);
            jk_sample_cell (&csv, c->syariah ? "SYARIAH" : "KONVENSIONAL");
            jk_sample_cell (&csv, jk_sample_desa_code (gen, c->desa, NULL));
            jk_sample_cell (&csv, c->address);
            jk_sample_cell (&csv, c->nik_koperasi);
            jk_sample_cell_int (&csv, c->members_male);
            jk_sample_cell_int (&csv, c->members_female);
            jk_sample_row_end (&csv);
        }
        if ((rc = jk_sample_csv_close (gen, &csv)))
            return rc;
    }
    return JK_OK;
}

int jk_sample_write_rats (gen_t *gen)
{
    for (int k = 0; k < gen->kecamatan_count; k++) {
        kecamatan_t *kec = &gen->kecamatan[k];
        char source[64];
        snprintf (source, sizeof source, "%s/%s", kec->code, kec->device);
        csv_t csv;
        int rc = jk_sample_csv_open (gen, &csv, source, "cooperative.rat_held",
                                     kec->excel);
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
                jk_sample_cell (&csv, c->legal);
                jk_sample_cell_int (&csv, year);
                jk_sample_cell_date (&csv, year == 2020 ? c->rat_2020_on
                                                        : c->rat_2021);
                jk_sample_cell_int (&csv, present);
                jk_sample_cell_bool (&csv, 2 * present > members);
                jk_sample_row_end (&csv);
            }
        if ((rc = jk_sample_csv_close (gen, &csv)))
            return rc;
    }
    return JK_OK;
}

int jk_sample_write_status (gen_t *gen)
{
    csv_t csv;
    int rc = jk_sample_csv_open (gen, &csv, "DINAS/dinas-1",
                                 "cooperative.status_declared", true);
    if (rc)
        return rc;
    for (int i = 0; i < gen->coop_count; i++) {
        const coop_t *c = &gen->coops[i];
        if (!c->status)
            continue;
        jk_sample_cell (&csv, c->legal);
        jk_sample_cell (&csv, c->status == 2 ? "DIBEKUKAN" : "TIDAK_AKTIF");
        jk_sample_cell (&csv, c->basis);
        jk_sample_cell_date (&csv, c->status_on);
        jk_sample_row_end (&csv);
    }
    return jk_sample_csv_close (gen, &csv);
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
        jk_sample_cell (csv, bad->cells[i] ? bad->cells[i] : "");
    jk_sample_row_end (csv);
    size_t n = strlen (gen->bad_list);
    snprintf (gen->bad_list + n, sizeof gen->bad_list - n,
              "%s\t%d\t%s\t%s\t%s\n", csv->path, csv->line, bad->stage,
              bad->code, bad->why);
    if (strcmp (bad->stage, "import") == 0)
        gen->bad_import++;
    else
        gen->bad_store++;
}

/* One person's row of person.registered. */
static void s_person_row (gen_t *gen, csv_t *csv, const person_t *p)
{
    jk_sample_cell (csv, p->nik);
    jk_sample_cell (csv, p->name);
    jk_sample_cell (csv, p->female ? "P" : "L");
    jk_sample_cell_date (csv, p->birth);
    jk_sample_cell (csv, jk_sample_desa_code (gen, p->desa, NULL));
    jk_sample_cell (csv, p->phone);
    jk_sample_cell (csv, gen->coops[p->coop].legal);
    jk_sample_cell (csv, s_role_names[p->role]);
    jk_sample_row_end (csv);
}

/* The first person written, kept for the duplicate bad row: NIK (17),
   sex (2) and birth date dd/mm/yyyy (16). */
static void s_duplicate_keep (const person_t *p, char *nik, char *sex,
                              char *birth)
{
    int y, m, d;
    jk_civil_from_days (p->birth, &y, &m, &d);
    memcpy (nik, p->nik, 17);
    sex[0] = p->female ? 'P' : 'L';
    snprintf (birth, 16, "%02d/%02d/%04d", d % 100, m % 100, y % 10000);
}

int jk_sample_write_people (gen_t *gen)
{
    /* the duplicate: the first person of the first office again, under
       another name */
    char duplicate[17] = "", duplicate_sex[2] = "", duplicate_birth[16] = "";
    const char *desa =
        jk_sample_desa_code (gen, gen->kecamatan[0].desa_first, NULL);
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
        int rc = jk_sample_csv_open (gen, &csv, source, "person.registered",
                                     kec->excel);
        if (rc)
            return rc;
        int written = 0, bad = 0;
        for (int i = 0; i < gen->person_count; i++) {
            const person_t *p = &gen->people[i];
            if (p->kecamatan != k)
                continue;
            s_person_row (gen, &csv, p);
            if (!duplicate[0])
                s_duplicate_keep (p, duplicate, duplicate_sex, duplicate_birth);
            written++;
            /* the bad rows go among the good ones of the first office */
            if (k == 0 && bad < bad_count && written == 2 + 3 * bad)
                s_bad_row (gen, &csv, &rows[bad++]);
        }
        while (k == 0 && bad < bad_count && duplicate[0])
            s_bad_row (gen, &csv, &rows[bad++]);
        if ((rc = jk_sample_csv_close (gen, &csv)))
            return rc;
    }
    return JK_OK;
}

int jk_sample_write_batches (gen_t *gen)
{
    csv_t csv;
    int rc = jk_sample_csv_open (gen, &csv, "DINAS/dinas-1",
                                 "training.batch_scheduled", false);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        char title[200];
        snprintf (title, sizeof title,
                  "Pelatihan Manajemen Koperasi PK2UMK 2022, Angkatan %d",
                  i + 1);
        jk_sample_cell (&csv, b->code);
        jk_sample_cell (&csv, title);
        jk_sample_cell (&csv, "DAK_NF_PK2UMK");
        jk_sample_cell_int (&csv, 2022);
        jk_sample_cell (&csv, b->venue);
        jk_sample_cell (&csv, jk_sample_desa_code (gen, b->venue_desa, NULL));
        jk_sample_cell_date (&csv, b->start);
        jk_sample_cell_date (&csv, b->start + 2);
        jk_sample_cell_int (&csv, 30);
        jk_sample_cell_int (&csv, 80);
        jk_sample_row_end (&csv);
    }
    if ((rc = jk_sample_csv_close (gen, &csv)))
        return rc;

    rc = jk_sample_csv_open (gen, &csv, "DINAS/dinas-1",
                             "training.session_scheduled", false);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        for (int s = 0; s < SESSIONS_PER_BATCH; s++) {
            const session_t *session = &b->sessions[s];
            jk_sample_cell (&csv, b->code);
            jk_sample_cell_int (&csv, s + 1);
            jk_sample_cell_date (&csv, session->date);
            jk_sample_cell_time (&csv, session->starts);
            jk_sample_cell_time (&csv, session->ends);
            jk_sample_cell_int (&csv, session->jp);
            jk_sample_cell (&csv, session->topic);
            jk_sample_row_end (&csv);
        }
    }
    if ((rc = jk_sample_csv_close (gen, &csv)))
        return rc;

    rc = jk_sample_csv_open (gen, &csv, "DINAS/dinas-1",
                             "training.participant_enrolled", true);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        for (int p = 0; p < b->size; p++) {
            const person_t *person = &gen->people[b->people[p]];
            jk_sample_cell (&csv, b->code);
            jk_sample_cell (&csv, person->nik);
            jk_sample_cell (&csv, gen->coops[person->coop].legal);
            jk_sample_row_end (&csv);
        }
    }
    return jk_sample_csv_close (gen, &csv);
}

static bool s_excel_source (gen_t *gen, const char *source)
{
    for (int k = 0; k < gen->kecamatan_count; k++)
        if (strncmp (source, gen->kecamatan[k].code, 8) == 0)
            return gen->kecamatan[k].excel;
    return true; /* the dinas */
}

int jk_sample_write_attendance (gen_t *gen)
{
    static const char *const status[] = {"HADIR", "TERLAMBAT", "IZIN", "SAKIT",
                                         "ALPA"};
    static const char *const method[] = {"PAPER", "QR", "OPERATOR"};
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
            int rc = pass == 0
                         ? jk_sample_csv_open (gen, &csv, b->source,
                                               "attendance.recorded", excel)
                         : jk_sample_csv_open (gen, &csv, b->source,
                                               "training.batch_closed", excel);
            if (rc)
                return rc;
            for (int j = i; j < gen->batch_count; j++) {
                const batch_t *same = &gen->batches[j];
                if (strcmp (same->source, b->source))
                    continue;
                if (pass == 1) {
                    jk_sample_cell (&csv, same->code);
                    jk_sample_row_end (&csv);
                    continue;
                }
                for (int s = 0; s < SESSIONS_PER_BATCH; s++)
                    for (int p = 0; p < same->size; p++) {
                        const presence_t *x = &same->presence[p][s];
                        jk_sample_cell (&csv, same->code);
                        jk_sample_cell_int (&csv, s + 1);
                        jk_sample_cell (&csv, gen->people[same->people[p]].nik);
                        jk_sample_cell (&csv, status[x->status]);
                        jk_sample_cell_time (&csv, x->check_in);
                        jk_sample_cell_time (&csv, x->check_out);
                        jk_sample_cell (&csv, method[x->method]);
                        jk_sample_row_end (&csv);
                    }
            }
            if ((rc = jk_sample_csv_close (gen, &csv)))
                return rc;
        }
    return JK_OK;
}

/* Whether participant p of b was found competent (K) in every unit. */
static bool s_all_k (const batch_t *b, int p)
{
    bool all_k = true;
    for (int u = 0; u < b->unit_count; u++)
        all_k = all_k && b->unit_k[p][u];
    return all_k;
}

/* One assessment scheduled per batch: its units, date and assessors. */
static int s_write_scheduled (gen_t *gen, const char *source)
{
    csv_t csv;
    int rc =
        jk_sample_csv_open (gen, &csv, source, "assessment.scheduled", false);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        char units[1024] = "", assessors[128] = "";
        size_t n = 0;
        for (int u = 0; u < b->unit_count; u++)
            n += (size_t)snprintf (units + n, sizeof units - n, "%s%s=%s",
                                   u ? "|" : "",
                                   jk_sample_units[b->units[u]].code,
                                   jk_sample_units[b->units[u]].title);
        n = 0;
        for (int a = 0; a < b->assessor_count; a++)
            n += (size_t)snprintf (assessors + n, sizeof assessors - n, "%s%s",
                                   a ? "," : "", b->assessors[a]);
        jk_sample_cell (&csv, b->assessment);
        jk_sample_cell (&csv, "SKM-KOP-2022");
        jk_sample_cell (&csv, "Skema Sertifikasi Okupasi Manajer Koperasi");
        jk_sample_cell (&csv, units);
        jk_sample_cell_date (&csv, b->assessed_on);
        jk_sample_cell (&csv, b->code);
        jk_sample_cell (&csv, "LSP Perkoperasian Indonesia");
        jk_sample_cell (&csv, assessors);
        jk_sample_row_end (&csv);
    }
    return jk_sample_csv_close (gen, &csv);
}

/* Each unit of each eligible participant: K or BK and the score. */
static int s_write_units_assessed (gen_t *gen, const char *source)
{
    csv_t csv;
    int rc = jk_sample_csv_open (gen, &csv, source, "assessment.unit_assessed",
                                 true);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        for (int p = 0; p < b->size; p++) {
            if (!b->eligible[p])
                continue;
            for (int u = 0; u < b->unit_count; u++) {
                jk_sample_cell (&csv, b->assessment);
                jk_sample_cell (&csv, gen->people[b->people[p]].nik);
                jk_sample_cell (&csv, jk_sample_units[b->units[u]].code);
                jk_sample_cell (&csv, jk_sample_units[b->units[u]].methods);
                jk_sample_cell (&csv, b->unit_k[p][u] ? "K" : "BK");
                jk_sample_cell_int (&csv, b->score[p][u]);
                jk_sample_cell (&csv, b->assessors[b->assessor_of[p]]);
                jk_sample_row_end (&csv);
            }
        }
    }
    return jk_sample_csv_close (gen, &csv);
}

/* Each eligible participant's decision: K when K in every unit. */
static int s_write_decided (gen_t *gen, const char *source)
{
    csv_t csv;
    int rc =
        jk_sample_csv_open (gen, &csv, source, "assessment.decided", false);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        for (int p = 0; p < b->size; p++) {
            if (!b->eligible[p])
                continue;
            bool all_k = s_all_k (b, p);
            jk_sample_cell (&csv, b->assessment);
            jk_sample_cell (&csv, gen->people[b->people[p]].nik);
            jk_sample_cell (&csv, all_k ? "K" : "BK");
            jk_sample_row_end (&csv);
        }
    }
    return jk_sample_csv_close (gen, &csv);
}

/* A certificate for each participant competent in every unit. */
static int s_write_certificates (gen_t *gen, const char *source)
{
    csv_t csv;
    int rc = jk_sample_csv_open (gen, &csv, source, "certificate.issued", true);
    if (rc)
        return rc;
    for (int i = 0; i < gen->batch_count; i++) {
        const batch_t *b = &gen->batches[i];
        int issued = 0;
        for (int p = 0; p < b->size; p++) {
            if (!b->eligible[p] || !s_all_k (b, p))
                continue;
            char number[48];
            snprintf (number, sizeof number, "LSPPI/SKM-KOP/2022/%02d/%03d",
                      i + 1, ++issued);
            jk_sample_cell (&csv, number);
            jk_sample_cell (&csv, gen->people[b->people[p]].nik);
            jk_sample_cell (&csv, b->assessment);
            jk_sample_cell_date (&csv, b->issued_on);
            /* every fourth certificate spells out the default validity */
            if (issued % 4 == 0) {
                int y, m, d;
                jk_civil_from_days (b->issued_on, &y, &m, &d);
                jk_sample_cell_date (&csv, jk_sample_day (y + 3, m, d));
            } else
                jk_sample_cell (&csv, "");
            jk_sample_row_end (&csv);
        }
    }
    return jk_sample_csv_close (gen, &csv);
}

int jk_sample_write_scoring (gen_t *gen)
{
    const char *source = "DINAS/asesmen-1";
    int rc = s_write_scheduled (gen, source);
    if (!rc)
        rc = s_write_units_assessed (gen, source);
    if (!rc)
        rc = s_write_decided (gen, source);
    if (!rc)
        rc = s_write_certificates (gen, source);
    return rc;
}
