/*  validate.c - every rule that can be decided from one event, the
    reference data and a clock: envelope, field ranges and formats, NIK,
    legal numbers, and each type's cross-field rules. Called by agents
    before queueing and by the store before deciding. */
#include "schema_internal.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- NIK ---------------------------------------------------------------- */

int jk_nik_parse (const char *text, size_t len, jk_nik_t *out,
                  const char *field, jk_report_t *report)
{
    if (len != 16) {
        jk_report_error (report, "E_NIK_FORMAT", field,
                         "%s must be 16 digits, got %zu characters", field,
                         len);
        return JK_INVALID;
    }
    int v[8] = {0};
    static const int widths[] = {2, 2, 2, 2, 2, 2, 4};
    const char *p = text;
    for (int part = 0; part < 7; part++) {
        for (int k = 0; k < widths[part]; k++, p++) {
            if (*p < '0' || *p > '9') {
                jk_report_error (report, "E_NIK_FORMAT", field,
                                 "%s must be 16 digits, found '%c'", field,
                                 isprint ((unsigned char)*p) ? *p : '?');
                return JK_INVALID;
            }
            v[part] = v[part] * 10 + (*p - '0');
        }
    }
    jk_nik_t nik = {.province = v[0],
                    .regency = v[1],
                    .kecamatan = v[2],
                    .day = v[3],
                    .month = v[4],
                    .year = v[5],
                    .serial = v[6]};
    if (nik.day >= 41 && nik.day <= 71) {
        nik.female = true;
        nik.day -= 40;
    } else if (nik.day < 1 || nik.day > 31) {
        jk_report_error (report, "E_NIK_DAY", field,
                         "%s day of birth must be 01-31 (men) or 41-71 "
                         "(women), got %02d",
                         field, v[3]);
        return JK_INVALID;
    }
    if (nik.month < 1 || nik.month > 12) {
        jk_report_error (report, "E_NIK_MONTH", field,
                         "%s month of birth must be 01-12, got %02d", field,
                         nik.month);
        return JK_INVALID;
    }
    /* Two-digit year: the date must exist in 19yy or 20yy. */
    if (!jk_date_valid (1900 + nik.year, nik.month, nik.day) &&
        !jk_date_valid (2000 + nik.year, nik.month, nik.day)) {
        jk_report_error (report, "E_NIK_DATE", field,
                         "%s birth date %02d-%02d-%02d is not a real date",
                         field, nik.day, nik.month, nik.year);
        return JK_INVALID;
    }
    if (nik.serial == 0) {
        jk_report_error (report, "E_NIK_SERIAL", field,
                         "%s serial (last 4 digits) must not be 0000", field);
        return JK_INVALID;
    }
    if (out)
        *out = nik;
    return 0;
}

void jk_nik_mask (const char *nik, size_t len, char out[17])
{
    if (len != 16) {
        snprintf (out, 17, "****");
        return;
    }
    memcpy (out, nik, 4);
    memset (out + 4, '*', 8);
    memcpy (out + 12, nik + 12, 4);
    out[16] = 0;
}

/* ---- legal numbers --------------------------------------------------------
 */

const char *jk_legal_class_name (jk_legal_class_t cls)
{
    switch (cls) {
        case JK_LEGAL_AHU:
            return "AHU";
        case JK_LEGAL_LEGACY_BH:
            return "LEGACY_BH";
        default:
            return "UNKNOWN";
    }
}

/* AHU-\d{6,7}.AH.01.26 with an optional ".TAHUN yyyy". */
static bool s_is_ahu (const char *s)
{
    if (strncmp (s, "AHU-", 4) != 0)
        return false;
    s += 4;
    int digits = 0;
    while (isdigit ((unsigned char)*s)) {
        s++;
        digits++;
    }
    if (digits < 6 || digits > 7 || strncmp (s, ".AH.01.26", 9) != 0)
        return false;
    s += 9;
    if (!*s)
        return true;
    if (strncmp (s, ".TAHUN ", 7) != 0)
        return false;
    s += 7;
    for (int i = 0; i < 4; i++)
        if (!isdigit ((unsigned char)s[i]))
            return false;
    return s[4] == 0;
}

jk_legal_class_t jk_legal_number_normalise (const char *text, size_t len,
                                            char *out, size_t size)
{
    size_t n = 0;
    bool space = false;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isspace (c)) {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < size)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)toupper (c);
    }
    out[n] = 0;
    if (s_is_ahu (out))
        return JK_LEGAL_AHU;
    if (strstr (out, "/BH/"))
        return JK_LEGAL_LEGACY_BH;
    return JK_LEGAL_UNKNOWN;
}

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

static int s_check_format (const jk_event_t *ev, const jk_field_t *f,
                           const jk_value_t *v, const jk_context_t *ctx,
                           const char *path, jk_report_t *report)
{
    jk_str_t s = v->s;
    switch (f->format) {
        case JK_FORMAT_NONE:
            return 0;
        case JK_FORMAT_NIK: {
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
                jk_report_warn (report, "W_NIK_SEX", path,
                                "%s says %s but body.sex is %.*s", path,
                                nik.female ? "P (day + 40)" : "L",
                                (int)sex->s.len, sex->s.ptr);
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
        case JK_FORMAT_DESA_REGION:
        case JK_FORMAT_DESA_ANY: {
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
        case JK_FORMAT_LEGAL_NUMBER: {
            char norm[128];
            jk_legal_class_t cls =
                jk_legal_number_normalise (s.ptr, s.len, norm, sizeof norm);
            if (!norm[0]) {
                jk_report_error (report, "E_FIELD_LENGTH", path,
                                 "%s must not be blank", path);
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
            if (s.len != 13 || !s_all_digits (s)) {
                jk_report_error (report, "E_FIELD_FORMAT", path,
                                 "%s must be 13 digits", path);
                return -1;
            }
            {
                /* The hub's area without dots: 3203 (Cianjur), 32 for a
                   province hub. */
                const char *area =
                    ctx->region ? jk_region_regency (ctx->region) : "32.03";
                char prefix[8];
                size_t n = 0;
                for (const char *c = area; *c && n < sizeof prefix - 1; c++)
                    if (*c != '.')
                        prefix[n++] = *c;
                prefix[n] = 0;
                if (memcmp (s.ptr, prefix, n) != 0)
                    jk_report_warn (report, "W_NIK_KOPERASI_PREFIX", path,
                                    "%s does not start with %s (%s)", path,
                                    prefix,
                                    strcmp (prefix, "3203") ? area : "Cianjur");
            }
            return 0;
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

static int s_text_length (const char *path, jk_str_t s, int64_t lo, int64_t hi,
                          jk_report_t *report)
{
    int64_t chars = jk_utf8_length (s.ptr, s.len);
    if (chars < 0) {
        jk_report_error (report, "E_FIELD_FORMAT", path,
                         "%s is not valid UTF-8", path);
        return -1;
    }
    if (chars < lo || chars > hi) {
        jk_report_error (report, "E_FIELD_LENGTH", path,
                         "%s must be %lld..%lld characters, got %lld", path,
                         (long long)lo, (long long)hi, (long long)chars);
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
            for (uint32_t k = 0; k < v->count; k++) {
                int e = s_enum_find (f->values, v->items[k]);
                bool twice = false;
                for (uint32_t j = 0; j < k; j++)
                    twice |= jk_str_same (v->items[j], v->items[k]);
                if (e < 0 || twice) {
                    jk_report_error (
                        report, "E_FIELD_ENUM", path,
                        "%s items must be distinct values of "
                        "%s, got '%.*s'%s",
                        path, f->name,
                        (int)(v->items[k].len > 40 ? 40 : v->items[k].len),
                        v->items[k].ptr, twice ? " twice" : "");
                    return -1;
                }
            }
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
            for (uint32_t k = 0;
                 k < (f->kind == JK_KIND_UNITS ? 2 * v->count : v->count); k++)
                if (s_text_length (path, v->items[k], 1, 200, report))
                    return -1;
            break;
        default:
            break;
    }
    return s_check_format (ev, f, v, ctx, path, report);
}

/* ---- envelope --------------------------------------------------------------
 */

static bool s_device_char (char c)
{
    return isalnum ((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

void jk_source_office (const char *source, size_t len, char *out, size_t size)
{
    const char *slash = memchr (source, '/', len);
    size_t n = slash ? (size_t)(slash - source) : len;
    snprintf (out, size, "%.*s", (int)n, source);
}

int jk_source_check (const jk_region_t *region, const char *source, size_t len,
                     jk_report_t *report)
{
    const char *slash = memchr (source, '/', len);
    if (!slash) {
        jk_report_error (report, "E_ENVELOPE_SOURCE", "source",
                         "source must be OFFICE/DEVICE, e.g. "
                         "32.03.10/pacet-1");
        return JK_INVALID;
    }
    size_t office = (size_t)(slash - source);
    size_t device = len - office - 1;
    char code[16];
    size_t code_len = office < 15 ? office : 15;
    memcpy (code, source, code_len);
    code[code_len] = '\0';
    bool known = (office == 5 && memcmp (source, "DINAS", 5) == 0) ||
                 (office == 8 && region && jk_region_kecamatan (region, code));
    if (!known) {
        jk_report_error (report, "E_ENVELOPE_SOURCE", "source",
                         "source office '%.*s' must be a kecamatan code of "
                         "the reference data or DINAS",
                         (int)(office < 20 ? office : 20), source);
        return JK_INVALID;
    }
    if (device < 1 || device > 32) {
        jk_report_error (report, "E_ENVELOPE_SOURCE", "source",
                         "source device name must be 1..32 characters");
        return JK_INVALID;
    }
    for (size_t i = 0; i < device; i++)
        if (!s_device_char (slash[1 + i])) {
            jk_report_error (report, "E_ENVELOPE_SOURCE", "source",
                             "source device name may hold only letters, "
                             "digits and . _ -");
            return JK_INVALID;
        }
    return 0;
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

/* ---- cross-field rules ------------------------------------------------------
 */

static const jk_value_t *s_get (const jk_event_t *ev, const char *name)
{
    const jk_value_t *v = jk_event_get (ev, name);
    return v && v->present ? v : NULL;
}

static void s_not_future (const jk_event_t *ev, const char *name,
                          const jk_context_t *ctx, jk_report_t *report)
{
    const jk_value_t *v = s_get (ev, name);
    int32_t today = jk_wib_day (ctx->now_ms);
    if (v && v->n > today) {
        char t[11], path[64];
        jk_date_format (today, t);
        snprintf (path, sizeof path, "body.%s", name);
        jk_report_error (report, "E_FIELD_RANGE", path,
                         "%s %.*s is in the future (today is %s)", path,
                         (int)v->s.len, v->s.ptr, t);
    }
}

void jk_check_cooperative_registered (const jk_event_t *ev,
                                      const jk_context_t *ctx,
                                      jk_report_t *report)
{
    s_not_future (ev, "legal_date", ctx, report);
}

void jk_check_any_optional (const jk_event_t *ev, const jk_context_t *ctx,
                            jk_report_t *report)
{
    (void)ctx;
    size_t given = 0;
    for (size_t i = 0; i < ev->type->field_count; i++)
        if (!ev->type->fields[i].required && ev->body[i].present)
            given++;
    if (given == 0)
        jk_report_error (report, "E_FIELD_RULE", "body",
                         "body of %s must change at least one field",
                         ev->type->name);
}

void jk_check_rat_held (const jk_event_t *ev, const jk_context_t *ctx,
                        jk_report_t *report)
{
    const jk_value_t *year = s_get (ev, "book_year");
    const jk_value_t *held = s_get (ev, "held_on");
    int y, m, d;
    jk_civil_from_days (jk_wib_day (ctx->now_ms), &y, &m, &d);
    if (year->n > y) {
        jk_report_error (report, "E_FIELD_RANGE", "body.book_year",
                         "body.book_year must be 1990..%d, got %lld", y,
                         (long long)year->n);
        return;
    }
    if (held->n <= jk_days_from_civil ((int)year->n, 12, 31)) {
        jk_report_error (report, "E_FIELD_RULE", "body.held_on",
                         "body.held_on %.*s must be after 31 December %lld "
                         "(the end of the book year)",
                         (int)held->s.len, held->s.ptr, (long long)year->n);
        return;
    }
    s_not_future (ev, "held_on", ctx, report);
}

void jk_check_status_declared (const jk_event_t *ev, const jk_context_t *ctx,
                               jk_report_t *report)
{
    (void)ctx;
    const jk_value_t *status = s_get (ev, "status");
    if ((jk_str_eq (status->s, "DIBEKUKAN") ||
         jk_str_eq (status->s, "DIBUBARKAN")) &&
        !s_get (ev, "basis"))
        jk_report_error (report, "E_FIELD_MISSING", "body.basis",
                         "body.basis (the decree number) is required when "
                         "status is %.*s",
                         (int)status->s.len, status->s.ptr);
}

static void s_check_person_fields (const jk_event_t *ev,
                                   const jk_context_t *ctx, jk_report_t *report)
{
    if (s_get (ev, "role") && !s_get (ev, "cooperative"))
        jk_report_error (report, "E_FIELD_RULE", "body.role",
                         "body.role is given only with body.cooperative");
    s_not_future (ev, "birth_date", ctx, report);
}

void jk_check_person (const jk_event_t *ev, const jk_context_t *ctx,
                      jk_report_t *report)
{
    s_check_person_fields (ev, ctx, report);
    if (s_get (ev, "cooperative") && !s_get (ev, "role"))
        jk_report_error (report, "E_FIELD_MISSING", "body.role",
                         "body.role is required with body.cooperative");
}

void jk_check_person_corrected (const jk_event_t *ev, const jk_context_t *ctx,
                                jk_report_t *report)
{
    size_t given = 0;
    for (size_t i = 0; i < ev->type->field_count; i++)
        if (!ev->type->fields[i].required && ev->body[i].present)
            given++;
    if (given == 0) {
        jk_report_error (report, "E_FIELD_RULE", "body",
                         "body of person.corrected must correct at least one "
                         "field besides nik and reason");
        return;
    }
    s_check_person_fields (ev, ctx, report);
}

void jk_check_batch (const jk_event_t *ev, const jk_context_t *ctx,
                     jk_report_t *report)
{
    (void)ctx;
    const jk_value_t *start = s_get (ev, "start_date");
    const jk_value_t *end = s_get (ev, "end_date");
    if (end->n < start->n)
        jk_report_error (report, "E_FIELD_RULE", "body.end_date",
                         "body.end_date %.*s must not be before "
                         "body.start_date %.*s",
                         (int)end->s.len, end->s.ptr, (int)start->s.len,
                         start->s.ptr);
    else if (end->n - start->n > 13)
        jk_report_error (report, "E_FIELD_RULE", "body.end_date",
                         "a batch lasts at most 14 days: body.end_date %.*s "
                         "is %lld days after body.start_date",
                         (int)end->s.len, end->s.ptr,
                         (long long)(end->n - start->n));
}

void jk_check_session (const jk_event_t *ev, const jk_context_t *ctx,
                       jk_report_t *report)
{
    (void)ctx;
    const jk_value_t *starts = s_get (ev, "starts");
    const jk_value_t *ends = s_get (ev, "ends");
    if (ends->n <= starts->n)
        jk_report_error (report, "E_FIELD_RULE", "body.ends",
                         "body.ends %.*s must be after body.starts %.*s",
                         (int)ends->s.len, ends->s.ptr, (int)starts->s.len,
                         starts->s.ptr);
}

/* attendance.recorded and attendance.corrected share these rules. */
void jk_check_attendance (const jk_event_t *ev, const jk_context_t *ctx,
                          jk_report_t *report)
{
    (void)ctx;
    const jk_value_t *status = s_get (ev, "status");
    const jk_value_t *in = s_get (ev, "check_in");
    const jk_value_t *out = s_get (ev, "check_out");
    bool present = status && status->n <= 1; /* HADIR, TERLAMBAT */
    if (present && !in)
        jk_report_error (report, "E_FIELD_MISSING", "body.check_in",
                         "body.check_in is required when status is %.*s",
                         (int)status->s.len, status->s.ptr);
    else if (out && !in)
        jk_report_error (report, "E_FIELD_RULE", "body.check_out",
                         "body.check_out is given only with body.check_in");
    else if (in && out && out->n < in->n)
        jk_report_error (report, "E_FIELD_RULE", "body.check_out",
                         "body.check_out %.*s must not be before "
                         "body.check_in %.*s",
                         (int)out->s.len, out->s.ptr, (int)in->s.len,
                         in->s.ptr);
}

void jk_check_assessment (const jk_event_t *ev, const jk_context_t *ctx,
                          jk_report_t *report)
{
    (void)ctx;
    const jk_value_t *units = s_get (ev, "units");
    for (uint32_t i = 0; i < units->count; i++)
        for (uint32_t k = i + 1; k < units->count; k++)
            if (jk_str_same (units->items[2 * i], units->items[2 * k])) {
                jk_report_error (report, "E_FIELD_RULE", "body.units",
                                 "body.units lists unit %.*s twice",
                                 (int)units->items[2 * i].len,
                                 units->items[2 * i].ptr);
                return;
            }
}

void jk_check_certificate (const jk_event_t *ev, const jk_context_t *ctx,
                           jk_report_t *report)
{
    (void)ctx;
    const jk_value_t *issued = s_get (ev, "issued_on");
    const jk_value_t *until = s_get (ev, "valid_until");
    if (!until)
        return;
    int y, m, d;
    jk_civil_from_days ((int32_t)issued->n, &y, &m, &d);
    /* 29 February + N years falls back to 28 February. */
    int d1 = jk_date_valid (y + 1, m, d) ? d : 28;
    int d5 = jk_date_valid (y + 5, m, d) ? d : 28;
    if (until->n < jk_days_from_civil (y + 1, m, d1) ||
        until->n > jk_days_from_civil (y + 5, m, d5))
        jk_report_error (report, "E_FIELD_RANGE", "body.valid_until",
                         "body.valid_until %.*s must be 1 to 5 years after "
                         "body.issued_on %.*s",
                         (int)until->s.len, until->s.ptr, (int)issued->s.len,
                         issued->s.ptr);
}
