/*  jejak_keys.c - jejak-keys: the IT admin's tool for CURVE keys: the
    broker's key pair (init), office device keys bound to an office and a
    domain (enrol), read-only keys for boards and auditors (reader), list,
    revoke. The work is in keys.c; this file parses options and prints. */
#include "jk_keys.h"
#include "jk_base.h"
#include "jk_opts.h"
#include "jk_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const jk_opt_t s_options[] = {
    {"dir", "JEJAK_KEYS", NULL, "keys directory (required)", false},
    {"office", NULL, NULL, "enrol: kecamatan code (e.g. 32.03.10) or DINAS",
     false},
    {"domain", NULL, NULL,
     "enrol: registration, attendance, scoring, or all (DINAS only)", false},
    {"device", NULL, NULL, "enrol: device name, 1-32 of A-Z a-z 0-9 . _ -",
     false},
    {"name", NULL, NULL,
     "reader: name of the board or auditor; witness-key: the witness's key "
     "name (e.g. 32.03.10/saksi)",
     false},
    {"area", NULL, NULL,
     "link: the forwarding hub's kabupaten (32.03) or province (32) code",
     false},
    {"origin", NULL, NULL,
     "log-key: the checkpoints' origin line and key name "
     "(default " JK_KEYS_LOG_ORIGIN ")",
     false},
    {"data-dir", "JEJAK_DATA_DIR", NULL, "region reference data directory",
     false},
    JK_OPT_REGION,
    {"force", NULL, NULL,
     "init, log-key, witness-key: replace an existing broker key pair, log "
     "key or witness key",
     true},
};

static void s_usage (jk_opts_t *opts, FILE *out)
{
    fprintf (out,
             "Usage: jejak-keys COMMAND --dir DIR [options]\n"
             "CURVE keys for a secure Jejak installation (docs/SECURITY.md).\n"
             "\n"
             "  init --dir DIR [--force]     the broker's key pair: "
             "DIR/broker.key (secret,\n"
             "                               0600) and DIR/broker.pub "
             "(give it to every agent)\n"
             "  enrol --dir DIR --office CODE --domain DOMAIN --device NAME\n"
             "                               an office device key: secret "
             "in\n"
             "                               DIR/issued/OFFICE_DEVICE.key "
             "(0600, hand it to\n"
             "                               the office), public in "
             "DIR/offices/\n"
             "  reader --dir DIR --name NAME a read-only key (feed and "
             "query) for a status\n"
             "                               board or an auditor\n"
             "  link --dir DIR --area CODE   the key of a regency's (or "
             "province's) upstream\n"
             "                               link, in the keys of the hub "
             "above\n"
             "  log-key --dir DIR [--origin ORIGIN] [--force]\n"
             "                               the log's checkpoint signing "
             "key: DIR/log.key\n"
             "                               (0600, for the hub) and "
             "DIR/log.vkey (its\n"
             "                               verifier key: give it to "
             "offices and auditors)\n"
             "  log-vkey --dir DIR           print the log's verifier key "
             "(C2SP vkey)\n"
             "  witness-key --dir DIR --name NAME [--force]\n"
             "                               an office's key to cosign "
             "checkpoints:\n"
             "                               DIR/witness.key (0600) and "
             "DIR/witness.vkey (give\n"
             "                               it to the dinas and to "
             "auditors)\n"
             "  witness-vkey --dir DIR       print the witness's verifier "
             "key\n"
             "  list --dir DIR               office, domain, device, "
             "fingerprint, revoked\n"
             "  revoke --dir DIR KEY         KEY: fingerprint, "
             "OFFICE/DEVICE, device or\n"
             "                               reader name; a running broker "
             "refuses it at once\n"
             "\n");
    jk_opts_print (opts, out);
    fprintf (out, "\nExit status: 0 done, 1 exists already, not found or "
                  "file error,\n2 usage or validation error.\n");
}

static int s_status_exit (int rc)
{
    return rc == JK_OK ? 0 : rc == JK_INVALID ? 2 : 1;
}

/* Fails with exit 2 when a required option is missing. */
static const char *s_need (jk_opts_t *opts, const char *name,
                           const char *command)
{
    const char *value = jk_opts_get (opts, name);
    if (!value || !*value)
        fprintf (stderr, "jejak-keys: %s needs --%s (see --help)\n", command,
                 name);
    return value && *value ? value : NULL;
}

static void s_print_issued (const jk_key_t *key, const char *secret)
{
    printf ("%s %s%s%s domain=%s fingerprint=%s\n",
            key->role == JK_KEY_READER ? "reader"
            : key->role == JK_KEY_LINK ? "link"
                                       : "enrolled",
            key->office, key->office[0] ? "/" : "", key->device, key->domain,
            key->fingerprint);
    printf ("secret certificate: %s (0600; hand it to its holder, then "
            "delete this copy)\n",
            secret);
}

static int s_list (const char *dir)
{
    zlistx_t *keys = jk_keys_list (dir);
    printf ("%-10s %-13s %-24s %-16s %-8s %s\n", "OFFICE", "DOMAIN", "DEVICE",
            "FINGERPRINT", "REVOKED", "CREATED");
    for (jk_key_t *k = zlistx_first (keys); k; k = zlistx_next (keys))
        printf ("%-10s %-13s %-24s %-16s %-8s %s\n",
                k->role == JK_KEY_READER ? "-" : k->office, k->domain,
                k->device, k->fingerprint, k->revoked ? "yes" : "no",
                k->created);
    zlistx_destroy (&keys);
    return 0;
}

/* What a command returns besides the JK_ codes: a usage error already
   printed (exit 2), or a failure already printed (exit 1). */
#define S_USAGE  100
#define S_FAILED 101

/* One command: its arguments read from opts, its outcome printed. */
typedef struct {
    jk_opts_t *opts;
    const char *command;
    const char *dir;
    char err[512];
} s_cmd_t;

static int s_cmd_init (s_cmd_t *c)
{
    int rc = jk_keys_init (c->dir, jk_opts_on (c->opts, "force"), c->err,
                           sizeof c->err);
    if (rc == JK_OK)
        printf ("broker key pair: %s/%s (secret, 0600) and %s/%s "
                "(public: give it to every agent as --broker-key)\n",
                c->dir, JK_KEYS_BROKER_SECRET, c->dir, JK_KEYS_BROKER_PUBLIC);
    return rc;
}

static int s_cmd_enrol (s_cmd_t *c)
{
    const char *office = s_need (c->opts, "office", c->command);
    const char *domain = office ? s_need (c->opts, "domain", c->command) : NULL;
    const char *device = domain ? s_need (c->opts, "device", c->command) : NULL;
    if (!device)
        return S_USAGE;
    jk_key_t key;
    char secret[1024];
    int rc = jk_keys_enrol (c->dir, office, domain, device, &key, secret,
                            sizeof secret, c->err, sizeof c->err);
    if (rc == JK_OK)
        s_print_issued (&key, secret);
    return rc;
}

static int s_cmd_reader (s_cmd_t *c)
{
    const char *name = s_need (c->opts, "name", c->command);
    if (!name)
        return S_USAGE;
    jk_key_t key;
    char secret[1024];
    int rc = jk_keys_reader (c->dir, name, &key, secret, sizeof secret, c->err,
                             sizeof c->err);
    if (rc == JK_OK)
        s_print_issued (&key, secret);
    return rc;
}

static int s_cmd_link (s_cmd_t *c)
{
    const char *area = s_need (c->opts, "area", c->command);
    if (!area)
        return S_USAGE;
    jk_key_t key;
    char secret[1024];
    int rc = jk_keys_link (c->dir, area, &key, secret, sizeof secret, c->err,
                           sizeof c->err);
    if (rc == JK_OK)
        s_print_issued (&key, secret);
    return rc;
}

static int s_cmd_log_key (s_cmd_t *c)
{
    char vkey[256];
    int rc = jk_keys_log (c->dir, jk_opts_get (c->opts, "origin"),
                          jk_opts_on (c->opts, "force"), vkey, sizeof vkey,
                          c->err, sizeof c->err);
    if (rc == JK_OK)
        printf ("log key: %s/%s (secret, 0600: the hub signs checkpoints "
                "with it)\nverifier key (%s/%s; give it to offices and "
                "auditors):\n%s\n",
                c->dir, JK_KEYS_LOG_SECRET, c->dir, JK_KEYS_LOG_PUBLIC, vkey);
    return rc;
}

static int s_cmd_log_vkey (s_cmd_t *c)
{
    char vkey[256];
    int rc =
        jk_keys_log_vkey (c->dir, vkey, sizeof vkey, c->err, sizeof c->err);
    if (rc == JK_OK)
        printf ("%s\n", vkey);
    return rc;
}

static int s_cmd_witness_key (s_cmd_t *c)
{
    const char *name = s_need (c->opts, "name", c->command);
    if (!name)
        return S_USAGE;
    char vkey[256];
    int rc = jk_keys_witness (c->dir, name, jk_opts_on (c->opts, "force"), vkey,
                              sizeof vkey, c->err, sizeof c->err);
    if (rc == JK_OK)
        printf ("witness key: %s/%s (secret, 0600: the office cosigns "
                "checkpoints with it)\nverifier key (%s/%s; give it to "
                "the dinas for jejak-hub --witnesses, and to "
                "auditors):\n%s\n",
                c->dir, JK_KEYS_WITNESS_SECRET, c->dir, JK_KEYS_WITNESS_PUBLIC,
                vkey);
    return rc;
}

static int s_cmd_witness_vkey (s_cmd_t *c)
{
    char vkey[256];
    int rc =
        jk_keys_witness_vkey (c->dir, vkey, sizeof vkey, c->err, sizeof c->err);
    if (rc == JK_OK)
        printf ("%s\n", vkey);
    return rc;
}

static int s_cmd_list (s_cmd_t *c)
{
    struct stat st;
    if (stat (c->dir, &st) != 0) {
        fprintf (stderr, "jejak-keys: --dir %s: no such directory\n", c->dir);
        return S_FAILED;
    }
    return s_list (c->dir);
}

static int s_cmd_revoke (s_cmd_t *c)
{
    jk_key_t key;
    int rc = jk_keys_revoke (c->dir, jk_opts_arg (c->opts, 1), &key, c->err,
                             sizeof c->err);
    if (rc == JK_OK)
        printf ("revoked %s%s%s fingerprint=%s (moved to %s/%s/)\n", key.office,
                key.office[0] ? "/" : "", key.device, key.fingerprint, c->dir,
                JK_KEYS_REVOKED);
    return rc;
}

/* The commands, by name. */
static const struct {
    const char *name;
    int (*run) (s_cmd_t *c);
} s_commands[] = {
    {"init", s_cmd_init},
    {"enrol", s_cmd_enrol},
    {"enroll", s_cmd_enrol},
    {"reader", s_cmd_reader},
    {"link", s_cmd_link},
    {"log-key", s_cmd_log_key},
    {"log-vkey", s_cmd_log_vkey},
    {"witness-key", s_cmd_witness_key},
    {"witness-vkey", s_cmd_witness_vkey},
    {"list", s_cmd_list},
    {"revoke", s_cmd_revoke},
};

int main (int argc, char **argv)
{
    int status;
    jk_opts_t *opts = jk_opts_start ("jejak-keys", s_options,
                                     sizeof s_options / sizeof s_options[0],
                                     argc, argv, s_usage, &status);
    if (!opts)
        return status;
    status = 2;
    s_cmd_t c = {.opts = opts, .command = jk_opts_arg (opts, 0)};
    if (!c.command) {
        s_usage (opts, stderr);
        goto cleanup;
    }
    size_t args = streq (c.command, "revoke") ? 2 : 1;
    if (jk_opts_argc (opts) != args) {
        fprintf (stderr, "jejak-keys: %s takes %s (see --help)\n", c.command,
                 args == 2 ? "exactly one KEY" : "no arguments");
        goto cleanup;
    }
    c.dir = s_need (opts, "dir", c.command);
    if (!c.dir)
        goto cleanup;
    if (jk_region_options (jk_opts_get (opts, "data-dir"),
                           jk_opts_get (opts, "region")))
        goto cleanup;
    size_t i = 0;
    while (i < sizeof s_commands / sizeof s_commands[0] &&
           !streq (s_commands[i].name, c.command))
        i++;
    if (i == sizeof s_commands / sizeof s_commands[0]) {
        fprintf (stderr, "jejak-keys: unknown command '%s' (see --help)\n",
                 c.command);
        goto cleanup;
    }
    int rc = s_commands[i].run (&c);
    if (rc == S_USAGE || rc == S_FAILED) {
        status = rc == S_USAGE ? 2 : 1;
        goto cleanup;
    }
    if (rc != JK_OK)
        fprintf (stderr, "jejak-keys: %s: %s\n", c.command,
                 c.err[0] ? c.err : jk_strerror (rc));
    status = s_status_exit (rc);

cleanup:
    jk_opts_destroy (&opts);
    return status;
}
