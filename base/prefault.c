/*  prefault.c - a large block mapped before it is filled (jk_prefault in
    jk_base.h). */
#define _GNU_SOURCE /* madvise, MADV_HUGEPAGE, MADV_POPULATE_WRITE */
#include "jk_base.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* Either madvise may fail (an older kernel, no huge page free, a block
   the heap made of several mappings): the pages then fault in at first
   touch, as without the call. */
void jk_prefault (void *p, size_t size)
{
    long page = sysconf (_SC_PAGESIZE);
    if (!p || page <= 0)
        return;
    uintptr_t mask = (uintptr_t)page - 1;
    uintptr_t from = ((uintptr_t)p + mask) & ~mask;
    uintptr_t to = ((uintptr_t)p + size) & ~mask;
    if (to <= from)
        return;
#ifdef MADV_HUGEPAGE
    (void)madvise ((void *)from, to - from, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
    (void)madvise ((void *)from, to - from, MADV_POPULATE_WRITE);
#endif
}
