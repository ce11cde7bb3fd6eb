/*  pgsink_hub.c - jejak-pgsink following a hub: catch-up from the query
    endpoint (SINCE, credit-based), the feed, the CURVE handshakes, and the
    shadow brought up to PostgreSQL at start. */
#include "jk_link.h"
#include "pgsink_internal.h"

#include <limits.h>

/* How often a sink waiting for the hub (or PostgreSQL) says so. */
#define S_WAITING_SAY_MS 5000
/* A catch-up whose stream brought nothing for this long is asked again
   from the last record taken: the hub ends a stream left without credit
   for 60 s (PROTOCOL.md, stream_idle: the sink stopped, or PostgreSQL
   slower than that) and forgets every stream when it restarts, and
   neither is said to the client. */
#define S_STREAM_SILENT_MS 5000

/* The last position taken: committed, or waiting in the batch. */
static uint64_t s_taken (jk_pgsink_t *self)
{
    zmsg_t *last = zlistx_last (self->batch);
    if (!last)
        return self->pos;
    jk_record_t r;
    jk_record_read (last, &r);
    return r.pos;
}

/* Asks for the records after the last one taken; while the hub's hash
   at the copy's position is still to be compared (verify_at), from the
   one before, so that record comes first. */
static void s_catch_up (jk_pgsink_t *self)
{
    zmsg_t *msg = jk_wire_new ("SINCE");
    jk_wire_add_u64 (msg,
                     self->verify_at ? self->verify_at - 1 : s_taken (self));
    zmsg_addstr (msg, "");
    jk_wire_add_u64 (msg, self->credit);
    self->since_at = jk_clock_mono_ms ();
    /* Never blocks (no hub connected yet, or its handshake refused): the
       follow loop asks again. */
    if (zmsg_send (&msg, self->query)) {
        zmsg_destroy (&msg);
        self->catching = false;
        return;
    }
    self->catching = true;
    self->outstanding = self->credit;
}

static void s_grant (jk_pgsink_t *self)
{
    if (!self->catching || self->outstanding > self->credit / 2)
        return;
    uint64_t more = self->credit - self->outstanding;
    zmsg_t *msg = jk_wire_new ("CREDIT");
    jk_wire_add_u64 (msg, more);
    if (zmsg_send (&msg, self->query)) {
        zmsg_destroy (&msg);
        return;
    }
    self->outstanding += more;
}

/* The hub's hash at pos (a record's, or a $head's): at the copy's
   position it must be the copy's, or the hub holds another log (said,
   other_log). Equal there, the copy's position is verified. */
static void s_check_hash (jk_pgsink_t *self, uint64_t pos, const uint8_t *hash)
{
    if (pos == 0 || pos != self->pos)
        return;
    if (memcmp (hash, self->hash, JK_HASH_SIZE)) {
        char what[96];
        snprintf (what, sizeof what, "the hub's hash at %llu is not the copy's",
                  (unsigned long long)pos);
        jk_pgsink_other_log (self, what);
    } else if (pos == self->verify_at)
        self->verify_at = 0;
}

/* The hub told a head below the position the copy had when it was
   asked (floor or head_asked_pos): its log is shorter than the copy, so
   not the one the copy was made from (a hub's log never shrinks). */
static void s_check_head (jk_pgsink_t *self, uint64_t head, uint64_t copy)
{
    if (head >= copy)
        return;
    char what[128];
    snprintf (what, sizeof what,
              "the hub's log ends at %llu, PostgreSQL's copy is at %llu",
              (unsigned long long)head, (unsigned long long)copy);
    jk_pgsink_other_log (self, what);
}

/* Asks the hub's HEAD (at most one outstanding; again after 10 s),
   remembering the copy's position of the first ask. */
static void s_ask_head (jk_pgsink_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    if (self->head_asked_at && now - self->head_asked_at < 10000)
        return;
    zmsg_t *msg = jk_wire_new ("HEAD");
    if (zmsg_send (&msg, self->query)) {
        zmsg_destroy (&msg);
        return;
    }
    if (!self->head_asked_at)
        self->head_asked_pos = self->pos;
    self->head_asked_at = now;
}

/* Takes a record message (owned) if it is the next position; the one
   at verify_at is compared (s_check_hash), not taken. */
static void s_take (jk_pgsink_t *self, zmsg_t **msg_p)
{
    jk_record_t r;
    if (jk_record_read (*msg_p, &r)) {
        zmsg_destroy (msg_p);
        return;
    }
    if (self->verify_at && r.pos == self->verify_at) {
        s_check_hash (self, r.pos, r.hash);
        zmsg_destroy (msg_p);
        return;
    }
    if (r.pos != s_taken (self) + 1 || (self->limit && r.pos > self->limit)) {
        zmsg_destroy (msg_p);
        return;
    }
    zlistx_add_end (self->batch, *msg_p);
    *msg_p = NULL;
}

static void s_on_query (jk_pgsink_t *self)
{
    zmsg_t *msg = zmsg_recv (self->query);
    char command[16];
    if (!msg || jk_wire_open (msg, command, sizeof command)) {
        zmsg_destroy (&msg);
        return;
    }
    if (streq (command, "RECORD")) {
        if (self->outstanding)
            self->outstanding--;
        s_take (self, &msg);
        s_grant (self);
    } else if (streq (command, "END")) {
        uint64_t head = 0;
        jk_wire_pop_u64 (msg, &head);
        if (head > self->hub_head)
            self->hub_head = head;
        self->head_known = true;
        self->catching = false;
        /* Every END comes after this run attached: a log never shorter
           than the copy was then. */
        if (self->floor_set)
            s_check_head (self, head, self->floor);
    } else if (streq (command, "HEAD") && self->head_asked_at) {
        uint64_t head = 0;
        zframe_t *hash = NULL;
        if (!jk_wire_pop_u64 (msg, &head) && (hash = zmsg_pop (msg)) &&
            zframe_size (hash) == JK_HASH_SIZE) {
            s_check_head (self, head, self->head_asked_pos);
            s_check_hash (self, head, zframe_data (hash));
        }
        zframe_destroy (&hash);
        self->head_asked_at = 0;
    } else if (streq (command, "ERROR")) {
        char *code = zmsg_popstr (msg);
        char *text = zmsg_popstr (msg);
        jk_warn (S_COMPONENT, "query: %s %s", code ? code : "",
                 text ? text : "");
        free (code);
        free (text);
        self->catching = false;
    }
    zmsg_destroy (&msg);
}

static void s_on_feed (jk_pgsink_t *self)
{
    zmsg_t *msg = zmsg_recv (self->feed);
    jk_record_t r;
    if (!msg || jk_record_read (msg, &r)) {
        zmsg_destroy (&msg);
        return;
    }
    if (r.pos > self->hub_head)
        self->hub_head = r.pos;
    self->head_known = true;
    if (streq (r.topic, JK_FEED_HEAD)) {
        /* At the copy's position its hash must be the copy's; below it,
           a $head from before the sink got there (the feed read behind
           a catch-up), or a hub whose log is shorter: HEAD tells. */
        s_check_hash (self, r.pos, r.hash);
        if (r.pos < self->pos)
            s_ask_head (self);
        zmsg_destroy (&msg);
        if (!self->catching && r.pos > s_taken (self))
            s_catch_up (self);
        return;
    }
    if (self->catching) {
        zmsg_destroy (&msg); /* the stream brings it */
        return;
    }
    if (r.pos > s_taken (self) + 1) {
        zmsg_destroy (&msg); /* a gap: fill it from the query endpoint */
        s_catch_up (self);
        return;
    }
    s_take (self, &msg);
}

/* One handshake event of the query or feed socket. A refusal (a key the
   hub does not admit, the other mechanism), or three handshakes in a row
   ended without a reason, stop the sink with the reason said: it would
   read nothing, and a supervisor's restart finds the key once it is
   enrolled. */
static void s_on_watch (jk_pgsink_t *self, zsock_t *watch, const char *which)
{
    char reason[256];
    int rc = jk_curve_watch_read (watch, self->secure, reason, sizeof reason);
    if (rc > 0)
        self->failures = 0;
    else if (rc < 0 && (rc == -2 || ++self->failures >= 3)) {
        jk_error (S_COMPONENT, "%s: %s; nothing was read, stopping", which,
                  reason);
        self->refused = true;
    }
}

/* Waits up to timeout_ms for the query endpoint, the feed (when feed is
   true) or a handshake event; handles it and returns the socket that had
   a message (the hub heard from), NULL otherwise. */
static zsock_t *s_wait (jk_pgsink_t *self, zpoller_t *poller, int timeout_ms)
{
    void *which = zpoller_wait (poller, timeout_ms);
    if (which == self->query_watch)
        s_on_watch (self, self->query_watch, "--query");
    else if (which == self->feed_watch)
        s_on_watch (self, self->feed_watch, "--feed");
    else if (which == self->query || which == self->feed) {
        self->heard_at = jk_clock_mono_ms ();
        if (which == self->query)
            self->query_at = self->heard_at;
        return which;
    }
    return NULL;
}

/* Starts counting the hub's silence (a wait for its answers begins). */
static void s_listen (jk_pgsink_t *self)
{
    self->heard_at = self->waited_at = jk_clock_mono_ms ();
}

/* Called while nothing comes from the hub. A --once run (or rebuild)
   gives up after --timeout: said, true (the caller stops with
   JK_PGSINK_EXIT_TIMEOUT). Until then, and for as long as it takes when
   following (a daemon waits for its hub), the wait is said every
   S_WAITING_SAY_MS: a hub that is down or an endpoint that is wrong is
   seen in the log, not guessed from a sink that says nothing. */
static bool s_hub_silent (jk_pgsink_t *self)
{
    int64_t now = jk_clock_mono_ms ();
    int64_t silent = now - self->heard_at;
    if (self->once && silent >= self->timeout_ms) {
        jk_error (S_COMPONENT,
                  "no answer from the hub at --query %s or --feed %s within "
                  "%lld s (--timeout): stopped before being caught up (is "
                  "jejak-hub running there?)",
                  self->query_endpoint, self->feed_endpoint,
                  (long long)(self->timeout_ms / 1000));
        return true;
    }
    if (silent >= S_WAITING_SAY_MS &&
        now - self->waited_at >= S_WAITING_SAY_MS) {
        self->waited_at = now;
        jk_warn (S_COMPONENT,
                 "no answer from the hub at --query %s or --feed %s for %lld "
                 "s: waiting (is jejak-hub running there?)",
                 self->query_endpoint, self->feed_endpoint,
                 (long long)(silent / 1000));
    }
    return false;
}

static zpoller_t *s_poller (jk_pgsink_t *self, bool feed)
{
    zpoller_t *poller = zpoller_new (self->query, NULL);
    if (feed)
        zpoller_add (poller, self->feed);
    if (self->query_watch)
        zpoller_add (poller, self->query_watch);
    if (self->feed_watch)
        zpoller_add (poller, self->feed_watch);
    return poller;
}

/* The hub's STATS text, asked every second until it answers (a hub not
   up yet, or restarting; with --once for --timeout); NULL when the
   handshake was refused, the program was stopped or (*timed_out set) the
   hub did not answer in time. */
static char *s_hub_stats (jk_pgsink_t *self, bool *timed_out)
{
    zpoller_t *poller = s_poller (self, false);
    char *text = NULL;
    int64_t asked = 0;
    s_listen (self);
    while (!text && !zsys_interrupted && !self->refused) {
        if (jk_clock_mono_ms () - asked >= 1000) {
            zmsg_t *ask = jk_wire_new ("STATS");
            if (zmsg_send (&ask, self->query))
                zmsg_destroy (&ask);
            asked = jk_clock_mono_ms ();
        }
        if (s_wait (self, poller, 100) != self->query) {
            if ((*timed_out = s_hub_silent (self)))
                break;
            continue;
        }
        zmsg_t *msg = zmsg_recv (self->query);
        char command[16];
        if (msg && !jk_wire_open (msg, command, sizeof command) &&
            streq (command, "STATS"))
            text = zmsg_popstr (msg);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return text;
}

int jk_pgsink_hub_settings (jk_pgsink_t *self)
{
    bool timed_out = false;
    char *stats = s_hub_stats (self, &timed_out);
    if (!stats) /* refused, or not answered in time (said), or stopped */
        return timed_out ? JK_PGSINK_EXIT_TIMEOUT : 1;
    jk_log_settings_t hub;
    int rc = jk_log_settings_from_stats (stats, &hub);
    free (stats);
    if (rc == JK_INVALID) {
        jk_error (S_COMPONENT, "the hub's STATS give a region or RAT deadline "
                               "this sink cannot read: nothing applied");
        return 1;
    }
    /* The region in use so far: --region's, else the Cianjur default. */
    jk_log_settings_t *use = &self->settings;
    snprintf (use->area, sizeof use->area, "%s",
              jk_region_regency (jk_region_default ()));
    use->rat_deadline_months = self->months_given ? self->months_flag : 6;
    if (rc == JK_NOT_FOUND)
        jk_warn (S_COMPONENT,
                 "the hub does not say its region and RAT deadline (STATS "
                 "without region= and rat_deadline_months=): applying with "
                 "region %s and %d months (give the hub's --region and "
                 "--rat-deadline-months)",
                 use->area, use->rat_deadline_months);
    else {
        if (strcmp (hub.area, use->area) != 0 && self->region_given)
            jk_warn (S_COMPONENT,
                     "--region %s is not the hub's region %s: applying with "
                     "%s as told",
                     use->area, hub.area, use->area);
        else if (strcmp (hub.area, use->area) != 0) {
            char err[512];
            self->region =
                jk_region_load_default_dir (hub.area, err, sizeof err);
            if (!self->region) {
                jk_error (S_COMPONENT, "the hub's region %s: %s", hub.area,
                          err);
                return 1;
            }
            /* The shadow is made, seeded and applied with it (as
               province.c does for each regency). */
            jk_region_use (self->region);
            snprintf (use->area, sizeof use->area, "%s", hub.area);
        }
        if (!self->months_given)
            use->rat_deadline_months = hub.rat_deadline_months;
        else if (hub.rat_deadline_months != use->rat_deadline_months)
            jk_warn (S_COMPONENT,
                     "--rat-deadline-months %d is not the hub's %d: applying "
                     "with %d as told",
                     use->rat_deadline_months, hub.rat_deadline_months,
                     use->rat_deadline_months);
    }
    jk_info (S_COMPONENT,
             "applying with region %s and a RAT deadline of %d months",
             use->area, use->rat_deadline_months);
    return 0;
}

/* Brings the shadow up to PostgreSQL's position (a crash between the two
   commits, or a shadow made anew): first the hub's hash at that position
   is compared with PostgreSQL's (SINCE from the one before), so a hub
   with another log leaves the shadow as it was; then the missing records
   are read with SINCE and applied to the shadow only, each continuing
   the chain. There is no limit on how long that takes while the hub
   answers; a silent hub is waited for as s_hub_silent says. 0, 1 (said,
   or stopped) or JK_PGSINK_EXIT_TIMEOUT (said). */
static int s_reconcile (jk_pgsink_t *self, uint64_t pg_pos)
{
    uint8_t shadow_hash[JK_HASH_SIZE];
    uint64_t shadow = 0;
    if (!jk_pgsink_shadow_position (self, &shadow, shadow_hash))
        return 1; /* said */
    if (shadow > pg_pos) {
        jk_error (S_COMPONENT,
                  "the shadow is at %llu, PostgreSQL at %llu: PostgreSQL "
                  "was restored from an older backup; run jejak-pgsink "
                  "rebuild",
                  (unsigned long long)shadow, (unsigned long long)pg_pos);
        return 1;
    }
    if (shadow == pg_pos) {
        /* Where PostgreSQL stands the shadow must hold the same log. */
        if (shadow > 0 && memcmp (shadow_hash, self->hash, JK_HASH_SIZE)) {
            jk_pgsink_other_shadow (self, shadow);
            return 1;
        }
        return 0;
    }
    jk_info (S_COMPONENT,
             "shadow at %llu, PostgreSQL at %llu: catching up "
             "the shadow",
             (unsigned long long)shadow, (unsigned long long)pg_pos);
    /* self->pos and self->hash are PostgreSQL's until verified. */
    self->verify_at = pg_pos;
    self->limit = pg_pos;
    self->head_known = false;
    s_listen (self);
    s_catch_up (self);
    zpoller_t *poller = s_poller (self, false);
    int status = 0;
    bool verified = false;
    while (!status && (!verified || self->pos < pg_pos)) {
        if (zsys_interrupted || self->refused) {
            status = 1; /* a refusal is said */
            break;
        }
        int64_t before = jk_clock_mono_ms ();
        if (s_wait (self, poller, 500))
            s_on_query (self);
        else if (s_hub_silent (self))
            status = JK_PGSINK_EXIT_TIMEOUT;
        else if (!self->catching && jk_clock_mono_ms () - before >= 500)
            s_catch_up (self);
        if (!status && self->other_log)
            status = 1; /* said: another hash there, or a shorter log */
        if (!status && !verified && !self->verify_at) {
            verified = true; /* now from the shadow's own position */
            self->pos = shadow;
            memcpy (self->hash, shadow_hash, JK_HASH_SIZE);
            s_catch_up (self);
            continue;
        }
        if (!status && verified &&
            (zlistx_size (self->batch) >= S_BATCH ||
             s_taken (self) >= pg_pos)) {
            if (!jk_pgsink_flush (self, false))
                status = 1;  /* said: a record that does not continue the
                                chain, or the shadow not written */
            s_listen (self); /* the sink's own work is not the hub's
                                silence */
        }
    }
    zpoller_destroy (&poller);
    zlistx_purge (self->batch);
    self->limit = 0;
    self->verify_at = 0;
    return status;
}

/* A fresh sink (position 0): the rows the projections' migrations seed
   (every kecamatan's summary row ...) go to PostgreSQL as they are in the
   shadow, in one transaction; later batches carry only changes. */
/* The shadow's table name could not be read to seed PostgreSQL: says
   so (the file, the table and SQLite's reason), and returns false. */
static bool s_seed_unread (jk_pgsink_t *self, const char *name)
{
    char line[PATH_MAX * 2 + 512];
    char *what = jk_sprintf ("its table %s, to seed PostgreSQL's", name);
    jk_error (S_COMPONENT, "%s",
              jk_link_shadow_failure (self->shadow, NULL, "read", what, line,
                                      sizeof line));
    free (what);
    self->shadow_failed = true;
    return false;
}

static bool s_pg_seed (jk_pgsink_t *self)
{
    bool ok = jk_pgsink_pg_exec (self, "BEGIN");
    for (size_t t = 0; ok && t < self->ntables; t++) {
        jk_table_info_t *tab = &self->tables[t];
        char *del = jk_sprintf ("DELETE FROM %s", tab->name);
        ok = jk_pgsink_pg_exec (self, del);
        free (del);
        char *sql = jk_sprintf ("SELECT * FROM %s", tab->name);
        sqlite3_stmt *st = NULL;
        int rc = ok ? sqlite3_prepare_v2 (self->shadow, sql, -1, &st, NULL)
                    : SQLITE_OK;
        free (sql);
        char *ins = jk_sprintf ("INSERT INTO %s VALUES (", tab->name);
        for (int c = 0; c < tab->ncols; c++) {
            char *next = jk_sprintf ("%s%s$%d", ins, c ? ", " : "", c + 1);
            free (ins);
            ins = next;
        }
        char *next = jk_sprintf ("%s)", ins);
        free (ins);
        ins = next;
        while (ok && rc == SQLITE_OK &&
               (rc = sqlite3_step (st)) == SQLITE_ROW) {
            rc = SQLITE_OK;
            char *params[128];
            for (int c = 0; c < tab->ncols; c++)
                params[c] = jk_pgsink_param (sqlite3_column_value (st, c));
            PGresult *res =
                PQexecParams (self->pg, ins, tab->ncols, NULL,
                              (const char *const *)params, NULL, NULL, 0);
            ok = jk_pgsink_pg_ok (res);
            if (!ok)
                jk_error (S_COMPONENT, "PostgreSQL %s: %s", tab->name,
                          PQerrorMessage (self->pg));
            PQclear (res);
            for (int c = 0; c < tab->ncols; c++)
                free (params[c]);
        }
        sqlite3_finalize (st);
        free (ins);
        if (ok && rc != SQLITE_OK && rc != SQLITE_DONE)
            ok = s_seed_unread (self, tab->name);
    }
    ok = ok && jk_pgsink_pg_exec (self, "COMMIT");
    if (!ok) {
        PGresult *res = PQexec (self->pg, "ROLLBACK");
        PQclear (res);
    }
    return ok;
}

int jk_pgsink_pg_backoff (jk_pgsink_t *self, int64_t since, int64_t *wait)
{
    int64_t waited = jk_clock_mono_ms () - since;
    if (self->once && waited >= self->timeout_ms) {
        jk_error (S_COMPONENT,
                  "PostgreSQL (--pg) did not answer within %lld s "
                  "(--timeout): stopped before being caught up",
                  (long long)(self->timeout_ms / 1000));
        return JK_PGSINK_EXIT_TIMEOUT;
    }
    if (self->once && *wait > self->timeout_ms - waited)
        *wait = self->timeout_ms - waited;
    zclock_sleep ((int)*wait);
    *wait = *wait * 2 > 5000 ? 5000 : *wait * 2;
    return 0;
}

int jk_pgsink_pg_wait (jk_pgsink_t *self)
{
    int64_t since = jk_clock_mono_ms ();
    int64_t wait = 200;
    while (!zsys_interrupted) {
        if (jk_pgsink_pg_connect (self)) {
            int rc = jk_pgsink_pg_settings (self);
            if (rc == JK_INVALID)
                return 1; /* said */
            if (rc == JK_OK &&
                jk_pgsink_pg_position (self, &self->pos, self->hash))
                return 0;
        }
        int rc = jk_pgsink_pg_backoff (self, since, &wait);
        if (rc)
            return rc;
    }
    return 1;
}

/* Connects PostgreSQL (jk_pgsink_pg_wait), reads the position and brings
   the shadow to it; a new copy gets the shadow's seeded rows. 0, or the
   exit status (said). */
static int s_attach (jk_pgsink_t *self)
{
    for (;;) {
        int status = jk_pgsink_pg_wait (self);
        if (!status && !self->floor_set) {
            self->floor = self->pos; /* the copy's position at the start */
            self->floor_set = true;
        }
        if (!status)
            status = s_reconcile (self, self->pos);
        if (status)
            return status;
        if (self->pos > 0 || s_pg_seed (self)) {
            jk_info (S_COMPONENT, "PostgreSQL at position %llu",
                     (unsigned long long)self->pos);
            return 0;
        }
        if (self->once || self->shadow_failed)
            return 1;        /* said */
        zclock_sleep (1000); /* PostgreSQL went away: connect again */
    }
}

int jk_pgsink_follow (jk_pgsink_t *self, bool once)
{
    int status = s_attach (self);
    if (status)
        return status;
    self->head_known = false;
    /* The hub's hash at the copy's position is compared first: SINCE from
       the one before brings it (s_take), or the hub's END tells a log that
       ends before it (s_check_head). */
    self->verify_at = self->pos;
    s_listen (self);
    s_catch_up (self);
    zpoller_t *poller = s_poller (self, true);
    int64_t last_log = jk_clock_mono_ms ();
    while (!zsys_interrupted) {
        zsock_t *which = s_wait (self, poller, 50);
        if (which == self->query)
            s_on_query (self);
        else if (which == self->feed)
            s_on_feed (self);
        if (self->refused || self->other_log) {
            status = 1; /* said above */
            break;
        }
        bool idle = which == NULL;
        if (zlistx_size (self->batch) >= S_BATCH ||
            (zlistx_size (self->batch) && (idle || !self->catching))) {
            if (!jk_pgsink_flush (self, true)) {
                if (self->other_log || self->shadow_failed) {
                    status = 1; /* said; the shadow rolled back */
                    break;
                }
                jk_warn (S_COMPONENT, "PostgreSQL failed: reconnecting");
                if ((status = s_attach (self)))
                    break;
                s_catch_up (self);
            }
            s_listen (self); /* the sink's own work is not the hub's
                                silence */
        }
        /* Caught up: at the head the hub told (0 for an empty log). */
        if (once && !self->catching && !zlistx_size (self->batch) &&
            self->head_known && !self->verify_at && self->pos >= self->hub_head)
            break;
        if (idle && s_hub_silent (self)) {
            status = JK_PGSINK_EXIT_TIMEOUT;
            break;
        }
        if (idle && self->catching &&
            jk_clock_mono_ms () - (self->query_at > self->since_at
                                       ? self->query_at
                                       : self->since_at) >=
                S_STREAM_SILENT_MS) {
            jk_warn (S_COMPONENT,
                     "the hub's stream brought nothing for %d s at position "
                     "%llu: asked again",
                     S_STREAM_SILENT_MS / 1000,
                     (unsigned long long)s_taken (self));
            s_catch_up (self);
        }
        if (idle && !self->catching &&
            (self->pos < self->hub_head ||
             ((!self->head_known || self->verify_at) &&
              jk_clock_mono_ms () - self->since_at >= 1000)))
            s_catch_up (self);
        if (jk_clock_mono_ms () - last_log >= 10000) {
            last_log = jk_clock_mono_ms ();
            jk_info (S_COMPONENT,
                     "pos=%llu hub_head=%llu lag=%llu written=%llu "
                     "batches=%llu pg_errors=%llu",
                     (unsigned long long)self->pos,
                     (unsigned long long)self->hub_head,
                     (unsigned long long)(self->hub_head > self->pos
                                              ? self->hub_head - self->pos
                                              : 0),
                     (unsigned long long)self->written,
                     (unsigned long long)self->batches,
                     (unsigned long long)self->pg_errors);
        }
    }
    zpoller_destroy (&poller);
    printf ("jejak-pgsink pos=%llu written=%llu\n",
            (unsigned long long)self->pos, (unsigned long long)self->written);
    return status;
}
