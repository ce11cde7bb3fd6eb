/*  fault.c - fault injection for tests (jk_fault.h). */
#include "jk_fault.h"
#include "jk_base.h"

#include <stdlib.h>
#include <string.h>

jk_fault_t jk_fault_from_env (const char *component)
{
    const char *name = getenv ("JEJAK_FAULT");
    static const struct {
        const char *name;
        jk_fault_t fault;
    } faults[] = {
        {"crash_after_commit", JK_FAULT_CRASH_AFTER_COMMIT},
        {"fail_commit", JK_FAULT_FAIL_COMMIT},
        {"tree_stalled", JK_FAULT_TREE_STALLED},
        {"state_stalled", JK_FAULT_STATE_STALLED},
        {"store_silent", JK_FAULT_STORE_SILENT},
        {"tree_paused", JK_FAULT_TREE_PAUSED},
        {"fail_commit_next", JK_FAULT_FAIL_COMMIT_NEXT},
        {"relay_interrupted", JK_FAULT_RELAY_INTERRUPTED},
        {"wal_checkpoint_failed", JK_FAULT_WAL_CHECKPOINT_FAILED},
        {"crash_in_projector", JK_FAULT_CRASH_IN_PROJECTOR},
        {"open_stalled", JK_FAULT_OPEN_STALLED},
    };
    jk_fault_t fault = JK_FAULT_NONE;
    for (size_t i = 0; name && i < sizeof faults / sizeof faults[0]; i++)
        if (strcmp (name, faults[i].name) == 0)
            fault = faults[i].fault;
    if (fault != JK_FAULT_NONE)
        jk_warn (component, "fault injection on: %s", name);
    return fault;
}

int64_t jk_fault_stream_idle_ms (const char *component, int64_t normal_ms)
{
    const char *text = getenv ("JEJAK_STREAM_IDLE_MS");
    char *end = NULL;
    long long ms = text && *text ? strtoll (text, &end, 10) : 0;
    if (!end || *end || ms < 1 || ms > normal_ms)
        return normal_ms;
    jk_warn (component, "fault injection on: streams idle for %lld ms end", ms);
    return ms;
}

bool jk_fault_drop_nth (uint64_t count, int every)
{
    return every > 0 && count % (uint64_t)every == 0;
}
