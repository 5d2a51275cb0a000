/* fuzz_login.c - libFuzzer target: the login request body parser and validator, both of its roads. */
#include <stdint.h>
#include <string.h>

#include "login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    login_request lr;
    char msg[LOGIN_MESSAGE_MAX];

    login_request slow;
    char slow_msg[LOGIN_MESSAGE_MAX];
    tg_status rc = login_parse(&lr, (const char *)data, size, msg, sizeof msg);

    /* the shorter road for plain bodies must agree with jansson on every input */
    if (login_parse_json(&slow, (const char *)data, size, slow_msg, sizeof slow_msg) != rc)
        __builtin_trap();
    if (rc == TG_OK && (lr.api_key_len != slow.api_key_len || lr.totp_len != slow.totp_len ||
                        memcmp(lr.api_key, slow.api_key, sizeof lr.api_key) != 0 ||
                        memcmp(lr.totp, slow.totp, sizeof lr.totp) != 0))
        __builtin_trap();
    if (rc != TG_OK && strncmp(msg, slow_msg, sizeof msg) != 0)
        __builtin_trap();
    if (rc == TG_OK) {
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
