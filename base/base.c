/*  base.c - status strings, allocation wrappers, logging, clock, calendar,
    UUIDv7 and string helpers. Called by every other part of Jejak. */
#include "jk_base.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

const char *jk_strerror (int status)
{
    switch (status) {
        case JK_OK:
            return "ok";
        case JK_INVALID:
            return "invalid input";
        case JK_TEMPORARY:
            return "temporary failure, retry later";
        case JK_CLOSED:
            return "closed";
        case JK_NOT_FOUND:
            return "not found";
        case JK_IO:
            return "input/output error";
        case JK_CONFLICT:
            return "conflict with existing data";
        default:
            return "unknown status";
    }
}

static void s_out_of_memory (size_t size)
{
    fprintf (stderr, "jejak: out of memory allocating %zu bytes\n", size);
    abort ();
}

void *jk_malloc (size_t size)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        s_out_of_memory (size);
    return p;
}

void *jk_calloc (size_t count, size_t size)
{
    void *p = calloc (count ? count : 1, size ? size : 1);
    if (!p)
        s_out_of_memory (count * size);
    return p;
}

void *jk_realloc (void *ptr, size_t size)
{
    void *p = realloc (ptr, size ? size : 1);
    if (!p)
        s_out_of_memory (size);
    return p;
}

char *jk_strdup (const char *text)
{
    return jk_strndup (text, strlen (text));
}

char *jk_strndup (const char *text, size_t size)
{
    char *p = jk_malloc (size + 1);
    memcpy (p, text, size);
    p[size] = 0;
    return p;
}

char *jk_sprintf (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int size = vsnprintf (NULL, 0, format, args);
    va_end (args);
    char *out = jk_malloc ((size_t)size + 1);
    va_start (args, format);
    vsnprintf (out, (size_t)size + 1, format, args);
    va_end (args);
    return out;
}

/* ---- logging ---------------------------------------------------------- */

static int s_log_level = -2; /* -2: not read yet */

bool jk_log_level_parse (const char *name, jk_log_level_t *level)
{
    static const char *const names[] = {"none", "error", "warn", "info",
                                        "debug"};
    for (int i = 0; i < 5; i++)
        if (name && strcmp (name, names[i]) == 0) {
            *level = (jk_log_level_t)(i - 1);
            return true;
        }
    return false;
}

static void s_log_init (void)
{
    jk_log_level_t level = JK_LOG_INFO;
    (void)jk_log_level_parse (getenv ("JEJAK_LOG"), &level);
    s_log_level = (int)level;
}

static char s_program[64] = "jejak";

void jk_program_set (const char *name)
{
    snprintf (s_program, sizeof s_program, "%s", name ? name : "jejak");
}

const char *jk_program (void)
{
    return s_program;
}

void jk_log_set_level (jk_log_level_t level)
{
    s_log_level = (int)level;
}

jk_log_level_t jk_log_level (void)
{
    if (s_log_level < JK_LOG_NONE)
        s_log_init ();
    return (jk_log_level_t)s_log_level;
}

void jk_log (jk_log_level_t level, const char *component, const char *format,
             ...)
{
    if ((int)level > (int)jk_log_level ())
        return;
    static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r (&ts.tv_sec, &tm);
    char line[2048];
    int n = snprintf (
        line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s ",
        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
        tm.tm_sec, ts.tv_nsec / 1000000, names[level], component);
    va_list args;
    va_start (args, format);
    vsnprintf (line + n, sizeof line - (size_t)n, format, args);
    va_end (args);
    /* One write per record so lines from threads do not interleave. */
    fprintf (stderr, "%s\n", line);
}

/* ---- clock ------------------------------------------------------------ */

static int64_t s_pinned_ms = -1;

int64_t jk_clock_now_ms (void)
{
    if (s_pinned_ms < 0) {
        const char *env = getenv ("JEJAK_CLOCK_MS");
        s_pinned_ms = env ? strtoll (env, NULL, 10) : 0;
    }
    if (s_pinned_ms > 0)
        return s_pinned_ms;
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void jk_clock_set (int64_t now_ms)
{
    s_pinned_ms = now_ms;
}

int64_t jk_clock_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- calendar ---------------------------------------------------------
   Howard Hinnant's days-from-civil algorithm. */

int32_t jk_days_from_civil (int year, int month, int day)
{
    year -= month <= 2;
    const int era = (year >= 0 ? year : year - 399) / 400;
    const unsigned yoe = (unsigned)(year - era * 400);
    const unsigned doy =
        (153u * (unsigned)(month + (month > 2 ? -3 : 9)) + 2) / 5 +
        (unsigned)day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

void jk_civil_from_days (int32_t days, int *year, int *month, int *day)
{
    days += 719468;
    const int era = (days >= 0 ? days : days - 146096) / 146097;
    const unsigned doe = (unsigned)(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int y = (int)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *year = y + (m <= 2);
    *month = (int)m;
    *day = (int)d;
}

bool jk_date_valid (int year, int month, int day)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
        return false;
    int max = mdays[month - 1];
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && leap)
        max = 29;
    return day <= max;
}

int32_t jk_wib_day (int64_t utc_ms)
{
    int64_t ms = utc_ms + JK_WIB_OFFSET_MS;
    int64_t days = ms / 86400000;
    if (ms < 0 && ms % 86400000)
        days--;
    return (int32_t)days;
}

void jk_date_format (int32_t days, char out[11])
{
    int y, m, d;
    jk_civil_from_days (days, &y, &m, &d);
    y = y < 0 ? 0 : y % 10000;
    /* "%04d-%02d-%02d" without snprintf's cost: projections format one
       for every RAT and certificate they apply. */
    int parts[3][2] = {{y, 4}, {m % 100, 2}, {d % 100, 2}};
    char *p = out;
    for (int i = 0; i < 3; i++) {
        for (int k = parts[i][1] - 1; k >= 0; k--, parts[i][0] /= 10)
            p[k] = (char)('0' + parts[i][0] % 10);
        p += parts[i][1];
        *p++ = i < 2 ? '-' : 0;
    }
}

/* n decimal digits at p into *out; -1 when one is not a digit. */
static int s_digits (const char *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

int jk_date_parse_iso (const char *text, size_t len, int32_t *days)
{
    int y, m, d;
    if (len != 10 || text[4] != '-' || text[7] != '-' ||
        s_digits (text, 4, &y) || s_digits (text + 5, 2, &m) ||
        s_digits (text + 8, 2, &d) || !jk_date_valid (y, m, d))
        return JK_INVALID;
    *days = jk_days_from_civil (y, m, d);
    return 0;
}

int jk_time_parse_hhmm (const char *text, size_t len, int32_t *minutes)
{
    int h, m;
    if (len != 5 || text[2] != ':' || s_digits (text, 2, &h) ||
        s_digits (text + 3, 2, &m) || h > 23 || m > 59)
        return JK_INVALID;
    *minutes = h * 60 + m;
    return 0;
}

/* Accepts what operators type: ISO "2022-10-05", "05/10/2022",
   "5/10/2022", "5-10-2022", "5.10.2022" (day first, as Indonesian
   spreadsheets write). */
int jk_date_parse_day (const char *text, int32_t *days)
{
    return jk_date_parse_day_why (text, days, NULL);
}

int jk_date_parse_day_why (const char *text, int32_t *days, bool *unreal)
{
    if (unreal)
        *unreal = false;
    size_t len = strlen (text);
    int d, m, y;
    if (len == 10 && text[4] == '-' && text[7] == '-' &&
        s_digits (text, 4, &y) == 0 && s_digits (text + 5, 2, &m) == 0 &&
        s_digits (text + 8, 2, &d) == 0) {
        if (y < 1)
            return JK_INVALID;
    } else {
        char s1, s2;
        int used = 0;
        if (sscanf (text, "%2d%c%2d%c%4d%n", &d, &s1, &m, &s2, &y, &used) !=
                5 ||
            (size_t)used != len || s1 != s2 ||
            (s1 != '/' && s1 != '-' && s1 != '.') || y < 1000)
            return JK_INVALID;
        for (size_t i = 0; i < len; i++)
            if (!isdigit ((unsigned char)text[i]) && text[i] != s1)
                return JK_INVALID;
    }
    if (!jk_date_valid (y, m, d)) {
        if (unreal)
            *unreal = true;
        return JK_INVALID;
    }
    *days = jk_days_from_civil (y, m, d);
    return 0;
}

void jk_time_format_wib (int64_t utc_ms, char out[26])
{
    int64_t ms = utc_ms + JK_WIB_OFFSET_MS;
    int32_t days = jk_wib_day (utc_ms);
    int64_t in_day = ms - (int64_t)days * 86400000;
    int y, m, d;
    jk_civil_from_days (days, &y, &m, &d);
    int secs = (int)(in_day / 1000);
    y = y < 0 ? 0 : y % 10000;
    char buf[64];
    snprintf (buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", y,
              m % 100, d % 100, secs / 3600 % 100, secs / 60 % 60, secs % 60);
    memcpy (out, buf, 25);
    out[25] = 0;
}

/* ---- ids -------------------------------------------------------------- */

static void s_random (void *out, size_t size)
{
    uint8_t *p = out;
    while (size > 0) {
        ssize_t n = getrandom (p, size, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf (stderr, "jejak: getrandom failed: %s\n", strerror (errno));
            abort ();
        }
        p += n;
        size -= (size_t)n;
    }
}

/* UUIDv7 with RFC 9562 method 1: the 12 bits after the version hold a
   counter seeded randomly each millisecond and incremented within it, so
   ids from one process sort in creation order. */
void jk_uuid_v7 (uint8_t out[16])
{
    static int64_t last_ms = -1;
    static uint16_t counter;
    int64_t ms = jk_clock_now_ms ();
    s_random (out, 16);
    if (ms <= last_ms) {
        ms = last_ms;
        counter++;
        if (counter > 0x0fff) {
            /* Counter exhausted: borrow the next millisecond. */
            ms = ++last_ms;
            counter = out[6] & 0x07;
        }
    } else {
        counter = (uint16_t)(((out[6] << 8) | out[7]) & 0x07ff);
        last_ms = ms;
    }
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(ms >> (8 * (5 - i)));
    out[6] = (uint8_t)(0x70 | ((counter >> 8) & 0x0f));
    out[7] = (uint8_t)(counter & 0xff);
    out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}

void jk_hex_format (const uint8_t *data, size_t size, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * size] = 0;
}

static int s_hex_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int jk_hex_parse (const char *text, uint8_t *out, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (!text[2 * i] || !text[2 * i + 1])
            return JK_INVALID;
        int hi = s_hex_value (text[2 * i]);
        int lo = s_hex_value (text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return JK_INVALID;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return text[2 * size] ? JK_INVALID : JK_OK;
}

void jk_uuid_format (const uint8_t id[16], char out[37])
{
    char hex[33];
    jk_hex_format (id, 16, hex);
    snprintf (out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
              hex + 16, hex + 20);
}

int jk_uuid_parse (const char *text, uint8_t out[16])
{
    if (strlen (text) != 36 || text[8] != '-' || text[13] != '-' ||
        text[18] != '-' || text[23] != '-')
        return JK_INVALID;
    char hex[33];
    int n = 0;
    for (int i = 0; i < 36; i++)
        if (text[i] != '-')
            hex[n++] = text[i];
    hex[32] = 0;
    return n == 32 ? jk_hex_parse (hex, out, 16) : JK_INVALID;
}

/* ---- strings ---------------------------------------------------------- */

jk_str_t jk_str_of (const char *text)
{
    return (jk_str_t){text, text ? (uint32_t)strlen (text) : 0};
}

bool jk_str_eq (jk_str_t a, const char *text)
{
    /* strlen (text) == a.len and the same bytes, in one pass: text may
       not end before a.len, and must end there. */
    for (uint32_t i = 0; i < a.len; i++)
        if (text[i] != a.ptr[i] || text[i] == 0)
            return false;
    return text[a.len] == 0;
}

bool jk_str_same (jk_str_t a, jk_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp (a.ptr, b.ptr, a.len) == 0);
}

bool jk_str_ieq (jk_str_t a, const char *text)
{
    size_t n = strlen (text);
    if (a.len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower ((unsigned char)a.ptr[i]) !=
            tolower ((unsigned char)text[i]))
            return false;
    return true;
}

bool jk_str_ends_ieq (const char *text, const char *end)
{
    size_t len = strlen (text), n = strlen (end);
    return len > n && jk_str_ieq ((jk_str_t){text + len - n, (uint32_t)n}, end);
}

/* Bytes of the UTF-8 character that starts with lead (1..4), or 0. */
static size_t s_utf8_width (unsigned char lead)
{
    return lead < 0x80             ? 1
           : (lead & 0xe0) == 0xc0 ? 2
           : (lead & 0xf0) == 0xe0 ? 3
           : (lead & 0xf8) == 0xf0 ? 4
                                   : 0;
}

/* Whether text[from + 1 .. len) are all UTF-8 continuation bytes. */
static bool s_continues (const char *text, size_t from, size_t len)
{
    for (size_t k = from + 1; k < len; k++)
        if (((unsigned char)text[k] & 0xc0) != 0x80)
            return false;
    return true;
}

void jk_text_clean (char *text, size_t size)
{
    if (!text || size == 0)
        return;
    size_t len = strnlen (text, size - 1);
    /* Printable ASCII throughout (the common case): already clean. */
    size_t plain = 0;
    while (plain < len && (unsigned char)text[plain] >= 0x20 &&
           (unsigned char)text[plain] != 0x7f &&
           (unsigned char)text[plain] < 0x80)
        plain++;
    if (plain == len) {
        text[len] = 0;
        return;
    }
    char *out = jk_malloc (size);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        size_t width = s_utf8_width (c);
        char piece[8];
        size_t n = 0;
        if (width == 1 && (c < 0x20 || c == 0x7f)) {
            n = (size_t)snprintf (piece, sizeof piece, "%s",
                                  c == '\n'   ? "\\n"
                                  : c == '\t' ? "\\t"
                                  : c == '\r' ? "\\r"
                                              : "");
            if (n == 0)
                n = (size_t)snprintf (piece, sizeof piece, "\\x%02x", c);
            i++;
        } else if (width > 0 && i + width <= len &&
                   jk_utf8_length (text + i, width) == 1) {
            memcpy (piece, text + i, width);
            n = width;
            i += width;
        } else if (width > 1 && i + width > len && s_continues (text, i, len)) {
            /* A character cut by a byte limit: drop its start. */
            break;
        } else {
            piece[0] = '?';
            n = 1;
            i++;
        }
        if (o + n > size - 1)
            break;
        memcpy (out + o, piece, n);
        o += n;
    }
    out[o] = 0;
    memcpy (text, out, o + 1);
    free (out);
}

char *jk_text_visible (const char *text, size_t len)
{
    char *out = jk_malloc (4 * len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        size_t n = c < 0x80 ? 1 : jk_utf8_sequence (text + i, len - i);
        /* U+0080..U+009F are c2 80..c2 9f. */
        unsigned control =
            c < 0x20 || c == 0x7f ? c
            : n == 2 && c == 0xc2 && (unsigned char)text[i + 1] < 0xa0
                ? (unsigned char)text[i + 1]
            : n == 0 ? c
                     : 0x100;
        if (control < 0x100) {
            o += (size_t)sprintf (out + o, "\\x%02x", control);
            i += n ? n : 1;
        } else {
            memcpy (out + o, text + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = 0;
    return out;
}

size_t jk_utf8_sequence (const char *ptr, size_t left)
{
    const unsigned char *p = (const unsigned char *)ptr;
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else
        return 0; /* a continuation byte, or a lead that can only be
                     overlong (c0, c1) or above U+10FFFF (f5..ff) */
    if (left < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[k] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

int64_t jk_utf8_length (const char *ptr, size_t size)
{
    int64_t count = 0;
    size_t i = 0;
    while (i < size) {
        /* Eight ASCII bytes at once: none has its high bit. */
        uint64_t w;
        if (size - i >= 8) {
            memcpy (&w, ptr + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                count += 8;
                continue;
            }
        }
        if ((unsigned char)ptr[i] < 0x80)
            i++;
        else {
            size_t n = jk_utf8_sequence (ptr + i, size - i);
            if (n == 0)
                return -1;
            i += n;
        }
        count++;
    }
    return count;
}

int jk_parse_u64 (const char *text, uint64_t *out)
{
    if (!text || !*text)
        return JK_INVALID;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return JK_INVALID;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return JK_INVALID;
        v = v * 10 + d;
    }
    *out = v;
    return JK_OK;
}
