/*  rules.c - the store's decisions: jk_projections_decide asks the
    in-memory model (model.c), loaded from the projection tables at the
    first decision and kept in step by every apply after it. The model is
    dropped with a rolled-back transaction and loaded again when next
    needed. */
#include "jk_model.h"
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

int jk_proj_rules_check (char *err, size_t err_size)
{
    return jk_model_rules_check (err, err_size);
}

int jk_projections_decide (jk_projections_t *self, const jk_event_t *event,
                           jk_report_t *report)
{
    assert (self && event && report);
    if (!self->model) {
        /* The model reads the batches and enrollments tables, and
           pending counters and hours are held back only while no model
           reads them: what waits is written first. */
        if (jk_projections_flush (self) != JK_OK)
            return JK_IO;
        char err[256];
        self->model = jk_model_new (true);
        if (jk_model_load (self->model, self->db, err, sizeof err)) {
            jk_error ("projections", "%s", err);
            jk_model_destroy (&self->model);
            return JK_IO;
        }
    }
    return jk_model_decide (self->model, event, report);
}
