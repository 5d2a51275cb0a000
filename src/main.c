/*
 * main.c - the totpgate command: subcommands in the style of git.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "clock.h"

#define TOTPGATE_VERSION "0.1.0"

static const char usage[] =
    "usage: totpgate <command> [options]\n"
    "\n"
    "Serve:\n"
    "  serve [--listen HOST:PORT] [--data DIR] [--threads N] [--skew 0-2]\n"
    "        [--token-ttl DURATION] [--session-ends-daily-at HH:MM --timezone Area/City]\n"
    "        [--issuer ISS] [--introspect-token-file FILE] [--session-retention DURATION]\n"
    "        [--lockout-after N] [--throttle-attempts RATE] [--throttle-failures RATE]\n"
    "        [--trusted-proxy CIDR]... [--max-connections N] [--request-timeout DURATION]\n"
    "        [--log-level LEVEL] [--log-refusals N]\n"
    "                              serve the login, verify, introspect, logout and JWKS endpoints\n"
    "\n"
    "Merchants (onboarding):\n"
    "  merchant add --name NAME [--algorithm SHA1|SHA256|SHA512] [--digits 6|8]\n"
    "               [--period SECONDS] [--issuer ISSUER] [--qr FILE.png|FILE.svg] [--json]\n"
    "                              create a merchant; prints its API key (once), secret,\n"
    "                              otpauth URI and QR code\n"
    "  merchant list [--json]      list merchants\n"
    "  merchant show ID [--json]   show one merchant (never its secret)\n"
    "  merchant disable ID         refuse the merchant's logins (403) and revoke its sessions\n"
    "  merchant enable ID          allow them again\n"
    "  merchant unlock ID          clear a lockout after failed codes\n"
    "  merchant rotate-secret ID [--qr FILE] [--json]\n"
    "                              give the merchant a new TOTP secret and URI; revokes its sessions\n"
    "  merchant import FILE.csv [--issuer ISSUER]\n"
    "                              import rows name,api_key,secret[,algorithm,digits,period]\n"
    "                              in one transaction\n"
    "\n"
    "Sessions:\n"
    "  session list [--merchant ID] [--active] [--json]\n"
    "                              list recorded sessions\n"
    "  session revoke JTI          revoke one session (in force on running servers within 1 s)\n"
    "  session revoke --merchant ID\n"
    "                              revoke every live session of a merchant\n"
    "\n"
    "Signing keys:\n"
    "  keys list [--json]          list signing keys and their state\n"
    "  keys rotate                 sign new tokens with a new key; the old one keeps verifying its tokens\n"
    "  keys public [--jwk]         print the active token-verification key (PEM or JWK)\n"
    "\n"
    "Other:\n"
    "  help                        this text\n"
    "  version                     print the version\n"
    "\n"
    "Every command takes --data DIR (default ./data, or $TOTPGATE_DATA_DIR).\n"
    "The master key is DIR/master.key, or the file named by $TOTPGATE_MASTER_KEY_FILE.\n"
    "See docs/API.md for details.\n";

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "help";

    umask(077); /* the data directory holds secrets: nothing it creates is for others */
    if (clock_init() != TG_OK)
        return cli_usage_error("TOTPGATE_TEST_CLOCK_OFFSET must be an integer number of seconds");
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "merchant") == 0)
        return cmd_merchant(argc - 1, argv + 1);
    if (strcmp(cmd, "session") == 0)
        return cmd_session(argc - 1, argv + 1);
    if (strcmp(cmd, "keys") == 0)
        return cmd_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("totpgate %s\n", TOTPGATE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    fprintf(stderr, "totpgate: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
