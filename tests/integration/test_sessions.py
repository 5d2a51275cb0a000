"""Sessions for the Open API: JWKS and key rotation, /verify, introspection,
logout, revocation by the CLI, the daily cut-off (DST included) and the purge
of expired rows.  Everything is checked against the real binary, with
independent tools where there are some (PyJWT, zoneinfo, sqlite3)."""
import calendar
import hashlib
import json
import os
import re
import time
import urllib.parse
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jwt
import pytest

from conftest import (add_merchant, b64url, b64url_decode, code_at, db_path, db_query, header, jwt_parts, remember, run_cli,
                      run_cli_json, session_rows, wait_for_step_margin)
from session_helpers import (INVALID_TOKEN, JWKS_PATH, foreign_key, forged_claims, hmac_token, introspect,
                             login_token, login_tokens, logout, none_token, poll, server_pem, sign_es256,
                             tamper_payload, tamper_signature, verify, verify_status)

JWK_MEMBERS = {"kid", "kty", "crv", "x", "y", "alg", "use"}


def jwks(srv, headers=None):
    status, hdrs, data = srv.request("GET", JWKS_PATH, None, headers)
    return status, hdrs, data


def thumbprint_of_jwk(k):
    canon = json.dumps({"crv": k["crv"], "kty": k["kty"], "x": k["x"], "y": k["y"]},
                       sort_keys=True, separators=(",", ":")).encode()
    return b64url(hashlib.sha256(canon).digest())


def assert_verified(srv, token, claims):
    status, hdrs, body = verify(srv, token)
    assert status == 200, (status, hdrs)
    assert body == b""
    assert header(hdrs, "X-Merchant-Id") == claims["sub"]
    assert header(hdrs, "X-Session-Expires") == str(claims["exp"])


def assert_invalid(srv, token=None, auth=None, what=""):
    status, hdrs, body = verify(srv, token, auth=auth)
    assert status == 401, (what, status, hdrs)
    assert header(hdrs, "WWW-Authenticate") == INVALID_TOKEN, (what, hdrs)
    assert header(hdrs, "X-Merchant-Id") is None, (what, hdrs)
    assert body == b"", what


def poll_invalid(srv, tokens, timeout=3.0):
    """Seconds until every token of `tokens` gets 401 from srv (None: not within timeout)."""
    return poll(lambda: all(verify_status(srv, t) == 401 for t in tokens), timeout, 0.01)


# ================================================================ 1. JWKS


def test_jwks_document_and_http_caching(make_server, data_dir):
    """GET /.well-known/jwks.json is {"keys":[...]} whose one key has kid, kty EC,
    crv P-256, 32-byte x and y, alg ES256, use sig; the kid is the RFC 7638
    thumbprint of x/y and equals `keys public --jwk`; Cache-Control has a
    positive max-age; the ETag with If-None-Match gives an empty 304, any other
    tag a 200; HEAD is allowed, POST is 405 with Allow: GET, HEAD."""
    srv = make_server()
    status, hdrs, data = jwks(srv)
    assert status == 200, data
    doc = json.loads(data)
    assert set(doc) == {"keys"}
    assert len(doc["keys"]) == 1, doc
    k = doc["keys"][0]
    assert JWK_MEMBERS <= set(k), k
    assert (k["kty"], k["crv"], k["alg"], k["use"]) == ("EC", "P-256", "ES256", "sig")
    assert len(b64url_decode(k["x"])) == 32 and len(b64url_decode(k["y"])) == 32
    assert k["kid"] == thumbprint_of_jwk(k)
    assert k == {**json.loads(run_cli(["keys", "public", "--jwk"], data_dir).stdout)}

    cc = header(hdrs, "Cache-Control")
    m = re.search(r"(?:^|[ ,])max-age=(\d+)(?:$|[ ,])", cc or "")
    assert m and int(m.group(1)) > 0, cc
    etag = header(hdrs, "ETag")
    assert etag and len(etag) > 2, hdrs

    status, hdrs2, data2 = jwks(srv, {"If-None-Match": etag})
    assert status == 304, (status, data2)
    assert data2 == b""
    assert header(hdrs2, "ETag") == etag

    status, _, data3 = jwks(srv, {"If-None-Match": '"not-the-etag"'})
    assert status == 200 and json.loads(data3) == doc

    status, hdrs4, data4 = srv.request("HEAD", JWKS_PATH)
    assert (status, data4, header(hdrs4, "ETag")) == (200, b"", etag)
    status, hdrs5, _ = srv.request("POST", JWKS_PATH, b"")
    assert status == 405 and header(hdrs5, "Allow") == "GET, HEAD"


def test_pyjwkclient_verifies_across_key_rotation(make_server, data_dir):
    """PyJWT's PyJWKClient, given only the JWKS URL, verifies a login token
    (ES256, issuer totpgate).  After `keys rotate` on the running server's data
    directory, logins carry the new kid within 2 s; the JWKS lists both keys
    (with a new ETag); the same PyJWKClient (refetching on the unknown kid) and
    a fresh one verify both the old and the new token; `keys list --json` shows
    the new key active and the old one "retired (verifying)"; both tokens pass
    /verify."""
    merchants = [add_merchant(data_dir, name=f"rot-{i}") for i in range(14)]
    srv = make_server()
    url = f"http://127.0.0.1:{srv.port}{JWKS_PATH}"
    client = jwt.PyJWKClient(url)

    old_token, old_claims, _ = login_token(srv, merchants[0])
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    key = client.get_signing_key_from_jwt(old_token)
    assert key.key_id == old_kid
    claims = jwt.decode(old_token, key.key, algorithms=["ES256"], issuer="totpgate")
    assert claims["sub"] == merchants[0]["merchant_id"]
    _, hdrs, _ = jwks(srv)
    old_etag = header(hdrs, "ETag")

    cp = run_cli(["keys", "rotate"], data_dir)
    rotated = time.monotonic()
    new_kid = re.search(r"new active key: (\S+)", cp.stdout).group(1)
    assert new_kid != old_kid

    new_token = None
    for m in merchants[1:]:
        tok, _, _ = login_token(srv, m)
        kid = jwt.get_unverified_header(tok)["kid"]
        if kid == new_kid:
            new_token = tok
            break
        assert kid == old_kid, kid
        if time.monotonic() - rotated > 2.5:
            break
        time.sleep(0.2)
    switched_after = time.monotonic() - rotated
    assert new_token is not None, "logins still signed with the old key 2.5 s after keys rotate"
    assert switched_after <= 2.0, switched_after

    status, hdrs, data = jwks(srv)
    assert status == 200
    kids = [k["kid"] for k in json.loads(data)["keys"]]
    assert sorted(kids) == sorted([old_kid, new_kid]), kids
    assert header(hdrs, "ETag") != old_etag
    assert jwks(srv, {"If-None-Match": old_etag})[0] == 200

    for c in (client, jwt.PyJWKClient(url)):
        for tok, sub in ((old_token, merchants[0]["merchant_id"]), (new_token, None)):
            k = c.get_signing_key_from_jwt(tok)
            assert k.key_id == jwt.get_unverified_header(tok)["kid"]
            got = jwt.decode(tok, k.key, algorithms=["ES256"], issuer="totpgate")
            if sub:
                assert got["sub"] == sub

    listed = {k["kid"]: k["status"] for k in run_cli_json(["keys", "list"], data_dir)}
    assert listed == {new_kid: "active", old_kid: "retired (verifying)"}, listed
    assert json.loads(run_cli(["keys", "public", "--jwk"], data_dir).stdout)["kid"] == new_kid

    assert_verified(srv, old_token, old_claims)
    assert_verified(srv, new_token, jwt_parts(new_token)[1])


def test_jwks_lists_only_keys_that_still_verify(make_server, data_dir):
    """After two rotations (K1 signed a live 8 h token, K2 signed none, K3 is
    active): at the true time the JWKS lists all three (K2 is inside the
    5-minute grace); 400 s later K1 (its token is unexpired) and K3 but not K2,
    and the K1 token still verifies there; 9 h later only K3.  `keys list`
    with the same clocks says "retired (verifying)" / "retired" accordingly."""
    m = add_merchant(data_dir)
    srv = make_server()
    tok, claims, _ = login_token(srv, m)
    k1 = jwt.get_unverified_header(tok)["kid"]
    srv.stop()
    k2 = re.search(r"new active key: (\S+)", run_cli(["keys", "rotate"], data_dir).stdout).group(1)
    k3 = re.search(r"new active key: (\S+)", run_cli(["keys", "rotate"], data_dir).stdout).group(1)
    assert len({k1, k2, k3}) == 3

    def listed(offset):
        s = make_server(env={"TOTPGATE_TEST_CLOCK_OFFSET": str(offset)})
        kids = sorted(k["kid"] for k in json.loads(jwks(s)[2])["keys"])
        states = {k["kid"]: k["status"] for k in
                  run_cli_json(["keys", "list"], data_dir, env={"TOTPGATE_TEST_CLOCK_OFFSET": str(offset)})}
        return s, kids, states

    _, kids, states = listed(0)
    assert kids == sorted([k1, k2, k3])
    assert states == {k1: "retired (verifying)", k2: "retired (verifying)", k3: "active"}
    s400, kids, states = listed(400)
    assert kids == sorted([k1, k3]), kids
    assert states == {k1: "retired (verifying)", k2: "retired", k3: "active"}
    assert_verified(s400, tok, claims)
    _, kids, states = listed(9 * 3600)
    assert kids == [k3], kids
    assert states == {k1: "retired", k2: "retired", k3: "active"}


# ================================================================ 2. verify


def test_verify_valid_token_any_method(make_server, data_dir):
    """A live token gets 200 with an empty body, X-Merchant-Id = sub = the
    merchant id and X-Session-Expires = exp, for GET, POST, HEAD and DELETE
    (gateway sub-requests keep the caller's method), and again from the cache."""
    m = add_merchant(data_dir)
    srv = make_server()
    tok, claims, _ = login_token(srv, m)
    assert claims["sub"] == m["merchant_id"]
    for method in ("GET", "POST", "HEAD", "DELETE", "GET"):
        status, hdrs, body = verify(srv, tok, method=method)
        assert status == 200, (method, status)
        assert body == b"", method
        assert header(hdrs, "X-Merchant-Id") == m["merchant_id"], method
        assert header(hdrs, "X-Session-Expires") == str(claims["exp"]), method
        assert header(hdrs, "WWW-Authenticate") is None


def test_verify_without_authorization(make_server):
    """No Authorization header: 401, empty body, WWW-Authenticate exactly
    "Bearer" (no error attribute, RFC 6750 section 3.1), for GET and POST."""
    srv = make_server()
    for method in ("GET", "POST"):
        status, hdrs, body = verify(srv, method=method)
        assert status == 401
        assert header(hdrs, "WWW-Authenticate") == "Bearer"
        assert body == b""
        assert header(hdrs, "X-Merchant-Id") is None


def test_verify_refuses_malformed_and_tampered(make_server, data_dir):
    """Garbage, a payload changed under the original signature (another sub, a
    later exp), one flipped signature bit, a truncated or extended token, an
    empty bearer and a Basic header: each 401 with WWW-Authenticate
    'Bearer error="invalid_token"' (the untouched token gets 200)."""
    m = add_merchant(data_dir)
    other = add_merchant(data_dir, name="other")
    srv = make_server()
    tok, claims, _ = login_token(srv, m)
    assert_verified(srv, tok, claims)  # and now it is in the token cache

    cases = {
        "garbage": "Bearer garbage",
        "three garbage parts": "Bearer aaaa.bbbb.cccc",
        "other sub": "Bearer " + tamper_payload(tok, sub=other["merchant_id"]),
        "later exp": "Bearer " + tamper_payload(tok, exp=claims["exp"] + 86400),
        "flipped signature bit": "Bearer " + tamper_signature(tok),
        "flipped last signature byte": "Bearer " + tamper_signature(tok, 63),
        "truncated": "Bearer " + tok[:-2],
        "extra part": "Bearer " + tok + ".AAAA",
        "empty bearer": "Bearer ",
        "basic": "Basic xxx",
        "basic with the token": "Basic " + tok,
        "a character outside b64token": "Bearer " + tok[:10] + "!" + tok[11:],
        "a space inside": "Bearer " + tok[:10] + " " + tok[11:],
        "a byte above 127": "Bearer " + tok[:10] + "\u00e9" + tok[11:],
    }
    for what, auth in cases.items():
        assert_invalid(srv, auth=auth, what=what)
    assert_verified(srv, tok, claims)


def test_verify_refuses_alg_confusion_and_foreign_keys(make_server, data_dir):
    """With valid claims in every case: alg "none" (empty signature, and with a
    64-byte signature), HS256 and HS512 tokens keyed with the server's own PEM
    public key, an ES256 token signed by a foreign P-256 key under the server's
    kid, and one under an unknown kid: all 401 invalid_token."""
    m = add_merchant(data_dir)
    srv = make_server()
    tok, claims, _ = login_token(srv, m)
    kid = jwt.get_unverified_header(tok)["kid"]
    pem = server_pem(data_dir).encode()
    fk = foreign_key()
    fresh = forged_claims(claims)

    foreign_same_kid = sign_es256(fresh, fk, kid)
    foreign_own_kid = sign_es256(forged_claims(claims), fk, "unknown-" + kid[:20])
    # the forgeries are well-formed: the foreign key itself verifies them
    for t in (foreign_same_kid, foreign_own_kid):
        assert jwt.decode(t, fk.public_key(), algorithms=["ES256"], issuer="totpgate")["sub"] == m["merchant_id"]

    cases = {
        "alg none, empty signature": none_token(fresh, kid),
        "alg none, 64-byte signature": none_token(fresh, kid, b"\0" * 64),
        "alg none, the real signature": none_token(claims, kid, b64url_decode(tok.split(".")[2])),
        "HS256 keyed with the PEM": hmac_token(fresh, kid, pem, "HS256"),
        "HS256 keyed with the PEM, no newline": hmac_token(fresh, kid, pem.strip(), "HS256"),
        "HS512 keyed with the PEM (64-byte MAC)": hmac_token(fresh, kid, pem, "HS512"),
        "foreign key, server's kid": foreign_same_kid,
        "foreign key, unknown kid": foreign_own_kid,
    }
    for what, t in cases.items():
        assert_invalid(srv, t, what=what)
    assert_verified(srv, tok, claims)


def test_verify_refuses_expired_token(make_server, data_dir):
    """With --token-ttl 2s a token gets 200 (and is cached), then 401
    invalid_token once its exp has passed: the cache does not outlive exp."""
    m = add_merchant(data_dir)
    srv = make_server(args=["--token-ttl", "2s"])
    tok, claims, body = login_token(srv, m)
    assert body["ExpiresIn"] == 2
    assert claims["exp"] - claims["iat"] == 2
    assert_verified(srv, tok, claims)
    assert_verified(srv, tok, claims)
    time.sleep(max(0.0, claims["exp"] - time.time()) + 0.6)
    assert time.time() >= claims["exp"] + 0.5
    assert_invalid(srv, tok, what="expired")


def test_verify_nbf_leeway(make_server, data_dir):
    """A token issued by a server whose clock is 1 h ahead (nbf = iat in the
    future) gets 401 from a server of the same data directory at the true time
    and from one 70 s behind its nbf, but 200 from one 30 s behind it (inside
    the documented 60 s leeway)."""
    m = add_merchant(data_dir)
    ahead = make_server(env={"TOTPGATE_TEST_CLOCK_OFFSET": "3600"})
    now = wait_for_step_margin(3, offset=3600)
    tok, claims, _ = login_token(ahead, m, now)
    assert claims["nbf"] >= time.time() + 3590
    assert_verified(ahead, tok, claims)

    at_true_time = make_server()
    within_leeway = make_server(env={"TOTPGATE_TEST_CLOCK_OFFSET": "3570"})
    past_leeway = make_server(env={"TOTPGATE_TEST_CLOCK_OFFSET": "3530"})
    assert_invalid(at_true_time, tok, what="nbf 1 h ahead")
    assert_verified(within_leeway, tok, claims)
    assert_invalid(past_leeway, tok, what="nbf 70 s ahead")


def test_verify_refuses_other_issuer(make_server, data_dir):
    """Two servers on one data directory (so one signing key): a token of the
    default issuer "totpgate" gets 401 from a server with --issuer other, and
    the other server's token gets 401 from the default one; each server
    accepts its own token."""
    m1 = add_merchant(data_dir, name="iss1")
    m2 = add_merchant(data_dir, name="iss2")
    default = make_server()
    other = make_server(args=["--issuer", "other"])
    t1, c1, _ = login_token(default, m1)
    t2, c2, _ = login_token(other, m2)
    assert (c1["iss"], c2["iss"]) == ("totpgate", "other")
    assert jwt.get_unverified_header(t1)["kid"] == jwt.get_unverified_header(t2)["kid"]
    assert_verified(default, t1, c1)
    assert_verified(other, t2, c2)
    assert_invalid(other, t1, what="iss totpgate on --issuer other")
    assert_invalid(default, t2, what="iss other on the default issuer")


# ================================================================ 3. introspection


@pytest.fixture
def introspect_secret(tmp_path):
    """(path, secret): a 40-character secret in a file, with a trailing newline."""
    secret = "isec-" + os.urandom(16).hex()
    remember("token", secret)
    path = tmp_path / "introspect.secret"
    path.write_text(secret + "\n")
    return str(path), secret


def test_introspect_active_token(make_server, data_dir, introspect_secret):
    """RFC 7662: with the resource servers' secret, a live token introspects to
    exactly {"active":true,"sub","iss":"totpgate","exp","iat","nbf","jti",
    "token_type":"Bearer"} with the token's values, whether the form value is
    plain, %2E-escaped (either case), entirely percent-encoded, or follows
    other parameters."""
    path, secret = introspect_secret
    m = add_merchant(data_dir)
    srv = make_server(args=["--introspect-token-file", path])
    tok, claims, _ = login_token(srv, m)
    want = {"active": True, "sub": m["merchant_id"], "iss": "totpgate", "exp": claims["exp"], "iat": claims["iat"],
            "nbf": claims["nbf"], "jti": claims["jti"], "token_type": "Bearer"}
    bodies = [
        "token=" + tok,
        "token=" + tok.replace(".", "%2E"),
        "token=" + tok.replace(".", "%2e"),
        "token=" + "".join("%%%02X" % b for b in tok.encode()),
        "token_type_hint=access_token&token=" + tok,
        urllib.parse.urlencode({"x": "a b&c", "token": tok, "y": "1"}),
    ]
    for body in bodies:
        status, hdrs, data = introspect(srv, secret, body)
        assert status == 200, (body, data)
        assert header(hdrs, "Content-Type").startswith("application/json")
        assert json.loads(data) == want, (body, data)
    # a Content-Type with parameters is still the form type
    status, _, data = introspect(srv, secret, "token=" + tok,
                                 content_type="application/x-www-form-urlencoded; charset=utf-8")
    assert status == 200 and json.loads(data) == want, data


def test_introspect_inactive_tokens(make_server, data_dir, introspect_secret):
    """Garbage, a tampered token, a foreign-key token, a logged-out token and a
    token that has expired (seen by a server of the same data directory whose
    clock is past its exp) all introspect to exactly {"active":false}."""
    path, secret = introspect_secret
    m = add_merchant(data_dir)
    srv = make_server(args=["--introspect-token-file", path])
    now = wait_for_step_margin(3)
    live, revoked = login_tokens(srv, m, 2, now)
    claims = jwt_parts(live)[1]
    assert logout(srv, revoked)[0] == 200
    later = make_server(args=["--introspect-token-file", path],
                        env={"TOTPGATE_TEST_CLOCK_OFFSET": str(8 * 3600 + 120)})

    inactive = b'{"active":false}'
    cases = [
        (srv, "garbage"),
        (srv, tamper_signature(live)),
        (srv, tamper_payload(live, sub="m_0000000000000000")),
        (srv, sign_es256(forged_claims(claims), foreign_key(), jwt.get_unverified_header(live)["kid"])),
        (srv, revoked),
        (later, live),
        (srv, ""),
    ]
    for s, t in cases:
        status, _, data = introspect(s, secret, "token=" + urllib.parse.quote(t, safe=""))
        assert status == 200, data
        assert data == inactive, (t, data)
    # the live token is active on the server at the true time
    assert json.loads(introspect(srv, secret, "token=" + live)[2])["active"] is True


def test_introspect_caller_authentication(make_server, data_dir, introspect_secret):
    """Without the secret, with a wrong one, with a session token instead of
    the secret, or on a server without --introspect-token-file: 401
    UNAUTHORIZED with WWW-Authenticate "Bearer".  A missing token parameter
    (also "tokenx=") is 400 INVALID_REQUEST; a JSON body is 415."""
    path, secret = introspect_secret
    m = add_merchant(data_dir)
    srv = make_server(args=["--introspect-token-file", path])
    plain = make_server()
    tok, _, _ = login_token(srv, m)
    body = "token=" + tok

    for s, who in [(srv, None), (srv, "wrong-" + secret[6:]), (srv, secret + "x"), (srv, secret[:-1]),
                   (srv, tok), (plain, secret), (plain, None)]:
        status, hdrs, data = introspect(s, who, body)
        assert status == 401, (who, data)
        assert header(hdrs, "WWW-Authenticate") == "Bearer"
        assert json.loads(data)["ErrorCode"] == "UNAUTHORIZED"
        assert b"active" not in data

    for bad in ("", "foo=bar", "tokenx=" + tok, "Token=" + tok):
        status, _, data = introspect(srv, secret, bad)
        assert status == 400, (bad, data)
        assert json.loads(data)["ErrorCode"] == "INVALID_REQUEST"

    status, _, data = introspect(srv, secret, json.dumps({"token": tok}), content_type="application/json")
    assert status == 415, data
    assert introspect(srv, secret, body)[0] == 200


# ================================================================ 4. logout


def test_logout(make_server, data_dir, introspect_secret):
    """POST /logout with the token: 200 {}; then /verify is 401 at once (even
    though the token was cached), introspection says {"active":false}, another
    logout is 200 {}, as are logouts with garbage or without a header; another
    merchant's token is untouched; `session list --json` shows the session
    "revoked" with revoked_at, and the row has revoked_at set."""
    path, secret = introspect_secret
    m = add_merchant(data_dir)
    other = add_merchant(data_dir, name="other")
    srv = make_server(args=["--introspect-token-file", path])
    tok, claims, _ = login_token(srv, m)
    tok2, claims2, _ = login_token(srv, other)
    assert_verified(srv, tok, claims)

    status, hdrs, data = logout(srv, tok)
    assert status == 200, data
    assert json.loads(data) == {}
    assert header(hdrs, "Content-Type").startswith("application/json")
    assert_invalid(srv, tok, what="logged out")
    assert introspect(srv, secret, "token=" + tok)[2] == b'{"active":false}'

    for auth in ("Bearer " + tok, "Bearer garbage", "Basic xxx", None):
        status, _, data = logout(srv, auth=auth)
        assert (status, json.loads(data)) == (200, {}), auth

    assert_verified(srv, tok2, claims2)
    listed = {s["jti"]: s for s in run_cli_json(["session", "list"], data_dir)}
    assert listed[claims["jti"]]["state"] == "revoked"
    assert listed[claims["jti"]]["revoked_at"] >= claims["iat"]
    assert listed[claims2["jti"]]["state"] == "active"
    assert "revoked_at" not in listed[claims2["jti"]]
    [row] = session_rows(data_dir, m["merchant_id"])
    assert row["revoked_at"] is not None


def test_logout_survives_sigkill(make_server, data_dir):
    """A logout answered 200 is durable: after SIGKILL and a restart on the
    same data directory the token still gets 401 (another token 200)."""
    m = add_merchant(data_dir)
    srv = make_server()
    now = wait_for_step_margin(3)
    tok, keep = login_tokens(srv, m, 2, now)
    assert logout(srv, tok)[0] == 200
    srv.kill()
    srv.restart()
    assert_invalid(srv, tok, what="logged out before SIGKILL")
    assert_verified(srv, keep, jwt_parts(keep)[1])


# ================================================================ 5. revocation by the CLI


def test_cli_revoke_jti_within_one_second(make_server, data_dir):
    """`session revoke JTI` on a running server's data directory: the (cached)
    token gets 401 less than 1 s after the command returns; another token of
    the same merchant stays valid; the CLI refuses an unknown jti."""
    m = add_merchant(data_dir)
    srv = make_server()
    now = wait_for_step_margin(3)
    tok, keep = login_tokens(srv, m, 2, now)
    claims = jwt_parts(tok)[1]
    assert_verified(srv, tok, claims)
    run_cli(["session", "revoke", claims["jti"]], data_dir)
    took = poll_invalid(srv, [tok])
    assert took is not None and took < 1.0, f"revocation in force after {took} s (None: still accepted after 3 s)"
    assert_verified(srv, keep, jwt_parts(keep)[1])
    assert run_cli(["session", "revoke", "A" * 22], data_dir, check=False).returncode != 0


def test_cli_revoke_merchant_within_one_second(make_server, data_dir):
    """`session revoke --merchant A` revokes both live tokens of A (reporting
    2) within 1 s, but not merchant B's token."""
    a = add_merchant(data_dir, name="a")
    b = add_merchant(data_dir, name="b")
    srv = make_server()
    now = wait_for_step_margin(3)
    a_tokens = login_tokens(srv, a, 2, now)
    b_token = login_token(srv, b, now)[0]
    for t in a_tokens + [b_token]:
        assert verify_status(srv, t) == 200
    cp = run_cli(["session", "revoke", "--merchant", a["merchant_id"]], data_dir)
    took = poll_invalid(srv, a_tokens)
    assert took is not None and took < 1.0, f"revocation in force after {took} s (None: still accepted after 3 s)"
    assert "revoked 2 " in cp.stdout, cp.stdout
    assert_verified(srv, b_token, jwt_parts(b_token)[1])
    assert run_cli_json(["session", "list", "--merchant", a["merchant_id"], "--active"], data_dir) == []


def test_merchant_disable_revokes_sessions(make_server, data_dir):
    """`merchant disable A` revokes A's token within 1 s, a later login of A
    with a fresh code is 403 MERCHANT_DISABLED, and B's token stays valid."""
    a = add_merchant(data_dir, name="a")
    b = add_merchant(data_dir, name="b")
    srv = make_server()
    now = wait_for_step_margin(4)
    a_token = login_token(srv, a, now - 30)[0]
    b_token = login_token(srv, b, now)[0]
    assert verify_status(srv, a_token) == 200
    run_cli(["merchant", "disable", a["merchant_id"]], data_dir)
    took = poll_invalid(srv, [a_token])
    assert took is not None and took < 1.0, f"revocation in force after {took} s (None: still accepted after 3 s)"
    status, body, _ = srv.login(a["api_key"], code_at(a, now))
    assert status == 403, body
    assert body["ErrorCode"] == "MERCHANT_DISABLED"
    assert_verified(srv, b_token, jwt_parts(b_token)[1])


def test_merchant_rotate_secret_revokes_sessions(make_server, data_dir):
    """`merchant rotate-secret A` revokes A's token within 1 s (B's stays);
    the new secret then logs in and its token is valid."""
    a = add_merchant(data_dir, name="a")
    b = add_merchant(data_dir, name="b")
    srv = make_server()
    a_token = login_token(srv, a)[0]
    b_token = login_token(srv, b)[0]
    assert verify_status(srv, a_token) == 200
    new = run_cli_json(["merchant", "rotate-secret", a["merchant_id"]], data_dir)
    remember("secret", new["secret"])
    took = poll_invalid(srv, [a_token])
    assert took is not None and took < 1.0, f"revocation in force after {took} s (None: still accepted after 3 s)"
    assert_verified(srv, b_token, jwt_parts(b_token)[1])
    fresh = dict(a, secret=new["secret"], algorithm=new["algorithm"], digits=new["digits"], period=new["period"])
    t, c, _ = login_token(srv, fresh)
    assert_verified(srv, t, c)


def test_session_list_active_json(make_server, data_dir):
    """`session list --merchant A --active --json` lists exactly A's live
    sessions, newest first, each with jti, merchant_id, state "active", kid,
    issued_at = iat, expires_at = exp, client_addr and user_agent as sent, and
    no revoked_at; without --active the revoked one appears as "revoked";
    without --merchant B's session appears too."""
    a = add_merchant(data_dir, name="a")
    b = add_merchant(data_dir, name="b")
    srv = make_server()
    now = wait_for_step_margin(3)
    ua = {"Content-Type": "application/json", "User-Agent": "itest-sessions/1.0"}
    a_tokens = [login_token(srv, a, now + d, headers=ua)[0] for d in (-30, 0, 30)]
    b_token = login_token(srv, b, now)[0]
    a_claims = [jwt_parts(t)[1] for t in a_tokens]
    kid = jwt.get_unverified_header(a_tokens[0])["kid"]
    run_cli(["session", "revoke", a_claims[1]["jti"]], data_dir)

    active = run_cli_json(["session", "list", "--merchant", a["merchant_id"], "--active"], data_dir)
    want = {c["jti"]: c for c in (a_claims[0], a_claims[2])}
    assert sorted(s["jti"] for s in active) == sorted(want), active
    issued = [s["issued_at"] for s in active]
    assert issued == sorted(issued, reverse=True)
    for s in active:
        c = want[s["jti"]]
        assert s["merchant_id"] == a["merchant_id"]
        assert s["state"] == "active"
        assert s["kid"] == kid
        assert (s["issued_at"], s["expires_at"]) == (c["iat"], c["exp"])
        assert s["client_addr"] == "127.0.0.1"
        assert s["user_agent"] == "itest-sessions/1.0"
        assert "revoked_at" not in s

    every = {s["jti"]: s for s in run_cli_json(["session", "list", "--merchant", a["merchant_id"]], data_dir)}
    assert set(every) == {c["jti"] for c in a_claims}
    assert every[a_claims[1]["jti"]]["state"] == "revoked"
    assert isinstance(every[a_claims[1]["jti"]]["revoked_at"], int)

    all_active = run_cli_json(["session", "list", "--active"], data_dir)
    assert {s["jti"] for s in all_active} == set(want) | {jwt_parts(b_token)[1]["jti"]}


def test_logout_seen_by_second_server_within_one_second(make_server, data_dir):
    """Two servers on one data directory: a logout on the first makes the
    token (cached as valid by the second) 401 on the second within 1 s, and
    at once on the first."""
    m = add_merchant(data_dir)
    first = make_server()
    second = make_server()
    tok, claims, _ = login_token(first, m)
    assert_verified(second, tok, claims)
    assert logout(first, tok)[0] == 200
    t0 = time.monotonic()
    assert verify_status(first, tok) == 401
    took = poll(lambda: verify_status(second, tok) == 401, 3.0, 0.01)
    assert took is not None and time.monotonic() - t0 < 1.0, \
        f"logout seen by the second server after {took} s (None: not within 3 s)"


# ================================================================ 6. daily cut-off


IST = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")


def test_daily_cutoff_two_hours_ahead(make_server, data_dir):
    """--session-ends-daily-at HH:MM --timezone Asia/Kolkata with HH:MM about
    2 h from now (IST): ExpiresIn is about 2 h, not the 8 h TTL, and exp is
    exactly that wall-clock minute in IST (zoneinfo); /verify reports it."""
    target = (datetime.now(IST) + timedelta(hours=2)).replace(second=0, microsecond=0)
    hhmm = target.strftime("%H:%M")
    m = add_merchant(data_dir)
    srv = make_server(args=["--session-ends-daily-at", hhmm, "--timezone", "Asia/Kolkata"])
    tok, claims, body = login_token(srv, m)
    assert claims["exp"] == int(target.timestamp()), (hhmm, claims)
    assert body["ExpiresIn"] == claims["exp"] - claims["iat"]
    assert 2 * 3600 - 120 < body["ExpiresIn"] <= 2 * 3600, body
    assert datetime.fromtimestamp(claims["exp"], IST).strftime("%H:%M:%S") == hhmm + ":00"
    assert_verified(srv, tok, claims)


def test_daily_cutoff_after_ttl_keeps_ttl(make_server, data_dir):
    """A daily cut-off more than 8 h away leaves the default TTL: ExpiresIn ==
    28800 exactly."""
    target = datetime.now(IST) + timedelta(hours=10)
    m = add_merchant(data_dir)
    srv = make_server(args=["--session-ends-daily-at", target.strftime("%H:%M"), "--timezone", "Asia/Kolkata"])
    _, claims, body = login_token(srv, m)
    assert body["ExpiresIn"] == 28800
    assert claims["exp"] - claims["iat"] == 28800


DST_CASES = [
    # (server's local "now", cut, extra args, expected exp in UTC, hours later)
    pytest.param(datetime(2026, 3, 7, 23, 0, tzinfo=NEW_YORK), "06:00", [], (2026, 3, 8, 10, 0), 6,
                 id="spring-forward"),
    pytest.param(datetime(2026, 3, 7, 23, 0, tzinfo=NEW_YORK), "02:30", [], (2026, 3, 8, 7, 30), 3.5,
                 id="spring-forward-missing-time"),
    pytest.param(datetime(2026, 10, 31, 23, 0, tzinfo=NEW_YORK), "06:00", ["--token-ttl", "10h"],
                 (2026, 11, 1, 11, 0), 8, id="fall-back"),
]


@pytest.mark.parametrize("local_now,cut,extra,exp_utc,hours", DST_CASES)
def test_daily_cutoff_across_dst(make_server, data_dir, local_now, cut, extra, exp_utc, hours):
    """With the server's clock moved (TOTPGATE_TEST_CLOCK_OFFSET) to 23:00 in
    America/New_York on the eve of a DST change, --session-ends-daily-at gives
    the next such local time with the new UTC offset: from 23:00 EST (04:00Z)
    06:00 EDT = 10:00Z, 6 h later (7 h of wall clock, not 11:00Z); from 23:00
    EDT (03:00Z) 06:00 EST = 11:00Z, 8 h later (not 10:00Z); and a 02:30 that
    does not exist moves forward with the clock to 03:30 EDT = 07:30Z."""
    expected = calendar.timegm(exp_utc + (0,))
    assert int(local_now.timestamp()) + int(hours * 3600) == expected  # zoneinfo agrees
    offset = int(local_now.timestamp() - time.time())
    m = add_merchant(data_dir)
    srv = make_server(args=["--session-ends-daily-at", cut, "--timezone", "America/New_York"] + extra,
                      env={"TOTPGATE_TEST_CLOCK_OFFSET": str(offset)})
    now = wait_for_step_margin(3, offset=offset)
    _, claims, body = login_token(srv, m, now)
    assert abs(claims["iat"] - local_now.timestamp()) < 60
    assert claims["exp"] == expected, (claims["exp"] - expected, claims)
    assert body["ExpiresIn"] == claims["exp"] - claims["iat"]
    assert 0 <= hours * 3600 - body["ExpiresIn"] < 60, body
    local_exp = datetime.fromtimestamp(claims["exp"], NEW_YORK)
    want_local = "03:30" if cut == "02:30" else cut
    assert local_exp.strftime("%H:%M") == want_local


# ================================================================ 7. purge


def test_purge_expired_sessions_on_start(make_server, data_dir):
    """Sessions issued by servers whose clocks were 100000 s and 50000 s behind
    (1 h TTL, so expired ~96400 s and ~46400 s ago) are purged at start
    according to --session-retention: with the default 7d both rows stay,
    with 1d only the older row goes, with 1s the other one too; a live session
    stays.  A published revocation is dropped once its token has expired.
    Checked in the database with sqlite3, read-only."""
    old_m = add_merchant(data_dir, name="old")
    mid_m = add_merchant(data_dir, name="mid")
    live_m = add_merchant(data_dir, name="live")

    old = make_server(args=["--token-ttl", "1h"], env={"TOTPGATE_TEST_CLOCK_OFFSET": "-100000"})
    now = wait_for_step_margin(3, offset=-100000)
    old_tok, old_revoked = login_tokens(old, old_m, 2, now)
    assert logout(old, old_revoked)[0] == 200
    old.stop()
    revoked_jti = jwt_parts(old_revoked)[1]["jti"]
    assert db_query(data_dir, "SELECT jti FROM revocations") == [(revoked_jti,)]
    # a server whose clock is past that revocation's expiry drops it at start
    mid = make_server(args=["--token-ttl", "1h"], env={"TOTPGATE_TEST_CLOCK_OFFSET": "-50000"})
    mid_tok = login_token(mid, mid_m, offset=-50000)[0]
    mid.stop()

    old_jtis = {jwt_parts(t)[1]["jti"] for t in (old_tok, old_revoked)}
    mid_jti = jwt_parts(mid_tok)[1]["jti"]
    assert {r["jti"] for r in session_rows(data_dir)} == old_jtis | {mid_jti}
    assert db_query(data_dir, "SELECT jti FROM revocations") == []

    def jtis():
        return {r["jti"] for r in session_rows(data_dir)}

    make_server().stop()  # the default retention (7d) keeps both
    assert jtis() == old_jtis | {mid_jti}

    srv = make_server(args=["--session-retention", "1d"])
    live_jti = jwt_parts(login_token(srv, live_m)[0])[1]["jti"]
    assert poll(lambda: jtis() == {mid_jti, live_jti}, 1.0) is not None, jtis()
    srv.stop()

    srv = make_server(args=["--session-retention", "1s"])
    assert poll(lambda: jtis() == {live_jti}, 1.0) is not None, jtis()
    assert any(e.get("event") == "purged" for e in srv.events(this_run=True))


def test_schema_3_migrates_drops_merchant_index_and_revokes_by_scan(make_server, data_dir):
    """A schema-3 database (with sessions_by_merchant, without the merchant
    generation) is migrated to 5 on open: the generation and its triggers
    exist, the index is gone, and `session revoke --merchant` still revokes
    every live token of that merchant (and no other) within 1 s."""
    import sqlite3
    a = add_merchant(data_dir, name="a")
    b = add_merchant(data_dir, name="b")
    con = sqlite3.connect(db_path(data_dir))
    for trigger in ("merchants_inserted", "merchants_deleted", "merchants_changed"):
        con.execute("DROP TRIGGER " + trigger)
    con.execute("DROP TABLE merchant_generation")
    con.execute("CREATE INDEX sessions_by_merchant ON sessions (merchant_id, expires_at)")
    con.execute("PRAGMA user_version = 3")
    con.commit()
    con.close()
    run_cli(["session", "list"], data_dir)
    assert db_query(data_dir, "PRAGMA user_version") == [(5,)]
    assert db_query(data_dir, "SELECT name FROM sqlite_master WHERE name = 'sessions_by_merchant'") == []
    assert db_query(data_dir, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'") == [(3,)]
    assert db_query(data_dir, "SELECT generation FROM merchant_generation") == [(0,)]
    srv = make_server()
    now = wait_for_step_margin(3)
    a_tokens = login_tokens(srv, a, 2, now)
    b_token = login_token(srv, b, now)[0]
    cp = run_cli(["session", "revoke", "--merchant", a["merchant_id"]], data_dir)
    assert "revoked 2 " in cp.stdout, cp.stdout
    took = poll_invalid(srv, a_tokens)
    assert took is not None and took < 1.0, took
    assert verify_status(srv, b_token) == 200
    assert len(run_cli_json(["session", "list", "--merchant", b["merchant_id"], "--active"], data_dir)) == 1


def test_session_revoke_jti_beginning_with_dash(data_dir):
    """A jti is base64url and one in 64 begins with '-': `session revoke
    -dQm...` must take it as the jti, not as an option (it once failed with
    "invalid option -- 'd'"), before or after --data, and after "--"."""
    import sqlite3
    m = add_merchant(data_dir)
    jtis = ["-dQmxJ_KD04zJQEA2Tf2Gw", "-aaaaaaaaaaaaaaaaaaaaa", "--bbbbbbbbbbbbbbbbbbbb"]
    with sqlite3.connect(db_path(data_dir)) as db:
        for jti in jtis:
            db.execute("INSERT INTO sessions (jti, merchant_id, kid, issued_at, expires_at, client_addr, user_agent)"
                       " VALUES (?, ?, 'k', 1, 4102444800, '127.0.0.1', 'test')", (jti, m["merchant_id"]))
    out = run_cli(["session", "revoke", jtis[0]], data_dir).stdout
    assert jtis[0] in out and "revoked" in out
    out = run_cli(["session", "revoke", "--data", str(data_dir), jtis[1]]).stdout
    assert jtis[1] in out
    out = run_cli(["session", "revoke", "--data", str(data_dir), "--", jtis[2]]).stdout
    assert jtis[2] in out
    states = {s["jti"]: s["state"] for s in run_cli_json(["session", "list", "--json"], data_dir)}
    assert all(states[j] == "revoked" for j in jtis), states
