/*  model_people.c - the people the decision model knows (jk_model.h):
   registered NIKs as integers in two generations of open-addressing sets,
   bounded, with the people table behind them for those that left memory. */
#include "model_internal.h"

/* ---- people: a bounded set of NIKs -----------------------------------------
 */

/* The NIK as its set key (value + 1), or 0 when it is not 16 digits. */
static uint64_t s_nik_key (jk_str_t nik)
{
    if (!nik.ptr || nik.len != 16)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < 16; i++) {
        if (nik.ptr[i] < '0' || nik.ptr[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(nik.ptr[i] - '0');
    }
    return v + 1;
}

static size_t s_niks_home (const jk_model_niks_t *set, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & set->mask;
}

static bool s_niks_has (const jk_model_niks_t *set, uint64_t key)
{
    if (!set->count)
        return false;
    for (size_t i = s_niks_home (set, key);; i = (i + 1) & set->mask) {
        if (set->slot[i] == key)
            return true;
        if (set->slot[i] == 0)
            return false;
    }
}

static void s_niks_put (jk_model_niks_t *set, uint64_t key);

/* Doubles the slots (load stays at most one half). */
static void s_niks_grow (jk_model_niks_t *set)
{
    jk_model_niks_t bigger = {0};
    bigger.mask = set->mask ? 2 * set->mask + 1 : 1023;
    bigger.slot = jk_calloc (bigger.mask + 1, sizeof *bigger.slot);
    bigger.max_pos = set->max_pos;
    for (size_t i = 0; set->slot && i <= set->mask; i++)
        if (set->slot[i])
            s_niks_put (&bigger, set->slot[i]);
    free (set->slot);
    *set = bigger;
}

/* Adds key (not yet in set). */
static void s_niks_put (jk_model_niks_t *set, uint64_t key)
{
    if (!set->slot || 2 * (set->count + 1) > set->mask + 1)
        s_niks_grow (set);
    size_t i = s_niks_home (set, key);
    while (set->slot[i])
        i = (i + 1) & set->mask;
    set->slot[i] = key;
    set->count++;
}

void jk_model_niks_clear (jk_model_niks_t *set)
{
    free (set->slot);
    memset (set, 0, sizeof *set);
}

/* Whether the old generation may leave memory: the table holds all of
   its people. */
static bool s_people_can_drop (const jk_model_people_t *people)
{
    return people->old.max_pos <= people->written;
}

/* Records a registered person (at pos; 0 when read from the table). */
void jk_model_people_add (jk_model_t *self, jk_str_t nik, uint64_t pos)
{
    jk_model_people_t *people = &self->people;
    uint64_t key = s_nik_key (nik);
    if (!key) {
        char text[KEY_MAX];
        s_key (text, nik, NONE, NONE);
        s_update (people->odd, text, (void *)1);
        return;
    }
    if (s_niks_has (&people->young, key) || s_niks_has (&people->old, key))
        return;
    /* Only a model that can read the table back drops anyone. */
    if (self->bound && self->db && people->young.count >= people->max &&
        s_people_can_drop (people)) {
        if (people->old.count)
            people->partial = true;
        people->dropped += people->old.count;
        jk_model_niks_clear (&people->old);
        people->old = people->young;
        memset (&people->young, 0, sizeof people->young);
    }
    s_niks_put (&people->young, key);
    if (pos > people->young.max_pos)
        people->young.max_pos = pos;
}

/* Whether nik is a registered person: from memory, or when some people
   left it, from the people table. GO or FAILED. */
int jk_model_people_has (jk_model_t *self, jk_str_t nik, bool *found)
{
    jk_model_people_t *people = &self->people;
    uint64_t key = s_nik_key (nik);
    char text[KEY_MAX];
    *found =
        key ? s_niks_has (&people->young, key) || s_niks_has (&people->old, key)
            : jk_model_map_lookup (people->odd,
                                   s_key (text, nik, NONE, NONE)) != NULL;
    /* A bounded load leaves people in the table, odd NIKs too. */
    if (*found || !people->partial)
        return GO;
    sqlite3_bind_text (self->person_st, 1, nik.ptr, (int)nik.len,
                       SQLITE_STATIC);
    int rc = sqlite3_step (self->person_st);
    sqlite3_reset (self->person_st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return FAILED;
    *found = rc == SQLITE_ROW;
    return GO;
}
