/*  live.c - the live board: a jk_board_t and its in-memory replica,
    rendered at most ten times a second when something changed, on the
    terminal (paged with keys), as JSON, and to the web page. */
#include "status_run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define S_REFRESH_MS 100 /* at most ten screens a second */

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

/* The board and its replica from the options; an exit code (1: the
   replica, 2: an endpoint), the reason printed. */
static int s_board_start (jk_opts_t *opts, const jk_active_rule_t *rule,
                          jk_ckwatch_t *watch, jk_replica_t **replica,
                          jk_board_t **board)
{
    char err[256] = "";
    uint64_t months = 6; /* checked by jejak_status.c */
    if (jk_opts_get (opts, "rat-deadline-months"))
        jk_parse_u64 (jk_opts_get (opts, "rat-deadline-months"), &months);
    jk_projections_config_t rules = {.rat_deadline_months = (int)months};
    *replica = jk_replica_new_config (&rules, err, sizeof err);
    if (!*replica) {
        fprintf (stderr, "jejak-status: cannot create the replica: %s\n", err);
        return 1;
    }
    /* What it was not told, it takes from the store's STATS. */
    jk_replica_follow_store (*replica, jk_opts_get (opts, "region") != NULL,
                             jk_opts_get (opts, "rat-deadline-months") != NULL);
    jk_replica_set_active_rule (*replica, rule);
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
    jk_board_sink_t sink = jk_replica_sink (*replica);
    *board = jk_board_new (&config, &sink);
    if (!*board) {
        fprintf (stderr, "jejak-status: bad endpoint --feed %s or --query %s\n",
                 config.feed, config.query);
        jk_replica_destroy (replica);
        return 2;
    }
    return 0;
}

/* The federation link's line (--link): asked every second, taken when
   it came; a link silent for 3 s shows as not answering. True when the
   line changed. */
typedef struct {
    zsock_t *sock;
    char *text;
    int64_t asked, heard; /* mono ms */
} s_link_t;

static bool s_link_step (s_link_t *link)
{
    bool changed = false;
    int64_t mono = jk_clock_mono_ms ();
    if (jk_status_link_take (link->sock, 0, &link->text)) {
        link->heard = mono;
        changed = true;
    } else if (link->text[0] && mono - link->heard > 3000) {
        link->text[0] = 0;
        changed = true;
    }
    if (mono - link->asked >= 1000) {
        jk_status_link_ask (link->sock);
        link->asked = mono;
    }
    return changed;
}

/* Fills the view from the board and the replica's snapshot for day, and
   renders it where it goes; the terminal's page count in *pages. False
   when the replica gave no snapshot. */
static bool s_render (jk_status_view_t *view, jk_board_t *board,
                      jk_replica_t *replica, int32_t day, jk_web_t *web,
                      bool json, bool quiet, bool ansi, jk_ckwatch_t *watch,
                      int *pages)
{
    size_t size = 0;
    uint8_t *snapshot = jk_replica_snapshot (replica, day, &size);
    if (!snapshot) {
        jk_error ("status", "replica snapshot failed");
        return false;
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
    view->offices = view->office_count ? jk_board_office_at (board, 0) : NULL;
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
        *pages = laid > 0 ? laid : 1;
        if (!ansi)
            fputs ("----\n", stdout);
        fflush (stdout);
    }
    free (snapshot);
    view->snapshot = NULL;
    view->state = NULL;
    return true;
}

int jk_status_live (jk_opts_t *opts, jk_status_view_t *view, bool json,
                    int32_t fixed_day, const jk_active_rule_t *rule,
                    jk_web_t *web, bool quiet, jk_ckwatch_t *watch)
{
    jk_replica_t *replica = NULL;
    jk_board_t *board = NULL;
    int rc = s_board_start (opts, rule, watch, &replica, &board);
    if (rc)
        return rc;
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
    int64_t rendered = 0;
    int32_t shown_day = JK_STATUS_TODAY;
    s_link_t link = {.sock = jk_status_link_socket (opts)};
    link.text = link.sock ? jk_strdup ("") : NULL;
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
        if (link.sock) {
            dirty |= s_link_step (&link);
            view->link = link.text;
        }
        int32_t day = fixed_day != JK_STATUS_TODAY
                          ? fixed_day
                          : jk_wib_day (jk_clock_now_ms ());
        dirty |= day != shown_day;
        int64_t now = jk_clock_mono_ms ();
        if (!dirty || now - rendered < S_REFRESH_MS)
            continue;
        if (!s_render (view, board, replica, day, web, json, quiet, ansi, watch,
                       &pages))
            continue;
        rendered = now;
        shown_day = day;
        dirty = false;
    }
    view->link = NULL;
    free (link.text);
    zsock_destroy (&link.sock);
    jk_board_destroy (&board);
    jk_replica_destroy (&replica);
    return 0;
}
