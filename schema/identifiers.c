/*  identifiers.c - the identifiers events carry, each with its rule:
    NIK (masked for display), cooperative legal numbers (by class,
    normalised) and the submitting source OFFICE/DEVICE. */
#include "schema_internal.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- NIK ---------------------------------------------------------------- */

int jk_nik_parse (const char *text, size_t len, jk_nik_t *out,
                  const char *field, jk_report_t *report)
{
    /* Characters, as people count them, not bytes: a NIK ending in the
       Arabic-Indic digit U+0663 (2 bytes) is 16 characters, the last of
       them not one of the digits 0-9. */
    int64_t chars = jk_utf8_length (text, len);
    if (chars < 0) {
        jk_report_error (report, "E_NIK_FORMAT", field,
                         "%s must be 16 digits, got text that is not UTF-8",
                         field);
        return JK_INVALID;
    }
    if (chars != 16) {
        jk_report_error (report, "E_NIK_FORMAT", field,
                         "%s must be 16 digits, got %lld characters", field,
                         (long long)chars);
        return JK_INVALID;
    }
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9') {
            jk_report_error (report, "E_NIK_FORMAT", field,
                             "%s must be 16 digits, found '%.*s'", field,
                             (int)jk_utf8_sequence (text + i, len - i),
                             text + i);
            return JK_INVALID;
        }
    int v[8] = {0};
    static const int widths[] = {2, 2, 2, 2, 2, 2, 4};
    const char *p = text;
    for (int part = 0; part < 7; part++)
        for (int k = 0; k < widths[part]; k++, p++)
            v[part] = v[part] * 10 + (*p - '0');
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
        /* isspace and toupper of the C locale (the programs never set
           another), without a call per byte: the decision model
           normalises a legal number on every event that names one. */
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < size)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)(c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c);
    }
    out[n] = 0;
    if (s_is_ahu (out))
        return JK_LEGAL_AHU;
    if (strstr (out, "/BH/"))
        return JK_LEGAL_LEGACY_BH;
    return JK_LEGAL_UNKNOWN;
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

char *jk_source_file_name (const char *source)
{
    char *name = jk_strdup (source);
    for (char *p = name; *p; p++)
        if (*p == '/')
            *p = '_';
    return name;
}
