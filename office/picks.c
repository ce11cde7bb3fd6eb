/*  picks.c - what the hub knows for the office's pick lists
    (cooperatives, batches, sessions, whoever entered them), kept in a
    cache file on the box so the lists work while the link is down. A
    thread asks the hub's query endpoint, at start and then every
    JK_PICKS_EVERY_MS, for the accepted records of each topic newer than
    the cache holds (SINCE with a credit window, as the status board does)
    and keeps their event bytes; the pages decode them with the same code
    that builds the lists from the outbox. */
#include "jk_curve.h"
#include "jk_dbkind.h"
#include "jk_endpoint.h"
#include "jk_office.h"

#include <sqlite3.h>
#include <string.h>

#define S_COMPONENT "picks"
#define S_CREDIT    1000 /* records in flight, topped up at half */

/* The topics kept: the event types whose lists come from the hub. */
static const char *const s_topics[] = {"cooperative.registered",
                                       "training.batch_scheduled",
                                       "training.session_scheduled"};
#define S_TOPICS (sizeof s_topics / sizeof s_topics[0])

struct jk_picks_s {
    sqlite3 *db; /* the thread's, which writes */
    sqlite3 *rd; /* the pages' (WAL: reads beside the writes) */
    char *endpoint, *broker_key, *key;
    int timeout_ms;
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    int64_t synced_ms; /* wall time of the last whole sync, or 0 */
    uint64_t records;  /* kept since start */
};

static int s_exec (sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        jk_error (S_COMPONENT, "sql=\"%.60s\" error=\"%s\"", sql,
                  msg ? msg : "?");
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

static uint64_t s_topic_pos (jk_picks_t *self, const char *topic)
{
    sqlite3_stmt *st = NULL;
    uint64_t pos = 0;
    if (sqlite3_prepare_v2 (self->db, "SELECT pos FROM meta WHERE topic = ?",
                            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text (st, 1, topic, -1, SQLITE_STATIC);
        if (sqlite3_step (st) == SQLITE_ROW)
            pos = (uint64_t)sqlite3_column_int64 (st, 0);
    }
    sqlite3_finalize (st);
    return pos;
}

/* Keeps one record and moves the topic's position (inside the topic's
   transaction). */
static int s_keep (jk_picks_t *self, const char *topic, const jk_record_t *r)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2 (self->db,
                            "INSERT OR IGNORE INTO records (pos, bytes) "
                            "VALUES (?, ?)",
                            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64 (st, 1, (sqlite3_int64)r->pos);
        sqlite3_bind_blob (st, 2, r->bytes, (int)r->size, SQLITE_STATIC);
        rc = sqlite3_step (st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize (st);
    if (rc == 0 &&
        sqlite3_prepare_v2 (self->db,
                            "INSERT INTO meta (topic, pos) VALUES (?, ?) ON "
                            "CONFLICT (topic) DO UPDATE SET pos = "
                            "excluded.pos",
                            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text (st, 1, topic, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, (sqlite3_int64)r->pos);
        rc = sqlite3_step (st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize (st);
    }
    return rc;
}

static zsock_t *s_connect (jk_picks_t *self)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock)
        return NULL;
    zsock_set_linger (sock, 0);
    zsock_set_rcvhwm (sock, 0);
    if (jk_curve_client (sock, self->broker_key, self->key, S_COMPONENT)) {
        zsock_destroy (&sock);
        return NULL;
    }
    if (jk_endpoint_connect (sock, self->endpoint) != 0)
        zsock_destroy (&sock);
    return sock;
}

/* One topic from the cached position to the hub's head. */
static int s_sync_topic (jk_picks_t *self, zsock_t *sock, const char *topic)
{
    uint64_t from = s_topic_pos (self, topic);
    zmsg_t *msg = jk_wire_new ("SINCE");
    jk_wire_add_u64 (msg, from);
    zmsg_addstr (msg, topic);
    jk_wire_add_u64 (msg, S_CREDIT);
    if (zmsg_send (&msg, sock) != 0)
        return JK_TEMPORARY;
    uint64_t outstanding = S_CREDIT;
    if (s_exec (self->db, "BEGIN IMMEDIATE"))
        return JK_IO;
    zpoller_t *poller = zpoller_new (sock, NULL);
    int rc = JK_TEMPORARY;
    while (true) {
        if (!zpoller_wait (poller, self->timeout_ms))
            break; /* no answer: the link is down */
        msg = zmsg_recv (sock);
        char command[16];
        if (!msg || jk_wire_open (msg, command, sizeof command)) {
            zmsg_destroy (&msg);
            continue;
        }
        if (streq (command, "RECORD")) {
            jk_record_t r;
            if (jk_record_read (msg, &r) == 0 && r.pos > from &&
                streq (r.topic, topic)) {
                if (s_keep (self, topic, &r)) {
                    rc = JK_IO;
                    zmsg_destroy (&msg);
                    break;
                }
                from = r.pos;
                self->records++;
            }
            if (outstanding)
                outstanding--;
            if (outstanding <= S_CREDIT / 2) {
                zmsg_t *credit = jk_wire_new ("CREDIT");
                jk_wire_add_u64 (credit, S_CREDIT - outstanding);
                zmsg_send (&credit, sock);
                outstanding = S_CREDIT;
            }
        } else if (streq (command, "END")) {
            rc = JK_OK;
            zmsg_destroy (&msg);
            break;
        } else if (streq (command, "ERROR")) {
            char *code = zmsg_popstr (msg);
            char *text = zmsg_popstr (msg);
            jk_warn (S_COMPONENT, "query=%s topic=%s error=%s \"%s\"",
                     self->endpoint, topic, code ? code : "", text ? text : "");
            free (code);
            free (text);
            zmsg_destroy (&msg);
            break;
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    /* What arrived is kept even when the stream broke off: the next sync
       goes on from there. */
    if (s_exec (self->db, rc == JK_IO ? "ROLLBACK" : "COMMIT"))
        rc = JK_IO;
    return rc;
}

int jk_picks_sync (jk_picks_t *self)
{
    zsock_t *sock = s_connect (self);
    if (!sock)
        return JK_IO;
    int rc = JK_OK;
    for (size_t i = 0; i < S_TOPICS && rc == JK_OK; i++)
        rc = s_sync_topic (self, sock, s_topics[i]);
    zsock_destroy (&sock);
    if (rc == JK_OK) {
        pthread_mutex_lock (&self->lock);
        self->synced_ms = jk_clock_now_ms ();
        pthread_mutex_unlock (&self->lock);
    }
    return rc;
}

static void *s_run (void *arg)
{
    jk_picks_t *self = (jk_picks_t *)arg;
    jk_thread_enter (NULL);
    while (true) {
        int rc = jk_picks_sync (self);
        jk_debug (S_COMPONENT, "sync rc=%d records=%llu", rc,
                  (unsigned long long)self->records);
        struct timespec ts = jk_office_deadline (
            rc == JK_OK ? JK_PICKS_EVERY_MS : JK_PICKS_RETRY_MS);
        pthread_mutex_lock (&self->lock);
        while (!self->stopping)
            if (pthread_cond_timedwait (&self->wake, &self->lock, &ts) != 0)
                break;
        bool stop = self->stopping;
        pthread_mutex_unlock (&self->lock);
        if (stop)
            break;
    }
    return NULL;
}

jk_picks_t *jk_picks_new (const char *cache, const char *endpoint,
                          const char *broker_key, const char *key, bool start,
                          char *err, size_t err_size)
{
    jk_picks_t *self = jk_calloc (1, sizeof *self);
    self->timeout_ms = JK_PICKS_TIMEOUT_MS;
    pthread_mutex_init (&self->lock, NULL);
    jk_office_cond_init (&self->wake);
    int opened = sqlite3_open_v2 (cache, &self->db,
                                  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                      SQLITE_OPEN_FULLMUTEX,
                                  NULL);
    /* Another program's file is refused before anything is written. */
    if (opened == SQLITE_OK && jk_db_kind_check (self->db, cache, JK_DB_PICKS,
                                                 err, err_size) != JK_OK) {
        jk_picks_destroy (&self);
        return NULL;
    }
    if (opened != SQLITE_OK || s_exec (self->db, "PRAGMA journal_mode=WAL") ||
        s_exec (self->db,
                "CREATE TABLE IF NOT EXISTS records (pos INTEGER PRIMARY "
                "KEY, bytes BLOB NOT NULL);"
                "CREATE TABLE IF NOT EXISTS meta (topic TEXT PRIMARY KEY, "
                "pos INTEGER NOT NULL)") ||
        jk_db_kind_mark (self->db, JK_DB_PICKS) != JK_OK) {
        snprintf (err, err_size, "cannot use the pick list cache %s: %s", cache,
                  self->db ? sqlite3_errmsg (self->db) : "?");
        jk_picks_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, 5000);
    if (sqlite3_open_v2 (cache, &self->rd,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX,
                         NULL) != SQLITE_OK) {
        snprintf (err, err_size, "cannot read the pick list cache %s", cache);
        jk_picks_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->rd, 5000);
    self->endpoint = endpoint ? jk_strdup (endpoint) : NULL;
    self->broker_key = broker_key ? jk_strdup (broker_key) : NULL;
    self->key = key ? jk_strdup (key) : NULL;
    if (start && self->endpoint) {
        if (pthread_create (&self->thread, NULL, s_run, self) != 0) {
            snprintf (err, err_size, "cannot start the pick list thread");
            jk_picks_destroy (&self);
            return NULL;
        }
        self->running = true;
    }
    return self;
}

void jk_picks_destroy (jk_picks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_picks_t *self = *self_p;
    if (self->running) {
        pthread_mutex_lock (&self->lock);
        self->stopping = true;
        pthread_cond_signal (&self->wake);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->thread, NULL);
    }
    sqlite3_close (self->rd);
    sqlite3_close (self->db);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self->endpoint);
    free (self->broker_key);
    free (self->key);
    free (self);
    *self_p = NULL;
}

int64_t jk_picks_each (jk_picks_t *self, uint64_t after, jk_picks_fn *fn,
                       void *arg)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->rd,
                            "SELECT pos, bytes FROM records WHERE pos > ? "
                            "ORDER BY pos",
                            -1, &st, NULL) != SQLITE_OK)
        return JK_IO;
    sqlite3_bind_int64 (st, 1, (sqlite3_int64)after);
    int64_t last = (int64_t)after;
    while (sqlite3_step (st) == SQLITE_ROW) {
        last = sqlite3_column_int64 (st, 0);
        fn (arg, (uint64_t)last, sqlite3_column_blob (st, 1),
            (size_t)sqlite3_column_bytes (st, 1));
    }
    sqlite3_finalize (st);
    return last;
}

int64_t jk_picks_synced (jk_picks_t *self)
{
    pthread_mutex_lock (&self->lock);
    int64_t ms = self->synced_ms;
    pthread_mutex_unlock (&self->lock);
    return ms;
}
