/*  opts.c - flags, environment and config file, merged by precedence.
    Used by every program's main. */
#include "jk_opts.h"
#include "jk_base.h"
#include "jk_version.h"

#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct jk_opts_s {
    char *program;         /* name for messages */
    const jk_opt_t *spec;  /* option table, borrowed */
    size_t count;          /* entries in spec */
    char **flag_values;    /* values given as flags, per spec entry */
    bool help;             /* --help seen */
    zconfig_t *config;     /* loaded config file, or NULL */
    size_t flag_only_from; /* spec[i] from here: command line only */
    char **args;           /* positional arguments, borrowed from argv */
    size_t argc;           /* number of positional arguments */
};

/* The option names of the program's first parser, kept for the process's
   life (jk_opts_program_takes): its spec may be freed before a late
   message asks. */
static char **s_program_names;
static size_t s_program_count;

bool jk_opts_program_takes (const char *name)
{
    for (size_t i = 0; i < s_program_count; i++)
        if (strcmp (s_program_names[i], name) == 0)
            return true;
    return false;
}

jk_opts_t *jk_opts_new (const char *program, const jk_opt_t *spec, size_t count)
{
    jk_opts_t *self = jk_calloc (1, sizeof *self);
    self->program = jk_strdup (program);
    self->spec = spec;
    self->count = count;
    self->flag_values = jk_calloc (count + 1, sizeof (char *));
    self->flag_only_from = count;
    jk_program_set (program);
    if (!s_program_names) {
        s_program_names = jk_calloc (count + 1, sizeof *s_program_names);
        for (size_t i = 0; i < count; i++)
            s_program_names[i] = jk_strdup (spec[i].name);
        s_program_count = count;
    }
    return self;
}

void jk_opts_destroy (jk_opts_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_opts_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->flag_values[i]);
    free (self->flag_values);
    zconfig_destroy (&self->config);
    free (self->args);
    free (self->program);
    free (self);
    *self_p = NULL;
}

static int s_find (jk_opts_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->count; i++)
        if (strlen (self->spec[i].name) == len &&
            memcmp (self->spec[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Every option name of every Jejak program (the union of their option
   tables, vocabulary fields of the agents included, in strcmp order): a
   config file may be shared by several programs (one file for an office
   device's programs), so a key meant for another program is not reported.
   tests/package/test_programs.sh checks that this list holds every option
   each program's --help names. */
static const char *const s_all_keys[] = {
    "active",
    "active-rule",
    "actor",
    "address",
    "all-batches",
    "area",
    "as-of",
    "assessment",
    "assessor",
    "assessors",
    "backend",
    "basis",
    "batch",
    "batch-max",
    "before",
    "birth-date",
    "book-year",
    "broker",
    "broker-key",
    "budget-year",
    "check-in",
    "check-out",
    "checkpoint",
    "checkpoint-every",
    "checkpoint-file",
    "checkpoint-key",
    "class-size-max",
    "clear-fork",
    "consistency",
    "cooperative",
    "cooperatives",
    "copy",
    "corrects",
    "credit",
    "data-dir",
    "date",
    "days",
    "db",
    "decisions",
    "desa-code",
    "device",
    "dir",
    "domain",
    "drop-every",
    "end-date",
    "ends",
    "feed",
    "feed-hwm",
    "force",
    "form",
    "format",
    "from-pos",
    "funding",
    "head",
    "held-on",
    "http",
    "http-only",
    "http-public",
    "ingest",
    "instant",
    "issued-on",
    "jp",
    "json",
    "kecamatan",
    "key",
    "keys",
    "kind",
    "legal-date",
    "legal-number",
    "linger",
    "link",
    "link-key",
    "link-server-key",
    "listen",
    "log-key",
    "log-keys",
    "lsp",
    "max-gap",
    "members-female",
    "members-male",
    "members-present",
    "method",
    "methods",
    "min-attendance-pct",
    "name",
    "nik",
    "nik-koperasi",
    "no-tree",
    "number",
    "office",
    "on",
    "once",
    "origin",
    "out",
    "outbox",
    "page",
    "password-file",
    "pattern",
    "pg",
    "phone",
    "projection-lag-max",
    "projections-doc",
    "province",
    "query",
    "query-cert",
    "query-key",
    "quorum",
    "quorum-met",
    "rat-deadline-months",
    "reason",
    "region",
    "role",
    "scheme-code",
    "scheme-title",
    "score",
    "seed",
    "server-key",
    "session-no",
    "sex",
    "shadow",
    "size",
    "source",
    "speed",
    "start-date",
    "starts",
    "state",
    "stats",
    "status",
    "timeout",
    "title",
    "tls-cert",
    "tls-key",
    "topic",
    "type",
    "unit",
    "units",
    "unmasked",
    "until-pos",
    "until-time",
    "upstream",
    "users",
    "valid-until",
    "venue",
    "venue-desa-code",
    "verbose",
    "verdict",
    "verify",
    "wait",
    "wait-subscriber",
    "window",
    "with-bad-rows",
    "witness-key",
    "witnesses",
};

static int s_key_compare (const void *key, const void *item)
{
    return strcmp ((const char *)key, *(const char *const *)item);
}

bool jk_opts_key_known (const char *key)
{
    return bsearch (key, s_all_keys, sizeof s_all_keys / sizeof *s_all_keys,
                    sizeof *s_all_keys, s_key_compare) != NULL;
}

/* Reads the top-level keys of the config file (nested, indented ones are
   never read): warns on stderr of each key that neither this program nor
   any other Jejak program takes (a misspelt key would otherwise be
   ignored without a word): "PROGRAM: warning: FILE:LINE: unknown key
   'KEY' ignored"; and refuses a key given twice, of which only the first
   would count (an edit appended below an old line would be ignored).
   0, or JK_INVALID with err. */
static int s_config_scan (jk_opts_t *self, const char *path, const char *text,
                          size_t size, char *err, size_t err_size)
{
    unsigned number = 0;
    zhashx_t *seen = zhashx_new (); /* key -> its first line, as text */
    zhashx_set_destructor (seen, (zhashx_destructor_fn *)zstr_free);
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < size;) {
        const char *line = text + at;
        const char *nl = memchr (line, '\n', size - at);
        size_t line_len = nl ? (size_t)(nl - line) : size - at;
        at += line_len + 1;
        number++;
        size_t len = 0;
        while (len < line_len && !strchr (" \t=#\r", line[len]))
            len++;
        if (len == 0)
            continue; /* blank, comment or indented */
        char *key = zsys_sprintf ("%.*s", (int)len, line);
        const char *first = (const char *)zhashx_lookup (seen, key);
        if (first) {
            snprintf (err, err_size,
                      "cannot read config file %s: line %u gives key '%s' "
                      "again (line %s gave it first): give each key once",
                      path, number, key, first);
            rc = JK_INVALID;
        } else {
            zhashx_insert (seen, key, zsys_sprintf ("%u", number));
            if (s_find (self, key, len) < 0 && !jk_opts_key_known (key))
                fprintf (stderr,
                         "%s: warning: %s:%u: unknown key '%s' ignored (no "
                         "Jejak program takes it)\n",
                         self->program, path, number, key);
        }
        zstr_free (&key);
    }
    zhashx_destroy (&seen);
    return rc;
}

/* zconfig_chunk_load with what CZMQ says of a text it cannot parse
   (which it writes on stdout, where a program's output belongs) taken
   into why ("line 3: invalid syntax '[hub]'"), for the program's own one
   line on stderr. A NUL byte, which would end the text early, is no ZPL.
   (Parsed from memory: zconfig_load keeps, and so leaks, its file handle
   when the text does not parse.) Runs before the program starts any
   thread. */
static zconfig_t *s_zconfig_parse (zchunk_t *chunk, char *why, size_t why_size)
{
    *why = 0;
    const uint8_t *nul =
        zchunk_size (chunk) > 0
            ? memchr (zchunk_data (chunk), 0, zchunk_size (chunk))
            : NULL;
    if (nul) {
        snprintf (why, why_size, "a NUL byte at offset %zu: not a text file",
                  (size_t)(nul - zchunk_data (chunk)));
        return NULL;
    }
    fflush (NULL);
    FILE *capture = tmpfile ();
    int saved[2] = {-1, -1};
    for (int fd = 0; capture && fd < 2; fd++)
        if ((saved[fd] = dup (fd + 1)) >= 0)
            dup2 (fileno (capture), fd + 1);
    zconfig_t *config = zconfig_chunk_load (chunk);
    fflush (NULL);
    for (int fd = 0; fd < 2; fd++)
        if (saved[fd] >= 0) {
            dup2 (saved[fd], fd + 1);
            close (saved[fd]);
        }
    if (!capture)
        return config;
    char text[512] = "";
    rewind (capture);
    size_t got = fread (text, 1, sizeof text - 1, capture);
    text[got] = 0;
    fclose (capture);
    /* CZMQ's line: "DATE TIME E (zconfig): (LINE) WHAT"; its two words
       on indentation said as the rule they stand for. */
    static const char *said[][2] = {
        {"indent 4 spaces at once",
         "indented by other than 4 spaces (a line under a key is indented "
         "by 4 spaces a level)"},
        {"indentation error",
         "indented more than one level (4 spaces) below the line above"}};
    unsigned at = 0;
    int used = 0;
    for (char *p = strchr (text, '('); p && !*why; p = strchr (p + 1, '('))
        if (sscanf (p, "(%u) %n", &at, &used) == 1 && used > 0) {
            char *end = strchr (p + used, '\n');
            if (end)
                *end = 0;
            const char *what = p + used;
            for (size_t i = 0; i < sizeof said / sizeof said[0]; i++)
                if (streq (what, said[i][0]))
                    what = said[i][1];
            snprintf (why, why_size, "line %u: %s", at, what);
        }
    return config;
}

/* Loads the config file: a path that is missing, a directory or
   unreadable, or not ZPL, is a usage error naming it, as is a key given
   twice. */
static int s_config_load (jk_opts_t *self, const char *path, char *err,
                          size_t err_size)
{
    struct stat st;
    FILE *file = NULL;
    if (stat (path, &st) != 0 ||
        (!S_ISDIR (st.st_mode) && !(file = fopen (path, "r")))) {
        snprintf (err, err_size, "cannot read config file %s: %s", path,
                  strerror (errno));
        return JK_INVALID;
    }
    if (S_ISDIR (st.st_mode)) {
        snprintf (err, err_size,
                  "cannot read config file %s: it is a directory", path);
        return JK_INVALID;
    }
    /* Read once: the parse and the scan of its keys see the same bytes. */
    zchunk_t *chunk = zchunk_read (file, (size_t)st.st_size);
    fclose (file);
    if (!chunk) {
        snprintf (err, err_size, "cannot read config file %s: %s", path,
                  strerror (errno));
        return JK_INVALID;
    }
    char why[256];
    self->config = s_zconfig_parse (chunk, why, sizeof why);
    int rc = 0;
    if (!self->config) {
        snprintf (err, err_size,
                  "cannot read config file %s: %s (ZPL expected: key = "
                  "\"value\", one a line)",
                  path, *why ? why : "not ZPL");
        rc = JK_INVALID;
    } else
        rc = s_config_scan (self, path, (const char *)zchunk_data (chunk),
                            zchunk_size (chunk), err, err_size);
    zchunk_destroy (&chunk);
    return rc;
}

void jk_opts_command_line_only (jk_opts_t *self, size_t first)
{
    assert (self);
    self->flag_only_from = first < self->count ? first : self->count;
}

static const char *s_value (jk_opts_t *self, const char *name, bool *given);

/* What a switch's value says: 1 on ("1", "true", "yes", "on"), 0 off
   ("0", "false", "no", "off"), -1 neither. */
static int s_switch_word (const char *v)
{
    static const char *const words[] = {"1", "true",  "yes", "on",
                                        "0", "false", "no",  "off"};
    for (int w = 0; w < 8; w++)
        if (strcmp (v, words[w]) == 0)
            return w < 4;
    return -1;
}

/* Each switch's value, from its flag (--no-tree=VALUE), variable or
   config file, is one that says on or off: another (--no-tree=bogus)
   would be taken as off without a word. 0, or JK_INVALID with err. */
static int s_check_switches (jk_opts_t *self, char *err, size_t err_size)
{
    for (size_t i = 0; i < self->count; i++) {
        if (!self->spec[i].is_switch)
            continue;
        bool given;
        const char *v = s_value (self, self->spec[i].name, &given);
        if (v && s_switch_word (v) < 0) {
            snprintf (err, err_size,
                      "option --%s is a switch: '%s' is not 1, true, yes, on, "
                      "0, false, no or off",
                      self->spec[i].name, v);
            return JK_INVALID;
        }
    }
    return 0;
}

/* A word that reads as a flag: -- and a letter (--db, --no-tree). */
static bool s_is_flag (const char *word)
{
    return word[0] == '-' && word[1] == '-' &&
           ((word[2] >= 'a' && word[2] <= 'z') ||
            (word[2] >= 'A' && word[2] <= 'Z'));
}

int jk_opts_parse (jk_opts_t *self, int argc, char **argv, char *err,
                   size_t err_size)
{
    const char *config_path = getenv ("JEJAK_CONFIG");
    self->args = jk_calloc ((size_t)argc + 1, sizeof (char *));
    bool flags_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (flags_done || a[0] != '-' || a[1] != '-' || a[2] == 0) {
            if (!flags_done && strcmp (a, "--") == 0) {
                flags_done = true;
                continue;
            }
            if (!flags_done && strcmp (a, "-h") == 0) {
                self->help = true;
                continue;
            }
            self->args[self->argc++] = argv[i];
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr (name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen (name);
        if (len == 4 && memcmp (name, "help", 4) == 0) {
            self->help = true;
            continue;
        }
        bool is_config = len == 6 && memcmp (name, "config", 6) == 0;
        int idx = is_config ? -1 : s_find (self, name, len);
        if (!is_config && idx < 0) {
            snprintf (err, err_size, "unknown option --%.*s", (int)len, name);
            return JK_INVALID;
        }
        const char *value;
        if (!is_config && self->spec[idx].is_switch) {
            value = eq ? eq + 1 : "1";
        } else if (eq)
            value = eq + 1;
        else if (i + 1 < argc && !s_is_flag (argv[i + 1]))
            value = argv[++i];
        else {
            /* The next word is another flag: the value was left out, and
               taking the flag as the value would start with it (a
               database named --no-tree). */
            if (i + 1 < argc)
                snprintf (err, err_size,
                          "option --%.*s needs a value, not the flag %s "
                          "(a value that starts with -- is given as "
                          "--%.*s=VALUE)",
                          (int)len, name, argv[i + 1], (int)len, name);
            else
                snprintf (err, err_size, "option --%.*s needs a value",
                          (int)len, name);
            return JK_INVALID;
        }
        if (is_config)
            config_path = value;
        else {
            free (self->flag_values[idx]);
            self->flag_values[idx] = jk_strdup (value);
        }
    }
    /* OPERATIONS.md, "Reading the logs": another JEJAK_LOG is said, and
       the program logs at info. */
    const char *log = getenv ("JEJAK_LOG");
    jk_log_level_t level;
    if (log && *log && !jk_log_level_parse (log, &level))
        fprintf (stderr,
                 "%s: warning: JEJAK_LOG '%s' is not debug, info, warn, "
                 "error or none; logging at info\n",
                 self->program, log);
    if (config_path && *config_path) {
        int rc = s_config_load (self, config_path, err, err_size);
        if (rc)
            return rc;
    }
    /* Values are judged when the program runs, not for its --help. */
    return self->help ? 0 : s_check_switches (self, err, err_size);
}

static const char *s_value (jk_opts_t *self, const char *name, bool *given)
{
    int idx = s_find (self, name, strlen (name));
    *given = true;
    if (idx < 0) {
        *given = false;
        return NULL;
    }
    if (self->flag_values[idx])
        return self->flag_values[idx];
    const jk_opt_t *o = &self->spec[idx];
    if ((size_t)idx >= self->flag_only_from) {
        *given = false;
        return o->def;
    }
    if (o->env) {
        const char *v = getenv (o->env);
        if (v && *v)
            return v;
    }
    if (self->config) {
        char *v = zconfig_get (self->config, o->name, NULL);
        if (v)
            return v;
    }
    *given = false;
    return o->def;
}

const char *jk_opts_get (jk_opts_t *self, const char *name)
{
    bool given;
    return s_value (self, name, &given);
}

bool jk_opts_given (jk_opts_t *self, const char *name)
{
    bool given;
    s_value (self, name, &given);
    return given;
}

bool jk_opts_flag_given (jk_opts_t *self, const char *name)
{
    int idx = s_find (self, name, strlen (name));
    return idx >= 0 && self->flag_values[idx] != NULL;
}

bool jk_opts_on (jk_opts_t *self, const char *name)
{
    const char *v = jk_opts_get (self, name);
    return v && s_switch_word (v) == 1;
}

bool jk_opts_help (jk_opts_t *self)
{
    return self->help;
}

size_t jk_opts_argc (jk_opts_t *self)
{
    return self->argc;
}

const char *jk_opts_arg (jk_opts_t *self, size_t index)
{
    return index < self->argc ? self->args[index] : NULL;
}

void jk_opts_print (jk_opts_t *self, FILE *out)
{
    for (size_t i = 0; i < self->count; i++) {
        const jk_opt_t *o = &self->spec[i];
        char flag[64];
        snprintf (flag, sizeof flag, "--%s%s", o->name,
                  o->is_switch ? "" : " VALUE");
        fprintf (out, "  %-28s %s", flag, o->help ? o->help : "");
        if (o->def)
            fprintf (out, " (default %s)", o->def);
        if (o->env)
            fprintf (out, " [env %s]", o->env);
        fputc ('\n', out);
    }
    fprintf (out, "  %-28s %s\n", "--config PATH",
             "ZPL config file with the same keys [env JEJAK_CONFIG]");
    fprintf (out, "  %-28s %s\n", "--help", "this text");
    fprintf (out, "  %-28s %s\n", "--version",
             "the program's name and version");
}

jk_opts_t *jk_opts_start (const char *program, const jk_opt_t *spec,
                          size_t count, int argc, char **argv,
                          void (*usage) (jk_opts_t *opts, FILE *out),
                          int *status)
{
    if (jk_version_asked (argc, argv)) {
        jk_version_print (program, stdout);
        *status = 0;
        return NULL;
    }
    jk_opts_t *opts = jk_opts_new (program, spec, count);
    char err[512];
    if (jk_opts_parse (opts, argc, argv, err, sizeof err)) {
        fprintf (stderr, "%s: %s (see --help)\n", program, err);
        jk_opts_destroy (&opts);
        *status = 2;
        return NULL;
    }
    if (jk_opts_help (opts)) {
        usage (opts, stdout);
        jk_opts_destroy (&opts);
        *status = 0;
        return NULL;
    }
    return opts;
}

jk_opts_t *jk_opts_start_flags (const char *program, const jk_opt_t *spec,
                                size_t count, int argc, char **argv,
                                void (*usage) (jk_opts_t *opts, FILE *out),
                                int *status)
{
    jk_opts_t *opts =
        jk_opts_start (program, spec, count, argc, argv, usage, status);
    if (opts && jk_opts_argc (opts) > 0) {
        fprintf (stderr, "%s: unexpected argument '%s' (see --help)\n", program,
                 jk_opts_arg (opts, 0));
        jk_opts_destroy (&opts);
        *status = 2;
    }
    return opts;
}
