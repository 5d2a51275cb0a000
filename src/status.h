/*
 * status.h - the one result type of totpgate.
 *
 * Every fallible function returns a tg_status.  TG_OK is zero so that
 * "if (rc != TG_OK) goto out;" reads naturally.  The mapping of a status to
 * an HTTP status line and to the stable upper-case ErrorCode of the JSON
 * error body lives in exactly one place: tg_status_info() in status.c.
 *
 * Thread safety: everything here is constant data; safe from any thread.
 */
#ifndef TG_STATUS_H
#define TG_STATUS_H

typedef enum tg_status {
    TG_OK = 0,
    TG_ERR_NOMEM,              /* allocation failed */
    TG_ERR_INTERNAL,           /* a bug or an unexpected library failure */
    TG_ERR_INVALID_ARG,        /* bad command-line or API argument */
    TG_ERR_NOT_FOUND,          /* no such route, merchant, key, ... */
    TG_ERR_METHOD_NOT_ALLOWED, /* known route, wrong method */
    TG_ERR_UNSUPPORTED_MEDIA,  /* Content-Type is not application/json */
    TG_ERR_PAYLOAD_TOO_LARGE,  /* request body over the limit */
    TG_ERR_INVALID_JSON,       /* body is not RFC 8259 JSON */
    TG_ERR_INVALID_REQUEST,    /* JSON is fine, shape is not (missing, type, duplicate) */
    TG_ERR_INVALID_TOTP_FORMAT,/* TOTP is not 6 or 8 ASCII digits */
    TG_ERR_INVALID_CREDENTIALS,/* unknown key, wrong code, reused code: one answer */
    TG_ERR_REPLAY,             /* internal: code or an earlier step already used */
    TG_ERR_MERCHANT_DISABLED,  /* valid credentials of a disabled merchant */
    TG_ERR_CONFLICT,           /* unique constraint: duplicate API key, id, ... */
    TG_ERR_STORE_UNAVAILABLE,  /* the store could not durably record: fail closed */
    TG_ERR_CRYPTO,             /* authentication of sealed data failed, bad key */
    TG_ERR_IO,                 /* file system error outside the store */
    TG_ERR_TOKEN_INVALID,      /* JWT failed verification */
    TG_ERR_UNAUTHORIZED,       /* missing or wrong caller credentials (introspection) */
    TG_ERR_LOCKED,             /* the merchant is locked out after failed codes */
    TG_ERR_THROTTLED,          /* this client sent too many attempts */
    TG_ERR_BUSY,               /* too many connections */
    TG_STATUS_COUNT
} tg_status;

typedef struct tg_status_info {
    int http_status;         /* e.g. 401 */
    const char *reason;      /* e.g. "Unauthorized" */
    const char *error_code;  /* e.g. "INVALID_CREDENTIALS" */
    const char *message;     /* default human message, may be overridden */
} tg_status_info;

/* Returns the HTTP mapping of rc; never NULL (unknown values map to 500). */
const tg_status_info *tg_status_info_of(tg_status rc);

/* Short lower-case description for CLI errors and logs, e.g. "not found". */
const char *tg_status_str(tg_status rc);

#endif
