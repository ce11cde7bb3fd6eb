/* Whole at ~1,000 lines: a data table (tables, rows per event). */
/*  projection_table.c - the projection tables and the rows each event type
    writes, as data (jk_projection_table.h). Change a table or a write
    here; the DDL, the dump and docs/PROJECTIONS.md follow (regenerate the
    document's section with `jejak-store --projections-doc`). */
#include "jk_projection_table.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- tables --------------------------------------------------------------
   In the order they are created; the dump sorts them by name. Column order
   is the order of SELECT * (the canonical dump's column order). */

#define END                                                                    \
    {                                                                          \
        NULL, NULL, NULL                                                       \
    }

static const jk_ptable_column_t s_projection_meta[] = {
    {"key", "TEXT", "`schema_version` (migrations applied) or `last_pos`"},
    {"value", "",
     "the number; `last_pos` is the last position of a record whose source "
     "could not be read (rare). The last position applied overall is "
     "`max(sources.last_pos, projection_meta.last_pos)`: "
     "`jk_projections_last_pos`"},
    END,
};

static const jk_ptable_column_t s_cooperatives[] = {
    {"legal_number_norm", "TEXT", "normalised legal number (key)"},
    {"legal_number", "TEXT NOT NULL", "as submitted"},
    {"legal_class", "TEXT NOT NULL",
     "`AHU`, `LEGACY_BH` or `UNKNOWN` (UNKNOWN also gives a `data_quality` "
     "warning)"},
    {"legal_date", "TEXT NOT NULL", "date of the legal-entity decree"},
    {"name", "TEXT NOT NULL", NULL},
    {"form", "TEXT NOT NULL", NULL},
    {"kind", "TEXT NOT NULL", NULL},
    {"pattern", "TEXT NOT NULL",
     "as registered, changed by `cooperative.updated`"},
    {"desa_code", "TEXT NOT NULL", "seat's desa"},
    {"kecamatan_code", "TEXT",
     "kecamatan of that desa, from the reference data"},
    {"address", "TEXT", NULL},
    {"nik_koperasi", "TEXT", "optional fields"},
    {"members_male", "INTEGER NOT NULL", NULL},
    {"members_female", "INTEGER NOT NULL", NULL},
    {"members", "INTEGER NOT NULL", "member counts and their sum"},
    {"registered_pos", "INTEGER NOT NULL", NULL},
    {"registered_at", "INTEGER NOT NULL",
     "log position of the registration; its `at` (ms)"},
    {"updated_pos", "INTEGER NOT NULL",
     "position of the last event that changed the row"},
    {"last_rat_year", "INTEGER", "latest book year with a RAT"},
    {"rat_count", "INTEGER NOT NULL DEFAULT 0", "RATs recorded"},
    {"rat_streak", "INTEGER NOT NULL DEFAULT 0",
     "consecutive book years with a RAT, counting back from "
     "`last_rat_year`"},
    {"status", "TEXT", NULL},
    {"status_basis", "TEXT", NULL},
    {"status_on", "TEXT", NULL},
    {"status_pos", "INTEGER",
     "the latest declared status (by position), its decree, effective "
     "date, position; NULL when never declared"},
    END,
};

static const jk_ptable_column_t s_cooperative_statuses[] = {
    {"legal_number_norm", "TEXT NOT NULL", NULL},
    {"pos", "INTEGER NOT NULL", "key: the cooperative and the position"},
    {"status", "TEXT NOT NULL", NULL},
    {"basis", "TEXT", NULL},
    {"on_date", "TEXT NOT NULL", "as declared (`on_date` is `on`)"},
    END,
};

static const jk_ptable_column_t s_rat_meetings[] = {
    {"legal_number_norm", "TEXT NOT NULL", NULL},
    {"book_year", "INTEGER NOT NULL", "key"},
    {"held_on", "TEXT NOT NULL", NULL},
    {"members_present", "INTEGER NOT NULL", NULL},
    {"quorum_met", "INTEGER NOT NULL", "as recorded (`quorum_met` 0/1)"},
    {"deadline", "TEXT NOT NULL",
     "last day of the month that ends `rat_deadline_months` (store option, "
     "default 6) after 31 December of the book year: 30 June of the next "
     "year by default"},
    {"late", "INTEGER NOT NULL", "1 when `held_on` is after `deadline`"},
    {"days_late", "INTEGER NOT NULL",
     "days after the deadline (0 when on time)"},
    {"pos", "INTEGER NOT NULL", "log position"},
    END,
};

static const jk_ptable_column_t s_people[] = {
    {"nik", "TEXT", "key (personal data: use `people_masked` for reports)"},
    {"name", "TEXT NOT NULL", NULL},
    {"sex", "TEXT NOT NULL", NULL},
    {"birth_date", "TEXT NOT NULL", NULL},
    {"desa_code", "TEXT NOT NULL",
     "as registered, changed by `person.corrected`"},
    {"kecamatan_code", "TEXT",
     "kecamatan of `desa_code` in the reference data; NULL for a desa "
     "outside it"},
    {"phone", "TEXT", "as registered, changed by `person.corrected`"},
    {"cooperative", "TEXT", NULL},
    {"role", "TEXT",
     "the person's cooperative (normalised legal number) and role"},
    {"registered_pos", "INTEGER NOT NULL", NULL},
    {"corrections", "INTEGER NOT NULL DEFAULT 0", NULL},
    {"updated_pos", "INTEGER NOT NULL", "positions; number of corrections"},
    {"enrollments", "INTEGER NOT NULL DEFAULT 0",
     "current (not withdrawn) enrolments"},
    {"units_assessed", "INTEGER NOT NULL DEFAULT 0",
     "unit attempts recorded for the person"},
    {"competent", "INTEGER NOT NULL DEFAULT 0",
     "assessments whose latest decision is K"},
    {"certificates", "INTEGER NOT NULL DEFAULT 0",
     "certificates held, not revoked"},
    END,
};

static const jk_ptable_column_t s_batches[] = {
    {"batch", "TEXT", "key"},
    {"title", "TEXT NOT NULL", NULL},
    {"funding", "TEXT NOT NULL", NULL},
    {"budget_year", "INTEGER NOT NULL", NULL},
    {"venue", "TEXT NOT NULL", NULL},
    {"venue_desa_code", "TEXT NOT NULL", NULL},
    {"start_date", "TEXT NOT NULL", NULL},
    {"end_date", "TEXT NOT NULL", "as scheduled"},
    {"class_size_max", "INTEGER NOT NULL", "as scheduled (default 30)"},
    {"min_attendance_pct", "INTEGER NOT NULL", "as scheduled (default 80)"},
    {"enrolled", "INTEGER NOT NULL DEFAULT 0", "current participants"},
    {"withdrawn", "INTEGER NOT NULL DEFAULT 0", "withdrawals"},
    {"sessions", "INTEGER NOT NULL DEFAULT 0", "sessions scheduled"},
    {"jp_total", "INTEGER NOT NULL DEFAULT 0", "lesson hours scheduled"},
    {"closed", "INTEGER NOT NULL DEFAULT 0", "0/1"},
    {"closed_pos", "INTEGER", NULL},
    {"scheduled_pos", "INTEGER NOT NULL", "positions"},
    END,
};

static const jk_ptable_column_t s_sessions[] = {
    {"batch", "TEXT NOT NULL", NULL},
    {"session_no", "INTEGER NOT NULL", "key"},
    {"date", "TEXT NOT NULL", NULL},
    {"starts", "TEXT NOT NULL", NULL},
    {"ends", "TEXT NOT NULL", NULL},
    {"jp", "INTEGER NOT NULL", NULL},
    {"topic", "TEXT NOT NULL", "as scheduled"},
    {"recorded", "INTEGER NOT NULL DEFAULT 0", "attendance rows"},
    {"present", "INTEGER NOT NULL DEFAULT 0",
     "of those, HADIR or TERLAMBAT after corrections"},
    {"pos", "INTEGER NOT NULL", "log position"},
    END,
};

static const jk_ptable_column_t s_enrollments[] = {
    {"batch", "TEXT NOT NULL", NULL},
    {"nik", "TEXT NOT NULL", "key"},
    {"cooperative", "TEXT NOT NULL",
     "the cooperative the participant represents (normalised)"},
    {"enrolled_pos", "INTEGER NOT NULL", "position of the (latest) enrolment"},
    {"withdrawn", "INTEGER NOT NULL DEFAULT 0", NULL},
    {"withdrawn_reason", "TEXT", NULL},
    {"withdrawn_pos", "INTEGER", "withdrawal; a re-enrolment clears it"},
    {"jp_attended", "INTEGER NOT NULL DEFAULT 0",
     "lesson hours of sessions attended (HADIR, TERLAMBAT), after "
     "corrections"},
    {"attendance_pct", "REAL NOT NULL DEFAULT 0",
     "`round(100 * jp_attended / batches.jp_total, 2)`; 0 when nothing is "
     "scheduled"},
    {"eligible", "INTEGER NOT NULL DEFAULT 0",
     "1 when not withdrawn and `jp_attended * 100 >= min_attendance_pct * "
     "jp_total` (exact integers, no rounding decides)"},
    END,
};

static const jk_ptable_column_t s_attendance[] = {
    {"batch", "TEXT NOT NULL", NULL},
    {"session_no", "INTEGER NOT NULL", NULL},
    {"nik", "TEXT NOT NULL", "key"},
    {"status", "TEXT NOT NULL", NULL},
    {"check_in", "TEXT", NULL},
    {"check_out", "TEXT", NULL},
    {"method", "TEXT NOT NULL",
     "as recorded, replaced by the latest correction: one to HADIR or "
     "TERLAMBAT gives `check_in` again (as a recording must) and keeps a "
     "`check_out` it leaves out, unless that is before the new `check_in` "
     "(then none); one to IZIN, SAKIT or ALPA drops the times it leaves "
     "out"},
    {"jp", "INTEGER NOT NULL",
     "hours credited: the session's `jp` when HADIR/TERLAMBAT, else 0"},
    {"event_id", "BLOB NOT NULL",
     "id of the `attendance.recorded` event, which `attendance.corrected` "
     "names in `corrects`"},
    {"recorded_pos", "INTEGER NOT NULL", NULL},
    {"corrections", "INTEGER NOT NULL DEFAULT 0", NULL},
    {"last_pos", "INTEGER NOT NULL", NULL},
    {"last_reason", "TEXT", "positions, corrections and the latest reason"},
    END,
};

static const jk_ptable_column_t s_assessments[] = {
    {"assessment", "TEXT", "key"},
    {"scheme_code", "TEXT NOT NULL", NULL},
    {"scheme_title", "TEXT NOT NULL", NULL},
    {"date", "TEXT NOT NULL", "as scheduled"},
    {"batch", "TEXT", "linked training, or NULL"},
    {"lsp", "TEXT NOT NULL", "as scheduled"},
    {"units", "INTEGER NOT NULL", NULL},
    {"assessors", "INTEGER NOT NULL", "counts"},
    {"pos", "INTEGER NOT NULL", "log position"},
    END,
};

static const jk_ptable_column_t s_assessment_units[] = {
    {"assessment", "TEXT NOT NULL", NULL},
    {"unit", "TEXT NOT NULL", "key"},
    {"title", "TEXT NOT NULL", "as scheduled"},
    {"unit_index", "INTEGER NOT NULL", "1-based order"},
    END,
};

static const jk_ptable_column_t s_assessment_assessors[] = {
    {"assessment", "TEXT NOT NULL", NULL},
    {"assessor", "TEXT NOT NULL", "key"},
    END,
};

static const jk_ptable_column_t s_unit_results[] = {
    {"assessment", "TEXT NOT NULL", NULL},
    {"nik", "TEXT NOT NULL", NULL},
    {"unit", "TEXT NOT NULL", "key"},
    {"verdict", "TEXT NOT NULL", "K/BK"},
    {"score", "INTEGER", NULL},
    {"methods", "TEXT NOT NULL", "comma-separated in vocabulary order"},
    {"assessor", "TEXT NOT NULL", "of the latest attempt"},
    {"attempts", "INTEGER NOT NULL", "attempts recorded"},
    {"first_pos", "INTEGER NOT NULL", NULL},
    {"last_pos", "INTEGER NOT NULL", "positions"},
    END,
};

static const jk_ptable_column_t s_assessment_results[] = {
    {"assessment", "TEXT NOT NULL", NULL},
    {"nik", "TEXT NOT NULL", "key"},
    {"verdict", "TEXT NOT NULL", "the latest decision"},
    {"decisions", "INTEGER NOT NULL", "how many were recorded"},
    {"decided_pos", "INTEGER NOT NULL", "log position"},
    END,
};

static const jk_ptable_column_t s_certificates[] = {
    {"number", "TEXT", "key"},
    {"nik", "TEXT NOT NULL", NULL},
    {"assessment", "TEXT NOT NULL", NULL},
    {"issued_on", "TEXT NOT NULL", "as issued"},
    {"valid_until", "TEXT NOT NULL",
     "as given, else `issued_on` + 3 years, 29 February falling to 28 "
     "February"},
    {"issued_pos", "INTEGER NOT NULL", "log position"},
    {"revoked", "INTEGER NOT NULL DEFAULT 0", NULL},
    {"revoked_reason", "TEXT", NULL},
    {"revoked_pos", "INTEGER", "revocation (0/1), reason, position"},
    END,
};

static const jk_ptable_column_t s_kecamatan_summary[] = {
    {"kecamatan_code", "TEXT", NULL},
    {"name", "TEXT NOT NULL", "key; from the reference data"},
    {"cooperatives", "INTEGER NOT NULL DEFAULT 0",
     "cooperatives registered with their seat there"},
    {"people", "INTEGER NOT NULL DEFAULT 0", "people registered, living there"},
    {"enrolled", "INTEGER NOT NULL DEFAULT 0",
     "people with a current enrolment"},
    {"assessed", "INTEGER NOT NULL DEFAULT 0",
     "people with at least one unit attempt"},
    {"competent", "INTEGER NOT NULL DEFAULT 0",
     "people with at least one assessment decided K"},
    {"certificates", "INTEGER NOT NULL DEFAULT 0",
     "certificates held, not revoked"},
    END,
};

static const jk_ptable_column_t s_sources[] = {
    {"source", "TEXT", "key"},
    {"next_seq", "INTEGER NOT NULL",
     "the seq expected next: accepted or rejected records both use up "
     "their seq"},
    {"accepted", "INTEGER NOT NULL", NULL},
    {"rejected", "INTEGER NOT NULL", "records"},
    {"first_recorded_at", "INTEGER NOT NULL", NULL},
    {"last_recorded_at", "INTEGER NOT NULL", "ms"},
    {"last_pos", "INTEGER NOT NULL", "position of the latest record"},
    END,
};

static const jk_ptable_column_t s_rejections[] = {
    {"pos", "INTEGER", "key"},
    {"id", "BLOB", NULL},
    {"source", "TEXT", NULL},
    {"seq", "INTEGER", "as far as the bytes could be read"},
    {"type", "TEXT", "NULL when unreadable"},
    {"code", "TEXT NOT NULL", NULL},
    {"message", "TEXT NOT NULL", "the rejection"},
    {"bytes", "BLOB", "the submitted bytes"},
    {"recorded_at", "INTEGER NOT NULL", "ms"},
    END,
};

static const jk_ptable_column_t s_data_quality[] = {
    {"pos", "INTEGER NOT NULL", NULL},
    {"item", "INTEGER NOT NULL", "key: nth warning of that event"},
    {"id", "BLOB NOT NULL", "the event's id"},
    {"entity", "TEXT NOT NULL",
     "event noun and natural key, NIK masked: `person 3203********0001`"},
    {"code", "TEXT NOT NULL",
     "`W_NIK_SEX`, `W_NIK_BIRTH_DATE`, `W_NIK_PROVINCE`, "
     "`W_LEGAL_NUMBER_FORMAT`, `W_NIK_KOPERASI_PREFIX`, `W_AT_FUTURE` "
     "(table below)"},
    {"field", "TEXT NOT NULL", NULL},
    {"message", "TEXT NOT NULL", "the warning"},
    {"nik", "TEXT", NULL},
    {"legal_number_norm", "TEXT",
     "its subject: the person (NIK) or the cooperative (normalised legal "
     "number) whose data the warning is about (table below); both NULL for "
     "a warning about the event itself"},
    {"resolved_pos", "INTEGER", NULL},
    {"resolved_by", "TEXT",
     "the correction that removed the cause: its log position and its "
     "`actor`; NULL while the warning is open. A resolved warning stays "
     "(history)"},
    END,
};

/* The subject indexes of data_quality: a correction finds the open
   warnings of its person or cooperative. Also migration 2's. */
#define DATA_QUALITY_INDEXES                                                   \
    "CREATE INDEX data_quality_person ON data_quality (nik, code)"             \
    " WHERE nik IS NOT NULL;"                                                  \
    "CREATE INDEX data_quality_cooperative"                                    \
    " ON data_quality (legal_number_norm, code)"                               \
    " WHERE legal_number_norm IS NOT NULL;"

static const jk_ptable_t s_tables[] = {
    {"projection_meta", NULL, "key", false,
     "INSERT INTO projection_meta VALUES ('last_pos', 0);", NULL,
     s_projection_meta},
    {"cooperatives", "one row per registered cooperative", "legal_number_norm",
     false,
     "CREATE INDEX cooperatives_kecamatan ON cooperatives (kecamatan_code);",
     NULL, s_cooperatives},
    {"cooperative_statuses", "every status declaration (history for as-of)",
     "legal_number_norm, pos", false,
     "CREATE INDEX cooperative_statuses_on"
     " ON cooperative_statuses (legal_number_norm, on_date);",
     NULL, s_cooperative_statuses},
    {"rat_meetings", "one row per cooperative and book year",
     "legal_number_norm, book_year", false,
     "CREATE INDEX rat_meetings_year ON rat_meetings (book_year, held_on);",
     NULL, s_rat_meetings},
    {"people", "one row per registered NIK", "nik", false,
     "CREATE VIEW people_masked AS SELECT"
     " substr (nik, 1, 4) || '********' || substr (nik, 13, 4) AS nik_masked,"
     " name, sex, birth_date, desa_code, kecamatan_code, cooperative, role,"
     " enrollments, units_assessed, competent, certificates FROM people;",
     "View **people_masked**: the same without `nik` and `phone`, with\n"
     "`nik_masked` (`3203********0001`).",
     s_people},
    {"batches", "one row per training batch", "batch", false, NULL, NULL,
     s_batches},
    {"sessions", "one row per batch and session number", "batch, session_no",
     false, NULL, NULL, s_sessions},
    {"enrollments", "one row per batch and person", "batch, nik", false, NULL,
     "Scheduling a session changes `jp_total`, so every enrolment of the "
     "batch is\nrecomputed.",
     s_enrollments},
    {"attendance", "one row per batch, session and person",
     "batch, session_no, nik", false,
     "CREATE UNIQUE INDEX attendance_event ON attendance (event_id);", NULL,
     s_attendance},
    {"assessments", "one row per scheduled assessment", "assessment", false,
     NULL, NULL, s_assessments},
    {"assessment_units", "the units of an assessment", "assessment, unit",
     false, NULL, NULL, s_assessment_units},
    {"assessment_assessors", "the assessors of an assessment",
     "assessment, assessor", false, NULL, NULL, s_assessment_assessors},
    {"unit_results", "latest attempt per assessment, person and unit",
     "assessment, nik, unit", false, NULL, NULL, s_unit_results},
    {"assessment_results", "latest decision per assessment and person",
     "assessment, nik", false, NULL, NULL, s_assessment_results},
    {"certificates", NULL, "number", false,
     "CREATE INDEX certificates_valid ON certificates (valid_until);"
     "CREATE INDEX certificates_holder ON certificates (assessment, nik);",
     "A certificate is *valid as of D* when `revoked = 0 AND valid_until >= "
     "D`.",
     s_certificates},
    {"kecamatan_summary", "counters per kecamatan of the reference data",
     "kecamatan_code", false, NULL,
     "Counts of people are by the person's kecamatan. Kept incrementally: a\n"
     "move (`desa_code` corrected) moves the counts. People living outside "
     "the\nreference data count in no row. \"Active\" is as-of and therefore "
     "not stored\n(below).",
     s_kecamatan_summary},
    {"sources", "per submitting device", "source", false, NULL, NULL,
     s_sources},
    {"rejections", "one row per rejection record in the log", "pos", true,
     "CREATE INDEX rejections_source ON rejections (source, seq);", NULL,
     s_rejections},
    {"data_quality", "warnings of accepted events", "pos, item", false,
     DATA_QUALITY_INDEXES,
     "Open warnings: `resolved_pos IS NULL`. At most one warning is open "
     "per\n`code` and subject: an event that raises a warning whose code is "
     "still open\non the same person or cooperative adds no row (the open "
     "one stands; the\nanswer to the office carries the warning all the "
     "same). A warning without a\nsubject is written for every event that "
     "raises it. Which correction resolves\nwhich warning is the table at "
     "the end of this section.",
     s_data_quality},
};

#define TABLES (sizeof s_tables / sizeof s_tables[0])

size_t jk_ptable_count (void)
{
    return TABLES;
}

const jk_ptable_t *jk_ptable_at (size_t index)
{
    return index < TABLES ? &s_tables[index] : NULL;
}

const jk_ptable_t *jk_ptable_find (const char *name)
{
    for (size_t i = 0; name && i < TABLES; i++)
        if (strcmp (s_tables[i].name, name) == 0)
            return &s_tables[i];
    return NULL;
}

int jk_ptable_column (const jk_ptable_t *table, const char *name)
{
    for (int c = 0; name && table->columns[c].name; c++)
        if (strcmp (table->columns[c].name, name) == 0)
            return c;
    return -1;
}

/* ---- data-quality warnings ---------------------------------------------
   Per warning code: whose data it is about and the correction that
   removes its cause. A correction of that type carrying that field, which
   does not raise the code itself, resolves the open warning of the code
   on the same subject; at most one is open per code and subject
   (projections.c). */

static const jk_pwarning_t s_warnings[] = {
    {"W_NIK_SEX", JK_PSUBJECT_PERSON, "person.corrected", "sex",
     "the NIK's day (plus 40 for a woman) disagrees with `sex`"},
    {"W_NIK_BIRTH_DATE", JK_PSUBJECT_PERSON, "person.corrected", "birth_date",
     "the NIK's `DD MM YY` disagree with `birth_date`"},
    {"W_NIK_PROVINCE", JK_PSUBJECT_PERSON, NULL, NULL,
     "the NIK's province code is not in the reference data; the NIK is the "
     "person's key, which no correction changes: one open warning per "
     "person, however many events carry the NIK"},
    {"W_LEGAL_NUMBER_FORMAT", JK_PSUBJECT_COOPERATIVE, NULL, NULL,
     "the legal number is neither AHU nor legacy .../BH/...; it is the "
     "cooperative's key, which no update changes"},
    {"W_NIK_KOPERASI_PREFIX", JK_PSUBJECT_COOPERATIVE, "cooperative.updated",
     "nik_koperasi", "`nik_koperasi` does not start with the hub's area"},
    {"W_AT_FUTURE", JK_PSUBJECT_NONE, NULL, NULL,
     "the event's `at` was ahead of the store's clock: about the event, "
     "not about data a correction changes"},
};

#define WARNINGS (sizeof s_warnings / sizeof s_warnings[0])

const jk_pwarning_t *jk_pwarnings (size_t *count)
{
    *count = WARNINGS;
    return s_warnings;
}

const jk_pwarning_t *jk_pwarning_find (const char *code)
{
    for (size_t i = 0; code && i < WARNINGS; i++)
        if (strcmp (s_warnings[i].code, code) == 0)
            return &s_warnings[i];
    return NULL;
}

int jk_pwarnings_check (char *err, size_t err_size)
{
    for (size_t i = 0; i < WARNINGS; i++) {
        const jk_pwarning_t *w = &s_warnings[i];
        if (!w->resolved_by)
            continue;
        const jk_type_t *type =
            jk_vocabulary_find (w->resolved_by, strlen (w->resolved_by));
        if (!type || !w->field ||
            jk_type_field (type, w->field, strlen (w->field)) < 0) {
            snprintf (err, err_size,
                      "projection table: warning %s is resolved by %s.%s, "
                      "which is not a field of an event type",
                      w->code, w->resolved_by, w->field ? w->field : "(null)");
            return -1;
        }
    }
    return 0;
}

static const char *s_subject_name (jk_psubject_t subject)
{
    return subject == JK_PSUBJECT_PERSON        ? "person (`nik`)"
           : subject == JK_PSUBJECT_COOPERATIVE ? "cooperative "
                                                  "(`legal_number_norm`)"
                                                : "none";
}

/* A growing heap string. */
typedef struct {
    char *data;
    size_t len, cap;
} s_text_t;

static void s_add (s_text_t *t, const char *s)
{
    size_t n = strlen (s);
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->data = jk_realloc (t->data, t->cap);
    }
    memcpy (t->data + t->len, s, n + 1);
    t->len += n;
}

char *jk_ptable_ddl (void)
{
    s_text_t t = {0};
    for (size_t i = 0; i < TABLES; i++) {
        const jk_ptable_t *table = &s_tables[i];
        s_add (&t, "CREATE TABLE ");
        s_add (&t, table->name);
        s_add (&t, " (");
        for (int c = 0; table->columns[c].name; c++) {
            s_add (&t, c ? ", " : "");
            s_add (&t, table->columns[c].name);
            if (table->columns[c].decl[0]) {
                s_add (&t, " ");
                s_add (&t, table->columns[c].decl);
            }
        }
        s_add (&t, ", PRIMARY KEY (");
        s_add (&t, table->key);
        s_add (&t, table->rowid ? "));" : ")) WITHOUT ROWID;");
        if (table->indexes)
            s_add (&t, table->indexes);
    }
    return t.data;
}

/* ---- docs/PROJECTIONS.md ------------------------------------------------ */

void jk_ptable_markdown (FILE *out)
{
    fputs ("## Tables, column by column\n\n"
           "Generated by `jejak-store --projections-doc` from the table in\n"
           "`storage/projection_table.c`; `tests/unit/storage/"
           "test_projection_table`\nfails when this section is out of "
           "step.\n",
           out);
    for (size_t i = 0; i < TABLES; i++) {
        const jk_ptable_t *table = &s_tables[i];
        fprintf (out, "\n### %s", table->name);
        if (table->title)
            fprintf (out, " — %s", table->title);
        fprintf (out,
                 "\nKey: `%s`.\n\n| column | type | meaning |\n"
                 "| --- | --- | --- |\n",
                 table->key);
        int first = 0;
        for (int c = 0; table->columns[c].name; c++) {
            if (!table->columns[c].doc && table->columns[c + 1].name)
                continue;
            fputs ("| ", out);
            for (int k = first; k <= c; k++)
                fprintf (out, "%s`%s`", k > first ? ", " : "",
                         table->columns[k].name);
            fputs (" |", out);
            /* The SQL types of the group, each once. */
            for (int k = first; k <= c; k++) {
                const char *decl = table->columns[k].decl;
                int len = (int)strcspn (decl, " ");
                bool seen = false;
                for (int j = first; j < k && !seen; j++)
                    seen = (int)strcspn (table->columns[j].decl, " ") == len &&
                           strncmp (table->columns[j].decl, decl,
                                    (size_t)len) == 0;
                if (!seen)
                    fprintf (out, "%s%.*s", k > first ? ", " : " ",
                             len ? len : 3, len ? decl : "any");
            }
            fprintf (out, " | %s |\n",
                     table->columns[c].doc ? table->columns[c].doc : "");
            first = c + 1;
        }
        if (table->note)
            fprintf (out, "\n%s\n", table->note);
    }
    fputs ("\n### Warnings and what resolves them\n\n"
           "A correction of the type named, carrying the field named, "
           "that does not\nraise the warning itself, resolves the open "
           "warning of that code on the\nsame subject (`resolved_pos`, "
           "`resolved_by`). One that raises it again\nleaves the open one "
           "as it is; a later event that raises it after the\nresolution "
           "opens a new one.\n\n"
           "| code | subject | resolved by | cause |\n"
           "| --- | --- | --- | --- |\n",
           out);
    for (size_t i = 0; i < WARNINGS; i++) {
        const jk_pwarning_t *w = &s_warnings[i];
        fprintf (out, "| `%s` | %s | ", w->code, s_subject_name (w->subject));
        if (w->resolved_by)
            fprintf (out, "`%s` with `%s`", w->resolved_by, w->field);
        else
            fputs ("nothing (stays open)", out);
        fprintf (out, " | %s |\n", w->doc);
    }
    fputs ("\n", out);
}

/* ---- writes ----------------------------------------------------------------
   Per event type, in vocabulary order, the rows it writes; they run in
   this order, between the type's hand-written before and after steps
   (projections.c). Types whose writes all depend on the row read first
   (cooperative.updated, person.corrected, attendance.corrected,
   certificate.revoked) are hand-written whole. */

#define F(col, field)                                                          \
    {                                                                          \
        col, JK_PSRC_FIELD, field, NULL, 0, JK_POP_SET                         \
    }
#define F_OR(col, field, v)                                                    \
    {                                                                          \
        col, JK_PSRC_FIELD_OR, field, NULL, v, JK_POP_SET                      \
    }
#define POS(col)                                                               \
    {                                                                          \
        col, JK_PSRC_POS, NULL, NULL, 0, JK_POP_SET                            \
    }
#define POS_KEEP(col)                                                          \
    {                                                                          \
        col, JK_PSRC_POS, NULL, NULL, 0, JK_POP_KEEP                           \
    }
#define AT(col)                                                                \
    {                                                                          \
        col, JK_PSRC_AT, NULL, NULL, 0, JK_POP_SET                             \
    }
#define INT(col, v)                                                            \
    {                                                                          \
        col, JK_PSRC_INT, NULL, NULL, v, JK_POP_SET                            \
    }
#define ADD(col, v)                                                            \
    {                                                                          \
        col, JK_PSRC_INT, NULL, NULL, v, JK_POP_ADD                            \
    }
#define NUL(col)                                                               \
    {                                                                          \
        col, JK_PSRC_NULL, NULL, NULL, 0, JK_POP_SET                           \
    }
#define NORM(col, field)                                                       \
    {                                                                          \
        col, JK_PSRC_LEGAL_NORM, field, NULL, 0, JK_POP_SET                    \
    }
#define CLASS(col, field)                                                      \
    {                                                                          \
        col, JK_PSRC_LEGAL_CLASS, field, NULL, 0, JK_POP_SET                   \
    }
#define KEC(col, field)                                                        \
    {                                                                          \
        col, JK_PSRC_KECAMATAN, field, NULL, 0, JK_POP_SET                     \
    }
#define SUM(col, a, b)                                                         \
    {                                                                          \
        col, JK_PSRC_SUM, a, b, 0, JK_POP_SET                                  \
    }
#define COUNT(col, field)                                                      \
    {                                                                          \
        col, JK_PSRC_COUNT, field, NULL, 0, JK_POP_SET                         \
    }
#define ID(col)                                                                \
    {                                                                          \
        col, JK_PSRC_EVENT_ID, NULL, NULL, 0, JK_POP_SET                       \
    }
#define DERIVE(col, fn, a, b)                                                  \
    {                                                                          \
        col, JK_PSRC_DERIVE, a, b, JK_PDERIVE_##fn, JK_POP_SET                 \
    }

static const jk_pwrite_t s_writes[] = {
    {"cooperative.registered",
     "cooperatives",
     JK_PWRITE_INSERT,
     NULL,
     {NORM ("legal_number_norm", "legal_number"),
      F ("legal_number", "legal_number"), CLASS ("legal_class", "legal_number"),
      F ("legal_date", "legal_date"), F ("name", "name"), F ("form", "form"),
      F ("kind", "kind"), F ("pattern", "pattern"),
      F ("desa_code", "desa_code"), KEC ("kecamatan_code", "desa_code"),
      F ("address", "address"), F ("nik_koperasi", "nik_koperasi"),
      F ("members_male", "members_male"),
      F ("members_female", "members_female"),
      SUM ("members", "members_male", "members_female"), POS ("registered_pos"),
      AT ("registered_at"), POS ("updated_pos")}},
    {"cooperative.rat_held",
     "rat_meetings",
     JK_PWRITE_INSERT,
     NULL,
     {NORM ("legal_number_norm", "legal_number"), F ("book_year", "book_year"),
      F ("held_on", "held_on"), F ("members_present", "members_present"),
      F ("quorum_met", "quorum_met"),
      DERIVE ("deadline", RAT_DEADLINE, "book_year", NULL),
      DERIVE ("late", RAT_LATE, "held_on", "book_year"),
      DERIVE ("days_late", RAT_DAYS_LATE, "held_on", "book_year"),
      POS ("pos")}},
    {"cooperative.status_declared",
     "cooperative_statuses",
     JK_PWRITE_INSERT,
     NULL,
     {NORM ("legal_number_norm", "legal_number"), POS ("pos"),
      F ("status", "status"), F ("basis", "basis"), F ("on_date", "on")}},
    {"cooperative.status_declared",
     "cooperatives",
     JK_PWRITE_UPDATE,
     "legal_number_norm",
     {NORM ("legal_number_norm", "legal_number"), F ("status", "status"),
      F ("status_basis", "basis"), F ("status_on", "on"), POS ("status_pos"),
      POS ("updated_pos")}},
    {"person.registered",
     "people",
     JK_PWRITE_INSERT,
     NULL,
     {F ("nik", "nik"), F ("name", "name"), F ("sex", "sex"),
      F ("birth_date", "birth_date"), F ("desa_code", "desa_code"),
      KEC ("kecamatan_code", "desa_code"), F ("phone", "phone"),
      NORM ("cooperative", "cooperative"), F ("role", "role"),
      POS ("registered_pos"), POS ("updated_pos")}},
    {"training.batch_scheduled",
     "batches",
     JK_PWRITE_INSERT,
     NULL,
     {F ("batch", "batch"), F ("title", "title"), F ("funding", "funding"),
      F ("budget_year", "budget_year"), F ("venue", "venue"),
      F ("venue_desa_code", "venue_desa_code"), F ("start_date", "start_date"),
      F ("end_date", "end_date"), F_OR ("class_size_max", "class_size_max", 30),
      F_OR ("min_attendance_pct", "min_attendance_pct", 80),
      POS ("scheduled_pos")}},
    {"training.session_scheduled",
     "sessions",
     JK_PWRITE_INSERT,
     NULL,
     {F ("batch", "batch"), F ("session_no", "session_no"), F ("date", "date"),
      F ("starts", "starts"), F ("ends", "ends"), F ("jp", "jp"),
      F ("topic", "topic"), POS ("pos")}},
    {"training.participant_enrolled",
     "enrollments",
     JK_PWRITE_UPSERT,
     "batch, nik",
     {F ("batch", "batch"), F ("nik", "nik"),
      NORM ("cooperative", "cooperative"), POS ("enrolled_pos"),
      INT ("withdrawn", 0), NUL ("withdrawn_reason"), NUL ("withdrawn_pos")}},
    {"training.participant_withdrawn",
     "enrollments",
     JK_PWRITE_UPDATE,
     "batch, nik",
     {F ("batch", "batch"), F ("nik", "nik"), INT ("withdrawn", 1),
      F ("withdrawn_reason", "reason"), POS ("withdrawn_pos"),
      INT ("eligible", 0)}},
    {"attendance.recorded",
     "attendance",
     JK_PWRITE_INSERT,
     NULL,
     {F ("batch", "batch"), F ("session_no", "session_no"), F ("nik", "nik"),
      F ("status", "status"), F ("check_in", "check_in"),
      F ("check_out", "check_out"), F ("method", "method"),
      DERIVE ("jp", ATTENDANCE_JP, "status", NULL), ID ("event_id"),
      POS ("recorded_pos"), POS ("last_pos")}},
    {"training.batch_closed",
     "batches",
     JK_PWRITE_UPDATE,
     "batch",
     {F ("batch", "batch"), INT ("closed", 1), POS ("closed_pos")}},
    {"assessment.scheduled",
     "assessments",
     JK_PWRITE_INSERT,
     NULL,
     {F ("assessment", "assessment"), F ("scheme_code", "scheme_code"),
      F ("scheme_title", "scheme_title"), F ("date", "date"),
      F ("batch", "batch"), F ("lsp", "lsp"), COUNT ("units", "units"),
      COUNT ("assessors", "assessors"), POS ("pos")}},
    {"assessment.unit_assessed",
     "unit_results",
     JK_PWRITE_UPSERT,
     "assessment, nik, unit",
     {F ("assessment", "assessment"), F ("nik", "nik"), F ("unit", "unit"),
      F ("verdict", "verdict"), F ("score", "score"),
      DERIVE ("methods", METHODS, "methods", NULL), F ("assessor", "assessor"),
      ADD ("attempts", 1), POS_KEEP ("first_pos"), POS ("last_pos")}},
    {"assessment.decided",
     "assessment_results",
     JK_PWRITE_UPSERT,
     "assessment, nik",
     {F ("assessment", "assessment"), F ("nik", "nik"),
      F ("verdict", "verdict"), ADD ("decisions", 1), POS ("decided_pos")}},
    {"certificate.issued",
     "certificates",
     JK_PWRITE_INSERT,
     NULL,
     {F ("number", "number"), F ("nik", "nik"), F ("assessment", "assessment"),
      F ("issued_on", "issued_on"),
      DERIVE ("valid_until", VALID_UNTIL, "valid_until", "issued_on"),
      POS ("issued_pos")}},
};

#define WRITES (sizeof s_writes / sizeof s_writes[0])

const jk_pwrite_t *jk_pwrites (size_t *count)
{
    *count = WRITES;
    return s_writes;
}

/* Whether the comma-separated list holds column. */
static bool s_in_list (const char *list, const char *column)
{
    size_t n = strlen (column);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn (p, ", ");
        if (len == n && strncmp (p, column, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/* Checks that field names a field of type; 0 or -1 with err. */
static int s_check_field (const jk_pwrite_t *w, const jk_pbind_t *b,
                          const jk_type_t *type, const char *field, char *err,
                          size_t err_size)
{
    if (!field || jk_type_field (type, field, strlen (field)) >= 0)
        return 0;
    snprintf (err, err_size,
              "projection table: %s writes %s.%s from body.%s, which is not "
              "a field of %s",
              w->type, w->table, b->column, field, w->type);
    return -1;
}

int jk_pwrites_check (const jk_pwrite_t *writes, size_t count, char *err,
                      size_t err_size)
{
    for (size_t i = 0; i < count; i++) {
        const jk_pwrite_t *w = &writes[i];
        const jk_type_t *type =
            jk_vocabulary_find (w->type, w->type ? strlen (w->type) : 0);
        if (!type) {
            snprintf (err, err_size, "projection table: no event type %s",
                      w->type ? w->type : "(null)");
            return -1;
        }
        const jk_ptable_t *table = jk_ptable_find (w->table);
        if (!table) {
            snprintf (err, err_size,
                      "projection table: %s writes table %s, "
                      "which does not exist",
                      w->type, w->table ? w->table : "(null)");
            return -1;
        }
        if ((w->mode == JK_PWRITE_INSERT) != (w->key == NULL)) {
            snprintf (err, err_size,
                      "projection table: %s writes %s: an insert has no key, "
                      "an upsert or update needs one",
                      w->type, w->table);
            return -1;
        }
        int bound = 0;
        for (int k = 0; k < JK_PBIND_MAX && w->binds[k].column; k++) {
            const jk_pbind_t *b = &w->binds[k];
            if (jk_ptable_column (table, b->column) < 0) {
                snprintf (err, err_size,
                          "projection table: %s writes %s.%s, which is not "
                          "a column of %s",
                          w->type, w->table, b->column, w->table);
                return -1;
            }
            bool needs_field = b->src != JK_PSRC_POS && b->src != JK_PSRC_AT &&
                               b->src != JK_PSRC_INT &&
                               b->src != JK_PSRC_NULL &&
                               b->src != JK_PSRC_EVENT_ID;
            if (needs_field && !b->field) {
                snprintf (err, err_size,
                          "projection table: %s writes %s.%s from no field",
                          w->type, w->table, b->column);
                return -1;
            }
            if (s_check_field (w, b, type, b->field, err, err_size) ||
                s_check_field (w, b, type, b->field2, err, err_size))
                return -1;
            if (w->key && s_in_list (w->key, b->column))
                bound++;
        }
        for (const char *p = w->key; p && *p;) {
            while (*p == ' ' || *p == ',')
                p++;
            size_t len = strcspn (p, ", ");
            char column[64];
            snprintf (column, sizeof column, "%.*s", (int)len, p);
            if (len && jk_ptable_column (table, column) < 0) {
                snprintf (err, err_size,
                          "projection table: %s keys %s on %s, which is not "
                          "a column of it",
                          w->type, w->table, column);
                return -1;
            }
            bound -= len ? 1 : 0;
            p += len;
        }
        if (bound != 0) {
            snprintf (err, err_size,
                      "projection table: %s writes %s: every key column (%s) "
                      "must be bound",
                      w->type, w->table, w->key);
            return -1;
        }
    }
    return 0;
}

char *jk_pwrite_sql (const jk_pwrite_t *w)
{
    s_text_t t = {0};
    char param[16];
    int n = 0;
    while (n < JK_PBIND_MAX && w->binds[n].column)
        n++;
    if (w->mode == JK_PWRITE_UPDATE) {
        s_add (&t, "UPDATE ");
        s_add (&t, w->table);
        s_add (&t, " SET ");
        bool first = true;
        for (int k = 0; k < n; k++) {
            const jk_pbind_t *b = &w->binds[k];
            if (s_in_list (w->key, b->column))
                continue;
            snprintf (param, sizeof param, "?%d", k + 1);
            s_add (&t, first ? "" : ", ");
            s_add (&t, b->column);
            s_add (&t, " = ");
            if (b->op == JK_POP_ADD) {
                s_add (&t, b->column);
                s_add (&t, " + ");
            }
            s_add (&t, param);
            first = false;
        }
        first = true;
        for (int k = 0; k < n; k++) {
            const jk_pbind_t *b = &w->binds[k];
            if (!s_in_list (w->key, b->column))
                continue;
            snprintf (param, sizeof param, "?%d", k + 1);
            s_add (&t, first ? " WHERE " : " AND ");
            s_add (&t, b->column);
            s_add (&t, " = ");
            s_add (&t, param);
            first = false;
        }
        return t.data;
    }
    s_add (&t, "INSERT INTO ");
    s_add (&t, w->table);
    s_add (&t, " (");
    for (int k = 0; k < n; k++) {
        s_add (&t, k ? ", " : "");
        s_add (&t, w->binds[k].column);
    }
    s_add (&t, ") VALUES (");
    for (int k = 0; k < n; k++) {
        snprintf (param, sizeof param, "%s?%d", k ? ", " : "", k + 1);
        s_add (&t, param);
    }
    s_add (&t, ")");
    if (w->mode == JK_PWRITE_UPSERT) {
        s_add (&t, " ON CONFLICT (");
        s_add (&t, w->key);
        s_add (&t, ") DO UPDATE SET ");
        bool first = true;
        for (int k = 0; k < n; k++) {
            const jk_pbind_t *b = &w->binds[k];
            if (s_in_list (w->key, b->column) || b->op == JK_POP_KEEP)
                continue;
            s_add (&t, first ? "" : ", ");
            s_add (&t, b->column);
            s_add (&t, " = ");
            if (b->op == JK_POP_ADD) {
                s_add (&t, b->column);
                s_add (&t, " + ");
            }
            s_add (&t, "excluded.");
            s_add (&t, b->column);
            first = false;
        }
    }
    return t.data;
}
