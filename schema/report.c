/*  report.c - the problems found in one event: the first error and the
    warnings (jk_report_t), each with a code, the field and a message that
    ends on a character boundary. The decoder, the validator and the
    projections all report through it; it depends on nothing else in
    schema/, so neither event.c nor validate.c needs the other for it. */
#include "schema_internal.h"

#include <stdarg.h>
#include <stdio.h>

void jk_report_reset (jk_report_t *report)
{
    report->failed = false;
    report->warning_count = 0;
    report->error.code[0] = report->error.field[0] = report->error.message[0] =
        0;
    report->error.rule = JK_RULE_ANY;
}

static void s_problem (jk_problem_t *p, jk_rule_t rule, const char *code,
                       const char *field, const char *format, va_list args)
    __attribute__ ((format (printf, 5, 0)));

static void s_problem (jk_problem_t *p, jk_rule_t rule, const char *code,
                       const char *field, const char *format, va_list args)
{
    p->rule = rule;
    snprintf (p->code, sizeof p->code, "%s", code);
    snprintf (p->field, sizeof p->field, "%s", field ? field : "");
    vsnprintf (p->message, sizeof p->message, format, args);
    /* Quoted values are cut by byte limits ('%.60s', the message's own
       size): end on a character boundary, escape what is not text. */
    jk_text_clean (p->message, sizeof p->message);
}

void jk_report_error (jk_report_t *report, const char *code, const char *field,
                      const char *format, ...)
{
    if (!report || report->failed)
        return;
    report->failed = true;
    va_list args;
    va_start (args, format);
    s_problem (&report->error, JK_RULE_ANY, code, field, format, args);
    va_end (args);
}

void jk_report_error_rule (jk_report_t *report, jk_rule_t rule,
                           const char *code, const char *field,
                           const char *format, ...)
{
    if (!report || report->failed)
        return;
    report->failed = true;
    va_list args;
    va_start (args, format);
    s_problem (&report->error, rule, code, field, format, args);
    va_end (args);
}

void jk_report_warn (jk_report_t *report, const char *code, const char *field,
                     const char *format, ...)
{
    if (!report || report->warning_count >= JK_WARNINGS_MAX)
        return;
    va_list args;
    va_start (args, format);
    s_problem (&report->warnings[report->warning_count++], JK_RULE_ANY, code,
               field, format, args);
    va_end (args);
}
