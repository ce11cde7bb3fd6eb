/*  jejak_status.c - jejak-status, the live status board: parses options,
    then either asks the store for one snapshot (--once) or keeps a board
    (jk_board_t + in-memory replica) live and renders it at most ten times a
    second when something changed; with --http it also serves the board
    as a web page (status/web.c), fed from the same loop. */
#include "jk_opts.h"
#include "jk_active.h"
#include "jk_note.h"
#include "jk_status.h"
#include "jk_version.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_REFRESH_MS 100 /* at most ten screens a second */

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
     "its text): check each signed checkpoint against the last one verified",
     false},
    {"checkpoint-file", "JEJAK_STATUS_CHECKPOINT_FILE", NULL,
     "with --log-key: the file keeping the last verified checkpoint (forks "
     "are kept in FILE.forks; default ~/.local/share/jejak/"
     "status-checkpoint.note)",
     false},
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
     "the day for 'active', 'running' and 'today' (DD/MM/YYYY or "
     "YYYY-MM-DD; default today in WIB)",
     false},
    {"active-rule", "JEJAK_ACTIVE_RULE", NULL,
     "the rule for 'active' (years=N,deadline-months=N,"
     "grace-days=N,quorum=any|required; default years=1,deadline-months=6,"
     "grace-days=0,quorum=any); --once asks the store to use it",
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

/* A DEALER to --link (CURVE with --link-key/--link-server-key), or NULL
   when there is none or it cannot be set up (logged). */
static zsock_t *s_link_socket (jk_opts_t *opts)
{
    const char *endpoint = jk_opts_get (opts, "link");
    if (!endpoint)
        return NULL;
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    zsock_set_sndhwm (sock, 4);
    zsock_set_sndtimeo (sock, 0);
    if (jk_status_curve (sock, endpoint, jk_opts_get (opts, "link-server-key"),
                         jk_opts_get (opts, "link-key")) ||
        zsock_connect (sock, "%s", endpoint)) {
        fprintf (stderr, "jejak-status: cannot connect to --link %s\n",
                 endpoint);
        zsock_destroy (&sock);
    }
    return sock;
}

/* Asks for the link's STATS (no wait). */
static void s_link_ask (zsock_t *sock)
{
    zmsg_t *msg = jk_wire_new ("STATS");
    zmsg_send (&msg, sock); /* no peer yet: dropped (send timeout 0) */
    zmsg_destroy (&msg);
}

/* Takes the newest STATS answer waiting (or waits up to wait_ms for one)
   into *text; returns true when one came. */
static bool s_link_take (zsock_t *sock, int wait_ms, char **text)
{
    bool got = false;
    zpoller_t *poller = zpoller_new (sock, NULL);
    int64_t deadline = jk_clock_mono_ms () + wait_ms;
    for (;;) {
        int64_t left = got ? 0 : deadline - jk_clock_mono_ms ();
        if (!zpoller_wait (poller, left > 0 ? (int)left : 0))
            break;
        zmsg_t *msg = zmsg_recv (sock);
        char command[16];
        if (!msg)
            break;
        if (!jk_wire_open (msg, command, sizeof command) &&
            strcmp (command, "STATS") == 0) {
            free (*text);
            *text = zmsg_popstr (msg);
            got = *text != NULL;
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return got;
}

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

/* ---- paging keys on a terminal ----------------------------------------- */

static struct termios s_saved_termios;
static bool s_keys_on;

static void s_keys_restore (void)
{
    if (s_keys_on)
        tcsetattr (STDIN_FILENO, TCSANOW, &s_saved_termios);
    s_keys_on = false;
}

/* Reads single keys from the terminal without echo or Enter (restored at
   exit). False when stdin is not a terminal. */
static bool s_keys_start (void)
{
    if (!isatty (STDIN_FILENO) ||
        tcgetattr (STDIN_FILENO, &s_saved_termios) != 0)
        return false;
    struct termios raw = s_saved_termios;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr (STDIN_FILENO, TCSANOW, &raw) != 0)
        return false;
    s_keys_on = true;
    atexit (s_keys_restore);
    return true;
}

/* The page after the keys waiting on the terminal: space, n, j or
   PageDown next; b, p, k or PageUp back; q sets *quit. */
static int s_keys_page (int page, int pages, bool *quit)
{
    char keys[32];
    ssize_t n = read (STDIN_FILENO, keys, sizeof keys);
    for (ssize_t i = 0; i < n; i++) {
        char c = keys[i];
        if (c == ' ' || c == 'n' || c == 'j' ||
            (c == '6' && i > 0 && keys[i - 1] == '['))
            page++;
        else if (c == 'b' || c == 'p' || c == 'k' ||
                 (c == '5' && i > 0 && keys[i - 1] == '['))
            page--;
        else if (c == 'q')
            *quit = true;
    }
    if (page > pages)
        page = pages;
    return page < 1 ? 1 : page;
}

/* Lines of the terminal (24 when unknown or smaller). */
static int s_rows (void)
{
    struct winsize ws;
    if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 24)
        return ws.ws_row;
    return 24;
}

/* Where and how to ask the store for a snapshot (--once, and the web
   page's as-of requests, which run on the HTTP threads: read only). */
typedef struct {
    const char *endpoint;   /* --query */
    const char *broker_key; /* CURVE, or NULL */
    const char *key;
    const char *rule; /* --active-rule as given, or NULL: the default */
    int timeout_s;
} s_store_t;

/* One SNAPSHOT request as of day (-1: the store's today). Returns 0 with
   the position, hash frame and snapshot frame (the caller destroys
   them), or -1 with a message in err. */
static int s_snapshot_ask (const s_store_t *store, int32_t day, uint64_t *pos,
                           zframe_t **hash, zframe_t **snapshot, char *err,
                           size_t err_size)
{
    char as_of[11] = "";
    if (day >= 0)
        jk_date_format (day, as_of);
    *hash = *snapshot = NULL;
    zsock_t *query = zsock_new (ZMQ_DEALER);
    zsock_set_linger (query, 0);
    if (jk_status_curve (query, store->endpoint, store->broker_key,
                         store->key) ||
        zsock_connect (query, "%s", store->endpoint)) {
        snprintf (err, err_size, "cannot connect to --query %s",
                  store->endpoint);
        zsock_destroy (&query);
        return -1;
    }
    zmsg_t *msg = jk_wire_new ("SNAPSHOT");
    zmsg_addstr (msg, as_of);
    if (store->rule)
        zmsg_addstr (msg, store->rule);
    zmsg_send (&msg, query);
    zpoller_t *poller = zpoller_new (query, NULL);
    char command[16];
    int rc = -1;
    if (!zpoller_wait (poller, store->timeout_s * 1000)) {
        snprintf (err, err_size,
                  "the store did not answer at --query %s within %d s (is "
                  "jejak-hub or jejak-store running?)",
                  store->endpoint, store->timeout_s);
        goto cleanup;
    }
    msg = zmsg_recv (query);
    if (!msg || jk_wire_open (msg, command, sizeof command)) {
        snprintf (err, err_size, "malformed answer from %s", store->endpoint);
        goto cleanup;
    }
    if (strcmp (command, "ERROR") == 0) {
        char *code = zmsg_popstr (msg);
        char *text = zmsg_popstr (msg);
        snprintf (err, err_size, "the store refused: %s: %s", code ? code : "?",
                  text ? text : "?");
        free (code);
        free (text);
        goto cleanup;
    }
    if (strcmp (command, "SNAPSHOT") != 0 || jk_wire_pop_u64 (msg, pos) ||
        !(*hash = zmsg_pop (msg)) || zframe_size (*hash) != 32 ||
        !(*snapshot = zmsg_pop (msg))) {
        snprintf (err, err_size, "unexpected answer %s from %s", command,
                  store->endpoint);
        zframe_destroy (hash);
        zframe_destroy (snapshot);
        goto cleanup;
    }
    rc = 0;
cleanup:
    zmsg_destroy (&msg);
    zpoller_destroy (&poller);
    zsock_destroy (&query);
    return rc;
}

/* What the web page's date picker needs (read only on HTTP threads). */
typedef struct {
    s_store_t store;
    const char *kecamatan, *batch; /* the board's filters */
} s_as_of_t;

/* jk_web_as_of_fn: SNAPSHOT as of day from the store, as the board's JSON
   document ("state": "as-of"). */
static char *s_web_as_of (void *arg, int32_t day, size_t *size, char *err,
                          size_t err_size)
{
    const s_as_of_t *ctx = (const s_as_of_t *)arg;
    uint64_t pos = 0;
    zframe_t *hash = NULL, *snapshot = NULL;
    if (s_snapshot_ask (&ctx->store, day, &pos, &hash, &snapshot, err,
                        err_size))
        return NULL;
    jk_status_view_t view = {.snapshot = zframe_data (snapshot),
                             .snapshot_size = zframe_size (snapshot),
                             .state = "as-of",
                             .pos = pos,
                             .head = pos,
                             .hash = zframe_data (hash),
                             .kecamatan = ctx->kecamatan,
                             .batch = ctx->batch,
                             .now_ms = jk_clock_now_ms ()};
    char *text = NULL;
    *size = 0;
    FILE *out = open_memstream (&text, size);
    int rc = out ? jk_render_json (out, &view) : -1;
    if (out)
        fclose (out);
    zframe_destroy (&hash);
    zframe_destroy (&snapshot);
    if (rc != 0) {
        snprintf (err, err_size, "the store's snapshot could not be read");
        free (text);
        return NULL;
    }
    return text;
}

/* The one-shot board: SNAPSHOT from the store, rendered once. */
static int s_once (jk_opts_t *opts, const s_store_t *store,
                   jk_status_view_t *view, bool json, int32_t day)
{
    uint64_t pos = 0;
    zframe_t *hash = NULL, *snapshot = NULL;
    char err[512];
    if (s_snapshot_ask (store, day, &pos, &hash, &snapshot, err, sizeof err)) {
        fprintf (stderr, "jejak-status: %s\n", err);
        return 1;
    }
    view->snapshot = zframe_data (snapshot);
    view->snapshot_size = zframe_size (snapshot);
    view->state = "snapshot";
    zsock_t *link = s_link_socket (opts);
    char *link_text = NULL;
    if (link) {
        s_link_ask (link);
        if (!s_link_take (link, 1000, &link_text))
            link_text = jk_strdup ("");
        view->link = link_text;
    }
    view->pos = pos;
    view->head = pos;
    view->hash = zframe_data (hash);
    view->now_ms = jk_clock_now_ms ();
    int render = json ? jk_render_json (stdout, view)
                      : jk_render_term (stdout, view, false);
    view->link = NULL;
    free (link_text);
    zsock_destroy (&link);
    zframe_destroy (&hash);
    zframe_destroy (&snapshot);
    return render >= 0 ? 0 : 1;
}

/* What the board is doing, in words for the header. */
static const char *s_state_text (jk_board_t *board, char *buf, size_t size)
{
    if (jk_board_feed_silent (board))
        snprintf (buf, size, "feed terputus / broker silent");
    else if (jk_board_store_silent (board))
        snprintf (buf, size, "store tidak menjawab / store not answering");
    else if (jk_board_state (board) == JK_BOARD_LIVE)
        snprintf (buf, size, "live");
    else
        snprintf (buf, size, "%s %llu/%llu",
                  jk_board_state_name (jk_board_state (board)),
                  (unsigned long long)jk_board_pos (board),
                  (unsigned long long)jk_board_head (board));
    return buf;
}

/* Renders the view as JSON and hands it to the web server. */
static void s_publish (jk_web_t *web, const jk_status_view_t *view)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return;
    int rc = jk_render_json (out, view);
    fclose (out);
    if (rc == 0)
        jk_web_publish (web, text, size, view->pos);
    free (text);
}

/* The live board until SIGINT/SIGTERM; with web, every refresh is also
   published to it, and with quiet nothing is printed. */
static int s_live (jk_opts_t *opts, jk_status_view_t *view, bool json,
                   int32_t fixed_day, const jk_active_rule_t *rule,
                   jk_web_t *web, bool quiet, jk_ckwatch_t *watch)
{
    char err[256] = "";
    jk_replica_t *replica = jk_replica_new (err, sizeof err);
    if (!replica) {
        fprintf (stderr, "jejak-status: cannot create the replica: %s\n", err);
        return 1;
    }
    jk_replica_set_active_rule (replica, rule);
    uint64_t credit = 1000, drop = 0;
    jk_parse_u64 (jk_opts_get (opts, "credit"), &credit);
    jk_parse_u64 (jk_opts_get (opts, "drop-every"), &drop);
    jk_board_config_t config = {.feed = jk_opts_get (opts, "feed"),
                                .query = jk_opts_get (opts, "query"),
                                .credit = credit,
                                .drop_every = (int)drop,
                                .broker_key = jk_opts_get (opts, "broker-key"),
                                .key = jk_opts_get (opts, "key"),
                                .watch = watch};
    jk_board_sink_t sink = jk_replica_sink (replica);
    jk_board_t *board = jk_board_new (&config, &sink);
    if (!board) {
        fprintf (stderr, "jejak-status: bad endpoint --feed %s or --query %s\n",
                 config.feed, config.query);
        jk_replica_destroy (&replica);
        return 2;
    }
    bool ansi = !json && !quiet && isatty (STDOUT_FILENO);
    /* Paging: --page N fixed; on a terminal page 1 with keys; else all. */
    bool keys = ansi && view->page == 0 && s_keys_start ();
    int pages = 1;
    if (keys) {
        view->page = 1;
        view->page_keys = true;
    }
    if (ansi)
        view->rows = s_rows ();
    bool dirty = true;
    int64_t rendered = 0, link_asked = 0, link_heard = 0;
    int32_t shown_day = -1;
    zsock_t *link = s_link_socket (opts);
    char *link_text = link ? jk_strdup ("") : NULL;
    while (!zsys_interrupted) {
        if (jk_board_poll (board, S_REFRESH_MS) < 0)
            break;
        dirty |= jk_board_changed (board);
        if (keys) {
            bool quit = false;
            int page = s_keys_page (view->page, pages, &quit);
            if (quit)
                break;
            dirty |= page != view->page;
            view->page = page;
        }
        if (link) {
            /* Every second; a link silent for 3 s shows as not answering. */
            int64_t mono = jk_clock_mono_ms ();
            if (s_link_take (link, 0, &link_text)) {
                link_heard = mono;
                dirty = true;
            } else if (link_text[0] && mono - link_heard > 3000) {
                link_text[0] = 0;
                dirty = true;
            }
            if (mono - link_asked >= 1000) {
                s_link_ask (link);
                link_asked = mono;
            }
            view->link = link_text;
        }
        int32_t day =
            fixed_day >= 0 ? fixed_day : jk_wib_day (jk_clock_now_ms ());
        dirty |= day != shown_day;
        int64_t now = jk_clock_mono_ms ();
        if (!dirty || now - rendered < S_REFRESH_MS)
            continue;
        size_t size = 0;
        uint8_t *snapshot = jk_replica_snapshot (replica, day, &size);
        if (!snapshot) {
            jk_error ("status", "replica snapshot failed");
            continue;
        }
        char state[96];
        view->snapshot = snapshot;
        view->snapshot_size = size;
        view->state = s_state_text (board, state, sizeof state);
        view->note = jk_board_note (board);
        view->pos = jk_board_pos (board);
        view->hash = jk_board_hash (board);
        view->head = jk_board_head (board);
        view->office_count = jk_board_office_count (board);
        view->offices =
            view->office_count ? jk_board_office_at (board, 0) : NULL;
        view->now_ms = jk_clock_now_ms ();
        if (watch) {
            view->checkpoint = jk_ckwatch_size (watch);
            view->alarm = jk_ckwatch_alarm (watch);
        }
        if (web)
            s_publish (web, view);
        if (!quiet && json)
            jk_render_json (stdout, view);
        else if (!quiet) {
            int laid = jk_render_term (stdout, view, ansi);
            pages = laid > 0 ? laid : 1;
            if (!ansi)
                fputs ("----\n", stdout);
            fflush (stdout);
        }
        free (snapshot);
        rendered = now;
        shown_day = day;
        dirty = false;
    }
    view->link = NULL;
    free (link_text);
    zsock_destroy (&link);
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);
    return 0;
}

/* Starts the web server for --http, refusing a non-loopback address
    without --http-public, and prints its URL. Returns 0 or an exit code. */
static int s_start_web (jk_opts_t *opts, const char *http, s_as_of_t *as_of,
                        jk_web_t **web)
{
    char address[64], err[256];
    uint16_t port = 0;
    if (jk_web_parse_listen (http, address, sizeof address, &port, err,
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
    jk_web_config_t config = {.address = address,
                              .port = port,
                              .as_of = s_web_as_of,
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

int main (int argc, char **argv)
{
    if (jk_version_asked (argc, argv)) {
        jk_version_print ("jejak-status", stdout);
        return 0;
    }
    zsys_init ();
    jk_web_t *web = NULL;
    s_as_of_t as_of_ctx;
    memset (&as_of_ctx, 0, sizeof as_of_ctx);
    jk_ckwatch_t *watch = NULL;
    jk_opts_t *opts = jk_opts_new ("jejak-status", s_spec, S_SPEC_COUNT);
    char err[256];
    int rc = 0;
    if (jk_opts_parse (opts, argc, argv, err, sizeof err)) {
        fprintf (stderr, "jejak-status: %s (see --help)\n", err);
        rc = 2;
        goto done;
    }
    if (jk_opts_help (opts)) {
        printf ("Usage: jejak-status [--feed EP] [--query EP] [--once] "
                "[--json] [--kecamatan CODE]\n"
                "                    [--batch CODE] [--as-of DATE] "
                "[--page N] [--timeout SECONDS]\n"
                "                    [--http ADDR:PORT [--http-public] "
                "[--http-only]]\n"
                "                    [--link EP [--link-key KEY "
                "--link-server-key PUB]]\n"
                "                    [--log-key VKEY [--checkpoint-file "
                "FILE]]\n\n"
                "The live status board: per kecamatan, running training "
                "batches, offices, totals and\nthe log head. It keeps a "
                "replica of the store's projections, fed by the broker's "
                "feed\nand caught up from the store on start and after any "
                "gap, so its numbers are the\nstore's numbers at the "
                "position shown. NIKs are always masked.\n\n"
                "Each option: flag > environment variable > config file "
                "(--config) > default.\n\n");
        jk_opts_print (opts, stdout);
        printf ("\nExit: 0 done (live: stopped by SIGINT/SIGTERM), 1 the "
                "store did not answer\n(--once) or the board could not "
                "start, 2 usage error.\n");
        goto done;
    }
    if (jk_opts_argc (opts) > 0) {
        fprintf (stderr,
                 "jejak-status: unexpected argument '%s' (see "
                 "--help)\n",
                 jk_opts_arg (opts, 0));
        rc = 2;
        goto done;
    }
    jk_status_view_t view = {.kecamatan = jk_opts_get (opts, "kecamatan"),
                             .batch = jk_opts_get (opts, "batch"),
                             .all_batches = jk_opts_on (opts, "all-batches")};
    int32_t day = -1;
    const char *as_of = jk_opts_get (opts, "as-of");
    if (as_of && jk_date_parse_day (as_of, &day)) {
        fprintf (stderr,
                 "jejak-status: --as-of '%s' is not a date "
                 "(DD/MM/YYYY or YYYY-MM-DD)\n",
                 as_of);
        rc = 2;
        goto done;
    }
    uint64_t timeout = 0, number = 0;
    if (jk_parse_u64 (jk_opts_get (opts, "timeout"), &timeout) ||
        timeout == 0 || timeout > 3600) {
        fprintf (stderr, "jejak-status: --timeout must be 1..3600 seconds\n");
        rc = 2;
        goto done;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "credit"), &number) || number == 0 ||
        number > 1000000) {
        fprintf (stderr, "jejak-status: --credit must be 1..1000000\n");
        rc = 2;
        goto done;
    }
    if (jk_parse_u64 (jk_opts_get (opts, "drop-every"), &number)) {
        fprintf (stderr, "jejak-status: --drop-every must be a number\n");
        rc = 2;
        goto done;
    }
    if (view.kecamatan &&
        !jk_region_kecamatan (jk_region_default (), view.kecamatan)) {
        fprintf (stderr,
                 "jejak-status: --kecamatan '%s' is not a kecamatan code of "
                 "the reference data (e.g. 32.03.10)\n",
                 view.kecamatan);
        rc = 2;
        goto done;
    }
    jk_active_rule_t rule;
    char rule_err[256];
    if (jk_active_rule_parse (jk_opts_get (opts, "active-rule"), &rule,
                              rule_err, sizeof rule_err)) {
        fprintf (stderr, "jejak-status: --active-rule: %s\n", rule_err);
        rc = 2;
        goto done;
    }
    const char *page = jk_opts_get (opts, "page");
    if (page &&
        (jk_parse_u64 (page, &number) || number == 0 || number > 1000)) {
        fprintf (stderr, "jejak-status: --page must be 1..1000\n");
        rc = 2;
        goto done;
    }
    view.page = page ? (int)number : 0;
    bool json = jk_opts_on (opts, "json");
    const char *http = jk_opts_get (opts, "http");
    if (http && jk_opts_on (opts, "once")) {
        fprintf (stderr, "jejak-status: --http serves the live board; it "
                         "cannot be combined with --once\n");
        rc = 2;
        goto done;
    }
    if (!http && jk_opts_on (opts, "http-only")) {
        fprintf (stderr, "jejak-status: --http-only needs --http ADDR:PORT\n");
        rc = 2;
        goto done;
    }
    as_of_ctx.store =
        (s_store_t){.endpoint = jk_opts_get (opts, "query"),
                    .broker_key = jk_opts_get (opts, "broker-key"),
                    .key = jk_opts_get (opts, "key"),
                    .rule = jk_opts_get (opts, "active-rule"),
                    .timeout_s = (int)timeout};
    as_of_ctx.kecamatan = view.kecamatan;
    as_of_ctx.batch = view.batch;
    if (http) {
        rc = s_start_web (opts, http, &as_of_ctx, &web);
        if (rc)
            goto done;
    }
    char *log_key = jk_note_vkey_given (jk_opts_get (opts, "log-key"));
    if (log_key && !jk_opts_on (opts, "once")) {
        const char *given = jk_opts_get (opts, "checkpoint-file");
        char *path = given ? jk_strdup (given) : s_default_checkpoint_file ();
        char why[512] = "";
        watch = path ? jk_ckwatch_new (log_key, path, why, sizeof why) : NULL;
        if (!watch) {
            fprintf (stderr, "jejak-status: %s\n",
                     path ? why
                          : "--log-key needs --checkpoint-file (no home "
                            "directory for the default)");
            rc = path && strstr (why, "--log-key") ? 2 : 1;
            free (path);
            free (log_key);
            goto done;
        }
        free (path);
    }
    free (log_key);
    if (jk_opts_on (opts, "once"))
        rc = s_once (opts, &as_of_ctx.store, &view, json, day);
    else
        rc = s_live (opts, &view, json, day, &rule, web,
                     jk_opts_on (opts, "http-only"), watch);
done:
    jk_ckwatch_destroy (&watch);
    jk_web_destroy (&web);
    jk_opts_destroy (&opts);
    return rc;
}
