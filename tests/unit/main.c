/* main.c - runs every unit test group and prints "N passed, N failed". */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "unit.h"

int unit_passed, unit_failed;

int unit_hex_eq(const unsigned char *got, size_t len, const char *hex)
{
    static const char digits[] = "0123456789abcdef";

    if (strlen(hex) != 2 * len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (hex[2 * i] != digits[got[i] >> 4] || hex[2 * i + 1] != digits[got[i] & 15])
            return 0;
    }
    return 1;
}

void unit_remove_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX + 300];

    if (dp == NULL)
        return;
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(dp);
    CHECK(rmdir(dir) == 0);
}


#define UNIT_GROUPS(X)                                                                                       \
    X(status) X(base32) X(base64url) X(totp) X(crypto) X(crypto_reuse) X(token) X(login) X(merchant) X(store)    \
        X(writer) X(revset) X(tokcache) X(mcache) X(expiry) X(log) X(lockout) X(throttle) X(netaddr)

#define DECLARE(name) void test_##name(void);
UNIT_GROUPS(DECLARE)

int main(void)
{
#define RUN(name)                                                                                            \
    do {                                                                                                     \
        int before_ = unit_failed;                                                                           \
        test_##name();                                                                                       \
        fprintf(stderr, "%-12s %s\n", #name, unit_failed == before_ ? "ok" : "FAILED");                      \
    } while (0);
    UNIT_GROUPS(RUN)
    printf("%d passed, %d failed\n", unit_passed, unit_failed);
    return unit_failed == 0 ? 0 : 1;
}
