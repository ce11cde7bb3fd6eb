/*  test_handoff.c - records the writer hands the projector decoded
    (jk_projector_offer): the projector thread applies a handed record in
    place of decoding the log's bytes only when the log row at its
    position has the same id and recorded_at, so the projections equal
    those made from the log alone; handed records are freed once passed;
    a hand-off beyond JK_HANDOFF_MAX records is refused, and the
    projector thread steps in larger transactions that far behind. Also the
    projections' WAL, which the projector checkpoints itself: after a
    commit at its limit, when idle, and around a reader. */
#include "jk_integrity.h"
#include "jk_projector.h"
#include "testsupport.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_EVENTS 300

typedef struct {
    uint8_t *bytes;
    size_t size;
} s_record_t;

/* Frees a message a hand-off kept (jk_handoff_keep's release). */
static void s_msg_release (void *msg)
{
    zmsg_destroy ((zmsg_t **)&msg);
}

/* The log at path: the workload's S_EVENTS events, all accepted, all
   recorded at recorded_at. Fills records (their bytes, heap). */
static void s_make_log (const char *path, int64_t recorded_at,
                        s_record_t *records)
{
    jk_workload_config_t config = {.events = S_EVENTS};
    jk_workload_t *workload = jk_workload_new (77, &config);
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    assert_non_null (log);
    assert_int_equal (jk_log_begin (log), JK_OK);
    jk_event_t *ev;
    for (size_t i = 0; (ev = jk_workload_next (workload)); i++) {
        assert_true (i < S_EVENTS);
        records[i].bytes = jk_event_encode (ev, &records[i].size);
        char source[JK_SOURCE_MAX + 1];
        snprintf (source, sizeof source, "%.*s", (int)ev->source.len,
                  ev->source.ptr);
        jk_log_record_t record = {.type = ev->type->name,
                                  .version = ev->version,
                                  .source = source,
                                  .seq = ev->seq,
                                  .at = ev->at,
                                  .recorded_at = recorded_at,
                                  .outcome = JK_LOG_ACCEPTED,
                                  .bytes = records[i].bytes,
                                  .size = records[i].size};
        memcpy (record.id, ev->id, 16);
        assert_int_equal (jk_log_append (log, &record), JK_OK);
        assert_int_equal (record.pos, i + 1);
        jk_event_destroy (&ev);
    }
    assert_int_equal (jk_log_commit (log), JK_OK);
    jk_log_close (&log);
    jk_workload_destroy (&workload);
}

/* A hand-off of records [first, last) (positions first + 1 ...), decoded
   from their bytes, which it keeps in a message of its own, and validated
   at recorded_at as the writer does. */
static jk_handoff_t *s_handoff (const s_record_t *records, size_t first,
                                size_t last, int64_t recorded_at)
{
    jk_handoff_t *handoff = jk_handoff_new ();
    zmsg_t *msg = zmsg_new ();
    for (size_t i = first; i < last; i++)
        zmsg_addmem (msg, records[i].bytes, records[i].size);
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = first; i < last; i++, frame = zmsg_next (msg)) {
        jk_report_t report;
        jk_event_t *ev = NULL;
        assert_int_equal (jk_log_check (zframe_data (frame),
                                        zframe_size (frame), recorded_at, &ev,
                                        &report),
                          0);
        jk_report_t *warnings = NULL;
        if (report.warning_count > 0)
            warnings =
                memcpy (jk_malloc (sizeof report), &report, sizeof report);
        jk_handoff_add (handoff, i + 1, recorded_at, &ev, &warnings);
        assert_null (ev);
        assert_null (warnings);
    }
    jk_handoff_keep (handoff, msg, s_msg_release);
    assert_int_equal (jk_handoff_size (handoff), last - first);
    return handoff;
}

/* Runs the projector thread on the log at path with shared (hand-offs
   already queued), releases every record and waits until it stands at
   S_EVENTS; returns the canonical dump of its projections. */
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
    assert_true (strlen (f->plain) > 1000);
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

static void test_handed_equals_log (void **state)
{
    s_fixture_t *f = *state;
    char *path = s_copy (f, "handed.db");
    jk_projector_shared_t shared = {0};
    /* Three hand-offs: the first half, then a stale one (another
       recorded_at: passed over, the log's bytes decoded instead), then
       the rest. */
    jk_handoff_t *h = s_handoff (f->records, 0, S_EVENTS / 2, f->recorded_at);
    jk_projector_offer (&shared, &h);
    assert_null (h);
    h = s_handoff (f->records, S_EVENTS / 2, S_EVENTS / 2 + 10,
                   f->recorded_at - 1);
    jk_projector_offer (&shared, &h);
    h = s_handoff (f->records, S_EVENTS / 2 + 10, S_EVENTS, f->recorded_at);
    jk_projector_offer (&shared, &h);
    assert_int_equal (shared.handed, S_EVENTS);
    char *dump = s_project (path, &shared);
    assert_string_equal (dump, f->plain);
    /* Every hand-off was passed and freed. */
    assert_int_equal (shared.handed, 0);
    assert_null (shared.handoffs);
    free (dump);
    free (path);
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

/* Adds record i (a person.registered) to h renamed "NAMA DARI HAND-OFF",
   handed with recorded_at and, when other_id, another event id. */
static void s_add_renamed (jk_handoff_t *h, const s_record_t *records, size_t i,
                           int64_t recorded_at, bool other_id)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, records[i].bytes, records[i].size);
    zframe_t *frame = zmsg_first (msg);
    jk_report_t report;
    jk_event_t *ev = NULL;
    assert_int_equal (jk_log_check (zframe_data (frame), zframe_size (frame),
                                    recorded_at, &ev, &report),
                      0);
    assert_string_equal (ev->type->name, "person.registered");
    int name = jk_type_field (ev->type, "name", 4);
    assert_true (name >= 0);
    ev->body[name].s = jk_str_of ("NAMA DARI HAND-OFF");
    if (other_id)
        ev->id[15] ^= 1;
    jk_report_t *warnings = NULL;
    jk_handoff_add (h, i + 1, recorded_at, &ev, &warnings);
    jk_handoff_keep (h, msg, s_msg_release);
}

/* The projector applies the handed event itself, not the log's bytes,
   when id and recorded_at match the log's row: a handed
   person.registered renamed shows the new name; one handed with another
   recorded_at or another id is passed over (the log's name). */
static void test_handed_event_is_applied (void **state)
{
    s_fixture_t *f = *state;
    char *path = s_copy (f, "renamed.db");
    size_t person[3], found = 0;
    for (size_t i = 0; i < S_EVENTS && found < 3; i++) {
        jk_report_t report;
        jk_event_t *ev =
            jk_event_decode (f->records[i].bytes, f->records[i].size, &report);
        assert_non_null (ev);
        if (streq (ev->type->name, "person.registered"))
            person[found++] = i;
        jk_event_destroy (&ev);
    }
    assert_int_equal (found, 3);
    char *original[3];
    for (int k = 0; k < 3; k++) {
        original[k] = s_name (f->log_path, &f->records[person[k]]);
        assert_string_not_equal (original[k], "NAMA DARI HAND-OFF");
    }
    jk_projector_shared_t shared = {0};
    jk_handoff_t *h = jk_handoff_new ();
    s_add_renamed (h, f->records, person[0], f->recorded_at, false);
    s_add_renamed (h, f->records, person[1], f->recorded_at + 1, false);
    s_add_renamed (h, f->records, person[2], f->recorded_at, true);
    jk_projector_offer (&shared, &h);
    assert_int_equal (shared.handed, 3);
    char *dump = s_project (path, &shared);
    assert_string_not_equal (dump, f->plain);
    assert_int_equal (shared.handed, 0);
    char *name = s_name (path, &f->records[person[0]]);
    assert_string_equal (name, "NAMA DARI HAND-OFF");
    free (name);
    for (int k = 1; k < 3; k++) {
        name = s_name (path, &f->records[person[k]]);
        assert_string_equal (name, original[k]);
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
        cmocka_unit_test (test_handed_equals_log),
        cmocka_unit_test (test_handed_event_is_applied),
        cmocka_unit_test (test_handoff_bound),
        cmocka_unit_test (test_step_max),
        cmocka_unit_test (test_wal_checkpointed),
        cmocka_unit_test (test_wal_idle),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
