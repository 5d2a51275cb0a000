"""The server log: JSON lines without secrets.

Named test_zz_* so that it runs last and also inspects the logs of every
server the other tests started (conftest.ALL_SERVERS) against everything
secret they handled (conftest.SENSITIVE).  It does its own logins first, so
it proves something when run alone too.
"""
import json
import re
import signal
import time

from conftest import ALL_SERVERS, SENSITIVE, add_merchant, code_at, remember


def test_logs_are_json_and_leak_nothing(make_server, data_dir, tmp_path):
    """Every stderr line of every server is a JSON object with ts, level and
    event, and no line contains an API key, a TOTP secret, a TOTP code that
    was sent, or an AccessToken."""
    fault = tmp_path / "fault"
    m = add_merchant(data_dir)
    srv = make_server(env={"TOTPGATE_TEST_FAULT_FILE": str(fault)})
    code = code_at(m, time.time())
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    remember("code", wrong)
    fault.write_text("")
    assert srv.login(m["api_key"], code)[0] == 503
    fault.unlink()
    assert srv.login(m["api_key"], code)[0] == 200
    assert srv.login(m["api_key"], code)[0] == 401  # replay
    assert srv.login(m["api_key"], wrong)[0] == 401
    assert srv.login("tgk_" + "C" * 43, code)[0] == 401
    assert srv.post(b'{"API_KEY": "%s", "TOTP": "%s",}' % (m["api_key"].encode(), code.encode()))[0] == 400
    remember("api_key", "tgk_" + "C" * 43)
    srv.wait_login_outcome(m["merchant_id"], 4)
    srv.stop()

    assert srv in ALL_SERVERS
    assert SENSITIVE["api_key"] and SENSITIVE["secret"] and SENSITIVE["code"] and SENSITIVE["token"]
    needles = []
    for kind in ("api_key", "secret", "token"):
        for value in SENSITIVE[kind]:
            needles.append((kind, value))
            if kind == "secret":
                needles.append((kind, value.lower()))
    codes = [re.compile(r"(?<![0-9])%s(?![0-9])" % c) for c in SENSITIVE["code"]]

    checked = 0
    for server in ALL_SERVERS:
        lines = server.log_lines()
        # the last line of a server that failed (a start refused on purpose by
        # test_server.py, or a crash) may be plain text: test_server.py checks
        # those; the leak check below still covers them
        failed = server.proc is not None and server.proc.returncode not in (None, 0, -signal.SIGKILL)
        for i, line in enumerate(lines):
            if not (failed and i == len(lines) - 1):
                ev = json.loads(line)  # every line is one JSON object
                assert isinstance(ev, dict) and {"ts", "level", "event"} <= set(ev), line
            for kind, value in needles:
                assert value not in line, f"log line contains a {kind}: {line}"
            for rx in codes:
                assert not rx.search(line), f"log line contains a TOTP code that was sent: {line}"
            checked += 1
    assert checked > 0
    assert [e["outcome"] for e in srv.login_events(m["merchant_id"])] == [
        "store_unavailable", "ok", "replay", "invalid_code"]
    assert any(e.get("outcome") == "unknown_key" for e in srv.login_events())
