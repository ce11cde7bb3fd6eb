/*  courier.c - jejak-office's delivery thread: the agents' delivery loop
    (jk_delivery_run) on its own outbox handle, run whenever something is
    waiting, woken at once when a clerk queues an event; with the log's
    key, the receipts' inclusion proofs (jk_proofs_run) after each run
    that stored something. */
#include "jk_office.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RUN_MS   5000 /* one delivery run at most, then look again */
#define S_IDLE_MS  2000 /* nothing to send: look again this often */
#define S_RETRY_MS 1000 /* the hub did not answer: next run after this */

struct jk_courier_s {
    jk_outbox_t *outbox; /* the courier's own handle: it never puts */
    jk_delivery_config_t config;
    jk_proofs_config_t proofs; /* .log_key NULL: no proofs */
    char *log_key;             /* owned copy for proofs */
    bool prove;                /* receipts wait for their proofs */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool woken, stopping;
    jk_courier_state_t state;
};

static void s_wait (jk_courier_t *self, int ms)
{
    struct timespec ts = jk_office_deadline (ms);
    pthread_mutex_lock (&self->lock);
    while (!self->woken && !self->stopping)
        if (pthread_cond_timedwait (&self->wake, &self->lock, &ts) != 0)
            break;
    self->woken = false;
    pthread_mutex_unlock (&self->lock);
}

/* Proves the receipts that have no proof yet; says what it did in the
   log (and the fork alarm as an error). */
static void s_prove (jk_courier_t *self)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    jk_proofs_stats_t stats;
    memset (&stats, 0, sizeof stats);
    int rc =
        out ? jk_proofs_run (self->outbox, &self->proofs, false, &stats, out)
            : JK_IO;
    if (out)
        fclose (out);
    for (char *line = text ? strtok (text, "\n") : NULL; line;
         line = strtok (NULL, "\n")) {
        if (stats.fork || stats.failed)
            jk_error ("courier", "%s", line);
        else
            jk_info ("courier", "%s", line);
    }
    free (text);
    if (stats.proven)
        jk_info ("courier",
                 "proofs: %llu receipts proven against the checkpoint of "
                 "%llu records",
                 (unsigned long long)stats.proven,
                 (unsigned long long)stats.size);
    pthread_mutex_lock (&self->lock);
    self->state.proven += stats.proven;
    if (stats.fork || stats.failed)
        self->state.fork = true;
    pthread_mutex_unlock (&self->lock);
    /* Not reached, or the checkpoint does not cover them yet: again. */
    self->prove = rc != JK_OK || stats.uncovered > 0;
}

static void *s_run (void *arg)
{
    jk_courier_t *self = (jk_courier_t *)arg;
    jk_thread_enter (NULL);
    while (true) {
        pthread_mutex_lock (&self->lock);
        bool stop = self->stopping;
        pthread_mutex_unlock (&self->lock);
        if (stop)
            break;
        int64_t open = jk_outbox_open_count (self->outbox, 0);
        if (open <= 0) {
            if (self->prove && self->log_key)
                s_prove (self);
            s_wait (self, S_IDLE_MS);
            continue;
        }
        jk_delivery_stats_t stats;
        memset (&stats, 0, sizeof stats);
        int64_t started = jk_clock_now_ms ();
        int rc =
            jk_delivery_run (self->outbox, &self->config, S_RUN_MS, 0, &stats);
        pthread_mutex_lock (&self->lock);
        self->state.last_try_ms = started;
        self->state.stored += stats.stored;
        self->state.rejected += stats.rejected;
        self->state.reconnects += stats.reconnects;
        bool heard = stats.stored + stats.rejected + stats.retried > 0;
        if (heard)
            self->state.last_contact_ms = jk_clock_now_ms ();
        self->state.link_up = heard;
        pthread_mutex_unlock (&self->lock);
        if (rc == JK_IO)
            jk_error ("courier", "outbox error; retrying");
        if (stats.stored > 0)
            self->prove = true;
        if (self->prove && self->log_key && heard)
            s_prove (self);
        if (!heard)
            s_wait (self, S_RETRY_MS);
    }
    return NULL;
}

jk_courier_t *jk_courier_new (const char *outbox_path, const char *source,
                              const jk_delivery_config_t *config,
                              const jk_proofs_config_t *proofs, char *err,
                              size_t err_size)
{
    jk_courier_t *self = jk_calloc (1, sizeof *self);
    if (proofs && proofs->log_key) {
        self->proofs = *proofs;
        self->log_key = jk_strdup (proofs->log_key);
        self->proofs.log_key = self->log_key;
        self->prove = true; /* receipts stored before this start */
        self->state.proofs = true;
    }
    self->outbox = jk_outbox_open (outbox_path, source, err, err_size);
    if (!self->outbox) {
        free (self);
        return NULL;
    }
    self->config = *config;
    if (!self->config.answer_timeout_ms)
        self->config.answer_timeout_ms = 3000;
    pthread_mutex_init (&self->lock, NULL);
    jk_office_cond_init (&self->wake);
    if (pthread_create (&self->thread, NULL, s_run, self) != 0) {
        snprintf (err, err_size, "cannot start the delivery thread");
        jk_outbox_close (&self->outbox);
        free (self);
        return NULL;
    }
    return self;
}

void jk_courier_destroy (jk_courier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_courier_t *self = *self_p;
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    jk_outbox_close (&self->outbox);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self->log_key);
    free (self);
    *self_p = NULL;
}

void jk_courier_wake (jk_courier_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->woken = true;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
}

void jk_courier_state (jk_courier_t *self, jk_courier_state_t *out)
{
    pthread_mutex_lock (&self->lock);
    *out = self->state;
    pthread_mutex_unlock (&self->lock);
}
