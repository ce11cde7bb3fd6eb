/*  progress.c - a one-line progress bar on stderr for long replay work.
    Drawn only when stderr is a terminal and the work has run for more
    than a second, redrawn at most ten times a second. */
#include "jk_replay.h"

#include <stdlib.h>
#include <unistd.h>

struct jk_progress_s {
    char *label;      /* what is being done, e.g. "verify" */
    uint64_t total;   /* expected units, or 0 when unknown */
    int64_t started;  /* monotonic ms at creation */
    int64_t drawn_at; /* monotonic ms of the last draw */
    bool enabled;     /* stderr is a terminal (or forced) */
    bool shown;       /* drawn at least once */
};

jk_progress_t *jk_progress_new (const char *label, uint64_t total)
{
    jk_progress_t *self = jk_calloc (1, sizeof *self);
    self->label = jk_strdup (label);
    self->total = total;
    self->started = jk_clock_mono_ms ();
    self->enabled = isatty (STDERR_FILENO) == 1;
    return self;
}

void jk_progress_update (jk_progress_t *self, uint64_t done)
{
    if (!self || !self->enabled)
        return;
    int64_t now = jk_clock_mono_ms ();
    if (now - self->started < 1000 || now - self->drawn_at < 100)
        return;
    self->drawn_at = now;
    self->shown = true;
    double secs = (double)(now - self->started) / 1000.0;
    if (self->total) {
        enum { WIDTH = 30 };
        uint64_t shown = done > self->total ? self->total : done;
        int fill = (int)(shown * WIDTH / self->total);
        char bar[WIDTH + 1];
        for (int i = 0; i < WIDTH; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[WIDTH] = 0;
        fprintf (stderr, "\r%-8s [%s] %3d%% %llu/%llu %.1fs ", self->label, bar,
                 (int)(shown * 100 / self->total), (unsigned long long)done,
                 (unsigned long long)self->total, secs);
    } else
        fprintf (stderr, "\r%-8s %llu %.1fs ", self->label,
                 (unsigned long long)done, secs);
    fflush (stderr);
}

void jk_progress_destroy (jk_progress_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_progress_t *self = *self_p;
    if (self->shown) {
        fprintf (stderr, "\r%*s\r", 78, "");
        fflush (stderr);
    }
    free (self->label);
    free (self);
    *self_p = NULL;
}
