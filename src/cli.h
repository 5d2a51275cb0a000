/*
 * cli.h - helpers shared by the subcommands: option values, durations,
 * the data directory, and uniform error messages.
 *
 * Subcommands are functions int cmd_NAME(int argc, char **argv) returning an
 * exit status (0 ok, 1 failure, 2 usage).  Only main() calls exit().
 */
#ifndef TG_CLI_H
#define TG_CLI_H

#include <stdint.h>

#include "status.h"
#include "store.h"
#include "vault.h"

#define CLI_DEFAULT_DATA_DIR "data"

/* TOTPGATE_DATA_DIR if set, else "data". */
const char *cli_default_data_dir(void);

/* Parses "90", "90s", "15m", "8h", "2d"; 0 on success. */
int cli_parse_duration(const char *s, int64_t *seconds);

/* Parses a decimal unsigned in [min, max]; 0 on success. */
int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

/* Creates data_dir if needed and opens its master key (when v is not NULL)
 * and its store.  Returns 0, or prints why and returns 1 (nothing left open). */
int cli_open_data(const char *data_dir, vault *v, store **s);

/* Prints "totpgate: <what>: <status>" to stderr; returns 1. */
int cli_fail(const char *what, tg_status rc);

/* Prints "totpgate: <message>" and "see 'totpgate help'" to stderr; returns 2. */
int cli_usage_error(const char *message);

int cmd_serve(int argc, char **argv);
int cmd_merchant(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_session(int argc, char **argv);

#endif
