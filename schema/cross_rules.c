/*  cross_rules.c - each event type's cross-field rules (a field that
    needs another, dates not in the future, start before end), named in
    the vocabulary table and run by jk_event_validate. */
#include "schema_internal.h"

#include <stdio.h>
#include <string.h>

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
        jk_report_error_rule (report, JK_RULE_NOT_FUTURE, "E_FIELD_RANGE", path,
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
        jk_report_error_rule (report, JK_RULE_REQUIRED_WHEN, "E_FIELD_MISSING",
                              "body.basis",
                              "body.basis (the decree number) is required "
                              "when status is %.*s",
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
        jk_report_error_rule (report, JK_RULE_REQUIRED_WHEN, "E_FIELD_MISSING",
                              "body.check_in",
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
