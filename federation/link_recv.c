/* Whole at ~860 lines: one actor, its command handlers share one s_recv_t. */
/*  link_recv.c - the receiving end of the upstream link (jk_link.h): a
    ROUTER the regency (or province) senders connect to, CURVE with link
    keys bound to an area in secure mode. Every record must continue its
    origin's chain: position one past the last stored, hash recomputed
    equal to the one carried, time never going back; the first that does
    not is refused and reported (what is wrong and where), and nothing from
    it on is stored. Accepted records go into the copy, each with a record
    in the arrival log (chained), the origin's head and the link's cursor,
    all in one transaction per RECORDS message: exactly once by (origin,
    origin position) whatever crashes when. A regency's signed checkpoint,
    relayed by its sender, is checked against the copy's tree
    (link_tree.c); a fork stops the copy of that origin. The RAT deadline
    months a record carries are its origin's for good (origin_settings):
    other months than those recorded are refused. */
#include "jk_base.h"
#include "jk_endpoint.h"
#include "jk_keys.h"
#include "jk_link.h"
#include "jk_note.h"
#include "jk_wire.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPONENT "link"

typedef struct {
    char origin[JK_LINK_AREA_MAX];
    uint64_t pos;
    uint8_t hash[JK_HASH_SIZE];
    int64_t recorded_at;
    int months; /* the RAT deadline months recorded (0: none yet) */
} s_origin_t;

typedef struct {
    char area[JK_LINK_AREA_MAX];
    uint64_t cursor;    /* last sender position stored */
    int64_t last_at;    /* recorded_at of the last record stored */
    uint64_t head;      /* the sender's head, as it last said */
    int64_t head_at;    /* recorded_at at the sender's head */
    uint64_t session;   /* current session; 0: none (refused, or never) */
    zframe_t *rid;      /* routing id of the current connection */
    int64_t last_heard; /* monotonic ms */
    uint64_t stored;    /* records stored through this link since start */
    uint64_t refused;   /* refusals */
    char last_refusal[160];
} s_link_t;

typedef struct {
    zsock_t *pipe;
    zsock_t *router;
    zactor_t *auth;
    zcert_t *cert;
    jk_keyring_t *keyring;
    sqlite3 *db;
    jk_chain_t *chain;
    jk_link_trees_t *trees; /* the copy's trees, checkpoints, forks */
    zhashx_t *origins;      /* origin -> s_origin_t */
    zhashx_t *links;        /* area -> s_link_t */
    uint64_t window;
    uint64_t arrival_pos;
    uint8_t arrival_hash[JK_HASH_SIZE];
    uint64_t next_session;
    sqlite3_stmt *ins_copy, *ins_arrival, *put_origin, *put_link, *put_fault,
        *put_settings;
    /* counters */
    uint64_t records, messages, refused, stale, forbidden, protocol_errors,
        io_errors;
    char user_id[64]; /* User-Id of the message being handled */
    bool terminated;
} s_recv_t;

static void s_link_free (void **item)
{
    s_link_t *link = *item;
    if (link) {
        zframe_destroy (&link->rid);
        free (link);
    }
    *item = NULL;
}

static void s_free (void **item)
{
    free (*item);
    *item = NULL;
}

static s_link_t *s_link (s_recv_t *self, const char *area)
{
    s_link_t *link = zhashx_lookup (self->links, area);
    if (!link) {
        link = jk_calloc (1, sizeof *link);
        snprintf (link->area, sizeof link->area, "%s", area);
        zhashx_insert (self->links, area, link);
    }
    return link;
}

static s_origin_t *s_origin (s_recv_t *self, const char *origin)
{
    s_origin_t *o = zhashx_lookup (self->origins, origin);
    if (!o) {
        o = jk_calloc (1, sizeof *o);
        snprintf (o->origin, sizeof o->origin, "%s", origin);
        zhashx_insert (self->origins, origin, o);
    }
    return o;
}

/* (Re)loads heads, cursors and trees from the database: at start and
   after a failed transaction, so memory never runs ahead of the file.
   JK_OK or JK_IO (the trees could not be read). */
static int s_load_state (s_recv_t *self)
{
    zhashx_purge (self->origins);
    sqlite3_stmt *stmt;
    sqlite3_prepare_v2 (self->db,
                        "SELECT origin, pos, hash, recorded_at FROM "
                        "origin_head",
                        -1, &stmt, NULL);
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        s_origin_t *o =
            s_origin (self, (const char *)sqlite3_column_text (stmt, 0));
        o->pos = (uint64_t)sqlite3_column_int64 (stmt, 1);
        if (sqlite3_column_bytes (stmt, 2) == JK_HASH_SIZE)
            memcpy (o->hash, sqlite3_column_blob (stmt, 2), JK_HASH_SIZE);
        o->recorded_at = sqlite3_column_int64 (stmt, 3);
    }
    sqlite3_finalize (stmt);
    sqlite3_prepare_v2 (self->db,
                        "SELECT origin, rat_deadline_months FROM "
                        "origin_settings",
                        -1, &stmt, NULL);
    while (sqlite3_step (stmt) == SQLITE_ROW)
        s_origin (self, (const char *)sqlite3_column_text (stmt, 0))->months =
            sqlite3_column_int (stmt, 1);
    sqlite3_finalize (stmt);
    for (s_link_t *link = zhashx_first (self->links); link;
         link = zhashx_next (self->links))
        link->cursor = 0;
    sqlite3_prepare_v2 (self->db, "SELECT area, cursor, last_at FROM link", -1,
                        &stmt, NULL);
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        s_link_t *link =
            s_link (self, (const char *)sqlite3_column_text (stmt, 0));
        link->cursor = (uint64_t)sqlite3_column_int64 (stmt, 1);
        link->last_at = sqlite3_column_int64 (stmt, 2);
    }
    sqlite3_finalize (stmt);
    self->arrival_pos = 0;
    memset (self->arrival_hash, 0, JK_HASH_SIZE);
    sqlite3_prepare_v2 (self->db,
                        "SELECT pos, hash FROM arrival ORDER BY pos DESC "
                        "LIMIT 1",
                        -1, &stmt, NULL);
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        self->arrival_pos = (uint64_t)sqlite3_column_int64 (stmt, 0);
        memcpy (self->arrival_hash, sqlite3_column_blob (stmt, 1),
                JK_HASH_SIZE);
    }
    sqlite3_finalize (stmt);
    if (jk_link_trees_load (self->trees) == JK_OK)
        return JK_OK;
    jk_error (S_COMPONENT, "cannot read the copy's trees: %s",
              sqlite3_errmsg (self->db));
    return JK_IO;
}

static void s_send (s_recv_t *self, zframe_t *rid, zmsg_t *msg)
{
    zmsg_prepend (msg, &(zframe_t *){zframe_dup (rid)});
    zmsg_send (&msg, self->router);
}

/* ---- refusals -------------------------------------------------------------
 */

typedef struct {
    char code[32];
    char origin[JK_LINK_AREA_MAX];
    uint64_t pos;
    char message[1024];
} s_refusal_t;

static void s_refuse (s_refusal_t *r, const char *code, const char *origin,
                      uint64_t pos, const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));

static void s_refuse (s_refusal_t *r, const char *code, const char *origin,
                      uint64_t pos, const char *format, ...)
{
    snprintf (r->code, sizeof r->code, "%s", code);
    snprintf (r->origin, sizeof r->origin, "%s", origin);
    r->pos = pos;
    va_list ap;
    va_start (ap, format);
    vsnprintf (r->message, sizeof r->message, format, ap);
    va_end (ap);
}

/* Sends REFUSED, counts it, logs it, and ends the link's session: records
   still in flight are stale and the sender must LINK again. */
static void s_send_refusal (s_recv_t *self, s_link_t *link, zframe_t *rid,
                            uint64_t session, const s_refusal_t *r)
{
    self->refused++;
    if (streq (r->code, "E_FORBIDDEN"))
        self->forbidden++;
    if (link) {
        link->refused++;
        link->session = 0;
        snprintf (link->last_refusal, sizeof link->last_refusal, "%s@%s:%llu",
                  r->code, r->origin, (unsigned long long)r->pos);
    }
    jk_error (S_COMPONENT, "refused link=%s origin=%s pos=%llu code=%s: %s",
              link ? link->area : "-", r->origin, (unsigned long long)r->pos,
              r->code, r->message);
    zmsg_t *msg = jk_wire_new ("REFUSED");
    jk_wire_add_u64 (msg, session);
    zmsg_addstr (msg, r->code);
    zmsg_addstr (msg, r->origin);
    jk_wire_add_u64 (msg, r->pos);
    zmsg_addstr (msg, r->message);
    s_send (self, rid, msg);
}

/* The link key of this connection (secure mode), or NULL with a refusal. */
static const jk_key_t *s_key (s_recv_t *self, const char *area,
                              s_refusal_t *refusal)
{
    const char *user = self->user_id[0] ? self->user_id : NULL;
    jk_keyring_refresh (self->keyring, false);
    const jk_key_t *key = user ? jk_keyring_lookup (self->keyring, user) : NULL;
    if (!key && user && jk_keyring_refresh (self->keyring, true))
        key = jk_keyring_lookup (self->keyring, user);
    char why[256];
    if (!key)
        s_refuse (refusal, "E_FORBIDDEN", area, 0,
                  "the connection's key is not enrolled (revoked or unknown)");
    else if (jk_key_permits_origin (key, area, why, sizeof why)) {
        s_refuse (refusal, "E_FORBIDDEN", area, 0, "%s", why);
        key = NULL;
    }
    return key;
}

/* ---- commands ---------------------------------------------------------------
 */

/* LINK [area][head]: starts a session; answers LINKED [session][cursor]
   [credit]. */
static void s_on_link (s_recv_t *self, zframe_t *rid, zmsg_t *msg)
{
    char *area = zmsg_popstr (msg);
    uint64_t head = 0;
    s_refusal_t refusal;
    if (!area || jk_wire_pop_u64 (msg, &head) || zmsg_size (msg) != 0 ||
        !jk_link_area_valid (area)) {
        self->protocol_errors++;
        s_send (self, rid,
                jk_wire_error ("E_PROTOCOL",
                               "LINK takes [area: NN.NN or NN][head u64]"));
        free (area);
        return;
    }
    if (self->keyring && !s_key (self, area, &refusal)) {
        s_send_refusal (self, NULL, rid, 0, &refusal);
        free (area);
        return;
    }
    s_link_t *link = s_link (self, area);
    zframe_destroy (&link->rid);
    link->rid = zframe_dup (rid);
    link->session = ++self->next_session;
    link->head = head;
    link->last_heard = jk_clock_mono_ms ();
    jk_info (S_COMPONENT, "linked area=%s session=%llu cursor=%llu head=%llu",
             area, (unsigned long long)link->session,
             (unsigned long long)link->cursor, (unsigned long long)head);
    zmsg_t *answer = jk_wire_new ("LINKED");
    jk_wire_add_u64 (answer, link->session);
    jk_wire_add_u64 (answer, link->cursor);
    jk_wire_add_u64 (answer, self->window);
    s_send (self, rid, answer);
    free (area);
}

/* The link whose current session is this one, from this connection. */
static s_link_t *s_session_link (s_recv_t *self, zframe_t *rid,
                                 uint64_t session)
{
    if (!session)
        return NULL;
    for (s_link_t *link = zhashx_first (self->links); link;
         link = zhashx_next (self->links))
        if (link->session == session && link->rid && zframe_eq (link->rid, rid))
            return link;
    return NULL;
}

/* Whether the link may bring records of r's origin: the key's
   permission, the link's area, no fork found before; 0 when it may. */
static int s_check_origin (s_recv_t *self, s_link_t *link, const jk_key_t *key,
                           const jk_link_record_t *r, s_refusal_t *refusal)
{
    char why[256];
    if (key && jk_key_permits_origin (key, r->origin, why, sizeof why)) {
        s_refuse (refusal, "E_FORBIDDEN", r->origin, r->pos, "%s", why);
        return -1;
    }
    if (!jk_link_area_holds (link->area, r->origin)) {
        s_refuse (refusal, "E_FORBIDDEN", r->origin, r->pos,
                  "origin %s is not inside the link's area %s", r->origin,
                  link->area);
        return -1;
    }
    if (jk_link_trees_forked (self->trees, r->origin)) {
        s_refuse (refusal, "E_FORK", r->origin, r->pos,
                  "a fork of origin %s was found before (table fork): "
                  "nothing more is stored from it",
                  r->origin);
        return -1;
    }
    return 0;
}

/* Whether r is the next position of its origin and the next cursor of
   the link (else replayed, reordered or dropped); 0 when it is. */
static int s_check_position (s_link_t *link, s_origin_t *o, zmsg_t *msg,
                             const jk_link_record_t *r, s_refusal_t *refusal)
{
    uint64_t expect = o->pos + 1;
    if (r->pos < expect) {
        s_refuse (refusal, "E_LINK_REPLAY", r->origin, r->pos,
                  "position %llu of %s is stored already (replayed: the "
                  "copy holds 1 to %llu)",
                  (unsigned long long)r->pos, r->origin,
                  (unsigned long long)o->pos);
        return -1;
    }
    if (r->pos > expect) {
        /* Does the missing one come later in this message? Then the
           records were reordered; otherwise one was dropped. */
        bool later = false;
        for (zframe_t *f = zmsg_next (msg); f && !later; f = zmsg_next (msg)) {
            jk_link_record_t other;
            char err[64];
            if (jk_link_record_decode (zframe_data (f), zframe_size (f), &other,
                                       err, sizeof err) == 0) {
                later = streq (other.origin, r->origin) && other.pos == expect;
                jk_link_record_clear (&other);
            }
        }
        if (later)
            s_refuse (refusal, "E_LINK_ORDER", r->origin, expect,
                      "position %llu of %s arrived after %llu (reordered)",
                      (unsigned long long)expect, r->origin,
                      (unsigned long long)r->pos);
        else
            s_refuse (refusal, "E_LINK_GAP", r->origin, expect,
                      "position %llu of %s is missing: got %llu next "
                      "(dropped)",
                      (unsigned long long)expect, r->origin,
                      (unsigned long long)r->pos);
        return -1;
    }
    if (r->cursor <= link->cursor) {
        s_refuse (refusal, "E_LINK_REPLAY", r->origin, r->pos,
                  "cursor %llu of link %s is stored already (replayed)",
                  (unsigned long long)r->cursor, link->area);
        return -1;
    }
    return 0;
}

/* Whether r continues its origin's hash chain, forward in time; 0 when
   it does. */
static int s_check_chain (s_recv_t *self, s_origin_t *o,
                          const jk_link_record_t *r, s_refusal_t *refusal)
{
    uint8_t hash[JK_HASH_SIZE];
    jk_chain_step (self->chain, o->hash, r->pos, r->recorded_at, r->outcome,
                   r->code, r->message, r->bytes, r->size, hash);
    if (memcmp (hash, r->hash, JK_HASH_SIZE)) {
        s_refuse (refusal, "E_LINK_HASH", r->origin, r->pos,
                  "position %llu of %s does not continue its chain: the "
                  "recomputed hash differs from the one carried (altered or "
                  "forged)",
                  (unsigned long long)r->pos, r->origin);
        return -1;
    }
    if (r->recorded_at < o->recorded_at) {
        s_refuse (refusal, "E_LINK_TIME", r->origin, r->pos,
                  "position %llu of %s goes back in time (recorded_at %lld "
                  "before %lld)",
                  (unsigned long long)r->pos, r->origin,
                  (long long)r->recorded_at, (long long)o->recorded_at);
        return -1;
    }
    return 0;
}

/* Checks one record against its origin's chain; 0 when it continues it. */
static int s_check (s_recv_t *self, s_link_t *link, const jk_key_t *key,
                    zmsg_t *msg, const jk_link_record_t *r,
                    s_refusal_t *refusal)
{
    if (s_check_origin (self, link, key, r, refusal))
        return -1;
    s_origin_t *o = s_origin (self, r->origin);
    if (s_check_position (link, o, msg, r, refusal))
        return -1;
    if (s_check_chain (self, o, r, refusal))
        return -1;
    /* A regency's log keeps the months it was decided with for good
       (its store refuses to start with others once it holds a record):
       other months are another log, or a sender not to be trusted. */
    if (r->rat_deadline_months && o->months &&
        r->rat_deadline_months != o->months) {
        s_refuse (refusal, "E_LINK_SETTINGS", r->origin, r->pos,
                  "position %llu of %s carries a RAT deadline of %d months; "
                  "the copy records %d months for %s (table origin_settings) "
                  "and a regency's log keeps its months for good (another "
                  "log, or a tampered sender)",
                  (unsigned long long)r->pos, r->origin, r->rat_deadline_months,
                  o->months, r->origin);
        return -1;
    }
    return 0;
}

/* Appends one checked record: copy row, arrival, origin head, cursor. */
static int s_store (s_recv_t *self, s_link_t *link, const jk_link_record_t *r,
                    int64_t now)
{
    s_origin_t *o = s_origin (self, r->origin);
    uint64_t arrival = self->arrival_pos + 1;
    uint8_t arrival_hash[JK_HASH_SIZE];
    jk_link_arrival_hash (self->chain, self->arrival_hash, arrival, now,
                          r->origin, r->pos, r->hash, arrival_hash);
    sqlite3_stmt *s = self->ins_copy;
    sqlite3_bind_text (s, 1, r->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64)r->pos);
    sqlite3_bind_int64 (s, 3, r->recorded_at);
    sqlite3_bind_int (s, 4, r->outcome);
    if (r->outcome == JK_LOG_REJECTED) {
        sqlite3_bind_text (s, 5, r->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (s, 6, r->message, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null (s, 5);
        sqlite3_bind_null (s, 6);
    }
    sqlite3_bind_blob (s, 7, r->bytes, (int)r->size, SQLITE_STATIC);
    sqlite3_bind_blob (s, 8, r->hash, JK_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 9, (sqlite3_int64)arrival);
    int rc = sqlite3_step (s);
    sqlite3_reset (s);
    if (rc != SQLITE_DONE)
        return -1;
    s = self->ins_arrival;
    sqlite3_bind_int64 (s, 1, (sqlite3_int64)arrival);
    sqlite3_bind_text (s, 2, r->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 3, (sqlite3_int64)r->pos);
    sqlite3_bind_int64 (s, 4, now);
    sqlite3_bind_text (s, 5, link->area, -1, SQLITE_STATIC);
    sqlite3_bind_blob (s, 6, arrival_hash, JK_HASH_SIZE, SQLITE_STATIC);
    rc = sqlite3_step (s);
    sqlite3_reset (s);
    if (rc != SQLITE_DONE)
        return -1;
    s = self->put_origin;
    sqlite3_bind_text (s, 1, r->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64)r->pos);
    sqlite3_bind_blob (s, 3, r->hash, JK_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 4, r->recorded_at);
    rc = sqlite3_step (s);
    sqlite3_reset (s);
    if (rc != SQLITE_DONE)
        return -1;
    if (r->rat_deadline_months && !o->months) {
        s = self->put_settings;
        sqlite3_bind_text (s, 1, r->origin, -1, SQLITE_STATIC);
        sqlite3_bind_int (s, 2, r->rat_deadline_months);
        rc = sqlite3_step (s);
        sqlite3_reset (s);
        if (rc != SQLITE_DONE)
            return -1;
        o->months = r->rat_deadline_months;
    }
    jk_link_trees_push (self->trees, r);
    self->arrival_pos = arrival;
    memcpy (self->arrival_hash, arrival_hash, JK_HASH_SIZE);
    o->pos = r->pos;
    memcpy (o->hash, r->hash, JK_HASH_SIZE);
    o->recorded_at = r->recorded_at;
    link->cursor = r->cursor;
    link->last_at = r->recorded_at;
    return 0;
}

static int s_put_link (s_recv_t *self, s_link_t *link)
{
    sqlite3_stmt *s = self->put_link;
    sqlite3_bind_text (s, 1, link->area, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 2, (sqlite3_int64)link->cursor);
    sqlite3_bind_int64 (s, 3, link->last_at);
    int rc = sqlite3_step (s);
    sqlite3_reset (s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void s_put_fault (s_recv_t *self, s_link_t *link, const s_refusal_t *r,
                         int64_t now)
{
    sqlite3_stmt *s = self->put_fault;
    sqlite3_bind_text (s, 1, link ? link->area : "-", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (s, 2, r->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 3, (sqlite3_int64)r->pos);
    sqlite3_bind_text (s, 4, r->code, -1, SQLITE_STATIC);
    sqlite3_bind_text (s, 5, r->message, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 6, now);
    sqlite3_step (s);
    sqlite3_reset (s);
}

/* RECORDS' head [session][head][head_at]: the link of the session, its
   head noted; NULL (answered with an ERROR) when malformed or stale. */
static s_link_t *s_records_link (s_recv_t *self, zframe_t *rid, zmsg_t *msg,
                                 uint64_t *session)
{
    uint64_t head = 0, head_at = 0;
    size_t count = zmsg_size (msg);
    if (jk_wire_pop_u64 (msg, session) || jk_wire_pop_u64 (msg, &head) ||
        jk_wire_pop_u64 (msg, &head_at) || count < 4 ||
        count - 3 > JK_LINK_BATCH_MAX) {
        self->protocol_errors++;
        s_send (self, rid,
                jk_wire_error ("E_PROTOCOL",
                               "RECORDS takes [session u64][head u64]"
                               "[head_at u64] and 1 to 1000 record maps"));
        return NULL;
    }
    s_link_t *link = s_session_link (self, rid, *session);
    if (!link) {
        /* In flight before a refusal or a new LINK, or from before this
           receiver started: the sender must LINK again. */
        self->stale++;
        s_send (self, rid,
                jk_wire_error ("E_LINK_SESSION",
                               "no such session here: LINK again"));
        return NULL;
    }
    self->messages++;
    link->head = head;
    link->head_at = (int64_t)head_at;
    link->last_heard = jk_clock_mono_ms ();
    return link;
}

/* Checks the records in order and stores the good prefix in one
   transaction, with the first refusal's fault; false when the copy
   database could not be written (rolled back by the caller). */
static bool s_records_store (s_recv_t *self, s_link_t *link,
                             const jk_key_t *key, zmsg_t *msg, int64_t now,
                             s_refusal_t *refusal, uint64_t *stored)
{
    bool failed = false;
    sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
        jk_link_record_t r;
        char err[256];
        if (jk_link_record_decode (zframe_data (f), zframe_size (f), &r, err,
                                   sizeof err)) {
            s_refuse (refusal, "E_LINK_DECODE", link->area, 0, "%s", err);
            break;
        }
        int rc = s_check (self, link, key, msg, &r, refusal);
        /* s_check may have walked the message: find our place again. */
        zframe_t *g = zmsg_first (msg);
        while (g && g != f)
            g = zmsg_next (msg);
        if (rc == 0 && s_store (self, link, &r, now))
            failed = true;
        jk_link_record_clear (&r);
        if (rc || failed)
            break;
        (*stored)++;
    }
    if (refusal->code[0])
        s_put_fault (self, link, refusal, now);
    if (!failed &&
        (s_put_link (self, link) || jk_link_trees_save (self->trees) ||
         sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK))
        failed = true;
    return !failed;
}

/* The copy database could not be written: rolled back, the state read
   again, the session ended, the sender told to LINK again. */
static void s_records_failed (s_recv_t *self, s_link_t *link, zframe_t *rid)
{
    self->io_errors++;
    jk_error (S_COMPONENT, "cannot store records of link %s: %s", link->area,
              sqlite3_errmsg (self->db));
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    s_load_state (self);
    link->session = 0;
    s_send (self, rid,
            jk_wire_error ("E_UNAVAILABLE",
                           "the copy database could not be written: "
                           "LINK again after a moment"));
}

/* RECORDS [session][head][head_at][record]...: check, store the good
   prefix in one transaction, answer ACK [session][cursor][credit], then
   REFUSED for the first bad record if any. */
static void s_on_records (s_recv_t *self, zframe_t *rid, zmsg_t *msg)
{
    uint64_t session = 0;
    s_link_t *link = s_records_link (self, rid, msg, &session);
    if (!link)
        return;
    const jk_key_t *key = NULL;
    s_refusal_t refusal = {.code = ""};
    if (self->keyring && !(key = s_key (self, link->area, &refusal))) {
        s_send_refusal (self, link, rid, session, &refusal);
        return;
    }
    int64_t now = jk_clock_now_ms ();
    uint64_t stored = 0;
    if (!s_records_store (self, link, key, msg, now, &refusal, &stored)) {
        s_records_failed (self, link, rid);
        return;
    }
    self->records += stored;
    link->stored += stored;
    zmsg_t *ack = jk_wire_new ("ACK");
    jk_wire_add_u64 (ack, session);
    jk_wire_add_u64 (ack, link->cursor);
    jk_wire_add_u64 (ack, stored);
    s_send (self, rid, ack);
    if (refusal.code[0])
        s_send_refusal (self, link, rid, session, &refusal);
}

/* CHECKPOINT [session][copy][note][proof] and, from a province's copy,
   [origin]: a regency's signed checkpoint, relayed by its sender, checked
   against the copy of the link's area (or of origin, inside it). Nothing
   answers a checkpoint that holds (or is not checked, without that log
   key); REFUSED E_LINK_CHECKPOINT or E_FORK one that does not. */
static void s_on_checkpoint (s_recv_t *self, zframe_t *rid, zmsg_t *msg)
{
    uint64_t session = 0, copy = 0;
    if (jk_wire_pop_u64 (msg, &session) || jk_wire_pop_u64 (msg, &copy) ||
        zmsg_size (msg) < 2 || zmsg_size (msg) > 3 ||
        zframe_size (zmsg_first (msg)) > JK_NOTE_MAX) {
        self->protocol_errors++;
        s_send (self, rid,
                jk_wire_error ("E_PROTOCOL",
                               "CHECKPOINT takes [session u64][copy u64]"
                               "[note: at most 16384 bytes][proof], and "
                               "[origin str] from a copy"));
        return;
    }
    s_link_t *link = s_session_link (self, rid, session);
    if (!link) {
        self->stale++;
        s_send (self, rid,
                jk_wire_error ("E_LINK_SESSION",
                               "no such session here: LINK again"));
        return;
    }
    link->last_heard = jk_clock_mono_ms ();
    s_refusal_t refusal = {.code = ""};
    if (self->keyring && !s_key (self, link->area, &refusal)) {
        s_send_refusal (self, link, rid, session, &refusal);
        return;
    }
    char *note = zmsg_popstr (msg);
    zframe_t *proof = zmsg_pop (msg);
    char *named = zmsg_popstr (msg); /* a copy's: the regency it is of */
    const char *origin = named ? named : link->area;
    int rc = JK_INVALID;
    if (named && (!jk_link_area_valid (named) || strlen (named) != 5 ||
                  !jk_link_area_holds (link->area, named)))
        snprintf (refusal.message, sizeof refusal.message,
                  "CHECKPOINT of origin %.16s: not a regency (NN.NN) inside "
                  "the link's area %s",
                  named, link->area);
    else
        rc = jk_link_trees_check (self->trees, origin, copy, note,
                                  zframe_data (proof), zframe_size (proof),
                                  refusal.message, sizeof refusal.message);
    free (note);
    zframe_destroy (&proof);
    if (rc == JK_IO) {
        self->io_errors++;
        link->session = 0;
        s_send (self, rid,
                jk_wire_error ("E_UNAVAILABLE",
                               "the copy database could not be written: "
                               "LINK again after a moment"));
    } else if (rc == JK_INVALID || rc == JK_CONFLICT) {
        snprintf (refusal.code, sizeof refusal.code, "%s",
                  rc == JK_CONFLICT ? "E_FORK" : "E_LINK_CHECKPOINT");
        snprintf (refusal.origin, sizeof refusal.origin, "%.*s",
                  (int)sizeof refusal.origin - 1, origin);
        refusal.pos = copy;
        s_put_fault (self, link, &refusal, jk_clock_now_ms ());
        s_send_refusal (self, link, rid, session, &refusal);
    }
    free (named);
}

/* PING [session][head][head_at] -> PONG [cursor]. */
static void s_on_ping (s_recv_t *self, zframe_t *rid, zmsg_t *msg)
{
    uint64_t session = 0, head = 0, head_at = 0;
    if (jk_wire_pop_u64 (msg, &session) || jk_wire_pop_u64 (msg, &head) ||
        jk_wire_pop_u64 (msg, &head_at) || zmsg_size (msg) != 0) {
        self->protocol_errors++;
        s_send (self, rid,
                jk_wire_error ("E_PROTOCOL", "PING takes [session u64][head "
                                             "u64][head_at u64]"));
        return;
    }
    s_link_t *link = s_session_link (self, rid, session);
    if (!link) {
        self->stale++;
        s_send (self, rid,
                jk_wire_error ("E_LINK_SESSION",
                               "no such session here: LINK again"));
        return;
    }
    zmsg_t *pong = jk_wire_new ("PONG");
    jk_wire_add_u64 (pong, link->cursor);
    link->head = head;
    link->head_at = (int64_t)head_at;
    link->last_heard = jk_clock_mono_ms ();
    s_send (self, rid, pong);
}

static char *s_stats (void *arg)
{
    s_recv_t *self = (s_recv_t *)arg;
    size_t size = 0;
    char *text = NULL;
    FILE *f = open_memstream (&text, &size);
    fprintf (f,
             "links=%zu records=%llu messages=%llu refused=%llu stale=%llu "
             "forbidden=%llu protocol_errors=%llu io_errors=%llu "
             "arrival_pos=%llu",
             zhashx_size (self->links), (unsigned long long)self->records,
             (unsigned long long)self->messages,
             (unsigned long long)self->refused, (unsigned long long)self->stale,
             (unsigned long long)self->forbidden,
             (unsigned long long)self->protocol_errors,
             (unsigned long long)self->io_errors,
             (unsigned long long)self->arrival_pos);
    jk_link_trees_stats (self->trees, f);
    int64_t mono = jk_clock_mono_ms ();
    zlistx_t *keys = zhashx_keys (self->links);
    zlistx_set_comparator (keys, (zlistx_comparator_fn *)strcmp);
    zlistx_sort (keys);
    for (const char *area = zlistx_first (keys); area;
         area = zlistx_next (keys)) {
        s_link_t *l = zhashx_lookup (self->links, area);
        uint64_t lag = l->head > l->cursor ? l->head - l->cursor : 0;
        int64_t lag_ms =
            lag && l->head_at > l->last_at ? l->head_at - l->last_at : 0;
        bool up = l->session && mono - l->last_heard < 3000;
        fprintf (f,
                 " link.%s.cursor=%llu link.%s.head=%llu link.%s.lag=%llu "
                 "link.%s.lag_ms=%lld link.%s.up=%d link.%s.stored=%llu "
                 "link.%s.refused=%llu link.%s.last_refusal=%s",
                 area, (unsigned long long)l->cursor, area,
                 (unsigned long long)l->head, area, (unsigned long long)lag,
                 area, (long long)lag_ms, area, up ? 1 : 0, area,
                 (unsigned long long)l->stored, area,
                 (unsigned long long)l->refused, area,
                 l->last_refusal[0] ? l->last_refusal : "-");
    }
    zlistx_destroy (&keys);
    zlistx_t *origins = zhashx_keys (self->origins);
    zlistx_set_comparator (origins, (zlistx_comparator_fn *)strcmp);
    zlistx_sort (origins);
    for (const char *name = zlistx_first (origins); name;
         name = zlistx_next (origins)) {
        s_origin_t *o = zhashx_lookup (self->origins, name);
        fprintf (f, " origin.%s.pos=%llu origin.%s.checkpoint=%llu", name,
                 (unsigned long long)o->pos, name,
                 (unsigned long long)jk_link_trees_held (self->trees, name));
        if (jk_link_trees_forked (self->trees, name))
            fprintf (f, " origin.%s.forked=1", name);
    }
    zlistx_destroy (&origins);
    fclose (f);
    return text;
}

static void s_on_router (s_recv_t *self)
{
    zmsg_t *msg = zmsg_recv (self->router);
    if (!msg)
        return;
    zframe_t *rid = zmsg_pop (msg);
    /* The CURVE public key ZAP admitted, as metadata of every frame the
       connection delivered (not of the routing id ROUTER adds). */
    self->user_id[0] = 0;
    if (self->keyring && zmsg_first (msg)) {
        const char *meta = zframe_meta (zmsg_first (msg), "User-Id");
        if (meta)
            snprintf (self->user_id, sizeof self->user_id, "%s", meta);
    }
    char command[16];
    if (!rid || jk_wire_open (msg, command, sizeof command)) {
        self->protocol_errors++;
        if (rid)
            s_send (self, rid,
                    jk_wire_error ("E_PROTOCOL", "not a JEJAK/1 message"));
    } else if (streq (command, "LINK"))
        s_on_link (self, rid, msg);
    else if (streq (command, "RECORDS"))
        s_on_records (self, rid, msg);
    else if (streq (command, "PING"))
        s_on_ping (self, rid, msg);
    else if (streq (command, "CHECKPOINT"))
        s_on_checkpoint (self, rid, msg);
    else if (streq (command, "STATS") && zmsg_size (msg) != 0) {
        self->protocol_errors++;
        s_send (self, rid,
                jk_wire_error ("E_PROTOCOL", "STATS takes no argument frames"));
    } else if (streq (command, "STATS")) {
        char *text = s_stats (self);
        zmsg_t *answer = jk_wire_new ("STATS");
        zmsg_addstr (answer, text);
        s_send (self, rid, answer);
        free (text);
    } else {
        self->protocol_errors++;
        char text[96];
        snprintf (text, sizeof text,
                  "unknown command %s (LINK, RECORDS, CHECKPOINT, PING, "
                  "STATS)",
                  command);
        s_send (self, rid, jk_wire_error ("E_UNKNOWN_COMMAND", text));
    }
    zframe_destroy (&rid);
    zmsg_destroy (&msg);
}

static int s_prepare (s_recv_t *self)
{
    return sqlite3_prepare_v2 (self->db,
                               "INSERT INTO copy (origin, pos, recorded_at, "
                               "outcome, code, message, bytes, hash, arrival)"
                               " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                               -1, &self->ins_copy, NULL) ||
           sqlite3_prepare_v2 (self->db,
                               "INSERT INTO arrival (pos, origin, origin_pos,"
                               " received_at, link, hash) VALUES "
                               "(?1,?2,?3,?4,?5,?6)",
                               -1, &self->ins_arrival, NULL) ||
           sqlite3_prepare_v2 (self->db,
                               "INSERT OR REPLACE INTO origin_head (origin, "
                               "pos, hash, recorded_at) VALUES (?1,?2,?3,?4)",
                               -1, &self->put_origin, NULL) ||
           sqlite3_prepare_v2 (self->db,
                               "INSERT OR REPLACE INTO link (area, cursor, "
                               "last_at) VALUES (?1,?2,?3)",
                               -1, &self->put_link, NULL) ||
           sqlite3_prepare_v2 (self->db,
                               "INSERT INTO fault (link, origin, pos, code, "
                               "message, first_at, last_at, count) VALUES "
                               "(?1,?2,?3,?4,?5,?6,?6,1) ON CONFLICT DO "
                               "UPDATE SET last_at = excluded.last_at, count "
                               "= count + 1",
                               -1, &self->put_fault, NULL) ||
           sqlite3_prepare_v2 (self->db,
                               "INSERT INTO origin_settings (origin, "
                               "rat_deadline_months) VALUES (?1,?2)",
                               -1, &self->put_settings, NULL);
}

static void s_destroy (s_recv_t *self)
{
    sqlite3_finalize (self->ins_copy);
    sqlite3_finalize (self->ins_arrival);
    sqlite3_finalize (self->put_origin);
    sqlite3_finalize (self->put_link);
    sqlite3_finalize (self->put_fault);
    sqlite3_finalize (self->put_settings);
    sqlite3_close (self->db);
    zsock_destroy (&self->router);
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
    jk_keyring_destroy (&self->keyring);
    jk_chain_destroy (&self->chain);
    jk_link_trees_destroy (&self->trees);
    /* The actor's thread ends here: release OpenSSL's state for it now
       rather than rely on thread-exit hooks. */
    OPENSSL_thread_stop ();
    zhashx_destroy (&self->origins);
    zhashx_destroy (&self->links);
}

static void s_actor (zsock_t *pipe, void *arg)
{
    const jk_link_receiver_config_t *config = arg;
    jk_thread_enter (NULL);
    zsock_signal (pipe, 0); /* zactor_new's; the status follows */
    s_recv_t self = {.pipe = pipe};
    self.window = config->window ? config->window : JK_LINK_WINDOW;
    self.origins = zhashx_new ();
    zhashx_set_destructor (self.origins, s_free);
    self.links = zhashx_new ();
    zhashx_set_destructor (self.links, s_link_free);
    self.chain = jk_chain_new ();
    char err[512];
    self.db = jk_link_db_open (config->db_path, false, err, sizeof err);
    if (!self.db || s_prepare (&self)) {
        jk_error (S_COMPONENT, "%s", self.db ? sqlite3_errmsg (self.db) : err);
        zsock_signal (pipe, 1);
        s_destroy (&self);
        return;
    }
    self.trees = jk_link_trees_new (self.db, config->db_path, config->log_keys);
    if (s_load_state (&self) != JK_OK) {
        zsock_signal (pipe, 1);
        s_destroy (&self);
        return;
    }
    self.router = zsock_new (ZMQ_ROUTER);
    zsock_set_maxmsgsize (self.router, JK_MESSAGE_MAX_BYTES);
    if (config->cert_path) {
        self.cert = zcert_load (config->cert_path);
        if (!self.cert) {
            jk_error (S_COMPONENT,
                      "cannot load the hub's secret certificate %s",
                      config->cert_path);
            zsock_signal (pipe, 1);
            s_destroy (&self);
            return;
        }
        self.keyring = jk_keyring_new (config->keys_dir);
        self.auth = zactor_new (zauth, NULL);
        zstr_sendx (self.auth, "CURVE", config->keys_dir, NULL);
        zsock_wait (self.auth);
        zcert_apply (self.cert, self.router);
        zsock_set_curve_server (self.router, 1);
        zsock_set_zap_domain (self.router, "jejak");
    }
    char why[128];
    if (jk_endpoint_bind (self.router, config->listen, why, sizeof why) < 0) {
        jk_error (S_COMPONENT, "cannot bind %s: %s", config->listen, why);
        zsock_signal (pipe, 1);
        s_destroy (&self);
        return;
    }
    char shown[JK_ENDPOINT_SHOWN_MAX];
    jk_endpoint_shown (self.router, config->listen, shown, sizeof shown);
    if (config->listen_shown)
        snprintf (config->listen_shown, config->listen_shown_size, "%s", shown);
    jk_info (S_COMPONENT, "receiving on %s copy=%s origins=%zu arrivals=%llu",
             shown, config->db_path, zhashx_size (self.origins),
             (unsigned long long)self.arrival_pos);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, self.router, NULL);
    while (!self.terminated) {
        void *which = zpoller_wait (poller, 1000);
        if (which == pipe)
            self.terminated = jk_link_on_pipe (pipe, s_stats, &self);
        else if (which == self.router)
            s_on_router (&self);
        else if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    s_destroy (&self);
}

zactor_t *jk_link_receiver_start (const jk_link_receiver_config_t *config)
{
    return jk_link_actor_start (s_actor, (void *)config);
}
