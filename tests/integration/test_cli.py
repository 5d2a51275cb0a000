"""The command line: onboarding (QR, import, rotate-secret) and what it prints."""
import base64
import json
import os
import stat
import subprocess
import time
import urllib.parse

import pyotp

from conftest import add_merchant, code_at, remember, run_cli, run_cli_json, totp


def test_qr_png_decodes_to_otpauth_uri(shared, tmp_path):
    """`merchant add --qr F.png` writes a PNG (owner-only) that zbarimg decodes
    to exactly the printed otpauth URI; the URI carries the secret, issuer,
    algorithm, digits and period (name and issuer percent-encoded), and a
    code computed from the URI alone logs in."""
    png = tmp_path / "qr.png"
    m = add_merchant(shared.data_dir, name="Café Ünïcode shop", issuer="ACME Corp", algorithm="SHA512",
                     digits=8, period=60, qr=png)
    assert (m["issuer"], m["algorithm"], m["digits"], m["period"]) == ("ACME Corp", "SHA512", 8, 60)
    assert stat.S_IMODE(os.stat(png).st_mode) & 0o077 == 0

    cp = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, timeout=30)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.decode("utf-8").rstrip("\n") == m["otpauth_uri"]

    u = urllib.parse.urlsplit(m["otpauth_uri"])
    assert (u.scheme, u.netloc) == ("otpauth", "totp")
    assert urllib.parse.unquote(u.path) == "/ACME Corp:Café Ünïcode shop"
    q = urllib.parse.parse_qs(u.query, strict_parsing=True)
    assert {k: v for k, v in q.items()} == {
        "secret": [m["secret"]], "issuer": ["ACME Corp"], "algorithm": ["SHA512"],
        "digits": ["8"], "period": ["60"]}

    code = pyotp.parse_uri(m["otpauth_uri"]).now()
    remember("code", code)
    status, body, _ = shared.login(m["api_key"], code)
    assert status == 200, body


def test_add_prints_documented_credentials(shared):
    """`merchant add --json` prints an id m_ + 16 hex, an API key tgk_ + 43
    base64url characters and a base32 secret of 20 bytes."""
    import re
    m = add_merchant(shared.data_dir, name="shape")
    assert re.fullmatch(r"m_[0-9a-f]{16}", m["merchant_id"]), m["merchant_id"]
    assert re.fullmatch(r"tgk_[A-Za-z0-9_-]{43}", m["api_key"])
    assert len(base64.b32decode(m["secret"] + "=" * (-len(m["secret"]) % 8))) == 20
    assert (m["name"], m["issuer"], m["algorithm"], m["digits"], m["period"]) == ("shape", "totpgate", "SHA1", 6, 30)


def test_qr_svg(shared, tmp_path):
    """`merchant add --qr F.svg` writes an owner-only SVG document."""
    svg = tmp_path / "qr.svg"
    add_merchant(shared.data_dir, name="svg", qr=svg)
    text = svg.read_text()
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    assert stat.S_IMODE(os.stat(svg).st_mode) & 0o077 == 0


def new_secret():
    return base64.b32encode(os.urandom(20)).decode().rstrip("=")


def csv_merchant(name, alg=None, digits=None, period=None):
    m = {"name": name, "api_key": "imp_" + base64.urlsafe_b64encode(os.urandom(18)).decode(),
         "secret": new_secret(), "algorithm": alg or "SHA1", "digits": digits or 6, "period": period or 30}
    remember("api_key", m["api_key"])
    remember("secret", m["secret"])
    return m


def csv_line(m, full=True):
    if full:
        return "%s,%s,%s,%s,%d,%d" % (m["name"], m["api_key"], m["secret"], m["algorithm"], m["digits"], m["period"])
    return "%s,%s,%s" % (m["name"], m["api_key"], m["secret"])


def names_in(data_dir):
    return {x["name"]: x for x in run_cli_json(["merchant", "list"], data_dir)}


def test_import_csv_then_login(shared, tmp_path):
    """`merchant import` of a CSV (header line, 3 rows, one SHA256/8 digits,
    one with only the 3 required columns and a double-quoted name holding a
    comma and quotes) creates the 3 merchants with their parameters, and the
    imported key and secret log in."""
    tag = os.urandom(4).hex()
    a = csv_merchant(f'imp-a, "quoted" {tag}')
    b = csv_merchant(f"imp-b-{tag}", "SHA256", 8, 30)
    c = csv_merchant(f"imp-c-{tag}", "SHA512", 6, 60)
    f = tmp_path / "m.csv"
    quoted_a = '"imp-a, ""quoted"" %s",%s,%s' % (tag, a["api_key"], a["secret"])  # RFC 4180 quoting
    f.write_text("name,api_key,secret,algorithm,digits,period\n%s\n%s\n%s\n"
                 % (quoted_a, csv_line(b), csv_line(c)))
    cp = run_cli(["merchant", "import", str(f)], shared.data_dir)
    assert "imported 3 merchants" in cp.stdout, cp.stdout

    listed = names_in(shared.data_dir)
    for m in (a, b, c):
        got = listed[m["name"]]
        assert (got["algorithm"], got["digits"], got["period"], got["status"]) == \
            (m["algorithm"], m["digits"], m["period"], "enabled")
        assert m["secret"] not in json.dumps(got) and m["api_key"] not in json.dumps(got)

    code = totp(b["secret"], "SHA256", 8).now()
    remember("code", code)
    assert len(code) == 8
    status, body, _ = shared.login(b["api_key"], code)
    assert status == 200, body
    assert body and shared.wait_login_outcome(listed[b["name"]]["merchant_id"]) == ["ok"]


def test_import_crlf_and_lowercase_secret(shared, tmp_path):
    """A CSV with CRLF line endings (as spreadsheets write) and a lower-case
    base32 secret imports, and the merchant logs in."""
    m = csv_merchant("crlf-" + os.urandom(4).hex())
    f = tmp_path / "crlf.csv"
    f.write_bytes(("%s,%s,%s\r\n" % (m["name"], m["api_key"], m["secret"].lower())).encode())
    run_cli(["merchant", "import", str(f)], shared.data_dir)
    status, body, _ = shared.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body


def test_import_bad_row_imports_nothing(shared, tmp_path):
    """A CSV whose line 3 has a bad secret fails with exit 1 and
    "FILE:3: reason" on stderr, and none of its rows is imported (not even
    the good row on line 2)."""
    tag = os.urandom(4).hex()
    good1, bad, good2 = (csv_merchant(f"bad-{i}-{tag}") for i in range(3))
    bad["secret"] = "NOT-BASE32!!"
    f = tmp_path / "bad.csv"
    f.write_text("name,api_key,secret\n%s\n%s\n%s\n" % (csv_line(good1, False), csv_line(bad, False),
                                                         csv_line(good2, False)))
    cp = run_cli(["merchant", "import", str(f)], shared.data_dir, check=False)
    assert cp.returncode == 1, (cp.stdout, cp.stderr)
    assert f"{f}:3: " in cp.stderr, cp.stderr
    assert "secret" in cp.stderr
    assert not any(n.endswith(tag) for n in names_in(shared.data_dir))
    status, body, _ = shared.login(good1["api_key"], code_at(good1, time.time()))
    assert status == 401, body


def test_import_duplicate_key_imports_nothing(shared, tmp_path):
    """An imported API key that an existing merchant already has is refused
    (exit 1, FILE:LINE names the row) and nothing from the file is imported."""
    existing = add_merchant(shared.data_dir, name="existing")
    tag = os.urandom(4).hex()
    first, dup = csv_merchant(f"dup-0-{tag}"), csv_merchant(f"dup-1-{tag}")
    dup["api_key"] = existing["api_key"]
    f = tmp_path / "dup.csv"
    f.write_text("%s\n%s\n" % (csv_line(first), csv_line(dup)))
    cp = run_cli(["merchant", "import", str(f)], shared.data_dir, check=False)
    assert cp.returncode == 1
    assert f"{f}:2: " in cp.stderr, cp.stderr
    assert not any(n.endswith(tag) for n in names_in(shared.data_dir))


def test_rotate_secret(shared, shared_merchant):
    """After `merchant rotate-secret` the old secret's code is refused (401)
    and the new secret's code logs in; the merchant keeps its id and API key."""
    m = shared_merchant(name="rotating")
    r = run_cli_json(["merchant", "rotate-secret", m["merchant_id"]], shared.data_dir)
    remember("secret", r["secret"])
    assert r["merchant_id"] == m["merchant_id"]
    assert r["secret"] != m["secret"]
    assert "api_key" not in r
    assert r["secret"] in r["otpauth_uri"]

    now = time.time()
    status, body, _ = shared.login(m["api_key"], code_at(m, now))
    assert status == 401, body
    rotated = dict(m, secret=r["secret"])
    status, body, _ = shared.login(m["api_key"], code_at(rotated, now))
    assert status == 200, body
    assert shared.wait_login_outcome(m["merchant_id"], 2) == ["invalid_code", "ok"]


def test_show_and_list_never_print_secrets(shared, shared_merchant):
    """`merchant show` (text and --json) and `merchant list` describe the
    merchant without its secret or API key."""
    m = shared_merchant(name="quiet", algorithm="SHA256")
    outputs = [run_cli(["merchant", "show", m["merchant_id"]], shared.data_dir).stdout,
               run_cli(["merchant", "show", m["merchant_id"], "--json"], shared.data_dir).stdout,
               run_cli(["merchant", "list"], shared.data_dir).stdout,
               run_cli(["merchant", "list", "--json"], shared.data_dir).stdout]
    assert m["merchant_id"] in outputs[0] and "SHA256" in outputs[0]
    shown = json.loads(outputs[1])
    assert shown["merchant_id"] == m["merchant_id"] and shown["name"] == "quiet"
    assert "secret" not in shown and "api_key" not in shown
    for out in outputs:
        for value in (m["secret"], m["secret"].lower(), m["api_key"], m["otpauth_uri"]):
            assert value not in out


def test_show_unknown_merchant_fails(data_dir):
    """`merchant show`, `disable` and `enable` of an unknown id fail with exit 1."""
    for sub in ("show", "disable", "enable"):
        cp = run_cli(["merchant", sub, "m_0000000000000000"], data_dir, check=False)
        assert cp.returncode == 1, (sub, cp.stdout, cp.stderr)


def test_help_lists_commands():
    """`totpgate help` lists the serve, merchant and keys commands."""
    cp = run_cli(["help"])
    for word in ("serve", "merchant", "keys"):
        assert word in cp.stdout
    assert cp.returncode == 0


def test_rotate_secret_to_longer_period_after_login(shared, shared_merchant):
    """A merchant that has logged in with a 30 s period and is rotated to a
    60 s period (`rotate-secret --period 60`) can log in with the new secret.
    (last_step counts steps of the old period, which are twice as many.)"""
    m = shared_merchant(name="period-change")
    status, body, _ = shared.login(m["api_key"], code_at(m, time.time()))
    assert status == 200, body
    r = run_cli_json(["merchant", "rotate-secret", m["merchant_id"], "--period", "60"], shared.data_dir)
    remember("secret", r["secret"])
    assert r["period"] == 60
    rotated = dict(m, secret=r["secret"], period=60)
    # the next 60 s step (inside the +-1 window): later than the time already
    # used however the old last_step is carried over to the new period
    status, body, _ = shared.login(m["api_key"], code_at(rotated, time.time() + 60))
    assert status == 200, body


def test_rotate_secret_keeps_unspecified_parameters(shared, shared_merchant):
    """`rotate-secret --digits 8` on a SHA256 / 60 s merchant changes the digits
    only: algorithm and period stay as they were."""
    m = shared_merchant(name="keep-params", algorithm="SHA256", period=60)
    r = run_cli_json(["merchant", "rotate-secret", m["merchant_id"], "--digits", "8"], shared.data_dir)
    remember("secret", r["secret"])
    assert (r["algorithm"], r["digits"], r["period"]) == ("SHA256", 8, 60), r
