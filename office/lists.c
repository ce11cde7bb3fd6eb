/*  lists.c - the pick lists the forms offer (cooperatives, people,
    batches, sessions, enrolments, assessments, attendance): decoded from
    the office's outbox and, when the hub's records are kept (picks.c),
    from those, each item once. */
#include "office_internal.h"

#include <string.h>

static void s_list_add (jk_list_t *list, const char *key, const char *label,
                        const char *group, const char *extra)
{
    if (!list->index)
        list->index = zhashx_new ();
    char *id = jk_sprintf ("%s\x1f%s", group, key);
    bool seen = zhashx_lookup (list->index, id) != NULL;
    if (!seen)
        zhashx_insert (list->index, id, (void *)1);
    free (id);
    if (seen)
        return;
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 64;
        list->items = jk_realloc (list->items, list->cap * sizeof *list->items);
    }
    jk_item_t *it = &list->items[list->count++];
    it->key = jk_strdup (key);
    it->label = jk_strdup (label);
    it->group = jk_strdup (group);
    it->extra = jk_strdup (extra ? extra : "");
}

void jk_lists_free (jk_office_app_t *office)
{
    for (int l = 0; l < JK_LIST_COUNT; l++) {
        jk_list_t *list = &office->lists[l];
        for (size_t i = 0; i < list->count; i++) {
            free (list->items[i].key);
            free (list->items[i].label);
            free (list->items[i].group);
            free (list->items[i].extra);
        }
        free (list->items);
        zhashx_destroy (&list->index);
        memset (list, 0, sizeof *list);
    }
    office->listed_seq = 0;
    office->picked_pos = 0;
}

/* Adds what an event gives to the lists (an outbox row or a record of
   the hub's log). */
static void s_list_event (jk_office_app_t *office, const jk_event_t *ev)
{
    const char *type = ev->type->name;
    char a[256], b[256], c[64], label[600];
#define TXT(buf, name) jk_event_text (ev, name, buf, sizeof buf)
    if (strcmp (type, "cooperative.registered") == 0) {
        snprintf (label, sizeof label, "%s (%s)", TXT (a, "name"),
                  TXT (b, "legal_number"));
        s_list_add (&office->lists[JK_LIST_COOPERATIVES], b, label, "", NULL);
    } else if (strcmp (type, "person.registered") == 0) {
        char masked[17];
        TXT (b, "nik");
        jk_nik_mask (b, strlen (b), masked);
        snprintf (label, sizeof label, "%s (%s)", TXT (a, "name"), masked);
        s_list_add (&office->lists[JK_LIST_PEOPLE], b, label, "", NULL);
    } else if (strcmp (type, "training.batch_scheduled") == 0) {
        snprintf (label, sizeof label, "%s - %s", TXT (b, "batch"),
                  TXT (a, "title"));
        s_list_add (&office->lists[JK_LIST_BATCHES], b, label, "", NULL);
    } else if (strcmp (type, "training.session_scheduled") == 0) {
        const jk_value_t *no = jk_event_get (ev, "session_no");
        char key[32], extra[32], date[16];
        snprintf (key, sizeof key, "%lld", (long long)no->n);
        TXT (c, "date");
        snprintf (date, sizeof date, "%.2s/%.2s/%.4s", c + 8, c + 5, c);
        snprintf (label, sizeof label, "Sesi %lld, %s: %s", (long long)no->n,
                  date, TXT (a, "topic"));
        char s1[8], s2[8];
        snprintf (extra, sizeof extra, "%s-%s",
                  jk_event_text (ev, "starts", s1, sizeof s1),
                  jk_event_text (ev, "ends", s2, sizeof s2));
        s_list_add (&office->lists[JK_LIST_SESSIONS], key, label,
                    TXT (b, "batch"), extra);
    } else if (strcmp (type, "training.participant_enrolled") == 0) {
        s_list_add (&office->lists[JK_LIST_ENROLMENTS], TXT (a, "nik"), a,
                    TXT (b, "batch"), NULL);
    } else if (strcmp (type, "assessment.scheduled") == 0) {
        snprintf (label, sizeof label, "%s - %s", TXT (b, "assessment"),
                  TXT (a, "scheme_title"));
        s_list_add (&office->lists[JK_LIST_ASSESSMENTS], b, label, "", NULL);
    } else if (strcmp (type, "attendance.recorded") == 0) {
        char id[37];
        jk_uuid_format (ev->id, id);
        const jk_value_t *no = jk_event_get (ev, "session_no");
        snprintf (label, sizeof label, "%s sesi %lld %s", TXT (b, "batch"),
                  (long long)no->n, TXT (a, "nik"));
        s_list_add (&office->lists[JK_LIST_ATTENDANCE], id, label, b, NULL);
    }
#undef TXT
}

static int s_list_row (void *arg, const jk_outbox_row_t *row)
{
    jk_office_app_t *office = (jk_office_app_t *)arg;
    office->listed_seq = row->seq;
    if (row->state == JK_OUTBOX_REJECTED)
        return 0;
    jk_event_t *ev = jk_event_decode (row->bytes, row->size, NULL);
    if (ev)
        s_list_event (office, ev);
    jk_event_destroy (&ev);
    return 0;
}

static void s_list_picked (void *arg, uint64_t pos, const void *bytes,
                           size_t size)
{
    (void)pos;
    jk_event_t *ev = jk_event_decode (bytes, size, NULL);
    if (ev)
        s_list_event ((jk_office_app_t *)arg, ev);
    jk_event_destroy (&ev);
}

void jk_lists_refresh (jk_office_app_t *office)
{
    jk_outbox_list (office->outbox, 0x1F, office->listed_seq, 0, s_list_row,
                    office);
    if (office->picks) {
        int64_t last = jk_picks_each (office->picks, office->picked_pos,
                                      s_list_picked, office);
        if (last > 0)
            office->picked_pos = (uint64_t)last;
    }
}

void jk_lists_option (FILE *o, const jk_item_t *item, bool selected)
{
    fputs ("<option value=\"", o);
    jk_html (o, item->key);
    fputs (selected ? "\" selected>" : "\">", o);
    jk_html (o, item->label);
    fputs ("</option>", o);
}
