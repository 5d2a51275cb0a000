/*
 * cmd_serve.c - `totpgate serve`: options, then server_run().
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "handler_session.h"
#include "server.h"

#define DEFAULT_TOKEN_TTL (8 * 3600)
#define DEFAULT_SESSION_RETENTION (7 * 86400)
/* a NAT or proxy with thousands of merchants behind it logs them all in at market open */
#define DEFAULT_THROTTLE_ATTEMPTS "1000/s"
#define DEFAULT_THROTTLE_FAILURES "120/m"
#define DEFAULT_MAX_CONNECTIONS 10000
#define DEFAULT_REQUEST_TIMEOUT_MS 10000
#define DEFAULT_LOG_REFUSALS 1000

/* Splits "host:port" or "[v6]:port"; 0 on success. */
static int parse_listen(server_config *cfg, const char *s)
{
    const char *colon = strrchr(s, ':');
    size_t host_len;

    if (colon == NULL || cli_parse_uint(colon + 1, 0, 65535, &cfg->port) != 0)
        return -1;
    host_len = (size_t)(colon - s);
    if (host_len >= 2 && s[0] == '[' && s[host_len - 1] == ']') {
        s++;
        host_len -= 2;
    }
    if (host_len == 0 || host_len >= sizeof cfg->listen_host)
        return -1;
    memcpy(cfg->listen_host, s, host_len);
    cfg->listen_host[host_len] = '\0';
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},    {"data", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 't'},   {"skew", required_argument, NULL, 's'},
        {"token-ttl", required_argument, NULL, 'T'}, {"issuer", required_argument, NULL, 'i'},
        {"log-level", required_argument, NULL, 'L'},
        {"session-ends-daily-at", required_argument, NULL, 'E'},
        {"timezone", required_argument, NULL, 'z'},
        {"introspect-token-file", required_argument, NULL, 'I'},
        {"session-retention", required_argument, NULL, 'R'},
        {"lockout-after", required_argument, NULL, 'O'},
        {"throttle-attempts", required_argument, NULL, 'A'},
        {"throttle-failures", required_argument, NULL, 'F'},
        {"trusted-proxy", required_argument, NULL, 'P'},
        {"max-connections", required_argument, NULL, 'C'},
        {"request-timeout", required_argument, NULL, 'Q'},
        {"log-refusals", required_argument, NULL, 'G'},
        {NULL, 0, NULL, 0},
    };
    server_config cfg;
    log_level level;
    const char *zone = NULL;
    unsigned log_cap = DEFAULT_LOG_REFUSALS;
    int c;
    tg_status rc;

    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.listen_host, sizeof cfg.listen_host, "127.0.0.1");
    cfg.port = 8080;
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", cli_default_data_dir());
    cfg.skew = 1;
    cfg.expiry.ttl = DEFAULT_TOKEN_TTL;
    cfg.expiry.daily_cut_minutes = -1;
    cfg.session_retention = DEFAULT_SESSION_RETENTION;
    cfg.lockout = (lockout_policy)LOCKOUT_DEFAULTS;
    throttle_parse_rate(DEFAULT_THROTTLE_ATTEMPTS, &cfg.throttle_attempts);
    throttle_parse_rate(DEFAULT_THROTTLE_FAILURES, &cfg.throttle_failures);
    cfg.max_connections = DEFAULT_MAX_CONNECTIONS;
    cfg.request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
    snprintf(cfg.issuer, sizeof cfg.issuer, "totpgate");

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_listen(&cfg, optarg) != 0)
                return cli_usage_error("--listen takes HOST:PORT, e.g. 127.0.0.1:8080");
            break;
        case 'd':
            if (strlen(optarg) >= sizeof cfg.data_dir)
                return cli_usage_error("--data: path too long");
            snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", optarg);
            break;
        case 't':
            if (cli_parse_uint(optarg, 1, 128, &cfg.threads) != 0)
                return cli_usage_error("--threads takes 1 to 128");
            break;
        case 's':
            if (cli_parse_uint(optarg, 0, 2, &cfg.skew) != 0)
                return cli_usage_error("--skew takes 0, 1 or 2 (time steps either side of now)");
            break;
        case 'T':
            if (cli_parse_duration(optarg, &cfg.expiry.ttl) != 0)
                return cli_usage_error("--token-ttl takes a duration such as 3600, 90m or 8h");
            break;
        case 'i':
            if (strlen(optarg) == 0 || strlen(optarg) > TOKEN_ISS_MAX)
                return cli_usage_error("--issuer takes 1 to 128 characters");
            snprintf(cfg.issuer, sizeof cfg.issuer, "%s", optarg);
            break;
        case 'L':
            if (log_parse_level(optarg, &level) != 0)
                return cli_usage_error("--log-level takes debug, info, warn or error");
            log_set_level(level);
            break;
        case 'E':
            if (expiry_parse_hhmm(optarg, &cfg.expiry.daily_cut_minutes) != 0)
                return cli_usage_error("--session-ends-daily-at takes HH:MM, e.g. 06:00");
            break;
        case 'z':
            zone = optarg;
            break;
        case 'I':
            if (strlen(optarg) >= sizeof cfg.introspect_token_file)
                return cli_usage_error("--introspect-token-file: path too long");
            snprintf(cfg.introspect_token_file, sizeof cfg.introspect_token_file, "%s", optarg);
            break;
        case 'R':
            if (cli_parse_duration(optarg, &cfg.session_retention) != 0)
                return cli_usage_error("--session-retention takes a duration such as 7d");
            break;
        case 'O':
            if (cli_parse_uint(optarg, 0, 1000000, &cfg.lockout.after) != 0)
                return cli_usage_error("--lockout-after takes 0 (off) to 1000000 failed codes");
            break;
        case 'A':
            if (throttle_parse_rate(optarg, &cfg.throttle_attempts) != 0)
                return cli_usage_error("--throttle-attempts takes a rate such as 1000/s or 600/m, or 0 (off)");
            break;
        case 'F':
            if (throttle_parse_rate(optarg, &cfg.throttle_failures) != 0)
                return cli_usage_error("--throttle-failures takes a rate such as 120/m, or 0 (off)");
            break;
        case 'P':
            if (netaddr_add_proxy(&cfg.trusted_proxies, optarg) != 0)
                return cli_usage_error("--trusted-proxy takes an address or CIDR such as 10.0.0.0/8 (at most 64)");
            break;
        case 'C':
            if (cli_parse_uint(optarg, 0, 1000000, &cfg.max_connections) != 0)
                return cli_usage_error("--max-connections takes 0 (no limit) to 1000000");
            break;
        case 'G':
            if (cli_parse_uint(optarg, 0, 1000000, &log_cap) != 0)
                return cli_usage_error("--log-refusals takes 0 (no cap) to 1000000 lines a second");
            break;
        case 'Q': {
            int64_t secs;
            if (cli_parse_duration(optarg, &secs) != 0 || secs > 3600)
                return cli_usage_error("--request-timeout takes a duration such as 10s, at most 1h");
            cfg.request_timeout_ms = (uint64_t)secs * 1000;
            break;
        }
        default:
            return cli_usage_error("serve: unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error("serve takes no positional arguments");
    if (cfg.expiry.daily_cut_minutes >= 0 && zone == NULL)
        return cli_usage_error("--session-ends-daily-at needs --timezone Area/City");
    if (zone != NULL && expiry_set_timezone(zone) != TG_OK)
        return cli_usage_error("--timezone: unknown time zone (use an Area/City name of the tz database)");
    handler_session_set_log_cap(log_cap);
    rc = server_run(&cfg);
    if (rc != TG_OK) {
        /* serve speaks JSON lines on stderr, also when it cannot start */
        log_event(LOG_ERROR, "serve_failed", "error", tg_status_str(rc), NULL);
        return 1;
    }
    return 0;
}
