/*  model_map.c - the decision model's maps (model_internal.h): text key ->
    entry, in one array of slots probed in turn from the key's hash (open
    addressing, linear probing), each slot holding the hash, a copy of the
    key and the entry. A lookup compares hashes before it reads a key, a
    new key costs one allocation (its copy), growing never reads a key,
    and removing an entry moves the slots after it back (no tombstones).
    The model and the projections' write-behind counters call these on
    every event: they replace CZMQ's zhashx there, which allocates two
    blocks per key, chains its buckets, and shrinks its table at every
    purge (to grow it again, page by page, in the next transaction). */
#include "model_internal.h"

size_t jk_model_key_hash (const void *key)
{
    const char *text = key;
    size_t len = strlen (text);
    uint64_t hash = 0x9e3779b97f4a7c15ULL ^ len;
    for (; len >= 8; text += 8, len -= 8) {
        uint64_t word;
        memcpy (&word, text, 8);
        hash = (hash ^ word) * 0xff51afd7ed558ccdULL;
        hash ^= hash >> 32;
    }
    uint64_t tail = 0;
    memcpy (&tail, text, len);
    hash = (hash ^ tail) * 0xc4ceb9fe1a85ec53ULL;
    hash ^= hash >> 29;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 32;
    return (size_t)hash;
}

typedef struct {
    uint64_t hash;
    char *key; /* NULL: empty */
    void *value;
} s_slot_t;

struct jk_model_map_s {
    s_slot_t *slot;
    size_t mask;   /* slots - 1 (a power of two) */
    size_t count;  /* entries */
    size_t cursor; /* jk_model_map_first / _next: the slot at */
    jk_model_map_free_fn *destructor;
    bool borrow;      /* keys are the caller's, not copies */
    bool inline_keys; /* each key is copied into its entry's block */
};

#define S_SLOTS_MIN 16

jk_model_map_t *jk_model_map_new (jk_model_map_free_fn *destructor)
{
    jk_model_map_t *self = jk_calloc (1, sizeof *self);
    self->destructor = destructor;
    self->slot = jk_calloc (S_SLOTS_MIN, sizeof *self->slot);
    self->mask = S_SLOTS_MIN - 1;
    return self;
}

jk_model_map_t *jk_model_map_borrowing (jk_model_map_free_fn *destructor)
{
    jk_model_map_t *self = jk_model_map_new (destructor);
    self->borrow = true;
    return self;
}

jk_model_map_t *jk_model_map_inline (jk_model_map_free_fn *destructor)
{
    jk_model_map_t *self = jk_model_map_borrowing (destructor);
    self->inline_keys = true;
    return self;
}

void jk_model_map_destroy (jk_model_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_model_map_t *self = *self_p;
    jk_model_map_clear (self);
    free (self->slot);
    free (self);
    *self_p = NULL;
}

size_t jk_model_map_size (jk_model_map_t *self)
{
    return self->count;
}

/* The slot of key, or the empty slot where it would go. */
static s_slot_t *s_find (jk_model_map_t *self, const char *key, uint64_t hash)
{
    size_t i = (size_t)hash & self->mask;
    while (self->slot[i].key &&
           (self->slot[i].hash != hash || strcmp (self->slot[i].key, key)))
        i = (i + 1) & self->mask;
    return &self->slot[i];
}

/* Twice the slots, each entry placed again by its hash. */
static void s_grow (jk_model_map_t *self)
{
    s_slot_t *old = self->slot;
    size_t old_slots = self->mask + 1;
    self->mask = 2 * old_slots - 1;
    /* Written empty before the first probe reads it: a large table is a
       mapping of its own, whose pages calloc leaves to the kernel's
       zero page, and a probe's read there would cost a fault and the
       write after it another. */
    self->slot = jk_malloc (2 * old_slots * sizeof *self->slot);
    memset (self->slot, 0, 2 * old_slots * sizeof *self->slot);
    for (size_t i = 0; i < old_slots; i++)
        if (old[i].key) {
            size_t j = (size_t)old[i].hash & self->mask;
            while (self->slot[j].key)
                j = (j + 1) & self->mask;
            self->slot[j] = old[i];
        }
    free (old);
}

void *jk_model_map_lookup (jk_model_map_t *self, const char *key)
{
    return s_find (self, key, jk_model_key_hash (key))->value;
}

/* The slot of key, or the empty slot where it would go, with room for
   one more entry. */
static s_slot_t *s_place (jk_model_map_t *self, const char *key, uint64_t *hash)
{
    /* At most 7 of 10 slots taken, so that probes stay short. */
    if ((self->count + 1) * 10 > (self->mask + 1) * 7)
        s_grow (self);
    *hash = jk_model_key_hash (key);
    return s_find (self, key, *hash);
}

void *jk_model_map_entry (jk_model_map_t *self, const char *key, size_t size,
                          bool *made)
{
    assert (self->inline_keys);
    uint64_t hash;
    s_slot_t *slot = s_place (self, key, &hash);
    *made = slot->key == NULL;
    if (*made) {
        /* One block: the entry, then the key's copy (its slot's key). */
        size_t len = strlen (key);
        char *block = jk_calloc (1, size + len + 1);
        memcpy (block + size, key, len + 1);
        slot->hash = hash;
        slot->key = block + size;
        slot->value = block;
        self->count++;
    }
    return slot->value;
}

void **jk_model_map_put (jk_model_map_t *self, const char *key, bool *made)
{
    assert (!self->inline_keys);
    uint64_t hash;
    s_slot_t *slot = s_place (self, key, &hash);
    *made = slot->key == NULL;
    if (*made) {
        slot->hash = hash;
        slot->key = self->borrow ? (char *)key : jk_strdup (key);
        slot->value = NULL;
        self->count++;
    } else if (self->borrow)
        slot->key = (char *)key;
    return &slot->value;
}

int jk_model_map_insert (jk_model_map_t *self, const char *key, void *value)
{
    bool made;
    void **slot = jk_model_map_put (self, key, &made);
    if (!made)
        return -1;
    *slot = value;
    return 0;
}

void jk_model_map_update (jk_model_map_t *self, const char *key, void *value)
{
    bool made;
    void **slot = jk_model_map_put (self, key, &made);
    if (!made && self->destructor)
        self->destructor (slot);
    *slot = value;
}

void jk_model_map_delete (jk_model_map_t *self, const char *key)
{
    s_slot_t *slot = s_find (self, key, jk_model_key_hash (key));
    if (!slot->key)
        return;
    if (self->destructor)
        self->destructor (&slot->value);
    if (!self->borrow)
        free (slot->key);
    self->count--;
    /* Moves back each entry after the hole that may sit there (its home
       slot is not between the hole and it), until an empty slot. */
    size_t hole = (size_t)(slot - self->slot);
    for (size_t i = (hole + 1) & self->mask; self->slot[i].key;
         i = (i + 1) & self->mask) {
        size_t home = (size_t)self->slot[i].hash & self->mask;
        if (((i - home) & self->mask) >= ((i - hole) & self->mask)) {
            self->slot[hole] = self->slot[i];
            hole = i;
        }
    }
    self->slot[hole].key = NULL;
    self->slot[hole].value = NULL;
}

void jk_model_map_clear (jk_model_map_t *self)
{
    /* Only the slots taken are written: the pages of a large table that
       a transaction did not reach stay untouched. */
    for (size_t i = 0; self->count && i <= self->mask; i++)
        if (self->slot[i].key) {
            if (self->destructor)
                self->destructor (&self->slot[i].value);
            if (!self->borrow)
                free (self->slot[i].key);
            self->slot[i].key = NULL;
            self->slot[i].value = NULL;
            self->count--;
        }
}

/* The entry at or after slot i, or NULL; the cursor on it. */
static void *s_from (jk_model_map_t *self, size_t i)
{
    for (; i <= self->mask; i++)
        if (self->slot[i].key) {
            self->cursor = i;
            return self->slot[i].value;
        }
    self->cursor = self->mask + 1;
    return NULL;
}

void *jk_model_map_first (jk_model_map_t *self)
{
    return s_from (self, 0);
}

void *jk_model_map_next (jk_model_map_t *self)
{
    return s_from (self, self->cursor + 1);
}

const char *jk_model_map_cursor (jk_model_map_t *self)
{
    return self->cursor <= self->mask ? self->slot[self->cursor].key : NULL;
}
