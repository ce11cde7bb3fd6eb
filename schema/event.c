/*  event.c - the event object: its arena, fields by name, natural key,
    MessagePack encoding, upcasting and equality, driven by the vocabulary
    table. Setting fields from operator text is event_text.c, decoding
    event_decode.c, the raw MessagePack walk msgpack_check.c. Used by
    agents (build + encode), the store (decode + validate) and replay. */
#include "schema_internal.h"

#include <assert.h>
#include <ctype.h>
#include <msgpack.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------ */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block_t;

void *jk_arena_alloc (void **arena, size_t size)
{
    arena_block_t *block = *arena;
    size = (size + 15) & ~(size_t)15;
    if (!block || block->used + size > block->size) {
        size_t cap = size > 2048 ? size : 2048;
        arena_block_t *fresh = jk_malloc (sizeof *fresh + cap);
        fresh->next = block;
        fresh->used = 0;
        fresh->size = cap;
        *arena = block = fresh;
    }
    void *p = (char *)block->data + block->used;
    block->used += size;
    return p;
}

void jk_arena_free (void **arena)
{
    arena_block_t *block = *arena;
    while (block) {
        arena_block_t *next = block->next;
        free (block);
        block = next;
    }
    *arena = NULL;
}

jk_str_t jk_arena_str (void **arena, const char *text, size_t len)
{
    char *p = jk_arena_alloc (arena, len + 1);
    memcpy (p, text, len);
    p[len] = 0;
    return (jk_str_t){p, (uint32_t)len};
}

/* ---- the event object -------------------------------------------------- */

jk_event_t *jk_event_new (const jk_type_t *type)
{
    assert (type);
    jk_event_t *self = jk_calloc (1, sizeof *self);
    self->type = type;
    self->version = type->version;
    jk_uuid_v7 (self->id);
    self->at = jk_clock_now_ms ();
    return self;
}

/* ---- slabs of events ------------------------------------------------- */

/* The events of a slab of count are packed into blocks: the first sized
   for count events of S_SLAB_FIELDS fields, another (at least
   S_SLAB_MORE bytes) whenever an event or its arrays do not fit. */
#define S_SLAB_FIELDS 8
#define S_SLAB_MORE   (16 * 1024)

typedef struct s_slab_block {
    struct s_slab_block *next;
    max_align_t data[];
} s_slab_block_t;

struct jk_event_slab_s {
    int refs;               /* the maker and every event in it (atomic) */
    size_t used, count;     /* places taken, of count (the maker's thread) */
    char *room;             /* the free bytes of the current block */
    size_t left;            /* and how many */
    s_slab_block_t *more;   /* blocks after the first, newest first */
    jk_event_slabs_t *pool; /* it goes back to (NULL: freed) */
    jk_event_slab_t *next;  /* among the pool's kept */
    max_align_t first[];
};

/* Freed slabs of one size, kept for their maker to take again. */
struct jk_event_slabs_s {
    pthread_mutex_t lock;
    size_t count;          /* events a slab of it has room for */
    size_t keep;           /* the most it keeps */
    size_t kept_count;     /* how many it keeps now */
    jk_event_slab_t *kept; /* linked through next */
    size_t refs;           /* its maker until destroyed, and each slab out */
    bool closed;           /* destroyed by its maker: keeps no more */
};

/* An event of a type with n fields, as a slab holds it. */
static size_t s_event_size (size_t n)
{
    return offsetof (jk_event_t, body) + n * sizeof (jk_value_t);
}

/* size bytes of slab, aligned as malloc's; a new block when the current
   one has too few left. */
static void *s_slab_take (jk_event_slab_t *self, size_t size)
{
    size = (size + sizeof (max_align_t) - 1) & ~(sizeof (max_align_t) - 1);
    if (size > self->left) {
        size_t cap = size > S_SLAB_MORE ? size : S_SLAB_MORE;
        s_slab_block_t *block = jk_malloc (sizeof *block + cap);
        block->next = self->more;
        self->more = block;
        self->room = (char *)block->data;
        self->left = cap;
    }
    void *p = self->room;
    self->room += size;
    self->left -= size;
    return p;
}

/* The bytes of a slab's first block for count events. */
static size_t s_slab_cap (size_t count)
{
    return count * s_event_size (S_SLAB_FIELDS);
}

/* self (fresh or kept) made empty, with room for count events in its
   first block of cap bytes. */
static jk_event_slab_t *s_slab_init (jk_event_slab_t *self, size_t count,
                                     size_t cap, jk_event_slabs_t *pool)
{
    self->refs = 1;
    self->used = 0;
    self->count = count;
    self->room = (char *)self->first;
    self->left = cap;
    self->more = NULL;
    self->pool = pool;
    self->next = NULL;
    return self;
}

jk_event_slab_t *jk_event_slab_new (size_t count)
{
    size_t cap = s_slab_cap (count);
    return s_slab_init (jk_malloc (sizeof (jk_event_slab_t) + cap), count, cap,
                        NULL);
}

/* Frees the pool once nothing holds it (its lock released). */
static void s_slabs_free (jk_event_slabs_t *self)
{
    assert (self->closed && self->kept_count == 0);
    pthread_mutex_destroy (&self->lock);
    free (self);
}

jk_event_slabs_t *jk_event_slabs_new (size_t count, size_t keep)
{
    jk_event_slabs_t *self = jk_calloc (1, sizeof *self);
    pthread_mutex_init (&self->lock, NULL);
    self->count = count;
    self->keep = keep;
    self->refs = 1;
    return self;
}

jk_event_slab_t *jk_event_slabs_take (jk_event_slabs_t *self, size_t count)
{
    assert (self && count <= self->count);
    pthread_mutex_lock (&self->lock);
    jk_event_slab_t *slab = self->kept;
    if (slab) {
        self->kept = slab->next;
        self->kept_count--;
    }
    self->refs++;
    pthread_mutex_unlock (&self->lock);
    size_t cap = s_slab_cap (self->count);
    if (!slab)
        slab = jk_malloc (sizeof *slab + cap);
    return s_slab_init (slab, count, cap, self);
}

size_t jk_event_slabs_kept (jk_event_slabs_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t kept = self->kept_count;
    pthread_mutex_unlock (&self->lock);
    return kept;
}

void jk_event_slabs_destroy (jk_event_slabs_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_event_slabs_t *self = *self_p;
    *self_p = NULL;
    pthread_mutex_lock (&self->lock);
    jk_event_slab_t *kept = self->kept;
    self->kept = NULL;
    self->kept_count = 0;
    self->closed = true;
    bool last = --self->refs == 0;
    pthread_mutex_unlock (&self->lock);
    while (kept) {
        jk_event_slab_t *next = kept->next;
        free (kept);
        kept = next;
    }
    if (last)
        s_slabs_free (self);
}

/* A slab let go of by all: kept by its pool when the pool is open and
   has room, else freed. Any thread. */
static void s_slabs_put (jk_event_slabs_t *self, jk_event_slab_t *slab)
{
    pthread_mutex_lock (&self->lock);
    if (!self->closed && self->kept_count < self->keep) {
        slab->next = self->kept;
        self->kept = slab;
        self->kept_count++;
        slab = NULL;
    }
    bool last = --self->refs == 0;
    pthread_mutex_unlock (&self->lock);
    free (slab);
    if (last)
        s_slabs_free (self);
}

/* Lets go of one hold on self; the last frees it (its first block back
   to its pool, if it came from one). */
static void s_slab_drop (jk_event_slab_t *self)
{
    if (__atomic_sub_fetch (&self->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        while (self->more) {
            s_slab_block_t *next = self->more->next;
            free (self->more);
            self->more = next;
        }
        if (self->pool)
            s_slabs_put (self->pool, self);
        else
            free (self);
    }
}

void jk_event_slab_release (jk_event_slab_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_slab_drop (*self_p);
    *self_p = NULL;
}

jk_event_t *jk_event_alloc (jk_event_slab_t *slab, const jk_type_t *type)
{
    jk_event_t *self;
    if (!slab || slab->used == slab->count)
        self = jk_calloc (1, sizeof (jk_event_t));
    else {
        /* The envelope and the type's own fields: the body beyond them
           (up to JK_FIELDS_MAX, most of a whole event's 1.3 KB) is never
           indexed for this type. */
        size_t size = s_event_size (type->field_count);
        self = s_slab_take (slab, size);
        slab->used++;
        memset (self, 0, size);
        self->slab = slab;
        __atomic_add_fetch (&slab->refs, 1, __ATOMIC_RELAXED);
    }
    self->type = type;
    self->version = type->version;
    return self;
}

void *jk_event_room (jk_event_t *self, size_t size)
{
    if (self->slab)
        return s_slab_take (self->slab, size);
    return jk_arena_alloc (&self->arena, size);
}

void jk_event_destroy (jk_event_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_event_t *self = *self_p;
    jk_arena_free (&self->arena);
    if (self->slab)
        s_slab_drop (self->slab);
    else
        free (self);
    *self_p = NULL;
}

void jk_event_set_source (jk_event_t *self, const char *source)
{
    self->source = jk_arena_str (&self->arena, source, strlen (source));
}

void jk_event_set_actor (jk_event_t *self, const char *actor)
{
    self->actor = jk_arena_str (&self->arena, actor, strlen (actor));
}

/* The field indexes found last, per thread, by type and name pointer:
   callers name fields with literals, so the same pointers come back for
   every event of a type, and a hit costs one compare of the name instead
   of a search. A hit is checked against the type's own field name, so a
   name at a reused address (a caller's buffer) never finds another
   field. */
#define S_FIELD_CACHE 128
static __thread struct {
    const jk_type_t *type;
    const char *name;
    int index;
} s_field_cache[S_FIELD_CACHE];

int jk_event_field_index (const jk_event_t *self, const char *field)
{
    uintptr_t h = (uintptr_t)self->type * 31 + (uintptr_t)field;
    h = (h ^ h >> 7 ^ h >> 13) & (S_FIELD_CACHE - 1);
    if (s_field_cache[h].type == self->type && s_field_cache[h].name == field &&
        strcmp (self->type->fields[s_field_cache[h].index].name, field) == 0)
        return s_field_cache[h].index;
    int i = jk_type_field (self->type, field, strlen (field));
    if (i >= 0) {
        s_field_cache[h].type = self->type;
        s_field_cache[h].name = field;
        s_field_cache[h].index = i;
    }
    return i;
}

const jk_value_t *jk_event_get (const jk_event_t *self, const char *field)
{
    int i = jk_event_field_index (self, field);
    return i < 0 ? NULL : &self->body[i];
}

const char *jk_event_text (const jk_event_t *self, const char *field, char *buf,
                           size_t size)
{
    const jk_value_t *v = jk_event_get (self, field);
    buf[0] = 0;
    if (v && v->present && v->s.ptr)
        snprintf (buf, size, "%.*s", (int)v->s.len, v->s.ptr);
    return buf;
}

char *jk_event_key (const jk_event_t *self)
{
    const char *const *keys = self->type->key_fields;
    if (!keys || !keys[0])
        return NULL;
    char *key = jk_strdup ("");
    for (int k = 0; keys[k]; k++) {
        const jk_value_t *v = jk_event_get (self, keys[k]);
        int i = jk_event_field_index (self, keys[k]);
        char part[256];
        if (i >= 0 && (self->type->fields[i].kind == JK_KIND_UINT ||
                       self->type->fields[i].kind == JK_KIND_BOOL))
            snprintf (part, sizeof part, "%lld",
                      v && v->present ? (long long)v->n : 0LL);
        else
            jk_event_text (self, keys[k], part, sizeof part);
        char *next = jk_sprintf ("%s%s%s", key, k ? "|" : "", part);
        free (key);
        key = next;
    }
    return key;
}

void jk_event_set_uint (jk_event_t *self, const char *field, uint64_t value)
{
    int i = jk_event_field_index (self, field);
    assert (i >= 0 && self->type->fields[i].kind == JK_KIND_UINT);
    self->body[i] = (jk_value_t){.present = true, .n = (int64_t)value};
}

/* ---- encoding ---------------------------------------------------------- */

static void s_pack_str (msgpack_packer *pk, jk_str_t s)
{
    msgpack_pack_str (pk, s.len);
    msgpack_pack_str_body (pk, s.ptr, s.len);
}

static void s_pack_key (msgpack_packer *pk, const char *key)
{
    size_t n = strlen (key);
    msgpack_pack_str (pk, n);
    msgpack_pack_str_body (pk, key, n);
}

uint8_t *jk_event_encode (const jk_event_t *self, size_t *size)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);

    const jk_type_t *type = self->type;
    msgpack_pack_map (&pk, 8 + (self->has_corrects ? 1 : 0));
    s_pack_key (&pk, "id");
    msgpack_pack_bin (&pk, 16);
    msgpack_pack_bin_body (&pk, self->id, 16);
    s_pack_key (&pk, "type");
    s_pack_str (&pk, jk_str_of (type->name));
    s_pack_key (&pk, "v");
    msgpack_pack_uint32 (&pk, self->version);
    s_pack_key (&pk, "source");
    s_pack_str (&pk, self->source);
    s_pack_key (&pk, "seq");
    msgpack_pack_uint64 (&pk, self->seq);
    s_pack_key (&pk, "at");
    msgpack_pack_int64 (&pk, self->at);
    s_pack_key (&pk, "actor");
    s_pack_str (&pk, self->actor);
    if (self->has_corrects) {
        s_pack_key (&pk, "corrects");
        msgpack_pack_bin (&pk, 16);
        msgpack_pack_bin_body (&pk, self->corrects, 16);
    }
    s_pack_key (&pk, "body");
    size_t present = 0;
    for (size_t i = 0; i < type->field_count; i++)
        present += self->body[i].present;
    msgpack_pack_map (&pk, present);
    for (size_t i = 0; i < type->field_count; i++) {
        const jk_value_t *v = &self->body[i];
        const jk_field_t *f = &type->fields[i];
        if (!v->present)
            continue;
        s_pack_key (&pk, f->name);
        switch (f->kind) {
            case JK_KIND_STR:
            case JK_KIND_DATE:
            case JK_KIND_TIME:
            case JK_KIND_ENUM:
                s_pack_str (&pk, v->s);
                break;
            case JK_KIND_UINT:
                msgpack_pack_uint64 (&pk, (uint64_t)v->n);
                break;
            case JK_KIND_BOOL:
                if (v->n)
                    msgpack_pack_true (&pk);
                else
                    msgpack_pack_false (&pk);
                break;
            case JK_KIND_SET:
            case JK_KIND_LIST:
                msgpack_pack_array (&pk, v->count);
                for (uint32_t k = 0; k < v->count; k++)
                    s_pack_str (&pk, v->items[k]);
                break;
            case JK_KIND_UNITS:
                msgpack_pack_array (&pk, v->count);
                for (uint32_t k = 0; k < v->count; k++) {
                    msgpack_pack_map (&pk, 2);
                    s_pack_key (&pk, "code");
                    s_pack_str (&pk, v->items[2 * k]);
                    s_pack_key (&pk, "title");
                    s_pack_str (&pk, v->items[2 * k + 1]);
                }
                break;
        }
    }
    if (sbuf.size > JK_EVENT_MAX_BYTES) {
        msgpack_sbuffer_destroy (&sbuf);
        return NULL;
    }
    *size = sbuf.size;
    return (uint8_t *)sbuf.data; /* malloc'd by msgpack_sbuffer */
}

/* ---- upcasting and equality ---------------------------------------------- */

/* Copies fields of the same name and kind from old into out. */
static int s_upcast_by_name (const jk_event_t *old, jk_event_t *out,
                             jk_report_t *report)
{
    (void)report;
    for (size_t i = 0; i < old->type->field_count; i++) {
        const jk_field_t *f = &old->type->fields[i];
        int j = jk_type_field (out->type, f->name, strlen (f->name));
        if (j >= 0 && out->type->fields[j].kind == f->kind)
            out->body[j] = old->body[i];
    }
    return 0;
}

jk_event_t *jk_event_upcast (jk_event_t **old_p, const jk_type_t *target,
                             jk_report_t *report)
{
    jk_event_t *old = *old_p;
    /* Find the step right after old's version on target's chain. */
    while (old->type != target) {
        const jk_type_t *next = target;
        while (next->previous && next->previous != old->type)
            next = next->previous;
        if (next->previous != old->type) {
            jk_report_error (report, "E_UNKNOWN_VERSION", "v",
                             "no upcast path from %s v%u", old->type->name,
                             old->type->version);
            return NULL;
        }
        jk_event_t *out = jk_calloc (1, sizeof *out);
        out->type = next;
        out->version = next->version;
        memcpy (out->id, old->id, 16);
        out->source = old->source;
        out->seq = old->seq;
        out->at = old->at;
        out->actor = old->actor;
        out->has_corrects = old->has_corrects;
        memcpy (out->corrects, old->corrects, 16);
        /* The new event takes over the old one's arena: values may
           point into it. */
        out->arena = old->arena;
        old->arena = NULL;
        jk_upcast_fn *fn = next->upcast ? next->upcast : s_upcast_by_name;
        if (fn (old, out, report)) {
            /* Give the arena back: old's values point into it. */
            old->arena = out->arena;
            out->arena = NULL;
            jk_event_destroy (&out);
            return NULL;
        }
        jk_event_destroy (old_p);
        *old_p = old = out;
    }
    *old_p = NULL;
    return old;
}

static bool s_value_equal (const jk_field_t *f, const jk_value_t *a,
                           const jk_value_t *b)
{
    if (a->present != b->present)
        return false;
    if (!a->present)
        return true;
    switch (f->kind) {
        case JK_KIND_UINT:
        case JK_KIND_BOOL:
            return a->n == b->n;
        case JK_KIND_SET:
        case JK_KIND_LIST:
        case JK_KIND_UNITS: {
            if (a->count != b->count)
                return false;
            uint32_t n = f->kind == JK_KIND_UNITS ? 2 * a->count : a->count;
            for (uint32_t k = 0; k < n; k++)
                if (!jk_str_same (a->items[k], b->items[k]))
                    return false;
            return true;
        }
        default:
            return jk_str_same (a->s, b->s);
    }
}

bool jk_event_equal (const jk_event_t *a, const jk_event_t *b)
{
    if (a->type != b->type || a->version != b->version ||
        memcmp (a->id, b->id, 16) || !jk_str_same (a->source, b->source) ||
        a->seq != b->seq || a->at != b->at ||
        !jk_str_same (a->actor, b->actor) ||
        a->has_corrects != b->has_corrects ||
        (a->has_corrects && memcmp (a->corrects, b->corrects, 16)))
        return false;
    for (size_t i = 0; i < a->type->field_count; i++)
        if (!s_value_equal (&a->type->fields[i], &a->body[i], &b->body[i]))
            return false;
    return true;
}
