/*  agent_queue.c - the commands on the outbox itself: sync, pending,
    receipts (with proofs: --verify), inspect, prune, and witness. */
#include "agent_internal.h"
#include "jk_note.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- sync, pending, receipts, prune ----------------------------------------
 */

/* The log's verifier key from --log-key: the text itself, or a file
   holding it (log.vkey), into *key (heap; NULL when not given). A key
   that does not read, or is not of the log (type 01), is a usage error
   said at once, before anything is delivered: JK_EXIT_USAGE. */
static int s_log_key (jk_agent_t *self, char **key)
{
    *key = jk_note_vkey_given (jk_opts_get (self->opts, "log-key"));
    char why[256];
    if (jk_note_log_vkey_check (*key, why, sizeof why) == JK_OK)
        return JK_EXIT_OK;
    jk_agent_say ("%s: --log-key: %s", self->program, why);
    free (*key);
    *key = NULL;
    return JK_EXIT_USAGE;
}

/* Proves receipts against the hub's checkpoint (docs/AGENTS.md,
   "Receipts with proofs"); prints the outcome. An exit code. */
static int s_prove (jk_agent_t *self, const char *log_key, bool all,
                    bool witness_only)
{
    jk_proofs_config_t config = {
        .query = jk_opts_get (self->opts, "query"),
        .log_key = log_key,
        .wait_ms = self->wait_ms > 0 ? self->wait_ms : 5000,
        .witness_key = jk_opts_get (self->opts, "witness-key"),
        .witness_only = witness_only,
    };
    if (config.witness_key && !*config.witness_key)
        config.witness_key = NULL;
    /* The hub's query endpoint speaks CURVE when it is not loopback. */
    if (!jk_endpoint_is_local (config.query)) {
        config.broker_key = self->delivery.broker_key;
        config.key = self->delivery.key;
    }
    jk_proofs_stats_t stats;
    int rc = jk_proofs_run (self->outbox, &config, all, &stats, stdout);
    if ((rc == JK_OK || rc == JK_INVALID) && !witness_only)
        printf ("%s: %llu receipts proven against the checkpoint of %llu "
                "records, %llu not, %llu beyond it\n",
                all ? "receipts --verify" : "proofs",
                (unsigned long long)stats.proven,
                (unsigned long long)stats.size,
                (unsigned long long)stats.failed,
                (unsigned long long)stats.uncovered);
    else if (rc == JK_TEMPORARY)
        printf ("proofs: the hub's query endpoint %s did not answer within "
                "--wait; receipts not proven yet\n",
                config.query);
    if (rc == JK_OK && stats.not_cosigned && witness_only)
        rc = JK_IO; /* said above: the hub or this office refused */
    return rc == JK_OK          ? JK_EXIT_OK
           : rc == JK_INVALID   ? JK_EXIT_FORK
           : rc == JK_TEMPORARY ? JK_EXIT_OFFLINE
                                : JK_EXIT_FAILURE;
}

int jk_agent_cmd_verify (jk_agent_t *self)
{
    char *log_key;
    if (s_log_key (self, &log_key) != JK_EXIT_OK)
        return JK_EXIT_USAGE;
    if (!log_key) {
        fprintf (stderr,
                 "%s: receipts --verify needs --log-key (the log.vkey of "
                 "jejak-keys log-key, from the dinas)\n",
                 self->program);
        return JK_EXIT_USAGE;
    }
    int rc = jk_agent_open_outbox (self);
    if (rc == 0)
        rc = s_prove (self, log_key, true, false);
    free (log_key);
    return rc;
}

/* witness: the hub's newest checkpoint, checked against the one held and
   cosigned with --witness-key (docs/AGENTS.md, "Witnessing checkpoints"). */
int jk_agent_cmd_witness (jk_agent_t *self)
{
    char *log_key;
    if (s_log_key (self, &log_key) != JK_EXIT_OK)
        return JK_EXIT_USAGE;
    const char *witness_key = jk_opts_get (self->opts, "witness-key");
    if (!log_key || !witness_key || !*witness_key) {
        fprintf (stderr,
                 "%s: witness needs --log-key (the log.vkey of jejak-keys "
                 "log-key) and --witness-key (witness.key of jejak-keys "
                 "witness-key)\n",
                 self->program);
        free (log_key);
        return JK_EXIT_USAGE;
    }
    int rc = jk_agent_open_outbox (self);
    if (rc == 0)
        rc = s_prove (self, log_key, false, true);
    free (log_key);
    return rc;
}

int jk_agent_cmd_sync (jk_agent_t *self)
{
    char *log_key;
    if (s_log_key (self, &log_key) != JK_EXIT_OK)
        return JK_EXIT_USAGE;
    int rc = jk_agent_open_outbox (self);
    if (rc) {
        free (log_key);
        return rc;
    }
    self->delivery.verbose = true;
    jk_delivery_stats_t stats;
    int drc = jk_agent_deliver (self, 0, true, &stats);
    printf ("sync: %llu stored, %llu rejected, %llu pending (%llu sent, "
            "%llu reconnects)\n",
            (unsigned long long)stats.stored,
            (unsigned long long)stats.rejected,
            (unsigned long long)stats.remaining, (unsigned long long)stats.sent,
            (unsigned long long)stats.reconnects);
    if (drc == JK_IO || drc == JK_CLOSED) {
        free (log_key);
        return JK_EXIT_FAILURE;
    }
    /* With the log's key: keep and check a proof of every new receipt; a
       fork outranks everything, an unreachable query endpoint nothing. */
    int prc = log_key ? s_prove (self, log_key, false, false) : JK_EXIT_OK;
    free (log_key);
    if (prc == JK_EXIT_FORK)
        return JK_EXIT_FORK;
    if (stats.rejected)
        return JK_EXIT_REJECTED;
    return stats.remaining ? JK_EXIT_OFFLINE : JK_EXIT_OK;
}

static int s_print_pending (void *arg, const jk_outbox_row_t *row)
{
    (void)arg;
    char id[37], when[26];
    jk_uuid_format (row->id, id);
    jk_time_format_wib (row->created_at, when);
    /* The origin (a file's name and row) and the store's message may hold
       what a file put there: no control character reaches the terminal. */
    char *origin = jk_text_visible (row->origin, strlen (row->origin));
    printf ("%llu\t%s\t%s\t%s\t%s\tattempts=%u%s%s",
            (unsigned long long)row->seq, jk_agent_state_name (row->state),
            row->type, id, when, row->attempts, *origin ? "\t" : "", origin);
    free (origin);
    if (row->state == JK_OUTBOX_REJECTED ||
        row->state == JK_OUTBOX_QUARANTINED) {
        char *message = jk_text_visible (row->message, strlen (row->message));
        printf ("\t%s: %s", row->code, message);
        free (message);
    }
    printf ("\n");
    return 0;
}

static int s_print_receipt (void *arg, const jk_outbox_row_t *row)
{
    (void)arg;
    char id[37], hash[65];
    jk_uuid_format (row->id, id);
    jk_hex_format (row->hash, 32, hash);
    printf ("%llu\t%s\t%s\tpos=%llu\thash=%s\n", (unsigned long long)row->seq,
            row->type, id, (unsigned long long)row->pos, hash);
    return 0;
}

/* The commands that only read (pending, receipts, inspect, prune) on an
   --outbox that does not exist, or is an empty file: nothing was ever
   queued there, so they answer as for an empty outbox and leave the path
   as it is (a mistyped --outbox must not become a new outbox, nor an
   empty file one). True when so, with a note on stderr. */
static bool s_no_outbox (jk_agent_t *self)
{
    const char *path = jk_opts_get (self->opts, "outbox");
    struct stat st;
    if (!path)
        return false; /* the device's own: made at first use */
    bool none = stat (path, &st) == 0 ? S_ISREG (st.st_mode) && st.st_size == 0
                                      : errno == ENOENT;
    if (none)
        fprintf (stderr,
                 "%s: no outbox at %s: nothing has been queued there (not "
                 "made by this command)\n",
                 self->program, path);
    return none;
}

/* Opens the outbox for a command that only reads it, unless there is
   none to read (*none, s_no_outbox): an exit code, JK_EXIT_OK when it
   may go on. */
static int s_open_to_read (jk_agent_t *self, bool *none)
{
    *none = s_no_outbox (self);
    return *none ? JK_EXIT_OK : jk_agent_open_outbox (self);
}

int jk_agent_cmd_list (jk_agent_t *self, bool receipts)
{
    bool none;
    int rc = s_open_to_read (self, &none);
    if (rc)
        return rc;
    unsigned states = receipts
                          ? 1u << JK_OUTBOX_STORED
                          : (1u << JK_OUTBOX_PENDING) | (1u << JK_OUTBOX_SENT) |
                                (1u << JK_OUTBOX_REJECTED) |
                                (1u << JK_OUTBOX_QUARANTINED);
    if (receipts)
        printf ("seq\ttype\tid\tposition\thash\n");
    else
        printf ("seq\tstate\ttype\tid\tcreated\tattempts\t[origin]\t"
                "[reason]\n");
    jk_outbox_counts_t c = {0};
    if (!none) {
        int64_t n =
            jk_outbox_list (self->outbox, states, 0, 0,
                            receipts ? s_print_receipt : s_print_pending, NULL);
        if (n < 0)
            return JK_EXIT_FAILURE;
        jk_outbox_counts (self->outbox, &c);
    }
    fprintf (stderr, "%llu pending, %llu rejected, %llu stored",
             (unsigned long long)c.pending, (unsigned long long)c.rejected,
             (unsigned long long)c.stored);
    if (c.quarantined)
        fprintf (stderr, ", %llu quarantined (damaged: see 'inspect SEQ')",
                 (unsigned long long)c.quarantined);
    fprintf (stderr, "\n");
    return JK_EXIT_OK;
}

/* inspect SEQ: one row in full, for a damaged (QUARANTINED) row above
   all: what the row says, what its bytes say, and the bytes. */
int jk_agent_cmd_inspect (jk_agent_t *self)
{
    uint64_t seq = 0;
    if (jk_opts_argc (self->opts) != 2 ||
        jk_parse_u64 (jk_opts_arg (self->opts, 1), &seq) != JK_OK) {
        fprintf (stderr, "%s: usage: %s inspect SEQ (a number)\n",
                 self->program, self->program);
        return JK_EXIT_USAGE;
    }
    bool none;
    int rc = s_open_to_read (self, &none);
    if (rc)
        return rc;
    jk_outbox_row_t row;
    if (none || jk_outbox_get (self->outbox, seq, &row) != JK_OK) {
        fprintf (stderr, "%s: no seq %llu in this outbox (pruned?)\n",
                 self->program, (unsigned long long)seq);
        return JK_EXIT_USAGE;
    }
    char id[37], when[26], why[160] = "";
    jk_uuid_format (row.id, id);
    jk_time_format_wib (row.created_at, when);
    char *origin = jk_text_visible (row.origin, strlen (row.origin));
    printf ("seq\t%llu\nstate\t%s\ntype\t%s\nid\t%s\ncreated\t%s\n"
            "attempts\t%u\norigin\t%s\n",
            (unsigned long long)row.seq, jk_agent_state_name (row.state),
            row.type, id, when, row.attempts, origin);
    free (origin);
    if (*row.code) {
        char *message = jk_text_visible (row.message, strlen (row.message));
        printf ("reason\t%s: %s\n", row.code, message);
        free (message);
    }
    if (row.state == JK_OUTBOX_STORED) {
        char hash[65];
        jk_hex_format (row.hash, 32, hash);
        printf ("receipt\tpos=%llu hash=%s\n", (unsigned long long)row.pos,
                hash);
    }
    bool ok = jk_outbox_check_row (self->outbox, &row, why, sizeof why) == 0;
    printf ("bytes\t%zu, %s%s\n", row.size, ok ? "match the row" : "", why);
    for (size_t i = 0; i < row.size; i += 16) {
        printf ("%06zx ", i);
        for (size_t k = i; k < i + 16; k++)
            if (k < row.size)
                printf (" %02x", row.bytes[k]);
            else
                printf ("   ");
        printf ("  ");
        for (size_t k = i; k < i + 16 && k < row.size; k++)
            putchar (row.bytes[k] >= 0x20 && row.bytes[k] < 0x7f ? row.bytes[k]
                                                                 : '.');
        printf ("\n");
    }
    return JK_EXIT_OK;
}

int jk_agent_cmd_prune (jk_agent_t *self)
{
    const char *before = jk_opts_get (self->opts, "before");
    int32_t days;
    if (!before) {
        fprintf (stderr, "%s: prune needs --before DATE (" JK_DATE_FORMS ")\n",
                 self->program);
        return JK_EXIT_USAGE;
    }
    if (jk_date_parse_day (before, &days) != 0) {
        jk_agent_say ("%s: --before must be a date " JK_DATE_FORMS ", got '%s'",
                      self->program, before);
        return JK_EXIT_USAGE;
    }
    bool none;
    int rc = s_open_to_read (self, &none);
    if (rc)
        return rc;
    int64_t ms = (int64_t)days * 86400000 - JK_WIB_OFFSET_MS;
    int64_t n = none ? 0 : jk_outbox_prune (self->outbox, ms);
    if (n < 0)
        return JK_EXIT_FAILURE;
    printf ("pruned %lld stored events written before %s\n", (long long)n,
            before);
    return JK_EXIT_OK;
}
