/*  jejak_report.c - jejak-report, the dinas's ready-made reports from a hub
    database or a copy of it, as of any date, as XLSX, CSV for Indonesian
    Excel or printable HTML (docs/REPORTS.md). A program of its own rather
    than a command of jejak-replay: its users are data officers, not
    auditors, and its flags (report, as-of, format, masking) are theirs. */
#include "jk_base.h"
#include "jk_opts.h"
#include "jk_projector.h"
#include "jk_report.h"
#include "jk_version.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_EXIT_USAGE 2
#define S_EXIT_IO    3

static const jk_opt_t s_spec[] = {
    {"db", "JEJAK_DB", NULL,
     "the hub's database, or a copy (jejak-replay backup / rebuild)", false},
    {"as-of", "JEJAK_REPORT_AS_OF", NULL,
     "the report's date as the agents take it: " JK_DATE_FORMS
     "; not after today (default today in WIB)",
     false},
    {"format", "JEJAK_REPORT_FORMAT", "xlsx",
     "xlsx, csv or html; when not given, the one --out's name ends in "
     "(.xlsx, .csv, .html or .htm, any case), else xlsx",
     false},
    {"out", "JEJAK_REPORT_OUT", NULL,
     "output file (default REPORT-YYYY-MM-DD.EXT; '-' for standard output, "
     "not for xlsx)",
     false},
    {"book-year", NULL, NULL,
     "kecamatan, rat: the RAT book year (default the year before --as-of)",
     false},
    {"days", NULL, "90", "sertifikat: expiring within this many days", false},
    {"batch", NULL, NULL, "pelatihan, asesmen, dak: one training batch only",
     false},
    {"active-rule", "JEJAK_ACTIVE_RULE", NULL,
     "the rule for 'active' (years=N,deadline-months=N,grace-days=N,"
     "quorum=any|required; docs/PROJECTIONS.md)",
     false},
    {"keys", "JEJAK_KEYS", NULL,
     "the hub's keys directory: person.key gives each person a stable "
     "pseudonymous key (column Kunci)",
     false},
    {"unmasked", NULL, NULL,
     "show NIKs in clear (only for the dinas's own officers with access to "
     "the database; see docs/REPORTS.md)",
     true},
};

#define S_SPEC_COUNT (sizeof s_spec / sizeof s_spec[0])

/* The flags of person-key, which takes no report's. */
#define S_PERSON_KEY_FLAGS "keys"

/* True when flag is one of list's (separated by spaces). */
static bool s_listed (const char *list, const char *flag)
{
    size_t len = strlen (flag);
    for (const char *p = list; *p; p += *p == ' ') {
        size_t word = strcspn (p, " ");
        if (word == len && memcmp (p, flag, len) == 0)
            return true;
        p += word;
    }
    return false;
}

/* True when the command (kind, or NULL: person-key) takes flag: a
   report takes its own flags (jk_report_kind_t.flags) and those that no
   report lists as its own. */
static bool s_takes (const jk_report_kind_t *kind, const char *flag)
{
    if (!kind)
        return s_listed (S_PERSON_KEY_FLAGS, flag);
    if (s_listed (kind->flags, flag))
        return true;
    for (size_t i = 0; i < jk_report_kind_count; i++)
        if (s_listed (jk_report_kinds[i].flags, flag))
            return false; /* another report's own */
    return true;
}

/* A flag on the command line that the command does not take is a usage
   error naming both (one from the environment or a config file is not
   read: they may serve other commands). 0 or the usage exit, the reason
   printed. */
static int s_flags_taken (jk_opts_t *opts, const char *name,
                          const jk_report_kind_t *kind)
{
    for (size_t i = 0; i < S_SPEC_COUNT; i++) {
        const char *flag = s_spec[i].name;
        if (!jk_opts_flag_given (opts, flag) || s_takes (kind, flag))
            continue;
        char takers[256] = "";
        size_t n = 0;
        for (size_t k = 0; kind && k < jk_report_kind_count; k++)
            if (s_listed (jk_report_kinds[k].flags, flag) && n < sizeof takers)
                n += (size_t)snprintf (takers + n, sizeof takers - n, "%s%s",
                                       n ? ", " : "", jk_report_kinds[k].name);
        if (kind)
            fprintf (stderr,
                     "jejak-report: --%s is not an option of the %s report "
                     "(only of %s; see --help)\n",
                     flag, name, takers);
        else
            fprintf (stderr,
                     "jejak-report: --%s is not an option of the %s command "
                     "(it takes --%s only; see --help)\n",
                     flag, name, S_PERSON_KEY_FLAGS);
        return S_EXIT_USAGE;
    }
    return 0;
}

/* A command's --help: the flags it takes. */
static void s_command_help (const jk_report_kind_t *kind, const char *program)
{
    jk_opt_t taken[S_SPEC_COUNT];
    size_t count = 0;
    for (size_t i = 0; i < S_SPEC_COUNT; i++)
        if (s_takes (kind, s_spec[i].name))
            taken[count++] = s_spec[i];
    printf ("Usage: %s %s\n", program,
            kind ? "--db FILE [flags]" : "--keys DIR");
    jk_opts_t *opts = jk_opts_new (program, taken, count);
    jk_opts_print (opts, stdout);
    jk_opts_destroy (&opts);
}

static void s_usage (FILE *out)
{
    fprintf (out, "Usage: jejak-report COMMAND --db FILE [--as-of DATE] "
                  "[--format xlsx|csv|html] [--out FILE] [flags]\n"
                  "The dinas's reports from a hub database or a copy, as of "
                  "any date (docs/REPORTS.md). Commands:\n");
    for (size_t i = 0; i < jk_report_kind_count; i++)
        fprintf (out, "  %-11s %s: %s\n", jk_report_kinds[i].name,
                 jk_report_kinds[i].title, jk_report_kinds[i].help);
    fprintf (out,
             "  %-11s create DIR/person.key for pseudonymous person "
             "keys (--keys DIR)\n",
             "person-key");
    fprintf (out,
             "global flags (each command: jejak-report COMMAND --help):\n");
    jk_opts_t *opts = jk_opts_new ("jejak-report", s_spec, S_SPEC_COUNT);
    jk_opts_print (opts, out);
    jk_opts_destroy (&opts);
    fprintf (out, "Exit status: 0 written, 2 usage, 3 cannot read the "
                  "database or write the output\n");
}

static int s_person_key (jk_opts_t *opts)
{
    const char *dir = jk_opts_get (opts, "keys");
    if (!dir) {
        fprintf (stderr, "jejak-report person-key: --keys DIR is required "
                         "(the hub's keys directory)\n");
        return S_EXIT_USAGE;
    }
    char err[512];
    if (jk_person_key_create (dir, err, sizeof err)) {
        fprintf (stderr, "jejak-report person-key: %s\n", err);
        return S_EXIT_IO;
    }
    printf ("%s/%s written (keep it with the hub's keys; never replace it)\n",
            dir, JK_PERSON_KEY_FILE);
    return 0;
}

/* The value of the command's option flag, or NULL when the command
   does not take it (a config file's key for another report is not
   read). */
static const char *s_option (jk_opts_t *opts, const jk_report_kind_t *kind,
                             const char *flag)
{
    return s_takes (kind, flag) ? jk_opts_get (opts, flag) : NULL;
}

/* The document's options: --as-of, --active-rule, --book-year, --days,
   --batch, --unmasked (those the report takes). 0 or an exit code, the
   reason printed. */
static int s_doc_options (jk_opts_t *opts, const jk_report_kind_t *kind,
                          jk_rdoc_t *doc)
{
    int32_t today = jk_wib_day (jk_clock_now_ms ());
    doc->as_of_day = today;
    const char *as_of = jk_opts_get (opts, "as-of");
    if (as_of && jk_date_parse_day (as_of, &doc->as_of_day)) {
        fprintf (stderr,
                 "jejak-report: --as-of must be a date " JK_DATE_FORMS
                 ", got '%s'\n",
                 as_of);
        return S_EXIT_USAGE;
    }
    if (doc->as_of_day > today) {
        /* The figures of a day that has not come would be today's,
           labelled with a later date. */
        char day[11];
        jk_date_format (today, day);
        fprintf (stderr,
                 "jejak-report: --as-of '%s' is after today (%s, WIB): a "
                 "report is as of today or an earlier day\n",
                 as_of, day);
        return S_EXIT_USAGE;
    }
    jk_date_format (doc->as_of_day, doc->as_of);
    char err[512] = "";
    if (jk_active_rule_parse (jk_opts_get (opts, "active-rule"), &doc->rule,
                              err, sizeof err)) {
        fprintf (stderr, "jejak-report: --active-rule: %s\n", err);
        return S_EXIT_USAGE;
    }
    doc->book_year = jk_active_years (&doc->rule, doc->as_of_day).to_year;
    const char *year = s_option (opts, kind, "book-year");
    uint64_t number = 0;
    if (year) {
        if (jk_parse_u64 (year, &number) || number < 1900 || number > 2999) {
            fprintf (stderr,
                     "jejak-report: --book-year must be a year 1900..2999, "
                     "not '%s'\n",
                     year);
            return S_EXIT_USAGE;
        }
        /* A book year's RAT is held after the year ends: one after the
           report's year has no figures, only "not held" for all. */
        int as_of_year = atoi (doc->as_of);
        if ((int)number > as_of_year) {
            fprintf (stderr,
                     "jejak-report: --book-year %d is after the year of "
                     "--as-of (%s): a book year's RAT is held after that "
                     "year ends; give %d or earlier\n",
                     (int)number, doc->as_of, as_of_year);
            return S_EXIT_USAGE;
        }
        doc->book_year = (int)number;
    }
    const char *days = s_option (opts, kind, "days");
    doc->days = JK_REPORT_DAYS;
    if (days) {
        if (jk_parse_u64 (days, &number) || number > 3660) {
            fprintf (stderr, "jejak-report: --days must be 0..3660, got '%s'\n",
                     days);
            return S_EXIT_USAGE;
        }
        doc->days = (int)number;
    }
    doc->batch = s_option (opts, kind, "batch");
    doc->masked = !jk_opts_on (opts, "unmasked");
    return 0;
}

/* --keys: the person key into key. 0 or an exit code, the reason
   printed. */
static int s_keys (jk_opts_t *opts, jk_rdoc_t *doc, uint8_t key[32])
{
    char err[512] = "";
    const char *keys = jk_opts_get (opts, "keys");
    if (keys) {
        if (jk_person_key_load (keys, key, err, sizeof err)) {
            fprintf (stderr, "jejak-report: --keys: %s\n", err);
            return S_EXIT_IO;
        }
        doc->keyed = true;
    }
    return 0;
}

/* Builds the document from the projections in one read transaction (the
   head and every figure agree). 0 or an exit code, the reason printed. */
static int s_build (jk_rdoc_t *doc, const jk_report_kind_t *kind,
                    const char *db_path, const uint8_t key[32], sqlite3 **db)
{
    char err[512] = "";
    *db = jk_projections_open_read (db_path, err, sizeof err);
    if (!*db) {
        fprintf (stderr, "jejak-report: %s\n", err);
        return S_EXIT_IO;
    }
    jk_report_functions (*db, doc->masked, doc->keyed ? key : NULL);
    int built = JK_IO;
    if (sqlite3_exec (*db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        jk_rdoc_head (doc, *db, err, sizeof err) ||
        (built = kind->build (doc, *db, err, sizeof err)) != JK_OK) {
        if (built == JK_NOT_FOUND) /* a usage error: the flag named */
            fprintf (stderr, "jejak-report: %s\n", err);
        else
            fprintf (stderr, "jejak-report: %s: %s\n", db_path,
                     err[0] ? err : sqlite3_errmsg (*db));
        sqlite3_exec (*db, "ROLLBACK", NULL, NULL, NULL);
        return built == JK_NOT_FOUND ? S_EXIT_USAGE : S_EXIT_IO;
    }
    sqlite3_exec (*db, "COMMIT", NULL, NULL, NULL);
    return 0;
}

/* --out never replaces a database: the one given as --db, a file of it
   (its projections, WAL, lock) or any other SQLite file; nor is it a
   directory. 0, or an exit code with the reason printed. */
static int s_out_check (const char *out_path, const char *db_path)
{
    struct stat out, db;
    if (strcmp (out_path, "-") == 0 || stat (out_path, &out) != 0)
        return 0; /* a new file */
    if (S_ISDIR (out.st_mode)) {
        fprintf (stderr,
                 "jejak-report: --out %s is a directory: name a file "
                 "(nothing written)\n",
                 out_path);
        return S_EXIT_IO;
    }
    static const char *const beside[] = {"",
                                         "-wal",
                                         "-shm",
                                         "-projections",
                                         "-projections-wal",
                                         "-projections-shm",
                                         "-writer.lock"};
    const char *what = NULL;
    for (size_t i = 0; !what && i < sizeof beside / sizeof *beside; i++) {
        char *path = jk_sprintf ("%s%s", db_path, beside[i]);
        if (stat (path, &db) == 0 && db.st_dev == out.st_dev &&
            db.st_ino == out.st_ino)
            what = i == 0 ? "the database given as --db"
                          : "a file of the database given as --db";
        free (path);
    }
    char head[16] = "";
    FILE *f = what ? NULL : fopen (out_path, "rb");
    if (f) {
        if (fread (head, 1, sizeof head, f) == sizeof head &&
            memcmp (head, "SQLite format 3", 16) == 0)
            what = "a database (SQLite)";
        fclose (f);
    }
    if (!what)
        return 0; /* an earlier report or another file: replaced */
    fprintf (stderr,
             "jejak-report: --out %s is %s: a report never replaces it "
             "(nothing written; name another file)\n",
             out_path, what);
    return S_EXIT_USAGE;
}

/* --out cannot be written: says why, returns the exit code. */
static int s_out_failed (const char *out_path, const char *why)
{
    fprintf (stderr, "jejak-report: --out %s cannot be written: %s\n", out_path,
             why);
    return S_EXIT_IO;
}

/* Writes the document to path in format (a file, or standard output
   for "-"). 0, or the reason (errno's, or err's) in why. */
static int s_write_to (jk_rdoc_t *doc, const char *format, const char *path,
                       char *why, size_t why_size)
{
    if (strcmp (format, "xlsx") == 0)
        return jk_report_write_xlsx (doc, path, why, why_size);
    bool stdout_out = strcmp (path, "-") == 0;
    FILE *out = stdout_out ? stdout : fopen (path, "wb");
    if (!out) {
        snprintf (why, why_size, "%s", strerror (errno));
        return JK_IO;
    }
    int w = strcmp (format, "csv") == 0 ? jk_report_write_csv (doc, out)
                                        : jk_report_write_html (doc, out);
    errno = 0;
    if ((stdout_out ? fflush (out) : fclose (out)) != 0 || w) {
        snprintf (why, why_size, "%s",
                  errno ? strerror (errno) : "write failed");
        return JK_IO;
    }
    return JK_OK;
}

/* Gives the temporary file fd the mode and group of the file it
   replaces (was, NULL for a new file): its permission bits, and its
   group when this user may give a file that group (one of its groups;
   root any); the owner is whoever writes it. A new file has the mode
   fopen's would have. */
static void s_out_mode (int fd, const struct stat *was)
{
    if (was) {
        if (fchown (fd, (uid_t)-1, was->st_gid) != 0) {
            /* Not a group of this user's: the new file keeps its own. */
        }
        fchmod (fd, was->st_mode & 0777);
        return;
    }
    mode_t mask = umask (0);
    umask (mask);
    fchmod (fd, 0666 & ~mask);
}

/* Writes the document to out_path ("-": standard output) in format. 0 or
   an exit code, the reason printed. A file is written whole or not at
   all, in every format: into a temporary file beside it (OUT.XXXXXX,
   through a symbolic link to where it points), renamed into place once
   complete, and removed when anything fails, so a failed report leaves
   nothing at --out (an earlier file there stays as it was). What is not
   a regular file (a device, a pipe: /dev/stdout) is written in place.
   A report that replaces a file keeps its mode and group (s_out_mode). */
static int s_write (jk_rdoc_t *doc, const char *format, const char *out_path)
{
    char why[512] = "";
    struct stat st;
    bool exists = strcmp (out_path, "-") != 0 && stat (out_path, &st) == 0;
    if (strcmp (out_path, "-") == 0 || (exists && !S_ISREG (st.st_mode)))
        return s_write_to (doc, format, out_path, why, sizeof why)
                   ? s_out_failed (out_path, why)
                   : 0;
    size_t len = strlen (out_path);
    if (len > 0 && out_path[len - 1] == '/') /* a directory's name */
        return s_out_failed (out_path, strerror (EISDIR));
    char *target = realpath (out_path, NULL);
    if (!target)
        target = jk_strdup (out_path);
    char *tmp = jk_sprintf ("%s.XXXXXX", target);
    int fd = mkstemp (tmp);
    int rc = 0;
    if (fd < 0)
        rc = s_out_failed (out_path, strerror (errno));
    else {
        s_out_mode (fd, exists ? &st : NULL);
        close (fd);
        if (s_write_to (doc, format, tmp, why, sizeof why))
            rc = s_out_failed (out_path, why);
        else if (rename (tmp, target) != 0)
            rc = s_out_failed (out_path, strerror (errno));
        if (rc)
            unlink (tmp);
    }
    free (tmp);
    free (target);
    return rc;
}

/* The format a file's name ends in (.xlsx, .csv, .html or .htm, any
   case), or NULL. */
static const char *s_format_named (const char *path)
{
    static const struct {
        const char *ext, *format;
    } named[] = {{".xlsx", "xlsx"},
                 {".csv", "csv"},
                 {".html", "html"},
                 {".htm", "html"}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (jk_str_ends_ieq (path, named[i].ext))
            return named[i].format;
    return NULL;
}

static int s_run (jk_opts_t *opts, const jk_report_kind_t *kind)
{
    jk_rdoc_t doc = {.name = kind->name, .masked = true};
    snprintf (doc.title, sizeof doc.title, "%s", kind->title);
    const char *db_path = jk_opts_get (opts, "db");
    if (!db_path) {
        fprintf (stderr, "jejak-report: --db FILE is required\n");
        return S_EXIT_USAGE;
    }
    const char *format = jk_opts_get (opts, "format");
    uint8_t key[32];
    int rc = s_doc_options (opts, kind, &doc);
    if (rc)
        return rc;
    if (strcmp (format, "xlsx") && strcmp (format, "csv") &&
        strcmp (format, "html")) {
        fprintf (stderr,
                 "jejak-report: --format must be xlsx, csv or html, not "
                 "'%s'\n",
                 format);
        return S_EXIT_USAGE;
    }
    /* --out's name gives the format when --format does not; when both
       are given they must agree (a workbook named .csv would open as
       garbage). */
    const char *out_opt = jk_opts_get (opts, "out");
    const char *named = out_opt ? s_format_named (out_opt) : NULL;
    if (named && !jk_opts_given (opts, "format"))
        format = named;
    else if (named && strcmp (named, format) != 0) {
        fprintf (stderr,
                 "jejak-report: --out %s is named for %s, but --format is "
                 "%s: give --format %s, or an --out ending in .%s (nothing "
                 "written)\n",
                 out_opt, named, format, named, format);
        jk_rdoc_free (&doc);
        return S_EXIT_USAGE;
    }
    if ((rc = s_keys (opts, &doc, key)))
        return rc;
    char *out_path =
        out_opt ? jk_strdup (out_opt)
                : jk_sprintf ("%s-%s.%s", kind->name, doc.as_of, format);
    if (strcmp (out_path, "-") == 0 && strcmp (format, "xlsx") == 0) {
        fprintf (stderr, "jejak-report: xlsx needs a file: --out FILE.xlsx\n");
        free (out_path);
        return S_EXIT_USAGE;
    }
    if ((rc = s_out_check (out_path, db_path))) {
        jk_rdoc_free (&doc);
        free (out_path);
        return rc;
    }
    sqlite3 *db = NULL;
    rc = s_build (&doc, kind, db_path, key, &db);
    if (rc == 0)
        rc = s_write (&doc, format, out_path);
    if (rc == 0 && strcmp (out_path, "-") != 0)
        fprintf (stderr,
                 "jejak-report: %s written: %zu table%s, as of %s, log "
                 "position %llu, NIK %s\n",
                 out_path, doc.count, doc.count == 1 ? "" : "s", doc.as_of,
                 (unsigned long long)doc.pos,
                 doc.masked ? "masked" : "UNMASKED");
    jk_rdoc_free (&doc);
    sqlite3_close (db);
    free (out_path);
    return rc;
}

int main (int argc, char **argv)
{
    if (jk_version_asked (argc, argv)) {
        jk_version_print ("jejak-report", stdout);
        return 0;
    }
    if (argc < 2 || strcmp (argv[1], "--help") == 0 ||
        strcmp (argv[1], "-h") == 0) {
        s_usage (argc < 2 ? stderr : stdout);
        return argc < 2 ? S_EXIT_USAGE : 0;
    }
    const char *name = argv[1];
    const jk_report_kind_t *kind = jk_report_kind (name);
    if (!kind && strcmp (name, "person-key") != 0) {
        fprintf (stderr, "jejak-report: unknown report '%s' (see --help)\n",
                 name);
        return S_EXIT_USAGE;
    }
    char program[64], err[256];
    snprintf (program, sizeof program, "jejak-report %s", name);
    jk_opts_t *opts = jk_opts_new (program, s_spec, S_SPEC_COUNT);
    if (jk_opts_parse (opts, argc - 1, argv + 1, err, sizeof err)) {
        fprintf (stderr, "%s: %s (see --help)\n", program, err);
        jk_opts_destroy (&opts);
        return S_EXIT_USAGE;
    }
    if (jk_opts_help (opts)) {
        s_command_help (kind, program);
        jk_opts_destroy (&opts);
        return 0;
    }
    if (jk_opts_argc (opts) > 0) {
        fprintf (stderr, "%s: unexpected argument '%s'\n", program,
                 jk_opts_arg (opts, 0));
        jk_opts_destroy (&opts);
        return S_EXIT_USAGE;
    }
    int rc = s_flags_taken (opts, name, kind);
    if (rc == 0)
        rc = kind ? s_run (opts, kind) : s_person_key (opts);
    jk_opts_destroy (&opts);
    return rc;
}
