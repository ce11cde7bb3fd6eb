/*  bench_hub.c - the in-process hub, the jejak-hub process and the
    simulated offices the ingest benchmarks share (bench_hub.h). */
#include "bench_hub.h"

#include "bench_common.h"
#include "jk_broker.h"
#include "jk_store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint8_t *jk_bench_person (const char *source, uint64_t seq, size_t n,
                          size_t *size)
{
    jk_event_t *ev =
        jk_event_new (jk_vocabulary_find ("person.registered", 17));
    jk_event_set_source (ev, source);
    jk_event_set_actor (ev, "operator-1");
    ev->seq = seq;
    char nik[32];
    snprintf (nik, sizeof nik, "3203%02zu410785%04zu", 1 + (n / 9999) % 99,
              n % 9999 + 1);
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_set (ev, "nik", nik, &report);
    jk_event_set (ev, "name", "Siti Aminah", &report);
    jk_event_set (ev, "sex", "P", &report);
    jk_event_set (ev, "birth_date", "1985-07-01", &report);
    jk_event_set (ev, "desa_code", "32.03.10.2012", &report);
    uint8_t *bytes = jk_event_encode (ev, size);
    jk_event_destroy (&ev);
    return bytes;
}

void jk_bench_nik (unsigned serial, char nik[17], char birth[11])
{
    unsigned day = 1 + serial / 9999 % 28;
    unsigned month = 1 + serial / (9999 * 28) % 12;
    unsigned year = 85 + serial / (9999 * 28 * 12) % 15;
    snprintf (nik, 17, "320301%02u%02u%02u%04u", day, month, year,
              1 + serial % 9999);
    snprintf (birth, 11, "19%02u-%02u-%02u", year, month, day);
}

uint8_t *jk_bench_person_of (const char *source, uint64_t seq, unsigned serial,
                             size_t *size)
{
    static const char *desa;
    if (!desa)
        desa = jk_region_desa_at (jk_region_default (), 0, NULL, NULL);
    jk_event_t *event =
        jk_event_new (jk_vocabulary_find ("person.registered", 17));
    jk_event_set_source (event, source);
    jk_event_set_actor (event, "bench");
    event->seq = seq;
    char nik[17], birth[11];
    jk_bench_nik (serial, nik, birth);
    jk_report_t report;
    jk_report_reset (&report);
    jk_event_set (event, "nik", nik, &report);
    jk_event_set (event, "name", "Peserta Bench", &report);
    jk_event_set (event, "sex", "L", &report);
    jk_event_set (event, "birth_date", birth, &report);
    jk_event_set (event, "desa_code", desa, &report);
    uint8_t *bytes = jk_event_encode (event, size);
    jk_event_destroy (&event);
    return bytes;
}

/* The store's checkpoint_frames (jk_bench_hub_checkpoint_frames). */
static int s_checkpoint_frames;

void jk_bench_hub_checkpoint_frames (int frames)
{
    s_checkpoint_frames = frames > 0 ? frames : 0;
}

int jk_bench_hub_start (jk_bench_hub_t *hub, const char *dir, const char *name,
                        const char *cert, const char *offices)
{
    return jk_bench_hub_start_tree (hub, dir, name, cert, offices, true);
}

int jk_bench_hub_start_tree (jk_bench_hub_t *hub, const char *dir,
                             const char *name, const char *cert,
                             const char *offices, bool tree)
{
    memset (hub, 0, sizeof *hub);
    snprintf (hub->ingest, sizeof hub->ingest, "ipc://%s/ingest-%s", dir, name);
    snprintf (hub->feed, sizeof hub->feed, "ipc://%s/feed-%s", dir, name);
    snprintf (hub->query, sizeof hub->query, "ipc://%s/query-%s", dir, name);
    snprintf (hub->backend, sizeof hub->backend, "inproc://bench-backend-%s",
              name);
    snprintf (hub->db, sizeof hub->db, "%s/hub-%s.db", dir, name);
    bool secure = cert && offices;
    jk_broker_config_t bconfig = {
        hub->ingest,          hub->feed,
        hub->backend,         0,
        secure ? cert : NULL, secure ? offices : NULL};
    hub->server = secure ? zcert_load (cert) : NULL;
    hub->broker = jk_broker_start (&bconfig);
    jk_store_config_t sconfig;
    memset (&sconfig, 0, sizeof sconfig);
    sconfig.db_path = hub->db;
    sconfig.backend = hub->backend;
    sconfig.query = hub->query;
    sconfig.no_tree = !tree;
    sconfig.checkpoint_frames = s_checkpoint_frames;
    hub->store = hub->broker ? jk_store_start (&sconfig) : NULL;
    if (!hub->store) {
        jk_bench_hub_stop (hub);
        return -1;
    }
    /* Wait until the broker has heard the store. */
    while (true) {
        zstr_send (hub->broker, "STATS");
        char *text = zstr_recv (hub->broker);
        bool up = strstr (text, "store=up") != NULL;
        zstr_free (&text);
        if (up)
            break;
        zclock_sleep (1);
    }
    return 0;
}

void jk_bench_hub_stop (jk_bench_hub_t *hub)
{
    zactor_destroy (&hub->store);
    zactor_destroy (&hub->broker);
    zcert_destroy (&hub->server);
}

void jk_bench_offices_fill (jk_bench_office_t *offices, int count, size_t per)
{
    const jk_region_t *region = jk_region_default ();
    memset (offices, 0, (size_t)count * sizeof *offices);
    for (int i = 0; i < count; i++) {
        jk_bench_office_t *o = &offices[i];
        const char *name;
        o->kecamatan = jk_region_kecamatan_at (
            region, (size_t)i % jk_region_kecamatan_count (region), &name);
        snprintf (o->device, sizeof o->device, "bench-%d", i);
        snprintf (o->source, sizeof o->source, "%s/%s", o->kecamatan,
                  o->device);
        o->count = per;
        o->bytes = jk_calloc (per, sizeof *o->bytes);
        o->sizes = jk_calloc (per, sizeof *o->sizes);
        for (size_t k = 0; k < per; k++)
            o->bytes[k] = jk_bench_person (o->source, k + 1,
                                           (size_t)i * per + k, &o->sizes[k]);
    }
}

void jk_bench_offices_free (jk_bench_office_t *offices, int count)
{
    for (int i = 0; i < count; i++) {
        for (size_t k = 0; k < offices[i].count; k++)
            free (offices[i].bytes[k]);
        free (offices[i].bytes);
        free (offices[i].sizes);
        zcert_destroy (&offices[i].cert);
    }
}

/* Sends the office's next SUBMIT of up to batch events: its parts go
   straight from the office's encoded events (zmq_msg_init_data without a
   free function: no copy, no allocation, no frame objects), so the
   simulated offices take as little as they can of the cores the hub and
   the floor are timed on. The events stay unchanged until
   jk_bench_offices_free. */
static void s_office_send (jk_bench_office_t *o, size_t batch)
{
    void *sock = zsock_resolve (o->sock);
    size_t end = o->sent + batch < o->count ? o->sent + batch : o->count;
    zmq_send (sock, JK_PROTOCOL, strlen (JK_PROTOCOL), ZMQ_SNDMORE);
    zmq_send (sock, "SUBMIT", 6, ZMQ_SNDMORE);
    for (; o->sent < end; o->sent++) {
        zmq_msg_t part;
        zmq_msg_init_data (&part, o->bytes[o->sent], o->sizes[o->sent], NULL,
                           NULL);
        zmq_msg_send (&part, sock, o->sent + 1 < end ? ZMQ_SNDMORE : 0);
    }
    o->inflight++;
}

/* Receives one message on the office's socket part by part: 1 for an
   ANSWER (its answers counted into o->answered and *done, NACKs into
   *nacks when set), 0 for anything else. */
static int s_office_recv (jk_bench_office_t *o, size_t *done, uint64_t *nacks)
{
    void *sock = zsock_resolve (o->sock);
    zmq_msg_t part;
    zmq_msg_init (&part);
    bool answer = false, more = true;
    for (size_t n = 0; more && zmq_msg_recv (&part, sock, 0) >= 0; n++) {
        more = zmq_msg_more (&part);
        const char *data = zmq_msg_data (&part);
        size_t size = zmq_msg_size (&part);
        if (n == 0)
            answer = size == strlen (JK_PROTOCOL) &&
                     memcmp (data, JK_PROTOCOL, size) == 0;
        else if (n == 1)
            answer = answer && size == 6 && memcmp (data, "ANSWER", 6) == 0;
        else if (answer) {
            jk_answer_t a;
            if (nacks && jk_answer_decode (data, size, &a) == 0 &&
                a.kind == JK_ANSWER_NACK)
                (*nacks)++;
            o->answered++;
            (*done)++;
        }
    }
    zmq_msg_close (&part);
    return answer ? 1 : 0;
}

double jk_bench_offices_run (jk_bench_office_t *offices, int count,
                             const jk_bench_hub_t *hub, size_t batch,
                             int window, uint64_t *nacks, const char *who)
{
    zmq_pollitem_t *items = jk_calloc ((size_t)count, sizeof *items);
    for (int i = 0; i < count; i++) {
        jk_bench_office_t *o = &offices[i];
        o->sock = zsock_new (ZMQ_DEALER);
        zsock_set_linger (o->sock, 0);
        if (hub->server) {
            zcert_apply (o->cert, o->sock);
            zsock_set_curve_serverkey (o->sock, zcert_public_txt (hub->server));
        }
        zsock_connect (o->sock, "%s", hub->ingest);
        o->sent = o->answered = 0;
        o->inflight = 0;
        items[i] = (zmq_pollitem_t){zsock_resolve (o->sock), 0, ZMQ_POLLIN, 0};
    }
    double start = jk_bench_now ();
    for (int i = 0; i < count; i++)
        for (int w = 0; w < window && offices[i].sent < offices[i].count; w++)
            s_office_send (&offices[i], batch);
    size_t done = 0, total = 0;
    for (int i = 0; i < count; i++)
        total += offices[i].count;
    while (done < total) {
        if (zmq_poll (items, count, 10000) <= 0) {
            fprintf (stderr, "%s: no answer for 10 s\n", who);
            break;
        }
        for (int i = 0; i < count; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            jk_bench_office_t *o = &offices[i];
            if (s_office_recv (o, &done, nacks)) {
                o->inflight--;
                if (o->sent < o->count)
                    s_office_send (o, batch);
            }
        }
    }
    double rate = (double)total / (jk_bench_now () - start);
    for (int i = 0; i < count; i++)
        zsock_destroy (&offices[i].sock);
    free (items);
    return done == total ? rate : -1;
}

/* The hub's STATS numbers head and tree (the stored Merkle tree's
   size); false, said on stderr, when it did not answer STATS within 5 s. */
static bool s_head_tree (zsock_t *q, uint64_t *head, uint64_t *tree)
{
    zmsg_t *msg = jk_wire_new ("STATS");
    zmsg_send (&msg, q);
    bool silent;
    char why[256];
    zmsg_t *reply = jk_wire_expect (q, 5000, "STATS", &silent, why, sizeof why);
    char *text = reply ? zmsg_popstr (reply) : NULL;
    zmsg_destroy (&reply);
    const char *h = text ? strstr (text, " head=") : NULL;
    const char *t = text ? strstr (text, " tree=") : NULL;
    if (h && t) {
        *head = strtoull (h + 6, NULL, 10);
        *tree = strtoull (t + 6, NULL, 10);
    } else
        fprintf (stderr, "bench: the hub's STATS: %s\n",
                 !reply ? why : "no head= and tree=");
    free (text);
    return h && t;
}

int jk_bench_tree_settle (const jk_bench_hub_t *hub, uint64_t *lag, double *ms,
                          int *asks)
{
    zsock_t *q = zsock_new (ZMQ_DEALER);
    zsock_set_linger (q, 0);
    zsock_connect (q, "%s", hub->query);
    double t0 = jk_bench_now ();
    uint64_t head = 0, tree = 0;
    bool ok = s_head_tree (q, &head, &tree);
    *asks = 1;
    *lag = ok ? head - tree : 0;
    uint64_t tree0 = tree;
    while (ok && tree < head && jk_bench_now () - t0 < 60) {
        /* Half the time the tree's pace so far says is left: few asks
           while it has far to go, 1 ms apart near the end, so the hub's
           query thread does not take the cores the tree is timed on. */
        double took = jk_bench_now () - t0, pause = 0.005;
        if (tree > tree0)
            pause = (double)(head - tree) * took / (double)(tree - tree0) / 2;
        pause = pause < 0.001 ? 0.001 : pause > 0.05 ? 0.05 : pause;
        zclock_sleep ((int)(pause * 1000 + 0.5));
        ok = s_head_tree (q, &head, &tree);
        (*asks)++;
    }
    *ms = (jk_bench_now () - t0) * 1000;
    zsock_destroy (&q);
    return ok && tree == head ? 0 : -1;
}

double jk_bench_ingest_round (const jk_bench_ingest_options_t *opt,
                              jk_bench_office_t *offices, int count,
                              const char *dir, int round,
                              jk_bench_target_t target, uint64_t *nacks,
                              jk_bench_tree_lag_t *tree, const char *who)
{
    char name[16];
    snprintf (name, sizeof name, "%s%d",
              target == JK_BENCH_HUB_NO_TREE ? "notree-" : "", round);
    jk_bench_hub_t hub;
    bool floor = target == JK_BENCH_FLOOR;
    if (floor ? jk_bench_floor_start (&hub, dir, name)
              : jk_bench_hub_start_tree (&hub, dir, name, NULL, NULL,
                                         target == JK_BENCH_HUB)) {
        fprintf (stderr, "%s: the %s did not start\n", who,
                 floor ? "transport floor" : "hub");
        return -1;
    }
    double rate = jk_bench_offices_run (offices, count, &hub, opt->batch,
                                        opt->window, nacks, who);
    if (tree && rate > 0 && target == JK_BENCH_HUB &&
        jk_bench_tree_settle (&hub, &tree->lag, &tree->ms, &tree->asks) != 0) {
        fprintf (stderr, "%s: the hub's tree did not reach its head\n", who);
        rate = -1;
    }
    jk_bench_hub_stop (&hub);
    return rate;
}

char *jk_bench_program_dir (void)
{
    char buf[1024];
    ssize_t n = readlink ("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return jk_strdup (".");
    buf[n] = 0;
    char *slash = strrchr (buf, '/');
    if (slash)
        *slash = 0;
    return jk_strdup (buf);
}

pid_t jk_bench_hub_spawn (const char *program, const char *db,
                          const char *ingest, const char *feed,
                          const char *query)
{
    return jk_bench_hub_spawn_keys (program, db, ingest, feed, query, NULL);
}

pid_t jk_bench_hub_spawn_keys (const char *program, const char *db,
                               const char *ingest, const char *feed,
                               const char *query, const char *keys)
{
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open ("/dev/null", O_WRONLY);
        dup2 (fd, 1);
        dup2 (fd, 2);
        if (keys)
            execl (program, program, "--db", db, "--ingest", ingest, "--feed",
                   feed, "--query", query, "--keys", keys, (char *)NULL);
        else
            execl (program, program, "--db", db, "--ingest", ingest, "--feed",
                   feed, "--query", query, (char *)NULL);
        _exit (127);
    }
    return pid;
}

bool jk_bench_hub_ready (const char *ingest, const char *source,
                         const char *program)
{
    zsock_t *probe = zsock_new (ZMQ_DEALER);
    zsock_set_linger (probe, 0);
    zsock_connect (probe, "%s", ingest);
    bool ready = false;
    for (int tries = 0; tries < 100 && !ready; tries++) {
        zmsg_t *ping = jk_wire_new ("PING");
        jk_heartbeat_t hb;
        memset (&hb, 0, sizeof hb);
        snprintf (hb.source, sizeof hb.source, "%s", source);
        snprintf (hb.program, sizeof hb.program, "%s", program);
        jk_heartbeat_add (ping, &hb);
        zmsg_send (&ping, probe);
        zpoller_t *p = zpoller_new (probe, NULL);
        if (zpoller_wait (p, 100)) {
            zmsg_t *m = zmsg_recv (probe);
            ready = m != NULL;
            zmsg_destroy (&m);
        }
        zpoller_destroy (&p);
    }
    zsock_destroy (&probe);
    return ready;
}

int jk_bench_ingest_options (const char *program, int argc, char **argv,
                             int offices, size_t events,
                             jk_bench_ingest_options_t *opt)
{
    *opt = (jk_bench_ingest_options_t){events, 3, 100, 4};
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--quick")) {
            opt->events = 16000;
            opt->rounds = 1;
        } else if (streq (argv[i], "--events") && i + 1 < argc)
            opt->events = strtoull (argv[++i], NULL, 10);
        else if (streq (argv[i], "--rounds") && i + 1 < argc)
            opt->rounds = atoi (argv[++i]);
        else if (streq (argv[i], "--batch") && i + 1 < argc)
            opt->batch = strtoull (argv[++i], NULL, 10);
        else if (streq (argv[i], "--window") && i + 1 < argc)
            opt->window = atoi (argv[++i]);
        else if (streq (argv[i], "--checkpoint-frames") && i + 1 < argc)
            jk_bench_hub_checkpoint_frames (atoi (argv[++i]));
        else if (streq (argv[i], "--plain-baseline"))
            jk_bench_plain_baseline (true);
        else {
            fprintf (stderr,
                     "usage: %s [--quick] [--events N] [--rounds R] "
                     "[--batch B] [--window W] [--checkpoint-frames F] "
                     "[--plain-baseline]\n",
                     program);
            return 2;
        }
    }
    if (opt->rounds < 1 || opt->rounds > 50 || opt->batch < 1 ||
        opt->batch > JK_SUBMIT_MAX_EVENTS || opt->window < 1 ||
        opt->events < (size_t)offices) {
        fprintf (stderr, "%s: options out of range\n", program);
        return 2;
    }
    return 0;
}
