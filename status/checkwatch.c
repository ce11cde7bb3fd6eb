/*  checkwatch.c - a reader's watch over the log's signed checkpoints
    (jk_status.h, jk_ckwatch_t): every checkpoint seen is checked with the
    log's verifier key and against the last one verified with a
    consistency proof from the hub's query endpoint; the last verified is
    kept in a file, a fork is an alarm with both notes kept as evidence.
    The watch makes the requests and reads the answers; the caller's
    socket carries them. */
#include "jk_status.h"
#include "jk_note.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct jk_ckwatch_s {
    jk_note_signer_t log; /* the log's verifier key */
    char *path;           /* the last verified checkpoint's file */
    char *fork_path;      /* evidence of forks, appended */
    jk_checkpoint_t held; /* the last verified (held_note != NULL) */
    char *held_note;      /* its text */
    jk_checkpoint_t seen; /* waiting for its proof (seen_note) */
    char *seen_note;      /* its text, NULL when nothing waits */
    char *next_note;      /* the newest seen while one waits */
    char alarm[640];      /* "" until a fork */
    bool evidence_kept;   /* the alarm's notes are in fork_path */
    bool changed;         /* verified size or alarm changed */
};

/* A whole small file, NUL-terminated; NULL when absent or unreadable. */
static char *s_read (const char *path, size_t max, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *text = jk_malloc (max + 1);
    *size = fread (text, 1, max + 1, file);
    bool ok = !ferror (file) && *size <= max;
    fclose (file);
    if (!ok) {
        free (text);
        return NULL;
    }
    text[*size] = 0;
    return text;
}

/* Parses note and checks the log's signature on it: JK_OK, or JK_INVALID
   with the reason in err. */
static int s_trusted (jk_ckwatch_t *self, const char *note, size_t size,
                      jk_checkpoint_t *cp, char *err, size_t err_size)
{
    if (jk_checkpoint_parse (note, size, cp, err, err_size) != JK_OK)
        return JK_INVALID;
    if (strcmp (cp->origin, self->log.name) != 0) {
        snprintf (err, err_size, "origin %s is not the log key's name %s",
                  cp->origin, self->log.name);
        return JK_INVALID;
    }
    return jk_checkpoint_trusted (cp, &self->log, NULL, 0, 0, err, err_size);
}

/* Keeps note (verified) as the one held, in memory and in the file
   (written whole, then renamed over the old one). */
static void s_hold (jk_ckwatch_t *self, const jk_checkpoint_t *cp,
                    const char *note)
{
    self->held = *cp;
    free (self->held_note);
    self->held_note = jk_strdup (note);
    self->changed = true;
    char *tmp = jk_sprintf ("%s.tmp", self->path);
    FILE *file = fopen (tmp, "w");
    bool ok = file && fputs (note, file) != EOF && fflush (file) == 0 &&
              fsync (fileno (file)) == 0;
    if (file && fclose (file) != 0)
        ok = false;
    if (!ok || rename (tmp, self->path) != 0)
        jk_error ("status", "cannot keep the verified checkpoint in %s: %s",
                  self->path, strerror (errno));
    free (tmp);
}

/* The fork alarm: both notes into the evidence file, the alarm set. */
static void s_fork (jk_ckwatch_t *self, const char *why_id, const char *why_en,
                    const char *seen_note)
{
    char when[26];
    jk_time_format_wib (jk_clock_now_ms (), when);
    FILE *file = fopen (self->fork_path, "a");
    bool ok =
        file && fprintf (file,
                         "jejak-fork/1 %s\n%s\n--- the checkpoint verified "
                         "before\n%s--- the checkpoint the hub shows now\n%s"
                         "--- end\n",
                         when, why_en, self->held_note, seen_note) > 0;
    if (file && fclose (file) != 0)
        ok = false;
    self->evidence_kept = ok;
    snprintf (self->alarm, sizeof self->alarm,
              "LOG BERCABANG: %s; bukti: %s / LOG FORKED: %s; evidence: %s",
              why_id, ok ? self->fork_path : "(tidak tersimpan)", why_en,
              ok ? self->fork_path : "(not kept)");
    jk_error ("status", "%s", self->alarm);
    self->changed = true;
}

jk_ckwatch_t *jk_ckwatch_new (const char *log_vkey, const char *path, char *err,
                              size_t err_size)
{
    jk_ckwatch_t *self = jk_calloc (1, sizeof *self);
    char why[320];
    if (jk_note_vkey_parse (log_vkey, self->log.name, &self->log.type,
                            self->log.pub, why, sizeof why) != JK_OK) {
        snprintf (err, err_size, "--log-key: %s", why);
        goto fail;
    }
    if (self->log.type != JK_NOTE_TYPE_ED25519) {
        snprintf (err, err_size,
                  "--log-key: %s is a witness's key (type 04), not the log's",
                  self->log.name);
        goto fail;
    }
    self->path = jk_strdup (path);
    self->fork_path = jk_sprintf ("%s.forks", path);
    size_t size = 0;
    char *note = s_read (path, JK_NOTE_MAX, &size);
    if (!note && access (path, F_OK) == 0) {
        snprintf (err, err_size, "--checkpoint-file %s cannot be read", path);
        goto fail;
    }
    if (note) {
        if (s_trusted (self, note, size, &self->held, why, sizeof why) !=
            JK_OK) {
            snprintf (err, err_size,
                      "--checkpoint-file %s: not a checkpoint of this log: "
                      "%s",
                      path, why);
            free (note);
            goto fail;
        }
        self->held_note = note;
    }
    /* Evidence left by an earlier run: the alarm stands from the start,
       until an operator moves the evidence aside. */
    if (access (self->fork_path, F_OK) == 0) {
        snprintf (self->alarm, sizeof self->alarm,
                  "LOG BERCABANG: bukti percabangan yang belum dibersihkan "
                  "masih ada; bukti: %s / LOG FORKED: the evidence of a fork "
                  "not yet cleared is still there; evidence: %s",
                  self->fork_path, self->fork_path);
        self->evidence_kept = true;
        self->changed = true;
        jk_error ("status", "%s", self->alarm);
    }
    return self;
fail:
    jk_ckwatch_destroy (&self);
    return NULL;
}

void jk_ckwatch_destroy (jk_ckwatch_t **self_p)
{
    jk_ckwatch_t *self = *self_p;
    if (!self)
        return;
    free (self->path);
    free (self->fork_path);
    free (self->held_note);
    free (self->seen_note);
    free (self->next_note);
    free (self);
    *self_p = NULL;
}

/* The alarm stands while its evidence file does; once an operator moved
   it aside (jk_ckwatch_clear), the watch starts afresh: no alarm, nothing
   held, the next checkpoint trusted on sight. An alarm whose notes could
   not be written has no file to move: it stands until the board is
   restarted, so a missing file is never taken for a clear. */
static bool s_alarm_stands (jk_ckwatch_t *self)
{
    if (!self->alarm[0])
        return false;
    if (!self->evidence_kept || access (self->fork_path, F_OK) == 0 ||
        errno != ENOENT)
        return true;
    jk_info ("status",
             "the fork alarm was cleared (%s moved aside): the next "
             "checkpoint is trusted on sight",
             self->fork_path);
    self->alarm[0] = 0;
    free (self->held_note);
    self->held_note = NULL;
    free (self->next_note);
    self->next_note = NULL;
    self->changed = true;
    return false;
}

zmsg_t *jk_ckwatch_seen (jk_ckwatch_t *self, const char *note, size_t size)
{
    if (s_alarm_stands (self))
        return NULL; /* the evidence is kept; the alarm stays */
    if (self->seen_note) {
        free (self->next_note);
        self->next_note = jk_strndup (note, size);
        return NULL;
    }
    jk_checkpoint_t *cp = &self->seen;
    char why[320];
    if (s_trusted (self, note, size, cp, why, sizeof why) != JK_OK) {
        jk_warn ("status",
                 "a checkpoint without the log's valid signature "
                 "was ignored: %s",
                 why);
        return NULL;
    }
    char *text = jk_strndup (note, size);
    if (!self->held_note) {
        s_hold (self, cp, text); /* the first: trusted on first sight */
        free (text);
        return NULL;
    }
    if (cp->size == self->held.size) {
        if (memcmp (cp->root, self->held.root, 32) != 0) {
            char id[200], en[200];
            snprintf (id, sizeof id,
                      "checkpoint hub %llu catatan berbeda kepala dengan "
                      "yang sudah diverifikasi",
                      (unsigned long long)cp->size);
            snprintf (en, sizeof en,
                      "the hub's checkpoint of %llu records has another head "
                      "than the one this board verified",
                      (unsigned long long)cp->size);
            s_fork (self, id, en, text);
        } else if (strlen (text) > strlen (self->held_note))
            s_hold (self, cp, text); /* more cosignatures */
        free (text);
        return NULL;
    }
    self->seen_note = text;
    uint64_t a = cp->size < self->held.size ? cp->size : self->held.size;
    uint64_t b = cp->size < self->held.size ? self->held.size : cp->size;
    zmsg_t *msg = jk_wire_new ("PROOF");
    zmsg_addstr (msg, "CONSISTENCY");
    jk_wire_add_u64 (msg, a);
    jk_wire_add_u64 (msg, b);
    return msg;
}

bool jk_ckwatch_waiting (jk_ckwatch_t *self)
{
    return self->seen_note != NULL;
}

/* The checkpoint waiting did not extend the one held: the alarm. */
static void s_not_consistent (jk_ckwatch_t *self, bool cut)
{
    char id[240], en[240];
    unsigned long long seen = self->seen.size, held = self->held.size;
    if (cut) {
        snprintf (id, sizeof id,
                  "log hub lebih pendek (checkpoint %llu catatan) daripada "
                  "checkpoint %llu yang sudah diverifikasi",
                  seen, held);
        snprintf (en, sizeof en,
                  "the hub's log (checkpoint of %llu records) is shorter than "
                  "the checkpoint of %llu this board verified",
                  seen, held);
    } else {
        snprintf (id, sizeof id,
                  "checkpoint hub %llu catatan tidak konsisten dengan "
                  "checkpoint %llu yang sudah diverifikasi",
                  seen, held);
        snprintf (en, sizeof en,
                  "the hub's checkpoint of %llu records and the one of %llu "
                  "this board verified are not consistent",
                  seen, held);
    }
    s_fork (self, id, en, self->seen_note);
}

zmsg_t *jk_ckwatch_answer (jk_ckwatch_t *self, const char *command, zmsg_t *msg)
{
    if (!self->seen_note)
        return NULL;
    const jk_checkpoint_t *seen = &self->seen, *held = &self->held;
    bool older = seen->size < held->size;
    const jk_checkpoint_t *a = older ? seen : held, *b = older ? held : seen;
    if (streq (command, "PROOF")) {
        char *kind = zmsg_popstr (msg);
        uint64_t from = 0, to = 0;
        zframe_t *proof = NULL;
        bool shaped = kind && streq (kind, "CONSISTENCY") &&
                      jk_wire_pop_u64 (msg, &from) == 0 &&
                      jk_wire_pop_u64 (msg, &to) == 0 && from == a->size &&
                      to == b->size && (proof = zmsg_pop (msg)) != NULL;
        free (kind);
        bool ok =
            shaped && jk_checkpoint_consistent (a, b, zframe_data (proof),
                                                zframe_size (proof)) == JK_OK;
        zframe_destroy (&proof);
        if (!ok)
            s_not_consistent (self, false);
        else if (!older)
            s_hold (self, seen, self->seen_note);
    } else if (streq (command, "ERROR")) {
        char *code = zmsg_popstr (msg);
        /* The hub cannot prove up to the size verified: its log is
           shorter. Anything else: asked again with the next one seen. */
        if (older && code && streq (code, "E_PROOF_RANGE"))
            s_not_consistent (self, true);
        free (code);
    } else
        return NULL;
    free (self->seen_note);
    self->seen_note = NULL;
    char *next = self->next_note;
    self->next_note = NULL;
    zmsg_t *ask = next ? jk_ckwatch_seen (self, next, strlen (next)) : NULL;
    free (next);
    return ask;
}

/* path renamed to path.cleared-STAMP (a number added when taken), the
   new name into moved (heap); JK_OK, JK_NOT_FOUND (no such file) or
   JK_IO with err. */
static int s_aside (const char *path, const char *stamp, char **moved,
                    char *err, size_t err_size)
{
    *moved = NULL;
    if (access (path, F_OK) != 0)
        return JK_NOT_FOUND;
    char *to = jk_sprintf ("%s.cleared-%s", path, stamp);
    for (int n = 2; access (to, F_OK) == 0 && n < 100; n++) {
        free (to);
        to = jk_sprintf ("%s.cleared-%s-%d", path, stamp, n);
    }
    if (access (to, F_OK) == 0 || rename (path, to) != 0) {
        snprintf (err, err_size, "cannot move %s aside to %s: %s", path, to,
                  access (to, F_OK) == 0 ? "it exists" : strerror (errno));
        free (to);
        return JK_IO;
    }
    *moved = to;
    return JK_OK;
}

int jk_ckwatch_clear (const char *path, char *out, size_t out_size)
{
    char stamp[20], *forks = jk_sprintf ("%s.forks", path);
    time_t now = (time_t)(jk_clock_now_ms () / 1000);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    char *forks_to = NULL, *held_to = NULL;
    int rc = access (forks, F_OK) == 0 ? JK_OK : JK_NOT_FOUND;
    if (rc == JK_NOT_FOUND)
        snprintf (out, out_size, "no fork alarm to clear: %s does not exist",
                  forks);
    else {
        /* The checkpoint verified before the fork first (the next one seen
           is trusted on sight instead of checked against it), the evidence
           last: a running board drops its alarm when the evidence goes and
           at once keeps the next checkpoint in path, which the other order
           would then move aside in place of the one verified before. */
        rc = s_aside (path, stamp, &held_to, out, out_size);
        if (rc != JK_IO)
            rc = s_aside (forks, stamp, &forks_to, out, out_size);
        if (rc == JK_IO && held_to) {
            /* The evidence stayed: the checkpoint goes back where it was,
               so the alarm and what it was checked against stand as they
               were. */
            size_t said = strlen (out);
            if (rename (held_to, path) == 0)
                snprintf (out + said, out_size - said,
                          "; nothing was moved (%s is back)", path);
            else
                snprintf (out + said, out_size - said,
                          "; the checkpoint verified before the fork is now "
                          "%s and could not be moved back to %s: %s",
                          held_to, path, strerror (errno));
        } else if (rc == JK_NOT_FOUND)
            snprintf (out, out_size,
                      "no fork alarm to clear: %s does not exist", forks);
        else if (rc == JK_OK) {
            snprintf (out, out_size,
                      "fork alarm cleared: the evidence %s is now %s%s%s%s; "
                      "the next checkpoint seen is trusted on sight",
                      forks, forks_to, held_to ? ", the checkpoint " : "",
                      held_to ? "verified before it " : "",
                      held_to ? held_to : "");
        }
    }
    free (forks);
    free (forks_to);
    free (held_to);
    return rc;
}

uint64_t jk_ckwatch_size (jk_ckwatch_t *self)
{
    return self->held_note ? self->held.size : 0;
}

const char *jk_ckwatch_alarm (jk_ckwatch_t *self)
{
    s_alarm_stands (self);
    return self->alarm;
}

bool jk_ckwatch_changed (jk_ckwatch_t *self)
{
    bool changed = self->changed;
    self->changed = false;
    return changed;
}
