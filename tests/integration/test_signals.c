/*  test_signals.c - a SIGTERM that lands on any thread of jejak-hub: the
    real program under ingest (a client submitting batches of
    person.registered events) gets SIGTERM with tgkill on one of its named
    threads (/proc/PID/task/TID/comm), once per start, for each of them in
    turn; each time it exits 0 within a deadline. Then a last start takes
    what was not answered, and every acknowledged event is in the log
    exactly once, at the position its acknowledgement gave. And the
    signal masks of jejak-broker's and jejak-store's threads; SIGHUP to
    jejak-store and to a jejak-hub whose store is still opening (both
    keep running), SIGTERM while the store opens (exit 0), and
    jejak-store --keys keeping a loopback query endpoint plain. */
#define _GNU_SOURCE /* tgkill */
#include "test_broker_support.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_BATCH   50
#define S_EXIT_MS 30000 /* a stop takes well under 1 s; a hang is forever */

/* Every thread of jejak-hub that is ours (libzmq's ZMQbg/ threads block
   every signal, so a tgkill to one of them is never delivered). */
static const char *s_threads[] = {
    "jejak-hub",   "jejak-broker", "jejak-store", "jejak-stage",
    "jejak-plan",  "jejak-wal",    "jejak-tree",  "jejak-projector",
    "jejak-query", "jejak-check",
};
#define S_THREADS (int)(sizeof s_threads / sizeof s_threads[0])

static int s_setup (void **state)
{
    *state = jk_test_hub_new ("signals");
    return 0;
}

static int s_teardown (void **state)
{
    jk_test_hub_destroy ((jk_test_hub_t **)state);
    return 0;
}

/* The programs' INFO lines (ctest sets JEJAK_LOG=warn): the store's
   readiness, its SIGHUP and its stop while opening. */
static char *s_log_level;

static int s_setup_info (void **state)
{
    const char *level = getenv ("JEJAK_LOG");
    s_log_level = level ? jk_strdup (level) : NULL;
    setenv ("JEJAK_LOG", "info", 1);
    return s_setup (state);
}

static int s_teardown_info (void **state)
{
    if (s_log_level)
        setenv ("JEJAK_LOG", s_log_level, 1);
    else
        unsetenv ("JEJAK_LOG");
    free (s_log_level);
    s_log_level = NULL;
    return s_teardown (state);
}

/* The id of the thread of pid named name (the main thread for the
   program's own name), 0 when there is none now; with names set, every
   name of a thread of ours is checked to be in s_threads. */
static pid_t s_thread (pid_t pid, const char *name, bool names)
{
    if (streq (name, "jejak-hub"))
        return pid;
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir (path);
    assert_non_null (dir);
    pid_t found = 0;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char comm_path[64];
        long task = atol (entry->d_name);
        snprintf (comm_path, sizeof comm_path, "/proc/%d/task/%ld/comm",
                  (int)pid, task);
        FILE *file = fopen (comm_path, "r");
        if (!file)
            continue; /* the thread ended meanwhile */
        char comm[32] = "";
        if (!fgets (comm, sizeof comm, file))
            comm[0] = 0;
        fclose (file);
        comm[strcspn (comm, "\n")] = 0;
        if (streq (comm, name))
            found = (pid_t)task;
        if (names && strncmp (comm, "ZMQbg/", 6) != 0) {
            bool known = false;
            for (int i = 0; i < S_THREADS; i++)
                known = known || streq (comm, s_threads[i]);
            if (!known)
                fail_msg ("thread %s of jejak-hub is not in s_threads", comm);
        }
    }
    closedir (dir);
    return found;
}

/* The next SUBMIT: up to S_BATCH events not answered yet. False when
   every event is answered. */
static bool s_submit (s_client_t *c)
{
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    size_t n = 0;
    for (size_t i = 0; i < c->count && n < S_BATCH; i++)
        if (!c->items[i].answered) {
            zmsg_addmem (msg, c->items[i].bytes, c->items[i].size);
            n++;
        }
    bool any = n > 0;
    if (any)
        zmsg_send (&msg, c->sock);
    zmsg_destroy (&msg);
    return any;
}

/* A signal set of the thread tid of pid from its status file (field
   "SigBlk:" or "SigPnd:"), as the bits 1 << (signal - 1). */
static uint64_t s_sigset (pid_t pid, pid_t tid, const char *field)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char line[256];
    uint64_t set = 0;
    bool found = false;
    while (fgets (line, sizeof line, file))
        if (strncmp (line, field, strlen (field)) == 0) {
            set = strtoull (line + strlen (field), NULL, 16);
            found = true;
        }
    fclose (file);
    assert_true (found);
    return set;
}

#define S_BIT(signal) (1ULL << ((signal)-1))
#define S_STOPS       (S_BIT (SIGINT) | S_BIT (SIGTERM) | S_BIT (SIGHUP))

/* One start: ingest until an ANSWER came back, then SIGTERM with tgkill
   to the thread named name while the next SUBMIT is in the store. The
   main thread takes it: the hub stops. Every other thread blocks it (so
   a signal sent to the process, as kill and systemd send it, lands on
   the main thread): it stays pending there, the hub answers on, and a
   SIGTERM to the process then stops it. Either way the hub must exit 0
   within S_EXIT_MS of the tgkill. False when no such thread runs now
   (the check thread ends after its run). */
static bool s_round (jk_test_hub_t *h, s_client_t *c, const char *name)
{
    jk_test_hub_start (h);
    pid_t pid = h->hub;
    zsock_destroy (&c->sock);
    c->sock = jk_test_dealer (h->ingest);
    int answers = 0, answers_then = 0;
    pid_t tid = -1;
    int64_t signalled = 0;
    bool waiting = false, killed = false;
    int status = 0;
    while (true) {
        if (!waiting)
            waiting = s_submit (c);
        if (answers == 1 && tid < 0) {
            /* An ANSWER came: the pipeline is busy with the next one. */
            tid = s_thread (pid, name, true);
            if (tid == 0) {
                status = jk_test_stop (pid, SIGTERM, S_EXIT_MS);
                h->hub = 0;
                assert_true (WIFEXITED (status));
                assert_int_equal (WEXITSTATUS (status), 0);
                return false;
            }
            uint64_t blocked = s_sigset (pid, tid, "SigBlk:") & S_STOPS;
            assert_int_equal (blocked, tid == pid ? 0 : S_STOPS);
            assert_int_equal (tgkill (pid, tid, SIGTERM), 0);
            signalled = jk_clock_mono_ms ();
            answers_then = answers;
            if (tid != pid)
                assert_true (s_sigset (pid, tid, "SigPnd:") & S_BIT (SIGTERM));
        }
        zmsg_t *answer = jk_test_recv (c->sock, 20);
        if (answer) {
            s_client_take (c, answer);
            zmsg_destroy (&answer);
            waiting = false;
            answers++;
        }
        if (signalled && jk_test_wait_exit (pid, &status, 0)) {
            h->hub = 0;
            break;
        }
        if (signalled && !killed && (answers > answers_then || !waiting)) {
            assert_int_equal (kill (pid, SIGTERM), 0);
            killed = true;
        }
        if (signalled && jk_clock_mono_ms () - signalled > S_EXIT_MS) {
            jk_test_stop (pid, SIGKILL, S_EXIT_MS);
            h->hub = 0;
            fail_msg ("jejak-hub did not exit %d ms after SIGTERM to its "
                      "thread %s",
                      S_EXIT_MS, name);
        }
    }
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        fail_msg ("jejak-hub after SIGTERM to %s: status %d", name, status);
    print_message ("SIGTERM to %s (tid %d)%s: exit 0 after %lld ms, %d "
                   "answers\n",
                   name, (int)tid, killed ? " then to the process" : "",
                   (long long)(jk_clock_mono_ms () - signalled), answers);
    return true;
}

static void test_sigterm_on_each_thread (void **state)
{
    jk_test_hub_t *h = *state;
    s_client_t *c = s_client_new (h->ingest, "32.03.10/signals-1",
                                  (size_t)S_THREADS * 4 * S_BATCH, 1);
    int rounds = 0;
    for (int i = 0; i < S_THREADS; i++)
        if (s_round (h, c, s_threads[i]))
            rounds++;
        else /* only the check thread may be gone by then */
            assert_string_equal (s_threads[i], "jejak-check");
    assert_true (rounds >= S_THREADS - 1);

    /* Every acknowledged event stays where its receipt said; those not
       answered are answered now; each is in the log once. */
    size_t acked = 0;
    for (size_t i = 0; i < c->count; i++)
        acked += c->items[i].answered;
    assert_true (acked > 0);
    jk_test_hub_start (h);
    zsock_destroy (&c->sock);
    c->sock = jk_test_dealer (h->ingest);
    s_client_deliver (c, S_BATCH, 120000, NULL, NULL);
    s_client_check_positions (c, 1);
    /* (DUPLICATE: stored, its ACK lost to the stop.) */
    for (size_t i = 0; i < c->count; i++)
        assert_true (c->items[i].first == JK_ANSWER_ACK ||
                     c->items[i].first == JK_ANSWER_DUPLICATE);
    assert_int_equal (s_query_head (h->query, NULL), c->count);
    int status = jk_test_stop (h->hub, SIGTERM, S_EXIT_MS);
    h->hub = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_int_equal (jk_test_db_int64 (h->db, "SELECT count(*) FROM log"),
                      (int64_t)c->count);
    for (size_t i = 0; i < c->count; i++) {
        char sql[128] = "SELECT count(*) * 1000000000 + max(pos) FROM log "
                        "WHERE id = x'";
        for (int b = 0; b < 16; b++)
            snprintf (sql + strlen (sql), 3, "%02x", c->items[i].id[b]);
        strcat (sql, "'");
        assert_int_equal (jk_test_db_int64 (h->db, sql),
                          (int64_t)(1000000000 + c->items[i].pos));
    }
    char *verify[] = {"jejak-replay", "verify", h->db, NULL};
    assert_int_equal (jk_test_run (verify, NULL, NULL, 60000), 0);
    print_message ("%d stops, %zu of %zu events acknowledged before the "
                   "last start, all %zu in the log once\n",
                   rounds, acked, c->count, c->count);
    s_client_destroy (&c);
}

/* jejak-broker and jejak-store as separate programs: every thread but
   the main one blocks SIGINT, SIGTERM and SIGHUP, the main thread none
   of them, and a SIGTERM to each process stops it with 0. */
static void test_broker_and_store_masks (void **state)
{
    jk_test_hub_t *h = *state;
    char *backend = jk_test_endpoint (h->dir, "backend");
    char *broker_log = jk_sprintf ("%s/broker.log", h->dir);
    char *broker_argv[] = {"jejak-broker", "--ingest",  h->ingest, "--feed",
                           h->feed,        "--backend", backend,   NULL};
    char *store_argv[] = {"jejak-store", "--db",    h->db,    "--backend",
                          backend,       "--query", h->query, NULL};
    pid_t pids[2] = {jk_test_spawn (broker_argv, broker_log),
                     jk_test_spawn (store_argv, h->log)};
    assert_true (pids[0] > 0 && pids[1] > 0);
    /* Up: the broker's start line; the store's last thread started. */
    assert_true (__extension__ JK_WAIT_FOR (
        jk_test_file_has (broker_log, "jejak-broker ingest="), 60000));
    assert_true (__extension__ JK_WAIT_FOR (
        s_thread (pids[1], "jejak-plan", false) != 0, 60000));
    assert_int_equal (s_query_head (h->query, NULL), 0);
    const char *names[] = {"jejak-broker", "jejak-store",     "jejak-stage",
                           "jejak-wal",    "jejak-projector", "jejak-query"};
    for (int p = 0; p < 2; p++) {
        char path[64];
        snprintf (path, sizeof path, "/proc/%d/task", (int)pids[p]);
        DIR *dir = opendir (path);
        assert_non_null (dir);
        int threads = 0;
        struct dirent *entry;
        while ((entry = readdir (dir)))
            if (entry->d_name[0] != '.') {
                pid_t tid = (pid_t)atol (entry->d_name);
                uint64_t blocked = s_sigset (pids[p], tid, "SigBlk:") & S_STOPS;
                assert_int_equal (blocked, tid == pids[p] ? 0 : S_STOPS);
                threads++;
            }
        closedir (dir);
        assert_true (threads > 1);
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_true (s_thread (pids[i == 0 ? 0 : 1], names[i], false) > 0);
    for (int p = 1; p >= 0; p--) {
        int status = jk_test_stop (pids[p], SIGTERM, S_EXIT_MS);
        assert_true (WIFEXITED (status));
        assert_int_equal (WEXITSTATUS (status), 0);
    }
    free (backend);
    free (broker_log);
}

/* Starts jejak-store on db with its backend at backend and its query
   endpoint on a tcp port of host chosen at run time, with keys when set;
   output appended to log. Waits for its ready line; when another process
   took the port meanwhile (exit 1, "Address already in use"), starts it
   again on another. Returns the pid; *connect the endpoint to connect
   to (heap). */
static pid_t s_store_tcp (const char *db, const char *backend, const char *host,
                          const char *keys, const char *log, char **connect)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        int port = jk_test_tcp_port ();
        char *query = jk_sprintf ("tcp://%s:%d", host, port);
        char *argv[] = {"jejak-store",   "--db",    (char *)db, "--backend",
                        (char *)backend, "--query", query,      "--keys",
                        (char *)keys,    NULL};
        if (!keys)
            argv[7] = NULL;
        size_t offset = jk_test_file_size (log);
        pid_t pid = jk_test_spawn (argv, log);
        assert_true (pid > 0);
        int status = 0;
        bool ended = false;
        char *ready = jk_sprintf (" query=%s head=", query);
        bool up =
            JK_WAIT_FOR (jk_test_file_has_after (log, offset, ready) ||
                             (ended = jk_test_wait_exit (pid, &status, 0)),
                         60000);
        free (ready);
        free (query);
        if (up && !ended) {
            *connect = jk_sprintf ("tcp://127.0.0.1:%d", port);
            return pid;
        }
        if (!ended)
            fail_msg ("jejak-store did not get ready within 60 s");
        if (!WIFEXITED (status) || WEXITSTATUS (status) != 1 ||
            !jk_test_file_has_after (log, offset, "Address already in use"))
            fail_msg ("jejak-store ended with status %d", status);
    }
    fail_msg ("jejak-store found no free port in 20 tries");
    return 0;
}

/* Stops pid with SIGTERM and asserts it exited 0 within S_EXIT_MS. */
static void s_stop_0 (pid_t pid)
{
    int status = jk_test_stop (pid, SIGTERM, S_EXIT_MS);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

/* Whether pid is still running (not reaped). */
static bool s_running (pid_t pid)
{
    int status = 0;
    return !jk_test_wait_exit (pid, &status, 0);
}

#define S_NOTHING                                                              \
    "store SIGHUP: nothing to reload (the query endpoint admits no "           \
    "enrolled keys)"

/* SIGHUP to a running jejak-store (plain): it logs that there is nothing
   to reload, runs on and answers HEAD; SIGTERM then stops it cleanly
   with 0 (the log's WAL checkpointed and removed). */
static void test_store_sighup (void **state)
{
    jk_test_hub_t *h = *state;
    char *backend = jk_test_endpoint (h->dir, "backend");
    char *argv[] = {"jejak-store", "--db",    h->db,    "--backend",
                    backend,       "--query", h->query, NULL};
    pid_t pid = jk_test_spawn (argv, h->log);
    assert_true (pid > 0);
    assert_true (
        JK_WAIT_FOR (jk_test_file_has (h->log, "store ready db="), 60000));
    for (int i = 1; i <= 2; i++) {
        size_t offset = jk_test_file_size (h->log);
        assert_int_equal (kill (pid, SIGHUP), 0);
        assert_true (JK_WAIT_FOR (
            jk_test_file_has_after (h->log, offset, S_NOTHING), S_WAIT_MS));
        assert_true (s_running (pid));
        assert_int_equal (s_query_head (h->query, NULL), 0);
    }
    s_stop_0 (pid);
    char *wal = jk_sprintf ("%s-wal", h->db);
    assert_int_not_equal (access (wal, F_OK), 0);
    free (wal);
    free (backend);
}

/* jejak-store --keys: a loopback query endpoint stays plain (a plain
   client gets HEAD) and a SIGHUP has nothing to reload; one on every
   interface speaks CURVE behind zauth, which a SIGHUP has reload the
   enrolled keys. Both run on after it and stop with 0. */
static void test_store_keys (void **state)
{
    jk_test_hub_t *h = *state;
    jk_test_require_program ("jejak-keys");
    char *keys = jk_sprintf ("%s/keys", h->dir);
    char *init[] = {"jejak-keys", "init", "--dir", keys, NULL};
    assert_int_equal (jk_test_run (init, NULL, NULL, S_WAIT_MS), 0);
    char *backend = jk_test_endpoint (h->dir, "backend");
    char *connect = NULL;
    pid_t pid =
        s_store_tcp (h->db, backend, "127.0.0.1", keys, h->log, &connect);
    assert_int_equal (s_query_head (connect, NULL), 0);
    size_t offset = jk_test_file_size (h->log);
    assert_int_equal (kill (pid, SIGHUP), 0);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (h->log, offset, S_NOTHING), S_WAIT_MS));
    assert_int_equal (s_query_head (connect, NULL), 0);
    s_stop_0 (pid);
    free (connect);

    pid = s_store_tcp (h->db, backend, "0.0.0.0", keys, h->log, &connect);
    offset = jk_test_file_size (h->log);
    assert_int_equal (kill (pid, SIGHUP), 0);
    char *reloaded = jk_sprintf (
        "store SIGHUP: enrolled keys reloaded dir=%s/offices\n", keys);
    assert_true (JK_WAIT_FOR (jk_test_file_has_after (h->log, offset, reloaded),
                              S_WAIT_MS));
    assert_true (s_running (pid));
    s_stop_0 (pid);
    free (reloaded);
    free (connect);
    free (backend);
    free (keys);
}

#define S_STALLED "the opening waits here until the store is stopped"
#define S_STOPPED "store stopped while opening db="

/* A store whose opening takes long (JEJAK_FAULT=open_stalled holds it
   until the store is told to stop): jejak-hub says every 5 s that it is
   still waiting, a SIGHUP meanwhile does not end it, a SIGTERM stops it
   with 0 and no start line; the next start opens the log as usual. The
   same for jejak-store alone. */
static void test_signals_while_store_opens (void **state)
{
    jk_test_hub_t *h = *state;
    setenv ("JEJAK_FAULT", "open_stalled", 1);
    h->hub =
        jk_test_hub_spawn (h->db, h->ingest, h->feed, h->query, NULL, h->log);
    unsetenv ("JEJAK_FAULT");
    assert_true (JK_WAIT_FOR (jk_test_file_has (h->log, S_STALLED), 60000));
    assert_int_equal (kill (h->hub, SIGHUP), 0);
    const char *waiting = "jejak-hub: the broker has not heard the store "
                          "after 5 s; still waiting (the start line follows "
                          "when it has)\n";
    assert_true (JK_WAIT_FOR (jk_test_file_has (h->log, waiting), 30000));
    assert_true (s_running (h->hub));
    int64_t signalled = jk_clock_mono_ms ();
    int status = jk_test_stop (h->hub, SIGTERM, S_EXIT_MS);
    h->hub = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    print_message ("jejak-hub stopped while its store opened: exit 0 after "
                   "%lld ms\n",
                   (long long)(jk_clock_mono_ms () - signalled));
    assert_true (jk_test_file_has (h->log, S_STOPPED));
    assert_false (jk_test_file_has (h->log, "jejak-hub ingest="));
    assert_false (jk_test_file_has (h->log, "cannot start the store"));
    jk_test_hub_start (h);
    assert_int_equal (s_query_head (h->query, NULL), 0);
    s_stop_0 (h->hub);
    h->hub = 0;

    char *backend = jk_test_endpoint (h->dir, "backend");
    char *argv[] = {"jejak-store", "--db",    h->db,    "--backend",
                    backend,       "--query", h->query, NULL};
    size_t offset = jk_test_file_size (h->log);
    setenv ("JEJAK_FAULT", "open_stalled", 1);
    pid_t pid = jk_test_spawn (argv, h->log);
    unsetenv ("JEJAK_FAULT");
    assert_true (pid > 0);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (h->log, offset, S_STALLED), 60000));
    assert_int_equal (kill (pid, SIGHUP), 0);
    assert_true (JK_WAIT_FOR (
        jk_test_file_has_after (h->log, offset, S_NOTHING), S_WAIT_MS));
    assert_true (s_running (pid));
    s_stop_0 (pid);
    assert_true (jk_test_file_has_after (h->log, offset, S_STOPPED));
    assert_false (
        jk_test_file_has_after (h->log, offset, "cannot start the store"));
    free (backend);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_sigterm_on_each_thread, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_and_store_masks, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_store_sighup, s_setup_info,
                                         s_teardown_info),
        cmocka_unit_test_setup_teardown (test_store_keys, s_setup_info,
                                         s_teardown_info),
        cmocka_unit_test_setup_teardown (test_signals_while_store_opens,
                                         s_setup_info, s_teardown_info),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
