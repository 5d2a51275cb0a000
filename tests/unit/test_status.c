/* test_status.c - the status table maps every code the API documents. */
#include "status.h"
#include "unit.h"

void test_status(void);
void test_status(void)
{
    CHECK(tg_status_info_of(TG_ERR_INVALID_CREDENTIALS)->http_status == 401);
    CHECK(tg_status_info_of(TG_ERR_REPLAY)->http_status == 401);
    /* a replay must be indistinguishable from a wrong code */
    CHECK_STR(tg_status_info_of(TG_ERR_REPLAY)->message, tg_status_info_of(TG_ERR_INVALID_CREDENTIALS)->message);
    CHECK_STR(tg_status_info_of(TG_ERR_REPLAY)->error_code, "INVALID_CREDENTIALS");
    CHECK(tg_status_info_of(TG_ERR_MERCHANT_DISABLED)->http_status == 403);
    CHECK(tg_status_info_of(TG_ERR_STORE_UNAVAILABLE)->http_status == 503);
    CHECK(tg_status_info_of(TG_ERR_PAYLOAD_TOO_LARGE)->http_status == 413);
    CHECK(tg_status_info_of(TG_ERR_UNSUPPORTED_MEDIA)->http_status == 415);
    CHECK(tg_status_info_of((tg_status)9999)->http_status == 500);
    for (int i = 0; i < TG_STATUS_COUNT; i++)
        CHECK(tg_status_info_of((tg_status)i)->error_code != NULL);
}
