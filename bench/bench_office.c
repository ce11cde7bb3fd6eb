/*  bench_office.c - jejak-office as clerks meet it: the latency of a form
    submit (POST, validation, the outbox write, the 303) beside the HTTP
    floor of the same server in the same run (GET /status.json), and the
    program's memory (VmRSS) idle and with 100,000 entries in its outbox
    after the pages that read them (the outbox list, a form with its pick
    lists). The real program is started as a process; no hub runs, so the
    delivery thread keeps retrying in the background, as on a box whose
    link is down.

    Usage: bench_office [--quick] [--submits N] [--entries N] */
#include "bench_common.h"
#include "bench_hub.h"
#include "jk_agent.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_SOURCE   "32.03.10/bench-1"
#define S_PASSWORD "bench-password-1"

typedef struct {
    char *dir, *bin, *users, *outbox, *log;
    pid_t pid;
    int port;
    char cookie[128], csrf[65];
} s_office_t;

/* One HTTP/1.0 exchange; the response (heap) and its status code. */
static char *s_http (s_office_t *o, const char *method, const char *path,
                     const char *body, const char *cookie, int *code)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t)o->port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close (fd);
        *code = 0;
        return NULL;
    }
    char *req =
        jk_sprintf ("%s %s HTTP/1.0\r\nHost: x\r\nCookie: %s\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    "Content-Length: %zu\r\n\r\n%s",
                    method, path, cookie ? cookie : "",
                    body ? strlen (body) : 0, body ? body : "");
    if (write (fd, req, strlen (req)) < 0)
        *code = 0;
    free (req);
    char *buf = NULL;
    size_t len = 0;
    char chunk[65536];
    ssize_t n;
    while ((n = read (fd, chunk, sizeof chunk)) > 0) {
        buf = jk_realloc (buf, len + (size_t)n + 1);
        memcpy (buf + len, chunk, (size_t)n);
        len += (size_t)n;
        buf[len] = 0;
    }
    close (fd);
    *code = 0;
    if (buf)
        sscanf (buf, "HTTP/1.%*d %d", code);
    return buf;
}

static void s_token (const char *html, const char *after, char out[65])
{
    const char *at = html ? strstr (html, after) : NULL;
    snprintf (out, 65, "%.64s", at ? at + strlen (after) : "");
}

static long s_rss_kib (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen (path, "r");
    long kib = -1;
    while (f && fgets (line, sizeof line, f))
        if (sscanf (line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose (f);
    return kib;
}

static int s_start (s_office_t *o)
{
    char *program = jk_sprintf ("%s/jejak-office", o->bin);
    char *broker = jk_sprintf ("ipc://%s/nohub.sock", o->dir);
    unlink (o->log);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (o->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2 (fd, 1);
        dup2 (fd, 2);
        setenv ("JEJAK_LOG", "warn", 1);
        execl (program, "jejak-office", "--source", S_SOURCE, "--outbox",
               o->outbox, "--users", o->users, "--broker", broker, "--http",
               "127.0.0.1:0", (char *)NULL);
        _exit (127);
    }
    free (program);
    free (broker);
    o->pid = pid;
    o->port = 0;
    for (int i = 0; i < 600 && !o->port; i++) {
        FILE *f = fopen (o->log, "r");
        char line[512];
        while (f && fgets (line, sizeof line, f)) {
            const char *at = strstr (line, "http=http://127.0.0.1:");
            if (at)
                o->port = atoi (at + strlen ("http=http://127.0.0.1:"));
        }
        if (f)
            fclose (f);
        if (!o->port)
            usleep (50000);
    }
    if (!o->port)
        return -1;
    int code;
    char *page = s_http (o, "GET", "/login", NULL, NULL, &code);
    char token[65], cookie[128];
    s_token (page, "name=\"csrf\" value=\"", token);
    free (page);
    snprintf (cookie, sizeof cookie, "jejak_login=%s", token);
    char *body =
        jk_sprintf ("csrf=%s&user=bench&password=%s", token, S_PASSWORD);
    char *r = s_http (o, "POST", "/login", body, cookie, &code);
    free (body);
    char session[65];
    s_token (r, "jejak_session=", session);
    free (r);
    snprintf (o->cookie, sizeof o->cookie, "jejak_session=%s", session);
    page = s_http (o, "GET", "/", NULL, o->cookie, &code);
    s_token (page, "name=\"csrf\" value=\"", o->csrf);
    free (page);
    return code == 200 ? 0 : -1;
}

static void s_stop (s_office_t *o)
{
    kill (o->pid, SIGTERM);
    waitpid (o->pid, NULL, 0);
}

static int s_cmp (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double s_pct (double *v, size_t n, double p)
{
    qsort (v, n, sizeof *v, s_cmp);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

/* n submits of person.registered (NIKs from first on) and n floor GETs,
   interleaved; p50/p99 of each in ms. */
static int s_measure (s_office_t *o, size_t n, size_t first, double out[4])
{
    double *sub = jk_calloc (n, sizeof *sub), *flo = jk_calloc (n, sizeof *flo);
    for (size_t i = 0; i < n; i++) {
        int code;
        double t0 = jk_bench_now ();
        free (s_http (o, "GET", "/status.json", NULL, o->cookie, &code));
        flo[i] = (jk_bench_now () - t0) * 1000;
        if (code != 200)
            return -1;
        char *body = jk_sprintf (
            "csrf=%s&f.nik=3203100101%02zu%04zu&f.name=Warga+Bench&f.sex=L"
            "&f.birth_date=01%%2F01%%2F19%02zu&f.desa_code=32.03.10.2012",
            o->csrf, (first + i) / 9999 % 100, (first + i) % 9999 + 1,
            (first + i) / 9999 % 100);
        t0 = jk_bench_now ();
        free (s_http (o, "POST", "/form/person.registered", body, o->cookie,
                      &code));
        sub[i] = (jk_bench_now () - t0) * 1000;
        free (body);
        if (code != 303) {
            fprintf (stderr, "bench_office: submit answered %d\n", code);
            return -1;
        }
    }
    out[0] = s_pct (sub, n, 0.5);
    out[1] = s_pct (sub, n, 0.99);
    out[2] = s_pct (flo, n, 0.5);
    out[3] = s_pct (flo, n, 0.99);
    free (sub);
    free (flo);
    return 0;
}

/* entries person.registered events straight into the outbox file. */
static int s_fill (s_office_t *o, size_t entries)
{
    char err[256];
    jk_outbox_t *box = jk_outbox_open (o->outbox, S_SOURCE, err, sizeof err);
    if (!box)
        return -1;
    const jk_type_t *t = jk_vocabulary_find ("person.registered", 17);
    jk_outbox_begin (box);
    for (size_t i = 0; i < entries; i++) {
        jk_event_t *ev = jk_event_new (t);
        char nik[17], name[40];
        snprintf (nik, sizeof nik, "3203100101%02zu%04zu", 50 + i / 9999 % 40,
                  i % 9999 + 1);
        snprintf (name, sizeof name, "Warga Terdahulu %zu", i);
        jk_event_set_actor (ev, "bench");
        jk_report_t report;
        jk_report_reset (&report);
        jk_event_set (ev, "nik", nik, &report);
        jk_event_set (ev, "name", name, &report);
        jk_event_set (ev, "sex", "L", &report);
        jk_event_set (ev, "birth_date", "1980-01-01", &report);
        jk_event_set (ev, "desa_code", "32.03.10.2012", &report);
        jk_outbox_put (box, ev, "", NULL, NULL);
        jk_event_destroy (&ev);
        if (i % 10000 == 9999) {
            jk_outbox_commit (box);
            jk_outbox_begin (box);
        }
    }
    int rc = jk_outbox_commit (box);
    jk_outbox_close (&box);
    return rc;
}

int main (int argc, char **argv)
{
    size_t submits = 1000, entries = 100000;
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--quick")) {
            submits = 100;
            entries = 5000;
        } else if (streq (argv[i], "--submits") && i + 1 < argc)
            submits = strtoull (argv[++i], NULL, 10);
        else if (streq (argv[i], "--entries") && i + 1 < argc)
            entries = strtoull (argv[++i], NULL, 10);
        else {
            fprintf (stderr, "usage: bench_office [--quick] [--submits N] "
                             "[--entries N]\n");
            return 2;
        }
    }
    signal (SIGPIPE, SIG_IGN);
    s_office_t o = {0};
    o.dir = jk_bench_tmpdir ("bench-office");
    o.bin = jk_bench_program_dir ();
    o.users = jk_sprintf ("%s/users.db", o.dir);
    o.outbox = jk_sprintf ("%s/outbox.db", o.dir);
    o.log = jk_sprintf ("%s/office.log", o.dir);
    char *pw = jk_sprintf ("%s/pw", o.dir);
    FILE *f = fopen (pw, "w");
    fputs (S_PASSWORD "\n", f);
    fclose (f);
    char *cmd = jk_sprintf ("'%s/jejak-office' user add bench --users '%s' "
                            "--password-file '%s' >/dev/null",
                            o.bin, o.users, pw);
    if (system (cmd) != 0 || s_start (&o) != 0) {
        fprintf (stderr, "bench_office: cannot start jejak-office\n");
        return 1;
    }
    free (cmd);
    long rss_idle = s_rss_kib (o.pid);
    double empty[4];
    if (s_measure (&o, submits, 0, empty))
        return 1;
    s_stop (&o);
    double t0 = jk_bench_now ();
    if (s_fill (&o, entries))
        return 1;
    double fill_s = jk_bench_now () - t0;
    if (s_start (&o))
        return 1;
    long rss_full_idle = s_rss_kib (o.pid);
    int code;
    t0 = jk_bench_now ();
    free (s_http (&o, "GET", "/form/training.participant_enrolled", NULL,
                  o.cookie, &code));
    double lists_s = jk_bench_now () - t0;
    t0 = jk_bench_now ();
    free (s_http (&o, "GET", "/outbox", NULL, o.cookie, &code));
    double outbox_ms = (jk_bench_now () - t0) * 1000;
    long rss_full = s_rss_kib (o.pid);
    double full[4];
    if (s_measure (&o, submits, submits, full))
        return 1;
    s_stop (&o);
    printf ("jejak-office (%zu submits each, %zu entries)\n", submits, entries);
    printf ("  %-44s %8.2f ms / %.2f ms\n", "submit p50 / p99 (empty outbox)",
            empty[0], empty[1]);
    printf ("  %-44s %8.2f ms / %.2f ms\n", "floor GET p50 / p99 (same run)",
            empty[2], empty[3]);
    printf ("  %-44s %8.2f\n", "ratio submit p99 / floor p99",
            empty[1] / empty[3]);
    printf ("  %-44s %8.2f ms / %.2f ms\n",
            "submit p50 / p99 (with the entries)", full[0], full[1]);
    printf ("  %-44s %8ld KiB\n", "VmRSS idle (empty outbox)", rss_idle);
    printf ("  %-44s %8ld KiB\n", "VmRSS idle (with the entries)",
            rss_full_idle);
    printf ("  %-44s %8ld KiB\n", "VmRSS after list pages (with entries)",
            rss_full);
    printf ("  %-44s %8.2f s\n", "first form with pick lists (decodes all)",
            lists_s);
    printf ("  %-44s %8.2f ms\n", "outbox page (newest 200)", outbox_ms);
    printf ("{\"bench\":\"office\",\"submits\":%zu,\"entries\":%zu,"
            "\"submit_p50_ms\":%.3f,\"submit_p99_ms\":%.3f,"
            "\"floor_p50_ms\":%.3f,\"floor_p99_ms\":%.3f,"
            "\"submit_full_p99_ms\":%.3f,\"rss_idle_kib\":%ld,"
            "\"rss_full_idle_kib\":%ld,\"rss_full_kib\":%ld,"
            "\"lists_s\":%.3f,\"fill_s\":%.2f}\n",
            submits, entries, empty[0], empty[1], empty[2], empty[3], full[1],
            rss_idle, rss_full_idle, rss_full, lists_s, fill_s);
    unlink (pw);
    free (pw);
    free (o.users);
    free (o.outbox);
    free (o.log);
    free (o.bin);
    jk_bench_rmdir (&o.dir);
    return 0;
}
