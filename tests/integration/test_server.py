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
    try:
        second.start()
    except AssertionError as e:
        assert "exited early" in str(e), e
    else:
        assert second.port == server.port
        second.stop()
        raise AssertionError(f"a second server started on port {server.port}, which is already in use")
    assert second.proc.returncode != 0
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
    try:
        wrong.start()
    except AssertionError as e:
        assert "exited early" in str(e), e
    else:
        raise AssertionError("the server started with a master key that does not match the database")
    assert wrong.proc.returncode != 0
    assert any(e.get("event") == "signing_key_unseal_failed" for e in wrong.events())


def test_failed_start_logs_json_lines_only(make_server, tmp_path):
    """When serve cannot start (here: --data names a regular file) it exits
    non-zero and its stderr is still JSON lines only (docs/API.md: "Logs are
    JSON lines on stderr"), so a log collector can parse the reason."""
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    srv = make_server(data=not_a_dir, start=False)
    try:
        srv.start()
    except AssertionError as e:
        assert "exited early" in str(e), e
    else:
        raise AssertionError("serve started on a data directory that is a regular file")
    assert srv.proc.returncode != 0
    assert any(e.get("event") == "data_dir_failed" for e in srv.events())
    for line in srv.log_lines():
        assert isinstance(json.loads(line), dict), line
