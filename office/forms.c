/*  forms.c - forms generated from the vocabulary table: one control per
    field by kind (dd/mm/yyyy dates, enums as selects with Indonesian
    names, desa from the office's own kecamatan, pick lists of what the
    office entered, units as a repeatable group), validation with the
    schema library and its codes, a message beside every wrong field.
    Attendance of a whole session is attendance.c. */
#include "office_internal.h"

#include <ctype.h>
#include <string.h>

#define S_UNIT_ROWS 3 /* empty unit rows shown without JavaScript */

typedef struct {
    char code[JK_CODE_MAX];
    char text[512];
} s_error_t;

/* Appends len bytes of text to out (size bytes, *used of them taken),
   after sep when out holds something already; false, out unchanged,
   when it does not fit. */
static bool s_append (char *out, size_t size, size_t *used, const char *sep,
                      const char *text, size_t len)
{
    size_t sep_len = *used ? strlen (sep) : 0;
    if (*used + sep_len + len >= size)
        return false;
    memcpy (out + *used, sep, sep_len);
    memcpy (out + *used + sep_len, text, len);
    *used += sep_len + len;
    out[*used] = 0;
    return true;
}

bool jk_office_supervisor_only (const jk_type_t *t)
{
    return t->needs_corrects || strcmp (t->name, "person.corrected") == 0 ||
           strcmp (t->name, "cooperative.status_declared") == 0 ||
           strcmp (t->name, "certificate.revoked") == 0;
}

/* Which pick list serves a field, or -1. */
static int s_list_for (const jk_type_t *t, const jk_field_t *f)
{
    if (f->format == JK_FORMAT_LEGAL_NUMBER &&
        strcmp (t->name, "cooperative.registered") != 0)
        return JK_LIST_COOPERATIVES;
    if (f->format == JK_FORMAT_NIK && strcmp (t->name, "person.registered"))
        return JK_LIST_PEOPLE;
    if (strcmp (f->name, "batch") == 0 &&
        strcmp (t->name, "training.batch_scheduled") != 0)
        return JK_LIST_BATCHES;
    if (strcmp (f->name, "assessment") == 0 &&
        strcmp (t->name, "assessment.scheduled") != 0)
        return JK_LIST_ASSESSMENTS;
    return -1;
}

static const char *s_list_ids[] = {
    "list-cooperatives", "list-people",      "list-batches",   "list-sessions",
    "list-enrolments",   "list-assessments", "list-attendance"};

static void s_datalist (jk_http_t *h, int which)
{
    FILE *o = h->out;
    jk_list_t *list = &h->office->lists[which];
    fprintf (o, "<datalist id=\"%s\">", s_list_ids[which]);
    size_t from = list->count > JK_LIST_SHOWN ? list->count - JK_LIST_SHOWN : 0;
    for (size_t i = from; i < list->count; i++)
        jk_lists_option (o, &list->items[i], false);
    fputs ("</datalist>", o);
}

/* The office's own desa (all of the regency for DINAS). */
static void s_desa_list (jk_http_t *h)
{
    FILE *o = h->out;
    const jk_region_t *region = jk_region_default ();
    bool all = strcmp (h->office->office, "DINAS") == 0;
    fputs ("<datalist id=\"list-desa\">", o);
    for (size_t i = 0; i < jk_region_desa_count (region); i++) {
        const char *name = NULL, *kec = NULL;
        const char *code = jk_region_desa_at (region, i, &name, &kec);
        if (!all && strcmp (kec, h->office->office) != 0)
            continue;
        fprintf (o, "<option value=\"%s\">", code);
        jk_html (o, name);
        fputs ("</option>", o);
    }
    fputs ("</datalist>", o);
}

/* Shown value of a field: what was posted, else the prefill. */
static const char *s_shown (jk_http_t *h, const char *const *prefill,
                            size_t index, const char *key)
{
    const char *v = jk_http_form (h, key);
    if (v)
        return v;
    return prefill && prefill[index] ? prefill[index] : "";
}

/* A select of an enum's values, or Ya/Tidak for a boolean. */
static void s_control_select (jk_http_t *h, const jk_field_t *f,
                              const char *attrs, const char *value)
{
    FILE *o = h->out;
    fprintf (o, "<select%s><option value=\"\">%s</option>", attrs,
             TR (h, "- pilih -", "- choose -"));
    static const char *const yn[] = {"true", "false", NULL};
    const char *const *values = f->kind == JK_KIND_BOOL ? yn : f->values;
    for (size_t v = 0; values[v]; v++) {
        char buf[64];
        const char *shown =
            f->kind == JK_KIND_BOOL
                ? jk_office_bool_label (v == 0, h->en)
                : jk_office_value_label (values[v], h->en, buf, sizeof buf);
        fprintf (o, "<option value=\"%s\"%s>", values[v],
                 strcmp (value, values[v]) == 0 ? " selected" : "");
        jk_html (o, shown);
        fputs ("</option>", o);
    }
    fputs ("</select>", o);
}

/* A set: one checkbox per value, checked as posted or prefilled. */
static void s_control_set (jk_http_t *h, const jk_field_t *f, const char *key,
                           const char *const *prefill, size_t index)
{
    FILE *o = h->out;
    const char *checked[16];
    size_t n = jk_http_form_values (h, key, checked, 16);
    fprintf (o, "<fieldset id=\"%s\" class=\"set\">", key);
    for (size_t v = 0; f->values[v]; v++) {
        bool on = false;
        for (size_t k = 0; k < n; k++)
            on |= strcmp (checked[k], f->values[v]) == 0;
        if (!n && prefill && prefill[index])
            on = strstr (prefill[index], f->values[v]) != NULL;
        char buf[64];
        fprintf (o,
                 "<label class=\"check\"><input type=\"checkbox\" "
                 "name=\"%s\" value=\"%s\"%s> ",
                 key, f->values[v], on ? " checked" : "");
        jk_html (o,
                 jk_office_value_label (f->values[v], h->en, buf, sizeof buf));
        fputs ("</label>", o);
    }
    fputs ("</fieldset>", o);
}

/* Units: rows of code and title (more added by the page's script). */
static void s_control_units (jk_http_t *h, const char *key)
{
    FILE *o = h->out;
    char ck[80], tk[80];
    snprintf (ck, sizeof ck, "%s.code", key);
    snprintf (tk, sizeof tk, "%s.title", key);
    const char *codes[JK_LIST_MAX], *titles[JK_LIST_MAX];
    size_t nc = jk_http_form_values (h, ck, codes, JK_LIST_MAX);
    size_t nt = jk_http_form_values (h, tk, titles, JK_LIST_MAX);
    size_t rows = nc > S_UNIT_ROWS ? nc : S_UNIT_ROWS;
    fprintf (o,
             "<fieldset class=\"units\" id=\"%s\" data-repeat>"
             "<table><thead><tr><th>%s</th><th>%s</th></tr></thead>"
             "<tbody>",
             key, TR (h, "Kode unit", "Unit code"),
             TR (h, "Judul unit", "Unit title"));
    for (size_t r = 0; r < rows; r++) {
        fprintf (o,
                 "<tr><td><input name=\"%s\" aria-label=\"%s %zu\" "
                 "value=\"",
                 ck, TR (h, "Kode unit", "Unit code"), r + 1);
        jk_html (o, r < nc ? codes[r] : "");
        fprintf (o,
                 "\"></td><td><input name=\"%s\" aria-label=\"%s "
                 "%zu\" value=\"",
                 tk, TR (h, "Judul unit", "Unit title"), r + 1);
        jk_html (o, r < nt ? titles[r] : "");
        fputs ("\"></td></tr>", o);
    }
    fprintf (o,
             "</tbody></table><button type=\"button\" "
             "class=\"add-row\">%s</button></fieldset>",
             TR (h, "Tambah unit", "Add a unit"));
}

/* A text input, numeric or a phone where the field says so, with the
   pick list of its kind. */
static void s_control_text (jk_http_t *h, const jk_type_t *t,
                            const jk_field_t *f, const char *attrs,
                            const char *value)
{
    FILE *o = h->out;
    int list = s_list_for (t, f);
    bool desa =
        f->format == JK_FORMAT_DESA_REGION || f->format == JK_FORMAT_DESA_ANY;
    bool numeric = f->kind == JK_KIND_UINT || f->format == JK_FORMAT_NIK ||
                   f->format == JK_FORMAT_NIK_KOPERASI;
    fprintf (o, "<input%s%s%s%s value=\"", attrs,
             numeric ? " inputmode=\"numeric\"" : "",
             f->format == JK_FORMAT_PHONE ? " inputmode=\"tel\"" : "",
             desa ? " list=\"list-desa\" autocomplete=\"off\"" : "");
    jk_html (o, value);
    fputs ("\"", o);
    if (list >= 0)
        fprintf (o, " list=\"%s\" autocomplete=\"off\"", s_list_ids[list]);
    fputs (">", o);
}

/* One field of a form: its label, control, help and error. */
static void s_control (jk_http_t *h, const jk_type_t *t, size_t index,
                       const char *const *prefill, const s_error_t *error)
{
    FILE *o = h->out;
    const jk_field_t *f = &t->fields[index];
    char key[64], label[64];
    snprintf (key, sizeof key, "f.%s", f->name);
    const char *value = s_shown (h, prefill, index, key);
    bool bad = error && error->code[0];
    fprintf (o, "<div class=\"field%s\" data-field=\"%s\"><label for=\"%s\">",
             bad ? " bad" : "", f->name, key);
    jk_html (o, jk_office_field_label (f, h->en, label, sizeof label));
    if (f->required)
        fprintf (o, " <span class=\"req\" aria-hidden=\"true\">*</span>");
    fputs ("</label>", o);
    const char *described =
        bad ? " aria-invalid=\"true\" aria-describedby=\"" : "";
    char attrs[512];
    snprintf (attrs, sizeof attrs, " id=\"%s\" name=\"%s\"%s%s%s%s", key, key,
              f->required ? " required" : "", described, bad ? key : "",
              bad ? ".error\"" : "");
    switch (f->kind) {
        case JK_KIND_ENUM:
        case JK_KIND_BOOL:
            s_control_select (h, f, attrs, value);
            break;
        case JK_KIND_SET:
            s_control_set (h, f, key, prefill, index);
            break;
        case JK_KIND_LIST:
            fprintf (o, "<textarea%s rows=\"3\">", attrs);
            jk_html (o, value);
            fputs ("</textarea>", o);
            break;
        case JK_KIND_UNITS:
            s_control_units (h, key);
            break;
        case JK_KIND_DATE:
            fprintf (o,
                     "<span class=\"date\"><input%s inputmode=\"numeric\" "
                     "placeholder=\"hh/bb/tttt\" data-date value=\"",
                     attrs);
            jk_html (o, value);
            fprintf (o, "\"></span>");
            break;
        case JK_KIND_TIME:
            fprintf (o,
                     "<input%s inputmode=\"numeric\" placeholder=\"JJ:MM\" "
                     "value=\"",
                     attrs);
            jk_html (o, value);
            fputs ("\">", o);
            break;
        default:
            s_control_text (h, t, f, attrs, value);
    }
    const char *help = jk_office_field_help (f, h->en);
    if (help && *help) {
        fputs ("<small class=\"help\">", o);
        jk_html (o, help);
        fputs ("</small>", o);
    }
    if (bad) {
        fprintf (o, "<p class=\"error\" id=\"%s.error\" role=\"alert\">", key);
        jk_html (o, error->text);
        fputs ("</p>", o);
    }
    fputs ("</div>", o);
}

/* Prefill from a rejected entry (fix and send again): display text of
   each field, dates as dd/mm/yyyy. Freed by the caller (count items).
   NULL when there is no entry seq of this type (another type's fields of
   the same name may hold values of another kind). */
static char **s_prefill (jk_http_t *h, const jk_type_t *t, uint64_t seq)
{
    char **values = NULL;
    pthread_mutex_lock (&h->office->lock);
    jk_outbox_row_t row;
    if (jk_outbox_get (h->office->outbox, seq, &row) == JK_OK &&
        strcmp (row.type, t->name) == 0) {
        jk_event_t *ev = jk_event_decode (row.bytes, row.size, NULL);
        if (ev) {
            values = jk_calloc (t->field_count, sizeof *values);
            /* A field's text is at most the event's size: no value is
               cut short (the clerk sends it again as shown). */
            char *text = jk_malloc (JK_EVENT_MAX_BYTES);
            for (size_t i = 0; i < t->field_count; i++) {
                const jk_field_t *f = &t->fields[i];
                const jk_value_t *v = jk_event_get (ev, f->name);
                if (!v || !v->present)
                    continue;
                text[0] = 0;
                if (f->kind == JK_KIND_DATE)
                    snprintf (text, JK_EVENT_MAX_BYTES, "%.2s/%.2s/%.4s",
                              v->s.ptr + 8, v->s.ptr + 5, v->s.ptr);
                else if (f->kind == JK_KIND_UINT)
                    snprintf (text, JK_EVENT_MAX_BYTES, "%lld",
                              (long long)v->n);
                else if (f->kind == JK_KIND_BOOL)
                    snprintf (text, JK_EVENT_MAX_BYTES, "%s",
                              v->n ? "true" : "false");
                else if (f->kind == JK_KIND_LIST || f->kind == JK_KIND_SET) {
                    size_t used = 0;
                    for (uint32_t k = 0; k < v->count; k++)
                        (void)s_append (text, JK_EVENT_MAX_BYTES, &used, "\n",
                                        v->items[k].ptr, v->items[k].len);
                } else
                    jk_event_text (ev, f->name, text, JK_EVENT_MAX_BYTES);
                values[i] = jk_strdup (text);
            }
            free (text);
            jk_event_destroy (&ev);
        }
    }
    pthread_mutex_unlock (&h->office->lock);
    return values;
}

static void s_form (jk_http_t *h, const jk_type_t *t, const s_error_t *errors,
                    const s_error_t *general)
{
    const char *fix = jk_http_query (h, "fix");
    if (!fix)
        fix = jk_http_form (h, "fix");
    uint64_t fix_seq = 0;
    char **prefill = NULL;
    if (fix && jk_parse_u64 (fix, &fix_seq) == JK_OK && !h->form_count &&
        !(prefill = s_prefill (h, t, fix_seq)))
        fix_seq = 0; /* not an entry of this type: a blank form */
    const char *title = jk_office_type_label (t, h->en);
    jk_page_begin (h, title);
    FILE *o = h->out;
    fputs ("<main><h1>", o);
    jk_html (o, title);
    fputs ("</h1>", o);
    if (general && general->code[0]) {
        fputs ("<p class=\"error\" role=\"alert\" id=\"form-error\">", o);
        jk_html (o, general->text);
        fputs ("</p>", o);
    }
    if (errors)
        fprintf (o, "<p class=\"error summary\" role=\"alert\">%s</p>",
                 TR (h, "Ada isian yang perlu diperbaiki (lihat tanda merah).",
                     "Some fields need fixing (marked red)."));
    fprintf (o,
             "<form method=\"post\" action=\"/form/%s\" id=\"event-form\" "
             "novalidate>",
             t->name);
    jk_page_csrf (h);
    if (fix_seq)
        fprintf (o, "<input type=\"hidden\" name=\"fix\" value=\"%llu\">",
                 (unsigned long long)fix_seq);
    if (t->needs_corrects) {
        const char *v = jk_http_form (h, "corrects");
        fprintf (o,
                 "<div class=\"field\"><label for=\"corrects\">%s</label>"
                 "<input id=\"corrects\" name=\"corrects\" required "
                 "list=\"list-attendance\" autocomplete=\"off\" value=\"",
                 TR (h, "Catatan yang dikoreksi", "Entry corrected"));
        jk_html (o, v ? v : "");
        fputs ("\"></div>", o);
    }
    for (size_t i = 0; i < t->field_count; i++)
        s_control (h, t, i, (const char *const *)prefill,
                   errors ? &errors[i] : NULL);
    fprintf (o,
             "<p class=\"actions\"><button type=\"submit\" id=\"save\">%s"
             "</button> <a href=\"/\">%s</a></p></form>",
             TR (h, "Simpan dan kirim", "Save and send"),
             TR (h, "Batal", "Cancel"));
    pthread_mutex_lock (&h->office->lock);
    jk_lists_refresh (h->office);
    for (int l = 0; l < JK_LIST_COUNT; l++)
        s_datalist (h, l);
    pthread_mutex_unlock (&h->office->lock);
    s_desa_list (h);
    fputs ("</main>", o);
    jk_page_end (h);
    if (prefill)
        for (size_t i = 0; i < t->field_count; i++)
            free (prefill[i]);
    free (prefill);
}

void jk_page_form (jk_http_t *h, const jk_type_t *t)
{
    if (jk_office_supervisor_only (t) &&
        strcmp (h->session.role, "supervisor") != 0) {
        h->code = MHD_HTTP_FORBIDDEN;
        jk_page_begin (h, "403");
        fprintf (h->out, "<main><p class=\"error\">%s</p></main>",
                 TR (h, "Koreksi hanya oleh penyelia (supervisor).",
                     "Corrections are for supervisors only."));
        jk_page_end (h);
        return;
    }
    s_form (h, t, NULL, NULL);
}

/* The refusal of a posted value longer than the wire text can be. */
static bool s_too_long (const jk_field_t *f, size_t size, jk_report_t *report)
{
    char path[80];
    snprintf (path, sizeof path, "body.%s", f->name);
    jk_report_error (report, "E_FIELD_LENGTH", path,
                     "%s is longer than %zu bytes", path, size - 1);
    return true;
}

bool jk_office_posted (jk_http_t *h, const jk_field_t *f, char *out,
                       size_t size, jk_report_t *report)
{
    char key[80];
    snprintf (key, sizeof key, "f.%s", f->name);
    out[0] = 0;
    size_t used = 0;
    if (f->kind == JK_KIND_SET) {
        const char *v[32];
        size_t n = jk_http_form_values (h, key, v, 32);
        for (size_t i = 0; i < n; i++)
            if (!s_append (out, size, &used, ",", v[i], strlen (v[i])))
                return s_too_long (f, size, report);
        return n > 0;
    }
    if (f->kind == JK_KIND_UNITS) {
        char ck[96], tk[96];
        snprintf (ck, sizeof ck, "%s.code", key);
        snprintf (tk, sizeof tk, "%s.title", key);
        const char *codes[JK_LIST_MAX + 1], *titles[JK_LIST_MAX + 1];
        size_t nc = jk_http_form_values (h, ck, codes, JK_LIST_MAX + 1);
        size_t nt = jk_http_form_values (h, tk, titles, JK_LIST_MAX + 1);
        for (size_t i = 0; i < nc || i < nt; i++) {
            const char *c = i < nc ? codes[i] : "";
            const char *t = i < nt ? titles[i] : "";
            if (!*c && !*t)
                continue;
            if (!*c || !*t || strpbrk (c, "=|") || strchr (t, '|')) {
                jk_report_error (report, "E_FIELD_FORMAT", "body.units",
                                 "body.units row %zu needs a code and a "
                                 "title (no = or | in them)",
                                 i + 1);
                return true;
            }
            if (!s_append (out, size, &used, "|", c, strlen (c)) ||
                !s_append (out, size, &used, "=", t, strlen (t)))
                return s_too_long (f, size, report);
        }
        return used > 0;
    }
    const char *v = jk_http_form (h, key);
    if (!v)
        return false;
    bool blank = true;
    for (const char *p = v; *p; p++)
        blank &= isspace ((unsigned char)*p) != 0;
    if (blank)
        return false;
    if (f->kind == JK_KIND_LIST) {
        /* one item per line, each trimmed, whatever its length */
        const char *p = v;
        while (*p) {
            size_t len = strcspn (p, "\r\n");
            const char *s = p;
            p += len;
            while (len && isspace ((unsigned char)*s))
                s++, len--;
            while (len && isspace ((unsigned char)s[len - 1]))
                len--;
            if (len && !s_append (out, size, &used, ",", s, len))
                return s_too_long (f, size, report);
            while (*p == '\r' || *p == '\n')
                p++;
        }
        return used > 0;
    }
    return jk_office_wire_value (f, v, out, size, report) == 0 ||
           report->failed;
}

/* Fills event from the posted form; per-field errors into errors. Returns
   the number of fields with an error. */
static int s_fill (jk_http_t *h, jk_event_t *ev, s_error_t *errors)
{
    const jk_type_t *t = ev->type;
    int bad = 0;
    char *wire = jk_malloc (JK_EVENT_MAX_BYTES);
    jk_context_t ctx = jk_context_default ();
    for (size_t i = 0; i < t->field_count; i++) {
        const jk_field_t *f = &t->fields[i];
        jk_report_t report;
        jk_report_reset (&report);
        bool given = jk_office_posted (h, f, wire, JK_EVENT_MAX_BYTES, &report);
        if (!report.failed && given)
            jk_event_set (ev, f->name, wire, &report);
        if (!report.failed)
            jk_event_check_field (ev, i, &ctx, &report);
        if (report.failed) {
            snprintf (errors[i].code, sizeof errors[i].code, "%s",
                      report.error.code);
            jk_office_problem_text (report.error.code, report.error.rule,
                                    report.error.message, f, h->en,
                                    errors[i].text, sizeof errors[i].text);
            bad++;
        }
    }
    free (wire);
    return bad;
}

void jk_page_submit (jk_http_t *h, const jk_type_t *t)
{
    if (jk_office_supervisor_only (t) &&
        strcmp (h->session.role, "supervisor") != 0) {
        jk_page_form (h, t); /* answers 403 */
        return;
    }
    s_error_t errors[JK_FIELDS_MAX], general;
    memset (errors, 0, sizeof errors);
    memset (&general, 0, sizeof general);
    jk_event_t *ev = jk_event_new (t);
    jk_event_set_actor (ev, h->session.user);
    jk_event_set_source (ev, h->office->source);
    ev->seq = 1; /* the outbox sets the real one */
    int bad = s_fill (h, ev, errors);
    if (!bad && t->needs_corrects) {
        const char *c = jk_http_form (h, "corrects");
        if (c && jk_uuid_parse (c, ev->corrects) == JK_OK)
            ev->has_corrects = true;
    }
    jk_report_t report;
    jk_report_reset (&report);
    jk_context_t ctx = jk_context_default ();
    if (!bad && jk_event_validate (ev, &ctx, &report) != 0) {
        /* A rule across fields (or the envelope): beside its field. */
        const char *field = report.error.field;
        int index = strncmp (field, "body.", 5) == 0
                        ? jk_type_field (t, field + 5, strlen (field + 5))
                        : -1;
        s_error_t *e = index >= 0 ? &errors[index] : &general;
        snprintf (e->code, sizeof e->code, "%s", report.error.code);
        jk_office_problem_text (report.error.code, report.error.rule,
                                report.error.message,
                                index >= 0 ? &t->fields[index] : NULL, h->en,
                                e->text, sizeof e->text);
        bad = 1;
    }
    if (bad) {
        jk_event_destroy (&ev);
        h->code = MHD_HTTP_UNPROCESSABLE_CONTENT;
        jk_info ("form", "user=%s type=%s result=invalid fields=%d",
                 h->session.user, t->name, bad);
        s_form (h, t, general.code[0] && bad == 1 ? NULL : errors, &general);
        return;
    }
    char origin[48] = "";
    const char *fix = jk_http_form (h, "fix");
    uint64_t fix_seq;
    if (fix && jk_parse_u64 (fix, &fix_seq) == JK_OK)
        snprintf (origin, sizeof origin, "fix:%llu",
                  (unsigned long long)fix_seq);
    uint64_t seq = 0;
    pthread_mutex_lock (&h->office->lock);
    int rc = jk_outbox_put (h->office->outbox, ev, origin, NULL, &seq);
    pthread_mutex_unlock (&h->office->lock);
    jk_event_destroy (&ev);
    if (rc != JK_OK) {
        h->code = MHD_HTTP_INTERNAL_SERVER_ERROR;
        snprintf (general.code, sizeof general.code, "E_IO");
        snprintf (general.text, sizeof general.text, "%s",
                  TR (h, "Tidak bisa menulis ke kotak kiriman (disk?).",
                      "Cannot write the outbox (disk?)."));
        s_form (h, t, NULL, &general);
        return;
    }
    jk_info ("form", "user=%s type=%s result=queued seq=%llu", h->session.user,
             t->name, (unsigned long long)seq);
    jk_courier_wake (h->office->courier);
    char url[64];
    snprintf (url, sizeof url, "/outbox/%llu", (unsigned long long)seq);
    jk_http_redirect (h, url);
}
