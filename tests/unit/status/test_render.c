/*  test_render.c - the board's renderers on a real snapshot: events
    applied to real projection tables, the snapshot taken by the store's
    own code (jk_projections_snapshot), then exact numbers in the terminal
    text and the JSON, filters, running batches, plain text without
    escape codes, NIKs masked, a bad snapshot. A key renamed in the
    snapshot fails these tests. */
#include "jk_active.h"
#include "jk_status.h"
#include "projections_harness.h"

#include <msgpack.h>
#include <string.h>

#define COOP_PACET   "AHU-0000123.AH.01.26"
#define COOP_CIANJUR "AHU-0000456.AH.01.26"
#define BATCH_NOW    "PK2UMK-2023-01"
#define BATCH_LATER  "PK2UMK-2023-02"
#define BATCH_DONE   "PK2UMK-2023-00"

/* The board's day: session 1 of BATCH_NOW. */
static int32_t s_day (void)
{
    return jk_days_from_civil (2023, 5, 8);
}

static void s_cooperative (harness_t *h, const char *legal, const char *desa)
{
    H_OK (h, h_event (h, "cooperative.registered", "legal_number", legal,
                      "legal_date", "2001-05-01", "name", "Koperasi Maju",
                      "form", "PRIMER", "kind", "SIMPAN_PINJAM", "pattern",
                      "KONVENSIONAL", "desa_code", desa, "members_male", "10",
                      "members_female", "12", NULL));
}

static void s_batch (harness_t *h, const char *batch, const char *title,
                     const char *start, const char *end)
{
    H_OK (h, h_event (h, "training.batch_scheduled", "batch", batch, "title",
                      title, "funding", "DAK_NF_PK2UMK", "budget_year", "2023",
                      "venue", "Aula Pacet", "venue_desa_code", "32.03.10.2001",
                      "start_date", start, "end_date", end, NULL));
}

static void s_session (harness_t *h, const char *no, const char *date,
                       const char *jp)
{
    H_OK (h, h_event (h, "training.session_scheduled", "batch", BATCH_NOW,
                      "session_no", no, "date", date, "starts", "08:00", "ends",
                      "11:00", "jp", jp, "topic", "Modul", NULL));
}

static void s_present (harness_t *h, int n, const char *status,
                       const char *check_in)
{
    H_OK (h,
          h_event (h, "attendance.recorded", "batch", BATCH_NOW, "session_no",
                   "1", "nik", h_nik (n), "status", status, "method", "PAPER",
                   check_in ? "check_in" : NULL, check_in, NULL));
}

/* Two cooperatives (Pacet active by its RAT, Cianjur not), three people
   in Pacet, a running batch (4 + 2 JP, three enrolled, two present on the
   day), one starting later, one closed; one rejection. The snapshot is
   the store's own, as of the day. */
static uint8_t *s_snapshot (size_t *size, uint64_t *pos, uint64_t *next_seq)
{
    harness_t h;
    h_open (&h, "render", NULL);
    s_cooperative (&h, COOP_PACET, "32.03.10.2001");
    s_cooperative (&h, COOP_CIANJUR, "32.03.01.1006");
    H_OK (&h, h_event (&h, "cooperative.rat_held", "legal_number", COOP_PACET,
                       "book_year", "2022", "held_on", "2023-03-01",
                       "members_present", "15", "quorum_met", "true", NULL));
    for (int n = 1; n <= 3; n++)
        H_OK (&h, h_event (&h, "person.registered", "nik", h_nik (n), "name",
                           "Asep Sunandar", "sex", "L", "birth_date",
                           "1990-01-01", "desa_code", "32.03.10.2001",
                           "cooperative", COOP_PACET, "role", "ANGGOTA", NULL));
    s_batch (&h, BATCH_NOW, "Manajemen Koperasi 3203014107850001", "2023-05-08",
             "2023-05-10");
    s_session (&h, "1", "2023-05-08", "4");
    s_session (&h, "2", "2023-05-09", "2");
    for (int n = 1; n <= 3; n++)
        H_OK (&h,
              h_event (&h, "training.participant_enrolled", "batch", BATCH_NOW,
                       "nik", h_nik (n), "cooperative", COOP_PACET, NULL));
    s_present (&h, 1, "HADIR", "07:55");
    s_present (&h, 2, "TERLAMBAT", "08:30");
    s_present (&h, 3, "IZIN", NULL);
    s_batch (&h, BATCH_LATER, "Akuntansi", "2023-06-01", "2023-06-02");
    s_batch (&h, BATCH_DONE, "Selesai", "2023-04-03", "2023-04-05");
    H_OK (&h, h_event (&h, "training.batch_closed", "batch", BATCH_DONE, NULL));
    H_REJECT (&h, h_event (&h, "training.batch_closed", "batch", "NOPE", NULL),
              "E_UNKNOWN_BATCH");
    uint8_t *bytes = jk_projections_snapshot (h.db, s_day (), size);
    assert_non_null (bytes);
    *pos = h.pos;
    *next_seq = h.seq + 1;
    h_close (&h);
    return bytes;
}

typedef struct {
    uint8_t *bytes;
    size_t size;
    uint64_t pos;
    uint64_t next_seq;
} s_snap_t;

static s_snap_t s_snap;

static int s_setup (void **state)
{
    (void)state;
    s_snap.bytes = s_snapshot (&s_snap.size, &s_snap.pos, &s_snap.next_seq);
    return 0;
}

static int s_teardown (void **state)
{
    (void)state;
    free (s_snap.bytes);
    return 0;
}

static jk_office_t s_office;

static jk_status_view_t s_view (void)
{
    static uint8_t hash[32];
    for (int i = 0; i < 32; i++)
        hash[i] = (uint8_t)(0xa0 + i);
    memset (&s_office, 0, sizeof s_office);
    snprintf (s_office.heartbeat.source, sizeof s_office.heartbeat.source,
              "32.03.10/test-1");
    snprintf (s_office.heartbeat.program, sizeof s_office.heartbeat.program,
              "jejak-attendance");
    s_office.heartbeat.outbox_depth = 3;
    s_office.heartbeat.last_stored_seq = 41;
    s_office.last_seen_ms = 1665720000000LL;
    return (jk_status_view_t){.snapshot = s_snap.bytes,
                              .snapshot_size = s_snap.size,
                              .state = "live",
                              .note = NULL,
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

/* Every page of text: at most rows lines, each at most 80 characters
   (code points) and valid UTF-8; returns the number of pages (footers). */
static int s_check_pages (const char *text, int rows)
{
    int pages = 0, lines = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen (line);
        int chars = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)line[i];
            chars += (c & 0xC0) != 0x80;
            if (c >= 0x80 && (c & 0xC0) != 0x80) {
                int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
                for (int k = 1; k <= n; k++)
                    assert_true (i + (size_t)k < len &&
                                 ((unsigned char)line[i + (size_t)k] & 0xC0) ==
                                     0x80);
            }
        }
        if (chars > 80)
            fail_msg ("line of %d characters: %.*s", chars, (int)len, line);
        lines++;
        if (strncmp (line, "-- halaman / page ", 18) == 0) {
            assert_true (lines <= rows);
            pages++;
            lines = 0;
        }
        line += len + (end ? 1 : 0);
    }
    assert_int_equal (lines, 0); /* the text ends with a footer */
    return pages;
}

/* No line of text was cut at the screen's edge: none is 80 characters
   ending in '~', and no repeated title is cut before its tail. */
static void s_check_whole (const char *text)
{
    for (const char *line = text; *line;) {
        size_t len = strcspn (line, "\n");
        int chars = 0;
        for (size_t i = 0; i < len; i++)
            chars += ((unsigned char)line[i] & 0xC0) != 0x80;
        /* Bold lines: the escape codes are not columns. */
        if (len >= 4 && strncmp (line + len - 4, "\033[0m", 4) == 0) {
            len -= 4;
            chars -= 8;
        }
        char *copy = jk_sprintf ("%.*s", (int)len, line);
        if ((chars >= 80 && line[len - 1] == '~') ||
            strstr (copy, "~ (lanjutan / cont.)"))
            fail_msg ("line cut at 80 columns: %s", copy);
        free (copy);
        line += strcspn (line, "\n");
        line += *line ? 1 : 0;
    }
}

static void test_term_plain (void **state)
{
    (void)state;
    jk_status_view_t view = s_view ();
    int rc;
    char *text = s_render (&view, false, false, &rc);
    if (getenv ("S_PRINT"))
        fputs (text, stderr);
    /* 32 kecamatan, a batch, an office and the totals: four pages of
       80 x 24, every one of them printed (page 0). */
    assert_int_equal (rc, 4);
    assert_int_equal (s_check_pages (text, 24), 4);
    assert_null (strchr (text, '\033'));
    assert_non_null (strstr (
        text, "JEJAK - Status Koperasi & Pelatihan per 08/05/2023 WIB "
              "[langsung / live]\nLog: posisi / position 1234  head 1234  hash "
              "a0a1a2a3a4a5a6a7\n"));
    assert_non_null (strstr (text, "-- halaman / page 1/4 --\n"));
    assert_non_null (strstr (text, "-- halaman / page 4/4 --\n"));
    /* A table cut by a page repeats its title and heading. */
    assert_non_null (strstr (text, "-- halaman / page 1/4 --\nJEJAK"));
    assert_non_null (strstr (text, "(per 08/05/2023 / as of) (lanjutan / "
                                   "cont.)\nKode     Kecamatan "));
    /* Pacet: 1 cooperative, active by its RAT (100,0 %), 3 people, all
       enrolled; Cianjur: 1 cooperative without a RAT. */
    assert_non_null (strstr (text, "32.03.10 Pacet              1     1  "
                                   "100,0      3       3      0     0     "
                                   "0\n"));
    assert_non_null (strstr (text, "32.03.01 Cianjur            1     0    "
                                   "0,0      0       0      0     0     "
                                   "0\n"));
    /* Running on 2023-05-08: batch 01 only (02 later, 00 closed): 3
       enrolled, 2 present (HADIR, TERLAMBAT; IZIN is not), 8 JP attended
       of 6 x 3 = 44,4 %; the title cut on a character, marked ~. */
    assert_non_null (strstr (text, BATCH_NOW));
    assert_null (strstr (text, BATCH_LATER));
    assert_null (strstr (text, BATCH_DONE));
    assert_non_null (strstr (text, "Manajemen Kope~ 08/05..10/05       3"
                                   "      2    44,4 %\n"));
    /* The title's NIK-like number never shows whole. */
    assert_null (strstr (text, "3203014107850001"));
    /* The office merged with its heartbeat: 12 s ago, outbox 3, highest
       seq 19 in the log, 41 by the office, 18 accepted, 1 rejected. The
       office holds receipts up to 41: the log is behind it, marked. */
    assert_non_null (strstr (text, "32.03.10/test-1          12 dtk lalu"
                                   "      3       19       41       18"
                                   "       1 !\n! 1 kantor mencatat lebih "
                                   "banyak dari log / 1 office(s) ahead of "
                                   "the log:\n"));
    assert_non_null (
        strstr (text, "Koperasi terdaftar / registered 2   aktif / active 1   "
                      "orang / people 3\n"));
    assert_non_null (strstr (text, "ditolak / rejected submissions 1\n"));
    assert_non_null (strstr (text, "RAT tahun buku 2022 / book year: tepat "
                                   "waktu / on time 1, diadakan / held 1\n"));
    assert_non_null (strstr (text, "Kualitas data / data quality: terbuka / "
                                   "open 0, selesai / resolved 0\n"));
    free (text);

    /* While the board catches up, its replica is what is behind: no
       mark. An office in step with the log: none either. */
    view.head = view.pos + 5;
    text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, "       18       1\n"));
    assert_null (strstr (text, "ahead of the log"));
    free (text);
    view.head = view.pos;
    s_office.heartbeat.last_stored_seq = 19;
    text = s_render (&view, false, false, &rc);
    assert_null (strstr (text, "ahead of the log"));
    free (text);
    s_office.heartbeat.last_stored_seq = 41;

    /* One page at a time: --page 2 is page 2 only; past the end, the
       last; a taller screen needs fewer pages. */
    view.page = 2;
    text = s_render (&view, false, false, &rc);
    assert_int_equal (rc, 4);
    assert_int_equal (s_check_pages (text, 24), 1);
    assert_non_null (strstr (text, "-- halaman / page 2/4 --\n"));
    assert_null (strstr (text, "32.03.01 Cianjur"));
    free (text);
    view.page = 9;
    text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, "-- halaman / page 4/4 --\n"));
    free (text);
    view.page = 0;
    view.rows = 60;
    text = s_render (&view, false, false, &rc);
    assert_int_equal (rc, 2);
    assert_int_equal (s_check_pages (text, 60), 2);
    free (text);

    /* A long source name (not ASCII) is cut on a character boundary and
       the next column starts where it always does. */
    jk_office_t office = s_office;
    snprintf (office.heartbeat.source, sizeof office.heartbeat.source,
              "32.03.10/kantor-désa-ÇÇÇÇÇÇÇÇÇÇÇÇ");
    view = s_view ();
    view.offices = &office;
    text = s_render (&view, false, false, &rc);
    assert_int_equal (s_check_pages (text, 24), rc);
    assert_non_null (strstr (text, "\n32.03.10/kantor-désa-ÇÇ~ 12 dtk lalu"
                                   "      3"));
    free (text);
}

/* The header's state in Indonesian / English, whole on its 80 columns
   whatever the state; the JSON keeps the state's own words. */
static void test_term_state_labels (void **state)
{
    (void)state;
    const struct {
        const char *state, *label;
    } cases[] = {
        {"live", "langsung / live"},
        {"starting 0/1503000", "memulai / starting"},
        {"catching up 1234/1503000", "mengejar / catching up"},
        {"snapshot", "cuplikan / snapshot"},
        {"feed terputus / broker silent", "terputus / no feed"},
        {"store tidak menjawab / store not answering", "store diam / no store"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jk_status_view_t view = s_view ();
        view.state = cases[i].state;
        int rc;
        char *text = s_render (&view, false, false, &rc);
        assert_int_equal (rc, 4);
        s_check_pages (text, 24);
        char *want = jk_sprintf ("-- halaman / page 1/4 --\nJEJAK - Status "
                                 "Koperasi & Pelatihan per 08/05/2023 WIB "
                                 "[%s]\nLog: ",
                                 cases[i].label);
        if (!strstr (text, want))
            fail_msg ("not in the header:\n%s", want);
        free (want);
        free (text);
        text = s_render (&view, true, false, &rc);
        assert_int_equal (rc, 0);
        want = jk_sprintf ("{\"state\":\"%s\",", cases[i].state);
        assert_non_null (strstr (text, want));
        free (want);
        free (text);
    }
}

static void test_term_ansi_and_filters (void **state)
{
    (void)state;
    jk_status_view_t view = s_view ();
    view.kecamatan = "32.03.01";
    view.all_batches = true;
    jk_status_note_t note;
    jk_status_note_set (&note, "feed_silent", "3");
    view.note = &note;
    int rc;
    char *text = s_render (&view, false, true, &rc);
    assert_int_equal (rc, 2);
    assert_memory_equal (text, "\033[H\033[2J", 7);
    assert_null (strstr (text, "32.03.10 Pacet"));
    assert_non_null (strstr (text, "32.03.01 Cianjur"));
    /* Every batch of the snapshot: the open ones and the recently closed
       one, marked as closed. */
    assert_non_null (strstr (text, BATCH_LATER));
    assert_non_null (strstr (text, BATCH_DONE));
    assert_non_null (strstr (text, " ditutup"));
    /* Its title wider than the screen in both languages: the English on
       a line of its own, the day kept whole; both bold. */
    assert_non_null (strstr (
        text, "\n\033[1mPELATIHAN TERBUKA & BARU SELESAI  (08/05/2023)\033[0m"
              "\n\033[1m/ open and recently finished training batches"
              "\033[0m\n\033[1mAngkatan "));
    s_check_whole (text);
    /* Offices of other kecamatan hidden. */
    assert_null (strstr (text, "test-1"));
    /* The note, bold like the header's other lines: Indonesian, then
       English on a line of its own (together wider than 80). */
    assert_non_null (strstr (
        text, "\n\033[1m! feed terputus 3 dtk (broker mati?): berlangganan "
              "ulang, mengejar dari store\033[0m\n\033[1m  / no feed for 3 s "
              "(broker down?): re-subscribed, catching up from the "
              "store\033[0m\n"));
    free (text);

    /* By default only the running ones: not the closed one. */
    view.kecamatan = NULL;
    view.all_batches = false;
    text = s_render (&view, false, false, &rc);
    assert_null (strstr (text, BATCH_DONE));
    free (text);

    view.batch = BATCH_DONE;
    text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, BATCH_DONE));
    assert_non_null (strstr (text, " ditutup"));
    assert_null (strstr (text, BATCH_NOW));
    /* Under the title --all-batches shows it under, not the running. */
    assert_non_null (
        strstr (text, "\nPELATIHAN TERBUKA & BARU SELESAI  (08/05/2023)\n"
                      "/ open and recently finished training batches\n"
                      "Angkatan "));
    s_check_pages (text, 24);
    s_check_whole (text);
    assert_null (strstr (text, "PELATIHAN BERJALAN"));
    free (text);
    view.batch = BATCH_NOW;
    text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, "PELATIHAN BERJALAN"));
    free (text);
    /* A batch the snapshot does not have: said in both languages. */
    view.batch = "PK2UMK-2023-09";
    text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, "  Angkatan PK2UMK-2023-09 belum tercatat\n"
                                   "  / Batch PK2UMK-2023-09 is not recorded "
                                   "(yet)\n"));
    assert_null (strstr (text, "(tidak ada / none)"));
    free (text);
}

/* The lines a plain render puts above its first page (before the first
   title line), joined by one space: the wrapped line read back. */
static char *s_above (const char *text, int *rows)
{
    char *joined = jk_calloc (1, strlen (text) + 1);
    *rows = 0;
    for (const char *line = text; strncmp (line, "JEJAK - Status", 14);
         (*rows)++) {
        size_t len = strcspn (line, "\n");
        assert_int_equal (line[len], '\n');
        if (*joined)
            strcat (joined, " ");
        strncat (joined, line, len);
        line += len + 1;
    }
    return joined;
}

/* The checkpoint line and the fork alarm come after the clear (which
   would wipe them), wrapped to 80 columns at spaces, and the page under
   them is as much shorter: a screen never has more than 24 rows. */
static void test_term_checkpoint_alarm (void **state)
{
    (void)state;
    jk_status_view_t view = s_view ();
    view.checkpoint = 150;
    view.page = 1;
    int rc;
    char *text = s_render (&view, false, true, &rc);
    const char *line = "Checkpoint: 150 catatan terverifikasi (tanda tangan "
                       "dan konsistensi) / verified\n";
    assert_memory_equal (text, "\033[H\033[2J", 7);
    assert_memory_equal (text + 7, line, strlen (line));
    assert_null (strstr (text + 7, "\033[2J"));
    free (text);
    text = s_render (&view, false, false, &rc);
    assert_memory_equal (text, line, strlen (line));
    assert_int_equal (s_check_pages (text + strlen (line), 23), 1);
    free (text);

    /* The alarm in place of the line: red on a terminal, every word of
       it there, a word longer than a row cut between characters. */
    char path[128] = "/var/lib/jejak/";
    memset (path + strlen (path), 'p', 90);
    char *alarm = jk_sprintf (
        "LOG BERCABANG: checkpoint hub 200 catatan tidak konsisten dengan "
        "checkpoint 150 yang sudah diverifikasi; bukti: %s / LOG FORKED: "
        "the hub's checkpoint of 200 records and the one of 150 this board "
        "verified are not consistent; evidence: %s",
        path, path);
    view.alarm = alarm;
    text = s_render (&view, false, true, &rc);
    const char *red = "\033[H\033[2J\033[1;31m!!! LOG BERCABANG: checkpoint "
                      "hub 200 catatan tidak konsisten dengan checkpoint\033[0m"
                      "\n\033[1;31m150 yang sudah diverifikasi; bukti:\033[0m\n"
                      "\033[1;31m/var/lib/jejak/ppppp";
    assert_memory_equal (text, red, strlen (red));
    assert_null (strstr (text, "Checkpoint: 150"));
    assert_null (strstr (text + 7, "\033[2J"));
    free (text);
    text = s_render (&view, false, false, &rc);
    int rows = 0;
    char *above = s_above (text, &rows);
    char *whole = jk_sprintf ("!!! %s !!!", alarm);
    /* The cut path reads back with one space where it was cut. */
    char *cut = jk_sprintf ("%.80s %s", path, path + 80);
    char *expected = jk_sprintf (
        "!!! LOG BERCABANG: checkpoint hub 200 catatan tidak konsisten dengan "
        "checkpoint 150 yang sudah diverifikasi; bukti: %s / LOG FORKED: "
        "the hub's checkpoint of 200 records and the one of 150 this board "
        "verified are not consistent; evidence: %s !!!",
        cut, cut);
    assert_string_equal (above, expected);
    assert_true (strlen (whole) > 4 * 80);
    assert_int_equal (rows, 7);
    /* Every row of it within 80 columns, and the page below it no more
       than the rest of the screen. */
    size_t skip = 0;
    for (int i = 0; i < rows; i++) {
        size_t len = strcspn (text + skip, "\n");
        assert_true (len <= 80);
        skip += len + 1;
    }
    assert_int_equal (s_check_pages (text + skip, 24 - rows), 1);
    free (text);
    free (expected);
    free (cut);
    free (whole);
    free (above);
    free (alarm);
}

/* How many times needle stands in text. */
static int s_count (const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr (p, needle)); p += strlen (needle))
        n++;
    return n;
}

/* The note in the header of every page: "! Indonesian / English" on
   one line when that fits in 80 columns, else on two; a longer one cut
   at 80. None: no line. */
static void test_term_note (void **state)
{
    (void)state;
    jk_status_view_t view = s_view ();
    jk_status_note_t note;
    jk_status_note_set (&note, "store_back");
    view.note = &note;
    int rc;
    char *text = s_render (&view, false, false, &rc);
    assert_int_equal (s_check_pages (text, 24), rc);
    const char *head = "a0a1a2a3a4a5a6a7\n! store menjawab kembali / store "
                       "back\n";
    assert_int_equal (s_count (text, head), rc);
    free (text);

    jk_status_note_set (&note, "feed_silent", "3");
    text = s_render (&view, false, false, &rc);
    assert_int_equal (s_check_pages (text, 24), rc);
    head = "a0a1a2a3a4a5a6a7\n! feed terputus 3 dtk (broker mati?): "
           "berlangganan ulang, mengejar dari store\n  / no feed for 3 s "
           "(broker down?): re-subscribed, catching up from the store\n";
    assert_int_equal (s_count (text, head), rc);
    free (text);

    jk_status_note_set (&note, "region_unknown_months_differ", "32.03", "32.04",
                        "9", "6");
    text = s_render (&view, false, false, &rc);
    assert_int_equal (s_check_pages (text, 24), rc);
    assert_non_null (strstr (text, "\n! wilayah store 32.04 tidak dapat "
                                   "dimuat (lihat log): memakai wilayah "
                                   "32.03; --~\n  / the store's region 32.04 "
                                   "could not be loaded (see the log): "
                                   "applying with r~\n"));
    free (text);

    view.note = NULL;
    text = s_render (&view, false, false, &rc);
    assert_int_equal (s_count (text, "a0a1a2a3a4a5a6a7\n"), rc);
    assert_null (strstr (text, "a0a1a2a3a4a5a6a7\n!"));
    free (text);
}

/* The note in JSON: the Indonesian text, the code and the arguments by
   name. */
static void test_json_note (void **state)
{
    (void)state;
    jk_status_view_t view = s_view ();
    jk_status_note_t note;
    jk_status_note_set (&note, "feed_silent", "0,3");
    view.note = &note;
    int rc;
    char *text = s_render (&view, true, false, &rc);
    assert_int_equal (rc, 0);
    const char *want =
        "{\"state\":\"live\",\"note\":\"feed terputus 0,3 dtk (broker "
        "mati?): berlangganan ulang, mengejar dari store\",\"note_code\":"
        "\"feed_silent\",\"note_args\":{\"seconds\":\"0,3\"},\"pos\":1234,";
    assert_memory_equal (text, want, strlen (want));
    free (text);

    jk_status_note_set (&note, "region_months_differ", "32.03", "32.04", "9",
                        "6");
    text = s_render (&view, true, false, &rc);
    want = "{\"state\":\"live\",\"note\":\"--region 32.03 berbeda dengan "
           "wilayah store 32.04; --rat-deadline-months 9 berbeda dengan "
           "batas RAT store 6 bulan\",\"note_code\":\"region_months_differ\","
           "\"note_args\":{\"region\":\"32.03\",\"store_region\":\"32.04\","
           "\"months\":\"9\",\"store_months\":\"6\"},\"pos\":1234,";
    assert_memory_equal (text, want, strlen (want));
    free (text);

    /* A recovered note names the note it recovered from by its code. */
    jk_status_note_set (&note, "recovered", "10:42:07", "feed_back");
    text = s_render (&view, true, false, &rc);
    want = "{\"state\":\"live\",\"note\":\"pulih pukul 10:42:07 WIB setelah: "
           "feed tersambung kembali\",\"note_code\":\"recovered\","
           "\"note_args\":{\"time\":\"10:42:07\",\"after\":\"feed_back\"},"
           "\"pos\":1234,";
    assert_memory_equal (text, want, strlen (want));
    free (text);
}

static void test_json_exact (void **state)
{
    (void)state;
    jk_status_view_t view = s_view ();
    view.kecamatan = "32.03.10";
    view.batch = BATCH_NOW;
    int rc;
    char *text = s_render (&view, true, false, &rc);
    assert_int_equal (rc, 0);
    /* The active rule as the store words it for the day. */
    jk_active_rule_t rule;
    jk_active_rule_default (&rule);
    char spec[128], words[512];
    jk_active_rule_spec (&rule, spec, sizeof spec);
    jk_active_rule_describe (&rule, s_day (), words, sizeof words);
    jk_active_years_t years = jk_active_years (&rule, s_day ());
    char *expect = jk_sprintf (
        "{\"state\":\"live\",\"note\":\"\",\"note_code\":\"\","
        "\"note_args\":{},\"pos\":1234,\"hash\":"
        "\"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\","
        "\"head\":1234,\"batch\":{\"code\":\"" BATCH_NOW "\","
        "\"recorded\":true},\"snapshot\":{\"as_of\":\"2023-05-08\","
        "\"pos\":%llu,"
        "\"active_rule\":{\"spec\":\"%s\",\"text\":\"%s\",\"from_year\":%d,"
        "\"to_year\":%d,\"due_year\":%d},"
        "\"kecamatan\":[{\"code\":\"32.03.10\",\"name\":\"Pacet\","
        "\"cooperatives\":1,\"active\":1,\"people\":3,\"enrolled\":3,"
        "\"assessed\":0,\"competent\":0,\"certificates\":0}],"
        "\"batches\":[{\"batch\":\"" BATCH_NOW "\",\"title\":\"Manajemen "
        "Koperasi 3203********0001\",\"start_date\":\"2023-05-08\","
        "\"end_date\":\"2023-05-10\",\"closed\":0,\"class_size_max\":30,"
        "\"enrolled\":3,\"sessions\":2,\"jp_total\":6,\"present_today\":2,"
        "\"attendance_pct\":44.44}],\"sources\":[{\"source\":"
        "\"32.03.10/test-1\",\"next_seq\":%llu,\"accepted\":18,"
        "\"rejected\":1,\"last_recorded_at\":%lld}],\"totals\":{"
        "\"cooperatives\":2,\"active\":1,\"people\":3,\"enrolled\":3,"
        "\"assessed\":0,\"competent\":0,\"certificates\":0,"
        "\"certificates_valid\":0,\"rejections\":1,\"rat_book_year\":2022,"
        "\"rat_held\":1,\"rat_on_time\":1,\"quality_open\":0,"
        "\"quality_resolved\":0}},\"offices\":[{\"source\":"
        "\"32.03.10/test-1\",\"program\":\"jejak-attendance\",\"outbox\":3,"
        "\"stored_seq\":41,\"rejected\":0,\"last_seen_ms\":1665720000000}]}\n",
        (unsigned long long)s_snap.pos, spec, words, years.from_year,
        years.to_year, years.due_year, (unsigned long long)s_snap.next_seq,
        (long long)(H_NOW_MS + (int64_t)s_snap.pos));
    assert_string_equal (text, expect);
    free (expect);
    free (text);
}

/* Link lag from both sides' STATS texts (jejak-link send and receive). */
static void test_links (void **state)
{
    (void)state;
    jk_status_view_t view = s_view ();
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
}

/* Packs "key" and a string or an unsigned number. */
static void s_pack_str (msgpack_packer *pk, const char *key, const char *value)
{
    msgpack_pack_str_with_body (pk, key, strlen (key));
    msgpack_pack_str_with_body (pk, value, strlen (value));
}

static void s_pack_u64 (msgpack_packer *pk, const char *key, uint64_t value)
{
    msgpack_pack_str_with_body (pk, key, strlen (key));
    msgpack_pack_uint64 (pk, value);
}

/* A row's field: text (the first field's text is followed by the row's
   number, 10 on) or, when text is NULL, a number. */
typedef struct {
    const char *key;
    const char *text;
    uint64_t number;
} s_field_t;

/* "name" and an array of count rows of the fields. */
static void s_pack_rows (msgpack_packer *pk, const char *name, int count,
                         const s_field_t *fields, size_t field_count)
{
    msgpack_pack_str_with_body (pk, name, strlen (name));
    msgpack_pack_array (pk, (size_t)count);
    for (int i = 0; i < count; i++) {
        msgpack_pack_map (pk, field_count);
        char first[96];
        snprintf (first, sizeof first, "%s%02d", fields[0].text, i + 10);
        s_pack_str (pk, fields[0].key, first);
        for (size_t f = 1; f < field_count; f++) {
            if (fields[f].text)
                s_pack_str (pk, fields[f].key, fields[f].text);
            else
                s_pack_u64 (pk, fields[f].key, fields[f].number);
        }
    }
}

/* A snapshot with the widest values a board shows: names longer than
   their columns, every figure of a table as wide as its column, totals
   of the whole country (999.999 cooperatives, 99.999.999 people, seven
   digits for training and quality, eight for rejections), the widest
   active rule (years=10,deadline-months=24,grace-days=366,
   quorum=required), 45 kecamatan and 30 batches and offices, so that
   every table is cut by a page. */
static void s_widest_snapshot (msgpack_sbuffer *buf)
{
    msgpack_sbuffer_init (buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 6);
    s_pack_str (&pk, "as_of", "2026-12-07");
    msgpack_pack_str_with_body (&pk, "active_rule", 11);
    msgpack_pack_map (&pk, 2);
    s_pack_str (&pk, "text",
                "aktif = RAT tahun buku 2016-2025 diadakan s.d. 24 bulan "
                "setelah akhir tahun buku + 366 hari, kuorum wajib");
    s_pack_str (&pk, "spec",
                "years=10,deadline-months=24,grace-days=366,quorum=required");
    const s_field_t kecamatan[] = {
        {"code", "32.03.", 0},
        {"name", "Cikalongkulon Wetan Girang", 0},
        {"cooperatives", NULL, 99999},
        {"active", NULL, 99999},
        {"people", NULL, 999999},
        {"enrolled", NULL, 9999999},
        {"assessed", NULL, 999999},
        {"competent", NULL, 99999},
        {"certificates", NULL, 99999},
    };
    s_pack_rows (&pk, "kecamatan", 45, kecamatan, 9);
    const s_field_t batches[] = {
        {"batch", "PK2UMK-2026-KABUPATEN-CIANJUR-", 0},
        {"title", "Manajemen Koperasi Simpan Pinjam Syariah", 0},
        {"start_date", "2026-01-01", 0},
        {"end_date", "2026-12-31", 0},
        {"closed", NULL, 1},
        {"enrolled", NULL, 9999999},
        {"present_today", NULL, 999999},
        {"attendance_pct", NULL, 100},
    };
    s_pack_rows (&pk, "batches", 30, batches, 8);
    const s_field_t sources[] = {
        {"source", "32.03.10/kantor-kecamatan-", 0},
        {"next_seq", NULL, 99999999},
        {"last_recorded_at", NULL, 1000},
        {"accepted", NULL, 99999999},
        {"rejected", NULL, 9999999},
    };
    s_pack_rows (&pk, "sources", 30, sources, 5);
    msgpack_pack_str_with_body (&pk, "totals", 6);
    msgpack_pack_map (&pk, 14);
    s_pack_u64 (&pk, "cooperatives", 999999);
    s_pack_u64 (&pk, "active", 999999);
    s_pack_u64 (&pk, "people", 99999999);
    s_pack_u64 (&pk, "enrolled", 9999999);
    s_pack_u64 (&pk, "assessed", 9999999);
    s_pack_u64 (&pk, "competent", 9999999);
    s_pack_u64 (&pk, "certificates", 9999999);
    s_pack_u64 (&pk, "certificates_valid", 9999999);
    s_pack_u64 (&pk, "rejections", 99999999);
    s_pack_u64 (&pk, "rat_book_year", 9999);
    s_pack_u64 (&pk, "rat_on_time", 999999);
    s_pack_u64 (&pk, "rat_held", 999999);
    s_pack_u64 (&pk, "quality_open", 9999999);
    s_pack_u64 (&pk, "quality_resolved", 9999999);
}

/* Each line of the offices table (its two heading lines, rows of
   sources named "32.03.10/kantor-...") has a space before every column
   after the first: the columns start where the heading says. Returns
   the rows. */
static int s_check_offices (const char *text)
{
    static const size_t gaps[] = {24, 36, 43, 52, 61, 70};
    int rows = 0;
    for (const char *line = text; *line;) {
        size_t len = strcspn (line, "\n");
        bool row = strncmp (line, "32.03.10/kantor-", 16) == 0;
        if (row || strncmp (line, "Sumber ", 7) == 0 ||
            strncmp (line, "source ", 7) == 0) {
            assert_true (len > 70 && len <= 80);
            for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
                if (line[gaps[i]] != ' ')
                    fail_msg ("no space at column %zu: %.*s", gaps[i] + 1,
                              (int)len, line);
            if (len > 78 && line[78] != ' ')
                fail_msg ("no space before the mark: %.*s", (int)len, line);
            rows += row;
        }
        line += len;
        line += *line ? 1 : 0;
    }
    return rows;
}

/* Every fixed heading and line of the board whole within 80 columns
   with the widest values (names longer than their columns are cut in
   their column, as designed): the title and heading of every table,
   and a title repeated on a later page, the header while catching up
   with log positions of ten digits, the checkpoint, the offices ahead
   of the log, the totals, the active rule, the links of ten-digit
   positions. Plain and bold. */
static void test_term_widest (void **state)
{
    (void)state;
    msgpack_sbuffer buf;
    s_widest_snapshot (&buf);
    jk_office_t offices[30];
    for (int i = 0; i < 30; i++) {
        memset (&offices[i], 0, sizeof offices[i]);
        snprintf (offices[i].heartbeat.source,
                  sizeof offices[i].heartbeat.source,
                  "32.03.10/kantor-kecamatan-%02d", i + 10);
        offices[i].heartbeat.outbox_depth = 999999;
        offices[i].heartbeat.last_stored_seq = 99999999;
        offices[i].last_seen_ms = 1665720012000LL - 99LL * 86400000;
    }
    static uint8_t hash[32];
    jk_status_view_t view = {
        .snapshot = (const uint8_t *)buf.data,
        .snapshot_size = buf.size,
        .state = "catching up 9999999990/9999999999",
        .pos = 9999999990ULL,
        .hash = hash,
        .head = 9999999999ULL,
        .offices = offices,
        .office_count = 30,
        .now_ms = 1665720012000LL,
        .all_batches = true,
        .checkpoint = 9999999999ULL,
        .link = "links=2 link.32.03.cursor=9999999990 "
                "link.32.03.head=9999999999 link.32.03.lag=9999999999 "
                "link.32.03.lag_ms=9999999999 link.32.03.up=1 "
                "link.32.05.cursor=9999999990 link.32.05.head=9999999999 "
                "link.32.05.lag=9 link.32.05.lag_ms=900 link.32.05.up=0"};
    for (int ansi = 0; ansi <= 1; ansi++) {
        int rc;
        char *text = s_render (&view, false, ansi, &rc);
        if (getenv ("S_PRINT"))
            fputs (text, stderr);
        assert_true (rc > 4);
        if (!ansi)
            assert_int_equal (s_check_pages (text, 24), rc);
        s_check_whole (text);
        free (text);
    }
    /* The batch named with --batch stands under the same title; live
       (not behind the head), the offices ahead of the log are marked. */
    view.all_batches = false;
    view.state = "live";
    view.head = view.pos;
    view.batch = "PK2UMK-2026-KABUPATEN-CIANJUR-17";
    int rc;
    char *text = s_render (&view, false, false, &rc);
    assert_non_null (strstr (text, "\nPELATIHAN TERBUKA & BARU SELESAI  "
                                   "(07/12/2026)\n/ open and recently "
                                   "finished training batches\n"));
    assert_non_null (strstr (text, " 9999999 !\n! 30 kantor mencatat"));
    s_check_whole (text);
    free (text);
    /* Every column of the offices table keeps a space before the next:
       the heading in Indonesian and English, and the widest last seen
       (cut beyond 12 columns) beside the widest outbox. */
    const struct {
        int64_t ago_s;
        const char *seen;
    } ages[] = {{99LL * 86400, "99 hari la~"},
                {119, "119 dtk la~"},
                {119 * 60, "119 mnt la~"},
                {47LL * 3600, "47 jam lalu"},
                {9999LL * 86400, "9999 hari ~"}};
    for (size_t a = 0; a < sizeof ages / sizeof ages[0]; a++) {
        for (int i = 0; i < 30; i++)
            offices[i].last_seen_ms = view.now_ms - ages[a].ago_s * 1000;
        text = s_render (&view, false, false, &rc);
        char *row = jk_sprintf ("\n32.03.10/kantor-kecamat~ %s 999999 "
                                "99999998 99999999 99999999 9999999 !\n",
                                ages[a].seen);
        assert_int_equal (s_check_offices (text), 30);
        assert_non_null (strstr (text, row));
        free (row);
        s_check_whole (text);
        free (text);
    }
    msgpack_sbuffer_destroy (&buf);
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
        cmocka_unit_test (test_term_state_labels),
        cmocka_unit_test (test_term_ansi_and_filters),
        cmocka_unit_test (test_term_checkpoint_alarm),
        cmocka_unit_test (test_term_note),
        cmocka_unit_test (test_json_note),
        cmocka_unit_test (test_json_exact),
        cmocka_unit_test (test_links),
        cmocka_unit_test (test_term_widest),
        cmocka_unit_test (test_bad_snapshot),
        cmocka_unit_test (test_mask_niks),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
