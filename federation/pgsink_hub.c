/*  pgsink_hub.c - jejak-pgsink following a hub: catch-up from the query
    endpoint (SINCE, credit-based), the feed, the CURVE handshakes, and the
    shadow brought up to PostgreSQL at start. */
#include "pgsink_internal.h"

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

static void s_catch_up (jk_pgsink_t *self)
{
    zmsg_t *msg = jk_wire_new ("SINCE");
    jk_wire_add_u64 (msg, s_taken (self));
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

/* Takes a record message (owned) if it is the next position. */
static void s_take (jk_pgsink_t *self, zmsg_t **msg_p)
{
    jk_record_t r;
    if (jk_record_read (*msg_p, &r) || r.pos != s_taken (self) + 1 ||
        (self->limit && r.pos > self->limit)) {
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
        self->catching = false;
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
    if (streq (r.topic, JK_FEED_HEAD)) {
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
   a message, NULL otherwise. */
static zsock_t *s_wait (jk_pgsink_t *self, zpoller_t *poller, int timeout_ms)
{
    void *which = zpoller_wait (poller, timeout_ms);
    if (which == self->query_watch)
        s_on_watch (self, self->query_watch, "--query");
    else if (which == self->feed_watch)
        s_on_watch (self, self->feed_watch, "--feed");
    else if (which == self->query || which == self->feed)
        return which;
    return NULL;
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
   up yet, or restarting); NULL when the handshake was refused or the
   program was stopped. */
static char *s_hub_stats (jk_pgsink_t *self)
{
    zpoller_t *poller = s_poller (self, false);
    char *text = NULL;
    int64_t asked = 0;
    while (!text && !zsys_interrupted && !self->refused) {
        if (jk_clock_mono_ms () - asked >= 1000) {
            zmsg_t *ask = jk_wire_new ("STATS");
            if (zmsg_send (&ask, self->query))
                zmsg_destroy (&ask);
            asked = jk_clock_mono_ms ();
        }
        if (s_wait (self, poller, 100) != self->query)
            continue;
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

bool jk_pgsink_hub_settings (jk_pgsink_t *self)
{
    char *stats = s_hub_stats (self);
    if (!stats)
        return false; /* refused (said) or stopped */
    jk_log_settings_t hub;
    int rc = jk_log_settings_from_stats (stats, &hub);
    free (stats);
    if (rc == JK_INVALID) {
        jk_error (S_COMPONENT, "the hub's STATS give a region or RAT deadline "
                               "this sink cannot read: nothing applied");
        return false;
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
                return false;
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
    return true;
}

/* Brings the shadow up to PostgreSQL's position (a crash between the two
   commits): the missing records are read with SINCE and applied to the
   shadow only. */
static bool s_reconcile (jk_pgsink_t *self, uint64_t pg_pos)
{
    uint64_t shadow = jk_pgsink_shadow_position (self);
    if (shadow > pg_pos) {
        jk_error (S_COMPONENT,
                  "the shadow is at %llu, PostgreSQL at %llu: PostgreSQL "
                  "was restored from an older backup; run jejak-pgsink "
                  "rebuild",
                  (unsigned long long)shadow, (unsigned long long)pg_pos);
        return false;
    }
    if (shadow == pg_pos)
        return true;
    jk_info (S_COMPONENT,
             "shadow at %llu, PostgreSQL at %llu: catching up "
             "the shadow",
             (unsigned long long)shadow, (unsigned long long)pg_pos);
    sqlite3_stmt *st;
    sqlite3_prepare_v2 (self->shadow, "SELECT hash FROM sink_position", -1, &st,
                        NULL);
    sqlite3_step (st);
    memcpy (self->hash, sqlite3_column_blob (st, 0), JK_HASH_SIZE);
    sqlite3_finalize (st);
    self->pos = shadow;
    self->limit = pg_pos;
    s_catch_up (self);
    zpoller_t *poller = s_poller (self, false);
    int64_t deadline = jk_clock_mono_ms () + 120000;
    while (!zsys_interrupted && !self->refused && self->pos < pg_pos &&
           jk_clock_mono_ms () < deadline) {
        int64_t before = jk_clock_mono_ms ();
        if (s_wait (self, poller, 500))
            s_on_query (self);
        else if (!self->catching && jk_clock_mono_ms () - before >= 500)
            s_catch_up (self);
        if (zlistx_size (self->batch) >= S_BATCH || s_taken (self) >= pg_pos)
            jk_pgsink_flush (self, false);
    }
    zpoller_destroy (&poller);
    self->limit = 0;
    return self->pos == pg_pos;
}

/* A fresh sink (position 0): the rows the projections' migrations seed
   (every kecamatan's summary row ...) go to PostgreSQL as they are in the
   shadow, in one transaction; later batches carry only changes. */
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
        sqlite3_prepare_v2 (self->shadow, sql, -1, &st, NULL);
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
        while (ok && sqlite3_step (st) == SQLITE_ROW) {
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
    }
    ok = ok && jk_pgsink_pg_exec (self, "COMMIT");
    if (!ok) {
        PGresult *res = PQexec (self->pg, "ROLLBACK");
        PQclear (res);
    }
    return ok;
}

/* Connects PostgreSQL (retrying until it answers or the program is
   stopped), reads the position and brings the shadow to it. */
static bool s_attach (jk_pgsink_t *self)
{
    int64_t wait = 200;
    while (!zsys_interrupted) {
        if (jk_pgsink_pg_connect (self) &&
            jk_pgsink_pg_position (self, &self->pos, self->hash)) {
            if (!s_reconcile (self, self->pos))
                return false;
            if (self->pos > 0 || s_pg_seed (self)) {
                jk_info (S_COMPONENT, "PostgreSQL at position %llu",
                         (unsigned long long)self->pos);
                return true;
            }
        }
        zclock_sleep ((int)wait);
        wait = wait * 2 > 5000 ? 5000 : wait * 2;
    }
    return false;
}

int jk_pgsink_follow (jk_pgsink_t *self, bool once)
{
    if (!s_attach (self))
        return 1;
    s_catch_up (self);
    zpoller_t *poller = s_poller (self, true);
    int64_t last_log = jk_clock_mono_ms ();
    int status = 0;
    while (!zsys_interrupted) {
        zsock_t *which = s_wait (self, poller, 50);
        if (which == self->query)
            s_on_query (self);
        else if (which == self->feed)
            s_on_feed (self);
        if (self->refused) {
            status = 1; /* said above */
            break;
        }
        bool idle = which == NULL;
        if (zlistx_size (self->batch) >= S_BATCH ||
            (zlistx_size (self->batch) && (idle || !self->catching))) {
            if (!jk_pgsink_flush (self, true)) {
                jk_warn (S_COMPONENT, "PostgreSQL failed: reconnecting");
                if (!s_attach (self)) {
                    status = 1;
                    break;
                }
                s_catch_up (self);
            }
        }
        if (once && !self->catching && !zlistx_size (self->batch) &&
            self->hub_head && self->pos >= self->hub_head)
            break;
        if (idle && !self->catching &&
            (self->pos < self->hub_head ||
             (!self->hub_head && jk_clock_mono_ms () - self->since_at >= 1000)))
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
