/*  link_fork.c - clearing a fork alarm of the link after an operator has
    investigated it (jejak-link clear-fork; jk_link.h, docs/OPERATIONS.md):
    the fork rows move to table fork_cleared with the time they were
    cleared, nothing is deleted, and the sending end forgets the
    checkpoint it held so it trusts the hub's next one on sight. */
#include "jk_base.h"
#include "jk_link.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The sending end's state (link_send.c): fork (at, held_size, seen_size,
   held, seen); the held checkpoint is also in each row's held. */
static const char *s_sender_sql =
    "CREATE TABLE IF NOT EXISTS fork_cleared ("
    " cleared_at INTEGER NOT NULL, at INTEGER NOT NULL,"
    " held_size INTEGER NOT NULL, seen_size INTEGER NOT NULL,"
    " held TEXT NOT NULL, seen TEXT NOT NULL);"
    "INSERT INTO fork_cleared SELECT ?1, at, held_size, seen_size, held,"
    " seen FROM fork;"
    "DELETE FROM fork;"
    "DELETE FROM checkpoint;";

/* The copy database (link.c): fork (origin, at, held_size, seen_size,
   copy_size, copy_root, held, seen) of one origin; its checkpoint held
   is proven against the copy itself and stays. */
static const char *s_receiver_sql =
    "CREATE TABLE IF NOT EXISTS fork_cleared ("
    " cleared_at INTEGER NOT NULL, origin TEXT NOT NULL,"
    " at INTEGER NOT NULL, held_size INTEGER NOT NULL,"
    " seen_size INTEGER NOT NULL, copy_size INTEGER NOT NULL,"
    " copy_root TEXT NOT NULL, held TEXT NOT NULL, seen TEXT NOT NULL);"
    "INSERT INTO fork_cleared SELECT ?1, origin, at, held_size, seen_size,"
    " copy_size, copy_root, held, seen FROM fork WHERE origin = ?2;"
    "DELETE FROM fork WHERE origin = ?2;";

/* Runs each statement of sql with ?1 = now and ?2 = origin. */
static int s_run (sqlite3 *db, const char *sql, int64_t now, const char *origin)
{
    const char *tail = sql;
    int rc = SQLITE_OK;
    while (rc == SQLITE_OK && tail && *tail) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2 (db, tail, -1, &st, &tail);
        if (rc != SQLITE_OK || !st)
            break;
        for (int i = 1; i <= sqlite3_bind_parameter_count (st); i++) {
            const char *name = sqlite3_bind_parameter_name (st, i);
            if (name && streq (name, "?1"))
                sqlite3_bind_int64 (st, i, now);
            else if (name && streq (name, "?2"))
                sqlite3_bind_text (st, i, origin, -1, SQLITE_STATIC);
        }
        rc = sqlite3_step (st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_finalize (st);
    }
    return rc;
}

int jk_link_clear_fork (const char *path, const char *origin, char *out,
                        size_t out_size)
{
    if (access (path, F_OK) != 0) {
        snprintf (out, out_size, "%s does not exist", path);
        return JK_IO;
    }
    sqlite3 *db = NULL;
    int rc = JK_IO;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf (out, out_size, "cannot open %s: %s", path,
                  sqlite3_errmsg (db));
        sqlite3_close (db);
        return JK_IO;
    }
    sqlite3_busy_timeout (db, 5000);
    sqlite3_stmt *st = NULL;
    /* Both files have tables fork and checkpoint: the copy's fork rows
       name their origin. Clearing one as the other would lose columns or
       the copy's proven checkpoints, so a mix-up is refused. */
    bool copy = sqlite3_prepare_v2 (db, "SELECT origin FROM fork LIMIT 0", -1,
                                    &st, NULL) == SQLITE_OK;
    sqlite3_finalize (st);
    st = NULL;
    if (copy != (origin != NULL)) {
        snprintf (out, out_size,
                  copy ? "%s is a copy database: clear its fork with --db "
                         "%s --origin AREA"
                       : "%s is a sending end's state: clear its fork with "
                         "--state %s, without --origin",
                  path, path);
        sqlite3_close (db);
        return JK_INVALID;
    }
    int64_t forks = -1;
    if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2 (db,
                            origin ? "SELECT count(*) FROM fork"
                                     " WHERE origin = ?1"
                                   : "SELECT count(*) FROM fork",
                            -1, &st, NULL) == SQLITE_OK) {
        if (origin)
            sqlite3_bind_text (st, 1, origin, -1, SQLITE_STATIC);
        if (sqlite3_step (st) == SQLITE_ROW)
            forks = sqlite3_column_int64 (st, 0);
    }
    sqlite3_finalize (st);
    if (forks < 0)
        snprintf (out, out_size, "%s holds no link state (table fork): %s",
                  path, sqlite3_errmsg (db));
    else if (forks == 0) {
        snprintf (out, out_size, "no fork alarm to clear in %s%s%s", path,
                  origin ? " for origin " : "", origin ? origin : "");
        rc = JK_NOT_FOUND;
    } else if (s_run (db, origin ? s_receiver_sql : s_sender_sql,
                      jk_clock_now_ms (), origin) != SQLITE_OK ||
               sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        snprintf (out, out_size, "cannot clear the fork in %s: %s", path,
                  sqlite3_errmsg (db));
    else {
        snprintf (out, out_size,
                  "fork alarm cleared%s%s: %lld fork%s moved to table "
                  "fork_cleared of %s (the signed notes kept); %s",
                  origin ? " for origin " : "", origin ? origin : "",
                  (long long)forks, forks == 1 ? "" : "s", path,
                  origin ? "restart receive: it stores this origin's "
                           "records again and checks its next checkpoint "
                           "against the copy"
                         : "the next send trusts the hub's checkpoint on "
                           "sight");
        rc = JK_OK;
    }
    if (rc != JK_OK)
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close (db);
    return rc;
}
