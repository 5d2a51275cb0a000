/*
 * unit.h - the smallest test harness that can fail.
 *
 * Each tests/unit/test_NAME.c defines void test_NAME(void) and lists it in
 * tests/unit/main.c.  CHECK counts a pass or prints where it failed.
 */
#ifndef TG_UNIT_H
#define TG_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_passed, unit_failed;

/* 1 when got[0..len) written in lower-case hex is exactly hex. */
int unit_hex_eq(const unsigned char *got, size_t len, const char *hex);

/* Removes the files of a test's scratch directory, then the directory (a
 * check: it must be empty by then). */
void unit_remove_dir(const char *dir);

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (cond) {                                                                                          \
            unit_passed++;                                                                                   \
        } else {                                                                                             \
            unit_failed++;                                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
        }                                                                                                    \
    } while (0)

#define CHECK_STR(got, want)                                                                                 \
    do {                                                                                                     \
        const char *got_ = (got), *want_ = (want);                                                           \
        if (got_ != NULL && strcmp(got_, want_) == 0) {                                                      \
            unit_passed++;                                                                                   \
        } else {                                                                                             \
            unit_failed++;                                                                                   \
            fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got,                \
                    got_ ? got_ : "(null)", want_);                                                          \
        }                                                                                                    \
    } while (0)

#endif
