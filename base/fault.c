/*  fault.c - fault injection for tests (jk_fault.h). */
#include "jk_fault.h"
#include "jk_base.h"

#include <stdlib.h>
#include <string.h>

jk_fault_t jk_fault_from_env (const char *component)
{
    const char *name = getenv ("JEJAK_FAULT");
    jk_fault_t fault = JK_FAULT_NONE;
    if (name && strcmp (name, "crash_after_commit") == 0)
        fault = JK_FAULT_CRASH_AFTER_COMMIT;
    else if (name && strcmp (name, "fail_commit") == 0)
        fault = JK_FAULT_FAIL_COMMIT;
    if (fault != JK_FAULT_NONE)
        jk_warn (component, "fault injection on: %s", name);
    return fault;
}

bool jk_fault_drop_nth (uint64_t count, int every)
{
    return every > 0 && count % (uint64_t)every == 0;
}
