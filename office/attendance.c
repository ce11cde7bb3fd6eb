/*  attendance.c - attendance of one training session in one save: the
    session picked from the office's lists, one row per enrolled
    participant (status, check-in, check-out), each row an
    attendance.recorded event checked like any form's, all queued or none
    with the wrong rows marked. */
#include "office_internal.h"

#include <ctype.h>
#include <string.h>

static const jk_item_t *s_find (jk_list_t *list, const char *group,
                                const char *key)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp (list->items[i].key, key) == 0 &&
            strcmp (list->items[i].group, group) == 0)
            return &list->items[i];
    return NULL;
}

static const char *s_person_label (jk_office_app_t *office, const char *nik)
{
    const jk_item_t *p = s_find (&office->lists[JK_LIST_PEOPLE], "", nik);
    return p ? p->label : NULL;
}

/* Step 1: the batch and the session, chosen from the pick lists. */
static void s_pick_form (jk_http_t *h, const char *batch, const char *session)
{
    FILE *o = h->out;
    jk_office_app_t *office = h->office;
    fprintf (o,
             "<form method=\"get\" action=\"/attendance\" id=\"pick\">"
             "<div class=\"field\"><label for=\"batch\">%s</label><select "
             "id=\"batch\" name=\"batch\" data-autosubmit><option "
             "value=\"\">%s</option>",
             TR (h, "Angkatan", "Batch"), TR (h, "- pilih -", "- choose -"));
    jk_list_t *batches = &office->lists[JK_LIST_BATCHES];
    for (size_t i = 0; i < batches->count; i++)
        jk_lists_option (o, &batches->items[i],
                         batch && strcmp (batch, batches->items[i].key) == 0);
    fputs ("</select></div>", o);
    jk_list_t *sessions = &office->lists[JK_LIST_SESSIONS];
    if (batch && *batch) {
        fprintf (o,
                 "<div class=\"field\"><label for=\"session\">%s</label>"
                 "<select id=\"session\" name=\"session\" "
                 "data-autosubmit><option value=\"\">%s</option>",
                 TR (h, "Sesi", "Session"), TR (h, "- pilih -", "- choose -"));
        for (size_t i = 0; i < sessions->count; i++) {
            if (strcmp (sessions->items[i].group, batch) == 0)
                jk_lists_option (
                    o, &sessions->items[i],
                    session && strcmp (session, sessions->items[i].key) == 0);
        }
        fputs ("</select></div>", o);
    }
    fprintf (o, "<button type=\"submit\" id=\"show\">%s</button></form>",
             TR (h, "Tampilkan peserta", "Show participants"));
}

/* One participant's row: name (or masked NIK), presence, check-in and
   check-out (the session's times), and the row's error. */
static void s_participant_row (jk_http_t *h, const char *nik, size_t row,
                               const jk_field_t *status, const char *starts,
                               const char *ends, const char *error)
{
    FILE *o = h->out;
    const char *name = s_person_label (h->office, nik);
    char masked[17];
    jk_nik_mask (nik, strlen (nik), masked);
    fprintf (o, "<tr data-nik-row=\"%zu\"><td>", row);
    jk_html (o, name ? name : masked);
    fprintf (o,
             "<input type=\"hidden\" name=\"nik\" value=\"%s\"></td>"
             "<td><select name=\"status\" aria-label=\"%s %zu\">",
             nik, TR (h, "Kehadiran peserta", "Presence of"), row + 1);
    for (size_t v = 0; status->values[v]; v++) {
        char buf[64];
        fprintf (o, "<option value=\"%s\"%s>", status->values[v],
                 v == 0 ? " selected" : "");
        jk_html (o, jk_office_value_label (status->values[v], h->en, buf,
                                           sizeof buf));
        fputs ("</option>", o);
    }
    fprintf (o,
             "</select></td><td><input name=\"check_in\" "
             "aria-label=\"%s %zu\" inputmode=\"numeric\" "
             "placeholder=\"JJ:MM\" value=\"%s\"></td><td><input "
             "name=\"check_out\" aria-label=\"%s %zu\" "
             "inputmode=\"numeric\" placeholder=\"JJ:MM\" "
             "value=\"%s\">",
             TR (h, "Jam datang", "Check-in"), row + 1, starts,
             TR (h, "Jam pulang", "Check-out"), row + 1, ends);
    if (error) {
        fputs ("<p class=\"error\" role=\"alert\">", o);
        jk_html (o, error);
        fputs ("</p>", o);
    }
    fputs ("</td></tr>", o);
}

/* Step 2: the session's form, one row per participant of the batch. */
static void s_session_form (jk_http_t *h, const jk_item_t *s, const char *batch,
                            const char *session, const char *const *row_errors)
{
    FILE *o = h->out;
    char starts[8] = "", ends[8] = "";
    sscanf (s->extra, "%5[0-9:]-%5[0-9:]", starts, ends);
    fprintf (o, "<form method=\"post\" action=\"/attendance\" "
                "id=\"attendance\">");
    jk_page_csrf (h);
    fputs ("<input type=\"hidden\" name=\"batch\" value=\"", o);
    jk_html (o, batch);
    fputs ("\"><input type=\"hidden\" name=\"session\" value=\"", o);
    jk_html (o, session);
    fprintf (o,
             "\"><table class=\"attendance\"><thead><tr><th>%s</th>"
             "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
             TR (h, "Peserta", "Participant"), TR (h, "Kehadiran", "Presence"),
             TR (h, "Jam datang", "Check-in"),
             TR (h, "Jam pulang", "Check-out"));
    jk_list_t *enrolled = &h->office->lists[JK_LIST_ENROLMENTS];
    const jk_type_t *t = jk_vocabulary_find ("attendance.recorded", 19);
    const jk_field_t *status = &t->fields[jk_type_field (t, "status", 6)];
    size_t row = 0;
    for (size_t i = 0; i < enrolled->count; i++) {
        if (strcmp (enrolled->items[i].group, batch) != 0)
            continue;
        s_participant_row (h, enrolled->items[i].key, row, status, starts, ends,
                           row_errors ? row_errors[row] : NULL);
        row++;
    }
    fprintf (o, "</tbody></table>");
    if (row == 0)
        fprintf (o, "<p>%s</p>",
                 TR (h, "Belum ada peserta terdaftar di angkatan ini.",
                     "No participants enrolled in this batch yet."));
    else
        fprintf (o,
                 "<p class=\"actions\"><button type=\"submit\" "
                 "id=\"save-attendance\">%s (%zu)</button></p>",
                 TR (h, "Simpan semua", "Save all"), row);
    fputs ("</form>", o);
}

static void s_attendance (jk_http_t *h, const char *const *row_errors)
{
    jk_office_app_t *office = h->office;
    const char *batch = jk_http_query (h, "batch");
    const char *session = jk_http_query (h, "session");
    if (!batch)
        batch = jk_http_form (h, "batch");
    if (!session)
        session = jk_http_form (h, "session");
    jk_page_begin (h, TR (h, "Kehadiran", "Attendance"));
    FILE *o = h->out;
    fprintf (o, "<main><h1>%s</h1>",
             TR (h, "Daftar hadir satu sesi", "Attendance of one session"));
    pthread_mutex_lock (&office->lock);
    jk_lists_refresh (office);
    s_pick_form (h, batch, session);
    jk_list_t *sessions = &office->lists[JK_LIST_SESSIONS];
    const jk_item_t *s =
        batch && session ? s_find (sessions, batch, session) : NULL;
    if (s)
        s_session_form (h, s, batch, session, row_errors);
    pthread_mutex_unlock (&office->lock);
    fputs ("</main>", o);
    jk_page_end (h);
}

void jk_page_attendance (jk_http_t *h)
{
    s_attendance (h, NULL);
}

/* One participant's attendance.recorded event; when the row is wrong,
   its reason for a clerk in *error. */
static jk_event_t *s_attendance_event (jk_http_t *h, const jk_type_t *t,
                                       const char *batch, const char *session,
                                       const char *nik, const char *status,
                                       const char *in, const char *out,
                                       const jk_context_t *ctx, char **error)
{
    jk_event_t *ev = jk_event_new (t);
    jk_event_set_actor (ev, h->session.user);
    jk_event_set_source (ev, h->office->source);
    ev->seq = 1;
    jk_report_t report;
    jk_report_reset (&report);
    bool present =
        strcmp (status, "HADIR") == 0 || strcmp (status, "TERLAMBAT") == 0;
    if (jk_event_set (ev, "batch", batch, &report) ||
        jk_event_set (ev, "session_no", session, &report) ||
        jk_event_set (ev, "nik", nik, &report) ||
        jk_event_set (ev, "status", status, &report) ||
        jk_event_set (ev, "method", "OPERATOR", &report) ||
        (present && *in && jk_event_set (ev, "check_in", in, &report)) ||
        (present && *out && jk_event_set (ev, "check_out", out, &report)) ||
        jk_event_validate (ev, ctx, &report)) {
        const char *field = report.error.field;
        int index = strncmp (field, "body.", 5) == 0
                        ? jk_type_field (t, field + 5, strlen (field + 5))
                        : -1;
        char text[512];
        jk_office_problem_text (
            report.error.code, report.error.rule, report.error.message,
            index >= 0 ? &t->fields[index] : NULL, h->en, text, sizeof text);
        *error = jk_strdup (text);
    }
    return ev;
}

/* All the events in one outbox transaction; JK_OK or a code with none
   queued. */
static int s_attendance_queue (jk_http_t *h, jk_event_t **events, size_t n)
{
    pthread_mutex_lock (&h->office->lock);
    int rc = jk_outbox_begin (h->office->outbox);
    for (size_t i = 0; i < n && rc == JK_OK; i++) {
        char *key = jk_outbox_natural_key (events[i]);
        rc = jk_outbox_put (h->office->outbox, events[i], "", key, NULL);
        free (key);
    }
    if (rc == JK_OK)
        rc = jk_outbox_commit (h->office->outbox);
    else
        jk_outbox_rollback (h->office->outbox);
    pthread_mutex_unlock (&h->office->lock);
    return rc;
}

/* To the session's tanda terima. */
static void s_receipt_redirect (jk_http_t *h, const char *batch,
                                const char *session)
{
    char *url = NULL;
    size_t size = 0;
    FILE *u = open_memstream (&url, &size);
    fputs ("/receipt?batch=", u);
    for (const char *p = batch; *p; p++)
        if (isalnum ((unsigned char)*p) || strchr ("-_.", *p))
            fputc (*p, u);
        else
            fprintf (u, "%%%02X", (unsigned char)*p);
    fprintf (u, "&session=%s", session);
    fclose (u);
    jk_http_redirect (h, url);
    free (url);
}

/* All rows validated first; then every event in one outbox transaction,
   or none. */
void jk_page_attendance_save (jk_http_t *h)
{
    const char *batch = jk_http_form (h, "batch");
    const char *session = jk_http_form (h, "session");
    const char *niks[512], *statuses[512], *ins[512], *outs[512];
    size_t n = jk_http_form_values (h, "nik", niks, 512);
    if (!batch || !session || n == 0 ||
        jk_http_form_values (h, "status", statuses, 512) != n ||
        jk_http_form_values (h, "check_in", ins, 512) != n ||
        jk_http_form_values (h, "check_out", outs, 512) != n) {
        h->code = MHD_HTTP_BAD_REQUEST;
        s_attendance (h, NULL);
        return;
    }
    const jk_type_t *t = jk_vocabulary_find ("attendance.recorded", 19);
    jk_event_t **events = jk_calloc (n, sizeof *events);
    char **errors = jk_calloc (n, sizeof *errors);
    int bad = 0;
    jk_context_t ctx = jk_context_default ();
    for (size_t i = 0; i < n; i++) {
        events[i] =
            s_attendance_event (h, t, batch, session, niks[i], statuses[i],
                                ins[i], outs[i], &ctx, &errors[i]);
        bad += errors[i] != NULL;
    }
    int rc = bad ? JK_OK : s_attendance_queue (h, events, n);
    for (size_t i = 0; i < n; i++)
        jk_event_destroy (&events[i]);
    free (events);
    if (bad || rc != JK_OK) {
        h->code = bad ? MHD_HTTP_UNPROCESSABLE_CONTENT
                      : MHD_HTTP_INTERNAL_SERVER_ERROR;
        jk_info ("form", "user=%s type=attendance.recorded result=%s rows=%zu",
                 h->session.user, bad ? "invalid" : "io", n);
        s_attendance (h, (const char *const *)errors);
    } else {
        jk_info ("form",
                 "user=%s type=attendance.recorded result=queued rows=%zu",
                 h->session.user, n);
        jk_courier_wake (h->office->courier);
        s_receipt_redirect (h, batch, session);
    }
    for (size_t i = 0; i < n; i++)
        free (errors[i]);
    free (errors);
}
