/*
 * jsonout.h - writing JSON text into fixed-size buffers.
 *
 * For the few places that emit JSON on hot paths (responses, tokens, logs)
 * without building a jansson tree.  Strings are escaped per RFC 8259:
 * quote, backslash and every control character (and DEL) become escapes, so
 * input that holds CR, LF or terminal escapes stays inside its string.
 *
 * Thread safety: re-entrant.
 */
#ifndef TG_JSONOUT_H
#define TG_JSONOUT_H

#include <stddef.h>

#include "status.h"

/*
 * Appends s as a quoted JSON string at buf + *pos and NUL-terminates.
 * If it does not fit in cap, nothing is appended, *pos is unchanged and
 * TG_ERR_INVALID_ARG is returned.
 */
tg_status jsonout_string(char *buf, size_t cap, size_t *pos, const char *s);

/* Appends literal text (already JSON) the same way. */
tg_status jsonout_raw(char *buf, size_t cap, size_t *pos, const char *s);

#endif
