/*  test_pgsink.c - jejak-pgsink against a real PostgreSQL 15 server (a
    throwaway cluster made with initdb and started with pg_ctl in a temp
    directory, on a free port, reached over its Unix socket) and a real
    jejak-hub fed realistic events: catch-up, live follow, kill -9 of the
    sink twice and an immediate-mode restart of PostgreSQL in between;
    at the end every log record is in PostgreSQL once, the sink's position
    and hash equal the hub's head, and the projection tables dump equal to
    the hub's own; a rebuild of the PostgreSQL side dumps equal again.
    A --once run against an empty log stops at position 0; one against a
    hub or a PostgreSQL that does not answer gives up after --timeout
    (exit 3), while a following sink waits and says so. A copy pointed
    at a hub with another log (another from position 1, or shorter), or
    whose hub is replaced by one under it, stops with exit 1, the copy
    left as it was. PostgreSQL missing is a failure, never a skip. */
#include "pgtest.h"
#include "testsupport.h"

#include "jk_curve.h"
#include "jk_log.h"
#include "jk_projections.h"
#include "jk_wire.h"
#include "workload.h"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The deadline of a wait for what must happen (a start, an answer, a
   stop): it only matters when it fails, so it leaves room for a
   sanitizer build on a slow, loaded machine. */
#define S_WAIT_MS 60000

/* Submits count workload events on sock, 500 per SUBMIT, each
   answered. */
static void s_submit_on (jk_workload_t *w, zsock_t *sock, int count)
{
    while (count > 0) {
        int n = count < 500 ? count : 500;
        zmsg_t *msg = jk_wire_new ("SUBMIT");
        for (int i = 0; i < n; i++) {
            jk_event_t *e = jk_workload_next (w);
            assert_non_null (e);
            size_t size = 0;
            uint8_t *bytes = jk_event_encode (e, &size);
            zmsg_addmem (msg, bytes, size);
            free (bytes);
            jk_event_destroy (&e);
        }
        zmsg_send (&msg, sock);
        zmsg_t *answer = jk_test_recv (sock, 30000);
        assert_non_null (answer);
        assert_int_equal (zmsg_size (answer), (size_t)n + 2);
        char command[16];
        assert_int_equal (jk_wire_open (answer, command, sizeof command), 0);
        for (zframe_t *f = zmsg_first (answer); f; f = zmsg_next (answer)) {
            jk_answer_t a;
            assert_int_equal (
                jk_answer_decode (zframe_data (f), zframe_size (f), &a), 0);
            /* Stored, as an acceptance or a rejection record. */
            assert_true (a.kind == JK_ANSWER_ACK ||
                         a.kind == JK_ANSWER_REJECTED);
        }
        zmsg_destroy (&answer);
        count -= n;
    }
}

/* The same to a plain hub's ingest endpoint. */
static void s_submit (jk_workload_t *w, const char *ingest, int count)
{
    zsock_t *sock = jk_test_dealer (ingest);
    s_submit_on (w, sock, count);
    zsock_destroy (&sock);
}

static pid_t s_sink (const char *command, jk_test_pg_t *pg, const char *query,
                     const char *feed, const char *shadow, const char *log)
{
    char *argv[] = {"jejak-pgsink", (char *)command, "--pg",   pg->conninfo,
                    "--query",      (char *)query,   "--feed", (char *)feed,
                    "--shadow",     (char *)shadow,  NULL};
    return jk_test_spawn (argv, log);
}

/* The projections of the open database db in the canonical dump form
   (heap); db closed. */
static char *s_db_dump (sqlite3 *db)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    char err[256];
    assert_int_equal (jk_projections_dump (db, out, err, sizeof err), 0);
    fclose (out);
    sqlite3_close (db);
    return text;
}

/* The hub's projections in the canonical dump form (heap). */
static char *s_hub_dump (const char *db_path)
{
    return s_db_dump (jk_test_projections (db_path));
}

static char *s_pg_dump (jk_test_pg_t *pg)
{
    char *argv[] = {"jejak-pgsink", "dump", "--pg", pg->conninfo, NULL};
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (argv, &out, &err, 120000);
    if (rc != 0)
        fail_msg ("jejak-pgsink dump: %s", err ? err : "");
    free (err);
    return out;
}

/* Fails naming the first line where the dumps differ. */
static void s_same_dump (const char *pg_dump, const char *hub_dump)
{
    if (streq (pg_dump, hub_dump))
        return;
    const char *a = pg_dump, *b = hub_dump, *line_a = a, *line_b = b;
    int line = 1;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            line_a = a + 1;
            line_b = b + 1;
        }
        a++;
        b++;
    }
    fail_msg ("dumps differ at line %d:\n  pg:  %.200s\n  hub: %.200s", line,
              line_a, line_b);
}

static void s_hub_head (const char *query, uint64_t *pos, char hex[65])
{
    zsock_t *sock = jk_test_dealer (query);
    zmsg_t *msg = jk_wire_new ("HEAD");
    zmsg_send (&msg, sock);
    zmsg_t *answer = jk_test_recv (sock, S_WAIT_MS);
    assert_non_null (answer);
    char command[16];
    assert_int_equal (jk_wire_open (answer, command, sizeof command), 0);
    assert_int_equal (jk_wire_pop_u64 (answer, pos), 0);
    zframe_t *hash = zmsg_pop (answer);
    jk_hex_format (zframe_data (hash), 32, hex);
    zframe_destroy (&hash);
    zmsg_destroy (&answer);
    zsock_destroy (&sock);
}

/* A test's directory with a throwaway PostgreSQL cluster in it, and the
   paths of the sink's shadow and log there. */
typedef struct {
    char *dir;
    jk_test_pg_t *pg;
    char *shadow, *log;
} s_sink_dir_t;

static s_sink_dir_t s_sink_dir (const char *tag)
{
    s_sink_dir_t d = {.dir = jk_test_tmpdir (tag)};
    d.pg = jk_test_pg_start (d.dir);
    d.shadow = jk_sprintf ("%s/shadow.db", d.dir);
    d.log = jk_sprintf ("%s/sink.log", d.dir);
    return d;
}

static void s_sink_dir_free (s_sink_dir_t *d)
{
    jk_test_pg_stop (&d->pg);
    free (d->shadow);
    free (d->log);
    jk_test_rmdir (&d->dir);
}

static void test_sink_exactly_once (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("pgsink");
    jk_test_pg_t *pg = jk_test_pg_start (dir);
    char *db = jk_sprintf ("%s/events.db", dir);
    char *ingest = jk_test_endpoint (dir, "ingest");
    char *feed = jk_test_endpoint (dir, "feed");
    char *query = jk_test_endpoint (dir, "query");
    char *hub_log = jk_sprintf ("%s/hub.log", dir);
    char *sink_log = jk_sprintf ("%s/sink.log", dir);
    char *shadow = jk_sprintf ("%s/shadow.db", dir);
    pid_t hub = jk_test_hub_spawn (db, ingest, feed, query, NULL, hub_log);
    assert_true (
        JK_WAIT_FOR (jk_test_file_has (hub_log, "jejak-hub ingest="), 30000));
    /* --once against the empty log: caught up at position 0 at once. */
    char *empty = jk_sprintf ("%s/shadow-empty.db", dir);
    char *once[] = {"jejak-pgsink", "run",      "--once", "--pg",
                    pg->conninfo,   "--query",  query,    "--feed",
                    feed,           "--shadow", empty,    NULL};
    char *out = NULL, *err = NULL;
    int rc = jk_test_run (once, &out, &err, S_WAIT_MS);
    if (rc != 0)
        fail_msg ("exit %d: %s", rc, err ? err : "");
    assert_string_equal (strstr (out, "jejak-pgsink pos="),
                         "jejak-pgsink pos=0 written=0\n");
    free (out);
    free (err);
    free (empty);
    jk_workload_config_t config = {.events = 6000, .reject_share = 0.05};
    jk_workload_t *w = jk_workload_new (17, &config);
    s_submit (w, ingest, 2000);

    /* Catch-up from the query endpoint. */
    pid_t sink = s_sink ("run", pg, query, feed, shadow, sink_log);
    if (!JK_WAIT_FOR (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") == 2000,
                      60000))
        fail_msg ("sink at %lld",
                  (long long)jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"));
    /* The shadow holds the hub's rows, NIKs in clear: the owner's only. */
    struct stat sb;
    assert_int_equal (stat (shadow, &sb), 0);
    assert_int_equal (sb.st_mode & 0777, 0600);
    /* Live: follows the feed; killed -9 in the middle, twice. */
    s_submit (w, ingest, 1000);
    assert_true (JK_WAIT_FOR (
        jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") > 2000, 30000));
    assert_int_not_equal (jk_test_stop (sink, SIGKILL, S_WAIT_MS), -1);
    s_submit (w, ingest, 1000);
    sink = s_sink ("run", pg, query, feed, shadow, sink_log);
    assert_true (JK_WAIT_FOR (
        jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") >= 3500, 60000));
    assert_int_not_equal (jk_test_stop (sink, SIGKILL, S_WAIT_MS), -1);
    sink = s_sink ("run", pg, query, feed, shadow, sink_log);
    /* PostgreSQL restarted under it (immediate: a crash and recovery). */
    assert_true (JK_WAIT_FOR (
        jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") == 4000, 60000));
    assert_int_equal (jk_test_pg_ctl (pg, "restart", "immediate"), 0);
    s_submit (w, ingest, 2000);
    uint64_t head_pos;
    char head_hash[65];
    s_hub_head (query, &head_pos, head_hash);
    assert_int_equal (head_pos, 6000);
    if (!JK_WAIT_FOR (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") == 6000,
                      90000))
        fail_msg ("sink at %lld after the restart",
                  (long long)jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"));

    /* Exactly once, in PostgreSQL's own types. */
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 6000);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(DISTINCT id) FROM log"),
                      6000);
    assert_int_equal (jk_test_pg_int (pg, "SELECT max(pos) FROM log"), 6000);
    assert_true (
        jk_test_pg_int (pg, "SELECT count(*) FROM log WHERE outcome = 1") > 0);
    assert_int_equal (
        jk_test_pg_int (pg, "SELECT count(*) FROM log WHERE recorded_at < "
                            "'2020-01-01'::timestamptz"),
        0);
    char *hash =
        jk_test_pg_text (pg, "SELECT encode(hash, 'hex') FROM jejak_sink");
    assert_string_equal (hash, head_hash);
    free (hash);
    hash =
        jk_test_pg_text (pg, "SELECT encode(hash, 'hex') FROM log WHERE pos = "
                             "6000");
    assert_string_equal (hash, head_hash);
    free (hash);
    /* Every projection table equals the hub's. */
    char *hub_dump = s_hub_dump (db);
    char *pg_dump = s_pg_dump (pg);
    assert_true (strlen (hub_dump) > 10000);
    s_same_dump (pg_dump, hub_dump);
    free (pg_dump);
    assert_int_equal (jk_test_stop (sink, SIGTERM, S_WAIT_MS), 0);

    /* A rebuild of the PostgreSQL side from the log dumps the same. */
    char *argv[] = {"jejak-pgsink", "rebuild", "--pg",   pg->conninfo,
                    "--query",      query,     "--feed", feed,
                    "--shadow",     shadow,    NULL};
    assert_int_equal (jk_test_run (argv, &out, &err, 180000), 0);
    assert_non_null (strstr (out, "jejak-pgsink pos=6000 written=6000"));
    free (out);
    free (err);
    pg_dump = s_pg_dump (pg);
    s_same_dump (pg_dump, hub_dump);
    free (pg_dump);
    free (hub_dump);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 6000);

    jk_workload_destroy (&w);
    assert_int_equal (jk_test_stop (hub, SIGTERM, S_WAIT_MS), 0);
    jk_test_pg_stop (&pg);
    free (db);
    free (ingest);
    free (feed);
    free (query);
    free (hub_log);
    free (sink_log);
    free (shadow);
    jk_test_rmdir (&dir);
}

/* A catch-up whose stream the hub ended (left without credit for the
   stream_idle limit, shortened here with JEJAK_STREAM_IDLE_MS, while the
   sink was stopped with SIGSTOP) is asked again once the sink runs on:
   the sink reaches the head, every record once. */
static void test_sink_stream_ended (void **state)
{
    (void)state;
    s_sink_dir_t d = s_sink_dir ("pgsink-idle");
    jk_test_pg_t *pg = d.pg;
    char *shadow = d.shadow, *log = d.log;
    jk_test_hub_t *hub = jk_test_hub_new ("pgsink-idle");
    setenv ("JEJAK_STREAM_IDLE_MS", "1000", 1);
    jk_test_hub_start (hub);
    unsetenv ("JEJAK_STREAM_IDLE_MS");
    jk_workload_config_t config = {.events = 3000, .reject_share = 0.05};
    jk_workload_t *w = jk_workload_new (23, &config);
    s_submit (w, hub->ingest, 3000);

    /* Two records a round trip: the catch-up is still streaming when
       the sink is stopped. */
    char *argv[] = {
        "jejak-pgsink", "run",    "--pg",    pg->conninfo, "--query",
        hub->query,     "--feed", hub->feed, "--shadow",   shadow,
        "--credit",     "2",      NULL};
    pid_t sink = jk_test_spawn (argv, log);
    assert_true (
        JK_WAIT_FOR (jk_test_stat (hub->query, "streams") == 1, S_WAIT_MS));
    assert_int_equal (kill (sink, SIGSTOP), 0);
    assert_true (JK_WAIT_FOR (jk_test_stat (hub->query, "streams_expired") == 1,
                              S_WAIT_MS));
    assert_int_equal (jk_test_stat (hub->query, "streams"), 0);
    assert_true (jk_test_pg_int (pg, "SELECT count(*) FROM log") < 3000);
    assert_int_equal (kill (sink, SIGCONT), 0);
    if (!JK_WAIT_FOR (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") == 3000,
                      S_WAIT_MS))
        fail_msg ("sink at %lld after its stream ended",
                  (long long)jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"));
    assert_true (jk_test_file_has (log, "the hub's stream brought nothing "
                                        "for 5 s at position "));
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 3000);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(DISTINCT id) FROM log"),
                      3000);
    uint64_t head_pos;
    char head_hash[65];
    s_hub_head (hub->query, &head_pos, head_hash);
    assert_int_equal (head_pos, 3000);
    char *hash =
        jk_test_pg_text (pg, "SELECT encode(hash, 'hex') FROM jejak_sink");
    assert_string_equal (hash, head_hash);
    free (hash);

    assert_int_equal (jk_test_stop (sink, SIGTERM, S_WAIT_MS), 0);
    jk_workload_destroy (&w);
    jk_test_hub_destroy (&hub);
    s_sink_dir_free (&d);
}

/* Runs jejak-keys with its arguments (NULL-terminated) on dir; fails the
   test unless it exits 0. */
static void s_keys (const char *dir, ...)
{
    char *argv[16] = {"jejak-keys"};
    int n = 1;
    va_list ap;
    va_start (ap, dir);
    char *a;
    while ((a = va_arg (ap, char *)) != NULL && n < 13)
        argv[n++] = a;
    va_end (ap);
    argv[n++] = "--dir";
    argv[n++] = (char *)dir;
    argv[n] = NULL;
    char *err = NULL;
    int rc = jk_test_run (argv, NULL, &err, S_WAIT_MS);
    if (rc != 0)
        fail_msg ("jejak-keys %s: %s", argv[1], err ? err : "");
    free (err);
}

/* Runs jejak-pgsink COMMAND --once against query and feed with the given
   keys (NULL: none); returns its exit code, stdout and stderr. */
static int s_sink_once (jk_test_pg_t *pg, const char *query, const char *feed,
                        const char *shadow, const char *broker_key,
                        const char *key, char **out, char **err)
{
    char *argv[20] = {"jejak-pgsink", "run",      "--once",      "--pg",
                      pg->conninfo,   "--query",  (char *)query, "--feed",
                      (char *)feed,   "--shadow", (char *)shadow};
    int n = 11;
    if (broker_key) {
        argv[n++] = "--broker-key";
        argv[n++] = (char *)broker_key;
    }
    if (key) {
        argv[n++] = "--key";
        argv[n++] = (char *)key;
    }
    argv[n] = NULL;
    return jk_test_run (argv, out, err, 120000);
}

/* A hub whose feed and query listen on every interface, so they speak
   CURVE (--keys): a sink with a key the hub does not know, and one with
   no key, get nothing and say why; an enrolled reader key catches up and
   then follows the feed over CURVE, and PostgreSQL's projections dump
   equal to the hub's. */
static void test_sink_curve (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("pgsink-curve");
    jk_test_pg_t *pg = jk_test_pg_start (dir);
    char *keys = jk_sprintf ("%s/keys", dir);
    char *other = jk_sprintf ("%s/other-keys", dir);
    s_keys (keys, "init", NULL);
    s_keys (keys, "enrol", "--office", "DINAS", "--domain", "all", "--device",
            "hq", NULL);
    s_keys (keys, "reader", "--name", "pgsink", NULL);
    s_keys (other, "init", NULL);
    s_keys (other, "reader", "--name", "stranger", NULL);
    char *broker_pub = jk_sprintf ("%s/broker.pub", keys);
    char *reader = jk_sprintf ("%s/issued/reader_pgsink.key", keys);
    char *stranger = jk_sprintf ("%s/issued/reader_stranger.key", other);
    char *hq = jk_sprintf ("%s/issued/DINAS_hq.key", keys);

    char *feed = jk_strdup (JK_TEST_ANY_PORT);
    char *query = jk_strdup (JK_TEST_ANY_PORT);
    char *ingest = jk_test_endpoint (dir, "ingest");
    char *db = jk_sprintf ("%s/events.db", dir);
    char *hub_log = jk_sprintf ("%s/hub.log", dir);
    char *shadow = jk_sprintf ("%s/shadow.db", dir);
    pid_t hub =
        jk_test_hub_spawn_tcp (db, ingest, &feed, &query, keys, hub_log);
    assert_true (jk_test_file_has (hub_log, "secure=curve"));

    /* 600 events from DINAS over CURVE. */
    zsock_t *office = zsock_new (ZMQ_DEALER);
    zsock_set_linger (office, 0);
    assert_int_equal (jk_curve_client (office, broker_pub, hq, "test"), 0);
    assert_int_equal (zsock_connect (office, "%s", ingest), 0);
    jk_workload_config_t config = {.events = 1000, .reject_share = 0.05};
    jk_workload_t *w = jk_workload_new (23, &config);
    s_submit_on (w, office, 600);

    /* A key the hub does not know: refused, named, nothing written. */
    char *out = NULL, *err = NULL;
    int rc =
        s_sink_once (pg, query, feed, shadow, broker_pub, stranger, &out, &err);
    if (rc != 1)
        fail_msg ("exit %d: %s", rc, err ? err : "");
    if (!strstr (err, "the hub refused this key (CURVE authentication, "
                      "status 400): it is not enrolled in the hub's keys "
                      "directory, or it was revoked; nothing was read, "
                      "stopping"))
        fail_msg ("no reason given: %s", err);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 0);
    assert_int_equal (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"), 0);
    free (out);
    free (err);
    /* No key at all: the hub speaks CURVE, said so. */
    out = err = NULL;
    rc = s_sink_once (pg, query, feed, shadow, NULL, NULL, &out, &err);
    if (rc != 1)
        fail_msg ("exit %d: %s", rc, err ? err : "");
    if (!strstr (err, "speaks CURVE (give --broker-key and --key); nothing "
                      "was read, stopping"))
        fail_msg ("no reason given: %s", err);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 0);
    free (out);
    free (err);
    /* One of the pair only, or no key to a public endpoint: usage. */
    char *one[] = {"jejak-pgsink", "--pg", pg->conninfo, "--query", query,
                   "--feed",       feed,   "--key",      reader,    NULL};
    err = NULL;
    assert_int_equal (jk_test_run (one, NULL, &err, S_WAIT_MS), 2);
    assert_non_null (strstr (err, "--broker-key and --key go together"));
    free (err);
    char *public[] = {"jejak-pgsink",         "--pg",   pg->conninfo, "--query",
                      "tcp://192.0.2.1:7452", "--feed", feed,         NULL};
    err = NULL;
    assert_int_equal (jk_test_run (public, NULL, &err, S_WAIT_MS), 2);
    assert_non_null (strstr (err, "--query tcp://192.0.2.1:7452 leaves this "
                                  "machine: give --broker-key and --key"));
    free (err);

    /* The enrolled reader: catches up over CURVE, then follows the feed. */
    char *sink_log = jk_sprintf ("%s/sink.log", dir);
    char *argv[] = {
        "jejak-pgsink", "run",      "--pg",  pg->conninfo, "--query",
        query,          "--feed",   feed,    "--shadow",   shadow,
        "--broker-key", broker_pub, "--key", reader,       NULL};
    pid_t sink = jk_test_spawn (argv, sink_log);
    if (!JK_WAIT_FOR (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") == 600,
                      60000))
        fail_msg ("sink at %lld",
                  (long long)jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"));
    s_submit_on (w, office, 400);
    if (!JK_WAIT_FOR (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") == 1000,
                      60000))
        fail_msg ("sink at %lld",
                  (long long)jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"));
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 1000);
    assert_int_equal (jk_test_stop (sink, SIGTERM, S_WAIT_MS), 0);
    assert_false (jk_test_file_has (sink_log, "refused"));
    char *hub_dump = s_hub_dump (db);
    char *pg_dump = s_pg_dump (pg);
    s_same_dump (pg_dump, hub_dump);
    free (pg_dump);
    free (hub_dump);

    zsock_destroy (&office);
    jk_workload_destroy (&w);
    assert_int_equal (jk_test_stop (hub, SIGTERM, S_WAIT_MS), 0);
    jk_test_pg_stop (&pg);
    free (sink_log);
    free (keys);
    free (other);
    free (broker_pub);
    free (reader);
    free (stranger);
    free (hq);
    free (feed);
    free (query);
    free (ingest);
    free (db);
    free (hub_log);
    free (shadow);
    jk_test_rmdir (&dir);
}

/* A --once run (cron: catch up, then exit) against a hub that does not
   answer gives up after --timeout with exit 3, naming the endpoints; one
   whose PostgreSQL does not answer too; a following sink waits for the
   hub instead, saying so every 5 s. No PostgreSQL server here: nothing
   listens where --pg points. */
static void test_sink_once_gives_up (void **state)
{
    (void)state;
    jk_test_hub_t *hub = jk_test_hub_new ("pgsink-timeout");
    char *nobody = jk_test_endpoint (hub->dir, "nobody");
    char *no_pg = jk_sprintf ("host=%s port=1 dbname=jejak", hub->dir);
    char *shadow = jk_sprintf ("%s/shadow.db", hub->dir);
    char *argv[] = {"jejak-pgsink", "run",       "--once", "--pg", no_pg,
                    "--query",      nobody,      "--feed", nobody, "--shadow",
                    shadow,         "--timeout", "1",      NULL};
    char *out = NULL, *err = NULL;
    int64_t started = jk_clock_mono_ms ();
    int rc = jk_test_run (argv, &out, &err, S_WAIT_MS);
    if (rc != 3)
        fail_msg ("exit %d: %s", rc, err ? err : "");
    /* Within the timeout, give or take a loaded machine's start. */
    assert_true (jk_clock_mono_ms () - started < 20000);
    char *want = jk_sprintf ("ERROR pgsink no answer from the hub at --query "
                             "%s or --feed %s within 1 s (--timeout): stopped "
                             "before being caught up (is jejak-hub running "
                             "there?)\n",
                             nobody, nobody);
    if (!strstr (err, want))
        fail_msg ("not said: %s", err);
    assert_null (strstr (out, "jejak-pgsink pos="));
    free (want);
    free (out);
    free (err);

    /* The hub answers, PostgreSQL does not: exit 3 as well. */
    jk_test_hub_start (hub);
    argv[6] = hub->query;
    argv[8] = hub->feed;
    rc = jk_test_run (argv, &out, &err, S_WAIT_MS);
    if (rc != 3)
        fail_msg ("exit %d: %s", rc, err ? err : "");
    if (!strstr (err, "ERROR pgsink PostgreSQL (--pg) did not answer within 1 "
                      "s (--timeout): stopped before being caught up\n"))
        fail_msg ("not said: %s", err);
    free (out);
    free (err);

    /* Following (no --once): it waits for the hub, and says so. */
    char *log = jk_sprintf ("%s/sink.log", hub->dir);
    char *follow[] = {"jejak-pgsink", "run",    "--pg", no_pg,      "--query",
                      nobody,         "--feed", nobody, "--shadow", shadow,
                      "--timeout",    "1",      NULL};
    pid_t sink = jk_test_spawn (follow, log);
    want = jk_sprintf ("WARN  pgsink no answer from the hub at --query %s or "
                       "--feed %s for 5 s: waiting (is jejak-hub running "
                       "there?)\n",
                       nobody, nobody);
    assert_true (JK_WAIT_FOR (jk_test_file_has (log, want), S_WAIT_MS));
    int status = 0;
    assert_false (jk_test_wait_exit (sink, &status, 0));
    assert_int_not_equal (jk_test_stop (sink, SIGTERM, S_WAIT_MS), -1);
    assert_false (jk_test_file_has (log, "ERROR"));
    free (want);
    free (log);
    free (shadow);
    free (no_pg);
    free (nobody);
    jk_test_hub_destroy (&hub);
}

/* A shadow that cannot be written stops the sink with exit 1 before
   PostgreSQL is waited for, naming the file and why (FEDERATION.md,
   "Exit status"): a directory where its journal goes (root writes
   anywhere else), a directory at its path, a hub's log at its path. No
   PostgreSQL server here: nothing listens where --pg points, and with
   --timeout 1 a sink that went on would stop with exit 3. */
static void test_sink_shadow_unwritable (void **state)
{
    (void)state;
    jk_test_hub_t *hub = jk_test_hub_new ("pgsink-unwritable");
    jk_test_hub_start (hub);
    char *no_pg = jk_sprintf ("host=%s port=1 dbname=jejak", hub->dir);
    char *shadow = jk_sprintf ("%s/shadow.db", hub->dir);
    char *journal = jk_sprintf ("%s-journal", shadow);
    char *dir = jk_sprintf ("%s/shadow-dir.db", hub->dir);
    assert_int_equal (mkdir (journal, 0700), 0);
    assert_int_equal (mkdir (dir, 0700), 0);
    struct {
        const char *shadow;
        char *want;
    } cases[] = {
        {shadow,
         jk_sprintf ("ERROR pgsink cannot write the shadow %s (its kind mark): "
                     "unable to open database file (%s: Is a directory)\n",
                     shadow, journal)},
        {dir, jk_sprintf ("ERROR pgsink the shadow: cannot open %s: unable to "
                          "open database file\n",
                          dir)},
        {hub->db, jk_sprintf ("ERROR pgsink %s is a Jejak event log "
                              "(application_id 0x4A4B4C47 'JKLG'), not a "
                              "jejak-pgsink shadow\n",
                              hub->db)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[] = {"jejak-pgsink",
                        "run",
                        "--once",
                        "--pg",
                        no_pg,
                        "--query",
                        hub->query,
                        "--feed",
                        hub->feed,
                        "--shadow",
                        (char *)cases[i].shadow,
                        "--timeout",
                        "1",
                        NULL};
        char *out = NULL, *err = NULL;
        int rc = jk_test_run (argv, &out, &err, S_WAIT_MS);
        if (rc != 1 || !strstr (err, cases[i].want))
            fail_msg ("--shadow %s: exit %d, stderr:\n%s\nwanted:\n%s",
                      cases[i].shadow, rc, err ? err : "", cases[i].want);
        assert_null (strstr (err, "PostgreSQL (--pg) did not answer"));
        free (cases[i].want);
        free (out);
        free (err);
    }
    /* Nothing was made in the journal's place. */
    assert_int_equal (rmdir (journal), 0);
    free (dir);
    free (journal);
    free (shadow);
    free (no_pg);
    jk_test_hub_destroy (&hub);
}

/* The copy PostgreSQL holds, to be left exactly as it was: its log rows,
   position, hash and projection tables. */
typedef struct {
    int64_t records, pos;
    char *hash, *dump;
} s_copy_t;

static void s_copy_read (jk_test_pg_t *pg, s_copy_t *copy)
{
    copy->records = jk_test_pg_int (pg, "SELECT count(*) FROM log");
    copy->pos = jk_test_pg_int (pg, "SELECT pos FROM jejak_sink");
    copy->hash =
        jk_test_pg_text (pg, "SELECT encode(hash, 'hex') FROM jejak_sink");
    assert_non_null (copy->hash);
    copy->dump = s_pg_dump (pg);
}

static void s_copy_free (s_copy_t *copy)
{
    free (copy->hash);
    free (copy->dump);
}

static void s_copy_unchanged (jk_test_pg_t *pg, const s_copy_t *was)
{
    s_copy_t now;
    s_copy_read (pg, &now);
    assert_int_equal (now.records, was->records);
    assert_int_equal (now.pos, was->pos);
    assert_string_equal (now.hash, was->hash);
    s_same_dump (now.dump, was->dump);
    s_copy_free (&now);
}

/* The line a sink pointed at a hub with another log says (heap). */
static char *s_other_log_line (const char *what, const char *query)
{
    return jk_sprintf (
        "ERROR pgsink %s: the hub at --query %s holds another log than the "
        "one PostgreSQL's copy was made from (another hub, or a log restored "
        "from an older backup); the copy is left as it was; run jejak-pgsink "
        "rebuild to copy this hub's log anew, or point --query and --feed at "
        "the hub the copy was made from\n",
        what, query);
}

/* A --once run against hub: exit 0 with want on stdout. */
static void s_once_ok (jk_test_pg_t *pg, jk_test_hub_t *hub, const char *shadow,
                       const char *want)
{
    char *out = NULL, *err = NULL;
    int rc =
        s_sink_once (pg, hub->query, hub->feed, shadow, NULL, NULL, &out, &err);
    if (rc != 0 || !out || !strstr (out, want))
        fail_msg ("exit %d, not said:\n%s\nwanted:\n%s\n%s", rc, out ? out : "",
                  want, err ? err : "");
    free (out);
    free (err);
}

/* A --once run against hub: exit 1 with want on stderr. */
static void s_once_refused (jk_test_pg_t *pg, jk_test_hub_t *hub,
                            const char *shadow, const char *want)
{
    char *out = NULL, *err = NULL;
    int rc =
        s_sink_once (pg, hub->query, hub->feed, shadow, NULL, NULL, &out, &err);
    if (rc != 1 || !strstr (err, want))
        fail_msg ("exit %d, not said:\n%s\nwanted:\n%s", rc, err ? err : "",
                  want);
    free (out);
    free (err);
}

/* Waits for PostgreSQL's copy to reach pos. */
static void s_wait_pos (jk_test_pg_t *pg, int64_t pos, const char *log)
{
    if (!JK_WAIT_FOR (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink") == pos,
                      S_WAIT_MS))
        fail_msg ("sink at %lld (see %s)",
                  (long long)jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"),
                  log);
}

/* Stops hub's process and starts jejak-hub with the log database db on
   hub's endpoints in its place, waiting for its start line in
   hub_log. */
static void s_replace_hub (jk_test_hub_t *hub, const char *db,
                           const char *hub_log)
{
    if (hub->hub > 0)
        assert_int_equal (jk_test_stop (hub->hub, SIGTERM, S_WAIT_MS), 0);
    size_t before = jk_test_file_size (hub_log);
    hub->hub = jk_test_hub_spawn (db, hub->ingest, hub->feed, hub->query, NULL,
                                  hub_log);
    if (!JK_WAIT_FOR (
            jk_test_file_has_after (hub_log, before, "jejak-hub ingest="),
            S_WAIT_MS))
        fail_msg ("jejak-hub did not start (see %s)", hub_log);
}

/* A following sink stops by itself with exit 1, want in its log after
   offset before. */
static void s_sink_stops (pid_t sink, const char *log, size_t before,
                          const char *want)
{
    int status = 0;
    if (!jk_test_wait_exit (sink, &status, S_WAIT_MS)) {
        jk_test_stop (sink, SIGKILL, S_WAIT_MS);
        fail_msg ("a following sink did not stop (see %s)", log);
    }
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    if (!jk_test_file_has_after (log, before, want))
        fail_msg ("not said in %s:\n%s", log, want);
}

/* A following sink against hub: stops by itself with exit 1, want in
   its log. */
static void s_follow_refused (jk_test_pg_t *pg, jk_test_hub_t *hub,
                              const char *shadow, const char *log,
                              const char *want)
{
    size_t before = jk_test_file_size (log);
    pid_t sink = s_sink ("run", pg, hub->query, hub->feed, shadow, log);
    s_sink_stops (sink, log, before, want);
}

/* A copy of hub A's log (300 records) pointed at hubs whose logs are
   others: B's (500 records, another log from position 1) and C's (200
   records). --once and a following sink stop with exit 1 naming the
   position, the hub and what to do: at B the hub's hash at the copy's
   position is not the copy's, at C the log ends before it; with the
   shadow deleted too, before the new shadow records anything. A
   following sink whose hub is replaced by C under it stops when HEAD
   confirms C's $head below the copy; one whose hub is replaced by B
   stops at B's first record, which does not continue the copy's chain.
   PostgreSQL's copy is left exactly as it was every time. */
static void test_sink_other_log (void **state)
{
    (void)state;
    s_sink_dir_t d = s_sink_dir ("pgsink-other");
    jk_test_pg_t *pg = d.pg;
    char *shadow = d.shadow, *log = d.log;
    jk_test_hub_t *a = jk_test_hub_new ("pgsink-a");
    jk_test_hub_t *b = jk_test_hub_new ("pgsink-b");
    jk_test_hub_t *c = jk_test_hub_new ("pgsink-c");
    jk_test_hub_start (a);
    jk_test_hub_start (b);
    jk_test_hub_start (c);
    jk_workload_config_t config = {.events = 1000, .reject_share = 0.05};
    jk_workload_t *wa = jk_workload_new (31, &config);
    jk_workload_t *wb = jk_workload_new (32, &config);
    jk_workload_t *wc = jk_workload_new (33, &config);
    s_submit (wa, a->ingest, 300);
    s_submit (wb, b->ingest, 500);
    s_submit (wc, c->ingest, 200);

    /* The copy of A's log. */
    s_once_ok (pg, a, shadow, "jejak-pgsink pos=300 written=300\n");
    s_copy_t copy;
    s_copy_read (pg, &copy);
    assert_int_equal (copy.pos, 300);
    char *hub_dump = s_hub_dump (a->db);
    s_same_dump (copy.dump, hub_dump);
    free (hub_dump);

    /* B: longer, another log. */
    char *at_b =
        s_other_log_line ("the hub's hash at 300 is not the copy's", b->query);
    s_once_refused (pg, b, shadow, at_b);
    s_copy_unchanged (pg, &copy);
    s_follow_refused (pg, b, shadow, log, at_b);
    s_copy_unchanged (pg, &copy);

    /* C: its log ends before the copy's position. */
    char *at_c = s_other_log_line (
        "the hub's log ends at 200, PostgreSQL's copy is at 300", c->query);
    s_once_refused (pg, c, shadow, at_c);
    s_copy_unchanged (pg, &copy);
    s_follow_refused (pg, c, shadow, log, at_c);
    s_copy_unchanged (pg, &copy);

    /* The shadow deleted: the new one is not brought up from B or C. */
    jk_test_db_remove (shadow);
    s_once_refused (pg, b, shadow, at_b);
    s_copy_unchanged (pg, &copy);
    assert_int_equal (
        jk_test_db_int64 (shadow, "SELECT pos FROM sink_position"), 0);
    s_once_refused (pg, c, shadow, at_c);
    s_copy_unchanged (pg, &copy);
    /* From A it is, writing nothing. */
    s_once_ok (pg, a, shadow, "jejak-pgsink pos=300 written=0\n");
    s_copy_unchanged (pg, &copy);

    /* Following A (one more record, 301, copied), then C in its place on
       the same endpoints: its $head is below the copy, and HEAD says its
       log ends there. */
    size_t before = jk_test_file_size (log);
    pid_t sink = s_sink ("run", pg, a->query, a->feed, shadow, log);
    s_submit (wa, a->ingest, 1);
    s_wait_pos (pg, 301, log);
    s_copy_free (&copy);
    s_copy_read (pg, &copy);
    assert_int_equal (copy.records, 301);
    assert_int_equal (jk_test_stop (c->hub, SIGTERM, S_WAIT_MS), 0);
    c->hub = 0;
    s_replace_hub (a, c->db, c->log);
    char *shrunk = s_other_log_line (
        "the hub's log ends at 200, PostgreSQL's copy is at 301", a->query);
    s_sink_stops (sink, log, before, shrunk);
    s_copy_unchanged (pg, &copy);

    /* A again (302 copied), then B in its place: B's record 303 does not
       continue the copy's chain. */
    s_replace_hub (a, a->db, a->log);
    before = jk_test_file_size (log);
    sink = s_sink ("run", pg, a->query, a->feed, shadow, log);
    s_submit (wa, a->ingest, 1);
    s_wait_pos (pg, 302, log);
    s_copy_free (&copy);
    s_copy_read (pg, &copy);
    assert_int_equal (copy.records, 302);
    assert_int_equal (jk_test_stop (b->hub, SIGTERM, S_WAIT_MS), 0);
    b->hub = 0;
    s_replace_hub (a, b->db, b->log);
    char *chain = s_other_log_line (
        "the hub's record 303 does not continue the copy's hash chain at 302",
        a->query);
    s_sink_stops (sink, log, before, chain);
    assert_false (jk_test_file_has_after (log, before, "reconnecting"));
    s_copy_unchanged (pg, &copy);

    free (shrunk);
    free (chain);
    free (at_b);
    free (at_c);
    s_copy_free (&copy);
    jk_workload_destroy (&wa);
    jk_workload_destroy (&wb);
    jk_workload_destroy (&wc);
    jk_test_hub_destroy (&a);
    jk_test_hub_destroy (&b);
    jk_test_hub_destroy (&c);
    s_sink_dir_free (&d);
}

/* The line a sink whose shadow holds another log says (heap). */
static char *s_other_shadow_line (const char *shadow, uint64_t pos)
{
    return jk_sprintf (
        "ERROR pgsink the shadow %s was made from another log: its hash at "
        "%llu is not the one PostgreSQL's copy and the hub hold there; the "
        "copy is left as it was; remove the shadow (it is made anew and "
        "brought up to PostgreSQL's position from the hub) or run "
        "jejak-pgsink rebuild\n",
        shadow, (unsigned long long)pos);
}

/* Copies the closed SQLite database from to to (its WAL too, if any). */
static void s_copy_db (const char *from, const char *to)
{
    const char *suffixes[] = {"", "-wal"};
    for (int i = 0; i < 2; i++) {
        char *src = jk_sprintf ("%s%s", from, suffixes[i]);
        char *dst = jk_sprintf ("%s%s", to, suffixes[i]);
        FILE *in = fopen (src, "rb");
        if (in) {
            FILE *out = fopen (dst, "wb");
            assert_non_null (out);
            char buf[65536];
            size_t n;
            while ((n = fread (buf, 1, sizeof buf, in)) > 0)
                assert_int_equal (fwrite (buf, 1, n, out), n);
            assert_int_equal (fclose (out), 0);
            fclose (in);
        } else
            assert_int_not_equal (i, 0);
        free (src);
        free (dst);
    }
}

/* A copy of hub A's log (300 records) with a shadow made from another
   hub's log (D's, the same settings) by a sink into another PostgreSQL:
   at the copy's position (300), and behind it (299). The sink stops with
   exit 1 naming the shadow and the position, --once and following, and
   PostgreSQL's copy is left exactly as it was; A's own shadow then
   carries on. */
static void test_sink_other_shadow (void **state)
{
    (void)state;
    char *dir = jk_test_tmpdir ("pgsink-shadow");
    char *dir_d = jk_sprintf ("%s/d", dir);
    assert_int_equal (mkdir (dir_d, 0700), 0);
    jk_test_pg_t *pg = jk_test_pg_start (dir);
    jk_test_pg_t *pg_d = jk_test_pg_start (dir_d);
    char *shadow = jk_sprintf ("%s/shadow.db", dir);
    char *shadow_d = jk_sprintf ("%s/shadow-d.db", dir);
    char *at_299 = jk_sprintf ("%s/shadow-d-299.db", dir);
    char *log = jk_sprintf ("%s/sink.log", dir);
    jk_test_hub_t *a = jk_test_hub_new ("pgsink-sa");
    jk_test_hub_t *d = jk_test_hub_new ("pgsink-sd");
    jk_test_hub_start (a);
    jk_test_hub_start (d);
    jk_workload_config_t config = {.events = 1000, .reject_share = 0.05};
    jk_workload_t *wa = jk_workload_new (41, &config);
    jk_workload_t *wd = jk_workload_new (42, &config);
    s_submit (wa, a->ingest, 300);
    s_submit (wd, d->ingest, 299);

    s_once_ok (pg, a, shadow, "jejak-pgsink pos=300 written=300\n");
    /* D's shadow at 299 (kept), then at 300. */
    s_once_ok (pg_d, d, shadow_d, "jejak-pgsink pos=299 written=299\n");
    s_copy_db (shadow_d, at_299);
    s_submit (wd, d->ingest, 1);
    s_once_ok (pg_d, d, shadow_d, "jejak-pgsink pos=300 written=1\n");
    s_copy_t copy;
    s_copy_read (pg, &copy);

    /* At the copy's position: refused before anything is applied. */
    char *equal = s_other_shadow_line (shadow_d, 300);
    s_once_refused (pg, a, shadow_d, equal);
    s_copy_unchanged (pg, &copy);
    s_follow_refused (pg, a, shadow_d, log, equal);
    s_copy_unchanged (pg, &copy);
    assert_int_equal (
        jk_test_db_int64 (shadow_d, "SELECT pos FROM sink_position"), 300);

    /* Behind it: A's hash at 300 is the copy's, and A's record 300 does
       not continue the shadow's chain at 299. */
    char *behind = s_other_shadow_line (at_299, 299);
    s_once_refused (pg, a, at_299, behind);
    s_copy_unchanged (pg, &copy);
    assert_int_equal (
        jk_test_db_int64 (at_299, "SELECT pos FROM sink_position"), 299);

    /* A's own shadow carries on. */
    s_submit (wa, a->ingest, 1);
    s_once_ok (pg, a, shadow, "jejak-pgsink pos=301 written=1\n");
    char *hub_dump = s_hub_dump (a->db);
    char *pg_dump = s_pg_dump (pg);
    s_same_dump (pg_dump, hub_dump);
    free (hub_dump);
    free (pg_dump);

    free (equal);
    free (behind);
    s_copy_free (&copy);
    jk_workload_destroy (&wa);
    jk_workload_destroy (&wd);
    jk_test_hub_destroy (&a);
    jk_test_hub_destroy (&d);
    jk_test_pg_stop (&pg);
    jk_test_pg_stop (&pg_d);
    free (log);
    free (shadow);
    free (shadow_d);
    free (at_299);
    free (dir_d);
    jk_test_rmdir (&dir);
}

/* The shadow's projections in the canonical dump form (heap). */
static char *s_shadow_dump (const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    return s_db_dump (db);
}

/* The position in the line "cannot write the shadow SHADOW (its position
   N): position refused" of stderr; fails when it is not there. */
static uint64_t s_refused_at (const char *err, const char *shadow)
{
    char *head = jk_sprintf (
        "ERROR pgsink cannot write the shadow %s (its position ", shadow);
    const char *at = err ? strstr (err, head) : NULL;
    unsigned long long pos = 0;
    int used = 0;
    if (!at || sscanf (at + strlen (head), "%llu%n", &pos, &used) != 1 ||
        strncmp (at + strlen (head) + used, "): position refused\n", 20))
        fail_msg ("not said:\n%s\nwanted: %sN): position refused",
                  err ? err : "", head);
    free (head);
    return pos;
}

/* The shadow's position cannot be written after PostgreSQL committed a
   batch (a trigger refuses it: nothing root can write past): the sink
   says so and stops with exit 1, with --once and following, the shadow
   rolled back to where it was and PostgreSQL's commit kept. Started
   again without the fault it brings the shadow up to PostgreSQL from the
   hub and writes nothing twice: PostgreSQL's log rows, position and
   dump, and the shadow's position and rows, are those of a run without
   the fault (the hub's). */
static void test_sink_shadow_position_unwritten (void **state)
{
    (void)state;
    s_sink_dir_t d = s_sink_dir ("pgsink-position");
    jk_test_pg_t *pg = d.pg;
    char *shadow = d.shadow, *log = d.log;
    jk_test_hub_t *hub = jk_test_hub_new ("pgsink-position");
    jk_test_hub_start (hub);
    jk_workload_config_t config = {.events = 1000, .reject_share = 0.05};
    jk_workload_t *w = jk_workload_new (51, &config);
    s_submit (w, hub->ingest, 300);
    s_once_ok (pg, hub, shadow, "jejak-pgsink pos=300 written=300\n");

    jk_test_db_exec (shadow,
                     "CREATE TRIGGER fault BEFORE UPDATE ON sink_position "
                     "BEGIN SELECT RAISE (ABORT, 'position refused'); END");
    s_submit (w, hub->ingest, 200);
    char *out = NULL, *err = NULL;
    int rc =
        s_sink_once (pg, hub->query, hub->feed, shadow, NULL, NULL, &out, &err);
    if (rc != 1)
        fail_msg ("--once: exit %d, stderr:\n%s", rc, err ? err : "");
    /* The first batch: PostgreSQL committed it, the shadow did not. */
    uint64_t at = s_refused_at (err, shadow);
    assert_true (at > 300 && at <= 500);
    assert_int_equal (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"), at);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), at);
    assert_int_equal (
        jk_test_db_int64 (shadow, "SELECT pos FROM sink_position"), 300);
    free (out);
    free (err);

    /* Following: the shadow is brought up to PostgreSQL (no position
       written), then the next batch to PostgreSQL stops it. */
    jk_test_db_exec (shadow, "DROP TRIGGER fault; CREATE TRIGGER fault BEFORE "
                             "UPDATE ON sink_position WHEN NEW.pos > 500 BEGIN "
                             "SELECT RAISE (ABORT, 'position refused'); END");
    s_submit (w, hub->ingest, 100);
    size_t before = jk_test_file_size (log);
    pid_t sink = s_sink ("run", pg, hub->query, hub->feed, shadow, log);
    s_sink_stops (sink, log, before, "ERROR pgsink cannot write the shadow ");
    int64_t pg_pos = jk_test_pg_int (pg, "SELECT pos FROM jejak_sink");
    assert_true (pg_pos > 500 && pg_pos <= 600);
    char *line = jk_sprintf ("ERROR pgsink cannot write the shadow %s (its "
                             "position %lld): position refused\n",
                             shadow, (long long)pg_pos);
    if (!jk_test_file_has_after (log, before, line))
        fail_msg ("not said in %s:\n%s", log, line);
    free (line);
    int64_t shadow_pos =
        jk_test_db_int64 (shadow, "SELECT pos FROM sink_position");
    assert_true (shadow_pos >= (int64_t)at && shadow_pos < pg_pos);

    /* Without the fault: the shadow caught up, nothing written twice. */
    jk_test_db_exec (shadow, "DROP TRIGGER fault");
    char *want = jk_sprintf ("jejak-pgsink pos=600 written=%lld\n",
                             (long long)(600 - pg_pos));
    s_once_ok (pg, hub, shadow, want);
    free (want);
    uint64_t head_pos = 0;
    char head_hash[65];
    s_hub_head (hub->query, &head_pos, head_hash);
    assert_int_equal (head_pos, 600);
    assert_int_equal (jk_test_pg_int (pg, "SELECT pos FROM jejak_sink"), 600);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 600);
    assert_int_equal (
        jk_test_pg_int (pg, "SELECT count(DISTINCT pos) FROM log"), 600);
    char *pg_hash =
        jk_test_pg_text (pg, "SELECT encode(hash, 'hex') FROM jejak_sink");
    assert_string_equal (pg_hash, head_hash);
    free (pg_hash);
    assert_int_equal (
        jk_test_db_int64 (shadow, "SELECT pos FROM sink_position"), 600);
    char *hub_dump = s_hub_dump (hub->db);
    char *pg_dump = s_pg_dump (pg);
    char *shadow_dump = s_shadow_dump (shadow);
    s_same_dump (pg_dump, hub_dump);
    s_same_dump (shadow_dump, hub_dump);
    free (hub_dump);
    free (pg_dump);
    free (shadow_dump);

    jk_workload_destroy (&w);
    jk_test_hub_destroy (&hub);
    s_sink_dir_free (&d);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sink_exactly_once),
        cmocka_unit_test (test_sink_stream_ended),
        cmocka_unit_test (test_sink_curve),
        cmocka_unit_test (test_sink_once_gives_up),
        cmocka_unit_test (test_sink_shadow_unwritable),
        cmocka_unit_test (test_sink_other_log),
        cmocka_unit_test (test_sink_other_shadow),
        cmocka_unit_test (test_sink_shadow_position_unwritten),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
