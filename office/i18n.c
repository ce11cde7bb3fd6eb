/*  i18n.c - what clerks read: field and type labels from the vocabulary
    table (Indonesian, with English from the table's names and docs as a
    toggle), enum value names, validation and store problems as sentences,
    outbox states; and what clerks type, turned into wire text. */
#include "jk_office.h"

#include <ctype.h>
#include <string.h>

const char *jk_office_field_label (const jk_field_t *f, bool en, char *buf,
                                   size_t size)
{
    if (!en && f->label)
        return f->label;
    /* "members_male" -> "Members male" */
    snprintf (buf, size, "%s", f->name);
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = ' ';
    buf[0] = (char)toupper ((unsigned char)buf[0]);
    return buf;
}

const char *jk_office_field_help (const jk_field_t *f, bool en)
{
    if (!en && f->help)
        return f->help;
    return f->doc ? f->doc : "";
}

const char *jk_office_type_label (const jk_type_t *t, bool en)
{
    return (!en && t->label) ? t->label : t->name;
}

/* Values whose name is not already the Indonesian word. */
static const struct {
    const char *value, *id, *en;
} s_values[] = {
    {"L", "Laki-laki", "Male"},
    {"P", "Perempuan", "Female"},
    {"K", "Kompeten", "Competent"},
    {"BK", "Belum kompeten", "Not yet competent"},
    {"PAPER", "Kertas (daftar hadir)", "Paper"},
    {"QR", "Kode QR", "QR code"},
    {"ONLINE", "Daring", "Online"},
    {"OPERATOR", "Dicatat petugas", "Operator"},
    {"WRITTEN", "Tertulis", "Written"},
    {"ORAL", "Lisan", "Oral"},
    {"INTERVIEW", "Wawancara", "Interview"},
    {"OBSERVATION", "Observasi", "Observation"},
    {"PORTFOLIO", "Portofolio", "Portfolio"},
    {"CASE_STUDY", "Studi kasus", "Case study"},
    {"DAK_NF_PK2UMK", "DAK Nonfisik PK2UMK", "DAK non-physical PK2UMK"},
    {"APBD_KAB", "APBD Kabupaten", "Regency budget (APBD)"},
    {"APBD_PROV", "APBD Provinsi", "Province budget (APBD)"},
    {"APBN", "APBN", "State budget (APBN)"},
    {"SIMPAN_PINJAM", "Simpan pinjam", "Savings and loans"},
    {"SERBA_USAHA", "Serba usaha", "Multi-business"},
    {"TIDAK_AKTIF", "Tidak aktif", "Inactive"},
};

const char *jk_office_value_label (const char *value, bool en, char *buf,
                                   size_t size)
{
    for (size_t i = 0; i < sizeof s_values / sizeof s_values[0]; i++)
        if (strcmp (s_values[i].value, value) == 0)
            return en ? s_values[i].en : s_values[i].id;
    /* "DIBEKUKAN" -> "Dibekukan" */
    snprintf (buf, size, "%s", value);
    for (char *p = buf + 1; *p; p++)
        *p = *p == '_' ? ' ' : (char)tolower ((unsigned char)*p);
    return buf;
}

const char *jk_office_bool_label (bool value, bool en)
{
    return value ? (en ? "Yes" : "Ya") : (en ? "No" : "Tidak");
}

const char *jk_office_state_label (jk_outbox_state_t state, bool en)
{
    switch (state) {
        case JK_OUTBOX_PENDING:
            return en ? "not sent yet" : "belum terkirim";
        case JK_OUTBOX_SENT:
            return en ? "sent" : "terkirim";
        case JK_OUTBOX_STORED:
            return en ? "stored" : "tersimpan";
        case JK_OUTBOX_REJECTED:
            return en ? "rejected" : "ditolak";
        case JK_OUTBOX_QUARANTINED:
            return en ? "damaged, held back" : "rusak, ditahan";
    }
    return "?";
}

/* Store rejections (docs/PROTOCOL.md, docs/EVENTS.md) in Indonesian. */
static const struct {
    const char *code, *id;
} s_reasons[] = {
    {"E_DUPLICATE_COOPERATIVE",
     "Koperasi dengan nomor badan hukum ini sudah terdaftar."},
    {"E_DUPLICATE_PERSON", "Orang dengan NIK ini sudah terdaftar."},
    {"E_DUPLICATE_RAT", "RAT koperasi ini untuk tahun buku itu sudah ada."},
    {"E_DUPLICATE_BATCH", "Kode angkatan ini sudah dipakai."},
    {"E_DUPLICATE_SESSION", "Sesi ini sudah dijadwalkan."},
    {"E_DUPLICATE_ATTENDANCE",
     "Kehadiran orang ini pada sesi itu sudah dicatat; buat koreksi "
     "kehadiran."},
    {"E_DUPLICATE_ASSESSMENT", "Kode uji kompetensi ini sudah dipakai."},
    {"E_DUPLICATE_CERTIFICATE", "Nomor sertifikat ini sudah dipakai."},
    {"E_UNKNOWN_COOPERATIVE",
     "Koperasi ini belum terdaftar; daftarkan koperasinya dulu."},
    {"E_UNKNOWN_PERSON", "Orang dengan NIK ini belum terdaftar."},
    {"E_UNKNOWN_BATCH", "Angkatan ini belum dijadwalkan."},
    {"E_UNKNOWN_SESSION", "Sesi ini belum dijadwalkan."},
    {"E_UNKNOWN_ASSESSMENT", "Uji kompetensi ini belum dijadwalkan."},
    {"E_UNKNOWN_ASSESSOR", "Asesor ini tidak tercantum pada uji itu."},
    {"E_UNKNOWN_UNIT", "Unit ini tidak tercantum pada uji itu."},
    {"E_UNKNOWN_ATTENDANCE", "Catatan kehadiran yang dikoreksi tidak ada."},
    {"E_UNKNOWN_CERTIFICATE", "Sertifikat ini tidak ada."},
    {"E_ALREADY_ENROLLED", "Orang ini sudah terdaftar di angkatan itu."},
    {"E_ALREADY_REVOKED", "Sertifikat ini sudah dicabut."},
    {"E_NOT_ENROLLED", "Orang ini bukan peserta angkatan itu."},
    {"E_BATCH_FULL", "Angkatan sudah penuh."},
    {"E_BATCH_CLOSED", "Angkatan sudah ditutup; kehadiran tidak bisa "
                       "diubah."},
    {"E_ATTENDANCE_BELOW_MIN", "Kehadiran peserta di bawah batas minimum."},
    {"E_ATTENDANCE_TIME", "Jam datang/pulang di luar jam sesi."},
    {"E_SESSION_DATE", "Tanggal sesi di luar hari-hari angkatan."},
    {"E_CERTIFICATE_DATE", "Tanggal sertifikat tidak sesuai."},
    {"E_NOT_COMPETENT", "Peserta belum diputuskan kompeten."},
    {"E_VERDICT_UNITS", "Keputusan K hanya bila semua unit K."},
    {"E_SEQ_TAKEN", "Nomor urut kiriman sudah dipakai oleh kiriman lain "
                    "dari perangkat ini."},
    {"E_SEQ_GAP", "Ada kiriman sebelumnya yang belum sampai."},
    {"E_FUTURE", "Jam kotak ini lebih cepat dari jam dinas; periksa jam."},
    {"E_FORBIDDEN", "Perangkat ini tidak berhak mengirim kiriman ini."},
    {"E_REGION", "Kode desa tidak ada dalam data wilayah."},
    {"E_NIK_FORMAT", "NIK harus 16 angka."},
    {"E_NIK_DAY", "NIK tidak sah: angka ke-7 dan ke-8 (tanggal lahir) harus "
                  "01-31, atau 41-71 untuk perempuan."},
    {"E_NIK_MONTH",
     "NIK tidak sah: angka ke-9 dan ke-10 (bulan lahir) harus 01-12."},
    {"E_NIK_DATE", "NIK tidak sah: tanggal lahir di dalamnya tidak ada."},
    {"E_NIK_SERIAL", "NIK tidak sah: 4 angka terakhir tidak boleh 0000."},
    {"E_FIELD_MISSING", "Wajib diisi."},
    {"E_FIELD_ENUM", "Pilih salah satu pilihan yang ada."},
};

/* The field codes' general sentences, for a problem that comes without
   its field or rule. */
static const struct {
    const char *code;
    const char *id;
} s_general[] = {
    {"E_FIELD_RANGE",
     "Nilai di luar batas yang diizinkan (mis. tanggal sesudah hari ini "
     "menurut jam dinas)."},
    {"E_FIELD_FORMAT", "Bentuk isian tidak sesuai."},
    {"E_FIELD_TYPE", "Jenis isian tidak sesuai."},
    {"E_FIELD_LENGTH", "Panjang isian di luar batas."},
};

void jk_office_problem_text (const char *code, jk_rule_t rule,
                             const char *message, const jk_field_t *f, bool en,
                             char *out, size_t size)
{
    if (en) {
        snprintf (out, size, "%s (%s)", message, code);
        return;
    }
    if (strcmp (code, "E_FIELD_MISSING") == 0 && f &&
        rule == JK_RULE_REQUIRED_WHEN)
        snprintf (out, size, "Wajib diisi untuk pilihan itu. (%s)", code);
    else if ((strcmp (code, "E_FIELD_LENGTH") == 0 ||
              strcmp (code, "E_FIELD_RANGE") == 0) &&
             f && f->kind == JK_KIND_STR) {
        if (f->min == f->max)
            snprintf (out, size, "Harus tepat %lld huruf/angka. (%s)",
                      (long long)f->min, code);
        else
            snprintf (out, size, "Panjang harus %lld sampai %lld huruf. (%s)",
                      (long long)f->min, (long long)f->max, code);
    } else if (strcmp (code, "E_FIELD_RANGE") == 0 && f &&
               f->kind == JK_KIND_UINT)
        snprintf (out, size, "Harus angka %lld sampai %lld. (%s)",
                  (long long)f->min, (long long)f->max, code);
    else if (strcmp (code, "E_FIELD_RANGE") == 0 && rule == JK_RULE_NOT_FUTURE)
        snprintf (out, size, "Tanggal tidak boleh sesudah hari ini. (%s)",
                  code);
    else if (strcmp (code, "E_FIELD_LENGTH") == 0 && f)
        snprintf (out, size, "Isi %lld sampai %lld baris. (%s)",
                  (long long)f->min, (long long)f->max, code);
    else if ((strcmp (code, "E_FIELD_FORMAT") == 0 ||
              strcmp (code, "E_FIELD_TYPE") == 0) &&
             f) {
        const char *what = "Bentuknya tidak sesuai.";
        if (f->kind == JK_KIND_DATE && rule == JK_RULE_REAL_DATE)
            what = "Tanggal itu tidak ada di kalender (mis. 31/02).";
        else if (f->kind == JK_KIND_DATE)
            what = "Tanggal harus hh/bb/tttt, mis. 31/12/2022.";
        else if (f->kind == JK_KIND_TIME)
            what = "Jam harus JJ:MM, mis. 08:30.";
        else if (f->kind == JK_KIND_UINT)
            what = "Harus angka bulat, mis. 1.045.";
        else if (f->kind == JK_KIND_BOOL)
            what = "Pilih Ya atau Tidak.";
        else if (f->format == JK_FORMAT_PHONE)
            what = "Nomor HP harus diawali 08, 628 atau +628 lalu 8 sampai 11 "
                   "angka.";
        else if (f->format == JK_FORMAT_CODE)
            what = "Hanya huruf, angka dan tanda baca, tanpa spasi.";
        else if (f->format == JK_FORMAT_NIK_KOPERASI)
            what = "NIK koperasi harus 13 angka.";
        else if (f->format == JK_FORMAT_DESA_REGION ||
                 f->format == JK_FORMAT_DESA_ANY)
            what = "Kode desa harus seperti 32.03.10.2012.";
        else if (f->kind == JK_KIND_UNITS)
            what = "Setiap unit perlu kode dan judul.";
        snprintf (out, size, "%s (%s)", what, code);
    } else {
        for (size_t i = 0; i < sizeof s_reasons / sizeof s_reasons[0]; i++)
            if (strcmp (s_reasons[i].code, code) == 0) {
                snprintf (out, size, "%s (%s)", s_reasons[i].id, code);
                return;
            }
        /* A field rule met without its field or rule (a store's
           rejection read back from the outbox carries only the code and
           the message): the code's general sentence, then the message,
           which names the field and the rule, as the detail. */
        for (size_t i = 0; i < sizeof s_general / sizeof s_general[0]; i++)
            if (strcmp (s_general[i].code, code) == 0) {
                snprintf (out, size, "%s Rincian: %s (%s)", s_general[i].id,
                          message, code);
                return;
            }
        /* A rule without its own sentence yet: the library's message,
           which names the field and the rule. */
        snprintf (out, size, "Tidak memenuhi aturan: %s (%s)", message, code);
    }
}

/* Trims spaces at both ends into out. */
static void s_trim (const char *text, char *out, size_t size)
{
    while (isspace ((unsigned char)*text))
        text++;
    size_t len = strlen (text);
    while (len > 0 && isspace ((unsigned char)text[len - 1]))
        len--;
    if (len >= size)
        len = size - 1;
    memcpy (out, text, len);
    out[len] = 0;
}

/* An enum or set value typed as its name in any case or its Indonesian
   or English label: the name; anything else as it is. */
static const char *s_enum_name (const jk_field_t *f, const char *value)
{
    for (size_t i = 0; f->values && f->values[i]; i++) {
        char buf[64];
        if (strcasecmp (value, f->values[i]) == 0 ||
            strcasecmp (value, jk_office_value_label (f->values[i], false, buf,
                                                      sizeof buf)) == 0 ||
            strcasecmp (value, jk_office_value_label (f->values[i], true, buf,
                                                      sizeof buf)) == 0)
            return f->values[i];
    }
    return value;
}

/* A date in JK_DATE_FORMS (jk_date_parse_day, as the agents take it) as
   yyyy-mm-dd; refused with the agents' code and message. A day or month
   the calendar does not have is told apart (JK_RULE_REAL_DATE) for the
   clerk's sentence. */
static int s_wire_date (const char *path, const char *value, char *out,
                        size_t size, jk_report_t *report)
{
    int32_t days;
    bool unreal;
    if (jk_date_parse_day_why (value, &days, &unreal) != 0) {
        jk_report_error_rule (
            report, unreal ? JK_RULE_REAL_DATE : JK_RULE_ANY, "E_FIELD_FORMAT",
            path, "%s must be a date " JK_DATE_FORMS ", got '%.40s'", path,
            value);
        return JK_INVALID;
    }
    char iso[11];
    jk_date_format (days, iso);
    snprintf (out, size, "%s", iso);
    return 0;
}

/* A whole number: "1.045" and "1 045" are one thousand and forty-five;
   a decimal comma is not a whole number. */
static int s_wire_uint (const char *path, const char *value, char *out,
                        size_t size, jk_report_t *report)
{
    size_t n = 0;
    bool ok = value[0] != 0;
    for (const char *p = value; *p && ok; p++) {
        if (isdigit ((unsigned char)*p)) {
            if (n + 1 < size)
                out[n++] = *p;
        } else if (*p == '.' || *p == ' ') {
            /* thousands point: three digits must follow */
            ok = p != value && isdigit ((unsigned char)p[1]) &&
                 isdigit ((unsigned char)p[2]) &&
                 isdigit ((unsigned char)p[3]) &&
                 !isdigit ((unsigned char)p[4]);
        } else
            ok = false;
    }
    out[n] = 0;
    if (!ok || n == 0) {
        jk_report_error (report, "E_FIELD_TYPE", path,
                         "%s must be a whole number, got '%.40s'", path, value);
        return JK_INVALID;
    }
    return 0;
}

/* Ya/Tidak (and the like) as true/false. */
static int s_wire_bool (const char *path, const char *value, char *out,
                        size_t size, jk_report_t *report)
{
    static const char *yes[] = {"ya", "y", "true", "1", "yes"};
    static const char *no[] = {"tidak", "t", "false", "0", "no"};
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp (value, yes[i]) == 0) {
            snprintf (out, size, "true");
            return 0;
        }
        if (strcasecmp (value, no[i]) == 0) {
            snprintf (out, size, "false");
            return 0;
        }
    }
    jk_report_error (report, "E_FIELD_TYPE", path,
                     "%s must be Ya or Tidak, got '%.40s'", path, value);
    return JK_INVALID;
}

/* Items separated by ',', ';' or line breaks, joined by ','; a set's
   items by name or label. */
static int s_wire_items (const jk_field_t *f, const char *value, char *out,
                         size_t size)
{
    size_t used = 0;
    out[0] = 0;
    for (const char *p = value; *p;) {
        size_t len = strcspn (p, ",;\r\n");
        char item[JK_STRING_MAX_BYTES + 1];
        snprintf (item, sizeof item, "%.*s", (int)len, p);
        char trimmed[JK_STRING_MAX_BYTES + 1];
        s_trim (item, trimmed, sizeof trimmed);
        if (*trimmed)
            used += (size_t)snprintf (
                out + used, used < size ? size - used : 0, "%s%s",
                used ? "," : "",
                f->kind == JK_KIND_SET ? s_enum_name (f, trimmed) : trimmed);
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

int jk_office_wire_value (const jk_field_t *f, const char *text, char *out,
                          size_t size, jk_report_t *report)
{
    char path[64];
    snprintf (path, sizeof path, "body.%s", f->name);
    char value[JK_STRING_MAX_BYTES + 1];
    s_trim (text, value, sizeof value);
    switch (f->kind) {
        case JK_KIND_DATE:
            return s_wire_date (path, value, out, size, report);
        case JK_KIND_UINT:
            return s_wire_uint (path, value, out, size, report);
        case JK_KIND_BOOL:
            return s_wire_bool (path, value, out, size, report);
        case JK_KIND_ENUM:
            snprintf (out, size, "%s", s_enum_name (f, value));
            return 0; /* an unknown one: the validator names the rule */
        case JK_KIND_SET:
        case JK_KIND_LIST:
            return s_wire_items (f, value, out, size);
        default:
            snprintf (out, size, "%s", value);
            return 0;
    }
}
