"""What survives a restart or a crash, and what never reaches the disk."""
import base64
import os
import signal
import subprocess
import time

import pytest

from conftest import (add_merchant, code_at, db_path, merchant_row, remember, run_cli, session_rows,
                      step_of, wait_for_step_margin)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_used_code_stays_used_across_restart(make_server, data_dir, how):
    """A code accepted before a stop (SIGTERM, clean exit 0) or a crash
    (SIGKILL) is refused after the server starts again on the same data
    directory; the session recorded before the answer survives too."""
    m = add_merchant(data_dir)
    srv = make_server()
    # enough margin that the code is still inside the window after the restart:
    # the refusal then can only come from the persisted last_step
    now = wait_for_step_margin(8)
    code = code_at(m, now)
    status, body, _ = srv.login(m["api_key"], code)
    assert status == 200, body

    if how == "SIGTERM":
        srv.stop()
    else:
        srv.kill()
        assert srv.proc.returncode == -signal.SIGKILL
    srv.restart()

    status, body, _ = srv.login(m["api_key"], code)
    assert status == 401, body
    assert body["ErrorCode"] == "INVALID_CREDENTIALS"
    assert srv.wait_login_outcome(m["merchant_id"], 2) == ["ok", "replay"]
    assert merchant_row(data_dir, m["merchant_id"])["last_step"] == step_of(m, now)
    assert len(session_rows(data_dir, m["merchant_id"])) == 1
    # and the next step's code still works after the restart
    status, body, _ = srv.login(m["api_key"], code_at(m, now + 30))
    assert status == 200, body
    srv.stop()


def test_sigint_stops_cleanly(make_server):
    """SIGINT stops the server like SIGTERM: exit status 0, "stopped" logged."""
    srv = make_server()
    srv.proc.send_signal(signal.SIGINT)
    assert srv.proc.wait(timeout=15) == 0
    srv._reader.join(timeout=15)
    assert any(e.get("event") == "stopping" and e.get("signal") == "SIGINT" for e in srv.events())
    assert any(e.get("event") == "stopped" for e in srv.events())


def test_data_dir_is_private(make_server, data_dir):
    """The data directory, master key and database are readable by their owner only."""
    add_merchant(data_dir)
    make_server().stop()
    assert os.stat(data_dir).st_mode & 0o077 == 0
    for name in os.listdir(data_dir):
        assert os.stat(os.path.join(data_dir, name)).st_mode & 0o077 == 0, name


def secret_forms(secret_b32):
    """Base32 text (both cases) and the raw bytes, also as hex as `.dump` prints blobs."""
    raw = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    return {
        "base32": [secret_b32.upper().encode(), secret_b32.lower().encode()],
        "raw": [raw],
        "hex": [raw.hex().encode(), raw.hex().upper().encode()],
    }


def key_forms(api_key):
    forms = [api_key.encode()]
    if api_key.startswith("tgk_"):
        # the 32 random bytes behind a generated key
        raw = base64.urlsafe_b64decode(api_key[4:] + "=" * (-len(api_key[4:]) % 4))
        forms += [raw, raw.hex().encode(), raw.hex().upper().encode()]
    return forms


def assert_nothing_secret(blob, merchants, what):
    for m in merchants:
        for form in key_forms(m["api_key"]):
            assert form not in blob, f"{what} contains the API key of {m['name']} ({form!r})"
        for kind, forms in secret_forms(m["secret"]).items():
            for form in forms:
                assert form not in blob, f"{what} contains the TOTP secret of {m['name']} as {kind}"


def test_database_holds_no_key_or_secret(make_server, data_dir, tmp_path):
    """After merchants were added (all algorithms) and imported and have
    logged in, neither `sqlite3 DB .dump` nor the raw bytes of totpgate.db,
    -wal and -shm contain any API key or TOTP secret, in base32 or as raw
    bytes (or their hex) -- while the server runs and after it stopped."""
    merchants = [add_merchant(data_dir, name=f"dump-{a}-{d}", algorithm=a, digits=d)
                 for a, d in (("SHA1", 6), ("SHA256", 8), ("SHA512", 6))]
    raw_secret = os.urandom(32)
    imported = {"name": "dump-imported", "api_key": "imp_" + base64.urlsafe_b64encode(os.urandom(24)).decode(),
                "secret": base64.b32encode(raw_secret).decode().rstrip("="), "algorithm": "SHA256",
                "digits": 8, "period": 30}
    remember("api_key", imported["api_key"])
    remember("secret", imported["secret"])
    csv = tmp_path / "one.csv"
    csv.write_text("%s,%s,%s,SHA256,8,30\n" % (imported["name"], imported["api_key"], imported["secret"]))
    run_cli(["merchant", "import", str(csv)], data_dir)
    merchants.append(imported)

    srv = make_server()
    for m in merchants:
        status, body, _ = srv.login(m["api_key"], code_at(m, time.time()))
        assert status == 200, (m["name"], body)

    def check(when):
        files = [db_path(data_dir) + suffix for suffix in ("", "-wal", "-shm")]
        present = [f for f in files if os.path.exists(f)]
        assert db_path(data_dir) in present
        for f in present:
            with open(f, "rb") as fh:
                assert_nothing_secret(fh.read(), merchants, f"{os.path.basename(f)} ({when})")
        dump = subprocess.run(["sqlite3", db_path(data_dir), ".dump"], capture_output=True, timeout=30)
        assert dump.returncode == 0, dump.stderr
        assert b"CREATE TABLE merchants" in dump.stdout and b"INSERT INTO sessions" in dump.stdout
        assert_nothing_secret(dump.stdout, merchants, f"sqlite3 .dump ({when})")
        return present

    present = check("running")
    assert db_path(data_dir) + "-wal" in present  # WAL mode: the log exists while serving
    srv.stop()
    check("stopped")
