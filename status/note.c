/*  note.c - the board's notes as data: one row per code with its
    arguments' names and its Indonesian and English texts ({name} stands
    for an argument). The board sets notes by code (board.c,
    board_sync.c, board_state.c, replica.c); the renderers word them;
    the web page keeps the same texts in app.js, and docs/STATUS.md
    lists them (a unit test holds all three equal). */
#include "jk_status.h"

#include <assert.h>
#include <string.h>

typedef struct {
    const char *code;                          /* stable, for clients */
    const char *args[JK_STATUS_NOTE_ARGS + 1]; /* names; NULL after the
                                                  last */
    const char *id;                            /* Indonesian text */
    const char *en;                            /* English text */
} s_note_t;

#define S_RELOAD_ID ": memuat ulang dari posisi 0"
#define S_RELOAD_EN ": reloading from position 0"
#define S_REGION_ID                                                            \
    "--region {region} berbeda dengan wilayah store {store_region}"
#define S_REGION_EN "--region {region} is not the store's region {store_region}"
#define S_UNKNOWN_ID                                                           \
    "wilayah store {store_region} tidak dapat dimuat (lihat log): memakai "    \
    "wilayah {region}"
#define S_UNKNOWN_EN                                                           \
    "the store's region {store_region} could not be loaded (see the log): "    \
    "applying with region {region}"
#define S_MONTHS_ID                                                            \
    "--rat-deadline-months {months} berbeda dengan batas RAT store "           \
    "{store_months} bulan"
#define S_MONTHS_EN                                                            \
    "--rat-deadline-months {months} is not the store's {store_months}"

/* Every note, in the order docs/STATUS.md lists them. A recovered note's
   {after} is the code of the note it recovered from, worded in the same
   language (those notes take no arguments). */
static const s_note_t s_notes[] = {
    {"feed_silent",
     {"seconds"},
     "feed terputus {seconds} dtk (broker mati?): berlangganan ulang, "
     "mengejar dari store",
     "no feed for {seconds} s (broker down?): re-subscribed, catching up "
     "from the store"},
    {"feed_back", {NULL}, "feed tersambung kembali", "feed back"},
    {"store_silent",
     {NULL},
     "store tidak menjawab (dimulai ulang?): menyambung ulang",
     "store not answering (restart?): reconnecting"},
    {"store_back", {NULL}, "store menjawab kembali", "store back"},
    {"recovered",
     {"time", "after"},
     "pulih pukul {time} WIB setelah: {after}",
     "recovered {time} WIB after: {after}"},
    {"head_backwards",
     {NULL},
     "head log mundur" S_RELOAD_ID,
     "the log head went backwards" S_RELOAD_EN},
    {"hash_differs",
     {NULL},
     "hash log berbeda di posisi papan" S_RELOAD_ID,
     "the log's hash differs at our position" S_RELOAD_EN},
    {"log_shorter",
     {NULL},
     "log store lebih pendek dari log papan" S_RELOAD_ID,
     "the store's log is shorter than ours" S_RELOAD_EN},
    {"state_failed",
     {NULL},
     "salinan data store tidak dapat dimuat" S_RELOAD_ID,
     "the store's state could not be loaded" S_RELOAD_EN},
    {"replica_failed",
     {NULL},
     "replika papan gagal" S_RELOAD_ID,
     "the board's replica failed" S_RELOAD_EN},
    {"region_differs", {"region", "store_region"}, S_REGION_ID, S_REGION_EN},
    {"region_unknown", {"region", "store_region"}, S_UNKNOWN_ID, S_UNKNOWN_EN},
    {"months_differs", {"months", "store_months"}, S_MONTHS_ID, S_MONTHS_EN},
    {"region_months_differ",
     {"region", "store_region", "months", "store_months"},
     S_REGION_ID "; " S_MONTHS_ID,
     S_REGION_EN "; " S_MONTHS_EN},
    {"region_unknown_months_differ",
     {"region", "store_region", "months", "store_months"},
     S_UNKNOWN_ID "; " S_MONTHS_ID,
     S_UNKNOWN_EN "; " S_MONTHS_EN},
};

#define S_NOTES (sizeof s_notes / sizeof s_notes[0])

static const s_note_t *s_find (const char *code)
{
    for (size_t i = 0; code && i < S_NOTES; i++)
        if (strcmp (s_notes[i].code, code) == 0)
            return &s_notes[i];
    return NULL;
}

/* Copies text into out (size bytes), cut between characters. */
static void s_copy (char *out, size_t size, const char *text, size_t len)
{
    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy (out, text, len);
    out[len] = 0;
}

void jk_status_note_vset (jk_status_note_t *note, const char *code,
                          va_list args)
{
    const s_note_t *row = s_find (code);
    assert (row);
    memset (note, 0, sizeof *note);
    s_copy (note->code, sizeof note->code, code, strlen (code));
    for (int i = 0; i < JK_STATUS_NOTE_ARGS && row->args[i]; i++) {
        const char *value = va_arg (args, const char *);
        if (value)
            s_copy (note->args[i], sizeof note->args[i], value, strlen (value));
    }
}

void jk_status_note_set (jk_status_note_t *note, const char *code, ...)
{
    va_list args;
    va_start (args, code);
    jk_status_note_vset (note, code, args);
    va_end (args);
}

/* The value of the placeholder name (len bytes) of row in note: the
   argument, or for "after" the text of the note it names. */
static const char *s_value (const s_note_t *row, const jk_status_note_t *note,
                            const char *name, size_t len, bool english)
{
    for (int i = 0; i < JK_STATUS_NOTE_ARGS && row->args[i]; i++) {
        if (strlen (row->args[i]) != len ||
            strncmp (row->args[i], name, len) != 0)
            continue;
        const s_note_t *after =
            strcmp (row->args[i], "after") == 0 ? s_find (note->args[i]) : NULL;
        if (after)
            return english ? after->en : after->id;
        return note->args[i];
    }
    return "";
}

const char *jk_status_note_text (const jk_status_note_t *note, bool english,
                                 char *out, size_t size)
{
    assert (out && size > 0);
    out[0] = 0;
    const s_note_t *row = note ? s_find (note->code) : NULL;
    if (!row)
        return out;
    char text[2 * JK_STATUS_NOTE_TEXT_MAX];
    size_t used = 0;
    for (const char *p = english ? row->en : row->id; *p;) {
        const char *end = *p == '{' ? strchr (p, '}') : NULL;
        const char *piece = p;
        size_t len = 1;
        if (end) {
            piece = s_value (row, note, p + 1, (size_t)(end - p - 1), english);
            len = strlen (piece);
            p = end + 1;
        } else
            p++;
        if (used + len >= sizeof text)
            len = sizeof text - 1 - used;
        memcpy (text + used, piece, len);
        used += len;
    }
    s_copy (out, size, text, used);
    return out;
}

const char *jk_status_note_code (size_t index)
{
    return index < S_NOTES ? s_notes[index].code : NULL;
}

const char *jk_status_note_arg (const char *code, int i)
{
    const s_note_t *row = s_find (code);
    return row && i >= 0 && i < JK_STATUS_NOTE_ARGS ? row->args[i] : NULL;
}

const char *jk_status_note_template (const char *code, bool english)
{
    const s_note_t *row = s_find (code);
    return row ? (english ? row->en : row->id) : NULL;
}
