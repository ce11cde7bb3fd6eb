/*  test_region.c - a hub of another regency (jejak-hub --region 32.04
    --rat-deadline-months 9), real processes throughout: the log records
    what it was decided with and the store tells it in its STATS; the
    tools that decide or apply again take it from there without being
    told (jejak-replay verify --decisions, rebuild and diff from the log;
    the live board of jejak-status and jejak-pgsink, with a real
    PostgreSQL, from STATS); told another region they say so and find
    the differences (or refuse a shadow made with another, and a
    PostgreSQL copy made with another when its shadow was deleted); the
    sink's rebuild against a hub that does not answer gives up before it
    drops anything; and the hub started on that log with another region
    refuses to run. */
#include "pgtest.h"
#include "testsupport.h"

#include "jk_projections.h"
#include "jk_wire.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_WAIT_MS 60000
#define S_OFFICE  "32.04.05/cileunyi-1" /* Cileunyi, Kabupaten Bandung */
#define S_CIANJUR "32.03.10/pacet-1"    /* an office outside 32.04 */

/* How often needle occurs in text. */
static int s_count (const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr (p, needle)); p++)
        n++;
    return n;
}

/* Runs a program without JEJAK_REGION and JEJAK_RAT_DEADLINE_MONTHS in
   its environment; its exit code, stdout and stderr in *out and *err
   (heap, may be NULL to drop). */
static int s_run (char *const argv[], char **out, char **err)
{
    char *o = NULL, *e = NULL;
    int rc = jk_test_run (argv, &o, &e, S_WAIT_MS);
    if (out)
        *out = o;
    else
        free (o);
    if (err)
        *err = e;
    else
        free (e);
    return rc;
}

/* PostgreSQL's kecamatan_summary holds the 31 kecamatan of 32.04 and
   no other. */
static void s_pg_kecamatan_of_32_04 (jk_test_pg_t *pg)
{
    assert_int_equal (
        jk_test_pg_int (pg, "SELECT count(*) FROM kecamatan_summary"), 31);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM"
                                          " kecamatan_summary WHERE"
                                          " kecamatan_code LIKE '32.04.%'"),
                      31);
}

/* Registers person i of the desa 32.04.05.200i from office (the agent
   checks its source against the region, so it is run with area's
   JEJAK_REGION, NULL: none); the agent's exit code. */
static int s_person (jk_test_hub_t *hub, const char *office, const char *area,
                     const char *outbox, int i)
{
    char nik[17], name[32], desa[16];
    snprintf (nik, sizeof nik, "320405010180%04d", i);
    snprintf (name, sizeof name, "Warga Cileunyi %d", i);
    snprintf (desa, sizeof desa, "32.04.05.200%d", i);
    char *argv[] = {"jejak-registration",
                    "--source",
                    (char *)office,
                    "--outbox",
                    (char *)outbox,
                    "--broker",
                    hub->ingest,
                    "--wait",
                    "30",
                    "person",
                    "--nik",
                    nik,
                    "--name",
                    name,
                    "--sex",
                    "L",
                    "--birth-date",
                    "01/01/1980",
                    "--desa-code",
                    desa,
                    NULL};
    if (area)
        setenv ("JEJAK_REGION", area, 1);
    int rc = s_run (argv, NULL, NULL);
    unsetenv ("JEJAK_REGION");
    return rc;
}

/* Runs the live board (--json) with region (NULL: none) until it shows
   position 4 with note (the document's "note", "note_code" and
   "note_args" members); its document there, and all it wrote in
   *log_text. */
static char *s_live_board (jk_test_hub_t *hub, const char *region,
                           const char *note, char **log_text)
{
    char *log =
        jk_sprintf ("%s/board-%s.log", hub->dir, region ? region : "none");
    char *argv[] = {"jejak-status", "--json",       "--feed",
                    hub->feed,      "--query",      hub->query,
                    "--region",     (char *)region, NULL};
    if (!region)
        argv[6] = NULL;
    char *live = jk_sprintf ("{\"state\":\"live\",%s,\"pos\":4,", note);
    pid_t board = jk_test_spawn (argv, log);
    assert_true (JK_WAIT_FOR (jk_test_file_has (log, live), S_WAIT_MS));
    assert_int_equal (jk_test_stop (board, SIGTERM, S_WAIT_MS), 0);
    *log_text = jk_test_slurp (log, NULL);
    assert_non_null (*log_text);
    const char *start = strstr (*log_text, live);
    free (live);
    const char *end = strchr (start, '\n');
    char *document = jk_sprintf ("%.*s", (int)(end - start), start);
    free (log);
    return document;
}

static void test_region_of_the_log (void **state)
{
    (void)state;
    unsetenv ("JEJAK_REGION");
    unsetenv ("JEJAK_RAT_DEADLINE_MONTHS");
    jk_test_hub_t *hub = jk_test_hub_new ("region");
    char *hub_argv[] = {"jejak-hub", "--db",      hub->db,
                        "--ingest",  hub->ingest, "--feed",
                        hub->feed,   "--query",   hub->query,
                        "--region",  "32.04",     "--rat-deadline-months",
                        "9",         NULL};
    hub->hub = jk_test_spawn (hub_argv, hub->log);
    assert_true (
        JK_WAIT_FOR (jk_test_file_has (hub->log, "jejak-hub ingest="), 60000));

    /* Three people from Cileunyi's office: accepted. One from Pacet's,
       an office of Cianjur: refused, it is not an office of 32.04. */
    for (int i = 1; i <= 3; i++)
        assert_int_equal (s_person (hub, S_OFFICE, "32.04", hub->outbox, i), 0);
    char *outbox = jk_sprintf ("%s/cianjur-outbox.db", hub->dir);
    assert_int_equal (s_person (hub, S_CIANJUR, NULL, outbox, 4), 4);
    assert_int_equal (jk_test_db_int64 (hub->db, "SELECT count(*) FROM log"),
                      4);
    assert_int_equal (
        jk_test_db_int64 (hub->db, "SELECT count(*) FROM log WHERE outcome = 1"
                                   " AND code = 'E_ENVELOPE_SOURCE'"),
        1);
    /* The store tells what it decides with in its STATS (the last two
       keys of the writer's counters, before the query endpoint's own
       streams and streams_expired). */
    zsock_t *query = jk_test_dealer (hub->query);
    zmsg_t *ask = jk_wire_new ("STATS");
    assert_int_equal (zmsg_send (&ask, query), 0);
    zmsg_t *answer = jk_test_recv (query, S_WAIT_MS);
    assert_non_null (answer);
    char command[16];
    assert_int_equal (jk_wire_open (answer, command, sizeof command), 0);
    assert_string_equal (command, "STATS");
    char *stats = zmsg_popstr (answer);
    if (!strstr (stats, " region=32.04 rat_deadline_months=9 streams="))
        fail_msg ("STATS '%s' lacks region=32.04 rat_deadline_months=9", stats);
    assert_int_equal (s_count (stats, "region="), 1);
    assert_int_equal (s_count (stats, "rat_deadline_months="), 1);
    free (stats);
    zmsg_destroy (&answer);
    zsock_destroy (&query);
    /* The log records what it was decided with. */
    char *text = jk_test_db_text (
        hub->db, "SELECT group_concat(key || '=' || value, ' ') FROM"
                 " (SELECT * FROM log_settings ORDER BY key)");
    assert_string_equal (text, "rat_deadline_months=9 region=32.04");
    free (text);

    /* verify --decisions, told nothing: the log's region, all equal. */
    char *out = NULL, *err = NULL;
    char *verify[] = {"jejak-replay", "verify", hub->db, "--decisions",
                      NULL,           NULL,     NULL};
    assert_int_equal (s_run (verify, &out, &err), 0);
    char *want = jk_sprintf ("decisions %s: 4 records (3 accepted, 1 "
                             "rejected) re-derived, all equal\n",
                             hub->db);
    assert_non_null (strstr (out, want));
    assert_int_equal (s_count (err, "warning"), 0);
    free (want);
    free (out);
    free (err);
    /* --data-dir names where the region's reference data is read: an
       empty directory cannot serve 32.04 (exit 3, the log's own region),
       the source tree's data directory can. */
    char *empty = jk_sprintf ("%s/nodata", hub->dir);
    assert_int_equal (mkdir (empty, 0700), 0);
    verify[4] = "--data-dir";
    verify[5] = empty;
    assert_int_equal (s_run (verify, &out, &err), 3);
    assert_non_null (strstr (err, "jejak-replay verify: cannot load the region "
                                  "reference data: "));
    assert_non_null (
        strstr (err, "(--data-dir or JEJAK_DATA_DIR: the folder holding it)"));
    assert_null (strstr (out, "re-derived"));
    free (out);
    free (err);
    verify[5] = JEJAK_SOURCE_DIR "/data";
    assert_int_equal (s_run (verify, &out, &err), 0);
    assert_non_null (strstr (out, "4 records (3 accepted, 1 rejected) "
                                  "re-derived, all equal\n"));
    free (out);
    free (err);
    free (empty);
    /* Told Cianjur's region: warned, and every outcome differs. */
    verify[4] = "--region";
    verify[5] = "32.03";
    assert_int_equal (s_run (verify, &out, &err), 1);
    want = jk_sprintf ("DECISIONS DIFFER %s: 4 of 4 records; first at "
                       "position 1: logged accepted , re-derived "
                       "E_ENVELOPE_SOURCE",
                       hub->db);
    assert_non_null (strstr (out, want));
    free (want);
    want = jk_sprintf ("jejak-replay verify: warning: %s records region "
                       "32.04 and a RAT deadline of 9 months; using region "
                       "32.03 and 9 months as given\n",
                       hub->db);
    assert_string_equal (err, want);
    free (want);
    free (out);
    free (err);

    /* rebuild + diff: equal, and the rebuilt file records the same. */
    char *rebuilt = jk_sprintf ("%s/rebuilt.db", hub->dir);
    char *rebuild[] = {"jejak-replay", "rebuild", hub->db, "--out", rebuilt,
                       NULL,           NULL,      NULL,    NULL,    NULL};
    assert_int_equal (s_run (rebuild, NULL, &err), 0);
    assert_string_equal (err, "");
    free (err);
    char *diff[] = {"jejak-replay", "diff", hub->db, rebuilt, NULL};
    assert_int_equal (s_run (diff, &out, &err), 0);
    assert_string_equal (out, "");
    assert_string_equal (err, "jejak-replay diff: projections are equal\n");
    free (out);
    free (err);
    assert_int_equal (jk_test_db_int64 (rebuilt, "SELECT count(*) FROM"
                                                 " kecamatan_summary WHERE"
                                                 " kecamatan_code LIKE"
                                                 " '32.04.%'"),
                      31);
    assert_int_equal (
        jk_test_db_int64 (rebuilt, "SELECT count(*) FROM kecamatan_summary"),
        31);
    text = jk_test_db_text (rebuilt,
                            "SELECT group_concat(key || '=' || value, ' ') FROM"
                            " (SELECT * FROM log_settings ORDER BY key)");
    assert_string_equal (text, "rat_deadline_months=9 region=32.04");
    free (text);
    /* Rebuilt with Cianjur's region and 6 months: the projections
       differ (Cianjur's 32 kecamatan rows beside none of 32.04's, and
       the people's kecamatan). */
    char *wrong = jk_sprintf ("%s/wrong.db", hub->dir);
    rebuild[4] = wrong;
    rebuild[5] = "--region";
    rebuild[6] = "32.03";
    rebuild[7] = "--rat-deadline-months";
    rebuild[8] = "6";
    assert_int_equal (s_run (rebuild, NULL, &err), 0);
    assert_non_null (strstr (err, "warning"));
    free (err);
    diff[3] = wrong;
    assert_int_equal (s_run (diff, &out, &err), 1);
    assert_int_equal (s_count (out, "\n-\"32.04."), 31);
    assert_int_equal (s_count (out, "\n+\"32.03."), 32);
    free (out);
    free (err);
    /* A bad --region or month is a usage error, before anything. */
    char *bad = jk_sprintf ("%s/bad.db", hub->dir);
    rebuild[4] = bad;
    rebuild[6] = "3204";
    rebuild[8] = "9";
    assert_int_equal (s_run (rebuild, NULL, NULL), 2);
    rebuild[6] = "32.04";
    rebuild[8] = "25";
    assert_int_equal (s_run (rebuild, NULL, NULL), 2);
    assert_int_equal (access (bad, F_OK), -1);

    /* jejak-status --once: the store's snapshot is 32.04's; --kecamatan
       names one of 32.04 with --region 32.04 or none (then it is checked
       against the national reference data), not with another --region. */
    char *once[] = {"jejak-status", "--once",   "--json", "--query", hub->query,
                    "--kecamatan",  "32.04.05", NULL,     NULL,      NULL};
    assert_int_equal (s_run (once, &out, NULL), 0);
    assert_int_equal (s_count (out, "\"code\":\"32.04."), 1);
    assert_int_equal (s_count (out, "\"code\":\"32.03."), 0);
    free (out);
    once[6] = "32.04.99";
    assert_int_equal (s_run (once, NULL, &err), 2);
    assert_non_null (strstr (err, "--kecamatan '32.04.99' is not a kecamatan"));
    free (err);
    once[6] = "32.04.05";
    once[7] = "--region";
    once[8] = "32.03";
    assert_int_equal (s_run (once, NULL, &err), 2);
    assert_non_null (strstr (err, "--kecamatan '32.04.05' is not a kecamatan"));
    free (err);
    once[8] = "32.04";
    assert_int_equal (s_run (once, &out, NULL), 0);
    assert_int_equal (s_count (out, "\"code\":\"32.04."), 1);
    assert_int_equal (s_count (out, "\"code\":\"32.03."), 0);
    free (out);
    once[5] = "--region";
    once[6] = "32.04";
    once[7] = NULL;
    assert_int_equal (s_run (once, &out, NULL), 0);
    assert_int_equal (s_count (out, "\"code\":\"32.04."), 31);
    assert_int_equal (s_count (out, "\"code\":\"32.03."), 0);
    assert_int_equal (s_count (out, "{\"code\":\"32.04.05\",\"name\":"
                                    "\"Cileunyi\",\"cooperatives\":0,"
                                    "\"active\":0,\"people\":3,"),
                      1);
    free (out);

    /* The live board applies records itself, with the region and RAT
       deadline the store tells (STATS): with --region 32.04 or none, its
       kecamatan are 32.04's alone and nothing is warned; told Cianjur's
       region, it says on the board and in its log that the store's is
       another, and shows Cianjur's kecamatan beside the store's. */
    char *log_text = NULL;
    const char *none = "\"note\":\"\",\"note_code\":\"\",\"note_args\":{}";
    char *doc = s_live_board (hub, "32.04", none, &log_text);
    assert_int_equal (s_count (doc, "\"code\":\"32.04."), 31);
    assert_int_equal (s_count (doc, "\"code\":\"32.03."), 0);
    assert_int_equal (s_count (log_text, "not of region"), 0);
    assert_int_equal (s_count (log_text, "WARN"), 0);
    free (doc);
    free (log_text);
    doc = s_live_board (hub, NULL, none, &log_text);
    assert_int_equal (s_count (doc, "\"code\":\"32.04."), 31);
    assert_int_equal (s_count (doc, "\"code\":\"32.03."), 0);
    assert_int_equal (s_count (log_text, "not of region"), 0);
    assert_int_equal (s_count (log_text, "WARN"), 0);
    free (doc);
    free (log_text);
    /* The notice in Indonesian, with its code and arguments for a client
       that words it itself (the web page's EN). */
    doc = s_live_board (hub, "32.03",
                        "\"note\":\"--region 32.03 berbeda dengan wilayah "
                        "store 32.04\",\"note_code\":\"region_differs\","
                        "\"note_args\":{\"region\":\"32.03\","
                        "\"store_region\":\"32.04\"}",
                        &log_text);
    assert_int_equal (s_count (doc, "\"code\":\"32.04."), 31);
    assert_int_equal (s_count (doc, "\"code\":\"32.03."), 32);
    assert_int_equal (s_count (log_text,
                               "--region 32.03 is not the store's region "
                               "32.04: the board applies records as told"),
                      1);
    assert_int_equal (s_count (log_text, "which is not of region 32.03 this "
                                         "board applies records with"),
                      1);
    free (doc);
    free (log_text);

    /* jejak-pgsink, told nothing: its PostgreSQL copy is 32.04's (31
       kecamatan rows, none of Cianjur's), equal to the hub's own
       projections, and its shadow records what it applied with. */
    char *pg_dir = jk_test_tmpdir ("region-pg");
    jk_test_pg_t *pg = jk_test_pg_start (pg_dir);
    char *shadow = jk_sprintf ("%s/pgsink-shadow.db", hub->dir);
    char *sink[] = {"jejak-pgsink", "run",      "--once",   "--pg",
                    pg->conninfo,   "--query",  hub->query, "--feed",
                    hub->feed,      "--shadow", shadow,     NULL,
                    NULL,           NULL,       NULL};
    assert_int_equal (s_run (sink, &out, &err), 0);
    assert_non_null (strstr (out, "jejak-pgsink pos=4 written=4\n"));
    assert_int_equal (s_count (err, "WARN"), 0);
    free (out);
    free (err);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 4);
    s_pg_kecamatan_of_32_04 (pg);
    assert_int_equal (jk_test_pg_int (pg, "SELECT people FROM kecamatan_summary"
                                          " WHERE kecamatan_code = '32.04.05'"),
                      3);
    text = jk_test_db_text (shadow,
                            "SELECT group_concat(key || '=' || value, ' ') FROM"
                            " (SELECT * FROM log_settings ORDER BY key)");
    assert_string_equal (text, "rat_deadline_months=9 region=32.04");
    free (text);
    sqlite3 *projections = jk_test_projections (hub->db);
    char *hub_dump = NULL;
    size_t dump_size = 0;
    FILE *dump = open_memstream (&hub_dump, &dump_size);
    char dump_err[256];
    assert_int_equal (
        jk_projections_dump (projections, dump, dump_err, sizeof dump_err), 0);
    fclose (dump);
    sqlite3_close (projections);
    char *pg_dump_argv[] = {"jejak-pgsink", "dump", "--pg", pg->conninfo, NULL};
    assert_int_equal (s_run (pg_dump_argv, &out, NULL), 0);
    assert_string_equal (out, hub_dump);
    free (out);
    /* PostgreSQL records what its copy was made with too. */
    text = jk_test_pg_text (pg, "SELECT region || ' ' || rat_deadline_months"
                                " FROM jejak_sink");
    assert_string_equal (text, "32.04 9");
    free (text);
    /* Told Cianjur's region on that shadow: warned, and refused rather
       than mixed (exit 1), PostgreSQL unchanged. */
    sink[11] = "--region";
    sink[12] = "32.03";
    assert_int_equal (s_run (sink, NULL, &err), 1);
    assert_int_equal (s_count (err, "--region 32.03 is not the hub's region "
                                    "32.04: applying with 32.03 as told"),
                      1);
    char *refused = jk_sprintf (
        "the shadow %s was made with region 32.04 and a RAT deadline of 9 "
        "months; this sink applies with region 32.03 and 9 months: not "
        "mixed; run jejak-pgsink rebuild",
        shadow);
    assert_int_equal (s_count (err, refused), 1);
    free (refused);
    free (err);
    assert_int_equal (
        jk_test_pg_int (pg, "SELECT count(*) FROM kecamatan_summary"), 31);
    /* The shadow deleted, told Cianjur's region (or another RAT
       deadline): PostgreSQL's copy refuses it (exit 1) rather than take
       Cianjur's kecamatan beside 32.04's, and is left as it was. */
    char *refusal[] = {"32.03",
                       "--region",
                       "region 32.03 and 9 months: not mixed",
                       "6",
                       "--rat-deadline-months",
                       "region 32.04 and 6 months: not mixed"};
    for (int i = 0; i < 2; i++) {
        jk_test_db_remove (shadow);
        sink[11] = refusal[i * 3 + 1];
        sink[12] = refusal[i * 3];
        assert_int_equal (s_run (sink, &out, &err), 1);
        refused = jk_sprintf (
            "PostgreSQL's copy was made with region 32.04 and a RAT deadline "
            "of 9 months (table jejak_sink); this sink applies with %s; run "
            "jejak-pgsink rebuild (the PostgreSQL tables and the shadow made "
            "anew) or give --region 32.04 --rat-deadline-months 9\n",
            refusal[i * 3 + 2]);
        assert_int_equal (s_count (err, refused), 1);
        assert_int_equal (s_count (err, "ERROR"), 1);
        assert_null (strstr (out, "jejak-pgsink pos="));
        free (refused);
        free (out);
        free (err);
        s_pg_kecamatan_of_32_04 (pg);
        assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 4);
    }
    /* A copy from before PostgreSQL recorded its settings (both NULL) is
       judged by its kecamatan rows: 32.04's are not Cianjur's. */
    assert_int_equal (
        jk_test_pg_int (pg, "WITH u AS (UPDATE jejak_sink SET region = NULL,"
                            " rat_deadline_months = NULL RETURNING 1)"
                            " SELECT count(*) FROM u"),
        1);
    jk_test_db_remove (shadow);
    sink[11] = "--region";
    sink[12] = "32.03";
    assert_int_equal (s_run (sink, NULL, &err), 1);
    assert_int_equal (s_count (err,
                               "ERROR pgsink PostgreSQL's kecamatan_summary"
                               " holds kecamatan 32.04."),
                      1);
    assert_int_equal (s_count (err, ", which is not of region 32.03 this sink "
                                    "applies with: not mixed; run jejak-pgsink "
                                    "rebuild (the PostgreSQL tables and the "
                                    "shadow made anew)\n"),
                      1);
    free (err);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM jejak_sink"
                                          " WHERE region IS NULL"),
                      1);
    /* Told what the copy was made with (the hub's, by default): the new
       shadow is brought up to PostgreSQL's position from the hub, nothing
       is written twice, the copy is still the hub's, and it records its
       settings again. */
    jk_test_db_remove (shadow);
    sink[11] = NULL;
    assert_int_equal (s_run (sink, &out, &err), 0);
    assert_non_null (strstr (out, "jejak-pgsink pos=4 written=0\n"));
    assert_int_equal (s_count (err, "WARN"), 0);
    free (out);
    free (err);
    text = jk_test_pg_text (pg, "SELECT region || ' ' || rat_deadline_months"
                                " FROM jejak_sink");
    assert_string_equal (text, "32.04 9");
    free (text);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 4);
    assert_int_equal (s_run (pg_dump_argv, &out, NULL), 0);
    assert_string_equal (out, hub_dump);
    free (out);
    free (hub_dump);
    text = jk_test_db_text (shadow,
                            "SELECT group_concat(key || '=' || value, ' ') FROM"
                            " (SELECT * FROM log_settings ORDER BY key)");
    assert_string_equal (text, "rat_deadline_months=9 region=32.04");
    free (text);
    /* rebuild against a hub that does not answer gives up after
       --timeout (exit 3) before it drops anything. */
    char *nobody = jk_test_endpoint (hub->dir, "nobody");
    char *rebuild_sink[] = {
        "jejak-pgsink", "rebuild", "--pg", pg->conninfo, "--query",
        nobody,         "--feed",  nobody, "--shadow",   shadow,
        "--timeout",    "1",       NULL};
    assert_int_equal (s_run (rebuild_sink, &out, &err), 3);
    want = jk_sprintf ("no answer from the hub at --query %s or --feed %s "
                       "within 1 s (--timeout): stopped before being caught "
                       "up (is jejak-hub running there?)\n",
                       nobody, nobody);
    assert_int_equal (s_count (err, want), 1);
    free (want);
    free (out);
    free (err);
    assert_int_equal (jk_test_pg_int (pg, "SELECT count(*) FROM log"), 4);
    assert_int_equal (
        jk_test_db_int64 (shadow, "SELECT pos FROM sink_position"), 4);
    free (nobody);
    /* A bad --region or month is a usage error. */
    sink[11] = "--region";
    sink[12] = "3204";
    assert_int_equal (s_run (sink, NULL, NULL), 2);
    sink[11] = "--rat-deadline-months";
    sink[12] = "25";
    assert_int_equal (s_run (sink, NULL, NULL), 2);
    jk_test_pg_stop (&pg);
    free (shadow);
    free (pg_dir);

    /* The hub started again on its log without the region: refused. */
    assert_int_equal (jk_test_stop (hub->hub, SIGTERM, S_WAIT_MS), 0);
    hub->hub = 0;
    size_t before = jk_test_file_size (hub->log);
    hub_argv[9] = NULL;
    pid_t again = jk_test_spawn (hub_argv, hub->log);
    int status = 0;
    assert_true (jk_test_wait_exit (again, &status, S_WAIT_MS));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    assert_true (jk_test_file_has_after (
        hub->log, before,
        "was decided with region 32.04 and a RAT deadline of 9 months "
        "(recorded in it); this start has region Kabupaten Cianjur (the "
        "default) and 6 months: start with --region 32.04 and "
        "--rat-deadline-months 9"));
    assert_int_equal (jk_test_db_int64 (hub->db, "SELECT count(*) FROM log"),
                      4);

    free (bad);
    free (wrong);
    free (rebuilt);
    free (outbox);
    jk_test_hub_destroy (&hub);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_region_of_the_log),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
