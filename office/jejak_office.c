/*  jejak_office.c - the office box's program.

    jejak-office [serve] --source OFFICE/DEVICE [--http ADDR:PORT] ...
    jejak-office user add NAME --role operator|supervisor
    jejak-office user passwd NAME
    jejak-office user disable|enable NAME
    jejak-office user list

    Passwords are read from --password-file, or the first line of
    standard input; never from the command line. */
#include "jk_note.h"
#include "jk_office.h"
#include "jk_opts.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define S_PROGRAM "jejak-office"

static const jk_opt_t s_spec[] = {
    {"source", "JEJAK_SOURCE", NULL,
     "this device: OFFICE/DEVICE (a kecamatan code or DINAS)", false},
    {"outbox", "JEJAK_OUTBOX", NULL,
     "outbox file (default: the device's shared outbox, "
     "~/.local/share/jejak/outbox-SOURCE.db)",
     false},
    {"state", "JEJAK_OFFICE_STATE", NULL,
     "directory of the box's files (default ~/.local/share/jejak)", false},
    {"users", "JEJAK_OFFICE_USERS", NULL,
     "users file (default STATE/office-users.db)", false},
    {"http", "JEJAK_OFFICE_HTTP", "127.0.0.1:8080",
     "address to serve on: ADDR:PORT or PORT (0: any free port)", false},
    {"http-public", NULL, NULL,
     "allow a non-loopback --http address (needs --tls-cert and --tls-key)",
     true},
    {"tls-cert", "JEJAK_OFFICE_TLS_CERT", NULL,
     "PEM certificate for HTTPS (GnuTLS)", false},
    {"tls-key", "JEJAK_OFFICE_TLS_KEY", NULL, "PEM private key for HTTPS",
     false},
    {"broker", "JEJAK_BROKER", "tcp://127.0.0.1:7450",
     "the dinas hub's ingest endpoint", false},
    {"broker-key", "JEJAK_BROKER_KEY", NULL,
     "the broker's public certificate (CURVE; with --key)", false},
    {"key", "JEJAK_KEY", NULL,
     "this device's secret certificate from jejak-keys enrol (CURVE)", false},
    {"query", "JEJAK_QUERY", NULL,
     "the dinas hub's query endpoint: pick lists (cooperatives, batches, "
     "sessions) from the hub, cached in STATE/picks-SOURCE.db",
     false},
    {"query-key", "JEJAK_QUERY_KEY", NULL,
     "a reader's secret certificate for --query (CURVE; with --broker-key)",
     false},
    {"log-key", "JEJAK_LOG_KEY", NULL,
     "the log's verifier key (log.vkey of jejak-keys log-key, or its text): "
     "each receipt's inclusion proof is fetched from --query, checked and "
     "kept, and shown to the clerk with a proof file to download",
     false},
    {"data-dir", "JEJAK_DATA_DIR", NULL, "region reference data directory",
     false},
    JK_OPT_REGION,
    {"role", NULL, "operator", "user add: operator or supervisor", false},
    {"password-file", NULL, NULL,
     "user add/passwd: read the password from this file's first line", false},
};
#define S_SPEC_COUNT (sizeof s_spec / sizeof s_spec[0])

static volatile sig_atomic_t s_stop;
static void s_on_signal (int sig)
{
    (void)sig;
    s_stop = 1;
    zsys_interrupted = 1; /* the delivery loop ends its run at once */
}

static void s_usage (jk_opts_t *opts, FILE *out)
{
    fprintf (out,
             "Usage: " S_PROGRAM " [serve] --source OFFICE/DEVICE [options]\n"
             "       " S_PROGRAM " user add NAME [--role operator|supervisor]\n"
             "       " S_PROGRAM " user passwd NAME\n"
             "       " S_PROGRAM " user disable|enable NAME\n"
             "       " S_PROGRAM " user list\n\n"
             "Serves the office's web app (forms in Indonesian, the outbox, "
             "receipts)\nand delivers the outbox to the dinas hub. Passwords "
             "come from\n--password-file or the first line of standard "
             "input.\n\noptions:\n");
    jk_opts_print (opts, out);
}

/* --state, else the device's Jejak directory (jk_data_dir), else, only
   without a home directory, the working directory. A Jejak directory that
   cannot be made keeps its path, so the open that follows fails naming it
   instead of keeping accounts wherever the program was started. With make
   false only the path is found: nothing is made. */
static char *s_state_dir (jk_opts_t *opts, bool make)
{
    const char *state = jk_opts_get (opts, "state");
    char *dir = state ? jk_strdup (state) : make ? jk_data_dir () : NULL;
    if (!dir)
        dir = jk_data_dir_path ();
    if (!dir)
        dir = jk_strdup (".");
    if (make)
        mkdir (dir, 0700);
    return dir;
}

/* --users, else STATE/office-users.db; the state directory made only when
   make says so (user add makes the file). */
static char *s_users_path (jk_opts_t *opts, bool make)
{
    const char *users = jk_opts_get (opts, "users");
    if (users)
        return jk_strdup (users);
    char *dir = s_state_dir (opts, make);
    char *path = jk_sprintf ("%s/office-users.db", dir);
    free (dir);
    return path;
}

/* Whether path is there (or cannot be looked at: the open says why). */
static bool s_exists (const char *path)
{
    struct stat sb;
    return stat (path, &sb) == 0 || errno != ENOENT;
}

/* Whether the users file is there (said, for command cmd, when not):
   only user add makes one. */
static bool s_users_exist (const char *path, const char *cmd)
{
    if (s_exists (path))
        return true;
    fprintf (stderr,
             S_PROGRAM ": %s: there is no users file at %s (--users): only "
                       "`" S_PROGRAM " user add NAME` makes one\n",
             cmd, path);
    return false;
}

/* The password from --password-file or stdin (no echo on a terminal):
   the whole first line, however long (the rule on its length is the
   users file's), in memory from malloc; NULL when none could be read
   (said). */
static char *s_read_password (jk_opts_t *opts)
{
    const char *file = jk_opts_get (opts, "password-file");
    FILE *in = file ? fopen (file, "r") : stdin;
    if (!in) {
        fprintf (stderr, S_PROGRAM ": --password-file %s: %s\n", file,
                 strerror (errno));
        return NULL;
    }
    struct termios old, quiet;
    bool tty =
        !file && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf (stderr, "password: ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline (&line, &cap, in);
    if (tty) {
        tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
        fputc ('\n', stderr);
    }
    if (file)
        fclose (in);
    if (len < 0) {
        free (line);
        fprintf (stderr, S_PROGRAM ": no password given (standard input or "
                                   "--password-file)\n");
        return NULL;
    }
    line[strcspn (line, "\r\n")] = 0;
    return line;
}

/* Forgets a password read by s_read_password. */
static void s_password_free (char **password_p)
{
    if (!*password_p)
        return;
    memset (*password_p, 0, strlen (*password_p));
    free (*password_p);
    *password_p = NULL;
}

/* The account commands and what each takes: a NAME, --role. */
static const struct {
    const char *name;
    bool takes_name, takes_role;
} s_user_cmds[] = {
    {"add", true, true},     {"passwd", true, false}, {"disable", true, false},
    {"enable", true, false}, {"list", false, false},
};
#define S_USER_CMDS (sizeof s_user_cmds / sizeof s_user_cmds[0])

/* Whether the command line fits user cmd (NULL: none given): its NAME
   (one, none for list), and --role only for add; said when not. */
static bool s_user_usage_ok (jk_opts_t *opts, const char *cmd)
{
    size_t c = 0;
    while (cmd && c < S_USER_CMDS && strcmp (s_user_cmds[c].name, cmd) != 0)
        c++;
    if (cmd && c == S_USER_CMDS) {
        char *shown = jk_text_visible (cmd, strlen (cmd));
        fprintf (stderr, S_PROGRAM ": unknown user command '%s'\n", shown);
        free (shown);
        return false;
    }
    size_t args = cmd && s_user_cmds[c].takes_name ? 3 : 2;
    if (!cmd || jk_opts_argc (opts) < args) {
        fprintf (stderr, S_PROGRAM ": user add|passwd|disable|enable NAME, or "
                                   "user list\n");
        return false;
    }
    if (jk_opts_argc (opts) > args) {
        const char *extra = jk_opts_arg (opts, args);
        char *shown = jk_text_visible (extra, strlen (extra));
        fprintf (stderr,
                 S_PROGRAM ": user %s: unexpected argument '%s' (user %s%s; "
                           "see --help)\n",
                 cmd, shown, cmd, s_user_cmds[c].takes_name ? " NAME" : "");
        free (shown);
        return false;
    }
    /* A role given to another command would seem to change the
       account's role: it does not, so it is refused. */
    if (!s_user_cmds[c].takes_role && jk_opts_flag_given (opts, "role")) {
        fprintf (stderr,
                 S_PROGRAM ": user %s: --role is an option of user add only "
                           "(an account's role is not changed; see "
                           "--help)\n",
                 cmd);
        return false;
    }
    return true;
}

static int s_user (jk_opts_t *opts)
{
    const char *cmd = jk_opts_argc (opts) > 1 ? jk_opts_arg (opts, 1) : NULL;
    const char *name = jk_opts_argc (opts) > 2 ? jk_opts_arg (opts, 2) : NULL;
    if (!s_user_usage_ok (opts, cmd))
        return 2;
    bool add = strcmp (cmd, "add") == 0;
    char *path = s_users_path (opts, add);
    char *said = jk_sprintf ("user %s", cmd);
    bool there = add || s_users_exist (path, said);
    free (said);
    char err[512];
    jk_users_t *users = there ? jk_users_open (path, err, sizeof err) : NULL;
    free (path);
    if (!there)
        return 1;
    if (!users) {
        fprintf (stderr, S_PROGRAM ": %s\n", err);
        return 1;
    }
    int rc = 0;
    char *password = NULL;
    /* The audit table names the command line's user as cli:LOGIN. */
    const char *login = getenv ("USER");
    char actor[JK_USER_MAX + 8];
    snprintf (actor, sizeof actor, "cli:%.32s", login ? login : "?");
    if (strcmp (cmd, "list") == 0)
        rc = jk_users_print (users, stdout) == JK_OK ? 0 : 1;
    else if (strcmp (cmd, "add") == 0 || strcmp (cmd, "passwd") == 0) {
        if (!(password = s_read_password (opts)))
            rc = 2;
        else {
            jk_users_err_t why;
            int r = strcmp (cmd, "add") == 0
                        ? jk_users_add (users, name, jk_opts_get (opts, "role"),
                                        password, &why)
                        : jk_users_passwd (users, name, password, &why);
            s_password_free (&password);
            if (r != JK_OK) {
                fprintf (stderr, S_PROGRAM ": user %s: %s\n", cmd, why.text);
                rc = r == JK_IO ? 1 : 2;
            } else {
                jk_users_audit (
                    users, actor, cmd, name,
                    strcmp (cmd, "add") == 0 ? jk_opts_get (opts, "role") : "");
                printf ("user %s: %s done\n", name, cmd);
            }
        }
    } else if (strcmp (cmd, "disable") == 0 || strcmp (cmd, "enable") == 0) {
        jk_users_err_t why;
        int r = jk_users_set_disabled (users, name,
                                       strcmp (cmd, "disable") == 0, &why);
        if (r != JK_OK)
            fprintf (stderr, S_PROGRAM ": user %s: %s\n", cmd, why.text);
        else {
            jk_users_audit (users, actor, cmd, name, "");
            printf ("user %s: %sd\n", name, cmd);
        }
        rc = r == JK_OK ? 0 : r == JK_NOT_FOUND ? 2 : 1;
    }
    jk_users_close (&users);
    return rc;
}

/* --source checked against the reference data of --data-dir and
   --region; 0 or exit 2. */
static int s_check_source (jk_opts_t *opts)
{
    const char *source = jk_opts_get (opts, "source");
    if (!source) {
        fprintf (stderr, S_PROGRAM ": --source OFFICE/DEVICE is required\n");
        return 2;
    }
    if (jk_region_options (jk_opts_get (opts, "data-dir"),
                           jk_opts_get (opts, "region")))
        return 2;
    jk_report_t report;
    jk_report_reset (&report);
    if (jk_source_check (jk_region_default (), source, strlen (source),
                         &report)) {
        fprintf (stderr, S_PROGRAM ": --source: %s\n", report.error.message);
        return 2;
    }
    return 0;
}

/* --http and TLS: a non-loopback address only with --http-public and a
   certificate. Fills the config's address, port and TLS files; 0 or
   exit 2. */
static int s_check_http (jk_opts_t *opts, jk_office_config_t *config,
                         char address[64])
{
    char err[512];
    uint16_t port = 0;
    if (jk_web_parse_listen (jk_opts_get (opts, "http"), address, 64, &port,
                             err, sizeof err)) {
        fprintf (stderr, S_PROGRAM ": %s\n", err);
        return 2;
    }
    const char *cert = jk_opts_get (opts, "tls-cert");
    const char *key = jk_opts_get (opts, "tls-key");
    if (!cert != !key) {
        fprintf (stderr, S_PROGRAM ": --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (!jk_web_address_is_loopback (address)) {
        if (!jk_opts_on (opts, "http-public")) {
            fprintf (stderr,
                     S_PROGRAM ": --http %s is not a loopback address: give "
                               "--http-public with --tls-cert and --tls-key "
                               "to serve the office's LAN over HTTPS (or "
                               "keep 127.0.0.1 behind a reverse proxy, see "
                               "docs/OFFICE.md)\n",
                     address);
            return 2;
        }
        if (!cert) {
            fprintf (stderr,
                     S_PROGRAM ": --http-public needs --tls-cert and "
                               "--tls-key: passwords never cross the LAN in "
                               "clear text\n");
            return 2;
        }
    }
    config->address = address;
    config->port = port;
    config->tls_cert = cert;
    config->tls_key = key;
    return 0;
}

/* The hub: --broker and its keys, --query and its key, --log-key. Fills
   the config's delivery, query and log key (owned); 0 or exit 2. */
static int s_check_hub (jk_opts_t *opts, jk_office_config_t *config)
{
    jk_delivery_config_t delivery = {
        .broker = jk_opts_get (opts, "broker"),
        .program = S_PROGRAM,
        .broker_key = jk_opts_get (opts, "broker-key"),
        .key = jk_opts_get (opts, "key"),
    };
    if (!delivery.broker_key != !delivery.key) {
        fprintf (stderr, S_PROGRAM ": --broker-key and --key go together\n");
        return 2;
    }
    if (jk_endpoint_options (S_PROGRAM, opts, "broker query",
                             JK_ENDPOINT_CONNECT))
        return 2;
    if (!delivery.key && !jk_endpoint_is_local (delivery.broker)) {
        fprintf (stderr,
                 S_PROGRAM ": --broker %s is not loopback or ipc: give "
                           "--broker-key and --key\n",
                 delivery.broker);
        return 2;
    }
    const char *query = jk_opts_get (opts, "query");
    const char *query_key = jk_opts_get (opts, "query-key");
    if (query_key && !delivery.broker_key) {
        fprintf (stderr,
                 S_PROGRAM ": --query-key needs --broker-key (see --help)\n");
        return 2;
    }
    if (query && !query_key && !jk_endpoint_is_local (query)) {
        fprintf (stderr,
                 S_PROGRAM ": --query %s is not loopback or ipc: give "
                           "--broker-key and --query-key\n",
                 query);
        return 2;
    }
    char *log_key = jk_note_vkey_given (jk_opts_get (opts, "log-key"));
    char why[256];
    if (jk_note_log_vkey_check (log_key, why, sizeof why) != JK_OK) {
        /* Before the box serves anything: a key that is not the log's
           would leave every receipt unproven without a word. */
        fprintf (stderr, S_PROGRAM ": --log-key: %s\n", why);
        free (log_key);
        return 2;
    }
    if (log_key && !query) {
        fprintf (stderr,
                 S_PROGRAM ": --log-key needs --query (the proofs come from "
                           "the hub's query endpoint) (see --help)\n");
        free (log_key);
        return 2;
    }
    config->delivery = delivery;
    config->query = query;
    config->query_key = query_key;
    config->log_key = log_key;
    return 0;
}

/* The outbox file: --outbox, or the device's one outbox, shared with the
   command-line programs (opening it once the default way moves older
   per-program outboxes into it). NULL when it cannot be opened (said). */
static char *s_outbox_path (jk_opts_t *opts, const char *source)
{
    if (jk_opts_get (opts, "outbox"))
        return jk_strdup (jk_opts_get (opts, "outbox"));
    char err[512];
    jk_outbox_t *shared = jk_outbox_open_default (source, err, sizeof err);
    if (!shared) {
        fprintf (stderr, S_PROGRAM ": %s\n", err);
        return NULL;
    }
    jk_outbox_close (&shared);
    return jk_outbox_default_path (source);
}

/* The hub's pick lists, cached beside the users file. */
static char *s_picks_path (const char *state, const char *source)
{
    char *name = jk_source_file_name (source);
    char *path = jk_sprintf ("%s/picks-%s.db", state, name);
    free (name);
    return path;
}

/* Whether the users file has an active user (said when not); a file that
   is not there is not made. */
static bool s_has_user (const char *users)
{
    bool there = s_exists (users);
    char err[512];
    jk_users_t *check = there ? jk_users_open (users, err, sizeof err) : NULL;
    bool opened = check != NULL;
    int64_t active = opened ? jk_users_active (check) : 0;
    jk_users_close (&check);
    if (there && !opened)
        fprintf (stderr, S_PROGRAM ": %s\n", err);
    else if (active <= 0)
        fprintf (stderr,
                 S_PROGRAM
                 ": %s: no active user: add one first with `" S_PROGRAM
                 " user add NAME --role supervisor`\n",
                 users);
    return active > 0;
}

static int s_serve (jk_opts_t *opts)
{
    const char *source = jk_opts_get (opts, "source");
    jk_office_config_t config = {.source = source};
    char address[64];
    int rc = s_check_source (opts);
    if (rc || (rc = s_check_http (opts, &config, address)) ||
        (rc = s_check_hub (opts, &config)))
        return rc;
    char *log_key = (char *)config.log_key;
    /* No account, no start, and nothing made: the users file is looked at
       before the state directory, the outbox or the pick lists are. */
    char *users = s_users_path (opts, false);
    bool has_user = s_has_user (users);
    char *state = has_user ? s_state_dir (opts, true) : NULL;
    char *outbox = has_user ? s_outbox_path (opts, source) : NULL;
    char *picks = outbox ? s_picks_path (state, source) : NULL;
    config.outbox = outbox;
    config.users = users;
    config.picks = picks;
    jk_office_app_t *office = NULL;
    char err[512];
    if (!has_user)
        rc = 2;
    else if (!outbox)
        rc = 1;
    else if (!(office = jk_office_app_new (&config, err, sizeof err))) {
        fprintf (stderr, S_PROGRAM ": %s\n", err);
        rc = 1;
    } else {
        printf (S_PROGRAM " http=%s://%s:%u/ source=%s outbox=%s\n",
                config.tls_cert ? "https" : "http", address,
                (unsigned)jk_office_app_port (office), source, outbox);
        fflush (stdout);
        /* The signal may land on a thread of the web server (its own
           threads do not block it): look now and then rather than wait
           for it here. */
        while (!s_stop && !zsys_interrupted)
            zclock_sleep (250);
    }
    jk_office_app_destroy (&office);
    free (picks);
    free (log_key);
    free (outbox);
    free (users);
    free (state);
    return rc;
}

int main (int argc, char **argv)
{
    int rc;
    jk_opts_t *opts = jk_opts_start (S_PROGRAM, s_spec, S_SPEC_COUNT, argc,
                                     argv, s_usage, &rc);
    if (!opts)
        return rc;
    const char *cmd = jk_opts_argc (opts) > 0 ? jk_opts_arg (opts, 0) : "serve";
    if (strcmp (cmd, "user") == 0)
        rc = s_user (opts);
    else if (strcmp (cmd, "serve") == 0) {
        /* CZMQ's global state is made here, before the courier's and the
           pick lists' threads: made by whichever of them opens a socket
           first, it could see the other's socket before it was done and
           abort the process (zsys_init is not thread-safe). */
        zsys_init ();
        zsys_handler_set (NULL);
        struct sigaction sa;
        memset (&sa, 0, sizeof sa);
        sa.sa_handler = s_on_signal;
        sigaction (SIGINT, &sa, NULL);
        sigaction (SIGTERM, &sa, NULL);
        signal (SIGPIPE, SIG_IGN);
        rc = s_serve (opts);
    } else {
        fprintf (stderr,
                 S_PROGRAM
                 ": unknown command '%s' (serve, user) (see --help)\n",
                 cmd);
        rc = 2;
    }
    jk_opts_destroy (&opts);
    return rc;
}
