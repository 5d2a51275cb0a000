"""Every error answer of the login endpoint, with its status and ErrorCode."""
import json
import os
import re
import socket
import time

import pytest

from conftest import (LOGIN_PATH, add_merchant, code_at, header, merchant_row, remember,
                      run_cli, session_rows)

FAKE_KEY = "tgk_" + "B" * 43


def error_of(status, hdrs, data):
    """Parses an error answer, checking the shape every error shares."""
    assert header(hdrs, "Content-Type").startswith("application/json"), hdrs
    body = json.loads(data)
    assert set(body) == {"ErrorCode", "Message"}, body
    assert isinstance(body["Message"], str) and body["Message"]
    return status, body["ErrorCode"], body["Message"]


def test_invalid_json_names_line_and_column(shared):
    """A syntax error answers 400 INVALID_JSON and says where: line and column."""
    body = b'{"API_KEY": "%s",\n "TOTP": 123456x}' % FAKE_KEY.encode()
    status, code, msg = error_of(*shared.post(body))
    assert (status, code) == (400, "INVALID_JSON")
    assert re.search(r"line 2, column \d+", msg), msg


ECHO_KEY = "tgk_EchoKey9876"  # short enough (< 20 bytes) for a parser to quote it back
ECHO_CASES = {
    "bad-escape-in-key": ('{"API_KEY": "%s\\q", "TOTP": "123456"}' % ECHO_KEY, ECHO_KEY),
    "control-char-in-key": ('{"API_KEY": "%s\x01", "TOTP": "123456"}' % ECHO_KEY, ECHO_KEY),
    "unquoted-code": ('{"API_KEY": "k", "TOTP": 48213x}', "48213"),
    "unterminated-code": ('{"API_KEY": "k", "TOTP": "48213977', "48213977"),
    "nul-in-code": ('{"API_KEY": "k", "TOTP": "48213\\u0000"}', "48213"),
}


@pytest.mark.parametrize("body,value", list(ECHO_CASES.values()), ids=list(ECHO_CASES))
def test_error_message_does_not_echo_values(shared, body, value):
    """Error messages never echo the API key or TOTP code that was sent
    (login.h: "The message never echoes the values sent"), also when the
    syntax error is inside or right after the value."""
    remember("code", value)
    status, code, msg = error_of(*shared.post(body.encode()))
    assert status == 400
    assert value not in msg, msg


def test_java_sample_trailing_comma(shared):
    """The Java sample's body, with a comma after the last member, answers
    400 INVALID_JSON and the message mentions the trailing comma."""
    body = '{\n    "API_KEY": "%s",\n    "TOTP": "%s",\n}' % (FAKE_KEY, "123456")
    status, code, msg = error_of(*shared.post(body))
    assert (status, code) == (400, "INVALID_JSON")
    assert "trailing comma" in msg, msg
    assert re.search(r"line \d+, column \d+", msg), msg


def test_duplicate_member(shared):
    """A second "TOTP" member is refused (400 INVALID_REQUEST naming the duplicate),
    whichever of the two values would have been right."""
    body = '{"API_KEY": "%s", "TOTP": "123456", "TOTP": "654321"}' % FAKE_KEY
    status, code, msg = error_of(*shared.post(body))
    assert (status, code) == (400, "INVALID_REQUEST")
    assert "duplicate" in msg.lower(), msg


@pytest.mark.parametrize("body,member", [
    ({"TOTP": "123456"}, "API_KEY"),
    ({"API_KEY": FAKE_KEY}, "TOTP"),
    ({"api_key": FAKE_KEY, "TOTP": "123456"}, "API_KEY"),
], ids=["no-API_KEY", "no-TOTP", "lower-case-name"])
def test_missing_member(shared, body, member):
    """A missing member answers 400 INVALID_REQUEST naming it."""
    status, code, msg = error_of(*shared.post(body))
    assert (status, code) == (400, "INVALID_REQUEST")
    assert member in msg, msg


@pytest.mark.parametrize("value", [123456, None, True, ["123456"], {"v": "123456"}],
                         ids=["number", "null", "bool", "array", "object"])
def test_mistyped_totp(shared, value):
    """TOTP that is not a JSON string (e.g. the number 123456) answers
    400 INVALID_REQUEST naming TOTP."""
    status, code, msg = error_of(*shared.post({"API_KEY": FAKE_KEY, "TOTP": value}))
    assert (status, code) == (400, "INVALID_REQUEST")
    assert "TOTP" in msg, msg


def test_mistyped_api_key(shared):
    """API_KEY as a number answers 400 INVALID_REQUEST naming API_KEY."""
    status, code, msg = error_of(*shared.post({"API_KEY": 12345, "TOTP": "123456"}))
    assert (status, code) == (400, "INVALID_REQUEST")
    assert "API_KEY" in msg, msg


BAD_CODES = {
    "leading-space": '" 123456"',
    "inner-space": '"123 456"',
    "plus-sign": '"+12345"',
    "minus-sign": '"-12345"',
    "full-width": '"\uff11\uff12\uff13\uff14\uff15\uff16"',
    "nul-escape": '"12345\\u0000"',
    "five-digits": '"12345"',
    "seven-digits": '"1234567"',
    "nine-digits": '"123456789"',
    "empty": '""',
    "letters": '"12345a"',
    "trailing-newline": '"123456\\n"',
    "arabic-indic": '"\u0661\u0662\u0663\u0664\u0665\u0666"',
}


@pytest.mark.parametrize("code_json", list(BAD_CODES.values()), ids=list(BAD_CODES))
def test_totp_format(shared, code_json):
    """TOTP that is not exactly 6 or 8 ASCII digits answers 400 INVALID_TOTP_FORMAT
    (never normalised into something that could match)."""
    body = ('{"API_KEY": "%s", "TOTP": %s}' % (FAKE_KEY, code_json)).encode("utf-8")
    status, code, msg = error_of(*shared.post(body))
    assert (status, code) == (400, "INVALID_TOTP_FORMAT"), msg


@pytest.mark.parametrize("key", ["", "tgk_with space", "tgk_\u00e9t\u00e9", "k" * 257, "tgk_tab\t"],
                         ids=["empty", "space", "non-ascii", "257-chars", "tab"])
def test_api_key_shape(shared, key):
    """An API_KEY that is not 1-256 printable ASCII characters answers 400
    INVALID_REQUEST naming API_KEY (docs/API.md)."""
    status, code, msg = error_of(*shared.post({"API_KEY": key, "TOTP": "123456"}))
    assert (status, code) == (400, "INVALID_REQUEST"), msg
    assert "API_KEY" in msg


def test_api_key_of_256_chars_is_looked_up(shared):
    """A 256-character API_KEY is well-formed: unknown, so 401."""
    status, code, _ = error_of(*shared.post({"API_KEY": "k" * 256, "TOTP": "123456"}))
    assert (status, code) == (401, "INVALID_CREDENTIALS")


def test_other_members_are_ignored(shared, shared_merchant):
    """Members other than API_KEY and TOTP are ignored."""
    m = shared_merchant()
    body = {"API_KEY": m["api_key"], "TOTP": code_at(m, time.time()), "totp": "000000", "extra": [1, {"a": None}]}
    status, hdrs, data = shared.post(body)
    assert status == 200, data
    remember("token", json.loads(data)["AccessToken"])


def test_eight_digits_for_six_digit_merchant(shared, shared_merchant):
    """An 8-digit code sent to a 6-digit merchant is a wrong code: 401, and it
    does not spend the merchant's current step."""
    m = shared_merchant()
    good = code_at(m, time.time())
    for eight in ("00" + good, good + "00"):
        remember("code", eight)
        status, code, _ = error_of(*shared.post({"API_KEY": m["api_key"], "TOTP": eight}))
        assert (status, code) == (401, "INVALID_CREDENTIALS")
    status, body, _ = shared.login(m["api_key"], good)
    assert status == 200, body


def test_top_level_array(shared):
    """A JSON array instead of an object answers 400 INVALID_REQUEST."""
    status, code, _ = error_of(*shared.post(b'["%s", "123456"]' % FAKE_KEY.encode()))
    assert (status, code) == (400, "INVALID_REQUEST")


@pytest.mark.parametrize("body", [b'"x"', b"42", b"null"], ids=["string", "number", "null"])
def test_top_level_scalar(shared, body):
    """A top-level scalar is valid RFC 8259 JSON of the wrong shape: 400
    INVALID_REQUEST, as for an array (status.h: INVALID_JSON is for bodies that
    are not RFC 8259 JSON, INVALID_REQUEST for valid JSON of the wrong shape)."""
    status, code, msg = error_of(*shared.post(body))
    assert (status, code) == (400, "INVALID_REQUEST"), msg


@pytest.mark.parametrize("body", [b"", b"   \n"], ids=["empty", "blank"])
def test_empty_body(shared, body):
    """An empty or blank body answers 400 INVALID_JSON."""
    status, code, _ = error_of(*shared.post(body))
    assert (status, code) == (400, "INVALID_JSON")


def padded(size, key=FAKE_KEY, code="123456"):
    """A valid login JSON body of exactly `size` bytes (padded with spaces)."""
    core = '{"API_KEY": "%s", "TOTP": "%s"' % (key, code)
    body = (core + " " * (size - len(core) - 1) + "}").encode()
    assert len(body) == size
    return body


def test_body_of_4096_bytes_is_accepted(shared):
    """The limit is inclusive: a 4096-byte body is parsed (here: 401 for a fake key)."""
    status, code, _ = error_of(*shared.post(padded(4096)))
    assert (status, code) == (401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize("size", [4097, 64 * 1024], ids=["4097", "64KiB"])
def test_body_too_large(shared, size):
    """A body over 4096 bytes (up to h2o's 64 KiB limit) answers 413 PAYLOAD_TOO_LARGE."""
    status, code, _ = error_of(*shared.post(padded(size)))
    assert (status, code) == (413, "PAYLOAD_TOO_LARGE")


def test_body_beyond_h2o_limit(shared):
    """A body beyond 64 KiB is refused by h2o itself with 413 (the connection may be closed)."""
    body = padded(64 * 1024 + 4096)
    s = socket.create_connection(("127.0.0.1", shared.port), timeout=15)
    try:
        head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n" % (LOGIN_PATH, len(body))).encode()
        s.sendall(head)
        try:
            s.sendall(body)
        except OSError:
            pass  # h2o may answer and close before reading the body
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 413"), data[:200]


@pytest.mark.parametrize("headers", [{"Content-Type": "text/plain"}, {},
                                     {"Content-Type": "application/x-www-form-urlencoded"},
                                     {"Content-Type": "application/jsonx"}],
                         ids=["text-plain", "missing", "form", "jsonx"])
def test_unsupported_media_type(shared, headers):
    """A body that is not declared application/json answers 415 UNSUPPORTED_MEDIA_TYPE."""
    status, code, _ = error_of(*shared.post({"API_KEY": FAKE_KEY, "TOTP": "123456"}, headers=headers))
    assert (status, code) == (415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"])
def test_json_media_type_with_parameters(shared, shared_merchant, ctype):
    """application/json with parameters such as charset (any case) is accepted."""
    m = shared_merchant()
    status, body, _ = shared.login(m["api_key"], code_at(m, time.time()), headers={"Content-Type": ctype})
    assert status == 200, body


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_wrong_method(shared, method):
    """Another method on the login path answers 405 METHOD_NOT_ALLOWED with Allow: POST."""
    status, hdrs, data = shared.request(method, LOGIN_PATH, None, {})
    status, code, _ = error_of(status, hdrs, data)
    assert (status, code) == (405, "METHOD_NOT_ALLOWED")
    assert header(hdrs, "Allow") == "POST"


@pytest.mark.parametrize("path", ["/nope", "/", "/api/v1/session/totp/generate/x", "/api/v1/session/totp"])
def test_unknown_path(shared, path):
    """Any other path answers 404 NOT_FOUND."""
    status, code, _ = error_of(*shared.post({"API_KEY": FAKE_KEY, "TOTP": "123456"}, path=path))
    assert (status, code) == (404, "NOT_FOUND")


def test_disabled_merchant(shared, shared_merchant):
    """A disabled merchant's correct code answers 403 MERCHANT_DISABLED (a wrong
    one still 401); the refusal spends nothing: after `merchant enable` the
    same code gets a token."""
    m = shared_merchant()
    run_cli(["merchant", "disable", m["merchant_id"]], shared.data_dir)
    code = code_at(m, time.time())
    status, ecode, _ = error_of(*shared.post({"API_KEY": m["api_key"], "TOTP": code}))
    assert (status, ecode) == (403, "MERCHANT_DISABLED")
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    remember("code", wrong)
    status, ecode, _ = error_of(*shared.post({"API_KEY": m["api_key"], "TOTP": wrong}))
    assert (status, ecode) == (401, "INVALID_CREDENTIALS")
    assert session_rows(shared.data_dir, m["merchant_id"]) == []
    assert merchant_row(shared.data_dir, m["merchant_id"]) == {"last_step": -1, "enabled": 0}

    run_cli(["merchant", "enable", m["merchant_id"]], shared.data_dir)
    status, body, _ = shared.login(m["api_key"], code)
    assert status == 200, body


def test_store_failure_answers_503(make_server, data_dir, tmp_path):
    """While the fault file exists every login commit fails: 503
    SERVICE_UNAVAILABLE, no token, no session row, last_step unchanged.
    Once it is removed the same code logs in (nothing was spent)."""
    fault = tmp_path / "fault"
    m = add_merchant(data_dir)
    srv = make_server(env={"TOTPGATE_TEST_FAULT_FILE": str(fault)})
    code = code_at(m, time.time())

    fault.write_text("")
    for _ in range(2):
        status, hdrs, data = srv.post({"API_KEY": m["api_key"], "TOTP": code})
        status, ecode, _ = error_of(status, hdrs, data)
        assert (status, ecode) == (503, "SERVICE_UNAVAILABLE")
        assert b"AccessToken" not in data
    assert session_rows(data_dir) == []
    assert merchant_row(data_dir, m["merchant_id"])["last_step"] == -1

    os.unlink(fault)
    status, body, _ = srv.login(m["api_key"], code)
    assert status == 200, body
    assert len(session_rows(data_dir)) == 1
    assert srv.wait_login_outcome(m["merchant_id"], 3) == ["store_unavailable", "store_unavailable", "ok"]
