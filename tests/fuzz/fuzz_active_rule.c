/*  fuzz_active_rule.c - libFuzzer target for the active-rule setting
    (jk_active_rule_parse, storage/jk_active.h): any text either parses into
    a rule within its documented ranges, whose spec parses back to the same
    rule, or is refused with a message. */
#include "jk_active.h"
#include "jk_base.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = jk_strndup ((const char *)data, size);
    jk_active_rule_t rule, again;
    char err[256] = "", spec[128];
    if (jk_active_rule_parse (text, &rule, err, sizeof err) == 0) {
        if (rule.years < 1 || rule.years > 10 || rule.deadline_months < 1 ||
            rule.deadline_months > 24 || rule.grace_days < 0 ||
            rule.grace_days > 366)
            abort ();
        jk_active_rule_spec (&rule, spec, sizeof spec);
        if (jk_active_rule_parse (spec, &again, err, sizeof err) != 0 ||
            rule.years != again.years ||
            rule.deadline_months != again.deadline_months ||
            rule.grace_days != again.grace_days ||
            rule.quorum_required != again.quorum_required)
            abort ();
        /* The years it counts on any day stay in order. */
        jk_active_years_t y = jk_active_years (&rule, 19357);
        if (y.from_year > y.to_year || y.due_year > y.to_year)
            abort ();
        char words[512];
        jk_active_rule_describe (&rule, 19357, words, sizeof words);
    } else if (!err[0])
        abort ();
    free (text);
    return 0;
}
