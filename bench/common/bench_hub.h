/*  bench_hub.h - the hub the ingest benchmarks drive and the offices that
    drive it: an in-process hub (broker + store actors, as jejak-hub runs
    them), a real jejak-hub process, and N simulated offices, each its own
    DEALER with a window of SUBMITs in flight. Used by bench_ingest,
    bench_curve, bench_web, bench_latency, bench_drain and bench_growth. */
#ifndef JK_BENCH_HUB_H
#define JK_BENCH_HUB_H

#include "jk_wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A person.registered event from source with sequence number seq and a
   NIK unique for n, encoded; the caller frees the bytes. */
uint8_t *jk_bench_person (const char *source, uint64_t seq, size_t n,
                          size_t *size);

/* The NIK and birth date of the person of serial: unique NIKs (and so
   people) for 9999 x 28 x 12 x 15 = 50M serials. */
void jk_bench_nik (unsigned serial, char nik[17], char birth[11]);
/* A valid person.registered of the person of serial (jk_bench_nik) from
   source with sequence number seq, actor "bench", encoded; the caller
   frees the bytes. */
uint8_t *jk_bench_person_of (const char *source, uint64_t seq, unsigned serial,
                             size_t *size);

/* An in-process hub on endpoints under dir, named by name (unique per
   hub in the process): ingest, feed and query on ipc, the backend on
   inproc, the log at dir/hub-<name>.db. */
typedef struct {
    zactor_t *broker;
    zactor_t *store;
    char ingest[512];  /* ipc://<dir>/ingest-<name> */
    char feed[512];    /* ipc://<dir>/feed-<name> */
    char query[512];   /* ipc://<dir>/query-<name> */
    char backend[512]; /* inproc://bench-backend-<name> */
    char db[512];      /* <dir>/hub-<name>.db */
    zcert_t *server;   /* secure mode: the broker's certificate */
} jk_bench_hub_t;

/* Starts the broker and the store into hub and waits until the broker
   has heard the store. Secure mode when cert (the broker's secret key
   file) and offices (the enrolled office keys) are both set. Returns 0,
   or -1 when either actor could not start (hub is then stopped). */
int jk_bench_hub_start (jk_bench_hub_t *hub, const char *dir, const char *name,
                        const char *cert, const char *offices);
/* The same, with the Merkle tree on or off (jk_store_config_t no_tree). */
int jk_bench_hub_start_tree (jk_bench_hub_t *hub, const char *dir,
                             const char *name, const char *cert,
                             const char *offices, bool tree);

/* The TRANSPORT FLOOR in the hub's process shape (bench_floor.c): a front
   actor (ROUTER on ipc://<dir>/floor-<name>, as the broker) and a writer
   actor (as the store: group commit of up to 1,000 waiting events into
   the bare log of bench_common, synchronous=FULL, then one ACK per event
   with its position and hash), linked over inproc. Fills hub (ingest, db,
   broker = front, store = writer) so jk_bench_offices_run and
   jk_bench_hub_stop drive it like a hub. Returns 0 or -1. */
int jk_bench_floor_start (jk_bench_hub_t *hub, const char *dir,
                          const char *name);

/* Stops the store, then the broker, and drops the certificate. */
void jk_bench_hub_stop (jk_bench_hub_t *hub);

/* One simulated office: its events, its socket during a round, and what
   it has sent and had answered. */
typedef struct {
    char source[64];       /* "<kecamatan>/<device>" */
    char device[32];       /* "bench-<i>" */
    const char *kecamatan; /* code, from the default region */
    zcert_t *cert;         /* secure rounds: this office's enrolled key */
    zsock_t *sock;         /* during a round */
    uint8_t **bytes;       /* this office's events, in seq order */
    size_t *sizes;
    size_t count;
    size_t sent;     /* events sent */
    size_t answered; /* final answers received */
    int inflight;    /* SUBMITs awaiting their ANSWER */
} jk_bench_office_t;

/* Fills offices[0..count) with per events each: office i is device
   bench-<i> of the i-th kecamatan of the default region (round robin),
   its events jk_bench_person (source, k + 1, i * per + k, ...). */
void jk_bench_offices_fill (jk_bench_office_t *offices, int count, size_t per);

/* Frees the events and certificates of offices[0..count). */
void jk_bench_offices_free (jk_bench_office_t *offices, int count);

/* One timed round: connects every office to hub's ingest (with its
   certificate in secure mode), keeps window SUBMITs of batch events in
   flight per office until every event is answered, then closes the
   sockets. Counts NACK answers into *nacks when nacks is set. Returns
   events per second, or -1 when the hub stopped answering for 10 s
   (reported on stderr, prefixed with who). */
double jk_bench_offices_run (jk_bench_office_t *offices, int count,
                             const jk_bench_hub_t *hub, size_t batch,
                             int window, uint64_t *nacks, const char *who);

/* Options of the 32-office ingest benchmarks (bench_ingest, bench_curve). */
typedef struct {
    size_t events; /* events per round, over all offices */
    int rounds;
    size_t batch; /* events per SUBMIT */
    int window;   /* SUBMITs in flight per office */
} jk_bench_ingest_options_t;

/* Parses [--quick] [--events N] [--rounds R] [--batch B] [--window W]
   [--checkpoint-frames F] [--plain-baseline] into opt (defaults events, 3, 100,
   4; --quick 16000 events, 1 round) and checks the ranges for count offices.
   --checkpoint-frames sets the hubs' store WAL checkpoint threshold
   (jk_bench_hub_checkpoint_frames) to compare policies in paired runs;
   the floor and the baseline are not changed. --plain-baseline gives the
   floor and the baseline SQLite's default VFS and the baseline SQLite's
   automatic checkpoints (jk_bench_plain_baseline). Returns 0, or 2 after
   printing the usage or the problem for program. */
int jk_bench_ingest_options (const char *program, int argc, char **argv,
                             int offices, size_t events,
                             jk_bench_ingest_options_t *opt);

/* The store's checkpoint_frames for the hubs started from now on (0: the
   store's default). */
void jk_bench_hub_checkpoint_frames (int frames);

/* What a round runs against. */
typedef enum {
    JK_BENCH_HUB,         /* the hub (broker + store) */
    JK_BENCH_FLOOR,       /* the transport floor (jk_bench_floor_start) */
    JK_BENCH_HUB_NO_TREE, /* the hub without the Merkle tree (--no-tree) */
} jk_bench_target_t;

/* How far the stored Merkle tree was behind the log at the last answer
   of a round, and how long after it the tree reached the head. */
typedef struct {
    uint64_t lag; /* records */
    double ms;
    int asks; /* STATS asked */
} jk_bench_tree_lag_t;

/* Asks hub's STATS at once and then until its stored tree (tree=)
   reaches its head (head=): the first answer's head - tree into *lag,
   the time until equal into *ms, the STATS asked into *asks. Between two
   asks it waits half the time left at the tree's pace so far (1 to 50
   ms; 5 ms until the tree moves), so *ms is late by at most that last
   wait. 0, or -1 after 60 s or a silence. */
int jk_bench_tree_settle (const jk_bench_hub_t *hub, uint64_t *lag, double *ms,
                          int *asks);

/* One round of opt's SUBMITs from offices[0..count) through a fresh
   target started in dir (named by round and target), then stopped.
   With tree set and target JK_BENCH_HUB, the tree's lag after the last
   answer (jk_bench_tree_settle, after the time taken) goes there.
   Events per second, or -1 (reported on stderr, prefixed with who). */
double jk_bench_ingest_round (const jk_bench_ingest_options_t *opt,
                              jk_bench_office_t *offices, int count,
                              const char *dir, int round,
                              jk_bench_target_t target, uint64_t *nacks,
                              jk_bench_tree_lag_t *tree, const char *who);

/* The directory of this program (where the other programs of the build
   sit), as a heap string; "." when unknown. */
char *jk_bench_program_dir (void);

/* Starts a jejak-hub process (program) with its log at db on the given
   endpoints, output to /dev/null. Returns its pid, or -1. */
pid_t jk_bench_hub_spawn (const char *program, const char *db,
                          const char *ingest, const char *feed,
                          const char *query);
/* The same in secure mode (--keys keys) when keys is set. */
pid_t jk_bench_hub_spawn_keys (const char *program, const char *db,
                               const char *ingest, const char *feed,
                               const char *query, const char *keys);

/* Waits until the hub on ingest answers a PING sent as source/program;
   false after about 10 s. The broker answers a PING itself while it has
   not heard its store: the hub is up, the store may not be (a SUBMIT is
   then answered NACK E_UNAVAILABLE, which the agents' delivery resends). */
bool jk_bench_hub_ready (const char *ingest, const char *source,
                         const char *program);

#endif
