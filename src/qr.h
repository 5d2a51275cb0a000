/*
 * qr.h - QR codes of otpauth URIs, for onboarding.
 *
 * Wraps libqrencode (and libpng for PNG output); qr.c is the only file that
 * includes their headers.  Error correction level M, 8-bit mode, a quiet
 * zone of 4 modules on every side.
 *
 * Thread safety: re-entrant.
 */
#ifndef TG_QR_H
#define TG_QR_H

#include <stdio.h>

#include "status.h"

/* Draws the QR code of text on out with Unicode half blocks (two module rows
 * per text line), dark modules drawn as spaces on a light background so that
 * phone cameras read it from a dark terminal. */
tg_status qr_print_terminal(FILE *out, const char *text);

/* Writes the QR code of text to path; the format follows the extension:
 * ".png" (8-bit grayscale, 8 pixels per module) or ".svg".  Any other
 * extension is TG_ERR_INVALID_ARG.  The file is written whole or not at all
 * (temporary file, fsync, rename). */
tg_status qr_write_file(const char *path, const char *text);

#endif
