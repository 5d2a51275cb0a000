"""Time: dates past 2038, and the +-skew window of accepted steps."""
import calendar
import time

import jwt
import pytest

from conftest import add_merchant, code_at, merchant_row, run_cli, session_rows, step_of, wait_for_step_margin


@pytest.mark.parametrize("year", [2040, 2107])
def test_login_after_2038(make_server, data_dir, year):
    """With the clock moved to 2040 (past the signed 32-bit time_t limit) and to
    2107 (past the unsigned one), a code computed by pyotp for that time logs
    in; the token's iat/exp and the stored step and session are 64-bit right."""
    offset = calendar.timegm((year, 6, 1, 12, 0, 0)) - int(time.time())
    m = add_merchant(data_dir)
    srv = make_server(env={"TOTPGATE_TEST_CLOCK_OFFSET": str(offset)})
    assert any(e.get("event") == "test_clock_offset" for e in srv.events())

    t = time.time() + offset
    status, body, _ = srv.login(m["api_key"], code_at(m, t))
    assert status == 200, body
    pem = run_cli(["keys", "public"], data_dir).stdout
    # nbf/iat lie in the future of the real clock: check everything else
    claims = jwt.decode(body["AccessToken"], pem, algorithms=["ES256"], issuer="totpgate",
                        options={"verify_nbf": False, "verify_iat": False})
    assert claims["iat"] > 2 ** 31
    assert abs(claims["iat"] - t) < 60
    assert time.gmtime(claims["iat"]).tm_year == year
    assert claims["exp"] - claims["iat"] == body["ExpiresIn"] == 8 * 3600
    assert merchant_row(data_dir, m["merchant_id"])["last_step"] == step_of(m, t)
    [row] = session_rows(data_dir, m["merchant_id"])
    assert (row["issued_at"], row["expires_at"]) == (claims["iat"], claims["exp"])
    # a code of the real present is far outside the window
    status, body, _ = srv.login(m["api_key"], code_at(m, time.time()))
    assert status == 401, body


@pytest.mark.parametrize("skew", [None, 0, 2], ids=["default", "skew0", "skew2"])
def test_skew_window(make_server, data_dir, skew):
    """With --skew N (default 1) codes up to N steps before or after now are
    accepted and codes N+1 steps away are not: with --skew 0 the previous
    step's code is refused, with the default the previous step's code logs in.
    Each accepted code is tried on a fresh merchant."""
    n = 1 if skew is None else skew
    merchants = [add_merchant(data_dir, name=f"skew-{i}") for i in range(3)]
    srv = make_server(args=[] if skew is None else ["--skew", str(skew)])
    now = wait_for_step_margin(3)

    for delta in (-(n + 1), n + 1):
        m = merchants[0]
        status, body, _ = srv.login(m["api_key"], code_at(m, now + 30 * delta))
        assert status == 401, (delta, body)
    assert srv.wait_login_outcome(merchants[0]["merchant_id"], 2) == ["invalid_code", "invalid_code"]

    # the previous step's code, on a fresh merchant: accepted unless skew is 0
    m = merchants[1]
    status, body, _ = srv.login(m["api_key"], code_at(m, now - 30))
    assert status == (200 if n >= 1 else 401), body

    # the oldest accepted step, on a fresh merchant
    m = merchants[2]
    status, body, _ = srv.login(m["api_key"], code_at(m, now - 30 * n))
    assert status == 200, body
    assert merchant_row(data_dir, m["merchant_id"])["last_step"] == step_of(m, now) - n
