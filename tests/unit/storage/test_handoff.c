/*  test_handoff.c - records the writer hands the projector (
    jk_projector_offer): every committed record, rejections with their
    code and message, each with its hash, the accepted ones decoded. A
    step whose next position the hand-offs hold reads nothing of the log
    (jk_projector_read counts what it reads), and the projections, their
    position and hash equal those made from the log alone; where the
    hand-offs leave a gap, or repeat a position, or a handed record is
    recorded before the record before it, the log is read there; handed
    records are freed once passed (the hand-off itself given again,
    empty, by jk_handoff_new); a hand-off beyond JK_HANDOFF_MAX
    records is refused, and the projector thread steps in larger
    transactions that far behind. Also the projections' WAL, which the
    projector checkpoints itself: after a commit at its limit, when idle,
    and around a reader. */
#include "jk_integrity.h"
#include "jk_projector.h"
#include "testsupport.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_EVENTS 300
/* Records 50 and 200 (positions) are bytes that decode to nothing,
   logged rejected; every seventh workload event is logged rejected. */
#define S_GARBAGE_1 49
#define S_GARBAGE_2 199

typedef struct {
    uint8_t *bytes;
    size_t size;
    bool rejected;
    char code[JK_CODE_MAX];
    char message[JK_MESSAGE_MAX];
    uint8_t hash[32];
} s_record_t;

/* Frees a message a hand-off kept (jk_handoff_keep's release). */
static void s_msg_release (void *msg)
{
    zmsg_destroy ((zmsg_t **)&msg);
}

/* The log at path: S_EVENTS records, all recorded at recorded_at: the
   workload's events, every seventh rejected (E_TEST_REJECTED), and two
   rejections whose bytes do not decode (S_GARBAGE_1 and S_GARBAGE_2).
   Fills records (their bytes, heap). */
static void s_make_log (const char *path, int64_t recorded_at,
                        s_record_t *records)
{
    jk_workload_config_t config = {.events = S_EVENTS - 2};
    jk_workload_t *workload = jk_workload_new (77, &config);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    assert_int_equal (jk_log_begin (log), JK_OK);
    uint64_t garbage_seq = 0;
    for (size_t i = 0; i < S_EVENTS; i++) {
        s_record_t *r = &records[i];
        jk_log_record_t record = {.recorded_at = recorded_at};
        char source[JK_SOURCE_MAX + 1];
        if (i == S_GARBAGE_1 || i == S_GARBAGE_2) {
            r->bytes = (uint8_t *)jk_strdup ("\xc1 not an event");
            r->size = strlen ((char *)r->bytes);
            r->rejected = true;
            snprintf (r->code, sizeof r->code, "E_DECODE");
            snprintf (r->message, sizeof r->message, "not MessagePack (%zu)",
                      i);
            record.type = "";
            record.source = "rusak";
            record.seq = ++garbage_seq;
            memset (record.id, (int)i, 16);
        } else {
            jk_event_t *ev = jk_workload_next (workload);
            assert_non_null (ev);
            r->bytes = jk_event_encode (ev, &r->size);
            r->rejected = i % 7 == 3;
            if (r->rejected) {
                snprintf (r->code, sizeof r->code, "E_TEST_REJECTED");
                snprintf (r->message, sizeof r->message,
                          "rejected for the test at %zu", i);
            }
            snprintf (source, sizeof source, "%.*s", (int)ev->source.len,
                      ev->source.ptr);
            record.type = ev->type->name;
            record.version = ev->version;
            record.source = source;
            record.seq = ev->seq;
            record.at = ev->at;
            memcpy (record.id, ev->id, 16);
            jk_event_destroy (&ev);
        }
        record.outcome = r->rejected ? JK_LOG_REJECTED : JK_LOG_ACCEPTED;
        record.code = r->rejected ? r->code : NULL;
        record.message = r->rejected ? r->message : NULL;
        record.bytes = r->bytes;
        record.size = r->size;
        assert_int_equal (jk_log_append (log, &record), JK_OK);
        assert_int_equal (record.pos, i + 1);
        memcpy (r->hash, record.hash, 32);
    }
    assert_null (jk_workload_next (workload));
    assert_int_equal (jk_log_commit (log), JK_OK);
    jk_log_close (&log);
    jk_workload_destroy (&workload);
}

/* Adds record i (position i + 1) to h as the writer does, its bytes
   those of frame (which h keeps), at recorded_at: an accepted one
   decoded and validated at recorded_at; with name, a person.registered
   renamed so. */
static void s_add (jk_handoff_t *h, const s_record_t *records, size_t i,
                   zframe_t *frame, int64_t recorded_at, const char *name)
{
    const s_record_t *r = &records[i];
    jk_stored_t stored = {.pos = i + 1,
                          .recorded_at = recorded_at,
                          .hash = r->hash,
                          .rejected = r->rejected,
                          .code = r->rejected ? r->code : NULL,
                          .message = r->rejected ? r->message : NULL,
                          .bytes = zframe_data (frame),
                          .size = zframe_size (frame)};
    jk_event_t *ev = NULL;
    jk_report_t *warnings = NULL;
    if (!r->rejected) {
        jk_report_t report;
        assert_int_equal (jk_log_check (zframe_data (frame),
                                        zframe_size (frame), recorded_at, &ev,
                                        &report),
                          0);
        if (report.warning_count > 0)
            warnings =
                memcpy (jk_malloc (sizeof report), &report, sizeof report);
    }
    if (name) {
        assert_string_equal (ev->type->name, "person.registered");
        int field = jk_type_field (ev->type, "name", 4);
        assert_true (field >= 0);
        ev->body[field].s = jk_str_of (name);
    }
    jk_handoff_add (h, &stored, &ev, &warnings);
    assert_null (ev);
    assert_null (warnings);
}

/* A hand-off of records [first, last) (positions first + 1 ...), their
   bytes in a message of its own, at recorded_at. */
static jk_handoff_t *s_handoff (const s_record_t *records, size_t first,
                                size_t last, int64_t recorded_at)
{
    jk_handoff_t *handoff = jk_handoff_new ();
    zmsg_t *msg = zmsg_new ();
    for (size_t i = first; i < last; i++)
        zmsg_addmem (msg, records[i].bytes, records[i].size);
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = first; i < last; i++, frame = zmsg_next (msg))
        s_add (handoff, records, i, frame, recorded_at, NULL);
    jk_handoff_keep (handoff, msg, s_msg_release);
    assert_int_equal (jk_handoff_size (handoff), last - first);
    return handoff;
}

/* Runs the projector thread on the log at path with shared (hand-offs
   already queued), releases every record and waits until it stands at
   S_EVENTS; the projections' stored position and hash are the log's
   there. Returns the canonical dump of its projections. */
static char *s_project (const char *path, jk_projector_shared_t *shared)
{
    char err[256];
    jk_projector_t *projector = jk_projector_new (path, NULL, err, sizeof err);
    assert_non_null (projector);
    assert_int_equal (jk_projector_pos (projector), 0);
    zactor_t *actor = jk_projector_start (&projector, shared);
    assert_non_null (actor);
    __atomic_store_n (&shared->released, (uint64_t)S_EVENTS, __ATOMIC_RELEASE);
    zstr_send (actor, "WAKE");
    assert_true (JK_WAIT_FOR (
        __atomic_load_n (&shared->pos, __ATOMIC_ACQUIRE) == S_EVENTS, 30000));
    zactor_destroy (&actor);
    assert_int_equal (shared->failed, 0);
    sqlite3 *db = jk_projections_open_read (path, err, sizeof err);
    assert_non_null (db);
    uint64_t pos;
    uint8_t hash[JK_HASH_SIZE], logged[JK_HASH_SIZE];
    assert_int_equal (jk_projections_position (db, &pos, hash), JK_OK);
    assert_int_equal (pos, S_EVENTS);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT hash FROM log"
                                          " WHERE pos = ?1",
                                          -1, &st, NULL),
                      SQLITE_OK);
    sqlite3_bind_int64 (st, 1, S_EVENTS);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_int_equal (sqlite3_column_bytes (st, 0), JK_HASH_SIZE);
    memcpy (logged, sqlite3_column_blob (st, 0), JK_HASH_SIZE);
    sqlite3_finalize (st);
    assert_memory_equal (hash, logged, JK_HASH_SIZE);
    char *dump = jk_test_dump (db);
    sqlite3_close (db);
    return dump;
}

typedef struct {
    char *dir;
    int64_t recorded_at;
    s_record_t records[S_EVENTS];
    char *log_path; /* the log; each run projects a copy of it */
    char *plain;    /* the dump made from the log alone */
} s_fixture_t;

static int s_setup (void **state)
{
    s_fixture_t *f = jk_calloc (1, sizeof *f);
    f->dir = jk_test_tmpdir ("handoff");
    f->log_path = jk_sprintf ("%s/log.db", f->dir);
    jk_workload_config_t config = {.events = S_EVENTS};
    jk_workload_t *workload = jk_workload_new (77, &config);
    f->recorded_at = jk_workload_end_ms (workload) + 1000;
    jk_workload_destroy (&workload);
    s_make_log (f->log_path, f->recorded_at, f->records);
    jk_projector_shared_t shared = {0};
    f->plain = s_project (f->log_path, &shared);
    assert_int_equal (shared.read, S_EVENTS);
    assert_true (strlen (f->plain) > 1000);
    /* The rejections are there, the undecodable ones too. */
    assert_non_null (strstr (f->plain, "E_TEST_REJECTED"));
    assert_non_null (strstr (f->plain, "not MessagePack (199)"));
    *state = f;
    return 0;
}

static int s_teardown (void **state)
{
    s_fixture_t *f = *state;
    for (size_t i = 0; i < S_EVENTS; i++)
        free (f->records[i].bytes);
    free (f->plain);
    free (f->log_path);
    jk_test_rmdir (&f->dir);
    free (f);
    return 0;
}

/* A fresh copy of the fixture's log (its projections are made anew). */
static char *s_copy (s_fixture_t *f, const char *name)
{
    char *path = jk_sprintf ("%s/%s", f->dir, name);
    size_t size;
    char *bytes = jk_test_slurp (f->log_path, &size);
    assert_non_null (bytes);
    FILE *out = fopen (path, "wb");
    assert_non_null (out);
    assert_int_equal (fwrite (bytes, 1, size, out), size);
    fclose (out);
    free (bytes);
    return path;
}

/* Offers records [first, last) at recorded_at to shared. */
static void s_offer (s_fixture_t *f, jk_projector_shared_t *shared,
                     size_t first, size_t last, int64_t recorded_at)
{
    jk_handoff_t *h = s_handoff (f->records, first, last, recorded_at);
    jk_projector_offer (shared, &h);
    assert_null (h);
}

/* Projects the copy of the log at path with the hand-offs queued on
   shared: the projections, their position and hash are those made from
   the log alone; read records came from the log; every hand-off was
   passed and freed. */
static void s_project_equal (s_fixture_t *f, char *path,
                             jk_projector_shared_t *shared, uint64_t read)
{
    char *dump = s_project (path, shared);
    assert_string_equal (dump, f->plain);
    assert_int_equal (shared->read, read);
    assert_int_equal (shared->handed, 0);
    assert_null (shared->handoffs);
    free (dump);
    free (path);
}

/* Every position handed over, rejections (undecodable ones too) with
   their code, message and hash, in hand-offs that overlap (100 to 109
   twice: the second passed over): nothing is read from the log. */
static void test_handed_reads_nothing (void **state)
{
    s_fixture_t *f = *state;
    jk_projector_shared_t shared = {0};
    s_offer (f, &shared, 0, 110, f->recorded_at);
    s_offer (f, &shared, 100, 210, f->recorded_at);
    s_offer (f, &shared, 210, S_EVENTS, f->recorded_at);
    assert_int_equal (shared.handed, S_EVENTS + 10);
    s_project_equal (f, s_copy (f, "covered.db"), &shared, 0);
}

/* Hand-offs with gaps (1 to 40, 101 to 130, and S_EVENTS - 1 on, not
   handed): those positions, and only those, are read from the log. */
static void test_gap_read_from_log (void **state)
{
    s_fixture_t *f = *state;
    jk_projector_shared_t shared = {0};
    s_offer (f, &shared, 40, 100, f->recorded_at);
    s_offer (f, &shared, 130, S_EVENTS - 2, f->recorded_at);
    s_project_equal (f, s_copy (f, "gaps.db"), &shared, 40 + 30 + 2);
}

/* A hand-off recorded before the record before it (positions 151 to
   160 at recorded_at - 1) is passed over: those ten are read from the
   log, the rest handed. */
static void test_handed_equals_log (void **state)
{
    s_fixture_t *f = *state;
    jk_projector_shared_t shared = {0};
    s_offer (f, &shared, 0, S_EVENTS / 2, f->recorded_at);
    s_offer (f, &shared, S_EVENTS / 2, S_EVENTS / 2 + 10, f->recorded_at - 1);
    s_offer (f, &shared, S_EVENTS / 2 + 10, S_EVENTS, f->recorded_at);
    assert_int_equal (shared.handed, S_EVENTS);
    s_project_equal (f, s_copy (f, "handed.db"), &shared, 10);
}

/* The name the projections hold for the NIK of record i (a
   person.registered) in the projections of the log at path; heap. */
static char *s_name (const char *path, const s_record_t *record)
{
    jk_report_t report;
    jk_event_t *ev = jk_event_decode (record->bytes, record->size, &report);
    assert_non_null (ev);
    sqlite3 *db = jk_projections_open_read (path, NULL, 0);
    assert_non_null (db);
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT name FROM people"
                                          " WHERE nik = ?1",
                                          -1, &st, NULL),
                      SQLITE_OK);
    sqlite3_bind_text (st, 1, ev->body[0].s.ptr, (int)ev->body[0].s.len,
                       SQLITE_STATIC);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    char *name = jk_strdup ((const char *)sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
    sqlite3_close (db);
    jk_event_destroy (&ev);
    return name;
}

/* A hand-off of the records at indexes i[0..n) renamed name[k] (NULL:
   as they are), at recorded_at[k], their bytes in a message it keeps. */
static void s_offer_renamed (s_fixture_t *f, jk_projector_shared_t *shared,
                             size_t n, const size_t *i, const char **name,
                             const int64_t *recorded_at)
{
    jk_handoff_t *h = jk_handoff_new ();
    zmsg_t *msg = zmsg_new ();
    for (size_t k = 0; k < n; k++)
        zmsg_addmem (msg, f->records[i[k]].bytes, f->records[i[k]].size);
    zframe_t *frame = zmsg_first (msg);
    for (size_t k = 0; k < n; k++, frame = zmsg_next (msg))
        s_add (h, f->records, i[k], frame, recorded_at[k], name[k]);
    jk_handoff_keep (h, msg, s_msg_release);
    jk_projector_offer (shared, &h);
}

/* The projector applies the handed event itself, not the log's bytes: a
   handed person.registered renamed (one no later record renames) shows
   the new name. One handed again
   at a position applied already is passed over; one recorded before the
   record before it is passed over with the rest of its hand-off (the
   log's name), and the next hand-off is taken again. */
static void test_handed_event_is_applied (void **state)
{
    s_fixture_t *f = *state;
    char *path = s_copy (f, "renamed.db");
    size_t person[3], found = 0;
    for (size_t i = 1; i < S_EVENTS && found < 3; i++) {
        if (f->records[i].rejected || f->records[i - 1].rejected)
            continue;
        jk_report_t report;
        jk_event_t *ev =
            jk_event_decode (f->records[i].bytes, f->records[i].size, &report);
        assert_non_null (ev);
        if (streq (ev->type->name, "person.registered") &&
            (found == 0 || i > person[found - 1] + 1)) {
            /* One whose name no later person.corrected changes. */
            int field = jk_type_field (ev->type, "name", 4);
            char *name = s_name (f->log_path, &f->records[i]);
            if (strlen (name) == ev->body[field].s.len &&
                memcmp (name, ev->body[field].s.ptr, strlen (name)) == 0)
                person[found++] = i;
            free (name);
        }
        jk_event_destroy (&ev);
    }
    assert_int_equal (found, 3);
    char *original[3];
    for (int k = 0; k < 3; k++) {
        original[k] = s_name (f->log_path, &f->records[person[k]]);
        assert_string_not_equal (original[k], "NAMA DARI HAND-OFF");
    }
    const char *renamed = "NAMA DARI HAND-OFF", *again = "NAMA KEDUA";
    int64_t at = f->recorded_at;
    jk_projector_shared_t shared = {0};
    s_offer_renamed (f, &shared, 1, (size_t[]){person[0]},
                     (const char *[]){renamed}, (int64_t[]){at});
    s_offer_renamed (f, &shared, 1, (size_t[]){person[0]},
                     (const char *[]){again}, (int64_t[]){at});
    s_offer_renamed (f, &shared, 2, (size_t[]){person[1], person[2]},
                     (const char *[]){renamed, renamed},
                     (int64_t[]){at - 1, at});
    s_offer_renamed (f, &shared, 1, (size_t[]){person[2]},
                     (const char *[]){again}, (int64_t[]){at});
    assert_int_equal (shared.handed, 5);
    char *dump = s_project (path, &shared);
    assert_string_not_equal (dump, f->plain);
    assert_int_equal (shared.handed, 0);
    assert_int_equal (shared.read, S_EVENTS - 2);
    const char *expected[3] = {renamed, original[1], again};
    for (int k = 0; k < 3; k++) {
        char *name = s_name (path, &f->records[person[k]]);
        assert_string_equal (name, expected[k]);
        free (name);
    }
    for (int k = 0; k < 3; k++)
        free (original[k]);
    free (dump);
    free (path);
}

/* Past JK_HANDOFF_MAX records waiting, a hand-off is freed, not queued. */
static void test_handoff_bound (void **state)
{
    s_fixture_t *f = *state;
    jk_projector_shared_t shared = {0};
    shared.handed = JK_HANDOFF_MAX - 1;
    jk_handoff_t *h = s_handoff (f->records, 0, 2, f->recorded_at);
    jk_projector_offer (&shared, &h);
    assert_null (h);
    assert_null (shared.handoffs);
    assert_int_equal (shared.handed, JK_HANDOFF_MAX - 1);
    h = s_handoff (f->records, 0, 1, f->recorded_at);
    jk_projector_offer (&shared, &h);
    assert_non_null (shared.handoffs);
    assert_int_equal (shared.handed, JK_HANDOFF_MAX);
    /* An empty hand-off is never queued. */
    h = jk_handoff_new ();
    jk_projector_offer (&shared, &h);
    assert_int_equal (shared.handed, JK_HANDOFF_MAX);
    jk_projector_offers_drop (&shared);
    assert_null (shared.handoffs);
    assert_int_equal (shared.handed, JK_HANDOFF_MAX - 1);
}

/* Counts the releases of a kept owner (jk_handoff_keep). */
static void s_count_release (void *count)
{
    (*(int *)count)++;
}

/* A destroyed hand-off is made empty and given again by jk_handoff_new
   (its arrays kept): what it held is freed and released, and records
   added to it afterwards are its only ones. */
static void test_handoff_reused (void **state)
{
    s_fixture_t *f = *state;
    /* More than the spares kept: the last taken are fresh. */
    jk_handoff_t *taken[16];
    for (size_t i = 0; i < 16; i++)
        taken[i] = jk_handoff_new ();
    jk_handoff_t *h = s_handoff (f->records, 0, 200, f->recorded_at);
    int released = 0;
    jk_handoff_keep (h, &released, s_count_release);
    jk_handoff_t *was = h;
    jk_handoff_destroy (&h);
    assert_null (h);
    assert_int_equal (released, 1);
    h = jk_handoff_new ();
    assert_ptr_equal (h, was);
    assert_int_equal (jk_handoff_size (h), 0);
    jk_handoff_destroy (&h);
    assert_int_equal (released, 1);
    /* Reused, it carries records as a fresh one does: the projections
       made from such hand-offs equal those made from the log. */
    for (size_t i = 0; i < 16; i++)
        jk_handoff_destroy (&taken[i]);
    jk_projector_shared_t shared = {0};
    for (size_t first = 0; first < S_EVENTS; first += 100)
        s_offer (f, &shared, first, first + 100, f->recorded_at);
    s_project_equal (f, s_copy (f, "reused.db"), &shared, 0);
}

/* Steps projector to the end in steps of 20 records; after each, its
   WAL holds fewer than limit frames. Returns the steps taken. */
static int s_step_all (jk_projector_t *projector, int limit)
{
    int steps = 0;
    size_t applied;
    do {
        char err[256];
        assert_int_equal (
            jk_projector_step (projector, 20, &applied, err, sizeof err),
            JK_OK);
        assert_true (jk_projector_wal_frames (projector) < limit);
        steps++;
    } while (applied > 0);
    return steps;
}

/* A commit that leaves the projections' WAL at its limit or more is
   followed by a checkpoint that copies every frame (none is left); a
   reader's snapshot keeps the frames after it until the reader is gone;
   the rows are those made without any of it. */
/* The projector thread's step: 2,000 records, 8,000 from JK_HANDOFF_MAX
   behind the release on; no bound, or none ahead, takes the live size. */
static void test_step_max (void **state)
{
    (void)state;
    assert_int_equal (jk_projector_step_max (0, 0), 2000);
    assert_int_equal (jk_projector_step_max (0, 1), 2000);
    assert_int_equal (jk_projector_step_max (100, 100 + JK_HANDOFF_MAX - 1),
                      2000);
    assert_int_equal (jk_projector_step_max (100, 100 + JK_HANDOFF_MAX), 8000);
    assert_int_equal (jk_projector_step_max (100, 5000000), 8000);
    assert_int_equal (jk_projector_step_max (100, UINT64_MAX), 2000);
    assert_int_equal (jk_projector_step_max (5000000, 100), 2000);
}

static void test_wal_checkpointed (void **state)
{
    s_fixture_t *f = *state;
    char *path = s_copy (f, "wal.db");
    char err[256];
    jk_projector_t *projector = jk_projector_new (path, NULL, err, sizeof err);
    assert_non_null (projector);
    jk_projector_set_wal_limit (projector, 8);
    /* 300 records in 15 commits write far more than 8 frames: only the
       checkpoints keep each commit's count below 8. */
    assert_int_equal (s_step_all (projector, 8), S_EVENTS / 20 + 1);
    assert_int_equal (jk_projector_wal_frames (projector), 0);
    jk_projector_destroy (&projector);
    sqlite3 *db = jk_projections_open_read (path, err, sizeof err);
    assert_non_null (db);
    char *dump = jk_test_dump (db);
    sqlite3_close (db);
    assert_string_equal (dump, f->plain);
    free (dump);

    /* Made anew with no limit reached: the frames stay until a
       checkpoint; a reader's snapshot holds back the frames after it. */
    char *projections = jk_projections_path (path);
    jk_db_remove (projections);
    projector = jk_projector_new (path, NULL, err, sizeof err);
    assert_non_null (projector);
    size_t applied;
    assert_int_equal (
        jk_projector_step (projector, 100, &applied, err, sizeof err), JK_OK);
    assert_int_equal (applied, 100);
    assert_true (jk_projector_wal_frames (projector) > 0);
    db = jk_projections_open_read (path, err, sizeof err);
    assert_non_null (db);
    assert_int_equal (sqlite3_exec (db,
                                    "BEGIN; SELECT pos FROM proj.projector;",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (
        jk_projector_step (projector, 100, &applied, err, sizeof err), JK_OK);
    int frames = jk_projector_wal_frames (projector);
    assert_int_equal (jk_projector_checkpoint (projector), JK_OK);
    assert_int_equal (jk_projector_wal_frames (projector), frames);
    assert_int_equal (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
    assert_int_equal (jk_projector_checkpoint (projector), JK_OK);
    assert_int_equal (jk_projector_wal_frames (projector), 0);
    assert_int_equal (jk_projector_pos (projector), 200);
    jk_projector_destroy (&projector);
    free (projections);
    free (path);
}

/* The projections' file in pages, by its size, and as SQLite reads it
   (with its WAL). */
static void s_pages (const char *path, int64_t *in_file, int64_t *in_all)
{
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT page_count * page_size,"
                                          " page_size FROM pragma_page_count,"
                                          " pragma_page_size",
                                          -1, &q, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    int64_t size = sqlite3_column_int64 (q, 1);
    *in_all = sqlite3_column_int64 (q, 0) / size;
    *in_file = (int64_t)st.st_size / size;
    sqlite3_finalize (q);
    sqlite3_close (db);
}

/* The projector thread, caught up and idle, checkpoints its WAL: the
   projections' file then holds every page by itself. */
static void test_wal_idle (void **state)
{
    s_fixture_t *f = *state;
    char *path = s_copy (f, "idle.db");
    char err[256];
    jk_projector_t *projector = jk_projector_new (path, NULL, err, sizeof err);
    assert_non_null (projector);
    char *projections = jk_projections_path (path);
    jk_projector_shared_t shared = {0};
    zactor_t *actor = jk_projector_start (&projector, &shared);
    assert_non_null (actor);
    __atomic_store_n (&shared.released, (uint64_t)S_EVENTS, __ATOMIC_RELEASE);
    zstr_send (actor, "WAKE");
    assert_true (JK_WAIT_FOR (
        __atomic_load_n (&shared.pos, __ATOMIC_ACQUIRE) == S_EVENTS, 30000));
    int64_t in_file = 0, in_all = 0;
    assert_true (JK_WAIT_FOR (
        (s_pages (projections, &in_file, &in_all), in_file == in_all), 30000));
    assert_true (in_all > 20);
    zactor_destroy (&actor);
    assert_int_equal (shared.failed, 0);
    free (projections);
    free (path);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_handed_reads_nothing),
        cmocka_unit_test (test_gap_read_from_log),
        cmocka_unit_test (test_handed_equals_log),
        cmocka_unit_test (test_handed_event_is_applied),
        cmocka_unit_test (test_handoff_bound),
        cmocka_unit_test (test_handoff_reused),
        cmocka_unit_test (test_step_max),
        cmocka_unit_test (test_wal_checkpointed),
        cmocka_unit_test (test_wal_idle),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
