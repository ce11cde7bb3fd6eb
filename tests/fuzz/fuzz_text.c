/*  fuzz_text.c - libFuzzer target for the small text parsers of values
    people type or files hold: the first byte picks the parser, the rest
    is its text (up to the first NUL where the parser takes a C string).
    A value either parses into what its documented form says, which
    formats back to the same text where there is one form, or is refused,
    with a message when the parser gives one:
      0 jk_date_parse_iso        1 jk_time_parse_hhmm
      2 jk_date_parse_day(_why)  3 jk_uuid_parse
      4 jk_hex_parse             5 jk_parse_u64
      6 jk_log_level_parse       7 jk_domain_parse
      8 jk_rat_deadline_months_parse
      9 jk_web_parse_listen (--http)
     10 jk_agent_parse_wait (--wait)
     11 jk_replay_head_parse (--head)
     12 jk_replay_parse_time (--until-time)
     13 jk_nik_parse             14 jk_note_vkey_parse
     15 jk_note_log_vkey_check (--log-key) */
#include "check.h"
#include "agent_internal.h"
#include "jk_active.h"
#include "jk_base.h"
#include "jk_note.h"
#include "jk_opts.h"
#include "jk_replay.h"
#include "jk_schema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool s_all_digits (const char *text)
{
    if (!*text)
        return false;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* An error buffer a refusal must fill: not empty, NUL-terminated. */
static void s_named (const char *err, size_t size)
{
    S_CHECK (err[0] && memchr (err, 0, size));
}

static void s_dates (const char *text, size_t len, int which)
{
    int32_t days = 0;
    char back[32]; /* 10 for a date; room for any two ints of "%02d:%02d" */
    if (which == 0) {
        if (jk_date_parse_iso (text, len, &days) == JK_OK) {
            jk_date_format (days, back);
            S_CHECK (len == 10 && memcmp (back, text, 10) == 0);
        }
        return;
    }
    if (which == 1) {
        int32_t minutes = -1;
        if (jk_time_parse_hhmm (text, len, &minutes) == JK_OK) {
            S_CHECK (minutes >= 0 && minutes < 24 * 60);
            snprintf (back, sizeof back, "%02d:%02d", minutes / 60,
                      minutes % 60);
            S_CHECK (len == 5 && memcmp (back, text, 5) == 0);
        }
        return;
    }
    bool unreal = true;
    int rc = jk_date_parse_day_why (text, &days, &unreal);
    int32_t again = 0;
    S_CHECK (jk_date_parse_day (text, &again) == rc);
    if (rc != JK_OK)
        return;
    S_CHECK (!unreal && again == days);
    /* A day of the years 1 to 9999, whose ISO form parses to it again. */
    int y, m, d;
    jk_civil_from_days (days, &y, &m, &d);
    S_CHECK (jk_date_valid (y, m, d));
    jk_date_format (days, back);
    S_CHECK (jk_date_parse_day (back, &again) == JK_OK && again == days);
}

static void s_ids (const char *text, int which)
{
    if (which == 3) {
        uint8_t id[16];
        char back[37];
        if (jk_uuid_parse (text, id) != JK_OK)
            return;
        jk_uuid_format (id, back);
        for (int i = 0; i < 36; i++)
            S_CHECK (back[i] == tolower ((unsigned char)text[i]));
        S_CHECK (text[36] == 0);
        return;
    }
    size_t n = strlen (text) / 2;
    if (n > 64)
        return;
    uint8_t bytes[64];
    char back[129];
    if (jk_hex_parse (text, bytes, n) != JK_OK)
        return;
    jk_hex_format (bytes, n, back);
    for (size_t i = 0; i < 2 * n; i++)
        S_CHECK (back[i] == tolower ((unsigned char)text[i]));
    S_CHECK (text[2 * n] == 0);
}

static void s_numbers (const char *text, int which)
{
    if (which == 5) {
        uint64_t v = 0;
        if (jk_parse_u64 (text, &v) != JK_OK)
            return;
        S_CHECK (s_all_digits (text));
        const char *digits = text;
        while (digits[0] == '0' && digits[1])
            digits++;
        char back[24];
        snprintf (back, sizeof back, "%llu", (unsigned long long)v);
        S_CHECK (strcmp (back, digits) == 0);
        return;
    }
    if (which == 6) {
        jk_log_level_t level = JK_LOG_INFO;
        if (jk_log_level_parse (text, &level))
            S_CHECK (level >= JK_LOG_NONE && level <= JK_LOG_DEBUG);
        return;
    }
    if (which == 7) {
        jk_domain_t domain = jk_domain_parse (text);
        S_CHECK (domain == 0 || strcmp (jk_domain_name (domain), text) == 0);
        return;
    }
    int months = 0;
    if (jk_rat_deadline_months_parse (text, &months) == 0)
        S_CHECK (s_all_digits (text) && months >= 1 &&
                 months <= JK_RAT_DEADLINE_MONTHS_MAX);
}

static void s_flags (const char *text, int which)
{
    char err[512] = "";
    if (which == 9) {
        char address[64];
        uint16_t port = 0;
        if (jk_web_parse_listen (text, address, sizeof address, &port, err,
                                 sizeof err) != JK_OK) {
            s_named (err, sizeof err);
            S_CHECK (strstr (err, "--http") != NULL);
            return;
        }
        /* ADDR:PORT or PORT: the port is the digits after the last ':'. */
        const char *colon = strrchr (text, ':');
        const char *digits = colon ? colon + 1 : text;
        S_CHECK (s_all_digits (digits) && strtoul (digits, NULL, 10) == port);
        struct in_addr in;
        S_CHECK (inet_pton (AF_INET, address, &in) == 1);
        return;
    }
    if (which == 10) {
        int64_t ms = -1;
        if (jk_agent_parse_wait (text, &ms) == 0)
            S_CHECK (ms >= 0 && ms <= 86400LL * 365 * 1000);
        return;
    }
    if (which == 11) {
        jk_replay_head_t head, again;
        if (jk_replay_head_parse (text, &head, err, sizeof err) != 0) {
            s_named (err, sizeof err);
            S_CHECK (strncmp (err, "head: ", 6) == 0);
            return;
        }
        char line[256];
        jk_replay_head_format (&head, NULL, line, sizeof line);
        S_CHECK (jk_replay_head_parse (line, &again, err, sizeof err) == 0);
        S_CHECK (again.pos == head.pos &&
                 memcmp (again.hash, head.hash, 32) == 0);
        return;
    }
    int64_t ms = 0;
    (void)jk_replay_parse_time (text, &ms);
}

static void s_keys (const char *text, size_t len, int which)
{
    char err[512] = "";
    if (which == 13) {
        jk_report_t report;
        jk_report_reset (&report);
        jk_nik_t nik;
        if (jk_nik_parse (text, len, &nik, "nik", &report) == JK_OK) {
            S_CHECK (!report.failed && len == 16);
            S_CHECK (nik.day >= 1 && nik.day <= 31 && nik.month >= 1 &&
                     nik.month <= 12 && nik.serial > 0);
        } else
            S_CHECK (report.failed &&
                     strncmp (report.error.code, "E_NIK_", 6) == 0 &&
                     strncmp (report.error.message, "nik ", 4) == 0);
        return;
    }
    if (which == 15) {
        if (jk_note_log_vkey_check (text, err, sizeof err) != JK_OK)
            s_named (err, sizeof err);
        return;
    }
    char name[JK_NOTE_NAME_MAX];
    int type = 0;
    uint8_t pub[32];
    if (jk_note_vkey_parse (text, name, &type, pub, err, sizeof err) != JK_OK) {
        s_named (err, sizeof err);
        return;
    }
    S_CHECK (type == JK_NOTE_TYPE_ED25519 || type == JK_NOTE_TYPE_COSIG);
    char back[512];
    jk_note_vkey_format (name, type, pub, back, sizeof back);
    /* The base64 may differ in its padding bits: the same key again. */
    char name2[JK_NOTE_NAME_MAX];
    int type2 = 0;
    uint8_t pub2[32];
    S_CHECK (jk_note_vkey_parse (back, name2, &type2, pub2, err, sizeof err) ==
             JK_OK);
    S_CHECK (strcmp (name, name2) == 0 && type == type2 &&
             memcmp (pub, pub2, 32) == 0);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    int which = data[0] % 16;
    size_t len = size - 1;
    char *text = malloc (len + 1);
    memcpy (text, data + 1, len);
    text[len] = 0;
    if (which <= 2)
        s_dates (text, which == 2 ? strlen (text) : len, which);
    else if (which <= 4)
        s_ids (text, which);
    else if (which <= 8)
        s_numbers (text, which);
    else if (which <= 12)
        s_flags (text, which);
    else
        s_keys (text, len, which);
    free (text);
    return 0;
}
