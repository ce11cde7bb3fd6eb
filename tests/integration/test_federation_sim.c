/*  test_federation_sim.c - the province simulation, small: three regency
    hubs of Jawa Barat with all their kecamatan offices, one province,
    a hub killed -9 and a link cut during the live phase, an outage and
    its catch-up; every copy verifies and equals its regency's log. The
    full size (27 hubs, 627 offices) is test_slow_federation_sim. Then
    two regency hubs with different RAT deadlines, and the province's
    projections (SQLite and PostgreSQL) made with each one's own. */
#include "federation_sim.h"

static void test_small_province (void **state)
{
    (void)state;
    sim_config_t config = {
        .regencies = 3, .live = 600, .outage = 900, .batch = 20};
    sim_run (&config);
}

/* The RAT columns of a regency's rat_meetings in key order, as text (the
   same SQL for SQLite and PostgreSQL but for the aggregate). */
#define S_RAT_ROWS                                                             \
    " legal_number_norm || ':' || book_year || ':' || held_on || ':' || "      \
    "deadline || ':' || late || ':' || days_late"

/* Each regency's projections at the province are made with its own RAT
   deadline (FEDERATION.md, "The province's projections"): 32.01's hub
   runs with --rat-deadline-months 9, 32.02's with the default 6; the
   records carry the months over the link (the copy's origin_settings),
   and jejak-link project --once gives every projection table's rows
   equal to each hub's own, column by column, among them RAT meetings
   late under 6 months but on time under 9; jejak-pgsink --copy --once
   gives PostgreSQL the same RAT columns. */
static void test_rat_deadline_of_each_regency (void **state)
{
    (void)state;
    sim_regency_t r[2];
    assert_int_equal (sim_regencies (r, 2), 2);
    r[0].months = 9;
    sim_province_t p;
    sim_province_start (&p, "fedmonths", r, 2);
    const char *dir = p.dir, *server = p.server, *listen = p.listen;
    char *copy = p.copy;
    /* The drivers' phase marks, there from the start: no disruption. */
    char *go = jk_sprintf ("%s/go", dir);
    FILE *mark = fopen (go, "w");
    assert_non_null (mark);
    fclose (mark);
    sim_config_t c = {.regencies = 2, .live = 400, .outage = 0, .batch = 20};
    for (int i = 0; i < 2; i++) {
        r[i].hub = sim_hub (&r[i]);
        assert_true (JK_WAIT_FOR (
            jk_test_file_has (r[i].log, "jejak-hub ingest="), 60000));
        r[i].sender = sim_sender (&r[i], listen, server);
        r[i].driver = fork ();
        if (r[i].driver == 0) {
            sim_driver (&r[i], 300 + i, &c, go, go);
            _exit (0);
        }
    }
    int64_t heads = 0;
    for (int i = 0; i < 2; i++) {
        int status = 0;
        assert_int_equal (waitpid (r[i].driver, &status, 0), r[i].driver);
        assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
        heads += lk_sql_int (r[i].db, "SELECT max(pos) FROM log");
    }
    assert_int_equal (heads, 2 * c.live);
    if (!JK_WAIT_FOR (sim_total_copied (listen, r[0].key, server) == heads,
                      120000))
        fail_msg ("province holds %lld of %lld records",
                  (long long)sim_total_copied (listen, r[0].key, server),
                  (long long)heads);
    /* The copy records each regency's months, told by its records. */
    assert_int_equal (lk_sql_int (copy, "SELECT rat_deadline_months FROM "
                                        "origin_settings WHERE origin = "
                                        "'32.01'"),
                      9);
    assert_int_equal (lk_sql_int (copy, "SELECT rat_deadline_months FROM "
                                        "origin_settings WHERE origin = "
                                        "'32.02'"),
                      6);

    char *province = jk_sprintf ("%s/province-projections.db", dir);
    char *project[] = {"jejak-link", "project", "--db",   copy,
                       "--province", province,  "--once", NULL};
    char *out = NULL, *err = NULL;
    if (jk_test_run (project, &out, &err, 120000) != 0)
        fail_msg ("jejak-link project: %s", err);
    free (out);
    free (err);
    int64_t rows = 0;
    sim_province_check (province, copy, r, 2, &rows);
    assert_true (rows > 0);
    /* Each shadow records the months it was made with. */
    for (int i = 0; i < 2; i++) {
        char *shadow = jk_sprintf ("%s-shadow-%s.db", province, r[i].code);
        assert_int_equal (lk_sql_int (shadow, "SELECT value FROM log_settings"
                                              " WHERE key = "
                                              "'rat_deadline_months'"),
                          i == 0 ? 9 : 6);
        free (shadow);
    }
    /* The comparison above means something: 32.01 held RATs that are
       late under 6 months and on time under its 9, and each regency's
       deadlines are its own. */
    const char *deadline[2] = {"-09-30", "-06-30"};
    for (int i = 0; i < 2; i++) {
        char *projections = jk_sprintf ("%s-projections", r[i].db);
        char *sql = jk_sprintf ("SELECT count(*) FROM rat_meetings WHERE "
                                "deadline <> (book_year + 1) || '%s'",
                                deadline[i]);
        assert_int_equal (lk_sql_int (projections, sql), 0);
        free (sql);
        assert_true (
            lk_sql_int (projections, "SELECT count(*) FROM rat_meetings") > 0);
        free (projections);
    }
    char *projections = jk_sprintf ("%s-projections", r[0].db);
    int64_t between =
        lk_sql_int (projections, "SELECT count(*) FROM rat_meetings WHERE "
                                 "late = 0 AND held_on > (book_year + 1) || "
                                 "'-06-30'");
    if (between <= 0)
        fail_msg ("no RAT of 32.01 is late under 6 months only (%lld)",
                  (long long)between);
    free (projections);

    /* jejak-pgsink --copy applies with the same province code: PostgreSQL
       holds each regency's RAT columns as its hub does. */
    jk_test_pg_t *pg = jk_test_pg_start (dir);
    char *sink_shadow = jk_sprintf ("%s/pgsink-province.db", dir);
    char *sink[] = {"jejak-pgsink", "--copy",    copy,
                    "--shadow",     sink_shadow, "--pg",
                    pg->conninfo,   "--once",    NULL};
    if (jk_test_run (sink, &out, &err, 120000) != 0)
        fail_msg ("jejak-pgsink --copy: %s", err);
    free (out);
    free (err);
    for (int i = 0; i < 2; i++) {
        char *mine = jk_sprintf ("%s-projections", r[i].db);
        char *theirs = jk_test_db_text (
            mine, "SELECT group_concat (line, ',') FROM (SELECT" S_RAT_ROWS
                  " AS line FROM rat_meetings ORDER BY legal_number_norm, "
                  "book_year)");
        char *sql = jk_sprintf ("SELECT string_agg (" S_RAT_ROWS ", ',' "
                                "ORDER BY legal_number_norm, book_year) FROM "
                                "rat_meetings WHERE kabupaten_code = '%s'",
                                r[i].code);
        char *pg_rows = jk_test_pg_text (pg, sql);
        assert_non_null (theirs);
        assert_non_null (pg_rows);
        assert_string_equal (pg_rows, theirs);
        free (pg_rows);
        free (sql);
        free (theirs);
        free (mine);
    }
    jk_test_pg_stop (&pg);

    free (sink_shadow);
    free (province);
    free (go);
    sim_province_stop (&p, r, 2);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_small_province),
        cmocka_unit_test (test_rat_deadline_of_each_regency),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
