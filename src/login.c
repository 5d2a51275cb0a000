/*
 * login.c - strict parsing of the login request body; see login.h.
 */
#include "login.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "crypto.h"

/*
 * Finds a comma followed (after white space) by '}' or ']' outside strings:
 * the trailing comma that JavaScript and Java samples often send, and that
 * JSON forbids.
 */
static int has_trailing_comma(const char *s, size_t len)
{
    int in_string = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
        } else if (c == ',') {
            size_t j = i + 1;
            while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n'))
                j++;
            if (j < len && (s[j] == '}' || s[j] == ']'))
                return 1;
        }
    }
    return 0;
}

/* Gets member name as a string of at most max bytes; writes the problem to msg. */
static tg_status get_string_member(const char **value, size_t *value_len, json_t *obj, const char *name, char *msg,
                                   size_t msg_cap)
{
    json_t *v = json_object_get(obj, name);

    if (v == NULL) {
        snprintf(msg, msg_cap, "missing member \"%s\"; expected {\"API_KEY\": \"...\", \"TOTP\": \"...\"}", name);
        return TG_ERR_INVALID_REQUEST;
    }
    if (!json_is_string(v)) {
        snprintf(msg, msg_cap, "member \"%s\" must be a JSON string, not %s", name,
                 json_is_integer(v) || json_is_real(v) ? "a number"
                 : json_is_null(v)                     ? "null"
                 : json_is_boolean(v)                  ? "a boolean"
                 : json_is_array(v)                    ? "an array"
                                                       : "an object");
        return TG_ERR_INVALID_REQUEST;
    }
    *value = json_string_value(v);
    *value_len = json_string_length(v);
    return TG_OK;
}

/* Checks the two values and copies them into *out (wiped on failure). */
static tg_status accept_values(login_request *out, const char *key, size_t key_len, const char *code,
                               size_t code_len, char *msg, size_t msg_cap)
{
    tg_status rc = TG_ERR_INVALID_REQUEST;

    if (key_len == 0 || key_len > API_KEY_MAX) {
        snprintf(msg, msg_cap, "API_KEY must be 1 to %d characters", API_KEY_MAX);
        goto out;
    }
    for (size_t i = 0; i < key_len; i++) {
        if (key[i] <= 0x20 || key[i] >= 0x7f) {
            snprintf(msg, msg_cap, "API_KEY must be printable ASCII without spaces");
            goto out;
        }
    }
    rc = TG_ERR_INVALID_TOTP_FORMAT;
    if (code_len != 6 && code_len != 8) {
        snprintf(msg, msg_cap, "TOTP must be 6 or 8 ASCII digits (0-9), with no spaces or signs");
        goto out;
    }
    for (size_t i = 0; i < code_len; i++) {
        if (code[i] < '0' || code[i] > '9') {
            snprintf(msg, msg_cap, "TOTP must be 6 or 8 ASCII digits (0-9), with no spaces or signs");
            goto out;
        }
    }
    memcpy(out->api_key, key, key_len);
    out->api_key_len = key_len;
    memcpy(out->totp, code, code_len);
    out->totp_len = code_len;
    rc = TG_OK;
out:
    if (rc != TG_OK)
        tg_cleanse(out, sizeof *out);
    return rc;
}

static int json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A string of printable ASCII without '"' or '\\' (so no escapes) at s[*i]. */
static int plain_string(const char *s, size_t len, size_t *i, const char **v, size_t *v_len)
{
    size_t j;

    if (*i >= len || s[*i] != '"')
        return 0;
    for (j = *i + 1; j < len && s[j] != '"'; j++) {
        if (s[j] < 0x20 || s[j] > 0x7e || s[j] == '\\')
            return 0;
    }
    if (j >= len)
        return 0;
    *v = s + *i + 1;
    *v_len = j - *i - 1;
    *i = j + 1;
    return 1;
}

/*
 * The body that every client sends: an object of exactly the members API_KEY
 * and TOTP, in either order, whose values need no escapes.  Such a body is
 * valid JSON without duplicates, so it means what jansson would make of it;
 * 1 with the two values when body is that, 0 for anything else (which then
 * goes to jansson).
 */
static int simple_body(const char *s, size_t len, const char **key, size_t *key_len, const char **code,
                       size_t *code_len)
{
    size_t i = 0;
    int have_key = 0, have_code = 0;

    while (i < len && json_space(s[i]))
        i++;
    if (i >= len || s[i++] != '{')
        return 0;
    for (int member = 0; member < 2; member++) {
        const char *name, *value;
        size_t name_len, value_len;

        while (i < len && json_space(s[i]))
            i++;
        if (!plain_string(s, len, &i, &name, &name_len))
            return 0;
        while (i < len && json_space(s[i]))
            i++;
        if (i >= len || s[i++] != ':')
            return 0;
        while (i < len && json_space(s[i]))
            i++;
        if (!plain_string(s, len, &i, &value, &value_len))
            return 0;
        if (name_len == 7 && memcmp(name, "API_KEY", 7) == 0 && !have_key) {
            have_key = 1;
            *key = value, *key_len = value_len;
        } else if (name_len == 4 && memcmp(name, "TOTP", 4) == 0 && !have_code) {
            have_code = 1;
            *code = value, *code_len = value_len;
        } else {
            return 0;
        }
        while (i < len && json_space(s[i]))
            i++;
        if (i >= len || s[i++] != (member == 0 ? ',' : '}'))
            return 0;
    }
    while (i < len && json_space(s[i]))
        i++;
    return i == len;
}

tg_status login_parse(login_request *out, const char *body, size_t len, char *msg, size_t msg_cap)
{
    const char *key = NULL, *code = NULL;
    size_t key_len = 0, code_len = 0;

    if (len > 0 && len <= LOGIN_BODY_MAX && simple_body(body, len, &key, &key_len, &code, &code_len)) {
        memset(out, 0, sizeof *out);
        return accept_values(out, key, key_len, code, code_len, msg, msg_cap);
    }
    return login_parse_json(out, body, len, msg, msg_cap);
}

tg_status login_parse_json(login_request *out, const char *body, size_t len, char *msg, size_t msg_cap)
{
    tg_status rc;
    json_error_t err;
    json_t *root = NULL;
    const char *key, *code;
    size_t key_len, code_len;

    memset(out, 0, sizeof *out);
    if (len > LOGIN_BODY_MAX) {
        snprintf(msg, msg_cap, "request body must not exceed %d bytes", LOGIN_BODY_MAX);
        return TG_ERR_PAYLOAD_TOO_LARGE;
    }
    if (len == 0) {
        snprintf(msg, msg_cap, "request body is empty; expected {\"API_KEY\": \"...\", \"TOTP\": \"...\"}");
        return TG_ERR_INVALID_JSON;
    }
    /* NUL escapes and scalar documents are valid RFC 8259: accept them here
     * and refuse them below with the precise reason */
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (root == NULL) {
        /* jansson ends its text with " near '<input>'": never echo input */
        char *near = strstr(err.text, " near ");
        const char *member = NULL;
        if (near != NULL) {
            /* name a duplicate only when it is one of ours */
            if (strcmp(near, " near '\"API_KEY\"'") == 0)
                member = "API_KEY";
            else if (strcmp(near, " near '\"TOTP\"'") == 0)
                member = "TOTP";
            *near = '\0';
        }
        if (json_error_code(&err) == json_error_duplicate_key) {
            snprintf(msg, msg_cap, "duplicate member%s%s%s at line %d, column %d: each member may appear once",
                     member ? " \"" : "", member ? member : "", member ? "\"" : "", err.line, err.column);
            rc = TG_ERR_INVALID_REQUEST;
        } else {
            snprintf(msg, msg_cap, "invalid JSON at line %d, column %d: %s%s", err.line, err.column, err.text,
                     has_trailing_comma(body, len)
                         ? " (a trailing comma after the last member is not allowed in JSON; remove it)"
                         : "");
            rc = TG_ERR_INVALID_JSON;
        }
        goto out;
    }
    if (!json_is_object(root)) {
        snprintf(msg, msg_cap, "request body must be a JSON object: {\"API_KEY\": \"...\", \"TOTP\": \"...\"}");
        rc = TG_ERR_INVALID_REQUEST;
        goto out;
    }
    if ((rc = get_string_member(&key, &key_len, root, "API_KEY", msg, msg_cap)) != TG_OK ||
        (rc = get_string_member(&code, &code_len, root, "TOTP", msg, msg_cap)) != TG_OK)
        goto out;

    rc = accept_values(out, key, key_len, code, code_len, msg, msg_cap);
out:
    if (root != NULL) {
        /* the parsed tree holds the API key and code: wipe before freeing */
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v) {
            if (json_is_string(v))
                tg_cleanse((void *)json_string_value(v), json_string_length(v));
        }
        json_decref(root);
    }
    if (rc != TG_OK)
        tg_cleanse(out, sizeof *out);
    return rc;
}
