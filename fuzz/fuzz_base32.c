/* fuzz_base32.c - libFuzzer target: base32 decoding, and encode/decode round trips. */
#include <stdint.h>
#include <string.h>

#include "base32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[256], again[256];
    char text[512];
    size_t len = 0, len2 = 0;

    if (size > 300)
        return 0;
    if (base32_decode(out, sizeof out, &len, (const char *)data, size) == TG_OK) {
        /* whatever decodes must re-encode to something that decodes the same */
        base32_encode(text, out, len, 0);
        if (base32_decode(again, sizeof again, &len2, text, strlen(text)) != TG_OK || len2 != len ||
            memcmp(out, again, len) != 0)
            __builtin_trap();
    }
    if (size <= 200) {
        base32_encode(text, data, size, 1);
        if (base32_decode(out, sizeof out, &len, text, strlen(text)) != TG_OK || len != size ||
            memcmp(out, data, size) != 0)
            __builtin_trap();
    }
    return 0;
}
