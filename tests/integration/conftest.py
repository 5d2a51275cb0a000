"""Shared fixtures and helpers for the totpgate integration tests.

The tests drive the real binary (``$TOTPGATE_BIN``, default build/totpgate):
``serve`` runs as a child process whose stderr (JSON lines) is drained by a
thread into a list, and the CLI is run with ``subprocess``.  Nothing here
touches the network beyond 127.0.0.1.

Every API key, TOTP secret, TOTP code and AccessToken that a helper sees is
remembered in ``SENSITIVE`` and every server started is remembered in
``ALL_SERVERS``, so that test_zz_logs.py can check the logs of the whole run
for leaks.
"""
import base64
import hashlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pyotp
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("TOTPGATE_BIN") or os.path.join(REPO, "build", "totpgate")
LOGIN_PATH = "/api/v1/session/totp/generate"
JSON_HEADERS = {"Content-Type": "application/json"}
DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}

# Everything secret the suite has handled, by kind: checked against all logs.
SENSITIVE = {"api_key": set(), "secret": set(), "code": set(), "token": set()}
# Every Server ever started in this run (their logs stay readable after stop).
ALL_SERVERS = []


def remember(kind, value):
    if value:
        SENSITIVE[kind].add(value)


# ---------------------------------------------------------------- TOTP helpers


def totp(secret, algorithm="SHA1", digits=6, period=30):
    """A pyotp TOTP object for the given parameters (pyotp is the reference)."""
    remember("secret", secret)
    return pyotp.TOTP(secret, digits=int(digits), digest=DIGESTS[algorithm], interval=int(period))


def code_at(merchant, t):
    """The code of merchant (a dict as printed by `merchant add --json`) at Unix time t."""
    c = totp(merchant["secret"], merchant["algorithm"], merchant["digits"], merchant["period"]).at(int(t))
    remember("code", c)
    return c


def step_of(merchant, t):
    return int(t) // int(merchant["period"])


def wait_for_step_margin(margin=3.0, period=30, offset=0):
    """Sleeps, if needed, until at least `margin` seconds remain in the current TOTP step.

    Returns the (offset) time afterwards.  Tests call this before anything that
    depends on "now" and "the previous step" staying where they are.
    """
    now = time.time() + offset
    remaining = period - (now % period)
    if remaining < margin:
        time.sleep(remaining + 0.05)
    return time.time() + offset


# ---------------------------------------------------------------- CLI


class CliError(AssertionError):
    pass


def run_cli(args, data_dir=None, env=None, check=True, timeout=30):
    """Runs `totpgate ARGS --data DIR`; returns CompletedProcess (text mode)."""
    cmd = [BIN] + list(args)
    if data_dir is not None:
        cmd += ["--data", str(data_dir)]
    full_env = dict(os.environ)
    full_env.pop("TOTPGATE_TEST_CLOCK_OFFSET", None)
    full_env.pop("TOTPGATE_TEST_FAULT_FILE", None)
    if env:
        full_env.update(env)
    cp = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
    if check and cp.returncode != 0:
        raise CliError(f"{cmd} exited {cp.returncode}\nstdout: {cp.stdout}\nstderr: {cp.stderr}")
    return cp


def run_cli_json(args, data_dir=None, env=None):
    """Runs a CLI command with --json and parses its single JSON document."""
    cp = run_cli(list(args) + ["--json"], data_dir, env)
    return json.loads(cp.stdout)


def add_merchant(data_dir, name="shop", algorithm=None, digits=None, period=None, issuer=None, qr=None, env=None):
    """`merchant add ... --json`; returns the printed object (with api_key and secret)."""
    args = ["merchant", "add", "--name", name]
    if algorithm:
        args += ["--algorithm", algorithm]
    if digits:
        args += ["--digits", str(digits)]
    if period:
        args += ["--period", str(period)]
    if issuer:
        args += ["--issuer", issuer]
    if qr:
        args += ["--qr", str(qr)]
    m = run_cli_json(args, data_dir, env)
    remember("api_key", m["api_key"])
    remember("secret", m["secret"])
    return m


# ---------------------------------------------------------------- database


def db_path(data_dir):
    return os.path.join(str(data_dir), "totpgate.db")


def db_query(data_dir, sql, params=()):
    """Runs a read-only query on DIR/totpgate.db with Python's sqlite3 module."""
    con = sqlite3.connect(f"file:{db_path(data_dir)}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def merchant_row(data_dir, merchant_id):
    rows = db_query(data_dir, "SELECT last_step, enabled FROM merchants WHERE id = ?", (merchant_id,))
    assert len(rows) == 1, rows
    return {"last_step": rows[0][0], "enabled": rows[0][1]}


def session_rows(data_dir, merchant_id=None):
    sql = ("SELECT jti, merchant_id, kid, issued_at, expires_at, client_addr, user_agent, revoked_at "
           "FROM sessions")
    params = ()
    if merchant_id is not None:
        sql += " WHERE merchant_id = ?"
        params = (merchant_id,)
    cols = ["jti", "merchant_id", "kid", "issued_at", "expires_at", "client_addr", "user_agent", "revoked_at"]
    return [dict(zip(cols, r)) for r in db_query(data_dir, sql, params)]


# ---------------------------------------------------------------- JWT helpers


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_parts(token):
    """(header dict, payload dict) of a compact JWS, without verifying it."""
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


# ---------------------------------------------------------------- the server


class Server:
    """One `totpgate serve` child process on 127.0.0.1 with an ephemeral port."""

    def __init__(self, data_dir, args=(), env=None, threads=2):
        self.data_dir = str(data_dir)
        self.args = list(args)
        self.env = dict(env or {})
        self.threads = threads
        self.proc = None
        self.port = None
        self.lines = []  # every stderr line of every run of this server, in order
        self._cond = threading.Condition()
        self._reader = None
        self._run_start = 0  # index in self.lines where the current run began
        ALL_SERVERS.append(self)

    # -- life cycle

    def start(self, timeout=15):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", self.data_dir,
               "--threads", str(self.threads)] + self.args
        env = dict(os.environ)
        env.pop("TOTPGATE_TEST_CLOCK_OFFSET", None)
        env.pop("TOTPGATE_TEST_FAULT_FILE", None)
        env.update(self.env)
        with self._cond:
            self._run_start = len(self.lines)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        self._reader = threading.Thread(target=self._drain, args=(self.proc,), daemon=True)
        self._reader.start()
        ev = self.wait_for_event(lambda e: e.get("event") == "listening", timeout=timeout,
                                 this_run=True, fail_on_exit=True)
        self.port = int(ev["port"])
        assert self.port > 0
        return self

    def start_refused(self, why):
        """start(), expecting `serve` to exit instead of listening: asserts a non-zero exit, and fails with `why`
        (after stopping it) if it listens."""
        try:
            self.start()
        except AssertionError as e:
            assert "exited early" in str(e), e
        else:
            self.stop()
            raise AssertionError(why)
        assert self.proc.returncode != 0

    def _drain(self, proc):
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        proc.stderr.close()
        with self._cond:
            self._cond.notify_all()

    def stop(self, timeout=15):
        """SIGTERM, wait, and assert a clean exit (status 0, "stopped" logged)."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        assert rc == 0, f"totpgate serve exited {rc}; log:\n" + "\n".join(self.run_lines())
        assert any(e.get("event") == "stopped" for e in self.events(this_run=True)), self.run_lines()

    def kill(self, timeout=15):
        """SIGKILL: no chance to checkpoint, flush or close anything."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=timeout)

    def restart(self):
        """Starts the same server again on the same data directory (after stop() or kill())."""
        return self.start()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        if self.running():
            self.proc.kill()
            self.proc.wait(timeout=15)
        if self._reader is not None:
            self._reader.join(timeout=15)

    # -- logs

    def log_lines(self):
        with self._cond:
            return list(self.lines)

    def run_lines(self):
        with self._cond:
            return list(self.lines[self._run_start:])

    def events(self, this_run=False):
        out = []
        for line in (self.run_lines() if this_run else self.log_lines()):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def wait_for_event(self, pred, timeout=10, this_run=False, fail_on_exit=False):
        """Waits until a logged JSON event satisfies pred; returns it."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                lines = self.lines[self._run_start:] if this_run else self.lines
                for line in lines[seen:]:
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if pred(ev):
                        return ev
                seen = len(lines)
                if fail_on_exit and self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError("totpgate serve exited early (%s):\n%s"
                                         % (self.proc.returncode, "\n".join(lines)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no matching log event within %ss; log:\n%s" % (timeout, "\n".join(lines)))
                self._cond.wait(min(left, 0.2))

    def login_events(self, merchant_id=None):
        return [e for e in self.events() if e.get("event") == "login"
                and (merchant_id is None or e.get("merchant_id") == merchant_id)]

    def wait_login_outcome(self, merchant_id, count=1, timeout=10):
        """Waits until `count` login events were logged for merchant_id; returns their outcomes."""
        deadline = time.monotonic() + timeout
        while True:
            evs = self.login_events(merchant_id)
            if len(evs) >= count or time.monotonic() > deadline:
                return [e.get("outcome") for e in evs]
            time.sleep(0.01)

    # -- HTTP

    def connection(self, timeout=15):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        """One request on a fresh connection; returns (status, [(name, value)], body bytes)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.getheaders(), data
        finally:
            conn.close()

    def post(self, body, headers=JSON_HEADERS, path=LOGIN_PATH):
        """POST body (bytes, str, or an object sent as JSON) to the login endpoint."""
        return self.request("POST", path, body, headers)

    def login(self, api_key, code, headers=JSON_HEADERS):
        """POST {"API_KEY": api_key, "TOTP": code}; returns (status, parsed JSON body, headers)."""
        remember("code", code)
        status, hdrs, data = self.post({"API_KEY": api_key, "TOTP": code}, headers)
        body = json.loads(data)
        remember("token", body.get("AccessToken"))
        return status, body, hdrs


def header(headers, name):
    """The value of header `name` (case-insensitive) in a getheaders() list, or None."""
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    assert os.access(BIN, os.X_OK), f"totpgate binary not found at {BIN}; run make or set TOTPGATE_BIN"


@pytest.fixture
def data_dir(tmp_path):
    """A fresh, not yet existing data directory for this test."""
    return tmp_path / "data"


@pytest.fixture
def make_server(data_dir):
    """Factory: make_server(args=(), env=None, data=data_dir) -> started Server; all stopped at teardown."""
    servers = []

    def make(args=(), env=None, data=None, start=True):
        s = Server(data if data is not None else data_dir, args, env)
        servers.append(s)
        return s.start() if start else s

    yield make
    for s in servers:
        s.cleanup()


@pytest.fixture
def server(make_server):
    """A server with default options on this test's own data directory."""
    return make_server()


@pytest.fixture(scope="session")
def shared(tmp_path_factory):
    """One long-lived default server for tests that only need fresh merchants."""
    d = tmp_path_factory.mktemp("shared") / "data"
    s = Server(d).start()
    yield s
    s.stop()


@pytest.fixture
def shared_merchant(shared):
    """Factory for fresh merchants on the shared server's data directory."""
    def make(**kw):
        return add_merchant(shared.data_dir, **kw)
    return make


# ---------------------------------------------------------------- abuse resistance (test_abuse.py)

import socket  # noqa: E402  (kept with the helpers that use it)


def merchant_show(data_dir, merchant_id):
    """`merchant show ID --json`: the merchant as the CLI reports it (failed_attempts, locked_until, ...)."""
    return run_cli_json(["merchant", "show", merchant_id], data_dir)


def wait_failed_attempts(data_dir, merchant_id, want, timeout=10, settle=0.3):
    """Polls `merchant show` until failed_attempts == want, then checks that it
    stays there for `settle` seconds (failures are counted asynchronously by the
    writer).  Returns the last `merchant show` object; the caller asserts."""
    deadline = time.monotonic() + timeout
    while True:
        m = merchant_show(data_dir, merchant_id)
        if m["failed_attempts"] == want or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if m["failed_attempts"] == want and settle > 0:
        time.sleep(settle)
        m = merchant_show(data_dir, merchant_id)
    return m


def wrong_code(merchant, t=None, span=900):
    """A code of merchant's length that is not its code at any step from
    t - span to t + span (so it stays wrong however the test's clock moves)."""
    t = time.time() if t is None else t
    period = int(merchant["period"])
    valid = {code_at(merchant, t + k * period) for k in range(-(span // period) - 1, span // period + 2)}
    digits = int(merchant["digits"])
    n = 0
    while True:
        c = str((123457 + n * 7919) % 10 ** digits).zfill(digits)
        if c not in valid:
            remember("code", c)
            return c
        n += 1


class _KeepOpen:
    """A file that http.client may "close" without closing it: lets one
    buffered reader serve several responses of one connection."""

    def __init__(self, f):
        self._f = f

    def __getattr__(self, name):
        return getattr(self._f, name)

    def close(self):
        pass


class RawConnection:
    """One TCP connection to a server for hand-made requests (bytes as given)."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.rfile = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def response(self):
        """The next response as (status, [(name, value)], body), or None when
        the server closed (or reset) the connection before a status line."""
        class _Sock:
            def makefile(_self, *a, **k):
                return _KeepOpen(self.rfile)
        resp = http.client.HTTPResponse(_Sock())
        try:
            resp.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
            return None
        return resp.status, resp.getheaders(), resp.read()

    def at_eof(self, timeout=5):
        """True when the server closes the connection within timeout without
        sending anything more; False when bytes arrive or it stays open."""
        self.sock.settimeout(timeout)
        try:
            return self.rfile.peek(1) == b""  # peek: bytes that do arrive stay readable
        except ConnectionResetError:
            return True
        except (socket.timeout, TimeoutError):
            return False

    def close(self):
        self.rfile.close()
        self.sock.close()
