"""Helpers shared by test_sessions.py and test_nginx.py (not a test module).

Tokens made here are forgeries built by hand (foreign keys, alg confusion,
tampering) to check that totpgate's /api/v1/session/verify refuses them; every
token and secret seen is remembered for test_zz_logs.py's leak check.
"""
import hashlib
import hmac
import json
import os
import socket
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import b64url, b64url_decode, code_at, jwt_parts, remember, run_cli

VERIFY_PATH = "/api/v1/session/verify"
INTROSPECT_PATH = "/api/v1/session/introspect"
LOGOUT_PATH = "/api/v1/session/logout"
JWKS_PATH = "/.well-known/jwks.json"
INVALID_TOKEN = 'Bearer error="invalid_token"'


def bearer(token):
    return {"Authorization": "Bearer " + token}


def verify(srv, token=None, method="GET", headers=None, auth=None):
    """Asks srv's /verify about token (or sends `auth` as the raw Authorization
    value, or nothing when both are None); returns (status, headers, body)."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    elif auth is not None:
        h["Authorization"] = auth
    return srv.request(method, VERIFY_PATH, None, h)


def verify_status(srv, token):
    return verify(srv, token)[0]


def logout(srv, token=None, auth=None):
    h = {}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    elif auth is not None:
        h["Authorization"] = auth
    status, hdrs, data = srv.request("POST", LOGOUT_PATH, None, h)
    return status, hdrs, data


def introspect(srv, secret, body, content_type="application/x-www-form-urlencoded"):
    """POSTs body to /introspect with `Authorization: Bearer secret` (None: no header)."""
    h = {}
    if content_type is not None:
        h["Content-Type"] = content_type
    if secret is not None:
        h["Authorization"] = "Bearer " + secret
    return srv.request("POST", INTROSPECT_PATH, body, h)


def login_token(srv, merchant, t=None, offset=0, headers=None):
    """Logs merchant in on srv with the code of time t (default now + offset);
    asserts 200 and returns (token, claims, body)."""
    if t is None:
        t = time.time() + offset
    kw = {} if headers is None else {"headers": headers}
    status, body, _ = srv.login(merchant["api_key"], code_at(merchant, t), **kw)
    assert status == 200, body
    token = body["AccessToken"]
    return token, jwt_parts(token)[1], body


def login_tokens(srv, merchant, n, now):
    """Up to three tokens of one merchant from the codes of steps -1, 0, +1
    around now (the default skew 1 window); the caller made sure of a margin."""
    assert 1 <= n <= 3
    out = []
    for delta in (-30, 0, 30)[:n]:
        out.append(login_token(srv, merchant, now + delta)[0])
    return out


def poll(pred, timeout, interval=0.02):
    """Calls pred() until it is true; returns the seconds it took, or None on timeout."""
    start = time.monotonic()
    while True:
        if pred():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        time.sleep(interval)


def free_port():
    """A loopback port that was free a moment ago."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# ---------------------------------------------------------------- forgeries


def _compact(header, payload, sig):
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    tok = f"{h}.{p}.{b64url(sig)}"
    remember("token", tok)
    return tok


def forged_claims(claims, **changes):
    """The claims of a real token with a fresh jti (and any changes)."""
    c = dict(claims)
    c["jti"] = b64url(os.urandom(16))
    c.update(changes)
    return c


def foreign_key():
    return ec.generate_private_key(ec.SECP256R1())


def sign_es256(claims, key, kid):
    """A well-formed ES256 JWT signed by `key` with header kid `kid` (PyJWT)."""
    tok = jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})
    if isinstance(tok, bytes):
        tok = tok.decode()
    remember("token", tok)
    return tok


def none_token(claims, kid, sig=b""):
    return _compact({"alg": "none", "typ": "JWT", "kid": kid}, claims, sig)


def hmac_token(claims, kid, secret, alg="HS256"):
    """alg confusion: an HMAC token keyed with `secret` (the server's public PEM)."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    h = b64url(json.dumps({"alg": alg, "typ": "JWT", "kid": kid}, separators=(",", ":")).encode())
    p = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret, f"{h}.{p}".encode(), digest).digest()
    tok = f"{h}.{p}.{b64url(sig)}"
    remember("token", tok)
    return tok


def tamper_payload(token, **changes):
    """The same header and signature over a changed (still valid) payload."""
    h, p, s = token.split(".")
    claims = json.loads(b64url_decode(p))
    claims.update(changes)
    tok = h + "." + b64url(json.dumps(claims, separators=(",", ":")).encode()) + "." + s
    remember("token", tok)
    return tok


def tamper_signature(token, index=10):
    """The same header and payload with one bit of the signature flipped."""
    h, p, s = token.split(".")
    sig = bytearray(b64url_decode(s))
    sig[index] ^= 0x01
    tok = f"{h}.{p}.{b64url(bytes(sig))}"
    remember("token", tok)
    return tok


def server_pem(data_dir):
    return run_cli(["keys", "public"], data_dir).stdout
