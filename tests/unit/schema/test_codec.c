/*  test_codec.c - the event codec: round trips of every type, byte-stable
    encoding, a golden encoding, decoder hardening against truncated,
    oversized, wrong-typed and random input, envelope peeking and
    upcasting of older versions. */
#include "testsupport.h"
#include "decode_internal.h"
#include "jk_wire.h"
#include "samples.h"

#include <msgpack.h>

/* ---- helpers --------------------------------------------------------------
 */

static uint8_t *s_encode_sample (const char *type, size_t *size)
{
    jk_event_t *ev = jk_sample_by_name (type);
    uint8_t *bytes = jk_event_encode (ev, size);
    assert_non_null (bytes);
    jk_event_destroy (&ev);
    return bytes;
}

/* Decodes bytes that must fail; checks the code and the field. */
static void s_expect_decode_error (const void *data, size_t size,
                                   const char *code, const char *field)
{
    jk_report_t report = {0};
    jk_event_t *ev = jk_event_decode (data, size, &report);
    if (ev)
        fail_msg ("decoded although %s was expected", code);
    assert_true (report.failed);
    if (strcmp (report.error.code, code) != 0)
        fail_msg ("expected %s, got %s: %s", code, report.error.code,
                  report.error.message);
    if (field)
        assert_string_equal (report.error.field, field);
    assert_true (report.error.message[0] != 0);
}

typedef void (s_pack_fn) (msgpack_packer *pk);

typedef enum {
    OP_REPLACE, /* pack a new value in place of path's */
    OP_REMOVE,  /* drop path */
    OP_ADD,     /* add path (a new key) with a value */
    OP_DUP,     /* repeat path's key and value */
    OP_REVERSE, /* pack the map holding path ("body.*") backwards */
} s_op_t;

/* Packs a map object, applying op to key (a key of this map) if given. */
static void s_pack_map (msgpack_packer *pk, const msgpack_object_map *map,
                        const char *key, const char *body_key, s_op_t op,
                        s_pack_fn *fn)
{
    size_t n = map->size;
    if (key && op == OP_REVERSE) {
        msgpack_pack_map (pk, n);
        for (uint32_t i = map->size; i-- > 0;) {
            msgpack_pack_object (pk, map->ptr[i].key);
            msgpack_pack_object (pk, map->ptr[i].val);
        }
        return;
    }
    if (key && op == OP_REMOVE)
        n--;
    if (key && (op == OP_ADD || op == OP_DUP))
        n++;
    msgpack_pack_map (pk, n);
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object_kv *kv = &map->ptr[i];
        bool hit = key && kv->key.via.str.size == strlen (key) &&
                   memcmp (kv->key.via.str.ptr, key, strlen (key)) == 0;
        bool body = body_key && kv->key.via.str.size == 4 &&
                    memcmp (kv->key.via.str.ptr, "body", 4) == 0;
        if (hit && op == OP_REMOVE)
            continue;
        msgpack_pack_object (pk, kv->key);
        if (body)
            s_pack_map (pk, &kv->val.via.map, body_key, NULL, op, fn);
        else if (hit && op == OP_REPLACE)
            fn (pk);
        else
            msgpack_pack_object (pk, kv->val);
        if (hit && op == OP_DUP) {
            msgpack_pack_object (pk, kv->key);
            msgpack_pack_object (pk, kv->val);
        }
    }
    if (key && op == OP_ADD) {
        msgpack_pack_str (pk, strlen (key));
        msgpack_pack_str_body (pk, key, strlen (key));
        fn (pk);
    }
}

/* The sample of type, re-packed with one change at path ("v" or
   "body.jp"). Returns heap bytes. */
static uint8_t *s_mutate (const char *type, const char *path, s_op_t op,
                          s_pack_fn *fn, size_t *size)
{
    size_t n;
    uint8_t *bytes = s_encode_sample (type, &n);
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    size_t off = 0;
    assert_int_equal (
        msgpack_unpack_next (&result, (const char *)bytes, n, &off),
        MSGPACK_UNPACK_SUCCESS);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    bool in_body = strncmp (path, "body.", 5) == 0;
    s_pack_map (&pk, &result.data.via.map, in_body ? NULL : path,
                in_body ? path + 5 : NULL, op, fn);
    msgpack_unpacked_destroy (&result);
    free (bytes);
    *size = sbuf.size;
    return (uint8_t *)sbuf.data;
}

static void s_mutation_fails (const char *type, const char *path, s_op_t op,
                              s_pack_fn *fn, const char *code,
                              const char *field)
{
    size_t size;
    uint8_t *bytes = s_mutate (type, path, op, fn, &size);
    s_expect_decode_error (bytes, size, code, field);
    free (bytes);
}

static void s_pack_int (msgpack_packer *pk)
{
    msgpack_pack_int64 (pk, 7);
}
static void s_pack_negative (msgpack_packer *pk)
{
    msgpack_pack_int64 (pk, -3);
}
static void s_pack_text (msgpack_packer *pk)
{
    msgpack_pack_str (pk, 4);
    msgpack_pack_str_body (pk, "text", 4);
}
static void s_pack_nil (msgpack_packer *pk)
{
    msgpack_pack_nil (pk);
}
static void s_pack_true (msgpack_packer *pk)
{
    msgpack_pack_true (pk);
}
static void s_pack_float (msgpack_packer *pk)
{
    msgpack_pack_double (pk, 2.5);
}
static void s_pack_empty_map (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 0);
}
static void s_pack_bin15 (msgpack_packer *pk)
{
    msgpack_pack_bin (pk, 15);
    msgpack_pack_bin_body (pk, "0123456789abcde", 15);
}
static void s_pack_v0 (msgpack_packer *pk)
{
    msgpack_pack_uint32 (pk, 0);
}
static void s_pack_v2 (msgpack_packer *pk)
{
    msgpack_pack_uint32 (pk, 2);
}
static void s_pack_unknown_type (msgpack_packer *pk)
{
    msgpack_pack_str (pk, 15);
    msgpack_pack_str_body (pk, "person.invented", 15);
}
static void s_pack_array_of_int (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_int64 (pk, 1);
}
static void s_pack_unit_not_map (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_str (pk, 4);
    msgpack_pack_str_body (pk, "M.01", 4);
}
static void s_pack_unit_int_title (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_map (pk, 2);
    msgpack_pack_str (pk, 4);
    msgpack_pack_str_body (pk, "code", 4);
    msgpack_pack_str (pk, 4);
    msgpack_pack_str_body (pk, "M.01", 4);
    msgpack_pack_str (pk, 5);
    msgpack_pack_str_body (pk, "title", 5);
    msgpack_pack_int64 (pk, 9);
}
static void s_pack_51_items (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 51);
    for (int i = 0; i < 51; i++) {
        msgpack_pack_str (pk, 1);
        msgpack_pack_str_body (pk, "a", 1);
    }
}
static void s_pack_long_string (msgpack_packer *pk)
{
    static char text[JK_STRING_MAX_BYTES + 1];
    memset (text, 'a', sizeof text);
    msgpack_pack_str (pk, sizeof text);
    msgpack_pack_str_body (pk, text, sizeof text);
}
static void s_pack_deep (msgpack_packer *pk)
{
    for (int i = 0; i < 200; i++)
        msgpack_pack_array (pk, 1);
    msgpack_pack_nil (pk);
}
static void s_pack_lower_enum (msgpack_packer *pk)
{
    msgpack_pack_str (pk, 6);
    msgpack_pack_str_body (pk, "primer", 6);
}
static void s_pack_bad_date (msgpack_packer *pk)
{
    msgpack_pack_str (pk, 10);
    msgpack_pack_str_body (pk, "2023-02-29", 10);
}
static void s_pack_bad_time (msgpack_packer *pk)
{
    msgpack_pack_str (pk, 5);
    msgpack_pack_str_body (pk, "24:00", 5);
}
static void s_pack_dup_method (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    msgpack_pack_str (pk, 7);
    msgpack_pack_str_body (pk, "WRITTEN", 7);
    msgpack_pack_str (pk, 7);
    msgpack_pack_str_body (pk, "WRITTEN", 7);
}

/* ---- round trips ------------------------------------------------------------
 */

static void test_vocabulary_has_18_types (void **state)
{
    (void)state;
    assert_int_equal (jk_vocabulary_count (), 18);
    assert_int_equal (JK_SAMPLE_COUNT, 18);
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        assert_string_equal (t->name, jk_samples[i].type);
        assert_int_equal (t->version, 1);
        assert_true (t->field_count <= JK_FIELDS_MAX);
        /* Unique field names: jk_type_field_from finds the one field. */
        for (size_t a = 0; a < t->field_count; a++) {
            const char *name = t->fields[a].name;
            for (size_t b = a + 1; b < t->field_count; b++)
                assert_string_not_equal (name, t->fields[b].name);
            for (size_t start = 0; start <= t->field_count + 1; start++)
                assert_int_equal (
                    jk_type_field_from (t, name, strlen (name), start), (int)a);
        }
        assert_int_equal (jk_type_field_from (t, "nope", 4, 1), -1);
        assert_ptr_equal (jk_vocabulary_find (t->name, strlen (t->name)), t);
        assert_ptr_equal (jk_vocabulary_by_command (t->domain, t->command), t);
    }
    assert_null (jk_vocabulary_at (18));
    assert_null (jk_vocabulary_find ("person", 6));
}

static void test_round_trip_every_type (void **state)
{
    (void)state;
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        jk_event_t *ev = jk_sample_event (&jk_samples[i]);
        size_t size;
        uint8_t *bytes = jk_event_encode (ev, &size);
        assert_non_null (bytes);
        jk_report_t report = {0};
        jk_event_t *back = jk_event_decode (bytes, size, &report);
        if (!back)
            fail_msg ("%s: %s", jk_samples[i].type, report.error.message);
        assert_false (report.failed);
        assert_true (jk_event_equal (ev, back));
        assert_ptr_equal (back->type, ev->type);
        assert_memory_equal (back->id, jk_sample_id, 16);
        assert_int_equal (back->seq, 1);
        assert_int_equal (back->at, JK_SAMPLE_AT_MS);
        /* Zero copy: strings point into the input buffer. */
        assert_true ((const uint8_t *)back->source.ptr >= bytes &&
                     (const uint8_t *)back->source.ptr < bytes + size);
        /* Byte-stable: re-encoding the decoded event gives the same bytes. */
        size_t size2;
        uint8_t *again = jk_event_encode (back, &size2);
        assert_int_equal (size2, size);
        assert_memory_equal (again, bytes, size);
        free (again);
        jk_event_destroy (&back);
        free (bytes);
        jk_event_destroy (&ev);
    }
}

static void test_equal_sees_differences (void **state)
{
    (void)state;
    jk_event_t *a = jk_sample_by_name ("assessment.scheduled");
    jk_event_t *b = jk_sample_by_name ("assessment.scheduled");
    assert_true (jk_event_equal (a, b));
    jk_report_t report = {0};
    assert_int_equal (jk_event_set (b, "units",
                                    "M.01=Mengelola keuangan|"
                                    "M.02=Menyusun laporan",
                                    &report),
                      0);
    assert_false (jk_event_equal (a, b));
    jk_event_destroy (&b);
    b = jk_sample_by_name ("assessment.scheduled");
    b->seq = 2;
    assert_false (jk_event_equal (a, b));
    jk_event_destroy (&a);
    jk_event_destroy (&b);
}

/* training.batch_closed with the fixed envelope, byte for byte. Any change
   to the wire format shows up here first. */
static const char *s_golden_hex =
    "88a26964c4100189d5a27c3e7a1b9f003c5a1e2d4b6fa474797065b5747261696e69"
    "6e672e62617463685f636c6f736564a17601a6736f75726365b033322e30332e3130"
    "2f70616365742d31a373657101a26174cf0000018fd0e1a580a56163746f72ae6f70"
    "657261746f722e7061636574a4626f647981a56261746368ae504b32554d4b2d3230"
    "32322d3031";

/* jk_event_get by name: the same literal on events of several types, a
   name in a buffer that is then rewritten (the same address, another
   name), and names a type lacks, each time the index of the type's own
   field table. */
static void test_get_by_name (void **state)
{
    (void)state;
    for (size_t t = 0; t < jk_vocabulary_count (); t++) {
        const jk_type_t *type = jk_vocabulary_at (t);
        jk_event_t *ev = jk_sample_by_name (type->name);
        for (int round = 0; round < 2; round++) {
            const jk_value_t *nik = jk_event_get (ev, "nik");
            int want = jk_type_field (type, "nik", 3);
            if (want < 0)
                assert_null (nik);
            else
                assert_ptr_equal (nik, &ev->body[want]);
            char name[32];
            for (size_t f = 0; f < type->field_count; f++) {
                snprintf (name, sizeof name, "%s", type->fields[f].name);
                assert_ptr_equal (jk_event_get (ev, name), &ev->body[f]);
                assert_ptr_equal (jk_event_get (ev, type->fields[f].name),
                                  &ev->body[f]);
            }
            snprintf (name, sizeof name, "%s", "no_such_field");
            assert_null (jk_event_get (ev, name));
            assert_null (jk_event_get (ev, ""));
        }
        jk_event_destroy (&ev);
    }
}

static void test_golden_bytes (void **state)
{
    (void)state;
    size_t size;
    uint8_t *bytes = s_encode_sample ("training.batch_closed", &size);
    char *hex = jk_malloc (2 * size + 1);
    jk_hex_format (bytes, size, hex);
    if (strcmp (hex, s_golden_hex) != 0)
        fail_msg ("the wire format changed:\n got %s\nwant %s", hex,
                  s_golden_hex);
    free (hex);
    free (bytes);
}

static void test_set_parses_operator_text (void **state)
{
    (void)state;
    jk_event_t *ev = jk_sample_by_name ("attendance.recorded");
    jk_report_t report = {0};
    assert_int_equal (jk_event_set (ev, "check_in", " 8.05 ", &report), 0);
    assert_string_equal (jk_event_get (ev, "check_in")->s.ptr, "08:05");
    assert_int_equal (jk_event_get (ev, "check_in")->n, 485);
    assert_int_equal (jk_event_set (ev, "status", "terlambat", &report), 0);
    assert_string_equal (jk_event_get (ev, "status")->s.ptr, "TERLAMBAT");
    assert_int_equal (jk_event_get (ev, "status")->n, 1);
    assert_int_equal (jk_event_set (ev, "status", "PULANG", &report), -1);
    assert_string_equal (report.error.code, "E_FIELD_ENUM");
    assert_string_equal (report.error.field, "body.status");
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "nope", "1", &report), -1);
    assert_string_equal (report.error.code, "E_FIELD_UNKNOWN");
    assert_string_equal (report.error.field, "body.nope");
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "session_no", "dua", &report), -1);
    assert_string_equal (report.error.code, "E_FIELD_TYPE");
    assert_string_equal (report.error.field, "body.session_no");
    jk_event_destroy (&ev);

    ev = jk_sample_by_name ("cooperative.registered");
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "legal_date", "05/10/2022", &report),
                      0);
    char buf[16];
    assert_string_equal (jk_event_text (ev, "legal_date", buf, sizeof buf),
                         "2022-10-05");
    assert_int_equal (jk_event_set (ev, "legal_date", "31/02/2022", &report),
                      -1);
    assert_string_equal (report.error.code, "E_FIELD_FORMAT");
    assert_string_equal (report.error.field, "body.legal_date");
    jk_event_destroy (&ev);
}

/* ---- decoder hardening
 * --------------------------------------------------------- */

static void test_every_prefix_is_an_error (void **state)
{
    (void)state;
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        size_t size;
        uint8_t *bytes = s_encode_sample (jk_samples[i].type, &size);
        for (size_t n = 0; n < size; n++) {
            /* A copy of exactly n bytes, so the sanitizer sees overreads. */
            uint8_t *prefix = jk_malloc (n ? n : 1);
            memcpy (prefix, bytes, n);
            s_expect_decode_error (prefix, n, "E_DECODE", "");
            jk_envelope_t env;
            assert_false (jk_envelope_peek (prefix, n, &env));
            free (prefix);
        }
        free (bytes);
    }
}

static void test_trailing_bytes_are_an_error (void **state)
{
    (void)state;
    size_t size;
    uint8_t *bytes = s_encode_sample ("training.batch_closed", &size);
    uint8_t *longer = jk_malloc (size + 1);
    memcpy (longer, bytes, size);
    longer[size] = 0xc0;
    s_expect_decode_error (longer, size + 1, "E_DECODE", "");
    free (longer);
    free (bytes);
}

static void test_oversized_is_too_large (void **state)
{
    (void)state;
    size_t size = JK_EVENT_MAX_BYTES + 1;
    uint8_t *big = jk_calloc (1, size);
    big[0] = 0x80;
    s_expect_decode_error (big, size, "E_TOO_LARGE", "");
    jk_envelope_t env;
    assert_false (jk_envelope_peek (big, size, &env));
    free (big);
    /* Exactly the limit is not too large (it fails later, as garbage). */
    big = jk_calloc (1, JK_EVENT_MAX_BYTES);
    s_expect_decode_error (big, JK_EVENT_MAX_BYTES, "E_DECODE", "");
    free (big);
    /* Encoding refuses to produce more than the limit. */
    jk_event_t *ev = jk_sample_by_name ("cooperative.registered");
    char *text = jk_malloc (JK_EVENT_MAX_BYTES + 2);
    memset (text, 'x', JK_EVENT_MAX_BYTES + 1);
    text[JK_EVENT_MAX_BYTES + 1] = 0;
    jk_report_t report = {0};
    assert_int_equal (jk_event_set (ev, "address", text, &report), 0);
    assert_null (jk_event_encode (ev, &size));
    free (text);
    jk_event_destroy (&ev);
}

/* Container headers that promise more items than bytes remain must be
   refused before anything is allocated for them. */
static void test_huge_container_headers (void **state)
{
    (void)state;
    static const uint8_t array32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
    static const uint8_t map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0};
    static const uint8_t str32[] = {0xdb, 0xff, 0xff, 0xff, 0xf0, 0x61};
    s_expect_decode_error (array32, sizeof array32, "E_DECODE", "");
    s_expect_decode_error (map32, sizeof map32, "E_DECODE", "");
    s_expect_decode_error (str32, sizeof str32, "E_DECODE", "");
    /* The same inside a valid envelope's body. */
    uint8_t buf[64];
    size_t n = 0;
    buf[n++] = 0x81; /* map of 1 */
    buf[n++] = 0xa4;
    memcpy (buf + n, "body", 4);
    n += 4;
    buf[n++] = 0xdd;
    memset (buf + n, 0xff, 4);
    n += 4;
    s_expect_decode_error (buf, n, "E_DECODE", "");
    jk_envelope_t env;
    assert_false (jk_envelope_peek (array32, sizeof array32, &env));
    assert_false (jk_envelope_peek (map32, sizeof map32, &env));
}

/* The code and message jk_event_decode gives for size bytes at data. */
static void s_decode_says (const void *data, size_t size, const char *code,
                           const char *message)
{
    jk_report_t report = {0};
    assert_null (jk_event_decode (data, size, &report));
    assert_string_equal (report.error.code, code);
    assert_string_equal (report.error.field, "");
    assert_string_equal (report.error.message, message);
}

/* Bytes that do not start with a map's header are refused at that first
   byte: nothing after it is read, so a large array costs no more than a
   small one, and what follows the first byte (here an invalid byte at
   the end, trailing bytes) is never reached. */
static void test_not_a_map (void **state)
{
    (void)state;
    const char *not_map = "an event must be a MessagePack map";
    static const uint8_t array[] = {0x91, 0x01};
    static const uint8_t nil[] = {0xc0};
    static const uint8_t nil_and_more[] = {0xc0, 0xc0};
    static const uint8_t never_used[] = {0xc1};
    s_decode_says (array, sizeof array, "E_DECODE", not_map);
    s_decode_says (nil, sizeof nil, "E_DECODE", not_map);
    s_decode_says (nil_and_more, sizeof nil_and_more, "E_DECODE", not_map);
    s_decode_says (never_used, sizeof never_used, "E_DECODE", not_map);
    s_decode_says ("", 0, "E_DECODE",
                   "not a complete MessagePack object: input ends inside a "
                   "value");
    /* 64 KiB, the most an event may be: an array 32 of 65,531 items,
       65,530 nils and a last byte 0xc1. Walked, it would be refused at
       that last byte (as below). */
    size_t size = JK_EVENT_MAX_BYTES;
    uint8_t *big = jk_malloc (size);
    static const uint8_t array32[] = {0xdd, 0x00, 0x00, 0xff, 0xfb};
    memcpy (big, array32, sizeof array32);
    memset (big + 5, 0xc0, size - 6);
    big[size - 1] = 0xc1;
    s_decode_says (big, size, "E_DECODE", not_map);
    jk_envelope_t env;
    assert_false (jk_envelope_peek (big, size, &env));
    /* The same bytes as the value of a map's one key ("x": an array 32 of
       65,528 items) are walked, and refused where the walk meets 0xc1. */
    static const uint8_t map_x[] = {0x81, 0xa1, 'x',  0xdd,
                                    0x00, 0x00, 0xff, 0xf8};
    memcpy (big, map_x, sizeof map_x);
    s_decode_says (big, size, "E_DECODE",
                   "not a complete MessagePack object: byte 0xc1 at offset "
                   "65535 is never used in MessagePack");
    free (big);
    /* An empty map, then a nil: the map is read, the nil is trailing. */
    static const uint8_t map_then_nil[] = {0x80, 0xc0};
    s_decode_says (map_then_nil, sizeof map_then_nil, "E_DECODE",
                   "1 trailing byte after the event");
}

/* The decoder reads the bytes once: sizes, nesting and text are checked
   in the same walk that builds the values. Text is checked 8 bytes at a
   time while they are ASCII: a NUL or a bad sequence is found at every
   position of a string, a good non-ASCII character too. */
static void s_pack_str (msgpack_packer *pk, const char *text, size_t len)
{
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, text, len);
}

static char s_text[40];
static size_t s_text_len;
static void s_pack_s_text (msgpack_packer *pk)
{
    s_pack_str (pk, s_text, s_text_len);
}

static void test_text_at_every_position (void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        bool text;
    } inserts[] = {
        {"\0", 1, false},
        {"\xc3\xa9", 2, true}, /* é */
        {"\xc3"
         "a",
         2, false},
        {"\xe2\x82\xac", 3, true},
        {"\xed\xa0\x80", 3, false}, /* a surrogate */
        {"\xf0\x9f\x98\x80", 4, true},
        {"\xc0\x80", 2, false},
        {"\xff", 1, false},
        {"\x80", 1, false},
    };
    for (size_t k = 0; k < sizeof inserts / sizeof inserts[0]; k++)
        for (size_t at = 0; at <= 24; at++) {
            memset (s_text, 'a', at);
            memcpy (s_text + at, inserts[k].bytes, inserts[k].len);
            memset (s_text + at + inserts[k].len, 'b', 3 + at % 9);
            s_text_len = at + inserts[k].len + 3 + at % 9;
            size_t size;
            uint8_t *bytes = s_mutate ("cooperative.registered", "body.address",
                                       OP_REPLACE, s_pack_s_text, &size);
            jk_report_t report = {0};
            jk_event_t *ev = jk_event_decode (bytes, size, &report);
            if (inserts[k].text) {
                assert_non_null (ev);
                assert_int_equal (jk_event_get (ev, "address")->s.len,
                                  s_text_len);
            } else {
                assert_null (ev);
                assert_string_equal (report.error.code, "E_NOT_UTF8");
                assert_string_equal (report.error.field, "body.address");
                assert_string_equal (
                    report.error.message,
                    "body.address is not valid UTF-8 or holds a NUL byte: "
                    "every string of an event, keys included, must be UTF-8 "
                    "text without NUL bytes");
            }
            jk_event_destroy (&ev);
            free (bytes);
        }
    /* An envelope value and a body key: the same rule, each named. */
    memcpy (s_text, "ab\xff", 3);
    s_text_len = 3;
    static const struct {
        const char *path;
        s_op_t op;
        const char *field, *message;
    } named[] = {
        {"actor", OP_REPLACE, "actor",
         "actor is not valid UTF-8 or holds a NUL byte: every string of an "
         "event, keys included, must be UTF-8 text without NUL bytes"},
        {"body.ab\xff", OP_ADD, "body",
         "a body key is not valid UTF-8 or holds a NUL byte: every string of "
         "an event, keys included, must be UTF-8 text without NUL bytes"},
        {"ab\xff", OP_ADD, "",
         "an envelope key is not valid UTF-8 or holds a NUL byte: every "
         "string of an event, keys included, must be UTF-8 text without NUL "
         "bytes"},
    };
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        size_t size;
        uint8_t *bytes = s_mutate ("cooperative.registered", named[i].path,
                                   named[i].op, s_pack_s_text, &size);
        jk_report_t report = {0};
        jk_event_t *ev = jk_event_decode (bytes, size, &report);
        assert_null (ev);
        assert_string_equal (report.error.code, "E_NOT_UTF8");
        assert_string_equal (report.error.field, named[i].field);
        assert_string_equal (report.error.message, named[i].message);
        free (bytes);
    }
}

/* The walk's text check on a str that is the whole buffer, in a block of
   exactly its size (ASan: nothing is read past it), and on one followed
   by another str, for every length up to 20 and every place of a NUL, a
   bad or a good non-ASCII byte, against jk_utf8_length and a search for
   NUL. */
static void test_text_check_in_exact_buffers (void **state)
{
    (void)state;
    static const char *const inserts[] = {
        "", "\xc3\xa9", "\xff", "\x80", "\x7f", "\xe2\x82", "\xf0\x9f\x98\x80"};
    for (size_t k = 0; k <= sizeof inserts / sizeof inserts[0]; k++)
        for (size_t len = 0; len <= 20; len++)
            for (size_t at = 0; at <= len; at++) {
                char text[32];
                memset (text, 'a', len);
                size_t n = len;
                if (k == sizeof inserts / sizeof inserts[0]) {
                    if (at == len)
                        continue;
                    text[at] = 0; /* a NUL */
                } else {
                    size_t extra = strlen (inserts[k]);
                    memmove (text + at + extra, text + at, len - at);
                    memcpy (text + at, inserts[k], extra);
                    n = len + extra;
                }
                bool want =
                    !memchr (text, 0, n) && jk_utf8_length (text, n) >= 0;
                /* Alone, and followed by another str (so that eight
                   bytes can be read from a short one's start). */
                for (int followed = 0; followed < 2; followed++) {
                    size_t size = (size_t)followed + 1 + n + 9 * followed;
                    uint8_t *buf = malloc (size), *p = buf;
                    if (followed)
                        *p++ = 0x92;            /* an array of two */
                    *p++ = (uint8_t)(0xa0 | n); /* fixstr: n is below 32 */
                    memcpy (p, text, n);
                    p += n;
                    if (followed) {
                        *p++ = 0xa8;
                        memcpy (p, "zzzzzzzz", 8);
                    }
                    jk_msgpack_arena_t arena;
                    jk_msgpack_arena_init (&arena);
                    msgpack_object root;
                    bool is_text = !want;
                    size_t end = 0;
                    char why[128];
                    assert_int_equal (jk_msgpack_unpack (buf, size, 4, &arena,
                                                         &root, &is_text, &end,
                                                         why, sizeof why),
                                      0);
                    assert_int_equal (end, size);
                    assert_int_equal (is_text, want);
                    jk_msgpack_arena_free (&arena);
                    free (buf);
                }
                assert_int_equal (jk_msgpack_text (text, n), want);
            }
}

/* 50 units (code and title each), more values than the decoder keeps on
   its stack: they decode the same as the 2 of the sample. */
static void s_pack_50_units (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 50);
    for (int i = 0; i < 50; i++) {
        char code[16], title[32];
        snprintf (code, sizeof code, "M.%02d", i + 1);
        snprintf (title, sizeof title, "Unit kompetensi %d", i + 1);
        msgpack_pack_map (pk, 2);
        s_pack_str (pk, "code", 4);
        s_pack_str (pk, code, strlen (code));
        s_pack_str (pk, "title", 5);
        s_pack_str (pk, title, strlen (title));
    }
}

static void test_many_values (void **state)
{
    (void)state;
    size_t size;
    uint8_t *bytes = s_mutate ("assessment.scheduled", "body.units", OP_REPLACE,
                               s_pack_50_units, &size);
    jk_report_t report = {0};
    jk_event_t *ev = jk_event_decode (bytes, size, &report);
    assert_non_null (ev);
    const jk_value_t *units = jk_event_get (ev, "units");
    assert_int_equal (units->count, 50);
    assert_true (jk_str_eq (units->items[2 * 49], "M.50"));
    assert_true (jk_str_eq (units->items[2 * 49 + 1], "Unit kompetensi 50"));
    size_t again_size;
    uint8_t *again = jk_event_encode (ev, &again_size);
    assert_int_equal (again_size, size);
    assert_memory_equal (again, bytes, size);
    free (again);
    jk_event_destroy (&ev);
    free (bytes);
}

/* Containers whose counts fit the bytes one by one but not together (an
   array of 3 holding an array of 3 in 5 bytes): refused with the reason
   the plain walk (jk_msgpack_check) gives, before anything is taken for
   more items than there are bytes; the walk names where the bytes end. */
static void test_counts_beyond_the_bytes (void **state)
{
    (void)state;
    static const uint8_t nested[][8] = {
        {0x81, 0xa1, 'x', 0x93, 0x92, 0x01, 0x02},
        {0x81, 0x93, 0x93, 0x93, 0xc0, 0xc0, 0xc0},
        {0x82, 0xa1, 'x', 0x92, 0x01, 0x02},
    };
    static const size_t sizes[] = {7, 7, 6};
    for (size_t i = 0; i < 3; i++) {
        char why[128], message[JK_MESSAGE_MAX];
        assert_int_not_equal (jk_msgpack_check (nested[i], sizes[i],
                                                JK_EVENT_MAX_DEPTH, NULL, why,
                                                sizeof why),
                              0);
        snprintf (message, sizeof message,
                  "not a complete MessagePack object: %s", why);
        jk_report_t report = {0};
        assert_null (jk_event_decode (nested[i], sizes[i], &report));
        assert_string_equal (report.error.code, "E_DECODE");
        assert_string_equal (report.error.message, message);
        assert_string_equal (why, "input ends inside a value");
    }
}

/* A str of JK_STRING_MAX_BYTES + 1 bytes. */
static void s_pack_long_text (msgpack_packer *pk)
{
    static char text[JK_STRING_MAX_BYTES + 1];
    memset (text, 'a', sizeof text);
    msgpack_pack_str (pk, sizeof text);
    msgpack_pack_str_body (pk, text, sizeof text);
}

/* str_bytes (PROTOCOL.md 2.1) bounds the actor and the values of body
   fields: a longer type is unknown, a longer body key or a long value
   of a key the type lacks is an unknown field, E_FIELD_LENGTH for none. */
static void test_str_bytes_not_keys (void **state)
{
    (void)state;
    const char *t = "training.batch_closed";
    s_mutation_fails (t, "type", OP_REPLACE, s_pack_long_text, "E_UNKNOWN_TYPE",
                      "type");
    s_mutation_fails (t, "body.zz", OP_ADD, s_pack_long_text, "E_FIELD_UNKNOWN",
                      "body.zz");
    char key[5 + JK_STRING_MAX_BYTES + 2] = "body."; /* 4097 k and a NUL */
    memset (key + 5, 'k', JK_STRING_MAX_BYTES + 1);
    s_mutation_fails (t, key, OP_ADD, s_pack_int, "E_FIELD_UNKNOWN",
                      "body.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
    s_mutation_fails (t, "body.batch", OP_REPLACE, s_pack_long_text,
                      "E_FIELD_LENGTH", "body.batch");
    s_mutation_fails (t, "actor", OP_REPLACE, s_pack_long_text,
                      "E_FIELD_LENGTH", "actor");
}

static void test_envelope_shape (void **state)
{
    (void)state;
    const char *t = "training.batch_closed";
    s_mutation_fails (t, "type", OP_REPLACE, s_pack_unknown_type,
                      "E_UNKNOWN_TYPE", "type");
    s_mutation_fails (t, "type", OP_REPLACE, s_pack_int, "E_ENVELOPE_TYPE",
                      "type");
    s_mutation_fails (t, "v", OP_REPLACE, s_pack_v0, "E_UNKNOWN_VERSION", "v");
    s_mutation_fails (t, "v", OP_REPLACE, s_pack_v2, "E_UNKNOWN_VERSION", "v");
    s_mutation_fails (t, "v", OP_REPLACE, s_pack_negative, "E_ENVELOPE_TYPE",
                      "v");
    s_mutation_fails (t, "v", OP_REPLACE, s_pack_text, "E_ENVELOPE_TYPE", "v");
    s_mutation_fails (t, "id", OP_REPLACE, s_pack_bin15, "E_ENVELOPE_TYPE",
                      "id");
    s_mutation_fails (t, "id", OP_REPLACE, s_pack_text, "E_ENVELOPE_TYPE",
                      "id");
    s_mutation_fails (t, "source", OP_REPLACE, s_pack_int, "E_ENVELOPE_TYPE",
                      "source");
    s_mutation_fails (t, "seq", OP_REPLACE, s_pack_negative, "E_ENVELOPE_TYPE",
                      "seq");
    s_mutation_fails (t, "seq", OP_REPLACE, s_pack_float, "E_ENVELOPE_TYPE",
                      "seq");
    s_mutation_fails (t, "at", OP_REPLACE, s_pack_text, "E_ENVELOPE_TYPE",
                      "at");
    s_mutation_fails (t, "actor", OP_REPLACE, s_pack_nil, "E_ENVELOPE_TYPE",
                      "actor");
    s_mutation_fails (t, "body", OP_REPLACE, s_pack_text, "E_ENVELOPE_TYPE",
                      "body");
    s_mutation_fails (t, "corrects", OP_ADD, s_pack_bin15, "E_ENVELOPE_TYPE",
                      "corrects");
    s_mutation_fails (t, "colour", OP_ADD, s_pack_int, "E_ENVELOPE_UNKNOWN",
                      "colour");
    s_mutation_fails (t, "seq", OP_DUP, NULL, "E_DECODE", "seq");
    const char *required[] = {"id",  "type", "v",     "source",
                              "seq", "at",   "actor", "body"};
    for (size_t i = 0; i < 8; i++)
        s_mutation_fails (t, required[i], OP_REMOVE, NULL, "E_ENVELOPE_MISSING",
                          required[i]);
    /* A negative at (before 1970) decodes; validation rejects it. */
    size_t size;
    uint8_t *bytes = s_mutate (t, "at", OP_REPLACE, s_pack_negative, &size);
    jk_event_t *ev = jk_event_decode (bytes, size, NULL);
    assert_non_null (ev);
    assert_int_equal (ev->at, -3);
    jk_event_destroy (&ev);
    free (bytes);
}

/* One wrong-typed value per field kind. */
static void test_body_wrong_types (void **state)
{
    (void)state;
    struct {
        const char *type, *path;
        s_pack_fn *fn;
        const char *code;
    } cases[] = {
        {"cooperative.registered", "body.name", s_pack_int, "E_FIELD_TYPE"},
        {"cooperative.registered", "body.members_male", s_pack_text,
         "E_FIELD_TYPE"},
        {"cooperative.registered", "body.members_male", s_pack_float,
         "E_FIELD_TYPE"},
        {"cooperative.registered", "body.members_male", s_pack_negative,
         "E_FIELD_RANGE"},
        {"cooperative.rat_held", "body.quorum_met", s_pack_int, "E_FIELD_TYPE"},
        {"cooperative.rat_held", "body.held_on", s_pack_true, "E_FIELD_TYPE"},
        {"training.session_scheduled", "body.starts", s_pack_nil,
         "E_FIELD_TYPE"},
        {"cooperative.registered", "body.form", s_pack_empty_map,
         "E_FIELD_TYPE"},
        {"assessment.unit_assessed", "body.methods", s_pack_text,
         "E_FIELD_TYPE"},
        {"assessment.unit_assessed", "body.methods", s_pack_array_of_int,
         "E_FIELD_TYPE"},
        {"assessment.scheduled", "body.assessors", s_pack_text, "E_FIELD_TYPE"},
        {"assessment.scheduled", "body.assessors", s_pack_array_of_int,
         "E_FIELD_TYPE"},
        {"assessment.scheduled", "body.units", s_pack_text, "E_FIELD_TYPE"},
        {"assessment.scheduled", "body.units", s_pack_unit_not_map,
         "E_FIELD_TYPE"},
        {"assessment.scheduled", "body.units", s_pack_unit_int_title,
         "E_FIELD_TYPE"},
        {"assessment.scheduled", "body.assessors", s_pack_51_items,
         "E_FIELD_LENGTH"},
        {"cooperative.registered", "body.address", s_pack_long_string,
         "E_FIELD_LENGTH"},
        {"cooperative.registered", "body.address", s_pack_deep, "E_DECODE"},
        {"cooperative.registered", "body.form", s_pack_lower_enum,
         "E_FIELD_ENUM"},
        {"cooperative.rat_held", "body.held_on", s_pack_bad_date,
         "E_FIELD_FORMAT"},
        {"training.session_scheduled", "body.starts", s_pack_bad_time,
         "E_FIELD_FORMAT"},
        {"assessment.unit_assessed", "body.methods", s_pack_dup_method,
         "E_FIELD_ENUM"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t size;
        uint8_t *bytes = s_mutate (cases[i].type, cases[i].path, OP_REPLACE,
                                   cases[i].fn, &size);
        jk_report_t report = {0};
        jk_event_t *ev = jk_event_decode (bytes, size, &report);
        if (ev)
            fail_msg ("case %zu (%s) decoded", i, cases[i].path);
        if (strcmp (report.error.code, cases[i].code) != 0)
            fail_msg ("case %zu (%s): expected %s, got %s: %s", i,
                      cases[i].path, cases[i].code, report.error.code,
                      report.error.message);
        /* The deep case is refused before the field is reached. */
        if (strcmp (cases[i].code, "E_DECODE") != 0) {
            assert_string_equal (report.error.field, cases[i].path);
            assert_non_null (strstr (report.error.message, cases[i].path));
        }
        free (bytes);
    }
}

static void test_body_unknown_and_duplicate_keys (void **state)
{
    (void)state;
    s_mutation_fails ("training.batch_closed", "body.colour", OP_ADD,
                      s_pack_int, "E_FIELD_UNKNOWN", "body.colour");
    s_mutation_fails ("training.batch_closed", "body.batch", OP_DUP, NULL,
                      "E_DECODE", "body.batch");
    /* A missing required field decodes; validation names it. */
    size_t size;
    uint8_t *bytes = s_mutate ("training.batch_closed", "body.batch", OP_REMOVE,
                               NULL, &size);
    jk_event_t *ev = jk_event_decode (bytes, size, NULL);
    assert_non_null (ev);
    assert_false (jk_event_get (ev, "batch")->present);
    jk_event_destroy (&ev);
    free (bytes);
}

/* A small xorshift generator: the same inputs on every run. */
static uint64_t s_rand_state = 0x9e3779b97f4a7c15ULL;
static uint64_t s_rand (void)
{
    s_rand_state ^= s_rand_state << 13;
    s_rand_state ^= s_rand_state >> 7;
    s_rand_state ^= s_rand_state << 17;
    return s_rand_state;
}

static void test_random_bytes_never_crash (void **state)
{
    (void)state;
    jk_context_t ctx = {.now_ms = JK_SAMPLE_NOW_MS,
                        .region = jk_region_default ()};
    int decoded = 0;
    for (int round = 0; round < 20000; round++) {
        size_t size = s_rand () % 300;
        uint8_t *buf = jk_malloc (size ? size : 1);
        for (size_t i = 0; i < size; i++)
            buf[i] = (uint8_t)s_rand ();
        /* Most rounds start like a map, so the decoder gets further. */
        if (size && round % 2)
            buf[0] = (uint8_t)(0x80 | (buf[0] & 0x0f));
        jk_report_t report = {0};
        jk_event_t *ev = jk_event_decode (buf, size, &report);
        if (ev) {
            decoded++;
            jk_event_validate (ev, &ctx, &report);
            jk_event_destroy (&ev);
        } else {
            assert_true (report.failed);
            assert_true (report.error.code[0] == 'E');
        }
        jk_envelope_t env;
        jk_envelope_peek (buf, size, &env);
        free (buf);
    }
    assert_int_equal (decoded, 0);
}

/* Flips each byte of every sample: decode either fails with a code or
   yields an event that validates without crashing. */
static void test_mutated_samples_never_crash (void **state)
{
    (void)state;
    jk_context_t ctx = {.now_ms = JK_SAMPLE_NOW_MS,
                        .region = jk_region_default ()};
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        size_t size;
        uint8_t *bytes = s_encode_sample (jk_samples[i].type, &size);
        for (size_t k = 0; k < size; k++) {
            uint8_t *copy = jk_malloc (size);
            memcpy (copy, bytes, size);
            copy[k] ^= (uint8_t)(1 + s_rand () % 255);
            jk_report_t report = {0};
            jk_event_t *ev = jk_event_decode (copy, size, &report);
            if (ev) {
                int rc = jk_event_validate (ev, &ctx, &report);
                assert_true (rc == 0 || report.failed);
                size_t n;
                uint8_t *again = jk_event_encode (ev, &n);
                free (again);
                jk_event_destroy (&ev);
            } else
                assert_true (report.failed);
            free (copy);
        }
        free (bytes);
    }
}

static void test_envelope_peek (void **state)
{
    (void)state;
    size_t size;
    uint8_t *bytes = s_encode_sample ("person.registered", &size);
    jk_envelope_t env;
    assert_true (jk_envelope_peek (bytes, size, &env));
    assert_memory_equal (env.id, jk_sample_id, 16);
    assert_string_equal (env.source, JK_SAMPLE_SOURCE);
    assert_int_equal (env.seq, 1);
    assert_string_equal (env.type, "person.registered");
    assert_int_equal (env.at, JK_SAMPLE_AT_MS);
    assert_int_equal (env.version, 1);
    free (bytes);
    /* An unknown type and a broken body still yield the envelope. */
    bytes = s_mutate ("person.registered", "type", OP_REPLACE,
                      s_pack_unknown_type, &size);
    assert_true (jk_envelope_peek (bytes, size, &env));
    assert_string_equal (env.type, "person.invented");
    free (bytes);
    bytes =
        s_mutate ("person.registered", "body", OP_REPLACE, s_pack_int, &size);
    assert_true (jk_envelope_peek (bytes, size, &env));
    free (bytes);
    /* Without a source there is nobody to attribute it to. */
    bytes = s_mutate ("person.registered", "source", OP_REMOVE, NULL, &size);
    assert_false (jk_envelope_peek (bytes, size, &env));
    free (bytes);
}

/* ---- upcasting
 * ---------------------------------------------------------------- */

/* A made-up history of training.batch_closed: v1 is the vocabulary's
   entry; v2 renames batch to batch_code and adds a reason. */
static const jk_field_t s_closed_v2_fields[] = {
    {"batch_code", JK_KIND_STR, true, 3, 40, NULL, JK_FORMAT_CODE, NULL,
     "training batch code", NULL, NULL, 0},
    {"reason", JK_KIND_STR, false, 0, 250, NULL, JK_FORMAT_NONE, NULL, "why",
     NULL, NULL, 0},
};

static int s_closed_v1_to_v2 (const jk_event_t *old, jk_event_t *out,
                              jk_report_t *report)
{
    const jk_value_t *batch = jk_event_get (old, "batch");
    if (!batch || !batch->present) {
        jk_report_error (report, "E_UPCAST", "body.batch",
                         "body.batch is needed to upcast");
        return -1;
    }
    out->body[0] = *batch;
    return 0;
}

/* Another history, all of the test's own: v1 (name, count) -> v2
   (name, count, note) by name, -> v3 (title, count) by function. */
static const jk_field_t s_own_v1_fields[] = {
    {"name", JK_KIND_STR, true, 1, 50, NULL, JK_FORMAT_NONE, NULL, "name", NULL,
     NULL, 0},
    {"count", JK_KIND_UINT, true, 0, 10, NULL, JK_FORMAT_NONE, NULL, "n", NULL,
     NULL, 0},
};
static const jk_field_t s_own_v2_fields[] = {
    {"note", JK_KIND_STR, false, 0, 50, NULL, JK_FORMAT_NONE, NULL, "note",
     NULL, NULL, 0},
    {"count", JK_KIND_UINT, true, 0, 10, NULL, JK_FORMAT_NONE, NULL, "n", NULL,
     NULL, 0},
    {"name", JK_KIND_STR, true, 1, 50, NULL, JK_FORMAT_NONE, NULL, "name", NULL,
     NULL, 0},
};
static const jk_field_t s_own_v3_fields[] = {
    {"title", JK_KIND_STR, true, 1, 50, NULL, JK_FORMAT_NONE, NULL, "title",
     NULL, NULL, 0},
    {"count", JK_KIND_UINT, true, 0, 10, NULL, JK_FORMAT_NONE, NULL, "n", NULL,
     NULL, 0},
};

static int s_own_v2_to_v3 (const jk_event_t *old, jk_event_t *out,
                           jk_report_t *report)
{
    (void)report;
    out->body[0] = *jk_event_get (old, "name");
    out->body[1] = *jk_event_get (old, "count");
    out->body[1].n *= 2;
    return 0;
}

static const jk_type_t s_own_v1 = {"test.thing",
                                   1,
                                   JK_DOMAIN_REGISTRATION,
                                   "thing",
                                   "v1",
                                   s_own_v1_fields,
                                   2,
                                   false,
                                   NULL,
                                   NULL,
                                   NULL,
                                   NULL,
                                   NULL,
                                   NULL};
static const jk_type_t s_own_v2 = {"test.thing",
                                   2,
                                   JK_DOMAIN_REGISTRATION,
                                   "thing",
                                   "v2",
                                   s_own_v2_fields,
                                   3,
                                   false,
                                   NULL,
                                   &s_own_v1,
                                   NULL,
                                   NULL,
                                   NULL,
                                   NULL};
static const jk_type_t s_own_v3 = {"test.thing",
                                   3,
                                   JK_DOMAIN_REGISTRATION,
                                   "thing",
                                   "v3",
                                   s_own_v3_fields,
                                   2,
                                   false,
                                   NULL,
                                   &s_own_v2,
                                   s_own_v2_to_v3,
                                   NULL,
                                   NULL,
                                   NULL};

/* Parts index per-type tables by vocabulary position. */
static void test_vocabulary_index (void **state)
{
    (void)state;
    assert_int_equal (jk_vocabulary_count (), 18);
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        assert_int_equal (jk_vocabulary_index (jk_vocabulary_at (i)), (int)i);
    assert_int_equal (jk_vocabulary_index (&s_own_v1), -1);
    assert_int_equal (jk_vocabulary_index (&s_own_v2), -1);
    assert_int_equal (jk_vocabulary_index (NULL), -1);
}

/* Natural keys are data: every key field is a field of its type, every
   correction's corrected type exists and has a key; the key of an
   attendance.recorded is batch|session_no|nik, numbers in decimal. */
static void test_natural_keys (void **state)
{
    (void)state;
    int keyed = 0;
    for (size_t i = 0; i < jk_vocabulary_count (); i++) {
        const jk_type_t *t = jk_vocabulary_at (i);
        for (int k = 0; t->key_fields && t->key_fields[k]; k++) {
            const char *f = t->key_fields[k];
            assert_true (jk_type_field (t, f, strlen (f)) >= 0);
            keyed += k == 0;
        }
        if (t->needs_corrects) {
            assert_non_null (t->corrects_type);
            const jk_type_t *target = jk_vocabulary_find (
                t->corrects_type, strlen (t->corrects_type));
            assert_non_null (target);
            assert_non_null (target->key_fields);
        } else
            assert_null (t->corrects_type);
    }
    assert_int_equal (keyed, 1);
    const jk_type_t *t = jk_vocabulary_find ("attendance.recorded", 19);
    jk_event_t *ev = jk_event_new (t);
    jk_report_t report;
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (ev, "batch", "PK2UMK-2022-01", &report), 0);
    assert_int_equal (jk_event_set (ev, "session_no", "03", &report), 0);
    assert_int_equal (jk_event_set (ev, "nik", "3203014107850001", &report), 0);
    char *key = jk_event_key (ev);
    assert_string_equal (key, "PK2UMK-2022-01|3|3203014107850001");
    free (key);
    jk_event_destroy (&ev);
    ev = jk_event_new (jk_vocabulary_find ("person.registered", 17));
    assert_null (jk_event_key (ev));
    jk_event_destroy (&ev);
}

static void test_upcast_renamed_field (void **state)
{
    (void)state;
    const jk_type_t *v1 = jk_vocabulary_find ("training.batch_closed", 21);
    jk_type_t v2 = {"training.batch_closed",
                    2,
                    JK_DOMAIN_ATTENDANCE,
                    "close-batch",
                    "v2",
                    s_closed_v2_fields,
                    2,
                    false,
                    NULL,
                    v1,
                    s_closed_v1_to_v2,
                    NULL,
                    NULL,
                    NULL};
    size_t size;
    uint8_t *bytes = s_encode_sample ("training.batch_closed", &size);
    jk_report_t report = {0};
    jk_event_t *old = jk_event_decode (bytes, size, &report);
    assert_non_null (old);
    jk_event_t *ev = jk_event_upcast (&old, &v2, &report);
    assert_null (old);
    assert_non_null (ev);
    assert_ptr_equal (ev->type, &v2);
    assert_int_equal (ev->version, 2);
    assert_memory_equal (ev->id, jk_sample_id, 16);
    assert_int_equal (ev->seq, 1);
    assert_true (jk_str_eq (ev->source, JK_SAMPLE_SOURCE));
    char buf[64];
    assert_string_equal (jk_event_text (ev, "batch_code", buf, sizeof buf),
                         "PK2UMK-2022-01");
    assert_false (jk_event_get (ev, "reason")->present);
    /* Still zero copy: the value points into the stored bytes. */
    assert_true (
        (const uint8_t *)jk_event_get (ev, "batch_code")->s.ptr >= bytes &&
        (const uint8_t *)jk_event_get (ev, "batch_code")->s.ptr < bytes + size);
    /* The default by-name upcast loses the renamed field. */
    v2.upcast = NULL;
    old = jk_event_decode (bytes, size, &report);
    jk_event_t *plain = jk_event_upcast (&old, &v2, &report);
    assert_non_null (plain);
    assert_false (jk_event_get (plain, "batch_code")->present);
    jk_event_destroy (&plain);
    /* Upcasting to the type it already has is the identity. */
    old = jk_event_decode (bytes, size, &report);
    jk_event_t *same = old;
    assert_ptr_equal (jk_event_upcast (&old, v1, &report), same);
    assert_null (old);
    jk_event_destroy (&same);
    jk_event_destroy (&ev);
    free (bytes);
}

/* Events decoded into a slab equal those decoded on the heap; past its
   room they are on the heap; a decode that fails in it holds nothing;
   its maker and its events let go of it in any order (the last frees
   it: a leak or a second free fails the sanitizer run). */
static void test_slab (void **state)
{
    (void)state;
    enum { ROOM = 3, EVENTS = 5 };
    jk_event_slab_t *slab = jk_event_slab_new (ROOM);
    jk_event_t *in_slab[EVENTS];
    uint8_t *bytes[EVENTS];
    size_t size[EVENTS];
    for (int i = 0; i < EVENTS; i++) {
        jk_event_t *ev = jk_sample_event (&jk_samples[i]);
        bytes[i] = jk_event_encode (ev, &size[i]);
        assert_non_null (bytes[i]);
        jk_report_t report;
        in_slab[i] = jk_event_decode_in (slab, bytes[i], size[i], &report);
        assert_non_null (in_slab[i]);
        assert_false (report.failed);
        assert_true (jk_event_equal (ev, in_slab[i]));
        if (i < ROOM)
            assert_ptr_equal (in_slab[i]->slab, slab);
        else
            assert_null (in_slab[i]->slab);
        jk_event_destroy (&ev);
    }
    jk_event_slab_release (&slab);
    assert_null (slab);
    /* A failed decode into a slab with room. */
    slab = jk_event_slab_new (2);
    jk_report_t report;
    assert_null (jk_event_decode_in (slab, bytes[0], size[0] - 1, &report));
    assert_string_equal (report.error.code, "E_DECODE");
    jk_event_t *one = jk_event_decode_in (slab, bytes[1], size[1], &report);
    assert_non_null (one);
    assert_ptr_equal (one->slab, slab);
    jk_event_slab_release (&slab);
    jk_event_destroy (&one);
    /* The first slab's events, the middle one first. */
    jk_event_destroy (&in_slab[1]);
    assert_null (in_slab[1]);
    for (int i = 0; i < EVENTS; i++)
        jk_event_destroy (&in_slab[i]);
    /* No slab: on the heap, as jk_event_decode. */
    jk_event_t *heap = jk_event_decode_in (NULL, bytes[0], size[0], &report);
    assert_non_null (heap);
    assert_null (heap->slab);
    jk_event_destroy (&heap);
    jk_event_slab_release (&slab); /* NULL: nothing */
    for (int i = 0; i < EVENTS; i++)
        free (bytes[i]);
}

/* A slab's places are not cleared in full: an event decoded into one
   whose memory held other bytes (freed and handed back by malloc; under
   ASan every fresh block is filled) reads exactly as one decoded on the
   heap, field by field of its type, every other field absent. */
static void test_slab_over_old_bytes (void **state)
{
    (void)state;
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        jk_event_t *ev = jk_sample_event (&jk_samples[i]);
        for (size_t f = 1; f < ev->type->field_count; f += 2)
            ev->body[f].present = false;
        size_t size;
        uint8_t *bytes = jk_event_encode (ev, &size);
        assert_non_null (bytes);
        enum { ROOM = 2 };
        size_t block = sizeof (jk_event_t) * (ROOM + 1);
        void *dirty = malloc (block);
        assert_non_null (dirty);
        memset (dirty, 0xa5, block);
        free (dirty);
        jk_event_slab_t *slab = jk_event_slab_new (ROOM);
        jk_report_t report;
        jk_event_t *heap = jk_event_decode (bytes, size, &report);
        assert_non_null (heap);
        jk_event_t *in = jk_event_decode_in (slab, bytes, size, &report);
        assert_non_null (in);
        assert_ptr_equal (in->slab, slab);
        assert_ptr_equal (in->type, heap->type);
        assert_int_equal (in->version, heap->version);
        assert_int_equal (in->has_corrects, heap->has_corrects);
        assert_null (in->arena);
        for (size_t f = 0; f < in->type->field_count; f++) {
            const jk_value_t *a = &in->body[f], *b = &heap->body[f];
            assert_int_equal (a->present, b->present);
            if (f % 2)
                assert_false (a->present);
            assert_int_equal (a->n, b->n);
            assert_int_equal (a->count, b->count);
            assert_int_equal (a->s.len, b->s.len);
            assert_int_equal (a->s.ptr == NULL, b->s.ptr == NULL);
            assert_int_equal (a->items == NULL, b->items == NULL);
        }
        assert_true (jk_event_equal (ev, in));
        assert_true (jk_event_equal (heap, in));
        jk_event_slab_release (&slab);
        jk_event_destroy (&in);
        jk_event_destroy (&heap);
        jk_event_destroy (&ev);
        free (bytes);
    }
}

/* A pool of slabs keeps at most its bound of freed slabs, hands the
   last kept back first, and an event decoded into a slab taken again
   reads as its bytes say (and as one on the heap), over the bytes of the
   events before; slabs still out when the pool is destroyed are freed
   with their last event (a leak or a second free fails the sanitizer
   run). */
static void test_slab_pool (void **state)
{
    (void)state;
    enum { ROOM = 3, KEEP = 2, SLABS = 3 };
    uint8_t *bytes[JK_SAMPLE_COUNT];
    size_t size[JK_SAMPLE_COUNT];
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        jk_event_t *ev = jk_sample_event (&jk_samples[i]);
        bytes[i] = jk_event_encode (ev, &size[i]);
        assert_non_null (bytes[i]);
        jk_event_destroy (&ev);
    }
    jk_event_slabs_t *pool = jk_event_slabs_new (ROOM, KEEP);
    assert_int_equal (jk_event_slabs_kept (pool), 0);
    jk_report_t report;
    jk_event_slab_t *slab[SLABS];
    jk_event_t *in[SLABS][ROOM];
    size_t n = 0;
    for (int r = 0; r < 4; r++) {
        /* Each slab full (ROOM events), then let go of by its maker and
           its events: the pool keeps KEEP of them, frees the rest. */
        for (int s = 0; s < SLABS; s++) {
            slab[s] = jk_event_slabs_take (pool, ROOM);
            assert_non_null (slab[s]);
            for (int e = 0; e < ROOM; e++, n++) {
                size_t i = n % JK_SAMPLE_COUNT;
                in[s][e] =
                    jk_event_decode_in (slab[s], bytes[i], size[i], &report);
                assert_non_null (in[s][e]);
                assert_ptr_equal (in[s][e]->slab, slab[s]);
            }
            /* Past its room: on the heap. */
            jk_event_t *heap =
                jk_event_decode_in (slab[s], bytes[0], size[0], &report);
            assert_non_null (heap);
            assert_null (heap->slab);
            jk_event_destroy (&heap);
        }
        /* Round 0 took new slabs, the others KEEP kept and new ones. */
        assert_int_equal (jk_event_slabs_kept (pool), 0);
        jk_event_slab_t *was[SLABS];
        memcpy (was, slab, sizeof was);
        for (int s = 0; s < SLABS; s++) {
            jk_event_slab_release (&slab[s]);
            for (int e = 0; e < ROOM; e++) {
                size_t i = (n - (size_t)(SLABS - s) * ROOM + (size_t)e) %
                           JK_SAMPLE_COUNT;
                jk_event_t *heap = jk_event_decode (bytes[i], size[i], &report);
                assert_non_null (heap);
                assert_true (jk_event_equal (heap, in[s][e]));
                jk_event_destroy (&heap);
                jk_event_destroy (&in[s][e]);
            }
            assert_int_equal (jk_event_slabs_kept (pool),
                              s + 1 < KEEP ? s + 1 : KEEP);
        }
        /* The last kept goes out first: the second slab of the round. */
        jk_event_slab_t *again = jk_event_slabs_take (pool, 1);
        assert_ptr_equal (again, was[KEEP - 1]);
        assert_int_equal (jk_event_slabs_kept (pool), KEEP - 1);
        jk_event_t *one =
            jk_event_decode_in (again, bytes[1], size[1], &report);
        assert_ptr_equal (one->slab, again);
        /* Room for one: the next is on the heap. */
        jk_event_t *two =
            jk_event_decode_in (again, bytes[2], size[2], &report);
        assert_null (two->slab);
        jk_event_slab_release (&again);
        jk_event_t *heap = jk_event_decode (bytes[1], size[1], &report);
        assert_true (jk_event_equal (heap, one));
        jk_event_destroy (&heap);
        jk_event_destroy (&two);
        jk_event_destroy (&one);
        assert_int_equal (jk_event_slabs_kept (pool), KEEP);
        /* Two taken and kept again: the start of the next round. */
        slab[0] = jk_event_slabs_take (pool, ROOM);
        slab[1] = jk_event_slabs_take (pool, ROOM);
        assert_int_equal (jk_event_slabs_kept (pool), 0);
        jk_event_slab_release (&slab[0]);
        jk_event_slab_release (&slab[1]);
        assert_int_equal (jk_event_slabs_kept (pool), KEEP);
    }
    /* A slab out when its pool is destroyed: its event stays whole, and
       the last to let go frees both. */
    jk_event_slab_t *out = jk_event_slabs_take (pool, ROOM);
    jk_event_t *last = jk_event_decode_in (out, bytes[3], size[3], &report);
    assert_non_null (last);
    jk_event_slab_release (&out);
    jk_event_slabs_destroy (&pool);
    assert_null (pool);
    jk_event_slabs_destroy (&pool); /* NULL: nothing */
    jk_event_t *heap = jk_event_decode (bytes[3], size[3], &report);
    assert_true (jk_event_equal (heap, last));
    jk_event_destroy (&heap);
    jk_event_destroy (&last);
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++)
        free (bytes[i]);
}

/* A slab packs its events (each with its type's fields only, its arrays
   beside it) and takes more memory when they need more than its first
   block: every sample (each type's fields and arrays) decoded into one
   slab several times over reads as its bytes say once all are made, and
   the events let go of it in any order (a write past an event's room or
   a block freed too early fails the sanitizer run). */
static void test_slab_packed (void **state)
{
    (void)state;
    enum { TIMES = 4 };
    size_t count = JK_SAMPLE_COUNT * TIMES;
    uint8_t **bytes = calloc (count, sizeof *bytes);
    size_t *size = calloc (count, sizeof *size);
    jk_event_t **in = calloc (count, sizeof *in);
    assert_true (bytes && size && in);
    jk_event_slab_t *slab = jk_event_slab_new (count);
    jk_report_t report;
    for (size_t n = 0; n < count; n++) {
        jk_event_t *ev = jk_sample_event (&jk_samples[n % JK_SAMPLE_COUNT]);
        bytes[n] = jk_event_encode (ev, &size[n]);
        assert_non_null (bytes[n]);
        in[n] = jk_event_decode_in (slab, bytes[n], size[n], &report);
        assert_non_null (in[n]);
        assert_ptr_equal (in[n]->slab, slab);
        assert_null (in[n]->arena);
        jk_event_destroy (&ev);
    }
    jk_event_slab_release (&slab);
    for (size_t n = 0; n < count; n++) {
        jk_event_t *heap = jk_event_decode (bytes[n], size[n], &report);
        assert_non_null (heap);
        assert_true (jk_event_equal (heap, in[n]));
        jk_event_destroy (&heap);
    }
    for (size_t n = 1; n < count; n += 2)
        jk_event_destroy (&in[n]);
    for (size_t n = 0; n < count; n += 2)
        jk_event_destroy (&in[n]);
    for (size_t n = 0; n < count; n++)
        free (bytes[n]);
    free (bytes);
    free (size);
    free (in);
}

/* A body whose keys come in reverse field order (any order is valid
   MessagePack) decodes to the same event as the one in field order. */
static void test_body_in_any_order (void **state)
{
    (void)state;
    for (size_t i = 0; i < JK_SAMPLE_COUNT; i++) {
        size_t n, size;
        uint8_t *bytes = s_encode_sample (jk_samples[i].type, &n);
        uint8_t *reversed_bytes =
            s_mutate (jk_samples[i].type, "body.*", OP_REVERSE, NULL, &size);
        assert_int_equal (size, n);
        jk_report_t report;
        jk_event_t *ordered = jk_event_decode (bytes, n, &report);
        assert_non_null (ordered);
        jk_event_t *reversed = jk_event_decode (reversed_bytes, size, &report);
        if (!reversed)
            fail_msg ("%s: %s", jk_samples[i].type, report.error.message);
        assert_true (jk_event_equal (ordered, reversed));
        jk_event_destroy (&ordered);
        jk_event_destroy (&reversed);
        free (reversed_bytes);
        free (bytes);
    }
}

static void test_upcast_two_steps (void **state)
{
    (void)state;
    jk_event_t *old = jk_event_new (&s_own_v1);
    jk_report_t report = {0};
    jk_report_reset (&report);
    assert_int_equal (jk_event_set (old, "name", "Koperasi", &report), 0);
    jk_event_set_uint (old, "count", 4);
    jk_event_set_source (old, JK_SAMPLE_SOURCE);
    uint8_t id[16];
    memcpy (id, old->id, 16);
    /* v1 -> v2 by name (fields reordered), v2 -> v3 by function. */
    jk_event_t *ev = jk_event_upcast (&old, &s_own_v3, &report);
    assert_non_null (ev);
    assert_null (old);
    assert_ptr_equal (ev->type, &s_own_v3);
    assert_int_equal (ev->version, 3);
    assert_memory_equal (ev->id, id, 16);
    char buf[32];
    assert_string_equal (jk_event_text (ev, "title", buf, sizeof buf),
                         "Koperasi");
    assert_int_equal (jk_event_get (ev, "count")->n, 8);
    jk_event_destroy (&ev);

    /* No path from another type's history. */
    jk_event_t *other = jk_sample_by_name ("training.batch_closed");
    assert_null (jk_event_upcast (&other, &s_own_v3, &report));
    assert_string_equal (report.error.code, "E_UNKNOWN_VERSION");
    assert_non_null (other);
    jk_event_destroy (&other);

    /* A failing upcast function leaves the old event with the caller. */
    const jk_type_t *v1 = jk_vocabulary_find ("training.batch_closed", 21);
    jk_type_t v2 = {"training.batch_closed",
                    2,
                    JK_DOMAIN_ATTENDANCE,
                    "close-batch",
                    "v2",
                    s_closed_v2_fields,
                    2,
                    false,
                    NULL,
                    v1,
                    s_closed_v1_to_v2,
                    NULL,
                    NULL,
                    NULL};
    jk_event_t *empty = jk_event_new (v1);
    jk_event_set_source (empty, JK_SAMPLE_SOURCE);
    jk_event_set_actor (empty, JK_SAMPLE_ACTOR);
    jk_report_reset (&report);
    assert_null (jk_event_upcast (&empty, &v2, &report));
    assert_string_equal (report.error.code, "E_UPCAST");
    assert_non_null (empty);
    /* Its strings are still its own. */
    assert_true (jk_str_eq (empty->source, JK_SAMPLE_SOURCE));
    assert_true (jk_str_eq (empty->actor, JK_SAMPLE_ACTOR));
    jk_event_destroy (&empty);
}

/* A feed record is a rejection by its topic's prefix, nothing else. */
static void test_record_rejected (void **state)
{
    (void)state;
    const struct {
        const char *topic;
        bool rejected;
    } cases[] = {
        {"rejected.person.registered", true},
        {"rejected.", true},
        {"rejected", false},
        {"person.registered", false},
        {"Rejected.person.registered", false},
        {JK_FEED_HEAD, false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jk_record_t r = {0};
        snprintf (r.topic, sizeof r.topic, "%s", cases[i].topic);
        if (jk_record_rejected (&r) != cases[i].rejected)
            fail_msg ("topic '%s': rejected %d, expected %d", cases[i].topic,
                      !cases[i].rejected, cases[i].rejected);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_vocabulary_has_18_types),
        cmocka_unit_test (test_round_trip_every_type),
        cmocka_unit_test (test_slab),
        cmocka_unit_test (test_slab_over_old_bytes),
        cmocka_unit_test (test_slab_packed),
        cmocka_unit_test (test_slab_pool),
        cmocka_unit_test (test_body_in_any_order),
        cmocka_unit_test (test_equal_sees_differences),
        cmocka_unit_test (test_get_by_name),
        cmocka_unit_test (test_golden_bytes),
        cmocka_unit_test (test_set_parses_operator_text),
        cmocka_unit_test (test_every_prefix_is_an_error),
        cmocka_unit_test (test_trailing_bytes_are_an_error),
        cmocka_unit_test (test_oversized_is_too_large),
        cmocka_unit_test (test_huge_container_headers),
        cmocka_unit_test (test_not_a_map),
        cmocka_unit_test (test_text_at_every_position),
        cmocka_unit_test (test_text_check_in_exact_buffers),
        cmocka_unit_test (test_many_values),
        cmocka_unit_test (test_counts_beyond_the_bytes),
        cmocka_unit_test (test_envelope_shape),
        cmocka_unit_test (test_str_bytes_not_keys),
        cmocka_unit_test (test_body_wrong_types),
        cmocka_unit_test (test_body_unknown_and_duplicate_keys),
        cmocka_unit_test (test_random_bytes_never_crash),
        cmocka_unit_test (test_mutated_samples_never_crash),
        cmocka_unit_test (test_envelope_peek),
        cmocka_unit_test (test_vocabulary_index),
        cmocka_unit_test (test_natural_keys),
        cmocka_unit_test (test_upcast_renamed_field),
        cmocka_unit_test (test_upcast_two_steps),
        cmocka_unit_test (test_record_rejected),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
