/*
 * jsonout.c - escaped JSON strings into bounded buffers; see jsonout.h.
 */
#include "jsonout.h"

#include <string.h>

tg_status jsonout_string(char *buf, size_t cap, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t p = *pos;

    if (p + 2 >= cap)
        return TG_ERR_INVALID_ARG;
    buf[p++] = '"';
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6];
        size_t n = 0;

        if (c == '"' || c == '\\') {
            esc[n++] = '\\';
            esc[n++] = (char)c;
        } else if (c == '\n') {
            esc[n++] = '\\';
            esc[n++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            n = 4;
            esc[n++] = hex[c >> 4];
            esc[n++] = hex[c & 15];
        } else {
            esc[n++] = (char)c;
        }
        if (p + n + 2 > cap)
            return TG_ERR_INVALID_ARG;
        memcpy(buf + p, esc, n);
        p += n;
    }
    buf[p++] = '"';
    buf[p] = '\0';
    *pos = p;
    return TG_OK;
}

tg_status jsonout_raw(char *buf, size_t cap, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + n + 1 > cap)
        return TG_ERR_INVALID_ARG;
    memcpy(buf + *pos, s, n + 1);
    *pos += n;
    return TG_OK;
}
