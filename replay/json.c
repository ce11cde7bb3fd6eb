/*  json.c - JSON string escaping for export (RFC 8259; invalid UTF-8
    becomes U+FFFD). The reader the tests use to read the lines back is
    tests/support/export_read.c. */
#include "jk_replay.h"

#include <string.h>

bool jk_json_write_string (FILE *out, const char *data, size_t size)
{
    const uint8_t *p = (const uint8_t *)data;
    bool valid = true;
    fputc ('"', out);
    size_t i = 0;
    while (i < size) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            fputc ('\\', out);
            fputc (c, out);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
                case '\n':
                    fputs ("\\n", out);
                    break;
                case '\r':
                    fputs ("\\r", out);
                    break;
                case '\t':
                    fputs ("\\t", out);
                    break;
                case '\b':
                    fputs ("\\b", out);
                    break;
                case '\f':
                    fputs ("\\f", out);
                    break;
                default:
                    fprintf (out, "\\u%04x", c);
                    break;
            }
            i++;
        } else if (c < 0x80) {
            fputc (c, out);
            i++;
        } else {
            size_t n = jk_utf8_sequence ((const char *)p + i, size - i);
            if (n == 0) {
                fputs ("\\ufffd", out);
                valid = false;
                i++;
            } else {
                fwrite (p + i, 1, n, out);
                i += n;
            }
        }
    }
    fputc ('"', out);
    return valid;
}
