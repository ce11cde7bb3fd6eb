/*  broker_clients.c - the clients the broker serves: their table, and
    the protocol errors and refusals answered to them. */
#include "broker_internal.h"

#include <string.h>

/* Clients remembered at most; beyond this new clients are served but not
   tracked (no $office, no once-per-client log). */
#define S_CLIENTS_MAX 100000

void jk_broker_client_free (void **item)
{
    free (*item);
    *item = NULL;
}

void jk_broker_client_name (jk_broker_client_t *client, const void *data,
                            size_t size)
{
    jk_envelope_t envelope;
    if (client && !client->heartbeat.source[0] && size <= JK_EVENT_MAX_BYTES &&
        jk_envelope_peek (data, size, &envelope))
        snprintf (client->heartbeat.source, sizeof client->heartbeat.source,
                  "%s", envelope.source);
}

/* Finds or creates the entry of a client, refreshing its last-seen time.
   NULL when the table is full. */
jk_broker_client_t *jk_broker_client_touch (jk_broker_state_t *self,
                                            zframe_t *rid)
{
    return jk_broker_client_touch_id (self, zframe_data (rid),
                                      zframe_size (rid));
}

jk_broker_client_t *jk_broker_client_touch_id (jk_broker_state_t *self,
                                               const void *rid, size_t size)
{
    char key[sizeof ((jk_broker_client_t *)0)->key];
    jk_hex_format (rid, size < 256 ? size : 256, key);
    jk_broker_client_t *client =
        (jk_broker_client_t *)zhashx_lookup (self->clients, key);
    if (!client) {
        if (zhashx_size (self->clients) >= S_CLIENTS_MAX)
            return NULL;
        client = (jk_broker_client_t *)jk_calloc (1, sizeof *client);
        memcpy (client->key, key, sizeof key);
        zhashx_insert (self->clients, key, client);
        jk_debug (S_COMPONENT, "client connected client=%s", key);
    }
    client->last_seen_mono = jk_clock_mono_ms ();
    client->last_seen_ms = jk_clock_now_ms ();
    return client;
}

/* Answers a protocol error to a client, counts it, and logs it the first
   time for that client. */
void jk_broker_protocol_error (jk_broker_state_t *self, zframe_t *rid,
                               jk_broker_client_t *client, const char *code,
                               const char *message)
{
    self->counters.protocol_errors++;
    if (!client || !client->error_logged) {
        jk_warn (S_COMPONENT,
                 "protocol error client=%s code=%s reason=\"%s\" "
                 "(further errors from this client are counted only)",
                 client ? client->key : "?", code, message);
        if (client)
            client->error_logged = true;
    }
    zmsg_t *reply = jk_wire_error (code, message);
    zframe_t *dup = zframe_dup (rid);
    zmsg_prepend (reply, &dup);
    if (jk_broker_send_nowait (&reply, self->ingest))
        zmsg_destroy (&reply);
}

/* Answers every event of a SUBMIT (frames from the cursor on) with one
   retryable NACK carrying code. */
void jk_broker_refuse (jk_broker_state_t *self, zframe_t *rid, zmsg_t *events,
                       const char *code, const char *message)
{
    zmsg_t *reply = jk_wire_new ("ANSWER");
    for (zframe_t *f = zmsg_first (events); f; f = zmsg_next (events)) {
        jk_answer_t answer;
        memset (&answer, 0, sizeof answer);
        /* The id as far as it reads (at any size); zeros when it does
           not. */
        jk_envelope_id (zframe_data (f), zframe_size (f), answer.id);
        answer.kind = JK_ANSWER_NACK;
        snprintf (answer.code, sizeof answer.code, "%s", code);
        snprintf (answer.message, sizeof answer.message, "%s", message);
        jk_answer_add (reply, &answer);
    }
    zframe_t *dup = zframe_dup (rid);
    zmsg_prepend (reply, &dup);
    if (jk_broker_send_nowait (&reply, self->ingest))
        zmsg_destroy (&reply);
}
