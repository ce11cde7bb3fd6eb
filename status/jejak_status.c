/*  jejak_status.c - jejak-status, the live status board: its options,
    checked here, then either one snapshot of the store (--once, once.c)
    or the live board (live.c), with --http also served as a web page
    (status/web.c), fed from the same loop. */
#include "jk_curve.h"
#include "jk_note.h"
#include "status_run.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const jk_opt_t s_spec[] = {
    {"feed", "JEJAK_FEED", "tcp://127.0.0.1:7451",
     "broker feed endpoint (live records and heartbeats)", false},
    {"query", "JEJAK_QUERY", "tcp://127.0.0.1:7452",
     "store query endpoint (catch-up and snapshots)", false},
    {"broker-key", "JEJAK_BROKER_KEY", NULL,
     "the hub's public certificate (CURVE, with --key)", false},
    {"key", "JEJAK_KEY", NULL,
     "a reader's secret certificate from jejak-keys reader (CURVE)", false},
    {"link", "JEJAK_STATUS_LINK", NULL,
     "show a federation link's lag: jejak-link send's --stats endpoint (this "
     "regency's link up) or jejak-link receive's endpoint (the links in)",
     false},
    {"link-key", "JEJAK_STATUS_LINK_KEY", NULL,
     "--link over CURVE: a link secret certificate (with --link-server-key)",
     false},
    {"link-server-key", "JEJAK_STATUS_LINK_SERVER_KEY", NULL,
     "--link over CURVE: the receiver's public certificate", false},
    {"log-key", "JEJAK_LOG_KEY", NULL,
     "live board: the log's verifier key (log.vkey of jejak-keys log-key, or "
     "its text): check each signed checkpoint against the last one "
     "verified; checked in every mode (a bad key: exit 2)",
     false},
    {"checkpoint-file", "JEJAK_STATUS_CHECKPOINT_FILE", NULL,
     "with --log-key: the file keeping the last verified checkpoint (forks "
     "are kept in FILE.forks; default ~/.local/share/jejak/"
     "status-checkpoint.note)",
     false},
    {"clear-fork", NULL, NULL,
     "after the fork alarm was investigated: move FILE.forks and FILE (the "
     "checkpoint verified before the fork) aside to *.cleared-STAMP, kept, "
     "and exit; the board then trusts the next checkpoint on sight",
     true},
    {"once", "JEJAK_STATUS_ONCE", NULL,
     "print the store's current snapshot and exit", true},
    {"json", "JEJAK_STATUS_JSON", NULL,
     "machine-readable output: one JSON document per refresh", true},
    {"kecamatan", "JEJAK_STATUS_KECAMATAN", NULL,
     "show one kecamatan only (code, e.g. 32.03.10)", false},
    {"batch", "JEJAK_STATUS_BATCH", NULL,
     "show one training batch only (code, e.g. PK2UMK-2022-01)", false},
    {"all-batches", "JEJAK_STATUS_ALL_BATCHES", NULL,
     "list every open batch, not only those running today", true},
    {"as-of", "JEJAK_STATUS_AS_OF", NULL,
     "the day for 'active', 'running' and 'today', a date as the agents "
     "take it: " JK_DATE_FORMS " (default today in WIB)",
     false},
    {"active-rule", "JEJAK_ACTIVE_RULE", NULL,
     "the rule for 'active' (years=N,deadline-months=N,"
     "grace-days=N,quorum=any|required; default years=1,deadline-months=6,"
     "grace-days=0,quorum=any); --once asks the store to use it",
     false},
    {"region", "JEJAK_REGION", NULL,
     "the hub's area, as its --region: a kabupaten code (32.03) or a "
     "province code (32); default: the store's (its STATS), else Kabupaten "
     "Cianjur",
     false},
    {"rat-deadline-months", "JEJAK_RAT_DEADLINE_MONTHS", NULL,
     "as the hub's --rat-deadline-months: a RAT is late this many months "
     "after its book year, 1 to 24; default: the store's (its STATS), else 6",
     false},
    {"page", "JEJAK_STATUS_PAGE", NULL,
     "terminal board: show page N only (pages of 80 x 24; default: the "
     "live board on a terminal shows page 1 and pages with the keys space "
     "and b, q quits; otherwise every page in turn)",
     false},
    {"timeout", "JEJAK_STATUS_TIMEOUT", "5",
     "--once: seconds to wait for the store before giving up (exit 1)", false},
    {"credit", "JEJAK_STATUS_CREDIT", "1000",
     "catch-up window: records the store may send ahead", false},
    {"drop-every", "JEJAK_STATUS_DROP_EVERY", "0",
     "testing only: drop every Nth feed record to exercise catch-up", false},
    {"http", "JEJAK_STATUS_HTTP", NULL,
     "serve the board as a web page on ADDR:PORT (or PORT on 127.0.0.1; "
     "port 0 picks a free one)",
     false},
    {"http-public", "JEJAK_STATUS_HTTP_PUBLIC", NULL,
     "allow --http on a non-loopback address (the page is read-only and "
     "unauthenticated)",
     true},
    {"http-only", "JEJAK_STATUS_HTTP_ONLY", NULL,
     "with --http: serve the web page only, print no terminal board", true},
};

#define S_SPEC_COUNT (sizeof s_spec / sizeof s_spec[0])

/* ~/.local/share/jejak/status-checkpoint.note (the directory made when
   missing); NULL without a home directory. */
static char *s_default_checkpoint_file (void)
{
    const char *home = getenv ("HOME");
    if (!home || !*home)
        return NULL;
    char *dir = jk_sprintf ("%s/.local/share/jejak", home);
    char *cursor = dir + strlen (home) + 1;
    while ((cursor = strchr (cursor, '/')) != NULL) {
        *cursor = 0;
        mkdir (dir, 0700);
        *cursor++ = '/';
    }
    mkdir (dir, 0700);
    char *path = jk_sprintf ("%s/status-checkpoint.note", dir);
    free (dir);
    return path;
}

/* --http's address and port, and a non-loopback address refused
   without --http-public; 0, or 2 with the reason printed. Checked with
   the other flags, before anything binds. */
static int s_web_check (jk_opts_t *opts, const char *http, char *address,
                        size_t address_size, uint16_t *port)
{
    char err[256];
    if (jk_web_parse_listen (http, address, address_size, port, err,
                             sizeof err)) {
        fprintf (stderr, "jejak-status: %s\n", err);
        return 2;
    }
    if (!jk_web_address_is_loopback (address) &&
        !jk_opts_on (opts, "http-public")) {
        fprintf (stderr,
                 "jejak-status: --http %s is not a loopback address: the "
                 "board has no login and anyone who can reach it would see "
                 "the dinas's numbers; give --http-public to serve it on "
                 "the network anyway (or put it behind a proxy with a "
                 "login)\n",
                 address);
        return 2;
    }
    return 0;
}

/* Starts the web server for --http on the address s_web_check took, and
   prints its URL. Returns 0 or an exit code. */
static int s_start_web (const char *http, const char *address, uint16_t port,
                        jk_status_as_of_t *as_of, jk_web_t **web)
{
    char err[256];
    jk_web_config_t config = {.address = address,
                              .port = port,
                              .as_of = jk_status_web_as_of,
                              .as_of_arg = as_of};
    *web = jk_web_new (&config, err, sizeof err);
    if (!*web) {
        fprintf (stderr, "jejak-status: --http %s: %s\n", http, err);
        return 1;
    }
    /* The line scripts read to find the page (port 0 picks one). */
    printf ("jejak-status http=http://%s:%u/\n", address,
            (unsigned)jk_web_port (*web));
    fflush (stdout);
    return 0;
}

/* Prints --help. */
static void s_help (jk_opts_t *opts, FILE *out)
{
    fprintf (out,
             "Usage: jejak-status [--feed EP] [--query EP] [--once] "
             "[--json] [--kecamatan CODE]\n"
             "                    [--batch CODE] [--as-of DATE] "
             "[--page N] [--timeout SECONDS]\n"
             "                    [--http ADDR:PORT [--http-public] "
             "[--http-only]]\n"
             "                    [--link EP [--link-key KEY "
             "--link-server-key PUB]]\n"
             "                    [--log-key VKEY [--checkpoint-file "
             "FILE]]\n"
             "       jejak-status --clear-fork [--checkpoint-file FILE]\n\n"
             "The live status board: per kecamatan, running training "
             "batches, offices, totals and\nthe log head. It keeps a "
             "replica of the store's projections, fed by the broker's "
             "feed\nand caught up from the store on start and after any "
             "gap, so its numbers are the\nstore's numbers at the "
             "position shown. NIKs are always masked.\n\n"
             "Each option: flag > environment variable > config file "
             "(--config) > default.\n\n");
    jk_opts_print (opts, out);
    fprintf (out,
             "\nExit: 0 done (live: stopped by SIGINT/SIGTERM), 1 the "
             "store did not answer\n(--once) or the board could not "
             "start (--clear-fork: no alarm to clear, or a\nfile could not "
             "be moved), 2 usage error.\n");
}

/* What the options ask for, checked. */
typedef struct {
    jk_status_view_t view;
    int32_t day; /* --as-of, or JK_STATUS_TODAY */
    uint64_t timeout;
    jk_active_rule_t rule;
    int months; /* --rat-deadline-months */
    bool json;
    const char *http;
    char http_address[64]; /* --http's address, checked */
    uint16_t http_port;    /* --http's port (0: any free one) */
} s_run_t;

/* True when code is a kecamatan of the national reference data (of the
   province its first two digits name). */
static bool s_kecamatan_known (const char *code)
{
    char province[3] = "", err[256];
    if (strlen (code) != 8 || !isdigit ((unsigned char)code[0]) ||
        !isdigit ((unsigned char)code[1]))
        return false;
    memcpy (province, code, 2);
    jk_region_t *region =
        jk_region_load_default_dir (province, err, sizeof err);
    bool known = region && jk_region_kecamatan (region, code);
    jk_region_destroy (&region);
    return known;
}

/* --log-key: a log's verifier key (type 01); 0, or exit 2 with the
   reason printed. */
static int s_log_key_check (const char *log_key)
{
    char name[JK_NOTE_NAME_MAX], why[320];
    int type = 0;
    uint8_t pub[32];
    if (jk_note_vkey_parse (log_key, name, &type, pub, why, sizeof why) !=
        JK_OK) {
        fprintf (stderr, "jejak-status: --log-key: %s\n", why);
        return 2;
    }
    if (type != JK_NOTE_TYPE_ED25519) {
        fprintf (stderr,
                 "jejak-status: --log-key: %s is a witness's key (type 04), "
                 "not the log's\n",
                 name);
        return 2;
    }
    return 0;
}

/* Checks the options' values into run; 0, or 2 with the reason
   printed. */
static int s_check (jk_opts_t *opts, s_run_t *run)
{
    jk_status_view_t *view = &run->view;
    if (jk_endpoint_options ("jejak-status", opts, "feed query link",
                             JK_ENDPOINT_CONNECT))
        return 2;
    static const jk_curve_pair_t pairs[] = {
        {"broker-key", "key",
         "the hub's public certificate and this board's secret one",
         "the hub's broker.pub of jejak-keys init",
         "a reader's .key file of jejak-keys reader"},
        {"link-server-key", "link-key",
         "the receiver's public certificate and this board's link secret one",
         "the receiver's public certificate",
         "a link's .key file of jejak-keys link"}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        char why[512];
        if (jk_curve_pair_check (
                &pairs[i], jk_opts_get (opts, pairs[i].server_flag),
                jk_opts_get (opts, pairs[i].key_flag), why, sizeof why)) {
            fprintf (stderr, "jejak-status: %s\n", why);
            return 2;
        }
    }
    *view = (jk_status_view_t){.kecamatan = jk_opts_get (opts, "kecamatan"),
                               .batch = jk_opts_get (opts, "batch"),
                               .all_batches = jk_opts_on (opts, "all-batches")};
    run->day = JK_STATUS_TODAY;
    const char *as_of = jk_opts_get (opts, "as-of");
    if (as_of && jk_date_parse_day (as_of, &run->day)) {
        fprintf (stderr,
                 "jejak-status: --as-of must be a date " JK_DATE_FORMS
                 ", got '%s'\n",
                 as_of);
        return 2;
    }
    uint64_t number = 0;
    if (jk_parse_u64 (jk_opts_get (opts, "timeout"), &run->timeout) ||
        run->timeout == 0 || run->timeout > 3600) {
        fprintf (stderr, "jejak-status: --timeout must be 1..3600 seconds\n");
        return 2;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "credit"), &number) || number == 0 ||
        number > 1000000) {
        fprintf (stderr, "jejak-status: --credit must be 1..1000000\n");
        return 2;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "drop-every"), &number)) {
        fprintf (stderr, "jejak-status: --drop-every must be a number\n");
        return 2;
    }
    const char *months = jk_opts_get (opts, "rat-deadline-months");
    run->months = 0;
    if (months && jk_rat_deadline_months_parse (months, &run->months) != 0) {
        fprintf (stderr, "jejak-status: --rat-deadline-months must be 1 to "
                         "24 (see --help)\n");
        return 2;
    }
    /* The hub's region: the replica seeds its kecamatan and checks its
       records with it, --kecamatan names one of them. A bad one stops
       here, exit 2. Without --region the live board takes the store's
       (STATS) once connected: a --kecamatan of another region than the
       default is then checked against the national reference data. */
    const char *region = jk_opts_get (opts, "region");
    if (region)
        jk_region_set_default_area (region);
    (void)jk_region_default ();
    if (view->kecamatan &&
        !jk_region_kecamatan (jk_region_default (), view->kecamatan) &&
        (region || !s_kecamatan_known (view->kecamatan))) {
        fprintf (stderr,
                 "jejak-status: --kecamatan '%s' is not a kecamatan code of "
                 "the region (e.g. 32.03.10; --region for another)\n",
                 view->kecamatan);
        return 2;
    }
    char rule_err[256];
    if (jk_active_rule_parse (jk_opts_get (opts, "active-rule"), &run->rule,
                              rule_err, sizeof rule_err)) {
        fprintf (stderr, "jejak-status: --active-rule: %s\n", rule_err);
        return 2;
    }
    const char *page = jk_opts_get (opts, "page");
    if (page &&
        (jk_parse_u64 (page, &number) || number == 0 || number > 1000)) {
        fprintf (stderr, "jejak-status: --page must be 1..1000\n");
        return 2;
    }
    view->page = page ? (int)number : 0;
    run->json = jk_opts_on (opts, "json");
    run->http = jk_opts_get (opts, "http");
    if (run->http && jk_opts_on (opts, "once")) {
        fprintf (stderr, "jejak-status: --http serves the live board; it "
                         "cannot be combined with --once\n");
        return 2;
    }
    if (!run->http && jk_opts_on (opts, "http-only")) {
        fprintf (stderr, "jejak-status: --http-only needs --http ADDR:PORT\n");
        return 2;
    }
    if (run->http && s_web_check (opts, run->http, run->http_address,
                                  sizeof run->http_address, &run->http_port))
        return 2;
    /* Whatever the mode: --once and --clear-fork do not use the key, but
       a bad one is a mistake to say, not to pass over. */
    char *log_key = jk_note_vkey_given (jk_opts_get (opts, "log-key"));
    int rc = log_key ? s_log_key_check (log_key) : 0;
    free (log_key);
    return rc;
}

/* The checkpoint watch for --log-key on the live board (else NULL),
   started before anything binds or connects: 0, or 1 with the reason
   printed when the checkpoint file cannot serve (s_check took the
   key). */
static int s_watch_start (jk_opts_t *opts, jk_ckwatch_t **watch)
{
    char *log_key = jk_note_vkey_given (jk_opts_get (opts, "log-key"));
    int rc = 0;
    if (log_key && !jk_opts_on (opts, "once")) {
        const char *given = jk_opts_get (opts, "checkpoint-file");
        char *path = given ? jk_strdup (given) : s_default_checkpoint_file ();
        char why[512] = "";
        *watch = path ? jk_ckwatch_new (log_key, path, why, sizeof why) : NULL;
        if (!*watch) {
            fprintf (stderr, "jejak-status: %s\n",
                     path ? why
                          : "--log-key needs --checkpoint-file (no home "
                            "directory for the default)");
            rc = 1;
        }
        free (path);
    }
    free (log_key);
    return rc;
}

/* --clear-fork: the fork alarm of the checkpoint file cleared, its
   evidence moved aside (jk_ckwatch_clear). Exit 0, or 1 said. */
static int s_clear_fork (jk_opts_t *opts)
{
    const char *given = jk_opts_get (opts, "checkpoint-file");
    char *path = given ? jk_strdup (given) : s_default_checkpoint_file ();
    if (!path) {
        fprintf (stderr, "jejak-status: --clear-fork needs --checkpoint-file "
                         "(no home directory for the default)\n");
        return 1;
    }
    char said[2048];
    int rc = jk_ckwatch_clear (path, said, sizeof said);
    free (path);
    if (rc != JK_OK) {
        fprintf (stderr, "jejak-status: --clear-fork: %s\n", said);
        return 1;
    }
    printf ("jejak-status: %s\n", said);
    return 0;
}

int main (int argc, char **argv)
{
    int rc = 0;
    jk_opts_t *opts = jk_opts_start_flags ("jejak-status", s_spec, S_SPEC_COUNT,
                                           argc, argv, s_help, &rc);
    if (!opts)
        return rc;
    zsys_init ();
    jk_web_t *web = NULL;
    jk_status_as_of_t as_of_ctx;
    memset (&as_of_ctx, 0, sizeof as_of_ctx);
    jk_ckwatch_t *watch = NULL;
    s_run_t run;
    if ((rc = s_check (opts, &run)))
        goto done;
    if (jk_opts_on (opts, "clear-fork")) {
        rc = s_clear_fork (opts);
        goto done;
    }
    as_of_ctx.store =
        (jk_status_store_t){.endpoint = jk_opts_get (opts, "query"),
                            .broker_key = jk_opts_get (opts, "broker-key"),
                            .key = jk_opts_get (opts, "key"),
                            .rule = jk_opts_get (opts, "active-rule"),
                            .timeout_s = (int)run.timeout};
    as_of_ctx.kecamatan = run.view.kecamatan;
    as_of_ctx.batch = run.view.batch;
    /* The checkpoint file is read before the web page binds: the page's
       ready line means the board is up. */
    if ((rc = s_watch_start (opts, &watch)))
        goto done;
    if (run.http && (rc = s_start_web (run.http, run.http_address,
                                       run.http_port, &as_of_ctx, &web)))
        goto done;
    if (jk_opts_on (opts, "once"))
        rc = jk_status_once (opts, &as_of_ctx.store, &run.view, run.json,
                             run.day);
    else
        rc = jk_status_live (opts, &run.view, run.json, run.day, &run.rule, web,
                             jk_opts_on (opts, "http-only"), watch);
done:
    jk_ckwatch_destroy (&watch);
    jk_web_destroy (&web);
    jk_opts_destroy (&opts);
    return rc;
}
