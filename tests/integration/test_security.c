/*  test_security.c - secure mode end to end, with real processes: keys
    made by jejak-keys in a fresh temp directory, a jejak-hub started with
    --keys, the office programs with --broker-key/--key. Enrolled key
    stores (CURVE round trip, ACK); another office's source and another
    domain's type are E_FORBIDDEN; DINAS submits for any office; unknown,
    revoked (without a restart) and plain clients are refused; plain mode
    on a non-loopback endpoint refuses to start (exit 2); hostile text in
    every string field is stored verbatim (prepared statements); database
    and outbox files are 0600; no secret key text in any log. */
#include "jk_agent.h"
#include "jk_wire.h"
#include "testsupport.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_WAIT_MS 20000

typedef struct {
    char *dir, *keys, *ingest, *feed, *query, *db, *log;
    pid_t hub;
    char *agent_logs; /* every agent's stderr, appended */
} s_fix_t;

/* Runs jejak-keys with args; returns its exit code, stdout in *out. */
static int s_keys (s_fix_t *fx, char **out, ...)
{
    char *argv[16];
    int n = 0;
    argv[n++] = "jejak-keys";
    va_list ap;
    va_start (ap, out);
    char *a;
    while ((a = va_arg (ap, char *)) != NULL && n < 13)
        argv[n++] = a;
    va_end (ap);
    argv[n++] = "--dir";
    argv[n++] = fx->keys;
    argv[n] = NULL;
    char *o = NULL, *e = NULL;
    int rc = jk_test_run (argv, &o, &e, S_WAIT_MS);
    if (rc != 0 && e)
        fprintf (stderr, "%s", e);
    if (out)
        *out = o;
    else
        free (o);
    free (e);
    return rc;
}

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("security");
    fx->keys = jk_sprintf ("%s/keys", fx->dir);
    fx->ingest = jk_test_endpoint (fx->dir, "ingest");
    fx->feed = jk_test_endpoint (fx->dir, "feed");
    fx->query = jk_test_endpoint (fx->dir, "query");
    fx->db = jk_sprintf ("%s/data/events.db", fx->dir);
    fx->log = jk_sprintf ("%s/hub.log", fx->dir);
    fx->agent_logs = jk_strdup ("");
    *state = fx;
    jk_test_require_program ("jejak-hub");
    jk_test_require_program ("jejak-keys");
    assert_int_equal (s_keys (fx, NULL, "init", NULL), 0);
    assert_int_equal (s_keys (fx, NULL, "enrol", "--office", "32.03.10",
                              "--domain", "registration", "--device",
                              "pacet-reg", NULL),
                      0);
    assert_int_equal (s_keys (fx, NULL, "enrol", "--office", "32.03.10",
                              "--domain", "attendance", "--device", "pacet-att",
                              NULL),
                      0);
    assert_int_equal (s_keys (fx, NULL, "enrol", "--office", "DINAS",
                              "--domain", "all", "--device", "hq", NULL),
                      0);
    fx->hub = jk_test_hub_spawn (fx->db, fx->ingest, fx->feed, fx->query,
                                 fx->keys, fx->log);
    assert_true (JK_WAIT_FOR (jk_test_file_has (fx->log, "jejak-hub ingest="),
                              S_WAIT_MS));
    assert_true (jk_test_file_has (fx->log, "secure=curve"));
    return 0;
}

/* Every secret of the keys directory (broker and issued keys). */
static void s_assert_no_secret_in (s_fix_t *fx, const char *text)
{
    const char *files[] = {"broker.key", "issued/32.03.10_pacet-reg.key",
                           "issued/32.03.10_pacet-att.key",
                           "issued/DINAS_hq.key"};
    for (size_t i = 0; i < 4; i++) {
        char *path = jk_sprintf ("%s/%s", fx->keys, files[i]);
        zcert_t *cert = zcert_load (path);
        assert_non_null (cert);
        assert_null (strstr (text, zcert_secret_txt (cert)));
        zcert_destroy (&cert);
        free (path);
    }
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    if (fx->hub > 0) {
        assert_int_equal (jk_test_stop (fx->hub, SIGTERM, 10000), 0);
        /* No secret ever reaches a log. */
        char *log = jk_test_slurp (fx->log, NULL);
        assert_non_null (log);
        s_assert_no_secret_in (fx, log);
        s_assert_no_secret_in (fx, fx->agent_logs);
        free (log);
    }
    free (fx->keys);
    free (fx->ingest);
    free (fx->feed);
    free (fx->query);
    free (fx->db);
    free (fx->log);
    free (fx->agent_logs);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

/* Runs an office program as source with a key (NULL: plain) against the
   hub; stderr is kept for the secret check and returned in *err. */
static int s_agent (s_fix_t *fx, const char *program, const char *source,
                    const char *key, const char *wait, char **err, ...)
{
    char *argv[48];
    int n = 0;
    argv[n++] = (char *)program;
    argv[n++] = "--source";
    argv[n++] = (char *)source;
    char *flat = jk_strdup (source);
    for (char *p = flat; *p; p++)
        if (*p == '/')
            *p = '_';
    char *outbox = jk_sprintf ("%s/%s-%s.db", fx->dir, program, flat);
    free (flat);
    argv[n++] = "--outbox";
    argv[n++] = outbox;
    argv[n++] = "--broker";
    argv[n++] = fx->ingest;
    argv[n++] = "--wait";
    argv[n++] = (char *)wait;
    char *key_path = NULL, *broker_key = NULL;
    if (key) {
        key_path = jk_sprintf ("%s/issued/%s.key", fx->keys, key);
        broker_key = jk_sprintf ("%s/broker.pub", fx->keys);
        argv[n++] = "--key";
        argv[n++] = key_path;
        argv[n++] = "--broker-key";
        argv[n++] = broker_key;
    }
    va_list ap;
    va_start (ap, err);
    char *a;
    while ((a = va_arg (ap, char *)) != NULL && n < 47)
        argv[n++] = a;
    va_end (ap);
    argv[n] = NULL;
    char *o = NULL, *e = NULL;
    int rc = jk_test_run (argv, &o, &e, 60000);
    /* What the operator sees: the answer on stdout, errors on stderr. */
    char *both = jk_sprintf ("%s%s", o ? o : "", e ? e : "");
    free (o);
    free (e);
    e = both;
    char *all = jk_sprintf ("%s%s", fx->agent_logs, e);
    free (fx->agent_logs);
    fx->agent_logs = all;
    if (err)
        *err = e;
    else
        free (e);
    free (outbox);
    free (key_path);
    free (broker_key);
    return rc;
}

/* A person.registered command for source with a NIK varying by n. */
static int s_person (s_fix_t *fx, const char *source, const char *key,
                     const char *wait, int n, char **err)
{
    char nik[32];
    snprintf (nik, sizeof nik, "32030141078%01d%04d", n / 10000 % 10,
              n % 10000 + 1);
    return s_agent (fx, "jejak-registration", source, key, wait, err, "person",
                    "--nik", nik, "--name", "Siti Aminah", "--sex", "P",
                    "--birth-date", "01/07/1985", "--desa-code",
                    "32.03.10.2012", NULL);
}

/* Rows of the log for a source; -1 while unreadable. */
static int64_t s_log_rows (s_fix_t *fx, const char *source)
{
    sqlite3 *db = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2 (fx->db, &db, SQLITE_OPEN_READONLY, NULL) ==
        SQLITE_OK) {
        sqlite3_busy_timeout (db, 2000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2 (db, "SELECT count(*) FROM log WHERE source = ?",
                                -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text (st, 1, source, -1, SQLITE_STATIC);
            if (sqlite3_step (st) == SQLITE_ROW)
                n = sqlite3_column_int64 (st, 0);
        }
        sqlite3_finalize (st);
    }
    sqlite3_close (db);
    return n;
}

static void test_enrolled_round_trip (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (s_person (fx, "32.03.10/pacet-reg", "32.03.10_pacet-reg",
                                "10", 1, NULL),
                      JK_EXIT_OK);
    assert_int_equal (s_log_rows (fx, "32.03.10/pacet-reg"), 1);
    /* A second device name of the same office with the same key. */
    assert_int_equal (
        s_person (fx, "32.03.10/pacet-2", "32.03.10_pacet-reg", "10", 2, NULL),
        JK_EXIT_OK);
    assert_int_equal (s_log_rows (fx, "32.03.10/pacet-2"), 1);
}

static void test_forbidden (void **state)
{
    s_fix_t *fx = *state;
    /* Office 32.03.10's key submitting as office 32.03.11. */
    char *err = NULL;
    assert_int_equal (s_person (fx, "32.03.11/cugenang-1", "32.03.10_pacet-reg",
                                "10", 3, &err),
                      JK_EXIT_REJECTED);
    assert_non_null (strstr (err, "E_FORBIDDEN"));
    assert_non_null (strstr (err, "is enrolled for office 32.03.10"));
    free (err);
    assert_int_equal (s_log_rows (fx, "32.03.11/cugenang-1"), 0);

    /* The attendance key submitting an assessment event. */
    assert_int_equal (s_agent (fx, "jejak-scoring", "32.03.10/pacet-att",
                               "32.03.10_pacet-att", "10", &err, "decide",
                               "--assessment", "UK-2022-01", "--nik",
                               "3203014107850001", "--verdict", "K", NULL),
                      JK_EXIT_REJECTED);
    assert_non_null (strstr (err, "E_FORBIDDEN"));
    assert_non_null (strstr (err, "scoring domain"));
    free (err);
    assert_int_equal (s_log_rows (fx, "32.03.10/pacet-att"), 0);

    /* The broker logged the violation with the key, once per key. */
    assert_true (
        JK_WAIT_FOR (jk_test_file_has (fx->log, "forbidden key="), S_WAIT_MS));
    assert_true (jk_test_file_has (fx->log, "holder=32.03.10/pacet-att"));

    /* DINAS may submit for any office. */
    assert_int_equal (
        s_person (fx, "32.03.11/dinas-op", "DINAS_hq", "10", 4, NULL),
        JK_EXIT_OK);
    assert_int_equal (s_log_rows (fx, "32.03.11/dinas-op"), 1);
}

static void test_refused (void **state)
{
    s_fix_t *fx = *state;
    /* A plain client: the handshake fails, no answer ever comes. */
    zsock_t *plain = zsock_new (ZMQ_DEALER);
    zsock_set_linger (plain, 0);
    zsock_set_sndtimeo (plain, 0);
    assert_int_equal (zsock_connect (plain, "%s", fx->ingest), 0);
    zmsg_t *msg = jk_wire_new ("PING");
    jk_heartbeat_t hb;
    memset (&hb, 0, sizeof hb);
    jk_heartbeat_add (msg, &hb);
    zmsg_send (&msg, plain);
    zmsg_destroy (&msg);
    zpoller_t *poller = zpoller_new (plain, NULL);
    assert_null (zpoller_wait (poller, 1500));
    zpoller_destroy (&poller);
    zsock_destroy (&plain);
    /* The office program without keys: queued, never delivered. */
    assert_int_equal (s_person (fx, "32.03.10/plain-1", NULL, "1", 5, NULL),
                      JK_EXIT_OFFLINE);
    assert_int_equal (s_log_rows (fx, "32.03.10/plain-1"), 0);

    /* A key of another installation: unknown here. */
    char *other = jk_sprintf ("%s/other", fx->dir);
    char *argv[] = {"jejak-keys", "enrol",    "--dir",    other,
                    "--office",   "32.03.10", "--domain", "registration",
                    "--device",   "stranger", NULL};
    /* Only into a keys directory that init made (exit 1, nothing made). */
    char *err = NULL;
    assert_int_equal (jk_test_run (argv, NULL, &err, S_WAIT_MS), 1);
    char *expect = jk_sprintf (
        "jejak-keys: enrol: %s holds no broker key pair (broker.pub), so no "
        "broker would admit a key issued there: make it with jejak-keys init "
        "--dir %s first\n",
        other, other);
    assert_string_equal (err, expect);
    assert_int_equal (access (other, F_OK), -1);
    free (expect);
    free (err);
    char *init[] = {"jejak-keys", "init", "--dir", other, NULL};
    assert_int_equal (jk_test_run (init, NULL, NULL, S_WAIT_MS), 0);
    assert_int_equal (jk_test_run (argv, NULL, NULL, S_WAIT_MS), 0);
    char *key = jk_sprintf ("%s/issued/32.03.10_stranger.key", other);
    char *broker_key = jk_sprintf ("%s/broker.pub", fx->keys);
    char *outbox = jk_sprintf ("%s/stranger.db", fx->dir);
    char *agent[] = {"jejak-registration",
                     "--source",
                     "32.03.10/stranger",
                     "--outbox",
                     outbox,
                     "--broker",
                     fx->ingest,
                     "--wait",
                     "1",
                     "--key",
                     key,
                     "--broker-key",
                     broker_key,
                     "person",
                     "--nik",
                     "3203014107850009",
                     "--name",
                     "Siti Aminah",
                     "--sex",
                     "P",
                     "--birth-date",
                     "01/07/1985",
                     "--desa-code",
                     "32.03.10.2012",
                     NULL};
    assert_int_equal (jk_test_run (agent, NULL, NULL, 60000), JK_EXIT_OFFLINE);
    assert_int_equal (s_log_rows (fx, "32.03.10/stranger"), 0);
    free (key);
    free (broker_key);
    free (outbox);
    free (other);
}

static void test_revoked_without_restart (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (s_keys (fx, NULL, "enrol", "--office", "32.03.11",
                              "--domain", "registration", "--device",
                              "cugenang-1", NULL),
                      0);
    assert_int_equal (s_person (fx, "32.03.11/cugenang-1",
                                "32.03.11_cugenang-1", "10", 6, NULL),
                      JK_EXIT_OK);
    char *out = NULL;
    assert_int_equal (s_keys (fx, &out, "revoke", "32.03.11/cugenang-1", NULL),
                      0);
    assert_non_null (strstr (out, "revoked 32.03.11/cugenang-1"));
    free (out);
    assert_int_equal (s_keys (fx, &out, "list", NULL), 0);
    assert_non_null (strstr (out, "cugenang-1"));
    assert_non_null (strstr (out, " yes "));
    free (out);
    /* The same hub process refuses the key from now on. */
    assert_int_equal (s_person (fx, "32.03.11/cugenang-1",
                                "32.03.11_cugenang-1", "1", 7, NULL),
                      JK_EXIT_OFFLINE);
    assert_int_equal (s_log_rows (fx, "32.03.11/cugenang-1"), 1);
    assert_int_equal (kill (fx->hub, 0), 0);
}

/* Hostile text in every string field, submitted through the secure hub,
   comes back byte for byte from the log and the projection tables. */
static void test_hostile_text_verbatim (void **state)
{
    s_fix_t *fx = *state;
    const char *legal = "'); DROP TABLE log; --";
    const char *name = "Koperasi \"Maju\" O'Brien'); DROP TABLE cooperatives;"
                       " -- Ñusantara ✓ 日本";
    const char *address = "Jl. Raya '; DELETE FROM people; -- \\ %s %n "
                          "\"quoted\" 🚀";
    const char *actor = "o'brien\"; DROP TABLE sources;--";
    const char *person = "Siti '); DROP TABLE people; -- Ñ";
    assert_int_equal (
        s_agent (fx, "jejak-registration", "DINAS/hostile", "DINAS_hq", "10",
                 NULL, "--actor", actor, "cooperative", "--legal-number", legal,
                 "--legal-date", "15/03/2019", "--name", name, "--form",
                 "PRIMER", "--kind", "JASA", "--pattern", "KONVENSIONAL",
                 "--desa-code", "32.03.10.2012", "--address", address,
                 "--members-male", "1", "--members-female", "2", NULL),
        JK_EXIT_OK);
    assert_int_equal (
        s_agent (fx, "jejak-registration", "DINAS/hostile", "DINAS_hq", "10",
                 NULL, "--actor", actor, "person", "--nik", "3203014107850077",
                 "--name", person, "--sex", "P", "--birth-date", "01/07/1985",
                 "--desa-code", "32.03.10.2012", NULL),
        JK_EXIT_OK);
    sqlite3 *db = jk_test_projections (fx->db);
    sqlite3_stmt *st = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db,
                            "SELECT bytes, outcome FROM log WHERE source = "
                            "'DINAS/hostile' ORDER BY seq",
                            -1, &st, NULL),
        SQLITE_OK);
    int rows = 0;
    while (sqlite3_step (st) == SQLITE_ROW) {
        assert_int_equal (sqlite3_column_int (st, 1), 0);
        jk_event_t *ev =
            jk_event_decode (sqlite3_column_blob (st, 0),
                             (size_t)sqlite3_column_bytes (st, 0), NULL);
        assert_non_null (ev);
        assert_true (jk_str_eq (ev->actor, actor));
        char text[512];
        if (rows == 0) {
            assert_string_equal (
                jk_event_text (ev, "legal_number", text, sizeof text), legal);
            assert_string_equal (jk_event_text (ev, "name", text, sizeof text),
                                 name);
            assert_string_equal (
                jk_event_text (ev, "address", text, sizeof text), address);
        } else
            assert_string_equal (jk_event_text (ev, "name", text, sizeof text),
                                 person);
        jk_event_destroy (&ev);
        rows++;
    }
    sqlite3_finalize (st);
    assert_int_equal (rows, 2);
    assert_int_equal (
        sqlite3_prepare_v2 (db,
                            "SELECT legal_number, name, address FROM "
                            "cooperatives WHERE legal_number = ?",
                            -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text (st, 1, legal, -1, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_string_equal ((const char *)sqlite3_column_text (st, 1), name);
    assert_string_equal ((const char *)sqlite3_column_text (st, 2), address);
    sqlite3_finalize (st);
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT name FROM people WHERE nik "
                                          "= '3203014107850077'",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_string_equal ((const char *)sqlite3_column_text (st, 0), person);
    sqlite3_finalize (st);
    /* Every table still there. */
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT (SELECT count(*) FROM log), "
                                          "(SELECT count(*) FROM sources)",
                                          -1, &st, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (st), SQLITE_ROW);
    assert_true (sqlite3_column_int (st, 0) >= 2);
    sqlite3_finalize (st);
    sqlite3_close (db);

    /* The database and the outbox are the owner's only. */
    struct stat sb;
    assert_int_equal (stat (fx->db, &sb), 0);
    assert_int_equal (sb.st_mode & 0777, 0600);
    char *outbox =
        jk_sprintf ("%s/jejak-registration-DINAS_hostile.db", fx->dir);
    assert_int_equal (stat (outbox, &sb), 0);
    assert_int_equal (sb.st_mode & 0777, 0600);
    free (outbox);
}

/* Plain mode on a non-loopback endpoint refuses to start: hub, broker,
   store and an office program, each with exit 2 and a message; so does a
   store's CURVE query endpoint without the enrolled keys (--query-cert
   without --keys). */
static void test_plain_public_refused (void **state)
{
    s_fix_t *fx = *state;
    char *db = jk_sprintf ("%s/plain/events.db", fx->dir);
    char *hub[] = {"jejak-hub",       "--db",   db,       "--ingest",
                   "tcp://0.0.0.0:*", "--feed", fx->feed, "--query",
                   fx->query,         NULL};
    char *err = NULL;
    assert_int_equal (jk_test_run (hub, NULL, &err, S_WAIT_MS), 2);
    assert_non_null (strstr (err, "refusing to bind tcp://0.0.0.0:*"));
    free (err);
    assert_int_not_equal (access (db, F_OK), 0);
    char *broker[] = {"jejak-broker", "--ingest",  fx->ingest,
                      "--feed",       "tcp://*:*", NULL};
    assert_int_equal (jk_test_run (broker, NULL, &err, S_WAIT_MS), 2);
    assert_non_null (strstr (err, "refusing to bind tcp://*:*"));
    free (err);
    char *store[] = {"jejak-store",          "--db", db, "--query",
                     "tcp://192.0.2.1:7452", NULL};
    jk_test_require_program ("jejak-store");
    assert_int_equal (jk_test_run (store, NULL, &err, S_WAIT_MS), 2);
    assert_non_null (strstr (err, "refusing to bind tcp://192.0.2.1"));
    free (err);
    /* A CURVE query endpoint without --keys would admit any client key. */
    char *cert = jk_sprintf ("%s/any.key", fx->dir);
    char *curve[] = {"jejak-store",          "--db",         db,   "--query",
                     "tcp://192.0.2.1:7452", "--query-cert", cert, NULL};
    assert_int_equal (jk_test_run (curve, NULL, &err, S_WAIT_MS), 2);
    assert_non_null (strstr (err, "refusing to bind tcp://192.0.2.1:7452 with "
                                  "--query-cert but without --keys"));
    free (err);
    free (cert);
    assert_int_not_equal (access (db, F_OK), 0);
    char *outbox = jk_sprintf ("%s/public.db", fx->dir);
    char *agent[] = {"jejak-registration",
                     "--source",
                     "32.03.10/pacet-1",
                     "--outbox",
                     outbox,
                     "--broker",
                     "tcp://192.0.2.1:7450",
                     "sync",
                     NULL};
    assert_int_equal (jk_test_run (agent, NULL, &err, S_WAIT_MS), 2);
    assert_non_null (strstr (err, "give --broker-key and --key"));
    free (err);
    free (outbox);
    free (db);
}

/* A hub bound on every interface (non-loopback) with --keys serves its
   query endpoint over CURVE: a reader key gets the snapshot through
   127.0.0.1, a plain client gets nothing. */
static void test_query_curve_reader (void **state)
{
    s_fix_t *fx = *state;
    jk_test_require_program ("jejak-status");
    assert_int_equal (s_keys (fx, NULL, "reader", "--name", "audit", NULL), 0);
    char *connect = jk_strdup (JK_TEST_ANY_PORT);
    char *ingest = jk_test_endpoint (fx->dir, "ingest2");
    char *feed = jk_test_endpoint (fx->dir, "feed2");
    char *db = jk_sprintf ("%s/public/events.db", fx->dir);
    char *log = jk_sprintf ("%s/public.log", fx->dir);
    pid_t hub =
        jk_test_hub_spawn_tcp (db, ingest, &feed, &connect, fx->keys, log);
    char *key = jk_sprintf ("%s/issued/reader_audit.key", fx->keys);
    char *broker_key = jk_sprintf ("%s/broker.pub", fx->keys);
    char *status[] = {"jejak-status", "--once",    "--json", "--query",
                      connect,        "--timeout", "60",     "--broker-key",
                      broker_key,     "--key",     key,      NULL};
    char *out = NULL;
    assert_int_equal (jk_test_run (status, &out, NULL, S_WAIT_MS), 0);
    /* The snapshot of this hub's empty log, not just some text. */
    assert_non_null (strstr (out, "{\"state\":\"snapshot\""));
    assert_non_null (strstr (out, "\"pos\":0,"));
    free (out);
    char *plain[] = {"jejak-status", "--once",    "--json", "--query",
                     connect,        "--timeout", "1",      NULL};
    char *err = NULL;
    assert_int_equal (jk_test_run (plain, &out, &err, S_WAIT_MS), 1);
    /* Nothing from the CURVE endpoint for a plain client. */
    assert_string_equal (out, "");
    assert_non_null (strstr (err, "the store did not answer at --query"));
    free (out);
    free (err);
    assert_int_equal (jk_test_stop (hub, SIGTERM, 10000), 0);
    free (key);
    free (broker_key);
    free (connect);
    free (ingest);
    free (feed);
    free (db);
    free (log);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_enrolled_round_trip, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_forbidden, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_revoked_without_restart, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_hostile_text_verbatim, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_public_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_query_curve_reader, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
