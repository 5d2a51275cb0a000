/* fuzz_token.c - libFuzzer target: the JWT parser and verifier.
 * Nothing but a token signed by the fixed key may ever verify. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tg_eckey *key;
static token_key keys[1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (tg_eckey_generate(&key) != TG_OK || token_thumbprint(keys[0].kid, key) != TG_OK)
        abort();
    keys[0].key = key;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    token_claims c;

    /* a fresh key per process: a fuzzer input cannot carry a valid signature */
    if (token_verify(&c, (const char *)data, size, keys, 1, 1700000000, 60, NULL) == TG_OK)
        __builtin_trap();
    return 0;
}
