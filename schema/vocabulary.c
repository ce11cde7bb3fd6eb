/*  vocabulary.c - THE table: every event type of version 1 with its fields
    and rules (SPEC 3.2). Codec, validation, agents' flags, CSV columns, the
    store's columns and docs/EVENTS.md all expand from here. To add a field
    or a type, change this file only (then regenerate docs/EVENTS.md). */
#include "jk_schema.h"
#include "schema_internal.h"

#include <string.h>

static const char *const s_form[] = {"PRIMER", "SEKUNDER", NULL};
static const char *const s_kind[] = {
    "SIMPAN_PINJAM", "KONSUMEN",    "PRODUSEN", "PEMASARAN",
    "JASA",          "SERBA_USAHA", NULL};
static const char *const s_pattern[] = {"KONVENSIONAL", "SYARIAH", NULL};
static const char *const s_coop_status[] = {"AKTIF", "TIDAK_AKTIF", "DIBEKUKAN",
                                            "DIBUBARKAN", NULL};
static const char *const s_sex[] = {"L", "P", NULL};
static const char *const s_role[] = {"KETUA",    "SEKRETARIS", "BENDAHARA",
                                     "PENGAWAS", "MANAJER",    "KARYAWAN",
                                     "ANGGOTA",  NULL};
static const char *const s_funding[] = {
    "DAK_NF_PK2UMK", "APBD_KAB", "APBD_PROV", "APBN",
    "MANDIRI",       "LAINNYA",  NULL};
static const char *const s_presence[] = {"HADIR", "TERLAMBAT", "IZIN",
                                         "SAKIT", "ALPA",      NULL};
static const char *const s_method[] = {"PAPER", "QR", "ONLINE", "OPERATOR",
                                       NULL};
static const char *const s_assess_method[] = {
    "WRITTEN",   "ORAL",       "INTERVIEW", "OBSERVATION",
    "PORTFOLIO", "CASE_STUDY", NULL};
static const char *const s_verdict[] = {"K", "BK", NULL};

/* Shorthands keep the table readable: one line per field. */
#define STR(n, req, lo, hi, fmt, doc)                                          \
    {                                                                          \
        n, JK_KIND_STR, req, lo, hi, NULL, fmt, NULL, doc                      \
    }
#define UINT(n, req, lo, hi, def, doc)                                         \
    {                                                                          \
        n, JK_KIND_UINT, req, lo, hi, NULL, JK_FORMAT_NONE, def, doc           \
    }
#define DATE(n, req, def, doc)                                                 \
    {                                                                          \
        n, JK_KIND_DATE, req, 0, 0, NULL, JK_FORMAT_NONE, def, doc             \
    }
#define TIME(n, req, doc)                                                      \
    {                                                                          \
        n, JK_KIND_TIME, req, 0, 0, NULL, JK_FORMAT_NONE, NULL, doc            \
    }
#define ENUM(n, req, vals, doc)                                                \
    {                                                                          \
        n, JK_KIND_ENUM, req, 0, 0, vals, JK_FORMAT_NONE, NULL, doc            \
    }
#define BOOL(n, req, doc)                                                      \
    {                                                                          \
        n, JK_KIND_BOOL, req, 0, 0, NULL, JK_FORMAT_NONE, NULL, doc            \
    }
#define COUNT(a) (sizeof (a) / sizeof ((a)[0]))

#define R true  /* required */
#define O false /* optional */

/* Common fields, written once. */
#define F_LEGAL_NUMBER                                                         \
    STR ("legal_number", R, 1, 100, JK_FORMAT_LEGAL_NUMBER,                    \
         "legal-entity number (nomor badan hukum): AHU-nnnnnnn.AH.01.26 "      \
         "[.TAHUN yyyy] or legacy .../BH/...")
#define F_NIK(req)                                                             \
    STR ("nik", req, 16, 16, JK_FORMAT_NIK, "person number (NIK), 16 digits")
#define F_BATCH(req)                                                           \
    STR ("batch", req, 3, 40, JK_FORMAT_CODE,                                  \
         "training batch code, e.g. PK2UMK-2022-01")
#define F_REASON                                                               \
    STR ("reason", R, 5, 250, JK_FORMAT_NONE, "why, at least 5 characters")
#define F_ASSESSMENT                                                           \
    STR ("assessment", R, 2, 40, JK_FORMAT_CODE, "assessment code")

static const jk_field_t s_cooperative_registered[] = {
    F_LEGAL_NUMBER,
    DATE ("legal_date", R, NULL,
          "date of the legal-entity decree; not in "
          "the future"),
    STR ("name", R, 3, 150, JK_FORMAT_NONE, "cooperative name"),
    ENUM ("form", R, s_form, "form"),
    ENUM ("kind", R, s_kind, "kind of business"),
    ENUM ("pattern", R, s_pattern, "conventional or sharia"),
    STR ("desa_code", R, 13, 13, JK_FORMAT_DESA_REGION,
         "desa code of the seat (reference data); the kecamatan derives "
         "from it"),
    STR ("address", O, 0, 250, JK_FORMAT_NONE, "street address"),
    STR ("nik_koperasi", O, 13, 13, JK_FORMAT_NIK_KOPERASI,
         "cooperative identity number, 13 digits (warning if not 3203...)"),
    UINT ("members_male", R, 0, 10000000, NULL, "male members"),
    UINT ("members_female", R, 0, 10000000, NULL, "female members"),
};

static const jk_field_t s_cooperative_updated[] = {
    F_LEGAL_NUMBER,
    STR ("name", O, 3, 150, JK_FORMAT_NONE, "cooperative name"),
    ENUM ("form", O, s_form, "form"),
    ENUM ("kind", O, s_kind, "kind of business"),
    ENUM ("pattern", O, s_pattern, "conventional or sharia"),
    STR ("desa_code", O, 13, 13, JK_FORMAT_DESA_REGION,
         "desa code of the seat"),
    STR ("address", O, 0, 250, JK_FORMAT_NONE, "street address"),
    STR ("nik_koperasi", O, 13, 13, JK_FORMAT_NIK_KOPERASI,
         "cooperative identity number, 13 digits"),
    UINT ("members_male", O, 0, 10000000, NULL, "male members"),
    UINT ("members_female", O, 0, 10000000, NULL, "female members"),
};

static const jk_field_t s_rat_held[] = {
    F_LEGAL_NUMBER,
    UINT ("book_year", R, 1990, 9999, NULL,
          "book year the meeting closes, 1990 .. the current year"),
    DATE ("held_on", R, NULL,
          "date of the meeting: after 31 December of the "
          "book year, not in the future"),
    UINT ("members_present", R, 0, 10000000, NULL, "members present"),
    BOOL ("quorum_met", R, "whether the quorum was met"),
};

static const jk_field_t s_status_declared[] = {
    F_LEGAL_NUMBER,
    ENUM ("status", R, s_coop_status, "declared status"),
    STR ("basis", O, 3, 100, JK_FORMAT_NONE,
         "decree number; required for DIBEKUKAN and DIBUBARKAN"),
    DATE ("on", R, NULL, "date the status takes effect"),
};

static const jk_field_t s_person_registered[] = {
    F_NIK (R),
    STR ("name", R, 2, 100, JK_FORMAT_NONE, "full name"),
    ENUM ("sex", R, s_sex, "L (male) or P (female)"),
    DATE ("birth_date", R, NULL, "date of birth"),
    STR ("desa_code", R, 13, 13, JK_FORMAT_DESA_ANY,
         "desa of residence: a Cianjur desa, or any Kemendagri desa code"),
    STR ("phone", O, 10, 16, JK_FORMAT_PHONE,
         "mobile number: ^(\\+62|62|0)8\\d{8,11}$"),
    STR ("cooperative", O, 1, 100, JK_FORMAT_LEGAL_NUMBER,
         "legal number of the person's cooperative (registered)"),
    ENUM ("role", O, s_role,
          "role in that cooperative; given with "
          "cooperative"),
};

static const jk_field_t s_person_corrected[] = {
    F_NIK (R),
    STR ("name", O, 2, 100, JK_FORMAT_NONE, "corrected name"),
    ENUM ("sex", O, s_sex, "corrected sex"),
    DATE ("birth_date", O, NULL, "corrected date of birth"),
    STR ("desa_code", O, 13, 13, JK_FORMAT_DESA_ANY, "corrected desa"),
    STR ("phone", O, 10, 16, JK_FORMAT_PHONE, "corrected phone"),
    STR ("cooperative", O, 1, 100, JK_FORMAT_LEGAL_NUMBER,
         "corrected cooperative (registered)"),
    ENUM ("role", O, s_role, "corrected role"),
    F_REASON,
};

static const jk_field_t s_batch_scheduled[] = {
    F_BATCH (R),
    STR ("title", R, 3, 200, JK_FORMAT_NONE, "title of the training"),
    ENUM ("funding", R, s_funding, "source of funds"),
    UINT ("budget_year", R, 2000, 2100, NULL, "budget year"),
    STR ("venue", R, 3, 200, JK_FORMAT_NONE, "venue name"),
    STR ("venue_desa_code", R, 13, 13, JK_FORMAT_DESA_ANY, "desa of the venue"),
    DATE ("start_date", R, NULL, "first day"),
    DATE ("end_date", R, NULL,
          "last day: start_date .. start_date + 13 "
          "(at most 14 days)"),
    UINT ("class_size_max", O, 1, 500, "30", "participants at most"),
    UINT ("min_attendance_pct", O, 0, 100, "80",
          "attendance % needed to be assessed"),
};

static const jk_field_t s_session_scheduled[] = {
    F_BATCH (R),
    UINT ("session_no", R, 1, 100, NULL, "session number within the batch"),
    DATE ("date", R, NULL, "date, within the batch's days"),
    TIME ("starts", R, "start time, HH:MM WIB"),
    TIME ("ends", R, "end time, HH:MM WIB, after starts"),
    UINT ("jp", R, 1, 10, NULL, "lesson hours (jam pelajaran) of 45 minutes"),
    STR ("topic", R, 3, 200, JK_FORMAT_NONE, "topic"),
};

static const jk_field_t s_participant_enrolled[] = {
    F_BATCH (R),
    F_NIK (R),
    STR ("cooperative", R, 1, 100, JK_FORMAT_LEGAL_NUMBER,
         "legal number of the cooperative the participant represents"),
};

static const jk_field_t s_participant_withdrawn[] = {
    F_BATCH (R),
    F_NIK (R),
    F_REASON,
};

static const jk_field_t s_attendance_recorded[] = {
    F_BATCH (R),
    UINT ("session_no", R, 1, 100, NULL, "scheduled session number"),
    F_NIK (R),
    ENUM ("status", R, s_presence, "presence"),
    TIME ("check_in", O,
          "check-in time HH:MM; required for HADIR and "
          "TERLAMBAT"),
    TIME ("check_out", O, "check-out time HH:MM, not before check_in"),
    ENUM ("method", R, s_method, "how presence was taken"),
};

static const jk_field_t s_attendance_corrected[] = {
    ENUM ("status", R, s_presence, "corrected presence"),
    TIME ("check_in", O, "corrected check-in time"),
    TIME ("check_out", O, "corrected check-out time"),
    F_REASON,
};

static const jk_field_t s_batch_closed[] = {
    F_BATCH (R),
};

static const jk_field_t s_assessment_scheduled[] = {
    F_ASSESSMENT,
    STR ("scheme_code", R, 1, 60, JK_FORMAT_NONE, "certification scheme code"),
    STR ("scheme_title", R, 3, 200, JK_FORMAT_NONE, "scheme title"),
    {"units", JK_KIND_UNITS, R, 1, 50, NULL, JK_FORMAT_NONE, NULL,
     "competency units: CODE=TITLE items separated by |"},
    DATE ("date", R, NULL, "date of the assessment"),
    F_BATCH (O),
    STR ("lsp", R, 3, 150, JK_FORMAT_NONE, "certification body (LSP)"),
    {"assessors", JK_KIND_LIST, R, 1, 20, NULL, JK_FORMAT_NONE, NULL,
     "assessor ids, comma-separated"},
};

static const jk_field_t s_unit_assessed[] = {
    F_ASSESSMENT,
    F_NIK (R),
    STR ("unit", R, 1, 60, JK_FORMAT_NONE,
         "unit code, one of the "
         "assessment's"),
    {"methods", JK_KIND_SET, R, 1, 6, s_assess_method, JK_FORMAT_NONE, NULL,
     "assessment methods used, comma-separated"},
    ENUM ("verdict", R, s_verdict, "K (kompeten) or BK (belum kompeten)"),
    UINT ("score", O, 0, 100, NULL, "score 0..100"),
    STR ("assessor", R, 1, 60, JK_FORMAT_NONE,
         "assessor id, one of the "
         "assessment's"),
};

static const jk_field_t s_assessment_decided[] = {
    F_ASSESSMENT,
    F_NIK (R),
    ENUM ("verdict", R, s_verdict,
          "K only when every unit's latest verdict "
          "is K"),
};

static const jk_field_t s_certificate_issued[] = {
    STR ("number", R, 1, 60, JK_FORMAT_NONE, "certificate number, unique"),
    F_NIK (R),
    F_ASSESSMENT,
    DATE ("issued_on", R, NULL, "date of issue"),
    DATE ("valid_until", O, "issued_on + 3 years",
          "expiry: 1 to 5 years after issued_on"),
};

static const jk_field_t s_certificate_revoked[] = {
    STR ("number", R, 1, 60, JK_FORMAT_NONE, "certificate number"),
    F_REASON,
};

#define TYPE(n, dom, cmd, flds, corr, chk, doc)                                \
    {                                                                          \
        n, 1, dom, cmd, doc, flds, COUNT (flds), corr, chk, NULL, NULL         \
    }

static const jk_type_t s_types[] = {
    TYPE ("cooperative.registered", JK_DOMAIN_REGISTRATION, "cooperative",
          s_cooperative_registered, false, jk_check_cooperative_registered,
          "A cooperative with legal status is registered. Rejected if its "
          "normalised legal number is already registered."),
    TYPE ("cooperative.updated", JK_DOMAIN_REGISTRATION, "cooperative-update",
          s_cooperative_updated, false, jk_check_any_optional,
          "Mutable fields of a registered cooperative change; at least one "
          "is given."),
    TYPE ("cooperative.rat_held", JK_DOMAIN_REGISTRATION, "rat", s_rat_held,
          false, jk_check_rat_held,
          "A cooperative held its annual members' meeting (RAT) for a book "
          "year. One per cooperative and book year; late if held more than "
          "rat_deadline_months (default 6) after the book year ends."),
    TYPE ("cooperative.status_declared", JK_DOMAIN_REGISTRATION,
          "cooperative-status", s_status_declared, false,
          jk_check_status_declared,
          "The dinas declares a cooperative's status."),
    TYPE ("person.registered", JK_DOMAIN_REGISTRATION, "person",
          s_person_registered, false, jk_check_person,
          "A person is registered by NIK. Rejected if the NIK is already "
          "registered. Sex or birth date that disagree with the NIK, and an "
          "unknown province code, are warnings."),
    TYPE ("person.corrected", JK_DOMAIN_REGISTRATION, "person-correct",
          s_person_corrected, false, jk_check_person_corrected,
          "Fields of a registered person are corrected, with a reason."),
    TYPE ("training.batch_scheduled", JK_DOMAIN_REGISTRATION, "batch",
          s_batch_scheduled, false, jk_check_batch,
          "A training batch is scheduled."),
    TYPE ("training.session_scheduled", JK_DOMAIN_REGISTRATION, "session",
          s_session_scheduled, false, jk_check_session,
          "A session of a batch is scheduled, on one of the batch's days."),
    TYPE ("training.participant_enrolled", JK_DOMAIN_REGISTRATION, "enroll",
          s_participant_enrolled, false, NULL,
          "A registered person is enrolled in a batch for a registered "
          "cooperative. Rejected when the batch is full or the person is "
          "already enrolled."),
    TYPE ("training.participant_withdrawn", JK_DOMAIN_REGISTRATION, "withdraw",
          s_participant_withdrawn, false, NULL,
          "An enrolled participant withdraws."),
    TYPE ("attendance.recorded", JK_DOMAIN_ATTENDANCE, "record",
          s_attendance_recorded, false, jk_check_attendance,
          "A participant's presence at a scheduled session. One per session "
          "and person: a second is rejected (correct it instead)."),
    TYPE ("attendance.corrected", JK_DOMAIN_ATTENDANCE, "correct",
          s_attendance_corrected, true, jk_check_attendance,
          "Corrects an attendance.recorded event named by envelope.corrects."),
    TYPE ("training.batch_closed", JK_DOMAIN_ATTENDANCE, "close-batch",
          s_batch_closed, false, NULL,
          "Closes a batch: attendance is frozen. Attendance % = lesson hours "
          "attended (HADIR, TERLAMBAT) / lesson hours scheduled."),
    TYPE ("assessment.scheduled", JK_DOMAIN_SCORING, "assessment",
          s_assessment_scheduled, false, jk_check_assessment,
          "A competency assessment (uji kompetensi) is scheduled with its "
          "units and assessors, optionally linked to a training batch."),
    TYPE ("assessment.unit_assessed", JK_DOMAIN_SCORING, "unit",
          s_unit_assessed, false, NULL,
          "An assessor records a verdict on one unit for one person. A "
          "re-assessment is a new attempt; the latest counts. If the "
          "assessment is linked to a batch, the person must be enrolled and "
          "have reached its minimum attendance."),
    TYPE ("assessment.decided", JK_DOMAIN_SCORING, "decide",
          s_assessment_decided, false, NULL,
          "The overall verdict for a person. K only when every scheduled "
          "unit's latest verdict is K."),
    TYPE ("certificate.issued", JK_DOMAIN_SCORING, "certificate",
          s_certificate_issued, false, jk_check_certificate,
          "A competency certificate is issued to a person decided K."),
    TYPE ("certificate.revoked", JK_DOMAIN_SCORING, "revoke",
          s_certificate_revoked, false, NULL, "A certificate is revoked."),
};

size_t jk_vocabulary_count (void)
{
    return COUNT (s_types);
}

const jk_type_t *jk_vocabulary_at (size_t index)
{
    return index < COUNT (s_types) ? &s_types[index] : NULL;
}

int jk_vocabulary_index (const jk_type_t *type)
{
    /* Compared as integers: only pointers into the table may be
       subtracted. */
    uintptr_t first = (uintptr_t)&s_types[0];
    uintptr_t at = (uintptr_t)type;
    if (at < first || at >= first + sizeof s_types ||
        (at - first) % sizeof s_types[0])
        return -1;
    return (int)((at - first) / sizeof s_types[0]);
}

const jk_type_t *jk_vocabulary_find (const char *name, size_t len)
{
    /* name comes from the wire: it may hold NUL bytes, so compare lengths
       (strnlen never reads past the table name) and then bytes. */
    for (size_t i = 0; i < COUNT (s_types); i++)
        if (len > 0 && s_types[i].name[0] == name[0] &&
            strnlen (s_types[i].name, len + 1) == len &&
            memcmp (s_types[i].name, name, len) == 0)
            return &s_types[i];
    return NULL;
}

const jk_type_t *jk_vocabulary_by_command (jk_domain_t domain,
                                           const char *command)
{
    for (size_t i = 0; i < COUNT (s_types); i++)
        if ((s_types[i].domain & domain) &&
            strcmp (s_types[i].command, command) == 0)
            return &s_types[i];
    return NULL;
}

int jk_type_field (const jk_type_t *type, const char *name, size_t len)
{
    for (size_t i = 0; i < type->field_count; i++) {
        const char *f = type->fields[i].name;
        if (len > 0 && f[0] == name[0] && strnlen (f, len + 1) == len &&
            memcmp (f, name, len) == 0)
            return (int)i;
    }
    return -1;
}

const char *jk_kind_name (jk_kind_t kind)
{
    static const char *names[] = {"text", "uint", "bool", "date", "time",
                                  "enum", "set",  "list", "units"};
    return names[kind];
}

const char *jk_domain_name (jk_domain_t domain)
{
    switch (domain) {
        case JK_DOMAIN_REGISTRATION:
            return "registration";
        case JK_DOMAIN_ATTENDANCE:
            return "attendance";
        case JK_DOMAIN_SCORING:
            return "scoring";
    }
    return "?";
}

jk_domain_t jk_domain_parse (const char *text)
{
    if (strcmp (text, "registration") == 0)
        return JK_DOMAIN_REGISTRATION;
    if (strcmp (text, "attendance") == 0)
        return JK_DOMAIN_ATTENDANCE;
    if (strcmp (text, "scoring") == 0)
        return JK_DOMAIN_SCORING;
    return (jk_domain_t)0;
}
