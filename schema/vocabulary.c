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
#define STR(n, req, lo, hi, fmt, doc, label, help)                             \
    {                                                                          \
        n, JK_KIND_STR, req, lo, hi, NULL, fmt, NULL, doc, label, help, 0      \
    }
#define UINT(n, req, lo, hi, def, doc, label, help)                            \
    {                                                                          \
        n, JK_KIND_UINT, req, lo, hi, NULL, JK_FORMAT_NONE, def, doc, label,   \
            help, 0                                                            \
    }
#define DATE(n, req, def, doc, label, help)                                    \
    {                                                                          \
        n, JK_KIND_DATE, req, 0, 0, NULL, JK_FORMAT_NONE, def, doc, label,     \
            help, 0                                                            \
    }
#define TIME(n, req, doc, label, help)                                         \
    {                                                                          \
        n, JK_KIND_TIME, req, 0, 0, NULL, JK_FORMAT_NONE, NULL, doc, label,    \
            help, 0                                                            \
    }
#define ENUM(n, req, vals, doc, label, help)                                   \
    {                                                                          \
        n, JK_KIND_ENUM, req, 0, 0, vals, JK_FORMAT_NONE, NULL, doc, label,    \
            help, 0                                                            \
    }
#define BOOL(n, req, doc, label, help)                                         \
    {                                                                          \
        n, JK_KIND_BOOL, req, 0, 0, NULL, JK_FORMAT_NONE, NULL, doc, label,    \
            help, 0                                                            \
    }
#define COUNT(a) (sizeof (a) / sizeof ((a)[0]))

#define R true  /* required */
#define O false /* optional */

/* Common fields, written once. */
#define F_LEGAL_NUMBER                                                         \
    STR ("legal_number", R, 1, 100, JK_FORMAT_LEGAL_NUMBER,                    \
         "legal-entity number (nomor badan hukum): AHU-nnnnnnn.AH.01.26 "      \
         "[.TAHUN yyyy] or legacy .../BH/...",                                 \
         "Nomor badan hukum",                                                  \
         "Nomor SK badan hukum, mis. AHU-0001234.AH.01.26.TAHUN 2019, atau "   \
         "nomor lama .../BH/...")
#define F_NIK(req)                                                             \
    STR ("nik", req, 16, 16, JK_FORMAT_NIK, "person number (NIK), 16 digits",  \
         "NIK", "Nomor Induk Kependudukan, 16 angka")
#define F_BATCH(req)                                                           \
    STR ("batch", req, 3, 40, JK_FORMAT_CODE,                                  \
         "training batch code, e.g. PK2UMK-2022-01", "Kode angkatan",          \
         "Kode angkatan pelatihan, mis. PK2UMK-2022-01")
#define F_REASON                                                               \
    STR ("reason", R, 5, 250, JK_FORMAT_NONE, "why, at least 5 characters",    \
         "Alasan", "Alasan perubahan, paling sedikit 5 huruf")
#define F_ASSESSMENT                                                           \
    STR ("assessment", R, 2, 40, JK_FORMAT_CODE, "assessment code",            \
         "Kode uji kompetensi", "Kode uji kompetensi, mis. UK-2022-01")

static const jk_field_t s_cooperative_registered[] = {
    F_LEGAL_NUMBER,
    DATE ("legal_date", R, NULL,
          "date of the legal-entity decree; not in the future (today in "
          "WIB): `E_FIELD_RANGE`",
          "Tanggal badan hukum",
          "Tanggal SK badan hukum; tidak boleh di masa depan"),
    STR ("name", R, 3, 150, JK_FORMAT_NONE, "cooperative name", "Nama koperasi",
         "Nama lengkap koperasi"),
    ENUM ("form", R, s_form, "form", "Bentuk koperasi", "Primer atau sekunder"),
    ENUM ("kind", R, s_kind, "kind of business", "Jenis usaha",
          "Jenis koperasi menurut usahanya"),
    ENUM ("pattern", R, s_pattern, "conventional or sharia", "Pola pengelolaan",
          "Konvensional atau syariah"),
    STR ("desa_code", R, 13, 13, JK_FORMAT_DESA_REGION,
         "desa code of the seat (reference data); the kecamatan derives "
         "from it",
         "Desa/kelurahan",
         "Desa tempat kedudukan koperasi; kecamatan mengikuti desanya"),
    STR ("address", O, 0, 250, JK_FORMAT_NONE, "street address", "Alamat",
         "Alamat jalan (boleh kosong)"),
    STR ("nik_koperasi", O, 13, 13, JK_FORMAT_NIK_KOPERASI,
         "cooperative identity number, 13 digits (warning if not 3203...)",
         "NIK koperasi",
         "Nomor induk koperasi, 13 angka (biasanya diawali 3203)"),
    UINT ("members_male", R, 0, 10000000, NULL, "male members",
          "Anggota laki-laki", "Jumlah anggota laki-laki"),
    UINT ("members_female", R, 0, 10000000, NULL, "female members",
          "Anggota perempuan", "Jumlah anggota perempuan"),
};

static const jk_field_t s_cooperative_updated[] = {
    F_LEGAL_NUMBER,
    STR ("name", O, 3, 150, JK_FORMAT_NONE, "cooperative name", "Nama koperasi",
         "Nama lengkap koperasi"),
    ENUM ("form", O, s_form, "form", "Bentuk koperasi", "Primer atau sekunder"),
    ENUM ("kind", O, s_kind, "kind of business", "Jenis usaha",
          "Jenis koperasi menurut usahanya"),
    ENUM ("pattern", O, s_pattern, "conventional or sharia", "Pola pengelolaan",
          "Konvensional atau syariah"),
    STR ("desa_code", O, 13, 13, JK_FORMAT_DESA_REGION, "desa code of the seat",
         "Desa/kelurahan", "Desa tempat kedudukan koperasi yang baru"),
    STR ("address", O, 0, 250, JK_FORMAT_NONE, "street address", "Alamat",
         "Alamat jalan (boleh kosong)"),
    STR ("nik_koperasi", O, 13, 13, JK_FORMAT_NIK_KOPERASI,
         "cooperative identity number, 13 digits", "NIK koperasi",
         "Nomor induk koperasi, 13 angka (biasanya diawali 3203)"),
    UINT ("members_male", O, 0, 10000000, NULL, "male members",
          "Anggota laki-laki", "Jumlah anggota laki-laki"),
    UINT ("members_female", O, 0, 10000000, NULL, "female members",
          "Anggota perempuan", "Jumlah anggota perempuan"),
};

static const jk_field_t s_rat_held[] = {
    F_LEGAL_NUMBER,
    UINT ("book_year", R, 1990, 9999, NULL,
          "book year the meeting closes, 1990 .. the current year "
          "(`E_FIELD_RANGE`)",
          "Tahun buku",
          "Tahun buku yang ditutup oleh RAT, 1990 sampai tahun ini"),
    DATE ("held_on", R, NULL,
          "date of the meeting: after 31 December of the book year "
          "(`E_FIELD_RULE`), not in the future (`E_FIELD_RANGE`)",
          "Tanggal RAT", "Sesudah 31 Desember tahun buku; tidak di masa depan"),
    UINT ("members_present", R, 0, 10000000, NULL, "members present",
          "Anggota hadir", "Jumlah anggota yang hadir dalam RAT"),
    BOOL ("quorum_met", R, "whether the quorum was met", "Kuorum tercapai",
          "Apakah kuorum rapat tercapai"),
};

static const jk_field_t s_status_declared[] = {
    F_LEGAL_NUMBER,
    ENUM ("status", R, s_coop_status, "declared status", "Status",
          "Status koperasi yang ditetapkan"),
    STR ("basis", O, 3, 100, JK_FORMAT_NONE,
         "decree number; required when status is DIBEKUKAN or DIBUBARKAN "
         "(`E_FIELD_MISSING`)",
         "Dasar penetapan", "Nomor SK; wajib untuk Dibekukan dan Dibubarkan"),
    DATE ("on", R, NULL, "date the status takes effect", "Berlaku sejak",
          "Tanggal status mulai berlaku"),
};

static const jk_field_t s_person_registered[] = {
    F_NIK (R),
    STR ("name", R, 2, 100, JK_FORMAT_NONE, "full name", "Nama lengkap",
         "Nama sesuai KTP"),
    ENUM ("sex", R, s_sex, "L (male) or P (female)", "Jenis kelamin",
          "Laki-laki atau perempuan"),
    DATE ("birth_date", R, NULL,
          "date of birth; not in the future (today in WIB): `E_FIELD_RANGE`",
          "Tanggal lahir", "Tanggal lahir sesuai KTP"),
    STR ("desa_code", R, 13, 13, JK_FORMAT_DESA_ANY,
         "desa of residence: a Cianjur desa, or any Kemendagri desa code",
         "Desa tempat tinggal",
         "Desa di Cianjur, atau kode desa Kemendagri mana pun"),
    STR ("phone", O, 10, 16, JK_FORMAT_PHONE,
         "mobile number: ^(\\+62|62|0)8\\d{8,11}$", "Nomor HP",
         "Nomor ponsel, mis. 081234567890 atau +6281234567890"),
    STR ("cooperative", O, 1, 100, JK_FORMAT_LEGAL_NUMBER,
         "legal number of the person's cooperative (registered)", "Koperasi",
         "Nomor badan hukum koperasi orang ini (sudah terdaftar)"),
    ENUM ("role", O, s_role,
          "role in that cooperative: required when cooperative is given "
          "(`E_FIELD_MISSING`), given only with cooperative (`E_FIELD_RULE`)",
          "Jabatan di koperasi", "Diisi bersama koperasi"),
};

static const jk_field_t s_person_corrected[] = {
    F_NIK (R),
    STR ("name", O, 2, 100, JK_FORMAT_NONE, "corrected name", "Nama lengkap",
         "Nama yang benar"),
    ENUM ("sex", O, s_sex, "corrected sex", "Jenis kelamin",
          "Laki-laki atau perempuan"),
    DATE ("birth_date", O, NULL,
          "corrected date of birth; not in the future (today in WIB): "
          "`E_FIELD_RANGE`",
          "Tanggal lahir", "Tanggal lahir sesuai KTP"),
    STR ("desa_code", O, 13, 13, JK_FORMAT_DESA_ANY, "corrected desa",
         "Desa tempat tinggal", "Desa yang benar"),
    STR ("phone", O, 10, 16, JK_FORMAT_PHONE, "corrected phone", "Nomor HP",
         "Nomor ponsel, mis. 081234567890 atau +6281234567890"),
    STR ("cooperative", O, 1, 100, JK_FORMAT_LEGAL_NUMBER,
         "corrected cooperative (registered)", "Koperasi",
         "Nomor badan hukum koperasi orang ini (sudah terdaftar)"),
    ENUM ("role", O, s_role,
          "corrected role; given only with cooperative (`E_FIELD_RULE`)",
          "Jabatan di koperasi", "Diisi bersama koperasi"),
    F_REASON,
};

static const jk_field_t s_batch_scheduled[] = {
    F_BATCH (R),
    STR ("title", R, 3, 200, JK_FORMAT_NONE, "title of the training",
         "Judul pelatihan", "Judul pelatihan"),
    ENUM ("funding", R, s_funding, "source of funds", "Sumber dana",
          "Asal dana pelatihan"),
    UINT ("budget_year", R, 2000, 2100, NULL, "budget year", "Tahun anggaran",
          "Tahun anggaran, 2000 sampai 2100"),
    STR ("venue", R, 3, 200, JK_FORMAT_NONE, "venue name", "Tempat",
         "Nama tempat pelatihan"),
    STR ("venue_desa_code", R, 13, 13, JK_FORMAT_DESA_ANY, "desa of the venue",
         "Desa tempat pelatihan", "Desa lokasi tempat pelatihan"),
    DATE ("start_date", R, NULL, "first day", "Tanggal mulai",
          "Hari pertama pelatihan"),
    DATE ("end_date", R, NULL,
          "last day: start_date .. start_date + 13 "
          "(at most 14 days; else `E_FIELD_RULE`)",
          "Tanggal selesai",
          "Hari terakhir; paling lama 14 hari sejak tanggal mulai"),
    UINT ("class_size_max", O, 1, 500, "30", "participants at most",
          "Peserta paling banyak", "Jumlah peserta paling banyak (bawaan 30)"),
    UINT ("min_attendance_pct", O, 0, 100, "80",
          "attendance % needed to be assessed", "Kehadiran minimum (%)",
          "Persen kehadiran untuk boleh ikut uji (bawaan 80)"),
};

static const jk_field_t s_session_scheduled[] = {
    F_BATCH (R),
    UINT ("session_no", R, 1, 100, NULL, "session number within the batch",
          "Sesi ke", "Nomor sesi dalam angkatan"),
    DATE ("date", R, NULL, "date, within the batch's days", "Tanggal sesi",
          "Tanggal sesi, di antara hari-hari angkatan"),
    TIME ("starts", R, "start time, HH:MM WIB", "Jam mulai",
          "Jam mulai, JJ:MM WIB"),
    TIME ("ends", R, "end time, HH:MM WIB, after starts (`E_FIELD_RULE`)",
          "Jam selesai", "Jam selesai, JJ:MM WIB, sesudah jam mulai"),
    UINT ("jp", R, 1, 10, NULL, "lesson hours (jam pelajaran) of 45 minutes",
          "Jam pelajaran (JP)", "Jumlah jam pelajaran; 1 JP = 45 menit"),
    STR ("topic", R, 3, 200, JK_FORMAT_NONE, "topic", "Materi", "Materi sesi"),
};

static const jk_field_t s_participant_enrolled[] = {
    F_BATCH (R),
    F_NIK (R),
    STR ("cooperative", R, 1, 100, JK_FORMAT_LEGAL_NUMBER,
         "legal number of the cooperative the participant represents",
         "Koperasi yang diwakili",
         "Nomor badan hukum koperasi yang diwakili peserta"),
};

static const jk_field_t s_participant_withdrawn[] = {
    F_BATCH (R),
    F_NIK (R),
    F_REASON,
};

static const jk_field_t s_attendance_recorded[] = {
    F_BATCH (R),
    UINT ("session_no", R, 1, 100, NULL, "scheduled session number", "Sesi ke",
          "Nomor sesi dalam angkatan"),
    F_NIK (R),
    ENUM ("status", R, s_presence, "presence", "Kehadiran",
          "Hadir, terlambat, izin, sakit atau alpa"),
    TIME ("check_in", O,
          "check-in time HH:MM; required when status is HADIR or "
          "TERLAMBAT (`E_FIELD_MISSING`)",
          "Jam datang", "JJ:MM; wajib untuk hadir dan terlambat"),
    TIME ("check_out", O,
          "check-out time HH:MM; given only with check_in, and not before "
          "it (`E_FIELD_RULE`)",
          "Jam pulang", "JJ:MM; tidak sebelum jam datang"),
    ENUM ("method", R, s_method, "how presence was taken", "Cara pencatatan",
          "Cara kehadiran dicatat"),
};

static const jk_field_t s_attendance_corrected[] = {
    ENUM ("status", R, s_presence, "corrected presence", "Kehadiran",
          "Kehadiran yang benar"),
    TIME ("check_in", O,
          "corrected check-in time HH:MM; required when status is HADIR or "
          "TERLAMBAT (`E_FIELD_MISSING`), as when recorded",
          "Jam datang", "JJ:MM; wajib untuk hadir dan terlambat"),
    TIME ("check_out", O,
          "corrected check-out time HH:MM; given only with check_in, and not "
          "before it (`E_FIELD_RULE`); left out, the recorded one is kept "
          "for HADIR and TERLAMBAT unless it is before the new check_in",
          "Jam pulang", "JJ:MM; tidak sebelum jam datang"),
    F_REASON,
};

static const jk_field_t s_batch_closed[] = {
    F_BATCH (R),
};

static const jk_field_t s_assessment_scheduled[] = {
    F_ASSESSMENT,
    STR ("scheme_code", R, 1, 60, JK_FORMAT_NONE, "certification scheme code",
         "Kode skema", "Kode skema sertifikasi"),
    STR ("scheme_title", R, 3, 200, JK_FORMAT_NONE, "scheme title",
         "Nama skema", "Nama skema sertifikasi"),
    /* A code and an assessor id are 1..60 characters here as in
       assessment.unit_assessed, which must name one of them. */
    {"units", JK_KIND_UNITS, R, 1, 50, NULL, JK_FORMAT_NONE, NULL,
     "competency units: CODE=TITLE items separated by |; codes distinct "
     "(`E_FIELD_RULE`)",
     "Unit kompetensi", "Kode dan judul tiap unit kompetensi", 60},
    DATE ("date", R, NULL, "date of the assessment", "Tanggal uji",
          "Tanggal uji kompetensi"),
    F_BATCH (O),
    STR ("lsp", R, 3, 150, JK_FORMAT_NONE, "certification body (LSP)", "LSP",
         "Lembaga sertifikasi profesi"),
    {"assessors", JK_KIND_LIST, R, 1, 20, NULL, JK_FORMAT_NONE, NULL,
     "assessor ids, comma-separated", "Asesor", "Kode asesor, satu per baris",
     60},
};

static const jk_field_t s_unit_assessed[] = {
    F_ASSESSMENT,
    F_NIK (R),
    STR ("unit", R, 1, 60, JK_FORMAT_NONE,
         "unit code, one of the "
         "assessment's",
         "Kode unit", "Kode unit, salah satu unit uji ini"),
    {"methods", JK_KIND_SET, R, 1, 6, s_assess_method, JK_FORMAT_NONE, NULL,
     "assessment methods used, comma-separated", "Metode asesmen",
     "Metode yang dipakai (boleh lebih dari satu)", 0},
    ENUM ("verdict", R, s_verdict, "K (kompeten) or BK (belum kompeten)",
          "Keputusan", "K (kompeten) atau BK (belum kompeten)"),
    UINT ("score", O, 0, 100, NULL, "score 0..100", "Nilai",
          "Nilai 0 sampai 100"),
    STR ("assessor", R, 1, 60, JK_FORMAT_NONE,
         "assessor id, one of the "
         "assessment's",
         "Asesor", "Kode asesor, salah satu asesor uji ini"),
};

static const jk_field_t s_assessment_decided[] = {
    F_ASSESSMENT,
    F_NIK (R),
    ENUM ("verdict", R, s_verdict,
          "K only when every unit's latest verdict "
          "is K",
          "Keputusan akhir", "K hanya bila keputusan terakhir setiap unit K"),
};

static const jk_field_t s_certificate_issued[] = {
    STR ("number", R, 1, 60, JK_FORMAT_NONE, "certificate number, unique",
         "Nomor sertifikat", "Nomor sertifikat, unik"),
    F_NIK (R),
    F_ASSESSMENT,
    DATE ("issued_on", R, NULL, "date of issue", "Tanggal terbit",
          "Tanggal sertifikat diterbitkan"),
    DATE ("valid_until", O, "issued_on + 3 years",
          "expiry: 1 to 5 years after issued_on (`E_FIELD_RANGE`)",
          "Berlaku sampai", "1 sampai 5 tahun sesudah terbit (bawaan 3 tahun)"),
};

static const jk_field_t s_certificate_revoked[] = {
    STR ("number", R, 1, 60, JK_FORMAT_NONE, "certificate number",
         "Nomor sertifikat", "Nomor sertifikat yang dicabut"),
    F_REASON,
};

#define TYPE(n, dom, cmd, flds, corr, chk, doc, label)                         \
    TYPE_KEYED (n, dom, cmd, flds, corr, chk, doc, label, NULL, NULL)
/* A type with a natural key a correction names it by (keys), or a
   correction of the type target. */
#define TYPE_KEYED(n, dom, cmd, flds, corr, chk, doc, label, keys, target)     \
    {                                                                          \
        n, 1, dom, cmd, doc, flds, COUNT (flds), corr, chk, NULL, NULL, label, \
            keys, target                                                       \
    }

/* attendance.recorded is named by its batch, session and person. */
static const char *const s_attendance_key[] = {"batch", "session_no", "nik",
                                               NULL};

static const jk_type_t s_types[] = {
    TYPE ("cooperative.registered", JK_DOMAIN_REGISTRATION, "cooperative",
          s_cooperative_registered, false, jk_check_cooperative_registered,
          "A cooperative with legal status is registered. Rejected if its "
          "normalised legal number is already registered.",
          "Pendaftaran koperasi"),
    TYPE ("cooperative.updated", JK_DOMAIN_REGISTRATION, "cooperative-update",
          s_cooperative_updated, false, jk_check_any_optional,
          "Mutable fields of a registered cooperative change; at least one "
          "is given (else `E_FIELD_RULE`).",
          "Perubahan data koperasi"),
    TYPE ("cooperative.rat_held", JK_DOMAIN_REGISTRATION, "rat", s_rat_held,
          false, jk_check_rat_held,
          "A cooperative held its annual members' meeting (RAT) for a book "
          "year. One per cooperative and book year; late if held more than "
          "rat_deadline_months (default 6) after the book year ends.",
          "Rapat anggota tahunan (RAT)"),
    TYPE ("cooperative.status_declared", JK_DOMAIN_REGISTRATION,
          "cooperative-status", s_status_declared, false,
          jk_check_status_declared,
          "The dinas declares a cooperative's status.",
          "Penetapan status koperasi"),
    TYPE ("person.registered", JK_DOMAIN_REGISTRATION, "person",
          s_person_registered, false, jk_check_person,
          "A person is registered by NIK. Rejected if the NIK is already "
          "registered. Sex or birth date that disagree with the NIK, and an "
          "unknown province code, are warnings.",
          "Pendaftaran orang"),
    TYPE ("person.corrected", JK_DOMAIN_REGISTRATION, "person-correct",
          s_person_corrected, false, jk_check_person_corrected,
          "Fields of a registered person are corrected, with a reason: at "
          "least one field besides nik and reason is given (else "
          "`E_FIELD_RULE`).",
          "Koreksi data orang"),
    TYPE ("training.batch_scheduled", JK_DOMAIN_REGISTRATION, "batch",
          s_batch_scheduled, false, jk_check_batch,
          "A training batch is scheduled.", "Jadwal angkatan pelatihan"),
    TYPE ("training.session_scheduled", JK_DOMAIN_REGISTRATION, "session",
          s_session_scheduled, false, jk_check_session,
          "A session of a batch is scheduled, on one of the batch's days.",
          "Jadwal sesi pelatihan"),
    TYPE ("training.participant_enrolled", JK_DOMAIN_REGISTRATION, "enroll",
          s_participant_enrolled, false, NULL,
          "A registered person is enrolled in a batch for a registered "
          "cooperative. Rejected when the batch is full or the person is "
          "already enrolled.",
          "Pendaftaran peserta pelatihan"),
    TYPE ("training.participant_withdrawn", JK_DOMAIN_REGISTRATION, "withdraw",
          s_participant_withdrawn, false, NULL,
          "An enrolled participant withdraws.", "Pengunduran diri peserta"),
    TYPE_KEYED ("attendance.recorded", JK_DOMAIN_ATTENDANCE, "record",
                s_attendance_recorded, false, jk_check_attendance,
                "A participant's presence at a scheduled session. One per "
                "session and person: a second is rejected (correct it "
                "instead).",
                "Catatan kehadiran", s_attendance_key, NULL),
    TYPE_KEYED ("attendance.corrected", JK_DOMAIN_ATTENDANCE, "correct",
                s_attendance_corrected, true, jk_check_attendance,
                "Corrects an attendance.recorded event named by "
                "envelope.corrects.",
                "Koreksi kehadiran", NULL, "attendance.recorded"),
    TYPE ("training.batch_closed", JK_DOMAIN_ATTENDANCE, "close-batch",
          s_batch_closed, false, NULL,
          "Closes a batch: attendance is frozen. Attendance % = lesson hours "
          "attended (HADIR, TERLAMBAT) / lesson hours scheduled.",
          "Penutupan angkatan"),
    TYPE ("assessment.scheduled", JK_DOMAIN_SCORING, "assessment",
          s_assessment_scheduled, false, jk_check_assessment,
          "A competency assessment (uji kompetensi) is scheduled with its "
          "units and assessors, optionally linked to a training batch.",
          "Jadwal uji kompetensi"),
    TYPE ("assessment.unit_assessed", JK_DOMAIN_SCORING, "unit",
          s_unit_assessed, false, NULL,
          "An assessor records a verdict on one unit for one person. A "
          "re-assessment is a new attempt; the latest counts. If the "
          "assessment is linked to a batch, the person must be enrolled and "
          "have reached its minimum attendance.",
          "Penilaian unit kompetensi"),
    TYPE ("assessment.decided", JK_DOMAIN_SCORING, "decide",
          s_assessment_decided, false, NULL,
          "The overall verdict for a person. K only when every scheduled "
          "unit's latest verdict is K.",
          "Keputusan uji kompetensi"),
    TYPE ("certificate.issued", JK_DOMAIN_SCORING, "certificate",
          s_certificate_issued, false, jk_check_certificate,
          "A competency certificate is issued to a person decided K.",
          "Penerbitan sertifikat"),
    TYPE ("certificate.revoked", JK_DOMAIN_SCORING, "revoke",
          s_certificate_revoked, false, NULL, "A certificate is revoked.",
          "Pencabutan sertifikat"),
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
    return jk_type_field_from (type, name, len, 0);
}

int jk_type_field_from (const jk_type_t *type, const char *name, size_t len,
                        size_t start)
{
    size_t n = type->field_count;
    if (start > n)
        start = n;
    for (size_t k = 0; k < n; k++) {
        size_t i = start + k < n ? start + k : start + k - n;
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
