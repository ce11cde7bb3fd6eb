/*  bench_codec.c - events per second through the event codec (encode,
    decode, validate) for a realistic mix of ~200-byte events, beside bare
    msgpack-c packing and unpacking the same events in the same run.
    Prints a table of medians over several rounds and one JSON line.
    Usage: bench_codec [--quick] [--rounds N] */
#include "../tests/unit/schema/samples.h"
#include "bench_common.h"

#include <msgpack.h>

/* The mix: what offices send most (attendance, scores, enrolments). */
static const char *s_mix[] = {
    "attendance.recorded",        "attendance.recorded",
    "attendance.recorded",        "assessment.unit_assessed",
    "assessment.unit_assessed",   "training.participant_enrolled",
    "training.session_scheduled", "cooperative.rat_held",
    "certificate.issued",         "training.participant_withdrawn",
};
#define MIX (sizeof s_mix / sizeof s_mix[0])

/* A sink the optimiser cannot see through. */
static volatile size_t s_sink;

int main (int argc, char **argv)
{
    int rounds = 7;
    long count = 400000;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--quick") == 0) {
            rounds = 3;
            count = 50000;
        } else if (strcmp (argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi (argv[++i]);
        else {
            fprintf (stderr, "usage: bench_codec [--quick] [--rounds N]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 99)
        rounds = 7;

    jk_event_t *events[MIX];
    uint8_t *bytes[MIX];
    size_t sizes[MIX], total = 0;
    msgpack_unpacked objects[MIX]; /* the same events as msgpack objects */
    for (size_t i = 0; i < MIX; i++) {
        events[i] = jk_sample_by_name (s_mix[i]);
        bytes[i] = jk_event_encode (events[i], &sizes[i]);
        total += sizes[i];
        msgpack_unpacked_init (&objects[i]);
        size_t off = 0;
        msgpack_unpack_next (&objects[i], (const char *)bytes[i], sizes[i],
                             &off);
    }
    jk_context_t ctx = {JK_SAMPLE_NOW_MS, jk_region_default ()};
    jk_event_t *decoded[MIX];
    for (size_t i = 0; i < MIX; i++) {
        decoded[i] = jk_event_decode (bytes[i], sizes[i], NULL);
        jk_report_t report;
        if (!decoded[i] || jk_event_validate (decoded[i], &ctx, &report)) {
            fprintf (stderr, "bench_codec: sample %s does not validate\n",
                     s_mix[i]);
            return 1;
        }
    }

    double enc[99], dec[99], val[99], benc[99], bdec[99];
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);

    for (int r = 0; r < rounds; r++) {
        double t0 = jk_bench_now ();
        for (long k = 0; k < count; k++) {
            size_t n;
            uint8_t *b = jk_event_encode (events[k % MIX], &n);
            s_sink += n + b[n - 1];
            free (b);
        }
        double t1 = jk_bench_now ();
        for (long k = 0; k < count; k++) {
            jk_event_t *ev =
                jk_event_decode (bytes[k % MIX], sizes[k % MIX], NULL);
            s_sink += ev->seq;
            jk_event_destroy (&ev);
        }
        double t2 = jk_bench_now ();
        for (long k = 0; k < count; k++) {
            jk_report_t report;
            s_sink +=
                (size_t)jk_event_validate (decoded[k % MIX], &ctx, &report);
        }
        double t3 = jk_bench_now ();
        for (long k = 0; k < count; k++) {
            sbuf.size = 0;
            msgpack_pack_object (&pk, objects[k % MIX].data);
            s_sink += sbuf.size;
        }
        double t4 = jk_bench_now ();
        for (long k = 0; k < count; k++) {
            size_t off = 0;
            msgpack_unpack_next (&result, (const char *)bytes[k % MIX],
                                 sizes[k % MIX], &off);
            s_sink += result.data.via.map.size;
        }
        double t5 = jk_bench_now ();
        enc[r] = (double)count / (t1 - t0);
        dec[r] = (double)count / (t2 - t1);
        val[r] = (double)count / (t3 - t2);
        benc[r] = (double)count / (t4 - t3);
        bdec[r] = (double)count / (t5 - t4);
    }
    double e = jk_bench_median (enc, (size_t)rounds),
           d = jk_bench_median (dec, (size_t)rounds),
           v = jk_bench_median (val, (size_t)rounds),
           be = jk_bench_median (benc, (size_t)rounds),
           bd = jk_bench_median (bdec, (size_t)rounds);
    double re = e / be, rd = d / bd;
    printf ("codec: %d rounds of %ld events, mean %zu bytes, %zu types\n",
            rounds, count, total / MIX, (size_t)6);
    printf ("  %-22s %12s\n", "median events/s", "");
    printf ("  %-22s %12.0f\n", "encode", e);
    printf ("  %-22s %12.0f\n", "decode", d);
    printf ("  %-22s %12.0f\n", "validate", v);
    printf ("  %-22s %12.0f\n", "bare msgpack pack", be);
    printf ("  %-22s %12.0f\n", "bare msgpack unpack", bd);
    printf ("  %-22s %12.2f (goal >= 0.5)\n", "encode / bare", re);
    printf ("  %-22s %12.2f (goal >= 0.5)\n", "decode / bare", rd);
    printf ("{\"bench\":\"codec\",\"rounds\":%d,\"events\":%ld,"
            "\"mean_bytes\":%zu,\"encode_eps\":%.0f,\"decode_eps\":%.0f,"
            "\"validate_eps\":%.0f,\"bare_encode_eps\":%.0f,"
            "\"bare_decode_eps\":%.0f,\"codec_ratio\":{\"encode\":%.2f,"
            "\"decode\":%.2f}}\n",
            rounds, count, total / MIX, e, d, v, be, bd, re, rd);

    msgpack_unpacked_destroy (&result);
    msgpack_sbuffer_destroy (&sbuf);
    for (size_t i = 0; i < MIX; i++) {
        jk_event_destroy (&events[i]);
        jk_event_destroy (&decoded[i]);
        msgpack_unpacked_destroy (&objects[i]);
        free (bytes[i]);
    }
    return 0;
}
