/*  store_checkpoints.c - the store actor (jk_store.h, store_internal.h):
    checkpoints: signing the stored tree when due or asked, cosignatures. */
#include "store_internal.h"

/* Whether the newest checkpoint covers the stored tree. */
static bool s_covered (jk_store_t *self)
{
    return jk_signer_note (self->signer) &&
           self->tree_size == jk_signer_size (self->signer);
}

/* Mono ms at which the next checkpoint is due, or INT64_MAX when the
   newest covers the stored tree and nobody asked, or a CHECKPOINT asked
   waits for the tree to reach the head it arrived at. */
int64_t jk_store_sign_due (jk_store_t *self)
{
    if (!self->signer || self->fatal)
        return INT64_MAX;
    if (self->sign_asked) {
        if (self->tree_next < self->sign_target)
            return INT64_MAX; /* the tree thread's update wakes us */
        if (s_covered (self) && self->tree_size >= self->sign_target)
            return 0; /* the newest answers it */
        return self->signed_mono + JK_CHECKPOINT_ASKED_MS;
    }
    if (s_covered (self))
        return INT64_MAX;
    return self->signed_mono + self->sign_every_ms;
}

/* Signs the stored tree and stores the note. */
static int s_sign_store (jk_store_t *self)
{
    uint64_t size = self->tree_size;
    uint8_t root[32];
    memcpy (root, self->tree_head, sizeof root);
    int rc = jk_signer_sign (self->signer, size, root, jk_clock_now_ms ());
    self->signed_mono = jk_clock_mono_ms ();
    if (rc != JK_OK)
        jk_error ("store", "checkpoint of %llu records not signed: %s",
                  (unsigned long long)size,
                  rc == JK_IO ? jk_log_errmsg (self->log)
                              : "smaller than the newest");
    return rc;
}

/* Signs the committed tree when due (or now, with force), stores the
   note, hands it to the broker and to a waiting query endpoint. Outside
   any transaction. */
void jk_store_sign (jk_store_t *self, bool force)
{
    if (!self->signer ||
        (!force && jk_clock_mono_ms () < jk_store_sign_due (self)))
        return;
    if (self->sign_asked && self->tree_size < self->sign_target) {
        jk_store_tree_flush (self);
        if (self->tree_size < self->sign_target)
            return; /* the tree's next update brings it */
    }
    if (!s_covered (self) && s_sign_store (self) == JK_OK) {
        zmsg_t *msg = jk_wire_new ("CHECKPOINT");
        zmsg_addstr (msg, jk_signer_note (self->signer));
        jk_store_backend_send (self, &msg);
    } else if (self->announce && jk_signer_note (self->signer)) {
        /* At start: the broker publishes the newest, even when it was
           signed before the query endpoint opened or by an earlier run. */
        zmsg_t *msg = jk_wire_new ("CHECKPOINT");
        zmsg_addstr (msg, jk_signer_note (self->signer));
        jk_store_backend_send (self, &msg);
    }
    self->announce = false;
    /* The query endpoint hears of every new checkpoint, and gets the
       newest when it asked (even when signing failed), marked as the
       answer to its SIGN: only that one covers what its clients asked
       for. */
    if (self->query) {
        const char *note = jk_signer_note (self->signer);
        zstr_sendm (self->query, "CHECKPOINT");
        zstr_sendm (self->query, note ? note : "");
        zstr_send (self->query, self->sign_asked ? "1" : "0");
    }
    self->sign_asked = false;
}

/* COSIGN from the query endpoint's actor: [routing][note] of a witness;
   the answer goes back as [COSIGNED][routing][code][message][size][held].
   A new cosignature of the newest checkpoint is published again (the
   broker's $checkpoint) with every cosignature kept for it. */
static void s_cosign (jk_store_t *self, zmsg_t *msg)
{
    zframe_t *routing = zmsg_pop (msg);
    zframe_t *note = zmsg_pop (msg);
    char err[320] = "";
    uint64_t size = 0;
    int held = 0;
    int rc =
        routing && note
            ? jk_signer_cosign (self->signer, (const char *)zframe_data (note),
                                zframe_size (note), jk_clock_now_ms (), &size,
                                &held, err, sizeof err)
            : JK_INVALID;
    if (rc == JK_OK && size == jk_signer_size (self->signer)) {
        zmsg_t *feed = jk_wire_new ("CHECKPOINT");
        zmsg_addstr (feed, jk_signer_note (self->signer));
        jk_store_backend_send (self, &feed);
    }
    if (routing) {
        char *space = strchr (err, ' ');
        if (space)
            *space = 0;
        zmsg_t *reply = zmsg_new ();
        zmsg_addstr (reply, "COSIGNED");
        zmsg_append (reply, &routing);
        zmsg_addstr (reply, rc == JK_OK ? "" : err);
        zmsg_addstr (reply, rc == JK_OK || !space ? "" : space + 1);
        zmsg_addmem (reply, &size, sizeof size);
        zmsg_addmem (reply, &held, sizeof held);
        zmsg_send (&reply, self->query);
    }
    zframe_destroy (&routing);
    zframe_destroy (&note);
}

/* A message from the query endpoint's actor: SIGN asks for a checkpoint
   of the committed tree; COSIGN brings a witness's cosignature. */
void jk_store_query_ready (jk_store_t *self)
{
    zmsg_t *msg = zmsg_recv (self->query);
    char *command = msg ? zmsg_popstr (msg) : NULL;
    if (command && streq (command, "SIGN") && self->signer) {
        /* The answer covers every record committed now: once the tree
           is there, the newest checkpoint when it covers the tree,
           otherwise a new one (jk_store_sign_due). */
        if (!self->sign_asked)
            self->sign_target = jk_log_head (self->log, NULL);
        self->sign_asked = true;
        if (self->tree_next < self->sign_target)
            zstr_send (self->tree, "WAKE");
        jk_store_sign (self, false);
    } else if (command && streq (command, "COSIGN") && self->signer)
        s_cosign (self, msg);
    zstr_free (&command);
    zmsg_destroy (&msg);
}

/* Opens the signer with config's log key and witnesses, and signs the
   start checkpoint when the newest does not cover the log. 0 or -1
   (logged). */
int jk_store_signer_init (jk_store_t *self, const jk_store_config_t *config)
{
    char err[512];
    self->signer = jk_signer_new (
        jk_log_db (self->log), config->log_key_path, config->witnesses,
        jk_log_head (self->log, NULL), err, sizeof err);
    if (!self->signer) {
        jk_error ("store", "checkpoints: %s", err);
        return -1;
    }
    self->sign_every_ms = config->checkpoint_ms > 0 ? config->checkpoint_ms
                                                    : JK_CHECKPOINT_EVERY_MS;
    jk_info ("store",
             "checkpoints signed as %s at most %lld ms after a commit "
             "(newest: %llu records; %d trusted witnesses)",
             jk_signer_origin (self->signer), (long long)self->sign_every_ms,
             (unsigned long long)jk_signer_size (self->signer),
             jk_signer_witnesses (self->signer));
    /* The start checkpoint is signed and stored before the query
       endpoint opens, so HEAD never answers an empty note from a hub
       that signs. */
    if (!s_covered (self))
        s_sign_store (self);
    return 0;
}
