/* Whole at ~860 lines: one class; the table-driven apply and schema. */
/*  projections.c - the read models of SPEC 6: their schema (generated from
    projection_table.c, versions recorded in projection_meta), the object
    with its prepared statements, and the one apply path: apply and
    apply_rejection run the projection table's writes for the event's type
    between its hand-written before and after steps. The store, rebuild
    and the board's replica all apply records through it. Each event
    costs a few indexed statements; nothing here reads the wall clock. */
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

/* The SET clause of the enrollment updates: ?1 batch, ?3 hours added. */
#define ENROLLMENT_SET                                                         \
    " jp_attended = jp_attended + ?3,"                                         \
    " attendance_pct = (SELECT CASE WHEN b.jp_total > 0 THEN round (100.0 *"   \
    " (enrollments.jp_attended + ?3) / b.jp_total, 2) ELSE 0.0 END"            \
    " FROM batches b WHERE b.batch = ?1),"                                     \
    " eligible = (SELECT enrollments.withdrawn = 0 AND (b.jp_total > 0"        \
    " OR b.min_attendance_pct = 0) AND (enrollments.jp_attended + ?3) * 100"   \
    " >= b.min_attendance_pct * b.jp_total FROM batches b"                     \
    " WHERE b.batch = ?1)"

/* ENROLLMENT_SET with the batch's terms bound instead of looked up per
   row: ?4 jp_total, ?5 min_attendance_pct (the same arithmetic); the
   hours added are HOURS. */
#define ENROLLMENT_SET_TERMS(HOURS)                                            \
    " jp_attended = jp_attended + " HOURS ","                                  \
    " attendance_pct = CASE WHEN ?4 > 0 THEN round (100.0 *"                   \
    " (jp_attended + " HOURS ") / ?4, 2) ELSE 0.0 END,"                        \
    " eligible = (withdrawn = 0 AND (?4 > 0 OR ?5 = 0)"                        \
    " AND (jp_attended + " HOURS ") * 100 >= ?5 * ?4)"
#define ENROLLMENT_SET_BOUND ENROLLMENT_SET_TERMS ("?3")

/* The row of a warning (the binds of W_QUALITY_INSERT) unless a warning
   of its code (?5) is open on the subject that SUBJECT selects. */
#define QUALITY_INSERT_UNLESS_OPEN(SUBJECT)                                    \
    "INSERT INTO data_quality (pos, item, id, entity, code, field,"            \
    " message, nik, legal_number_norm)"                                        \
    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9"                               \
    " WHERE NOT EXISTS (SELECT 1 FROM data_quality WHERE " SUBJECT             \
    " AND code = ?5 AND resolved_pos IS NULL)"

/* The statements, indexed by jk_stmt_id_t. */
static const char *s_sql[STMT_COUNT] = {
    [Q_COOPERATIVE] = "SELECT registered_pos, kecamatan_code, status"
                      " FROM cooperatives WHERE legal_number_norm = ?1",
    [Q_RAT_YEARS] = "SELECT book_year FROM rat_meetings"
                    " WHERE legal_number_norm = ?1 ORDER BY book_year DESC",
    [Q_PERSON] = "SELECT kecamatan_code, enrollments, units_assessed,"
                 " competent, certificates FROM people WHERE nik = ?1",
    [Q_BATCH] = "SELECT start_date, end_date, class_size_max,"
                " min_attendance_pct, enrolled, closed, jp_total"
                " FROM batches WHERE batch = ?1",
    [Q_SESSION] = "SELECT date, starts, ends, jp FROM sessions"
                  " WHERE batch = ?1 AND session_no = ?2",
    [Q_ATTENDANCE_BY_ID] = "SELECT batch, session_no, nik, status, jp,"
                           " check_in, check_out FROM attendance"
                           " WHERE event_id = ?1",
    [Q_RESULT] = "SELECT verdict FROM assessment_results"
                 " WHERE assessment = ?1 AND nik = ?2",
    [Q_CERTIFICATE] = "SELECT nik, revoked, revoked_pos FROM certificates"
                      " WHERE number = ?1",
    [W_META_POS] = "UPDATE projection_meta SET value = ?1"
                   " WHERE key = 'last_pos'",
    [W_SOURCE] = "INSERT INTO sources (source, next_seq, accepted, rejected,"
                 " first_recorded_at, last_recorded_at, last_pos)"
                 " VALUES (?1, ?2 + 1, ?3, ?4, ?5, ?5, ?6)"
                 " ON CONFLICT (source) DO UPDATE SET"
                 " next_seq = max (next_seq, excluded.next_seq),"
                 " accepted = accepted + excluded.accepted,"
                 " rejected = rejected + excluded.rejected,"
                 " last_recorded_at = excluded.last_recorded_at,"
                 " last_pos = excluded.last_pos",
    /* W_SOURCE with a transaction's sum: ?2 highest seq, ?3 accepted, ?4
       rejected, ?5 first and ?6 last recorded_at, ?7 last position. */
    [W_SOURCE_FLUSH] = "INSERT INTO sources (source, next_seq, accepted,"
                       " rejected, first_recorded_at, last_recorded_at,"
                       " last_pos) VALUES (?1, ?2 + 1, ?3, ?4, ?5, ?6, ?7)"
                       " ON CONFLICT (source) DO UPDATE SET"
                       " next_seq = max (next_seq, excluded.next_seq),"
                       " accepted = accepted + excluded.accepted,"
                       " rejected = rejected + excluded.rejected,"
                       " last_recorded_at = excluded.last_recorded_at,"
                       " last_pos = excluded.last_pos",
    [W_KECAMATAN] = "UPDATE kecamatan_summary SET"
                    " cooperatives = cooperatives + ?2, people = people + ?3,"
                    " enrolled = enrolled + ?4, assessed = assessed + ?5,"
                    " competent = competent + ?6,"
                    " certificates = certificates + ?7"
                    " WHERE kecamatan_code = ?1",
    [W_PERSON_COUNTERS] = "UPDATE people SET enrollments = enrollments + ?2,"
                          " units_assessed = units_assessed + ?3,"
                          " competent = competent + ?4,"
                          " certificates = certificates + ?5"
                          " WHERE nik = ?1",
    [W_COOPERATIVE_UPDATE] =
        "UPDATE cooperatives SET name = coalesce (?2, name),"
        " form = coalesce (?3, form), kind = coalesce (?4, kind),"
        " pattern = coalesce (?5, pattern),"
        " desa_code = coalesce (?6, desa_code),"
        " kecamatan_code = coalesce (?7, kecamatan_code),"
        " address = coalesce (?8, address),"
        " nik_koperasi = coalesce (?9, nik_koperasi),"
        " members_male = coalesce (?10, members_male),"
        " members_female = coalesce (?11, members_female),"
        " members = coalesce (?10, members_male)"
        " + coalesce (?11, members_female), updated_pos = ?12"
        " WHERE legal_number_norm = ?1",
    /* ?5 RATs held since the row was last written, the latest at ?4
       (positions only grow: max keeps a later writer's position). */
    [W_COOPERATIVE_RAT] = "UPDATE cooperatives SET last_rat_year = ?2,"
                          " rat_count = rat_count + ?5, rat_streak = ?3,"
                          " updated_pos = max (updated_pos, ?4)"
                          " WHERE legal_number_norm = ?1",
    [W_PERSON_UPDATE] = "UPDATE people SET name = coalesce (?2, name),"
                        " sex = coalesce (?3, sex),"
                        " birth_date = coalesce (?4, birth_date),"
                        " desa_code = coalesce (?5, desa_code),"
                        " kecamatan_code = CASE WHEN ?5 IS NULL"
                        " THEN kecamatan_code ELSE ?6 END,"
                        " phone = coalesce (?7, phone),"
                        " cooperative = coalesce (?8, cooperative),"
                        " role = coalesce (?9, role),"
                        " corrections = corrections + 1, updated_pos = ?10"
                        " WHERE nik = ?1",
    [W_BATCH_COUNTERS] = "UPDATE batches SET enrolled = enrolled + ?2,"
                         " withdrawn = withdrawn + ?3,"
                         " sessions = sessions + ?4,"
                         " jp_total = jp_total + ?5 WHERE batch = ?1",
    [W_SESSION_COUNTERS] = "UPDATE sessions SET recorded = recorded + ?3,"
                           " present = present + ?4"
                           " WHERE batch = ?1 AND session_no = ?2",
    /* jp_attended += ?3 with attendance % and eligibility recomputed in
       the same statement from the batch's jp_total and min_attendance_pct
       (SET expressions see the old row; integer comparison, so rounding
       never decides). Correlated subqueries, not UPDATE ... FROM: that
       materialises a temporary table on every run. Used when the batch is
       unknown; otherwise the TERMS forms bind the batch's terms, read once
       (or cached), instead of two lookups per row. */
    [W_ENROLLMENT_PCT_ONE] = "UPDATE enrollments SET" ENROLLMENT_SET
                             " WHERE batch = ?1 AND nik = ?2",
    [W_ENROLLMENT_PCT_BATCH] =
        "UPDATE enrollments SET" ENROLLMENT_SET " WHERE batch = ?1",
    [W_ENROLLMENT_TERMS_ONE] = "UPDATE enrollments SET" ENROLLMENT_SET_BOUND
                               " WHERE batch = ?1 AND nik = ?2",
    [W_ENROLLMENT_TERMS_BATCH] =
        "UPDATE enrollments SET" ENROLLMENT_SET_BOUND " WHERE batch = ?1",
    /* W_ENROLLMENT_TERMS_BATCH with each row's pending hours (?2 the
       projections object, jk_proj_pending_jp_fn). */
    [W_ENROLLMENT_TERMS_PENDING] =
        "UPDATE enrollments SET" ENROLLMENT_SET_TERMS (
            "jk_pending_jp (?2, batch, nik)") " WHERE batch = ?1",
    [W_ATTENDANCE_CORRECT] = "UPDATE attendance SET status = ?2,"
                             " check_in = ?3, check_out = ?4, jp = ?5,"
                             " corrections = corrections + 1, last_pos = ?6,"
                             " last_reason = ?7 WHERE event_id = ?1",
    [W_UNIT_INSERT] = "INSERT INTO assessment_units (assessment, unit, title,"
                      " unit_index) VALUES (?1, ?2, ?3, ?4)",
    [W_ASSESSOR_INSERT] = "INSERT OR IGNORE INTO assessment_assessors"
                          " (assessment, assessor) VALUES (?1, ?2)",
    [W_CERTIFICATE_REVOKE] = "UPDATE certificates SET revoked = 1,"
                             " revoked_reason = ?2, revoked_pos = ?3"
                             " WHERE number = ?1",
    [W_REJECTION_INSERT] = "INSERT INTO rejections (pos, id, source, seq,"
                           " type, code, message, bytes, recorded_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [W_QUALITY_INSERT] = "INSERT INTO data_quality (pos, item, id, entity,"
                         " code, field, message, nik, legal_number_norm)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    /* W_QUALITY_INSERT of a warning with a subject: none while the same
       code is open on the same subject (found through the subject
       indexes, data_quality_person and data_quality_cooperative). */
    [W_QUALITY_INSERT_PERSON] = QUALITY_INSERT_UNLESS_OPEN ("nik = ?8"),
    [W_QUALITY_INSERT_COOPERATIVE] =
        QUALITY_INSERT_UNLESS_OPEN ("legal_number_norm = ?9"),
    [W_QUALITY_RESOLVE_PERSON] = "UPDATE data_quality SET resolved_pos = ?1,"
                                 " resolved_by = ?2 WHERE nik = ?3"
                                 " AND code = ?4 AND resolved_pos IS NULL",
    [W_QUALITY_RESOLVE_COOPERATIVE] =
        "UPDATE data_quality SET resolved_pos = ?1, resolved_by = ?2"
        " WHERE legal_number_norm = ?3 AND code = ?4"
        " AND resolved_pos IS NULL",
};

/* ---- migrations -----------------------------------------------------------
 */

static int s_schema_version (sqlite3 *db, int *version)
{
    sqlite3_stmt *stmt = NULL;
    *version = 0;
    int rc = sqlite3_prepare_v2 (db,
                                 "SELECT count(*) FROM sqlite_master WHERE"
                                 " type = 'table' AND name ="
                                 " 'projection_meta'",
                                 -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return -1;
    bool exists =
        sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) > 0;
    sqlite3_finalize (stmt);
    if (!exists)
        return 0;
    rc = sqlite3_prepare_v2 (db,
                             "SELECT value FROM projection_meta"
                             " WHERE key = 'schema_version'",
                             -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return -1;
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Migrations after the first, each bringing schema_version from i + 1 to
   i + 2 (ALTER TABLE ... for a column added to the projection table).
   A fresh database gets the whole generated schema at once and the
   latest version. */
static const char *const s_migrations[] = {
    /* 2: data-quality warnings get their subject and their resolution.
       Warnings of registrations learn their subject from the registered
       row; the others, and warnings already resolved by an earlier
       correction, need a rebuild (jejak-replay rebuild). */
    "ALTER TABLE data_quality ADD COLUMN nik TEXT;"
    "ALTER TABLE data_quality ADD COLUMN legal_number_norm TEXT;"
    "ALTER TABLE data_quality ADD COLUMN resolved_pos INTEGER;"
    "ALTER TABLE data_quality ADD COLUMN resolved_by TEXT;"
    "UPDATE data_quality SET nik = (SELECT p.nik FROM people p"
    " WHERE p.registered_pos = data_quality.pos)"
    " WHERE code LIKE 'W_NIK_%' AND code <> 'W_NIK_KOPERASI_PREFIX';"
    "UPDATE data_quality SET legal_number_norm = (SELECT c.legal_number_norm"
    " FROM cooperatives c WHERE c.registered_pos = data_quality.pos)"
    " WHERE code IN ('W_LEGAL_NUMBER_FORMAT', 'W_NIK_KOPERASI_PREFIX');"
    "CREATE INDEX data_quality_person ON data_quality (nik, code)"
    " WHERE nik IS NOT NULL;"
    "CREATE INDEX data_quality_cooperative"
    " ON data_quality (legal_number_norm, code)"
    " WHERE legal_number_norm IS NOT NULL",
    /* 3: at most one open warning per code and subject. Older code added
       a row for every event that raised the warning again (each
       correction of a person whose NIK's province is unknown, each of
       their enrolments and attendances ...); the rows it keeps are the
       ones the apply writes now: a row goes when an earlier row of its
       code and subject was still open at its position. */
    "DELETE FROM data_quality WHERE nik IS NOT NULL AND EXISTS (SELECT 1"
    " FROM data_quality d WHERE d.nik = data_quality.nik"
    " AND d.code = data_quality.code AND d.pos < data_quality.pos"
    " AND (d.resolved_pos IS NULL OR d.resolved_pos > data_quality.pos));"
    "DELETE FROM data_quality WHERE legal_number_norm IS NOT NULL"
    " AND EXISTS (SELECT 1 FROM data_quality d"
    " WHERE d.legal_number_norm = data_quality.legal_number_norm"
    " AND d.code = data_quality.code AND d.pos < data_quality.pos"
    " AND (d.resolved_pos IS NULL OR d.resolved_pos > data_quality.pos))",
};
#define MIGRATIONS 3 /* schema_version of the generated schema */

/* Runs sql and sets schema_version to version in one savepoint. */
static int s_migrate_step (sqlite3 *db, const char *body, int version,
                           char *err, size_t err_size)
{
    char *message = NULL;
    char *sql = jk_sprintf ("SAVEPOINT projections_migrate; %s;"
                            "INSERT INTO projection_meta VALUES"
                            " ('schema_version', %d) ON CONFLICT (key)"
                            " DO UPDATE SET value = excluded.value;"
                            "RELEASE projections_migrate;",
                            body, version);
    int rc = sqlite3_exec (db, sql, NULL, NULL, &message);
    free (sql);
    if (rc == SQLITE_OK)
        return 0;
    snprintf (err, err_size, "projections: migration %d: %s", version,
              message ? message : sqlite3_errmsg (db));
    sqlite3_free (message);
    sqlite3_exec (db,
                  "ROLLBACK TO projections_migrate;"
                  "RELEASE projections_migrate;",
                  NULL, NULL, NULL);
    return -1;
}

int jk_projections_migrate (sqlite3 *db, char *err, size_t err_size)
{
    assert (db);
    int version;
    if (s_schema_version (db, &version)) {
        snprintf (err, err_size, "projections: reading schema_version: %s",
                  sqlite3_errmsg (db));
        return -1;
    }
    if (version > MIGRATIONS) {
        snprintf (err, err_size,
                  "projections: database schema_version %d is newer than "
                  "this program (%d); upgrade Jejak",
                  version, MIGRATIONS);
        return -1;
    }
    if (version == 0) {
        char *ddl = jk_ptable_ddl ();
        int rc = s_migrate_step (db, ddl, MIGRATIONS, err, err_size);
        free (ddl);
        return rc;
    }
    for (int step = version; step < MIGRATIONS; step++) {
        const char *body = s_migrations[step - 1];
        if (!body) {
            snprintf (err, err_size, "projections: no migration %d", step + 1);
            return -1;
        }
        if (s_migrate_step (db, body, step + 1, err, err_size))
            return -1;
    }
    return 0;
}

/* ---- the object --------------------------------------------------------- */

/* Adds a kecamatan_summary row for every kecamatan of the reference data,
   so counters only ever update existing rows. */
static int s_seed_kecamatan (jk_projections_t *self, char *err, size_t err_size)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (self->db,
                                 "INSERT OR IGNORE INTO kecamatan_summary"
                                 " (kecamatan_code, name) VALUES (?1, ?2)",
                                 -1, &stmt, NULL);
    for (size_t i = 0;
         rc == SQLITE_OK && i < jk_region_kecamatan_count (self->region); i++) {
        const char *name;
        const char *code = jk_region_kecamatan_at (self->region, i, &name);
        sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
        rc = sqlite3_step (stmt) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset (stmt);
    }
    if (rc != SQLITE_OK)
        snprintf (err, err_size, "projections: seeding kecamatan: %s",
                  sqlite3_errmsg (self->db));
    sqlite3_finalize (stmt);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Tables whose inserted rows may be held until the flush
   (jk_proj_held_t), with the counter columns the flush then writes in
   the same INSERT, in the order of the counters' pending deltas. */
static const struct {
    const char *table;
    const char *counters[4];
} s_held[] = {
    {"people", {"enrollments", "units_assessed", "competent", "certificates"}},
    {"cooperatives", {"last_rat_year", "rat_count", "rat_streak"}},
};

/* Prepares row->held_stmt when the row's write is an insert into a table
   of s_held without a derive: its INSERT with the counter columns after
   its own binds. 0 or -1 with err. */
static int s_plan_held (jk_projections_t *self, jk_prow_t *row, char *err,
                        size_t err_size)
{
    const jk_pwrite_t *w = row->write;
    for (size_t i = 0;
         w->mode == JK_PWRITE_INSERT && i < sizeof s_held / sizeof s_held[0];
         i++) {
        if (!streq (s_held[i].table, w->table))
            continue;
        jk_pwrite_t held = *w;
        int n = row->binds;
        for (int k = 0; k < n; k++)
            if (w->binds[k].src == JK_PSRC_DERIVE)
                return 0;
        for (int c = 0; c < 4 && s_held[i].counters[c]; c++) {
            if (n >= JK_PBIND_MAX)
                return 0;
            held.binds[n++] = (jk_pbind_t){
                s_held[i].counters[c], JK_PSRC_INT, NULL, NULL, 0, JK_POP_SET};
        }
        char *sql = jk_pwrite_sql (&held);
        int rc =
            sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                &row->held_stmt, NULL);
        free (sql);
        if (rc != SQLITE_OK) {
            snprintf (err, err_size, "projections: %s holding %s: %s", w->type,
                      w->table, sqlite3_errmsg (self->db));
            return -1;
        }
    }
    return 0;
}

/* Resolves the writes against the vocabulary and prepares their
   statements, grouped by type in vocabulary order. 0 or -1 with err. */
static int s_plan (jk_projections_t *self, const jk_pwrite_t *writes,
                   size_t count, char *err, size_t err_size)
{
    if (jk_pwrites_check (writes, count, err, err_size))
        return -1;
    size_t types = jk_vocabulary_count ();
    self->rows = jk_calloc (count ? count : 1, sizeof *self->rows);
    self->row_first = jk_calloc (types + 1, sizeof *self->row_first);
    self->resolves = jk_calloc (types, sizeof *self->resolves);
    size_t rules_count;
    const jk_pwarning_t *rules = jk_pwarnings (&rules_count);
    for (size_t i = 0; i < rules_count; i++)
        for (size_t t = 0; rules[i].resolved_by && t < types; t++)
            if (streq (rules[i].resolved_by, jk_vocabulary_at (t)->name))
                self->resolves[t] = true;
    for (size_t t = 0; t < types; t++) {
        const jk_type_t *type = jk_vocabulary_at (t);
        self->row_first[t] = self->row_count;
        for (size_t i = 0; i < count; i++) {
            if (strcmp (writes[i].type, type->name) != 0)
                continue;
            jk_prow_t *row = &self->rows[self->row_count++];
            row->write = &writes[i];
            row->enrollments = streq (writes[i].table, "enrollments");
            for (int k = 0; k < JK_PBIND_MAX && writes[i].binds[k].column;
                 k++) {
                const jk_pbind_t *b = &writes[i].binds[k];
                row->field[k] =
                    (int8_t)(b->field ? jk_type_field (type, b->field,
                                                       strlen (b->field))
                                      : -1);
                row->field2[k] =
                    (int8_t)(b->field2 ? jk_type_field (type, b->field2,
                                                        strlen (b->field2))
                                       : -1);
                row->binds = k + 1;
            }
            char *sql = jk_pwrite_sql (&writes[i]);
            int rc = sqlite3_prepare_v3 (
                self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &row->stmt, NULL);
            if (rc != SQLITE_OK) {
                snprintf (err, err_size,
                          "projections: %s writing %s: %s (is the database "
                          "migrated?)",
                          writes[i].type, writes[i].table,
                          sqlite3_errmsg (self->db));
                free (sql);
                return -1;
            }
            free (sql);
            if (s_plan_held (self, row, err, err_size))
                return -1;
        }
    }
    self->row_first[types] = self->row_count;
    return 0;
}

jk_projections_t *jk_projections_new (sqlite3 *db,
                                      const jk_projections_config_t *config,
                                      char *err, size_t err_size)
{
    size_t count;
    const jk_pwrite_t *writes = jk_pwrites (&count);
    return jk_projections_new_with (db, config, writes, count, err, err_size);
}

jk_projections_t *
jk_projections_new_with (sqlite3 *db, const jk_projections_config_t *config,
                         const jk_pwrite_t *writes, size_t write_count,
                         char *err, size_t err_size)
{
    assert (db);
    if (jk_proj_rules_check (err, err_size) ||
        jk_proj_apply_check (err, err_size) ||
        jk_pwarnings_check (err, err_size))
        return NULL;
    jk_projections_t *self = jk_calloc (1, sizeof *self);
    self->db = db;
    self->config.rat_deadline_months = 6;
    if (config && config->rat_deadline_months > 0)
        self->config = *config;
    self->region = jk_region_default ();
    /* Keyed by text, each entry one block with its key (jk_map.h). Where
       an entry sits moves only the order of a flush's statements: every
       flush writes each key's row by itself, so no row depends on it. */
    jk_model_map_t **maps[] = {
        &self->pending_sources,  &self->pending_kecamatan,
        &self->pending_sessions, &self->pending_enrollments,
        &self->pending_batches,  &self->batch_terms,
        &self->session_jp};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        *maps[i] = jk_model_map_inline (jk_proj_item_free);
    self->pending_people = jk_model_map_inline (jk_proj_person_delta_free);
    self->pending_rats = jk_model_map_inline (jk_proj_rat_delta_free);
    /* Statements find the object by a pointer bound to them: the
       function serves every projections object on the connection. */
    sqlite3_create_function_v2 (db, "jk_pending_jp", 3,
                                SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                jk_proj_pending_jp_fn, NULL, NULL, NULL);
    for (int i = 0; i < STMT_COUNT; i++) {
        assert (s_sql[i]);
        if (sqlite3_prepare_v3 (db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &self->stmt[i], NULL) != SQLITE_OK) {
            snprintf (err, err_size,
                      "projections: preparing statement %d: "
                      "%s (is the database migrated?)",
                      i, sqlite3_errmsg (db));
            jk_projections_destroy (&self);
            return NULL;
        }
    }
    if (s_plan (self, writes, write_count, err, err_size) ||
        s_seed_kecamatan (self, err, err_size))
        jk_projections_destroy (&self);
    return self;
}

void jk_projections_destroy (jk_projections_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_projections_t *self = *self_p;
    if (self->deferred && (jk_model_map_size (self->pending_sources) ||
                           jk_model_map_size (self->pending_kecamatan) ||
                           jk_model_map_size (self->pending_sessions) ||
                           jk_model_map_size (self->pending_people) ||
                           jk_model_map_size (self->pending_enrollments) ||
                           jk_model_map_size (self->pending_batches) ||
                           jk_model_map_size (self->pending_rats)))
        jk_warn (LOG, "destroyed with counters not flushed: they are lost");
    jk_model_map_destroy (&self->pending_sources);
    jk_model_map_destroy (&self->pending_kecamatan);
    jk_model_map_destroy (&self->pending_sessions);
    jk_model_map_destroy (&self->pending_people);
    jk_model_map_destroy (&self->pending_enrollments);
    jk_model_map_destroy (&self->pending_batches);
    jk_model_map_destroy (&self->pending_rats);
    jk_model_map_destroy (&self->batch_terms);
    jk_model_map_destroy (&self->session_jp);
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize (self->stmt[i]);
    for (size_t i = 0; i < self->row_count; i++) {
        sqlite3_finalize (self->rows[i].stmt);
        sqlite3_finalize (self->rows[i].held_stmt);
    }
    free (self->held);
    jk_model_destroy (&self->model);
    free (self->rows);
    free (self->row_first);
    free (self->resolves);
    free (self);
    *self_p = NULL;
}

/* The hand-written steps of each type around its table rows, in
   vocabulary order. A type without a before step and without rows is
   written by its after step alone. */
static const struct {
    const char *type;
    jk_proj_step_fn *before;
    jk_proj_step_fn *after;
} s_steps[] = {
    {"cooperative.registered", NULL, jk_proj_cooperative_registered_after},
    {"cooperative.updated", NULL, jk_proj_cooperative_updated},
    {"cooperative.rat_held", NULL, jk_proj_rat_held_after},
    {"cooperative.status_declared", jk_proj_cooperative_status_before, NULL},
    {"person.registered", NULL, jk_proj_person_registered_after},
    {"person.corrected", NULL, jk_proj_person_corrected},
    {"training.batch_scheduled", NULL, NULL},
    {"training.session_scheduled", NULL, jk_proj_session_scheduled_after},
    {"training.participant_enrolled", NULL, jk_proj_participant_enrolled_after},
    {"training.participant_withdrawn", NULL,
     jk_proj_participant_withdrawn_after},
    {"attendance.recorded", NULL, jk_proj_attendance_recorded_after},
    {"attendance.corrected", NULL, jk_proj_attendance_corrected},
    {"training.batch_closed", NULL, NULL},
    {"assessment.scheduled", NULL, jk_proj_assessment_scheduled_after},
    {"assessment.unit_assessed", NULL, jk_proj_unit_assessed_after},
    {"assessment.decided", jk_proj_decided_before, jk_proj_decided_after},
    {"certificate.issued", NULL, jk_proj_certificate_issued_after},
    {"certificate.revoked", NULL, jk_proj_certificate_revoked},
};

/* Binds parameter index of st by a derive function of the table. */
static int s_bind_derive (jk_projections_t *self, jk_pderive_t fn,
                          const jk_event_t *ev, int f, int f2, sqlite3_stmt *st,
                          int index)
{
    switch (fn) {
        case JK_PDERIVE_RAT_DEADLINE:
        case JK_PDERIVE_RAT_LATE:
        case JK_PDERIVE_RAT_DAYS_LATE:
            jk_proj_derive_rat (self, fn, ev, f, f2, st, index);
            break;
        case JK_PDERIVE_ATTENDANCE_JP:
            return jk_proj_derive_attendance_jp (self, ev, f, st, index);
        case JK_PDERIVE_VALID_UNTIL:
            jk_proj_derive_valid_until (ev, f, f2, st, index);
            break;
        case JK_PDERIVE_METHODS:
            jk_proj_derive_methods (ev, f, st, index);
            break;
    }
    return JK_OK;
}

/* Where s_bind puts a value: into the row's statement, or copied into a
   held row (texts into buf, which holds cap bytes; overflow when they do
   not fit, and the row is then written through). */
typedef struct {
    sqlite3_stmt *st;
    jk_proj_held_t *held;
    char *buf;
    size_t used, cap;
    bool overflow;
} s_sink_t;

static void s_put_int (s_sink_t *sink, int index, int64_t n)
{
    if (!sink->held) {
        sqlite3_bind_int64 (sink->st, index, n);
        return;
    }
    sink->held->type[index - 1] = SQLITE_INTEGER;
    sink->held->n[index - 1] = n;
}

static void s_put_null (s_sink_t *sink, int index)
{
    if (!sink->held) {
        sqlite3_bind_null (sink->st, index);
        return;
    }
    sink->held->type[index - 1] = SQLITE_NULL;
}

/* A text (len -1: up to its NUL) or a blob; transient says that the bytes
   do not outlive the call (a statement copies them). */
static void s_put_bytes (s_sink_t *sink, int index, int type, const void *ptr,
                         int len, bool transient)
{
    if (!sink->held) {
        if (type == SQLITE_TEXT)
            sqlite3_bind_text (sink->st, index, ptr, len,
                               transient ? SQLITE_TRANSIENT : SQLITE_STATIC);
        else
            sqlite3_bind_blob (sink->st, index, ptr, len,
                               transient ? SQLITE_TRANSIENT : SQLITE_STATIC);
        return;
    }
    size_t n = len < 0 ? strlen (ptr) : (size_t)len;
    if (n > sink->cap - sink->used) {
        sink->overflow = true;
        return;
    }
    memcpy (sink->buf + sink->used, ptr, n);
    sink->held->type[index - 1] = (uint8_t)type;
    sink->held->n[index - 1] = (int64_t)sink->used;
    sink->held->len[index - 1] = (uint32_t)n;
    sink->used += n;
}

/* Binds parameter k + 1 of a resolved write from the event. JK_OK, or
   JK_IO when a derive function's read failed. A held row has no derive
   (s_plan). */
static int s_bind (jk_projections_t *self, s_sink_t *sink, const jk_prow_t *row,
                   int k, const jk_event_t *ev, const jk_applied_t *ap)
{
    sqlite3_stmt *st = row->stmt;
    const jk_pbind_t *b = &row->write->binds[k];
    int f = row->field[k], f2 = row->field2[k], index = k + 1;
    const jk_value_t *v = f >= 0 ? &ev->body[f] : NULL;
    char norm[JK_PROJ_LEGAL_MAX];
    switch (b->src) {
        case JK_PSRC_FIELD_OR:
            if (!v->present) {
                s_put_int (sink, index, b->value);
                break;
            }
            /* fall through */
        case JK_PSRC_FIELD:
            if (!v->present)
                s_put_null (sink, index);
            else if (ev->type->fields[f].kind == JK_KIND_UINT ||
                     ev->type->fields[f].kind == JK_KIND_BOOL)
                s_put_int (sink, index, v->n);
            else
                s_put_bytes (sink, index, SQLITE_TEXT, v->s.ptr, (int)v->s.len,
                             false);
            break;
        case JK_PSRC_POS:
            s_put_int (sink, index, (int64_t)ap->pos);
            break;
        case JK_PSRC_AT:
            s_put_int (sink, index, ev->at);
            break;
        case JK_PSRC_INT:
            s_put_int (sink, index, b->value);
            break;
        case JK_PSRC_NULL:
            s_put_null (sink, index);
            break;
        case JK_PSRC_LEGAL_NORM:
        case JK_PSRC_LEGAL_CLASS: {
            if (!v->present && b->src == JK_PSRC_LEGAL_NORM &&
                !(ev->type->fields[f].required)) {
                s_put_null (sink, index);
                break;
            }
            jk_legal_class_t cls = jk_legal_number_normalise (
                v->present ? v->s.ptr : "", v->present ? v->s.len : 0, norm,
                sizeof norm);
            if (b->src == JK_PSRC_LEGAL_NORM)
                s_put_bytes (sink, index, SQLITE_TEXT, norm, -1, true);
            else
                s_put_bytes (sink, index, SQLITE_TEXT,
                             jk_legal_class_name (cls), -1, false);
            break;
        }
        case JK_PSRC_KECAMATAN: {
            const char *kecamatan = jk_proj_kecamatan_of (
                self, v->present ? v->s : (jk_str_t){NULL, 0});
            if (kecamatan)
                s_put_bytes (sink, index, SQLITE_TEXT, kecamatan, -1, false);
            else
                s_put_null (sink, index);
            break;
        }
        case JK_PSRC_SUM:
            if (!v->present || !ev->body[f2].present)
                s_put_null (sink, index);
            else
                s_put_int (sink, index, v->n + ev->body[f2].n);
            break;
        case JK_PSRC_COUNT:
            s_put_int (sink, index, (int64_t)v->count);
            break;
        case JK_PSRC_EVENT_ID:
            s_put_bytes (sink, index, SQLITE_BLOB, ev->id, 16, false);
            break;
        case JK_PSRC_DERIVE:
            assert (!sink->held);
            CHECK (s_bind_derive (self, (jk_pderive_t)b->value, ev, f, f2, st,
                                  index));
            break;
    }
    return JK_OK;
}

/* Holds a row of a write that may be held (deferred mode without a
   model, no row held already): its values copied into self->held, for
   the type's after step to take. False when it is written through. */
static bool s_hold (jk_projections_t *self, const jk_prow_t *row,
                    const jk_event_t *ev, const jk_applied_t *ap)
{
    if (!row->held_stmt || !self->deferred || self->model || self->held)
        return false;
    jk_proj_held_t head;
    memset (&head, 0, sizeof head);
    char text[1024];
    s_sink_t sink = {.held = &head, .buf = text, .cap = sizeof text};
    for (int k = 0; k < row->binds; k++)
        if (s_bind (self, &sink, row, k, ev, ap) != JK_OK)
            return false; /* never: a held row has no derive */
    if (sink.overflow)
        return false;
    jk_proj_held_t *held = jk_calloc (1, sizeof *held + sink.used);
    *held = head;
    held->row = row;
    memcpy (held->text, text, sink.used);
    self->held = held;
    return true;
}

/* Binds one resolved write's parameters from the event and runs it, or
   holds its row (s_hold). */
static int s_row (jk_projections_t *self, const jk_prow_t *row,
                  const jk_event_t *ev, const jk_applied_t *ap)
{
    if (s_hold (self, row, ev, ap))
        return JK_OK;
    sqlite3_stmt *st = row->stmt;
    s_sink_t sink = {.st = st};
    for (int k = 0; k < row->binds; k++)
        CHECK (s_bind (self, &sink, row, k, ev, ap));
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    if (rc == SQLITE_DONE)
        return JK_OK;
    jk_error (LOG, "%s writing %s failed: %s", row->write->type,
              row->write->table, sqlite3_errmsg (self->db));
    return JK_IO;
}

/* Natural key of an event's subject for data_quality.entity: the type's
   first body field ("legal_number", "nik", "batch" ...), NIK masked. */
static void s_entity (const jk_event_t *ev, char *out, size_t size)
{
    const jk_type_t *type = ev->type;
    const char *noun = type->name;
    const char *dot = strchr (noun, '.');
    int noun_len = dot ? (int)(dot - noun) : (int)strlen (noun);
    if (type->field_count == 0 || !ev->body[0].present ||
        type->fields[0].kind != JK_KIND_STR) {
        snprintf (out, size, "%.*s", noun_len, noun);
        return;
    }
    jk_str_t key = ev->body[0].s;
    char masked[17];
    if (type->fields[0].format == JK_FORMAT_NIK) {
        jk_nik_mask (key.ptr, key.len, masked);
        key = jk_str_of (masked);
    }
    snprintf (out, size, "%.*s %.*s", noun_len, noun, (int)key.len, key.ptr);
}

/* The subject of a warning (or of a correction, path NULL) in ev: for a
   person the NIK field the warning is on ("body.nik"), else the type's
   first NIK field; for a cooperative its first legal-number field,
   normalised into norm. {NULL, 0} when the event has none. */
static jk_str_t s_subject (const jk_event_t *ev, jk_psubject_t subject,
                           const char *path, char *norm, size_t norm_size)
{
    const jk_type_t *type = ev->type;
    jk_format_t format =
        subject == JK_PSUBJECT_PERSON ? JK_FORMAT_NIK : JK_FORMAT_LEGAL_NUMBER;
    if (subject == JK_PSUBJECT_NONE)
        return (jk_str_t){NULL, 0};
    int at = -1;
    if (path && strncmp (path, "body.", 5) == 0) {
        int f = jk_type_field (type, path + 5, strlen (path + 5));
        if (f >= 0 && type->fields[f].format == format)
            at = f;
    }
    for (int f = 0; at < 0 && f < (int)type->field_count; f++)
        if (type->fields[f].format == format && ev->body[f].present)
            at = f;
    if (at < 0 || !ev->body[at].present)
        return (jk_str_t){NULL, 0};
    if (subject == JK_PSUBJECT_PERSON)
        return ev->body[at].s;
    jk_legal_number_normalise (ev->body[at].s.ptr, ev->body[at].s.len, norm,
                               norm_size);
    return jk_str_of (norm);
}

/* Binds a subject to index: text, or NULL. */
static void s_bind_subject (sqlite3_stmt *st, int index, jk_str_t subject)
{
    if (subject.ptr)
        sqlite3_bind_text (st, index, subject.ptr, (int)subject.len,
                           SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (st, index);
}

/* Whether the event raised a warning with code. */
static bool s_raised (const jk_applied_t *ap, const char *code)
{
    for (int i = 0; ap->warnings && i < ap->warnings->warning_count; i++)
        if (strcmp (ap->warnings->warnings[i].code, code) == 0)
            return true;
    return false;
}

/* A correction resolves the open warnings whose cause it removes: those
   of the warning table's codes that this type and field resolve, on the
   same subject, when the correction did not raise the code itself. */
static int s_resolve (jk_projections_t *self, const jk_event_t *ev,
                      const jk_applied_t *ap)
{
    size_t count;
    const jk_pwarning_t *rules = jk_pwarnings (&count);
    for (size_t i = 0; i < count; i++) {
        const jk_pwarning_t *rule = &rules[i];
        if (!rule->resolved_by || strcmp (rule->resolved_by, ev->type->name))
            continue;
        int f = jk_type_field (ev->type, rule->field, strlen (rule->field));
        if (f < 0 || !ev->body[f].present || s_raised (ap, rule->code))
            continue;
        char norm[JK_PROJ_LEGAL_MAX];
        jk_str_t subject =
            s_subject (ev, rule->subject, NULL, norm, sizeof norm);
        if (!subject.ptr)
            continue;
        jk_stmt_id_t id = rule->subject == JK_PSUBJECT_PERSON
                              ? W_QUALITY_RESOLVE_PERSON
                              : W_QUALITY_RESOLVE_COOPERATIVE;
        sqlite3_stmt *st = STMT (id);
        sqlite3_bind_int64 (st, 1, (int64_t)ap->pos);
        sqlite3_bind_text (st, 2, ev->actor.ptr, (int)ev->actor.len,
                           SQLITE_STATIC);
        s_bind_subject (st, 3, subject);
        sqlite3_bind_text (st, 4, rule->code, -1, SQLITE_STATIC);
        CHECK (jk_proj_exec (self, id));
    }
    return JK_OK;
}

/* The event's warnings into data_quality, at most one open per code and
   subject: a warning whose code is still open on its person or
   cooperative (a correction that keeps the cause, an enrolment of a
   person whose NIK's province is unknown) adds no row; the open one
   stands. A warning without a subject is always written. */
static int s_warnings (jk_projections_t *self, const jk_event_t *ev,
                       const jk_applied_t *ap)
{
    if (!ap->warnings || ap->warnings->warning_count == 0)
        return JK_OK;
    char entity[160];
    s_entity (ev, entity, sizeof entity);
    for (int i = 0; i < ap->warnings->warning_count; i++) {
        const jk_problem_t *w = &ap->warnings->warnings[i];
        const jk_pwarning_t *rule = jk_pwarning_find (w->code);
        jk_psubject_t kind = rule ? rule->subject : JK_PSUBJECT_NONE;
        char norm[JK_PROJ_LEGAL_MAX];
        jk_str_t subject = s_subject (ev, kind, w->field, norm, sizeof norm);
        jk_stmt_id_t id = !subject.ptr ? W_QUALITY_INSERT
                          : kind == JK_PSUBJECT_PERSON
                              ? W_QUALITY_INSERT_PERSON
                              : W_QUALITY_INSERT_COOPERATIVE;
        sqlite3_stmt *st = STMT (id);
        s_bind_subject (st, kind == JK_PSUBJECT_PERSON ? 8 : 9, subject);
        sqlite3_bind_null (st, kind == JK_PSUBJECT_PERSON ? 9 : 8);
        sqlite3_bind_int64 (st, 1, (int64_t)ap->pos);
        sqlite3_bind_int (st, 2, i + 1);
        sqlite3_bind_blob (st, 3, ev->id, 16, SQLITE_STATIC);
        sqlite3_bind_text (st, 4, entity, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 5, w->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 6, w->field, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 7, w->message, -1, SQLITE_STATIC);
        CHECK (jk_proj_exec (self, id));
    }
    return JK_OK;
}

int jk_proj_apply_check (char *err, size_t err_size)
{
    size_t n = sizeof s_steps / sizeof s_steps[0];
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        if (i >= n || strcmp (s_steps[i].type, jk_vocabulary_at (i)->name)) {
            snprintf (err, err_size,
                      "projections: no apply entry for %s at position %zu",
                      jk_vocabulary_at (i)->name, i);
            return -1;
        }
    return 0;
}

int jk_projections_apply (jk_projections_t *self, const jk_event_t *event,
                          const jk_applied_t *applied)
{
    assert (self && event && applied);
    int index = jk_vocabulary_index (event->type);
    if (index < 0) {
        jk_error (LOG, "no projection for type %s v%u", event->type->name,
                  event->type->version);
        return JK_INVALID;
    }
    if (self->model)
        jk_model_apply (self->model, event, applied->pos);
    if (s_steps[index].before)
        CHECK (s_steps[index].before (self, event, applied));
    /* A row's pending attendance hours reach enrollments before the row
       itself changes (an enrolment, a withdrawal: keyed by batch, nik). */
    for (size_t r = self->row_first[index];
         r < self->row_first[index + 1] &&
         jk_model_map_size (self->pending_enrollments);
         r++)
        if (self->rows[r].enrollments)
            CHECK (jk_proj_enrollment_flush (self,
                                             jk_proj_text (event, "batch"),
                                             jk_proj_text (event, "nik")));
    for (size_t r = self->row_first[index]; r < self->row_first[index + 1]; r++)
        CHECK (s_row (self, &self->rows[r], event, applied));
    if (s_steps[index].after)
        CHECK (s_steps[index].after (self, event, applied));
    if (self->held) /* held, and no step took it: written now */
        CHECK (jk_proj_held_write (self, &self->held, NULL, 0));
    if (self->resolves[index])
        CHECK (s_resolve (self, event, applied));
    CHECK (s_warnings (self, event, applied));
    if (self->model) /* the tables now hold this event's rows */
        jk_model_written (self->model, applied->pos);
    return jk_proj_progress (self, event->source.ptr, (int)event->source.len,
                             event->seq, true, applied);
}

int jk_projections_apply_rejection (jk_projections_t *self,
                                    const jk_envelope_t *envelope,
                                    const jk_event_t *event, const char *code,
                                    const char *message,
                                    const jk_applied_t *applied)
{
    assert (self && code && message && applied);
    const uint8_t *id = event ? event->id : envelope ? envelope->id : NULL;
    const char *source = NULL;
    int source_len = 0;
    uint64_t seq = 0;
    const char *type = NULL;
    if (event) {
        source = event->source.ptr;
        source_len = (int)event->source.len;
        seq = event->seq;
        type = event->type->name;
    } else if (envelope) {
        source = envelope->source;
        source_len = (int)strlen (envelope->source);
        seq = envelope->seq;
        type = envelope->type[0] ? envelope->type : NULL;
    }
    sqlite3_stmt *st = STMT (W_REJECTION_INSERT);
    sqlite3_bind_int64 (st, 1, (int64_t)applied->pos);
    if (id)
        sqlite3_bind_blob (st, 2, id, 16, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 2);
    if (source_len > 0)
        sqlite3_bind_text (st, 3, source, source_len, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 3);
    if (source_len > 0)
        sqlite3_bind_int64 (st, 4, (int64_t)seq);
    else
        sqlite3_bind_null (st, 4);
    if (type)
        sqlite3_bind_text (st, 5, type, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 5);
    sqlite3_bind_text (st, 6, code, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 7, message, -1, SQLITE_STATIC);
    if (applied->bytes)
        sqlite3_bind_blob (st, 8, applied->bytes, (int)applied->size,
                           SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 8);
    sqlite3_bind_int64 (st, 9, applied->recorded_at);
    CHECK (jk_proj_exec (self, W_REJECTION_INSERT));
    return jk_proj_progress (self, source, source_len, seq, false, applied);
}
