/* fuzz_login.c - libFuzzer target: the login request body parser and validator. */
#include <stdint.h>
#include <string.h>

#include "login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    login_request lr;
    char msg[LOGIN_MESSAGE_MAX];

    if (login_parse(&lr, (const char *)data, size, msg, sizeof msg) == TG_OK) {
        /* what is accepted is exactly a key and 6 or 8 ASCII digits */
        if (lr.totp_len != 6 && lr.totp_len != 8)
            __builtin_trap();
        for (size_t i = 0; i < lr.totp_len; i++)
            if (lr.totp[i] < '0' || lr.totp[i] > '9')
                __builtin_trap();
        if (lr.api_key_len == 0 || lr.api_key_len != strlen(lr.api_key))
            __builtin_trap();
    } else if (memchr(msg, '\0', sizeof msg) == NULL) {
        __builtin_trap(); /* the message must always be terminated */
    }
    return 0;
}
