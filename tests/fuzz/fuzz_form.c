/*  fuzz_form.c - libFuzzer target for what jejak-office makes of a posted
    form (jk_office_posted, then jk_event_set and jk_event_check_field as
    the form's submit does; libmicrohttpd has split the body into names
    and values). The first byte picks the event type; the rest is the
    form's names and values, separated by NUL bytes (name, value, name,
    value, ...). A name of one byte stands for a field of the type:
    "f.FIELD", "f.FIELD.code" or "f.FIELD.title" by the byte's value.
    Every field's wire text ends within its buffer, whatever the values'
    count and length; a refused value has a code and a message that names
    the field; what is given sets and checks without a crash. */
#include "check.h"
#include "office_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_PAIRS_MAX 256

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1 || size > 256 * 1024)
        return 0;
    const jk_type_t *type =
        jk_vocabulary_at ((size_t)data[0] % jk_vocabulary_count ());
    jk_kv_t kv[S_PAIRS_MAX];
    size_t count = 0;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    while (p < end && count < S_PAIRS_MAX) {
        size_t key_len = strnlen (p, (size_t)(end - p));
        const char *value = p + key_len + 1;
        size_t value_len =
            value < end ? strnlen (value, (size_t)(end - value)) : 0;
        char key[160];
        if (key_len == 1) {
            unsigned b = (unsigned char)p[0];
            const jk_field_t *f = &type->fields[b % type->field_count];
            static const char *const suffix[] = {"", ".code", ".title"};
            snprintf (key, sizeof key, "f.%s%s", f->name,
                      suffix[b / type->field_count % 3]);
        } else
            snprintf (key, sizeof key, "%.*s", (int)key_len, p);
        kv[count].key = jk_strdup (key);
        kv[count].value = jk_strndup (value < end ? value : "", value_len);
        kv[count].len = value_len;
        kv[count].filename = NULL;
        count++;
        p = value + value_len + 1;
    }
    jk_http_t h;
    memset (&h, 0, sizeof h);
    h.form = kv;
    h.form_count = count;

    jk_event_t *ev = jk_event_new (type);
    jk_context_t ctx = jk_context_default ();
    char *wire = malloc (JK_EVENT_MAX_BYTES);
    for (size_t i = 0; i < type->field_count; i++) {
        const jk_field_t *f = &type->fields[i];
        jk_report_t report;
        jk_report_reset (&report);
        memset (wire, 0x5a, JK_EVENT_MAX_BYTES);
        bool given =
            jk_office_posted (&h, f, wire, JK_EVENT_MAX_BYTES, &report);
        S_CHECK (memchr (wire, 0, JK_EVENT_MAX_BYTES) != NULL);
        if (report.failed) {
            S_CHECK (given && report.error.code[0]);
            S_CHECK (strstr (report.error.message, f->name) != NULL);
            continue;
        }
        if (given && jk_event_set (ev, f->name, wire, &report) != JK_OK)
            S_CHECK (report.failed && report.error.code[0]);
        jk_report_reset (&report);
        if (jk_event_check_field (ev, i, &ctx, &report) != 0)
            S_CHECK (report.failed && report.error.code[0]);
    }
    free (wire);
    jk_event_destroy (&ev);
    for (size_t i = 0; i < count; i++) {
        free (kv[i].key);
        free (kv[i].value);
    }
    return 0;
}
