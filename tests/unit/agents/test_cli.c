/*  test_cli.c - the office programs' command line, run in process with
    --wait 0 (no broker): each command queues the right event, validation
    and usage errors exit 2 and queue nothing, correct finds the recorded
    event in the outbox. */
#include "jk_agent.h"
#include "jk_opts.h"
#include "testsupport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SOURCE "32.03.10/pacet-1"

typedef struct {
    char *dir, *outbox;
} s_fix_t;

static int s_setup (void **state)
{
    s_fix_t *fx = jk_calloc (1, sizeof *fx);
    fx->dir = jk_test_tmpdir ("cli");
    fx->outbox = jk_sprintf ("%s/outbox.db", fx->dir);
    *state = fx;
    return 0;
}

static int s_teardown (void **state)
{
    s_fix_t *fx = *state;
    free (fx->outbox);
    jk_test_rmdir (&fx->dir);
    free (fx);
    return 0;
}

/* Runs the program's main with the fixture's global flags first. */
static int s_run (s_fix_t *fx, jk_domain_t domain, ...)
{
    char *argv[48] = {"jejak-test", "--source", S_SOURCE,
                      "--outbox",   fx->outbox, "--wait",
                      "0",          "--broker", "ipc:///nonexistent"};
    int argc = 9;
    va_list ap;
    va_start (ap, domain);
    char *a;
    while ((a = va_arg (ap, char *)) != NULL && argc < 47)
        argv[argc++] = a;
    va_end (ap);
    argv[argc] = NULL;
    return jk_agent_main (domain, argc, argv);
}

/* Decodes the outbox event at seq (caller destroys; bytes kept in buf). */
static jk_event_t *s_event (s_fix_t *fx, uint64_t seq, uint8_t **buf)
{
    char err[256];
    jk_outbox_t *ob = jk_outbox_open (fx->outbox, S_SOURCE, err, sizeof err);
    assert_non_null (ob);
    jk_outbox_row_t row;
    jk_event_t *ev = NULL;
    if (jk_outbox_get (ob, seq, &row) == JK_OK) {
        *buf = jk_malloc (row.size);
        memcpy (*buf, row.bytes, row.size);
        ev = jk_event_decode (*buf, row.size, NULL);
        assert_non_null (ev);
    }
    jk_outbox_close (&ob);
    return ev;
}

static uint64_t s_next_seq (s_fix_t *fx)
{
    char err[256];
    jk_outbox_t *ob = jk_outbox_open (fx->outbox, S_SOURCE, err, sizeof err);
    assert_non_null (ob);
    jk_outbox_counts_t c;
    jk_outbox_counts (ob, &c);
    jk_outbox_close (&ob);
    return c.next_seq;
}

static void test_registration_cooperative (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (
        s_run (fx, JK_DOMAIN_REGISTRATION, "cooperative", "--legal-number",
               "AHU-0001234.AH.01.26.TAHUN 2019", "--legal-date", "15/03/2019",
               "--name", "Koperasi Sejahtera", "--form", "primer", "--kind",
               "serba_usaha", "--pattern", "Syariah", "--desa-code",
               "32.03.01.1006", "--members-female", "1", "--members-male", "20",
               "--members-female", "25", "--actor", "siti", NULL),
        JK_EXIT_OFFLINE);
    uint8_t *buf = NULL;
    jk_event_t *ev = s_event (fx, 1, &buf);
    char text[128];
    assert_string_equal (ev->type->name, "cooperative.registered");
    assert_int_equal (ev->seq, 1);
    assert_true (jk_str_eq (ev->source, S_SOURCE));
    assert_true (jk_str_eq (ev->actor, "siti"));
    assert_string_equal (jk_event_text (ev, "legal_date", text, sizeof text),
                         "2019-03-15");
    assert_string_equal (jk_event_text (ev, "form", text, sizeof text),
                         "PRIMER");
    assert_string_equal (jk_event_text (ev, "kind", text, sizeof text),
                         "SERBA_USAHA");
    assert_string_equal (jk_event_text (ev, "pattern", text, sizeof text),
                         "SYARIAH");
    /* A flag given twice keeps its last value (AGENTS.md). */
    assert_int_equal (jk_event_get (ev, "members_female")->n, 25);
    assert_false (jk_event_get (ev, "address")->present);
    jk_event_destroy (&ev);
    free (buf);
}

static void test_scoring_units_and_lists (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (s_run (fx, JK_DOMAIN_SCORING, "assessment",
                             "--assessment", "UK-2022-07", "--scheme-code",
                             "SKM-01", "--scheme-title", "Manajer Koperasi",
                             "--date", "20/08/2022", "--lsp", "LSP Koperasi",
                             "--units",
                             "K.1=Menyusun rencana|K.2=Mengelola keuangan, kas",
                             "--assessors", "ASR-01,ASR-02", NULL),
                      JK_EXIT_OFFLINE);
    uint8_t *buf = NULL;
    jk_event_t *ev = s_event (fx, 1, &buf);
    const jk_value_t *units = jk_event_get (ev, "units");
    assert_int_equal (units->count, 2);
    assert_true (jk_str_eq (units->items[3], "Mengelola keuangan, kas"));
    assert_int_equal (jk_event_get (ev, "assessors")->count, 2);
    jk_event_destroy (&ev);
    free (buf);
}

static void test_attendance_record_and_correct (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "record", "--batch",
                             "PK2UMK-2022-01", "--session-no", "2", "--nik",
                             "3203014107850001", "--status", "hadir",
                             "--check-in", "08.05", "--method", "paper", NULL),
                      JK_EXIT_OFFLINE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "correct", "--batch",
                             "PK2UMK-2022-01", "--session-no", "2", "--nik",
                             "3203014107850001", "--status", "IZIN", "--reason",
                             "surat izin menyusul", NULL),
                      JK_EXIT_OFFLINE);
    uint8_t *b1 = NULL, *b2 = NULL;
    jk_event_t *rec = s_event (fx, 1, &b1);
    jk_event_t *cor = s_event (fx, 2, &b2);
    char text[32];
    assert_string_equal (jk_event_text (rec, "check_in", text, sizeof text),
                         "08:05");
    assert_string_equal (cor->type->name, "attendance.corrected");
    assert_true (cor->has_corrects);
    assert_memory_equal (cor->corrects, rec->id, 16);
    jk_event_destroy (&rec);
    jk_event_destroy (&cor);
    free (b1);
    free (b2);
    /* Nothing recorded for that session: exit 2, nothing queued. */
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "correct", "--batch",
                             "PK2UMK-2022-01", "--session-no", "3", "--nik",
                             "3203014107850001", "--status", "IZIN", "--reason",
                             "surat izin menyusul", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_next_seq (fx), 3);
}

static void test_errors_queue_nothing (void **state)
{
    s_fix_t *fx = *state;
    /* Range, enum, date, NIK, missing required, unknown flag, a flag of
       another command, unknown command, extra argument. */
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "record", "--batch",
                             "PK2UMK-2022-01", "--session-no", "0", "--nik",
                             "3203014107850001", "--status", "HADIR",
                             "--check-in", "08:05", "--method", "PAPER", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "record", "--batch",
                             "PK2UMK-2022-01", "--session-no", "1", "--nik",
                             "3203014107850001", "--status", "PRESENT",
                             "--method", "PAPER", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "record", "--batch",
                             "PK2UMK-2022-01", "--session-no", "1", "--nik",
                             "3203014107850001", "--status", "HADIR",
                             "--check-in", "25:00", "--method", "PAPER", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "record", "--batch",
                             "PK2UMK-2022-01", "--session-no", "1", "--nik",
                             "12345", "--status", "HADIR", "--check-in",
                             "08:00", "--method", "PAPER", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "record", "--batch",
                             "PK2UMK-2022-01", "--nik", "3203014107850001",
                             "--status", "HADIR", "--check-in", "08:00",
                             "--method", "PAPER", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "close-batch", "--batch",
                             "B-1", "--colour", "red", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "close-batch", "--batch",
                             "B-1", "--nik", "3203014107850001", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "cooperative", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "close-batch", "--batch",
                             "B-1", "extra", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "close-batch", "--batch",
                             "B-1", "--wait", "soon", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (s_next_seq (fx), 1);
    char err[256];
    jk_outbox_t *ob = jk_outbox_open (fx->outbox, S_SOURCE, err, sizeof err);
    jk_outbox_counts_t c;
    jk_outbox_counts (ob, &c);
    assert_int_equal (c.pending + c.stored + c.rejected, 0);
    jk_outbox_close (&ob);
}

static void test_source_rules (void **state)
{
    s_fix_t *fx = *state;
    char *bad[] = {"jejak-attendance", "--source", "99.99.99/x", "--outbox",
                   fx->outbox,         "pending",  NULL};
    assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, 6, bad),
                      JK_EXIT_USAGE);
    char *none[] = {"jejak-attendance", "--outbox", fx->outbox, "pending",
                    NULL};
    unsetenv ("JEJAK_SOURCE");
    assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, 4, none),
                      JK_EXIT_USAGE);
    /* The outbox belongs to the first source (made by queueing: pending
       does not make one, below). */
    assert_int_equal (
        s_run (fx, JK_DOMAIN_ATTENDANCE, "close-batch", "--batch", "B-1", NULL),
        JK_EXIT_OFFLINE);
    char *other[] = {"jejak-attendance",
                     "--source",
                     "DINAS/laptop-2",
                     "--outbox",
                     fx->outbox,
                     "pending",
                     NULL};
    assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, 6, other),
                      JK_EXIT_USAGE);
    char *help[] = {"jejak-attendance", "record", "--help", NULL};
    assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, 3, help),
                      JK_EXIT_OK);
}

/* A malformed --broker is a usage error at once (it used to give
   hundreds of reconnect errors a second and queue the event). */
static void test_broker_endpoint_checked (void **state)
{
    s_fix_t *fx = *state;
    static const char *bad[] = {
        "tcp://127.0.0.1:",     "tcp://127.0.0.1", "tcp://:7450",
        "tcp://host:70000",     "tcp://host:74x0", "ipc://",
        "udp://127.0.0.1:7450", "127.0.0.1:7450",  ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = {"jejak-attendance",
                        "--source",
                        S_SOURCE,
                        "--outbox",
                        fx->outbox,
                        "--broker",
                        (char *)bad[i],
                        "close-batch",
                        "--batch",
                        "B-1",
                        NULL};
        assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, 10, argv),
                          JK_EXIT_USAGE);
    }
    /* Nothing was queued (the outbox was not even created). */
    assert_int_equal (access (fx->outbox, F_OK), -1);
    char why[160];
    assert_int_equal (jk_endpoint_check ("tcp://127.0.0.1:", why, sizeof why),
                      -1);
    assert_string_equal (why, "the port is missing (tcp://HOST:PORT)");
    assert_int_equal (
        jk_endpoint_check ("tcp://dinas.example:7450", why, sizeof why), 0);
    assert_int_equal (jk_endpoint_check ("tcp://[::1]:7450", why, sizeof why),
                      0);
    assert_int_equal (
        jk_endpoint_check ("ipc:///run/jejak/ingest.sock", why, sizeof why), 0);
}

/* The commands that read the outbox only connect nowhere: a config for a
   remote hub without keys (refused for delivery) serves them. */
static void test_local_commands_need_no_broker_key (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (
        s_run (fx, JK_DOMAIN_ATTENDANCE, "close-batch", "--batch", "B-1", NULL),
        JK_EXIT_OFFLINE);
    const char *local[][3] = {{"pending", NULL, NULL},
                              {"receipts", NULL, NULL},
                              {"inspect", "1", NULL},
                              {"prune", "--before", "2020-01-01"}};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        char *argv[12] = {"jejak-attendance",
                          "--source",
                          S_SOURCE,
                          "--outbox",
                          fx->outbox,
                          "--broker",
                          "tcp://dinas.example:7450"};
        int argc = 7;
        for (int k = 0; k < 3 && local[i][k]; k++)
            argv[argc++] = (char *)local[i][k];
        argv[argc] = NULL;
        assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, argc, argv),
                          JK_EXIT_OK);
    }
    /* Delivery to it still needs the keys. */
    char *argv[] = {"jejak-attendance",
                    "--source",
                    S_SOURCE,
                    "--outbox",
                    fx->outbox,
                    "--broker",
                    "tcp://dinas.example:7450",
                    "sync",
                    NULL};
    assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, 8, argv),
                      JK_EXIT_USAGE);
    char *verify[] = {"jejak-attendance",
                      "--source",
                      S_SOURCE,
                      "--outbox",
                      fx->outbox,
                      "--broker",
                      "tcp://dinas.example:7450",
                      "receipts",
                      "--verify",
                      NULL};
    assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, 9, verify),
                      JK_EXIT_USAGE);
}

/* AGENTS.md: only the global flags come from a config file. A key named
   like an event's field neither fills the event nor trips a command that
   does not take it; the global keys of the same file are read. */
static void test_config_gives_global_flags_only (void **state)
{
    s_fix_t *fx = *state;
    char *path = jk_sprintf ("%s/office.cfg", fx->dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "actor = \"rina\"\nmembers-female = \"7\"\n"
                   "verify = \"1\"\n");
    fclose (file);
    setenv ("JEJAK_CONFIG", path, 1);
    /* members-female is required: not given on the line, it is missing. */
    assert_int_equal (
        s_run (fx, JK_DOMAIN_REGISTRATION, "cooperative", "--legal-number",
               "AHU-0001235.AH.01.26", "--legal-date", "15/03/2019", "--name",
               "Koperasi Makmur", "--form", "PRIMER", "--kind", "KONSUMEN",
               "--pattern", "KONVENSIONAL", "--desa-code", "32.03.01.1006",
               "--members-male", "20", NULL),
        JK_EXIT_USAGE);
    assert_int_equal (s_next_seq (fx), 1);
    assert_int_equal (
        s_run (fx, JK_DOMAIN_REGISTRATION, "cooperative", "--legal-number",
               "AHU-0001235.AH.01.26", "--legal-date", "15/03/2019", "--name",
               "Koperasi Makmur", "--form", "PRIMER", "--kind", "KONSUMEN",
               "--pattern", "KONVENSIONAL", "--desa-code", "32.03.01.1006",
               "--members-male", "20", "--members-female", "3", NULL),
        JK_EXIT_OFFLINE);
    uint8_t *buf = NULL;
    jk_event_t *ev = s_event (fx, 1, &buf);
    assert_int_equal (jk_event_get (ev, "members_female")->n, 3);
    assert_true (jk_str_eq (ev->actor, "rina")); /* a global key is read */
    jk_event_destroy (&ev);
    free (buf);
    /* pending takes neither --members-female nor --verify: the keys do not
       make it a usage error. */
    assert_int_equal (s_run (fx, JK_DOMAIN_REGISTRATION, "pending", NULL),
                      JK_EXIT_OK);
    unsetenv ("JEJAK_CONFIG");
    free (path);
}

/* AGENTS.md: the commands that only read make no outbox. On an --outbox
   that does not exist, or an empty file, they answer as for an empty
   outbox and leave the path as it was: a mistyped path is not made into a
   new outbox that then says "0 pending". */
static void test_readers_make_no_outbox (void **state)
{
    s_fix_t *fx = *state;
    char *empty = jk_sprintf ("%s/empty.db", fx->dir);
    FILE *file = fopen (empty, "w");
    assert_non_null (file);
    fclose (file);
    const char *paths[] = {fx->outbox, empty};
    for (size_t p = 0; p < 2; p++) {
        const char *reader[][4] = {{"pending", NULL, NULL, NULL},
                                   {"receipts", NULL, NULL, NULL},
                                   {"prune", "--before", "2020-01-01", NULL},
                                   {"inspect", "1", NULL, NULL}};
        for (size_t i = 0; i < 4; i++) {
            char *argv[12] = {"jejak-attendance", "--source", S_SOURCE,
                              "--outbox", (char *)paths[p]};
            int argc = 5;
            for (int k = 0; reader[i][k]; k++)
                argv[argc++] = (char *)reader[i][k];
            argv[argc] = NULL;
            /* inspect: the seq is not in it, a usage error as always. */
            assert_int_equal (jk_agent_main (JK_DOMAIN_ATTENDANCE, argc, argv),
                              i == 3 ? JK_EXIT_USAGE : JK_EXIT_OK);
        }
    }
    struct stat st;
    assert_int_equal (stat (fx->outbox, &st), -1);
    assert_int_equal (errno, ENOENT);
    assert_int_equal (stat (empty, &st), 0);
    assert_int_equal (st.st_size, 0);
    /* Queueing makes it, and the readers read it. */
    assert_int_equal (
        s_run (fx, JK_DOMAIN_ATTENDANCE, "close-batch", "--batch", "B-1", NULL),
        JK_EXIT_OFFLINE);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "pending", NULL),
                      JK_EXIT_OK);
    assert_int_equal (s_run (fx, JK_DOMAIN_ATTENDANCE, "inspect", "1", NULL),
                      JK_EXIT_OK);
    free (empty);
}

static void test_prune_needs_date (void **state)
{
    s_fix_t *fx = *state;
    assert_int_equal (s_run (fx, JK_DOMAIN_SCORING, "prune", NULL),
                      JK_EXIT_USAGE);
    assert_int_equal (
        s_run (fx, JK_DOMAIN_SCORING, "prune", "--before", "31/02/2024", NULL),
        JK_EXIT_USAGE);
    assert_int_equal (
        s_run (fx, JK_DOMAIN_SCORING, "prune", "--before", "01/01/2024", NULL),
        JK_EXIT_OK);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_registration_cooperative, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_scoring_units_and_lists, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_attendance_record_and_correct,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_errors_queue_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_source_rules, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_broker_endpoint_checked, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_config_gives_global_flags_only,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_readers_make_no_outbox, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_prune_needs_date, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_local_commands_need_no_broker_key,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
