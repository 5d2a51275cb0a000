/*
 * cmd_keys.c - `totpgate keys ...`: the token-signing key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

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
    if (cli_open_data(data_dir, &v, &s) != 0)
        return 1;
    if ((rc = keyring_load(&kr, s, &v, 1, clock_now())) != TG_OK) {
        cli_fail("signing key", rc);
        goto out;
    }
    if (jwk) {
        uint8_t x[TG_P256_COORD_LEN], y[TG_P256_COORD_LEN];
        char xs[44], ys[44];
        if ((rc = tg_eckey_public_xy(x, y, keyring_active(&kr)->key)) != TG_OK) {
            cli_fail("signing key", rc);
            goto out;
        }
        base64url_encode(xs, x, sizeof x);
        base64url_encode(ys, y, sizeof y);
        printf("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\",\"alg\":\"ES256\","
               "\"use\":\"sig\"}\n",
               xs, ys, keyring_active(&kr)->kid);
    } else {
        char *pem = NULL;
        if ((rc = tg_eckey_public_pem(&pem, keyring_active(&kr)->key)) != TG_OK) {
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

/* Parses [--data DIR] [--json]; returns 0 or a usage exit status. */
static int data_json_opts(int argc, char **argv, const char **data_dir, int *json, const char *usage)
{
    *data_dir = cli_default_data_dir();
    *json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            *json = 1;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            *data_dir = argv[++i];
        else if (strncmp(argv[i], "--data=", 7) == 0)
            *data_dir = argv[i] + 7;
        else
            return cli_usage_error(usage);
    }
    return 0;
}

typedef struct key_list_ctx {
    json_t *arr; /* NULL: print a table */
    int64_t now;
} key_list_ctx;

static tg_status print_key(void *arg, const store_key_info *k)
{
    key_list_ctx *ctx = arg;
    const char *status = k->active ? "active"
                         : (k->last_expires_at > ctx->now || k->retired_at > ctx->now - KEYRING_RETIRE_GRACE)
                             ? "retired (verifying)"
                             : "retired";
    char created[32], last[32];
    time_t t;
    struct tm tm;

    if (ctx->arr != NULL) {
        json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I}", "kid", k->kid, "status", status, "created_at",
                              (json_int_t)k->created_at, "retired_at", (json_int_t)k->retired_at,
                              "last_token_expires_at", (json_int_t)k->last_expires_at);
        return json_array_append_new(ctx->arr, o) == 0 ? TG_OK : TG_ERR_NOMEM;
    }
    t = (time_t)k->created_at;
    gmtime_r(&t, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (k->last_expires_at > 0) {
        t = (time_t)k->last_expires_at;
        gmtime_r(&t, &tm);
        strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%SZ", &tm);
    } else {
        snprintf(last, sizeof last, "-");
    }
    printf("%-44s %-20s %-21s %s\n", k->kid, status, created, last);
    return TG_OK;
}

static int keys_list(int argc, char **argv)
{
    const char *data_dir;
    int json, ret;
    store *s = NULL;
    key_list_ctx ctx = {NULL, clock_now()};
    tg_status rc;

    if ((ret = data_json_opts(argc, argv, &data_dir, &json, "keys list takes [--json] [--data DIR]")) != 0)
        return ret;
    if ((rc = store_open(&s, data_dir)) != TG_OK)
        return cli_fail("store", rc);
    if (json)
        ctx.arr = json_array();
    else
        printf("%-44s %-20s %-21s %s\n", "KID", "STATUS", "CREATED", "LAST TOKEN EXPIRES");
    rc = s->ops->signing_key_list(s, print_key, &ctx);
    if (rc == TG_OK && json) {
        json_dumpf(ctx.arr, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    }
    json_decref(ctx.arr);
    store_close(s);
    return rc == TG_OK ? 0 : cli_fail("keys list", rc);
}

static int keys_rotate(int argc, char **argv)
{
    const char *data_dir;
    char kid[TOKEN_KID_LEN + 1];
    int json, ret = 1;
    vault v;
    store *s = NULL;
    keyring kr;
    tg_status rc;

    if ((ret = data_json_opts(argc, argv, &data_dir, &json, "keys rotate takes [--data DIR]")) != 0)
        return ret;
    ret = 1;
    memset(&kr, 0, sizeof kr);
    if (cli_open_data(data_dir, &v, &s) != 0)
        return 1;
    /* a first key must exist to be retired; then the new one takes over */
    if ((rc = keyring_load(&kr, s, &v, 1, clock_now())) != TG_OK || (rc = keyring_rotate(kid, s, &v, clock_now())) != TG_OK) {
        cli_fail("keys rotate", rc);
        goto out;
    }
    printf("new active key: %s\nthe previous key %s keeps verifying its tokens until they expire\n", kid,
           keyring_active(&kr)->kid);
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
    if (strcmp(sub, "list") == 0)
        return keys_list(argc - 1, argv + 1);
    if (strcmp(sub, "rotate") == 0)
        return keys_rotate(argc - 1, argv + 1);
    return cli_usage_error("keys takes list, rotate or public");
}
