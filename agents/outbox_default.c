/*  outbox_default.c - the default outbox, one per source shared by the
    programs of a device, and its one-time build from the per-program
    outboxes older versions kept. */
#include "outbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *jk_data_dir_path (void)
{
    const char *xdg = getenv ("XDG_DATA_HOME");
    const char *home = getenv ("HOME");
    if (xdg && *xdg)
        return jk_sprintf ("%s/jejak", xdg);
    if (home && *home)
        return jk_sprintf ("%s/.local/share/jejak", home);
    return NULL;
}

char *jk_data_dir (void)
{
    const char *xdg = getenv ("XDG_DATA_HOME");
    const char *home = getenv ("HOME");
    if (xdg && *xdg)
        mkdir (xdg, 0700);
    else if (home && *home) {
        char *local = jk_sprintf ("%s/.local", home);
        char *share = jk_sprintf ("%s/.local/share", home);
        mkdir (local, 0700);
        mkdir (share, 0700);
        free (local);
        free (share);
    }
    char *dir = jk_data_dir_path ();
    if (dir && mkdir (dir, 0700) != 0 && errno != EEXIST) {
        free (dir);
        dir = NULL;
    }
    return dir;
}

char *jk_outbox_default_path (const char *source)
{
    char *src = jk_source_file_name (source);
    char *dir = jk_data_dir ();
    /* A directory that cannot be made keeps its path: the open fails
       naming it. The working directory only without a home at all, never
       because the device's directory is unusable today (the outbox found
       there would be another outbox of the same source: E_SEQ_TAKEN). */
    if (!dir)
        dir = jk_data_dir_path ();
    char *path = dir ? jk_sprintf ("%s/outbox-%s.db", dir, src)
                     : jk_sprintf ("./jejak-outbox-%s.db", src);
    free (dir);
    free (src);
    return path;
}

/* The programs whose own outboxes (PROGRAM-SOURCE.db) older versions kept
   beside the shared one. */
static const char *s_legacy_programs[] = {"jejak-registration",
                                          "jejak-attendance", "jejak-scoring"};
#define S_LEGACY 3

/* An event to queue again in the shared outbox. */
typedef struct {
    uint8_t *bytes;
    size_t size;
    char *origin, *key;
    uint64_t seq; /* in the file it came from */
    bool new_id;  /* the store refused its seq: never logged */
} s_requeue_t;

typedef struct {
    s_requeue_t *items;
    size_t count, cap;
    bool all;       /* also PENDING and SENT rows (other files) */
    size_t skipped; /* rows that stay behind (answered) */
} s_requeue_list_t;

static int s_collect_requeue (void *arg, const jk_outbox_row_t *row)
{
    s_requeue_list_t *list = arg;
    bool taken = row->state == JK_OUTBOX_REJECTED &&
                 strcmp (row->code, "E_SEQ_TAKEN") == 0;
    bool open = row->state <= JK_OUTBOX_SENT;
    if (!taken && !(open && list->all)) {
        list->skipped += list->all;
        return 0;
    }
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 64;
        list->items = jk_realloc (list->items, list->cap * sizeof *list->items);
    }
    s_requeue_t *it = &list->items[list->count++];
    it->bytes = jk_malloc (row->size ? row->size : 1);
    memcpy (it->bytes, row->bytes, row->size);
    it->size = row->size;
    it->origin = jk_strdup (row->origin);
    it->key = row->key ? jk_strdup (row->key) : NULL;
    it->seq = row->seq;
    it->new_id = taken;
    return 0;
}

static void s_requeue_free (s_requeue_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free (list->items[i].bytes);
        free (list->items[i].origin);
        free (list->items[i].key);
    }
    free (list->items);
    memset (list, 0, sizeof *list);
}

static bool s_has_id (jk_outbox_t *self, const uint8_t id[16])
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2 (self->db, "SELECT 1 FROM events WHERE id = ?", -1,
                            &st, NULL) == SQLITE_OK) {
        sqlite3_bind_blob (st, 1, id, 16, SQLITE_STATIC);
        found = sqlite3_step (st) == SQLITE_ROW;
    }
    sqlite3_finalize (st);
    return found;
}

/* Queues the collected events again in into (inside its transaction):
   same id unless the store refused the seq, new seq. An E_SEQ_TAKEN row
   of into itself is marked as queued again. Returns the number queued,
   or -1. */
static int64_t s_requeue (jk_outbox_t *into, s_requeue_list_t *list,
                          bool own_rows, const char *from)
{
    int64_t queued = 0;
    for (size_t i = 0; i < list->count; i++) {
        s_requeue_t *it = &list->items[i];
        jk_event_t *ev = jk_event_decode (it->bytes, it->size, NULL);
        if (!ev) {
            fprintf (stderr,
                     "outbox: %s seq %llu cannot be read by this version; "
                     "it stays in %s\n",
                     from, (unsigned long long)it->seq, from);
            continue;
        }
        if (it->new_id)
            jk_uuid_v7 (ev->id);
        if (s_has_id (into, ev->id)) {
            jk_event_destroy (&ev);
            continue;
        }
        uint64_t seq = 0;
        int rc = jk_outbox_put (into, ev, it->origin, it->key, &seq);
        jk_event_destroy (&ev);
        if (rc != JK_OK)
            return -1;
        if (own_rows) {
            char *note = jk_sprintf ("queued again as seq %llu",
                                     (unsigned long long)seq);
            sqlite3_stmt *st = NULL;
            sqlite3_prepare_v2 (into->db,
                                "UPDATE events SET message = ? WHERE seq = ?",
                                -1, &st, NULL);
            sqlite3_bind_text (st, 1, note, -1, SQLITE_STATIC);
            sqlite3_bind_int64 (st, 2, (sqlite3_int64)it->seq);
            rc = sqlite3_step (st) == SQLITE_DONE ? JK_OK : JK_IO;
            sqlite3_finalize (st);
            free (note);
            if (rc != JK_OK)
                return -1;
        }
        queued++;
    }
    return queued;
}

/* The per-program outboxes of one source found beside the shared one. */
typedef struct {
    char *files[S_LEGACY];
    jk_outbox_t *old[S_LEGACY];
    int base;           /* the file whose seqs the store holds furthest */
    int found;          /* files opened */
    uint64_t base_next; /* its next seq */
} s_legacy_t;

/* Opens the per-program outboxes of source in dir and picks the base.
   JK_OK (also when none is there) or JK_IO with err set. */
static int s_legacy_open (s_legacy_t *legacy, const char *dir,
                          const char *source, char *err, size_t err_size)
{
    char *src = jk_source_file_name (source);
    uint64_t base_stored = 0;
    int rc = JK_OK;
    legacy->base = -1;
    for (int i = 0; i < S_LEGACY && rc == JK_OK; i++) {
        legacy->files[i] =
            jk_sprintf ("%s/%s-%s.db", dir, s_legacy_programs[i], src);
        if (access (legacy->files[i], F_OK) != 0)
            continue;
        char why[512];
        legacy->old[i] =
            jk_outbox_open (legacy->files[i], source, why, sizeof why);
        if (!legacy->old[i]) {
            fprintf (stderr, "outbox: %s left as it is: %s\n", legacy->files[i],
                     why);
            continue;
        }
        legacy->found++;
        jk_outbox_counts_t c;
        if (jk_outbox_counts (legacy->old[i], &c) != JK_OK) {
            rc = JK_IO;
            snprintf (err, err_size, "cannot read outbox %s", legacy->files[i]);
            break;
        }
        if (legacy->base < 0 || c.last_stored_seq > base_stored ||
            (c.last_stored_seq == base_stored &&
             c.next_seq > legacy->base_next)) {
            legacy->base = i;
            base_stored = c.last_stored_seq;
            legacy->base_next = c.next_seq;
        }
    }
    free (src);
    return rc;
}

static void s_legacy_close (s_legacy_t *legacy)
{
    for (int i = 0; i < S_LEGACY; i++) {
        jk_outbox_close (&legacy->old[i]);
        free (legacy->files[i]);
    }
}

/* Copies the base as it is into tmp (created here) and opens the copy,
   or NULL with err set. */
static jk_outbox_t *s_copy_base (s_legacy_t *legacy, const char *tmp,
                                 const char *source, char *err, size_t err_size)
{
    int b = legacy->base;
    unlink (tmp);
    int fd = open (tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0)
        close (fd);
    sqlite3_stmt *st = NULL;
    bool copied =
        fd >= 0 &&
        sqlite3_prepare_v2 (legacy->old[b]->db, "VACUUM INTO ?", -1, &st,
                            NULL) == SQLITE_OK &&
        sqlite3_bind_text (st, 1, tmp, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step (st) == SQLITE_DONE;
    if (!copied)
        snprintf (err, err_size, "cannot copy outbox %s to %s: %s",
                  legacy->files[b], tmp, sqlite3_errmsg (legacy->old[b]->db));
    sqlite3_finalize (st);
    return copied ? jk_outbox_open (tmp, source, err, err_size) : NULL;
}

/* Inside into's transaction: events the store refused for their seq
   (E_SEQ_TAKEN, when two programs shared a source) get a new id and
   seq; the other files' undelivered events get new seqs after the
   base's. Returns the number queued again, or -1. */
static int64_t s_merge_legacy (s_legacy_t *legacy, jk_outbox_t *into)
{
    uint64_t next = legacy->base_next;
    for (int i = 0; i < S_LEGACY; i++)
        if (legacy->old[i] && i != legacy->base) {
            jk_outbox_counts_t c;
            jk_outbox_counts (legacy->old[i], &c);
            if (c.next_seq > next)
                next = c.next_seq;
        }
    into->next_seq = next;
    int64_t again = 0;
    for (int i = 0; i < S_LEGACY && again >= 0; i++) {
        if (!legacy->old[i])
            continue;
        bool base = i == legacy->base;
        s_requeue_list_t list = {.all = !base};
        jk_outbox_t *from = base ? into : legacy->old[i];
        int64_t n = jk_outbox_list (from, 0xF, 0, 0, s_collect_requeue, &list);
        n = n < 0 ? -1 : s_requeue (into, &list, base, legacy->files[i]);
        if (n > 0)
            fprintf (stderr,
                     "outbox: %lld undelivered events of %s queued "
                     "again with new seqs\n",
                     (long long)n, legacy->files[i]);
        if (!base && list.skipped)
            fprintf (stderr,
                     "outbox: %zu answered events stay in %s.moved "
                     "(its receipts: --outbox %s.moved receipts)\n",
                     list.skipped, legacy->files[i], legacy->files[i]);
        s_requeue_free (&list);
        again = n < 0 ? -1 : again + n;
    }
    return again;
}

/* Builds the merged outbox in tmp; true when it is complete. */
static bool s_build (s_legacy_t *legacy, const char *tmp, const char *source,
                     char *err, size_t err_size)
{
    jk_outbox_t *into = s_copy_base (legacy, tmp, source, err, err_size);
    int64_t again = -1;
    if (into && jk_outbox_begin (into) == JK_OK) {
        again = s_merge_legacy (legacy, into);
        if (again < 0 || jk_outbox_commit (into) != JK_OK) {
            if (into->in_tx)
                jk_outbox_rollback (into);
            snprintf (err, err_size, "cannot write outbox %s", tmp);
            again = -1;
        }
    } else if (into)
        snprintf (err, err_size, "cannot write outbox %s", tmp);
    bool ok = into && again >= 0;
    jk_outbox_close (&into);
    return ok;
}

/* Renames the per-program outboxes to FILE.moved, saying so. */
static void s_retire_legacy (s_legacy_t *legacy, const char *path,
                             const char *source)
{
    fprintf (stderr, "outbox: %s is now the one outbox of source %s", path,
             source);
    for (int i = 0; i < S_LEGACY; i++) {
        if (access (legacy->files[i], F_OK) != 0)
            continue;
        char *moved = jk_sprintf ("%s.moved", legacy->files[i]);
        if (rename (legacy->files[i], moved) == 0)
            fprintf (stderr, "%s %s (kept as %s)",
                     i == legacy->base ? "; copied from" : "; merged",
                     legacy->files[i], moved);
        free (moved);
    }
    fprintf (stderr, "\n");
}

/* Builds the shared outbox at path from the per-program outboxes of
   source in the same directory, once (see jk_agent.h). Called with the
   directory locked and path absent. Returns JK_OK (also when there was
   nothing to move) or JK_IO with err set. */
static int s_migrate (const char *path, const char *source, char *err,
                      size_t err_size)
{
    char *dir = jk_strdup (path);
    char *slash = strrchr (dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf (dir, strlen (dir) + 1, ".");
    s_legacy_t legacy = {.base = -1};
    int rc = s_legacy_open (&legacy, dir, source, err, err_size);
    if (rc == JK_OK && legacy.found > 0) {
        /* Built in a temporary file renamed into place at the end. */
        char *tmp = jk_sprintf ("%s.tmp", path);
        bool ok = s_build (&legacy, tmp, source, err, err_size);
        for (int i = 0; i < S_LEGACY; i++)
            jk_outbox_close (&legacy.old[i]);
        if (ok && rename (tmp, path) != 0) {
            snprintf (err, err_size, "cannot rename %s to %s: %s", tmp, path,
                      strerror (errno));
            ok = false;
        }
        if (ok)
            s_retire_legacy (&legacy, path, source);
        else {
            unlink (tmp);
            rc = JK_IO;
        }
        free (tmp);
    }
    s_legacy_close (&legacy);
    free (dir);
    return rc;
}

/* jk_outbox_open_default with why it failed (s_open). */
static jk_outbox_t *s_open_default (const char *source, int *why, char *err,
                                    size_t err_size)
{
    *why = JK_IO;
    char *path = jk_outbox_default_path (source);
    if (access (path, F_OK) != 0) {
        /* Only one program builds the shared file: the others wait on
           the directory's lock, then find it made. */
        char *dir = jk_strdup (path);
        char *slash = strrchr (dir, '/');
        if (slash)
            *slash = 0;
        int fd = open (slash ? dir : ".", O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
            /* The device's directory could not be made (jk_data_dir). */
            snprintf (err, err_size,
                      "cannot make the outbox %s: its directory %s cannot be "
                      "made (%s); set HOME (or XDG_DATA_HOME) to a directory "
                      "this user may write, or give --outbox PATH",
                      path, slash ? dir : ".", strerror (errno));
            free (dir);
            free (path);
            return NULL;
        }
        free (dir);
        flock (fd, LOCK_EX);
        int rc = access (path, F_OK) != 0
                     ? s_migrate (path, source, err, err_size)
                     : JK_OK;
        jk_outbox_t *self =
            rc == JK_OK ? jk_outbox_open_why (path, source, why, err, err_size)
                        : NULL;
        close (fd); /* releases the lock */
        free (path);
        return self;
    }
    jk_outbox_t *self = jk_outbox_open_why (path, source, why, err, err_size);
    free (path);
    return self;
}

jk_outbox_t *jk_outbox_open_default (const char *source, char *err,
                                     size_t err_size)
{
    int why;
    return s_open_default (source, &why, err, err_size);
}

int jk_outbox_open_as (const char *path, const char *source, jk_outbox_t **out,
                       char *err, size_t err_size)
{
    int why;
    *out = path ? jk_outbox_open_why (path, source, &why, err, err_size)
                : s_open_default (source, &why, err, err_size);
    return *out ? JK_OK : why;
}
