/*  bench_proofs.c - proofs over the query endpoint at a large log: a real
    jejak-hub process whose log holds N records (default 10,000,000;
    --quick 100,000) answers PROOF INCLUSION pos N and PROOF CONSISTENCY
    old N (pos and old uniform at random) from one client, one request in
    flight, beside HEAD round trips interleaved with them in the same run
    (the baseline: the endpoint's own round trip with no proof work).
    Every proof is checked against the tree head of N (RFC 9162
    verifiers). Reports p50/p99 round trips in microseconds and the
    proofs' own share (p50 minus HEAD's p50), twice in the same run: the
    hub's query endpoint on ipc (plain), then the same log served by a
    hub in secure mode (--keys) whose query endpoint is tcp on every
    address (so CURVE, docs/SECURITY.md), the client a reader key over
    tcp to 127.0.0.1.

    The log is written once with the log's own append (jk_log_append: the
    chain and the tree, as the store writes them), person.registered
    events of distinct people, in transactions of 10,000; the hub then
    brings its projections up to the head at its start (not timed). With
    --log PATH the log is kept there and reused when it exists (as
    bench_status --log).
    Usage: bench_proofs [--quick] [--records N] [--samples S] [--log PATH]
    Prints a table and one JSON line. */
#include "bench_common.h"
#include "bench_hub.h"
#include "jk_keys.h"
#include "jk_log.h"
#include "jk_merkle.h"
#include "jk_tiles.h"
#include "jk_wire.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/bench-proofs"

/* Appends records until the log at path holds n; 0 or -1. */
static int s_generate (const char *path, uint64_t n)
{
    char err[256];
    jk_log_t *log = jk_log_open (path, 0, err, sizeof err);
    if (!log) {
        fprintf (stderr, "bench_proofs: %s\n", err);
        return -1;
    }
    sqlite3_exec (jk_log_db (log), "PRAGMA synchronous = OFF", NULL, NULL,
                  NULL);
    uint64_t have = jk_log_head (log, NULL);
    double t0 = jk_bench_now ();
    int rc = 0;
    while (rc == 0 && have < n) {
        uint64_t upto = have + 10000 < n ? have + 10000 : n;
        rc = jk_log_begin (log) == JK_OK ? 0 : -1;
        for (; rc == 0 && have < upto; have++) {
            size_t size = 0;
            uint64_t seq = jk_log_next_seq (log, S_SOURCE);
            uint8_t *bytes =
                jk_bench_person_of (S_SOURCE, seq, (unsigned)have, &size);
            jk_bench_event_t e;
            jk_bench_event (bytes, size, &e);
            jk_log_record_t record = {.type = "person.registered",
                                      .version = 1,
                                      .source = S_SOURCE,
                                      .seq = seq,
                                      .at = e.at,
                                      .recorded_at = jk_log_next_time (log),
                                      .outcome = JK_LOG_ACCEPTED,
                                      .bytes = bytes,
                                      .size = size};
            memcpy (record.id, e.id, sizeof record.id);
            rc = jk_log_append (log, &record) == JK_OK ? 0 : -1;
            free (bytes);
        }
        if (rc == 0)
            rc = jk_log_commit (log) == JK_OK ? 0 : -1;
        if (rc == 0 && have % 1000000 == 0)
            fprintf (stderr, "  generated %llu records (%.0f s)\n",
                     (unsigned long long)have, jk_bench_now () - t0);
    }
    if (rc)
        fprintf (stderr, "bench_proofs: cannot append to %s: %s\n", path,
                 jk_log_errmsg (log));
    jk_log_checkpoint (log);
    jk_log_close (&log);
    return rc;
}

/* The log's stored tiles, read on a connection of the bench's own. */
typedef struct {
    sqlite3 *db;
    jk_tiles_t *tiles;
} s_tree_t;

static void s_tree_open (s_tree_t *tree, const char *path)
{
    sqlite3_open_v2 (path, &tree->db, SQLITE_OPEN_READONLY, NULL);
    tree->tiles = jk_tiles_reader (tree->db);
}

static void s_tree_close (s_tree_t *tree)
{
    jk_tiles_destroy (&tree->tiles);
    sqlite3_close (tree->db);
}

/* The tree head of the log's first n records. */
static int s_root (s_tree_t *tree, uint64_t n, uint8_t root[32])
{
    sqlite3_exec (tree->db, "BEGIN", NULL, NULL, NULL);
    int rc = jk_merkle_root (jk_tiles_node, tree->tiles,
                             jk_tiles_hasher (tree->tiles), n, root);
    sqlite3_exec (tree->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* The client's side of the query endpoint: plain, or CURVE with a
   reader's certificate and the hub's public one. */
typedef struct {
    zcert_t *reader;       /* NULL: plain */
    const char *server_pk; /* the hub's broker.pub, Z85 */
} s_client_t;

static zsock_t *s_connect (const char *query, const s_client_t *client)
{
    zsock_t *q = zsock_new (ZMQ_DEALER);
    zsock_set_linger (q, 0);
    if (client && client->reader) {
        zcert_apply (client->reader, q);
        zsock_set_curve_serverkey (q, client->server_pk);
    }
    zsock_connect (q, "%s", query);
    return q;
}

/* One request, its reply (NULL after 10 s), and the round trip in us. */
static zmsg_t *s_ask (zsock_t *sock, zmsg_t *request, double *us)
{
    double t0 = jk_bench_now ();
    zmsg_send (&request, sock);
    zpoller_t *poller = zpoller_new (sock, NULL);
    zmsg_t *reply = zpoller_wait (poller, 10000) ? zmsg_recv (sock) : NULL;
    zpoller_destroy (&poller);
    *us = (jk_bench_now () - t0) * 1e6;
    char command[16];
    if (reply && jk_wire_open (reply, command, sizeof command) != 0)
        zmsg_destroy (&reply);
    return reply;
}

static zmsg_t *s_proof_request (const char *kind, uint64_t a, uint64_t b)
{
    zmsg_t *msg = jk_wire_new ("PROOF");
    zmsg_addstr (msg, kind);
    jk_wire_add_u64 (msg, a);
    jk_wire_add_u64 (msg, b);
    return msg;
}

typedef struct {
    double *head, *inclusion, *consistency;
    size_t count, failed, max_hashes;
} s_samples_t;

/* PROOF INCLUSION pos n, checked against root; true when it verifies. */
static bool s_inclusion (zsock_t *q, jk_mhash_t *mh, uint64_t pos, uint64_t n,
                         const uint8_t root[32], double *us, size_t *hashes)
{
    zmsg_t *reply = s_ask (q, s_proof_request ("INCLUSION", pos, n), us);
    char *kind = reply ? zmsg_popstr (reply) : NULL;
    uint64_t a = 0, b = 0, at = 0;
    zframe_t *leaf = NULL, *path = NULL;
    bool ok = kind && streq (kind, "INCLUSION") &&
              !jk_wire_pop_u64 (reply, &a) && !jk_wire_pop_u64 (reply, &b) &&
              !jk_wire_pop_u64 (reply, &at) && a == pos && b == n &&
              (leaf = zmsg_pop (reply)) && zframe_size (leaf) == 32 &&
              (path = zmsg_pop (reply)) && zframe_size (path) % 32 == 0 &&
              jk_merkle_verify_inclusion (
                  mh, pos - 1, n, zframe_data (leaf), zframe_data (path),
                  zframe_size (path) / 32, root) == JK_OK;
    if (ok)
        *hashes = zframe_size (path) / 32;
    free (kind);
    zframe_destroy (&leaf);
    zframe_destroy (&path);
    zmsg_destroy (&reply);
    return ok;
}

/* PROOF CONSISTENCY old n, checked from old's head to root. */
static bool s_consistency (zsock_t *q, jk_mhash_t *mh, s_tree_t *tree,
                           uint64_t old, uint64_t n, const uint8_t root[32],
                           double *us, size_t *hashes)
{
    zmsg_t *reply = s_ask (q, s_proof_request ("CONSISTENCY", old, n), us);
    char *kind = reply ? zmsg_popstr (reply) : NULL;
    uint64_t a = 0, b = 0;
    zframe_t *path = NULL;
    uint8_t old_root[32];
    bool ok = kind && streq (kind, "CONSISTENCY") &&
              !jk_wire_pop_u64 (reply, &a) && !jk_wire_pop_u64 (reply, &b) &&
              a == old && b == n && (path = zmsg_pop (reply)) &&
              zframe_size (path) % 32 == 0 &&
              s_root (tree, old, old_root) == JK_OK &&
              jk_merkle_verify_consistency (mh, old, n, old_root, root,
                                            zframe_data (path),
                                            zframe_size (path) / 32) == JK_OK;
    if (ok)
        *hashes = zframe_size (path) / 32;
    free (kind);
    zframe_destroy (&path);
    zmsg_destroy (&reply);
    return ok;
}

/* Interleaves HEAD, PROOF INCLUSION and PROOF CONSISTENCY round trips. */
static void s_measure (const char *query, const s_client_t *client,
                       s_tree_t *tree, uint64_t n, const uint8_t root[32],
                       s_samples_t *s)
{
    zsock_t *q = s_connect (query, client);
    jk_mhash_t *mh = jk_mhash_new ();
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    double us;
    for (int i = 0; i < 200; i++) /* warm the connection and the caches */
        zmsg_destroy (&(zmsg_t *){s_ask (q, jk_wire_new ("HEAD"), &us)});
    for (size_t i = 0; i < s->count; i++) {
        zmsg_t *reply = s_ask (q, jk_wire_new ("HEAD"), &s->head[i]);
        if (!reply)
            s->failed++;
        zmsg_destroy (&reply);
        size_t hashes = 0;
        if (!s_inclusion (q, mh, 1 + jk_bench_xorshift (&state) % n, n, root,
                          &s->inclusion[i], &hashes))
            s->failed++;
        if (hashes > s->max_hashes)
            s->max_hashes = hashes;
        /* The old head comes from the bench's own reader of the tiles,
           after the round trip is timed. */
        if (!s_consistency (q, mh, tree,
                            1 + jk_bench_xorshift (&state) % (n - 1), n, root,
                            &s->consistency[i], &hashes))
            s->failed++;
        if (hashes > s->max_hashes)
            s->max_hashes = hashes;
    }
    jk_mhash_destroy (&mh);
    zsock_destroy (&q);
}

/* Waits (up to 30 minutes: the projections catch up at the hub's start)
   until the hub's HEAD answers n. */
static bool s_hub_at (const char *query, const s_client_t *client, uint64_t n)
{
    zsock_t *q = s_connect (query, client);
    bool at = false;
    double until = jk_bench_now () + 1800;
    while (!at && jk_bench_now () < until) {
        double us;
        zmsg_t *reply = s_ask (q, jk_wire_new ("HEAD"), &us);
        uint64_t pos = 0;
        at = reply && !jk_wire_pop_u64 (reply, &pos) && pos == n;
        zmsg_destroy (&reply);
    }
    zsock_destroy (&q);
    return at;
}

/* Starts program on db: the plain hub (keys NULL) or the secure one
   (--keys keys) with the query endpoint query; output to /dev/null. */
static pid_t s_spawn (const char *program, const char *db, const char *dir,
                      const char *query, const char *keys)
{
    char ingest[600], feed[600];
    snprintf (ingest, sizeof ingest, "ipc://%s/ingest-%s", dir,
              keys ? "curve" : "plain");
    snprintf (feed, sizeof feed, "ipc://%s/feed-%s", dir,
              keys ? "curve" : "plain");
    return jk_bench_hub_spawn_keys (program, db, ingest, feed, query, keys);
}

/* One hub's part of the run: started on db with its query endpoint
   bound at bind, waited for through connect (its start time into
   *started), sampled, stopped. 0 or -1 (said). */
static int s_phase (const char *program, const char *db, const char *dir,
                    const char *bind, const char *query, const char *keys,
                    const s_client_t *client, s_tree_t *tree, uint64_t n,
                    const uint8_t root[32], s_samples_t *s, double *started)
{
    double t0 = jk_bench_now ();
    pid_t pid = s_spawn (program, db, dir, bind, keys);
    if (pid < 0 || !s_hub_at (query, client, n)) {
        fprintf (stderr, "bench_proofs: %s did not answer HEAD %llu on %s\n",
                 program, (unsigned long long)n, query);
        if (pid > 0)
            kill (pid, SIGKILL);
        return -1;
    }
    *started = jk_bench_now () - t0;
    s->head = jk_calloc (s->count, sizeof (double));
    s->inclusion = jk_calloc (s->count, sizeof (double));
    s->consistency = jk_calloc (s->count, sizeof (double));
    s_measure (query, client, tree, n, root, s);
    kill (pid, SIGTERM);
    waitpid (pid, NULL, 0);
    return 0;
}

typedef struct {
    double head50, head99, inc50, inc99, con50, con99;
} s_figures_t;

/* Prints one transport's figures and fills f. */
static void s_report (const char *transport, const s_samples_t *s,
                      double started, s_figures_t *f)
{
    f->head50 = jk_bench_percentile (s->head, s->count, 0.50);
    f->head99 = jk_bench_percentile (s->head, s->count, 0.99);
    f->inc50 = jk_bench_percentile (s->inclusion, s->count, 0.50);
    f->inc99 = jk_bench_percentile (s->inclusion, s->count, 0.99);
    f->con50 = jk_bench_percentile (s->consistency, s->count, 0.50);
    f->con99 = jk_bench_percentile (s->consistency, s->count, 0.99);
    printf ("over %s: hub up with its projections in %.1f s\n"
            "  HEAD (baseline)      p50 %8.1f us  p99 %8.1f us\n"
            "  PROOF INCLUSION      p50 %8.1f us  p99 %8.1f us  (%+.1f us "
            "against HEAD at p50)\n"
            "  PROOF CONSISTENCY    p50 %8.1f us  p99 %8.1f us  (%+.1f us "
            "against HEAD at p50)\n"
            "  proofs checked: %zu, failed: %zu, max %zu hashes\n",
            transport, started, f->head50, f->head99, f->inc50, f->inc99,
            f->inc50 - f->head50, f->con50, f->con99, f->con50 - f->head50,
            2 * s->count, s->failed, s->max_hashes);
}

static void s_samples_free (s_samples_t *s)
{
    free (s->head);
    free (s->inclusion);
    free (s->consistency);
}

/* The secure hub's keys under dir: the broker's pair and a reader key
   for the client (client filled). 0 or -1 (said). */
static int s_keys (const char *dir, char *keys, size_t keys_size,
                   s_client_t *client, char *server_pk)
{
    char err[512], secret[600], pub[700];
    snprintf (keys, keys_size, "%s/keys", dir);
    if (jk_keys_init (keys, false, err, sizeof err) != JK_OK ||
        jk_keys_reader (keys, "bench-proofs", NULL, secret, sizeof secret, err,
                        sizeof err) != JK_OK) {
        fprintf (stderr, "bench_proofs: %s\n", err);
        return -1;
    }
    snprintf (pub, sizeof pub, "%s/%s", keys, JK_KEYS_BROKER_PUBLIC);
    zcert_t *server = zcert_load (pub);
    client->reader = zcert_load (secret);
    if (!server || !client->reader) {
        fprintf (stderr, "bench_proofs: cannot load %s or %s\n", pub, secret);
        zcert_destroy (&server);
        return -1;
    }
    snprintf (server_pk, 41, "%s", zcert_public_txt (server));
    client->server_pk = server_pk;
    zcert_destroy (&server);
    return 0;
}

/* A tcp port free on this machine now (the kernel's pick). */
static int s_free_port (void)
{
    zsock_t *probe = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (probe, "tcp://127.0.0.1:*");
    zsock_destroy (&probe);
    return port;
}

int main (int argc, char **argv)
{
    uint64_t n = 10000000;
    size_t samples = 20000;
    const char *keep = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0) {
            n = 100000;
            samples = 2000;
        } else if (strcmp (argv[i], "--records") == 0 && i + 1 < argc)
            n = strtoull (argv[++i], NULL, 10);
        else if (strcmp (argv[i], "--samples") == 0 && i + 1 < argc)
            samples = (size_t)strtoull (argv[++i], NULL, 10);
        else if (strcmp (argv[i], "--log") == 0 && i + 1 < argc)
            keep = argv[++i];
        else {
            fprintf (stderr, "usage: bench_proofs [--quick] [--records N] "
                             "[--samples S] [--log PATH]\n");
            return 2;
        }
    }
    if (n < 2 || n > 50000000 || samples < 1) {
        fprintf (stderr, "bench_proofs: --records must be 2 to 50000000, "
                         "--samples at least 1\n");
        return 2;
    }
    char *dir = jk_bench_tmpdir ("proofs");
    char db[600], query[600], tcp_bind[64], tcp_connect[64];
    snprintf (db, sizeof db, "%s/events.db", dir);
    if (keep)
        snprintf (db, sizeof db, "%s", keep);
    snprintf (query, sizeof query, "ipc://%s/query", dir);
    int port = s_free_port ();
    snprintf (tcp_bind, sizeof tcp_bind, "tcp://*:%d", port);
    snprintf (tcp_connect, sizeof tcp_connect, "tcp://127.0.0.1:%d", port);
    char keys[600], server_pk[41];
    s_client_t secure = {0};
    if (port <= 0 || s_keys (dir, keys, sizeof keys, &secure, server_pk) != 0)
        return 1;
    double t0 = jk_bench_now ();
    if (s_generate (db, n) != 0)
        return 1;
    double generated = jk_bench_now () - t0;
    uint8_t root[32];
    s_tree_t tree;
    s_tree_open (&tree, db);
    if (s_root (&tree, n, root) != JK_OK) {
        fprintf (stderr, "bench_proofs: no tree of %llu records in %s\n",
                 (unsigned long long)n, db);
        return 1;
    }
    char *bindir = jk_bench_program_dir ();
    char hub[700];
    snprintf (hub, sizeof hub, "%s/jejak-hub", bindir);
    free (bindir);
    printf ("proofs over the query endpoint, a jejak-hub whose log holds "
            "%llu records\n"
            "  log written in %.1f s; %zu samples of each, one request in "
            "flight, interleaved\n",
            (unsigned long long)n, generated, samples);
    fflush (stdout);
    s_samples_t plain = {.count = samples}, curve = {.count = samples};
    double started = 0;
    s_figures_t p, c;
    if (s_phase (hub, db, dir, query, query, NULL, NULL, &tree, n, root, &plain,
                 &started) != 0)
        return 1;
    s_report ("ipc (plain)", &plain, started, &p);
    fflush (stdout);
    /* Bound on every address, the query endpoint speaks CURVE; the
       client reaches it over tcp on loopback. */
    if (s_phase (hub, db, dir, tcp_bind, tcp_connect, keys, &secure, &tree, n,
                 root, &curve, &started) != 0)
        return 1;
    s_report ("tcp with CURVE (reader key)", &curve, started, &c);
    s_tree_close (&tree);
    printf ("{\"records\":%llu,\"samples\":%zu,\"head_p50_us\":%.1f,"
            "\"head_p99_us\":%.1f,\"inclusion_p50_us\":%.1f,"
            "\"inclusion_p99_us\":%.1f,\"consistency_p50_us\":%.1f,"
            "\"consistency_p99_us\":%.1f,\"curve_head_p50_us\":%.1f,"
            "\"curve_head_p99_us\":%.1f,\"curve_inclusion_p50_us\":%.1f,"
            "\"curve_inclusion_p99_us\":%.1f,"
            "\"curve_consistency_p50_us\":%.1f,"
            "\"curve_consistency_p99_us\":%.1f,\"failed\":%zu}\n",
            (unsigned long long)n, samples, p.head50, p.head99, p.inc50,
            p.inc99, p.con50, p.con99, c.head50, c.head99, c.inc50, c.inc99,
            c.con50, c.con99, plain.failed + curve.failed);
    size_t failed = plain.failed + curve.failed;
    s_samples_free (&plain);
    s_samples_free (&curve);
    zcert_destroy (&secure.reader);
    jk_bench_rmdir (&dir);
    return failed ? 1 : 0;
}
