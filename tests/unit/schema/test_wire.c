/*  test_wire.c - jk_wire_expect over a real ZeroMQ socket pair: the
    message it waits for comes back opened; anything else is NULL with a
    reason that says exactly what came (never an empty one), and silence
    is told apart from an answer. */
#include "testsupport.h"
#include "jk_wire.h"

typedef struct {
    zsock_t *ours, *theirs;
} s_pair_t;

static int s_setup (void **state)
{
    static int n;
    static s_pair_t pair;
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://test-wire-%d", ++n);
    pair.ours = zsock_new_pair (NULL);
    assert_int_equal (zsock_bind (pair.ours, "%s", endpoint), 0);
    pair.theirs = zsock_new_pair (NULL);
    assert_int_equal (zsock_connect (pair.theirs, "%s", endpoint), 0);
    *state = &pair;
    return 0;
}

static int s_teardown (void **state)
{
    s_pair_t *pair = *state;
    zsock_destroy (&pair->theirs);
    zsock_destroy (&pair->ours);
    return 0;
}

/* Sends count frames (strings) from the other end; waits for want on
   ours and checks the reason given. */
static void s_expect_reason (s_pair_t *pair, const char *want,
                             const char *reason, int count, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list frames;
    va_start (frames, count);
    for (int i = 0; i < count; i++)
        zmsg_addstr (msg, va_arg (frames, const char *));
    va_end (frames);
    assert_int_equal (zmsg_send (&msg, pair->theirs), 0);
    bool silent = true;
    char why[128];
    memset (why, 'x', sizeof why);
    zmsg_t *got =
        jk_wire_expect (pair->ours, 5000, want, &silent, why, sizeof why);
    assert_null (got);
    assert_false (silent);
    assert_string_equal (why, reason);
}

static void test_the_wanted_command_comes_back_opened (void **state)
{
    s_pair_t *pair = *state;
    zmsg_t *msg = jk_wire_new ("HEAD");
    jk_wire_add_u64 (msg, 42);
    assert_int_equal (zmsg_send (&msg, pair->theirs), 0);
    bool silent = true;
    char why[64] = "unchanged";
    zmsg_t *got =
        jk_wire_expect (pair->ours, 5000, "HEAD", &silent, why, sizeof why);
    assert_non_null (got);
    assert_false (silent);
    assert_string_equal (why, "unchanged");
    /* Signature and command are popped: the body follows. */
    assert_int_equal (zmsg_size (got), 1);
    uint64_t value = 0;
    assert_int_equal (jk_wire_pop_u64 (got, &value), 0);
    assert_int_equal (value, 42);
    zmsg_destroy (&got);
}

static void test_silence (void **state)
{
    s_pair_t *pair = *state;
    bool silent = false;
    char why[64] = "";
    assert_null (
        jk_wire_expect (pair->ours, 20, "HEAD", &silent, why, sizeof why));
    assert_true (silent);
    assert_string_equal (why, "nothing within 20 ms");
}

static void test_another_command (void **state)
{
    s_expect_reason (*state, "HEAD", "PONG, not HEAD", 2, JK_PROTOCOL, "PONG");
    s_expect_reason (*state, "CHECKPOINT", "HEAD, not CHECKPOINT", 3,
                     JK_PROTOCOL, "HEAD", "more");
}

static void test_error_answers (void **state)
{
    s_expect_reason (*state, "HEAD", "ERROR: E_PROTOCOL bad frame count", 4,
                     JK_PROTOCOL, "ERROR", "E_PROTOCOL", "bad frame count");
    /* A code without its message, or with an empty one. */
    s_expect_reason (*state, "HEAD", "ERROR: E_BUSY", 3, JK_PROTOCOL, "ERROR",
                     "E_BUSY");
    s_expect_reason (*state, "HEAD", "ERROR: E_BUSY", 4, JK_PROTOCOL, "ERROR",
                     "E_BUSY", "");
    /* No code at all, or an empty one. */
    s_expect_reason (*state, "HEAD", "ERROR without a code", 2, JK_PROTOCOL,
                     "ERROR");
    s_expect_reason (*state, "HEAD", "ERROR without a code", 4, JK_PROTOCOL,
                     "ERROR", "", "a message");
    /* What the peer sent is quoted as printable text. */
    s_expect_reason (*state, "HEAD", "ERROR: E_PROTOCOL bad\\nframe\\x01", 4,
                     JK_PROTOCOL, "ERROR", "E_PROTOCOL", "bad\nframe\x01");
}

static void test_not_jejak (void **state)
{
    const char *reason = "a message that is not a JEJAK/1 command";
    s_expect_reason (*state, "HEAD", reason, 2, "HTTP/1.1", "HEAD");
    s_expect_reason (*state, "HEAD", reason, 1, JK_PROTOCOL);
    s_expect_reason (*state, "HEAD", reason, 2, JK_PROTOCOL, "");
    s_expect_reason (*state, "HEAD", reason, 2, JK_PROTOCOL, "pong");
    s_expect_reason (*state, "HEAD", reason, 2, JK_PROTOCOL,
                     "A_COMMAND_LONGER_THAN_ANY_OF_THE_PROTOCOL");
}

/* A reason longer than the caller's buffer is cut, never overrun. */
static void test_reason_is_cut_to_the_buffer (void **state)
{
    s_pair_t *pair = *state;
    zmsg_t *msg = jk_wire_error ("E_PROTOCOL", "bad frame count");
    assert_int_equal (zmsg_send (&msg, pair->theirs), 0);
    bool silent = true;
    char why[16];
    memset (why, 'x', sizeof why);
    assert_null (jk_wire_expect (pair->ours, 5000, "HEAD", &silent, why, 10));
    assert_string_equal (why, "ERROR: E_");
    assert_int_equal (why[10], 'x');
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_the_wanted_command_comes_back_opened, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_silence, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_another_command, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_error_answers, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_not_jejak, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reason_is_cut_to_the_buffer,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
