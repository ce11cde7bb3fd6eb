/*  once.c - the board from one SNAPSHOT of the store: jejak-status
    --once, and the web page's date picker (as of a day). */
#include "status_run.h"

#include "jk_endpoint.h"

#include <stdlib.h>
#include <string.h>

/* One SNAPSHOT request as of day (JK_STATUS_TODAY: the store's today). Returns
   0 with the position, hash frame and snapshot frame (the caller destroys
   them), or -1 with a message in err. */
static int s_snapshot_ask (const jk_status_store_t *store, int32_t day,
                           uint64_t *pos, zframe_t **hash, zframe_t **snapshot,
                           char *err, size_t err_size)
{
    char as_of[11] = "";
    if (day != JK_STATUS_TODAY)
        jk_date_format (day, as_of);
    *hash = *snapshot = NULL;
    zsock_t *query = zsock_new (ZMQ_DEALER);
    zsock_set_linger (query, 0);
    if (jk_status_curve (query, store->endpoint, store->broker_key,
                         store->key) ||
        jk_endpoint_connect (query, store->endpoint)) {
        snprintf (err, err_size, "cannot connect to --query %s",
                  store->endpoint);
        zsock_destroy (&query);
        return -1;
    }
    zmsg_t *msg = jk_wire_new ("SNAPSHOT");
    zmsg_addstr (msg, as_of);
    if (store->rule)
        zmsg_addstr (msg, store->rule);
    zmsg_send (&msg, query);
    zpoller_t *poller = zpoller_new (query, NULL);
    char command[16];
    int rc = -1;
    if (!zpoller_wait (poller, store->timeout_s * 1000)) {
        snprintf (err, err_size,
                  "the store did not answer at --query %s within %d s (is "
                  "jejak-hub or jejak-store running?)",
                  store->endpoint, store->timeout_s);
        goto cleanup;
    }
    msg = zmsg_recv (query);
    if (!msg || jk_wire_open (msg, command, sizeof command)) {
        snprintf (err, err_size, "malformed answer from %s", store->endpoint);
        goto cleanup;
    }
    if (strcmp (command, "ERROR") == 0) {
        char *code = zmsg_popstr (msg);
        char *text = zmsg_popstr (msg);
        snprintf (err, err_size, "the store refused: %s: %s", code ? code : "?",
                  text ? text : "?");
        free (code);
        free (text);
        goto cleanup;
    }
    if (strcmp (command, "SNAPSHOT") != 0 || jk_wire_pop_u64 (msg, pos) ||
        !(*hash = zmsg_pop (msg)) || zframe_size (*hash) != 32 ||
        !(*snapshot = zmsg_pop (msg))) {
        snprintf (err, err_size, "unexpected answer %s from %s", command,
                  store->endpoint);
        zframe_destroy (hash);
        zframe_destroy (snapshot);
        goto cleanup;
    }
    rc = 0;
cleanup:
    zmsg_destroy (&msg);
    zpoller_destroy (&poller);
    zsock_destroy (&query);
    return rc;
}

/* jk_web_as_of_fn: SNAPSHOT as of day from the store, as the board's JSON
   document ("state": "as-of"). */
char *jk_status_web_as_of (void *arg, int32_t day, size_t *size, char *err,
                           size_t err_size)
{
    const jk_status_as_of_t *ctx = (const jk_status_as_of_t *)arg;
    uint64_t pos = 0;
    zframe_t *hash = NULL, *snapshot = NULL;
    if (s_snapshot_ask (&ctx->store, day, &pos, &hash, &snapshot, err,
                        err_size))
        return NULL;
    jk_status_view_t view = {.snapshot = zframe_data (snapshot),
                             .snapshot_size = zframe_size (snapshot),
                             .state = "as-of",
                             .pos = pos,
                             .head = pos,
                             .hash = zframe_data (hash),
                             .kecamatan = ctx->kecamatan,
                             .batch = ctx->batch,
                             .now_ms = jk_clock_now_ms ()};
    char *text = NULL;
    *size = 0;
    FILE *out = open_memstream (&text, size);
    int rc = out ? jk_render_json (out, &view) : -1;
    if (out)
        fclose (out);
    zframe_destroy (&hash);
    zframe_destroy (&snapshot);
    if (rc != 0) {
        snprintf (err, err_size, "the store's snapshot could not be read");
        free (text);
        return NULL;
    }
    return text;
}

/* The one-shot board: SNAPSHOT from the store, rendered once. */
int jk_status_once (jk_opts_t *opts, const jk_status_store_t *store,
                    jk_status_view_t *view, bool json, int32_t day)
{
    uint64_t pos = 0;
    zframe_t *hash = NULL, *snapshot = NULL;
    char err[512];
    if (s_snapshot_ask (store, day, &pos, &hash, &snapshot, err, sizeof err)) {
        fprintf (stderr, "jejak-status: %s\n", err);
        return 1;
    }
    view->snapshot = zframe_data (snapshot);
    view->snapshot_size = zframe_size (snapshot);
    view->state = "snapshot";
    zsock_t *link = jk_status_link_socket (opts);
    char *link_text = NULL;
    if (link) {
        jk_status_link_ask (link);
        if (!jk_status_link_take (link, 1000, &link_text))
            link_text = jk_strdup ("");
        view->link = link_text;
    }
    view->pos = pos;
    view->head = pos;
    view->hash = zframe_data (hash);
    view->now_ms = jk_clock_now_ms ();
    int render = json ? jk_render_json (stdout, view)
                      : jk_render_term (stdout, view, false);
    view->link = NULL;
    free (link_text);
    zsock_destroy (&link);
    zframe_destroy (&hash);
    zframe_destroy (&snapshot);
    return render >= 0 ? 0 : 1;
}
