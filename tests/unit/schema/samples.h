/*  samples.h - one valid event of every vocabulary type, with a fixed
    envelope and a pinned clock, shared by the schema tests, the fuzz seed
    generator and the codec benchmark. Header only: every function is
    static inline. */
#ifndef JK_SAMPLES_H
#define JK_SAMPLES_H

#include "jk_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2024-06-01T00:00:00Z: the validator's clock in tests. */
#define JK_SAMPLE_NOW_MS 1717200000000LL
/* One hour earlier: every sample's envelope.at. */
#define JK_SAMPLE_AT_MS  1717196400000LL
#define JK_SAMPLE_SOURCE "32.03.10/pacet-1"
#define JK_SAMPLE_ACTOR  "operator.pacet"

/* A fixed UUIDv7: 0189d5a2-7c3e-7a1b-9f00-3c5a1e2d4b6f. */
static const uint8_t jk_sample_id[16] = {0x01, 0x89, 0xd5, 0xa2, 0x7c, 0x3e,
                                         0x7a, 0x1b, 0x9f, 0x00, 0x3c, 0x5a,
                                         0x1e, 0x2d, 0x4b, 0x6f};
/* The attendance.recorded event that attendance.corrected corrects. */
static const uint8_t jk_sample_corrects[16] = {
    0x01, 0x89, 0xd5, 0xa2, 0x7c, 0x3d, 0x70, 0x00,
    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};

typedef struct {
    const char *type;
    const char *fields[16]; /* "name=value" in wire text form, NULL-ended */
} jk_sample_t;

#define JK_SAMPLE_LEGAL "AHU-0001234.AH.01.26.TAHUN 2019"
#define JK_SAMPLE_NIK   "3203014107850001" /* female, 1 July 1985 */

static const jk_sample_t jk_samples[] = {
    {"cooperative.registered",
     {"legal_number=" JK_SAMPLE_LEGAL, "legal_date=2019-03-15",
      "name=Koperasi Sejahtera Bersama", "form=PRIMER", "kind=SIMPAN_PINJAM",
      "pattern=KONVENSIONAL", "desa_code=32.03.10.2012",
      "address=Jl. Raya Cipanas No. 12", "nik_koperasi=3203100100012",
      "members_male=120", "members_female=95", NULL}},
    {"cooperative.updated",
     {"legal_number=" JK_SAMPLE_LEGAL, "name=Koperasi Sejahtera Bersama Baru",
      "members_female=101", NULL}},
    {"cooperative.rat_held",
     {"legal_number=" JK_SAMPLE_LEGAL, "book_year=2023", "held_on=2024-03-20",
      "members_present=80", "quorum_met=true", NULL}},
    {"cooperative.status_declared",
     {"legal_number=" JK_SAMPLE_LEGAL, "status=DIBEKUKAN",
      "basis=500/123/Diskupperdagin/2024", "on=2024-05-01", NULL}},
    {"person.registered",
     {"nik=" JK_SAMPLE_NIK, "name=Siti Aminah", "sex=P",
      "birth_date=1985-07-01", "desa_code=32.03.10.2012", "phone=081234567890",
      "cooperative=" JK_SAMPLE_LEGAL, "role=KETUA", NULL}},
    {"person.corrected",
     {"nik=" JK_SAMPLE_NIK, "name=Siti Aminah Rahayu",
      "reason=salah ketik nama", NULL}},
    {"training.batch_scheduled",
     {"batch=PK2UMK-2022-01", "title=Pelatihan Pengelola Koperasi",
      "funding=DAK_NF_PK2UMK", "budget_year=2022", "venue=Aula Kecamatan Pacet",
      "venue_desa_code=32.03.10.2012", "start_date=2022-10-03",
      "end_date=2022-10-07", "class_size_max=30", "min_attendance_pct=80",
      NULL}},
    {"training.session_scheduled",
     {"batch=PK2UMK-2022-01", "session_no=2", "date=2022-10-04", "starts=08:00",
      "ends=12:00", "jp=4", "topic=Tata kelola koperasi", NULL}},
    {"training.participant_enrolled",
     {"batch=PK2UMK-2022-01", "nik=" JK_SAMPLE_NIK,
      "cooperative=" JK_SAMPLE_LEGAL, NULL}},
    {"training.participant_withdrawn",
     {"batch=PK2UMK-2022-01", "nik=" JK_SAMPLE_NIK,
      "reason=sakit berkepanjangan", NULL}},
    {"attendance.recorded",
     {"batch=PK2UMK-2022-01", "session_no=2", "nik=" JK_SAMPLE_NIK,
      "status=HADIR", "check_in=08:05", "check_out=12:00", "method=PAPER",
      NULL}},
    {"attendance.corrected",
     {"status=TERLAMBAT", "check_in=08:40", "check_out=12:00",
      "reason=datang terlambat, salah catat", NULL}},
    {"training.batch_closed", {"batch=PK2UMK-2022-01", NULL}},
    {"assessment.scheduled",
     {"assessment=UK-2022-01", "scheme_code=SKM-KOP-01",
      "scheme_title=Skema Manajer Koperasi",
      "units=M.01=Mengelola keuangan|M.02=Menyusun laporan, RAT",
      "date=2022-10-20", "batch=PK2UMK-2022-01", "lsp=LSP Koperasi Indonesia",
      "assessors=ASR-01,ASR-02", NULL}},
    {"assessment.unit_assessed",
     {"assessment=UK-2022-01", "nik=" JK_SAMPLE_NIK, "unit=M.01",
      "methods=WRITTEN,OBSERVATION", "verdict=K", "score=85", "assessor=ASR-01",
      NULL}},
    {"assessment.decided",
     {"assessment=UK-2022-01", "nik=" JK_SAMPLE_NIK, "verdict=K", NULL}},
    {"certificate.issued",
     {"number=CERT-2022-0001", "nik=" JK_SAMPLE_NIK, "assessment=UK-2022-01",
      "issued_on=2022-11-01", "valid_until=2025-11-01", NULL}},
    {"certificate.revoked",
     {"number=CERT-2022-0001", "reason=dokumen palsu", NULL}},
};

#define JK_SAMPLE_COUNT (sizeof jk_samples / sizeof jk_samples[0])

/* Sets one "name=value" item on ev; aborts on a sample that does not
   fit the table (a broken fixture, not a test outcome). */
static inline void jk_sample_set (jk_event_t *ev, const char *item)
{
    const char *eq = strchr (item, '=');
    char name[64];
    snprintf (name, sizeof name, "%.*s", (int)(eq - item), item);
    jk_report_t report = {0};
    jk_report_reset (&report);
    if (jk_event_set (ev, name, eq + 1, &report) != 0) {
        fprintf (stderr, "sample %s: %s\n", ev->type->name,
                 report.error.message);
        abort ();
    }
}

/* Builds the sample of one type with the fixed envelope. */
static inline jk_event_t *jk_sample_event (const jk_sample_t *sample)
{
    const jk_type_t *type =
        jk_vocabulary_find (sample->type, strlen (sample->type));
    if (!type)
        abort ();
    jk_event_t *ev = jk_event_new (type);
    memcpy (ev->id, jk_sample_id, 16);
    ev->seq = 1;
    ev->at = JK_SAMPLE_AT_MS;
    jk_event_set_source (ev, JK_SAMPLE_SOURCE);
    jk_event_set_actor (ev, JK_SAMPLE_ACTOR);
    if (type->needs_corrects) {
        ev->has_corrects = true;
        memcpy (ev->corrects, jk_sample_corrects, 16);
    }
    for (size_t i = 0; sample->fields[i]; i++)
        jk_sample_set (ev, sample->fields[i]);
    return ev;
}

/* The sample of a type by name. */
static inline jk_event_t *jk_sample_by_name (const char *type)
{
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++)
        if (strcmp (jk_samples[i].type, type) == 0)
            return jk_sample_event (&jk_samples[i]);
    abort ();
}

#endif
