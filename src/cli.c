/*
 * cli.c - small helpers for the subcommands; see cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

const char *cli_default_data_dir(void)
{
    const char *env = getenv("TOTPGATE_DATA_DIR");
    return env != NULL && *env != '\0' ? env : CLI_DEFAULT_DATA_DIR;
}

int cli_parse_duration(const char *s, int64_t *seconds)
{
    char *end;
    long long v;
    int64_t unit = 1;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || v <= 0)
        return -1;
    if (*end != '\0') {
        switch (*end) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            return -1;
        }
        if (end[1] != '\0')
            return -1;
    }
    if (v > INT64_MAX / unit / 2)
        return -1;
    *seconds = (int64_t)v * unit;
    return 0;
}

int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int cli_open_data(const char *data_dir, vault *v, store **s)
{
    tg_status rc;

    if ((rc = data_dir_ensure(data_dir)) != TG_OK)
        return cli_fail(data_dir, rc);
    if (v != NULL && (rc = vault_open(v, data_dir)) != TG_OK)
        return cli_fail("master key", rc);
    if ((rc = store_open(s, data_dir)) != TG_OK) {
        vault_close(v);
        return cli_fail("store", rc);
    }
    return 0;
}

int cli_fail(const char *what, tg_status rc)
{
    fprintf(stderr, "totpgate: %s: %s\n", what, tg_status_str(rc));
    return 1;
}

int cli_usage_error(const char *message)
{
    fprintf(stderr, "totpgate: %s\nsee 'totpgate help'\n", message);
    return 2;
}
