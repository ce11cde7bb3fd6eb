/*  test_render.c - the board's renderers on a fixed snapshot: exact
    numbers in the terminal text and the JSON, filters, running batches,
    plain text without escape codes, NIKs masked, a bad snapshot. */
#include "jk_status.h"
#include "testsupport.h"

#include <msgpack.h>
#include <string.h>

static void s_str (msgpack_packer *pk, const char *text)
{
    msgpack_pack_str (pk, strlen (text));
    msgpack_pack_str_body (pk, text, strlen (text));
}

static void s_kv_str (msgpack_packer *pk, const char *k, const char *v)
{
    s_str (pk, k);
    s_str (pk, v);
}

static void s_kv_u64 (msgpack_packer *pk, const char *k, uint64_t v)
{
    s_str (pk, k);
    msgpack_pack_uint64 (pk, v);
}

static void s_kecamatan (msgpack_packer *pk, const char *code, const char *name,
                         uint64_t base)
{
    msgpack_pack_map (pk, 9);
    s_kv_str (pk, "code", code);
    s_kv_str (pk, "name", name);
    s_kv_u64 (pk, "cooperatives", base);
    s_kv_u64 (pk, "active", base / 2);
    s_kv_u64 (pk, "people", base * 3);
    s_kv_u64 (pk, "enrolled", base + 1);
    s_kv_u64 (pk, "assessed", base + 2);
    s_kv_u64 (pk, "competent", base + 3);
    s_kv_u64 (pk, "certificates", base + 4);
}

static void s_batch (msgpack_packer *pk, const char *code, const char *title,
                     const char *start, const char *end, bool closed,
                     double pct)
{
    msgpack_pack_map (pk, 11);
    s_kv_str (pk, "batch", code);
    s_kv_str (pk, "title", title);
    s_kv_str (pk, "start_date", start);
    s_kv_str (pk, "end_date", end);
    s_str (pk, "closed");
    if (closed)
        msgpack_pack_true (pk);
    else
        msgpack_pack_false (pk);
    s_kv_u64 (pk, "class_size_max", 30);
    s_kv_u64 (pk, "enrolled", 28);
    s_kv_u64 (pk, "sessions", 5);
    s_kv_u64 (pk, "jp_total", 40);
    s_kv_u64 (pk, "present_today", 25);
    s_str (pk, "attendance_pct");
    msgpack_pack_double (pk, pct);
}

/* A snapshot as docs/PROJECTIONS.md describes it. */
static msgpack_sbuffer s_snapshot (void)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 6);
    s_kv_str (&pk, "as_of", "2022-10-14");
    s_kv_u64 (&pk, "pos", 1234);
    s_str (&pk, "kecamatan");
    msgpack_pack_array (&pk, 2);
    s_kecamatan (&pk, "32.03.01", "Cianjur", 40);
    s_kecamatan (&pk, "32.03.10", "Pacet", 10);
    s_str (&pk, "batches");
    msgpack_pack_array (&pk, 3);
    s_batch (&pk, "PK2UMK-2022-01", "Manajemen Koperasi 3203014107850001",
             "2022-10-10", "2022-10-20", false, 87.5);
    s_batch (&pk, "PK2UMK-2022-02", "Akuntansi", "2022-11-01", "2022-11-05",
             false, 0);
    s_batch (&pk, "PK2UMK-2022-00", "Selesai", "2022-10-01", "2022-10-20", true,
             91.25);
    s_str (&pk, "sources");
    msgpack_pack_array (&pk, 2);
    msgpack_pack_map (&pk, 5);
    s_kv_str (&pk, "source", "32.03.10/pacet-1");
    s_kv_u64 (&pk, "next_seq", 42);
    s_kv_u64 (&pk, "accepted", 39);
    s_kv_u64 (&pk, "rejected", 2);
    s_kv_u64 (&pk, "last_recorded_at", 1665720000000ULL);
    msgpack_pack_map (&pk, 5);
    s_kv_str (&pk, "source", "DINAS/kantor-1");
    s_kv_u64 (&pk, "next_seq", 8);
    s_kv_u64 (&pk, "accepted", 7);
    s_kv_u64 (&pk, "rejected", 0);
    s_kv_u64 (&pk, "last_recorded_at", 1665720000000ULL);
    s_str (&pk, "totals");
    msgpack_pack_map (&pk, 9);
    s_kv_u64 (&pk, "cooperatives", 50);
    s_kv_u64 (&pk, "active", 25);
    s_kv_u64 (&pk, "people", 150);
    s_kv_u64 (&pk, "enrolled", 56);
    s_kv_u64 (&pk, "assessed", 54);
    s_kv_u64 (&pk, "competent", 53);
    s_kv_u64 (&pk, "certificates", 52);
    s_kv_u64 (&pk, "certificates_valid", 51);
    s_kv_u64 (&pk, "rejections", 2);
    return sbuf;
}

static jk_office_t s_office;

static jk_status_view_t s_view (msgpack_sbuffer *sbuf)
{
    static uint8_t hash[32];
    for (int i = 0; i < 32; i++)
        hash[i] = (uint8_t)(0xa0 + i);
    memset (&s_office, 0, sizeof s_office);
    snprintf (s_office.heartbeat.source, sizeof s_office.heartbeat.source,
              "32.03.10/pacet-1");
    snprintf (s_office.heartbeat.program, sizeof s_office.heartbeat.program,
              "jejak-attendance");
    s_office.heartbeat.outbox_depth = 3;
    s_office.heartbeat.last_stored_seq = 41;
    s_office.last_seen_ms = 1665720000000LL;
    return (jk_status_view_t){.snapshot = (const uint8_t *)sbuf->data,
                              .snapshot_size = sbuf->size,
                              .state = "live",
                              .note = "",
                              .pos = 1234,
                              .hash = hash,
                              .head = 1234,
                              .offices = &s_office,
                              .office_count = 1,
                              .now_ms = 1665720012000LL};
}

static char *s_render (const jk_status_view_t *view, bool json, bool ansi,
                       int *rc)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    *rc = json ? jk_render_json (out, view) : jk_render_term (out, view, ansi);
    fclose (out);
    return text;
}

static void test_term_plain (void **state)
{
    (void)state;
    msgpack_sbuffer sbuf = s_snapshot ();
    jk_status_view_t view = s_view (&sbuf);
    int rc;
    char *text = s_render (&view, false, false, &rc);
    assert_int_equal (rc, 0);
    if (getenv ("S_PRINT"))
        fputs (text, stderr);
    assert_null (strchr (text, '\033'));
    assert_non_null (strstr (
        text,
        "Log: posisi / position 1234  head 1234  hash a0a1a2a3a4a5a6a7\n"));
    assert_non_null (strstr (text, "32.03.01  Cianjur                 40 "
                                   "     20    50,0     120       41      42"
                                   "        43         44\n"));
    assert_non_null (strstr (text, "32.03.10  Pacet"));
    /* Running on 2022-10-14: batch 01 only (02 later, 00 closed). */
    assert_non_null (strstr (text, "PK2UMK-2022-01"));
    assert_null (strstr (text, "PK2UMK-2022-02"));
    assert_null (strstr (text, "PK2UMK-2022-00"));
    assert_non_null (strstr (text, "  28             25      87.5%\n"));
    /* The title's NIK-like number is masked. */
    assert_null (strstr (text, "3203014107850001"));
    /* Office merged with its heartbeat: 12 s ago, outbox 3, seq 41. */
    assert_non_null (strstr (text, "32.03.10/pacet-1              12 dtk lalu"
                                   "       3          41          41"
                                   "        39        2\n"));
    assert_non_null (strstr (text, "DINAS/kantor-1"));
    assert_non_null (strstr (
        text, "Koperasi terdaftar / registered 50   aktif / active 25   "
              "orang / people 150\n"));
    assert_non_null (strstr (text, "(berlaku / valid 51)"));
    /* Fits 100 columns. */
    for (char *line = text; *line;) {
        char *end = strchr (line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen (line);
        assert_true (len <= 100);
        line += len + (end ? 1 : 0);
    }
    free (text);
    msgpack_sbuffer_destroy (&sbuf);
}

static void test_term_ansi_and_filters (void **state)
{
    (void)state;
    msgpack_sbuffer sbuf = s_snapshot ();
    jk_status_view_t view = s_view (&sbuf);
    view.kecamatan = "32.03.01";
    view.all_batches = true;
    view.note = "no feed for 3 s";
    int rc;
    char *text = s_render (&view, false, true, &rc);
    assert_int_equal (rc, 0);
    assert_memory_equal (text, "\033[H\033[2J", 7);
    assert_null (strstr (text, "32.03.10  Pacet"));
    assert_non_null (strstr (text, "32.03.01  Cianjur"));
    /* Every batch of the snapshot: the open ones and the recently closed
       one, marked as closed. */
    assert_non_null (strstr (text, "PK2UMK-2022-02"));
    assert_non_null (strstr (text, "PK2UMK-2022-00"));
    assert_non_null (strstr (text, " ditutup"));
    /* Offices of other kecamatan hidden. */
    assert_null (strstr (text, "pacet-1"));
    assert_non_null (strstr (text, "no feed for 3 s"));
    free (text);

    /* By default only the running ones: not the closed one. */
    view.kecamatan = NULL;
    view.all_batches = false;
    text = s_render (&view, false, false, &rc);
    assert_null (strstr (text, "PK2UMK-2022-00"));
    free (text);

    view.batch = "PK2UMK-2022-00";
    text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, "PK2UMK-2022-00"));
    assert_non_null (strstr (text, " ditutup"));
    assert_null (strstr (text, "PK2UMK-2022-01"));
    free (text);
    msgpack_sbuffer_destroy (&sbuf);
}

static void test_json_exact (void **state)
{
    (void)state;
    msgpack_sbuffer sbuf = s_snapshot ();
    jk_status_view_t view = s_view (&sbuf);
    view.kecamatan = "32.03.10";
    view.batch = "PK2UMK-2022-01";
    int rc;
    char *text = s_render (&view, true, false, &rc);
    assert_int_equal (rc, 0);
    const char *expect =
        "{\"state\":\"live\",\"note\":\"\",\"pos\":1234,\"hash\":"
        "\"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\","
        "\"head\":1234,\"snapshot\":{\"as_of\":\"2022-10-14\",\"pos\":1234,"
        "\"kecamatan\":[{\"code\":\"32.03.10\",\"name\":\"Pacet\","
        "\"cooperatives\":10,\"active\":5,\"people\":30,\"enrolled\":11,"
        "\"assessed\":12,\"competent\":13,\"certificates\":14}],"
        "\"batches\":[{\"batch\":\"PK2UMK-2022-01\",\"title\":\"Manajemen "
        "Koperasi 3203********0001\",\"start_date\":\"2022-10-10\","
        "\"end_date\":\"2022-10-20\",\"closed\":false,\"class_size_max\":30,"
        "\"enrolled\":28,\"sessions\":5,\"jp_total\":40,\"present_today\":25,"
        "\"attendance_pct\":87.5}],\"sources\":[{\"source\":"
        "\"32.03.10/pacet-1\",\"next_seq\":42,\"accepted\":39,\"rejected\":2,"
        "\"last_recorded_at\":1665720000000}],\"totals\":{\"cooperatives\":50,"
        "\"active\":25,\"people\":150,\"enrolled\":56,\"assessed\":54,"
        "\"competent\":53,\"certificates\":52,\"certificates_valid\":51,"
        "\"rejections\":2}},\"offices\":[{\"source\":\"32.03.10/pacet-1\","
        "\"program\":\"jejak-attendance\",\"outbox\":3,\"stored_seq\":41,"
        "\"rejected\":0,\"last_seen_ms\":1665720000000}]}\n";
    assert_string_equal (text, expect);
    free (text);
    msgpack_sbuffer_destroy (&sbuf);
}

/* Link lag from both sides' STATS texts (jejak-link send and receive). */
static void test_links (void **state)
{
    (void)state;
    msgpack_sbuffer sbuf = s_snapshot ();
    jk_status_view_t view = s_view (&sbuf);
    view.office_count = 0;
    view.link = "links=2 records=5 arrival_pos=5 link.32.03.cursor=1000 "
                "link.32.03.head=1050 link.32.03.lag=50 "
                "link.32.03.lag_ms=2500 link.32.03.up=1 link.32.03.stored=9 "
                "link.32.03.refused=0 link.32.03.last_refusal=- "
                "link.32.05.cursor=7 link.32.05.head=7 link.32.05.lag=0 "
                "link.32.05.lag_ms=0 link.32.05.up=0 origin.32.03.pos=1000";
    int rc;
    char *text = s_render (&view, true, false, &rc);
    assert_int_equal (rc, 0);
    assert_non_null (strstr (
        text, "\"offices\":[],\"links\":[{\"area\":\"32.03\",\"up\":true,"
              "\"head\":1050,\"cursor\":1000,\"lag\":50,\"lag_ms\":2500},"
              "{\"area\":\"32.05\",\"up\":false,\"head\":7,\"cursor\":7,"
              "\"lag\":0,\"lag_ms\":0}]}\n"));
    free (text);
    text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, "  32.03    tersambung / up    1000 / 1050"
                                   "   50 catatan / records, 2,5 dtk\n"));
    assert_non_null (strstr (text, "  32.05    putus / down       7 / 7   0 "
                                   "catatan / records, 0,0 dtk\n"));
    free (text);
    view.link = "area=32.03 upstream=tcp://x:7460 state=linking head=300 "
                "sent=280 acked=250 lag=50 lag_ms=1200 credit=0 "
                "last_refusal=-";
    text = s_render (&view, true, false, &rc);
    assert_non_null (strstr (
        text, "\"links\":[{\"area\":\"32.03\",\"up\":false,\"head\":300,"
              "\"cursor\":250,\"lag\":50,\"lag_ms\":1200}]}\n"));
    free (text);
    view.link = "";
    text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, "(tautan tidak menjawab / the link did "
                                   "not answer)"));
    free (text);
    msgpack_sbuffer_destroy (&sbuf);
}

static void test_bad_snapshot (void **state)
{
    (void)state;
    const uint8_t junk[] = {0xc1, 0x00, 0x93};
    jk_status_view_t view = {.snapshot = junk, .snapshot_size = sizeof junk};
    int rc;
    char *text = s_render (&view, true, false, &rc);
    assert_int_equal (rc, -1);
    assert_string_equal (text,
                         "{\"error\":\"the snapshot could not be read\"}\n");
    free (text);
    text = s_render (&view, false, false, &rc);
    assert_int_equal (rc, -1);
    assert_string_equal (text,
                         "jejak-status: the snapshot could not be read\n");
    free (text);
}

static void test_mask_niks (void **state)
{
    (void)state;
    char out[128];
    const char *in = "E_DUPLICATE_PERSON: nik 3203014107850001 already; "
                     "id 12345678901234567 kept";
    jk_status_mask_niks (in, strlen (in), out, sizeof out);
    assert_string_equal (out, "E_DUPLICATE_PERSON: nik 3203********0001 "
                              "already; id 12345678901234567 kept");
    jk_status_mask_niks ("3203014107850001", 16, out, 10);
    assert_string_equal (out, "3203*****");
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_term_plain),
        cmocka_unit_test (test_term_ansi_and_filters),
        cmocka_unit_test (test_json_exact),
        cmocka_unit_test (test_links),
        cmocka_unit_test (test_bad_snapshot),
        cmocka_unit_test (test_mask_niks),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
