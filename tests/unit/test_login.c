/*
 * test_login.c - login_parse: the accepted shape, the JSON errors and their
 * messages, member and TOTP validation, hostile input (nesting, encodings,
 * size), and that messages never echo what the client sent.
 */
#include <stdlib.h>
#include <string.h>

#include "login.h"
#include "unit.h"

#define KEY "tgk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd"

static char msg[LOGIN_MESSAGE_MAX];

static int parse_differs; /* inputs on which login_parse and login_parse_json disagreed */

/* login_parse, checked against the jansson-only login_parse_json on the same input */
static tg_status parse_n(login_request *req, const char *body, size_t len)
{
    login_request slow;
    char slow_msg[LOGIN_MESSAGE_MAX];
    tg_status rc, slow_rc;

    memset(msg, 0, sizeof msg);
    memset(slow_msg, 0, sizeof slow_msg);
    rc = login_parse(req, body, len, msg, sizeof msg);
    slow_rc = login_parse_json(&slow, body, len, slow_msg, sizeof slow_msg);
    if (rc != slow_rc || strcmp(msg, slow_msg) != 0 ||
        (rc == TG_OK && (req->api_key_len != slow.api_key_len || req->totp_len != slow.totp_len ||
                         memcmp(req->api_key, slow.api_key, sizeof slow.api_key) != 0 ||
                         memcmp(req->totp, slow.totp, sizeof slow.totp) != 0))) {
        parse_differs++;
        fprintf(stderr, "login_parse and login_parse_json differ on: %.*s\n", (int)(len > 200 ? 200 : len), body);
    }
    return rc;
}

static tg_status parse(login_request *req, const char *body)
{
    return parse_n(req, body, strlen(body));
}

static int client_error(tg_status rc)
{
    return rc == TG_ERR_INVALID_JSON || rc == TG_ERR_INVALID_REQUEST || rc == TG_ERR_INVALID_TOTP_FORMAT;
}

static int has(const char *needle)
{
    return strstr(msg, needle) != NULL;
}

/* A request with the given raw JSON text as the TOTP value (quotes included). */
static tg_status parse_totp_json(login_request *req, const char *totp_json)
{
    char body[512];
    snprintf(body, sizeof body, "{\"API_KEY\":\"" KEY "\",\"TOTP\":%s}", totp_json);
    return parse(req, body);
}

static void test_accepts(void)
{
    login_request req;

    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\"}") == TG_OK);
    CHECK_STR(req.api_key, KEY);
    CHECK(req.api_key_len == strlen(KEY));
    CHECK_STR(req.totp, "123456");
    CHECK(req.totp_len == 6);

    CHECK(parse(&req, "{\"TOTP\":\"12345678\",\"API_KEY\":\"" KEY "\"}") == TG_OK);
    CHECK_STR(req.totp, "12345678");
    CHECK(req.totp_len == 8);
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"000000\"}") == TG_OK && strcmp(req.totp, "000000") == 0);

    /* unknown members of any type are ignored; white space is fine */
    CHECK(parse(&req, " \r\n\t{ \"note\" : [1, {\"a\": null}], \"API_KEY\" : \"" KEY
                      "\",\n  \"TOTP\":\"987654\", \"x\": 1.5e3, \"api_key\": 7, \"totp\": false } \n") == TG_OK);
    CHECK_STR(req.totp, "987654");
    CHECK_STR(req.api_key, KEY);

    /* only len bytes are read: trailing bytes beyond it do not matter, and no NUL is needed */
    {
        static const char body[] = "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\"}GARBAGE";
        char copy[sizeof body];
        memcpy(copy, body, sizeof body);
        CHECK(parse_n(&req, copy, sizeof body - 1 - 7) == TG_OK && strcmp(req.totp, "123456") == 0);
    }
    /* the JSON escapes of plain characters are the same characters */
    CHECK(parse(&req, "{\"API_KEY\":\"\\u0074gk_key\",\"TOTP\":\"\\u0031\\u00323456\"}") == TG_OK);
    CHECK_STR(req.api_key, "tgk_key");
    CHECK_STR(req.totp, "123456");

    /* the largest API key */
    {
        char body[600], key[API_KEY_MAX + 2];
        memset(key, 'k', API_KEY_MAX);
        key[API_KEY_MAX] = '\0';
        snprintf(body, sizeof body, "{\"API_KEY\":\"%s\",\"TOTP\":\"123456\"}", key);
        CHECK(parse(&req, body) == TG_OK && req.api_key_len == API_KEY_MAX);
        key[API_KEY_MAX] = 'k';
        key[API_KEY_MAX + 1] = '\0';
        snprintf(body, sizeof body, "{\"API_KEY\":\"%s\",\"TOTP\":\"123456\"}", key);
        CHECK(parse(&req, body) == TG_ERR_INVALID_REQUEST && has("API_KEY"));
    }
}

static void test_json_errors(void)
{
    login_request req;

    /* the Java sample: a trailing comma after the last member */
    {
        static const char java[] = "{\n"
                                   "    \"API_KEY\": \"" KEY "\",\n"
                                   "    \"TOTP\": \"123456\",\n"
                                   "}\n";
        CHECK(parse(&req, java) == TG_ERR_INVALID_JSON);
        CHECK(has("line"));
        CHECK(has("column"));
        CHECK(has("trailing comma"));
        CHECK(has("line 4")); /* the '}' is on line 4 */
        CHECK(!has("123456") && !has(KEY));
    }
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\",}") == TG_ERR_INVALID_JSON);
    CHECK(has("line 1") && has("column") && has("trailing comma"));
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":[\"123456\",]}") == TG_ERR_INVALID_JSON);
    CHECK(has("trailing comma"));
    /* a comma inside a string is not a trailing comma */
    CHECK(parse(&req, "{\"API_KEY\":\"a,}\",\"TOTP\":\"123456\"") == TG_ERR_INVALID_JSON);
    CHECK(has("line") && !has("trailing comma"));

    /* other syntax errors: still line and column, no hint */
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\" \"TOTP\":\"123456\"}") == TG_ERR_INVALID_JSON);
    CHECK(has("line") && has("column") && !has("trailing comma"));
    CHECK(parse(&req, "{'API_KEY':'k','TOTP':'123456'}") == TG_ERR_INVALID_JSON);
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\"} {}") == TG_ERR_INVALID_JSON);
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":123456,}") == TG_ERR_INVALID_JSON);
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\"") == TG_ERR_INVALID_JSON);
    CHECK(parse(&req, "") == TG_ERR_INVALID_JSON);
    CHECK(msg[0] != '\0');
    CHECK(parse(&req, "   ") == TG_ERR_INVALID_JSON);
    CHECK(client_error(parse(&req, "null")));
    /* a body with a NUL byte in the middle */
    {
        static const char body[] = "{\"API_KEY\":\"" KEY "\",\0\"TOTP\":\"123456\"}";
        CHECK(parse_n(&req, body, sizeof body - 1) == TG_ERR_INVALID_JSON);
    }
    /* JSON comments and a byte-order mark are not JSON */
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",/* c */\"TOTP\":\"123456\"}") == TG_ERR_INVALID_JSON);
    CHECK(parse(&req, "\xef\xbb\xbf{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\"}") != TG_OK);

    /* duplicates: the request is refused, whichever copy would have been right */
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\",\"TOTP\":\"654321\"}") == TG_ERR_INVALID_REQUEST);
    CHECK(has("duplicate"));
    CHECK(!has("654321") && !has("123456"));
    CHECK(parse(&req, "{\"TOTP\":\"123456\",\"API_KEY\":\"" KEY "\",\"API_KEY\":\"" KEY "\"}") ==
          TG_ERR_INVALID_REQUEST);
    CHECK(has("duplicate") && !has(KEY));
    /* a duplicate spelled with an escape is still a duplicate */
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\",\"TOT\\u0050\":\"654321\"}") ==
          TG_ERR_INVALID_REQUEST);
}

static void test_members(void)
{
    login_request req;

    /* missing members are named */
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\"}") == TG_ERR_INVALID_REQUEST && has("TOTP") && has("missing"));
    CHECK(parse(&req, "{\"TOTP\":\"123456\"}") == TG_ERR_INVALID_REQUEST && has("API_KEY") && has("missing"));
    CHECK(parse(&req, "{}") == TG_ERR_INVALID_REQUEST && has("API_KEY"));
    /* member names are case-sensitive */
    CHECK(parse(&req, "{\"api_key\":\"" KEY "\",\"totp\":\"123456\"}") == TG_ERR_INVALID_REQUEST && has("API_KEY"));
    CHECK(parse(&req, "{\"API_KEY\":\"" KEY "\",\"Totp\":\"123456\"}") == TG_ERR_INVALID_REQUEST && has("TOTP"));

    /* wrong types are named with the member */
    CHECK(parse_totp_json(&req, "123456") == TG_ERR_INVALID_REQUEST && has("TOTP") && has("number"));
    CHECK(!has("123456"));
    CHECK(parse_totp_json(&req, "null") == TG_ERR_INVALID_REQUEST && has("TOTP") && has("null"));
    CHECK(parse_totp_json(&req, "[\"123456\"]") == TG_ERR_INVALID_REQUEST && has("TOTP") && has("array"));
    CHECK(!has("123456"));
    CHECK(parse_totp_json(&req, "true") == TG_ERR_INVALID_REQUEST && has("TOTP"));
    CHECK(parse_totp_json(&req, "{\"v\":\"123456\"}") == TG_ERR_INVALID_REQUEST && has("TOTP"));
    CHECK(parse_totp_json(&req, "123456.0") == TG_ERR_INVALID_REQUEST && has("TOTP"));
    CHECK(parse(&req, "{\"API_KEY\":12345,\"TOTP\":\"123456\"}") == TG_ERR_INVALID_REQUEST && has("API_KEY") &&
          has("number"));
    CHECK(parse(&req, "{\"API_KEY\":null,\"TOTP\":\"123456\"}") == TG_ERR_INVALID_REQUEST && has("API_KEY") &&
          has("null"));
    CHECK(parse(&req, "{\"API_KEY\":[\"" KEY "\"],\"TOTP\":\"123456\"}") == TG_ERR_INVALID_REQUEST && has("API_KEY") &&
          has("array"));
    CHECK(!has(KEY));

    /* top-level values that are not objects */
    CHECK(parse(&req, "[{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\"}]") == TG_ERR_INVALID_REQUEST);
    CHECK(has("object"));
    CHECK(parse(&req, "[]") == TG_ERR_INVALID_REQUEST);
    {
        tg_status rc = parse(&req, "\"123456\"");
        CHECK(rc != TG_OK && client_error(rc));
        rc = parse(&req, "123456");
        CHECK(rc != TG_OK && client_error(rc));
    }

    /* API_KEY: empty, space, control characters, DEL, non-ASCII */
    {
        static const char *const keys[] = {"\"\"",
                                           "\"tgk_abc def\"",
                                           "\" tgk_abcdef\"",
                                           "\"tgk_abcdef \"",
                                           "\"tgk_abc\\u0001def\"",
                                           "\"tgk_abc\\tdef\"",
                                           "\"tgk_abc\\ndef\"",
                                           "\"tgk_abc\\u007fdef\"",
                                           "\"tgk_abc\\u00e9def\"",
                                           "\"tgk_abc\xc3\xa9"
                                           "def\"",
                                           "\"tgk_\xef\xbd\x81"
                                           "bc\""};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            char body[256];
            snprintf(body, sizeof body, "{\"API_KEY\":%s,\"TOTP\":\"123456\"}", keys[i]);
            CHECK(parse(&req, body) == TG_ERR_INVALID_REQUEST);
            CHECK(has("API_KEY"));
            CHECK(!has("tgk_abc"));
        }
    }
}

static void test_totp_format(void)
{
    login_request req;
    static const char *const bad[] = {"\" 123456\"", "\"123456 \"", "\"123 456\"", "\"+12345\"", "\"-12345\"",
                                      "\"+123456\"", "\"1234567\"", "\"12345\"", "\"123456789\"", "\"\"", "\"12345a\"",
                                      "\"1234567a\"", "\"12345\\t\"", "\"\\u0661\\u0662\\u0663\\u0664\\u0665\\u0666\"",
                                      /* full-width digits U+FF11..U+FF16, as UTF-8 and as escapes */
                                      "\"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96\"",
                                      "\"\\uff11\\uff12\\uff13\\uff14\\uff15\\uff16\"",
                                      /* superscript and other Unicode digits */
                                      "\"\xc2\xb9\xc2\xb2\xc2\xb3"
                                      "456\"",
                                      "\"0x1234\"", "\"1e5000\"", "\"12.456\"", "\"12,456\""};

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tg_status rc = parse_totp_json(&req, bad[i]);
        if (rc != TG_ERR_INVALID_TOTP_FORMAT)
            fprintf(stderr, "  TOTP %s: status %d\n", bad[i], (int)rc);
        CHECK(rc == TG_ERR_INVALID_TOTP_FORMAT);
        CHECK(has("TOTP"));
        /* nothing of the output survives a failure */
        CHECK(req.totp_len == 0 && req.totp[0] == '\0' && req.api_key_len == 0 && req.api_key[0] == '\0');
    }
    /* the message never contains the value sent */
    CHECK(parse_totp_json(&req, "\"7654321\"") == TG_ERR_INVALID_TOTP_FORMAT);
    CHECK(!has("7654321") && !has("765432") && !has(KEY));
    CHECK(parse_totp_json(&req, "\"98765x\"") == TG_ERR_INVALID_TOTP_FORMAT);
    CHECK(!has("98765x") && !has("98765") && !has(KEY));

    /* NUL inside the value: jansson refuses "\u0000" without JSON_ALLOW_NUL; either way never TG_OK */
    {
        tg_status rc = parse_totp_json(&req, "\"12345\\u0000\"");
        CHECK(rc != TG_OK && client_error(rc));
        rc = parse_totp_json(&req, "\"123456\\u0000\"");
        CHECK(rc != TG_OK && client_error(rc));
        rc = parse_totp_json(&req, "\"\\u0000123456\"");
        CHECK(rc != TG_OK && client_error(rc));
        rc = parse_totp_json(&req, "\"1234\\u000056\"");
        CHECK(rc != TG_OK && client_error(rc));
    }
    /* a raw NUL byte inside the string */
    {
        static const char body[] = "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"12345\0\"}";
        tg_status rc = parse_n(&req, body, sizeof body - 1);
        CHECK(rc != TG_OK && client_error(rc));
    }
}

static void test_encodings(void)
{
    login_request req;
    static const char *const bad[] = {
        "\"\\ud800\"", /* lone high surrogate */
        "\"12345\\ud800\"",
        "\"\\udc00123456\"", /* lone low surrogate */
        "\"\\ud800\\u0041\"",
        "\"12345\xc0\xaf\"",                                    /* overlong '/' */
        "\"\xc0\xb1\xc0\xb2\xc0\xb3\xc0\xb4\xc0\xb5\xc0\xb6\"", /* overlong digits */
        "\"\xe0\x80\xb1"
        "23456\"",               /* 3-byte overlong '1' */
        "\"12345\xed\xa0\x80\"", /* UTF-8 encoded surrogate */
        "\"12345\xff\"",
        "\"12345\x80\"",
        "\"12345\xc3\"",
        "\"12345\xf5\x80\x80\x80\"",
        "\"1234\x01"
        "56\"", /* raw control character */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tg_status rc = parse_totp_json(&req, bad[i]);
        CHECK(rc != TG_OK && client_error(rc));
    }
    /* the same bytes in the API key */
    CHECK(client_error(parse(&req, "{\"API_KEY\":\"tgk_\\ud800\",\"TOTP\":\"123456\"}")));
    CHECK(client_error(parse(&req, "{\"API_KEY\":\"tgk_\xc0\xaf\",\"TOTP\":\"123456\"}")));
    /* and in a member name */
    CHECK(client_error(parse(&req, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\",\"\xc0\xaf\":1}")));
}

static void test_hostile(void)
{
    login_request req;
    char *body;
    const size_t big = 20000;

    body = malloc(big + 1);
    if (body == NULL) {
        CHECK(body != NULL);
        return;
    }
    /* 10000 '[' (over the size limit) and 4000 '[' (under it, deeper than any parser limit) */
    memset(body, '[', 10000);
    CHECK(parse_n(&req, body, 10000) != TG_OK);
    CHECK(parse_n(&req, body, 4000) == TG_ERR_INVALID_JSON);
    {
        size_t n = 0;
        for (int i = 0; i < 1300 && n + 8 < LOGIN_BODY_MAX; i++) {
            memcpy(body + n, "{\"a\":", 5);
            n += 5;
        }
        CHECK(parse_n(&req, body, n) == TG_ERR_INVALID_JSON);
    }
    /* deep but balanced, inside an ignored member */
    {
        size_t n = 0;
        int depth = 1500;
        n += (size_t)sprintf(body, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\",\"x\":");
        memset(body + n, '[', (size_t)depth);
        n += (size_t)depth;
        memset(body + n, ']', (size_t)depth);
        n += (size_t)depth;
        body[n++] = '}';
        CHECK(n <= LOGIN_BODY_MAX);
        CHECK(parse_n(&req, body, n) != TG_OK || strcmp(req.totp, "123456") == 0); /* either way: no crash */
    }

    /* size limit: exactly LOGIN_BODY_MAX is read, one more byte is refused */
    {
        int n = sprintf(body, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"123456\"}");
        memset(body + n, ' ', LOGIN_BODY_MAX + 1 - (size_t)n);
        CHECK(parse_n(&req, body, LOGIN_BODY_MAX) == TG_OK && strcmp(req.totp, "123456") == 0);
        CHECK(parse_n(&req, body, LOGIN_BODY_MAX + 1) == TG_ERR_PAYLOAD_TOO_LARGE);
        CHECK(has("4096"));
        CHECK(parse_n(&req, body, big) == TG_ERR_PAYLOAD_TOO_LARGE);
        /* a large body is refused before it is parsed: even garbage */
        memset(body, 0xff, big);
        CHECK(parse_n(&req, body, big) == TG_ERR_PAYLOAD_TOO_LARGE);
    }
    /* a long string value within the limit */
    {
        int n = sprintf(body, "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"");
        memset(body + n, '1', 3000);
        n += 3000;
        n += sprintf(body + n, "\"}");
        CHECK(parse_n(&req, body, (size_t)n) == TG_ERR_INVALID_TOTP_FORMAT);
        CHECK(!has("111111"));
    }
    free(body);

    /* a tiny message buffer is not overrun */
    {
        char small[8];
        memset(small, 'Z', sizeof small);
        CHECK(login_parse(&req, "{}", 2, small, 4) == TG_ERR_INVALID_REQUEST);
        CHECK(memchr(small, '\0', 4) != NULL && small[4] == 'Z');
    }
}

/*
 * Messages for JSON syntax errors must not echo the values sent either
 * (login.h: "The message never echoes the values sent.").  jansson's error
 * text quotes the token it stopped at, which can be the client's TOTP or API
 * key.
 */
static void test_no_echo_in_syntax_errors(void)
{
    login_request req;
    static const char *const bodies[] = {
        /* unterminated string: the lexer stops inside the TOTP */
        "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"987654",
        /* invalid UTF-8 right after the code */
        "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"987654\xc0\xaf\"}",
        /* a control character inside the code */
        "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"987654\x01\"}",
        /* an invalid escape inside the code */
        "{\"API_KEY\":\"" KEY "\",\"TOTP\":\"987654\\x\"}",
        /* an unquoted code */
        "{\"API_KEY\":\"" KEY "\",\"TOTP\":987654x}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        tg_status rc = parse(&req, bodies[i]);
        CHECK(rc == TG_ERR_INVALID_JSON);
        if (has("987654"))
            fprintf(stderr, "  login message echoes the TOTP: %s\n", msg);
        CHECK(!has("987654"));
    }
    /* the API key in an invalid string: a generated 47-character key, and a
     * 16-character one (the shortest an import accepts) */
    {
        tg_status rc = parse(&req, "{\"API_KEY\":\"" KEY "\x01\",\"TOTP\":\"987654\"}");
        CHECK(rc == TG_ERR_INVALID_JSON);
        CHECK(!has("tgk_AbCd"));
        rc = parse(&req, "{\"API_KEY\":\"imported-key-0001\x01\",\"TOTP\":\"987654\"}");
        CHECK(rc == TG_ERR_INVALID_JSON);
        if (has("imported-key"))
            fprintf(stderr, "  login message echoes the API key: %s\n", msg);
        CHECK(!has("imported-key"));
    }
}

/* Bodies near the shape that login_parse reads without jansson: each must
 * get the same result both ways (parse_n compares them). */
static void test_simple_form_edges(void)
{
    static const char *const bodies[] = {
        "{\"API_KEY\":\"k\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\",\"API_KEY\":\"123456\"}",
        "{\"TOTP\":\"123456\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\",\"TOTP\":\"123456\",}",
        "{\"API_KEY\":\"k\",\"TOTP\":\"123456\"",
        "{\"API_KEY\":\"k\",\"TOTP\":\"123456\"}}",
        "{\"API_KEY\":\"k\",\"TOTP\":\"123456\"} x",
        "{\"API_KEY\":\"k\";\"TOTP\":\"123456\"}",
        "{\"API_KEY\" \"k\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\",\"TOTP\":123456}",
        "{\"API_KEY\":\"k\"}",
        "{\"API_KEY\":\"k\",\"TOTP\":\"123456\",\"x\":\"y\"}",
        "{\"API_KEY\":\"k k\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\",\"TOTP\":\"12345\"}",
        "{\"API_KEY\":\"k\",\"TOTP\":\"1234567\"}",
        "{\"API_KEY\":\"k\",\"TOTP\":\"12345a\"}",
        "{\"API_KEY\":\"k\",\"TOTP\":\" 123456\"}",
        "{\"API_KEY\":\"k\\\"\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\\/\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\x7f\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\xc3\xa9\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\x01\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\tx\",\"TOTP\":\"123456\"}",
        "\xef\xbb\xbf{\"API_KEY\":\"k\",\"TOTP\":\"123456\"}",
        " \t\r\n{ \"API_KEY\" : \"k\" , \"TOTP\" : \"87654321\" } \n",
        "\f{\"API_KEY\":\"k\",\"TOTP\":\"123456\"}",
        "{\"api_key\":\"k\",\"TOTP\":\"123456\"}",
        "{\"API_KEY\":\"k\",\"TOTP \":\"123456\"}",
        "{}",
        "{",
        "\"",
        "{\"",
        "{\"API_KEY\":",
        "{\"API_KEY\":\"k\",",
        "[\"API_KEY\",\"TOTP\"]",
    };
    login_request req;
    int before = parse_differs;

    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        (void)parse(&req, bodies[i]);
    CHECK(parse(&req, " \t\r\n{ \"API_KEY\" : \"k\" , \"TOTP\" : \"87654321\" } \n") == TG_OK);
    CHECK_STR(req.totp, "87654321");
    CHECK(parse(&req, "{\"API_KEY\":\"k\",\"API_KEY\":\"123456\"}") == TG_ERR_INVALID_REQUEST && has("duplicate"));
    CHECK(parse_differs == before);
}

void test_login(void);
void test_login(void)
{
    test_accepts();
    test_json_errors();
    test_members();
    test_totp_format();
    test_encodings();
    test_hostile();
    test_no_echo_in_syntax_errors();
    test_simple_form_edges();
    CHECK(parse_differs == 0); /* every input of every test above, both ways */
}
