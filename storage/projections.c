/*  projections.c - the read models of SPEC 6: their tables (numbered
    migrations recorded in projection_meta), the prepared statements, and
    apply / apply_rejection, which the store calls inside its write
    transaction and rebuild calls for every record of a log. Each event
    costs a few indexed statements; nothing here reads the wall clock. */
#include "projections_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "projections"

/* ---- schema ----------------------------------------------------------------
   Migrations are applied in order; projection_meta.schema_version records
   how many ran. The log keeps PRAGMA user_version for itself. */
static const char *const s_migration_1[] = {
    "CREATE TABLE projection_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "INSERT INTO projection_meta VALUES ('last_pos', 0);",
    "CREATE TABLE cooperatives ("
    " legal_number_norm TEXT PRIMARY KEY, legal_number TEXT NOT NULL,"
    " legal_class TEXT NOT NULL, legal_date TEXT NOT NULL, name TEXT NOT NULL,"
    " form TEXT NOT NULL, kind TEXT NOT NULL, pattern TEXT NOT NULL,"
    " desa_code TEXT NOT NULL, kecamatan_code TEXT, address TEXT,"
    " nik_koperasi TEXT, members_male INTEGER NOT NULL,"
    " members_female INTEGER NOT NULL, members INTEGER NOT NULL,"
    " registered_pos INTEGER NOT NULL, registered_at INTEGER NOT NULL,"
    " updated_pos INTEGER NOT NULL, last_rat_year INTEGER,"
    " rat_count INTEGER NOT NULL DEFAULT 0,"
    " rat_streak INTEGER NOT NULL DEFAULT 0, status TEXT, status_basis TEXT,"
    " status_on TEXT, status_pos INTEGER) WITHOUT ROWID;"
    "CREATE INDEX cooperatives_kecamatan ON cooperatives (kecamatan_code);",
    "CREATE TABLE cooperative_statuses ("
    " legal_number_norm TEXT NOT NULL, pos INTEGER NOT NULL,"
    " status TEXT NOT NULL, basis TEXT, on_date TEXT NOT NULL,"
    " PRIMARY KEY (legal_number_norm, pos)) WITHOUT ROWID;"
    "CREATE INDEX cooperative_statuses_on"
    " ON cooperative_statuses (legal_number_norm, on_date);",
    "CREATE TABLE rat_meetings ("
    " legal_number_norm TEXT NOT NULL, book_year INTEGER NOT NULL,"
    " held_on TEXT NOT NULL, members_present INTEGER NOT NULL,"
    " quorum_met INTEGER NOT NULL, deadline TEXT NOT NULL,"
    " late INTEGER NOT NULL, days_late INTEGER NOT NULL, pos INTEGER NOT NULL,"
    " PRIMARY KEY (legal_number_norm, book_year)) WITHOUT ROWID;"
    "CREATE INDEX rat_meetings_year ON rat_meetings (book_year, held_on);",
    "CREATE TABLE people ("
    " nik TEXT PRIMARY KEY, name TEXT NOT NULL, sex TEXT NOT NULL,"
    " birth_date TEXT NOT NULL, desa_code TEXT NOT NULL, kecamatan_code TEXT,"
    " phone TEXT, cooperative TEXT, role TEXT,"
    " registered_pos INTEGER NOT NULL, corrections INTEGER NOT NULL DEFAULT 0,"
    " updated_pos INTEGER NOT NULL,"
    " enrollments INTEGER NOT NULL DEFAULT 0,"
    " units_assessed INTEGER NOT NULL DEFAULT 0,"
    " competent INTEGER NOT NULL DEFAULT 0,"
    " certificates INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE VIEW people_masked AS SELECT"
    " substr (nik, 1, 4) || '********' || substr (nik, 13, 4) AS nik_masked,"
    " name, sex, birth_date, desa_code, kecamatan_code, cooperative, role,"
    " enrollments, units_assessed, competent, certificates FROM people;",
    "CREATE TABLE batches ("
    " batch TEXT PRIMARY KEY, title TEXT NOT NULL, funding TEXT NOT NULL,"
    " budget_year INTEGER NOT NULL, venue TEXT NOT NULL,"
    " venue_desa_code TEXT NOT NULL, start_date TEXT NOT NULL,"
    " end_date TEXT NOT NULL, class_size_max INTEGER NOT NULL,"
    " min_attendance_pct INTEGER NOT NULL,"
    " enrolled INTEGER NOT NULL DEFAULT 0,"
    " withdrawn INTEGER NOT NULL DEFAULT 0,"
    " sessions INTEGER NOT NULL DEFAULT 0,"
    " jp_total INTEGER NOT NULL DEFAULT 0, closed INTEGER NOT NULL DEFAULT 0,"
    " closed_pos INTEGER, scheduled_pos INTEGER NOT NULL) WITHOUT ROWID;",
    "CREATE TABLE sessions ("
    " batch TEXT NOT NULL, session_no INTEGER NOT NULL, date TEXT NOT NULL,"
    " starts TEXT NOT NULL, ends TEXT NOT NULL, jp INTEGER NOT NULL,"
    " topic TEXT NOT NULL, recorded INTEGER NOT NULL DEFAULT 0,"
    " present INTEGER NOT NULL DEFAULT 0, pos INTEGER NOT NULL,"
    " PRIMARY KEY (batch, session_no)) WITHOUT ROWID;",
    "CREATE TABLE enrollments ("
    " batch TEXT NOT NULL, nik TEXT NOT NULL, cooperative TEXT NOT NULL,"
    " enrolled_pos INTEGER NOT NULL, withdrawn INTEGER NOT NULL DEFAULT 0,"
    " withdrawn_reason TEXT, withdrawn_pos INTEGER,"
    " jp_attended INTEGER NOT NULL DEFAULT 0,"
    " attendance_pct REAL NOT NULL DEFAULT 0,"
    " eligible INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (batch, nik)) WITHOUT ROWID;",
    "CREATE TABLE attendance ("
    " batch TEXT NOT NULL, session_no INTEGER NOT NULL, nik TEXT NOT NULL,"
    " status TEXT NOT NULL, check_in TEXT, check_out TEXT,"
    " method TEXT NOT NULL, jp INTEGER NOT NULL, event_id BLOB NOT NULL,"
    " recorded_pos INTEGER NOT NULL, corrections INTEGER NOT NULL DEFAULT 0,"
    " last_pos INTEGER NOT NULL, last_reason TEXT,"
    " PRIMARY KEY (batch, session_no, nik)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX attendance_event ON attendance (event_id);",
    "CREATE TABLE assessments ("
    " assessment TEXT PRIMARY KEY, scheme_code TEXT NOT NULL,"
    " scheme_title TEXT NOT NULL, date TEXT NOT NULL, batch TEXT,"
    " lsp TEXT NOT NULL, units INTEGER NOT NULL, assessors INTEGER NOT NULL,"
    " pos INTEGER NOT NULL) WITHOUT ROWID;",
    "CREATE TABLE assessment_units ("
    " assessment TEXT NOT NULL, unit TEXT NOT NULL, title TEXT NOT NULL,"
    " unit_index INTEGER NOT NULL,"
    " PRIMARY KEY (assessment, unit)) WITHOUT ROWID;",
    "CREATE TABLE assessment_assessors ("
    " assessment TEXT NOT NULL, assessor TEXT NOT NULL,"
    " PRIMARY KEY (assessment, assessor)) WITHOUT ROWID;",
    "CREATE TABLE unit_results ("
    " assessment TEXT NOT NULL, nik TEXT NOT NULL, unit TEXT NOT NULL,"
    " verdict TEXT NOT NULL, score INTEGER, methods TEXT NOT NULL,"
    " assessor TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " first_pos INTEGER NOT NULL, last_pos INTEGER NOT NULL,"
    " PRIMARY KEY (assessment, nik, unit)) WITHOUT ROWID;",
    "CREATE TABLE assessment_results ("
    " assessment TEXT NOT NULL, nik TEXT NOT NULL, verdict TEXT NOT NULL,"
    " decisions INTEGER NOT NULL, decided_pos INTEGER NOT NULL,"
    " PRIMARY KEY (assessment, nik)) WITHOUT ROWID;",
    "CREATE TABLE certificates ("
    " number TEXT PRIMARY KEY, nik TEXT NOT NULL, assessment TEXT NOT NULL,"
    " issued_on TEXT NOT NULL, valid_until TEXT NOT NULL,"
    " issued_pos INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,"
    " revoked_reason TEXT, revoked_pos INTEGER) WITHOUT ROWID;"
    "CREATE INDEX certificates_valid ON certificates (valid_until);"
    "CREATE INDEX certificates_holder ON certificates (assessment, nik);",
    "CREATE TABLE kecamatan_summary ("
    " kecamatan_code TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " cooperatives INTEGER NOT NULL DEFAULT 0,"
    " people INTEGER NOT NULL DEFAULT 0, enrolled INTEGER NOT NULL DEFAULT 0,"
    " assessed INTEGER NOT NULL DEFAULT 0,"
    " competent INTEGER NOT NULL DEFAULT 0,"
    " certificates INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",
    "CREATE TABLE sources ("
    " source TEXT PRIMARY KEY, next_seq INTEGER NOT NULL,"
    " accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,"
    " first_recorded_at INTEGER NOT NULL, last_recorded_at INTEGER NOT NULL,"
    " last_pos INTEGER NOT NULL) WITHOUT ROWID;",
    "CREATE TABLE rejections ("
    " pos INTEGER PRIMARY KEY, id BLOB, source TEXT, seq INTEGER, type TEXT,"
    " code TEXT NOT NULL, message TEXT NOT NULL, bytes BLOB,"
    " recorded_at INTEGER NOT NULL);"
    "CREATE INDEX rejections_source ON rejections (source, seq);",
    "CREATE TABLE data_quality ("
    " pos INTEGER NOT NULL, item INTEGER NOT NULL, id BLOB NOT NULL,"
    " entity TEXT NOT NULL, code TEXT NOT NULL, field TEXT NOT NULL,"
    " message TEXT NOT NULL, PRIMARY KEY (pos, item)) WITHOUT ROWID;",
    NULL,
};

/* Each migration: statements run in one savepoint. */
static const char *const *const s_migrations[] = {
    s_migration_1, /* 1: every projection table */
};

#define MIGRATIONS (sizeof s_migrations / sizeof s_migrations[0])

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
   row: ?4 jp_total, ?5 min_attendance_pct (the same arithmetic). */
#define ENROLLMENT_SET_BOUND                                                   \
    " jp_attended = jp_attended + ?3,"                                         \
    " attendance_pct = CASE WHEN ?4 > 0 THEN round (100.0 *"                   \
    " (jp_attended + ?3) / ?4, 2) ELSE 0.0 END,"                               \
    " eligible = (withdrawn = 0 AND (?4 > 0 OR ?5 = 0)"                        \
    " AND (jp_attended + ?3) * 100 >= ?5 * ?4)"

/* The statements, indexed by jk_stmt_id_t. */
static const char *s_sql[STMT_COUNT] = {
    [Q_COOPERATIVE] = "SELECT registered_pos, kecamatan_code, status"
                      " FROM cooperatives WHERE legal_number_norm = ?1",
    [Q_RAT] = "SELECT pos, held_on FROM rat_meetings"
              " WHERE legal_number_norm = ?1 AND book_year = ?2",
    [Q_RAT_YEARS] = "SELECT book_year FROM rat_meetings"
                    " WHERE legal_number_norm = ?1 ORDER BY book_year DESC",
    [Q_PERSON] = "SELECT kecamatan_code, enrollments, units_assessed,"
                 " competent, certificates FROM people WHERE nik = ?1",
    [Q_BATCH] = "SELECT start_date, end_date, class_size_max,"
                " min_attendance_pct, enrolled, closed, jp_total"
                " FROM batches WHERE batch = ?1",
    [Q_SESSION] = "SELECT date, starts, ends, jp FROM sessions"
                  " WHERE batch = ?1 AND session_no = ?2",
    [Q_ENROLLMENT] = "SELECT withdrawn, jp_attended, attendance_pct, eligible"
                     " FROM enrollments WHERE batch = ?1 AND nik = ?2",
    [Q_ATTENDANCE] = "SELECT recorded_pos FROM attendance"
                     " WHERE batch = ?1 AND session_no = ?2 AND nik = ?3",
    [Q_ATTENDANCE_BY_ID] = "SELECT batch, session_no, nik, status, jp,"
                           " check_in, check_out FROM attendance"
                           " WHERE event_id = ?1",
    [Q_ASSESSMENT] = "SELECT batch, units, date FROM assessments"
                     " WHERE assessment = ?1",
    [Q_UNIT] = "SELECT 1 FROM assessment_units"
               " WHERE assessment = ?1 AND unit = ?2",
    [Q_ASSESSOR] = "SELECT 1 FROM assessment_assessors"
                   " WHERE assessment = ?1 AND assessor = ?2",
    [Q_UNIT_NOT_K] = "SELECT u.unit, r.verdict FROM assessment_units u"
                     " LEFT JOIN unit_results r ON r.assessment = u.assessment"
                     " AND r.nik = ?2 AND r.unit = u.unit"
                     " WHERE u.assessment = ?1"
                     " AND (r.verdict IS NULL OR r.verdict <> 'K')"
                     " ORDER BY u.unit_index LIMIT 1",
    [Q_RESULT] = "SELECT verdict FROM assessment_results"
                 " WHERE assessment = ?1 AND nik = ?2",
    [Q_CERTIFICATE] = "SELECT nik, revoked, revoked_pos FROM certificates"
                      " WHERE number = ?1",
    [Q_CERTIFICATE_FOR] = "SELECT number FROM certificates"
                          " WHERE assessment = ?1 AND nik = ?2"
                          " AND revoked = 0 ORDER BY number LIMIT 1",
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
    [W_COOPERATIVE_INSERT] =
        "INSERT INTO cooperatives (legal_number_norm, legal_number,"
        " legal_class, legal_date, name, form, kind, pattern, desa_code,"
        " kecamatan_code, address, nik_koperasi, members_male,"
        " members_female, members, registered_pos, registered_at,"
        " updated_pos) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
        " ?12, ?13, ?14, ?13 + ?14, ?15, ?16, ?15)",
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
    [W_COOPERATIVE_RAT] = "UPDATE cooperatives SET last_rat_year = ?2,"
                          " rat_count = rat_count + 1, rat_streak = ?3,"
                          " updated_pos = ?4 WHERE legal_number_norm = ?1",
    [W_COOPERATIVE_STATUS] = "UPDATE cooperatives SET status = ?2,"
                             " status_basis = ?3, status_on = ?4,"
                             " status_pos = ?5, updated_pos = ?5"
                             " WHERE legal_number_norm = ?1",
    [W_STATUS_INSERT] = "INSERT INTO cooperative_statuses (legal_number_norm,"
                        " pos, status, basis, on_date)"
                        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [W_RAT_INSERT] = "INSERT INTO rat_meetings (legal_number_norm, book_year,"
                     " held_on, members_present, quorum_met, deadline, late,"
                     " days_late, pos) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                     " ?9)",
    [W_PERSON_INSERT] = "INSERT INTO people (nik, name, sex, birth_date,"
                        " desa_code, kecamatan_code, phone, cooperative, role,"
                        " registered_pos, updated_pos) VALUES (?1, ?2, ?3, ?4,"
                        " ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
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
    [W_BATCH_INSERT] = "INSERT INTO batches (batch, title, funding,"
                       " budget_year, venue, venue_desa_code, start_date,"
                       " end_date, class_size_max, min_attendance_pct,"
                       " scheduled_pos) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                       " ?8, ?9, ?10, ?11)",
    [W_BATCH_COUNTERS] = "UPDATE batches SET enrolled = enrolled + ?2,"
                         " withdrawn = withdrawn + ?3,"
                         " sessions = sessions + ?4,"
                         " jp_total = jp_total + ?5 WHERE batch = ?1",
    [W_BATCH_CLOSE] = "UPDATE batches SET closed = 1, closed_pos = ?2"
                      " WHERE batch = ?1",
    [W_SESSION_INSERT] = "INSERT INTO sessions (batch, session_no, date,"
                         " starts, ends, jp, topic, pos) VALUES (?1, ?2, ?3,"
                         " ?4, ?5, ?6, ?7, ?8)",
    [W_SESSION_COUNTERS] = "UPDATE sessions SET recorded = recorded + ?3,"
                           " present = present + ?4"
                           " WHERE batch = ?1 AND session_no = ?2",
    [W_ENROLLMENT_UPSERT] =
        "INSERT INTO enrollments (batch, nik, cooperative, enrolled_pos)"
        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (batch, nik) DO UPDATE SET"
        " cooperative = excluded.cooperative,"
        " enrolled_pos = excluded.enrolled_pos, withdrawn = 0,"
        " withdrawn_reason = NULL, withdrawn_pos = NULL",
    [W_ENROLLMENT_WITHDRAW] = "UPDATE enrollments SET withdrawn = 1,"
                              " withdrawn_reason = ?3, withdrawn_pos = ?4,"
                              " eligible = 0 WHERE batch = ?1 AND nik = ?2",
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
    [W_ATTENDANCE_INSERT] = "INSERT INTO attendance (batch, session_no, nik,"
                            " status, check_in, check_out, method, jp,"
                            " event_id, recorded_pos, last_pos) VALUES (?1,"
                            " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    [W_ATTENDANCE_CORRECT] = "UPDATE attendance SET status = ?2,"
                             " check_in = ?3, check_out = ?4, jp = ?5,"
                             " corrections = corrections + 1, last_pos = ?6,"
                             " last_reason = ?7 WHERE event_id = ?1",
    [W_ASSESSMENT_INSERT] = "INSERT INTO assessments (assessment,"
                            " scheme_code, scheme_title, date, batch, lsp,"
                            " units, assessors, pos) VALUES (?1, ?2, ?3, ?4,"
                            " ?5, ?6, ?7, ?8, ?9)",
    [W_UNIT_INSERT] = "INSERT INTO assessment_units (assessment, unit, title,"
                      " unit_index) VALUES (?1, ?2, ?3, ?4)",
    [W_ASSESSOR_INSERT] = "INSERT OR IGNORE INTO assessment_assessors"
                          " (assessment, assessor) VALUES (?1, ?2)",
    [W_UNIT_RESULT_UPSERT] =
        "INSERT INTO unit_results (assessment, nik, unit, verdict, score,"
        " methods, assessor, attempts, first_pos, last_pos) VALUES (?1, ?2,"
        " ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8) ON CONFLICT (assessment, nik, unit)"
        " DO UPDATE SET verdict = excluded.verdict, score = excluded.score,"
        " methods = excluded.methods, assessor = excluded.assessor,"
        " attempts = attempts + 1, last_pos = excluded.last_pos",
    [W_RESULT_UPSERT] =
        "INSERT INTO assessment_results (assessment, nik, verdict, decisions,"
        " decided_pos) VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT (assessment,"
        " nik) DO UPDATE SET verdict = excluded.verdict,"
        " decisions = decisions + 1, decided_pos = excluded.decided_pos",
    [W_CERTIFICATE_INSERT] = "INSERT INTO certificates (number, nik,"
                             " assessment, issued_on, valid_until,"
                             " issued_pos) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [W_CERTIFICATE_REVOKE] = "UPDATE certificates SET revoked = 1,"
                             " revoked_reason = ?2, revoked_pos = ?3"
                             " WHERE number = ?1",
    [W_REJECTION_INSERT] = "INSERT INTO rejections (pos, id, source, seq,"
                           " type, code, message, bytes, recorded_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [W_QUALITY_INSERT] = "INSERT INTO data_quality (pos, item, id, entity,"
                         " code, field, message) VALUES (?1, ?2, ?3, ?4, ?5,"
                         " ?6, ?7)",
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

int jk_projections_migrate (sqlite3 *db, char *err, size_t err_size)
{
    assert (db);
    int version;
    if (s_schema_version (db, &version)) {
        snprintf (err, err_size, "projections: reading schema_version: %s",
                  sqlite3_errmsg (db));
        return -1;
    }
    if (version > (int)MIGRATIONS) {
        snprintf (err, err_size,
                  "projections: database schema_version %d is newer than "
                  "this program (%zu); upgrade Jejak",
                  version, MIGRATIONS);
        return -1;
    }
    for (int step = version; step < (int)MIGRATIONS; step++) {
        char *message = NULL;
        size_t length = 0;
        for (int k = 0; s_migrations[step][k]; k++)
            length += strlen (s_migrations[step][k]);
        char *body = jk_malloc (length + 1);
        body[0] = 0;
        for (int k = 0; s_migrations[step][k]; k++)
            strcat (body, s_migrations[step][k]);
        char *sql = jk_sprintf ("SAVEPOINT projections_migrate; %s;"
                                "INSERT INTO projection_meta VALUES"
                                " ('schema_version', %d) ON CONFLICT (key)"
                                " DO UPDATE SET value = excluded.value;"
                                "RELEASE projections_migrate;",
                                body, step + 1);
        free (body);
        int rc = sqlite3_exec (db, sql, NULL, NULL, &message);
        free (sql);
        if (rc != SQLITE_OK) {
            snprintf (err, err_size, "projections: migration %d: %s", step + 1,
                      message ? message : sqlite3_errmsg (db));
            sqlite3_free (message);
            sqlite3_exec (db,
                          "ROLLBACK TO projections_migrate;"
                          "RELEASE projections_migrate;",
                          NULL, NULL, NULL);
            return -1;
        }
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

/* Frees a pending delta (zhashx destructor). */
static void s_pending_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

jk_projections_t *jk_projections_new (sqlite3 *db,
                                      const jk_projections_config_t *config,
                                      char *err, size_t err_size)
{
    assert (db);
    if (jk_proj_rules_check (err, err_size) ||
        jk_proj_apply_check (err, err_size))
        return NULL;
    jk_projections_t *self = jk_calloc (1, sizeof *self);
    self->db = db;
    self->config.rat_deadline_months = 6;
    if (config && config->rat_deadline_months > 0)
        self->config = *config;
    self->region = jk_region_default ();
    self->pending_sources = zhashx_new ();
    self->pending_kecamatan = zhashx_new ();
    self->pending_sessions = zhashx_new ();
    zhashx_set_destructor (self->pending_sources, s_pending_free);
    zhashx_set_destructor (self->pending_kecamatan, s_pending_free);
    zhashx_set_destructor (self->pending_sessions, s_pending_free);
    self->pending_people = zhashx_new ();
    zhashx_set_destructor (self->pending_people, s_pending_free);
    self->batch_terms = zhashx_new ();
    zhashx_set_destructor (self->batch_terms, s_pending_free);
    self->session_jp = zhashx_new ();
    zhashx_set_destructor (self->session_jp, s_pending_free);
    self->cooperatives = zhashx_new ();
    zhashx_set_destructor (self->cooperatives, s_pending_free);
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
    if (s_seed_kecamatan (self, err, err_size))
        jk_projections_destroy (&self);
    return self;
}

void jk_projections_destroy (jk_projections_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jk_projections_t *self = *self_p;
    if (self->deferred && (zhashx_size (self->pending_sources) ||
                           zhashx_size (self->pending_kecamatan) ||
                           zhashx_size (self->pending_sessions) ||
                           zhashx_size (self->pending_people)))
        jk_warn (LOG, "destroyed with counters not flushed: they are lost");
    zhashx_destroy (&self->pending_sources);
    zhashx_destroy (&self->pending_kecamatan);
    zhashx_destroy (&self->pending_sessions);
    zhashx_destroy (&self->pending_people);
    zhashx_destroy (&self->batch_terms);
    zhashx_destroy (&self->session_jp);
    zhashx_destroy (&self->cooperatives);
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize (self->stmt[i]);
    free (self);
    *self_p = NULL;
}

/* ---- helpers shared with rules.c ---------------------------------------- */

void jk_proj_bind_field (sqlite3_stmt *stmt, int index, const jk_event_t *event,
                         const char *field)
{
    int i = jk_type_field (event->type, field, strlen (field));
    assert (i >= 0);
    const jk_value_t *v = &event->body[i];
    if (!v->present) {
        sqlite3_bind_null (stmt, index);
        return;
    }
    switch (event->type->fields[i].kind) {
        case JK_KIND_UINT:
        case JK_KIND_BOOL:
            sqlite3_bind_int64 (stmt, index, v->n);
            break;
        default:
            sqlite3_bind_text (stmt, index, v->s.ptr, (int)v->s.len,
                               SQLITE_STATIC);
    }
}

jk_str_t jk_proj_text (const jk_event_t *event, const char *field)
{
    const jk_value_t *v = jk_event_get (event, field);
    if (!v || !v->present)
        return (jk_str_t){NULL, 0};
    return v->s;
}

int64_t jk_proj_number (const jk_event_t *event, const char *field,
                        int64_t fallback)
{
    const jk_value_t *v = jk_event_get (event, field);
    return v && v->present ? v->n : fallback;
}

int jk_proj_query (jk_projections_t *self, jk_stmt_id_t id)
{
    sqlite3_stmt *stmt = self->stmt[id];
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        return rc;
    sqlite3_reset (stmt);
    if (rc == SQLITE_DONE)
        return rc;
    jk_error (LOG, "query %d failed: %s", (int)id, sqlite3_errmsg (self->db));
    return -1;
}

int jk_proj_exec (jk_projections_t *self, jk_stmt_id_t id)
{
    sqlite3_stmt *stmt = self->stmt[id];
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc == SQLITE_DONE)
        return JK_OK;
    jk_error (LOG, "statement %d failed: %s", (int)id,
              sqlite3_errmsg (self->db));
    return JK_IO;
}

jk_legal_class_t jk_proj_legal (const jk_event_t *event, const char *field,
                                char out[JK_PROJ_LEGAL_MAX])
{
    jk_str_t s = jk_proj_text (event, field);
    return jk_legal_number_normalise (s.ptr ? s.ptr : "", s.len, out,
                                      JK_PROJ_LEGAL_MAX);
}

void jk_proj_column_text (sqlite3_stmt *stmt, int col, char *out, size_t size)
{
    assert (size > 0);
    const unsigned char *text = sqlite3_column_text (stmt, col);
    /* As snprintf "%s" did: up to the first NUL, truncated to fit. */
    size_t len = text ? strnlen ((const char *)text, size - 1) : 0;
    if (len)
        memcpy (out, text, len);
    out[len] = 0;
}

int jk_proj_minutes (const char *t)
{
    if (strlen (t) != 5 || t[2] != ':')
        return -1;
    return ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 +
           (t[4] - '0');
}

/* ---- apply -----------------------------------------------------------------
 */

#define STMT(id) (self->stmt[id])
#define CHECK(expr)                                                            \
    do {                                                                       \
        if ((expr) != JK_OK)                                                   \
            return JK_IO;                                                      \
    } while (0)

/* ---- write-behind counters -------------------------------------------------
   In deferred mode these deltas wait in memory for jk_projections_flush.
   They are safe to defer because they are pure sums (or a latest value)
   that no decision and no apply step reads back inside the transaction:
   decide reads sessions' date, times and jp, never recorded/present; it
   never reads sources or kecamatan_summary (the log keeps its own next
   seq per source). */

/* sources: one writer transaction's records of one source. */
typedef struct {
    int64_t seq_max;           /* highest seq seen */
    int64_t accepted;          /* records accepted */
    int64_t rejected;          /* records rejected */
    int64_t first_recorded_at; /* of the first record: kept on insert only */
    int64_t last_recorded_at;  /* of the latest record */
    int64_t last_pos;          /* of the latest record */
} s_source_delta_t;

/* kecamatan_summary: cooperatives, people, enrolled, assessed, competent,
   certificates (W_KECAMATAN's ?2..?7). */
typedef struct {
    int64_t counts[6];
} s_kecamatan_delta_t;

/* sessions: recorded and present added to one session. */
typedef struct {
    int64_t session_no;
    int64_t recorded;
    int64_t present;
    char batch[]; /* the batch code, NUL-terminated */
} s_session_delta_t;

static int s_people_flush (jk_projections_t *self);

void jk_projections_set_deferred (jk_projections_t *self, bool deferred)
{
    assert (self);
    self->deferred = deferred;
}

/* Forgets the pending counters (written, or rolled back). */
static void s_pending_purge (jk_projections_t *self)
{
    zhashx_purge (self->pending_sources);
    zhashx_purge (self->pending_kecamatan);
    zhashx_purge (self->pending_sessions);
    zhashx_purge (self->pending_people);
}

void jk_projections_discard (jk_projections_t *self)
{
    assert (self);
    s_pending_purge (self);
    /* The read caches may hold what the rolled-back transaction wrote. */
    zhashx_purge (self->batch_terms);
    zhashx_purge (self->session_jp);
    zhashx_purge (self->cooperatives);
}

int jk_projections_flush (jk_projections_t *self)
{
    assert (self);
    int rc = JK_OK;
    for (s_source_delta_t *d = zhashx_first (self->pending_sources);
         d && rc == JK_OK; d = zhashx_next (self->pending_sources)) {
        const char *source = zhashx_cursor (self->pending_sources);
        sqlite3_stmt *st = STMT (W_SOURCE_FLUSH);
        sqlite3_bind_text (st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, d->seq_max);
        sqlite3_bind_int64 (st, 3, d->accepted);
        sqlite3_bind_int64 (st, 4, d->rejected);
        sqlite3_bind_int64 (st, 5, d->first_recorded_at);
        sqlite3_bind_int64 (st, 6, d->last_recorded_at);
        sqlite3_bind_int64 (st, 7, d->last_pos);
        rc = jk_proj_exec (self, W_SOURCE_FLUSH);
    }
    for (s_kecamatan_delta_t *d = zhashx_first (self->pending_kecamatan);
         d && rc == JK_OK; d = zhashx_next (self->pending_kecamatan)) {
        const char *code = zhashx_cursor (self->pending_kecamatan);
        sqlite3_stmt *st = STMT (W_KECAMATAN);
        sqlite3_bind_text (st, 1, code, -1, SQLITE_STATIC);
        for (int i = 0; i < 6; i++)
            sqlite3_bind_int64 (st, i + 2, d->counts[i]);
        rc = jk_proj_exec (self, W_KECAMATAN);
    }
    for (s_session_delta_t *d = zhashx_first (self->pending_sessions);
         d && rc == JK_OK; d = zhashx_next (self->pending_sessions)) {
        sqlite3_stmt *st = STMT (W_SESSION_COUNTERS);
        sqlite3_bind_text (st, 1, d->batch, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, d->session_no);
        sqlite3_bind_int64 (st, 3, d->recorded);
        sqlite3_bind_int64 (st, 4, d->present);
        rc = jk_proj_exec (self, W_SESSION_COUNTERS);
    }
    if (rc == JK_OK)
        rc = s_people_flush (self);
    /* The read caches stay: they hold what is now being committed. */
    if (rc == JK_OK)
        s_pending_purge (self);
    return rc;
}

/* Adds deltas to a kecamatan's counters (no-op for NULL or unknown). */
static int s_kecamatan (jk_projections_t *self, const char *kecamatan,
                        int cooperatives, int people, int enrolled,
                        int assessed, int competent, int certificates)
{
    if (!kecamatan || !*kecamatan)
        return JK_OK;
    if (self->deferred) {
        s_kecamatan_delta_t *d =
            zhashx_lookup (self->pending_kecamatan, kecamatan);
        if (!d) {
            d = jk_calloc (1, sizeof *d);
            zhashx_insert (self->pending_kecamatan, kecamatan, d);
        }
        d->counts[0] += cooperatives;
        d->counts[1] += people;
        d->counts[2] += enrolled;
        d->counts[3] += assessed;
        d->counts[4] += competent;
        d->counts[5] += certificates;
        return JK_OK;
    }
    sqlite3_stmt *st = STMT (W_KECAMATAN);
    sqlite3_bind_text (st, 1, kecamatan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int (st, 2, cooperatives);
    sqlite3_bind_int (st, 3, people);
    sqlite3_bind_int (st, 4, enrolled);
    sqlite3_bind_int (st, 5, assessed);
    sqlite3_bind_int (st, 6, competent);
    sqlite3_bind_int (st, 7, certificates);
    return jk_proj_exec (self, W_KECAMATAN);
}

/* A person's counters, read before a change. */
typedef struct {
    bool found;
    char kecamatan[16];
    int64_t enrollments, units_assessed, competent, certificates;
} person_row_t;

/* people: one person's counters as this transaction sees them (the
   stored row plus what it added) and the deltas still to write. Person
   counters change on enrolments, unit verdicts, decisions and
   certificates, often several times for one person in a batch: one read
   and one write per person and transaction instead of per event. */
typedef struct {
    person_row_t row; /* current values */
    int64_t delta[4]; /* enrollments, units_assessed, competent,
                         certificates added since the last flush */
} s_person_delta_t;

/* The NUL-terminated key of a NIK for pending_people, or false when it
   cannot be one (then the person is written through). */
static bool s_nik_key (jk_str_t nik, char key[32])
{
    if (!nik.ptr || nik.len == 0 || nik.len >= 32 ||
        memchr (nik.ptr, 0, nik.len))
        return false;
    memcpy (key, nik.ptr, nik.len);
    key[nik.len] = 0;
    return true;
}

static int s_people_flush (jk_projections_t *self)
{
    for (s_person_delta_t *d = zhashx_first (self->pending_people); d;
         d = zhashx_next (self->pending_people)) {
        if (!d->delta[0] && !d->delta[1] && !d->delta[2] && !d->delta[3])
            continue;
        const char *nik = zhashx_cursor (self->pending_people);
        sqlite3_stmt *st = STMT (W_PERSON_COUNTERS);
        sqlite3_bind_text (st, 1, nik, -1, SQLITE_STATIC);
        for (int i = 0; i < 4; i++)
            sqlite3_bind_int64 (st, i + 2, d->delta[i]);
        CHECK (jk_proj_exec (self, W_PERSON_COUNTERS));
    }
    return JK_OK;
}

static int s_person_read (jk_projections_t *self, jk_str_t nik,
                          person_row_t *row)
{
    char key[32];
    s_person_delta_t *pending = self->deferred && s_nik_key (nik, key)
                                    ? zhashx_lookup (self->pending_people, key)
                                    : NULL;
    if (pending) {
        *row = pending->row;
        return JK_OK;
    }
    memset (row, 0, sizeof *row);
    sqlite3_stmt *st = STMT (Q_PERSON);
    sqlite3_bind_text (st, 1, nik.ptr, (int)nik.len, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_PERSON);
    if (rc < 0)
        return JK_IO;
    if (rc == SQLITE_ROW) {
        row->found = true;
        jk_proj_column_text (st, 0, row->kecamatan, sizeof row->kecamatan);
        row->enrollments = sqlite3_column_int64 (st, 1);
        row->units_assessed = sqlite3_column_int64 (st, 2);
        row->competent = sqlite3_column_int64 (st, 3);
        row->certificates = sqlite3_column_int64 (st, 4);
        sqlite3_reset (st);
    }
    return JK_OK;
}

/* 1 when a count crosses from zero to positive, -1 back, else 0. */
static int s_crossing (int64_t before, int64_t delta)
{
    return (before <= 0 && before + delta > 0)   ? 1
           : (before > 0 && before + delta <= 0) ? -1
                                                 : 0;
}

/* Changes a person's counters and the kecamatan_summary counts of people
   enrolled, assessed and competent (each person counted once) and of
   certificates. */
static int s_person_counters (jk_projections_t *self, jk_str_t nik,
                              int enrollments, int units, int competent,
                              int certificates)
{
    person_row_t row;
    CHECK (s_person_read (self, nik, &row));
    if (!row.found)
        return JK_OK;
    char key[32];
    if (self->deferred && s_nik_key (nik, key)) {
        s_person_delta_t *d = zhashx_lookup (self->pending_people, key);
        if (!d) {
            d = jk_calloc (1, sizeof *d);
            d->row = row;
            zhashx_insert (self->pending_people, key, d);
        }
        int64_t add[4] = {enrollments, units, competent, certificates};
        for (int i = 0; i < 4; i++)
            d->delta[i] += add[i];
        d->row.enrollments += enrollments;
        d->row.units_assessed += units;
        d->row.competent += competent;
        d->row.certificates += certificates;
    } else {
        /* A read and a plain update: cheaper than UPDATE ... RETURNING,
           which materialises its rows. */
        sqlite3_stmt *st = STMT (W_PERSON_COUNTERS);
        sqlite3_bind_text (st, 1, nik.ptr, (int)nik.len, SQLITE_STATIC);
        sqlite3_bind_int (st, 2, enrollments);
        sqlite3_bind_int (st, 3, units);
        sqlite3_bind_int (st, 4, competent);
        sqlite3_bind_int (st, 5, certificates);
        CHECK (jk_proj_exec (self, W_PERSON_COUNTERS));
    }
    int enrolled = s_crossing (row.enrollments, enrollments);
    int assessed = s_crossing (row.units_assessed, units);
    int comp = s_crossing (row.competent, competent);
    if (enrolled || assessed || comp || certificates)
        return s_kecamatan (self, row.kecamatan, 0, 0, enrolled, assessed, comp,
                            certificates);
    return JK_OK;
}

/* Kecamatan code of a desa from the reference data, or NULL. */
static const char *s_kecamatan_of (jk_projections_t *self, jk_str_t desa)
{
    const char *kecamatan = NULL;
    if (desa.ptr &&
        jk_region_desa (self->region, desa.ptr, desa.len, &kecamatan))
        return kecamatan;
    return NULL;
}

static int s_cooperative_registered (jk_projections_t *self,
                                     const jk_event_t *ev,
                                     const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX];
    jk_legal_class_t cls = jk_proj_legal (ev, "legal_number", norm);
    const char *kecamatan =
        s_kecamatan_of (self, jk_proj_text (ev, "desa_code"));
    sqlite3_stmt *st = STMT (W_COOPERATIVE_INSERT);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    jk_proj_bind_field (st, 2, ev, "legal_number");
    sqlite3_bind_text (st, 3, jk_legal_class_name (cls), -1, SQLITE_STATIC);
    jk_proj_bind_field (st, 4, ev, "legal_date");
    jk_proj_bind_field (st, 5, ev, "name");
    jk_proj_bind_field (st, 6, ev, "form");
    jk_proj_bind_field (st, 7, ev, "kind");
    jk_proj_bind_field (st, 8, ev, "pattern");
    jk_proj_bind_field (st, 9, ev, "desa_code");
    if (kecamatan)
        sqlite3_bind_text (st, 10, kecamatan, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 10);
    jk_proj_bind_field (st, 11, ev, "address");
    jk_proj_bind_field (st, 12, ev, "nik_koperasi");
    jk_proj_bind_field (st, 13, ev, "members_male");
    jk_proj_bind_field (st, 14, ev, "members_female");
    sqlite3_bind_int64 (st, 15, (int64_t)ap->pos);
    sqlite3_bind_int64 (st, 16, ev->at);
    CHECK (jk_proj_exec (self, W_COOPERATIVE_INSERT));
    return s_kecamatan (self, kecamatan, 1, 0, 0, 0, 0, 0);
}

/* Reads a cooperative's kecamatan; found false when unknown. */
static int s_cooperative_kecamatan (jk_projections_t *self, const char *norm,
                                    bool *found, char kecamatan[16])
{
    sqlite3_stmt *st = STMT (Q_COOPERATIVE);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_COOPERATIVE);
    if (rc < 0)
        return JK_IO;
    *found = rc == SQLITE_ROW;
    kecamatan[0] = 0;
    if (*found) {
        jk_proj_column_text (st, 1, kecamatan, 16);
        sqlite3_reset (st);
    }
    return JK_OK;
}

static int s_cooperative_updated (jk_projections_t *self, const jk_event_t *ev,
                                  const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX], before[16];
    bool found;
    jk_proj_legal (ev, "legal_number", norm);
    CHECK (s_cooperative_kecamatan (self, norm, &found, before));
    if (!found)
        return JK_OK;
    const char *after = s_kecamatan_of (self, jk_proj_text (ev, "desa_code"));
    sqlite3_stmt *st = STMT (W_COOPERATIVE_UPDATE);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    jk_proj_bind_field (st, 2, ev, "name");
    jk_proj_bind_field (st, 3, ev, "form");
    jk_proj_bind_field (st, 4, ev, "kind");
    jk_proj_bind_field (st, 5, ev, "pattern");
    jk_proj_bind_field (st, 6, ev, "desa_code");
    if (after)
        sqlite3_bind_text (st, 7, after, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 7);
    jk_proj_bind_field (st, 8, ev, "address");
    jk_proj_bind_field (st, 9, ev, "nik_koperasi");
    jk_proj_bind_field (st, 10, ev, "members_male");
    jk_proj_bind_field (st, 11, ev, "members_female");
    sqlite3_bind_int64 (st, 12, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_COOPERATIVE_UPDATE));
    if (after && strcmp (after, before) != 0) {
        CHECK (s_kecamatan (self, before, -1, 0, 0, 0, 0, 0));
        CHECK (s_kecamatan (self, after, 1, 0, 0, 0, 0, 0));
    }
    return JK_OK;
}

/* Last day of the month that ends `months` after 31 December of
   book_year: the RAT deadline (6 months: 30 June of the next year). */
static int32_t s_rat_deadline (int64_t book_year, int months)
{
    int year = (int)book_year + 1 + (months - 1) / 12;
    int month = (months - 1) % 12 + 1;
    int next_year = month == 12 ? year + 1 : year;
    int next_month = month == 12 ? 1 : month + 1;
    return jk_days_from_civil (next_year, next_month, 1) - 1;
}

static int s_rat_held (jk_projections_t *self, const jk_event_t *ev,
                       const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX], deadline_text[11];
    jk_proj_legal (ev, "legal_number", norm);
    int64_t year = jk_proj_number (ev, "book_year", 0);
    int64_t held = jk_proj_number (ev, "held_on", 0);
    int32_t deadline = s_rat_deadline (year, self->config.rat_deadline_months);
    jk_date_format (deadline, deadline_text);
    sqlite3_stmt *st = STMT (W_RAT_INSERT);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, year);
    jk_proj_bind_field (st, 3, ev, "held_on");
    jk_proj_bind_field (st, 4, ev, "members_present");
    jk_proj_bind_field (st, 5, ev, "quorum_met");
    sqlite3_bind_text (st, 6, deadline_text, -1, SQLITE_STATIC);
    sqlite3_bind_int (st, 7, held > deadline);
    sqlite3_bind_int64 (st, 8, held > deadline ? held - deadline : 0);
    sqlite3_bind_int64 (st, 9, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_RAT_INSERT));

    /* The streak counts consecutive book years back from the latest; RATs
       may arrive out of order, so it is recounted (a few rows). */
    st = STMT (Q_RAT_YEARS);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    int64_t last = 0, expect = 0, streak = 0;
    int rc;
    while ((rc = jk_proj_query (self, Q_RAT_YEARS)) == SQLITE_ROW) {
        int64_t y = sqlite3_column_int64 (st, 0);
        if (!last)
            last = expect = y;
        if (y != expect)
            break;
        streak++;
        expect--;
    }
    if (rc < 0)
        return JK_IO;
    sqlite3_reset (st);
    st = STMT (W_COOPERATIVE_RAT);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, last);
    sqlite3_bind_int64 (st, 3, streak);
    sqlite3_bind_int64 (st, 4, (int64_t)ap->pos);
    return jk_proj_exec (self, W_COOPERATIVE_RAT);
}

static int s_status_declared (jk_projections_t *self, const jk_event_t *ev,
                              const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX];
    jk_proj_legal (ev, "legal_number", norm);
    sqlite3_stmt *st = STMT (W_STATUS_INSERT);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, (int64_t)ap->pos);
    jk_proj_bind_field (st, 3, ev, "status");
    jk_proj_bind_field (st, 4, ev, "basis");
    jk_proj_bind_field (st, 5, ev, "on");
    CHECK (jk_proj_exec (self, W_STATUS_INSERT));
    st = STMT (W_COOPERATIVE_STATUS);
    sqlite3_bind_text (st, 1, norm, -1, SQLITE_STATIC);
    jk_proj_bind_field (st, 2, ev, "status");
    jk_proj_bind_field (st, 3, ev, "basis");
    jk_proj_bind_field (st, 4, ev, "on");
    sqlite3_bind_int64 (st, 5, (int64_t)ap->pos);
    return jk_proj_exec (self, W_COOPERATIVE_STATUS);
}

/* Binds the person fields shared by registration and correction:
   ?2 name .. ?9 role, with the cooperative normalised. */
static void s_bind_person (jk_projections_t *self, sqlite3_stmt *st,
                           const jk_event_t *ev, char norm[JK_PROJ_LEGAL_MAX])
{
    jk_proj_bind_field (st, 2, ev, "name");
    jk_proj_bind_field (st, 3, ev, "sex");
    jk_proj_bind_field (st, 4, ev, "birth_date");
    jk_proj_bind_field (st, 5, ev, "desa_code");
    const char *kecamatan =
        s_kecamatan_of (self, jk_proj_text (ev, "desa_code"));
    if (kecamatan)
        sqlite3_bind_text (st, 6, kecamatan, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (st, 6);
    jk_proj_bind_field (st, 7, ev, "phone");
    if (jk_proj_text (ev, "cooperative").ptr) {
        jk_proj_legal (ev, "cooperative", norm);
        sqlite3_bind_text (st, 8, norm, -1, SQLITE_STATIC);
    } else
        sqlite3_bind_null (st, 8);
    jk_proj_bind_field (st, 9, ev, "role");
}

static int s_person_registered (jk_projections_t *self, const jk_event_t *ev,
                                const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX];
    sqlite3_stmt *st = STMT (W_PERSON_INSERT);
    jk_proj_bind_field (st, 1, ev, "nik");
    s_bind_person (self, st, ev, norm);
    sqlite3_bind_int64 (st, 10, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_PERSON_INSERT));
    return s_kecamatan (self,
                        s_kecamatan_of (self, jk_proj_text (ev, "desa_code")),
                        0, 1, 0, 0, 0, 0);
}

static int s_person_corrected (jk_projections_t *self, const jk_event_t *ev,
                               const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX];
    jk_str_t nik = jk_proj_text (ev, "nik");
    person_row_t row;
    CHECK (s_person_read (self, nik, &row));
    if (!row.found)
        return JK_OK;
    sqlite3_stmt *st = STMT (W_PERSON_UPDATE);
    jk_proj_bind_field (st, 1, ev, "nik");
    s_bind_person (self, st, ev, norm);
    sqlite3_bind_int64 (st, 10, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_PERSON_UPDATE));
    if (!jk_proj_text (ev, "desa_code").ptr)
        return JK_OK;
    /* Moving house moves the person's counts to the new kecamatan. */
    const char *after = s_kecamatan_of (self, jk_proj_text (ev, "desa_code"));
    char key[32];
    s_person_delta_t *pending = self->deferred && s_nik_key (nik, key)
                                    ? zhashx_lookup (self->pending_people, key)
                                    : NULL;
    if (pending) /* the stored row moved: so does the pending copy */
        snprintf (pending->row.kecamatan, sizeof pending->row.kecamatan, "%s",
                  after ? after : "");
    if ((after ? after : "")[0] == row.kecamatan[0] &&
        strcmp (after ? after : "", row.kecamatan) == 0)
        return JK_OK;
    int enrolled = row.enrollments > 0, assessed = row.units_assessed > 0,
        competent = row.competent > 0, certificates = (int)row.certificates;
    CHECK (s_kecamatan (self, row.kecamatan, 0, -1, -enrolled, -assessed,
                        -competent, -certificates));
    return s_kecamatan (self, after, 0, 1, enrolled, assessed, competent,
                        certificates);
}

static int s_batch_scheduled (jk_projections_t *self, const jk_event_t *ev,
                              const jk_applied_t *ap)
{
    sqlite3_stmt *st = STMT (W_BATCH_INSERT);
    jk_proj_bind_field (st, 1, ev, "batch");
    jk_proj_bind_field (st, 2, ev, "title");
    jk_proj_bind_field (st, 3, ev, "funding");
    jk_proj_bind_field (st, 4, ev, "budget_year");
    jk_proj_bind_field (st, 5, ev, "venue");
    jk_proj_bind_field (st, 6, ev, "venue_desa_code");
    jk_proj_bind_field (st, 7, ev, "start_date");
    jk_proj_bind_field (st, 8, ev, "end_date");
    sqlite3_bind_int64 (st, 9, jk_proj_number (ev, "class_size_max", 30));
    sqlite3_bind_int64 (st, 10, jk_proj_number (ev, "min_attendance_pct", 80));
    sqlite3_bind_int64 (st, 11, (int64_t)ap->pos);
    return jk_proj_exec (self, W_BATCH_INSERT);
}

/* A batch's terms for attendance %: its lesson hours so far and the
   minimum %. */
typedef struct {
    int64_t jp_total;
    int64_t min_pct;
} s_batch_terms_t;

/* A session's lesson hours (fixed when it is scheduled). */
typedef struct {
    int64_t jp;
} s_session_jp_t;

/* Caches stay small: past this many entries one is emptied and refilled
   from the tables. */
#define S_CACHE_MAX 100000

/* The NUL-terminated key of a batch code, or false (then no cache). */
static bool s_batch_key (jk_str_t batch, char key[JK_PROJ_LEGAL_MAX])
{
    if (!batch.ptr || batch.len >= JK_PROJ_LEGAL_MAX ||
        memchr (batch.ptr, 0, batch.len))
        return false;
    memcpy (key, batch.ptr, batch.len);
    key[batch.len] = 0;
    return true;
}

/* Inserts a cache entry, emptying the cache first when it is full. */
static void s_cache_put (zhashx_t *cache, const char *key, void *item)
{
    if (zhashx_size (cache) >= S_CACHE_MAX)
        zhashx_purge (cache);
    zhashx_insert (cache, key, item);
}

/* Reads a batch's terms; found false when the batch is unknown. */
static int s_batch_terms (jk_projections_t *self, jk_str_t batch, bool *found,
                          s_batch_terms_t *terms)
{
    char key[JK_PROJ_LEGAL_MAX];
    bool cache = self->deferred && s_batch_key (batch, key);
    s_batch_terms_t *cached =
        cache ? zhashx_lookup (self->batch_terms, key) : NULL;
    if (cached) {
        *found = true;
        *terms = *cached;
        return JK_OK;
    }
    sqlite3_stmt *st = STMT (Q_BATCH);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_BATCH);
    if (rc < 0)
        return JK_IO;
    *found = rc == SQLITE_ROW;
    if (!*found)
        return JK_OK;
    terms->min_pct = sqlite3_column_int64 (st, 3);
    terms->jp_total = sqlite3_column_int64 (st, 6);
    sqlite3_reset (st);
    if (cache) {
        cached = jk_calloc (1, sizeof *cached);
        *cached = *terms;
        s_cache_put (self->batch_terms, key, cached);
    }
    return JK_OK;
}

static int s_batch_counters (jk_projections_t *self, jk_str_t batch,
                             int enrolled, int withdrawn, int sessions,
                             int64_t jp)
{
    char key[JK_PROJ_LEGAL_MAX];
    s_batch_terms_t *cached = jp && self->deferred && s_batch_key (batch, key)
                                  ? zhashx_lookup (self->batch_terms, key)
                                  : NULL;
    if (cached) /* kept in step with the row */
        cached->jp_total += jp;
    sqlite3_stmt *st = STMT (W_BATCH_COUNTERS);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    sqlite3_bind_int (st, 2, enrolled);
    sqlite3_bind_int (st, 3, withdrawn);
    sqlite3_bind_int (st, 4, sessions);
    sqlite3_bind_int64 (st, 5, jp);
    return jk_proj_exec (self, W_BATCH_COUNTERS);
}

/* Adds jp_delta to one enrollment's hours (or every enrollment's of the
   batch when nik.ptr is NULL) and recomputes attendance % and
   eligibility from the batch's terms. An unknown batch takes the
   statements that look the terms up themselves (what they did before
   the terms were bound), so the outcome is the same either way. */
static int s_enrollment_jp (jk_projections_t *self, jk_str_t batch,
                            jk_str_t nik, int64_t jp_delta)
{
    bool found;
    s_batch_terms_t terms;
    CHECK (s_batch_terms (self, batch, &found, &terms));
    jk_stmt_id_t id =
        nik.ptr ? (found ? W_ENROLLMENT_TERMS_ONE : W_ENROLLMENT_PCT_ONE)
                : (found ? W_ENROLLMENT_TERMS_BATCH : W_ENROLLMENT_PCT_BATCH);
    sqlite3_stmt *st = STMT (id);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    if (nik.ptr)
        sqlite3_bind_text (st, 2, nik.ptr, (int)nik.len, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 3, jp_delta);
    if (found) {
        sqlite3_bind_int64 (st, 4, terms.jp_total);
        sqlite3_bind_int64 (st, 5, terms.min_pct);
    }
    return jk_proj_exec (self, id);
}

/* Recomputes attendance % and eligibility of one enrollment, or of every
   enrollment of the batch when nik.ptr is NULL. */
static int s_enrollment_pct (jk_projections_t *self, jk_str_t batch,
                             jk_str_t nik)
{
    return s_enrollment_jp (self, batch, nik, 0);
}

static int s_session_scheduled (jk_projections_t *self, const jk_event_t *ev,
                                const jk_applied_t *ap)
{
    sqlite3_stmt *st = STMT (W_SESSION_INSERT);
    jk_proj_bind_field (st, 1, ev, "batch");
    jk_proj_bind_field (st, 2, ev, "session_no");
    jk_proj_bind_field (st, 3, ev, "date");
    jk_proj_bind_field (st, 4, ev, "starts");
    jk_proj_bind_field (st, 5, ev, "ends");
    jk_proj_bind_field (st, 6, ev, "jp");
    jk_proj_bind_field (st, 7, ev, "topic");
    sqlite3_bind_int64 (st, 8, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_SESSION_INSERT));
    jk_str_t batch = jk_proj_text (ev, "batch");
    CHECK (
        s_batch_counters (self, batch, 0, 0, 1, jk_proj_number (ev, "jp", 0)));
    return s_enrollment_pct (self, batch, (jk_str_t){NULL, 0});
}

static int s_participant_enrolled (jk_projections_t *self, const jk_event_t *ev,
                                   const jk_applied_t *ap)
{
    char norm[JK_PROJ_LEGAL_MAX];
    jk_proj_legal (ev, "cooperative", norm);
    jk_str_t batch = jk_proj_text (ev, "batch");
    jk_str_t nik = jk_proj_text (ev, "nik");
    sqlite3_stmt *st = STMT (W_ENROLLMENT_UPSERT);
    jk_proj_bind_field (st, 1, ev, "batch");
    jk_proj_bind_field (st, 2, ev, "nik");
    sqlite3_bind_text (st, 3, norm, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 4, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_ENROLLMENT_UPSERT));
    CHECK (s_enrollment_pct (self, batch, nik));
    CHECK (s_batch_counters (self, batch, 1, 0, 0, 0));
    return s_person_counters (self, nik, 1, 0, 0, 0);
}

static int s_participant_withdrawn (jk_projections_t *self,
                                    const jk_event_t *ev,
                                    const jk_applied_t *ap)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    sqlite3_stmt *st = STMT (W_ENROLLMENT_WITHDRAW);
    jk_proj_bind_field (st, 1, ev, "batch");
    jk_proj_bind_field (st, 2, ev, "nik");
    jk_proj_bind_field (st, 3, ev, "reason");
    sqlite3_bind_int64 (st, 4, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_ENROLLMENT_WITHDRAW));
    CHECK (s_batch_counters (self, batch, -1, 1, 0, 0));
    return s_person_counters (self, jk_proj_text (ev, "nik"), -1, 0, 0, 0);
}

/* HADIR and TERLAMBAT count as present (the presence enum's first two). */
static bool s_present (const char *status)
{
    return strcmp (status, "HADIR") == 0 || strcmp (status, "TERLAMBAT") == 0;
}

/* A session's lesson hours; 0 when it is unknown. */
static int s_session_jp (jk_projections_t *self, jk_str_t batch,
                         int64_t session_no, int64_t *jp)
{
    char key[JK_PROJ_LEGAL_MAX + 24];
    bool cache = self->deferred && !memchr (batch.ptr, 0, batch.len) &&
                 batch.len < JK_PROJ_LEGAL_MAX;
    if (cache) {
        snprintf (key, sizeof key, "%.*s\n%lld", (int)batch.len, batch.ptr,
                  (long long)session_no);
        s_session_jp_t *cached = zhashx_lookup (self->session_jp, key);
        if (cached) {
            *jp = cached->jp;
            return JK_OK;
        }
    }
    sqlite3_stmt *st = STMT (Q_SESSION);
    sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, session_no);
    int rc = jk_proj_query (self, Q_SESSION);
    if (rc < 0)
        return JK_IO;
    *jp = 0;
    if (rc == SQLITE_ROW) {
        *jp = sqlite3_column_int64 (st, 3);
        sqlite3_reset (st);
        if (cache) {
            s_session_jp_t *cached = jk_calloc (1, sizeof *cached);
            cached->jp = *jp;
            s_cache_put (self->session_jp, key, cached);
        }
    }
    return JK_OK;
}

/* Adds jp to an enrollment and recomputes its %; counts the session. */
static int s_attendance_effects (jk_projections_t *self, jk_str_t batch,
                                 int64_t session_no, jk_str_t nik,
                                 int64_t jp_delta, int recorded, int present)
{
    char key[JK_PROJ_LEGAL_MAX + 24];
    int key_len = snprintf (key, sizeof key, "%.*s\n%lld", (int)batch.len,
                            batch.ptr, (long long)session_no);
    if (self->deferred && key_len > 0 && (size_t)key_len < sizeof key &&
        !memchr (batch.ptr, 0, batch.len)) {
        s_session_delta_t *d = zhashx_lookup (self->pending_sessions, key);
        if (!d) {
            d = jk_calloc (1, sizeof *d + batch.len + 1);
            memcpy (d->batch, batch.ptr, batch.len);
            d->session_no = session_no;
            zhashx_insert (self->pending_sessions, key, d);
        }
        d->recorded += recorded;
        d->present += present;
    } else {
        sqlite3_stmt *st = STMT (W_SESSION_COUNTERS);
        sqlite3_bind_text (st, 1, batch.ptr, (int)batch.len, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, session_no);
        sqlite3_bind_int (st, 3, recorded);
        sqlite3_bind_int (st, 4, present);
        CHECK (jk_proj_exec (self, W_SESSION_COUNTERS));
    }
    if (jp_delta == 0)
        return JK_OK;
    return s_enrollment_jp (self, batch, nik, jp_delta);
}

static int s_attendance_recorded (jk_projections_t *self, const jk_event_t *ev,
                                  const jk_applied_t *ap)
{
    jk_str_t batch = jk_proj_text (ev, "batch");
    jk_str_t nik = jk_proj_text (ev, "nik");
    int64_t session_no = jk_proj_number (ev, "session_no", 0);
    int64_t jp;
    if (self->memo_set && memcmp (self->memo_id, ev->id, 16) == 0)
        jp = self->memo_jp; /* decide just read it */
    else
        CHECK (s_session_jp (self, batch, session_no, &jp));
    self->memo_set = false;
    char status[16];
    jk_event_text (ev, "status", status, sizeof status);
    bool present = s_present (status);
    sqlite3_stmt *st = STMT (W_ATTENDANCE_INSERT);
    jk_proj_bind_field (st, 1, ev, "batch");
    jk_proj_bind_field (st, 2, ev, "session_no");
    jk_proj_bind_field (st, 3, ev, "nik");
    jk_proj_bind_field (st, 4, ev, "status");
    jk_proj_bind_field (st, 5, ev, "check_in");
    jk_proj_bind_field (st, 6, ev, "check_out");
    jk_proj_bind_field (st, 7, ev, "method");
    sqlite3_bind_int64 (st, 8, present ? jp : 0);
    sqlite3_bind_blob (st, 9, ev->id, 16, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 10, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_ATTENDANCE_INSERT));
    return s_attendance_effects (self, batch, session_no, nik, present ? jp : 0,
                                 1, present);
}

static int s_attendance_corrected (jk_projections_t *self, const jk_event_t *ev,
                                   const jk_applied_t *ap)
{
    sqlite3_stmt *st = STMT (Q_ATTENDANCE_BY_ID);
    sqlite3_bind_blob (st, 1, ev->corrects, 16, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_ATTENDANCE_BY_ID);
    if (rc < 0)
        return JK_IO;
    if (rc == SQLITE_DONE)
        return JK_OK;
    char batch_text[64], nik_text[24], old_status[16], old_in[8], old_out[8];
    jk_proj_column_text (st, 0, batch_text, sizeof batch_text);
    int64_t session_no = sqlite3_column_int64 (st, 1);
    jk_proj_column_text (st, 2, nik_text, sizeof nik_text);
    jk_proj_column_text (st, 3, old_status, sizeof old_status);
    int64_t old_jp = sqlite3_column_int64 (st, 4);
    jk_proj_column_text (st, 5, old_in, sizeof old_in);
    jk_proj_column_text (st, 6, old_out, sizeof old_out);
    sqlite3_reset (st);
    jk_str_t batch = jk_str_of (batch_text), nik = jk_str_of (nik_text);
    int64_t jp;
    CHECK (s_session_jp (self, batch, session_no, &jp));
    char status[16];
    jk_event_text (ev, "status", status, sizeof status);
    bool present = s_present (status);
    int64_t new_jp = present ? jp : 0;

    /* Times the correction leaves out are kept while the person stays
       present, and dropped when the new status is an absence. */
    st = STMT (W_ATTENDANCE_CORRECT);
    sqlite3_bind_blob (st, 1, ev->corrects, 16, SQLITE_STATIC);
    jk_proj_bind_field (st, 2, ev, "status");
    jk_str_t in = jk_proj_text (ev, "check_in");
    jk_str_t out = jk_proj_text (ev, "check_out");
    if (in.ptr)
        sqlite3_bind_text (st, 3, in.ptr, (int)in.len, SQLITE_STATIC);
    else if (present && old_in[0])
        sqlite3_bind_text (st, 3, old_in, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (st, 3);
    if (out.ptr)
        sqlite3_bind_text (st, 4, out.ptr, (int)out.len, SQLITE_STATIC);
    else if (present && old_out[0])
        sqlite3_bind_text (st, 4, old_out, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null (st, 4);
    sqlite3_bind_int64 (st, 5, new_jp);
    sqlite3_bind_int64 (st, 6, (int64_t)ap->pos);
    jk_proj_bind_field (st, 7, ev, "reason");
    CHECK (jk_proj_exec (self, W_ATTENDANCE_CORRECT));
    return s_attendance_effects (self, batch, session_no, nik, new_jp - old_jp,
                                 0, (int)present - (int)s_present (old_status));
}

static int s_batch_closed (jk_projections_t *self, const jk_event_t *ev,
                           const jk_applied_t *ap)
{
    sqlite3_stmt *st = STMT (W_BATCH_CLOSE);
    jk_proj_bind_field (st, 1, ev, "batch");
    sqlite3_bind_int64 (st, 2, (int64_t)ap->pos);
    return jk_proj_exec (self, W_BATCH_CLOSE);
}

static int s_assessment_scheduled (jk_projections_t *self, const jk_event_t *ev,
                                   const jk_applied_t *ap)
{
    const jk_value_t *units = jk_event_get (ev, "units");
    const jk_value_t *assessors = jk_event_get (ev, "assessors");
    sqlite3_stmt *st = STMT (W_ASSESSMENT_INSERT);
    jk_proj_bind_field (st, 1, ev, "assessment");
    jk_proj_bind_field (st, 2, ev, "scheme_code");
    jk_proj_bind_field (st, 3, ev, "scheme_title");
    jk_proj_bind_field (st, 4, ev, "date");
    jk_proj_bind_field (st, 5, ev, "batch");
    jk_proj_bind_field (st, 6, ev, "lsp");
    sqlite3_bind_int (st, 7, (int)units->count);
    sqlite3_bind_int (st, 8, (int)assessors->count);
    sqlite3_bind_int64 (st, 9, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_ASSESSMENT_INSERT));
    for (uint32_t i = 0; i < units->count; i++) {
        st = STMT (W_UNIT_INSERT);
        jk_proj_bind_field (st, 1, ev, "assessment");
        jk_str_t code = units->items[2 * i], title = units->items[2 * i + 1];
        sqlite3_bind_text (st, 2, code.ptr, (int)code.len, SQLITE_STATIC);
        sqlite3_bind_text (st, 3, title.ptr, (int)title.len, SQLITE_STATIC);
        sqlite3_bind_int (st, 4, (int)i + 1);
        CHECK (jk_proj_exec (self, W_UNIT_INSERT));
    }
    for (uint32_t i = 0; i < assessors->count; i++) {
        st = STMT (W_ASSESSOR_INSERT);
        jk_proj_bind_field (st, 1, ev, "assessment");
        jk_str_t a = assessors->items[i];
        sqlite3_bind_text (st, 2, a.ptr, (int)a.len, SQLITE_STATIC);
        CHECK (jk_proj_exec (self, W_ASSESSOR_INSERT));
    }
    return JK_OK;
}

static int s_unit_assessed (jk_projections_t *self, const jk_event_t *ev,
                            const jk_applied_t *ap)
{
    /* Methods in vocabulary order, comma-separated: a stable text. */
    const jk_value_t *methods = jk_event_get (ev, "methods");
    const jk_field_t *f =
        &ev->type->fields[jk_type_field (ev->type, "methods", 7)];
    char text[160] = "";
    size_t n = 0;
    for (int k = 0; f->values[k]; k++)
        if (methods->n & ((int64_t)1 << k))
            n += (size_t)snprintf (text + n, sizeof text - n, "%s%s",
                                   n ? "," : "", f->values[k]);
    sqlite3_stmt *st = STMT (W_UNIT_RESULT_UPSERT);
    jk_proj_bind_field (st, 1, ev, "assessment");
    jk_proj_bind_field (st, 2, ev, "nik");
    jk_proj_bind_field (st, 3, ev, "unit");
    jk_proj_bind_field (st, 4, ev, "verdict");
    jk_proj_bind_field (st, 5, ev, "score");
    sqlite3_bind_text (st, 6, text, -1, SQLITE_TRANSIENT);
    jk_proj_bind_field (st, 7, ev, "assessor");
    sqlite3_bind_int64 (st, 8, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_UNIT_RESULT_UPSERT));
    return s_person_counters (self, jk_proj_text (ev, "nik"), 0, 1, 0, 0);
}

static int s_decided (jk_projections_t *self, const jk_event_t *ev,
                      const jk_applied_t *ap)
{
    jk_str_t assessment = jk_proj_text (ev, "assessment");
    jk_str_t nik = jk_proj_text (ev, "nik");
    sqlite3_stmt *st = STMT (Q_RESULT);
    sqlite3_bind_text (st, 1, assessment.ptr, (int)assessment.len,
                       SQLITE_STATIC);
    sqlite3_bind_text (st, 2, nik.ptr, (int)nik.len, SQLITE_STATIC);
    int rc = jk_proj_query (self, Q_RESULT);
    if (rc < 0)
        return JK_IO;
    bool was_k = false;
    if (rc == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text (st, 0);
        was_k = v && strcmp ((const char *)v, "K") == 0;
        sqlite3_reset (st);
    }
    bool is_k = jk_str_eq (jk_proj_text (ev, "verdict"), "K");
    st = STMT (W_RESULT_UPSERT);
    jk_proj_bind_field (st, 1, ev, "assessment");
    jk_proj_bind_field (st, 2, ev, "nik");
    jk_proj_bind_field (st, 3, ev, "verdict");
    sqlite3_bind_int64 (st, 4, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_RESULT_UPSERT));
    if (is_k == was_k)
        return JK_OK;
    return s_person_counters (self, nik, 0, 0, is_k ? 1 : -1, 0);
}

/* issued_on + years, 29 February falling back to 28 February. */
static int32_t s_add_years (int32_t day, int years)
{
    int y, m, d;
    jk_civil_from_days (day, &y, &m, &d);
    if (!jk_date_valid (y + years, m, d))
        d = 28;
    return jk_days_from_civil (y + years, m, d);
}

static int s_certificate_issued (jk_projections_t *self, const jk_event_t *ev,
                                 const jk_applied_t *ap)
{
    sqlite3_stmt *st = STMT (W_CERTIFICATE_INSERT);
    jk_proj_bind_field (st, 1, ev, "number");
    jk_proj_bind_field (st, 2, ev, "nik");
    jk_proj_bind_field (st, 3, ev, "assessment");
    jk_proj_bind_field (st, 4, ev, "issued_on");
    char until[11];
    if (jk_proj_text (ev, "valid_until").ptr)
        jk_proj_bind_field (st, 5, ev, "valid_until");
    else {
        jk_date_format (
            s_add_years ((int32_t)jk_proj_number (ev, "issued_on", 0), 3),
            until);
        sqlite3_bind_text (st, 5, until, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64 (st, 6, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_CERTIFICATE_INSERT));
    return s_person_counters (self, jk_proj_text (ev, "nik"), 0, 0, 0, 1);
}

static int s_certificate_revoked (jk_projections_t *self, const jk_event_t *ev,
                                  const jk_applied_t *ap)
{
    sqlite3_stmt *st = STMT (Q_CERTIFICATE);
    jk_proj_bind_field (st, 1, ev, "number");
    int rc = jk_proj_query (self, Q_CERTIFICATE);
    if (rc < 0)
        return JK_IO;
    if (rc == SQLITE_DONE)
        return JK_OK;
    char nik[24];
    jk_proj_column_text (st, 0, nik, sizeof nik);
    bool revoked = sqlite3_column_int (st, 1) != 0;
    sqlite3_reset (st);
    if (revoked)
        return JK_OK;
    st = STMT (W_CERTIFICATE_REVOKE);
    jk_proj_bind_field (st, 1, ev, "number");
    jk_proj_bind_field (st, 2, ev, "reason");
    sqlite3_bind_int64 (st, 3, (int64_t)ap->pos);
    CHECK (jk_proj_exec (self, W_CERTIFICATE_REVOKE));
    return s_person_counters (self, jk_str_of (nik), 0, 0, 0, -1);
}

typedef int (apply_fn) (jk_projections_t *, const jk_event_t *,
                        const jk_applied_t *);

typedef struct {
    const char *type;
    apply_fn *apply;
} apply_entry_t;

static const apply_entry_t s_apply[] = {
    {"cooperative.registered", s_cooperative_registered},
    {"cooperative.updated", s_cooperative_updated},
    {"cooperative.rat_held", s_rat_held},
    {"cooperative.status_declared", s_status_declared},
    {"person.registered", s_person_registered},
    {"person.corrected", s_person_corrected},
    {"training.batch_scheduled", s_batch_scheduled},
    {"training.session_scheduled", s_session_scheduled},
    {"training.participant_enrolled", s_participant_enrolled},
    {"training.participant_withdrawn", s_participant_withdrawn},
    {"attendance.recorded", s_attendance_recorded},
    {"attendance.corrected", s_attendance_corrected},
    {"training.batch_closed", s_batch_closed},
    {"assessment.scheduled", s_assessment_scheduled},
    {"assessment.unit_assessed", s_unit_assessed},
    {"assessment.decided", s_decided},
    {"certificate.issued", s_certificate_issued},
    {"certificate.revoked", s_certificate_revoked},
};

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

static int s_warnings (jk_projections_t *self, const jk_event_t *ev,
                       const jk_applied_t *ap)
{
    if (!ap->warnings || ap->warnings->warning_count == 0)
        return JK_OK;
    char entity[160];
    s_entity (ev, entity, sizeof entity);
    for (int i = 0; i < ap->warnings->warning_count; i++) {
        const jk_problem_t *w = &ap->warnings->warnings[i];
        sqlite3_stmt *st = STMT (W_QUALITY_INSERT);
        sqlite3_bind_int64 (st, 1, (int64_t)ap->pos);
        sqlite3_bind_int (st, 2, i + 1);
        sqlite3_bind_blob (st, 3, ev->id, 16, SQLITE_STATIC);
        sqlite3_bind_text (st, 4, entity, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 5, w->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 6, w->field, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 7, w->message, -1, SQLITE_STATIC);
        CHECK (jk_proj_exec (self, W_QUALITY_INSERT));
    }
    return JK_OK;
}

/* Per-source progress, for every record; sources.last_pos is also how the
   last applied position is kept (one statement per record, not two). */
static int s_progress (jk_projections_t *self, const char *source,
                       int source_len, uint64_t seq, bool accepted,
                       const jk_applied_t *ap)
{
    char key[256];
    if (self->deferred && source && source_len > 0 &&
        (size_t)source_len < sizeof key &&
        !memchr (source, 0, (size_t)source_len)) {
        memcpy (key, source, (size_t)source_len);
        key[source_len] = 0;
        s_source_delta_t *d = zhashx_lookup (self->pending_sources, key);
        if (!d) {
            d = jk_calloc (1, sizeof *d);
            d->seq_max = (int64_t)seq;
            d->first_recorded_at = ap->recorded_at;
            zhashx_insert (self->pending_sources, key, d);
        }
        if ((int64_t)seq > d->seq_max)
            d->seq_max = (int64_t)seq;
        d->accepted += accepted;
        d->rejected += !accepted;
        d->last_recorded_at = ap->recorded_at;
        d->last_pos = (int64_t)ap->pos;
        return JK_OK;
    }
    if (source && source_len > 0) {
        sqlite3_stmt *st = STMT (W_SOURCE);
        sqlite3_bind_text (st, 1, source, source_len, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 2, (int64_t)seq);
        sqlite3_bind_int (st, 3, accepted);
        sqlite3_bind_int (st, 4, !accepted);
        sqlite3_bind_int64 (st, 5, ap->recorded_at);
        sqlite3_bind_int64 (st, 6, (int64_t)ap->pos);
        return jk_proj_exec (self, W_SOURCE);
    }
    /* A record with no readable source: the position goes to
       projection_meta instead (jk_projections_last_pos takes the larger). */
    sqlite3_bind_int64 (STMT (W_META_POS), 1, (int64_t)ap->pos);
    return jk_proj_exec (self, W_META_POS);
}

int jk_proj_apply_check (char *err, size_t err_size)
{
    size_t n = sizeof s_apply / sizeof s_apply[0];
    for (size_t i = 0; i < jk_vocabulary_count (); i++)
        if (i >= n || strcmp (s_apply[i].type, jk_vocabulary_at (i)->name)) {
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
    const apply_entry_t *entry = &s_apply[index];
    CHECK (entry->apply (self, event, applied));
    CHECK (s_warnings (self, event, applied));
    return s_progress (self, event->source.ptr, (int)event->source.len,
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
    return s_progress (self, source, source_len, seq, false, applied);
}
