/*  test_chaos_checkpoints.c - fault test for signed checkpoints: an office
    agent syncs 10,000 events to jejak-hub (signing a checkpoint every
    second of activity, and on every CHECKPOINT request, which the harness
    sends all the time) while the harness kill -9s the hub at random
    moments (during commits, tile writes and checkpoint signing) and
    restarts it. Then: every checkpoint ever published on the feed or
    answered by CHECKPOINT is signed by the log's key and consistent with
    the final log (a consistency proof to its final checkpoint), the
    log verifies, and the office's `receipts --verify` proves all 10,000
    receipts against the final checkpoint.

    Size: JEJAK_CHAOS_SCALE (default 1) multiplies the events and kills.
    JEJAK_CHAOS_SEED fixes the seed (printed either way). */
#include "jk_agent.h"
#include "jk_merkle.h"
#include "jk_note.h"
#include "jk_wire.h"
#include "testsupport.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define S_EVENTS      10000 /* at scale 1 */
#define S_KILLS       16    /* at scale 1 */
#define S_WAIT_MS     60000
#define S_DEADLINE_MS 600000
#define S_NOTES_MAX   4096

typedef struct {
    char *dir, *keys, *vkey_file, *ingest, *feed, *query, *db, *log, *outbox;
    char vkey[256];
    jk_note_signer_t signer;
    pid_t hub;
    uint64_t rng;
    char *notes[S_NOTES_MAX]; /* every distinct checkpoint seen */
    size_t note_count;
} s_fix_t;

static uint64_t s_rand (s_fix_t *fx)
{
    fx->rng ^= fx->rng >> 12;
    fx->rng ^= fx->rng << 25;
    fx->rng ^= fx->rng >> 27;
    return fx->rng * 2685821657736338717ULL;
}

static void s_hub_start (s_fix_t *fx)
{
    char *argv[] = {"jejak-hub", "--db",
                    fx->db,      "--ingest",
                    fx->ingest,  "--feed",
                    fx->feed,    "--query",
                    fx->query,   "--checkpoint-every",
                    "1",         "--checkpoint-key",
                    NULL,        NULL};
    char *key = jk_sprintf ("%s/log.key", fx->keys);
    argv[12] = key;
    fx->hub = jk_test_spawn (argv, fx->log);
    assert_true (fx->hub > 0);
    free (key);
}

/* Keeps a note once. */
static void s_keep (s_fix_t *fx, const char *note, size_t size)
{
    for (size_t i = 0; i < fx->note_count; i++)
        if (strlen (fx->notes[i]) == size && !memcmp (fx->notes[i], note, size))
            return;
    assert_true (fx->note_count < S_NOTES_MAX);
    char *copy = jk_malloc (size + 1);
    memcpy (copy, note, size);
    copy[size] = 0;
    fx->notes[fx->note_count++] = copy;
}

/* Drains the feed's $checkpoint messages and the CHECKPOINT answers. */
static void s_drain (s_fix_t *fx, zsock_t *feed, zsock_t *q)
{
    zmsg_t *msg;
    while ((msg = jk_test_recv (feed, 0)) != NULL) {
        if (zmsg_size (msg) == 2) {
            zframe_t *note = zmsg_last (msg);
            s_keep (fx, (const char *)zframe_data (note), zframe_size (note));
        }
        zmsg_destroy (&msg);
    }
    while ((msg = jk_test_recv (q, 0)) != NULL) {
        char command[16];
        if (jk_wire_open (msg, command, sizeof command) == 0 &&
            streq (command, "CHECKPOINT")) {
            zframe_t *note = zmsg_first (msg);
            s_keep (fx, (const char *)zframe_data (note), zframe_size (note));
        }
        zmsg_destroy (&msg);
    }
}

/* Keeps what the feed and the query socket bring for the next ms
   milliseconds, woken by each arrival. */
static void s_keep_arrivals (s_fix_t *fx, zsock_t *feed, zsock_t *q, int ms)
{
    zpoller_t *poller = zpoller_new (feed, q, NULL);
    int64_t until = jk_clock_mono_ms () + ms;
    int64_t left;
    while ((left = until - jk_clock_mono_ms ()) > 0 &&
           zpoller_wait (poller, (int)left))
        s_drain (fx, feed, q);
    zpoller_destroy (&poller);
}

static pid_t s_agent_spawn (s_fix_t *fx, const char *command, const char *a1,
                            const char *a2, const char *a3, const char *wait)
{
    char *argv[] = {"jejak-registration", "--source",      "32.03.10/pacet-1",
                    "--outbox",           fx->outbox,      "--broker",
                    fx->ingest,           "--query",       fx->query,
                    "--log-key",          fx->vkey_file,   "--wait",
                    (char *)wait,         (char *)command, (char *)a1,
                    (char *)a2,           (char *)a3,      NULL};
    char *log = jk_sprintf ("%s/agent.log", fx->dir);
    pid_t pid = jk_test_spawn (argv, log);
    free (log);
    return pid;
}

/* One sync run to its end: true when everything is stored and proven
   (exit 0), false when the hub was still out of reach (exit 3). */
static bool s_sync_all (s_fix_t *fx)
{
    pid_t agent = s_agent_spawn (fx, "sync", NULL, NULL, NULL, "5");
    int status = 0;
    assert_int_equal (waitpid (agent, &status, 0), agent);
    assert_true (WIFEXITED (status));
    int rc = WEXITSTATUS (status);
    assert_true (rc == JK_EXIT_OK || rc == JK_EXIT_OFFLINE);
    return rc == JK_EXIT_OK;
}

static void test_kill_storm (void **state)
{
    (void)state;
    s_fix_t fx_s = {0}, *fx = &fx_s;
    int scale =
        getenv ("JEJAK_CHAOS_SCALE") ? atoi (getenv ("JEJAK_CHAOS_SCALE")) : 1;
    scale = scale < 1 ? 1 : scale;
    uint64_t seed = getenv ("JEJAK_CHAOS_SEED")
                        ? strtoull (getenv ("JEJAK_CHAOS_SEED"), NULL, 10)
                        : (uint64_t)time (NULL);
    printf ("JEJAK_CHAOS_SEED=%llu scale=%d\n", (unsigned long long)seed,
            scale);
    fx->rng = seed * 2 + 1;
    size_t events = (size_t)S_EVENTS * (size_t)scale;
    int kills = S_KILLS * scale;
    fx->dir = jk_test_tmpdir ("chaos-checkpoints");
    fx->keys = jk_sprintf ("%s/keys", fx->dir);
    fx->vkey_file = jk_sprintf ("%s/log.vkey", fx->keys);
    fx->ingest = jk_test_endpoint (fx->dir, "ingest");
    fx->feed = jk_test_endpoint (fx->dir, "feed");
    fx->query = jk_test_endpoint (fx->dir, "query");
    fx->db = jk_sprintf ("%s/data/events.db", fx->dir);
    fx->log = jk_sprintf ("%s/hub.log", fx->dir);
    fx->outbox = jk_sprintf ("%s/outbox.db", fx->dir);
    char *make[] = {"jejak-keys", "log-key", "--dir", fx->keys, NULL};
    assert_int_equal (jk_test_run (make, NULL, NULL, S_WAIT_MS), 0);
    char *vkey = jk_test_slurp (fx->vkey_file, NULL);
    *strchr (vkey, '\n') = 0;
    char why[256];
    assert_int_equal (jk_note_vkey_parse (vkey, fx->signer.name,
                                          &fx->signer.type, fx->signer.pub, why,
                                          sizeof why),
                      JK_OK);
    free (vkey);

    /* The office queues everything first (no hub yet). */
    char *csv = jk_sprintf ("%s/people.csv", fx->dir);
    FILE *f = fopen (csv, "w");
    fprintf (f, "nik;name;sex;birth_date;desa_code\n");
    for (size_t i = 1; i <= events; i++)
        fprintf (f,
                 "3203%02d410785%04zu;Siti Aminah;P;01/07/1985;32.03.10.2012\n",
                 (int)(1 + (i / 9999) % 30), i % 9999 + 1);
    fclose (f);
    pid_t agent =
        s_agent_spawn (fx, "import", csv, "--type", "person.registered", "0");
    int status = 0;
    assert_int_equal (waitpid (agent, &status, 0), agent);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), JK_EXIT_OFFLINE);

    zsock_t *feed = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (feed, JK_FEED_CHECKPOINT);
    assert_int_equal (zsock_connect (feed, "%s", fx->feed), 0);
    zsock_t *q = jk_test_dealer (fx->query);
    s_hub_start (fx);

    /* The storm: a sync runs (restarted whenever it ends) while the hub
       is killed 150-900 ms after each start and restarted; CHECKPOINT asked
       again 20 ms after the last ask, what arrives kept as it comes. */
    int64_t deadline = jk_clock_mono_ms () + S_DEADLINE_MS;
    agent = 0;
    for (int k = 0; k < kills; k++) {
        int64_t until =
            jk_clock_mono_ms () + 150 + (int64_t)(s_rand (fx) % 750);
        while (jk_clock_mono_ms () < until) {
            if (!agent)
                agent = s_agent_spawn (fx, "sync", NULL, NULL, NULL, "2");
            else if (waitpid (agent, &status, WNOHANG) == agent)
                agent = 0;
            zmsg_t *ask = jk_wire_new ("CHECKPOINT");
            zmsg_send (&ask, q);
            s_keep_arrivals (fx, feed, q, 20);
        }
        assert_int_equal (kill (fx->hub, SIGKILL), 0);
        assert_int_equal (waitpid (fx->hub, &status, 0), fx->hub);
        s_hub_start (fx);
        assert_true (jk_clock_mono_ms () < deadline);
    }
    if (agent) {
        assert_int_equal (waitpid (agent, &status, 0), agent);
        agent = 0;
    }
    /* Calm: sync until everything is stored and proven. */
    assert_true (JK_WAIT_FOR (s_sync_all (fx), deadline - jk_clock_mono_ms ()));
    s_drain (fx, feed, q);
    /* Every checkpoint the hub ever stored (it publishes only stored
       ones) joins those seen. */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal (sqlite3_open_v2 (fx->db, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    assert_int_equal (
        sqlite3_prepare_v2 (db, "SELECT note FROM checkpoint", -1, &st, NULL),
        SQLITE_OK);
    size_t stored = 0;
    while (sqlite3_step (st) == SQLITE_ROW) {
        s_keep (fx, (const char *)sqlite3_column_text (st, 0),
                (size_t)sqlite3_column_bytes (st, 0));
        stored++;
    }
    sqlite3_finalize (st);
    sqlite3_close (db);

    /* The final checkpoint, then every one seen is consistent with it,
       asked on a socket of their own: answers to the storm's requests
       that the restarted hubs still owe may arrive on q at any time. */
    zsock_t *final_q = jk_test_dealer (fx->query);
    zmsg_t *ask = jk_wire_new ("CHECKPOINT");
    zmsg_send (&ask, final_q);
    zmsg_t *reply;
    char command[16] = "";
    reply = jk_test_recv (final_q, S_WAIT_MS);
    assert_non_null (reply);
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "CHECKPOINT");
    jk_checkpoint_t *final = jk_malloc (sizeof *final);
    zframe_t *note = zmsg_first (reply);
    assert_int_equal (jk_checkpoint_parse ((const char *)zframe_data (note),
                                           zframe_size (note), final, why,
                                           sizeof why),
                      JK_OK);
    zmsg_destroy (&reply);
    assert_int_equal (final->size, events);
    printf ("checkpoints seen or stored: %zu (%zu stored), final tree %llu\n",
            fx->note_count, stored, (unsigned long long) final->size);
    assert_true (stored >= 2);
    jk_mhash_t *mh = jk_mhash_new ();
    jk_checkpoint_t *cp = jk_malloc (sizeof *cp);
    for (size_t i = 0; i < fx->note_count; i++) {
        assert_int_equal (jk_checkpoint_parse (fx->notes[i],
                                               strlen (fx->notes[i]), cp, why,
                                               sizeof why),
                          JK_OK);
        assert_int_equal (jk_checkpoint_trusted (cp, &fx->signer, NULL, 0, 0,
                                                 why, sizeof why),
                          JK_OK);
        assert_true (cp->size <= final->size);
        zmsg_t *msg = jk_wire_new ("PROOF");
        zmsg_addstr (msg, "CONSISTENCY");
        jk_wire_add_u64 (msg, cp->size);
        jk_wire_add_u64 (msg, final->size);
        zmsg_send (&msg, final_q);
        reply = jk_test_recv (final_q, S_WAIT_MS);
        assert_non_null (reply);
        assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
        assert_string_equal (command, "PROOF");
        zframe_t *proof = zmsg_last (reply);
        assert_int_equal (jk_merkle_verify_consistency (
                              mh, cp->size, final->size, cp->root, final->root,
                              zframe_data (proof), zframe_size (proof) / 32),
                          JK_OK);
        zmsg_destroy (&reply);
    }
    jk_mhash_destroy (&mh);

    /* The office proves all its receipts against the final checkpoint. */
    char *log = jk_sprintf ("%s/agent.log", fx->dir);
    char *argv[] = {"jejak-registration",
                    "--source",
                    "32.03.10/pacet-1",
                    "--outbox",
                    fx->outbox,
                    "--query",
                    fx->query,
                    "--log-key",
                    fx->vkey_file,
                    "--wait",
                    "30",
                    "receipts",
                    "--verify",
                    NULL};
    char *out = NULL;
    assert_int_equal (jk_test_run (argv, &out, NULL, S_WAIT_MS), 0);
    char *want = jk_sprintf ("receipts --verify: %zu receipts proven against "
                             "the checkpoint of %zu records, 0 not",
                             events, events);
    if (!strstr (out, want))
        fail_msg ("'%s' not in '%s'", want, out);
    free (want);
    free (out);
    free (log);
    assert_int_equal (jk_test_stop (fx->hub, SIGTERM, S_WAIT_MS), 0);
    char *verify[] = {"jejak-replay", "verify", fx->db, NULL};
    assert_int_equal (jk_test_run (verify, NULL, NULL, S_WAIT_MS), 0);

    for (size_t i = 0; i < fx->note_count; i++)
        free (fx->notes[i]);
    free (cp);
    free (final);
    free (csv);
    zsock_destroy (&final_q);
    zsock_destroy (&q);
    zsock_destroy (&feed);
    free (fx->keys);
    free (fx->vkey_file);
    free (fx->ingest);
    free (fx->feed);
    free (fx->query);
    free (fx->db);
    free (fx->log);
    free (fx->outbox);
    jk_test_rmdir (&fx->dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kill_storm),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
