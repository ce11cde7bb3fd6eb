/*  bench_curve.c - what security costs at ingest: the same hub (broker +
    store actors, as jejak-hub runs them) fed by the same 32 offices with
    the same window, once plain and once in secure mode (CURVE on every
    connection, ZAP by zauth, every event checked against its office key),
    rounds interleaved, medians reported. Goal: CURVE costs at most ~30%.
    Usage: bench_curve [--quick] [--events N] [--rounds R] [--batch B]
                       [--window W]
    Prints a table, then one JSON line. */
#include "bench_common.h"
#include "jk_broker.h"
#include "jk_keys.h"
#include "jk_store.h"
#include "jk_wire.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_OFFICES 32

typedef struct {
    size_t events; /* events per round, over all offices */
    int rounds;
    size_t batch; /* events per SUBMIT */
    int window;   /* SUBMITs in flight per office */
} s_options_t;

typedef struct {
    zcert_t *cert; /* CURVE rounds: this office's enrolled key */
    zsock_t *sock;
    uint8_t **bytes; /* this office's events, in seq order */
    size_t *sizes;
    size_t count;
    size_t sent;     /* events sent */
    size_t answered; /* final answers received */
    int inflight;    /* SUBMITs awaiting their ANSWER */
} s_office_t;

/* A person.registered event with a NIK unique for n. */
static uint8_t *s_person (const char *source, uint64_t seq, size_t n,
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

static void s_office_send (s_office_t *o, size_t batch)
{
    zmsg_t *msg = jk_wire_new ("SUBMIT");
    size_t end = o->sent + batch < o->count ? o->sent + batch : o->count;
    for (; o->sent < end; o->sent++)
        zmsg_addmem (msg, o->bytes[o->sent], o->sizes[o->sent]);
    zmsg_send (&msg, o->sock);
    o->inflight++;
}

/* One round through a fresh hub, plain or CURVE (keys: the keys
   directory): events per second, or -1. */
static double s_hub_round (const s_options_t *opt, s_office_t *offices,
                           const char *dir, int round, const char *keys,
                           uint64_t *nacks)
{
    char ingest[512], feed[512], backend[512], query[512], db[512];
    const char *mode = keys ? "curve" : "plain";
    snprintf (ingest, sizeof ingest, "ipc://%s/ingest-%s-%d", dir, mode, round);
    snprintf (feed, sizeof feed, "ipc://%s/feed-%s-%d", dir, mode, round);
    snprintf (backend, sizeof backend, "inproc://bench-backend-%s-%d", mode,
              round);
    snprintf (query, sizeof query, "ipc://%s/query-%s-%d", dir, mode, round);
    snprintf (db, sizeof db, "%s/hub-%s-%d.db", dir, mode, round);
    char cert[512], offices_dir[512];
    snprintf (cert, sizeof cert, "%s/%s", keys ? keys : "",
              JK_KEYS_BROKER_SECRET);
    snprintf (offices_dir, sizeof offices_dir, "%s/%s", keys ? keys : "",
              JK_KEYS_OFFICES);
    jk_broker_config_t bconfig = {ingest,
                                  feed,
                                  backend,
                                  0,
                                  keys ? cert : NULL,
                                  keys ? offices_dir : NULL};
    zcert_t *server = keys ? zcert_load (cert) : NULL;
    zactor_t *broker = jk_broker_start (&bconfig);
    jk_store_config_t sconfig;
    memset (&sconfig, 0, sizeof sconfig);
    sconfig.db_path = db;
    sconfig.backend = backend;
    sconfig.query = query;
    zactor_t *store = broker ? jk_store_start (&sconfig) : NULL;
    if (!store) {
        zactor_destroy (&broker);
        return -1;
    }
    /* Wait until the broker has heard the store. */
    while (true) {
        zstr_send (broker, "STATS");
        char *text = zstr_recv (broker);
        bool up = strstr (text, "store=up") != NULL;
        zstr_free (&text);
        if (up)
            break;
        zclock_sleep (1);
    }
    zmq_pollitem_t items[S_OFFICES];
    for (int i = 0; i < S_OFFICES; i++) {
        s_office_t *o = &offices[i];
        o->sock = zsock_new (ZMQ_DEALER);
        zsock_set_linger (o->sock, 0);
        if (server) {
            zcert_apply (o->cert, o->sock);
            zsock_set_curve_serverkey (o->sock, zcert_public_txt (server));
        }
        zsock_connect (o->sock, "%s", ingest);
        o->sent = o->answered = 0;
        o->inflight = 0;
        items[i] = (zmq_pollitem_t){zsock_resolve (o->sock), 0, ZMQ_POLLIN, 0};
    }
    double start = jk_bench_now ();
    for (int i = 0; i < S_OFFICES; i++)
        for (int w = 0; w < opt->window && offices[i].sent < offices[i].count;
             w++)
            s_office_send (&offices[i], opt->batch);
    size_t done = 0, total = 0;
    for (int i = 0; i < S_OFFICES; i++)
        total += offices[i].count;
    while (done < total) {
        if (zmq_poll (items, S_OFFICES, 10000) <= 0) {
            fprintf (stderr, "bench_curve: no answer for 10 s\n");
            break;
        }
        for (int i = 0; i < S_OFFICES; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            s_office_t *o = &offices[i];
            zmsg_t *msg = zmsg_recv (o->sock);
            char command[16];
            if (jk_wire_open (msg, command, sizeof command) == 0 &&
                streq (command, "ANSWER")) {
                o->inflight--;
                for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
                    jk_answer_t a;
                    if (jk_answer_decode (zframe_data (f), zframe_size (f),
                                          &a) == 0 &&
                        a.kind == JK_ANSWER_NACK)
                        (*nacks)++;
                    o->answered++;
                    done++;
                }
                if (o->sent < o->count)
                    s_office_send (o, opt->batch);
            }
            zmsg_destroy (&msg);
        }
    }
    double rate = (double)total / (jk_bench_now () - start);
    for (int i = 0; i < S_OFFICES; i++)
        zsock_destroy (&offices[i].sock);
    zactor_destroy (&store);
    zactor_destroy (&broker);
    zcert_destroy (&server);
    return done == total ? rate : -1;
}

int main (int argc, char **argv)
{
    s_options_t opt = {64000, 3, 100, 4};
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--quick")) {
            opt.events = 16000;
            opt.rounds = 1;
        } else if (streq (argv[i], "--events") && i + 1 < argc)
            opt.events = strtoull (argv[++i], NULL, 10);
        else if (streq (argv[i], "--rounds") && i + 1 < argc)
            opt.rounds = atoi (argv[++i]);
        else if (streq (argv[i], "--batch") && i + 1 < argc)
            opt.batch = strtoull (argv[++i], NULL, 10);
        else if (streq (argv[i], "--window") && i + 1 < argc)
            opt.window = atoi (argv[++i]);
        else {
            fprintf (stderr, "usage: bench_curve [--quick] [--events N] "
                             "[--rounds R] [--batch B] [--window W]\n");
            return 2;
        }
    }
    if (opt.rounds < 1 || opt.rounds > 50 || opt.batch < 1 ||
        opt.batch > JK_SUBMIT_MAX_EVENTS || opt.window < 1 ||
        opt.events < S_OFFICES) {
        fprintf (stderr, "bench_curve: options out of range\n");
        return 2;
    }
    jk_log_set_level (JK_LOG_WARN);
    const jk_region_t *region = jk_region_default ();
    char *dir = jk_bench_tmpdir ("curve");
    char keys[512], err[512];
    snprintf (keys, sizeof keys, "%s/keys", dir);
    if (jk_keys_init (keys, false, err, sizeof err) != JK_OK) {
        fprintf (stderr, "bench_curve: %s\n", err);
        return 1;
    }
    s_office_t offices[S_OFFICES];
    memset (offices, 0, sizeof offices);
    size_t per = opt.events / S_OFFICES;
    for (int i = 0; i < S_OFFICES; i++) {
        const char *name;
        const char *code = jk_region_kecamatan_at (
            region, (size_t)i % jk_region_kecamatan_count (region), &name);
        char source[64], device[32], secret[512];
        snprintf (device, sizeof device, "bench-%d", i);
        snprintf (source, sizeof source, "%s/%s", code, device);
        if (jk_keys_enrol (keys, code, "registration", device, NULL, secret,
                           sizeof secret, err, sizeof err) != JK_OK) {
            fprintf (stderr, "bench_curve: %s\n", err);
            return 1;
        }
        s_office_t *o = &offices[i];
        o->cert = zcert_load (secret);
        o->count = per;
        o->bytes = jk_calloc (per, sizeof *o->bytes);
        o->sizes = jk_calloc (per, sizeof *o->sizes);
        for (size_t k = 0; k < per; k++)
            o->bytes[k] =
                s_person (source, k + 1, (size_t)i * per + k, &o->sizes[k]);
    }
    double *plain = jk_calloc ((size_t)opt.rounds, sizeof (double));
    double *curve = jk_calloc ((size_t)opt.rounds, sizeof (double));
    uint64_t nacks = 0;
    /* Rounds interleaved (plain, CURVE, plain, CURVE ...), each through a
       fresh hub, so drift of the machine falls on both alike. */
    for (int r = 0; r < opt.rounds; r++) {
        plain[r] = s_hub_round (&opt, offices, dir, r, NULL, &nacks);
        curve[r] = s_hub_round (&opt, offices, dir, r, keys, &nacks);
        if (plain[r] < 0 || curve[r] < 0) {
            fprintf (stderr, "bench_curve: round %d failed\n", r);
            return 1;
        }
    }
    double plain_median = jk_bench_median (plain, (size_t)opt.rounds);
    double curve_median = jk_bench_median (curve, (size_t)opt.rounds);
    double cost = 1.0 - curve_median / plain_median;
    size_t n = per * S_OFFICES;
    printf ("hub ingest, plain vs CURVE, %d offices, %zu events, SUBMIT of "
            "%zu, window %d, %d rounds (medians)\n",
            S_OFFICES, n, opt.batch, opt.window, opt.rounds);
    printf ("  %-34s %12.0f ev/s\n", "plain (NULL mechanism)", plain_median);
    printf ("  %-34s %12.0f ev/s\n", "CURVE + ZAP + per-event check",
            curve_median);
    printf ("  %-34s %11.1f %%\n", "curve_cost", 100.0 * cost);
    printf ("  %-34s %12" PRIu64 "\n", "NACKs", nacks);
    printf ("{\"bench\":\"curve\",\"offices\":%d,\"events\":%zu,"
            "\"batch\":%zu,\"window\":%d,\"rounds\":%d,"
            "\"plain_ev_s\":%.0f,\"curve_ev_s\":%.0f,"
            "\"curve_cost\":%.3f,\"nacks\":%" PRIu64 "}\n",
            S_OFFICES, n, opt.batch, opt.window, opt.rounds, plain_median,
            curve_median, cost, nacks);
    for (int i = 0; i < S_OFFICES; i++) {
        for (size_t k = 0; k < offices[i].count; k++)
            free (offices[i].bytes[k]);
        free (offices[i].bytes);
        free (offices[i].sizes);
        zcert_destroy (&offices[i].cert);
    }
    free (plain);
    free (curve);
    jk_bench_rmdir (&dir);
    return nacks ? 1 : 0;
}
