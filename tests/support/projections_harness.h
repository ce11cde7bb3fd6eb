/*  projections_harness.h - a store in miniature for the projection
    tests: a real SQLite file in a fresh temp directory, migrated, with
    events validated, decided and applied (or applied as rejections) at
    consecutive positions, one transaction each. Included by the
    projection, rule and as-of tests and by the status renderers' test. */
#ifndef JK_PROJECTIONS_HARNESS_H
#define JK_PROJECTIONS_HARNESS_H

#include "testsupport.h"
#include "jk_projections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *dir;
    sqlite3 *db;
    jk_projections_t *proj;
    jk_context_t context;         /* validation clock = recorded_at */
    uint64_t pos;                 /* last position given */
    uint64_t seq;                 /* this harness's source seq */
    char code[JK_CODE_MAX];       /* the last rejection's code */
    char message[JK_MESSAGE_MAX]; /* and its message */
} harness_t;

/* 2023-12-01 10:00 WIB: every date in the tests lies before it. */
#define H_NOW_MS (((int64_t)19692 * 86400 + 3 * 3600) * 1000)

static inline void h_open (harness_t *h, const char *tag,
                           const jk_projections_config_t *config)
{
    memset (h, 0, sizeof *h);
    h->dir = jk_test_tmpdir (tag);
    char *path = jk_sprintf ("%s/projections.db", h->dir);
    assert_int_equal (sqlite3_open (path, &h->db), SQLITE_OK);
    free (path);
    sqlite3_exec (h->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF",
                  NULL, NULL, NULL);
    char err[256] = "";
    int rc = jk_projections_migrate (h->db, err, sizeof err);
    if (rc)
        fail_msg ("migrate: %s", err);
    h->proj = jk_projections_new (h->db, config, err, sizeof err);
    if (!h->proj)
        fail_msg ("new: %s", err);
    h->context = jk_context_default ();
    h->context.now_ms = H_NOW_MS;
}

static inline void h_close (harness_t *h)
{
    jk_projections_destroy (&h->proj);
    assert_int_equal (sqlite3_close (h->db), SQLITE_OK);
    jk_test_rmdir (&h->dir);
}

/* An event of type from field, value pairs ending with NULL; source
   32.03.10/test-1 with the next seq, at = the harness clock. */
static inline jk_event_t *h_event (harness_t *h, const char *type, ...)
{
    const jk_type_t *t = jk_vocabulary_find (type, strlen (type));
    assert_non_null (t);
    jk_event_t *ev = jk_event_new (t);
    jk_event_set_source (ev, "32.03.10/test-1");
    jk_event_set_actor (ev, "tester");
    ev->seq = ++h->seq;
    ev->at = H_NOW_MS - 60000;
    va_list args;
    va_start (args, type);
    const char *field;
    while ((field = va_arg (args, const char *))) {
        const char *value = va_arg (args, const char *);
        jk_report_t report;
        jk_report_reset (&report);
        if (jk_event_set (ev, field, value, &report))
            fail_msg ("%s.%s: %s", type, field, report.error.message);
    }
    va_end (args);
    return ev;
}

/* Records one decided event the way the store does: format validation
   (must pass: these tests are about the domain rules), decide, then apply
   or apply_rejection at the next position. Consumes ev. Returns NULL when
   accepted, else the rejection code (h->code). */
static inline const char *h_submit (harness_t *h, jk_event_t *ev)
{
    jk_report_t report;
    if (jk_event_validate (ev, &h->context, &report))
        fail_msg ("%s does not validate: %s %s", ev->type->name,
                  report.error.code, report.error.message);
    assert_int_equal (sqlite3_exec (h->db, "BEGIN", NULL, NULL, NULL),
                      SQLITE_OK);
    int rc = jk_projections_decide (h->proj, ev, &report);
    assert_true (rc == 0 || rc == -1);
    jk_applied_t applied = {.pos = ++h->pos,
                            .recorded_at = H_NOW_MS + (int64_t)h->pos,
                            .warnings = &report};
    const char *result = NULL;
    if (rc == 0)
        assert_int_equal (jk_projections_apply (h->proj, ev, &applied), JK_OK);
    else {
        size_t size;
        uint8_t *bytes = jk_event_encode (ev, &size);
        applied.bytes = bytes;
        applied.size = size;
        snprintf (h->code, sizeof h->code, "%s", report.error.code);
        snprintf (h->message, sizeof h->message, "%s", report.error.message);
        assert_int_equal (jk_projections_apply_rejection (
                              h->proj, NULL, ev, report.error.code,
                              report.error.message, &applied),
                          JK_OK);
        free (bytes);
        result = h->code;
    }
    assert_int_equal (sqlite3_exec (h->db, "COMMIT", NULL, NULL, NULL),
                      SQLITE_OK);
    jk_event_destroy (&ev);
    return result;
}

/* Submits and expects acceptance. */
#define H_OK(h, ev)                                                            \
    do {                                                                       \
        const char *_code = h_submit ((h), (ev));                              \
        if (_code)                                                             \
            fail_msg ("rejected %s: %s", _code, (h)->message);                 \
    } while (0)

/* Submits and expects the rejection code. */
#define H_REJECT(h, ev, expected)                                              \
    do {                                                                       \
        const char *_code = h_submit ((h), (ev));                              \
        if (!_code)                                                            \
            fail_msg ("accepted, expected %s", (expected));                    \
        assert_string_equal (_code, (expected));                               \
    } while (0)

/* The integer result of a one-row query (-999 when no row). */
static inline int64_t h_int (harness_t *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (h->db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg ("%s: %s", sql, sqlite3_errmsg (h->db));
    int64_t value = -999;
    if (sqlite3_step (st) == SQLITE_ROW)
        value = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    return value;
}

static inline double h_real (harness_t *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (h->db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg ("%s: %s", sql, sqlite3_errmsg (h->db));
    double value = -999;
    if (sqlite3_step (st) == SQLITE_ROW)
        value = sqlite3_column_double (st, 0);
    sqlite3_finalize (st);
    return value;
}

/* The text result of a one-row query into a static buffer ("" none). */
static inline const char *h_text (harness_t *h, const char *sql)
{
    static char text[512];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (h->db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg ("%s: %s", sql, sqlite3_errmsg (h->db));
    text[0] = 0;
    if (sqlite3_step (st) == SQLITE_ROW && sqlite3_column_text (st, 0))
        snprintf (text, sizeof text, "%s",
                  (const char *)sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
    return text;
}

/* A valid male NIK born 1990-01-01 in kecamatan 32.03.10, serial n. */
static inline const char *h_nik (int n)
{
    static char nik[8][17];
    static int slot;
    char *out = nik[slot++ % 8];
    snprintf (out, 17, "320310010190%04d", n);
    return out;
}

/* The canonical dump of h's database in a heap string. */
static inline char *h_dump (harness_t *h)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    char err[256] = "";
    if (jk_projections_dump (h->db, out, err, sizeof err))
        fail_msg ("dump: %s", err);
    fclose (out);
    return text;
}

#endif
