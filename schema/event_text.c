/*  event_text.c - an event's fields from the text an operator types
    (flags, CSV cells, form fields): dates in JK_DATE_FORMS
    (jk_date_parse_day, base's, which the programs' date options share),
    times, enums by name, lists and sets, numbers; each rejected with the
    field and the rule. The strict forms the decoder uses
    (jk_date_parse_iso, jk_time_parse_hhmm) are base's too. */
#include "schema_internal.h"

#include <assert.h>
#include <ctype.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text forms ------------------------------------------------------- */

/* "8:05", "08:05", "08.05" (Indonesian style) -> minutes. */
static int s_time_parse_user (const char *text, int32_t *minutes)
{
    size_t len = strlen (text);
    char buf[6];
    if (len == 4 && (text[1] == ':' || text[1] == '.')) {
        buf[0] = '0';
        memcpy (buf + 1, text, 4);
    } else if (len == 5)
        memcpy (buf, text, 5);
    else
        return -1;
    if (buf[2] == '.')
        buf[2] = ':';
    return jk_time_parse_hhmm (buf, 5, minutes);
}

int jk_enum_index (const char *const *values, const char *text, size_t len,
                   bool any_case)
{
    jk_str_t t = {text, (uint32_t)len};
    for (int i = 0; values[i]; i++)
        if (any_case ? jk_str_ieq (t, values[i]) : jk_str_eq (t, values[i]))
            return i;
    return -1;
}

void jk_enum_list (const char *const *values, char *out, size_t size)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; values[i] && n + 1 < size; i++)
        n += (size_t)snprintf (out + n, size - n, "%s%s", i ? "|" : "",
                               values[i]);
}

static const char *s_trim (char *text)
{
    while (isspace ((unsigned char)*text))
        text++;
    size_t n = strlen (text);
    while (n > 0 && isspace ((unsigned char)text[n - 1]))
        text[--n] = 0;
    return text;
}

/* Splits text on sep into trimmed, non-empty items in the arena. */
static uint32_t s_split (jk_event_t *self, const char *text, char sep,
                         jk_str_t **items_out)
{
    char *copy = jk_strdup (text);
    uint32_t count = 0, cap = 8;
    jk_str_t *items = jk_malloc (cap * sizeof *items);
    char *p = copy;
    while (p) {
        char *next = strchr (p, sep);
        if (next)
            *next++ = 0;
        const char *item = s_trim (p);
        if (*item) {
            if (count == cap)
                items = jk_realloc (items, (cap *= 2) * sizeof *items);
            items[count++] = jk_arena_str (&self->arena, item, strlen (item));
        }
        p = next;
    }
    *items_out =
        jk_arena_alloc (&self->arena, (count ? count : 1) * sizeof (jk_str_t));
    memcpy (*items_out, items, count * sizeof (jk_str_t));
    free (items);
    free (copy);
    return count;
}

/* A whole number >= 0. */
static int s_set_uint (const char *t, const char *path, jk_value_t *v,
                       jk_report_t *report)
{
    uint64_t u;
    int rc = 0;
    if (jk_parse_u64 (t, &u) != JK_OK || u > INT64_MAX) {
        jk_report_error (report, "E_FIELD_TYPE", path,
                         "%s must be a whole number >= 0, got '%s'", path, t);
        rc = -1;
    }
    v->n = (int64_t)u;
    return rc;
}

/* true/false, ya/tidak, ... */
static int s_set_bool (const char *t, const char *path, jk_value_t *v,
                       jk_report_t *report)
{
    static const char *yes[] = {"true", "1", "yes", "ya", "y", NULL};
    static const char *no[] = {"false", "0", "no", "tidak", "t", "n", NULL};
    if (jk_enum_index (yes, t, strlen (t), true) >= 0)
        v->n = 1;
    else if (jk_enum_index (no, t, strlen (t), true) >= 0)
        v->n = 0;
    else {
        jk_report_error (report, "E_FIELD_TYPE", path,
                         "%s must be true/false (ya/tidak), got '%s'", path, t);
        return -1;
    }
    return 0;
}

/* A date in one of JK_DATE_FORMS, kept as yyyy-mm-dd. */
static int s_set_date (jk_event_t *self, const char *t, const char *path,
                       jk_value_t *v, jk_report_t *report)
{
    int32_t days;
    if (jk_date_parse_day (t, &days) != 0) {
        jk_report_error (report, "E_FIELD_FORMAT", path,
                         "%s must be a date " JK_DATE_FORMS ", got '%.40s'",
                         path, t);
        return -1;
    }
    char iso[11];
    jk_date_format (days, iso);
    v->s = jk_arena_str (&self->arena, iso, 10);
    v->n = days;
    return 0;
}

/* HH:MM, kept with two digits each. */
static int s_set_time (jk_event_t *self, const char *t, const char *path,
                       jk_value_t *v, jk_report_t *report)
{
    int32_t minutes;
    if (s_time_parse_user (t, &minutes) != 0) {
        jk_report_error (report, "E_FIELD_FORMAT", path,
                         "%s must be a time HH:MM (WIB), got '%s'", path, t);
        return -1;
    }
    char hhmm[6] = {
        (char)('0' + minutes / 600),     (char)('0' + minutes / 60 % 10), ':',
        (char)('0' + minutes % 60 / 10), (char)('0' + minutes % 10),      0};
    v->s = jk_arena_str (&self->arena, hhmm, 5);
    v->n = minutes;
    return 0;
}

/* One of the field's values, in any case, kept as the table spells it. */
static int s_set_enum (const jk_field_t *f, const char *t, const char *path,
                       jk_value_t *v, jk_report_t *report)
{
    int k = jk_enum_index (f->values, t, strlen (t), true);
    if (k < 0) {
        char list[160];
        jk_enum_list (f->values, list, sizeof list);
        jk_report_error (report, "E_FIELD_ENUM", path,
                         "%s must be one of %s, got '%s'", path, list, t);
        return -1;
    }
    v->s = jk_str_of (f->values[k]);
    v->n = k;
    return 0;
}

/* A, B, C; a set's items values of the field's enum. */
static int s_set_items (jk_event_t *self, const jk_field_t *f, const char *t,
                        const char *path, jk_value_t *v, jk_report_t *report)
{
    v->count = s_split (self, t, ',', &v->items);
    if (f->kind != JK_KIND_SET)
        return 0;
    for (uint32_t k = 0; k < v->count; k++) {
        int e =
            jk_enum_index (f->values, v->items[k].ptr, v->items[k].len, true);
        if (e < 0) {
            char list[160];
            jk_enum_list (f->values, list, sizeof list);
            jk_report_error (report, "E_FIELD_ENUM", path,
                             "%s items must be in %s, got '%.*s'", path, list,
                             (int)v->items[k].len, v->items[k].ptr);
            return -1;
        }
        v->items[k] = jk_str_of (f->values[e]);
        v->n |= (int64_t)1 << e;
    }
    return 0;
}

/* CODE=TITLE|CODE=TITLE... */
static int s_set_units (jk_event_t *self, const char *t, const char *path,
                        jk_value_t *v, jk_report_t *report)
{
    jk_str_t *parts;
    uint32_t n = s_split (self, t, '|', &parts);
    v->items = jk_arena_alloc (&self->arena, (2 * n + 1) * sizeof (jk_str_t));
    v->count = n;
    for (uint32_t k = 0; k < n; k++) {
        const char *eq = memchr (parts[k].ptr, '=', parts[k].len);
        if (!eq) {
            jk_report_error (report, "E_FIELD_FORMAT", path,
                             "%s items must be CODE=TITLE, got '%.*s'", path,
                             (int)parts[k].len, parts[k].ptr);
            return -1;
        }
        char *code = jk_strndup (parts[k].ptr, (size_t)(eq - parts[k].ptr));
        char *title =
            jk_strndup (eq + 1, parts[k].len - (size_t)(eq + 1 - parts[k].ptr));
        const char *c = s_trim (code), *ti = s_trim (title);
        v->items[2 * k] = jk_arena_str (&self->arena, c, strlen (c));
        v->items[2 * k + 1] = jk_arena_str (&self->arena, ti, strlen (ti));
        free (code);
        free (title);
    }
    return 0;
}

int jk_event_set (jk_event_t *self, const char *field, const char *text,
                  jk_report_t *report)
{
    char path[64];
    snprintf (path, sizeof path, "body.%s", field);
    int i = jk_event_field_index (self, field);
    if (i < 0) {
        jk_report_error (report, "E_FIELD_UNKNOWN", path, "%s has no field %s",
                         self->type->name, field);
        return JK_INVALID;
    }
    const jk_field_t *f = &self->type->fields[i];
    jk_value_t v = {.present = true};
    char *owned = jk_strdup (text);
    const char *t = s_trim (owned);
    int rc = 0;
    switch (f->kind) {
        case JK_KIND_STR:
            v.s = jk_arena_str (&self->arena, t, strlen (t));
            break;
        case JK_KIND_UINT:
            rc = s_set_uint (t, path, &v, report);
            break;
        case JK_KIND_BOOL:
            rc = s_set_bool (t, path, &v, report);
            break;
        case JK_KIND_DATE:
            rc = s_set_date (self, t, path, &v, report);
            break;
        case JK_KIND_TIME:
            rc = s_set_time (self, t, path, &v, report);
            break;
        case JK_KIND_ENUM:
            rc = s_set_enum (f, t, path, &v, report);
            break;
        case JK_KIND_SET:
        case JK_KIND_LIST:
            rc = s_set_items (self, f, t, path, &v, report);
            break;
        case JK_KIND_UNITS:
            rc = s_set_units (self, t, path, &v, report);
            break;
    }
    free (owned);
    if (rc == 0)
        self->body[i] = v;
    return rc;
}
