/*  jk_map.h - text key -> entry maps in one array of slots (model_map.c:
    open addressing, linear probing, no tombstones). The decision model
    keeps its state in them (model_internal.h), the projections their
    write-behind counters and read caches (projections_internal.h). */
#ifndef JK_MAP_H
#define JK_MAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct jk_model_map_s jk_model_map_t;
/* Frees an entry (*item_p) and sets it NULL. */
typedef void (jk_model_map_free_fn) (void **item_p);

/* The hash of a map key: eight bytes a step, a multiply each. Only where
   an entry sits in its map depends on it, never what a lookup finds; and
   nothing the model decides depends on the order of a map's entries
   (only the evictions walk a map), nor any row the projections write
   (each flush writes every key's row by itself). */
size_t jk_model_key_hash (const void *key);
/* A new map; destructor (or NULL) frees the entries it drops. */
jk_model_map_t *jk_model_map_new (jk_model_map_free_fn *destructor);
/* A new map that keeps the key pointers it is given instead of copies:
   each key must live in the entry put under it (or longer), and a put
   of a key that is there points the slot at the key given. */
jk_model_map_t *jk_model_map_borrowing (jk_model_map_free_fn *destructor);
/* A new map whose entries are blocks made by jk_model_map_entry, each
   holding its key's copy after the entry: one allocation per key, and a
   lookup that finds a key reads the entry's own block. Only
   jk_model_map_entry puts into it; destructor frees the block. An entry
   stays where it is until it is dropped (the map growing moves only its
   slots). */
jk_model_map_t *jk_model_map_inline (jk_model_map_free_fn *destructor);
void jk_model_map_destroy (jk_model_map_t **self_p);
size_t jk_model_map_size (jk_model_map_t *self);
/* The entry of key, or NULL. */
void *jk_model_map_lookup (jk_model_map_t *self, const char *key);
/* Where the entry of key is kept, with a copy of key put there (the entry
   NULL, *made true) when the map has none: valid until the map changes. */
void **jk_model_map_put (jk_model_map_t *self, const char *key, bool *made);
/* In a map made by jk_model_map_inline: the entry of key, or a new zeroed
   one of size bytes put there (*made true). */
void *jk_model_map_entry (jk_model_map_t *self, const char *key, size_t size,
                          bool *made);
/* Puts value under key: -1 (and nothing done) when key has an entry. */
int jk_model_map_insert (jk_model_map_t *self, const char *key, void *value);
/* Puts value under key, the entry there dropped (destructor). */
void jk_model_map_update (jk_model_map_t *self, const char *key, void *value);
/* Drops key's entry (destructor), if any. */
void jk_model_map_delete (jk_model_map_t *self, const char *key);
/* Drops every entry (destructor) and keeps the slots: a map emptied and
   filled again (once per transaction) neither shrinks nor grows again. */
void jk_model_map_clear (jk_model_map_t *self);
/* The entries in slot order (NULL after the last) and the key of the one
   returned last. The map must not change during a walk. The order is
   that of the hashes in the slots, the same for the same puts and
   removals from the same size. */
void *jk_model_map_first (jk_model_map_t *self);
void *jk_model_map_next (jk_model_map_t *self);
const char *jk_model_map_cursor (jk_model_map_t *self);

#endif
