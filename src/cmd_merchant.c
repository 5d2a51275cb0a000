/*
 * cmd_merchant.c - `totpgate merchant ...`: onboarding and administration.
 *
 * The API key exists in clear only in the output of `merchant add`; the
 * TOTP secret only in the output of `add` and `rotate-secret`.  Both are
 * wiped from memory before the command returns.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base32.h"
#include "cli.h"
#include "clock.h"
#include "merchant.h"
#include "qr.h"
#include "store.h"
#include "vault.h"

#define DEFAULT_ISSUER "totpgate"

typedef struct merchant_opts {
    const char *data_dir;
    const char *name;
    const char *issuer;
    const char *qr_file;
    int json;
    int have_alg, have_digits, have_period; /* which of --algorithm, --digits, --period were given */
    totp_params totp;
} merchant_opts;

/* What `add` and `rotate-secret` print: everything a merchant needs. */
typedef struct credentials {
    char api_key[API_KEY_LEN + 1]; /* empty for rotate-secret */
    char secret_b32[MERCHANT_SECRET_B32_MAX + 1];
    char uri[OTPAUTH_URI_MAX];
} credentials;

static int parse_opts(merchant_opts *o, int argc, char **argv, int *first_arg)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},      {"name", required_argument, NULL, 'n'},
        {"issuer", required_argument, NULL, 'i'},    {"qr", required_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},            {"algorithm", required_argument, NULL, 'a'},
        {"digits", required_argument, NULL, 'D'},    {"period", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof *o);
    o->data_dir = cli_default_data_dir();
    o->issuer = DEFAULT_ISSUER;
    o->totp = (totp_params){TG_HASH_SHA1, 6, 30};
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->data_dir = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'i':
            o->issuer = optarg;
            break;
        case 'q':
            o->qr_file = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'a':
            if (merchant_parse_alg(optarg, &o->totp.alg) != 0)
                return cli_usage_error("--algorithm takes SHA1, SHA256 or SHA512");
            o->have_alg = 1;
            break;
        case 'D':
            if (cli_parse_uint(optarg, 6, 8, &o->totp.digits) != 0 || o->totp.digits == 7)
                return cli_usage_error("--digits takes 6 or 8");
            o->have_digits = 1;
            break;
        case 'p':
            if (cli_parse_uint(optarg, 1, 3600, &o->totp.period) != 0)
                return cli_usage_error("--period takes 1 to 3600 seconds");
            o->have_period = 1;
            break;
        default:
            return cli_usage_error("merchant: unknown option");
        }
    }
    *first_arg = optind;
    return 0;
}

static void print_credentials(const merchant *m, const credentials *cr, const merchant_opts *o)
{
    if (o->json) {
        json_t *obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "merchant_id", m->id, "name", m->name,
                                "secret", cr->secret_b32, "otpauth_uri", cr->uri, "issuer", m->issuer, "algorithm",
                                merchant_alg_name(m->totp.alg), "digits", (int)m->totp.digits, "period",
                                (int)m->totp.period);
        if (cr->api_key[0] != '\0')
            json_object_set_new(obj, "api_key", json_string(cr->api_key));
        json_dumpf(obj, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(obj);
        return;
    }
    printf("merchant id:  %s\n", m->id);
    printf("name:         %s\n", m->name);
    if (cr->api_key[0] != '\0')
        printf("API key:      %s\n              (shown once: store it now; totpgate keeps only its hash)\n",
               cr->api_key);
    printf("TOTP secret:  %s  (%s, %u digits, %u s)\n", cr->secret_b32, merchant_alg_name(m->totp.alg),
           m->totp.digits, m->totp.period);
    printf("otpauth URI:  %s\n\n", cr->uri);
    printf("Scan with an authenticator app:\n");
    if (qr_print_terminal(stdout, cr->uri) != TG_OK)
        printf("(the QR code could not be drawn)\n");
    if (o->qr_file != NULL)
        printf("QR code written to %s\n", o->qr_file);
    if (cr->api_key[0] != '\0')
        printf("\nGet a session token (put the current code from the app in TOTP):\n"
               "  curl -s http://127.0.0.1:8080/api/v1/session/totp/generate \\\n"
               "    -H 'Content-Type: application/json' \\\n"
               "    --data '{\"API_KEY\": \"%s\", \"TOTP\": \"<code>\"}'\n",
               cr->api_key);
}

/* A fresh secret for m: sealed into m, and given to cr as base32 and URI. */
static tg_status new_secret(merchant *m, credentials *cr, const vault *v)
{
    uint8_t secret[MERCHANT_SECRET_LEN];
    tg_status rc;

    if ((rc = tg_random_bytes(secret, sizeof secret)) != TG_OK || (rc = merchant_seal_secret(m, v, secret, sizeof secret)) != TG_OK)
        goto out;
    base32_encode(cr->secret_b32, secret, sizeof secret, 0);
    rc = merchant_otpauth_uri(cr->uri, sizeof cr->uri, m, cr->secret_b32);
out:
    tg_cleanse(secret, sizeof secret);
    return rc;
}

static int merchant_add(int argc, char **argv)
{
    merchant_opts o;
    merchant m;
    credentials cr;
    vault v;
    store *s = NULL;
    int first, ret = 1, tries = 0;
    tg_status rc;

    if ((ret = parse_opts(&o, argc, argv, &first)) != 0)
        return ret;
    if (first != argc)
        return cli_usage_error("merchant add takes no positional arguments (use --name NAME)");
    if (o.name == NULL)
        return cli_usage_error("merchant add needs --name NAME");
    if (merchant_check_label(o.name, MERCHANT_NAME_MAX) != TG_OK)
        return cli_usage_error("--name must be 1-100 bytes of UTF-8 without ':' or control characters");
    if (merchant_check_label(o.issuer, MERCHANT_ISSUER_MAX) != TG_OK)
        return cli_usage_error("--issuer must be 1-100 bytes of UTF-8 without ':' or control characters");
    if ((ret = cli_open_data(o.data_dir, &v, &s)) != 0)
        return ret;
    ret = 1;
    memset(&m, 0, sizeof m);
    memset(&cr, 0, sizeof cr);
    snprintf(m.name, sizeof m.name, "%s", o.name);
    snprintf(m.issuer, sizeof m.issuer, "%s", o.issuer);
    m.totp = o.totp;
    m.enabled = 1;
    m.last_step = -1;
    m.created_at = clock_now();
    if ((rc = merchant_new_api_key(cr.api_key)) != TG_OK)
        goto fail;
    merchant_hash_api_key(m.api_key_hash, cr.api_key, strlen(cr.api_key));
    do {
        /* the id is the secret's associated data, so it is chosen first */
        if ((rc = merchant_new_id(m.id)) != TG_OK || (rc = new_secret(&m, &cr, &v)) != TG_OK)
            goto fail;
        if (o.qr_file != NULL && (rc = qr_write_file(o.qr_file, cr.uri)) != TG_OK) {
            cli_fail(o.qr_file, rc);
            goto out;
        }
        rc = s->ops->merchant_insert(s, &m);
    } while (rc == TG_ERR_CONFLICT && ++tries < 3);
    if (rc != TG_OK)
        goto fail;
    print_credentials(&m, &cr, &o);
    ret = 0;
    goto out;
fail:
    if (o.qr_file != NULL)
        remove(o.qr_file);
    cli_fail("merchant add", rc);
out:
    tg_cleanse(&cr, sizeof cr);
    tg_cleanse(&m, sizeof m);
    vault_close(&v);
    store_close(s);
    return ret;
}

static json_t *merchant_json(const merchant *m)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:I,s:I,s:I,s:I,s:b}", "merchant_id", m->id, "name", m->name,
                     "issuer", m->issuer, "algorithm", merchant_alg_name(m->totp.alg), "digits", (int)m->totp.digits,
                     "period", (int)m->totp.period, "status", m->enabled ? "enabled" : "disabled", "last_step",
                     (json_int_t)m->last_step, "created_at", (json_int_t)m->created_at, "failed_attempts",
                     (json_int_t)m->failed_attempts, "locked_until", (json_int_t)m->locked_until, "locked_forever",
                     m->locked_forever);
}

static void format_time(char *out, size_t cap, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static tg_status list_one(void *ctx, const merchant *m)
{
    json_t *arr = ctx;
    char created[32];

    if (arr != NULL)
        return json_array_append_new(arr, merchant_json(m)) == 0 ? TG_OK : TG_ERR_NOMEM;
    format_time(created, sizeof created, m->created_at);
    printf("%-20s %-8s %-6s %-6u %-6u %-20s %s\n", m->id, m->enabled ? "enabled" : "disabled",
           merchant_alg_name(m->totp.alg), m->totp.digits, m->totp.period, created, m->name);
    return TG_OK;
}

static int merchant_list(int argc, char **argv)
{
    merchant_opts o;
    store *s = NULL;
    json_t *arr = NULL;
    int first, ret;
    tg_status rc;

    if ((ret = parse_opts(&o, argc, argv, &first)) != 0)
        return ret;
    if (first != argc)
        return cli_usage_error("merchant list takes no positional arguments");
    if ((ret = cli_open_data(o.data_dir, NULL, &s)) != 0)
        return ret;
    if (o.json)
        arr = json_array();
    else
        printf("%-20s %-8s %-6s %-6s %-6s %-20s %s\n", "ID", "STATUS", "ALG", "DIGITS", "PERIOD", "CREATED", "NAME");
    rc = s->ops->merchant_list(s, list_one, arr);
    if (rc == TG_OK && arr != NULL) {
        json_dumpf(arr, stdout, JSON_COMPACT);
        fputc('\n', stdout);
    }
    json_decref(arr);
    store_close(s);
    return rc == TG_OK ? 0 : cli_fail("merchant list", rc);
}

/* Parses options plus exactly one ID argument. */
static int opts_with_id(merchant_opts *o, const char **id, int argc, char **argv, const char *cmd)
{
    int first, ret;
    char msg[96];

    if ((ret = parse_opts(o, argc, argv, &first)) != 0)
        return ret;
    if (first + 1 != argc) {
        snprintf(msg, sizeof msg, "merchant %s takes exactly one merchant ID", cmd);
        return cli_usage_error(msg);
    }
    *id = argv[first];
    return 0;
}

static int merchant_show(int argc, char **argv)
{
    merchant_opts o;
    merchant m;
    store *s = NULL;
    const char *id;
    char created[32];
    int ret;
    tg_status rc;

    if ((ret = opts_with_id(&o, &id, argc, argv, "show")) != 0 || (ret = cli_open_data(o.data_dir, NULL, &s)) != 0)
        return ret;
    rc = s->ops->merchant_get(s, id, &m);
    store_close(s);
    if (rc != TG_OK)
        return cli_fail(id, rc);
    if (o.json) {
        json_t *obj = merchant_json(&m);
        json_dumpf(obj, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(obj);
    } else {
        format_time(created, sizeof created, m.created_at);
        char locked[40];
        if (m.locked_forever)
            snprintf(locked, sizeof locked, "until `merchant unlock`");
        else if (m.locked_until > clock_now())
            format_time(locked, sizeof locked, m.locked_until);
        else
            snprintf(locked, sizeof locked, "no");
        printf("merchant id:  %s\nname:         %s\nissuer:       %s\nstatus:       %s\n"
               "totp:         %s, %u digits, %u s\nlast step:    %lld\nfailures:     %u\nlocked:       %s\n"
               "created:      %s\n",
               m.id, m.name, m.issuer, m.enabled ? "enabled" : "disabled", merchant_alg_name(m.totp.alg),
               m.totp.digits, m.totp.period, (long long)m.last_step, m.failed_attempts, locked, created);
    }
    tg_cleanse(&m, sizeof m);
    return 0;
}

static int merchant_set_enabled(int argc, char **argv, int enabled)
{
    merchant_opts o;
    store *s = NULL;
    const char *id;
    int ret;
    tg_status rc;

    if ((ret = opts_with_id(&o, &id, argc, argv, enabled ? "enable" : "disable")) != 0 ||
        (ret = cli_open_data(o.data_dir, NULL, &s)) != 0)
        return ret;
    rc = s->ops->merchant_set_enabled(s, id, enabled, clock_now());
    store_close(s);
    if (rc != TG_OK)
        return cli_fail(id, rc);
    printf("merchant %s %s%s\n", id, enabled ? "enabled" : "disabled", enabled ? "" : "; its live sessions are revoked");
    return 0;
}

static int merchant_unlock(int argc, char **argv)
{
    merchant_opts o;
    store *s = NULL;
    const char *id;
    int ret;
    tg_status rc;

    if ((ret = opts_with_id(&o, &id, argc, argv, "unlock")) != 0 || (ret = cli_open_data(o.data_dir, NULL, &s)) != 0)
        return ret;
    rc = s->ops->merchant_unlock(s, id);
    store_close(s);
    if (rc != TG_OK)
        return cli_fail(id, rc);
    printf("merchant %s unlocked; its failure count is 0\n", id);
    return 0;
}

static int merchant_rotate_secret(int argc, char **argv)
{
    merchant_opts o;
    merchant m;
    credentials cr;
    vault v;
    store *s = NULL;
    const char *id;
    int ret;
    tg_status rc;

    if ((ret = opts_with_id(&o, &id, argc, argv, "rotate-secret")) != 0 ||
        (ret = cli_open_data(o.data_dir, &v, &s)) != 0)
        return ret;
    ret = 1;
    memset(&cr, 0, sizeof cr);
    if ((rc = s->ops->merchant_get(s, id, &m)) != TG_OK) {
        cli_fail(id, rc);
        goto out;
    }
    if (o.have_alg)
        m.totp.alg = o.totp.alg;
    if (o.have_digits)
        m.totp.digits = o.totp.digits;
    if (o.have_period)
        m.totp.period = o.totp.period;
    if ((rc = new_secret(&m, &cr, &v)) != TG_OK) {
        cli_fail("merchant rotate-secret", rc);
        goto out;
    }
    if (o.qr_file != NULL && (rc = qr_write_file(o.qr_file, cr.uri)) != TG_OK) {
        cli_fail(o.qr_file, rc);
        goto out;
    }
    if ((rc = s->ops->merchant_set_secret(s, &m, clock_now())) != TG_OK) {
        if (o.qr_file != NULL)
            remove(o.qr_file);
        cli_fail("merchant rotate-secret", rc);
        goto out;
    }
    print_credentials(&m, &cr, &o);
    ret = 0;
out:
    tg_cleanse(&cr, sizeof cr);
    tg_cleanse(&m, sizeof m);
    vault_close(&v);
    store_close(s);
    return ret;
}

/* ---- import ---- */

typedef struct import_ctx {
    FILE *in;
    const vault *vault;
    const char *issuer;
    int64_t now;
    size_t line_no;
    char *line;
    size_t line_cap;
    char error[160];
} import_ctx;

static tg_status import_next(void *arg, merchant *m)
{
    import_ctx *ic = arg;
    merchant_csv_row row;
    ssize_t n;
    tg_status rc;

    for (;;) {
        if ((n = getline(&ic->line, &ic->line_cap, ic->in)) < 0)
            return TG_ERR_NOT_FOUND;
        ic->line_no++;
        while (n > 0 && (ic->line[n - 1] == '\n' || ic->line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        if (ic->line_no == 1 && n >= 5 && strncasecmp(ic->line, "name,", 5) == 0)
            continue; /* header row */
        break;
    }
    rc = merchant_parse_csv_line(&row, ic->line, (size_t)n, ic->error, sizeof ic->error);
    tg_cleanse(ic->line, (size_t)n);
    if (rc != TG_OK)
        return rc;
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", row.name);
    snprintf(m->issuer, sizeof m->issuer, "%s", ic->issuer);
    m->totp = row.totp;
    m->enabled = 1;
    m->last_step = -1;
    m->created_at = ic->now;
    merchant_hash_api_key(m->api_key_hash, row.api_key, strlen(row.api_key));
    if ((rc = merchant_new_id(m->id)) == TG_OK)
        rc = merchant_seal_secret(m, ic->vault, row.secret, row.secret_len);
    if (rc != TG_OK)
        snprintf(ic->error, sizeof ic->error, "%s", tg_status_str(rc));
    tg_cleanse(&row, sizeof row);
    return rc;
}

static int merchant_import(int argc, char **argv)
{
    merchant_opts o;
    import_ctx ic;
    vault v;
    store *s = NULL;
    size_t count = 0;
    struct timespec t0, t1;
    int first, ret;
    tg_status rc;

    if ((ret = parse_opts(&o, argc, argv, &first)) != 0)
        return ret;
    if (first + 1 != argc)
        return cli_usage_error("merchant import takes exactly one CSV file");
    if (merchant_check_label(o.issuer, MERCHANT_ISSUER_MAX) != TG_OK)
        return cli_usage_error("--issuer must be 1-100 bytes of UTF-8 without ':' or control characters");
    memset(&ic, 0, sizeof ic);
    if ((ic.in = fopen(argv[first], "r")) == NULL) {
        fprintf(stderr, "totpgate: %s: cannot open\n", argv[first]);
        return 1;
    }
    if ((ret = cli_open_data(o.data_dir, &v, &s)) != 0) {
        fclose(ic.in);
        return ret;
    }
    ic.vault = &v;
    ic.issuer = o.issuer;
    ic.now = clock_now();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = s->ops->merchant_import(s, import_next, &ic, &count);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == TG_OK) {
        printf("imported %zu merchants in %.2f s\n", count,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        ret = 0;
    } else {
        if (ic.error[0] != '\0')
            fprintf(stderr, "totpgate: %s:%zu: %s; nothing was imported\n", argv[first], ic.line_no, ic.error);
        else if (rc == TG_ERR_CONFLICT)
            fprintf(stderr, "totpgate: %s:%zu: duplicate API key; nothing was imported\n", argv[first], ic.line_no);
        else
            fprintf(stderr, "totpgate: merchant import: %s; nothing was imported\n", tg_status_str(rc));
        ret = 1;
    }
    if (ic.line != NULL) {
        tg_cleanse(ic.line, ic.line_cap);
        free(ic.line);
    }
    fclose(ic.in);
    vault_close(&v);
    store_close(s);
    return ret;
}

int cmd_merchant(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";

    if (strcmp(sub, "add") == 0)
        return merchant_add(argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0)
        return merchant_list(argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0)
        return merchant_show(argc - 1, argv + 1);
    if (strcmp(sub, "disable") == 0)
        return merchant_set_enabled(argc - 1, argv + 1, 0);
    if (strcmp(sub, "enable") == 0)
        return merchant_set_enabled(argc - 1, argv + 1, 1);
    if (strcmp(sub, "unlock") == 0)
        return merchant_unlock(argc - 1, argv + 1);
    if (strcmp(sub, "rotate-secret") == 0)
        return merchant_rotate_secret(argc - 1, argv + 1);
    if (strcmp(sub, "import") == 0)
        return merchant_import(argc - 1, argv + 1);
    return cli_usage_error("merchant takes add, list, show, disable, enable, rotate-secret or import");
}
