/*  validate.c - every rule that can be decided from one event, the
    reference data and a clock: envelope, field ranges and formats (the
    identifiers' rules: identifiers.c; each type's cross-field rules:
    cross_rules.c). Called by agents before queueing and by the store
    before deciding. */
#include "schema_internal.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- formats ----------------------------------------------------------------
 */

static bool s_all_digits (jk_str_t s)
{
    for (uint32_t i = 0; i < s.len; i++)
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
    return s.len > 0;
}

/* ^(\+62|62|0)8\d{8,11}$ */
static bool s_phone_ok (jk_str_t s)
{
    uint32_t i = 0;
    if (s.len >= 3 && memcmp (s.ptr, "+62", 3) == 0)
        i = 3;
    else if (s.len >= 2 && memcmp (s.ptr, "62", 2) == 0)
        i = 2;
    else if (s.len >= 1 && s.ptr[0] == '0')
        i = 1;
    else
        return false;
    if (i >= s.len || s.ptr[i] != '8')
        return false;
    jk_str_t rest = {s.ptr + i + 1, s.len - i - 1};
    return rest.len >= 8 && rest.len <= 11 && s_all_digits (rest);
}

/* NN.NN.NN.NNNN */
static bool s_desa_shape (jk_str_t s)
{
    if (s.len != 13)
        return false;
    for (uint32_t i = 0; i < 13; i++) {
        bool dot = i == 2 || i == 5 || i == 8;
        if (dot ? s.ptr[i] != '.' : !isdigit ((unsigned char)s.ptr[i]))
            return false;
    }
    return true;
}

static bool s_code_ok (jk_str_t s)
{
    for (uint32_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!isalnum ((unsigned char)c) && c != '.' && c != '-' && c != '_' &&
            c != '/')
            return false;
    }
    return true;
}

/* A NIK: its own rule, then warnings where it disagrees with the
   reference data, body.sex or body.birth_date. */
static int s_format_nik (const jk_event_t *ev, jk_str_t s,
                         const jk_context_t *ctx, const char *path,
                         jk_report_t *report)
{
    jk_nik_t nik;
    if (jk_nik_parse (s.ptr, s.len, &nik, path, report))
        return -1;
    if (ctx->region && !jk_region_province (ctx->region, nik.province))
        jk_report_warn (report, "W_NIK_PROVINCE", path,
                        "%s province code %02d is not in the "
                        "reference data",
                        path, nik.province);
    const jk_value_t *sex = jk_event_get (ev, "sex");
    if (sex && sex->present && (sex->n == 1) != nik.female)
        jk_report_warn (
            report, "W_NIK_SEX", path, "%s says %s but body.sex is %.*s", path,
            nik.female ? "P (day + 40)" : "L", (int)sex->s.len, sex->s.ptr);
    const jk_value_t *birth = jk_event_get (ev, "birth_date");
    if (birth && birth->present) {
        int y, m, d;
        jk_civil_from_days ((int32_t)birth->n, &y, &m, &d);
        if (d != nik.day || m != nik.month || y % 100 != nik.year)
            jk_report_warn (report, "W_NIK_BIRTH_DATE", path,
                            "%s birth date %02d%02d%02d disagrees "
                            "with body.birth_date %.*s",
                            path, nik.day, nik.month, nik.year,
                            (int)birth->s.len, birth->s.ptr);
    }
    return 0;
}

/* A desa code: its shape, then (with reference data) a desa of the
   region, or for DESA_ANY at least not an unknown one inside it. */
static int s_format_desa (const jk_field_t *f, jk_str_t s,
                          const jk_context_t *ctx, const char *path,
                          jk_report_t *report)
{
    if (!s_desa_shape (s)) {
        jk_report_error (report, "E_FIELD_FORMAT", path,
                         "%s must be a desa code NN.NN.NN.NNNN, got "
                         "'%.*s'",
                         path, (int)(s.len > 20 ? 20 : s.len), s.ptr);
        return -1;
    }
    if (!ctx->region)
        return 0;
    const char *kec;
    if (jk_region_desa (ctx->region, s.ptr, s.len, &kec))
        return 0;
    const char *regency = jk_region_regency (ctx->region);
    bool inside = strncmp (s.ptr, regency, strlen (regency)) == 0;
    if (f->format == JK_FORMAT_DESA_REGION || inside) {
        jk_report_error (report, "E_REGION", path,
                         "%s %.*s is not a desa of %s in the "
                         "reference data",
                         path, (int)s.len, s.ptr, regency);
        return -1;
    }
    return 0;
}

/* A legal number: not blank; a warning when its class is unknown on a
   registration. */
static int s_format_legal (const jk_event_t *ev, jk_str_t s, const char *path,
                           jk_report_t *report)
{
    char norm[128];
    jk_legal_class_t cls =
        jk_legal_number_normalise (s.ptr, s.len, norm, sizeof norm);
    if (!norm[0]) {
        jk_report_error (report, "E_FIELD_LENGTH", path, "%s must not be blank",
                         path);
        return -1;
    }
    if (cls == JK_LEGAL_UNKNOWN &&
        strcmp (ev->type->name, "cooperative.registered") == 0)
        jk_report_warn (report, "W_LEGAL_NUMBER_FORMAT", path,
                        "%s '%s' is neither AHU-nnnnnnn.AH.01.26 "
                        "nor a legacy .../BH/... number",
                        path, norm);
    return 0;
}

/* A cooperative's NIK: 13 digits; a warning when it does not start with
   the hub's area. */
static int s_format_nik_koperasi (jk_str_t s, const jk_context_t *ctx,
                                  const char *path, jk_report_t *report)
{
    if (s.len != 13 || !s_all_digits (s)) {
        jk_report_error (report, "E_FIELD_FORMAT", path, "%s must be 13 digits",
                         path);
        return -1;
    }
    /* The hub's area without dots: 3203 (Cianjur), 32 for a province
       hub. */
    const char *area = ctx->region ? jk_region_regency (ctx->region) : "32.03";
    char prefix[8];
    size_t n = 0;
    for (const char *c = area; *c && n < sizeof prefix - 1; c++)
        if (*c != '.')
            prefix[n++] = *c;
    prefix[n] = 0;
    if (memcmp (s.ptr, prefix, n) != 0)
        jk_report_warn (report, "W_NIK_KOPERASI_PREFIX", path,
                        "%s does not start with %s (%s)", path, prefix,
                        strcmp (prefix, "3203") ? area : "Cianjur");
    return 0;
}

static int s_check_format (const jk_event_t *ev, const jk_field_t *f,
                           const jk_value_t *v, const jk_context_t *ctx,
                           const char *path, jk_report_t *report)
{
    jk_str_t s = v->s;
    switch (f->format) {
        case JK_FORMAT_NONE:
            return 0;
        case JK_FORMAT_NIK:
            return s_format_nik (ev, s, ctx, path, report);
        case JK_FORMAT_DESA_REGION:
        case JK_FORMAT_DESA_ANY:
            return s_format_desa (f, s, ctx, path, report);
        case JK_FORMAT_LEGAL_NUMBER:
            return s_format_legal (ev, s, path, report);
        case JK_FORMAT_PHONE:
            if (!s_phone_ok (s)) {
                jk_report_error (report, "E_FIELD_FORMAT", path,
                                 "%s must match ^(\\+62|62|0)8\\d{8,11}$, "
                                 "got '%.*s'",
                                 path, (int)(s.len > 20 ? 20 : s.len), s.ptr);
                return -1;
            }
            return 0;
        case JK_FORMAT_NIK_KOPERASI:
            return s_format_nik_koperasi (s, ctx, path, report);
        case JK_FORMAT_CODE:
            if (!s_code_ok (s)) {
                jk_report_error (report, "E_FIELD_FORMAT", path,
                                 "%s may hold only letters, digits and "
                                 ". - _ /, got '%.*s'",
                                 path, (int)(s.len > 40 ? 40 : s.len), s.ptr);
                return -1;
            }
            return 0;
    }
    return 0;
}

/* Whether s is lo..hi characters (UTF-8 code points, not bytes); the
   error is reported on field (body.NAME) and names what, the field or
   one item of it ("body.units[2].code"). */
static int s_text_length_of (const char *field, const char *what, jk_str_t s,
                             int64_t lo, int64_t hi, jk_report_t *report)
{
    int64_t chars = jk_utf8_length (s.ptr, s.len);
    if (chars < 0) {
        jk_report_error (report, "E_FIELD_FORMAT", field,
                         "%s is not valid UTF-8", what);
        return -1;
    }
    if (chars < lo || chars > hi) {
        jk_report_error (report, "E_FIELD_LENGTH", field,
                         "%s must be %lld..%lld characters, got %lld", what,
                         (long long)lo, (long long)hi, (long long)chars);
        return -1;
    }
    return 0;
}

static int s_text_length (const char *path, jk_str_t s, int64_t lo, int64_t hi,
                          jk_report_t *report)
{
    return s_text_length_of (path, path, s, lo, hi, report);
}

/* Item k of path (part: "" for a list's item, ".code" or ".title" for a
   unit's) is 1..hi characters; its name ("body.units[2].code", 0-based
   as the decoder names items) is formatted only when it is not. */
static int s_item_length (const char *path, uint32_t k, const char *part,
                          jk_str_t s, int64_t hi, jk_report_t *report)
{
    int64_t chars = jk_utf8_length (s.ptr, s.len);
    if (chars >= 1 && chars <= hi)
        return 0;
    char what[96];
    snprintf (what, sizeof what, "%s[%u]%s", path, k, part);
    return s_text_length_of (path, what, s, 1, hi, report);
}

/* Each item of a list (1..item_max characters), or each unit's code
   (1..item_max) and title (1..JK_UNIT_TITLE_MAX). */
static int s_check_items (const jk_field_t *f, const jk_value_t *v,
                          const char *path, jk_report_t *report)
{
    for (uint32_t k = 0; k < v->count; k++) {
        if (f->kind == JK_KIND_LIST) {
            if (s_item_length (path, k, "", v->items[k], f->item_max, report))
                return -1;
        } else if (s_item_length (path, k, ".code", v->items[2 * k],
                                  f->item_max, report) ||
                   s_item_length (path, k, ".title", v->items[2 * k + 1],
                                  JK_UNIT_TITLE_MAX, report))
            return -1;
    }
    return 0;
}

/* Index of text among values, or -1. */
static int s_enum_find (const char *const *values, jk_str_t text)
{
    for (int i = 0; values[i]; i++)
        if (jk_str_eq (text, values[i]))
            return i;
    return -1;
}

static bool s_enum_is (const char *const *values, int64_t index, jk_str_t text)
{
    for (int64_t i = 0; values[i]; i++)
        if (i == index)
            return jk_str_eq (text, values[i]);
    return false;
}

/* A set's items: distinct values of its enum. 0 or -1 (reported). */
static int s_check_set (const jk_field_t *f, const jk_value_t *v,
                        const char *path, jk_report_t *report)
{
    for (uint32_t k = 0; k < v->count; k++) {
        int e = s_enum_find (f->values, v->items[k]);
        bool twice = false;
        for (uint32_t j = 0; j < k; j++)
            twice |= jk_str_same (v->items[j], v->items[k]);
        if (e < 0 || twice) {
            jk_report_error (report, "E_FIELD_ENUM", path,
                             "%s items must be distinct values of "
                             "%s, got '%.*s'%s",
                             path, f->name,
                             (int)(v->items[k].len > 40 ? 40 : v->items[k].len),
                             v->items[k].ptr, twice ? " twice" : "");
            return -1;
        }
    }
    return 0;
}

static int s_check_field (const jk_event_t *ev, size_t index,
                          const jk_context_t *ctx, jk_report_t *report)
{
    const jk_field_t *f = &ev->type->fields[index];
    const jk_value_t *v = &ev->body[index];
    /* "body.NAME", built without printf: this runs for every field of
       every event, errors or not. */
    char path[64];
    size_t name_len = strnlen (f->name, sizeof path - 6);
    memcpy (path, "body.", 5);
    memcpy (path + 5, f->name, name_len);
    path[5 + name_len] = '\0';
    if (!v->present) {
        if (f->required) {
            jk_report_error (report, "E_FIELD_MISSING", path,
                             "%s is required for %s", path, ev->type->name);
            return -1;
        }
        return 0;
    }
    switch (f->kind) {
        case JK_KIND_STR:
            if (s_text_length (path, v->s, f->min, f->max, report))
                return -1;
            break;
        case JK_KIND_UINT:
            if (v->n < f->min || v->n > f->max) {
                jk_report_error (report, "E_FIELD_RANGE", path,
                                 "%s must be %lld..%lld, got %lld", path,
                                 (long long)f->min, (long long)f->max,
                                 (long long)v->n);
                return -1;
            }
            break;
        case JK_KIND_ENUM:
            /* Events built in code may carry any text: check it again. */
            if (v->n < 0 || !s_enum_is (f->values, v->n, v->s)) {
                jk_report_error (report, "E_FIELD_ENUM", path,
                                 "%s must be one of the values of %s, got "
                                 "'%.*s'",
                                 path, f->name,
                                 (int)(v->s.len > 40 ? 40 : v->s.len),
                                 v->s.ptr);
                return -1;
            }
            break;
        case JK_KIND_SET:
            if (s_check_set (f, v, path, report))
                return -1;
            /* fall through */
        case JK_KIND_LIST:
        case JK_KIND_UNITS:
            if (v->count < f->min || v->count > f->max) {
                jk_report_error (report, "E_FIELD_LENGTH", path,
                                 "%s must have %lld..%lld items, got %u", path,
                                 (long long)f->min, (long long)f->max,
                                 v->count);
                return -1;
            }
            if (f->kind != JK_KIND_SET && s_check_items (f, v, path, report))
                return -1;
            break;
        default:
            break;
    }
    return s_check_format (ev, f, v, ctx, path, report);
}

#define FUTURE_SLACK_MS (5 * 60 * 1000)
#define AT_MIN_MS       631152000000LL  /* 1990-01-01 */
#define AT_MAX_MS       4102444800000LL /* 2100-01-01 */

int jk_event_validate (const jk_event_t *self, const jk_context_t *ctx,
                       jk_report_t *report)
{
    jk_report_reset (report);
    if ((self->id[6] >> 4) != 7 || (self->id[8] & 0xc0) != 0x80) {
        jk_report_error (report, "E_ENVELOPE_ID", "id",
                         "id must be a UUIDv7 (version 7, RFC 9562 variant)");
        return JK_INVALID;
    }
    if (jk_source_check (ctx->region, self->source.ptr, self->source.len,
                         report))
        return JK_INVALID;
    if (self->seq < 1) {
        jk_report_error (report, "E_ENVELOPE_SEQ", "seq",
                         "seq must be 1 or more");
        return JK_INVALID;
    }
    if (self->at < AT_MIN_MS) {
        jk_report_error (report, "E_ENVELOPE_AT", "at",
                         "at must be after 1990-01-01, got %lld ms",
                         (long long)self->at);
        return JK_INVALID;
    }
    if (self->at >= AT_MAX_MS) {
        jk_report_error (report, "E_ENVELOPE_AT", "at",
                         "at must be before 2100-01-01, got %lld ms",
                         (long long)self->at);
        return JK_INVALID;
    }
    /* A fast office clock (or a slow hub) costs no entry: the event is
       accepted with a warning that names the difference. */
    if (self->at > ctx->now_ms + FUTURE_SLACK_MS)
        jk_report_warn (report, "W_AT_FUTURE", "at",
                        "at is %lld s ahead of the store's clock (more than "
                        "300 s): the office's or the hub's clock is wrong; "
                        "accepted as given",
                        (long long)((self->at - ctx->now_ms) / 1000));
    if (s_text_length ("actor", self->actor, 1, JK_ACTOR_MAX, report))
        return JK_INVALID;
    if (self->type->needs_corrects && !self->has_corrects) {
        jk_report_error (report, "E_ENVELOPE_MISSING", "corrects",
                         "%s needs corrects: the id of the event it "
                         "corrects",
                         self->type->name);
        return JK_INVALID;
    }
    for (size_t i = 0; i < self->type->field_count; i++)
        if (s_check_field (self, i, ctx, report))
            return JK_INVALID;
    if (self->type->check)
        self->type->check (self, ctx, report);
    return report->failed ? -1 : 0;
}

int jk_event_check_field (const jk_event_t *self, size_t index,
                          const jk_context_t *context, jk_report_t *report)
{
    assert (self && index < self->type->field_count);
    return s_check_field (self, index, context, report);
}

jk_context_t jk_context_default (void)
{
    return (jk_context_t){.now_ms = jk_clock_now_ms (),
                          .region = jk_region_default ()};
}
