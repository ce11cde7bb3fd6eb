/*  test_store_harness.h - shared by the store's tests: builds events,
    stands in for the broker (a ROUTER bound on the backend endpoint the
    store connects to) and for a query client (a DEALER). Everything waits
    with a deadline; endpoints are ipc under a fresh temp directory. */
#ifndef TEST_STORE_HARNESS_H
#define TEST_STORE_HARNESS_H

#include "testsupport.h"

#include "jk_decisions.h"
#include "jk_log.h"
#include "jk_rebuild.h"
#include "jk_store.h"
#include "jk_wire.h"
#include "workload.h"

#include <string.h>

#define H_WAIT_MS  10000 /* deadline for anything that must happen */
#define H_MAX_PUBS 20000

typedef struct {
    char *dir;                      /* temp directory */
    char *db;                       /* database path */
    char *backend;                  /* backend endpoint (ipc) */
    char *query;                    /* query endpoint (ipc) */
    zsock_t *broker;                /* stand-in broker: ROUTER on backend */
    zframe_t *store_id;             /* the store's routing id, from its PING */
    zsock_t *client;                /* query client: DEALER */
    zactor_t *store;                /* the store actor, when run in-process */
    uint64_t pings;                 /* PINGs seen */
    uint64_t published[H_MAX_PUBS]; /* positions published, in order */
    char topics[64][80];            /* first topics published */
    size_t publish_count;
    size_t records_messages; /* RECORDS messages seen */
} h_t;

/* Encodes an event and destroys it. */
static inline uint8_t *h_encode (jk_event_t **event, size_t *size)
{
    uint8_t *bytes = jk_event_encode (*event, size);
    assert_non_null (bytes);
    jk_event_destroy (event);
    return bytes;
}

static inline void h_set (jk_event_t *event, const char *field,
                          const char *text)
{
    jk_report_t report;
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (event, field, text, &report), 0);
}

/* A new event of type from source with seq, by operator-1. */
static inline jk_event_t *h_envelope (const char *type, const char *source,
                                      uint64_t seq)
{
    jk_event_t *event = jk_event_new (jk_vocabulary_find (type, strlen (type)));
    assert_non_null (event);
    jk_event_set_source (event, source);
    jk_event_set_actor (event, "operator-1");
    event->seq = seq;
    return event;
}

/* A cooperative.registered from source with seq, legal number AHU-n, in
   desa (a Cianjur desa code, or an unknown one to get a rejection). */
static inline uint8_t *h_cooperative (const char *source, uint64_t seq, int n,
                                      const char *desa, size_t *size)
{
    jk_event_t *event = h_envelope ("cooperative.registered", source, seq);
    char legal[64];
    snprintf (legal, sizeof legal, "AHU-%07d.AH.01.26", n);
    h_set (event, "legal_number", legal);
    h_set (event, "legal_date", "2020-01-15");
    char name[64];
    snprintf (name, sizeof name, "Koperasi Uji %d", n);
    h_set (event, "name", name);
    h_set (event, "form", "PRIMER");
    h_set (event, "kind", "JASA");
    h_set (event, "pattern", "KONVENSIONAL");
    h_set (event, "desa_code", desa);
    jk_event_set_uint (event, "members_male", 10);
    jk_event_set_uint (event, "members_female", 12);
    return h_encode (&event, size);
}

#define H_DESA     "32.03.01.1006"
#define H_BAD_DESA "32.03.99.9999"
#define H_SOURCE   "32.03.01/test-1"

static inline void h_setup_dirs (h_t *h, const char *tag)
{
    memset (h, 0, sizeof *h);
    h->dir = jk_test_tmpdir (tag);
    h->db = jk_sprintf ("%s/events.db", h->dir);
    h->backend = jk_test_endpoint (h->dir, "backend");
    h->query = jk_test_endpoint (h->dir, "query");
    h->broker = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (h->broker, 0);
    assert_true (zsock_bind (h->broker, "%s", h->backend) == 0);
}

/* Receives one message from the store on the stand-in broker, with a
   deadline; records the store's id. NULL on timeout. */
static inline zmsg_t *h_broker_recv (h_t *h, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (h->broker, NULL);
    zmsg_t *msg = NULL;
    if (zpoller_wait (poller, timeout_ms) == h->broker) {
        msg = zmsg_recv (h->broker);
        zframe_t *id = zmsg_pop (msg);
        zframe_destroy (&h->store_id);
        h->store_id = id;
    }
    zpoller_destroy (&poller);
    return msg;
}

/* Handles PING and RECORDS; returns the command of msg (static). */
static inline const char *h_note (h_t *h, zmsg_t *msg)
{
    static char command[16];
    assert_int_equal (jk_wire_open (msg, command, sizeof command), 0);
    if (streq (command, "PING"))
        h->pings++;
    else if (streq (command, "RECORDS")) {
        /* One frame with the batch's records, in position order. */
        assert_int_equal (zmsg_size (msg), 1);
        h->records_messages++;
        zframe_t *frame = zmsg_first (msg);
        size_t offset = 0;
        jk_record_t record;
        int rc;
        while ((rc = jk_records_next (zframe_data (frame), zframe_size (frame),
                                      &offset, &record)) == 0) {
            if (h->publish_count < 64)
                snprintf (h->topics[h->publish_count], 80, "%s", record.topic);
            if (h->publish_count < H_MAX_PUBS)
                h->published[h->publish_count++] = record.pos;
        }
        assert_int_equal (rc, 1);
    }
    return command;
}

/* Waits for the store's first PING (it is connected and ready). */
static inline void h_wait_ping (h_t *h)
{
    int64_t deadline = jk_clock_mono_ms () + H_WAIT_MS;
    while (h->pings == 0 && jk_clock_mono_ms () < deadline) {
        zmsg_t *msg = h_broker_recv (h, 100);
        if (msg)
            h_note (h, msg);
        zmsg_destroy (&msg);
    }
    assert_true (h->pings > 0);
    assert_non_null (h->store_id);
}

/* Starts the store actor in-process and waits for its PING. */
static inline void h_start_store (h_t *h, int busy_timeout_ms)
{
    jk_store_config_t config = {.db_path = h->db,
                                .backend = h->backend,
                                .query = h->query,
                                .busy_timeout_ms = busy_timeout_ms};
    h->store = jk_store_start (&config);
    assert_non_null (h->store);
    h->pings = 0;
    h_wait_ping (h);
}

/* Sends one SUBMIT of count events from client "client-1". */
static inline void h_send_submit (h_t *h, size_t count, uint8_t **bytes,
                                  size_t *sizes)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){zframe_dup (h->store_id)});
    zmsg_addstr (msg, JK_PROTOCOL);
    zmsg_addstr (msg, "SUBMIT");
    zmsg_addstr (msg, "client-1");
    for (size_t i = 0; i < count; i++)
        zmsg_addmem (msg, bytes[i], sizes[i]);
    assert_int_equal (zmsg_send (&msg, h->broker), 0);
}

/* Decodes the answers of an ANSWER's [client-1][answer]... after its
   command: exactly count of them. */
static inline void h_answers_decode (zmsg_t *msg, size_t count,
                                     jk_answer_t *answers)
{
    char *client = zmsg_popstr (msg);
    assert_string_equal (client, "client-1");
    free (client);
    assert_int_equal (zmsg_size (msg), count);
    for (size_t i = 0; i < count; i++) {
        zframe_t *frame = zmsg_pop (msg);
        assert_int_equal (jk_answer_decode (zframe_data (frame),
                                            zframe_size (frame), &answers[i]),
                          0);
        zframe_destroy (&frame);
    }
}

/* Waits for the next ANSWER and decodes its answers (count expected);
   PINGs and PUBLISHes on the way are noted. Returns -1 on timeout. */
static inline int h_recv_answer (h_t *h, size_t count, jk_answer_t *answers,
                                 int timeout_ms)
{
    int64_t deadline = jk_clock_mono_ms () + timeout_ms;
    while (jk_clock_mono_ms () < deadline) {
        zmsg_t *msg =
            h_broker_recv (h, (int)(deadline - jk_clock_mono_ms ()) + 1);
        if (!msg)
            return -1;
        if (!streq (h_note (h, msg), "ANSWER")) {
            zmsg_destroy (&msg);
            continue;
        }
        h_answers_decode (msg, count, answers);
        zmsg_destroy (&msg);
        return 0;
    }
    return -1;
}

/* Reads the stand-in broker until count records were published. */
static inline bool h_wait_published (h_t *h, size_t count)
{
    int64_t deadline = jk_clock_mono_ms () + H_WAIT_MS;
    while (h->publish_count < count && jk_clock_mono_ms () < deadline) {
        zmsg_t *msg = h_broker_recv (h, 100);
        if (msg)
            h_note (h, msg);
        zmsg_destroy (&msg);
    }
    return h->publish_count == count;
}

/* Submits and waits for the answer. */
static inline void h_submit (h_t *h, size_t count, uint8_t **bytes,
                             size_t *sizes, jk_answer_t *answers)
{
    h_send_submit (h, count, bytes, sizes);
    assert_int_equal (h_recv_answer (h, count, answers, H_WAIT_MS), 0);
}

/* Submits one event and frees its bytes. */
static inline jk_answer_t h_submit_one (h_t *h, uint8_t *bytes, size_t size)
{
    jk_answer_t answer;
    h_submit (h, 1, &bytes, &size, &answer);
    return answer;
}

/* The store actor's counter from STATS ("accepted", ...). */
static inline uint64_t h_stat (h_t *h, const char *key)
{
    zstr_send (h->store, "STATS");
    char *text = zstr_recv (h->store);
    assert_non_null (text);
    char pattern[64];
    snprintf (pattern, sizeof pattern, "%s=", key);
    const char *at = strstr (text, pattern);
    uint64_t value = at ? strtoull (at + strlen (pattern), NULL, 10) : 0;
    free (text);
    return value;
}

/* Waits until the counter key reaches value. */
static inline bool h_wait_stat (h_t *h, const char *key, uint64_t value)
{
    return JK_WAIT_FOR (h_stat (h, key) == value, H_WAIT_MS);
}

/* Connects the query client. */
static inline void h_connect_client (h_t *h)
{
    h->client = zsock_new (ZMQ_DEALER);
    zsock_set_linger (h->client, 0);
    assert_int_equal (zsock_connect (h->client, "%s", h->query), 0);
}

/* Receives one reply on the query client with a deadline (NULL on
   timeout); checks the signature and copies the command. */
static inline zmsg_t *h_client_recv (h_t *h, char *command, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (h->client, NULL);
    zmsg_t *msg = NULL;
    if (zpoller_wait (poller, timeout_ms) == h->client) {
        msg = zmsg_recv (h->client);
        assert_int_equal (jk_wire_open (msg, command, 16), 0);
    }
    zpoller_destroy (&poller);
    return msg;
}

/* The chain hash stored at pos, read with a separate connection. */
static inline void h_stored_hash (const char *db_path, uint64_t pos,
                                  uint8_t hash[32])
{
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db,
                                          "SELECT hash FROM log WHERE pos = ?",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64)pos);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_int_equal (sqlite3_column_bytes (stmt, 0), 32);
    memcpy (hash, sqlite3_column_blob (stmt, 0), 32);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
}

/* The first row of sql on the database, read with a separate connection
   (close it with h_db_row_done). */
static inline sqlite3_stmt *h_db_row (const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (
        sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    return stmt;
}

static inline void h_db_row_done (sqlite3_stmt *stmt)
{
    sqlite3 *db = sqlite3_db_handle (stmt);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
}

/* A count from the database with a separate connection. */
static inline int64_t h_count (const char *db_path, const char *sql)
{
    sqlite3_stmt *stmt = h_db_row (db_path, sql);
    int64_t value = sqlite3_column_int64 (stmt, 0);
    h_db_row_done (stmt);
    return value;
}

/* A text from the database with a separate connection, on the heap ("" for
   NULL). */
static inline char *h_db_text (const char *db_path, const char *sql)
{
    char *value = jk_test_db_text (db_path, sql);
    assert_non_null (value);
    return value;
}

/* A HEARTBEAT of client "client-1" for H_SOURCE holding receipts up to
   stored_seq, as the broker passes it on. */
static inline void h_heartbeat (h_t *h, uint64_t stored_seq)
{
    jk_heartbeat_t hb;
    memset (&hb, 0, sizeof hb);
    snprintf (hb.source, sizeof hb.source, "%s", H_SOURCE);
    snprintf (hb.program, sizeof hb.program, "jejak-registration");
    hb.last_stored_seq = stored_seq;
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *){zframe_dup (h->store_id)});
    zmsg_addstr (msg, JK_PROTOCOL);
    zmsg_addstr (msg, "HEARTBEAT");
    zmsg_addstr (msg, "client-1");
    jk_heartbeat_add (msg, &hb);
    assert_int_equal (zmsg_send (&msg, h->broker), 0);
}

/* The workload's next count events, encoded into bytes and sizes
   (heap), with the rejection code each must get in expected ("" for an
   ACK); returns how many are to be rejected. */
static inline size_t h_workload_take (jk_workload_t *workload, size_t count,
                                      uint8_t **bytes, size_t *sizes,
                                      char (*expected)[JK_CODE_MAX])
{
    size_t rejected = 0;
    for (size_t i = 0; i < count; i++) {
        jk_event_t *event = jk_workload_next (workload);
        assert_non_null (event);
        const char *code = jk_workload_expected (workload);
        snprintf (expected[i], JK_CODE_MAX, "%s", code ? code : "");
        rejected += code != NULL;
        bytes[i] = h_encode (&event, &sizes[i]);
    }
    return rejected;
}

/* Each of count answers is what expected says (REJECTED with its code,
   or ACK for ""), at positions first, first + 1 ... */
static inline void h_answers_expected (const jk_answer_t *answers,
                                       char (*expected)[JK_CODE_MAX],
                                       size_t count, uint64_t first)
{
    for (size_t i = 0; i < count; i++) {
        jk_answer_kind_t kind =
            expected[i][0] ? JK_ANSWER_REJECTED : JK_ANSWER_ACK;
        if (answers[i].kind != kind || strcmp (answers[i].code, expected[i]) ||
            answers[i].pos != first + i)
            fail_msg ("event %llu: expected %s %s, got %s %s at %llu: %s",
                      (unsigned long long)(first + i),
                      jk_answer_kind_name (kind), expected[i],
                      jk_answer_kind_name (answers[i].kind), answers[i].code,
                      (unsigned long long)answers[i].pos, answers[i].message);
    }
}

/* The canonical dump of a database's projections (a store's own file
   once caught up, or a rebuild's output), as a heap string. */
static inline char *h_dump (const char *path)
{
    sqlite3 *db = jk_test_projections (path);
    char *text = jk_test_dump (db);
    sqlite3_close (db);
    assert_true (strlen (text) > 1000);
    return text;
}

/* Rebuilds the log db (its store stopped) into the new file out: it
   holds records records, rejected of them rejections, and its
   projections equal db's own, byte for byte; every logged outcome is the
   one the log alone derives (jejak-replay verify --decisions). */
static inline void h_rebuilt_equal (const char *db, const char *out,
                                    uint64_t records, uint64_t rejected)
{
    jk_rebuild_result_t result;
    char err[256];
    assert_int_equal (jk_log_rebuild (db, out, NULL, &result, err, sizeof err),
                      JK_OK);
    assert_int_equal (result.records, records);
    assert_int_equal (result.rejected, rejected);
    /* The apply found every row by a key or an index. */
    assert_int_equal (result.scanned, 0);
    char *live_dump = h_dump (db);
    char *rebuilt_dump = h_dump (out);
    assert_string_equal (live_dump, rebuilt_dump);
    free (live_dump);
    free (rebuilt_dump);
    jk_decisions_result_t decisions;
    int rc = jk_log_verify_decisions (db, &decisions, NULL, NULL);
    if (rc != JK_OK)
        fprintf (stderr, "decisions: %s\n", decisions.message);
    assert_int_equal (rc, JK_OK);
    assert_int_equal (decisions.records, records);
    assert_int_equal (decisions.rejected, rejected);
    assert_int_equal (decisions.mismatches, 0);
}

static inline void h_teardown (h_t *h)
{
    zactor_destroy (&h->store);
    zsock_destroy (&h->client);
    zsock_destroy (&h->broker);
    zframe_destroy (&h->store_id);
    free (h->db);
    free (h->backend);
    free (h->query);
    jk_test_rmdir (&h->dir);
}

#endif
