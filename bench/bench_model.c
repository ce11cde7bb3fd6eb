/*  bench_model.c - what the decision model (storage/model.c) holds per
    entity. For each kind of entity, N events that each add one are
    applied to an empty model that keeps everything (no eviction, no
    database) and the heap it grew by (glibc mallinfo2: bytes in use) is
    divided by N. People are measured a second time in a model that
    evicts (loaded from an empty projection database, told after each
    event that the tables hold it), where at most 2 x JK_MODEL_PEOPLE_MAX
    of them stay in memory whatever N is.
    Then the CPU time the writer's model costs per event: the workload
    generator's mix (--decide N events, 2 % rejected by the rules) is
    encoded, decoded as the store's stage decodes it, and decided and
    applied in order by a fresh model, as the writer does (without the
    log); thread CPU time per event, median of 5 rounds.
    Usage: bench_model [--quick] [--events N] [--decide N]
    Prints a table (bytes per entity), then one JSON line. */
#include "bench_common.h"
#include "jk_model.h"
#include "jk_projections.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

#define BATCH "PK2UMK-2023-01"
#define EXAM  "UK-2023-01"

static size_t s_heap (void)
{
    struct mallinfo2 info = mallinfo2 ();
    return info.uordblks + info.hblkhd;
}

static jk_event_t *s_new (const char *type)
{
    jk_event_t *ev = jk_event_new (jk_vocabulary_find (type, strlen (type)));
    jk_event_set_source (ev, "32.03.10/bench-1");
    jk_event_set_actor (ev, "bench");
    return ev;
}

static void s_set (jk_event_t *ev, const char *field, const char *value)
{
    jk_report_t report;
    jk_report_reset (&report);
    if (jk_event_set (ev, field, value, &report)) {
        fprintf (stderr, "bench_model: %s: %s\n", field, report.error.message);
        exit (1);
    }
}

static const char *s_nik (size_t i)
{
    static char nik[17];
    snprintf (nik, sizeof nik, "3203100101%06zu", i % 1000000);
    return nik;
}

static void s_apply (jk_model_t *model, jk_event_t *ev, uint64_t pos)
{
    jk_model_apply (model, ev, pos);
    jk_event_destroy (&ev);
}

/* The i-th event of a kind (each adds one entity). */
typedef jk_event_t *(s_make_fn)(size_t i);

static jk_event_t *s_cooperative (size_t i)
{
    jk_event_t *ev = s_new ("cooperative.registered");
    char legal[32];
    snprintf (legal, sizeof legal, "AHU-%07zu.AH.01.26", i);
    s_set (ev, "legal_number", legal);
    return ev;
}

static jk_event_t *s_person (size_t i)
{
    jk_event_t *ev = s_new ("person.registered");
    s_set (ev, "nik", s_nik (i));
    return ev;
}

static jk_event_t *s_batch (size_t i)
{
    jk_event_t *ev = s_new ("training.batch_scheduled");
    char code[32];
    snprintf (code, sizeof code, "PK-2023-%06zu", i);
    s_set (ev, "batch", code);
    s_set (ev, "start_date", "2023-05-08");
    s_set (ev, "end_date", "2023-05-10");
    return ev;
}

static jk_event_t *s_session (size_t i)
{
    jk_event_t *ev = s_new ("training.session_scheduled");
    char no[24];
    snprintf (no, sizeof no, "%zu", i + 1);
    s_set (ev, "batch", BATCH);
    s_set (ev, "session_no", no);
    s_set (ev, "date", "2023-05-08");
    s_set (ev, "starts", "08:00");
    s_set (ev, "ends", "11:00");
    s_set (ev, "jp", "4");
    return ev;
}

static jk_event_t *s_enrolment (size_t i)
{
    jk_event_t *ev = s_new ("training.participant_enrolled");
    s_set (ev, "batch", BATCH);
    s_set (ev, "nik", s_nik (i));
    return ev;
}

static jk_event_t *s_attendance (size_t i)
{
    jk_event_t *ev = s_new ("attendance.recorded");
    char no[24];
    snprintf (no, sizeof no, "%zu", i / 1000 + 1);
    s_set (ev, "batch", BATCH);
    s_set (ev, "session_no", no);
    s_set (ev, "nik", s_nik (i % 1000));
    s_set (ev, "status", "HADIR");
    return ev;
}

static jk_event_t *s_unit (size_t i)
{
    jk_event_t *ev = s_new ("assessment.unit_assessed");
    s_set (ev, "assessment", EXAM);
    s_set (ev, "nik", s_nik (i / 2));
    s_set (ev, "unit", i % 2 ? "K.649900.002.01" : "K.649900.001.01");
    s_set (ev, "verdict", "K");
    return ev;
}

static jk_event_t *s_decided (size_t i)
{
    jk_event_t *ev = s_new ("assessment.decided");
    s_set (ev, "assessment", EXAM);
    s_set (ev, "nik", s_nik (i));
    s_set (ev, "verdict", "K");
    return ev;
}

static jk_event_t *s_certificate (size_t i)
{
    jk_event_t *ev = s_new ("certificate.issued");
    char number[32];
    snprintf (number, sizeof number, "CERT/2023/%06zu", i);
    s_set (ev, "number", number);
    s_set (ev, "assessment", EXAM);
    s_set (ev, "nik", s_nik (i));
    return ev;
}

/* A model with the batch (1,000 sessions) and the assessment the kinds
   above refer to. */
static jk_model_t *s_model (bool evict)
{
    jk_model_t *model = jk_model_new (evict);
    jk_event_t *ev = s_new ("training.batch_scheduled");
    s_set (ev, "batch", BATCH);
    s_set (ev, "start_date", "2023-05-08");
    s_set (ev, "end_date", "2023-05-10");
    s_set (ev, "class_size_max", "1000");
    s_apply (model, ev, 1);
    ev = s_new ("assessment.scheduled");
    s_set (ev, "assessment", EXAM);
    s_set (ev, "units", "K.649900.001.01=Satu|K.649900.002.01=Dua");
    s_set (ev, "assessors", "ASR-1");
    s_set (ev, "date", "2023-05-11");
    s_apply (model, ev, 2);
    return model;
}

static double s_cpu_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One round of decide + apply over events by a fresh model: CPU ns per
   event; the rejections counted in *rejected. */
static double s_decide_round (jk_event_t **events, size_t count,
                              size_t *rejected)
{
    jk_model_t *model = jk_model_new (false);
    *rejected = 0;
    double start = s_cpu_now ();
    for (size_t i = 0; i < count; i++) {
        jk_report_t report;
        jk_report_reset (&report);
        if (jk_model_decide (model, events[i], &report) == 0)
            jk_model_apply (model, events[i], i + 1);
        else
            (*rejected)++;
    }
    double ns = (s_cpu_now () - start) * 1e9 / (double)count;
    jk_model_destroy (&model);
    return ns;
}

/* The workload's events encoded and decoded into slabs, as the stage
   hands them to the writer; the decoded strings borrow bytes. */
typedef struct {
    jk_event_t **event;
    uint8_t **bytes;
    size_t count;
} s_mix_t;

static void s_mix_make (s_mix_t *self, size_t count)
{
    jk_workload_config_t config = {.events = count, .reject_share = 0.02};
    jk_workload_t *workload = jk_workload_new (7, &config);
    self->event = jk_calloc (count, sizeof *self->event);
    self->bytes = jk_calloc (count, sizeof *self->bytes);
    self->count = 0;
    jk_event_slab_t *slab = NULL;
    jk_event_t *event;
    while (self->count < count && (event = jk_workload_next (workload))) {
        size_t i = self->count, size;
        if (i % 1000 == 0) {
            /* A slab per 1,000 events, as the stage makes one per batch. */
            jk_event_slab_release (&slab);
            slab = jk_event_slab_new (1000);
        }
        uint8_t *encoded = jk_event_encode (event, &size);
        jk_event_destroy (&event);
        /* Each event's bytes in a block of their own size, as the
           stage's batch holds them. */
        self->bytes[i] = jk_malloc (size);
        memcpy (self->bytes[i], encoded, size);
        free (encoded);
        jk_report_t report;
        self->event[i] =
            jk_event_decode_in (slab, self->bytes[i], size, &report);
        if (!self->event[i]) {
            fprintf (stderr, "bench_model: workload event %zu: %s\n", i,
                     report.error.message);
            exit (1);
        }
        self->count++;
    }
    jk_event_slab_release (&slab);
    jk_workload_destroy (&workload);
}

static void s_mix_free (s_mix_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        jk_event_destroy (&self->event[i]);
        free (self->bytes[i]);
    }
    free (self->event);
    free (self->bytes);
}

int main (int argc, char **argv)
{
    size_t events = 200000, decide = 100000;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0)
            events = decide = 20000;
        else if (strcmp (argv[i], "--events") == 0 && i + 1 < argc)
            events = strtoull (argv[++i], NULL, 10);
        else if (strcmp (argv[i], "--decide") == 0 && i + 1 < argc)
            decide = strtoull (argv[++i], NULL, 10);
        else {
            fprintf (stderr, "usage: bench_model [--quick] [--events N] "
                             "[--decide N]\n");
            return 2;
        }
    }
    if (events < 1000 || events > 1000000 || decide < 1000 ||
        decide > 1000000) {
        fprintf (stderr, "bench_model: --events and --decide between 1000 "
                         "and 1000000\n");
        return 2;
    }
    static const struct {
        const char *name;
        s_make_fn *make;
        size_t most; /* entities the kind can add (0: events) */
    } kinds[] = {
        {"cooperative", s_cooperative, 0},
        {"person", s_person, 0},
        {"batch", s_batch, 0},
        {"session", s_session, 1000},
        {"enrolment", s_enrolment, 0},
        {"attendance row (open batch)", s_attendance, 0},
        {"unit verdict", s_unit, 0},
        {"decision", s_decided, 0},
        {"certificate", s_certificate, 0},
    };
    size_t n_kinds = sizeof kinds / sizeof kinds[0];
    double per[16];
    printf ("model memory per entity (%zu entities of each kind, glibc heap)"
            "\n",
            events);
    for (size_t k = 0; k < n_kinds; k++) {
        size_t n =
            kinds[k].most && kinds[k].most < events ? kinds[k].most : events;
        jk_model_t *model = s_model (false);
        size_t before = s_heap ();
        for (size_t i = 0; i < n; i++)
            s_apply (model, kinds[k].make (i), 10 + i);
        per[k] = (double)(s_heap () - before) / (double)n;
        printf ("  %-32s %8.1f bytes\n", kinds[k].name, per[k]);
        jk_model_destroy (&model);
    }

    /* People in an evicting model: bounded whatever the count. */
    char dir[] = "/tmp/jejak-bench-model-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    char path[128], err[256];
    snprintf (path, sizeof path, "%s/model.db", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open (path, &db) != SQLITE_OK ||
        jk_projections_migrate (db, err, sizeof err)) {
        fprintf (stderr, "bench_model: %s\n", db ? sqlite3_errmsg (db) : path);
        return 1;
    }
    jk_model_t *model = jk_model_new (true);
    if (jk_model_load (model, db, err, sizeof err)) {
        fprintf (stderr, "bench_model: %s\n", err);
        return 1;
    }
    size_t people = 3 * (size_t)JK_MODEL_PEOPLE_MAX;
    size_t before = s_heap ();
    for (size_t i = 0; i < people; i++) {
        jk_event_t *ev = s_new ("person.registered");
        char nik[17];
        snprintf (nik, sizeof nik, "32%014zu", i);
        s_set (ev, "nik", nik);
        s_apply (model, ev, 10 + i);
        /* As the store says once the tables hold the event. */
        jk_model_written (model, 10 + i);
    }
    jk_model_size_t size;
    jk_model_size (model, &size);
    double bounded_mb = (double)(s_heap () - before) / 1048576.0;
    printf ("  %-32s %8.1f MiB for %zu people (%zu in memory, %zu left"
            " it)\n",
            "people, evicting model", bounded_mb, people, size.people,
            size.people_left);
    jk_model_destroy (&model);
    sqlite3_close (db);
    unlink (path);
    rmdir (dir);

    /* The writer's share: decide + apply over the workload. */
    s_mix_t mix;
    s_mix_make (&mix, decide);
    size_t count = mix.count, rejected = 0;
    double rounds[5];
    for (int r = 0; r < 5; r++)
        rounds[r] = s_decide_round (mix.event, count, &rejected);
    double decide_ns = jk_bench_median (rounds, 5);
    printf ("  %-32s %8.1f ns per event (%zu events, %zu rejected, CPU "
            "time, median of 5)\n",
            "decide + apply, workload mix", decide_ns, count, rejected);
    s_mix_free (&mix);

    printf ("{\"bench\":\"model\",\"entities\":%zu", events);
    for (size_t k = 0; k < n_kinds; k++) {
        char key[48];
        size_t j = 0;
        for (const char *c = kinds[k].name; *c && *c != ' ' && j < 40; c++)
            key[j++] = *c;
        key[j] = 0;
        printf (",\"%s_bytes\":%.1f", key, per[k]);
    }
    printf (",\"people_bound\":%d,\"people_bounded_mib\":%.1f,"
            "\"decide_events\":%zu,\"decide_rejected\":%zu,"
            "\"decide_ns\":%.1f}\n",
            2 * JK_MODEL_PEOPLE_MAX, bounded_mb, count, rejected, decide_ns);
    return 0;
}
