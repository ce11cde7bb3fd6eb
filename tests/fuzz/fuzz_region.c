/*  fuzz_region.c - libFuzzer target for the reference data files
    (jk_region_load_area: CSV files of kecamatan, desa, kabupaten and
    province codes under --data-dir). The first byte picks the area: the
    Cianjur default, province "32" or kabupaten "32.03"; the rest is the
    files' bytes separated by NUL bytes, in the order the area reads them
    (cianjur_kecamatan.csv, cianjur_desa.csv, provinsi_codes.csv; or
    indonesia_kabupaten.csv, indonesia_kecamatan.csv,
    indonesia_desa.csv, provinsi_codes.csv), a missing part a missing
    file. The data either load, with at least one kecamatan, every row
    found again by its code and every code one that begins a line of its
    file (a row is never made of the rest of a line), or are refused with
    a message. */
#include "check.h"
#include "jk_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Whether code begins a line of text (bare or quoted). */
static bool s_begins_line (const char *text, const char *code)
{
    if (strchr (code, '"'))
        return true; /* a quoted code with quotes inside: not followed */
    size_t n = strlen (code);
    for (const char *line = text; line; line = strchr (line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp (line, code, n) == 0 ||
            (line[0] == '"' && strncmp (line + 1, code, n) == 0))
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    static const char *const cianjur[] = {
        "cianjur_kecamatan.csv", "cianjur_desa.csv", "provinsi_codes.csv"};
    static const char *const area_files[] = {
        "indonesia_kabupaten.csv", "indonesia_kecamatan.csv",
        "indonesia_desa.csv", "provinsi_codes.csv"};
    static const char *const areas[] = {NULL, "32", "32.03"};
    static char dir[64];
    if (!dir[0]) {
        snprintf (dir, sizeof dir, "/tmp/jejak-fuzz-region-%d", (int)getpid ());
        mkdir (dir, 0700);
    }
    const char *area = areas[data[0] % 3];
    const char *const *files = area ? area_files : cianjur;
    size_t count = area ? 4 : 3;
    /* The parts, NUL-terminated copies (the kecamatan file is kept). */
    char *parts[4] = {NULL, NULL, NULL, NULL};
    const uint8_t *p = data + 1, *end = data + size;
    for (size_t i = 0; i < count && p <= end; i++) {
        const uint8_t *nul = memchr (p, 0, (size_t)(end - p));
        size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
        parts[i] = malloc (len + 1);
        memcpy (parts[i], p, len);
        parts[i][len] = 0;
        p += len + 1;
    }
    char path[160];
    for (size_t i = 0; i < count; i++) {
        snprintf (path, sizeof path, "%s/%s", dir, files[i]);
        unlink (path);
        if (!parts[i])
            continue;
        s_input_file (path, parts[i], strlen (parts[i]), 0644);
    }
    char err[1400] = "";
    jk_region_t *region = jk_region_load_area (dir, area, err, sizeof err);
    if (!region)
        S_CHECK (err[0] && memchr (err, 0, sizeof err));
    else {
        const char *kecamatan_text = parts[area ? 1 : 0];
        size_t n = jk_region_kecamatan_count (region);
        S_CHECK (n > 0);
        S_CHECK (strcmp (jk_region_area (region), area ? area : "") == 0);
        for (size_t i = 0; i < n; i++) {
            const char *name = NULL;
            const char *code = jk_region_kecamatan_at (region, i, &name);
            S_CHECK (code && name && code[0]);
            S_CHECK (jk_region_kecamatan (region, code) != NULL);
            S_CHECK (s_begins_line (kecamatan_text, code));
        }
        for (size_t i = 0; i < jk_region_desa_count (region); i++) {
            const char *name = NULL, *kecamatan = NULL;
            const char *code = jk_region_desa_at (region, i, &name, &kecamatan);
            S_CHECK (code && name && kecamatan);
            S_CHECK (jk_region_desa (region, code, strlen (code), &kecamatan) !=
                     NULL);
        }
        for (size_t i = 0; i < jk_region_kabupaten_count (region); i++) {
            const char *name = NULL;
            const char *code = jk_region_kabupaten_at (region, i, &name);
            S_CHECK (code && name);
            S_CHECK (jk_region_kabupaten (region, code) != NULL);
        }
        (void)jk_region_province (region, 32);
        jk_report_t report;
        jk_report_reset (&report);
        (void)jk_source_check (region, "32.03.10/pacet-1", 16, &report);
        jk_region_destroy (&region);
    }
    for (size_t i = 0; i < count; i++)
        free (parts[i]);
    return 0;
}
