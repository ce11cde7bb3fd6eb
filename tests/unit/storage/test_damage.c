/*  test_damage.c - storage damage is noticed, not silent: a second writer
    is refused at start (the writer's lock), a damaged index or chain makes
    the store refuse to start and jejak-replay verify name the damage, and
    a directory the store cannot write is named in the error. Real SQLite
    files, the store actor in-process, jejak-replay and jejak-store as
    processes. */
#include "test_store_harness.h"

#include "jk_integrity.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A store with count accepted events from H_SOURCE, then stopped. */
static void s_fill (h_t *h, const char *tag, int count)
{
    h_setup_dirs (h, tag);
    h_start_store (h, 0);
    for (int i = 1; i <= count; i++) {
        size_t size;
        uint8_t *bytes =
            h_cooperative (H_SOURCE, (uint64_t)i, i, H_DESA, &size);
        assert_int_equal (h_submit_one (h, bytes, size).kind, JK_ANSWER_ACK);
        free (bytes);
    }
    zactor_destroy (&h->store);
}

static jk_store_config_t s_config (h_t *h)
{
    return (jk_store_config_t){
        .db_path = h->db, .backend = h->backend, .query = NULL};
}

/* Two writers on one database: before, both ran and every batch of the
   second failed on the lock. Now the second is refused at start, with
   the first one's pid, and starts once the first is gone. */
static void test_second_writer_refused (void **state)
{
    (void)state;
    h_t h;
    h_setup_dirs (&h, "damage-writer");
    h_start_store (&h, 0);
    jk_store_config_t config = s_config (&h);
    zactor_t *second = jk_store_start (&config);
    assert_null (second);
    char *lock = jk_writer_lock_path (h.db);
    char err[512];
    assert_int_equal (jk_writer_lock (h.db, err, sizeof err), -1);
    char pid[64];
    snprintf (pid, sizeof pid, "pid %ld", (long)getpid ());
    assert_non_null (strstr (err, pid));
    assert_non_null (strstr (err, "in use by another writer"));
    assert_non_null (strstr (err, lock));
    zactor_destroy (&h.store);
    second = jk_store_start (&config);
    assert_non_null (second);
    zactor_destroy (&second);
    free (lock);
    h_teardown (&h);
}

/* The root page of a table or index, from a separate connection. */
static int64_t s_rootpage (const char *db, const char *name)
{
    char *sql = sqlite3_mprintf (
        "SELECT rootpage FROM sqlite_master WHERE name = %Q", name);
    int64_t page = h_count (db, sql);
    sqlite3_free (sql);
    return page;
}

/* Flips one byte at offset from the end of page (1-based), in the file. */
static void s_flip (const char *db, int64_t page, int from_end)
{
    int64_t size = h_count (db, "PRAGMA page_size");
    int fd = open (db, O_RDWR);
    assert_true (fd >= 0);
    off_t at = (off_t)(page * size - from_end);
    uint8_t byte;
    assert_int_equal (pread (fd, &byte, 1, at), 1);
    byte ^= 0x5a;
    assert_int_equal (pwrite (fd, &byte, 1, at), 1);
    close (fd);
}

/* Runs jejak-replay verify DB; returns its exit code, output in *out. */
static int s_replay_verify (const char *db, char **out)
{
    char *argv[] = {"jejak-replay", "verify", (char *)db, NULL};
    return jk_test_run (argv, out, NULL, 60000);
}

/* A damaged id index (one flipped byte in its page; the log's rows and
   chain untouched). Before, verify said intact and the store appended.
   Now the store refuses to start, naming the damage and what to run, and
   verify names the index and exits 1. */
static void test_damaged_index (void **state)
{
    (void)state;
    h_t h;
    s_fill (&h, "damage-index", 20);
    /* The last byte of the id index's root (leaf) page: the rowid of its
       last entry. */
    s_flip (h.db, s_rootpage (h.db, "sqlite_autoindex_log_1"), 1);
    jk_verify_result_t result;
    assert_int_equal (jk_log_verify (h.db, NULL, &result, NULL, NULL), JK_OK);

    jk_store_config_t config = s_config (&h);
    assert_null (jk_store_start (&config));
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (h.db, &db, SQLITE_OPEN_READONLY, NULL),
                      SQLITE_OK);
    char what[512];
    assert_int_equal (jk_db_integrity (db, "log", what, sizeof what),
                      JK_INVALID);
    assert_non_null (strstr (what, "sqlite_autoindex_log_1"));
    sqlite3_close (db);

    char *out = NULL;
    assert_int_equal (s_replay_verify (h.db, &out), 1);
    assert_non_null (strstr (out, "DAMAGED"));
    assert_non_null (
        strstr (out, "damaged: index sqlite_autoindex_log_1 of table log"));
    assert_null (strstr (out, "intact"));
    free (out);
    h_teardown (&h);
}

/* A changed record near the head: the store refuses to start (it
   recomputes the chain's tail), verify names the position. */
static void test_damaged_chain (void **state)
{
    (void)state;
    h_t h;
    s_fill (&h, "damage-chain", 12);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (h.db, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db,
                                    "UPDATE log SET recorded_at = "
                                    "recorded_at + 1 WHERE pos = 11",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    char what[256];
    assert_int_equal (jk_log_check_tail (db, 5, what, sizeof what), JK_INVALID);
    assert_non_null (strstr (what, "position 11"));
    assert_int_equal (jk_log_check_tail (db, 1, what, sizeof what), JK_OK);
    sqlite3_close (db);
    jk_store_config_t config = s_config (&h);
    assert_null (jk_store_start (&config));
    char *out = NULL;
    assert_int_equal (s_replay_verify (h.db, &out), 1);
    assert_non_null (strstr (out, "first bad position 11"));
    free (out);
    h_teardown (&h);
}

/* The database's directory is not writable (the file is): before, the
   store said only "attempt to write a readonly database". Now the error
   names the path. Run as jejak-store in a child with an unprivileged
   user when the tests run as root (root ignores the directory's mode). */
static void test_readonly_directory (void **state)
{
    (void)state;
    h_t h;
    s_fill (&h, "damage-readonly", 1);
    char *lock = jk_writer_lock_path (h.db);
    unlink (lock);
    free (lock);
    char *sub = jk_sprintf ("%s/ro", h.dir);
    char *db = jk_sprintf ("%s/events.db", sub);
    assert_int_equal (mkdir (sub, 0755), 0);
    assert_int_equal (rename (h.db, db), 0);
    bool root = geteuid () == 0;
    if (root) {
        assert_int_equal (chown (db, 65534, 65534), 0);
        assert_int_equal (chmod (h.dir, 0755), 0);
    }
    assert_int_equal (chmod (sub, 0555), 0);
    char *log = jk_sprintf ("%s/store.log", h.dir);
    pid_t pid = jk_test_fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2 (fd, 2);
            close (fd);
        }
        if (root && (setgid (65534) != 0 || setuid (65534) != 0))
            _exit (90);
        char *argv[] = {"jejak-store", "--db",    db,      "--backend",
                        h.backend,     "--query", h.query, NULL};
        execv (jk_test_program ("jejak-store"), argv);
        _exit (91);
    }
    int status = 0;
    pid_t done = jk_test_wait_exit (pid, &status, 20000) ? pid : 0;
    if (done == 0) {
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
    }
    assert_int_equal (done, pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    char *text = jk_test_slurp (log, NULL);
    assert_non_null (text);
    assert_non_null (strstr (text, sub));
    assert_non_null (strstr (text, "directory must be writable"));
    free (text);
    chmod (sub, 0755);
    free (log);
    free (db);
    free (sub);
    h_teardown (&h);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_second_writer_refused),
        cmocka_unit_test (test_damaged_index),
        cmocka_unit_test (test_damaged_chain),
        cmocka_unit_test (test_readonly_directory),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
