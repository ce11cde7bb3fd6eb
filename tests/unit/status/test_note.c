/*  test_note.c - the board's notes: the texts a code and its arguments
    make in Indonesian and English, and the one table behind them held
    equal to the web page's dictionaries (app.js as the binary serves
    it) and to docs/STATUS.md's list of notes. */
#include "status_internal.h"
#include "testsupport.h"

#include <string.h>

/* The text of note in one language (a static buffer per language). */
static const char *s_text (const jk_status_note_t *note, bool english)
{
    static char id[JK_STATUS_NOTE_TEXT_MAX], en[JK_STATUS_NOTE_TEXT_MAX];
    return english ? jk_status_note_text (note, true, en, sizeof en)
                   : jk_status_note_text (note, false, id, sizeof id);
}

static void test_texts (void **state)
{
    (void)state;
    jk_status_note_t note;
    jk_status_note_set (&note, "feed_silent", "3");
    assert_string_equal (note.code, "feed_silent");
    assert_string_equal (note.args[0], "3");
    assert_string_equal (note.args[1], "");
    assert_string_equal (s_text (&note, false),
                         "feed terputus 3 dtk (broker mati?): berlangganan "
                         "ulang, mengejar dari store");
    assert_string_equal (s_text (&note, true),
                         "no feed for 3 s (broker down?): re-subscribed, "
                         "catching up from the store");

    /* The note recovered from is worded in the same language. */
    jk_status_note_set (&note, "recovered", "10:42:07", "store_back");
    assert_string_equal (s_text (&note, false),
                         "pulih pukul 10:42:07 WIB setelah: store menjawab "
                         "kembali");
    assert_string_equal (s_text (&note, true),
                         "recovered 10:42:07 WIB after: store back");

    /* Arguments past the code's are ignored. */
    jk_status_note_set (&note, "region_differs", "32.03", "32.04", "9", "6");
    assert_string_equal (note.args[2], "");
    assert_string_equal (s_text (&note, false),
                         "--region 32.03 berbeda dengan wilayah store 32.04");
    assert_string_equal (s_text (&note, true),
                         "--region 32.03 is not the store's region 32.04");
    jk_status_note_set (&note, "region_months_differ", "32.03", "32.04", "9",
                        "6");
    assert_string_equal (s_text (&note, false),
                         "--region 32.03 berbeda dengan wilayah store 32.04; "
                         "--rat-deadline-months 9 berbeda dengan batas RAT "
                         "store 6 bulan");
    assert_string_equal (s_text (&note, true),
                         "--region 32.03 is not the store's region 32.04; "
                         "--rat-deadline-months 9 is not the store's 6");
    jk_status_note_set (&note, "head_backwards");
    assert_string_equal (s_text (&note, false),
                         "head log mundur: memuat ulang dari posisi 0");

    /* None, an unknown code: no text. A NULL argument is "", a long one
       cut; a short buffer cuts the text. */
    assert_string_equal (s_text (NULL, false), "");
    memset (&note, 0, sizeof note);
    assert_string_equal (s_text (&note, true), "");
    snprintf (note.code, sizeof note.code, "no_such_note");
    assert_string_equal (s_text (&note, false), "");
    char longer[64];
    memset (longer, '9', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    jk_status_note_set (&note, "months_differs", NULL, longer);
    assert_string_equal (note.args[0], "");
    assert_int_equal (strlen (note.args[1]), sizeof note.args[1] - 1);
    char small[8];
    jk_status_note_set (&note, "feed_back");
    assert_string_equal (
        jk_status_note_text (&note, false, small, sizeof small), "feed te");

    assert_string_equal (jk_status_note_arg ("feed_silent", 0), "seconds");
    assert_null (jk_status_note_arg ("feed_silent", 1));
    assert_null (jk_status_note_arg ("no_such_note", 0));
    assert_null (jk_status_note_template ("no_such_note", false));
}

/* Every {name} of both texts is an argument of the code, and every
   argument is in both texts. */
static void test_placeholders (void **state)
{
    (void)state;
    size_t count = 0;
    for (const char *code; (code = jk_status_note_code (count)); count++) {
        for (int english = 0; english < 2; english++) {
            const char *text = jk_status_note_template (code, english);
            assert_non_null (text);
            int used[JK_STATUS_NOTE_ARGS] = {0};
            for (const char *p = text; (p = strchr (p, '{'));) {
                const char *end = strchr (p, '}');
                assert_non_null (end);
                int found = -1;
                const char *name;
                for (int i = 0; (name = jk_status_note_arg (code, i)); i++)
                    if (strlen (name) == (size_t)(end - p - 1) &&
                        strncmp (name, p + 1, strlen (name)) == 0)
                        found = i;
                if (found < 0)
                    fail_msg ("%s: %.*s is not an argument", code,
                              (int)(end - p + 1), p);
                used[found]++;
                p = end + 1;
            }
            for (int i = 0; jk_status_note_arg (code, i); i++)
                if (!used[i])
                    fail_msg ("%s: %s not in its text", code,
                              jk_status_note_arg (code, i));
        }
    }
    assert_int_equal (count, 15);
}

/* text as a JavaScript string in single quotes (heap). */
static char *s_js (const char *text)
{
    char *out = jk_calloc (1, 2 * strlen (text) + 3);
    char *o = out;
    *o++ = '\'';
    for (const char *p = text; *p; p++) {
        if (*p == '\'' || *p == '\\')
            *o++ = '\\';
        *o++ = *p;
    }
    *o = '\'';
    return out;
}

/* The page translates every code the board can send: app.js, as
   jejak-status serves it, holds each note's Indonesian text in its id
   dictionary and the English in its en one, exactly. */
static void test_page_dictionaries (void **state)
{
    (void)state;
    const jk_web_asset_t *app = NULL;
    for (size_t i = 0; i < jk_web_asset_count; i++)
        if (strcmp (jk_web_assets[i].path, "/app.js") == 0)
            app = &jk_web_assets[i];
    assert_non_null (app);
    char *js = jk_sprintf ("%.*s", (int)app->size, (const char *)app->data);
    char *id = strstr (js, "\n  id: {\n");
    char *en = strstr (js, "\n  en: {\n");
    assert_non_null (id);
    assert_non_null (en);
    assert_true (id < en);
    char *end = strstr (en, "\n  }\n};\n");
    assert_non_null (end);
    *en = 0; /* id: from id to en; en: from en to end */
    *end = 0;
    en++;
    for (size_t i = 0; jk_status_note_code (i); i++) {
        const char *code = jk_status_note_code (i);
        for (int english = 0; english < 2; english++) {
            char *text = s_js (jk_status_note_template (code, english));
            char *entry = jk_sprintf ("\n    note_%s: %s", code, text);
            if (!strstr (english ? en : id, entry))
                fail_msg ("app.js %s dictionary lacks:%s",
                          english ? "en" : "id", entry);
            free (entry);
            free (text);
        }
    }
    free (js);
}

/* docs/STATUS.md lists every note: code, arguments, both texts. */
static void test_documented (void **state)
{
    (void)state;
    size_t size = 0;
    char *doc = jk_test_slurp (JEJAK_SOURCE_DIR "/docs/STATUS.md", &size);
    assert_non_null (doc);
    for (size_t i = 0; jk_status_note_code (i); i++) {
        const char *code = jk_status_note_code (i);
        char args[256] = "";
        const char *name;
        for (int a = 0; (name = jk_status_note_arg (code, a)); a++)
            snprintf (args + strlen (args), sizeof args - strlen (args),
                      "%s`%s`", a ? ", " : "", name);
        char *row = jk_sprintf ("\n| `%s` | %s | `%s` | `%s` |\n", code,
                                args[0] ? args : "-",
                                jk_status_note_template (code, false),
                                jk_status_note_template (code, true));
        if (!strstr (doc, row))
            fail_msg ("docs/STATUS.md lacks the row:%s", row);
        free (row);
    }
    free (doc);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_texts),
        cmocka_unit_test (test_placeholders),
        cmocka_unit_test (test_page_dictionaries),
        cmocka_unit_test (test_documented),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
