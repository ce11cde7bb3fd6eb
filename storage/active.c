/*  active.c - the "active cooperative" rule as a setting (jk_active.h,
    docs/PROJECTIONS.md "As-of rules"): parsing, the book years it counts on
    a day, and its wording for people. */
#include "jk_active.h"
#include "jk_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jk_active_rule_default (jk_active_rule_t *rule)
{
    *rule =
        (jk_active_rule_t){.years = 1, .deadline_months = 6, .grace_days = 0};
}

static int s_number (const char *value, size_t len, long min, long max,
                     int *out)
{
    if (len == 0 || len > 4)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (value[i] < '0' || value[i] > '9')
            return -1;
        v = v * 10 + (value[i] - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int jk_active_rule_parse (const char *text, jk_active_rule_t *rule, char *err,
                          size_t err_size)
{
    jk_active_rule_t r;
    jk_active_rule_default (&r);
    const char *p = text ? text : "";
    while (*p) {
        const char *end = strchr (p, ',');
        size_t len = end ? (size_t)(end - p) : strlen (p);
        const char *eq = memchr (p, '=', len);
        if (!eq) {
            snprintf (err, err_size,
                      "active rule: '%.*s' is not KEY=VALUE (keys: years, "
                      "deadline-months, grace-days, quorum)",
                      (int)len, p);
            return -1;
        }
        size_t klen = (size_t)(eq - p);
        const char *value = eq + 1;
        size_t vlen = len - klen - 1;
#define KEY(name) (klen == strlen (name) && memcmp (p, name, klen) == 0)
        if (KEY ("years")) {
            if (s_number (value, vlen, 1, 10, &r.years)) {
                snprintf (err, err_size,
                          "active rule: years must be a whole number "
                          "1..10, not '%.*s'",
                          (int)vlen, value);
                return -1;
            }
        } else if (KEY ("deadline-months")) {
            if (s_number (value, vlen, 1, JK_RAT_DEADLINE_MONTHS_MAX,
                          &r.deadline_months)) {
                snprintf (err, err_size,
                          "active rule: deadline-months must be a whole "
                          "number 1..%d, not '%.*s'",
                          JK_RAT_DEADLINE_MONTHS_MAX, (int)vlen, value);
                return -1;
            }
        } else if (KEY ("grace-days")) {
            if (s_number (value, vlen, 0, 366, &r.grace_days)) {
                snprintf (err, err_size,
                          "active rule: grace-days must be a whole number "
                          "0..366, not '%.*s'",
                          (int)vlen, value);
                return -1;
            }
        } else if (KEY ("quorum")) {
            if (vlen == 3 && memcmp (value, "any", 3) == 0)
                r.quorum_required = false;
            else if (vlen == 8 && memcmp (value, "required", 8) == 0)
                r.quorum_required = true;
            else {
                snprintf (err, err_size,
                          "active rule: quorum must be 'any' or "
                          "'required', not '%.*s'",
                          (int)vlen, value);
                return -1;
            }
        } else {
            snprintf (err, err_size,
                      "active rule: unknown key '%.*s' (keys: years, "
                      "deadline-months, grace-days, quorum)",
                      (int)klen, p);
            return -1;
        }
#undef KEY
        p = end ? end + 1 : p + len;
    }
    *rule = r;
    return 0;
}

void jk_active_rule_spec (const jk_active_rule_t *rule, char *out, size_t size)
{
    snprintf (out, size, "years=%d,deadline-months=%d,grace-days=%d,quorum=%s",
              rule->years, rule->deadline_months, rule->grace_days,
              rule->quorum_required ? "required" : "any");
}

int32_t jk_active_deadline (const jk_active_rule_t *rule, int book_year)
{
    /* The first day of the month after the deadline's month, minus one. */
    int months = rule->deadline_months;
    int year = book_year + 1 + months / 12;
    int month = months % 12 + 1;
    return jk_days_from_civil (year, month, 1) - 1;
}

jk_active_years_t jk_active_years (const jk_active_rule_t *rule,
                                   int32_t as_of_day)
{
    int y, m, d;
    jk_civil_from_days (as_of_day, &y, &m, &d);
    jk_active_years_t years = {.to_year = y - 1, .due_year = y - 1};
    while (jk_active_deadline (rule, years.due_year) + rule->grace_days >=
           as_of_day)
        years.due_year--;
    years.from_year = years.due_year - rule->years + 1;
    return years;
}

void jk_active_rule_describe (const jk_active_rule_t *rule, int32_t as_of_day,
                              char *out, size_t size)
{
    jk_active_years_t years = jk_active_years (rule, as_of_day);
    int y, m, d, dy, dm, dd;
    jk_civil_from_days (as_of_day, &y, &m, &d);
    jk_civil_from_days (jk_active_deadline (rule, 2000), &dy, &dm, &dd);
    char span[32];
    if (years.from_year == years.to_year)
        snprintf (span, sizeof span, "%d", years.to_year);
    else
        snprintf (span, sizeof span, "%d-%d", years.from_year, years.to_year);
    snprintf (out, size,
              "aktif = RAT tahun buku %s diadakan s.d. %02d/%02d/%04d "
              "(batas RAT %02d/%02d %s + %d hari tenggang; RAT tanpa kuorum "
              "%s), status bukan TIDAK_AKTIF/DIBEKUKAN/DIBUBARKAN",
              span, d, m, y, dd, dm,
              dy == 2001 ? "tahun berikutnya" : "tahun kedua berikutnya",
              rule->grace_days,
              rule->quorum_required ? "tidak dihitung" : "dihitung");
}

void jk_active_bind (sqlite3_stmt *st, int32_t as_of_day,
                     const jk_active_rule_t *rule, char date[11])
{
    jk_active_rule_t fallback;
    if (!rule) {
        jk_active_rule_default (&fallback);
        rule = &fallback;
    }
    jk_active_years_t years = jk_active_years (rule, as_of_day);
    jk_date_format (as_of_day, date);
    int i;
    if ((i = sqlite3_bind_parameter_index (st, ":day")))
        sqlite3_bind_text (st, i, date, 10, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index (st, ":from")))
        sqlite3_bind_int (st, i, years.from_year);
    if ((i = sqlite3_bind_parameter_index (st, ":to")))
        sqlite3_bind_int (st, i, years.to_year);
    if ((i = sqlite3_bind_parameter_index (st, ":book_year")))
        sqlite3_bind_int (st, i, years.to_year);
    if ((i = sqlite3_bind_parameter_index (st, ":quorum")))
        sqlite3_bind_int (st, i, rule->quorum_required);
}

int jk_rat_deadline_months_parse (const char *text, int *months)
{
    uint64_t value = 0;
    if (!text || jk_parse_u64 (text, &value) != JK_OK || value == 0 ||
        value > JK_RAT_DEADLINE_MONTHS_MAX)
        return -1;
    *months = (int)value;
    return 0;
}
