/*  publish.c - republishes a stored log onto a feed (XPUB) in the broker's
    record format, instantly or at N times the original pace, with $head
    heartbeats, so a status board can be driven from an old log. Called by
    jejak-replay publish and the tests. */
#include "jk_endpoint.h"
#include "jk_replay.h"
#include "jk_wire.h"

#include <string.h>

typedef struct {
    zsock_t *pub;          /* the feed */
    zpoller_t *poller;     /* on pub, for subscriptions */
    uint64_t subscribers;  /* subscriptions seen minus unsubscribes */
    uint64_t head_pos;     /* last record published */
    uint8_t head_hash[32]; /* its chain hash */
    int64_t head_sent;     /* monotonic ms of the last $head */
} s_feed_t;

/* Reads every pending subscription message without blocking. */
static void s_drain (s_feed_t *feed)
{
    while (zsock_events (feed->pub) & ZMQ_POLLIN) {
        zframe_t *frame = zframe_recv (feed->pub);
        if (!frame)
            return;
        if (zframe_size (frame) > 0) {
            if (zframe_data (frame)[0] == 1)
                feed->subscribers++;
            else if (feed->subscribers > 0)
                feed->subscribers--;
        }
        zframe_destroy (&frame);
    }
}

static void s_send_head (s_feed_t *feed)
{
    jk_record_t head = {.pos = feed->head_pos};
    strcpy (head.topic, JK_FEED_HEAD);
    memcpy (head.hash, feed->head_hash, 32);
    zmsg_t *msg = jk_record_msg (&head);
    zmsg_send (&msg, feed->pub);
    zmsg_destroy (&msg);
    feed->head_sent = jk_clock_mono_ms ();
}

/* Waits until the monotonic deadline, answering subscriptions and
   sending $head every second meanwhile. False when interrupted. */
static bool s_wait_until (s_feed_t *feed, int64_t deadline)
{
    while (!zsys_interrupted) {
        int64_t now = jk_clock_mono_ms ();
        if (now - feed->head_sent >= JK_HEARTBEAT_MS)
            s_send_head (feed);
        if (now >= deadline)
            return true;
        int64_t next = feed->head_sent + JK_HEARTBEAT_MS;
        int64_t wake = deadline < next ? deadline : next;
        if (zpoller_wait (feed->poller, (int)(wake - now)))
            s_drain (feed);
    }
    return false;
}

static int s_publish_row (s_feed_t *feed, const jk_replay_row_t *row)
{
    jk_record_t record = {.pos = row->pos,
                          .recorded_at = row->recorded_at,
                          .bytes = row->bytes,
                          .size = row->size};
    const char *type = row->type[0] ? row->type : "unknown";
    snprintf (record.topic, sizeof record.topic, "%s%s",
              row->outcome ? JK_REJECTED_PREFIX : "", type);
    memcpy (record.hash, row->hash, 32);
    if (row->outcome) {
        snprintf (record.code, sizeof record.code, "%s",
                  row->code[0] ? row->code : "E_REJECTED");
        snprintf (record.message, sizeof record.message, "%s", row->message);
    }
    zmsg_t *msg = jk_record_msg (&record);
    /* A blocking send: with XPUB_NODROP a slow subscriber holds us back
       rather than losing records. */
    int rc = zmsg_send (&msg, feed->pub);
    zmsg_destroy (&msg);
    if (rc != 0)
        return -1;
    feed->head_pos = row->pos;
    memcpy (feed->head_hash, row->hash, 32);
    return 0;
}

/* The head before anything is published is the record just before
   from_pos, so a subscriber can tell where this replay starts. */
static void s_head_before (s_feed_t *feed, sqlite3 *db, uint64_t from_pos,
                           char *err, size_t err_size)
{
    if (from_pos <= 1)
        return;
    jk_replay_cursor_t *before =
        jk_replay_cursor_new (db, from_pos - 1, from_pos - 1, err, err_size);
    jk_replay_row_t row;
    if (before && jk_replay_cursor_next (before, &row, err, err_size) == 1) {
        feed->head_pos = row.pos;
        memcpy (feed->head_hash, row.hash, 32);
    }
    jk_replay_cursor_destroy (&before);
}

/* Waits (--wait-subscriber) for a first subscriber: 0 (also when a
   signal stopped the wait), or -1 with the reason in err when none came. */
static int s_wait_subscriber (s_feed_t *feed, const jk_publish_config_t *config,
                              char *err, size_t err_size)
{
    if (config->wait_subscriber_ms <= 0)
        return 0;
    int64_t deadline = jk_clock_mono_ms () + config->wait_subscriber_ms;
    while (feed->subscribers == 0 && !zsys_interrupted) {
        int64_t left = deadline - jk_clock_mono_ms ();
        if (left <= 0)
            break;
        if (zpoller_wait (feed->poller, (int)(left > 100 ? 100 : left)))
            s_drain (feed);
    }
    /* A signal stops the wait as it stops the publishing: no record
       published, said as such, not as a subscriber that did not come. */
    if (feed->subscribers > 0 || zsys_interrupted)
        return 0;
    snprintf (err, err_size,
              "no subscriber on %s within %lld ms (--wait-subscriber)",
              config->shown, (long long)config->wait_subscriber_ms);
    return -1;
}

int jk_publish_run (sqlite3 *db, jk_publish_config_t *config,
                    uint64_t *published, char *err, size_t err_size)
{
    *published = 0;
    int rc = -1;
    s_feed_t feed = {0};
    jk_progress_t *progress = NULL;
    jk_replay_cursor_t *cursor = NULL;
    feed.pub = zsock_new (ZMQ_XPUB);
    if (!feed.pub) {
        snprintf (err, err_size, "cannot create the feed socket");
        return -1;
    }
    int on = 1;
    zmq_setsockopt (zsock_resolve (feed.pub), ZMQ_XPUB_NODROP, &on, sizeof on);
    zmq_setsockopt (zsock_resolve (feed.pub), ZMQ_XPUB_VERBOSE, &on, sizeof on);
    zsock_set_sndhwm (feed.pub, 10000);
    char why[128];
    if (jk_endpoint_bind (feed.pub, config->endpoint, why, sizeof why) < 0) {
        snprintf (err, err_size, "--feed %s: cannot bind: %s", config->endpoint,
                  why);
        goto cleanup;
    }
    jk_endpoint_shown (feed.pub, config->endpoint, config->shown,
                       sizeof config->shown);
    if (config->progress && !streq (config->shown, config->endpoint))
        fprintf (stderr, "jejak-replay publish: feed bound at %s\n",
                 config->shown);
    feed.poller = zpoller_new (feed.pub, NULL);
    s_head_before (&feed, db, config->from_pos, err, err_size);
    if (s_wait_subscriber (&feed, config, err, err_size) != 0) {
        rc = JK_TEMPORARY;
        goto cleanup;
    }
    cursor = jk_replay_cursor_new (db, config->from_pos, config->until_pos, err,
                                   err_size);
    if (!cursor)
        goto cleanup;
    if (config->progress) {
        int64_t total =
            jk_replay_count (db, config->from_pos, config->until_pos);
        progress = jk_progress_new ("publish", total > 0 ? (uint64_t)total : 0);
    }
    s_send_head (&feed);
    int64_t max_gap = config->max_gap_ms > 0 ? config->max_gap_ms : 5000;
    int64_t previous_at = 0;
    jk_replay_row_t row;
    int step;
    while ((step = jk_replay_cursor_next (cursor, &row, err, err_size)) == 1) {
        if (zsys_interrupted)
            break;
        if (config->speed > 0 && *published > 0) {
            int64_t gap = row.recorded_at - previous_at;
            int64_t wait = gap > 0 ? (int64_t)((double)gap / config->speed) : 0;
            if (wait > max_gap)
                wait = max_gap;
            if (wait > 0 && !s_wait_until (&feed, jk_clock_mono_ms () + wait))
                break;
        } else if (jk_clock_mono_ms () - feed.head_sent >= JK_HEARTBEAT_MS) {
            s_drain (&feed);
            s_send_head (&feed);
        }
        if (s_publish_row (&feed, &row) != 0) {
            snprintf (err, err_size, "sending on %s failed: %s", config->shown,
                      zmq_strerror (zmq_errno ()));
            goto cleanup;
        }
        previous_at = row.recorded_at;
        (*published)++;
        jk_progress_update (progress, *published);
    }
    if (step < 0)
        goto cleanup;
    s_send_head (&feed);
    rc = 0;

cleanup:
    jk_progress_destroy (&progress);
    jk_replay_cursor_destroy (&cursor);
    zpoller_destroy (&feed.poller);
    if (feed.pub)
        zsock_set_linger (
            feed.pub,
            rc == 0 ? (int)(config->linger_ms > 0 ? config->linger_ms : 2000)
                    : 0);
    zsock_destroy (&feed.pub);
    return rc;
}
