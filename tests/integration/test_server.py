"""The server process: listening socket, keep-alive, shutdown, master key."""
import json
import os
import socket
import time

from conftest import LOGIN_PATH, add_merchant, code_at


def test_keep_alive_connection_serves_several_requests(server, data_dir):
    """Several requests, including a login, on one keep-alive connection."""
    m = add_merchant(data_dir)
    conn = server.connection()
    try:
        for path, want in (("/nope", 404), (LOGIN_PATH, 200), ("/nope", 404)):
            body = '{"API_KEY": "%s", "TOTP": "%s"}' % (m["api_key"], code_at(m, time.time()))
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            assert resp.status == want, data
    finally:
        conn.close()


def test_sigterm_with_open_connections_exits_cleanly(server, data_dir):
    """SIGTERM while clients still hold connections (one idle, one keep-alive
    after a finished request, one with half a request) stops the server with
    exit status 0, as it does without connections."""
    add_merchant(data_dir)
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    kept = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    kept.sendall(b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert kept.recv(4096).startswith(b"HTTP/1.1 404")
    half = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    half.sendall(b"POST " + LOGIN_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 60\r\n\r\n{\"API_KEY\"")
    time.sleep(0.2)  # let the server accept and read all three
    try:
        server.stop()  # asserts exit status 0 and the "stopped" event
    finally:
        for s in (idle, kept, half):
            s.close()


def test_port_in_use_is_refused(server, make_server, tmp_path):
    """A second `serve` on the port of a running server fails (listen_failed,
    non-zero exit) instead of silently sharing the port with it."""
    # the later --listen overrides the helper's 127.0.0.1:0
    second = make_server(args=["--listen", f"127.0.0.1:{server.port}", "--threads", "1"],
                         data=tmp_path / "other", start=False)
    second.start_refused(f"a second server started on port {server.port}, which is already in use")
    assert any(e.get("event") == "listen_failed" for e in second.events()), second.log_lines()
    # the first server is unaffected
    status, _, _ = server.post({"API_KEY": "x", "TOTP": "123456"}, path="/nope")
    assert status == 404


def test_master_key_file_from_environment(make_server, tmp_path):
    """With TOTPGATE_MASTER_KEY_FILE the key lives outside the data directory
    (no DIR/master.key is created), and a wrong key makes the server refuse to
    start (signing_key_unseal_failed) rather than run without its signing key."""
    key = tmp_path / "mk"
    key.write_text(os.urandom(32).hex() + "\n")
    os.chmod(key, 0o600)
    d = tmp_path / "kd"
    env = {"TOTPGATE_MASTER_KEY_FILE": str(key)}
    m = add_merchant(d, env=env)
    srv = make_server(env=env, data=d)
    assert not (d / "master.key").exists()
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body
    srv.stop()

    key.write_text(os.urandom(32).hex() + "\n")
    wrong = make_server(env=env, data=d, start=False)
    wrong.start_refused("the server started with a master key that does not match the database")
    assert any(e.get("event") == "signing_key_unseal_failed" for e in wrong.events())


def test_failed_start_logs_json_lines_only(make_server, tmp_path):
    """When serve cannot start (here: --data names a regular file) it exits
    non-zero and its stderr is still JSON lines only (docs/API.md: "Logs are
    JSON lines on stderr"), so a log collector can parse the reason."""
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    srv = make_server(data=not_a_dir, start=False)
    srv.start_refused("serve started on a data directory that is a regular file")
    assert any(e.get("event") == "data_dir_failed" for e in srv.events())
    for line in srv.log_lines():
        assert isinstance(json.loads(line), dict), line


def _strace_attach(pid, out_path):
    """strace -f attached to pid, tracing writev and epoll_ctl; None without strace or ptrace."""
    import shutil
    import subprocess
    strace = shutil.which("strace")
    if strace is None:
        return None
    proc = subprocess.Popen([strace, "-f", "-e", "trace=writev,epoll_ctl", "-o", out_path, "-p", str(pid)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    seen = b""
    while time.monotonic() < deadline and seen.count(b"attached") < 1:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    if b"attached" not in seen:
        proc.kill()
        proc.wait()
        return None
    time.sleep(0.3)  # every thread attached
    return proc


def test_keep_alive_answers_take_one_write_each(server, data_dir):
    """Every answer on a keep-alive connection, with or without a body, is one writev and costs no epoll_ctl.

    libh2o 2.2.5 given a zero-length body buffer writes the headers, then asks epoll for writability, writes
    the empty buffer and asks for readability again: three more system calls for every empty answer (the
    verify endpoint's 200 and 401, a JWKS 304), which is the whole gap to nginx on the verify path."""
    import pytest
    import signal
    m = add_merchant(data_dir)
    status, body, _ = server.login(m["api_key"], code_at(m, time.time()))
    assert status == 200
    token = body["AccessToken"]
    trace = os.path.join(str(data_dir), "strace.out")
    tracer = _strace_attach(server.proc.pid, trace)
    if tracer is None:
        pytest.skip("strace cannot attach here")
    n = 40
    conn = server.connection()
    try:
        conn.request("GET", "/nope")  # the connection's own set-up happens here
        conn.getresponse().read()
        for i in range(n):
            for method, path, headers, want in (
                    ("GET", "/api/v1/session/verify", {"Authorization": "Bearer " + token}, 200),
                    ("GET", "/api/v1/session/verify", {}, 401),
                    ("GET", "/.well-known/jwks.json", {"If-None-Match": "*"}, 304),
                    ("GET", "/nope", {}, 404)):
                conn.request(method, path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                assert resp.status == want
    finally:
        conn.close()
    time.sleep(0.3)
    tracer.send_signal(signal.SIGINT)
    tracer.wait(timeout=10)
    with open(trace) as f:
        calls = [line for line in f if "writev(" in line or "epoll_ctl(" in line]
    writevs = sum(1 for c in calls if "writev(" in c)
    mods = sum(1 for c in calls if "EPOLL_CTL_MOD" in c)
    assert writevs <= 4 * n + 4, "%d writev for %d answers" % (writevs, 4 * n + 1)
    assert mods <= 4, "%d epoll_ctl MOD for %d answers" % (mods, 4 * n + 1)
