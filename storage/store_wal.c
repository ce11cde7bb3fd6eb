/*  store_wal.c - the store actor (jk_store.h, store_internal.h): the log's
    WAL kept small and rewritten in place (docs/ARCHITECTURE.md, "The
    log's WAL"). The bulk of a checkpoint (copying the frames into the
    database and syncing it) runs on a thread of its own with its own
    connection to the log, beside the writer, both at the threshold and
    when the store is idle; after its next batch (or at the next idle
    turn) the writer checkpoints what that thread could not copy (the
    batches committed meanwhile), so the commit after it writes the WAL
    from its beginning again. */
#include "store_internal.h"
#include "jk_vfs.h"

/* What the checkpoint thread is started with. */
typedef struct {
    char *path; /* the log's database */
    bool fail;  /* JK_FAULT_WAL_CHECKPOINT_FAILED: answer -1, copy nothing */
} s_wal_args_t;

/* The checkpoint thread: [CHECKPOINT] in, [frames copied] (or -1) back. */
static void s_wal_actor (zsock_t *pipe, void *arg)
{
    s_wal_args_t *args = arg;
    char *path = args->path;
    bool fail = args->fail;
    free (args);
    jk_thread_enter ("jejak-wal");
    sqlite3 *db = NULL;
    bool up =
        sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                         jk_vfs_wal ()) == SQLITE_OK &&
        sqlite3_exec (db,
                      "PRAGMA synchronous = FULL;"
                      " PRAGMA wal_autocheckpoint = 0;",
                      NULL, NULL, NULL) == SQLITE_OK;
    if (!up)
        jk_warn ("store",
                 "the WAL checkpoint thread cannot open %s: %s (the writer "
                 "checkpoints alone)",
                 path, db ? sqlite3_errmsg (db) : "out of memory");
    free (path);
    zsock_signal (pipe, 0);
    while (true) {
        char *command = zstr_recv (pipe);
        bool stop = !command || streq (command, "$TERM");
        free (command);
        if (stop)
            break;
        int frames = 0, done = 0;
        if (!up || fail ||
            sqlite3_wal_checkpoint_v2 (db, "main", SQLITE_CHECKPOINT_PASSIVE,
                                       &frames, &done) != SQLITE_OK)
            done = -1;
        zstr_sendf (pipe, "%d", done);
    }
    sqlite3_close (db);
}

void jk_store_wal_start (jk_store_t *self, const char *db_path)
{
    s_wal_args_t *args = jk_malloc (sizeof *args);
    args->path = jk_strdup (db_path);
    args->fail = self->fault == JK_FAULT_WAL_CHECKPOINT_FAILED;
    self->wal = zactor_new (s_wal_actor, args);
}

/* Takes the checkpoint thread's answer when there is one: the writer
   then checkpoints the tail after its next batch or at its next idle
   turn (all of it when the thread's checkpoint failed). */
static void s_wal_take (jk_store_t *self)
{
    if (!self->wal_asked || !(zsock_events (self->wal) & ZMQ_POLLIN))
        return;
    char *done = zstr_recv (self->wal);
    self->wal_asked = false;
    self->wal_tail = true; /* the thread's answer, copied or -1: either way */
    if (!done || atoi (done) < 0)
        self->wal_failed++; /* the writer copies every frame itself */
    free (done);
}

/* Asks the checkpoint thread for one. */
static void s_wal_ask (jk_store_t *self)
{
    zstr_send (self->wal, "CHECKPOINT");
    self->wal_asked = true;
}

void jk_store_wal_after_batch (jk_store_t *self)
{
    if (self->wal)
        s_wal_take (self);
    if (self->wal_tail) {
        self->wal_tail = false;
        jk_log_checkpoint (self->log);
        self->checkpoint_due = false;
    } else if (jk_log_wal_frames (self->log) >= self->checkpoint_frames) {
        if (!self->wal) {
            jk_log_checkpoint (self->log);
            self->checkpoint_due = false;
        } else if (!self->wal_asked)
            s_wal_ask (self);
    }
}

void jk_store_wal_idle (jk_store_t *self)
{
    if (self->wal)
        s_wal_take (self);
    if (self->wal_asked)
        return; /* the thread's checkpoint runs: at the next idle turn */
    if (self->wal && !self->wal_tail) {
        /* The bulk on the thread: a batch that comes meanwhile is
           committed beside it, not after it. */
        s_wal_ask (self);
        return;
    }
    jk_log_checkpoint (self->log);
    self->checkpoint_due = false;
    self->wal_tail = false;
}

void jk_store_wal_stop (jk_store_t *self)
{
    zactor_destroy (&self->wal);
    self->wal_asked = false;
}
