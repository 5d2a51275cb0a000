/*
 * cmd_keys.c - `totpgate keys ...`: the token-signing key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "cli.h"
#include "clock.h"
#include "keyring.h"

static int keys_public(int argc, char **argv)
{
    const char *data_dir = cli_default_data_dir();
    int jwk = 0, ret = 1;
    vault v;
    store *s = NULL;
    keyring kr;
    tg_status rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--jwk") == 0)
            jwk = 1;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data_dir = argv[++i];
        else if (strncmp(argv[i], "--data=", 7) == 0)
            data_dir = argv[i] + 7;
        else
            return cli_usage_error("keys public takes [--jwk] [--data DIR]");
    }
    memset(&kr, 0, sizeof kr);
    if ((rc = data_dir_ensure(data_dir)) != TG_OK)
        return cli_fail(data_dir, rc);
    if ((rc = vault_open(&v, data_dir)) != TG_OK)
        return cli_fail("master key", rc);
    if ((rc = store_open(&s, data_dir)) != TG_OK) {
        cli_fail("store", rc);
        goto out;
    }
    if ((rc = keyring_load(&kr, s, &v, 1, clock_now())) != TG_OK) {
        cli_fail("signing key", rc);
        goto out;
    }
    if (jwk) {
        uint8_t x[TG_P256_COORD_LEN], y[TG_P256_COORD_LEN];
        char xs[44], ys[44];
        if ((rc = tg_eckey_public_xy(x, y, kr.key)) != TG_OK) {
            cli_fail("signing key", rc);
            goto out;
        }
        base64url_encode(xs, x, sizeof x);
        base64url_encode(ys, y, sizeof y);
        printf("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\",\"alg\":\"ES256\","
               "\"use\":\"sig\"}\n",
               xs, ys, kr.active.kid);
    } else {
        char *pem = NULL;
        if ((rc = tg_eckey_public_pem(&pem, kr.key)) != TG_OK) {
            cli_fail("signing key", rc);
            goto out;
        }
        fputs(pem, stdout);
        free(pem);
    }
    ret = 0;
out:
    keyring_release(&kr);
    store_close(s);
    vault_close(&v);
    return ret;
}

int cmd_keys(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";

    if (strcmp(sub, "public") == 0)
        return keys_public(argc - 1, argv + 1);
    return cli_usage_error("keys takes public");
}
