"""The login endpoint's happy path: documented request, independent TOTP
implementations, the token itself, and single use of codes."""
import hashlib
import json
import re
import subprocess
import time

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from conftest import (JSON_HEADERS, add_merchant, b64url, code_at, header, jwt_parts, merchant_row, remember,
                      run_cli, session_rows, step_of, totp, wait_for_step_margin)


def test_documented_curl_request(shared, shared_merchant):
    """The curl command of the published documentation, verbatim apart from
    host and values (same newlines and 4-space indentation), gets a token."""
    m = shared_merchant()
    code = code_at(m, time.time())
    data = '{\n    "API_KEY": "%s",\n    "TOTP": "%s"\n}' % (m["api_key"], code)
    cp = subprocess.run(
        ["curl", "--location", f"http://127.0.0.1:{shared.port}/api/v1/session/totp/generate",
         "--header", "Content-Type: application/json",
         "--data", data],
        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, cp.stderr
    body = json.loads(cp.stdout)
    remember("token", body.get("AccessToken"))
    assert set(body) == {"AccessToken", "TokenType", "ExpiresIn"}, body
    assert body["TokenType"] == "Bearer"
    assert body["ExpiresIn"] == 8 * 3600
    assert jwt_parts(body["AccessToken"])[1]["sub"] == m["merchant_id"]
    assert shared.wait_login_outcome(m["merchant_id"]) == ["ok"]


KINDS = [(alg, digits) for alg in ("SHA1", "SHA256", "SHA512") for digits in (6, 8)]


@pytest.mark.parametrize("alg,digits", KINDS, ids=[f"{a}-{d}" for a, d in KINDS])
def test_codes_from_independent_implementations(shared, shared_merchant, alg, digits):
    """Codes computed by oathtool and by pyotp (not by totpgate) are accepted
    for every algorithm and digit count: one merchant each."""
    by_oathtool = shared_merchant(name=f"oath-{alg}-{digits}", algorithm=alg, digits=digits)
    by_pyotp = shared_merchant(name=f"pyotp-{alg}-{digits}", algorithm=alg, digits=digits)
    for m in (by_oathtool, by_pyotp):
        assert (m["algorithm"], m["digits"], m["period"]) == (alg, digits, 30)

    cp = subprocess.run(["oathtool", f"--totp={alg}", "-d", str(digits), "-b", by_oathtool["secret"]],
                        capture_output=True, text=True, timeout=30, check=True)
    code = cp.stdout.strip()
    assert re.fullmatch(r"\d{%d}" % digits, code), cp.stdout
    status, body, _ = shared.login(by_oathtool["api_key"], code)
    assert status == 200, body
    assert "AccessToken" in body

    p = totp(by_pyotp["secret"], alg, digits)
    code = p.now()
    remember("code", code)
    status, body, _ = shared.login(by_pyotp["api_key"], code)
    assert status == 200, body
    assert "AccessToken" in body


def test_oathtool_with_60_second_period(shared, shared_merchant):
    """A merchant with a 60 s period accepts oathtool's 60 s code."""
    m = shared_merchant(name="slow", period=60)
    assert m["period"] == 60
    code = subprocess.run(["oathtool", "--totp", "-s", "60s", "-b", m["secret"]],
                          capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    remember("code", code)
    status, body, _ = shared.login(m["api_key"], code)
    assert status == 200, body


def rfc7638_thumbprint(public_key):
    nums = public_key.public_numbers()
    jwk = {"crv": "P-256", "kty": "EC",
           "x": b64url(nums.x.to_bytes(32, "big")), "y": b64url(nums.y.to_bytes(32, "big"))}
    canon = json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()
    return b64url(hashlib.sha256(canon).digest())


def test_token_verifies_with_published_key(make_server, data_dir):
    """The AccessToken is an ES256 JWT that PyJWT verifies with the PEM of
    `keys public`; its claims are right (iss, sub, exp - iat = ttl = ExpiresIn,
    22-char jti), its kid is the RFC 7638 thumbprint of that key, and the
    session is recorded in the database with the same jti, merchant and expiry."""
    m = add_merchant(data_dir, name="jwt")
    srv = make_server(args=["--token-ttl", "90m"])
    pem = run_cli(["keys", "public"], data_dir).stdout
    assert pem.startswith("-----BEGIN PUBLIC KEY-----"), pem

    status, body, _ = srv.login(m["api_key"], code_at(m, time.time()), headers={
        "Content-Type": "application/json", "User-Agent": "itest/1.0"})
    assert status == 200, body
    assert body["TokenType"] == "Bearer"
    assert body["ExpiresIn"] == 5400
    token = body["AccessToken"]

    claims = jwt.decode(token, pem, algorithms=["ES256"], issuer="totpgate")
    hdr = jwt.get_unverified_header(token)
    assert hdr["alg"] == "ES256" and hdr["typ"] == "JWT"
    assert claims["sub"] == m["merchant_id"]
    assert claims["iss"] == "totpgate"
    assert claims["exp"] - claims["iat"] == body["ExpiresIn"] == 5400
    assert claims["nbf"] == claims["iat"]
    assert abs(claims["iat"] - time.time()) < 60
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", claims["jti"]), claims["jti"]

    key = load_pem_public_key(pem.encode())
    assert hdr["kid"] == rfc7638_thumbprint(key)
    jwk = json.loads(run_cli(["keys", "public", "--jwk"], data_dir).stdout)
    assert jwk["kid"] == hdr["kid"]

    rows = session_rows(data_dir)
    assert len(rows) == 1
    row = rows[0]
    assert row["jti"] == claims["jti"]
    assert row["merchant_id"] == m["merchant_id"]
    assert row["kid"] == hdr["kid"]
    assert row["issued_at"] == claims["iat"]
    assert row["expires_at"] == claims["exp"]
    assert row["client_addr"] == "127.0.0.1"
    assert row["user_agent"] == "itest/1.0"
    assert row["revoked_at"] is None

    # a token signed with any other key does not verify
    other = load_pem_public_key(run_cli(["keys", "public"], data_dir.parent / "other").stdout.encode())
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["ES256"], issuer="totpgate")


def test_issuer_option(make_server, data_dir):
    """--issuer sets the iss claim."""
    m = add_merchant(data_dir)
    srv = make_server(args=["--issuer", "https://auth.example"])
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body
    pem = run_cli(["keys", "public"], data_dir).stdout
    claims = jwt.decode(body["AccessToken"], pem, algorithms=["ES256"], issuer="https://auth.example")
    assert claims["sub"] == m["merchant_id"]


def test_replay_of_accepted_code_is_refused(shared, shared_merchant):
    """A code that was accepted once is refused the second time (401
    INVALID_CREDENTIALS, logged as a replay), and last_step records its step."""
    m = shared_merchant()
    now = wait_for_step_margin(3)
    code = code_at(m, now)
    status, body, _ = shared.login(m["api_key"], code)
    assert status == 200, body
    assert merchant_row(shared.data_dir, m["merchant_id"])["last_step"] == step_of(m, now)

    status, body, _ = shared.login(m["api_key"], code)
    assert status == 401
    assert body["ErrorCode"] == "INVALID_CREDENTIALS"
    assert "AccessToken" not in body
    assert shared.wait_login_outcome(m["merchant_id"], 2) == ["ok", "replay"]
    assert len(session_rows(shared.data_dir, m["merchant_id"])) == 1


def test_earlier_step_after_success_is_refused(shared, shared_merchant):
    """After the current step's code was accepted, the previous step's code
    (still inside the +-1 step window) is refused: 401, logged as a replay."""
    m = shared_merchant()
    now = wait_for_step_margin(3)
    status, body, _ = shared.login(m["api_key"], code_at(m, now))
    assert status == 200, body
    earlier = code_at(m, now - 30)
    status, body, _ = shared.login(m["api_key"], earlier)
    assert status == 401, body
    assert body["ErrorCode"] == "INVALID_CREDENTIALS"
    assert shared.wait_login_outcome(m["merchant_id"], 2) == ["ok", "replay"]


def test_next_step_code_then_current_is_refused(shared, shared_merchant):
    """With skew 1 the next step's code is accepted; afterwards the current
    step's code is an earlier step and is refused."""
    m = shared_merchant()
    now = wait_for_step_margin(3)
    status, body, _ = shared.login(m["api_key"], code_at(m, now + 30))
    assert status == 200, body
    assert merchant_row(shared.data_dir, m["merchant_id"])["last_step"] == step_of(m, now) + 1
    status, body, _ = shared.login(m["api_key"], code_at(m, now))
    assert status == 401, body
    assert shared.wait_login_outcome(m["merchant_id"], 2) == ["ok", "replay"]


def test_failures_are_indistinguishable(shared, shared_merchant):
    """Unknown API key, wrong code and replayed code get the same status,
    the same body bytes and the same headers apart from Date."""
    m = shared_merchant()
    now = wait_for_step_margin(3)
    good = code_at(m, now)
    wrong = "%06d" % ((int(good) + 1) % 1000000)
    status, body, _ = shared.login(m["api_key"], good)
    assert status == 200, body

    answers = []
    for key, code in [("tgk_" + "A" * 43, good), (m["api_key"], wrong), (m["api_key"], good)]:
        remember("code", code)
        status, hdrs, data = shared.post({"API_KEY": key, "TOTP": code})
        answers.append((status, sorted((k.lower(), v) for k, v in hdrs if k.lower() != "date"), data))
    assert answers[0][0] == 401
    assert json.loads(answers[0][2])["ErrorCode"] == "INVALID_CREDENTIALS"
    assert answers[0] == answers[1] == answers[2]
    assert shared.wait_login_outcome(m["merchant_id"], 3) == ["ok", "invalid_code", "replay"]


def test_success_response_headers(shared, shared_merchant):
    """A success is JSON and must not be cached."""
    m = shared_merchant()
    status, hdrs, data = shared.post({"API_KEY": m["api_key"], "TOTP": code_at(m, time.time())}, JSON_HEADERS)
    assert status == 200, data
    remember("token", json.loads(data)["AccessToken"])
    assert header(hdrs, "Content-Type").startswith("application/json")
    assert header(hdrs, "Cache-Control") == "no-store"
