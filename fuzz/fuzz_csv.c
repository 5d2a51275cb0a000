/* fuzz_csv.c - libFuzzer target: the CSV import row parser. */
#include <stdint.h>
#include <string.h>

#include "merchant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    merchant_csv_row row;
    char err[128];

    if (merchant_parse_csv_line(&row, (const char *)data, size, err, sizeof err) == TG_OK) {
        if (row.secret_len < 16 || row.secret_len > MERCHANT_SECRET_MAX || merchant_check_totp(&row.totp) != TG_OK ||
            merchant_check_label(row.name, MERCHANT_NAME_MAX) != TG_OK)
            __builtin_trap();
    }
    return 0;
}
