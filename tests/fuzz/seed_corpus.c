/*  seed_corpus.c - writes the seed corpora of the schema fuzz targets from
    encoder round trips: every event type with valid values plus boundary
    variants, the wire frames built by the wire encoders, the upstream
    link's record maps that carry the RAT deadline months, typical
    command lines and config files, heartbeat replies and $office
    messages, and jejak-office's posted forms. Usage: jejak-fuzz-seeds DIR (DIR
   is tests/fuzz/corpus); existing files of the same name are replaced. */
#include "jk_link.h"
#include "jk_wire.h"
#include "samples.h"
#include "jk_opts.h"
#include "jk_version.h"

#include <errno.h>
#include <sys/stat.h>

static const char *s_root;

static void s_write (const char *target, const char *name, const void *data,
                     size_t size)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", s_root, target);
    if (mkdir (path, 0755) && errno != EEXIST) {
        perror (path);
        exit (1);
    }
    snprintf (path, sizeof path, "%s/%s/%s", s_root, target, name);
    FILE *f = fopen (path, "wb");
    if (!f || fwrite (data, 1, size, f) != size) {
        perror (path);
        exit (1);
    }
    fclose (f);
}

/* Writes an event to the event and envelope corpora. */
static void s_event (const char *name, const jk_event_t *ev)
{
    size_t size;
    uint8_t *bytes = jk_event_encode (ev, &size);
    if (!bytes) {
        fprintf (stderr, "%s: too large\n", name);
        exit (1);
    }
    jk_event_t *back = jk_event_decode (bytes, size, NULL);
    if (!back || !jk_event_equal (ev, back)) {
        fprintf (stderr, "%s: does not round-trip\n", name);
        exit (1);
    }
    jk_event_destroy (&back);
    s_write ("event", name, bytes, size);
    s_write ("envelope", name, bytes, size);
    free (bytes);
}

static char *s_repeat (const char *unit, size_t n)
{
    size_t u = strlen (unit);
    char *out = jk_malloc (n * u + 1);
    for (size_t i = 0; i < n; i++)
        memcpy (out + i * u, unit, u);
    out[n * u] = 0;
    return out;
}

static void s_events (void)
{
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        jk_event_t *ev = jk_sample_event (&jk_samples[i]);
        char name[96];
        snprintf (name, sizeof name, "%s.mp", jk_samples[i].type);
        s_event (name, ev);
        jk_event_destroy (&ev);
    }
    jk_report_t report;
    jk_report_reset (&report);

    /* Only the required fields. */
    jk_event_t *ev = jk_sample_by_name ("person.registered");
    for (size_t k = 0; k < ev->type->field_count; k++)
        if (!ev->type->fields[k].required)
            ev->body[k].present = false;
    s_event ("person.registered-required-only.mp", ev);
    jk_event_destroy (&ev);

    /* Longest texts, multi-byte. */
    ev = jk_sample_by_name ("cooperative.registered");
    char *name = s_repeat ("\xe8\xaa\x9e", 150);
    char *address = s_repeat ("\xc3\xa9", 250);
    jk_event_set (ev, "name", name, &report);
    jk_event_set (ev, "address", address, &report);
    jk_event_set_actor (ev, address);
    s_event ("cooperative.registered-longest.mp", ev);
    free (name);
    free (address);
    jk_event_destroy (&ev);

    /* 50 units and 20 assessors. */
    ev = jk_sample_by_name ("assessment.scheduled");
    char units[2048] = "", assessors[512] = "";
    for (int i = 0; i < 50; i++)
        snprintf (units + strlen (units), sizeof units - strlen (units),
                  "%sU%02d=Unit %d", i ? "|" : "", i, i);
    for (int i = 0; i < 20; i++)
        snprintf (assessors + strlen (assessors),
                  sizeof assessors - strlen (assessors), "%sASR-%02d",
                  i ? "," : "", i);
    jk_event_set (ev, "units", units, &report);
    jk_event_set (ev, "assessors", assessors, &report);
    s_event ("assessment.scheduled-most-units.mp", ev);
    jk_event_destroy (&ev);

    /* Integer edges in the envelope and body. */
    ev = jk_sample_by_name ("training.session_scheduled");
    ev->seq = UINT64_MAX;
    ev->at = -1;
    jk_event_set_uint (ev, "session_no", 0);
    jk_event_set_uint (ev, "jp", (uint64_t)INT64_MAX);
    s_event ("training.session_scheduled-edges.mp", ev);
    jk_event_destroy (&ev);

    /* Warnings: NIK sex mismatch, unknown legal number format. */
    ev = jk_sample_by_name ("person.registered");
    jk_event_set (ev, "sex", "L", &report);
    jk_event_set (ev, "cooperative", "Nomor 12 tahun 2001", &report);
    s_event ("person.registered-warnings.mp", ev);
    jk_event_destroy (&ev);

    ev = jk_sample_by_name ("attendance.recorded");
    jk_event_set (ev, "status", "IZIN", &report);
    ev->body[4].present = ev->body[5].present = false;
    s_event ("attendance.recorded-izin.mp", ev);
    jk_event_destroy (&ev);

    ev = jk_sample_by_name ("person.corrected");
    ev->has_corrects = true;
    memcpy (ev->corrects, jk_sample_corrects, 16);
    s_event ("person.corrected-with-corrects.mp", ev);
    jk_event_destroy (&ev);
}

/* Appends msg's frames, each as a 2-byte length and its bytes. */
static void s_frames (const char *target, const char *name, zmsg_t *msg)
{
    uint8_t buf[8192];
    size_t n = 0;
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
        size_t len = zframe_size (f);
        if (n + 2 + len > sizeof buf)
            exit (1);
        buf[n++] = (uint8_t)(len >> 8);
        buf[n++] = (uint8_t)len;
        memcpy (buf + n, zframe_data (f), len);
        n += len;
    }
    s_write (target, name, buf, n);
}

static void s_wire (void)
{
    size_t size;
    jk_event_t *ev = jk_sample_by_name ("attendance.recorded");
    uint8_t *bytes = jk_event_encode (ev, &size);
    jk_event_destroy (&ev);

    jk_record_t record = {.topic = "attendance.recorded",
                          .pos = 42,
                          .recorded_at = JK_SAMPLE_NOW_MS,
                          .bytes = bytes,
                          .size = size};
    memset (record.hash, 0xab, 32);
    zmsg_t *msg = jk_record_msg (&record);
    s_frames ("wire", "record-accepted", msg);
    zmsg_destroy (&msg);
    snprintf (record.topic, sizeof record.topic, "rejected.%s",
              "attendance.recorded");
    snprintf (record.code, sizeof record.code, "E_BATCH_CLOSED");
    snprintf (record.message, sizeof record.message,
              "E_BATCH_CLOSED: batch PK2UMK-2022-01 is closed");
    msg = jk_record_msg (&record);
    s_frames ("wire", "record-rejected", msg);
    zmsg_destroy (&msg);
    /* A RECORDS frame with the rejected record and an accepted one. */
    uint8_t packed[4096];
    jk_record_t accepted = record;
    accepted.code[0] = accepted.message[0] = 0;
    snprintf (accepted.topic, sizeof accepted.topic, "attendance.recorded");
    accepted.pos = 43;
    if (jk_records_size (&record) + jk_records_size (&accepted) > sizeof packed)
        exit (1);
    size_t n = jk_records_put (packed, &record);
    n += jk_records_put (packed + n, &accepted);
    msg = zmsg_new ();
    zmsg_addmem (msg, packed, n);
    s_frames ("wire", "records-two", msg);
    zmsg_destroy (&msg);
    jk_record_t head = {.topic = JK_FEED_HEAD, .pos = 42};
    msg = jk_record_msg (&head);
    s_frames ("wire", "record-head", msg);
    zmsg_destroy (&msg);
    free (bytes);

    const struct {
        const char *name;
        jk_answer_kind_t kind;
        const char *code;
        uint64_t expected;
    } answers[] = {
        {"answer-ack", JK_ANSWER_ACK, "", 0},
        {"answer-rejected", JK_ANSWER_REJECTED, "E_FIELD_RANGE", 0},
        {"answer-duplicate", JK_ANSWER_DUPLICATE, "", 0},
        {"answer-nack-gap", JK_ANSWER_NACK, "E_SEQ_GAP", 7},
        {"answer-nack-busy", JK_ANSWER_NACK, "E_BUSY", 0},
    };
    for (size_t i = 0; i < sizeof answers / sizeof *answers; i++) {
        jk_answer_t a = {.kind = answers[i].kind,
                         .pos = answers[i].kind == JK_ANSWER_NACK ? 0 : 42,
                         .expected = answers[i].expected};
        memcpy (a.id, jk_sample_id, 16);
        memset (a.hash, 0xcd, 32);
        snprintf (a.code, sizeof a.code, "%s", answers[i].code);
        if (a.code[0])
            snprintf (a.message, sizeof a.message,
                      "%s: body.jp must be 1..10, got 12", a.code);
        msg = zmsg_new ();
        jk_answer_add (msg, &a);
        s_frames ("wire", answers[i].name, msg);
        zmsg_destroy (&msg);
    }
    jk_heartbeat_t hb = {.source = JK_SAMPLE_SOURCE,
                         .program = "jejak-attendance",
                         .outbox_depth = 3,
                         .last_stored_seq = 41,
                         .rejected = 1};
    msg = zmsg_new ();
    jk_heartbeat_add (msg, &hb);
    s_frames ("wire", "heartbeat", msg);
    zmsg_destroy (&msg);
}

/* Record maps of the upstream link with the optional key
   rat_deadline_months: 9 (decodes) and 25 (refused, naming the key). The
   link's other seeds (accepted, rejected, ...) were written before. */
static void s_link (void)
{
    jk_event_t *ev = jk_sample_by_name ("cooperative.rat_held");
    size_t size = 0;
    uint8_t *bytes = ev ? jk_event_encode (ev, &size) : NULL;
    jk_event_destroy (&ev);
    if (!bytes)
        exit (1);
    jk_link_record_t r = {.cursor = 12,
                          .pos = 12,
                          .recorded_at = 1662000000000,
                          .outcome = JK_LOG_ACCEPTED,
                          .code = "",
                          .message = "",
                          .bytes = bytes,
                          .size = size,
                          .rat_deadline_months = 9};
    snprintf (r.origin, sizeof r.origin, "32.04");
    for (int i = 0; i < JK_HASH_SIZE; i++)
        r.hash[i] = (uint8_t)i;
    zframe_t *frame = jk_link_record_encode (&r);
    s_write ("link", "months", zframe_data (frame), zframe_size (frame));
    zframe_destroy (&frame);
    r.rat_deadline_months = 25;
    frame = jk_link_record_encode (&r);
    s_write ("link", "months_out_of_range", zframe_data (frame),
             zframe_size (frame));
    zframe_destroy (&frame);
    free (bytes);
}

static void s_opts (void)
{
    static const char argv1[] = "--broker\0tcp://10.0.0.1:7450\0record\0"
                                "--nik=3203014107850001\0--once";
    static const char argv2[] = "sync\0--wait\0"
                                "30\0--\0--not-a-flag\0-h";
    static const char argv3[] = "--unknown\0x";
    static const char config[] = "# office settings\nbroker = "
                                 "\"tcp://hub.dinas:7450\"\nsource = "
                                 "32.03.10/pacet-1\nwait = 10\njson = 1\n"
                                 "\0\0pending\0--source=DINAS/hub";
    static const char config2[] = "broker\n    nested = 1\n  bad indent\n"
                                  "\0\0--help";
    s_write ("opts", "flags", argv1, sizeof argv1 - 1);
    s_write ("opts", "positional", argv2, sizeof argv2 - 1);
    s_write ("opts", "unknown-flag", argv3, sizeof argv3 - 1);
    s_write ("opts", "config", config, sizeof config - 1);
    s_write ("opts", "config-nested", config2, sizeof config2 - 1);
}

/* The heartbeat replies (PONG) and the feed's $office messages
   (fuzz_pong, fuzz_office: frames as s_frames writes them). */
static void s_pong_office (void)
{
    const jk_pong_t pongs[] = {
        {.now_ms = JK_SAMPLE_NOW_MS},
        {.now_ms = JK_SAMPLE_NOW_MS, .expect = 300, .stored_seq = 345}};
    const char *names[] = {"clock", "expect"};
    for (size_t i = 0; i < 2; i++) {
        zmsg_t *msg = zmsg_new ();
        jk_pong_add (msg, &pongs[i]);
        zframe_t *f = zmsg_first (msg);
        s_write ("pong", names[i], zframe_data (f), zframe_size (f));
        zmsg_destroy (&msg);
    }
    jk_office_t office = {.heartbeat = {.source = JK_SAMPLE_SOURCE,
                                        .program = "jejak-attendance",
                                        .outbox_depth = 12,
                                        .last_stored_seq = 345,
                                        .rejected = 2},
                          .last_seen_ms = JK_SAMPLE_NOW_MS};
    zmsg_t *msg = jk_office_msg (&office);
    s_frames ("office", "office", msg);
    zmsg_destroy (&msg);
    /* Without last_seen_ms: the heartbeat map alone (refused). */
    msg = zmsg_new ();
    zmsg_addstr (msg, JK_FEED_OFFICE);
    jk_heartbeat_add (msg, &office.heartbeat);
    s_frames ("office", "no-last-seen", msg);
    zmsg_destroy (&msg);
}

/* Posted forms of jejak-office (fuzz_form): the type's index, then
   NUL-separated names and values, as a clerk's browser sends them. */
static void s_form (const char *name, const char *type, const char *const *kv)
{
    char buf[8192];
    size_t n = 0;
    size_t index = 0;
    while (index < jk_vocabulary_count () &&
           strcmp (jk_vocabulary_at (index)->name, type) != 0)
        index++;
    if (index == jk_vocabulary_count () || index > 255)
        exit (1);
    buf[n++] = (char)index;
    for (size_t i = 0; kv[i]; i++) {
        size_t len = strlen (kv[i]) + 1;
        if (n + len > sizeof buf)
            exit (1);
        memcpy (buf + n, kv[i], len);
        n += len;
    }
    s_write ("form", name, buf, n - 1);
}

static void s_forms (void)
{
    static const char *const cooperative[] = {"csrf",
                                              "x",
                                              "f.legal_number",
                                              "AHU-0001234.AH.01.26.TAHUN 2019",
                                              "f.legal_date",
                                              "06/10/2019",
                                              "f.name",
                                              "Koperasi Maju Bersama",
                                              "f.form",
                                              "Primer",
                                              "f.kind",
                                              "simpan_pinjam",
                                              "f.pattern",
                                              "KONVENSIONAL",
                                              "f.desa_code",
                                              "32.03.10.2012",
                                              "f.members_male",
                                              "1.045",
                                              "f.members_female",
                                              "12",
                                              NULL};
    s_form ("cooperative", "cooperative.registered", cooperative);
    static const char *const units[] = {"f.units.code",
                                        "U1",
                                        "f.units.title",
                                        "Unit simpan pinjam",
                                        "f.units.code",
                                        "U2",
                                        "f.units.title",
                                        "Toko",
                                        "f.units.code",
                                        "",
                                        "f.units.title",
                                        "",
                                        "f.units.code",
                                        "U=3",
                                        "f.units.title",
                                        "Bad",
                                        NULL};
    s_form ("units", "cooperative.registered", units);
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        for (size_t k = 0; k < t->field_count; k++) {
            const jk_field_t *f = &t->fields[k];
            if (f->kind != JK_KIND_LIST && f->kind != JK_KIND_SET)
                continue;
            char key[96], name[160];
            snprintf (key, sizeof key, "f.%s", f->name);
            const char *values[] = {
                key,
                f->kind == JK_KIND_LIST ? " A-01 \r\nA-02\n\nA-03"
                                        : (f->values ? f->values[0] : "x"),
                key, f->values && f->values[1] ? f->values[1] : "y", NULL};
            snprintf (name, sizeof name, "%s-%s", t->name, f->name);
            s_form (name, t->name, values);
        }
    }
}

int main (int argc, char **argv)
{
    if (jk_version_asked (argc, argv)) {
        jk_version_print ("jejak-fuzz-seeds", stdout);
        return 0;
    }
    static const jk_opt_t spec[] = {
        {"out", NULL, NULL, "corpus folder to write (or DIR as the argument)",
         false}};
    jk_opts_t *opts = jk_opts_new ("jejak-fuzz-seeds", spec, 1);
    char err[256];
    if (jk_opts_parse (opts, argc, argv, err, sizeof err) != 0) {
        fprintf (stderr, "jejak-fuzz-seeds: %s (see --help)\n", err);
        jk_opts_destroy (&opts);
        return 2;
    }
    if (jk_opts_help (opts)) {
        printf ("Usage: jejak-fuzz-seeds DIR\n"
                "Writes the seed corpora of the fuzz targets into DIR "
                "(tests/fuzz/corpus);\nexisting files of the same name are "
                "replaced.\n\n");
        jk_opts_print (opts, stdout);
        printf ("\nExit status: 0 written, 1 write error, 2 usage error.\n");
        jk_opts_destroy (&opts);
        return 0;
    }
    const char *out = jk_opts_get (opts, "out");
    if (!out && jk_opts_argc (opts) == 1)
        out = jk_opts_arg (opts, 0);
    if (!out || jk_opts_argc (opts) > (jk_opts_get (opts, "out") ? 0 : 1)) {
        fprintf (stderr, "jejak-fuzz-seeds: expected one folder, DIR or "
                         "--out DIR (see --help)\n");
        jk_opts_destroy (&opts);
        return 2;
    }
    static char root[4096];
    snprintf (root, sizeof root, "%s", out);
    jk_opts_destroy (&opts);
    s_root = root;
    if (mkdir (s_root, 0755) && errno != EEXIST) {
        perror (s_root);
        return 1;
    }
    s_events ();
    s_wire ();
    s_link ();
    s_opts ();
    s_pong_office ();
    s_forms ();
    return 0;
}
