/* Whole at ~620 lines: one frame codec; its map helpers are shared. */
/*  wire.c - the wire protocol's frame codec (docs/PROTOCOL.md): signature
    and command frames, 8-byte integers, answers, heartbeats, feed records.
    Used by every component that talks over ZeroMQ. */
#include "jk_wire.h"

#include "decode_internal.h"

#include <assert.h>
#include <msgpack.h>
#include <string.h>

zmsg_t *jk_wire_new (const char *command)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, JK_PROTOCOL);
    zmsg_addstr (msg, command);
    return msg;
}

/* Whether a command frame is 1 to 15 upper-case ASCII letters
   (docs/PROTOCOL.md, section 2): "HEAD\0x" is no HEAD, and a command
   quoted back in an error is always plain text. */
static bool s_command_ok (zframe_t *cmd, size_t size)
{
    size_t n = zframe_size (cmd);
    if (n == 0 || n >= size || n > 15)
        return false;
    for (size_t i = 0; i < n; i++)
        if (zframe_data (cmd)[i] < 'A' || zframe_data (cmd)[i] > 'Z')
            return false;
    return true;
}

int jk_wire_open (zmsg_t *msg, char *command, size_t size)
{
    zframe_t *sig = zmsg_pop (msg);
    zframe_t *cmd = zmsg_pop (msg);
    int rc = -1;
    if (sig && cmd && zframe_streq (sig, JK_PROTOCOL) &&
        s_command_ok (cmd, size)) {
        memcpy (command, zframe_data (cmd), zframe_size (cmd));
        command[zframe_size (cmd)] = 0;
        rc = 0;
    }
    zframe_destroy (&sig);
    zframe_destroy (&cmd);
    return rc;
}

zmsg_t *jk_wire_expect (zsock_t *sock, int wait_ms, const char *want,
                        bool *silent, char *why, size_t why_size)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    void *which = zpoller_wait (poller, wait_ms);
    zpoller_destroy (&poller);
    zmsg_t *msg = which ? zmsg_recv (sock) : NULL;
    *silent = msg == NULL;
    if (!msg) {
        snprintf (why, why_size, "nothing within %d ms", wait_ms);
        return NULL;
    }
    char command[32] = "";
    if (jk_wire_open (msg, command, sizeof command)) {
        snprintf (why, why_size, "a message that is not a JEJAK/1 command");
        zmsg_destroy (&msg);
        return NULL;
    }
    if (streq (command, want))
        return msg;
    if (!streq (command, "ERROR"))
        snprintf (why, why_size, "%s, not %s", command, want);
    else {
        char *code = zmsg_popstr (msg);
        char *text = code && *code ? zmsg_popstr (msg) : NULL;
        if (!code || !*code)
            snprintf (why, why_size, "ERROR without a code");
        else if (!text || !*text)
            snprintf (why, why_size, "ERROR: %s", code);
        else
            snprintf (why, why_size, "ERROR: %s %s", code, text);
        free (code);
        free (text);
        /* What the peer sent is quoted as printable text. */
        jk_text_clean (why, why_size);
    }
    zmsg_destroy (&msg);
    return NULL;
}

zmsg_t *jk_wire_error (const char *code, const char *message)
{
    zmsg_t *msg = jk_wire_new ("ERROR");
    zmsg_addstr (msg, code);
    /* Valid UTF-8 whatever the message quotes (section 8): control
       characters escaped, broken sequences replaced. */
    size_t size = strlen (message) * 4 + 1;
    char *text = jk_malloc (size);
    memcpy (text, message, strlen (message) + 1);
    jk_text_clean (text, size);
    zmsg_addstr (msg, text);
    free (text);
    return msg;
}

void jk_wire_put_u64 (uint8_t *data, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        data[i] = (uint8_t)value;
        value >>= 8;
    }
}

uint64_t jk_wire_u64 (const uint8_t *data)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | data[i];
    return v;
}

void jk_wire_add_u64 (zmsg_t *msg, uint64_t value)
{
    uint8_t buf[8];
    jk_wire_put_u64 (buf, value);
    zmsg_addmem (msg, buf, 8);
}

int jk_wire_pop_u64 (zmsg_t *msg, uint64_t *value)
{
    zframe_t *frame = zmsg_pop (msg);
    int rc = -1;
    if (frame && zframe_size (frame) == 8) {
        *value = jk_wire_u64 (zframe_data (frame));
        rc = 0;
    }
    zframe_destroy (&frame);
    return rc;
}

/* ---- small MessagePack helpers ------------------------------------------ */

static void s_key (msgpack_packer *pk, const char *key)
{
    msgpack_pack_str (pk, strlen (key));
    msgpack_pack_str_body (pk, key, strlen (key));
}

static void s_kv_str (msgpack_packer *pk, const char *key, const char *value)
{
    s_key (pk, key);
    msgpack_pack_str (pk, strlen (value));
    msgpack_pack_str_body (pk, value, strlen (value));
}

static void s_kv_bin (msgpack_packer *pk, const char *key, const void *data,
                      size_t size)
{
    s_key (pk, key);
    msgpack_pack_bin (pk, size);
    msgpack_pack_bin_body (pk, data, size);
}

static void s_kv_u64 (msgpack_packer *pk, const char *key, uint64_t value)
{
    s_key (pk, key);
    msgpack_pack_uint64 (pk, value);
}

static void s_add_sbuf (zmsg_t *msg, msgpack_sbuffer *sbuf)
{
    zmsg_addmem (msg, sbuf->data, sbuf->size);
    msgpack_sbuffer_destroy (sbuf);
}

/* A decoded map: its objects on the stack (jk_msgpack_unpack's arena),
   strings and bins pointing into the caller's bytes; one pass over them,
   no allocation for the small maps of the wire (s_map_close frees the
   heap block a map of more than JK_MSGPACK_LOCAL objects takes). */
typedef struct {
    jk_msgpack_arena_t arena;
    msgpack_object root;
    const msgpack_object_map *map;
} s_map_t;

static int s_map_open (s_map_t *m, const void *data, size_t size)
{
    jk_msgpack_arena_init (&m->arena);
    size_t end = 0;
    bool text;
    char why[128];
    if (size > 65536 ||
        jk_msgpack_unpack (data, size, 4, &m->arena, &m->root, &text, &end, why,
                           sizeof why) ||
        end != size || m->root.type != MSGPACK_OBJECT_MAP) {
        jk_msgpack_arena_free (&m->arena);
        return -1;
    }
    m->map = &m->root.via.map;
    return 0;
}

static void s_map_close (s_map_t *m)
{
    jk_msgpack_arena_free (&m->arena);
}

static const msgpack_object *s_map_get (s_map_t *m, const char *key)
{
    size_t n = strlen (key);
    for (uint32_t i = 0; i < m->map->size; i++) {
        const msgpack_object *k = &m->map->ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp (k->via.str.ptr, key, n) == 0)
            return &m->map->ptr[i].val;
    }
    return NULL;
}

static void s_get_str (s_map_t *m, const char *key, char *out, size_t size)
{
    const msgpack_object *o = s_map_get (m, key);
    out[0] = 0;
    if (o && o->type == MSGPACK_OBJECT_STR) {
        size_t n = o->via.str.size < size - 1 ? o->via.str.size : size - 1;
        memcpy (out, o->via.str.ptr, n);
        out[n] = 0;
        /* Strings with NUL bytes end at the first one. */
    }
}

static uint64_t s_get_u64 (s_map_t *m, const char *key)
{
    const msgpack_object *o = s_map_get (m, key);
    return o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? o->via.u64 : 0;
}

static bool s_get_bin (s_map_t *m, const char *key, uint8_t *out, size_t size)
{
    const msgpack_object *o = s_map_get (m, key);
    if (!o || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != size)
        return false;
    memcpy (out, o->via.bin.ptr, size);
    return true;
}

/* ---- answers ----------------------------------------------------------------
 */

static const char *s_kind_names[] = {"ACK", "REJECTED", "DUPLICATE", "NACK"};

const char *jk_answer_kind_name (jk_answer_kind_t kind)
{
    return (unsigned)kind < 4 ? s_kind_names[kind] : "?";
}

/* A packing buffer on the stack, for maps of a known small bound (an
   answer is under 512 bytes: its strings are bounded by jk_answer_t), so
   the hot path allocates only the frame. */
typedef struct {
    size_t size;
    char data[1024];
} s_fixbuf_t;

static int s_fixbuf_write (void *data, const char *buf, size_t len)
{
    s_fixbuf_t *b = data;
    if (len > sizeof b->data - b->size)
        return -1;
    memcpy (b->data + b->size, buf, len);
    b->size += len;
    return 0;
}

size_t jk_answer_pack (const jk_answer_t *a, uint8_t out[JK_ANSWER_MAX])
{
    s_fixbuf_t sbuf;
    sbuf.size = 0;
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, s_fixbuf_write);
    bool stored = a->kind != JK_ANSWER_NACK;
    size_t n =
        2 + (stored ? 2 : 0) + (a->code[0] ? 2 : 0) + (a->expected ? 1 : 0);
    msgpack_pack_map (&pk, n);
    s_kv_bin (&pk, "id", a->id, 16);
    s_kv_str (&pk, "r", jk_answer_kind_name (a->kind));
    if (stored) {
        s_kv_u64 (&pk, "pos", a->pos);
        s_kv_bin (&pk, "hash", a->hash, 32);
    }
    if (a->code[0]) {
        s_kv_str (&pk, "code", a->code);
        s_kv_str (&pk, "msg", a->message);
    }
    if (a->expected)
        s_kv_u64 (&pk, "expect", a->expected);
    assert (sbuf.size <= JK_ANSWER_MAX);
    memcpy (out, sbuf.data, sbuf.size);
    return sbuf.size;
}

void jk_answer_add (zmsg_t *msg, const jk_answer_t *a)
{
    uint8_t frame[JK_ANSWER_MAX];
    zmsg_addmem (msg, frame, jk_answer_pack (a, frame));
}

int jk_answer_decode (const void *data, size_t size, jk_answer_t *a)
{
    memset (a, 0, sizeof *a);
    s_map_t m;
    if (s_map_open (&m, data, size))
        return JK_INVALID;
    char kind[16];
    s_get_str (&m, "r", kind, sizeof kind);
    int rc = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp (kind, s_kind_names[i]) == 0) {
            a->kind = (jk_answer_kind_t)i;
            rc = 0;
        }
    if (!s_get_bin (&m, "id", a->id, 16))
        rc = -1;
    a->pos = s_get_u64 (&m, "pos");
    s_get_bin (&m, "hash", a->hash, 32);
    s_get_str (&m, "code", a->code, sizeof a->code);
    s_get_str (&m, "msg", a->message, sizeof a->message);
    a->expected = s_get_u64 (&m, "expect");
    if (a->kind != JK_ANSWER_NACK && a->pos == 0)
        rc = -1;
    s_map_close (&m);
    return rc;
}

bool jk_answer_retryable (const jk_answer_t *a)
{
    return a->kind == JK_ANSWER_NACK &&
           (strcmp (a->code, "E_UNAVAILABLE") == 0 ||
            strcmp (a->code, "E_BUSY") == 0 ||
            strcmp (a->code, "E_SEQ_GAP") == 0 ||
            strcmp (a->code, "E_STORE_CLOCK") == 0);
}

/* ---- heartbeats
 * --------------------------------------------------------------- */

void jk_heartbeat_add (zmsg_t *msg, const jk_heartbeat_t *h)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 5);
    s_kv_str (&pk, "source", h->source);
    s_kv_str (&pk, "program", h->program);
    s_kv_u64 (&pk, "outbox", h->outbox_depth);
    s_kv_u64 (&pk, "stored_seq", h->last_stored_seq);
    s_kv_u64 (&pk, "rejected", h->rejected);
    s_add_sbuf (msg, &sbuf);
}

/* A str value that is valid UTF-8 without NUL and fits out (size bytes,
   NUL included); -1 otherwise. */
static int s_get_text (s_map_t *m, const char *key, char *out, size_t size)
{
    const msgpack_object *o = s_map_get (m, key);
    out[0] = 0;
    if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size >= size)
        return -1;
    if (o->via.str.size == 0)
        return 0; /* no pointer behind an empty str */
    if (jk_utf8_length (o->via.str.ptr, o->via.str.size) < 0 ||
        memchr (o->via.str.ptr, 0, o->via.str.size))
        return -1;
    memcpy (out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = 0;
    return 0;
}

static int s_get_uint (s_map_t *m, const char *key, uint64_t *value)
{
    const msgpack_object *o = s_map_get (m, key);
    if (!o || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return -1;
    *value = o->via.u64;
    return 0;
}

int jk_heartbeat_check (const void *data, size_t size, jk_heartbeat_t *h,
                        char *why, size_t why_size)
{
    memset (h, 0, sizeof *h);
    s_map_t m;
    if (s_map_open (&m, data, size)) {
        if (why)
            snprintf (why, why_size,
                      "the heartbeat is not one MessagePack map of at most "
                      "65536 bytes nested at most 4 levels deep");
        return JK_INVALID;
    }
    const char *bad = NULL;
    if (s_get_text (&m, "source", h->source, sizeof h->source))
        bad = "source (str, valid UTF-8, at most 64 bytes)";
    else if (s_get_text (&m, "program", h->program, sizeof h->program))
        bad = "program (str, valid UTF-8, at most 31 bytes)";
    else if (s_get_uint (&m, "outbox", &h->outbox_depth))
        bad = "outbox (uint)";
    else if (s_get_uint (&m, "stored_seq", &h->last_stored_seq))
        bad = "stored_seq (uint)";
    else if (s_get_uint (&m, "rejected", &h->rejected))
        bad = "rejected (uint)";
    s_map_close (&m);
    if (bad) {
        if (why)
            snprintf (why, why_size, "heartbeat key %s is missing or invalid",
                      bad);
        return JK_INVALID;
    }
    return 0;
}

int jk_heartbeat_decode (const void *data, size_t size, jk_heartbeat_t *h)
{
    return jk_heartbeat_check (data, size, h, NULL, 0);
}

/* ---- PONG -----------------------------------------------------------------
 */

void jk_pong_add (zmsg_t *msg, const jk_pong_t *p)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, p->expect ? 3 : 1);
    s_kv_u64 (&pk, "now", p->now_ms > 0 ? (uint64_t)p->now_ms : 0);
    if (p->expect) {
        s_kv_u64 (&pk, "expect", p->expect);
        s_kv_u64 (&pk, "stored_seq", p->stored_seq);
    }
    s_add_sbuf (msg, &sbuf);
}

int jk_pong_decode (const void *data, size_t size, jk_pong_t *p)
{
    memset (p, 0, sizeof *p);
    s_map_t m;
    if (s_map_open (&m, data, size))
        return JK_INVALID;
    uint64_t now = 0;
    int rc = s_get_uint (&m, "now", &now) || now > INT64_MAX ? -1 : 0;
    p->now_ms = (int64_t)now;
    if (rc == 0 && s_map_get (&m, "expect") &&
        (s_get_uint (&m, "expect", &p->expect) || p->expect == 0 ||
         s_get_uint (&m, "stored_seq", &p->stored_seq)))
        rc = -1;
    s_map_close (&m);
    return rc;
}

/* ---- feed records
 * --------------------------------------------------------------- */

zmsg_t *jk_record_msg (const jk_record_t *r)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, r->topic);
    jk_wire_add_u64 (msg, r->pos);
    zmsg_addmem (msg, r->hash, 32);
    if (strcmp (r->topic, JK_FEED_HEAD) == 0)
        return msg;
    jk_wire_add_u64 (msg, (uint64_t)r->recorded_at);
    zmsg_addmem (msg, r->bytes, r->size);
    if (r->code[0]) {
        msgpack_sbuffer sbuf;
        msgpack_sbuffer_init (&sbuf);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
        msgpack_pack_map (&pk, 2);
        s_kv_str (&pk, "code", r->code);
        s_kv_str (&pk, "msg", r->message);
        s_add_sbuf (msg, &sbuf);
    }
    return msg;
}

bool jk_record_rejected (const jk_record_t *record)
{
    return strncmp (record->topic, JK_REJECTED_PREFIX,
                    sizeof JK_REJECTED_PREFIX - 1) == 0;
}

int jk_record_read (zmsg_t *msg, jk_record_t *r)
{
    memset (r, 0, sizeof *r);
    size_t n = zmsg_size (msg);
    if (n < 3)
        return JK_INVALID;
    zframe_t *f = zmsg_first (msg);
    if (zframe_size (f) >= sizeof r->topic)
        return JK_INVALID;
    memcpy (r->topic, zframe_data (f), zframe_size (f));
    r->topic[zframe_size (f)] = 0;
    f = zmsg_next (msg);
    if (zframe_size (f) != 8)
        return JK_INVALID;
    r->pos = jk_wire_u64 (zframe_data (f));
    f = zmsg_next (msg);
    if (zframe_size (f) != 32)
        return JK_INVALID;
    memcpy (r->hash, zframe_data (f), 32);
    if (strcmp (r->topic, JK_FEED_HEAD) == 0)
        return n == 3 ? 0 : -1;
    if (n < 5 || n > 6)
        return JK_INVALID;
    f = zmsg_next (msg);
    if (zframe_size (f) != 8)
        return JK_INVALID;
    r->recorded_at = (int64_t)jk_wire_u64 (zframe_data (f));
    f = zmsg_next (msg);
    r->bytes = zframe_data (f);
    r->size = zframe_size (f);
    if (n == 6) {
        f = zmsg_next (msg);
        s_map_t m;
        if (s_map_open (&m, zframe_data (f), zframe_size (f)))
            return JK_INVALID;
        s_get_str (&m, "code", r->code, sizeof r->code);
        s_get_str (&m, "msg", r->message, sizeof r->message);
        s_map_close (&m);
    }
    return 0;
}

/* ---- a batch of records in one frame ------------------------------------ */

static void s_put_be (uint8_t *out, uint64_t value, int size)
{
    for (int i = size - 1; i >= 0; i--) {
        out[i] = (uint8_t)value;
        value >>= 8;
    }
}

size_t jk_records_size (const jk_record_t *r)
{
    return 1 + strlen (r->topic) + 8 + 32 + 8 + 4 + r->size + 1 +
           strlen (r->code) + 2 + strlen (r->message);
}

size_t jk_records_put (uint8_t *out, const jk_record_t *r)
{
    uint8_t *p = out;
    size_t topic = strlen (r->topic), code = strlen (r->code),
           message = strlen (r->message);
    assert (topic < sizeof r->topic && code < 256 && message < 65536);
    *p++ = (uint8_t)topic;
    memcpy (p, r->topic, topic);
    p += topic;
    s_put_be (p, r->pos, 8);
    p += 8;
    memcpy (p, r->hash, 32);
    p += 32;
    s_put_be (p, (uint64_t)r->recorded_at, 8);
    p += 8;
    s_put_be (p, r->size, 4);
    p += 4;
    if (r->size)
        memcpy (p, r->bytes, r->size);
    p += r->size;
    *p++ = (uint8_t)code;
    memcpy (p, r->code, code);
    p += code;
    s_put_be (p, message, 2);
    p += 2;
    memcpy (p, r->message, message);
    p += message;
    return (size_t)(p - out);
}

/* Takes n bytes at *at of data[0..size) into *out; false past the end. */
static bool s_take (const uint8_t *data, size_t size, size_t *at, size_t n,
                    const uint8_t **out)
{
    if (n > size - *at)
        return false;
    *out = data + *at;
    *at += n;
    return true;
}

static uint64_t s_get_be (const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Copies a text of n bytes into out (size) NUL-terminated; false when it
   does not fit or holds a NUL. */
static bool s_text_copy (char *out, size_t size, const uint8_t *p, size_t n)
{
    if (n >= size || memchr (p, 0, n))
        return false;
    memcpy (out, p, n);
    out[n] = 0;
    return true;
}

int jk_records_next (const uint8_t *data, size_t size, size_t *offset,
                     jk_record_t *r)
{
    memset (r, 0, sizeof *r);
    size_t at = *offset;
    if (at >= size)
        return 1;
    const uint8_t *p;
    if (!s_take (data, size, &at, 1, &p))
        return JK_INVALID;
    size_t n = *p;
    if (!s_take (data, size, &at, n, &p) ||
        !s_text_copy (r->topic, sizeof r->topic, p, n) ||
        !s_take (data, size, &at, 8 + 32 + 8 + 4, &p))
        return JK_INVALID;
    r->pos = s_get_be (p, 8);
    memcpy (r->hash, p + 8, 32);
    r->recorded_at = (int64_t)s_get_be (p + 40, 8);
    n = (size_t)s_get_be (p + 48, 4);
    if (!s_take (data, size, &at, n, &p))
        return JK_INVALID;
    r->bytes = p;
    r->size = n;
    if (!s_take (data, size, &at, 1, &p))
        return JK_INVALID;
    n = *p;
    if (!s_take (data, size, &at, n, &p) ||
        !s_text_copy (r->code, sizeof r->code, p, n) ||
        !s_take (data, size, &at, 2, &p))
        return JK_INVALID;
    n = (size_t)s_get_be (p, 2);
    if (!s_take (data, size, &at, n, &p) ||
        !s_text_copy (r->message, sizeof r->message, p, n))
        return JK_INVALID;
    *offset = at;
    return 0;
}

/* ---- office heartbeats on the feed ------------------------------------- */

zmsg_t *jk_office_msg (const jk_office_t *o)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, JK_FEED_OFFICE);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 6);
    s_kv_str (&pk, "source", o->heartbeat.source);
    s_kv_str (&pk, "program", o->heartbeat.program);
    s_kv_u64 (&pk, "outbox", o->heartbeat.outbox_depth);
    s_kv_u64 (&pk, "stored_seq", o->heartbeat.last_stored_seq);
    s_kv_u64 (&pk, "rejected", o->heartbeat.rejected);
    s_kv_u64 (&pk, "last_seen_ms", (uint64_t)o->last_seen_ms);
    s_add_sbuf (msg, &sbuf);
    return msg;
}

int jk_office_read (zmsg_t *msg, jk_office_t *o)
{
    memset (o, 0, sizeof *o);
    if (zmsg_size (msg) != 2)
        return JK_INVALID;
    zframe_t *f = zmsg_first (msg);
    if (!zframe_streq (f, JK_FEED_OFFICE))
        return JK_INVALID;
    f = zmsg_next (msg);
    if (jk_heartbeat_decode (zframe_data (f), zframe_size (f), &o->heartbeat))
        return JK_INVALID;
    s_map_t m;
    if (s_map_open (&m, zframe_data (f), zframe_size (f)))
        return JK_INVALID;
    /* last_seen_ms is a uint (PROTOCOL.md, the feed's $office): a map
       without it, or with a time past int64, is malformed. */
    uint64_t seen = 0;
    int rc = s_get_uint (&m, "last_seen_ms", &seen) || seen > INT64_MAX
                 ? JK_INVALID
                 : JK_OK;
    o->last_seen_ms = rc == JK_OK ? (int64_t)seen : 0;
    s_map_close (&m);
    return rc;
}
