/*  test_model_map.c - the decision model's maps (model_map.c) against
    CZMQ's zhashx as the reference: the same random puts, replacements and
    removals over keys that share slots (a small key space, the map
    starting at 16 slots and growing), the same lookups after each step,
    the same entries walked; every dropped entry freed exactly once; a
    cleared map empty and filled again in the same order. */
#include "model_internal.h"
#include "testsupport.h"

/* Entries are counted so that a leak or a double free shows. */
static int s_live;

static void s_entry_free (void **item_p)
{
    if (*item_p) {
        s_live--;
        free (*item_p);
        *item_p = NULL;
    }
}

static int *s_value (int n)
{
    int *v = jk_calloc (1, sizeof *v);
    *v = n;
    s_live++;
    return v;
}

static void s_key_of (unsigned n, char key[32])
{
    /* Keys like the model's: parts joined by \x1f, of several lengths
       (below, at and above 8 bytes a step). */
    snprintf (key, 32, "B-%u\x1f%0*u", n % 7, (int)(n % 13), n);
}

/* Every key of the reference is in map with the same entry, the sizes
   agree, and a walk of map visits exactly the reference's keys. */
static void s_same (jk_model_map_t *map, zhashx_t *ref)
{
    assert_int_equal (jk_model_map_size (map), zhashx_size (ref));
    for (int *v = zhashx_first (ref); v; v = zhashx_next (ref)) {
        const char *key = zhashx_cursor (ref);
        int *got = jk_model_map_lookup (map, key);
        assert_non_null (got);
        assert_int_equal (*got, *v);
    }
    size_t walked = 0;
    for (int *v = jk_model_map_first (map); v; v = jk_model_map_next (map)) {
        const char *key = jk_model_map_cursor (map);
        int *want = zhashx_lookup (ref, key);
        assert_non_null (want);
        assert_int_equal (*want, *v);
        walked++;
    }
    assert_int_equal (walked, zhashx_size (ref));
    assert_null (jk_model_map_cursor (map));
}

static void test_against_zhashx (void **state)
{
    (void)state;
    s_live = 0;
    jk_model_map_t *map = jk_model_map_new (s_entry_free);
    zhashx_t *ref = zhashx_new (); /* key -> the same int, not owned */
    uint64_t rng = 88172645463325252ULL;
    size_t puts = 0, replaced = 0, refused = 0, removed = 0, missed = 0;
    for (int step = 0; step < 60000; step++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        /* The key space grows, then shrinks, so the map grows from 16
           slots and is emptied by removals in between. */
        unsigned space = step < 30000 ? 50 + step / 10 : 400;
        unsigned n = (unsigned)(rng >> 20) % space;
        char key[32];
        s_key_of (n, key);
        int op = (int)(rng % 10);
        if (op < 4) {
            int *v = s_value (step);
            if (jk_model_map_insert (map, key, v) == 0) {
                assert_null (zhashx_lookup (ref, key));
                zhashx_insert (ref, key, v);
                puts++;
            } else {
                assert_non_null (zhashx_lookup (ref, key));
                s_entry_free ((void **)&v);
                refused++;
            }
        } else if (op < 6) {
            int *v = s_value (step);
            if (zhashx_lookup (ref, key))
                replaced++;
            jk_model_map_update (map, key, v);
            zhashx_update (ref, key, v);
        } else if (op < 9) {
            if (zhashx_lookup (ref, key))
                removed++;
            else
                missed++;
            jk_model_map_delete (map, key);
            zhashx_delete (ref, key);
        } else {
            bool made;
            void **slot = jk_model_map_put (map, key, &made);
            assert_int_equal (made, zhashx_lookup (ref, key) == NULL);
            if (made) {
                *slot = s_value (step);
                zhashx_insert (ref, key, *slot);
            }
        }
        int *want = zhashx_lookup (ref, key);
        int *got = jk_model_map_lookup (map, key);
        if (want) {
            assert_non_null (got);
            assert_int_equal (*got, *want);
        } else
            assert_null (got);
        if (step % 997 == 0)
            s_same (map, ref);
        assert_int_equal ((size_t)s_live, zhashx_size (ref));
    }
    s_same (map, ref);
    /* Every kind of step happened, many times. */
    assert_true (puts > 1000 && replaced > 1000 && refused > 1000 &&
                 removed > 1000 && missed > 1000);
    /* Removing every key leaves nothing; what was not there stays not. */
    for (unsigned n = 0; n < 3050; n++) {
        char key[32];
        s_key_of (n, key);
        jk_model_map_delete (map, key);
        zhashx_delete (ref, key);
    }
    s_same (map, ref);
    assert_int_equal (jk_model_map_size (map), 0);
    assert_int_equal (s_live, 0);
    assert_null (jk_model_map_first (map));
    assert_null (jk_model_map_lookup (map, "B-1\x1f"));
    /* And filled again, then dropped whole: each entry freed once. */
    for (unsigned n = 0; n < 5000; n++) {
        char key[32];
        s_key_of (n, key);
        assert_int_equal (jk_model_map_insert (map, key, s_value ((int)n)), 0);
    }
    assert_int_equal (jk_model_map_size (map), 5000);
    assert_int_equal (s_live, 5000);
    jk_model_map_destroy (&map);
    assert_null (map);
    assert_int_equal (s_live, 0);
    zhashx_destroy (&ref);
}

/* The empty key and keys that differ only after their first 8 bytes, or
   in length, are told apart; a map without a destructor leaves its
   entries to their owner. */
static void test_keys_apart (void **state)
{
    (void)state;
    static char a = 'a', b = 'b', c = 'c', d = 'd';
    jk_model_map_t *map = jk_model_map_new (NULL);
    assert_int_equal (jk_model_map_insert (map, "", &a), 0);
    assert_int_equal (jk_model_map_insert (map, "12345678x", &b), 0);
    assert_int_equal (jk_model_map_insert (map, "12345678y", &c), 0);
    assert_int_equal (jk_model_map_insert (map, "12345678", &d), 0);
    assert_int_equal (jk_model_map_insert (map, "12345678", &a), -1);
    assert_ptr_equal (jk_model_map_lookup (map, ""), &a);
    assert_ptr_equal (jk_model_map_lookup (map, "12345678x"), &b);
    assert_ptr_equal (jk_model_map_lookup (map, "12345678y"), &c);
    assert_ptr_equal (jk_model_map_lookup (map, "12345678"), &d);
    assert_null (jk_model_map_lookup (map, "1234567"));
    assert_null (jk_model_map_lookup (map, "12345678z"));
    jk_model_map_update (map, "12345678", &a);
    assert_ptr_equal (jk_model_map_lookup (map, "12345678"), &a);
    jk_model_map_delete (map, "");
    assert_null (jk_model_map_lookup (map, ""));
    assert_int_equal (jk_model_map_size (map), 3);
    jk_model_map_destroy (&map);
    assert_int_equal (a + b + c + d, 'a' + 'b' + 'c' + 'd');
}

/* A borrowing map keeps the key pointers it is given: entries that hold
   their own keys need no copies; a put of a key already there points the
   slot at the new entry's key before the old entry is freed, and no key
   is freed by the map (ASan: no leak, no double free, no stale read). */
typedef struct {
    int n;
    char key[24];
} s_row_t;

static void test_borrowing (void **state)
{
    (void)state;
    s_live = 0;
    jk_model_map_t *map = jk_model_map_borrowing (s_entry_free);
    for (int n = 0; n < 300; n++) {
        s_row_t *row = jk_calloc (1, sizeof *row);
        s_live++;
        row->n = n;
        snprintf (row->key, sizeof row->key, "row\x1f%d", n % 200);
        bool made;
        void **slot = jk_model_map_put (map, row->key, &made);
        assert_int_equal (made, n < 200);
        if (!made)
            s_entry_free (slot);
        *slot = row;
    }
    assert_int_equal (jk_model_map_size (map), 200);
    assert_int_equal (s_live, 200);
    for (int n = 0; n < 200; n++) {
        char key[24];
        snprintf (key, sizeof key, "row\x1f%d", n);
        s_row_t *row = jk_model_map_lookup (map, key);
        assert_non_null (row);
        /* The later row of the key, and the slot holds its key. */
        assert_int_equal (row->n, n < 100 ? n + 200 : n);
        jk_model_map_first (map);
        bool found = false;
        for (s_row_t *r = jk_model_map_first (map); r && !found;
             r = jk_model_map_next (map))
            if (r == row) {
                assert_ptr_equal (jk_model_map_cursor (map), row->key);
                found = true;
            }
        assert_true (found);
    }
    for (int n = 0; n < 200; n += 2) {
        char key[24];
        snprintf (key, sizeof key, "row\x1f%d", n);
        jk_model_map_delete (map, key);
        assert_null (jk_model_map_lookup (map, key));
    }
    assert_int_equal (jk_model_map_size (map), 100);
    assert_int_equal (s_live, 100);
    jk_model_map_destroy (&map);
    assert_int_equal (s_live, 0);
}

/* An inline map: each new key gets one zeroed block of the entry's size
   with the key's copy after it, which the slot's key points at; a key
   already there gives its entry back untouched; deleting a key (given as
   its own slot's key, as an eviction walk does) and destroying the map
   free each block once (ASan: no leak, no double free, no stale read). */
static int s_blocks;

static void s_block_free (void **item_p)
{
    if (*item_p) {
        s_blocks--;
        free (*item_p);
        *item_p = NULL;
    }
}

static void test_inline (void **state)
{
    (void)state;
    s_blocks = 0;
    jk_model_map_t *map = jk_model_map_inline (s_block_free);
    zhashx_t *ref = zhashx_new (); /* key -> the entry, not owned */
    for (unsigned n = 0; n < 3000; n++) {
        char key[32];
        s_key_of (n % 2000, key);
        bool made;
        int64_t *e = jk_model_map_entry (map, key, 3 * sizeof *e, &made);
        assert_int_equal (made, n < 2000);
        if (made) {
            s_blocks++;
            assert_int_equal (e[0] | e[1] | e[2], 0);
            /* The key's copy follows the entry. */
            assert_string_equal ((char *)(e + 3), key);
            e[0] = n;
            e[2] = -(int64_t)n;
            zhashx_insert (ref, key, e);
        } else {
            assert_ptr_equal (e, zhashx_lookup (ref, key));
            assert_int_equal (e[0], n - 2000);
            assert_int_equal (e[2], -(int64_t)(n - 2000));
        }
    }
    assert_int_equal (jk_model_map_size (map), 2000);
    assert_int_equal (s_blocks, 2000);
    size_t walked = 0;
    for (int64_t *e = jk_model_map_first (map); e;
         e = jk_model_map_next (map)) {
        assert_ptr_equal (jk_model_map_cursor (map), (char *)(e + 3));
        assert_ptr_equal (zhashx_lookup (ref, jk_model_map_cursor (map)), e);
        walked++;
    }
    assert_int_equal (walked, 2000);
    /* Deleting by the slot's own key, which lives in the block freed. */
    for (unsigned n = 0; n < 2000; n += 3) {
        char key[32];
        s_key_of (n, key);
        int64_t *e = jk_model_map_lookup (map, key);
        assert_non_null (e);
        jk_model_map_delete (map, (char *)(e + 3));
        assert_null (jk_model_map_lookup (map, key));
        zhashx_delete (ref, key);
    }
    assert_int_equal (jk_model_map_size (map), zhashx_size (ref));
    assert_int_equal ((size_t)s_blocks, zhashx_size (ref));
    for (int64_t *e = zhashx_first (ref); e; e = zhashx_next (ref))
        assert_ptr_equal (jk_model_map_lookup (map, zhashx_cursor (ref)), e);
    jk_model_map_destroy (&map);
    assert_int_equal (s_blocks, 0);
    zhashx_destroy (&ref);
}

/* Walks map into keys (each a copy): how many entries it visited. */
static size_t s_walk (jk_model_map_t *map, char keys[][32], size_t max)
{
    size_t walked = 0;
    for (void *e = jk_model_map_first (map); e; e = jk_model_map_next (map)) {
        assert_true (walked < max);
        snprintf (keys[walked++], 32, "%s", jk_model_map_cursor (map));
    }
    return walked;
}

/* Clearing drops every entry once (owned keys and inline blocks alike),
   leaves a map that finds nothing and walks nothing, and takes puts
   again: the same puts after a clear walk in the same order (the slots
   kept, the flush's statements in a repeatable order). */
static void test_clear (void **state)
{
    (void)state;
    enum { KEYS = 1500 };
    static char first[KEYS][32], again[KEYS][32];
    s_live = 0;
    s_blocks = 0;
    jk_model_map_t *owned = jk_model_map_new (s_entry_free);
    jk_model_map_t *blocks = jk_model_map_inline (s_block_free);
    jk_model_map_clear (owned); /* empty: nothing to do */
    assert_int_equal (jk_model_map_size (owned), 0);
    for (int round = 0; round < 3; round++) {
        for (unsigned n = 0; n < KEYS; n++) {
            char key[32];
            s_key_of (n * 7 + 1, key);
            assert_int_equal (jk_model_map_insert (owned, key, s_value (n)), 0);
            bool made;
            int64_t *e = jk_model_map_entry (blocks, key, sizeof *e, &made);
            assert_true (made);
            assert_int_equal (*e, 0);
            *e = n;
            s_blocks++;
        }
        assert_int_equal (jk_model_map_size (owned), KEYS);
        assert_int_equal (jk_model_map_size (blocks), KEYS);
        size_t walked = s_walk (blocks, round ? again : first, KEYS);
        assert_int_equal (walked, KEYS);
        if (round)
            for (size_t i = 0; i < walked; i++)
                assert_string_equal (again[i], first[i]);
        jk_model_map_clear (owned);
        jk_model_map_clear (blocks);
        assert_int_equal (s_live, 0);
        assert_int_equal (s_blocks, 0);
        assert_int_equal (jk_model_map_size (owned), 0);
        assert_int_equal (jk_model_map_size (blocks), 0);
        assert_null (jk_model_map_first (owned));
        assert_null (jk_model_map_first (blocks));
        assert_null (jk_model_map_cursor (blocks));
        for (unsigned n = 0; n < KEYS; n += 97) {
            char key[32];
            s_key_of (n * 7 + 1, key);
            assert_null (jk_model_map_lookup (owned, key));
            assert_null (jk_model_map_lookup (blocks, key));
        }
    }
    /* A borrowing map's keys are the caller's: clear frees none. */
    jk_model_map_t *borrowed = jk_model_map_borrowing (s_entry_free);
    static char keys[100][32];
    for (unsigned n = 0; n < 100; n++) {
        s_key_of (n, keys[n]);
        assert_int_equal (jk_model_map_insert (borrowed, keys[n], s_value (n)),
                          0);
    }
    jk_model_map_clear (borrowed);
    assert_int_equal (s_live, 0);
    assert_int_equal (jk_model_map_insert (borrowed, keys[5], s_value (5)), 0);
    assert_int_equal (*(int *)jk_model_map_lookup (borrowed, keys[5]), 5);
    jk_model_map_destroy (&borrowed);
    jk_model_map_destroy (&owned);
    jk_model_map_destroy (&blocks);
    assert_int_equal (s_live, 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_against_zhashx),
        cmocka_unit_test (test_keys_apart),
        cmocka_unit_test (test_borrowing),
        cmocka_unit_test (test_inline),
        cmocka_unit_test (test_clear),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
