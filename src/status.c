/*
 * status.c - the single mapping from tg_status to HTTP status and ErrorCode.
 */
#include "status.h"

static const tg_status_info status_table[TG_STATUS_COUNT] = {
    [TG_OK] = {200, "OK", "OK", "ok"},
    [TG_ERR_NOMEM] = {500, "Internal Server Error", "INTERNAL_ERROR", "internal error"},
    [TG_ERR_INTERNAL] = {500, "Internal Server Error", "INTERNAL_ERROR", "internal error"},
    [TG_ERR_INVALID_ARG] = {400, "Bad Request", "INVALID_REQUEST", "invalid request"},
    [TG_ERR_NOT_FOUND] = {404, "Not Found", "NOT_FOUND", "no such resource"},
    [TG_ERR_METHOD_NOT_ALLOWED] = {405, "Method Not Allowed", "METHOD_NOT_ALLOWED",
                                   "method not allowed for this resource"},
    [TG_ERR_UNSUPPORTED_MEDIA] = {415, "Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE",
                                  "Content-Type must be application/json"},
    [TG_ERR_PAYLOAD_TOO_LARGE] = {413, "Payload Too Large", "PAYLOAD_TOO_LARGE",
                                  "request body must not exceed 4096 bytes"},
    [TG_ERR_INVALID_JSON] = {400, "Bad Request", "INVALID_JSON", "request body is not valid JSON"},
    [TG_ERR_INVALID_REQUEST] = {400, "Bad Request", "INVALID_REQUEST", "invalid request"},
    [TG_ERR_INVALID_TOTP_FORMAT] = {400, "Bad Request", "INVALID_TOTP_FORMAT",
                                    "TOTP must be a string of 6 or 8 ASCII digits"},
    [TG_ERR_INVALID_CREDENTIALS] = {401, "Unauthorized", "INVALID_CREDENTIALS",
                                    "invalid API_KEY or TOTP; each TOTP code works only once, "
                                    "so wait for the next code before retrying"},
    [TG_ERR_REPLAY] = {401, "Unauthorized", "INVALID_CREDENTIALS",
                       "invalid API_KEY or TOTP; each TOTP code works only once, "
                       "so wait for the next code before retrying"},
    [TG_ERR_MERCHANT_DISABLED] = {403, "Forbidden", "MERCHANT_DISABLED", "this merchant is disabled"},
    [TG_ERR_CONFLICT] = {409, "Conflict", "CONFLICT", "conflict"},
    [TG_ERR_STORE_UNAVAILABLE] = {503, "Service Unavailable", "SERVICE_UNAVAILABLE",
                                  "the session could not be recorded; no token was issued, retry later"},
    [TG_ERR_CRYPTO] = {500, "Internal Server Error", "INTERNAL_ERROR", "internal error"},
    [TG_ERR_IO] = {500, "Internal Server Error", "INTERNAL_ERROR", "internal error"},
    [TG_ERR_TOKEN_INVALID] = {401, "Unauthorized", "INVALID_TOKEN", "invalid token"},
    [TG_ERR_UNAUTHORIZED] = {401, "Unauthorized", "UNAUTHORIZED",
                             "missing or invalid bearer credentials for this endpoint"},
    [TG_ERR_LOCKED] = {429, "Too Many Requests", "LOCKED",
                       "too many failed codes: this merchant is locked; retry after the time in Retry-After"},
    [TG_ERR_THROTTLED] = {429, "Too Many Requests", "TOO_MANY_REQUESTS",
                          "too many attempts from this client; retry after the time in Retry-After"},
    [TG_ERR_BUSY] = {503, "Service Unavailable", "SERVER_BUSY", "too many connections; retry later"},
};

static const char *const status_names[TG_STATUS_COUNT] = {
    [TG_OK] = "ok",
    [TG_ERR_NOMEM] = "out of memory",
    [TG_ERR_INTERNAL] = "internal error",
    [TG_ERR_INVALID_ARG] = "invalid argument",
    [TG_ERR_NOT_FOUND] = "not found",
    [TG_ERR_METHOD_NOT_ALLOWED] = "method not allowed",
    [TG_ERR_UNSUPPORTED_MEDIA] = "unsupported media type",
    [TG_ERR_PAYLOAD_TOO_LARGE] = "payload too large",
    [TG_ERR_INVALID_JSON] = "invalid json",
    [TG_ERR_INVALID_REQUEST] = "invalid request",
    [TG_ERR_INVALID_TOTP_FORMAT] = "invalid totp format",
    [TG_ERR_INVALID_CREDENTIALS] = "invalid credentials",
    [TG_ERR_REPLAY] = "code already used",
    [TG_ERR_MERCHANT_DISABLED] = "merchant disabled",
    [TG_ERR_CONFLICT] = "already exists",
    [TG_ERR_STORE_UNAVAILABLE] = "store unavailable",
    [TG_ERR_CRYPTO] = "cryptographic check failed",
    [TG_ERR_IO] = "i/o error",
    [TG_ERR_TOKEN_INVALID] = "invalid token",
    [TG_ERR_UNAUTHORIZED] = "unauthorized",
    [TG_ERR_LOCKED] = "merchant locked",
    [TG_ERR_THROTTLED] = "throttled",
    [TG_ERR_BUSY] = "too many connections",
};

const tg_status_info *tg_status_info_of(tg_status rc)
{
    if ((unsigned)rc >= TG_STATUS_COUNT || status_table[rc].reason == 0)
        return &status_table[TG_ERR_INTERNAL];
    return &status_table[rc];
}

const char *tg_status_str(tg_status rc)
{
    if ((unsigned)rc >= TG_STATUS_COUNT || status_names[rc] == 0)
        return "unknown error";
    return status_names[rc];
}
