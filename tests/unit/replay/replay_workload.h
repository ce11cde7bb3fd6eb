/*  replay_workload.h - builds real event logs for the replay tests and
    benchmark: a generated, realistic stream (cooperatives, people, training
    batches, sessions, enrolments, attendance, and some rejections) decided
    and appended through the storage library exactly as the store does it,
    with a pinned clock. Header only: every function is static. */
#ifndef REPLAY_WORKLOAD_H
#define REPLAY_WORKLOAD_H

#include "jk_log.h"
#include "jk_projections.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2022-10-03T08:00:00+07:00: when the first record is appended. */
#define RW_START_MS 1664758800000LL
/* Each submission is recorded this long after the previous one. */
#define RW_STEP_MS 1000
/* Records per generated block (one training batch and what goes with it). */
#define RW_BLOCK 160

typedef struct {
    jk_log_t *log; /* the store's log, open for writing */
    jk_projections_t *projections;
    int64_t clock;      /* next recorded_at, pinned */
    uint64_t accepted;  /* records appended as accepted */
    uint64_t rejected;  /* records appended as rejections */
    uint64_t generated; /* events the generator has produced */
    int pending;        /* appends in the open transaction */
} rw_t;

static rw_t *rw_open (const char *path)
{
    char err[256];
    rw_t *self = jk_calloc (1, sizeof *self);
    self->log = jk_log_open (path, 0, err, sizeof err);
    if (!self->log) {
        fprintf (stderr, "rw_open %s: %s\n", path, err);
        abort ();
    }
    /* Generated logs are throw-away: no need to sync each commit. */
    sqlite3_exec (jk_log_db (self->log), "PRAGMA synchronous = OFF", NULL, NULL,
                  NULL);
    if (jk_projections_migrate (jk_log_db (self->log), err, sizeof err)) {
        fprintf (stderr, "rw_open migrate: %s\n", err);
        abort ();
    }
    self->projections =
        jk_projections_new (jk_log_db (self->log), NULL, err, sizeof err);
    if (!self->projections) {
        fprintf (stderr, "rw_open projections: %s\n", err);
        abort ();
    }
    uint8_t hash[JK_HASH_SIZE];
    self->clock =
        RW_START_MS + (int64_t)jk_log_head (self->log, hash) * RW_STEP_MS;
    return self;
}

static void rw_flush (rw_t *self)
{
    if (self->pending) {
        if (jk_log_commit (self->log) != JK_OK)
            abort ();
        self->pending = 0;
    }
}

static void rw_close (rw_t **self_p)
{
    rw_t *self = *self_p;
    if (!self)
        return;
    rw_flush (self);
    jk_projections_destroy (&self->projections);
    jk_log_close (&self->log);
    jk_clock_set (0);
    free (self);
    *self_p = NULL;
}

/* Decides and appends one submission as the store does: validation at
   recorded_at, then the domain rules; either way it takes a position. */
static void rw_submit (rw_t *self, const uint8_t *bytes, size_t size)
{
    if (self->pending == 0) {
        if (jk_log_begin (self->log) != JK_OK)
            abort ();
    }
    jk_clock_set (self->clock);
    jk_envelope_t envelope;
    if (!jk_envelope_peek (bytes, size, &envelope))
        abort ();
    int64_t recorded_at = jk_log_next_time (self->log);
    jk_event_t *event = NULL;
    jk_report_t report, decision;
    jk_report_reset (&decision);
    const jk_problem_t *problem = NULL;
    if (jk_log_check (bytes, size, recorded_at, &event, &report) != 0)
        problem = &report.error;
    else if (jk_projections_decide (self->projections, event, &decision))
        problem = &decision.error;
    jk_log_record_t record = {
        .type = event ? event->type->name : envelope.type,
        .version = envelope.version,
        .source = envelope.source,
        .seq = envelope.seq,
        .at = envelope.at,
        .recorded_at = recorded_at,
        .outcome = problem ? JK_LOG_REJECTED : JK_LOG_ACCEPTED,
        .code =
            problem ? (problem->code[0] ? problem->code : "E_REJECTED") : NULL,
        .message = problem ? problem->message : NULL,
        .bytes = bytes,
        .size = size,
    };
    memcpy (record.id, envelope.id, 16);
    int rc = jk_log_append (self->log, &record);
    if (rc != JK_OK)
        abort ();
    jk_applied_t applied = {.pos = record.pos,
                            .recorded_at = recorded_at,
                            .hash = record.hash,
                            .warnings = problem ? NULL : &report,
                            .bytes = bytes,
                            .size = size};
    if (problem)
        rc = jk_projections_apply_rejection (self->projections, &envelope,
                                             event, record.code, record.message,
                                             &applied);
    else
        rc = jk_projections_apply (self->projections, event, &applied);
    if (rc != JK_OK)
        abort ();
    jk_event_destroy (&event);
    if (problem)
        self->rejected++;
    else
        self->accepted++;
    self->clock += RW_STEP_MS;
    if (++self->pending == 500)
        rw_flush (self);
}

/* Sets "name=value" items (NULL-terminated) on a new event of type. */
static jk_event_t *rw_event (rw_t *self, const char *type_name,
                             const char *source, const char *items[])
{
    const jk_type_t *type = jk_vocabulary_find (type_name, strlen (type_name));
    if (!type)
        abort ();
    jk_clock_set (self->clock);
    jk_event_t *event = jk_event_new (type);
    jk_event_set_source (event, source);
    jk_event_set_actor (event, "operator.replay");
    event->seq = jk_log_next_seq (self->log, source);
    event->at = self->clock - 500;
    for (size_t i = 0; items[i]; i++) {
        const char *eq = strchr (items[i], '=');
        char name[64];
        snprintf (name, sizeof name, "%.*s", (int)(eq - items[i]), items[i]);
        jk_report_t report;
        jk_report_reset (&report);
        if (jk_event_set (event, name, eq + 1, &report) != 0) {
            fprintf (stderr, "rw_event %s: %s\n", type_name,
                     report.error.message);
            abort ();
        }
    }
    return event;
}

static void rw_send (rw_t *self, jk_event_t **event)
{
    size_t size;
    uint8_t *bytes = jk_event_encode (*event, &size);
    if (!bytes)
        abort ();
    rw_submit (self, bytes, size);
    free (bytes);
    jk_event_destroy (event);
    self->generated++;
}

/* The k-th event (0..RW_BLOCK-1) of generated block b. */
static void rw_block_event (rw_t *self, uint64_t b, int k)
{
    const jk_region_t *region = jk_region_default ();
    const char *kecamatan = jk_region_kecamatan_at (
        region, b % jk_region_kecamatan_count (region), &(const char *){NULL});
    const char *desa =
        jk_region_desa_at (region, b % jk_region_desa_count (region),
                           &(const char *){NULL}, &(const char *){NULL});
    char source[48], legal[48], nik[20], batch[48], s1[96], s2[96], s3[96],
        s4[96], s5[96], s6[96];
    snprintf (source, sizeof source, "%s/op-%d", kecamatan, (int)(b % 3));
    snprintf (batch, sizeof batch, "batch=PK2UMK-2022-%05llu",
              (unsigned long long)b);
    /* Block layout: 0-2 cooperatives, 3-27 people, 28 batch, 29-32
       sessions, 33-57 enrolments, 58-157 attendance, 158 a duplicate
       cooperative (domain rejection), 159 a bad NIK (format rejection). */
    jk_event_t *event = NULL;
    if (k < 3 || k == 158) {
        uint64_t c = 3 * b + (uint64_t)(k == 158 ? 0 : k);
        snprintf (legal, sizeof legal, "legal_number=AHU-%07llu.AH.01.26",
                  (unsigned long long)c + 1);
        snprintf (s1, sizeof s1, "name=Koperasi Maju Bersama %llu",
                  (unsigned long long)c);
        snprintf (s2, sizeof s2, "desa_code=%s", desa);
        static const char *kinds[] = {"kind=SIMPAN_PINJAM", "kind=KONSUMEN",
                                      "kind=SERBA_USAHA"};
        const char *items[] = {legal,
                               "legal_date=2019-03-15",
                               s1,
                               "form=PRIMER",
                               kinds[c % 3],
                               "pattern=KONVENSIONAL",
                               s2,
                               "members_male=20",
                               "members_female=25",
                               NULL};
        event = rw_event (self, "cooperative.registered", source, items);
    } else if ((k >= 3 && k < 28) || k == 159) {
        uint64_t p = 25 * b + (uint64_t)(k == 159 ? 0 : k - 3);
        snprintf (nik, sizeof nik, "320301%02d0785%04d",
                  (int)(1 + (p / 9999) % 28),
                  k == 159 ? 0 : (int)(p % 9999 + 1));
        snprintf (s1, sizeof s1, "nik=%s", nik);
        snprintf (s2, sizeof s2, "name=Peserta \"%llu\"\tSantoso",
                  (unsigned long long)p);
        snprintf (s3, sizeof s3, "birth_date=1985-07-%02d",
                  (int)(1 + (p / 9999) % 28));
        snprintf (s4, sizeof s4, "desa_code=%s", desa);
        snprintf (legal, sizeof legal, "cooperative=AHU-%07llu.AH.01.26",
                  (unsigned long long)(3 * b + p % 3 + 1));
        const char *items[] = {s1,      s2,
                               "sex=L", s3,
                               s4,      "phone=081234567890",
                               legal,   "role=ANGGOTA",
                               NULL};
        event = rw_event (self, "person.registered", source, items);
    } else if (k == 28) {
        snprintf (s1, sizeof s1, "venue_desa_code=%s", desa);
        const char *items[] = {batch,
                               "title=Pelatihan Pengelola Koperasi, angkatan "
                               "\xc3\xa9",
                               "funding=DAK_NF_PK2UMK",
                               "budget_year=2022",
                               "venue=Aula Kecamatan",
                               s1,
                               "start_date=2022-09-05",
                               "end_date=2022-09-09",
                               "class_size_max=30",
                               NULL};
        event = rw_event (self, "training.batch_scheduled", source, items);
    } else if (k < 33) {
        int n = k - 28;
        snprintf (s1, sizeof s1, "session_no=%d", n);
        snprintf (s2, sizeof s2, "date=2022-09-%02d", 4 + n);
        const char *items[] = {batch,
                               s1,
                               s2,
                               "starts=08:00",
                               "ends=12:00",
                               "jp=4",
                               "topic=Tata kelola koperasi",
                               NULL};
        event = rw_event (self, "training.session_scheduled", source, items);
    } else if (k < 58) {
        uint64_t p = 25 * b + (uint64_t)(k - 33);
        snprintf (s1, sizeof s1, "nik=320301%02d0785%04d",
                  (int)(1 + (p / 9999) % 28), (int)(p % 9999 + 1));
        snprintf (legal, sizeof legal, "cooperative=AHU-%07llu.AH.01.26",
                  (unsigned long long)(3 * b + p % 3 + 1));
        const char *items[] = {batch, s1, legal, NULL};
        event = rw_event (self, "training.participant_enrolled", source, items);
    } else {
        int a = k - 58;
        uint64_t p = 25 * b + (uint64_t)(a % 25);
        snprintf (s1, sizeof s1, "nik=320301%02d0785%04d",
                  (int)(1 + (p / 9999) % 28), (int)(p % 9999 + 1));
        snprintf (s2, sizeof s2, "session_no=%d", 1 + a / 25);
        static const char *status[] = {"status=HADIR", "status=HADIR",
                                       "status=TERLAMBAT", "status=IZIN",
                                       "status=HADIR"};
        const char *items[] = {
            batch,          s2,  s1, status[p % 5], "check_in=08:05",
            "method=PAPER", NULL};
        event = rw_event (self, "attendance.recorded", source, items);
    }
    (void)s5;
    (void)s6;
    rw_send (self, &event);
}

/* Appends count more generated records, continuing where the log ends. */
static void rw_generate (rw_t *self, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++) {
        uint64_t n = self->generated;
        rw_block_event (self, n / RW_BLOCK, (int)(n % RW_BLOCK));
    }
    rw_flush (self);
}

/* Builds a fresh log of count generated records at path. Returns the
   numbers of accepted and rejected records through the pointers (may be
   NULL). */
static void rw_build (const char *path, uint64_t count, uint64_t *accepted,
                      uint64_t *rejected)
{
    rw_t *w = rw_open (path);
    rw_generate (w, count);
    if (accepted)
        *accepted = w->accepted;
    if (rejected)
        *rejected = w->rejected;
    rw_close (&w);
}

#endif
