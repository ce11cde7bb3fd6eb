/*  testsupport.c - temp directories, processes and bounded waits for the
    test suite (see testsupport.h). */
#include "testsupport.h"
#include "jk_endpoint.h"
#include "jk_projector.h"
#include "jk_wire.h"

#include <msgpack.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *jk_test_tmpdir (const char *tag)
{
    const char *base = getenv ("TMPDIR");
    char *path = jk_sprintf ("%s/jejak-%s-XXXXXX", base ? base : "/tmp", tag);
    if (!mkdtemp (path)) {
        fprintf (stderr, "mkdtemp %s: %s\n", path, strerror (errno));
        abort ();
    }
    return path;
}

static int s_unlink (const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove (path);
}

void jk_test_rmdir (char **path_p)
{
    if (!path_p || !*path_p)
        return;
    if (!getenv ("JEJAK_TEST_KEEP"))
        nftw (*path_p, s_unlink, 16, FTW_DEPTH | FTW_PHYS);
    free (*path_p);
    *path_p = NULL;
}

static int s_by_name (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Appends the entries below dir/sub (sub "" for dir itself) to *lines. */
static void s_listing (const char *dir, const char *sub, char ***lines,
                       size_t *count)
{
    char *path = *sub ? jk_sprintf ("%s/%s", dir, sub) : jk_strdup (dir);
    DIR *d = opendir (path);
    assert_non_null (d);
    struct dirent *e;
    while ((e = readdir (d)) != NULL) {
        if (streq (e->d_name, ".") || streq (e->d_name, ".."))
            continue;
        char *name =
            *sub ? jk_sprintf ("%s/%s", sub, e->d_name) : jk_strdup (e->d_name);
        char *full = jk_sprintf ("%s/%s", dir, name);
        struct stat st;
        assert_int_equal (lstat (full, &st), 0);
        *lines = jk_realloc (*lines, (*count + 1) * sizeof **lines);
        if (S_ISDIR (st.st_mode)) {
            (*lines)[(*count)++] = jk_sprintf ("%s/", name);
            s_listing (dir, name, lines, count);
        } else
            (*lines)[(*count)++] =
                jk_sprintf ("%s %lld", name, (long long)st.st_size);
        free (full);
        free (name);
    }
    closedir (d);
    free (path);
}

char *jk_test_dir_listing (const char *dir)
{
    char **lines = NULL;
    size_t count = 0;
    s_listing (dir, "", &lines, &count);
    if (count)
        qsort (lines, count, sizeof *lines, s_by_name);
    zchunk_t *text = zchunk_new (NULL, 0);
    for (size_t i = 0; i < count; i++) {
        zchunk_extend (text, lines[i], strlen (lines[i]));
        zchunk_extend (text, "\n", 1);
        free (lines[i]);
    }
    free (lines);
    char *out =
        jk_strndup ((const char *)zchunk_data (text), zchunk_size (text));
    zchunk_destroy (&text);
    return out;
}

char *jk_test_endpoint (const char *dir, const char *name)
{
    return jk_sprintf ("ipc://%s/%s.sock", dir, name);
}

zsock_t *jk_test_dealer (const char *endpoint)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    assert_int_equal (jk_endpoint_connect (sock, endpoint), 0);
    return sock;
}

zmsg_t *jk_test_recv (zsock_t *sock, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    zmsg_t *msg = NULL;
    if (zpoller_wait (poller, timeout_ms) == sock)
        msg = zmsg_recv (sock);
    zpoller_destroy (&poller);
    return msg;
}

char *jk_test_stats_text (const char *endpoint)
{
    zsock_t *sock = jk_test_dealer (endpoint);
    zmsg_t *msg = jk_wire_new ("STATS");
    zmsg_send (&msg, sock);
    zmsg_t *reply = jk_test_recv (sock, 30000);
    assert_non_null (reply);
    char command[16];
    assert_int_equal (jk_wire_open (reply, command, sizeof command), 0);
    assert_string_equal (command, "STATS");
    char *text = zmsg_popstr (reply);
    assert_non_null (text);
    zmsg_destroy (&reply);
    zsock_destroy (&sock);
    return text;
}

uint64_t jk_test_stat (const char *query, const char *key)
{
    char *text = jk_test_stats_text (query);
    /* key=VALUE at the start of the text or after a space */
    char *spaced = jk_sprintf (" %s", text), pattern[64];
    snprintf (pattern, sizeof pattern, " %s=", key);
    const char *at = strstr (spaced, pattern);
    assert_non_null (at);
    uint64_t value = strtoull (at + strlen (pattern), NULL, 10);
    free (spaced);
    free (text);
    return value;
}

const char *jk_test_program (const char *name)
{
    static char path[1024];
    if (name == path)
        return path; /* already resolved: do not copy onto itself */
    if (strchr (name, '/'))
        snprintf (path, sizeof path, "%s", name);
    else
        snprintf (path, sizeof path, "%s/bin/%s", JEJAK_BINARY_DIR, name);
    return path;
}

void jk_test_require_program (const char *name)
{
    const char *path = jk_test_program (name);
    if (access (path, X_OK) != 0)
        fail_msg ("%s is not built (%s: %s): build every program before "
                  "running the tests",
                  name, path, strerror (errno));
}

void jk_test_pause_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep (&ts, NULL);
}

bool jk_test_read_ready (int fd, char **buf, size_t *len)
{
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll (&p, 1, 0) <= 0)
            return false;
        char chunk[16384];
        ssize_t n = read (fd, chunk, sizeof chunk);
        if (n <= 0)
            return true;
        *buf = jk_realloc (*buf, *len + (size_t)n + 1);
        memcpy (*buf + *len, chunk, (size_t)n);
        *len += (size_t)n;
        (*buf)[*len] = 0;
    }
}

/* The children this process started, each with the pid of the process
   that started it (a forked test child inherits the list, not the
   children), killed with their process groups when this process exits. */
#define S_CHILDREN_MAX 256
typedef struct {
    pid_t pid, owner;
} s_child_t;
static s_child_t s_children[S_CHILDREN_MAX];
static size_t s_child_count;

/* Whether pid is a child of this process not reaped yet (running, or a
   zombie, which keeps its pid and group id so a kill reaches no one
   else). */
static bool s_child_there (pid_t pid)
{
    siginfo_t info = {0};
    return waitid (P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Kills, with its process group, every child of this process still
   there; never one already reaped, whose pid may be another's now. */
static void s_kill_children (void)
{
    pid_t self = getpid ();
    for (size_t i = 0; i < s_child_count; i++)
        if (s_children[i].owner == self && s_child_there (s_children[i].pid)) {
            kill (-s_children[i].pid, SIGKILL);
            kill (s_children[i].pid, SIGKILL);
        }
}

/* Remembers a child; when the list is full, first forgets the ones
   reaped already (or another process's). */
static void s_child_add (pid_t pid, pid_t owner)
{
    if (s_child_count == S_CHILDREN_MAX) {
        size_t kept = 0;
        for (size_t i = 0; i < s_child_count; i++)
            if (s_children[i].owner == owner &&
                s_child_there (s_children[i].pid))
                s_children[kept++] = s_children[i];
        s_child_count = kept;
    }
    if (s_child_count < S_CHILDREN_MAX)
        s_children[s_child_count++] = (s_child_t){pid, owner};
}

pid_t jk_test_fork (void)
{
    static bool registered;
    if (!registered) {
        atexit (s_kill_children);
        registered = true;
    }
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        /* Its own process group, and killed when the test process ends
           however it ends (a failed assertion, abort, a sanitizer report,
           ctest's timeout): nothing it started outlives the test. */
        setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (126); /* the test ended before the signal was set */
        return 0;
    }
    if (pid > 0) {
        setpgid (pid, pid); /* here too: the group exists before any kill */
        s_child_add (pid, parent);
    }
    return pid;
}

pid_t jk_test_spawn (char *const argv[], const char *log_path)
{
    char program[1024];
    snprintf (program, sizeof program, "%s", jk_test_program (argv[0]));
    pid_t pid = jk_test_fork ();
    if (pid == 0) {
        if (log_path) {
            int fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) {
                dup2 (fd, 1);
                dup2 (fd, 2);
                close (fd);
            }
        }
        /* Nothing else of the test goes with it: a program left running
           after a failed test must not hold the test's files or locks. */
        closefrom (3);
        execv (program, argv);
        fprintf (stderr, "exec %s: %s\n", program, strerror (errno));
        _exit (127);
    }
    return pid;
}

/* Appends what is readable on fd to a growing buffer. */
static bool s_drain (int fd, char **buf, size_t *len)
{
    char chunk[4096];
    ssize_t n = read (fd, chunk, sizeof chunk);
    if (n <= 0)
        return false;
    *buf = jk_realloc (*buf, *len + (size_t)n + 1);
    memcpy (*buf + *len, chunk, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = 0;
    return true;
}

pid_t jk_test_hub_spawn (const char *db, const char *ingest, const char *feed,
                         const char *query, const char *keys,
                         const char *log_path)
{
    char *argv[] = {"jejak-hub",    "--db",
                    (char *)db,     "--ingest",
                    (char *)ingest, "--feed",
                    (char *)feed,   "--query",
                    (char *)query,  keys ? "--keys" : NULL,
                    (char *)keys,   NULL};
    pid_t pid = jk_test_spawn (argv, log_path);
    assert_true (pid > 0);
    return pid;
}

static int s_port_next;

void jk_test_tcp_port_next (int port)
{
    s_port_next = port;
}

int jk_test_tcp_port (void)
{
    if (s_port_next) {
        int port = s_port_next;
        s_port_next = 0;
        return port;
    }
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl (INADDR_ANY);
    socklen_t len = sizeof addr;
    assert_int_equal (bind (fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal (getsockname (fd, (struct sockaddr *)&addr, &len), 0);
    close (fd);
    return ntohs (addr.sin_port);
}

/* Whether the hub at pid has printed its start line in log after offset
   (true), or ended (false, its wait status in *status). */
static bool s_hub_started (pid_t pid, const char *log, size_t offset,
                           int *status, bool *ended)
{
    if (jk_test_file_has_after (log, offset, "jejak-hub ingest="))
        return true;
    *ended = waitpid (pid, status, WNOHANG) == pid;
    return false;
}

pid_t jk_test_hub_spawn_tcp (const char *db, const char *ingest, char **feed,
                             char **query, const char *keys,
                             const char *log_path)
{
    assert_non_null (keys);
    char **endpoints[2] = {feed, query};
    bool any[2];
    for (int i = 0; i < 2; i++)
        any[i] = streq (*endpoints[i], JK_TEST_ANY_PORT);
    for (int attempt = 1; attempt <= 20; attempt++) {
        char *binds[2];
        int ports[2] = {0, 0};
        for (int i = 0; i < 2; i++) {
            do
                ports[i] = any[i] ? jk_test_tcp_port () : 0;
            while (i == 1 && any[1] && ports[1] == ports[0]);
            binds[i] = any[i] ? jk_sprintf ("tcp://0.0.0.0:%d", ports[i])
                              : jk_strdup (*endpoints[i]);
        }
        size_t offset = jk_test_file_size (log_path);
        pid_t pid =
            jk_test_hub_spawn (db, ingest, binds[0], binds[1], keys, log_path);
        free (binds[0]);
        free (binds[1]);
        int status = 0;
        bool ended = false;
        bool started = JK_WAIT_FOR (
            s_hub_started (pid, log_path, offset, &status, &ended) || ended,
            60000);
        if (started && !ended) {
            for (int i = 0; i < 2; i++)
                if (any[i]) {
                    free (*endpoints[i]);
                    *endpoints[i] = jk_sprintf ("tcp://127.0.0.1:%d", ports[i]);
                }
            return pid;
        }
        if (!ended) {
            jk_test_stop (pid, SIGKILL, 10000);
            fail_msg ("jejak-hub did not start in 60 s (see %s)", log_path);
        }
        if (!(WIFEXITED (status) && WEXITSTATUS (status) == 1 &&
              jk_test_file_has_after (log_path, offset,
                                      "Address already in use")))
            fail_msg ("jejak-hub ended (status %d) before its start line "
                      "(see %s)",
                      status, log_path);
    }
    fail_msg ("jejak-hub found its tcp ports taken 20 times (see %s)",
              log_path);
    return -1;
}

int jk_test_run (char *const argv[], char **out, char **err, int timeout_ms)
{
    int po[2], pe[2];
    if (pipe (po) || pipe (pe))
        abort ();
    char program[1024];
    snprintf (program, sizeof program, "%s", jk_test_program (argv[0]));
    pid_t pid = jk_test_fork ();
    if (pid == 0) {
        dup2 (po[1], 1);
        dup2 (pe[1], 2);
        close (po[0]);
        close (pe[0]);
        close (po[1]);
        close (pe[1]);
        /* Nothing else of the test goes with it: a program left running
           after a failed test must not hold the test's files or locks. */
        closefrom (3);
        execv (program, argv);
        fprintf (stderr, "exec %s: %s\n", program, strerror (errno));
        _exit (127);
    }
    close (po[1]);
    close (pe[1]);
    char *obuf = jk_calloc (1, 1), *ebuf = jk_calloc (1, 1);
    size_t olen = 0, elen = 0;
    bool open_o = true, open_e = true;
    int64_t deadline = jk_clock_mono_ms () + timeout_ms;
    bool timed_out = false;
    while (open_o || open_e) {
        int64_t left = deadline - jk_clock_mono_ms ();
        if (left <= 0) {
            timed_out = true;
            kill (-pid, SIGKILL);
            kill (pid, SIGKILL);
            break;
        }
        struct pollfd fds[2] = {{open_o ? po[0] : -1, POLLIN, 0},
                                {open_e ? pe[0] : -1, POLLIN, 0}};
        if (poll (fds, 2, (int)left) < 0 && errno != EINTR)
            break;
        if (open_o && (fds[0].revents & (POLLIN | POLLHUP)))
            open_o = s_drain (po[0], &obuf, &olen);
        if (open_e && (fds[1].revents & (POLLIN | POLLHUP)))
            open_e = s_drain (pe[0], &ebuf, &elen);
    }
    close (po[0]);
    close (pe[0]);
    int status = 0;
    waitpid (pid, &status, 0);
    if (out)
        *out = obuf;
    else
        free (obuf);
    if (err)
        *err = ebuf;
    else
        free (ebuf);
    if (timed_out || !WIFEXITED (status))
        return -1;
    return WEXITSTATUS (status);
}

bool jk_test_wait_any_exit (const pid_t *pids, int n, int timeout_ms)
{
    struct pollfd items[64];
    assert_true (n <= 64);
    int count = 0;
    for (int i = 0; i < n; i++) {
        int fd = pids[i] > 0 ? pidfd_open (pids[i], 0) : -1;
        if (fd >= 0)
            items[count++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    int rc;
    do
        rc = poll (items, (nfds_t)count, timeout_ms > 0 ? timeout_ms : 0);
    while (rc < 0 && errno == EINTR);
    for (int i = 0; i < count; i++)
        close (items[i].fd);
    return rc > 0;
}

bool jk_test_wait_exit (pid_t pid, int *status, int timeout_ms)
{
    int64_t deadline = jk_clock_mono_ms () + timeout_ms;
    pid_t r;
    while ((r = waitpid (pid, status, WNOHANG)) == 0) {
        int64_t left = deadline - jk_clock_mono_ms ();
        if (left <= 0)
            return false;
        jk_test_wait_any_exit (&pid, 1, (int)left);
    }
    return r == pid;
}

int jk_test_stop (pid_t pid, int signal, int timeout_ms)
{
    kill (pid, signal);
    int status;
    if (jk_test_wait_exit (pid, &status, timeout_ms))
        return status;
    kill (-pid, SIGKILL);
    kill (pid, SIGKILL);
    waitpid (pid, &status, 0);
    return -1;
}

char *jk_test_slurp (const char *path, size_t *size)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    fseek (f, 0, SEEK_END);
    long n = ftell (f);
    fseek (f, 0, SEEK_SET);
    char *buf = jk_malloc ((size_t)n + 1);
    size_t got = fread (buf, 1, (size_t)n, f);
    buf[got] = 0;
    fclose (f);
    if (size)
        *size = got;
    return buf;
}

bool jk_test_file_has (const char *path, const char *text)
{
    return jk_test_file_has_after (path, 0, text);
}

bool jk_test_file_has_after (const char *path, size_t offset, const char *text)
{
    size_t size = 0;
    char *data = jk_test_slurp (path, &size);
    bool has = data && size >= offset && strstr (data + offset, text);
    free (data);
    return has;
}

bool jk_test_wait_file_has (const char *path, const char *text, int timeout_ms)
{
    if (JK_WAIT_FOR (jk_test_file_has (path, text), timeout_ms))
        return true;
    fprintf (stderr, "--- no \"%s\" after %d ms:\n", text, timeout_ms);
    jk_test_show_file (path);
    return false;
}

void jk_test_show_file (const char *path)
{
    char *data = jk_test_slurp (path, NULL);
    fprintf (stderr, "--- %s holds:\n%s--- end of %s\n", path,
             data ? data : "(no such file)\n", path);
    free (data);
}

size_t jk_test_file_size (const char *path)
{
    size_t size = 0;
    free (jk_test_slurp (path, &size));
    return size;
}

/* The log's head and the projections' position on db, in one read
   transaction; false when either cannot be read. */
static bool s_projected (sqlite3 *db, uint64_t *head, uint64_t *pos)
{
    uint8_t hash[32];
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2 (db, "SELECT coalesce (max (pos), 0) FROM log",
                                  -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step (st) == SQLITE_ROW;
    if (ok)
        *head = (uint64_t)sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    ok = ok && jk_projections_position (db, pos, hash) == JK_OK;
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    return ok;
}

char *jk_test_dump (sqlite3 *db)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    char err[256] = "";
    int rc = jk_projections_dump (db, out, err, sizeof err);
    fclose (out);
    if (rc != 0)
        fail_msg ("dump: %s", err);
    return text;
}

sqlite3 *jk_test_projections (const char *db_path)
{
    char err[512] = "";
    sqlite3 *db = NULL;
    uint64_t head = 0, pos = 0;
    bool caught_up = JK_WAIT_FOR (
        (db || (db = jk_projections_open_read (db_path, err, sizeof err))) &&
            s_projected (db, &head, &pos) && pos >= head,
        60000);
    if (!caught_up)
        fail_msg ("the projections of %s did not reach the log's head %llu "
                  "(at %llu) %s",
                  db_path, (unsigned long long)head, (unsigned long long)pos,
                  err);
    return db;
}

void jk_test_db_exec (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
}

int64_t jk_test_db_int64 (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout (db, 2000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step (st) == SQLITE_ROW)
            n = sqlite3_column_int64 (st, 0);
        sqlite3_finalize (st);
    }
    sqlite3_close (db);
    return n;
}

char *jk_test_db_text (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *text = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout (db, 2000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step (st) == SQLITE_ROW) {
            const unsigned char *value = sqlite3_column_text (st, 0);
            text = jk_strdup (value ? (const char *)value : "");
        }
        sqlite3_finalize (st);
    }
    sqlite3_close (db);
    return text;
}

bool jk_test_db_intact (const char *path)
{
    return jk_test_db_int64 (path, "SELECT count(*) FROM pragma_integrity_check"
                                   " WHERE integrity_check = 'ok'") == 1;
}

void jk_test_db_remove (const char *path)
{
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char *file = jk_sprintf ("%s%s", path, suffixes[i]);
        unlink (file);
        free (file);
    }
}

jk_test_hub_t *jk_test_hub_new (const char *tag)
{
    jk_test_require_program ("jejak-hub");
    jk_test_hub_t *self = jk_calloc (1, sizeof *self);
    self->dir = jk_test_tmpdir (tag);
    self->ingest = jk_test_endpoint (self->dir, "ingest");
    self->feed = jk_test_endpoint (self->dir, "feed");
    self->query = jk_test_endpoint (self->dir, "query");
    self->db = jk_sprintf ("%s/events.db", self->dir);
    self->outbox = jk_sprintf ("%s/outbox.db", self->dir);
    self->log = jk_sprintf ("%s/hub.log", self->dir);
    return self;
}

void jk_test_hub_start (jk_test_hub_t *self)
{
    size_t before = jk_test_file_size (self->log);
    self->hub = jk_test_hub_spawn (self->db, self->ingest, self->feed,
                                   self->query, NULL, self->log);
    /* Ready when it printed its start line (after the one of an earlier
       run in the same log): the broker has heard the store by then, so a
       SUBMIT is not answered E_UNAVAILABLE for a store still starting.
       The log table exists long before that. */
    if (!JK_WAIT_FOR (
            jk_test_file_has_after (self->log, before, "jejak-hub ingest="),
            60000))
        fail_msg ("jejak-hub did not start in 60 s (see %s)", self->log);
    assert_true (jk_test_db_int64 (self->db, "SELECT count(*) FROM log") >= 0);
}

void jk_test_hub_destroy (jk_test_hub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_test_hub_t *self = *self_p;
    if (self->hub > 0)
        jk_test_stop (self->hub, SIGTERM, 10000);
    free (self->ingest);
    free (self->feed);
    free (self->query);
    free (self->db);
    free (self->outbox);
    free (self->log);
    jk_test_rmdir (&self->dir);
    free (self);
    *self_p = NULL;
}

uint8_t *jk_test_record_bytes (const char *type, uint32_t version,
                               const char *source, uint64_t seq, int64_t at,
                               const uint8_t id[16], size_t *size)
{
    msgpack_sbuffer buffer = {0}; /* empty, as msgpack_sbuffer_init */
    msgpack_packer pk = {&buffer, msgpack_sbuffer_write};
    msgpack_pack_map (&pk, 6);
    msgpack_pack_str_with_body (&pk, "id", 2);
    msgpack_pack_bin_with_body (&pk, id, 16);
    msgpack_pack_str_with_body (&pk, "type", 4);
    msgpack_pack_str_with_body (&pk, type, strlen (type));
    msgpack_pack_str_with_body (&pk, "v", 1);
    msgpack_pack_uint32 (&pk, version);
    msgpack_pack_str_with_body (&pk, "source", 6);
    msgpack_pack_str_with_body (&pk, source, strlen (source));
    msgpack_pack_str_with_body (&pk, "seq", 3);
    msgpack_pack_uint64 (&pk, seq);
    msgpack_pack_str_with_body (&pk, "at", 2);
    msgpack_pack_int64 (&pk, at);
    *size = buffer.size;
    return (uint8_t *)buffer.data; /* malloc'd by the sbuffer */
}
