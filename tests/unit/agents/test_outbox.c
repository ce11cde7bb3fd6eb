/*  test_outbox.c - the outbox (seqs, states, ownership, prune) and the
    delivery loop against a stand-in broker (a ROUTER actor in this test that
    answers like the store: ACK, REJECTED, DUPLICATE, E_SEQ_GAP,
    E_SEQ_TAKEN, E_UNAVAILABLE, or silence). */
#include "jk_agent.h"
#include "testsupport.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/pacet-1"
#define S_MAX    4096

/* ---- the stand-in broker ------------------------------------------------- */
typedef struct {
    const char *endpoint;
    uint64_t reject_seq; /* answer REJECTED for this seq */
    int unavailable;     /* first N SUBMITs: E_UNAVAILABLE */
    int silent;          /* first N SUBMITs: no answer */
    uint64_t gap_once;   /* once: NACK E_SEQ_GAP for seqs >= this */
    uint64_t next;       /* next seq expected (1 if 0) */
    /* Observed, read after the actor is destroyed. */
    uint8_t ids[S_MAX][16]; /* id stored at each seq */
    int accepted[S_MAX];    /* times each seq was appended */
    uint64_t submits, pings, duplicates;
} s_fake_t;

static void s_fake_actor (zsock_t *pipe, void *arg)
{
    s_fake_t *fake = arg;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (router, 0);
    assert_int_equal (zsock_bind (router, "%s", fake->endpoint), 0);
    if (fake->next == 0)
        fake->next = 1;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    uint64_t pos = 0;
    while (true) {
        void *which = zpoller_wait (poller, 1000);
        if (which == pipe)
            break;
        if (which != router)
            continue;
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *who = zmsg_pop (msg);
        char command[16];
        assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
        zmsg_t *reply = NULL;
        if (strcmp (command, "PING") == 0) {
            fake->pings++;
            reply = jk_wire_new ("PONG");
        } else if (strcmp (command, "SUBMIT") == 0) {
            __atomic_add_fetch (&fake->submits, 1, __ATOMIC_SEQ_CST);
            if (fake->silent > 0) {
                fake->silent--;
                zframe_destroy (&who);
                zmsg_destroy (&msg);
                continue;
            }
            reply = jk_wire_new ("ANSWER");
            bool unavailable = fake->unavailable > 0;
            if (unavailable)
                fake->unavailable--;
            zframe_t *frame;
            while ((frame = zmsg_pop (msg))) {
                jk_envelope_t env;
                assert_true (jk_envelope_peek (zframe_data (frame),
                                               zframe_size (frame), &env));
                jk_answer_t a = {.kind = JK_ANSWER_ACK};
                memcpy (a.id, env.id, 16);
                assert_true (env.seq < S_MAX);
                if (unavailable) {
                    a.kind = JK_ANSWER_NACK;
                    strcpy (a.code, "E_UNAVAILABLE");
                    strcpy (a.message, "store down");
                } else if (fake->gap_once && env.seq >= fake->gap_once) {
                    fake->gap_once = 0;
                    /* The store lost everything from here on. */
                    for (uint64_t s = env.seq; s < fake->next; s++)
                        fake->accepted[s] = 0;
                    fake->next = env.seq;
                    a.kind = JK_ANSWER_NACK;
                    strcpy (a.code, "E_SEQ_GAP");
                    a.expected = env.seq;
                    /* Everything else in this SUBMIT gaps too. */
                } else if (env.seq < fake->next) {
                    if (memcmp (fake->ids[env.seq], env.id, 16) == 0) {
                        a.kind = JK_ANSWER_DUPLICATE;
                        a.pos = env.seq;
                        fake->duplicates++;
                    } else {
                        a.kind = JK_ANSWER_NACK;
                        strcpy (a.code, "E_SEQ_TAKEN");
                        strcpy (a.message, "seq taken");
                    }
                } else if (env.seq > fake->next) {
                    a.kind = JK_ANSWER_NACK;
                    strcpy (a.code, "E_SEQ_GAP");
                    a.expected = fake->next;
                } else {
                    memcpy (fake->ids[env.seq], env.id, 16);
                    fake->accepted[env.seq]++;
                    fake->next++;
                    a.pos = ++pos;
                    a.hash[0] = (uint8_t)env.seq;
                    if (env.seq == fake->reject_seq) {
                        a.kind = JK_ANSWER_REJECTED;
                        strcpy (a.code, "E_TEST_RULE");
                        strcpy (a.message, "body.nik: not enrolled");
                    }
                }
                jk_answer_add (reply, &a);
                zframe_destroy (&frame);
            }
        }
        zmsg_destroy (&msg);
        if (reply) {
            zmsg_pushmem (reply, zframe_data (who), zframe_size (who));
            zmsg_send (&reply, router);
        }
        zframe_destroy (&who);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

/* ---- fixtures --------------------------------------------------------------
 */
typedef struct {
    char *dir;
    char *path;
    char *endpoint;
    jk_outbox_t *outbox;
} s_fix_t;

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("outbox");
    fx->path = jk_sprintf ("%s/outbox.db", fx->dir);
    fx->endpoint = jk_test_endpoint (fx->dir, "broker");
    char err[256];
    fx->outbox = jk_outbox_open (fx->path, S_SOURCE, err, sizeof err);
    assert_non_null (fx->outbox);
    *state = fx;
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    jk_outbox_close (&fx->outbox);
    free (fx->path);
    free (fx->endpoint);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

/* Queues n batch_closed events (small, always valid). */
static void s_queue (jk_outbox_t *ob, int n)
{
    const jk_type_t *t = jk_vocabulary_find ("training.batch_closed", 21);
    assert_non_null (t);
    assert_int_equal (jk_outbox_begin (ob), JK_OK);
    for (int i = 0; i < n; i++) {
        jk_event_t *ev = jk_event_new (t);
        jk_event_set_actor (ev, "tester");
        char batch[32];
        snprintf (batch, sizeof batch, "B-%d", i);
        jk_report_t r;
        jk_report_reset (&r);
        assert_int_equal (jk_event_set (ev, "batch", batch, &r), 0);
        uint64_t seq;
        assert_int_equal (jk_outbox_put (ob, ev, "", NULL, &seq), JK_OK);
        jk_event_destroy (&ev);
    }
    assert_int_equal (jk_outbox_commit (ob), JK_OK);
}

static int s_run (s_fix_t *fx, int64_t wait_ms, jk_delivery_stats_t *stats)
{
    jk_delivery_config_t cfg = {.broker = fx->endpoint,
                                .program = "test",
                                .window = 4,
                                .batch = 100,
                                .answer_timeout_ms = 300};
    return jk_delivery_run (fx->outbox, &cfg, wait_ms, 0, stats);
}

/* ---- outbox
 * ------------------------------------------------------------------ */

static void test_put_assigns_seqs_and_keeps_bytes (void **state)
{
    s_fix_t *fx = *state;
    struct stat st;
    assert_int_equal (stat (fx->path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    s_queue (fx->outbox, 3);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (fx->outbox, 3, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_PENDING);
    assert_string_equal (row.type, "training.batch_closed");
    jk_event_t *ev = jk_event_decode (row.bytes, row.size, NULL);
    assert_non_null (ev);
    assert_int_equal (ev->seq, 3);
    assert_true (jk_str_eq (ev->source, S_SOURCE));
    char batch[16];
    assert_string_equal (jk_event_text (ev, "batch", batch, sizeof batch),
                         "B-2");
    jk_event_destroy (&ev);
    jk_outbox_counts_t c;
    assert_int_equal (jk_outbox_counts (fx->outbox, &c), JK_OK);
    assert_int_equal (c.pending, 3);
    assert_int_equal (c.next_seq, 4);
    assert_int_equal (jk_outbox_open_count (fx->outbox, 2), 2);
}

static void test_outbox_belongs_to_one_source (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 2);
    jk_outbox_close (&fx->outbox);
    char err[256] = "";
    jk_outbox_t *other =
        jk_outbox_open (fx->path, "32.03.10/other", err, sizeof err);
    assert_null (other);
    assert_non_null (strstr (err, "belongs to source 32.03.10/pacet-1"));
    /* The reason by code: another source's outbox is a conflict (the
       programs' usage error), a file that is not one is I/O. */
    assert_int_equal (
        jk_outbox_open_as (fx->path, "32.03.10/other", &other, err, sizeof err),
        JK_CONFLICT);
    assert_null (other);
    char *junk = jk_sprintf ("%s.junk", fx->path);
    FILE *f = fopen (junk, "w");
    assert_non_null (f);
    fputs ("not an outbox, not SQLite: just text that is long enough", f);
    fclose (f);
    assert_int_equal (
        jk_outbox_open_as (junk, S_SOURCE, &other, err, sizeof err), JK_IO);
    assert_null (other);
    unlink (junk);
    free (junk);
    assert_int_equal (
        jk_outbox_open_as (fx->path, S_SOURCE, &other, err, sizeof err), JK_OK);
    jk_outbox_close (&other);
    fx->outbox = jk_outbox_open (fx->path, S_SOURCE, err, sizeof err);
    assert_non_null (fx->outbox);
    jk_outbox_counts_t c;
    jk_outbox_counts (fx->outbox, &c);
    assert_int_equal (c.next_seq, 3);
}

/* Two programs on one outbox (two connections here): the seq each put
   takes is read inside its write transaction, so interleaved puts and
   imports get seqs 1..N with no gap and no collision. */
static void test_two_handles_share_seqs (void **state)
{
    s_fix_t *fx = *state;
    char err[256];
    jk_outbox_t *other = jk_outbox_open (fx->path, S_SOURCE, err, sizeof err);
    assert_non_null (other);
    for (int round = 0; round < 10; round++) {
        s_queue (fx->outbox, 3);
        s_queue (other, 2);
    }
    jk_outbox_counts_t c;
    assert_int_equal (jk_outbox_counts (fx->outbox, &c), JK_OK);
    assert_int_equal (c.pending, 50);
    assert_int_equal (c.next_seq, 51);
    assert_int_equal (jk_outbox_counts (other, &c), JK_OK);
    assert_int_equal (c.next_seq, 51);
    for (uint64_t seq = 1; seq <= 50; seq++) {
        jk_outbox_row_t row;
        assert_int_equal (jk_outbox_get (other, seq, &row), JK_OK);
        jk_event_t *ev = jk_event_decode (row.bytes, row.size, NULL);
        assert_non_null (ev);
        assert_int_equal (ev->seq, seq); /* the bytes carry the row's seq */
        jk_event_destroy (&ev);
    }
    jk_outbox_close (&other);
}

/* The device's Jejak directory: under XDG_DATA_HOME, else under the
   home's .local/share, made 0700 with what is above it; none without a
   home. */
static void test_data_dir (void **state)
{
    s_fix_t *fx = *state;
    char *saved = getenv ("HOME") ? jk_strdup (getenv ("HOME")) : NULL;
    char *xdg = jk_sprintf ("%s/xdg", fx->dir);
    setenv ("XDG_DATA_HOME", xdg, 1);
    char *dir = jk_data_dir ();
    char *want = jk_sprintf ("%s/jejak", xdg);
    assert_string_equal (dir, want);
    struct stat st;
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    free (dir);
    free (want);
    unsetenv ("XDG_DATA_HOME");
    char *home = jk_sprintf ("%s/home", fx->dir);
    assert_int_equal (mkdir (home, 0700), 0);
    setenv ("HOME", home, 1);
    dir = jk_data_dir ();
    want = jk_sprintf ("%s/.local/share/jejak", home);
    assert_string_equal (dir, want);
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    free (dir);
    free (want);
    /* One that cannot be made (its parent a file): none, but its path
       is still told, for the caller's error to name. */
    char *blocker = jk_sprintf ("%s/blocker", fx->dir);
    FILE *f = fopen (blocker, "w");
    assert_non_null (f);
    fclose (f);
    setenv ("XDG_DATA_HOME", blocker, 1);
    assert_null (jk_data_dir ());
    dir = jk_data_dir_path ();
    want = jk_sprintf ("%s/jejak", blocker);
    assert_string_equal (dir, want);
    free (dir);
    free (want);
    free (blocker);
    unsetenv ("XDG_DATA_HOME");
    unsetenv ("HOME");
    assert_null (jk_data_dir ());
    assert_null (jk_data_dir_path ());
    if (saved)
        setenv ("HOME", saved, 1);
    free (saved);
    free (home);
    free (xdg);
}

/* Older versions kept one outbox per program. With one source for
   registration and attendance, the store took registration's seqs 1..3
   and refused attendance's seq 1 (E_SEQ_TAKEN); attendance's seq 2 waits.
   The first open of the shared default copies registration's file as it
   is and queues attendance's two events again after it (seq 4 with a new
   id, seq 5 with its own); both old files are kept as FILE.moved. */
static void test_default_outbox_merges_old_ones (void **state)
{
    s_fix_t *fx = *state;
    char *share = jk_sprintf ("%s/share", fx->dir);
    char *jejak = jk_sprintf ("%s/jejak", share);
    assert_int_equal (mkdir (share, 0700), 0);
    assert_int_equal (mkdir (jejak, 0700), 0);
    setenv ("XDG_DATA_HOME", share, 1);
    char *reg = jk_sprintf ("%s/jejak-registration-32.03.10_pacet-1.db", jejak);
    char *att = jk_sprintf ("%s/jejak-attendance-32.03.10_pacet-1.db", jejak);
    char err[256];
    jk_outbox_t *r = jk_outbox_open (reg, S_SOURCE, err, sizeof err);
    jk_outbox_t *a = jk_outbox_open (att, S_SOURCE, err, sizeof err);
    assert_non_null (r);
    assert_non_null (a);
    s_queue (r, 3);
    s_queue (a, 2);
    jk_answer_t ack = {.kind = JK_ANSWER_ACK};
    assert_int_equal (jk_outbox_batch_begin (r), JK_OK);
    for (uint64_t seq = 1; seq <= 3; seq++) {
        ack.pos = seq;
        assert_int_equal (jk_outbox_record (r, seq, &ack), 1);
    }
    assert_int_equal (jk_outbox_batch_end (r), JK_OK);
    assert_int_equal (jk_outbox_reject_local (a, 1, "E_SEQ_TAKEN", "taken"), 1);
    uint8_t taken_id[16], waiting_id[16];
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (a, 1, &row), JK_OK);
    memcpy (taken_id, row.id, 16);
    assert_int_equal (jk_outbox_get (a, 2, &row), JK_OK);
    memcpy (waiting_id, row.id, 16);
    jk_outbox_close (&r);
    jk_outbox_close (&a);

    char *shared = jk_outbox_default_path (S_SOURCE);
    char *want = jk_sprintf ("%s/outbox-32.03.10_pacet-1.db", jejak);
    assert_string_equal (shared, want);
    jk_outbox_t *ob = jk_outbox_open_default (S_SOURCE, err, sizeof err);
    assert_non_null (ob);
    jk_outbox_counts_t c;
    assert_int_equal (jk_outbox_counts (ob, &c), JK_OK);
    assert_int_equal (c.stored, 3);
    assert_int_equal (c.pending, 2);
    assert_int_equal (c.rejected, 0);
    assert_int_equal (c.last_stored_seq, 3);
    assert_int_equal (c.next_seq, 6);
    assert_int_equal (jk_outbox_get (ob, 4, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_PENDING);
    assert_memory_not_equal (row.id, taken_id, 16);
    jk_event_t *ev = jk_event_decode (row.bytes, row.size, NULL);
    assert_non_null (ev);
    assert_int_equal (ev->seq, 4);
    assert_memory_equal (ev->id, row.id, 16);
    char batch[16];
    assert_string_equal (jk_event_text (ev, "batch", batch, sizeof batch),
                         "B-0");
    jk_event_destroy (&ev);
    assert_int_equal (jk_outbox_get (ob, 5, &row), JK_OK);
    assert_memory_equal (row.id, waiting_id, 16);
    struct stat st;
    assert_int_equal (stat (shared, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    jk_outbox_close (&ob);
    assert_int_equal (access (reg, F_OK), -1);
    assert_int_equal (access (att, F_OK), -1);
    char *moved = jk_sprintf ("%s.moved", att);
    assert_int_equal (access (moved, F_OK), 0);
    /* Opened again: nothing moves twice. */
    ob = jk_outbox_open_default (S_SOURCE, err, sizeof err);
    assert_non_null (ob);
    assert_int_equal (jk_outbox_counts (ob, &c), JK_OK);
    assert_int_equal (c.next_seq, 6);
    jk_outbox_close (&ob);
    unsetenv ("XDG_DATA_HOME");
    free (moved);
    free (want);
    free (shared);
    free (reg);
    free (att);
    free (jejak);
    free (share);
}

static void test_rollback_gives_seqs_back (void **state)
{
    s_fix_t *fx = *state;
    const jk_type_t *t = jk_vocabulary_find ("training.batch_closed", 21);
    assert_int_equal (jk_outbox_begin (fx->outbox), JK_OK);
    jk_event_t *ev = jk_event_new (t);
    jk_event_set_actor (ev, "x");
    jk_event_set (ev, "batch", "B-1", NULL);
    assert_int_equal (jk_outbox_put (fx->outbox, ev, "", NULL, NULL), JK_OK);
    jk_event_destroy (&ev);
    jk_outbox_rollback (fx->outbox);
    s_queue (fx->outbox, 1);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (fx->outbox, 1, &row), JK_OK);
    assert_int_equal (jk_outbox_get (fx->outbox, 2, &row), JK_NOT_FOUND);
}

static void test_find_by_natural_key (void **state)
{
    s_fix_t *fx = *state;
    const jk_type_t *t = jk_vocabulary_find ("training.batch_closed", 21);
    uint8_t first[16], second[16], found[16];
    for (int i = 0; i < 2; i++) {
        jk_event_t *ev = jk_event_new (t);
        jk_event_set_actor (ev, "x");
        jk_event_set (ev, "batch", "B-1", NULL);
        memcpy (i ? second : first, ev->id, 16);
        assert_int_equal (jk_outbox_put (fx->outbox, ev, "", "B-1", NULL),
                          JK_OK);
        jk_event_destroy (&ev);
    }
    assert_int_equal (
        jk_outbox_find (fx->outbox, "training.batch_closed", "B-1", found),
        JK_OK);
    assert_memory_equal (found, second, 16); /* the newest */
    assert_int_equal (
        jk_outbox_find (fx->outbox, "training.batch_closed", "B-2", found),
        JK_NOT_FOUND);
    /* A rejected row is not in the log: the newest one the store may hold
       is named, not it (correcting it was refused E_UNKNOWN_ATTENDANCE). */
    assert_int_equal (
        jk_outbox_reject_local (fx->outbox, 2, "E_DUPLICATE", "twice"), 1);
    assert_int_equal (
        jk_outbox_find (fx->outbox, "training.batch_closed", "B-1", found),
        JK_OK);
    assert_memory_equal (found, first, 16);
    assert_int_equal (
        jk_outbox_reject_local (fx->outbox, 1, "E_DUPLICATE", "twice"), 1);
    assert_int_equal (
        jk_outbox_find (fx->outbox, "training.batch_closed", "B-1", found),
        JK_NOT_FOUND);
}

static void test_prune_removes_only_stored (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 3);
    jk_answer_t ack = {.kind = JK_ANSWER_ACK, .pos = 10};
    jk_answer_t rej = {.kind = JK_ANSWER_REJECTED, .pos = 11};
    strcpy (rej.code, "E_X");
    assert_int_equal (jk_outbox_record (fx->outbox, 1, &ack), 1);
    assert_int_equal (jk_outbox_record (fx->outbox, 1, &ack), 0);
    assert_int_equal (jk_outbox_record (fx->outbox, 2, &rej), 1);
    assert_int_equal (jk_outbox_prune (fx->outbox, jk_clock_now_ms () + 1000),
                      1);
    jk_outbox_counts_t c;
    jk_outbox_counts (fx->outbox, &c);
    assert_int_equal (c.stored, 0);
    assert_int_equal (c.rejected, 1);
    assert_int_equal (c.pending, 1);
    assert_int_equal (c.next_seq, 4); /* seqs are never reused */
}

/* ---- delivery
 * ------------------------------------------------------------------ */

static void s_check_all_stored_once (s_fix_t *fx, s_fake_t *fake, int n)
{
    for (int s = 1; s <= n; s++) {
        assert_int_equal (fake->accepted[s], 1);
        jk_outbox_row_t row;
        assert_int_equal (jk_outbox_get (fx->outbox, (uint64_t)s, &row), JK_OK);
        assert_memory_equal (fake->ids[s], row.id, 16);
    }
    assert_int_equal (fake->accepted[n + 1], 0);
}

static void test_delivery_stores_all_in_order (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 650);
    s_fake_t *fake = jk_calloc (1, sizeof *fake);
    fake->endpoint = fx->endpoint;
    zactor_t *broker = zactor_new (s_fake_actor, fake);
    jk_delivery_stats_t stats;
    assert_int_equal (s_run (fx, 10000, &stats), JK_OK);
    zactor_destroy (&broker);
    assert_int_equal (stats.stored, 650);
    assert_int_equal (stats.rejected, 0);
    assert_int_equal (stats.remaining, 0);
    assert_int_equal (fake->submits, 7); /* 650 in SUBMITs of 100 */
    s_check_all_stored_once (fx, fake, 650);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (fx->outbox, 650, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_STORED);
    assert_int_equal (row.pos, 650);
    assert_int_equal (row.hash[0], 650 % 256);
    free (fake);
}

static void test_rejected_event_stops_nothing (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 10);
    s_fake_t *fake = jk_calloc (1, sizeof *fake);
    fake->endpoint = fx->endpoint;
    fake->reject_seq = 5;
    zactor_t *broker = zactor_new (s_fake_actor, fake);
    jk_delivery_stats_t stats;
    assert_int_equal (s_run (fx, 10000, &stats), JK_OK);
    zactor_destroy (&broker);
    assert_int_equal (stats.stored, 9);
    assert_int_equal (stats.rejected, 1);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (fx->outbox, 5, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_REJECTED);
    assert_string_equal (row.code, "E_TEST_RULE");
    assert_string_equal (row.message, "body.nik: not enrolled");
    assert_int_equal (row.pos, 5);
    assert_int_equal (jk_outbox_get (fx->outbox, 6, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_STORED);
    free (fake);
}

static void test_unavailable_then_stored (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 250);
    s_fake_t *fake = jk_calloc (1, sizeof *fake);
    fake->endpoint = fx->endpoint;
    fake->unavailable = 2;
    zactor_t *broker = zactor_new (s_fake_actor, fake);
    jk_delivery_stats_t stats;
    assert_int_equal (s_run (fx, 15000, &stats), JK_OK);
    zactor_destroy (&broker);
    assert_int_equal (stats.stored, 250);
    assert_true (stats.retried >= 100);
    s_check_all_stored_once (fx, fake, 250);
    /* Sent, answered "retry" (marked SENT, then PENDING), sent again
       and stored: two attempts. */
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (fx->outbox, 1, &row), JK_OK);
    assert_int_equal (row.attempts, 2);
    free (fake);
}

static void test_gap_resends_from_expected (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 300);
    s_fake_t *fake = jk_calloc (1, sizeof *fake);
    fake->endpoint = fx->endpoint;
    fake->gap_once = 150;
    zactor_t *broker = zactor_new (s_fake_actor, fake);
    jk_delivery_stats_t stats;
    assert_int_equal (s_run (fx, 10000, &stats), JK_OK);
    zactor_destroy (&broker);
    assert_int_equal (stats.stored, 300);
    assert_true (stats.retried >= 1);
    s_check_all_stored_once (fx, fake, 300);
    free (fake);
}

static void test_silent_broker_resend (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 50);
    s_fake_t *fake = jk_calloc (1, sizeof *fake);
    fake->endpoint = fx->endpoint;
    fake->silent = 1;
    zactor_t *broker = zactor_new (s_fake_actor, fake);
    jk_delivery_stats_t stats;
    assert_int_equal (s_run (fx, 15000, &stats), JK_OK);
    zactor_destroy (&broker);
    assert_int_equal (stats.stored, 50);
    assert_true (stats.reconnects >= 1);
    assert_int_equal (fake->submits, 2);
    /* The unanswered send is marked SENT when its connection is dropped
       (answer timeout), the resend counted with its receipt. */
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (fx->outbox, 1, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_STORED);
    assert_int_equal (row.attempts, 2);
    s_check_all_stored_once (fx, fake, 50);
    free (fake);
}

static void test_seq_taken_rejected_locally (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 6);
    s_fake_t *fake = jk_calloc (1, sizeof *fake);
    fake->endpoint = fx->endpoint;
    fake->next = 4; /* seqs 1..3 belong to other events */
    zactor_t *broker = zactor_new (s_fake_actor, fake);
    jk_delivery_stats_t stats;
    assert_int_equal (s_run (fx, 10000, &stats), JK_OK);
    zactor_destroy (&broker);
    assert_int_equal (stats.stored, 3);
    assert_int_equal (stats.rejected, 3);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (fx->outbox, 2, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_REJECTED);
    assert_string_equal (row.code, "E_SEQ_TAKEN");
    free (fake);
}

static void test_broker_absent_keeps_events (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 5);
    jk_delivery_stats_t stats;
    int64_t start = jk_clock_mono_ms ();
    assert_int_equal (s_run (fx, 300, &stats), JK_TEMPORARY);
    assert_true (jk_clock_mono_ms () - start < 2000);
    assert_int_equal (stats.remaining, 5);
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (fx->outbox, 1, &row), JK_OK);
    /* No broker ever answered: not SENT, no attempt counted. */
    assert_int_equal (row.state, JK_OUTBOX_PENDING);
    assert_int_equal (row.attempts, 0);
}

/* While no broker answers, delivery takes no write lock: another
   program's transaction held the whole time does not hold it up (it
   would wait JK_OUTBOX_BUSY_MS for BEGIN IMMEDIATE, then fail JK_IO),
   and a clerk's put never waits behind the retries. */
static void test_broker_absent_takes_no_write_lock (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 5);
    char err[256];
    jk_outbox_t *other = jk_outbox_open (fx->path, S_SOURCE, err, sizeof err);
    assert_non_null (other);
    assert_int_equal (jk_outbox_begin (other), JK_OK);
    jk_delivery_stats_t stats;
    int64_t start = jk_clock_mono_ms ();
    assert_int_equal (s_run (fx, 1500, &stats), JK_TEMPORARY);
    assert_true (jk_clock_mono_ms () - start < JK_OUTBOX_BUSY_MS / 2);
    assert_int_equal (stats.remaining, 5);
    assert_int_equal (stats.sent, 0);
    assert_int_equal (jk_outbox_commit (other), JK_OK);
    jk_outbox_close (&other);
}

/* An answer that comes at once records the send with the receipt, in one
   write of the row: STORED, one attempt, sent_at when it went out. */
static void test_prompt_answer_counts_the_send (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 250);
    s_fake_t *fake = jk_calloc (1, sizeof *fake);
    fake->endpoint = fx->endpoint;
    zactor_t *broker = zactor_new (s_fake_actor, fake);
    int64_t before = jk_clock_now_ms ();
    jk_delivery_stats_t stats;
    assert_int_equal (s_run (fx, 10000, &stats), JK_OK);
    int64_t after = jk_clock_now_ms ();
    zactor_destroy (&broker);
    assert_int_equal (stats.stored, 250);
    s_check_all_stored_once (fx, fake, 250);
    for (uint64_t seq = 1; seq <= 250; seq++) {
        jk_outbox_row_t row;
        assert_int_equal (jk_outbox_get (fx->outbox, seq, &row), JK_OK);
        assert_int_equal (row.state, JK_OUTBOX_STORED);
        assert_int_equal (row.attempts, 1);
        assert_true (row.sent_at >= before && row.sent_at <= after);
    }
    free (fake);
}

typedef struct {
    s_fix_t *fx;
    int rc;
    jk_delivery_stats_t stats;
    bool done;
} s_runner_t;

static void *s_runner (void *arg)
{
    s_runner_t *r = arg;
    jk_delivery_config_t cfg = {.broker = r->fx->endpoint,
                                .program = "test",
                                .window = 4,
                                .batch = 100,
                                .answer_timeout_ms = 4000};
    r->rc = jk_delivery_run (r->fx->outbox, &cfg, 20000, 0, &r->stats);
    __atomic_store_n (&r->done, true, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Whether the row at seq is SENT with one attempt, read through ob. */
static bool s_sent_once (jk_outbox_t *ob, uint64_t seq)
{
    jk_outbox_row_t row;
    return jk_outbox_get (ob, seq, &row) == JK_OK &&
           row.state == JK_OUTBOX_SENT && row.attempts == 1;
}

/* A SUBMIT whose answer is late is marked SENT (one attempt) once
   JK_DELIVERY_SENT_MARK_MS have passed, while the run still waits for
   the answer (another program reads it so); the resend after the answer
   timeout is the second attempt. */
static void test_late_answer_marks_sent (void **state)
{
    s_fix_t *fx = *state;
    s_queue (fx->outbox, 50);
    s_fake_t *fake = jk_calloc (1, sizeof *fake);
    fake->endpoint = fx->endpoint;
    fake->silent = 1;
    zactor_t *broker = zactor_new (s_fake_actor, fake);
    char err[256];
    jk_outbox_t *other = jk_outbox_open (fx->path, S_SOURCE, err, sizeof err);
    assert_non_null (other);
    s_runner_t runner = {.fx = fx};
    int64_t start = jk_clock_mono_ms ();
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_runner, &runner), 0);
    /* Sent (the fake counts it) and not yet marked. */
    assert_true (JK_WAIT_FOR (
        __atomic_load_n (&fake->submits, __ATOMIC_SEQ_CST) >= 1, 10000));
    int64_t sent = jk_clock_mono_ms ();
    jk_outbox_row_t row;
    assert_int_equal (jk_outbox_get (other, 1, &row), JK_OK);
    if (jk_clock_mono_ms () - start < JK_DELIVERY_SENT_MARK_MS)
        assert_int_equal (row.state, JK_OUTBOX_PENDING);
    assert_true (JK_WAIT_FOR (s_sent_once (other, 1), 10000));
    int64_t marked = jk_clock_mono_ms ();
    assert_true (marked - start >= JK_DELIVERY_SENT_MARK_MS);
    assert_true (marked - sent < 4000); /* before the answer timeout */
    assert_false (__atomic_load_n (&runner.done, __ATOMIC_SEQ_CST));
    assert_true (s_sent_once (other, 50));
    assert_int_equal (pthread_join (thread, NULL), 0);
    zactor_destroy (&broker);
    assert_int_equal (runner.rc, JK_OK);
    assert_int_equal (runner.stats.stored, 50);
    assert_int_equal (jk_outbox_get (other, 1, &row), JK_OK);
    assert_int_equal (row.state, JK_OUTBOX_STORED);
    assert_int_equal (row.attempts, 2);
    jk_outbox_close (&other);
    free (fake);
}

static void test_open_any (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (jk_outbox_open_any (fx->outbox, 0), 0);
    s_queue (fx->outbox, 3);
    assert_int_equal (jk_outbox_open_any (fx->outbox, 0), 1);
    assert_int_equal (jk_outbox_open_any (fx->outbox, 2), 1);
    jk_answer_t ack = {.kind = JK_ANSWER_ACK, .pos = 1};
    assert_int_equal (jk_outbox_record (fx->outbox, 1, &ack), 1);
    assert_int_equal (jk_outbox_record (fx->outbox, 2, &ack), 1);
    assert_int_equal (jk_outbox_open_any (fx->outbox, 2), 0);
    assert_int_equal (jk_outbox_open_any (fx->outbox, 0), 1);
    assert_int_equal (jk_outbox_open_count (fx->outbox, 0), 1);
}

/* What a thread opening an outbox gives back. */
typedef struct {
    const char *path;
    jk_outbox_t *outbox;
    char err[256];
} s_opener_t;

static void *s_opener (void *arg)
{
    s_opener_t *o = arg;
    o->outbox = jk_outbox_open (o->path, S_SOURCE, o->err, sizeof o->err);
    return NULL;
}

/* Another program holds the write lock of a new, empty outbox file (it
   is making it). The opening reads the file, then asks for the lock that
   turns it to WAL: SQLite answers SQLITE_BUSY at once there (waiting
   could deadlock). The opening runs the statement again until the other
   program lets go, then opens the outbox whole: WAL, tables, seq 1. */
static void test_open_while_another_makes_it (void **state)
{
    s_fix_t *fx = *state;
    char *path = jk_sprintf ("%s/new.db", fx->dir);
    sqlite3 *other = NULL;
    assert_int_equal (sqlite3_open (path, &other), SQLITE_OK);
    assert_int_equal (sqlite3_exec (other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                      SQLITE_OK);
    uint64_t retries = jk_outbox_busy_retries ();
    s_opener_t o = {.path = path};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_opener, &o), 0);
    /* It waits, trying again: it neither failed nor opened. */
    assert_true (JK_WAIT_FOR (jk_outbox_busy_retries () > retries + 2, 10000));
    assert_int_equal (sqlite3_exec (other, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    assert_int_equal (pthread_join (thread, NULL), 0);
    assert_non_null (o.outbox);
    s_queue (o.outbox, 1);
    jk_outbox_counts_t c;
    assert_int_equal (jk_outbox_counts (o.outbox, &c), JK_OK);
    assert_int_equal (c.next_seq, 2);
    jk_outbox_close (&o.outbox);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (other, "PRAGMA journal_mode", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_string_equal ((const char *)sqlite3_column_text (st, 0), "wal");
    sqlite3_finalize (st);
    sqlite3_close (other);
    free (path);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_put_assigns_seqs_and_keeps_bytes,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_outbox_belongs_to_one_source,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_open_while_another_makes_it,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_two_handles_share_seqs, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_data_dir, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_default_outbox_merges_old_ones,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rollback_gives_seqs_back, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_find_by_natural_key, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_prune_removes_only_stored,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_delivery_stores_all_in_order,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rejected_event_stops_nothing,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unavailable_then_stored, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_gap_resends_from_expected,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_silent_broker_resend, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_seq_taken_rejected_locally,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_absent_takes_no_write_lock,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_absent_keeps_events,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_prompt_answer_counts_the_send,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_late_answer_marks_sent, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_open_any, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
