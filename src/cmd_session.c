/*
 * cmd_session.c - `totpgate session ...`: list and revoke sessions.
 *
 * A revocation is committed before the command returns; running servers of
 * the same store pick it up within a second (watcher.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "clock.h"
#include "store.h"

typedef struct session_opts {
    const char *data_dir;
    const char *merchant_id;
    int active_only;
    int json;
    int first_arg;
} session_opts;

/*
 * Options are long-only and parsed by hand: a jti is base64url and may
 * begin with '-' ("-dQmx..."), which getopt would take for an option.
 * Anything that is not one of the options below is a positional argument;
 * "--" ends the options.  Positional arguments are moved to the end of argv,
 * from o->first_arg on.
 */
static int parse_opts(session_opts *o, int argc, char **argv)
{
    char *positional[8];
    int npos = 0, only_positional = 0;

    memset(o, 0, sizeof *o);
    o->data_dir = cli_default_data_dir();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_positional && strcmp(a, "--") == 0) {
            only_positional = 1;
        } else if (!only_positional && (strcmp(a, "--data") == 0 || strcmp(a, "--merchant") == 0)) {
            if (i + 1 >= argc)
                return cli_usage_error("session: option needs a value");
            if (a[2] == 'd')
                o->data_dir = argv[++i];
            else
                o->merchant_id = argv[++i];
        } else if (!only_positional && strncmp(a, "--data=", 7) == 0) {
            o->data_dir = a + 7;
        } else if (!only_positional && strncmp(a, "--merchant=", 11) == 0) {
            o->merchant_id = a + 11;
        } else if (!only_positional && strcmp(a, "--active") == 0) {
            o->active_only = 1;
        } else if (!only_positional && strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (!only_positional && strncmp(a, "--", 2) == 0) {
            return cli_usage_error("session: unknown option");
        } else {
            if (npos == (int)(sizeof positional / sizeof positional[0]))
                return cli_usage_error("session: too many arguments");
            positional[npos++] = argv[i];
        }
    }
    o->first_arg = argc - npos;
    for (int k = 0; k < npos; k++)
        argv[o->first_arg + k] = positional[k];
    return 0;
}

static void format_time(char *out, size_t cap, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t == 0) {
        snprintf(out, cap, "-");
        return;
    }
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct list_ctx {
    json_t *arr;
    int64_t now;
} list_ctx;

static tg_status print_session(void *arg, const store_session *s)
{
    list_ctx *ctx = arg;
    const char *state = s->revoked_at != 0 ? "revoked" : s->expires_at <= ctx->now ? "expired" : "active";
    char issued[32], expires[32];

    if (ctx->arr != NULL) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s}", "jti", s->jti, "merchant_id", s->merchant_id,
                              "state", state, "kid", s->kid, "issued_at", (json_int_t)s->issued_at, "expires_at",
                              (json_int_t)s->expires_at, "client_addr", s->client_addr, "user_agent", s->user_agent);
        if (s->revoked_at != 0)
            json_object_set_new(o, "revoked_at", json_integer((json_int_t)s->revoked_at));
        return json_array_append_new(ctx->arr, o) == 0 ? TG_OK : TG_ERR_NOMEM;
    }
    format_time(issued, sizeof issued, s->issued_at);
    format_time(expires, sizeof expires, s->expires_at);
    printf("%-24s %-20s %-8s %-21s %-21s %s\n", s->jti, s->merchant_id, state, issued, expires, s->client_addr);
    return TG_OK;
}

static int session_list(int argc, char **argv)
{
    session_opts o;
    store *s = NULL;
    list_ctx ctx = {NULL, clock_now()};
    int ret;
    tg_status rc;

    if ((ret = parse_opts(&o, argc, argv)) != 0)
        return ret;
    if (o.first_arg != argc)
        return cli_usage_error("session list takes [--merchant ID] [--active] [--json]");
    if (cli_open_data(o.data_dir, NULL, &s) != 0)
        return 1;
    if (o.json)
        ctx.arr = json_array();
    else
        printf("%-24s %-20s %-8s %-21s %-21s %s\n", "JTI", "MERCHANT", "STATE", "ISSUED", "EXPIRES", "CLIENT");
    rc = s->ops->session_list(s, o.merchant_id, o.active_only, ctx.now, print_session, &ctx);
    if (rc == TG_OK && o.json) {
        json_dumpf(ctx.arr, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    }
    json_decref(ctx.arr);
    store_close(s);
    return rc == TG_OK ? 0 : cli_fail("session list", rc);
}

static int session_revoke(int argc, char **argv)
{
    session_opts o;
    store *s = NULL;
    size_t count = 0;
    int ret;
    tg_status rc;

    if ((ret = parse_opts(&o, argc, argv)) != 0)
        return ret;
    if ((o.merchant_id == NULL) == (o.first_arg + 1 != argc) || o.first_arg + 1 < argc)
        return cli_usage_error("session revoke takes a JTI, or --merchant ID");
    if (cli_open_data(o.data_dir, NULL, &s) != 0)
        return 1;
    if (o.merchant_id != NULL) {
        rc = s->ops->session_revoke_merchant(s, o.merchant_id, clock_now(), &count);
        if (rc == TG_OK)
            printf("revoked %zu live sessions of merchant %s\n", count, o.merchant_id);
    } else {
        rc = s->ops->session_revoke(s, argv[o.first_arg], clock_now());
        if (rc == TG_OK)
            printf("session %s revoked\n", argv[o.first_arg]);
    }
    store_close(s);
    return rc == TG_OK ? 0 : cli_fail(o.merchant_id ? o.merchant_id : argv[o.first_arg], rc);
}

int cmd_session(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";

    if (strcmp(sub, "list") == 0)
        return session_list(argc - 1, argv + 1);
    if (strcmp(sub, "revoke") == 0)
        return session_revoke(argc - 1, argv + 1);
    return cli_usage_error("session takes list or revoke");
}
