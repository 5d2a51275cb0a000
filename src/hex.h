/*
 * hex.h - the value of one hexadecimal digit, shared by the master-key file
 * reader and the form decoder.  Header-only: one tiny pure function.
 */
#ifndef TG_HEX_H
#define TG_HEX_H

/* 0-15 for 0-9, a-f, A-F; -1 for anything else. */
static inline int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
