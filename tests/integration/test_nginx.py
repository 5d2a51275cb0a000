"""examples/nginx end to end: Debian's nginx, configured from
nginx.conf.template, runs as an unprivileged user on loopback ports in front
of a tiny upstream "Open API" (an http.server thread in this process that
records what reaches it), with totpgate answering nginx's auth_request
sub-requests.  The upstream must see every request with a live token, with
the merchant id totpgate vouched for, and never one without."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from conftest import REPO, add_merchant, code_at, header, jwt_parts, remember, run_cli
from session_helpers import (INVALID_TOKEN, foreign_key, forged_claims, free_port, hmac_token, none_token,
                             server_pem, sign_es256, tamper_payload, tamper_signature)

NGINX = "/usr/sbin/nginx"
TEMPLATE = os.path.join(REPO, "examples", "nginx", "nginx.conf.template")
LOGIN = "/api/v1/session/totp/generate"


class Upstream:
    """The Open API: answers 200 "open-api" and records every request."""

    def __init__(self):
        self.seen = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with outer.lock:
                    outer.seen.append({
                        "method": self.command,
                        "path": self.path,
                        "merchant_id": self.headers.get_all("X-Merchant-Id") or [],
                        "expires": self.headers.get_all("X-Session-Expires") or [],
                        "body": body,
                    })
                data = b"open-api"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def count(self):
        with self.lock:
            return len(self.seen)

    def last(self):
        with self.lock:
            return self.seen[-1]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class Nginx:
    """nginx from the example template, in its own process group, unprivileged."""

    def __init__(self, totpgate_port, upstream_port):
        self.prefix = tempfile.mkdtemp(prefix="totpgate-nginx-")  # not under pytest's 0700 root tmp
        os.mkdir(os.path.join(self.prefix, "tmp"))
        self.port = free_port()
        with open(TEMPLATE) as f:
            conf = f.read()
        for k, v in {"@PREFIX@": self.prefix, "@LISTEN@": f"127.0.0.1:{self.port}",
                     "@TOTPGATE@": f"127.0.0.1:{totpgate_port}", "@OPEN_API@": f"127.0.0.1:{upstream_port}"}.items():
            conf = conf.replace(k, v)
        assert "@" not in conf.replace("$upstream_http", ""), "unreplaced placeholder"
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.cmd = [NGINX, "-p", self.prefix, "-e", os.path.join(self.prefix, "error.log"), "-c", self.conf]
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "nobody:nogroup", self.prefix], check=True)
            self.cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + self.cmd
        self.proc = None

    def error_log(self):
        out = ""
        for name in ("stderr.txt", "error.log"):
            try:
                with open(os.path.join(self.prefix, name), errors="replace") as f:
                    out += f"--- {name}\n" + f.read()
            except OSError:
                pass
        return out

    def start(self, timeout=10):
        with open(os.path.join(self.prefix, "stderr.txt"), "wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        self.pgid = self.proc.pid
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited {self.proc.returncode}:\n{self.error_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("nginx does not listen:\n" + self.error_log())
                time.sleep(0.02)
        return self

    def group_alive(self):
        try:
            os.killpg(self.pgid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def stop(self, timeout=10):
        """SIGQUIT (graceful), then SIGTERM, then SIGKILL to the whole group;
        returns whether the graceful stop was enough."""
        if self.proc is None:
            return True
        graceful = True
        for sig in (signal.SIGQUIT, signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            while self.group_alive() and time.monotonic() < deadline:
                time.sleep(0.02)
            if self.proc.poll() is not None and not self.group_alive():
                break
            graceful = False
        return graceful

    def cleanup(self):
        shutil.rmtree(self.prefix, ignore_errors=True)

    # -- requests through nginx

    def request(self, method, path, body=None, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()


class Gateway:
    def __init__(self, totpgate, upstream, nginx):
        self.totpgate = totpgate
        self.upstream = upstream
        self.nginx = nginx
        self.data_dir = totpgate.data_dir

    def login(self, merchant, t=None):
        """Logs in THROUGH nginx; returns (token, claims)."""
        code = code_at(merchant, time.time() if t is None else t)
        status, _, data = self.nginx.request("POST", LOGIN, {"API_KEY": merchant["api_key"], "TOTP": code},
                                             {"Content-Type": "application/json"})
        assert status == 200, data
        token = json.loads(data)["AccessToken"]
        remember("token", token)
        return token, jwt_parts(token)[1]

    def api(self, token=None, path="/orders", method="GET", headers=None, body=None, auth=None):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        elif auth is not None:
            h["Authorization"] = auth
        return self.nginx.request(method, path, body, h)

    def assert_reaches_upstream(self, token, claims, path="/orders", **kw):
        before = self.upstream.count()
        status, _, body = self.api(token, path, **kw)
        assert status == 200, (status, body, self.nginx.error_log())
        assert body == b"open-api"
        assert self.upstream.count() == before + 1
        seen = self.upstream.last()
        assert seen["path"] == path
        assert seen["merchant_id"] == [claims["sub"]], seen
        assert seen["expires"] == [str(claims["exp"])], seen
        return seen

    def assert_refused(self, what, token=None, auth=None, headers=None):
        before = self.upstream.count()
        status, hdrs, body = self.api(token, headers=headers, auth=auth)
        assert status == 401, (what, status, body)
        assert self.upstream.count() == before, f"{what}: the upstream was reached"
        return hdrs


@pytest.fixture
def gateway(make_server):
    """totpgate + upstream + nginx (as nobody when run as root); at the end
    nginx is stopped with SIGQUIT and no process of its group is left."""
    if not os.path.exists(NGINX):
        pytest.skip(f"{NGINX} is not installed")
    tg = make_server()
    up = Upstream()
    ng = Nginx(tg.port, up.port)
    try:
        ng.start()
        yield Gateway(tg, up, ng)
    finally:
        graceful = ng.stop()
        alive = ng.group_alive()
        log = ng.error_log()
        up.stop()
        ng.cleanup()
    assert not alive, "an nginx process was left running"
    assert graceful, "nginx did not stop on SIGQUIT:\n" + log
    assert ng.proc.returncode == 0, f"nginx exited {ng.proc.returncode}:\n{log}"


def test_nginx_runs_unprivileged_and_login_works_through_it(gateway):
    """nginx (not root when the suite is root) proxies the login, the JWKS and
    the Open API: a token obtained through nginx reaches the upstream with
    GET and with POST (body intact), the upstream seeing X-Merchant-Id = the
    merchant id and X-Session-Expires = exp; the token's kid is in the JWKS
    served through nginx."""
    ng = gateway.nginx
    if os.geteuid() == 0:
        users = subprocess.run(["ps", "-o", "user=", "-s", str(ng.pgid)], capture_output=True, text=True).stdout
        assert users.split() and set(users.split()) == {"nobody"}, users
    m = add_merchant(gateway.data_dir)
    tok, claims = gateway.login(m)
    assert claims["sub"] == m["merchant_id"]
    gateway.assert_reaches_upstream(tok, claims, "/orders?page=2")
    seen = gateway.assert_reaches_upstream(tok, claims, "/orders", method="POST", body=b'{"qty":1}',
                                           headers={"Content-Type": "application/json"})
    assert seen["method"] == "POST" and seen["body"] == b'{"qty":1}'

    status, _, data = ng.request("GET", "/.well-known/jwks.json")
    assert status == 200
    assert jwt.get_unverified_header(tok)["kid"] in [k["kid"] for k in json.loads(data)["keys"]]


def test_client_sent_merchant_id_is_overwritten(gateway):
    """A client that sends X-Merchant-Id: m_evil (and its own
    X-Session-Expires) with a valid token: the upstream sees only the
    merchant id and expiry that totpgate vouched for.  Without a token the
    same forged headers get 401 and never reach the upstream."""
    m = add_merchant(gateway.data_dir)
    tok, claims = gateway.login(m)
    forged = {"X-Merchant-Id": "m_evil", "X-Session-Expires": "9999999999"}
    gateway.assert_reaches_upstream(tok, claims, headers=forged)
    gateway.assert_refused("forged headers, no token", headers=forged)


def test_bad_tokens_never_reach_upstream(gateway):
    """No token, garbage, a tampered payload, a flipped signature bit, a
    foreign key under the server's kid, an unknown kid, alg none, HS256 keyed
    with the public PEM and a Basic header: nginx answers 401 (passing on
    totpgate's WWW-Authenticate) and the upstream's request counter does not
    move; the genuine token still gets through afterwards."""
    m = add_merchant(gateway.data_dir)
    other = add_merchant(gateway.data_dir, name="other")
    tok, claims = gateway.login(m)
    kid = jwt.get_unverified_header(tok)["kid"]
    fk = foreign_key()
    pem = server_pem(gateway.data_dir).encode()

    hdrs = gateway.assert_refused("no token")
    assert header(hdrs, "WWW-Authenticate") == "Bearer"
    cases = {
        "garbage": "garbage",
        "tampered payload": tamper_payload(tok, sub=other["merchant_id"]),
        "tampered signature": tamper_signature(tok),
        "foreign key, server's kid": sign_es256(forged_claims(claims), fk, kid),
        "foreign key, unknown kid": sign_es256(forged_claims(claims), fk, "k" + kid[1:]),
        "alg none": none_token(forged_claims(claims), kid),
        "HS256 keyed with the PEM": hmac_token(forged_claims(claims), kid, pem),
    }
    for what, t in cases.items():
        hdrs = gateway.assert_refused(what, token=t)
        assert header(hdrs, "WWW-Authenticate") == INVALID_TOKEN, (what, hdrs)
    gateway.assert_refused("Basic", auth="Basic " + tok)
    gateway.assert_reaches_upstream(tok, claims)


def test_expired_token_never_reaches_upstream(gateway, make_server):
    """A token from a second totpgate on the same data directory with
    --token-ttl 3s (same key and issuer) reaches the upstream while live and
    gets 401 from nginx, without reaching the upstream, once exp has passed."""
    short = make_server(args=["--token-ttl", "3s"], data=gateway.data_dir)
    m = add_merchant(gateway.data_dir)
    status, body, _ = short.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body
    tok = body["AccessToken"]
    claims = jwt_parts(tok)[1]
    assert claims["exp"] - claims["iat"] == 3
    gateway.assert_reaches_upstream(tok, claims)
    time.sleep(max(0.0, claims["exp"] - time.time()) + 0.6)
    gateway.assert_refused("expired", token=tok)


def test_revoked_token_never_reaches_upstream(gateway):
    """A logout through nginx (200 {}) makes the next API call with that token
    401 without reaching the upstream; a `session revoke` of another token by
    the CLI does the same within a second; a third token is unaffected."""
    a, b, c = (add_merchant(gateway.data_dir, name=n) for n in ("a", "b", "c"))
    tokens = [gateway.login(x) for x in (a, b, c)]
    for t, cl in tokens:
        gateway.assert_reaches_upstream(t, cl)
    (ta, _), (tb, cb), (tc, cc) = tokens

    status, _, data = gateway.nginx.request("POST", "/api/v1/session/logout", b"",
                                            {"Authorization": "Bearer " + ta})
    assert (status, json.loads(data)) == (200, {})
    gateway.assert_refused("logged out", token=ta)

    run_cli(["session", "revoke", cb["jti"]], gateway.data_dir)
    t0 = time.monotonic()
    before = gateway.upstream.count()
    while gateway.api(tb)[0] != 401:
        assert time.monotonic() - t0 < 1.0, "CLI revocation not in force through nginx within 1 s"
        time.sleep(0.02)
    # the polling above may have reached the upstream before the revocation
    # took effect; from now on it must not
    gateway.assert_refused("revoked by the CLI", token=tb)
    assert gateway.upstream.count() >= before
    gateway.assert_reaches_upstream(tc, cc)
