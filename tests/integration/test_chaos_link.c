/*  test_chaos_link.c - exactly once across kill -9 of either end of the
    upstream link during a 100,000-record catch-up: the sender is killed
    with SIGKILL twice and the receiver twice at different points, each
    restarted; at the end the copy holds every record of the regency's log
    once (same count in the copy and in the arrival log, no position
    twice), equal to the log row by row, its chain and the arrival chain
    intact. JEJAK_CHAOS_SCALE multiplies the size. */
#include "link_support.h"

#include "../unit/replay/replay_workload.h"

static int64_t s_copied (const char *listen)
{
    return lk_stat (listen, NULL, NULL, "origin.32.03.pos");
}

static void test_kill_both_ends (void **state)
{
    (void)state;
    const char *scale_text = getenv ("JEJAK_CHAOS_SCALE");
    int64_t scale = scale_text ? atoll (scale_text) : 1;
    if (scale < 1)
        scale = 1;
    const int64_t total = 100000 * scale;
    char *dir = jk_test_tmpdir ("chaos-link");
    char *regency = jk_sprintf ("%s/regency.db", dir);
    char *copy = jk_sprintf ("%s/copy.db", dir);
    char *listen = jk_test_endpoint (dir, "link");
    char *recv_log = jk_sprintf ("%s/receive.log", dir);
    char *send_log = jk_sprintf ("%s/send.log", dir);
    int64_t start = jk_clock_mono_ms ();
    rw_build (regency, (uint64_t)total, NULL, NULL);
    printf ("# built %lld records in %lld ms\n", (long long)total,
            (long long)(jk_clock_mono_ms () - start));

    start = jk_clock_mono_ms ();
    pid_t recv = lk_receiver (copy, listen, NULL, recv_log);
    pid_t send =
        lk_sender (regency, "32.03", listen, NULL, NULL, NULL, send_log);
    /* Kill points, as shares of the log: sender, receiver, sender,
       receiver. */
    const int64_t points[] = {total / 10, total * 3 / 10, total / 2,
                              total * 7 / 10};
    for (int i = 0; i < 4; i++) {
        if (!JK_WAIT_FOR (s_copied (listen) >= points[i], 120000))
            fail_msg ("copy stopped at %lld before kill point %lld",
                      (long long)s_copied (listen), (long long)points[i]);
        bool sender = i % 2 == 0;
        pid_t *victim = sender ? &send : &recv;
        assert_int_not_equal (jk_test_stop (*victim, SIGKILL, 10000), -1);
        printf ("# kill -9 %s at copy >= %lld\n",
                sender ? "sender" : "receiver", (long long)points[i]);
        if (sender)
            send = lk_sender (regency, "32.03", listen, NULL, NULL, NULL,
                              send_log);
        else
            recv = lk_receiver (copy, listen, NULL, recv_log);
    }
    if (!JK_WAIT_FOR (s_copied (listen) == total, 180000))
        fail_msg ("copy stopped at %lld of %lld", (long long)s_copied (listen),
                  (long long)total);
    printf ("# %lld records caught up through 4 kills in %lld ms\n",
            (long long)total, (long long)(jk_clock_mono_ms () - start));
    assert_int_equal (jk_test_stop (send, SIGTERM, 10000), 0);
    assert_int_equal (jk_test_stop (recv, SIGTERM, 10000), 0);

    /* Exactly once. */
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM copy"), total);
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM arrival"), total);
    assert_int_equal (
        lk_sql_int (copy, "SELECT count(DISTINCT origin_pos) FROM arrival"),
        total);
    assert_int_equal (lk_sql_int (copy, "SELECT max(pos) FROM arrival"), total);
    assert_int_equal (lk_sql_int (copy, "SELECT count(*) FROM fault"), 0);
    char *out = NULL;
    assert_int_equal (lk_verify (copy, "32.03", NULL, regency, &out), 0);
    char *expect = jk_sprintf ("OK origin 32.03: %lld records, chain intact, "
                               "equal to the regency's log",
                               (long long)total);
    assert_non_null (strstr (out, expect));
    free (expect);
    free (out);
    free (regency);
    free (copy);
    free (listen);
    free (recv_log);
    free (send_log);
    jk_test_rmdir (&dir);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kill_both_ends),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
