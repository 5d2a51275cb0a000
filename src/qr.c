/*
 * qr.c - QR codes of otpauth URIs: terminal, PNG and SVG output.
 *
 * The only file that includes libqrencode and libpng.  Every output has a
 * quiet zone of QR_QUIET_ZONE light modules on each side.  The QR matrix
 * encodes a TOTP secret, so buffers holding it are wiped before they are
 * freed, and written files keep mkstemp's mode 0600 (owner only) rather than
 * being made world-readable.
 */
#include "qr.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define QR_QUIET_ZONE 4    /* modules of light margin on every side */
#define QR_PNG_SCALE 8     /* pixels per module in PNG output */
#define QR_TMP_SUFFIX ".tmp.XXXXXX"

typedef enum qr_format { QR_FORMAT_PNG, QR_FORMAT_SVG } qr_format;

/* Encodes text at level M in 8-bit mode; *out is the caller's to free with
 * qr_release(). */
static tg_status qr_encode(QRcode **out, const char *text)
{
    tg_status rc = TG_OK;
    QRcode *qr = NULL;

    *out = NULL;
    if (text == NULL || text[0] == '\0') {
        rc = TG_ERR_INVALID_ARG;
        goto out;
    }
    errno = 0;
    qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL) {
        if (errno == ENOMEM)
            rc = TG_ERR_NOMEM;
        else if (errno == ERANGE || errno == EINVAL)
            rc = TG_ERR_INVALID_ARG; /* too long for any QR version */
        else
            rc = TG_ERR_INTERNAL;
        goto out;
    }
    if (qr->width <= 0 || qr->data == NULL) {
        QRcode_free(qr);
        qr = NULL;
        rc = TG_ERR_INTERNAL;
        goto out;
    }
    *out = qr;
out:
    return rc;
}

/* Wipes the matrix (it encodes the secret) and frees qr; NULL does nothing. */
static void qr_release(QRcode *qr)
{
    if (qr == NULL)
        return;
    explicit_bzero(qr->data, (size_t)qr->width * (size_t)qr->width);
    QRcode_free(qr);
}

/* Side of the symbol including the quiet zone, in modules. */
static int qr_side(const QRcode *qr)
{
    return qr->width + 2 * QR_QUIET_ZONE;
}

/* Whether the module at (x, y), in quiet-zone-inclusive coordinates, is
 * dark.  The quiet zone and anything outside the symbol are light. */
static bool qr_dark(const QRcode *qr, int x, int y)
{
    int mx = x - QR_QUIET_ZONE;
    int my = y - QR_QUIET_ZONE;

    if (mx < 0 || my < 0 || mx >= qr->width || my >= qr->width)
        return false;
    return (qr->data[(size_t)my * (size_t)qr->width + (size_t)mx] & 1) != 0;
}

tg_status qr_print_terminal(FILE *out, const char *text)
{
    tg_status rc = TG_OK;
    QRcode *qr = NULL;
    int side;

    if (out == NULL) {
        rc = TG_ERR_INVALID_ARG;
        goto out;
    }
    rc = qr_encode(&qr, text);
    if (rc != TG_OK)
        goto out;

    /*
     * Light modules are painted with the terminal's foreground colour and
     * dark modules are left as background, so on the usual light-on-dark
     * terminal the code reads dark-on-light as a camera expects.  The side is
     * odd, so the last line has only an upper row; its lower half stays
     * unpainted, which keeps the quiet zone at exactly four modules.
     */
    side = qr_side(qr);
    for (int y = 0; y < side; y += 2) {
        for (int x = 0; x < side; x++) {
            bool upper_light = !qr_dark(qr, x, y);
            bool lower_light = y + 1 < side && !qr_dark(qr, x, y + 1);
            const char *cell;

            if (upper_light && lower_light)
                cell = "\u2588"; /* full block */
            else if (upper_light)
                cell = "\u2580"; /* upper half block */
            else if (lower_light)
                cell = "\u2584"; /* lower half block */
            else
                cell = " ";
            if (fputs(cell, out) == EOF) {
                rc = TG_ERR_IO;
                goto out;
            }
        }
        if (fputc('\n', out) == EOF) {
            rc = TG_ERR_IO;
            goto out;
        }
    }
    if (fflush(out) != 0 || ferror(out)) {
        rc = TG_ERR_IO;
        goto out;
    }
out:
    qr_release(qr);
    return rc;
}

/*
 * The libpng calls proper.  Kept apart from write_png so that nothing this
 * function's caller frees is assigned between setjmp and a possible longjmp;
 * on a libpng error (including a failed fwrite) it returns TG_ERR_IO.
 */
static tg_status write_png_rows(png_structp png, png_infop info, png_bytep row, FILE *fp, const QRcode *qr)
{
    tg_status rc = TG_OK;
    int side = qr_side(qr);
    png_uint_32 pixels = (png_uint_32)side * QR_PNG_SCALE;

    if (setjmp(png_jmpbuf(png))) {
        rc = TG_ERR_IO;
        goto out;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, pixels, pixels, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++)
            memset(row + (size_t)x * QR_PNG_SCALE, qr_dark(qr, x, y) ? 0x00 : 0xff, QR_PNG_SCALE);
        for (int i = 0; i < QR_PNG_SCALE; i++)
            png_write_row(png, row);
    }
    png_write_end(png, info);
out:
    return rc;
}

/* Writes qr to fp as an 8-bit grayscale PNG, QR_PNG_SCALE pixels a module. */
static tg_status write_png(FILE *fp, const QRcode *qr)
{
    tg_status rc = TG_OK;
    png_structp png = NULL;
    png_infop info = NULL;
    png_bytep row = NULL;
    size_t row_len = (size_t)qr_side(qr) * QR_PNG_SCALE;

    row = malloc(row_len);
    if (row == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (png == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    info = png_create_info_struct(png);
    if (info == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    rc = write_png_rows(png, info, row, fp, qr);
out:
    png_destroy_write_struct(&png, &info);
    if (row != NULL)
        explicit_bzero(row, row_len);
    free(row);
    return rc;
}

/* Writes qr to fp as an SVG whose user units are modules: a white square and
 * one path made of a rectangle per horizontal run of dark modules. */
static tg_status write_svg(FILE *fp, const QRcode *qr)
{
    tg_status rc = TG_OK;
    int side = qr_side(qr);

    fprintf(fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
            "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
            "<path fill=\"#000000\" d=\"",
            side * QR_PNG_SCALE, side * QR_PNG_SCALE, side, side, side, side);
    for (int y = 0; y < side; y++) {
        int x = 0;

        while (x < side) {
            int run_start;

            if (!qr_dark(qr, x, y)) {
                x++;
                continue;
            }
            run_start = x;
            while (x < side && qr_dark(qr, x, y))
                x++;
            fprintf(fp, "M%d %dh%dv1h-%dz", run_start, y, x - run_start, x - run_start);
        }
    }
    fputs("\"/>\n</svg>\n", fp);
    if (ferror(fp)) {
        rc = TG_ERR_IO;
        goto out;
    }
out:
    return rc;
}

/* The output format named by path's extension, compared case-insensitively;
 * TG_ERR_INVALID_ARG when it is neither ".png" nor ".svg" or when the file
 * name is nothing but the extension. */
static tg_status format_of(qr_format *format, const char *path)
{
    tg_status rc = TG_OK;
    const char *slash = strrchr(path, '/');
    const char *name = slash != NULL ? slash + 1 : path;
    const char *dot = strrchr(name, '.');

    if (dot == NULL || dot == name) {
        rc = TG_ERR_INVALID_ARG;
        goto out;
    }
    if (strcasecmp(dot, ".png") == 0) {
        *format = QR_FORMAT_PNG;
    } else if (strcasecmp(dot, ".svg") == 0) {
        *format = QR_FORMAT_SVG;
    } else {
        rc = TG_ERR_INVALID_ARG;
        goto out;
    }
out:
    return rc;
}

/* fsyncs the directory holding path so that a completed rename survives a
 * crash.  File systems that cannot fsync a directory (EINVAL) are accepted. */
static tg_status sync_parent_dir(const char *path)
{
    tg_status rc = TG_OK;
    char *dir = NULL;
    char *slash;
    int fd = -1;

    dir = strdup(path);
    if (dir == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    slash = strrchr(dir, '/');
    if (slash == NULL) {
        free(dir);
        dir = strdup(".");
        if (dir == NULL) {
            rc = TG_ERR_NOMEM;
            goto out;
        }
    } else if (slash == dir) {
        dir[1] = '\0'; /* the root directory */
    } else {
        *slash = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        rc = TG_ERR_IO;
        goto out;
    }
    if (fsync(fd) != 0 && errno != EINVAL) {
        rc = TG_ERR_IO;
        goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

tg_status qr_write_file(const char *path, const char *text)
{
    tg_status rc = TG_OK;
    QRcode *qr = NULL;
    qr_format format = QR_FORMAT_PNG;
    char *tmp_path = NULL;
    size_t path_len;
    int fd = -1;
    FILE *fp = NULL;
    bool tmp_exists = false;

    if (path == NULL || path[0] == '\0' || text == NULL || text[0] == '\0') {
        rc = TG_ERR_INVALID_ARG;
        goto out;
    }
    rc = format_of(&format, path);
    if (rc != TG_OK)
        goto out;
    rc = qr_encode(&qr, text);
    if (rc != TG_OK)
        goto out;

    path_len = strlen(path);
    tmp_path = malloc(path_len + sizeof QR_TMP_SUFFIX);
    if (tmp_path == NULL) {
        rc = TG_ERR_NOMEM;
        goto out;
    }
    memcpy(tmp_path, path, path_len);
    memcpy(tmp_path + path_len, QR_TMP_SUFFIX, sizeof QR_TMP_SUFFIX);

    fd = mkostemp(tmp_path, O_CLOEXEC);
    if (fd < 0) {
        rc = TG_ERR_IO;
        goto out;
    }
    tmp_exists = true;
    fp = fdopen(fd, "wb");
    if (fp == NULL) {
        rc = TG_ERR_IO;
        goto out;
    }
    fd = -1; /* owned by fp now */

    rc = format == QR_FORMAT_PNG ? write_png(fp, qr) : write_svg(fp, qr);
    if (rc != TG_OK)
        goto out;
    if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0) {
        rc = TG_ERR_IO;
        goto out;
    }
    if (fclose(fp) != 0) {
        fp = NULL; /* fclose released it even though it failed */
        rc = TG_ERR_IO;
        goto out;
    }
    fp = NULL;
    if (rename(tmp_path, path) != 0) {
        rc = TG_ERR_IO;
        goto out;
    }
    tmp_exists = false;
    rc = sync_parent_dir(path);
out:
    if (fp != NULL)
        fclose(fp);
    else if (fd >= 0)
        close(fd);
    if (tmp_exists)
        unlink(tmp_path);
    free(tmp_path);
    qr_release(qr);
    return rc;
}
