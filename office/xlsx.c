/* Whole at ~650 lines: each part's expat handlers share one reader state. */
/*  xlsx.c - reads the first sheet of an XLSX workbook (Office Open XML:
    a zip of XML parts) as rows of text cells, the way the CSV reader hands
    them out, so one import serves both. libzip opens the archive from
    memory, expat reads each part as a stream. Shared strings, inline
    strings, booleans and numbers become text; a number in a cell whose
    style is a date becomes dd/mm/yyyy, a time HH:MM (the 1900 and 1904
    date systems). Every part is read to at most JK_XLSX_PART_MAX bytes
    whatever its header claims (a zip bomb stops there), a document type
    declaration is refused (no entities), and a row the reader cannot hand
    out whole (a cell past column JK_CSV_MAX_CELLS, a cell longer than
    JK_XLSX_CELL_MAX, a shared string that does not exist) goes to the bad
    row callback with its row number. Text undoes the Office Open XML
    escapes _xHHHH_ as Excel does (s_text_end); a cell whose escapes are
    not text goes to the bad row callback too. */
#include "jk_office.h"

#include <expat.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

typedef struct {
    char *text;
    size_t len, cap;
} s_buf_t;

static void s_buf_add (s_buf_t *b, const char *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len + 1)
            cap *= 2;
        b->text = jk_realloc (b->text, cap);
        b->cap = cap;
    }
    memcpy (b->text + b->len, data, len);
    b->len += len;
    b->text[b->len] = 0;
}

/* Keeps at most cap bytes of text in b: enough to know it is longer. */
static void s_buf_capped (s_buf_t *b, const char *data, size_t len, size_t cap)
{
    size_t room = cap > b->len ? cap - b->len : 0;
    s_buf_add (b, data, len < room ? len : room);
}

/* ---- text: the escapes _xHHHH_ -------------------------------------------
   Excel writes a character XML cannot hold (a control) in the text of a
   <t> element as _xHHHH_, HHHH its UTF-16 code unit in hex, and text of
   that form with its underscore as _x005F_ (ECMA-376 Part 1, 22.9.2.19
   ST_Xstring). Each <t> is read as Excel reads it, in one pass from the
   left: _xHHHH_ (hex digits in either case) is the code unit HHHH, so
   _x005F_x0041_ is the text _x0041_ and _x001B_ is ESC; the escapes of a
   surrogate pair, one after the other, are one character; any other
   text, an incomplete _x41_ included, stays as it is. An escape of NUL
   (no text holds NUL) or of a surrogate without its other half is not
   text: the string keeps the first such escape, and a cell showing it
   is refused. */

/* A string (shared, or inline in a cell): its <t> elements, one per run
   of rich text, read one after the other. */
typedef struct {
    s_buf_t raw;   /* the current <t> as the file holds it */
    s_buf_t text;  /* the string so far, its escapes undone */
    bool too_long; /* more than JK_XLSX_CELL_MAX bytes once read */
    char bad[8];   /* the first escape that is not text, or "" */
} s_text_t;

/* A shared string as read: its text, or why a cell showing it is
   refused. */
typedef struct {
    char *text;
    bool too_long;
    char bad[8];
} s_string_t;

/* A <t> as the file holds it is kept to S_RAW_MAX bytes: an escape (7
   bytes) is at least one byte once undone, so text that long is more
   than JK_XLSX_CELL_MAX bytes when read. */
#define S_RAW_MAX (7 * (JK_XLSX_CELL_MAX + 1))

static void s_text_reset (s_text_t *t)
{
    t->raw.len = t->text.len = 0;
    s_buf_add (&t->raw, "", 0);
    s_buf_add (&t->text, "", 0);
    t->too_long = false;
    t->bad[0] = 0;
}

static void s_text_chars (s_text_t *t, const char *data, size_t len)
{
    s_buf_capped (&t->raw, data, len, S_RAW_MAX);
}

/* The code unit an escape _xHHHH_ at P names, or -1 when P does not
   start one. */
static long s_escape (const char *p)
{
    char hex[5];
    uint8_t unit[2];
    if (p[0] != '_' || p[1] != 'x')
        return -1;
    snprintf (hex, sizeof hex, "%.4s", p + 2);
    if (jk_hex_parse (hex, unit, 2) != JK_OK || p[6] != '_')
        return -1; /* p[6] is there: the four digits were */
    return (long)unit[0] << 8 | unit[1];
}

/* The end of a <t>: its text, escapes undone, joins the string. */
static void s_text_end (s_text_t *t)
{
    const size_t cap = JK_XLSX_CELL_MAX + 1;
    if (t->raw.len >= S_RAW_MAX)
        t->too_long = true;
    for (const char *p = t->raw.text ? t->raw.text : ""; *p;) {
        const char *under = strchr (p, '_');
        if (!under) {
            s_buf_capped (&t->text, p, strlen (p), cap);
            break;
        }
        s_buf_capped (&t->text, p, (size_t)(under - p), cap);
        p = under;
        long u = s_escape (p);
        if (u < 0) {
            s_buf_capped (&t->text, p++, 1, cap);
            continue;
        }
        long low = u >= 0xD800 && u <= 0xDBFF ? s_escape (p + 7) : -1;
        if (low >= 0xDC00 && low <= 0xDFFF) {
            u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
            p += 7;
        } else if (u == 0 || (u >= 0xD800 && u <= 0xDFFF)) {
            if (!t->bad[0]) {
                memcpy (t->bad, p, 7);
                t->bad[7] = 0;
            }
            p += 7;
            continue;
        }
        char utf8[4];
        size_t n = 0;
        if (u < 0x80)
            utf8[n++] = (char)u;
        else if (u < 0x800) {
            utf8[n++] = (char)(0xC0 | (u >> 6));
            utf8[n++] = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            utf8[n++] = (char)(0xE0 | (u >> 12));
            utf8[n++] = (char)(0x80 | ((u >> 6) & 0x3F));
            utf8[n++] = (char)(0x80 | (u & 0x3F));
        } else {
            utf8[n++] = (char)(0xF0 | (u >> 18));
            utf8[n++] = (char)(0x80 | ((u >> 12) & 0x3F));
            utf8[n++] = (char)(0x80 | ((u >> 6) & 0x3F));
            utf8[n++] = (char)(0x80 | (u & 0x3F));
        }
        s_buf_capped (&t->text, utf8, n, cap);
        p += 7;
    }
    if (t->text.len > JK_XLSX_CELL_MAX)
        t->too_long = true;
    t->raw.len = 0;
    s_buf_add (&t->raw, "", 0);
}

/* One part of the archive, at most JK_XLSX_PART_MAX bytes; NULL with the
   reason in err when absent (err empty) or unreadable. */
static char *s_part (zip_t *zip, const char *name, size_t *size, char *err,
                     size_t err_size)
{
    err[0] = 0;
    zip_int64_t index = zip_name_locate (zip, name, ZIP_FL_NOCASE);
    if (index < 0)
        return NULL;
    zip_file_t *file = zip_fopen_index (zip, (zip_uint64_t)index, 0);
    if (!file) {
        snprintf (err, err_size, "bagian %s tidak terbaca: %s", name,
                  zip_strerror (zip));
        return NULL;
    }
    s_buf_t b = {0};
    char chunk[16384];
    zip_int64_t n;
    while ((n = zip_fread (file, chunk, sizeof chunk)) > 0) {
        if (b.len + (size_t)n > JK_XLSX_PART_MAX) {
            snprintf (err, err_size,
                      "bagian %s lebih dari %d MiB setelah dibuka (part "
                      "larger than the limit)",
                      name, JK_XLSX_PART_MAX >> 20);
            break;
        }
        s_buf_add (&b, chunk, (size_t)n);
    }
    if (n < 0 && !err[0])
        snprintf (err, err_size, "bagian %s rusak: %s", name,
                  zip_file_strerror (file));
    zip_fclose (file);
    if (err[0]) {
        free (b.text);
        return NULL;
    }
    if (!b.text)
        b.text = jk_calloc (1, 1);
    *size = b.len;
    return b.text;
}

/* The local name of an element or attribute ("x:sheet" -> "sheet"). */
static const char *s_local (const char *name)
{
    const char *colon = strrchr (name, ':');
    return colon ? colon + 1 : name;
}

static const char *s_attr (const char **attrs, const char *local)
{
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp (s_local (attrs[i]), local) == 0)
            return attrs[i + 1];
    return NULL;
}

/* Refuses any document type declaration: no entities, no expansion. */
static void XMLCALL s_doctype (void *data, const XML_Char *name,
                               const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal;
    XML_StopParser ((XML_Parser)data, XML_FALSE);
}

/* Parses one part with the handlers; 0, or -1 with the reason. */
static int s_parse (const char *part, const char *text, size_t size, void *user,
                    XML_StartElementHandler start, XML_EndElementHandler end,
                    XML_CharacterDataHandler chars, XML_Parser *out_parser,
                    char *err, size_t err_size)
{
    XML_Parser p = XML_ParserCreate ("UTF-8");
    if (!p) {
        snprintf (err, err_size, "no memory for the XML reader");
        return -1;
    }
    XML_SetUserData (p, user);
    XML_SetElementHandler (p, start, end);
    if (chars)
        XML_SetCharacterDataHandler (p, chars);
    XML_SetStartDoctypeDeclHandler (p, s_doctype);
    /* s_doctype stops the parser it is given as user data: hand it the
       parser through a handler argument of its own. */
    XML_UseParserAsHandlerArg (p);
    if (out_parser)
        *out_parser = p;
    int rc = 0;
    if (XML_Parse (p, text, (int)size, XML_TRUE) == XML_STATUS_ERROR) {
        enum XML_Error e = XML_GetErrorCode (p);
        if (e == XML_ERROR_ABORTED)
            rc = 1; /* stopped by a handler; the handler says why */
        else {
            snprintf (err, err_size,
                      "bagian %s bukan XML yang benar pada baris %lu: %s "
                      "(not well-formed XML)",
                      part, (unsigned long)XML_GetCurrentLineNumber (p),
                      XML_ErrorString (e));
            rc = -1;
        }
    }
    XML_ParserFree (p);
    return rc;
}

/* ---- the reader's state -------------------------------------------------- */

typedef struct {
    XML_Parser parser;
    /* workbook.xml and its relationships */
    char sheet_rid[128];
    bool date1904;
    char sheet_target[256], strings_target[256], styles_target[256];
    char sheet_name[128]; /* the first sheet's name, "" if longer */
    /* shared strings */
    s_string_t *strings;
    size_t string_count, string_cap;
    s_text_t si;
    int in_si, in_t, in_rph;
    /* styles: per cell format (xf), whether it shows a date or a time */
    unsigned char *xf_kind; /* 0 number, 1 date, 2 time */
    size_t xf_count, xf_cap;
    int in_xfs;
    struct {
        int id;
        unsigned char kind;
    } fmts[256];
    size_t fmt_count;
    /* the sheet */
    jk_csv_row_fn *fn;
    jk_csv_bad_fn *bad;
    void *arg;
    int stopped; /* a callback's non-zero answer */
    size_t row;  /* this row's number (1-based) */
    char *cells[JK_CSV_MAX_CELLS];
    size_t cell_count; /* cells 0..cell_count-1 in use */
    size_t col;        /* the current cell's column (0-based) */
    char type[16];
    size_t style;
    int in_v, in_is, in_ist, in_cell;
    bool is_seen;      /* the cell has an inline string (<is>) */
    s_buf_t value;     /* <v> */
    s_text_t is;       /* <is> */
    char problem[300]; /* the row's first problem, or "" */
} s_xlsx_t;

/* ---- workbook.xml and its relationships -------------------------------- */

static void XMLCALL s_workbook_start (void *data, const XML_Char *name,
                                      const XML_Char **attrs)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    const char *local = s_local (name);
    if (strcmp (local, "sheet") == 0 && !x->sheet_rid[0]) {
        const char *rid = s_attr (attrs, "id");
        const char *sheet = s_attr (attrs, "name");
        if (rid)
            snprintf (x->sheet_rid, sizeof x->sheet_rid, "%s", rid);
        if (sheet && strlen (sheet) < sizeof x->sheet_name)
            memcpy (x->sheet_name, sheet, strlen (sheet) + 1);
    } else if (strcmp (local, "workbookPr") == 0) {
        const char *d = s_attr (attrs, "date1904");
        x->date1904 = d && (strcmp (d, "1") == 0 || strcmp (d, "true") == 0);
    }
}

static void XMLCALL s_ignore_end (void *data, const XML_Char *name)
{
    (void)data;
    (void)name;
}

/* "worksheets/sheet1.xml" or "/xl/worksheets/sheet1.xml" -> the part's
   name in the archive. */
static void s_target (const char *target, char *out, size_t size)
{
    if (target[0] == '/')
        snprintf (out, size, "%s", target + 1);
    else
        snprintf (out, size, "xl/%s", target);
}

static bool s_ends (const char *text, const char *end)
{
    size_t n = strlen (text), m = strlen (end);
    return n >= m && strcmp (text + n - m, end) == 0;
}

static void XMLCALL s_rels_start (void *data, const XML_Char *name,
                                  const XML_Char **attrs)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    if (strcmp (s_local (name), "Relationship") != 0)
        return;
    const char *id = s_attr (attrs, "Id");
    const char *type = s_attr (attrs, "Type");
    const char *target = s_attr (attrs, "Target");
    if (!id || !type || !target)
        return;
    if (strcmp (id, x->sheet_rid) == 0)
        s_target (target, x->sheet_target, sizeof x->sheet_target);
    else if (s_ends (type, "/sharedStrings"))
        s_target (target, x->strings_target, sizeof x->strings_target);
    else if (s_ends (type, "/styles"))
        s_target (target, x->styles_target, sizeof x->styles_target);
}

/* ---- sharedStrings.xml --------------------------------------------------- */

static void XMLCALL s_strings_start (void *data, const XML_Char *name,
                                     const XML_Char **attrs)
{
    (void)attrs;
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    const char *local = s_local (name);
    if (strcmp (local, "si") == 0) {
        x->in_si = 1;
        s_text_reset (&x->si);
    } else if (strcmp (local, "t") == 0)
        x->in_t = 1;
    else if (strcmp (local, "rPh") == 0)
        x->in_rph = 1; /* phonetic reading: not the cell's text */
}

static void XMLCALL s_strings_end (void *data, const XML_Char *name)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    const char *local = s_local (name);
    if (strcmp (local, "t") == 0) {
        if (x->in_si && x->in_t && !x->in_rph)
            s_text_end (&x->si);
        x->in_t = 0;
    } else if (strcmp (local, "rPh") == 0)
        x->in_rph = 0;
    else if (strcmp (local, "si") == 0 && x->in_si) {
        x->in_si = 0;
        if (x->string_count == x->string_cap) {
            x->string_cap = x->string_cap ? x->string_cap * 2 : 256;
            x->strings =
                jk_realloc (x->strings, x->string_cap * sizeof *x->strings);
        }
        x->strings[x->string_count].text = jk_strdup (x->si.text.text);
        x->strings[x->string_count].too_long = x->si.too_long;
        memcpy (x->strings[x->string_count].bad, x->si.bad, sizeof x->si.bad);
        x->string_count++;
    }
}

static void XMLCALL s_strings_chars (void *data, const XML_Char *text, int len)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    if (x->in_si && x->in_t && !x->in_rph)
        s_text_chars (&x->si, text, (size_t)len);
}

/* ---- styles.xml -----------------------------------------------------------
 */

/* What a number format shows: 1 a date, 2 a time of day, 0 a number. */
static unsigned char s_format_kind (int id, const char *code)
{
    if (!code) {
        if ((id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) ||
            (id >= 50 && id <= 58))
            return 1;
        if ((id >= 18 && id <= 21) || (id >= 45 && id <= 47))
            return 2;
        return 0;
    }
    bool date = false, time = false, quoted = false;
    for (const char *p = code; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (quoted)
            continue;
        else if (*p == '\\' && p[1])
            p++;
        else if (*p == '[') {
            /* [$-421], [Red], [h]: skipped, except elapsed hours */
            if (p[1] == 'h' || p[1] == 'H' || p[1] == 'm' || p[1] == 's')
                time = true;
            const char *close = strchr (p, ']');
            if (!close)
                break;
            p = close;
        } else if (strchr ("dDyY", *p))
            date = true;
        else if (strchr ("hHsS", *p))
            time = true;
    }
    return date ? 1 : time ? 2 : 0;
}

static void XMLCALL s_styles_start (void *data, const XML_Char *name,
                                    const XML_Char **attrs)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    const char *local = s_local (name);
    if (strcmp (local, "numFmt") == 0) {
        const char *id = s_attr (attrs, "numFmtId");
        const char *code = s_attr (attrs, "formatCode");
        if (id && code && x->fmt_count < 256) {
            x->fmts[x->fmt_count].id = atoi (id);
            x->fmts[x->fmt_count].kind = s_format_kind (atoi (id), code);
            x->fmt_count++;
        }
    } else if (strcmp (local, "cellXfs") == 0)
        x->in_xfs = 1;
    else if (strcmp (local, "xf") == 0 && x->in_xfs && x->xf_count < 65536) {
        const char *id = s_attr (attrs, "numFmtId");
        int n = id ? atoi (id) : 0;
        unsigned char kind = s_format_kind (n, NULL);
        for (size_t i = 0; i < x->fmt_count; i++)
            if (x->fmts[i].id == n)
                kind = x->fmts[i].kind;
        if (x->xf_count == x->xf_cap) {
            x->xf_cap = x->xf_cap ? x->xf_cap * 2 : 64;
            x->xf_kind = jk_realloc (x->xf_kind, x->xf_cap);
        }
        x->xf_kind[x->xf_count++] = kind;
    }
}

static void XMLCALL s_styles_end (void *data, const XML_Char *name)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    if (strcmp (s_local (name), "cellXfs") == 0)
        x->in_xfs = 0;
}

/* ---- the sheet ----------------------------------------------------------- */

/* "BC12" -> column 54 (0-based); -1 when it is not a reference. */
static long s_column (const char *ref)
{
    long col = 0;
    size_t n = 0;
    for (; ref[n] >= 'A' && ref[n] <= 'Z'; n++) {
        col = col * 26 + (ref[n] - 'A' + 1);
        if (col > 100000)
            return -1;
    }
    return n ? col - 1 : -1;
}

/* The row's first problem is kept (then the row goes to bad). */
#define s_row_problem(x, ...)                                                  \
    do {                                                                       \
        if (!(x)->problem[0])                                                  \
            snprintf ((x)->problem, sizeof (x)->problem, __VA_ARGS__);         \
    } while (0)

static void s_row_clear (s_xlsx_t *x)
{
    for (size_t i = 0; i < x->cell_count; i++) {
        free (x->cells[i]);
        x->cells[i] = NULL;
    }
    x->cell_count = 0;
    x->problem[0] = 0;
    x->col = 0;
}

static void s_too_long (s_xlsx_t *x)
{
    s_row_problem (x,
                   "sel kolom %zu lebih dari %d byte (UTF-8): baris "
                   "dilewati (cell too long)",
                   x->col + 1, JK_XLSX_CELL_MAX);
}

/* A string cell's text (shared or inline), or "" with the row's problem:
   too long, or an escape (bad) that is not text, said with the sheet,
   the cell ("B12") and the rule. */
static char *s_string_cell (s_xlsx_t *x, const char *text, bool too_long,
                            const char *bad)
{
    if (too_long)
        s_too_long (x);
    else if (!bad[0])
        return jk_strdup (text);
    else {
        char ref[32], letters[8];
        size_t n = 0;
        for (size_t col = x->col + 1; col && n < sizeof letters;
             col = (col - 1) / 26)
            letters[n++] = (char)('A' + (col - 1) % 26);
        for (size_t i = 0; i < n; i++)
            ref[i] = letters[n - 1 - i];
        snprintf (ref + n, sizeof ref - n, "%zu", x->row);
        s_row_problem (
            x, "lembar %s%s%s sel %s: %s %s: baris dilewati",
            x->sheet_name[0] ? "\"" : "pertama", x->sheet_name,
            x->sheet_name[0] ? "\"" : "", ref, bad,
            s_escape (bad) == 0
                ? "adalah NUL, yang tidak boleh ada dalam teks (an escape "
                  "of NUL is refused: text holds no NUL)"
                : "adalah separuh pasangan surogat UTF-16 tanpa pasangannya "
                  "(a lone surrogate is not a character)");
    }
    return jk_strdup ("");
}

/* The cell's value as text, by its type and style. */
static char *s_cell_text (s_xlsx_t *x)
{
    const char *v = x->value.text ? x->value.text : "";
    if (strcmp (x->type, "s") == 0) {
        char *end = NULL;
        unsigned long i = strtoul (v, &end, 10);
        if (!*v || *end || i >= x->string_count) {
            s_row_problem (x,
                           "teks bersama no. %.20s tidak ada (shared string "
                           "missing): baris dilewati",
                           v);
            return jk_strdup ("");
        }
        return s_string_cell (x, x->strings[i].text, x->strings[i].too_long,
                              x->strings[i].bad);
    }
    if (strcmp (x->type, "inlineStr") == 0 || x->is_seen)
        return s_string_cell (x, x->is.text.text, x->is.too_long, x->is.bad);
    if (strcmp (x->type, "str") == 0) {
        /* A formula's text result: its <v> is text as a <t> is, escapes
           and all (ST_Xstring). */
        s_text_t t = {0};
        s_text_reset (&t);
        s_text_chars (&t, v, strlen (v));
        s_text_end (&t);
        char *text = s_string_cell (x, t.text.text, t.too_long, t.bad);
        free (t.raw.text);
        free (t.text.text);
        return text;
    }
    if (strcmp (x->type, "b") == 0)
        return jk_strdup (strcmp (v, "1") == 0 ? "TRUE" : "FALSE");
    if (x->type[0] && strcmp (x->type, "n") != 0)
        return jk_strdup (v); /* e, d */
    unsigned char kind = x->style < x->xf_count ? x->xf_kind[x->style] : 0;
    char *end = NULL;
    double d = strtod (v, &end);
    if (kind == 0 || !*v || *end || !isfinite (d) || d < 0 || d > 2958465.0)
        return jk_strdup (v);
    if (kind == 2 || d < 1.0) {
        long minutes = lround ((d - floor (d)) * 1440.0) % 1440;
        return jk_sprintf ("%02ld:%02ld", minutes / 60, minutes % 60);
    }
    /* Day 1 is 1900-01-01 (1904-01-02 in the 1904 system); the 1900
       system counts a 29 February 1900 that never was, at 60. */
    long serial = (long)floor (d);
    int32_t days;
    if (x->date1904)
        days = jk_days_from_civil (1904, 1, 1) + (int32_t)serial;
    else
        days = jk_days_from_civil (1899, 12, serial < 60 ? 31 : 30) +
               (int32_t)serial;
    int y, m, dd;
    jk_civil_from_days (days, &y, &m, &dd);
    return jk_sprintf ("%02d/%02d/%04d", dd, m, y);
}

static void s_emit (s_xlsx_t *x)
{
    if (x->stopped)
        return;
    bool blank = true;
    for (size_t i = 0; i < x->cell_count && blank; i++)
        blank = !x->cells[i] || !x->cells[i][0];
    if (x->problem[0])
        x->stopped =
            x->bad ? x->bad (x->arg, x->row, JK_CSV_UNREADABLE, x->problem) : 0;
    else if (!blank) {
        for (size_t i = 0; i < x->cell_count; i++)
            if (!x->cells[i])
                x->cells[i] = jk_calloc (1, 1);
        x->stopped = x->fn (x->arg, x->row, x->cells, x->cell_count);
    }
    s_row_clear (x);
    if (x->stopped)
        XML_StopParser (x->parser, XML_FALSE);
}

static void XMLCALL s_sheet_start (void *data, const XML_Char *name,
                                   const XML_Char **attrs)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    const char *local = s_local (name);
    if (strcmp (local, "row") == 0) {
        const char *r = s_attr (attrs, "r");
        long n = r ? atol (r) : 0;
        x->row = n > 0 && (size_t)n > x->row ? (size_t)n : x->row + 1;
        s_row_clear (x);
    } else if (strcmp (local, "c") == 0) {
        const char *r = s_attr (attrs, "r");
        const char *t = s_attr (attrs, "t");
        const char *s = s_attr (attrs, "s");
        long col = r ? s_column (r) : (long)x->cell_count;
        if (col < 0)
            col = (long)x->cell_count;
        x->col = (size_t)col;
        snprintf (x->type, sizeof x->type, "%s", t ? t : "");
        x->style = s ? (size_t)strtoul (s, NULL, 10) : 0;
        x->in_cell = 1;
        x->value.len = 0;
        s_buf_add (&x->value, "", 0);
        x->is_seen = false;
        s_text_reset (&x->is);
    } else if (strcmp (local, "v") == 0 && x->in_cell)
        x->in_v = 1;
    else if (strcmp (local, "is") == 0 && x->in_cell) {
        x->in_is = 1;
        x->is_seen = true;
    } else if (strcmp (local, "t") == 0 && x->in_is)
        x->in_ist = 1;
    else if (strcmp (local, "rPh") == 0 && x->in_is)
        x->in_rph = 1;
}

static void XMLCALL s_sheet_end (void *data, const XML_Char *name)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    const char *local = s_local (name);
    if (strcmp (local, "v") == 0)
        x->in_v = 0;
    else if (strcmp (local, "t") == 0) {
        if (x->in_ist && !x->in_rph)
            s_text_end (&x->is);
        x->in_ist = 0;
    } else if (strcmp (local, "is") == 0)
        x->in_is = 0;
    else if (strcmp (local, "rPh") == 0)
        x->in_rph = 0;
    else if (strcmp (local, "c") == 0 && x->in_cell) {
        x->in_cell = 0;
        if (x->value.len > JK_XLSX_CELL_MAX) {
            s_too_long (x);
            return;
        }
        if (x->col >= JK_CSV_MAX_CELLS) {
            s_row_problem (x,
                           "ada isian di kolom %zu, lebih dari %d kolom: "
                           "baris dilewati (too many columns)",
                           x->col + 1, JK_CSV_MAX_CELLS);
            return;
        }
        char *text = s_cell_text (x);
        if (x->col < x->cell_count && x->cells[x->col]) {
            s_row_problem (x,
                           "sel kolom %zu muncul dua kali (cell given "
                           "twice): baris dilewati",
                           x->col + 1);
            free (text);
            return;
        }
        for (size_t i = x->cell_count; i <= x->col; i++)
            x->cells[i] = NULL;
        if (x->col >= x->cell_count)
            x->cell_count = x->col + 1;
        x->cells[x->col] = text;
    } else if (strcmp (local, "row") == 0)
        s_emit (x);
}

static void XMLCALL s_sheet_chars (void *data, const XML_Char *text, int len)
{
    s_xlsx_t *x = XML_GetUserData ((XML_Parser)data);
    if (x->in_cell && x->in_v && !x->in_rph)
        s_buf_capped (&x->value, text, (size_t)len, JK_XLSX_CELL_MAX + 1);
    else if (x->in_cell && x->in_ist && !x->in_rph)
        s_text_chars (&x->is, text, (size_t)len);
}

/* ---- the whole -------------------------------------------------------------
 */

static void s_free (s_xlsx_t *x)
{
    for (size_t i = 0; i < x->string_count; i++)
        free (x->strings[i].text);
    free (x->strings);
    free (x->si.raw.text);
    free (x->si.text.text);
    free (x->is.raw.text);
    free (x->is.text.text);
    free (x->xf_kind);
    free (x->value.text);
    s_row_clear (x);
}

/* Parses a part if present; JK_OK (also when absent and optional), or
   JK_INVALID with err. */
static int s_read_part (zip_t *zip, const char *name, bool required,
                        s_xlsx_t *x, XML_StartElementHandler start,
                        XML_EndElementHandler end,
                        XML_CharacterDataHandler chars, char *err,
                        size_t err_size)
{
    size_t size = 0;
    char *text = s_part (zip, name, &size, err, err_size);
    if (!text) {
        if (!err[0] && required)
            snprintf (err, err_size,
                      "bagian %s tidak ada: bukan buku kerja XLSX (no %s "
                      "in the archive)",
                      name, name);
        return err[0] ? JK_INVALID : JK_OK;
    }
    int rc = s_parse (name, text, size, x, start, end, chars, &x->parser, err,
                      err_size);
    free (text);
    if (rc > 0 && !x->stopped) {
        snprintf (err, err_size,
                  "bagian %s memuat deklarasi DOCTYPE (tidak diterima; "
                  "a document type declaration is refused)",
                  name);
        return JK_INVALID;
    }
    return rc < 0 ? JK_INVALID : JK_OK;
}

int jk_xlsx_read (const void *data, size_t size, jk_csv_row_fn *fn,
                  jk_csv_bad_fn *bad, void *arg, char *err, size_t err_size)
{
    err[0] = 0;
    zip_error_t zerr;
    zip_error_init (&zerr);
    zip_source_t *src = zip_source_buffer_create (data, size, 0, &zerr);
    zip_t *zip = src ? zip_open_from_source (src, ZIP_RDONLY, &zerr) : NULL;
    if (!zip) {
        snprintf (err, err_size,
                  "berkas ini bukan XLSX yang terbaca (not a readable zip "
                  "archive: %s)",
                  zip_error_strerror (&zerr));
        if (src)
            zip_source_free (src);
        zip_error_fini (&zerr);
        return JK_INVALID;
    }
    zip_error_fini (&zerr);
    s_xlsx_t x;
    memset (&x, 0, sizeof x);
    x.fn = fn;
    x.bad = bad;
    x.arg = arg;
    int rc = s_read_part (zip, "xl/workbook.xml", true, &x, s_workbook_start,
                          s_ignore_end, NULL, err, err_size);
    if (rc == JK_OK)
        rc = s_read_part (zip, "xl/_rels/workbook.xml.rels", false, &x,
                          s_rels_start, s_ignore_end, NULL, err, err_size);
    if (!x.sheet_target[0])
        snprintf (x.sheet_target, sizeof x.sheet_target,
                  "xl/worksheets/sheet1.xml");
    if (!x.strings_target[0])
        snprintf (x.strings_target, sizeof x.strings_target,
                  "xl/sharedStrings.xml");
    if (!x.styles_target[0])
        snprintf (x.styles_target, sizeof x.styles_target, "xl/styles.xml");
    if (rc == JK_OK)
        rc = s_read_part (zip, x.strings_target, false, &x, s_strings_start,
                          s_strings_end, s_strings_chars, err, err_size);
    if (rc == JK_OK)
        rc = s_read_part (zip, x.styles_target, false, &x, s_styles_start,
                          s_styles_end, NULL, err, err_size);
    if (rc == JK_OK) {
        rc = s_read_part (zip, x.sheet_target, true, &x, s_sheet_start,
                          s_sheet_end, s_sheet_chars, err, err_size);
        if (rc == JK_OK && x.stopped)
            rc = x.stopped;
    }
    zip_close (zip); /* read only: frees the source too */
    s_free (&x);
    return rc;
}
