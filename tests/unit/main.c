/* main.c - runs every unit test group and prints "N passed, N failed". */
#include <stdio.h>

#include "unit.h"

int unit_passed, unit_failed;

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
